#!/bin/bash
# test_notice_outbox.sh - notices through the outbox, through a real
# private Postfix and the real daemon.  The notice command is a script
# in front of queue-notice.sh that can be made slow, failing, or deadly
# to the daemon by flag files.
#  1. Postfix has its answer before any notice is handed over: with a
#     sendmail that takes 3 seconds for each, the held message is accepted at once,
#     and the log shows the message's verdict before the notice's send;
#  2. a notice whose sendmail fails is kept, tried again after its
#     backoff, and delivered once, after the sendmail comes back;
#  3. the daemon killed (SIGKILL) after it claimed a notice and before it
#     handed it over: restarted, it picks the unsent notice up (once the
#     dead claim's lease is over) and it is delivered once;
#  4. killed after sendmail took the notice and before the row was marked:
#     the notice arrives twice, both copies with the row's one Message-ID
#     (the at-least-once window doc/design-notes.md describes);
#  5. safeguard-review outbox lists what is not sent, and --send sends it
#     at once, without waiting for the backoff;
#  6. the daemon stopped (SIGTERM) while it hands a notice over: it waits
#     for that notice, marks it sent, and leaves the rest due, unclaimed,
#     for its next run; no sendmail it started outlives it.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
sg_require_review

check() { sg_check "$@"; }

SAMPLES="$SG_SRCDIR/contrib/samples"
SAMPLE="$SAMPLES/personal-contact-details.eml"
DSL=a.khan@school.example
sg_setup
sg_start_sink
T="$SG_WORK/t"
mkdir -p "$T" && chown postfix "$T"
sg_notice_key

# The notice command.  Every call is logged in $T/calls.  Flags: "down":
# fail as a sendmail whose queue is gone; "slow": take 3 seconds first;
# "kill": kill the daemon before handing the notice over; "kill-after":
# hand it over, then kill the daemon.
cat >"$T/notice.sh" <<SH
#!/bin/sh
echo "\$(date +%s.%N) \$*" >>"$T/calls"
if [ -e "$T/down" ]; then
    echo "sendmail: fatal: the queue is down for the test" >&2
    exit 75
fi
[ -e "$T/slow" ] && sleep 3
if [ -e "$T/kill" ]; then
    rm -f "$T/kill"
    kill -KILL "\$(cat "$SG_MILTER_DIR/milter.pid")"
    sleep 10
    exit 75
fi
if [ -e "$T/kill-after" ]; then
    # handed over in full (Postfix has it, through the live filter), and
    # only then the daemon killed, before it marks the row
    rm -f "$T/kill-after"
    from=\$1
    shift
    to=\$(printf '%s,' "\$@")
    swaks --silent 2 --server 127.0.0.1:$SG_SMTP_PORT --from "\$from" \
        --to "\${to%,}" --data - >/dev/null 2>&1
    kill -KILL "\$(cat "$SG_MILTER_DIR/milter.pid")"
    exit 0
fi
exec /bin/sh "$SG_SRCDIR/tests/integration/queue-notice.sh" $SG_SMTP_PORT "\$@"
SH
chmod 755 "$T/notice.sh"
flag() { touch "$T/$1" && chown postfix "$T/$1"; }

sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "notice_from = safeguarding@school.example" \
    "dsl_addresses = $DSL" \
    "notice_templates = $SG_SRCDIR/contrib/templates" \
    "notice_secret_file = $SG_WORK/notice.key" \
    "notice_sendmail = /bin/sh $T/notice.sh {from} {to}" \
    "notice_timeout = 5s" \
    "notice_retry_interval = 10s" \
    "hold_reconcile_interval = 0"
DB="$SG_QUARANTINE/quarantine.db"
sql() { sqlite3 "$DB" "$1"; }
sg_start_postfix
sg_start_milter

# hold NAME: send the sample, held; sets QID, RECORD and SECS (how long
# Postfix took to answer)
hold() {
    local t0=$(date +%s.%N)
    sg_send "$SAMPLE" j.smith@school.example amy.patel@school.example
    SECS=$(echo "$(date +%s.%N) - $t0" | bc)
    check "$1: Postfix queued it" test -n "$QID"
    sg_wait_summary
    RECORD=$(sql "select id from records where queue_id='$QID'")
    check "$1: held with a record ($QID, $RECORD)" \
        bash -c "[ -n '$RECORD' ] && grep -q '$QID: verdict=hold.* record=$RECORD' '$SG_MILTER_LOG'"
}
# copies RECORD: notices about RECORD to the DSL at the sink
copies() {
    [ -n "$1" ] || { echo 0; return; }
    grep -rls "X-Safeguard-Notice" "$SG_SINK_DIR" 2>/dev/null |
        xargs -r grep -l "^X-Rcpt-Args: <$DSL>" | xargs -r grep -lF -- "$1" | wc -l
}
# wait_copies RECORD N SECONDS
wait_copies() {
    local i
    for i in $(seq 1 $(($3 * 10))); do
        [ "$(copies "$1")" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
dsl_row() { sql "select $2 from outbox where record_id='$1' and kind='held-dsl'"; }

# ------------------------------------------------------------ 1. answer first
flag slow
hold slow
check "1: Postfix had its answer before the 3-second sendmail ($SECS s)" \
    test "$(echo "$SECS < 2" | bc)" = 1
check "1: the notices were queued with the record" \
    grep -q "record $RECORD: notice queued for the sender and the DSL" "$SG_MILTER_LOG"
check "1: the DSL's notice is sent" wait_copies "$RECORD" 1 30
verdict_line=$(grep -n "$QID: verdict=hold" "$SG_MILTER_LOG" | head -1 | cut -d: -f1)
sent_line=$(grep -n "record $RECORD: notice [0-9]* (held-[a-z]*) sent to" "$SG_MILTER_LOG" | head -1 | cut -d: -f1)
check "1: the log shows the verdict (line $verdict_line) before the first send (line $sent_line)" \
    test -n "$verdict_line" -a -n "$sent_line" -a "${verdict_line:-0}" -lt "${sent_line:-0}"
rm -f "$T/slow"

# ------------------------------------------------------------ 2. sendmail down
flag down
hold down
R2=$RECORD
check "2: held and answered while sendmail is down" sg_wait_held
check "2: the failure is logged with the retry" \
    sg_wait_for "$SG_MILTER_LOG" "record $R2: notice [0-9]* \(held-dsl\) to <$DSL> not sent, trying again in 10 seconds: sendmail command .* exited with status 75: sendmail: fatal: the queue is down" 20
check "2: the row waits, with the reason" \
    test "$(dsl_row "$R2" "sent is null and failed is null and attempts = 1 and last_error like '%queue is down%'")" = 1
sleep 2
check "2: nothing reached the sink" test "$(copies "$R2")" = 0
rm -f "$T/down"
check "2: after the backoff the notice is delivered" wait_copies "$R2" 1 90
sleep 3
check "2: once" test "$(copies "$R2")" = 1
check "2: the row is marked sent after 2 attempts" \
    test "$(dsl_row "$R2" "(sent is not null) * attempts")" = 2
mid=$(dsl_row "$R2" message_id)
check "2: the copy carries the row's Message-ID ($mid)" \
    bash -c "[ -n '$mid' ] && grep -rlqF 'Message-ID: $mid' '$SG_SINK_DIR'"

# ------------------------------------------------------------ 3. crash, unsent
flag kill
hold crash
R3=$RECORD
wait "$SG_MILTER_PID" 2>/dev/null
SG_MILTER_PID=
check "3: the daemon died while a notice was claimed and not sent" \
    test "$(sql "select count(*) from outbox where record_id='$R3' and claimed_at is not null and sent is null")" = 1
check "3: the message itself was answered and held" sg_wait_held
sg_start_milter
check "3: restarted, the daemon sends the unsent notice once the dead claim's lease is over" \
    wait_copies "$R3" 1 40
sleep 3
check "3: once" test "$(copies "$R3")" = 1
check "3: every row of the record is sent" \
    test "$(sql "select count(*) from outbox where record_id='$R3' and sent is null")" = 0

# ------------------------------------------------------------ 4. crash, handed over
flag kill-after
hold handed
R4=$RECORD
wait "$SG_MILTER_PID" 2>/dev/null
SG_MILTER_PID=
sg_start_milter
check "4: sent again after the restart: two copies" wait_copies "$R4" 2 40
mid=$(dsl_row "$R4" message_id)
if [ "$(grep -rlF "Message-ID: $mid" "$SG_SINK_DIR" | wc -l)" -lt 2 ]; then
    # the first claimed row may have been the sender's notice
    mid=$(sql "select message_id from outbox where record_id='$R4' and attempts = 2")
fi
check "4: both with the row's one Message-ID ($mid)" \
    test -n "$mid" -a "$(grep -rlF "Message-ID: $mid" "$SG_SINK_DIR" | wc -l)" = 2

# ------------------------------------------------------------ 5. review
flag down
hold review
R5=$RECORD
check "5: the notices failed" \
    sg_wait_for "$SG_MILTER_LOG" "record $R5: notice [0-9]* \(held-dsl\) to <$DSL> not sent" 20
sg_review outbox >"$T/outbox.out" 2>&1
check "5: outbox lists the DSL's notice as pending, with the reason" \
    bash -c "grep -q 'pending .*held-dsl .*$R5 *$DSL' '$T/outbox.out' && grep -q 'last error: .*queue is down' '$T/outbox.out'"
rm -f "$T/down"
sg_review outbox --send >"$T/send.out" 2>&1
check "5: outbox --send sends them without waiting for the backoff" \
    grep -q "^outbox: [1-9][0-9]* sent, 0 to try again, 0 given up" "$T/send.out"
check "5: delivered" wait_copies "$R5" 1 30
sg_review outbox --all >"$T/all.out" 2>&1
check "5: outbox --all lists the sent ones" grep -q " sent .*held-dsl .*$R5 *$DSL" "$T/all.out"
sg_review outbox >"$T/none.out" 2>&1
check "5: and outbox says every notice has been sent" grep -q "every notice has been sent" "$T/none.out"


# ------------------------------------------------------------ 6. stopped
flag slow
calls_before=$(wc -l <"$T/calls")
hold stopped
R6=$RECORD
for i in $(seq 1 100); do
    [ "$(wc -l <"$T/calls")" -gt "$calls_before" ] && break
    sleep 0.1
done
check "6: a notice is being handed over (a 3-second sendmail)" \
    test "$(wc -l <"$T/calls")" -gt "$calls_before"
t0=$(date +%s.%N)
sg_stop_milter
SECS=$(echo "$(date +%s.%N) - $t0" | bc)
check "6: the daemon stopped after it ($SECS s)" test "$(echo "$SECS < 12" | bc)" = 1
check "6: no sendmail it started is left running" \
    bash -c "! pgrep -f '^/bin/sh $T/notice.sh' >/dev/null"
check "6: the notice it was handing over is marked sent" \
    test "$(sql "select count(*) from outbox where record_id='$R6' and sent is not null")" -ge 1
check "6: the rest are due, not claimed" \
    test "$(sql "select count(*) from outbox where record_id='$R6' and sent is null and claimed_at is not null")" = 0
rm -f "$T/slow"
sg_start_milter
check "6: started again, it sends the rest" \
    bash -c "for i in \$(seq 1 300); do [ \"\$(sqlite3 '$DB' \"select count(*) from outbox where record_id='$R6' and sent is null\")\" = 0 ] && exit 0; sleep 0.1; done; exit 1"

echo "$SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
