/*
 * store_outbox.c - the outbox's front: batches of rendered notices, the
 * backoff, and the calls that the store's backend answers (for SQLite,
 * store_sqlite_outbox.c, the only code that knows the table).  See
 * store_outbox.h for the life of a row.
 *
 * Fails by returning -1 with an error string through sg_store_fail
 * (common/sg_error.h); never logs, never exits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_buf.h"
#include "sg_person.h"
#include "store_int.h"

#define fail sg_store_fail

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
                    const char *env_from, const char *const *to, size_t n_to,
                    const char *message_id, const char *message,
                    const char **error_r)
{
    if (kind == NULL || env_from == NULL || message_id == NULL ||
        message == NULL || n_to == 0)
        return fail(error_r, "outbox: a notice without its kind, sender, "
                             "recipients, Message-ID or text");
    if (b->n == b->cap) {
        size_t cap = b->cap > 0 ? b->cap * 2 : 4;
        struct sg_outbox_item *items = realloc(b->items, cap * sizeof(*items));
        if (items == NULL)
            return fail(error_r, "out of memory");
        b->items = items;
        b->cap = cap;
    }
    struct sg_buf r = SG_BUF_INIT;
    for (size_t i = 0; i < n_to; i++) {
        if (to[i] == NULL || strchr(to[i], '\n') != NULL) {
            sg_buf_free(&r);
            return fail(error_r, "outbox: a recipient is missing or has a "
                                 "line break");
        }
        if (i > 0)
            sg_buf_putc(&r, '\n');
        sg_buf_puts(&r, to[i]);
    }
    struct sg_outbox_item it = {
        .kind = strdup(kind),
        .env_from = strdup(env_from),
        .rcpts = sg_buf_steal(&r), /* NULL if an append failed */
        .message_id = strdup(message_id),
        .message = strdup(message),
    };
    b->items[b->n++] = it;
    if (it.kind == NULL || it.env_from == NULL || it.rcpts == NULL ||
        it.message_id == NULL || it.message == NULL) {
        sg_buf_free(&r);
        return fail(error_r, "out of memory");
    }
    return 0;
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

/* ------------------------------------------------------------ calls */

int
sg_outbox_add(struct sg_store *q, const struct sg_outbox_batch *b,
              const char *record_id, time_t now, const char **error_r)
{
    void *bs;
    const struct sg_store_backend *be = sg_store_backend_of(q, &bs);
    return be->outbox_add(bs, b, record_id, now, error_r);
}

int
sg_outbox_claim(struct sg_store *q, time_t now, time_t lease, bool early,
                int64_t after_id, struct sg_outbox_row *row_r,
                const char **error_r)
{
    void *bs;
    const struct sg_store_backend *be = sg_store_backend_of(q, &bs);
    return be->outbox_claim(bs, now, lease, early, after_id, row_r, error_r);
}

int
sg_outbox_mark_sent(struct sg_store *q, int64_t id, time_t now,
                    const char **error_r)
{
    void *bs;
    const struct sg_store_backend *be = sg_store_backend_of(q, &bs);
    return be->outbox_mark_sent(bs, id, now, error_r);
}

static _Atomic unsigned backoff_first = SG_OUTBOX_BACKOFF_FIRST;

void
sg_outbox_set_backoff_first(unsigned seconds)
{
    backoff_first = seconds > 0 && seconds <= SG_OUTBOX_BACKOFF_MAX
                        ? seconds
                        : SG_OUTBOX_BACKOFF_FIRST;
}

time_t
sg_outbox_backoff(int attempts)
{
    time_t wait = backoff_first;
    for (int i = 1; i < attempts && wait < SG_OUTBOX_BACKOFF_MAX; i++)
        wait *= 2;
    return wait < SG_OUTBOX_BACKOFF_MAX ? wait : SG_OUTBOX_BACKOFF_MAX;
}

int
sg_outbox_mark_retry(struct sg_store *q, int64_t id, time_t now, int attempts,
                     bool give_up, const char *why, const char **error_r)
{
    void *bs;
    const struct sg_store_backend *be = sg_store_backend_of(q, &bs);
    return be->outbox_mark_retry(bs, id, now, now + sg_outbox_backoff(attempts),
                                 give_up, why, error_r);
}

int
sg_outbox_next_due(struct sg_store *q, time_t lease, time_t *when_r,
                   const char **error_r)
{
    void *bs;
    const struct sg_store_backend *be = sg_store_backend_of(q, &bs);
    return be->outbox_next_due(bs, lease, when_r, error_r);
}

int
sg_outbox_list(struct sg_store *q, bool all, struct sg_outbox_row **rows_r,
               size_t *n_r, const char **error_r)
{
    void *bs;
    const struct sg_store_backend *be = sg_store_backend_of(q, &bs);
    return be->outbox_list(bs, all, rows_r, n_r, error_r);
}

int
sg_outbox_of_record(struct sg_store *q, const char *record_id,
                    struct sg_outbox_row **rows_r, size_t *n_r,
                    const char **error_r)
{
    void *bs;
    const struct sg_store_backend *be = sg_store_backend_of(q, &bs);
    return be->outbox_of_record(bs, record_id, rows_r, n_r, error_r);
}
