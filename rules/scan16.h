/*
 * scan16.h - sixteen bytes at a time, for the loops that read every byte
 * of a text (normalise.c, detect_spelt.c, detect_cands.c; and core's
 * charset.c, which links librules).  GCC's vector extensions
 * (GCC and clang), which compile to SSE2 on amd64 and NEON on arm64; the
 * lanes a compare holds as a bit mask (bit k: byte k).  Each loop keeps
 * its portable form (eight bytes at a time in a 64-bit word, sg_swar.h,
 * or one) as
 * the fallback where these are not built, and the tests run both on every
 * build (sg_scan16).  librules internal, and core's.
 */
#ifndef SG_SCAN16_H
#define SG_SCAN16_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sg_swar.h" /* the fallback's eight bytes at a time */

/* Whether the loops take sixteen bytes at a time where they can (true;
 * a test sets it false to run the fallback, which must give the same).
 * Defined in normalise.c. */
extern bool sg_scan16;

#if defined(__GNUC__) && !defined(SG_NO_SCAN16) &&                          \
    defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    (defined(__SSE2__) || defined(__ARM_NEON))
#define SG_HAVE_SCAN16 1

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Sixteen bytes, signed: a compare gives -1 (all ones) or 0 per lane. */
typedef signed char sg_v16 __attribute__((vector_size(16)));
/* Sixteen unsigned bytes, for counts kept per lane: they wrap at 256
 * where a signed lane's overflow is undefined. */
typedef unsigned char sg_u16 __attribute__((vector_size(16)));

static inline sg_v16
sg_load16(const char *p)
{
    sg_v16 v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* Bit k set when lane k of m (a compare's result) is set. */
static inline unsigned
sg_mask16(sg_v16 m)
{
#ifdef __SSE2__
    return (unsigned)_mm_movemask_epi8((__m128i)m);
#else
    /* the top bit of each byte gathered into the top byte (bit 8i + 7
     * moves to bit 56 + i: no two products meet) */
    const uint64_t top = 0x8080808080808080ULL, gather = 0x0002040810204081ULL;
    uint64_t lo, hi;
    memcpy(&lo, &m, sizeof(lo));
    memcpy(&hi, (const char *)&m + sizeof(lo), sizeof(hi));
    return (unsigned)(((lo & top) * gather) >> 56) |
           (unsigned)(((hi & top) * gather) >> 56) << 8;
#endif
}
#endif

#endif
