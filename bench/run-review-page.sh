#!/bin/bash
# run-review-page.sh BENCH_REVIEW_PAGE [ARGS...]: the review page's server
# time (bench_review_page) on SQLite, then on a private PostgreSQL
# (tests/integration/pg/lib.sh, this machine's loopback), each store
# with --records and --baseline records (default 100,000 and 1,000).
# Needs root for PostgreSQL (the cluster runs as the postgres user);
# without it, or without PostgreSQL, only SQLite runs.  Stops the
# cluster and removes the stores on exit.
set -eu
bin=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
: "${SG_SRCDIR:=$(cd "$here/.." && pwd)}"
: "${SG_BUILDDIR:=$(cd "$(dirname "$bin")/.." && pwd)}"
. "$SG_SRCDIR/tests/integration/lib.sh"
. "$SG_SRCDIR/tests/integration/pg/lib.sh"
records=100000 baseline=1000
args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
    --records) records=$2; shift ;;
    --baseline) baseline=$2; shift ;;
    esac
    shift
done
work=$(mktemp -d /tmp/sg-bench-page.XXXXXX)
trap 'sg_pg_cleanup; rm -rf "$work"' EXIT
sh "$here/machine.sh" 2>/dev/null || true
mkdir "$work/sqlite" "$work/pg"
"$bin" --records "$records" --baseline "$baseline" --dir "$work/sqlite" "${args[@]}"
if (sg_require_postgresql) >/dev/null; then
    sg_pg_start
    for n in "$baseline" "$records"; do
        sg_pg_psql -c "CREATE DATABASE sg_bench_$n OWNER safeguard" >/dev/null
    done
    "$bin" --records "$records" --baseline "$baseline" --dir "$work/pg" \
        --postgresql "$SG_PG_CONNINFO" \
        "${args[@]}"
else
    echo "PostgreSQL: $(sg_require_postgresql)"
fi
