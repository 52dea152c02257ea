/*
 * store_sql.c - the SQL layer's pool of connections, the helpers every
 * statement goes through, and the backend table (store_sql.h says why
 * the statements are written once above a driver per database).
 *
 * The location names the database and its driver: "sqlite:PATH",
 * "postgresql:CONNINFO" (a libpq conninfo string or URI), or a bare PATH
 * (SQLite, as quarantine_db always was).
 *
 * Tests can make the Nth step from now fail (sg_store_sqlite_test_fail_step
 * in store_test.h), to show that an error in the middle of a read reaches
 * the caller; it applies to every driver.  Nothing else sets it; when
 * unset it costs one atomic load per step.
 *
 * Fails by returning -1 with the store's error string.  Never logs, never
 * exits.
 */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_sql.h"
#include "store_test.h"

/* Version 7 to 8: several mail servers, one store.  Each record names
 * the host whose mail system holds its message (records.host; NULL: a
 * record made before, on the one host there was).  A decision that takes
 * a message out of the hold queue (released, rejected, expired) leaves a
 * row in decisions for that host to carry out, written by a trigger in
 * the same transaction as the status change, so that no status change
 * can be committed without its row, whichever program made it.  Each
 * host's daemon claims its own rows and carries them out locally
 * (milter/pickup.c; store_sql_hosts.c reads and writes them).  The
 * same in PostgreSQL's words: identity ids, BIGINT times, the trigger as
 * a function. */
static const char upgrade_v8_sqlite[] =
    "ALTER TABLE records ADD COLUMN host TEXT;"
    "CREATE INDEX records_host ON records (host, status);"
    "CREATE TABLE decisions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " record_id TEXT NOT NULL,"
    " host TEXT NOT NULL,"
    " op TEXT NOT NULL CHECK (op IN ('release', 'delete')),"
    " queue_id TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt INTEGER NOT NULL,"
    " claimed_at INTEGER,"
    " done INTEGER,"
    " outcome TEXT,"
    " last_error TEXT);"
    "CREATE INDEX decisions_pending ON decisions (host, next_attempt)"
    " WHERE done IS NULL;"
    "CREATE INDEX decisions_record ON decisions (record_id);"
    "CREATE TRIGGER records_decision AFTER UPDATE OF status ON records"
    " WHEN new.host IS NOT NULL"
    "  AND old.status IN ('held', 'escalated')"
    "  AND new.status IN ('released', 'rejected', 'expired')"
    " BEGIN"
    "  INSERT INTO decisions (record_id, host, op, queue_id, created,"
    "   next_attempt)"
    "  VALUES (new.id, new.host,"
    "   CASE new.status WHEN 'released' THEN 'release' ELSE 'delete' END,"
    "   new.queue_id, new.status_changed, new.status_changed);"
    " END;";

static const char upgrade_v8_pg[] =
    "ALTER TABLE records ADD COLUMN host TEXT;"
    "CREATE INDEX records_host ON records (host, status);"
    "CREATE TABLE decisions ("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " record_id TEXT NOT NULL,"
    " host TEXT NOT NULL,"
    " op TEXT NOT NULL CHECK (op IN ('release', 'delete')),"
    " queue_id TEXT NOT NULL,"
    " created BIGINT NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt BIGINT NOT NULL,"
    " claimed_at BIGINT,"
    " done BIGINT,"
    " outcome TEXT,"
    " last_error TEXT);"
    "CREATE INDEX decisions_pending ON decisions (host, next_attempt)"
    " WHERE done IS NULL;"
    "CREATE INDEX decisions_record ON decisions (record_id);"
    "CREATE FUNCTION records_decision() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN"
    "  INSERT INTO decisions (record_id, host, op, queue_id, created,"
    "   next_attempt)"
    "  VALUES (new.id, new.host,"
    "   CASE new.status WHEN 'released' THEN 'release' ELSE 'delete' END,"
    "   new.queue_id, new.status_changed, new.status_changed);"
    "  RETURN NULL;"
    " END$$;"
    "CREATE TRIGGER records_decision AFTER UPDATE OF status ON records"
    " FOR EACH ROW WHEN (new.host IS NOT NULL"
    "  AND old.status IN ('held', 'escalated')"
    "  AND new.status IN ('released', 'rejected', 'expired'))"
    " EXECUTE FUNCTION records_decision();";

/* Retention (its own step; the number is the next free one at merge).
 * Each decided record gets a retention class (released, no-concern,
 * staff-conduct, pupil-welfare) and the date it expires, set by
 * store_sql_retention.c from the review tool's settings and cleared by
 * every status change so that it is worked out again; tombstoned is when
 * expiry emptied the record of personal data.  legal_holds: one row per
 * hold placed, lifted by filling lifted*; a record with an open row is
 * never expired.  The audit table stays append-only except for the one
 * change expiry makes: a note of a tombstoned record's row set to NULL
 * (a decision's note names people); every other column must stay as it
 * was. */
static const char upgrade_retention_sqlite[] =
    "ALTER TABLE records ADD COLUMN retention_class TEXT;"
    "ALTER TABLE records ADD COLUMN expires INTEGER;"
    "ALTER TABLE records ADD COLUMN tombstoned INTEGER;"
    "CREATE INDEX records_expires ON records (expires)"
    " WHERE tombstoned IS NULL;"
    "CREATE TABLE legal_holds ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " record_id TEXT NOT NULL,"
    " placed INTEGER NOT NULL,"
    " placed_by TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " lifted INTEGER,"
    " lifted_by TEXT,"
    " lift_note TEXT);"
    "CREATE INDEX legal_holds_open ON legal_holds (record_id)"
    " WHERE lifted IS NULL;"
    "DROP TRIGGER audit_no_update;"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " WHEN NOT (new.note IS NULL AND new.id = old.id"
    "  AND new.record_id IS old.record_id AND new.time = old.time"
    "  AND new.actor = old.actor AND new.client IS old.client"
    "  AND new.action = old.action"
    "  AND EXISTS (SELECT 1 FROM records WHERE id = old.record_id"
    "   AND tombstoned IS NOT NULL))"
    " BEGIN SELECT RAISE(ABORT, 'the audit table is append-only'); END;";

static const char upgrade_retention_pg[] =
    "ALTER TABLE records ADD COLUMN retention_class TEXT,"
    " ADD COLUMN expires BIGINT, ADD COLUMN tombstoned BIGINT;"
    "CREATE INDEX records_expires ON records (expires)"
    " WHERE tombstoned IS NULL;"
    "CREATE TABLE legal_holds ("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " record_id TEXT NOT NULL,"
    " placed BIGINT NOT NULL,"
    " placed_by TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " lifted BIGINT,"
    " lifted_by TEXT,"
    " lift_note TEXT);"
    "CREATE INDEX legal_holds_open ON legal_holds (record_id)"
    " WHERE lifted IS NULL;"
    "CREATE FUNCTION audit_expiry_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN"
    "  IF TG_OP = 'UPDATE' AND new.note IS NULL"
    "   AND (new.id, new.record_id, new.time, new.actor, new.client,"
    "        new.action) IS NOT DISTINCT FROM (old.id, old.record_id,"
    "        old.time, old.actor, old.client, old.action)"
    "   AND EXISTS (SELECT 1 FROM records WHERE id = old.record_id"
    "    AND tombstoned IS NOT NULL) THEN"
    "   RETURN new;"
    "  END IF;"
    "  RAISE EXCEPTION 'the audit table is append-only';"
    " END$$;"
    "DROP TRIGGER audit_no_change ON audit;"
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit"
    " FOR EACH ROW EXECUTE FUNCTION audit_expiry_only();";

/* The schools of a trust (core/school.h): each record, audit row and
 * outbox notice names the school it is about (NULL: a record of the one
 * school there is, or made before schools were kept), so that a school's
 * reviewers are shown its records only and its audit can be read alone.
 * The same words in both databases. */
static const char upgrade_school[] =
    "ALTER TABLE records ADD COLUMN school TEXT;"
    "ALTER TABLE audit ADD COLUMN school TEXT;"
    "ALTER TABLE outbox ADD COLUMN school TEXT;"
    "CREATE INDEX records_school ON records (school, status);";

/* Policy changes and what the reports read (a migration of its own:
 * the number is the one after the last above, whatever it is when
 * merged).  policy_changes keeps each version of the policy a daemon
 * loaded (the rules file and the configuration, secrets left out: text),
 * its hash, and the diff from the version before, with who (the files'
 * owner) and why (the note given with safeguard-milter -n --record): the
 * changelog the DfE's standards ask leaders to keep.  rules.category is
 * the matched rule's category (the school's record system's), for the
 * reports and the concern export; recipients.upn is a pupil's unique
 * pupil number from the directory, for the concern export.  NULL in
 * rows written before. */
#define UPGRADE_POLICY(ID, INT)                                                \
    "ALTER TABLE rules ADD COLUMN category TEXT;"                              \
    "ALTER TABLE recipients ADD COLUMN upn TEXT;"                              \
    "CREATE TABLE policy_changes (" ID ","                                     \
    " time " INT " NOT NULL,"                                                  \
    " host TEXT NOT NULL,"                                                     \
    " hash TEXT NOT NULL,"                                                     \
    " owner TEXT,"                                                             \
    " note TEXT,"                                                              \
    " diff TEXT NOT NULL,"                                                     \
    " text TEXT NOT NULL);"                                                    \
    "CREATE INDEX policy_changes_time ON policy_changes (time);"
static const char upgrade_policy_sqlite[] =
    UPGRADE_POLICY(" id INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER");
static const char upgrade_policy_pg[] = UPGRADE_POLICY(
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "BIGINT");

/* A rule's retention class (the rules' "retention" key): rules.retention
 * is the concern class the matched rule names (pupil-welfare,
 * staff-conduct), NULL when it names none, so that retention can keep a
 * rejected record by the longest class its rules name
 * (store_sql_retention.c).  The same words in both databases. */
static const char upgrade_rule_retention[] =
    "ALTER TABLE rules ADD COLUMN retention TEXT;";

/* Keyset paging (sg_store_filter's cursor): the list is in (created, id)
 * order and a page starts after a row, which an index ending in both
 * columns finds directly (OFFSET walked every row it skipped: 401 ms for
 * the last page of 100,000 records).  A list of one status reads
 * (status, created, id), so that the few waiting among many decided are
 * found without walking the rest; a list of any status reads (created,
 * id).  They serve whatever the indexes they replace, on (status,
 * created) and on created, served, which are dropped: no more indexes
 * to write for each record held than before.  The same words in both
 * databases. */
static const char upgrade_keyset[] =
    "CREATE INDEX records_created_id ON records (created, id);"
    "CREATE INDEX records_status_created_id ON records"
    " (status, created, id);"
    "DROP INDEX records_created;"
    "DROP INDEX records_status_created;";

/* The migrations both databases share (store_sql.h); the last entry is
 * an end mark. */
static const struct sg_sql_migration sg_sql_migrations[] = {
    {8, NULL, upgrade_v8_sqlite, upgrade_v8_pg},
    {9, NULL, upgrade_retention_sqlite, upgrade_retention_pg},
    {10, upgrade_school, NULL, NULL},
    {11, NULL, upgrade_policy_sqlite, upgrade_policy_pg},
    {12, upgrade_rule_retention, NULL, NULL},
    {13, upgrade_keyset, NULL, NULL},
    {0, NULL, NULL, NULL},
};

int
sg_sql_migrate_shared(struct sg_sql_conn *c, long long version,
                      const char **error_r)
{
    char sql[160], what[96];
    bool lite = c->s->drv == &sg_sql_sqlite;
    for (const struct sg_sql_migration *m = sg_sql_migrations; m->to != 0;
         m++) {
        if (m->to <= version)
            continue;
        snprintf(what, sizeof(what), "cannot upgrade the schema to version %d",
                 m->to);
        snprintf(sql, sizeof(sql),
                 "INSERT INTO schema_version (version, applied)"
                 " VALUES (%d, %lld)",
                 m->to, (long long)time(NULL));
        const char *step = m->sql != NULL ? m->sql : lite ? m->sqlite : m->pg;
        if (sg_sql_exec(c, step, what, error_r) < 0 ||
            sg_sql_exec(c, sql, what, error_r) < 0)
            return -1;
        version = m->to;
    }
    if (version != SG_STORE_SCHEMA_VERSION)
        return sg_store_fail(error_r,
                             "quarantine database %s: no upgrade to schema "
                             "version %d",
                             sg_sql_where(c->s), SG_STORE_SCHEMA_VERSION);
    return 0;
}

/* ------------------------------------------------------------ the pool */

const char *
sg_sql_where(const struct sg_store_sql *s)
{
    return s->where != NULL ? s->where : "(unnamed)";
}

struct sg_sql_stmt *
sg_sql_prepare_one(struct sg_store_sql *s, const char *sql, const char *what,
                   const char **error_r)
{
    struct sg_sql_conn *c = sg_sql_acquire(s, error_r);
    if (c == NULL)
        return NULL;
    struct sg_sql_stmt *st = sg_sql_prepare(c, sql, what, error_r);
    if (st == NULL)
        sg_sql_release(c);
    return st;
}

int
sg_sql_finish(struct sg_sql_stmt *st, int r)
{
    struct sg_sql_conn *c = st->c;
    sg_sql_finalize(st);
    sg_sql_release(c);
    return r;
}

struct sg_sql_conn *
sg_sql_acquire(struct sg_store_sql *s, const char **error_r)
{
    struct sg_sql_conn *c = NULL;
    pthread_mutex_lock(&s->lock);
    for (;;) {
        /* a connected one first: a new connection costs a round trip */
        for (size_t i = 0; c == NULL && i < s->n; i++)
            if (!s->conns[i].busy && s->conns[i].h != NULL)
                c = &s->conns[i];
        for (size_t i = 0; c == NULL && i < s->n; i++)
            if (!s->conns[i].busy)
                c = &s->conns[i];
        if (c != NULL)
            break;
        pthread_cond_wait(&s->freed, &s->lock);
    }
    c->busy = true;
    int ms = s->busy_ms;
    pthread_mutex_unlock(&s->lock);

    const struct sg_sql_driver *d = s->drv;
    if (c->h == NULL) {
        if (d->connect(s, s->location, &c->h, error_r) < 0) {
            c->h = NULL;
            sg_sql_release(c);
            return NULL;
        }
        c->busy_ms = -1;
    } else if (d->lost(c->h) && d->reconnect(c->h) < 0) {
        sg_store_fail(error_r,
                      "quarantine database %s: the connection was lost and "
                      "cannot be made again: %s",
                      sg_sql_where(s), d->errmsg(c->h));
        sg_sql_release(c);
        return NULL;
    }
    if (c->busy_ms != ms) {
        d->set_busy_timeout(c->h, ms);
        c->busy_ms = ms;
    }
    return c;
}

void
sg_sql_release(struct sg_sql_conn *c)
{
    if (c == NULL)
        return;
    struct sg_store_sql *s = c->s;
    pthread_mutex_lock(&s->lock);
    c->busy = false;
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------ helpers */

int
sg_sql_fail(struct sg_sql_conn *c, const char *what, const char **error_r)
{
    return sg_store_fail(error_r, "quarantine database %s: %s: %s",
                         sg_sql_where(c->s), what, c->s->drv->errmsg(c->h));
}

int
sg_sql_exec(struct sg_sql_conn *c, const char *sql, const char *what,
            const char **error_r)
{
    if (c->s->drv->exec(c->h, sql) < 0)
        return sg_sql_fail(c, what, error_r);
    return 0;
}

int
sg_sql_begin(struct sg_sql_conn *c, const char **error_r)
{
    if (c->s->drv->begin(c->h) < 0)
        return sg_sql_fail(c, "cannot start a transaction", error_r);
    return 0;
}

int
sg_sql_begin_batch(struct sg_sql_conn *c, const char **error_r)
{
    if (c->s->drv->begin_batch == NULL)
        return sg_sql_begin(c, error_r);
    if (c->s->drv->begin_batch(c->h) < 0)
        return sg_sql_fail(c, "cannot start a transaction", error_r);
    return 0;
}

int
sg_sql_commit(struct sg_sql_conn *c, const char *what, const char **error_r)
{
    int rc = c->s->drv->commit(c->h);
    if (rc < 0)
        sg_sql_fail(c, what, error_r);
    return rc == SG_SQL_UNIQUE ? rc : rc < 0 ? -1 : 0;
}

void
sg_sql_rollback(struct sg_sql_conn *c)
{
    /* Fails harmlessly when the database has already rolled back. */
    c->s->drv->rollback(c->h);
}

struct sg_sql_stmt *
sg_sql_prepare(struct sg_sql_conn *c, const char *sql, const char *what,
               const char **error_r)
{
    struct sg_sql_stmt *st = c->s->drv->prepare(c->h, sql);
    if (st == NULL) {
        sg_sql_fail(c, what, error_r);
        return NULL;
    }
    st->c = c;
    return st;
}

void
sg_sql_finalize(struct sg_sql_stmt *st)
{
    if (st != NULL)
        st->c->s->drv->finalize(st);
}

void
sg_sql_bind_text(struct sg_sql_stmt *st, int i, const char *v)
{
    st->c->s->drv->bind_text(st, i, v);
}

void
sg_sql_bind_int(struct sg_sql_stmt *st, int i, int64_t v)
{
    st->c->s->drv->bind_int(st, i, v);
}

void
sg_sql_bind_blob(struct sg_sql_stmt *st, int i, const void *v, size_t n)
{
    st->c->s->drv->bind_blob(st, i, v, n);
}

static atomic_ulong fail_countdown; /* 0: off */

void
sg_store_sqlite_test_fail_step(unsigned long n)
{
    atomic_store(&fail_countdown, n);
}

/* Is this the step a test asked to fail? */
static bool
injected_failure(void)
{
    unsigned long n = atomic_load(&fail_countdown);
    while (n > 0)
        if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
            return n == 1;
    return false;
}

int
sg_sql_step(struct sg_sql_stmt *st, const char *what, const char **error_r)
{
    if (injected_failure())
        return sg_store_fail(error_r,
                             "quarantine database %s: %s: injected failure "
                             "(test)",
                             sg_sql_where(st->c->s), what);
    int rc = st->c->s->drv->step(st);
    if (rc == 1 || rc == 0)
        return rc;
    return sg_sql_fail(st->c, what, error_r);
}

int
sg_sql_step_done(struct sg_sql_stmt *st, const char *what, const char **error_r)
{
    const struct sg_sql_driver *d = st->c->s->drv;
    int rc = d->step(st);
    int r = 0;
    if (rc == SG_SQL_UNIQUE)
        r = SG_SQL_UNIQUE;
    else if (rc != 0)
        r = sg_sql_fail(st->c, what, error_r);
    d->reset(st);
    return r;
}

int64_t
sg_sql_changes(struct sg_sql_stmt *st)
{
    return st->c->s->drv->changes(st);
}

const char *
sg_sql_text(struct sg_sql_stmt *st, int i)
{
    return st->c->s->drv->col_text(st, i);
}

int64_t
sg_sql_int(struct sg_sql_stmt *st, int i)
{
    return st->c->s->drv->col_int(st, i);
}

const void *
sg_sql_blob(struct sg_sql_stmt *st, int i, size_t *n_r)
{
    return st->c->s->drv->col_blob(st, i, n_r);
}

char *
sg_sql_col(struct sg_sql_stmt *st, int i, bool *oom)
{
    const char *s = sg_sql_text(st, i);
    if (s == NULL)
        return NULL;
    char *d = strdup(s);
    if (d == NULL)
        *oom = true;
    return d;
}

char *
sg_sql_col_str(struct sg_sql_stmt *st, int i, bool *oom)
{
    char *d = sg_sql_col(st, i, oom);
    if (d == NULL && !*oom && (d = strdup("")) == NULL)
        *oom = true;
    return d;
}

int
sg_sql_query_int(struct sg_sql_conn *c, const char *sql, const char *what,
                 long long *value_r, const char **error_r)
{
    struct sg_sql_stmt *st = sg_sql_prepare(c, sql, what, error_r);
    if (st == NULL)
        return -1;
    int rc = sg_sql_step(st, what, error_r);
    if (rc == 0)
        rc = sg_store_fail(error_r, "quarantine database %s: %s: no answer",
                           sg_sql_where(c->s), what);
    if (rc > 0)
        *value_r = sg_sql_int(st, 0);
    sg_sql_finalize(st);
    return rc > 0 ? 0 : -1;
}

/* ------------------------------------------------------------ open */

static void
sql_close(void *be)
{
    struct sg_store_sql *s = be;
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n; i++)
        if (s->conns[i].h != NULL)
            s->drv->disconnect(s->conns[i].h);
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->lock);
    if (s->location != NULL) {
        /* it may hold a password */
        explicit_bzero(s->location, strlen(s->location));
        free(s->location);
    }
    free(s->where);
    free(s->host);
    free(s);
}

/* The driver a location names, and the rest of it. */
static int
pick_driver(const char *location, const struct sg_sql_driver **d_r,
            const char **rest_r, const char **error_r)
{
    static const char sqlite[] = "sqlite:", pg[] = "postgresql:",
                      pg_short[] = "postgres:";
    if (strncmp(location, sqlite, sizeof(sqlite) - 1) == 0) {
        *d_r = &sg_sql_sqlite;
        *rest_r = location + sizeof(sqlite) - 1;
        return 0;
    }
    const char *rest = NULL;
    if (strncmp(location, pg, sizeof(pg) - 1) == 0)
        rest = location + sizeof(pg) - 1;
    else if (strncmp(location, pg_short, sizeof(pg_short) - 1) == 0)
        rest = location + sizeof(pg_short) - 1;
    if (rest == NULL) {
        *d_r = &sg_sql_sqlite;
        *rest_r = location;
        return 0;
    }
#ifdef HAVE_LIBPQ
    (void)error_r;
    *d_r = &sg_sql_pg;
    /* a URI keeps its scheme: libpq reads "postgresql://..." whole */
    *rest_r = strncmp(rest, "//", 2) == 0 ? location : rest;
    return 0;
#else
    (void)d_r;
    (void)rest_r;
    return sg_store_fail(error_r,
                         "the store is on PostgreSQL, but this "
                         "safeguard-milter was built without it (configure "
                         "--with-postgresql)");
#endif
}

bool
sg_store_sql_is_postgresql(const char *location)
{
    return location != NULL && (strncmp(location, "postgresql:", 11) == 0 ||
                                strncmp(location, "postgres:", 9) == 0);
}

static int
sql_open(const char *location, void **be_r, const char **error_r)
{
    const struct sg_sql_driver *d = NULL;
    const char *rest = NULL;
    if (pick_driver(location, &d, &rest, error_r) < 0 || d == NULL ||
        rest == NULL) /* the last two cannot be: for the compiler */
        return -1;
    if (*rest == '\0')
        return sg_store_fail(error_r, "the quarantine database's location "
                                      "is empty");
    struct sg_store_sql *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sg_store_fail(error_r, "out of memory");
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return sg_store_fail(error_r, "cannot create a mutex");
    }
    pthread_cond_init(&s->freed, NULL);
    s->drv = d;
    s->busy_ms = SG_STORE_BUSY_TIMEOUT_MS;
    s->n = d->pool_size < SG_SQL_POOL_MAX ? d->pool_size : SG_SQL_POOL_MAX;
    for (size_t i = 0; i < s->n; i++)
        s->conns[i].s = s;
    if ((s->location = strdup(rest)) == NULL) {
        sg_store_fail(error_r, "out of memory");
        goto fail;
    }
    struct sg_sql_conn *c = sg_sql_acquire(s, error_r);
    if (c == NULL)
        goto fail;
    int r = d->schema(s, c, error_r);
    sg_sql_release(c);
    if (r < 0)
        goto fail;
    *be_r = s;
    return 0;
fail:
    sql_close(s);
    return -1;
}

int
sg_store_sql_lock(void *be, bool wait, int *fd_r, const char **error_r)
{
#ifdef HAVE_LIBPQ
    struct sg_store_sql *s = be;
    if (s->drv == &sg_sql_pg)
        return sg_sql_pg_lock(s, wait, fd_r, error_r);
#else
    (void)be;
    (void)wait;
    (void)fd_r;
#endif
    return sg_store_fail(error_r, "the review lock: this store has no file "
                                  "to lock");
}

bool
sg_store_sql_unlock(int fd)
{
#ifdef HAVE_LIBPQ
    return sg_sql_pg_unlock(fd);
#else
    (void)fd;
    return false;
#endif
}

static void
sql_set_busy_timeout(void *be, int ms)
{
    struct sg_store_sql *s = be;
    pthread_mutex_lock(&s->lock);
    s->busy_ms = ms; /* each connection takes it when next handed out */
    pthread_mutex_unlock(&s->lock);
}

static bool
sql_copies_kept(void *be)
{
    return ((struct sg_store_sql *)be)->drv->copies_in_db;
}

const struct sg_store_backend sg_store_sql = {
    .name = "sql",
    .open = sql_open,
    .close = sql_close,
    .set_busy_timeout = sql_set_busy_timeout,
    .copies_kept = sql_copies_kept,
    .insert_hold = sg_store_sql_insert_hold,
    .set_status = sg_store_sql_set_status,
    .audit = sg_store_sql_audit,
    .mark_seen = sg_store_sql_mark_seen,
    .delete_decided = sg_store_sql_delete_decided,
    .get = sg_store_sql_get,
    .waiting_ids = sg_store_sql_waiting_ids,
    .list = sg_store_sql_list,
    .rcpts = sg_store_sql_rcpts,
    .rules = sg_store_sql_rules,
    .findings = sg_store_sql_findings,
    .audit_rows = sg_store_sql_audit_rows,
    .export = sg_store_sql_export,
    .exists = sg_store_sql_exists,
    .copy = sg_store_sql_copy,
    .decided_before = sg_store_sql_decided_before,
    .outbox_add = sg_store_sql_outbox_add,
    .outbox_claim = sg_store_sql_outbox_claim,
    .outbox_mark_sent = sg_store_sql_outbox_mark_sent,
    .outbox_mark_retry = sg_store_sql_outbox_mark_retry,
    .outbox_next_due = sg_store_sql_outbox_next_due,
    .outbox_list = sg_store_sql_outbox_list,
    .outbox_of_record = sg_store_sql_outbox_of_record,
};
