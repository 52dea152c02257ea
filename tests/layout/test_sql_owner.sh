#!/bin/bash
# test_sql_owner.sh - only the record store speaks SQL.  The store
# (core/store*) is the one module that knows the schema; the rest of the
# tree reads and changes records through core/store.h.  This fails,
# naming file and line, if a C file anywhere else in the programs and
# libraries calls SQLite (sqlite3_*, <sqlite3.h>) or libpq (PQ*, <libpq-fe.h>)
# or has an SQL statement
# in a string literal, or if review/ links or compiles against SQLite.
set -u
SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
dirs="common core extract ldap milter review rules"
fails=0
check() {
    local what=$1 found=$2
    if [ -z "$found" ]; then
        echo "ok - $what"
    else
        echo "not ok - $what:"
        printf '%s\n' "$found" | sed 's/^/    /'
        fails=$((fails + 1))
    fi
}
files=$(cd "$SRC" && for d in $dirs; do
    find "$d" -name '*.[ch]' ! -path 'core/store*'
done | sort)
[ -n "$files" ] || { echo "not ok - no source files under $SRC"; exit 1; }
cd "$SRC" || exit 1
check "no SQLite call or header outside core/store*" \
    "$(grep -nE 'sqlite3_|sqlite3\.h|SQLITE_' $files)"
check "no SQL statement in a string outside core/store*" \
    "$(grep -nE '"[^"]*(SELECT |INSERT INTO|UPDATE |DELETE FROM|CREATE (TABLE|INDEX|TRIGGER)|ALTER TABLE|DROP TABLE|PRAGMA )' $files)"
check "no libpq call or header outside core/store*" \
    "$(grep -nE 'libpq-fe\.h|\bPQ[a-z]+[A-Za-z]*\(' $files)"
check "review/ does not build with SQLite" \
    "$(grep -n 'SQLITE' review/Makefile.am)"
# the check itself: the store does have SQL, so the patterns find it
check "the patterns find the store's SQL" \
    "$(grep -qE '"[^"]*(SELECT |INSERT INTO)' core/store_sql_read.c &&
       grep -q 'sqlite3_' core/store_sqlite.c || echo "core/store_sql*.c")"
echo "$fails failed"
[ "$fails" -eq 0 ]
