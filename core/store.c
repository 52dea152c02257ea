/*
 * quarantine.c - the quarantine record store: what was held, why, for whom,
 * what became of it, and who decided.
 *
 * One SQLite database (WAL mode, foreign keys on, a busy timeout, schema
 * version in PRAGMA user_version, our own PRAGMA application_id) and a
 * directory of message copies, STORE_DIR/<record id>.eml.  A hold writes
 * the copy first (temporary file, fsync, rename that never replaces, fsync
 * of the directory), then the record and all its rows in one transaction;
 * if the transaction fails the copy is removed again.  The daemon shares
 * one connection between its threads behind a mutex; the copy is written
 * outside the mutex, so only the short transaction is serialised.  Other
 * processes (safeguard-review) open the same database; SQLITE_BUSY is
 * absorbed by the busy timeout, and every write transaction is BEGIN
 * IMMEDIATE so that it takes the write lock (and waits for it) up front.
 *
 * SECURITY: the store holds personal data about children.  The database is
 * created 0640 (SQLite gives its -wal and -shm files the same mode), the
 * directory 0750, each copy 0640.  File names are built only from
 * store_dir (resolved once at open) and ids this file generates
 * ("SG-", digits, "-", hex); ids coming from callers are only ever SQL
 * parameters, never parts of a path.  Every statement is parameterised.
 * Temporary copies are made with mkostemp (O_EXCL: no symlink is
 * followed) and are named ".tmp-*" so readers skip them; a copy is never
 * written over an existing file.  The audit table is append-only: triggers
 * abort any UPDATE or DELETE of it (this guards against the programs, not
 * against someone who can write the database file).  Error messages name
 * files and SQLite's reason, never message content, addresses or subjects.
 *
 * Fails by returning -1 with a thread-local error string and leaving
 * nothing half-written: no record without its copy and rows, no copy
 * without its record (except for a crash between the rename and the
 * commit, which leaves an orphan STORE_DIR/ID.eml, or before the rename,
 * which leaves a .tmp-* file; safeguard-review expire may remove both).
 * Never logs, never exits.
 *
 * SCHEMA (version 2).  Times are Unix seconds (UTC).
 *
 *   records      one row per held message
 *     id             TEXT PRIMARY KEY   "SG-20261122-7F3A9C"
 *     queue_id       TEXT NOT NULL      the MTA's queue id (postsuper -H)
 *     created        INTEGER NOT NULL   when it was held
 *     client         TEXT               SMTP client address (NULL: unknown)
 *     trusted        INTEGER 0/1        client in trusted_networks
 *     auth_user      TEXT               SMTP AUTH user, NULL if none
 *     env_from       TEXT NOT NULL      envelope sender ("" for <>)
 *     subject        TEXT               decoded subject, NULL if none
 *     status         TEXT NOT NULL      held | released | rejected |
 *                                       expired | escalated | lost
 *     status_changed INTEGER NOT NULL   when status last changed
 *     message_path   TEXT               absolute path of the copy; NULL
 *                                       once retention purged the copy
 *     message_size   INTEGER NOT NULL   bytes in the copy
 *     action         TEXT NOT NULL      the verdict's action ("hold")
 *     explain_sender TEXT NOT NULL      the enforced rules' texts for the
 *     explain_dsl    TEXT NOT NULL      sender / the DSL, in rule order,
 *                                       joined by a blank line ("" if
 *                                       none); each rule's own texts,
 *                                       test-mode rules included, are in
 *                                       rules.explain_*
 *     queue_seen     INTEGER            when the mail queue was first seen
 *                                       holding the message; NULL: not
 *                                       yet (version 2; records from
 *                                       version 1 have their created)
 *   recipients   one row per envelope recipient, in envelope order
 *     record_id -> records.id ON DELETE CASCADE; pos; address;
 *     roles ("staff,dsl"; "external" for an unknown address);
 *     channel (school | personal | none)
 *   rules        one row per matching rule, in rules-file order
 *     record_id -> records.id ON DELETE CASCADE; pos; rule_id; title;
 *     policy; source; mode (enforce | test); action (what the rule says);
 *     recipients (comma-joined, the ones it matched on); notify
 *     (comma-joined); explain_sender; explain_dsl
 *     PRIMARY KEY (record_id, rule_id)
 *   findings     what each rule found, in order
 *     (record_id, rule_id) -> rules ON DELETE CASCADE; pos; detector;
 *     text (the matched text); location ("subject", a part's label, ...)
 *   audit        append-only history: holds, decisions, notes, logins,
 *                views; it outlives purged records, so record_id is not
 *                a foreign key
 *     id INTEGER PRIMARY KEY AUTOINCREMENT; record_id (NULL for a login);
 *     time; actor ("safeguard-milter", a DSL's login); client (where the
 *     actor came from); action ("held", "released", "note", ...); note
 *
 * Indexes serve the review tool: records by (status, created), created,
 * env_from, queue_id; rules by rule_id; audit by (record_id, id) and time.
 * Deleting a record (retention) deletes its recipients, rules and findings
 * and leaves its audit rows.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fdio.h"
#include "store.h"
#include "store_outbox.h"
#include "sg_buf.h"

/* "SGMQ": marks the database file as ours (PRAGMA application_id). */
#define QUAR_APPLICATION_ID 0x53474d51
#define QUAR_ACTOR "safeguard-milter"
#define QUAR_ID_ATTEMPTS 16
#define QUAR_COPY_CHUNK (64 * 1024)
#define QUAR_ID_SIZE 48 /* "SG-YYYYMMDD-XXXXXX" and room to spare */

struct sg_quarantine {
    pthread_mutex_t lock; /* serialises every use of db */
    sqlite3 *db;
    char *db_path;
    char *store_dir; /* absolute, resolved at open */
};

static _Thread_local char errbuf[1024];

#define fail sg_quarantine_fail

int
sg_quarantine_fail(const char **error_r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    if (error_r != NULL)
        *error_r = errbuf;
    return -1;
}

/* A failure SQLite reported on q->db (called with the lock held). */
static int
fail_db(struct sg_quarantine *q, const char *what, const char **error_r)
{
    return fail(error_r, "quarantine database %s: %s: %s", q->db_path, what,
                sqlite3_errmsg(q->db));
}

static const char *const status_names[] = {
    [SG_QSTATUS_HELD] = "held",
    [SG_QSTATUS_RELEASED] = "released",
    [SG_QSTATUS_REJECTED] = "rejected",
    [SG_QSTATUS_EXPIRED] = "expired",
    [SG_QSTATUS_ESCALATED] = "escalated",
    [SG_QSTATUS_LOST] = "lost",
};
#define N_STATUS (sizeof(status_names) / sizeof(status_names[0]))

const char *
sg_quarantine_status_name(enum sg_quarantine_status status)
{
    if ((unsigned)status >= N_STATUS)
        return "?";
    return status_names[status];
}

const char *
sg_quarantine_status_title(enum sg_quarantine_status status)
{
    return status == SG_QSTATUS_LOST ? "not kept by the mail system"
                                     : sg_quarantine_status_name(status);
}

int
sg_quarantine_status_parse(const char *name,
                           enum sg_quarantine_status *status_r)
{
    for (size_t i = 0; name != NULL && i < N_STATUS; i++) {
        if (strcmp(name, status_names[i]) == 0) {
            *status_r = (enum sg_quarantine_status)i;
            return 0;
        }
    }
    return -1;
}

/* ------------------------------------------------------------ schema */

/* The records table's columns, and its indexes: written once, for a new
 * database and for the upgrade that rebuilds the table. */
#define RECORDS_COLUMNS                                                        \
    " id TEXT PRIMARY KEY NOT NULL,"                                           \
    " queue_id TEXT NOT NULL,"                                                 \
    " created INTEGER NOT NULL,"                                               \
    " client TEXT,"                                                            \
    " trusted INTEGER NOT NULL CHECK (trusted IN (0, 1)),"                     \
    " auth_user TEXT,"                                                         \
    " env_from TEXT NOT NULL,"                                                 \
    " subject TEXT,"                                                           \
    " status TEXT NOT NULL CHECK (status IN"                                   \
    "  ('held', 'released', 'rejected', 'expired', 'escalated', 'lost')),"     \
    " status_changed INTEGER NOT NULL,"                                        \
    " message_path TEXT,"                                                      \
    " message_size INTEGER NOT NULL CHECK (message_size >= 0),"                \
    " action TEXT NOT NULL,"                                                   \
    " explain_sender TEXT NOT NULL,"                                           \
    " explain_dsl TEXT NOT NULL,"                                              \
    " queue_seen INTEGER"
#define RECORDS_INDEXES                                                        \
    "CREATE INDEX records_status_created ON records (status, created);"        \
    "CREATE INDEX records_created ON records (created);"                       \
    "CREATE INDEX records_env_from ON records (env_from);"                     \
    "CREATE INDEX records_queue_id ON records (queue_id);"

/* Version 1 to 2: the status "lost" and the column queue_seen.  SQLite
 * cannot change a CHECK constraint in place, so the table is rebuilt
 * (with foreign keys off: dropping the old table must not cascade).
 * Records from version 1 count as seen on hold when they were made, so
 * that a later absence from the queue reads, as before, as released or
 * deleted by hand. */
static const char upgrade_v2[] =
    "CREATE TABLE records_v2 (" RECORDS_COLUMNS ");"
    "INSERT INTO records_v2 (id, queue_id, created, client, trusted,"
    " auth_user, env_from, subject, status, status_changed, message_path,"
    " message_size, action, explain_sender, explain_dsl, queue_seen)"
    " SELECT id, queue_id, created, client, trusted, auth_user, env_from,"
    " subject, status, status_changed, message_path, message_size, action,"
    " explain_sender, explain_dsl, created FROM records;"
    "DROP TABLE records;"
    "ALTER TABLE records_v2 RENAME TO records;" RECORDS_INDEXES;

static const char schema[] =
    "CREATE TABLE records (" RECORDS_COLUMNS ");" RECORDS_INDEXES
    "CREATE TABLE recipients ("
    " record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " address TEXT NOT NULL,"
    " roles TEXT NOT NULL,"
    " channel TEXT NOT NULL CHECK (channel IN ('school', 'personal', 'none')),"
    " PRIMARY KEY (record_id, pos));"
    "CREATE TABLE rules ("
    " record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " rule_id TEXT NOT NULL,"
    " title TEXT,"
    " policy TEXT,"
    " source TEXT,"
    " mode TEXT NOT NULL CHECK (mode IN ('enforce', 'test')),"
    " action TEXT NOT NULL,"
    " recipients TEXT NOT NULL,"
    " notify TEXT NOT NULL,"
    " explain_sender TEXT,"
    " explain_dsl TEXT,"
    " PRIMARY KEY (record_id, rule_id),"
    " UNIQUE (record_id, pos));"
    "CREATE INDEX rules_rule_id ON rules (rule_id);"
    "CREATE TABLE findings ("
    " record_id TEXT NOT NULL,"
    " rule_id TEXT NOT NULL,"
    " pos INTEGER NOT NULL,"
    " detector TEXT NOT NULL,"
    " text TEXT,"
    " location TEXT,"
    " PRIMARY KEY (record_id, rule_id, pos),"
    " FOREIGN KEY (record_id, rule_id) REFERENCES rules (record_id, rule_id)"
    "  ON DELETE CASCADE);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " record_id TEXT,"
    " time INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " client TEXT,"
    " action TEXT NOT NULL,"
    " note TEXT);"
    "CREATE INDEX audit_record ON audit (record_id, id);"
    "CREATE INDEX audit_time ON audit (time);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
    " SELECT RAISE(ABORT, 'the audit table is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
    " SELECT RAISE(ABORT, 'the audit table is append-only'); END;";

/* The single integer a pragma returns; -1 with an error. */
static int
pragma_int(struct sg_quarantine *q, const char *sql, long long *value_r,
           const char **error_r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail_db(q, "cannot read it", error_r);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        fail_db(q, "cannot read it", error_r);
        sqlite3_finalize(st);
        return -1;
    }
    *value_r = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static int
exec(struct sg_quarantine *q, const char *sql, const char *what,
     const char **error_r)
{
    if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail_db(q, what, error_r);
    return 0;
}

static void
rollback(struct sg_quarantine *q)
{
    /* Fails harmlessly when SQLite has already rolled back. */
    sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
}

static int
set_wal(struct sg_quarantine *q, const char **error_r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st,
                           NULL) != SQLITE_OK)
        return fail_db(q, "cannot switch to WAL mode", error_r);
    int rc = sqlite3_step(st);
    const char *mode =
        rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int ok = mode != NULL && strcasecmp(mode, "wal") == 0;
    if (!ok) {
        if (rc == SQLITE_ROW)
            fail(error_r,
                 "quarantine database %s: cannot switch to WAL mode "
                 "(it stays in %s mode; is it on a network file system?)",
                 q->db_path, mode != NULL ? mode : "an unknown");
        else
            fail_db(q, "cannot switch to WAL mode", error_r);
    }
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

/* Create or upgrade the schema to SG_QUARANTINE_SCHEMA_VERSION.  Another
 * process may be doing the same: the version is read again under the
 * write lock. */
static int
ensure_schema(struct sg_quarantine *q, const char **error_r)
{
    long long version, app_id, objects;

    if (pragma_int(q, "PRAGMA user_version", &version, error_r) < 0 ||
        pragma_int(q, "PRAGMA application_id", &app_id, error_r) < 0)
        return -1;
    if (app_id != 0 && app_id != QUAR_APPLICATION_ID)
        return fail(error_r,
                    "%s is not a safeguard-milter quarantine database "
                    "(another program's application id %lld)",
                    q->db_path, app_id);
    if (app_id == QUAR_APPLICATION_ID &&
        version > SG_QUARANTINE_SCHEMA_VERSION)
        return fail(error_r,
                    "quarantine database %s has schema version %lld, newer "
                    "than the %d this safeguard-milter knows: run the newer "
                    "safeguard-milter, or point quarantine_db elsewhere",
                    q->db_path, version, SG_QUARANTINE_SCHEMA_VERSION);
    if (version == SG_QUARANTINE_SCHEMA_VERSION &&
        app_id == QUAR_APPLICATION_ID)
        return 0;

    /* a no-op inside a transaction: the rebuild needs it off first */
    if (exec(q, "PRAGMA foreign_keys = OFF", "cannot turn off foreign keys",
             error_r) < 0)
        return -1;
    if (exec(q, "BEGIN IMMEDIATE", "cannot lock it to create the schema",
             error_r) < 0)
        goto fail;
    if (pragma_int(q, "PRAGMA user_version", &version, error_r) < 0 ||
        pragma_int(q, "PRAGMA application_id", &app_id, error_r) < 0 ||
        pragma_int(q,
                   "SELECT count(*) FROM sqlite_master"
                   " WHERE name NOT LIKE 'sqlite_%'",
                   &objects, error_r) < 0)
        goto fail;
    if (app_id != QUAR_APPLICATION_ID && (version != 0 || objects != 0)) {
        fail(error_r,
             "%s is not a safeguard-milter quarantine database (it has "
             "tables but not our application id): point quarantine_db at "
             "a new file",
             q->db_path);
        goto fail;
    }
    if (version == 0) {
        if (exec(q, schema, "cannot create the schema", error_r) < 0)
            goto fail;
        version = SG_QUARANTINE_SCHEMA_VERSION;
    }
    /* Upgrades from version N to N+1 go here, in order. */
    if (version == 1) {
        if (exec(q, upgrade_v2, "cannot upgrade the schema to version 2",
                 error_r) < 0 ||
            pragma_int(q, "SELECT count(*) FROM pragma_foreign_key_check",
                       &objects, error_r) < 0)
            goto fail;
        if (objects != 0) {
            fail(error_r, "quarantine database %s: the upgrade to schema "
                          "version 2 would break %lld references",
                 q->db_path, objects);
            goto fail;
        }
        version = 2;
    }
    if (version != SG_QUARANTINE_SCHEMA_VERSION) {
        fail(error_r, "quarantine database %s has schema version %lld, "
                      "which this safeguard-milter cannot upgrade",
             q->db_path, version);
        goto fail;
    }
    char sql[128];
    snprintf(sql, sizeof(sql),
             "PRAGMA application_id = %d; PRAGMA user_version = %d",
             QUAR_APPLICATION_ID, SG_QUARANTINE_SCHEMA_VERSION);
    if (exec(q, sql, "cannot set the schema version", error_r) < 0 ||
        exec(q, "COMMIT", "cannot commit the schema", error_r) < 0)
        goto fail;
    return exec(q, "PRAGMA foreign_keys = ON", "cannot turn on foreign keys",
                error_r);
fail:
    rollback(q);
    sqlite3_exec(q->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    return -1;
}

/* ------------------------------------------------------------ open */

static int
make_store_dir(const char *dir, char **abs_r, const char **error_r)
{
    struct stat st;
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        return fail(error_r, "cannot create the message directory %s: %s",
                    dir, strerror(errno));
    if (stat(dir, &st) < 0)
        return fail(error_r, "cannot use the message directory %s: %s", dir,
                    strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(error_r, "message directory %s is not a directory", dir);
    if (access(dir, W_OK | X_OK) < 0)
        return fail(error_r, "message directory %s is not writable: %s", dir,
                    strerror(errno));
    char *abs = realpath(dir, NULL);
    if (abs == NULL)
        return fail(error_r, "cannot resolve the message directory %s: %s",
                    dir, strerror(errno));
    if (strlen(abs) + 64 > PATH_MAX) {
        free(abs);
        return fail(error_r, "message directory %s: path is too long", dir);
    }
    *abs_r = abs;
    return 0;
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
        return fail(error_r, "cannot create the quarantine database %s: %s",
                    path, strerror(errno));
    }
    if (fchmod(fd, 0640) < 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return fail(error_r, "cannot set the mode of %s: %s", path,
                    strerror(e));
    }
    close(fd);
    return 0;
}

int
sg_quarantine_open(const char *db_path, const char *store_dir,
                   struct sg_quarantine **q_r, const char **error_r)
{
    if (db_path == NULL || *db_path == '\0')
        return fail(error_r, "the quarantine database path is empty");
    if (store_dir == NULL || *store_dir == '\0')
        return fail(error_r, "the quarantine message directory is empty");

    struct sg_quarantine *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return fail(error_r, "out of memory");
    if (pthread_mutex_init(&q->lock, NULL) != 0) {
        free(q);
        return fail(error_r, "cannot create a mutex");
    }
    q->db_path = strdup(db_path);
    if (q->db_path == NULL) {
        fail(error_r, "out of memory");
        goto fail;
    }
    if (make_store_dir(store_dir, &q->store_dir, error_r) < 0 ||
        precreate_db(db_path, error_r) < 0)
        goto fail;

    int rc = sqlite3_open_v2(db_path, &q->db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        fail(error_r, "cannot open the quarantine database %s: %s", db_path,
             q->db != NULL ? sqlite3_errmsg(q->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(q->db, 1);
    sqlite3_busy_timeout(q->db, SG_QUARANTINE_BUSY_TIMEOUT_MS);
    sqlite3_db_config(q->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    if (sqlite3_db_readonly(q->db, "main") == 1) {
        fail(error_r, "quarantine database %s is read-only", db_path);
        goto fail;
    }
    long long version;
    if (pragma_int(q, "PRAGMA user_version", &version, error_r) < 0 ||
        exec(q, "PRAGMA foreign_keys = ON", "cannot turn on foreign keys",
             error_r) < 0 ||
        set_wal(q, error_r) < 0 ||
        exec(q, "PRAGMA synchronous = FULL", "cannot set synchronous",
             error_r) < 0 ||
        ensure_schema(q, error_r) < 0 ||
        sg_outbox_schema(q->db, q->db_path, error_r) < 0)
        goto fail;
    *q_r = q;
    return 0;
fail:
    sg_quarantine_close(&q);
    return -1;
}

sqlite3 *
sg_quarantine_db_acquire(struct sg_quarantine *q)
{
    pthread_mutex_lock(&q->lock);
    return q->db;
}

void
sg_quarantine_db_release(struct sg_quarantine *q)
{
    pthread_mutex_unlock(&q->lock);
}

const char *
sg_quarantine_db_path(const struct sg_quarantine *q)
{
    return q->db_path;
}

void
sg_quarantine_set_busy_timeout(struct sg_quarantine *q, int ms)
{
    pthread_mutex_lock(&q->lock);
    sqlite3_busy_timeout(q->db, ms);
    pthread_mutex_unlock(&q->lock);
}

void
sg_quarantine_close(struct sg_quarantine **qp)
{
    struct sg_quarantine *q = qp != NULL ? *qp : NULL;
    if (q == NULL)
        return;
    if (q->db != NULL)
        sqlite3_close_v2(q->db);
    pthread_mutex_destroy(&q->lock);
    free(q->db_path);
    free(q->store_dir);
    free(q);
    *qp = NULL;
}

/* ------------------------------------------------------------ the copy */

/* Copy the message into out; its size in *size_r. */
static int
copy_message(int out, const char *path, const struct sg_hold *h,
             uint64_t *size_r, const char **error_r)
{
    if (h->data != NULL) {
        if (sg_write_all(out, h->data, h->len) < 0)
            return fail(error_r, "cannot write the message copy %s: %s",
                        path, strerror(errno));
        *size_r = h->len;
        return 0;
    }
    char *chunk = malloc(QUAR_COPY_CHUNK);
    if (chunk == NULL)
        return fail(error_r, "out of memory");
    uint64_t off = 0;
    while (off < h->fd_size) {
        uint64_t left = h->fd_size - off;
        size_t want = left < QUAR_COPY_CHUNK ? (size_t)left : QUAR_COPY_CHUNK;
        ssize_t n = pread(h->fd, chunk, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                fail(error_r,
                     "the message file ends after %llu of its %llu bytes",
                     (unsigned long long)off,
                     (unsigned long long)h->fd_size);
            else
                fail(error_r, "cannot read the message file: %s",
                     strerror(errno));
            free(chunk);
            return -1;
        }
        if (sg_write_all(out, chunk, (size_t)n) < 0) {
            fail(error_r, "cannot write the message copy %s: %s", path,
                 strerror(errno));
            free(chunk);
            return -1;
        }
        off += (uint64_t)n;
    }
    free(chunk);
    *size_r = off;
    return 0;
}

/* Write the copy to a new temporary file in the store; its name in tmp. */
static int
write_temp_copy(struct sg_quarantine *q, const struct sg_hold *h,
                char tmp[PATH_MAX], uint64_t *size_r, const char **error_r)
{
    snprintf(tmp, PATH_MAX, "%s/.tmp-XXXXXX", q->store_dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return fail(error_r, "cannot create a file in the message "
                             "directory %s: %s",
                    q->store_dir, strerror(errno));
    if (fchmod(fd, 0640) < 0) {
        fail(error_r, "cannot set the mode of %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (copy_message(fd, tmp, h, size_r, error_r) < 0)
        goto fail;
    if (fsync(fd) < 0) {
        fail(error_r, "cannot write the message copy %s: %s", tmp,
             strerror(errno));
        goto fail;
    }
    if (close(fd) < 0) {
        fd = -1;
        fail(error_r, "cannot write the message copy %s: %s", tmp,
             strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

static int
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* Give the copy its final name, never replacing a file.  0, or -1 with
 * errno (EEXIST: the name is taken). */
static int
place(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* A file system without RENAME_NOREPLACE: link() never replaces. */
    if (link(from, to) < 0)
        return -1;
    unlink(from);
    return 0;
}

/* "SG-20261122-7F3A9C": the UTC date of t and 24 random bits. */
static int
make_id(time_t t, char id[QUAR_ID_SIZE], const char **error_r)
{
    unsigned char r[3];
    struct tm tm;
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return fail(error_r, "cannot get random bytes for a record id: %s",
                    strerror(errno));
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 || tm.tm_year > 8099)
        return fail(error_r, "the hold time is out of range");
    snprintf(id, QUAR_ID_SIZE, "SG-%04d%02d%02d-%02X%02X%02X", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, r[0], r[1], r[2]);
    return 0;
}

/* ------------------------------------------------------------ the rows */

static int
bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s == NULL)
        return sqlite3_bind_null(st, i);
    return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Step a bound INSERT/UPDATE to completion and reset it for the next row. */
static int
step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
join(struct sg_buf *b, char *const *v, size_t n)
{
    sg_buf_reset(b);
    if (sg_buf_puts(b, "") < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((i > 0 && sg_buf_putc(b, ',') < 0) || sg_buf_puts(b, v[i]) < 0)
            return -1;
    return 0;
}

static const char *
channel_name(enum sg_channel ch)
{
    return ch == SG_CHANNEL_SCHOOL     ? "school"
           : ch == SG_CHANNEL_PERSONAL ? "personal"
                                       : "none";
}

/* The enforced rules' texts, in order, joined by a blank line. */
static int
join_explain(struct sg_buf *b, const struct sg_verdict *v, bool dsl)
{
    if (sg_buf_puts(b, "") < 0)
        return -1;
    for (size_t i = 0; i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        const char *text = dsl ? m->explain_dsl : m->explain_sender;
        if (m->mode != SG_MODE_ENFORCE || text == NULL || *text == '\0')
            continue;
        if ((b->len > 0 && sg_buf_puts(b, "\n\n") < 0) ||
            sg_buf_puts(b, text) < 0)
            return -1;
    }
    return 0;
}

enum { INS_RECORD, INS_RCPT, INS_RULE, INS_FINDING, INS_AUDIT, N_INS };

static const char *const insert_sql[N_INS] = {
    [INS_RECORD] =
        "INSERT INTO records (id, queue_id, created, client, trusted,"
        " auth_user, env_from, subject, status, status_changed,"
        " message_path, message_size, action, explain_sender, explain_dsl)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'held', ?3, ?9, ?10, ?11,"
        " ?12, ?13)",
    [INS_RCPT] = "INSERT INTO recipients (record_id, pos, address, roles,"
                 " channel) VALUES (?1, ?2, ?3, ?4, ?5)",
    [INS_RULE] =
        "INSERT INTO rules (record_id, pos, rule_id, title, policy, source,"
        " mode, action, recipients, notify, explain_sender, explain_dsl)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [INS_FINDING] = "INSERT INTO findings (record_id, rule_id, pos, detector,"
                    " text, location) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [INS_AUDIT] = "INSERT INTO audit (record_id, time, actor, client,"
                  " action, note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
};

#define INSERT_DUPLICATE 1

struct hold_tx {
    const struct sg_hold *h;
    const char *id;
    const char *path;
    uint64_t size;
    const char *explain_sender;
    const char *explain_dsl;
    const struct sg_outbox_batch *notices;
};

/* The rows of one hold, in the open transaction. */
static int
insert_rows(struct sg_quarantine *q, const struct hold_tx *t,
            sqlite3_stmt **st, const char **error_r)
{
    const struct sg_hold *h = t->h;
    const struct sg_verdict *v = h->verdict;
    struct sg_buf a = SG_BUF_INIT, b = SG_BUF_INIT;
    char note[160];
    int rc;

    bind_text(st[INS_RECORD], 1, t->id);
    bind_text(st[INS_RECORD], 2, h->queue_id);
    sqlite3_bind_int64(st[INS_RECORD], 3, (sqlite3_int64)h->time);
    bind_text(st[INS_RECORD], 4, h->client);
    sqlite3_bind_int(st[INS_RECORD], 5, h->client_trusted ? 1 : 0);
    bind_text(st[INS_RECORD], 6, h->auth_user);
    bind_text(st[INS_RECORD], 7, h->env_from);
    bind_text(st[INS_RECORD], 8, h->subject);
    bind_text(st[INS_RECORD], 9, t->path);
    sqlite3_bind_int64(st[INS_RECORD], 10, (sqlite3_int64)t->size);
    bind_text(st[INS_RECORD], 11, sg_action_name(v->action));
    bind_text(st[INS_RECORD], 12, t->explain_sender);
    bind_text(st[INS_RECORD], 13, t->explain_dsl);
    rc = step_done(st[INS_RECORD]);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return INSERT_DUPLICATE;
    if (rc != SQLITE_OK)
        return fail_db(q, "cannot insert the record", error_r);

    for (size_t i = 0; i < h->n_rcpts; i++) {
        const struct sg_party *p = &h->rcpts[i];
        if (p->person == NULL || p->person->n_roles == 0) {
            sg_buf_reset(&a);
            rc = sg_buf_puts(&a, SG_ROLE_EXTERNAL);
        } else {
            rc = join(&a, p->person->roles, p->person->n_roles);
        }
        if (rc < 0)
            goto oom;
        bind_text(st[INS_RCPT], 1, t->id);
        sqlite3_bind_int64(st[INS_RCPT], 2, (sqlite3_int64)i);
        bind_text(st[INS_RCPT], 3, p->address != NULL ? p->address : "");
        bind_text(st[INS_RCPT], 4, a.data);
        bind_text(st[INS_RCPT], 5, channel_name(p->channel));
        if (step_done(st[INS_RCPT]) != SQLITE_OK) {
            fail_db(q, "cannot insert a recipient", error_r);
            goto fail;
        }
    }

    for (size_t i = 0; i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        if (join(&a, m->recipients, m->n_recipients) < 0 ||
            join(&b, m->notify, m->n_notify) < 0)
            goto oom;
        bind_text(st[INS_RULE], 1, t->id);
        sqlite3_bind_int64(st[INS_RULE], 2, (sqlite3_int64)i);
        bind_text(st[INS_RULE], 3, m->id != NULL ? m->id : "");
        bind_text(st[INS_RULE], 4, m->title);
        bind_text(st[INS_RULE], 5, m->policy);
        bind_text(st[INS_RULE], 6, m->source);
        bind_text(st[INS_RULE], 7, sg_mode_name(m->mode));
        bind_text(st[INS_RULE], 8, sg_action_name(m->action));
        bind_text(st[INS_RULE], 9, a.data);
        bind_text(st[INS_RULE], 10, b.data);
        bind_text(st[INS_RULE], 11, m->explain_sender);
        bind_text(st[INS_RULE], 12, m->explain_dsl);
        if (step_done(st[INS_RULE]) != SQLITE_OK) {
            fail_db(q, "cannot insert a rule", error_r);
            goto fail;
        }
        for (size_t j = 0; j < m->n_findings; j++) {
            const struct sg_finding *f = &m->findings[j];
            bind_text(st[INS_FINDING], 1, t->id);
            bind_text(st[INS_FINDING], 2, m->id != NULL ? m->id : "");
            sqlite3_bind_int64(st[INS_FINDING], 3, (sqlite3_int64)j);
            bind_text(st[INS_FINDING], 4,
                      f->detector != NULL ? f->detector : "");
            bind_text(st[INS_FINDING], 5, f->text);
            bind_text(st[INS_FINDING], 6, f->where);
            if (step_done(st[INS_FINDING]) != SQLITE_OK) {
                fail_db(q, "cannot insert a finding", error_r);
                goto fail;
            }
        }
    }

    snprintf(note, sizeof(note), "queue id %s", h->queue_id);
    bind_text(st[INS_AUDIT], 1, t->id);
    sqlite3_bind_int64(st[INS_AUDIT], 2, (sqlite3_int64)h->time);
    bind_text(st[INS_AUDIT], 3, QUAR_ACTOR);
    bind_text(st[INS_AUDIT], 4, h->client);
    bind_text(st[INS_AUDIT], 5, sg_quarantine_status_name(SG_QSTATUS_HELD));
    bind_text(st[INS_AUDIT], 6, note);
    if (step_done(st[INS_AUDIT]) != SQLITE_OK) {
        fail_db(q, "cannot insert the audit row", error_r);
        goto fail;
    }
    sg_buf_free(&a);
    sg_buf_free(&b);
    return 0;
oom:
    fail(error_r, "out of memory");
fail:
    sg_buf_free(&a);
    sg_buf_free(&b);
    return -1;
}

/* One transaction: every row of the hold, or none.  0, INSERT_DUPLICATE
 * (the id is taken: nothing written), or -1. */
static int
insert_hold(struct sg_quarantine *q, const struct hold_tx *t,
            const char **error_r)
{
    sqlite3_stmt *st[N_INS] = {NULL};
    int r = -1;

    pthread_mutex_lock(&q->lock);
    for (size_t i = 0; i < N_INS; i++) {
        if (sqlite3_prepare_v2(q->db, insert_sql[i], -1, &st[i], NULL) !=
            SQLITE_OK) {
            fail_db(q, "cannot prepare an insert", error_r);
            goto out;
        }
    }
    if (exec(q, "BEGIN IMMEDIATE", "cannot start a transaction", error_r) < 0)
        goto out;
    r = insert_rows(q, t, st, error_r);
    if (r == 0 && sg_outbox_insert(q->db, q->db_path, t->notices, t->id,
                                   t->h->time, error_r) < 0)
        r = -1;
    if (r == 0 && exec(q, "COMMIT", "cannot commit the record", error_r) < 0)
        r = -1;
    if (r != 0)
        rollback(q);
out:
    for (size_t i = 0; i < N_INS; i++)
        sqlite3_finalize(st[i]);
    pthread_mutex_unlock(&q->lock);
    return r;
}

int
sg_quarantine_hold(struct sg_quarantine *q, const struct sg_hold *h,
                   char **record_id_r, const char **error_r)
{
    if (q == NULL || h == NULL || record_id_r == NULL)
        return fail(error_r, "quarantine hold: missing argument");
    if (h->queue_id == NULL || h->env_from == NULL || h->verdict == NULL ||
        (h->rcpts == NULL && h->n_rcpts > 0))
        return fail(error_r, "quarantine hold: the queue id, envelope "
                             "sender, recipients or verdict is missing");
    if (h->data == NULL && h->fd < 0)
        return fail(error_r, "quarantine hold: no message (no data, no fd)");

    struct sg_buf es = SG_BUF_INIT, ed = SG_BUF_INIT;
    struct sg_outbox_batch notices = {0};
    char tmp[PATH_MAX], final[PATH_MAX], id[QUAR_ID_SIZE];
    bool have_tmp = false;
    int r = -1;
    /* Allocated first, so that nothing can fail after the commit. */
    char *id_out = malloc(QUAR_ID_SIZE);

    if (id_out == NULL || join_explain(&es, h->verdict, false) < 0 ||
        join_explain(&ed, h->verdict, true) < 0) {
        fail(error_r, "out of memory");
        goto out;
    }
    struct hold_tx t = {
        .h = h,
        .id = id,
        .path = final,
        .explain_sender = es.data,
        .explain_dsl = ed.data,
        .notices = &notices,
    };
    if (write_temp_copy(q, h, tmp, &t.size, error_r) < 0)
        goto out;
    have_tmp = true;

    for (int attempt = 0; attempt < QUAR_ID_ATTEMPTS; attempt++) {
        if (make_id(h->time, id, error_r) < 0)
            goto out;
        snprintf(final, sizeof(final), "%s/%s.eml", q->store_dir, id);
        if (place(tmp, final) < 0) {
            if (errno == EEXIST)
                continue;
            fail(error_r, "cannot rename the message copy to %s: %s", final,
                 strerror(errno));
            goto out;
        }
        have_tmp = false;
        if (sync_dir(q->store_dir) < 0) {
            fail(error_r, "cannot sync the message directory %s: %s",
                 q->store_dir, strerror(errno));
            unlink(final);
            goto out;
        }
        sg_outbox_batch_free(&notices);
        if (h->notices != NULL)
            h->notices(h->notices_ctx, id, &notices);
        int ins = insert_hold(q, &t, error_r);
        if (ins == 0) {
            memcpy(id_out, id, strlen(id) + 1);
            *record_id_r = id_out;
            id_out = NULL;
            r = 0;
            goto out;
        }
        if (ins != INSERT_DUPLICATE) {
            unlink(final);
            goto out;
        }
        /* A record with this id exists (its copy purged): try another. */
        if (rename(final, tmp) < 0) {
            fail(error_r, "cannot rename the message copy %s: %s", final,
                 strerror(errno));
            unlink(final);
            goto out;
        }
        have_tmp = true;
    }
    fail(error_r, "no free record id after %d attempts", QUAR_ID_ATTEMPTS);
out:
    if (have_tmp)
        unlink(tmp);
    free(id_out);
    sg_buf_free(&es);
    sg_buf_free(&ed);
    sg_outbox_batch_free(&notices);
    return r;
}

/* ------------------------------------------------------------ review */

static char *
column_dup(sqlite3_stmt *st, int i, bool *oom)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    if (s == NULL)
        return NULL;
    char *d = strdup((const char *)s);
    if (d == NULL)
        *oom = true;
    return d;
}

void
sg_quarantine_record_free(struct sg_quarantine_record **rp)
{
    struct sg_quarantine_record *r = rp != NULL ? *rp : NULL;
    if (r == NULL)
        return;
    free(r->id);
    free(r->queue_id);
    free(r->client);
    free(r->auth_user);
    free(r->env_from);
    free(r->subject);
    free(r->message_path);
    free(r->action);
    free(r->explain_sender);
    free(r->explain_dsl);
    free(r);
    *rp = NULL;
}

int
sg_quarantine_get(struct sg_quarantine *q, const char *record_id,
                  struct sg_quarantine_record **record_r,
                  const char **error_r)
{
    if (q == NULL || record_id == NULL || record_r == NULL)
        return fail(error_r, "quarantine get: missing argument");

    static const char sql[] =
        "SELECT id, queue_id, created, client, trusted, auth_user, env_from,"
        " subject, status, status_changed, message_path, message_size,"
        " action, explain_sender, explain_dsl, coalesce(queue_seen, 0)"
        " FROM records WHERE id = ?1";
    sqlite3_stmt *st = NULL;
    struct sg_quarantine_record *r = NULL;
    int ret = -1;

    pthread_mutex_lock(&q->lock);
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_db(q, "cannot read a record", error_r);
        goto out;
    }
    bind_text(st, 1, record_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        fail(error_r, "no quarantine record %s", record_id);
        ret = SG_QUARANTINE_NOT_FOUND;
        goto out;
    }
    if (rc != SQLITE_ROW) {
        fail_db(q, "cannot read a record", error_r);
        goto out;
    }
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        fail(error_r, "out of memory");
        goto out;
    }
    bool oom = false;
    r->id = column_dup(st, 0, &oom);
    r->queue_id = column_dup(st, 1, &oom);
    r->created = (time_t)sqlite3_column_int64(st, 2);
    r->client = column_dup(st, 3, &oom);
    r->trusted = sqlite3_column_int(st, 4) != 0;
    r->auth_user = column_dup(st, 5, &oom);
    r->env_from = column_dup(st, 6, &oom);
    r->subject = column_dup(st, 7, &oom);
    const char *status = (const char *)sqlite3_column_text(st, 8);
    r->status_changed = (time_t)sqlite3_column_int64(st, 9);
    r->message_path = column_dup(st, 10, &oom);
    r->message_size = (uint64_t)sqlite3_column_int64(st, 11);
    r->action = column_dup(st, 12, &oom);
    r->explain_sender = column_dup(st, 13, &oom);
    r->explain_dsl = column_dup(st, 14, &oom);
    r->queue_seen = (time_t)sqlite3_column_int64(st, 15);
    if (oom) {
        fail(error_r, "out of memory");
        goto out;
    }
    if (sg_quarantine_status_parse(status, &r->status) < 0) {
        fail(error_r, "quarantine record %s has an unknown status",
             record_id);
        goto out;
    }
    *record_r = r;
    r = NULL;
    ret = 0;
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->lock);
    sg_quarantine_record_free(&r);
    return ret;
}

/* Append an audit row in the current transaction (lock held). */
static int
audit_row(struct sg_quarantine *q, const char *record_id, time_t when,
          const char *actor, const char *client, const char *action,
          const char *note, const char **error_r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(q->db, insert_sql[INS_AUDIT], -1, &st, NULL) !=
        SQLITE_OK)
        return fail_db(q, "cannot prepare the audit row", error_r);
    bind_text(st, 1, record_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)when);
    bind_text(st, 3, actor);
    bind_text(st, 4, client);
    bind_text(st, 5, action);
    bind_text(st, 6, note);
    int rc = step_done(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_OK)
        return fail_db(q, "cannot append the audit row", error_r);
    return 0;
}

int
sg_quarantine_set_status(struct sg_quarantine *q, const char *record_id,
                         enum sg_quarantine_status from_status,
                         enum sg_quarantine_status to_status,
                         const char *actor, const char *client,
                         const char *note, const char **error_r)
{
    if (q == NULL || record_id == NULL || actor == NULL || *actor == '\0')
        return fail(error_r, "quarantine status: missing argument");
    if ((unsigned)from_status >= N_STATUS || (unsigned)to_status >= N_STATUS)
        return fail(error_r, "quarantine status: no such status");
    if (from_status == to_status)
        return fail(error_r, "quarantine status: %s to %s is no change",
                    status_names[from_status], status_names[to_status]);

    static const char update_sql[] =
        "UPDATE records SET status = ?1, status_changed = ?2"
        " WHERE id = ?3 AND status = ?4";
    static const char status_sql[] = "SELECT status FROM records WHERE id = ?1";
    sqlite3_stmt *st = NULL;
    time_t now = time(NULL);
    int ret = -1;

    pthread_mutex_lock(&q->lock);
    if (exec(q, "BEGIN IMMEDIATE", "cannot start a transaction", error_r) < 0)
        goto out;
    if (sqlite3_prepare_v2(q->db, update_sql, -1, &st, NULL) != SQLITE_OK) {
        fail_db(q, "cannot prepare the status change", error_r);
        goto rollback;
    }
    bind_text(st, 1, status_names[to_status]);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
    bind_text(st, 3, record_id);
    bind_text(st, 4, status_names[from_status]);
    if (step_done(st) != SQLITE_OK) {
        fail_db(q, "cannot change the status", error_r);
        goto rollback;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_changes(q->db) == 1) {
        if (audit_row(q, record_id, now, actor, client,
                      status_names[to_status], note, error_r) < 0 ||
            exec(q, "COMMIT", "cannot commit the status change", error_r) < 0)
            goto rollback;
        ret = 0;
        goto out;
    }
    /* Nothing changed: say why. */
    if (sqlite3_prepare_v2(q->db, status_sql, -1, &st, NULL) != SQLITE_OK) {
        fail_db(q, "cannot read a record", error_r);
        goto rollback;
    }
    bind_text(st, 1, record_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *now_status = (const char *)sqlite3_column_text(st, 0);
        fail(error_r, "quarantine record %s is %s, not %s", record_id,
             now_status != NULL ? now_status : "?",
             status_names[from_status]);
        ret = SG_QUARANTINE_WRONG_STATUS;
    } else if (rc == SQLITE_DONE) {
        fail(error_r, "no quarantine record %s", record_id);
        ret = SG_QUARANTINE_NOT_FOUND;
    } else {
        fail_db(q, "cannot read a record", error_r);
    }
rollback:
    rollback(q);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->lock);
    return ret;
}

int
sg_quarantine_audit(struct sg_quarantine *q, const char *record_id,
                    const char *actor, const char *client, const char *action,
                    const char *note, const char **error_r)
{
    if (q == NULL || actor == NULL || *actor == '\0' || action == NULL ||
        *action == '\0')
        return fail(error_r, "quarantine audit: missing actor or action");
    pthread_mutex_lock(&q->lock);
    int r = audit_row(q, record_id, time(NULL), actor, client, action, note,
                      error_r);
    pthread_mutex_unlock(&q->lock);
    return r;
}

/* ------------------------------------------------------------ the queue */

int
sg_quarantine_lock(struct sg_quarantine *q, bool wait, int *fd_r,
                   const char **error_r)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s-review.lock", q->db_path) >=
        sizeof(path))
        return fail(error_r, "quarantine lock: path too long");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
    if (fd < 0)
        return fail(error_r, "cannot open the lock file %s: %s", path,
                    strerror(errno));
    struct stat st;
    if (geteuid() == 0 && stat(q->db_path, &st) == 0 &&
        fchown(fd, st.st_uid, st.st_gid) < 0) {
        /* root can always chown; nothing to do if it cannot */
    }
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK) {
                fail(error_r, "%s is locked by a decision or a sync", path);
                return SG_QUARANTINE_BUSY;
            }
            return fail(error_r, "cannot lock %s: %s", path, strerror(e));
        }
    }
    *fd_r = fd;
    return 0;
}

void
sg_quarantine_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* drops the flock */
}

int
sg_quarantine_waiting_ids(struct sg_quarantine *q, time_t until,
                          char ***ids_r, size_t *n_r, const char **error_r)
{
    sqlite3_stmt *st = NULL;
    *ids_r = NULL;
    *n_r = 0;
    int ret = 0;
    pthread_mutex_lock(&q->lock);
    if (sqlite3_prepare_v2(q->db,
                           "SELECT id FROM records WHERE status IN"
                           " ('held', 'escalated') AND created <= ?1"
                           " ORDER BY created, id",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = fail_db(q, "cannot list the records", error_r);
        goto out;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)until);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (sg_strv_push(ids_r, n_r,
                         (const char *)sqlite3_column_text(st, 0)) < 0) {
            ret = fail(error_r, "out of memory");
            goto out;
        }
    if (rc != SQLITE_DONE)
        ret = fail_db(q, "cannot list the records", error_r);
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->lock);
    if (ret < 0)
        sg_strv_free(ids_r, n_r);
    return ret;
}

/* First seen on hold: remember when (only the first time). */
static int
mark_seen(struct sg_quarantine *q, const char *record_id, time_t now,
          const char **error_r)
{
    sqlite3_stmt *st = NULL;
    int ret = 0;
    pthread_mutex_lock(&q->lock);
    if (sqlite3_prepare_v2(q->db,
                           "UPDATE records SET queue_seen = ?1"
                           " WHERE id = ?2 AND queue_seen IS NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        ret = fail_db(q, "cannot prepare to mark a record seen", error_r);
    } else {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
        bind_text(st, 2, record_id);
        if (step_done(st) != SQLITE_OK)
            ret = fail_db(q, "cannot mark a record seen", error_r);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&q->lock);
    return ret;
}

int
sg_quarantine_queue_check(struct sg_quarantine *q,
                          const struct sg_quarantine_record *rec,
                          enum sg_mailqueue_state state,
                          const char *queue_name, time_t now, time_t grace,
                          const char *actor, const char *client,
                          enum sg_quarantine_status *to_r, char *note,
                          size_t note_size, const char **error_r)
{
    if (rec->status != SG_QSTATUS_HELD && rec->status != SG_QSTATUS_ESCALATED)
        return 0;
    if (state == SG_MAILQUEUE_HOLD)
        return rec->queue_seen != 0 ? 0
                                    : mark_seen(q, rec->id, now, error_r);
    if (state != SG_MAILQUEUE_OTHER && state != SG_MAILQUEUE_ABSENT)
        return 0;
    const char *qname = queue_name != NULL ? queue_name : "?";
    enum sg_quarantine_status to;
    if (rec->queue_seen != 0 && state == SG_MAILQUEUE_OTHER) {
        to = SG_QSTATUS_RELEASED;
        snprintf(note, note_size,
                 "the mail queue has queue id %s in its %s queue, not on "
                 "hold: it was released outside safeguard-review",
                 rec->queue_id, qname);
    } else if (rec->queue_seen != 0) {
        to = SG_QSTATUS_EXPIRED;
        snprintf(note, note_size,
                 "the mail queue no longer has queue id %s: it was released "
                 "or deleted outside safeguard-review",
                 rec->queue_id);
    } else if (now - rec->created < grace) {
        return 0; /* the mail system may not have finished with it yet */
    } else if (state == SG_MAILQUEUE_OTHER) {
        to = SG_QSTATUS_LOST;
        snprintf(note, note_size,
                 "not kept by the mail system as held: queue id %s was never "
                 "seen in the hold queue and is in the %s queue, so the "
                 "message goes on to its recipients (the mail system did "
                 "not get or did not apply the hold, or it was released by "
                 "hand before it was checked); the copy here is what was "
                 "sent",
                 rec->queue_id, qname);
    } else {
        to = SG_QSTATUS_LOST;
        snprintf(note, note_size,
                 "not kept by the mail system: queue id %s was never seen in "
                 "the hold queue and the mail queue does not have it: either "
                 "the mail system gave the message back to its sender to try "
                 "again (the filter stopped or answered too late after "
                 "making this record; a retried message gets a record of "
                 "its own), or it was released or deleted by hand before any "
                 "check saw it on hold",
                 rec->queue_id);
    }
    int rc = sg_quarantine_set_status(q, rec->id, rec->status, to, actor,
                                      client, note, error_r);
    if (rc != 0)
        return rc;
    *to_r = to;
    return SG_QUARANTINE_CHANGED;
}

int
sg_quarantine_reconcile(struct sg_quarantine *q,
                        const struct sg_quarantine_reconcile *o,
                        struct sg_quarantine_reconcile_result *res_r,
                        const char **error_r)
{
    struct sg_quarantine_reconcile_result res = {0};
    if (res_r != NULL)
        *res_r = res;
    if (o->actor == NULL || *o->actor == '\0')
        return fail(error_r, "reconcile: missing actor");
    if (o->queue_command == NULL || *o->queue_command == '\0')
        return fail(error_r, "no queue command is configured "
                             "(review_queue_command): nothing to compare "
                             "with");
    int lock = -1;
    int rc = sg_quarantine_lock(q, o->wait, &lock, error_r);
    if (rc != 0)
        return rc;
    char **ids = NULL;
    size_t n = 0;
    struct sg_mailqueue mq = {0};
    const char *err = NULL;
    int ret = -1;
    /* The listing is taken after the records: a record made in between
     * is in it (or too young to judge), never missing from it. */
    if (sg_quarantine_waiting_ids(q, o->now, &ids, &n, error_r) < 0)
        goto out;
    if (sg_mailqueue_load(o->queue_command, o->timeout, &mq, &err) < 0) {
        fail(error_r, "cannot list the mail queue: %s", err);
        goto out;
    }
    ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        struct sg_quarantine_record *rec = NULL;
        rc = sg_quarantine_get(q, ids[i], &rec, error_r);
        if (rc == SG_QUARANTINE_NOT_FOUND)
            continue;
        if (rc != 0) {
            ret = -1;
            break;
        }
        res.checked++;
        const char *qname = NULL;
        enum sg_mailqueue_state st =
            sg_mailqueue_find(&mq, rec->queue_id, &qname);
        bool was_seen = rec->queue_seen != 0;
        enum sg_quarantine_status to = rec->status;
        char note[768];
        rc = sg_quarantine_queue_check(q, rec, st, qname, o->now, o->grace,
                                       o->actor, o->client, &to, note,
                                       sizeof(note), error_r);
        if (rc < 0) {
            ret = -1;
        } else if (rc == SG_QUARANTINE_CHANGED) {
            if (to == SG_QSTATUS_LOST)
                res.lost++;
            else
                res.gone++;
            if (o->each != NULL)
                o->each(o->ctx, rec, to, note);
        } else if (rc == 0 && !was_seen && st == SG_MAILQUEUE_HOLD) {
            res.seen++;
        }
        sg_quarantine_record_free(&rec);
    }
out:
    sg_mailqueue_free(&mq);
    sg_strv_free(&ids, &n);
    sg_quarantine_unlock(lock);
    if (res_r != NULL)
        *res_r = res;
    return ret;
}
