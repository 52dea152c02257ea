/*
 * review_notice.c - the review tool's own notices: the outcome to the
 * sender of a rejected message (SG_NOTICE_REJECTED_SENDER,
 * rejected-sender.txt) and the digest to the DSL (SG_NOTICE_DIGEST_DSL,
 * digest-dsl.txt).
 *
 * They go out exactly as the daemon's notices do, from the same templates
 * directory: rendered by milter/notice*.c (header encoding, wrapping, the
 * keyed X-Safeguard-Notice mark, so the daemon passes them unjudged) and
 * piped to the configured sendmail without a shell.  The DSL's words
 * travel in {explanation}.
 *
 * The notices are opened for each one sent, not when the review handle
 * is: a reviewer who cannot read the key can still list and decide, and
 * is told only when a notice is asked for.
 *
 * Fails by returning -1 with an error string.  No logging.
 */
#include "config.h"

#include <time.h>

#include "review_int.h"

int
review_notice_send(const struct sg_review *r, enum sg_notice_kind k,
                   const struct sg_notice_values *values,
                   const char *const *to, size_t n_to, const char **error_r)
{
    if (r->ncfg == NULL)
        return sg_review_fail(error_r, "notices are not configured "
                                       "(notice_from is empty)");
    struct sg_notice *n = NULL;
    if (sg_notice_open(r->ncfg, &n, error_r) < 0)
        return -1;
    int rc = sg_notice_deliver(n, k, values, to, n_to, time(NULL), error_r);
    sg_notice_free(&n);
    return rc;
}
