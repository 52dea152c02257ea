/*
 * store_outbox.c - the outbox table: notices rendered and waiting for the
 * local sendmail (see store_outbox.h for the life of a row).
 *
 * SCHEMA (in the quarantine database, created at open when missing).
 * Times are Unix seconds (UTC).
 *
 *   outbox       one row per notice
 *     id           INTEGER PRIMARY KEY AUTOINCREMENT
 *     created      INTEGER NOT NULL   when it was rendered
 *     kind         TEXT NOT NULL      held-sender | held-dsl |
 *                                     rejected-sender | digest-dsl
 *     record_id    TEXT               the record it is about (not a
 *                                     foreign key: rows outlive records)
 *     env_from     TEXT NOT NULL      envelope sender
 *     recipients   TEXT NOT NULL      envelope recipients, one per line
 *     message_id   TEXT NOT NULL UNIQUE  the Message-ID in message
 *     message      TEXT NOT NULL      the whole rendered message
 *     attempts     INTEGER NOT NULL   claims so far
 *     next_attempt INTEGER NOT NULL   not to be tried before
 *     claimed_at   INTEGER            a sender is at it since (NULL: none)
 *     sent         INTEGER            handed to sendmail (NULL: not yet)
 *     failed       INTEGER            given up (NULL: not)
 *     last_error   TEXT               why the last attempt failed
 *
 * SECURITY: the message holds names, rules and findings from held mail,
 * as the records do; it lives in the same 0640 database.  Recipients are
 * addresses the notices module checked (no control characters), so a
 * newline separates them safely.  Every statement is parameterised.
 *
 * Fails by returning -1 with the store's thread-local error string
 * (sg_quarantine_fail) naming the database and SQLite's reason; never
 * logs, never exits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_buf.h"
#include "sg_person.h"
#include "store.h"
#include "store_outbox.h"

#define fail sg_quarantine_fail

static int
fail_db(sqlite3 *db, const char *path, const char *what,
        const char **error_r)
{
    return fail(error_r, "quarantine database %s: outbox: %s: %s", path,
                what, sqlite3_errmsg(db));
}

/* The store's connection, locked, with sql prepared on it; NULL (and the
 * lock given back) when it cannot be prepared. */
static sqlite3_stmt *
prepare(struct sg_quarantine *q, const char *sql, const char **error_r)
{
    sqlite3 *db = sg_quarantine_db_acquire(q);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fail_db(db, sg_quarantine_db_path(q), "cannot prepare a statement",
                error_r);
        sqlite3_finalize(st);
        sg_quarantine_db_release(q);
        return NULL;
    }
    return st;
}

/* Finalize st, give the connection back, return r. */
static int
finish(struct sg_quarantine *q, sqlite3_stmt *st, int r)
{
    sqlite3_finalize(st);
    sg_quarantine_db_release(q);
    return r;
}

/* A failed step of st, on q's connection (locked). */
static int
fail_step(struct sg_quarantine *q, sqlite3_stmt *st, const char *what,
          const char **error_r)
{
    return fail_db(sqlite3_db_handle(st), sg_quarantine_db_path(q), what,
                   error_r);
}

/* ------------------------------------------------------------ batches */

void
sg_outbox_batch_free(struct sg_outbox_batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++) {
        struct sg_outbox_item *it = &b->items[i];
        free(it->kind);
        free(it->env_from);
        free(it->rcpts);
        free(it->message_id);
        free(it->message);
    }
    free(b->items);
    memset(b, 0, sizeof(*b));
}

int
sg_outbox_batch_add(struct sg_outbox_batch *b, const char *kind,
                    const char *env_from, const char *const *to,
                    size_t n_to, const char *message_id,
                    const char *message, const char **error_r)
{
    if (kind == NULL || env_from == NULL || message_id == NULL ||
        message == NULL || n_to == 0)
        return fail(error_r, "outbox: a notice without its kind, sender, "
                             "recipients, Message-ID or text");
    if (b->n == b->cap) {
        size_t cap = b->cap > 0 ? b->cap * 2 : 4;
        struct sg_outbox_item *items =
            realloc(b->items, cap * sizeof(*items));
        if (items == NULL)
            return fail(error_r, "out of memory");
        b->items = items;
        b->cap = cap;
    }
    struct sg_buf r = SG_BUF_INIT;
    int bad = 0;
    for (size_t i = 0; i < n_to; i++) {
        if (to[i] == NULL || strchr(to[i], '\n') != NULL)
            return fail(error_r, "outbox: a recipient is missing or has a "
                                 "line break");
        bad |= (i > 0 && sg_buf_putc(&r, '\n') < 0) ||
               sg_buf_puts(&r, to[i]) < 0;
    }
    struct sg_outbox_item it = {
        .kind = strdup(kind),
        .env_from = strdup(env_from),
        .rcpts = sg_buf_steal(&r),
        .message_id = strdup(message_id),
        .message = strdup(message),
    };
    b->items[b->n++] = it;
    if (bad || it.kind == NULL || it.env_from == NULL || it.rcpts == NULL ||
        it.message_id == NULL || it.message == NULL) {
        sg_buf_free(&r);
        return fail(error_r, "out of memory");
    }
    return 0;
}

/* ------------------------------------------------------------ schema */

static const char outbox_schema[] =
    "CREATE TABLE IF NOT EXISTS outbox ("
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
    "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (next_attempt)"
    " WHERE sent IS NULL AND failed IS NULL;"
    "CREATE INDEX IF NOT EXISTS outbox_record ON outbox (record_id);";

int
sg_outbox_schema(sqlite3 *db, const char *db_path, const char **error_r)
{
    if (sqlite3_exec(db, outbox_schema, NULL, NULL, NULL) != SQLITE_OK)
        return fail_db(db, db_path, "cannot create the table", error_r);
    return 0;
}

/* ------------------------------------------------------------ writing */

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
sg_outbox_insert(sqlite3 *db, const char *db_path,
                 const struct sg_outbox_batch *b, const char *record_id,
                 time_t now, const char **error_r)
{
    if (b == NULL || b->n == 0)
        return 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO outbox (created, kind, record_id,"
                           " env_from, recipients, message_id, message,"
                           " attempts, next_attempt)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return fail_db(db, db_path, "cannot prepare an insert", error_r);
    int r = 0;
    for (size_t i = 0; r == 0 && i < b->n; i++) {
        const struct sg_outbox_item *it = &b->items[i];
        sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
        bind_text(st, 2, it->kind);
        bind_text(st, 3, record_id);
        bind_text(st, 4, it->env_from);
        bind_text(st, 5, it->rcpts);
        bind_text(st, 6, it->message_id);
        bind_text(st, 7, it->message);
        if (sqlite3_step(st) != SQLITE_DONE)
            r = fail_db(db, db_path, "cannot insert a notice", error_r);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
    sqlite3_finalize(st);
    return r;
}

int
sg_outbox_add(struct sg_quarantine *q, const struct sg_outbox_batch *b,
              const char *record_id, time_t now, const char **error_r)
{
    const char *path = sg_quarantine_db_path(q);
    sqlite3 *db = sg_quarantine_db_acquire(q);
    int r = 0;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        r = fail_db(db, path, "cannot start a transaction", error_r);
    else if ((r = sg_outbox_insert(db, path, b, record_id, now, error_r)) ==
                 0 &&
             sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        r = fail_db(db, path, "cannot commit the notices", error_r);
    if (r < 0)
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sg_quarantine_db_release(q);
    return r;
}

/* ------------------------------------------------------------ rows */

const char *
sg_outbox_state_name(enum sg_outbox_state state)
{
    switch (state) {
    case SG_OUTBOX_PENDING:
        return "pending";
    case SG_OUTBOX_SENT:
        return "sent";
    case SG_OUTBOX_FAILED:
        return "failed";
    }
    return "?";
}

void
sg_outbox_row_clear(struct sg_outbox_row *row)
{
    if (row == NULL)
        return;
    free(row->kind);
    free(row->record_id);
    free(row->env_from);
    sg_strv_free(&row->rcpts, &row->n_rcpts);
    free(row->message_id);
    free(row->message);
    free(row->last_error);
    memset(row, 0, sizeof(*row));
}

void
sg_outbox_rows_free(struct sg_outbox_row **rows, size_t n)
{
    if (rows == NULL || *rows == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        sg_outbox_row_clear(&(*rows)[i]);
    free(*rows);
    *rows = NULL;
}

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
    "id, created, kind, record_id, env_from, recipients, message_id,"         \
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
    } texts[] = {{2, &row->kind},       {3, &row->record_id},
                 {4, &row->env_from},   {6, &row->message_id},
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

#define DUE                                                                    \
    "sent IS NULL AND failed IS NULL AND (next_attempt <= ?1 OR ?3)"         \
    " AND (claimed_at IS NULL OR claimed_at <= ?1 - ?2)"

int
sg_outbox_claim(struct sg_quarantine *q, time_t now, time_t lease,
                bool early, struct sg_outbox_row *row_r,
                const char **error_r)
{
    sqlite3_stmt *st = prepare(q,
                               "UPDATE outbox SET claimed_at = ?1,"
                               " attempts = attempts + 1 WHERE id ="
                               " (SELECT id FROM outbox WHERE " DUE
                               " ORDER BY next_attempt, id LIMIT 1) AND " DUE
                               " RETURNING " ROW_COLUMNS ", message",
                               error_r);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)lease);
    sqlite3_bind_int(st, 3, early ? 1 : 0);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return finish(q, st, 0);
    if (rc != SQLITE_ROW)
        return finish(q, st, fail_step(q, st, "cannot claim a notice",
                                       error_r));
    if (read_row(st, true, row_r) < 0)
        return finish(q, st, fail(error_r, "out of memory"));
    if (sqlite3_step(st) != SQLITE_DONE) {
        sg_outbox_row_clear(row_r);
        return finish(q, st, fail_step(q, st, "cannot claim a notice",
                                       error_r));
    }
    return finish(q, st, 1);
}

/* Run one UPDATE of a row: ?1 is the id, ?2 ?3 ?4 the values (a value
 * the statement does not use is not bound). */
static int
update_row(struct sg_quarantine *q, const char *sql, int64_t id,
           sqlite3_int64 v2, sqlite3_int64 v3, const char *v4,
           const char **error_r)
{
    sqlite3_stmt *st = prepare(q, sql, error_r);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    sqlite3_bind_int64(st, 2, v2);
    sqlite3_bind_int64(st, 3, v3);
    bind_text(st, 4, v4);
    if (sqlite3_step(st) != SQLITE_DONE)
        return finish(q, st, fail_step(q, st, "cannot update a notice",
                                       error_r));
    return finish(q, st, 0);
}

int
sg_outbox_mark_sent(struct sg_quarantine *q, int64_t id, time_t now,
                    const char **error_r)
{
    return update_row(q,
                      "UPDATE outbox SET sent = ?2, claimed_at = NULL,"
                      " last_error = NULL WHERE id = ?1 AND sent IS NULL",
                      id, (sqlite3_int64)now, 0, NULL, error_r);
}

time_t
sg_outbox_backoff(int attempts)
{
    time_t wait = SG_OUTBOX_BACKOFF_FIRST;
    for (int i = 1; i < attempts && wait < SG_OUTBOX_BACKOFF_MAX; i++)
        wait *= 2;
    return wait < SG_OUTBOX_BACKOFF_MAX ? wait : SG_OUTBOX_BACKOFF_MAX;
}

int
sg_outbox_mark_retry(struct sg_quarantine *q, int64_t id, time_t now,
                     int attempts, bool give_up, const char *why,
                     const char **error_r)
{
    if (give_up)
        return update_row(q,
                          "UPDATE outbox SET failed = ?2, claimed_at = NULL,"
                          " last_error = ?4 WHERE id = ?1 AND sent IS NULL",
                          id, (sqlite3_int64)now, 0, why, error_r);
    return update_row(q,
                      "UPDATE outbox SET next_attempt = ?2 + ?3,"
                      " claimed_at = NULL, last_error = ?4"
                      " WHERE id = ?1 AND sent IS NULL",
                      id, (sqlite3_int64)now,
                      (sqlite3_int64)sg_outbox_backoff(attempts), why,
                      error_r);
}

int
sg_outbox_next_due(struct sg_quarantine *q, time_t lease, time_t *when_r,
                   const char **error_r)
{
    sqlite3_stmt *st = prepare(q,
                               "SELECT min(CASE WHEN claimed_at IS NULL"
                               " THEN next_attempt"
                               " ELSE max(next_attempt, claimed_at + ?1) END)"
                               " FROM outbox WHERE sent IS NULL"
                               " AND failed IS NULL",
                               error_r);
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)lease);
    if (sqlite3_step(st) != SQLITE_ROW)
        return finish(q, st, fail_step(q, st, "cannot read the next notice "
                                              "due",
                                       error_r));
    *when_r = (time_t)sqlite3_column_int64(st, 0);
    return finish(q, st, 0);
}

int
sg_outbox_list(struct sg_quarantine *q, bool all,
               struct sg_outbox_row **rows_r, size_t *n_r,
               const char **error_r)
{
    sqlite3_stmt *st = prepare(q,
                               all ? "SELECT " ROW_COLUMNS
                                     " FROM outbox ORDER BY id"
                                   : "SELECT " ROW_COLUMNS " FROM outbox"
                                     " WHERE sent IS NULL ORDER BY id",
                               error_r);
    if (st == NULL)
        return -1;
    struct sg_outbox_row *rows = NULL;
    size_t n = 0, cap = 0;
    int r = 0, rc;
    while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
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
        if (read_row(st, false, &rows[n]) < 0)
            r = fail(error_r, "out of memory");
        else
            n++;
    }
    /* an error mid-read is an error, never a shorter list */
    if (r == 0 && rc != SQLITE_DONE)
        r = fail_step(q, st, "cannot read the notices", error_r);
    finish(q, st, r);
    if (r < 0) {
        sg_outbox_rows_free(&rows, n);
        return -1;
    }
    *rows_r = rows;
    *n_r = n;
    return 0;
}
