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

#include <stdint.h>
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

/* The bytes GMime keeps a part's content in, when it keeps them in
 * memory (a message parsed from memory: the content is a window on the
 * message's buffer): *data_r, *len_r and true; else false.  These are
 * the bytes that reading the content's stream from its start gives. */
static bool
sg_part_in_memory(GMimePart *part, const char **data_r, size_t *len_r)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    GMimeStream *src = content != NULL ? g_mime_data_wrapper_get_stream(content)
                                       : NULL;
    if (src == NULL || !GMIME_IS_STREAM_MEM(src))
        return false;
    GByteArray *array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(src));
    if (array == NULL)
        return false;
    gint64 end = src->bound_end, start = src->bound_start;
    if (end < 0 || end > (gint64)array->len)
        end = (gint64)array->len;
    if (start < 0 || start > end)
        start = end;
    *data_r = (const char *)array->data + start;
    *len_r = (size_t)(end - start);
    return true;
}

/* A borrowed view of len bytes at data (see sg_part_sent). */
static void
sg_borrow(struct sg_buf *out, const char *data, size_t len)
{
    out->data = (char *)(uintptr_t)data;
    out->len = len;
    out->cap = 0;
    out->failed = false;
}

void
sg_bytes_sent(const char *data, size_t len, size_t cap, struct sg_buf *out,
              size_t *size_r)
{
    *size_r = len;
    sg_borrow(out, data, len < cap ? len : cap);
}

int
sg_part_sent(struct sg_build *b, GMimePart *part, size_t cap,
             struct sg_buf *out, size_t *size_r)
{
    const char *data;
    size_t len;
    if (!sg_part_in_memory(part, &data, &len))
        return sg_part_read(b, part, false, cap, out, size_r);
    sg_bytes_sent(data, len, cap, out, size_r);
    return 0;
}

/* The value of each byte of the base64 alphabet, 0xff for the others. */
static const unsigned char sg_b64_rank[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
     52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
    255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
     15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
    255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
     41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};

/* GMime's base64 decoding (g_mime_encoding_base64_decode_step) of all of
 * in[0, len): the bytes outside the alphabet are skipped, the first '='
 * ends the data.  Writes the first cap bytes of the result to out and
 * returns the length of all of it, so that a part's size is known
 * without decoding what is not kept. */
static size_t
sg_base64_decode(const unsigned char *in, size_t len, unsigned char *out,
                 size_t cap)
{
    const unsigned char *rank = sg_b64_rank;
    size_t o = 0, i = 0;
    uint32_t saved = 0;
    unsigned n = 0;
    while (i < len && o < cap) {
        /* four letters that start a group: three bytes at once */
        if (n == 0 && len - i >= 4 && cap - o >= 3) {
            unsigned r0 = rank[in[i]], r1 = rank[in[i + 1]],
                     r2 = rank[in[i + 2]], r3 = rank[in[i + 3]];
            if ((r0 | r1 | r2 | r3) < 64) {
                uint32_t v = r0 << 18 | r1 << 12 | r2 << 6 | r3;
                out[o] = (unsigned char)(v >> 16);
                out[o + 1] = (unsigned char)(v >> 8);
                out[o + 2] = (unsigned char)v;
                o += 3;
                i += 4;
                continue;
            }
        }
        unsigned r = rank[in[i++]];
        if (r == 0xff) {
            if (in[i - 1] == '=') {
                i--;
                goto end;
            }
            continue;
        }
        saved = saved << 6 | r;
        if (++n == 4) {
            for (int k = 2; k >= 0; k--, o++)
                if (o < cap)
                    out[o] = (unsigned char)(saved >> (8 * k));
            saved = 0;
            n = 0;
        }
    }
    for (; i < len; i++) { /* past cap: only counted */
        while (n == 0 && len - i >= 4 &&
               (rank[in[i]] | rank[in[i + 1]] | rank[in[i + 2]] |
                rank[in[i + 3]]) < 64) {
            o += 3;
            i += 4;
        }
        if (i == len)
            break;
        if (rank[in[i]] != 0xff) {
            n = (n + 1) & 3;
            o += n == 0 ? 3 : 0;
        } else if (in[i] == '=') {
            break;
        }
    }
end:
    /* a '=' after two or three letters ends a last group of 1 or 2
     * bytes; otherwise letters left over give nothing */
    if (i < len && n > 1) {
        saved <<= 6 * (4 - n);
        for (unsigned k = 0; k < n - 1; k++, o++)
            if (o < cap)
                out[o] = (unsigned char)(saved >> (16 - 8 * k));
    }
    return o;
}

/* GMime's quoted-printable decoding (g_mime_encoding_quoted_decode_step)
 * of all of in[0, len), into out (room for len bytes): "=XY" of two hex
 * digits is the byte, "=" before LF or CRLF a soft line break, "=" with
 * two other bytes stays as it is, and a '=' with fewer than two bytes
 * after it at the end is dropped.  Copies the runs between '='s whole. */
static size_t
sg_qp_decode(const unsigned char *in, size_t len, unsigned char *out)
{
    size_t o = 0, i = 0;
    while (i < len) {
        const unsigned char *eq = memchr(in + i, '=', len - i);
        size_t run = eq != NULL ? (size_t)(eq - (in + i)) : len - i;
        memcpy(out + o, in + i, run);
        o += run;
        i += run;
        if (i + 1 >= len) /* the end, or a '=' last */
            break;
        unsigned char c1 = in[i + 1];
        if (c1 == '\n') { /* soft break, LF alone */
            i += 2;
            continue;
        }
        if (i + 2 >= len)
            break;
        unsigned char c2 = in[i + 2];
        i += 3;
        if (g_ascii_isxdigit(c1) && g_ascii_isxdigit(c2))
            out[o++] = (unsigned char)(g_ascii_xdigit_value((char)c1) << 4 |
                                       g_ascii_xdigit_value((char)c2));
        else if (c1 != '\r' || c2 != '\n') {
            out[o++] = '=';
            out[o++] = c1;
            out[o++] = c2;
        }
    }
    return o;
}

int
sg_part_decoded(struct sg_build *b, GMimePart *part, size_t cap,
                struct sg_buf *out, size_t *size_r)
{
    const char *data;
    size_t len;
    GMimeContentEncoding enc = sg_part_encoding(part);
    bool base64 = enc == GMIME_CONTENT_ENCODING_BASE64;
    bool other = enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
                 enc == GMIME_CONTENT_ENCODING_UUENCODE;
    if (other || !sg_part_in_memory(part, &data, &len))
        return sg_part_read(b, part, true, cap, out, size_r);
    if (!base64) { /* as sent is as decoded */
        *size_r = len;
        sg_borrow(out, data, len < cap ? len : cap);
        return 0;
    }
    size_t keep = len / 4 * 3 + 3; /* at most what len letters give */
    keep = keep < cap ? keep : cap;
    if (sg_buf_reserve(out, keep) < 0)
        return sg_fail(b, SG_ERR_NOMEM);
    *size_r = sg_base64_decode((const unsigned char *)data, len,
                               (unsigned char *)out->data, keep);
    out->len = *size_r < keep ? *size_r : keep;
    out->data[out->len] = '\0';
    return 0;
}

size_t
sg_part_head(GMimePart *part, unsigned char *head, size_t n)
{
    const char *data;
    size_t len;
    GMimeContentEncoding enc = sg_part_encoding(part);
    bool base64 = enc == GMIME_CONTENT_ENCODING_BASE64;
    if (enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        enc == GMIME_CONTENT_ENCODING_UUENCODE ||
        !sg_part_in_memory(part, &data, &len))
        return SIZE_MAX;
    if (!base64) { /* as sent is as decoded */
        size_t k = len < n ? len : n;
        memcpy(head, data, k);
        return k;
    }
    /* the first letters only: decoding is in order, so what a prefix
     * gives is the start of what all of it gives, and all of it when the
     * prefix is the whole or gave n bytes; bytes outside the alphabet
     * (line breaks) make a prefix give less */
    size_t prefix = len < SG_PART_HEAD_LETTERS ? len : SG_PART_HEAD_LETTERS;
    size_t got = sg_base64_decode((const unsigned char *)data, prefix, head, n);
    if (got >= n)
        return n;
    return prefix == len ? got : SIZE_MAX;
}

void
sg_part_release(struct sg_buf *buf)
{
    if (buf->cap > 0)
        sg_buf_free(buf);
    *buf = (struct sg_buf)SG_BUF_INIT;
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
    if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
        enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
        /* each gives at most a byte for each byte in */
        if (sg_buf_reserve(out, len) < 0)
            return -1;
        unsigned char *to = (unsigned char *)out->data;
        const unsigned char *from = (const unsigned char *)data;
        out->len = enc == GMIME_CONTENT_ENCODING_BASE64
                       ? sg_base64_decode(from, len, to, len)
                       : sg_qp_decode(from, len, to);
        out->data[out->len] = '\0';
        return 0;
    }
    g_mime_encoding_init_decode(&state, enc);
    if (enc == GMIME_CONTENT_ENCODING_UUENCODE) {
        /* in may be a window on a larger buffer: no NUL at its end */
        const char *p = data;
        while (p != NULL && (len - (size_t)(p - data) < 6 ||
                             memcmp(p, "begin ", 6) != 0)) {
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
        const unsigned char *s = (const unsigned char *)sent->data;
        for (size_t i = 0; i < sent->len; i++) {
            unsigned char c = s[i];
            if (sg_b64_rank[c] != 0xff) { /* a letter of the alphabet */
                if (padded)
                    return true;
            } else if (c == '=') {
                padded = true;
            } else if (!g_ascii_isspace(c)) {
                return true;
            }
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
