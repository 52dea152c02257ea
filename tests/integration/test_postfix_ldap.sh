#!/bin/bash
# test_postfix_ldap.sh - the daemon beside a real Postfix, resolving people
# from a real slapd (started by ldap/run.sh: an Active Directory-shaped
# tree with proxyAddresses and nested groups).  Checks that the summary
# lines carry the roles from LDAP, that a staff member's personal address
# maps to its owner (a RCPT-time reject to a pupil), and that stopping
# slapd mid-run loses no mail: answers come from the cache while they
# may (stale-if-error), an address never seen is tempfailed (the client
# keeps the message), and mail flows again when slapd returns, without
# restarting the milter.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${SG_LDAP_URI:-}" ]; then
    exec sh "$here/ldap/run.sh" "$0"
fi
. "$here/lib.sh"
sg_require_postfix

fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

sg_setup
cp "$SG_LDAP_DIR/password" "$SG_WORK/ldap.password"
chown postfix "$SG_WORK/ldap.password"; chmod 600 "$SG_WORK/ldap.password"
G=ou=Groups,dc=school,dc=example
sg_start_sink
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_backend = ldap" \
    "ldap_uri = $SG_LDAP_URI" \
    "ldap_base = dc=school,dc=example" \
    "ldap_bind_dn = cn=milter,dc=school,dc=example" \
    "ldap_bind_password_file = $SG_WORK/ldap.password" \
    "ldap_user_filter = (objectClass=inetOrgPerson)" \
    "ldap_personal_attribute = sgPersonalAddress" \
    "ldap_dob_attribute = sgDateOfBirth" \
    "ldap_left_attribute = sgLeavingDate" \
    "ldap_role_group.staff = cn=Staff,$G" \
    "ldap_role_group.pupil = cn=Pupils,$G" \
    "ldap_role_group.dsl = cn=DSL,$G" \
    "ldap_role_group.parent = cn=Parents,$G" \
    "ldap_timeout = 2" "ldap_connect_timeout = 2" \
    "cache_ttl = 2s" "cache_negative_ttl = 2s" "stale_max_age = 1h"
check "-n binds to the directory" "$SG_MILTER_BIN" -n -c "$SG_MILTER_CONF"
# a submission service for SMTP AUTH: the login is the local part of a
# proxyAddresses alias, as a sAMAccountName usually is
sg_sasl_users "t.smith staff-pass"
sg_start_milter
sg_start_postfix

send() { # send NAME CLIENT FROM TO: swaks, transcript in $SG_WORK/NAME.log
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface "$2" \
        --from "$3" --to "$4" --header "Subject: $1" \
        --body "Please bring your PE kit on Thursday." >"$SG_WORK/$1.log" 2>&1
}
queued() { grep -q "250 2.0.0 Ok: queued as" "$SG_WORK/$1.log"; }

# Roles from LDAP: staff (through the nested Teaching group) to a pupil.
send roles 127.0.0.1 tom.smith@school.example amy.jones@school.example
check "staff to pupil queued" queued roles
check "roles resolved from LDAP" sg_wait_for "$SG_MILTER_LOG" \
    "from=<tom.smith@school.example>:staff.* to=<amy.jones@school.example>:pupil rcpts=1"
# An alias from proxyAddresses, and a DSL.
send alias 127.0.0.1 t.smith@school.example dee.lead@school.example
check "proxyAddresses alias resolves to its owner" sg_wait_for "$SG_MILTER_LOG" \
    "from=<t.smith@school.example>:staff.* to=<dee.lead@school.example>:[a-z+]*dsl"
# A registered personal address writing to a pupil: refused at RCPT.
send personal 127.0.0.2 tom.smith@gmail.com amy.jones@school.example
check "staff personal account to a pupil refused (5.7.1)" \
    grep -Eq '^<\*\* +550[ -]5\.7\.1' "$SG_WORK/personal.log"
check "  and logged against the owner" grep -q \
    "verdict=reject rules=staff-personal-to-pupil(reject)" "$SG_MILTER_LOG"

# A bare SMTP AUTH login with MAIL FROM:<>: judged as the person whose
# proxyAddresses hold login@school-domain, so staff rules apply.
swaks --server "127.0.0.1:$SG_SUBMIT_PORT" --local-interface 127.0.0.2 \
    --auth PLAIN --auth-user t.smith --auth-password staff-pass \
    --from "<>" --to amy.jones@school.example --header "Subject: login" \
    --body "Ring me on 07700 900123 about the trip." >"$SG_WORK/login.log" 2>&1
check "null sender with a login: queued" queued login
check "  held as staff, the login's person" sg_wait_for "$SG_MILTER_LOG" \
    "verdict=hold.*personal-contact-details\(hold\).* auth=t\.smith from=<>:staff(\+[a-z-]+)*\(auth\) sender=<t\.smith@school\.example> to=<amy\.jones@school\.example>:pupil" 5

# slapd stops.  Cached answers (now past cache_ttl) are served stale.
"$SG_LDAP_CTL" stop
sleep 3
send stale 127.0.0.1 tom.smith@school.example amy.jones@school.example
check "slapd down: known people still resolved (stale)" queued stale
qid=$(sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_WORK/stale.log" | head -1)
check "  with their roles" sg_wait_for "$SG_MILTER_LOG" \
    "${qid:-none}: verdict=.* from=<tom.smith@school.example>:staff.* to=<amy.jones@school.example>:pupil rcpts=1" 5
# Someone never looked up: a temporary failure, not "external".
send unknown 127.0.0.1 tom.smith@school.example cara.young@school.example
check "slapd down: unseen recipient tempfailed (4xx)" \
    grep -Eq '^<\*\* +4[0-9][0-9][ -]' "$SG_WORK/unknown.log"
check "  not queued" test "$(grep -c 'queued as' "$SG_WORK/unknown.log")" -eq 0
check "  the failure is logged" grep -q "directory lookup of <cara.young@school.example> failed" "$SG_MILTER_LOG"

# slapd returns: the same message goes through, same milter process.
pid_before=$SG_MILTER_PID
"$SG_LDAP_CTL" start
send back 127.0.0.1 tom.smith@school.example cara.young@school.example
check "slapd back: the retried message is accepted" queued back
check "  by the same milter process" kill -0 "$pid_before"
check "  with the former pupil's roles" sg_wait_for "$SG_MILTER_LOG" \
    "to=<cara.young@school.example>:[a-z+-]*former-pupil" 5

# SIGUSR2 logs the directory's counters.
kill -USR2 "$SG_MILTER_PID"
check "SIGUSR2 logs the directory counters" sg_wait_for "$SG_MILTER_LOG" \
    "directory: lookups=[0-9]+ hits=[0-9]+ .* stale=[1-9][0-9]* errors=[1-9]" 5
[ "$fails" -eq 0 ]
