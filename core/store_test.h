/*
 * store_test.h - for tests only: make the record store's database fail
 * where a test wants it to.  No program calls these.
 */
#ifndef SG_STORE_TEST_H
#define SG_STORE_TEST_H

/* Make the nth step of a read from now (1: the next) fail as a database
 * error would, in every store of the process (SQLite or PostgreSQL; the
 * name is older than the second); 0 turns it off.
 * It fires once. */
void sg_store_sqlite_test_fail_step(unsigned long n);

#endif
