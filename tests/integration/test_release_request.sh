#!/bin/bash
# test_release_request.sh - a teacher asks for a held message's release
# (issue 14, item 3), through a real private Postfix, the real daemon with
# the shipped policy and templates, and the real review page driven with
# curl:
#  1. a teacher's message is held; their notice carries the request link
#     REVIEW_URL/request/RECORD?k=TOKEN;
#  2. the link's page loads with no login and shows what was held (the
#     rule's title, the time) and nothing the teacher did not write;
#  3. a tampered token, another record's token, no token, an unknown
#     record, and a form without its CSRF token are refused and audited;
#  4. a request with a reason is recorded (an audit row by the sender,
#     with the reason), the message stays held, and the reviewers of the
#     record's track are told with the link and no pupil identifiers; a
#     second request adds another row;
#  5. the reviewer sees the marker in the queue and the reason on the
#     record's page, releases it with a message to the sender (delivered
#     once, the teacher told), and the link then refuses; a second
#     teacher's request is rejected with a message to the sender, who is
#     told.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
command -v curl >/dev/null || sg_die "curl is missing (apt-get install curl)"
command -v sqlite3 >/dev/null || sg_die "sqlite3 is missing (apt-get install sqlite3)"

check() { sg_check "$@"; }

SAMPLES="$SG_SRCDIR/contrib/samples"
PCD="$SAMPLES/personal-contact-details.eml"
TEACHER=j.smith@school.example
PUPIL=amy.patel@school.example
DSL=a.khan@school.example
CONDUCT=office@school.example
DSL_LOGIN=a.khan
DSL_PASSWORD='Hedgehog-library-41'
sg_setup
sg_start_sink
sg_notice_key
SG_REVIEW_PORT=$(sg_free_port)
URL=http://127.0.0.1:$SG_REVIEW_PORT
PASSWORDS="$SG_WORK/review-passwords"
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "dsl_contact = Mrs Aisha Khan (DSL)" \
    "notice_from = safeguarding@school.example" \
    "dsl_addresses = $DSL" \
    "conduct_addresses = $CONDUCT" \
    "notice_templates = $SG_SRCDIR/contrib/templates" \
    "notice_secret_file = $SG_WORK/notice.key" \
    "notice_sendmail = /bin/sh $SG_SRCDIR/tests/integration/queue-notice.sh $SG_SMTP_PORT {from} {to}" \
    "review_url = $URL/" \
    "review_auth = file" \
    "review_password_file = $PASSWORDS" \
    "hold_reconcile_interval = 0"
sg_start_postfix
sg_start_milter
DB="$SG_QUARANTINE/quarantine.db"
printf '%s\n' "$DSL_PASSWORD" | sg_review passwd "$DSL_LOGIN" \
    >"$SG_WORK/passwd.out" 2>&1 || sg_die "passwd failed: $(cat "$SG_WORK/passwd.out")"

# hold N: the sample from the teacher to the pupil; sets QID and R
hold() {
    sg_send "$PCD" "$TEACHER" "$PUPIL"
    sg_wait_summary
    R=$(sg_summary | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
    sg_wait_held
}
# page NAME URL [CURL ARGS]: fetch into SG_WORK/NAME.html; STATUS is the
# HTTP status
page() {
    local name=$1 url=$2; shift 2
    STATUS=$(curl -s -o "$SG_WORK/$name.html" -w '%{http_code}' "$@" "$url")
}
has() { grep -qF -- "$2" "$SG_WORK/$1.html"; }
csrf_of() { sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' "$SG_WORK/$1.html" | head -1; }
requests() { sqlite3 "$DB" "select count(*) from audit where record_id='$1' and action='release-request'"; }

# ------------------------------------------------ 1. held, and the link
hold
R1=$R Q1=$QID
check "1: held with a record ($R1)" test -n "$R1"
check "1: the teacher is told" sg_wait_notice "$TEACHER" "$R1"
LINK=$(grep -o "$URL/request/$R1?k=[A-Za-z0-9_-]*" "$NOTICE" | head -1)
TOKEN=${LINK##*k=}
check "1: the notice has the request link ($LINK)" test "${#TOKEN}" -eq 43
# the page is started once the daemon has made the store
sg_start_review

# ------------------------------------------------ 2. the page, no login
page get1 "$LINK" -c "$SG_WORK/teacher.jar"
check "2: the link's page loads without a login ($STATUS)" test "$STATUS" = 200
check "2: it shows the record" has get1 "$R1"
check "2: and the rule's title" has get1 "Personal contact details sent to a pupil"
check "2: and a form for the reason" has get1 'name="reason"'
check "2: not the recipient" bash -c "! grep -qi 'amy' '$SG_WORK/get1.html'"
check "2: not what was found" bash -c "! grep -q '07700' '$SG_WORK/get1.html'"
check "2: the view is audited" test "$(sqlite3 "$DB" \
    "select count(*) from audit where record_id='$R1' and action='release-request-view'")" -eq 1

# ------------------------------------------------ 3. refusals
# one character in the middle changed
c=${TOKEN:10:1}; [ "$c" = A ] && c=B || c=A
BAD=${TOKEN:0:10}$c${TOKEN:11}
page bad "$URL/request/$R1?k=$BAD"
check "3: a tampered token is refused ($STATUS)" test "$STATUS" = 404
page short "$URL/request/$R1?k=${TOKEN%?}"
check "3: a cut token is refused ($STATUS)" test "$STATUS" = 404
page none "$URL/request/$R1"
check "3: no token is refused ($STATUS)" test "$STATUS" = 404
page unknown "$URL/request/SG-20000101-000000?k=$TOKEN"
check "3: another record with this token is refused ($STATUS)" test "$STATUS" = 404
CSRF=$(csrf_of get1)
page nocsrf "$URL/request/$R1" -b "$SG_WORK/teacher.jar" \
    --data-urlencode "k=$TOKEN" --data-urlencode "reason=forged"
check "3: a form without its CSRF token is refused ($STATUS)" test "$STATUS" = 403
page badpost "$URL/request/$R1" -b "$SG_WORK/teacher.jar" \
    --data-urlencode "csrf=$CSRF" --data-urlencode "k=$BAD" \
    --data-urlencode "reason=forged"
check "3: a form with a tampered token is refused ($STATUS)" test "$STATUS" = 404
check "3: nothing was recorded" test "$(requests "$R1")" -eq 0
check "3: the refusals are audited" test "$(sqlite3 "$DB" \
    "select count(*) from audit where record_id='$R1' and action='release-request-refused'")" -ge 5

# ------------------------------------------------ 4. the request
REASON="Revision session agreed with Amy's parents; the number is the school mobile."
page post1 "$URL/request/$R1" -b "$SG_WORK/teacher.jar" \
    --data-urlencode "csrf=$CSRF" --data-urlencode "k=$TOKEN" \
    --data-urlencode "reason=$REASON"
check "4: the request is accepted ($STATUS)" test "$STATUS" = 200
check "4: and says so" has post1 "Request sent"
check "4: an audit row by the sender, with the reason" test "$(sqlite3 "$DB" \
    "select actor || '|' || note from audit where record_id='$R1' and action='release-request'")" = "$TEACHER|$REASON"
check "4: the record stays held" test "$(sg_record_status "$R1")" = held
check "4: and so does the message" sg_held "$Q1"
check "4: the conduct reviewers are told" sg_wait_notice "$CONDUCT" "Release requested"
check "4: with the link to the record" grep -qF "$URL/item/$R1" "$NOTICE"
check "4: without the reason" bash -c "! grep -qF 'Revision session' '$NOTICE'"
check "4: or a pupil's address or name" bash -c "! grep -qi 'amy' '$NOTICE'"
check "4: not the DSL (the other track)" test -z "$(sg_notice_to "$DSL" "Release requested")"
page post2 "$URL/request/$R1" -b "$SG_WORK/teacher.jar" \
    --data-urlencode "csrf=$CSRF" --data-urlencode "k=$TOKEN" \
    --data-urlencode "reason=Second thoughts: please"
check "4: a second request adds another row" test "$(requests "$R1")" -eq 2
sleep 1 # anything queued is sent at once
check "4: but no second notice within the hour" test "$(grep -rlsF "Release requested" "$SG_SINK_DIR" |
    xargs -r grep -lF "$R1" | wc -l)" -eq 1
page empty "$URL/request/$R1" -b "$SG_WORK/teacher.jar" \
    --data-urlencode "csrf=$CSRF" --data-urlencode "k=$TOKEN" \
    --data-urlencode "reason=   "
check "4: a request without a reason is refused ($STATUS)" test "$STATUS" = 400
check "4: and not recorded" test "$(requests "$R1")" -eq 2

# ------------------------------------------------ 5. the reviewer
page login "$URL/login" -c "$SG_WORK/dsl.jar"
page signin "$URL/login" -b "$SG_WORK/dsl.jar" -c "$SG_WORK/dsl.jar" \
    --data-urlencode "csrf=$(csrf_of login)" --data-urlencode "user=$DSL_LOGIN" \
    --data-urlencode "password=$DSL_PASSWORD"
check "5: the reviewer signs in ($STATUS)" test "$STATUS" = 303
page queue "$URL/queue" -b "$SG_WORK/dsl.jar"
check "5: the queue marks the request" has queue "release requested"
page item "$URL/item/$R1" -b "$SG_WORK/dsl.jar"
check "5: the record's page shows the request" has item "Release requested"
check "5: with its reason" has item "Revision session agreed with Amy&#39;s parents"
page release "$URL/item/$R1/release" -b "$SG_WORK/dsl.jar" \
    --data-urlencode "csrf=$(csrf_of item)" \
    --data-urlencode "note=Agreed with the head: the school mobile." \
    --data-urlencode "to_sender=Released: the school mobile is fine for revision sessions."
check "5: the reviewer releases it ($STATUS)" test "$STATUS" = 303
QID=$Q1
check "5: the message is delivered" sg_wait_delivered
check "5: once" test "$(sg_sink_copies "$Q1")" -eq 1
check "5: the teacher is told" sg_wait_notice "$TEACHER" "the school mobile is fine for revision"
check "5: the release is audited" test "$(sqlite3 "$DB" \
    "select count(*) from audit where record_id='$R1' and action='released' and actor='$DSL_LOGIN'")" -eq 1
page after "$LINK"
check "5: the link refuses a record no longer held ($STATUS)" test "$STATUS" = 410

# a second teacher's message: requested, then rejected with a message
# to the sender, who is told
hold
R2=$R Q2=$QID
sg_wait_notice "$TEACHER" "$R2"
LINK2=$(grep -o "$URL/request/$R2?k=[A-Za-z0-9_-]*" "$NOTICE" | head -1)
check "5: the second record's link differs" test -n "$LINK2" -a "${LINK2##*k=}" != "$TOKEN"
page get2 "$LINK2" -c "$SG_WORK/teacher2.jar"
page post3 "$URL/request/$R2" -b "$SG_WORK/teacher2.jar" \
    --data-urlencode "csrf=$(csrf_of get2)" --data-urlencode "k=${LINK2##*k=}" \
    --data-urlencode "reason=Please send it, it is urgent"
check "5: the second request is recorded" test "$(requests "$R2")" -eq 1
page item2 "$URL/item/$R2" -b "$SG_WORK/dsl.jar"
page reject "$URL/item/$R2/reject" -b "$SG_WORK/dsl.jar" \
    --data-urlencode "csrf=$(csrf_of item2)" \
    --data-urlencode "note=Personal number given to a pupil; spoken to." \
    --data-urlencode "to_sender=Please use the school office number with pupils."
check "5: the reviewer rejects it ($STATUS)" test "$STATUS" = 303
check "5: the rejection is audited" test "$(sg_record_status "$R2")" = rejected
check "5: the teacher is told" sg_wait_notice "$TEACHER" "Please use the school office number"
check "5: the rejected message never arrives" test "$(sg_sink_copies "$Q2")" -eq 0
check "the page logged no sanitizer error" \
    bash -c "! grep -l 'Sanitizer' '$SG_REVIEW_LOG'"

echo "$SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
