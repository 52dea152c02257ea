# miltertest/lib.sh - for the tests that drive the daemon over the milter
# protocol with miltertest alone (no Postfix, no root): a private work
# directory W, the daemon started in the foreground on a socket in it,
# logging to LOG, stopped and W removed at exit; check and mt_end.
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUILD=${SG_BUILDDIR:-$SRC}
command -v miltertest >/dev/null || { echo "miltertest not installed"; exit 77; }
W=$(mktemp -d /tmp/sg-mt.XXXXXX)
LOG=$W/milter.log
PID=
trap '[ -n "$PID" ] && { kill $PID 2>/dev/null; wait $PID 2>/dev/null; }; rm -rf "$W"' EXIT
fails=0

# mt_start "key = value"...: the daemon with these settings added to the
# common ones; returns once its socket is there.
mt_start() {
    install -d -m 0755 "$BUILD/tests/scan-cache"
    {
        printf '%s\n' "socket = unix:$W/milter.sock" "pidfile = $W/milter.pid" \
            "trusted_networks = 127.0.0.0/8" \
            "rules_file = $SRC/rules/policy/default.rules" \
            "school_domains = school.example" \
            "scan_cache_dir = $BUILD/tests/scan-cache" \
            "quarantine_db = $W/quarantine.db" "quarantine_dir = $W/messages" "$@"
    } >"$W/milter.conf"
    "$BUILD/milter/safeguard-milter" -f -c "$W/milter.conf" >"$LOG" 2>&1 &
    PID=$!
    local i
    for i in $(seq 1 50); do [ -S "$W/milter.sock" ] && return 0; sleep 0.1; done
    echo "milter did not start: $(cat "$LOG")"; exit 1
}

# miltertest on the daemon's socket: mt_run SCRIPT [-D name=value]...
mt_run() {
    local script=$1; shift
    miltertest -D socket="unix:$W/milter.sock" "$@" -s "$SRC/tests/integration/miltertest/$script"
}

check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

# mt_wait_file FILE: until FILE is there (30 s at most)
mt_wait_file() {
    local i
    for i in $(seq 1 300); do [ -e "$1" ] && return 0; sleep 0.1; done
    echo "timed out waiting for $1"
    return 1
}

# mt_wait_exit: the daemon, told to stop, has ended: its exit status in
# status; one still there after 30 s is killed (status 124)
mt_wait_exit() {
    local i
    for i in $(seq 1 300); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$PID" 2>/dev/null; then
        kill -KILL "$PID"
        wait "$PID" 2>/dev/null
        status=124
    else
        wait "$PID"
        status=$?
    fi
    PID=
}

# the end of a test: the log when something failed, and the status
mt_end() {
    [ "$fails" -eq 0 ] || { echo "--- milter log"; cat "$LOG"; }
    [ "$fails" -eq 0 ]
}
