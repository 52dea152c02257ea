/*
 * fuzz_normalise.c - libFuzzer target for the text normalisation before
 * detectors (rules/normalise.c) and the scans that read its output
 * (spelt-out addresses, number words, separators inside numbers): any
 * input must normalise without crashing, leaking or reading out of
 * bounds; the result must hold no control or NUL (but tab, CR, LF); the
 * map back must stay inside the original and never go backwards; every
 * built-in detector must scan the input; the UTF-8 cut (which caps the
 * findings) must keep a prefix that ends on a whole character; and the
 * {placeholder} expander must check and expand it without reading past
 * its end.  The passes that skip what cannot match (the number words, the
 * spelt-out addresses, normalisation sixteen bytes at a time) must find
 * exactly what their plain loops find.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect.h"
#include "normalise.h"
#include "scan16.h"
#include "sg_expand.h"
#include "sg_utf8.h"
#include "rules_int.h"
#include "sg_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_rules *rules;

/* Every cut is a prefix at most max long that ends on a whole character
 * (when the text is valid UTF-8 up to there); stepping always moves on. */
static void
check_cut(const char *in, size_t size)
{
    for (size_t max = 0; max <= size && max < 64; max++) {
        size_t cut = sg_utf8_cut(in, size, max);
        if (cut > max || cut > size)
            abort();
        size_t i = 0;
        while (i < cut) {
            size_t l =
                sg_utf8_decode((const unsigned char *)in + i, size - i, NULL);
            if (l == 0)
                break; /* invalid: no promise past here */
            i += l;
        }
        if (i > cut) /* a whole character straddles the cut */
            abort();
    }
    for (size_t i = 0; i < size;) {
        size_t next = sg_utf8_next(in, size, i);
        if (next <= i || next > size)
            abort();
        i = next;
    }
}

static int
put_name(struct sg_buf *b, size_t index, void *ctx)
{
    (void)ctx;
    return sg_buf_printf(b, "<%zu>", index);
}

/* A checked text always expands; any text is read within its end. */
static void
check_expand(const char *in, size_t size)
{
    static const char *const names[] = {"from", "to", "date", NULL};
    char *text = strndup(in, size);
    if (text == NULL)
        abort();
    struct sg_expand_bad bad;
    struct sg_buf b = SG_BUF_INIT;
    int checked = sg_expand_check(text, names, &bad);
    int expanded = sg_expand(&b, text, names, put_name, NULL, NULL);
    if (checked == 0 && expanded != 0)
        abort();
    if (checked < 0 &&
        (bad.at < text || bad.at >= text + strlen(text) || *bad.at != '{'))
        abort();
    sg_buf_free(&b);
    free(text);
}

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

/* The findings of the detectors that read the spelt-out forms, and the
 * normalised text and its map, are the same with the prefilter (sixteen bytes at a
 * time, and the fallback) as with the plain loops. */
static void
check_prefilter(const char *in, size_t size)
{
    static const char *const names[] = {"uk-mobile", "uk-landline",
                                        "personal-email"};
    static const bool ways[3][2] = {{false, false}, {true, false},
                                    {true, true}};
    struct sg_finding *f[3];
    size_t n[3];
    struct sg_norm nt[3];
    for (size_t w = 0; w < 3; w++) {
        const char *err = NULL;
        f[w] = NULL;
        n[w] = 0;
        sg_detect_prefilter = ways[w][0];
        sg_scan16 = ways[w][1];
        if (sg_rules_detect_many(rules, names, 3, in, size,
                                 (time_t)1741774500, &f[w], &n[w], &err) < 0 ||
            sg_normalise(in, size, &nt[w]) < 0)
            abort();
    }
    sg_detect_prefilter = true;
    sg_scan16 = true;
    for (size_t w = 1; w < 3; w++) {
        if (n[w] != n[0] || nt[w].len != nt[0].len ||
            memcmp(nt[w].text, nt[0].text, nt[0].len) != 0 ||
            nt[w].n_pieces != nt[0].n_pieces ||
            nt[w].invalid_utf8 != nt[0].invalid_utf8)
            abort();
        /* the same map back: the characters known alone and the
         * remembered replacements (fast paths) against ICU each time */
        for (size_t i = 0; i < nt[0].n_pieces; i++)
            if (nt[w].pieces[i].norm != nt[0].pieces[i].norm ||
                nt[w].pieces[i].orig != nt[0].pieces[i].orig ||
                nt[w].pieces[i].verbatim != nt[0].pieces[i].verbatim)
                abort();
        for (size_t i = 0; i < n[0]; i++)
            if (strcmp(f[w][i].detector, f[0][i].detector) != 0 ||
                strcmp(f[w][i].text, f[0][i].text) != 0)
                abort();
    }
    for (size_t w = 0; w < 3; w++) {
        sg_findings_free(&f[w], &n[w]);
        sg_norm_free(&nt[w]);
    }
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
    check_cut((const char *)data, size);
    check_expand((const char *)data, size);
    check_prefilter((const char *)data, size);
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
