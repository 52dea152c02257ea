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

# ---- rspamd as a peer (run-throughput.sh; README.md, "with rspamd") ----
# The configuration templates are in bench/rspamd/ (see its rspamd.conf).

# bench_rspamd_available: 0 when Debian's rspamd can run here.  SG_RSPAMD
# chooses: "no" never; "install" installs the package first if it is
# missing (root only); anything else uses it when it is installed.
bench_rspamd_available() {
    [ "${SG_RSPAMD:-}" = no ] && return 1
    command -v rspamd >/dev/null && return 0
    [ "${SG_RSPAMD:-}" = install ] && [ "$(id -u)" = 0 ] || return 1
    bench_rspamd_install && command -v rspamd >/dev/null
}

# bench_rspamd_install: apt-get install rspamd without starting the
# system's rspamd.service: the package's scripts ask invoke-rc.d (and
# deb-systemd-invoke), which ask /usr/sbin/policy-rc.d; exit 101 there
# means "do not start".  A policy-rc.d already present is left as it is
# (Debian's container images ship one that says 101).  Without the
# recommended Redis server, which the benchmark does not use.  The unit
# is then disabled, and stopped where systemd runs, so that no system
# rspamd runs beside the benchmark's own.
bench_rspamd_install() {
    local policy=/usr/sbin/policy-rc.d own='' rc
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own=1
    fi
    echo "installing rspamd (SG_RSPAMD=install)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rspamd \
        >"${SG_WORK:-/tmp}/apt-rspamd.log" 2>&1
    rc=$?
    [ -n "$own" ] && rm -f "$policy"
    if command -v systemctl >/dev/null; then
        systemctl disable rspamd.service >/dev/null 2>&1
        [ -d /run/systemd/system ] && systemctl stop rspamd.service >/dev/null 2>&1
    fi
    [ "$rc" -eq 0 ] || echo "apt-get install rspamd failed: $(tail -3 "${SG_WORK:-/tmp}/apt-rspamd.log")"
    return "$rc"
}

# bench_rspamd_prepare DIR PORT WORKERS: a private rspamd configuration in
# DIR: bench/rspamd/rspamd.conf with its milter proxy on 127.0.0.1:PORT in
# WORKERS processes, override.d (the templates, and "enabled = false;"
# for each module in bench/rspamd/disabled-modules), and safeguard.lua,
# the regular expressions of bench/rspamd/detectors with their patterns
# expanded from rules/detect.c by the C compiler.  1 on failure.
bench_rspamd_prepare() {
    local dir=$1 port=$2 workers=$3 tpl=$SG_SRCDIR/bench/rspamd
    local sym macro flags rest m pat
    mkdir -p "$dir/override.d" "$dir/db" "$dir/run" "$dir/patterns" || return 1
    sed -e "s/@PORT@/$port/" -e "s/@WORKERS@/$workers/" "$tpl/rspamd.conf" >"$dir/rspamd.conf"
    cp "$tpl"/override.d/* "$dir/override.d/" || return 1
    grep -v '^#' "$tpl/disabled-modules" | while read -r m _; do
        [ -n "$m" ] && echo 'enabled = false;' >"$dir/override.d/$m.conf"
    done
    # Every #define of detect.c (with its continuation lines), and a program
    # that prints the macros the detectors file names, one a line.
    awk '/^#define/ { d = 1 } d { print } d && !/\\$/ { d = 0 }' \
        "$SG_SRCDIR/rules/detect.c" >"$dir/patterns/defines.h"
    {
        echo '#include <stdio.h>'
        echo '#include "defines.h"'
        echo 'int main(void) {'
        grep -v '^#' "$tpl/detectors" | while read -r sym macro flags rest; do
            [ -n "$sym" ] && echo "    puts($macro);"
        done
        echo '    return 0;'
        echo '}'
    } >"$dir/patterns/patterns.c"
    "${CC:-cc}" -o "$dir/patterns/patterns" "$dir/patterns/patterns.c" \
        >"$dir/patterns/cc.log" 2>&1 ||
        { echo "cannot expand the detectors' patterns from rules/detect.c:"; cat "$dir/patterns/cc.log"; return 1; }
    "$dir/patterns/patterns" >"$dir/patterns/patterns.txt" || return 1
    # safeguard.lua: one regexp rule per detector; a Lua long string keeps
    # the pattern's backslashes, and "/" is escaped as rspamd's /.../ needs.
    {
        echo "-- written by run-throughput.sh from bench/rspamd/detectors and rules/detect.c"
        grep -v '^#' "$tpl/detectors" | while read -r sym macro flags rest; do
            [ -n "$sym" ] || continue
            IFS= read -r pat <&3 || break
            pat=$(printf '%s' "$pat" | sed 's,/,\\/,g')
            printf "config['regexp']['%s'] = {\n    re = [==[/%s/%s{mime}]==],\n" "$sym" "$pat" "$flags"
            printf "    score = 20.0,\n    group = 'safeguard',\n    description = '%s (%s)',\n}\n" "$rest" "$macro"
        done 3<"$dir/patterns/patterns.txt"
    } >"$dir/safeguard.lua"
    [ "$(grep -c '^config' "$dir/safeguard.lua")" -eq "$(grep -vc '^#' "$tpl/detectors")" ] ||
        { echo "safeguard.lua: not one rule per detector"; return 1; }
}

# bench_rspamd_start DIR: rspamd in the foreground (-f) with the
# configuration of bench_rspamd_prepare, its variables pointing at DIR
# (no file of a system rspamd is read or written but the stock rules in
# /etc/rspamd and /usr/share/rspamd); its main process's pid in
# RSPAMD_PID, added to BENCH_PIDS (stopping it stops its workers).
bench_rspamd_start() {
    local dir=$1
    rspamd -f -u root -g root -c "$dir/rspamd.conf" \
        --var="LOCAL_CONFDIR=$dir" --var="DBDIR=$dir/db" \
        --var="RUNDIR=$dir/run" --var="LOGDIR=$dir" >"$dir/rspamd.out" 2>&1 &
    RSPAMD_PID=$!
    BENCH_PIDS+=("$RSPAMD_PID")
}

# bench_rspamd_wait DIR PORT WORKERS: wait (300 s at most: rspamd compiles
# its URL suffixes and regular expressions at start) until the proxy
# listens on PORT and each of its WORKERS processes has loaded the
# Hyperscan database; 1 if rspamd died or never listened.  A Hyperscan
# database not loaded in time is only reported (the workers then use
# PCRE2 for everything).
bench_rspamd_wait() {
    local dir=$1 port=$2 workers=$3 n=0
    for _ in $(seq 1 3000); do
        kill -0 "$RSPAMD_PID" 2>/dev/null || { echo "rspamd exited: $(tail -5 "$dir/rspamd.out" "$dir/rspamd.log" 2>/dev/null)"; return 1; }
        n=$(grep -c 'rspamd_proxy).*full hyperscan database of .* has been loaded' "$dir/rspamd.log" 2>/dev/null)
        [ "${n:-0}" -ge "$workers" ] && break
        sleep 0.1
    done
    [ "${n:-0}" -ge "$workers" ] || echo "rspamd: the Hyperscan database was not loaded by all workers in time"
    bench_wait_port "$port"
}
