/*
 * findings.c - writing findings for people (see findings.h).
 *
 * SECURITY: the found text, the place and even the detector's name (a
 * record read back from the store) are data; each goes through the
 * caller's put, which makes it safe for the output, and never into a
 * format string.  Fails by returning -1 (out of memory); never logs.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "findings.h"
#include "sg_utf8.h"

static bool
bidi_control(uint32_t cp)
{
    return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
           cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

int
sg_safe_text(struct sg_buf *out, const char *s, size_t len, bool multiline)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    if (sg_buf_reserve(out, len + 1) < 0)
        return -1;
    while (i < len) {
        unsigned char c = p[i];
        if (c < 0x80) {
            int rc;
            if (c == '\t' || (c == '\n' && multiline) ||
                (c >= 0x20 && c != 0x7f))
                rc = sg_buf_putc(out, (char)c);
            else if (c == '\r' && multiline && i + 1 < len &&
                     p[i + 1] == '\n')
                rc = 0; /* CRLF: the LF follows */
            else
                rc = sg_buf_printf(out, "\\x%02x", c);
            if (rc < 0)
                return -1;
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = sg_utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            if (sg_buf_printf(out, "\\x%02x", c) < 0)
                return -1;
            i++;
            continue;
        }
        if ((cp >= 0x80 && cp <= 0x9f) || bidi_control(cp)) {
            if (sg_buf_printf(out, "\\u%04x", (unsigned)cp) < 0)
                return -1;
        } else if (sg_buf_append(out, p + i, n) < 0) {
            return -1;
        }
        i += n;
    }
    return sg_buf_append(out, "", 0); /* terminated even when empty */
}

static int
put_plain(struct sg_buf *b, const char *s, size_t len)
{
    return sg_safe_text(b, s, len, false);
}

const struct sg_finding_style sg_finding_plain = {put_plain, NULL, "\"",
                                                  "\""};

static int
put_str(struct sg_buf *b, const char *s, const struct sg_finding_style *st)
{
    return st->put(b, s, strlen(s));
}

int
sg_finding_put(struct sg_buf *b, const char *detector, const char *text,
               const char *where, const struct sg_finding_style *style)
{
    if (put_str(b, detector != NULL ? detector : "?", style) < 0 ||
        sg_buf_printf(b, " %s", style->open) < 0 ||
        put_str(b, text != NULL ? text : "", style) < 0 ||
        sg_buf_printf(b, "%s in ", style->close) < 0)
        return -1;
    return put_str(b, where != NULL ? where : "the message", style);
}

json_t *
sg_finding_json(const char *detector, const char *text, const char *where)
{
    return json_pack("{s:s, s:s, s:s}", "detector",
                     detector != NULL ? detector : "?", "text",
                     text != NULL ? text : "", "where",
                     where != NULL ? where : "the message");
}

int
sg_findings_mark(struct sg_buf *b, const char *text, size_t len,
                 const struct sg_span *spans, size_t n,
                 const struct sg_finding_style *style)
{
    int (*put_text)(struct sg_buf *, const char *, size_t) =
        style->put_text != NULL ? style->put_text : style->put;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (put_text(b, text + at, spans[i].start - at) < 0 ||
            sg_buf_puts(b, style->open) < 0 ||
            style->put(b, text + spans[i].start,
                       spans[i].end - spans[i].start) < 0 ||
            sg_buf_puts(b, style->close) < 0)
            return -1;
        at = spans[i].end;
    }
    return put_text(b, text + at, len - at);
}
