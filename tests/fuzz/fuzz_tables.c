/*
 * fuzz_tables.c - libFuzzer target for the readers of tables in message
 * text (rules/tables.c) through the detectors that use them, pupil-dob and
 * pupil-roster: any text must be read without a crash, a leak, a read out
 * of bounds or more pupil lookups than the bound.  And the rows
 * sg_tables_scan gives must be the same read every way it can read them:
 * sixteen bytes a step or not, with the prefilter or not, with the
 * header words' look-ups or not.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scan16.h"
#include "sg_rules.h"
#include "tables.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake_dir {
    struct sg_person pupil;
    unsigned calls;
};

/* Every name that starts with a capital A is a pupil's. */
static int
pupil_lookup(void *ctx, const char *name, const struct sg_person **p_r)
{
    struct fake_dir *d = ctx;
    if (++d->calls > 300)
        abort();
    if (name[0] != 'A')
        return 0;
    *p_r = &d->pupil;
    return 1;
}

/* The rows, one after another, as a hash of their every field (the
 * name as sg_tables_row_name writes it). */
static int
row_hash(void *ctx, const struct tables_row *row)
{
    uint64_t *h = ctx;
    char name[TABLES_NAME_SIZE];
    sg_tables_row_name(row, name, sizeof(name));
    const uint64_t f[] = {row->start, row->end, row->header, row->has_name,
                          row->has_dob, (uint64_t)row->dob.day,
                          (uint64_t)row->dob.month, (uint64_t)row->dob.year};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        *h = (*h ^ f[i]) * 0x100000001b3ULL;
    for (const char *c = name; *c != '\0'; c++)
        *h = (*h ^ (unsigned char)*c) * 0x100000001b3ULL;
    *h = (*h ^ 0xff) * 0x100000001b3ULL;
    return 0;
}

/* The rows of text[0..len) read each way (scan16, prefilter, word filter
 * on and off): abort when two differ. */
static void
rows_every_way(const char *text, size_t len)
{
    uint64_t first = 0;
    for (int way = 0; way < 8; way++) {
        uint64_t h = 0xcbf29ce484222325ULL;
        sg_scan16 = (way & 1) == 0;
        sg_tables_prefilter = (way & 2) == 0;
        sg_tables_word_filter = (way & 4) == 0;
        if (sg_tables_scan(text, len, row_hash, &h) != 0)
            abort();
        if (way == 0)
            first = h;
        else if (h != first)
            abort();
    }
    sg_scan16 = sg_tables_prefilter = sg_tables_word_filter = true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sg_rules *rules;
    if (rules == NULL) {
        static const char text[] =
            "rule t { content pupil-dob, pupil-roster action hold }\n";
        const char *err = NULL;
        struct sg_rules_options o;
        memset(&o, 0, sizeof(o));
        if (sg_rules_load_string(text, strlen(text), "fuzz", &o, &rules,
                                 &err) < 0)
            abort();
    }
    /* the view's texts are NUL-terminated UTF-8; the detectors must not
     * rely on more than the length */
    char *copy = malloc(size + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    struct fake_dir d = {.pupil = {0}, .calls = 0};
    char *roles[] = {"pupil"};
    d.pupil.display_name = "A Pupil";
    d.pupil.roles = roles;
    d.pupil.n_roles = 1;
    struct sg_text_part text = {0};
    text.text = copy;
    text.len = size;
    text.label = "body";
    struct sg_msgview view = {0};
    view.subject = "";
    view.texts = &text;
    view.n_texts = 1;
    struct sg_party rc = {"x@example.com", NULL, SG_CHANNEL_NONE};
    struct sg_eval_input in;
    memset(&in, 0, sizeof(in));
    in.view = &view;
    in.rcpts = &rc;
    in.n_rcpts = 1;
    in.now = 1741774500;
    in.pupil_lookup = pupil_lookup;
    in.pupil_lookup_ctx = &d;
    struct sg_verdict *v = NULL;
    const char *err = NULL;
    if (sg_rules_eval(rules, &in, &v, &err) == 0)
        sg_verdict_free(&v);
    free(copy);
    /* the rows read every way, from a buffer of exactly the text's size
     * (a read past it is one the sanitizer sees) */
    char *exact = malloc(size ? size : 1);
    if (exact == NULL)
        return 0;
    memcpy(exact, data, size);
    rows_every_way(exact, size);
    free(exact);
    return 0;
}
