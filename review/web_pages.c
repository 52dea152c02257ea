/*
 * web_pages.c - the review page's two pages and its decisions: the queue
 * of held mail, one held message, and Release / Reject / Escalate / Note.
 *
 * Everything shown comes from the review library (sg_review_list,
 * sg_review_show), which audits each listing and each view; decisions go
 * through sg_review_release / _reject / _escalate / _note, which check
 * the status (no double release) and audit the decision with its note.
 * A decision is answered with a redirect to the item (so a reload does
 * not repeat it), with a fixed message chosen by the "done" parameter.
 *
 * SECURITY: every string from the store or the message goes through
 * sg_web_text / sg_web_marked (web_html.c); attachments are listed, never
 * served; the message text is the view builder's text (HTML reduced to
 * text, images never fetched).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store_outbox.h"
#include "review_cmd.h"
#include "school.h"
#include "sg_config.h"
#include "web_int.h"

#define PAGE_SIZE 50
#define NOTE_MAX  4000

static const struct {
    const char *key, *label;
    bool waiting, any;
    enum sg_store_status status;
} tabs[] = {
    {"waiting", "Waiting", true, false, SG_QSTATUS_HELD},
    {"escalated", "Escalated", false, false, SG_QSTATUS_ESCALATED},
    {"released", "Released", false, false, SG_QSTATUS_RELEASED},
    {"rejected", "Rejected", false, false, SG_QSTATUS_REJECTED},
    {"expired", "Expired", false, false, SG_QSTATUS_EXPIRED},
    {"lost", "Not kept", false, false, SG_QSTATUS_LOST},
    {"all", "All", false, true, SG_QSTATUS_HELD},
};

/* The response target, inside the "Held" cell: time left, or how late. */
static void
sla_cell(struct sg_buf *b, struct sg_web *w, enum sg_store_status st,
         time_t created, time_t now)
{
    if (!sg_review_waiting(st))
        return;
    time_t target =
        (time_t)sg_review_get_settings(w->o.review)->sla_hours * 3600;
    time_t left = target - (now - created);
    char age[32];
    if (sg_review_overdue(w->o.review, st, created, now)) {
        sg_review_format_age(-left, age, sizeof(age));
        sg_buf_printf(b, "<br><span class=\"sla sla-late\">Late by %s</span>",
                      age);
    } else {
        sg_review_format_age(left, age, sizeof(age));
        sg_buf_printf(b, "<br><span class=\"sla sla-%s\">%s left</span>",
                      left * 4 < target ? "soon" : "ok", age);
    }
}

/* ------------------------------------------------------------ pseudonyms
 *
 * A concern about a member of staff is not yet a finding against them,
 * and a queue is read over a shoulder: for the tracks of
 * review_pseudonymise, a row names its people by a pseudonym, the same
 * for one address on every row, after the recipient's role ("Pupil
 * 01B2C4", "Staff member 7F3A9C"; the sender is "Sender 5E60D1": the
 * record keeps no roles of the sender), and hides the subject (subjects
 * name people: "Amy's detention").  The rules that held it stay, to
 * decide what to open first.  Opening the item shows everything, and is
 * audited ("view"). */

/* The label of a person with these roles ("pupil", "staff,dsl"). */
static const char *
role_label(const char *roles, size_t len)
{
    static const struct {
        const char *role, *label;
    } labels[] = {
        {"pupil", "Pupil"},
        {"former-pupil", "Former pupil"},
        {"staff", "Staff member"},
        {"parent", "Parent"},
        {"external", "Outside address"},
    };
    size_t first = strcspn(roles, ",)");
    if (first > len)
        first = len;
    if (first == 0) /* nobody in the directory */
        return "Outside address";
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (strlen(labels[i].role) == first &&
            strncmp(roles, labels[i].role, first) == 0)
            return labels[i].label;
    return "Person";
}

static void
pseudonym(struct sg_buf *b, const struct sg_web *w, const char *label,
          const char *address)
{
    char p[SG_NOTICE_PSEUDONYM_LEN + 1];
    if (sg_notice_pseudonym(w->pseudonym_key, address, p) < 0)
        snprintf(p, sizeof(p), "?");
    sg_buf_printf(b, "<span class=\"pseudonym\">%s %s</span>", label, p);
}

void
sg_web_pseudonymous_recipients(struct sg_buf *b, const struct sg_web *w,
                               const char *recipients)
{
    const char *p = recipients;
    for (bool first = true; *p != '\0'; first = false) {
        size_t len = strcspn(p, ",");
        /* a comma inside the roles' parentheses is not the end */
        const char *open = memchr(p, '(', len);
        if (open != NULL) {
            const char *close = strchr(open, ')');
            len = close != NULL ? (size_t)(close - p) + 1 : strlen(p);
        }
        size_t addr_len = open != NULL ? (size_t)(open - p) : len;
        while (addr_len > 0 && p[addr_len - 1] == ' ')
            addr_len--;
        char *addr = strndup(p, addr_len);
        const char *label =
            open != NULL ? role_label(open + 1, len - (size_t)(open - p) - 1)
                         : "Person";
        if (!first)
            sg_buf_puts(b, ", ");
        pseudonym(b, w, label, addr != NULL ? addr : "");
        free(addr);
        p += len;
        while (*p == ',' || *p == ' ')
            p++;
    }
}

/* The schools of a trust, for its reviewers: one link each, and all. */
static void
school_filter(struct sg_buf *b, const struct sg_config *cfg, const char *tab,
              const struct sg_school *only)
{
    sg_buf_printf(b,
                  "<nav class=\"schools\" id=\"schools\">School: <a "
                  "href=\"/queue?status=%s\"%s>All</a>",
                  tab, only == NULL ? " class=\"on\"" : "");
    for (size_t i = 0; i < cfg->n_schools; i++) {
        const struct sg_school *sch = cfg->schools[i];
        /* the name is letters, digits, - and _ (school.h) */
        sg_buf_printf(b, " <a href=\"/queue?status=%s&amp;school=%s\"%s>%s</a>",
                      tab, sch->name, sch == only ? " class=\"on\"" : "",
                      sch->name);
    }
    sg_buf_puts(b, "</nav>\n");
}

/* A link to a page of the queue: the tab, the school, and the item the
 * page starts after or ends before (dir "after" / "before"; NULL: the
 * first page). */
static void
page_link(struct sg_buf *b, const char *tab, const struct sg_school *only,
          const char *dir, const struct sg_store_item *it, const char *rel,
          const char *label)
{
    sg_buf_printf(b, " <a rel=\"%s\" href=\"/queue?status=%s", rel, tab);
    if (only != NULL) /* letters, digits, - and _ (school.h) */
        sg_buf_printf(b, "&amp;school=%s", only->name);
    if (it != NULL) {
        sg_buf_printf(b, "&amp;%s=%lld,", dir, (long long)it->created);
        sg_web_urlenc(b, it->id);
    }
    sg_buf_printf(b, "\">%s</a>", label);
}

void
sg_web_page_queue(struct sg_web *w, const struct sg_web_request *req,
                  const struct web_session *s, struct sg_web_response *resp)
{
    const char *want = sg_web_param(req->query, req->n_query, "status");
    size_t t = 0;
    for (size_t i = 0; want != NULL && i < sizeof(tabs) / sizeof(tabs[0]); i++)
        if (strcmp(want, tabs[i].key) == 0)
            t = i;
    struct sg_review_actor actor = sg_web_actor(w, s, req);
    /* a trust reviewer sees every school, with a column and a filter */
    bool schools = w->o.config != NULL && w->o.config->n_schools > 0 &&
                   actor.school == NULL;
    const struct sg_school *only =
        schools
            ? sg_school_find(w->o.config,
                             sg_web_param(req->query, req->n_query, "school"))
            : NULL;
    /* pages by key: the page after (before) a row of the list, which the
     * store finds in its index however deep */
    time_t cursor_created = 0;
    const char *cursor_id = NULL;
    bool before = sg_review_cursor_parse(sg_web_param(req->query, req->n_query,
                                            "before"),
                               &cursor_created, &cursor_id);
    bool after = !before &&
                 sg_review_cursor_parse(sg_web_param(req->query, req->n_query, "after"),
                              &cursor_created, &cursor_id);
    /* page=N, of a bookmark made when pages were numbered: a number
     * means nothing once records move (a decision takes a row off the
     * waiting, and every page after it shifts), and counting N pages of
     * rows costs in proportion to N.  It is sent to the first page of
     * the same tab and school, the oldest waiting, at the cost of any
     * first page. */
    if (!before && !after &&
        sg_web_param(req->query, req->n_query, "page") != NULL) {
        /* the school's name is letters, digits, - and _ (school.h) */
        sg_web_redirect(resp, "/queue?status=%s%s%s", tabs[t].key,
                        only != NULL ? "&school=" : "",
                        only != NULL ? only->name : "");
        return;
    }

    struct sg_review_filter f = {
        .any_status = tabs[t].any,
        .waiting = tabs[t].waiting,
        .status = tabs[t].status,
        .oldest_first = tabs[t].waiting, /* the oldest waits longest */
        .limit = PAGE_SIZE + 1,          /* one more: is there a next page? */
        .cursor_id = cursor_id,
        .cursor_created = cursor_created,
        .before = before,
        .school = only != NULL ? only->name : NULL,
    };
    struct sg_store_item *items = NULL;
    size_t n = 0;
    const char *err;
    if (sg_review_list(w->o.review, &f, &actor, &items, &n, &err) < 0) {
        sg_web_error_page(w, resp, 500, "Cannot list the held mail", err, s);
        return;
    }
    struct sg_store_item *all = items; /* freed at the end */
    size_t n_all = n;
    /* the one more row says there is a page beyond: before the first
     * shown, for a page before a cursor (the rows come nearest last) */
    bool further = n > PAGE_SIZE;
    if (further) {
        n = PAGE_SIZE;
        if (before)
            items++;
    }
    bool newer = before ? further : after;
    bool more = before || further;
    enum sg_track *tracks = calloc(n > 0 ? n : 1, sizeof(*tracks));
    if (tracks == NULL ||
        (w->o.pseudonymous_tracks != 0 &&
         sg_review_items_tracks(w->o.review, items, n, tracks, &err) < 0)) {
        /* never a name the setting hides, for want of the tracks */
        sg_web_error_page(w, resp, 500, "Cannot list the held mail",
                          tracks == NULL ? "out of memory" : err, s);
        free(tracks);
        sg_store_items_free(&all, &n_all);
        return;
    }

    resp->status = 200;
    struct sg_buf *b = &resp->body;
    sg_web_page_start(w, b, "Held mail", s);
    sg_buf_puts(b, "<h1>Held mail</h1>\n<nav class=\"tabs\">");
    for (size_t i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++)
        sg_buf_printf(b, "<a href=\"/queue?status=%s\"%s>%s</a>", tabs[i].key,
                      i == t ? " class=\"on\"" : "", tabs[i].label);
    sg_buf_puts(b, "</nav>\n");
    if (schools)
        school_filter(b, w->o.config, tabs[t].key, only);
    if (n == 0) {
        sg_buf_printf(b, "<p id=\"empty\">Nothing %s.</p>\n",
                      tabs[t].waiting ? "is waiting for a decision"
                                      : "to show here");
    } else {
        sg_buf_printf(b,
                      "<p>Response target: %d hours from when the "
                      "message was held.</p>\n",
                      sg_review_get_settings(w->o.review)->sla_hours);
        if (w->o.pseudonymous_tracks != 0)
            sg_buf_printf(
                b, "<p id=\"pseudonymous\">%s items show people by role and "
                   "a pseudonym, and no subject, until you open one; opening "
                   "an item is recorded.</p>\n",
                w->o.pseudonymous_tracks ==
                        (1u << SG_TRACK_STAFF_CONDUCT)
                    ? "Staff-conduct"
                : w->o.pseudonymous_tracks ==
                        (1u << SG_TRACK_PUPIL_WELFARE)
                    ? "Pupil-welfare"
                    : "All");
        sg_buf_puts(b, "<table id=\"queue\"><thead><tr><th>Message</th>"
                       "<th>From</th><th>To</th><th>Why it was held</th>"
                       "<th>Held</th><th>Status</th>");
        if (schools)
            sg_buf_puts(b, "<th>School</th>");
        sg_buf_puts(b, "</tr></thead><tbody>\n");
    }
    for (size_t i = 0; i < n; i++) {
        const struct sg_store_item *it = &items[i];
        bool hide = (w->o.pseudonymous_tracks & (1u << tracks[i])) != 0;
        char age[32];
        sg_review_format_age(req->now - it->created, age, sizeof(age));
        /* the subject is the link; the record id beneath it, for phone
         * calls and the command line */
        sg_buf_puts(b, "<tr data-record=\"");
        sg_web_text(b, it->id);
        sg_buf_puts(b, "\"><td data-label=\"Message\"><a href=\"/item/");
        sg_web_urlenc(b, it->id);
        sg_buf_puts(b, "\">");
        sg_web_text(b, hide                    ? "(subject shown when opened)"
                       : *it->subject != '\0' ? it->subject
                                              : "(no subject)");
        sg_buf_puts(b, "</a><br><small class=\"ref\">");
        sg_web_text(b, it->id);
        sg_buf_puts(b, "</small></td><td data-label=\"From\">");
        if (hide) /* the record keeps no roles of the sender */
            pseudonym(b, w, "Sender", it->env_from);
        else
            sg_web_person(b, it->sender_name, it->env_from);
        sg_buf_puts(b, "</td><td data-label=\"To\">");
        if (hide)
            sg_web_pseudonymous_recipients(b, w, it->recipients);
        else
            sg_web_text(b, it->recipient_names);
        sg_buf_puts(b, "</td><td data-label=\"Why it was held\">"
                       "<ul class=\"titles\">");
        sg_web_lines(b, it->rule_titles, "li");
        sg_buf_printf(b, "</ul></td><td data-label=\"Held\">%s ago", age);
        sla_cell(b, w, it->status, it->created, req->now);
        sg_buf_printf(b, "</td><td data-label=\"Status\">%s",
                      sg_store_status_title(it->status));
        sg_web_request_marker(b, it);
        if (schools) {
            sg_buf_puts(b, "</td><td data-label=\"School\">");
            sg_web_text(b, it->school);
        }
        sg_buf_puts(b, "</td></tr>\n");
    }
    if (n > 0)
        sg_buf_puts(b, "</tbody></table>\n");
    if (newer || (more && n > 0)) {
        sg_buf_puts(b, "<p class=\"pages\">");
        const char *key = tabs[t].key;
        if (newer) {
            page_link(b, key, only, NULL, NULL, "first", "First");
            if (n > 0)
                page_link(b, key, only, "before", &items[0], "prev",
                          "Previous");
        }
        if (more && n > 0)
            page_link(b, key, only, "after", &items[n - 1], "next", "More");
        sg_buf_puts(b, "</p>\n");
    }
    sg_web_page_end(w, b);
    free(tracks);
    sg_store_items_free(&all, &n_all);
}

/* ------------------------------------------------------------ one item */

static const struct {
    const char *key, *text;
} done_text[] = {
    {"release", "Released: the mail server is delivering the message."},
    {"release-told", "Released: the mail server is delivering the message, "
                     "and your message has gone to the sender."},
    {"release-untold", "Released, but your message to the sender could not "
                       "be sent. Please tell them another way."},
    {"reject", "Rejected: the message has been deleted from the mail "
               "queue."},
    {"reject-told", "Rejected: the message has been deleted from the mail "
                    "queue, and your message has gone to the sender."},
    {"reject-untold", "Rejected, but your message to the sender could not "
                      "be sent. Please tell them another way."},
    {"escalate", "Escalated: the message stays held."},
    {"note", "Your note has been added."},
};

static void
fact(struct sg_buf *b, const char *term)
{
    sg_buf_printf(b, "<dt>%s</dt><dd>", term);
}

/* Why it was held: each rule by its title with what it found; the
 * policy text, its source and the filter's explanation for the DSL folded
 * (<details>), so that they never push the message down the page. */
static void
rule_section(struct sg_buf *b, const struct sg_review_detail *d)
{
    const struct sg_store_record *rec = d->record;
    sg_buf_puts(b, "<section id=\"why\"><h2>Why it was held</h2>\n");
    for (size_t i = 0; i < d->n_rules; i++) {
        const struct sg_store_rule *u = &d->rules[i];
        sg_buf_puts(b, "<section class=\"rule\"><h3>");
        sg_web_text(b, u->title);
        if (strcmp(u->mode, "test") == 0) {
            sg_buf_puts(b, " <small>(being tried out: it would ");
            sg_web_text(b, u->action);
            sg_buf_puts(b, ")</small>");
        }
        sg_buf_puts(b, "</h3><ul class=\"findings\">");
        for (size_t j = 0; j < d->n_findings; j++) {
            const struct sg_store_finding *f = &d->findings[j];
            if (strcmp(f->rule_id, u->id) != 0)
                continue;
            sg_buf_puts(b, "<li>Found ");
            sg_finding_put(b, f->detector, f->text, f->location,
                           &sg_web_finding_style);
            sg_buf_puts(b, "</li>");
        }
        sg_buf_puts(b, "</ul><details class=\"policy\"><summary>The policy "
                       "behind it</summary><p>");
        sg_web_text(b, u->policy);
        sg_buf_puts(b, "</p><p><small>Source: ");
        sg_web_text(b, u->source);
        sg_buf_puts(b, "</small></p><p><small>Rule ");
        sg_web_text(b, u->id);
        sg_buf_puts(b, ": ");
        sg_web_text(b, u->action);
        sg_buf_puts(b, "</small></p></details></section>\n");
    }
    if (rec->explain_dsl != NULL && *rec->explain_dsl != '\0') {
        sg_buf_puts(b, "<details class=\"policy\" id=\"for-dsl\"><summary>"
                       "The filter's explanation</summary><pre class=\"msg\">");
        sg_web_text(b, rec->explain_dsl);
        sg_buf_puts(b, "</pre></details>\n");
    }
    sg_buf_puts(b, "</section>\n");
}

/* The headers a reviewer needs to judge who wrote it and to whom, as the
 * recipient's mail program shows them (the From: display name is what a
 * look-alike hold is about). */
static void
headers_table(struct sg_buf *b, const struct sg_msgview *v)
{
    static const char *const wanted[] = {"From", "Sender", "Reply-To",
                                         "To",   "Cc",     "Date"};
    bool any = false;
    for (size_t k = 0; k < sizeof(wanted) / sizeof(wanted[0]); k++) {
        for (size_t i = 0; i < v->n_headers; i++) {
            const struct sg_header *h = &v->headers[i];
            if (strcasecmp(h->name, wanted[k]) != 0)
                continue;
            if (!any)
                sg_buf_puts(b, "<table id=\"headers\">");
            any = true;
            sg_buf_printf(b, "<tr><th>%s</th><td>", wanted[k]);
            sg_web_text(b, h->value);
            sg_buf_puts(b, "</td></tr>");
        }
    }
    if (any)
        sg_buf_puts(b, "</table>\n");
}

static void
message_section(struct sg_buf *b, const struct sg_review_detail *d)
{
    sg_buf_puts(b, "<section id=\"message\"><h2>The message</h2>\n<p><small>"
                   "Shown as plain text: nothing in it is run, opened or "
                   "loaded. Findings are <mark>marked</mark>.</small></p>\n");
    if (d->view == NULL) {
        sg_buf_puts(b, "<p class=\"error\">");
        sg_web_text(b, d->view_error);
        sg_buf_puts(b, "</p></section>\n");
        return;
    }
    const struct sg_msgview *v = d->view;
    headers_table(b, v);
    for (size_t i = 0; i < v->n_texts; i++) {
        const struct sg_text_part *t = &v->texts[i];
        sg_buf_puts(b, "<h3>");
        sg_web_text(b, t->label);
        if (t->from_html)
            sg_buf_puts(b, " (HTML shown as text)");
        sg_buf_puts(b, "</h3><pre class=\"msg\">");
        sg_web_marked(b, t->text, t->len, d->findings, d->n_findings);
        sg_buf_puts(b, "</pre>\n");
    }
    if (v->n_texts == 0)
        sg_buf_puts(b, "<p>(no text)</p>\n");
    if (v->malformed)
        sg_buf_puts(b, "<p class=\"notice\">The message's structure was "
                       "damaged and has been repaired to show it.</p>\n");
    sg_buf_puts(b, "<h2>Attachments</h2>\n");
    if (v->n_attachments == 0) {
        sg_buf_puts(b, "<p>None.</p></section>\n");
        return;
    }
    sg_buf_puts(b, "<p><small>Listed, not opened.</small></p><table "
                   "id=\"attachments\"><tr><th>Name</th><th>Type</th>"
                   "<th>Size</th></tr>\n");
    for (size_t i = 0; i < v->n_attachments; i++) {
        const struct sg_attachment *a = &v->attachments[i];
        sg_buf_puts(b, "<tr><td>");
        sg_web_text(b, a->filename != NULL ? a->filename : "(no name)");
        if (a->depth > 0)
            sg_buf_puts(b, " <small>(inside a forwarded message)</small>");
        sg_buf_puts(b, "</td><td>");
        sg_web_text(b, a->content_type);
        sg_buf_printf(b, "</td><td>%zu bytes</td></tr>\n", a->size);
    }
    sg_buf_puts(b, "</table></section>\n");
}

/* One decision's form: the note for the record (required), and for a
 * release or a rejection the message to the sender (optional: mailed
 * only when written, and never the note). */
static void
decision_form(struct sg_buf *b, const struct web_session *s, const char *id,
              const char *action, const char *label, const char *help,
              bool tell)
{
    sg_buf_printf(b, "<form method=\"post\" id=\"form-%s\" action=\"/item/",
                  action);
    sg_web_urlenc(b, id);
    sg_buf_printf(b, "/%s\">", action);
    sg_web_csrf_field(b, s->csrf);
    sg_buf_printf(b,
                  "<h3>%s</h3><p><small>%s</small></p>"
                  "<label for=\"note-%s\">Note for the record "
                  "(required; kept, seen only by reviewers)</label>"
                  "<textarea id=\"note-%s\" name=\"note\" required "
                  "maxlength=\"%d\"></textarea>",
                  label, help, action, action, NOTE_MAX);
    if (tell)
        sg_buf_printf(b,
                      "<label for=\"tell-%s\">Message to the sender "
                      "(optional; mailed to them only if you write "
                      "one)</label><textarea id=\"tell-%s\" "
                      "name=\"to_sender\" maxlength=\"%d\"></textarea>",
                      action, action, NOTE_MAX);
    sg_buf_printf(b, "<p><button type=\"submit\">%s</button></p></form>\n",
                  label);
}

/* The title and the facts of a record: who wrote to whom (by name),
 * why it was held (rule titles), when, its status, where the mail queue
 * has it, and its reference. */
static void
facts_section(const struct sg_web *w, time_t now, struct sg_buf *b,
              const struct sg_review_detail *d)
{
    const struct sg_store_record *rec = d->record;
    sg_buf_puts(b, "<h1>");
    sg_web_text(b, rec->subject != NULL && *rec->subject ? rec->subject
                                                         : "(no subject)");
    sg_buf_puts(b, "</h1>\n<dl class=\"facts\">");
    fact(b, "From");
    sg_buf_puts(b, "<span id=\"from\">");
    sg_web_person(b, rec->sender_name, rec->env_from);
    sg_buf_puts(b, "</span>");
    if (rec->auth_user != NULL) {
        sg_buf_puts(b, " <small>(signed in as ");
        sg_web_text(b, rec->auth_user);
        sg_buf_puts(b, ")</small>");
    } else if (rec->trusted) {
        sg_buf_puts(b, " <small>(from a trusted network)</small>");
    } else {
        sg_buf_puts(b, " <strong>(not signed in: the address may be "
                       "forged)</strong>");
    }
    sg_buf_puts(b, "</dd>");
    /* the name the recipient sees, which a look-alike hold is about */
    const struct sg_msgview *v = d->view;
    if (v != NULL && v->from_name != NULL && *v->from_name != '\0') {
        fact(b, "Name shown");
        sg_buf_puts(b, "<span id=\"shown-name\">&ldquo;");
        sg_web_text(b, v->from_name);
        sg_buf_puts(b, "&rdquo;</span>");
        if (v->from_addr != NULL) {
            sg_buf_puts(b, " <small class=\"addr\">");
            sg_web_text(b, v->from_addr);
            sg_buf_puts(b, "</small>");
        }
        sg_buf_puts(b, " <small>(the From: name the recipient sees)</small>"
                       "</dd>");
    }
    fact(b, "To");
    for (size_t i = 0; i < d->n_rcpts; i++) {
        if (i > 0)
            sg_buf_puts(b, "<br>");
        sg_web_person(b, d->rcpts[i].name, d->rcpts[i].address);
        sg_buf_puts(b, " (");
        sg_web_text(b, d->rcpts[i].roles);
        if (strcmp(d->rcpts[i].channel, "personal") == 0)
            sg_buf_puts(b, ", a registered personal address");
        sg_buf_puts(b, ")");
    }
    sg_buf_puts(b, "</dd>");
    fact(b, "Why held");
    sg_buf_puts(b, "<ul class=\"titles\" id=\"titles\">");
    for (size_t i = 0; i < d->n_rules; i++) {
        sg_buf_puts(b, "<li>");
        sg_web_text(b, d->rules[i].title);
        sg_buf_puts(b, "</li>");
    }
    sg_buf_puts(b, "</ul></dd>");
    fact(b, "Held");
    sg_web_time(w, b, rec->created);
    sg_buf_puts(b, "</dd>");
    fact(b, "Status");
    sg_buf_printf(b, "<span id=\"status\">%s</span>",
                  sg_store_status_title(rec->status));
    if (sg_review_waiting(rec->status)) {
        char age[32];
        sg_review_format_age(now - rec->created, age, sizeof(age));
        sg_buf_printf(b, ", waiting %s", age);
        if (sg_review_overdue(w->o.review, rec->status, rec->created, now))
            sg_buf_printf(b,
                          " <strong>(past the %d-hour response "
                          "target)</strong>",
                          sg_review_get_settings(w->o.review)->sla_hours);
    } else {
        sg_buf_puts(b, " on ");
        sg_web_time(w, b, rec->status_changed);
    }
    /* who made the status what it is: the last audit row that did */
    const char *status = sg_store_status_name(rec->status);
    for (size_t i = d->n_history; rec->status != SG_QSTATUS_HELD && i > 0;
         i--) {
        const struct sg_store_audit_row *a = &d->history[i - 1];
        if (strcmp(a->action, status) != 0)
            continue;
        sg_buf_puts(b, " by <span id=\"decided-by\">");
        sg_web_text(b, a->actor);
        sg_buf_puts(b, "</span>");
        break;
    }
    sg_buf_puts(b, "</dd>");
    char keep[256], hold[1024]; /* retention and legal hold (review_legal.c) */
    if (sg_review_retention_text(w->o.review, rec->id, keep, sizeof(keep),
                                 hold, sizeof(hold)) == 0) {
        fact(b, "Retention");
        sg_web_text(b, keep);
        if (hold[0] != '\0') {
            sg_buf_puts(b, "</dd>");
            fact(b, "Legal hold");
            sg_buf_puts(b, "<span id=\"legal-hold\">");
            sg_web_text(b, hold);
            sg_buf_puts(b, "</span>");
        }
        sg_buf_puts(b, "</dd>");
    }
    /* several mail servers: the one whose hold queue has the message */
    if (d->host != NULL) {
        fact(b, "Host");
        sg_buf_puts(b, "<span id=\"host\">");
        sg_web_text(b, d->host);
        sg_buf_puts(b, d->here ? "</span> (this one)</dd>" : "</span></dd>");
    }
    /* a trust's schools: the one it is about */
    if (rec->school != NULL) {
        fact(b, "School");
        sg_buf_puts(b, "<span id=\"school\">");
        sg_web_text(b, rec->school);
        sg_buf_puts(b, "</span></dd>");
    }
    fact(b, "Mail queue");
    if (!d->here)
        sg_buf_puts(b, "on its host, not asked from here");
    else
        sg_buf_puts(b, sg_mailqueue_state_name(d->queue));
    if (d->here && d->queue == SG_MAILQUEUE_OTHER && d->queue_name != NULL) {
        sg_buf_puts(b, " (");
        sg_web_text(b, d->queue_name);
        sg_buf_puts(b, ")");
    }
    sg_buf_puts(b, "</dd>");
    fact(b, "Reference");
    sg_web_text(b, rec->id);
    sg_buf_puts(b, " <small>(mail queue id ");
    sg_web_text(b, rec->queue_id);
    sg_buf_puts(b, ")</small></dd></dl>\n");
}

/* "What the sender was told": the notices about this record that went
 * (or are going) to its sender, as they were written, each with when it
 * was sent.  Nothing at all when none was: the section never shows text
 * that was not sent. */
static void
told_section(const struct sg_web *w, struct sg_buf *b,
             const struct sg_review_detail *d)
{
    const char *sender = d->record->env_from;
    bool any = false;
    for (size_t i = 0; i < d->n_notices; i++) {
        const struct sg_outbox_row *o = &d->notices[i];
        /* a sender's kind ("held-sender", "rejected-sender", ...), or
         * any notice addressed to the envelope sender */
        size_t kl = strlen(o->kind);
        bool to_sender = kl > 7 && strcmp(o->kind + kl - 7, "-sender") == 0;
        for (size_t j = 0; j < o->n_rcpts; j++)
            if (strcasecmp(o->rcpts[j], sender) == 0)
                to_sender = true;
        if (!to_sender || o->message == NULL)
            continue;
        if (!any)
            sg_buf_puts(b, "<section id=\"told\"><h2>What the sender was "
                           "told</h2>\n");
        any = true;
        sg_buf_puts(b, "<p><small>");
        if (o->state == SG_OUTBOX_SENT) {
            sg_buf_puts(b, "Sent ");
            sg_web_time(w, b, o->sent);
        } else if (o->state == SG_OUTBOX_FAILED) {
            sg_buf_puts(b, "<strong>Could not be sent</strong> (given up ");
            sg_web_time(w, b, o->failed);
            sg_buf_puts(b, ")");
        } else {
            sg_buf_puts(b, "Waiting to be sent (written ");
            sg_web_time(w, b, o->created);
            sg_buf_puts(b, ")");
        }
        sg_buf_puts(b, "</small></p><pre class=\"msg told\">");
        /* the body, after the header block; the notices are 8-bit text */
        const char *body = strstr(o->message, "\n\n");
        sg_web_text(b, body != NULL ? body + 2 : o->message);
        sg_buf_puts(b, "</pre>\n");
    }
    if (any)
        sg_buf_puts(b, "</section>\n");
}

/* The forms a DSL decides with (release, reject, escalate while waiting;
 * a note always). */
static void
decide_section(struct sg_buf *b, const struct web_session *s,
               const struct sg_store_record *rec)
{
    sg_buf_puts(b, "<h2>Decide</h2>\n<div class=\"decide\">");
    if (sg_review_waiting(rec->status)) {
        decision_form(b, s, rec->id, "release", "Release",
                      "Deliver the message as it is.", true);
        decision_form(b, s, rec->id, "reject", "Reject",
                      "Delete the message; it is not delivered.", true);
        if (rec->status == SG_QSTATUS_HELD)
            decision_form(b, s, rec->id, "escalate", "Escalate",
                          "Keep it held and mark it for further action.",
                          false);
    }
    decision_form(b, s, rec->id, "note", "Add a note",
                  "Record something without changing anything.", false);
    sg_buf_puts(b, "</div>\n");
}

static void
history_section(const struct sg_web *w, struct sg_buf *b,
                const struct sg_review_detail *d)
{
    sg_buf_puts(b, "<h2>History</h2>\n<table id=\"history\"><tr "
                   "class=\"head\"><th>When</th><th>Who</th><th>What</th>"
                   "<th>Note</th></tr>\n");
    for (size_t i = 0; i < d->n_history; i++) {
        const struct sg_store_audit_row *a = &d->history[i];
        sg_buf_puts(b, "<tr><td data-label=\"When\">");
        sg_web_time(w, b, a->time);
        sg_buf_puts(b, "</td><td data-label=\"Who\">");
        sg_web_text(b, a->actor);
        if (a->client != NULL) {
            sg_buf_puts(b, " <small>(");
            sg_web_text(b, a->client);
            sg_buf_puts(b, ")</small>");
        }
        sg_buf_puts(b, "</td><td data-label=\"What\">");
        sg_web_text(b, a->action);
        sg_buf_puts(b, "</td><td data-label=\"Note\">");
        sg_web_text(b, a->note);
        sg_buf_puts(b, "</td></tr>\n");
    }
    sg_buf_puts(b, "</table>\n");
}

void
sg_web_page_item(struct sg_web *w, const struct sg_web_request *req,
                 const struct web_session *s, const char *id,
                 const char *message, unsigned status,
                 struct sg_web_response *resp)
{
    struct sg_review_actor actor = sg_web_actor(w, s, req);
    struct sg_review_detail *d = NULL;
    const char *err;
    int rc = sg_review_show(w->o.review, id, &actor, true, &d, &err);
    if (rc == SG_REVIEW_NOT_FOUND) {
        sg_web_error_page(w, resp, 404, "No such record", err, s);
        return;
    }
    if (rc != 0) {
        sg_web_error_page(w, resp, 500, "Cannot show the record", err, s);
        return;
    }
    const struct sg_store_record *rec = d->record;
    resp->status = status;
    struct sg_buf *b = &resp->body;
    sg_web_page_start(w, b, rec->id, s);
    sg_buf_puts(b, "<p><a href=\"/queue\">&larr; All held mail</a></p>\n");
    const char *done = sg_web_param(req->query, req->n_query, "done");
    for (size_t i = 0; done != NULL && message == NULL &&
                       i < sizeof(done_text) / sizeof(done_text[0]);
         i++)
        if (strcmp(done, done_text[i].key) == 0)
            message = done_text[i].text;
    if (message != NULL) {
        sg_buf_printf(b, "<p class=\"%s\" id=\"outcome\">",
                      status >= 400 ? "error" : "notice");
        sg_web_text(b, message);
        sg_buf_puts(b, "</p>\n");
    }
    /* the message near the top: what was sent, then the decision, then
     * why (the policy folded), what the sender was told, the history */
    facts_section(w, req->now, b, d);
    if (sg_review_waiting(rec->status))
        sg_web_request_section(w, b, rec->id);
    message_section(b, d);
    decide_section(b, s, rec);
    rule_section(b, d);
    told_section(w, b, d);
    history_section(w, b, d);
    sg_web_page_end(w, b);
    sg_review_detail_free(&d);
}

/* ------------------------------------------------------------ decisions */

void
sg_web_decide(struct sg_web *w, const struct sg_web_request *req,
              const struct web_session *s, const char *id, const char *what,
              struct sg_web_response *resp)
{
    const char *note = sg_web_param(req->form, req->n_form, "note");
    const char *to_sender = sg_web_param(req->form, req->n_form, "to_sender");
    bool decision = strcmp(what, "release") == 0 || strcmp(what, "reject") == 0;
    if (!decision && strcmp(what, "escalate") != 0 &&
        strcmp(what, "note") != 0) {
        sg_web_error_page(w, resp, 404, "Not found", "There is no such action.",
                          s);
        return;
    }
    bool blank = !sg_review_text_given(note);
    bool tell = decision && sg_review_text_given(to_sender);
    if (blank || strlen(note) > NOTE_MAX ||
        (tell && strlen(to_sender) > NOTE_MAX)) {
        sg_web_page_item(w, req, s, id,
                         blank ? "Not done: a note is required. Say why, for "
                                 "the record."
                               : "Not done: the text is too long.",
                         400, resp);
        return;
    }
    /* credited to the signed-in reviewer */
    struct sg_review_actor actor = sg_web_actor(w, s, req);
    struct sg_review_words words = {note, tell ? to_sender : NULL};
    const char *err = NULL;
    int rc;
    if (strcmp(what, "release") == 0)
        rc = sg_review_release(w->o.review, id, &actor, &words, &err);
    else if (strcmp(what, "reject") == 0)
        rc = sg_review_reject(w->o.review, id, &actor, &words, &err);
    else if (strcmp(what, "escalate") == 0)
        rc = sg_review_escalate(w->o.review, id, &actor, note, &err);
    else
        rc = sg_review_note(w->o.review, id, &actor, note, &err);

    char msg[1200];
    switch (rc) {
    case 0:
        sg_web_redirect(resp, "/item/%s?done=%s%s", id, what,
                        tell ? "-told" : "");
        return;
    case SG_REVIEW_NOTICE_FAILED:
        sg_web_redirect(resp, "/item/%s?done=%s-untold", id, what);
        return;
    case SG_REVIEW_NOT_FOUND:
        sg_web_error_page(w, resp, 404, "No such record", err, s);
        return;
    case SG_REVIEW_WRONG_STATUS:
    case SG_REVIEW_GONE:
        snprintf(msg, sizeof(msg), "Not done: %s", err);
        sg_web_page_item(w, req, s, id, msg, 409, resp);
        return;
    default:
        snprintf(msg, sizeof(msg), "Not done: %s", err);
        sg_web_page_item(w, req, s, id, msg, 500, resp);
        return;
    }
}
