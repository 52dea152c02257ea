#!/bin/bash
# run-throughput.sh - the whole-system throughput benchmark (see README.md,
# "Whole system through Postfix"): smtp-source -> a private Postfix ->
# smtp-sink, with (a) no milter, (b) the tuned do-nothing milter
# (bench/null_milter), (c) safeguard-milter with the shipped policy and the
# demo school, each milter on a unix socket and on an inet socket, for 4 KB
# and 100 KB messages with 8 and 32 concurrent sessions, and (d) where
# Debian's rspamd is installed, rspamd as a peer: its milter proxy on
# loopback TCP, with regular expressions equivalent to safeguard-milter's
# personal-contact detectors and its network and Redis modules off
# (bench/rspamd/).  Reports messages per second (median of ROUNDS runs),
# latency per message from a separate sequential probe, the milter's own
# end-of-message time (elapsed_us of its summary lines), and the milters'
# CPU time and memory.
#
# One Postfix serves all set-ups: one main.cf (no milter) and one smtpd
# service per set-up in master.cf, identical but for "-o smtpd_milters=...".
# All milters run for the whole benchmark; the rounds interleave the
# set-ups so that all see the same machine.
#
# Usage (root; from the build directory, after make):
#   bench/run-throughput.sh [NULL-MILTER-PROGRAM]
# or make -C bench bench-throughput
#   NULL-MILTER-PROGRAM defaults to $SG_BUILDDIR/bench/null_milter.
#   SG_BUILDDIR (default: the current directory) must hold a build of
#   milter/safeguard-milter; build it without --enable-asan for a timing.
#   ROUNDS (3), N4K (messages per 4 KB run), N100K (per 100 KB run),
#   PROBE_N (messages per latency probe) change the amounts; SG_KEEP=1
#   keeps the work directory (logs, raw results).  BASE_MILTER=PROGRAM adds
#   a safeguard-milter from another build (an earlier version) on unix as
#   one more set-up of the same rounds, and a table of this build against it.
#   SG_RSPAMD: unset, rspamd is a set-up when it is installed (the script
#   says so when it is not); "install" installs Debian's package first
#   (root; no system rspamd is left running); "no" leaves it out.
#   RSPAMD_WORKERS: its proxy processes (default: the CPUs, nproc).
# Exit 77 when Postfix cannot run here; 1 on any error or lost message.
set -u

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bench_start "$@"
ROUNDS=${ROUNDS:-3}
N4K=${N4K:-2000}
N100K=${N100K:-1000}
PROBE_N=${PROBE_N:-200}
FROM=j.smith@school.example   # staff (school.dir), trusted client 127.0.0.1
TO=amy.patel@school.example   # pupil (school.dir)

command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

t_start=$(date +%s)
load() { cut -d' ' -f1-3 /proc/loadavg; }
bench_machine
echo "Postfix $(postconf -d -h mail_version 2>/dev/null)"

sg_setup
bench_trap_cleanup
R=$SG_WORK/results.tsv   # kind config size sessions round values...
: >"$R"

bench_start_sink "$SG_SINK_PORT" "$SG_WORK/sink.log" || sg_die "smtp-sink did not start"

# (d) rspamd, started first: it takes tens of seconds to compile its
# regular expressions (bench_rspamd_wait below).  Its milter proxy scans
# in its own processes (self_scan), as many as the machine has CPUs (the
# stock proxy runs one).
HAVE_RSPAMD=
if bench_rspamd_available; then
    HAVE_RSPAMD=1
    RSPAMD_DIR=$SG_WORK/rspamd
    RSPAMD_PORT=$(sg_free_port)
    RSPAMD_WORKERS=${RSPAMD_WORKERS:-$(nproc)}
    bench_rspamd_prepare "$RSPAMD_DIR" "$RSPAMD_PORT" "$RSPAMD_WORKERS" ||
        sg_die "cannot write rspamd's configuration"
    bench_rspamd_start "$RSPAMD_DIR"
    echo "$(rspamd --version | head -1): a peer, $RSPAMD_WORKERS proxy processes on inet:127.0.0.1:$RSPAMD_PORT"
elif [ "${SG_RSPAMD:-}" = no ]; then
    echo "rspamd: left out (SG_RSPAMD=no)"
else
    echo "rspamd: not installed, its column is left out (apt-get install rspamd, or run as root with SG_RSPAMD=install)"
fi

# Postfix: main.cf without milters (smtpd_milters and non_smtpd_milters
# empty); the milters are per smtpd service below.
SG_POSTFIX_MILTER=
sg_start_postfix

wait_port() { bench_wait_port "$1" || sg_die "nothing listens on 127.0.0.1:$1"; }

# (b) the null milter, unix socket inside the queue directory (as the
# harness does for safeguard-milter) and inet.
mkdir -p "$SG_PF/queue/bench" && chmod 755 "$SG_PF/queue/bench"
NULL_INET_PORT=$(sg_free_port)
(umask 0; exec "$null_bin" -p "unix:$SG_PF/queue/bench/null.sock") \
    >>"$SG_WORK/null-unix.log" 2>&1 &
NULL_UNIX_PID=$!; BENCH_PIDS+=("$NULL_UNIX_PID")
"$null_bin" -p "inet:$NULL_INET_PORT@127.0.0.1" >>"$SG_WORK/null-inet.log" 2>&1 &
NULL_INET_PID=$!; BENCH_PIDS+=("$NULL_INET_PID")
# A diagnostic beside them: the null milter on inet skipping DATA (-D), as
# safeguard-milter once did (see README.md for what that costs).
NULLD_INET_PORT=$(sg_free_port)
"$null_bin" -D -p "inet:$NULLD_INET_PORT@127.0.0.1" >>"$SG_WORK/null-inet-D.log" 2>&1 &
NULLD_INET_PID=$!; BENCH_PIDS+=("$NULLD_INET_PID")
wait_port "$NULL_INET_PORT"
wait_port "$NULLD_INET_PORT"
for i in $(seq 1 50); do [ -S "$SG_PF/queue/bench/null.sock" ] && break; sleep 0.1; done
[ -S "$SG_PF/queue/bench/null.sock" ] || sg_die "null_milter unix socket missing"

# (c) safeguard-milter: the shipped policy, the demo school from the file
# backend (loaded into memory at start: warm by construction), the
# harness's site settings (school_domains school.example, trusted_networks
# 127.0.0.0/8), and a journal address as a school would set one (staff to
# one pupil is journalled by private-one-to-one).
SG_CONF_COMMON=("directory_backend = file"
    "directory_file = $SG_SRCDIR/contrib/samples/school.dir"
    "journal_address = archive@school.example")
sg_write_milter_conf "${SG_CONF_COMMON[@]}"
sg_start_milter
SG_UNIX_PID=$SG_MILTER_PID
SG_UNIX_LOG=$SG_MILTER_LOG
SG_INET_PORT=$(sg_free_port)
sg_write_milter_conf "${SG_CONF_COMMON[@]}" \
    "socket = inet:$SG_INET_PORT@127.0.0.1" \
    "pidfile = $SG_MILTER_DIR/milter-inet.pid"
cp "$SG_MILTER_CONF" "$SG_WORK/safeguard-milter-inet.conf"
SG_MILTER_CONF=$SG_WORK/safeguard-milter-inet.conf
SG_MILTER_LOG=$SG_WORK/milter-inet.log
SG_MILTER_PID=
sg_start_milter
SG_INET_PID=$SG_MILTER_PID; BENCH_PIDS+=("$SG_INET_PID")
SG_INET_LOG=$SG_MILTER_LOG
# (d) optionally, a second safeguard-milter from another build (BASE_MILTER:
# its program), on unix, with the same settings: an earlier version of the
# code measured in the same run, interleaved with this one.
if [ -n "${BASE_MILTER:-}" ]; then
    [ -x "$BASE_MILTER" ] || sg_die "BASE_MILTER=$BASE_MILTER is not a program"
    base_sock=$(dirname "${SG_MILTER_SOCKET#unix:}")/base.sock
    sg_write_milter_conf "${SG_CONF_COMMON[@]}" "socket = unix:$base_sock" \
        "pidfile = $SG_MILTER_DIR/milter-base.pid"
    cp "$SG_MILTER_CONF" "$SG_WORK/safeguard-milter-base.conf"
    SG_MILTER_CONF=$SG_WORK/safeguard-milter-base.conf
    SG_MILTER_LOG=$SG_WORK/milter-base.log
    SG_MILTER_PID=
    (SG_MILTER_BIN=$BASE_MILTER SG_MILTER_SOCKET=unix:$base_sock
     sg_start_milter && echo "$SG_MILTER_PID" >"$SG_WORK/base.pid") ||
        sg_die "the baseline milter did not start"
    SG_BASE_PID=$(cat "$SG_WORK/base.pid"); BENCH_PIDS+=("$SG_BASE_PID")
    SG_BASE_LOG=$SG_MILTER_LOG
fi
SG_MILTER_PID=$SG_UNIX_PID   # the harness stops this one
SG_MILTER_LOG=$SG_UNIX_LOG
wait_port "$SG_INET_PORT"

# Six smtpd services, identical but for the milter.
CONFIGS=(none null-unix null-inet sg-unix sg-inet null-inet-D sg-unix-accept)
declare -A PORT MILTER PID LOG
MILTER[none]=""
MILTER[null-unix]="unix:bench/null.sock"
MILTER[null-inet]="inet:127.0.0.1:$NULL_INET_PORT"
MILTER[sg-unix]="unix:safeguard/milter.sock"
MILTER[sg-inet]="inet:127.0.0.1:$SG_INET_PORT"
MILTER[null-inet-D]="inet:127.0.0.1:$NULLD_INET_PORT"
# Diagnostic: safeguard-milter on unix, but staff to staff, which no rule
# matches: the same work in the milter up to the verdict, and no journal
# recipient, no X-Safeguard headers (nothing more for Postfix to do).
MILTER[sg-unix-accept]="unix:safeguard/milter.sock"
declare -A CFROM CTO
CFROM[sg-unix-accept]=j.smith@school.example
CTO[sg-unix-accept]=a.jones@school.example
PID[null-unix]=$NULL_UNIX_PID; PID[null-inet]=$NULL_INET_PID
PID[sg-unix]=$SG_UNIX_PID; PID[sg-inet]=$SG_INET_PID
PID[null-inet-D]=$NULLD_INET_PID; PID[sg-unix-accept]=$SG_UNIX_PID
LOG[sg-unix-accept]=$SG_UNIX_LOG
LOG[sg-unix]=$SG_UNIX_LOG; LOG[sg-inet]=$SG_INET_LOG
if [ -n "${BASE_MILTER:-}" ]; then
    CONFIGS+=(sg-base-unix)
    MILTER[sg-base-unix]="unix:$(basename "$(dirname "$base_sock")")/base.sock"
    PID[sg-base-unix]=$SG_BASE_PID; LOG[sg-base-unix]=$SG_BASE_LOG
fi
MILTERS=(null-unix null-inet sg-unix sg-inet)
[ -n "${BASE_MILTER:-}" ] && MILTERS+=(sg-base-unix)
if [ -n "$HAVE_RSPAMD" ]; then
    bench_rspamd_wait "$RSPAMD_DIR" "$RSPAMD_PORT" "$RSPAMD_WORKERS" ||
        sg_die "rspamd did not start (see $RSPAMD_DIR/rspamd.log)"
    CONFIGS+=(rspamd-inet)
    MILTERS+=(rspamd-inet)
    MILTER[rspamd-inet]="inet:127.0.0.1:$RSPAMD_PORT"
    PID[rspamd-inet]=$RSPAMD_PID
fi
specs=()
for c in "${CONFIGS[@]}"; do specs+=("$c=${MILTER[$c]}"); done
bench_services "$SG_PF/master.cf" "${specs[@]}"
postfix -c "$SG_PF" reload >/dev/null 2>&1 || sg_die "postfix reload failed"
for c in "${CONFIGS[@]}"; do wait_port "${PORT[$c]}"; done

echo
echo "Postfix main.cf (the same for all; the milter only in master.cf):"
sed 's/^/    /' "$SG_PF/main.cf"
echo "master.cf, the services under test:"
grep -- '-o smtpd_milters' "$SG_PF/master.cf" | sed 's/^/    /'
echo "safeguard-milter config (unix; the inet one differs in socket and pidfile):"
sed 's/^/    /' "$SG_WORK/safeguard-milter.conf"
if [ -n "$HAVE_RSPAMD" ]; then
    echo "rspamd: bench/rspamd/rspamd.conf (proxy: milter = yes, self_scan, count = $RSPAMD_WORKERS);"
    echo "modules off: $(grep -v '^#' "$SG_SRCDIR/bench/rspamd/disabled-modules" | awk '{ printf "%s%s", s, $1; s = " " }')"
    echo "its regular expressions (safeguard.lua; patterns abridged):"
    sed -n "s/^config\['regexp'\]\['\(.*\)'\].*/\1/p; s/^ *re = \[==\[\(.\{60\}\).*\(\/[a-z]*{mime}\)\]==\],/\1 ... \2/p" \
        "$RSPAMD_DIR/safeguard.lua" | paste - - | sed 's/^/    /'
    grep -c 'cannot compile' "$RSPAMD_DIR/rspamd.log" |
        awk '{ print "rspamd: " $1 " regular expressions that Hyperscan cannot compile (lookbehind, lookahead) run with PCRE2" }'
fi

# A milter's processes: PID and its children (rspamd's workers; the
# other milters are one process each).
procs() { echo "$1"; pgrep -P "$1"; }
# CPU time of a milter's processes so far, ms (utime + stime).
cpu_ms() {
    local p
    for p in $(procs "$1"); do cat "/proc/$p/stat" 2>/dev/null; echo; done |
        awk -v hz="$(getconf CLK_TCK)" 'NF { sub(/.*\) /, ""); t += $12 + $13 } END { print t * 1000 / hz }'
}
# A field of /proc/PID/status (VmRSS, VmHWM; KiB), summed over the milter's
# processes (for rspamd's, pages they share are counted in each).
vm() {
    local p
    for p in $(procs "$1"); do cat "/proc/$p/status" 2>/dev/null; done |
        awk -v k="$2:" '$1 == k { t += $2 } END { print t + 0 }'
}
# Reset the peak (VmHWM) of the milter's processes.
reset_hwm() {
    local p
    for p in $(procs "$1"); do echo 5 >"/proc/$p/clear_refs"; done
}

queue_files() {
    find "$SG_PF/queue/maildrop" "$SG_PF/queue/incoming" \
        "$SG_PF/queue/active" "$SG_PF/queue/deferred" "$SG_PF/queue/hold" \
        -type f 2>/dev/null | wc -l
}

# Wait until Postfix has delivered everything; prints the seconds taken.
drain() {
    local t0 i
    t0=$(date +%s.%N)
    for i in $(seq 1 1200); do
        [ "$(queue_files)" -eq 0 ] && break
        sleep 0.05
    done
    [ "$(queue_files)" -eq 0 ] || sg_die "queue did not drain: $(queue_files) files left"
    awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'
}

# Deliveries the sink must see: one per message, two through
# safeguard-milter (it adds the journal recipient).
SENT_TOTAL=0 DELIVERIES=0
count_sent() {
    SENT_TOTAL=$((SENT_TOTAL + $2))
    case $1 in sg-unix-accept) DELIVERIES=$((DELIVERIES + $2)) ;;
               sg-*) DELIVERIES=$((DELIVERIES + 2 * $2)) ;;
               *) DELIVERIES=$((DELIVERIES + $2)) ;; esac
}
# run CONFIG SIZE SESSIONS COUNT: one smtp-source run; seconds in SECS.
run() {
    local c=$1 size=$2 s=$3 n=$4 t0 t1
    t0=$(date +%s.%N)
    smtp-source -s "$s" -m "$n" -l "$size" -f "${CFROM[$c]:-$FROM}" -t "${CTO[$c]:-$TO}" \
        "127.0.0.1:${PORT[$c]}" >"$SG_WORK/source.log" 2>&1 ||
        sg_die "smtp-source failed for $c: $(tail -3 "$SG_WORK/source.log")"
    t1=$(date +%s.%N)
    count_sent "$c" "$n"
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
}

# The sequential latency probe: one message per connection, as smtp-source
# sends them; each timed from connect() to the 250 after the final dot.
cat >"$SG_WORK/probe.py" <<'PY'
import socket, sys, time
port, n, size, frm, to = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
# a body like smtp-source -l: 80-byte lines of X after a line number
lines, k = [], 0
while sum(len(l) + 2 for l in lines) < size:
    k += 1
    lines.append((str(k % 10) + "X" * 78)[:78])
body = "\r\n".join(lines) + "\r\n"
def reply(f):
    while True:
        l = f.readline()
        if not l:
            raise SystemExit("connection closed")
        if l[3:4] != b"-":
            return l
for i in range(n):
    msg = ("From: <%s>\r\nTo: <%s>\r\nDate: %s\r\nMessage-Id: <probe.%d.%f@vm>\r\n\r\n"
           % (frm, to, time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()), i, time.time())) + body
    t0 = time.perf_counter()
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    for cmd in (None, b"HELO vm\r\n", b"MAIL FROM:<%s>\r\n" % frm.encode(),
                b"RCPT TO:<%s>\r\n" % to.encode(), b"DATA\r\n",
                msg.encode() + b".\r\n"):
        if cmd is not None:
            s.sendall(cmd)
        r = reply(f)
        if r[:1] not in (b"2", b"3"):
            raise SystemExit("unexpected reply %r" % r)
    t1 = time.perf_counter()
    s.sendall(b"QUIT\r\n"); reply(f); s.close()
    print("%.1f" % ((t1 - t0) * 1e6))
PY

# Milter end-of-message time from its summary lines, lines FROM..TO of LOG.
elapsed_of() {
    sed -n "$2,$3p" "$1" | sed -n 's/.* elapsed_us=\([0-9]*\).*/\1/p'
}
lines_of() { wc -l <"$1"; }

# p50 and p99 of a column of numbers (nearest rank).
pct() {
    sort -n | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "- -"; exit }
        i50 = int(NR * 0.50 + 0.999999); i99 = int(NR * 0.99 + 0.999999)
        printf "%s %s\n", v[i50], v[i99] }'
}

SIZES=(4096 102400)
declare -A N=([4096]=$N4K [102400]=$N100K)
declare -A SZNAME=([4096]="4 KB" [102400]="100 KB")

echo
echo "idle RSS just after start (KiB):$(for c in "${MILTERS[@]}"; do printf ' %s %s' "$c" "$(vm "${PID[$c]}" VmRSS)"; done)"
for c in "${MILTERS[@]}"; do
    echo "rss_start $c - - - $(vm "${PID[$c]}" VmRSS)" >>"$R"
done

# Warm up every path (Postfix processes, milter threads, directory
# cache), then check what safeguard-milter decided.
for c in "${CONFIGS[@]}"; do run "$c" 4096 8 64; done
drain >/dev/null
for c in "${MILTERS[@]}"; do
    case $c in sg-*) ;; *) continue ;; esac
    v=$(grep -c "verdict=journal" "${LOG[$c]}")
    [ "$v" -ge 64 ] || sg_die "$c: expected journal verdicts, got: $(grep elapsed_us "${LOG[$c]}" | tail -1)"
done
echo "safeguard-milter's verdict for the benchmark message:"
grep -m1 "elapsed_us=" "$SG_UNIX_LOG" | sed 's/^/    /'
if [ -n "$HAVE_RSPAMD" ]; then
    # rspamd's verdict for the same message (its log line of a warm-up
    # message), then the proof that its regular expressions act: a letter
    # from staff to a pupil with a mobile number, through Postfix and
    # rspamd's proxy, must be refused with the benchmark's reject message,
    # and rspamd's log must name SG_UK_PHONE.  That one refusal is the only
    # one the delivery check at the end allows.
    echo "rspamd's verdict for the benchmark message (its log):"
    grep -m1 '(default: ' "$RSPAMD_DIR/rspamd.log" | sed 's/.*(default: /    (default: /'
    cat >"$SG_WORK/flag.py" <<'PY'
import smtplib, sys
port, frm, to = int(sys.argv[1]), sys.argv[2], sys.argv[3]
msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: Revision over the weekend\r\n\r\n"
       "Dear Amy,\r\n\r\nIf you get stuck with the revision questions over the "
       "weekend, text me on 07700 900123.\r\n\r\nMr Smith\r\n" % (frm, to))
s = smtplib.SMTP("127.0.0.1", port)
try:
    s.sendmail(frm, [to], msg)
    print("250 accepted")
except smtplib.SMTPDataError as e:
    print(e.smtp_code, e.smtp_error.decode())
s.quit()
PY
    flag=$(python3 "$SG_WORK/flag.py" "${PORT[rspamd-inet]}" "$FROM" "$TO" 2>&1)
    echo "rspamd and a letter with a mobile number: $flag"
    case $flag in "554 "*"Personal contact details (rspamd)"*) ;;
        *) sg_die "rspamd did not refuse the letter with a mobile number" ;; esac
    for i in $(seq 1 50); do
        grep -q 'reject.*SG_UK_PHONE' "$RSPAMD_DIR/rspamd.log" && break
        sleep 0.1
    done
    grep -m1 'reject.*SG_UK_PHONE' "$RSPAMD_DIR/rspamd.log" | sed 's/.*(default: /    (default: /' |
        grep . || sg_die "rspamd's log does not name SG_UK_PHONE for that letter"
fi
for c in "${MILTERS[@]}"; do
    echo "rss_warm $c - - - $(vm "${PID[$c]}" VmRSS)" >>"$R"
done
if [ -n "$HAVE_RSPAMD" ]; then
    # rspamd's processes share pages (forked from one main process), which
    # the sums of VmRSS count once per process; their proportional set size
    # (Pss) counts each page once in all.
    for p in $(procs "$RSPAMD_PID"); do
        printf '%s %s %s\n' "$(tr -d '\0' <"/proc/$p/cmdline" | sed 's/^rspamd: //; s/ process.*//')" \
            "$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)" \
            "$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null)"
    done >"$SG_WORK/rspamd-pss"
    echo "rspamd's processes after warm-up (Pss / VmRSS, KiB):" \
        "$(awk '{ printf "%s%s %d/%d", s, $1, $2, $3; s = ", "; p += $2 } END { printf "; Pss in all %d", p }' "$SG_WORK/rspamd-pss")"
fi

# Latency: PROBE_N sequential messages through each set-up, quiet system.
echo
echo "latency probe: $PROBE_N sequential messages per set-up and size (load $(load))"
for size in "${SIZES[@]}"; do
    for c in "${CONFIGS[@]}"; do
        l0=0; [ -n "${LOG[$c]:-}" ] && l0=$(lines_of "${LOG[$c]}")
        python3 "$SG_WORK/probe.py" "${PORT[$c]}" "$PROBE_N" "$size" \
            "${CFROM[$c]:-$FROM}" "${CTO[$c]:-$TO}" \
            >"$SG_WORK/probe.$c.$size" || sg_die "probe failed for $c"
        count_sent "$c" "$PROBE_N"
        read -r p50 p99 < <(pct <"$SG_WORK/probe.$c.$size")
        e50=- e99=-
        if [ -n "${LOG[$c]:-}" ]; then
            read -r e50 e99 < <(elapsed_of "${LOG[$c]}" $((l0 + 1)) '$' | pct)
        fi
        echo "lat $c $size 1 - $p50 $p99 $e50 $e99" >>"$R"
        drain >/dev/null
    done
done

# Throughput rounds, interleaved; the order of the set-ups rotates each
# round.  Before each 32-session run of a milter its VmHWM is reset
# (clear_refs 5), so the peak read after the run is that run's.
echo
echo "throughput: $ROUNDS rounds; $N4K messages per 4 KB run, $N100K per 100 KB run"
nc=${#CONFIGS[@]}
for r in $(seq 1 "$ROUNDS"); do
    echo "round $r (load $(load), $(($(date +%s) - t_start)) s so far)"
    for size in "${SIZES[@]}"; do
        for s in 8 32; do
            for k in $(seq 0 $((nc - 1))); do
                c=${CONFIGS[$(((k + r - 1) % nc))]}
                p=${PID[$c]:-}
                [ -n "$p" ] && [ "$s" = 32 ] && reset_hwm "$p"
                [ "$c" = sg-unix-accept ] && [ "$size" != 4096 ] && continue
                l0=0; [ -n "${LOG[$c]:-}" ] && l0=$(lines_of "${LOG[$c]}")
                cpu0=0; [ -n "$p" ] && cpu0=$(cpu_ms "$p")
                run "$c" "$size" "$s" "${N[$size]}"; secs=$SECS
                hwm=- cpu=-
                if [ -n "$p" ]; then
                    hwm=$(vm "$p" VmHWM)
                    cpu=$(awk -v a="$cpu0" -v b="$(cpu_ms "$p")" -v n="${N[$size]}" 'BEGIN { printf "%.3f", (b - a) / n }')
                fi
                d=$(drain)
                e50=- e99=-
                if [ -n "${LOG[$c]:-}" ]; then
                    read -r e50 e99 < <(elapsed_of "${LOG[$c]}" $((l0 + 1)) '$' | pct)
                fi
                echo "tput $c $size $s $r ${N[$size]} $secs $d $hwm $e50 $e99 $cpu" >>"$R"
                printf '  %-14s %6s %2s sessions: %5d msgs in %6.2f s = %6.1f msg/s (queue empty %s s later)\n' \
                    "$c" "${SZNAME[$size]}" "$s" "${N[$size]}" "$secs" \
                    "$(awk -v n="${N[$size]}" -v t="$secs" 'BEGIN { print n / t }')" "$d"
            done
        done
    done
done
echo "load average at end: $(load)"

# Nothing lost: every message was delivered to the sink (Postfix logs
# status=sent per recipient: safeguard-milter adds the journal recipient).
for i in $(seq 1 100); do   # postlogd writes the log a little later
    sent=$(grep -c ' status=sent ' "$SG_MAILLOG")
    [ "$sent" -ge "$DELIVERIES" ] && break
    sleep 0.1
done
# (rspamd's refusal of the letter with a mobile number is not counted)
bad=$(grep -E ' status=(deferred|bounced)|milter-reject|reject:' "$SG_MAILLOG" |
    grep -vc 'Personal contact details (rspamd)')
echo "messages sent by the clients: $SENT_TOTAL; deliveries expected $DELIVERIES" \
    "(safeguard-milter journals each), logged status=sent: $sent; deferred/bounced/rejected: $bad"
[ "$bad" -eq 0 ] && [ "$sent" -eq "$DELIVERIES" ] ||
    sg_die "some messages were not delivered (see $SG_MAILLOG)"

# ---- the report ----
med() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "-" }'; }
rate() { # CONFIG SIZE SESSIONS -> "median min max" messages/s
    awk -v c="$1" -v z="$2" -v s="$3" '$1 == "tput" && $2 == c && $3 == z && $4 == s { print $6 / $7 }' "$R" |
        sort -n | awk '{ v[NR] = $1 } END {
            if (NR == 0) print "- - -"
            else printf "%.0f %.0f %.0f\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
echo
echo "Messages per second accepted (smtp-source wall time; median of $ROUNDS, min-max):"
echo
printf '| %-6s | %8s | %15s | %15s | %15s | %15s | %15s | %12s | %12s |\n' size sessions \
    "no milter" "null, unix" "safeguard, unix" "null, inet" "safeguard, inet" "sg/null unix" "sg/null inet"
echo '|--------|---------:|----------------:|----------------:|----------------:|----------------:|----------------:|-------------:|-------------:|'
declare -A RATIO RRATIO
for size in "${SIZES[@]}"; do
    for s in 8 32; do
        row=()
        declare -A M=()
        for c in none null-unix sg-unix null-inet sg-inet null-inet-D sg-unix-accept rspamd-inet; do
            read -r m lo hi < <(rate "$c" "$size" "$s")
            M[$c]=$m
            if [ "$m" = - ]; then row+=(-); else row+=("$(printf '%s (%s-%s)' "$m" "$lo" "$hi")"); fi
        done
        ru=$(awk -v a="${M[sg-unix]}" -v b="${M[null-unix]}" 'BEGIN { printf "%.2f", a / b }')
        ri=$(awk -v a="${M[sg-inet]}" -v b="${M[null-inet]}" 'BEGIN { printf "%.2f", a / b }')
        RATIO[$size.$s]="$ru $ri"
        printf '| %-6s | %8s | %15s | %15s | %15s | %15s | %15s | %12s | %12s |\n' \
            "${SZNAME[$size]}" "$s" "${row[@]:0:5}" "$ru" "$ri" >>"$SG_WORK/table1"
        ra=$(awk -v a="${M[sg-unix-accept]}" -v b="${M[null-unix]}" 'BEGIN { if (a == "" || a == "-") print "-"; else printf "%.2f", a / b }')
        rd=$(awk -v a="${M[null-inet-D]}" -v b="${M[null-unix]}" 'BEGIN { printf "%.2f", a / b }')
        printf '| %-6s | %8s | %15s | %12s | %23s | %12s |\n' \
            "${SZNAME[$size]}" "$s" "${row[5]}" "$rd" "${row[6]}" "$ra" >>"$SG_WORK/table2"
        # rspamd: safeguard-milter / rspamd, each socket, the journalled
        # letter, and (4 KB) the staff-to-staff letter no rule acts on.
        rr() { awk -v a="$1" -v b="${M[rspamd-inet]}" 'BEGIN { if (a == "" || a == "-" || b == "-") print "-"; else printf "%.2f", a / b }'; }
        rru=$(rr "${M[sg-unix]}"); rri=$(rr "${M[sg-inet]}"); rra=$(rr "${M[sg-unix-accept]}")
        RRATIO[$size.$s]="$rru $rri"
        printf '| %-6s | %8s | %15s | %15s | %15s | %14s | %14s | %15s | %17s |\n' \
            "${SZNAME[$size]}" "$s" "${row[7]}" "${row[2]}" "${row[4]}" "$rru" "$rri" "${row[6]}" "$rra" >>"$SG_WORK/table3"
    done
done

cat "$SG_WORK/table1"
if [ -n "$HAVE_RSPAMD" ]; then
    echo
    echo "rspamd as a peer, same runs: rspamd's milter proxy on inet ($RSPAMD_WORKERS processes)"
    echo "against safeguard-milter with the journalled letter (sg/rspamd), and with"
    echo "staff-to-staff mail that no rule acts on (accept, 4 KB only):"
    echo
    printf '| %-6s | %8s | %15s | %15s | %15s | %14s | %14s | %15s | %17s |\n' size sessions \
        "rspamd, inet" "safeguard, unix" "safeguard, inet" "sg unix/rspamd" "sg inet/rspamd" "sg accept, unix" "sg accept/rspamd"
    echo '|--------|---------:|----------------:|----------------:|----------------:|---------------:|---------------:|----------------:|------------------:|'
    cat "$SG_WORK/table3"
fi
if [ -n "${BASE_MILTER:-}" ]; then
    echo
    echo "This build against the baseline ($BASE_MILTER), both on unix, same runs:"
    echo
    echo '| size   | sessions | baseline, unix | this build, unix | this/baseline |'
    echo '|--------|---------:|---------------:|-----------------:|--------------:|'
    for size in "${SIZES[@]}"; do for s in 8 32; do
        read -r mb lob hib < <(rate sg-base-unix "$size" "$s")
        read -r mn lon hin < <(rate sg-unix "$size" "$s")
        printf '| %-6s | %8s | %14s | %16s | %13s |\n' "${SZNAME[$size]}" "$s" \
            "$mb ($lob-$hib)" "$mn ($lon-$hin)" \
            "$(awk -v a="$mn" -v b="$mb" 'BEGIN { printf "%.2f", a / b }')"
    done; done
fi
echo
echo "Diagnostics (same runs): the null milter on inet skipping DATA (-D), and"
echo "safeguard-milter on unix with staff to staff mail that no rule matches"
echo "(verdict accept: no journal recipient, no headers), 4 KB only; ratios are"
echo "against the null milter on unix:"
echo
printf '| %-6s | %8s | %15s | %12s | %23s | %12s |\n' size sessions "null, inet, skips DATA" "/null unix" "safeguard, unix, accept" "/null unix"
echo '|--------|---------:|----------------:|-------------:|------------------------:|-------------:|'
cat "$SG_WORK/table2"

echo
echo "Milter CPU time per message (utime + stime of the milter process over the"
echo "run / messages, for rspamd of all its processes; median of $ROUNDS), ms:"
echo
printf '| %-6s | %8s |' size sessions
for c in "${CONFIGS[@]}"; do [ "$c" = none ] || printf ' %14s |' "$c"; done; echo
printf '|--------|---------:|'; for c in "${CONFIGS[@]}"; do [ "$c" = none ] || printf -- '---------------:|'; done; echo
for size in "${SIZES[@]}"; do for s in 8 32; do
    printf '| %-6s | %8s |' "${SZNAME[$size]}" "$s"
    for c in "${CONFIGS[@]}"; do
        [ "$c" = none ] && continue
        printf ' %14s |' "$(awk -v c="$c" -v z="$size" -v s="$s" '$1 == "tput" && $2 == c && $3 == z && $4 == s { print $12 }' "$R" | med)"
    done
    echo
done; done

echo
echo "Time from the end of smtp-source until the queue was empty (s, median):"
for size in "${SIZES[@]}"; do for s in 8 32; do
    printf '  %-6s %2s sessions:' "${SZNAME[$size]}" "$s"
    for c in "${CONFIGS[@]}"; do
        printf ' %s %s' "$c" "$(awk -v c="$c" -v z="$size" -v s="$s" '$1 == "tput" && $2 == c && $3 == z && $4 == s { print $8 }' "$R" | med)"
    done
    echo
done; done

echo
echo "Latency per message, sequential probe ($PROBE_N messages, one per connection,"
echo "connect to the 250 after the final dot), ms; 'added' is against no milter;"
echo "'milter eom' is safeguard-milter's own elapsed_us for the same messages:"
echo
printf '| %-6s | %-15s | %7s | %7s | %11s | %11s | %14s | %14s |\n' size set-up p50 p99 "added p50" "added p99" "milter eom p50" "milter eom p99"
echo '|--------|-----------------|--------:|--------:|------------:|------------:|---------------:|---------------:|'
for size in "${SIZES[@]}"; do
    read -r b50 b99 < <(awk -v z="$size" '$1 == "lat" && $2 == "none" && $3 == z { print $6, $7 }' "$R")
    for c in "${CONFIGS[@]}"; do
        awk -v c="$c" -v z="$size" -v b50="$b50" -v b99="$b99" -v n="${SZNAME[$size]}" '
            $1 == "lat" && $2 == c && $3 == z {
                e50 = $8 == "-" ? "-" : sprintf("%.3f", $8 / 1000)
                e99 = $9 == "-" ? "-" : sprintf("%.3f", $9 / 1000)
                a50 = c == "none" ? "-" : sprintf("%+.3f", ($6 - b50) / 1000)
                a99 = c == "none" ? "-" : sprintf("%+.3f", ($7 - b99) / 1000)
                printf "| %-6s | %-15s | %7.3f | %7.3f | %11s | %11s | %14s | %14s |\n",
                    n, c, $6 / 1000, $7 / 1000, a50, a99, e50, e99 }' "$R"
    done
done

echo
echo "safeguard-milter's own end-of-message time under load (elapsed_us of its"
echo "summary lines, all messages of all rounds of the cell), ms:"
echo
printf '| %-6s | %8s | %-14s | %7s | %7s |\n' size sessions set-up p50 p99
echo '|--------|---------:|----------------|--------:|--------:|'
for size in "${SIZES[@]}"; do for s in 8 32; do for c in sg-unix sg-inet sg-unix-accept ${BASE_MILTER:+sg-base-unix}; do
    [ "$c" = sg-unix-accept ] && [ "$size" != 4096 ] && continue
    # median over rounds of each round's p50 / p99
    e50=$(awk -v c="$c" -v z="$size" -v s="$s" '$1 == "tput" && $2 == c && $3 == z && $4 == s { print $10 }' "$R" | med)
    e99=$(awk -v c="$c" -v z="$size" -v s="$s" '$1 == "tput" && $2 == c && $3 == z && $4 == s { print $11 }' "$R" | med)
    awk -v e50="$e50" -v e99="$e99" -v n="${SZNAME[$size]}" -v s="$s" -v c="$c" 'BEGIN {
        printf "| %-6s | %8s | %-14s | %7.3f | %7.3f |\n", n, s, c, e50 / 1000, e99 / 1000 }'
done; done; done

echo
echo "Milter memory (KiB; VmHWM reset before each 32-session run and read after"
echo "it, the largest of the $ROUNDS rounds; per connection = (VmHWM - RSS after"
echo "warm-up) / 32; for rspamd the sums over its processes, which share pages):"
echo
printf '| %-11s | %9s | %11s | %13s | %14s | %13s | %14s |\n' milter "RSS start" "RSS warm-up" "VmHWM 4KB/32" "per conn 4KB" "VmHWM 100KB/32" "per conn 100KB"
echo '|-------------|----------:|------------:|--------------:|---------------:|--------------:|---------------:|'
for c in "${MILTERS[@]}"; do
    awk -v c="$c" '
        $1 == "rss_start" && $2 == c { rs = $6 }
        $1 == "rss_warm" && $2 == c { rw = $6 }
        $1 == "tput" && $2 == c && $4 == 32 && $3 == 4096 && $9 > h4 { h4 = $9 }
        $1 == "tput" && $2 == c && $4 == 32 && $3 == 102400 && $9 > h1 { h1 = $9 }
        END { printf "| %-11s | %9d | %11d | %13d | %14.0f | %13d | %14.0f |\n",
              c, rs, rw, h4, (h4 - rw) / 32, h1, (h1 - rw) / 32 }' "$R"
done

echo
for size in 4096; do for s in 8 32; do
    read -r ru ri <<<"${RATIO[$size.$s]}"
    echo "ratio safeguard-milter / null milter, ${SZNAME[$size]}, $s sessions: unix $ru, inet $ri (target >= 0.85)"
done; done
if [ -n "$HAVE_RSPAMD" ]; then
    # Its resolver asks only 127.0.0.1; a module that still looked a name
    # up would show here.
    echo "rspamd: messages scanned $(grep -c ' dns req: ' "$RSPAMD_DIR/rspamd.log")," \
        "of which with DNS requests $(grep -c ' dns req: [1-9]' "$RSPAMD_DIR/rspamd.log")"
    for size in "${SIZES[@]}"; do for s in 8 32; do
        read -r ru ri <<<"${RRATIO[$size.$s]}"
        echo "ratio safeguard-milter / rspamd, ${SZNAME[$size]}, $s sessions: unix $ru, inet $ri (target >= 2)"
    done; done
fi
echo "load average at end: $(load); total $(($(date +%s) - t_start)) s"
