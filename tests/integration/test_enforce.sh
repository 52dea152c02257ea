#!/bin/bash
# test_enforce.sh - every sample in contrib/samples/MANIFEST through a real
# private Postfix and the real daemon, with the demo school's directory
# and the shipped policy: a message ends where its verdict says (rejected
# with the explanation visible to the client, held in Postfix's hold
# queue, delivered with the journal copy and headers, or delivered), and
# nothing is lost.  The daemon runs under libfaketime at each sample's
# Date:, since some rules depend on the time of day and on ages.  Also:
# forged X-Safeguard-* headers are stripped, and a locally submitted
# message that breaks a rule bounces to its sender with the explanation.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
command -v faketime >/dev/null || { echo "SKIP: faketime is not installed"; exit 77; }

fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

SAMPLES="$SG_SRCDIR/contrib/samples"
sg_setup
sg_start_sink
head -c 48 /dev/urandom >"$SG_WORK/notice.key"
chown postfix "$SG_WORK/notice.key" && chmod 600 "$SG_WORK/notice.key"
# Notices: a real server uses the default sendmail command.  This private
# instance's sendmail (-C) is refused to anyone but root unless the
# system's main.cf lists the directory, so here queue-notice.sh stands in
# for it (it returns at once, like postdrop, and submits over SMTP).
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "journal_address = archive@school.example" \
    "subject_tag = [Safeguarding]" \
    "dsl_contact = Mrs Aisha Khan (DSL), extension 210" \
    "notice_from = safeguarding@school.example" \
    "dsl_addresses = a.khan@school.example" \
    "notice_templates = $SG_SRCDIR/contrib/templates" \
    "notice_secret_file = $SG_WORK/notice.key" \
    "notice_sendmail = /bin/sh $SG_SRCDIR/tests/integration/queue-notice.sh $SG_SMTP_PORT {from} {to}"
sg_start_postfix
DB="$SG_QUARANTINE/quarantine.db"
# sink_file QID: the sink's copy of the message Postfix queued as QID
# (by its Received: line; a notice may quote the queue id in its text).
sink_file() { sg_sink_files "$1" | head -1; }
# notifies RULE WHO: does the shipped policy's RULE notify WHO?
notifies() {
    awk -v r="$1" '/^rule /{in_rule = ($2 == r)} in_rule && /^ *notify/' \
        "$SG_SRCDIR/rules/policy/default.rules" | grep -qw "$2"
}
# held QID: is QID in Postfix's hold queue?
held() { sg_held "$1"; }
wait_sink() { # wait_sink QID
    local i
    for i in $(seq 1 100); do [ -n "$(sink_file "$1")" ] && return 0; sleep 0.1; done
    return 1
}

n=0
# sample FILE FROM TO AUTH ACTION RULES CLIENT: send one, check where it ends
sample() {
    local file=$1 from=$2 to=$3 auth=$4 action=$5 rules=$6 client=$7
    local log qid first_rule f record i
    n=$((n + 1))
    log="$SG_WORK/swaks-$n.log"
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface "$client" \
        --from "$from" --to "$to" --data "$SAMPLES/$file" >"$log" 2>&1
    qid=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1)
    first_rule=${rules%%,*}
    case "$action" in
    reject)
        check "$file: refused with 550 5.7.1" grep -Eq '^<\*\* +550[ -]5\.7\.1' "$log"
        check "$file: the client reads the rule ($first_rule)" grep -q "(Rule $first_rule.)" "$log"
        check "$file: nothing queued" test -z "$qid"
        ;;
    hold)
        check "$file: queued" test -n "$qid"
        for i in $(seq 1 50); do held "$qid" && break; sleep 0.1; done
        check "$file: in the hold queue" held "$qid"
        check "$file: not delivered" test -z "$(sink_file "$qid")"
        record=$(grep -o "$qid: verdict=hold.* record=SG-[0-9]*-[0-9A-F]*" "$SG_MILTER_LOG" | grep -o 'SG-[0-9]*-[0-9A-F]*$')
        check "$file: a quarantine record ($record)" test -n "$record"
        check "$file: the record is in the database" \
            test "$(sqlite3 "$DB" "select queue_id from records where id='$record'")" = "$qid"
        check "$file: a copy of the message beside it" \
            test -s "$(sqlite3 "$DB" "select message_path from records where id='$record'")"
        if notifies "$first_rule" dsl; then
            check "$file: the DSL is told" sg_wait_notice a.khan@school.example "$record"
        fi
        if notifies "$first_rule" sender && [ "$auth" != "-" ]; then
            check "$file: the sender is told" sg_wait_notice "$from" "$record"
        else
            sleep 0.5
            check "$file: the sender is not told" test -z "$(sg_notice_to "$from" "$record")"
        fi
        ;;
    journal|annotate|accept)
        check "$file: queued" test -n "$qid"
        check "$file: delivered" wait_sink "$qid"
        f=$(sink_file "$qid")
        if [ "$action" = journal ]; then
            check "$file: journal copy to the archive" grep -q '^X-Rcpt-Args: <archive@school.example>' "$f"
            check "$file: X-Safeguard-Verdict says journal" grep -q '^X-Safeguard-Verdict: journal' "$f"
            check "$file: subject tagged" grep -q '^Subject: \[Safeguarding\] ' "$f"
        elif [ "$action" = annotate ]; then
            check "$file: annotated" grep -q '^X-Safeguard-Verdict: ' "$f"
        else
            check "$file: no journal copy" test "$(grep -c '^X-Rcpt-Args: <archive@' "$f")" -eq 0
            if grep -q '^X-Safeguard-Verdict:' "$f"; then
                check "$file: any verdict header says accept" grep -q '^X-Safeguard-Verdict: accept' "$f"
            fi
        fi
        ;;
    esac
}
sg_each_sample sample
check "manifest samples sent ($n)" test "$n" -ge 20

# The filter's own notices pass it unevaluated (no loop), and its mark
# from anyone else is not trusted.
check "own notices recognised" test "$(grep -c 'verdict=accept notice=own' "$SG_MILTER_LOG")" -ge 7
check "no notice about a notice" test "$(grep 'from=<safeguarding@school.example>' "$SG_MILTER_LOG" | grep -vc 'notice=own')" -eq 0
mark=$(grep -rh -A1 '^X-Safeguard-Notice:' "$SG_SINK_DIR" | head -2)
{ printf '%s\n' "$mark"; cat "$SAMPLES/staff-lookalike-to-pupil.eml"; } >"$SG_WORK/replayed.eml"
swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.2 \
    --from jsmith.teach@example.net --to ben.okafor@school.example \
    --data "$SG_WORK/replayed.eml" >"$SG_WORK/replayed.log" 2>&1
qid=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_WORK/replayed.log" | head -1)
check "a copied notice mark is not trusted" grep -q "$qid: X-Safeguard-Notice header not trusted" "$SG_MILTER_LOG"
check "  and the message is judged as usual (held)" grep -q "$qid: verdict=hold" "$SG_MILTER_LOG"

# Forged X-Safeguard-* headers never reach the recipient.
sg_stop_milter; SG_MILTER_TIME= sg_start_milter
{ printf 'X-Safeguard-Verdict: accept\nX-Safeguard-Record: SG-FORGED\n'
  cat "$SAMPLES/ordinary-pupil-question.eml"; } >"$SG_WORK/forged.eml"
swaks --server "127.0.0.1:$SG_SMTP_PORT" --from amy.patel@school.example \
    --to j.smith@school.example --data "$SG_WORK/forged.eml" >"$SG_WORK/forged.log" 2>&1
qid=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_WORK/forged.log" | head -1)
check "forged headers: delivered" wait_sink "$qid"
check "forged headers: removed" test "$(grep -c 'SG-FORGED\|^X-Safeguard-Verdict: accept$' "$(sink_file "$qid")")" -eq 0

# Local submission: the rejection becomes a bounce to the sender that
# carries the explanation, each line readable on its own.
before=$(sg_sink_count)
sg_sendmail j.smith@school.example amyp2011@example.org \
    <"$SAMPLES/school-to-pupil-personal-address.eml"
check "local submission: a bounce reaches the sender" sg_wait_sink $((before + 1))
bounce=$(grep -rl "X-Rcpt-Args: <j.smith@school.example>" "$SG_SINK_DIR" | xargs grep -l "Undelivered Mail\|Mail Delivery" | head -1)
check "local submission: bounce names the rule" grep -q "school-to-pupil-personal-address" "${bounce:-/dev/null}"

# Nothing lost: every message is delivered, held, or was refused.  The
# notices the last messages made (the refused local submission's among
# them) may still be on their way: wait for the queues to drain.
not_held() { postqueue -c "$SG_PF" -j | grep -vc '"queue_name": *"hold"'; }
drained() {
    local i
    for i in $(seq 1 300); do [ "$(not_held)" -eq 0 ] && return 0; sleep 0.1; done
    postqueue -c "$SG_PF" -j | grep -v '"queue_name": *"hold"' | sed 's/^/#   /' >&2
    return 1
}
check "nothing stuck in the active or deferred queues" drained
[ "$fails" -eq 0 ]
