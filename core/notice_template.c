/*
 * notice_template.c - notice templates: loading and checking the template
 * files, and expanding their placeholders.
 *
 * SECURITY:
 *  - Values put into a notice come from untrusted mail.  Expanded into a
 *    header, every control character (CR and LF included) becomes a space,
 *    so a value can never start a header of its own; in the body, invalid
 *    UTF-8 is replaced and control characters other than newline and tab
 *    are dropped, and only the lists and the explanation may span lines.
 *  - A template is checked when it is loaded, not when it is used: UTF-8
 *    text, no NUL, at most 64 KiB, only known placeholders, no header the
 *    milter sets itself (From, To, X-Safeguard-*, ...).
 *
 * Fails by returning -1 with *error_r (common/sg_error.h); never
 * logs, never exits.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "notice.h"
#include "notice_int.h"
#include "sg_utf8.h"
#include "sg_buf.h"
#include "sg_expand.h"

#define TEMPLATE_MAX (64 * 1024) /* bytes in one template file */

/* ------------------------------------------------------------ templates */

static const char *const kind_files[SG_NOTICE_KINDS] = {
    [SG_NOTICE_HELD_SENDER] = "held-sender.txt",
    [SG_NOTICE_HELD_DSL] = "held-dsl.txt",
    [SG_NOTICE_REJECTED_SENDER] = "rejected-sender.txt",
    [SG_NOTICE_DIGEST_DSL] = "digest-dsl.txt",
    [SG_NOTICE_REFUSED_SENDER] = "refused-sender.txt",
    [SG_NOTICE_REFUSED_DSL] = "refused-dsl.txt",
    [SG_NOTICE_DELIVERED_DSL] = "delivered-dsl.txt",
    [SG_NOTICE_RELEASED_SENDER] = "released-sender.txt",
    [SG_NOTICE_REQUEST_DSL] = "request-dsl.txt",
};

const char *
sg_notice_kind_file(enum sg_notice_kind kind)
{
    return (unsigned)kind < SG_NOTICE_KINDS ? kind_files[kind] : NULL;
}

const char *const sg_notice_placeholders[] = {
    "record",   "queue_id",    "sender", "recipients", "subject", "rules",
    "findings", "explanation", "dsl",    "date",       "link",    "outcome",
    "reviewer", "request",     "policy", "school",     NULL,
};

/* Which placeholders may hold line breaks in the body (the others are
 * one line: a subject with a line break cannot add a paragraph). */
static const bool multiline[] = {
    false, false, false, true,  false, true,  true,  true,
    false, false, false, false, false, false, false, false,
};
_Static_assert(sizeof(multiline) / sizeof(multiline[0]) ==
                   sizeof(sg_notice_placeholders) /
                           sizeof(sg_notice_placeholders[0]) -
                       1,
               "one flag per placeholder");

/* Headers the milter writes itself; a template may not set them. */
static const char *const reserved_headers[] = {
    "From",
    "To",
    "Cc",
    "Bcc",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Auto-Submitted",
    "X-Auto-Response-Suppress",
    "Sender",
    "Return-Path",
    "Received",
    NULL,
};

static void
tmpl_clear(struct tmpl *t)
{
    for (size_t i = 0; i < t->n_headers; i++) {
        free(t->headers[i].name);
        free(t->headers[i].value);
    }
    free(t->headers);
    free(t->body);
    memset(t, 0, sizeof(*t));
}

void
sg_notice_templates_free(struct sg_notice_templates **t)
{
    if (t == NULL || *t == NULL)
        return;
    for (size_t k = 0; k < SG_NOTICE_KINDS; k++)
        tmpl_clear(&(*t)->t[k]);
    free(*t);
    *t = NULL;
}

/* Check every placeholder in text; line counts from first_line. */
static int
check_placeholders(const char *text, const char *file, unsigned first_line,
                   const char **error_r)
{
    struct sg_expand_bad bad;
    if (sg_expand_check(text, sg_notice_placeholders, &bad) == 0)
        return 0;
    unsigned line = first_line;
    for (const char *p = text; p < bad.at; p++)
        line += *p == '\n';
    if (bad.unclosed)
        return FAIL("%s:%u: '{' without a closing '}' (write {{ "
                    "for a literal brace)",
                    file, line);
    return FAIL("%s:%u: unknown placeholder {%.*s} (known: "
                "record, queue_id, sender, recipients, subject, "
                "rules, findings, explanation, dsl, date, link, outcome, "
                "reviewer)",
                file, line, (int)bad.name_len, bad.at + 1);
}

static bool
is_header_name(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

/* Whole-file checks first, so a line number can be given; then CRLF ->
 * LF (a template edited on Windows), in place. */
static int
tmpl_check_text(const char *path, char *text, size_t len, const char **error_r)
{
    unsigned line = 1;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\0')
            return FAIL("%s:%u: NUL byte", path, line);
        if (c == '\n')
            line++;
        size_t l =
            sg_utf8_decode((const unsigned char *)text + i, len - i, NULL);
        if (l == 0)
            return FAIL("%s:%u: not UTF-8 text", path, line);
        i += l;
    }
    size_t w = 0;
    for (size_t i = 0; i < len; i++)
        if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
            text[w++] = text[i];
    text[w] = '\0';
    return 0;
}

/* One "Name: value" line p of the header block (line on the file). */
static int
tmpl_header(struct tmpl *t, const char *path, unsigned line, char *p,
            bool *subject, const char **error_r)
{
    if (*p == ' ' || *p == '\t')
        return FAIL("%s:%u: continuation lines are not allowed in "
                    "the header block",
                    path, line);
    char *colon = strchr(p, ':');
    if (colon == NULL || !is_header_name(p, (size_t)(colon - p)))
        return FAIL("%s:%u: expected \"Name: value\" (or an empty "
                    "line before the body)",
                    path, line);
    *colon = '\0';
    const char *value = colon + 1;
    while (*value == ' ' || *value == '\t')
        value++;
    for (size_t r = 0; reserved_headers[r] != NULL; r++)
        if (strcasecmp(p, reserved_headers[r]) == 0)
            return FAIL("%s:%u: %s is set by the milter, not by a "
                        "template",
                        path, line, p);
    if (strncasecmp(p, "X-Safeguard-", 12) == 0)
        return FAIL("%s:%u: %s is set by the milter, not by a "
                    "template",
                    path, line, p);
    bool is_subject = strcasecmp(p, "Subject") == 0;
    if (is_subject && *subject)
        return FAIL("%s:%u: Subject given twice", path, line);
    for (size_t h = 0; h < t->n_headers; h++)
        if (strcasecmp(t->headers[h].name, p) == 0)
            return FAIL("%s:%u: %s given twice", path, line, p);
    if (check_placeholders(value, path, line, error_r) < 0)
        return -1;
    struct tmpl_header *nh =
        realloc(t->headers, (t->n_headers + 1) * sizeof(*t->headers));
    if (nh == NULL)
        return NOMEM();
    t->headers = nh;
    struct tmpl_header hd = {strdup(is_subject ? "Subject" : p), strdup(value)};
    if (hd.name == NULL || hd.value == NULL) {
        free(hd.name);
        free(hd.value);
        return NOMEM();
    }
    if (is_subject) { /* keep Subject first */
        memmove(t->headers + 1, t->headers, t->n_headers * sizeof(*t->headers));
        t->headers[0] = hd;
        *subject = true;
    } else {
        t->headers[t->n_headers] = hd;
    }
    t->n_headers++;
    return 0;
}

static int
tmpl_parse(struct tmpl *t, const char *path, char *text, size_t len,
           const char **error_r)
{
    if (tmpl_check_text(path, text, len, error_r) < 0)
        return -1;
    char *p = text;
    unsigned line = 1;
    bool subject = false;
    for (;;) {
        char *nl = strchr(p, '\n');
        if (nl == NULL)
            return FAIL("%s:%u: no empty line between the headers and the "
                        "body",
                        path, line);
        *nl = '\0';
        if (*p == '\0') { /* end of the header block */
            p = nl + 1;
            line++;
            break;
        }
        if (*p != '#' && tmpl_header(t, path, line, p, &subject, error_r) < 0)
            return -1;
        p = nl + 1;
        line++;
    }
    if (!subject)
        return FAIL("%s: no Subject: line in the header block", path);
    if (check_placeholders(p, path, line, error_r) < 0)
        return -1;
    if (*p == '\0')
        return FAIL("%s:%u: the body is empty", path, line);
    if ((t->body = strdup(p)) == NULL)
        return NOMEM();
    return 0;
}

int
sg_notice_templates_load(const char *dir, struct sg_notice_templates **t_r,
                         const char **error_r)
{
    if (dir == NULL || dir[0] == '\0')
        return FAIL("no template directory given");
    struct sg_notice_templates *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NOMEM();
    for (size_t k = 0; k < SG_NOTICE_KINDS; k++) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof(path), "%s/%s", dir, kind_files[k]);
        if (n < 0 || (size_t)n >= sizeof(path)) {
            sg_notice_templates_free(&t);
            return FAIL("%s: path too long", dir);
        }
        char *text;
        size_t len;
        if (sg_read_small_file(path, TEMPLATE_MAX, 0, &text, &len, NULL,
                               error_r) < 0) {
            sg_notice_templates_free(&t);
            return -1;
        }
        int r = tmpl_parse(&t->t[k], path, text, len, error_r);
        free(text);
        if (r < 0) {
            sg_notice_templates_free(&t);
            return -1;
        }
    }
    *t_r = t;
    return 0;
}

struct expand_ctx {
    const char *const *vals;
    bool header;
};

static int
expand_value(struct sg_buf *b, size_t i, void *ctx)
{
    const struct expand_ctx *x = ctx;
    /* only the lists and the explanation may span lines */
    return sg_notice_put_value(b, x->vals[i], x->header || !multiline[i]);
}

/* Template text in a header: UTF-8 already; still no control chars. */
static int
expand_header_text(struct sg_buf *b, const char *s, size_t len, void *ctx)
{
    (void)ctx;
    for (size_t j = 0; j < len; j++)
        if (sg_buf_putc(b, (unsigned char)s[j] < 0x20 ? ' ' : s[j]) < 0)
            return -1;
    return 0;
}

/* Expand a template text with values (made safe for a header or the
 * body).  The text was checked at load. */
int
sg_notice_expand(struct sg_buf *b, const char *text, const char *const vals[],
                 bool header)
{
    struct expand_ctx x = {vals, header};
    return sg_expand(b, text, sg_notice_placeholders, expand_value,
                     header ? expand_header_text : NULL, &x);
}
