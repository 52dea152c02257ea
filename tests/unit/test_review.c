/*
 * test_review.c - the review operations (review/review.c) on a real
 * quarantine store filled through sg_store_hold, with a fake mail
 * queue: a shell script standing in for postsuper and postqueue, keeping
 * "QUEUE_ID QUEUE_NAME" lines in a file and logging every call.
 *
 * Covers: list filters and order; show (recipients, rules, findings, the
 * stored copy parsed, findings located, terminal escapes neutralised);
 * held -> released / rejected / escalated / expired; no double release;
 * a message missing from the queue (released or deleted by hand); a
 * failing command changes nothing; export as CSV and JSON; expire (held
 * too long, retention purge, stray files); digest; every action audited;
 * the review tool's notices (the rejected sender told, the digest mailed)
 * rendered from their own templates, marked, through a fake sendmail;
 * in a trust, a digest a school (and the trust's, when its DSL is no
 * school's).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <jansson.h>

#include "review_fixture.h"
#include "store_outbox.h"
#include "store_test.h"
#include "sg_config.h"
#include "store_util.h"

struct env {
    struct review_fixture f; /* the store and the fake mail queue */
    char *ids[4];            /* records: 0 newest ... 3 oldest */
};

/* The fixture's operations, on this test's environment. */
#define hold(e, qid, from, when, both)                                         \
    review_fixture_hold(&(e)->f, qid, from, NULL, when, both)
#define settings(e, s)    review_fixture_settings(&(e)->f, s)
#define open_review(e, s) review_fixture_open(&(e)->f, s)
#define WORDS(note, to_sender) (&(struct sg_review_words){(note), (to_sender)})

static const struct sg_review_actor alice = {.user = "alice",
                                            .from = "command line"};
static const struct sg_review_actor bob = {.user = "bob", .from = "192.0.2.7"};

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    if (e == NULL || review_fixture_setup(&e->f) < 0)
        return -1;
    *state = e;
    time_t now = time(NULL);
    e->ids[0] = hold(e, "4AAA1", "j.smith@school.example", now - 3600, false);
    e->ids[1] =
        hold(e, "4AAA2", "k.jones@school.example", now - 2 * 3600, true);
    e->ids[2] =
        hold(e, "4AAA3", "j.smith@school.example", now - 2 * DAY, false);
    e->ids[3] = hold(e, "4AAA4", "outsider@else.example", now - 10 * DAY, true);
    struct sg_review_settings s;
    settings(e, &s);
    open_review(e, &s);
    return 0;
}

static int
teardown(void **state)
{
    struct env *e = *state;
    for (int i = 0; i < 4; i++)
        free(e->ids[i]);
    int r = review_fixture_teardown(&e->f);
    free(e);
    return r;
}

/* ------------------------------------------------------------ helpers */

static long long
db_int(const struct env *e, const char *sql, const char *param)
{
    return sg_test_db_int(e->f.db, sql, param);
}

static enum sg_store_status
status_of(const struct env *e, const char *id)
{
    struct sg_store_record *rec = NULL;
    const char *err = NULL;
    assert_int_equal(sg_store_get(e->f.q, id, &rec, &err), 0);
    enum sg_store_status s = rec->status;
    sg_store_record_free(&rec);
    return s;
}

static size_t
count_lines(const char *path, const char *prefix)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    size_t n = 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, prefix, strlen(prefix)) == 0)
            n++;
    fclose(f);
    return n;
}

static bool
queue_has(const struct env *e, const char *line)
{
    char want[64];
    snprintf(want, sizeof(want), "%s\n", line);
    FILE *f = fopen(e->f.queue, "r");
    assert_non_null(f);
    char buf[256];
    bool found = false;
    while (fgets(buf, sizeof(buf), f) != NULL)
        if (strcmp(buf, want) == 0)
            found = true;
    fclose(f);
    return found;
}

static void
queue_set(const struct env *e, const char *text)
{
    FILE *f = fopen(e->f.queue, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* audit rows for a record with this action (and actor) */
/* bytes in a file, 0 when there is none */
static off_t
file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : 0;
}

static long long
audits(const struct env *e, const char *id, const char *action,
       const char *actor)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM audit WHERE record_id = ?1 AND action = "
             "'%s'%s%s%s",
             action, actor ? " AND actor = '" : "", actor ? actor : "",
             actor ? "'" : "");
    return db_int(e, sql, id);
}

/* ------------------------------------------------------------ list */

static void
test_list_order_and_filters(void **state)
{
    struct env *e = *state;
    struct sg_store_item *items = NULL;
    size_t n = 0;
    const char *err = NULL;
    struct sg_review_filter f = {.status = SG_QSTATUS_HELD};

    assert_int_equal(sg_review_list(e->f.r, &f, &alice, &items, &n, &err), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < 4; i++) /* newest first */
        assert_string_equal(items[i].id, e->ids[i]);
    assert_string_equal(items[1].rules, "personal-contact,late-night");
    assert_string_equal(items[0].recipients,
                        "amy.pupil@school.example (pupil), "
                        "someone@elsewhere.example (external)");
    /* the page's columns: people by the names the directory gave them
     * when the message was held, rules by title */
    assert_string_equal(items[1].rule_titles,
                        "Personal contact details sent to a pupil\n"
                        "Late at night");
    assert_string_equal(items[0].recipient_names,
                        "Amy Pupil (pupil), "
                        "someone@elsewhere.example (external)");
    assert_string_equal(items[0].sender_name, "John Smith");
    assert_string_equal(items[1].sender_name, "");
    sg_store_items_free(&items, &n);

    static const struct {
        struct sg_review_filter f;
        size_t n;
        int first;
    } cases[] = {
        {{.status = SG_QSTATUS_HELD, .rule = "late-night"}, 2, 1},
        {{.status = SG_QSTATUS_HELD, .sender = "J.SMITH@"}, 2, 0},
        {{.status = SG_QSTATUS_HELD, .min_age = DAY}, 2, 2},
        {{.status = SG_QSTATUS_HELD, .max_age = DAY}, 2, 0},
        {{.status = SG_QSTATUS_HELD, .oldest_first = true, .limit = 1}, 1, 3},
        {{.status = SG_QSTATUS_RELEASED}, 0, -1},
        {{.any_status = true, .rule = "no-such-rule"}, 0, -1},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        assert_int_equal(
            sg_review_list(e->f.r, &cases[c].f, &alice, &items, &n, &err), 0);
        assert_int_equal(n, cases[c].n);
        if (cases[c].first >= 0)
            assert_string_equal(items[0].id, e->ids[cases[c].first]);
        sg_store_items_free(&items, &n);
    }
    /* listing is audited */
    assert_true(db_int(e,
                       "SELECT count(*) FROM audit WHERE action = 'list'"
                       " AND actor = 'alice'",
                       NULL) == 8);
    /* the SLA: 2 and 10 days are past 24 hours, 1 and 2 hours are not */
    time_t now = time(NULL);
    assert_false(sg_review_overdue(e->f.r, SG_QSTATUS_HELD, now - 3600, now));
    assert_true(sg_review_overdue(e->f.r, SG_QSTATUS_HELD, now - 2 * DAY, now));
    assert_true(
        sg_review_overdue(e->f.r, SG_QSTATUS_ESCALATED, now - 2 * DAY, now));
    assert_false(
        sg_review_overdue(e->f.r, SG_QSTATUS_RELEASED, now - 2 * DAY, now));
    char age[32];
    sg_review_format_age(2 * DAY + 3 * 3600 + 60, age, sizeof(age));
    assert_string_equal(age, "2d 03h");
    sg_review_format_age(5 * 3600 + 2 * 60, age, sizeof(age));
    assert_string_equal(age, "5h 02m");
}

/* ------------------------------------------------------------ show */

static void
test_show(void **state)
{
    struct env *e = *state;
    struct sg_review_detail *d = NULL;
    const char *err = NULL;
    assert_int_equal(sg_review_show(e->f.r, e->ids[1], &bob, true, &d, &err),
                     0);
    assert_string_equal(d->record->queue_id, "4AAA2");
    assert_int_equal(d->n_rcpts, 2);
    assert_string_equal(d->rcpts[0].roles, "pupil");
    assert_string_equal(d->rcpts[1].roles, "external");
    assert_int_equal(d->n_rules, 2);
    assert_string_equal(d->rules[0].policy,
                        "Staff must not give pupils their personal number.");
    assert_int_equal(d->n_findings, 1);
    assert_string_equal(d->findings[0].text, "07700 900123");
    assert_int_equal(d->queue, SG_MAILQUEUE_HOLD);
    assert_non_null(d->view);
    assert_int_equal(d->view->n_attachments, 1);
    assert_string_equal(d->view->attachments[0].filename, "notes.pdf");

    /* the HTML part as text: the script is text, never markup */
    const struct sg_text_part *t = NULL;
    for (size_t i = 0; i < d->view->n_texts; i++)
        if (d->view->texts[i].from_html)
            t = &d->view->texts[i];
    assert_non_null(t);
    assert_null(strstr(t->text, "<p>"));
    struct sg_span *spans = NULL;
    size_t n = 0;
    assert_int_equal(sg_review_find_marks(t->text, t->len, d->findings,
                                          d->n_findings, &spans, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_memory_equal(t->text + spans[0].start, "07700 900123", 12);
    free(spans);

    /* terminal escapes and bidi overrides are made visible */
    t = NULL;
    for (size_t i = 0; i < d->view->n_texts; i++)
        if (strcmp(d->view->texts[i].content_type, "text/plain") == 0)
            t = &d->view->texts[i];
    assert_non_null(t);
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_safe_text(&b, t->text, t->len, true), 0);
    assert_null(strchr(b.data, '\x1b'));
    assert_non_null(strstr(b.data, "\\x1b[31m"));
    assert_non_null(strstr(b.data, "\\u202e"));
    sg_buf_free(&b);
    static const char bad[] = "a\rb\nc\x7f\xc2\x9b\xff";
    assert_int_equal(sg_safe_text(&b, bad, sizeof(bad) - 1, false), 0);
    assert_string_equal(b.data, "a\\x0db\\x0ac\\x7f\\u009b\\xff");
    sg_buf_free(&b);

    /* the view is audited, and shows in the history */
    assert_int_equal(audits(e, e->ids[1], "view", "bob"), 1);
    assert_true(d->n_history >= 2);
    assert_string_equal(d->history[0].action, "held");
    sg_review_detail_free(&d);

    assert_int_equal(
        sg_review_show(e->f.r, "SG-20000101-000000", &bob, false, &d, &err),
        SG_REVIEW_NOT_FOUND);
}

/* A finding across a line break (a wrapped number) is marked where it
 * is: findings show the break as a space. */
static void
test_marks_line_break(void **state)
{
    (void)state;
    static const char text[] = "ring me on 07700\r\n900123 or\t07700\n900 1";
    struct sg_store_finding f[2] = {
        {NULL, "uk-mobile", "07700  900123", "body"},
        {NULL, "uk-mobile", "or 07700", "body"},
    };
    struct sg_span *spans = NULL;
    size_t n = 0;
    const char *err = NULL;
    assert_int_equal(sg_review_find_marks(text, sizeof(text) - 1, f, 2,
                                          &spans, &n, &err),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(spans[0].start, 11);
    assert_int_equal(spans[0].end, 24);
    assert_memory_equal(text + spans[1].start, "or\t07700", 8);
    free(spans);
}

/* ------------------------------------------------------------ decisions */

static void
test_release_once(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    const char *id = e->ids[0];
    assert_int_equal(
        sg_review_release(e->f.r, id, &alice, WORDS("", NULL), &err), -1);
    assert_int_equal(sg_review_release(e->f.r, id, &alice,
                                       WORDS("Checked with Mr Smith", NULL),
                                       &err),
                     0);
    assert_int_equal(status_of(e, id), SG_QSTATUS_RELEASED);
    assert_true(queue_has(e, "4AAA1 active"));
    assert_int_equal(count_lines(e->f.calls, "release 4AAA1"), 1);
    assert_int_equal(audits(e, id, "released", "alice"), 1);
    assert_int_equal(db_int(e,
                            "SELECT count(*) FROM audit WHERE record_id = ?1"
                            " AND note = 'Checked with Mr Smith' AND client"
                            " = 'command line'",
                            id),
                     1);

    /* no double release, and the second reviewer learns who did it */
    assert_int_equal(
        sg_review_release(e->f.r, id, &bob, WORDS("again", NULL), &err),
        SG_REVIEW_WRONG_STATUS);
    assert_non_null(strstr(err, "already released by alice"));
    assert_int_equal(count_lines(e->f.calls, "release 4AAA1"), 1);
    /* nor a reject or an escalation after it */
    assert_int_equal(
        sg_review_reject(e->f.r, id, &bob, WORDS("no", NULL), &err),
        SG_REVIEW_WRONG_STATUS);
    assert_int_equal(sg_review_escalate(e->f.r, id, &bob, "no", &err),
                     SG_REVIEW_WRONG_STATUS);
    assert_int_equal(count_lines(e->f.calls, "delete"), 0);
    assert_int_equal(sg_review_release(e->f.r, "SG-20000101-000000", &bob,
                                       WORDS("x", NULL), &err),
                     SG_REVIEW_NOT_FOUND);
}

static void
test_reject_and_escalate(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    assert_int_equal(sg_review_reject(e->f.r, e->ids[1], &alice,
                                      WORDS("Not appropriate", NULL), &err),
                     0);
    assert_int_equal(status_of(e, e->ids[1]), SG_QSTATUS_REJECTED);
    assert_false(queue_has(e, "4AAA2 hold"));
    assert_int_equal(audits(e, e->ids[1], "rejected", "alice"), 1);

    /* escalate: still held in the queue; then released from escalated */
    assert_int_equal(
        sg_review_escalate(e->f.r, e->ids[2], &alice, "Head to decide", &err),
        0);
    assert_int_equal(status_of(e, e->ids[2]), SG_QSTATUS_ESCALATED);
    assert_true(queue_has(e, "4AAA3 hold"));
    assert_int_equal(sg_review_escalate(e->f.r, e->ids[2], &bob, "x", &err),
                     SG_REVIEW_WRONG_STATUS);
    assert_int_equal(sg_review_release(e->f.r, e->ids[2], &bob,
                                       WORDS("Head: ok", NULL), &err),
                     0);
    assert_int_equal(status_of(e, e->ids[2]), SG_QSTATUS_RELEASED);

    /* telling the sender: refused up front when notices are off, and
     * nothing is done */
    assert_int_equal(
        sg_review_reject(e->f.r, e->ids[0], &alice, WORDS("no", "no"), &err),
        -1);
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_HELD);
    assert_true(queue_has(e, "4AAA1 hold"));

    /* a note changes nothing else */
    assert_int_equal(
        sg_review_note(e->f.r, e->ids[0], &bob, "Rang parent", &err), 0);
    assert_int_equal(audits(e, e->ids[0], "note", "bob"), 1);
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_HELD);
    assert_int_equal(sg_review_note(e->f.r, "SG-1", &bob, "x", &err),
                     SG_REVIEW_NOT_FOUND);
}

static void
test_missing_from_queue(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    size_t gone = 0;
    /* a first sync sees them all on hold, and changes nothing */
    assert_int_equal(sg_review_sync(e->f.r, &bob, NULL, &gone, &err), 0);
    assert_int_equal(gone, 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(status_of(e, e->ids[i]), SG_QSTATUS_HELD);
    /* released by hand (postsuper -H): in the active queue */
    queue_set(e, "4AAA1 active\n4AAA3 hold\n4AAA4 hold\n");
    assert_int_equal(
        sg_review_reject(e->f.r, e->ids[0], &alice, WORDS("no", NULL), &err),
        SG_REVIEW_GONE);
    assert_non_null(strstr(err, "released outside safeguard-review"));
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_RELEASED);
    assert_int_equal(count_lines(e->f.calls, "delete"), 0);
    /* delivered or deleted by hand: not in the queue at all */
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[1], &alice, WORDS("ok", NULL), &err),
        SG_REVIEW_GONE);
    assert_non_null(strstr(err, "no longer has queue id 4AAA2"));
    assert_int_equal(status_of(e, e->ids[1]), SG_QSTATUS_EXPIRED);
    assert_int_equal(count_lines(e->f.calls, "release"), 0);
    assert_int_equal(audits(e, e->ids[1], "expired", "alice"), 1);

    /* sync finds the others */
    queue_set(e, "4AAA3 hold\n");
    assert_int_equal(sg_review_sync(e->f.r, &bob, NULL, &gone, &err), 0);
    assert_int_equal(gone, 1);
    assert_int_equal(status_of(e, e->ids[3]), SG_QSTATUS_EXPIRED);
    assert_int_equal(status_of(e, e->ids[2]), SG_QSTATUS_HELD);
}

/* Records whose message the mail system never held: a crash or a late
 * answer after the record was written made Postfix tempfail the message,
 * or the hold never reached it.  Past the grace period they are lost;
 * before it, nothing is decided. */
static void
test_never_held_is_lost(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    time_t now = time(NULL);
    char *young = hold(e, "4AAA5", "j.smith@school.example", now - 60, false);
    /* 4AAA1 (an hour old) gone, 4AAA2 deferred, 4AAA3 held, 4AAA4 held
     * by a hand-made queue entry seen before: only 4AAA3 and 4AAA4 are on
     * hold, and 4AAA5 (a minute old) is not there yet */
    queue_set(e, "4AAA2 deferred\n4AAA3 hold\n4AAA4 hold\n");
    size_t gone = 0;
    assert_int_equal(sg_review_sync(e->f.r, &bob, NULL, &gone, &err), 0);
    assert_int_equal(gone, 2);
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_LOST);
    assert_int_equal(status_of(e, e->ids[1]), SG_QSTATUS_LOST);
    assert_int_equal(status_of(e, e->ids[2]), SG_QSTATUS_HELD);
    assert_int_equal(status_of(e, e->ids[3]), SG_QSTATUS_HELD);
    assert_int_equal(status_of(e, young), SG_QSTATUS_HELD);
    assert_int_equal(audits(e, e->ids[0], "lost", "bob"), 1);
    assert_int_equal(audits(e, e->ids[1], "lost", "bob"), 1);
    assert_string_equal(sg_store_status_title(SG_QSTATUS_LOST),
                        "not kept by the mail system");

    /* the young one: a decision does not guess either */
    assert_int_equal(
        sg_review_release(e->f.r, young, &alice, WORDS("ok", NULL), &err), -1);
    assert_non_null(strstr(err, "not been seen on hold yet"));
    assert_int_equal(status_of(e, young), SG_QSTATUS_HELD);
    assert_int_equal(count_lines(e->f.calls, "release"), 0);

    /* once seen on hold, a later absence is a hand-made deletion, not a
     * loss; 4AAA3 was seen by the sync above */
    queue_set(e, "4AAA4 hold\n");
    assert_int_equal(sg_review_sync(e->f.r, &bob, NULL, &gone, &err), 0);
    assert_int_equal(status_of(e, e->ids[2]), SG_QSTATUS_EXPIRED);
    assert_int_equal(status_of(e, young), SG_QSTATUS_HELD);
    /* a lost record is decided: a release is refused */
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice, WORDS("x", NULL), &err),
        SG_REVIEW_WRONG_STATUS);
    free(young);
}

/* The daemon's check does not wait for a decision under way: it leaves
 * everything for its next turn, without even listing the queue. */
static void
test_reconcile_busy(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    int fd = -1;
    queue_set(e, "");
    assert_int_equal(sg_store_lock(e->f.q, true, &fd, &err), 0);
    struct sg_store_reconcile o = {
        .queue_command = e->f.queue_cmd,
        .timeout = 10,
        .now = time(NULL),
        .grace = 900,
        .actor = "safeguard-milter",
    };
    struct sg_store_reconcile_result res;
    assert_int_equal(sg_store_reconcile(e->f.q, &o, &res, &err), SG_STORE_BUSY);
    assert_int_equal(count_lines(e->f.calls, "list"), 0);
    for (int i = 0; i < 4; i++)
        assert_int_equal(status_of(e, e->ids[i]), SG_QSTATUS_HELD);
    sg_store_unlock(fd);
    assert_int_equal(sg_store_reconcile(e->f.q, &o, &res, &err), 0);
    assert_int_equal(res.checked, 4);
    assert_int_equal(res.lost, 4);
    assert_int_equal(audits(e, e->ids[3], "lost", "safeguard-milter"), 1);
}

/* A listing that cannot be trusted changes nothing. */
static void
test_sync_bad_listing(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    char flag[160];
    snprintf(flag, sizeof(flag), "%s.fail", e->f.queue);
    fclose(fopen(flag, "w"));
    size_t gone = 0;
    assert_int_equal(sg_review_sync(e->f.r, &bob, NULL, &gone, &err), -1);
    assert_non_null(strstr(err, "fake: refused"));
    unlink(flag);
    /* a line that starts an object but does not parse (a cut listing) */
    struct sg_review_settings s;
    settings(e, &s);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "/bin/cat %s", e->f.queue);
    s.queue_command = cmd;
    open_review(e, &s);
    FILE *g = fopen(e->f.queue, "w");
    fputs("{\"queue_name\": \"hold\", \"queue_id\": \"4AAA3\"}\n"
          "{\"queue_name\": \"hold\", \"queue_id\": \"4AA\n", g);
    fclose(g);
    assert_int_equal(sg_review_sync(e->f.r, &bob, NULL, &gone, &err), -1);
    assert_non_null(strstr(err, "not JSON"));
    for (int i = 0; i < 4; i++)
        assert_int_equal(status_of(e, e->ids[i]), SG_QSTATUS_HELD);
}

static void
test_command_fails(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    char flag[160];
    snprintf(flag, sizeof(flag), "%s.fail", e->f.queue);
    /* the queue listing itself fails: nothing is done */
    fclose(fopen(flag, "w"));
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice, WORDS("ok", NULL), &err),
        -1);
    assert_non_null(strstr(err, "fake: refused"));
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_HELD);
    assert_int_equal(audits(e, e->ids[0], "failed", "alice"), 1);
    unlink(flag);

    /* the release command fails: the record stays held */
    struct sg_review_settings s;
    settings(e, &s);
    s.release_command = "/bin/false {queue_id}";
    open_review(e, &s);
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice, WORDS("ok", NULL), &err),
        -1);
    assert_non_null(strstr(err, "still held"));
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_HELD);
    assert_int_equal(audits(e, e->ids[0], "failed", "alice"), 2);

    /* a command that exits 0 but leaves it on hold */
    s.release_command = "/bin/true {queue_id}";
    open_review(e, &s);
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice, WORDS("ok", NULL), &err),
        -1);
    assert_non_null(strstr(err, "still on hold"));
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_HELD);

    /* no command: the release helper, asked once the record says
     * released; when it cannot act, the record is set back to held, and
     * both changes and the failure are in the audit */
    s.release_command = "";
    s.release_helper = "/nonexistent/safeguard-release.sock";
    open_review(e, &s);
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice, WORDS("ok", NULL), &err),
        -1);
    assert_non_null(strstr(err, "cannot reach the release helper"));
    assert_non_null(strstr(err, "still held and the record unchanged"));
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_HELD);
    assert_int_equal(audits(e, e->ids[0], "released", "alice"), 1);
    assert_int_equal(audits(e, e->ids[0], "held", "alice"), 1);
    assert_int_equal(audits(e, e->ids[0], "failed", "alice"), 4);
    s.release_command = "/bin/true {queue_id}";

    /* no queue command (a non-Postfix site): the exit status decides */
    s.queue_command = "";
    open_review(e, &s);
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice, WORDS("ok", NULL), &err),
        0);
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_RELEASED);

    /* templates: absolute path, no shell, queue ids only alphanumeric */
    assert_int_equal(
        sg_mailqueue_run("postsuper -H {queue_id}", "ABC", 5, NULL, &err), -1);
    assert_int_equal(
        sg_mailqueue_run("/bin/true {queue_id}", "A;rm -rf /", 5, NULL, &err),
        -1);
    char *out = NULL;
    assert_int_equal(sg_mailqueue_run("/bin/echo 'a  b' x{queue_id}y $HOME",
                                      "Q1", 5, &out, &err),
                     0);
    assert_string_equal(out, "a  b xQ1y $HOME\n");
    free(out);
    assert_int_equal(sg_mailqueue_run("/bin/sleep 5", NULL, 1, NULL, &err), -1);
    assert_non_null(strstr(err, "did not finish"));
}

/* ------------------------------------------------------------ export */

static void
test_export(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice,
                          WORDS("=HYPERLINK(\"x\") \"quoted\"", NULL), &err),
        0);
    assert_int_equal(sg_review_reject(e->f.r, e->ids[1], &bob,
                                      WORDS("No, sorry", NULL), &err),
                     0);
    assert_int_equal(sg_review_note(e->f.r, e->ids[2], &bob, "Watching", &err),
                     0);

    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(
        sg_review_export(e->f.r, 0, SG_REVIEW_CSV, out, &alice, &err), 0);
    fclose(out);
    /* a header and three rows, CRLF */
    size_t lines = 0;
    for (char *p = buf; (p = strstr(p, "\r\n")) != NULL; p += 2)
        lines++;
    assert_int_equal(lines, 4);
    assert_true(strncmp(buf, "\"decided_at\",\"record\",\"decision\"", 32) ==
                0);
    /* the formula is defused and quotes doubled */
    assert_non_null(strstr(buf, "\"'=HYPERLINK(\"\"x\"\") \"\"quoted\"\"\""));
    assert_non_null(strstr(buf, "\"rejected\",\"bob\",\"192.0.2.7\""));
    assert_non_null(strstr(buf, "uk-mobile \"\"07700 900123\"\" in body"));
    free(buf);

    /* JSON: only decisions since now - 1 min; the same three */
    buf = NULL;
    out = open_memstream(&buf, &len);
    assert_int_equal(sg_review_export(e->f.r, time(NULL) - 60, SG_REVIEW_JSON,
                                      out, &alice, &err),
                     0);
    fclose(out);
    json_error_t jerr;
    json_t *j = json_loads(buf, 0, &jerr);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 3);
    json_t *row = json_array_get(j, 1);
    assert_string_equal(json_string_value(json_object_get(row, "decision")),
                        "rejected");
    assert_string_equal(json_string_value(json_object_get(row, "record")),
                        e->ids[1]);
    assert_string_equal(json_string_value(json_object_get(row, "sender")),
                        "k.jones@school.example");
    assert_string_equal(
        json_string_value(json_object_get(row, "sender_authenticated")),
        "yes (j.smith)");
    assert_string_equal(
        json_string_value(json_object_get(row, "rules")),
        "personal-contact: Personal contact details sent to a pupil; "
        "late-night: Late at night");
    json_decref(j);
    free(buf);
    /* nothing in the future */
    buf = NULL;
    out = open_memstream(&buf, &len);
    assert_int_equal(sg_review_export(e->f.r, time(NULL) + 60, SG_REVIEW_JSON,
                                      out, &alice, &err),
                     0);
    fclose(out);
    assert_string_equal(buf, "[]\n");
    free(buf);
    assert_int_equal(
        db_int(e, "SELECT count(*) FROM audit WHERE action = 'export'", NULL),
        3);
}

/* ------------------------------------------------------------ expire */

static void
touch_old(const char *path, time_t when)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
    assert_true(fd >= 0);
    close(fd);
    struct utimbuf u = {when, when};
    assert_int_equal(utime(path, &u), 0);
}

static void
test_expire(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    struct sg_review_settings s;
    settings(e, &s);
    s.hold_max_days = 7;
    s.retention_days = 30;
    open_review(e, &s);
    time_t now = time(NULL);

    /* decided now; purged only 30 days later */
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice, WORDS("ok", NULL), &err),
        0);
    char path[256], strays[3][256];
    struct sg_store_record *rec = NULL;
    assert_int_equal(sg_store_get(e->f.q, e->ids[0], &rec, &err), 0);
    snprintf(path, sizeof(path), "%s", rec->message_path);
    sg_store_record_free(&rec);
    snprintf(strays[0], 256, "%s/.tmp-abc123", e->f.store);
    snprintf(strays[1], 256, "%s/SG-20200101-ABCDEF.eml", e->f.store);
    snprintf(strays[2], 256, "%s/SG-20200101-FEDCBA.eml", e->f.store);
    touch_old(strays[0], now - 2 * 3600);
    touch_old(strays[1], now - 2 * 3600);
    touch_old(strays[2], now); /* too new: a hold may be committing */

    struct sg_review_expire_result res;
    assert_int_equal(sg_review_expire(e->f.r, &alice, now, NULL, &res, &err),
                     0);
    assert_int_equal(res.expired, 1); /* the 10-day-old one */
    assert_int_equal(res.purged, 0);
    assert_int_equal(res.strays, 2);
    assert_int_equal(status_of(e, e->ids[3]), SG_QSTATUS_EXPIRED);
    assert_false(queue_has(e, "4AAA4 hold"));
    assert_int_equal(status_of(e, e->ids[2]), SG_QSTATUS_HELD);
    assert_int_equal(access(strays[0], F_OK), -1);
    assert_int_equal(access(strays[1], F_OK), -1);
    assert_int_equal(access(strays[2], F_OK), 0);
    assert_int_equal(access(path, F_OK), 0);

    /* 31 days on: the decided records are emptied to tombstones and
     * their copies go, the audit stays; waiting ones are expired first
     * (no concern: retention_days), then emptied in the same run */
    time_t later = now + 31 * DAY;
    long long audit_rows = db_int(e, "SELECT count(*) FROM audit", NULL);
    assert_int_equal(sg_review_expire(e->f.r, &alice, later, NULL, &res, &err),
                     0);
    /* ids[1] and ids[2] are expired (held over 7 days by then), and
     * purged with ids[0] and ids[3] in the same run */
    assert_int_equal(res.expired, 2);
    assert_int_equal(res.purged, 4);
    assert_int_equal(res.copies, 4);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(db_int(e,
                            "SELECT count(*) FROM records WHERE id = ?1"
                            " AND tombstoned IS NOT NULL",
                            e->ids[0]),
                     1);
    assert_int_equal(db_int(e,
                            "SELECT count(*) FROM recipients WHERE"
                            " record_id = ?1",
                            e->ids[0]),
                     0);
    assert_true(db_int(e, "SELECT count(*) FROM audit", NULL) > audit_rows);
    assert_int_equal(audits(e, e->ids[0], "released", "alice"), 1);
    assert_int_equal(audits(e, e->ids[0], "retention-expired", "alice"), 1);

    /* expire by releasing instead */
    settings(e, &s);
    s.hold_max_days = 1;
    s.expire_action = SG_REVIEW_EXPIRE_RELEASE;
    open_review(e, &s);
    char *id = hold(e, "4BBB1", "j.smith@school.example", now - 3 * DAY, false);
    assert_int_equal(sg_review_expire(e->f.r, &alice, now, NULL, &res, &err),
                     0);
    assert_int_equal(res.expired, 1);
    assert_int_equal(status_of(e, id), SG_QSTATUS_RELEASED);
    assert_true(queue_has(e, "4BBB1 active"));
    free(id);
    enum sg_review_expire_action a;
    assert_int_equal(sg_review_expire_action_parse("release", &a), 0);
    assert_int_equal(a, SG_REVIEW_EXPIRE_RELEASE);
    assert_int_equal(sg_review_expire_action_parse("bounce", &a), -1);
}

/* ------------------------------------------------------------ digest */

static void
test_digest_and_audit(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    assert_int_equal(
        sg_review_escalate(e->f.r, e->ids[3], &alice, "Head", &err), 0);
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice, WORDS("ok", NULL), &err),
        0);
    struct sg_buf b = SG_BUF_INIT;
    size_t waiting = 0, overdue = 0;
    assert_int_equal(
        sg_review_digest(e->f.r, time(NULL), NULL, &b, &waiting, &overdue, &err), 0);
    assert_int_equal(waiting, 3);
    assert_int_equal(overdue, 2);
    /* oldest first, the late ones flagged */
    char *p3 = strstr(b.data, e->ids[3]), *p2 = strstr(b.data, e->ids[2]),
         *p1 = strstr(b.data, e->ids[1]);
    assert_non_null(p3);
    assert_non_null(p2);
    assert_non_null(p1);
    assert_true(p3 < p2 && p2 < p1);
    assert_null(strstr(b.data, e->ids[0]));
    assert_true(p3[-2] == '!' && p2[-2] == '!' && p1[-2] == ' ');
    assert_non_null(strstr(b.data, "escalated, PAST THE TARGET"));
    assert_null(strstr(b.data, "not kept by the mail system"));
    sg_buf_free(&b);
    /* a record found lost in the last day is listed apart, once */
    assert_int_equal(sg_store_set_status(e->f.q, e->ids[1], SG_QSTATUS_HELD,
                                         SG_QSTATUS_LOST, "safeguard-milter",
                                         NULL, "x", &err),
                     0);
    assert_int_equal(
        sg_review_digest(e->f.r, time(NULL), NULL, &b, &waiting, &overdue, &err), 0);
    assert_int_equal(waiting, 2);
    char *lost = strstr(b.data, "Not kept by the mail system, found in the "
                                "last 24 hours: 1.");
    assert_non_null(lost);
    p1 = strstr(b.data, e->ids[1]);
    assert_true(p1 > lost);
    assert_non_null(strstr(p1, "not kept by the mail system (held "));
    /* the digest goes to a mailbox: no addresses or subjects, which may
     * name a pupil; the rules, counts and where to open it */
    assert_null(strstr(b.data, "k.jones@school.example"));
    assert_null(strstr(b.data, "@school.example"));
    assert_non_null(strstr(p1, "    Open:    safeguard-review show "));
    sg_buf_free(&b);
    /* a day later it is no longer news */
    assert_int_equal(sg_review_digest(e->f.r, time(NULL) + 2 * 86400, NULL, &b,
                                      &waiting, &overdue, &err),
                     0);
    assert_null(strstr(b.data, e->ids[1]));
    sg_buf_free(&b);
    /* mailing needs notices */
    assert_int_equal(
        sg_review_digest_mail(e->f.r, "x", NULL, 1, 0, time(NULL), &alice, &err), -1);

    struct sg_store_audit_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        sg_review_audit_list(e->f.r, e->ids[0], 0, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].action, "held");
    assert_string_equal(rows[0].actor, "safeguard-milter");
    assert_string_equal(rows[1].action, "released");
    assert_string_equal(rows[1].client, "command line");
    sg_store_audit_rows_free(&rows, &n);
}

/* The fake sendmail: appends each notice to the file named first. */
static const char fake_sendmail[] =
    "out=$1\n"
    "if [ -e \"$out.down\" ]; then echo 'sendmail: down' >&2; exit 75; fi\n"
    "cat >>\"$out\"\n"
    "echo ==== >>\"$out\"\n";

static char *
read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    assert_true(n > 0);
    return text;
}

/* text with its line breaks as spaces: a notice's paragraphs are wrapped
 * at 76 characters, wherever the date's length puts the breaks */
static char *
unwrapped(const char *text)
{
    char *flat = strdup(text);
    assert_non_null(flat);
    for (char *p = flat; *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
    return flat;
}

/* Reopen e->f.r with notices through the fake sendmail, which appends
 * them to out; the notice key is secret; the configuration cfg (a
 * trust's schools; NULL: none). */
static void
open_with_notices_cfg(struct env *e, char *out, size_t out_size, char *secret,
                      size_t secret_size, const struct sg_config *cfg)
{
    char script[256], cmd[1024];
    snprintf(script, sizeof(script), "%s/sendmail.sh", e->f.dir);
    snprintf(out, out_size, "%s/mail", e->f.dir);
    snprintf(secret, secret_size, "%s/notice.key", e->f.dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs(fake_sendmail, f);
    fclose(f);
    int fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789abcdef0123456789abcdef-key", 36), 36);
    close(fd);
    snprintf(cmd, sizeof(cmd), "/bin/sh %s %s -f {from} -- {to}", script, out);
    static const char *const dsl[] = {"dsl@school.example"};
    static const char *const domains[] = {"school.example"};
    struct sg_notice_config nc = {
        .templates_dir = SG_TEST_SRCDIR "/contrib/templates",
        .sendmail = cmd,
        .secret_file = secret,
        .from = "safeguarding@school.example",
        .from_name = "Safeguarding",
        .dsl_addresses = dsl,
        .n_dsl_addresses = 1,
        .timeout = 10,
    };
    struct sg_review_options o = {
        .db_path = e->f.db,
        .store_dir = e->f.store,
        .notice = &nc,
        .dsl_contact = "Mrs A Khan (DSL)",
        .school_domains = domains,
        .n_school_domains = 1,
        .timezone = "Europe/London",
        .config = cfg,
    };
    settings(e, &o.settings);
    const char *err = NULL;
    sg_review_close(&e->f.r);
    if (sg_review_open(&o, &e->f.r, &err) != 0)
        fail_msg("%s", err);
}

static void
open_with_notices(struct env *e, char *out, size_t out_size, char *secret,
                  size_t secret_size)
{
    open_with_notices_cfg(e, out, out_size, secret, secret_size, NULL);
}

/* The digests of a trust: which addresses, of which school, listing
 * which of the records. */
static void
digests(struct env *e, char *got, size_t size)
{
    struct sg_review_audience *a = NULL;
    size_t n = 0;
    const char *err = NULL;
    assert_int_equal(sg_review_digest_audiences(e->f.r, &a, &n, &err), 0);
    got[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        struct sg_buf b = SG_BUF_INIT;
        assert_int_equal(
            sg_review_digest(e->f.r, time(NULL), &a[i], &b, NULL, NULL, &err),
            0);
        snprintf(got + strlen(got), size - strlen(got), "%s%s %s:",
                 i > 0 ? "; " : "", a[i].to[0],
                 a[i].school != NULL ? a[i].school : "trust");
        for (size_t k = 0; k < 4; k++)
            if (strstr(b.data, e->ids[k]) != NULL)
                snprintf(got + strlen(got), size - strlen(got), " %zu", k);
        sg_buf_free(&b);
    }
    free(a);
}

/* In a trust each school's DSL reads of its own school's records; the
 * trust's own address, when no school shares it, of every school's and
 * of the records of none. */
static void
test_digest_schools(void **state)
{
    struct env *e = *state;
    /* 0 and 2 northfield's, 1 southfield's, 3 of no school; 0 is
     * released */
    static const char *const school[] = {"northfield", "southfield",
                                         "northfield"};
    for (size_t i = 0; i < 3; i++) {
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "UPDATE records SET school = '%s' WHERE id = '%s'", school[i],
                 e->ids[i]);
        sg_test_db_exec(e->f.db, sql);
    }
    const char *err = NULL;
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[0], &alice, WORDS("ok", NULL), &err),
        0);
    static const char trust_conf[] =
        "dsl_addresses = dsl@school.example\n" /* the notices' (above) */
        "notice_templates = " SG_TEST_SRCDIR "/contrib/templates\n"
        "school northfield {\n"
        "    school_domains = northfield.example\n"
        "    dsl_addresses = dsl@northfield.example\n"
        "}\n"
        "school southfield {\n"
        "    school_domains = southfield.example\n"
        "%s"
        "}\n";
    char text[1024], out[256], secret[256], got[256];
    /* southfield leaves its DSL out: the trust's DSL is its DSL, and
     * gets its digest, and one of the record of no school, which no
     * school's digest lists */
    snprintf(text, sizeof(text), trust_conf, "");
    struct sg_config *cfg = sg_config_load_string(text, "trust.conf", &err);
    assert_non_null(cfg);
    open_with_notices_cfg(e, out, sizeof(out), secret, sizeof(secret), cfg);
    digests(e, got, sizeof(got));
    assert_string_equal(got, "dsl@northfield.example northfield: 2; "
                             "dsl@school.example southfield: 1; "
                             "dsl@school.example trust: 3");
    /* its own DSL: the trust's DSL gets the trust's digest */
    sg_config_free(&cfg);
    snprintf(text, sizeof(text), trust_conf,
             "    dsl_addresses = dsl@southfield.example\n");
    cfg = sg_config_load_string(text, "trust.conf", &err);
    assert_non_null(cfg);
    unlink(secret);
    open_with_notices_cfg(e, out, sizeof(out), secret, sizeof(secret), cfg);
    digests(e, got, sizeof(got));
    assert_string_equal(got, "dsl@northfield.example northfield: 2; "
                             "dsl@southfield.example southfield: 1; "
                             "dsl@school.example trust: 1 2 3");
    /* mailed to the school's DSL only */
    struct sg_review_audience *a = NULL;
    size_t n = 0;
    assert_int_equal(sg_review_digest_audiences(e->f.r, &a, &n, &err), 0);
    if (sg_review_digest_mail(e->f.r, "text", &a[1], 1, 0, time(NULL), &alice,
                              &err) < 0)
        fail_msg("%s", err);
    free(a);
    char *mail = read_all(out);
    assert_non_null(strstr(mail, "\nTo: dsl@southfield.example\n"));
    assert_null(strstr(mail, "northfield"));
    assert_null(strstr(mail, "To: dsl@school.example"));
    free(mail);
    sg_review_close(&e->f.r);
    sg_config_free(&cfg);
}

static void
test_notices(void **state)
{
    struct env *e = *state;
    char out[256], secret[256];
    const char *err = NULL;
    open_with_notices(e, out, sizeof(out), secret, sizeof(secret));
    /* times for people in the school's zone: summer, then winter */
    char when[80];
    sg_review_time(e->f.r, 1780405500, SG_TIME_SHORT, when, sizeof(when));
    assert_string_equal(when, "2026-06-02 14:05 BST");
    sg_review_time(e->f.r, 1767791107, SG_TIME_LONG, when, sizeof(when));
    assert_string_equal(when, "Wednesday 7 January 2026 at 13:05 GMT");

    /* the rejected sender is told, from rejected-sender.txt: the message
     * to the sender, credited to the reviewer who decided, never the
     * note for the record */
    int rc = sg_review_reject(e->f.r, e->ids[0], &alice,
                              WORDS("Spoke to J Smith; second time this term.",
                                    "Please use the school office number."),
                              &err);
    if (rc != 0)
        fail_msg("reject: %s", err);
    char *mail = read_all(out);
    assert_non_null(strstr(mail, "\nTo: j.smith@school.example\n"));
    assert_non_null(strstr(mail, "\nSubject: Your message \"Call me\" has "
                                 "not been delivered\n"));
    assert_non_null(strstr(mail, "\nX-Safeguard-Notice: v=1; t="));
    assert_non_null(strstr(mail, "Please use the school office number."));
    char *flat = unwrapped(mail);
    assert_non_null(strstr(flat, "alice has read it"));
    assert_null(strstr(flat, "second time this term"));
    assert_null(strstr(flat, "Mrs A Khan (DSL) has read it"));
    free(flat);
    assert_non_null(strstr(mail, e->ids[0]));
    free(mail);
    assert_int_equal(audits(e, e->ids[0], "told-sender", "alice"), 1);
    assert_int_equal(audits(e, e->ids[0], "rejected", "alice"), 1);
    /* the note stays with the record; the words sent are kept too */
    struct sg_store_audit_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(
        sg_review_audit_list(e->f.r, e->ids[0], 0, &rows, &n, &err), 0);
    bool noted = false, told = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].action, "rejected") == 0)
            noted = strcmp(rows[i].note,
                           "Spoke to J Smith; second time this term.") == 0;
        if (strcmp(rows[i].action, SG_REVIEW_TOLD_SENDER) == 0)
            told = strstr(rows[i].note,
                          "Please use the school office number.") != NULL &&
                   strstr(rows[i].note, "second time") == NULL;
    }
    sg_store_audit_rows_free(&rows, &n);
    assert_true(noted);
    assert_true(told);

    /* the digest goes to the DSL, from digest-dsl.txt */
    struct sg_buf b = SG_BUF_INIT;
    size_t waiting = 0, overdue = 0;
    time_t now = time(NULL);
    assert_int_equal(
        sg_review_digest(e->f.r, now, NULL, &b, &waiting, &overdue, &err), 0);
    if (sg_review_digest_mail(e->f.r, b.data, NULL, waiting, overdue, now, &alice,
                              &err) != 0)
        fail_msg("digest: %s", err);
    sg_buf_free(&b);
    mail = read_all(out);
    const char *digest = strstr(mail, "====\n");
    assert_non_null(digest);
    assert_non_null(strstr(digest, "\nTo: dsl@school.example\n"));
    assert_non_null(strstr(digest, "\nSubject: Held mail waiting for review: "
                                   "3 waiting, 2 past 24 hours\n"));
    assert_non_null(strstr(digest, "\nX-Safeguard-Notice: v=1; t="));
    assert_non_null(strstr(digest, e->ids[3]));
    free(mail);

    /* a release with a message: released-sender.txt, credited to bob */
    rc = sg_review_release(e->f.r, e->ids[2], &bob,
                           WORDS("Checked with the head of year.",
                                 "Delivered; next time copy in the office."),
                           &err);
    if (rc != 0)
        fail_msg("release: %s", err);
    mail = read_all(out);
    flat = unwrapped(mail);
    const char *rel = strstr(flat, "has been delivered ");
    assert_non_null(rel);
    assert_non_null(strstr(rel, "bob has read it and released it"));
    assert_non_null(strstr(rel, "Delivered; next time copy in the office."));
    assert_null(strstr(rel, "head of year"));
    free(flat);
    free(mail);
    assert_int_equal(audits(e, e->ids[2], "told-sender", "bob"), 1);
    assert_int_equal(audits(e, e->ids[2], "released", "bob"), 1);

    /* a release with a blank message mails nobody */
    off_t before = file_size(out);
    assert_int_equal(
        sg_review_release(e->f.r, e->ids[3], &alice, WORDS("ok", " \n "), &err),
        0);
    assert_int_equal(file_size(out), before);
    assert_int_equal(audits(e, e->ids[3], "told-sender", NULL), 0);

    /* a key the reviewer cannot read: the decision stands, the notice
     * fails and says why */
    assert_int_equal(chmod(secret, 0), 0);
    if (access(secret, R_OK) != 0) { /* not when run as root */
        rc = sg_review_reject(e->f.r, e->ids[1], &alice, WORDS("No.", "No."),
                              &err);
        assert_int_equal(rc, SG_REVIEW_NOTICE_FAILED);
        assert_non_null(strstr(err, "notice.key"));
        assert_int_equal(status_of(e, e->ids[1]), SG_QSTATUS_REJECTED);
    }
}

/* ------------------------------------------------------------ failures */

/* Make the nth step of the store's reads fail, run the read, and turn the
 * failure off again whatever happened. */
#define WITH_FAILURE_AT(n, call)                                               \
    __extension__({                                                            \
        sg_store_sqlite_test_fail_step(n);                                     \
        int rc_ = (call);                                                      \
        sg_store_sqlite_test_fail_step(0);                                     \
        rc_;                                                                   \
    })

/* Counts the injected failures whose message has what in it. */
static void
count_failure(const char *err, const char *what, size_t *n)
{
    assert_non_null(strstr(err, "injected failure"));
    if (strstr(err, what) != NULL)
        (*n)++;
}

/* A database error at any step of showing a record (the record, each of
 * its recipients, rules and findings, and the end of each list) fails the
 * whole show: never a record with fewer rows.  (The history is read after
 * the view is audited, so it grows with each try: the audit rows are
 * tested on their own below.) */
static void
test_show_fails_whole(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    size_t rcpts = 0, findings = 0, history = 0;
    struct sg_review_detail *d = NULL;
    for (unsigned long n = 1; history == 0; n++) {
        int rc = WITH_FAILURE_AT(
            n, sg_review_show(e->f.r, e->ids[1], &alice, false, &d, &err));
        assert_int_equal(rc, -1);
        assert_null(d);
        count_failure(err, "cannot read the recipients", &rcpts);
        count_failure(err, "cannot read the findings", &findings);
        count_failure(err, "cannot read the audit table", &history);
    }
    /* two rows and the end each failed the show; one row and the end */
    assert_int_equal(rcpts, 3);
    assert_int_equal(findings, 2);
    assert_int_equal(sg_review_show(e->f.r, e->ids[1], &alice, false, &d, &err),
                     0);
    assert_int_equal(d->n_rcpts, 2);
    assert_int_equal(d->n_rules, 2);
    assert_int_equal(d->n_findings, 1);
    sg_review_detail_free(&d);
}

/* The same for a list, an export and the audit rows. */
static void
test_lists_fail_whole(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    struct sg_review_filter f = {.any_status = true};
    size_t failed = 0;
    for (unsigned long n = 1; n < 100; n++) {
        struct sg_store_item *items = NULL;
        size_t k = 0;
        int rc = WITH_FAILURE_AT(
            n, sg_review_list(e->f.r, &f, &alice, &items, &k, &err));
        if (rc == 0) {
            assert_int_equal(k, 4);
            sg_store_items_free(&items, &k);
            break;
        }
        assert_int_equal(rc, -1);
        assert_null(items);
        assert_int_equal(k, 0);
        count_failure(err, "cannot list the records", &failed);
    }
    assert_int_equal(failed, 5); /* four rows and the end */

    failed = 0;
    for (unsigned long n = 1; n < 100; n++) {
        struct sg_store_audit_row *rows = NULL;
        size_t k = 0;
        int rc = WITH_FAILURE_AT(
            n, sg_review_audit_list(e->f.r, NULL, 0, &rows, &k, &err));
        if (rc == 0) {
            assert_true(k >= 4);
            assert_int_equal(failed, k + 1);
            sg_store_audit_rows_free(&rows, &k);
            break;
        }
        assert_int_equal(rc, -1);
        assert_null(rows);
        count_failure(err, "cannot read the audit table", &failed);
    }
    assert_true(failed > 4);

    /* an export that fails says so, whatever it wrote before */
    assert_int_equal(sg_review_note(e->f.r, e->ids[0], &alice, "one", &err), 0);
    assert_int_equal(sg_review_note(e->f.r, e->ids[1], &alice, "two", &err), 0);
    for (unsigned long n = 1; n <= 3; n++) {
        FILE *out = tmpfile();
        assert_non_null(out);
        int rc = WITH_FAILURE_AT(
            n, sg_review_export(e->f.r, 0, SG_REVIEW_CSV, out, &alice, &err));
        fclose(out);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err, "cannot export: injected failure"));
    }
    assert_int_equal(
        db_int(e, "SELECT count(*) FROM audit WHERE action = 'export'", NULL),
        0);
}

/* The notice to a rejected message's sender lists its recipients: a
 * failure while reading them is a failed notice, never a notice with some
 * of them. */
static void
test_tell_sender_read_fails(void **state)
{
    struct env *e = *state;
    char out[256], secret[256];
    const char *err = NULL;
    open_with_notices(e, out, sizeof(out), secret, sizeof(secret));
    /* steps: the record (checked before), the record (in the decision),
     * its host, the decision's row marked done, then the recipients: the
     * 6th is after the first of the two */
    int rc = WITH_FAILURE_AT(6, sg_review_reject(e->f.r, e->ids[0], &alice,
                                                 WORDS("No.", "No."), &err));
    assert_int_equal(rc, SG_REVIEW_NOTICE_FAILED);
    assert_non_null(strstr(err, "cannot read the recipients"));
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_REJECTED);
    assert_int_equal(access(out, F_OK), -1); /* nothing was mailed */
    assert_int_equal(audits(e, e->ids[0], "notice-failed", "alice"), 1);
    assert_int_equal(audits(e, e->ids[0], "told-sender", NULL), 0);
}

/* The review tool's notices go through the outbox: a sendmail that is
 * down loses nothing and does not undo the decision; the notice waits,
 * and outbox --send (sg_review_outbox_flush, early) sends it once. */
/* How many times needle occurs in hay. */
static size_t
occurrences(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* Release requests: the token checked, the request audited by the
 * sender with the reason, the reviewers mailed once without the reason,
 * and a decided record refusing the link. */
static void
test_release_requests(void **state)
{
    struct env *e = *state;
    char out[256], secret[256];
    const char *err = NULL;
    open_with_notices(e, out, sizeof(out), secret, sizeof(secret));
    struct sg_notice_key *key = NULL;
    assert_int_equal(sg_notice_secret_load(secret, &key, &err), 0);
    char token[SG_NOTICE_TOKEN_LEN + 1], other[SG_NOTICE_TOKEN_LEN + 1];
    assert_int_equal(sg_notice_request_token(key, e->ids[0], token, &err), 0);
    assert_int_equal(sg_notice_request_token(key, e->ids[1], other, &err), 0);
    sg_notice_key_free(&key);
    struct sg_review *r = e->f.r;
    const char *id = e->ids[0];

    /* refused: another record's token, none, an unknown record */
    struct sg_review_request *rq = NULL;
    assert_int_equal(sg_review_request_open(r, id, other, "192.0.2.7", &rq,
                                            &err),
                     SG_REVIEW_NOT_FOUND);
    assert_null(rq);
    assert_int_equal(
        sg_review_request_open(r, id, NULL, "192.0.2.7", &rq, &err),
        SG_REVIEW_NOT_FOUND);
    assert_int_equal(sg_review_request_open(r, "SG-20000101-000000", token,
                                            "192.0.2.7", &rq, &err),
                     SG_REVIEW_NOT_FOUND);
    assert_int_equal(sg_review_request_release(r, id, other, "please",
                                               "192.0.2.7", &err),
                     SG_REVIEW_NOT_FOUND);
    struct sg_store_audit_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(sg_store_audit_rows(sg_review_store(r), id,
                                         "release-request-refused", 0, &rows,
                                         &n, &err),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].client, "192.0.2.7");
    sg_store_audit_rows_free(&rows, &n);

    /* the page's view: the record and the rules that held it */
    assert_int_equal(
        sg_review_request_open(r, id, token, "192.0.2.7", &rq, &err), 0);
    assert_string_equal(rq->record->id, id);
    assert_true(rq->n_rules <= rq->n_all_rules);
    for (size_t i = 0; i < rq->n_rules; i++)
        assert_string_equal(rq->rules[i].mode, "enforce");
    sg_review_request_free(&rq);
    assert_null(rq);

    /* a reason is needed, and not too long */
    assert_int_equal(
        sg_review_request_release(r, id, token, " \n ", "192.0.2.7", &err),
        SG_REVIEW_BAD_REASON);
    char *longer = malloc(SG_REVIEW_REASON_MAX + 2);
    assert_non_null(longer);
    memset(longer, 'x', SG_REVIEW_REASON_MAX + 1);
    longer[SG_REVIEW_REASON_MAX + 1] = '\0';
    assert_int_equal(
        sg_review_request_release(r, id, token, longer, "192.0.2.7", &err),
        SG_REVIEW_BAD_REASON);
    free(longer);
    assert_int_equal(sg_review_requests(r, id, &rows, &n, &err), 0);
    assert_int_equal(n, 0);

    /* recorded by the sender, the reviewers mailed once */
    assert_int_equal(sg_review_request_release(r, id, token,
                                               "Agreed with the parents",
                                               "192.0.2.7", &err),
                     0);
    assert_int_equal(sg_review_request_release(r, id, token, "Still needed",
                                               "192.0.2.7", &err),
                     0);
    assert_int_equal(sg_review_requests(r, id, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].actor, "j.smith@school.example");
    assert_string_equal(rows[0].client, "192.0.2.7");
    assert_string_equal(rows[0].note, "Agreed with the parents");
    assert_string_equal(rows[1].note, "Still needed");
    sg_store_audit_rows_free(&rows, &n);
    char *mail = read_all(out);
    assert_int_equal(occurrences(mail, "Subject: Release requested"), 1);
    assert_non_null(strstr(mail, "To: dsl@school.example"));
    assert_non_null(strstr(mail, id));
    assert_null(strstr(mail, "Agreed with the parents"));
    assert_null(strstr(mail, "j.smith"));
    free(mail);
    struct sg_store_record *rec = NULL;
    assert_int_equal(sg_store_get(sg_review_store(r), id, &rec, &err), 0);
    assert_int_equal(rec->status, SG_QSTATUS_HELD);
    sg_store_record_free(&rec);

    /* decided: the link is refused */
    assert_int_equal(sg_review_reject(r, id, &alice, WORDS("no", NULL), &err),
                     0);
    assert_int_equal(
        sg_review_request_open(r, id, token, "192.0.2.7", &rq, &err),
        SG_REVIEW_WRONG_STATUS);
    assert_int_equal(sg_review_request_release(r, id, token, "please",
                                               "192.0.2.7", &err),
                     SG_REVIEW_WRONG_STATUS);
    assert_int_equal(sg_review_requests(r, id, &rows, &n, &err), 0);
    assert_int_equal(n, 2);
    sg_store_audit_rows_free(&rows, &n);
}

static void
test_notices_outbox(void **state)
{
    struct env *e = *state;
    char out[256], secret[256], down[300];
    open_with_notices(e, out, sizeof(out), secret, sizeof(secret));
    snprintf(down, sizeof(down), "%s.down", out);
    FILE *f = fopen(down, "w");
    assert_non_null(f);
    fclose(f);
    const char *err = NULL;
    if (sg_review_reject(e->f.r, e->ids[0], &alice, WORDS("No.", "No."),
                         &err) != 0)
        fail_msg("reject: %s", err);
    assert_int_equal(status_of(e, e->ids[0]), SG_QSTATUS_REJECTED);
    assert_int_equal(audits(e, e->ids[0], "told-sender", "alice"), 1);
    assert_int_equal(access(out, F_OK), -1); /* nothing sent */

    struct sg_store *q = sg_review_store(e->f.r);
    struct sg_outbox_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(sg_outbox_list(q, false, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].record_id, e->ids[0]);
    assert_string_equal(rows[0].kind, "rejected-sender");
    assert_string_equal(rows[0].rcpts[0], "j.smith@school.example");
    assert_non_null(strstr(rows[0].last_error, "sendmail: down"));
    sg_outbox_rows_free(&rows, n);

    /* back: not due before its backoff, unless asked by hand */
    assert_int_equal(unlink(down), 0);
    struct sg_notice_flush_result res;
    struct sg_notice_flush o = {0};
    assert_int_equal(sg_review_outbox_flush(e->f.r, &o, &res, &err), 0);
    assert_int_equal(res.sent, 0);
    o.early = true;
    assert_int_equal(sg_review_outbox_flush(e->f.r, &o, &res, &err), 0);
    assert_int_equal(res.sent, 1);
    assert_int_equal(sg_review_outbox_flush(e->f.r, &o, &res, &err), 0);
    assert_int_equal(res.sent, 0);
    char *mail = read_all(out);
    assert_non_null(strstr(mail, "\nTo: j.smith@school.example\n"));
    assert_non_null(strstr(mail, e->ids[0]));
    assert_null(strstr(strstr(mail, "====\n") + 5, "====\n")); /* once */
    free(mail);
}

static void
test_open_missing_db(void **state)
{
    (void)state;
    struct sg_review_settings s;
    sg_review_settings_init(&s);
    struct sg_review_options o = {
        .db_path = "/nonexistent/q.db",
        .store_dir = "/nonexistent/messages",
        .settings = s,
    };
    struct sg_review *r = NULL;
    const char *err = NULL;
    assert_int_equal(sg_review_open(&o, &r, &err), -1);
    assert_non_null(strstr(err, "no quarantine database at /nonexistent"));
    assert_null(r);
    /* no commands: the release helper acts, on its socket */
    assert_string_equal(s.release_command, "");
    assert_string_equal(s.delete_command, "");
    assert_string_equal(s.release_helper, "/run/safeguard-release.sock");
    /* serve's way: an absent store is made (mode 0640), empty */
    char dir[] = "/tmp/sg-review-create.XXXXXX", db[64], msgs[64];
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/q.db", dir);
    snprintf(msgs, sizeof(msgs), "%s/messages", dir);
    o.db_path = db;
    o.store_dir = msgs;
    assert_int_equal(sg_review_open(&o, &r, &err), -1);
    o.create_store = true;
    if (sg_review_open(&o, &r, &err) < 0)
        fail_msg("create_store: %s", err);
    struct sg_store_item *items = NULL;
    size_t n = 9;
    struct sg_review_filter all = {.any_status = true};
    struct sg_review_actor who = {.user = "test", .from = "unit test"};
    assert_int_equal(sg_review_list(r, &all, &who, &items, &n, &err), 0);
    assert_int_equal(n, 0);
    sg_store_items_free(&items, &n);
    sg_review_close(&r);
    struct stat st;
    assert_int_equal(stat(db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    o.db_path = "/nonexistent/q.db";
    o.store_dir = "/nonexistent/messages";
    o.create_store = false;
    /* settings out of range are refused before anything is opened */
    o.settings.sla_hours = 0;
    assert_int_equal(sg_review_open(&o, &r, &err), -1);
    assert_non_null(strstr(err, "review settings out of range"));
    /* by the bounds of the settings' keys, written once */
    const struct {
        int *field, value;
        const char *key;
    } bad[] = {
        {&o.settings.command_timeout, 3601, "review_command_timeout"},
        {&o.settings.sla_hours, 365 * 24 + 1, "review_sla_hours"},
        {&o.settings.expire_action, 2, "review_expire_action"},
        {&o.settings.reconcile_grace, 0, "hold_reconcile_grace"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        o.settings = s;
        *bad[i].field = bad[i].value;
        assert_int_equal(sg_review_open(&o, &r, &err), -1);
        assert_non_null(strstr(err, "review settings out of range"));
        assert_non_null(strstr(err, bad[i].key));
    }
}

/* Which review tracks a reviewer's login is shown. */
static void
test_tracks_of(void **state)
{
    (void)state;
    const char *conduct[] = {"head", "deputy"};
    const char *welfare[] = {"dsl", "deputy"};
    const unsigned c = 1u << SG_TRACK_STAFF_CONDUCT,
                   w = 1u << SG_TRACK_PUPIL_WELFARE;
    /* no lists: everyone sees everything */
    assert_int_equal(sg_review_tracks_of(NULL, 0, NULL, 0, "dsl"), 0);
    assert_int_equal(sg_review_tracks_of(conduct, 2, welfare, 2, "head"), c);
    assert_int_equal(sg_review_tracks_of(conduct, 2, welfare, 2, "dsl"), w);
    assert_int_equal(sg_review_tracks_of(conduct, 2, welfare, 2, "deputy"),
                     c | w);
    assert_int_equal(sg_review_tracks_of(conduct, 2, welfare, 2, "clerk"),
                     SG_REVIEW_TRACKS_NONE);
    /* one list: the other track is everyone's */
    assert_int_equal(sg_review_tracks_of(conduct, 2, NULL, 0, "dsl"), w);
    assert_int_equal(sg_review_tracks_of(conduct, 2, NULL, 0, "head"), c | w);
    /* names are exact */
    assert_int_equal(sg_review_tracks_of(conduct, 2, welfare, 2, "Head"),
                     SG_REVIEW_TRACKS_NONE);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list_order_and_filters, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_show, setup, teardown),
        cmocka_unit_test(test_marks_line_break),
        cmocka_unit_test_setup_teardown(test_release_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reject_and_escalate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_from_queue, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_never_held_is_lost, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_bad_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconcile_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expire, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digest_and_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_requests, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_notices_outbox, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_show_fails_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists_fail_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tell_sender_read_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_digest_schools, setup, teardown),
        cmocka_unit_test(test_open_missing_db),
        cmocka_unit_test(test_tracks_of),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
