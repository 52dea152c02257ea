/*
 * sg_bytes.h - read unsigned integers of 1 to 4 bytes in a given byte
 * order (time zone files, image headers).  The caller has checked that
 * the bytes are there.
 */
#ifndef SG_BYTES_H
#define SG_BYTES_H

#include <stdbool.h>
#include <stdint.h>

static inline uint32_t
sg_bytes_uint(const unsigned char *p, unsigned n, bool big_endian)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[big_endian ? i : n - 1 - i];
    return v;
}

#define sg_be16(p) sg_bytes_uint((p), 2, true)
#define sg_be32(p) sg_bytes_uint((p), 4, true)
#define sg_le16(p) sg_bytes_uint((p), 2, false)
#define sg_le32(p) sg_bytes_uint((p), 4, false)

#endif
