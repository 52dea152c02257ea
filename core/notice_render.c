/*
 * notice_render.c - rendering a notice: the headers (folded, non-ASCII
 * text RFC 2047 encoded), the From display name, the body (long lines
 * wrapped) and the marker, as one message for sendmail.
 *
 * SECURITY:
 *  - Values put into a notice come from untrusted mail.  In a header every
 *    control character (CR and LF included) becomes a space and non-ASCII
 *    text is RFC 2047 encoded, so a value can never start a header of its
 *    own; in the body, invalid UTF-8 is replaced and control characters
 *    other than newline and tab are dropped.
 *  - Header values are cut (at a character boundary) to a bound, and so
 *    are overlong words in the body; the sender and recipients are checked
 *    as for sending before anything is written.
 *
 * Fails by returning -1 with *error_r (common/sg_error.h); never
 * logs, never exits.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "notice.h"
#include "notice_int.h"
#include "sg_utf8.h"
#include "sg_buf.h"
#include "sg_tz.h"

#define HEADER_MAX    900 /* bytes of one header value */
#define WRAP_AT       76  /* wrap long body lines to this */
#define WRAP_OVER     78  /* ... when they are longer than this */
#define LINE_HARD_MAX 900 /* bytes: a longer word is cut */

/* ------------------------------------------------------------ UTF-8 */

static const char REPLACEMENT[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Append s made safe: for a header (header true) every control character
 * becomes a space; for the body CRLF and CR become LF and other controls
 * but tab are dropped.  Invalid UTF-8 becomes U+FFFD. */
int
sg_notice_put_value(struct sg_buf *b, const char *s, bool header)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t n = strlen((const char *)p);
    for (size_t i = 0; i < n && !sg_buf_failed(b);) {
        unsigned char c = p[i];
        if (c < 0x20 || c == 0x7f) {
            if (header)
                sg_buf_putc(b, ' ');
            else if (c == '\r')
                sg_buf_putc(b, '\n'), i += (p[i + 1] == '\n');
            else if (c == '\n' || c == '\t')
                sg_buf_putc(b, (char)c);
            i++;
        } else {
            size_t len = sg_utf8_decode(p + i, n - i, NULL);
            if (len == 0) {
                sg_buf_puts(b, REPLACEMENT);
                i++;
            } else {
                sg_buf_append(b, p + i, len);
                i += len;
            }
        }
    }
    return sg_buf_failed(b) ? -1 : 0;
}

/* ------------------------------------------------------------ headers */

static bool
all_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* Cut s (UTF-8, header-safe) to at most max bytes at a character
 * boundary, in place. */
static void
truncate_utf8(char *s, size_t max)
{
    s[sg_utf8_cut(s, strlen(s), max)] = '\0';
}

/* "Name: value" folded at spaces to about 78 columns; non-ASCII values as
 * RFC 2047 encoded words.  value holds no control characters. */
static int
put_header(struct sg_buf *b, const char *name, const char *value)
{
    size_t col = strlen(name) + 2;
    sg_buf_printf(b, "%s:", name);
    if (!all_ascii(value)) {
        const unsigned char *p = (const unsigned char *)value;
        size_t n = strlen(value);
        bool first = true;
        while (n > 0) {
            size_t chunk = 0;
            while (chunk < n && chunk < 42) {
                size_t l = sg_utf8_decode(p + chunk, n - chunk, NULL);
                if (l == 0)
                    l = 1; /* cannot happen: values are cleaned */
                if (chunk + l > 42 && chunk > 0)
                    break;
                chunk += l;
            }
            char b64[sodium_base64_ENCODED_LEN(48,
                                               sodium_base64_VARIANT_ORIGINAL)];
            sodium_bin2base64(b64, sizeof(b64), p, chunk,
                              sodium_base64_VARIANT_ORIGINAL);
            sg_buf_printf(b, "%s=?UTF-8?B?%s?=", first ? " " : "\n ", b64);
            first = false;
            p += chunk;
            n -= chunk;
        }
        return sg_buf_putc(b, '\n');
    }
    sg_buf_putc(b, ' ');
    const char *p = value;
    bool line_has_text = false;
    while (*p != '\0') {
        /* one word and the spaces before it */
        const char *w = p;
        while (*w == ' ')
            w++;
        const char *e = w;
        while (*e != '\0' && *e != ' ')
            e++;
        size_t spaces = (size_t)(w - p), wlen = (size_t)(e - w);
        if (line_has_text && spaces > 0 && col + spaces + wlen > 78) {
            sg_buf_putc(b, '\n');
            col = 0;
        }
        sg_buf_append(b, p, (size_t)(e - p));
        col += (size_t)(e - p);
        if (wlen > 0)
            line_has_text = true;
        p = e;
    }
    return sg_buf_putc(b, '\n');
}

/* An RFC 5322 display name: a quoted string, or encoded words. */
static int
put_from(struct sg_buf *b, const char *name, const char *addr)
{
    struct sg_buf clean = SG_BUF_INIT;
    if (name != NULL && sg_notice_put_value(&clean, name, true) < 0) {
        sg_buf_free(&clean);
        return sg_buf_fail(b); /* never a From: without the name */
    }
    if (clean.len == 0) {
        sg_buf_free(&clean);
        return sg_buf_printf(b, "From: %s\n", addr);
    }
    truncate_utf8(clean.data, 200);
    if (all_ascii(clean.data)) {
        sg_buf_puts(b, "From: \"");
        for (const char *p = clean.data; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                sg_buf_putc(b, '\\');
            sg_buf_putc(b, *p);
        }
        sg_buf_printf(b, "\" <%s>\n", addr);
    } else {
        /* reuse the Subject-style encoder, then add the address */
        if (put_header(b, "From", clean.data) == 0) {
            b->data[--b->len] = '\0'; /* drop the newline */
            sg_buf_printf(b, "\n <%s>\n", addr);
        }
    }
    sg_buf_free(&clean);
    return sg_buf_failed(b) ? -1 : 0;
}

/* ------------------------------------------------------------ body */

static size_t
count_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            n++;
    return n;
}

/* Byte offset in s (len bytes) after at most max bytes, at a character
 * boundary (at least one character). */
static size_t
cut_bytes(const char *s, size_t len, size_t max)
{
    size_t cut = sg_utf8_cut(s, len, max);
    return cut > 0 ? cut : sg_utf8_next(s, len, 0);
}

/* One long line, wrapped at spaces to WRAP_AT characters; continuation
 * lines keep the indentation (and hang under a "- " or "* " bullet). */
static int
wrap_line(struct sg_buf *b, const char *line, size_t len)
{
    size_t ind = 0;
    while (ind < len && (line[ind] == ' ' || line[ind] == '\t'))
        ind++;
    size_t hang = 0;
    if (ind + 1 < len && (line[ind] == '-' || line[ind] == '*') &&
        line[ind + 1] == ' ')
        hang = 2;
    const char *p = line;
    const char *end = line + len;
    bool first = true;
    while (p < end) {
        size_t width = first ? 0 : count_chars(line, ind) + hang;
        if (!first) {
            sg_buf_append(b, line, ind);
            sg_buf_append(b, "  ", hang);
            while (p < end && *p == ' ')
                p++;
            if (p == end)
                break;
        }
        /* the longest run of words that fits */
        const char *q = p, *brk = NULL;
        size_t chars = width;
        const char *start_words = first ? p + ind : p;
        while (q < end) {
            if (*q == ' ' && q > start_words) {
                if (chars <= WRAP_AT)
                    brk = q;
                else
                    break;
            }
            if (((unsigned char)*q & 0xc0) != 0x80)
                chars++;
            q++;
        }
        const char *stop;
        if (q == end && chars <= WRAP_AT)
            stop = end;
        else if (brk != NULL)
            stop = brk;
        else { /* one long word: up to the next space */
            stop = start_words;
            while (stop < end && *stop != ' ')
                stop++;
        }
        size_t n = cut_bytes(p, (size_t)(stop - p), LINE_HARD_MAX);
        size_t keep = n;
        while (keep > 0 && p[keep - 1] == ' ')
            keep--;
        sg_buf_append(b, p, keep);
        sg_buf_putc(b, '\n');
        p += n;
        first = false;
    }
    return sg_buf_failed(b) ? -1 : 0;
}

/* The body: long lines wrapped, no blank lines at the end, one final
 * newline. */
static int
finish_body(struct sg_buf *out, const char *text)
{
    const char *p = text;
    size_t start = out->len;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        size_t l = len; /* trailing spaces kept: "-- " starts a signature */
        if (count_chars(p, l) > WRAP_OVER || l > LINE_HARD_MAX) {
            wrap_line(out, p, l);
        } else {
            sg_buf_append(out, p, l);
            sg_buf_putc(out, '\n');
        }
        if (sg_buf_failed(out))
            return -1;
        p += len + (nl != NULL);
    }
    /* no trailing blank lines */
    while (out->len > start + 1 && out->data[out->len - 1] == '\n' &&
           out->data[out->len - 2] == '\n')
        out->data[--out->len] = '\0';
    if (out->len == start)
        return sg_buf_putc(out, '\n');
    return 0;
}

/* ------------------------------------------------------------ rendering */

/* To, the template's headers (expanded with vals) and Message-ID; hv is
 * scratch.  0, or -1 out of memory. */
static int
put_envelope_headers(struct sg_buf *msg, struct sg_buf *hv,
                     const struct tmpl *tp,
                     const struct sg_notice_envelope *env,
                     const char *const vals[])
{
    /* To: the recipients, folded */
    for (size_t i = 0; i < env->n_to; i++)
        if (sg_buf_printf(hv, "%s%s", i > 0 ? ", " : "", env->to[i]) < 0)
            return -1;
    if (put_header(msg, "To", hv->data) < 0)
        return -1;
    for (size_t i = 0; i < tp->n_headers; i++) {
        sg_buf_reset(hv);
        if (sg_notice_expand(hv, tp->headers[i].value, vals, true) < 0 ||
            (hv->data == NULL && sg_buf_puts(hv, "") < 0))
            return -1;
        truncate_utf8(hv->data, HEADER_MAX);
        if (put_header(msg, tp->headers[i].name, hv->data) < 0)
            return -1;
    }
    char mid[SG_NOTICE_MESSAGE_ID_MAX];
    const char *id = env->message_id;
    if (id == NULL) {
        /* the caller checked that from has a domain */
        if (sg_notice_message_id(env->from, env->now, mid, sizeof(mid)) < 0)
            return -1;
        id = mid;
    }
    sg_buf_reset(hv);
    if (sg_notice_put_value(hv, id, true) < 0)
        return -1;
    return sg_buf_printf(msg, "Message-ID: %s\n", hv->data);
}

int
sg_notice_message_id(const char *from, time_t now, char *buf, size_t size)
{
    const char *at = from != NULL ? strrchr(from, '@') : NULL;
    if (at == NULL || at[1] == '\0' || sodium_init() < 0)
        return -1;
    unsigned char rnd[12];
    char hex[sizeof(rnd) * 2 + 1];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    int n = snprintf(buf, size, "<notice.%lld.%s@%s>", (long long)now, hex,
                     at + 1);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int
sg_notice_render(const struct sg_notice_templates *t, enum sg_notice_kind kind,
                 const struct sg_notice_values *values,
                 const struct sg_notice_envelope *env,
                 const struct sg_notice_key *key, char **message_r,
                 const char **error_r)
{
    if (t == NULL || (unsigned)kind >= SG_NOTICE_KINDS || env == NULL ||
        key == NULL)
        return FAIL("sg_notice_render: missing templates, envelope or key");
    if (sodium_init() < 0)
        return FAIL("libsodium could not be initialised");
    if (sg_notice_check_addresses(env->from, env->to, env->n_to, error_r) < 0)
        return -1;
    const struct tmpl *tp = &t->t[kind];
    struct sg_notice_values none = {0};
    const struct sg_notice_values *v = values != NULL ? values : &none;
    char date[128]; /* callers give the school's local time; else UTC */
    if (v->date == NULL)
        sg_tz_format(NULL, env->now, SG_TIME_LONG, date, sizeof(date));
    const char *const vals[] = {
        v->record,   v->queue_id,
        v->sender,   v->recipients,
        v->subject,  v->rules,
        v->findings, v->explanation,
        v->dsl,      v->date != NULL ? v->date : date,
        v->link,     v->outcome,
        v->reviewer, v->request,
        v->policy,   v->school,
    };
    _Static_assert(sizeof(vals) / sizeof(vals[0]) ==
                       sizeof(sg_notice_placeholders) /
                               sizeof(sg_notice_placeholders[0]) - 1,
                   "one value per placeholder");

    struct sg_buf body = SG_BUF_INIT, expanded = SG_BUF_INIT,
                  msg = SG_BUF_INIT, hv = SG_BUF_INIT;
    char *mark = NULL;
    int r = -1;
    if (sg_notice_expand(&expanded, tp->body, vals, false) < 0 ||
        finish_body(&body, expanded.data != NULL ? expanded.data : "") < 0)
        goto nomem;
    if (sg_notice_mark(key, env->now, env->to, env->n_to, body.data, body.len,
                       &mark, error_r) < 0)
        goto out;

    struct tm tm;
    char datehdr[64];
    if (gmtime_r(&env->now, &tm) == NULL ||
        strftime(datehdr, sizeof(datehdr), "%a, %d %b %Y %H:%M:%S +0000",
                 &tm) == 0) {
        FAIL("cannot format the date");
        goto out;
    }
    /* msg is checked once at the end (sg_buf_steal) */
    sg_buf_printf(&msg, "Date: %s\n", datehdr);
    put_from(&msg, env->from_name, env->from);
    if (put_envelope_headers(&msg, &hv, tp, env, vals) < 0)
        goto nomem;
    sg_buf_puts(&msg, "MIME-Version: 1.0\n"
                      "Content-Type: text/plain; charset=utf-8\n"
                      "Content-Transfer-Encoding: 8bit\n"
                      "Auto-Submitted: auto-generated\n"
                      "X-Auto-Response-Suppress: All\n");
    /* the marker, folded before mac= to stay under 78 columns */
    char *semi = strstr(mark, "; mac=");
    if (semi == NULL)
        goto nomem;
    sg_buf_printf(&msg, SG_NOTICE_HEADER ": %.*s;\n\t%s\n",
                  (int)(semi - mark), mark, semi + 2);
    sg_buf_putc(&msg, '\n');
    sg_buf_append(&msg, body.data, body.len);
    *message_r = sg_buf_steal(&msg); /* NULL if an append failed */
    if (*message_r == NULL)
        goto nomem;
    r = 0;
    goto out;
nomem:
    NOMEM();
out:
    free(mark);
    sg_buf_free(&body);
    sg_buf_free(&expanded);
    sg_buf_free(&msg);
    sg_buf_free(&hv);
    return r;
}
