/*
 * review_outbox.h - safeguard-review's outbox command (review_outbox.c):
 * the notices not yet sent, and sending what is due; a sysexits code.
 */
#ifndef SG_REVIEW_OUTBOX_H
#define SG_REVIEW_OUTBOX_H

#include "review.h"

int sg_review_cmd_outbox(struct sg_review *r, int argc, char **argv);

#endif
