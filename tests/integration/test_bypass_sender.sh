#!/bin/bash
# test_bypass_sender.sh - who the sender is, when the envelope does not say,
# through a real private Postfix (with a submission service that takes
# SMTP AUTH against a real Cyrus sasldb) and the real daemon:
#  - staff who authenticate and send with MAIL FROM:<> or an address the
#    directory does not know are judged as the login's person, and as the
#    stricter of the login's and the envelope's when both are people;
#  - a null or unknown envelope sender from a trusted client is judged by
#    the From: person;
#  - a From:, Sender: or Reply-To: that shows a school address (as the
#    mailbox, or written as the display name) is a claim with the same
#    trust test as the envelope: from outside, the message to a pupil is
#    held as spoofed;
#  - a parent listed under their own outside address stays a parent when
#    writing from outside (a "from parent" rule fires).
# The summary line says who the sender was judged to be.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }
[ -e /usr/lib/x86_64-linux-gnu/sasl2/libsasldb.so ] || ls /usr/lib/*/sasl2/libsasldb.so >/dev/null 2>&1 ||
    { echo "SKIP: libsasl2-modules-db is not installed"; exit 77; }

check() { sg_check "$@"; }

SAMPLES="$SG_SRCDIR/contrib/samples"
sg_setup
sg_start_sink
# the shipped policy, and one rule about parents (none of the shipped
# ones is "from parent")
RULES="$SG_WORK/test.rules"
cat "$SG_SRCDIR/rules/policy/default.rules" - >"$RULES" <<'R'

rule parent-to-staff-journal {
    title   "A parent writing to a member of staff"
    policy  "Kept for the record."
    source  "test"
    from    parent
    to      staff
    action  journal
    explain "Your message to {pupils} has been delivered and archived."
}
R
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "rules_file = $RULES" \
    "journal_address = archive@school.example" \
    "failure_action = accept"
sg_sasl_users "j.smith staff-pass" "a.jones@school.example anna-pass" "amy.patel pupil-pass"
sg_start_milter
sg_start_postfix

n=0
# send NAME CLIENT PORT MAIL-FROM RCPT [swaks options...] < message
# leaves the client's transcript in $SG_WORK/NAME.log and the queue id in $qid
send() {
    local name=$1 client=$2 port=$3 from=$4 to=$5; shift 5
    n=$((n + 1))
    cat >"$SG_WORK/$name.eml"
    swaks --server "127.0.0.1:$port" --local-interface "$client" \
        --from "$from" --to "$to" --data "$SG_WORK/$name.eml" "$@" \
        >"$SG_WORK/$name.log" 2>&1
    qid=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_WORK/$name.log" | head -1)
}
auth() { echo --auth PLAIN --auth-user "$1" --auth-password "$2"; }
# summary QID: the milter's one line about QID
summary() { sg_wait_for "$SG_MILTER_LOG" "^.*$1: verdict=" 10 >/dev/null; grep -E "$1: verdict=" "$SG_MILTER_LOG" | head -1; }
# held_as NAME RULE SENDER-REGEX: queued, in the hold queue, not delivered,
# the summary names RULE and judged the sender as SENDER-REGEX
held_as() {
    local name=$1 rule=$2 who=$3 i
    check "$name: queued" test -n "$qid"
    for i in $(seq 1 50); do sg_held "$qid" && break; sleep 0.1; done
    check "$name: in the hold queue" sg_held "$qid"
    check "$name: held for $rule" grep -Eq "$qid: verdict=hold.* rules=[^ ]*$rule\(hold\)" "$SG_MILTER_LOG"
    check "$name: sender judged as $who" grep -Eq "$qid: verdict=.* from=$who to=" "$SG_MILTER_LOG"
    check "$name: not delivered" test "$(copies "$qid")" -eq 0
}
# copies QID: how many copies of QID reached the sink (by the Received:
# line smtpd wrote, ESMTPSA after SMTP AUTH)
copies() { grep -rlsE "\(Postfix\) with E?SMTPS?A? id $1;?$" "$SG_SINK_DIR" | wc -l; }
delivered() {
    local name=$1 i
    check "$name: queued" test -n "$qid"
    for i in $(seq 1 100); do [ "$(copies "$qid")" -gt 0 ] && break; sleep 0.1; done
    check "$name: delivered" test "$(copies "$qid")" -gt 0
}
body() { # body FROM-HEADER TO SUBJECT TEXT [EXTRA-HEADER]
    printf 'From: %s\nTo: %s\nSubject: %s\nDate: %s\nMessage-ID: <%s@test.school.example>\n%sMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n' \
        "$1" "$2" "$3" "$(date -R)" "$RANDOM$RANDOM" "${5:+$5$'\n'}" "$4"
}
MOBILE="If you get stuck over half-term, ring me on 07700 900123."
UPN="As requested, Ben's details: UPN B801200005001"

# --- 2. staff choosing their envelope sender (authenticated, untrusted client)
send null-sender 127.0.0.2 "$SG_SUBMIT_PORT" "<>" amy.patel@school.example $(auth j.smith staff-pass) \
    < <(body "Homework help <homework.help@freemail.example>" "amy.patel@school.example" "Homework" "$MOBILE")
check "null-sender: authenticated" grep -q "235 2.7.0 Authentication successful" "$SG_WORK/null-sender.log"
held_as null-sender personal-contact-details '<>:staff\(auth\) sender=<j\.smith@school\.example>'
check "null-sender: the summary shows the login" grep -Eq "$qid: .* auth=j\.smith from=<>" "$SG_MILTER_LOG"

send foreign-sender 127.0.0.2 "$SG_SUBMIT_PORT" "somebody@printer.example" orders@printer.example $(auth j.smith staff-pass) \
    < <(body "Printing <print@printer.example>" "orders@printer.example" "Transfer" "$UPN")
held_as foreign-sender pupil-data-outside '<somebody@printer\.example>:staff\(auth\) sender=<j\.smith@school\.example>'

# a login with a domain: looked up as an address
send login-address 127.0.0.2 "$SG_SUBMIT_PORT" "anna@elsewhere.example" amy.patel@school.example $(auth a.jones@school.example anna-pass) \
    < <(body "Anna <anna@elsewhere.example>" "amy.patel@school.example" "Trip" "$MOBILE")
held_as login-address personal-contact-details '<anna@elsewhere\.example>:staff\(auth\) sender=<a\.jones@school\.example>'

# the stricter of the envelope's person (a parent, by their own outside
# address) and the login's (staff)
send stricter 127.0.0.2 "$SG_SUBMIT_PORT" "mrs.patel@example.com" amy.patel@school.example $(auth j.smith staff-pass) \
    < <(body "mrs.patel@example.com" "amy.patel@school.example" "Club" "$MOBILE")
held_as stricter personal-contact-details '<mrs\.patel@example\.com>:staff\(auth\) sender=<j\.smith@school\.example>'

# a pupil's login and its own envelope: no staff rule, delivered
send pupil-own 127.0.0.2 "$SG_SUBMIT_PORT" "amy.patel@school.example" ben.okafor@school.example $(auth amy.patel pupil-pass) \
    < <(body "Amy Patel <amy.patel@school.example>" "ben.okafor@school.example" "Maths" "Can you send me question 3?")
delivered pupil-own
check "pupil-own: judged as the pupil" grep -Eq "$qid: verdict=accept .* from=<amy\.patel@school\.example>:pupil to=" "$SG_MILTER_LOG"

# a null envelope sender from a trusted client: judged by the From: person
send trusted-null 127.0.0.1 "$SG_SMTP_PORT" "<>" amy.patel@school.example \
    < <(body "j.smith@school.example" "amy.patel@school.example" "Homework" "$MOBILE")
held_as trusted-null personal-contact-details '<>:staff\(header\) sender=<j\.smith@school\.example>'

# --- 3. From:/Sender:/Reply-To: claiming a school address, from outside
SPOOF="Your school account will be closed today. Reply with your password."
send from-bare 127.0.0.2 "$SG_SMTP_PORT" "bounce-77@mailer.example" ben.okafor@school.example \
    < <(body "j.smith@school.example" "ben.okafor@school.example" "Account" "$SPOOF")
held_as from-bare spoofed-school-sender-to-pupil '<bounce-77@mailer\.example>:external\(forged,header\) sender=<j\.smith@school\.example>'

send name-is-address 127.0.0.2 "$SG_SMTP_PORT" "x7@freemail.example" ben.okafor@school.example \
    < <(body '"j.smith@school.example" <x7@freemail.example>' "ben.okafor@school.example" "Account" "$SPOOF")
held_as name-is-address spoofed-school-sender-to-pupil '<x7@freemail\.example>:external\(forged,header\) sender=<j\.smith@school\.example>'

send encoded-name 127.0.0.2 "$SG_SMTP_PORT" "x8@freemail.example" ben.okafor@school.example \
    < <(body '=?utf-8?q?head=40school=2Eexample?= <x8@freemail.example>' "ben.okafor@school.example" "Account" "$SPOOF")
# (head@ is in a school domain but nobody's: external, and still spoofed)
held_as encoded-name spoofed-school-sender-to-pupil '<x8@freemail\.example>:external\(header\) sender=<head@school\.example>'

send reply-to 127.0.0.2 "$SG_SMTP_PORT" "quiz@club.example" ben.okafor@school.example \
    < <(body "Quiz Club <quiz@club.example>" "ben.okafor@school.example" "Quiz" "$SPOOF" "Reply-To: office@school.example")
held_as reply-to spoofed-school-sender-to-pupil '<quiz@club\.example>:external\(forged,header\) sender=<office@school\.example>'

send sender-header 127.0.0.2 "$SG_SMTP_PORT" "quiz@club.example" ben.okafor@school.example \
    < <(body "Quiz Club <quiz@club.example>" "ben.okafor@school.example" "Quiz" "$SPOOF" "Sender: a.khan@school.example")
held_as sender-header spoofed-school-sender-to-pupil '<quiz@club\.example>:external\(forged,header\) sender=<a\.khan@school\.example>'

# a member of staff's registered personal address in Reply-To: from the
# school account is "staff via personal": refused as from that address
send personal-reply-to 127.0.0.1 "$SG_SMTP_PORT" "j.smith@school.example" amy.patel@school.example \
    < <(body "John Smith <j.smith@school.example>" "amy.patel@school.example" "Homework" "See you on Monday." "Reply-To: john.smith.home@example.net")
check "personal-reply-to: refused with 550 5.7.1" grep -Eq '^<\*\* +550[ -]5\.7\.1' "$SG_WORK/personal-reply-to.log"
check "personal-reply-to: the client reads the rule" grep -q "(Rule staff-personal-to-pupil.)" "$SG_WORK/personal-reply-to.log"

# no false alarm: outside mail whose headers claim only outside addresses,
# and school mail from the trusted client whose From: is the school's
send outside-plain 127.0.0.2 "$SG_SMTP_PORT" "quiz@club.example" ben.okafor@school.example \
    < <(body "Quiz Club <quiz@club.example>" "ben.okafor@school.example" "Quiz" "The quiz is on Friday." "Reply-To: entries@club.example")
delivered outside-plain
check "outside-plain: judged as the envelope" grep -Eq "$qid: verdict=accept .* from=<quiz@club\.example>:external to=" "$SG_MILTER_LOG"
send trusted-office 127.0.0.1 "$SG_SMTP_PORT" "<>" ben.okafor@school.example \
    < <(body "School Office <office@school.example>" "ben.okafor@school.example" "Trip" "The coach leaves at 9.")
delivered trusted-office
check "trusted-office: judged as the office (staff)" grep -Eq "$qid: verdict=[a-z+]* .*from=<>:staff\(header\) sender=<office@school\.example> to=" "$SG_MILTER_LOG"

# a member of staff who logged in may name another school address: a
# shared mailbox nobody in the directory owns, in Reply-To:, is no outsider
send staff-shared-reply 127.0.0.2 "$SG_SUBMIT_PORT" "j.smith@school.example" amy.patel@school.example $(auth j.smith staff-pass) \
    < <(body "John Smith <j.smith@school.example>" "amy.patel@school.example" "Revision" "The revision pack is on the shelf." "Reply-To: maths-dept@school.example")
delivered staff-shared-reply
check "staff-shared-reply: judged as the member of staff" grep -Eq "$qid: verdict=[a-z+]* .*from=<j\.smith@school\.example>:staff to=" "$SG_MILTER_LOG"
check "staff-shared-reply: not held as spoofed or a look-alike" \
    sh -c "! grep -Eq '$qid: .*(spoofed-school-sender|staff-lookalike)' '$SG_MILTER_LOG'"
# ... but a pupil who logged in and writes as a teacher is not believed
send pupil-as-teacher 127.0.0.2 "$SG_SUBMIT_PORT" "amy.patel@school.example" ben.okafor@school.example $(auth amy.patel pupil-pass) \
    < <(body "John Smith <j.smith@school.example>" "ben.okafor@school.example" "Detention" "$SPOOF")
held_as pupil-as-teacher spoofed-school-sender-to-pupil '<amy\.patel@school\.example>:external\(forged,header\) sender=<j\.smith@school\.example>'

# more claimed senders than the filter checks: tempfailed, even with
# failure_action = accept (set above), never let through unjudged
many=$(for i in $(seq 1 40); do printf 'u%d@club.example, ' "$i"; done)
send too-many 127.0.0.2 "$SG_SMTP_PORT" "quiz@club.example" ben.okafor@school.example \
    < <(body "Quiz Club <quiz@club.example>" "ben.okafor@school.example" "Quiz" "$SPOOF" "Reply-To: ${many}office@school.example")
check "too-many: tempfailed" grep -Eq '^<\*\* +451 4\.7\.1' "$SG_WORK/too-many.log"
check "too-many: the log says why" grep -q "applying failure_action=tempfail after: more addresses in From:, Sender: and Reply-To:" "$SG_MILTER_LOG"

# --- 12. a parent under their own outside address, from outside
send parent 127.0.0.2 "$SG_SMTP_PORT" "mrs.patel@example.com" j.smith@school.example \
    < <(body "Priya Patel <mrs.patel@example.com>" "j.smith@school.example" "Amy" "Amy will be late tomorrow.")
delivered parent
check "parent: judged as the parent, not forged" grep -Eq "$qid: verdict=journal rules=parent-to-staff-journal\(journal\) .* from=<mrs\.patel@example\.com>:parent to=" "$SG_MILTER_LOG"
check "parent: the journal copy went to the archive" grep -qs "^X-Rcpt-Args: <archive@school.example>" $(sg_sink_files "$qid")

# --- safeguard-check decides the same way, from the same claims
CHECK=("$SG_BUILDDIR/milter/safeguard-check" -c "$SG_MILTER_CONF")
"${CHECK[@]}" --from "<>" --auth j.smith --to amy.patel@school.example \
    "$SG_WORK/null-sender.eml" >"$SG_WORK/check-auth.out" 2>&1
check "safeguard-check: a null sender with a login is held" grep -q "^Verdict: hold" "$SG_WORK/check-auth.out"
check "safeguard-check: judged as the login's person" \
    grep -q "^Judged as <j.smith@school.example>: staff (John Smith) (claimed by the SMTP AUTH login)" "$SG_WORK/check-auth.out"
"${CHECK[@]}" --json --from x7@freemail.example --to ben.okafor@school.example \
    "$SG_WORK/name-is-address.eml" >"$SG_WORK/check-header.json" 2>&1
check "safeguard-check --json: the From: display name's address, forged" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
j = r["judged_as"]
assert r["action"] == "hold", r["action"]
assert j["address"] == "j.smith@school.example" and j["claimed_by"] == "header" and j.get("forged"), j
' "$SG_WORK/check-header.json"
"${CHECK[@]}" --from mrs.patel@example.com --to j.smith@school.example \
    "$SG_WORK/parent.eml" >"$SG_WORK/check-parent.out" 2>&1
check "safeguard-check: the parent is a parent" grep -q "^From <mrs.patel@example.com>: parent" "$SG_WORK/check-parent.out"

# --- the Postfix side, as contrib/postfix/main.cf.snippet documents it:
# smtpd_sender_login_maps + reject_sender_login_mismatch refuse a sender
# the login does not own, but not MAIL FROM:<>, which the filter judges
printf 'j.smith@school.example j.smith\nmr.smith@school.example j.smith\n' >"$SG_PF/sender-logins"
postmap -c "$SG_PF" "$SG_PF/sender-logins"
postconf -c "$SG_PF" "smtpd_sender_login_maps = hash:$SG_PF/sender-logins" \
    "smtpd_sender_restrictions = reject_sender_login_mismatch, permit_sasl_authenticated, permit_mynetworks"
postfix -c "$SG_PF" reload >/dev/null 2>&1
sleep 2
send login-mismatch 127.0.0.2 "$SG_SUBMIT_PORT" "a.jones@school.example" amy.patel@school.example $(auth j.smith staff-pass) \
    < <(body "a.jones@school.example" "amy.patel@school.example" "Homework" "$MOBILE")
check "login-mismatch: Postfix refuses another's address" grep -Eq '^<\*\* +553 5\.7\.1 .*not owned by user j\.smith' "$SG_WORK/login-mismatch.log"
send login-null 127.0.0.2 "$SG_SUBMIT_PORT" "<>" amy.patel@school.example $(auth j.smith staff-pass) \
    < <(body "Homework help <homework.help@freemail.example>" "amy.patel@school.example" "Homework" "$MOBILE")
held_as login-null personal-contact-details '<>:staff\(auth\) sender=<j\.smith@school\.example>'

check "sent $n messages" test "$n" -eq 20
echo "$SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
