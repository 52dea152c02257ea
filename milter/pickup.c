/*
 * pickup.c - the daemon's decision thread.  With several mail servers
 * sharing one record store, a message waits in the hold queue of the
 * host whose Postfix received it, and a decision on it may be taken on
 * any host.  The decision is a row in the store for the holding host
 * (core/store_hosts.h); this thread, on each host, claims its own host's
 * pending rows every decision_poll_interval and carries them out here:
 * the release or delete command, or the release helper, which acts only
 * on what the store says (core/mailqueue.c, sg_mailqueue_carry_out), then
 * a check that the message left the hold queue.  A row done is marked
 * with what was done and audited; one that failed is audited, kept with
 * its error, and tried again later (sg_outbox_backoff).
 *
 * No host listens for another: the only way in is the store, which
 * every host already reaches, so there is no inbound port to open, no
 * ssh key to keep, and a host that is down simply finds its rows when
 * it comes back.  The review lock (sg_store_lock) is taken while rows
 * are carried out, so a reviewer acting at once on this host and this
 * thread never both act on one decision; acting twice would still
 * deliver once (postsuper -H and -d ... hold act only on held mail, and
 * a message no longer held needs nothing).  The runtime is read afresh
 * each turn, so a reload changes the interval and the commands.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "background.h"
#include "log.h"
#include "pickup.h"
#include "sg_runtime.h"
#include "store_hosts.h"
#include "store_outbox.h"

/* Who carries decisions out, in the audit. */
#define PICKUP_ACTOR "safeguard-milter"

/* Seconds a claim is kept before another turn may take the row again:
 * a command's time and more. */
#define PICKUP_LEASE_SLACK 60

/* A row whose record says it is waiting again (a decision set back
 * because it could not be carried out at once) asks for nothing. */
static bool
superseded(struct sg_store *q, const struct sg_store_decision *d,
           char *why, size_t size)
{
    struct sg_store_record *rec = NULL;
    const char *err = NULL;
    if (sg_store_get(q, d->record_id, &rec, &err) != 0)
        return false; /* carried out on what the row says */
    bool waiting = rec->status == SG_QSTATUS_HELD ||
                   rec->status == SG_QSTATUS_ESCALATED;
    if (waiting)
        snprintf(why, size, "superseded: the record is %s again",
                 sg_store_status_name(rec->status));
    sg_store_record_free(&rec);
    return waiting;
}

/* Carry out one claimed row. */
static void
carry(const struct sg_config *cfg, struct sg_store *q, const char *host,
      const struct sg_store_decision *d)
{
    char outcome[512], note[700];
    const char *err = NULL;
    time_t now = time(NULL);
    bool release = strcmp(d->op, SG_DECISION_RELEASE) == 0;
    if (!superseded(q, d, outcome, sizeof(outcome)) &&
        sg_mailqueue_carry_out(&cfg->mailqueue, release, d->queue_id,
                               d->record_id, outcome, sizeof(outcome),
                               &err) < 0) {
        time_t next = now + sg_outbox_backoff(d->attempts);
        snprintf(note, sizeof(note), "on host %s, attempt %d: could not %s "
                 "queue id %s: %s; trying again in %lld seconds",
                 host, d->attempts, d->op, d->queue_id, err,
                 (long long)(next - now));
        sg_log_warn("%s: quarantine record %s: %s", d->queue_id,
                    d->record_id, note);
        if (sg_store_decision_retry(q, d->id, next, note, &err) < 0 ||
            sg_store_audit(q, d->record_id, PICKUP_ACTOR, host, "failed",
                           note, &err) < 0)
            sg_log_error("decisions: %s", err);
        return;
    }
    snprintf(note, sizeof(note), "on host %s: %s", host, outcome);
    sg_log_info("%s: quarantine record %s: decision %lld (%s) carried out "
                "%s",
                d->queue_id, d->record_id, (long long)d->id, d->op, note);
    if (sg_store_decision_done(q, d->id, now, outcome, &err) < 0 ||
        sg_store_audit(q, d->record_id, PICKUP_ACTOR, host, "carried-out",
                       note, &err) < 0)
        sg_log_error("decisions: %s", err);
}

/* Carry out every row of this host that is due. */
static void
pickup_once(struct sg_runtime *rt)
{
    const struct sg_config *cfg = rt->settings;
    const char *err = NULL;
    struct sg_store *q = sg_runtime_quarantine(rt, &err);
    if (q == NULL)
        return; /* logged at start; a hold says so again */
    char buf[256];
    const char *host = sg_mailqueue_host_name(cfg->mailqueue.host_name, buf,
                                              sizeof(buf));
    int lock = -1;
    int rc = sg_store_lock(q, false, &lock, &err);
    if (rc == SG_STORE_BUSY)
        return; /* a reviewer is deciding here: next turn */
    if (rc != 0) {
        sg_log_warn("decisions: %s", err);
        return;
    }
    time_t lease = (time_t)cfg->mailqueue.command_timeout + PICKUP_LEASE_SLACK;
    while (!sg_background_stopping()) {
        struct sg_store_decision d;
        rc = sg_store_decision_claim(q, host, time(NULL), lease, &d, &err);
        if (rc == SG_STORE_NOT_FOUND)
            break;
        if (rc != 0) {
            sg_log_warn("decisions: %s", err);
            break;
        }
        carry(cfg, q, host, &d);
        sg_store_decision_clear(&d);
    }
    sg_store_unlock(lock);
}

/* A turn of the decision thread. */
static unsigned
pickup_turn(void *arg)
{
    (void)arg;
    struct sg_runtime *rt = sg_runtime_current();
    int interval = SG_MAILQUEUE_DECISION_POLL;
    if (rt != NULL) {
        interval = rt->settings->mailqueue.decision_poll_interval;
        pickup_once(rt);
    }
    sg_runtime_unref(&rt);
    return interval > 0 ? (unsigned)interval : 1;
}

void
sg_pickup_start(void)
{
    sg_background_start("decision", pickup_turn, NULL);
}
