#!/bin/bash
# test_bypass_lookalike.sh - look-alike senders through a real private
# Postfix and the real daemon with the shipped policy: an outsider whose
# From: display name only looks like a member of staff's name (Cyrillic or
# Greek letters mixed in, fullwidth forms, invisible characters, a capital
# I for a small l) or is a common short form of it ("J. Smith", "Mr
# Smith", "John S.", "John A. Smith") writing to a pupil is held for the DSL by
# staff-lookalike-to-pupil, never refused; and ordinary outsiders whose
# names are only near a staff name, or whose short form fits two members
# of staff, are delivered.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix

sg_setup
sg_start_sink
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SG_SRCDIR/tests/integration/data/lookalike.dir"
sg_start_milter
sg_start_postfix

# encoded NAME: the name as an RFC 2047 encoded word (UTF-8, base64)
encoded() { printf '=?UTF-8?B?%s?=' "$(printf '%s' "$1" | base64 -w0)"; }

n=0
# send FROM-HEADER-PHRASE: message n, from an outside address and client
# to a pupil; prints the queue id
send() {
    local msg="$SG_WORK/msg-$n.eml" log="$SG_WORK/swaks-$n.log"
    {
        printf 'From: %s <pe.teacher%d@example.net>\n' "$1" "$n"
        printf 'To: Ben Okafor <ben.okafor@school.example>\n'
        printf 'Subject: Football on Saturday\n'
        printf 'Date: Wed, 12 Mar 2025 10:15:00 +0000\n'
        printf 'Message-ID: <lookalike-%d@example.net>\n' "$n"
        printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n'
        printf 'Content-Transfer-Encoding: 8bit\n\n'
        printf 'Hi Ben,\n\nGreat game last week. Are you coming on Saturday?\n'
    } >"$msg"
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.2 \
        --from "pe.teacher$n@example.net" --to ben.okafor@school.example \
        --data "$msg" >"$log" 2>&1
    sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1
}

# held WHAT PHRASE: held for the DSL by staff-lookalike-to-pupil
held() {
    local what=$1 qid i
    n=$((n + 1))
    qid=$(send "$2")
    sg_check "$what: queued, not refused" test -n "$qid"
    [ -n "$qid" ] || return
    sg_wait_for "$SG_MILTER_LOG" "$qid: verdict=" 10 >/dev/null
    sg_check "$what: held by staff-lookalike-to-pupil" \
        grep -q "$qid: verdict=hold rules=staff-lookalike-to-pupil(hold) " "$SG_MILTER_LOG"
    for i in $(seq 1 50); do sg_held "$qid" && break; sleep 0.1; done
    sg_check "$what: in Postfix's hold queue" sg_held "$qid"
}

# delivered WHAT PHRASE: not taken for a member of staff
delivered() {
    local what=$1 qid
    n=$((n + 1))
    qid=$(send "$2")
    sg_check "$what: queued" test -n "$qid"
    [ -n "$qid" ] || return
    sg_wait_for "$SG_MILTER_LOG" "$qid: verdict=" 10 >/dev/null
    sg_check "$what: accepted" grep -q "$qid: verdict=accept " "$SG_MILTER_LOG"
    local i
    for i in $(seq 1 100); do [ -n "$(sg_sink_files "$qid")" ] && break; sleep 0.1; done
    sg_check "$what: in the sink" test -n "$(sg_sink_files "$qid")"
}

# the control: the name as it is
held "plain name" "John Smith"
# look-alike letters, compatibility forms, invisible characters
held "Cyrillic o and i" "$(encoded $'J\u043ehn Sm\u0456th')"
held "fullwidth" "$(encoded $'\uff2a\uff4f\uff48\uff4e \uff33\uff4d\uff49\uff54\uff48')"
held "Greek capitals" "$(encoded $'\u0391\u039d\u039d\u0391 J\u039f\u039d\u0395S')"
held "Cyrillic capital S, a title and an initial" "$(encoded $'Mr J \u0405mith')"
held "zero-width space and soft hyphen" "$(encoded $'Jo\u200bhn Smi\u00adth')"
held "mathematical bold" "$(encoded $'\U0001d409\U0001d428\U0001d421\U0001d427 Smith')"
held "small l for capital I" "lan Hill"
held "capital I for small l" "Ian HiII"
held "rn for m" "John Srnith"
held "Surname, Forename" '"Smith, John"'
# short forms that fit exactly one member of staff
held "surname with a title" "Mr Smith"
held "initial and surname" '"J. Smith"'
held "title, initial and surname" "Mrs A Jones"
held "forename and initial" '"John S."'
held "a middle initial" '"John A. Smith"'
held "raw UTF-8 look-alike" $'Mr \u0405mith'

# near a staff name, or fitting nobody, or two members of staff
delivered "another name" "John Smithson"
delivered "another forename" "Jon Smith"
delivered "a surname alone, without a title" "Smith"
delivered "a pupil's or parent's surname" "Mr Okafor"
delivered "two members of staff named Brown" "Mr Brown"
delivered "two Browns with the initial R" '"R. Brown"'
delivered "another initial" '"P. Smith"'

sg_check "nothing refused" test "$(grep -c 'verdict=reject' "$SG_MILTER_LOG")" -eq 0
sg_check "messages sent ($n)" test "$n" -eq 24
[ "$SG_FAILS" -eq 0 ]
