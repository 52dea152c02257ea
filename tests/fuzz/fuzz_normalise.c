/*
 * fuzz_normalise.c - libFuzzer target for the text normalisation before
 * detectors (rules/normalise.c) and the scans that read its output
 * (spelt-out addresses, number words, separators inside numbers): any
 * input must normalise without crashing, leaking or reading out of
 * bounds; the result must hold no control or NUL (but tab, CR, LF); the
 * map back must stay inside the original and never go backwards; and
 * every built-in detector must scan the input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "normalise.h"
#include "rules_int.h"
#include "sg_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_rules *rules;

static void
check_normalised(const char *in, size_t size)
{
    struct sg_norm n;
    if (sg_normalise(in, size, &n) < 0)
        abort(); /* only allocation fails, and inputs are small */
    for (size_t i = 0; i < n.len; i++) {
        unsigned char c = (unsigned char)n.text[i];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
            abort();
    }
    /* starts and ends of spans move forward with their offsets */
    size_t last_start = 0, last_end = 0;
    for (size_t i = 0; i <= n.len; i++) {
        size_t os, oe;
        sg_norm_span(&n, i, n.len, &os, &oe);
        if (os > oe || oe > size || os < last_start)
            abort();
        last_start = os;
        sg_norm_span(&n, 0, i, &os, &oe);
        if (os > oe || oe > size || oe < last_end)
            abort();
        last_end = oe;
    }
    sg_norm_free(&n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (rules == NULL) {
        /* the school's domain and number, which the validators check */
        static const char *const domains[] = {"school.example"},
                                 *const phones[] = {"01632 960000"};
        const struct sg_rules_options o = {.school_domains = domains,
                                           .n_school_domains = 1,
                                           .school_phone_numbers = phones,
                                           .n_school_phone_numbers = 1};
        const char *err = NULL;
        if (sg_rules_load_string("mode enforce\n", 13, "fuzz", &o, &rules,
                                 &err) < 0)
            abort();
    }
    check_normalised((const char *)data, size);
    for (size_t d = 0; d < sg_rules_detector_count(rules); d++) {
        struct sg_finding *f = NULL;
        size_t n = 0;
        const char *err = NULL;
        if (sg_rules_detect(rules, rules->detectors[d].name,
                            (const char *)data, size, (time_t)1741774500, &f,
                            &n, &err) < 0)
            abort();
        for (size_t i = 0; i < n; i++)
            if (strlen(f[i].text) > 200)
                abort();
        sg_findings_free(&f, &n);
    }
    return 0;
}
