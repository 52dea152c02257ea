/*
 * charset.c - text in a declared (or absent, or false) charset made valid
 * UTF-8, for the message view builder (see charset.h).
 *
 * SECURITY: the bytes and the charset name are the sender's.  Conversion
 * goes through GMime's iconv cache; an invalid or incomplete sequence
 * becomes U+FFFD (one input byte skipped), as does every invalid UTF-8
 * sequence and NUL, so every string handed out is valid UTF-8 without
 * NUL.  Output stops at the caller's limit; each input byte gives at most
 * three output bytes.
 *
 * Fails by returning -1 (or NULL) only when out of memory; never logs.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "scan16.h"
#include "sg_swar.h"
#include "sg_utf8.h"

#define SG_READ_CHUNK 16384 /* input bytes converted in one step */

/* ------------------------------------------------------------- UTF-8 */

/* g_utf8_validate over len bytes: strict UTF-8 (RFC 3629: no overlong
 * forms, surrogates or code points past U+10FFFF), a NUL invalid; *end_r
 * (when not NULL) is where the first invalid sequence starts.  Runs of
 * ASCII without NUL, most of most mail, are passed eight bytes at a
 * time, wherever they are. */
static bool
sg_utf8_validate(const char *data, size_t len, const char **end_r)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    while (i < len) {
        if (i + 8 <= len) {
            uint64_t w = sg_load8(data + i);
            if ((w & SG_SWAR_HIGH) == 0 && sg_swar_any_zero(w) == 0) {
                i += 8;
                continue;
            }
        }
        size_t n = s[i] == 0 ? 0 : sg_utf8_decode(s + i, len - i, NULL);
        if (n == 0)
            break;
        i += n;
    }
    if (end_r != NULL)
        *end_r = data + i;
    return i == len;
}

bool
sg_utf8_valid(const char *data, size_t len)
{
    return sg_utf8_validate(data, len, NULL);
}

/* Append data to out with every invalid UTF-8 sequence (and NUL) replaced
 * by U+FFFD, stopping once out holds limit bytes or more. */
int
sg_utf8_append_valid(struct sg_buf *out, const char *data, size_t len,
                     size_t limit)
{
    static const char repl[] = "\xEF\xBF\xBD";
    while (len > 0 && out->len < limit) {
        const char *end;
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
int
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
char *
sg_utf8_ndup(const char *s, size_t n)
{
    if (sg_utf8_validate(s, n, NULL)) { /* most headers: a plain copy */
        char *copy = n < SIZE_MAX ? malloc(n + 1) : NULL;
        if (copy != NULL) {
            memcpy(copy, s, n);
            copy[n] = '\0';
        }
        return copy;
    }
    struct sg_buf out = SG_BUF_INIT;
    if (sg_utf8_append_valid(&out, s, n, SIZE_MAX) < 0) {
        sg_buf_free(&out);
        return NULL;
    }
    return sg_buf_steal(&out);
}

char *
sg_utf8_dup(const char *s)
{
    return s != NULL ? sg_utf8_ndup(s, strlen(s)) : NULL;
}

/* Drop the CR of every CRLF, in place, moving the runs between CRs. */
void
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

/* How many bytes of the block of n (16 or 8) at s, copied to w whole,
 * come before its first CR, NUL or byte above ASCII: n when none is. */
static inline size_t
lf_block(const char *s, char *w, size_t n)
{
#ifdef SG_HAVE_SCAN16
    if (n == 16) {
        sg_v16 v = sg_load16(s);
        memcpy(w, &v, sizeof(v));
        unsigned m = sg_mask16((v < 0) | (v == 0) | (v == '\r'));
        return m == 0 ? 16 : (size_t)__builtin_ctz(m);
    }
#endif
    uint64_t v = sg_load8(s);
    sg_store8(w, v);
    uint64_t odd = (v & SG_SWAR_HIGH) | sg_swar_zero(v) | sg_swar_eq(v, '\r');
    return odd == 0 ? 8 : (size_t)__builtin_ctzll(odd) / 8;
}

/* Append len bytes at data to out with the CR of every CRLF dropped (as
 * sg_crlf_to_lf), when they are valid UTF-8 without NUL: 1; when they are
 * not, 0 with out's text as it was; -1 out of memory.  One pass does what
 * validating, copying and dropping CRs did in three: a block of sixteen
 * bytes (scan16.h; eight with sg_scan16 false or where it is not built)
 * is copied whole, and its first byte that is a CR, a NUL or above ASCII
 * is looked at on its own. */
static int
sg_utf8_append_lf(struct sg_buf *out, const char *data, size_t len)
{
    if (sg_buf_reserve(out, len) < 0)
        return -1;
    const unsigned char *s = (const unsigned char *)data;
    char *w = out->data + out->len;
    size_t block = 8;
#ifdef SG_HAVE_SCAN16
    if (sg_scan16)
        block = 16;
#endif
    size_t i = 0;
    while (i < len) {
        /* The room reserved holds a whole block from w: w - i is at most
         * where out's text ended, and i + block <= len.  The block is
         * copied, and w and i move to its first byte that is a CR, a NUL
         * or above ASCII (past it all when there is none). */
        size_t k = i + block <= len ? lf_block(data + i, w, block) : 0;
        w += k;
        i += k;
        if (k == block || i == len)
            continue;
        if (s[i] == '\r') {
            if (i + 1 == len || s[i + 1] != '\n')
                *w++ = '\r'; /* a CR on its own stays */
            i++;
            continue;
        }
        size_t n = s[i] == 0 ? 0 : sg_utf8_decode(s + i, len - i, NULL);
        if (n == 0) {
            out->data[out->len] = '\0';
            return 0;
        }
        memcpy(w, s + i, n);
        w += n;
        i += n;
    }
    out->len = (size_t)(w - out->data);
    out->data[out->len] = '\0';
    return 1;
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
int
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

int
sg_text_to_utf8_lf(const char *charset, const char *data, size_t len,
                   struct sg_buf *out)
{
    /* text that is valid UTF-8 stays as it is in these charsets */
    const char *canon = charset != NULL ? g_mime_charset_canon_name(charset)
                                        : NULL;
    if (canon == NULL || g_ascii_strcasecmp(canon, "utf-8") == 0 ||
        g_ascii_strcasecmp(canon, "us-ascii") == 0) {
        int r = sg_utf8_append_lf(out, data, len);
        if (r != 0)
            return r < 0 ? -1 : 0;
    }
    int ret = sg_text_to_utf8(charset, data, len, SIZE_MAX, out);
    sg_crlf_to_lf(out);
    return ret;
}
