/*
 * bench_util.h - what the in-process benchmarks share: dying with the
 * program's name, memory that cannot fail, a monotonic clock, appending to
 * a message being built, and quoted-printable.
 */
#ifndef SG_BENCH_UTIL_H
#define SG_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "sg_buf.h"

/* The program's name for messages (set first thing in main). */
extern const char *sg_bench_name;

/* "NAME: message" on standard error, then exit(1). */
void sg_bench_die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
void *sg_bench_xmalloc(size_t size);
char *sg_bench_xstrdup(const char *s);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t sg_bench_now_ns(void);

/* Append to b, or die: a benchmark's input is never cut short. */
void sg_put(struct sg_buf *b, const char *s);
void sg_putf(struct sg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s (len bytes) as quoted-printable, lines of at most 76 characters;
 * CRLF in s stays a line break. */
void sg_qp(struct sg_buf *out, const char *s, size_t len);

#endif
