/*
 * charset.h - text in any charset made valid UTF-8 (invalid bytes and NUL
 * become U+FFFD), as the message view builder hands every string out.
 * Call sg_msgview_build_init() first (GMime's iconv cache).
 */
#ifndef SG_CHARSET_H
#define SG_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_buf.h"

/* Bytes in a declared (or absent) charset to valid UTF-8, appended to out
 * (stopping once out holds limit bytes or more).  UTF-8 keeps its bytes
 * with invalid ones replaced; no, unknown or ASCII charset means UTF-8
 * when it validates, else windows-1252; ISO-8859-1 is read as
 * windows-1252.  0, or -1 out of memory. */
int sg_text_to_utf8(const char *charset, const char *data, size_t len,
                    size_t limit, struct sg_buf *out);

/* sg_text_to_utf8 (with no limit), then sg_crlf_to_lf on out: the same
 * text, in one pass over the bytes when they are valid UTF-8 in UTF-8,
 * ASCII or no declared charset (most text).  out must be empty.  0, or
 * -1 out of memory. */
int sg_text_to_utf8_lf(const char *charset, const char *data, size_t len,
                       struct sg_buf *out);

/* Append data to out with every invalid UTF-8 sequence (and NUL) replaced
 * by U+FFFD, stopping once out holds limit bytes or more.  0, or -1. */
int sg_utf8_append_valid(struct sg_buf *out, const char *data, size_t len,
                         size_t limit);

/* Is len bytes at data valid UTF-8 without NUL? */
bool sg_utf8_valid(const char *data, size_t len);

/* Make buf valid UTF-8 in place; never leaves data NULL.  0, or -1. */
int sg_utf8_make_valid(struct sg_buf *buf);

/* A valid UTF-8 copy of n bytes at s, or of the string s (NULL gives
 * NULL); NULL out of memory.  Free with free(). */
char *sg_utf8_ndup(const char *s, size_t n);
char *sg_utf8_dup(const char *s);

/* Drop the CR of every CRLF, in place (a CR on its own stays). */
void sg_crlf_to_lf(struct sg_buf *s);

#endif
