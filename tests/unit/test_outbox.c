/*
 * test_outbox.c - the outbox (core/store_outbox.c) and sending from it
 * (core/notice_outbox.c): rows written with a hold's record or not at
 * all, claims that two senders never share and that a dead sender's
 * lease gives back, marks that are idempotent, exponential backoff, a
 * give-up that keeps the row, and a flush through a sendmail that is
 * down and comes back: the notice goes out later, once.
 *
 * A real store in a temporary directory, real templates from the source
 * tree, and a shell script standing in for sendmail.  Time is moved by
 * passing "now" to the store's calls, or by writing the row's times with
 * SQLite, never by a hook in the code.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "notice.h"
#include "store.h"
#include "store_outbox.h"
#include "store_util.h"

#define NOW ((time_t)1795348800) /* 2026-11-22 12:00:00 UTC */

struct env {
    char dir[64];
    char db[128];
    struct sg_store *q;
};

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -1;
    strcpy(e->dir, "/tmp/sg-test-outbox-XXXXXX");
    if (mkdtemp(e->dir) == NULL) {
        free(e);
        return -1;
    }
    snprintf(e->db, sizeof(e->db), "%s/q.db", e->dir);
    char store[128];
    snprintf(store, sizeof(store), "%s/messages", e->dir);
    const char *error = NULL;
    *state = e;
    return sg_store_open(sg_test_store(e->db), store, &e->q, &error);
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

/* ------------------------------------------------------------ helpers */

static long long
db_int(const struct env *e, const char *sql)
{
    return sg_test_db_int(e->db, sql, NULL);
}

static void
db_exec(const struct env *e, const char *sql)
{
    sg_test_db_exec(e->db, sql);
}

/* A batch of one plain notice with this Message-ID. */
static void
one(struct sg_outbox_batch *b, const char *mid)
{
    static const char *const to[] = {"dsl@school.example",
                                     "deputy@school.example"};
    char msg[256];
    snprintf(msg, sizeof(msg), "Message-ID: %s\nSubject: x\n\nbody\n", mid);
    const char *error = NULL;
    assert_int_equal(sg_outbox_batch_add(b, "held-dsl",
                                         "safeguarding@school.example", to, 2,
                                         mid, msg, &error),
                     0);
}

static void
add_one(struct env *e, const char *mid, const char *record, time_t now)
{
    struct sg_outbox_batch b = {0};
    one(&b, mid);
    const char *error = NULL;
    if (sg_outbox_add(e->q, &b, record, now, &error) != 0)
        fail_msg("%s", error);
    sg_outbox_batch_free(&b);
}

/* ------------------------------------------------------------ rows */

static void
test_add_list(void **state)
{
    struct env *e = *state;
    add_one(e, "<a@school.example>", "SG-20261122-000001", NOW);
    add_one(e, "<b@school.example>", NULL, NOW + 1);

    struct sg_outbox_row *rows = NULL;
    size_t n = 0;
    const char *error = NULL;
    assert_int_equal(sg_outbox_list(e->q, false, &rows, &n, &error), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].message_id, "<a@school.example>");
    assert_string_equal(rows[0].record_id, "SG-20261122-000001");
    assert_null(rows[1].record_id);
    assert_string_equal(rows[0].kind, "held-dsl");
    assert_int_equal(rows[0].n_rcpts, 2);
    assert_string_equal(rows[0].rcpts[1], "deputy@school.example");
    assert_int_equal(rows[0].state, SG_OUTBOX_PENDING);
    assert_int_equal(rows[0].attempts, 0);
    assert_int_equal(rows[0].next_attempt, NOW);
    assert_null(rows[0].message);
    sg_outbox_rows_free(&rows, n);

    /* a batch is written whole or not at all: the second row's
     * Message-ID is taken, so the first is not written either */
    struct sg_outbox_batch b = {0};
    one(&b, "<c@school.example>");
    one(&b, "<a@school.example>");
    assert_int_equal(sg_outbox_add(e->q, &b, NULL, NOW, &error), -1);
    assert_non_null(strstr(error, "outbox"));
    sg_outbox_batch_free(&b);
    assert_int_equal(db_int(e, "SELECT count(*) FROM outbox"), 2);

    /* a recipient with a line break cannot be written */
    const char *const bad[] = {"a@school.example\nb@school.example"};
    assert_int_equal(sg_outbox_batch_add(&b, "held-dsl", "s@school.example",
                                         bad, 1, "<d@x>", "m", &error),
                     -1);
    sg_outbox_batch_free(&b);
}

static void
test_claim_mark(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    struct sg_outbox_row row;
    assert_int_equal(sg_outbox_claim(e->q, NOW, 40, false, 0, &row, &error), 0);
    add_one(e, "<a@school.example>", NULL, NOW);
    add_one(e, "<b@school.example>", NULL, NOW);
    /* not due before it was made */
    assert_int_equal(sg_outbox_claim(e->q, NOW - 1, 40, false, 0, &row, &error),
                     0);

    assert_int_equal(sg_outbox_claim(e->q, NOW, 40, false, 0, &row, &error), 1);
    assert_string_equal(row.message_id, "<a@school.example>");
    assert_int_equal(row.attempts, 1);
    assert_non_null(strstr(row.message, "\n\nbody\n"));
    int64_t a = row.id;
    sg_outbox_row_clear(&row);
    /* claimed: another sender gets the next row, then none */
    assert_int_equal(sg_outbox_claim(e->q, NOW + 5, 40, false, 0, &row, &error),
                     1);
    assert_string_equal(row.message_id, "<b@school.example>");
    int64_t b = row.id;
    sg_outbox_row_clear(&row);
    assert_int_equal(
        sg_outbox_claim(e->q, NOW + 39, 40, false, 0, &row, &error), 0);

    /* the sender of a dies between its claim and its mark: once the
     * lease is over the row is taken again, with its Message-ID */
    assert_int_equal(sg_outbox_mark_sent(e->q, b, NOW + 6, &error), 0);
    assert_int_equal(
        sg_outbox_claim(e->q, NOW + 40, 40, false, 0, &row, &error), 1);
    assert_int_equal(row.id, a);
    assert_int_equal(row.attempts, 2);
    assert_string_equal(row.message_id, "<a@school.example>");
    sg_outbox_row_clear(&row);

    /* marked sent: never claimed again; marking twice changes nothing */
    assert_int_equal(sg_outbox_mark_sent(e->q, a, NOW + 41, &error), 0);
    assert_int_equal(sg_outbox_mark_sent(e->q, a, NOW + 99, &error), 0);
    char sql[128];
    snprintf(sql, sizeof(sql),
             "SELECT sent FROM outbox WHERE id = %lld AND claimed_at IS NULL",
             (long long)a);
    assert_int_equal(db_int(e, sql), NOW + 41);
    assert_int_equal(
        sg_outbox_claim(e->q, NOW + 9999, 40, false, 0, &row, &error), 0);
    time_t when = 1;
    assert_int_equal(sg_outbox_next_due(e->q, 40, &when, &error), 0);
    assert_int_equal(when, 0);
}

static void
test_backoff_give_up(void **state)
{
    struct env *e = *state;
    const char *error = NULL;
    assert_int_equal(sg_outbox_backoff(1), 60);
    assert_int_equal(sg_outbox_backoff(2), 120);
    assert_int_equal(sg_outbox_backoff(3), 240);
    assert_int_equal(sg_outbox_backoff(7), 3600);
    assert_int_equal(sg_outbox_backoff(1000), 3600);

    add_one(e, "<a@school.example>", NULL, NOW);
    struct sg_outbox_row row;
    assert_int_equal(sg_outbox_claim(e->q, NOW, 40, false, 0, &row, &error), 1);
    time_t when = 0;
    assert_int_equal(sg_outbox_next_due(e->q, 40, &when, &error), 0);
    assert_int_equal(when, NOW + 40); /* when the claim's lease ends */
    assert_int_equal(sg_outbox_mark_retry(e->q, row.id, NOW + 2, row.attempts,
                                          false, "sendmail: down", &error),
                     0);
    sg_outbox_row_clear(&row);
    assert_int_equal(sg_outbox_next_due(e->q, 40, &when, &error), 0);
    assert_int_equal(when, NOW + 2 + 60);
    assert_int_equal(
        sg_outbox_claim(e->q, NOW + 61, 40, false, 0, &row, &error), 0);

    assert_int_equal(
        sg_outbox_claim(e->q, NOW + 62, 40, false, 0, &row, &error), 1);
    assert_int_equal(row.attempts, 2);
    assert_string_equal(row.last_error, "sendmail: down");
    assert_int_equal(sg_outbox_mark_retry(e->q, row.id, NOW + 63, row.attempts,
                                          false, "down again", &error),
                     0);
    sg_outbox_row_clear(&row);
    assert_int_equal(db_int(e, "SELECT next_attempt FROM outbox"),
                     NOW + 63 + 120);
    assert_int_equal(
        sg_outbox_claim(e->q, NOW + 183, 40, false, 0, &row, &error), 1);
    sg_outbox_row_clear(&row);
    assert_int_equal(
        sg_outbox_claim(e->q, NOW + 184, 40, false, 0, &row, &error), 0);
    /* the claim is still there; giving up keeps the row, marked */
    assert_int_equal(db_int(e, "SELECT attempts FROM outbox"), 3);
    int64_t id = db_int(e, "SELECT id FROM outbox");
    assert_int_equal(sg_outbox_mark_retry(e->q, id, NOW + 185, 3, true,
                                          "still down", &error),
                     0);
    assert_int_equal(
        sg_outbox_claim(e->q, NOW + 99999, 40, false, 0, &row, &error), 0);
    struct sg_outbox_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(sg_outbox_list(e->q, false, &rows, &n, &error), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].state, SG_OUTBOX_FAILED);
    assert_int_equal(rows[0].failed, NOW + 185);
    assert_string_equal(rows[0].last_error, "still down");
    assert_string_equal(sg_outbox_state_name(rows[0].state), "failed");
    sg_outbox_rows_free(&rows, n);
    assert_int_equal(sg_outbox_next_due(e->q, 40, &when, &error), 0);
    assert_int_equal(when, 0);

    /* by hand, a row waiting for its backoff is sent at once; one given
     * up is not */
    add_one(e, "<b@school.example>", NULL, NOW);
    assert_int_equal(sg_outbox_claim(e->q, NOW, 40, false, 0, &row, &error), 1);
    assert_int_equal(sg_outbox_mark_retry(e->q, row.id, NOW, row.attempts,
                                          false, "down", &error),
                     0);
    sg_outbox_row_clear(&row);
    assert_int_equal(sg_outbox_claim(e->q, NOW + 1, 40, false, 0, &row, &error),
                     0);
    assert_int_equal(sg_outbox_claim(e->q, NOW + 1, 40, true, 0, &row, &error),
                     1);
    assert_string_equal(row.message_id, "<b@school.example>");
    sg_outbox_row_clear(&row);
    assert_int_equal(sg_outbox_claim(e->q, NOW + 2, 40, true, 0, &row, &error),
                     0);
}

/* ------------------------------------------------------------ the hold */

static struct sg_rule_match hold_rule = {
    .id = "r",
    .mode = SG_MODE_ENFORCE,
    .action = SG_ACTION_HOLD,
};
static const struct sg_verdict hold_verdict = {
    .action = SG_ACTION_HOLD,
    .rules = &hold_rule,
    .n_rules = 1,
};

struct notices_seen {
    char record[64];
    const char *mid;
    int calls;
};

static void
render_notices(void *ctx, const char *record_id, struct sg_outbox_batch *b)
{
    struct notices_seen *seen = ctx;
    snprintf(seen->record, sizeof(seen->record), "%s", record_id);
    seen->calls++;
    one(b, seen->mid);
}

static int
hold(struct env *e, struct notices_seen *seen, char **id_r,
     const char **error_r)
{
    const struct sg_hold h = {
        .queue_id = "4ABC",
        .time = NOW,
        .env_from = "t@school.example",
        .verdict = &hold_verdict,
        .data = "Subject: x\n\nhello\n",
        .len = 18,
        .fd = -1,
        .notices = render_notices,
        .notices_ctx = seen,
    };
    return sg_store_hold(e->q, &h, id_r, error_r);
}

static void
test_hold_writes_notices(void **state)
{
    struct env *e = *state;
    struct notices_seen seen = {.mid = "<n1@school.example>"};
    char *id = NULL;
    const char *error = NULL;
    if (hold(e, &seen, &id, &error) != 0)
        fail_msg("%s", error);
    assert_int_equal(seen.calls, 1);
    assert_string_equal(seen.record, id);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM outbox WHERE record_id = '%s'"
             " AND message_id = '<n1@school.example>' AND created = %lld",
             id, (long long)NOW);
    assert_int_equal(db_int(e, sql), 1);
    free(id);

    /* a notice that cannot be written takes the record with it: the
     * two are one transaction (this Message-ID is taken) */
    long long records = db_int(e, "SELECT count(*) FROM records");
    assert_int_equal(hold(e, &seen, &id, &error), -1);
    assert_non_null(strstr(error, "outbox"));
    assert_int_equal(db_int(e, "SELECT count(*) FROM records"), records);
    assert_int_equal(db_int(e, "SELECT count(*) FROM outbox"), 1);
}

/* ------------------------------------------------------------ flushing */

/* sendmail: fails while "down" is there, else appends the message to
 * "sent" with a separator and counts the call in "calls" */
static const char fake_sendmail[] =
    "#!/bin/sh\n"
    "d=${0%/*}\n"
    "echo x >> \"$d/calls\"\n"
    "if [ -e \"$d/down\" ]; then\n"
    "  echo 'sendmail: fatal: the queue is not there' >&2; exit 75\n"
    "fi\n"
    "cat >> \"$d/sent\" && echo '====' >> \"$d/sent\"\n";

static void
write_file(const char *dir, const char *name, const void *data, size_t len,
           mode_t mode)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static char *
read_text(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return strdup("");
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static size_t
count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, what)) != NULL; p += strlen(what))
        n++;
    return n;
}

static struct sg_notice *
notices(const struct env *e)
{
    write_file(e->dir, "sendmail", fake_sendmail, strlen(fake_sendmail), 0755);
    static const char key[] = "0123456789abcdef0123456789abcdef-key";
    write_file(e->dir, "notice.key", key, sizeof(key) - 1, 0600);
    static char cmd[256], secret[256];
    snprintf(cmd, sizeof(cmd), "%s/sendmail -f {from} -- {to}", e->dir);
    snprintf(secret, sizeof(secret), "%s/notice.key", e->dir);
    static const char *const dsl[] = {"dsl@school.example"};
    const struct sg_notice_config cfg = {
        .templates_dir = SG_TEST_SRCDIR "/contrib/templates",
        .sendmail = cmd,
        .secret_file = secret,
        .from = "safeguarding@school.example",
        .dsl_addresses = dsl,
        .n_dsl_addresses = 1,
        .timeout = 5,
    };
    struct sg_notice *n = NULL;
    const char *error = NULL;
    if (sg_notice_open(&cfg, &n, &error) != 0)
        fail_msg("%s", error);
    return n;
}

struct flushed {
    int sent, retry, gave_up;
};

static void
each(void *ctx, const struct sg_outbox_row *row, enum sg_notice_flushed what,
     const char *error)
{
    struct flushed *f = ctx;
    assert_non_null(row->message);
    if (what == SG_NOTICE_FLUSH_SENT) {
        assert_null(error);
        f->sent++;
    } else {
        assert_non_null(strstr(error, "the queue is not there"));
        if (what == SG_NOTICE_FLUSH_RETRY)
            f->retry++;
        else
            f->gave_up++;
    }
}

static void
test_flush_down_and_back(void **state)
{
    struct env *e = *state;
    struct sg_notice *n = notices(e);
    const char *error = NULL;
    const struct sg_notice_values v = {.record = "SG-20261122-0000AA",
                                       .queue_id = "4ABC",
                                       .sender = "<t@school.example>"};
    struct sg_outbox_batch b = {0};
    time_t now = time(NULL);
    assert_int_equal(sg_notice_queue(n, SG_NOTICE_HELD_DSL, &v,
                                     (const char *const *)n->dsl_addresses,
                                     n->n_dsl_addresses, now, &b, &error),
                     0);
    assert_int_equal(sg_outbox_add(e->q, &b, v.record, now, &error), 0);
    char mid[SG_NOTICE_MESSAGE_ID_MAX];
    snprintf(mid, sizeof(mid), "%s", b.items[0].message_id);
    sg_outbox_batch_free(&b);

    /* sendmail is down: nothing lost, the row waits with the reason */
    write_file(e->dir, "down", "", 0, 0644);
    struct flushed f = {0};
    struct sg_notice_flush o = {.each = each, .ctx = &f};
    struct sg_notice_flush_result res;
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.retry, 1);
    assert_int_equal(res.sent, 0);
    assert_int_equal(f.retry, 1);
    assert_int_equal(db_int(e, "SELECT count(*) FROM outbox WHERE sent IS NULL"
                               " AND failed IS NULL AND claimed_at IS NULL"
                               " AND last_error LIKE '%not there%'"),
                     1);
    /* not due again before its backoff */
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.retry + res.sent, 0);

    /* back, and the backoff over: sent once, as rendered */
    char path[256];
    snprintf(path, sizeof(path), "%s/down", e->dir);
    assert_int_equal(unlink(path), 0);
    db_exec(e, "UPDATE outbox SET next_attempt = next_attempt - 60");
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.sent, 1);
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.sent, 0);
    char *sent = read_text(e->dir, "sent");
    assert_int_equal(count(sent, "====\n"), 1);
    char line[SG_NOTICE_MESSAGE_ID_MAX + 16];
    snprintf(line, sizeof(line), "\nMessage-ID: %s\n", mid);
    assert_non_null(strstr(sent, line));
    assert_non_null(strstr(sent, "SG-20261122-0000AA"));
    free(sent);
    char *calls = read_text(e->dir, "calls");
    assert_int_equal(count(calls, "x\n"), 2);
    free(calls);
    assert_int_equal(db_int(e, "SELECT attempts FROM outbox WHERE sent > 0"),
                     2);
    sg_notice_free(&n);
}

static void
test_flush_crash_and_give_up(void **state)
{
    struct env *e = *state;
    struct sg_notice *n = notices(e);
    const char *error = NULL;
    time_t now = time(NULL);
    add_one(e, "<crash@school.example>", NULL, now);

    /* a sender claims the row and dies before it marks it */
    struct sg_outbox_row row;
    assert_int_equal(
        sg_outbox_claim(e->q, now, sg_notice_lease(n), false, 0, &row, &error),
        1);
    sg_outbox_row_clear(&row);
    struct flushed f = {0};
    struct sg_notice_flush o = {.each = each, .ctx = &f};
    struct sg_notice_flush_result res;
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.sent, 0); /* its lease is not over */
    /* the lease is the sendmail timeout (5 s) and a margin */
    assert_int_equal(sg_notice_lease(n), 6 + SG_NOTICE_LEASE_MARGIN);
    db_exec(e, "UPDATE outbox SET claimed_at = claimed_at - 16");
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.sent, 1);
    char *sent = read_text(e->dir, "sent");
    assert_int_equal(count(sent, "Message-ID: <crash@school.example>\n"), 1);
    free(sent);

    /* older than notice_retry_max_age (2 days by default): one more
     * try, then given up, and the row stays */
    add_one(e, "<old@school.example>", NULL, now - 2 * 86400);
    write_file(e->dir, "down", "", 0, 0644);
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.gave_up, 1);
    assert_int_equal(f.gave_up, 1);
    assert_int_equal(db_int(e, "SELECT count(*) FROM outbox WHERE"
                               " message_id = '<old@school.example>'"
                               " AND failed > 0 AND sent IS NULL"),
                     1);
    sg_notice_free(&n);
}

/* By hand (outbox --send), a row waiting for its backoff is due at once;
 * one that fails again is tried once in that flush, not claimed again
 * and again until notice_retry_max_age. */
static void
test_flush_by_hand_down(void **state)
{
    struct env *e = *state;
    struct sg_notice *n = notices(e);
    const char *error = NULL;
    time_t now = time(NULL);
    add_one(e, "<h1@school.example>", NULL, now);
    add_one(e, "<h2@school.example>", NULL, now);
    write_file(e->dir, "down", "", 0, 0644);
    struct flushed f = {0};
    struct sg_notice_flush o = {
        .each = each, .ctx = &f, .early = true, .limit = 10};
    struct sg_notice_flush_result res;
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.retry, 2);
    assert_int_equal(res.sent + res.gave_up, 0);
    char *calls = read_text(e->dir, "calls");
    assert_int_equal(count(calls, "x\n"), 2);
    free(calls);
    /* again by hand, each once more; then back, and both are sent */
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.retry, 2);
    char path[256];
    snprintf(path, sizeof(path), "%s/down", e->dir);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.sent, 2);
    assert_int_equal(res.retry, 0);
    sg_notice_free(&n);
}

/* The flush's stop: asked before each row; once it says stop, the rows
 * left stay due, unclaimed, for the next flush (the daemon's next run). */
struct stop_after {
    struct flushed f;
    int rows; /* stop once this many were tried */
};

static void
each_counted(void *ctx, const struct sg_outbox_row *row,
             enum sg_notice_flushed what, const char *error)
{
    struct stop_after *s = ctx;
    each(&s->f, row, what, error);
}

static bool
stop_after(void *ctx)
{
    struct stop_after *s = ctx;
    return s->f.sent + s->f.retry + s->f.gave_up >= s->rows;
}

static void
test_flush_stop(void **state)
{
    struct env *e = *state;
    struct sg_notice *n = notices(e);
    const char *error = NULL;
    time_t now = time(NULL);
    add_one(e, "<stop1@school.example>", NULL, now);
    add_one(e, "<stop2@school.example>", NULL, now);
    add_one(e, "<stop3@school.example>", NULL, now);
    struct stop_after s = {.rows = 1};
    struct sg_notice_flush o = {
        .each = each_counted, .stop = stop_after, .ctx = &s};
    struct sg_notice_flush_result res;
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.sent, 1);
    assert_int_equal(s.f.sent, 1);
    assert_int_equal(db_int(e, "SELECT count(*) FROM outbox WHERE sent IS NULL"
                               " AND claimed_at IS NULL AND attempts = 0"),
                     2);
    /* the next flush, not stopped, sends the rest */
    s.rows = 100;
    assert_int_equal(sg_notice_flush(n, e->q, &o, &res, &error), 0);
    assert_int_equal(res.sent, 2);
    assert_int_equal(db_int(e, "SELECT count(*) FROM outbox WHERE sent IS NULL"),
                     0);
    sg_notice_free(&n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_mark, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff_give_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hold_writes_notices, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flush_down_and_back, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flush_crash_and_give_up, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flush_by_hand_down, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_flush_stop, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
