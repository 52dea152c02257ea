/*
 * detect_tables.c - the table pass of pupil-dob and pupil-roster: the rows
 * of the tables with named columns in a text (tables.c) read by their
 * columns, each row's name and date of birth offered to the detectors, and
 * the rows' places kept so that the pattern's scan (detect.c) passes over
 * them: a staff list's dates of joining are not taken for dates of birth,
 * nor "Patel Amy" for a name.
 *
 * SECURITY: the text is attacker-controlled; the rows kept grow with the
 * text (two offsets a row), the rows cached for the second group are
 * bounded (TABLE_CACHE_MAX).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "normalise.h"
#include "tables.h"

/* One group's pass: its sinks, and where the rows go. */
struct table_pass {
    const struct detect_sink *sinks;
    size_t n_sinks;
    bool *full;
    size_t n_full;
    const char *where;
    time_t now;
    struct table_rows *rows;
};

static int
table_row(void *ctx, const struct tables_row *row)
{
    struct table_pass *tp = ctx;
    struct table_rows *tr = tp->rows;
    if (tr->n == tr->cap) {
        size_t cap = tr->cap > 0 ? 2 * tr->cap : 64;
        size_t (*grown)[2] = realloc(tr->span, cap * sizeof(*grown));
        if (grown == NULL) {
            sg_rules_errorf("out of memory");
            return -1;
        }
        tr->span = grown;
        tr->cap = cap;
    }
    tr->span[tr->n][0] = row->start;
    tr->span[tr->n++][1] = row->end;
    if (!row->has_name)
        return 0;
    /* the name, built when a sink first wants it */
    char name[TABLES_NAME_SIZE];
    bool named = false;
    for (size_t i = 0; i < tp->n_sinks; i++) {
        const struct detect_sink *k = &tp->sinks[i];
        if (tp->full[i])
            continue;
        bool roster = k->d->validate == VAL_PUPIL_ROSTER;
        bool dob = k->d->validate == VAL_CHILD_DOB && row->has_dob &&
                   sg_detect_school_age(&row->dob, tp->now);
        if (!roster && !dob)
            continue;
        if (!named)
            sg_tables_row_name(row, name, sizeof(name));
        named = true;
        int r;
        if (roster) {
            r = sg_detect_roster_keep(k, name, tp->where);
        } else {
            char line[MAX_FINDING_TEXT + 1];
            snprintf(line, sizeof(line), "%s %02d/%02d/%04d", name,
                     row->dob.day, row->dob.month, row->dob.year);
            r = sg_detect_finding_add(k, line, strlen(line), tp->where);
        }
        if (r < 0)
            return -1;
        if (r == 2) {
            tp->full[i] = true;
            if (++tp->n_full == tp->n_sinks)
                return 1;
        }
    }
    return 0;
}

bool
sg_detect_on_table_row(const struct table_rows *tr, size_t *next, size_t x)
{
    while (*next < tr->n && tr->span[*next][1] <= x)
        (*next)++;
    return *next < tr->n && tr->span[*next][0] <= x;
}

/* The table rows of one text, kept by the first group that reads them
 * (pupil-dob's or pupil-roster's) for the other: finding the rows is
 * most of the work of both (a line-by-line parse of every text), and the
 * rows are the same for both.  Replaying them in order through table_row
 * is what a second sg_tables_scan would do.  At most TABLE_CACHE_MAX rows
 * are kept (memory does not grow with the text); past that, or when the
 * first group stopped early (its detectors full), the second scans
 * again. */
#define TABLE_CACHE_MAX 4096

struct table_keep {
    struct table_pass *tp;
    struct table_cache *tc;
};

/* sg_tables_scan's callback: keep a copy of the row, then table_row. */
static int
table_row_keep(void *ctx, const struct tables_row *row)
{
    struct table_keep *tk = ctx;
    struct table_cache *tc = tk->tc;
    if (tc->complete) {
        if (tc->n == TABLE_CACHE_MAX) {
            tc->complete = false;
        } else {
            if (tc->n % 64 == 0) {
                struct tables_row *g =
                    realloc(tc->rows, (tc->n + 64) * sizeof(*g));
                if (g == NULL) {
                    sg_rules_errorf("out of memory");
                    return -1;
                }
                tc->rows = g;
            }
            tc->rows[tc->n++] = *row;
        }
    }
    int r = table_row(tk->tp, row);
    if (r != 0) /* stops here: the rows after are not kept */
        tc->complete = false;
    return r;
}

int
sg_detect_tables_pass(const struct sg_norm *nt,
                      const struct detect_sink *sinks, size_t n_sinks,
                      bool *full, const char *where, time_t now,
                      struct table_cache *tc, struct table_rows *rows)
{
    struct table_pass tp = {sinks, n_sinks, full, 0, where, now, rows};
    for (size_t i = 0; i < n_sinks; i++)
        tp.n_full += full[i];
    if (tc->done && tc->complete) {
        for (size_t i = 0; i < tc->n; i++) {
            int r = table_row(&tp, &tc->rows[i]);
            if (r != 0)
                return r < 0 ? -1 : 0;
        }
        return 0;
    }
    if (tc->done) /* not all kept: read again */
        return sg_tables_scan(nt->text, nt->len, table_row, &tp);
    tc->done = true;
    tc->complete = true;
    struct table_keep tk = {&tp, tc};
    int r = sg_tables_scan(nt->text, nt->len, table_row_keep, &tk);
    if (r < 0)
        tc->complete = false;
    return r;
}
