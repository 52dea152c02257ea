/*
 * hold.c - the notices for a held message, rendered from the templates
 * with the filter's keyed mark into outbox rows that the store writes in
 * the record's own transaction.  The daemon's outbox thread hands them to
 * the local sendmail after the MTA has its answer (sg_hold_outbox_*).
 *
 * SECURITY: the DSL notice names people, rules and findings, never the
 * message body; the sender notice goes only to a known school account, so
 * a forged outside sender cannot make the filter mail someone.
 * A notice that cannot be rendered is reported in the context for the
 * caller to log; the message stays held with its record.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "hold.h"
#include "notice.h"
#include "sg_buf.h"
#include "sg_tz.h"
#include "store_outbox.h"

static int
render(const struct sg_hold_notices *hn, const char *record,
       enum sg_notice_kind kind, const char *const *to, size_t n_to,
       struct sg_outbox_batch *batch, const char **error_r)
{
    const struct sg_hold *hold = hn->hold;
    const struct sg_party *sender = hn->sender;
    struct sg_notice_text text = {0};
    if (sg_notice_text_build(hold->verdict, hold->rcpts, hold->n_rcpts, kind,
                             &text, error_r) < 0)
        return -1;
    struct sg_buf who = SG_BUF_INIT;
    if (sender->person != NULL && sender->person->display_name != NULL)
        sg_buf_printf(&who, "%s <%s>", sender->person->display_name,
                      sender->address);
    else
        sg_buf_printf(&who, "<%s>", sender->address);
    char date[80];
    sg_tz_format(sg_rules_tz(hn->rt->rules), hold->time, SG_TIME_LONG, date,
                 sizeof(date));
    struct sg_notice_values values = {
        .record = record,
        .queue_id = hold->queue_id,
        .sender = sg_buf_text_or(&who, NULL),
        .recipients = text.recipients,
        .subject = hold->subject,
        .rules = text.rules,
        .findings = text.findings,
        .explanation = text.explanation,
        .dsl = hn->rt->settings->dsl_contact,
        .date = date,
    };
    int rc = values.sender == NULL
                 ? -1
                 : sg_notice_queue(hn->rt->notice, kind, &values, to, n_to,
                                   time(NULL), batch, error_r);
    if (values.sender == NULL)
        *error_r = "out of memory";
    sg_buf_free(&who);
    sg_notice_text_free(&text);
    return rc;
}

void
sg_hold_notices_render(void *ctx, const char *record,
                       struct sg_outbox_batch *batch)
{
    struct sg_hold_notices *hn = ctx;
    const struct sg_runtime *rt = hn->rt;
    const struct sg_hold *hold = hn->hold;
    const struct sg_party *sender = hn->sender;
    hn->sender_told = hn->dsl_told = false;
    hn->error[0] = '\0';
    if (rt->notice == NULL)
        return;
    const char *error = NULL;
    if (sg_notice_wanted(hold->verdict, "dsl")) {
        if (render(hn, record, SG_NOTICE_HELD_DSL,
                   (const char *const *)rt->settings->dsl_addresses,
                   rt->settings->n_dsl_addresses, batch, &error) < 0)
            snprintf(hn->error, sizeof(hn->error), "%s", error);
        else
            hn->dsl_told = true;
    }
    if (sg_notice_wanted(hold->verdict, "sender") && sender->person != NULL &&
        sender->channel == SG_CHANNEL_SCHOOL) {
        const char *to[] = {sender->address};
        if (render(hn, record, SG_NOTICE_HELD_SENDER, to, 1, batch, &error) < 0)
            snprintf(hn->error, sizeof(hn->error), "%s", error);
        else
            hn->sender_told = true;
    }
}
