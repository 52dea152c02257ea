#!/bin/bash
# test_tracks.sh - the two review tracks (rules' "track") through a real
# private Postfix, the real daemon and the shipped policy: who is told of
# a record is chosen by its track:
#  1. a look-alike of a staff name writing to a pupil (pupil-welfare):
#     the DSL is told, the conduct reviewers are not;
#  2. a teacher's personal number sent to a pupil (staff-conduct): the
#     conduct reviewers are told, the DSL is not;
#  3. the same from the headteacher: the chair of governors is told, and
#     neither the headteacher's own conduct reviewers nor the DSL.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix

check() { sg_check "$@"; }

SAMPLES="$SG_SRCDIR/contrib/samples"
DSL=a.khan@school.example
CONDUCT=office@school.example
HEAD=a.jones@school.example
CHAIR=chair@governors.example
sg_setup
sg_start_sink
sg_notice_key
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "notice_from = safeguarding@school.example" \
    "dsl_addresses = $DSL" \
    "conduct_addresses = $CONDUCT" \
    "headteacher_addresses = $HEAD" \
    "chair_of_governors_addresses = $CHAIR" \
    "notice_templates = $SG_SRCDIR/contrib/templates" \
    "notice_secret_file = $SG_WORK/notice.key" \
    "notice_sendmail = /bin/sh $SG_SRCDIR/tests/integration/queue-notice.sh $SG_SMTP_PORT {from} {to}" \
    "hold_reconcile_interval = 0"
sg_start_postfix
sg_start_milter

# send N SAMPLE FROM TO [CLIENT]: sets R, the record of what was held
send() {
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface "${5:-127.0.0.1}" \
        --from "$3" --to "$4" --data "$2" >"$SG_WORK/s$1.log" 2>&1
    QID=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_WORK/s$1.log" | head -1)
    sg_wait_summary
    R=$(sg_summary | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
}
# the notices about record $1 so far, by recipient
told() { sg_notice_to "$1" "$2"; }

# ------------------------------------------------------- 1. pupil welfare
send 1 "$SAMPLES/staff-lookalike-to-pupil.eml" jsmith.teach@example.net \
    ben.okafor@school.example 127.0.0.2
check "1: held with a record ($R)" sg_summary_has "verdict=hold.* rules=staff-lookalike-to-pupil"
R1=$R
check "1: the DSL is told" sg_wait_notice "$DSL" "$R1"
sleep 1 # the outbox sends a record's notices together
check "1: the conduct reviewers are not" test -z "$(told "$CONDUCT" "$R1")"

# ------------------------------------------------------- 2. staff conduct
send 2 "$SAMPLES/personal-contact-details.eml" j.smith@school.example \
    amy.patel@school.example
check "2: held with a record ($R)" sg_summary_has "verdict=hold.* rules=personal-contact-details"
R2=$R
check "2: the conduct reviewers are told" sg_wait_notice "$CONDUCT" "$R2"
sleep 1
check "2: the DSL is not" test -z "$(told "$DSL" "$R2")"
check "2: nor the chair" test -z "$(told "$CHAIR" "$R2")"

# ------------------------------------------- 3. about the headteacher
sed -e 's/^From: .*/From: Anna Jones <a.jones@school.example>/' \
    "$SAMPLES/personal-contact-details.eml" >"$SG_WORK/head.eml"
send 3 "$SG_WORK/head.eml" "$HEAD" amy.patel@school.example
check "3: held with a record ($R)" sg_summary_has "verdict=hold.* rules=personal-contact-details"
R3=$R
check "3: the chair of governors is told" sg_wait_notice "$CHAIR" "$R3"
sleep 1
check "3: the conduct reviewers are not" test -z "$(told "$CONDUCT" "$R3")"
check "3: nor the DSL" test -z "$(told "$DSL" "$R3")"

echo "$SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
