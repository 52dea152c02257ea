/*
 * quote.h - find the earlier mail quoted in a text part.
 *
 * A reply carries earlier mail: '>' lines (plain and format=flowed, and
 * HTML <blockquote> as the message view writes it), or everything after a
 * reply or forward header ("On ... Amy Patel <amy@...> wrote:", Outlook's
 * "From: ... Sent: ... To: ... Subject:" block, "-----Original Message-----",
 * "Begin forwarded message:", "---------- Forwarded message ---------").
 * The header names whose words follow, as a claim the rules weigh.
 */
#ifndef SG_QUOTE_H
#define SG_QUOTE_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_buf.h"

/* At most this many quotes (distinct authors) per text; the quoted text
 * of any further author joins the quote that names nobody. */
#define SG_QUOTE_MAX 16

/* The quoted text of one author, '>' markers taken off, a line each. */
struct sg_quote {
    struct sg_buf text;
    char *author; /* "Amy Patel <amy@x.example>" as the header has it,
                     NULL when no header names one */
    char *addr;   /* the address in it, lower case, or NULL */
};

/* Might text[0, len) hold a quote?  Cheap (a few memchr passes): false
 * means that sg_quote_split would find none and give the text back
 * unchanged, so a caller may skip it. */
bool sg_quote_maybe(const char *text, size_t len);

/* Split UTF-8 text (lines end in LF) into the writer's own lines (own,
 * always set, the text unchanged when nothing is quoted) and the quotes
 * (*quotes_r, *n_r; NULL and 0 when none).  Linear in len.  0, or -1
 * when out of memory (nothing to free then). */
int sg_quote_split(const char *text, size_t len, struct sg_buf *own,
                   struct sg_quote **quotes_r, size_t *n_r);
void sg_quote_free(struct sg_quote *quotes, size_t n);

#endif
