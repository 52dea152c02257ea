/*
 * store_sql_retention.c - retention classes, legal holds and expiry
 * tombstones (store.h), for every driver through the SQL layer, on the
 * columns and the table of the retention step of the schema
 * (store_sql.c).
 *
 * The class is worked out in SQL from the record's status and track, so
 * that one statement gives every decided record its class and date, and
 * the rule is written once: released is a false positive; rejected is a
 * concern, on the track of its rule (pupil-welfare, else staff-conduct)
 * or of the class a matched rule names (rules.retention, the rules'
 * "retention" key), the longer kept of those; anything else decided
 * (refused, delivered, archived, expired unread, lost) is a record with
 * no concern, whatever a rule names: no one found a concern in it.
 *
 * A tombstone is made in one transaction: the checks (due, not on hold,
 * not one already) and every deletion, so that a record is never half
 * emptied and a hold placed meanwhile wins.  The message file on SQLite
 * is removed by the caller after the commit (store.h); the copy kept in
 * the database (PostgreSQL) goes with the record's rows.
 *
 * Every statement is parameterised.  Fails by returning -1 with the
 * store's error string; never logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_person.h"
#include "store_int.h"
#include "store_sql.h"

#define fail sg_store_fail

/* The SQL layer's backend of q, or NULL (with the error) for another. */
static struct sg_store_sql *
sql_of(struct sg_store *q, const char **error_r)
{
    void *bs = NULL;
    if (sg_store_backend_of(q, &bs) != &sg_store_sql) {
        fail(error_r, "retention: this store keeps no retention");
        return NULL;
    }
    return bs;
}

/* Run one write in the open transaction with the record id as ?1 and,
 * when with_time, t as ?2: 0 and *changed_r (may be NULL), or -1.  The
 * driver's step, as every write's (a test's injected failure is for
 * reads, store_sql.c). */
static int
run(struct sg_sql_conn *c, const char *sql, const char *id, bool with_time,
    int64_t t, const char *what, int64_t *changed_r, const char **error_r)
{
    struct sg_sql_stmt *st = sg_sql_prepare(c, sql, what, error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_text(st, 1, id);
    if (with_time)
        sg_sql_bind_int(st, 2, t);
    int r = 0;
    if (c->s->drv->step(st) != 0)
        r = sg_sql_fail(c, what, error_r);
    else if (changed_r != NULL)
        *changed_r = sg_sql_changes(st);
    sg_sql_finalize(st);
    return r;
}

#define audit sg_store_sql_audit_on

/* ids of a query with the text parameters t (n_t of them) and, after
 * them, the number num when with_num (free with sg_strv_free). */
static int
query_ids(struct sg_store_sql *s, const char *sql, const char *const *t,
          size_t n_t, bool with_num, int64_t num, const char *what,
          char ***ids_r, size_t *n_r, const char **error_r)
{
    *ids_r = NULL;
    *n_r = 0;
    struct sg_sql_stmt *st = sg_sql_prepare_one(s, sql, what, error_r);
    if (st == NULL)
        return -1;
    for (size_t i = 0; i < n_t; i++)
        sg_sql_bind_text(st, (int)i + 1, t[i]);
    if (with_num)
        sg_sql_bind_int(st, (int)n_t + 1, num);
    int rc;
    while ((rc = sg_sql_step(st, what, error_r)) > 0)
        if (sg_strv_push(ids_r, n_r, sg_sql_text(st, 0)) < 0) {
            rc = fail(error_r, "out of memory");
            break;
        }
    if (rc < 0)
        sg_strv_free(ids_r, n_r);
    return sg_sql_finish(st, rc < 0 ? -1 : 0);
}

/* ------------------------------------------------------------ classes */

int
sg_store_retention_assign(struct sg_store *q,
                          const struct sg_store_retention *d,
                          const char *record_id, size_t *n_r,
                          const char **error_r)
{
    /* a concern's class: ?2, the concern class kept longer, when the
     * record's track or one of its rules names it; else ?3, the other */
    static const char class_sql[] =
        "UPDATE records SET retention_class = CASE"
        " WHEN status = 'released' THEN '" SG_RETENTION_RELEASED "'"
        " WHEN status = 'rejected' AND ((CASE WHEN track = 'pupil-welfare'"
        "  THEN '" SG_RETENTION_WELFARE "' ELSE '" SG_RETENTION_CONDUCT "'"
        "  END) = ?2 OR EXISTS (SELECT 1 FROM rules u"
        "  WHERE u.record_id = records.id AND u.retention = ?2))"
        "  THEN ?2"
        " WHEN status = 'rejected' THEN ?3"
        " ELSE '" SG_RETENTION_NO_CONCERN "' END"
        " WHERE retention_class IS NULL AND tombstoned IS NULL"
        " AND status NOT IN ('held', 'escalated')"
        " AND (?1 = '' OR id = ?1)";
    /* the class's period; 0: it never expires, and its rows are left
     * alone (not written again at every run) */
#define PERIOD                                                                 \
    " CASE retention_class WHEN '" SG_RETENTION_RELEASED "' THEN ?2"           \
    " WHEN '" SG_RETENTION_CONDUCT "' THEN ?4"                                 \
    " WHEN '" SG_RETENTION_WELFARE "' THEN ?5 ELSE ?3 END"
    static const char expires_sql[] =
        "UPDATE records SET expires = status_changed +" PERIOD
        " WHERE expires IS NULL AND retention_class IS NOT NULL"
        " AND tombstoned IS NULL AND (?1 = '' OR id = ?1)"
        " AND" PERIOD " <> 0";
#undef PERIOD
    struct sg_store_sql *s = sql_of(q, error_r);
    if (s == NULL)
        return -1;
    const char *id = record_id != NULL ? record_id : "";
    struct sg_sql_conn *c = sg_sql_write_begin(s, error_r);
    if (c == NULL)
        return -1;
    /* kept longer: never expiring (0), else the more days; welfare on a
     * tie, the class that protects a child */
    bool welfare_longer = d->welfare == 0 ||
                          (d->conduct != 0 && d->welfare >= d->conduct);
    int64_t n = 0;
    int r = 0;
    struct sg_sql_stmt *st =
        sg_sql_prepare(c, class_sql, "cannot give records a class", error_r);
    if (st == NULL) {
        r = -1;
    } else {
        sg_sql_bind_text(st, 1, id);
        sg_sql_bind_text(st, 2, welfare_longer ? SG_RETENTION_WELFARE
                                               : SG_RETENTION_CONDUCT);
        sg_sql_bind_text(st, 3, welfare_longer ? SG_RETENTION_CONDUCT
                                               : SG_RETENTION_WELFARE);
        if (c->s->drv->step(st) != 0)
            r = sg_sql_fail(c, "cannot give records a class", error_r);
        else
            n = sg_sql_changes(st);
        sg_sql_finalize(st);
        st = NULL;
    }
    if (r == 0 && (st = sg_sql_prepare(c, expires_sql,
                                       "cannot date the records' expiry",
                                       error_r)) == NULL)
        r = -1;
    if (r == 0) {
        sg_sql_bind_text(st, 1, id);
        sg_sql_bind_int(st, 2, d->released);
        sg_sql_bind_int(st, 3, d->no_concern);
        sg_sql_bind_int(st, 4, d->conduct);
        sg_sql_bind_int(st, 5, d->welfare);
        if (c->s->drv->step(st) != 0)
            r = sg_sql_fail(c, "cannot date the records' expiry", error_r);
    }
    sg_sql_finalize(st);
    r = sg_sql_write_end(c, r, error_r);
    if (r == 0 && n_r != NULL)
        *n_r = (size_t)n;
    return r;
}

void
sg_store_retention_info_clear(struct sg_store_retention_info *info)
{
    free(info->retention_class);
    free(info->hold_by);
    free(info->hold_reason);
    memset(info, 0, sizeof(*info));
}

int
sg_store_retention_info(struct sg_store *q, const char *record_id,
                        struct sg_store_retention_info *info_r,
                        const char **error_r)
{
    static const char sql[] =
        "SELECT r.retention_class, r.expires, r.tombstoned, h.placed,"
        " h.placed_by, h.reason FROM records r"
        " LEFT JOIN legal_holds h ON h.record_id = r.id AND h.lifted IS NULL"
        " WHERE r.id = ?1 ORDER BY h.id LIMIT 1";
    memset(info_r, 0, sizeof(*info_r));
    struct sg_store_sql *s = sql_of(q, error_r);
    if (s == NULL)
        return -1;
    struct sg_sql_stmt *st =
        sg_sql_prepare_one(s, sql, "cannot read a record's retention", error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_text(st, 1, record_id);
    int rc = sg_sql_step(st, "cannot read a record's retention", error_r);
    if (rc == 0) {
        fail(error_r, "no quarantine record %s", record_id);
        return sg_sql_finish(st, SG_STORE_NOT_FOUND);
    }
    if (rc < 0)
        return sg_sql_finish(st, -1);
    bool oom = false;
    info_r->retention_class = sg_sql_col(st, 0, &oom);
    info_r->expires = (time_t)sg_sql_int(st, 1);
    info_r->tombstoned = (time_t)sg_sql_int(st, 2);
    info_r->on_hold = sg_sql_text(st, 4) != NULL;
    info_r->hold_placed = (time_t)sg_sql_int(st, 3);
    info_r->hold_by = sg_sql_col(st, 4, &oom);
    info_r->hold_reason = sg_sql_col(st, 5, &oom);
    if (oom) {
        sg_store_retention_info_clear(info_r);
        return sg_sql_finish(st, fail(error_r, "out of memory"));
    }
    return sg_sql_finish(st, 0);
}

/* ------------------------------------------------------------ expiry */

/* A record with an open legal hold (r: the records row). */
#define ON_HOLD                                                                \
    "EXISTS (SELECT 1 FROM legal_holds h WHERE h.record_id = r.id"             \
    " AND h.lifted IS NULL)"

int
sg_store_expired_ids(struct sg_store *q, time_t now, char ***ids_r,
                     size_t *n_r, const char **error_r)
{
    struct sg_store_sql *s = sql_of(q, error_r);
    if (s == NULL)
        return -1;
    return query_ids(s,
                     "SELECT r.id FROM records r WHERE r.expires <= ?1"
                     " AND r.tombstoned IS NULL AND NOT " ON_HOLD
                     " ORDER BY r.expires, r.id",
                     NULL, 0, true, (int64_t)now,
                     "cannot list the expired records", ids_r, n_r, error_r);
}

/* What the tombstone keeps of a record: the id, queue id, dates, status,
 * class, size and the rules' ids and texts (the rules file's, no
 * person's); everything naming or written by a person goes. */
static const char *const tombstone_sql[] = {
    "DELETE FROM findings WHERE record_id = ?1",
    "DELETE FROM recipients WHERE record_id = ?1",
    "UPDATE rules SET recipients = '', explain_sender = NULL,"
    " explain_dsl = NULL WHERE record_id = ?1",
    "DELETE FROM outbox WHERE record_id = ?1",
    "UPDATE legal_holds SET reason = '', lift_note = NULL"
    " WHERE record_id = ?1",
    "UPDATE records SET client = NULL, auth_user = NULL, env_from = '',"
    " subject = NULL, message_path = NULL, explain_sender = '',"
    " explain_dsl = '', sender_name = NULL, tombstoned = ?2"
    " WHERE id = ?1",
    /* after tombstoned is set: the audit's trigger allows this alone */
    "UPDATE audit SET note = NULL WHERE record_id = ?1 AND note IS NOT NULL",
};

/* Is record_id due (1), or why not (*error_r): 0 and *path_r, or
 * SG_STORE_WRONG_STATUS, SG_STORE_NOT_FOUND, -1. */
static int
tombstone_check(struct sg_sql_conn *c, const char *record_id, time_t now,
                char **path_r, char **class_r, const char **error_r)
{
    static const char sql[] =
        "SELECT CASE WHEN r.tombstoned IS NOT NULL THEN 1"
        " WHEN " ON_HOLD " THEN 2"
        " WHEN r.expires IS NULL OR r.expires > ?2 THEN 3 ELSE 0 END,"
        " r.message_path, r.retention_class FROM records r WHERE r.id = ?1";
    static const char *const why[] = {
        NULL, "is expired already", "is on a legal hold", "is not yet due"};
    struct sg_sql_stmt *st =
        sg_sql_prepare(c, sql, "cannot read a record's retention", error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_text(st, 1, record_id);
    sg_sql_bind_int(st, 2, (int64_t)now);
    int rc = sg_sql_step(st, "cannot read a record's retention", error_r), r;
    if (rc < 0) {
        r = -1;
    } else if (rc == 0) {
        r = SG_STORE_NOT_FOUND;
        fail(error_r, "no quarantine record %s", record_id);
    } else {
        int64_t k = sg_sql_int(st, 0);
        bool oom = false;
        r = 0;
        if (k > 0 && k < 4) {
            r = SG_STORE_WRONG_STATUS;
            fail(error_r, "quarantine record %s %s", record_id, why[k]);
        } else if ((*path_r = sg_sql_col(st, 1, &oom)),
                   (*class_r = sg_sql_col(st, 2, &oom)), oom) {
            r = fail(error_r, "out of memory");
        }
    }
    sg_sql_finalize(st);
    return r;
}

int
sg_store_tombstone(struct sg_store *q, const char *record_id, time_t now,
                   const char *actor, char **path_r, const char **error_r)
{
    *path_r = NULL;
    struct sg_store_sql *s = sql_of(q, error_r);
    if (s == NULL)
        return -1;
    struct sg_sql_conn *c = sg_sql_acquire(s, error_r);
    if (c == NULL)
        return -1;
    /* SQLite keeps deleted rows in free pages until they are reused:
     * overwrite them, so that what expiry deletes is gone from the file
     * (a setting of this connection; PostgreSQL's VACUUM reclaims) */
    if ((s->drv == &sg_sql_sqlite &&
         sg_sql_exec(c, "PRAGMA secure_delete = ON",
                     "cannot overwrite deleted rows", error_r) < 0) ||
        sg_sql_begin(c, error_r) < 0) {
        sg_sql_release(c);
        return -1;
    }
    char *path = NULL, *cls = NULL;
    int r = tombstone_check(c, record_id, now, &path, &cls, error_r);
    for (size_t i = 0;
         r == 0 && i < sizeof(tombstone_sql) / sizeof(*tombstone_sql); i++)
        r = run(c, tombstone_sql[i], record_id, strstr(tombstone_sql[i], "?2") != NULL,
                (int64_t)now, "cannot expire a record", NULL, error_r);
    if (r == 0 && c->s->drv->copies_in_db)
        r = run(c, "DELETE FROM copies WHERE record_id = ?1", record_id, false,
                0, "cannot expire a record's copy", NULL, error_r);
    char note[160];
    snprintf(note, sizeof(note),
             "retention period of class %s ended: personal data deleted",
             cls != NULL ? cls : "?");
    if (r == 0)
        r = audit(c, record_id, now, actor, NULL, "retention-expired", note,
                  error_r);
    free(cls);
    r = sg_sql_write_end(c, r, error_r);
    if (r == 0)
        *path_r = path;
    else
        free(path);
    return r;
}

/* ------------------------------------------------------------ holds */

/* No hold was placed or lifted: say why, on c (in its transaction). */
static int
why_not(struct sg_sql_conn *c, const char *record_id, bool lift,
        const char **error_r)
{
    struct sg_sql_stmt *st = sg_sql_prepare(
        c, "SELECT 1 FROM records WHERE id = ?1", "cannot read a record",
        error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_text(st, 1, record_id);
    int rc = sg_sql_step(st, "cannot read a record", error_r);
    sg_sql_finalize(st);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        fail(error_r, "no quarantine record %s", record_id);
        return SG_STORE_NOT_FOUND;
    }
    fail(error_r, lift ? "quarantine record %s is not on a legal hold"
                       : "quarantine record %s is on a legal hold already, "
                         "or expired",
         record_id);
    return SG_STORE_WRONG_STATUS;
}

/* Place (lift false) or lift a hold in one transaction with its audit
 * row (text: the reason or the note). */
static int
hold_change(struct sg_store *q, const char *record_id, bool lift,
            const char *actor, const char *client, const char *text,
            const char **error_r)
{
    static const char place_sql[] =
        "INSERT INTO legal_holds (record_id, placed, placed_by, reason)"
        " SELECT id, ?2, ?3, ?4 FROM records r WHERE id = ?1"
        " AND tombstoned IS NULL AND NOT " ON_HOLD;
    static const char lift_sql[] =
        "UPDATE legal_holds SET lifted = ?2, lifted_by = ?3, lift_note = ?4"
        " WHERE record_id = ?1 AND lifted IS NULL";
    struct sg_store_sql *s = sql_of(q, error_r);
    if (s == NULL)
        return -1;
    if (actor == NULL || text == NULL || *text == '\0')
        return fail(error_r, "legal hold: %s", actor == NULL
                                                   ? "no actor"
                                                   : "a reason or note is "
                                                     "required");
    time_t now = time(NULL);
    struct sg_sql_conn *c = sg_sql_write_begin(s, error_r);
    if (c == NULL)
        return -1;
    const char *what = lift ? "cannot lift a legal hold"
                            : "cannot place a legal hold";
    int r = 0;
    struct sg_sql_stmt *st =
        sg_sql_prepare(c, lift ? lift_sql : place_sql, what, error_r);
    if (st == NULL)
        r = -1;
    if (r == 0) {
        sg_sql_bind_text(st, 1, record_id);
        sg_sql_bind_int(st, 2, (int64_t)now);
        sg_sql_bind_text(st, 3, actor);
        sg_sql_bind_text(st, 4, text);
        if (c->s->drv->step(st) != 0)
            r = sg_sql_fail(c, what, error_r);
        else if (sg_sql_changes(st) == 0)
            r = why_not(c, record_id, lift, error_r);
    }
    sg_sql_finalize(st);
    if (r == 0)
        r = audit(c, record_id, now, actor, client,
                  lift ? "legal-hold-lifted" : "legal-hold", text, error_r);
    return sg_sql_write_end(c, r, error_r);
}

int
sg_store_legal_hold(struct sg_store *q, const char *record_id,
                    const char *actor, const char *client, const char *reason,
                    const char **error_r)
{
    return hold_change(q, record_id, false, actor, client, reason, error_r);
}

int
sg_store_legal_lift(struct sg_store *q, const char *record_id,
                    const char *actor, const char *client, const char *note,
                    const char **error_r)
{
    return hold_change(q, record_id, true, actor, client, note, error_r);
}

int
sg_store_party_ids(struct sg_store *q, const char *address, char ***ids_r,
                   size_t *n_r, const char **error_r)
{
    struct sg_store_sql *s = sql_of(q, error_r);
    if (s == NULL)
        return -1;
    const char *t[] = {address};
    return query_ids(s,
                     "SELECT r.id FROM records r WHERE r.tombstoned IS NULL"
                     " AND (lower(r.env_from) = lower(?1) OR EXISTS"
                     " (SELECT 1 FROM recipients p WHERE p.record_id = r.id"
                     " AND lower(p.address) = lower(?1)))"
                     " ORDER BY r.created, r.id",
                     t, 1, false, 0, "cannot list a person's records", ids_r,
                     n_r, error_r);
}
