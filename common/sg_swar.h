/*
 * sg_swar.h - eight bytes at a time in one 64-bit word, for the loops that
 * read every byte of a text (UTF-8 validation, the HTML reduction,
 * normalisation, the spelt-out address search).  The first byte is the
 * lowest of the word on every machine, so that a byte's flag is bit
 * 8k + 7 for the byte k places on.  Each test below but sg_swar_any_zero
 * is exact: it sets 0x80 in each byte it holds for and in no other (no
 * carry crosses a byte).
 */
#ifndef SG_SWAR_H
#define SG_SWAR_H

#include <stdint.h>
#include <string.h>

#define SG_SWAR_ONES UINT64_C(0x0101010101010101)
#define SG_SWAR_HIGH UINT64_C(0x8080808080808080)
#define SG_SWAR_LOW7 UINT64_C(0x7F7F7F7F7F7F7F7F)

/* Eight bytes from p (any alignment), the first in the lowest byte. */
static inline uint64_t
sg_load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* The eight bytes of w to d, the lowest first (sg_load8's inverse). */
static inline void
sg_store8(char *d, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    memcpy(d, &w, sizeof(w));
}

/* 0x80 in each byte of w that is zero. */
static inline uint64_t
sg_swar_zero(uint64_t w)
{
    return ~(((w & SG_SWAR_LOW7) + SG_SWAR_LOW7) | w | SG_SWAR_LOW7);
}

/* Non-zero when some byte of w is zero (cheaper than sg_swar_zero, for a
 * yes or no: which flags are set above the first zero byte is not said). */
static inline uint64_t
sg_swar_any_zero(uint64_t w)
{
    return (w - SG_SWAR_ONES) & ~w & SG_SWAR_HIGH;
}

/* 0x80 in each byte of w equal to c. */
static inline uint64_t
sg_swar_eq(uint64_t w, unsigned char c)
{
    return sg_swar_zero(w ^ (SG_SWAR_ONES * c));
}

/* 0x80 in each byte of w below n (n at most 0x80). */
static inline uint64_t
sg_swar_below(uint64_t w, unsigned char n)
{
    return ~(((w & SG_SWAR_LOW7) + SG_SWAR_ONES * (unsigned char)(0x80 - n)) |
             w) &
           SG_SWAR_HIGH;
}

#endif
