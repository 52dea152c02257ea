#!/bin/bash
# test_detect_text.sh - contact details hidden in the text, through a real
# private Postfix and the real daemon with the shipped policy: a member of
# staff writing to a pupil, in mail as Outlook, Gmail and Thunderbird send
# it, gives a number or address that only the normalisation and the
# bounded de-obfuscation before the detectors reveal (fullwidth digits and
# zero-width spaces, a number split by <br> or a format=flowed soft break
# with no-break and thin spaces, an address spelt out or in brackets,
# digits as words, a handle with a soft hyphen in an ordinary phrasing).
# Each is held by personal-contact-details.  Ordinary mail with times,
# dates, prices, an order number and the school's own number in the same
# forms is not.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix

DATA="$SG_SRCDIR/tests/integration/data/detect"
sg_setup
sg_start_sink
sg_write_milter_conf "directory_file = $SG_SRCDIR/contrib/samples/school.dir"
sg_start_milter
sg_start_postfix

# send FILE: from j.smith (staff) to amy.patel (pupil); prints the queue id
send() {
    local log="$SG_WORK/swaks-${1##*/}.log"
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --from j.smith@school.example \
        --to amy.patel@school.example --data "$1" >"$log" 2>&1
    sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1
}

# judge NAME: send it; sets qid and line (the daemon's verdict line)
judge() {
    qid=$(send "$DATA/$1.eml")
    line=
    sg_check "$1: queued" test -n "$qid"
    [ -n "$qid" ] || return 1
    sg_wait_for "$SG_MILTER_LOG" "$qid: verdict=" 10 >/dev/null
    line=$(grep "$qid: verdict=" "$SG_MILTER_LOG" | head -1)
}

# held NAME: held for the DSL by personal-contact-details
held() {
    local i
    judge "$1" || return
    sg_check "$1: held by personal-contact-details" \
        grep -qE "verdict=hold[^ ]* rules=([^ ]*,)?personal-contact-details\(hold\)" <<<"$line"
    for i in $(seq 1 50); do sg_held "$qid" && break; sleep 0.1; done
    sg_check "$1: in Postfix's hold queue" sg_held "$qid"
}

# clean NAME: personal-contact-details finds nothing, and the message is
# delivered (other rules, such as the time of day, may journal it)
clean() {
    local i
    judge "$1" || return
    sg_check "$1: not personal-contact-details" \
        bash -c '! grep -q "personal-contact-details" <<<"$1"' _ "$line"
    sg_check "$1: not held" bash -c '! grep -q "verdict=hold" <<<"$1"' _ "$line"
    for i in $(seq 1 100); do [ -n "$(sg_sink_files "$qid")" ] && break; sleep 0.1; done
    sg_check "$1: delivered" test -n "$(sg_sink_files "$qid")"
}

held outlook-fullwidth-zero-width
held gmail-br-split-number
held thunderbird-flowed-nbsp
held spelt-email-signature
held bracket-email-html
held number-words
held social-handle-phrasing
clean clean-trip-letter

sg_check "every message judged" test "$(sg_count "$SG_MILTER_LOG" ": verdict=")" -eq 8
[ "$SG_FAILS" -eq 0 ]
