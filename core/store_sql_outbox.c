/*
 * store_sql_outbox.c - the record store's outbox table, for every SQL
 * driver (store_sql.h): the rows of
 * a hold's notices in its transaction, rows of their own, claims, marks,
 * and reads (store_outbox.h says what each does; the table is in
 * store_sqlite_schema.c, version 4, and store_pg_schema.c).
 *
 * A claim is one UPDATE ... RETURNING, so two senders (the daemon and
 * safeguard-review, or two threads) never get the same row.  Every read
 * of rows goes through sg_sql_step: a failure mid-read is an
 * error, never a shorter list.  Every statement is parameterised.
 *
 * Fails by returning -1 with the store's error string; never logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_person.h"
#include "store_sql.h"

#define fail sg_store_fail

/* One statement on a connection of its own (store_sql.h). */
static struct sg_sql_stmt *
prepare(void *be, const char *sql, const char **error_r)
{
    return sg_sql_prepare_one(be, sql, "outbox: cannot prepare a statement",
                              error_r);
}

#define finish sg_sql_finish

/* ------------------------------------------------------------ writing */

int
sg_store_sql_outbox_insert(struct sg_sql_conn *c,
                           const struct sg_outbox_batch *b,
                           const char *record_id, time_t now,
                           const char **error_r)
{
    if (b == NULL || b->n == 0)
        return 0;
    struct sg_sql_stmt *st =
        sg_sql_prepare(c,
                       "INSERT INTO outbox (created, kind, record_id,"
                       " env_from, recipients, message_id, message,"
                       " attempts, next_attempt, school)"
                       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?1,"
                       " (SELECT school FROM records WHERE id = ?3))",
                       "outbox: cannot prepare an insert", error_r);
    if (st == NULL)
        return -1;
    int r = 0;
    for (size_t i = 0; r == 0 && i < b->n; i++) {
        const struct sg_outbox_item *it = &b->items[i];
        sg_sql_bind_int(st, 1, (int64_t)now);
        sg_sql_bind_text(st, 2, it->kind);
        sg_sql_bind_text(st, 3, record_id);
        sg_sql_bind_text(st, 4, it->env_from);
        sg_sql_bind_text(st, 5, it->rcpts);
        sg_sql_bind_text(st, 6, it->message_id);
        sg_sql_bind_text(st, 7, it->message);
        int rc =
            sg_sql_step_done(st, "outbox: cannot insert a notice", error_r);
        if (rc == SG_SQL_UNIQUE)
            r = fail(error_r, "outbox: cannot insert a notice: its message "
                              "id is taken");
        else if (rc != 0)
            r = -1;
    }
    sg_sql_finalize(st);
    return r;
}

int
sg_store_sql_outbox_add(void *be, const struct sg_outbox_batch *b,
                        const char *record_id, time_t now, const char **error_r)
{
    struct sg_sql_conn *c = sg_sql_acquire(be, error_r);
    if (c == NULL)
        return -1;
    int r = sg_sql_begin(c, error_r);
    if (r == 0)
        r = sg_store_sql_outbox_insert(c, b, record_id, now, error_r);
    if (r == 0)
        r = sg_sql_commit(c, "cannot commit the notices", error_r);
    if (r < 0)
        sg_sql_rollback(c);
    sg_sql_release(c);
    return r;
}

/* ------------------------------------------------------------ rows */

/* Split the recipients column into the row. */
static int
split_rcpts(struct sg_outbox_row *row, const char *text)
{
    if (text == NULL)
        return 0;
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        char *a = strndup(p, len);
        if (a == NULL || sg_strv_push(&row->rcpts, &row->n_rcpts, a) < 0) {
            free(a);
            return -1;
        }
        free(a);
        p += len + (nl != NULL);
    }
    return 0;
}

/* The columns every read selects, in this order. */
#define ROW_COLUMNS                                                            \
    "id, created, kind, record_id, env_from, recipients, message_id,"          \
    " attempts, next_attempt, claimed_at, sent, failed, last_error"
#define ROW_MESSAGE 13 /* message, after them when it is selected */

static int
read_row(struct sg_sql_stmt *st, bool with_message, struct sg_outbox_row *row)
{
    memset(row, 0, sizeof(*row));
    /* the text columns, copied; NULL for SQL NULL */
    struct {
        int col;
        char **to;
    } texts[] = {{2, &row->kind},        {3, &row->record_id},
                 {4, &row->env_from},    {6, &row->message_id},
                 {12, &row->last_error}, {ROW_MESSAGE, &row->message}};
    bool oom = false;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (texts[i].col == ROW_MESSAGE && !with_message)
            continue;
        const char *t = sg_sql_text(st, texts[i].col);
        if (t != NULL && (*texts[i].to = strdup(t)) == NULL)
            oom = true;
    }
    if (split_rcpts(row, sg_sql_text(st, 5)) < 0)
        oom = true;
    row->id = sg_sql_int(st, 0);
    row->created = (time_t)sg_sql_int(st, 1);
    row->attempts = (int)sg_sql_int(st, 7);
    row->next_attempt = (time_t)sg_sql_int(st, 8);
    row->claimed_at = (time_t)sg_sql_int(st, 9);
    row->sent = (time_t)sg_sql_int(st, 10);
    row->failed = (time_t)sg_sql_int(st, 11);
    row->state = row->sent != 0     ? SG_OUTBOX_SENT
                 : row->failed != 0 ? SG_OUTBOX_FAILED
                                    : SG_OUTBOX_PENDING;
    if (oom || row->kind == NULL || row->env_from == NULL ||
        row->message_id == NULL || (with_message && row->message == NULL)) {
        sg_outbox_row_clear(row);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ sending */

/* By hand (?3), rows in the order of their ids after ?4: a row that
 * failed in this flush is not due again in it. */
#define DUE                                                                    \
    "sent IS NULL AND failed IS NULL AND (next_attempt <= ?1 OR ?3 != 0)"      \
    " AND (claimed_at IS NULL OR claimed_at <= ?1 - ?2) AND id > ?4"

int
sg_store_sql_outbox_claim(void *be, time_t now, time_t lease, bool early,
                          int64_t after_id, struct sg_outbox_row *row_r,
                          const char **error_r)
{
    struct sg_sql_stmt *st =
        prepare(be,
                "UPDATE outbox SET claimed_at = ?1,"
                " attempts = attempts + 1 WHERE id ="
                " (SELECT id FROM outbox WHERE " DUE
                " ORDER BY CASE WHEN ?3 != 0 THEN 0"
                " ELSE next_attempt END, id LIMIT 1) AND " DUE
                " RETURNING " ROW_COLUMNS ", message",
                error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_int(st, 1, (int64_t)now);
    sg_sql_bind_int(st, 2, (int64_t)lease);
    sg_sql_bind_int(st, 3, early ? 1 : 0);
    sg_sql_bind_int(st, 4, early ? (int64_t)after_id : 0);
    int rc = sg_sql_step(st, "outbox: cannot claim a notice", error_r);
    if (rc <= 0)
        return finish(st, rc);
    if (read_row(st, true, row_r) < 0)
        return finish(st, fail(error_r, "out of memory"));
    if (sg_sql_step(st, "outbox: cannot claim a notice", error_r) != 0) {
        sg_outbox_row_clear(row_r);
        return finish(st, -1);
    }
    return finish(st, 1);
}

/* Run one UPDATE of a row: ?1 is the id, ?2 ?3 ?4 the values (a value
 * the statement does not use is not bound). */
static int
update_row(void *be, const char *sql, int64_t id, int64_t v2, int64_t v3,
           const char *v4, const char **error_r)
{
    struct sg_sql_stmt *st = prepare(be, sql, error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_int(st, 1, (int64_t)id);
    sg_sql_bind_int(st, 2, v2);
    sg_sql_bind_int(st, 3, v3);
    sg_sql_bind_text(st, 4, v4);
    if (sg_sql_step_done(st, "outbox: cannot update a notice", error_r) != 0)
        return finish(st, -1);
    return finish(st, 0);
}

int
sg_store_sql_outbox_mark_sent(void *be, int64_t id, time_t now,
                              const char **error_r)
{
    return update_row(be,
                      "UPDATE outbox SET sent = ?2, claimed_at = NULL,"
                      " last_error = NULL WHERE id = ?1 AND sent IS NULL",
                      id, (int64_t)now, 0, NULL, error_r);
}

int
sg_store_sql_outbox_mark_retry(void *be, int64_t id, time_t now,
                               time_t next_attempt, bool give_up,
                               const char *why, const char **error_r)
{
    if (give_up)
        return update_row(be,
                          "UPDATE outbox SET failed = ?2, claimed_at = NULL,"
                          " last_error = ?4 WHERE id = ?1 AND sent IS NULL",
                          id, (int64_t)now, 0, why, error_r);
    return update_row(be,
                      "UPDATE outbox SET next_attempt = ?3,"
                      " claimed_at = NULL, last_error = ?4"
                      " WHERE id = ?1 AND sent IS NULL",
                      id, (int64_t)now, (int64_t)next_attempt, why, error_r);
}

int
sg_store_sql_outbox_next_due(void *be, time_t lease, time_t *when_r,
                             const char **error_r)
{
    struct sg_sql_stmt *st =
        prepare(be,
                "SELECT min(CASE WHEN claimed_at IS NULL"
                " THEN next_attempt"
                " WHEN next_attempt > claimed_at + ?1 THEN next_attempt"
                " ELSE claimed_at + ?1 END)"
                " FROM outbox WHERE sent IS NULL"
                " AND failed IS NULL",
                error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_int(st, 1, (int64_t)lease);
    int rc = sg_sql_step(st,
                         "outbox: cannot read the next "
                         "notice due",
                         error_r);
    if (rc <= 0)
        return finish(st, rc < 0 ? -1 : fail(error_r, "outbox: no answer"));
    *when_r = (time_t)sg_sql_int(st, 0);
    return finish(st, 0);
}

/* The rows st selects (ROW_COLUMNS, then the message when
 * with_message); st is finished here. */
static int
read_rows(struct sg_sql_stmt *st, bool with_message,
          struct sg_outbox_row **rows_r, size_t *n_r, const char **error_r)
{
    struct sg_outbox_row *rows = NULL;
    size_t n = 0, cap = 0;
    int r = 0, rc;
    while (r == 0 && (rc = sg_sql_step(st,
                                       "outbox: cannot "
                                       "read the notices",
                                       error_r)) == 1) {
        if (n == cap) {
            size_t c = cap > 0 ? cap * 2 : 16;
            struct sg_outbox_row *m = realloc(rows, c * sizeof(*m));
            if (m == NULL) {
                r = fail(error_r, "out of memory");
                break;
            }
            rows = m;
            cap = c;
        }
        if (read_row(st, with_message, &rows[n]) < 0)
            r = fail(error_r, "out of memory");
        else
            n++;
    }
    /* an error mid-read is an error, never a shorter list */
    if (r == 0 && rc < 0)
        r = -1;
    finish(st, r);
    if (r < 0) {
        sg_outbox_rows_free(&rows, n);
        return -1;
    }
    *rows_r = rows;
    *n_r = n;
    return 0;
}

int
sg_store_sql_outbox_list(void *be, bool all, struct sg_outbox_row **rows_r,
                         size_t *n_r, const char **error_r)
{
    struct sg_sql_stmt *st =
        prepare(be,
                all ? "SELECT " ROW_COLUMNS " FROM outbox ORDER BY id"
                    : "SELECT " ROW_COLUMNS " FROM outbox"
                      " WHERE sent IS NULL ORDER BY id",
                error_r);
    if (st == NULL)
        return -1;
    return read_rows(st, false, rows_r, n_r, error_r);
}

int
sg_store_sql_outbox_of_record(void *be, const char *record_id,
                              struct sg_outbox_row **rows_r, size_t *n_r,
                              const char **error_r)
{
    struct sg_sql_stmt *st =
        prepare(be,
                "SELECT " ROW_COLUMNS ", message FROM outbox"
                " WHERE record_id = ?1 ORDER BY id",
                error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_text(st, 1, record_id);
    return read_rows(st, true, rows_r, n_r, error_r);
}
