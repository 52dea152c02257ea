#!/bin/sh
# run-load.sh - what loading the shipped policy costs (see README.md,
# "Loading the rules: scan database compiled or read from the cache"):
# `safeguard-check -n` with scan_cache_dir empty (the one-pass scan
# database compiled at every load, the baseline) beside scan_cache_dir
# set (read back from the cache after the first run), interleaved round
# by round; wall time and peak memory, median and range of ROUNDS (15).
#
# Usage: bench/run-load.sh [SAFEGUARD-CHECK]
#   SAFEGUARD-CHECK defaults to ./milter/safeguard-check (run from the
#   build directory).  Needs a build with Hyperscan; fails (exit 1) when
#   the cached run does not say it read the cache.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
check=${1:-./milter/safeguard-check}
rounds=${ROUNDS:-15}
[ -x "$check" ] || { echo "FAIL: $check is not built (make)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/sg-bench-load.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP
mkdir -m 0755 "$dir/cache"
conf() { # conf NAME CACHE-DIR
    cat >"$dir/$1.conf" <<CF
rules_file = $src/rules/policy/default.rules
directory_file = $src/contrib/samples/school.dir
school_domains = school.example
school_phone_numbers = 01632 960000
school_postcodes = LS1 4AP
scan_cache_dir = $2
CF
}
conf compiled ""
conf cached "$dir/cache"
"$check" -n -c "$dir/cached.conf" >/dev/null 2>&1 # fills the cache
if ! "$check" -n -c "$dir/cached.conf" 2>&1 | grep -q "^scan database: read from the cache"; then
    echo "FAIL: $check does not read the scan database from the cache" \
        "(a build without Hyperscan?)" >&2
    exit 1
fi

sh "$here/machine.sh"
echo "command: $0 $check (ROUNDS=$rounds)"
echo "cache file: $(du -k "$dir"/cache/*.hsdb | cut -f1) KiB"
i=0
while [ "$i" -lt "$rounds" ]; do
    for way in compiled cached; do
        /usr/bin/time -f "$way %e %M" "$check" -n -c "$dir/$way.conf" \
            >/dev/null 2>>"$dir/times" || true
    done
    i=$((i + 1))
done
grep -E '^(compiled|cached) ' "$dir/times" | sort -k1,1 -k2,2n | awk -v n="$rounds" '
    { t[$1, ++c[$1]] = $2; m[$1] = m[$1] < $3 ? $3 : m[$1] }
    END {
        printf "%-9s %10s %20s %12s\n", "scan db", "median s", "range s", "peak KiB"
        for (w = 1; w <= 2; w++) {
            k = w == 1 ? "compiled" : "cached"
            printf "%-9s %10.3f %9.3f - %-8.3f %12d\n", k, t[k, int((n + 1) / 2)],
                t[k, 1], t[k, n], m[k]
        }
    }'
