/*
 * quarantine.h - the quarantine record store: one SQLite database (WAL)
 * and, beside it, a directory holding a copy of each held message.
 *
 * The milter calls sg_quarantine_hold() at end of message for a verdict of
 * hold, before it answers the MTA: the message copy and the record (sender,
 * recipients and their roles, every matching rule, its findings and
 * explanations, and an audit row) are written completely or not at all.
 * If the call fails, the milter tempfails the message: a message is never
 * held without a record.  The review tool (safeguard-review) reads the same
 * store and changes a record's status with sg_quarantine_set_status().
 *
 * A struct sg_quarantine may be used by any number of threads at once.
 *
 * Errors: functions return 0 on success and -1 on failure, with *error_r
 * pointing at a message in a thread-local buffer, valid until the next call
 * of an sg_quarantine_* function in the same thread.  Messages name the
 * file concerned and never contain message content.
 */
#ifndef SG_QUARANTINE_H
#define SG_QUARANTINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mailqueue.h"
#include "sg_person.h"
#include "sg_rules.h"

struct sg_outbox_batch;

/* The schema version this code writes (PRAGMA user_version).  A database
 * with a newer version is refused; an older one is upgraded at open. */
#define SG_QUARANTINE_SCHEMA_VERSION 2

/* How long a call waits for another process (or connection) holding the
 * database's write lock before it gives up, by default. */
#define SG_QUARANTINE_BUSY_TIMEOUT_MS 5000

/* Results besides 0 and -1. */
#define SG_QUARANTINE_NOT_FOUND 1    /* no record with that id */
#define SG_QUARANTINE_WRONG_STATUS 2 /* the record is not in from_status */
#define SG_QUARANTINE_BUSY 3         /* the review lock is taken */
#define SG_QUARANTINE_CHANGED 4      /* the status was changed */

enum sg_quarantine_status {
    SG_QSTATUS_HELD = 0,
    SG_QSTATUS_RELEASED,
    SG_QSTATUS_REJECTED,
    SG_QSTATUS_EXPIRED,
    SG_QSTATUS_ESCALATED,
    SG_QSTATUS_LOST, /* the mail system did not keep (hold) the message */
};

/* "held", "released", "rejected", "expired", "escalated", "lost" (the
 * strings stored in records.status); "?" for a value out of range. */
const char *sg_quarantine_status_name(enum sg_quarantine_status status);
/* The same in words for people: "held", ..., "not kept by the mail
 * system". */
const char *sg_quarantine_status_title(enum sg_quarantine_status status);
/* 0, or -1 when name is not a status. */
int sg_quarantine_status_parse(const char *name,
                               enum sg_quarantine_status *status_r);

struct sg_quarantine;

/* Open (creating on first use) the database at db_path and the message
 * directory store_dir (created with mode 0750 if missing; its parent must
 * exist).  A new database file is created with mode 0640.  Refuses a
 * database with a newer schema version, one made by another program, and
 * one that cannot be written. */
int sg_quarantine_open(const char *db_path, const char *store_dir,
                       struct sg_quarantine **q_r, const char **error_r);
/* Change how long a call waits for a busy database (milliseconds). */
void sg_quarantine_set_busy_timeout(struct sg_quarantine *q, int ms);
void sg_quarantine_close(struct sg_quarantine **q);

/* Everything about one held message.  Strings are copied; NULL is allowed
 * where marked.  The message is either in memory (data != NULL: data, len;
 * an empty message is data "" with len 0) or, when data is NULL, in the
 * file fd, of which the first fd_size bytes are read with pread from
 * offset 0 (the file offset is not used or changed).  From a struct
 * sg_msgbuf: data = spilled ? NULL : (mem.data ? mem.data : ""),
 * len = mem.len, fd = fd, fd_size = size. */
struct sg_hold {
    const char *queue_id; /* the MTA's queue id */
    time_t time;          /* when it was held */
    const char *client;   /* client address; NULL if unknown */
    bool client_trusted;  /* client in trusted_networks */
    const char *auth_user; /* SMTP AUTH user; NULL if none */
    const char *env_from;  /* envelope sender ("" for <>) */
    const struct sg_party *rcpts;
    size_t n_rcpts;
    const char *subject; /* decoded subject; NULL if none */
    const struct sg_verdict *verdict;
    const char *data;
    size_t len;
    int fd;
    uint64_t fd_size;
    /* The notices that go with the record (may be NULL): called once the
     * record's id is chosen, it renders them into batch, and the store
     * writes them to the outbox in the record's own transaction.  It
     * cannot fail the hold: it keeps its own errors. */
    void (*notices)(void *ctx, const char *record_id,
                    struct sg_outbox_batch *batch);
    void *notices_ctx;
};

/* Store the message copy as STORE_DIR/ID.eml (mode 0640) and the record
 * with its recipients, rules, findings and a "held" audit row, all or
 * nothing.  *record_id_r is the new record's id, "SG-YYYYMMDD-XXXXXX"
 * (the UTC date of hold->time and random hex), for the caller to free(). */
int sg_quarantine_hold(struct sg_quarantine *q, const struct sg_hold *hold,
                       char **record_id_r, const char **error_r);

/* One record, as sg_quarantine_get() returns it.  NULL where the column
 * is NULL (client, auth_user, subject; message_path once the copy has
 * been purged). */
struct sg_quarantine_record {
    char *id;
    char *queue_id;
    time_t created;
    char *client;
    bool trusted;
    char *auth_user;
    char *env_from;
    char *subject;
    enum sg_quarantine_status status;
    time_t status_changed;
    char *message_path;
    uint64_t message_size;
    char *action;
    char *explain_sender;
    char *explain_dsl;
    time_t queue_seen; /* first seen in the hold queue; 0: not yet */
};

/* 0 and *record_r (free with sg_quarantine_record_free), or
 * SG_QUARANTINE_NOT_FOUND, or -1. */
int sg_quarantine_get(struct sg_quarantine *q, const char *record_id,
                      struct sg_quarantine_record **record_r,
                      const char **error_r);
void sg_quarantine_record_free(struct sg_quarantine_record **record);

/* Change the record's status from from_status to to_status, only if it is
 * in from_status now (so a message is never released twice), and append an
 * audit row (actor, client the actor came from, action = the new status's
 * name, note) in the same transaction.  actor is required; client and note
 * may be NULL.  0 when changed; SG_QUARANTINE_WRONG_STATUS (the record is
 * in another status: *error_r says which) or SG_QUARANTINE_NOT_FOUND, with
 * nothing changed; -1 on error. */
int sg_quarantine_set_status(struct sg_quarantine *q, const char *record_id,
                             enum sg_quarantine_status from_status,
                             enum sg_quarantine_status to_status,
                             const char *actor, const char *client,
                             const char *note, const char **error_r);

/* Append one audit row that changes nothing else: a note on a record, a
 * login, a view.  record_id, client and note may be NULL; actor and action
 * are required.  0 or -1 (a record_id is not checked against records: the
 * audit outlives purged records). */
int sg_quarantine_audit(struct sg_quarantine *q, const char *record_id,
                        const char *actor, const char *client,
                        const char *action, const char *note,
                        const char **error_r);

/* ------------------------------------------------------------ the queue */

/* The lock on a file beside the database (DB-review.lock) that keeps a
 * decision, a sync and the daemon's reconcile from acting on one record
 * at once.  wait: block until it is free; otherwise SG_QUARANTINE_BUSY
 * when it is taken.  0 and *fd_r (give it to sg_quarantine_unlock), or
 * -1. */
int sg_quarantine_lock(struct sg_quarantine *q, bool wait, int *fd_r,
                       const char **error_r);
void sg_quarantine_unlock(int fd);

/* ids of the waiting records (held or escalated) created at or before
 * until, oldest first (free with sg_strv_free). */
int sg_quarantine_waiting_ids(struct sg_quarantine *q, time_t until,
                              char ***ids_r, size_t *n_r,
                              const char **error_r);

/* What became of a waiting record's message, given where the mail queue
 * has it now (state, and queue_name for SG_MAILQUEUE_OTHER).  Call with
 * the lock held.
 *   - on hold: the record is marked seen there (queue_seen), 0;
 *   - elsewhere or gone, after being seen on hold: it was released
 *     (elsewhere) or released or deleted (gone) by hand: released or
 *     expired, SG_QUARANTINE_CHANGED;
 *   - elsewhere or gone, never seen on hold, and older than grace
 *     seconds: the mail system did not keep the message as held (it
 *     tempfailed it when the filter stopped or answered too late, or it
 *     was never told to hold it): lost, SG_QUARANTINE_CHANGED;
 *   - younger than that, or the queue not consulted: 0.
 * A status change has an audit row (actor, client, the note) and the
 * note in note (note_size bytes), the new status in *to_r.
 * SG_QUARANTINE_WRONG_STATUS or SG_QUARANTINE_NOT_FOUND when the record
 * changed meanwhile; -1. */
int sg_quarantine_queue_check(struct sg_quarantine *q,
                              const struct sg_quarantine_record *rec,
                              enum sg_mailqueue_state state,
                              const char *queue_name, time_t now,
                              time_t grace, const char *actor,
                              const char *client,
                              enum sg_quarantine_status *to_r, char *note,
                              size_t note_size, const char **error_r);

/* Reconcile every waiting record with the mail queue: take the lock,
 * list the queue (queue_command, timeout seconds), and
 * sg_quarantine_queue_check each record.  Nothing is changed when the
 * queue cannot be listed.  each (may be NULL) is called for every record
 * changed. */
struct sg_quarantine_reconcile {
    const char *queue_command; /* "postqueue -j"; required */
    unsigned timeout;          /* seconds for the command */
    time_t now;
    time_t grace;       /* seconds a record may wait to be seen on hold */
    bool wait;          /* wait for the lock (else SG_QUARANTINE_BUSY) */
    const char *actor;  /* for the audit rows */
    const char *client; /* may be NULL */
    void (*each)(void *ctx, const struct sg_quarantine_record *rec,
                 enum sg_quarantine_status to, const char *note);
    void *ctx;
};
struct sg_quarantine_reconcile_result {
    size_t checked; /* waiting records */
    size_t seen;    /* newly seen on hold */
    size_t lost;    /* marked lost */
    size_t gone;    /* marked released or expired */
};
int sg_quarantine_reconcile(struct sg_quarantine *q,
                            const struct sg_quarantine_reconcile *o,
                            struct sg_quarantine_reconcile_result *res_r,
                            const char **error_r);

#endif
