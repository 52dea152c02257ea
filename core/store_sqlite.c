/*
 * store_sqlite.c - the record store's SQLite backend: the connection and
 * every write (a hold's rows, status changes, audit rows, the seen mark,
 * purges).  The schema and its upgrades are store_sqlite_schema.c, the
 * reads store_sqlite_read.c.
 *
 * One database in WAL mode, foreign keys on, synchronous FULL, a busy
 * timeout, SQLITE_DBCONFIG_DEFENSIVE.  The daemon shares one connection
 * between its threads behind a mutex, so only the short transactions are
 * serialised.  Other processes (safeguard-review) open the same database;
 * SQLITE_BUSY is absorbed by the busy timeout, and every write
 * transaction is BEGIN IMMEDIATE so that it takes the write lock (and
 * waits for it) up front.
 *
 * SECURITY: the database holds personal data about children.  It is
 * created 0640 (SQLite gives its -wal and -shm files the same mode).
 * Every statement is parameterised.  The audit table is append-only:
 * triggers abort any UPDATE or DELETE of it (this guards against the
 * programs, not against someone who can write the database file).  Error
 * messages name the file and SQLite's reason, never message content,
 * addresses or subjects.
 *
 * Fails by returning -1 with the store's error string and leaving nothing
 * half-written.  Never logs, never exits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sg_buf.h"
#include "store_sqlite_int.h"

/* ------------------------------------------------------------ helpers */

int
sg_store_sqlite_fail_db(struct sg_store_sqlite *s, const char *what,
                        const char **error_r)
{
    return sg_store_fail(error_r, "quarantine database %s: %s: %s", s->db_path,
                         what, sqlite3_errmsg(s->db));
}

int
sg_store_sqlite_exec(struct sg_store_sqlite *s, const char *sql,
                     const char *what, const char **error_r)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sg_store_sqlite_fail_db(s, what, error_r);
    return 0;
}

void
sg_store_sqlite_rollback(struct sg_store_sqlite *s)
{
    /* Fails harmlessly when SQLite has already rolled back. */
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int
sg_store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s == NULL)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Step a bound INSERT/UPDATE/DELETE to completion and reset it for the
 * next row. */
static int
step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ------------------------------------------------------------ open */

static int
set_wal(struct sg_store_sqlite *s, const char **error_r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) !=
        SQLITE_OK)
        return sg_store_sqlite_fail_db(s, "cannot switch to WAL mode", error_r);
    int rc = sqlite3_step(st);
    const char *mode =
        rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int ok = mode != NULL && strcasecmp(mode, "wal") == 0;
    if (!ok) {
        if (rc == SQLITE_ROW)
            sg_store_fail(error_r,
                          "quarantine database %s: cannot switch to WAL "
                          "mode (it stays in %s mode; is it on a network "
                          "file system?)",
                          s->db_path, mode != NULL ? mode : "an unknown");
        else
            sg_store_sqlite_fail_db(s, "cannot switch to WAL mode", error_r);
    }
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

/* Create an absent database file ourselves so that its mode is 0640
 * whatever the umask: SQLite would make it 0644. */
static int
precreate_db(const char *path, const char **error_r)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0) {
        if (errno == EEXIST)
            return 0;
        return sg_store_fail(error_r,
                             "cannot create the quarantine database %s: %s",
                             path, strerror(errno));
    }
    if (fchmod(fd, 0640) < 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return sg_store_fail(error_r, "cannot set the mode of %s: %s", path,
                             strerror(e));
    }
    close(fd);
    return 0;
}

static void
sqlite_close(void *be)
{
    struct sg_store_sqlite *s = be;
    if (s == NULL)
        return;
    if (s->db != NULL)
        sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->lock);
    free(s->db_path);
    free(s);
}

static int
sqlite_open(const char *db_path, void **be_r, const char **error_r)
{
    struct sg_store_sqlite *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sg_store_fail(error_r, "out of memory");
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return sg_store_fail(error_r, "cannot create a mutex");
    }
    s->db_path = strdup(db_path);
    if (s->db_path == NULL) {
        sg_store_fail(error_r, "out of memory");
        goto fail;
    }
    if (precreate_db(db_path, error_r) < 0)
        goto fail;
    int rc = sqlite3_open_v2(db_path, &s->db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        sg_store_fail(
            error_r, "cannot open the quarantine database %s: %s", db_path,
            s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, SG_STORE_BUSY_TIMEOUT_MS);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    if (sqlite3_db_readonly(s->db, "main") == 1) {
        sg_store_fail(error_r, "quarantine database %s is read-only", db_path);
        goto fail;
    }
    /* The first read: says "file is not a database" for one that is not */
    if (sg_store_sqlite_exec(s, "PRAGMA user_version", "cannot read it",
                             error_r) < 0 ||
        sg_store_sqlite_exec(s, "PRAGMA foreign_keys = ON",
                             "cannot turn on foreign keys", error_r) < 0 ||
        set_wal(s, error_r) < 0 ||
        sg_store_sqlite_exec(s, "PRAGMA synchronous = FULL",
                             "cannot set synchronous", error_r) < 0 ||
        sg_store_sqlite_schema(s, error_r) < 0)
        goto fail;
    *be_r = s;
    return 0;
fail:
    sqlite_close(s);
    return -1;
}

static void
sqlite_set_busy_timeout(void *be, int ms)
{
    struct sg_store_sqlite *s = be;
    pthread_mutex_lock(&s->lock);
    sqlite3_busy_timeout(s->db, ms);
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------ a hold */

static int
join(struct sg_buf *b, char *const *v, size_t n)
{
    sg_buf_reset(b);
    sg_buf_puts(b, "");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sg_buf_putc(b, ',');
        sg_buf_puts(b, v[i]);
    }
    return sg_buf_failed(b) ? -1 : 0;
}

static const char *
channel_name(enum sg_channel ch)
{
    return ch == SG_CHANNEL_SCHOOL     ? "school"
           : ch == SG_CHANNEL_PERSONAL ? "personal"
                                       : "none";
}

/* A name worth keeping: NULL for none or an empty one. */
static const char *
display_name(const char *name)
{
    return name != NULL && *name != '\0' ? name : NULL;
}

enum { INS_RECORD, INS_RCPT, INS_RULE, INS_FINDING, INS_AUDIT, N_INS };

static const char *const insert_sql[N_INS] = {
    [INS_RECORD] =
        "INSERT INTO records (id, queue_id, created, client, trusted,"
        " auth_user, env_from, subject, status, status_changed,"
        " message_path, message_size, action, explain_sender, explain_dsl,"
        " sender_name, track)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?14, ?3, ?9, ?10, ?11,"
        " ?12, ?13, ?15, ?16)",
    [INS_RCPT] = "INSERT INTO recipients (record_id, pos, address, roles,"
                 " channel, name) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [INS_RULE] =
        "INSERT INTO rules (record_id, pos, rule_id, title, policy, source,"
        " mode, action, recipients, notify, explain_sender, explain_dsl)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [INS_FINDING] = "INSERT INTO findings (record_id, rule_id, pos, detector,"
                    " text, location) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [INS_AUDIT] = "INSERT INTO audit (record_id, time, actor, client,"
                  " action, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

#define bind_text sg_store_sqlite_bind_text

/* The records row: 0, SG_STORE_DUPLICATE, -1. */
static int
insert_record(struct sg_store_sqlite *s, const struct sg_store_hold_rows *t,
              sqlite3_stmt *st, const char **error_r)
{
    const struct sg_hold *h = t->h;
    bind_text(st, 1, t->id);
    bind_text(st, 2, h->queue_id);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)h->time);
    bind_text(st, 4, h->client);
    sqlite3_bind_int(st, 5, h->client_trusted ? 1 : 0);
    bind_text(st, 6, h->auth_user);
    bind_text(st, 7, h->env_from);
    bind_text(st, 8, h->subject);
    bind_text(st, 9, t->path);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)t->size);
    bind_text(st, 11, sg_action_name(h->verdict->action));
    bind_text(st, 12, t->explain_sender);
    bind_text(st, 13, t->explain_dsl);
    bind_text(st, 14, sg_store_status_name(h->status));
    bind_text(st, 15, display_name(h->sender_name));
    bind_text(st, 16, sg_track_name(sg_verdict_track(h->verdict)));
    int rc = step_done(st);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return SG_STORE_DUPLICATE;
    if (rc != SQLITE_OK)
        return sg_store_sqlite_fail_db(s, "cannot insert the record", error_r);
    return 0;
}

static int
insert_rcpts(struct sg_store_sqlite *s, const struct sg_store_hold_rows *t,
             sqlite3_stmt *st, struct sg_buf *a, const char **error_r)
{
    const struct sg_hold *h = t->h;
    for (size_t i = 0; i < h->n_rcpts; i++) {
        const struct sg_party *p = &h->rcpts[i];
        int rc;
        if (p->person == NULL || p->person->n_roles == 0) {
            sg_buf_reset(a);
            rc = sg_buf_puts(a, SG_ROLE_EXTERNAL);
        } else {
            rc = join(a, p->person->roles, p->person->n_roles);
        }
        if (rc < 0)
            return sg_store_fail(error_r, "out of memory");
        bind_text(st, 1, t->id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        bind_text(st, 3, p->address != NULL ? p->address : "");
        bind_text(st, 4, a->data);
        bind_text(st, 5, channel_name(p->channel));
        bind_text(
            st, 6,
            display_name(p->person != NULL ? p->person->display_name : NULL));
        if (step_done(st) != SQLITE_OK)
            return sg_store_sqlite_fail_db(s, "cannot insert a recipient",
                                           error_r);
    }
    return 0;
}

static int
insert_findings(struct sg_store_sqlite *s, const char *id,
                const struct sg_rule_match *m, sqlite3_stmt *st,
                const char **error_r)
{
    for (size_t j = 0; j < m->n_findings; j++) {
        const struct sg_finding *f = &m->findings[j];
        bind_text(st, 1, id);
        bind_text(st, 2, m->id != NULL ? m->id : "");
        sqlite3_bind_int64(st, 3, (sqlite3_int64)j);
        bind_text(st, 4, f->detector != NULL ? f->detector : "");
        bind_text(st, 5, f->text);
        bind_text(st, 6, f->where);
        if (step_done(st) != SQLITE_OK)
            return sg_store_sqlite_fail_db(s, "cannot insert a finding",
                                           error_r);
    }
    return 0;
}

static int
insert_rules(struct sg_store_sqlite *s, const struct sg_store_hold_rows *t,
             sqlite3_stmt **st, struct sg_buf *a, struct sg_buf *b,
             const char **error_r)
{
    const struct sg_verdict *v = t->h->verdict;
    for (size_t i = 0; i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        if (join(a, m->recipients, m->n_recipients) < 0 ||
            join(b, m->notify, m->n_notify) < 0)
            return sg_store_fail(error_r, "out of memory");
        sqlite3_stmt *r = st[INS_RULE];
        bind_text(r, 1, t->id);
        sqlite3_bind_int64(r, 2, (sqlite3_int64)i);
        bind_text(r, 3, m->id != NULL ? m->id : "");
        bind_text(r, 4, m->title);
        bind_text(r, 5, m->policy);
        bind_text(r, 6, m->source);
        bind_text(r, 7, sg_mode_name(m->mode));
        bind_text(r, 8, sg_action_name(m->action));
        bind_text(r, 9, a->data);
        bind_text(r, 10, b->data);
        bind_text(r, 11, m->explain_sender);
        bind_text(r, 12, m->explain_dsl);
        if (step_done(r) != SQLITE_OK)
            return sg_store_sqlite_fail_db(s, "cannot insert a rule", error_r);
        if (insert_findings(s, t->id, m, st[INS_FINDING], error_r) < 0)
            return -1;
    }
    return 0;
}

/* Append an audit row in the current transaction, or alone (lock held). */
static int
audit_row(struct sg_store_sqlite *s, sqlite3_stmt *st, const char *record_id,
          time_t when, const char *actor, const char *client,
          const char *action, const char *note, const char **error_r)
{
    bind_text(st, 1, record_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)when);
    bind_text(st, 3, actor);
    bind_text(st, 4, client);
    bind_text(st, 5, action);
    bind_text(st, 6, note);
    if (step_done(st) != SQLITE_OK)
        return sg_store_sqlite_fail_db(s, "cannot append the audit row",
                                       error_r);
    return 0;
}

/* The rows of one hold, in the open transaction. */
static int
insert_rows(struct sg_store_sqlite *s, const struct sg_store_hold_rows *t,
            sqlite3_stmt **st, const char **error_r)
{
    struct sg_buf a = SG_BUF_INIT, b = SG_BUF_INIT;
    char note[160];
    int r = insert_record(s, t, st[INS_RECORD], error_r);
    if (r == 0)
        r = insert_rcpts(s, t, st[INS_RCPT], &a, error_r);
    if (r == 0)
        r = insert_rules(s, t, st, &a, &b, error_r);
    if (r == 0) {
        snprintf(note, sizeof(note), "queue id %s", t->h->queue_id);
        r = audit_row(s, st[INS_AUDIT], t->id, t->h->time, SG_STORE_HOLD_ACTOR,
                      t->h->client, sg_store_status_name(t->h->status), note,
                      error_r);
    }
    sg_buf_free(&a);
    sg_buf_free(&b);
    return r;
}

static int
sqlite_insert_hold(void *be, const struct sg_store_hold_rows *t,
                   const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st[N_INS] = {NULL};
    int r = -1;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < N_INS; i++) {
        if (sqlite3_prepare_v2(s->db, insert_sql[i], -1, &st[i], NULL) !=
            SQLITE_OK) {
            sg_store_sqlite_fail_db(s, "cannot prepare an insert", error_r);
            goto out;
        }
    }
    if (sg_store_sqlite_exec(s, "BEGIN IMMEDIATE", "cannot start a transaction",
                             error_r) < 0)
        goto out;
    r = insert_rows(s, t, st, error_r);
    if (r == 0 && sg_store_sqlite_outbox_insert(s, t->notices, t->id,
                                                t->h->time, error_r) < 0)
        r = -1;
    if (r == 0 && sg_store_sqlite_exec(s, "COMMIT", "cannot commit the record",
                                       error_r) < 0)
        r = -1;
    if (r != 0)
        sg_store_sqlite_rollback(s);
out:
    for (size_t i = 0; i < N_INS; i++)
        sqlite3_finalize(st[i]);
    pthread_mutex_unlock(&s->lock);
    return r;
}

/* ------------------------------------------------------------ changes */

static int
sqlite_audit(void *be, const char *record_id, const char *actor,
             const char *client, const char *action, const char *note,
             const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st = NULL;
    int r;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, insert_sql[INS_AUDIT], -1, &st, NULL) !=
        SQLITE_OK)
        r = sg_store_sqlite_fail_db(s, "cannot prepare the audit row", error_r);
    else
        r = audit_row(s, st, record_id, time(NULL), actor, client, action, note,
                      error_r);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return r;
}

/* Nothing changed: say why (the record is in another status, or gone). */
static int
why_unchanged(struct sg_store_sqlite *s, const char *record_id,
              enum sg_store_status from, const char **error_r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT status FROM records WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return sg_store_sqlite_fail_db(s, "cannot read a record", error_r);
    bind_text(st, 1, record_id);
    int ret = -1;
    int rc = sg_store_sqlite_step(s, st, "cannot read a record", error_r);
    if (rc > 0) {
        const char *now_status = (const char *)sqlite3_column_text(st, 0);
        ret = SG_STORE_WRONG_STATUS;
        sg_store_fail(error_r, "quarantine record %s is %s, not %s", record_id,
                      now_status != NULL ? now_status : "?",
                      sg_store_status_name(from));
    } else if (rc == 0) {
        ret = SG_STORE_NOT_FOUND;
        sg_store_fail(error_r, "no quarantine record %s", record_id);
    }
    sqlite3_finalize(st);
    return ret;
}

static int
sqlite_set_status(void *be, const char *record_id, enum sg_store_status from,
                  enum sg_store_status to, const char *actor,
                  const char *client, const char *note, const char **error_r)
{
    static const char update_sql[] =
        "UPDATE records SET status = ?1, status_changed = ?2"
        " WHERE id = ?3 AND status = ?4";
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st = NULL, *audit = NULL;
    time_t now = time(NULL);
    int ret = -1;

    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, update_sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, insert_sql[INS_AUDIT], -1, &audit, NULL) !=
            SQLITE_OK) {
        sg_store_sqlite_fail_db(s, "cannot prepare the status change", error_r);
        goto out;
    }
    if (sg_store_sqlite_exec(s, "BEGIN IMMEDIATE", "cannot start a transaction",
                             error_r) < 0)
        goto out;
    bind_text(st, 1, sg_store_status_name(to));
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
    bind_text(st, 3, record_id);
    bind_text(st, 4, sg_store_status_name(from));
    if (step_done(st) != SQLITE_OK) {
        sg_store_sqlite_fail_db(s, "cannot change the status", error_r);
    } else if (sqlite3_changes(s->db) != 1) {
        ret = why_unchanged(s, record_id, from, error_r);
    } else if (audit_row(s, audit, record_id, now, actor, client,
                         sg_store_status_name(to), note, error_r) == 0 &&
               sg_store_sqlite_exec(s, "COMMIT",
                                    "cannot commit the status change",
                                    error_r) == 0) {
        ret = 0;
    }
    if (ret != 0)
        sg_store_sqlite_rollback(s);
out:
    sqlite3_finalize(st);
    sqlite3_finalize(audit);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

/* Run one parameterised change of at most one row: 1 changed, 0 not, -1. */
static int
change_one(struct sg_store_sqlite *s, const char *sql, const char *id, time_t t,
           const char *what, const char **error_r)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sg_store_sqlite_fail_db(s, what, error_r);
    } else {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)t);
        bind_text(st, 2, id);
        if (step_done(st) != SQLITE_OK)
            sg_store_sqlite_fail_db(s, what, error_r);
        else
            ret = sqlite3_changes(s->db) == 1;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return ret;
}

static int
sqlite_mark_seen(void *be, const char *record_id, time_t now,
                 const char **error_r)
{
    int r = change_one(be,
                       "UPDATE records SET queue_seen = ?1"
                       " WHERE id = ?2 AND queue_seen IS NULL",
                       record_id, now, "cannot mark a record seen", error_r);
    return r < 0 ? -1 : 0;
}

static int
sqlite_delete_decided(void *be, const char *record_id, time_t cut,
                      const char **error_r)
{
    return change_one(be,
                      "DELETE FROM records WHERE id = ?2 AND status IN"
                      " ('released', 'rejected', 'expired', 'lost',"
                      " 'refused', 'delivered', 'archived')"
                      " AND status_changed <= ?1",
                      record_id, cut, "cannot purge a record", error_r);
}

const struct sg_store_backend sg_store_sqlite = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .set_busy_timeout = sqlite_set_busy_timeout,
    .insert_hold = sqlite_insert_hold,
    .set_status = sqlite_set_status,
    .audit = sqlite_audit,
    .mark_seen = sqlite_mark_seen,
    .delete_decided = sqlite_delete_decided,
    .get = sg_store_sqlite_get,
    .waiting_ids = sg_store_sqlite_waiting_ids,
    .list = sg_store_sqlite_list,
    .rcpts = sg_store_sqlite_rcpts,
    .rules = sg_store_sqlite_rules,
    .findings = sg_store_sqlite_findings,
    .audit_rows = sg_store_sqlite_audit_rows,
    .export = sg_store_sqlite_export,
    .exists = sg_store_sqlite_exists,
    .decided_before = sg_store_sqlite_decided_before,
    .outbox_add = sg_store_sqlite_outbox_add,
    .outbox_claim = sg_store_sqlite_outbox_claim,
    .outbox_mark_sent = sg_store_sqlite_outbox_mark_sent,
    .outbox_mark_retry = sg_store_sqlite_outbox_mark_retry,
    .outbox_next_due = sg_store_sqlite_outbox_next_due,
    .outbox_list = sg_store_sqlite_outbox_list,
    .outbox_of_record = sg_store_sqlite_outbox_of_record,
};
