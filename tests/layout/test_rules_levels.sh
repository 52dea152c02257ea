#!/bin/bash
# test_rules_levels.sh - the modules of librules call each other in one
# direction only (the levels at the top of rules/rules_int.h): read from
# the built objects, which module's code uses a symbol another module
# defines, and fail on any loop.  A module is a file, except that the
# detectors (detect*.c) and the parser (rules_parse*.c, rules_lex.c) are
# one module each.
set -u
SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SG_BUILDDIR:-$SRC}
objs=$(ls "$BUILD"/rules/librules_la-*.o 2>/dev/null)
[ -n "$objs" ] || { echo "not ok - no objects of librules in $BUILD/rules"; exit 1; }
command -v nm >/dev/null && command -v tsort >/dev/null ||
    { echo "SKIP: nm or tsort missing"; exit 77; }
module() {
    local f=${1##*/librules_la-}
    f=${f%.o}
    case $f in
    detect | detect_*) echo detect ;;
    rules_parse | rules_parse_* | rules_lex) echo parser ;;
    *) echo "$f" ;;
    esac
}
defs=$(mktemp) uses=$(mktemp)
trap 'rm -f "$defs" "$uses"' EXIT
for o in $objs; do
    m=$(module "$o")
    nm --defined-only -g "$o" | awk -v m="$m" 'NF == 3 { print $3, m }' >>"$defs"
    nm -u "$o" | awk -v m="$m" '{ print $NF, m }' >>"$uses"
done
# "definer user" for every symbol one module uses from another
edges=$(awk 'NR == FNR { def[$1] = $2; next }
             ($1 in def) && def[$1] != $2 { print def[$1], $2 }' \
        "$defs" "$uses" | sort -u)
fails=0
n=$(printf '%s\n' "$edges" | grep -c .)
[ "$n" -gt 5 ] && echo "ok - $n uses between modules found" ||
    { echo "not ok - only $n uses between modules found"; fails=1; }
loop=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null)
if [ -z "$loop" ]; then
    echo "ok - the modules of librules call each other without a loop"
else
    echo "not ok - a loop between modules of librules:"
    printf '%s\n' "$loop" | sed 's/^/    /'
    printf '%s\n' "$edges" | awk '{ print "    " $2 " uses " $1 }'
    fails=1
fi
exit $fails
