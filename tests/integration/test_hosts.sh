#!/bin/bash
# test_hosts.sh - several mail servers, one record store, through two real
# private Postfix instances on loopback (hosts a and b), each with its own
# safeguard-milter (host_name a and b) and its own release helper (as
# root, socket-activated, as safeguard-release.socket starts it), sharing
# one store, and the review tool run as either host.
#  1. each record names the host that holds its message: show, list
#     --host;
#  2. a message held on b, released with the review tool run as a, is
#     released by b's daemon from b's hold queue and delivered once; a
#     rejection on a deletes b's copy;
#  3. b's daemon stopped when the decision is taken: the message stays
#     held until it returns, then is released, delivered once;
#  4. two reviewers on a and b release one record at once: one wins, the
#     other is told who did;
#  5. b gone for good (its Postfix, and the copy on its disk): the record
#     is re-injected through a from the database's copy and
#     delivered once without being held again, and when b's queue comes
#     back its held copy is deleted, not delivered; the header that lets
#     the copy through is refused when replayed or forged.
# The store is a private PostgreSQL cluster (tests/integration/pg/lib.sh),
# the database a trust's hosts share; skipped where PostgreSQL cannot be
# found.  SG_HOSTS_STORE=sqlite runs it on one SQLite file instead (the
# hosts here share a disk).  STORE is the one line that says which.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg/lib.sh"
sg_require_postfix
[ "${SG_HOSTS_STORE:-postgresql}" = sqlite ] || sg_require_postgresql
sg_require_review release
command -v systemd-socket-activate >/dev/null ||
    { echo "SKIP: systemd-socket-activate is not installed"; exit 77; }

check() { sg_check "$@"; }

SAMPLES="$SG_SRCDIR/contrib/samples"
SAMPLE="$SAMPLES/personal-contact-details.eml"
sg_setup
# the release helpers, stopped with everything else
HELPER_PIDS=()
cleanup() {
    local rc=$? p
    for p in "${HELPER_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    sg_pg_cleanup
    (exit "$rc")
    sg_cleanup
}
trap cleanup EXIT
sg_start_sink
sg_notice_key
if [ "${SG_HOSTS_STORE:-postgresql}" = sqlite ]; then
    STORE="quarantine_db = $SG_QUARANTINE/quarantine.db"
else
    sg_pg_start postfix # the daemons run as postfix and read the passfile
    STORE="store = postgresql:$SG_PG_CONNINFO"
fi
echo "# store: ${STORE%% =*} (${SG_HOSTS_STORE:-postgresql})"

# conf NAME [SETTING...]: instance NAME's configuration; the settings
# given replace the test's of the same name
conf() {
    local name=$1 line key; shift
    sg_instance "$name"
    local -a all=("$@")
    for line in "host_name = $name" "$STORE" \
        "trusted_networks = 127.0.0.1/32" \
        "directory_file = $SAMPLES/school.dir" \
        "decision_poll_interval = 1s" \
        "notice_retry_interval = 1s" \
        "notice_secret_file = $SG_WORK/notice.key" \
        "notice_from = safeguarding@school.example" \
        "dsl_addresses = a.khan@school.example" \
        "notice_templates = $SG_SRCDIR/contrib/templates" \
        "notice_sendmail = /bin/sh $SG_SRCDIR/tests/integration/queue-notice.sh $SG_SMTP_PORT {from} {to}" \
        "review_queue_command = /bin/sh $SG_SRCDIR/tests/integration/queue-list.sh $SG_PF/queue" \
        "review_release_helper = $SG_WORK/release-$name.sock" \
        "release_helper_postsuper = /usr/sbin/postsuper -c $SG_PF"; do
        key=${line%% =*}
        printf '%s\n' "$@" | grep -q "^$key *=" || all+=("$line")
    done
    sg_write_milter_conf "${all[@]}"
    chmod 0644 "$SG_MILTER_CONF"
}
# host NAME: start instance NAME (Postfix, its release helper, its daemon)
host() {
    local sock="$SG_WORK/release-$1.sock" i
    conf "$1"
    sg_start_postfix
    systemd-socket-activate --inetd -a -l "$sock" \
        "$RELEASE_BIN" -c "$SG_MILTER_CONF" >>"$SG_WORK/release-$1.log" 2>&1 &
    HELPER_PIDS+=($!)
    for i in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
    chgrp postfix "$sock" && chmod 0660 "$sock"
    sg_start_milter
}
host a
host b

# review HOST ARGS...: safeguard-review run as HOST (its configuration;
# its own Postfix's commands)
review() { sg_instance "$1"; shift; sg_review "$@"; }
status_of() { review a show "$1" --no-queue | sed -n 's/^Status *//p' | cut -d' ' -f1 | tr -d ,; }
# hold HOST: send the sample through HOST's Postfix; QID and RECORD
hold() {
    sg_instance "$1"
    sg_send "$SAMPLE" j.smith@school.example amy.patel@school.example
    sg_wait_summary >/dev/null
    sg_wait_held
    RECORD=$(sg_summary | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
    check "held on $1: $QID, record $RECORD" sg_held "$QID"
}
# wait_gone HOST QID [SECONDS]: until HOST's queue no longer has QID
wait_gone() {
    local i
    sg_instance "$1"
    for i in $(seq 1 $((${3:-30} * 10))); do sg_in_queue "$2" || return 0; sleep 0.1; done
    return 1
}
held_on() { sg_instance "$1"; sg_held "$2"; }
status_is() { [ "$(status_of "$1")" = "$2" ]; }
# settle: until neither host's Postfix has mail on its way (held mail
# waits for a decision): no copy can reach the sink after that unless a
# decision or a daemon sends one, which is what the checks look for
settle() {
    local i n busy
    for i in $(seq 1 100); do
        busy=
        for n in a b; do
            postqueue -c "$SG_WORK/postfix-$n" -j 2>/dev/null |
                grep -vq '"queue_name": *"hold"' && busy=1
        done
        [ -z "$busy" ] && return 0
        sleep 0.1
    done
    return 1
}
never_delivered() { settle; [ "$(sg_sink_copies "$1")" = 0 ]; }
# delivered_once QID: the sink has exactly one copy (after the queues settle)
delivered_once() {
    local i
    for i in $(seq 1 300); do [ "$(sg_sink_copies "$1")" -ge 1 ] && break; sleep 0.1; done
    settle
    [ "$(sg_sink_copies "$1")" = 1 ]
}

# ---- 1. the host of each record
hold a; QA=$QID; RA=$RECORD
hold b; QB=$QID; RB=$RECORD
review a show "$RB" --no-queue >"$SG_WORK/show-b.out"
check "show names the host that holds it" grep -qx "Host       b" "$SG_WORK/show-b.out"
review b show "$RB" >"$SG_WORK/show-b-here.out"
check "  (this host) when run there, and where its queue has it" \
    bash -c "grep -qx 'Host       b (this host)' '$SG_WORK/show-b-here.out' &&
             grep -q '^Mail queue in the hold queue' '$SG_WORK/show-b-here.out'"
review a show "$RB" >"$SG_WORK/show-b-there.out"
check "  and another host's queue is not asked" \
    grep -q "^Mail queue on host b, not this one" "$SG_WORK/show-b-there.out"
review a list --host b >"$SG_WORK/list-b.out"
check "list --host b: b's record, not a's" \
    bash -c "grep -q '^$RB ' '$SG_WORK/list-b.out' && ! grep -q '^$RA ' '$SG_WORK/list-b.out'"
# each host's check of its records against its hold queue leaves the
# other host's alone: b's sync sees its message on hold, and then a's,
# which does not have it, must not take it for released or deleted
review b sync >/dev/null 2>&1
review a sync >"$SG_WORK/sync-a.out" 2>&1
check "a's sync does not take b's held message for gone" \
    grep -q 'sync: 0 records updated' "$SG_WORK/sync-a.out"
check "  b's record is still held" status_is "$RB" held

# ---- 2. released on a, carried out by b
review a release "$RB" --note "checked: a school trip number" --by dsl-a >"$SG_WORK/rel-b.out" 2>&1
check "release of b's message from a: told that b carries it out" \
    grep -q "host b releases it" "$SG_WORK/rel-b.out"
check "  b's daemon releases it from b's hold queue" wait_gone b "$QB"
check "  delivered once" delivered_once "$QB"
review a show "$RB" --no-queue >"$SG_WORK/show-b2.out"
check "  the decision is done on b, audited" \
    bash -c "grep -q 'release queue id $QB on host b: done, released queue id $QB' '$SG_WORK/show-b2.out' &&
             grep -q 'carried-out: on host b: released queue id $QB' '$SG_WORK/show-b2.out'"
check "  a's own message is still held on a" held_on a "$QA"
review b reject "$RA" --note "not to be sent" --by dsl-b >/dev/null 2>&1
check "a's message rejected from b: deleted from a's hold queue" wait_gone a "$QA"
check "  and never delivered" never_delivered "$QA"

# ---- 3. b's daemon stopped when the decision is taken
hold b; QS=$QID; RS=$RECORD
sg_instance b; sg_stop_milter
review a release "$RS" --note "fine" --by dsl-a >/dev/null 2>&1
settle
check "b's daemon stopped: released in the store" status_is "$RS" released
check "  still held on b" held_on b "$QS"
review a show "$RS" --no-queue >"$SG_WORK/show-s.out"
check "  the decision waits for b" grep -q "release queue id $QS on host b: pending" "$SG_WORK/show-s.out"
sg_instance b; sg_start_milter
check "  b returns: it releases it" wait_gone b "$QS"
check "  delivered once" delivered_once "$QS"

# ---- 4. two reviewers, one record, at once
hold b; QC=$QID; RC=$RECORD
( review a release "$RC" --note "first" --by dsl-a >"$SG_WORK/race-a.out" 2>&1; echo $? >"$SG_WORK/race-a.rc" ) &
P1=$!
( review b release "$RC" --note "second" --by dsl-b >"$SG_WORK/race-b.out" 2>&1; echo $? >"$SG_WORK/race-b.rc" ) &
P2=$!
wait "$P1" "$P2"
RCS="$(cat "$SG_WORK/race-a.rc") $(cat "$SG_WORK/race-b.rc")"
check "two releases at once: one wins, the other is refused ($RCS)" \
    bash -c "[ '$RCS' = '0 65' ] || [ '$RCS' = '65 0' ]"
check "  the one refused is told who released it" \
    bash -c "cat '$SG_WORK/race-a.out' '$SG_WORK/race-b.out' | grep -q 'already released by dsl-[ab]'"
check "  delivered once" delivered_once "$QC"
review a audit "$RC" >"$SG_WORK/audit-c.out"
check "  one release in the audit" test "$(grep -cE ' released {6}' "$SG_WORK/audit-c.out")" = 1

# ---- 5. b gone for good: re-injected through a
hold b; QG=$QID; RG=$RECORD
sg_instance b; PF_B=$SG_PF
sg_stop_milter
postfix -c "$PF_B" stop >/dev/null 2>&1
sg_instance a; PF_A=$SG_PF
# a's real sendmail, keeping what it was given (to replay it below)
cat >"$SG_WORK/sendmail-a.sh" <<SH
#!/bin/sh
cat >"$SG_WORK/reinjected.eml" && exec /usr/sbin/sendmail -C "$PF_A" -i "\$@" <"$SG_WORK/reinjected.eml"
SH
chmod 755 "$SG_WORK/sendmail-a.sh"
SENDMAIL_A="notice_sendmail=$SG_WORK/sendmail-a.sh -f {from} -- {to}"
review a -o "$SENDMAIL_A" reinject "$RG" --note "mx-b lost its disk" --by admin >"$SG_WORK/rj0.out" 2>&1
RJ0=$?
check "reinject of a held record without --release: refused" \
    bash -c "[ $RJ0 = 65 ] && grep -q 'reinject refused' '$SG_WORK/rj0.out' && [ ! -e '$SG_WORK/reinjected.eml' ]"
check "  and the record still held" status_is "$RG" held
# b's disk is gone with it: only the database's copy is left
rm -f "$(sg_pg_value "SELECT message_path FROM records WHERE id = '$RG'")"
review a -o "$SENDMAIL_A" reinject "$RG" --release --note "mx-b lost its disk" --by admin >"$SG_WORK/rj1.out" 2>&1
check "reinject --release: sent again from a" grep -q "sent again from this host" "$SG_WORK/rj1.out"
check "  released in the store" status_is "$RG" released
sg_instance a
sg_wait_for "$SG_MILTER_LOG" "verdict=accept reinjected=$RG" 30
QR=$(grep -o "[0-9A-F]*: verdict=accept reinjected=$RG" "$SG_MILTER_LOG" | head -1 | cut -d: -f1)
# a local submission's Received: line has "id QUEUEID; DATE", without
# "with SMTP"
local_copies() { grep -rlsE "[[:space:]]id $1;" "$SG_SINK_DIR" | wc -l; }
check "  a's filter lets it through, not held again ($QR)" test -n "$QR"
for i in $(seq 1 300); do [ "$(local_copies "$QR")" -ge 1 ] && break; sleep 0.1; done
settle
check "  delivered once" test "$(local_copies "$QR")" = 1
check "  without the header that let it through" \
    bash -c "f=\$(grep -rlE '[[:space:]]id $QR;' '$SG_SINK_DIR') && [ -n \"\$f\" ] && ! grep -qi '^X-Safeguard-Reinject' \$f"
# the same header again (a replay), and a made-up one: judged as usual
/usr/sbin/sendmail -C "$PF_A" -i -f j.smith@school.example -- amy.patel@school.example <"$SG_WORK/reinjected.eml"
sg_wait_for "$SG_MILTER_LOG" "X-Safeguard-Reinject header not trusted \(record $RG was not re-injected, or its copy was taken already" 30
check "a replayed header is not trusted: the copy is taken" test $? = 0
{ echo "X-Safeguard-Reinject: $RG; t=$(date +%s); mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; cat "$SAMPLE"; } >"$SG_WORK/forged.eml"
sg_send "$SG_WORK/forged.eml" j.smith@school.example amy.patel@school.example
sg_wait_summary >/dev/null
check "a forged header is not trusted, the message held as any other" \
    grep -q 'X-Safeguard-Reinject header not trusted (the MAC is wrong)' "$SG_MILTER_LOG"
check "  (held)" sg_wait_held
# b comes back with its queue: its copy is deleted, not delivered
sg_instance b
sg_start_postfix
check "b returns: its copy of $QG is still on hold at first" sg_held "$QG"
sg_start_milter
check "  b's daemon deletes it" wait_gone b "$QG"
check "  never delivered from b" never_delivered "$QG"
review a show "$RG" --no-queue >"$SG_WORK/show-g.out"
check "  the decision to delete is done on b; the release superseded" \
    bash -c "grep -q 'delete queue id $QG on host b: done, deleted queue id $QG' '$SG_WORK/show-g.out' &&
             grep -q 'release queue id $QG on host b: done, superseded' '$SG_WORK/show-g.out'"

# ---- 6. notices: each sent once, by whichever host is alive
sg_instance b; sg_stop_milter
conf b "notice_sendmail = /bin/false {to}"
sg_start_milter
hold b; RN=$RECORD
sg_wait_for "$SG_MILTER_LOG" "record $RN: notice [0-9]+ \(held-dsl\) to .* not sent, trying again" 30
check "b could not send its notice about $RN: kept to try again" test $? = 0
sg_stop_milter
sg_instance a
sg_wait_for "$SG_MILTER_LOG" "record $RN: notice [0-9]+ \(held-dsl\) sent" 150
check "  b stopped: a sends it when it is due" test $? = 0
settle
check "every notice at the sink came once (one of each Message-ID)" \
    bash -c "ids=\$(grep -rl '^X-Safeguard-Notice' '$SG_SINK_DIR' | xargs grep -hi '^Message-ID:' | sort);
             [ -n \"\$ids\" ] && [ -z \"\$(printf '%s\\n' \"\$ids\" | uniq -d)\" ]"
check "  and each sent notice by one host only" \
    bash -c "[ -z \"\$(cat '$SG_WORK'/milter-*.log | grep -o 'notice [0-9]* ([a-z-]*) sent' | sort | uniq -d)\" ]"

echo "# $SG_FAILS failed"
[ "$SG_FAILS" = 0 ]
