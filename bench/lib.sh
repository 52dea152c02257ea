# bench/lib.sh - helpers shared by the whole-system benchmark scripts
# (run-throughput.sh, run-callgrind.sh); sourced by bash after the
# integration harness (tests/integration/lib.sh).

# One line: the machine, as the reports give it.
bench_machine() {
    printf 'machine: %s CPUs, %s, %s MiB, %s, kernel %s; load average %s\n' \
        "$(nproc)" \
        "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
        "$(awk '/^MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)" \
        "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-unknown OS}")" \
        "$(uname -r)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

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
# BENCH_SINK_PID.
bench_start_sink() {
    smtp-sink -u postfix "127.0.0.1:$1" 256 >"$2" 2>&1 &
    BENCH_SINK_PID=$!
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
