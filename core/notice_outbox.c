/*
 * notice_outbox.c - notices through the outbox: sg_notice_queue renders a
 * notice into a batch of outbox rows (the store writes them), and
 * sg_notice_flush hands due rows to the local sendmail, claiming each
 * before it is sent and marking it after.
 *
 * Each row's Message-ID is fixed when it is rendered, so a row sent twice
 * (a sender that died after sendmail took it and before the row was
 * marked; see doc/design-notes.md) arrives as two copies of one message
 * that mail programs and people can tell are the same.
 *
 * SECURITY: rows are rendered by the notices module from untrusted values
 * made safe there; sending re-checks the envelope addresses
 * (sg_notice_send) and runs the command without a shell.
 *
 * Fails by returning -1 with *error_r (common/sg_error.h); never logs, never exits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notice.h"
#include "notice_int.h"
#include "store_outbox.h"

int
sg_notice_queue(const struct sg_notice *n, enum sg_notice_kind kind,
                const struct sg_notice_values *values, const char *const *to,
                size_t n_to, time_t now, struct sg_outbox_batch *batch,
                const char **error_r)
{
    if (n == NULL)
        return FAIL("notices are not set up");
    const char *file = sg_notice_kind_file(kind);
    if (file == NULL)
        return FAIL("sg_notice_queue: no such notice");
    char mid[SG_NOTICE_MESSAGE_ID_MAX], kname[64];
    if (sg_notice_message_id(n->from, now, mid, sizeof(mid)) < 0)
        return FAIL("cannot make a Message-ID for the notice");
    snprintf(kname, sizeof(kname), "%.*s", (int)strcspn(file, "."), file);
    struct sg_notice_envelope env = {
        .from = n->from,
        .from_name = n->from_name,
        .to = to,
        .n_to = n_to,
        .now = now,
        .message_id = mid,
    };
    char *msg = NULL;
    if (sg_notice_render(n->templates, kind, values, &env, n->key, &msg,
                         error_r) < 0)
        return -1;
    int r =
        sg_outbox_batch_add(batch, kname, n->from, to, n_to, mid, msg, error_r);
    free(msg);
    return r;
}

time_t
sg_notice_lease(const struct sg_notice *n)
{
    unsigned ms = n != NULL ? sg_notice_sender_timeout_ms(n->sender) : 0;
    if (ms == 0)
        ms = SG_NOTICE_TIMEOUT * 1000;
    return (time_t)(ms / 1000 + 1) + SG_NOTICE_LEASE_MARGIN;
}

/* Send one claimed row and mark it. -1 only when the mark fails. */
static int
flush_row(const struct sg_notice *n, struct sg_store *q,
          const struct sg_notice_flush *o, const struct sg_outbox_row *row,
          struct sg_notice_flush_result *res, const char **error_r)
{
    const char *why = NULL;
    int sent = sg_notice_send(n->sender, row->env_from,
                              (const char *const *)row->rcpts, row->n_rcpts,
                              row->message, &why);
    time_t now = time(NULL);
    if (sent == 0) {
        if (sg_outbox_mark_sent(q, row->id, now, error_r) < 0)
            return -1;
        res->sent++;
        if (o->each != NULL)
            o->each(o->ctx, row, SG_NOTICE_FLUSH_SENT, NULL);
        return 0;
    }
    /* the error buffer is reused by the next call: keep a copy */
    char err[512];
    snprintf(err, sizeof(err), "%s", why != NULL ? why : "unknown error");
    time_t max_age = o->max_age > 0 ? o->max_age : n->retry_max_age;
    bool give_up = max_age > 0 && now - row->created >= max_age;
    if (sg_outbox_mark_retry(q, row->id, now, row->attempts, give_up, err,
                             error_r) < 0)
        return -1;
    if (give_up)
        res->gave_up++;
    else
        res->retry++;
    if (o->each != NULL)
        o->each(o->ctx, row,
                give_up ? SG_NOTICE_FLUSH_GAVE_UP : SG_NOTICE_FLUSH_RETRY, err);
    return 0;
}

int
sg_notice_flush(const struct sg_notice *n, struct sg_store *q,
                const struct sg_notice_flush *o,
                struct sg_notice_flush_result *res_r, const char **error_r)
{
    struct sg_notice_flush_result res = {0};
    if (res_r != NULL)
        *res_r = res;
    if (n == NULL || q == NULL || o == NULL)
        return FAIL("sg_notice_flush: notices or the store are not set up");
    time_t lease = sg_notice_lease(n);
    /* by hand, rows waiting for their backoff are due: each is tried
     * once, or one that fails again would be claimed again at once */
    int64_t after_id = 0;
    for (size_t done = 0; o->limit == 0 || done < o->limit; done++) {
        if (o->stop != NULL && o->stop(o->ctx))
            break;
        struct sg_outbox_row row;
        int c = sg_outbox_claim(q, time(NULL), lease, o->early, after_id, &row,
                                error_r);
        if (c <= 0) {
            if (res_r != NULL)
                *res_r = res;
            return c;
        }
        after_id = row.id;
        int r = flush_row(n, q, o, &row, &res, error_r);
        sg_outbox_row_clear(&row);
        if (r < 0) {
            if (res_r != NULL)
                *res_r = res;
            return -1;
        }
    }
    if (res_r != NULL)
        *res_r = res;
    return 0;
}
