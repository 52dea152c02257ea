#!/bin/bash
# test_layering.sh - the folders include and link only what is below them
# (doc/design-notes.md, "Layout"):
#   common <- rules, ldap <- core <- milter, review;  extract <- common
# Every #include "NAME" of a source file must name a header of its own
# folder or of a folder below it; no include reaches out with a path; the
# programs' folders link libsgcore, never each other's library; ICU's
# wrapper (libsgicu) is for rules/ and ldap/ only.
set -u
SRC=${SG_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$SRC" || exit 99

declare -A BELOW=(
    [common]="common"
    [rules]="rules common"
    [ldap]="ldap common"
    [extract]="extract common"
    [core]="core rules ldap common"
    [milter]="milter core rules ldap common"
    [review]="review core rules ldap common"
)
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for dir in "${!BELOW[@]}"; do
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -f "$f" ] || continue
        while read -r name; do
            [ "$name" = config.h ] && continue
            case $name in */*) bad "$f includes \"$name\" by a path"; continue ;; esac
            found=
            for d in common rules ldap extract core milter review; do
                [ -f "$d/$name" ] && found="$found $d"
            done
            [ -n "$found" ] || { bad "$f includes \"$name\", found in no folder"; continue; }
            ok=
            for d in $found; do
                case " ${BELOW[$dir]} " in *" $d "*) ok=1 ;; esac
            done
            [ -n "$ok" ] || bad "$f ($dir/) includes \"$name\" from${found} (may include: ${BELOW[$dir]})"
        done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
    done
done

# What each program folder links: libsgcore (and its own), never the other's.
grep -q 'libsgmilter' review/Makefile.am && bad "review/Makefile.am links the daemon's library"
grep -q 'libsgreview' milter/Makefile.am core/Makefile.am && bad "milter/ or core/ links the review library"
grep -Eq 'libsg(milter|review)' core/Makefile.am && bad "core/ links a program's library"
for d in rules ldap common; do
    grep -Eq 'libsg(core|milter|review)' "$d/Makefile.am" && bad "$d/ links a library above it"
done

# ICU is driven by libsgicu alone (common/sg_icu.*), for rules/ and ldap/;
# libsgcommon, which every program links, stays free of it.
for f in common/*.c common/*.h; do
    case $f in common/sg_icu.*) continue ;; esac
    grep -q '#include <unicode/' "$f" && bad "$f includes an ICU header (libsgcommon stays free of ICU)"
done
for d in core milter review extract; do
    grep -q 'libsgicu' "$d/Makefile.am" && bad "$d/Makefile.am links libsgicu (only rules/ and ldap/ do)"
done

[ "$fail" -eq 0 ] && echo "PASS: every include and link follows the layering"
exit "$fail"
