#!/bin/sh
# run-eval.sh - the rules evaluation benchmark (see README.md, "Rules
# evaluation (in process)"): run bench_eval with the shipped policy and the
# demo school, which generates its messages of about 4 KB, 100 KB and 5 MB
# from a fixed seed, times GMime parsing alone beside parsing and
# evaluating, in one run, and writes the messages out; then, when valgrind
# is installed, count the instructions of one parse and one evaluation of
# each message under callgrind (repeatable where timings are not).
#
# Usage: bench/run-eval.sh [BENCH-PROGRAM]
#   BENCH-PROGRAM defaults to ./bench/bench_eval (run from the build
#   directory).  Options for the program can be passed in BENCH_ARGS
#   (e.g. BENCH_ARGS='--rounds 3 --reps-5m 12'); NO_CALLGRIND=1 skips the
#   instruction counts (about 40 s).
# Fails (exit 1) when the program is missing or reports an error (a wrong
# verdict included).
set -u

here=$(cd "$(dirname "$0")" && pwd)
prog=${1:-./bench/bench_eval}
rules=$here/../rules/policy/default.rules
school=$here/../contrib/samples/school.dir

[ -x "$prog" ] || { echo "FAIL: $prog is not built (make -C bench)" >&2; exit 1; }
for f in "$rules" "$school"; do
    [ -f "$f" ] || { echo "FAIL: $f is missing" >&2; exit 1; }
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/sg-bench-eval.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP

# the machine, as the report wants it
sh "$here/machine.sh"

# shellcheck disable=SC2086
"$prog" --rules "$rules" --directory "$school" --write "$dir" \
    ${BENCH_ARGS:-} || exit 1
printf 'load average after the timed run %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"

if [ -n "${NO_CALLGRIND:-}" ] || ! command -v valgrind >/dev/null 2>&1 ||
    ! command -v callgrind_annotate >/dev/null 2>&1; then
    echo "instruction counts: skipped (NO_CALLGRIND set, or valgrind missing)"
    exit 0
fi

# One parse and one evaluation of each of the four messages of a size, the
# same bytes as above (--read), and GMime's own parse and text extraction
# of each once; inclusive instruction counts of the three calls, per
# message (the mean of the four), and the view's count over GMime's.
echo
echo "Instructions (valgrind --tool=callgrind, inclusive Ir; the mean of the"
echo "four messages of each size, each parsed and evaluated once; GMime: its"
echo "own parse and text extraction of each, once):"
echo
printf '| %-5s | %14s | %14s | %10s | %10s | %14s | %11s |\n' size "parse Ir" \
    "evaluate Ir" "parse Ir/B" "eval Ir/B" "GMime Ir" "parse/GMime"
echo '|-------|---------------:|---------------:|-----------:|-----------:|---------------:|------------:|'
for size in 4k 100k 5m; do
    [ -f "$dir/$size-1.eml" ] || continue
    valgrind --tool=callgrind --callgrind-out-file="$dir/cg.$size.out" \
        "$prog" --rules "$rules" --directory "$school" --read "$dir" \
        --once "$size" >"$dir/cg.$size.log" 2>&1 ||
        { tail -5 "$dir/cg.$size.log" >&2; echo "FAIL: callgrind $size" >&2; exit 1; }
    bytes=$(cat "$dir/$size"-[1-4].eml | wc -c)
    callgrind_annotate --inclusive=yes "$dir/cg.$size.out" 2>/dev/null | awk -v b="$bytes" -v s="$size" '
        / [^ ]*:sg_msgview_build_mem \[/ { gsub(",", "", $1); p = $1 }
        / [^ ]*:sg_rules_eval \[/ { gsub(",", "", $1); e = $1 }
        / [^ ]*:sg_gmime_baseline \[/ { gsub(",", "", $1); g = $1 }
        END {
            if (p == "" || e == "" || g == "") { print "FAIL: no counts for " s > "/dev/stderr"; exit 1 }
            printf "| %-5s | %14.0f | %14.0f | %10.1f | %10.1f | %14.0f | %10.2fx |\n",
                s, p / 4, e / 4, p / b, e / b, g / 4, p / g
        }' || exit 1
done
