#!/bin/bash
# run-review-page.sh BENCH_REVIEW_PAGE [ARGS...]: the review page's server
# time (bench_review_page) on SQLite, then on a private PostgreSQL
# (tests/integration/pg/lib.sh, this machine's loopback), each store
# with --records and --baseline records (default 100,000 and 1,000).
# Needs root for PostgreSQL (the cluster runs as the postgres user);
# without it, or without PostgreSQL, only SQLite runs.  STORES="sqlite"
# or "postgresql" runs one of them (default both).  Stops the cluster
# and removes the stores on exit.
set -eu
bin=$1; shift
. "$(dirname "$0")/store-env.sh"
records=100000 baseline=1000
args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
    --records) records=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    esac
    shift
done
# The plans of the list's page query (the page's ids, as
# sg_store_sql_list asks for the waiting queue's page after a row:
# core/store_sql_read.c), the middle and the last page of the store of
# $records: "plans EXPLAIN-WORDS COMMAND..." (COMMAND reads SQL on its
# input).
plans() {
    local at
    for at in $((records * 4 / 5 / 2)) $((records * 4 / 5 - 51)); do
        echo "the page after waiting row $at:"
        plan "$at" "$@"
    done
}
plan() {
    local at=$1 how=$2 row
    shift 2
    row=$(echo "SELECT created || ',' || id FROM records WHERE status
        IN ('held', 'escalated') ORDER BY created, id LIMIT 1
        OFFSET $at;" | "$@" | tail -1)
    local part="SELECT r.id, r.created FROM records r WHERE r.status = '%s'
        AND (NULL IS NULL OR r.school = NULL)
        AND (r.created, r.id) > (${row%%,*}, '${row#*,}')
        ORDER BY r.created ASC, r.id ASC LIMIT 51"
    # shellcheck disable=SC2059
    echo "$how SELECT u.id FROM (SELECT * FROM ($(printf "$part" held)) p0
        UNION ALL SELECT * FROM ($(printf "$part" escalated)) p1) u
        ORDER BY u.created ASC, u.id ASC LIMIT 51 OFFSET 0;" | "$@"
}
work=$(mktemp -d /tmp/sg-bench-page.XXXXXX)
trap 'sg_pg_cleanup; rm -rf "$work"' EXIT
sh "$here/machine.sh" 2>/dev/null || true
mkdir "$work/sqlite" "$work/pg"
stores=${STORES:-sqlite postgresql}
case " $stores " in *" sqlite "*)
    "$bin" --records "$records" --baseline "$baseline" --dir "$work/sqlite" "${args[@]}"
    if command -v sqlite3 >/dev/null; then
        plans "EXPLAIN QUERY PLAN" sqlite3 "$work/sqlite/store-$records/q.db"
    fi
esac
case " $stores " in *" postgresql "*) ;; *) exit 0 ;; esac
if (sg_require_postgresql) >/dev/null; then
    sg_pg_start
    for n in "$baseline" "$records"; do
        sg_pg_psql -c "CREATE DATABASE sg_bench_$n OWNER safeguard" >/dev/null
    done
    # the passfile names the store's database: these too
    echo "127.0.0.1:$SG_PG_PORT:*:safeguard:$SG_PG_PASSWORD" >>"$SG_PG_DIR/pgpass"
    "$bin" --records "$records" --baseline "$baseline" --dir "$work/pg" \
        --postgresql "$SG_PG_CONNINFO" \
        "${args[@]}"
    SG_PG_DB=sg_bench_$records plans "EXPLAIN (ANALYZE, COSTS OFF)" \
        sg_pg_psql -At
else
    echo "PostgreSQL: $(sg_require_postgresql)"
fi
