/*
 * review_notice.c - the review tool's own notices: the outcome to the
 * sender of a rejected message (SG_NOTICE_REJECTED_SENDER,
 * rejected-sender.txt) and the digest to the DSL (SG_NOTICE_DIGEST_DSL,
 * digest-dsl.txt).
 *
 * They go out as the daemon's notices do, from the same templates
 * directory and through the same outbox: rendered by core/notice*.c
 * (header encoding, wrapping, the keyed X-Safeguard-Notice mark, so the
 * daemon passes them unjudged), written to the store's outbox, and then
 * handed to the configured sendmail at once with whatever else is due.
 * One that sendmail does not take now stays in the outbox, and the
 * daemon's outbox thread (or safeguard-review outbox --send) retries it.
 * The DSL's words travel in {explanation}.
 *
 * The notices are opened for each one sent, not when the review handle
 * is: a reviewer who cannot read the key can still list and decide, and
 * is told only when a notice is asked for.
 *
 * Fails by returning -1 with an error string.  No logging.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "review_int.h"
#include "store_outbox.h"

static int
open_notices(const struct sg_review *r, struct sg_notice **n_r,
             const char **error_r)
{
    if (r->ncfg == NULL)
        return sg_review_fail(error_r, "notices are not configured "
                                       "(notice_from is empty)");
    return sg_notice_open(r->ncfg, n_r, error_r);
}

/* Did the flush send the notice with this Message-ID? */
struct sent_now {
    const char *message_id;
    bool sent;
};

static void
sent_now_each(void *ctx, const struct sg_outbox_row *row,
              enum sg_notice_flushed what, const char *error)
{
    (void)error;
    struct sent_now *s = ctx;
    if (what == SG_NOTICE_FLUSH_SENT &&
        strcmp(row->message_id, s->message_id) == 0)
        s->sent = true;
}

int
sg_review_notice_send(const struct sg_review *r, enum sg_notice_kind k,
                      const struct sg_notice_values *values,
                      const char *const *to, size_t n_to, const char *record_id,
                      bool *sent_r, const char **error_r)
{
    *sent_r = false;
    struct sg_notice *n = NULL;
    if (open_notices(r, &n, error_r) < 0)
        return -1;
    struct sg_outbox_batch b = {0};
    time_t now = time(NULL);
    int rc = sg_notice_queue(n, k, values, to, n_to, now, &b, error_r);
    if (rc == 0)
        rc = sg_outbox_add(r->q, &b, record_id, now, error_r);
    /* send it now; what sendmail does not take waits in the outbox */
    const char *ignored;
    struct sent_now mine = {rc == 0 ? b.items[0].message_id : NULL, false};
    struct sg_notice_flush o = {.each = sent_now_each, .ctx = &mine};
    if (rc == 0)
        (void)sg_notice_flush(n, r->q, &o, NULL, &ignored);
    *sent_r = mine.sent;
    sg_outbox_batch_free(&b);
    sg_notice_free(&n);
    return rc;
}

int
sg_review_outbox_flush(struct sg_review *r, const struct sg_notice_flush *o,
                       struct sg_notice_flush_result *res_r,
                       const char **error_r)
{
    struct sg_notice *n = NULL;
    if (open_notices(r, &n, error_r) < 0)
        return -1;
    int rc = sg_notice_flush(n, r->q, o, res_r, error_r);
    sg_notice_free(&n);
    return rc;
}
