/*
 * review_opts.h - how every safeguard-review command reads its options:
 * a table that names each --option and where its value goes, read by
 * getopt_long (so --name=VALUE and a shortened name work in every
 * command alike), and the readers of the values several commands take
 * (--since, --older-than, --format, --track, --limit), each with one
 * wording of what is wrong.
 *
 * Errors go to standard error, "safeguard-review: --since: "x" is not a
 * date or an age" (getopt_long's own for an unknown option or a missing
 * value); the command then ends with EX_USAGE.
 */
#ifndef SG_REVIEW_OPTS_H
#define SG_REVIEW_OPTS_H

#include <stdbool.h>
#include <time.h>

#include "review.h"
#include "sg_buf.h"

/* One --option of a command; a table of them ends with a NULL name. */
struct sg_review_opt {
    const char *name;   /* "since" for --since */
    const char **value; /* it takes a value: the last one given goes here */
    bool *given;        /* it takes none: set when given */
    struct sg_buf *all; /* it takes a value, and each one given is added
                           here, after a space (value NULL) */
};
/* The entries of a table: --name VALUE into *v; --name alone setting
 * *b; --name VALUE, each added to buf; the end. */
#define SG_OPT_VALUE(name, v) {(name), (v), NULL, NULL}
#define SG_OPT_FLAG(name, b)  {(name), NULL, (b), NULL}
#define SG_OPT_ALL(name, buf) {(name), NULL, NULL, (buf)}
#define SG_OPT_END            {NULL, NULL, NULL, NULL}

/* Read the options of the command argv[0] from argv[1..] by opts.  The
 * arguments that are not options are moved, in their order, to the end:
 * the index of the first of them (argc when none), or -1 when an option
 * is unknown or lacks its value (getopt_long said which). */
int sg_review_opts(int argc, char **argv, const struct sg_review_opt *opts);

/* The same for a command that takes options only: 0, or -1 having said
 * what is wrong (an argument too: "CMD: unexpected argument "X""). */
int sg_review_opts_only(int argc, char **argv,
                        const struct sg_review_opt *opts);

/* 0 when argv has nothing from first on; else -1, saying "CMD:
 * unexpected argument "X"" of the first. */
int sg_review_opt_no_more(const char *cmd, int argc, char **argv, int first);

/* The readers of a value given as --opt v (opt without its dashes).
 * Each leaves *_r alone and returns 0 when v is NULL (not given), and
 * returns -1 having said what is wrong when v is not one. */

/* WHEN (sg_review_parse_when; for "to", sg_review_parse_until: the end
 * of a day that is named). */
int sg_review_opt_when(const char *opt, const char *v, time_t *t_r);
/* AGE (sg_review_parse_age). */
int sg_review_opt_age(const char *opt, const char *v, time_t *t_r);
/* --format v, one of a (value va) or b (vb). */
int sg_review_opt_format(const char *v, const char *a, int va, const char *b,
                         int vb, int *format_r);
/* --track v: staff-conduct or pupil-welfare. */
int sg_review_opt_track(const char *v, enum sg_track *track_r);
/* A whole number from 0 to max. */
int sg_review_opt_uint(const char *opt, const char *v, unsigned max,
                       unsigned *n_r);

#endif
