#!/bin/bash
# test_tracks.sh - the two review tracks (rules' "track") through a real
# private Postfix, the real daemon and the shipped policy: who is told of
# a record is chosen by its track:
#  1. a look-alike of a staff name writing to a pupil (pupil-welfare):
#     the DSL is told, the conduct reviewers are not;
#  2. a teacher's personal number sent to a pupil (staff-conduct): the
#     conduct reviewers are told, the DSL is not;
#  3. the same from the headteacher: the chair of governors is told, and
#     neither the headteacher's own conduct reviewers nor the DSL;
#  4. each record keeps its track; the command line lists by track and
#     shows it; a pupil-welfare export carries no record about staff;
#  5. the review page shows each reviewer only their track's records: the
#     DSL (review_welfare_reviewers) sees the look-alike's, not the
#     teacher's, and cannot open that one by its id; the case manager
#     (review_conduct_reviewers) the other way round;
#  6. the digest: one to each audience, of the records it was told of.
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
    "hold_reconcile_interval = 0" \
    "review_password_file = $SG_WORK/passwords" \
    "review_welfare_reviewers = dsl" \
    "review_conduct_reviewers = casemanager"
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

# ------------------------------------------------ 4. the record's track
DB="$SG_QUARANTINE/quarantine.db"
check "4: the look-alike's record is pupil-welfare" \
    test "$(sqlite3 "$DB" "select track from records where id='$R1'")" = pupil-welfare
check "4: the teacher's is staff-conduct" \
    test "$(sqlite3 "$DB" "select track from records where id='$R2'")" = staff-conduct
sg_review list --track pupil-welfare >"$SG_WORK/list-w.out" 2>&1
check "4: list --track pupil-welfare: the look-alike's" grep -q "^$R1 " "$SG_WORK/list-w.out"
check "4:   and not the teacher's" bash -c "! grep -q '^$R2 ' '$SG_WORK/list-w.out'"
check "4:   with no school column (one school)" \
    grep -q "^RECORD  *STATUS  *AGE  *SLA  *SENDER " "$SG_WORK/list-w.out"
sg_review show "$R2" --no-queue >"$SG_WORK/show2.out" 2>&1
check "4: show gives the track" grep -q "^Track      staff-conduct$" "$SG_WORK/show2.out"
sg_review note "$R1" "Looked at the sender" >/dev/null 2>&1
sg_review note "$R2" "Spoke to the teacher" >/dev/null 2>&1
sg_review export >"$SG_WORK/export.csv" 2>&1
check "4: the export says each decision's track" \
    grep -q "\"$R2\",\"note\".*\"staff-conduct\"" "$SG_WORK/export.csv"
sg_review export --track pupil-welfare >"$SG_WORK/export-w.csv" 2>&1
check "4: a pupil-welfare export has the look-alike's" grep -q "\"$R1\"" "$SG_WORK/export-w.csv"
check "4:   and never a record about staff" bash -c "! grep -q 'staff-conduct' '$SG_WORK/export-w.csv'"

# ------------------------------------------------ 5. the page, by track
for login in dsl casemanager; do
    printf 'a long demo password\n' | sg_review passwd "$login" >/dev/null 2>&1
done
sg_start_review
# sign_in LOGIN: a session in the cookie jar $SG_WORK/LOGIN.jar
sign_in() {
    local tok jar=$SG_WORK/$1.jar
    tok=$(curl -s -m 10 -c "$jar" "$SG_REVIEW_URL/login" | grep -o 'name="csrf" value="[^"]*"' | cut -d'"' -f4)
    curl -s -m 30 -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" \
        --data-urlencode "csrf=$tok" --data-urlencode "user=$1" \
        --data-urlencode "password=a long demo password" "$SG_REVIEW_URL/login"
}
# page LOGIN PATH: the HTTP status, the page in $SG_WORK/page.html
page() {
    curl -s -m 30 -o "$SG_WORK/page.html" -w '%{http_code}' -b "$SG_WORK/$1.jar" "$SG_REVIEW_URL$2"
}
check "5: the DSL signs in" test "$(sign_in dsl)" = 303
check "5: the case manager signs in" test "$(sign_in casemanager)" = 303
page dsl /queue >/dev/null
check "5: the DSL's queue has the look-alike's record" grep -q "$R1" "$SG_WORK/page.html"
check "5:   and not the teacher's" bash -c "! grep -q '$R2' '$SG_WORK/page.html'"
check "5: the DSL cannot open the teacher's by its id (404)" test "$(page dsl "/item/$R2")" = 404
check "5: the DSL opens the look-alike's" test "$(page dsl "/item/$R1")" = 200
page casemanager /queue >/dev/null
check "5: the case manager's queue has the teacher's" grep -q "$R2" "$SG_WORK/page.html"
check "5:   and not the look-alike's" bash -c "! grep -q '$R1' '$SG_WORK/page.html'"
check "5: the case manager cannot open the look-alike's (404)" test "$(page casemanager "/item/$R1")" = 404

# ------------------------------------------------------------ 6. digests
sg_review digest --mail >"$SG_WORK/digest.out" 2>&1
check "6: one digest per audience" test "$(grep -c '^== For ' "$SG_WORK/digest.out")" = 3
# digest_to ADDRESS: the digest mailed to ADDRESS
digest_to() {
    local i f
    for i in $(seq 1 300); do
        f=$(grep -rls "X-Safeguard-Notice" "$SG_SINK_DIR" | xargs -r grep -l "^X-Rcpt-Args: <$1>" |
            xargs -r grep -l "^Subject:.* waiting, " | head -1)
        [ -n "$f" ] && { echo "$f"; return 0; }
        sleep 0.1
    done
}
D=$(digest_to "$DSL")
check "6: the DSL's digest" test -n "$D"
check "6:   lists the look-alike's record" grep -q "$R1" "$D"
check "6:   and no conduct concern" bash -c "! grep -q '$R2\|$R3' '$D'"
D=$(digest_to "$CONDUCT")
check "6: the conduct reviewers' digest lists the teacher's" grep -q "$R2" "$D"
check "6:   and neither the headteacher's nor the look-alike's" bash -c "! grep -q '$R3\|$R1' '$D'"
D=$(digest_to "$CHAIR")
check "6: the chair's digest lists the headteacher's" grep -q "$R3" "$D"
check "6:   and nothing else" bash -c "! grep -q '$R1\|$R2' '$D'"

echo "$SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
