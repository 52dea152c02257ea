/*
 * hold.c - notices for a held message, rendered from the templates and
 * sent through the local sendmail with the filter's keyed mark, so that
 * the filter lets its own notices through without evaluating them.
 *
 * SECURITY: the DSL notice names people, rules and findings, never the
 * message body; the sender notice goes only to a known school account, so
 * a forged outside sender cannot make the filter mail someone.
 * Fails by returning -1 with a static or module error string; the caller
 * logs it, and the message stays held with its record.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "hold.h"
#include "notice.h"
#include "sg_buf.h"
#include "sg_tz.h"

static int
deliver(const struct sg_runtime *rt, const struct sg_hold *hold,
        const struct sg_party *sender, const char *record,
        enum sg_notice_kind kind, const char *const *to, size_t n_to,
        const char **error_r)
{
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
    sg_tz_format(sg_rules_tz(rt->rules), hold->time, SG_TIME_LONG, date,
                 sizeof(date));
    struct sg_notice_values values = {
        .record = record,
        .queue_id = hold->queue_id,
        .sender = who.data,
        .recipients = text.recipients,
        .subject = hold->subject,
        .rules = text.rules,
        .findings = text.findings,
        .explanation = text.explanation,
        .dsl = rt->settings->dsl_contact,
        .date = date,
    };
    int rc = who.data == NULL ? -1
                              : sg_notice_deliver(rt->notice, kind, &values, to,
                                                  n_to, time(NULL), error_r);
    if (who.data == NULL)
        *error_r = "out of memory";
    sg_buf_free(&who);
    sg_notice_text_free(&text);
    return rc;
}

int
sg_hold_notify(const struct sg_runtime *rt, const struct sg_hold *hold,
               const struct sg_party *sender, const char *record,
               struct sg_hold_notices *sent_r, const char **error_r)
{
    memset(sent_r, 0, sizeof(*sent_r));
    if (rt->notice == NULL)
        return 0;
    int rc = 0;
    if (sg_notice_wanted(hold->verdict, "dsl")) {
        if (deliver(rt, hold, sender, record, SG_NOTICE_HELD_DSL,
                    (const char *const *)rt->settings->dsl_addresses,
                    rt->settings->n_dsl_addresses, error_r) < 0)
            rc = -1;
        else
            sent_r->dsl = true;
    }
    if (sg_notice_wanted(hold->verdict, "sender") && sender->person != NULL &&
        sender->channel == SG_CHANNEL_SCHOOL) {
        const char *to[] = {sender->address};
        if (deliver(rt, hold, sender, record, SG_NOTICE_HELD_SENDER, to, 1,
                    error_r) < 0)
            rc = -1;
        else
            sent_r->sender = true;
    }
    return rc;
}
