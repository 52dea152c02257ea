#!/bin/bash
# test_milter_buffers.sh - the daemon's message buffer over the milter
# protocol (miltertest): on one connection, a message larger than the
# buffer's first growths held in memory, one past message_buffer_size
# spilled to a file, and small ones between them, each judged on its own
# bytes and no other message's; no spill file left behind.  Needs no root
# and no Postfix.
set -u
. "$(dirname "$0")/miltertest/lib.sh"
mkdir "$W/tmp"
mt_start "directory_backend = file" \
    "directory_file = $SRC/contrib/samples/school.dir" \
    "message_buffer_size = 256k" "tmpdir = $W/tmp" "hold_reconcile_interval = 0"

# the summary line of message QID, and its size= field
line() { grep "$1: verdict=" "$LOG"; }
size() { line "$1" | sed -n 's/.* size=\([0-9]*\) .*/\1/p'; }

check "five messages on one connection: script runs" \
    mt_run buffers.lua -D big=200000 -D huge=400000
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
mt_end
