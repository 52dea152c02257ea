/*
 * sg_buf.h - a growable byte buffer, always NUL-terminated.
 *
 * SECURITY: every append checks for size overflow.  Failure is sticky:
 * once an append fails (allocation, or a size that would overflow), the
 * buffer remembers it, keeps the text it had, and every later append is a
 * no-op returning -1.  So callers append freely and check once at the end,
 * with sg_buf_failed() or through sg_buf_steal() returning NULL; a text
 * with a piece missing is never mistaken for the whole.
 */
#ifndef SG_BUF_H
#define SG_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct sg_buf {
    char *data; /* NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    bool failed; /* an append failed: later ones are no-ops */
};

#define SG_BUF_INIT {NULL, 0, 0, false}

/* Each returns 0, or -1 when this or an earlier append failed. */
int sg_buf_reserve(struct sg_buf *buf, size_t extra);
int sg_buf_append(struct sg_buf *buf, const void *data, size_t len);
int sg_buf_puts(struct sg_buf *buf, const char *s);
int sg_buf_putc(struct sg_buf *buf, char c);
int sg_buf_printf(struct sg_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int sg_buf_vprintf(struct sg_buf *buf, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Append the n strings of s in turn, as sg_buf_printf with "%s" n times
 * would (a NULL one as "(null)", as glibc prints it), without reading a
 * format: for the texts made on every message. */
int sg_buf_strs(struct sg_buf *buf, const char *const *s, size_t n);
/* sg_buf_cat(buf, "a", b, "c"): sg_buf_strs over the arguments. */
#define sg_buf_cat(buf, ...)                                                   \
    sg_buf_strs((buf), (const char *const[]){__VA_ARGS__},                     \
                sizeof((const char *const[]){__VA_ARGS__}) /                   \
                    sizeof(const char *))
/* v in decimal as printf's %llu (sg_udec) or %lld (sg_dec) writes it,
 * into buf (SG_DEC_SIZE bytes), for sg_buf_cat; the text's start, in
 * buf. */
#define SG_DEC_SIZE 24
const char *sg_udec(char *buf, unsigned long long v);
const char *sg_dec(char *buf, long long v);
/* Mark the buffer failed: a piece of it could not be made elsewhere (in
 * a buffer of its own, say).  Returns -1. */
int sg_buf_fail(struct sg_buf *buf);
/* Has an append failed since the buffer was made, reset or freed? */
bool sg_buf_failed(const struct sg_buf *buf);
/* The text, or fallback when an append failed or nothing was appended:
 * for a log line or a message that has a whole-text substitute. */
const char *sg_buf_text_or(const struct sg_buf *buf, const char *fallback);
/* Length 0, keeps memory, forgets a failure: a fresh start. */
void sg_buf_reset(struct sg_buf *buf);
void sg_buf_free(struct sg_buf *buf);
/* Hand the contents to the caller (never NULL on success: "" when empty);
 * the buffer is left empty.  NULL, with the contents freed, when an append
 * failed or memory runs out now. */
char *sg_buf_steal(struct sg_buf *buf);

/* Grow the array *arr of elem-sized items (capacity *cap) to hold n + 1,
 * doubling from 16; new items are zeroed.  0, or -1 with *arr unchanged
 * when out of memory. */
int sg_array_grow(void **arr, size_t *cap, size_t n, size_t elem);

#endif
