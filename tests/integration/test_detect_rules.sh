#!/bin/bash
# test_detect_rules.sh - the rules language's facts about recipients and
# addresses, through a real private Postfix, the real daemon and the
# shipped policy, on mail shaped as school mail clients send it:
#  - one-to-one is counted: a teacher's message to one pupil is journalled
#    (private-one-to-one), the same teacher's homework to a class of 25
#    sent as Bcc is not;
#  - a registered personal address is outside the school: pupil numbers
#    (UPNs) a teacher sends to her own registered personal address are
#    held (pupil-data-outside), the same file sent to a colleague is not;
#  - personal email is a consumer mailbox (Gmail) or a registered
#    personal address (the sender's own or a colleague's), not a university's admissions office,
#    and never a calendar invitation's UID;
#  - the school's own Instagram and X accounts (school_social_accounts) in
#    the staff signature are not a teacher's; a teacher's own one is;
#  - a school account asking a pupil to reply to a Gmail address
#    (Reply-To:) is held, one whose Reply-To is the school office is not.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix

DATA=$SG_SRCDIR/tests/integration/data
sg_setup
sg_start_sink
sg_write_milter_conf "directory_file = $DATA/detect.dir" \
    "journal_address = archive@school.example" \
    "school_social_accounts = @OakfieldAcademy"
# a school day, so that the time-of-day rule (late-contact-with-pupil)
# does not depend on when the test runs
SG_MILTER_TIME="2025-03-12 14:00:00" sg_start_milter
sg_start_postfix

n=0
# send FILE FROM TO[,TO...]: through Postfix from the trusted client (a
# school address counts as its owner); prints the queue id
send() {
    n=$((n + 1))
    local log="$SG_WORK/swaks-$n.log"
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --from "$2" --to "$3" \
        --data "$DATA/detect/$1" >"$log" 2>&1
    sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1
}

# verdict WHAT QID PATTERN: the summary line of QID matches PATTERN
verdict() {
    sg_check "$1: queued" test -n "$2"
    [ -n "$2" ] || return
    sg_wait_for "$SG_MILTER_LOG" "$2: verdict=" 15 >/dev/null
    sg_check "$1: $3" grep -Eq "$2: $3" "$SG_MILTER_LOG"
}

# held WHAT QID: in Postfix's hold queue
held() {
    local i
    for i in $(seq 1 50); do sg_held "$2" && break; sleep 0.1; done
    sg_check "$1: in Postfix's hold queue" sg_held "$2"
}

# delivered WHAT QID: in the sink
delivered() {
    local i
    for i in $(seq 1 100); do [ -n "$(sg_sink_files "$2")" ] && break; sleep 0.1; done
    sg_check "$1: delivered" test -n "$(sg_sink_files "$2")"
}

CLASS=$(awk '$2 == "pupil" { printf "%s%s", s, $1; s = "," }' "$DATA/detect.dir")
sg_check "a class of 25 in the directory" test "$(echo "$CLASS" | tr , '\n' | wc -l)" -eq 25

# ---- item 10: one-to-one is counted
q=$(send one-to-one.eml j.smith@school.example amy.patel@school.example)
verdict "reply to one pupil" "$q" "verdict=journal rules=private-one-to-one\(journal\) "
delivered "reply to one pupil" "$q"
q=$(send class-homework.eml j.smith@school.example "j.smith@school.example,$CLASS")
verdict "homework to 7C in Bcc" "$q" "verdict=accept .*rcpts=26 "
sg_check "homework to 7C in Bcc: not private-one-to-one" \
    sh -c "! grep '$q: ' '$SG_MILTER_LOG' | grep -q private-one-to-one"
delivered "homework to 7C in Bcc" "$q"
q=$(send class-homework.eml j.smith@school.example \
    "ben.okafor@school.example,amy.patel@school.example")
verdict "homework to two pupils" "$q" "verdict=accept "

# ---- item 9: a registered personal address is outside the school
q=$(send upns-home.eml a.jones@school.example annajones77@gmail.com)
verdict "UPNs to her own personal address" "$q" "verdict=hold rules=pupil-data-outside\(hold\) "
held "UPNs to her own personal address" "$q"
q=$(send upns-home.eml a.jones@school.example a.khan@school.example)
verdict "UPNs to a colleague at school" "$q" "verdict=accept "
delivered "UPNs to a colleague at school" "$q"

# ---- item 7: personal email means a consumer mailbox or a registered one
PUPIL_CC="amy.patel@school.example,a.jones@school.example"
q=$(send university-admissions.eml j.smith@school.example "$PUPIL_CC")
verdict "a university's admissions address to a pupil" "$q" "verdict=accept "
delivered "a university's admissions address to a pupil" "$q"
q=$(send personal-gmail.eml j.smith@school.example "$PUPIL_CC")
verdict "a teacher's Gmail address to a pupil" "$q" \
    "verdict=hold rules=personal-contact-details\(hold\) "
held "a teacher's Gmail address to a pupil" "$q"
q=$(send personal-registered.eml j.smith@school.example "$PUPIL_CC")
verdict "a teacher's registered home address to a pupil" "$q" \
    "verdict=hold rules=personal-contact-details\(hold\) "
held "a teacher's registered home address to a pupil" "$q"
# anyone's registered personal address, not only the sender's own
q=$(send colleague-home-address.eml a.jones@school.example \
    amy.patel@school.example,office@school.example)
verdict "a colleague's registered home address to a pupil" "$q" \
    "verdict=hold rules=personal-contact-details\(hold\) "
held "a colleague's registered home address to a pupil" "$q"
# machine identifiers are not addresses: a calendar invitation's UIDs
q=$(send calendar-invite.eml j.smith@school.example "$PUPIL_CC")
verdict "a calendar invitation to a pupil" "$q" "verdict=accept "
delivered "a calendar invitation to a pupil" "$q"

# ---- item 7: the school's own social media accounts are not findings
q=$(send school-instagram.eml j.smith@school.example ben.okafor@school.example,a.jones@school.example)
verdict "the school's Instagram and X in a signature" "$q" "verdict=accept "
delivered "the school's Instagram and X in a signature" "$q"
q=$(send personal-instagram.eml j.smith@school.example ben.okafor@school.example,a.jones@school.example)
verdict "a teacher's own Instagram beside the school's" "$q" \
    "verdict=hold rules=personal-contact-details\(hold\) "
held "a teacher's own Instagram beside the school's" "$q"

# ---- item 5: a Reply-To: at a personal address is a wrong channel
q=$(send reply-to-personal.eml j.smith@school.example ben.okafor@school.example,a.jones@school.example)
verdict "a school account with a Gmail Reply-To to a pupil" "$q" \
    "verdict=hold rules=personal-contact-details\(hold\) "
held "a school account with a Gmail Reply-To to a pupil" "$q"
q=$(send reply-to-school.eml j.smith@school.example ben.okafor@school.example,a.jones@school.example)
verdict "a school account with the office as Reply-To" "$q" "verdict=accept "
delivered "a school account with the office as Reply-To" "$q"

sg_check "nothing refused" test "$(grep -c 'verdict=reject' "$SG_MILTER_LOG")" -eq 0
[ "$SG_FAILS" -eq 0 ]
