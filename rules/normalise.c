/*
 * normalise.c - the one normalisation every scanned text goes through
 * before any detector sees it (sg_detect_scan).
 *
 * What it does, character by character:
 *   - NFKC (ICU): fullwidth and other compatibility forms become plain
 *     ones, no-break and thin spaces become spaces;
 *   - format characters (Cf: zero-width space and joiners, soft hyphen,
 *     bidi controls, BOM) and other default-ignorable characters
 *     (variation selectors, Hangul fillers) are removed;
 *   - every decimal digit (Nd: Arabic-Indic, Devanagari, mathematical,
 *     fullwidth ...) becomes its ASCII digit;
 *   - NUL and the other C0 and C1 controls (not tab, CR, LF) are removed;
 *     U+2028 and U+2029 become a line feed.
 * It keeps a map from the normalised text back to the original (pieces:
 * runs copied as they were, and each changed character), so a finding is
 * reported as the original text.
 *
 * Cost: one pass.  Printable ASCII is copied in runs without looking at
 * it further (and a text that is all printable ASCII is not copied at
 * all); each other character costs a few ICU property look-ups, but one
 * with ASCII after it below U+3000 (a curly quote, dash, no-break space,
 * accented letter) is answered from what ICU said for it before
 * (stays_alone, repl_cache).  Memory:
 * the normalised text (never longer than the original plus ICU's bounded
 * expansion of one character) and one piece per changed character.
 *
 * SECURITY: the text is attacker-controlled.  Invalid UTF-8 bytes are kept
 * as they are (PCRE2 matches with PCRE2_MATCH_INVALID_UTF); a run of
 * combining marks is normalised in slices of at most SEG_MAX characters,
 * so no input makes ICU's work per character grow.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "normalise.h"
#include "scan16.h"
#include "sg_buf.h"
#include "sg_icu.h"
#include "sg_utf8.h"

#define SEG_MAX 16     /* code points normalised together */
#define SEG_OUT 256    /* UTF-16 units of one slice's NFKC form */

static bool
plain_ascii(unsigned char c)
{
    return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

bool sg_scan16 = true;

/* The end of the run of plain_ascii bytes p[i..len): sixteen bytes at a
 * time (scan16.h) while none is below 0x20 (as signed bytes, so 0x80 and
 * over too) or 0x7f, or only tabs and line breaks are; then, or where
 * that is not built, eight bytes at a time while all eight are printable
 * ASCII (0x20 to 0x7e, by sg_swar.h's byte tests), one at a time
 * otherwise. */
static size_t
plain_ascii_end(const unsigned char *p, size_t i, size_t len)
{
#ifdef SG_HAVE_SCAN16
    while (sg_scan16 && i + 16 <= len) {
        sg_v16 v = sg_load16((const char *)p + i);
        sg_v16 odd = (v < 0x20) | (v == 0x7f);
        if (sg_mask16(odd) != 0) {
            unsigned m = sg_mask16(odd & ~((v == '\t') | (v == '\n') |
                                           (v == '\r')));
            if (m != 0)
                return i + (size_t)__builtin_ctz(m);
        }
        i += 16;
    }
#endif
    while (i + 8 <= len) {
        uint64_t v = sg_load8((const char *)p + i);
        if ((v & SG_SWAR_HIGH) != 0 ||
            (sg_swar_below(v, 0x20) | sg_swar_eq(v, 0x7f)) != 0)
            for (size_t k = 0; k < 8; k++)
                if (!plain_ascii(p[i + k]))
                    return i + k;
        i += 8;
    }
    while (i < len && plain_ascii(p[i]))
        i++;
    return i;
}

/* Characters removed outright. */
static bool
dropped(UChar32 c)
{
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
        return c != '\t' && c != '\n' && c != '\r';
    /* U+FFFD stands where the message view found a NUL or a byte that was
     * not UTF-8: like a control, it must not split a number */
    if (c == 0xfffd)
        return true;
    return u_charType(c) == U_FORMAT_CHAR ||
           u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

static int
add_piece(struct sg_norm *n, size_t norm, size_t orig, bool verbatim)
{
    if (n->n_pieces > 0) {
        struct sg_norm_piece *last = &n->pieces[n->n_pieces - 1];
        /* a verbatim piece grows; removals in a row are one piece */
        if (last->verbatim && verbatim)
            return 0;
        if (last->norm == norm && !last->verbatim && !verbatim)
            return 0;
    }
    if (n->n_pieces == n->cap_pieces) {
        size_t cap = n->cap_pieces ? n->cap_pieces * 2 : 64;
        struct sg_norm_piece *p = realloc(n->pieces, cap * sizeof(*p));
        if (p == NULL)
            return -1;
        n->pieces = p;
        n->cap_pieces = cap;
    }
    n->pieces[n->n_pieces++] =
        (struct sg_norm_piece){(uint32_t)norm, (uint32_t)orig, verbatim};
    return 0;
}

/* Append one code point of NFKC output, filtered. */
static int
put_cp(struct sg_buf *b, UChar32 c)
{
    if (dropped(c))
        return 0;
    if (c == 0x2028 || c == 0x2029)
        return sg_buf_putc(b, '\n');
    if (c >= 0x80 && u_charType(c) == U_DECIMAL_DIGIT_NUMBER)
        return sg_buf_putc(b, (char)('0' + u_charDigitValue(c)));
    uint8_t u[4];
    int32_t k = 0;
    U8_APPEND_UNSAFE(u, k, c);
    return sg_buf_append(b, u, (size_t)k);
}

/* The characters below STAYS_END that one_char keeps as written when
 * nothing combines with them (the byte after is ASCII, or the end): not
 * removed, not a digit or line separator, NFKC alone (ICU's isNormalized
 * of the character by itself, the test one_char makes).  One bit each,
 * asked of ICU for a block of 64 the first time a text has one of them
 * (a few blocks in any text: Latin-1, general punctuation, currency), so
 * that a curly quote, dash, pound sign or accented letter then costs a
 * decode and a bit test, not three ICU calls.  Exact by construction
 * (one_char asks ICU the same question); the plain loops (sg_scan16
 * false) ask ICU every time, and the tests compare the two.  Threads may
 * build a block at once: each stores the same bits, and the block's
 * known bit is set (release) only after them. */
#define STAYS_END 0x3000
static uint64_t stays_bits[STAYS_END / 64];
static uint64_t stays_known[STAYS_END / 64 / 64];

static uint64_t
stays_block(const UNormalizer2 *nfkc, uint32_t block)
{
    uint64_t bits = 0;
    for (UChar32 c = (UChar32)block * 64; c < (UChar32)block * 64 + 64; c++) {
        if (dropped(c) || c == 0x2028 || c == 0x2029 ||
            u_charType(c) == U_DECIMAL_DIGIT_NUMBER)
            continue;
        UChar seg[2];
        int32_t sl = 0;
        U16_APPEND_UNSAFE(seg, sl, c);
        UErrorCode err = U_ZERO_ERROR;
        if (unorm2_isNormalized(nfkc, seg, sl, &err) && U_SUCCESS(err))
            bits |= (uint64_t)1 << (c % 64);
    }
    return bits;
}

static inline bool
stays_alone(const UNormalizer2 *nfkc, uint32_t c)
{
    if (c >= STAYS_END)
        return false;
    uint32_t block = c / 64;
    uint64_t known = (uint64_t)1 << (block % 64);
    if ((__atomic_load_n(&stays_known[block / 64], __ATOMIC_ACQUIRE) &
         known) == 0) {
        __atomic_store_n(&stays_bits[block], stays_block(nfkc, block),
                         __ATOMIC_RELAXED);
        __atomic_fetch_or(&stays_known[block / 64], known, __ATOMIC_RELEASE);
    }
    return (__atomic_load_n(&stays_bits[block], __ATOMIC_RELAXED) >>
                (c % 64) &
            1) != 0;
}

/* The last few replacements of characters below STAYS_END that change
 * alone (a no-break space, an ellipsis, a ligature, a fullwidth letter:
 * Outlook and Word put the same few in a text again and again), by code
 * point, per thread: what one_char wrote for the character alone, up to
 * REPL_MAX bytes.  Filled from ICU's answer, so exact as the bits above
 * are; a slot holds cp + 1 (0: empty). */
#define REPL_SLOTS 64
#define REPL_MAX 11
static _Thread_local struct {
    uint32_t cp1;
    uint8_t n;
    char out[REPL_MAX];
} repl_cache[REPL_SLOTS];

/* One character at p (with the combining characters after it): 1 when it
 * stays as written, 0 when out has its replacement; *used_r bytes read. */
static int
one_char(const UNormalizer2 *nfkc, const unsigned char *p, size_t left,
         struct sg_buf *out, size_t *used_r, bool *invalid_r)
{
    uint32_t cp;
    size_t k = sg_utf8_decode(p, left, &cp);
    if (k == 0) { /* an invalid byte stays as it is */
        *used_r = 1;
        *invalid_r = true;
        return 1;
    }
    /* alone (nothing can combine with it) and known: what the ICU calls
     * below would say */
    bool cache = sg_scan16 && (k == left || p[k] < 0x80) && cp < STAYS_END;
    if (cache && stays_alone(nfkc, cp)) {
        *used_r = k;
        return 1;
    }
    if (cache && repl_cache[cp % REPL_SLOTS].cp1 == cp + 1) {
        *used_r = k;
        return sg_buf_append(out, repl_cache[cp % REPL_SLOTS].out,
                             repl_cache[cp % REPL_SLOTS].n) < 0
                   ? -1
                   : 0;
    }
    size_t out_at = out->len;
    UChar32 c = (UChar32)cp;
    if (dropped(c)) {
        *used_r = k;
        return 0;
    }
    UChar seg[SEG_MAX * 2];
    int32_t sl = 0;
    U16_APPEND_UNSAFE(seg, sl, c);
    size_t used = k;
    int ncp = 1;
    bool filtered = false;
    /* the characters that combine with it */
    while (used < left && ncp < SEG_MAX && p[used] >= 0x80) {
        uint32_t nx;
        size_t nk = sg_utf8_decode(p + used, left - used, &nx);
        if (nk == 0 || unorm2_hasBoundaryBefore(nfkc, (UChar32)nx))
            break;
        used += nk;
        if (dropped((UChar32)nx)) {
            filtered = true;
            continue;
        }
        U16_APPEND_UNSAFE(seg, sl, (UChar32)nx);
        ncp++;
    }
    *used_r = used;
    UErrorCode err = U_ZERO_ERROR;
    bool digit = u_charType(c) == U_DECIMAL_DIGIT_NUMBER;
    if (!filtered && !digit && c != 0x2028 && c != 0x2029 &&
        unorm2_isNormalized(nfkc, seg, sl, &err) && U_SUCCESS(err))
        return 1;
    UChar dst[SEG_OUT];
    int32_t dl = sg_icu_step_into(SG_ICU_NFKC, seg, sl, dst, SEG_OUT);
    if (dl < 0 || dl > SEG_OUT) { /* cannot happen for SEG_MAX characters */
        cache = false;
        memcpy(dst, seg, (size_t)sl * sizeof(UChar));
        dl = sl;
    }
    for (int32_t i = 0; i < dl;) {
        UChar32 oc;
        U16_NEXT(dst, i, dl, oc);
        if (put_cp(out, oc) < 0)
            return -1;
    }
    if (cache && out->len - out_at <= REPL_MAX) {
        repl_cache[cp % REPL_SLOTS].cp1 = cp + 1;
        repl_cache[cp % REPL_SLOTS].n = (uint8_t)(out->len - out_at);
        if (out->len > out_at)
            memcpy(repl_cache[cp % REPL_SLOTS].out, out->data + out_at,
                   out->len - out_at);
    }
    return 0;
}

int
sg_normalise(const char *in, size_t len, struct sg_norm *n)
{
    memset(n, 0, sizeof(*n));
    n->orig = in;
    n->orig_len = len;
    const unsigned char *p = (const unsigned char *)in;
    size_t i = plain_ascii_end(p, 0, len);
    n->text = in;
    n->len = len;
    if (i == len)
        return 0;
    if (len >= UINT32_MAX)
        return -1;
    const UNormalizer2 *nfkc = sg_icu_normalizer(SG_ICU_NFKC);
    if (nfkc == NULL)
        return -1;
    /* Nothing is copied while every character stays as written (a text
     * of ASCII with a few accented letters, pound signs or dashes that are
     * already NFKC): the first one that changes, or a byte that is not
     * UTF-8, starts the copy (b) with the text before it. */
    struct sg_buf b = SG_BUF_INIT, first = SG_BUF_INIT;
    bool copying = false;
    /* p[i] is not plain ASCII here, at the top of each round: one
     * character, then the run of plain ASCII after it (so the run finder
     * is not asked again where it just stopped) */
    while (i < len) {
        size_t used;
        struct sg_buf *out = copying ? &b : &first;
        size_t at = out->len;
        bool invalid = n->invalid_utf8;
        int r = one_char(nfkc, p + i, len - i, out, &used, &n->invalid_utf8);
        if (r < 0)
            goto fail;
        if (copying || r != 1 || n->invalid_utf8 != invalid) {
            if (!copying) {
                if (sg_buf_reserve(&b, len + 16) < 0 ||
                    sg_buf_append(&b, in, i) < 0 ||
                    add_piece(n, 0, 0, true) < 0 ||
                    (first.len > 0 &&
                     sg_buf_append(&b, first.data, first.len) < 0))
                    goto fail;
                at = i;
                sg_buf_free(&first);
                copying = true;
            }
            if (add_piece(n, at, i, r == 1) < 0)
                goto fail;
            if (r == 1 && sg_buf_append(&b, in + i, used) < 0)
                goto fail;
        }
        i += used;
        size_t end = plain_ascii_end(p, i, len);
        if (end > i && copying &&
            (add_piece(n, b.len, i, true) < 0 ||
             sg_buf_append(&b, in + i, end - i) < 0))
            goto fail;
        i = end;
    }
    sg_buf_free(&first);
    if (!copying)
        return 0; /* every character as written: n->text is in */
    if (b.len >= UINT32_MAX)
        goto fail;
    n->len = b.len;
    n->buf = sg_buf_steal(&b);
    n->text = n->buf;
    return 0;
fail:
    sg_buf_free(&first);
    sg_buf_free(&b);
    sg_norm_free(n);
    return -1;
}

void
sg_norm_free(struct sg_norm *n)
{
    free(n->buf);
    free(n->pieces);
    n->buf = NULL;
    n->pieces = NULL;
    n->n_pieces = n->cap_pieces = 0;
    n->text = n->orig;
    n->len = n->orig_len;
}

/* The last piece that starts at or before norm offset x (for a start) or
 * before it (for an end). */
static size_t
piece_at(const struct sg_norm *n, size_t x, bool end)
{
    size_t lo = 0, hi = n->n_pieces;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (end ? n->pieces[mid].norm < x : n->pieces[mid].norm <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void
sg_norm_span(const struct sg_norm *n, size_t start, size_t end,
             size_t *ostart_r, size_t *oend_r)
{
    if (n->pieces == NULL) {
        *ostart_r = start;
        *oend_r = end;
        return;
    }
    size_t k = piece_at(n, start, false);
    const struct sg_norm_piece *p = &n->pieces[k];
    *ostart_r = p->verbatim ? p->orig + (start - p->norm) : p->orig;
    k = piece_at(n, end, true);
    p = &n->pieces[k];
    size_t next = k + 1 < n->n_pieces ? n->pieces[k + 1].orig : n->orig_len;
    *oend_r = p->verbatim ? p->orig + (end - p->norm) : next;
    if (*oend_r < *ostart_r)
        *oend_r = *ostart_r;
}
