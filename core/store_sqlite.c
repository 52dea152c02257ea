/*
 * store_sqlite.c - the record store's SQLite driver (store_sql.h): the
 * connection and how a statement is run.  The schema and its upgrades
 * are store_sqlite_schema.c; the statements themselves are the SQL
 * layer's.
 *
 * One database in WAL mode, foreign keys on, synchronous FULL, a busy
 * timeout, SQLITE_DBCONFIG_DEFENSIVE.  The pool holds one connection, so
 * a process's transactions are serialised as SQLite would serialise its
 * writers anyway.  Other processes (safeguard-review) open the same
 * database; SQLITE_BUSY is absorbed by the busy timeout, and every write
 * transaction is BEGIN IMMEDIATE so that it takes the write lock (and
 * waits for it) up front.
 *
 * SECURITY: the database holds personal data about children.  It is
 * created 0640 (SQLite gives its -wal and -shm files the same mode).
 * Error messages name the file and SQLite's reason, never message
 * content, addresses or subjects.
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

#include <sqlite3.h>

#include "store_sql.h"

/* Defined in store_sqlite_schema.c. */
int sg_store_sqlite_schema(struct sg_store_sql *s, struct sg_sql_conn *c,
                           const char **error_r);

struct lite_stmt {
    struct sg_sql_stmt base;
    sqlite3_stmt *st;
};

#define LITE(st) (((struct lite_stmt *)(st))->st)

/* ------------------------------------------------------------ open */

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

static int
set_wal(const char *path, sqlite3 *db, const char **error_r)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) !=
        SQLITE_OK)
        return sg_store_fail(error_r,
                             "quarantine database %s: cannot switch to WAL "
                             "mode: %s",
                             path, sqlite3_errmsg(db));
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
                          path, mode != NULL ? mode : "an unknown");
        else
            sg_store_fail(error_r,
                          "quarantine database %s: cannot switch to WAL "
                          "mode: %s",
                          path, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return ok ? 0 : -1;
}

static void
lite_disconnect(void *h)
{
    if (h != NULL)
        sqlite3_close_v2(h);
}

static int
lite_connect(struct sg_store_sql *s, const char *path, void **h_r,
             const char **error_r)
{
    if (s->where == NULL && (s->where = strdup(path)) == NULL)
        return sg_store_fail(error_r, "out of memory");
    if (precreate_db(path, error_r) < 0)
        return -1;
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc != SQLITE_OK) {
        sg_store_fail(error_r, "cannot open the quarantine database %s: %s",
                      path,
                      db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, SG_STORE_BUSY_TIMEOUT_MS);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    if (sqlite3_db_readonly(db, "main") == 1) {
        sg_store_fail(error_r, "quarantine database %s is read-only", path);
        goto fail;
    }
    /* The first read: says "file is not a database" for one that is not */
    static const struct {
        const char *sql, *what;
    } setup[] = {
        {"PRAGMA user_version", "cannot read it"},
        {"PRAGMA foreign_keys = ON", "cannot turn on foreign keys"},
    };
    for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++) {
        if (sqlite3_exec(db, setup[i].sql, NULL, NULL, NULL) != SQLITE_OK) {
            sg_store_fail(error_r, "quarantine database %s: %s: %s", path,
                          setup[i].what, sqlite3_errmsg(db));
            goto fail;
        }
    }
    if (set_wal(path, db, error_r) < 0)
        goto fail;
    if (sqlite3_exec(db, "PRAGMA synchronous = FULL", NULL, NULL, NULL) !=
        SQLITE_OK) {
        sg_store_fail(error_r,
                      "quarantine database %s: cannot set "
                      "synchronous: %s",
                      path, sqlite3_errmsg(db));
        goto fail;
    }
    *h_r = db;
    return 0;
fail:
    lite_disconnect(db);
    return -1;
}

/* A file does not go away as a server does. */
static bool
lite_lost(void *h)
{
    (void)h;
    return false;
}

static int
lite_reconnect(void *h)
{
    (void)h;
    return 0;
}

static const char *
lite_errmsg(void *h)
{
    return sqlite3_errmsg(h);
}

static void
lite_set_busy_timeout(void *h, int ms)
{
    sqlite3_busy_timeout(h, ms);
}

static int
lite_exec(void *h, const char *sql)
{
    return sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int
lite_begin(void *h)
{
    return lite_exec(h, "BEGIN IMMEDIATE");
}

static int
lite_commit(void *h)
{
    return lite_exec(h, "COMMIT");
}

static void
lite_rollback(void *h)
{
    sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
}

/* ------------------------------------------------------------ statements */

static struct sg_sql_stmt *
lite_prepare(void *h, const char *sql)
{
    struct lite_stmt *st = calloc(1, sizeof(*st));
    if (st == NULL)
        return NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &st->st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st->st);
        free(st);
        return NULL;
    }
    return &st->base;
}

static void
lite_finalize(struct sg_sql_stmt *st)
{
    sqlite3_finalize(LITE(st));
    free(st);
}

static void
lite_reset(struct sg_sql_stmt *st)
{
    sqlite3_reset(LITE(st));
    sqlite3_clear_bindings(LITE(st));
}

static void
lite_bind_text(struct sg_sql_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(LITE(st), i);
    else
        sqlite3_bind_text(LITE(st), i, v, -1, SQLITE_STATIC);
}

static void
lite_bind_int(struct sg_sql_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(LITE(st), i, (sqlite3_int64)v);
}

static void
lite_bind_blob(struct sg_sql_stmt *st, int i, const void *v, size_t n)
{
    sqlite3_bind_blob64(LITE(st), i, n > 0 ? v : "", (sqlite3_uint64)n,
                        SQLITE_STATIC);
}

static int
lite_step(struct sg_sql_stmt *st)
{
    int rc = sqlite3_step(LITE(st));
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return SG_SQL_UNIQUE;
    return -1;
}

static int64_t
lite_changes(struct sg_sql_stmt *st)
{
    return sqlite3_changes(sqlite3_db_handle(LITE(st)));
}

static const char *
lite_col_text(struct sg_sql_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(LITE(st), i);
}

static int64_t
lite_col_int(struct sg_sql_stmt *st, int i)
{
    return sqlite3_column_int64(LITE(st), i);
}

static const void *
lite_col_blob(struct sg_sql_stmt *st, int i, size_t *n_r)
{
    const void *p = sqlite3_column_blob(LITE(st), i);
    *n_r = (size_t)sqlite3_column_bytes(LITE(st), i);
    return p;
}

const struct sg_sql_driver sg_sql_sqlite = {
    .name = "sqlite",
    .pool_size = 1,
    .connect = lite_connect,
    .disconnect = lite_disconnect,
    .lost = lite_lost,
    .reconnect = lite_reconnect,
    .errmsg = lite_errmsg,
    .set_busy_timeout = lite_set_busy_timeout,
    .exec = lite_exec,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .schema = sg_store_sqlite_schema,
    .prepare = lite_prepare,
    .finalize = lite_finalize,
    .reset = lite_reset,
    .bind_text = lite_bind_text,
    .bind_int = lite_bind_int,
    .bind_blob = lite_bind_blob,
    .step = lite_step,
    .changes = lite_changes,
    .col_text = lite_col_text,
    .col_int = lite_col_int,
    .col_blob = lite_col_blob,
};
