# bench/lib.sh - helpers shared by the whole-system benchmark scripts
# (run-throughput.sh, run-callgrind.sh), sourced by bash:
#   . "$(dirname "$0")/lib.sh"
#   bench_start "$@"   # paths, the integration harness, the common checks
#   ...; sg_setup; bench_trap_cleanup; ...
# Milters the script starts go into BENCH_PIDS, to be stopped at exit.

# bench_start [NULL-MILTER-PROGRAM]: SG_SRCDIR, SG_BUILDDIR (default: the
# current directory) and null_bin, absolute; sources the integration
# harness (tests/integration/lib.sh); exits 77 where Postfix or its
# smtp-source / smtp-sink cannot run, and fails on a missing do-nothing
# milter or an ASan build of safeguard-milter (no timing from one).
bench_start() {
    SG_SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    : "${SG_BUILDDIR:=$(pwd)}"
    SG_BUILDDIR=$(cd "$SG_BUILDDIR" && pwd)
    null_bin=${1:-$SG_BUILDDIR/bench/null_milter}
    case $null_bin in /*) ;; *) null_bin=$(pwd)/$null_bin ;; esac
    # shellcheck source=../tests/integration/lib.sh
    . "$SG_SRCDIR/tests/integration/lib.sh"
    sg_require_postfix
    command -v smtp-source >/dev/null && command -v smtp-sink >/dev/null ||
        { echo "SKIP: smtp-source/smtp-sink missing (postfix package)"; exit 77; }
    [ -x "$null_bin" ] || sg_die "$null_bin is not built (make -C bench)"
    if nm -D "$SG_MILTER_BIN" 2>/dev/null | grep -q __asan_init; then
        sg_die "$SG_MILTER_BIN is an ASan build: configure without --enable-asan"
    fi
}

# bench_trap_cleanup: at exit, stop BENCH_PIDS, then the harness's
# sg_cleanup (Postfix, the sink, the work directory).
BENCH_PIDS=()
bench_cleanup() {
    local rc=$? p
    for p in "${BENCH_PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    (exit "$rc")
    sg_cleanup
}
bench_trap_cleanup() {
    trap bench_cleanup EXIT
    trap 'exit 1' INT TERM HUP
}

# One line: the machine, as the reports give it.
bench_machine() { sh "$(dirname "${BASH_SOURCE[0]}")/machine.sh"; }

# bench_wait_port PORT: wait (10 s at most) until something listens on
# 127.0.0.1:PORT; 1 if nothing does.
bench_wait_port() {
    for _i in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# bench_start_sink PORT LOG: a fast sink, smtp-sink accepting and
# discarding (the integration harness's sg_start_sink writes a file per
# message, which would make delivery the bottleneck); its pid in
# SG_SINK_PID, which the harness's sg_cleanup stops.
bench_start_sink() {
    smtp-sink -u postfix "127.0.0.1:$1" 256 >"$2" 2>&1 &
    SG_SINK_PID=$!
    bench_wait_port "$1"
}

# bench_services FILE NAME=MILTER...: one smtpd service per set-up in
# Postfix's master.cf FILE, identical but for "-o smtpd_milters=MILTER"
# (empty: none), each on a free loopback port (sg_free_port, from the
# integration harness), written to the associative array PORT; extra
# "-o" settings for all of them in BENCH_SMTPD_OPTS.
bench_services() {
    _mcf=$1
    shift
    for _spec in "$@"; do
        PORT[${_spec%%=*}]=$(sg_free_port)
        echo "127.0.0.1:${PORT[${_spec%%=*}]} inet n - y - - smtpd -o smtpd_milters=${_spec#*=}${BENCH_SMTPD_OPTS:+ $BENCH_SMTPD_OPTS}"
    done >>"$_mcf"
}
