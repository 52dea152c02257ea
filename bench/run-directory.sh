#!/bin/sh
# run-directory.sh - the directory benchmark (see README.md, "Directory
# lookups"): generate a school of 2,000 pupils, 300 staff and 3,000 parents
# shaped like Active Directory (mail and proxyAddresses aliases, personal
# addresses for some staff, children's addresses for parents, role groups
# with nested groups, a few disabled accounts and former pupils), start a
# real slapd on a free loopback port (cn=config built with slapadd -n0, the
# memberof overlay, the integration tests' schema for proxyAddresses),
# load it, run bench_directory against it, and always stop slapd again.
#
# Usage: bench/run-directory.sh [BENCH-PROGRAM]
#   BENCH-PROGRAM defaults to ./bench/bench_directory (run from the build
#   directory).  Options for the program can be passed in BENCH_ARGS.
# Fails (exit 1) when a tool is missing, slapd does not start, the data
# does not load, or the benchmark reports a wrong answer.
set -u

SLAPD=${SLAPD:-/usr/sbin/slapd}
SLAPADD=${SLAPADD:-/usr/sbin/slapadd}
SCHEMA=${SCHEMA:-/etc/ldap/schema}
here=$(cd "$(dirname "$0")" && pwd)
prog=${1:-./bench/bench_directory}
sgtest_schema=$here/../tests/integration/ldap/sgtest.ldif

N_PUPILS=2000
N_STAFF=300
N_PARENTS=3000
N_ADDRESSES=10000 # distinct addresses looked up: all found ones + strangers

for tool in "$SLAPD" "$SLAPADD" ldapadd ldapsearch awk; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL: $tool is missing (Debian packages slapd, ldap-utils)" >&2
        exit 1
    fi
done
[ -x "$prog" ] || { echo "FAIL: $prog is not built (make -C bench)" >&2; exit 1; }
[ -f "$sgtest_schema" ] || { echo "FAIL: $sgtest_schema is missing" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/sg-bench-slapd.XXXXXX") || exit 1
cleanup() {
    if [ -f "$dir/slapd.pid" ]; then
        pid=$(cat "$dir/slapd.pid")
        kill "$pid" 2>/dev/null
        i=0
        while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
            sleep 0.05; i=$((i + 1))
        done
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
    echo "FAIL: $*" >&2
    [ -f "$dir/slapd.log" ] && tail -20 "$dir/slapd.log" >&2
    exit 1
}

# ---------------------------------------------------------------- the data
# data.ldif for ldapadd, and addresses.txt: one distinct address per line,
# a tab, and the role the benchmark must find ("-": not found).  Every
# person gets a unique number so that no two addresses collide.
awk -v pupils=$N_PUPILS -v staff=$N_STAFF -v parents=$N_PARENTS \
    -v total=$N_ADDRESSES -v ldif="$dir/data.ldif" \
    -v addrs="$dir/addresses.txt" '
function cap(s) { return toupper(substr(s, 1, 1)) substr(s, 2) }
function person(uid, first, last, mail) {
    first = cap(first); last = cap(last)
    printf "dn: uid=%s,ou=People,%s\n", uid, base > ldif
    printf "objectClass: inetOrgPerson\nobjectClass: sgPerson\n" > ldif
    printf "uid: %s\ncn: %s %s\nsn: %s\ngivenName: %s\n", uid, first, last, last, first > ldif
    printf "displayName: %s %s\nmail: %s\n", first, last, mail > ldif
}
function expect(address, role) { printf "%s\t%s\n", address, role > addrs; found++ }
function group(cn, members,    i, n, m) {
    printf "dn: cn=%s,ou=Groups,%s\nobjectClass: groupOfNames\ncn: %s\n", cn, base, cn > ldif
    n = split(members, m, "|")
    for (i = 1; i <= n; i++)
        if (m[i] != "") printf "member: %s\n", m[i] > ldif
    printf "\n" > ldif
}
BEGIN {
    base = "dc=school,dc=example"
    nf = split("amelia olivia isla ava mia ivy lily isabella rosie sophia grace freya " \
               "oliver george noah arthur harry leo muhammad jack charlie oscar " \
               "jacob henry thomas freddie alfie theo william theodore archie " \
               "joshua alexander james isaac edward lucas tommy finley max", F, " ")
    nl = split("smith jones williams taylor brown davies evans wilson thomas " \
               "johnson roberts robinson thompson wright walker white edwards " \
               "hughes green hall lewis harris clarke patel jackson wood turner " \
               "martin cooper hill ward morris moore clark lee king baker " \
               "harrison morgan allen james scott phillips watson davis parker " \
               "price bennett young griffiths", L, " ")
    printf "dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: school\no: Bench School\n\n", base > ldif
    printf "dn: ou=People,%s\nobjectClass: organizationalUnit\nou: People\n\n", base > ldif
    printf "dn: ou=Groups,%s\nobjectClass: organizationalUnit\nou: Groups\n\n", base > ldif
    printf "dn: cn=milter,%s\nobjectClass: inetOrgPerson\ncn: milter\nsn: milter\nuserPassword: milter-secret\n\n", base > ldif

    num = 100
    # staff: SMTP: primary and an smtp: alias; every third has a registered
    # personal address; every 50th is a disabled account (kept, role added)
    for (s = 1; s <= staff; s++) {
        num++; first = F[1 + num % nf]; last = L[1 + int(num / nf) % nl]
        mail = first "." last num "@school.example"
        alias = substr(first, 1, 1) "." last num "@school.example"
        uid = "staff" s
        person(uid, first, last, mail)
        printf "proxyAddresses: SMTP:%s\nproxyAddresses: smtp:%s\n", mail, alias > ldif
        printf "employeeType: staff\nuserAccountControl: %d\n", (s % 50 == 0) ? 514 : 512 > ldif
        expect(mail, "staff"); expect(alias, "staff")
        if (s % 3 == 0) {
            personal = first last num "@example.com"
            printf "sgPersonalAddress: %s\n", personal > ldif
            expect(personal, "staff")
        }
        printf "\n" > ldif
        dn = "uid=" uid ",ou=People," base
        if (s % 3 == 0 || s % 3 == 1) teaching = teaching "|" dn; else support = support "|" dn
        if (s <= 5) dsl = dsl "|" dn
    }
    # the account the benchmark looks up first (group expansion), never timed
    person("bench.prime", "Prime", "Lookup", "prime@school.example")
    printf "\n" > ldif
    support = support "|uid=bench.prime,ou=People," base

    # pupils in year groups 7..13; every 40th in year 13 has left
    for (p = 1; p <= pupils; p++) {
        num++; first = F[1 + num % nf]; last = L[1 + int(num / nf) % nl]
        year = 7 + p % 7
        mail = first "." last num "@school.example"
        alias = substr(first, 1, 1) last num "@school.example"
        uid = "pupil" p
        pupil_mail[p] = mail
        person(uid, first, last, mail)
        printf "proxyAddresses: SMTP:%s\nproxyAddresses: smtp:%s\n", mail, alias > ldif
        printf "sgDateOfBirth: %d-%02d-%02d\n", 2025 - year - 5, 1 + p % 12, 1 + p % 28 > ldif
        left = (year == 13 && p % 40 == 6)
        if (left) printf "sgLeavingDate: 2025-07-18\n" > ldif
        printf "\n" > ldif
        role = left ? "former-pupil" : "pupil"
        expect(mail, role); expect(alias, role)
        members[year] = members[year] "|uid=" uid ",ou=People," base
    }

    # parents outside the school, each with a child
    for (q = 1; q <= parents; q++) {
        num++; first = F[1 + num % nf]; last = L[1 + int(num / nf) % nl]
        mail = first "." last num "@" ((q % 2) ? "example.net" : "example.org")
        uid = "parent" q
        person(uid, first, last, mail)
        printf "sgChildAddress: %s\n\n", pupil_mail[1 + (q - 1) % pupils] > ldif
        expect(mail, "parent")
        parent_members = parent_members "|uid=" uid ",ou=People," base
    }

    # groups after their members, so that the overlay writes memberOf;
    # nested: Staff > Teaching, Support; Pupils > Year7..Year13
    for (y = 7; y <= 13; y++) {
        group("Year" y, members[y])
        years = years "|cn=Year" y ",ou=Groups," base
    }
    group("Pupils", years)
    group("Teaching", teaching)
    group("Support", support)
    group("DSL", dsl)
    group("Staff", "cn=Teaching,ou=Groups," base "|cn=Support,ou=Groups," base)
    group("Parents", parent_members)

    # strangers: outside addresses and unknown school addresses
    for (i = 1; found < total; i++) {
        if (i % 2) expect("visitor" i "@example.org", "-")
        else expect("nobody" i "@school.example", "-")
    }
}' || fail "generating the data"

# ---------------------------------------------------------------- cn=config
mkdir -p "$dir/slapd.d" "$dir/db"
cat >"$dir/config.ldif" <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $dir/slapd.pid
olcArgsFile: $dir/slapd.args

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb
olcModuleLoad: memberof

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://$SCHEMA/core.ldif
include: file://$SCHEMA/cosine.ldif
include: file://$SCHEMA/inetorgperson.ldif
include: file://$SCHEMA/nis.ldif
include: file://$sgtest_schema

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcSizeLimit: 1000

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: dc=school,dc=example
olcRootDN: cn=admin,dc=school,dc=example
olcRootPW: admin-secret
olcDbDirectory: $dir/db
olcDbMaxSize: 268435456
olcDbIndex: objectClass eq
olcDbIndex: mail eq
olcDbIndex: proxyAddresses eq
olcDbIndex: sgPersonalAddress eq
olcDbIndex: memberOf eq
olcLimits: dn.exact="cn=milter,dc=school,dc=example" size.prtotal=unlimited
olcAccess: {0}to attrs=userPassword by self write by anonymous auth by * none
olcAccess: {1}to * by * read

dn: olcOverlay={0}memberof,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcMemberOf
olcOverlay: {0}memberof
olcMemberOfRefInt: TRUE
olcMemberOfGroupOC: groupOfNames
olcMemberOfMemberAD: member
olcMemberOfMemberOfAD: memberOf
EOF
"$SLAPADD" -n0 -F "$dir/slapd.d" -l "$dir/config.ldif" >"$dir/slapadd.log" 2>&1 ||
    { cat "$dir/slapadd.log" >&2; fail "slapadd -n0"; }
printf 'milter-secret\n' >"$dir/password"
chmod 600 "$dir/password"

# ---------------------------------------------------------------- slapd
# a free loopback port: random, checked, and retried if slapd cannot bind
started=no
for _ in 1 2 3 4 5 6 7 8; do
    port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
    ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " && continue
    uri="ldap://127.0.0.1:$port/"
    "$SLAPD" -F "$dir/slapd.d" -h "$uri" >>"$dir/slapd.log" 2>&1 || continue
    i=0
    while [ "$i" -lt 100 ]; do
        if ldapsearch -x -LLL -H "$uri" -b "" -s base >/dev/null 2>&1; then
            started=yes
            break
        fi
        sleep 0.05; i=$((i + 1))
    done
    [ $started = yes ] && break
done
[ $started = yes ] || fail "slapd did not start"

t0=$(date +%s.%N)
ldapadd -x -H "$uri" -D "cn=admin,dc=school,dc=example" -w admin-secret \
    -f "$dir/data.ldif" >"$dir/ldapadd.log" 2>&1 ||
    { tail -5 "$dir/ldapadd.log" >&2; fail "ldapadd"; }
t1=$(date +%s.%N)
entries=$(grep -c '^dn: ' "$dir/data.ldif")
version=$("$SLAPD" -VV 2>&1 | sed -n 's/.*slapd \([0-9][0-9.+a-z-]*\).*/\1/p' | head -1)
awk -v v="$version" -v u="$uri" -v n="$entries" -v a="$t0" -v b="$t1" \
    'BEGIN { printf "slapd %s on %s: loaded %d entries in %.1f s (ldapadd)\n", v, u, n, b - a }'

# ---------------------------------------------------------------- benchmark
# the machine, as the report wants it
sh "$here/machine.sh"
# shellcheck disable=SC2086
"$prog" --uri "$uri" --base "dc=school,dc=example" \
    --bind-dn "cn=milter,dc=school,dc=example" \
    --password-file "$dir/password" \
    --addresses "$dir/addresses.txt" --prime prime@school.example \
    ${BENCH_ARGS:-}
rc=$?
[ $rc -eq 0 ] || { echo "slapd log:" >&2; tail -20 "$dir/slapd.log" >&2; }
exit $rc
