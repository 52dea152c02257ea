/*
 * hold.c - the notices that go with a record (held, refused, delivered
 * with an archive copy), rendered from the templates with the filter's
 * keyed mark into outbox rows that the store writes in the record's own
 * transaction.  The daemon's outbox thread hands them to the local
 * sendmail after the MTA has its answer (notify.c).
 *
 * Which template: the record's outcome and the audience.  The sender's
 * notices explain only the rules that made the outcome (a journal rule's
 * "delivered" never reaches a notice about a held message); the DSL's
 * carry counts, rule titles, the sender's name and the link, and no
 * pupil identifiers: not the subject, not the recipients' addresses or
 * names, not a matched text, and a pupil who sent a message is "a
 * pupil" (sg_notice_text_build).
 *
 * SECURITY: no notice contains the message body; the sender notice goes
 * only to a known school account, so a forged outside sender cannot make
 * the filter mail someone.
 * A notice that cannot be rendered is reported in the context for the
 * caller to log; the record stands.
 */
#include "config.h"

#include <string.h>
#include <time.h>

#include "hold.h"
#include "notice.h"
#include "sg_buf.h"
#include "sg_tz.h"
#include "store_outbox.h"

/* Is p a pupil or former pupil (whose name is a pupil identifier)? */
static bool
is_pupil(const struct sg_person *p)
{
    for (size_t i = 0; p != NULL && i < p->n_roles; i++)
        if (strcmp(p->roles[i], SG_ROLE_PUPIL) == 0 ||
            strncmp(p->roles[i], SG_ROLE_FORMER_PUPIL,
                    strlen(SG_ROLE_FORMER_PUPIL)) == 0)
            return true;
    return false;
}

/* "Name <address>"; for the DSL, a pupil is "a pupil". */
static void
put_sender(struct sg_buf *who, const struct sg_party *sender, bool dsl)
{
    if (dsl && is_pupil(sender->person))
        sg_buf_puts(who, "a pupil (open the record to see who)");
    else if (sender->person != NULL && sender->person->display_name != NULL)
        sg_buf_printf(who, "%s <%s>", sender->person->display_name,
                      sender->address);
    else
        sg_buf_printf(who, "<%s>", sender->address);
}

static int
render(const struct sg_hold_notices *hn, const char *record,
       enum sg_notice_kind kind, const char *const *to, size_t n_to,
       struct sg_outbox_batch *batch, const char **error_r)
{
    const struct sg_hold *hold = hn->hold;
    const struct sg_runtime *rt = hn->rt;
    struct sg_notice *notice = sg_runtime_notice(rt, hn->school);
    bool dsl = sg_notice_for_dsl(kind);
    struct sg_notice_text text = {0};
    if (sg_notice_text_build(hold->verdict, hold->rcpts, hold->n_rcpts, kind,
                             &text, error_r) < 0)
        return -1;
    struct sg_buf who = SG_BUF_INIT, link = SG_BUF_INIT, expl = SG_BUF_INIT,
                  request = SG_BUF_INIT;
    put_sender(&who, hn->sender, dsl);
    sg_notice_link(notice->review_url, record, &link);
    /* the held message's sender may ask for its release: the link with
     * the record's token goes to them only, never to the DSL */
    if (kind == SG_NOTICE_HELD_SENDER &&
        sg_notice_request_link(notice->review_url, notice->key, record,
                               &request, error_r) < 0) {
        sg_buf_free(&who);
        sg_buf_free(&link);
        sg_notice_text_free(&text);
        return -1;
    }
    /* the contact's words once: in the explanation, or else the
     * template's {dsl} */
    const char *contact = sg_school_contact(rt->settings, hn->school);
    sg_notice_contact_once(&expl, text.explanation, contact);
    bool named = contact != NULL && contact[0] != '\0' && expl.data != NULL &&
                 strstr(expl.data, contact) != NULL;
    char date[80];
    sg_tz_format(sg_rules_tz(sg_runtime_rules(rt, hn->school)), hold->time,
                 SG_TIME_LONG, date, sizeof(date));
    struct sg_notice_values values = {
        .record = record,
        .queue_id = hold->queue_id,
        .sender = sg_buf_text_or(&who, NULL),
        .recipients = text.recipients,
        .subject = dsl ? NULL : hold->subject,
        .rules = text.rules,
        .findings = text.findings,
        .explanation = sg_buf_text_or(&expl, NULL),
        .dsl = named ? SG_NOTICE_DSL_ROLE : contact,
        .date = date,
        .link = sg_buf_text_or(&link, NULL),
        .outcome = sg_notice_outcome(hold->verdict),
        .request = sg_buf_text_or(&request, NULL),
        .policy = sg_school_policy(rt->settings, hn->school),
        .school = hn->school != NULL ? hn->school->name : NULL,
    };
    int rc = -1;
    if (values.sender == NULL || values.link == NULL ||
        sg_buf_failed(&expl) || sg_buf_failed(&request))
        *error_r = "out of memory";
    else
        rc = sg_notice_queue(notice, kind, &values, to, n_to, time(NULL), batch,
                             error_r);
    sg_buf_free(&who);
    sg_buf_free(&link);
    sg_buf_free(&expl);
    sg_buf_free(&request);
    sg_notice_text_free(&text);
    return rc;
}

bool
sg_hold_notices_tell_refusal(const struct sg_runtime *rt,
                             const struct sg_party *sender)
{
    return rt->notice != NULL && sender->person != NULL &&
           sender->channel == SG_CHANNEL_SCHOOL;
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
    enum sg_notice_kind to_dsl = SG_NOTICE_DELIVERED_DSL,
                        to_sender = SG_NOTICE_HELD_SENDER;
    bool tell_sender = false;
    if (hold->status == SG_QSTATUS_HELD) {
        to_dsl = SG_NOTICE_HELD_DSL;
        to_sender = SG_NOTICE_HELD_SENDER;
        tell_sender = sg_notice_wanted(hold->verdict, "sender") &&
                      sender->person != NULL &&
                      sender->channel == SG_CHANNEL_SCHOOL;
    } else if (hold->status == SG_QSTATUS_REFUSED) {
        to_dsl = SG_NOTICE_REFUSED_DSL;
        to_sender = SG_NOTICE_REFUSED_SENDER;
        /* over SMTP the reply explains; a local submission's bounce
         * cannot, so a notice does */
        tell_sender = hn->local && sg_hold_notices_tell_refusal(rt, sender);
    }
    const char *error = NULL;
    if (record != NULL && sg_notice_wanted(hold->verdict, "dsl")) {
        struct sg_notice_config nc;
        const char *const *to;
        size_t n_to;
        sg_school_notice(rt->settings, hn->school, &nc);
        sg_notice_track_to(&nc, sg_verdict_track(hold->verdict),
                           sender->address, hold->rcpts, hold->n_rcpts, &to,
                           &n_to);
        if (render(hn, record, to_dsl, to, n_to, batch, &error) < 0)
            snprintf(hn->error, sizeof(hn->error), "%s", error);
        else
            hn->dsl_told = true;
    }
    if (tell_sender) {
        const char *to[] = {sender->address};
        if (render(hn, record, to_sender, to, 1, batch, &error) < 0)
            snprintf(hn->error, sizeof(hn->error), "%s", error);
        else
            hn->sender_told = true;
    }
}
