/*
 * review_outbox.c - "safeguard-review outbox": list the notices the
 * outbox has not sent (waiting for a retry, or given up), or with --all
 * every one; with --send, hand what is due to sendmail now, as the
 * daemon's outbox thread does, and say what became of each.  For a cron
 * job or a systemd timer where the daemon does not run, and for the mail
 * administrator after sendmail was down.
 *
 * Text from the store (the last error, which quotes sendmail) is printed
 * made safe for a terminal.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "review_opts.h"
#include "review_outbox.h"
#include "sg_buf.h"
#include "store_outbox.h"

static void
put_safe(const char *s)
{
    struct sg_buf b = SG_BUF_INIT;
    if (s != NULL && sg_safe_text(&b, s, strlen(s), false) < 0)
        fputs("(out of memory)", stdout); /* never a value left out */
    else if (s != NULL)
        fputs(b.data != NULL ? b.data : "", stdout);
    sg_buf_free(&b);
}

/* A time for people, in the school's zone; "-" for none. */
static void
when(const struct sg_review *r, time_t t, char *buf, size_t size)
{
    if (t == 0)
        snprintf(buf, size, "-");
    else
        sg_review_time(r, t, SG_TIME_SECONDS, buf, size);
}

static void
show_row(const struct sg_review *r, const struct sg_outbox_row *row)
{
    char created[64], next[64];
    when(r, row->created, created, sizeof(created));
    when(r,
         row->state == SG_OUTBOX_PENDING ? row->next_attempt
         : row->state == SG_OUTBOX_SENT  ? row->sent
                                         : row->failed,
         next, sizeof(next));
    printf("%-6lld %-23s %-8s %-5d %-23s %-15s %-18s ", (long long)row->id,
           created, sg_outbox_state_name(row->state), row->attempts, next,
           row->kind, row->record_id != NULL ? row->record_id : "-");
    for (size_t i = 0; i < row->n_rcpts; i++) {
        fputs(i > 0 ? "," : "", stdout);
        put_safe(row->rcpts[i]);
    }
    putchar('\n');
    if (row->state != SG_OUTBOX_SENT && row->last_error != NULL) {
        fputs("       last error: ", stdout);
        put_safe(row->last_error);
        putchar('\n');
    }
}

static void
flushed(void *ctx, const struct sg_outbox_row *row, enum sg_notice_flushed what,
        const char *error)
{
    (void)ctx;
    printf("notice %lld (%s) to ", (long long)row->id, row->kind);
    for (size_t i = 0; i < row->n_rcpts; i++) {
        fputs(i > 0 ? "," : "", stdout);
        put_safe(row->rcpts[i]);
    }
    if (what == SG_NOTICE_FLUSH_SENT) {
        printf(": sent\n");
        return;
    }
    printf(what == SG_NOTICE_FLUSH_RETRY ? ": not sent, tried again later: "
                                         : ": not sent, given up: ");
    put_safe(error);
    putchar('\n');
}

int
sg_review_cmd_outbox(struct sg_review *r, int argc, char **argv)
{
    bool all = false, send = false;
    const struct sg_review_opt opts[] = {SG_OPT_FLAG("all", &all),
                                         SG_OPT_FLAG("send", &send),
                                         SG_OPT_END};
    if (sg_review_opts_only(argc, argv, opts) < 0)
        return EX_USAGE;
    const char *err = NULL;
    if (send) {
        /* by hand: do not wait for the backoff */
        struct sg_notice_flush fo = {.each = flushed, .early = true};
        struct sg_notice_flush_result res;
        if (sg_review_outbox_flush(r, &fo, &res, &err) < 0) {
            fprintf(stderr, "safeguard-review: %s\n", err);
            return EX_TEMPFAIL;
        }
        printf("outbox: %zu sent, %zu to try again, %zu given up\n", res.sent,
               res.retry, res.gave_up);
        return res.retry + res.gave_up > 0 ? EX_TEMPFAIL : EX_OK;
    }
    struct sg_outbox_row *rows = NULL;
    size_t n = 0;
    if (sg_outbox_list(sg_review_store(r), all, &rows, &n, &err) < 0) {
        fprintf(stderr, "safeguard-review: %s\n", err);
        return EX_SOFTWARE;
    }
    printf("%-6s %-23s %-8s %-5s %-23s %-15s %-18s %s\n", "ID", "CREATED",
           "STATE", "TRIES", "NEXT/DONE", "KIND", "RECORD", "TO");
    for (size_t i = 0; i < n; i++)
        show_row(r, &rows[i]);
    if (n == 0)
        printf(all ? "(the outbox is empty)\n"
                   : "(every notice has been sent)\n");
    sg_outbox_rows_free(&rows, n);
    return ferror(stdout) ? EX_IOERR : EX_OK;
}
