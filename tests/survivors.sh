#!/bin/bash
# tests/survivors.sh - find the processes a test run started that outlived
# it (a daemon the tests forgot to stop keeps ports, sockets and files, and
# hides the next run's failures).
#
#   tests/survivors.sh run COMMAND [ARG...]
#       run COMMAND with a marker in its environment; afterwards list every
#       process still carrying the marker, stop them, and fail (exit 1) if
#       there were any; otherwise exit with COMMAND's status.
#   . tests/survivors.sh       (tests/run) defines sg_survivors_mark,
#       sg_survivors and sg_survivors_stop.
#
# A process carries the marker when its environment has SG_TESTRUN=ID
# (everything the tests start inherits it), or MAIL_CONFIG naming a
# directory with ID in its name: Postfix's master sheds the environment,
# but keeps MAIL_CONFIG, and tests/integration/lib.sh puts SG_TESTRUN in
# its work directory's name.  Only /proc is read, with shell built-ins.

# sg_survivors_mark: export a new marker (SG_TESTRUN) unless one is set.
sg_survivors_mark() {
    : "${SG_TESTRUN:=sgrun$$x$RANDOM}"
    export SG_TESTRUN
}

# sg_survivors: one line "PID ARGV..." per process carrying the marker,
# other than this shell and its parents.
sg_survivors() {
    local p pid var found
    local -a args
    for p in /proc/[0-9]*; do
        pid=${p#/proc/}
        [ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] || [ "$pid" = "$PPID" ] && continue
        found=
        while IFS= read -r -d '' var; do
            case $var in
            "SG_TESTRUN=$SG_TESTRUN" | MAIL_CONFIG=*"$SG_TESTRUN"*) found=1; break ;;
            esac
        done 2>/dev/null <"$p/environ"
        [ -n "$found" ] || continue
        args=()
        mapfile -d '' args 2>/dev/null <"$p/cmdline"
        # a zombie or a kernel thread has no command line
        [ "${#args[@]}" -gt 0 ] || continue
        echo "$pid ${args[*]}"
    done
}

# sg_survivors_stop LINES: TERM, then KILL, the processes listed.
sg_survivors_stop() {
    local pids pid i
    pids=$(cut -d' ' -f1 <<<"$1")
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
    for i in $(seq 1 30); do
        for pid in $pids; do kill -0 "$pid" 2>/dev/null && break; pid=; done
        [ -z "$pid" ] && return 0
        sleep 0.1
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null; done
}

# sg_survivors_check: 0 when nothing carries the marker (waiting up to 5
# seconds for daemons that are already stopping, such as Postfix's
# master after `postfix stop`); otherwise print them, stop them, 1.
sg_survivors_check() {
    local left i
    for i in $(seq 1 50); do
        left=$(sg_survivors)
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    echo "processes started by the tests outlived them:"
    sed 's/^/  /' <<<"$left"
    sg_survivors_stop "$left"
    return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    [ "${1:-}" = run ] && [ $# -ge 2 ] || {
        echo "usage: $0 run COMMAND [ARG...]" >&2
        exit 64
    }
    shift
    sg_survivors_mark
    "$@"
    rc=$?
    sg_survivors_check || exit 1
    exit "$rc"
fi
