/*
 * store_outbox.h - the outbox: notices waiting to be handed to the local
 * sendmail, kept in the quarantine database.
 *
 * A notice is rendered in full (headers, body, the keyed mark, a
 * Message-ID of its own) when it is wanted, and written as one row: the
 * daemon writes a held message's notices in the same transaction as its
 * record, the review tool writes its own (rejected, digest) in a
 * transaction of their own.  A sender (the daemon's outbox thread,
 * safeguard-review) hands rows to sendmail later, after the MTA has its
 * answer:
 *
 *   claim   one due row: claimed_at = now, attempts + 1, in one UPDATE,
 *           so two senders never hold the same row; a claim older than
 *           the lease is taken to be a sender that died and may be taken
 *           again (at least once: see doc/design-notes.md)
 *   sent    sent = now (idempotent: a row already sent stays as it is)
 *   retry   next_attempt = now + backoff, the claim released, the error
 *           kept; or, past the give-up age, failed = now (the row stays)
 *
 * Rows are never deleted here.  The calls go to the store's backend
 * (store_int.h; for SQLite, store_sqlite_outbox.c).
 *
 * Errors: -1 with *error_r set through sg_store_fail
 * (common/sg_error.h); no logging.
 */
#ifndef SG_STORE_OUTBOX_H
#define SG_STORE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sg_store;

/* The longest wait between two attempts, seconds, and the first (the
 * default of notice_retry_interval). */
#define SG_OUTBOX_BACKOFF_FIRST 60
#define SG_OUTBOX_BACKOFF_MAX   3600

/* The first wait of sg_outbox_backoff, for the whole process (the
 * configuration's notice_retry_interval): 0 for the default. */
void sg_outbox_set_backoff_first(unsigned seconds);

/* ------------------------------------------------------------ new rows */

/* One rendered notice, owned by its batch. */
struct sg_outbox_item {
    char *kind;       /* "held-dsl", "held-sender", ... */
    char *env_from;   /* envelope sender */
    char *rcpts;      /* envelope recipients, one per line */
    char *message_id; /* "<...>", the one in message */
    char *message;    /* the whole message, as sendmail reads it */
};

struct sg_outbox_batch {
    struct sg_outbox_item *items;
    size_t n, cap;
};

/* Add a copy of one notice to the batch. */
int sg_outbox_batch_add(struct sg_outbox_batch *b, const char *kind,
                        const char *env_from, const char *const *to,
                        size_t n_to, const char *message_id,
                        const char *message, const char **error_r);
void sg_outbox_batch_free(struct sg_outbox_batch *b);

/* Write the batch's rows (about record_id, may be NULL), due now, in a
 * transaction of their own.  (A hold's notices are written with its
 * record: sg_hold.notices.) */
int sg_outbox_add(struct sg_store *q, const struct sg_outbox_batch *b,
                  const char *record_id, time_t now, const char **error_r);

/* ------------------------------------------------------------ sending */

enum sg_outbox_state {
    SG_OUTBOX_PENDING = 0, /* waiting, or claimed by a sender */
    SG_OUTBOX_SENT,
    SG_OUTBOX_FAILED, /* given up */
};

struct sg_outbox_row {
    int64_t id;
    time_t created;
    char *kind;
    char *record_id; /* NULL: about no record (the digest) */
    char *env_from;
    char **rcpts;
    size_t n_rcpts;
    char *message_id;
    char *message; /* NULL in sg_outbox_list's rows */
    int attempts;  /* including a claim under way */
    time_t next_attempt;
    time_t claimed_at; /* 0: none */
    time_t sent;       /* 0: not yet */
    time_t failed;     /* 0: not given up */
    char *last_error;
    enum sg_outbox_state state;
};
void sg_outbox_row_clear(struct sg_outbox_row *row);

/* Claim the oldest due row (not sent, not failed, next_attempt <= now
 * unless early, not claimed since now - lease).  early: a row waiting
 * for its backoff counts as due (a flush asked for by hand), and rows
 * are claimed in the order of their ids, only those after after_id (the
 * last one this flush tried), so that each is tried once per flush.
 * 1 and *row_r (clear it), 0 when none is due, -1. */
int sg_outbox_claim(struct sg_store *q, time_t now, time_t lease, bool early,
                    int64_t after_id, struct sg_outbox_row *row_r,
                    const char **error_r);

/* The row was handed over. */
int sg_outbox_mark_sent(struct sg_store *q, int64_t id, time_t now,
                        const char **error_r);

/* The attempt failed with why: try again at now + sg_outbox_backoff, or
 * give up (failed = now) when give_up. */
int sg_outbox_mark_retry(struct sg_store *q, int64_t id, time_t now,
                         int attempts, bool give_up, const char *why,
                         const char **error_r);

/* Seconds to wait after the attempts'th failed attempt: 60, 120, 240, ...
 * at most SG_OUTBOX_BACKOFF_MAX. */
time_t sg_outbox_backoff(int attempts);

/* When the next pending row falls due (a claimed row: when its lease
 * ends); 0 and *when_r (0: nothing pending), or -1. */
int sg_outbox_next_due(struct sg_store *q, time_t lease, time_t *when_r,
                       const char **error_r);

/* Rows, oldest first, without their message: the unsent ones (pending
 * and failed), or with all every row.  Free with sg_outbox_rows_free. */
int sg_outbox_list(struct sg_store *q, bool all, struct sg_outbox_row **rows_r,
                   size_t *n_r, const char **error_r);
void sg_outbox_rows_free(struct sg_outbox_row **rows, size_t n);

/* The notices about one record, oldest first, with their message: what
 * its sender and the DSL were told (the review page).  Free with
 * sg_outbox_rows_free. */
int sg_outbox_of_record(struct sg_store *q, const char *record_id,
                        struct sg_outbox_row **rows_r, size_t *n_r,
                        const char **error_r);

/* "pending", "sent", "failed". */
const char *sg_outbox_state_name(enum sg_outbox_state state);

#endif
