/*
 * notify.c - the daemon's outbox thread.  It sleeps until a hold wakes it
 * (sg_notify_wake, called after the message's verdict is logged, on the
 * way to the answer) or the next row of the outbox falls due, at most
 * NOTIFY_IDLE seconds, and then hands every due notice to sendmail with
 * sg_notice_flush, one line in the log per notice.  It reads the
 * runtime (sg_runtime_current) afresh each turn, so a reload changes the
 * sendmail command, the timeout and notice_retry_max_age.
 *
 * Notices never wait in a mail thread: a sendmail that is slow or down
 * holds up this thread only, and what it would not take stays in the
 * outbox, retried with backoff, and survives a restart.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "background.h"
#include "log.h"
#include "notice.h"
#include "notify.h"
#include "sg_buf.h"
#include "sg_runtime.h"
#include "store_outbox.h"

/* The longest sleep between two looks at the outbox, seconds: a minute,
 * or the first retry's wait (notice_retry_interval) when shorter, so
 * that a notice another host could not send is tried here when due. */
#define NOTIFY_IDLE_MAX 60
#define NOTIFY_IDLE                                                      \
    (sg_outbox_backoff(1) < NOTIFY_IDLE_MAX ? (int)sg_outbox_backoff(1) \
                                            : NOTIFY_IDLE_MAX)

static struct sg_background *notify_bg; /* set by sg_notify_start */

void
sg_notify_wake(void)
{
    sg_background_wake(__atomic_load_n(&notify_bg, __ATOMIC_ACQUIRE));
}

/* One log line per notice tried. */
static void
flush_log(void *ctx, const struct sg_outbox_row *row,
          enum sg_notice_flushed what, const char *error)
{
    const struct sg_runtime *rt = ctx;
    struct sg_buf to = SG_BUF_INIT;
    for (size_t i = 0; i < row->n_rcpts; i++)
        sg_buf_printf(&to, "%s<%s>", i > 0 ? ", " : "", row->rcpts[i]);
    const char *rcpts = sg_buf_text_or(&to, "?");
    const char *rec = row->record_id != NULL ? row->record_id : "-";
    if (what == SG_NOTICE_FLUSH_SENT)
        sg_log_info("record %s: notice %lld (%s) sent to %s, Message-ID %s, "
                    "attempt %d",
                    rec, (long long)row->id, row->kind, rcpts, row->message_id,
                    row->attempts);
    else if (what == SG_NOTICE_FLUSH_RETRY)
        sg_log_warn("record %s: notice %lld (%s) to %s not sent, trying "
                    "again in %lld seconds: %s",
                    rec, (long long)row->id, row->kind, rcpts,
                    (long long)sg_outbox_backoff(row->attempts), error);
    else
        sg_log_error("record %s: notice %lld (%s) to %s not sent after %d "
                     "attempts in %d seconds (notice_retry_max_age): given "
                     "up, kept in the outbox as failed: %s",
                     rec, (long long)row->id, row->kind, rcpts, row->attempts,
                     rt->settings->notice_retry_max_age, error);
    sg_buf_free(&to);
}

/* The daemon is stopping: the rows not yet tried wait for its return
 * (or another host). */
static bool
flush_stop(void *ctx)
{
    (void)ctx;
    return sg_background_stopping();
}

/* Send what is due; the seconds until the next look. */
static time_t
notify_once(struct sg_runtime *rt)
{
    if (rt == NULL || rt->notice == NULL)
        return NOTIFY_IDLE; /* notices off: rows wait for them */
    const char *error = NULL;
    struct sg_store *q = sg_runtime_quarantine(rt, &error);
    if (q == NULL)
        return NOTIFY_IDLE; /* logged at start; a hold says so again */
    struct sg_notice_flush o = {
        .each = flush_log,
        .stop = flush_stop,
        .ctx = rt,
    };
    struct sg_notice_flush_result res;
    if (sg_notice_flush(rt->notice, q, &o, &res, &error) < 0) {
        sg_log_warn("outbox: %s; trying again in %d seconds", error,
                    NOTIFY_IDLE);
        return NOTIFY_IDLE;
    }
    time_t when = 0, now = time(NULL);
    if (sg_outbox_next_due(q, sg_notice_lease(rt->notice), &when, &error) < 0)
        sg_log_warn("outbox: %s", error);
    if (when == 0 || when - now >= NOTIFY_IDLE)
        return NOTIFY_IDLE;
    return when > now ? when - now : 1;
}

/* A turn of the outbox thread. */
static unsigned
notify_turn(void *arg)
{
    (void)arg;
    struct sg_runtime *rt = sg_runtime_current();
    time_t wait = notify_once(rt);
    sg_runtime_unref(&rt);
    return (unsigned)wait;
}

void
sg_notify_start(void)
{
    __atomic_store_n(&notify_bg,
                     sg_background_start("outbox", notify_turn, NULL),
                     __ATOMIC_RELEASE);
}
