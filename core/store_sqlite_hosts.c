/*
 * store_sqlite_hosts.c - the SQLite backend's part of several hosts, one
 * store (store_hosts.h): the local host's mark on new records, and the
 * decisions table (schema version 8, store_sqlite_schema.c).
 *
 * The host of a new record is set by a TEMP trigger on this connection
 * only (sg_store_hosts_set_local): each daemon's connection says its own
 * host, and the record, its rows and its host are one transaction, with
 * no change to how a hold is written.  The rows of decisions are written
 * by the schema's trigger when a status changes (so in that
 * transaction), and read, claimed and marked here.  A claim is one
 * UPDATE ... RETURNING, as the outbox's, so two daemons (or threads)
 * never get the same row.  Every statement is parameterised.
 *
 * Fails by returning -1 with the store's error string; never logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_person.h"
#include "store_hosts.h"
#include "store_sqlite_int.h"

#define fail      sg_store_fail
#define bind_text sg_store_sqlite_bind_text

/* The connection, locked, with sql prepared on it; NULL (and the lock
 * given back) when it cannot be prepared. */
static sqlite3_stmt *
prepare(struct sg_store_sqlite *s, const char *sql, const char **error_r)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sg_store_sqlite_fail_db(s, "decisions: cannot prepare a statement",
                                error_r);
        sqlite3_finalize(st);
        pthread_mutex_unlock(&s->lock);
        return NULL;
    }
    return st;
}

static int
finish(struct sg_store_sqlite *s, sqlite3_stmt *st, int r)
{
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return r;
}

static int
hosts_set_local(void *be, const char *host, const char **error_r)
{
    struct sg_store_sqlite *s = be;
    char *sql = sqlite3_mprintf(
        "DROP TRIGGER IF EXISTS temp.records_local_host;"
        "CREATE TEMP TRIGGER records_local_host AFTER INSERT ON main.records"
        " WHEN new.host IS NULL BEGIN"
        " UPDATE records SET host = %Q WHERE id = new.id; END;",
        host);
    if (sql == NULL)
        return fail(error_r, "out of memory");
    pthread_mutex_lock(&s->lock);
    int r = sg_store_sqlite_exec(s, sql, "cannot mark new records with the "
                                         "host name", error_r);
    pthread_mutex_unlock(&s->lock);
    sqlite3_free(sql);
    return r;
}

static int
hosts_record_host(void *be, const char *record_id, char **host_r,
                  const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st =
        prepare(s, "SELECT host FROM records WHERE id = ?1", error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    *host_r = NULL;
    int rc = sg_store_sqlite_step(s, st, "cannot read a record", error_r);
    if (rc == 0) {
        fail(error_r, "no quarantine record %s", record_id);
        return finish(s, st, SG_STORE_NOT_FOUND);
    }
    if (rc < 0)
        return finish(s, st, -1);
    bool oom = false;
    *host_r = sg_store_sqlite_col(st, 0, &oom);
    return finish(s, st, oom ? fail(error_r, "out of memory") : 0);
}

static int
hosts_host_ids(void *be, const char *host, bool waiting, time_t until,
               char ***ids_r, size_t *n_r, const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st = prepare(
        s,
        waiting ? "SELECT id FROM records WHERE status IN ('held', "
                  "'escalated') AND created <= ?2 AND (host = ?1 OR host IS "
                  "NULL) ORDER BY created, id"
                : "SELECT id FROM records WHERE host = ?1"
                  " ORDER BY created DESC, id DESC",
        error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, host);
    if (waiting)
        sqlite3_bind_int64(st, 2, (sqlite3_int64)until);
    *ids_r = NULL;
    *n_r = 0;
    int rc;
    while ((rc = sg_store_sqlite_step(s, st, "cannot list a host's records",
                                      error_r)) > 0) {
        if (sg_strv_push(ids_r, n_r,
                         (const char *)sqlite3_column_text(st, 0)) < 0) {
            rc = fail(error_r, "out of memory");
            break;
        }
    }
    if (rc < 0)
        sg_strv_free(ids_r, n_r);
    return finish(s, st, rc < 0 ? -1 : 0);
}

/* ------------------------------------------------------------ rows */

#define ROW_COLUMNS                                                            \
    "id, record_id, host, op, queue_id, created, attempts, next_attempt,"     \
    " claimed_at, done, outcome, last_error"

static int
read_row(sqlite3_stmt *st, struct sg_store_decision *d)
{
    bool oom = false;
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(st, 0);
    d->record_id = sg_store_sqlite_col_str(st, 1, &oom);
    d->host = sg_store_sqlite_col_str(st, 2, &oom);
    d->op = sg_store_sqlite_col_str(st, 3, &oom);
    d->queue_id = sg_store_sqlite_col_str(st, 4, &oom);
    d->created = (time_t)sqlite3_column_int64(st, 5);
    d->attempts = sqlite3_column_int(st, 6);
    d->next_attempt = (time_t)sqlite3_column_int64(st, 7);
    d->claimed_at = (time_t)sqlite3_column_int64(st, 8);
    d->done = (time_t)sqlite3_column_int64(st, 9);
    d->outcome = sg_store_sqlite_col(st, 10, &oom);
    d->last_error = sg_store_sqlite_col(st, 11, &oom);
    if (oom)
        sg_store_decision_clear(d);
    return oom ? -1 : 0;
}

/* A pending row is due when its time has come and nobody holds a claim
 * younger than the lease. */
#define DUE                                                                    \
    "host = ?2 AND done IS NULL AND next_attempt <= ?1 AND"                    \
    " (claimed_at IS NULL OR claimed_at <= ?1 - ?3)"

static int
hosts_claim(void *be, const char *host, time_t now, time_t lease,
            struct sg_store_decision *row_r, const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st =
        prepare(s,
                "UPDATE decisions SET claimed_at = ?1,"
                " attempts = attempts + 1 WHERE id ="
                " (SELECT id FROM decisions WHERE " DUE
                " ORDER BY id LIMIT 1) AND " DUE " RETURNING " ROW_COLUMNS,
                error_r);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
    bind_text(st, 2, host);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)lease);
    int rc = sg_store_sqlite_step(s, st, "cannot claim a decision", error_r);
    if (rc <= 0)
        return finish(s, st, rc < 0 ? -1 : SG_STORE_NOT_FOUND);
    if (read_row(st, row_r) < 0)
        return finish(s, st, fail(error_r, "out of memory"));
    if (sg_store_sqlite_step(s, st, "cannot claim a decision", error_r) != 0) {
        sg_store_decision_clear(row_r);
        return finish(s, st, -1);
    }
    return finish(s, st, 0);
}

/* One change: ?1..?3 text (NULL: SQL NULL), ?4 ?5 numbers; a parameter
 * the statement does not use is bound to nothing. */
static int
update(struct sg_store_sqlite *s, const char *sql, const char *t1,
       const char *t2, const char *t3, sqlite3_int64 n4, sqlite3_int64 n5,
       const char *what, const char **error_r)
{
    sqlite3_stmt *st = prepare(s, sql, error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, t1);
    bind_text(st, 2, t2);
    bind_text(st, 3, t3);
    sqlite3_bind_int64(st, 4, n4);
    sqlite3_bind_int64(st, 5, n5);
    int rc = sg_store_sqlite_step(s, st, what, error_r);
    return finish(s, st, rc < 0 ? -1 : 0);
}

static int
hosts_done(void *be, int64_t id, time_t now, const char *outcome,
           const char **error_r)
{
    return update(be,
                  "UPDATE decisions SET done = ?4, outcome = ?1,"
                  " claimed_at = NULL WHERE id = ?5 AND done IS NULL",
                  outcome, NULL, NULL, (sqlite3_int64)now, id,
                  "cannot mark a decision done", error_r);
}

static int
hosts_retry(void *be, int64_t id, time_t next, const char *why,
            const char **error_r)
{
    return update(be,
                  "UPDATE decisions SET next_attempt = ?4, last_error = ?1,"
                  " claimed_at = NULL WHERE id = ?5 AND done IS NULL",
                  why, NULL, NULL, (sqlite3_int64)next, id,
                  "cannot mark a decision for a retry", error_r);
}

static int
hosts_settle(void *be, const char *record_id, const char *host, time_t now,
             const char *outcome, const char **error_r)
{
    return update(be,
                  "UPDATE decisions SET done = ?4, outcome = ?3,"
                  " claimed_at = NULL WHERE record_id = ?1 AND host = ?2"
                  " AND done IS NULL",
                  record_id, host, outcome, (sqlite3_int64)now, 0,
                  "cannot mark a decision done", error_r);
}

static int
hosts_pending(void *be, const char *record_id, const char *host,
              const char *op, const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st = prepare(s,
                               "SELECT count(*) FROM decisions WHERE"
                               " record_id = ?1 AND host = ?2 AND op = ?3"
                               " AND done IS NULL",
                               error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    bind_text(st, 2, host);
    bind_text(st, 3, op);
    int rc = sg_store_sqlite_step(s, st, "cannot read the decisions", error_r);
    if (rc > 0)
        rc = sqlite3_column_int64(st, 0) > 0 ? 1 : 0;
    else if (rc == 0)
        rc = fail(error_r, "cannot read the decisions: no count");
    return finish(s, st, rc);
}

static int
hosts_of_record(void *be, const char *record_id,
                struct sg_store_decision **rows_r, size_t *n_r,
                const char **error_r)
{
    struct sg_store_sqlite *s = be;
    *rows_r = NULL;
    *n_r = 0;
    sqlite3_stmt *st = prepare(s,
                               "SELECT " ROW_COLUMNS " FROM decisions"
                               " WHERE record_id = ?1 ORDER BY id",
                               error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    int rc;
    while ((rc = sg_store_sqlite_step(s, st, "cannot read the decisions",
                                      error_r)) > 0) {
        struct sg_store_decision *grown =
            realloc(*rows_r, (*n_r + 1) * sizeof(**rows_r));
        if (grown == NULL || read_row(st, &grown[*n_r]) < 0) {
            if (grown != NULL)
                *rows_r = grown;
            rc = fail(error_r, "out of memory");
            break;
        }
        *rows_r = grown;
        (*n_r)++;
    }
    if (rc < 0)
        sg_store_decisions_free(rows_r, n_r);
    return finish(s, st, rc < 0 ? -1 : 0);
}

/* ------------------------------------------------------------ reinject */

/* Run one bound statement in the open transaction: 0 or -1. */
static int
run_bound(struct sg_store_sqlite *s, const char *sql, const char *const *t,
          size_t n_t, sqlite3_int64 num, const char *what,
          const char **error_r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sg_store_sqlite_fail_db(s, what, error_r);
    for (size_t i = 0; i < n_t; i++)
        bind_text(st, (int)i + 1, t[i]);
    sqlite3_bind_int64(st, (int)n_t + 1, num);
    int rc = sg_store_sqlite_step(s, st, what, error_r);
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* The one integer a bound query returns, in the open transaction. */
static int
query_num(struct sg_store_sqlite *s, const char *sql, const char *t1,
          sqlite3_int64 *v_r, const char **error_r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sg_store_sqlite_fail_db(s, "cannot read a record", error_r);
    bind_text(st, 1, t1);
    int rc = sg_store_sqlite_step(s, st, "cannot read a record", error_r);
    *v_r = rc > 0 ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* Begin a write: the lock, and BEGIN IMMEDIATE. */
static int
begin(struct sg_store_sqlite *s, const char **error_r)
{
    pthread_mutex_lock(&s->lock);
    if (sg_store_sqlite_exec(s, "BEGIN IMMEDIATE",
                             "cannot start a transaction", error_r) < 0) {
        pthread_mutex_unlock(&s->lock);
        return -1;
    }
    return 0;
}

/* Commit when r is 0, else roll back; the lock given back; r (or -1). */
static int
end(struct sg_store_sqlite *s, int r, const char **error_r)
{
    if (r == 0 &&
        sg_store_sqlite_exec(s, "COMMIT", "cannot commit", error_r) < 0)
        r = -1;
    if (r != 0)
        sg_store_sqlite_rollback(s);
    pthread_mutex_unlock(&s->lock);
    return r;
}

#define AUDIT_SQL                                                              \
    "INSERT INTO audit (record_id, actor, client, action, note, time)"       \
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"

static int
hosts_reinject_mark(void *be, const char *record_id, const char *host,
                    const char *queue_id, const char *actor,
                    const char *client, const char *note,
                    const char **error_r)
{
    struct sg_store_sqlite *s = be;
    time_t now = time(NULL);
    if (begin(s, error_r) < 0)
        return -1;
    sqlite3_int64 released = -1;
    int r = query_num(s,
                      "SELECT status = 'released' FROM records WHERE id = ?1",
                      record_id, &released, error_r);
    if (r == 0 && released < 0) {
        fail(error_r, "no quarantine record %s", record_id);
        r = SG_STORE_NOT_FOUND;
    } else if (r == 0 && released == 0) {
        fail(error_r, "quarantine record %s is not released", record_id);
        r = SG_STORE_WRONG_STATUS;
    }
    const char *sup[] = {record_id, "superseded: sent again from another "
                                    "host (reinject)"};
    const char *ins[] = {record_id, host, queue_id};
    const char *aud[] = {record_id, actor, client, "reinjected", note};
    if (r == 0)
        r = run_bound(s,
                      "UPDATE decisions SET done = ?3, outcome = ?2,"
                      " claimed_at = NULL WHERE record_id = ?1"
                      " AND done IS NULL",
                      sup, 2, (sqlite3_int64)now,
                      "cannot mark the decisions superseded", error_r);
    if (r == 0)
        r = run_bound(s,
                      "INSERT INTO decisions (record_id, host, op, queue_id,"
                      " created, next_attempt) VALUES (?1, ?2, 'delete', ?3,"
                      " ?4, ?4)",
                      ins, 3, (sqlite3_int64)now,
                      "cannot add the decision to delete", error_r);
    if (r == 0)
        r = run_bound(s, AUDIT_SQL, aud, 5, (sqlite3_int64)now,
                      "cannot append the audit row", error_r);
    return end(s, r, error_r);
}

static int
hosts_reinject_take(void *be, const char *record_id, const char *host,
                    const char **error_r)
{
    struct sg_store_sqlite *s = be;
    time_t now = time(NULL);
    if (begin(s, error_r) < 0)
        return -1;
    /* the latest reinject, and whether a filter took it after it */
    sqlite3_int64 open = -1;
    int r = query_num(
        s,
        "SELECT coalesce((SELECT max(id) FROM audit WHERE record_id = ?1"
        " AND action = 'reinjected'), 0) > coalesce((SELECT max(id) FROM"
        " audit WHERE record_id = ?1 AND action = 'reinject-accepted'), 0)"
        " AND (SELECT status FROM records WHERE id = ?1) = 'released'",
        record_id, &open, error_r);
    if (r == 0 && open != 1) {
        fail(error_r,
             "record %s was not re-injected, or its copy was taken already",
             record_id);
        r = SG_STORE_WRONG_STATUS;
    }
    const char *aud[] = {record_id, SG_STORE_HOLD_ACTOR, host,
                         "reinject-accepted",
                         "the re-injected copy passed the filter"};
    if (r == 0)
        r = run_bound(s, AUDIT_SQL, aud, 5, (sqlite3_int64)now,
                      "cannot append the audit row", error_r);
    return end(s, r, error_r);
}

const struct sg_store_hosts_backend sg_store_sqlite_hosts = {
    .set_local = hosts_set_local,
    .record_host = hosts_record_host,
    .host_ids = hosts_host_ids,
    .claim = hosts_claim,
    .done = hosts_done,
    .retry = hosts_retry,
    .settle = hosts_settle,
    .pending = hosts_pending,
    .of_record = hosts_of_record,
    .reinject_mark = hosts_reinject_mark,
    .reinject_take = hosts_reinject_take,
};
