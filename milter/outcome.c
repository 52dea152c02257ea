/*
 * outcome.c - turn a verdict into what the MTA is asked to do: a 5.7.1
 * reply that a teacher can read, the journal recipient, the X-Safeguard-*
 * headers, the subject tag, and the removal of forged X-Safeguard-*
 * headers.
 *
 * SECURITY: headers added here never carry matched text (findings may be
 * personal data and headers leave the school); only rule ids, modes,
 * actions and the record id.  Every X-Safeguard-* header that arrived with
 * the message is removed, so no one can forge a verdict.  Reply text is
 * split into lines with no CR or LF, and '%' is doubled for libmilter.
 * Fails by returning -1 (allocation); the caller then applies
 * failure_action.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "notice.h"
#include "outcome.h"
#include "school.h"
#include "sg_buf.h"
#include "sg_person.h"
#include "sg_utf8.h"

static int
push_line(char ***lines, size_t *n, const char *text, size_t len)
{
    struct sg_buf b = SG_BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '\r' || c == '\n' || c == '\t')
            c = ' ';
        if (c == '%')
            sg_buf_puts(&b, "%%");
        else
            sg_buf_putc(&b, c);
    }
    char *line = sg_buf_steal(&b); /* NULL if an append failed */
    int rc = line != NULL ? sg_strv_push(lines, n, line) : -1;
    free(line);
    return rc;
}

/* The longest prefix of at most width bytes that ends at a space (or, for
 * one long word, at a UTF-8 character boundary). */
static size_t
fit(const char *s, size_t len, size_t width)
{
    if (len <= width)
        return len;
    size_t cut = width;
    while (cut > 0 && s[cut] != ' ')
        cut--;
    if (cut > 0)
        return cut;
    cut = sg_utf8_cut(s, len, width);
    return cut > 0 ? cut : width;
}

int
sg_reply_wrap(const char *text, size_t width, size_t max_lines,
              char ***lines_r, size_t *n_r)
{
    static const char more[] = "(The explanation goes on; your "
                               "safeguarding lead can tell you more.)";
    *lines_r = NULL;
    *n_r = 0;
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t para = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (para == 0) { /* one blank line between paragraphs */
            if (*n_r > 0 && (*lines_r)[*n_r - 1][0] != '\0' &&
                push_line(lines_r, n_r, "", 0) < 0)
                return -1;
        }
        while (para > 0) {
            while (para > 0 && *p == ' ') {
                p++;
                para--;
            }
            if (para == 0)
                break;
            size_t take = fit(p, para, width);
            if (push_line(lines_r, n_r, p, take) < 0)
                return -1;
            p += take;
            para -= take;
        }
        p += nl != NULL ? 1 : 0;
    }
    while (*n_r > 0 && (*lines_r)[*n_r - 1][0] == '\0')
        free((*lines_r)[--*n_r]);
    if (*n_r > max_lines) {
        while (*n_r > max_lines - 1)
            free((*lines_r)[--*n_r]);
        return push_line(lines_r, n_r, more, strlen(more));
    }
    return 0;
}

int
sg_outcome_reject_reply(const struct sg_verdict *v, const char *contact,
                        struct sg_outcome *out)
{
    struct sg_buf text = SG_BUF_INIT;
    for (size_t i = 0; i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        if (m->mode != SG_MODE_ENFORCE || m->action != SG_ACTION_REJECT)
            continue;
        sg_buf_cat(&text, text.len > 0 ? "\nNot sent: " : "Not sent: ",
                   m->title != NULL ? m->title : m->id, ".\n(Rule ", m->id,
                   ".)\n\n", m->explain_sender != NULL ? m->explain_sender : "",
                   "\n");
    }
    if (text.len == 0)
        sg_buf_puts(&text, "Not sent: the message breaks the school's "
                           "safeguarding rules.");
    struct sg_buf once = SG_BUF_INIT;
    int rc = sg_buf_failed(&text) ||
                     sg_notice_contact_once(&once, text.data, contact) < 0
                 ? -1
                 : sg_reply_wrap(once.data, SG_REPLY_WIDTH,
                                 SG_REPLY_MAX_LINES, &out->reply,
                                 &out->n_reply);
    sg_buf_free(&text);
    sg_buf_free(&once);
    out->reject = true;
    return rc;
}

int
sg_outcome_reject_brief(const struct sg_verdict *v, const char *record,
                        struct sg_outcome *out)
{
    const struct sg_rule_match *m = NULL;
    for (size_t i = 0; i < v->n_rules && m == NULL; i++)
        if (v->rules[i].mode == SG_MODE_ENFORCE &&
            v->rules[i].action == SG_ACTION_REJECT)
            m = &v->rules[i];
    struct sg_buf text = SG_BUF_INIT;
    if (m != NULL)
        sg_buf_cat(&text, "Not sent: ", m->title != NULL ? m->title : m->id,
                   " (rule ", m->id, record != NULL ? ", record " : "",
                   record != NULL ? record : "", ")");
    else
        sg_buf_puts(&text, "Not sent: the message breaks the school's "
                           "safeguarding rules");
    sg_buf_puts(&text, ". The explanation is in a separate message to you.");
    sg_strv_free(&out->reply, &out->n_reply);
    /* one line: the width is the whole text */
    int rc = sg_buf_failed(&text)
                 ? -1
                 : sg_reply_wrap(text.data, text.len, 1, &out->reply,
                                 &out->n_reply);
    sg_buf_free(&text);
    out->reject = true;
    return rc;
}

static int
add_header(struct sg_outcome *out, const char *name, const char *value)
{
    struct sg_header *grown = realloc(
        out->add_headers, (out->n_add_headers + 1) * sizeof(*grown));
    if (grown == NULL)
        return -1;
    out->add_headers = grown;
    struct sg_header *h = &grown[out->n_add_headers];
    h->name = strdup(name);
    h->value = strdup(value);
    out->n_add_headers++;
    return h->name != NULL && h->value != NULL ? 0 : -1;
}

/* " personal-contact-details (enforce hold), late-contact (test journal)" */
static int
rules_header(const struct sg_verdict *v, struct sg_outcome *out)
{
    struct sg_buf b = SG_BUF_INIT;
    for (size_t i = 0; i < v->n_rules; i++)
        sg_buf_cat(&b, i > 0 ? ", " : "", v->rules[i].id, " (",
                   sg_mode_name(v->rules[i].mode), " ",
                   sg_action_name(v->rules[i].action), ")");
    int rc = !sg_buf_failed(&b) && b.data != NULL
                 ? add_header(out, "X-Safeguard-Rules", b.data)
                 : -1;
    sg_buf_free(&b);
    return rc;
}

static int
annotate(const char *tag, const struct sg_verdict *v, const char *subject,
         const char *record, struct sg_outcome *out)
{
    struct sg_buf verdict = SG_BUF_INIT;
    sg_buf_puts(&verdict, sg_action_name(v->action));
    if (v->journal && v->action != SG_ACTION_JOURNAL)
        sg_buf_puts(&verdict, ", journal");
    if (v->would_action > v->action)
        sg_buf_cat(&verdict, "; test rules would ",
                   sg_action_name(v->would_action));
    int rc = !sg_buf_failed(&verdict)
                 ? add_header(out, "X-Safeguard-Verdict", verdict.data)
                 : -1;
    sg_buf_free(&verdict);
    if (rc < 0 || rules_header(v, out) < 0 ||
        (record != NULL && add_header(out, "X-Safeguard-Record", record) < 0))
        return -1;
    if (tag != NULL && tag[0] != '\0' &&
        strstr(subject != NULL ? subject : "", tag) == NULL) {
        struct sg_buf s = SG_BUF_INIT;
        sg_buf_cat(&s, tag, " ", subject != NULL ? subject : "");
        out->new_subject = sg_buf_steal(&s);
        if (out->new_subject == NULL)
            return -1;
    }
    return 0;
}

/* A forged header as it came, for sorting. */
struct forged_pos {
    const char *name;
    size_t pos;
};

/* By name (case-insensitive, as the MTA matches them), then as they came. */
static int
forged_cmp(const void *a, const void *b)
{
    const struct forged_pos *x = a, *y = b;
    int c = strcasecmp(x->name, y->name);
    return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* The deletions for the forged headers, names in the order they came.
 * The MTA numbers the copies of a name from 1 among those still there,
 * so deleting copy 1 and then copy 2 would delete the first and the
 * third.  Each is deleted by its rank among its name, from the last
 * header to the first: every header before the one deleted is still
 * there, so the ranks hold whether or not an MTA counts the deleted ones
 * (and Postfix, which finds a header by reading from the top, never
 * walks over one it has deleted).  Sorting makes it
 * O(n log n) for n headers, whatever their names. */
static int
del_forged(const struct sg_header_ref *forged, size_t n,
           struct sg_outcome *out)
{
    struct forged_pos *order = calloc(n, sizeof(*order));
    int *rank = calloc(n, sizeof(*rank));
    out->del_headers = calloc(n, sizeof(*out->del_headers));
    if (order == NULL || rank == NULL || out->del_headers == NULL) {
        free(order);
        free(rank);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (struct forged_pos){forged[i].name, i};
    qsort(order, n, sizeof(*order), forged_cmp);
    for (size_t j = 0; j < n; j++)
        rank[order[j].pos] =
            j > 0 && strcasecmp(order[j].name, order[j - 1].name) == 0
                ? rank[order[j - 1].pos] + 1
                : 1;
    int ret = 0;
    for (size_t j = 0; j < n && ret == 0; j++) {
        size_t i = n - 1 - j;
        out->del_headers[j].index = rank[i];
        if ((out->del_headers[j].name = strdup(forged[i].name)) == NULL)
            ret = -1;
        else
            out->n_del_headers++;
    }
    free(order);
    free(rank);
    return ret;
}

int
sg_outcome_strip(const struct sg_header_ref *forged, size_t n_forged,
                 struct sg_outcome *out)
{
    memset(out, 0, sizeof(*out));
    return n_forged > 0 ? del_forged(forged, n_forged, out) : 0;
}

int
sg_outcome_build(const struct sg_config *cfg, const struct sg_school *school,
                 const struct sg_verdict *v, const char *subject,
                 const char *record, const struct sg_header_ref *forged,
                 size_t n_forged, struct sg_outcome *out)
{
    memset(out, 0, sizeof(*out));
    if (n_forged > 0 && del_forged(forged, n_forged, out) < 0)
        return -1;
    if (v->action == SG_ACTION_REJECT)
        return sg_outcome_reject_reply(v, sg_school_contact(cfg, school), out);
    if (v->action == SG_ACTION_HOLD) {
        struct sg_buf reason = SG_BUF_INIT;
        sg_buf_cat(&reason, "safeguard-milter: held for review",
                   record != NULL ? ", record " : "",
                   record != NULL ? record : "");
        for (size_t i = 0; i < v->n_rules; i++)
            if (v->rules[i].mode == SG_MODE_ENFORCE &&
                v->rules[i].action == SG_ACTION_HOLD)
                sg_buf_cat(&reason, i == 0 ? ": " : ", ", v->rules[i].id);
        out->quarantine = sg_buf_steal(&reason);
        if (out->quarantine == NULL)
            return -1;
    }
    if (v->journal) {
        if (cfg->journal_address[0] == '\0')
            out->journal_unconfigured = true;
        else if (sg_strv_push(&out->add_rcpts, &out->n_add_rcpts,
                              cfg->journal_address) < 0)
            return -1;
    }
    /* a held message is delivered, if ever, after the DSL's decision: it
     * carries the record's reference alone, never the rules that held it
     * or the subject tag */
    if (v->action == SG_ACTION_HOLD)
        return record != NULL ? add_header(out, "X-Safeguard-Record", record)
                              : 0;
    if (v->annotate || v->n_rules > 0)
        return annotate(sg_school_subject_tag(cfg, school), v, subject, record,
                        out);
    return 0;
}

void
sg_outcome_free(struct sg_outcome *out)
{
    sg_strv_free(&out->reply, &out->n_reply);
    free(out->quarantine);
    sg_strv_free(&out->add_rcpts, &out->n_add_rcpts);
    for (size_t i = 0; i < out->n_del_headers; i++)
        free(out->del_headers[i].name);
    free(out->del_headers);
    for (size_t i = 0; i < out->n_add_headers; i++) {
        free(out->add_headers[i].name);
        free(out->add_headers[i].value);
    }
    free(out->add_headers);
    free(out->new_subject);
    memset(out, 0, sizeof(*out));
}
