/*
 * sg_utf8.h - UTF-8 decoding shared by the libraries and the milter.
 */
#ifndef SG_UTF8_H
#define SG_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the UTF-8 sequence at s (n > 0 bytes left).  Its length (1-4),
 * with the code point in *cp_r (may be NULL); 0 when it is not valid
 * UTF-8: a stray continuation byte, an overlong form, a surrogate, beyond
 * U+10FFFF, or cut short. */
size_t sg_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp_r);

/* The length of the longest prefix of s (len bytes) of at most max bytes
 * that does not end inside a character: len itself when len <= max and
 * the last character is whole.  The one place text is cut to a size
 * (a snprintf that cut a character, a capped finding, a wrapped line):
 * judged by the lead byte of the last character, so it needs no byte
 * after the cut.  0 when no character fits. */
size_t sg_utf8_cut(const char *s, size_t len, size_t max);

/* The offset of the character after the one at offset i: past its
 * continuation bytes, at most len when i < len (i + 1 when i >= len, so a
 * loop stepping through the text always moves on). */
size_t sg_utf8_next(const char *s, size_t len, size_t i);

#endif
