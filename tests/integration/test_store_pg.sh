#!/bin/bash
# test_store_pg.sh - the record store on PostgreSQL (store =
# postgresql:...), through a real private Postfix, the real daemon and a
# private PostgreSQL cluster (pg/lib.sh), the password in a passfile:
#   a message the rules hold is held with its record in PostgreSQL, and
#   safeguard-review releases it (it arrives once); the daemon's
#   connection sends TCP keepalives within a minute;
#   PostgreSQL stopped: the next message to hold is tempfailed (4xx: not
#   held without a record, not delivered, the client keeps it), the log
#   names the database but not the conninfo, and the review page answers
#   with an error page (the server still running);
#   PostgreSQL back: the client's retry is held with its record, and the
#   review page works again.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg/lib.sh"
sg_require_postfix
sg_require_postgresql
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }

SAMPLES="$SG_SRCDIR/contrib/samples"
SAMPLE="$SAMPLES/personal-contact-details.eml"
sg_setup
cleanup_all() { local rc=$?; sg_pg_cleanup; (exit "$rc"); sg_cleanup; }
trap cleanup_all EXIT
sg_pg_start postfix # the daemon runs as postfix and reads the passfile
sg_start_sink
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "store = postgresql:$SG_PG_CONNINFO" \
    "review_password_file = $SG_WORK/passwords"
sg_start_postfix
sg_start_milter

record_of() { grep -o "$1: verdict=hold.* record=SG-[0-9]*-[0-9A-F]*" "$SG_MILTER_LOG" |
    grep -o 'SG-[0-9]*-[0-9A-F]*$' | tail -1; }
pg_status() { sg_pg_value "SELECT status FROM records WHERE id = '$1'"; }

# ------------------------------------------------ a hold and a release
sg_send "$SAMPLE" j.smith@school.example amy.patel@school.example
sg_check "held in Postfix's hold queue" sg_wait_held
R1=$(record_of "$QID"); Q1=$QID
sg_check "its record is in PostgreSQL, held ($R1)" test "$(pg_status "$R1")" = held
sg_check "  with its recipient and audit row" test \
    "$(sg_pg_value "SELECT count(*) FROM recipients WHERE record_id = '$R1'"):$(sg_pg_value "SELECT count(*) FROM audit WHERE record_id = '$R1'")" = 1:1
sg_check "no SQLite file was made" test ! -e "$SG_QUARANTINE/quarantine.db"
# the daemon's pool keeps its connections across idle hours: TCP
# keepalives every minute (ss shows the timer; libpq's default is the
# kernel's two hours), so a firewall does not drop them silently
keepalive_secs() { ss -tnoH state established "( dport = :$SG_PG_PORT )" |
    grep -o 'timer:(keepalive,[0-9.]*[a-z]*' | sed 's/.*,//' | head -1; }
ka=$(keepalive_secs)
sg_check "its connection to PostgreSQL sends keepalives within a minute ($ka)" \
    bash -c "case '$ka' in [0-9]sec|[0-9][0-9]sec|[0-9]*ms) true ;; *) false ;; esac"
sg_review release --note "test" "$R1" >"$SG_WORK/release.out" 2>&1 || sed "s/^/# release: /" "$SG_WORK/release.out"
sg_check "safeguard-review releases it" test "$(pg_status "$R1")" = released
QID=$Q1
sg_check "  and it arrives, once" sg_wait_delivered
sg_check "  the release is in the audit" test \
    "$(sg_pg_value "SELECT count(*) FROM audit WHERE record_id = '$R1' AND action = 'released'")" = 1

# the review page, signed in while the database is up
printf 'a long demo password\n' | sg_review passwd dsl >/dev/null
sg_start_review
J="$SG_WORK/jar"
curl -s -o "$SG_WORK/login.html" -c "$J" "$SG_REVIEW_URL/login"
token=$(grep -o 'name="csrf" value="[^"]*"' "$SG_WORK/login.html" | cut -d'"' -f4)
curl -s -o /dev/null -b "$J" -c "$J" --data-urlencode "csrf=$token" \
    --data-urlencode user=dsl --data-urlencode "password=a long demo password" \
    "$SG_REVIEW_URL/login"
queue_page() { curl -s -m 20 -o "$SG_WORK/queue.html" -w '%{http_code}' -b "$J" "$SG_REVIEW_URL/queue"; }
sg_check "the review page shows the queue" \
    bash -c "[ \"\$(curl -s -m 20 -b '$J' '$SG_REVIEW_URL/queue' | grep -c '<h1>Held mail</h1>')\" = 1 ]"

# ------------------------------------------------ the database down
sg_pg_server stop
sg_send "$SAMPLE" j.smith@school.example amy.patel@school.example
sg_check "database down: the message to hold is refused for now (4xx, not queued)" \
    bash -c "grep -Eq '<\\*\\* +4[0-9][0-9] ' '$SG_SWAKS_LOG' && [ -z '$QID' ]"
sg_check "  the log says why, naming the database" \
    grep -q "cannot record the held message in .*: quarantine database safeguard on 127.0.0.1:$SG_PG_PORT (PostgreSQL)" "$SG_MILTER_LOG"
sg_check "  and never the conninfo" bash -c "! grep -q 'passfile=' '$SG_MILTER_LOG'"
sg_check "  nothing in Postfix's queues" test "$(sg_queue_count)" -eq 0
code=$(queue_page)
sg_check "  the review page answers with an error page ($code)" \
    bash -c "[ '$code' -ge 500 ] && grep -q 'Cannot list the held mail' '$SG_WORK/queue.html' && grep -q 'quarantine database safeguard on' '$SG_WORK/queue.html'"
sg_check "  and keeps running" kill -0 "$SG_REVIEW_PID"
sg_check "  its log does not hold the conninfo" bash -c "! grep -q 'passfile=' '$SG_REVIEW_LOG'"

# ------------------------------------------------ back again
sg_pg_server start
sg_send "$SAMPLE" j.smith@school.example amy.patel@school.example
sg_check "database back: the client's retry is held" sg_wait_held
R2=$(record_of "$QID")
sg_check "  with its record ($R2)" test "$(pg_status "$R2")" = held
code=$(queue_page)
sg_check "  the review page works again ($code)" \
    bash -c "[ '$code' = 200 ] && grep -q '<h1>Held mail</h1>' '$SG_WORK/queue.html'"
sg_check "  and lists the held one" grep -q "$R2" "$SG_WORK/queue.html"

echo "$((15 - SG_FAILS)) passed, $SG_FAILS failed"
[ "$SG_FAILS" = 0 ]
