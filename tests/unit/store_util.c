/*
 * store_util.c - helpers shared by unit test programs (see store_util.h).
 */
#include "config.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>
#ifdef HAVE_LIBPQ
#include <libpq-fe.h>
#endif

#include "store_util.h"

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int
sg_test_rmtree(const char *dir)
{
    return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static sqlite3 *
db_open(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

#ifdef HAVE_LIBPQ
/* The PostgreSQL conninfo of SG_TEST_STORE, or NULL. */
static const char *
pg_conninfo(void)
{
    const char *s = getenv("SG_TEST_STORE");
    static const char pfx[] = "postgresql:";
    if (s == NULL || strncmp(s, pfx, sizeof(pfx) - 1) != 0)
        return NULL;
    return s + sizeof(pfx) - 1;
}

static void pg_quiet(void *arg, const char *message);

static PGconn *
pg_open(void)
{
    PGconn *pg = PQconnectdb(pg_conninfo());
    if (PQstatus(pg) != CONNECTION_OK)
        fail_msg("SG_TEST_STORE: %s", PQerrorMessage(pg));
    PQsetNoticeProcessor(pg, pg_quiet, NULL);
    return pg;
}

static void
pg_quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Run sql: true when it succeeds; fails the test when it does not and
 * must (must_pass). */
static bool
pg_try(const char *sql, bool must_pass)
{
    PGconn *pg = pg_open();
    PGresult *res = PQexec(pg, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
              PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok && must_pass)
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    PQclear(res);
    PQfinish(pg);
    return ok;
}

static void
pg_exec(const char *sql)
{
    pg_try(sql, true);
}

/* The first column of sql's one row, with ?1 made $1. */
static long long
pg_int(const char *sql, const char *param)
{
    char *q = strdup(sql);
    assert_non_null(q);
    for (char *p = q; (p = strstr(p, "?1")) != NULL; p++)
        *p = '$';
    PGconn *pg = pg_open();
    PGresult *res =
        PQexecParams(pg, q, param != NULL ? 1 : 0, NULL, &param, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
        fail_msg("%s: %s", sql, PQerrorMessage(pg));
    long long v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    PQfinish(pg);
    free(q);
    return v;
}
#endif

const char *
sg_test_store(const char *path)
{
#ifdef HAVE_LIBPQ
    if (pg_conninfo() != NULL) {
        /* each test its own empty database: the store makes the schema */
        pg_exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
        return getenv("SG_TEST_STORE");
    }
#endif
    return path;
}

long long
sg_test_db_int(const char *path, const char *sql, const char *param)
{
#ifdef HAVE_LIBPQ
    if (pg_conninfo() != NULL)
        return pg_int(sql, param);
#endif
    sqlite3 *db = db_open(path);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (param != NULL)
        sqlite3_bind_text(st, 1, param, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

void
sg_test_db_exec(const char *path, const char *sql)
{
#ifdef HAVE_LIBPQ
    if (pg_conninfo() != NULL) {
        pg_exec(sql);
        return;
    }
#endif
    sqlite3 *db = db_open(path);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

bool
sg_test_db_refused(const char *path, const char *sql)
{
#ifdef HAVE_LIBPQ
    if (pg_conninfo() != NULL)
        return !pg_try(sql, false);
#endif
    sqlite3 *db = db_open(path);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc != SQLITE_OK;
}
