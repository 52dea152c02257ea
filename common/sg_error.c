/*
 * sg_error.c - the per-thread error text (see sg_error.h for the rule).
 *
 * SECURITY: formatted with vsnprintf into fixed slots, so a long message
 * (or one quoting the input) is cut, never overflowed; each thread has
 * its own slots.
 * Fails: never.
 */
#include "config.h"

#include <stdio.h>

#include "sg_error.h"

struct error_slots {
    char text[2][SG_ERROR_MAX];
    unsigned cur; /* the slot holding the current text */
};

static _Thread_local struct error_slots slots;

const char *
sg_error_vset(const char *fmt, va_list ap)
{
    /* Format into the slot that is not current: an argument may point
     * into the current text (wrapping an inner error). */
    unsigned next = slots.cur ^ 1u;
    if (vsnprintf(slots.text[next], SG_ERROR_MAX, fmt, ap) < 0)
        slots.text[next][0] = '\0';
    slots.cur = next;
    return slots.text[next];
}

const char *
sg_error_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *text = sg_error_vset(fmt, ap);
    va_end(ap);
    return text;
}

int
sg_error_fail(const char **error_r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *text = sg_error_vset(fmt, ap);
    va_end(ap);
    if (error_r != NULL)
        *error_r = text;
    return -1;
}

const char *
sg_error_last(void)
{
    return slots.text[slots.cur];
}
