/*
 * rules_util.c - small helpers every librules file uses: the thread-local
 * error message buffer and string vectors.
 *
 * SECURITY: messages are formatted with vsnprintf into a fixed buffer, so
 * a long message (or one quoting the input) is cut, never overflowed; the
 * buffer is per thread, so concurrent loads and evaluations do not mix
 * their messages.
 * Fails: sg_rules_strv_add returns -1 when memory runs out; nothing else fails.
 */
#include "config.h"

#include <stdio.h>
#include <strings.h>

#include "rules_int.h"

static _Thread_local char errbuf[1024];

const char *
sg_rules_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    return errbuf;
}

const char *
sg_rules_lasterror(void)
{
    return errbuf;
}

/* ------------------------------------------------------------ strv */
int
sg_rules_strv_add(struct strv *s, const char *value)
{
    return sg_strv_push(&s->v, &s->n, value);
}

void
sg_rules_strv_clear(struct strv *s)
{
    sg_strv_free(&s->v, &s->n);
}

bool
sg_rules_strv_has_ci(const struct strv *s, const char *value)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcasecmp(s->v[i], value) == 0)
            return true;
    return false;
}
