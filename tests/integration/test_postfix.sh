#!/bin/bash
# test_postfix.sh - the real daemon beside a real private Postfix:
# mail flows over SMTP and local submission, one summary line per message
# carrying the Postfix queue id, several messages on one connection are each
# seen once, and with the milter down Postfix tempfails (nothing lost).
set -u
. "$(dirname "$0")/lib.sh"

fails=0
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

sg_require_postfix
sg_setup
sg_start_sink
DIRFILE="$SG_WORK/school.dir"
printf 'a.patel@school.example staff name="Anna Patel"\n' >"$DIRFILE"
chmod 644 "$DIRFILE"
sg_write_milter_conf "directory_file = $DIRFILE"
sg_start_milter
sg_start_postfix
DATA="$SG_SRCDIR/tests/integration/data"

# 1. One message over SMTP.
swaks --server "127.0.0.1:$SG_SMTP_PORT" --from a.patel@school.example \
    --to y9science@school.example --data "$DATA/plain.eml" \
    >"$SG_WORK/swaks1.log" 2>&1
check "SMTP message accepted by Postfix" grep -q "^<- *250 2.0.0 Ok: queued as" "$SG_WORK/swaks1.log"
qid=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_WORK/swaks1.log" | head -1)
check "queue id seen ($qid)" test -n "$qid"
check "summary line with the queue id" sg_wait_for "$SG_MILTER_LOG" \
    "$qid: verdict=accept client=[^ ]*\[127.0.0.1\] trusted=yes auth=- from=<a.patel@school.example>:staff to=<y9science@school.example>:external rcpts=1 size=[0-9]+ parts=1 attachments=0 nested=0 elapsed_us=[0-9]+"
check "message delivered to the sink" sg_wait_sink 1
check "delivered message is intact" grep -rq "photosynthesis for Thursday" "$SG_SINK_DIR"

# 2. Three messages on one SMTP connection: each seen exactly once.
before=$(sg_count "$SG_MILTER_LOG" "verdict=")
smtp-source -d -m 3 -s 1 -l 2000 -f staff@school.example -t pupil@school.example \
    "127.0.0.1:$SG_SMTP_PORT" >"$SG_WORK/source.log" 2>&1
check "three messages on one connection delivered" sg_wait_sink 4
sg_wait_for "$SG_MILTER_LOG" "from=<staff@school.example>.*" 10 >/dev/null
sleep 1
after=$(sg_count "$SG_MILTER_LOG" "verdict=")
check "three more summary lines (got $((after - before)))" test $((after - before)) -eq 3
summaries=$(grep -o '[0-9A-Za-z]*: verdict=' "$SG_MILTER_LOG")
check "summary lines carry queue ids" test "$(echo "$summaries" | wc -l)" -eq "$after"
check "no queue id summarised twice" test "$(echo "$summaries" | sort | uniq -d | wc -l)" -eq 0
check "each of the three has its own queue id" test \
    "$(grep 'from=<staff@school.example>' "$SG_MILTER_LOG" | grep -o '[0-9A-Za-z]*: verdict' | sort -u | wc -l)" -eq 3

# 3. Local submission through sendmail (non_smtpd_milters).  The envelope
#    sender is nobody the directory knows; the From: is a member of staff,
#    believed from the trusted local client, so the message is judged as
#    theirs.
sg_sendmail head@school.example parents@school.example <"$DATA/plain.eml"
check "local submission summarised" sg_wait_for "$SG_MILTER_LOG" \
    "[0-9A-Za-z]+: verdict=accept .* from=<head@school.example>:staff\(header\) sender=<a.patel@school.example> to=<parents@school.example>:external rcpts=1"
check "local submission delivered" sg_wait_sink 5

# 4. SIGUSR1 reloads: a changed directory takes effect for new mail; a
#    configuration that does not load is refused and the old one serves on.
printf 'a.patel@school.example staff name="Anna Patel"\ny9science@school.example pupil\n' >"$DIRFILE"
kill -USR1 "$SG_MILTER_PID"
check "reload logged" sg_wait_for "$SG_MILTER_LOG" "configuration reloaded from"
swaks --server "127.0.0.1:$SG_SMTP_PORT" --from a.patel@school.example \
    --to y9science@school.example --data "$DATA/plain.eml" >"$SG_WORK/swaks-r1.log" 2>&1
check "after reload: the new directory is used" sg_wait_for "$SG_MILTER_LOG" \
    "from=<a.patel@school.example>:staff to=<y9science@school.example>:pupil"
echo "no_such_setting = 1" >>"$SG_MILTER_CONF"
kill -USR1 "$SG_MILTER_PID"
check "a broken reload is refused, with file and line" sg_wait_for "$SG_MILTER_LOG" \
    "reload failed, keeping the running configuration: $SG_MILTER_CONF:[0-9]+: unknown setting \"no_such_setting\""
swaks --server "127.0.0.1:$SG_SMTP_PORT" --from a.patel@school.example \
    --to y9science@school.example --data "$DATA/plain.eml" >"$SG_WORK/swaks-r2.log" 2>&1
check "after a refused reload mail still flows" grep -q "250 2.0.0 Ok: queued as" "$SG_WORK/swaks-r2.log"
check "  judged with the running configuration" test \
    "$(grep -c 'from=<a.patel@school.example>:staff to=<y9science@school.example>:pupil' "$SG_MILTER_LOG")" -eq 2
sed -i '/^no_such_setting/d' "$SG_MILTER_CONF"

# 5. Milter down: Postfix answers 4xx (milter_default_action = tempfail).
sg_stop_milter
swaks --server "127.0.0.1:$SG_SMTP_PORT" --from a.patel@school.example \
    --to y9science@school.example --data "$DATA/plain.eml" \
    >"$SG_WORK/swaks2.log" 2>&1
check "milter down: message tempfailed, not accepted" grep -Eq "^<\*\* *4[0-9][0-9] " "$SG_WORK/swaks2.log"
check "milter down: nothing queued behind its back" test "$(sg_queue_count)" -eq 0

# 6. Restarted, mail flows again.
sg_start_milter
swaks --server "127.0.0.1:$SG_SMTP_PORT" --from a.patel@school.example \
    --to y9science@school.example --data "$DATA/plain.eml" \
    >"$SG_WORK/swaks3.log" 2>&1
check "milter back: message accepted" grep -q "250 2.0.0 Ok: queued as" "$SG_WORK/swaks3.log"
check "milter back: delivered" sg_wait_sink 8

[ "$fails" -eq 0 ]
