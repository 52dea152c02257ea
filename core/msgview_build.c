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
 * The builder is in several files, one for each thing it reads (see
 * msgview_int.h); these notes hold for all of them.  This one walks the
 * MIME tree and keeps the view's texts and attachments.
 *
 * Fails by returning -1 with a static error string only for allocation
 * failure or a message file that cannot be read.  Broken MIME is not an
 * error: GMime repairs what it can, the view says malformed = true.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <libxml/parser.h>

#include "charset.h"
#include "extract_run.h"
#include "html_text.h"
#include "msgview_int.h"
#include "quote.h"
#include "sg_buf.h"
#include "sg_utf8.h"

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

int
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

/* Adds a text, taking ownership of text's memory. */
int
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

/* Where a part is, for people, with suffix after it ("" or ", as sent"). */
void
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
    /* most text quotes nothing: it is added as it is, not copied */
    if ((flags & SG_TEXT_ATTACHMENT) == 0 &&
        sg_quote_maybe(text->data != NULL ? text->data : "", text->len) &&
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
    if (sg_text_to_utf8_lf(charset, raw->data != NULL ? raw->data : "",
                           raw->len, &text) < 0)
        ret = sg_fail(b, SG_ERR_NOMEM);
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

/* A text leaf's content and what it says of itself: GMime's part, or
 * the body of a message read without GMime (sg_build_top). */
struct sg_leaf_src {
    GMimePart *part;    /* NULL: the content is body[0, body_len) */
    const char *body;
    size_t body_len;
    const char *charset; /* NULL when none is declared */
    GMimeContentEncoding enc;
};

/* A text/any leaf: its text always (and as sent too when its transfer
 * encoding does not decode), and an attachment record when it is one.
 * The budget is spent on the bytes as sent. */
static int
sg_leaf_text(struct sg_build *b, const struct sg_leaf_src *src,
             const struct sg_where *w, const char *type,
             const char *filename, bool attach)
{
    size_t room = SG_MSGVIEW_MAX_TEXT - b->text_used;
    struct sg_buf sent = SG_BUF_INIT, decoded = SG_BUF_INIT;
    size_t sent_size, size;
    bool is_html = strcmp(type, "text/html") == 0;
    const char *charset = src->charset;
    GMimeContentEncoding enc = src->enc;
    bool encoded = enc == GMIME_CONTENT_ENCODING_BASE64 ||
                   enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
                   enc == GMIME_CONTENT_ENCODING_UUENCODE;
    int ret = 0;
    if (src->part != NULL)
        ret = sg_part_sent(b, src->part, room, &sent, &sent_size);
    else
        sg_bytes_sent(src->body, src->body_len, room, &sent, &sent_size);
    bool cut = sent_size > sent.len;
    b->text_used += sent.len;
    if (cut)
        b->view->incomplete |= SG_INCOMPLETE_SIZE;
    if (ret == 0 && encoded && sg_transfer_decode(enc, &sent, &decoded) < 0)
        ret = sg_fail(b, SG_ERR_NOMEM);
    const struct sg_buf *raw = encoded ? &decoded : &sent;
    size = raw->len;
    /* the attachment's whole size, only counted (a content read without
     * GMime is never cut: see sg_lean_direct) */
    if (ret == 0 && cut && src->part != NULL) {
        struct sg_buf none = SG_BUF_INIT;
        ret = sg_part_read(b, src->part, true, 0, &none, &size);
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
    sg_part_release(&sent);
    sg_buf_free(&decoded);
    return ret;
}

static int
sg_leaf(struct sg_build *b, GMimePart *part, const struct sg_where *w)
{
    bool nomem;
    char *type = sg_content_type(GMIME_OBJECT(part));
    char *filename = sg_filename(part, &nomem);
    const struct sg_leaf_src src = {
        part, NULL, 0,
        g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
                                                 "charset"),
        sg_part_encoding(part)};
    int ret = 0;
    b->view->n_parts++;
    if (type == NULL || nomem) {
        ret = sg_fail(b, SG_ERR_NOMEM);
    } else if (strncmp(type, "text/", 5) == 0) {
        bool attach = filename != NULL || g_mime_part_is_attachment(part);
        ret = sg_leaf_text(b, &src, w, type, filename, attach);
    } else {
        /* two Content-Type headers, one of them text: read it both ways */
        char *text_type = sg_other_text_type(b, part, &nomem);
        if (nomem)
            ret = sg_fail(b, SG_ERR_NOMEM);
        if (text_type != NULL) {
            b->view->malformed = true;
            ret = sg_leaf_text(b, &src, w, text_type, filename, false);
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
    struct sg_buf raw = {(char *)(uintptr_t)prologue, strlen(prologue), 0,
                         false};
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

/* ------------------------------------------------------------- build */

/* The build this thread is making (sg_build_stream): the one GMime's
 * warnings are of.  The parser options are the process's (sg_opts),
 * shared by every thread's builds. */
static __thread struct sg_build *sg_building;

static void
sg_parser_warning(gint64 offset, GMimeParserWarning code, const gchar *item,
                  gpointer user_data)
{
    struct sg_build *b = sg_building;
    (void)offset;
    (void)item;
    (void)user_data;
    if (b == NULL)
        return;
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

/* GMime's parser options for every build: text in an undeclared charset
 * read as UTF-8, else windows-1252; warnings to sg_parser_warning, of the
 * thread's build.  Made by sg_msgview_build_init, which every build
 * follows (GMime itself must be set up first), and shared: GMime's
 * parser and its header lists only read them, and clone them where they
 * keep them. */
static GMimeParserOptions *sg_opts;

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

/* The display names gathered from the headers, into the view. */
static int
sg_names_done(struct sg_build *b)
{
    if (sg_buf_append(&b->names, "", 0) < 0)
        return sg_fail(b, SG_ERR_NOMEM);
    b->view->display_names = sg_buf_steal(&b->names);
    return 0;
}

static const struct sg_where sg_top_where = {0, 0, "", ""};

static int
sg_build_message(struct sg_build *b, GMimeMessage *msg)
{
    if (sg_headers(b, msg) < 0 || sg_envelope_headers(b, msg) < 0 ||
        sg_sender_claims(b, msg) < 0 || sg_names_done(b) < 0)
        return -1;
    return sg_walk_message(b, msg, &sg_top_where);
}

/* The same from a header block read by sg_top_read and the body part
 * GMime made of its Content-* headers (see sg_parse_lean), or with part
 * NULL, the body read without GMime as the single text part direct says
 * it is (sg_top_part): its content is the body as sent, data[top->body,
 * len), within the text budget (sg_lean_direct). */
static int
sg_build_top(struct sg_build *b, struct sg_top *top, GMimeObject *part,
             const struct sg_top_part *direct, const char *data, size_t len)
{
    if (sg_top_headers(b, top, part) < 0 || sg_top_envelope(b, top) < 0 ||
        sg_top_sender_claims(b, top) < 0 || sg_names_done(b) < 0)
        return -1;
    if (part != NULL)
        return sg_walk(b, part, &sg_top_where);
    const struct sg_leaf_src src = {
        NULL, data + top->body, len - top->body,
        direct->charset[0] != '\0' ? direct->charset : NULL, direct->enc};
    b->view->n_parts++;
    return sg_leaf_text(b, &src, &sg_top_where, direct->type, NULL, false);
}

bool sg_msgview_window = true;
bool sg_msgview_lean = true;
bool sg_msgview_direct = true;
unsigned long sg_msgview_lean_built;
unsigned long sg_msgview_direct_built;

/* The offset of the blank line ("\n" or "\r\n" at a line's start) that
 * ends the header block of data[0, len), or SIZE_MAX when there is none. */
static size_t
sg_blank_line(const char *data, size_t len)
{
    for (size_t i = 0; i < len;) {
        if (data[i] == '\n' || (data[i] == '\r' && len - i >= 2 &&
                                 data[i + 1] == '\n'))
            return i;
        const char *nl = memchr(data + i, '\n', len - i);
        if (nl == NULL)
            break;
        i = (size_t)(nl - data) + 1;
    }
    return SIZE_MAX;
}

/* Whether a line of the header block data[0, len) names a Content-Type
 * of more than one part (multipart/..., message/...).  Only saves a
 * second parse of the headers: GMime's parse has the last word (a folded
 * Content-Type is not looked at here). */
static bool
sg_maybe_nested(const char *data, size_t len)
{
    static const char name[] = "content-type";
    static const char *const types[] = {"multipart", "message"};
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t eol = nl != NULL ? (size_t)(nl - data) : len;
        if (eol - i >= sizeof(name) - 1 &&
            g_ascii_strncasecmp(data + i, name, sizeof(name) - 1) == 0)
            for (size_t t = 0; t < G_N_ELEMENTS(types); t++)
                for (size_t k = i, n = strlen(types[t]); k + n <= eol; k++)
                    if (g_ascii_strncasecmp(data + k, types[t], n) == 0)
                        return true;
        i = eol + 1;
    }
    return false;
}

/* The single part obj that parser made, with its content the window
 * data[body, len) of stream, when the parser ended its headers at
 * headers_end: a window is what GMime's scan of a body that no boundary
 * can end would find, without the scan (the part's transfer encoding is
 * GMime's, from the headers, and scanning a part's body gives no
 * warnings).  false when obj is not such a one. */
static bool
sg_window_part(GMimeObject *obj, GMimeParser *parser, gint64 headers_end,
               GMimeStream *stream, size_t body, size_t len)
{
    GMimeDataWrapper *content = GMIME_IS_PART(obj)
        ? g_mime_part_get_content(GMIME_PART(obj)) : NULL;
    if (content == NULL || g_mime_parser_get_headers_end(parser) !=
                               headers_end)
        return false;
    GMimeStream *window = g_mime_stream_substream(stream, (gint64)body,
                                                  (gint64)len);
    g_mime_data_wrapper_set_stream(content, window);
    g_object_unref(window);
    return true;
}

/* The message in data[0, len) (the bytes of stream), when its body is a
 * single part: GMime parses only its header block (a window of stream
 * that ends with the blank line), and the part's content is the rest of
 * the stream (sg_window_part).  NULL (and the warnings of the try
 * undone) when the message is not such a one, or GMime does not end its
 * headers where the blank line is: it is then parsed whole. */
static GMimeMessage *
sg_parse_window(struct sg_build *b, GMimeStream *stream, const char *data,
                size_t len, GMimeParser **parser_r)
{
    size_t blank = data != NULL ? sg_blank_line(data, len) : SIZE_MAX;
    if (!sg_msgview_window || blank == SIZE_MAX ||
        sg_maybe_nested(data, blank))
        return NULL;
    size_t body = blank + (data[blank] == '\n' ? 1 : 2);
    bool malformed = b->view->malformed;
    unsigned incomplete = b->view->incomplete;
    GMimeStream *head = g_mime_stream_substream(stream, 0, (gint64)body);
    GMimeParser *parser = g_mime_parser_new_with_stream(head);
    g_object_unref(head);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, b->opts);
    if (msg == NULL ||
        !sg_window_part(g_mime_message_get_mime_part(msg), parser,
                        (gint64)blank, stream, body, len)) {
        if (msg != NULL)
            g_object_unref(msg);
        g_object_unref(parser);
        b->view->malformed = malformed;
        b->view->incomplete = incomplete;
        return NULL;
    }
    *parser_r = parser;
    return msg;
}

/* What GMime is given to make a message's body part of without a
 * GMimeMessage, into head: the Content-* lines of the block read into
 * top, as written, and its blank line, and when whole, the body after
 * them; *headers_end: where the lines end.  -1 when out of memory. */
static int
sg_lean_head(const struct sg_top *top, const char *data, size_t len,
             bool whole, struct sg_buf *head, size_t *headers_end)
{
    size_t size = top->body - top->blank + (whole ? len - top->body : 0);
    int ret = 0;
    for (size_t i = 0; i < top->n; i++)
        if (top->h[i].content)
            size += top->h[i].end - top->h[i].line;
    if (size > G_MAXUINT || sg_buf_reserve(head, size) < 0)
        return -1;
    for (size_t i = 0; ret == 0 && i < top->n; i++)
        if (top->h[i].content)
            ret = sg_buf_append(head, data + top->h[i].line,
                                top->h[i].end - top->h[i].line);
    *headers_end = head->len;
    if (ret == 0)
        ret = sg_buf_append(head, data + top->blank, top->body - top->blank);
    if (ret == 0 && whole)
        ret = sg_buf_append(head, data + top->body, len - top->body);
    return ret;
}

/* Where the block read into top ends with all its Content-* lines and
 * only them (most mail writes them last), or SIZE_MAX when it does not:
 * from there on, the message is what GMime is to be given of a
 * multipart, in place. */
static size_t
sg_lean_tail(const struct sg_top *top)
{
    size_t first = top->n - top->n_content;
    for (size_t i = first; i < top->n; i++)
        if (!top->h[i].content)
            return SIZE_MAX;
    return top->n_content > 0 ? top->h[first].line : SIZE_MAX;
}

/* The largest message whose multipart body is copied to be built lean
 * (when its Content-* lines are not the block's last): the copy costs
 * more than the GMimeMessage it saves on 5 MB messages, less at 100 KB. */
#define SG_LEAN_COPY_MAX ((size_t)256 * 1024)

/* Whether the message in data[0, len) can be built without a
 * GMimeMessage: its header block plain (sg_top_read, into top), and the
 * last From:'s addresses read as GMime's message would read them
 * (sg_top_from).  false: top empty. */
static bool
sg_lean_top(struct sg_build *b, const char *data, size_t len,
            struct sg_top *top)
{
    if (!sg_msgview_lean || !sg_msgview_window || data == NULL ||
        sg_top_read(data, len, top) <= 0)
        return false;
    if (!sg_top_from(top, b->opts)) {
        sg_top_free(top);
        return false;
    }
    return true;
}

/* Whether the body of the message in data[0, len), whose header block
 * sg_lean_top read into top, is a single text part read without GMime
 * (direct filled): its Content-* lines of sg_top_part's shape, and the
 * body within the text budget, so that it is read whole. */
static bool
sg_lean_direct(const struct sg_top *top, size_t len,
               struct sg_top_part *direct)
{
    return sg_msgview_direct && len - top->body <= SG_MSGVIEW_MAX_TEXT &&
           sg_top_part(top, direct);
}

/* The body part of the message in data[0, len) (the bytes of stream),
 * without a GMimeMessage, when its header block is plain (sg_lean_top
 * read it into top) and its body a single part or a multipart: GMime is given
 * only the block's Content-* lines, as written, and the blank line
 * (sg_lean_head), and makes the part of them.  A single part's content
 * is then the body (sg_window_part).  A multipart's body follows the
 * blank line in what GMime is given: the message from its Content-*
 * lines on when they are the block's last (sg_lean_tail), else a copy
 * (not past SG_LEAN_COPY_MAX); its parts' contents are windows on it,
 * read where they are (sg_part_sent).  GMime parses it with the calls
 * its message makes (GMime 3.2.13's parser_construct_part and
 * parser_construct_message both make the multipart at depth 0 of the
 * same Content-* lines; the message's only other warning, of a parse
 * that ended in error, comes only after one of a truncated multipart,
 * which says the same).  GMime's message
 * would have made the same part of the same lines (it keeps the other
 * headers on the message, and reads them into nothing the part has);
 * what it would have said of the others, the view takes from them
 * itself (sg_build_top).  NULL (top empty, the warnings of the try
 * undone) when the message is not such a one (message/... at the top
 * is one): it is then parsed by GMime as a message. */
static GMimeObject *
sg_parse_lean(struct sg_build *b, GMimeStream *stream, const char *data,
              size_t len, struct sg_top *top)
{
    bool nested = sg_maybe_nested(data, top->blank);
    size_t tail = sg_lean_tail(top);
    struct sg_buf head = SG_BUF_INIT;
    size_t headers_end = top->blank;
    if ((nested && tail == SIZE_MAX && len > SG_LEAN_COPY_MAX) ||
        ((!nested || tail == SIZE_MAX) &&
         sg_lean_head(top, data, len, nested, &head, &headers_end) < 0)) {
        sg_buf_free(&head);
        sg_top_free(top);
        return NULL;
    }
    bool malformed = b->view->malformed;
    unsigned incomplete = b->view->incomplete;
    size_t head_len = head.len;
    GMimeStream *hs;
    if (nested && tail != SIZE_MAX) /* each part's content, a substream */
        hs = g_mime_stream_substream(stream, (gint64)tail, (gint64)len);
    else if (nested) { /* the stream owns the copy; each part's content,
                        * a substream of it, holds a reference to it */
        GByteArray *copy = g_byte_array_new_take(
            (guint8 *)sg_buf_steal(&head), head_len);
        hs = g_mime_stream_mem_new_with_byte_array(copy);
    } else {
        hs = g_mime_stream_mem_new_with_buffer(head.data, head_len);
        sg_buf_free(&head);
    }
    GMimeParser *parser = g_mime_parser_new_with_stream(hs);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeObject *part = g_mime_parser_construct_part(parser, b->opts);
    GMimeHeaderList *list = part != NULL ? g_mime_object_get_header_list(part)
                                         : NULL;
    if (list == NULL ||
        (size_t)g_mime_header_list_get_count(list) != top->n_content ||
        (nested ? !GMIME_IS_MULTIPART(part) ||
                      g_mime_parser_get_headers_end(parser) !=
                          (gint64)headers_end
                : !sg_window_part(part, parser, (gint64)headers_end, stream,
                                  top->body, len))) {
        if (part != NULL)
            g_object_unref(part);
        part = NULL;
        sg_top_free(top);
        b->view->malformed = malformed;
        b->view->incomplete = incomplete;
    }
    g_object_unref(parser);
    g_object_unref(hs);
    return part;
}

/* Build the view of stream, size bytes; data: the same bytes in memory,
 * or NULL. */
static int
sg_build_stream(GMimeStream *stream, const char *data, size_t size,
                const struct sg_extract_opts *x, struct sg_msgview **view_r,
                const char **error_r)
{
    struct sg_build b = {.view = sg_msgview_new(), .extract = x};
    if (b.view == NULL) {
        *error_r = SG_ERR_NOMEM;
        return -1;
    }
    b.view->size = size;
    if (x != NULL && x->enabled)
        b.extract_deadline = sg_extract_now_ms() + x->message_timeout * 1000LL;
    struct sg_build *outer = sg_building;
    sg_building = &b;
    GMimeParserOptions *opts = sg_opts;
    b.opts = opts;
    GMimeParser *parser = NULL;
    GMimeMessage *msg = NULL;
    GMimeObject *part = NULL;
    struct sg_top top;
    struct sg_top_part direct;
    bool lean = sg_lean_top(&b, data, size, &top);
    bool is_direct = lean && sg_lean_direct(&top, size, &direct);
    if (lean && !is_direct) {
        part = sg_parse_lean(&b, stream, data, size, &top);
        lean = part != NULL;
    }
    if (!lean)
        msg = sg_parse_window(&b, stream, data, size, &parser);
    if (!lean && msg == NULL) {
        parser = g_mime_parser_new_with_stream(stream);
        g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
        msg = g_mime_parser_construct_message(parser, opts);
    }
    int ret = lean        ? sg_build_top(&b, &top, part, &direct, data, size)
            : msg != NULL ? sg_build_message(&b, msg)
                          : sg_build_unparsed(&b, stream);
    if (ret == 0)
        sg_mark_inline(&b);
    sg_cid_refs_free(&b.cids);
    if (lean) {
        __atomic_fetch_add(&sg_msgview_lean_built, 1, __ATOMIC_RELAXED);
        if (is_direct)
            __atomic_fetch_add(&sg_msgview_direct_built, 1,
                               __ATOMIC_RELAXED);
        sg_top_free(&top);
    }
    if (part != NULL)
        g_object_unref(part);
    if (msg != NULL)
        g_object_unref(msg);
    if (parser != NULL)
        g_object_unref(parser);
    sg_building = outer;
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
    /* GMime reads the caller's bytes where they are, through a byte array
     * that borrows them, instead of a copy of the whole message (which
     * g_mime_stream_mem_new_with_buffer makes).  The parser only reads;
     * the stream does not own the array, and the array is dismantled
     * below without freeing the bytes, after every object made from the
     * stream is gone (sg_build_stream unrefs them all). */
    GByteArray *borrowed = NULL;
    GMimeStream *stream;
    if (len > 0 && len <= G_MAXUINT) {
        borrowed = g_byte_array_new_take((guint8 *)(uintptr_t)data, len);
        stream = g_mime_stream_mem_new_with_byte_array(borrowed);
        g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    } else
        stream = len > 0 ? g_mime_stream_mem_new_with_buffer(data, len)
                         : g_mime_stream_mem_new();
    int ret = sg_build_stream(stream, data, len, x, view_r, error_r);
    g_object_unref(stream);
    if (borrowed != NULL)
        (void)g_byte_array_free(borrowed, FALSE); /* the bytes stay */
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
    /* The file mapped is read as the daemon reads a message held in
     * memory, by the same code (the lean view, the window), and the
     * bytes are in memory once, as the page cache's.  The daemon's spill
     * file is its own, unlinked: nothing else can shorten it under the
     * mapping.  A file that cannot be mapped (one that says it is empty,
     * as /proc's do, one open only for writing) or is past what a memory
     * stream can hold, GMime reads through the descriptor. */
    if (st.st_size > 0 && (uint64_t)st.st_size <= G_MAXUINT) {
        size_t size = (size_t)st.st_size;
        void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED) {
            int ret = sg_msgview_build_mem_extract(map, size, x, view_r,
                                                   error_r);
            munmap(map, size);
            return ret;
        }
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
    int ret = sg_build_stream(stream, NULL, (size_t)st.st_size, x, view_r,
                              error_r);
    g_object_unref(stream);
    return ret;
}

void
sg_msgview_build_init(void)
{
    g_mime_init();
    xmlInitParser();
    if (sg_opts == NULL) {
        static const char *fallback[] = {"UTF-8", "windows-1252", NULL};
        sg_opts = g_mime_parser_options_new();
        g_mime_parser_options_set_fallback_charsets(sg_opts, fallback);
        g_mime_parser_options_set_warning_callback(sg_opts, sg_parser_warning,
                                                   NULL);
    }
}

void
sg_msgview_build_shutdown(void)
{
    if (sg_opts != NULL)
        g_mime_parser_options_free(sg_opts);
    sg_opts = NULL;
    g_mime_shutdown();
    xmlCleanupParser();
}
