/*
 * store_sqlite_schema.c - the SQLite driver's schema: created on first
 * use, and upgraded step by step from every version the project has
 * shipped.
 *
 * A new database is made the way an old one is upgraded: version 1's
 * tables, then each migration in order.  So there is one path to the
 * current schema, and every migration runs every time the tests make a
 * store.  A migration, once shipped, is never edited: a change to the
 * schema is a new step at the end of `migrations` and a new
 * SG_STORE_SCHEMA_VERSION.  Steps run in one transaction with the write
 * lock taken (BEGIN IMMEDIATE), foreign keys off (a table rebuilt must
 * not cascade) and checked after each step.  Another process may be
 * upgrading at the same time: the version is read again under the lock.
 *
 * The version is the highest row of the schema_version table (from
 * version 3) and PRAGMA user_version (versions 1 and 2, which had no
 * table), whichever is higher.  user_version is kept equal to it, so that a
 * program that knows only versions 1 and 2 refuses a newer database instead of
 * writing into it.  PRAGMA application_id marks the file as ours.
 *
 * SCHEMA (version 8).  Times are Unix seconds (UTC).
 *
 *   records      one row per held message
 *     id             TEXT PRIMARY KEY   "SG-20261122-7F3A9C"
 *     queue_id       TEXT NOT NULL      the MTA's queue id (postsuper -H)
 *     created        INTEGER NOT NULL   when it was held
 *     client         TEXT               SMTP client address (NULL: unknown)
 *     trusted        INTEGER 0/1        client in trusted_networks
 *     auth_user      TEXT               SMTP AUTH user, NULL if none
 *     env_from       TEXT NOT NULL      envelope sender ("" for <>)
 *     subject        TEXT               decoded subject, NULL if none
 *     status         TEXT NOT NULL      held | released | rejected |
 *                                       expired | escalated | lost;
 *                                       from version 5 also, for a
 *                                       message a rule that notifies
 *                                       the DSL did not hold: refused |
 *                                       delivered | archived (no copy,
 *                                       message_path NULL)
 *     status_changed INTEGER NOT NULL   when status last changed
 *     message_path   TEXT               absolute path of the copy; NULL
 *                                       once retention purged the copy
 *     message_size   INTEGER NOT NULL   bytes in the copy
 *     action         TEXT NOT NULL      the verdict's action ("hold")
 *     explain_sender TEXT NOT NULL      the enforced rules' texts for the
 *     explain_dsl    TEXT NOT NULL      sender / the DSL, in rule order,
 *                                       joined by a blank line ("" if
 *                                       none); each rule's own texts,
 *                                       test-mode rules included, are in
 *                                       rules.explain_*
 *     queue_seen     INTEGER            when the mail queue was first seen
 *                                       holding the message; NULL: not
 *                                       yet (version 2; records from
 *                                       version 1 have their created)
 *     sender_name    TEXT               the directory's name for the
 *                                       sender judged, at hold time;
 *                                       NULL: none (version 6)
 *     track          TEXT               the review track of the verdict
 *                                       (staff-conduct | pupil-welfare):
 *                                       who is told of a release request
 *                                       (version 7; NULL for older
 *                                       records: staff-conduct, as a rule
 *                                       that names none)
 *     host           TEXT               the host (host_name) whose mail
 *                                       system holds the message;
 *                                       NULL: a record made before
 *                                       version 8, on the one host
 *     retention_class TEXT              released | no-concern |
 *                                       staff-conduct | pupil-welfare;
 *                                       NULL while waiting (the
 *                                       retention step, store_sql.c)
 *     expires        INTEGER            when it is emptied; NULL: never,
 *                                       or not yet dated
 *     tombstoned     INTEGER            when it was emptied; NULL: not
 *   recipients   one row per envelope recipient, in envelope order
 *     record_id -> records.id ON DELETE CASCADE; pos; address;
 *     roles ("staff,dsl"; "external" for an unknown address);
 *     channel (school | personal | none); name (the directory's display
 *     name at hold time, NULL: none; version 6)
 *   rules        one row per matching rule, in rules-file order
 *     record_id -> records.id ON DELETE CASCADE; pos; rule_id; title;
 *     policy; source; mode (enforce | test); action (what the rule says);
 *     recipients (comma-joined, the ones it matched on); notify
 *     (comma-joined); explain_sender; explain_dsl
 *     PRIMARY KEY (record_id, rule_id)
 *   findings     what each rule found, in order
 *     (record_id, rule_id) -> rules ON DELETE CASCADE; pos; detector;
 *     text (the matched text); location ("subject", a part's label, ...)
 *   audit        append-only history: holds, decisions, notes, logins,
 *                views; it outlives purged records, so record_id is not
 *                a foreign key
 *     id INTEGER PRIMARY KEY AUTOINCREMENT; record_id (NULL for a login);
 *     time; actor ("safeguard-milter", a DSL's login); client (where the
 *     actor came from); action ("held", "released", "note", ...); note
 *   schema_version  one row per version the database was brought to
 *     (version 3 on): version INTEGER PRIMARY KEY; applied (time)
 *   outbox       notices waiting for sendmail (version 4), one row each:
 *     id INTEGER PRIMARY KEY AUTOINCREMENT; created; kind (held-sender,
 *     held-dsl, rejected-sender, digest-dsl); record_id (not a foreign
 *     key: rows outlive records; NULL for the digest); env_from;
 *     recipients (one per line); message_id (UNIQUE, the one in the
 *     message); message (the whole rendered notice); attempts;
 *     next_attempt; claimed_at (a sender is at it; NULL: none); sent;
 *     failed (given up); last_error.  Indexed by next_attempt where not
 *     sent or failed, and by record_id.
 *   decisions    what a host is to do to a message in its hold queue
 *                (version 8), one row per decision: id; record_id (not
 *                a foreign key, as the outbox); host; op (release |
 *                delete); queue_id; created; attempts; next_attempt;
 *                claimed_at (a daemon is at it; NULL: none); done (NULL:
 *                pending); outcome (what was done, or why nothing was
 *                needed); last_error.  Written by the trigger
 *                records_decision when a held or escalated record with
 *                a host becomes released, rejected or expired, and by
 *                reinject (a delete for the host that held the message).
 *   legal_holds  one row per hold placed (the retention step): id;
 *                record_id (not a foreign key); placed; placed_by;
 *                reason; lifted, lifted_by, lift_note (NULL while the
 *                hold stands).  The audit's update trigger then allows
 *                one change only: a tombstone's notes set to NULL.
 *
 * Indexes serve the review tool: records by (status, created), created,
 * env_from, queue_id; rules by rule_id; audit by (record_id, id) and time.
 * Deleting a record (retention) deletes its recipients, rules and findings
 * and leaves its audit rows.
 *
 * Fails by returning -1 with the store's error string and the database
 * as it was (the transaction is rolled back).
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "store_sql.h"

int sg_store_sqlite_schema(struct sg_store_sql *s, struct sg_sql_conn *c,
                           const char **error_r);

/* "SGMQ": marks the database file as ours (PRAGMA application_id). */
#define STORE_APPLICATION_ID 0x53474d51

/* Version 1, as first shipped. */
static const char schema_v1[] =
    "CREATE TABLE records ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " queue_id TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " client TEXT,"
    " trusted INTEGER NOT NULL CHECK (trusted IN (0, 1)),"
    " auth_user TEXT,"
    " env_from TEXT NOT NULL,"
    " subject TEXT,"
    " status TEXT NOT NULL CHECK (status IN"
    "  ('held', 'released', 'rejected', 'expired', 'escalated')),"
    " status_changed INTEGER NOT NULL,"
    " message_path TEXT,"
    " message_size INTEGER NOT NULL CHECK (message_size >= 0),"
    " action TEXT NOT NULL,"
    " explain_sender TEXT NOT NULL,"
    " explain_dsl TEXT NOT NULL);"
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
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " record_id TEXT,"
    " time INTEGER NOT NULL,"
    " actor TEXT NOT NULL,"
    " client TEXT,"
    " action TEXT NOT NULL,"
    " note TEXT);"
    "CREATE INDEX audit_record ON audit (record_id, id);"
    "CREATE INDEX audit_time ON audit (time);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
    " SELECT RAISE(ABORT, 'the audit table is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN"
    " SELECT RAISE(ABORT, 'the audit table is append-only'); END;";

/* Version 1 to 2: the status "lost" and the column queue_seen.  SQLite
 * cannot change a CHECK constraint in place, so the table is rebuilt.
 * Records from version 1 count as seen on hold when they were made, so
 * that a later absence from the queue reads, as before, as released or
 * deleted by hand. */
static const char upgrade_v2[] =
    "CREATE TABLE records_v2 ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " queue_id TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " client TEXT,"
    " trusted INTEGER NOT NULL CHECK (trusted IN (0, 1)),"
    " auth_user TEXT,"
    " env_from TEXT NOT NULL,"
    " subject TEXT,"
    " status TEXT NOT NULL CHECK (status IN"
    "  ('held', 'released', 'rejected', 'expired', 'escalated', 'lost')),"
    " status_changed INTEGER NOT NULL,"
    " message_path TEXT,"
    " message_size INTEGER NOT NULL CHECK (message_size >= 0),"
    " action TEXT NOT NULL,"
    " explain_sender TEXT NOT NULL,"
    " explain_dsl TEXT NOT NULL,"
    " queue_seen INTEGER);"
    "INSERT INTO records_v2 (id, queue_id, created, client, trusted,"
    " auth_user, env_from, subject, status, status_changed, message_path,"
    " message_size, action, explain_sender, explain_dsl, queue_seen)"
    " SELECT id, queue_id, created, client, trusted, auth_user, env_from,"
    " subject, status, status_changed, message_path, message_size, action,"
    " explain_sender, explain_dsl, created FROM records;"
    "DROP TABLE records;"
    "ALTER TABLE records_v2 RENAME TO records;"
    "CREATE INDEX records_status_created ON records (status, created);"
    "CREATE INDEX records_created ON records (created);"
    "CREATE INDEX records_env_from ON records (env_from);"
    "CREATE INDEX records_queue_id ON records (queue_id);";

/* Version 2 to 3: the version gets a table of its own, one row per
 * version reached (the rows of this and later steps are added by
 * migrate()). */
static const char upgrade_v3[] = "CREATE TABLE schema_version ("
                                 " version INTEGER PRIMARY KEY NOT NULL,"
                                 " applied INTEGER NOT NULL);";

/* Version 3 to 4: the outbox, notices waiting for sendmail
 * (store_sqlite_outbox.c reads and writes it). */
static const char upgrade_v4[] =
    "CREATE TABLE outbox ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " created INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " record_id TEXT,"
    " env_from TEXT NOT NULL,"
    " recipients TEXT NOT NULL,"
    " message_id TEXT NOT NULL UNIQUE,"
    " message TEXT NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt INTEGER NOT NULL,"
    " claimed_at INTEGER,"
    " sent INTEGER,"
    " failed INTEGER,"
    " last_error TEXT);"
    "CREATE INDEX outbox_pending ON outbox (next_attempt)"
    " WHERE sent IS NULL AND failed IS NULL;"
    "CREATE INDEX outbox_record ON outbox (record_id);";

/* Version 4 to 5: records of messages that were not held (a reject,
 * journal or annotate rule that notifies the DSL): the statuses
 * "refused", "delivered" and "archived".  The table is rebuilt, as for
 * version 2, to change its CHECK constraint. */
static const char upgrade_v5[] =
    "CREATE TABLE records_v5 ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " queue_id TEXT NOT NULL,"
    " created INTEGER NOT NULL,"
    " client TEXT,"
    " trusted INTEGER NOT NULL CHECK (trusted IN (0, 1)),"
    " auth_user TEXT,"
    " env_from TEXT NOT NULL,"
    " subject TEXT,"
    " status TEXT NOT NULL CHECK (status IN"
    "  ('held', 'released', 'rejected', 'expired', 'escalated', 'lost',"
    "   'refused', 'delivered', 'archived')),"
    " status_changed INTEGER NOT NULL,"
    " message_path TEXT,"
    " message_size INTEGER NOT NULL CHECK (message_size >= 0),"
    " action TEXT NOT NULL,"
    " explain_sender TEXT NOT NULL,"
    " explain_dsl TEXT NOT NULL,"
    " queue_seen INTEGER);"
    "INSERT INTO records_v5 SELECT id, queue_id, created, client, trusted,"
    " auth_user, env_from, subject, status, status_changed, message_path,"
    " message_size, action, explain_sender, explain_dsl, queue_seen"
    " FROM records;"
    "DROP TABLE records;"
    "ALTER TABLE records_v5 RENAME TO records;"
    "CREATE INDEX records_status_created ON records (status, created);"
    "CREATE INDEX records_created ON records (created);"
    "CREATE INDEX records_env_from ON records (env_from);"
    "CREATE INDEX records_queue_id ON records (queue_id);";

/* Version 5 to 6: the names the directory gave the sender and each
 * recipient when the message was held, so that the review page shows
 * people by name without reaching the directory (and as they were named
 * then).  NULL: no name (an outside address, or an older record). */
static const char upgrade_v6[] =
    "ALTER TABLE records ADD COLUMN sender_name TEXT;"
    "ALTER TABLE recipients ADD COLUMN name TEXT;";

/* Version 6 to 7: the record's review track, so that the review page
 * tells a release request to the people the hold was told to. */
static const char upgrade_v7[] = "ALTER TABLE records ADD COLUMN track TEXT;";

/* Every step after version 1 to SG_SQL_SHARED_BASE, in order; never
 * changed again.  A change of the schema is a step of the list both
 * databases share (sg_sql_migrations, store_sql.c) and a new
 * SG_STORE_SCHEMA_VERSION. */
static const struct migration {
    int to;
    const char *sql;
} migrations[] = {
    {2, upgrade_v2}, {3, upgrade_v3}, {4, upgrade_v4},
    {5, upgrade_v5}, {6, upgrade_v6}, {7, upgrade_v7},
};
#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(2 + N_MIGRATIONS - 1 == SG_SQL_SHARED_BASE,
               "SQLite's own steps end where the shared ones begin");

/* The single integer a statement returns; -1 with an error. */
static int
query_int(struct sg_sql_conn *c, const char *sql, long long *value_r,
          const char **error_r)
{
    return sg_sql_query_int(c, sql, "cannot read its version", value_r,
                            error_r);
}

/* The schema version (0: an empty file), the application id and the
 * number of objects in it. */
static int
read_version(struct sg_sql_conn *c, long long *version_r, long long *app_id_r,
             long long *objects_r, const char **error_r)
{
    long long has_table = 0, table = 0;
    if (query_int(c, "PRAGMA application_id", app_id_r, error_r) < 0 ||
        query_int(c, "PRAGMA user_version", version_r, error_r) < 0 ||
        query_int(c,
                  "SELECT count(*) FROM sqlite_master"
                  " WHERE name NOT LIKE 'sqlite_%'",
                  objects_r, error_r) < 0 ||
        query_int(c,
                  "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                  " AND name = 'schema_version'",
                  &has_table, error_r) < 0)
        return -1;
    if (has_table &&
        query_int(c, "SELECT coalesce(max(version), 0) FROM schema_version",
                  &table, error_r) < 0)
        return -1;
    /* the two agree unless someone changed one: believe the newer */
    if (table > *version_r)
        *version_r = table;
    return 0;
}

/* The database is usable by this code at version (0: new). */
static int
check_version(struct sg_sql_conn *c, long long version, long long app_id,
              long long objects, const char **error_r)
{
    if (app_id != 0 && app_id != STORE_APPLICATION_ID)
        return sg_store_fail(error_r,
                             "%s is not a safeguard-milter quarantine "
                             "database (another program's application id "
                             "%lld)",
                             sg_sql_where(c->s), app_id);
    if (app_id != STORE_APPLICATION_ID && (version != 0 || objects != 0))
        return sg_store_fail(error_r,
                             "%s is not a safeguard-milter quarantine "
                             "database (it has tables but not our "
                             "application id): point quarantine_db at a "
                             "new file",
                             sg_sql_where(c->s));
    if (version > SG_STORE_SCHEMA_VERSION)
        return sg_store_fail(error_r,
                             "quarantine database %s has schema version "
                             "%lld, newer than the %d this safeguard-milter "
                             "knows: run the newer safeguard-milter, or "
                             "point quarantine_db elsewhere",
                             sg_sql_where(c->s), version,
                             SG_STORE_SCHEMA_VERSION);
    if (version < 0 || (version == 0 && objects != 0))
        return sg_store_fail(error_r,
                             "quarantine database %s has schema version "
                             "%lld, which this safeguard-milter cannot "
                             "upgrade",
                             sg_sql_where(c->s), version);
    return 0;
}

/* Bring the database from version to the current one, in the open
 * transaction. */
static int
migrate(struct sg_sql_conn *c, long long version, const char **error_r)
{
    char sql[160], what[96];
    if (version == 0) {
        if (sg_sql_exec(c, schema_v1, "cannot create the schema", error_r) < 0)
            return -1;
        version = 1;
    }
    for (size_t i = 0; i < N_MIGRATIONS; i++) {
        const struct migration *m = &migrations[i];
        if (m->to <= version)
            continue;
        long long broken = 0;
        snprintf(what, sizeof(what), "cannot upgrade the schema to version %d",
                 m->to);
        if (sg_sql_exec(c, m->sql, what, error_r) < 0 ||
            query_int(c, "SELECT count(*) FROM pragma_foreign_key_check",
                      &broken, error_r) < 0)
            return -1;
        if (broken != 0)
            return sg_store_fail(error_r,
                                 "quarantine database %s: the upgrade to "
                                 "schema version %d would break %lld "
                                 "references",
                                 sg_sql_where(c->s), m->to, broken);
        if (m->to >= 3) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO schema_version (version, applied)"
                     " VALUES (%d, %lld)",
                     m->to, (long long)time(NULL));
            if (sg_sql_exec(c, sql, what, error_r) < 0)
                return -1;
        }
        version = m->to;
    }
    if (sg_sql_migrate_shared(c, version, error_r) < 0)
        return -1;
    snprintf(sql, sizeof(sql),
             "PRAGMA application_id = %d; PRAGMA user_version = %d",
             STORE_APPLICATION_ID, SG_STORE_SCHEMA_VERSION);
    return sg_sql_exec(c, sql, "cannot set the schema version", error_r);
}

int
sg_store_sqlite_schema(struct sg_store_sql *s, struct sg_sql_conn *c,
                       const char **error_r)
{
    (void)s;
    long long version, app_id, objects;

    if (read_version(c, &version, &app_id, &objects, error_r) < 0 ||
        check_version(c, version, app_id, objects, error_r) < 0)
        return -1;
    if (version == SG_STORE_SCHEMA_VERSION)
        return 0;

    /* a no-op inside a transaction: the rebuild needs it off first */
    if (sg_sql_exec(c, "PRAGMA foreign_keys = OFF",
                    "cannot turn off foreign keys", error_r) < 0)
        return -1;
    if (sg_sql_exec(c, "BEGIN IMMEDIATE", "cannot lock it to create the schema",
                    error_r) < 0)
        goto fail;
    if (read_version(c, &version, &app_id, &objects, error_r) < 0 ||
        check_version(c, version, app_id, objects, error_r) < 0 ||
        migrate(c, version, error_r) < 0 ||
        sg_sql_exec(c, "COMMIT", "cannot commit the schema", error_r) < 0)
        goto fail;
    return sg_sql_exec(c, "PRAGMA foreign_keys = ON",
                       "cannot turn on foreign keys", error_r);
fail:
    sg_sql_rollback(c);
    c->s->drv->exec(c->h, "PRAGMA foreign_keys = ON");
    return -1;
}
