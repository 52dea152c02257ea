/*
 * review_cli_show.c - the commands of safeguard-review that print
 * records (review_cli.h): list, show (the record, its rules and
 * findings, the message as text with the findings marked, its history),
 * audit, export and digest.
 *
 * SECURITY: everything printed from a held message (addresses, subjects,
 * text, file names) goes through sg_safe_text, so a message cannot send
 * escape sequences to the reviewer's terminal; HTML was reduced to text
 * by the view builder and is never interpreted.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "review_cli.h"
#include "review_cmd.h"
#include "review_opts.h"
#include "sg_buf.h"
#include "sg_config.h"
#include "store_hosts.h"

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
put_marked(const char *text, size_t len, const struct sg_store_finding *f,
           size_t nf, const char *indent)
{
    struct sg_span *spans = NULL;
    size_t n = 0;
    const char *err;
    if (sg_review_find_marks(text, len, f, nf, &spans, &n, &err) < 0)
        sg_cli_die(EX_OSERR, "%s", err);
    struct sg_buf b = SG_BUF_INIT;
    if (sg_findings_mark(&b, text, len, spans, n, &marked_style) < 0)
        sg_cli_die(EX_OSERR, "out of memory");
    free(spans);
    fputs(indent, stdout);
    for (const char *p = sg_cli_whole(&b); *p != '\0'; p++) {
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

int
sg_cli_list(struct sg_cli *c, int argc, char **argv)
{
    struct sg_review_filter f = {.status = SG_QSTATUS_HELD};
    const char *status = NULL, *older = NULL, *newer = NULL, *track = NULL,
               *limit = NULL, *after = NULL;
    unsigned lim = 0;
    const struct sg_review_opt opts[] = {
        SG_OPT_VALUE("status", &status),
        SG_OPT_VALUE("older-than", &older),
        SG_OPT_VALUE("newer-than", &newer),
        SG_OPT_VALUE("rule", &f.rule),
        SG_OPT_VALUE("sender", &f.sender),
        SG_OPT_VALUE("track", &track),
        SG_OPT_VALUE("host", &f.host),
        SG_OPT_VALUE("limit", &limit),
        SG_OPT_FLAG("oldest-first", &f.oldest_first),
        SG_OPT_VALUE("school", &f.school),
        SG_OPT_VALUE("after", &after),
        SG_OPT_END,
    };
    int first = sg_review_opts(argc, argv, opts);
    if (first < 0 || sg_review_opt_age("older-than", older, &f.min_age) < 0 ||
        sg_review_opt_age("newer-than", newer, &f.max_age) < 0 ||
        sg_review_opt_uint("limit", limit, 1000000, &lim) < 0 ||
        sg_review_opt_no_more("list", argc, argv, first) < 0)
        return EX_USAGE;
    f.limit = lim;
    /* the records after one, in the list's order: the next page */
    if (after != NULL &&
        !sg_review_cursor_parse(after, &f.cursor_created, &f.cursor_id))
        sg_cli_die(EX_USAGE, "--after: \"%s\" is not CREATED,ID", after);
    if (track != NULL)
        f.tracks = sg_cli_track_bit(track);
    if (status != NULL && strcmp(status, "all") == 0)
        f.any_status = true;
    else if (status != NULL && sg_store_status_parse(status, &f.status) < 0)
        sg_cli_die(EX_USAGE,
                   "--status: \"%s\" is not held, released, "
                   "rejected, expired, escalated or all",
                   status);
    struct sg_store_item *items = NULL;
    size_t n = 0;
    const char *err;
    if (sg_review_list(c->r, &f, &c->actor, &items, &n, &err) < 0)
        sg_cli_die(EX_SOFTWARE, "%s", err);
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
        printf("%-28s ", sg_cli_whole(&b));
        sg_buf_free(&b);
        sg_cli_put_safe(it->rules, false);
        fputs("\n    to: ", stdout);
        sg_cli_put_safe(it->recipients, false);
        fputs("\n    subject: ", stdout);
        sg_cli_put_safe(it->subject, false);
        putchar('\n');
    }
    if (n > 0)
        printf("SLA: hours left of the %d-hour response target; LATE: past "
               "it.\n",
               sla);
    if (n > 0 && f.limit > 0 && n == f.limit) /* maybe more */
        printf("More: --after %lld,%s\n", (long long)items[n - 1].created,
               items[n - 1].id);
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
        sg_cli_put_safe(name, false);
        putchar(' ');
    }
    putchar('<');
    sg_cli_put_safe(address, false);
    putchar('>');
}

static void
show_facts(const struct sg_cli *c, const struct sg_review_detail *d,
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
        sg_cli_put_safe(d->host, false);
        fputs(d->here ? " (this host)\n" : "\n", stdout);
    }
    if (with_queue && !d->here) {
        fputs("Mail queue on host ", stdout);
        sg_cli_put_safe(d->host, false);
        fputs(", not this one: not checked\n", stdout);
    } else if (with_queue) {
        printf("Mail queue %s", sg_mailqueue_state_name(d->queue));
        if (d->queue == SG_MAILQUEUE_OTHER && d->queue_name != NULL)
            printf(" (%s)", d->queue_name);
        putchar('\n');
    }
    for (size_t i = 0; i < d->n_decisions; i++) {
        const struct sg_store_decision *x = &d->decisions[i];
        printf("%s %s queue id ", i == 0 ? "Decisions " : "          ", x->op);
        sg_cli_put_safe(x->queue_id, false);
        fputs(" on host ", stdout);
        sg_cli_put_safe(x->host, false);
        fputs(": ", stdout);
        if (x->done != 0) {
            fputs("done, ", stdout);
            sg_cli_put_safe(x->outcome != NULL ? x->outcome : "", false);
        } else {
            printf("pending (%d attempt%s)", x->attempts,
                   x->attempts == 1 ? "" : "s");
            if (x->last_error != NULL) {
                fputs(", last: ", stdout);
                sg_cli_put_safe(x->last_error, false);
            }
        }
        putchar('\n');
    }
    fputs("From       ", stdout);
    put_person(rec->sender_name, rec->env_from);
    if (rec->auth_user != NULL) {
        fputs(", logged in as ", stdout);
        sg_cli_put_safe(rec->auth_user, false);
    } else if (rec->trusted) {
        fputs(", from a trusted network", stdout);
    } else {
        fputs(", NOT authenticated (the address may be forged)", stdout);
    }
    if (rec->client != NULL) {
        fputs(", client ", stdout);
        sg_cli_put_safe(rec->client, false);
    }
    putchar('\n');
    for (size_t i = 0; i < d->n_rcpts; i++) {
        fputs(i == 0 ? "To         " : "           ", stdout);
        put_person(d->rcpts[i].name, d->rcpts[i].address);
        fputs(" (", stdout);
        sg_cli_put_safe(d->rcpts[i].roles, false);
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
        sg_cli_put_safe(u->id, false);
        fputs(": ", stdout);
        sg_cli_put_safe(u->title, false);
        printf(" [%s%s]\n",
               strcmp(u->mode, "test") == 0 ? "test mode, would " : "",
               u->action);
        fputs("    Policy: ", stdout);
        sg_cli_put_safe(u->policy, false);
        fputs("\n    Source: ", stdout);
        sg_cli_put_safe(u->source, false);
        putchar('\n');
        for (size_t j = 0; j < d->n_findings; j++) {
            const struct sg_store_finding *f = &d->findings[j];
            if (strcmp(f->rule_id, u->id) != 0)
                continue;
            struct sg_buf b = SG_BUF_INIT;
            if (sg_finding_put(&b, f->detector, f->text, f->location,
                               &found_style) < 0)
                sg_cli_die(EX_OSERR, "out of memory");
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
        sg_cli_put_safe(d->view_error, false);
        putchar('\n');
    } else {
        const struct sg_msgview *v = d->view;
        for (size_t i = 0; i < v->n_texts; i++) {
            const struct sg_text_part *t = &v->texts[i];
            fputs("  --- ", stdout);
            sg_cli_put_safe(t->label, false);
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
            sg_cli_put_safe(a->filename != NULL ? a->filename : "(no name)",
                            false);
            fputs("  ", stdout);
            sg_cli_put_safe(a->content_type, false);
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
show_history(const struct sg_cli *c, const struct sg_review_detail *d)
{
    printf("\nHistory\n");
    for (size_t i = 0; i < d->n_history; i++) {
        const struct sg_store_audit_row *a = &d->history[i];
        char t[64];
        sg_review_time(c->r, a->time, SG_TIME_SHORT, t, sizeof(t));
        printf("  %s  ", t);
        sg_cli_put_safe(a->actor, false);
        if (a->client != NULL) {
            fputs(" (", stdout);
            sg_cli_put_safe(a->client, false);
            putchar(')');
        }
        fputs("  ", stdout);
        sg_cli_put_safe(a->action, false);
        if (a->note != NULL) {
            fputs(": ", stdout);
            sg_cli_put_safe(a->note, false);
        }
        putchar('\n');
    }
}

int
sg_cli_show(struct sg_cli *c, int argc, char **argv)
{
    bool no_queue = false;
    const char *school = NULL;
    const struct sg_review_opt opts[] = {
        SG_OPT_FLAG("no-queue", &no_queue),
        SG_OPT_VALUE("school", &school),
        SG_OPT_END,
    };
    int first = sg_review_opts(argc, argv, opts);
    if (first < 0 || (first < argc &&
                      sg_review_opt_no_more("show", argc, argv, first + 1) < 0))
        return EX_USAGE;
    bool with_queue = !no_queue;
    const char *id = first < argc ? argv[first] : NULL;
    if (school != NULL)
        sg_cli_only_school(c, school);
    if (id == NULL)
        sg_cli_die(EX_USAGE, "show: which record? (safeguard-review list)");
    struct sg_review_detail *d = NULL;
    const char *err;
    int rc = sg_review_show(c->r, id, &c->actor, with_queue, &d, &err);
    if (rc != 0)
        sg_cli_die(sg_cli_exit_for(rc), "%s", err);
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

int
sg_cli_export(struct sg_cli *c, int argc, char **argv)
{
    const char *since_arg = NULL, *format = NULL, *track = NULL, *school = NULL;
    const struct sg_review_opt opts[] = {
        SG_OPT_VALUE("since", &since_arg),
        SG_OPT_VALUE("format", &format),
        SG_OPT_VALUE("track", &track),
        SG_OPT_VALUE("school", &school),
        SG_OPT_END,
    };
    time_t since = 0;
    int fmt = SG_REVIEW_CSV;
    int first = sg_review_opts(argc, argv, opts);
    if (first < 0 || sg_review_opt_when("since", since_arg, &since) < 0 ||
        sg_review_opt_format(format, "csv", SG_REVIEW_CSV, "json",
                             SG_REVIEW_JSON, &fmt) < 0 ||
        sg_review_opt_no_more("export", argc, argv, first) < 0)
        return EX_USAGE;
    if (track != NULL) /* one track's decisions only: as its reviewers see */
        c->actor.tracks = sg_cli_track_bit(track);
    if (school != NULL)
        sg_cli_only_school(c, school);
    const char *err;
    if (sg_review_export(c->r, since, (enum sg_review_format)fmt, stdout,
                         &c->actor, &err) < 0)
        sg_cli_die(EX_IOERR, "%s", err);
    return EX_OK;
}

int
sg_cli_digest(struct sg_cli *c, int argc, char **argv)
{
    bool mail = false;
    const struct sg_review_opt opts[] = {SG_OPT_FLAG("mail", &mail),
                                         SG_OPT_END};
    if (sg_review_opts_only(argc, argv, opts) < 0)
        return EX_USAGE;
    /* one digest per audience: each reads of the records it was told of
     * (the review tracks' people, the chair for the headteacher; in a
     * trust, each school's of its own) */
    struct sg_review_audience *aud = NULL;
    size_t n_aud = 0;
    const char *err;
    if (sg_review_digest_audiences(c->r, &aud, &n_aud, &err) < 0)
        sg_cli_die(EX_SOFTWARE, "%s", err);
    time_t now = time(NULL);
    int rc = EX_OK;
    for (size_t a = 0; a < n_aud; a++) {
        struct sg_buf text = SG_BUF_INIT;
        size_t waiting = 0, overdue = 0;
        if (n_aud > 1) {
            printf("%s== For ", a > 0 ? "\n" : "");
            for (size_t i = 0; i < aud[a].n_to; i++)
                printf("%s%s", i > 0 ? ", " : "", aud[a].to[i]);
            bool every = aud[a].list == SG_REVIEW_TO_ALL; /* the trust's */
            printf("%s%s ==\n",
                   aud[a].school != NULL || aud[a].unowned || every ? ": "
                                                                    : "",
                   aud[a].school != NULL ? aud[a].school
                   : aud[a].unowned      ? "records of no school"
                   : every               ? "every school"
                                         : "");
        }
        if (sg_review_digest(c->r, now, &aud[a], &text, &waiting, &overdue,
                             &err) < 0)
            sg_cli_die(EX_SOFTWARE, "%s", err);
        fputs(text.data != NULL ? text.data : "", stdout);
        if (mail && waiting > 0) {
            if (sg_review_digest_mail(c->r, text.data, &aud[a], waiting,
                                      overdue, now, &c->actor, &err) < 0) {
                fprintf(stderr, "safeguard-review: %s\n", err);
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

int
sg_cli_audit(struct sg_cli *c, int argc, char **argv)
{
    const char *since_arg = NULL;
    const struct sg_review_opt opts[] = {SG_OPT_VALUE("since", &since_arg),
                                         SG_OPT_END};
    time_t since = 0;
    int first = sg_review_opts(argc, argv, opts);
    if (first < 0 || sg_review_opt_when("since", since_arg, &since) < 0)
        return EX_USAGE;
    const char *id = first < argc ? argv[first++] : NULL;
    if (sg_review_opt_no_more("audit", argc, argv, first) < 0)
        return EX_USAGE;
    struct sg_store_audit_row *rows = NULL;
    size_t n = 0;
    const char *err;
    if (sg_review_audit_list(c->r, id, since, &rows, &n, &err) < 0)
        sg_cli_die(EX_SOFTWARE, "%s", err);
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
               a->record_id != NULL ? a->record_id : "-", sg_cli_whole(&who),
               a->action);
        sg_buf_free(&who);
        sg_cli_put_safe(a->note != NULL ? a->note : "", false);
        putchar('\n');
    }
    sg_store_audit_rows_free(&rows, &n);
    /* Reading the audit is itself audited, after the listing. */
    if (sg_store_audit(sg_review_store(c->r), id, c->actor.user, c->actor.from,
                       "audit-read", NULL, &err) < 0)
        sg_cli_die(EX_SOFTWARE, "%s", err);
    return ferror(stdout) ? EX_IOERR : EX_OK;
}
