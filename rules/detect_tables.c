/*
 * detect_tables.c - the table pass of pupil-dob and pupil-roster: the rows
 * of the tables with named columns in a text (tables.c) read by their
 * columns, each row's name and date of birth offered to the detectors, and
 * the rows' places kept so that the pattern's scan (detect.c) passes over
 * them: a staff list's dates of joining are not taken for dates of birth,
 * nor "Patel Amy" for a name.
 *
 * pupil-dob's and pupil-roster's sinks read one text's rows in the same
 * pass (finding the rows is most of the work of both, and the rows are
 * the same for both): each row is offered to each sink in turn, so each
 * sink sees the rows in order, as it would alone.
 *
 * SECURITY: the text is attacker-controlled; the rows' places kept grow
 * with the text (two offsets a row).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "normalise.h"
#include "tables.h"

/* The pass: the sinks that read tables (their indexes in sinks and
 * full), and where the rows go. */
struct table_pass {
    const struct detect_sink *sinks;
    bool *full;
    const size_t *tables;
    size_t n_tables, n_full;
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
    for (size_t t = 0; t < tp->n_tables; t++) {
        size_t i = tp->tables[t];
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
            if (++tp->n_full == tp->n_tables)
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

bool
sg_detect_reads_tables(const struct detector *d)
{
    return d->validate == VAL_CHILD_DOB || d->validate == VAL_PUPIL_ROSTER;
}

static unsigned long passes;

unsigned long
sg_detect_tables_passes(void)
{
    return __atomic_load_n(&passes, __ATOMIC_RELAXED);
}

int
sg_detect_tables_pass(const struct sg_norm *nt,
                      const struct detect_sink *sinks, size_t n_sinks,
                      bool *full, const char *where, time_t now,
                      struct table_rows *rows)
{
    size_t *tables = malloc((n_sinks + 1) * sizeof(*tables));
    if (tables == NULL) {
        sg_rules_errorf("out of memory");
        return -1;
    }
    struct table_pass tp = {sinks, full, tables, 0, 0, where, now, rows};
    for (size_t i = 0; i < n_sinks; i++)
        if (sg_detect_reads_tables(sinks[i].d)) {
            tables[tp.n_tables++] = i;
            tp.n_full += full[i];
        }
    int r = 0;
    if (tp.n_full < tp.n_tables) {
        __atomic_add_fetch(&passes, 1, __ATOMIC_RELAXED);
        r = sg_tables_scan(nt->text, nt->len, table_row, &tp);
    }
    free(tables);
    return r < 0 ? -1 : 0;
}
