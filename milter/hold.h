/*
 * hold.h - the notices that go with a held message: to the member of staff
 * who sent it (what, why, that the DSL will review it, the record) and to
 * the DSL (who, to whom, which rules, what was found, the record - not the
 * message itself).
 */
#ifndef SG_HOLD_H
#define SG_HOLD_H

#include "store.h"
#include "sg_runtime.h"

/* Which notices went out. */
struct sg_hold_notices {
    bool sender; /* the sender was told */
    bool dsl;    /* the DSL was told */
};

/* Send the notices the verdict's rules ask for (notify sender, dsl).  The
 * sender is told only when they are a known school account (never an
 * outside address, which may be forged).  Notices off (no notice_from):
 * nothing is sent and 0 is returned.  -1 with *error_r when a notice could
 * not be sent; the message stays held with its record either way. */
int sg_hold_notify(const struct sg_runtime *rt, const struct sg_hold *hold,
                   const struct sg_party *sender, const char *record,
                   struct sg_hold_notices *sent_r, const char **error_r);

#endif
