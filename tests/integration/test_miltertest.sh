#!/bin/bash
# test_miltertest.sh - drive the real daemon over the milter protocol with
# miltertest: several messages and an abort on one connection, and
# connections that end early; then SIGTERM stops it gracefully.  Needs no
# root and no Postfix.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SG_BUILDDIR:-$SRC}
command -v miltertest >/dev/null || { echo "miltertest not installed"; exit 77; }
W=$(mktemp -d /tmp/sg-mt.XXXXXX)
LOG=$W/milter.log
cat >"$W/milter.conf" <<CF
socket = unix:$W/milter.sock
pidfile = $W/milter.pid
trusted_networks = 127.0.0.0/8
rules_file = $SRC/rules/policy/default.rules
directory_backend = none
school_domains = school.example
quarantine_db = $W/quarantine.db
quarantine_dir = $W/messages
CF
"$BUILD/milter/safeguard-milter" -f -c "$W/milter.conf" >"$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$W"' EXIT
fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}
for i in $(seq 1 50); do [ -S "$W/milter.sock" ] && break; sleep 0.1; done

check "two messages, abort, one more: script runs" \
    miltertest -D socket="unix:$W/milter.sock" -s "$SRC/tests/integration/miltertest/two-messages.lua"
sleep 0.3
check "message 1 summarised once" test "$(grep -c 'MT0001: verdict=accept client=client.example\[203.0.113.9\] trusted=no auth=tsmith from=<t.smith@school.example>:external to=<p.jones@school.example>:external,<k.ali@school.example>:external rcpts=2' "$LOG")" -eq 1
check "message 2 summarised once, own envelope" test "$(grep -c 'MT0002: verdict=accept .* to=<office@school.example>:external rcpts=1 ' "$LOG")" -eq 1
check "aborted message not summarised" test "$(grep -c 'MT0003' "$LOG")" -eq 0
check "message after abort summarised once" test "$(grep -c 'MT0004: verdict=accept .* rcpts=1 ' "$LOG")" -eq 1

check "early closes: script runs" \
    miltertest -D socket="unix:$W/milter.sock" -s "$SRC/tests/integration/miltertest/early-close.lua"
sleep 0.3
check "milter alive after early closes" kill -0 $PID
check "message after early closes summarised" grep -q 'MTLATE1: verdict=accept client=client.example\[198.51.100.21\]' "$LOG"
check "no errors logged" test "$(grep -c ': error: ' "$LOG")" -eq 0

# SIGTERM reaches libmilter's own signal thread whichever thread the
# kernel picks (the daemon's threads block it), so the daemon stops as
# it should: logged, pidfile removed, exit status 0.
check "pidfile written" test -s "$W/milter.pid"
kill -TERM $PID
wait $PID
status=$?
check "SIGTERM: exit status 0 (was $status)" test "$status" -eq 0
check "SIGTERM: stopping logged" grep -q 'safeguard-milter stopping' "$LOG"
check "SIGTERM: pidfile removed" test ! -e "$W/milter.pid"
[ "$fails" -eq 0 ] || { echo "--- milter log"; cat "$LOG"; }
[ "$fails" -eq 0 ]
