/*
 * review_export.c - what leaves the store as a report: the decisions
 * (audit rows with their records) as CSV or JSON, and the digest of what
 * is waiting (as text, or mailed to the DSLs).
 *
 * SECURITY: the store holds personal data about children; an export is
 * written only to the stream the caller gives, and CSV cells are quoted
 * so that a subject cannot start a formula.  The rows come from
 * core/store.h.
 *
 * Fails by returning -1 with an error string (common/sg_error.h).  Never logs,
 * never exits.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "review_int.h"
#include "review_report.h"
#include "school.h"
#include "sg_config.h"
#include "sg_tz.h"
#include "web_int.h"

/* ------------------------------------------------------------ export */

static const char *const export_fields[] = {
    "decided_at", "record",    "decision",  "decided_by", "decided_from",
    "note",       "held_at",   "sender",    "sender_authenticated",
    "recipients", "rules",     "findings",  "subject",    "queue_id",
    "current_status", "track", NULL,
};
#define N_EXPORT 16

int
sg_review_csv_cell(FILE *out, const char *s, bool last)
{
    if (s == NULL)
        s = "";
    /* a spreadsheet would run =, +, -, @ (and tab/CR before them) */
    bool formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
    fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
    return fputs(last ? "\r\n" : ",", out) < 0 ? -1 : 0;
}

struct export_ctx {
    unsigned tracks; /* the actor's; 0: all */
    const char *school; /* the actor's school of a trust; NULL: all */
    enum sg_review_format format;
    FILE *out;
    json_t *arr;
    size_t rows;
};

static int
export_row(void *ctx, const struct sg_store_export_row *row,
           const char **error_r)
{
    struct export_ctx *x = ctx;
    /* a row whose track is not known (a purged record, or one made before
     * tracks were kept) counts as staff-conduct: a record about staff is
     * never exported as a pupil concern */
    enum sg_track track = SG_TRACK_STAFF_CONDUCT;
    if (row->track != NULL)
        (void)sg_track_parse(row->track, &track);
    if (x->tracks != 0 && (x->tracks & (1u << track)) == 0)
        return 0;
    /* a school's reviewer exports its decisions only */
    if (x->school != NULL &&
        (row->school == NULL || strcmp(row->school, x->school) != 0))
        return 0;
    char t0[32] = "", t1[32] = "";
    sg_review_iso(row->time, t0, sizeof(t0));
    if (row->has_record)
        sg_review_iso(row->created, t1, sizeof(t1));
    const char *v[N_EXPORT] = {
        t0,
        row->record_id,
        row->action,
        row->actor,
        row->client,
        row->note,
        t1[0] ? t1 : NULL,
        row->env_from,
        row->authenticated,
        row->recipients,
        row->rules,
        row->findings,
        row->subject,
        row->queue_id,
        row->status,
        sg_track_name(track),
    };
    if (x->format == SG_REVIEW_CSV) {
        for (size_t i = 0; i < N_EXPORT; i++)
            sg_review_csv_cell(x->out, v[i], i + 1 == N_EXPORT);
    } else {
        json_t *o = json_object();
        if (o == NULL || json_array_append_new(x->arr, o) < 0)
            return sg_review_fail(error_r, "out of memory");
        for (size_t i = 0; i < N_EXPORT; i++)
            json_object_set_new(o, export_fields[i],
                                v[i] != NULL ? json_string(v[i]) : json_null());
    }
    x->rows++;
    return 0;
}

int
sg_review_export(struct sg_review *r, time_t since,
                 enum sg_review_format format, FILE *out,
                 const struct sg_review_actor *actor, const char **error_r)
{
    if (!sg_review_actor_ok(actor))
        return sg_review_fail(error_r, "export: missing actor");
    struct export_ctx x = {
        .tracks = actor->tracks,
        .school = actor->school,
        .format = format,
        .out = out,
        .arr = format == SG_REVIEW_JSON ? json_array() : NULL,
    };
    if (format == SG_REVIEW_JSON && x.arr == NULL)
        return sg_review_fail(error_r, "out of memory");
    if (format == SG_REVIEW_CSV)
        for (size_t i = 0; i < N_EXPORT; i++)
            sg_review_csv_cell(out, export_fields[i], i + 1 == N_EXPORT);
    const char *err = NULL;
    if (sg_store_export(r->q, since, export_row, &x, &err) < 0) {
        json_decref(x.arr);
        return sg_review_keep(error_r, "", err);
    }
    if (x.arr != NULL) {
        json_dumpf(x.arr, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', out);
        json_decref(x.arr);
    }
    if (fflush(out) != 0 || ferror(out))
        return sg_review_fail(error_r, "cannot write the export: %s",
                              strerror(errno));
    char note[128], when[64];
    sg_review_time(r, since, SG_TIME_SHORT, when, sizeof(when));
    snprintf(note, sizeof(note), "%zu decisions since %s as %s", x.rows, when,
             format == SG_REVIEW_JSON ? "json" : "csv");
    return sg_review_audit(r, NULL, actor, "export", note, error_r);
}

/* ------------------------------------------------------------ concerns */

/* One row per concern (a record, not a decision) for the school's
 * safeguarding record system (CPOMS, MyConcern), which takes pupils,
 * date and time, category, details, actions, outcome, reviewer and
 * rationale.  The details are the rules' titles: no message text, no
 * subject, no attachment (an indecent image must never be copied into
 * another system).  The staff member is the staff recipients, or else
 * the sender (a rule about a member of staff's conduct catches their
 * own message). */
static const char *const concern_fields[] = {
    "record",   "date",   "time",    "track",    "pupils",
    "upns",     "staff",  "category", "summary", "action",
    "outcome",  "reviewer", "rationale", NULL,
};
#define N_CONCERN 13

struct concern {
    struct sg_buf pupils, upns, staff, category, summary;
    json_t *pupil_list; /* JSON: [{name, upn}] */
};

static bool
has_role(const char *roles, const char *role)
{
    size_t n = strlen(role);
    for (const char *p = roles; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (len == n && strncasecmp(p, role, n) == 0)
            return true;
        p = comma != NULL ? comma + 1 : NULL;
    }
    return false;
}

static void
add_item(struct sg_buf *b, const char *s)
{
    if (s == NULL || *s == '\0')
        return;
    /* once each, "a; b" */
    size_t n = strlen(s);
    for (const char *p = b->data; p != NULL;) {
        const char *c = strstr(p, s);
        if (c == NULL)
            break;
        if ((c == b->data || (c >= b->data + 2 && c[-1] == ' ' &&
                              c[-2] == ';')) &&
            (c[n] == '\0' || c[n] == ';'))
            return;
        p = c + 1;
    }
    sg_buf_puts(b, b->len > 0 ? "; " : "");
    sg_buf_puts(b, s);
}

static int
concern_parties(struct sg_review *r, const struct sg_store_item *it,
                struct concern *c, const char **error_r)
{
    struct sg_store_rcpt *rc = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (sg_store_rcpts(r->q, it->id, &rc, &n, &err) < 0)
        return sg_review_keep(error_r, "", err);
    for (size_t i = 0; i < n; i++) {
        const char *name = rc[i].name != NULL ? rc[i].name : rc[i].address;
        if (has_role(rc[i].roles, SG_ROLE_PUPIL)) {
            add_item(&c->pupils, name);
            add_item(&c->upns, rc[i].upn);
            if (c->pupil_list != NULL) {
                json_t *p = json_pack("{s:s, s:o}", "name", name, "upn",
                                      rc[i].upn != NULL ? json_string(rc[i].upn)
                                                        : json_null());
                if (p == NULL || json_array_append_new(c->pupil_list, p) < 0) {
                    sg_store_rcpts_free(&rc, &n);
                    return sg_review_fail(error_r, "out of memory");
                }
            }
        } else if (has_role(rc[i].roles, SG_ROLE_STAFF)) {
            add_item(&c->staff, name);
        }
    }
    sg_store_rcpts_free(&rc, &n);
    if (c->staff.len == 0)
        add_item(&c->staff, *it->sender_name ? it->sender_name : it->env_from);
    return 0;
}

static int
concern_rules(struct sg_review *r, const char *id, struct concern *c,
              const char **error_r)
{
    struct sg_store_rule *u = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (sg_store_rules(r->q, id, &u, &n, &err) < 0)
        return sg_review_keep(error_r, "", err);
    for (size_t i = 0; i < n; i++) {
        add_item(&c->category, u[i].category);
        add_item(&c->summary, u[i].title != NULL && *u[i].title ? u[i].title
                                                                : u[i].id);
    }
    sg_store_rules_free(&u, &n);
    return 0;
}

/* The last decision on the record: who, and their note. */
static int
concern_decision(struct sg_review *r, const char *id, char **who_r,
                 char **why_r, const char **error_r)
{
    struct sg_store_audit_row *a = NULL;
    size_t n = 0;
    const char *err = NULL;
    *who_r = *why_r = NULL;
    if (sg_store_audit_rows(r->q, id, NULL, 0, &a, &n, &err) < 0)
        return sg_review_keep(error_r, "", err);
    for (size_t i = n; i-- > 0;) {
        enum sg_store_status st;
        if (a[i].action != NULL &&
            sg_store_status_parse(a[i].action, &st) == 0 &&
            st != SG_QSTATUS_HELD && !sg_store_status_unheld(st)) {
            *who_r = a[i].actor != NULL ? strdup(a[i].actor) : NULL;
            *why_r = a[i].note != NULL ? strdup(a[i].note) : NULL;
            break;
        }
    }
    sg_store_audit_rows_free(&a, &n);
    return 0;
}

static void
concern_free(struct concern *c)
{
    sg_buf_free(&c->pupils);
    sg_buf_free(&c->upns);
    sg_buf_free(&c->staff);
    sg_buf_free(&c->category);
    sg_buf_free(&c->summary);
    json_decref(c->pupil_list);
}

/* A row of the preview table: each cell escaped, labelled for the
 * phone's cards. */
static void
concern_html_row(FILE *out, const char *const *v)
{
    struct sg_buf b = SG_BUF_INIT;
    sg_buf_puts(&b, "<tr>");
    for (size_t i = 0; i < N_CONCERN; i++) {
        sg_buf_puts(&b, "<td data-label=\"");
        sg_web_text(&b, concern_fields[i]);
        sg_buf_puts(&b, "\">");
        sg_web_text(&b, v[i] != NULL ? v[i] : "");
        sg_buf_puts(&b, "</td>");
    }
    sg_buf_puts(&b, "</tr>\n");
    if (sg_buf_failed(&b))
        fputs("<tr><td>(out of memory)</td></tr>\n", out);
    else
        fputs(b.data, out);
    sg_buf_free(&b);
}

static int
concern_row(struct sg_review *r, const struct sg_store_item *it,
            enum sg_review_format format, FILE *out, json_t *arr,
            const char **error_r)
{
    struct concern c = {
        .pupil_list = format == SG_REVIEW_JSON ? json_array() : NULL,
    };
    struct sg_store_record *rec = NULL;
    char *who = NULL, *why = NULL;
    const char *err = NULL;
    int rc = -1;
    if (sg_store_get(r->q, it->id, &rec, &err) != 0) {
        rc = sg_review_keep(error_r, "", err != NULL ? err : "gone");
        goto out;
    }
    if (concern_parties(r, it, &c, error_r) < 0 ||
        concern_rules(r, it->id, &c, error_r) < 0 ||
        concern_decision(r, it->id, &who, &why, error_r) < 0)
        goto out;
    struct tm tm;
    char date[16], time_of_day[16];
    sg_tz_local(sg_review_tz(r), it->created, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d", &tm);
    strftime(time_of_day, sizeof(time_of_day), "%H:%M", &tm);
    const char *v[N_CONCERN] = {
        it->id,
        date,
        time_of_day,
        rec->track != NULL ? rec->track : sg_track_name(SG_TRACK_STAFF_CONDUCT),
        sg_buf_text_or(&c.pupils, ""),
        sg_buf_text_or(&c.upns, ""),
        sg_buf_text_or(&c.staff, ""),
        sg_buf_text_or(&c.category, ""),
        sg_buf_text_or(&c.summary, ""),
        rec->action,
        sg_store_status_title(it->status),
        who,
        why,
    };
    if (sg_buf_failed(&c.pupils) || sg_buf_failed(&c.upns) ||
        sg_buf_failed(&c.staff) || sg_buf_failed(&c.category) ||
        sg_buf_failed(&c.summary)) {
        rc = sg_review_fail(error_r, "out of memory");
        goto out;
    }
    if (format == SG_REVIEW_CSV) {
        for (size_t i = 0; i < N_CONCERN; i++)
            sg_review_csv_cell(out, v[i], i + 1 == N_CONCERN);
    } else if (format == SG_REVIEW_HTML) {
        concern_html_row(out, v);
    } else {
        json_t *o = json_object();
        if (o == NULL || json_array_append_new(arr, o) < 0) {
            rc = sg_review_fail(error_r, "out of memory");
            goto out;
        }
        for (size_t i = 0; i < N_CONCERN; i++)
            if (strcmp(concern_fields[i], "pupils") == 0)
                json_object_set(o, "pupils", c.pupil_list);
            else if (strcmp(concern_fields[i], "upns") != 0)
                json_object_set_new(o, concern_fields[i],
                                    v[i] != NULL ? json_string(v[i])
                                                 : json_null());
    }
    rc = 0;
out:
    free(who);
    free(why);
    sg_store_record_free(&rec);
    concern_free(&c);
    return rc;
}

int
sg_review_concerns(struct sg_review *r, time_t since, enum sg_track track,
                   enum sg_review_format format, FILE *out,
                   const struct sg_review_actor *actor, const char **error_r)
{
    if (!sg_review_actor_ok(actor))
        return sg_review_fail(error_r, "concerns: missing actor");
    if (actor->tracks != 0 && (actor->tracks & (1u << track)) == 0)
        return sg_review_fail(error_r, "concerns: %s is not a track %s "
                                       "reviews",
                              sg_track_name(track), actor->user);
    /* a record without a track is staff-conduct to the list's filter;
     * a school's reviewer exports its school's records only */
    struct sg_store_filter f = {
        .any_status = true,
        .created_min = since,
        .tracks = 1u << track,
        .oldest_first = true,
        .school = actor->school,
    };
    struct sg_store_item *items = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (sg_store_list(r->q, &f, &items, &n, &err) < 0)
        return sg_review_keep(error_r, "", err);
    json_t *arr = format == SG_REVIEW_JSON ? json_array() : NULL;
    int rc = 0;
    if (format == SG_REVIEW_JSON && arr == NULL)
        rc = sg_review_fail(error_r, "out of memory");
    for (size_t i = 0; rc == 0 && format == SG_REVIEW_CSV && i < N_CONCERN; i++)
        rc = sg_review_csv_cell(out, concern_fields[i], i + 1 == N_CONCERN);
    if (format == SG_REVIEW_HTML) {
        fputs("<table class=\"concerns\"><thead><tr>", out);
        for (size_t i = 0; i < N_CONCERN; i++)
            fprintf(out, "<th>%s</th>", concern_fields[i]);
        fputs("</tr></thead><tbody>\n", out);
    }
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = concern_row(r, &items[i], format, out, arr, error_r);
    if (format == SG_REVIEW_HTML)
        fputs("</tbody></table>\n", out);
    if (rc == 0 && arr != NULL) {
        json_dumpf(arr, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', out);
    }
    json_decref(arr);
    sg_store_items_free(&items, &n);
    if (rc < 0)
        return -1;
    if (fflush(out) != 0 || ferror(out))
        return sg_review_fail(error_r, "cannot write the concerns: %s",
                              strerror(errno));
    char note[96];
    snprintf(note, sizeof(note), "%zu %s concerns as %s", n,
             sg_track_name(track),
             format == SG_REVIEW_JSON   ? "json"
             : format == SG_REVIEW_HTML ? "a preview"
                                        : "csv");
    return sg_review_audit(r, NULL, actor, "concerns", note, error_r);
}

/* ------------------------------------------------------------ digest */

/* The lines under an item's heading.  The digest goes to a mailbox: it
 * carries no pupil identifiers (no addresses, names or subject, which
 * may name a pupil), only the rules' titles, how many recipients of each
 * kind, and the link to the record's page. */
static int
digest_item(struct sg_review *r, struct sg_buf *b,
            const struct sg_store_item *it, const char **error_r)
{
    if (*it->school != '\0') /* a trust's: which school (a name, school.h) */
        sg_buf_printf(b, "    School:  %s\n", it->school);
    struct sg_store_rule *rules = NULL;
    struct sg_store_rcpt *rcpts = NULL;
    size_t n_rules = 0, n_rcpts = 0;
    const char *err = NULL;
    if (sg_store_rules(r->q, it->id, &rules, &n_rules, &err) < 0 ||
        sg_store_rcpts(r->q, it->id, &rcpts, &n_rcpts, &err) < 0) {
        sg_store_rules_free(&rules, &n_rules);
        return sg_review_keep(error_r, "", err);
    }
    sg_buf_puts(b, "    Rules:   ");
    for (size_t i = 0; i < n_rules; i++) {
        const char *t = rules[i].title != NULL ? rules[i].title : rules[i].id;
        sg_buf_puts(b, i > 0 ? "; " : "");
        sg_safe_text(b, t, strlen(t), false);
    }
    sg_buf_puts(b, "\n    To:      ");
    /* how many of each kind, in the order first met */
    bool first = true;
    for (size_t i = 0; i < n_rcpts; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(rcpts[j].roles, rcpts[i].roles) == 0;
        if (seen)
            continue;
        size_t count = 0;
        for (size_t j = i; j < n_rcpts; j++)
            count += strcmp(rcpts[j].roles, rcpts[i].roles) == 0;
        sg_buf_printf(b, "%s%zu ", first ? "" : ", ", count);
        first = false;
        sg_safe_text(b, rcpts[i].roles, strlen(rcpts[i].roles), false);
    }
    sg_buf_puts(b, "\n    Open:    ");
    sg_notice_link(r->ncfg != NULL ? r->ncfg->review_url : NULL, it->id, b);
    sg_buf_putc(b, '\n');
    sg_store_rules_free(&rules, &n_rules);
    sg_store_rcpts_free(&rcpts, &n_rcpts);
    return 0;
}

/* nc's list k (SG_REVIEW_TO_DSL, ...), its size in *n_r. */
static const char *const *
nc_list(const struct sg_notice_config *nc, int k, size_t *n_r)
{
    switch (k) {
    case SG_REVIEW_TO_CONDUCT:
        *n_r = nc->n_conduct_addresses;
        return nc->conduct_addresses;
    case SG_REVIEW_TO_CHAIR:
        *n_r = nc->n_chair_addresses;
        return nc->chair_addresses;
    default:
        *n_r = nc->n_dsl_addresses;
        return nc->dsl_addresses;
    }
}

/* The same addresses, in any order? */
static bool
same_list(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (!sg_strv_has(b, nb, a[i]))
            return false;
    return true;
}

/* The audiences of one notice configuration (the program's, or a
 * school's), appended to a: the DSLs always, the conduct reviewers and
 * the chair when set; with trust, only the lists no school has too. */
static void
nc_audiences(const struct sg_review *r, const struct sg_notice_config *nc,
             const char *school, bool trust, struct sg_review_audience *a,
             size_t *n)
{
    for (int k = SG_REVIEW_TO_DSL; k <= SG_REVIEW_TO_CHAIR; k++) {
        size_t len;
        const char *const *to = nc_list(nc, k, &len);
        if (k != SG_REVIEW_TO_DSL && len == 0)
            continue;
        bool shared = false;
        for (size_t i = 0; trust && !shared && i < r->config->n_schools; i++) {
            struct sg_notice_config snc;
            size_t slen;
            const struct sg_notice_config *s = sg_review_school_notice(
                r, r->config->schools[i]->name, &snc, NULL);
            const char *const *sto = nc_list(s, k, &slen);
            shared = same_list(to, len, sto, slen);
        }
        if (trust && len == 0)
            continue;
        /* the schools' own people read of their records; the trust's,
         * when a school shares them, of the records of no school */
        a[(*n)++] = (struct sg_review_audience){school, to, len, k,
                                                trust && shared};
    }
}

int
sg_review_digest_audiences(const struct sg_review *r,
                           struct sg_review_audience **a_r, size_t *n_r,
                           const char **error_r)
{
    size_t n_schools = r->config != NULL ? r->config->n_schools : 0;
    /* three lists a school and the trust's, and the trust's team */
    struct sg_review_audience *a = calloc(3 * (n_schools + 1) + 1, sizeof(*a));
    *a_r = NULL;
    *n_r = 0;
    if (a == NULL)
        return sg_review_fail(error_r, "out of memory");
    size_t n = 0;
    if (r->ncfg == NULL) {
        a[n++] = (struct sg_review_audience){.list = SG_REVIEW_TO_ALL};
    } else if (n_schools == 0) {
        nc_audiences(r, r->ncfg, NULL, false, a, &n);
        if (n == 1)
            a[0].list = SG_REVIEW_TO_ALL; /* one audience: every record */
    } else {
        for (size_t i = 0; i < n_schools; i++) {
            struct sg_notice_config snc;
            const char *name = r->config->schools[i]->name;
            nc_audiences(r, sg_review_school_notice(r, name, &snc, NULL), name,
                         false, a, &n);
        }
        nc_audiences(r, r->ncfg, NULL, true, a, &n);
        /* the trust's team: every record, whichever school's */
        if (r->config->n_trust_dsl_addresses > 0)
            a[n++] = (struct sg_review_audience){
                NULL, (const char *const *)r->config->trust_dsl_addresses,
                r->config->n_trust_dsl_addresses, SG_REVIEW_TO_ALL, false};
    }
    *a_r = a;
    *n_r = n;
    return 0;
}

/* Did the notices of it go to a's list of its school's (sg_notice_track_to,
 * on the record's track and parties)?  1, 0, or -1. */
static int
for_audience(struct sg_review *r, const struct sg_store_item *it,
             const struct sg_review_audience *a, const char **error_r)
{
    struct sg_store_record *rec = NULL;
    struct sg_store_rcpt *rcpts = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (sg_store_get(r->q, it->id, &rec, &err) != 0 ||
        sg_store_rcpts(r->q, it->id, &rcpts, &n, &err) < 0) {
        sg_store_record_free(&rec);
        return sg_review_keep(error_r, "", err);
    }
    struct sg_party *parties = calloc(n > 0 ? n : 1, sizeof(*parties));
    if (parties == NULL) {
        sg_store_record_free(&rec);
        sg_store_rcpts_free(&rcpts, &n);
        return sg_review_fail(error_r, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        parties[i].address = rcpts[i].address;
    enum sg_track track = SG_TRACK_STAFF_CONDUCT;
    if (rec->track != NULL)
        (void)sg_track_parse(rec->track, &track);
    struct sg_notice_config snc;
    const struct sg_notice_config *nc =
        sg_review_school_notice(r, rec->school, &snc, NULL);
    const char *const *to;
    size_t n_to, len;
    sg_notice_track_to(nc, track, rec->env_from, parties, n, &to, &n_to);
    free(parties);
    sg_store_record_free(&rec);
    sg_store_rcpts_free(&rcpts, &n);
    return to == nc_list(nc, a->list, &len);
}

/* The records f selects, oldest first, that a tells of (NULL: all). */
static int
digest_items(struct sg_review *r, struct sg_store_filter f,
             const struct sg_review_audience *a,
             struct sg_store_item **items_r, size_t *n_r,
             const char **error_r)
{
    const char *err = NULL;
    f.oldest_first = true;
    f.school = a != NULL ? a->school : NULL;
    if (sg_store_list(r->q, &f, items_r, n_r, &err) < 0)
        return sg_review_keep(error_r, "", err);
    if (a == NULL || a->list == SG_REVIEW_TO_ALL)
        return 0;
    size_t kept = 0;
    for (size_t i = 0; i < *n_r; i++) {
        const char *school = (*items_r)[i].school;
        int yes = a->unowned && school != NULL && *school != '\0' &&
                          sg_school_find(r->config, school) != NULL
                      ? 0
                      : for_audience(r, &(*items_r)[i], a, error_r);
        if (yes < 0) {
            sg_store_items_free(items_r, n_r);
            return -1;
        }
        if (yes)
            (*items_r)[kept++] = (*items_r)[i];
        else
            sg_store_item_clear(&(*items_r)[i]);
    }
    *n_r = kept;
    return 0;
}

/* Records found lost in the last day: the DSL was told of each hold, and
 * should hear that the mail system did not keep it. */
static int
digest_lost(struct sg_review *r, time_t now,
            const struct sg_review_audience *audience,
            struct sg_buf *b, const char **error_r)
{
    struct sg_store_item *items = NULL;
    size_t n = 0;
    struct sg_store_filter f = {
        .status = SG_QSTATUS_LOST,
        .changed_min = now - 86400,
    };
    if (digest_items(r, f, audience, &items, &n, error_r) < 0)
        return -1;
    if (n > 0)
        sg_buf_printf(b, "\nNot kept by the mail system, found in the last "
                         "24 hours: %zu.\nYou were told these were held, "
                         "but the mail system did not keep them (the "
                         "filter stopped before it could answer): the "
                         "sender's server tries again, and a retried "
                         "message has a record of its own. "
                         "Each record's page says more.\n",
                      n);
    for (size_t i = 0; i < n; i++) {
        char held[64];
        sg_review_time(r, items[i].created, SG_TIME_SHORT, held, sizeof(held));
        sg_buf_printf(b, "\n  %s  not kept by the mail system (held %s)\n",
                      items[i].id, held);
        if (digest_item(r, b, &items[i], error_r) < 0) {
            sg_store_items_free(&items, &n);
            return -1;
        }
    }
    sg_store_items_free(&items, &n);
    return 0;
}

/* Records of messages a rule that notifies the DSL refused or delivered
 * in the last day: the DSL was told of each, and nothing waits, but the
 * digest is where the day's concerns are seen together. */
static int
digest_unheld(struct sg_review *r, time_t now,
              const struct sg_review_audience *audience,
              struct sg_buf *b, const char **error_r)
{
    static const enum sg_store_status unheld[] = {
        SG_QSTATUS_REFUSED, SG_QSTATUS_ARCHIVED, SG_QSTATUS_DELIVERED};
    bool heading = false;
    for (size_t s = 0; s < sizeof(unheld) / sizeof(unheld[0]); s++) {
        struct sg_store_item *items = NULL;
        size_t n = 0;
        struct sg_store_filter f = {.status = unheld[s],
                                    .created_min = now - 86400};
        if (digest_items(r, f, audience, &items, &n, error_r) < 0)
            return -1;
        if (n > 0 && !heading) {
            sg_buf_puts(b, "\nNot held, told of in the last 24 hours (nothing "
                           "to decide; you can add a note):\n");
            heading = true;
        }
        for (size_t i = 0; i < n; i++) {
            char when[64];
            sg_review_time(r, items[i].created, SG_TIME_SHORT, when,
                           sizeof(when));
            sg_buf_printf(b, "\n  %s  %s (%s)\n", items[i].id,
                          sg_store_status_title(unheld[s]), when);
            if (digest_item(r, b, &items[i], error_r) < 0) {
                sg_store_items_free(&items, &n);
                return -1;
            }
        }
        sg_store_items_free(&items, &n);
    }
    return 0;
}

int
sg_review_digest(struct sg_review *r, time_t now,
                 const struct sg_review_audience *audience, struct sg_buf *out,
                 size_t *n_waiting_r, size_t *n_overdue_r,
                 const char **error_r)
{
    struct sg_store_item *items = NULL;
    size_t n = 0, overdue = 0;
    struct sg_store_filter f = {.waiting = true};
    if (digest_items(r, f, audience, &items, &n, error_r) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (sg_review_overdue(r, items[i].status, items[i].created, now))
            overdue++;
    struct sg_buf b = SG_BUF_INIT;
    char when[64];
    sg_review_time(r, now, SG_TIME_SHORT, when, sizeof(when));
    sg_buf_printf(&b, "Held messages waiting for a decision on %s: %zu",
                  when, n);
    if (n > 0)
        sg_buf_printf(&b, ", %zu past the %d-hour response target", overdue,
                      r->s.sla_hours);
    sg_buf_puts(&b, ".\n");
    if (n > 0)
        sg_buf_puts(&b, "Oldest first; \"!\" marks those past the target.\n");
    for (size_t i = 0; i < n; i++) {
        struct sg_store_item *it = &items[i];
        char age[32], held[64];
        sg_review_format_age(now - it->created, age, sizeof(age));
        sg_review_time(r, it->created, SG_TIME_SHORT, held, sizeof(held));
        bool late = sg_review_overdue(r, it->status, it->created, now);
        sg_buf_printf(&b, "\n%s %s  waiting %s (held %s)%s%s\n",
                      late ? "!" : " ", it->id, age, held,
                      it->status == SG_QSTATUS_ESCALATED ? ", escalated" : "",
                      late ? ", PAST THE TARGET" : "");
        if (digest_item(r, &b, it, error_r) < 0) {
            sg_store_items_free(&items, &n);
            sg_buf_free(&b);
            return -1;
        }
    }
    size_t waiting = n;
    sg_store_items_free(&items, &n);
    if (digest_lost(r, now, audience, &b, error_r) < 0 ||
        digest_unheld(r, now, audience, &b, error_r) < 0) {
        sg_buf_free(&b);
        return -1;
    }
    if (sg_buf_failed(&b) || b.data == NULL) { /* never a digest in part */
        sg_buf_free(&b);
        return sg_review_fail(error_r, "out of memory");
    }
    int r2 = sg_buf_append(out, b.data, b.len);
    sg_buf_free(&b);
    if (r2 < 0)
        return sg_review_fail(error_r, "out of memory");
    if (n_waiting_r != NULL)
        *n_waiting_r = waiting;
    if (n_overdue_r != NULL)
        *n_overdue_r = overdue;
    return 0;
}

int
sg_review_digest_mail(struct sg_review *r, const char *text,
                      const struct sg_review_audience *a, size_t n_waiting,
                      size_t n_overdue, time_t now,
                      const struct sg_review_actor *actor,
                      const char **error_r)
{
    if (!sg_review_actor_ok(actor))
        return sg_review_fail(error_r, "digest: missing actor");
    if (r->ncfg == NULL)
        return sg_review_fail(error_r, "cannot mail the digest: notices are "
                                       "not configured (notice_from)");
    /* a school's digest: its templates, its contact */
    const char *school = a != NULL ? a->school : NULL;
    struct sg_notice_config snc;
    const char *contact = NULL;
    const struct sg_notice_config *nc =
        sg_review_school_notice(r, school, &snc, &contact);
    const char *const *to = a != NULL ? a->to : r->ncfg->dsl_addresses;
    size_t n_to = a != NULL ? a->n_to : r->ncfg->n_dsl_addresses;
    if (n_to == 0)
        return sg_review_fail(error_r, "cannot mail the digest: "
                                       "dsl_addresses is empty");
    char summary[128], date[80];
    snprintf(summary, sizeof(summary), "%zu waiting, %zu past %d hours",
             n_waiting, n_overdue, r->s.sla_hours);
    sg_review_time(r, now, SG_TIME_LONG, date, sizeof(date));
    struct sg_buf link = SG_BUF_INIT;
    if (sg_notice_link(r->ncfg->review_url, NULL, &link) < 0) {
        sg_buf_free(&link);
        return sg_review_fail(error_r, "out of memory");
    }
    struct sg_notice_values v = {
        .subject = summary,
        .explanation = text,
        .dsl = contact,
        .date = date,
        .link = link.data,
        .school = school,
    };
    const char *err = NULL;
    bool sent = false;
    if (sg_review_notice_send_nc(r, nc, SG_NOTICE_DIGEST_DSL, &v, to, n_to,
                                 NULL, &sent, &err) < 0) {
        sg_buf_free(&link);
        return sg_review_keep(error_r, "cannot mail the digest: ", err);
    }
    sg_buf_free(&link);
    char note[320];
    snprintf(note, sizeof(note), "digest %s %zu address%s: %s%s%s",
             sent ? "mailed to" : "queued in the outbox for", n_to,
             n_to == 1 ? "" : "es", summary, school != NULL ? "; school=" : "",
             school != NULL ? school : "");
    return sg_review_audit(r, NULL, actor, "digest", note, error_r);
}
