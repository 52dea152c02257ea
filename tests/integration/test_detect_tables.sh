#!/bin/bash
# test_detect_tables.sh - pupil lists in tables, through a real private
# Postfix and the real daemon with the demo school's directory and the
# shipped policy, its clock at the messages' date: a CSV attachment of
# pupils with dates of birth, and an HTML (Gmail) table of them, sent
# outside the school are held by pupil-dob-list-outside; an Outlook table
# naming ten of the school's pupils without dates is held by
# pupil-roster-outside; a table of staff with the dates they started is
# delivered.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
command -v faketime >/dev/null || { echo "SKIP: faketime is not installed"; exit 77; }

DATA="$SG_SRCDIR/tests/integration/data/tables"
sg_setup
sg_start_sink
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SG_SRCDIR/contrib/samples/school.dir"
SG_MILTER_TIME="2025-03-12 10:15:00" sg_start_milter
sg_start_postfix

n=0
# send FILE: message n, from the school's own server (a trusted client),
# envelope as the message's From: and To:; prints the queue id
send() {
    local f="$DATA/$1" log from to
    log="$SG_WORK/swaks-$n.log"
    from=$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$f" | head -1)
    to=$(sed -n 's/^To:.*<\(.*\)>.*/\1/p' "$f" | head -1)
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.1 \
        --from "$from" --to "$to" --data "$f" >"$log" 2>&1
    sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1
}

# expect FILE RULE: held for the DSL by RULE alone, or, for RULE "-",
# accepted and delivered
expect() {
    local qid i
    n=$((n + 1))
    qid=$(send "$1")
    sg_check "$1: queued, not refused" test -n "$qid"
    [ -n "$qid" ] || return
    sg_wait_for "$SG_MILTER_LOG" "$qid: verdict=" 10 >/dev/null
    if [ "$2" = - ]; then
        sg_check "$1: accepted" grep -q "$qid: verdict=accept " "$SG_MILTER_LOG"
        for i in $(seq 1 100); do [ -n "$(sg_sink_files "$qid")" ] && break; sleep 0.1; done
        sg_check "$1: in the sink" test -n "$(sg_sink_files "$qid")"
        return
    fi
    sg_check "$1: held by $2" grep -q "$qid: verdict=hold rules=$2(hold) " "$SG_MILTER_LOG"
    for i in $(seq 1 50); do sg_held "$qid" && break; sleep 0.1; done
    sg_check "$1: in Postfix's hold queue" sg_held "$qid"
    sg_check "$1: not delivered" test -z "$(sg_sink_files "$qid")"
}

# Surname, Forename, DOB columns of a CSV file attached to Outlook mail
expect csv-dob-attachment.eml pupil-dob-list-outside
# a Gmail table; its text/plain part has each cell on a line of its own
expect html-table-dob.eml pupil-dob-list-outside
# an Outlook table of ten pupils of the directory, "Surname, Forename"
expect class-list-table.eml pupil-roster-outside
# near miss: an Outlook table of staff with recent start dates
expect staff-list-table.eml -

sg_check "every message sent ($n)" test "$n" -eq 4
[ "$SG_FAILS" -eq 0 ]
