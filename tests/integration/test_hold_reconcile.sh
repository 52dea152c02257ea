#!/bin/bash
# test_hold_reconcile.sh - records of held mail that Postfix never kept,
# through a real private Postfix and the real daemon.
#
# The daemon writes a hold's record before it answers Postfix; if the
# answer never reaches Postfix (the daemon stops, or cleanup dies or gives
# up), no queue keeps the message.  Nothing the daemon does between the
# record and the answer waits on anything a test could stop (notices are
# sent afterwards, from the outbox), so here the held message comes over
# the milter protocol from miltertest with a queue id no Postfix has, as
# from a cleanup that died before the answer, and the daemon is then
# killed (SIGKILL).  Then:
#  1. restarted, the daemon's start-up check marks that record lost ("not
#     kept by the mail system"), with an audit row and a log line, and
#     leaves a message really on hold alone;
#  2. with a short interval, a record younger than hold_reconcile_grace
#     is left alone at start, and the timer marks it lost later without
#     a restart;
#  3. a message seen on hold and then released by hand (postsuper -H) is
#     marked released, not lost;
#  4. safeguard-review shows the state (list --status lost, show) and its
#     sync, through the real postqueue, agrees and changes nothing more.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
command -v miltertest >/dev/null || { echo "SKIP: miltertest not installed"; exit 77; }
sg_require_review

check() { sg_check "$@"; }

SAMPLES="$SG_SRCDIR/contrib/samples"
SAMPLE="$SAMPLES/personal-contact-details.eml"
sg_setup
sg_start_sink
T="$SG_WORK/t"
mkdir -p "$T" && chown postfix "$T"
sg_notice_key

# conf INTERVAL GRACE: the daemon's configuration
conf() {
    sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
        "directory_file = $SAMPLES/school.dir" \
        "notice_from = safeguarding@school.example" \
        "dsl_addresses = a.khan@school.example" \
        "notice_templates = $SG_SRCDIR/contrib/templates" \
        "notice_secret_file = $SG_WORK/notice.key" \
        "notice_sendmail = /bin/sh $SG_SRCDIR/tests/integration/queue-notice.sh $SG_SMTP_PORT {from} {to}" \
        "review_queue_command = /bin/sh $SG_SRCDIR/tests/integration/queue-list.sh $SG_PF/queue" \
        "hold_reconcile_interval = $1" \
        "hold_reconcile_grace = $2"
}
DB="$SG_QUARANTINE/quarantine.db"
sql() { sqlite3 "$DB" "$1"; }
status_of() { sg_record_status "$1"; }
record_of() { sql "select id from records where queue_id='$1'"; }
# wait_status RECORD REGEX [SECONDS]: until the record's status matches
wait_status() {
    local i
    for i in $(seq 1 $((${3:-20} * 10))); do
        [[ $(status_of "$1") =~ ^($2)$ ]] && return 0
        sleep 0.1
    done
    return 1
}
# wait_copy QID: until the sink has a copy of QID
wait_copy() {
    local i
    for i in $(seq 1 150); do [ "$(sg_sink_copies "$1")" -ge 1 ] && return 0; sleep 0.1; done
    return 1
}

# send NAME: send the sample; sets QID (from Postfix's 250, or the
# daemon's record when Postfix tempfailed it) and REPLY (the last reply)
send() {
    local log="$T/swaks-$1.log"
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.1 \
        --from j.smith@school.example \
        --to amy.patel@school.example,a.jones@school.example --data "$SAMPLE" >"$log" 2>&1
    REPLY=$(grep -E '^<\** *[245][0-9][0-9] ' "$log" | tail -n 2 | head -n 1)
    QID=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1)
}
# crash NAME: the daemon holds a message no mail system keeps (from
# miltertest, queue id NAME in capitals and digits), and is then killed;
# sets QID and RECORD
ORPHANS=0
crash() {
    ORPHANS=$((ORPHANS + 1))
    QID="ORPHAN${ORPHANS}X"
    miltertest -D socket="$SG_MILTER_SOCKET" -D qid="$QID" \
        -s "$SG_SRCDIR/tests/integration/miltertest/held-orphan.lua" >"$T/mt-$1.log" 2>&1
    RECORD=$(record_of "$QID")
    kill -KILL "$SG_MILTER_PID"
    wait "$SG_MILTER_PID" 2>/dev/null
    SG_MILTER_PID=
    check "$1: the daemon wrote a record ($RECORD) and died" \
        bash -c "[ -n '$RECORD' ] && ! grep -q FAIL '$T/mt-$1.log'"
    check "$1: its queue id $QID is in no queue" bash -c "! postqueue -c '$SG_PF' -j | grep -q '\"$QID\"'"
    check "$1: the record $RECORD says held" test "$(status_of "$RECORD")" = held
}

conf 1h 3s
sg_start_postfix
sg_start_milter

# ------------------------------------------------------------ 1. at start
send control
QC=$QID
for i in $(seq 1 50); do sg_held "$QC" && break; sleep 0.1; done
RC=$(record_of "$QC")
check "control: held with a record ($QC, $RC)" test -n "$RC" -a "$(status_of "$RC")" = held
check "control: on hold" sg_held "$QC"

crash crash1
R1=$RECORD Q1=$QID
sleep 4                                   # older than the grace period
# The review lock is taken as the daemon starts (a reviewer deciding, or
# the daemon's own decision thread, which starts with it): the check at
# start is put off a moment, not for the whole hour's interval.
flock "$DB-review.lock" sleep 4 &
LOCKER=$!
sg_start_milter
check "1: the start-up check marks $R1 lost, once the review lock is free" \
    wait_status "$R1" lost 15
wait "$LOCKER"
check "1: the daemon logged it" grep -q "$Q1: quarantine record $R1 is now lost: not kept by the mail system" "$SG_MILTER_LOG"
check "1: an audit row by the daemon says why" \
    test "$(sql "select count(*) from audit where record_id='$R1' and action='lost' and actor='safeguard-milter' and note like '%never seen in the hold queue%'")" = 1
check "1: the message really on hold stays held" test "$(status_of "$RC")" = held
check "1: ... and is marked seen there" test "$(sql "select queue_seen is not null from records where id='$RC'")" = 1

# ------------------------------------------------------------ 2. timer
sg_stop_milter
# (a grace period no slow start can outlast: the record is then made
# older than it in the store, rather than waited for)
conf 1s 1h
sg_start_milter
crash crash2
R2=$RECORD Q2=$QID
sg_start_milter
PID=$SG_MILTER_PID
STARTS=$(grep -c "starting on" "$SG_MILTER_LOG")
sleep 2                                   # the timer has run, twice
check "2: younger than the grace period, $R2 is left alone" \
    test "$(status_of "$R2")" = held
sql "update records set created = created - 7200 where id='$R2'"
check "2: older than the grace period, the timer marks $R2 lost, without a restart" \
    wait_status "$R2" lost 15
check "2: the same daemon did it" \
    bash -c "kill -0 $PID && [ \"\$(grep -c 'starting on' '$SG_MILTER_LOG')\" = $STARTS ]"
check "2: the daemon logged it" grep -q "$Q2: quarantine record $R2 is now lost" "$SG_MILTER_LOG"

# ------------------------------------------------------------ 3. by hand
# Released by hand, the message leaves the hold queue and is delivered:
# the timer finds it in the active queue (released) or gone (expired),
# either way by hand, and not lost: it was seen on hold.
postsuper -c "$SG_PF" -H "$QC" >/dev/null 2>&1
check "3: released by hand, it is delivered" wait_copy "$QC"
check "3: the control record is marked released or expired, not lost" wait_status "$RC" 'released|expired' 15
check "3: ... with a note that says it happened by hand" \
    test "$(sql "select count(*) from audit where record_id='$RC' and note like '%outside safeguard-review%'")" = 1

# ------------------------------------------------------------ 4. review
sg_review list --status lost >"$T/list.out" 2>&1
check "4: review list --status lost shows both" \
    bash -c "grep -q '$R1' '$T/list.out' && grep -q '$R2' '$T/list.out' && ! grep -q '$RC' '$T/list.out'"
sg_review show "$R1" >"$T/show.out" 2>&1
check "4: review show says not kept by the mail system" grep -q "^Status     not kept by the mail system" "$T/show.out"
sg_review release "$R1" --note "try" >"$T/release.out" 2>&1
check "4: a lost record cannot be released" grep -q "already lost" "$T/release.out"
sg_stop_milter
sg_review sync >"$T/sync.out" 2>&1
check "4: sync through the real postqueue agrees: nothing more to change" \
    grep -q "^sync: 0 records updated" "$T/sync.out"

echo "$SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
