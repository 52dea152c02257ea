#!/bin/bash
# test_review_web.sh - the DSL's review web page (safeguard-review serve)
# in real headless Chromium (Debian's chromium, driven by playwright-core
# from tests/browser/), over a real setup: a private Postfix, the real
# daemon holding real messages, and a real slapd (ldap/run.sh) for the
# directory login.  The browser script (tests/browser/review_web.js)
# checks, each on its own:
#   login, a wrong password, the lockout after review_login_attempts
#   failures; a directory user outside the DSL group refused; the queue
#   (staff-conduct items by role and pseudonym, one per person, with no
#   subject, review_pseudonymise's default; a pupil-welfare item by name)
#   and an item (the names once opened, findings marked, attachments
#   listed, history; the opening audited below); release (the
#   message arrives once; a stale second release is refused; the message
#   to the sender, and not the note for the record, is mailed, credited
#   to the DSL who released it); reject with a message to the sender
#   (never arrives; the notice carries that message, not the note); a
#   forged POST without the CSRF token refused; a held message full of
#   HTML and script shown as inert text, with nothing fetched; the session
#   cookie's flags; the layout at 1280 and 390 pixels wide (no sideways
#   scrolling, the message above the folded policy text, people by name,
#   rules by title, a look-alike's display name and headers, "What the
#   sender was told" only when something was); and, here afterwards, the
#   audit of all of it.
#
# SG_SCREENSHOTS=1: instead of the checks, hold the demo school's messages
# and write doc/screenshots/review-queue.png and review-item.png (1280
# pixels wide) and review-queue-phone.png and review-item-phone.png (390).
#
# Exit 77 (skipped) only without chromium or node (and, as every Postfix
# test, without root, Postfix, swaks or faketime).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
sg_require_browser

# The directory login needs a slapd: ldap/run.sh starts one and runs this
# script again inside it (as test_postfix_ldap.sh does).
if [ -z "${SG_SCREENSHOTS:-}" ] && [ -z "${SG_LDAP_URI:-}" ] && [ -x /usr/sbin/slapd ]; then
    exec sh "$here/ldap/run.sh" "$0"
fi
sg_require_postfix
command -v faketime >/dev/null || { echo "SKIP: faketime is not installed"; exit 77; }
command -v sqlite3 >/dev/null || sg_die "sqlite3 is missing (apt-get install sqlite3)"
sg_require_review

fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

sg_browser_setup

SAMPLES="$SG_SRCDIR/contrib/samples"
sg_setup
sg_start_sink
head -c 48 /dev/urandom >"$SG_WORK/notice.key"
chown postfix "$SG_WORK/notice.key" && chmod 600 "$SG_WORK/notice.key"
PASSWORDS="$SG_WORK/review-passwords"
DSL_LOGIN=a.khan
DSL_PASSWORD='Hedgehog-library-41'
# As in test_review.sh: notices are submitted over SMTP with swaks.
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "dsl_contact = Mrs Aisha Khan (DSL)" \
    "notice_from = safeguarding@school.example" \
    "dsl_addresses = a.khan@school.example" \
    "notice_templates = $SG_SRCDIR/contrib/templates" \
    "notice_secret_file = $SG_WORK/notice.key" \
    "notice_sendmail = /usr/bin/swaks --silent 2 --server 127.0.0.1:$SG_SMTP_PORT --from {from} --to {to} --data -" \
    "review_auth = file" \
    "review_password_file = $PASSWORDS" \
    "review_login_attempts = 3" \
    "review_login_lockout = 15m"
sg_start_postfix

DB="$SG_QUARANTINE/quarantine.db"

# What the browser script asks of the mail side (exported: it runs them
# with bash -c).
status_of() { sg_record_status "$1"; }
held() { sg_held "$1"; }
in_queue() { sg_in_queue "$1"; }
sink_count() { sg_sink_copies "$1"; }
notice_to() { sg_notice_to "$1" "$2"; }
# notices about a record written for its sender (told_count RECORD)
told_count() {
    sqlite3 "$DB" "SELECT count(*) FROM outbox o JOIN records r ON r.id = o.record_id
                   WHERE o.record_id = '$1' AND o.recipients = r.env_from"
}
export DB SG_PF SG_SINK_DIR SG_QUARANTINE
export -f status_of held in_queue sink_count notice_to told_count sg_record_status \
    sg_held sg_in_queue sg_sink_copies sg_sink_files sg_notice_to

# hold NAME FILE FROM TO CLIENT: send, wait for it on hold; sets QID, RECORD
hold() {
    local name=$1 file=$2 from=$3 to=$4 client=$5 log="$SG_WORK/swaks-$1.log" i
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface "$client" \
        --from "$from" --to "$to" --data "$file" >"$log" 2>&1
    QID=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1)
    RECORD=
    for i in $(seq 1 50); do
        [ -n "$QID" ] && held "$QID" && break
        sleep 0.1
    done
    [ -n "$QID" ] && RECORD=$(grep -o "$QID: verdict=hold.* record=SG-[0-9]*-[0-9A-F]*" "$SG_MILTER_LOG" |
        grep -o 'SG-[0-9]*-[0-9A-F]*$' | tail -1)
    if [ -n "${SG_SCREENSHOTS:-}" ]; then
        [ -n "$RECORD" ] || sg_die "$name: not held: $(cat "$log")"
    else
        check "$name held (${QID:-no queue id}, record ${RECORD:-none})" test -n "$RECORD"
    fi
}

# start_pages: the page, and a second one whose logins the directory
# checks (against a copy of the configuration); then a port for the
# tracking images, free while they listen.  Under SG_SCREENSHOTS the page's clock is set.
LDAP_REVIEW_PID=
trap 'rc=$?; [ -n "$LDAP_REVIEW_PID" ] && kill -TERM "$LDAP_REVIEW_PID" 2>/dev/null; (exit $rc); sg_cleanup' EXIT
start_pages() {
    if [ -n "${SG_LDAP_URI:-}" ]; then
        cp "$SG_LDAP_DIR/password" "$SG_WORK/ldap.password"
        chmod 600 "$SG_WORK/ldap.password"
        {
            grep -v '^directory_file *=\|^review_auth *=' "$SG_MILTER_CONF"
            echo "directory_backend = ldap"
            echo "ldap_uri = $SG_LDAP_URI"
            echo "ldap_base = dc=school,dc=example"
            echo "ldap_bind_dn = cn=milter,dc=school,dc=example"
            echo "ldap_bind_password_file = $SG_WORK/ldap.password"
            echo "ldap_user_filter = (objectClass=inetOrgPerson)"
            echo "ldap_timeout = 2"
            echo "ldap_connect_timeout = 2"
            echo "review_auth = ldap"
            echo "review_dsl_group = cn=DSL,ou=Groups,dc=school,dc=example"
        } >"$SG_WORK/ldap.conf"
        SG_MILTER_CONF=$SG_WORK/ldap.conf sg_start_review
        LDAP_REVIEW_URL=$SG_REVIEW_URL LDAP_REVIEW_PID=$SG_REVIEW_PID
    fi
    if [ -n "${SG_SCREENSHOTS:-}" ]; then
        local lib
        lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT.so.1$' | head -1)
        LD_PRELOAD=$lib FAKETIME="@2025-03-12 16:20:00" \
            ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" sg_start_review
    else
        sg_start_review
    fi
    TRACK_PORT=$(sg_free_port)
}
stop_pages() {
    sg_stop_review
    if [ -n "$LDAP_REVIEW_PID" ]; then
        kill -TERM "$LDAP_REVIEW_PID" 2>/dev/null
        wait "$LDAP_REVIEW_PID" 2>/dev/null
        LDAP_REVIEW_PID=
    fi
}

# The DSL's account in the local password file
printf '%s\n' "$DSL_PASSWORD" | sg_review passwd "$DSL_LOGIN" \
    >"$SG_WORK/passwd.out" 2>&1 || sg_die "safeguard-review passwd failed: $(cat "$SG_WORK/passwd.out")"

run_browser() {
    SG_CHROMIUM="$CHROMIUM" node "$BROWSER_DIR/review_web.js" "$SG_WORK/browser.json"
}

# ------------------------------------------------------------ screenshots
if [ -n "${SG_SCREENSHOTS:-}" ]; then
    # The demo school's held mail, held over a day and a half; the page's
    # clock a little later, so that the ages and the response targets
    # (one late, one nearly due) read as on a real day.
    while read -r file at; do
        line=$(grep "^$file " "$SAMPLES/MANIFEST") || sg_die "$file is not in the MANIFEST"
        read -r _ from to auth _ <<<"$line"
        sg_stop_milter
        SG_MILTER_TIME="2025-03-$at" sg_start_milter
        client=127.0.0.1; [ "$auth" = "-" ] && client=127.0.0.2
        hold "$file" "$SAMPLES/$file" "$from" "$to" "$client"
        [ "$file" = personal-contact-details.eml ] && ITEM=$RECORD
    done <<'LIST'
pupil-data-outside.eml 11 13:55:00
pupil-dob-list-outside.eml 11 17:05:00
images-of-children-outside.eml 12 08:40:00
pupil-to-staff-personal.eml 12 09:12:00
personal-contact-details.eml 12 10:15:00
staff-lookalike-to-pupil.eml 12 11:48:00
spoofed-school-sender-to-pupil.eml 12 14:31:00
LIST
    start_pages
    OUT_DIR="${SG_SCREENSHOT_DIR:-$SG_SRCDIR/doc/screenshots}"
    mkdir -p "$OUT_DIR"
    cat >"$SG_WORK/browser.json" <<EOF
{ "mode": "screenshots", "base": "$SG_REVIEW_URL",
  "login": "$DSL_LOGIN", "password": "$DSL_PASSWORD",
  "item": "$ITEM", "out": "$OUT_DIR" }
EOF
    run_browser || sg_die "the screenshots failed"
    stop_pages
    exit 0
fi

# ------------------------------------------------------------ the checks
# Messages the filter holds, at the samples' date (see test_review.sh);
# the pages start once there is a store.
SG_MILTER_TIME="2025-03-12 10:15:00" sg_start_milter
PCD="$SAMPLES/personal-contact-details.eml"
hold "view" "$PCD" j.smith@school.example amy.patel@school.example,a.jones@school.example 127.0.0.1
QV=$QID; RV=$RECORD
start_pages
hold "release" "$PCD" j.smith@school.example amy.patel@school.example,a.jones@school.example 127.0.0.1
QR=$QID; RR=$RECORD
hold "reject" "$PCD" j.smith@school.example amy.patel@school.example,a.jones@school.example 127.0.0.1
QJ=$QID; RJ=$RECORD
hold "attachment" "$SAMPLES/images-of-children-outside.eml" a.jones@school.example prints@photoprint.example 127.0.0.1
QA=$QID; RA=$RECORD
# an outside address with a member of staff's name, to a pupil (not signed in)
hold "lookalike" "$SAMPLES/staff-lookalike-to-pupil.eml" jsmith.teach@example.net ben.okafor@school.example 127.0.0.2
QL=$QID; RL=$RECORD
# A held message whose subject, text, HTML and attachment name are HTML
# and script, with an image on a port the browser script listens on.
cat >"$SG_WORK/xss.eml" <<EOF
From: John Smith <j.smith@school.example>
To: Amy Patel <amy.patel@school.example>
Subject: <script>document.title='pwned'</script><img src="http://127.0.0.1:$TRACK_PORT/subject.gif"><b onmouseover="alert('subject')">hover</b>
Date: Wed, 12 Mar 2025 10:15:00 +0000
Message-ID: <xss-payload@tests.school.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="=_outer"

--=_outer
Content-Type: multipart/alternative; boundary="=_alt"

--=_alt
Content-Type: text/plain; charset=utf-8

Hi Amy,
<script>document.title='pwned'</script>
<img src="http://127.0.0.1:$TRACK_PORT/track.gif" onerror="alert('img')">
<b onmouseover="alert('hover')">hover here</b>
If you get stuck, ring me on 07700 900123.

--=_alt
Content-Type: text/html; charset=utf-8

<html><head><script>document.title='pwned'</script></head><body>
<p>Hi Amy,</p><img src="http://127.0.0.1:$TRACK_PORT/html.gif">
<b onmouseover="alert('hover')">hover here</b>
<p>If you get stuck, ring me on 07700 900123.</p></body></html>

--=_alt--

--=_outer
Content-Type: application/pdf; name="notes.pdf"
Content-Disposition: attachment; filename="\"><img src=\"http://127.0.0.1:$TRACK_PORT/name.gif\">.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJSVFT0YK
--=_outer--
EOF
hold "xss" "$SG_WORK/xss.eml" j.smith@school.example amy.patel@school.example 127.0.0.1
QX=$QID; RX=$RECORD
# From here the daemon runs on the real clock, so that it recognises the
# page's notices (marked now) as its own.
sg_stop_milter; SG_MILTER_TIME= sg_start_milter

if [ -z "${SG_LDAP_URI:-}" ]; then
    check "slapd is installed, for the directory login (apt-get install slapd ldap-utils)" false
fi

cat >"$SG_WORK/browser.json" <<EOF
{ "mode": "checks",
  "base": "$SG_REVIEW_URL",
  "ldapBase": $([ -n "$LDAP_REVIEW_PID" ] && echo "\"$LDAP_REVIEW_URL\"" || echo null),
  "trackPort": $TRACK_PORT,
  "login": "$DSL_LOGIN", "password": "$DSL_PASSWORD",
  "ldapDsl": { "login": "dana.ward", "password": "Dana-DSL-pass1" },
  "ldapStaff": { "login": "rob.teacher", "password": "Rob-staff-pass3" },
  "records": { "view": "$RV", "release": "$RR", "reject": "$RJ",
               "attachment": "$RA", "xss": "$RX", "lookalike": "$RL" },
  "queueIds": { "view": "$QV", "release": "$QR", "reject": "$QJ",
                "attachment": "$QA", "xss": "$QX", "lookalike": "$QL" },
  "rejectNote": "Second time this term; raised with the head as a low-level concern.",
  "rejectMessage": "Please do not give pupils your mobile number; use the school office.",
  "releaseNote": "Checked with Mr Smith: revision session, parents aware",
  "releaseMessage": "Released. Next time please put revision sessions on the learning platform.",
  "dsl": "Mrs Aisha Khan (DSL)",
  "sender": "j.smith@school.example"
}
EOF
t0=$(date +%s)
run_browser >"$SG_WORK/browser.out" 2>&1
browser_rc=$?
cat "$SG_WORK/browser.out"
echo "# browser: $(($(date +%s) - t0))s"
check "the browser script ran to its end (exit $browser_rc)" \
    grep -q '^# browser checks done' "$SG_WORK/browser.out"
fails=$((fails + $(grep -c '^not ok' "$SG_WORK/browser.out")))
stop_pages

# 9. The audit: the page's logins, failures, views and decisions, by the
# DSL's login, from 127.0.0.1
sg_review audit >"$SG_WORK/audit.out" 2>&1
check "audit: exits 0" test $? -eq 0
a() { grep -E -- "$1" "$SG_WORK/audit.out" | grep -qF -- "$2"; }
W="$DSL_LOGIN \(127\.0\.0\.1\) +"
check "audit: the DSL's login from 127.0.0.1" a " - +$W""login( |$)" ""
check "audit: the failed logins" test "$(grep -cE " - +$W""login-failed" "$SG_WORK/audit.out")" -ge 3
check "audit: the lockout" a " - +$W""login-locked" ""
check "audit: the item viewed" a "$RV +$W""view" ""
check "audit: the queue listed" a " - +$W""list" ""
check "audit: the release, with its note" a "$RR +$W""released" "revision session, parents aware"
check "audit: the stale second release refused" a "$RR +$W""refused" ""
check "audit: the reject, with its note" a "$RJ +$W""rejected" "Second time this term"
check "audit: the sender told" a "$RJ +$W""told-sender" "j.smith@school.example"
check "audit: the released message's sender told, by the DSL, in their words" \
    a "$RR +$W""told-sender" "Next time please put revision sessions"
check "audit: the forged POST refused" a " - +$W""refused" "a form without its CSRF token"
check "audit: the XSS message viewed" a "$RX +$W""view" ""
check "audit: the logout" a " - +$W""logout" ""
if [ -n "${SG_LDAP_URI:-}" ]; then
    check "audit: the directory DSL's login" a " - +dana\.ward \(127\.0\.0\.1\) +login( |$)" ""
    check "audit: the staff member refused" a " - +rob\.teacher \(127\.0\.0\.1\) +login-refused" "not in the DSL group"
fi
check "audit: no decision on the forged record" bash -c "! grep -qE '$RV +.*(released|rejected|escalated) ' '$SG_WORK/audit.out'"

# Nothing lost: the released one delivered once, the rejected one gone,
# the others still held
check "the released message arrived once" test "$(sink_count "$QR")" -eq 1
check "the rejected message never arrived" test "$(sink_count "$QJ")" -eq 0
check "the others are still held" bash -c "held $QV && held $QA && held $QX && held $QL"
check "the pages logged no sanitizer error" \
    bash -c "! grep -l 'Sanitizer' '$SG_REVIEW_LOG'"
[ "$fails" -eq 0 ]
