/*
 * test_quarantine.c - the quarantine record store: the database is made
 * once and kept, a newer or foreign one refused, a hold writes its copy
 * and every row or nothing at all, concurrent holds, status changes that
 * never release twice, and an audit table that cannot be rewritten.
 *
 * Rows are read back with the SQLite API, as the review tool will.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "store_util.h"

/* 2026-11-22 12:00:00 UTC */
#define HOLD_TIME ((time_t)1795348800)

struct env {
    char dir[64];
    char db[128];
    char store[128];
    struct sg_store *q;
};

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -1;
    umask(022);
    strcpy(e->dir, "/tmp/sg-test-quar-XXXXXX");
    if (mkdtemp(e->dir) == NULL) {
        free(e);
        return -1;
    }
    snprintf(e->db, sizeof(e->db), "%s/q.db", e->dir);
    snprintf(e->store, sizeof(e->store), "%s/messages", e->dir);
    *state = e;
    return 0;
}

static int
teardown(void **state)
{
    struct env *e = *state;
    sg_store_close(&e->q);
    int r = sg_test_rmtree(e->dir);
    free(e);
    return r;
}

/* An open store in a fresh directory. */
static int
setup_open(void **state)
{
    const char *error = NULL;
    if (setup(state) < 0)
        return -1;
    struct env *e = *state;
    return sg_store_open(e->db, e->store, &e->q, &error);
}

/* ------------------------------------------------------------ helpers */

/* The store draws its record ids from getrandom(); this definition takes
 * its place in the test program so that a test can force collisions.
 * Without forced bytes it is the real system call. */
static const unsigned char *forced_random;
static size_t forced_left;

ssize_t
getrandom(void *buf, size_t len, unsigned int flags)
{
    if (forced_random != NULL && forced_left >= len) {
        memcpy(buf, forced_random, len);
        forced_random += len;
        forced_left -= len;
        return (ssize_t)len;
    }
    return syscall(SYS_getrandom, buf, len, flags);
}

static void
force_random(const unsigned char *bytes, size_t len)
{
    forced_random = bytes;
    forced_left = len;
}

static sqlite3 *
db_open(const struct env *e)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(e->db, &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

static long long
db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void
db_exec(sqlite3 *db, const char *sql)
{
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* pattern with each "@" replaced by value. */
static void
expand(char *out, size_t size, const char *pattern, const char *value)
{
    size_t n = 0, vlen = strlen(value);
    for (const char *p = pattern; *p != '\0'; p++) {
        if (*p == '@') {
            assert_true(n + vlen < size);
            memcpy(out + n, value, vlen);
            n += vlen;
        } else {
            assert_true(n + 1 < size);
            out[n++] = *p;
        }
    }
    out[n] = '\0';
}

static size_t
files_in(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    if (d != NULL)
        closedir(d);
    return n;
}

static char *
slurp(const char *path, size_t *len_r)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *data = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[8192];
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            data = realloc(data, cap);
            assert_non_null(data);
        }
        memcpy(data + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (data == NULL)
        data = calloc(1, 1);
    assert_non_null(data);
    *len_r = len;
    return data;
}

static size_t
rows_everywhere(const struct env *e)
{
    sqlite3 *db = db_open(e);
    long long n = db_int(db, "SELECT (SELECT count(*) FROM records)"
                             " + (SELECT count(*) FROM recipients)"
                             " + (SELECT count(*) FROM rules)"
                             " + (SELECT count(*) FROM findings)"
                             " + (SELECT count(*) FROM audit)");
    sqlite3_close(db);
    return (size_t)n;
}

/* ------------------------------------------------------------ a hold */

static char *pupil_roles[] = {"pupil"};
static struct sg_person pupil = {
    .address = "amy.pupil@school.example",
    .roles = pupil_roles,
    .n_roles = 1,
};
static char *parent_roles[] = {"parent", "staff"};
static struct sg_person parent = {
    .address = "b.parent@home.example",
    .roles = parent_roles,
    .n_roles = 2,
};
static const struct sg_party rcpts[] = {
    {"amy.pupil@school.example", &pupil, SG_CHANNEL_SCHOOL},
    {"b.parent@home.example", &parent, SG_CHANNEL_PERSONAL},
    {"someone@elsewhere.example", NULL, SG_CHANNEL_NONE},
};

static struct sg_finding contact_findings[] = {
    {"uk-mobile", "07700 900123", "body (text/plain)"},
    {"personal-email", "john.smith@gmail.example", "subject"},
};
static char *contact_notify[] = {"sender", "dsl"};
static char *contact_rcpts[] = {"amy.pupil@school.example"};
static struct sg_rule_match matches[] = {
    {
        .id = "personal-contact",
        .title = "Personal contact details sent to a pupil",
        .policy = "Staff must not give pupils their personal email address.",
        .source = "Trust Social Media Policy",
        .mode = SG_MODE_ENFORCE,
        .action = SG_ACTION_HOLD,
        .notify = contact_notify,
        .n_notify = 2,
        .recipients = contact_rcpts,
        .n_recipients = 1,
        .findings = contact_findings,
        .n_findings = 2,
        .explain_sender = "Your message contains a mobile number.",
        .explain_dsl = "Mr Smith sent Amy a mobile number.",
    },
    {
        .id = "late-night",
        .title = "Messages to pupils late at night",
        .policy = "Staff should not message pupils after 9pm.",
        .source = "Staff Code of Conduct",
        .mode = SG_MODE_TEST,
        .action = SG_ACTION_REJECT,
        .explain_sender = "Sent late (test).",
        .explain_dsl = "Sent at 23:10 (test).",
    },
    {
        .id = "external-journal",
        .title = "Journal mail to outside addresses",
        .mode = SG_MODE_ENFORCE,
        .action = SG_ACTION_JOURNAL,
        .explain_sender = "",
        .explain_dsl = "Journalled.",
    },
};
static const struct sg_verdict verdict = {
    .action = SG_ACTION_HOLD,
    .journal = true,
    .annotate = true,
    .would_action = SG_ACTION_REJECT,
    .rules = matches,
    .n_rules = 3,
};

static const char message[] =
    "From: John Smith <j.smith@school.example>\r\n"
    "To: amy.pupil@school.example\r\n"
    "Subject: Revision\r\n"
    "\r\n"
    "Text me on 07700 900123.\r\n";

static struct sg_hold
a_hold(void)
{
    return (struct sg_hold){
        .queue_id = "4F2A31C0D2",
        .time = HOLD_TIME,
        .client = "192.0.2.10",
        .client_trusted = true,
        .auth_user = "jsmith",
        .env_from = "j.smith@school.example",
        .rcpts = rcpts,
        .n_rcpts = 3,
        .subject = "Revision",
        .verdict = &verdict,
        .data = message,
        .len = sizeof(message) - 1,
        .fd = -1,
    };
}

static void
assert_id_form(const char *id)
{
    assert_int_equal(strlen(id), 18);
    assert_memory_equal(id, "SG-20261122-", 12);
    for (size_t i = 12; i < 18; i++)
        assert_true(isxdigit((unsigned char)id[i]) &&
                    !islower((unsigned char)id[i]));
}

/* ------------------------------------------------------------ open */

static void
test_create_and_reopen(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    struct stat st;

    assert_int_equal(sg_store_open(e->db, e->store, &e->q, &error), 0);
    assert_int_equal(stat(e->store, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0750);
    assert_int_equal(stat(e->db, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    sg_store_close(&e->q);
    assert_null(e->q);

    sqlite3 *db = db_open(e);
    assert_int_equal(db_int(db, "PRAGMA user_version"),
                     SG_STORE_SCHEMA_VERSION);
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE"
                                " type = 'table' AND name IN ('records',"
                                " 'recipients', 'rules', 'findings',"
                                " 'audit')"),
                     5);
    /* the audit's two, and the decisions' (version 8) */
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE"
                                " type = 'trigger'"),
                     3);
    sqlite3_stmt *mode = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &mode,
                                        NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(mode), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(mode, 0), "wal");
    sqlite3_finalize(mode);
    /* a row that must survive the reopen */
    db_exec(db, "INSERT INTO audit (time, actor, action)"
                " VALUES (1, 'test', 'login')");
    sqlite3_close(db);

    /* reopen: the store directory exists, the schema is kept */
    assert_int_equal(sg_store_open(e->db, e->store, &e->q, &error), 0);
    sg_store_close(&e->q);
    db = db_open(e);
    assert_int_equal(db_int(db, "PRAGMA user_version"),
                     SG_STORE_SCHEMA_VERSION);
    assert_int_equal(db_int(db, "SELECT count(*) FROM audit"), 1);
    sqlite3_close(db);
    sg_store_close(&e->q); /* closing twice is harmless */
}

static void
test_newer_schema_refused(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    assert_int_equal(sg_store_open(e->db, e->store, &e->q, &error), 0);
    sg_store_close(&e->q);
    sqlite3 *db = db_open(e);
    db_exec(db, "PRAGMA user_version = 99");
    sqlite3_close(db);

    assert_int_equal(sg_store_open(e->db, e->store, &e->q, &error), -1);
    assert_null(e->q);
    char want[64];
    snprintf(want, sizeof(want), "schema version 99, newer than the %d",
             SG_STORE_SCHEMA_VERSION);
    assert_non_null(strstr(error, want));
    assert_non_null(strstr(error, e->db));
    /* and it was left as it was */
    db = db_open(e);
    assert_int_equal(db_int(db, "PRAGMA user_version"), 99);
    sqlite3_close(db);
}

static void
test_foreign_database_refused(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(e->db, &db), SQLITE_OK);
    db_exec(db, "CREATE TABLE accounts (name TEXT)");
    sqlite3_close(db);

    assert_int_equal(sg_store_open(e->db, e->store, &e->q, &error), -1);
    assert_non_null(strstr(error, "is not a safeguard-milter quarantine "
                                  "database"));
    db = db_open(e);
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master"), 1);
    sqlite3_close(db);
}

enum bad_setup { BAD_NONE, BAD_FILE_AS_STORE, BAD_DIR_AS_DB, BAD_GARBAGE_DB };

static const struct {
    const char *db;    /* "@" is the test directory */
    const char *store;
    enum bad_setup setup;
    const char *error; /* a part of the message; "@": the test directory */
} bad_paths[] = {
    {"@/no/such/dir/q.db", "@/messages", BAD_NONE,
     "cannot create the quarantine database @/no/such/dir/q.db: No such "
     "file or directory"},
    {"@/q.db", "@/no/such/messages", BAD_NONE,
     "cannot create the message directory @/no/such/messages: No such "
     "file or directory"},
    {"@/q.db", "@/plain", BAD_FILE_AS_STORE,
     "message directory @/plain is not a directory"},
    {"@/adir", "@/messages", BAD_DIR_AS_DB,
     "cannot open the quarantine database @/adir"},
    {"@/garbage.db", "@/messages", BAD_GARBAGE_DB,
     "quarantine database @/garbage.db: cannot read it: file is not a "
     "database"},
    {"", "@/messages", BAD_NONE, "the quarantine database path is empty"},
    {"@/q.db", "", BAD_NONE, "the quarantine message directory is empty"},
};

static void
test_bad_paths(void **state)
{
    struct env *e = *state;
    for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
        char db[256], store[256], want[512];
        const char *error = NULL;
        expand(db, sizeof(db), bad_paths[i].db, e->dir);
        expand(store, sizeof(store), bad_paths[i].store, e->dir);
        expand(want, sizeof(want), bad_paths[i].error, e->dir);
        switch (bad_paths[i].setup) {
        case BAD_FILE_AS_STORE: {
            FILE *f = fopen(store, "w");
            assert_non_null(f);
            fclose(f);
            break;
        }
        case BAD_DIR_AS_DB:
            assert_int_equal(mkdir(db, 0700), 0);
            break;
        case BAD_GARBAGE_DB: {
            FILE *f = fopen(db, "w");
            assert_non_null(f);
            for (int k = 0; k < 200; k++)
                fputs("this is not SQLite. ", f);
            fclose(f);
            break;
        }
        case BAD_NONE:
            break;
        }
        assert_int_equal(sg_store_open(db, store, &e->q, &error), -1);
        assert_null(e->q);
        assert_non_null(error);
        if (strstr(error, want) == NULL)
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, error, want);
    }
}

/* ------------------------------------------------------------ hold */

/* A version 1 database (no queue_seen; a status CHECK without "lost") is
 * upgraded at open: the records table is rebuilt without losing its
 * children, old records count as seen on hold, and "lost" is allowed. */
static void
test_upgrade_from_v1(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    char *id = NULL;
    struct sg_hold h = a_hold();
    assert_int_equal(sg_store_open(e->db, e->store, &e->q, &error), 0);
    assert_int_equal(sg_store_hold(e->q, &h, &id, &error), 0);
    sg_store_close(&e->q);

    /* make it what version 1 wrote */
    sqlite3 *db = db_open(e);
    long long children = db_int(db, "SELECT (SELECT count(*) FROM recipients)"
                                    " + (SELECT count(*) FROM rules)"
                                    " + (SELECT count(*) FROM findings)");
    assert_true(children > 0);
    db_exec(db, "PRAGMA foreign_keys = OFF");
    db_exec(db, "BEGIN;"
                "CREATE TABLE r1 (id TEXT PRIMARY KEY NOT NULL,"
                " queue_id TEXT NOT NULL, created INTEGER NOT NULL,"
                " client TEXT, trusted INTEGER NOT NULL CHECK (trusted IN"
                " (0, 1)), auth_user TEXT, env_from TEXT NOT NULL,"
                " subject TEXT, status TEXT NOT NULL CHECK (status IN"
                " ('held', 'released', 'rejected', 'expired', 'escalated')),"
                " status_changed INTEGER NOT NULL, message_path TEXT,"
                " message_size INTEGER NOT NULL, action TEXT NOT NULL,"
                " explain_sender TEXT NOT NULL, explain_dsl TEXT NOT NULL);"
                "INSERT INTO r1 SELECT id, queue_id, created, client, trusted,"
                " auth_user, env_from, subject, status, status_changed,"
                " message_path, message_size, action, explain_sender,"
                " explain_dsl FROM records;"
                /* the retention step's trigger names records' columns */
                "DROP TRIGGER audit_no_update; DROP TABLE legal_holds;"
                "DROP TABLE records; ALTER TABLE r1 RENAME TO records;"
                "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN"
                " SELECT RAISE(ABORT, 'the audit table is append-only');"
                " END;"
                "DROP TABLE schema_version; DROP TABLE outbox;"
                "DROP TABLE decisions;"
                "ALTER TABLE recipients DROP COLUMN name;"
                "ALTER TABLE audit DROP COLUMN school;"
                /* the policy migration's */
                "DROP TABLE policy_changes;"
                "ALTER TABLE rules DROP COLUMN category;"
                "ALTER TABLE recipients DROP COLUMN upn;"
                /* a rule's retention class's */
                "ALTER TABLE rules DROP COLUMN retention;"
                "PRAGMA user_version = 1; COMMIT;");
    assert_int_equal(db_int(db, "SELECT count(*) FROM pragma_table_info("
                                "'records') WHERE name = 'queue_seen'"),
                     0);
    sqlite3_close(db);

    assert_int_equal(sg_store_open(e->db, e->store, &e->q, &error), 0);
    db = db_open(e);
    assert_int_equal(db_int(db, "PRAGMA user_version"),
                     SG_STORE_SCHEMA_VERSION);
    assert_int_equal(db_int(db, "SELECT (SELECT count(*) FROM recipients)"
                                " + (SELECT count(*) FROM rules)"
                                " + (SELECT count(*) FROM findings)"),
                     children);
    assert_int_equal(
        db_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(db_int(db, "SELECT count(*) FROM records"
                                " WHERE queue_seen = created"),
                     1);
    assert_int_equal(db_int(db, "SELECT count(*) FROM sqlite_master WHERE"
                                " type = 'index' AND tbl_name = 'records'"
                                " AND sql IS NOT NULL"),
                     7); /* and records_host, version 8, and
                            records_expires (retention) and
                            records_school (the schools of a trust) */
    sqlite3_close(db);
    struct sg_store_record *rec = NULL;
    assert_int_equal(sg_store_get(e->q, id, &rec, &error), 0);
    assert_int_equal(rec->queue_seen, rec->created);
    assert_null(rec->track); /* made before tracks were kept */
    sg_store_record_free(&rec);
    assert_int_equal(sg_store_set_status(e->q, id, SG_QSTATUS_HELD,
                                         SG_QSTATUS_LOST, "test", NULL,
                                         "not kept", &error),
                     0);
    /* foreign keys are on again: deleting the record takes its rows */
    db = db_open(e);
    db_exec(db, "PRAGMA foreign_keys = ON");
    db_exec(db, "DELETE FROM records");
    assert_int_equal(db_int(db, "SELECT count(*) FROM recipients"), 0);
    sqlite3_close(db);
    free(id);
}

static void
test_hold_writes_copy_and_rows(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    char *id = NULL;
    struct sg_hold h = a_hold();

    assert_int_equal(sg_store_hold(e->q, &h, &id, &error), 0);
    assert_id_form(id);

    /* the copy */
    char path[256];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s.eml", e->store, id);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    size_t len;
    char *copy = slurp(path, &len);
    assert_int_equal(len, sizeof(message) - 1);
    assert_memory_equal(copy, message, len);
    free(copy);
    assert_int_equal(files_in(e->store), 1); /* no temporary left */

    sqlite3 *db = db_open(e);
    sqlite3_stmt *st_rec = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT queue_id, created, client, trusted,"
                           " auth_user, env_from, subject, status,"
                           " status_changed, message_path, message_size,"
                           " action, explain_sender, explain_dsl"
                           " FROM records WHERE id = ?1",
                           -1, &st_rec, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st_rec, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st_rec), SQLITE_ROW);
    char *realstore = realpath(e->store, NULL);
    char abs[512];
    snprintf(abs, sizeof(abs), "%s/%s.eml", realstore, id);
    free(realstore);
    static const struct {
        int col;
        const char *text; /* NULL: compare the integer */
        long long num;
    } cols[] = {
        {0, "4F2A31C0D2", 0},
        {1, NULL, 1795348800},
        {2, "192.0.2.10", 0},
        {3, NULL, 1},
        {4, "jsmith", 0},
        {5, "j.smith@school.example", 0},
        {6, "Revision", 0},
        {7, "held", 0},
        {8, NULL, 1795348800},
        {10, NULL, sizeof(message) - 1},
        {11, "hold", 0},
        /* enforced rules only, non-empty texts, a blank line between */
        {12, "Your message contains a mobile number.", 0},
        {13, "Mr Smith sent Amy a mobile number.\n\nJournalled.", 0},
    };
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        if (cols[i].text != NULL)
            assert_string_equal(
                (const char *)sqlite3_column_text(st_rec, cols[i].col),
                cols[i].text);
        else
            assert_int_equal(sqlite3_column_int64(st_rec, cols[i].col),
                             cols[i].num);
    }
    assert_string_equal((const char *)sqlite3_column_text(st_rec, 9), abs);
    sqlite3_finalize(st_rec);

    /* recipients, in envelope order */
    static const char *const want_rcpts[][3] = {
        {"amy.pupil@school.example", "pupil", "school"},
        {"b.parent@home.example", "parent,staff", "personal"},
        {"someone@elsewhere.example", "external", "none"},
    };
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT address, roles, channel FROM"
                                        " recipients WHERE record_id = ?1"
                                        " ORDER BY pos",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        for (int c = 0; c < 3; c++)
            assert_string_equal((const char *)sqlite3_column_text(s, c),
                                want_rcpts[i][c]);
    }
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);

    /* rules, in file order, every column */
    static const char *const want_rules[][10] = {
        {"personal-contact", "Personal contact details sent to a pupil",
         "Staff must not give pupils their personal email address.",
         "Trust Social Media Policy", "enforce", "hold",
         "amy.pupil@school.example", "sender,dsl",
         "Your message contains a mobile number.",
         "Mr Smith sent Amy a mobile number."},
        {"late-night", "Messages to pupils late at night",
         "Staff should not message pupils after 9pm.",
         "Staff Code of Conduct", "test", "reject", "", "",
         "Sent late (test).", "Sent at 23:10 (test)."},
        {"external-journal", "Journal mail to outside addresses", NULL, NULL,
         "enforce", "journal", "", "", "", "Journalled."},
    };
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT rule_id, title, policy, source, mode,"
                           " action, recipients, notify, explain_sender,"
                           " explain_dsl FROM rules WHERE record_id = ?1"
                           " ORDER BY pos",
                           -1, &s, NULL),
        SQLITE_OK);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        for (int c = 0; c < 10; c++) {
            const char *got = (const char *)sqlite3_column_text(s, c);
            if (want_rules[i][c] == NULL)
                assert_null(got);
            else
                assert_string_equal(got, want_rules[i][c]);
        }
    }
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);

    /* findings, tied to their rule */
    static const char *const want_findings[][4] = {
        {"personal-contact", "uk-mobile", "07700 900123",
         "body (text/plain)"},
        {"personal-contact", "personal-email", "john.smith@gmail.example",
         "subject"},
    };
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT rule_id, detector, text, location FROM"
                           " findings WHERE record_id = ?1 ORDER BY"
                           " rule_id, pos",
                           -1, &s, NULL),
        SQLITE_OK);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        for (int c = 0; c < 4; c++)
            assert_string_equal((const char *)sqlite3_column_text(s, c),
                                want_findings[i][c]);
    }
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);

    /* the audit row of the hold */
    assert_int_equal(
        sqlite3_prepare_v2(db,
                           "SELECT time, actor, client, action, note FROM"
                           " audit WHERE record_id = ?1",
                           -1, &s, NULL),
        SQLITE_OK);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int64(s, 0), 1795348800);
    assert_string_equal((const char *)sqlite3_column_text(s, 1),
                        "safeguard-milter");
    assert_string_equal((const char *)sqlite3_column_text(s, 2),
                        "192.0.2.10");
    assert_string_equal((const char *)sqlite3_column_text(s, 3), "held");
    assert_string_equal((const char *)sqlite3_column_text(s, 4),
                        "queue id 4F2A31C0D2");
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);

    /* and through the API */
    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(e->q, id, &r, &error), 0);
    assert_string_equal(r->id, id);
    assert_string_equal(r->queue_id, "4F2A31C0D2");
    assert_int_equal(r->status, SG_QSTATUS_HELD);
    assert_int_equal(r->created, HOLD_TIME);
    assert_true(r->trusted);
    assert_string_equal(r->message_path, abs);
    assert_int_equal(r->message_size, sizeof(message) - 1);
    assert_string_equal(r->action, "hold");
    /* the verdict's review track, for who is told of a release request */
    assert_non_null(r->track);
    assert_string_equal(r->track, sg_track_name(sg_verdict_track(h.verdict)));
    sg_store_record_free(&r);
    assert_null(r);
    assert_int_equal(sg_store_get(e->q, "SG-20000101-000000", &r, &error),
                     SG_STORE_NOT_FOUND);
    assert_null(r);
    free(id);
}

static void
test_hold_nulls(void **state)
{
    /* No client, no AUTH, no subject, null sender, no recipients. */
    struct env *e = *state;
    const char *error = NULL;
    char *id = NULL;
    struct sg_hold h = a_hold();
    h.client = NULL;
    h.client_trusted = false;
    h.auth_user = NULL;
    h.subject = NULL;
    h.env_from = "";
    h.rcpts = NULL;
    h.n_rcpts = 0;
    h.data = "";
    h.len = 0;
    assert_int_equal(sg_store_hold(e->q, &h, &id, &error), 0);
    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(e->q, id, &r, &error), 0);
    assert_null(r->client);
    assert_null(r->auth_user);
    assert_null(r->subject);
    assert_false(r->trusted);
    assert_string_equal(r->env_from, "");
    assert_int_equal(r->message_size, 0);
    sg_store_record_free(&r);
    free(id);
}

static void
test_memory_and_fd_same_copy(void **state)
{
    struct env *e = *state;
    const char *error = NULL;

    /* bigger than one copy chunk, and not a multiple of it */
    size_t big_len = 3 * 64 * 1024 + 1234;
    char *big = malloc(big_len);
    assert_non_null(big);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)(i * 131 % 251);

    char spill[128];
    snprintf(spill, sizeof(spill), "%s/spill-XXXXXX", e->dir);
    int fd = mkstemp(spill);
    assert_true(fd >= 0);
    unlink(spill);
    assert_int_equal(write(fd, big, big_len), (ssize_t)big_len);
    /* the file offset is at the end: pread must not care */

    char *ids[2] = {NULL, NULL};
    struct sg_hold h = a_hold();
    h.data = big;
    h.len = big_len;
    assert_int_equal(sg_store_hold(e->q, &h, &ids[0], &error), 0);
    h = a_hold();
    h.data = NULL;
    h.len = 0;
    h.fd = fd;
    h.fd_size = big_len;
    assert_int_equal(sg_store_hold(e->q, &h, &ids[1], &error), 0);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), (off_t)big_len);
    close(fd);
    assert_string_not_equal(ids[0], ids[1]);

    for (int k = 0; k < 2; k++) {
        char path[256];
        size_t len;
        snprintf(path, sizeof(path), "%s/%s.eml", e->store, ids[k]);
        char *copy = slurp(path, &len);
        assert_int_equal(len, big_len);
        assert_memory_equal(copy, big, big_len);
        free(copy);
        struct sg_store_record *r = NULL;
        assert_int_equal(sg_store_get(e->q, ids[k], &r, &error), 0);
        assert_int_equal(r->message_size, big_len);
        sg_store_record_free(&r);
        free(ids[k]);
    }
    free(big);
}

static void
test_id_collisions(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    char *id[3] = {NULL, NULL, NULL};
    struct sg_hold h = a_hold();
    static const unsigned char bytes[] = {
        0xAA, 0xAA, 0xAA,                   /* hold 1 */
        0xAA, 0xAA, 0xAA, 0xBB, 0xBB, 0xBB, /* hold 2: the file exists */
        0xAA, 0xAA, 0xAA, 0xCC, 0xCC, 0xCC, /* hold 3: the record exists */
    };
    force_random(bytes, sizeof(bytes));
    assert_int_equal(sg_store_hold(e->q, &h, &id[0], &error), 0);
    assert_string_equal(id[0], "SG-20261122-AAAAAA");
    assert_int_equal(sg_store_hold(e->q, &h, &id[1], &error), 0);
    assert_string_equal(id[1], "SG-20261122-BBBBBB");

    /* retention purged the first copy; its record stays */
    char path[256];
    snprintf(path, sizeof(path), "%s/SG-20261122-AAAAAA.eml", e->store);
    assert_int_equal(unlink(path), 0);
    sqlite3 *db = db_open(e);
    db_exec(db, "UPDATE records SET message_path = NULL"
                " WHERE id = 'SG-20261122-AAAAAA'");
    sqlite3_close(db);
    assert_int_equal(sg_store_hold(e->q, &h, &id[2], &error), 0);
    assert_string_equal(id[2], "SG-20261122-CCCCCC");
    assert_int_equal(access(path, F_OK), -1); /* not left behind */
    assert_int_equal(files_in(e->store), 2);

    /* every id taken: a clear failure, and nothing written */
    unsigned char same[16 * 3];
    memset(same, 0xAA, sizeof(same));
    force_random(same, sizeof(same));
    char *none = NULL;
    assert_int_equal(sg_store_hold(e->q, &h, &none, &error), -1);
    force_random(NULL, 0);
    assert_null(none);
    assert_string_equal(error, "no free record id after 16 attempts");
    assert_int_equal(files_in(e->store), 2);

    db = db_open(e);
    assert_int_equal(db_int(db, "SELECT count(*) FROM records"), 3);
    assert_int_equal(db_int(db, "SELECT count(*) FROM audit"), 3);
    assert_int_equal(db_int(db, "SELECT count(*) FROM records WHERE"
                                " id = 'SG-20261122-AAAAAA' AND"
                                " message_path IS NULL"),
                     1);
    sqlite3_close(db);
    for (int i = 0; i < 3; i++)
        free(id[i]);
}

/* ------------------------------------------------------------ failures */

enum break_how {
    BREAK_STORE_GONE,      /* the message directory disappeared */
    BREAK_INSERT_FAILS,    /* the database refuses a row mid-transaction */
    BREAK_DATABASE_LOCKED, /* another process holds the write lock */
    BREAK_SHORT_FD,        /* the spill file is shorter than its size */
    BREAK_NO_MESSAGE,      /* neither data nor fd */
    BREAK_NO_QUEUE_ID,
};

static const struct {
    enum break_how how;
    const char *error; /* a part of the message */
} breaks[] = {
    {BREAK_STORE_GONE, "cannot create a file in the message directory"},
    {BREAK_INSERT_FAILS, "cannot insert a finding: injected failure"},
    {BREAK_DATABASE_LOCKED, "cannot start a transaction: database is locked"},
    {BREAK_SHORT_FD, "the message file ends after 10 of its 4096 bytes"},
    {BREAK_NO_MESSAGE, "no message"},
    {BREAK_NO_QUEUE_ID, "the queue id, envelope sender, recipients or "
                        "verdict is missing"},
};

static void
test_failure_leaves_nothing(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
        void *st = NULL;
        assert_int_equal(setup_open(&st), 0);
        struct env *e = st;
        struct sg_hold h = a_hold();
        sqlite3 *locker = NULL;
        int fd = -1;
        switch (breaks[i].how) {
        case BREAK_STORE_GONE:
            assert_int_equal(rmdir(e->store), 0);
            break;
        case BREAK_INSERT_FAILS:
            locker = db_open(e);
            db_exec(locker, "CREATE TRIGGER break_findings BEFORE INSERT ON"
                            " findings BEGIN SELECT RAISE(ABORT,"
                            " 'injected failure'); END");
            sqlite3_close(locker);
            locker = NULL;
            break;
        case BREAK_DATABASE_LOCKED:
            locker = db_open(e);
            db_exec(locker, "BEGIN IMMEDIATE");
            sg_store_set_busy_timeout(e->q, 100);
            break;
        case BREAK_SHORT_FD: {
            char spill[128];
            snprintf(spill, sizeof(spill), "%s/spill-XXXXXX", e->dir);
            fd = mkstemp(spill);
            assert_true(fd >= 0);
            unlink(spill);
            assert_int_equal(write(fd, "0123456789", 10), 10);
            h.data = NULL;
            h.fd = fd;
            h.fd_size = 4096;
            break;
        }
        case BREAK_NO_MESSAGE:
            h.data = NULL;
            h.fd = -1;
            break;
        case BREAK_NO_QUEUE_ID:
            h.queue_id = NULL;
            break;
        }

        const char *error = NULL;
        char *id = NULL;
        assert_int_equal(sg_store_hold(e->q, &h, &id, &error), -1);
        assert_null(id);
        assert_non_null(error);
        if (strstr(error, breaks[i].error) == NULL)
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, error,
                     breaks[i].error);
        if (locker != NULL) {
            db_exec(locker, "ROLLBACK");
            sqlite3_close(locker);
        }
        if (fd >= 0)
            close(fd);
        assert_int_equal(files_in(e->store), 0);
        assert_int_equal(rows_everywhere(e), 0);
        assert_int_equal(teardown(&st), 0);
    }
}

/* ------------------------------------------------------------ threads */

#define N_THREADS 8
#define HOLDS_PER_THREAD 12

struct worker {
    struct sg_store *q;
    char *ids[HOLDS_PER_THREAD];
    int failures;
};

static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < HOLDS_PER_THREAD; i++) {
        const char *error = NULL;
        struct sg_hold h = a_hold();
        if (sg_store_hold(w->q, &h, &w->ids[i], &error) != 0)
            w->failures++;
    }
    return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_concurrent_holds(void **state)
{
    struct env *e = *state;
    struct worker w[N_THREADS];
    pthread_t t[N_THREADS];
    char *all[N_THREADS * HOLDS_PER_THREAD];

    memset(w, 0, sizeof(w));
    for (int i = 0; i < N_THREADS; i++) {
        w[i].q = e->q;
        assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
        for (int k = 0; k < HOLDS_PER_THREAD; k++) {
            assert_non_null(w[i].ids[k]);
            all[i * HOLDS_PER_THREAD + k] = w[i].ids[k];
        }
    }
    size_t n = N_THREADS * HOLDS_PER_THREAD;
    qsort(all, n, sizeof(all[0]), cmp_str);
    for (size_t i = 1; i < n; i++)
        assert_string_not_equal(all[i - 1], all[i]);
    assert_int_equal(files_in(e->store), n);

    sqlite3 *db = db_open(e);
    assert_int_equal(db_int(db, "SELECT count(*) FROM records"), n);
    assert_int_equal(db_int(db, "SELECT count(*) FROM recipients"), 3 * n);
    assert_int_equal(db_int(db, "SELECT count(*) FROM findings"), 2 * n);
    assert_int_equal(db_int(db, "SELECT count(*) FROM audit"), n);
    sqlite3_close(db);
    for (size_t i = 0; i < n; i++)
        free(all[i]);
}

/* ------------------------------------------------------------ status */

static const struct {
    enum sg_store_status from, to;
    int result;
    const char *error; /* NULL on success; "@": the record id */
} transitions[] = {
    {SG_QSTATUS_HELD, SG_QSTATUS_RELEASED, 0, NULL},
    /* the second release is refused, and says why */
    {SG_QSTATUS_HELD, SG_QSTATUS_RELEASED, SG_STORE_WRONG_STATUS,
     "quarantine record @ is released, not held"},
    {SG_QSTATUS_HELD, SG_QSTATUS_REJECTED, SG_STORE_WRONG_STATUS,
     "quarantine record @ is released, not held"},
    {SG_QSTATUS_RELEASED, SG_QSTATUS_RELEASED, -1, "is no change"},
    {SG_QSTATUS_ESCALATED, SG_QSTATUS_RELEASED, SG_STORE_WRONG_STATUS,
     "is released, not escalated"},
};

static void
test_set_status(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    char *id = NULL, *other = NULL;
    struct sg_hold h = a_hold();
    time_t before = time(NULL);
    assert_int_equal(sg_store_hold(e->q, &h, &id, &error), 0);
    assert_int_equal(sg_store_hold(e->q, &h, &other, &error), 0);

    for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]);
         i++) {
        char want[256];
        error = NULL;
        int r = sg_store_set_status(e->q, id, transitions[i].from,
                                    transitions[i].to, "dsl.khan",
                                    "198.51.100.7", "Checked: fine", &error);
        if (r != transitions[i].result)
            fail_msg("case %zu: %d, not %d (%s)", i, r,
                     transitions[i].result, error != NULL ? error : "");
        if (transitions[i].error != NULL) {
            expand(want, sizeof(want), transitions[i].error, id);
            assert_non_null(strstr(error, want));
        }
    }
    assert_int_equal(sg_store_set_status(e->q, "SG-20000101-000000",
                                         SG_QSTATUS_HELD, SG_QSTATUS_RELEASED,
                                         "dsl.khan", NULL, NULL, &error),
                     SG_STORE_NOT_FOUND);
    assert_non_null(strstr(error, "no quarantine record SG-20000101-000000"));
    assert_int_equal(sg_store_set_status(e->q, id, SG_QSTATUS_HELD,
                                         SG_QSTATUS_RELEASED, NULL, NULL, NULL,
                                         &error),
                     -1);

    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(e->q, id, &r, &error), 0);
    assert_int_equal(r->status, SG_QSTATUS_RELEASED);
    assert_string_equal(r->queue_id, "4F2A31C0D2");
    assert_true(r->status_changed >= before);
    sg_store_record_free(&r);
    /* the other record is untouched; it can be escalated, then rejected */
    assert_int_equal(sg_store_set_status(e->q, other, SG_QSTATUS_HELD,
                                         SG_QSTATUS_ESCALATED, "dsl.khan", NULL,
                                         "to the head", &error),
                     0);
    assert_int_equal(sg_store_set_status(e->q, other, SG_QSTATUS_ESCALATED,
                                         SG_QSTATUS_REJECTED, "head", NULL,
                                         NULL, &error),
                     0);

    /* exactly one decision is audited for the first record */
    sqlite3 *db = db_open(e);
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT actor, client, action, note"
                                        " FROM audit WHERE record_id = ?1"
                                        " ORDER BY id",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 2), "held");
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "dsl.khan");
    assert_string_equal((const char *)sqlite3_column_text(s, 1),
                        "198.51.100.7");
    assert_string_equal((const char *)sqlite3_column_text(s, 2), "released");
    assert_string_equal((const char *)sqlite3_column_text(s, 3),
                        "Checked: fine");
    assert_int_equal(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    assert_int_equal(db_int(db, "SELECT count(*) FROM audit"), 2 + 1 + 2);
    sqlite3_close(db);
    free(id);
    free(other);
}

static void
test_status_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum sg_store_status status;
    } names[] = {
        {"held", SG_QSTATUS_HELD},         {"released", SG_QSTATUS_RELEASED},
        {"rejected", SG_QSTATUS_REJECTED}, {"expired", SG_QSTATUS_EXPIRED},
        {"escalated", SG_QSTATUS_ESCALATED}, {"lost", SG_QSTATUS_LOST},
        {"refused", SG_QSTATUS_REFUSED},     {"delivered", SG_QSTATUS_DELIVERED},
        {"archived", SG_QSTATUS_ARCHIVED},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        enum sg_store_status s;
        assert_int_equal(sg_store_status_parse(names[i].name, &s), 0);
        assert_int_equal(s, names[i].status);
        assert_string_equal(sg_store_status_name(s), names[i].name);
    }
    enum sg_store_status s;
    assert_int_equal(sg_store_status_parse("Held", &s), -1);
    assert_int_equal(sg_store_status_parse(NULL, &s), -1);
    assert_string_equal(sg_store_status_name((enum sg_store_status)99), "?");
}

/* A message a rule that notifies the DSL refused or delivered: a record
 * with no copy, decided from the start, never waiting, purged by
 * retention, and no decision can be made on it. */
static void
test_unheld_records(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    struct sg_hold h = a_hold();
    h.data = NULL; /* not read: no copy is kept */
    h.fd = -1;
    h.status = SG_QSTATUS_REFUSED;
    char *id = NULL;
    assert_int_equal(sg_store_hold(e->q, &h, &id, &error), 0);
    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(e->q, id, &r, &error), 0);
    assert_int_equal(r->status, SG_QSTATUS_REFUSED);
    assert_null(r->message_path);
    assert_int_equal(r->message_size, 0);
    sg_store_record_free(&r);
    /* its rules and findings are kept as a hold's */
    struct sg_store_finding *f = NULL;
    size_t n = 0;
    assert_int_equal(sg_store_findings(e->q, id, &f, &n, &error), 0);
    assert_true(n > 0);
    sg_store_findings_free(&f, &n);
    /* the audit says what became of it */
    struct sg_store_audit_row *rows = NULL;
    assert_int_equal(sg_store_audit_rows(e->q, id, NULL, 0, &rows, &n, &error),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].action, "refused");
    sg_store_audit_rows_free(&rows, &n);
    /* nothing waits, so nothing is reconciled or decided */
    char **ids = NULL;
    assert_int_equal(sg_store_waiting_ids(e->q, HOLD_TIME + 86400, &ids, &n,
                                          &error),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(sg_store_set_status(e->q, id, SG_QSTATUS_HELD,
                                         SG_QSTATUS_RELEASED, "alice", NULL,
                                         NULL, &error),
                     SG_STORE_WRONG_STATUS);
    assert_non_null(strstr(error, "is refused"));
    assert_int_equal(sg_store_audit(e->q, id, "alice", NULL, "note",
                                    "spoke to the teacher", &error),
                     0);
    /* listed by its status */
    struct sg_store_item *items = NULL;
    struct sg_store_filter fl = {.status = SG_QSTATUS_REFUSED};
    assert_int_equal(sg_store_list(e->q, &fl, &items, &n, &error), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].id, id);
    sg_store_items_free(&items, &n);
    fl = (struct sg_store_filter){.waiting = true};
    assert_int_equal(sg_store_list(e->q, &fl, &items, &n, &error), 0);
    assert_int_equal(n, 0);
    sg_store_items_free(&items, &n);
    /* an archived one beside it; both go with retention */
    char *id2 = NULL;
    h.status = SG_QSTATUS_ARCHIVED;
    assert_int_equal(sg_store_hold(e->q, &h, &id2, &error), 0);
    char **paths = NULL;
    assert_int_equal(sg_store_decided_before(e->q, time(NULL) + 1, &ids,
                                             &paths, &n, &error),
                     0);
    assert_int_equal(n, 2);
    assert_string_equal(paths[0], "");
    sg_strv_free(&ids, &n);
    n = 2;
    sg_strv_free(&paths, &n);
    assert_int_equal(sg_store_delete_decided(e->q, id, time(NULL) + 1, &error),
                     1);
    assert_int_equal(sg_store_delete_decided(e->q, id2, time(NULL) + 1,
                                             &error),
                     1);
    /* a new record's status is one of these or held */
    h.status = SG_QSTATUS_RELEASED;
    char *bad = NULL;
    assert_int_equal(sg_store_hold(e->q, &h, &bad, &error), -1);
    assert_null(bad);
    free(id);
    free(id2);
}

/* The record's status for each verdict the filter applies. */
static void
test_status_of_verdict(void **state)
{
    (void)state;
    struct sg_verdict v = {.action = SG_ACTION_HOLD, .journal = true};
    assert_int_equal(sg_store_status_of_verdict(&v), SG_QSTATUS_HELD);
    v.action = SG_ACTION_REJECT;
    assert_int_equal(sg_store_status_of_verdict(&v), SG_QSTATUS_REFUSED);
    v.action = SG_ACTION_ANNOTATE;
    assert_int_equal(sg_store_status_of_verdict(&v), SG_QSTATUS_ARCHIVED);
    v.journal = false;
    assert_int_equal(sg_store_status_of_verdict(&v), SG_QSTATUS_DELIVERED);
    v.action = SG_ACTION_JOURNAL;
    assert_int_equal(sg_store_status_of_verdict(&v), SG_QSTATUS_ARCHIVED);
    assert_true(sg_store_status_unheld(SG_QSTATUS_REFUSED));
    assert_false(sg_store_status_unheld(SG_QSTATUS_HELD));
    assert_false(sg_store_status_unheld(SG_QSTATUS_LOST));
    assert_string_equal(sg_store_status_title(SG_QSTATUS_REFUSED),
                        "refused when sent");
    assert_string_equal(sg_store_status_title(SG_QSTATUS_ARCHIVED),
                        "delivered, with an archive copy");
}

/* ------------------------------------------------------------ audit */

static void
test_audit_append_only(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    char *id = NULL;
    struct sg_hold h = a_hold();
    assert_int_equal(sg_store_hold(e->q, &h, &id, &error), 0);
    assert_int_equal(sg_store_audit(e->q, id, "dsl.khan", "198.51.100.7",
                                    "note", "Spoke to Mr Smith", &error),
                     0);
    assert_int_equal(
        sg_store_audit(e->q, NULL, "dsl.khan", NULL, "login", NULL, &error), 0);
    assert_int_equal(
        sg_store_audit(e->q, id, "dsl.khan", NULL, "", NULL, &error), -1);

    static const char *const tampering[] = {
        "UPDATE audit SET note = 'nothing to see'",
        "UPDATE audit SET actor = 'someone else' WHERE action = 'held'",
        "DELETE FROM audit",
        "DELETE FROM audit WHERE action = 'login'",
    };
    sqlite3 *db = db_open(e);
    for (size_t i = 0; i < sizeof(tampering) / sizeof(tampering[0]); i++) {
        assert_int_not_equal(sqlite3_exec(db, tampering[i], NULL, NULL, NULL),
                             SQLITE_OK);
        assert_string_equal(sqlite3_errmsg(db),
                            "the audit table is append-only");
    }
    assert_int_equal(db_int(db, "SELECT count(*) FROM audit"), 3);
    assert_int_equal(db_int(db, "SELECT count(*) FROM audit WHERE note ="
                                " 'nothing to see'"),
                     0);

    /* Retention deletes a record and its rows, and keeps its history. */
    db_exec(db, "PRAGMA foreign_keys = ON");
    db_exec(db, "DELETE FROM records");
    assert_int_equal(db_int(db, "SELECT (SELECT count(*) FROM recipients)"
                                " + (SELECT count(*) FROM rules)"
                                " + (SELECT count(*) FROM findings)"),
                     0);
    assert_int_equal(db_int(db, "SELECT count(*) FROM audit"), 3);
    sqlite3_close(db);
    free(id);
}

/* ------------------------------------------------------------ migrations */

/* The store opens every schema the project has shipped: a database made
 * in version 1's and version 2's schema, with rows as those versions
 * wrote them (tests/unit/data/store/), is upgraded at open to the current
 * version, its rows read back through the store as before, and it can be
 * written.  A database newer than the code is refused and left alone. */

#define MIG_HELD     "SG-20261101-0A0B0C"
#define MIG_RELEASED "SG-20261102-1A2B3C"
#define MIG_LOST     "SG-20261102-2C3D4E"

/* Make e->db from a fixture's SQL, as the old version left it. */
static void
make_db(struct env *e, const char *fixture)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/store-%s.sql", SG_TEST_DATA, fixture);
    size_t len = 0;
    char *sql = slurp(path, &len);
    sql[len] = '\0'; /* slurp leaves room for it */
    sqlite3 *db = NULL;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(e->db, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", path, msg);
    sqlite3_close(db);
    free(sql);
}

/* One number from the database, on a connection of its own. */
static long long
db_value(const struct env *e, const char *sql)
{
    return sg_test_db_int(e->db, sql, NULL);
}
static void
assert_current(struct env *e)
{
    assert_int_equal(db_value(e, "SELECT max(version) FROM schema_version"),
                     SG_STORE_SCHEMA_VERSION);
    assert_int_equal(db_value(e, "PRAGMA user_version"),
                     SG_STORE_SCHEMA_VERSION);
    assert_int_equal(
        db_value(e, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
}

/* What every shipped version has: the held record and its rows, and the
 * released one, read through the store. */
static void
check_common_rows(struct env *e)
{
    const char *err = NULL;
    struct sg_store_record *rec = NULL;
    assert_int_equal(sg_store_get(e->q, MIG_HELD, &rec, &err), 0);
    assert_string_equal(rec->queue_id, "4V1AAA1");
    assert_string_equal(rec->env_from, "j.smith@school.example");
    assert_string_equal(rec->subject, "Call me");
    assert_string_equal(rec->auth_user, "j.smith");
    assert_int_equal(rec->status, SG_QSTATUS_HELD);
    assert_int_equal(rec->created, 1793534400);
    assert_int_equal(rec->message_size, 120);
    assert_string_equal(rec->explain_dsl, "Mr Smith sent Amy a mobile number.");
    sg_store_record_free(&rec);
    assert_int_equal(sg_store_get(e->q, MIG_RELEASED, &rec, &err), 0);
    assert_int_equal(rec->status, SG_QSTATUS_RELEASED);
    assert_null(rec->subject);
    assert_null(rec->message_path);
    assert_true(rec->trusted);
    sg_store_record_free(&rec);

    struct sg_store_rcpt *rows = NULL;
    struct sg_store_rule *rules = NULL;
    struct sg_store_finding *findings = NULL;
    struct sg_store_audit_row *audit = NULL;
    size_t n = 0;
    assert_int_equal(sg_store_rcpts(e->q, MIG_HELD, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[1].address, "someone@elsewhere.example");
    assert_string_equal(rows[1].roles, "external");
    sg_store_rcpts_free(&rows, &n);
    assert_int_equal(sg_store_rules(e->q, MIG_HELD, &rules, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rules[0].id, "personal-contact");
    assert_string_equal(rules[1].mode, "test");
    sg_store_rules_free(&rules, &n);
    assert_int_equal(sg_store_findings(e->q, MIG_HELD, &findings, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(findings[0].text, "07700 900123");
    sg_store_findings_free(&findings, &n);
    assert_int_equal(
        sg_store_audit_rows(e->q, MIG_RELEASED, NULL, 0, &audit, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(audit[1].action, "released");
    assert_string_equal(audit[1].note, "A parents' evening reminder.");
    sg_store_audit_rows_free(&audit, &n);
}

/* The upgraded store takes what the current version writes. */
static void
check_writable(struct env *e)
{
    const char *err = NULL;
    assert_int_equal(sg_store_set_status(e->q, MIG_HELD, SG_QSTATUS_HELD,
                                         SG_QSTATUS_LOST, "test", NULL,
                                         "not kept", &err),
                     0);
    struct sg_rule_match m = {
        .id = "r",
        .mode = SG_MODE_ENFORCE,
        .action = SG_ACTION_HOLD,
    };
    struct sg_verdict v = {.action = SG_ACTION_HOLD, .rules = &m, .n_rules = 1};
    struct sg_hold h = {
        .queue_id = "4NEW1",
        .time = 1795348800,
        .env_from = "a@school.example",
        .verdict = &v,
        .data = "Subject: x\r\n\r\nx\r\n",
        .len = 17,
        .fd = -1,
    };
    char *id = NULL;
    if (sg_store_hold(e->q, &h, &id, &err) != 0)
        fail_msg("hold: %s", err);
    struct sg_store_record *rec = NULL;
    assert_int_equal(sg_store_get(e->q, id, &rec, &err), 0);
    assert_int_equal(rec->queue_seen, 0);
    sg_store_record_free(&rec);
    free(id);
}

/* Open it again: nothing more to do, and nothing done. */
static void
reopen_is_quiet(struct env *e)
{
    long long rows = db_value(e, "SELECT count(*) FROM schema_version");
    const char *err = NULL;
    sg_store_close(&e->q);
    if (sg_store_open(e->db, e->store, &e->q, &err) != 0)
        fail_msg("reopen: %s", err);
    assert_int_equal(db_value(e, "SELECT count(*) FROM schema_version"), rows);
    assert_current(e);
}

/* ------------------------------------------------------------ tests */

/* Open the fixture of version v with the current code: upgraded, and
 * every row there as before. */
static void
open_fixture(struct env *e, const char *v)
{
    const char *err = NULL;
    make_db(e, v);
    if (sg_store_open(e->db, e->store, &e->q, &err) != 0)
        fail_msg("open %s: %s", v, err);
    assert_current(e);
    check_common_rows(e);
}

/* A record's queue_seen (0: never), and its status. */
static time_t
seen_of(struct env *e, const char *id, enum sg_store_status *status_r)
{
    struct sg_store_record *rec = NULL;
    const char *err = NULL;
    assert_int_equal(sg_store_get(e->q, id, &rec, &err), 0);
    time_t seen = rec->queue_seen;
    *status_r = rec->status;
    assert_int_equal(rec->created, strcmp(id, MIG_HELD) == 0   ? 1793534400
                                   : strcmp(id, MIG_LOST) == 0 ? 1793624400
                                                               : 1793620800);
    sg_store_record_free(&rec);
    return seen;
}

static struct sg_store_item *
list_of(struct env *e, struct sg_store_filter f, size_t *n_r)
{
    struct sg_store_item *items = NULL;
    const char *err = NULL;
    assert_int_equal(sg_store_list(e->q, &f, &items, n_r, &err), 0);
    return items;
}

static void
test_migrate_from_v1(void **state)
{
    struct env *e = *state;
    enum sg_store_status st;
    open_fixture(e, "v1");
    /* version 1 had no queue_seen: its records count as seen when made */
    assert_int_equal(seen_of(e, MIG_HELD, &st), 1793534400);
    size_t n = 0;
    struct sg_store_item *items =
        list_of(e, (struct sg_store_filter){.any_status = true}, &n);
    assert_int_equal(n, 2);
    assert_string_equal(items[0].id, MIG_RELEASED); /* newest first */
    assert_string_equal(items[1].rules, "personal-contact,late-night");
    sg_store_items_free(&items, &n);
    check_writable(e);
    reopen_is_quiet(e);
}

static void
test_migrate_from_v2(void **state)
{
    struct env *e = *state;
    enum sg_store_status st;
    open_fixture(e, "v2");
    assert_int_equal(seen_of(e, MIG_HELD, &st), 1793534700);
    assert_int_equal(seen_of(e, MIG_LOST, &st), 0);
    assert_int_equal(st, SG_QSTATUS_LOST);
    size_t n = 0;
    struct sg_store_item *items =
        list_of(e, (struct sg_store_filter){.status = SG_QSTATUS_LOST}, &n);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].recipients,
                        "amy.pupil@school.example (pupil)");
    sg_store_items_free(&items, &n);
    check_writable(e);
    reopen_is_quiet(e);
}

/* Version 3 (version 2's tables and the schema_version table, as its
 * migration left them, made here from the version 2 fixture): the outbox
 * comes in, empty, and the old rows read as before. */
static void
test_migrate_from_v3(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    enum sg_store_status st;
    make_db(e, "v2");
    sqlite3 *db = db_open(e);
    db_exec(db, "BEGIN; CREATE TABLE schema_version ("
                " version INTEGER PRIMARY KEY NOT NULL,"
                " applied INTEGER NOT NULL);"
                "INSERT INTO schema_version VALUES (3, 1793700000);"
                "PRAGMA user_version = 3; COMMIT;");
    sqlite3_close(db);
    if (sg_store_open(e->db, e->store, &e->q, &err) != 0)
        fail_msg("open v3: %s", err);
    assert_current(e);
    check_common_rows(e);
    assert_int_equal(seen_of(e, MIG_LOST, &st), 0);
    assert_int_equal(st, SG_QSTATUS_LOST);
    assert_int_equal(db_value(e, "SELECT count(*) FROM outbox"), 0);
    assert_int_equal(db_value(e, "SELECT count(*) FROM schema_version"),
                     SG_STORE_SCHEMA_VERSION - 2);
    check_writable(e);
    reopen_is_quiet(e);
}

/* A new database goes the same way: version 1, then every step. */
static void
test_migrate_new_database(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    if (sg_store_open(e->db, e->store, &e->q, &err) != 0)
        fail_msg("open: %s", err);
    assert_current(e);
    assert_int_equal(db_value(e, "SELECT count(*) FROM schema_version"),
                     SG_STORE_SCHEMA_VERSION - 2);
    assert_int_equal(db_value(e, "SELECT count(*) FROM pragma_table_info("
                                 "'records') WHERE name = 'queue_seen'"),
                     1);
    reopen_is_quiet(e);
}

/* A version this code does not know, in the table or in user_version, is
 * refused, says so, and is left as it was. */
static void
test_migrate_newer_refused(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    char want[96];
    snprintf(want, sizeof(want), "has schema version 99, newer than the %d",
             SG_STORE_SCHEMA_VERSION);
    assert_int_equal(sg_store_open(e->db, e->store, &e->q, &err), 0);
    sg_store_close(&e->q);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(e->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO schema_version VALUES (99, 0)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sg_store_open(e->db, e->store, &e->q, &err), -1);
    assert_null(e->q);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, e->db));
    assert_int_equal(db_value(e, "SELECT max(version) FROM schema_version"),
                     99);
    assert_int_equal(db_value(e, "PRAGMA user_version"),
                     SG_STORE_SCHEMA_VERSION);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_foreign_database_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_v2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_from_v3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_new_database, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrate_newer_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_writes_copy_and_rows,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_hold_nulls, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_memory_and_fd_same_copy,
                                        setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_id_collisions, setup_open,
                                        teardown),
        cmocka_unit_test(test_failure_leaves_nothing),
        cmocka_unit_test_setup_teardown(test_concurrent_holds, setup_open,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set_status, setup_open, teardown),
        cmocka_unit_test_setup_teardown(test_unheld_records, setup_open,
                                        teardown),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_status_of_verdict),
        cmocka_unit_test_setup_teardown(test_audit_append_only, setup_open,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
