#!/bin/bash
# test_review_serve.sh - the review page's server, over real sockets with
# curl: plain HTTP is refused on an address that is not loopback; with a
# certificate it speaks TLS (and sends HSTS), and not plain HTTP; a sign-in
# over TLS gets a Secure, HttpOnly, SameSite=Strict session; the password
# file is made with safeguard-review passwd (argon2id, mode 0600) and one
# that others may write stops the server from starting; oversized and
# non-form bodies are refused.  The pages themselves are tested in
# unit/test_web and in a real browser (test_review_web.sh).
set -u
. "$(dirname "$0")/lib.sh"
REVIEW_BIN="$SG_BUILDDIR/review/safeguard-review"
[ -x "$REVIEW_BIN" ] || { echo "SKIP: $REVIEW_BIN not built"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl is not installed"; exit 77; }

fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}

W=$(mktemp -d /tmp/sg-serve.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -days 1 \
    -keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 || { echo "cannot make a certificate"; exit 1; }
chmod 600 "$W/key.pem"
mkdir -p "$W/q"
sqlite3 "$W/q/quarantine.db" "select 1" >/dev/null 2>&1 || : >"$W/q/quarantine.db"
PORT=$(sg_free_port)
cat >"$W/sg.conf" <<EOF
quarantine_db = $W/q/quarantine.db
quarantine_dir = $W/q/messages
review_password_file = $W/passwords
review_queue_command =
EOF
review() { "$REVIEW_BIN" -c "$W/sg.conf" "$@"; }

# the password file
check "passwd refuses a short password" \
    bash -c "! printf 'short\n' | '$REVIEW_BIN' -c '$W/sg.conf' passwd dsl 2>/dev/null"
printf 'a long demo password\n' | review passwd dsl >/dev/null
check "passwd writes an argon2id hash, mode 0600" \
    bash -c "grep -q '^dsl:\\\$argon2id\\\$' '$W/passwords' && [ \"\$(stat -c %a '$W/passwords')\" = 600 ]"
check "the password itself is not in the file" bash -c "! grep -q 'a long demo password' '$W/passwords'"
chmod 666 "$W/passwords"
review serve --listen "127.0.0.1:$PORT" >"$W/gw.log" 2>&1
rc=$?
check "a password file others may write stops the server (78)" \
    bash -c "[ $rc = 78 ] && grep -q 'writable by group or others' '$W/gw.log'"
chmod 600 "$W/passwords"

# plain HTTP only on loopback
review serve --listen "0.0.0.0:$PORT" >"$W/any.log" 2>&1
rc=$?
check "plain HTTP on a non-loopback address is refused (78)" \
    bash -c "[ $rc = 78 ] && grep -q 'not a loopback address' '$W/any.log'"
review -o "review_tls_cert=$W/cert.pem" serve --listen "127.0.0.1:$PORT" >"$W/half.log" 2>&1
check "a certificate without its key is refused" test $? != 0

# TLS
# the program itself in the background, not the function running it: $!
# would be the subshell's pid, and stopping that left the server running
"$REVIEW_BIN" -c "$W/sg.conf" -o "review_tls_cert=$W/cert.pem" \
    -o "review_tls_key=$W/key.pem" \
    serve --listen "127.0.0.1:$PORT" >"$W/tls.log" 2>&1 &
PID=$!
for i in $(seq 1 50); do grep -q "listening on https://" "$W/tls.log" && break; sleep 0.1; done
URL=https://127.0.0.1:$PORT
curl -s --cacert "$W/cert.pem" -D "$W/h1" -o "$W/login.html" -c "$W/jar" "$URL/login"
check "TLS: the login page answers, with HSTS and the CSP" \
    bash -c "grep -q '^HTTP/1.1 200' '$W/h1' && grep -qi '^Strict-Transport-Security: max-age=' '$W/h1' && grep -qi \"^Content-Security-Policy: default-src 'none'\" '$W/h1'"
check "TLS: plain HTTP on the same port gets no page" \
    bash -c "! curl -s -m 5 'http://127.0.0.1:$PORT/login' | grep -q 'Sign in'"
token=$(grep -o 'name="csrf" value="[^"]*"' "$W/login.html" | cut -d'"' -f4)
curl -s --cacert "$W/cert.pem" -D "$W/h2" -o /dev/null -b "$W/jar" -c "$W/jar" \
    --data-urlencode "csrf=$token" --data-urlencode user=dsl \
    --data-urlencode "password=a long demo password" "$URL/login"
check "TLS: sign-in gives a Secure, HttpOnly, SameSite=Strict session" \
    bash -c "grep -i '^Set-Cookie: sg_session=' '$W/h2' | grep -q 'HttpOnly; SameSite=Strict; Secure'"
check "TLS: the session opens the queue" \
    bash -c "curl -s --cacert '$W/cert.pem' -b '$W/jar' '$URL/queue' | grep -q '<h1>Held mail</h1>'"
code=$(head -c 70000 /dev/zero | tr '\0' a | curl -s --cacert "$W/cert.pem" -o /dev/null \
    -w '%{http_code}' -b "$W/jar" --data-binary @- "$URL/logout")
check "a body over 64 KB is refused (413)" test "$code" = 413
code=$(curl -s --cacert "$W/cert.pem" -o /dev/null -w '%{http_code}' -b "$W/jar" \
    -H 'Content-Type: application/json' --data '{"csrf":"x"}' "$URL/logout")
check "a body that is not a form is refused (415)" test "$code" = 415
# many form posts at once, on parallel connections: each request's form
# must be parsed on its own (a parser with shared state mixed requests up
# and read freed memory)
fields=$(for f in $(seq 1 30); do printf '&f%d=%s' "$f" "value-$f"; done)
for i in $(seq 1 400); do
    printf 'url = "%s/item/none/note"\ndata = "csrf=c%d&note=post+%d%s"\noutput = /dev/null\n' \
        "$URL" "$i" "$i" "$fields"
done >"$W/posts.curl"
curl -s -Z --parallel-max 16 --cacert "$W/cert.pem" -b "$W/jar" -K "$W/posts.curl"
check "the server survives many form posts at once" \
    bash -c "kill -0 $PID && curl -s --cacert '$W/cert.pem' -b '$W/jar' '$URL/queue' | grep -q '<h1>Held mail</h1>'"
check "the audit has the sign-in" \
    bash -c "sqlite3 '$W/q/quarantine.db' \"select count(*) from audit where action='login' and actor='dsl'\" | grep -qx 1"
kill "$PID"; wait "$PID" 2>/dev/null; PID=
check "stopping the server's pid stops the server" \
    bash -c "! curl -s -m 5 --cacert '$W/cert.pem' -o /dev/null '$URL/login'"

echo "$fails failed"
[ "$fails" = 0 ]
