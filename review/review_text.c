/*
 * review_text.c - text from held mail, made safe to show: terminal
 * escapes neutralised, findings located for marking, ages written for
 * people.
 *
 * SECURITY: everything here handles attacker-controlled text.  Nothing is
 * interpreted: HTML was already reduced to text by the view builder, and
 * here every control character (which could move a terminal's cursor,
 * change its title or hide text) and every bidirectional override (which
 * could reorder what the reader sees) is shown as a visible escape.
 * Bounded work: marking is O(text x findings) with findings bounded by
 * the record.
 *
 * Fails only on allocation (-1).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review_int.h"
#include "sg_utf8.h"

static bool
match_at(const char *text, size_t len, size_t at, const char *needle,
         size_t nlen)
{
    if (nlen > len - at)
        return false;
    for (size_t i = 0; i < nlen; i++) {
        unsigned char t = (unsigned char)text[at + i];
        /* findings show a line break or tab inside them as a space (a
         * number wrapped onto the next line) */
        if (needle[i] == ' ' && (t == '\n' || t == '\r' || t == '\t'))
            continue;
        if (tolower(t) != tolower((unsigned char)needle[i]))
            return false;
    }
    return true;
}

int
sg_review_find_marks(const char *text, size_t len,
                     const struct sg_store_finding *findings, size_t n_findings,
                     struct sg_span **spans_r, size_t *n_r,
                     const char **error_r)
{
    struct sg_span *spans = NULL;
    size_t n = 0, cap = 0;
    size_t i = 0;
    while (i < len) {
        /* the longest finding that starts here */
        size_t best = 0;
        for (size_t f = 0; f < n_findings; f++) {
            const char *t = findings[f].text;
            size_t tl = t != NULL ? strlen(t) : 0;
            if (tl > best && match_at(text, len, i, t, tl))
                best = tl;
        }
        if (best == 0) {
            i++;
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct sg_span *ns = realloc(spans, nc * sizeof(*ns));
            if (ns == NULL) {
                free(spans);
                return sg_review_fail(error_r, "out of memory");
            }
            spans = ns;
            cap = nc;
        }
        spans[n].start = i;
        spans[n].end = i + best;
        n++;
        i += best;
    }
    *spans_r = spans;
    *n_r = n;
    return 0;
}

void
sg_review_format_age(time_t t, char *buf, size_t size)
{
    if (t < 0)
        t = 0;
    long long d = t / 86400, h = (t % 86400) / 3600, m = (t % 3600) / 60;
    if (d > 0)
        snprintf(buf, size, "%lldd %02lldh", d, h);
    else if (h > 0)
        snprintf(buf, size, "%lldh %02lldm", h, m);
    else
        snprintf(buf, size, "%lldm", m);
}
