/*
 * review_cli.c - what safeguard-review's commands share (review_cli.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "review_cli.h"
#include "review_opts.h"
#include "review_settings.h"
#include "sg_rules.h"

void
sg_cli_die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("safeguard-review: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

const char *
sg_cli_whole(const struct sg_buf *b)
{
    if (sg_buf_failed(b))
        sg_cli_die(EX_OSERR, "out of memory");
    return b->data != NULL ? b->data : "";
}

void
sg_cli_put_safe(const char *s, bool multiline)
{
    struct sg_buf b = SG_BUF_INIT;
    if (s == NULL)
        s = "";
    if (sg_safe_text(&b, s, strlen(s), multiline) < 0)
        sg_cli_die(EX_OSERR, "out of memory");
    fputs(sg_cli_whole(&b), stdout);
    sg_buf_free(&b);
}

/* A decision or a note is credited to a reviewer: by (--by), else the
 * user who ran sudo (SUDO_USER, when running as root), else the Unix
 * user.  When that is not the Unix user, the audit's "from" says who
 * typed it, so the credit and the account are both on the record. */
const char *
sg_cli_credited(const char *by)
{
    const char *sudo = getenv("SUDO_USER");
    if (by == NULL && getuid() == 0 && sudo != NULL && *sudo != '\0')
        return sudo;
    return by;
}

void
sg_cli_only_school(struct sg_cli *c, const char *name)
{
    const char *err;
    if (sg_review_only_school(&c->actor, name, &err) < 0)
        sg_cli_die(EX_NOPERM, "%s", err);
}

void
sg_cli_credit(struct sg_cli *c, const char *by)
{
    const char *who = sg_cli_credited(by);
    sg_review_cli_scope(c->cfg, who != NULL ? who : c->unix_user, &c->actor);
    if (who == NULL || strcmp(who, c->unix_user) == 0)
        return;
    if (*who == '\0' || strlen(who) > 128)
        sg_cli_die(EX_USAGE,
                   "--by: give the reviewer's name (at most 128 bytes)");
    snprintf(c->from, sizeof(c->from), "%s, Unix user %s", SG_CLI_FROM_WHERE,
             c->unix_user);
    c->actor.user = who;
    c->actor.from = c->from;
}

int
sg_cli_exit_for(int rc)
{
    switch (rc) {
    case 0:
        return EX_OK;
    case SG_REVIEW_NOT_FOUND:
        return EX_NOINPUT;
    case SG_REVIEW_WRONG_STATUS:
        return EX_DATAERR;
    case SG_REVIEW_GONE:
        return EX_UNAVAILABLE;
    case SG_REVIEW_NOTICE_FAILED:
    default:
        return EX_TEMPFAIL;
    }
}

unsigned
sg_cli_track_bit(const char *name)
{
    enum sg_track t;
    if (sg_review_opt_track(name, &t) < 0)
        exit(EX_USAGE);
    return 1u << t;
}

const char *
sg_cli_one_record(int argc, char **argv, const struct sg_review_opt *opts)
{
    int first = sg_review_opts(argc, argv, opts);
    if (first < 0)
        exit(EX_USAGE);
    if (first + 1 != argc)
        sg_cli_die(EX_USAGE, "%s: give one record id (safeguard-review list)",
                   argv[0]);
    return argv[first];
}
