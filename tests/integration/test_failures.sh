#!/bin/bash
# test_failures.sh - the failure cases, through a real private Postfix and
# the real daemon, each asserting that nothing is lost: every message is
# delivered (exactly once), held with a record, refused to the client, or
# still the client's to send again.
#
#  1. the milter killed with SIGKILL in the middle of a transaction (while
#     the client is sending DATA, and while the milter is reading a body
#     it has spilled to disk): Postfix answers 4xx (milter_default_action
#     = tempfail); the milter restarted, the client sends again, and the
#     message arrives once;
#  2. the quarantine database unwritable: a message the rules hold is
#     tempfailed (not held without a record, not delivered), a message
#     they accept still flows, and once the directory is writable the
#     retried message is held with its record;
#  3. a 30 MB message: spilled to a temporary file, delivered intact,
#     summarised once, and the spill file gone afterwards;
#  4. 500 recipients in one message: delivered to all, one summary line;
#  5. malformed MIME (no closing boundary, bogus base64, no headers and
#     binary junk, multiparts nested too deep): judged and delivered, the
#     summary says malformed=yes, the milter still running;
#  6. a broken rules file at reload (SIGUSR1): the error logged with
#     file:line:col, the old rules kept (a held sample still held); fixed
#     and reloaded, the new rules apply.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix

fails=0
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

SAMPLES="$SG_SRCDIR/contrib/samples"
DATA="$SG_SRCDIR/tests/integration/data"
sg_setup
# the milter may be stopped (SIGSTOP) when something fails: let it go
# on, so that the harness can stop it
trap 'rc=$?; [ -n "${SG_MILTER_PID:-}" ] && kill -CONT "$SG_MILTER_PID" 2>/dev/null; (exit $rc); sg_cleanup' EXIT
sg_start_sink
T="$SG_WORK/t"                   # this test's own messages and transcripts
SPILL="$SG_WORK/spill"           # the milter's tmpdir
LOCKED="$SG_WORK/locked"         # the quarantine, first not writable
RULES="$SG_WORK/test.rules"      # a copy of the shipped rules, to break
mkdir -p "$T" "$SPILL" "$LOCKED"
chown postfix "$SPILL"
chmod 0755 "$LOCKED"             # root's: the milter (user postfix) cannot write
cp "$SG_SRCDIR/rules/policy/default.rules" "$RULES" && chmod 644 "$RULES"
DB="$LOCKED/quarantine.db"
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "rules_file = $RULES" \
    "tmpdir = $SPILL" \
    "message_buffer_size = 1m" \
    "quarantine_db = $DB" \
    "quarantine_dir = $LOCKED/messages"
sg_start_milter
sg_start_postfix

# ------------------------------------------------------------ helpers

# A small SMTP client on fd 3, so that a test can stop half-way through
# DATA.  Each reply sets REPLY_CODE and REPLY_TEXT; the transcript goes to
# $T/smtp.log.
smtp_reply() {
    local line
    REPLY_TEXT= REPLY_CODE=000
    while IFS= read -r -t 60 -u 3 line; do
        line=${line%$'\r'}
        REPLY_TEXT+="$line"$'\n'
        echo "<- $line" >>"$T/smtp.log"
        if [[ $line =~ ^[0-9]{3}\  ]]; then REPLY_CODE=${line:0:3}; return 0; fi
    done
    echo "<- (no reply)" >>"$T/smtp.log"
    return 1
}
smtp_cmd() { echo "-> $1" >>"$T/smtp.log"; printf '%s\r\n' "$1" >&3; smtp_reply; }
smtp_open() {
    exec 3<>"/dev/tcp/127.0.0.1/$SG_SMTP_PORT" || return 1
    smtp_reply && smtp_cmd "EHLO client.school.example"
}
smtp_close() { printf 'QUIT\r\n' >&3 2>/dev/null; exec 3>&-; }
# wire FILE: the message as sent after DATA (CRLF, dot-stuffed)
wire() { LC_ALL=C sed -e 's/\r$//' -e 's/^\./../' -e 's/$/\r/' "$1"; }
# smtp_envelope FROM RCPT...: MAIL, RCPTs and DATA on an open session
smtp_envelope() {
    local from=$1 r; shift
    smtp_cmd "MAIL FROM:<$from>" && [ "$REPLY_CODE" = 250 ] || return 1
    for r in "$@"; do
        smtp_cmd "RCPT TO:<$r>" && [ "$REPLY_CODE" = 250 ] || return 1
    done
    smtp_cmd "DATA" && [ "$REPLY_CODE" = 354 ]
}
# smtp_send FILE FROM RCPT...: one whole message; REPLY_CODE is the
# answer to the final dot and QID the queue id when it was queued.
smtp_send() {
    local file=$1; shift
    QID=
    smtp_open && smtp_envelope "$@" || { REPLY_CODE=000; smtp_close; return 1; }
    echo "-> (${file##*/})" >>"$T/smtp.log"
    wire "$file" >&3
    smtp_cmd "."
    QID=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' <<<"$REPLY_TEXT" | head -1)
    smtp_close
}
# sink_files QID: the sink's copies of the message Postfix queued as QID
sink_files() { sg_sink_files "$1"; }
# wait_sink_qid QID: wait until Postfix has handed QID to the sink (the
# sink's 250 comes once its file is written) and the file is there
wait_sink_qid() {
    local i
    for i in $(seq 1 200); do
        grep -q "[] ]$1: to=<.* status=sent " "$SG_MAILLOG" 2>/dev/null &&
            [ -n "$(sink_files "$1")" ] && return 0
        sleep 0.1
    done
    return 1
}
# copies MESSAGE-ID: how many copies of the message the sink holds
copies() { grep -rlsF "Message-ID: <$1>" "$SG_SINK_DIR" | wc -l; }
# held QID: is QID in Postfix's hold queue?
held() { sg_held "$1"; }
wait_held() {
    local i
    for i in $(seq 1 50); do held "$1" && return 0; sleep 0.1; done
    return 1
}
alive() { kill -0 "$SG_MILTER_PID" 2>/dev/null; }
# summaries QID: the milter's summary lines for QID
summaries() { grep -E "[] ]$1: verdict=" "$SG_MILTER_LOG"; }
n_summaries() { summaries "$1" | wc -l; }
# summary_has QID REGEX: does QID's summary match? (shows it when not)
summary_has() {
    summaries "$1" | grep -Eq -- "$2" && return 0
    echo "# summary of $1: $(summaries "$1" | cut -c1-400)"
    return 1
}
# open_spills [unlinked]: how many spill files the milter has open now in
# tmpdir: an O_TMPFILE file shows as "TMPDIR/#INODE (deleted)", the
# mkstemp fallback as "TMPDIR/safeguard-msg.XXXXXX" until it is unlinked;
# with "unlinked", only those without a name ("... (deleted)")
open_spills() {
    local fd re="^$SPILL/(#[0-9]+|safeguard-msg\\.[^ /]*)"
    [ "${1:-}" = unlinked ] && re="$re \\(deleted\\)$"
    for fd in /proc/"$SG_MILTER_PID"/fd/*; do
        readlink "$fd" 2>/dev/null
    done | grep -Ec "$re" || true
}
# step_to_spill: let the milter run in steps of a few milliseconds
# (SIGCONT ... SIGSTOP), looking at its open files while it is stopped,
# until it holds an (unlinked) spill file open; it is left stopped.
# Fails when it judged a message first (too late) or never spilled.
step_to_spill() {
    local judged i
    judged=$(sg_count "$SG_MILTER_LOG" ": verdict=")
    kill -STOP "$SG_MILTER_PID"
    for i in $(seq 1 3000); do
        [ "$(open_spills unlinked)" -gt 0 ] && return 0
        [ "$(sg_count "$SG_MILTER_LOG" ": verdict=")" -gt "$judged" ] && return 1
        kill -CONT "$SG_MILTER_PID"; sleep 0.002; kill -STOP "$SG_MILTER_PID"
    done
    return 1
}
# with_id FILE ID OUT: FILE with its Message-ID replaced by <ID>
with_id() { sed "s/^Message-ID: .*/Message-ID: <$2>/" "$1" >"$3"; }
# big_message OUT MEGABYTES ID: a message with a text part and a random
# attachment, MEGABYTES of base64 in all, lines of 76 characters
big_message() {
    {
        printf 'From: School Office <office@school.example>\n'
        printf 'To: Orders <orders@supplies.example>\n'
        printf 'Subject: Prospectus artwork, %s MB\n' "$2"
        printf 'Date: Wed, 12 Mar 2025 11:30:00 +0000\n'
        printf 'Message-ID: <%s>\n' "$3"
        printf 'MIME-Version: 1.0\n'
        printf 'Content-Type: multipart/mixed; boundary="=-art-="\n\n'
        printf -- '--=-art-=\nContent-Type: text/plain; charset=utf-8\n\n'
        printf 'The print files for the prospectus are attached.\n\n'
        printf -- '--=-art-=\nContent-Type: application/octet-stream; name="artwork.bin"\n'
        printf 'Content-Disposition: attachment; filename="artwork.bin"\n'
        printf 'Content-Transfer-Encoding: base64\n\n'
        head -c $(($2 * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 76
        printf -- '--=-art-=--\n'
    } >"$1"
}
# body_sum FILE: checksum of a message's body (after the first empty
# line), line endings ignored; sink_body_sum FILE: the same for the
# sink's copy, less the empty line smtp-sink puts after every message
body_sum() { sed -e 's/\r$//' "$1" | sed -e '1,/^$/d' | sha256sum | cut -d' ' -f1; }
sink_body_sum() {
    [ -z "$(tail -n 1 "$1" | tr -d '\r')" ] || { echo "no empty line at the end"; return; }
    sed -e 's/\r$//' -e '$d' "$1" | sed -e '1,/^$/d' | sha256sum | cut -d' ' -f1
}

# ------------------------------------------------ 2. quarantine unwritable

with_id "$SAMPLES/personal-contact-details.eml" personal-1@failures.test "$T/personal-1.eml"
smtp_send "$T/personal-1.eml" j.smith@school.example amy.patel@school.example
check "unwritable quarantine: a held message is tempfailed (got $REPLY_CODE)" \
    test "${REPLY_CODE:0:1}" = 4
check "  not queued (no queue id)" test -z "$QID"
check "  the log says why" grep -q ": cannot record the held message in $DB: " "$SG_MILTER_LOG"
check "  the summary says tempfail" grep -Eq "verdict=tempfail .*from=<j.smith@school.example>:staff to=<amy.patel@school.example>:pupil" "$SG_MILTER_LOG"
check "  nothing in Postfix's queues" test "$(sg_queue_count)" -eq 0
check "  no record or copy written" test -z "$(ls -A "$LOCKED")"
sleep 0.5
check "  not delivered" test "$(copies personal-1@failures.test)" -eq 0
with_id "$SAMPLES/ordinary-homework.eml" homework-1@failures.test "$T/homework-1.eml"
smtp_send "$T/homework-1.eml" j.smith@school.example amy.patel@school.example a.jones@school.example
check "unwritable quarantine: an accepted message still flows (got $REPLY_CODE)" test "$REPLY_CODE" = 250
check "  and is delivered" wait_sink_qid "$QID"
# the admin fixes the directory; the client's retry is held, with a record
chown postfix:postfix "$LOCKED"
smtp_send "$T/personal-1.eml" j.smith@school.example amy.patel@school.example
check "writable again: the retry is queued (got $REPLY_CODE)" test "$REPLY_CODE" = 250
check "  in the hold queue" wait_held "$QID"
record=$(summaries "$QID" | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
check "  with a record ($record)" test -n "$record"
check "  the record is in the database" \
    test "$(sqlite3 "$DB" "select queue_id from records where id='$record'" 2>/dev/null)" = "$QID"
HELD_QIDS="$QID"

# --------------------------------------- 1. the milter killed mid-transaction

# a) while the client is in the middle of DATA
with_id "$DATA/plain.eml" killed-1@failures.test "$T/killed-1.eml"
smtp_open && smtp_envelope a.patel@school.example y9science@school.example
check "killed during DATA: the client got to DATA (got $REPLY_CODE)" test "$REPLY_CODE" = 354
wire "$T/killed-1.eml" >"$T/killed-1.wire"
half=$(($(wc -l <"$T/killed-1.wire") / 2))
head -n "$half" "$T/killed-1.wire" >&3
sleep 0.3
kill -KILL "$SG_MILTER_PID"; wait "$SG_MILTER_PID" 2>/dev/null; SG_MILTER_PID=
tail -n +$((half + 1)) "$T/killed-1.wire" >&3
smtp_cmd "."
check "killed during DATA: Postfix answers 4xx (got: ${REPLY_TEXT%$'\n'})" test "${REPLY_CODE:0:1}" = 4
smtp_close
check "  nothing queued behind the client's back" test "$(sg_queue_count)" -eq "$(echo $HELD_QIDS | wc -w)"
sg_start_milter
smtp_send "$T/killed-1.eml" a.patel@school.example y9science@school.example
check "  restarted, the client's retry is accepted (got $REPLY_CODE)" test "$REPLY_CODE" = 250
check "  delivered" wait_sink_qid "$QID"
check "  summarised once" test "$(n_summaries "$QID")" -eq 1

# b) while the milter is reading the body and has spilled it to disk, the
#    client waiting for the answer to its final dot: the milter is
#    stopped in that state (seen, not guessed) and killed.
#    (The spill file is made with O_TMPFILE, so it never has a name that
#    a killed milter could leave behind.)
big_message "$T/killed-2.eml" 16 killed-2@failures.test
( smtp_send "$T/killed-2.eml" office@school.example orders@supplies.example
  echo "$REPLY_TEXT" >"$T/killed-2.reply" ) &
client=$!
check "killed while reading the body: caught with the spill file open" step_to_spill
kill -KILL "$SG_MILTER_PID"; wait "$SG_MILTER_PID" 2>/dev/null; SG_MILTER_PID=
wait "$client"
check "  Postfix answers 4xx (got: $(head -1 "$T/killed-2.reply"))" grep -q '^4' "$T/killed-2.reply"
check "  nothing queued behind the client's back" test "$(sg_queue_count)" -eq "$(echo $HELD_QIDS | wc -w)"
check "  no spill file left behind by the dead milter" test -z "$(ls -A "$SPILL")"
sg_start_milter
smtp_send "$T/killed-2.eml" office@school.example orders@supplies.example
check "  restarted, the client's retry is accepted (got $REPLY_CODE)" test "$REPLY_CODE" = 250
check "  delivered" wait_sink_qid "$QID"
check "  summarised once" test "$(n_summaries "$QID")" -eq 1

# ----------------------------------------------------- 3. a 30 MB message

big_message "$T/big.eml" 30 big-1@failures.test
( smtp_send "$T/big.eml" office@school.example orders@supplies.example
  echo "$REPLY_CODE $QID" >"$T/big.reply" ) &
client=$!
check "30 MB: spilled to a temporary file in tmpdir" step_to_spill
kill -CONT "$SG_MILTER_PID"
wait "$client"
read -r REPLY_CODE QID <"$T/big.reply"
check "  accepted (got $REPLY_CODE)" test "$REPLY_CODE" = 250
check "  delivered" wait_sink_qid "$QID"
big_copy=$(sink_files "$QID" | head -1)
for i in $(seq 1 50); do # and the sink done writing it
    a=$(stat -c %s "$big_copy"); sleep 0.1; [ "$(stat -c %s "$big_copy")" = "$a" ] && break
done
check "  one copy" test "$(copies big-1@failures.test)" -eq 1
check "  the body arrived intact" test "$(body_sum "$T/big.eml")" = "$(sink_body_sum "$big_copy")"
check "  summarised once" test "$(n_summaries "$QID")" -eq 1
size=$(summaries "$QID" | sed -n 's/.* size=\([0-9]*\) .*/\1/p')
check "  the summary gives its size (${size:-none} bytes)" test "${size:-0}" -ge $((30 * 1024 * 1024))
check "  accepted by the rules, the attachment seen" \
    summary_has "$QID" "verdict=accept .* parts=2 attachments=1 "
check "  no spill file left in tmpdir" test -z "$(find "$SPILL" -name 'safeguard-msg.*')"
check "  and none still open in the milter" test "$(open_spills)" -eq 0

# -------------------------------------------------- 4. 500 recipients

rcpts=()
for i in $(seq -w 1 500); do rcpts+=("parent$i@families.example"); done
with_id "$SAMPLES/ordinary-parents-evening.eml" many-1@failures.test "$T/many.eml"
smtp_send "$T/many.eml" a.jones@school.example "${rcpts[@]}"
check "500 recipients: accepted (got $REPLY_CODE)" test "$REPLY_CODE" = 250
many_qid=$QID
for i in $(seq 1 300); do
    [ "$(sink_files "$many_qid" | xargs -r cat | grep -c '^X-Rcpt-Args: ')" -ge 500 ] && break
    sleep 0.1
done
got=$(sink_files "$many_qid" | xargs -r cat | grep '^X-Rcpt-Args: ' | sort -u | wc -l)
all=$(sink_files "$many_qid" | xargs -r cat | grep -c '^X-Rcpt-Args: ')
check "  delivered to all 500 ($got distinct, $all in all)" test "$got" -eq 500 -a "$all" -eq 500
check "  one summary line" test "$(n_summaries "$many_qid")" -eq 1
check "  which says rcpts=500 and +490 more" summary_has "$many_qid" \
    "to=<parent001@families.example>:external(,[^ ]*){9},\+490 more rcpts=500 "

# ------------------------------------------------------ 5. malformed MIME

# no headers at all, and binary junk (NUL bytes and all) for a body
{ printf '\n'; head -c 60000 /dev/urandom | LC_ALL=C tr -d '\r\n' | fold -b -w 100; echo; } >"$T/junk.eml"
# multiparts nested 200 deep
{ printf 'From: <office@school.example>\nSubject: nested\nMIME-Version: 1.0\n'
  printf 'Message-ID: <nested-1@failures.test>\n'
  for i in $(seq 1 200); do printf 'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' "$i" "$i"; done
  printf 'Content-Type: text/plain\n\nthe bottom\n'
  for i in $(seq 200 -1 1); do printf -- '--b%d--\n' "$i"; done
} >"$T/nested.eml"
for m in "$DATA/failures/missing-boundary.eml" "$DATA/failures/bad-base64.eml" \
         "$T/junk.eml" "$T/nested.eml"; do
    name=${m##*/}
    from=office@school.example to=orders@supplies.example
    # staff mail the filter cannot read in full is held
    # (test_bypass_limits.sh, and test_extract.sh for the cut-off PDF and
    # the ODT that is not base64 of these two); from outside, it is
    # delivered
    case $name in nested.eml|missing-boundary.eml|bad-base64.eml)
        from=orders@supplies.example to=office@school.example;;
    esac
    smtp_send "$m" "$from" "$to"
    check "malformed $name: accepted (got $REPLY_CODE)" test "$REPLY_CODE" = 250
    check "  delivered" wait_sink_qid "$QID"
    check "  summarised once" test "$(n_summaries "$QID")" -eq 1
    case $name in
    missing-boundary.eml|nested.eml)
        check "  summary says malformed=yes" summary_has "$QID" " malformed=yes ";;
    esac
    [ "$name" = nested.eml ] &&
        check "  summary says incomplete=nesting" summary_has "$QID" " incomplete=nesting "
    check "  the milter still runs" alive
done

# ------------------------- 2b. failure_action = accept does not weaken a hold
# A message to be held whose record cannot be written is tempfailed
# whatever failure_action says: never held without a record, and never
# accepted silently.
reload_and_wait() {
    local n
    n=$(sg_count "$SG_MILTER_LOG" "configuration reloaded")
    kill -USR1 "$SG_MILTER_PID"
    for i in $(seq 1 100); do
        [ "$(sg_count "$SG_MILTER_LOG" "configuration reloaded")" -gt "$n" ] && return 0
        sleep 0.1
    done
    return 1
}
mkdir -p "$SG_WORK/locked2" && chmod 0755 "$SG_WORK/locked2"
cp "$SG_MILTER_CONF" "$T/saved.conf"
sed -i -e "s|^quarantine_db = .*|quarantine_db = $SG_WORK/locked2/quarantine.db|" \
    -e "s|^quarantine_dir = .*|quarantine_dir = $SG_WORK/locked2/messages|" "$SG_MILTER_CONF"
echo "failure_action = accept" >>"$SG_MILTER_CONF"
check "failure_action=accept, quarantine unwritable: reloaded" reload_and_wait
with_id "$SAMPLES/personal-contact-details.eml" personal-4@failures.test "$T/personal-4.eml"
smtp_send "$T/personal-4.eml" j.smith@school.example amy.patel@school.example
check "  a message to hold is still tempfailed (got $REPLY_CODE)" test "${REPLY_CODE:0:1}" = 4
sleep 0.5
check "  and not delivered unrecorded" test "$(copies personal-4@failures.test)" -eq 0
cp "$T/saved.conf" "$SG_MILTER_CONF"
check "  the test's configuration back" reload_and_wait

# ------------------------------------------- 6. a broken rules file at reload

lines=$(wc -l <"$RULES")
cp "$RULES" "$T/good.rules"
printf 'rule broken-at-reload {\n    title "x"\n    acton hold\n}\n' >>"$RULES"
sg_count "$SG_MILTER_LOG" "configuration reloaded" >"$T/reloads"
kill -USR1 "$SG_MILTER_PID"
check "broken rules: the error is logged with file:line:col" sg_wait_for "$SG_MILTER_LOG" \
    "reload failed, keeping the running configuration: .*$RULES:$((lines + 3)):5: .*acton" 10
check "  the milter keeps running" alive
check "  and does not claim a reload" test "$(sg_count "$SG_MILTER_LOG" "configuration reloaded")" -eq "$(cat "$T/reloads")"
with_id "$SAMPLES/personal-contact-details.eml" personal-2@failures.test "$T/personal-2.eml"
smtp_send "$T/personal-2.eml" j.smith@school.example amy.patel@school.example
check "  the old rules still hold the sample (got $REPLY_CODE)" wait_held "$QID"
check "  with a record" summary_has "$QID" \
    "verdict=hold(\+journal)? rules=personal-contact-details\(hold\).* record=SG-"
HELD_QIDS="$HELD_QIDS $QID"
# fixed, and personal-contact-details turned to test mode, so that the
# reload shows in what happens to the same message
sed '/^rule personal-contact-details {/a\    mode    test' "$T/good.rules" >"$RULES"
# (a new "configuration reloaded" line: earlier reloads left the same)
check "fixed rules: \"configuration reloaded\" logged" reload_and_wait
sed -i 's/personal-2@/personal-3@/' "$T/personal-2.eml"
smtp_send "$T/personal-2.eml" j.smith@school.example amy.patel@school.example
check "  the new rules apply: the sample is delivered (got $REPLY_CODE)" wait_sink_qid "$QID"
check "  reported as test mode" summary_has "$QID" "personal-contact-details\(test:hold\)"

# ------------------------------------------------------- nothing lost

sleep 2 # one queue run: a deferred copy would show now
check "the killed-during-DATA message arrived exactly once" test "$(copies killed-1@failures.test)" -eq 1
check "the killed-while-reading message arrived exactly once" test "$(copies killed-2@failures.test)" -eq 1
check "the held messages are the only ones in Postfix's queues" \
    test "$(sg_queue_count)" -eq "$(echo $HELD_QIDS | wc -w)"
for q in $HELD_QIDS; do check "  $q is held" held "$q"; done
check "the database holds their records" \
    test "$(sqlite3 "$DB" "select count(*) from records where status='held'")" -eq "$(echo $HELD_QIDS | wc -w)"
check "the milter still runs at the end" alive
sg_stop_milter
check "no sanitizer report from the milter" test "$(grep -c 'Sanitizer' "$SG_MILTER_LOG")" -eq 0
[ "$fails" -eq 0 ]
