#!/bin/bash
# The record store's unit tests run again with the store on a private
# PostgreSQL (SG_TEST_STORE), so that the SQLite and PostgreSQL drivers
# cannot drift: the same statements, the same tests, both databases.
# One cluster for the whole script; each test case empties its database.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg/lib.sh"
sg_require_postgresql

trap sg_pg_cleanup EXIT
sg_pg_start
export SG_TEST_STORE="postgresql:$SG_PG_CONNINFO"

TESTS="test_outbox test_review test_web test_store_sql test_store_hosts
       test_retention test_report"
for t in $TESTS; do
    sg_check "unit/$t on PostgreSQL" "$SG_BUILDDIR/tests/unit/$t"
done
# the stores were on PostgreSQL: the last test's schema is there
sg_check "the schema is in PostgreSQL" \
    test "$(sg_pg_value 'SELECT max(version) FROM schema_version')" -ge 7
n=$(($(wc -w <<<"$TESTS") + 1))
echo "$((n - SG_FAILS)) passed, $SG_FAILS failed"
[ "$SG_FAILS" = 0 ]
