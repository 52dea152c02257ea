/*
 * bench_util.c - what the in-process benchmarks share (see bench_util.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

const char *sg_bench_name = "bench";

void
sg_bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", sg_bench_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void *
sg_bench_xmalloc(size_t size)
{
    void *p = malloc(size);
    if (p == NULL)
        sg_bench_die("out of memory");
    return p;
}

char *
sg_bench_xstrdup(const char *s)
{
    char *p = strdup(s);
    if (p == NULL)
        sg_bench_die("out of memory");
    return p;
}

uint64_t
sg_bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
sg_put(struct sg_buf *b, const char *s)
{
    if (sg_buf_puts(b, s) < 0)
        sg_bench_die("out of memory");
}

void
sg_putf(struct sg_buf *b, const char *fmt, ...)
{
    char tmp[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        sg_bench_die("internal: line too long");
    sg_put(b, tmp);
}

void
sg_qp(struct sg_buf *out, const char *s, size_t len)
{
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r' && i + 1 < len && s[i + 1] == '\n') {
            sg_put(out, "\r\n");
            col = 0;
            i++;
            continue;
        }
        char enc[4];
        if ((c >= 33 && c <= 126 && c != '=') ||
            (c == ' ' && i + 1 < len && s[i + 1] != '\r'))
            enc[0] = (char)c, enc[1] = '\0';
        else
            snprintf(enc, sizeof(enc), "=%02X", c);
        size_t el = strlen(enc);
        if (col + el > 75) {
            sg_put(out, "=\r\n");
            col = 0;
        }
        sg_put(out, enc);
        col += el;
    }
}
