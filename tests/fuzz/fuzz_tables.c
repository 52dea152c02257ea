/*
 * fuzz_tables.c - libFuzzer target for the readers of tables in message
 * text (rules/tables.c) through the detectors that use them, pupil-dob and
 * pupil-roster: any text must be read without a crash, a leak, a read out
 * of bounds or more pupil lookups than the bound.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg_rules.h"

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
    return 0;
}
