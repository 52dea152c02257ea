#!/bin/bash
# test_config_check.sh - mistakes that would quietly switch the safeguards
# off stop the real daemon: `safeguard-milter -n`, its start and a reload
# (SIGUSR1) refuse them with the file and line, and so does
# `safeguard-check -n`:
#   a rules file with no rule in it (empty, only comments) or an empty
#   rules_file, unless allow_no_rules = yes; an unknown role in a rule or in
#   the directory file; an unknown notify target; no directory at all,
#   unless directory_backend = none; addresses that are not addresses
#   (dsl_addresses, journal_address); a bad trusted_networks item; a time
#   zone that does not exist; LDAP settings that cannot work (an
#   attribute name, a base that is not a DN, a role group), before any
#   server is asked.
# One file serves the daemon and safeguard-review: the review tool's own
# keys (review_*) are left to it by safeguard-milter -n and safeguard-check
# -n (which say so) and checked by `safeguard-review check`; a key nobody
# owns stops all three with the file and line.
# And the listen backlog of the socket is the setting's (default 1024,
# capped by the kernel's somaxconn), seen with ss; and every program's
# --help is its usage, not an error.
set -u
. "$(dirname "$0")/lib.sh"
SRC=$SG_SRCDIR
MILTER=$SG_MILTER_BIN
CHECK="$SG_BUILDDIR/milter/safeguard-check"
[ -x "$MILTER" ] || { echo "SKIP: $MILTER not built"; exit 77; }
W=$(mktemp -d /tmp/sg-conf.XXXXXX)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$W"
}
trap cleanup EXIT
fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

cp "$SRC/rules/policy/default.rules" "$W/good.rules"
cp "$SRC/contrib/samples/school.dir" "$W/school.dir"
# the harness's configuration (sg_write_milter_conf), in $W, run as root
SG_WORK=$W SG_MILTER_DIR=$W SG_QUARANTINE=$W/q SG_MILTER_SOCKET=unix:$W/milter.sock
mkdir -p "$SG_QUARANTINE"
# conf NAME [LINE...]: $W/NAME.conf, the lines first (so their line
# numbers are theirs), then the harness's settings they do not set, and
# the sample directory file unless they name a directory
conf() {
    local name=$1; shift
    local -a more=("user =")
    printf '%s\n' "$@" | grep -q '^rules_file' ||
        more+=("rules_file = $W/good.rules")
    printf '%s\n' "$@" | grep -q '^directory_' ||
        more+=("directory_file = $W/school.dir")
    sg_write_milter_conf "$@" "${more[@]}"
    mv "$SG_MILTER_CONF" "$W/$name.conf"
}

# refused NAME REGEX: -n exits 78 and says REGEX; the daemon does not start
# (it exits 78 instead of running); safeguard-check -n exits 78 too
refused() {
    local name=$1 re=$2 rc
    "$MILTER" -n -c "$W/$name.conf" >"$W/$name.out" 2>&1
    rc=$?
    check "$name: -n refuses it (78, got $rc)" test "$rc" = 78
    check "$name: -n says where: /$re/" grep -Eq -- "$re" "$W/$name.out"
    timeout 10 "$MILTER" -f -c "$W/$name.conf" >"$W/$name.start" 2>&1
    rc=$?
    check "$name: the daemon does not start (78, got $rc)" test "$rc" = 78
    "$CHECK" -n -c "$W/$name.conf" >"$W/$name.check" 2>&1
    rc=$?
    check "$name: safeguard-check -n refuses it (78, got $rc)" test "$rc" = 78
    [ "$fails" = 0 ] || cat "$W/$name.out"
}

# accepted NAME [REGEX]: -n says the configuration is valid (and REGEX)
accepted() {
    local name=$1 re=${2:-} rc
    "$MILTER" -n -c "$W/$name.conf" >"$W/$name.out" 2>&1
    rc=$?
    check "$name: -n accepts it (got $rc: $(head -c 300 "$W/$name.out"))" test "$rc" = 0
    [ -z "$re" ] || check "$name: -n says /$re/" grep -Eq -- "$re" "$W/$name.out"
}

conf good
accepted good "configuration $W/good.conf is valid"

# --- one file for both programs
REVIEW="$SG_BUILDDIR/review/safeguard-review"
# review_check NAME RC [REGEX]: safeguard-review check exits RC (and says REGEX)
review_check() {
    local name=$1 want=$2 re=${3:-} rc
    "$REVIEW" -c "$W/$name.conf" check >"$W/$name.review" 2>&1
    rc=$?
    check "$name: safeguard-review check exits $want (got $rc: $(head -c 300 "$W/$name.review"))" test "$rc" = "$want"
    [ -z "$re" ] || check "$name: safeguard-review check says /$re/" grep -Eq -- "$re" "$W/$name.review"
}
conf both "review_sla_hours = 48" "review_listen = 127.0.0.1:8481"
accepted both "2 review_\* settings are the review tool's: check them with safeguard-review -c $W/both.conf check"
"$CHECK" -n -c "$W/both.conf" >"$W/both.check" 2>&1
rc=$?
check "both: safeguard-check -n accepts it (got $rc)" test "$rc" = 0
check "both: safeguard-check -n says what it left" grep -q "^2 review_\* settings are the review tool's: check them with safeguard-review -c $W/both.conf check" "$W/both.check"
review_check both 0 "configuration $W/both.conf is valid"
review_check good 0
# a bad value of the review tool's: its check says where; the daemon runs
conf review-value "" "review_sla_hours = 0"
accepted review-value
review_check review-value 78 "^safeguard-review: $W/review-value.conf:2: review_sla_hours = \"0\": value is out of range"
conf review-typo "review_sla_hour = 48"
review_check review-typo 78 "$W/review-typo.conf:1: unknown setting \"review_sla_hour\""
# a key nobody owns: all three refuse it, with the line
conf nobody "" "" "reveiw_sla_hours = 48"
refused nobody "$W/nobody.conf:3: unknown setting \"reveiw_sla_hours\""
review_check nobody 78 "$W/nobody.conf:3: unknown setting \"reveiw_sla_hours\""

# --- 15. every program's --help prints its usage and exits 0
for prog in "$MILTER" "$CHECK" "$SG_BUILDDIR/review/safeguard-review"; do
    name=$(basename "$prog")
    for opt in --help -h; do
        "$prog" "$opt" >"$W/help.out" 2>"$W/help.err"
        rc=$?
        check "$name $opt exits 0 (got $rc: $(head -c 200 "$W/help.err"))" test "$rc" = 0
        check "$name $opt prints the usage" grep -q "^usage: $name " "$W/help.out"
    done
    "$prog" -V >"$W/version.out" 2>&1
    check "$name -V prints the version" grep -q "^$name [0-9]" "$W/version.out"
done

# --- 6. no rule at all
: >"$W/empty.rules"
printf '# the rules\n\n# are still to be written\nmode test\n' >"$W/comments.rules"
conf empty-rules "rules_file = $W/empty.rules"
refused empty-rules "^safeguard-milter: $W/empty-rules.conf:1: rules_file = $W/empty.rules holds no rule .*allow_no_rules = yes"
conf comment-rules "school_domains = school.example" "rules_file = $W/comments.rules"
refused comment-rules "$W/comment-rules.conf:2: rules_file = $W/comments.rules holds no rule"
conf no-rules-file "rules_file ="
refused no-rules-file "$W/no-rules-file.conf:1: rules_file is empty: no rule would apply"
conf allowed-no-rules "rules_file = $W/empty.rules" "allow_no_rules = yes"
accepted allowed-no-rules
conf allowed-no-rules-file "rules_file =" "allow_no_rules = yes"
accepted allowed-no-rules-file

# --- 13. unknown roles, notify targets
sed 's/^    from    staff via personal$/    from    staf via personal/' "$W/good.rules" >"$W/staf.rules"
staf_line=$(grep -n '^    from    staf via personal$' "$W/staf.rules" | head -1 | cut -d: -f1)
check "the rules typo is in place (line ${staf_line:-none})" test -n "$staf_line"
conf staf-rule "rules_file = $W/staf.rules"
refused staf-rule "rules_file: $W/staf.rules:$staf_line:13: expected a known role .* found 'staf'"
conf governor-rule "rules_file = $W/governor.rules"
sed 's/^    from    staff via personal$/    from    staff, governor via personal/' "$W/good.rules" >"$W/governor.rules"
refused governor-rule "$W/governor.rules:$staf_line:[0-9]+: expected a known role .* found 'governor'"
conf governor-declared "rules_file = $W/governor.rules" "roles = governor"
accepted governor-declared

sed '0,/^    notify  sender, dsl$/s//    notify  sender, dls/' "$W/good.rules" >"$W/dls.rules"
dls_line=$(grep -n '^    notify  sender, dls$' "$W/dls.rules" | cut -d: -f1)
conf notify-dls "rules_file = $W/dls.rules"
refused notify-dls "$W/dls.rules:$dls_line:21: expected sender, dsl or a quoted address .* found 'dls'"

sed '0,/ staff /s// staf /' "$W/school.dir" >"$W/staf.dir"
dir_line=$(grep -n ' staf ' "$W/staf.dir" | head -1 | cut -d: -f1)
conf staf-dir "directory_file = $W/staf.dir"
refused staf-dir "$W/staf-dir.conf: directory: $W/staf.dir:$dir_line: unknown role \"staf\""

# --- 13. no directory
conf no-directory "directory_file ="
refused no-directory "$W/no-directory.conf: no directory configured: .*directory_backend = none"
grep -v '^directory_file' "$W/good.conf" >"$W/no-directory-key.conf"
refused no-directory-key "no directory configured"
conf directory-none "directory_file =" "directory_backend = none"
accepted directory-none "directory_backend = none: every address counts as external"

# --- 12. LDAP settings that cannot work stop -n with their line, before
# any server is asked (nothing listens on the URI's port: a connection
# would fail with another message)
ldap=("directory_backend = ldap" "ldap_uri = ldap://127.0.0.1:9/"
    "ldap_base = dc=school,dc=example")
conf ldap-attribute "${ldap[@]}" "ldap_mail_attribute = mail address"
refused ldap-attribute "^safeguard-milter: $W/ldap-attribute.conf:4: directory: ldap_mail_attribute \"mail address\": not an attribute name$"
conf ldap-base "directory_backend = ldap" "ldap_uri = ldap://127.0.0.1:9/" \
    "ldap_base = school.example"
refused ldap-base "^safeguard-milter: $W/ldap-base.conf:3: directory: ldap_base school.example: not a DN$"
# (a map's entries keep no line: the message quotes the entry)
conf ldap-group "${ldap[@]}" "ldap_role_group.staff = Staff"
refused ldap-group "^safeguard-milter: $W/ldap-group.conf: directory: ldap_role_group \"staff=Staff\": expected ROLE=GROUP-DN$"

# --- 13. values that are not what their setting needs, with the line
conf dsl-semicolons "" \
    "dsl_addresses = a@school.example; b@school.example"
refused dsl-semicolons "$W/dsl-semicolons.conf:2: dsl_addresses = .*\"a@school.example;\" is not a mail address"
conf journal-word "" "" "journal_address = archive"
refused journal-word "$W/journal-word.conf:3: journal_address = \"archive\": is not a mail address"
conf networks "trusted_networks = 127.0.0.0/8," "   10.0.0.1/8"
refused networks "$W/networks.conf:1: trusted_networks = .*\"10.0.0.1/8\" address has bits set"
conf zone "timezone = Europe/Lodnon"
refused zone "$W/zone.conf:1: timezone = \"Europe/Lodnon\": time zone"
check "zone: the error names the setting, not the rules" bash -c "! grep -q 'rules' '$W/zone.out'"

# --- 6. a reload to a rules file with no rule keeps the running rules
cp "$W/good.rules" "$W/live.rules"
conf live "rules_file = $W/live.rules"
"$MILTER" -f -c "$W/live.conf" >"$W/live.log" 2>&1 &
PID=$!
for i in $(seq 1 100); do grep -q "starting on" "$W/live.log" 2>/dev/null && break; sleep 0.1; done
check "the daemon starts" grep -q "starting on" "$W/live.log"
printf '# emptied by mistake\n' >"$W/live.rules"
kill -USR1 "$PID"
for i in $(seq 1 100); do grep -q "reload failed" "$W/live.log" && break; sleep 0.1; done
check "a reload to a rules file with no rule fails" \
    grep -q "reload failed, keeping the running configuration: $W/live.conf:1: rules_file = $W/live.rules holds no rule" "$W/live.log"
check "  and the daemon runs on" kill -0 "$PID"

# --- 9. the listen backlog: the setting's, capped by somaxconn
max=$(cat /proc/sys/net/core/somaxconn)
want=$((max < 1024 ? max : 1024))
got=$(ss -xlnH src "$W/milter.sock" 2>/dev/null | awk '{print $4}')
check "the default backlog is 1024 capped by somaxconn $max (want $want, got ${got:-none})" \
    test "${got:-0}" = "$want"
kill "$PID"; wait "$PID" 2>/dev/null; PID=
conf backlog "backlog = 77"
"$MILTER" -f -c "$W/backlog.conf" >"$W/backlog.log" 2>&1 &
PID=$!
for i in $(seq 1 100); do grep -q "starting on" "$W/backlog.log" 2>/dev/null && break; sleep 0.1; done
got=$(ss -xlnH src "$W/milter.sock" 2>/dev/null | awk '{print $4}')
check "backlog = 77 is the socket's backlog (got ${got:-none})" test "${got:-0}" = 77
kill "$PID"; wait "$PID" 2>/dev/null; PID=

echo "$fails failed"
[ "$fails" = 0 ]
