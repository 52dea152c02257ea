/*
 * store_util.h - what several unit test programs need around a real store
 * in a temporary directory: removing the directory, and reading a number
 * from (or changing) the database behind the library's back.  Failures are
 * cmocka failures of the test that called.
 */
#ifndef SG_STORE_UTIL_H
#define SG_STORE_UTIL_H

#include <stdbool.h>

/* Remove dir and everything below it; 0 or -1 (nftw's result). */
int sg_test_rmtree(const char *dir);

/* Where a test's store is: path (SQLite), or, when the environment has
 * SG_TEST_STORE=postgresql:CONNINFO (tests/integration/test_store_pg_unit.sh
 * sets it), that database, emptied for this test.  The reads and writes
 * below then go to it too. */
const char *sg_test_store(const char *path);

/* The first column of the one row sql gives on the SQLite database at
 * path (on a connection of its own), with param (may be NULL) bound to
 * ?1.  The test fails when there is no row. */
long long sg_test_db_int(const char *path, const char *sql, const char *param);

/* Run sql (one or more statements) on the database at path. */
void sg_test_db_exec(const char *path, const char *sql);
/* Does the database at path refuse sql (a trigger, a constraint)? */
bool sg_test_db_refused(const char *path, const char *sql);

#endif
