# tests/integration/pg/lib.sh - a private PostgreSQL cluster for the tests
# of the record store on PostgreSQL: initdb and pg_ctl as the postgres
# user (the server refuses to run as root), a socket directory of its own
# and a free loopback port, a role and a database for the store, and a
# passfile (the store setting never holds the password).  sg_pg_cleanup
# (call it from the test's EXIT trap) stops the server: no process
# outlives the test.
#
# Sourced after tests/integration/lib.sh (sg_die, sg_free_port).
# Sets SG_PG_CONNINFO (a libpq conninfo with passfile=) once started.

SG_PG_BIN=${SG_PG_BIN:-/usr/lib/postgresql/15/bin}

# Exit 77 (automake's "skipped") when PostgreSQL cannot run here.
sg_require_postgresql() {
    if [ ! -x "$SG_PG_BIN/initdb" ] || [ ! -x "$SG_PG_BIN/pg_ctl" ]; then
        echo "SKIP: PostgreSQL 15 is not installed (apt-get install postgresql)"; exit 77
    fi
    if ! grep -q '^#define HAVE_LIBPQ 1' "$SG_BUILDDIR/config.h" 2>/dev/null; then
        echo "SKIP: built without PostgreSQL (install libpq-dev, configure --with-postgresql)"; exit 77
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        echo "SKIP: no postgres user to run the server as"; exit 77
    fi
}

# Run a command as the cluster's owner.
sg_pg_as() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# sg_pg_start [CLIENT_USER]: make and start the cluster; the passfile is
# given to CLIENT_USER (default: the caller), the user of the store.
sg_pg_start() {
    local owner=${1:-$(id -un)}
    SG_PG_DIR=$(mktemp -d "/tmp/sg-pg${SG_TESTRUN:+.$SG_TESTRUN}.XXXXXX")
    chmod 755 "$SG_PG_DIR"
    mkdir -p "$SG_PG_DIR/sock"
    [ "$(id -u)" = 0 ] && chown postgres "$SG_PG_DIR" "$SG_PG_DIR/sock"
    SG_PG_PORT=$(sg_free_port)
    SG_PG_PASSWORD="sg-$RANDOM$RANDOM"
    sg_pg_as "$SG_PG_BIN/initdb" -D "$SG_PG_DIR/data" -U postgres \
        --auth-local=trust --auth-host=scram-sha-256 >"$SG_PG_DIR/initdb.log" 2>&1 ||
        { cat "$SG_PG_DIR/initdb.log" >&2; sg_die "initdb failed"; }
    sg_pg_server start || sg_die "the PostgreSQL server did not start"
    sg_pg_psql -c "CREATE ROLE safeguard LOGIN PASSWORD '$SG_PG_PASSWORD'" \
        -c "CREATE DATABASE safeguard OWNER safeguard" >/dev/null ||
        sg_die "cannot make the store's role and database"
    echo "127.0.0.1:$SG_PG_PORT:safeguard:safeguard:$SG_PG_PASSWORD" >"$SG_PG_DIR/pgpass"
    chmod 600 "$SG_PG_DIR/pgpass"
    chown "$owner" "$SG_PG_DIR/pgpass"
    SG_PG_CONNINFO="host=127.0.0.1 port=$SG_PG_PORT dbname=safeguard user=safeguard passfile=$SG_PG_DIR/pgpass connect_timeout=5"
    export SG_PG_CONNINFO
}

# sg_pg_server start|stop: the server (stopped: the store's next
# connection fails, as when the database host goes down).
sg_pg_server() {
    case $1 in
    start)
        sg_pg_as "$SG_PG_BIN/pg_ctl" -D "$SG_PG_DIR/data" -l "$SG_PG_DIR/server.log" -w \
            -o "-k $SG_PG_DIR/sock -p $SG_PG_PORT -c listen_addresses=127.0.0.1 $(sg_pg_durability)" \
            start >/dev/null ;;
    stop)
        sg_pg_as "$SG_PG_BIN/pg_ctl" -D "$SG_PG_DIR/data" -m fast -w stop >/dev/null ;;
    esac
}

# The tests need no durability (a test's cluster dies with it); a
# benchmark sets SG_PG_DURABLE=1 to compare with SQLite's synchronous FULL.
sg_pg_durability() {
    if [ -n "${SG_PG_DURABLE:-}" ]; then echo "-c fsync=on -c synchronous_commit=on"
    else echo "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"; fi
}

# psql as the superuser over the private socket.
sg_pg_psql() {
    sg_pg_as "$SG_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SG_PG_DIR/sock" \
        -p "$SG_PG_PORT" -U postgres -d "${SG_PG_DB:-postgres}" "$@"
}

# One value from the store's database.
sg_pg_value() { SG_PG_DB=safeguard sg_pg_psql -At -c "$1"; }

sg_pg_cleanup() {
    [ -n "${SG_PG_DIR:-}" ] || return 0
    if [ -f "$SG_PG_DIR/data/postmaster.pid" ]; then
        sg_pg_as "$SG_PG_BIN/pg_ctl" -D "$SG_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
    fi
    [ -n "${SG_KEEP:-}" ] || rm -rf "$SG_PG_DIR"
}
