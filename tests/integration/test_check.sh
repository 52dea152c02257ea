#!/bin/bash
# test_check.sh - safeguard-check on every sample in contrib/samples: the
# action and the exact set of matching rules must be those in the
# MANIFEST (evaluated at each message's Date:, as the manifest says), in
# both the text and the JSON output; -n accepts the shipped configuration
# and rejects a broken rules file with its file, line and column.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SG_BUILDDIR:-$SRC}
CHECK="$BUILD/milter/safeguard-check"
SAMPLES="$SRC/contrib/samples"
W=$(mktemp -d /tmp/sg-check.XXXXXX)
trap 'rm -rf "$W"' EXIT
# (compiled scan databases shared by the build's tests)
install -d -m 0755 "$BUILD/tests/scan-cache"
cat >"$W/safeguard-milter.conf" <<CF
rules_file = $SRC/rules/policy/default.rules
scan_cache_dir = $BUILD/tests/scan-cache
directory_file = $SAMPLES/school.dir
school_domains = school.example
school_phone_numbers = 01632 960000
school_postcodes = LS1 4AP
dsl_contact = Mrs Aisha Khan (DSL), extension 210
extract_helper = $BUILD/extract/safeguard-extract
CF
fails=0 n=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

while read -r file from to auth action rules _; do
    case "$file" in ''|'#'*) continue;; esac
    n=$((n + 1))
    args=(-c "$W/safeguard-milter.conf" --from "$from" --at date)
    [ "$auth" != "-" ] && args+=(--auth "$auth")
    IFS=, read -ra rcpts <<<"$to"
    for r in "${rcpts[@]}"; do args+=(--to "$r"); done
    "$CHECK" "${args[@]}" --json "$SAMPLES/$file" >"$W/out.json" 2>"$W/err"
    rc=$?
    got_action=$(sed -n 's/^  "action": "\(.*\)",$/\1/p' "$W/out.json")
    got_rules=$(sed -n 's/^      "id": "\(.*\)",$/\1/p' "$W/out.json" | sort | paste -sd, -)
    want_rules=$(tr , '\n' <<<"${rules:--}" | grep -v '^-$' | sort | paste -sd, -)
    check "$file: exit 0" test "$rc" -eq 0
    check "$file: action $action (got ${got_action:-none})" test "$got_action" = "$action"
    if [ -n "${rules:-}" ]; then
        check "$file: rules {$want_rules} (got {$got_rules})" test "$got_rules" = "$want_rules"
    fi
    "$CHECK" "${args[@]}" "$SAMPLES/$file" >"$W/out.txt" 2>&1
    check "$file: text verdict $action" grep -q "^Verdict: $action" "$W/out.txt"
done <"$SAMPLES/MANIFEST"
check "the manifest has samples ($n)" test "$n" -ge 20

# A held message explains itself to the sender and the DSL.
"$CHECK" -c "$W/safeguard-milter.conf" --from j.smith@school.example \
    --auth j.smith --to amy.patel@school.example --at date \
    "$SAMPLES/personal-contact-details.eml" >"$W/pcd.txt"
check "explanation names the finding" grep -q '"07700 900123" in the body' "$W/pcd.txt"
check "explanation names the DSL contact" grep -q "Mrs Aisha Khan (DSL), extension 210" "$W/pcd.txt"
check "the review track is shown" grep -q "^  Track: staff-conduct$" "$W/pcd.txt"
check "the category is shown" grep -q "^  Category: Staff conduct$" "$W/pcd.txt"
check "no retention class is shown for a rule that names none" \
    bash -c "! grep -q '^  Retention:' '$W/pcd.txt'"
# a rule that names its retention class says so, in text and JSON
sed 's/^rule personal-contact-details {$/&\n    retention pupil-welfare/' \
    "$SRC/rules/policy/default.rules" >"$W/retention.rules"
sed "s|^rules_file = .*|rules_file = $W/retention.rules|" \
    "$W/safeguard-milter.conf" >"$W/retention.conf"
for out in txt json; do
    "$CHECK" -c "$W/retention.conf" --from j.smith@school.example \
        --auth j.smith --to amy.patel@school.example --at date \
        $([ $out = json ] && echo --json) \
        "$SAMPLES/personal-contact-details.eml" >"$W/retention.$out"
done
check "a rule's retention class is shown" \
    grep -q "^  Retention: pupil-welfare (a concern it catches is kept as one)$" "$W/retention.txt"
check "... and in JSON" grep -q '"retention": "pupil-welfare"' "$W/retention.json"
# a look-alike of a staff name writing to a pupil is about the pupil
"$CHECK" -c "$W/safeguard-milter.conf" --from jsmith.teach@example.net \
    --to ben.okafor@school.example --at date --json \
    "$SAMPLES/staff-lookalike-to-pupil.eml" >"$W/lookalike.json"
check "a look-alike's rule is on the pupil-welfare track" \
    grep -q '"track": "pupil-welfare"' "$W/lookalike.json"
check "and filed under online safety" \
    grep -q '"category": "Online safety"' "$W/lookalike.json"
check "the log line is shown" grep -q "^Log: verdict=hold+journal rules=personal-contact-details(hold),private-one-to-one(journal)$" "$W/pcd.txt"

# Without --auth a school sender from an untrusted client is external.
"$CHECK" -c "$W/safeguard-milter.conf" --from j.smith@school.example \
    --to amy.patel@school.example --at date --json \
    "$SAMPLES/personal-contact-details.eml" >"$W/forged.json"
check "unauthenticated school sender is external (forged)" grep -q '"forged": true' "$W/forged.json"

# -n: the configuration and rules check.
"$CHECK" -n -c "$W/safeguard-milter.conf" >"$W/n.txt" 2>&1
check "-n accepts the shipped policy" grep -q "configuration $W/safeguard-milter.conf is valid" "$W/n.txt"
check "-n counts the rules" grep -Eq "^rules: .*default.rules: [0-9]+ rules, [0-9]+ detectors$" "$W/n.txt"
if grep -q '^#define HAVE_HYPERSCAN 1' "$BUILD/config.h"; then
    check "-n reads the scan database the checks above compiled" \
        grep -qx "scan database: read from the cache in $BUILD/tests/scan-cache" "$W/n.txt"
fi
# The example configuration, with only the installed paths pointed at
# the source tree (templates) and a key made here.
head -c 48 /dev/urandom >"$W/notice.key"; chmod 600 "$W/notice.key"
sed -e "s|^notice_secret_file *=.*|notice_secret_file = $W/notice.key|" \
    -e "s|^#notice_templates *=.*|notice_templates = $SRC/contrib/templates|" \
    -e "s|^#directory_file *=.*|directory_file = $SAMPLES/school.dir|" \
    "$SRC/contrib/safeguard-milter.conf" >"$W/example.conf"
"$CHECK" -n -c "$W/example.conf" -r "$SRC/rules/policy/default.rules" >"$W/example.txt" 2>&1
check "-n accepts the example configuration in contrib/" grep -q "is valid" "$W/example.txt"
"$BUILD/review/safeguard-review" -c "$W/example.conf" check >"$W/example-review.txt" 2>&1
check "safeguard-review check accepts it too, every setting" grep -q "is valid" "$W/example-review.txt"
printf 'rule broken {\n    title "x"\n    action explode\n}\n' >"$W/bad.rules"
"$CHECK" -n -c "$W/safeguard-milter.conf" -r "$W/bad.rules" >"$W/bad.txt" 2>&1
rc=$?
check "-n rejects a broken rules file (exit 78, got $rc)" test "$rc" -eq 78
check "-n names file, line and column" grep -Eq "$W/bad.rules:3:[0-9]+:" "$W/bad.txt"

# Usage errors.
"$CHECK" --from a@b "$SAMPLES/ordinary-homework.eml" >/dev/null 2>&1
check "no --to is a usage error (64)" test $? -eq 64
"$CHECK" -c "$W/safeguard-milter.conf" --from a@b --to c@d /nonexistent.eml >/dev/null 2>&1
check "missing message file (66)" test $? -eq 66
"$CHECK" -c "$W/safeguard-milter.conf" --from a@b --to c@d --at yesterday "$SAMPLES/ordinary-homework.eml" >/dev/null 2>&1
check "bad --at is a usage error (64)" test $? -eq 64

[ "$fails" -eq 0 ]
