/*
 * normalise.h - the text every detector sees: NFKC, format characters and
 * controls removed, every decimal digit ASCII; with a map back to the
 * original, so that findings show (and the review page marks) the text as
 * it was written.  librules internal.
 */
#ifndef SG_NORMALISE_H
#define SG_NORMALISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One piece of the normalised text: it starts at norm in the normalised
 * text and at orig in the original, and runs to the next piece's starts.
 * A verbatim piece is the same bytes in both; any other piece is one
 * changed character (or several removed ones), mapped as a whole. */
struct sg_norm_piece {
    uint32_t norm, orig;
    bool verbatim;
};

struct sg_norm {
    const char *orig;
    size_t orig_len;
    const char *text; /* orig itself when nothing changed */
    size_t len;
    char *buf; /* owned normalised text; NULL when text == orig */
    struct sg_norm_piece *pieces; /* NULL when text == orig */
    size_t n_pieces, cap_pieces;
    /* the text has bytes that are not UTF-8 (kept as they were): engines
     * that need valid UTF-8 (Hyperscan) must not read it */
    bool invalid_utf8;
};

/* Normalise in[0..len) into *out (which borrows in: keep it alive).
 * Text that is printable ASCII (with tab and line breaks) is not copied.
 * 0, or -1 on allocation failure or a text of 4 GiB or more. */
int sg_normalise(const char *in, size_t len, struct sg_norm *out);
void sg_norm_free(struct sg_norm *n);
/* The original span of the normalised span [start, end). */
void sg_norm_span(const struct sg_norm *n, size_t start, size_t end,
                  size_t *ostart_r, size_t *oend_r);

#endif
