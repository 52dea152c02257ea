/*
 * quote.c - find the earlier mail quoted in a text part (see quote.h).
 *
 * SECURITY: the text is the sender's.  A quote header is a claim: a
 * writer can forge one, so whose words a quote holds only ever lets a
 * rule leave out text it was told is someone else's (man 5
 * safeguard-rules, "not quoted"); text quoted under no header counts as
 * the writer's own.  Work is linear in the text: one pass over the lines,
 * with a look-ahead of a few lines at a header (SG_QUOTE_WINDOW lines in
 * memory at a time), and at most SG_QUOTE_MAX quotes, so a hostile
 * message cannot make many.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "quote.h"
#include "sg_utf8.h"

#define SG_QUOTE_DEPTH 16     /* quote levels told apart */
#define SG_QUOTE_LOOKAHEAD 6  /* header lines looked at after a "From:" */
#define SG_QUOTE_AUTHOR_MAX 200
#define SG_QUOTE_WINDOW 12    /* lines a header is read with (see below) */

struct sg_line {
    const char *s; /* the line after its '>' markers */
    size_t len;    /* without the LF */
    unsigned q;    /* '>' markers */
};

struct sg_who {
    char *author;
    char *addr;
};

/* '>' markers at the start of a line ("> > x", ">>x"), and one space
 * after them. */
static struct sg_line
sg_line_parse(const char *s, size_t len)
{
    struct sg_line l = {s, len, 0};
    size_t i = 0;
    while (i < len && s[i] == '>') {
        l.q++;
        i++;
        if (i + 1 < len && s[i] == ' ' && s[i + 1] == '>')
            i++;
    }
    if (l.q > 0 && i < len && s[i] == ' ')
        i++;
    l.s = s + i;
    l.len = len - i;
    return l;
}

static bool
sg_prefix_ci(const struct sg_line *l, const char *p)
{
    size_t n = strlen(p);
    return l->len >= n && strncasecmp(l->s, p, n) == 0;
}

/* The line without surrounding blanks (spaces, tabs, CR, no-break space). */
static void
sg_trim(const char **s, size_t *len)
{
    while (*len > 0 && (isspace((unsigned char)**s) ||
                        (*len >= 2 && (unsigned char)(*s)[0] == 0xc2 &&
                         (unsigned char)(*s)[1] == 0xa0))) {
        size_t k = isspace((unsigned char)**s) ? 1 : 2;
        *s += k;
        *len -= k;
    }
    while (*len > 0 && (isspace((unsigned char)(*s)[*len - 1]) ||
                        (*len >= 2 && (unsigned char)(*s)[*len - 2] == 0xc2 &&
                         (unsigned char)(*s)[*len - 1] == 0xa0)))
        *len -= isspace((unsigned char)(*s)[*len - 1]) ? 1 : 2;
}

static bool
sg_ends_wrote(const char *s, size_t len)
{
    sg_trim(&s, &len);
    return len >= 6 && strncasecmp(s + len - 6, "wrote:", 6) == 0;
}

static bool
sg_blank(const struct sg_line *l)
{
    const char *s = l->s;
    size_t len = l->len;
    sg_trim(&s, &len);
    return len == 0;
}

static bool
sg_addr_char(unsigned char c, bool domain)
{
    return isalnum(c) || c == '.' || c == '-' ||
           (!domain && (c == '_' || c == '+' || c == '%' || c == '\''));
}

/* The first address in s[0, len), lower case, or NULL (and *nomem). */
static char *
sg_find_addr(const char *s, size_t len, bool *nomem)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '@')
            continue;
        size_t a = i, e = i + 1;
        while (a > 0 && sg_addr_char((unsigned char)s[a - 1], false))
            a--;
        while (e < len && sg_addr_char((unsigned char)s[e], true))
            e++;
        while (e > i + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
            e--;
        if (a == i || e == i + 1 || memchr(s + i + 1, '.', e - i - 1) == NULL)
            continue;
        char *addr = strndup(s + a, e - a);
        if (addr == NULL) {
            *nomem = true;
            return NULL;
        }
        for (char *p = addr; *p != '\0'; p++)
            *p = (char)tolower((unsigned char)*p);
        return addr;
    }
    return NULL;
}

/* Who a header names: author is s[0, len) trimmed and capped (whole UTF-8
 * characters), addr the address in it.  0, or -1 out of memory. */
static int
sg_who_set(struct sg_who *w, const char *s, size_t len)
{
    bool nomem = false;
    sg_trim(&s, &len);
    len = sg_utf8_cut(s, len, SG_QUOTE_AUTHOR_MAX);
    w->addr = sg_find_addr(s, len, &nomem);
    w->author = len > 0 ? strndup(s, len) : NULL;
    for (char *p = w->author; p != NULL && *p != '\0'; p++)
        if ((unsigned char)*p < 0x20) /* a wrapped header: one line */
            *p = ' ';
    if (nomem || (len > 0 && w->author == NULL)) {
        free(w->addr);
        free(w->author);
        w->addr = w->author = NULL;
        return -1;
    }
    return 0;
}

static void
sg_who_clear(struct sg_who *w)
{
    free(w->author);
    free(w->addr);
    w->author = w->addr = NULL;
}

/* An attribution: "On <date>, Amy Patel <amy@x> wrote:" on one line or
 * wrapped onto the next (at the same quote depth), or "<someone> wrote:"
 * right before deeper quoted lines.  Returns the lines it takes (0: not
 * one) and sets *w to the part naming the author. */
static size_t
sg_attribution(const struct sg_line *ls, size_t n, size_t i, const char **who,
               size_t *who_len)
{
    const struct sg_line *l = &ls[i];
    size_t take = 0;
    const char *s = l->s;
    size_t len = l->len;
    if (len > 400)
        return 0;
    if (sg_prefix_ci(l, "On ") && sg_ends_wrote(s, len)) {
        take = 1;
    } else if (sg_prefix_ci(l, "On ") && i + 1 < n && ls[i + 1].q == l->q &&
               ls[i + 1].len < 200 && sg_ends_wrote(ls[i + 1].s,
                                                     ls[i + 1].len)) {
        take = 2; /* wrapped: "On ... <amy@x>" then "wrote:" */
        len = (size_t)(ls[i + 1].s + ls[i + 1].len - s);
    } else if (sg_ends_wrote(s, len) && len < 200) {
        size_t k = i + 1;
        while (k < n && k < i + 3 && ls[k].q == l->q && sg_blank(&ls[k]))
            k++;
        if (k < n && ls[k].q > l->q)
            take = 1;
    }
    if (take == 0)
        return 0;
    sg_trim(&s, &len);
    len -= 6; /* "wrote:" */
    /* the author is after the date: after the last ", " before any '<' */
    const char *lt = memchr(s, '<', len);
    size_t upto = lt != NULL ? (size_t)(lt - s) : len;
    size_t from = 0;
    for (size_t k = 0; k + 1 < upto; k++)
        if (s[k] == ',' && s[k + 1] == ' ')
            from = k + 2;
    if (from == 0 && sg_prefix_ci(l, "On "))
        from = 3;
    *who = s + from;
    *who_len = len - from;
    return take;
}

/* Does an attribution stand outside the quote it names (Gmail,
 * Thunderbird: the quoted lines that follow are one level deeper), or is
 * it the quote's first line (Apple Mail: they are as deep as it is, as
 * is any attribution not followed by quoted lines)?  1 outside, else 0.
 * next is the line after it. */
static unsigned
sg_attribution_outside(const struct sg_line *ls, size_t n, size_t next)
{
    unsigned q = ls[next - 1].q;
    size_t k = next;
    while (k < n && k < next + 3 && ls[k].q == q && sg_blank(&ls[k]))
        k++;
    return k < n && ls[k].q > q ? 1 : q == 0 ? 1 : 0;
}

static bool
sg_header_line(const struct sg_line *l)
{
    static const char *const names[] = {
        "From:", "Sent:", "Date:", "To:", "Cc:", "Subject:", "Reply-To:",
        "Importance:", NULL
    };
    for (size_t k = 0; names[k] != NULL; k++)
        if (sg_prefix_ci(l, names[k]))
            return true;
    return false;
}

static bool
sg_marker_line(const struct sg_line *l)
{
    const char *s = l->s;
    size_t len = l->len;
    sg_trim(&s, &len);
    if (len > 80)
        return false;
    if (len >= 23 && strncasecmp(s, "Begin forwarded message", 23) == 0)
        return true;
    if (len < 3 || s[0] != '-')
        return false;
    char buf[81];
    memcpy(buf, s, len);
    buf[len] = '\0';
    return strcasestr(buf, "original message") != NULL ||
           strcasestr(buf, "forwarded message") != NULL;
}

/* A reply or forward header block: a marker line and/or "From:" with
 * "Sent:" or "Date:" and "To:" or "Subject:" among the header lines that
 * follow.  Returns the lines it takes (0: not one); *from is its "From:"
 * line or NULL. */
static size_t
sg_reply_block(const struct sg_line *ls, size_t n, size_t i,
               const struct sg_line **from)
{
    size_t k = i;
    bool marker = sg_marker_line(&ls[i]);
    if (marker) /* Apple Mail leaves a blank line after it */
        for (k++; k < n && k < i + 3 && ls[k].q == ls[i].q && sg_blank(&ls[k]);)
            k++;
    else if (!sg_prefix_ci(&ls[i], "From:"))
        return 0;
    bool date = false, to = false;
    *from = NULL;
    size_t end = k;
    while (end < n && end < k + SG_QUOTE_LOOKAHEAD && ls[end].q == ls[i].q &&
           sg_header_line(&ls[end])) {
        const struct sg_line *h = &ls[end];
        if (sg_prefix_ci(h, "From:") && *from == NULL)
            *from = h;
        date = date || sg_prefix_ci(h, "Sent:") || sg_prefix_ci(h, "Date:");
        to = to || sg_prefix_ci(h, "To:") || sg_prefix_ci(h, "Subject:");
        end++;
    }
    if (marker)
        return end - i;
    return date && to && *from == &ls[i] ? end - i : 0;
}

struct sg_split {
    struct sg_quote *q;
    size_t n;
    int err;
};

/* The quote for who, found or added.  Named quotes take at most
 * SG_QUOTE_MAX - 1 places, so that the nameless one always has one: text
 * of further authors goes there, and so counts as the writer's own. */
static struct sg_quote *
sg_quote_for(struct sg_split *sp, const struct sg_who *who)
{
    const char *key = who->addr != NULL ? who->addr : who->author;
    for (size_t i = 0; i < sp->n; i++) {
        const struct sg_quote *q = &sp->q[i];
        const char *k = q->addr != NULL ? q->addr : q->author;
        if ((key == NULL && k == NULL) ||
            (key != NULL && k != NULL && strcasecmp(key, k) == 0))
            return &sp->q[i];
    }
    if (key != NULL && sp->n >= SG_QUOTE_MAX - 1) { /* the last is kept */
        struct sg_who none = {NULL, NULL};               /* for nobody's */
        return sg_quote_for(sp, &none);
    }
    struct sg_quote *q = &sp->q[sp->n];
    memset(q, 0, sizeof(*q));
    q->author = who->author != NULL ? strdup(who->author) : NULL;
    q->addr = who->addr != NULL ? strdup(who->addr) : NULL;
    sp->n++;
    if ((who->author != NULL && q->author == NULL) ||
        (who->addr != NULL && q->addr == NULL))
        sp->err = -1;
    return q;
}

static void
sg_quote_line(struct sg_split *sp, const struct sg_who *who,
              const struct sg_line *l)
{
    struct sg_quote *q = sg_quote_for(sp, who);
    if (q->text.len > 0)
        sg_buf_putc(&q->text, '\n');
    sg_buf_append(&q->text, l->s, l->len);
    if (sg_buf_failed(&q->text))
        sp->err = -1;
}

/* The lines from the current one on, as many as the headers look ahead
 * at: memory stays constant however many lines the text has. */
struct sg_window {
    struct sg_line l[SG_QUOTE_WINDOW];
    size_t n;          /* lines in l */
    const char *text;
    size_t len;
    size_t pos;        /* where the next line not in l starts */
    bool done;         /* the last line is in l */
};

static void
sg_window_fill(struct sg_window *w)
{
    while (w->n < SG_QUOTE_WINDOW && !w->done) {
        const char *s = w->text + w->pos;
        const char *nl = memchr(s, '\n', w->len - w->pos);
        size_t l = nl != NULL ? (size_t)(nl - s) : w->len - w->pos;
        w->l[w->n++] = sg_line_parse(s, l);
        w->pos += l + (nl != NULL);
        w->done = nl == NULL; /* text ending in LF ends with an empty line */
    }
}

/* Move on k lines. */
static void
sg_window_drop(struct sg_window *w, size_t k)
{
    /* a dozen lines: a plain loop (valgrind takes a fortified memmove of
     * the overlapping window for __memcpy_chk and reports an overlap) */
    for (size_t i = k; i < w->n; i++)
        w->l[i - k] = w->l[i];
    w->n -= k;
    sg_window_fill(w);
}

/* Does mark (mark_len bytes) occur in text[0, len)?  Found through
 * memchr on its byte at k, chosen rarer in prose than its first. */
static bool
sg_has_mark(const char *text, size_t len, const char *mark, size_t mark_len,
            size_t k)
{
    const char *p = text + k, *end = text + len;
    if (len < mark_len)
        return false;
    while (p < end && (p = memchr(p, mark[k], (size_t)(end - p))) != NULL) {
        const char *start = p - k;
        if ((size_t)(end - start) >= mark_len && start[0] == mark[0] &&
            memcmp(start, mark, mark_len) == 0)
            return true;
        p++;
    }
    return false;
}

/* Does "wrote:" or "From:" occur in text[0, len)?  One memchr pass on
 * the ':' the two end with. */
static bool
sg_has_colon_mark(const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    while (p < end && (p = memchr(p, ':', (size_t)(end - p))) != NULL) {
        size_t before = (size_t)(p - text);
        if ((before >= 5 && memcmp(p - 5, "wrote", 5) == 0) ||
            (before >= 4 && memcmp(p - 4, "From", 4) == 0))
            return true;
        p++;
    }
    return false;
}

/* Each mark is looked for by a byte that is rare in prose: the 'g' of
 * "riginal" (its 'i' took a memcmp every dozen bytes of English), the
 * 'w' of "orwarded", '>', and ':' once for two marks. */
bool
sg_quote_maybe(const char *text, size_t len)
{
    return (len > 0 && text[0] == '>') ||
           sg_has_mark(text, len, "\n>", 2, 1) ||
           sg_has_colon_mark(text, len) ||
           sg_has_mark(text, len, "riginal", 7, 2) ||
           sg_has_mark(text, len, "orwarded", 8, 2);
}

int
sg_quote_split(const char *text, size_t len, struct sg_buf *own,
               struct sg_quote **quotes_r, size_t *n_r)
{
    *quotes_r = NULL;
    *n_r = 0;
    sg_buf_reset(own);
    if (!sg_quote_maybe(text, len)) {
        sg_buf_append(own, text, len);
        return sg_buf_append(own, "", 0); /* data non-NULL even when empty */
    }
    struct sg_window w = {.text = text, .len = len};
    sg_window_fill(&w);
    const struct sg_line *ls = w.l;
    struct sg_split sp = {calloc(SG_QUOTE_MAX, sizeof(struct sg_quote)), 0, 0};
    struct sg_who at[SG_QUOTE_DEPTH + 2];
    memset(at, 0, sizeof(at));
    bool rest = false, own_line = false;
    if (sp.q == NULL)
        sp.err = -1;
    /* ls[0] is the current line; the headers look at most 9 lines on */
    while (sp.err == 0 && w.n > 0) {
        const size_t i = 0, n = w.n;
        const struct sg_line *l = &ls[i];
        unsigned e = l->q + (rest ? 1 : 0);
        if (e > SG_QUOTE_DEPTH)
            e = SG_QUOTE_DEPTH;
        const char *who = NULL;
        size_t who_len = 0;
        const struct sg_line *from = NULL;
        size_t take = sg_attribution(ls, n, i, &who, &who_len);
        size_t block = take == 0 ? sg_reply_block(ls, n, i, &from) : 0;
        if (take > 0 || block > 0) {
            unsigned d = take > 0 ? e + sg_attribution_outside(ls, n, i + take)
                                  : (l->q == 0 ? (rest = true, 1) : e);
            if (d > SG_QUOTE_DEPTH)
                d = SG_QUOTE_DEPTH;
            for (unsigned k = d; k <= SG_QUOTE_DEPTH; k++)
                sg_who_clear(&at[k]);
            int r = take > 0 ? sg_who_set(&at[d], who, who_len)
                    : from != NULL ? sg_who_set(&at[d], from->s + 5,
                                                from->len - 5)
                                   : 0;
            if (r < 0)
                sp.err = -1;
            size_t lines = take > 0 ? take : block;
            for (size_t k = 0; sp.err == 0 && k < lines; k++)
                sg_quote_line(&sp, &at[d], &ls[i + k]);
            sg_window_drop(&w, lines);
            continue;
        }
        if (e == 0) {
            if (own_line)
                sg_buf_putc(own, '\n');
            if (sg_buf_append(own, l->s, l->len) < 0)
                sp.err = -1;
            own_line = true;
        } else {
            sg_quote_line(&sp, &at[e], l);
        }
        sg_window_drop(&w, 1);
    }
    for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
        sg_who_clear(&at[k]);
    if (sp.err == 0 && sg_buf_append(own, "", 0) < 0)
        sp.err = -1;
    for (size_t k = 0; sp.err == 0 && k < sp.n; k++)
        sp.err = sg_buf_append(&sp.q[k].text, "", 0);
    if (sp.err < 0) {
        sg_quote_free(sp.q, sp.n);
        sg_buf_free(own);
        return -1;
    }
    if (sp.n == 0) {
        free(sp.q);
        sp.q = NULL;
    }
    *quotes_r = sp.q;
    *n_r = sp.n;
    return 0;
}

void
sg_quote_free(struct sg_quote *quotes, size_t n)
{
    if (quotes == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        sg_buf_free(&quotes[i].text);
        free(quotes[i].author);
        free(quotes[i].addr);
    }
    free(quotes);
}
