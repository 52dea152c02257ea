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
# (bench/rspamd/).  Two letters from staff: to one pupil, which the
# shipped policy journals, and a class letter to two pupils, which no rule
# acts on (issue 13's measure; 8 sessions only, beside the first in the
# headline table).  Reports messages per second (median of ROUNDS runs),
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
#   SG_PERF=1: the whole machine's CPU time is sampled (perf record -a, the
#   kernel's cpu-clock, no hardware counters needed) over every 4 KB run
#   with 8 sessions, until the queue is empty, and a table gives each
#   set-up's CPU per message by process (client, smtpd, cleanup, ...,
#   milter, idle): where the machine's time goes beside the milter's own.
# Exit 77 when Postfix cannot run here; 1 on any error or lost message.
set -u

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bench_start "$@"
ROUNDS=${ROUNDS:-3}
N4K=${N4K:-2000}
N100K=${N100K:-1000}
PROBE_N=${PROBE_N:-1000}
FROM=j.smith@school.example   # staff (school.dir), trusted client 127.0.0.1
TO=amy.patel@school.example   # pupil (school.dir)
# The two letters: "journal", staff to that one pupil, which the shipped
# policy journals (private-one-to-one); and "class", the same letter to
# two pupils, which no rule acts on.  smtp-source -r 2 sends the class
# letter to 2amy.patel@school.example and amy.patel@school.example ("-r N"
# prefixes the numbers N..2 to the -t address, then sends to it as it
# is); the benchmark's school has a pupil at 2amy.patel (below).
CLASS_RCPTS=2
CLASS_TO=2$TO,$TO
# safeguard-milter's clock: a Tuesday in term, 10:00 UTC (11:00 in the
# school's time zone, Europe/London), advancing from there.  Without it
# the rule late-contact-with-pupil (test mode; "outside 07:00-19:00,
# weekend") would annotate both letters on evenings and weekends, so the
# result would depend on when the benchmark runs.  The integration
# harness's SG_MILTER_TIME runs the milter under libfaketime, which costs
# safeguard-milter (not the other milters) about 1 us per clock reading.
export SG_MILTER_TIME=${SG_MILTER_TIME:-2026-06-02 10:00:00}

command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
if [ -n "${SG_PERF:-}" ]; then
    command -v perf >/dev/null || sg_die "SG_PERF is set but perf is missing (apt-get install linux-perf)"
    perf record -q -a -e cpu-clock -o /dev/null -- true >/dev/null 2>&1 ||
        sg_die "SG_PERF is set but perf record -a does not run here (root, kernel.perf_event_paranoid)"
fi

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
wait_port "$NULL_INET_PORT"
for i in $(seq 1 50); do [ -S "$SG_PF/queue/bench/null.sock" ] && break; sleep 0.1; done
[ -S "$SG_PF/queue/bench/null.sock" ] || sg_die "null_milter unix socket missing"

# (c) safeguard-milter: the shipped policy, the demo school from the file
# backend (loaded into memory at start: warm by construction) with one
# pupil more, at the second address of the class letter, the harness's
# site settings (school_domains school.example, trusted_networks
# 127.0.0.0/8), and a journal address as a school would set one (staff to
# one pupil is journalled by private-one-to-one).
{
    cat "$SG_SRCDIR/contrib/samples/school.dir"
    echo "# added by run-throughput.sh: the class letter's second pupil (smtp-source -r 2)"
    echo "2$TO pupil name=\"Amir Patel\" dob=2011-09-03"
} >"$SG_WORK/school.dir"
SG_CONF_COMMON=("directory_backend = file"
    "directory_file = $SG_WORK/school.dir"
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

# One smtpd service per milter set-up, identical but for the milter.  A
# set-up sends the journalled letter; the same set-up with "-class" sends
# the class letter through the same service (and the same milter).
CONFIGS=(none null-unix null-inet sg-unix sg-inet)
declare -A PORT MILTER PID LOG
MILTER[none]=""
MILTER[null-unix]="unix:bench/null.sock"
MILTER[null-inet]="inet:127.0.0.1:$NULL_INET_PORT"
MILTER[sg-unix]="unix:safeguard/milter.sock"
MILTER[sg-inet]="inet:127.0.0.1:$SG_INET_PORT"
PID[null-unix]=$NULL_UNIX_PID; PID[null-inet]=$NULL_INET_PID
PID[sg-unix]=$SG_UNIX_PID; PID[sg-inet]=$SG_INET_PID
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
# The class letter's set-ups: the same services, milters and logs.  They
# run at 8 sessions only (issue 13's measure), none-class only in the
# latency probe (the base of its "added" latency), to keep the run short.
CLASS_CONFIGS=(none-class null-unix-class null-inet-class sg-unix-class sg-inet-class)
[ -n "$HAVE_RSPAMD" ] && CLASS_CONFIGS+=(rspamd-inet-class)
for c in "${CLASS_CONFIGS[@]}"; do
    b=${c%-class}
    PORT[$c]=${PORT[$b]}
    [ -n "${PID[$b]:-}" ] && PID[$c]=${PID[$b]}
    [ -n "${LOG[$b]:-}" ] && LOG[$c]=${LOG[$b]}
done
SETUPS=("${CONFIGS[@]}" "${CLASS_CONFIGS[@]}")
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

# Deliveries the sink must see: one per recipient (two for the class
# letter), and one more for the journalled letter through safeguard-milter
# (it adds the journal recipient).
SENT_TOTAL=0 DELIVERIES=0
count_sent() {
    SENT_TOTAL=$((SENT_TOTAL + $2))
    case $1 in *-class) DELIVERIES=$((DELIVERIES + CLASS_RCPTS * $2)) ;;
               sg-*) DELIVERIES=$((DELIVERIES + 2 * $2)) ;;
               *) DELIVERIES=$((DELIVERIES + $2)) ;; esac
}
# The envelope recipients of a set-up's letter, separated by commas.
rcpts_of() { case $1 in *-class) echo "$CLASS_TO" ;; *) echo "$TO" ;; esac; }
# run CONFIG SIZE SESSIONS COUNT: one smtp-source run; seconds in SECS.
run() {
    local c=$1 size=$2 s=$3 n=$4 t0 t1 r=()
    case $c in *-class) r=(-r "$CLASS_RCPTS") ;; esac
    t0=$(date +%s.%N)
    smtp-source -s "$s" -m "$n" -l "$size" "${r[@]}" -f "$FROM" -t "$TO" \
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
port, n, size, frm = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rcpts = sys.argv[5].split(",")   # envelope recipients; all in To:
to = ">, <".join(rcpts)
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
    for cmd in [None, b"HELO vm\r\n", b"MAIL FROM:<%s>\r\n" % frm.encode()] + \
               [b"RCPT TO:<%s>\r\n" % r.encode() for r in rcpts] + \
               [b"DATA\r\n", msg.encode() + b".\r\n"]:
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

# What safeguard-milter decided, lines FROM..$ of LOG: the verdict and
# rules of each summary line ("verdict=accept" when no rule matched).
verdicts_of() {
    sed -n "$2,\$p" "$1" | sed -n 's/.*: \(verdict=.*\) client=.* elapsed_us=.*/\1/p'
}
# Warm up every path (Postfix processes, milter threads, directory
# cache) with 64 messages per set-up, and check that safeguard-milter
# journalled every one-pupil letter by private-one-to-one alone and that
# no rule acted on any class letter (no rule in test mode either).
declare -A EXPECT=([journal]="verdict=journal rules=private-one-to-one(journal)" [class]="verdict=accept")
for c in "${SETUPS[@]}"; do
    l0=0; [ -n "${LOG[$c]:-}" ] && l0=$(lines_of "${LOG[$c]}")
    run "$c" 4096 8 64
    drain >/dev/null
    [ -n "${LOG[$c]:-}" ] || continue
    case $c in *-class) want=${EXPECT[class]} ;; *) want=${EXPECT[journal]} ;; esac
    got=$(verdicts_of "${LOG[$c]}" $((l0 + 1)) | sort | uniq -c | sed 's/^ *//')
    [ "$got" = "64 $want" ] || sg_die "$c: expected 64 x '$want', got: $got"
done
echo "safeguard-milter's verdicts (its log; clock at $SG_MILTER_TIME UTC, libfaketime):"
for w in journal class; do
    grep -m1 "${EXPECT[$w]} client=.*rcpts=$([ $w = class ] && echo "$CLASS_RCPTS" || echo 1) " "$SG_UNIX_LOG" |
        sed 's/^/    /' | grep . || sg_die "no summary line for the $w letter"
done
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
    for c in "${SETUPS[@]}"; do
        l0=0; [ -n "${LOG[$c]:-}" ] && l0=$(lines_of "${LOG[$c]}")
        python3 "$SG_WORK/probe.py" "${PORT[$c]}" "$PROBE_N" "$size" \
            "$FROM" "$(rcpts_of "$c")" \
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

# SG_PERF: the machine's CPU over a 4 KB run with 8 sessions, from the
# start of smtp-source until the queue is empty, sampled at PERF_HZ on
# every CPU; each sample is 1/PERF_HZ s of one CPU, charged to the process
# (its comm, cut to 15 characters) that ran, kernel work included.
PERF_HZ=997 PERF_PID=
perf_start() { # CONFIG SIZE SESSIONS ROUND
    [ -n "${SG_PERF:-}" ] && [ "$2" = 4096 ] && [ "$3" = 8 ] || return 0
    perf record -q -a -e cpu-clock -F "$PERF_HZ" -o "$SG_WORK/perf.$1.$4" 2>/dev/null &
    PERF_PID=$!
    BENCH_PIDS+=("$PERF_PID") # stopped on any exit (perf_stop's kill is the usual one)
    sleep 0.2 # perf's own start (its first samples) before the client's
}
# Process names grouped as the table shows them (Postfix's daemons by
# name; the milters' programs; swapper is the idle task).
perf_group() {
    case $1 in
    smtp-source) echo client ;; smtp-sink) echo sink ;;
    smtpd | cleanup | qmgr | smtp) echo "$1" ;;
    trivial-rewrite) echo rewrite ;;
    safeguard-milte* | null_milter | rspamd*) echo milter ;;
    swapper) echo idle ;;
    *) echo other ;;
    esac
}
PERF_GROUPS=(client smtpd cleanup rewrite qmgr smtp sink milter other idle)
perf_stop() { # CONFIG SIZE SESSIONS ROUND MESSAGES
    [ -n "$PERF_PID" ] || return 0
    kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null; PERF_PID=
    local comm n g
    declare -A ms=()
    while read -r comm n; do
        g=$(perf_group "$comm")
        ms[$g]=$(awk -v a="${ms[$g]:-0}" -v n="$n" -v hz="$PERF_HZ" -v m="$5" 'BEGIN { print a + n * 1000 / hz / m }')
    done < <(perf script -i "$SG_WORK/perf.$1.$4" -F comm 2>/dev/null | sed 's/^ *//; s/ *$//' | sort | uniq -c | awk '{ n = $1; $1 = ""; sub(/^ /, ""); gsub(/ /, "_"); print $0, n }')
    for g in "${PERF_GROUPS[@]}"; do echo "perf $1 $2 $3 $4 $g ${ms[$g]:-0}"; done >>"$R"
    [ -n "${SG_KEEP:-}" ] || rm -f "$SG_WORK/perf.$1.$4"
}

# Throughput rounds, interleaved; the order of the set-ups rotates each
# round.  The class letter runs at 8 sessions only, and not without a
# milter.  Before each 32-session run of a milter its VmHWM is reset
# (clear_refs 5), so the peak read after the run is that run's.
echo
echo "throughput: $ROUNDS rounds; $N4K messages per 4 KB run, $N100K per 100 KB run"
nc=${#SETUPS[@]}
for r in $(seq 1 "$ROUNDS"); do
    echo "round $r (load $(load), $(($(date +%s) - t_start)) s so far)"
    for size in "${SIZES[@]}"; do
        for s in 8 32; do
            for k in $(seq 0 $((nc - 1))); do
                c=${SETUPS[$(((k + r - 1) % nc))]}
                case $c in none-class) continue ;; *-class) [ "$s" = 8 ] || continue ;; esac
                # rspamd's CPU sets its rate at 100 KB with 8 sessions as
                # with 32 (README.md); that cell is left out for time.
                [ "$c" = rspamd-inet ] && [ "$size" = 102400 ] && [ "$s" = 32 ] && continue
                p=${PID[$c]:-}
                [ -n "$p" ] && [ "$s" = 32 ] && reset_hwm "$p"
                l0=0; [ -n "${LOG[$c]:-}" ] && l0=$(lines_of "${LOG[$c]}")
                cpu0=0; [ -n "$p" ] && cpu0=$(cpu_ms "$p")
                perf_start "$c" "$size" "$s" "$r"
                run "$c" "$size" "$s" "${N[$size]}"; secs=$SECS
                hwm=- cpu=-
                if [ -n "$p" ]; then
                    hwm=$(vm "$p" VmHWM)
                    cpu=$(awk -v a="$cpu0" -v b="$(cpu_ms "$p")" -v n="${N[$size]}" 'BEGIN { printf "%.3f", (b - a) / n }')
                fi
                d=$(drain)
                perf_stop "$c" "$size" "$s" "$r" "${N[$size]}"
                e50=- e99=-
                if [ -n "${LOG[$c]:-}" ]; then
                    read -r e50 e99 < <(elapsed_of "${LOG[$c]}" $((l0 + 1)) '$' | pct)
                fi
                echo "tput $c $size $s $r ${N[$size]} $secs $d $hwm $e50 $e99 $cpu" >>"$R"
                printf '  %-17s %6s %2s sessions: %5d msgs in %6.2f s = %6.1f msg/s (queue empty %s s later)\n' \
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
    "(one per recipient, and safeguard-milter's journal recipient of each one-pupil letter)," \
    "logged status=sent: $sent; deferred/bounced/rejected: $bad"
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
# ratio A B: A / B to two places, "-" where either is missing.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || a == "-" || b == "" || b == "-") print "-"; else printf "%.2f", a / b }'; }
# added CONFIG SIZE: the probe's p99 of CONFIG minus that without a milter
# for the same letter, ms.
added_p99() {
    local base=none
    case $1 in *-class) base=none-class ;; esac
    awk -v c="$1" -v b="$base" -v z="$2" '$1 == "lat" && $3 == z && $2 == c { x = $7 }
        $1 == "lat" && $3 == z && $2 == b { y = $7 }
        END { if (x == "" || y == "") print "-"; else printf "%+.2f", (x - y) / 1000 }' "$R"
}

# The headline: 8 sessions, both letters, the null milter, safeguard-milter
# and rspamd side by side; the class letter is issue 13's measure.
echo
echo "Messages per second accepted, 8 sessions (median of $ROUNDS, min-max), both letters;"
echo "added p99 is the latency probe's (ms, against no milter with the same letter):"
echo
printf '| %-6s | %-44s | %13s | %13s | %13s | %13s | %13s | %12s | %12s | %14s | %14s | %17s | %17s |\n' size letter \
    "null, unix" "sg, unix" "null, inet" "sg, inet" "rspamd, inet" "sg/null unix" "sg/null inet" \
    "sg unix/rspamd" "sg inet/rspamd" "added p99 sg unix" "added p99 sg inet"
echo '|--------|----------------------------------------------|--------------:|--------------:|--------------:|--------------:|--------------:|-------------:|-------------:|---------------:|---------------:|------------------:|------------------:|'
declare -A HEAD
for letter in class journal; do
    sfx=; name="staff->pupil, one pupil, journalled"
    [ "$letter" = class ] && sfx=-class name="staff->pupils class letter, no rule acts"
    for size in "${SIZES[@]}"; do
        row=()
        declare -A M=()
        for c in null-unix sg-unix null-inet sg-inet rspamd-inet; do
            read -r m lo hi < <(rate "$c$sfx" "$size" 8)
            M[$c]=$m
            if [ "$m" = - ]; then row+=(-); else row+=("$m ($lo-$hi)"); fi
        done
        ru=$(ratio "${M[sg-unix]}" "${M[null-unix]}"); ri=$(ratio "${M[sg-inet]}" "${M[null-inet]}")
        rru=$(ratio "${M[sg-unix]}" "${M[rspamd-inet]}"); rri=$(ratio "${M[sg-inet]}" "${M[rspamd-inet]}")
        au=$(added_p99 "sg-unix$sfx" "$size"); ai=$(added_p99 "sg-inet$sfx" "$size")
        HEAD[$letter.$size]="$ru $ri $rru $rri $au $ai"
        printf '| %-6s | %-44s | %13s | %13s | %13s | %13s | %13s | %12s | %12s | %14s | %14s | %17s | %17s |\n' \
            "${SZNAME[$size]}" "$name" "${row[@]}" "$ru" "$ri" "$rru" "$rri" "$au" "$ai"
    done
done

echo
echo "The journalled letter, all cells (median of $ROUNDS, min-max):"
echo
printf '| %-6s | %8s | %15s | %15s | %15s | %15s | %15s | %12s | %12s |\n' size sessions \
    "no milter" "null, unix" "safeguard, unix" "null, inet" "safeguard, inet" "sg/null unix" "sg/null inet"
echo '|--------|---------:|----------------:|----------------:|----------------:|----------------:|----------------:|-------------:|-------------:|'
for size in "${SIZES[@]}"; do
    for s in 8 32; do
        row=()
        declare -A M=()
        for c in none null-unix sg-unix null-inet sg-inet rspamd-inet; do
            read -r m lo hi < <(rate "$c" "$size" "$s")
            M[$c]=$m
            if [ "$m" = - ]; then row+=(-); else row+=("$(printf '%s (%s-%s)' "$m" "$lo" "$hi")"); fi
        done
        printf '| %-6s | %8s | %15s | %15s | %15s | %15s | %15s | %12s | %12s |\n' \
            "${SZNAME[$size]}" "$s" "${row[@]:0:5}" \
            "$(ratio "${M[sg-unix]}" "${M[null-unix]}")" "$(ratio "${M[sg-inet]}" "${M[null-inet]}")" >>"$SG_WORK/table1"
        printf '| %-6s | %8s | %15s | %15s | %15s | %14s | %14s |\n' \
            "${SZNAME[$size]}" "$s" "${row[5]}" "${row[2]}" "${row[4]}" \
            "$(ratio "${M[sg-unix]}" "${M[rspamd-inet]}")" "$(ratio "${M[sg-inet]}" "${M[rspamd-inet]}")" >>"$SG_WORK/table3"
    done
done
cat "$SG_WORK/table1"
if [ -n "$HAVE_RSPAMD" ]; then
    echo
    echo "rspamd as a peer, the journalled letter, same runs: rspamd's milter proxy"
    echo "on inet ($RSPAMD_WORKERS processes) against safeguard-milter (sg/rspamd):"
    echo
    printf '| %-6s | %8s | %15s | %15s | %15s | %14s | %14s |\n' size sessions \
        "rspamd, inet" "safeguard, unix" "safeguard, inet" "sg unix/rspamd" "sg inet/rspamd"
    echo '|--------|---------:|----------------:|----------------:|----------------:|---------------:|---------------:|'
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
            "$mb ($lob-$hib)" "$mn ($lon-$hin)" "$(ratio "$mn" "$mb")"
    done; done
fi

echo
echo "Milter CPU time per message (utime + stime of the milter process over the"
echo "run / messages, for rspamd of all its processes; median of $ROUNDS), ms:"
echo
printf '| %-6s | %8s | %-17s |' size sessions letter
for c in "${MILTERS[@]}"; do printf ' %12s |' "$c"; done; echo
printf '|--------|---------:|-------------------|'; for c in "${MILTERS[@]}"; do printf -- '-------------:|'; done; echo
for letter in journal class; do for size in "${SIZES[@]}"; do for s in 8 32; do
    sfx=; [ "$letter" = class ] && sfx=-class
    [ "$letter" = class ] && [ "$s" != 8 ] && continue
    printf '| %-6s | %8s | %-17s |' "${SZNAME[$size]}" "$s" "$letter"
    for c in "${MILTERS[@]}"; do
        printf ' %12s |' "$(awk -v c="$c$sfx" -v z="$size" -v s="$s" '$1 == "tput" && $2 == c && $3 == z && $4 == s { print $12 }' "$R" | med)"
    done
    echo
done; done; done

if [ -n "${SG_PERF:-}" ]; then
    echo
    echo "The machine's CPU per message by process, 4 KB, 8 sessions, from the start"
    echo "of smtp-source until the queue was empty (perf record -a, cpu-clock at"
    echo "$PERF_HZ Hz on each of $(nproc) CPUs; median of $ROUNDS), ms; 'busy' is all but idle:"
    echo
    printf '| %-19s |' set-up; printf ' %7s |' "${PERF_GROUPS[@]}" busy; echo
    printf '|---------------------|'; for _ in "${PERF_GROUPS[@]}" busy; do printf -- '--------:|'; done; echo
    for c in "${SETUPS[@]}"; do
        case $c in none-class) continue ;; esac
        grep -q "^perf $c 4096 8 " "$R" || continue
        printf '| %-19s |' "$c"
        for g in "${PERF_GROUPS[@]}"; do
            printf ' %7.3f |' "$(awk -v c="$c" -v g="$g" '$1 == "perf" && $2 == c && $3 == 4096 && $4 == 8 && $6 == g { print $7 }' "$R" | med)"
        done
        # busy: per round the sum of all groups but idle, then the median
        printf ' %7.3f |\n' "$(awk -v c="$c" '$1 == "perf" && $2 == c && $3 == 4096 && $4 == 8 && $6 != "idle" { b[$5] += $7 }
            END { for (r in b) print b[r] }' "$R" | med)"
    done
fi

echo
echo "Time from the end of smtp-source until the queue was empty (s, median):"
for size in "${SIZES[@]}"; do for s in 8 32; do
    printf '  %-6s %2s sessions:' "${SZNAME[$size]}" "$s"
    for c in "${SETUPS[@]}"; do
        v=$(awk -v c="$c" -v z="$size" -v s="$s" '$1 == "tput" && $2 == c && $3 == z && $4 == s { print $8 }' "$R" | med)
        [ "$v" = - ] || printf ' %s %s' "$c" "$v"
    done
    echo
done; done

echo
echo "Latency per message, sequential probe ($PROBE_N messages, one per connection,"
echo "connect to the 250 after the final dot), ms; 'added' is against no milter"
echo "with the same letter (none for the journalled letter, none-class for the"
echo "class letter); 'milter eom' is safeguard-milter's own elapsed_us for the"
echo "same messages:"
echo
printf '| %-6s | %-17s | %7s | %7s | %11s | %11s | %14s | %14s |\n' size set-up p50 p99 "added p50" "added p99" "milter eom p50" "milter eom p99"
echo '|--------|-------------------|--------:|--------:|------------:|------------:|---------------:|---------------:|'
for size in "${SIZES[@]}"; do
    read -r b50 b99 < <(awk -v z="$size" '$1 == "lat" && $2 == "none" && $3 == z { print $6, $7 }' "$R")
    read -r c50 c99 < <(awk -v z="$size" '$1 == "lat" && $2 == "none-class" && $3 == z { print $6, $7 }' "$R")
    for c in "${SETUPS[@]}"; do
        awk -v c="$c" -v z="$size" -v b50="$b50" -v b99="$b99" -v c50="$c50" -v c99="$c99" -v n="${SZNAME[$size]}" '
            $1 == "lat" && $2 == c && $3 == z {
                if (c ~ /-class$/) { b50 = c50; b99 = c99 }
                e50 = $8 == "-" ? "-" : sprintf("%.3f", $8 / 1000)
                e99 = $9 == "-" ? "-" : sprintf("%.3f", $9 / 1000)
                a50 = c ~ /^none/ ? "-" : sprintf("%+.3f", ($6 - b50) / 1000)
                a99 = c ~ /^none/ ? "-" : sprintf("%+.3f", ($7 - b99) / 1000)
                printf "| %-6s | %-17s | %7.3f | %7.3f | %11s | %11s | %14s | %14s |\n",
                    n, c, $6 / 1000, $7 / 1000, a50, a99, e50, e99 }' "$R"
    done
done

echo
echo "safeguard-milter's own end-of-message time under load (elapsed_us of its"
echo "summary lines, all messages of all rounds of the cell), ms:"
echo
printf '| %-6s | %8s | %-14s | %7s | %7s |\n' size sessions set-up p50 p99
echo '|--------|---------:|----------------|--------:|--------:|'
for size in "${SIZES[@]}"; do for s in 8 32; do for c in sg-unix sg-inet sg-unix-class sg-inet-class ${BASE_MILTER:+sg-base-unix}; do
    case $c in *-class) [ "$s" = 8 ] || continue ;; esac
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
        END { printf "| %-11s | %9d | %11d | %13s | %14s | %13s | %14s |\n", c, rs, rw,
              h4 == "" ? "-" : h4, h4 == "" ? "-" : sprintf("%.0f", (h4 - rw) / 32),
              h1 == "" ? "-" : h1, h1 == "" ? "-" : sprintf("%.0f", (h1 - rw) / 32) }' "$R"
done

echo
# Issue 13's targets, for the class letter at 8 sessions.
for size in "${SIZES[@]}"; do
    read -r ru ri rru rri au ai <<<"${HEAD[class.$size]}"
    want=0.95; [ "$size" = 102400 ] && want=0.90
    echo "class letter, ${SZNAME[$size]}, 8 sessions: sg/null unix $ru, inet $ri (target >= $want);" \
        "sg/rspamd unix $rru, inet $rri (target >= 2); added p99 unix $au ms, inet $ai ms" \
        "$([ "$size" = 4096 ] && echo "(target < 5)")"
done
for size in "${SIZES[@]}"; do
    read -r ru ri rru rri au ai <<<"${HEAD[journal.$size]}"
    echo "journalled letter, ${SZNAME[$size]}, 8 sessions: sg/null unix $ru, inet $ri;" \
        "sg/rspamd unix $rru, inet $rri; added p99 unix $au ms, inet $ai ms"
done
if [ -n "$HAVE_RSPAMD" ]; then
    # Its resolver asks only 127.0.0.1; a module that still looked a name
    # up would show here.
    echo "rspamd: messages scanned $(grep -c ' dns req: ' "$RSPAMD_DIR/rspamd.log")," \
        "of which with DNS requests $(grep -c ' dns req: [1-9]' "$RSPAMD_DIR/rspamd.log")"
fi
echo "load average at end: $(load); total $(($(date +%s) - t_start)) s"
