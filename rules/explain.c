/*
 * explain.c - the texts of a verdict: each matched rule's explanation for
 * the sender and for the DSL, from the rule's templates (explain,
 * explain-dsl) or the defaults, with their {placeholders} filled; and the
 * check of a template's placeholders when the rules are loaded.
 *
 * SECURITY: findings and names come from the message and the directory;
 * they are put into the text as data, never used as a format string.  The
 * sender's text shows other people's personal data masked, as it may
 * travel on in a bounce or a forward.
 * Fails by returning -1 (NULL) when memory runs out.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "explain.h"
#include "sg_expand.h"
#include "sg_tz.h"
#include "sg_utf8.h"

enum {
    P_RULE,
    P_TITLE,
    P_POLICY,
    P_SOURCE,
    P_ACTION,
    P_PUPILS,
    P_RECIPIENTS,
    P_SENDER,
    P_FINDINGS,
    P_DSL,
    P_TIME,
};
static const char *const placeholders[] = {
    "rule",       "title",  "policy",   "source", "action", "pupils",
    "recipients", "sender", "findings", "dsl",    "time",   NULL,
};

int
sg_explain_check(const char *t, const char **bad_r)
{
    struct sg_expand_bad b;
    if (sg_expand_check(t, placeholders, &b) == 0)
        return 0;
    int n = (int)(b.name_len > 30 ? 30 : b.name_len);
    if (b.unclosed)
        *bad_r = sg_error_set("'{%.*s' without a closing '}'", n, b.at + 1);
    else
        *bad_r = sg_error_set("{%.*s}", n, b.at + 1);
    return -1;
}

static const char *
action_phrase(enum sg_action a)
{
    switch (a) {
    case SG_ACTION_REJECT:
        return "not delivered";
    case SG_ACTION_HOLD:
        return "held for the Designated Safeguarding Lead to review before "
               "delivery";
    case SG_ACTION_JOURNAL:
        return "delivered, and a copy kept in the school's safeguarding "
               "archive";
    case SG_ACTION_ANNOTATE:
        return "delivered with a safeguarding note";
    case SG_ACTION_ACCEPT:
        return "delivered";
    }
    return "";
}

static int
put_party_name(struct sg_buf *b, const struct sg_party *p)
{
    if (p->person && p->person->display_name && p->person->display_name[0])
        return sg_buf_printf(b, "%s <%s>", p->person->display_name,
                             p->address ? p->address : "");
    return sg_buf_puts(b, p->address ? p->address : "(unknown)");
}

static int
put_join(struct sg_buf *b, size_t i, size_t n)
{
    if (i == 0)
        return 0;
    return sg_buf_puts(b, i + 1 == n ? " and " : ", ");
}

/* Findings that are other people's personal data: a pupil's numbers, a
 * child's name with a date of birth, a home address.  The sender's text
 * shows them masked (it may travel on, in a bounce or a forward); the
 * DSL's keeps them whole. */
static bool
third_party(const char *detector)
{
    static const char *const names[] = {"upn", "nhs-number", "uln",
                                        "pupil-dob", "pupil-roster",
                                        "home-address", NULL};
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp(detector, names[i]) == 0)
            return true;
    return false;
}

/* The first two and last two characters, the rest "..."; names (pupil-dob,
 * pupil-roster) entirely.  ASCII only, as the text may go into an SMTP
 * reply. */
static int
put_masked(struct sg_buf *b, const char *detector, const char *text)
{
    size_t len = strlen(text), chars = 0, head = 0, tail = len;
    for (size_t i = 0; i < len;) {
        size_t l = sg_utf8_decode((const unsigned char *)text + i, len - i,
                                  NULL);
        i += l > 0 ? l : 1;
        if (++chars == 2)
            head = i;
    }
    if (strcmp(detector, "pupil-dob") == 0 ||
        strcmp(detector, "pupil-roster") == 0 || chars < 7 || head == 0)
        return sg_buf_puts(b, "...");
    /* the start of the last two characters */
    for (int k = 0; k < 2 && tail > 0; k++)
        tail = sg_utf8_cut(text, tail, tail - 1);
    return sg_buf_printf(b, "%.*s...%s", (int)head, text, text + tail);
}

/* Whether finding i's detector has a finding before it. */
static bool
detector_seen(const struct flist *fl, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (strcmp(fl->f[k].detector, fl->f[i].detector) == 0)
            return true;
    return false;
}

static int
put_findings(struct sg_buf *b, const struct sg_rules *rules,
             const struct flist *fl, bool mask)
{
    if (fl->n == 0)
        return sg_buf_puts(b, "who the message is from and to (not its "
                              "words)");
    /* Group by detector, in order of first appearance. */
    size_t groups = 0;
    for (size_t i = 0; i < fl->n; i++)
        if (!detector_seen(fl, i))
            groups++;
    size_t g = 0;
    for (size_t i = 0; i < fl->n; i++) {
        if (detector_seen(fl, i))
            continue;
        if (put_join(b, g++, groups) < 0)
            return -1;
        bool attach = strcmp(fl->f[i].detector, "attachment") == 0;
        const char *desc = attach ? "an attached file"
                                  : "what the filter could not read";
        size_t di = sg_rules_detector_find(rules, fl->f[i].detector);
        if (di != (size_t)-1)
            desc = rules->detectors[di].describe;
        /* Up to three examples; the place once when they share it. */
        size_t shown = 0, total = 0;
        bool same_where = true;
        for (size_t k = i; k < fl->n; k++) {
            if (strcmp(fl->f[k].detector, fl->f[i].detector) != 0)
                continue;
            total++;
            if (strcmp(fl->f[k].where, fl->f[i].where) != 0)
                same_where = false;
        }
        if (attach && total > 1)
            desc = "attached files";
        if (sg_buf_printf(b, "%s (", desc) < 0)
            return -1;
        for (size_t k = i; k < fl->n && shown < 3; k++) {
            if (strcmp(fl->f[k].detector, fl->f[i].detector) != 0)
                continue;
            if (sg_buf_printf(b, "%s\"", shown ? ", " : "") < 0 ||
                (mask && third_party(fl->f[k].detector)
                     ? put_masked(b, fl->f[k].detector, fl->f[k].text)
                     : sg_buf_puts(b, fl->f[k].text)) < 0 ||
                sg_buf_putc(b, '"') < 0)
                return -1;
            if (attach || !same_where)
                if (sg_buf_printf(b, attach ? " %s" : " in the %s",
                                  fl->f[k].where +
                                      (attach && strncmp(fl->f[k].where,
                                                         "attachment ",
                                                         11) == 0
                                           ? 11
                                           : 0)) < 0)
                    return -1;
            shown++;
        }
        if (total > shown && sg_buf_printf(b, " and %zu more", total - shown) < 0)
            return -1;
        if (!attach && same_where &&
            sg_buf_printf(b, " in the %s", fl->f[i].where) < 0)
            return -1;
        if (sg_buf_putc(b, ')') < 0)
            return -1;
    }
    return 0;
}

/* What the placeholders of one explanation are filled from. */
struct render_ctx {
    const struct sg_explain_input *c;
    const struct rule *r;
    enum sg_mode mode;
    const bool *targets;
    const struct flist *fl;
    bool mask;
};

/* {pupils} (the targets) or {recipients} (all). */
static int
put_rcpts(struct sg_buf *b, const struct sg_eval_input *in, const bool *targets,
          bool all)
{
    size_t cnt = 0, k = 0;
    for (size_t i = 0; i < in->n_rcpts; i++)
        if (all || targets[i])
            cnt++;
    for (size_t i = 0; i < in->n_rcpts; i++) {
        if (!all && !targets[i])
            continue;
        if (put_join(b, k++, cnt) < 0 || put_party_name(b, &in->rcpts[i]) < 0)
            return -1;
    }
    return 0;
}

static int
put_placeholder(struct sg_buf *b, size_t i, void *ctx)
{
    const struct render_ctx *x = ctx;
    const struct rule *r = x->r;
    const struct sg_rules *rules = x->c->rules;
    switch (i) {
    case P_RULE:
        return sg_buf_puts(b, r->id);
    case P_TITLE:
        return sg_buf_puts(b, r->title ? r->title : r->id);
    case P_POLICY:
        return sg_buf_puts(b, r->policy ? r->policy : "");
    case P_SOURCE:
        return sg_buf_puts(b, r->source ? r->source : "");
    case P_ACTION:
        if (x->mode == SG_MODE_TEST)
            return sg_buf_printf(b,
                                 "delivered (this rule is being tried out: "
                                 "once it is switched on, messages like "
                                 "this will be %s)",
                                 action_phrase(r->action));
        return sg_buf_puts(b, action_phrase(r->action));
    case P_PUPILS:
    case P_RECIPIENTS:
        return put_rcpts(b, x->c->in, x->targets, i == P_RECIPIENTS);
    case P_SENDER:
        return put_party_name(b, &x->c->in->sender);
    case P_FINDINGS:
        return put_findings(b, rules, x->fl, x->mask);
    case P_DSL:
        return sg_buf_puts(b, rules->dsl_contact
                                  ? rules->dsl_contact
                                  : "the Designated Safeguarding Lead");
    case P_TIME: {
        char tb[80];
        sg_tz_format(rules->tz, x->c->in->now, SG_TIME_LONG, tb, sizeof(tb));
        return sg_buf_puts(b, tb);
    }
    }
    return -1;
}

/* Fill tmpl's placeholders; mask: for the sender (see third_party). */
static char *
render(const struct sg_explain_input *c, const struct rule *r,
       enum sg_mode mode, const char *tmpl, const bool *targets,
       const struct flist *fl, bool mask)
{
    struct render_ctx x = {c, r, mode, targets, fl, mask};
    struct sg_buf b = SG_BUF_INIT;
    if (sg_expand(&b, tmpl, placeholders, put_placeholder, NULL, &x) < 0) {
        sg_buf_free(&b);
        return NULL;
    }
    return sg_buf_steal(&b);
}

static const char default_sender[] =
    "Your message to {pupils} was {action}.\n"
    "\n"
    "Why: the school rule \"{title}\" applies to it.\n"
    "{policy}\n"
    "\n"
    "What was found: {findings}.\n"
    "\n"
    "If you think this is a mistake, or you are not sure what to do "
    "instead, please speak to {dsl}.\n"
    "\n"
    "(Rule {rule}; {source})";

static const char default_dsl[] =
    "Rule {rule} (\"{title}\") matched a message from {sender} to "
    "{recipients} sent {time}.\n"
    "Found: {findings}.\n"
    "Action: {action}.\n"
    "Policy: {policy}\n"
    "Source: {source}";

int
sg_explain_match(const struct sg_explain_input *c, const struct rule *r,
                 const bool *targets, struct sg_rule_match *m)
{
    const struct flist fl = {m->findings, m->n_findings};
    m->explain_sender =
        render(c, r, m->mode, r->explain ? r->explain : default_sender, targets,
               &fl, true);
    m->explain_dsl =
        render(c, r, m->mode, r->explain_dsl ? r->explain_dsl : default_dsl,
               targets, &fl, false);
    if (!m->explain_sender || !m->explain_dsl)
        return -1;
    return 0;
}
