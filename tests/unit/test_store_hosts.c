/*
 * test_store_hosts.c - several hosts, one store (core/store_hosts.c and
 * store_sql_hosts.c), on a real SQLite store: a record takes the host
 * of the connection that wrote it; a decision leaves a row for that host
 * in its own transaction; a row is claimed by its host only, once while
 * its lease runs, and marked done or retried; a set-back record's row is
 * settled; a re-injection supersedes the pending rows, adds a delete for
 * the gone host, and is taken once.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mailqueue.h"
#include "store_hosts.h"
#include "store_util.h"

struct env {
    char dir[64], db[512], store[128]; /* db: the location (sg_test_store) */
    struct sg_store *a, *b; /* two hosts' connections to one store */
};

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    const char *err = NULL;
    if (e == NULL)
        return -1;
    strcpy(e->dir, "/tmp/sg-test-hosts-XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -1;
    snprintf(e->db, sizeof(e->db), "%s/q.db", e->dir);
    const char *where = sg_test_store(e->db); /* or PostgreSQL */
    if (where != e->db)
        snprintf(e->db, sizeof(e->db), "%s", where);
    snprintf(e->store, sizeof(e->store), "%s/messages", e->dir);
    *state = e;
    if (sg_store_open(e->db, e->store, &e->a, &err) < 0 ||
        sg_store_open(e->db, e->store, &e->b, &err) < 0 ||
        sg_store_hosts_set_local(e->a, "mx-a", &err) < 0 ||
        sg_store_hosts_set_local(e->b, "mx-b", &err) < 0)
        return -1;
    return 0;
}

static int
teardown(void **state)
{
    struct env *e = *state;
    sg_store_close(&e->a);
    sg_store_close(&e->b);
    int r = sg_test_rmtree(e->dir);
    free(e);
    return r;
}

static const char message[] = "Subject: hi\r\n\r\nhello\r\n";

/* A held record written through q; its id (free it). */
static char *
hold(struct sg_store *q, const char *queue_id)
{
    static struct sg_verdict v = {.action = SG_ACTION_HOLD};
    struct sg_hold h = {
        .queue_id = queue_id,
        .time = time(NULL),
        .env_from = "j.smith@school.example",
        .verdict = &v,
        .data = message,
        .len = sizeof(message) - 1,
        .fd = -1,
    };
    char *id = NULL;
    const char *err = NULL;
    assert_int_equal(sg_store_hold(q, &h, &id, &err), 0);
    return id;
}

static void
test_record_host(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    char *ida = hold(e->a, "QA1"), *idb = hold(e->b, "QB1"), *host = NULL;
    assert_int_equal(sg_store_record_host(e->a, idb, &host, &err), 0);
    assert_string_equal(host, "mx-b");
    free(host);
    assert_int_equal(sg_store_record_host(e->b, ida, &host, &err), 0);
    assert_string_equal(host, "mx-a");
    free(host);
    assert_int_equal(sg_store_record_host(e->a, "SG-NONE", &host, &err),
                     SG_STORE_NOT_FOUND);
    /* each host's waiting records, for its own reconcile */
    char **ids = NULL;
    size_t n = 0;
    assert_int_equal(
        sg_store_host_ids(e->a, "mx-b", true, time(NULL), &ids, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], idb);
    sg_strv_free(&ids, &n);
    assert_int_equal(sg_store_hosts_set_local(e->a, "bad host", &err), -1);
    free(ida);
    free(idb);
}

static void
test_decision_claimed_by_its_host(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    char *id = hold(e->b, "QB2");
    time_t now = time(NULL);
    struct sg_store_decision d;
    assert_int_equal(sg_store_decision_claim(e->b, "mx-b", now, 60, &d, &err),
                     SG_STORE_NOT_FOUND);
    /* decided on host a: the row for b comes with the status */
    assert_int_equal(sg_store_set_status(e->a, id, SG_QSTATUS_HELD,
                                         SG_QSTATUS_RELEASED, "dsl", NULL,
                                         "fine", &err),
                     0);
    assert_int_equal(
        sg_store_decision_pending(e->a, id, "mx-b", SG_DECISION_RELEASE, &err),
        1);
    /* the row is due from the decision's second, which may be past the
     * one read above (a slow run, valgrind's): claims from now on */
    now = time(NULL);
    assert_int_equal(sg_store_decision_claim(e->a, "mx-a", now, 60, &d, &err),
                     SG_STORE_NOT_FOUND);
    assert_int_equal(sg_store_decision_claim(e->b, "mx-b", now, 60, &d, &err),
                     0);
    assert_string_equal(d.record_id, id);
    assert_string_equal(d.op, SG_DECISION_RELEASE);
    assert_string_equal(d.queue_id, "QB2");
    assert_int_equal(d.attempts, 1);
    int64_t row = d.id;
    sg_store_decision_clear(&d);
    /* claimed: not again while the lease runs; again after it */
    assert_int_equal(sg_store_decision_claim(e->b, "mx-b", now, 60, &d, &err),
                     SG_STORE_NOT_FOUND);
    assert_int_equal(
        sg_store_decision_claim(e->b, "mx-b", now + 61, 60, &d, &err), 0);
    assert_int_equal(d.attempts, 2);
    sg_store_decision_clear(&d);
    /* failed: tried again at next, with its error */
    assert_int_equal(sg_store_decision_retry(e->b, row, now + 120,
                                             "helper down", &err),
                     0);
    assert_int_equal(
        sg_store_decision_claim(e->b, "mx-b", now + 100, 60, &d, &err),
        SG_STORE_NOT_FOUND);
    assert_int_equal(
        sg_store_decision_claim(e->b, "mx-b", now + 120, 60, &d, &err), 0);
    assert_string_equal(d.last_error, "helper down");
    sg_store_decision_clear(&d);
    assert_int_equal(sg_store_decision_done(e->b, row, now, "released", &err),
                     0);
    assert_int_equal(
        sg_store_decision_pending(e->a, id, "mx-b", SG_DECISION_RELEASE, &err),
        0);
    struct sg_store_decision *rows = NULL;
    size_t n = 0;
    assert_int_equal(sg_store_decisions_of_record(e->a, id, &rows, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].outcome, "released");
    assert_true(rows[0].done != 0);
    sg_store_decisions_free(&rows, &n);
    free(id);
}

static void
test_settle_and_escalate(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    char *id = hold(e->a, "QA3");
    struct sg_store_decision d;
    /* escalating leaves nothing to carry out */
    assert_int_equal(sg_store_set_status(e->a, id, SG_QSTATUS_HELD,
                                         SG_QSTATUS_ESCALATED, "dsl", NULL,
                                         "look", &err),
                     0);
    assert_int_equal(sg_store_decision_claim(e->a, "mx-a", time(NULL), 60, &d,
                                             &err),
                     SG_STORE_NOT_FOUND);
    assert_int_equal(sg_store_set_status(e->a, id, SG_QSTATUS_ESCALATED,
                                         SG_QSTATUS_REJECTED, "dsl", NULL,
                                         "no", &err),
                     0);
    assert_int_equal(
        sg_store_decision_pending(e->a, id, "mx-a", SG_DECISION_DELETE, &err),
        1);
    /* carried out at once on its own host */
    assert_int_equal(sg_store_decisions_settle(e->a, id, "mx-a", time(NULL),
                                               "at once", &err),
                     0);
    assert_int_equal(sg_store_decision_claim(e->a, "mx-a", time(NULL), 60, &d,
                                             &err),
                     SG_STORE_NOT_FOUND);
    free(id);
}

static void
test_reinject(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    char *id = hold(e->b, "QB4");
    assert_int_equal(sg_store_reinject_mark(e->a, id, "mx-b", "QB4", "admin",
                                            NULL, "b is gone", &err),
                     SG_STORE_WRONG_STATUS);
    assert_int_equal(sg_store_reinject_take(e->a, id, "mx-a", &err),
                     SG_STORE_WRONG_STATUS);
    assert_int_equal(sg_store_set_status(e->a, id, SG_QSTATUS_HELD,
                                         SG_QSTATUS_RELEASED, "dsl", NULL,
                                         "fine", &err),
                     0);
    assert_int_equal(sg_store_reinject_mark(e->a, id, "mx-b", "QB4", "admin",
                                            NULL, "b is gone", &err),
                     0);
    /* the release is superseded; b is to delete its copy */
    assert_int_equal(
        sg_store_decision_pending(e->a, id, "mx-b", SG_DECISION_RELEASE, &err),
        0);
    assert_int_equal(
        sg_store_decision_pending(e->a, id, "mx-b", SG_DECISION_DELETE, &err),
        1);
    /* taken once */
    assert_int_equal(sg_store_reinject_take(e->a, id, "mx-a", &err), 0);
    assert_int_equal(sg_store_reinject_take(e->a, id, "mx-a", &err),
                     SG_STORE_WRONG_STATUS);
    /* a second re-injection opens it again, once */
    assert_int_equal(sg_store_reinject_mark(e->a, id, "mx-b", "QB4", "admin",
                                            NULL, "again", &err),
                     0);
    assert_int_equal(sg_store_reinject_take(e->a, id, "mx-a", &err), 0);
    assert_int_equal(sg_store_reinject_take(e->a, id, "mx-a", &err),
                     SG_STORE_WRONG_STATUS);
    assert_int_equal(
        sg_test_db_int(e->db,
                       "SELECT count(*) FROM decisions WHERE record_id = ?1"
                       " AND op = 'delete' AND done IS NULL",
                       id),
        1);
    free(id);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_record_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decision_claimed_by_its_host,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_settle_and_escalate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reinject, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
