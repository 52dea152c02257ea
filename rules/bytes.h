/*
 * bytes.h - the classes of ASCII bytes the detectors' C loops test (what
 * isdigit, isalpha and isalnum say in the C locale, whatever the locale
 * is): one definition of each, in a compare or two.  librules internal.
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

/* 0-9, A-Z, a-z */
static inline bool
sg_ascii_alnum(unsigned char c)
{
    return sg_ascii_digit(c) || sg_ascii_alpha(c);
}

#endif
