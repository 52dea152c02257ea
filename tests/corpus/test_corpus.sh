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
# The configuration the MANIFEST's verdicts are written for.
cat >"$W/safeguard-milter.conf" <<CF
rules_file = $SRC/rules/policy/default.rules
directory_file = $CORPUS/school.dir
school_domains = school.example
school_phone_numbers = 01632 960000
school_postcodes = LS1 4AP
dsl_contact = Mrs Aisha Khan (DSL), extension 210
CF
fails=0
if python3 -B "$CORPUS/gen.py" --check "$CORPUS"; then
    echo "ok - the corpus is what gen.py writes"
else
    echo "not ok - the corpus is what gen.py writes (run tests/corpus/gen.py and commit)"
    fails=$((fails + 1))
fi
if nice python3 -B "$CORPUS/score.py" --check "$BUILD/milter/safeguard-check" \
    --config "$W/safeguard-milter.conf" --corpus "$CORPUS" \
    --floor "$CORPUS/floor" ${SG_CORPUS_ARGS:-}; then
    echo "ok - the corpus scores at or above its floor"
else
    echo "not ok - the corpus scores at or above its floor"
    fails=$((fails + 1))
fi
[ "$fails" -eq 0 ]
