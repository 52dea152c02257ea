/*
 * msgview_build.c - parse a raw message once with GMime 3 into the message
 * view the rules read: headers (decoded), the UTF-8 text of every text part
 * (HTML reduced to text by libxml2, link targets kept) as its places (own
 * words, quotes: quote.c; hidden HTML and attributes: html_places.c),
 * display names, attachments, nested message/rfc822 parts.
 *
 * SECURITY: every byte is attacker-controlled.  Never trust a declared size,
 * charset or nesting: part contents are read through bounded reads, the
 * text parts' bytes as sent are capped at SG_MSGVIEW_MAX_TEXT in all (so
 * that decoding, which can triple them, cannot spend the budget), nesting
 * at SG_MSGVIEW_MAX_DEPTH (messages) and SG_MSGVIEW_MAX_MULTIPART
 * (multiparts), every string handed out is valid UTF-8 (invalid bytes
 * become U+FFFD), and HTML goes through libxml2's recovering parser with
 * network access off, never a hand-rolled tag stripper.  Whatever a bound
 * leaves unread is said in view->incomplete, never silently dropped; a
 * text part whose transfer encoding does not decode is also read as sent.
 * Must never log, exit or abort on bad input.
 *
 * Fails by returning -1 with a static error string only for allocation
 * failure or a message file that cannot be read.  Broken MIME is not an
 * error: GMime repairs what it can, the view says malformed = true.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "html_places.h"
#include "images.h"
#include "extract_run.h"
#include "msgview_build.h"
#include "quote.h"
#include "sg_buf.h"
#include "sg_utf8.h"

#define SG_ERR_NOMEM "out of memory while building the message view"
#define SG_READ_CHUNK 16384
#define SG_LABEL_MAX 512

/* One build in progress. */
struct sg_build {
    struct sg_msgview *view;
    size_t texts_cap;
    size_t atts_cap;
    size_t text_used; /* bytes of text parts (as sent) read so far */
    size_t inner_used; /* bytes of encoded attached messages decoded */
    GMimeParserOptions *opts;
    const char *error; /* set when a step fails hard */
    struct sg_buf names; /* display names of From:, Sender:, Reply-To: */
    struct sg_cid_refs cids; /* cid: links of the HTML parts */
    const struct sg_extract_opts *extract; /* NULL: attachments not read */
    int extracted;             /* attachments given to the helper */
    long long extract_deadline; /* for all of them (sg_extract_now_ms) */
    size_t extract_used;       /* bytes of text the helper gave, in all */
};

/* Where a part sits, for labels and depth. */
struct sg_where {
    unsigned depth;     /* message/rfc822 nesting */
    unsigned nesting;   /* multipart nesting within all messages */
    const char *prefix; /* "" or "attached message 1, " */
    const char *path;   /* "" for a message's only part, else "1.2" */
};

static int
sg_fail(struct sg_build *b, const char *error)
{
    b->error = error;
    return -1;
}

/* ------------------------------------------------------------- UTF-8 */

/* g_utf8_validate over len bytes (a NUL is invalid), with the ASCII
 * without NUL at its start, which is most of most mail, skipped eight
 * bytes at a time. */
static gboolean
sg_utf8_validate(const char *data, size_t len, const gchar **end_r)
{
    const uint64_t high = 0x8080808080808080u, ones = 0x0101010101010101u;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, data + i, sizeof(w));
        if ((w & high) != 0 || ((w - ones) & ~w & high) != 0)
            break;
    }
    return g_utf8_validate(data + i, (gssize)(len - i), end_r);
}

/* Append data to out with every invalid UTF-8 sequence (and NUL) replaced
 * by U+FFFD, stopping once out holds limit bytes or more. */
static int
sg_utf8_append_valid(struct sg_buf *out, const char *data, size_t len,
                     size_t limit)
{
    static const char repl[] = "\xEF\xBF\xBD";
    while (len > 0 && out->len < limit) {
        const gchar *end;
        sg_utf8_validate(data, len, &end);
        size_t good = (size_t)(end - data);
        if (sg_buf_append(out, data, good) < 0)
            return -1;
        data += good;
        len -= good;
        if (len == 0)
            break;
        if (sg_buf_append(out, repl, 3) < 0)
            return -1;
        data++;
        len--;
    }
    return sg_buf_reserve(out, 0); /* data non-NULL even when empty */
}

/* sg_utf8_append_valid for data already known to be valid UTF-8 without
 * NUL (g_utf8_validate said so): the same result, without validating
 * again. */
static int
sg_utf8_append_validated(struct sg_buf *out, const char *data, size_t len,
                         size_t limit)
{
    if (len > 0 && out->len < limit && sg_buf_append(out, data, len) < 0)
        return -1;
    return sg_buf_reserve(out, 0);
}

/* Make buf valid UTF-8 in place (a copy only when it is not); never leaves
 * data NULL. */
static int
sg_utf8_make_valid(struct sg_buf *buf)
{
    if (buf->data != NULL && sg_utf8_validate(buf->data, buf->len, NULL))
        return 0;
    struct sg_buf out = SG_BUF_INIT;
    if (sg_utf8_append_valid(&out, buf->data != NULL ? buf->data : "",
                             buf->len, SIZE_MAX) < 0) {
        sg_buf_free(&out);
        return -1;
    }
    sg_buf_free(buf);
    *buf = out;
    return 0;
}

/* A valid UTF-8 copy of n bytes at s (invalid bytes and NULs replaced). */
static char *
sg_utf8_ndup(const char *s, size_t n)
{
    struct sg_buf out = SG_BUF_INIT;
    if (sg_utf8_append_valid(&out, s, n, SIZE_MAX) < 0) {
        sg_buf_free(&out);
        return NULL;
    }
    return sg_buf_steal(&out);
}

static char *
sg_utf8_dup(const char *s)
{
    return s != NULL ? sg_utf8_ndup(s, strlen(s)) : NULL;
}

/* Drop the CR of every CRLF, in place, moving the runs between CRs. */
static void
sg_crlf_to_lf(struct sg_buf *s)
{
    size_t w = 0, r = 0;
    while (r < s->len) {
        const char *cr = memchr(s->data + r, '\r', s->len - r);
        size_t run = (cr != NULL ? (size_t)(cr - s->data) : s->len) - r;
        if (w != r)
            memmove(s->data + w, s->data + r, run);
        w += run;
        r += run;
        if (r == s->len)
            break;
        if (r + 1 == s->len || s->data[r + 1] != '\n')
            s->data[w++] = '\r'; /* a CR on its own stays */
        r++;
    }
    s->len = w;
    if (s->data != NULL)
        s->data[w] = '\0';
}

/* ------------------------------------------------------------- charsets */

/* Convert with iconv; an invalid or incomplete sequence becomes U+FFFD and
 * one input byte is skipped.  Stops once out holds limit bytes or more. */
static int
sg_iconv_append(iconv_t cd, const char *data, size_t len, size_t limit,
                struct sg_buf *out)
{
    char *in = (char *)(uintptr_t)data; /* iconv's prototype is not const */
    size_t inleft = len;
    while (out->len < limit) {
        size_t step = inleft < SG_READ_CHUNK ? inleft : SG_READ_CHUNK;
        if (sg_buf_reserve(out, step * 2 + 64) < 0)
            return -1;
        char *outp = out->data + out->len;
        size_t outleft = out->cap - out->len - 1;
        size_t r = g_mime_iconv(cd, inleft > 0 ? &in : NULL, &inleft, &outp,
                                &outleft);
        int err = errno;
        out->len = (size_t)(outp - out->data);
        out->data[out->len] = '\0';
        if (r != (size_t)-1 && inleft == 0)
            return 0; /* converted and flushed */
        if (r != (size_t)-1 || err == E2BIG)
            continue;
        if (err != EILSEQ && err != EINVAL)
            return 0; /* iconv broke: keep what converted */
        if (inleft == 0)
            return 0;
        if (sg_buf_append(out, "\xEF\xBF\xBD", 3) < 0)
            return -1;
        in++;
        inleft--;
    }
    return 0;
}

/* Convert from charset through GMime's iconv cache; -2 if the charset is
 * unknown to iconv. */
static int
sg_convert_from(const char *charset, const char *data, size_t len,
                size_t limit, struct sg_buf *out)
{
    iconv_t cd = g_mime_iconv_open("UTF-8", charset);
    if (cd == (iconv_t)-1)
        return -2;
    struct sg_buf tmp = SG_BUF_INIT;
    int ret = sg_iconv_append(cd, data, len, limit, &tmp);
    g_mime_iconv_close(cd);
    if (ret == 0)
        ret = sg_utf8_append_valid(out, tmp.data != NULL ? tmp.data : "",
                                   tmp.len, limit);
    sg_buf_free(&tmp);
    return ret;
}

/* Bytes in a declared (or absent) charset to valid UTF-8.  UTF-8 keeps its
 * bytes with invalid ones replaced; no, unknown or ASCII charset means UTF-8
 * when it validates, else windows-1252 (what mislabelled mail really is);
 * ISO-8859-1 is read as its superset windows-1252, as browsers do.
 * Output past limit bytes is not produced (the caller cuts at limit). */
static int
sg_text_to_utf8(const char *charset, const char *data, size_t len,
                size_t limit, struct sg_buf *out)
{
    const char *canon = charset != NULL ? g_mime_charset_canon_name(charset)
                                        : NULL;
    if (canon != NULL && g_ascii_strcasecmp(canon, "utf-8") == 0)
        return sg_utf8_append_valid(out, data, len, limit);
    if (canon != NULL && g_ascii_strcasecmp(canon, "us-ascii") != 0) {
        if (g_ascii_strcasecmp(canon, "iso-8859-1") == 0)
            canon = "windows-1252";
        int ret = sg_convert_from(canon, data, len, limit, out);
        if (ret != -2)
            return ret;
    }
    if (sg_utf8_validate(data, len, NULL))
        return sg_utf8_append_validated(out, data, len, limit);
    int ret = sg_convert_from("windows-1252", data, len, limit, out);
    return ret == -2 ? sg_utf8_append_valid(out, data, len, limit) : ret;
}

/* ------------------------------------------------------------- HTML */

struct sg_html {
    struct sg_buf *out;
    bool space;         /* whitespace seen, not yet written */
    unsigned pre;       /* inside <pre> */
    size_t link_start;  /* offset where the current <a>'s text began */
    xmlNodePtr link;    /* the current <a>, NULL when none */
    unsigned cell;      /* inside a table cell (<td>, <th>), nested */
    unsigned row_cells; /* cells begun in the current row (<tr>) */
    bool cell_break;    /* a line break inside the cell, not yet written */
    int err;
    /* places beside the shown text (html_places.h): out is shown, or
     * hidden while inside hider, the outermost element that hides */
    struct sg_buf *shown, *hidden, *markup;
    xmlNodePtr hider;
    bool hider_space;   /* space pending in shown when hider began */
    unsigned quote;     /* inside <blockquote>: lines start with '>' */
};

/* Deeper <blockquote>s than this are marked as this deep. */
#define SG_HTML_QUOTE_MAX 8

static bool
sg_html_is(const xmlNode *n, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++)
        if (strcmp((const char *)n->name, names[i]) == 0)
            return true;
    return false;
}

static const char *const sg_html_skipped[] = {
    "script", "style", "template", "head", NULL
};
static const char *const sg_html_blocks[] = {
    "address", "article", "aside", "blockquote", "body", "caption", "center",
    "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
    "table", "tbody", "tfoot", "thead", "title", "tr", "ul", NULL
};
/* Blocks that end a table row: they break a line even inside a cell. */
static const char *const sg_html_rows[] = {
    "table", "tbody", "tfoot", "thead", "tr", NULL
};

static void
sg_html_put(struct sg_html *h, const char *s, size_t len)
{
    static const char marks[] = ">>>>>>>> ";
    while (len > 0 && h->err == 0) {
        /* a quoted line starts with '>' a level, as in plain text mail,
         * so that one reader of quotes (quote.c) serves both */
        if (h->quote > 0 && h->out == h->shown && s[0] != '\n' &&
            (h->out->len == 0 || h->out->data[h->out->len - 1] == '\n')) {
            unsigned q = h->quote < SG_HTML_QUOTE_MAX ? h->quote
                                                      : SG_HTML_QUOTE_MAX;
            if (sg_buf_append(h->out, marks + SG_HTML_QUOTE_MAX - q, q + 1) < 0)
                h->err = -1;
        }
        const char *nl = memchr(s, '\n', len);
        size_t run = nl != NULL ? (size_t)(nl - s) + 1 : len;
        if (h->err == 0 && sg_buf_append(h->out, s, run) < 0)
            h->err = -1;
        s += run;
        len -= run;
    }
}

static bool
sg_html_at_line_start(const struct sg_html *h)
{
    return h->out->len == 0 || h->out->data[h->out->len - 1] == '\n';
}

/* At the start of a line or of a table cell: no space goes here. */
static bool
sg_html_at_cell_start(const struct sg_html *h)
{
    return sg_html_at_line_start(h) || h->out->data[h->out->len - 1] == '\t';
}

static void
sg_html_newline(struct sg_html *h)
{
    h->cell_break = false;
    if (!sg_html_at_line_start(h))
        sg_html_put(h, "\n", 1);
    h->space = false;
}

/* Table rows become lines and their cells are separated by tabs, so that
 * a table reads as rows with columns (the pupil-dob and pupil-roster
 * detectors read them by their header row).  A block or <br> inside a
 * cell breaks the line only between two pieces of the cell's text: the
 * <p> Outlook puts in every cell leaves the row whole.  Returns whether
 * n was a cell or a line break inside one (handled here). */
static bool
sg_html_table(struct sg_html *h, const xmlNode *n, bool enter)
{
    const char *name = (const char *)n->name;
    bool cell = strcmp(name, "td") == 0 || strcmp(name, "th") == 0;
    if (enter && strcmp(name, "tr") == 0)
        h->row_cells = 0;
    if (cell) {
        if (enter) {
            h->cell++;
            /* every cell after the first, empty ones too, so that the
             * columns stay where the header row put them */
            if (h->row_cells++ > 0)
                sg_html_put(h, "\t", 1);
        } else if (h->cell > 0) {
            h->cell--;
        }
        h->space = false;
        h->cell_break = false;
        return true;
    }
    if (h->cell == 0 || sg_html_is(n, sg_html_rows) ||
        (strcmp(name, "br") != 0 && !sg_html_is(n, sg_html_blocks)))
        return false;
    if (!sg_html_at_cell_start(h))
        h->cell_break = true;
    h->space = true;
    return true;
}

static void
sg_html_pending_space(struct sg_html *h)
{
    if (h->cell_break) {
        h->cell_break = false;
        h->space = false;
        if (!sg_html_at_line_start(h))
            sg_html_put(h, "\n", 1);
        return;
    }
    if (h->space && !sg_html_at_cell_start(h))
        sg_html_put(h, " ", 1);
    h->space = false;
}

/* Text with runs of whitespace collapsed to one space (kept inside <pre>). */
static void
sg_html_text(struct sg_html *h, const char *s)
{
    if (h->pre > 0) {
        sg_html_pending_space(h);
        sg_html_put(h, s, strlen(s));
        return;
    }
    while (*s != '\0') {
        size_t ws = strspn(s, " \t\r\n\f");
        if (ws > 0) {
            h->space = true;
            s += ws;
            continue;
        }
        size_t run = strcspn(s, " \t\r\n\f");
        sg_html_pending_space(h);
        sg_html_put(h, s, run);
        s += run;
    }
}

/* After a link's text: " <href>", unless the text already is the target. */
static void
sg_html_link_end(struct sg_html *h, xmlNodePtr a)
{
    xmlChar *href = xmlGetProp(a, (const xmlChar *)"href");
    if (href == NULL)
        return;
    char *target = g_strstrip((char *)href);
    const char *text = h->out->data != NULL ? h->out->data + h->link_start : "";
    while (*text == ' ' || *text == '\n')
        text++;
    const char *bare = g_str_has_prefix(target, "mailto:") ? target + 7 : target;
    if (*target != '\0' && strcmp(text, target) != 0 && strcmp(text, bare) != 0) {
        h->space = *text != '\0';
        sg_html_pending_space(h);
        sg_html_put(h, "<", 1);
        sg_html_put(h, target, strlen(target));
        sg_html_put(h, ">", 1);
    }
    xmlFree(href);
}

/* Returns whether to descend into the node's children. */
static bool
sg_html_enter(struct sg_html *h, xmlNodePtr n)
{
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (n->content != NULL)
            sg_html_text(h, (const char *)n->content);
        return false;
    }
    if (n->type != XML_ELEMENT_NODE || n->name == NULL)
        return false;
    if (sg_html_markup(n, h->markup) < 0)
        h->err = -1;
    if (strcmp((const char *)n->name, "head") == 0) /* its <style>s */
        for (xmlNodePtr c = n->children; c != NULL; c = c->next)
            if (c->type == XML_ELEMENT_NODE && c->name != NULL &&
                sg_html_markup(c, h->markup) < 0)
                h->err = -1;
    if (sg_html_is(n, sg_html_skipped))
        return false;
    if (h->hider == NULL && sg_html_hides(n)) {
        h->hider = n;
        h->hider_space = h->space;
        h->space = false;
        h->out = h->hidden;
        sg_html_newline(h);
    }
    if (sg_html_table(h, n, true)) {
        /* a cell, or a line break inside one */
    } else if (strcmp((const char *)n->name, "br") == 0) {
        sg_html_put(h, "\n", 1);
        h->space = false;
    } else if (sg_html_is(n, sg_html_blocks)) {
        sg_html_newline(h);
    }
    if (strcmp((const char *)n->name, "pre") == 0)
        h->pre++;
    if (strcmp((const char *)n->name, "blockquote") == 0)
        h->quote++;
    if (strcmp((const char *)n->name, "a") == 0 && h->link == NULL) {
        sg_html_pending_space(h);
        h->link = n;
        h->link_start = h->out->len;
    }
    return true;
}

static void
sg_html_leave(struct sg_html *h, xmlNodePtr n)
{
    if (n->type != XML_ELEMENT_NODE || n->name == NULL)
        return;
    if (n == h->link) {
        sg_html_link_end(h, n);
        h->link = NULL;
    }
    if (strcmp((const char *)n->name, "pre") == 0 && h->pre > 0)
        h->pre--;
    if (!sg_html_table(h, n, false) && sg_html_is(n, sg_html_blocks))
        sg_html_newline(h);
    if (strcmp((const char *)n->name, "blockquote") == 0 && h->quote > 0)
        h->quote--;
    if (n == h->hider) {
        sg_html_newline(h);
        h->hider = NULL;
        h->out = h->shown;
        h->space = h->hider_space;
    }
}

/* Depth-first walk without recursion: the tree's depth is the sender's. */
static void
sg_html_walk(struct sg_html *h, xmlDocPtr doc)
{
    xmlNodePtr n = doc->children;
    while (n != NULL && h->err == 0) {
        if (sg_html_enter(h, n) && n->children != NULL) {
            n = n->children;
            continue;
        }
        sg_html_leave(h, n);
        while (n->next == NULL) {
            n = n->parent;
            if (n == NULL || n == (xmlNodePtr)doc)
                return;
            sg_html_leave(h, n);
        }
        n = n->next;
    }
}

static void
sg_trim_end(struct sg_buf *b)
{
    while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
                          b->data[b->len - 1] == ' '))
        b->data[--b->len] = '\0';
}

/* UTF-8 HTML to text: script/style dropped, blocks on lines of their own,
 * link targets kept, <blockquote> lines marked '>'.  What it hides goes
 * to hidden, attribute values and CSS content strings to markup (see
 * html_places.h).  When libxml2 gives no document the markup itself is
 * kept, so nothing escapes the detectors. */
static int
sg_html_to_text(const char *html, size_t len, struct sg_buf *out,
                struct sg_buf *hidden, struct sg_buf *markup)
{
    /* the text is UTF-8 already: a <meta charset> must not re-decode it */
    const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                     HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                     HTML_PARSE_IGNORE_ENC;
    if (len == 0 || len > INT32_MAX)
        return sg_buf_append(out, html, len > INT32_MAX ? 0 : len);
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8", opts);
    if (doc == NULL)
        return sg_buf_append(out, html, len);
    struct sg_html h = {out, false,  0,      0,    NULL,  0, 0, false,
                        0,   out,    hidden, markup, NULL, false, 0};
    sg_html_walk(&h, doc);
    xmlFreeDoc(doc);
    sg_trim_end(out);
    sg_trim_end(hidden);
    sg_trim_end(markup);
    return h.err;
}

/* ------------------------------------------------------------- view arrays */

/* array with room for element n (of size bytes), or NULL. */
static void *
sg_grow(void *array, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return array;
    size_t ncap = *cap == 0 ? 8 : *cap * 2;
    if (ncap > SIZE_MAX / size)
        return NULL;
    void *grown = realloc(array, ncap * size);
    if (grown != NULL)
        *cap = ncap;
    return grown;
}

static int
sg_add_attachment(struct sg_build *b, const char *type, const char *filename,
                  size_t size, unsigned depth)
{
    struct sg_msgview *v = b->view;
    struct sg_attachment *grown = sg_grow(v->attachments, &b->atts_cap,
                                          v->n_attachments, sizeof(*grown));
    if (grown == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    v->attachments = grown;
    struct sg_attachment *a = &v->attachments[v->n_attachments];
    memset(a, 0, sizeof(*a));
    a->content_type = strdup(type);
    a->filename = filename != NULL ? strdup(filename) : NULL;
    a->size = size;
    a->depth = depth;
    v->n_attachments++; /* counted now so that free() sees it */
    if (a->content_type == NULL || (filename != NULL && a->filename == NULL))
        return sg_fail(b, SG_ERR_NOMEM);
    return 0;
}

#define SG_TEXT_HTML 1u       /* reduced from HTML */
#define SG_TEXT_ATTACHMENT 2u /* the part is an attachment */

/* Adds a text, taking ownership of text's memory. */
static int
sg_add_text(struct sg_build *b, struct sg_buf *text, const char *type,
            const char *label, unsigned depth, unsigned flags)
{
    struct sg_msgview *v = b->view;
    struct sg_text_part *grown = sg_grow(v->texts, &b->texts_cap, v->n_texts,
                                         sizeof(*grown));
    if (grown == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    v->texts = grown;
    struct sg_text_part *t = &v->texts[v->n_texts];
    memset(t, 0, sizeof(*t));
    t->len = text->len;
    t->text = sg_buf_steal(text);
    t->content_type = strdup(type);
    t->label = strdup(label);
    t->depth = depth;
    t->from_html = (flags & SG_TEXT_HTML) != 0;
    t->is_attachment = (flags & SG_TEXT_ATTACHMENT) != 0;
    v->n_texts++;
    if (t->text == NULL || t->content_type == NULL || t->label == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    return 0;
}

/* ------------------------------------------------------------- parts */

/* The transfer encoding GMime found for a part's content. */
static GMimeContentEncoding
sg_part_encoding(GMimePart *part)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    return content != NULL ? g_mime_data_wrapper_get_encoding(content)
                           : GMIME_CONTENT_ENCODING_DEFAULT;
}

/* Read a part's content, with its transfer encoding undone when decode
 * is true, else as sent: keep at most cap bytes in out, count all of them
 * in *size_r. */
static int
sg_part_read(struct sg_build *b, GMimePart *part, bool decode, size_t cap,
             struct sg_buf *out, size_t *size_r)
{
    *size_r = 0;
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *src = content != NULL ? g_mime_data_wrapper_get_stream(content)
                                       : NULL;
    if (src == NULL)
        return 0;
    g_mime_stream_reset(src);
    GMimeStream *decoded = g_mime_stream_filter_new(src);
    GMimeContentEncoding enc = sg_part_encoding(part);
    if (decode && (enc == GMIME_CONTENT_ENCODING_BASE64 ||
                   enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
                   enc == GMIME_CONTENT_ENCODING_UUENCODE)) {
        GMimeFilter *filter = g_mime_filter_basic_new(enc, FALSE);
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(decoded), filter);
        g_object_unref(filter);
    }
    char chunk[SG_READ_CHUNK];
    int ret = 0;
    ssize_t n;
    while ((n = g_mime_stream_read(decoded, chunk, sizeof(chunk))) > 0) {
        size_t keep = out->len < cap ? cap - out->len : 0;
        keep = keep < (size_t)n ? keep : (size_t)n;
        if (keep > 0 && sg_buf_append(out, chunk, keep) < 0) {
            ret = sg_fail(b, SG_ERR_NOMEM);
            break;
        }
        *size_r += (size_t)n;
    }
    if (n < 0) { /* content cut short: keep what came, and say so */
        b->view->malformed = true;
        b->view->incomplete |= SG_INCOMPLETE_UNREADABLE;
    }
    g_object_unref(decoded);
    return ret;
}

/* Undo a transfer encoding in memory (the bytes as sent, read once).
 * Uuencoded data starts after its "begin" line, as GMime's stream filter
 * has it; without one there is nothing. */
static int
sg_transfer_decode(GMimeContentEncoding enc, const struct sg_buf *in,
                   struct sg_buf *out)
{
    GMimeEncoding state;
    const char *data = in->data != NULL ? in->data : "";
    size_t len = in->len;
    g_mime_encoding_init_decode(&state, enc);
    if (enc == GMIME_CONTENT_ENCODING_UUENCODE) {
        const char *p = data;
        while (p != NULL && strncmp(p, "begin ", 6) != 0) {
            p = memchr(p, '\n', len - (size_t)(p - data));
            p = p != NULL ? p + 1 : NULL;
        }
        p = p != NULL ? memchr(p, '\n', len - (size_t)(p - data)) : NULL;
        len = p != NULL ? len - (size_t)(p + 1 - data) : 0;
        data = p != NULL ? p + 1 : "";
        state.state |= GMIME_UUDECODE_STATE_BEGIN;
    }
    if (sg_buf_reserve(out, g_mime_encoding_outlen(&state, len) + 1) < 0)
        return -1;
    out->len = g_mime_encoding_flush(&state, data, len, out->data);
    out->data[out->len] = '\0';
    return 0;
}

/* Did a transfer encoding fail to decode?  Base64 with bytes outside its
 * alphabet, or data after its padding; uuencode that gave nothing (no
 * "begin" line).  A mail reader may then show the bytes as sent, so the
 * rules read those too. */
static bool
sg_undecodable(GMimeContentEncoding enc, const struct sg_buf *sent,
               const struct sg_buf *decoded)
{
    if (enc == GMIME_CONTENT_ENCODING_BASE64) {
        bool padded = false;
        for (size_t i = 0; i < sent->len; i++) {
            unsigned char c = (unsigned char)sent->data[i];
            if (c == '=')
                padded = true;
            else if (g_ascii_isalnum(c) || c == '+' || c == '/') {
                if (padded)
                    return true;
            } else if (!g_ascii_isspace(c))
                return true;
        }
        return false;
    }
    if (enc == GMIME_CONTENT_ENCODING_UUENCODE && decoded->len == 0) {
        for (size_t i = 0; i < sent->len; i++)
            if (!g_ascii_isspace(sent->data[i]))
                return true;
    }
    return false;
}

/* Lower-case "type/subtype"; never NULL unless out of memory. */
static char *
sg_content_type(GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char *mime = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
    char *lower = g_ascii_strdown(mime != NULL ? mime
                                               : "application/octet-stream",
                                  -1);
    g_free(mime);
    char *ret = sg_utf8_dup(lower);
    g_free(lower);
    return ret;
}

/* File name as valid UTF-8 with control characters made spaces, or NULL. */
static char *
sg_filename(GMimePart *part, bool *nomem_r)
{
    const char *name = g_mime_part_get_filename(part);
    *nomem_r = false;
    if (name == NULL)
        return NULL;
    char *copy = sg_utf8_dup(name);
    if (copy == NULL) {
        *nomem_r = true;
        return NULL;
    }
    for (char *p = copy; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return copy;
}

/* Where a part is, for people, with suffix after it ("" or ", as sent"). */
static void
sg_label(char *label, const struct sg_where *w, const char *type,
         const char *filename, const char *suffix)
{
    if (filename != NULL)
        snprintf(label, SG_LABEL_MAX, "%sattachment \"%s\"%s", w->prefix,
                 filename, suffix);
    else if (w->path[0] == '\0')
        snprintf(label, SG_LABEL_MAX, "%sbody%s", w->prefix, suffix);
    else
        snprintf(label, SG_LABEL_MAX, "%spart %s (%s)%s", w->prefix, w->path,
                 type, suffix);
    size_t n = strlen(label); /* snprintf may have cut a character */
    label[sg_utf8_cut(label, n, n)] = '\0';
}

/* Add a text of place place (enum sg_text_place) with label "label,
 * what", taking ownership of text's memory. */
static int
sg_add_place(struct sg_build *b, struct sg_buf *text, const char *type,
             const char *label, const char *what, unsigned depth,
             unsigned flags, unsigned place)
{
    char where[SG_LABEL_MAX];
    snprintf(where, sizeof(where), "%s, %s", label, what);
    size_t n = strlen(where); /* snprintf may have cut a character */
    where[sg_utf8_cut(where, n, n)] = '\0';
    if (sg_add_text(b, text, type, where, depth, flags) < 0)
        return -1;
    b->view->texts[b->view->n_texts - 1].place = place;
    return 0;
}

/* Add a part's text as its places: its own words (always, first), each
 * quote (quote.c; not in attachments), what its HTML hides and its HTML
 * attributes (html_places.h), each when there is any.  Takes ownership
 * of the buffers' memory. */
static int
sg_add_places(struct sg_build *b, struct sg_buf *text, struct sg_buf *hidden,
              struct sg_buf *markup, const char *type, const char *label,
              unsigned depth, unsigned flags)
{
    struct sg_quote *quotes = NULL;
    size_t n_quotes = 0;
    struct sg_buf own = SG_BUF_INIT;
    if ((flags & SG_TEXT_ATTACHMENT) == 0 &&
        sg_quote_split(text->data != NULL ? text->data : "", text->len, &own,
                       &quotes, &n_quotes) < 0)
        return sg_fail(b, SG_ERR_NOMEM);
    int ret = sg_add_text(b, n_quotes > 0 ? &own : text, type, label, depth,
                          flags);
    for (size_t i = 0; ret == 0 && i < n_quotes; i++) {
        char what[SG_LABEL_MAX];
        const char *author = quotes[i].author;
        if (author != NULL)
            snprintf(what, sizeof(what), "quoted from %s", author);
        else
            snprintf(what, sizeof(what), "quoted");
        ret = sg_add_place(b, &quotes[i].text, type, label, what, depth,
                           flags, SG_PLACE_QUOTED);
        if (ret == 0) {
            struct sg_text_part *t = &b->view->texts[b->view->n_texts - 1];
            t->quote_author = quotes[i].author;
            t->quote_addr = quotes[i].addr;
            quotes[i].author = quotes[i].addr = NULL;
        }
    }
    if (ret == 0 && hidden->len > 0)
        ret = sg_add_place(b, hidden, type, label, "hidden HTML", depth, flags,
                           SG_PLACE_HIDDEN);
    if (ret == 0 && markup->len > 0)
        ret = sg_add_place(b, markup, type, label,
                           "HTML attributes and link targets", depth, flags,
                           SG_PLACE_MARKUP);
    sg_quote_free(quotes, n_quotes);
    sg_buf_free(&own);
    return ret;
}

/* Add one text: bytes in a part's charset made UTF-8 (HTML reduced to
 * text, with its other places).  Each input byte gives at most three of
 * text (U+FFFD for an invalid one), and HTML only ever shortens, but for
 * link targets and attribute values, each its own bytes once or twice,
 * so the bytes read bound the text. */
static int
sg_text_convert_add(struct sg_build *b, const char *charset,
                    const struct sg_buf *raw, bool is_html, const char *type,
                    const char *label, unsigned depth, unsigned flags)
{
    struct sg_buf text = SG_BUF_INIT, html = SG_BUF_INIT;
    struct sg_buf hidden = SG_BUF_INIT, markup = SG_BUF_INIT;
    int ret = 0;
    if (sg_text_to_utf8(charset, raw->data != NULL ? raw->data : "", raw->len,
                        SIZE_MAX, &text) < 0)
        ret = sg_fail(b, SG_ERR_NOMEM);
    sg_crlf_to_lf(&text);
    if (ret == 0 && is_html) {
        if (sg_html_to_text(text.data, text.len, &html, &hidden, &markup) < 0)
            ret = sg_fail(b, SG_ERR_NOMEM);
        struct sg_buf swap = text;
        text = html;
        html = swap;
    }
    /* sg_text_to_utf8 made it valid, and dropping CRs keeps it so; HTML
     * went through libxml2 since */
    if (ret == 0 && is_html &&
        (sg_utf8_make_valid(&text) < 0 || sg_utf8_make_valid(&hidden) < 0 ||
         sg_utf8_make_valid(&markup) < 0))
        ret = sg_fail(b, SG_ERR_NOMEM);
    if (ret == 0)
        ret = sg_add_places(b, &text, &hidden, &markup, type, label, depth,
                            flags);
    sg_buf_free(&text);
    sg_buf_free(&html);
    sg_buf_free(&hidden);
    sg_buf_free(&markup);
    return ret;
}

static bool sg_extractable(const struct sg_build *b, const char *type);
static int sg_leaf_extract(struct sg_build *b, const struct sg_where *w,
                           const char *type, const char *filename,
                           const struct sg_buf *content, size_t size);

/* At most this many uuencoded blocks are taken out of one text. */
#define SG_UU_MAX_BLOCKS 8

/* Is [p, e) a uuencode "begin MODE NAME" line?  *name_r, *name_len_r: the
 * file name (CR dropped). */
static bool
sg_uu_begin(const char *p, const char *e, const char **name_r,
            size_t *name_len_r)
{
    if (e > p && e[-1] == '\r')
        e--;
    if (e - p < 10 || strncmp(p, "begin ", 6) != 0)
        return false;
    const char *q = p + 6;
    int digits = 0;
    while (q < e && *q >= '0' && *q <= '7' && digits < 5) {
        q++;
        digits++;
    }
    if (digits < 3 || q >= e || *q != ' ')
        return false;
    *name_r = q + 1;
    *name_len_r = (size_t)(e - (q + 1));
    return *name_len_r > 0;
}

/* Files uuencoded into a plain text ("begin 644 notes.txt" ... "end"), as
 * some mail programs still attach them: each block is an attachment of
 * its own, and its bytes go to the text helper as any attachment's do, so
 * a number in a uuencoded notes.txt is read.  The text itself is read as
 * it stands (the lines of code letters are noise to the detectors). */
static int
sg_inline_uuencode(struct sg_build *b, const struct sg_where *w,
                   const struct sg_buf *raw)
{
    static const char type[] = "application/octet-stream";
    const char *p = raw->data, *end = p != NULL ? p + raw->len : NULL;
    int blocks = 0, ret = 0;
    while (ret == 0 && p != NULL && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl != NULL ? nl + 1 : end;
        const char *name;
        size_t name_len;
        if (!sg_uu_begin(p, nl != NULL ? nl : end, &name, &name_len)) {
            p = next;
            continue;
        }
        const char *q = next, *stop = NULL;
        while (q < end && stop == NULL) {
            const char *qn = memchr(q, '\n', (size_t)(end - q));
            const char *qe = qn != NULL ? qn : end;
            size_t l = (size_t)(qe - q);
            if (l > 0 && q[l - 1] == '\r')
                l--;
            if (l == 3 && strncmp(q, "end", 3) == 0)
                stop = qe;
            q = qn != NULL ? qn + 1 : end;
        }
        if (stop == NULL)
            break; /* no end line: the text is read as it stands */
        if (++blocks > SG_UU_MAX_BLOCKS) {
            b->view->incomplete |= SG_INCOMPLETE_UNREADABLE;
            break;
        }
        struct sg_buf block = SG_BUF_INIT, bytes = SG_BUF_INIT;
        char *filename = sg_utf8_ndup(name, name_len);
        if (filename == NULL ||
            sg_buf_append(&block, p, (size_t)(stop - p)) < 0 ||
            sg_transfer_decode(GMIME_CONTENT_ENCODING_UUENCODE, &block,
                               &bytes) < 0)
            ret = sg_fail(b, SG_ERR_NOMEM);
        if (ret == 0 && sg_extractable(b, type))
            ret = sg_leaf_extract(b, w, type, filename, &bytes, bytes.len);
        if (ret == 0)
            ret = sg_add_attachment(b, type, filename, bytes.len, w->depth);
        free(filename);
        sg_buf_free(&block);
        sg_buf_free(&bytes);
        p = stop;
    }
    return ret;
}

/* A text/any leaf: its text always (and as sent too when its transfer
 * encoding does not decode), and an attachment record when it is one.
 * The budget is spent on the bytes as sent. */
static int
sg_leaf_text(struct sg_build *b, GMimePart *part, const struct sg_where *w,
             const char *type, const char *filename, bool attach)
{
    size_t room = SG_MSGVIEW_MAX_TEXT - b->text_used;
    struct sg_buf sent = SG_BUF_INIT, decoded = SG_BUF_INIT;
    size_t sent_size, size;
    bool is_html = strcmp(type, "text/html") == 0;
    const char *charset = g_mime_object_get_content_type_parameter(
        GMIME_OBJECT(part), "charset");
    GMimeContentEncoding enc = sg_part_encoding(part);
    bool encoded = enc == GMIME_CONTENT_ENCODING_BASE64 ||
                   enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
                   enc == GMIME_CONTENT_ENCODING_UUENCODE;
    int ret = sg_part_read(b, part, false, room, &sent, &sent_size);
    bool cut = sent_size > sent.len;
    b->text_used += sent.len;
    if (cut)
        b->view->incomplete |= SG_INCOMPLETE_SIZE;
    if (ret == 0 && encoded && sg_transfer_decode(enc, &sent, &decoded) < 0)
        ret = sg_fail(b, SG_ERR_NOMEM);
    const struct sg_buf *raw = encoded ? &decoded : &sent;
    size = raw->len;
    if (ret == 0 && cut) { /* the attachment's whole size, only counted */
        struct sg_buf none = SG_BUF_INIT;
        ret = sg_part_read(b, part, true, 0, &none, &size);
    }
    if (ret == 0 && is_html && sg_cid_refs_scan(&b->cids, raw->data,
                                                raw->len) < 0)
        ret = sg_fail(b, SG_ERR_NOMEM);
    char label[SG_LABEL_MAX];
    unsigned flags = (is_html ? SG_TEXT_HTML : 0) |
                     (attach ? SG_TEXT_ATTACHMENT : 0);
    sg_label(label, w, type, filename, "");
    if (ret == 0)
        ret = sg_text_convert_add(b, charset, raw, is_html, type, label,
                                  w->depth, flags);
    if (ret == 0 && !is_html)
        ret = sg_inline_uuencode(b, w, raw);
    if (ret == 0 && encoded && sg_undecodable(enc, &sent, &decoded)) {
        b->view->malformed = true;
        sg_label(label, w, type, filename, ", as sent");
        ret = sg_text_convert_add(b, charset, &sent, is_html, type, label,
                                  w->depth, flags);
    }
    if (ret == 0 && attach)
        ret = sg_add_attachment(b, type, filename, size, w->depth);
    sg_buf_free(&sent);
    sg_buf_free(&decoded);
    return ret;
}

/* A text type that another Content-Type header of the part gives
 * ("text/plain"), lower case, when GMime took a later one that is not
 * text; NULL when none (or out of memory: *nomem).  A mail program may
 * take the first header and show the part as text. */
static char *
sg_other_text_type(struct sg_build *b, GMimePart *part, bool *nomem)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(part));
    int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;
    *nomem = false;
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        const char *value = g_mime_header_get_value(h);
        if (name == NULL || value == NULL ||
            g_ascii_strcasecmp(name, "Content-Type") != 0)
            continue;
        GMimeContentType *ct = g_mime_content_type_parse(b->opts, value);
        char *type = NULL;
        if (ct != NULL && g_mime_content_type_is_type(ct, "text", "*")) {
            char *mime = g_mime_content_type_get_mime_type(ct);
            char *lower = g_ascii_strdown(mime, -1);
            type = sg_utf8_dup(lower);
            *nomem = type == NULL;
            g_free(lower);
            g_free(mime);
        }
        if (ct != NULL)
            g_object_unref(ct);
        if (type != NULL || *nomem)
            return type;
    }
    return NULL;
}

/* ------------------------------------------------------------- text helper */

/* Is an attachment of this type given to the text helper?  Every kind
 * but pictures, sound, video and signatures: the helper tells the rest
 * by their content (a PDF sent as application/octet-stream). */
static bool
sg_extractable(const struct sg_build *b, const char *type)
{
    static const char *const media[] = {
        "image/", "video/", "audio/", "font/", "model/",
        "application/pkcs7-signature", "application/x-pkcs7-signature",
        "application/pgp-signature", NULL};
    if (b->extract == NULL || !b->extract->enabled)
        return false;
    for (size_t i = 0; media[i] != NULL; i++)
        if (strncasecmp(type, media[i], strlen(media[i])) == 0)
            return false;
    return true;
}

/* Give an attachment (content: its decoded bytes, at most max_size of its
 * size bytes) to the text helper, and add what it reads as a text part of
 * the attachment.  What it could not read (too large, too many
 * attachments, past the time, a helper that failed or found part of it
 * unreadable) makes the view incomplete: SG_INCOMPLETE_UNREADABLE. */
static int
sg_leaf_extract(struct sg_build *b, const struct sg_where *w,
                const char *type, const char *filename,
                const struct sg_buf *content, size_t size)
{
    const struct sg_extract_opts *x = b->extract;
    long long left = b->extract_deadline - sg_extract_now_ms();
    long per_call = x->timeout * 1000L;
    if (size > content->len || size > (size_t)x->max_size ||
        b->extracted >= x->max_attachments ||
        left <= 0) {
        b->view->incomplete |= SG_INCOMPLETE_UNREADABLE;
        return 0;
    }
    b->extracted++;
    struct sg_buf raw = SG_BUF_INIT, text = SG_BUF_INIT;
    int st = sg_extract_run(x, content->data != NULL ? content->data : "",
                            content->len, type, filename,
                            left < per_call ? (long)left : per_call, &raw);
    if (st < 0) {
        sg_buf_free(&raw);
        return sg_fail(b, SG_ERR_NOMEM);
    }
    if (st == SG_EXTRACT_RUN_FAILED || st == SG_EXTRACT_RUN_INCOMPLETE)
        b->view->incomplete |= SG_INCOMPLETE_UNREADABLE;
    int ret = 0;
    size_t room = SG_MSGVIEW_MAX_TEXT - b->extract_used;
    if (raw.len > room) /* the message's text budget, for all attachments */
        b->view->incomplete |= SG_INCOMPLETE_SIZE;
    if (raw.len > 0 && room > 0 &&
        (st == SG_EXTRACT_RUN_OK || st == SG_EXTRACT_RUN_INCOMPLETE)) {
        char label[SG_LABEL_MAX];
        sg_label(label, w, type, filename, ", text read from it");
        b->extract_used += raw.len < room ? raw.len : room;
        if (sg_utf8_append_valid(&text, raw.data, raw.len < room ? raw.len
                                                                  : room,
                                 SIZE_MAX) < 0)
            ret = sg_fail(b, SG_ERR_NOMEM);
        if (ret == 0)
            ret = sg_add_text(b, &text, type, label, w->depth,
                              SG_TEXT_ATTACHMENT);
    }
    sg_buf_free(&raw);
    sg_buf_free(&text);
    return ret;
}

/* ------------------------------------------------------------- images */

/* A part that is not text: an attachment record with its size; its text,
 * read by the helper (sg_leaf_extract) when it is a kind the helper
 * reads; and, from its first SG_IMAGE_PROBE_MAX bytes, what kind of image
 * it is, if any (milter/images.c), with its Content-ID for the cid:
 * links. */
static int
sg_leaf_binary(struct sg_build *b, GMimePart *part, const struct sg_where *w,
               const char *type, const char *filename)
{
    struct sg_buf content = SG_BUF_INIT;
    struct sg_image_facts facts;
    size_t size;
    bool read = sg_extractable(b, type);
    size_t cap = SG_IMAGE_PROBE_MAX;
    if (read && (size_t)b->extract->max_size > cap)
        cap = (size_t)b->extract->max_size;
    int ret = sg_part_read(b, part, true, cap, &content, &size);
    if (ret == 0 && read)
        ret = sg_leaf_extract(b, w, type, filename, &content, size);
    if (ret == 0)
        ret = sg_add_attachment(b, type, filename, size, w->depth);
    if (ret == 0) {
        struct sg_attachment *a =
            &b->view->attachments[b->view->n_attachments - 1];
        sg_image_probe((const unsigned char *)content.data,
                       content.len < SG_IMAGE_PROBE_MAX ? content.len
                                                        : SG_IMAGE_PROBE_MAX,
                       &facts);
        a->image_type = facts.type;
        a->width = facts.width;
        a->height = facts.height;
        a->camera = facts.camera;
        const char *cid = g_mime_object_get_content_id(GMIME_OBJECT(part));
        if (cid != NULL && *cid != '\0' &&
            (a->content_id = sg_utf8_dup(cid)) == NULL)
            ret = sg_fail(b, SG_ERR_NOMEM);
    }
    sg_buf_free(&content);
    return ret;
}

/* Mark the attachments that an HTML part shows through a cid: link. */
static void
sg_mark_inline(struct sg_build *b)
{
    for (size_t i = 0; i < b->view->n_attachments; i++) {
        struct sg_attachment *a = &b->view->attachments[i];
        a->inline_ref = sg_cid_refs_has(&b->cids, a->content_id);
    }
}

static int
sg_leaf(struct sg_build *b, GMimePart *part, const struct sg_where *w)
{
    bool nomem;
    char *type = sg_content_type(GMIME_OBJECT(part));
    char *filename = sg_filename(part, &nomem);
    int ret = 0;
    b->view->n_parts++;
    if (type == NULL || nomem) {
        ret = sg_fail(b, SG_ERR_NOMEM);
    } else if (strncmp(type, "text/", 5) == 0) {
        bool attach = filename != NULL || g_mime_part_is_attachment(part);
        ret = sg_leaf_text(b, part, w, type, filename, attach);
    } else {
        /* two Content-Type headers, one of them text: read it both ways */
        char *text_type = sg_other_text_type(b, part, &nomem);
        if (nomem)
            ret = sg_fail(b, SG_ERR_NOMEM);
        if (text_type != NULL) {
            b->view->malformed = true;
            ret = sg_leaf_text(b, part, w, text_type, filename, false);
            free(text_type);
        }
        if (ret == 0)
            ret = sg_leaf_binary(b, part, w, type, filename);
    }
    free(type);
    free(filename);
    return ret;
}

static int sg_walk(struct sg_build *b, GMimeObject *obj,
                   const struct sg_where *w);
static int sg_walk_message(struct sg_build *b, GMimeMessage *msg,
                           const struct sg_where *w);

/* A multipart GMime found no parts in (no or wrong boundary) holds its
 * whole body in the prologue: a mail reader shows it, so the rules see it. */
static int
sg_multipart_prologue(struct sg_build *b, GMimeMultipart *mp,
                      const struct sg_where *w)
{
    const char *prologue = g_mime_multipart_get_prologue(mp);
    size_t room = SG_MSGVIEW_MAX_TEXT - b->text_used;
    char label[SG_LABEL_MAX];
    if (prologue == NULL || *prologue == '\0')
        return 0;
    b->view->malformed = true;
    b->view->n_parts++;
    /* the budget is spent on the bytes as sent */
    struct sg_buf raw = {(char *)(uintptr_t)prologue, strlen(prologue), 0};
    if (raw.len > room) {
        raw.len = room;
        b->view->incomplete |= SG_INCOMPLETE_SIZE;
    }
    b->text_used += raw.len;
    sg_label(label, w, "text/plain", NULL, "");
    return sg_text_convert_add(b, NULL, &raw, false, "text/plain", label,
                               w->depth, 0);
}

static int
sg_walk_multipart(struct sg_build *b, GMimeMultipart *mp,
                  const struct sg_where *w)
{
    if (w->nesting >= SG_MSGVIEW_MAX_MULTIPART) {
        b->view->malformed = true;
        b->view->incomplete |= SG_INCOMPLETE_NESTING;
        return 0;
    }
    int count = g_mime_multipart_get_count(mp);
    if (count == 0)
        return sg_multipart_prologue(b, mp, w);
    for (int i = 0; i < count; i++) {
        char path[SG_LABEL_MAX];
        snprintf(path, sizeof(path), "%s%s%d", w->path,
                 w->path[0] != '\0' ? "." : "", i + 1);
        struct sg_where child = {w->depth, w->nesting + 1, w->prefix, path};
        GMimeObject *part = g_mime_multipart_get_part(mp, i);
        if (part != NULL && sg_walk(b, part, &child) < 0)
            return -1;
    }
    return 0;
}

/* A message/rfc822 part: opened one level deeper, or beyond the depth
 * bound recorded as an attachment of its serialised size. */
static int
sg_walk_message_part(struct sg_build *b, GMimeMessagePart *mp,
                     const struct sg_where *w)
{
    GMimeMessage *inner = g_mime_message_part_get_message(mp);
    b->view->n_nested++;
    if (inner != NULL && w->depth < SG_MSGVIEW_MAX_DEPTH) {
        char prefix[SG_LABEL_MAX];
        snprintf(prefix, sizeof(prefix), "%sattached message %zu, ",
                 w->prefix, b->view->n_nested);
        struct sg_where in = {w->depth + 1, w->nesting + 1, prefix, ""};
        return sg_walk_message(b, inner, &in);
    }
    size_t size = 0;
    if (inner != NULL)
        b->view->incomplete |= SG_INCOMPLETE_DEPTH;
    if (inner != NULL) {
        GMimeStream *null = g_mime_stream_null_new();
        ssize_t n = g_mime_object_write_to_stream(GMIME_OBJECT(inner), NULL,
                                                  null);
        size = n > 0 ? (size_t)n : 0;
        g_object_unref(null);
    }
    b->view->n_parts++;
    return sg_add_attachment(b, "message/rfc822", NULL, size, w->depth);
}

/* A message/rfc822 part GMime left closed because it has a base64 or
 * quoted-printable transfer encoding (which a mail reader still opens):
 * decode it, within its own budget, and parse it as a message. */
static int
sg_walk_encoded_message(struct sg_build *b, GMimePart *part,
                        const struct sg_where *w)
{
    struct sg_buf raw = SG_BUF_INIT;
    size_t size;
    if (sg_part_read(b, part, true, SG_MSGVIEW_MAX_TEXT - b->inner_used, &raw,
                     &size) < 0) {
        sg_buf_free(&raw);
        return -1;
    }
    b->inner_used += raw.len;
    if (size > raw.len) /* the rest of the attached message is not read */
        b->view->incomplete |= SG_INCOMPLETE_SIZE;
    b->view->n_nested++;
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(
        raw.data != NULL ? raw.data : "", raw.len);
    sg_buf_free(&raw);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *inner = g_mime_parser_construct_message(parser, b->opts);
    char prefix[SG_LABEL_MAX];
    snprintf(prefix, sizeof(prefix), "%sattached message %zu, ", w->prefix,
             b->view->n_nested);
    struct sg_where in = {w->depth + 1, w->nesting + 1, prefix, ""};
    int ret;
    if (inner != NULL) {
        ret = sg_walk_message(b, inner, &in);
        g_object_unref(inner);
    } else { /* not a message after all: an opaque part */
        b->view->n_parts++;
        ret = sg_add_attachment(b, "message/rfc822", NULL, size, w->depth);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    return ret;
}

static bool
sg_is_message(GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    return ct != NULL && (g_mime_content_type_is_type(ct, "message", "rfc822") ||
                          g_mime_content_type_is_type(ct, "message", "global"));
}

static int
sg_walk(struct sg_build *b, GMimeObject *obj, const struct sg_where *w)
{
    if (GMIME_IS_MULTIPART(obj))
        return sg_walk_multipart(b, GMIME_MULTIPART(obj), w);
    if (GMIME_IS_MESSAGE_PART(obj))
        return sg_walk_message_part(b, GMIME_MESSAGE_PART(obj), w);
    if (GMIME_IS_PART(obj) && sg_is_message(obj)) {
        if (w->depth < SG_MSGVIEW_MAX_DEPTH)
            return sg_walk_encoded_message(b, GMIME_PART(obj), w);
        b->view->incomplete |= SG_INCOMPLETE_DEPTH; /* kept closed */
    }
    if (GMIME_IS_PART(obj))
        return sg_leaf(b, GMIME_PART(obj), w);
    return 0;
}

static int
sg_walk_message(struct sg_build *b, GMimeMessage *msg,
                const struct sg_where *w)
{
    GMimeObject *body = g_mime_message_get_mime_part(msg);
    return body != NULL ? sg_walk(b, body, w) : 0;
}

/* ------------------------------------------------------------- headers */

static int
sg_header_add(struct sg_build *b, GMimeHeader *h)
{
    const char *name = g_mime_header_get_name(h);
    const char *value = g_mime_header_get_value(h);
    struct sg_header *out = &b->view->headers[b->view->n_headers++];
    out->name = sg_utf8_dup(name != NULL ? name : "");
    out->value = sg_utf8_dup(value != NULL ? value : "");
    return out->name == NULL || out->value == NULL ? sg_fail(b, SG_ERR_NOMEM)
                                                   : 0;
}

static int
sg_header_count(GMimeHeaderList *list)
{
    int n = list != NULL ? g_mime_header_list_get_count(list) : 0;
    return n > 0 ? n : 0;
}

/* GMime keeps the Content-* headers of the top header block on the body
 * part: merge both lists back into the order they were written. */
static int
sg_headers(struct sg_build *b, GMimeMessage *msg)
{
    GMimeObject *body = g_mime_message_get_mime_part(msg);
    GMimeHeaderList *lists[2] = {
        g_mime_object_get_header_list(GMIME_OBJECT(msg)),
        body != NULL ? g_mime_object_get_header_list(body) : NULL,
    };
    int count[2] = {sg_header_count(lists[0]), sg_header_count(lists[1])};
    int i[2] = {0, 0};
    if (count[0] + count[1] == 0)
        return 0;
    b->view->headers = calloc((size_t)count[0] + (size_t)count[1],
                              sizeof(*b->view->headers));
    if (b->view->headers == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    while (i[0] < count[0] || i[1] < count[1]) {
        GMimeHeader *h[2] = {NULL, NULL};
        for (int k = 0; k < 2; k++)
            if (i[k] < count[k])
                h[k] = g_mime_header_list_get_header_at(lists[k], i[k]);
        int pick = h[0] == NULL ? 1 : h[1] == NULL ? 0
                 : (guint64)g_mime_header_get_offset(h[1]) <
                   (guint64)g_mime_header_get_offset(h[0]);
        i[pick]++;
        if (h[pick] != NULL && sg_header_add(b, h[pick]) < 0)
            return -1;
    }
    return 0;
}

/* First mailbox of a From: list, looking inside groups. */
static InternetAddressMailbox *
sg_first_mailbox(InternetAddressList *list, unsigned depth)
{
    int n = list != NULL ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia))
            return INTERNET_ADDRESS_MAILBOX(ia);
        if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < 4) {
            InternetAddressMailbox *mb = sg_first_mailbox(
                internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
                depth + 1);
            if (mb != NULL)
                return mb;
        }
    }
    return NULL;
}

/* ------------------------------------------------------ sender claims */

/* Keep one claimed sender address (see sg_msgview.sender_claims). */
static int
sg_claim_add(struct sg_build *b, const char *addr, size_t len)
{
    struct sg_msgview *v = b->view;
    if (len == 0 || memchr(addr, '@', len) == NULL)
        return 0;
    char *copy = g_strndup(addr, len);
    char *claim = copy != NULL ? sg_utf8_dup(copy) : NULL;
    g_free(copy);
    if (claim == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    for (size_t i = 0; i < v->n_sender_claims; i++)
        if (strcasecmp(v->sender_claims[i], claim) == 0) {
            free(claim);
            return 0;
        }
    if (v->n_sender_claims == SG_MSGVIEW_MAX_CLAIMS) {
        v->sender_claims_overflow = true;
        free(claim);
        return 0;
    }
    if (v->sender_claims == NULL &&
        (v->sender_claims = calloc(SG_MSGVIEW_MAX_CLAIMS,
                                   sizeof(char *))) == NULL) {
        free(claim);
        return sg_fail(b, SG_ERR_NOMEM);
    }
    v->sender_claims[v->n_sender_claims++] = claim;
    return 0;
}

/* Can c be part of an address written in free text?  Bytes of UTF-8
 * sequences count, so internationalised addresses stay whole. */
static bool
sg_addr_char(unsigned char c, bool domain)
{
    if (c >= 0x80 || g_ascii_isalnum(c) || c == '-' || c == '.')
        return true;
    return !domain && c != '\0' && strchr("!#$%&'*+/=?^_`{|}~", c) != NULL;
}

/* Every address-like word in a display name: "j.smith@school.example",
 * "Mr Smith (j.smith@school.example)".  Mail programs show the name, so
 * an address there is a claim like the mailbox's own. */
static int
sg_claims_in_name(struct sg_build *b, const char *name)
{
    if (name == NULL)
        return 0;
    for (const char *at = strchr(name, '@'); at != NULL;
         at = strchr(at + 1, '@')) {
        const char *l = at, *r = at + 1;
        while (l > name && sg_addr_char((unsigned char)l[-1], false))
            l--;
        while (sg_addr_char((unsigned char)*r, true))
            r++;
        while (l < at && *l == '.')
            l++;
        while (r > at + 1 && r[-1] == '.')
            r--;
        if (l < at && r > at + 1 && sg_claim_add(b, l, (size_t)(r - l)) < 0)
            return -1;
    }
    return 0;
}

/* Keep a display name (a place the detectors read: a number in the
 * name is shown to the reader like the body), each once. */
static int
sg_display_name_add(struct sg_build *b, const char *name)
{
    if (name == NULL || *name == '\0')
        return 0;
    char *valid = sg_utf8_dup(name);
    if (valid == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    for (char *p = valid; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t len = strlen(valid);
    bool seen = false;
    for (const char *p = b->names.data; p != NULL && !seen && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t l = nl != NULL ? (size_t)(nl - p) : strlen(p);
        seen = l == len && strncasecmp(p, valid, len) == 0;
        p += l + (nl != NULL);
    }
    int ret = 0;
    if (!seen && ((b->names.len > 0 && sg_buf_putc(&b->names, '\n') < 0) ||
                  sg_buf_append(&b->names, valid, len) < 0))
        ret = sg_fail(b, SG_ERR_NOMEM);
    free(valid);
    return ret;
}

static int
sg_claims_in_list(struct sg_build *b, InternetAddressList *list,
                  unsigned depth)
{
    int n = list != NULL ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (sg_claims_in_name(b, internet_address_get_name(ia)) < 0 ||
            sg_display_name_add(b, internet_address_get_name(ia)) < 0)
            return -1;
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            const char *addr = internet_address_mailbox_get_addr(
                INTERNET_ADDRESS_MAILBOX(ia));
            if (addr != NULL && sg_claim_add(b, addr, strlen(addr)) < 0)
                return -1;
        } else if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < 4 &&
                   sg_claims_in_list(b,
                                     internet_address_group_get_members(
                                         INTERNET_ADDRESS_GROUP(ia)),
                                     depth + 1) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The addresses every From:, Sender: and Reply-To: header shows; a
 * repeated header is read as often as it occurs. */
static int
sg_sender_claims(struct sg_build *b, GMimeMessage *msg)
{
    static const char *const names[] = {"From", "Sender", "Reply-To"};
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
    int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;
    for (int i = 0; i < n; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        const char *raw = g_mime_header_get_raw_value(h);
        bool wanted = false;
        for (size_t k = 0; k < G_N_ELEMENTS(names) && name != NULL; k++)
            wanted = wanted || g_ascii_strcasecmp(name, names[k]) == 0;
        if (!wanted || raw == NULL)
            continue;
        InternetAddressList *list = internet_address_list_parse(b->opts, raw);
        int rc = sg_claims_in_list(b, list, 0);
        if (list != NULL)
            g_object_unref(list);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int
sg_envelope_headers(struct sg_build *b, GMimeMessage *msg)
{
    struct sg_msgview *v = b->view;
    const char *subject = g_mime_message_get_subject(msg);
    const char *id = g_mime_message_get_message_id(msg);
    InternetAddressMailbox *mb = sg_first_mailbox(g_mime_message_get_from(msg), 0);
    const char *name = mb != NULL ? internet_address_get_name(
                                        INTERNET_ADDRESS(mb)) : NULL;
    const char *addr = mb != NULL ? internet_address_mailbox_get_addr(mb) : NULL;
    v->subject = sg_utf8_dup(subject != NULL ? subject : "");
    if (id != NULL && (v->message_id = sg_utf8_dup(id)) == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    if (name != NULL && *name != '\0' &&
        (v->from_name = sg_utf8_dup(name)) == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    if (addr != NULL && *addr != '\0' &&
        (v->from_addr = sg_utf8_dup(addr)) == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    return v->subject == NULL ? sg_fail(b, SG_ERR_NOMEM) : 0;
}

/* ------------------------------------------------------------- build */

static void
sg_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
                  gpointer user_data)
{
    struct sg_build *b = user_data;
    (void)offset;
    (void)item;
    switch (code) {
    case GMIME_WARN_INVALID_CONTENT_TYPE:
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_HEADER:
    case GMIME_CRIT_CONFLICTING_PARAMETER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        b->view->malformed = true;
        break;
    case GMIME_CRIT_NESTING_OVERFLOW: /* GMime kept the rest closed */
        b->view->malformed = true;
        b->view->incomplete |= SG_INCOMPLETE_NESTING;
        break;
    default:
        break; /* duplicated Received:, 8-bit headers, ...: everyday mail */
    }
}

/* GMime found no message at all (no headers, empty input): the bytes, if
 * any, become one text body so that nothing escapes the detectors. */
static int
sg_build_unparsed(struct sg_build *b, GMimeStream *stream)
{
    struct sg_buf raw = SG_BUF_INIT;
    char chunk[SG_READ_CHUNK];
    ssize_t n = 0;
    int ret = 0;
    b->view->malformed = true;
    b->view->subject = strdup("");
    if (b->view->subject == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    g_mime_stream_reset(stream);
    while (ret == 0 && (n = g_mime_stream_read(stream, chunk,
                                               sizeof(chunk))) > 0) {
        size_t keep = SG_MSGVIEW_MAX_TEXT - raw.len;
        if ((size_t)n > keep)
            b->view->incomplete |= SG_INCOMPLETE_SIZE;
        if (keep > 0 &&
            sg_buf_append(&raw, chunk, keep < (size_t)n ? keep : (size_t)n) < 0)
            ret = sg_fail(b, SG_ERR_NOMEM);
        if (keep == 0)
            break;
    }
    if (n < 0)
        b->view->incomplete |= SG_INCOMPLETE_UNREADABLE;
    if (ret == 0 && raw.len > 0) {
        b->view->n_parts = 1;
        b->text_used = raw.len;
        ret = sg_text_convert_add(b, NULL, &raw, false, "text/plain", "body",
                                  0, 0);
    }
    sg_buf_free(&raw);
    return ret;
}

static int
sg_build_message(struct sg_build *b, GMimeMessage *msg)
{
    static const struct sg_where top = {0, 0, "", ""};
    if (sg_headers(b, msg) < 0 || sg_envelope_headers(b, msg) < 0 ||
        sg_sender_claims(b, msg) < 0)
        return -1;
    if (sg_buf_append(&b->names, "", 0) < 0)
        return sg_fail(b, SG_ERR_NOMEM);
    b->view->display_names = sg_buf_steal(&b->names);
    return sg_walk_message(b, msg, &top);
}

static int
sg_build_stream(GMimeStream *stream, size_t size,
                const struct sg_extract_opts *x, struct sg_msgview **view_r,
                const char **error_r)
{
    static const char *fallback[] = {"UTF-8", "windows-1252", NULL};
    struct sg_build b = {.view = sg_msgview_new(), .extract = x};
    if (b.view == NULL) {
        *error_r = SG_ERR_NOMEM;
        return -1;
    }
    b.view->size = size;
    if (x != NULL && x->enabled)
        b.extract_deadline = sg_extract_now_ms() + x->message_timeout * 1000LL;
    GMimeParserOptions *opts = g_mime_parser_options_new();
    g_mime_parser_options_set_fallback_charsets(opts, fallback);
    g_mime_parser_options_set_warning_callback(opts, sg_parser_warning, &b);
    b.opts = opts;
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
    int ret = msg != NULL ? sg_build_message(&b, msg)
                          : sg_build_unparsed(&b, stream);
    if (ret == 0)
        sg_mark_inline(&b);
    sg_cid_refs_free(&b.cids);
    if (msg != NULL)
        g_object_unref(msg);
    g_object_unref(parser);
    g_mime_parser_options_free(opts);
    sg_buf_free(&b.names);
    if (ret < 0) {
        sg_msgview_free(&b.view);
        *error_r = b.error != NULL ? b.error : SG_ERR_NOMEM;
        return -1;
    }
    *view_r = b.view;
    return 0;
}

int
sg_msgview_build_mem(const char *data, size_t len, struct sg_msgview **view_r,
                     const char **error_r)
{
    return sg_msgview_build_mem_extract(data, len, NULL, view_r, error_r);
}

int
sg_msgview_build_fd(int fd, struct sg_msgview **view_r, const char **error_r)
{
    return sg_msgview_build_fd_extract(fd, NULL, view_r, error_r);
}

int
sg_msgview_build_mem_extract(const char *data, size_t len,
                             const struct sg_extract_opts *x,
                             struct sg_msgview **view_r, const char **error_r)
{
    GMimeStream *stream = len > 0 ? g_mime_stream_mem_new_with_buffer(data, len)
                                  : g_mime_stream_mem_new();
    int ret = sg_build_stream(stream, len, x, view_r, error_r);
    g_object_unref(stream);
    return ret;
}

int
sg_msgview_build_fd_extract(int fd, const struct sg_extract_opts *x,
                            struct sg_msgview **view_r, const char **error_r)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        *error_r = "the message file cannot be read (not a regular file)";
        return -1;
    }
    int copy = dup(fd);
    if (copy < 0) {
        *error_r = "the message file descriptor cannot be duplicated";
        return -1;
    }
    if (lseek(copy, 0, SEEK_SET) < 0) {
        close(copy);
        *error_r = "the message file cannot be rewound";
        return -1;
    }
    GMimeStream *stream = g_mime_stream_fs_new(copy); /* closes copy */
    int ret = sg_build_stream(stream, (size_t)st.st_size, x, view_r, error_r);
    g_object_unref(stream);
    return ret;
}

void
sg_msgview_build_init(void)
{
    g_mime_init();
    xmlInitParser();
}

void
sg_msgview_build_shutdown(void)
{
    g_mime_shutdown();
    xmlCleanupParser();
}
