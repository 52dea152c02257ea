/*
 * test_store_sql.c - the record store through its front only, so that it
 * runs on each database: on SQLite here, and on PostgreSQL when
 * SG_TEST_STORE says so (tests/integration/test_store_pg_unit.sh).
 *
 *   a status change is a compare-and-set: the second of two decisions
 *   is told the record's status, and only the first is audited;
 *   two decisions at once, from two stores (two mail servers, or the
 *   page and the tool), on one record: one wins, the other is told;
 *   the review lock taken through one store is taken for another;
 *   a record and its list item read back as written;
 *   the message copy reads back through the store, and on PostgreSQL
 *   from the database: still there when this host's file is gone;
 *   a record's school (a trust's) is kept, names its audit rows, and
 *   picks a school's records from a list (never those of no school);
 *   a list paged by key (after a row, or before one) gives the rows
 *   the whole list gives, in its order, each once, with the status and
 *   school filters, oldest or newest first, ties of time broken by id;
 *   the waiting (held and escalated) in one order;
 *   a hold whose audit row the database refuses, after its record,
 *   recipients, rules, findings and copy were sent (on PostgreSQL in
 *   one pipeline), leaves none of them and no copy file, and the store
 *   holds the next message on the same connection; on PostgreSQL a
 *   record id found taken at the commit is tried again with another,
 *   and a hold commits with synchronous_commit on (the tests' server
 *   has it off).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "review_fixture.h"
#include "store.h"
#include "store_util.h"

#define WHEN 1764000000

#define setup    review_fixture_new
#define teardown review_fixture_free

/* A second store on the same database, as another host would open it. */
static struct sg_store *
second_store(struct review_fixture *e)
{
    struct sg_store *q = NULL;
    const char *error = NULL;
    if (sg_store_open(e->db, e->store, &q, &error) < 0)
        fail_msg("%s", error);
    return q;
}

static void
test_status_cas(void **state)
{
    struct review_fixture *e = *state;
    char *id = review_fixture_hold(e, "QA1", "j.smith@school.example", NULL,
                                   WHEN, true);
    const char *error = NULL;
    assert_int_equal(sg_store_set_status(e->q, id, SG_QSTATUS_HELD,
                                         SG_QSTATUS_RELEASED, "dsl", NULL, "ok",
                                         &error),
                     0);
    error = NULL;
    assert_int_equal(sg_store_set_status(e->q, id, SG_QSTATUS_HELD,
                                         SG_QSTATUS_REJECTED, "dsl2", NULL,
                                         "no", &error),
                     SG_STORE_WRONG_STATUS);
    assert_non_null(strstr(error, "is released, not held"));
    assert_int_equal(sg_store_set_status(e->q, "SG-20990101-000000",
                                         SG_QSTATUS_HELD, SG_QSTATUS_REJECTED,
                                         "dsl", NULL, NULL, &error),
                     SG_STORE_NOT_FOUND);
    assert_int_equal(review_fixture_audited(e, id, "released"), 1);
    assert_int_equal(review_fixture_audited(e, id, "rejected"), 0);
    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(e->q, id, &r, &error), 0);
    assert_int_equal(r->status, SG_QSTATUS_RELEASED);
    sg_store_record_free(&r);
    free(id);
}

struct racer {
    struct sg_store *q;
    const char *id;
    enum sg_store_status to;
    pthread_barrier_t *go;
    int rc;
};

static void *
race(void *arg)
{
    struct racer *r = arg;
    const char *error = NULL;
    pthread_barrier_wait(r->go);
    r->rc = sg_store_set_status(r->q, r->id, SG_QSTATUS_HELD, r->to, "dsl",
                                NULL, NULL, &error);
    return NULL;
}

static void
test_concurrent_decisions(void **state)
{
    struct review_fixture *e = *state;
    struct sg_store *other = second_store(e);
    for (int round = 0; round < 8; round++) {
        char qid[16];
        snprintf(qid, sizeof(qid), "QC%d", round);
        char *id = review_fixture_hold(e, qid, "j.smith@school.example", NULL,
                                       WHEN + round, false);
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, 2);
        struct racer a = {e->q, id, SG_QSTATUS_RELEASED, &go, -1};
        struct racer b = {other, id, SG_QSTATUS_REJECTED, &go, -1};
        pthread_t ta, tb;
        assert_int_equal(pthread_create(&ta, NULL, race, &a), 0);
        assert_int_equal(pthread_create(&tb, NULL, race, &b), 0);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        pthread_barrier_destroy(&go);
        /* one wins, the other is told */
        if (!((a.rc == 0 && b.rc == SG_STORE_WRONG_STATUS) ||
              (b.rc == 0 && a.rc == SG_STORE_WRONG_STATUS)))
            fail_msg("round %d: %d and %d", round, a.rc, b.rc);
        assert_int_equal(
            review_fixture_audited(e, id, "released") + review_fixture_audited(e, id, "rejected"), 1);
        free(id);
    }
    sg_store_close(&other);
}

static void
test_lock_across_stores(void **state)
{
    struct review_fixture *e = *state;
    struct sg_store *other = second_store(e);
    int fd = -1, fd2 = -1;
    const char *error = NULL;
    assert_int_equal(sg_store_lock(e->q, true, &fd, &error), 0);
    assert_int_equal(sg_store_lock(other, false, &fd2, &error), SG_STORE_BUSY);
    sg_store_unlock(fd);
    assert_int_equal(sg_store_lock(other, false, &fd2, &error), 0);
    assert_int_equal(sg_store_lock(e->q, false, &fd, &error), SG_STORE_BUSY);
    sg_store_unlock(fd2);
    sg_store_close(&other);
}

static void
test_read_back(void **state)
{
    struct review_fixture *e = *state;
    char *id = review_fixture_hold(e, "QR1", "j.smith@school.example", "Hello",
                                   WHEN, true);
    const char *error = NULL;
    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(e->q, id, &r, &error), 0);
    assert_string_equal(r->queue_id, "QR1");
    assert_string_equal(r->env_from, "j.smith@school.example");
    assert_string_equal(r->subject, "Hello");
    assert_int_equal(r->created, WHEN);
    assert_int_equal(r->status, SG_QSTATUS_HELD);
    sg_store_record_free(&r);

    struct sg_store_filter f = {.waiting = true, .limit = 10};
    struct sg_store_item *items = NULL;
    size_t n = 0;
    assert_int_equal(sg_store_list(e->q, &f, &items, &n, &error), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].id, id);
    /* the rules in order, joined as the review page shows them */
    assert_non_null(strchr(items[0].rules, ','));
    assert_non_null(strchr(items[0].rule_titles, '\n'));
    assert_non_null(strstr(items[0].recipients, " ("));
    sg_store_items_free(&items, &n);
    f.sender = "SMITH@";
    assert_int_equal(sg_store_list(e->q, &f, &items, &n, &error), 0);
    assert_int_equal(n, 1);
    sg_store_items_free(&items, &n);
    f.sender = "nobody";
    assert_int_equal(sg_store_list(e->q, &f, &items, &n, &error), 0);
    assert_int_equal(n, 0);
    sg_store_items_free(&items, &n);
    free(id);
}

/* The items a list of school's gives, their ids joined by spaces. */
static void
list_school(struct review_fixture *e, const char *school, char *out,
            size_t size)
{
    struct sg_store_filter f = {
        .any_status = true, .oldest_first = true, .school = school};
    struct sg_store_item *items = NULL;
    size_t n = 0;
    const char *error = NULL;
    if (sg_store_list(e->q, &f, &items, &n, &error) < 0)
        fail_msg("%s", error);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s:%s",
                 i > 0 ? " " : "", items[i].queue_id, items[i].school);
    sg_store_items_free(&items, &n);
}

static void
test_school(void **state)
{
    struct review_fixture *e = *state;
    char *none =
        review_fixture_hold(e, "QS0", "a@school.example", NULL, WHEN, false);
    e->school = "northfield";
    char *north = review_fixture_hold(e, "QS1", "a@school.example", NULL,
                                      WHEN + 1, false);
    e->school = "southfield";
    char *south = review_fixture_hold(e, "QS2", "a@school.example", NULL,
                                      WHEN + 2, false);
    e->school = NULL;
    const char *error = NULL;
    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(e->q, north, &r, &error), 0);
    assert_string_equal(r->school, "northfield");
    sg_store_record_free(&r);
    assert_int_equal(sg_store_get(e->q, none, &r, &error), 0);
    assert_null(r->school);
    sg_store_record_free(&r);

    char got[256];
    list_school(e, NULL, got, sizeof(got));
    assert_string_equal(got, "QS0: QS1:northfield QS2:southfield");
    list_school(e, "southfield", got, sizeof(got));
    assert_string_equal(got, "QS2:southfield");
    list_school(e, "eastfield", got, sizeof(got));
    assert_string_equal(got, "");

    /* the audit rows name the school: the hold's, a decision's, a note's */
    assert_int_equal(sg_store_set_status(e->q, south, SG_QSTATUS_HELD,
                                         SG_QSTATUS_REJECTED, "jones", NULL,
                                         NULL, &error),
                     0);
    assert_int_equal(
        sg_store_audit(e->q, south, "jones", NULL, "note", "seen", &error), 0);
    assert_int_equal(sg_test_db_int(e->db,
                                    "SELECT count(*) FROM audit WHERE"
                                    " record_id = ?1 AND school = 'southfield'",
                                    south),
                     3);
    assert_int_equal(sg_test_db_int(e->db,
                                    "SELECT count(*) FROM audit WHERE"
                                    " record_id = ?1 AND school IS NULL",
                                    none),
                     1);
    free(none);
    free(north);
    free(south);
}

/* The queue ids of the list f gives, joined by spaces. */
static void
list_ids(struct review_fixture *e, const struct sg_store_filter *f, char *out,
         size_t size)
{
    struct sg_store_item *items = NULL;
    size_t n = 0;
    const char *error = NULL;
    if (sg_store_list(e->q, f, &items, &n, &error) < 0)
        fail_msg("%s", error);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s",
                 *out != '\0' ? " " : "", items[i].queue_id);
    sg_store_items_free(&items, &n);
}

/* f's list walked by key, pages of two: forwards from the first row,
 * each page after the last row of the one before, or (backwards)
 * backwards from the end, each page before the first row of the one
 * after, the pages put back in order.  The ids joined by spaces. */
static void
walk(struct review_fixture *e, struct sg_store_filter f, bool backwards,
     char *out, size_t size)
{
    char pages[16][256];
    size_t n_pages = 0;
    char cursor_id[64] = "";
    f.limit = 2;
    f.before = backwards;
    if (backwards) { /* the end: before a row past every other */
        f.cursor_created = f.oldest_first ? WHEN + 1000 : 0;
        snprintf(cursor_id, sizeof(cursor_id), "%s",
                 f.oldest_first ? "~" : "");
        f.cursor_id = cursor_id;
    }
    for (;;) {
        struct sg_store_item *items = NULL;
        size_t n = 0;
        const char *error = NULL;
        if (sg_store_list(e->q, &f, &items, &n, &error) < 0)
            fail_msg("%s", error);
        assert_true(n <= 2 && n_pages < 16);
        if (n == 0)
            break;
        char *p = pages[n_pages++];
        *p = '\0';
        for (size_t i = 0; i < n; i++)
            snprintf(p + strlen(p), 256 - strlen(p), "%s%s", i ? " " : "",
                     items[i].queue_id);
        const struct sg_store_item *next = &items[backwards ? 0 : n - 1];
        f.cursor_created = next->created;
        snprintf(cursor_id, sizeof(cursor_id), "%s", next->id);
        f.cursor_id = cursor_id;
        sg_store_items_free(&items, &n);
    }
    out[0] = '\0';
    for (size_t i = 0; i < n_pages; i++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s",
                 *out != '\0' ? " " : "",
                 pages[backwards ? n_pages - 1 - i : i]);
}

static void
test_keyset_pages(void **state)
{
    struct review_fixture *e = *state;
    /* seven records, three at one time (the id breaks the tie), in two
     * schools, one decided */
    static const struct {
        const char *qid, *school;
        int at;
    } holds[] = {
        {"QK1", "northfield", 0}, {"QK2", "southfield", 10},
        {"QK3", "northfield", 10}, {"QK4", "northfield", 10},
        {"QK5", "southfield", 20}, {"QK6", "northfield", 30},
        {"QK7", "northfield", 40},
    };
    char *ids[7];
    for (size_t i = 0; i < 7; i++) {
        e->school = holds[i].school;
        ids[i] = review_fixture_hold(e, holds[i].qid, "a@school.example",
                                     NULL, WHEN + holds[i].at, false);
    }
    e->school = NULL;
    const char *error = NULL;
    assert_int_equal(sg_store_set_status(e->q, ids[5], SG_QSTATUS_HELD,
                                         SG_QSTATUS_RELEASED, "jones", NULL,
                                         NULL, &error),
                     0);
    /* one escalated: the waiting are held and escalated, merged */
    assert_int_equal(sg_store_set_status(e->q, ids[3], SG_QSTATUS_HELD,
                                         SG_QSTATUS_ESCALATED, "jones", NULL,
                                         NULL, &error),
                     0);
    char whole[256], forwards[256], backwards[256];
    struct sg_store_filter filters[] = {
        {.any_status = true, .oldest_first = true},
        {.any_status = true},
        {.waiting = true, .oldest_first = true},
        {.waiting = true, .oldest_first = true, .school = "northfield"},
        {.waiting = true, .school = "northfield"},
        {.status = SG_QSTATUS_RELEASED},
        {.status = SG_QSTATUS_ESCALATED, .oldest_first = true},
        {.waiting = true},
    };
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++) {
        list_ids(e, &filters[i], whole, sizeof(whole));
        walk(e, filters[i], false, forwards, sizeof(forwards));
        walk(e, filters[i], true, backwards, sizeof(backwards));
        assert_string_equal(forwards, whole);
        assert_string_equal(backwards, whole);
    }
    list_ids(e, &filters[3], whole, sizeof(whole));
    /* the tie broken by id (random: an order of its own) */
    assert_string_equal(whole, strcmp(ids[2], ids[3]) < 0 ? "QK1 QK3 QK4 QK7"
                                                          : "QK1 QK4 QK3 QK7");

    /* a page from the middle: after QK3 and before QK7 */
    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(e->q, ids[2], &r, &error), 0);
    struct sg_store_filter f = {.any_status = true,
                                .oldest_first = true,
                                .limit = 3,
                                .cursor_id = r->id,
                                .cursor_created = r->created};
    list_ids(e, &f, whole, sizeof(whole));
    sg_store_record_free(&r);
    /* after QK3: the three after it in the whole list */
    char all[256];
    list_ids(e, &filters[0], all, sizeof(all));
    const char *after = strstr(all, "QK3 ") + 4;
    assert_int_equal(strncmp(whole, after, 11), 0);
    assert_int_equal(strlen(whole), 11);
    assert_int_equal(sg_store_get(e->q, ids[6], &r, &error), 0);
    f.cursor_id = r->id;
    f.cursor_created = r->created;
    f.before = true;
    f.limit = 2;
    list_ids(e, &f, whole, sizeof(whole));
    assert_string_equal(whole, "QK5 QK6");
    sg_store_record_free(&r);
    for (size_t i = 0; i < 7; i++)
        free(ids[i]);
}

/* All of fd, from offset 0. */
static char *
slurp(int fd, size_t *len_r)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    ssize_t got;
    while ((got = read(fd, buf + n, cap - n)) > 0) {
        n += (size_t)got;
        if (n == cap) {
            buf = realloc(buf, cap *= 2);
            assert_non_null(buf);
        }
    }
    assert_true(got == 0);
    *len_r = n;
    return buf;
}

static void
test_message_copy(void **state)
{
    struct review_fixture *e = *state;
    char *id = review_fixture_hold(e, "QM1", "j.smith@school.example", NULL,
                                   WHEN, false);
    const char *error = NULL;
    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(e->q, id, &r, &error), 0);
    int fd = -1;
    if (sg_store_message_fd(e->q, r, &fd, &error) < 0)
        fail_msg("%s", error);
    size_t len = 0;
    char *got = slurp(fd, &len);
    close(fd);
    assert_int_equal(len, strlen(review_fixture_message));
    assert_memory_equal(got, review_fixture_message, len);
    free(got);

    /* this host's file gone (another host reads the record) */
    assert_int_equal(unlink(r->message_path), 0);
    int rc = sg_store_message_fd(e->q, r, &fd, &error);
    if (sg_store_file(e->db) != NULL) {
        assert_int_equal(rc, SG_STORE_NOT_FOUND); /* SQLite: the file was it */
    } else {
        assert_int_equal(rc, 0);
        got = slurp(fd, &len);
        close(fd);
        assert_int_equal(len, strlen(review_fixture_message));
        assert_memory_equal(got, review_fixture_message, len);
        free(got);
    }
    sg_store_record_free(&r);
    free(id);
}

/* The rows of a hold, every table, and the copy files: one number. */
static long long
hold_rows(struct review_fixture *e)
{
    long long n = sg_test_db_int(
        e->db,
        "SELECT (SELECT count(*) FROM records) + (SELECT count(*) FROM"
        " recipients) + (SELECT count(*) FROM rules) + (SELECT count(*)"
        " FROM findings) + (SELECT count(*) FROM audit)",
        NULL);
    if (sg_store_file(e->db) == NULL)
        n += sg_test_db_int(e->db, "SELECT count(*) FROM copies", NULL);
    DIR *d = opendir(e->store);
    assert_non_null(d);
    for (struct dirent *de; (de = readdir(d)) != NULL;)
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

static void
test_hold_fails_whole(void **state)
{
    struct review_fixture *e = *state;
    bool lite = sg_store_file(e->db) != NULL;
    free(review_fixture_hold(e, "QF1", "j.smith@school.example", NULL, WHEN,
                             true));
    long long before = hold_rows(e);
    /* the audit row is the last of the record's rows: the others are
     * sent before it fails */
    sg_test_db_exec(
        e->db,
        lite ? "CREATE TRIGGER refuse_hold BEFORE INSERT ON audit"
               " WHEN NEW.action = 'held'"
               " BEGIN SELECT RAISE(ABORT, 'refused'); END;"
             : "CREATE FUNCTION refuse_hold() RETURNS trigger"
               " LANGUAGE plpgsql AS"
               " $$BEGIN RAISE EXCEPTION 'refused'; END$$;"
               "CREATE TRIGGER refuse_hold BEFORE INSERT ON audit"
               " FOR EACH ROW WHEN (NEW.action = 'held')"
               " EXECUTE FUNCTION refuse_hold();");
    char *id = NULL;
    const char *error = NULL;
    assert_int_equal(review_fixture_try_hold(e, "QF2", "j.smith@school.example",
                                             NULL, WHEN, NULL, 0, &id, &error),
                     -1);
    assert_null(id);
    assert_non_null(strstr(error, "refused"));
    assert_int_equal(hold_rows(e), before);

    /* the connection is whole again: the next hold is kept */
    sg_test_db_exec(e->db, lite ? "DROP TRIGGER refuse_hold"
                                : "DROP TRIGGER refuse_hold ON audit;"
                                  "DROP FUNCTION refuse_hold()");
    id = review_fixture_hold(e, "QF3", "j.smith@school.example", NULL, WHEN,
                             true);
    assert_true(hold_rows(e) > before);
    free(id);
    if (lite)
        return;

    /* the record's id taken, known only at the commit: another id; and
     * the hold commits with synchronous_commit on, though the tests'
     * server has it off */
    sg_test_db_exec(e->db,
                    "CREATE SEQUENCE taken;"
                    "CREATE FUNCTION taken() RETURNS trigger"
                    " LANGUAGE plpgsql AS $$BEGIN"
                    " IF current_setting('synchronous_commit') = 'off' THEN"
                    "  RAISE EXCEPTION 'synchronous_commit is off';"
                    " END IF;"
                    " IF nextval('taken') = 1 THEN"
                    "  RAISE unique_violation USING MESSAGE = 'taken';"
                    " END IF; RETURN NEW; END$$;"
                    "CREATE TRIGGER taken BEFORE INSERT ON records"
                    " FOR EACH ROW EXECUTE FUNCTION taken();");
    long long records =
        sg_test_db_int(e->db, "SELECT count(*) FROM records", NULL);
    id = review_fixture_hold(e, "QF4", "j.smith@school.example", NULL, WHEN,
                             true);
    assert_int_equal(sg_test_db_int(e->db, "SELECT count(*) FROM records", NULL),
                     records + 1);
    assert_int_equal(sg_test_db_int(e->db, "SELECT last_value FROM taken", NULL),
                     2);
    free(id);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_cas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_decisions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lock_across_stores, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_message_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_school, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keyset_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_fails_whole, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
