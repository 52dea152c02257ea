/*
 * bytes.h - the classes of ASCII bytes the detectors' C loops test (what
 * isdigit, isalpha and isalnum say in the C locale, whatever the locale
 * is): one definition of each, in a compare or a look-up.  librules
 * internal.
 */
#ifndef SG_RULES_BYTES_H
#define SG_RULES_BYTES_H

#include <stdbool.h>

/* 0-9 */
static inline bool
sg_ascii_digit(unsigned char c)
{
    return (unsigned char)(c - '0') < 10;
}

/* A-Z, a-z */
static inline bool
sg_ascii_alpha(unsigned char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

/* 0-9, A-Z, a-z: one look-up (the loops over every byte test it most) */
static const bool sg_ascii_alnum_table[256] = {
    ['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
};

static inline bool
sg_ascii_alnum(unsigned char c)
{
    return sg_ascii_alnum_table[c];
}

#endif
