/*
 * notice.c - notices by mail, put together: sg_notice_open builds what the
 * daemon needs from its configuration (notice_outbox.c renders notices
 * into the outbox and sends them), sg_notice_text_build turns a verdict into the lists a
 * notice shows, sg_notice_wanted says whether a verdict asks for one.  Also
 * what the pieces share: reading a small file.  The pieces:
 * notice_template.c (templates and placeholders),
 * notice_mark.c (the keyed X-Safeguard-Notice marker), notice_render.c (the
 * message: headers, folding, RFC 2047, body wrapping) and notice_send.c
 * (the local sendmail command).
 *
 * SECURITY:
 *  - Values put into a notice come from untrusted mail.  The lists built
 *    here from a verdict keep each finding and each recipient's address
 *    and name on one line (every control character becomes a space,
 *    invalid UTF-8 is replaced); rendering makes them safe again for the
 *    header or the body they go into.
 *  - An address that starts with '-' or holds a control character is
 *    refused, for notice_from and dsl_addresses here as for every sender
 *    and recipient of a notice.
 *  - A file (template, secret) is read only if it is a regular file no
 *    larger than its limit.
 *
 * Fails by returning -1 with *error_r (common/sg_error.h); never
 * logs, never exits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "findings.h"
#include "notice.h"
#include "notice_int.h"
#include "sg_buf.h"
#include "store_outbox.h"

/* ------------------------------------------------------------ text */

static bool
notifies(const struct sg_rule_match *m, const char *who)
{
    for (size_t i = 0; i < m->n_notify; i++)
        if (m->notify[i] != NULL && strcasecmp(m->notify[i], who) == 0)
            return true;
    return false;
}

bool
sg_notice_wanted(const struct sg_verdict *verdict, const char *who)
{
    if (verdict == NULL || who == NULL)
        return false;
    for (size_t i = 0; i < verdict->n_rules; i++)
        if (verdict->rules[i].mode == SG_MODE_ENFORCE &&
            notifies(&verdict->rules[i], who))
            return true;
    return false;
}

void
sg_notice_text_free(struct sg_notice_text *text)
{
    if (text == NULL)
        return;
    free(text->rules);
    free(text->findings);
    free(text->explanation);
    free(text->recipients);
    memset(text, 0, sizeof(*text));
}

/* Is address one of c's headteacher_addresses? */
static bool
is_headteacher(const struct sg_notice_config *c, const char *address)
{
    for (size_t i = 0; address != NULL && i < c->n_headteacher_addresses; i++)
        if (strcasecmp(address, c->headteacher_addresses[i]) == 0)
            return true;
    return false;
}

void
sg_notice_track_to(const struct sg_notice_config *c, enum sg_track track,
                   const char *sender, const struct sg_party *rcpts,
                   size_t n_rcpts, const char *const **to_r, size_t *n_r)
{
    *to_r = c->dsl_addresses;
    *n_r = c->n_dsl_addresses;
    if (track != SG_TRACK_STAFF_CONDUCT)
        return;
    if (c->n_conduct_addresses > 0) {
        *to_r = c->conduct_addresses;
        *n_r = c->n_conduct_addresses;
    }
    if (c->n_chair_addresses == 0)
        return;
    bool head = is_headteacher(c, sender);
    for (size_t i = 0; !head && i < n_rcpts; i++)
        head = is_headteacher(c, rcpts[i].address);
    if (head) {
        *to_r = c->chair_addresses;
        *n_r = c->n_chair_addresses;
    }
}

bool
sg_notice_for_dsl(enum sg_notice_kind kind)
{
    return kind == SG_NOTICE_HELD_DSL || kind == SG_NOTICE_DIGEST_DSL ||
           kind == SG_NOTICE_REFUSED_DSL || kind == SG_NOTICE_DELIVERED_DSL ||
           kind == SG_NOTICE_REQUEST_DSL;
}

int
sg_notice_link(const char *review_url, const char *record, struct sg_buf *out)
{
    if (review_url == NULL || review_url[0] == '\0')
        return record != NULL
                   ? sg_buf_printf(out, "safeguard-review show %s", record)
                   : sg_buf_puts(out, "safeguard-review list");
    size_t len = strlen(review_url);
    while (len > 0 && review_url[len - 1] == '/')
        len--;
    return record != NULL
               ? sg_buf_printf(out, "%.*s/item/%s", (int)len, review_url,
                               record)
               : sg_buf_printf(out, "%.*s/queue", (int)len, review_url);
}

int
sg_notice_contact_once(struct sg_buf *out, const char *text,
                       const char *contact)
{
    size_t clen = contact != NULL ? strlen(contact) : 0;
    const char *p = text != NULL ? text : "";
    sg_buf_puts(out, "");
    for (bool first = true; clen > 0;) {
        const char *hit = strstr(p, contact);
        if (hit == NULL)
            break;
        sg_buf_append(out, p, (size_t)(hit - p));
        sg_buf_puts(out, first ? contact : SG_NOTICE_DSL_ROLE);
        first = false;
        p = hit + clen;
    }
    sg_buf_puts(out, p);
    return sg_buf_failed(out) ? -1 : 0;
}

const char *
sg_notice_outcome(const struct sg_verdict *v)
{
    switch (v->action) {
    case SG_ACTION_HOLD:
        return "held for review";
    case SG_ACTION_REJECT:
        return "refused";
    default:
        return v->journal || v->action == SG_ACTION_JOURNAL
                   ? "delivered, with a copy to the archive"
                   : "delivered";
    }
}

/* The action whose rules a sender's notice explains: the one that made
 * what the notice tells of. */
static enum sg_action
sender_action(enum sg_notice_kind kind)
{
    return kind == SG_NOTICE_REFUSED_SENDER ? SG_ACTION_REJECT
                                            : SG_ACTION_HOLD;
}

static bool
rule_selected(const struct sg_verdict *v, size_t i, enum sg_notice_kind kind,
              int level)
{
    const struct sg_rule_match *m = &v->rules[i];
    if (sg_notice_for_dsl(kind))
        return true;
    if (m->mode != SG_MODE_ENFORCE)
        return false;
    if (level == 2)
        return true;
    return m->action == sender_action(kind) &&
           (level == 1 || notifies(m, "sender"));
}

/* A finding's values in a notice: one line each (sg_notice_put_value). */
static int
put_finding_value(struct sg_buf *b, const char *s, size_t len)
{
    char *copy = strndup(s, len);
    int r = copy != NULL ? sg_notice_put_value(b, copy, true) : -1;
    free(copy);
    return r;
}

static const struct sg_finding_style finding_style = {put_finding_value, NULL,
                                                      "\"", "\""};

/* One line per finding, each line once (the sender's notice). */
static int
put_findings_text(struct sg_buf *finds, const struct sg_rule_match *m)
{
    int r = 0;
    for (size_t f = 0; f < m->n_findings; f++) {
        const struct sg_finding *fd = &m->findings[f];
        struct sg_buf line = SG_BUF_INIT;
        sg_buf_puts(&line, "- ");
        if (sg_finding_put(&line, fd->detector, fd->text, fd->where,
                           &finding_style) < 0)
            sg_buf_fail(&line);
        sg_buf_putc(&line, '\n');
        if (sg_buf_failed(&line))
            r = -1;
        else if (finds->data == NULL || strstr(finds->data, line.data) == NULL)
            sg_buf_puts(finds, line.data);
        sg_buf_free(&line);
    }
    return r;
}

/* A count under a label, for the DSL's lists. */
struct tally {
    char *label;
    size_t n;
};

static int
tally_add(struct tally **t, size_t *n, const char *label)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*t)[i].label, label) == 0) {
            (*t)[i].n++;
            return 0;
        }
    struct tally *grown = realloc(*t, (*n + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    *t = grown;
    if ((grown[*n].label = strdup(label)) == NULL)
        return -1;
    grown[(*n)++].n = 1;
    return 0;
}

/* "- 2 found by DETECTOR" (found) or "- 2 LABEL" per line, and free the
 * tally. */
static void
tally_put(struct sg_buf *b, struct tally *t, size_t n, bool found)
{
    for (size_t i = 0; i < n; i++) {
        sg_buf_printf(b, "- %zu %s%s\n", t[i].n, found ? "found by " : "",
                      t[i].label);
        free(t[i].label);
    }
    free(t);
}

/* The DSL's findings: how many of each detector (distinct texts), never
 * the texts themselves. */
static int
put_findings_counts(struct sg_buf *finds, const struct sg_verdict *v)
{
    struct tally *t = NULL;
    size_t n = 0;
    int r = 0;
    for (size_t i = 0; r == 0 && i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        for (size_t f = 0; r == 0 && f < m->n_findings; f++) {
            const struct sg_finding *fd = &m->findings[f];
            bool seen = false; /* the same text found by an earlier rule */
            for (size_t j = 0; !seen && j <= i; j++)
                for (size_t g = 0;
                     !seen && g < (j < i ? v->rules[j].n_findings : f); g++) {
                    const struct sg_finding *o = &v->rules[j].findings[g];
                    seen = o->detector != NULL && fd->detector != NULL &&
                           o->text != NULL && fd->text != NULL &&
                           strcmp(o->detector, fd->detector) == 0 &&
                           strcmp(o->text, fd->text) == 0;
                }
            if (!seen)
                r = tally_add(&t, &n, fd->detector != NULL ? fd->detector
                                                           : "?");
        }
    }
    tally_put(finds, t, n, true);
    return r;
}

/* The DSL's recipients: how many of each kind of person, never who. */
static int
put_rcpt_counts(struct sg_buf *who, const struct sg_party *rcpts,
                size_t n_rcpts)
{
    struct tally *t = NULL;
    size_t n = 0;
    int r = 0;
    for (size_t i = 0; r == 0 && i < n_rcpts; i++) {
        const struct sg_party *p = &rcpts[i];
        struct sg_buf label = SG_BUF_INIT;
        if (p->person == NULL || p->person->n_roles == 0)
            sg_buf_puts(&label, "outside address");
        for (size_t k = 0; p->person != NULL && k < p->person->n_roles; k++)
            sg_buf_printf(&label, "%s%s", k > 0 ? ", " : "",
                          p->person->roles[k]);
        if (p->channel == SG_CHANNEL_PERSONAL)
            sg_buf_puts(&label, " (at a personal address)");
        r = sg_buf_failed(&label) ? -1 : tally_add(&t, &n, label.data);
        sg_buf_free(&label);
    }
    tally_put(who, t, n, false);
    return r;
}

/* The sender's own recipients, one per line with names and roles. */
static void
put_rcpts_named(struct sg_buf *who, const struct sg_party *rcpts,
                size_t n_rcpts)
{
    for (size_t i = 0; i < n_rcpts; i++) {
        const struct sg_party *p = &rcpts[i];
        sg_buf_puts(who, "- ");
        sg_notice_put_value(who, p->address ? p->address : "?", true);
        if (p->person != NULL && p->person->display_name != NULL) {
            sg_buf_puts(who, " - ");
            sg_notice_put_value(who, p->person->display_name, true);
        }
        sg_buf_puts(who, " (");
        if (p->person == NULL || p->person->n_roles == 0)
            sg_buf_puts(who, SG_ROLE_EXTERNAL);
        for (size_t k = 0; p->person != NULL && k < p->person->n_roles; k++)
            sg_buf_printf(who, "%s%s", k > 0 ? ", " : "",
                          p->person->roles[k]);
        if (p->channel == SG_CHANNEL_PERSONAL)
            sg_buf_puts(who, "; their personal address");
        sg_buf_puts(who, ")\n");
    }
}

int
sg_notice_text_build(const struct sg_verdict *verdict,
                     const struct sg_party *rcpts, size_t n_rcpts,
                     enum sg_notice_kind kind, struct sg_notice_text *out,
                     const char **error_r)
{
    memset(out, 0, sizeof(*out));
    if (verdict == NULL || (unsigned)kind >= SG_NOTICE_KINDS)
        return FAIL("sg_notice_text_build: no verdict");
    bool dsl = sg_notice_for_dsl(kind);
    /* the sender's: level 0, the outcome's rules that notify the sender;
     * 1, all the outcome's rules; 2, all enforced rules */
    int level = 0;
    for (; level < 2; level++) {
        size_t n = 0;
        for (size_t i = 0; i < verdict->n_rules; i++)
            n += rule_selected(verdict, i, kind, level);
        if (n > 0)
            break;
    }
    struct sg_buf rules = SG_BUF_INIT, finds = SG_BUF_INIT, expl = SG_BUF_INIT,
                  who = SG_BUF_INIT;
    int r = 0;
    for (size_t i = 0; i < verdict->n_rules; i++) {
        if (!rule_selected(verdict, i, kind, level))
            continue;
        const struct sg_rule_match *m = &verdict->rules[i];
        const char *title = m->title ? m->title : m->id;
        if (m->mode == SG_MODE_TEST)
            sg_buf_printf(&rules, "- %s (rule %s; test mode, would have "
                                  "been: %s)\n",
                          title, m->id, sg_action_name(m->action));
        else
            sg_buf_printf(&rules, "- %s (rule %s; action: %s)\n", title,
                          m->id, sg_action_name(m->action));
        if (dsl) {
            /* the policy, not explain_dsl: that quotes what was found */
            if (m->policy != NULL && m->policy[0] != '\0')
                sg_buf_printf(&expl, "%s%s: %s", expl.len > 0 ? "\n\n" : "",
                              title, m->policy);
            continue;
        }
        if (put_findings_text(&finds, m) < 0)
            r = -1;
        if (m->explain_sender != NULL && m->explain_sender[0] != '\0')
            sg_buf_printf(&expl, "%s%s", expl.len > 0 ? "\n\n" : "",
                          m->explain_sender);
    }
    if (dsl && (put_findings_counts(&finds, verdict) < 0 ||
                put_rcpt_counts(&who, rcpts, n_rcpts) < 0))
        r = -1;
    if (!dsl)
        put_rcpts_named(&who, rcpts, n_rcpts);
    if (finds.len == 0)
        sg_buf_puts(&finds, "- nothing in the text: the rule is about "
                            "who wrote to whom, when, or how\n");
    /* drop the last newline of each list: the template places it */
    struct sg_buf *lists[] = {&rules, &finds, &who};
    for (size_t i = 0; i < 3; i++)
        if (lists[i]->len > 0 && lists[i]->data[lists[i]->len - 1] == '\n')
            lists[i]->data[--lists[i]->len] = '\0';
    if (r == 0) {
        sg_buf_puts(&expl, ""); /* "" rather than NULL when empty */
        sg_buf_puts(&who, "");
        /* each is NULL if an append to it failed */
        out->rules = sg_buf_steal(&rules);
        out->findings = sg_buf_steal(&finds);
        out->explanation = sg_buf_steal(&expl);
        out->recipients = sg_buf_steal(&who);
        if (!out->rules || !out->findings || !out->explanation ||
            !out->recipients)
            r = -1;
    }
    sg_buf_free(&rules);
    sg_buf_free(&finds);
    sg_buf_free(&expl);
    sg_buf_free(&who);
    if (r < 0) {
        sg_notice_text_free(out);
        return NOMEM();
    }
    return 0;
}

/* ------------------------------------------------------------ together */

void
sg_notice_free(struct sg_notice **n)
{
    if (n == NULL || *n == NULL)
        return;
    sg_notice_templates_free(&(*n)->templates);
    sg_notice_key_free(&(*n)->key);
    sg_notice_sender_free(&(*n)->sender);
    free((*n)->from);
    free((*n)->from_name);
    free((*n)->review_url);
    sg_strv_free(&(*n)->dsl_addresses, &(*n)->n_dsl_addresses);
    free(*n);
    *n = NULL;
}

int
sg_notice_open(const struct sg_notice_config *cfg, struct sg_notice **n_r,
               const char **error_r)
{
    if (cfg == NULL)
        return FAIL("no notice configuration");
    const char *why = sg_notice_address_problem(cfg->from);
    if (why != NULL)
        return FAIL("notice_from \"%.100s\" %s", cfg->from ? cfg->from : "",
                    why);
    if (cfg->n_dsl_addresses == 0)
        return FAIL("dsl_addresses is empty: no one would be told of held "
                    "mail");
    for (size_t i = 0; i < cfg->n_dsl_addresses; i++)
        if ((why = sg_notice_address_problem(cfg->dsl_addresses[i])) != NULL)
            return FAIL("dsl_addresses: \"%.100s\" %s",
                        cfg->dsl_addresses[i] ? cfg->dsl_addresses[i] : "",
                        why);
    struct sg_notice *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return NOMEM();
    unsigned timeout = cfg->timeout > 0 ? cfg->timeout : SG_NOTICE_TIMEOUT;
    if (timeout > UINT_MAX / 1000)
        timeout = UINT_MAX / 1000;
    if (sg_notice_templates_load(cfg->templates_dir, &n->templates, error_r) <
            0 ||
        sg_notice_secret_load(cfg->secret_file, &n->key, error_r) < 0 ||
        sg_notice_sender_new(cfg->sendmail, timeout * 1000, &n->sender,
                             error_r) < 0) {
        sg_notice_free(&n);
        return -1;
    }
    if ((n->from = strdup(cfg->from)) == NULL ||
        (n->review_url = strdup(cfg->review_url != NULL ? cfg->review_url
                                                        : "")) == NULL ||
        (cfg->from_name != NULL &&
         (n->from_name = strdup(cfg->from_name)) == NULL)) {
        sg_notice_free(&n);
        return NOMEM();
    }
    for (size_t i = 0; i < cfg->n_dsl_addresses; i++)
        if (sg_strv_push(&n->dsl_addresses, &n->n_dsl_addresses,
                         cfg->dsl_addresses[i]) < 0) {
            sg_notice_free(&n);
            return NOMEM();
        }
    n->retry_max_age = cfg->retry_max_age > 0 ? (time_t)cfg->retry_max_age
                                              : SG_NOTICE_RETRY_MAX_AGE;
    /* the process has one configuration: its retries wait as it says */
    sg_outbox_set_backoff_first(cfg->retry_interval);
    *n_r = n;
    return 0;
}
