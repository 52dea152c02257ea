/*
 * sg_expand.c - the {placeholder} syntax (see sg_expand.h).
 *
 * SECURITY: the texts are the school's (templates, rules, settings); the
 * values come from mail, and are made safe by the callers' value
 * functions.  A placeholder is read within SG_EXPAND_NAME_MAX bytes of one
 * line, so a stray '{' never makes the scan run on.
 */
#include "config.h"

#include <string.h>

#include "sg_expand.h"

/* The placeholder starting at p ('{', not "{{"): the index of its name in
 * names, or -1 with *bad_r filled. */
static long
placeholder_at(const char *p, const char *const names[],
               struct sg_expand_bad *bad_r)
{
    const char *end = p + 1;
    while (*end != '\0' && *end != '}' && *end != '\n' &&
           end - p < SG_EXPAND_NAME_MAX)
        end++;
    size_t len = (size_t)(end - p - 1);
    *bad_r = (struct sg_expand_bad){p, len, *end != '}'};
    if (*end != '}')
        return -1;
    for (size_t i = 0; names[i] != NULL; i++)
        if (strlen(names[i]) == len && memcmp(names[i], p + 1, len) == 0)
            return (long)i;
    return -1;
}

/* Bytes of literal text at p, up to the next brace. */
static size_t
literal_len(const char *p)
{
    return strcspn(p, "{}");
}

int
sg_expand_check(const char *text, const char *const names[],
                struct sg_expand_bad *bad_r)
{
    for (const char *p = text; *(p += literal_len(p)) != '\0';) {
        if (p[0] == p[1]) { /* "{{" or "}}" */
            p += 2;
        } else if (p[0] == '}') {
            p++;
        } else {
            if (placeholder_at(p, names, bad_r) < 0)
                return -1;
            p += bad_r->name_len + 2;
        }
    }
    return 0;
}

int
sg_expand(struct sg_buf *b, const char *text, const char *const names[],
          sg_expand_value_fn *value, sg_expand_text_fn *put_text, void *ctx)
{
    for (const char *p = text; *p != '\0';) {
        size_t len = literal_len(p);
        if (len == 0 && p[0] == '{' && p[1] != '{') {
            struct sg_expand_bad at;
            long i = placeholder_at(p, names, &at);
            if (i < 0 || value(b, (size_t)i, ctx) < 0)
                return -1;
            p += at.name_len + 2;
            continue;
        }
        size_t skip = len;
        if (len == 0) /* "{{", "}}" or a lone "}": one brace */
            skip = (len = 1) + (p[0] == p[1]);
        int r = put_text != NULL ? put_text(b, p, len, ctx)
                                 : sg_buf_append(b, p, len);
        if (r < 0)
            return -1;
        p += skip;
    }
    return 0;
}
