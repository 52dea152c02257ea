/*
 * sg_error.h - the one place a failing function leaves its error text.
 *
 * THE RULE.  A function that fails with an error string formats it with
 * sg_error_set() (or sg_error_fail()) and hands the pointer to its caller,
 * usually through a `const char **error_r`.  The text lives in one place
 * per thread, shared by every module, and stays valid in that thread until
 * the thread's next sg_error_set()/sg_error_fail(), whatever module makes
 * it.  A caller that must keep the text across another call that may fail
 * (a clean-up that can itself fail, a second operation) copies it first.
 * Another thread never sees or overwrites it.
 *
 * Wrapping is safe: an argument of sg_error_set() may be the current error
 * text itself, so `sg_error_set("store: %s", inner)` works.  The new text
 * is formatted into the thread's other slot and then becomes the current
 * one; the slot it came from is only reused by the call after.
 *
 * Messages longer than SG_ERROR_MAX - 1 bytes are cut (never overflowed).
 * No allocation, no logging: safe to call when memory has run out.
 */
#ifndef SG_ERROR_H
#define SG_ERROR_H

#include <stdarg.h>

#define SG_ERROR_MAX 1024

/* Format the thread's error text and return it. */
const char *sg_error_set(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
const char *sg_error_vset(const char *fmt, va_list ap)
    __attribute__((format(printf, 1, 0)));

/* sg_error_set(), then *error_r (when error_r is not NULL) points at the
 * text.  Returns -1, so `return sg_error_fail(error_r, ...);` fails. */
int sg_error_fail(const char **error_r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The thread's current error text ("" before the first). */
const char *sg_error_last(void);

#endif
