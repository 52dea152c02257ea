/*
 * store_sql_report.c - what the provision report reads (store.h), for
 * every SQL driver: each record of a period with its status, the time
 * of its first decision and its school, and the count of records per
 * matched rule with its category; of one school's records alone for a
 * school's reviewer.  The report (review/review_report.c) groups the
 * records by month, outcome and time to decision itself, so that the
 * SQL stays what both databases speak (no date functions, which differ).
 *
 * SECURITY: the selects name no column that identifies anyone (no id,
 * address, name, subject or note; a school is an organisation): a
 * report for governors is made from these rows alone.  Every statement is parameterised.
 *
 * Fails by returning -1 with the store's error string.  Never logs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_sql.h"

/* To group by another column of records, select it here and fill it
 * into struct sg_store_report_record. */
static void
fill_record(struct sg_sql_stmt *st, void *item, bool *oom)
{
    struct sg_store_report_record *r = item;
    r->created = (time_t)sg_sql_int(st, 0);
    if (sg_store_status_parse(sg_sql_text(st, 1), &r->status) < 0)
        r->status = SG_QSTATUS_HELD;
    r->decided = (time_t)sg_sql_int(st, 2);
    r->held = !sg_store_status_unheld(r->status);
    r->school = sg_sql_col_str(st, 3, oom);
}

static void
record_clear(void *item)
{
    struct sg_store_report_record *r = item;
    free(r->school);
}

/* spec over the records of from to to, of school alone unless it is
 * NULL: ?1 the school, ?2 and ?3 the span. */
static int
read_span(struct sg_store *q, const struct sg_sql_spec *spec, time_t from,
          time_t to, const char *school, void **rows_r, size_t *n_r,
          const char **error_r)
{
    struct sg_sql_params p = {.text = {school},
                              .n_text = 1,
                              .num = {(int64_t)from, (int64_t)to},
                              .n_num = 2};
    struct sg_store_sql *s = sg_store_sql_of(q, error_r);
    if (s == NULL)
        return -1;
    return sg_sql_read_rows(s, spec, &p, rows_r, n_r, error_r);
}

/* a school's records only, when ?1 names one (never one of no school) */
#define SCHOOL_ONLY " AND (?1 IS NULL OR r.school = ?1)"

int
sg_store_report_records(struct sg_store *q, time_t from, time_t to,
                        const char *school,
                        struct sg_store_report_record **rows_r, size_t *n_r,
                        const char **error_r)
{
    static const struct sg_sql_spec spec = {
        .sql = "SELECT r.created, r.status,"
               " (SELECT min(a.time) FROM audit a WHERE a.record_id = r.id"
               "  AND a.action IN ('released', 'rejected', 'escalated')),"
               " coalesce(r.school, '')"
               " FROM records r WHERE r.created >= ?2"
               " AND (?3 = 0 OR r.created <= ?3)" SCHOOL_ONLY
               " ORDER BY r.created",
        .what = "cannot read the records for a report",
        .elem = sizeof(struct sg_store_report_record),
        .fill = fill_record,
        .clear = record_clear,
    };
    return read_span(q, &spec, from, to, school, (void **)rows_r, n_r,
                     error_r);
}

void
sg_store_report_records_free(struct sg_store_report_record **rows, size_t *n)
{
    sg_store_array_free((void **)rows, n, sizeof(**rows), record_clear);
}

static void
fill_rule(struct sg_sql_stmt *st, void *item, bool *oom)
{
    struct sg_store_report_rule *u = item;
    u->rule_id = sg_sql_col_str(st, 0, oom);
    u->title = sg_sql_col_str(st, 1, oom);
    u->category = sg_sql_col_str(st, 2, oom);
    u->records = (size_t)sg_sql_int(st, 3);
    u->released = (size_t)sg_sql_int(st, 4);
    u->rejected = (size_t)sg_sql_int(st, 5);
}

static void
rule_clear(void *item)
{
    struct sg_store_report_rule *u = item;
    free(u->rule_id);
    free(u->title);
    free(u->category);
}

int
sg_store_report_rules(struct sg_store *q, time_t from, time_t to,
                      const char *school,
                      struct sg_store_report_rule **rows_r, size_t *n_r,
                      const char **error_r)
{
    /* one title and category a rule was stored with (the greatest, should
     * they have changed in the span) */
    static const struct sg_sql_spec spec = {
        .sql = "SELECT u.rule_id, max(coalesce(u.title, '')),"
               " max(coalesce(u.category, '')), count(*),"
               " sum(CASE WHEN r.status = 'released' THEN 1 ELSE 0 END),"
               " sum(CASE WHEN r.status = 'rejected' THEN 1 ELSE 0 END)"
               " FROM rules u JOIN records r ON r.id = u.record_id"
               " WHERE r.created >= ?2 AND (?3 = 0 OR r.created <= ?3)"
               SCHOOL_ONLY " GROUP BY u.rule_id ORDER BY count(*) DESC, u.rule_id",
        .what = "cannot count the rules for a report",
        .elem = sizeof(struct sg_store_report_rule),
        .fill = fill_rule,
        .clear = rule_clear,
    };
    return read_span(q, &spec, from, to, school, (void **)rows_r, n_r,
                     error_r);
}

void
sg_store_report_rules_free(struct sg_store_report_rule **rows, size_t *n)
{
    sg_store_array_free((void **)rows, n, sizeof(**rows), rule_clear);
}
