#!/bin/bash
# test_outcomes.sh - every outcome of a rule that notifies the DSL leaves
# a record and a notice that reads right, through a real private Postfix,
# the real daemon and the shipped policy and templates:
#  1. a refusal at RCPT time (staff-personal-to-pupil: reject, notify
#     sender and DSL): the client gets the explanation, the record is
#     "refused", the DSL's notice says refused, links to the record's
#     page and names no pupil; a release or delete of it is refused with
#     a message that says why, and the list shows it as refused;
#  2. a journal rule (former-pupil-adult-personal: journal, notify DSL):
#     delivered with the archive copy, the record is "archived", the
#     DSL's notice says delivered with a copy to the archive, no pupil;
#  3. a message held and journalled (personal details to one pupil): the
#     teacher's notice says held, never "delivered" or "archive", gives
#     the contact once, the time in the school's zone, no fixed
#     staff-and-pupils line; the DSL's names no pupil and no subject;
#  4. released, that message arrives once without X-Safeguard-Rules,
#     -Verdict or the subject tag (at most X-Safeguard-Record), and the
#     filter did not judge it again;
#  5. a locally submitted message a rule refuses (sendmail, Postfix's
#     non_smtpd_milters): the bounce is one clean line, and the teacher
#     gets the explanation as a notice;
#  6. the digest mailed to the DSL names no pupil, links to the page,
#     and lists the day's refused and archived records apart;
#  7. a pupil who wrote the held message is "a pupil" in the DSL's notice;
#  8. with the record store unwritable, a refusal and a journal copy the
#     DSL must hear of are tempfailed, never refused or delivered
#     without their record.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
sg_require_review

check() { sg_check "$@"; }

SAMPLES="$SG_SRCDIR/contrib/samples"
DSL=a.khan@school.example
CONTACT="Mrs Aisha Khan (DSL), extension 210"
URL=https://review.school.example
sg_setup
sg_start_sink
sg_notice_key
CONF=("trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "journal_address = archive@school.example" \
    "subject_tag = [Safeguarding]" \
    "dsl_contact = $CONTACT" \
    "notice_from = safeguarding@school.example" \
    "dsl_addresses = $DSL" \
    "review_url = $URL/" \
    "notice_templates = $SG_SRCDIR/contrib/templates" \
    "notice_secret_file = $SG_WORK/notice.key" \
    "notice_sendmail = /bin/sh $SG_SRCDIR/tests/integration/queue-notice.sh $SG_SMTP_PORT {from} {to}" \
    "hold_reconcile_interval = 0")
sg_write_milter_conf "${CONF[@]}"
DB="$SG_QUARANTINE/quarantine.db"
sql() { sqlite3 "$DB" "$1"; }
review() { sg_review "$@"; }
sg_start_postfix
sg_start_milter

# body FILE: the notice's body with its lines joined, to find phrases
# that wrapping split
body() { sed '1,/^$/d' "$1" | tr '\n' ' ' | tr -s ' '; }
export -f body # for the checks run with bash -c
# no_pupil FILE NAME ADDRESS...: FILE names none of them
no_pupil() {
    local f=$1 w
    shift
    for w in "$@"; do
        if body "$f" | grep -qiF -- "$w" || grep -qiF -- "$w" <(sed -n '/^Subject:/,/^[^ ]/p' "$f"); then
            echo "# $f names \"$w\"" >&2
            return 1
        fi
    done
}
# record_of PATTERN: the record id in the milter's log line matching it
record_of() { grep -E -- "$1" "$SG_MILTER_LOG" | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | tail -1 | cut -d= -f2; }

# ------------------------------------------------------------ 1. refused
swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.2 \
    --from john.smith.home@example.net --to amy.patel@school.example \
    --data "$SAMPLES/staff-personal-to-pupil.eml" >"$SG_WORK/r1.log" 2>&1
check "1: refused with 550 5.7.1 and the explanation" \
    grep -q "(Rule staff-personal-to-pupil.)" "$SG_WORK/r1.log"
R1=$(record_of "verdict=reject.* record=SG-.* at RCPT .*to=<amy.patel@school.example>")
check "1: the refusal has a record ($R1)" test -n "$R1"
check "1: the record is refused, with no copy" \
    test "$(sql "select status || ',' || ifnull(message_path, 'none') || ',' || message_size from records where id='$R1'")" = "refused,none,0"
check "1: it names the rule and the recipient" \
    test "$(sql "select count(*) from rules r join recipients p using (record_id) where record_id='$R1' and rule_id='staff-personal-to-pupil' and p.address='amy.patel@school.example'")" = 1
check "1: the DSL is told" sg_wait_notice "$DSL" "$R1"
F1=$NOTICE
check "1: the notice says refused" grep -q "^Subject: Refused: a message from John Smith" "$F1"
check "1: it links to the record's page" body "$F1" | grep -qF "$URL/item/$R1"
check "1: it names no pupil" no_pupil "$F1" "Amy Patel" amy.patel amyp2011
check "1: it counts the recipients" bash -c "body '$F1' | grep -qF -- '- 1 pupil'"
check "1: it sends no one to a command line" test "$(grep -c safeguard-review "$F1")" = 0
review release "$R1" --note "try" >"$SG_WORK/r1-release.out" 2>&1
check "1: a release is refused (EX_DATAERR)" test $? -eq 65
check "1: and says why" grep -q "not held (refused when sent): there is no message to release or delete" "$SG_WORK/r1-release.out"
review reject "$R1" --note "try" >/dev/null 2>&1
check "1: so is a delete" test $? -eq 65
check "1: the record is still refused" test "$(sg_record_status "$R1")" = refused
review note "$R1" "Spoke to John about using school email" >/dev/null 2>&1
check "1: the DSL can note it" test "$(sql "select count(*) from audit where record_id='$R1' and action='note'")" = 1
review list --status refused >"$SG_WORK/r1-list.out" 2>&1
check "1: the list shows it as refused" grep -q "$R1.*refused" "$SG_WORK/r1-list.out"
review show "$R1" >"$SG_WORK/r1-show.out" 2>&1
check "1: show gives the outcome" grep -q "refused when sent" "$SG_WORK/r1-show.out"
check "1: and says there is no copy, and why" \
    grep -q "no copy is kept of a message that was not held (refused when sent)" "$SG_WORK/r1-show.out"

# ------------------------------------------------------------ 2. journal
swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.2 \
    --from john.smith.home@example.net --to dan.evans@example.org \
    --data "$SAMPLES/former-pupil-adult-personal.eml" >"$SG_WORK/r2.log" 2>&1
QID=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_WORK/r2.log" | head -1)
check "2: queued ($QID)" test -n "$QID"
sg_wait_summary
check "2: journalled" sg_summary_has "verdict=journal"
R2=$(sg_summary | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
check "2: with a record ($R2)" test -n "$R2"
check "2: delivered" sg_wait_delivered
check "2: the record is archived, with no copy" \
    test "$(sql "select status || ',' || ifnull(message_path, 'none') from records where id='$R2'")" = "archived,none"
check "2: the DSL is told" sg_wait_notice "$DSL" "$R2"
F2=$NOTICE
check "2: the notice says delivered with a copy to the archive" \
    bash -c "body '$F2' | grep -q 'It was delivered, with a copy to the archive'"
check "2: and not held or refused" bash -c "! body '$F2' | grep -qiE 'has been held|was refused'"
check "2: it links to the record's page" body "$F2" | grep -qF "$URL/item/$R2"
check "2: it names no former pupil" no_pupil "$F2" "Dan Evans" dan.evans

# ------------------------------------------------------------ 3. hold + journal
sg_send "$SAMPLES/personal-contact-details.eml" j.smith@school.example amy.patel@school.example
Q3=$QID
sg_wait_summary
check "3: held and journalled" sg_summary_has "verdict=hold\+journal"
R3=$(sg_summary | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
check "3: in the hold queue ($R3)" sg_wait_held
check "3: the teacher is told" sg_wait_notice j.smith@school.example "$R3"
F3=$NOTICE
check "3: the teacher's notice says held" bash -c "body '$F3' | grep -q 'It has not been delivered yet'"
check "3: and never delivered or archived" bash -c "! body '$F3' | grep -qiE 'has been delivered|archive'"
check "3: the contact once" test "$(body "$F3" | grep -o "Mrs Aisha Khan" | wc -l)" = 1
check "3: no fixed staff-and-pupils line" bash -c "! body '$F3' | grep -q 'between staff and pupils'"
check "3: the time in the school's zone, not UTC" \
    bash -c "body '$F3' | grep -qE 'sent on [A-Z][a-z]+day [0-9]+ [A-Z][a-z]+ [0-9]{4} at [0-9:]+ (GMT|BST)' && ! body '$F3' | grep -q UTC"
check "3: the DSL is told" sg_wait_notice "$DSL" "$R3"
F3D=$NOTICE
check "3: the DSL's notice says held" grep -q "^Subject: Held for review: a message from John Smith" "$F3D"
check "3: it names no pupil, no subject, no number found" \
    no_pupil "$F3D" "Amy Patel" amy.patel "$(sed -n 's/^Subject: //p' "$SAMPLES/personal-contact-details.eml")" 07700
check "3: it links to the record's page" body "$F3D" | grep -qF "$URL/item/$R3"

# ------------------------------------------------------------ 4. released
review release "$R3" --note "Club contact, fine" >"$SG_WORK/r3-release.out" 2>&1
check "4: released" test $? -eq 0
QID=$Q3
check "4: delivered" sg_wait_delivered
sleep 1
# the pupil's copy (the sink may have it in one file with the archive's)
F4=$(sg_sink_files "$Q3" | xargs -r grep -l "^X-Rcpt-Args: <amy.patel@" | head -1)
check "4: the pupil's copy arrives once" test "$(sg_sink_files "$Q3" | xargs -r grep -l '^X-Rcpt-Args: <amy.patel@' | wc -l)" = 1
check "4: (its copy: ${F4:-none})" test -s "${F4:-/nonexistent}"
check "4: no X-Safeguard-Rules or -Verdict" test "$(grep -ciE '^X-Safeguard-(Rules|Verdict):' "${F4:-/dev/null}")" = 0
# (the sample's own Message-ID happens to be named after its rule)
check "4: no rule named in a header" \
    test "$(sed '/^$/q' "${F4:-/dev/null}" | grep -v '^Message-ID:' | grep -ciE 'personal-contact-details|private-one-to-one')" = 0
check "4: at most the record's reference" \
    test "$(sed '/^$/q' "${F4:-/dev/null}" | grep -iE '^X-Safeguard-' | grep -vc "^X-Safeguard-Record: $R3$")" = 0
check "4: no subject tag" test "$(grep -c '^Subject: \[Safeguarding\]' "${F4:-/dev/null}")" = 0
check "4: the archive copy went too" \
    test "$(sg_sink_files "$Q3" | xargs -r grep -l '^X-Rcpt-Args: <archive@' | wc -l)" = 1
check "4: judged once, never again on its way out" test "$(grep -c "$Q3: verdict=" "$SG_MILTER_LOG")" = 1

# ------------------------------------------------------------ 5. local submission
before=$(sg_sink_count)
sg_sendmail j.smith@school.example amyp2011@example.org \
    <"$SAMPLES/school-to-pupil-personal-address.eml"
check "5: the teacher gets the explanation as a notice" \
    sg_wait_notice j.smith@school.example "addressed to the pupil's personal email address"
F5=$NOTICE
check "5: it says not sent" grep -q '^Subject: Your message ".*" was not sent' "$F5"
check "5: it names the rule" grep -q "school-to-pupil-personal-address" "$F5"
bounce=
for i in $(seq 1 300); do
    bounce=$(grep -rl "X-Rcpt-Args: <j.smith@school.example>" "$SG_SINK_DIR" | xargs -r grep -l "Undelivered Mail" | head -1)
    [ -n "$bounce" ] && break
    sleep 0.1
done
check "5: Postfix's bounce reaches the teacher" test -n "$bounce"
check "5: it is one clean line, not the reply's lines joined" \
    bash -c "tr '\n' ' ' <'${bounce:-/dev/null}' | tr -s ' ' | grep -q 'Not sent: School account writing to a pupil.s personal email (rule school-to-pupil-personal-address). The explanation is in a separate message to you.' && ! grep -q '550-5.7.1' '${bounce:-/dev/null}'"
check "5: no record (the rule does not notify the DSL)" \
    test "$(sql "select count(*) from rules where rule_id='school-to-pupil-personal-address'")" = 0

# ------------------------------------------------------------ 6. digest
sg_send "$SAMPLES/personal-contact-details.eml" j.smith@school.example amy.patel@school.example
sg_wait_summary
review digest --mail >"$SG_WORK/digest.out" 2>&1
check "6: the digest is mailed" test $? -eq 0
check "6: the DSL gets it" sg_wait_notice "$DSL" "Held mail waiting for review"
F6=$NOTICE
check "6: it links to the page" bash -c "body '$F6' | grep -qF '$URL/item/' && body '$F6' | grep -qF '$URL/queue'"
check "6: it names no pupil and no subject" \
    no_pupil "$F6" "Amy Patel" amy.patel "$(sed -n 's/^Subject: //p' "$SAMPLES/personal-contact-details.eml")"
check "6: it counts the recipients" bash -c "body '$F6' | grep -q 'To: *1 pupil'"
check "6: it lists the day's refused and archived records apart" \
    bash -c "body '$F6' | grep -q 'Not held, told of in the last 24 hours.* $R1 refused when sent .* $R2 delivered, with an archive copy'"

# ------------------------------------------------------------ 7. a pupil sender
# (from the school server, as the pupil's own mail program would send it)
sg_send "$SAMPLES/pupil-to-staff-personal.eml" amy.patel@school.example john.smith.home@example.net
sg_wait_summary
check "7: held" sg_summary_has "verdict=hold rules=pupil-to-staff-personal"
R7=$(sg_summary | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
check "7: the DSL is told ($R7)" sg_wait_notice "$DSL" "$R7"
F7=$NOTICE
check "7: the sender is \"a pupil\"" grep -q "^Subject: Held for review: a message from a pupil (open the" "$F7"
check "7: never named" no_pupil "$F7" "Amy Patel" amy.patel "hi sir"
check "7: the staff member's personal address counted, not shown" \
    bash -c "body '$F7' | grep -qF -- '- 1 staff (at a personal address)' && ! grep -q john.smith.home '$F7'"

# ------------------------------------------------------------ 8. no record, no answer
LOCKED="$SG_WORK/locked" # root's: the milter (user postfix) cannot write
mkdir -p "$LOCKED" && chmod 0755 "$LOCKED"
sg_stop_milter
sg_write_milter_conf "${CONF[@]}" "quarantine_db = $LOCKED/q.db" \
    "quarantine_dir = $LOCKED/messages"
sg_start_milter
swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.2 \
    --from john.smith.home@example.net --to amy.patel@school.example \
    --data "$SAMPLES/staff-personal-to-pupil.eml" >"$SG_WORK/r8a.log" 2>&1
check "8: the refusal is tempfailed at RCPT (451), not refused" \
    bash -c "grep -Eq '^<\*\* +4[0-9][0-9] ' '$SG_WORK/r8a.log' && ! grep -q '(Rule staff-personal-to-pupil.)' '$SG_WORK/r8a.log'"
check "8: the log says why" grep -q "cannot record the refused message in $LOCKED/q.db" "$SG_MILTER_LOG"
before=$(sg_sink_count)
swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.2 \
    --from john.smith.home@example.net --to dan.evans@example.org \
    --data "$SAMPLES/former-pupil-adult-personal.eml" >"$SG_WORK/r8b.log" 2>&1
check "8: the journalled message is tempfailed at the end of DATA" \
    bash -c "grep -Eq '^<\*\* +4[0-9][0-9] ' '$SG_WORK/r8b.log' && ! grep -q 'queued as' '$SG_WORK/r8b.log'"
check "8: the log says why" grep -q "cannot record the archived message in $LOCKED/q.db" "$SG_MILTER_LOG"
sleep 1
check "8: nothing delivered" test "$(sg_sink_count)" = "$before"
check "8: nothing written" test -z "$(ls -A "$LOCKED")"

echo "$SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
