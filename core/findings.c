/*
 * findings.c - writing findings for people (see findings.h).
 *
 * SECURITY: the found text, the place and even the detector's name (a
 * record read back from the store) are data; each goes through the
 * caller's put, which makes it safe for the output, and never into a
 * format string.  Fails by returning -1 (out of memory); never logs.
 */
#include "config.h"

#include <string.h>

#include "findings.h"

static int
put_plain(struct sg_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (sg_buf_putc(b, c < 0x20 || c == 0x7f ? ' ' : (char)c) < 0)
            return -1;
    }
    return 0;
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
