/*
 * sg_buf.c - growable byte buffer.
 *
 * SECURITY: sizes are checked for overflow before every growth.
 * Fails by returning -1 with the text unchanged and the failure
 * remembered (buf->failed): later appends are no-ops, sg_buf_steal
 * returns NULL.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_buf.h"

int
sg_buf_fail(struct sg_buf *buf)
{
    buf->failed = true;
    return -1;
}

int
sg_buf_reserve(struct sg_buf *buf, size_t extra)
{
    if (buf->failed)
        return -1;
    if (extra > SIZE_MAX - buf->len - 1)
        return sg_buf_fail(buf);
    size_t need = buf->len + extra + 1;
    if (need <= buf->cap)
        return 0;
    size_t cap = buf->cap < 64 ? 64 : buf->cap;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *grown = realloc(buf->data, cap);
    if (grown == NULL)
        return sg_buf_fail(buf);
    buf->data = grown;
    buf->cap = cap;
    return 0;
}

int
sg_buf_append(struct sg_buf *buf, const void *data, size_t len)
{
    if (sg_buf_reserve(buf, len) < 0)
        return -1;
    if (len > 0)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

int
sg_buf_puts(struct sg_buf *buf, const char *s)
{
    return sg_buf_append(buf, s, strlen(s));
}

int
sg_buf_putc(struct sg_buf *buf, char c)
{
    return sg_buf_append(buf, &c, 1);
}

int
sg_buf_strs(struct sg_buf *buf, const char *const *s, size_t n)
{
    static const char null[] = "(null)";
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(s[i] != NULL ? s[i] : null);
        if (len > SIZE_MAX - total)
            return sg_buf_fail(buf);
        total += len;
    }
    if (sg_buf_reserve(buf, total) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i] != NULL ? s[i] : null;
        size_t len = strlen(p);
        memcpy(buf->data + buf->len, p, len);
        buf->len += len;
    }
    buf->data[buf->len] = '\0';
    return 0;
}

/* v's digits ending at buf's last byte (its NUL); where they start. */
static char *
digits(char *buf, unsigned long long v)
{
    char *p = buf + SG_DEC_SIZE - 1;
    *p = '\0';
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return p;
}

const char *
sg_udec(char *buf, unsigned long long v)
{
    return digits(buf, v);
}

const char *
sg_dec(char *buf, long long v)
{
    if (v >= 0)
        return digits(buf, (unsigned long long)v);
    char *p = digits(buf, 0ULL - (unsigned long long)v);
    *--p = '-';
    return p;
}

/* One vsnprintf into the room already there, and a second only when the
 * text did not fit: most pieces are short, and each vsnprintf is the
 * whole cost of formatting. */
int
sg_buf_vprintf(struct sg_buf *buf, const char *fmt, va_list ap)
{
    if (sg_buf_reserve(buf, 0) < 0)
        return -1;
    size_t room = buf->cap - buf->len; /* the NUL's byte included */
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(buf->data + buf->len, room, fmt, copy);
    va_end(copy);
    if (n >= 0 && (size_t)n < room) {
        buf->len += (size_t)n;
        return 0;
    }
    buf->data[buf->len] = '\0'; /* the text unchanged, whatever happens */
    if (n < 0)
        return sg_buf_fail(buf);
    if (sg_buf_reserve(buf, (size_t)n) < 0)
        return -1;
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    buf->len += (size_t)n;
    return 0;
}

int
sg_buf_printf(struct sg_buf *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int ret = sg_buf_vprintf(buf, fmt, ap);
    va_end(ap);
    return ret;
}

bool
sg_buf_failed(const struct sg_buf *buf)
{
    return buf->failed;
}

const char *
sg_buf_text_or(const struct sg_buf *buf, const char *fallback)
{
    return buf->failed || buf->data == NULL ? fallback : buf->data;
}

void
sg_buf_reset(struct sg_buf *buf)
{
    buf->len = 0;
    buf->failed = false;
    if (buf->data != NULL)
        buf->data[0] = '\0';
}

void
sg_buf_free(struct sg_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
    buf->failed = false;
}

char *
sg_buf_steal(struct sg_buf *buf)
{
    if (buf->failed || (buf->data == NULL && sg_buf_reserve(buf, 0) < 0)) {
        sg_buf_free(buf);
        return NULL;
    }
    char *data = buf->data;
    data[buf->len] = '\0';
    buf->data = NULL;
    buf->len = buf->cap = 0;
    return data;
}

int
sg_array_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    if (nc > SIZE_MAX / elem)
        return -1;
    void *na = realloc(*arr, nc * elem);
    if (na == NULL)
        return -1;
    memset((char *)na + *cap * elem, 0, (nc - *cap) * elem);
    *arr = na;
    *cap = nc;
    return 0;
}
