#!/bin/bash
# test_day_one.sh - a new install, step by step as the README's
# "Installing" and "The DSL's review page" sections say, on a private
# Postfix: the filter's user made with adduser; the state and socket
# directories made as the systemd units make them; the release helper
# started the way safeguard-release.socket starts it (systemd's own
# systemd-socket-activate, one helper per connection, the socket's group
# and mode from the unit); the page started as the filter's user with the
# review unit's NoNewPrivileges, no capabilities and its supplementary
# group.  Then, with no sudo and no chown or chmod of our own:
#   the page comes up before anything is held, and shows an empty queue;
#   root adds the DSL's account with passwd, and the page (not root)
#     reads the file at once;
#   a message is held through Postfix;
#   the DSL signs in over HTTP and presses Release; the helper takes it
#     out of the hold queue and the message is delivered;
#   a second request to the helper for the same record is refused, and so
#     is one for a record still held.
# The programs are installed with make install into a private root
# (DESTDIR).  Needs root, Postfix, swaks, curl, setpriv and
# systemd-socket-activate (skipped, 77, without them).
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
sg_require_review release
for tool in curl setpriv systemd-socket-activate adduser sqlite3 /usr/bin/python3; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
UNITS="$SG_SRCDIR/contrib/systemd"

fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}
# unit_value FILE KEY: the value of KEY= in a systemd unit file
unit_value() { sed -n "s/^$2=//p" "$1" | tail -1; }

SAMPLES="$SG_SRCDIR/contrib/samples"
sg_setup
# the helper's listener too, however the test ends
RELEASE_PID=
day_one_cleanup() {
    local rc=$?
    [ -n "$RELEASE_PID" ] && kill "$RELEASE_PID" 2>/dev/null && wait "$RELEASE_PID" 2>/dev/null
    (exit "$rc")
    sg_cleanup
}
trap day_one_cleanup EXIT
sg_start_sink

# README: make install; here the two programs, into a private root
DESTROOT="$SG_WORK/root"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$SG_BUILDDIR/review" \
    DESTDIR="$DESTROOT" install-binPROGRAMS install-sbinPROGRAMS >"$SG_WORK/install.log" 2>&1 ||
    sg_die "make install failed: $(tail -5 "$SG_WORK/install.log")"
REVIEW_BIN=$(find "$DESTROOT" -path '*/bin/safeguard-review' -type f | head -1)
RELEASE_BIN=$(find "$DESTROOT" -path '*/sbin/safeguard-release' -type f | head -1)
check "make install puts safeguard-review in bin and safeguard-release in sbin, as the units say" \
    bash -c "[ -x '$REVIEW_BIN' ] && [ -x '$RELEASE_BIN' ] &&
             grep -q '^ExecStart=/usr/sbin/safeguard-release ' '$UNITS/safeguard-release@.service' &&
             grep -q '^ExecStart=/usr/bin/safeguard-review ' '$UNITS/safeguard-review.service'"

# README: the filter's user, and Postfix in its group
SVC=safeguard-milter
# A user this test makes is removed at exit, so that the system is as it
# was (the package test, for one, needs a machine without it).
if ! id "$SVC" >/dev/null 2>&1; then
    sg_cleanup_hook() {
        deluser --system "$SVC" >/dev/null 2>&1
        delgroup "$SVC" >/dev/null 2>&1
    }
    adduser --system --group --no-create-home --home /nonexistent "$SVC" >/dev/null ||
        sg_die "adduser $SVC failed"
fi
id -nG postfix | grep -qw "$SVC" || adduser postfix "$SVC" >/dev/null ||
    sg_die "adduser postfix $SVC failed"

# What the units make: StateDirectory= (the review unit's and the
# filter's), and the filter's ExecStartPre for its socket directory.
STATE="$SG_WORK/var-lib-safeguard-milter"
install -d -o "$SVC" -g "$SVC" -m 0750 "$STATE"
install -d -o "$SVC" -g "$SVC" -m 0750 "$SG_MILTER_DIR"
ETC="$SG_WORK/etc-safeguard-milter"
install -d "$ETC"
RELEASE_SOCK="$SG_WORK/safeguard-release.sock"
PASSWORDS="$ETC/review-passwords"
DSL_LOGIN=a.khan
DSL_PASSWORD='Hedgehog-library-41'

# README: the configuration, root's, mode 0644 (written by
# sg_write_milter_conf, then installed as the README installs it)
sg_write_milter_conf "user = $SVC" \
    "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "quarantine_db = $STATE/quarantine.db" \
    "quarantine_dir = $STATE/messages" \
    "pidfile = $SG_MILTER_DIR/milter.pid" \
    "review_password_file = $PASSWORDS" \
    "review_queue_command = /usr/sbin/postqueue -c $SG_PF -j" \
    "review_release_helper = $RELEASE_SOCK" \
    "release_helper_postsuper = /usr/sbin/postsuper -c $SG_PF"
install -m 0644 "$SG_MILTER_CONF" "$ETC/safeguard-milter.conf"
CONF="$ETC/safeguard-milter.conf"
SG_MILTER_CONF=$CONF

# safeguard-release.socket: one helper, as root, per connection; the
# socket's owner, group and mode are the unit's (systemd sets them)
SOCK_GROUP=$(unit_value "$UNITS/safeguard-release.socket" SocketGroup)
SOCK_MODE=$(unit_value "$UNITS/safeguard-release.socket" SocketMode)
[ "$(unit_value "$UNITS/safeguard-release.socket" Accept)" = yes ] || sg_die "the socket unit does not accept"
systemd-socket-activate --inetd -a -l "$RELEASE_SOCK" \
    "$RELEASE_BIN" -c "$CONF" >"$SG_WORK/release.log" 2>&1 &
RELEASE_PID=$!
for i in $(seq 1 50); do [ -S "$RELEASE_SOCK" ] && break; sleep 0.1; done
[ -S "$RELEASE_SOCK" ] || sg_die "the release socket did not appear: $(cat "$SG_WORK/release.log")"
chgrp "$SOCK_GROUP" "$RELEASE_SOCK" && chmod "$SOCK_MODE" "$RELEASE_SOCK"

# safeguard-review.service: as the filter's user, no new privileges (a
# set-uid sudo could not run), no capabilities, its supplementary group
REVIEW_UNIT="$UNITS/safeguard-review.service"
check "the review unit runs as $SVC, NoNewPrivileges, no capabilities, no sudo" \
    bash -c "grep -qx 'User=$SVC' '$REVIEW_UNIT' && grep -qx 'NoNewPrivileges=yes' '$REVIEW_UNIT' &&
             grep -qx 'CapabilityBoundingSet=' '$REVIEW_UNIT' && ! grep -q sudo '$REVIEW_UNIT'"
check "no sudoers file is shipped" test ! -e "$SG_SRCDIR/contrib/sudoers.d"
SUPP=$(unit_value "$REVIEW_UNIT" SupplementaryGroups)
PORT=$(sg_free_port)
URL=http://127.0.0.1:$PORT
SG_REVIEW_LOG=$SG_WORK/review.log
setpriv --reuid="$SVC" --regid="$SVC" ${SUPP:+--groups="$SUPP"} --no-new-privs \
    --inh-caps=-all --bounding-set=-all \
    "$REVIEW_BIN" -c "$CONF" serve --listen "127.0.0.1:$PORT" >"$SG_REVIEW_LOG" 2>&1 &
SG_REVIEW_PID=$!
for i in $(seq 1 100); do
    grep -q "listening on $URL/" "$SG_REVIEW_LOG" && break
    kill -0 "$SG_REVIEW_PID" 2>/dev/null || break
    sleep 0.1
done
check "the page starts before anything is held, with no account yet" \
    bash -c "kill -0 $SG_REVIEW_PID && grep -q 'listening on $URL/' '$SG_REVIEW_LOG' && grep -q 'no accounts yet' '$SG_REVIEW_LOG'"
check "  it made the store, owned by $SVC" \
    bash -c "[ \"\$(stat -c %U:%G '$STATE/quarantine.db')\" = '$SVC:$SVC' ]"
check "  and answers with its sign-in page" \
    bash -c "curl -s -m 10 '$URL/login' | grep -q 'name=\"password\"'"

# README: the DSL's account, added by root
printf '%s\n' "$DSL_PASSWORD" | "$REVIEW_BIN" -c "$CONF" passwd "$DSL_LOGIN" >"$SG_WORK/passwd.out" 2>&1
check "passwd as root: root's file, group $SVC, mode 0640, and says so" \
    bash -c "[ \"\$(stat -c '%U:%G %a' '$PASSWORDS')\" = 'root:$SVC 640' ] &&
             grep -q 'group $SVC, mode 0640' '$SG_WORK/passwd.out'"

# the example configuration names no user (systemd sets it): the group is
# then the state directory's, which the unit made for the filter's user
printf '%s\n' "$DSL_PASSWORD" | "$REVIEW_BIN" -c "$CONF" -o user= \
    passwd --file "$ETC/other-passwords" deputy >"$SG_WORK/passwd2.out" 2>&1
check "  and with no user = set, the group of the state directory" \
    bash -c "[ \"\$(stat -c '%U:%G %a' '$ETC/other-passwords')\" = 'root:$SVC 640' ]"

# sign in, as a DSL would (cookies: curl's jar; the form's csrf field)
JAR=$SG_WORK/jar
sign_in() {
    local tok
    tok=$(curl -s -m 10 -c "$JAR" "$URL/login" | grep -o 'name="csrf" value="[^"]*"' | cut -d'"' -f4)
    curl -s -m 30 -o /dev/null -w '%{http_code}' -b "$JAR" -c "$JAR" \
        --data-urlencode "csrf=$tok" --data-urlencode "user=$DSL_LOGIN" \
        --data-urlencode "password=$DSL_PASSWORD" "$URL/login"
}
code=$(sign_in)
check "the DSL signs in at once (no restart): $code" test "$code" = 303
curl -s -m 10 -b "$JAR" "$URL/queue" >"$SG_WORK/queue0.html"
check "  and sees an empty queue" grep -q 'id="empty"' "$SG_WORK/queue0.html"

# The filter and Postfix; a message is held
sg_start_postfix
sg_start_milter
hold() {
    sg_send "$SAMPLES/personal-contact-details.eml" j.smith@school.example amy.patel@school.example
    sg_wait_held
}
hold
QID1=$QID
RECORD=$(sqlite3 "$STATE/quarantine.db" "select id from records where queue_id='$QID1'")
check "a message is held through Postfix ($QID1, record $RECORD)" \
    bash -c "[ -n '$RECORD' ] && [ \"\$(sqlite3 '$STATE/quarantine.db' \"select status from records where id='$RECORD'\")\" = held ]"
hold
QID2=$QID
RECORD2=$(sqlite3 "$STATE/quarantine.db" "select id from records where queue_id='$QID2'")

# The helper refuses what the store has not decided
ask() { # ask OP RECORD: the helper's answer to uid $SVC
    setpriv --reuid="$SVC" --regid="$SVC" --clear-groups \
        /usr/bin/python3 -c 'import socket,sys
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall((sys.argv[2]+"\n").encode())
print(s.makefile().readline().strip())' "$RELEASE_SOCK" "$1 $2"
}
has() { printf '%s\n' "$1" | grep -q -- "$2"; }
a=$(ask release "$RECORD2")
check "the helper refuses a record that is still held: $a" has "$a" "^no record $RECORD2 is held"
a=$(ask release "$QID2")
check "  and a queue id in place of a record id: $a" has "$a" '^no '
check "  leaving it on hold" sg_held "$QID2"

# Release from the page
curl -s -m 10 -b "$JAR" "$URL/queue" >"$SG_WORK/queue1.html"
check "the page lists it" grep -q "$RECORD" "$SG_WORK/queue1.html"
curl -s -m 10 -b "$JAR" "$URL/item/$RECORD" >"$SG_WORK/item.html"
tok=$(grep -o 'name="csrf" value="[^"]*"' "$SG_WORK/item.html" | head -1 | cut -d'"' -f4)
code=$(curl -s -m 120 -o "$SG_WORK/release.html" -w '%{http_code}' -b "$JAR" -c "$JAR" \
    --data-urlencode "csrf=$tok" --data-urlencode "note=Checked with the teacher: a parent's request." \
    "$URL/item/$RECORD/release")
check "Release on the page answers ($code)" bash -c "[ '$code' = 303 ] || [ '$code' = 200 ]"
check "  the record is released" \
    bash -c "[ \"\$(sqlite3 '$STATE/quarantine.db' \"select status from records where id='$RECORD'\")\" = released ]"
QID=$QID1
check "  the message leaves the hold queue and is delivered" sg_wait_delivered
check "  the helper acted on it, once, and said so in the audit" \
    bash -c "[ \"\$(sqlite3 '$STATE/quarantine.db' \"select count(*) from audit where record_id='$RECORD' and action='queue' and actor='safeguard-release'\")\" = 1 ]"
check "  and in its log" grep -q "release $RECORD: released queue id $QID1" "$SG_WORK/release.log"
a=$(ask release "$RECORD")
check "a second request for the same decision is refused: $a" has "$a" 'already acted on'
check "the other message is still held" sg_held "$QID2"
check "no file of the store became root's" \
    bash -c "! find '$STATE' -user root | grep -q ."

[ "$fails" = 0 ] || { echo "--- review log"; cat "$SG_REVIEW_LOG"; echo "--- release log"; cat "$SG_WORK/release.log"; }
exit $((fails > 0))
