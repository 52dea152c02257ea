/*
 * store_sql_read.c - the record store's reads, for every SQL driver
 * (store_sql.h): one record, lists of
 * records, a record's recipients, rules and findings, audit rows, the
 * export of decisions, and what retention needs.
 *
 * Every row is stepped through sg_sql_step, which has three
 * answers: a row, the end, or an error.  A loop that reads rows stops on
 * the end only; on an error the rows read so far are freed and the read
 * fails, so a busy or damaged database never shows as a shorter list.
 *
 * The SQL is what SQLite and PostgreSQL both speak: group_concat and
 * instr, which PostgreSQL lacks, are made by its schema (store_pg_schema.c);
 * truth values are selected as 0 or 1, never as booleans.
 *
 * SECURITY: every statement is parameterised; the reads change nothing.
 *
 * Fails by returning -1 with the store's error string.  Never logs, never
 * exits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_buf.h"
#include "store_sql.h"

#define bind_text sg_sql_bind_text
#define col       sg_sql_col
#define col_str   sg_sql_col_str
#define col_int   sg_sql_int

/* ------------------------------------------------------------ arrays */

/* A query that fills an array (store_sql.h). */
#define spec      sg_sql_spec
#define params    sg_sql_params
#define read_rows sg_sql_read_rows

int
sg_sql_read_rows(void *be, const struct spec *q, const struct params *p,
                 void **arr, size_t *n, const char **error_r)
{
    struct sg_sql_stmt *st = NULL;
    size_t cap = 0;
    int rc = -1;
    *arr = NULL;
    *n = 0;
    struct sg_sql_conn *c = sg_sql_acquire(be, error_r);
    if (c == NULL)
        return -1;
    if ((st = sg_sql_prepare(c, q->sql, q->what, error_r)) == NULL) {
        goto out;
    }
    for (size_t i = 0; i < p->n_text; i++)
        bind_text(st, (int)i + 1, p->text[i]);
    for (size_t i = 0; i < p->n_num; i++)
        sg_sql_bind_int(st, (int)(p->n_text + i) + 1, p->num[i]);
    for (size_t i = 0; i < p->n_tail; i++)
        bind_text(st, (int)(p->n_text + p->n_num + i) + 1, p->tail[i]);
    while ((rc = sg_sql_step(st, q->what, error_r)) > 0) {
        bool oom = false;
        if (sg_array_grow(arr, &cap, *n, q->elem) < 0)
            oom = true;
        else
            q->fill(st, (char *)*arr + (*n)++ * q->elem, &oom);
        if (oom) {
            rc = sg_store_fail(error_r, "out of memory");
            break;
        }
    }
out:
    sg_sql_finalize(st);
    sg_sql_release(c);
    if (rc < 0)
        sg_store_array_free(arr, n, q->elem, q->clear);
    return rc < 0 ? -1 : 0;
}

/* The rows of one record. */
static int
read_by_id(void *be, const struct spec *q, const char *record_id, void **arr,
           size_t *n, const char **error_r)
{
    struct params p = {.text = {record_id}, .n_text = 1};
    return read_rows(be, q, &p, arr, n, error_r);
}

/* ------------------------------------------------------------ records */

int
sg_store_sql_get(void *be, const char *record_id,
                 struct sg_store_record **record_r, const char **error_r)
{
    static const char sql[] =
        "SELECT id, queue_id, created, client, trusted, auth_user, env_from,"
        " subject, status, status_changed, message_path, message_size,"
        " action, explain_sender, explain_dsl, coalesce(queue_seen, 0),"
        " sender_name, track, school FROM records WHERE id = ?1";
    struct sg_store_record *r = NULL;
    bool oom = false;
    int ret = -1;
    struct sg_sql_stmt *st =
        sg_sql_prepare_one(be, sql, "cannot read a record", error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    int rc = sg_sql_step(st, "cannot read a record", error_r);
    if (rc == 0) {
        sg_store_fail(error_r, "no quarantine record %s", record_id);
        ret = SG_STORE_NOT_FOUND;
    }
    if (rc <= 0)
        goto out;
    if ((r = calloc(1, sizeof(*r))) == NULL) {
        sg_store_fail(error_r, "out of memory");
        goto out;
    }
    r->id = col(st, 0, &oom);
    r->queue_id = col(st, 1, &oom);
    r->created = (time_t)col_int(st, 2);
    r->client = col(st, 3, &oom);
    r->trusted = col_int(st, 4) != 0;
    r->auth_user = col(st, 5, &oom);
    r->env_from = col(st, 6, &oom);
    r->subject = col(st, 7, &oom);
    const char *status = sg_sql_text(st, 8);
    r->status_changed = (time_t)col_int(st, 9);
    r->message_path = col(st, 10, &oom);
    r->message_size = (uint64_t)col_int(st, 11);
    r->action = col(st, 12, &oom);
    r->explain_sender = col(st, 13, &oom);
    r->explain_dsl = col(st, 14, &oom);
    r->queue_seen = (time_t)col_int(st, 15);
    r->sender_name = col(st, 16, &oom);
    r->track = col(st, 17, &oom);
    r->school = col(st, 18, &oom);
    if (oom) {
        sg_store_fail(error_r, "out of memory");
    } else if (sg_store_status_parse(status, &r->status) < 0) {
        sg_store_fail(error_r, "quarantine record %s has an unknown status",
                      record_id);
    } else {
        *record_r = r;
        r = NULL;
        ret = 0;
    }
out:
    sg_store_record_free(&r);
    return sg_sql_finish(st, ret);
}

static void
fill_id(struct sg_sql_stmt *st, void *item, bool *oom)
{
    *(char **)item = col_str(st, 0, oom);
}

static void
clear_id(void *item)
{
    free(*(char **)item);
}

int
sg_store_sql_waiting_ids(void *be, time_t until, char ***ids_r, size_t *n_r,
                         const char **error_r)
{
    static const struct spec q = {
        .sql = "SELECT id FROM records WHERE status IN"
               " ('held', 'escalated') AND created <= ?1"
               " ORDER BY created, id",
        .what = "cannot list the records",
        .elem = sizeof(char *),
        .fill = fill_id,
        .clear = clear_id,
    };
    struct params p = {.num = {(int64_t)until}, .n_num = 1};
    return read_rows(be, &q, &p, (void **)ids_r, n_r, error_r);
}

/* The columns of a list's item (struct sg_store_item). */
#define ITEM_COLUMNS                                                           \
    "SELECT r.id, r.queue_id, r.created, r.status, r.status_changed,"          \
    " r.env_from, coalesce(r.subject, ''),"                                    \
    " (SELECT group_concat(rule_id, ',') FROM (SELECT rule_id FROM rules"      \
    "   WHERE record_id = r.id ORDER BY pos) o),"                              \
    " (SELECT group_concat(address || ' (' || roles || ')', ', ') FROM"        \
    "   (SELECT address, roles FROM recipients WHERE record_id = r.id"         \
    "    ORDER BY pos) o),"                                                    \
    " coalesce(r.sender_name, ''),"                                            \
    " (SELECT group_concat(title, '\n') FROM (SELECT title FROM rules"         \
    "   WHERE record_id = r.id ORDER BY pos) o),"                              \
    " (SELECT group_concat(coalesce(name, address) || ' (' || roles || ')',"   \
    "   ', ') FROM (SELECT name, address, roles FROM recipients"               \
    "   WHERE record_id = r.id ORDER BY pos) o),"                              \
    " (SELECT count(*) FROM audit WHERE record_id = r.id"                      \
    "   AND action = '" SG_STORE_RELEASE_REQUEST "'),"                         \
    " coalesce(r.school, '')"                                                  \
    " FROM records r "

/* The list's filters but the status, which picks the index
 * (sg_store_sql_list).  ?1 is the status, bound whether used or not. */
static const char list_where[] =
    " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM rules"
    "  WHERE record_id = r.id AND rule_id = ?2))"
    " AND (?3 IS NULL OR instr(lower(r.env_from), lower(?3)) > 0)"
    " AND (?4 = 0 OR r.created <= ?4)"
    " AND (?5 = 0 OR r.created >= ?5)"
    " AND (?6 = 0 OR r.status_changed >= ?6)"
    " AND (?9 = 0 OR (?9 & (1 << CASE r.track WHEN 'pupil-welfare'"
    "  THEN 1 ELSE 0 END)) != 0)" /* the bit of enum sg_track */
    " AND (?12 IS NULL OR r.school = ?12)";

_Static_assert(SG_TRACK_STAFF_CONDUCT == 0 && SG_TRACK_PUPIL_WELFARE == 1,
               "list_where numbers the tracks as enum sg_track does");

static void
fill_item(struct sg_sql_stmt *st, void *item, bool *oom)
{
    struct sg_store_item *it = item;
    it->id = col_str(st, 0, oom);
    it->queue_id = col_str(st, 1, oom);
    it->created = (time_t)col_int(st, 2);
    const char *status = sg_sql_text(st, 3);
    if (sg_store_status_parse(status, &it->status) < 0)
        it->status = SG_QSTATUS_HELD;
    it->status_changed = (time_t)col_int(st, 4);
    it->env_from = col_str(st, 5, oom);
    it->subject = col_str(st, 6, oom);
    it->rules = col_str(st, 7, oom);
    it->recipients = col_str(st, 8, oom);
    it->sender_name = col_str(st, 9, oom);
    it->rule_titles = col_str(st, 10, oom);
    it->recipient_names = col_str(st, 11, oom);
    it->requests = (size_t)col_int(st, 12);
    it->school = col_str(st, 13, oom);
}

int
sg_store_sql_list(void *be, const struct sg_store_filter *f,
                  struct sg_store_item **items_r, size_t *n_r,
                  const char **error_r)
{
    char sql[8192], cursor[96] = "";
    bool asc = f->oldest_first;
    /* a page before the cursor is read backwards from it, nearest first,
     * and put back in the list's order by the outer query */
    bool inner_asc = f->before ? !asc : asc;
    if (f->cursor_id != NULL)
        /* a row value: both databases seek it in the index, where OR-ed
         * terms would scan */
        snprintf(cursor, sizeof(cursor), " AND (r.created, r.id) %s (?10, ?13)",
                 inner_asc ? ">" : "<");
    const char *order = asc ? "ASC" : "DESC";
    const char *inner = inner_asc ? "ASC" : "DESC";
    /* Each status is read from the (status, created, id) index, in the
     * list's order from the cursor, so that a page of a status that is
     * rare (the waiting few among a year's decided records) does not
     * walk every record; any status from the (created, id) index.  The
     * waiting are two statuses: each read so, and the two merged (a
     * status IN (...) would read both whole to sort them).  Both
     * indexes are schema version 13's. */
    static const char *const any[] = {"1 = 1"};
    static const char *const one[] = {"r.status = ?1"};
    static const char *const waiting[] = {"r.status = 'held'",
                                          "r.status = 'escalated'"};
    const char *const *parts = f->any_status ? any : f->waiting ? waiting : one;
    size_t n_parts = f->waiting && !f->any_status ? 2 : 1;
    size_t len = (size_t)snprintf(sql, sizeof(sql),
                                  "%sWHERE r.id IN (SELECT u.id FROM (",
                                  ITEM_COLUMNS);
    for (size_t i = 0; i < n_parts && len < sizeof(sql); i++)
        len += (size_t)snprintf(
            sql + len, sizeof(sql) - len,
            "%sSELECT id, created FROM (SELECT r.id, r.created FROM records r"
            " WHERE %s%s%s ORDER BY r.created %s, r.id %s LIMIT ?11) p%zu",
            i > 0 ? " UNION ALL " : "", parts[i], list_where, cursor, inner,
            inner, i);
    /* the page's ids first, its columns then: the summaries' subqueries
     * run for the page's rows only, not for every row OFFSET skips */
    if (len < sizeof(sql))
        len += (size_t)snprintf(sql + len, sizeof(sql) - len,
                                ") u ORDER BY u.created %s, u.id %s"
                                " LIMIT ?7 OFFSET ?8)"
                                " ORDER BY r.created %s, r.id %s",
                                inner, inner, order, order);
    if (len >= sizeof(sql))
        return sg_store_fail(error_r, "cannot list the records: too long");
    struct spec q = {
        .sql = sql,
        .what = "cannot list the records",
        .elem = sizeof(struct sg_store_item),
        .fill = fill_item,
        .clear = sg_store_item_clear,
    };
    int64_t limit = f->limit > 0 ? (int64_t)f->limit : INT64_MAX;
    /* each part reads as far as the page's end */
    int64_t part_limit = limit <= INT64_MAX - (int64_t)f->offset
                             ? limit + (int64_t)f->offset
                             : INT64_MAX;
    struct params p = {
        .text = {f->any_status ? NULL
                 : f->waiting  ? "waiting"
                               : sg_store_status_name(f->status),
                 f->rule, f->sender != NULL && *f->sender ? f->sender : NULL},
        .n_text = 3,
        .num = {(int64_t)f->created_max, (int64_t)f->created_min,
                (int64_t)f->changed_min, limit, (int64_t)f->offset,
                (int64_t)f->tracks, (int64_t)f->cursor_created, part_limit},
        .n_num = 8,
        .tail = {f->school, f->cursor_id},
        .n_tail = 2,
    };
    return read_rows(be, &q, &p, (void **)items_r, n_r, error_r);
}

/* ------------------------------------------------------------ one record */

static void
fill_rcpt(struct sg_sql_stmt *st, void *item, bool *oom)
{
    struct sg_store_rcpt *p = item;
    p->address = col_str(st, 0, oom);
    p->roles = col_str(st, 1, oom);
    p->channel = col_str(st, 2, oom);
    p->name = col(st, 3, oom);
    p->upn = col(st, 4, oom);
}

int
sg_store_sql_rcpts(void *be, const char *record_id,
                   struct sg_store_rcpt **rows_r, size_t *n_r,
                   const char **error_r)
{
    static const struct spec q = {
        .sql = "SELECT address, roles, channel, name, upn FROM recipients"
               " WHERE record_id = ?1 ORDER BY pos",
        .what = "cannot read the recipients",
        .elem = sizeof(struct sg_store_rcpt),
        .fill = fill_rcpt,
        .clear = sg_store_rcpt_clear,
    };
    return read_by_id(be, &q, record_id, (void **)rows_r, n_r, error_r);
}

static void
fill_rule(struct sg_sql_stmt *st, void *item, bool *oom)
{
    struct sg_store_rule *u = item;
    u->id = col_str(st, 0, oom);
    u->title = col_str(st, 1, oom);
    u->policy = col_str(st, 2, oom);
    u->source = col_str(st, 3, oom);
    u->mode = col_str(st, 4, oom);
    u->action = col_str(st, 5, oom);
    u->recipients = col_str(st, 6, oom);
    u->notify = col_str(st, 7, oom);
    u->explain_sender = col_str(st, 8, oom);
    u->explain_dsl = col_str(st, 9, oom);
    u->category = col_str(st, 10, oom);
}

int
sg_store_sql_rules(void *be, const char *record_id,
                   struct sg_store_rule **rows_r, size_t *n_r,
                   const char **error_r)
{
    static const struct spec q = {
        .sql = "SELECT rule_id, title, policy, source, mode, action,"
               " recipients, notify, explain_sender, explain_dsl, category"
               " FROM rules"
               " WHERE record_id = ?1 ORDER BY pos",
        .what = "cannot read the rules",
        .elem = sizeof(struct sg_store_rule),
        .fill = fill_rule,
        .clear = sg_store_rule_clear,
    };
    return read_by_id(be, &q, record_id, (void **)rows_r, n_r, error_r);
}

static void
fill_finding(struct sg_sql_stmt *st, void *item, bool *oom)
{
    struct sg_store_finding *f = item;
    f->rule_id = col_str(st, 0, oom);
    f->detector = col_str(st, 1, oom);
    f->text = col_str(st, 2, oom);
    f->location = col_str(st, 3, oom);
}

int
sg_store_sql_findings(void *be, const char *record_id,
                      struct sg_store_finding **rows_r, size_t *n_r,
                      const char **error_r)
{
    static const struct spec q = {
        .sql = "SELECT f.rule_id, f.detector, f.text, f.location"
               " FROM findings f JOIN rules u ON u.record_id = f.record_id"
               "  AND u.rule_id = f.rule_id"
               " WHERE f.record_id = ?1 ORDER BY u.pos, f.pos",
        .what = "cannot read the findings",
        .elem = sizeof(struct sg_store_finding),
        .fill = fill_finding,
        .clear = sg_store_finding_clear,
    };
    return read_by_id(be, &q, record_id, (void **)rows_r, n_r, error_r);
}

static void
fill_audit(struct sg_sql_stmt *st, void *item, bool *oom)
{
    struct sg_store_audit_row *a = item;
    a->id = col_int(st, 0);
    a->record_id = col(st, 1, oom);
    a->time = (time_t)col_int(st, 2);
    a->actor = col_str(st, 3, oom);
    a->client = col(st, 4, oom);
    a->action = col_str(st, 5, oom);
    a->note = col(st, 6, oom);
}

int
sg_store_sql_audit_rows(void *be, const char *record_id, const char *action,
                        time_t since, struct sg_store_audit_row **rows_r,
                        size_t *n_r, const char **error_r)
{
    static const struct spec all = {
        .sql = "SELECT id, record_id, time, actor, client, action, note"
               " FROM audit WHERE (?1 IS NULL OR record_id = ?1)"
               " AND (?2 IS NULL OR action = ?2) AND time >= ?3 ORDER BY id",
        .what = "cannot read the audit table",
        .elem = sizeof(struct sg_store_audit_row),
        .fill = fill_audit,
        .clear = sg_store_audit_row_clear,
    };
    /* One record's rows by the (record_id, id) index: "?1 IS NULL OR"
     * keeps SQLite from using it, and the whole table was read for each
     * record (the queue's release request markers, a record's history). */
    static const struct spec one = {
        .sql = "SELECT id, record_id, time, actor, client, action, note"
               " FROM audit WHERE record_id = ?1"
               " AND (?2 IS NULL OR action = ?2) AND time >= ?3 ORDER BY id",
        .what = "cannot read the audit table",
        .elem = sizeof(struct sg_store_audit_row),
        .fill = fill_audit,
        .clear = sg_store_audit_row_clear,
    };
    const struct spec *q = record_id != NULL ? &one : &all;
    struct params p = {
        .text = {record_id, action},
        .n_text = 2,
        .num = {(int64_t)since},
        .n_num = 1,
    };
    return read_rows(be, q, &p, (void **)rows_r, n_r, error_r);
}

/* ------------------------------------------------------------ export */

static const char export_sql[] =
    "SELECT a.time, a.record_id, a.action, a.actor, a.client, a.note,"
    " r.created, r.env_from,"
    " CASE WHEN r.id IS NULL THEN NULL WHEN r.auth_user IS NOT NULL"
    "  THEN 'yes (' || r.auth_user || ')' WHEN r.trusted = 1"
    "  THEN 'trusted network' ELSE 'no' END,"
    " (SELECT group_concat(address || ' (' || roles || ')', '; ') FROM"
    "   (SELECT address, roles FROM recipients WHERE record_id = r.id"
    "    ORDER BY pos) o),"
    " (SELECT group_concat(rule_id || ': ' || title, '; ') FROM"
    "   (SELECT rule_id, title FROM rules WHERE record_id = r.id"
    "    ORDER BY pos) o),"
    " (SELECT group_concat(detector || ' \"' || text || '\" in '"
    "   || location, '; ') FROM (SELECT detector, text, location FROM"
    "   findings WHERE record_id = r.id ORDER BY rule_id, pos) o),"
    " r.subject, r.queue_id, r.status,"
    " CASE WHEN r.id IS NULL THEN 0 ELSE 1 END, r.track,"
    " coalesce(a.school, r.school)"
    " FROM audit a LEFT JOIN records r ON r.id = a.record_id"
    " WHERE a.time >= ?1 AND a.record_id IS NOT NULL AND a.action IN"
    " ('released', 'rejected', 'escalated', 'expired', 'lost', 'note',"
    " 'refused', 'delivered', 'archived')"
    " ORDER BY a.id";

#define TEXT(i) (sg_sql_text(st, (i)))

int
sg_store_sql_export(void *be, time_t since,
                    int (*each)(void *ctx,
                                const struct sg_store_export_row *row,
                                const char **error_r),
                    void *ctx, const char **error_r)
{
    int rc;
    struct sg_sql_stmt *st =
        sg_sql_prepare_one(be, export_sql, "cannot export", error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_int(st, 1, (int64_t)since);
    while ((rc = sg_sql_step(st, "cannot export", error_r)) > 0) {
        struct sg_store_export_row row = {
            .time = (time_t)col_int(st, 0),
            .record_id = TEXT(1),
            .action = TEXT(2),
            .actor = TEXT(3),
            .client = TEXT(4),
            .note = TEXT(5),
            .has_record = col_int(st, 15) != 0,
            .created = (time_t)col_int(st, 6),
            .env_from = TEXT(7),
            .authenticated = TEXT(8),
            .recipients = TEXT(9),
            .rules = TEXT(10),
            .findings = TEXT(11),
            .subject = TEXT(12),
            .queue_id = TEXT(13),
            .status = TEXT(14),
            .track = TEXT(16),
            .school = TEXT(17),
        };
        if (each(ctx, &row, error_r) < 0) {
            rc = -1;
            break;
        }
    }
    return sg_sql_finish(st, rc < 0 ? -1 : 0);
}

/* ------------------------------------------------------------ retention */

int
sg_store_sql_exists(void *be, const char *record_id, const char **error_r)
{
    struct sg_sql_stmt *st =
        sg_sql_prepare_one(be, "SELECT 1 FROM records WHERE id = ?1",
                           "cannot read a record", error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    return sg_sql_finish(st, sg_sql_step(st, "cannot read a record", error_r));
}

int
sg_store_sql_copy(void *be, const char *record_id, char **data_r, size_t *len_r,
                  const char **error_r)
{
    struct sg_store_sql *s = be;
    if (!s->drv->copies_in_db)
        return 0;
    struct sg_sql_stmt *st =
        sg_sql_prepare_one(be, "SELECT message FROM copies WHERE record_id = ?1",
                           "cannot read the message copy", error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    int rc = sg_sql_step(st, "cannot read the message copy", error_r);
    if (rc == 0)
        rc = sg_store_fail(error_r, "quarantine record %s has no copy",
                           record_id);
    if (rc > 0) {
        size_t n = 0;
        const void *p = sg_sql_blob(st, 0, &n);
        char *d = malloc(n + 1);
        if (d == NULL) {
            rc = sg_store_fail(error_r, "out of memory");
        } else {
            if (n > 0)
                memcpy(d, p, n);
            d[n] = '\0';
            *data_r = d;
            *len_r = n;
        }
    }
    return sg_sql_finish(st, rc);
}

struct id_path {
    char *id, *path;
};

static void
fill_id_path(struct sg_sql_stmt *st, void *item, bool *oom)
{
    struct id_path *p = item;
    p->id = col_str(st, 0, oom);
    p->path = col_str(st, 1, oom);
}

static void
clear_id_path(void *item)
{
    struct id_path *p = item;
    free(p->id);
    free(p->path);
}

int
sg_store_sql_decided_before(void *be, time_t cut, char ***ids_r,
                            char ***paths_r, size_t *n_r, const char **error_r)
{
    static const struct spec q = {
        .sql = "SELECT id, message_path FROM records"
               " WHERE status IN ('released', 'rejected', 'expired', 'lost',"
               " 'refused', 'delivered', 'archived')"
               " AND status_changed <= ?1 ORDER BY status_changed",
        .what = "cannot list records to purge",
        .elem = sizeof(struct id_path),
        .fill = fill_id_path,
        .clear = clear_id_path,
    };
    struct params p = {.num = {(int64_t)cut}, .n_num = 1};
    struct id_path *rows = NULL;
    size_t n = 0;
    if (read_rows(be, &q, &p, (void **)&rows, &n, error_r) < 0)
        return -1;
    /* hand the strings over as two vectors */
    char **ids = calloc(n + 1, sizeof(*ids));
    char **paths = calloc(n + 1, sizeof(*paths));
    if (ids == NULL || paths == NULL) {
        free(ids);
        free(paths);
        sg_store_array_free((void **)&rows, &n, sizeof(*rows), clear_id_path);
        return sg_store_fail(error_r, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = rows[i].id;
        paths[i] = rows[i].path;
    }
    free(rows);
    *ids_r = ids;
    *paths_r = paths;
    *n_r = n;
    return 0;
}
