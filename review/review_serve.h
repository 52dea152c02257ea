/*
 * review_serve.h - safeguard-review's serve and passwd commands
 * (review_serve.c); each returns a sysexits code.
 */
#ifndef SG_REVIEW_SERVE_H
#define SG_REVIEW_SERVE_H

#include "review.h"
#include "sg_config.h"

int sg_review_cmd_serve(struct sg_review *r, const struct sg_config *cfg, int argc,
                     char **argv);
/* Needs no store: run before one is opened. */
int sg_review_cmd_passwd(const struct sg_config *cfg, int argc, char **argv);

#endif
