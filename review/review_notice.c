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
#include "sg_config.h"
#include "store_outbox.h"

/* The notices of nc (r's own, or a school's: sg_review_school_notice). */
static int
open_notices(const struct sg_notice_config *nc, struct sg_notice **n_r,
             const char **error_r)
{
    if (nc == NULL)
        return sg_review_fail(error_r, "notices are not configured "
                                       "(notice_from is empty)");
    return sg_notice_open(nc, n_r, error_r);
}

/* The notice settings for record_id's notices: its school's templates in
 * a trust, else r's own. */
static const struct sg_notice_config *
record_notice(const struct sg_review *r, const char *record_id,
              struct sg_notice_config *nc_r, const char **error_r)
{
    struct sg_store_record *rec = NULL;
    if (record_id == NULL || r->config == NULL || r->config->n_schools == 0)
        return r->ncfg;
    if (sg_store_get(r->q, record_id, &rec, error_r) != 0)
        return NULL;
    const struct sg_notice_config *nc =
        sg_review_school_notice(r, rec->school, nc_r, NULL);
    /* nc points at the school's settings (the configuration's), never
     * at the record's */
    sg_store_record_free(&rec);
    return nc;
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
    struct sg_notice_config school_nc;
    const char *err = "notices are not configured (notice_from is empty)";
    const struct sg_notice_config *nc =
        record_notice(r, record_id, &school_nc, &err);
    if (nc == NULL)
        return sg_review_fail(error_r, "%s", err);
    return sg_review_notice_send_nc(r, nc, k, values, to, n_to, record_id,
                                    sent_r, error_r);
}

int
sg_review_notice_send_nc(const struct sg_review *r,
                         const struct sg_notice_config *nc,
                         enum sg_notice_kind k,
                         const struct sg_notice_values *values,
                         const char *const *to, size_t n_to,
                         const char *record_id, bool *sent_r,
                         const char **error_r)
{
    *sent_r = false;
    struct sg_notice *n = NULL;
    if (open_notices(nc, &n, error_r) < 0)
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
    if (open_notices(r->ncfg, &n, error_r) < 0)
        return -1;
    int rc = sg_notice_flush(n, r->q, o, res_r, error_r);
    sg_notice_free(&n);
    return rc;
}
