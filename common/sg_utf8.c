/*
 * sg_utf8.c - strict UTF-8 decoding (RFC 3629).
 *
 * SECURITY: text here is often attacker-controlled; overlong forms and
 * surrogates are rejected so that no two byte strings decode alike.
 * Pure function; no failure beyond "not valid".
 */
#include "config.h"

#include "sg_utf8.h"

size_t
sg_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp_r)
{
    uint32_t c = s[0];
    size_t len;
    uint32_t min;
    if (c < 0x80) {
        if (cp_r != NULL)
            *cp_r = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    if (cp_r != NULL)
        *cp_r = c;
    return len;
}
