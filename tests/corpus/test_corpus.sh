#!/bin/bash
# test_corpus.sh - the detection corpus (tests/corpus/): every message of
# MANIFEST through the real safeguard-check with the shipped policy and the
# corpus school, scored by score.py.  Prints recall on breaches and the
# false-hold rate on ordinary mail (overall and per class, with each miss
# and false hold) beside the goal, and fails when recall falls below, or
# false holds rise above, the values recorded in tests/corpus/floor (a
# ratchet: later work raises them), or when safeguard-check fails on a
# message.  Also fails when the committed messages are not what gen.py
# writes (a message edited by hand instead of its generator).
set -u
SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SG_BUILDDIR:-$SRC}
CORPUS="$SRC/tests/corpus"
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
W=$(mktemp -d /tmp/sg-corpus.XXXXXX)
trap 'rm -rf "$W"' EXIT
# The configuration the MANIFEST's verdicts are written for (and where
# the build's tests keep compiled scan databases).
mkdir -p "$BUILD/tests" && install -d -m 0755 "$BUILD/tests/scan-cache"
cat >"$W/safeguard-milter.conf" <<CF
rules_file = $SRC/rules/policy/default.rules
scan_cache_dir = $BUILD/tests/scan-cache
directory_file = $CORPUS/school.dir
school_domains = school.example
school_phone_numbers = 01632 960000
school_postcodes = LS1 4AP
extract_helper = $BUILD/extract/safeguard-extract
school_social_accounts = @OakfieldAcademyLeeds, @OakfieldAcad, facebook.com/OakfieldAcademyLeeds
dsl_contact = Mrs Aisha Khan (DSL), extension 210
CF
fails=0
if python3 -B "$CORPUS/gen.py" --check "$CORPUS"; then
    echo "ok - the corpus is what gen.py writes"
else
    echo "not ok - the corpus is what gen.py writes (run tests/corpus/gen.py and commit)"
    fails=$((fails + 1))
fi
# Each message's verdict is kept in the build tree: tests/run compares
# those of the Hyperscan and the PCRE2-only builds.
mkdir -p "$BUILD/tests"
if nice python3 -B "$CORPUS/score.py" --check "$BUILD/milter/safeguard-check" \
    --config "$W/safeguard-milter.conf" --corpus "$CORPUS" \
    --floor "$CORPUS/floor" --verdicts "$BUILD/tests/corpus-verdicts.txt" \
    ${SG_CORPUS_ARGS:-}; then
    echo "ok - the corpus scores at or above its floor"
else
    echo "not ok - the corpus scores at or above its floor"
    fails=$((fails + 1))
fi

n=$(grep -cv '^\(#\|$\)' "$CORPUS/MANIFEST")
if [ "$n" -ge 150 ]; then
    echo "ok - the corpus has at least 150 messages ($n)"
else
    echo "not ok - the corpus has at least 150 messages ($n)"; fails=$((fails + 1))
fi

# The gate itself: a floor the corpus cannot reach fails, naming what is
# below it; a manifest or floor with a mistake is refused with its file
# and line.
# (2: above any recall, 1.0 included; -1: below any rate, 0 false holds
# included)
printf 'recall 2\nfalse_holds -1\n' >"$W/floor"
# (every 10th message: enough of both kinds to fail both floors)
nice python3 -B "$CORPUS/score.py" --check "$BUILD/milter/safeguard-check" \
    --config "$W/safeguard-milter.conf" --corpus "$CORPUS" --floor "$W/floor" \
    --every 10 >"$W/out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^FAIL: recall .* is below the floor 2.000$' "$W/out" &&
    grep -q '^FAIL: false holds .* are above the floor -1.000$' "$W/out"; then
    echo "ok - an unreachable floor fails"
else
    echo "not ok - an unreachable floor fails (exit $rc)"; fails=$((fails + 1))
fi
mkdir -p "$W/bad/msg"
printf '# comment\nx.eml a@b c@d - hold\n' >"$W/bad/MANIFEST"
python3 -B "$CORPUS/score.py" --check /bin/false --config /dev/null \
    --corpus "$W/bad" >"$W/out" 2>&1
if grep -q "$W/bad/MANIFEST:2: want 8 columns" "$W/out"; then
    echo "ok - a bad MANIFEST line is named"
else
    echo "not ok - a bad MANIFEST line is named"; fails=$((fails + 1))
fi
printf 'recall 0.5\nfalse_hold 0.2\n' >"$W/floor"
python3 -B "$CORPUS/score.py" --check /bin/false --config /dev/null \
    --corpus "$CORPUS" --floor "$W/floor" --only none >"$W/out" 2>&1
if grep -q "$W/floor:2: unknown key 'false_hold'" "$W/out"; then
    echo "ok - a bad floor line is named"
else
    echo "not ok - a bad floor line is named"; fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
