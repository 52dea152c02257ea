/*
 * sg_buf.h - a growable byte buffer, always NUL-terminated.
 *
 * SECURITY: every append checks for size overflow.  Fails by returning -1
 * (allocation) and leaving the buffer as it was.
 */
#ifndef SG_BUF_H
#define SG_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct sg_buf {
    char *data; /* NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
};

#define SG_BUF_INIT {NULL, 0, 0}

int sg_buf_reserve(struct sg_buf *buf, size_t extra);
int sg_buf_append(struct sg_buf *buf, const void *data, size_t len);
int sg_buf_puts(struct sg_buf *buf, const char *s);
int sg_buf_putc(struct sg_buf *buf, char c);
int sg_buf_printf(struct sg_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int sg_buf_vprintf(struct sg_buf *buf, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void sg_buf_reset(struct sg_buf *buf); /* length 0, keeps memory */
void sg_buf_free(struct sg_buf *buf);
/* Hand the contents to the caller (never NULL on success: "" when empty);
 * the buffer is left empty.  NULL on allocation failure. */
char *sg_buf_steal(struct sg_buf *buf);

/* Grow the array *arr of elem-sized items (capacity *cap) to hold n + 1,
 * doubling from 16; new items are zeroed.  0, or -1 with *arr unchanged
 * when out of memory. */
int sg_array_grow(void **arr, size_t *cap, size_t n, size_t elem);

#endif
