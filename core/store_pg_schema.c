/*
 * store_pg_schema.c - the PostgreSQL driver's schema: created at
 * SG_SQL_SHARED_BASE on first use, then upgraded by the shared
 * migrations (store_sql.h), one host at a time.
 *
 * PostgreSQL's first schema is version 7 of store_sqlite_schema.c
 * (whose comment says what each column holds) in PostgreSQL's dialect;
 * the table shapes are written per driver on purpose (doc/design-notes.md).
 * Only the SQL layer's calls are used here: the connection, statements
 * and batches are store_pg.c's.
 */
#include "config.h"

#ifdef HAVE_LIBPQ

#include <stdio.h>
#include <time.h>

#include "store_sql.h"

int sg_store_pg_schema(struct sg_store_sql *s, struct sg_sql_conn *c,
                       const char **error_r);

/* The advisory lock creating or upgrading the schema: one per database. */
#define PG_SCHEMA_LOCK 0x53474d51 /* "SGMQ" */

/* ------------------------------------------------------------ schema */

/* The schema at SG_SQL_SHARED_BASE (version 7 of store_sqlite_schema.c,
 * whose comment says what each column holds), in PostgreSQL's words:
 * BIGINT times, identity ids, the append-only audit table as a trigger
 * function, and the two functions the shared SQL uses that PostgreSQL
 * does not have (group_concat, instr). */
static const char schema_pg[] =
    "CREATE TABLE records ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " queue_id TEXT NOT NULL,"
    " created BIGINT NOT NULL,"
    " client TEXT,"
    " trusted INTEGER NOT NULL CHECK (trusted IN (0, 1)),"
    " auth_user TEXT,"
    " env_from TEXT NOT NULL,"
    " subject TEXT,"
    " status TEXT NOT NULL CHECK (status IN"
    "  ('held', 'released', 'rejected', 'expired', 'escalated', 'lost',"
    "   'refused', 'delivered', 'archived')),"
    " status_changed BIGINT NOT NULL,"
    " message_path TEXT,"
    " message_size BIGINT NOT NULL CHECK (message_size >= 0),"
    " action TEXT NOT NULL,"
    " explain_sender TEXT NOT NULL,"
    " explain_dsl TEXT NOT NULL,"
    " queue_seen BIGINT,"
    " sender_name TEXT,"
    " track TEXT);"
    "CREATE INDEX records_status_created ON records (status, created);"
    "CREATE INDEX records_created ON records (created);"
    "CREATE INDEX records_env_from ON records (env_from);"
    "CREATE INDEX records_queue_id ON records (queue_id);"
    "CREATE TABLE recipients ("
    " record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " address TEXT NOT NULL,"
    " roles TEXT NOT NULL,"
    " channel TEXT NOT NULL CHECK (channel IN ('school', 'personal', 'none')),"
    " name TEXT,"
    " PRIMARY KEY (record_id, pos));"
    "CREATE TABLE rules ("
    " record_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " rule_id TEXT NOT NULL,"
    " title TEXT,"
    " policy TEXT,"
    " source TEXT,"
    " mode TEXT NOT NULL CHECK (mode IN ('enforce', 'test')),"
    " action TEXT NOT NULL,"
    " recipients TEXT NOT NULL,"
    " notify TEXT NOT NULL,"
    " explain_sender TEXT,"
    " explain_dsl TEXT,"
    " PRIMARY KEY (record_id, rule_id),"
    " UNIQUE (record_id, pos));"
    "CREATE INDEX rules_rule_id ON rules (rule_id);"
    "CREATE TABLE findings ("
    " record_id TEXT NOT NULL,"
    " rule_id TEXT NOT NULL,"
    " pos INTEGER NOT NULL,"
    " detector TEXT NOT NULL,"
    " text TEXT,"
    " location TEXT,"
    " PRIMARY KEY (record_id, rule_id, pos),"
    " FOREIGN KEY (record_id, rule_id) REFERENCES rules (record_id, rule_id)"
    "  ON DELETE CASCADE);"
    "CREATE TABLE audit ("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " record_id TEXT,"
    " time BIGINT NOT NULL,"
    " actor TEXT NOT NULL,"
    " client TEXT,"
    " action TEXT NOT NULL,"
    " note TEXT);"
    "CREATE INDEX audit_record ON audit (record_id, id);"
    "CREATE INDEX audit_time ON audit (time);"
    "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION 'the audit table is append-only'; END$$;"
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit"
    " FOR EACH ROW EXECUTE FUNCTION audit_append_only();"
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
    " FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();"
    "CREATE TABLE schema_version ("
    " version INTEGER PRIMARY KEY NOT NULL,"
    " applied BIGINT NOT NULL);"
    "CREATE TABLE outbox ("
    " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " created BIGINT NOT NULL,"
    " kind TEXT NOT NULL,"
    " record_id TEXT,"
    " env_from TEXT NOT NULL,"
    " recipients TEXT NOT NULL,"
    " message_id TEXT NOT NULL UNIQUE,"
    " message TEXT NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt BIGINT NOT NULL,"
    " claimed_at BIGINT,"
    " sent BIGINT,"
    " failed BIGINT,"
    " last_error TEXT);"
    "CREATE INDEX outbox_pending ON outbox (next_attempt)"
    " WHERE sent IS NULL AND failed IS NULL;"
    "CREATE INDEX outbox_record ON outbox (record_id);"
    /* the message copies, so that no decision depends on one host's
     * disk: one row per held record, written with it, gone with it */
    "CREATE TABLE copies ("
    " record_id TEXT PRIMARY KEY NOT NULL"
    "  REFERENCES records (id) ON DELETE CASCADE,"
    " message BYTEA NOT NULL);"
    /* SQLite's group_concat(value, separator): NULLs skipped, NULL for
     * none; the rows in the order of the subquery they come from */
    "CREATE FUNCTION sg_concat_step(acc text, val text, sep text)"
    " RETURNS text LANGUAGE sql IMMUTABLE AS"
    " $$SELECT CASE WHEN val IS NULL THEN acc WHEN acc IS NULL THEN val"
    " ELSE acc || sep || val END$$;"
    "CREATE AGGREGATE group_concat(text, text)"
    " (SFUNC = sg_concat_step, STYPE = text);"
    "CREATE FUNCTION instr(text, text) RETURNS integer LANGUAGE sql"
    " IMMUTABLE AS $$SELECT strpos($1, $2)$$;";

int
sg_store_pg_schema(struct sg_store_sql *s, struct sg_sql_conn *c, const char **error_r)
{
    char sql[160];
    long long has = 0, version = 0, objects = 0;
    const char *where = sg_sql_where(s);

    /* one host at a time creates or upgrades it */
    if (sg_sql_begin(c, error_r) < 0)
        return -1;
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d), 0",
             PG_SCHEMA_LOCK);
    struct sg_sql_stmt *st = sg_sql_prepare(c, sql, "cannot lock it", error_r);
    int rc = st != NULL ? sg_sql_step(st, "cannot lock it", error_r) : -1;
    sg_sql_finalize(st);
    if (rc < 0 ||
        sg_sql_query_int(c,
                         "SELECT CASE WHEN to_regclass('schema_version')"
                         " IS NULL THEN 0 ELSE 1 END",
                         "cannot read its version", &has, error_r) < 0 ||
        (has &&
         sg_sql_query_int(c,
                          "SELECT coalesce(max(version), 0)"
                          " FROM schema_version",
                          "cannot read its version", &version, error_r) < 0) ||
        (!has && sg_sql_query_int(c,
                                  "SELECT CASE WHEN to_regclass('records')"
                                  " IS NULL THEN 0 ELSE 1 END",
                                  "cannot read it", &objects, error_r) < 0))
        goto fail;
    if (!has && objects != 0) {
        sg_store_fail(error_r,
                      "%s is not a safeguard-milter quarantine database (it "
                      "has a records table but no schema_version): point "
                      "the store setting at a new database",
                      where);
        goto fail;
    }
    if (version > SG_STORE_SCHEMA_VERSION) {
        sg_store_fail(error_r,
                      "quarantine database %s has schema version %lld, "
                      "newer than the %d this safeguard-milter knows: run "
                      "the newer safeguard-milter",
                      where, version, SG_STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (!has) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO schema_version (version, applied)"
                 " VALUES (%d, %lld)",
                 SG_SQL_SHARED_BASE, (long long)time(NULL));
        if (sg_sql_exec(c, schema_pg, "cannot create the schema", error_r) <
                0 ||
            sg_sql_exec(c, sql, "cannot create the schema", error_r) < 0)
            goto fail;
        version = SG_SQL_SHARED_BASE;
    }
    if (sg_sql_migrate_shared(c, version, error_r) < 0)
        goto fail;
    return sg_sql_commit(c, "cannot commit the schema", error_r);
fail:
    sg_sql_rollback(c);
    return -1;
}

#endif /* HAVE_LIBPQ */
