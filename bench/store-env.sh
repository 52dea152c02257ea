# bench/store-env.sh - the start of the store benchmarks (run-hold.sh,
# run-review-page.sh), sourced after bin=BENCH-PROGRAM: here (bench/),
# SG_SRCDIR and SG_BUILDDIR (the program's build tree) unless set, and
# the integration tests' harness with its private PostgreSQL
# (tests/integration/pg/lib.sh).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${SG_SRCDIR:=$(cd "$here/.." && pwd)}"
: "${SG_BUILDDIR:=$(cd "$(dirname "$bin")/.." && pwd)}"
. "$SG_SRCDIR/tests/integration/lib.sh"
. "$SG_SRCDIR/tests/integration/pg/lib.sh"
