#!/bin/bash
# test_milter_buffers.sh - the daemon's message buffer over the milter
# protocol (miltertest): on one connection, a message larger than the
# buffer's first growths held in memory, one past message_buffer_size
# spilled to a file, and small ones between them, each judged on its own
# bytes and no other message's; no spill file left behind.  Needs no root
# and no Postfix.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${SG_BUILDDIR:-$SRC}
command -v miltertest >/dev/null || { echo "miltertest not installed"; exit 77; }
W=$(mktemp -d /tmp/sg-mt.XXXXXX)
LOG=$W/milter.log
mkdir "$W/tmp"
cat >"$W/milter.conf" <<CF
socket = unix:$W/milter.sock
pidfile = $W/milter.pid
trusted_networks = 127.0.0.0/8
rules_file = $SRC/rules/policy/default.rules
directory_backend = file
directory_file = $SRC/contrib/samples/school.dir
school_domains = school.example
quarantine_db = $W/quarantine.db
quarantine_dir = $W/messages
message_buffer_size = 256k
tmpdir = $W/tmp
hold_reconcile_interval = 0
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

# the summary line of message QID, and its size= field
line() { grep "$1: verdict=" "$LOG"; }
size() { line "$1" | sed -n 's/.* size=\([0-9]*\) .*/\1/p'; }

check "five messages on one connection: script runs" \
    miltertest -D socket="unix:$W/milter.sock" -D big=200000 -D huge=400000 \
    -s "$SRC/tests/integration/miltertest/buffers.lua"
sleep 0.3
for q in MB0001 MB0002 MB0003 MB0004 MB0005; do
    check "$q summarised once" test "$(grep -c "$q: verdict=" "$LOG")" -eq 1
done
# 200 KB in memory (below 256k), the number in its last line
check "large message in memory: held for the number at its end" \
    grep -Eq 'MB0001: verdict=hold[^ ]* rules=personal-contact-details' "$LOG"
check "large message in memory: every byte counted" \
    test "$(size MB0001)" -gt 200000 -a "$(size MB0001)" -lt 201000
# the next message sees its own bytes only
check "small message after it: accepted" grep -q 'MB0002: verdict=accept' "$LOG"
check "small message after it: nothing of the first" \
    test "$(size MB0002)" -lt 1000
# 400 KB, past message_buffer_size: spilled, the number still found
check "message past the buffer: held for the number at its end" \
    grep -Eq 'MB0003: verdict=hold[^ ]* rules=personal-contact-details' "$LOG"
check "message past the buffer: every byte counted" \
    test "$(size MB0003)" -gt 400000 -a "$(size MB0003)" -lt 401000
check "small message after a spilled one: accepted, its own size" \
    test "$(line MB0004 | grep -c 'verdict=accept')" -eq 1 -a "$(size MB0004)" -lt 1000
check "small message with the number: held" \
    grep -Eq 'MB0005: verdict=hold[^ ]* rules=personal-contact-details' "$LOG"
# the spill file never had a name, and nothing is left in tmpdir
check "no file left in tmpdir" test -z "$(ls -A "$W/tmp")"
check "no errors logged" test "$(grep -c ': error: ' "$LOG")" -eq 0
[ "$fails" -eq 0 ] || { echo "--- milter log"; cat "$LOG"; }
[ "$fails" -eq 0 ]
