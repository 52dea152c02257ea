#!/bin/bash
# test_reports.sh - what leaders, governors and the school's record system
# read, over a real setup: a private Postfix and the real daemon holding a
# real message (personal-contact-details.eml, matched by a rule with a
# category), decided with safeguard-review; then:
#   the policy changelog: the daemon recorded its policy at start, once
#   (a restart with the same policy records nothing);
#   safeguard-milter -n --record WHY records it at once with the note,
#   without the store's secrets, as the daemon's user; a reload (SIGUSR1)
#   records a changed policy with its diff, and nothing when unchanged;
#   the concern export: the record in the staff-conduct export with its
#   category, the pupil's name and UPN (from the directory), the
#   reviewer and the rationale, and no message text; never in the
#   pupil-welfare export;
#   the provision report as CSV: the rule, its category and the counts,
#   and no one named;
#   the report, policy and concern export pages, their links in every
#   page's header (at 1280 and 390 px), and the subject access export of
#   the sender (sar --format html, a file) in real headless Chromium
#   (tests/browser/report_web.js): the SAR renders with the other
#   parties masked; screenshots written to SG_SCREENSHOT_DIR
#   (doc/screenshots/ when set to it).
# One Postfix, one daemon, one page; no fixed sleeps.
#
# Exit 77 (skipped) without chromium or node, or (as every Postfix test)
# without root, Postfix or swaks.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
sg_require_browser
sg_require_postfix
command -v sqlite3 >/dev/null || sg_die "sqlite3 is missing (apt-get install sqlite3)"
sg_browser_setup

trap sg_cleanup EXIT
sg_setup
SAMPLES="$SG_SRCDIR/contrib/samples"
PASSWORDS="$SG_WORK/review-passwords"
DSL_LOGIN=a.khan
DSL_PASSWORD='Hedgehog-library-41'
SECRET='pg-Secret-77'
sg_start_sink
# a password in a setting the daemon does not use here: never recorded
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "ldap_uri = ldap://reader:$SECRET@ldap.school.example" \
    "review_auth = file" \
    "review_password_file = $PASSWORDS"
sg_start_postfix
sg_start_milter
DB="$SG_QUARANTINE/quarantine.db"
q() { sqlite3 "$DB" "$1"; }

# the policy the daemon started with, once
sg_check "the daemon recorded its policy at start" \
    test "$(q 'SELECT count(*) FROM policy_changes')" = 1
sg_stop_milter
sg_start_milter
sg_check "a restart with the same policy records nothing" \
    test "$(q 'SELECT count(*) FROM policy_changes')" = 1

# a held message, matched by a rule with a category
sg_send "$SAMPLES/personal-contact-details.eml" j.smith@school.example \
    amy.patel@school.example
sg_wait_held
sg_wait_summary
RECORD=$(sg_summary | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
sg_check "held, with a record ($RECORD)" test -n "$RECORD"
sg_check "the rule's category is stored with the record" \
    test "$(q "SELECT category FROM rules WHERE record_id = '$RECORD' AND rule_id = 'personal-contact-details'")" = "Staff conduct"
sg_check "the pupil's UPN is stored with the record" \
    test "$(q "SELECT upn FROM recipients WHERE record_id = '$RECORD'")" = H801200003011
NOTE="Mobile number to a pupil; raised with the head"
sg_review reject "$RECORD" --note "$NOTE" --by "$DSL_LOGIN" >"$SG_WORK/reject.out" 2>&1
sg_check "rejected" test "$(sg_record_status "$RECORD")" = rejected

# -n --record WHY, as root, writing as the daemon's user
WHY="Personal contact rule reviewed by the governors (annual review)"
"$SG_MILTER_BIN" -c "$SG_MILTER_CONF" -n --record "$WHY" >"$SG_WORK/record.out" 2>&1
sg_check "-n --record exits 0 ($(tail -1 "$SG_WORK/record.out"))" test $? -eq 0
sg_check "-n --record: recorded with the note" \
    test "$(q "SELECT count(*) FROM policy_changes WHERE note = '$WHY'")" = 1
sg_check "no file of the store became root's" \
    bash -c "! find '$SG_QUARANTINE' -user root -name 'quarantine.db*' | grep -q ."
sg_check "no secret in the changelog" \
    test "$(q "SELECT count(*) FROM policy_changes WHERE text LIKE '%$SECRET%' OR diff LIKE '%$SECRET%'")" = 0
# a reload records a changed policy, and only a changed one (the daemon
# says the reload is done once the changelog is written)
reloads() { grep -c "configuration reloaded" "$SG_MILTER_LOG"; }
reloaded() { # reloaded N: wait for the Nth reload
    local i
    for i in $(seq 1 100); do [ "$(reloads)" -ge "$1" ] && return 0; sleep 0.1; done
    return 1
}
n=$(reloads)
echo "subject_tag = [Checked]" >>"$SG_MILTER_CONF"
kill -USR1 "$SG_MILTER_PID"
sg_check "reload: done" reloaded $((n + 1))
sg_check "reload: the changed policy recorded" \
    test "$(q 'SELECT count(*) FROM policy_changes')" = 3
sg_check "reload: its diff" \
    test "$(q "SELECT count(*) FROM policy_changes WHERE diff LIKE '%+subject_tag = [Checked]%'")" = 1
kill -USR1 "$SG_MILTER_PID"
sg_check "reload: the same policy again" reloaded $((n + 2))
sg_check "reload: ... records nothing new" \
    test "$(q 'SELECT count(*) FROM policy_changes')" = 3
sg_review policy >"$SG_WORK/policy.out" 2>&1
sg_check "policy: lists the three versions" test "$(grep -c '^change ' "$SG_WORK/policy.out")" = 3
sg_check "policy: the note" grep -qF "why:   $WHY" "$SG_WORK/policy.out"

# the concern export
sg_review concerns --track staff-conduct >"$SG_WORK/conduct.csv" 2>&1
sg_check "concerns: exits 0" test $? -eq 0
row=$(grep -F "\"$RECORD\"" "$SG_WORK/conduct.csv")
has() { printf '%s' "$row" | grep -qF -- "$1"; }
sg_check "concerns: the record's row" test -n "$row"
sg_check "concerns: the pupil" has '"Amy Patel"'
sg_check "concerns: the UPN" has '"H801200003011"'
sg_check "concerns: the category" has '"Staff conduct"'
sg_check "concerns: the reviewer and the rationale" has "\"$DSL_LOGIN\",\"$NOTE\""
sg_check "concerns: no message text (its number)" \
    bash -c "! grep -q '07700' '$SG_WORK/conduct.csv'"
sg_review concerns --track pupil-welfare --format json >"$SG_WORK/welfare.json" 2>&1
sg_check "concerns: never in the pupil-welfare export" \
    bash -c "! grep -qF '$RECORD' '$SG_WORK/welfare.json'"

# the report's counts
sg_review report --format csv --output "$SG_WORK/report.csv" >"$SG_WORK/report.out" 2>&1
sg_check "report: exits 0" test $? -eq 0
sg_check "report: the rule, its category and its count" \
    grep -qF '"rule","personal-contact-details",' "$SG_WORK/report.csv"
sg_check "report: the rejection" grep -qF '"holds","rejected","","","1"' "$SG_WORK/report.csv"
for who in amy.patel "Amy Patel" H801200003011 j.smith "$DSL_LOGIN" "$RECORD"; do
    sg_check "report: names no one (\"$who\")" bash -c "! grep -qiF '$who' '$SG_WORK/report.csv'"
done
sg_check "report: one school's has no school lines" \
    bash -c "! grep -q '^\"school' '$SG_WORK/report.csv'"
# the record as a trust's school would have it: the page's report then
# counts by school
q "UPDATE records SET school = 'northfield' WHERE id = '$RECORD'"

# the sender's subject access export, for the browser to open
sg_review sar j.smith@school.example --format html --output "$SG_WORK/sar.html" \
    >"$SG_WORK/sar.out" 2>&1
sg_check "sar: written ($(tail -1 "$SG_WORK/sar.out"))" test -s "$SG_WORK/sar.html"
chmod 0644 "$SG_WORK/sar.html"

# the pages in Chromium
printf '%s\n' "$DSL_PASSWORD" | sg_review passwd "$DSL_LOGIN" >"$SG_WORK/passwd.out" 2>&1 ||
    sg_die "safeguard-review passwd failed: $(cat "$SG_WORK/passwd.out")"
sg_start_review
OUT_DIR="${SG_SCREENSHOT_DIR:-$SG_WORK/screenshots}"
mkdir -p "$OUT_DIR"
cat >"$SG_WORK/browser.json" <<EOF
{ "base": "$SG_REVIEW_URL", "login": "$DSL_LOGIN", "password": "$DSL_PASSWORD",
  "note": "$WHY", "secret": "$SECRET",
  "rule": "personal-contact-details", "category": "Staff conduct",
  "forbidden": ["amy.patel", "Amy Patel", "H801200003011", "j.smith",
                "John Smith", "$RECORD", "07700"],
  "record": "$RECORD", "pupil": "Amy Patel", "rationale": "$NOTE",
  "school": "northfield",
  "sar": "$SG_WORK/sar.html", "sar_subject": "j.smith@school.example",
  "sar_others": ["amy.patel", "Amy Patel", "Patel", "H801200003011",
                 "$DSL_LOGIN"],
  "out": "$OUT_DIR" }
EOF
t0=$(date +%s)
SG_CHROMIUM="$CHROMIUM" node "$BROWSER_DIR/report_web.js" "$SG_WORK/browser.json" \
    >"$SG_WORK/browser.out" 2>&1
cat "$SG_WORK/browser.out"
echo "# browser: $(($(date +%s) - t0))s"
sg_check "the browser script ran to its end" grep -q '^# browser checks done' "$SG_WORK/browser.out"
SG_FAILS=$((SG_FAILS + $(grep -c '^not ok' "$SG_WORK/browser.out")))
sg_stop_review
sg_review audit >"$SG_WORK/audit.out" 2>&1
sg_check "audit: the report and the changelog viewed, by the DSL" \
    bash -c "grep -E ' $DSL_LOGIN .*report' '$SG_WORK/audit.out' | grep -q . &&
             grep -E ' $DSL_LOGIN .*policy' '$SG_WORK/audit.out' | grep -q ."
sg_check "audit: the concern export's preview and files, by the DSL" \
    bash -c "grep -E ' $DSL_LOGIN .*concerns.*preview' '$SG_WORK/audit.out' | grep -q . &&
             grep -E ' $DSL_LOGIN .*concerns.*csv' '$SG_WORK/audit.out' | grep -q ."
sg_check "the daemon and the page logged no sanitizer error" \
    bash -c "! grep -l Sanitizer '$SG_MILTER_LOG' '$SG_REVIEW_LOG'"
[ "$SG_FAILS" -eq 0 ]
