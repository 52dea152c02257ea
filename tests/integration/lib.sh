# tests/integration/lib.sh - start and stop a real private Postfix, an
# smtp-sink that writes each delivered message to a file, and the milter.
# Sourced by the integration tests and by the demo (contrib/demo/run).
#
# Needs root (Postfix's master runs as root and drops to the postfix user).
# Everything lives under one work directory, on loopback ports that are
# free when chosen; sg_cleanup (run from a trap) stops it all.
#
# Variables the caller may set before sourcing:
#   SG_SRCDIR   top of the source tree (default: two levels up from here)
#   SG_BUILDDIR top of the build tree (default: SG_SRCDIR)

: "${SG_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${SG_BUILDDIR:=$SG_SRCDIR}"
SG_MILTER_BIN="$SG_BUILDDIR/milter/safeguard-milter"

sg_die() { echo "FATAL: $*" >&2; exit 1; }

# A TCP port on 127.0.0.1 that nothing listens on now, below the kernel's
# ephemeral range (where other programs' outgoing connections take their
# local ports, and a listener could not bind).
sg_free_port() {
    local p i lo
    lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
    [ "${lo:-0}" -gt 12000 ] || lo=32768
    for i in $(seq 1 200); do
        p=$((10000 + RANDOM % (lo - 10000)))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"; return 0
        fi
    done
    sg_die "no free loopback port"
}

# sg_wait_for FILE REGEX [SECONDS]: wait until FILE has a line matching REGEX.
sg_wait_for() {
    local file=$1 re=$2 secs=${3:-20} i
    for i in $(seq 1 $((secs * 10))); do
        grep -Eq -- "$re" "$file" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "timed out after ${secs}s waiting for /$re/ in $file" >&2
    return 1
}

# sg_check WHAT COMMAND...: run COMMAND, print "ok - WHAT" or
# "not ok - WHAT" and count the failures in SG_FAILS.
SG_FAILS=0
sg_check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; SG_FAILS=$((SG_FAILS + 1)); fi
}

# sg_count FILE REGEX: how many lines of FILE match.
sg_count() { grep -Ec -- "$2" "$1" 2>/dev/null || true; }

# Exit 77 (automake's "skipped") when this machine cannot run Postfix here.
sg_require_postfix() {
    if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root to run Postfix"; exit 77; fi
    if ! command -v postfix >/dev/null || ! id postfix >/dev/null 2>&1; then
        echo "SKIP: Postfix is not installed (apt-get install postfix)"; exit 77
    fi
    command -v swaks >/dev/null || { echo "SKIP: swaks is not installed"; exit 77; }
}

sg_setup() {
    [ "$(id -u)" = 0 ] || sg_die "integration tests need root (Postfix)"
    id postfix >/dev/null 2>&1 || sg_die "user postfix missing: apt-get install postfix"
    [ -x "$SG_MILTER_BIN" ] || sg_die "$SG_MILTER_BIN not built"
    # named with tests/run's marker, which Postfix's master keeps (in
    # MAIL_CONFIG) when it sheds the environment (tests/survivors.sh)
    SG_WORK=$(mktemp -d "/tmp/sg-it${SG_TESTRUN:+.$SG_TESTRUN}.XXXXXX")
    chmod 755 "$SG_WORK"
    SG_SINK_DIR="$SG_WORK/sink"
    mkdir -p "$SG_SINK_DIR" && chown postfix "$SG_SINK_DIR"
    SG_SMTP_PORT=$(sg_free_port)
    SG_SINK_PORT=$(sg_free_port)
    while [ "$SG_SINK_PORT" = "$SG_SMTP_PORT" ]; do SG_SINK_PORT=$(sg_free_port); done
    # As on a real server: the socket inside Postfix's queue directory, and
    # Postfix given the path relative to it, which chrooted (smtpd here)
    # and unchrooted (cleanup) daemons both resolve.
    SG_PF="$SG_WORK/postfix"
    SG_MILTER_DIR="$SG_PF/queue/safeguard"
    SG_MILTER_SOCKET="unix:$SG_MILTER_DIR/milter.sock"
    SG_POSTFIX_MILTER="unix:safeguard/milter.sock"
    SG_MILTER_LOG="$SG_WORK/milter.log"
    SG_MAILLOG="$SG_WORK/maillog"
    SG_QUARANTINE="$SG_WORK/quarantine"
    mkdir -p "$SG_MILTER_DIR" "$SG_QUARANTINE" &&
        chown postfix:postfix "$SG_MILTER_DIR" "$SG_QUARANTINE"
    trap sg_cleanup EXIT
}

# Several mail servers in one test: sg_instance NAME makes the helpers
# here (sg_start_postfix, sg_write_milter_conf, sg_start_milter,
# sg_stop_milter, sg_send, sg_held, sg_review, ...) act on instance NAME,
# with its own Postfix (SG_WORK/postfix-NAME on its own SMTP port),
# milter socket, logs and configuration; the sink and SG_QUARANTINE are
# shared.  Call it after sg_setup, and again to switch: each instance's
# daemon keeps running meanwhile, and sg_cleanup stops every instance.
SG_INSTANCES=()
declare -A SG_INST_PORT=() SG_INST_PID=()
sg_instance() {
    local name=$1 p
    [ -n "${SG_INSTANCE:-}" ] && SG_INST_PID[$SG_INSTANCE]=${SG_MILTER_PID:-}
    SG_INSTANCE=$name
    if [ -z "${SG_INST_PORT[$name]:-}" ]; then
        SG_INSTANCES+=("$name")
        p=$(sg_free_port)
        while [ "$p" = "$SG_SINK_PORT" ] ||
            printf '%s\n' "${SG_INST_PORT[@]}" | grep -qx "$p"; do
            p=$(sg_free_port)
        done
        SG_INST_PORT[$name]=$p
    fi
    SG_SMTP_PORT=${SG_INST_PORT[$name]}
    SG_PF="$SG_WORK/postfix-$name"
    SG_MILTER_DIR="$SG_PF/queue/safeguard"
    SG_MILTER_SOCKET="unix:$SG_MILTER_DIR/milter.sock"
    SG_MILTER_LOG="$SG_WORK/milter-$name.log"
    SG_MAILLOG="$SG_WORK/maillog-$name"
    SG_MILTER_CONF="$SG_WORK/safeguard-milter-$name.conf"
    [ -f "$SG_MILTER_CONF" ] || SG_MILTER_CONF=
    SG_MILTER_PID=${SG_INST_PID[$name]:-}
    mkdir -p "$SG_MILTER_DIR" && chown postfix:postfix "$SG_MILTER_DIR"
}

sg_start_sink() {
    smtp-sink -u postfix -d "$SG_SINK_DIR/msg." "127.0.0.1:$SG_SINK_PORT" 64 \
        >"$SG_WORK/sink.log" 2>&1 &
    SG_SINK_PID=$!
    local i
    for i in $(seq 1 50); do
        (exec 3<>"/dev/tcp/127.0.0.1/$SG_SINK_PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    sg_die "smtp-sink did not start: $(cat "$SG_WORK/sink.log")"
}

# sg_write_milter_conf ["key = value"...]: the milter's config for the
# test; the given settings replace the harness defaults of the same name.
# sg_scan_cache: the directory of compiled scan databases every test of
# the build shares (made here; a start then reads what another compiled)
sg_scan_cache() {
    install -d -m 0755 "$SG_BUILDDIR/tests/scan-cache" &&
        echo "$SG_BUILDDIR/tests/scan-cache"
}
sg_write_milter_conf() {
    SG_MILTER_CONF="$SG_WORK/safeguard-milter${SG_INSTANCE:+-$SG_INSTANCE}.conf"
    local line key
    {
        for line in "$@"; do echo "$line"; done
        for line in "socket = $SG_MILTER_SOCKET" "user = postfix" \
                    "pidfile = $SG_MILTER_DIR/milter.pid" "log_level = info" \
                    "trusted_networks = 127.0.0.0/8" \
                    "rules_file = $SG_SRCDIR/rules/policy/default.rules" \
                    "school_domains = school.example" \
                    "school_phone_numbers = 01632 960000" \
                    "school_postcodes = LS1 4AP" \
                    "quarantine_db = $SG_QUARANTINE/quarantine.db" \
                    "quarantine_dir = $SG_QUARANTINE/messages" \
                    "extract_helper = $SG_BUILDDIR/extract/safeguard-extract" \
                    "scan_cache_dir = $(sg_scan_cache)"; do
            key=${line%% =*}
            printf '%s\n' "$@" | grep -q "^$key *=" || echo "$line"
        done
    } >"$SG_MILTER_CONF"
}

# sg_start_milter: start the daemon in the foreground, logging to
# SG_MILTER_LOG.  With SG_MILTER_TIME set ("2025-03-12 10:15:00") it runs
# under libfaketime with its clock starting then, so that rules about the
# time of day and ages can be tested on dated samples without any test
# hook in the daemon.
# sg_faketime SPEC: SG_FAKETIME, the words that run a program under
# libfaketime with its clock at SPEC (FAKETIME's: "@2025-03-12 10:15:00",
# "+31d"), preloaded directly (the faketime wrapper forks, so a pid would
# be the wrapper's) and past AddressSanitizer's check that it comes first.
sg_faketime() {
    local lib
    lib=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketimeMT.so.1$' | head -1)
    [ -n "$lib" ] || sg_die "libfaketime missing: apt-get install faketime"
    SG_FAKETIME=(env LD_PRELOAD="$lib" FAKETIME="$1"
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
}

sg_start_milter() {
    [ -n "${SG_MILTER_CONF:-}" ] || sg_write_milter_conf
    local -a run=("$SG_MILTER_BIN")
    if [ -n "${SG_MILTER_TIME:-}" ]; then
        # the daemon's own pid, to signal it
        sg_faketime "@$SG_MILTER_TIME"
        run=("${SG_FAKETIME[@]}" "$SG_MILTER_BIN")
    fi
    local sock=${SG_MILTER_SOCKET#unix:} i starts
    starts=$(grep -c "starting on" "$SG_MILTER_LOG" 2>/dev/null)
    "${run[@]}" -f -c "$SG_MILTER_CONF" >>"$SG_MILTER_LOG" 2>&1 &
    SG_MILTER_PID=$!
    for i in $(seq 1 100); do
        [ -S "$sock" ] && [ "$(grep -c "starting on" "$SG_MILTER_LOG")" -gt "${starts:-0}" ] && return 0
        kill -0 "$SG_MILTER_PID" 2>/dev/null || break
        sleep 0.1
    done
    sg_die "milter did not start: $(cat "$SG_MILTER_LOG")"
}

# sg_stop_milter: SIGTERM, as systemd stops it, and wait for it to end,
# which it must do with status 0 (EX_OK).  A daemon still there after
# SG_STOP_SECS (60) is a failure, not a test that hangs: its threads'
# stacks are written to the log when gdb is there, and it is killed.  A
# failure is counted in SG_FAILS and in SG_STOP_FAILED, which sg_cleanup
# makes the test's status (for the tests that count their own).
SG_STOP_FAILED=
sg_stop_milter() {
    [ -n "${SG_MILTER_PID:-}" ] || return 0
    local pid=$SG_MILTER_PID i status why=
    SG_MILTER_PID=
    # a daemon that had ended already (a test killed it) is only reaped
    if ! kill -TERM "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null
        return 0
    fi
    for i in $(seq 1 $((${SG_STOP_SECS:-60} * 10))); do
        # bash reaps its children as they end: kill -0 then fails
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        why="did not stop within ${SG_STOP_SECS:-60} s of SIGTERM"
        command -v gdb >/dev/null &&
            gdb -p "$pid" -batch -ex 'thread apply all bt' >>"$SG_MILTER_LOG" 2>&1
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    else
        wait "$pid" 2>/dev/null
        status=$?
        [ "$status" = 0 ] || why="ended with status $status after SIGTERM"
    fi
    [ -z "$why" ] && return 0
    echo "not ok - the milter (pid $pid) $why"
    SG_FAILS=$((SG_FAILS + 1))
    SG_STOP_FAILED=1
    return 1
}

# sg_sasl_users "LOGIN PASSWORD"...: call before sg_start_postfix for a
# second smtpd on SG_SUBMIT_PORT, like a submission service: not
# chrooted, and it takes mail only after SMTP AUTH (PLAIN or LOGIN, Cyrus
# SASL with a real sasldb holding these logins).  Postfix then gives the
# milter the login in {auth_authen}.
sg_sasl_users() {
    SG_SUBMIT_PORT=$(sg_free_port)
    while [ "$SG_SUBMIT_PORT" = "$SG_SMTP_PORT" ] || [ "$SG_SUBMIT_PORT" = "$SG_SINK_PORT" ]; do
        SG_SUBMIT_PORT=$(sg_free_port)
    done
    # $config_directory/sasl: where Debian's Postfix looks (it ignores
    # cyrus_sasl_config_path, which is set too, for other builds)
    mkdir -p "$SG_PF/sasl"
    printf '%s\n' "$@" |
        python3 "$SG_SRCDIR/tests/integration/sasldb.py" "$SG_PF/sasl/sasldb2" mx.school.example ||
        sg_die "cannot write the SASL database"
    chown postfix "$SG_PF/sasl/sasldb2"
    cat >"$SG_PF/sasl/smtpd.conf" <<CF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $SG_PF/sasl/sasldb2
CF
}

sg_start_postfix() {
    mkdir -p "$SG_PF/queue" "$SG_PF/data"
    chown postfix "$SG_PF/data"
    cat >"$SG_PF/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $SG_PF/queue
data_directory = $SG_PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.school.example
mydomain = school.example
myorigin = school.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost =
default_transport = smtp:[127.0.0.1]:$SG_SINK_PORT
smtp_dns_support_level = disabled
disable_dns_lookups = yes
smtp_host_lookup = native
maillog_file = $SG_MAILLOG
maillog_file_prefixes = $SG_WORK
smtpd_milters = $SG_POSTFIX_MILTER
non_smtpd_milters = $SG_POSTFIX_MILTER
milter_default_action = tempfail
milter_protocol = 6
message_size_limit = 104857600
smtp_connection_cache_on_demand = no
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
alias_maps =
alias_database =
biff = no
CF
    cat >"$SG_PF/master.cf" <<CF
127.0.0.1:$SG_SMTP_PORT inet n - y - - smtpd
pickup    unix n - n 1 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
local     unix - n n - - local
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CF
    if [ -n "${SG_SUBMIT_PORT:-}" ]; then
        echo "cyrus_sasl_config_path = $SG_PF/sasl" >>"$SG_PF/main.cf"
        cat >>"$SG_PF/master.cf" <<CF
127.0.0.1:$SG_SUBMIT_PORT inet n - n - - smtpd
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_path=smtpd
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
CF
    fi
    postfix -c "$SG_PF" start >"$SG_WORK/postfix-start.log" 2>&1 ||
        sg_die "postfix did not start: $(cat "$SG_WORK/postfix-start.log" "$SG_MAILLOG" 2>/dev/null)"
    local i
    for i in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$SG_SMTP_PORT") 2>/dev/null && return 0
        sleep 0.1
    done
    sg_die "postfix smtpd is not listening: $(cat "$SG_MAILLOG" 2>/dev/null)"
}

# sg_each_sample FUNC: for each sample in the manifest
# (${SG_SAMPLES:-contrib/samples}/MANIFEST), with the milter's clock at the
# sample's Date: (restarting the milter under libfaketime when the date
# changes, so that rules about the time of day and ages decide as the
# manifest says), call
#   FUNC FILE FROM TO AUTH ACTION RULES CLIENT
# CLIENT is 127.0.0.1 (trusted: a member of the school sending through the
# school server) when AUTH is given, else 127.0.0.2 (an outside client).
sg_each_sample() {
    local fn=$1 samples=${SG_SAMPLES:-$SG_SRCDIR/contrib/samples}
    local file from to auth action rules rest d t client current=
    while read -r file from to auth action rules rest; do
        case "$file" in ''|'#'*) continue;; esac
        d=$(sed -n 's/^Date: *//p' "$samples/$file" | head -1)
        t=$(date -u -d "$d" '+%Y-%m-%d %H:%M:%S' 2>/dev/null)
        if [ "$t" != "$current" ]; then
            sg_stop_milter
            current=$t
            SG_MILTER_TIME=$t sg_start_milter
        fi
        client=127.0.0.1
        [ "$auth" = "-" ] && client=127.0.0.2
        "$fn" "$file" "$from" "$to" "$auth" "$action" "${rules:-}" "$client"
    done <"$samples/MANIFEST"
}

# sg_sendmail FROM TO... < message: local submission through Postfix's
# sendmail (the non_smtpd_milters path).
sg_sendmail() {
    local from=$1; shift
    sendmail -C "$SG_PF" -f "$from" -- "$@"
}

# Number of messages the sink has received.
sg_sink_count() { find "$SG_SINK_DIR" -type f | wc -l; }

# sg_wait_sink N [SECONDS]: wait until the sink has at least N messages.
sg_wait_sink() {
    local n=$1 secs=${2:-30} i
    for i in $(seq 1 $((secs * 10))); do
        [ "$(sg_sink_count)" -ge "$n" ] && return 0
        sleep 0.1
    done
    echo "timed out: sink has $(sg_sink_count) messages, wanted $n" >&2
    return 1
}

# sg_notice_key: the key that marks the filter's notices, readable by the
# milter's user only, as SG_WORK/notice.key.
sg_notice_key() {
    head -c 48 /dev/urandom >"$SG_WORK/notice.key"
    chown postfix "$SG_WORK/notice.key" && chmod 600 "$SG_WORK/notice.key"
}

# sg_review_argv: SG_REVIEW_ARGV, safeguard-review on the milter's
# configuration, with its release, delete and queue commands pointed at
# this private Postfix.
sg_review_argv() {
    SG_REVIEW_ARGV=("$SG_BUILDDIR/review/safeguard-review" -c "$SG_MILTER_CONF"
        -o "review_release_command=/usr/sbin/postsuper -c $SG_PF -H {queue_id}"
        -o "review_delete_command=/usr/sbin/postsuper -c $SG_PF -d {queue_id} hold"
        -o "review_queue_command=/usr/sbin/postqueue -c $SG_PF -j")
}

# sg_require_review [release]: exit 77 (skipped) unless safeguard-review
# is built (and safeguard-release, with "release"); sets REVIEW_BIN and
# RELEASE_BIN.
sg_require_review() {
    REVIEW_BIN="$SG_BUILDDIR/review/safeguard-review"
    RELEASE_BIN="$SG_BUILDDIR/review/safeguard-release"
    [ -x "$REVIEW_BIN" ] || { echo "SKIP: $REVIEW_BIN not built"; exit 77; }
    [ "${1:-}" != release ] || [ -x "$RELEASE_BIN" ] ||
        { echo "SKIP: $RELEASE_BIN not built"; exit 77; }
}

# sg_require_browser: exit 77 (skipped) without Chromium (SG_CHROMIUM,
# default /usr/bin/chromium: sets CHROMIUM) or node and npm.
sg_require_browser() {
    CHROMIUM=${SG_CHROMIUM:-/usr/bin/chromium}
    [ -x "$CHROMIUM" ] || { echo "SKIP: $CHROMIUM is not installed (apt-get install chromium)"; exit 77; }
    command -v node >/dev/null && command -v npm >/dev/null ||
        { echo "SKIP: node and npm are not installed"; exit 77; }
}

# sg_browser_setup: playwright-core for the scripts in tests/browser/,
# pinned by package-lock.json, installed by npm ci beside them (or, in a
# read-only source tree, in the build tree); never a browser download.
# Sets BROWSER_DIR and NODE_PATH.
sg_browser_setup() {
    local node_dir npm_log
    [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] 2>/dev/null ||
        sg_die "playwright-core needs node 20 or newer (this is $(node --version))"
    BROWSER_DIR="$SG_SRCDIR/tests/browser"
    node_dir=$BROWSER_DIR
    [ -w "$BROWSER_DIR" ] || node_dir="$SG_BUILDDIR/tests/browser"
    if [ ! -f "$node_dir/node_modules/playwright-core/package.json" ]; then
        mkdir -p "$node_dir"
        [ "$node_dir" = "$BROWSER_DIR" ] ||
            cp "$BROWSER_DIR/package.json" "$BROWSER_DIR/package-lock.json" "$node_dir/"
        npm_log=$(cd "$node_dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
            npm ci --no-audit --no-fund --ignore-scripts 2>&1) ||
            sg_die "npm ci in $node_dir failed: $npm_log"
    fi
    export NODE_PATH="$node_dir/node_modules"
}

# sg_review ARGS...: that command with ARGS.
sg_review() {
    sg_review_argv
    "${SG_REVIEW_ARGV[@]}" "$@"
}

# sg_start_review [-o NAME=VALUE]...: the review web page on a free loopback
# port (SG_REVIEW_URL; SG_REVIEW_PORT when set, for a review_url written
# into the configuration first), logging to SG_REVIEW_LOG; stopped by
# sg_cleanup.
# The program itself goes in the background, not a function running it:
# $! would be the subshell's pid, and stopping that left the page running.
sg_start_review() {
    local port i
    port=${SG_REVIEW_PORT:-$(sg_free_port)}
    SG_REVIEW_LOG=$SG_WORK/review.log
    SG_REVIEW_URL=http://127.0.0.1:$port
    sg_review_argv
    "${SG_REVIEW_ARGV[@]}" "$@" serve --listen "127.0.0.1:$port" \
        >>"$SG_REVIEW_LOG" 2>&1 &
    SG_REVIEW_PID=$!
    for i in $(seq 1 100); do
        grep -q "listening on http://127.0.0.1:$port/" "$SG_REVIEW_LOG" && return 0
        kill -0 "$SG_REVIEW_PID" 2>/dev/null || break
        sleep 0.1
    done
    sg_die "review page did not start: $(cat "$SG_REVIEW_LOG")"
}

sg_stop_review() {
    if [ -n "${SG_REVIEW_PID:-}" ]; then
        kill -TERM "$SG_REVIEW_PID" 2>/dev/null
        wait "$SG_REVIEW_PID" 2>/dev/null
        SG_REVIEW_PID=
    fi
}

# Where a message is.  QID is Postfix's queue id, ID a quarantine record.
# sg_sink_files QID: the sink's copies of QID (found by their Received:
# line; a notice may quote the queue id in its text)
sg_sink_files() { grep -rlsE "\(Postfix\) with E?SMTP id $1;?$" "$SG_SINK_DIR" 2>/dev/null; }

# Sending one message through the private Postfix from the trusted
# client, and following what became of it.
# sg_send FILE FROM TO: sets QID (empty, with swaks' last lines shown,
# when it was not queued); swaks' dialogue is in SG_SWAKS_LOG.
SG_SENT=0
sg_send() {
    SG_SENT=$((SG_SENT + 1))
    SG_SWAKS_LOG="$SG_WORK/swaks-$SG_SENT.log"
    swaks --timeout 300 --server "127.0.0.1:$SG_SMTP_PORT" --from "$2" --to "$3" \
        --data "$1" >"$SG_SWAKS_LOG" 2>&1
    QID=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_SWAKS_LOG" | head -1)
    [ -n "$QID" ] || { echo "# not queued:"; tail -5 "$SG_SWAKS_LOG" | sed 's/^/#   /'; }
}
# the milter's summary line of QID, once it is there
sg_summary() { grep -E "^.*$QID: verdict=" "$SG_MILTER_LOG" | tail -1; }
sg_wait_summary() { sg_wait_for "$SG_MILTER_LOG" "$QID: verdict=" 120; }
sg_summary_has() { sg_summary | grep -Eq -- "$1"; }
sg_summary_lacks() { ! sg_summary | grep -Eq -- "$1"; }
# QID in the hold queue (within 10 s), or at the sink (within 30 s)
sg_wait_held() { local i; for i in $(seq 1 100); do sg_held "$QID" && return 0; sleep 0.1; done; return 1; }
sg_wait_delivered() { local i; for i in $(seq 1 300); do [ -n "$(sg_sink_files "$QID")" ] && return 0; sleep 0.1; done; return 1; }
# sg_sink_copies QID: how many copies of QID reached the sink
sg_sink_copies() { sg_sink_files "$1" | wc -l; }
# sg_held QID: is QID in Postfix's hold queue?
sg_held() { postqueue -c "$SG_PF" -j 2>/dev/null | grep -F "\"$1\"" | grep -q '"queue_name": *"hold"'; }
# sg_in_queue QID: is QID in any of Postfix's queues?
sg_in_queue() { postqueue -c "$SG_PF" -j 2>/dev/null | grep -qE "\"queue_id\": *\"$1\""; }
# sg_record_status ID: held, released, rejected, expired or escalated
sg_record_status() { sqlite3 "$SG_QUARANTINE/quarantine.db" "select status from records where id='$1'"; }
# sg_notice_to ADDRESS TEXT: a notice at the sink to ADDRESS containing TEXT
sg_notice_to() {
    grep -rls "X-Safeguard-Notice" "$SG_SINK_DIR" 2>/dev/null |
        xargs -r grep -l "^X-Rcpt-Args: <$1>" | xargs -r grep -lF -- "$2" | head -1
}

# sg_wait_notice ADDRESS TEXT: wait for a notice to ADDRESS containing
# TEXT and set NOTICE to its file; if none comes, say what is known.
sg_wait_notice() {
    local i
    NOTICE=
    for i in $(seq 1 300); do
        NOTICE=$(sg_notice_to "$1" "$2")
        [ -n "$NOTICE" ] && return 0
        sleep 0.1
    done
    echo "# no notice to $1 with \"$2\"; the milter said:" >&2
    grep -- "$2" "$SG_MILTER_LOG" | tail -20 | sed 's/^/#   /' >&2
    echo "# notices in the sink:" >&2
    grep -rl "X-Safeguard-Notice" "$SG_SINK_DIR" 2>/dev/null |
        xargs -r grep -h "^X-Rcpt-Args:\|^Subject:" | sed 's/^/#   /' >&2
    return 1
}

# sg_queue_count: messages still in Postfix's queue (any queue).
sg_queue_count() { postqueue -c "$SG_PF" -j 2>/dev/null | wc -l; }

sg_cleanup() {
    local rc=$? name
    sg_stop_review
    for name in "${SG_INSTANCES[@]}"; do
        sg_instance "$name"
        sg_stop_milter
        postfix -c "$SG_PF" stop >/dev/null 2>&1
    done
    sg_stop_milter
    [ -n "$SG_STOP_FAILED" ] && rc=1
    [ -d "${SG_PF:-/nonexistent}" ] && postfix -c "$SG_PF" stop >/dev/null 2>&1
    [ -n "${SG_SINK_PID:-}" ] && kill "$SG_SINK_PID" 2>/dev/null
    # a test's own clean-up of what it changed on the system, once its
    # processes are stopped (a user still running one cannot be removed)
    declare -F sg_cleanup_hook >/dev/null && sg_cleanup_hook
    if [ "$rc" != 0 ] && [ -n "${SG_WORK:-}" ]; then
        echo "--- milter log ($SG_MILTER_LOG)" >&2; tail -n 40 "$SG_MILTER_LOG" >&2 2>/dev/null
        echo "--- postfix log ($SG_MAILLOG)" >&2; tail -n 40 "$SG_MAILLOG" >&2 2>/dev/null
    fi
    if [ -n "${SG_WORK:-}" ] && [ -z "${SG_KEEP:-}" ]; then
        rm -rf "$SG_WORK"
    fi
    # the last thing the EXIT trap runs: exit, as return would not
    # change the test's status
    exit "$rc"
}
