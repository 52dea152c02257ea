#!/bin/bash
# test_retention.sh - retention through a real private Postfix and the
# real daemon: two messages held and released with safeguard-review, one
# put on a legal hold; with the clock moved past the released class's
# period (faketime), expire --dry-run lists the other and changes
# nothing, and expire empties it to a tombstone (its copy, recipients,
# findings and addresses gone, its dates, rule ids and audit rows kept)
# while the record on hold is kept whole; show names the hold; the
# subject access export of the sender holds the record on hold with the
# recipients masked; lifting the hold lets the next expire take it.  The
# rule names its retention class (a copy of the default policy whose
# personal-contact-details says "retention pupil-welfare"): the released
# records keep their short class, a third message, rejected, is kept as
# pupil-welfare for its period although its track is staff-conduct.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
dpkg -L libfaketime >/dev/null 2>&1 || { echo "SKIP: faketime is not installed"; exit 77; }
sg_require_review

check() { sg_check "$@"; }

SAMPLES="$SG_SRCDIR/contrib/samples"
SAMPLE="$SAMPLES/personal-contact-details.eml"
sg_setup
sg_start_sink
RULES="$SG_WORK/retention.rules"
sed 's/^rule personal-contact-details {$/&\n    retention pupil-welfare/' \
    "$SG_SRCDIR/rules/policy/default.rules" >"$RULES"
grep -q '^    retention pupil-welfare$' "$RULES" || sg_die "the rule's class was not added"
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "rules_file = $RULES" \
    "directory_file = $SAMPLES/school.dir"
sg_start_postfix
sg_start_milter

DB="$SG_QUARANTINE/quarantine.db"
sql() { sqlite3 "$DB" "$1"; }
# hold_one: send the sample, wait for it on hold; sets RECORD
hold_one() {
    sg_send "$SAMPLE" j.smith@school.example amy.patel@school.example
    check "$1: held ($QID)" sg_wait_held
    sg_wait_summary
    RECORD=$(sg_summary | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
    check "$1: has a record" test -n "$RECORD"
}
hold_one A; RA=$RECORD
hold_one B; RB=$RECORD
check "A released" sg_review release "$RA" --note "a trip's details" --by a.khan
check "B released" sg_review release "$RB" --note "fine" --by a.khan
PA=$(sql "select message_path from records where id='$RA'")
PB=$(sql "select message_path from records where id='$RB'")
check "the copies are there" test -f "$PA" -a -f "$PB"
check "A is dated (class released, 30 days)" \
    test "$(sql "select retention_class || ' ' || (expires - status_changed)
                 from records where id='$RA'")" = "released 2592000"
check "the rule's class is stored with the record" \
    test "$(sql "select retention from rules where record_id='$RA'
                 and rule_id='personal-contact-details'")" = pupil-welfare

sg_review legal-hold "$RB" --reason "subject access request" --by a.khan \
    >"$SG_WORK/hold.out" 2>&1
check "legal-hold: placed" grep -q "$RB: legal hold placed" "$SG_WORK/hold.out"
sg_review show "$RB" --no-queue >"$SG_WORK/show.out" 2>&1
check "show: the hold, by whom and why" \
    grep -q "Legal hold: .*by a.khan: subject access request" "$SG_WORK/show.out"

sg_faketime "+31d"
later() { "${SG_FAKETIME[@]}" "$@"; }
sg_review_argv
later "${SG_REVIEW_ARGV[@]}" expire --dry-run >"$SG_WORK/dry.out" 2>&1
check "dry run: lists A" grep -q "$RA: would expire (class released" "$SG_WORK/dry.out"
check "dry run: not B, on hold" sh -c "! grep -q '$RB' '$SG_WORK/dry.out'"
check "dry run: A's copy stays" test -f "$PA"
check "dry run: A is no tombstone" test -z "$(sql "select tombstoned from records where id='$RA'")"

sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
check "the recipient is in the database file before" \
    test "$(grep -ac 'amy.patel' "$DB")" -gt 0
later "${SG_REVIEW_ARGV[@]}" expire >"$SG_WORK/expire.out" 2>&1
check "expire: A emptied" grep -q "$RA: expired: personal data and message copy deleted" "$SG_WORK/expire.out"
check "expire: A's copy is gone" test ! -e "$PA"
check "expire: A is a tombstone" \
    test "$(sql "select status || ' ' || retention_class || ' ' || env_from ||
                 coalesce(subject, '') || coalesce(client, '') ||
                 (select count(*) from recipients where record_id = id) ||
                 (select count(*) from findings where record_id = id)
                 from records where id='$RA'")" = "released released 00"
check "expire: A's rule ids stay" test "$(sql "select count(*) from rules where record_id='$RA'")" -ge 1
check "expire: A's audit rows stay, notes gone" \
    test "$(sql "select count(*) >= 2 and count(note) = 0 from audit
                 where record_id='$RA' and action != 'retention-expired'")" = 1
check "expire: nothing of A's people left in the database" \
    sh -c "! sqlite3 '$DB' .dump | grep -F \"'$RA'\" | grep -qiE 'amy|patel|smith|07700'"
check "expire: B kept whole" test -f "$PB" -a \
    "$(sql "select count(*) from findings where record_id='$RB'")" -ge 1

sg_review sar j.smith@school.example --output "$SG_WORK/sar.html" \
    >"$SG_WORK/sar.out" 2>&1
check "sar: B only (A is a tombstone)" grep -q "sar: 1 records" "$SG_WORK/sar.out"
check "sar: B in the export" grep -q "$RB" "$SG_WORK/sar.html"
check "sar: the recipient masked" sh -c "! grep -qi 'amy' '$SG_WORK/sar.html'"
check "sar: audited with the count" \
    test "$(sql "select note from audit where action='subject-access'")" = "subject access export: 1 records"

check "legal-hold: lifted" sg_review legal-hold --lift "$RB" --note "answered"
later "${SG_REVIEW_ARGV[@]}" expire >"$SG_WORK/expire2.out" 2>&1
check "expire after the lift: B emptied" test ! -e "$PB" -a \
    -n "$(sql "select tombstoned from records where id='$RB'")"
# both are tombstones now: once the log is written back, not a byte of
# the recipient is left in the database file (deleted rows overwritten)
sql "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
check "expire: the recipient is gone from the file" \
    test "$(grep -ac 'amy.patel' "$DB")" = 0

# a concern the rule names a class for: kept by that class
hold_one C; RC=$RECORD
check "C rejected" sg_review reject "$RC" --note "raised with the head" --by a.khan
check "C: the rule's class, not its track's (pupil-welfare, 25 years)" \
    test "$(sql "select track || ' ' || retention_class || ' ' ||
                 (expires - status_changed) from records
                 where id='$RC'")" = "staff-conduct pupil-welfare $((9132 * 86400))"

echo "$SG_FAILS failed"
[ "$SG_FAILS" = 0 ]
