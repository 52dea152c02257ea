#!/bin/bash
# test_review.sh - safeguard-review through a real private Postfix and the
# real daemon: a held message released with safeguard-review arrives at
# the sink exactly once (and cannot be released twice); a rejected one
# never arrives and its sender gets the DSL's note; a message released by
# hand with postsuper is reported and its record updated; an escalated one
# stays held and shows with its findings marked; the audit shows every
# action, by whom and from where; the review_* settings come from the
# daemon's own configuration file, -o overriding any of them; and a
# database damaged in the middle of a record's rows makes show fail.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
command -v faketime >/dev/null || { echo "SKIP: faketime is not installed"; exit 77; }
sg_require_review

fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

SAMPLES="$SG_SRCDIR/contrib/samples"
SAMPLE="$SAMPLES/personal-contact-details.eml"
sg_setup
sg_start_sink
head -c 48 /dev/urandom >"$SG_WORK/notice.key"
chown postfix "$SG_WORK/notice.key" && chmod 600 "$SG_WORK/notice.key"
# As in test_enforce.sh: this private instance's sendmail (-C) is refused
# to non-root users, so notices are submitted over SMTP with swaks.
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "dsl_contact = Mrs Aisha Khan (DSL)" \
    "notice_from = safeguarding@school.example" \
    "dsl_addresses = a.khan@school.example" \
    "notice_templates = $SG_SRCDIR/contrib/templates" \
    "notice_secret_file = $SG_WORK/notice.key" \
    "notice_sendmail = /usr/bin/swaks --silent 2 --server 127.0.0.1:$SG_SMTP_PORT --from {from} --to {to} --data -" \
    "review_sla_hours = 48"
sg_start_postfix
SG_MILTER_TIME="2025-03-12 10:15:00" sg_start_milter

# The review tool reads the same configuration (the daemon loaded its
# review_sla_hours too); -o points the commands at this private Postfix.
review() { sg_review "$@"; }
DB="$SG_QUARANTINE/quarantine.db"
status_of() { sg_record_status "$1"; }
held() { sg_held "$1"; }
in_queue() { sg_in_queue "$1"; }
sink_count() { sg_sink_copies "$1"; }
wait_sink_qid() {
    local i
    for i in $(seq 1 150); do [ "$(sink_count "$1")" -ge 1 ] && return 0; sleep 0.1; done
    return 1
}

# hold_one: send the sample, wait for it on hold; sets QID and RECORD
hold_one() {
    local log="$SG_WORK/swaks-$1.log" i
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.1 \
        --from j.smith@school.example \
        --to amy.patel@school.example,a.jones@school.example --data "$SAMPLE" >"$log" 2>&1
    QID=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1)
    for i in $(seq 1 50); do held "$QID" && break; sleep 0.1; done
    RECORD=$(grep -o "$QID: verdict=hold.* record=SG-[0-9]*-[0-9A-F]*" "$SG_MILTER_LOG" |
        grep -o 'SG-[0-9]*-[0-9A-F]*$')
    check "message $1: held ($QID, record $RECORD)" held "$QID"
}

hold_one A; QA=$QID; RA=$RECORD
hold_one B; QB=$QID; RB=$RECORD
hold_one C; QC=$QID; RC=$RECORD
hold_one D; QD=$QID; RD=$RECORD
check "the records exist" test -n "$RA" -a -n "$RB" -a -n "$RC" -a -n "$RD"
# The daemon's own check cannot list this private queue (postqueue -c is
# root's); a sync, as that check does every few minutes, sees all four on
# hold, so that C's absence later reads as done by hand, not as lost.
review sync >"$SG_WORK/sync0.out" 2>&1
check "sync: all four on hold, nothing changed" grep -q "sync: 0 records updated" "$SG_WORK/sync0.out"
# From here the daemon runs on the real clock, so that it recognises the
# review tool's notices (marked now) as its own.
sg_stop_milter; SG_MILTER_TIME= sg_start_milter
log_mark=$(wc -l <"$SG_MILTER_LOG")

# list: all four, newest first, with the rule
review list >"$SG_WORK/list.out" 2>&1
check "list: exits 0" test $? -eq 0
check "list: four held" test "$(grep -c '^SG-.* held ' "$SG_WORK/list.out")" -eq 4
check "list: the rule shown" grep -q "personal-contact" "$SG_WORK/list.out"
check "list: filter by sender" test "$(review list --sender nobody@ | grep -c '^SG-')" -eq 0
check "list: the response target from the file" grep -q "of the 48-hour response target" "$SG_WORK/list.out"

# -o: any key of the file, checked as there; the old names are gone
review -o review_sla_hours=6 list >"$SG_WORK/list6.out" 2>&1
check "-o overrides the file" grep -q "of the 6-hour response target" "$SG_WORK/list6.out"
review -o "release_command=/bin/true {queue_id}" list >"$SG_WORK/o-old.out" 2>&1
check "-o with an unknown name: EX_USAGE" test $? -eq 64
check "  and it says so" grep -q 'unknown setting "release_command"' "$SG_WORK/o-old.out"
review -o review_expire_action=bounce expire >"$SG_WORK/o-bad.out" 2>&1
check "-o with a bad value: EX_USAGE" test $? -eq 64
check "  with the allowed values" grep -q "review_expire_action = \"bounce\": value is not one of the allowed values (one of: delete, release)" "$SG_WORK/o-bad.out"

# show: who, to whom with roles, policy, findings marked, the queue
review show "$RD" >"$SG_WORK/show.out" 2>&1
check "show: exits 0" test $? -eq 0
check "show: in the hold queue" grep -q "^Mail queue in the hold queue" "$SG_WORK/show.out"
check "show: recipients by name, with roles" grep -q "Amy Patel <amy.patel@school.example> (pupil" "$SG_WORK/show.out"
check "show: the sender by name" grep -q "^From       John Smith <j.smith@school.example>" "$SG_WORK/show.out"
check "show: the policy text" grep -q "Policy: " "$SG_WORK/show.out"
check "show: a finding marked in the text" grep -q ">>>.*<<<" "$SG_WORK/show.out"
check "show: the explanation for the DSL" grep -q "^Explanation for the DSL" "$SG_WORK/show.out"
# times in the school's zone (timezone, Europe/London by default), named
check "show: held time in the school's zone" \
    grep -Eq "^Held       [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} (GMT|BST)$" "$SG_WORK/show.out"
check "show: a finding in its words" \
    grep -Eq '^    Found:  [a-z-]+ ".+" in ' "$SG_WORK/show.out"

# A: released once, arrives once; run through sudo by a deputy DSL, with a
# note for the record and a message to the sender: the sender is mailed
# the message (never the note), credited to the deputy
SUDO_USER=d.deputy review release "$RA" --note "Checked: revision session, fine" \
    --tell-sender "Released. Please put revision sessions on the learning platform next time." \
    >"$SG_WORK/a.out" 2>&1
check "A: release exits 0" test $? -eq 0
check "A: it says who released it" grep -q "released by d.deputy" "$SG_WORK/a.out"
check "A: arrives at the sink" wait_sink_qid "$QA"
check "A: record released" test "$(status_of "$RA")" = released
check "A: the sender gets the message to the sender" sg_wait_notice j.smith@school.example "revision sessions on the learning platform"
A_NOTICE=$(sg_notice_to j.smith@school.example "revision sessions on the learning platform")
check "A: the notice says it was delivered" grep -q "has been delivered" "$A_NOTICE"
# (paragraphs are wrapped at 76 characters: joined again to read them)
check "A: the notice credits the deputy who released it" \
    bash -c "tr -s '\n ' '  ' <'$A_NOTICE' | grep -q 'd.deputy has read it and released it'"
check "A: the notice does not name the configured DSL as the one who decided" \
    bash -c "! grep -q 'Mrs Aisha Khan (DSL) has read it' '$A_NOTICE'"
check "A: the note for the record is not in the notice" bash -c "! grep -q 'Checked: revision session' '$A_NOTICE'"
review release "$RA" --note "again" >"$SG_WORK/a2.out" 2>&1
check "A: a second release is refused (EX_DATAERR)" test $? -eq 65
check "A: it says who released it" grep -q "already released by d.deputy (command line, Unix user root)" "$SG_WORK/a2.out"
sleep 3
check "A: delivered exactly once" test "$(sink_count "$QA")" -eq 1

# --tell-sender takes the message: without one it is a usage error, and
# nothing is done (it once took no text and mailed the note)
review reject "$RB" --note "x" --tell-sender >"$SG_WORK/b0.out" 2>&1
check "B: --tell-sender without a message: EX_USAGE" test $? -eq 64
check "B: still held after the usage error" held "$QB"
review reject "$RB" --tell-sender --note "x" >"$SG_WORK/b0.out" 2>&1
check "B: --tell-sender followed by an option: EX_USAGE" test $? -eq 64

# B: rejected by an explicit reviewer (--by) with the sender told; never
# arrives
review reject "$RB" --note "Second time this term; raised with the head." --by m.reed \
    --tell-sender "Please do not share your mobile number with pupils; use the school office." \
    >"$SG_WORK/b.out" 2>&1
check "B: reject exits 0" test $? -eq 0
check "B: gone from the queue" bash -c "! postqueue -c '$SG_PF' -j | grep -q '\"$QB\"'"
check "B: record rejected" test "$(status_of "$RB")" = rejected
check "B: the sender gets the message to the sender" sg_wait_notice j.smith@school.example "Please do not share your mobile"
check "B: the notice names the record" grep -q "$RB" "$(sg_notice_to j.smith@school.example "Please do not share your mobile")"
check "B: the notice credits m.reed" \
    bash -c "tr -s '\n ' '  ' <'$(sg_notice_to j.smith@school.example "Please do not share your mobile")' | grep -q 'm.reed has read it'"
check "B: the note for the record was not mailed" test -z "$(sg_notice_to j.smith@school.example "raised with the head")"
check "B: the daemon passes the notice as its own" \
    bash -c "tail -n +$((log_mark + 1)) '$SG_MILTER_LOG' | grep -q 'verdict=accept notice=own.*to=<j.smith@school.example>'"
review release "$RB" --note "changed my mind" >/dev/null 2>&1
check "B: cannot be released after rejection" test $? -eq 65
sleep 2
check "B: never arrives" test "$(sink_count "$QB")" -eq 0

# C: released by hand outside the tool, then reviewed
postsuper -c "$SG_PF" -H "$QC" >/dev/null 2>&1
check "C: released by hand arrives" wait_sink_qid "$QC"
review reject "$RC" --note "too late?" >"$SG_WORK/c.out" 2>&1
rc=$?
check "C: reported as gone (EX_UNAVAILABLE)" test "$rc" -eq 69
check "C: the report says so clearly" grep -q "released or deleted outside safeguard-review\|released outside safeguard-review" "$SG_WORK/c.out"
check "C: record updated" bash -c "test \"\$(sqlite3 '$DB' \"select status from records where id='$RC'\")\" != held"
check "C: still delivered once" test "$(sink_count "$QC")" -eq 1

# D: escalated stays held; a note; then sync finds nothing amiss
review escalate "$RD" --note "Head teacher to decide" >/dev/null 2>&1
check "D: escalate exits 0" test $? -eq 0
check "D: still on hold" held "$QD"
check "D: record escalated" test "$(status_of "$RD")" = escalated
review note "$RD" "Spoke to Mr Smith" >/dev/null 2>&1
check "D: note exits 0" test $? -eq 0
review sync >"$SG_WORK/sync.out" 2>&1
check "sync: nothing else gone" grep -q "sync: 0 records updated" "$SG_WORK/sync.out"
review digest >"$SG_WORK/digest.out" 2>&1
check "digest: D waiting, and only D" bash -c "grep -q '$RD' '$SG_WORK/digest.out' && ! grep -q '$RA' '$SG_WORK/digest.out'"
review digest --mail >/dev/null 2>&1
check "digest: mailed to the DSL" sg_wait_notice a.khan@school.example "$RD"

# export: one row per decision
review export --format csv >"$SG_WORK/export.csv" 2>&1
check "export: a released row for A, by the deputy" grep -q "\"$RA\",\"released\",\"d.deputy\",\"command line, Unix user root\"" "$SG_WORK/export.csv"
check "export: a rejected row for B" grep -q "\"$RB\",\"rejected\"" "$SG_WORK/export.csv"
check "export: json parses" bash -c "'$REVIEW_BIN' -c '$SG_MILTER_CONF' export --format json | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) >= 5'"

# The audit shows every action
review audit >"$SG_WORK/audit.out" 2>&1
check "audit: exits 0" test $? -eq 0
a() { grep -E "$1" "$SG_WORK/audit.out" | grep -q -- "$2"; }
check "audit: four holds by the milter" test "$(grep -c 'safeguard-milter.* held ' "$SG_WORK/audit.out")" -eq 4
check "audit: A released by the deputy, run by root from the command line" \
    a "$RA .*d.deputy \(command line, Unix user root\) +released" "Checked: revision session"
check "audit: A's sender told, in the deputy's words" \
    a "$RA .*d.deputy \(command line, Unix user root\) +told-sender" "revision sessions on the learning platform"
check "audit: the refused second release" a "$RA .*refused" "already released by d.deputy"
check "audit: B rejected by m.reed, with the note" a "$RB .*m.reed .* +rejected" "raised with the head"
check "audit: B sender told" a "$RB .*told-sender" "j.smith@school.example"
check "audit: C updated with a note" a "$RC .*(expired|released)" "outside safeguard-review"
check "audit: D escalated" a "$RD .*escalated" "Head teacher"
check "audit: D note" a "$RD .*note" "Spoke to Mr Smith"
check "audit: D viewed" a "$RD .*view" ""
check "audit: list, export, digest, sync" bash -c "grep -q ' list ' '$SG_WORK/audit.out' && grep -q ' export ' '$SG_WORK/audit.out' && grep -q ' digest ' '$SG_WORK/audit.out' && grep -q ' sync ' '$SG_WORK/audit.out'"

# Errors: an unknown record, a missing note, an unknown command
review release SG-20000101-000000 --note x >/dev/null 2>&1
check "unknown record: EX_NOINPUT" test $? -eq 66
review release "$RD" >/dev/null 2>&1
check "no note: EX_USAGE" test $? -eq 64
review frobnicate >/dev/null 2>&1
check "unknown command: EX_USAGE" test $? -eq 64

# A database damaged in the middle of a record's recipients (a copy, with
# D's recipients filling many pages and one of those pages overwritten):
# show is an error that says so, never D with fewer recipients.
DAMAGED="$SG_WORK/damaged.db"
python3 - "$DB" "$DAMAGED" "$RD" <<'PY'
import sqlite3, sys
src, dst, rec = sys.argv[1:]
s = sqlite3.connect(src)
d = sqlite3.connect(dst)
s.backup(d)
s.close()
d.executemany("INSERT INTO recipients (record_id, pos, address, roles, channel)"
              " VALUES (?, ?, ?, 'pupil', 'school')",
              [(rec, 1000 + i, "pupil%04d.at.a.long.address@school.example" % i)
               for i in range(400)])
d.commit()
d.execute("PRAGMA journal_mode = DELETE")
pages = [r[0] for r in d.execute("SELECT pageno FROM dbstat WHERE name ="
                                 " 'recipients' AND pagetype = 'leaf'"
                                 " ORDER BY pageno")]
size = d.execute("PRAGMA page_size").fetchone()[0]
d.close()
assert len(pages) >= 4, pages
with open(dst, "r+b") as f:
    f.seek((pages[len(pages) // 2] - 1) * size)
    f.write(b"\xff" * size)
PY
review -o "quarantine_db=$DAMAGED" show --no-queue "$RD" >"$SG_WORK/damaged.out" 2>&1
check "damaged: show fails" test $? -ne 0
check "damaged: and says the recipients could not be read" grep -q "cannot read the recipients" "$SG_WORK/damaged.out"
check "damaged: no part of the record is shown" bash -c "! grep -q '^To ' '$SG_WORK/damaged.out'"
review -o "quarantine_db=$DAMAGED" show --no-queue "$RA" >"$SG_WORK/undamaged.out" 2>&1
check "damaged: another record still shows" grep -q "^To " "$SG_WORK/undamaged.out"

# Nothing lost: only D is still held; nothing stuck elsewhere
check "only D still in the queue" test "$(postqueue -c "$SG_PF" -j | wc -l)" -eq 1
check "  and it is D, on hold" held "$QD"
[ "$fails" -eq 0 ]
