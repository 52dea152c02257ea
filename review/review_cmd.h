/*
 * review_cmd.h - safeguard-review's retention commands, in the review
 * library so that their tests call them as the tool does: expire
 * (review_expire.c), legal-hold (review_legal.c) and sar
 * (review_sar.c).  Each returns a sysexits
 * code and prints to stdout (errors to stderr).
 */
#ifndef SG_REVIEW_CMD_H
#define SG_REVIEW_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "review.h"

/* What the tool gives a command: the library, the actor, and how --by
 * credits another reviewer (the tool's own rule, applied to actor). */
struct sg_review_cmd {
    struct sg_review *r;
    struct sg_review_actor *actor;
    void (*credit)(void *ctx, const char *by);
    void *ctx;
};

int sg_review_cmd_legal_hold(const struct sg_review_cmd *c, int argc,
                             char **argv);
int sg_review_cmd_sar(const struct sg_review_cmd *c, int argc, char **argv);
/* expire [--dry-run] (review_expire.c) */
int sg_review_cmd_expire(const struct sg_review_cmd *c, int argc, char **argv);
/* Whichever of the three argv[0] names. */
int sg_review_cmd_retention(const struct sg_review_cmd *c, int argc,
                            char **argv);

/* Place (lift false) or lift a legal hold on record id, for actor (a
 * record of a track the actor does not review is not found): 0,
 * SG_REVIEW_WRONG_STATUS, SG_REVIEW_NOT_FOUND, -1. */
int sg_review_legal(struct sg_review *r, const char *id,
                    const struct sg_review_actor *actor, bool lift,
                    const char *text, const char **error_r);

/* The record's retention in words ("staff-conduct, expires ...") in
 * buf, and its open legal hold ("since ... by ...: reason") in hold ("":
 * none): 0, SG_REVIEW_NOT_FOUND, -1. */
int sg_review_retention_text(struct sg_review *r, const char *id, char *buf,
                             size_t size, char *hold, size_t hold_size);
/* The same as two lines of show. */
void sg_review_print_retention(struct sg_review *r, const char *id,
                               FILE *out);

/* The subject access export of address: every record (not a tombstone)
 * where it is the sender or a recipient, with every other person masked
 * ("[person 1]"), as HTML (json false) or JSON, to out; audited
 * ("subject-access", the requester and the count).  0 and *n_r records,
 * or -1. */
int sg_review_sar(struct sg_review *r, const char *address,
                  const struct sg_review_actor *actor, bool json, FILE *out,
                  size_t *n_r, const char **error_r);

/* text as the export of subject would show it, with no other text
 * masked before (for the fuzzer): malloc'ed, NULL when out of memory. */
char *sg_review_sar_mask_text(const char *subject, const char *text);

#endif
