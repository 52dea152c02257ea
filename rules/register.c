/*
 * register.c - a file-backed exceptions register: time-limited, named
 * permissions such as "this member of staff may share a contact number
 * with this pupil until the end of the residential trip", agreed by senior
 * management and parents (Trust policy, "Communication with Children and
 * Young People").
 *
 * Format, one entry a line ('#' starts a comment):
 *     NAME  SENDER  RECIPIENT  UNTIL
 * SENDER and RECIPIENT are addresses or "*"; UNTIL is YYYY-MM-DD (the
 * last day the entry is valid, inclusive, in UTC) or "never".
 *
 * SECURITY: the file is written by the school (trusted); lines are still
 * length-checked.  Fails by returning -1 with "FILE:LINE: ..." errors.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_int.h"

struct entry {
    char *name, *sender, *rcpt;
    struct sg_date until; /* year 0: never expires */
};

struct sg_register {
    struct entry *e;
    size_t n;
};

void
sg_register_free(struct sg_register **reg)
{
    if (*reg == NULL)
        return;
    for (size_t i = 0; i < (*reg)->n; i++) {
        free((*reg)->e[i].name);
        free((*reg)->e[i].sender);
        free((*reg)->e[i].rcpt);
    }
    free((*reg)->e);
    free(*reg);
    *reg = NULL;
}

int
sg_register_load(const char *path, struct sg_register **reg_r,
                 const char **error_r)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        *error_r = sg_rules_errorf("%s: cannot open: %s", path,
                                   strerror(errno));
        return -1;
    }
    struct sg_register *reg = calloc(1, sizeof(*reg));
    if (reg == NULL) {
        fclose(f);
        *error_r = sg_rules_errorf("out of memory");
        return -1;
    }
    char line[1024];
    unsigned ln = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        ln++;
        if (strchr(line, '\n') == NULL && !feof(f)) {
            *error_r = sg_rules_errorf("%s:%u: line too long", path, ln);
            goto fail;
        }
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *save, *tok[5];
        int n = 0;
        for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 5;
             t = strtok_r(NULL, " \t\r\n", &save))
            tok[n++] = t;
        if (n == 0)
            continue;
        if (n != 4) {
            *error_r = sg_rules_errorf("%s:%u: expected NAME SENDER "
                                       "RECIPIENT UNTIL",
                                       path, ln);
            goto fail;
        }
        struct entry e;
        memset(&e, 0, sizeof(e));
        if (strcmp(tok[3], "never") != 0 &&
            sg_date_parse(tok[3], &e.until) < 0) {
            *error_r = sg_rules_errorf("%s:%u: expected a date YYYY-MM-DD "
                                       "or 'never', found '%s'",
                                       path, ln, tok[3]);
            goto fail;
        }
        struct entry *g = realloc(reg->e, (reg->n + 1) * sizeof(*g));
        if (g == NULL) {
            *error_r = sg_rules_errorf("out of memory");
            goto fail;
        }
        reg->e = g;
        e.name = strdup(tok[0]);
        e.sender = strdup(tok[1]);
        e.rcpt = strdup(tok[2]);
        g[reg->n++] = e;
        if (!e.name || !e.sender || !e.rcpt) {
            *error_r = sg_rules_errorf("out of memory");
            goto fail;
        }
    }
    fclose(f);
    *reg_r = reg;
    return 0;
fail:
    fclose(f);
    sg_register_free(&reg);
    return -1;
}

static bool
party_is(const char *pat, const struct sg_party *p)
{
    if (strcmp(pat, "*") == 0)
        return true;
    if (p->address && strcasecmp(pat, p->address) == 0)
        return true;
    if (p->person && p->person->address &&
        strcasecmp(pat, p->person->address) == 0)
        return true;
    return false;
}

int
sg_register_check(void *ctx, const char *name, const struct sg_party *sender,
                  const struct sg_party *rcpt, time_t now)
{
    const struct sg_register *reg = ctx;
    struct tm tm;
    gmtime_r(&now, &tm);
    struct sg_date today = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
    for (size_t i = 0; i < reg->n; i++) {
        const struct entry *e = &reg->e[i];
        if (strcmp(e->name, name) != 0 || !party_is(e->sender, sender) ||
            !party_is(e->rcpt, rcpt))
            continue;
        if (e->until.year == 0 || sg_date_cmp(&today, &e->until) <= 0)
            return 1;
    }
    return 0;
}
