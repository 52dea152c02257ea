/*
 * safeguard-review.c - the quarantine review command line.
 *
 *   safeguard-review [-c CONFIG] [-o NAME=VALUE]... COMMAND [ARGS]
 *
 * list, show, release, reject, escalate, note, export, expire, digest,
 * audit, sync: see safeguard-review(8).  The database, the message
 * directory, the notice settings and the review_* settings come from the
 * daemon's configuration file, loaded by the same code
 * (sg_config_load_with, with the review tool's own section); -o overrides
 * any key of it through sg_config_override, checked as in the file.  Every
 * command goes through the review library (review.h), which the web page
 * shares, and is audited as the Unix user running it, from "command line";
 * decisions and notes are credited to the reviewer (--by, SUDO_USER), with
 * the Unix user kept beside it.
 *
 * SECURITY: everything printed from a held message (addresses, subjects,
 * text, file names) goes through sg_safe_text, so a message cannot
 * send escape sequences to the reviewer's terminal; HTML was reduced to
 * text by the view builder and is never interpreted.
 * Fails with a message on standard error and a sysexits code.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "review.h"
#include "review_outbox.h"
#include "review_report.h"
#include "review_serve.h"
#include "review_settings.h"
#include "sg_buf.h"
#include "sg_config.h"
#include "review_cmd.h"
#include "store_hosts.h"

#define DEFAULT_CONFIG SG_SYSCONFDIR "/safeguard-milter.conf"
#define FROM_WHERE "command line"

static const char *progname = "safeguard-review";

static void
usage(FILE *out)
{
    fprintf(
        out,
        "usage: safeguard-review [-c CONFIG] [-o NAME=VALUE]... COMMAND "
        "[ARGS]\n"
        "\n"
        "  list [--status S|all] [--older-than AGE] [--newer-than AGE]\n"
        "       [--rule RULE] [--sender TEXT] [--track T] [--host HOST]\n"
        "       [--limit N] [--oldest-first] [--school NAME]\n"
        "  show ID [--no-queue] [--school NAME]\n"
        "  release ID --note TEXT [--tell-sender TEXT] [--by NAME]\n"
        "  reject ID --note TEXT [--tell-sender TEXT] [--by NAME]\n"
        "  escalate ID --note TEXT [--by NAME]\n"
        "  note ID TEXT [--by NAME]\n"
        "  reinject ID --note TEXT [--release] [--by NAME]\n"
        "                               send a gone host's message again\n"
        "  export [--since WHEN] [--format csv|json] [--track T]\n"
        "  expire [--dry-run]            retention: see safeguard-review(8)\n"
        "  legal-hold ID --reason TEXT | --lift ID --note TEXT [--by NAME]\n"
        "             (--staff ADDRESS for every record of one person)\n"
        "  sar ADDRESS [--format html|json] [--output FILE] [--by NAME]\n"
        "  concerns [--since WHEN] [--track T] [--format csv|json]\n"
        "           [--output FILE]     one row per concern, with pupils\n"
        "  report [--from WHEN] [--to WHEN] [--format html|csv]\n"
        "         [--output FILE]       the provision report for governors\n"
        "  policy [--since WHEN]        the policy's changes, who and why\n"
        "  digest [--mail]\n"
        "  audit [ID] [--since WHEN]\n"
        "  sync\n"
        "  outbox [--all] [--send]      notices not yet sent; send them\n"
        "  serve [--listen HOST:PORT]   the web page for DSLs\n"
        "  passwd [--file FILE] LOGIN   an account of the page's password\n"
        "                               file (the password on stdin)\n"
        "  check                        check the configuration file: every\n"
        "                               setting, the daemon's and this tool's\n"
        "\n"
        "  -c FILE        configuration (default %s)\n"
        "  -o NAME=VALUE  override a setting of that file\n"
        "                 (safeguard-milter.conf(5)), e.g.\n"
        "                 -o review_sla_hours=48\n"
        "  -h, --help     print this help and exit\n"
        "  -V, --version  print the version and exit\n"
        "--note is kept for the record and shown to reviewers; "
        "--tell-sender\n"
        "is mailed to the sender.  A decision is credited to --by, "
        "else\n"
        "SUDO_USER (under sudo), else the Unix user.\n"
        "AGE is a number with s, m, h, d or w; WHEN is YYYY-MM-DD,\n"
        "YYYY-MM-DDTHH:MM[:SS] (UTC) or an AGE ago.\n",
        DEFAULT_CONFIG);
}

static void __attribute__((format(printf, 2, 3), noreturn))
die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", progname);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

/* ------------------------------------------------------------ parsing */

#define parse_age  sg_review_parse_age
#define parse_when sg_review_parse_when

static unsigned
parse_uint(const char *name, const char *v, unsigned max)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n > max || v[0] == '-')
        die(EX_USAGE, "%s: \"%s\" is not a whole number up to %u", name, v,
            max);
    return (unsigned)n;
}

/* ------------------------------------------------------------ output */

/* The text of b, or die when an append to it failed: never a line in
 * part. */
static const char *
whole(const struct sg_buf *b)
{
    if (sg_buf_failed(b))
        die(EX_OSERR, "out of memory");
    return b->data != NULL ? b->data : "";
}

/* Print s made safe for the terminal. */
static void
put_safe(const char *s, bool multiline)
{
    struct sg_buf b = SG_BUF_INIT;
    if (s == NULL)
        s = "";
    if (sg_safe_text(&b, s, strlen(s), multiline) < 0)
        die(EX_OSERR, "out of memory");
    fputs(whole(&b), stdout);
    sg_buf_free(&b);
}

/* Findings on a terminal (sg_safe_text): a value on one line, the
 * message text on several. */
static int
safe_line(struct sg_buf *b, const char *s, size_t len)
{
    return sg_safe_text(b, s, len, false);
}

static int
safe_lines(struct sg_buf *b, const char *s, size_t len)
{
    return sg_safe_text(b, s, len, true);
}

static const struct sg_finding_style found_style = {safe_line, safe_lines, "\"",
                                                    "\""};
static const struct sg_finding_style marked_style = {safe_line, safe_lines,
                                                     ">>>", "<<<"};

/* Print text with its findings between >>> and <<<, each line indented. */
static void
put_marked(const char *text, size_t len,
           const struct sg_store_finding *f, size_t nf, const char *indent)
{
    struct sg_span *spans = NULL;
    size_t n = 0;
    const char *err;
    if (sg_review_find_marks(text, len, f, nf, &spans, &n, &err) < 0)
        die(EX_OSERR, "%s", err);
    struct sg_buf b = SG_BUF_INIT;
    if (sg_findings_mark(&b, text, len, spans, n, &marked_style) < 0)
        die(EX_OSERR, "out of memory");
    free(spans);
    fputs(indent, stdout);
    for (const char *p = whole(&b); *p != '\0'; p++) {
        putchar(*p);
        if (*p == '\n' && p[1] != '\0')
            fputs(indent, stdout);
    }
    putchar('\n');
    sg_buf_free(&b);
}

static void
put_block(const char *title, const char *text)
{
    printf("\n%s\n", title);
    if (text == NULL || *text == '\0') {
        puts("  (none)");
        return;
    }
    put_marked(text, strlen(text), NULL, 0, "  ");
}

static void
human_size(size_t n, char *buf, size_t size)
{
    if (n < 1024)
        snprintf(buf, size, "%zu bytes", n);
    else if (n < 1024 * 1024)
        snprintf(buf, size, "%.1f KB", (double)n / 1024);
    else
        snprintf(buf, size, "%.1f MB", (double)n / (1024 * 1024));
}

/* ------------------------------------------------------------ commands */

struct ctx {
    struct sg_review *r; /* NULL for passwd, which needs no store */
    struct sg_config *cfg;
    struct sg_review_actor actor;
    const char *unix_user; /* who runs this */
    char from[320];        /* "command line", or with the Unix user */
};

/* A decision or a note is credited to a reviewer: by (--by), else the
 * user who ran sudo (SUDO_USER, when running as root), else the Unix
 * user.  When that is not the Unix user, the audit's "from" says who
 * typed it, so the credit and the account are both on the record. */
static const char *
credited(const char *by)
{
    const char *sudo = getenv("SUDO_USER");
    if (by == NULL && getuid() == 0 && sudo != NULL && *sudo != '\0')
        return sudo;
    return by;
}

/* --school NAME: one school's records, within the reviewer's own */
static void
only_school(struct ctx *c, const char *name)
{
    const char *err;
    if (sg_review_only_school(&c->actor, name, &err) < 0)
        die(EX_NOPERM, "%s", err);
}

static void
credit(struct ctx *c, const char *by)
{
    const char *who = credited(by);
    sg_review_cli_scope(c->cfg, who != NULL ? who : c->unix_user, &c->actor);
    if (who == NULL || strcmp(who, c->unix_user) == 0)
        return;
    if (*who == '\0' || strlen(who) > 128)
        die(EX_USAGE, "--by: give the reviewer's name (at most 128 bytes)");
    snprintf(c->from, sizeof(c->from), "%s, Unix user %s", FROM_WHERE,
             c->unix_user);
    c->actor.user = who;
    c->actor.from = c->from;
}

static int
exit_for(int rc)
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

/* --track NAME: its bit (struct sg_review_filter's tracks) */
static unsigned
track_bit(const char *name)
{
    enum sg_track t;
    if (sg_track_parse(name, &t) < 0)
        die(EX_USAGE, "--track: \"%s\" is not staff-conduct or pupil-welfare",
            name);
    return 1u << t;
}

static int
cmd_list(struct ctx *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"status", required_argument, NULL, 's'},
        {"older-than", required_argument, NULL, 'o'},
        {"newer-than", required_argument, NULL, 'n'},
        {"rule", required_argument, NULL, 'r'},
        {"sender", required_argument, NULL, 'f'},
        {"track", required_argument, NULL, 't'},
        {"host", required_argument, NULL, 'H'},
        {"limit", required_argument, NULL, 'l'},
        {"oldest-first", no_argument, NULL, 'O'},
        {"school", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    struct sg_review_filter f = {.status = SG_QSTATUS_HELD};
    int o;
    optind = 0; /* glibc: start afresh (the main scan stopped at "+") */
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 's':
            if (strcmp(optarg, "all") == 0)
                f.any_status = true;
            else if (sg_store_status_parse(optarg, &f.status) < 0)
                die(EX_USAGE, "--status: \"%s\" is not held, released, "
                              "rejected, expired, escalated or all",
                    optarg);
            break;
        case 'o':
            if (parse_age(optarg, &f.min_age) < 0)
                die(EX_USAGE, "--older-than: \"%s\" is not an age", optarg);
            break;
        case 'n':
            if (parse_age(optarg, &f.max_age) < 0)
                die(EX_USAGE, "--newer-than: \"%s\" is not an age", optarg);
            break;
        case 'r':
            f.rule = optarg;
            break;
        case 'f':
            f.sender = optarg;
            break;
        case 't':
            f.tracks = track_bit(optarg);
            break;
        case 'H':
            f.host = optarg;
            break;
        case 'l':
            f.limit = parse_uint("--limit", optarg, 1000000);
            break;
        case 'O':
            f.oldest_first = true;
            break;
        case 'S':
            f.school = optarg;
            break;
        default:
            return EX_USAGE;
        }
    }
    if (optind != argc)
        die(EX_USAGE, "list: unexpected argument \"%s\"", argv[optind]);
    struct sg_store_item *items = NULL;
    size_t n = 0;
    const char *err;
    if (sg_review_list(c->r, &f, &c->actor, &items, &n, &err) < 0)
        die(EX_SOFTWARE, "%s", err);
    time_t now = time(NULL);
    int sla = sg_review_get_settings(c->r)->sla_hours;
    /* a trust's records name their school (a name: school.h) */
    bool schools = c->cfg != NULL && c->cfg->n_schools > 0;
    if (n == 0) {
        printf("No %s records%s.\n",
               f.any_status ? "" : sg_store_status_name(f.status),
               f.rule || f.sender || f.tracks || f.min_age || f.max_age ||
                       f.host || f.school
                   ? " match"
                   : "");
    } else {
        printf("%-20s %-10s %-9s %-7s ", "RECORD", "STATUS", "AGE", "SLA");
        if (schools)
            printf("%-12s ", "SCHOOL");
        printf("%-28s %s\n", "SENDER", "RULES / TO / SUBJECT");
    }
    for (size_t i = 0; i < n; i++) {
        struct sg_store_item *it = &items[i];
        char age[32], slabuf[32];
        sg_review_format_age(now - it->created, age, sizeof(age));
        if (!sg_review_waiting(it->status))
            snprintf(slabuf, sizeof(slabuf), "-");
        else if (sg_review_overdue(c->r, it->status, it->created, now))
            snprintf(slabuf, sizeof(slabuf), "LATE");
        else
            snprintf(slabuf, sizeof(slabuf), "%lldh",
                     (long long)((time_t)sla * 3600 - (now - it->created)) /
                         3600);
        printf("%-20s %-10s %-9s %-7s ", it->id,
               sg_store_status_name(it->status), age, slabuf);
        if (schools)
            printf("%-12s ", *it->school != '\0' ? it->school : "-");
        struct sg_buf b = SG_BUF_INIT;
        sg_safe_text(&b, it->env_from, strlen(it->env_from), false);
        printf("%-28s ", whole(&b));
        sg_buf_free(&b);
        put_safe(it->rules, false);
        fputs("\n    to: ", stdout);
        put_safe(it->recipients, false);
        fputs("\n    subject: ", stdout);
        put_safe(it->subject, false);
        putchar('\n');
    }
    if (n > 0)
        printf("SLA: hours left of the %d-hour response target; LATE: past "
               "it.\n",
               sla);
    sg_store_items_free(&items, &n);
    return ferror(stdout) ? EX_IOERR : EX_OK;
}

/* show: the record's facts (status, times, the queue, who, subject). */
/* "Name <address>" with the directory's name kept with the record, or
 * "<address>" without one. */
static void
put_person(const char *name, const char *address)
{
    if (name != NULL && *name != '\0') {
        put_safe(name, false);
        putchar(' ');
    }
    putchar('<');
    put_safe(address, false);
    putchar('>');
}

static void
show_facts(const struct ctx *c, const struct sg_review_detail *d,
           bool with_queue)
{
    const struct sg_store_record *rec = d->record;
    time_t now = time(NULL);
    char when[64], age[32];
    sg_review_time(c->r, rec->created, SG_TIME_SHORT, when, sizeof(when));
    sg_review_format_age(now - rec->created, age, sizeof(age));

    printf("Record     %s (mail queue id %s)\n", rec->id, rec->queue_id);
    printf("Status     %s", sg_store_status_title(rec->status));
    if (sg_review_waiting(rec->status)) {
        printf(", waiting %s", age);
        if (sg_review_overdue(c->r, rec->status, rec->created, now))
            printf(" - PAST THE %d-HOUR RESPONSE TARGET",
                   sg_review_get_settings(c->r)->sla_hours);
    } else {
        char ch[64];
        sg_review_time(c->r, rec->status_changed, SG_TIME_SHORT, ch,
                       sizeof(ch));
        printf(" on %s", ch);
    }
    /* a record of a message that was not held is of when it was sent */
    printf("\n%s       %s\n",
           sg_store_status_unheld(rec->status) ? "Sent" : "Held", when);
    /* made before tracks were kept: about staff (store.h) */
    printf("Track      %s\n",
           rec->track != NULL ? rec->track : "staff-conduct");
    if (d->host != NULL) {
        fputs("Host       ", stdout);
        put_safe(d->host, false);
        fputs(d->here ? " (this host)\n" : "\n", stdout);
    }
    if (with_queue && !d->here) {
        fputs("Mail queue on host ", stdout);
        put_safe(d->host, false);
        fputs(", not this one: not checked\n", stdout);
    } else if (with_queue) {
        printf("Mail queue %s", sg_mailqueue_state_name(d->queue));
        if (d->queue == SG_MAILQUEUE_OTHER && d->queue_name != NULL)
            printf(" (%s)", d->queue_name);
        putchar('\n');
    }
    for (size_t i = 0; i < d->n_decisions; i++) {
        const struct sg_store_decision *x = &d->decisions[i];
        printf("%s %s queue id ", i == 0 ? "Decisions " : "          ",
               x->op);
        put_safe(x->queue_id, false);
        fputs(" on host ", stdout);
        put_safe(x->host, false);
        fputs(": ", stdout);
        if (x->done != 0) {
            fputs("done, ", stdout);
            put_safe(x->outcome != NULL ? x->outcome : "", false);
        } else {
            printf("pending (%d attempt%s)", x->attempts,
                   x->attempts == 1 ? "" : "s");
            if (x->last_error != NULL) {
                fputs(", last: ", stdout);
                put_safe(x->last_error, false);
            }
        }
        putchar('\n');
    }
    fputs("From       ", stdout);
    put_person(rec->sender_name, rec->env_from);
    if (rec->auth_user != NULL) {
        fputs(", logged in as ", stdout);
        put_safe(rec->auth_user, false);
    } else if (rec->trusted) {
        fputs(", from a trusted network", stdout);
    } else {
        fputs(", NOT authenticated (the address may be forged)", stdout);
    }
    if (rec->client != NULL) {
        fputs(", client ", stdout);
        put_safe(rec->client, false);
    }
    putchar('\n');
    for (size_t i = 0; i < d->n_rcpts; i++) {
        fputs(i == 0 ? "To         " : "           ", stdout);
        put_person(d->rcpts[i].name, d->rcpts[i].address);
        fputs(" (", stdout);
        put_safe(d->rcpts[i].roles, false);
        if (strcmp(d->rcpts[i].channel, "personal") == 0)
            fputs(", a registered personal address", stdout);
        fputs(")\n", stdout);
    }
    fputs("Subject    ", stdout);
    if (rec->subject != NULL)
        put_marked(rec->subject, strlen(rec->subject), d->findings,
                   d->n_findings, "");
    else
        puts("(none)");
}

/* show: each rule that matched, with its findings. */
static void
show_rules(const struct sg_review_detail *d)
{
    printf("\nRules that matched\n");
    for (size_t i = 0; i < d->n_rules; i++) {
        const struct sg_store_rule *u = &d->rules[i];
        fputs("  ", stdout);
        put_safe(u->id, false);
        fputs(": ", stdout);
        put_safe(u->title, false);
        printf(" [%s%s]\n", strcmp(u->mode, "test") == 0 ? "test mode, would "
                                                          : "",
               u->action);
        fputs("    Policy: ", stdout);
        put_safe(u->policy, false);
        fputs("\n    Source: ", stdout);
        put_safe(u->source, false);
        putchar('\n');
        for (size_t j = 0; j < d->n_findings; j++) {
            const struct sg_store_finding *f = &d->findings[j];
            if (strcmp(f->rule_id, u->id) != 0)
                continue;
            struct sg_buf b = SG_BUF_INIT;
            if (sg_finding_put(&b, f->detector, f->text, f->location,
                               &found_style) < 0)
                die(EX_OSERR, "out of memory");
            printf("    Found:  %s\n", b.data);
            sg_buf_free(&b);
        }
    }
}

/* show: the message as text with its findings marked, the attachments. */
static void
show_message(const struct sg_review_detail *d)
{
    printf("\nThe message, as text (findings between >>> and <<<; nothing "
           "in it is run,\nopened or shown as HTML; control characters are "
           "written as \\x..)\n");
    if (d->view == NULL) {
        fputs("  ", stdout);
        put_safe(d->view_error, false);
        putchar('\n');
    } else {
        const struct sg_msgview *v = d->view;
        for (size_t i = 0; i < v->n_texts; i++) {
            const struct sg_text_part *t = &v->texts[i];
            fputs("  --- ", stdout);
            put_safe(t->label, false);
            printf("%s ---\n", t->from_html ? ", HTML shown as text" : "");
            put_marked(t->text, t->len, d->findings, d->n_findings, "  | ");
        }
        if (v->n_texts == 0)
            puts("  (no text)");
        printf("\nAttachments (listed, not opened)\n");
        if (v->n_attachments == 0)
            puts("  (none)");
        for (size_t i = 0; i < v->n_attachments; i++) {
            const struct sg_attachment *a = &v->attachments[i];
            char sz[32];
            human_size(a->size, sz, sizeof(sz));
            fputs("  ", stdout);
            put_safe(a->filename != NULL ? a->filename : "(no name)", false);
            fputs("  ", stdout);
            put_safe(a->content_type, false);
            printf("  %s%s\n", sz,
                   a->depth > 0 ? "  (inside a forwarded message)" : "");
        }
        if (v->malformed)
            puts("  Note: the message's MIME structure was damaged and "
                 "has been repaired to show it.");
    }
}

/* show: the record's audit rows. */
static void
show_history(const struct ctx *c, const struct sg_review_detail *d)
{
    printf("\nHistory\n");
    for (size_t i = 0; i < d->n_history; i++) {
        const struct sg_store_audit_row *a = &d->history[i];
        char t[64];
        sg_review_time(c->r, a->time, SG_TIME_SHORT, t, sizeof(t));
        printf("  %s  ", t);
        put_safe(a->actor, false);
        if (a->client != NULL) {
            fputs(" (", stdout);
            put_safe(a->client, false);
            putchar(')');
        }
        fputs("  ", stdout);
        put_safe(a->action, false);
        if (a->note != NULL) {
            fputs(": ", stdout);
            put_safe(a->note, false);
        }
        putchar('\n');
    }
}

static int
cmd_show(struct ctx *c, int argc, char **argv)
{
    bool with_queue = true;
    const char *id = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-queue") == 0)
            with_queue = false;
        else if (strcmp(argv[i], "--school") == 0 && i + 1 < argc)
            only_school(c, argv[++i]);
        else if (argv[i][0] == '-' || id != NULL)
            die(EX_USAGE, "show: unexpected argument \"%s\"", argv[i]);
        else
            id = argv[i];
    }
    if (id == NULL)
        die(EX_USAGE, "show: which record? (safeguard-review list)");
    struct sg_review_detail *d = NULL;
    const char *err;
    int rc = sg_review_show(c->r, id, &c->actor, with_queue, &d, &err);
    if (rc != 0)
        die(exit_for(rc), "%s", err);
    show_facts(c, d, with_queue);
    sg_review_print_retention(c->r, id, stdout);
    show_rules(d);
    put_block("Explanation sent to the sender", d->record->explain_sender);
    put_block("Explanation for the DSL", d->record->explain_dsl);
    show_message(d);
    show_history(c, d);
    sg_review_detail_free(&d);
    return ferror(stdout) ? EX_IOERR : EX_OK;
}

/* release / reject ID --note TEXT [--tell-sender TEXT] [--by NAME];
 * escalate ID --note TEXT [--by NAME] */
static int
cmd_decide(struct ctx *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"note", required_argument, NULL, 'n'},
        {"tell-sender", required_argument, NULL, 't'},
        {"by", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    const char *what = argv[0], *by = NULL;
    struct sg_review_words words = {NULL, NULL};
    int o;
    optind = 0; /* glibc: start afresh (the main scan stopped at "+") */
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 'n':
            words.note = optarg;
            break;
        case 't':
            words.to_sender = optarg;
            break;
        case 'b':
            by = optarg;
            break;
        default:
            return EX_USAGE;
        }
    }
    if (optind + 1 != argc)
        die(EX_USAGE, "%s: give one record id (safeguard-review list)", what);
    if (words.to_sender != NULL && strcmp(what, "escalate") == 0)
        die(EX_USAGE, "%s: --tell-sender goes with release or reject", what);
    /* --tell-sender once took no text: "--tell-sender --note x" must not
     * mail "--note" to the sender */
    if (words.to_sender != NULL && (!sg_review_text_given(words.to_sender) ||
                                    strncmp(words.to_sender, "--", 2) == 0))
        die(EX_USAGE,
            "%s: --tell-sender TEXT: give the message to the sender (it is "
            "mailed to them; the --note is not)",
            what);
    if (!sg_review_text_given(words.note))
        die(EX_USAGE, "%s: --note is required: say why, for the record",
            what);
    credit(c, by);
    const char *id = argv[optind], *err = NULL;
    int rc;
    if (strcmp(what, "release") == 0)
        rc = sg_review_release(c->r, id, &c->actor, &words, &err);
    else if (strcmp(what, "reject") == 0)
        rc = sg_review_reject(c->r, id, &c->actor, &words, &err);
    else
        rc = sg_review_escalate(c->r, id, &c->actor, words.note, &err);
    if (rc == SG_REVIEW_GONE)
        die(EX_UNAVAILABLE, "not done: %s", err);
    if (rc != 0)
        die(exit_for(rc), "%s", err);
    const char *told =
        words.to_sender != NULL ? "; your message has gone to the sender" : "";
    /* another host holds it: its daemon carries the decision out */
    char *host = NULL;
    if (strcmp(what, "escalate") != 0 &&
        sg_store_record_host(sg_review_store(c->r), id, &host, &err) == 0 &&
        host != NULL &&
        strcmp(host, sg_review_get_settings(c->r)->host_name) != 0) {
        printf("%s: %s by %s; host %s %ss it from its hold queue within "
               "its decision_poll_interval%s.\n",
               id, strcmp(what, "release") == 0 ? "released" : "rejected",
               c->actor.user, host,
               strcmp(what, "release") == 0 ? "release" : "delete", told);
        free(host);
        return EX_OK;
    }
    free(host);
    if (strcmp(what, "release") == 0)
        printf("%s: released by %s; the mail server is delivering it%s.\n", id,
               c->actor.user, told);
    else if (strcmp(what, "reject") == 0)
        printf("%s: rejected by %s and deleted from the mail queue%s.\n", id,
               c->actor.user, told);
    else
        printf("%s: escalated by %s; the message stays held.\n", id,
               c->actor.user);
    return EX_OK;
}

/* reinject ID --note TEXT [--release] [--by NAME]: a host gone for good */
static int
cmd_reinject(struct ctx *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"note", required_argument, NULL, 'n'},
        {"release", no_argument, NULL, 'r'},
        {"by", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    const char *note = NULL, *by = NULL;
    bool release = false;
    int o;
    optind = 0; /* glibc: start afresh (the main scan stopped at "+") */
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 'n':
            note = optarg;
            break;
        case 'r':
            release = true;
            break;
        case 'b':
            by = optarg;
            break;
        default:
            return EX_USAGE;
        }
    }
    if (optind + 1 != argc)
        die(EX_USAGE, "reinject: give one record id (safeguard-review list)");
    if (!sg_review_text_given(note))
        die(EX_USAGE, "reinject: --note is required: say why, for the record");
    credit(c, by);
    const char *id = argv[optind], *err = NULL;
    int rc = sg_review_reinject(c->r, id, &c->actor, note, release, &err);
    if (rc != 0)
        die(exit_for(rc), "%s", err);
    printf("%s: sent again from this host to its recipients by %s; the "
           "copy held on its own host is deleted if that host returns.\n",
           id, c->actor.user);
    return EX_OK;
}

static int
cmd_note(struct ctx *c, int argc, char **argv)
{
    const char *id = NULL, *by = NULL;
    struct sg_buf note = SG_BUF_INIT;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--by") == 0 && i + 1 < argc) {
            by = argv[++i];
        } else if (strcmp(argv[i], "--note") == 0 && i + 1 < argc) {
            sg_buf_printf(&note, "%s%s", note.len ? " " : "", argv[++i]);
        } else if (id == NULL) {
            id = argv[i];
        } else {
            sg_buf_printf(&note, "%s%s", note.len ? " " : "", argv[i]);
        }
    }
    if (id == NULL || (note.len == 0 && !sg_buf_failed(&note)))
        die(EX_USAGE, "note: usage: note ID TEXT");
    whole(&note); /* never a note cut short */
    credit(c, by);
    const char *err;
    int rc = sg_review_note(c->r, id, &c->actor, note.data, &err);
    sg_buf_free(&note);
    if (rc != 0)
        die(exit_for(rc), "%s", err);
    printf("%s: note added.\n", id);
    return EX_OK;
}

static int
cmd_export(struct ctx *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"since", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'},
        {"track", required_argument, NULL, 't'},
        {"school", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    time_t since = 0;
    enum sg_review_format fmt = SG_REVIEW_CSV;
    int o;
    optind = 0; /* glibc: start afresh (the main scan stopped at "+") */
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 's':
            if (parse_when(optarg, &since) < 0)
                die(EX_USAGE, "--since: \"%s\" is not a date or an age",
                    optarg);
            break;
        case 'f':
            if (strcmp(optarg, "csv") == 0)
                fmt = SG_REVIEW_CSV;
            else if (strcmp(optarg, "json") == 0)
                fmt = SG_REVIEW_JSON;
            else
                die(EX_USAGE, "--format: csv or json, not \"%s\"", optarg);
            break;
        case 't': /* one track's decisions only: as its reviewers see them */
            c->actor.tracks = track_bit(optarg);
            break;
        case 'S':
            only_school(c, optarg);
            break;
        default:
            return EX_USAGE;
        }
    }
    if (optind != argc)
        die(EX_USAGE, "export: unexpected argument \"%s\"", argv[optind]);
    const char *err;
    if (sg_review_export(c->r, since, fmt, stdout, &c->actor, &err) < 0)
        die(EX_IOERR, "%s", err);
    return EX_OK;
}

static int
cmd_digest(struct ctx *c, int argc, char **argv)
{
    bool mail = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mail") == 0)
            mail = true;
        else
            die(EX_USAGE, "digest: unexpected argument \"%s\"", argv[i]);
    }
    /* one digest per audience: each reads of the records it was told of
     * (the review tracks' people, the chair for the headteacher; in a
     * trust, each school's of its own) */
    struct sg_review_audience *aud = NULL;
    size_t n_aud = 0;
    const char *err;
    if (sg_review_digest_audiences(c->r, &aud, &n_aud, &err) < 0)
        die(EX_SOFTWARE, "%s", err);
    time_t now = time(NULL);
    int rc = EX_OK;
    for (size_t a = 0; a < n_aud; a++) {
        struct sg_buf text = SG_BUF_INIT;
        size_t waiting = 0, overdue = 0;
        if (n_aud > 1) {
            printf("%s== For ", a > 0 ? "\n" : "");
            for (size_t i = 0; i < aud[a].n_to; i++)
                printf("%s%s", i > 0 ? ", " : "", aud[a].to[i]);
            printf("%s%s ==\n", aud[a].school != NULL ? ": " : "",
                   aud[a].school != NULL ? aud[a].school : "");
        }
        if (sg_review_digest(c->r, now, &aud[a], &text, &waiting, &overdue,
                             &err) < 0)
            die(EX_SOFTWARE, "%s", err);
        fputs(text.data != NULL ? text.data : "", stdout);
        if (mail && waiting > 0) {
            if (sg_review_digest_mail(c->r, text.data, &aud[a], waiting,
                                      overdue, now, &c->actor, &err) < 0) {
                fprintf(stderr, "%s: %s\n", progname, err);
                rc = EX_TEMPFAIL;
            } else {
                printf("\n(mailed)\n");
            }
        } else if (mail) {
            printf("\n(nothing waiting: no mail sent)\n");
        }
        sg_buf_free(&text);
    }
    free(aud);
    return rc;
}

static int
cmd_audit(struct ctx *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"since", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    time_t since = 0;
    int o;
    optind = 0; /* glibc: start afresh (the main scan stopped at "+") */
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (o != 's')
            return EX_USAGE;
        if (parse_when(optarg, &since) < 0)
            die(EX_USAGE, "--since: \"%s\" is not a date or an age", optarg);
    }
    const char *id = optind < argc ? argv[optind++] : NULL;
    if (optind != argc)
        die(EX_USAGE, "audit: unexpected argument \"%s\"", argv[optind]);
    struct sg_store_audit_row *rows = NULL;
    size_t n = 0;
    const char *err;
    if (sg_review_audit_list(c->r, id, since, &rows, &n, &err) < 0)
        die(EX_SOFTWARE, "%s", err);
    printf("%-6s %-24s %-20s %-24s %-14s %s\n", "ID", "TIME", "RECORD",
           "WHO (FROM WHERE)", "ACTION", "NOTE");
    for (size_t i = 0; i < n; i++) {
        const struct sg_store_audit_row *a = &rows[i];
        char t[64];
        sg_review_time(c->r, a->time, SG_TIME_SECONDS, t, sizeof(t));
        struct sg_buf who = SG_BUF_INIT;
        sg_safe_text(&who, a->actor, strlen(a->actor), false);
        if (a->client != NULL) {
            sg_buf_puts(&who, " (");
            sg_safe_text(&who, a->client, strlen(a->client), false);
            sg_buf_puts(&who, ")");
        }
        printf("%-6lld %-24s %-20s %-24s %-14s ", a->id, t,
               a->record_id != NULL ? a->record_id : "-",
               whole(&who), a->action);
        sg_buf_free(&who);
        put_safe(a->note != NULL ? a->note : "", false);
        putchar('\n');
    }
    sg_store_audit_rows_free(&rows, &n);
    /* Reading the audit is itself audited, after the listing. */
    if (sg_store_audit(sg_review_store(c->r), id, c->actor.user,
                            c->actor.from, "audit-read", NULL, &err) < 0)
        die(EX_SOFTWARE, "%s", err);
    return ferror(stdout) ? EX_IOERR : EX_OK;
}

static int
cmd_sync(struct ctx *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        die(EX_USAGE, "sync takes no arguments");
    size_t gone = 0;
    const char *err;
    if (sg_review_sync(c->r, &c->actor, stdout, &gone, &err) < 0)
        die(EX_TEMPFAIL, "%s", err);
    printf("sync: %zu record%s updated for messages no longer held.\n", gone,
           gone == 1 ? "" : "s");
    return EX_OK;
}

/* The web page (review_serve.c). */
static int
cmd_serve(struct ctx *c, int argc, char **argv)
{
    return sg_review_cmd_serve(c->r, c->cfg, argc, argv);
}

static int
cmd_passwd(struct ctx *c, int argc, char **argv)
{
    return sg_review_cmd_passwd(c->cfg, argc, argv);
}

/* expire, legal-hold and sar (review_expire.c, review_legal.c,
 * review_sar.c) */
static void
credit_cb(void *c, const char *by)
{
    credit(c, by);
}
static int
cmd_retention(struct ctx *c, int argc, char **argv)
{
    struct sg_review_cmd k = {c->r, &c->actor, credit_cb, c};
    return sg_review_cmd_retention(&k, argc, argv);
}

/* The notices not yet sent (review_outbox.c). */
static int
cmd_outbox(struct ctx *c, int argc, char **argv)
{
    return sg_review_cmd_outbox(c->r, argc, argv);
}

/* review_report.h */
static int
cmd_policy(struct ctx *c, int argc, char **argv)
{
    return sg_review_cmd_policy(c->r, &c->actor, argc, argv);
}

static int
cmd_report(struct ctx *c, int argc, char **argv)
{
    return sg_review_cmd_report(c->r, &c->actor, argc, argv);
}

static int
cmd_concerns(struct ctx *c, int argc, char **argv)
{
    return sg_review_cmd_concerns(c->r, &c->actor, argc, argv);
}

/* The file loaded with every section (the daemon's and this tool's), so
 * its keys are all checked; nothing is opened. */
static int
cmd_check(struct ctx *c, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "%s: check takes no argument\n", progname);
        return EX_USAGE;
    }
    printf("%s: configuration %s is valid\n", progname,
           c->cfg->file.path != NULL ? c->cfg->file.path
                                     : "(built-in defaults)");
    return EX_OK;
}

static const struct {
    const char *name;
    int (*fn)(struct ctx *, int, char **);
} commands[] = {
    {"list", cmd_list},       {"show", cmd_show},
    {"release", cmd_decide},  {"reject", cmd_decide},
    {"escalate", cmd_decide}, {"note", cmd_note},
    {"export", cmd_export},   {"expire", cmd_retention},
    {"digest", cmd_digest},   {"audit", cmd_audit},
    {"sync", cmd_sync},       {"serve", cmd_serve},
    {"passwd", cmd_passwd},   {"check", cmd_check},
    {"outbox", cmd_outbox},   {"reinject", cmd_reinject},
    {"legal-hold", cmd_retention}, {"sar", cmd_retention},
    {"policy", cmd_policy},   {"report", cmd_report},
    {"concerns", cmd_concerns},
};

int
main(int argc, char **argv)
{
    const char *config = DEFAULT_CONFIG;
    bool config_given = false;
    /* -o applies once the file is loaded, so keep them until then */
    const char *overrides[256];
    size_t n_overrides = 0;
    int o;
    static const struct option lo[] = {{"help", no_argument, NULL, 'h'},
                                       {"version", no_argument, NULL, 'V'},
                                       {NULL, 0, NULL, 0}};
    /* "+": stop at the command; its options are its own */
    while ((o = getopt_long(argc, argv, "+c:o:hV", lo, NULL)) != -1) {
        switch (o) {
        case 'c':
            config = optarg;
            config_given = true;
            break;
        case 'o':
            if (n_overrides == sizeof(overrides) / sizeof(overrides[0]))
                die(EX_USAGE, "-o: more than %zu", n_overrides);
            overrides[n_overrides++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return EX_OK;
        case 'V':
            printf("safeguard-review %s\n", SG_VERSION);
            return EX_OK;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EX_USAGE;
    }
    int (*fn)(struct ctx *, int, char **) = NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[optind], commands[i].name) == 0)
            fn = commands[i].fn;
    if (fn == NULL) {
        fprintf(stderr, "%s: unknown command \"%s\"\n", progname,
                argv[optind]);
        usage(stderr);
        return EX_USAGE;
    }

    const char *err = NULL;
    struct sg_config *cfg =
        sg_config_load_with(config, config_given, sg_review_sections, &err);
    if (cfg == NULL)
        die(EX_CONFIG, "%s", err);
    if (sg_config_override(cfg, overrides, n_overrides, &err) < 0)
        die(EX_USAGE, "%s", err);

    struct passwd *pw = getpwuid(getuid());
    char uidbuf[32];
    snprintf(uidbuf, sizeof(uidbuf), "uid %lu", (unsigned long)getuid());
    struct ctx c = {
        .cfg = cfg,
        .actor = {.user = pw != NULL ? pw->pw_name : uidbuf,
                  .from = FROM_WHERE},
        .unix_user = pw != NULL ? pw->pw_name : uidbuf,
    };
    sg_review_cli_scope(cfg, credited(NULL) ? credited(NULL) : c.unix_user,
                        &c.actor);
    if (fn == cmd_passwd || fn == cmd_check) {
        int rc = fn(&c, argc - optind, argv + optind);
        sg_config_free(&cfg);
        return rc;
    }
    struct sg_notice_config ncfg;
    sg_config_notice(cfg, &ncfg);
    struct sg_review_options opts = {
        .db_path = sg_config_store(cfg),
        .store_dir = cfg->quarantine_dir,
        .notice = &ncfg,
        .dsl_contact = cfg->dsl_contact,
        .school_domains = (const char *const *)cfg->school_domains,
        .n_school_domains = cfg->n_school_domains,
        .timezone = cfg->timezone,
        .create_store = fn == cmd_serve, /* the page comes up on day one */
        .config = cfg,
    };
    sg_review_settings_compose(sg_review_settings_get(cfg), &cfg->mailqueue,
                               &opts.settings);
    if (sg_review_open(&opts, &c.r, &err) < 0) {
        sg_config_free(&cfg);
        die(EX_NOINPUT, "%s", err);
    }
    int rc = fn(&c, argc - optind, argv + optind);
    sg_review_close(&c.r);
    sg_config_free(&cfg);
    if (fflush(stdout) != 0)
        return EX_IOERR;
    return rc;
}
