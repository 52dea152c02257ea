#!/bin/bash
# run-memory.sh - memory per milter connection and per message (see
# README.md, "Memory per connection"): safeguard-milter with the settings
# of the throughput benchmark (the shipped policy, the demo school from the
# file backend, a journal address) and the do-nothing milter side by side,
# each driven by bench/milter_memory.py, which speaks the milter protocol as
# Postfix does and holds CONNS connections open in each phase:
#   idle     negotiated and past connect, sitting idle
#   body     a whole message sent on each, waiting before end of message
#   eom      end of message on all of them at once (the peak, VmHWM)
#   after    idle again after their message; second: one more message each
#   busy     BUSY (10) more messages on each, all connections at once (the
#            peak, and the most threads the milter ran)
#   closed   all closed: what the milter keeps from all that
#   rested   REST (12) seconds later, nothing having happened
# Each round starts both milters afresh, for each size; the figures are
# the medians of the rounds, per connection (the phase's memory less the
# phase before it, divided by CONNS), in KiB.
#
# Usage (root; from the build directory, after make):
#   bench/run-memory.sh [NULL-MILTER-PROGRAM]
# or make -C bench bench-memory
#   CONNS (64), SIZES ("4096 102400"), ROUNDS (3), BUSY (10), REST (12)
#   change the amounts;
#   SG_KEEP=1 keeps the work directory.  MILTER_ENV="NAME=VALUE ..." runs
#   safeguard-milter with that environment (an allocator setting the
#   daemon does not make itself: its mallopt calls override GLIBC_TUNABLES).  BASE_MILTER=PROGRAM adds a safeguard-milter
#   from another build (an earlier version) with the same settings, measured
#   in the same rounds.
# No Postfix runs: the client is the MTA.  Exit 77 where the harness
# cannot run (no root, no Postfix user); 1 on any error.
set -u

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bench_start "$@"
CONNS=${CONNS:-64}
SIZES=${SIZES:-4096 102400}
ROUNDS=${ROUNDS:-3}
BUSY=${BUSY:-10}
REST=${REST:-12}
# A letter from a member of staff to a pupil, copied to a colleague, over a
# trusted connection: no rule acts on it (with a colleague in copy it is
# not private one-to-one), so every staff-to-pupil rule is evaluated and
# the verdict is accept.
FROM=j.smith@school.example                           # staff (school.dir)
TO=amy.patel@school.example,a.jones@school.example    # pupil, staff
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

bench_machine
ulimit -n $((CONNS * 4 + 256)) 2>/dev/null
sg_setup
bench_trap_cleanup
R=$SG_WORK/memory.tsv   # round size milter phase rss pss anon hwm threads
: >"$R"

# safeguard-milter: the throughput benchmark's settings (run-throughput.sh),
# but no reconciling of held mail with a queue (no Postfix runs here)
sg_write_milter_conf "directory_backend = file" \
    "directory_file = $SG_SRCDIR/contrib/samples/school.dir" \
    "journal_address = archive@school.example" \
    "hold_reconcile_interval = 0"
SG_BASE_CONF=$SG_WORK/safeguard-milter-base.conf
sed -e "s|^socket = .*|socket = unix:$SG_MILTER_DIR/base.sock|" \
    -e "s|^pidfile = .*|pidfile = $SG_MILTER_DIR/base.pid|" \
    "$SG_MILTER_CONF" >"$SG_BASE_CONF"
NULL_SOCK=$SG_WORK/null.sock

MILTERS=(null sg)
[ -n "${BASE_MILTER:-}" ] && MILTERS+=(sg-base)
[ -z "${BASE_MILTER:-}" ] || [ -x "$BASE_MILTER" ] ||
    sg_die "BASE_MILTER=$BASE_MILTER is not a program"

# start_one NAME: start that milter; its pid in MPID[NAME], its socket in
# MSOCK[NAME]
declare -A MPID MSOCK
start_one() {
    case $1 in
    null)
        rm -f "$NULL_SOCK"
        "$null_bin" -p "unix:$NULL_SOCK" >>"$SG_WORK/null.log" 2>&1 &
        MPID[null]=$!; MSOCK[null]=unix:$NULL_SOCK
        BENCH_PIDS+=("${MPID[null]}")
        for _i in $(seq 1 100); do [ -S "$NULL_SOCK" ] && return 0; sleep 0.1; done
        sg_die "null_milter did not start" ;;
    sg)
        # shellcheck disable=SC2086
        SG_MILTER_BIN="env ${MILTER_ENV:-} $SG_MILTER_BIN" start_sg "$SG_MILTER_CONF" \
            "$SG_MILTER_SOCKET" "$SG_WORK/milter.log" sg ;;
    sg-base)
        # shellcheck disable=SC2086
        SG_MILTER_BIN="env ${MILTER_ENV:-} $BASE_MILTER" start_sg "$SG_BASE_CONF" \
            "unix:$SG_MILTER_DIR/base.sock" "$SG_WORK/milter-base.log" sg-base ;;
    esac
}
# start_sg CONF SOCKET LOG NAME: a safeguard-milter in the foreground, as
# the harness's sg_start_milter starts it (which knows one milter only)
start_sg() {
    local conf=$1 sock=${2#unix:} log=$3 name=$4 starts
    starts=$(grep -c "starting on" "$log" 2>/dev/null)
    # shellcheck disable=SC2086
    $SG_MILTER_BIN -f -c "$conf" >>"$log" 2>&1 &
    MPID[$name]=$!; MSOCK[$name]=$2
    BENCH_PIDS+=("${MPID[$name]}")
    for _i in $(seq 1 100); do
        [ -S "$sock" ] && [ "$(grep -c "starting on" "$log")" -gt "${starts:-0}" ] && return 0
        kill -0 "${MPID[$name]}" 2>/dev/null || break
        sleep 0.1
    done
    sg_die "$name did not start: $(tail -5 "$log")"
}
# the process under env(1) is the milter itself (env execs it)
stop_one() {
    kill -TERM "${MPID[$1]}" 2>/dev/null
    wait "${MPID[$1]}" 2>/dev/null
}

echo "safeguard-milter config:"
sed 's/^/    /' "$SG_MILTER_CONF"
[ -n "${MILTER_ENV:-}" ] && echo "safeguard-milter environment: $MILTER_ENV"
echo "connections: $CONNS; sizes: $SIZES; rounds: $ROUNDS; busy: $BUSY messages each; rest: $REST s"

t0=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
    for size in $SIZES; do
        for m in "${MILTERS[@]}"; do
            start_one "$m"
            python3 "$SG_SRCDIR/bench/milter_memory.py" --pid "${MPID[$m]}" \
                --socket "${MSOCK[$m]}" --conns "$CONNS" --size "$size" \
                --name "$m" --busy "$BUSY" --rest "$REST" --from "$FROM" --to "$TO" >"$SG_WORK/run.out" ||
                sg_die "the client failed on $m: $(tail -3 "$SG_WORK/run.out")"
            awk -v r="$round" -v s="$size" '$2 != "message" { print r "\t" s "\t" $0 }' \
                "$SG_WORK/run.out" >>"$R"
            msg=$(awk '$2 == "message" { print $3 " bytes of body, " $4 " headers" }' "$SG_WORK/run.out")
            stop_one "$m"
        done
        echo "round $round, $size bytes ($msg): done (load $(cut -d' ' -f1-3 /proc/loadavg))"
    done
done
# every message must have had its summary line, and no error
for log in "$SG_WORK"/milter*.log; do
    ! grep -Eq ': (error|warning):' "$log" ||
        sg_die "$log has errors: $(grep -E ': (error|warning):' "$log" | head -3)"
done
n_sum=$(grep -c 'elapsed_us=' "$SG_WORK/milter.log")
echo "safeguard-milter summary lines: $n_sum; verdict of the last:" \
    "$(grep 'elapsed_us=' "$SG_WORK/milter.log" | tail -1 | sed 's/.*: \(verdict=[^ ]*\( rules=[^ ]*\)\?\).*/\1/')"
echo "time: $(($(date +%s) - t0)) s"
echo

echo "Each phase as measured (KiB; round size milter phase Rss Pss Anonymous VmHWM threads):"
sed 's/^/    /' "$R"
echo
# The table: per connection, KiB, the median of the rounds.
python3 "$SG_SRCDIR/bench/milter_memory.py" --table "$R" --conns "$CONNS"
echo
echo "(KiB per connection, median of $ROUNDS rounds.  idle: a connection past"
echo "connect, over the start; held: its message waiting before end of message,"
echo "over idle; eom peak: the rise of VmHWM while all $CONNS ended their message"
echo "at once; kept: what a connection holds after its message, over idle;"
echo "second: a second message on each; busy peak: the rise of VmHWM while all"
echo "$CONNS sent $BUSY messages each at once, and the most threads then; left:"
echo "after all closed, over the start; rested: the same $REST seconds later)"
