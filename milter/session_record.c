/*
 * session_record.c - the record a verdict leaves (with a copy of a held
 * message) and the notices written with it, before the MTA is answered;
 * and the sender's notice of a local refusal that leaves no record.
 * Split from session.c, which calls these at RCPT and at end of message.
 */
#include "config.h"

#include <stdlib.h>

#include "hold.h"
#include "log.h"
#include "notice.h"
#include "session_int.h"
#include "store_outbox.h"

/* Log what became of a record's notices; true when some were queued. */
static bool
log_notices(const struct sg_session *s, const char *record,
            const struct sg_hold_notices *sent)
{
    const char *rec = record != NULL ? record : "-";
    if (sent->error[0] != '\0')
        sg_log_error("%s: record %s: a notice could not be made: %s",
                     sg_session_qid(s), rec, sent->error);
    if (sent->sender_told || sent->dsl_told)
        sg_log_info("%s: record %s: notice queued for%s%s", sg_session_qid(s),
                    rec, sent->sender_told ? " the sender" : "",
                    sent->dsl_told
                        ? (sent->sender_told ? " and the DSL" : " the DSL")
                        : "");
    return sent->sender_told || sent->dsl_told;
}

int
sg_session_record(struct sg_session *s, const struct record_of *o,
                  char **record_r, bool *sender_told_r)
{
    const char *error = NULL;
    struct sg_store *q = sg_runtime_quarantine(s->rt, &error);
    bool copy = o->with_copy;
    struct sg_hold hold = {
        .queue_id = sg_session_qid(s),
        .time = o->now,
        .client = s->client_addr,
        .client_trusted = s->trusted,
        .auth_user = s->auth_user,
        .env_from = s->env_from,
        .rcpts = o->rcpts,
        .n_rcpts = o->n_rcpts,
        .subject = o->subject,
        .verdict = o->verdict,
        .data = !copy || sg_msgbuf_spilled(&s->raw)
                    ? NULL
                    : (s->raw.mem.data != NULL ? s->raw.mem.data : ""),
        .len = copy ? s->raw.mem.len : 0,
        .fd = copy ? s->raw.fd : -1,
        .fd_size = copy ? s->raw.size : 0,
        .status = sg_store_status_of_verdict(o->verdict),
        /* kept with the record, for the review page to show the person */
        .sender_name = o->sender != NULL && o->sender->person != NULL
                           ? o->sender->person->display_name
                           : NULL,
    };
    /* the school of a trust it is about (NULL: the one school) */
    hold.school = o->school != NULL ? o->school->name : NULL;
    /* the notices are written with the record and sent after the answer */
    struct sg_hold_notices sent = {.rt = s->rt,
                                   .hold = &hold,
                                   .sender = o->sender,
                                   .school = o->school,
                                   .local = !s->smtp_client};
    hold.notices = sg_hold_notices_render;
    hold.notices_ctx = &sent;
    if (q == NULL || sg_store_hold(q, &hold, record_r, &error) < 0) {
        sg_log_error("%s: cannot record the %s message in %s: %s",
                     sg_session_qid(s), sg_store_status_name(hold.status),
                     sg_store_name(sg_config_store(s->rt->settings)),
                     error != NULL ? error : "unknown error");
        return -1;
    }
    /* the record stands whatever becomes of the notices */
    s->notices_queued |= log_notices(s, *record_r, &sent);
    if (sender_told_r != NULL)
        *sender_told_r = sent.sender_told;
    return 0;
}

/* A locally submitted message refused by rules that do not notify the
 * DSL (so with no record): the sender's notice alone, to the outbox.
 * true when it was queued; when not (logged), the reply keeps the whole
 * explanation, as Postfix's bounce then carries it. */
static bool
notice_refusal(struct sg_session *s, const struct record_of *o)
{
    struct sg_hold hold = {
        .queue_id = sg_session_qid(s),
        .time = o->now,
        .env_from = s->env_from,
        .rcpts = o->rcpts,
        .n_rcpts = o->n_rcpts,
        .subject = o->subject,
        .verdict = o->verdict,
        .status = SG_QSTATUS_REFUSED,
    };
    struct sg_hold_notices sent = {.rt = s->rt,
                                   .hold = &hold,
                                   .sender = o->sender,
                                   .school = o->school,
                                   .local = true};
    struct sg_outbox_batch batch = {0};
    sg_hold_notices_render(&sent, NULL, &batch);
    const char *error = sent.error[0] != '\0' ? sent.error : NULL;
    struct sg_store *q = NULL;
    bool told = sent.sender_told &&
                (q = sg_runtime_quarantine(s->rt, &error)) != NULL &&
                sg_outbox_add(q, &batch, NULL, o->now, &error) == 0;
    if (told)
        s->notices_queued |= log_notices(s, NULL, &sent);
    else
        sg_log_error("%s: cannot queue the refusal notice (the refusal "
                     "carries the explanation instead): %s",
                     sg_session_qid(s),
                     error != NULL ? error : "unknown error");
    sg_outbox_batch_free(&batch);
    return told;
}

bool
sg_session_wants_record(const struct sg_verdict *v)
{
    return v->action == SG_ACTION_HOLD || sg_notice_wanted(v, "dsl");
}

int
sg_session_eom_record(struct sg_session *s, const struct sg_msgview *view,
                      const struct sg_party *rcpts,
                      const struct sg_verdict *verdict, time_t now,
                      char **record_r, bool *told_r)
{
    /* the sender is who the message was judged to come from */
    struct sg_party sender =
        sg_sender_party(&s->sender_claims, s->sender_claims.judged);
    struct record_of o = {
        .rcpts = rcpts,
        .n_rcpts = s->n_rcpts,
        .subject = view->subject,
        .verdict = verdict,
        .sender = &sender,
        .school = s->sender_claims.school, /* the judged claim's */
        .with_copy = verdict->action == SG_ACTION_HOLD,
        .now = now,
    };
    bool local_refusal = verdict->action == SG_ACTION_REJECT &&
                         !s->smtp_client &&
                         sg_hold_notices_tell_refusal(s->rt, &sender);
    bool told = false;
    *told_r = false;
    if (sg_session_wants_record(verdict)) {
        if (sg_session_record(s, &o, record_r, &told) < 0)
            return -1;
    } else if (local_refusal) {
        told = notice_refusal(s, &o);
    }
    *told_r = local_refusal && told;
    return 0;
}
