#!/bin/bash
# test_man.sh - the manual pages as they are installed (made from man/*.in
# with this build's paths): groff finds nothing to warn about, every
# @PLACEHOLDER@ was replaced, they point to installed files rather than the
# source tree, and they name the paths the programs really use (the
# configuration file of `safeguard-milter -h`).
set -u
SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SG_BUILDDIR:-$SRC}
command -v groff >/dev/null || { echo "SKIP: groff is not installed"; exit 77; }
fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}
pages=$(cd "$SRC/man" && ls *.in | sed 's/\.in$//')
for p in $pages; do
    f=$BUILD/man/$p
    check "$p: made from $p.in" test -s "$f"
    [ -s "$f" ] || continue
    warnings=$(groff -ww -man -z -Tutf8 "$f" 2>&1)
    check "$p: groff -ww has no warnings${warnings:+: $warnings}" test -z "$warnings"
    left=$(grep -no '@[A-Z_]*@' "$f" | head -3 | tr '\n' ' ')
    check "$p: no placeholder left${left:+: $left}" test -z "$left"
    src=$(grep -n 'contrib/\|in the source' "$f" | head -3)
    check "$p: points to no file of the source tree${src:+: $src}" test -z "$src"
    # .RI alternates roman and italic word by word: a quoted phrase given
    # to it loses its spaces
    ri=$(grep -n '^\.RI .*\\(lq' "$f" | head -3)
    check "$p: no quoted phrase split by .RI${ri:+: $ri}" test -z "$ri"
    # .BI, .BR and the like do the same to an unquoted "[--option value]":
    # its words become arguments, run together ("[--byname]")
    glued=$(grep -nE '^\.(BI|IB|BR|RB|IR|RI) ' "$f" | sed 's/"[^"]*"//g' |
        grep -E '\\fR\[[^ ]* ' | head -3)
    check "$p: no bracketed option split into arguments${glued:+: $glued}" test -z "$glued"
done
conf=$("$BUILD/milter/safeguard-milter" -h | sed -n 's/.*configuration file (default \(.*\))$/\1/p')
check "safeguard-milter -h names its configuration file (${conf:-none})" test -n "$conf"
for p in safeguard-milter.8 safeguard-milter.conf.5 safeguard-check.8 safeguard-review.8; do
    check "$p names the configuration file the programs read ($conf)" grep -qF "$conf" "$BUILD/man/$p"
done
# the rules' time zone is the configuration's, and both pages say which
check "safeguard-milter.conf(5): timezone defaults to Europe/London" \
    grep -A12 '^\.B timezone$' "$BUILD/man/safeguard-milter.conf.5" | grep -q 'Europe/London'
check "safeguard-rules(5): the same default time zone" \
    bash -c "grep -A3 'school.s time zone (setting' '$BUILD/man/safeguard-rules.5' | grep -q 'Europe/London' &&
             ! grep -q 'default UTC' '$BUILD/man/safeguard-rules.5'"
check "safeguard-rules(5) names the setting rules_file" \
    bash -c "grep -B1 '^setting of\$' '$BUILD/man/safeguard-rules.5' | grep -q '^\\.B rules_file\$'"
echo "$fails failed"
[ "$fails" = 0 ]
