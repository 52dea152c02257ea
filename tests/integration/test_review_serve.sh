#!/bin/bash
# test_review_serve.sh - the review page's server, over real sockets with
# curl: plain HTTP is refused on an address that is not loopback; with a
# certificate it speaks TLS (and sends HSTS), and not plain HTTP; a sign-in
# over TLS gets a Secure, HttpOnly, SameSite=Strict session; the password
# file is made with safeguard-review passwd (argon2id, mode 0600) and one
# that others may write stops the server from starting; oversized and
# non-form bodies are refused; slow connections are cut off and limited
# per address and in all, X-Forwarded-For counts only from the configured
# proxy, and failed sign-ins slow the guessing address, not the DSL.  The
# pages themselves are tested in unit/test_web and in a real browser
# (test_review_web.sh).
set -u
. "$(dirname "$0")/lib.sh"
sg_require_review
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

# ---- Slow and many connections, and who the client is.  Only loopback
# addresses, 127.0.0.1 to 127.0.0.10, each with its own connections.
cat >"$W/slow.py" <<'EOF'
# hold PORT N SRC... SECONDS: open N connections from each SRC, each with
#   half a request; print how many the server still holds after a second,
#   then keep them for SECONDS.
# drip PORT SRC SECONDS: send a request one byte a second; print after how
#   many seconds the server closed the connection (SECONDS if it did not).
import socket, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
if mode == 'hold':
    n, secs, socks = int(sys.argv[3]), float(sys.argv[-1]), []
    for src in sys.argv[4:-1]:
        for _ in range(n):
            s = socket.socket()
            s.bind((src, 0))
            try:
                s.connect(('127.0.0.1', port))
                s.send(b'GET /login HTTP/1.1\r\nHost: x\r\n')
                socks.append(s)
            except OSError:
                s.close()
    time.sleep(1)
    held = 0
    for s in socks:
        s.setblocking(False)
        try:
            held += s.recv(1) != b''
        except BlockingIOError:
            held += 1
        except OSError:
            pass
    print('held', held, flush=True)
    time.sleep(secs)
else:
    src, secs = sys.argv[3], float(sys.argv[4])
    s = socket.socket()
    s.bind((src, 0))
    s.connect(('127.0.0.1', port))
    s.settimeout(1)
    req, t0, i = b'GET /login HTTP/1.1\r\nHost: x\r\nX-Pad: ' + b'a' * 4096, time.time(), 0
    try:
        while time.time() - t0 < secs:
            s.send(req[i:i + 1])
            i += 1
            try:
                if s.recv(100) == b'':
                    break
            except socket.timeout:
                pass
    except OSError:
        pass
    print('%d' % round(time.time() - t0))
EOF
NINE="127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7 127.0.0.8 127.0.0.9 127.0.0.10"
PORT2=$(sg_free_port)
URL2=http://127.0.0.1:$PORT2
start_page() {  # start_page LOG [-o NAME=VALUE]...
    local log=$1 i; shift
    # the binary itself in the background, so that $! is the server
    "$REVIEW_BIN" -c "$W/sg.conf" "$@" serve --listen "127.0.0.1:$PORT2" >"$log" 2>&1 &
    PID=$!
    for i in $(seq 1 50); do grep -q "listening on http://" "$log" && break; sleep 0.1; done
}
stop_page() { kill "$PID"; wait "$PID" 2>/dev/null; PID=; }
# hold N SRC...: open N slow connections from each SRC and keep them for
# 30 seconds (the caller ends it with unhold); after it says how many the
# client side sees open, $SERVED is how many the server took (its sockets
# but the listening one: a connection the server has not accepted waits in
# the kernel's queue and looks open from outside)
hold() {
    : >"$W/hold.out"
    python3 "$W/slow.py" hold "$PORT2" "$@" 30 >"$W/hold.out" 2>&1 &
    HOLD=$!
    for i in $(seq 1 100); do [ -s "$W/hold.out" ] && break; sleep 0.1; done
    SERVED=$(($(find "/proc/$PID/fd" -lname 'socket:*' | wc -l) - 1))
}
unhold() { kill "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null; sleep 0.5; }
# the login page from 127.0.0.1, ten times: how many answered
dsl_gets_in() {
    local i ok=0
    for i in $(seq 1 10); do
        [ "$(curl -s -m 3 -o /dev/null -w '%{http_code}' "$URL2/login")" = 200 ] && ok=$((ok + 1))
    done
    echo "$ok"
}

# with the defaults: one address holds at most review_client_connections
# (16) connections; nine addresses holding all they can leave room for the
# DSL at a tenth
start_page "$W/slow1.log"
hold 40 127.0.0.2
check "one address is served at most 16 connections ($SERVED; $(cat "$W/hold.out"))" \
    test "$SERVED" -ge 1 -a "$SERVED" -le 16
unhold
hold 40 $NINE
ok=$(dsl_gets_in)
check "nine addresses hold slow connections: the DSL still gets the page ($ok/10; $SERVED served)" \
    test "$ok" = 10
unhold
stop_page

# review_request_timeout is a deadline for the whole request, not only for
# silence: a client sending a byte a second is cut off; the limits are
# settings
start_page "$W/slow2.log" -o review_request_timeout=3s \
    -o review_max_connections=20 -o review_client_connections=4
t=$(python3 "$W/slow.py" drip "$PORT2" 127.0.0.2 20)
check "a request sent a byte a second is closed at review_request_timeout (after ${t}s)" \
    test "$t" -ge 2 -a "$t" -le 6
hold 10 127.0.0.3
check "review_client_connections = 4 is kept ($SERVED)" test "$SERVED" -ge 1 -a "$SERVED" -le 4
unhold
hold 4 $NINE
check "review_max_connections = 20 is kept ($SERVED)" test "$SERVED" -ge 1 -a "$SERVED" -le 20
unhold
ok=$(dsl_gets_in)
check "with the slow connections gone the DSL gets the page ($ok/10)" test "$ok" = 10
stop_page

# the client: X-Forwarded-For counts only from review_trusted_proxy, and
# only its last hop; failed sign-ins slow that client, and that name from
# that client, never the name everywhere
login_as() {  # login_as SRC USER PASSWORD [X-FORWARDED-FOR]: the status
    local src=$1 user=$2 pass=$3 jar="$W/jar.$1" tok
    local h=()
    [ -n "${4:-}" ] && h=(-H "X-Forwarded-For: $4")
    tok=$(curl -s --interface "$src" "${h[@]}" -c "$jar" "$URL2/login" |
        grep -o 'name="csrf" value="[^"]*"' | cut -d'"' -f4)
    curl -s --interface "$src" "${h[@]}" -o /dev/null -w '%{http_code}' -b "$jar" \
        --data-urlencode "csrf=$tok" --data-urlencode "user=$user" \
        --data-urlencode "password=$pass" "$URL2/login"
}
audit_client() {  # audit_client USER: where its failed sign-ins came from
    sqlite3 "$W/q/quarantine.db" \
        "select group_concat(client, ';') from audit where actor='$1' and action='login-failed'"
}
start_page "$W/slow3.log" -o review_trusted_proxy=127.0.0.1 -o review_login_attempts=2
login_as 127.0.0.1 xff-one wrong "203.0.113.9, 198.51.100.7" >/dev/null
check "from the proxy, the last X-Forwarded-For hop is the client ($(audit_client xff-one))" \
    test "$(audit_client xff-one)" = "198.51.100.7 via proxy"
login_as 127.0.0.2 xff-two wrong "198.51.100.8" >/dev/null
check "from anyone else, X-Forwarded-For is ignored ($(audit_client xff-two))" \
    test "$(audit_client xff-two)" = "127.0.0.2"
# a client guessing many names, claiming another address each time, is
# slowed all the same: 4 x review_login_attempts free failures
for i in $(seq 1 8); do login_as 127.0.0.5 "name$i" wrong "192.0.2.$i" >/dev/null; done
code=$(login_as 127.0.0.5 name9 wrong "192.0.2.9")
check "a made-up X-Forwarded-For does not escape the client's limit ($code)" test "$code" = 429
# five wrong passwords for the DSL from one address: that address waits,
# the DSL signs in from another
for i in 1 2 3 4 5; do login_as 127.0.0.6 dsl "guess $i" >/dev/null; done
code=$(login_as 127.0.0.6 dsl "a long demo password")
check "after failures, the guessing address waits, even with the right password ($code)" \
    test "$code" = 429
code=$(login_as 127.0.0.7 dsl "a long demo password")
check "the DSL signs in from another address meanwhile ($code)" test "$code" = 303
stop_page

echo "$fails failed"
[ "$fails" = 0 ]
