/*
 * sg_utf8.c - strict UTF-8 decoding (RFC 3629), and cutting UTF-8 text
 * at a character boundary.
 *
 * SECURITY: text here is often attacker-controlled; overlong forms and
 * surrogates are rejected so that no two byte strings decode alike.
 * Pure function; no failure beyond "not valid".
 */
#include "config.h"

#include <stdbool.h>

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

static bool
is_continuation(char c)
{
    return ((unsigned char)c & 0xc0) == 0x80;
}

/* How many bytes the character whose lead byte is c has (1 for a byte
 * that cannot lead: it stands alone). */
static size_t
lead_length(unsigned char c)
{
    return c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

size_t
sg_utf8_cut(const char *s, size_t len, size_t max)
{
    size_t end = len < max ? len : max;
    size_t lead = end;
    while (lead > 0 && is_continuation(s[lead - 1]))
        lead--;
    if (lead == 0) /* only continuation bytes: no character fits */
        return 0;
    lead--; /* s[lead] is the last character's lead byte */
    return end - lead >= lead_length((unsigned char)s[lead]) ? end : lead;
}

size_t
sg_utf8_next(const char *s, size_t len, size_t i)
{
    i++;
    while (i < len && is_continuation(s[i]))
        i++;
    return i;
}
