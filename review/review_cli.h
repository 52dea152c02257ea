/*
 * review_cli.h - what the commands of safeguard-review share: the tool's
 * context (the review library, the actor, who runs it), how a decision
 * is credited (--by, SUDO_USER), --school and --track, and printing made
 * safe for a terminal (review_cli.c); and the commands that live in
 * their own files: list, show, audit, export and digest, which print
 * records (review_cli_show.c), and release, reject, escalate, reinject,
 * note and sync, which change them (review_cli_act.c).  safeguard-review.c
 * is the command table, the usage and the dispatch.
 *
 * Each command takes the command's own argv (argv[0] its name), reads
 * its options with sg_review_opts (review_opts.h) and returns a sysexits
 * code; sg_cli_die ends the tool with one.
 */
#ifndef SG_REVIEW_CLI_H
#define SG_REVIEW_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "review.h"
#include "sg_buf.h"

#define SG_CLI_FROM_WHERE "command line"

struct sg_cli {
    struct sg_review *r; /* NULL for passwd, which needs no store */
    struct sg_config *cfg;
    struct sg_review_actor actor;
    const char *unix_user; /* who runs this */
    char from[320];        /* "command line", or with the Unix user */
};

/* "safeguard-review: " and the message on standard error, and exit
 * with code. */
void sg_cli_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* The text of b, or die when an append to it failed: never a line in
 * part. */
const char *sg_cli_whole(const struct sg_buf *b);
/* Print s made safe for the terminal. */
void sg_cli_put_safe(const char *s, bool multiline);

/* Who a decision is credited to with --by (NULL: not given): by, else
 * the user who ran sudo, else NULL (the Unix user). */
const char *sg_cli_credited(const char *by);
/* Credit what follows to by (sg_cli_credited), scoping the actor to
 * that reviewer. */
void sg_cli_credit(struct sg_cli *c, const char *by);
/* --school NAME: one school's records, within the reviewer's own */
void sg_cli_only_school(struct sg_cli *c, const char *name);
/* --track NAME: its bit (struct sg_review_filter's tracks) */
unsigned sg_cli_track_bit(const char *name);
/* The options of a command on one record (argv[0] its name), read by
 * opts (review_opts.h), and the record's id; the tool ends when an option
 * is wrong or there is not one id. */
struct sg_review_opt;
const char *sg_cli_one_record(int argc, char **argv,
                              const struct sg_review_opt *opts);
/* The exit code of a review library result (SG_REVIEW_*). */
int sg_cli_exit_for(int rc);

int sg_cli_list(struct sg_cli *c, int argc, char **argv);
int sg_cli_show(struct sg_cli *c, int argc, char **argv);
int sg_cli_audit(struct sg_cli *c, int argc, char **argv);
int sg_cli_export(struct sg_cli *c, int argc, char **argv);
int sg_cli_digest(struct sg_cli *c, int argc, char **argv);
/* release, reject and escalate, by argv[0] */
int sg_cli_decide(struct sg_cli *c, int argc, char **argv);
int sg_cli_reinject(struct sg_cli *c, int argc, char **argv);
int sg_cli_note(struct sg_cli *c, int argc, char **argv);
int sg_cli_sync(struct sg_cli *c, int argc, char **argv);

#endif
