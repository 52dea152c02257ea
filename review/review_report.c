/*
 * review_report.c - the policy changelog and the provision report
 * (review_report.h), and the command lines of both and of the concern
 * export.
 *
 * The report is for school leaders and governors, who check the
 * filtering and monitoring provision through evidence (the DfE's
 * standards): what the rules caught, month by month and rule by rule,
 * what became of it, how fast the DSLs decided against the school's
 * target (review_decision_target), how often a hold was a false alarm
 * (released, of the holds decided), and what changed in the policy and
 * why.  It is made from counts alone (store.h's report rows carry no
 * id, address, name or subject), so it names no pupil and no member of
 * staff; the changelog's notes are the only free text in it, and the
 * files' owners and hosts are left out.
 *
 * The HTML is one self-contained page: inline CSS with print rules,
 * charts as inline SVG, no script, no fetched resource, so it can be
 * mailed to governors or printed.  Months are the school's (its zone).
 *
 * Fails by returning -1 with an error string; never logs, never exits
 * (the sg_review_cmd_* functions return a sysexits code).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "findings.h"
#include "review_int.h"
#include "review_opts.h"
#include "review_report.h"
#include "sg_buf.h"
#include "sg_config.h"
#include "sg_tz.h"
#include "web_int.h"

/* ------------------------------------------------------------ WHEN */

int
sg_review_parse_age(const char *s, time_t *t_r)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || v < 0)
        return -1;
    long long mul = 1;
    switch (*end) {
    case '\0':
    case 's':
        break;
    case 'm':
        mul = 60;
        break;
    case 'h':
        mul = 3600;
        break;
    case 'd':
        mul = 86400;
        break;
    case 'w':
        mul = 7 * 86400;
        break;
    default:
        return -1;
    }
    if (*end != '\0' && end[1] != '\0')
        return -1;
    if (v > (long long)100 * 365 * 86400 / mul)
        return -1;
    *t_r = (time_t)(v * mul);
    return 0;
}

int
sg_review_parse_when(const char *s, time_t *t_r)
{
    static const char *const formats[] = {"%Y-%m-%dT%H:%M:%SZ",
                                          "%Y-%m-%dT%H:%M:%S",
                                          "%Y-%m-%dT%H:%MZ",
                                          "%Y-%m-%dT%H:%M",
                                          "%Y-%m-%d %H:%M",
                                          "%Y-%m-%d",
                                          NULL};
    for (int i = 0; formats[i] != NULL; i++) {
        struct tm tm = {0};
        const char *end = strptime(s, formats[i], &tm);
        if (end != NULL && *end == '\0') {
            *t_r = timegm(&tm);
            return 0;
        }
    }
    time_t age;
    if (sg_review_parse_age(s, &age) == 0) {
        *t_r = time(NULL) - age;
        return 0;
    }
    return -1;
}

int
sg_review_parse_until(const char *s, time_t *t_r)
{
    if (sg_review_parse_when(s, t_r) < 0)
        return -1;
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%d", &tm);
    if (end != NULL && *end == '\0')
        *t_r += 86400 - 1;
    return 0;
}

/* ------------------------------------------------------------ policy */

static int
write_done(FILE *out, const char **error_r)
{
    if (fflush(out) != 0 || ferror(out))
        return sg_review_fail(error_r, "cannot write: %s", strerror(errno));
    return 0;
}

/* The ids of the rules a diff adds, removes or changes a line of
 * ("rule ID {" lines and the rule a changed line is in), "a, b". */
static void
changed_rules(const char *diff, struct sg_buf *b)
{
    char current[128] = "";
    for (const char *p = diff; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        const char *s = p + 1, *e = p + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        /* the configuration (core/policy.c's heading) is in no rule */
        if (n > 0 && strchr(" +-", p[0]) != NULL &&
            strncmp(p + 1, "# configuration ", 16) == 0)
            current[0] = '\0';
        if (n > 0 && strchr(" +-", p[0]) != NULL && e - s > 5 &&
            strncmp(s, "rule ", 5) == 0) {
            s += 5;
            size_t k = 0;
            while (s < e && k + 1 < sizeof(current) && *s != ' ' && *s != '{')
                current[k++] = *s++;
            current[k] = '\0';
        }
        if (n > 0 && (p[0] == '+' || p[0] == '-') &&
            strncmp(p, "+++", 3) != 0 && strncmp(p, "---", 3) != 0 &&
            current[0] != '\0') {
            /* once each */
            bool seen = false;
            size_t len = strlen(current);
            for (const char *q = b->data; q != NULL && !seen;) {
                const char *c = strstr(q, current);
                if (c == NULL)
                    break;
                seen = (c == b->data || c[-1] == ' ') &&
                       (c[len] == ',' || c[len] == '\0');
                q = c + 1;
            }
            if (!seen) {
                sg_buf_puts(b, b->len > 0 ? ", " : "");
                sg_buf_puts(b, current);
            }
        }
        if (n > 2 && strncmp(p, "@@", 2) == 0) {
            /* the rule the hunk is in, when its header names one */
            const char *r = memmem(p + 2, n - 2, "@@ rule ", 8);
            size_t k = 0;
            if (r != NULL)
                for (r += 8; r < e && k + 1 < sizeof(current) && *r != ' ' &&
                             *r != '{';)
                    current[k++] = *r++;
            current[k] = '\0';
        }
        p += n + (nl != NULL);
    }
}

static void
put_term(FILE *out, const char *s, bool multiline)
{
    struct sg_buf b = SG_BUF_INIT;
    if (s != NULL && sg_safe_text(&b, s, strlen(s), multiline) < 0)
        fputs("(out of memory)", out);
    else if (b.data != NULL)
        fputs(b.data, out);
    sg_buf_free(&b);
}

static void
policy_html(struct sg_review *r, const struct sg_store_policy_change *rows,
            size_t n, struct sg_buf *b)
{
    if (n == 0) {
        sg_buf_puts(b, "<p>No change of the policy is recorded.</p>\n");
        return;
    }
    for (size_t i = n; i-- > 0;) {
        const struct sg_store_policy_change *c = &rows[i];
        char when[64];
        sg_review_time(r, c->time, SG_TIME_SHORT, when, sizeof(when));
        sg_buf_puts(b, "<section class=\"change\"><h2>");
        sg_web_text(b, when);
        sg_buf_puts(b, "</h2>\n<dl><dt>Host</dt><dd>");
        sg_web_text(b, c->host);
        sg_buf_puts(b, "</dd><dt>Changed by</dt><dd>");
        sg_web_text(b, *c->owner ? c->owner : "unknown");
        sg_buf_puts(b, "</dd><dt>Why</dt><dd>");
        sg_web_text(b, *c->note ? c->note : "no note given");
        sg_buf_puts(b, "</dd><dt>Hash</dt><dd><code>");
        sg_web_textn(b, c->hash, strlen(c->hash) > 16 ? 16 : strlen(c->hash));
        sg_buf_puts(b, "</code></dd></dl>\n<pre class=\"diff\">");
        sg_web_text(b, c->diff);
        sg_buf_puts(b, "</pre></section>\n");
    }
}

int
sg_review_policy(struct sg_review *r, time_t since,
                 enum sg_review_report_format format, FILE *out,
                 const struct sg_review_actor *actor, const char **error_r)
{
    if (!sg_review_actor_ok(actor))
        return sg_review_fail(error_r, "policy: missing actor");
    struct sg_store_policy_change *rows = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (sg_store_policy_list(r->q, since, 0, &rows, &n, &err) < 0)
        return sg_review_keep(error_r, "", err);
    if (format == SG_REPORT_HTML) {
        struct sg_buf b = SG_BUF_INIT;
        policy_html(r, rows, n, &b);
        if (b.data != NULL)
            fputs(b.data, out);
        sg_buf_free(&b);
    } else {
        for (size_t i = 0; i < n; i++) {
            const struct sg_store_policy_change *c = &rows[i];
            char when[64];
            sg_review_time(r, c->time, SG_TIME_SECONDS, when, sizeof(when));
            fprintf(out, "change %lld at %s on ", c->id, when);
            put_term(out, c->host, false);
            fprintf(out, "\n  hash:  %s\n  by:    ", c->hash);
            put_term(out, *c->owner ? c->owner : "unknown", false);
            fputs("\n  why:   ", out);
            put_term(out, *c->note ? c->note : "(no note given)", false);
            fputs("\n", out);
            put_term(out, c->diff, true);
            fputs("\n", out);
        }
        if (n == 0)
            fputs("no policy change recorded\n", out);
    }
    sg_store_policy_changes_free(&rows, &n);
    if (write_done(out, error_r) < 0)
        return -1;
    return sg_review_audit(r, NULL, actor, "policy", NULL, error_r);
}

/* ------------------------------------------------------------ report */

/* A count under a name, in the order first met; a school's also counts
 * its holds and their decisions. */
struct tally {
    char key[64];
    size_t n;
    size_t held, released, rejected;
};

struct tallies {
    struct tally *t;
    size_t n, cap;
};

/* Count one under key: its tally, or NULL when out of memory. */
static struct tally *
tally_add(struct tallies *ts, const char *key)
{
    for (size_t i = 0; i < ts->n; i++)
        if (strcmp(ts->t[i].key, key) == 0) {
            ts->t[i].n++;
            return &ts->t[i];
        }
    if (sg_array_grow((void **)&ts->t, &ts->cap, ts->n, sizeof(*ts->t)) < 0)
        return NULL;
    struct tally *t = &ts->t[ts->n++];
    *t = (struct tally){.n = 1};
    snprintf(t->key, sizeof(t->key), "%s", key);
    return t;
}

/* Everything the report shows. */
struct report {
    struct sg_store_report_record *recs;
    size_t n_recs;
    struct sg_store_report_rule *rules;
    size_t n_rules;
    struct sg_store_policy_change *changes;
    size_t n_changes;
    struct tallies months, outcomes;
    /* per school (the key "" for records of no school), when the report
     * is a trust's: by_school; school: the one school a school's
     * reviewer's report counts (NULL: every record) */
    struct tallies schools;
    bool by_school;
    const char *school;
    size_t held, decided, within, released, rejected;
    time_t median; /* time to decision; 0 when none was decided */
    time_t target;
};

static int
cmp_time(const void *a, const void *b)
{
    time_t x = *(const time_t *)a, y = *(const time_t *)b;
    return (x > y) - (x < y);
}

static int
report_count(struct sg_review *r, struct report *rep)
{
    time_t *waits = calloc(rep->n_recs + 1, sizeof(*waits));
    if (waits == NULL)
        return -1;
    size_t n_waits = 0;
    for (size_t i = 0; i < rep->n_recs; i++) {
        const struct sg_store_report_record *x = &rep->recs[i];
        struct tm tm;
        char month[16];
        sg_tz_local(sg_review_tz(r), x->created, &tm);
        strftime(month, sizeof(month), "%Y-%m", &tm);
        struct tally *sch = tally_add(&rep->schools, x->school);
        if (tally_add(&rep->months, month) == NULL ||
            tally_add(&rep->outcomes, sg_store_status_name(x->status)) ==
                NULL ||
            sch == NULL) {
            free(waits);
            return -1;
        }
        if (!x->held)
            continue;
        rep->held++;
        rep->released += x->status == SG_QSTATUS_RELEASED;
        rep->rejected += x->status == SG_QSTATUS_REJECTED;
        sch->held++;
        sch->released += x->status == SG_QSTATUS_RELEASED;
        sch->rejected += x->status == SG_QSTATUS_REJECTED;
        if (x->decided != 0) {
            time_t wait = x->decided > x->created ? x->decided - x->created : 0;
            waits[n_waits++] = wait;
            rep->within += wait <= rep->target;
        }
    }
    rep->decided = n_waits;
    /* a trust's report: schools are configured, or some record names
     * one; one school's (no school anywhere) has no such section */
    bool named = false;
    for (size_t i = 0; i < rep->schools.n; i++)
        named = named || rep->schools.t[i].key[0] != '\0';
    rep->by_school = rep->school == NULL &&
                     ((r->config != NULL && r->config->n_schools > 0) || named);
    if (n_waits > 0) {
        qsort(waits, n_waits, sizeof(*waits), cmp_time);
        rep->median = waits[n_waits / 2];
    }
    free(waits);
    return 0;
}

/* "2d 3h", "1d", "5h 20m", "12m", "40s" */
static void
duration(time_t s, char *buf, size_t size)
{
    if (s >= 86400 && s % 86400 < 3600)
        snprintf(buf, size, "%lldd", (long long)(s / 86400));
    else if (s >= 86400)
        snprintf(buf, size, "%lldd %lldh", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600));
    else if (s >= 3600)
        snprintf(buf, size, "%lldh %lldm", (long long)(s / 3600),
                 (long long)(s % 3600 / 60));
    else if (s >= 60)
        snprintf(buf, size, "%lldm", (long long)(s / 60));
    else
        snprintf(buf, size, "%llds", (long long)s);
}

/* Percent of part in whole, one decimal; "-" when whole is 0. */
static void
percent(size_t part, size_t whole, char *buf, size_t size)
{
    if (whole == 0)
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.1f%%", 100.0 * (double)part / (double)whole);
}

#define BAR_W   360 /* the longest bar, in pixels */
#define LABEL_W 240
#define ROW_H   22

/* A horizontal bar chart: one bar per label. */
static void
svg_bars(struct sg_buf *b, const char *title, const char *const *labels,
         const size_t *counts, size_t n)
{
    size_t max = 1;
    for (size_t i = 0; i < n; i++)
        if (counts[i] > max)
            max = counts[i];
    sg_buf_printf(b,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                  "height=\"%zu\" role=\"img\" aria-label=\"",
                  LABEL_W + BAR_W + 60, n * ROW_H + 4);
    sg_web_text(b, title);
    sg_buf_puts(b, "\">\n");
    for (size_t i = 0; i < n; i++) {
        size_t y = i * ROW_H + 2;
        size_t w = counts[i] * BAR_W / max;
        sg_buf_printf(b, "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\">",
                      LABEL_W - 6, y + 15);
        sg_web_textn(b, labels[i],
                     strlen(labels[i]) > 36 ? 36 : strlen(labels[i]));
        sg_buf_printf(b,
                      "</text><rect x=\"%d\" y=\"%zu\" width=\"%zu\" "
                      "height=\"%d\" class=\"bar\" fill=\"#2b6cb0\"/>"
                      "<text x=\"%zu\" "
                      "y=\"%zu\">%zu</text>\n",
                      LABEL_W, y + 2, w > 0 ? w : 1, ROW_H - 6, LABEL_W + w + 6,
                      y + 15, counts[i]);
    }
    sg_buf_puts(b, "</svg>\n");
}

static void
tallies_chart(struct sg_buf *b, const char *title, const struct tallies *ts)
{
    const char **labels = calloc(ts->n + 1, sizeof(*labels));
    size_t *counts = calloc(ts->n + 1, sizeof(*counts));
    if (labels != NULL && counts != NULL) {
        for (size_t i = 0; i < ts->n; i++) {
            labels[i] = ts->t[i].key;
            counts[i] = ts->t[i].n;
        }
        svg_bars(b, title, labels, counts, ts->n);
    } else {
        sg_buf_fail(b);
    }
    free(labels);
    free(counts);
}

static void
row2(struct sg_buf *b, const char *th, const char *td)
{
    sg_buf_puts(b, "<tr><th scope=\"row\">");
    sg_web_text(b, th);
    sg_buf_puts(b, "</th><td class=\"n\">");
    sg_web_text(b, td);
    sg_buf_puts(b, "</td></tr>\n");
}

const char sg_review_report_css[] =
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:62em;"
    "color:#111;line-height:1.4}"
    "h1{font-size:1.6em}h2{font-size:1.2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;margin:.5em 0 1em}"
    "th,td{border:1px solid #bbb;padding:.2em .6em;text-align:left;"
    "vertical-align:top}td.n{text-align:right}"
    "svg{display:block;margin:.5em 0}svg text{font-size:12px;fill:#111}"
    ".note{color:#444}"
    "@media print{body{margin:0;max-width:none}section{break-inside:avoid}"
    ".bar{fill:#555}}";

/* The name a school's row shows: records of no school (made before
 * schools were kept, or whose pupil's school was not known) too. */
static const char *
school_label(const char *key)
{
    return *key != '\0' ? key : "(no school)";
}

/* A trust's report: messages, holds and decisions per school. */
static void
report_schools_html(const struct report *rep, struct sg_buf *b)
{
    sg_buf_puts(b, "<section id=\"schools\"><h2>By school</h2>\n");
    const char **labels = calloc(rep->schools.n + 1, sizeof(*labels));
    size_t *counts = calloc(rep->schools.n + 1, sizeof(*counts));
    if (labels == NULL || counts == NULL) {
        sg_buf_fail(b);
    } else {
        for (size_t i = 0; i < rep->schools.n; i++) {
            labels[i] = school_label(rep->schools.t[i].key);
            counts[i] = rep->schools.t[i].n;
        }
        svg_bars(b, "Messages caught per school", labels, counts,
                 rep->schools.n);
    }
    free(labels);
    free(counts);
    sg_buf_puts(b, "<table><tr><th>School</th><th>Messages</th><th>Held</th>"
                   "<th>Released</th><th>Rejected</th></tr>\n");
    for (size_t i = 0; i < rep->schools.n; i++) {
        const struct tally *t = &rep->schools.t[i];
        sg_buf_puts(b, "<tr><td>");
        sg_web_text(b, school_label(t->key));
        sg_buf_printf(b,
                      "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                      "<td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                      "</tr>\n",
                      t->n, t->held, t->released, t->rejected);
    }
    sg_buf_puts(b, "</table></section>\n");
}

static void
report_html(struct sg_review *r, const struct report *rep, time_t from,
            time_t to, time_t now, bool page, struct sg_buf *b)
{
    char t0[64], t1[64], made[64], buf[64], buf2[64];
    if (from != 0)
        sg_review_time(r, from, SG_TIME_SHORT, t0, sizeof(t0));
    else
        snprintf(t0, sizeof(t0), "the first record");
    sg_review_time(r, to != 0 ? to : now, SG_TIME_SHORT, t1, sizeof(t1));
    sg_review_time(r, now, SG_TIME_SHORT, made, sizeof(made));
    sg_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en-GB\"><head>"
                   "<meta charset=\"utf-8\"><title>Filtering and monitoring: "
                   "provision report</title>\n");
    /* the page's Content-Security-Policy allows no inline style: there
     * the same rules come from this server */
    if (page)
        sg_buf_puts(b, "<link rel=\"stylesheet\" href=\"/report.css\">");
    else
        sg_buf_printf(b, "<style>%s</style>", sg_review_report_css);
    sg_buf_puts(b, "</head>\n<body>\n<h1>Filtering and monitoring: "
                   "provision report</h1>\n<p>From ");
    sg_web_text(b, t0);
    sg_buf_puts(b, " to ");
    sg_web_text(b, t1);
    sg_buf_puts(b, ". Made ");
    sg_web_text(b, made);
    sg_buf_puts(b, ". It names no pupil and no member of staff.</p>\n");
    if (rep->school != NULL) {
        sg_buf_puts(b, "<p id=\"scope\">School: <strong>");
        sg_web_text(b, rep->school);
        sg_buf_puts(b, "</strong> (its records only).</p>\n");
    }

    sg_buf_puts(b, "<section id=\"summary\"><h2>Summary</h2><table>\n");
    snprintf(buf, sizeof(buf), "%zu", rep->n_recs);
    row2(b, "Messages the rules caught", buf);
    snprintf(buf, sizeof(buf), "%zu", rep->held);
    row2(b, "Held for a decision", buf);
    snprintf(buf, sizeof(buf), "%zu", rep->decided);
    row2(b, "Decided", buf);
    duration(rep->target, buf2, sizeof(buf2));
    percent(rep->within, rep->decided, buf, sizeof(buf));
    char line[160];
    snprintf(line, sizeof(line), "%zu of %zu (%s)", rep->within, rep->decided,
             buf);
    char label[128];
    snprintf(label, sizeof(label), "Decided within the target (%s)", buf2);
    row2(b, label, line);
    if (rep->decided > 0)
        duration(rep->median, buf, sizeof(buf));
    else
        snprintf(buf, sizeof(buf), "-");
    row2(b, "Median time to decision", buf);
    percent(rep->released, rep->released + rep->rejected, buf, sizeof(buf));
    snprintf(line, sizeof(line), "%s (%zu released of %zu decided)", buf,
             rep->released, rep->released + rep->rejected);
    row2(b, "False positives (holds released)", line);
    snprintf(buf, sizeof(buf), "%zu", rep->n_changes);
    row2(b, "Changes of the policy", buf);
    sg_buf_puts(b, "</table></section>\n");

    sg_buf_puts(b, "<section id=\"months\"><h2>By month</h2>\n");
    tallies_chart(b, "Messages caught per month", &rep->months);
    sg_buf_puts(b, "<table><tr><th>Month</th><th>Messages</th></tr>\n");
    for (size_t i = 0; i < rep->months.n; i++) {
        snprintf(buf, sizeof(buf), "%zu", rep->months.t[i].n);
        row2(b, rep->months.t[i].key, buf);
    }
    sg_buf_puts(b, "</table></section>\n");

    if (rep->by_school)
        report_schools_html(rep, b);

    sg_buf_puts(b, "<section id=\"rules\"><h2>By rule</h2>\n");
    const char **labels = calloc(rep->n_rules + 1, sizeof(*labels));
    size_t *counts = calloc(rep->n_rules + 1, sizeof(*counts));
    if (labels == NULL || counts == NULL) {
        sg_buf_fail(b);
    } else {
        for (size_t i = 0; i < rep->n_rules; i++) {
            labels[i] = rep->rules[i].rule_id;
            counts[i] = rep->rules[i].records;
        }
        svg_bars(b, "Messages caught per rule", labels, counts, rep->n_rules);
    }
    free(labels);
    free(counts);
    sg_buf_puts(b, "<table><tr><th>Rule</th><th>Title</th><th>Category</th>"
                   "<th>Messages</th><th>Released</th><th>Rejected</th>"
                   "</tr>\n");
    for (size_t i = 0; i < rep->n_rules; i++) {
        const struct sg_store_report_rule *u = &rep->rules[i];
        sg_buf_puts(b, "<tr><td>");
        sg_web_text(b, u->rule_id);
        sg_buf_puts(b, "</td><td>");
        sg_web_text(b, u->title);
        sg_buf_puts(b, "</td><td>");
        sg_web_text(b, u->category);
        sg_buf_printf(b,
                      "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                      "<td class=\"n\">%zu</td></tr>\n",
                      u->records, u->released, u->rejected);
    }
    sg_buf_puts(b, "</table></section>\n");

    sg_buf_puts(b, "<section id=\"outcomes\"><h2>By outcome</h2><table>\n");
    for (size_t i = 0; i < rep->outcomes.n; i++) {
        enum sg_store_status st;
        const char *name = rep->outcomes.t[i].key;
        if (sg_store_status_parse(name, &st) == 0)
            name = sg_store_status_title(st);
        snprintf(buf, sizeof(buf), "%zu", rep->outcomes.t[i].n);
        row2(b, name, buf);
    }
    sg_buf_puts(b, "</table></section>\n");

    sg_buf_puts(b, "<section id=\"changes\"><h2>Changes of the policy</h2>\n");
    if (rep->n_changes == 0)
        sg_buf_puts(b, "<p>None in the period.</p>\n");
    else
        sg_buf_puts(b, "<table><tr><th>When</th><th>Rules changed</th>"
                       "<th>Why</th></tr>\n");
    for (size_t i = 0; i < rep->n_changes; i++) {
        const struct sg_store_policy_change *c = &rep->changes[i];
        struct sg_buf rules = SG_BUF_INIT;
        changed_rules(c->diff, &rules);
        sg_review_time(r, c->time, SG_TIME_SHORT, buf, sizeof(buf));
        sg_buf_puts(b, "<tr><td>");
        sg_web_text(b, buf);
        sg_buf_puts(b, "</td><td>");
        /* the first version recorded adds every line */
        bool first = strstr(c->diff, "\n@@ -0,0 ") != NULL;
        sg_web_text(b, first              ? "the first version recorded"
                       : *c->diff == '\0' ? "none (a note only)"
                       : rules.len > 0    ? rules.data
                                          : "settings only");
        sg_buf_puts(b, "</td><td>");
        sg_web_text(b, *c->note ? c->note : "no note given");
        sg_buf_puts(b, "</td></tr>\n");
        if (sg_buf_failed(&rules))
            sg_buf_fail(b);
        sg_buf_free(&rules);
    }
    if (rep->n_changes > 0)
        sg_buf_puts(b, "</table>\n");
    sg_buf_puts(b, "</section>\n</body></html>\n");
}

/* The same counts as CSV: measure, key, title, category, count.  A
 * trust's, or a school's reviewer's, has the rows "school" (key: the
 * school, "" for records of no school), "school_held",
 * "school_released" and "school_rejected". */
static void
report_csv(const struct report *rep, FILE *out)
{
    static const char *const head[] = {"measure", "key", "title", "category",
                                       "count"};
    char n[32];
    for (size_t i = 0; i < 5; i++)
        sg_review_csv_cell(out, head[i], i == 4);
#define ROW(m, k, t, c, v)                                                     \
    do {                                                                       \
        snprintf(n, sizeof(n), "%zu", (size_t)(v));                            \
        sg_review_csv_cell(out, m, false);                                     \
        sg_review_csv_cell(out, k, false);                                     \
        sg_review_csv_cell(out, t, false);                                     \
        sg_review_csv_cell(out, c, false);                                     \
        sg_review_csv_cell(out, n, true);                                      \
    } while (0)
    ROW("messages", "all", "", "", rep->n_recs);
    ROW("messages", "held", "", "", rep->held);
    for (size_t i = 0; i < rep->months.n; i++)
        ROW("month", rep->months.t[i].key, "", "", rep->months.t[i].n);
    for (size_t i = 0; i < rep->outcomes.n; i++)
        ROW("outcome", rep->outcomes.t[i].key, "", "", rep->outcomes.t[i].n);
    for (size_t i = 0; (rep->by_school || rep->school != NULL) &&
                       i < rep->schools.n;
         i++) {
        const struct tally *t = &rep->schools.t[i];
        ROW("school", t->key, "", "", t->n);
        ROW("school_held", t->key, "", "", t->held);
        ROW("school_released", t->key, "", "", t->released);
        ROW("school_rejected", t->key, "", "", t->rejected);
    }
    for (size_t i = 0; i < rep->n_rules; i++) {
        const struct sg_store_report_rule *u = &rep->rules[i];
        ROW("rule", u->rule_id, u->title, u->category, u->records);
        ROW("rule_released", u->rule_id, u->title, u->category, u->released);
        ROW("rule_rejected", u->rule_id, u->title, u->category, u->rejected);
    }
    ROW("decisions", "decided", "", "", rep->decided);
    ROW("decisions", "within_target", "", "", rep->within);
    ROW("decisions", "target_seconds", "", "", rep->target);
    ROW("decisions", "median_seconds", "", "", rep->median);
    ROW("holds", "released", "", "", rep->released);
    ROW("holds", "rejected", "", "", rep->rejected);
    ROW("policy_changes", "all", "", "", rep->n_changes);
#undef ROW
}

static void
report_free(struct report *rep)
{
    sg_store_report_records_free(&rep->recs, &rep->n_recs);
    sg_store_report_rules_free(&rep->rules, &rep->n_rules);
    sg_store_policy_changes_free(&rep->changes, &rep->n_changes);
    free(rep->months.t);
    free(rep->outcomes.t);
    free(rep->schools.t);
}

int
sg_review_report(struct sg_review *r, time_t from, time_t to, time_t now,
                 enum sg_review_report_format format, FILE *out,
                 const struct sg_review_actor *actor, const char **error_r)
{
    if (!sg_review_actor_ok(actor))
        return sg_review_fail(error_r, "report: missing actor");
    /* a login no school names, where schools are kept, counts nothing */
    if (actor->tracks == SG_REVIEW_TRACKS_NONE)
        return sg_review_fail(error_r, "report: %s reviews no school",
                              actor->user);
    /* a school's reviewer counts its records only (review_school.c) */
    struct report rep = {.target = r->s.decision_target,
                         .school = actor->school};
    const char *err = NULL;
    int rc = -1;
    if (sg_store_report_records(r->q, from, to, rep.school, &rep.recs,
                                &rep.n_recs, &err) < 0 ||
        sg_store_report_rules(r->q, from, to, rep.school, &rep.rules,
                              &rep.n_rules, &err) < 0 ||
        sg_store_policy_list(r->q, from, to, &rep.changes, &rep.n_changes,
                             &err) < 0) {
        rc = sg_review_keep(error_r, "", err);
        goto out;
    }
    if (report_count(r, &rep) < 0) {
        rc = sg_review_fail(error_r, "out of memory");
        goto out;
    }
    if (format == SG_REPORT_CSV) {
        report_csv(&rep, out);
    } else {
        struct sg_buf b = SG_BUF_INIT;
        report_html(r, &rep, from, to, now, format == SG_REPORT_PAGE, &b);
        if (sg_buf_failed(&b)) {
            sg_buf_free(&b);
            rc = sg_review_fail(error_r, "out of memory");
            goto out;
        }
        fputs(b.data, out);
        sg_buf_free(&b);
    }
    if (write_done(out, error_r) < 0)
        goto out;
    char note[160];
    snprintf(note, sizeof(note), "%zu records as %s%s%s", rep.n_recs,
             format == SG_REPORT_CSV ? "csv" : "html",
             rep.school != NULL ? " school=" : "",
             rep.school != NULL ? rep.school : "");
    rc = sg_review_audit(r, NULL, actor, "report", note, error_r);
out:
    report_free(&rep);
    return rc;
}

/* ------------------------------------------------------------ commands */

/* What a command writes: the library call, with its arguments. */
struct job {
    struct sg_review *r;
    const struct sg_review_actor *actor;
    time_t from, to;
    int format;
    enum sg_track track;
    int (*write)(const struct job *j, FILE *out, const char **error_r);
};

/* Run j into path (created 0640: what it writes is the school's), or to
 * standard output: a sysexits code. */
static int
run_job(const struct job *j, const char *path)
{
    FILE *out = stdout;
    if (path != NULL) {
        mode_t old = umask(027);
        out = fopen(path, "w");
        umask(old);
        if (out == NULL) {
            fprintf(stderr, "safeguard-review: %s: %s\n", path,
                    strerror(errno));
            return EX_CANTCREAT;
        }
    }
    const char *err = NULL;
    int rc = j->write(j, out, &err);
    if (rc < 0)
        fprintf(stderr, "safeguard-review: %s\n", err);
    bool written =
        out == stdout ? fflush(out) == 0 : !ferror(out) && fclose(out) == 0;
    if (!written)
        fprintf(stderr, "safeguard-review: cannot write %s\n",
                path != NULL ? path : "to standard output");
    return rc < 0 || !written ? EX_IOERR : EX_OK;
}

static int
write_policy(const struct job *j, FILE *out, const char **error_r)
{
    return sg_review_policy(j->r, j->from, SG_REPORT_TEXT, out, j->actor,
                            error_r);
}

static int
write_report(const struct job *j, FILE *out, const char **error_r)
{
    return sg_review_report(j->r, j->from, j->to, time(NULL),
                            (enum sg_review_report_format)j->format, out,
                            j->actor, error_r);
}

static int
write_concerns(const struct job *j, FILE *out, const char **error_r)
{
    return sg_review_concerns(j->r, j->from, j->track,
                              (enum sg_review_format)j->format, out, j->actor,
                              error_r);
}

int
sg_review_cmd_policy(struct sg_review *r, const struct sg_review_actor *actor,
                     int argc, char **argv)
{
    const char *since = NULL;
    const struct sg_review_opt opts[] = {SG_OPT_VALUE("since", &since),
                                         SG_OPT_END};
    struct job j = {.r = r, .actor = actor, .write = write_policy};
    if (sg_review_opts_only(argc, argv, opts) < 0 ||
        sg_review_opt_when("since", since, &j.from) < 0)
        return EX_USAGE;
    return run_job(&j, NULL);
}

int
sg_review_cmd_report(struct sg_review *r, const struct sg_review_actor *actor,
                     int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *format = NULL, *output = NULL,
               *school = NULL;
    const struct sg_review_opt opts[] = {
        SG_OPT_VALUE("from", &from),     SG_OPT_VALUE("to", &to),
        SG_OPT_VALUE("format", &format), SG_OPT_VALUE("output", &output),
        SG_OPT_VALUE("school", &school), SG_OPT_END,
    };
    /* --school: one school's report, within the actor's own */
    struct sg_review_actor one = *actor;
    struct job j = {.r = r,
                    .actor = &one,
                    .format = SG_REPORT_HTML,
                    .write = write_report};
    if (sg_review_opts_only(argc, argv, opts) < 0 ||
        sg_review_opt_when("from", from, &j.from) < 0 ||
        sg_review_opt_when("to", to, &j.to) < 0 ||
        sg_review_opt_format(format, "html", SG_REPORT_HTML, "csv",
                             SG_REPORT_CSV, &j.format) < 0)
        return EX_USAGE;
    const char *err = NULL;
    if (school != NULL && sg_review_only_school(&one, school, &err) < 0) {
        fprintf(stderr, "safeguard-review: %s\n", err);
        return EX_NOPERM;
    }
    return run_job(&j, output);
}

int
sg_review_cmd_concerns(struct sg_review *r, const struct sg_review_actor *actor,
                       int argc, char **argv)
{
    const char *since = NULL, *track = NULL, *format = NULL, *output = NULL;
    const struct sg_review_opt opts[] = {
        SG_OPT_VALUE("since", &since),   SG_OPT_VALUE("track", &track),
        SG_OPT_VALUE("format", &format), SG_OPT_VALUE("output", &output),
        SG_OPT_END,
    };
    struct job j = {.r = r,
                    .actor = actor,
                    .format = SG_REVIEW_CSV,
                    .track = SG_TRACK_PUPIL_WELFARE,
                    .write = write_concerns};
    if (sg_review_opts_only(argc, argv, opts) < 0 ||
        sg_review_opt_when("since", since, &j.from) < 0 ||
        sg_review_opt_track(track, &j.track) < 0 ||
        sg_review_opt_format(format, "csv", SG_REVIEW_CSV, "json",
                             SG_REVIEW_JSON, &j.format) < 0)
        return EX_USAGE;
    return run_job(&j, output);
}
