/*
 * store_sql_hosts.c - the SQL layer's part of several hosts, one store
 * (store_hosts.h), for every driver: the local host's mark on new
 * records, and the decisions table (schema version 8, store_sql.c).
 *
 * The host of a new record is the store's (sg_store_hosts_set_local
 * keeps it; the hold's INSERT writes it), so the record, its rows and its
 * host are one transaction.  The rows of decisions are written
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
#include "store_sql.h"

#define fail      sg_store_fail
#define bind_text sg_sql_bind_text
#define bind_int  sg_sql_bind_int

/* One statement on a connection of its own (store_sql.h). */
static struct sg_sql_stmt *
prepare(void *be, const char *sql, const char **error_r)
{
    return sg_sql_prepare_one(be, sql, "decisions: cannot prepare a statement",
                              error_r);
}

#define finish sg_sql_finish
#define begin  sg_sql_write_begin
#define end    sg_sql_write_end

static int
hosts_set_local(void *be, const char *host, const char **error_r)
{
    struct sg_store_sql *s = be;
    char *copy = strdup(host);
    if (copy == NULL)
        return fail(error_r, "out of memory");
    pthread_mutex_lock(&s->lock);
    free(s->host);
    s->host = copy;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static int
hosts_record_host(void *be, const char *record_id, char **host_r,
                  const char **error_r)
{
    struct sg_sql_stmt *st =
        prepare(be, "SELECT host FROM records WHERE id = ?1", error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    *host_r = NULL;
    int rc = sg_sql_step(st, "cannot read a record", error_r);
    if (rc == 0) {
        fail(error_r, "no quarantine record %s", record_id);
        return finish(st, SG_STORE_NOT_FOUND);
    }
    if (rc < 0)
        return finish(st, -1);
    bool oom = false;
    *host_r = sg_sql_col(st, 0, &oom);
    return finish(st, oom ? fail(error_r, "out of memory") : 0);
}

static int
hosts_host_ids(void *be, const char *host, bool waiting, time_t until,
               char ***ids_r, size_t *n_r, const char **error_r)
{
    struct sg_sql_stmt *st = prepare(
        be,
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
        bind_int(st, 2, (int64_t)until);
    *ids_r = NULL;
    *n_r = 0;
    int rc;
    while ((rc = sg_sql_step(st, "cannot list a host's records",
                                      error_r)) > 0) {
        if (sg_strv_push(ids_r, n_r,
                         sg_sql_text(st, 0)) < 0) {
            rc = fail(error_r, "out of memory");
            break;
        }
    }
    if (rc < 0)
        sg_strv_free(ids_r, n_r);
    return finish(st, rc < 0 ? -1 : 0);
}

/* ------------------------------------------------------------ rows */

#define ROW_COLUMNS                                                            \
    "id, record_id, host, op, queue_id, created, attempts, next_attempt,"     \
    " claimed_at, done, outcome, last_error"

static int
read_row(struct sg_sql_stmt *st, struct sg_store_decision *d)
{
    bool oom = false;
    memset(d, 0, sizeof(*d));
    d->id = sg_sql_int(st, 0);
    d->record_id = sg_sql_col_str(st, 1, &oom);
    d->host = sg_sql_col_str(st, 2, &oom);
    d->op = sg_sql_col_str(st, 3, &oom);
    d->queue_id = sg_sql_col_str(st, 4, &oom);
    d->created = (time_t)sg_sql_int(st, 5);
    d->attempts = (int)sg_sql_int(st, 6);
    d->next_attempt = (time_t)sg_sql_int(st, 7);
    d->claimed_at = (time_t)sg_sql_int(st, 8);
    d->done = (time_t)sg_sql_int(st, 9);
    d->outcome = sg_sql_col(st, 10, &oom);
    d->last_error = sg_sql_col(st, 11, &oom);
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
    struct sg_sql_stmt *st =
        prepare(be,
                "UPDATE decisions SET claimed_at = ?1,"
                " attempts = attempts + 1 WHERE id ="
                " (SELECT id FROM decisions WHERE " DUE
                " ORDER BY id LIMIT 1) AND " DUE " RETURNING " ROW_COLUMNS,
                error_r);
    if (st == NULL)
        return -1;
    bind_int(st, 1, (int64_t)now);
    bind_text(st, 2, host);
    bind_int(st, 3, (int64_t)lease);
    int rc = sg_sql_step(st, "cannot claim a decision", error_r);
    if (rc <= 0)
        return finish(st, rc < 0 ? -1 : SG_STORE_NOT_FOUND);
    if (read_row(st, row_r) < 0)
        return finish(st, fail(error_r, "out of memory"));
    if (sg_sql_step(st, "cannot claim a decision", error_r) != 0) {
        sg_store_decision_clear(row_r);
        return finish(st, -1);
    }
    return finish(st, 0);
}

/* One change: ?1..?3 text (NULL: SQL NULL), ?4 ?5 numbers; a parameter
 * the statement does not use is bound to nothing. */
static int
update(void *be, const char *sql, const char *t1,
       const char *t2, const char *t3, int64_t n4, int64_t n5,
       const char *what, const char **error_r)
{
    struct sg_sql_stmt *st = prepare(be, sql, error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, t1);
    bind_text(st, 2, t2);
    bind_text(st, 3, t3);
    bind_int(st, 4, n4);
    bind_int(st, 5, n5);
    int rc = sg_sql_step(st, what, error_r);
    return finish(st, rc < 0 ? -1 : 0);
}

static int
hosts_done(void *be, int64_t id, time_t now, const char *outcome,
           const char **error_r)
{
    return update(be,
                  "UPDATE decisions SET done = ?4, outcome = ?1,"
                  " claimed_at = NULL WHERE id = ?5 AND done IS NULL",
                  outcome, NULL, NULL, (int64_t)now, id,
                  "cannot mark a decision done", error_r);
}

static int
hosts_retry(void *be, int64_t id, time_t next, const char *why,
            const char **error_r)
{
    return update(be,
                  "UPDATE decisions SET next_attempt = ?4, last_error = ?1,"
                  " claimed_at = NULL WHERE id = ?5 AND done IS NULL",
                  why, NULL, NULL, (int64_t)next, id,
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
                  record_id, host, outcome, (int64_t)now, 0,
                  "cannot mark a decision done", error_r);
}

static int
hosts_pending(void *be, const char *record_id, const char *host,
              const char *op, const char **error_r)
{
    struct sg_sql_stmt *st = prepare(be,
                               "SELECT count(*) FROM decisions WHERE"
                               " record_id = ?1 AND host = ?2 AND op = ?3"
                               " AND done IS NULL",
                               error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    bind_text(st, 2, host);
    bind_text(st, 3, op);
    int rc = sg_sql_step(st, "cannot read the decisions", error_r);
    if (rc > 0)
        rc = sg_sql_int(st, 0) > 0 ? 1 : 0;
    else if (rc == 0)
        rc = fail(error_r, "cannot read the decisions: no count");
    return finish(st, rc);
}

static int
hosts_of_record(void *be, const char *record_id,
                struct sg_store_decision **rows_r, size_t *n_r,
                const char **error_r)
{
    *rows_r = NULL;
    *n_r = 0;
    struct sg_sql_stmt *st = prepare(be,
                               "SELECT " ROW_COLUMNS " FROM decisions"
                               " WHERE record_id = ?1 ORDER BY id",
                               error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    int rc;
    while ((rc = sg_sql_step(st, "cannot read the decisions",
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
    return finish(st, rc < 0 ? -1 : 0);
}

/* ------------------------------------------------------------ reinject */

/* Run one bound statement in the open transaction: 0 or -1. */
static int
run_bound(struct sg_sql_conn *c, const char *sql, const char *const *t,
          size_t n_t, int64_t num, const char *what, const char **error_r)
{
    struct sg_sql_stmt *st = sg_sql_prepare(c, sql, what, error_r);
    if (st == NULL)
        return -1;
    for (size_t i = 0; i < n_t; i++)
        bind_text(st, (int)i + 1, t[i]);
    bind_int(st, (int)n_t + 1, num);
    int rc = sg_sql_step(st, what, error_r);
    sg_sql_finalize(st);
    return rc < 0 ? -1 : 0;
}

/* The one integer a bound query returns, in the open transaction. */
static int
query_num(struct sg_sql_conn *c, const char *sql, const char *t1,
          int64_t *v_r, const char **error_r)
{
    struct sg_sql_stmt *st =
        sg_sql_prepare(c, sql, "cannot read a record", error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, t1);
    int rc = sg_sql_step(st, "cannot read a record", error_r);
    *v_r = rc > 0 ? sg_sql_int(st, 0) : -1;
    sg_sql_finalize(st);
    return rc < 0 ? -1 : 0;
}

struct sg_sql_conn *
sg_sql_write_begin(void *be, const char **error_r)
{
    struct sg_sql_conn *c = sg_sql_acquire(be, error_r);
    if (c != NULL && sg_sql_begin(c, error_r) < 0) {
        sg_sql_release(c);
        return NULL;
    }
    return c;
}

int
sg_sql_write_end(struct sg_sql_conn *c, int r, const char **error_r)
{
    if (r == 0 && sg_sql_commit(c, "cannot commit", error_r) < 0)
        r = -1;
    if (r != 0)
        sg_sql_rollback(c);
    sg_sql_release(c);
    return r;
}

/* the row names its record's school, as every audit row does */
#define AUDIT_SQL                                                              \
    "INSERT INTO audit (record_id, actor, client, action, note, time,"       \
    " school) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"                                \
    " (SELECT school FROM records WHERE id = ?1))"

static int
hosts_reinject_mark(void *be, const char *record_id, const char *host,
                    const char *queue_id, const char *actor,
                    const char *client, const char *note,
                    const char **error_r)
{
    time_t now = time(NULL);
    struct sg_sql_conn *c = begin(be, error_r);
    if (c == NULL)
        return -1;
    int64_t released = -1;
    int r = query_num(c,
                      "SELECT CASE WHEN status = 'released' THEN 1 ELSE 0 END"
                      " FROM records WHERE id = ?1",
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
        r = run_bound(c,
                      "UPDATE decisions SET done = ?3, outcome = ?2,"
                      " claimed_at = NULL WHERE record_id = ?1"
                      " AND done IS NULL",
                      sup, 2, (int64_t)now,
                      "cannot mark the decisions superseded", error_r);
    if (r == 0)
        r = run_bound(c,
                      "INSERT INTO decisions (record_id, host, op, queue_id,"
                      " created, next_attempt) VALUES (?1, ?2, 'delete', ?3,"
                      " ?4, ?4)",
                      ins, 3, (int64_t)now,
                      "cannot add the decision to delete", error_r);
    if (r == 0)
        r = run_bound(c, AUDIT_SQL, aud, 5, (int64_t)now,
                      "cannot append the audit row", error_r);
    return end(c, r, error_r);
}

static int
hosts_reinject_take(void *be, const char *record_id, const char *host,
                    const char **error_r)
{
    time_t now = time(NULL);
    struct sg_sql_conn *c = begin(be, error_r);
    if (c == NULL)
        return -1;
    /* the latest reinject, and whether a filter took it after it */
    int64_t open = -1;
    int r = query_num(
        c,
        "SELECT CASE WHEN coalesce((SELECT max(id) FROM audit"
        " WHERE record_id = ?1 AND action = 'reinjected'), 0) >"
        " coalesce((SELECT max(id) FROM audit WHERE record_id = ?1"
        " AND action = 'reinject-accepted'), 0)"
        " AND (SELECT status FROM records WHERE id = ?1) = 'released'"
        " THEN 1 ELSE 0 END",
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
        r = run_bound(c, AUDIT_SQL, aud, 5, (int64_t)now,
                      "cannot append the audit row", error_r);
    return end(c, r, error_r);
}

const struct sg_store_hosts_backend sg_store_sql_hosts = {
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
