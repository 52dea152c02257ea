#!/bin/sh
# Run the libdirectory integration tests against a real slapd on a free
# loopback port: build cn=config with slapadd -n0 (memberof overlay, a test
# schema for proxyAddresses), make a test CA and server certificate for
# StartTLS, load an Active Directory-shaped school, run the cmocka program
# given as $1, and always stop slapd again.
#
# Exit 77 (SKIP) only when slapd is not installed.
set -u

SLAPD=${SLAPD:-/usr/sbin/slapd}
SLAPADD=${SLAPADD:-/usr/sbin/slapadd}
SCHEMA=${SCHEMA:-/etc/ldap/schema}
prog=${1:?usage: run.sh TEST-PROGRAM}
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -x "$SLAPD" ]; then
    echo "SKIP: $SLAPD is not installed (Debian package slapd)"
    exit 77
fi
for tool in "$SLAPADD" ldapadd ldapsearch openssl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "FAIL: $tool is missing (Debian packages slapd, ldap-utils, openssl)"
        exit 1
    fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/sg-slapd.XXXXXX") || exit 1
cleanup() {
    if [ -f "$dir/slapd.pid" ]; then
        kill "$(cat "$dir/slapd.pid")" 2>/dev/null
        sleep 0.2
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
    echo "FAIL: $*"
    [ -f "$dir/slapd.log" ] && tail -20 "$dir/slapd.log"
    exit 1
}

# ---- a test CA, a server certificate for 127.0.0.1, and a second CA
# that did not sign it (for the verification failure test)
(
    cd "$dir" &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=sg test CA" \
        -keyout ca.key -out ca.pem &&
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout server.key -out server.csr &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext.cnf &&
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
        -CAcreateserial -days 2 -extfile ext.cnf -out server.pem &&
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
        -keyout other-ca.key -out other-ca.pem
) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log"; fail "openssl"; }

# ---- cn=config
mkdir -p "$dir/slapd.d" "$dir/db"
sed -e "s|@DIR@|$dir|g" -e "s|@SCHEMA@|$SCHEMA|g" -e "s|@SRCDIR@|$here|g" \
    "$here/config.ldif.in" >"$dir/config.ldif"
"$SLAPADD" -n0 -F "$dir/slapd.d" -l "$dir/config.ldif" >"$dir/slapadd.log" 2>&1 ||
    { cat "$dir/slapadd.log"; fail "slapadd -n0"; }

printf 'milter-secret\n' >"$dir/password"
printf 'wrong-secret\n' >"$dir/bad-password"
chmod 600 "$dir/password" "$dir/bad-password"

# ---- start/stop, also used by the test program mid-run
cat >"$dir/ctl" <<CTL
#!/bin/sh
# ctl start|stop: the test slapd
case "\$1" in
stop)
    [ -f "$dir/slapd.pid" ] || exit 0
    pid=\$(cat "$dir/slapd.pid")
    kill "\$pid" 2>/dev/null
    i=0
    while kill -0 "\$pid" 2>/dev/null && [ \$i -lt 100 ]; do
        sleep 0.05; i=\$((i + 1))
    done
    rm -f "$dir/slapd.pid"
    ;;
start)
    "$SLAPD" -F "$dir/slapd.d" -h "ldap://127.0.0.1:\$(cat "$dir/port")/" \
        >>"$dir/slapd.log" 2>&1 || exit 1
    i=0
    while [ \$i -lt 100 ]; do
        ldapsearch -x -LLL -H "ldap://127.0.0.1:\$(cat "$dir/port")/" \
            -b "" -s base >/dev/null 2>&1 && exit 0
        sleep 0.05; i=\$((i + 1))
    done
    exit 1
    ;;
esac
CTL
chmod +x "$dir/ctl"

# a free loopback port: random, checked, and retried if slapd cannot bind
started=no
for try in 1 2 3 4 5 6 7 8; do
    # below the kernel's ephemeral range, where outgoing connections take
    # their local ports
    lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
    [ "${lo:-0}" -gt 12000 ] || lo=32768
    port=$(( 10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (lo - 10000) ))
    ss -ltn 2>/dev/null | grep -q "127.0.0.1:$port " && continue
    echo "$port" >"$dir/port"
    if "$dir/ctl" start; then
        started=yes
        break
    fi
done
[ $started = yes ] || fail "slapd did not start"
uri="ldap://127.0.0.1:$port/"

ldapadd -x -H "$uri" -D "cn=admin,dc=school,dc=example" -w admin-secret \
    -f "$here/data.ldif" >"$dir/ldapadd.log" 2>&1 ||
    { cat "$dir/ldapadd.log"; fail "ldapadd"; }

SG_LDAP_URI=$uri
SG_LDAP_DIR=$dir
SG_LDAP_CTL=$dir/ctl
export SG_LDAP_URI SG_LDAP_DIR SG_LDAP_CTL
"$prog"
rc=$?
[ $rc -eq 0 ] || { echo "slapd log:"; tail -20 "$dir/slapd.log"; }
exit $rc
