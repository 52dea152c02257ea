/*
 * store_int.h - what the record store's front (store.c) and its backends
 * (store_sqlite*.c) share; not for callers.
 *
 * A backend is a table of functions.  It knows its schema and speaks its
 * database's language; the front knows everything else: the message
 * copies and their names, the review lock, the mail queue, the checks on
 * arguments.  The one backend is the SQL layer (store_sql.h), which
 * speaks to SQLite or PostgreSQL through a driver each.
 *
 * Contract for every backend function: 0 (or the result documented in
 * store.h) on success, -1 with *error_r set through sg_store_fail on
 * failure, nothing half-written.  A read returns all its rows or -1: a
 * failure of the database while reading rows is never the end of them.
 * Backends are called by any number of threads at once and serialise
 * themselves.
 */
#ifndef SG_STORE_INT_H
#define SG_STORE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"
#include "sg_error.h"
#include "store_outbox.h"

/* Who made the "held" audit row. */
#define SG_STORE_HOLD_ACTOR "safeguard-milter"

/* The result of insert_hold when the record id is taken. */
#define SG_STORE_DUPLICATE 5

/* One hold, ready to be written: the copy is already in place at path. */
struct sg_store_hold_rows {
    const struct sg_hold *h;
    const char *id;
    const char *path;
    uint64_t size;
    const char *explain_sender; /* the enforced rules' texts, joined */
    const char *explain_dsl;
    const struct sg_outbox_batch *notices; /* to the outbox, with it */
};

struct sg_store_backend {
    const char *name;
    /* Open (creating, or upgrading to SG_STORE_SCHEMA_VERSION) the
     * database at location. */
    int (*open)(const char *location, void **be_r, const char **error_r);
    void (*close)(void *be);
    void (*set_busy_timeout)(void *be, int ms);

    /* Optional: the database keeps each hold's copy too, written in the
     * record's transaction (PostgreSQL's copies table), and readers take
     * it from there: the copy's file is then not what the hold's
     * guarantee rests on, and is not synced. */
    bool (*copies_kept)(void *be);

    /* writes */
    /* Every row of the hold in one transaction: 0, SG_STORE_DUPLICATE
     * (nothing written), -1. */
    int (*insert_hold)(void *be, const struct sg_store_hold_rows *t,
                       const char **error_r);
    int (*set_status)(void *be, const char *record_id,
                      enum sg_store_status from, enum sg_store_status to,
                      const char *actor, const char *client, const char *note,
                      const char **error_r);
    int (*audit)(void *be, const char *record_id, const char *actor,
                 const char *client, const char *action, const char *note,
                 const char **error_r);
    /* queue_seen = now, only if not set yet. */
    int (*mark_seen)(void *be, const char *record_id, time_t now,
                     const char **error_r);
    int (*delete_decided)(void *be, const char *record_id, time_t cut,
                          const char **error_r);

    /* reads: as the sg_store_* functions of the same names */
    int (*get)(void *be, const char *record_id, struct sg_store_record **r,
               const char **error_r);
    int (*waiting_ids)(void *be, time_t until, char ***ids_r, size_t *n_r,
                       const char **error_r);
    int (*list)(void *be, const struct sg_store_filter *f,
                struct sg_store_item **items_r, size_t *n_r,
                const char **error_r);
    int (*rcpts)(void *be, const char *record_id,
                 struct sg_store_rcpt **rcpts_r, size_t *n_r,
                 const char **error_r);
    int (*rules)(void *be, const char *record_id,
                 struct sg_store_rule **rules_r, size_t *n_r,
                 const char **error_r);
    int (*findings)(void *be, const char *record_id,
                    struct sg_store_finding **findings_r, size_t *n_r,
                    const char **error_r);
    int (*audit_rows)(void *be, const char *record_id, const char *action,
                      time_t since, struct sg_store_audit_row **rows_r,
                      size_t *n_r, const char **error_r);
    int (*export)(void *be, time_t since,
                  int (*each)(void *ctx, const struct sg_store_export_row *row,
                              const char **error_r),
                  void *ctx, const char **error_r);
    int (*exists)(void *be, const char *record_id, const char **error_r);
    /* The record's message copy from the database: 1 and the bytes
     * (malloc'ed), 0 when this database keeps none (the file is the
     * copy), -1. */
    int (*copy)(void *be, const char *record_id, char **data_r, size_t *len_r,
                const char **error_r);
    int (*decided_before)(void *be, time_t cut, char ***ids_r, char ***paths_r,
                          size_t *n_r, const char **error_r);

    /* the outbox: as the sg_outbox_* functions of the same names
     * (store_outbox.h); insert_hold writes t->notices too */
    int (*outbox_add)(void *be, const struct sg_outbox_batch *b,
                      const char *record_id, time_t now, const char **error_r);
    int (*outbox_claim)(void *be, time_t now, time_t lease, bool early,
                        int64_t after_id, struct sg_outbox_row *row_r,
                        const char **error_r);
    int (*outbox_mark_sent)(void *be, int64_t id, time_t now,
                            const char **error_r);
    int (*outbox_mark_retry)(void *be, int64_t id, time_t now,
                             time_t next_attempt, bool give_up, const char *why,
                             const char **error_r);
    int (*outbox_next_due)(void *be, time_t lease, time_t *when_r,
                           const char **error_r);
    int (*outbox_list)(void *be, bool all, struct sg_outbox_row **rows_r,
                       size_t *n_r, const char **error_r);
    int (*outbox_of_record)(void *be, const char *record_id,
                            struct sg_outbox_row **rows_r, size_t *n_r,
                            const char **error_r);
};

/* Several hosts, one store (store_hosts.h): a table of its own beside
 * the backend's, so that a backend gains it without its table changing
 * (a backend without one serves one host, store_hosts.c).
 * Each function is as the sg_store_* of the same name
 * (store_hosts.c dispatches). */
struct sg_store_decision;
struct sg_store_hosts_backend {
    int (*set_local)(void *be, const char *host, const char **error_r);
    int (*record_host)(void *be, const char *record_id, char **host_r,
                       const char **error_r);
    int (*host_ids)(void *be, const char *host, bool waiting, time_t until,
                    char ***ids_r, size_t *n_r, const char **error_r);
    int (*claim)(void *be, const char *host, time_t now, time_t lease,
                 struct sg_store_decision *row_r, const char **error_r);
    int (*done)(void *be, int64_t id, time_t now, const char *outcome,
                const char **error_r);
    int (*retry)(void *be, int64_t id, time_t next, const char *why,
                 const char **error_r);
    int (*settle)(void *be, const char *record_id, const char *host,
                  time_t now, const char *outcome, const char **error_r);
    int (*pending)(void *be, const char *record_id, const char *host,
                   const char *op, const char **error_r);
    int (*of_record)(void *be, const char *record_id,
                     struct sg_store_decision **rows_r, size_t *n_r,
                     const char **error_r);
    int (*reinject_mark)(void *be, const char *record_id, const char *host,
                         const char *queue_id, const char *actor,
                         const char *client, const char *note,
                         const char **error_r);
    int (*reinject_take)(void *be, const char *record_id, const char *host,
                         const char **error_r);
};

/* The SQL backend's (store_sql_hosts.c). */
extern const struct sg_store_hosts_backend sg_store_sql_hosts;

/* The backend of q and its own state (store_outbox.c dispatches). */
const struct sg_store_backend *sg_store_backend_of(struct sg_store *q,
                                                   void **bs_r);

/* The SQL backend (store_sql*.c), over SQLite or PostgreSQL as the
 * location says ("sqlite:PATH", "postgresql:CONNINFO", or a PATH). */
extern const struct sg_store_backend sg_store_sql;
/* Does location name a PostgreSQL database? */
bool sg_store_sql_is_postgresql(const char *location);
/* The review lock of a store on a server (sg_store_lock): 0 and the fd,
 * SG_STORE_BUSY, -1. */
int sg_store_sql_lock(void *be, bool wait, int *fd_r, const char **error_r);
/* Give back a lock sg_store_sql_lock took: true, or false when fd is not
 * one of them. */
bool sg_store_sql_unlock(int fd);

/* Set the error (common/sg_error.h); returns -1. */
#define sg_store_fail sg_error_fail

/* Free the n elem-sized items of *arr with clear, then the array. */
void sg_store_array_free(void **arr, size_t *n, size_t elem,
                         void (*clear)(void *item));
/* Free what one item of a read owns (not the item); sg_store_item_clear
 * is in store.h. */
void sg_store_rcpt_clear(void *item);
void sg_store_rule_clear(void *item);
void sg_store_finding_clear(void *item);
void sg_store_audit_row_clear(void *item);

/* The status names stored in records.status, by enum value. */
extern const char *const sg_store_status_names[];
#define SG_STORE_N_STATUS 9

#endif
