/*
 * msgview_part.c - a MIME part's content, read through bounded reads with
 * its transfer encoding undone or as sent, and what the part says of
 * itself: its type, its file name, a second Content-Type (see
 * msgview_int.h).
 *
 * SECURITY: the part is the sender's.  Reads keep at most the caller's
 * cap and only count the rest; a content cut short is said
 * (SG_INCOMPLETE_UNREADABLE), a transfer encoding that does not decode is
 * told apart so that the bytes as sent are read too; every string handed
 * out is valid UTF-8, a file name without control characters.
 *
 * Fails by returning -1 (sg_fail: the build's error) or NULL only when
 * out of memory; never logs.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "msgview_int.h"

/* ------------------------------------------------------------- parts */

/* The transfer encoding GMime found for a part's content. */
GMimeContentEncoding
sg_part_encoding(GMimePart *part)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    return content != NULL ? g_mime_data_wrapper_get_encoding(content)
                           : GMIME_CONTENT_ENCODING_DEFAULT;
}

/* Read a part's content, with its transfer encoding undone when decode
 * is true, else as sent: keep at most cap bytes in out, count all of them
 * in *size_r. */
int
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
int
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
bool
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
char *
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
char *
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

/* A text type that another Content-Type header of the part gives
 * ("text/plain"), lower case, when GMime took a later one that is not
 * text; NULL when none (or out of memory: *nomem).  A mail program may
 * take the first header and show the part as text. */
char *
sg_other_text_type(struct sg_build *b, GMimePart *part, bool *nomem)
{
    static const char *const names[] = {"Content-Type", NULL};
    int i = 0;
    const char *value;
    *nomem = false;
    while ((value = sg_header_next(GMIME_OBJECT(part), names, false, &i)) !=
           NULL) {
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
