#!/bin/bash
# run-hold.sh BENCH_HOLD [--messages N] [--threads T] [--rounds R]: the
# hold path on SQLite and on a private PostgreSQL
# (tests/integration/pg/lib.sh, on this machine's loopback), side by
# side in one run, in 5 rounds unless told (each store a fifth of the
# messages in turn: a change of the machine's load falls on both).  Both durable as in
# production: SQLite in WAL with synchronous FULL, PostgreSQL with fsync
# and synchronous_commit on (the tests' cluster turns them off).  Needs
# root (the cluster runs as the postgres user); stops the cluster on exit.
set -eu
bin=$1; shift
. "$(dirname "$0")/store-env.sh"
sg_require_postgresql
work=$(mktemp -d /tmp/sg-bench-hold.XXXXXX)
trap 'sg_pg_cleanup; rm -rf "$work"' EXIT
SG_PG_DURABLE=1 sg_pg_start
mkdir -p "$work/lite" "$work/pg"
sh "$here/machine.sh" 2>/dev/null || true
"$bin" --rounds 5 "$@" "sqlite=sqlite:$work/lite/q.db" "$work/lite/messages" \
    "postgresql=postgresql:$SG_PG_CONNINFO" "$work/pg/messages"
