/*
 * store_hosts.h - several mail servers, one store: which host holds each
 * record's message, and the decisions each host is to carry out on its
 * own hold queue.
 *
 * A trust runs several mail servers (Postfix and safeguard-milter each)
 * against one record store and one review page.  A held message waits in
 * the hold queue of the host whose Postfix received it, and only that
 * host can release or delete it.  So:
 *   - every record names its host (records.host, schema version 8): the
 *     daemon's connection to the store says which host it is
 *     (sg_store_hosts_set_local), and each record it writes is that
 *     host's, in the record's own transaction;
 *   - a decision that takes a message out of the hold queue (released,
 *     rejected, expired) leaves a row "to carry out on host H: release or
 *     delete queue id Q" in the status change's transaction (whoever
 *     changed it, on whichever host);
 *   - each host's daemon claims its own pending rows, carries them out on
 *     its hold queue, and marks them done (milter/pickup.c).  The review
 *     tool, when it runs on the record's host, acts at once as before and
 *     marks the row done itself (sg_store_decisions_settle).
 * No host ever connects to another: the rows travel through the store.
 *
 * Errors: as store.h (0, the results named there, or -1 with *error_r).
 */
#ifndef SG_STORE_HOSTS_H
#define SG_STORE_HOSTS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "store.h"

/* The operations of a decision row (decisions.op). */
#define SG_DECISION_RELEASE "release"
#define SG_DECISION_DELETE  "delete"

/* One decision row. */
struct sg_store_decision {
    int64_t id;
    char *record_id;
    char *host;
    char *op;       /* SG_DECISION_RELEASE or SG_DECISION_DELETE */
    char *queue_id; /* the record's, when the decision was made */
    time_t created;
    int attempts;
    time_t next_attempt;
    time_t claimed_at; /* 0: not claimed */
    time_t done;       /* 0: pending */
    char *outcome;     /* what was done; NULL while pending */
    char *last_error;  /* the last attempt's failure; NULL: none */
};
void sg_store_decision_clear(struct sg_store_decision *d);
void sg_store_decisions_free(struct sg_store_decision **rows, size_t *n);

/* Records this connection writes from now on are host's (host_name).
 * Call once, after sg_store_open, before the first hold. */
int sg_store_hosts_set_local(struct sg_store *q, const char *host,
                             const char **error_r);

/* The host that holds record_id's message: 0 and *host_r (free it; NULL
 * for a record made before hosts were kept), SG_STORE_NOT_FOUND, -1. */
int sg_store_record_host(struct sg_store *q, const char *record_id,
                         char **host_r, const char **error_r);

/* ids of the records of host (every status), newest first; with
 * waiting, only the waiting ones (held or escalated) created at or
 * before until, and those with no host (made before hosts were kept),
 * oldest first: what the host reconciles with its own hold queue.
 * Free with sg_strv_free. */
int sg_store_host_ids(struct sg_store *q, const char *host, bool waiting,
                      time_t until, char ***ids_r, size_t *n_r,
                      const char **error_r);

/* Claim the oldest due pending row of host (not claimed, or its claim
 * older than lease seconds), counting the attempt: 0 and *row_r (clear
 * it), SG_STORE_NOT_FOUND when none is due, -1. */
int sg_store_decision_claim(struct sg_store *q, const char *host, time_t now,
                            time_t lease, struct sg_store_decision *row_r,
                            const char **error_r);
/* The row was carried out (or needed nothing): done, with outcome. */
int sg_store_decision_done(struct sg_store *q, int64_t id, time_t now,
                           const char *outcome, const char **error_r);
/* The attempt failed: unclaimed, tried again at next, why kept. */
int sg_store_decision_retry(struct sg_store *q, int64_t id, time_t next,
                            const char *why, const char **error_r);
/* Every pending row of record_id for host is done, with outcome (the
 * review tool carried the decision out at once on this host, or it did
 * not and set the record back).  0 or -1. */
int sg_store_decisions_settle(struct sg_store *q, const char *record_id,
                              const char *host, time_t now,
                              const char *outcome, const char **error_r);
/* Is a row of record_id for host, doing op, pending?  1, 0, -1. */
int sg_store_decision_pending(struct sg_store *q, const char *record_id,
                              const char *host, const char *op,
                              const char **error_r);
/* Every row of record_id, oldest first. */
int sg_store_decisions_of_record(struct sg_store *q, const char *record_id,
                                 struct sg_store_decision **rows_r,
                                 size_t *n_r, const char **error_r);

/* The message of record_id (released) was sent again from another host:
 * in one transaction, the pending rows of record_id are done
 * ("superseded"), a row to delete queue_id on host (the one that held
 * it) is added, and an audit row (actor, client, action "reinjected",
 * note).  Only for a record that is released: SG_STORE_WRONG_STATUS
 * otherwise, SG_STORE_NOT_FOUND, -1. */
int sg_store_reinject_mark(struct sg_store *q, const char *record_id,
                           const char *host, const char *queue_id,
                           const char *actor, const char *client,
                           const char *note, const char **error_r);

/* The re-injected copy of record_id reached a host's filter: mark it
 * taken, once.  0 the first time; SG_STORE_WRONG_STATUS when it was
 * taken already or the record was never re-injected; -1. */
int sg_store_reinject_take(struct sg_store *q, const char *record_id,
                           const char *host, const char **error_r);

#endif
