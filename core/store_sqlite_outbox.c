/*
 * store_sqlite_outbox.c - the SQLite backend's outbox table: the rows of
 * a hold's notices in its transaction, rows of their own, claims, marks,
 * and reads (store_outbox.h says what each does; the table is in
 * store_sqlite_schema.c, version 4).
 *
 * A claim is one UPDATE ... RETURNING, so two senders (the daemon and
 * safeguard-review, or two threads) never get the same row.  Every read
 * of rows goes through sg_store_sqlite_step: a failure mid-read is an
 * error, never a shorter list.  Every statement is parameterised.
 *
 * Fails by returning -1 with the store's error string; never logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_person.h"
#include "store_sqlite_int.h"

#define fail sg_store_fail

/* The store's connection, locked, with sql prepared on it; NULL (and the
 * lock given back) when it cannot be prepared. */
static sqlite3_stmt *
prepare(struct sg_store_sqlite *s, const char *sql, const char **error_r)
{
    pthread_mutex_lock(&s->lock);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sg_store_sqlite_fail_db(s, "outbox: cannot prepare a statement",
                                error_r);
        sqlite3_finalize(st);
        pthread_mutex_unlock(&s->lock);
        return NULL;
    }
    return st;
}

/* Finalize st, give the connection back, return r. */
static int
finish(struct sg_store_sqlite *s, sqlite3_stmt *st, int r)
{
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->lock);
    return r;
}

/* ------------------------------------------------------------ writing */

int
sg_store_sqlite_outbox_insert(struct sg_store_sqlite *s,
                              const struct sg_outbox_batch *b,
                              const char *record_id, time_t now,
                              const char **error_r)
{
    if (b == NULL || b->n == 0)
        return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO outbox (created, kind, record_id,"
                           " env_from, recipients, message_id, message,"
                           " attempts, next_attempt)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return sg_store_sqlite_fail_db(s, "outbox: cannot prepare an insert",
                                       error_r);
    int r = 0;
    for (size_t i = 0; r == 0 && i < b->n; i++) {
        const struct sg_outbox_item *it = &b->items[i];
        sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
        sg_store_sqlite_bind_text(st, 2, it->kind);
        sg_store_sqlite_bind_text(st, 3, record_id);
        sg_store_sqlite_bind_text(st, 4, it->env_from);
        sg_store_sqlite_bind_text(st, 5, it->rcpts);
        sg_store_sqlite_bind_text(st, 6, it->message_id);
        sg_store_sqlite_bind_text(st, 7, it->message);
        if (sqlite3_step(st) != SQLITE_DONE)
            r = sg_store_sqlite_fail_db(s, "outbox: cannot insert a notice",
                                        error_r);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    sqlite3_finalize(st);
    return r;
}

int
sg_store_sqlite_outbox_add(void *be, const struct sg_outbox_batch *b,
                           const char *record_id, time_t now,
                           const char **error_r)
{
    struct sg_store_sqlite *s = be;
    pthread_mutex_lock(&s->lock);
    int r = sg_store_sqlite_exec(s, "BEGIN IMMEDIATE",
                                 "cannot start a transaction", error_r);
    if (r == 0)
        r = sg_store_sqlite_outbox_insert(s, b, record_id, now, error_r);
    if (r == 0)
        r = sg_store_sqlite_exec(s, "COMMIT", "cannot commit the notices",
                                 error_r);
    if (r < 0)
        sg_store_sqlite_rollback(s);
    pthread_mutex_unlock(&s->lock);
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
read_row(sqlite3_stmt *st, bool with_message, struct sg_outbox_row *row)
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
        const unsigned char *t = sqlite3_column_text(st, texts[i].col);
        if (t != NULL && (*texts[i].to = strdup((const char *)t)) == NULL)
            oom = true;
    }
    if (split_rcpts(row, (const char *)sqlite3_column_text(st, 5)) < 0)
        oom = true;
    row->id = sqlite3_column_int64(st, 0);
    row->created = (time_t)sqlite3_column_int64(st, 1);
    row->attempts = sqlite3_column_int(st, 7);
    row->next_attempt = (time_t)sqlite3_column_int64(st, 8);
    row->claimed_at = (time_t)sqlite3_column_int64(st, 9);
    row->sent = (time_t)sqlite3_column_int64(st, 10);
    row->failed = (time_t)sqlite3_column_int64(st, 11);
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
    "sent IS NULL AND failed IS NULL AND (next_attempt <= ?1 OR ?3)"           \
    " AND (claimed_at IS NULL OR claimed_at <= ?1 - ?2) AND id > ?4"

int
sg_store_sqlite_outbox_claim(void *be, time_t now, time_t lease, bool early,
                             int64_t after_id, struct sg_outbox_row *row_r,
                             const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st = prepare(s,
                               "UPDATE outbox SET claimed_at = ?1,"
                               " attempts = attempts + 1 WHERE id ="
                               " (SELECT id FROM outbox WHERE " DUE
                               " ORDER BY CASE WHEN ?3 THEN 0"
                               " ELSE next_attempt END, id LIMIT 1) AND " DUE
                               " RETURNING " ROW_COLUMNS ", message",
                               error_r);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)lease);
    sqlite3_bind_int(st, 3, early ? 1 : 0);
    sqlite3_bind_int64(st, 4, early ? (sqlite3_int64)after_id : 0);
    int rc =
        sg_store_sqlite_step(s, st, "outbox: cannot claim a notice", error_r);
    if (rc <= 0)
        return finish(s, st, rc);
    if (read_row(st, true, row_r) < 0)
        return finish(s, st, fail(error_r, "out of memory"));
    if (sg_store_sqlite_step(s, st, "outbox: cannot claim a notice", error_r) !=
        0) {
        sg_outbox_row_clear(row_r);
        return finish(s, st, -1);
    }
    return finish(s, st, 1);
}

/* Run one UPDATE of a row: ?1 is the id, ?2 ?3 ?4 the values (a value
 * the statement does not use is not bound). */
static int
update_row(struct sg_store_sqlite *s, const char *sql, int64_t id,
           sqlite3_int64 v2, sqlite3_int64 v3, const char *v4,
           const char **error_r)
{
    sqlite3_stmt *st = prepare(s, sql, error_r);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    sqlite3_bind_int64(st, 2, v2);
    sqlite3_bind_int64(st, 3, v3);
    sg_store_sqlite_bind_text(st, 4, v4);
    if (sqlite3_step(st) != SQLITE_DONE)
        return finish(s, st,
                      sg_store_sqlite_fail_db(s,
                                              "outbox: cannot update a "
                                              "notice",
                                              error_r));
    return finish(s, st, 0);
}

int
sg_store_sqlite_outbox_mark_sent(void *be, int64_t id, time_t now,
                                 const char **error_r)
{
    return update_row(be,
                      "UPDATE outbox SET sent = ?2, claimed_at = NULL,"
                      " last_error = NULL WHERE id = ?1 AND sent IS NULL",
                      id, (sqlite3_int64)now, 0, NULL, error_r);
}

int
sg_store_sqlite_outbox_mark_retry(void *be, int64_t id, time_t now,
                                  time_t next_attempt, bool give_up,
                                  const char *why, const char **error_r)
{
    if (give_up)
        return update_row(be,
                          "UPDATE outbox SET failed = ?2, claimed_at = NULL,"
                          " last_error = ?4 WHERE id = ?1 AND sent IS NULL",
                          id, (sqlite3_int64)now, 0, why, error_r);
    return update_row(be,
                      "UPDATE outbox SET next_attempt = ?3,"
                      " claimed_at = NULL, last_error = ?4"
                      " WHERE id = ?1 AND sent IS NULL",
                      id, (sqlite3_int64)now, (sqlite3_int64)next_attempt, why,
                      error_r);
}

int
sg_store_sqlite_outbox_next_due(void *be, time_t lease, time_t *when_r,
                                const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st = prepare(s,
                               "SELECT min(CASE WHEN claimed_at IS NULL"
                               " THEN next_attempt"
                               " ELSE max(next_attempt, claimed_at + ?1) END)"
                               " FROM outbox WHERE sent IS NULL"
                               " AND failed IS NULL",
                               error_r);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)lease);
    int rc = sg_store_sqlite_step(s, st,
                                  "outbox: cannot read the next "
                                  "notice due",
                                  error_r);
    if (rc <= 0)
        return finish(s, st, rc < 0 ? -1 : fail(error_r, "outbox: no answer"));
    *when_r = (time_t)sqlite3_column_int64(st, 0);
    return finish(s, st, 0);
}

/* The rows st selects (ROW_COLUMNS, then the message when
 * with_message); st is finished here. */
static int
read_rows(struct sg_store_sqlite *s, sqlite3_stmt *st, bool with_message,
          struct sg_outbox_row **rows_r, size_t *n_r, const char **error_r)
{
    struct sg_outbox_row *rows = NULL;
    size_t n = 0, cap = 0;
    int r = 0, rc;
    while (r == 0 && (rc = sg_store_sqlite_step(s, st,
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
    finish(s, st, r);
    if (r < 0) {
        sg_outbox_rows_free(&rows, n);
        return -1;
    }
    *rows_r = rows;
    *n_r = n;
    return 0;
}

int
sg_store_sqlite_outbox_list(void *be, bool all, struct sg_outbox_row **rows_r,
                            size_t *n_r, const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st =
        prepare(s,
                all ? "SELECT " ROW_COLUMNS " FROM outbox ORDER BY id"
                    : "SELECT " ROW_COLUMNS " FROM outbox"
                      " WHERE sent IS NULL ORDER BY id",
                error_r);
    if (st == NULL)
        return -1;
    return read_rows(s, st, false, rows_r, n_r, error_r);
}

int
sg_store_sqlite_outbox_of_record(void *be, const char *record_id,
                                 struct sg_outbox_row **rows_r, size_t *n_r,
                                 const char **error_r)
{
    struct sg_store_sqlite *s = be;
    sqlite3_stmt *st = prepare(s,
                               "SELECT " ROW_COLUMNS ", message FROM outbox"
                               " WHERE record_id = ?1 ORDER BY id",
                               error_r);
    if (st == NULL)
        return -1;
    sg_store_sqlite_bind_text(st, 1, record_id);
    return read_rows(s, st, true, rows_r, n_r, error_r);
}
