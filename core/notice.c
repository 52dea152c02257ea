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

/* Is the notice for the DSL (else for the sender)? */
static bool
for_dsl(enum sg_notice_kind kind)
{
    return kind == SG_NOTICE_HELD_DSL || kind == SG_NOTICE_DIGEST_DSL;
}

static bool
rule_selected(const struct sg_verdict *v, size_t i, enum sg_notice_kind kind,
              int level)
{
    const struct sg_rule_match *m = &v->rules[i];
    if (for_dsl(kind) || level == 2)
        return true;
    if (m->mode != SG_MODE_ENFORCE)
        return false;
    return level == 1 || notifies(m, "sender");
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

int
sg_notice_text_build(const struct sg_verdict *verdict,
                     const struct sg_party *rcpts, size_t n_rcpts,
                     enum sg_notice_kind kind, struct sg_notice_text *out,
                     const char **error_r)
{
    memset(out, 0, sizeof(*out));
    if (verdict == NULL || (unsigned)kind >= SG_NOTICE_KINDS)
        return FAIL("sg_notice_text_build: no verdict");
    /* level 0: the rules that notify the sender; 1: all enforced; 2: all */
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
        if (m->mode == SG_MODE_TEST)
            sg_buf_printf(&rules, "- %s (rule %s; test mode, would have "
                                  "been: %s)\n",
                          m->title ? m->title : m->id, m->id,
                          sg_action_name(m->action));
        else
            sg_buf_printf(&rules, "- %s (rule %s; action: %s)\n",
                          m->title ? m->title : m->id, m->id,
                          sg_action_name(m->action));
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
            else if (finds.data == NULL ||
                     strstr(finds.data, line.data) == NULL)
                sg_buf_puts(&finds, line.data);
            sg_buf_free(&line);
        }
        const char *e = for_dsl(kind) ? m->explain_dsl : m->explain_sender;
        if (e != NULL && e[0] != '\0')
            sg_buf_printf(&expl, "%s%s", expl.len > 0 ? "\n\n" : "", e);
    }
    if (finds.len == 0)
        sg_buf_puts(&finds, "- nothing in the text: the rule is about "
                            "who wrote to whom, when, or how\n");
    for (size_t i = 0; i < n_rcpts; i++) {
        const struct sg_party *p = &rcpts[i];
        sg_buf_puts(&who, "- ");
        sg_notice_put_value(&who, p->address ? p->address : "?", true);
        if (p->person != NULL && p->person->display_name != NULL) {
            sg_buf_puts(&who, " - ");
            sg_notice_put_value(&who, p->person->display_name, true);
        }
        sg_buf_puts(&who, " (");
        if (p->person == NULL || p->person->n_roles == 0)
            sg_buf_puts(&who, SG_ROLE_EXTERNAL);
        for (size_t k = 0; p->person != NULL && k < p->person->n_roles; k++)
            sg_buf_printf(&who, "%s%s", k > 0 ? ", " : "",
                          p->person->roles[k]);
        if (p->channel == SG_CHANNEL_PERSONAL)
            sg_buf_puts(&who, "; their personal address");
        sg_buf_puts(&who, ")\n");
    }
    /* drop the last newline of each list: the template places it */
    struct sg_buf *lists[] = {&rules, &finds, &who};
    for (size_t i = 0; i < 3; i++)
        if (lists[i]->len > 0 && lists[i]->data[lists[i]->len - 1] == '\n')
            lists[i]->data[--lists[i]->len] = '\0';
    if (r == 0) {
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
    *n_r = n;
    return 0;
}
