#!/bin/bash
# run-callgrind.sh - what one message costs each milter, counted rather
# than timed (see README.md, "Cost per message, counted"): the same
# messages through a private Postfix to safeguard-milter and to the tuned
# do-nothing milter (bench/null_milter), each on a unix and an inet socket:
#   1. user-space instructions per message (valgrind --tool=callgrind on the
#      running milter, zeroed after a warm-up, dumped after N messages), and
#      where safeguard-milter's go (callgrind_annotate, inclusive);
#   2. system calls per message on the milter's side (strace -f -c on a
#      second copy of each milter, not under valgrind);
#   3. TCP segments per message on the inet sockets (tcpdump on lo);
# and, as a timing beside the counts, the CPU time and context switches
# per message of each milter, not under valgrind.
# Counts repeat from run to run where wall-clock rates on a shared machine
# do not; they leave out the kernel's work (2 and 3 show where that goes).
#
# The message is the throughput benchmark's: smtp-source, 4 KB of lines of
# X, from a member of staff to a pupil over a trusted connection, which the
# shipped policy journals (safeguard-milter adds a recipient and two
# headers); and, as a diagnostic, the same from staff to staff, which no
# rule matches (verdict accept).
#
# Usage (root; from a build directory configured without --enable-asan,
# after make):
#   bench/run-callgrind.sh [NULL-MILTER-PROGRAM]
# or make -C bench bench-callgrind
#   N (50) messages counted per set-up after WARM (10); SIZE (4096) bytes
#   (smtp-source -l); CPU_N (500) messages for the CPU time per message (0:
#   none); SG_KEEP=1 keeps the work directory (callgrind files, strace
#   summaries, packet captures).
# The safeguard-milters run as root here (user = empty), because
# callgrind_control cannot reach a process that has changed its user; the
# unix socket is given to group postfix instead.
# Exit 77 when Postfix, valgrind or smtp-source is missing; 1 on any error.
set -u

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bench_start "$@"
N=${N:-50}
WARM=${WARM:-10}
SIZE=${SIZE:-4096}
CPU_N=${CPU_N:-500}
FROM=j.smith@school.example    # staff (school.dir), trusted client 127.0.0.1
TO=amy.patel@school.example    # pupil: journalled
TO_ACCEPT=a.jones@school.example  # staff: no rule matches

for t in valgrind callgrind_control callgrind_annotate; do
    command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
have_strace=$(command -v strace)
have_tcpdump=$(command -v tcpdump)

bench_machine
echo "Postfix $(postconf -d -h mail_version 2>/dev/null), $(valgrind --version)," \
    "strace: ${have_strace:-missing}, tcpdump: ${have_tcpdump:-missing}"

sg_setup
bench_trap_cleanup

bench_start_sink "$SG_SINK_PORT" "$SG_WORK/sink.log" || sg_die "smtp-sink did not start"
SG_POSTFIX_MILTER=
sg_start_postfix
# a milter under callgrind is some 50 times slower: room for that
postconf -c "$SG_PF" -e milter_command_timeout=120s milter_connect_timeout=120s

CG=$SG_WORK/callgrind
mkdir -p "$CG" "$SG_PF/queue/bench"
chmod 755 "$SG_PF/queue/bench"

declare -A PID LOG SOCK
# start_milter NAME SOCKET PROGRAM ARGS...: start in the background, wait
# for its "starting on" line; under callgrind when NAME starts with "cg-".
start_milter() {
    local name=$1 sock=$2 i
    shift 2
    local -a run=("$@")
    if [ "${name#cg-}" != "$name" ]; then
        run=(env BENCH_CG="$name" valgrind --tool=callgrind --dump-instr=no
             "--callgrind-out-file=$CG/%q{BENCH_CG}.out" "$@")
    fi
    LOG[$name]=$SG_WORK/$name.log
    (umask 007; exec "${run[@]}") >>"${LOG[$name]}" 2>&1 &
    PID[$name]=$!
    BENCH_PIDS+=("$!")
    SOCK[$name]=$sock
    for i in $(seq 1 300); do
        grep -q "starting on" "${LOG[$name]}" 2>/dev/null && break
        kill -0 "${PID[$name]}" 2>/dev/null || sg_die "$name did not start: $(cat "${LOG[$name]}")"
        sleep 0.1
    done
    case $sock in
    unix:*)
        for i in $(seq 1 100); do [ -S "${sock#unix:}" ] && break; sleep 0.1; done
        chgrp postfix "${sock#unix:}" || sg_die "$name: no socket ${sock#unix:}"
        ;;
    inet:*)
        local p=${sock#inet:}
        bench_wait_port "${p%@*}" || sg_die "$name: nothing listens on $sock"
        ;;
    esac
}

SG_CONF_COMMON=("directory_backend = file"
    "directory_file = $SG_SRCDIR/contrib/samples/school.dir"
    "journal_address = archive@school.example"
    "user =")
for mode in cg- ""; do
    start_milter "${mode}null-unix" "unix:$SG_PF/queue/bench/${mode}null.sock" \
        "$null_bin" -p "unix:$SG_PF/queue/bench/${mode}null.sock"
    port=$(sg_free_port)
    start_milter "${mode}null-inet" "inet:$port@127.0.0.1" \
        "$null_bin" -p "inet:$port@127.0.0.1"
    for sock in "unix:$SG_PF/queue/bench/${mode}sg.sock" "inet:$(sg_free_port)@127.0.0.1"; do
        name=${mode}sg-${sock%%:*}
        sg_write_milter_conf "${SG_CONF_COMMON[@]}" "socket = $sock" \
            "pidfile = $SG_WORK/$name.pid"
        mv "$SG_MILTER_CONF" "$SG_WORK/$name.conf"
        start_milter "$name" "$sock" "$SG_MILTER_BIN" -f -c "$SG_WORK/$name.conf"
    done
done

# Postfix names the milters relative to its queue directory (unix) or as
# inet:HOST:PORT.
postfix_milter() {
    case $1 in
    unix:*) echo "unix:${1#unix:"$SG_PF/queue/"}" ;;
    inet:*) local p=${1#inet:}; echo "inet:127.0.0.1:${p%@*}" ;;
    esac
}
declare -A PORT
SETUPS=(null-unix null-inet sg-unix sg-inet)
specs=()
for name in "${!SOCK[@]}"; do specs+=("$name=$(postfix_milter "${SOCK[$name]}")"); done
bench_services "$SG_PF/master.cf" "${specs[@]}"
postfix -c "$SG_PF" reload >/dev/null 2>&1 || sg_die "postfix reload failed"
for name in "${!SOCK[@]}"; do bench_wait_port "${PORT[$name]}" || sg_die "smtpd for $name"; done

# send NAME COUNT [TO]: COUNT messages, one connection each, one at a time.
send() {
    smtp-source -s 1 -m "$2" -l "$SIZE" -f "$FROM" -t "${3:-$TO}" \
        "127.0.0.1:${PORT[$1]}" >"$SG_WORK/source.log" 2>&1 ||
        sg_die "smtp-source failed for $1: $(tail -3 "$SG_WORK/source.log")"
    sleep 1 # the milter's close callback comes after the client's QUIT
}

# ---- 1. instructions ----
# cg_count KEY NAME [TO]: instructions per message of the N messages after
# the warm-up into IR[KEY], from a callgrind dump, whose file is DUMPS[KEY].
declare -A IR DUMPS
cg_count() {
    local key=$1 name=cg-$2 before
    shift 2
    send "$name" "$WARM" "${1:-}"
    callgrind_control -z "${PID[$name]}" >/dev/null 2>&1 || sg_die "callgrind_control -z $name"
    before=$(find "$CG" -name "$name.out.*" | wc -l)
    send "$name" "$N" "${1:-}"
    callgrind_control -d "${PID[$name]}" >/dev/null 2>&1 || sg_die "callgrind_control -d $name"
    for _ in $(seq 1 100); do
        [ "$(find "$CG" -name "$name.out.*" | wc -l)" -gt "$before" ] && break
        sleep 0.1
    done
    DUMPS[$key]=$(ls -t "$CG/$name.out."* | head -1)
    IR[$key]=$(awk -v n="$N" '$1 == "totals:" { printf "%.0f", $2 / n }' "${DUMPS[$key]}")
}
for c in "${SETUPS[@]}"; do cg_count "$c" "$c"; done
cg_count sg-unix-accept sg-unix "$TO_ACCEPT"

for c in cg-sg-unix cg-sg-inet; do
    v=$(grep -c "verdict=journal" "${LOG[$c]}")
    [ "$v" -eq $((WARM + N)) ] ||
        sg_die "$c: $v journal verdicts, expected $((WARM + N)): $(grep elapsed_us "${LOG[$c]}" | tail -1)"
done
v=$(grep -c "verdict=accept" "${LOG[cg-sg-unix]}")
[ "$v" -eq $((WARM + N)) ] || sg_die "staff to staff: $v accept verdicts, expected $((WARM + N))"
echo
echo "safeguard-milter's verdict, staff to pupil: $(grep -m1 -o 'verdict=journal rules=[^ ]*' "${LOG[cg-sg-unix]}");" \
    "staff to staff: $(grep -m1 -o 'verdict=accept' "${LOG[cg-sg-unix]}")"

echo
echo "Instructions per message (callgrind, user space, all threads; $N messages"
echo "of $SIZE bytes after $WARM not counted, one at a time, one connection each):"
echo
printf '| %-22s | %12s | %12s |\n' set-up "Ir/message" "x null milter"
echo '|------------------------|-------------:|-------------:|'
for c in "${SETUPS[@]}" sg-unix-accept; do
    ref=${c%-accept}; ref=null-${ref#*-}
    printf '| %-22s | %12s | %12s |\n' "$c" "${IR[$c]}" \
        "$(awk -v a="${IR[$c]}" -v b="${IR[$ref]}" 'BEGIN { printf "%.1f", a / b }')"
done

# Where safeguard-milter's instructions go: inclusive, per message, the
# named functions of 1% or more (JIT code of PCRE2 has no name; it is under
# pcre2_jit_match).
where() {
    echo
    echo "Where $1's instructions go (inclusive Ir per message, functions of 1% or more):"
    echo
    callgrind_annotate --inclusive=yes --auto=no "$2" 2>/dev/null | awk -v n="$N" '
        { gsub(/\( +/, "(") }
        $2 ~ /^\([0-9.]+%\)$/ && $3 ~ /:/ && $3 !~ /^\?\?\?:0x/ {
            pct = $2; gsub(/[()%]/, "", pct)
            if (pct + 0 < 1) exit
            ir = $1; gsub(/,/, "", ir)
            fn = $3; sub(/.*\//, "", fn)
            printf "  %10.0f  %5.1f%%  %s\n", ir / n, pct, fn
        }'
}
where "safeguard-milter (staff to pupil, unix)" "${DUMPS[sg-unix]}"

# ---- CPU time (a timing, not a count: it moves with the machine) ----
# The run time of all the plain milter's threads (schedstat, in ns; the
# libmilter worker pool keeps its threads, so none is lost) and their
# context switches, over CPU_N messages one at a time.
if [ "$CPU_N" -gt 0 ]; then
    # sum over the threads of /proc/PID/task/*/FILE, field or key
    run_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
    switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
    echo
    echo "CPU time per message of the milter process, all threads (schedstat),"
    echo "and its context switches, over $CPU_N messages one at a time, not under"
    echo "valgrind (a timing: it moves with the machine's load; the counts do not):"
    echo
    printf '| %-14s | %7s | %17s |\n' set-up "CPU ms" "context switches"
    echo '|----------------|--------:|------------------:|'
    for c in "${SETUPS[@]}" sg-unix-accept; do
        name=${c%-accept}
        to=$TO; [ "$c" = sg-unix-accept ] && to=$TO_ACCEPT
        t0=$(run_ns "${PID[$name]}"); w0=$(switches "${PID[$name]}")
        send "$name" "$CPU_N" "$to"
        t1=$(run_ns "${PID[$name]}"); w1=$(switches "${PID[$name]}")
        awk -v c="$c" -v t="$((t1 - t0))" -v w="$((w1 - w0))" -v n="$CPU_N" 'BEGIN {
            printf "| %-14s | %7.3f | %17.1f |\n", c, t / 1e6 / n, w / n }'
    done
fi

# ---- 2. system calls, 3. segments ----
declare -A SYS SEG
if [ -n "$have_strace" ]; then
    # strace_count NAME [TO]: per-message counts of the milter's system
    # calls over N messages ("call=count ..."); the packets on an inet
    # socket go to $SG_WORK/pcap.NAME.
    strace_count() {
        local name=$1 sfile=$SG_WORK/strace.$1${2:+-accept} spid tpid=
        local port=${SOCK[$1]#inet:}
        send "$name" "$WARM" "${2:-}"
        strace -f -c -o "$sfile" -p "${PID[$name]}" 2>/dev/null &
        spid=$!
        sleep 1
        if [ -n "$have_tcpdump" ] && [ -z "${2:-}" ] && [ "$port" != "${SOCK[$1]}" ]; then
            tcpdump -i lo -n -U -w "$SG_WORK/pcap.$name" "tcp port ${port%@*}" \
                2>"$SG_WORK/tcpdump.$name.log" &
            tpid=$!
            sg_wait_for "$SG_WORK/tcpdump.$name.log" "listening on" 10 >&2 ||
                sg_die "tcpdump did not start"
        fi
        local flt0
        flt0=$(minflt "${PID[$name]}")
        send "$name" "$N" "${2:-}"
        kill -INT "$spid"; wait "$spid" 2>/dev/null
        [ -n "$tpid" ] && { kill -INT "$tpid"; wait "$tpid" 2>/dev/null; }
        # "% time seconds usecs/call calls [errors] syscall"
        awk -v n="$N" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { c[$NF] += $4 }
            END { for (k in c) printf "%s=%.1f ", k, c[k] / n }' "$sfile"
        awk -v a="$flt0" -v b="$(minflt "${PID[$name]}")" -v n="$N" \
            'BEGIN { printf "faults=%.1f", (b - a) / n }'
    }
    # minor page faults of a process so far (all its threads)
    minflt() { awk '{ sub(/.*\) /, ""); print $8 }' "/proc/$1/stat"; }
    # segment_count NAME: per message, data segments to and from the milter,
    # pure ACKs to and from it, and the rest (SYN, FIN), from the capture.
    segment_count() {
        local port=${SOCK[$1]#inet:}
        tcpdump -r "$SG_WORK/pcap.$1" -n 2>/dev/null | awk -v p=".${port%@*}:" -v n="$N" '
            { to = index($5, p) > 0; len = $NF + 0
              if (len > 0) d[to]++; else if ($7 == "[.],") a[to]++; else o++ }
            END { printf "%.1f %.1f %.1f %.1f %.1f", d[1] / n, d[0] / n, a[1] / n, a[0] / n, o / n }'
    }
    for c in "${SETUPS[@]}"; do
        SYS[$c]=$(strace_count "$c")
        [ -f "$SG_WORK/pcap.$c" ] && SEG[$c]=$(segment_count "$c")
    done
    SYS[sg-unix-accept]=$(strace_count sg-unix "$TO_ACCEPT")
    echo
    echo "System calls per message, the milter's side (strace -f -c, $N messages;"
    echo "not under valgrind; \"all\" counts calls, not the page faults):"
    echo
    cols=(read writev write poll futex accept close)
    printf '| %-14s |' set-up; printf ' %7s |' "${cols[@]}" all "page faults"; echo
    printf '|----------------|'; for _ in "${cols[@]}" all faults; do printf -- '--------:|'; done; echo
    for c in "${SETUPS[@]}" sg-unix-accept; do
        printf '| %-14s |' "$c"
        for k in "${cols[@]}" faults; do
            [ "$k" = faults ] && printf ' %7s |' \
                "$(tr ' ' '\n' <<<"${SYS[$c]}" | awk -F= '$1 != "faults" { s += $2 } END { printf "%.1f", s }')"
            printf ' %7s |' "$(tr ' ' '\n' <<<"${SYS[$c]}" | awk -F= -v k="$k" '$1 == k { v = $2 } END { print v == "" ? 0 : v }')"
        done
        echo
    done
    if [ -n "$have_tcpdump" ]; then
        echo
        echo "TCP segments per message on the inet milter socket (tcpdump on lo):"
        echo
        echo '| set-up    | data to milter | data from milter | pure ACKs to milter | pure ACKs from milter | SYN/FIN/other |'
        echo '|-----------|---------------:|-----------------:|--------------------:|----------------------:|--------------:|'
        for c in null-inet sg-inet; do
            read -r dt df at af o <<<"${SEG[$c]:-- - - - -}"
            printf '| %-9s | %14s | %16s | %19s | %21s | %13s |\n' "$c" "$dt" "$df" "$at" "$af" "$o"
        done
    fi
fi
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
