/*
 * rules_util.c - small helpers every librules file uses: string vectors.
 * (Error messages: common/sg_error.h, through sg_rules_errorf.)
 *
 * Fails: sg_rules_strv_add returns -1 when memory runs out; nothing else fails.
 */
#include "config.h"

#include <stdio.h>
#include <strings.h>

#include "rules_int.h"

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

size_t
sg_rules_strv_index_ci(const struct strv *s, const char *value)
{
    size_t i = 0;
    while (i < s->n && strcasecmp(s->v[i], value) != 0)
        i++;
    return i;
}

bool
sg_rules_strv_has_ci(const struct strv *s, const char *value)
{
    return sg_rules_strv_index_ci(s, value) < s->n;
}
