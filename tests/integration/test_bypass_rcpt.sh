#!/bin/bash
# test_bypass_rcpt.sh - recipients written in a form that Postfix rewrites
# before delivery, through a real private Postfix (its defaults:
# allow_percent_hack, swap_bangpath, resolve_dequoted_address, its own
# address literals local) and the real daemon with the demo school:
#
#  1. Postfix delivers pupil%school.example@[127.0.0.1],
#     school.example!pupil@[127.0.0.1], "pupil@school.example"@[...], a
#     bare "pupil", pupil@localhost (local delivery) and the like to the
#     pupil; the filter must judge each as that pupil (a staff member's
#     personal address is refused, an unverified school sender is held),
#     name the form in its summary line, and refuse with 5.1.3 an address
#     too long to follow.
#  2. Postfix (smtputf8) folds the case of UTF-8 addresses, so
#     ZOË.BROWN@school.example reaches zoë.brown@school.example; the
#     filter must judge it as that pupil too (sent with SMTPUTF8).
# Outsiders whose addresses merely look alike stay outsiders.  Last,
# with the settings contrib/postfix/main.cf.snippet ships, Postfix itself
# refuses the rewritten forms.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
command -v python3 >/dev/null || { echo "SKIP: python3 is not installed"; exit 77; }

check() { sg_check "$@"; }
SAMPLES="$SG_SRCDIR/contrib/samples"
sg_setup
sg_start_sink
echo "# work directory: $SG_WORK"
# the demo school, and a pupil whose name is not ASCII
{ cat "$SAMPLES/school.dir"
  printf 'zo\xc3\xab.brown@school.example pupil name="Zo\xc3\xab Brown" dob=2012-03-03\n'
} >"$SG_WORK/school.dir"
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SG_WORK/school.dir"
sg_start_milter
sg_start_postfix
# Where Postfix delivers zoë's mail: her mailbox, by a table lookup that
# Postfix folds (as virtual_mailbox_maps or alias_maps would be).  And
# local delivery (the server's own address literals) of amy.patel, as on
# a server where the pupils' mailboxes are local.
printf 'zo\xc3\xab.brown@school.example zoe.mailbox@pupils.example\n' >"$SG_PF/virtual"
printf 'amy.patel amy.patel@school.example\n' >"$SG_PF/aliases"
postconf -c "$SG_PF" -e "virtual_alias_maps = texthash:$SG_PF/virtual" \
    "alias_maps = texthash:$SG_PF/aliases" "mailbox_size_limit = 0" \
    "mydestination = localhost"
postfix -c "$SG_PF" reload >/dev/null 2>&1
sleep 1

n=0
# send CLIENT FROM TO FILE: swaks; the transcript's file in $log, the
# queue id (if queued) in $qid
send() {
    n=$((n + 1))
    log="$SG_WORK/swaks-$n.log"
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface "$1" \
        --from "$2" --to "$3" --data "$SAMPLES/$4" >"$log" 2>&1
    qid=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1)
}
# send_utf8 CLIENT FROM TO FILE: the same over SMTPUTF8 (python3 smtplib)
send_utf8() {
    n=$((n + 1))
    log="$SG_WORK/smtputf8-$n.log"
    python3 - "$SG_SMTP_PORT" "$@" >"$log" 2>&1 <<'PY'
import smtplib, sys
port, client, sender, rcpt, path = sys.argv[1:6]
with open(path, "rb") as f:
    data = f.read()
s = smtplib.SMTP("127.0.0.1", int(port), source_address=(client, 0))
s.ehlo("client.example")
assert s.has_extn("smtputf8"), "the server does not offer SMTPUTF8"
code, msg = s.mail(sender, ["SMTPUTF8"])
print("MAIL", code, msg.decode("utf-8", "replace"))
code, msg = s.rcpt(rcpt)
print("RCPT", code, msg.decode("utf-8", "replace"))
if code == 250:
    code, msg = s.data(data)
    print("DATA", code, msg.decode("utf-8", "replace"))
s.quit()
PY
    qid=$(sed -n 's/^DATA 250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1)
}
# summary QID: the daemon's summary line for QID
summary() { grep -F "$1: verdict=" "$SG_MILTER_LOG" | head -1; }
# delivered_to QID ADDRESS: the sink got QID for ADDRESS
delivered_to() {
    local i
    for i in $(seq 1 100); do
        sg_sink_files "$1" | xargs -r grep -lqi "^X-Rcpt-Args: <$2>" && return 0
        sleep 0.1
    done
    return 1
}

# ---- 1. forms Postfix rewrites to amy.patel@school.example
FORMS=(
    'amy.patel%school.example@[127.0.0.1]'
    'school.example!amy.patel@[127.0.0.1]'
    '"amy.patel@school.example"@[127.0.0.1]'
    'amy.patel@school.example@[127.0.0.1]'
    '"amy.patel%school.example"@[127.0.0.1]'
    'amy.patel%school.example%[127.0.0.1]@[127.0.0.1]'
    'AMY.PATEL%SCHOOL.EXAMPLE@[127.0.0.1]'
    'school.example!amy.patel'
    'amy.patel%school.example'
    'amy.patel'
    'amy.patel@[127.0.0.1]'
    'amy.patel@localhost'
    'amy.patel%school.example@localhost'
    '@[127.0.0.1]:amy.patel%school.example@[127.0.0.1]'
)
# Postfix delivers every one of them to the pupil (mail the rules allow:
# a teacher's homework to the pupil and a colleague) ...
for f in "${FORMS[@]}"; do
    send 127.0.0.1 j.smith@school.example "$f,a.jones@school.example" ordinary-homework.eml
    check "[$f] allowed mail is queued" test -n "$qid"
    check "[$f] Postfix delivers it to amy.patel@school.example" delivered_to "$qid" amy.patel@school.example
    check "[$f] the summary line names the pupil" \
        grep -qiF "to=<$f>=<amy.patel@school.example>:pupil," <<<"$(summary "$qid")"
done
# ... so a staff member's personal address writing to her is refused at
# RCPT, whatever the form.
for f in "${FORMS[@]}"; do
    send 127.0.0.2 john.smith.home@example.net "$f" staff-personal-to-pupil.eml
    check "[$f] personal address to the pupil: refused with 550 5.7.1" \
        grep -Eq '^<\*\* +550[ -]5\.7\.1' "$log"
    check "[$f] the refusal names the rule" grep -q "(Rule staff-personal-to-pupil.)" "$log"
    check "[$f] the log line at RCPT names the pupil's address" \
        grep -qiF "at RCPT client=[127.0.0.2][127.0.0.2] from=<john.smith.home@example.net> to=<$f>=<amy.patel@school.example>" "$SG_MILTER_LOG"
    check "[$f] nothing queued" test -z "$qid"
done
# An unverified school sender to a pupil is held (the end-of-message rules).
send 127.0.0.2 head@school.example 'ben.okafor%school.example@[127.0.0.1]' spoofed-school-sender-to-pupil.eml
check "spoofed school sender, percent hack: queued" test -n "$qid"
for i in $(seq 1 50); do sg_held "$qid" && break; sleep 0.1; done
check "spoofed school sender, percent hack: held" sg_held "$qid"
check "spoofed school sender, percent hack: the rule" \
    grep -q "verdict=hold rules=spoofed-school-sender-to-pupil(hold)" <<<"$(summary "$qid")"

# An address with more forms than the filter follows is refused, plainly.
long=$(printf 'school.example!%.0s' $(seq 1 16))'amy.patel@[127.0.0.1]'
send 127.0.0.2 john.smith.home@example.net "$long" staff-personal-to-pupil.eml
check "too many forms: refused with 550 5.1.3" grep -Eq '^<\*\* +550[ -]5\.1\.3' "$log"
check "too many forms: the reply says to write it plainly" grep -q "plainly" "$log"
check "too many forms: nothing queued" test -z "$qid"

# Outsiders stay outsiders: another domain's amy.patel, and a percent
# hack that leads outside.
for f in amy.patel@example.net 'someone%example.net@[127.0.0.1]'; do
    send 127.0.0.1 j.smith@school.example "$f" ordinary-homework.eml
    check "[$f] queued" test -n "$qid"
    check "[$f] an outsider" grep -qF "to=<$f>:external rcpts=1" <<<"$(summary "$qid")"
done

# ---- 2. a UTF-8 mailbox in another case (SMTPUTF8)
ZOE=$(printf 'zo\xc3\xab.brown@school.example')
for f in "$(printf 'ZO\xc3\x8b.BROWN@SCHOOL.EXAMPLE')" "$(printf 'Zo\xc3\xab.Brown@school.example')"; do
    send_utf8 127.0.0.1 j.smith@school.example "$f" "$SAMPLES/ordinary-homework.eml"
    check "[$f] allowed mail is queued" test -n "$qid"
    # (the sink cannot take SMTPUTF8 mail: Postfix's own log shows where
    # it sent it)
    check "[$f] Postfix folds it to zoë's mailbox" \
        sg_wait_for "$SG_MAILLOG" "$qid: to=<zoe.mailbox@pupils.example>, orig_to=<$f>"
    check "[$f] the filter judges it as the pupil" \
        grep -qF "to=<$f>:pupil rcpts=1" <<<"$(summary "$qid")"
    send_utf8 127.0.0.2 john.smith.home@example.net "$f" "$SAMPLES/staff-personal-to-pupil.eml"
    check "[$f] personal address to the pupil: refused with 550 5.7.1" \
        grep -Eq '^RCPT 550 5\.7\.1' "$log"
    check "[$f] nothing queued" test -z "$qid"
done
# Submitted locally, Postfix's cleanup gives the filter the address as
# written and nothing more: the filter's own folding must find her.
f=$(printf 'ZO\xc3\x8b.BROWN@SCHOOL.EXAMPLE')
sg_sendmail john.smith.home@example.net "$f" <"$SAMPLES/staff-personal-to-pupil.eml"
check "[$f] local submission: judged as the pupil and refused" \
    sg_wait_for "$SG_MILTER_LOG" "verdict=reject rules=staff-personal-to-pupil\(reject\).* to=<$f>:pupil rcpts=1 "
send_utf8 127.0.0.2 john.smith.home@example.net "$ZOE" "$SAMPLES/staff-personal-to-pupil.eml"
check "[$ZOE] as written: refused with 550 5.7.1" grep -Eq '^RCPT 550 5\.7\.1' "$log"

# ---- safeguard-check resolves recipients the same way
CHECK=(env ASAN_OPTIONS="${ASAN_OPTIONS:-}" "$SG_BUILDDIR/milter/safeguard-check" -c "$SG_MILTER_CONF")
for f in 'amy.patel%school.example@[127.0.0.1]' 'school.example!amy.patel' amy.patel; do
    "${CHECK[@]}" --from john.smith.home@example.net --to "$f" \
        "$SAMPLES/staff-personal-to-pupil.eml" >"$SG_WORK/check.txt" 2>&1
    check "safeguard-check [$f]: reject" grep -q "^Verdict: reject" "$SG_WORK/check.txt"
    check "safeguard-check [$f]: a pupil" grep -qF "To   <$f>: pupil" "$SG_WORK/check.txt"
    check "safeguard-check [$f]: delivered as the pupil's address" \
        grep -qF "(delivered as <amy.patel@school.example>)" "$SG_WORK/check.txt"
done
f=$(printf 'ZO\xc3\x8b.BROWN@SCHOOL.EXAMPLE')
"${CHECK[@]}" --from john.smith.home@example.net --to "$f" \
    "$SAMPLES/staff-personal-to-pupil.eml" >"$SG_WORK/check.txt" 2>&1
check "safeguard-check [$f]: reject" grep -q "^Verdict: reject" "$SG_WORK/check.txt"
check "safeguard-check [$f]: a pupil" grep -qF "To   <$f>: pupil" "$SG_WORK/check.txt"
"${CHECK[@]}" --json --from john.smith.home@example.net --to 'amy.patel%school.example@[127.0.0.1]' \
    "$SAMPLES/staff-personal-to-pupil.eml" >"$SG_WORK/check.json" 2>&1
check "safeguard-check --json: delivered_as" \
    grep -qF '"delivered_as": "amy.patel@school.example"' "$SG_WORK/check.json"
"${CHECK[@]}" --from john.smith.home@example.net --to "$long" \
    "$SAMPLES/staff-personal-to-pupil.eml" >"$SG_WORK/check.txt" 2>&1
rc=$?
check "safeguard-check: too many forms, exit 65 ($rc)" test "$rc" -eq 65
check "safeguard-check: too many forms, says 5.1.3" grep -q "550 5.1.3" "$SG_WORK/check.txt"

# ---- with the settings contrib/postfix/main.cf.snippet ships, Postfix
# no longer rewrites these forms: it refuses them as unknown users
snippet="$SG_SRCDIR/contrib/postfix/main.cf.snippet"
postconf -c "$SG_PF" -e "$(grep '^allow_percent_hack *=' "$snippet")" \
    "$(grep '^swap_bangpath *=' "$snippet")"
check "the snippet turns both off" \
    test "$(postconf -c "$SG_PF" -h allow_percent_hack swap_bangpath | sort -u)" = no
postfix -c "$SG_PF" reload >/dev/null 2>&1
sleep 1
for f in 'amy.patel%school.example@[127.0.0.1]' 'school.example!amy.patel@[127.0.0.1]'; do
    send 127.0.0.1 j.smith@school.example "$f" ordinary-homework.eml
    check "[$f] with the snippet's settings: Postfix refuses it (550 5.1.1)" \
        grep -Eq '^<\*\* +550 5\.1\.1 ' "$log"
done

check "nothing stuck in the active or deferred queues" \
    test "$(postqueue -c "$SG_PF" -j | grep -vc '"queue_name": *"hold"')" -eq 0
[ "$SG_FAILS" -eq 0 ]
