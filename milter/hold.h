/*
 * hold.h - the notices that go with a record: to the member of staff who
 * sent a held message (what, why, that the DSL will review it, the
 * record) or a locally submitted message that was refused (the
 * explanation the SMTP reply cannot carry), and to the DSL for every
 * record (held, refused, delivered with an archive copy): who sent it,
 * the rules' titles, counts of what was found and of whom it was to, and
 * a link to the record's page - never the message, a matched text or a
 * pupil's name or address.  They are rendered into the outbox with the
 * record and sent after the MTA has its answer.
 */
#ifndef SG_HOLD_H
#define SG_HOLD_H

#include "store.h"
#include "school.h"
#include "sg_runtime.h"

/* What the notices of one record are made from, and what became of them. */
struct sg_hold_notices {
    const struct sg_runtime *rt;
    const struct sg_hold *hold;    /* its status says which notices */
    const struct sg_party *sender; /* who the message was judged to be from */
    /* the school of a trust it is about (sg_school_of_message): its
     * templates, contact, people to tell and policy; NULL: the trust's */
    const struct sg_school *school;
    bool local;       /* submitted locally (sendmail, not SMTP): a refusal
                         is explained to the sender by a notice */
    bool sender_told; /* a notice to the sender was queued */
    bool dsl_told;    /* one to the DSL */
    char error[512];  /* why one could not be ("": none) */
};

/* sg_hold.notices, with ctx a struct sg_hold_notices: render the notices
 * the record asks for into batch (record NULL: a notice about no record,
 * the refusal of a locally submitted message whose rules do not notify
 * the DSL).  The DSL is told when an enforced rule notifies "dsl", with
 * the text for the record's outcome; the sender of a held message when
 * a rule notifies "sender", and of a locally submitted refused one
 * always, only when they are a known school account (never an outside
 * address, which may be forged).  Notices off (no notice_from):
 * nothing. */
void sg_hold_notices_render(void *ctx, const char *record,
                            struct sg_outbox_batch *batch);

/* Will sg_hold_notices_render tell the sender of this locally submitted
 * refused message?  (Then the SMTP reply can be one line.) */
bool sg_hold_notices_tell_refusal(const struct sg_runtime *rt,
                                  const struct sg_party *sender);

#endif
