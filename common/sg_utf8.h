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

#endif
