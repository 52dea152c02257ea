/*
 * hold.h - the notices that go with a held message: to the member of staff
 * who sent it (what, why, that the DSL will review it, the record) and to
 * the DSL (who, to whom, which rules, what was found, the record - not the
 * message itself).  They are rendered into the outbox with the record and
 * sent after the MTA has its answer.
 */
#ifndef SG_HOLD_H
#define SG_HOLD_H

#include "store.h"
#include "sg_runtime.h"

/* What the notices of one hold are made from, and what became of them. */
struct sg_hold_notices {
    const struct sg_runtime *rt;
    const struct sg_hold *hold;
    const struct sg_party *sender; /* who the message was judged to be from */
    bool sender_told;              /* a notice to the sender was queued */
    bool dsl_told;                 /* one to the DSL */
    char error[512];               /* why one could not be ("": none) */
};

/* sg_hold.notices, with ctx a struct sg_hold_notices: render the notices
 * the verdict's rules ask for (notify sender, dsl) into batch.  The sender
 * is told only when they are a known school account (never an outside
 * address, which may be forged).  Notices off (no notice_from): nothing. */
void sg_hold_notices_render(void *ctx, const char *record,
                            struct sg_outbox_batch *batch);

#endif
