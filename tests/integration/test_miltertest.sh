#!/bin/bash
# test_miltertest.sh - drive the real daemon over the milter protocol with
# miltertest: several messages and an abort on one connection, and
# connections that end early; then SIGTERM stops it gracefully, with a
# connection still open.  Needs no
# root and no Postfix.
set -u
. "$(dirname "$0")/miltertest/lib.sh"
mt_start "directory_backend = none"

check "two messages, abort, one more: script runs" \
    mt_run two-messages.lua
sleep 0.3
check "message 1 summarised once" test "$(grep -c 'MT0001: verdict=accept client=client.example\[203.0.113.9\] trusted=no auth=tsmith from=<t.smith@school.example>:external to=<p.jones@school.example>:external,<k.ali@school.example>:external rcpts=2' "$LOG")" -eq 1
check "message 2 summarised once, own envelope" test "$(grep -c 'MT0002: verdict=accept .* to=<office@school.example>:external rcpts=1 ' "$LOG")" -eq 1
check "aborted message not summarised" test "$(grep -c 'MT0003' "$LOG")" -eq 0
check "message after abort summarised once" test "$(grep -c 'MT0004: verdict=accept .* rcpts=1 ' "$LOG")" -eq 1

check "early closes: script runs" \
    mt_run early-close.lua
sleep 0.3
check "milter alive after early closes" kill -0 $PID
check "message after early closes summarised" grep -q 'MTLATE1: verdict=accept client=client.example\[198.51.100.21\]' "$LOG"
check "no errors logged" test "$(grep -c ': error: ' "$LOG")" -eq 0

# SIGTERM reaches libmilter's own signal thread whichever thread the
# kernel picks (the daemon's threads block it), so the daemon stops as
# it should: logged, pidfile removed, exit status 0.
check "pidfile written" test -s "$W/milter.pid"
# a connection open at the stop does not hold it up (libmilter stops
# serving connections once it returns; the MTA applies its
# milter_default_action to a message it had under way)
mt_run stop.lua -D ready="$W/ready" >"$W/stop.out" 2>&1 &
MT=$!
mt_wait_file "$W/ready"
t0=$(date +%s)
kill -TERM $PID
mt_wait_exit
secs=$(($(date +%s) - t0))
kill $MT 2>/dev/null
wait $MT 2>/dev/null
check "SIGTERM with a connection open: stopped in $secs s (libmilter looks every 5)" test "$secs" -le 10
check "SIGTERM: exit status 0 (was $status)" test "$status" -eq 0
check "SIGTERM: stopping logged" grep -q 'safeguard-milter stopping' "$LOG"
check "SIGTERM: pidfile removed" test ! -e "$W/milter.pid"
mt_end
