/*
 * store_hosts.c - the front of several hosts, one store (store_hosts.h):
 * the checks on arguments, and the dispatch to the backend's table of
 * host functions (store_int.h), found beside its main table.  A backend
 * without one is a store of one host, as before hosts were kept, so a
 * new backend works on one server before it learns hosts.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "store_hosts.h"
#include "store_int.h"

#define fail sg_store_fail

/* The host functions of q's backend, or NULL for a backend that keeps
 * no hosts: its store is one host's, as before hosts were kept (its
 * records have no host, every record is "here", and no decision waits
 * for another host). */
static const struct sg_store_hosts_backend *
hosts_of(struct sg_store *q, void **bs_r)
{
    const struct sg_store_backend *be = sg_store_backend_of(q, bs_r);
    return be == &sg_store_sql ? &sg_store_sql_hosts : NULL;
}

/* A host name as host_name allows it: what goes in a DNS name, and "_". */
static bool
host_ok(const char *host)
{
    size_t n = host != NULL ? strlen(host) : 0;
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)host[i]) && strchr(".-_", host[i]) == NULL)
            return false;
    return true;
}

/* Call the backend's function, or return one_host (what a store of one
 * host answers) when it keeps no hosts. */
#define DISPATCH(one_host, call)                                               \
    void *bs;                                                                  \
    const struct sg_store_hosts_backend *hb = hosts_of(q, &bs);                \
    if (hb == NULL)                                                            \
        return (one_host);                                                     \
    return hb->call

int
sg_store_hosts_set_local(struct sg_store *q, const char *host,
                         const char **error_r)
{
    if (!host_ok(host))
        return fail(error_r, "\"%.80s\" is not a host name", host ? host : "");
    DISPATCH(0, set_local(bs, host, error_r));
}

int
sg_store_record_host(struct sg_store *q, const char *record_id, char **host_r,
                     const char **error_r)
{
    *host_r = NULL;
    DISPATCH(0, record_host(bs, record_id, host_r, error_r));
}

int
sg_store_host_ids(struct sg_store *q, const char *host, bool waiting,
                  time_t until, char ***ids_r, size_t *n_r,
                  const char **error_r)
{
    *ids_r = NULL;
    *n_r = 0;
    if (host == NULL)
        return fail(error_r, "host ids: no host");
    /* one host's store: its waiting records are all this host's, and no
     * record is any named host's */
    DISPATCH(waiting ? sg_store_waiting_ids(q, until, ids_r, n_r, error_r) : 0,
             host_ids(bs, host, waiting, until, ids_r, n_r, error_r));
}

int
sg_store_decision_claim(struct sg_store *q, const char *host, time_t now,
                        time_t lease, struct sg_store_decision *row_r,
                        const char **error_r)
{
    memset(row_r, 0, sizeof(*row_r));
    DISPATCH(SG_STORE_NOT_FOUND,
             claim(bs, host, now, lease, row_r, error_r));
}

int
sg_store_decision_done(struct sg_store *q, int64_t id, time_t now,
                       const char *outcome, const char **error_r)
{
    DISPATCH(0, done(bs, id, now, outcome, error_r));
}

int
sg_store_decision_retry(struct sg_store *q, int64_t id, time_t next,
                        const char *why, const char **error_r)
{
    DISPATCH(0, retry(bs, id, next, why, error_r));
}

int
sg_store_decisions_settle(struct sg_store *q, const char *record_id,
                          const char *host, time_t now, const char *outcome,
                          const char **error_r)
{
    DISPATCH(0, settle(bs, record_id, host, now, outcome, error_r));
}

int
sg_store_decision_pending(struct sg_store *q, const char *record_id,
                          const char *host, const char *op,
                          const char **error_r)
{
    DISPATCH(0, pending(bs, record_id, host, op, error_r));
}

int
sg_store_decisions_of_record(struct sg_store *q, const char *record_id,
                             struct sg_store_decision **rows_r, size_t *n_r,
                             const char **error_r)
{
    *rows_r = NULL;
    *n_r = 0;
    DISPATCH(0, of_record(bs, record_id, rows_r, n_r, error_r));
}

int
sg_store_reinject_mark(struct sg_store *q, const char *record_id,
                       const char *host, const char *queue_id,
                       const char *actor, const char *client, const char *note,
                       const char **error_r)
{
    if (record_id == NULL || !host_ok(host) || queue_id == NULL ||
        actor == NULL || *actor == '\0')
        return fail(error_r, "reinject: missing argument");
    DISPATCH(fail(error_r, "this store keeps no hosts"),
             reinject_mark(bs, record_id, host, queue_id, actor, client, note,
                           error_r));
}

int
sg_store_reinject_take(struct sg_store *q, const char *record_id,
                       const char *host, const char **error_r)
{
    DISPATCH(fail(error_r, "this store keeps no hosts"),
             reinject_take(bs, record_id, host, error_r));
}

void
sg_store_decision_clear(struct sg_store_decision *d)
{
    free(d->record_id);
    free(d->host);
    free(d->op);
    free(d->queue_id);
    free(d->outcome);
    free(d->last_error);
    memset(d, 0, sizeof(*d));
}

static void
decision_clear(void *item)
{
    sg_store_decision_clear(item);
}

void
sg_store_decisions_free(struct sg_store_decision **rows, size_t *n)
{
    sg_store_array_free((void **)rows, n, sizeof(**rows), decision_clear);
}
