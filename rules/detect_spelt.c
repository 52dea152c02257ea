/*
 * detect_spelt.c - addresses and numbers spelt out in words, as people
 * write them to slip past a filter: "tom dot smith77 at gmail dot com",
 * "oh seven seven double oh ...".  Each is read back to the address or
 * number it spells and offered to the detectors as that (detect.c,
 * sg_detect_offer_spelt), with the text as written for the finding.
 *
 * Cost: the address pattern is tried only at the starts of a local part
 * before an at marker, and number words are read in one pass with a
 * bounded number of candidates (NUMWORD_CANDIDATES), so a hostile text
 * costs time linear in its size.  Both passes skip, by a cheap prefilter,
 * the parts of a text where they cannot find anything (next_at_marker and
 * spelt_may_follow, number_region), with the same findings as reading
 * every byte.
 *
 * SECURITY: the text is attacker-controlled; every read is inside the
 * normalised text and every copy is capped (MAX_FINDING_TEXT).
 * Fails by returning -1 with an error string (a match limit, allocation).
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bytes.h"
#include "detect.h"
#include "detect_spelt.h"
#include "normalise.h"
#include "scan16.h"

static bool
word_at(const char *m, size_t ml, size_t i, const char *w)
{
    size_t wl = strlen(w);
    return (i == 0 || m[i - 1] == ' ' || m[i - 1] == '\t') && i + wl < ml &&
           strncasecmp(m + i, w, wl) == 0 &&
           (m[i + wl] == ' ' || m[i + wl] == '\t');
}

/* Rebuild the address a SPELT_EMAIL_RE match spells out, into out.  -1
 * when it does not fit, or when only the word "at" between a plain word
 * and a plain domain says it is an address ("look at bbc.co.uk"): then
 * the local part must look like an address's (a dot, digit, _ % + or -)
 * or a dot must be spelt out too. */
static int
spelt_email(const char *m, size_t ml, char *out, size_t outsz)
{
    size_t k = 0, i = 0;
    bool at_word = false, spelt_dot = false, local_mark = false;
    bool seen_at = false;
    while (i < ml) {
        char c = m[i], put = c;
        if (c == ' ' || c == '\t') {
            i++;
            continue;
        }
        if (strchr("([{<", c) != NULL) {
            size_t j = i + 1;
            while (j < ml && strchr(")]}>", m[j]) == NULL)
                j++;
            bool at = false;
            for (size_t x = i + 1; x < j; x++)
                if (m[x] == '@' || tolower((unsigned char)m[x]) == 'a')
                    at = true;
            put = at ? '@' : '.';
            spelt_dot |= !at;
            i = j + 1;
        } else if (word_at(m, ml, i, "at")) {
            put = '@';
            at_word = true;
            i += 2;
        } else if (word_at(m, ml, i, "dot")) {
            put = '.';
            spelt_dot = true;
            i += 3;
        } else {
            if (c == '.' && ((i > 0 && m[i - 1] == ' ') ||
                             (i + 1 < ml && m[i + 1] == ' ')))
                spelt_dot = true;
            if (!seen_at && c != '@' && !sg_ascii_alpha((unsigned char)c))
                local_mark = true;
            i++;
        }
        if (put == '@')
            seen_at = true;
        if (k + 1 >= outsz)
            return -1;
        out[k++] = put;
    }
    out[k] = '\0';
    return at_word && !spelt_dot && !local_mark ? -1 : 0;
}

/* Number words, for the phone detectors: "oh seven seven double oh nine
 * ...", also mixed with digits ("07700 nine oh oh ...").  The one list of
 * them: every table that finds them (nw, and the vector search's nw_tabs)
 * is built from it at first use (nw_build), so a word is added here and
 * nowhere else.  Each is lower-case ASCII letters, at most NW_LONGEST. */
static const struct {
    const char *w;
    char d;
} num_words[] = {
    {"zero", '0'},  {"oh", '0'},     {"o", '0'},       {"nought", '0'},
    {"nil", '0'},   {"one", '1'},    {"two", '2'},     {"three", '3'},
    {"four", '4'},  {"five", '5'},   {"six", '6'},     {"seven", '7'},
    {"eight", '8'}, {"nine", '9'},   {"double", 'd'},  {"triple", 't'},
    {"plus", '+'},  {"hundred", 'h'}, {"thousand", 'k'},
};

#define NW_COUNT (sizeof(num_words) / sizeof(num_words[0]))
/* the longest a number word can be: its letters pack into 64 bits */
#define NW_LONGEST 8

/* The tables built from num_words (nw_build). */
static struct {
    /* by length: the words of that many letters (nw_pack), and the digit
     * each stands for */
    struct {
        unsigned n;
        uint64_t packed[NW_COUNT];
        char d[NW_COUNT];
    } len[NW_LONGEST + 1];
    /* the first three letters of the words of three or more, each once */
    unsigned n_prefixes;
    uint64_t prefixes[NW_COUNT];
    /* the letters the words start with, in either case: bit n for a word
     * of n letters, so that most bytes are passed by one look-up */
    uint16_t first[256];
    /* the first bytes of a run number_run reads: digits, + and those
     * letters */
    bool run_first[256];
} nw;
static pthread_once_t nw_once = PTHREAD_ONCE_INIT;

/* The word w[0..wl) of ASCII letters (wl at most 8), case folded, in one
 * integer (the first letter in the lowest byte). */
static inline uint64_t
nw_pack(const char *w, size_t wl)
{
    uint64_t v = 0;
    for (size_t k = wl; k-- > 0;)
        v = v << 8 | (unsigned char)(w[k] | 0x20);
    return v;
}

/* The digit the number word w[0..wl) (ASCII letters) stands for: 'd' for
 * double, 't' for triple, '+' for plus, 'h' for hundred (00), 'k' for
 * thousand (000); 0 for any other word.  A compare with each word of that
 * length (a few). */
static inline char
num_word(const char *w, size_t wl)
{
    if (wl == 0 || wl > NW_LONGEST)
        return 0;
    uint64_t v = nw_pack(w, wl);
    for (unsigned k = 0; k < nw.len[wl].n; k++)
        if (nw.len[wl].packed[k] == v)
            return nw.len[wl].d[k];
    return 0;
}

/* Whether the word w[0..wl) of ASCII letters is a number word: the same
 * as num_word(w, wl) != 0, most words passed by their first letter and
 * length (nw.first). */
static inline bool
number_word(const char *w, size_t wl)
{
    return wl <= NW_LONGEST &&
           (nw.first[(unsigned char)w[0]] & (1u << wl)) != 0 &&
           num_word(w, wl) != 0;
}

/* Caps: a run of more tokens is no number; after this many candidates in
 * one text the rest is not read (the regular scan still is). */
#define NUMWORD_TOKENS 40
#define NUMWORD_CANDIDATES 256

/* Read one run of number tokens from *ip; the number it spells into
 * digits (with a leading + for plus), and its span.  true when the run
 * has a number word and spells 10 to 13 digits. */
static bool
number_run(const char *t, size_t len, size_t *ip, char *digits,
           size_t dsz, size_t *s_r, size_t *e_r)
{
    size_t i = *ip, nd = 0, tokens = 0, words = 0;
    unsigned mult = 1;
    bool too_long = false;
    *s_r = i;
    *e_r = i;
    for (;;) {
        size_t j = i;
        if (j < len && t[j] == '+' && tokens == 0) {
            digits[nd++] = '+';
            j++;
        } else if (j < len && sg_ascii_digit((unsigned char)t[j])) {
            while (j < len && sg_ascii_digit((unsigned char)t[j])) {
                for (unsigned m = 0; m < mult; m++)
                    if (nd + 1 < dsz)
                        digits[nd++] = t[j];
                    else
                        too_long = true;
                mult = 1;
                j++;
            }
        } else {
            while (j < len && sg_ascii_alnum((unsigned char)t[j]) &&
                   !sg_ascii_digit((unsigned char)t[j]))
                j++;
            char d = j > i ? num_word(t + i, j - i) : 0;
            if (d == 0 || (j < len && sg_ascii_digit((unsigned char)t[j])) ||
                (d == '+' && tokens > 0))
                break;
            if (d == 'd' || d == 't')
                mult = d == 'd' ? 2 : 3;
            else if ((d == 'h' || d == 'k') && (nd == 0 || mult != 1))
                break; /* "a hundred", "double hundred": not a number */
            else if (d == 'h' || d == 'k')
                for (int z = d == 'h' ? 2 : 3; z > 0; z--)
                    if (nd + 1 < dsz)
                        digits[nd++] = '0';
                    else
                        too_long = true;
            else if (d == '+')
                digits[nd++] = '+';
            else {
                for (unsigned m = 0; m < mult; m++)
                    if (nd + 1 < dsz)
                        digits[nd++] = d;
                    else
                        too_long = true;
                mult = 1;
            }
            words++;
        }
        tokens++;
        *e_r = j;
        if (tokens > NUMWORD_TOKENS) {
            too_long = true;
            break;
        }
        /* separators: spaces, commas, dots, dashes, one line break */
        size_t k = j, seps = 0;
        bool nl = false;
        while (k < len && seps < 6) {
            if (t[k] == '\n' && !nl)
                nl = true;
            else if (strchr(" \t\r,.-", t[k]) == NULL || t[k] == '\0')
                break;
            k++;
            seps++;
        }
        if (k == j || k >= len)
            break;
        i = k;
    }
    *ip = *e_r > *ip ? *e_r : *ip + 1;
    digits[nd] = '\0';
    size_t n_digits = nd - (nd > 0 && digits[0] == '+');
    return words > 0 && !too_long && mult == 1 && n_digits >= 10 &&
           n_digits <= 13;
}

/* Whether the word at w can be a number word, by its first three
 * letters (a cheap test before number_run reads it): a word of fewer
 * letters is one, a longer one starts as one of three or more does. */
static bool
number_word_start(const char *w, size_t left)
{
    size_t n = 0;
    while (n < 3 && n < left && sg_ascii_alpha((unsigned char)w[n]))
        n++;
    if (n < 3)
        return num_word(w, n) != 0;
    uint64_t p = nw_pack(w, 3);
    for (unsigned k = 0; k < nw.n_prefixes; k++)
        if (nw.prefixes[k] == p)
            return true;
    return false;
}

/* ---- where number words can be: the prefilter ----
 *
 * The loop below (the plain one) reads every byte, and nearly every byte
 * of a text is in no number at all.  A run it offers has a number word in
 * it (number_run: words > 0), and the number words it reads are whole
 * words of letters (no letter or digit on either side) that num_word
 * knows.  So the prefilter (number_region) finds the next such word
 * (next_number_word: thirty-two or sixteen positions a step by a table
 * look-up of their first three letters where the CPU has one, else a
 * byte loop), backs up from it to a point where the plain loop is known
 * to stand with nothing carried over (a resync point, resync_before),
 * and lets the plain loop run from there until it is past the word; the
 * text before that point it does not read at all.  A word whose run
 * cannot reach MIN_RUN bytes before the next hard stop or blocker
 * (run_may_offer: "one or two") it passes without the plain loop.
 *
 * Why that gives exactly the plain loop's findings: the plain loop's only
 * state is its position i (and the count of candidates, which only runs
 * that offer raise).  A "hard stop" (a byte that is not alphanumeric,
 * not +, not a separator " \t\r\n,.-") ends every run, and the plain
 * loop, skipping bytes or words one at a time, always lands on the byte
 * after it.  So does it on the byte after the byte that follows a
 * "blocker": a whole word that is neither all digits nor a number word
 * (number_run breaks before it, fails on it at once, or ends in its
 * leading digits, and the loop then skips the rest of it and the one
 * byte after it).  No run crosses a hard stop or a blocker, so a run
 * that starts before such a point and at or after the plain loop's
 * position ends before it (or in the blocker's leading digits), with no
 * number word in it when none lies between: it offers nothing.  Jumping
 * from i to a resync point with no number word between is then
 * invisible; so is jumping past a stretch between two of them, holding
 * number words, that is shorter than any run that offers; and between
 * resync points the plain loop itself runs.  The search may stop at a
 * word that is no number word, and the tests it makes on words may take
 * a hard stop for a separator (a second line break) or a blocker for a
 * word of a run (never the other way): that costs some reading, not a
 * finding.  The unit test (test_detect_prefilter.c) compares both ways,
 * and the byte loop, on hostile and random texts. */
bool sg_detect_prefilter = true;

/* Whether a number word is the whole word at p: letters only, with no
 * letter or digit just before or after it (the word tokens number_run
 * reads). */
static bool
number_word_at(const char *t, size_t len, size_t p)
{
    if (p > 0 && sg_ascii_alnum((unsigned char)t[p - 1]))
        return false;
    size_t e = p;
    while (e < len && e - p <= NW_LONGEST &&
           sg_ascii_alpha((unsigned char)t[e]))
        e++;
    if (e < len && sg_ascii_alnum((unsigned char)t[e]))
        return false;
    return number_word(t + p, e - p);
}

/* The first p >= i where number_word_at holds, or len: a byte at a time
 * (the fallback, and the last bytes of a text). */
static size_t
next_number_word_bytes(const char *t, size_t len, size_t i)
{
    for (size_t p = i; p < len; p++)
        if (nw.first[(unsigned char)t[p]] != 0 &&
            number_word_at(t, len, p))
            return p;
    return len;
}

/* Many bytes at a time needs a look-up of each byte of a vector in a
 * table of sixteen: AVX2's vpshufb, thirty-two bytes a step, on amd64
 * (chosen at run time: SSE2 is all the baseline promises, and SSE2 has
 * no such look-up), NEON's tbl, sixteen a step, on arm64.  Elsewhere, and
 * with sg_scan16 false, the byte loop above. */
#if defined(SG_HAVE_SCAN16) && defined(__x86_64__)
#include <immintrin.h>
#define NW_STEP 32
#define NW_TARGET __attribute__((target("avx2")))
typedef signed char nw_vec __attribute__((vector_size(32)));
typedef unsigned char nw_uvec __attribute__((vector_size(32)));
static NW_TARGET inline nw_vec
nw_load(const char *p)
{
    nw_vec v;
    memcpy(&v, p, sizeof(v));
    return v;
}
/* a table of sixteen, in both halves (vpshufb looks up in each half) */
static NW_TARGET inline nw_vec
nw_table(const unsigned char *tab)
{
    __m128i h;
    memcpy(&h, tab, sizeof(h));
    return (nw_vec)_mm256_broadcastsi128_si256(h);
}
/* table[idx & 15] for each byte, 0 where idx has its top bit set */
static NW_TARGET inline nw_vec
nw_lookup(nw_vec table, nw_vec idx)
{
    return (nw_vec)_mm256_shuffle_epi8((__m256i)table, (__m256i)idx);
}
static NW_TARGET inline uint32_t
nw_mask(nw_vec m)
{
    return (uint32_t)_mm256_movemask_epi8((__m256i)m);
}
static bool
nw_vec_ok(void)
{
    return __builtin_cpu_supports("avx2");
}
#elif defined(SG_HAVE_SCAN16) && defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#define NW_STEP 16
#define NW_TARGET
typedef sg_v16 nw_vec;
typedef unsigned char nw_uvec __attribute__((vector_size(16)));
static inline nw_vec
nw_load(const char *p)
{
    return sg_load16(p);
}
static inline nw_vec
nw_table(const unsigned char *tab)
{
    return sg_load16((const char *)tab);
}
/* tbl gives 0 for an index of 16 or more: keep the low four bits, and
 * the top one, so that a byte with it set gives 0 as vpshufb does */
static inline nw_vec
nw_lookup(nw_vec table, nw_vec idx)
{
    return (nw_vec)vqtbl1q_u8((uint8x16_t)table,
                              (uint8x16_t)((nw_uvec)idx & 0x8f));
}
static inline uint32_t
nw_mask(nw_vec m)
{
    return sg_mask16(m);
}
static bool
nw_vec_ok(void)
{
    return true;
}
#endif

#ifdef NW_STEP
/* The first p >= i where number_word_at holds, or len, NW_STEP
 * positions at a time.  A number word of three letters or more is found
 * by its first three, case folded: each word's three have a bucket (a
 * bit) below.  A byte's buckets as a first, second and third letter are
 * each looked up by its low and its high four bits (the byte is in a
 * bucket when both halves are), and a position is a candidate when its
 * byte starts a word of letters and the three bytes from it share a
 * bucket.  A word of one or two letters ("o", "oh") is found the same
 * way by tables of its own, of its first letter (by its low four bits
 * alone: the candidate is a letter, and of the letters "o" alone has
 * those of "o"; no letter has those of more than one other) and of the
 * byte after it: its second letter, or any byte that is no letter for a
 * word of one.  Letters the halves confuse ("thf" is in bucket 0 because
 * "thr" and "fiv" are) only make more candidates: every number word's
 * start is one.  Candidates are checked by number_word_at, which alone
 * decides.  The grouping (nw_buckets, bucket k a bit k) keeps English
 * words out: of the word starts of ordinary text, few but the number
 * words themselves, "first" and "tiny" are candidates. */
static const char *const nw_buckets[8] = {
    "thr two fiv eig", "tho nil", "one zer", "fou dou",
    "tri hun",         "nin",     "sev six", "nou plu",
};

/* [0..5][k]: the buckets of a letter whose low (high) four bits are k,
 * as a word's first, second and third letter; [6..9][k] the same for the
 * words of one or two letters, as a first letter and as the byte after
 * it ([7], the first letter's high four bits, is not read).  Built from
 * num_words and the grouping above with the other tables (nw_build), so
 * that they follow the word list (a word whose first three letters are
 * in no group is given one, by its place in the list: more candidates,
 * no word missed). */
static unsigned char nw_tabs[10][16];

/* The buckets of the words of one or two letters: the bytes that are no
 * letter (after the fold to lower case, which leaves 0x61 to 0x7a the
 * only letters) in three by their high four bits, 0 for 6 (0x60), 1 for
 * 7 (0x7b to 0x7f) and 2 for any other (all sixteen), so that a byte is
 * in one of them exactly when it is no letter; the words of two letters
 * share the other five. */
#define NW_NO_LETTER 3

static void
nw_tab_set(int tab, unsigned char c, unsigned b)
{
    nw_tabs[tab][c & 15] |= (unsigned char)(1u << b);
    nw_tabs[tab + 1][c >> 4] |= (unsigned char)(1u << b);
}

static void
nw_tabs_build(void)
{
    for (unsigned c = 0; c < 256; c++)
        if (!sg_ascii_alpha((unsigned char)c))
            nw_tab_set(8, (unsigned char)c,
                       c >> 4 == 6 ? 0 : c >> 4 == 7 ? 1 : 2);
    for (size_t i = 0; i < NW_COUNT; i++) {
        const char *w = num_words[i].w;
        size_t n = strlen(w);
        if (n == 0 || n > NW_LONGEST)
            continue; /* never read (nw_build) */
        if (n == 1) {
            for (unsigned b = 0; b < NW_NO_LETTER; b++)
                nw_tab_set(6, (unsigned char)(w[0] | 0x20), b);
            continue;
        }
        if (n == 2) {
            unsigned b = NW_NO_LETTER + (unsigned)(i % (8 - NW_NO_LETTER));
            nw_tab_set(6, (unsigned char)(w[0] | 0x20), b);
            nw_tab_set(8, (unsigned char)(w[1] | 0x20), b);
            continue;
        }
        unsigned b = (unsigned)(i % 8);
        for (unsigned k = 0; k < 8; k++)
            for (const char *g = nw_buckets[k]; *g != '\0'; g += g[3] ? 4 : 3)
                if (memcmp(g, w, 3) == 0)
                    b = k;
        for (int j = 0; j < 3; j++)
            nw_tab_set(2 * j, (unsigned char)(w[j] | 0x20), b);
    }
}

static NW_TARGET size_t
next_number_word_vec(const char *t, size_t len, size_t p)
{
    const nw_vec f_lo = nw_table(nw_tabs[0]), f_hi = nw_table(nw_tabs[1]),
                 s_lo = nw_table(nw_tabs[2]), s_hi = nw_table(nw_tabs[3]),
                 t_lo = nw_table(nw_tabs[4]), t_hi = nw_table(nw_tabs[5]),
                 o_lo = nw_table(nw_tabs[6]), h_lo = nw_table(nw_tabs[8]),
                 h_hi = nw_table(nw_tabs[9]);
    uint32_t before = p > 0 && sg_ascii_alpha((unsigned char)t[p - 1]);
    while (p + NW_STEP + 2 <= len) {
        nw_vec x = nw_load(t + p) | 0x20, y = nw_load(t + p + 1) | 0x20,
               z = nw_load(t + p + 2) | 0x20;
        /* high four bits: 0 to 15; a look-up by a byte with its top bit
         * set gives 0 (no bucket: such a byte is no ASCII letter) */
        nw_vec xh = (nw_vec)(((nw_uvec)x >> 4) & 15),
               yh = (nw_vec)(((nw_uvec)y >> 4) & 15),
               zh = (nw_vec)(((nw_uvec)z >> 4) & 15);
        nw_vec in = nw_lookup(f_lo, x) & nw_lookup(f_hi, xh) &
                    nw_lookup(s_lo, y) & nw_lookup(s_hi, yh) &
                    nw_lookup(t_lo, z) & nw_lookup(t_hi, zh);
        /* a word of one or two letters ("o" before no letter, "oh"):
         * y's low four bits alone, so that a byte after it with its top
         * bit set is found as no letter */
        nw_vec short_word = nw_lookup(o_lo, x) & nw_lookup(h_lo, y & 15) &
                            nw_lookup(h_hi, yh);
        uint32_t letters = nw_mask((x > 0x60) & (x < 0x7b)),
                 starts = letters & ~((letters << 1) | before);
        uint32_t cand = starts & ~nw_mask((in | short_word) == 0);
        before = letters >> (NW_STEP - 1);
        for (; cand != 0; cand &= cand - 1) {
            size_t q = p + (size_t)__builtin_ctz(cand);
            if (number_word_at(t, len, q))
                return q;
        }
        p += NW_STEP;
    }
    return next_number_word_bytes(t, len, p);
}
#endif

/* The tables above (and nw_tabs) from num_words; once, before the first
 * text is read. */
static void
nw_build(void)
{
    for (size_t i = 0; i < NW_COUNT; i++) {
        const char *w = num_words[i].w;
        size_t n = strlen(w);
        if (n == 0 || n > NW_LONGEST)
            continue; /* no such word is read (the unit test says so) */
        nw.len[n].packed[nw.len[n].n] = nw_pack(w, n);
        nw.len[n].d[nw.len[n].n++] = num_words[i].d;
        unsigned char c = (unsigned char)w[0];
        nw.first[c | 0x20] |= (uint16_t)(1u << n);
        nw.first[c & ~0x20] |= (uint16_t)(1u << n);
        if (n < 3)
            continue;
        uint64_t p = nw_pack(w, 3);
        unsigned k = 0;
        while (k < nw.n_prefixes && nw.prefixes[k] != p)
            k++;
        if (k == nw.n_prefixes)
            nw.prefixes[nw.n_prefixes++] = p;
    }
    for (unsigned c = 0; c < 256; c++)
        nw.run_first[c] = sg_ascii_digit((unsigned char)c) || c == '+' ||
                          nw.first[c] != 0;
#ifdef NW_STEP
    nw_tabs_build();
#endif
}

/* The first whole number word at or after i (number_word_at), or len. */
static size_t
next_number_word(const char *t, size_t len, size_t i)
{
#ifdef NW_STEP
    if (sg_scan16 && nw_vec_ok())
        return next_number_word_vec(t, len, i);
#endif
    return next_number_word_bytes(t, len, i);
}

static inline bool
separator_or_plus(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' ||
           c == '.' || c == '-' || c == '+';
}

/* The last resync point at or before the number word at p and at or
 * after the plain loop's position i: just after a hard stop, or the byte
 * after the byte that follows a blocker word; i when there is none.
 * Read backwards from p over separators, + and whole words that may be
 * in a run (digits, number words). */
static size_t
resync_before(const char *t, size_t i, size_t p)
{
    size_t j = p;
    while (j > i) {
        unsigned char c = (unsigned char)t[j - 1];
        if (!sg_ascii_alnum(c)) {
            if (!separator_or_plus(c))
                return j; /* after a hard stop */
            j--;
            continue;
        }
        /* a whole word [j, e): t[e] is no letter or digit (number_word_at
         * says so of t[p - 1], and the loop came here over one) */
        size_t e = j;
        bool digits = true, letters = true;
        while (j > 0 && sg_ascii_alnum((unsigned char)t[j - 1])) {
            j--;
            digits &= sg_ascii_digit((unsigned char)t[j]);
            letters &= sg_ascii_alpha((unsigned char)t[j]);
        }
        if (!digits && !(letters && number_word(t + j, e - j)))
            return e + 1; /* a blocker, and the byte after it */
    }
    return i;
}

/* The fewest bytes a run number_run accepts can span: it spells 10 or
 * more digits and has a number word, its tokens are one or more
 * separators apart, and no token spells more digits than it has bytes;
 * so nine digits, a separator and "o". */
#define MIN_RUN 11

/* Whether a run that starts at r or later, and has the number word at
 * w, can span MIN_RUN bytes: read on from w over separators, + and whole
 * words that may be in a run (digits, number words) to the first hard
 * stop or blocker word, or until MIN_RUN bytes from r are read.  When it
 * cannot, *resume is where the plain loop goes on from with nothing
 * offered: after the hard stop, or the byte after the blocker (a run may
 * end inside a blocker, in its leading digits, so the blocker counts
 * into the span). */
static bool
run_may_offer(const char *t, size_t len, size_t r, size_t w, size_t *resume)
{
    size_t j = w;
    while (j - r < MIN_RUN) {
        if (j == len) {
            *resume = len;
            return false;
        }
        unsigned char c = (unsigned char)t[j];
        if (!sg_ascii_alnum(c)) {
            if (!separator_or_plus(c)) {
                *resume = j + 1; /* after a hard stop */
                return false;
            }
            j++;
            continue;
        }
        size_t s = j;
        bool digits = true, letters = true;
        for (; j < len && sg_ascii_alnum((unsigned char)t[j]); j++) {
            if (j - r >= MIN_RUN)
                return true;
            digits &= sg_ascii_digit((unsigned char)t[j]);
            letters &= sg_ascii_alpha((unsigned char)t[j]);
        }
        if (!digits && !(letters && number_word(t + s, j - s))) {
            if (j - r >= MIN_RUN)
                return true;
            *resume = j < len ? j + 1 : len; /* a blocker, the byte after */
            return false;
        }
    }
    return true;
}

/* Where the plain loop, at i, must run from: a position it reaches from
 * i with nothing offered, before the number word *w_r; or len when it
 * offers nothing more.  A number word with a hard stop or a blocker
 * fewer than MIN_RUN bytes from the resync point before it ("one or
 * two") is passed, and the search goes on from the resync point after
 * that. */
static size_t
number_region(const char *t, size_t len, size_t i, size_t *w_r)
{
    for (;;) {
        size_t w = next_number_word(t, len, i);
        if (w >= len)
            return len;
        size_t r = resync_before(t, i, w), resume;
        if (run_may_offer(t, len, r, w, &resume)) {
            *w_r = w;
            return r;
        }
        i = resume;
    }
}

/* (detect_spelt.h) the list and the tables, for the unit test */
const char *
sg_detect_num_word_list(size_t i, char *digit_r)
{
    if (i >= NW_COUNT)
        return NULL;
    *digit_r = num_words[i].d;
    return num_words[i].w;
}

void
sg_detect_num_word_says(const char *w, size_t wl, char *digit_r,
                        bool *word_r, bool *start_r)
{
    pthread_once(&nw_once, nw_build);
    *digit_r = num_word(w, wl);
    *word_r = wl > 0 && number_word(w, wl);
    *start_r = wl > 0 && number_word_start(w, wl);
}

int
sg_detect_scan_number_words(const struct sg_rules *rules,
                            const struct sg_norm *nt, const char *where,
                            time_t now, const struct detect_sink *sinks,
                            size_t n_sinks)
{
    const char *t = nt->text;
    size_t len = nt->len, i = 0, candidates = 0, stop = 0;
    pthread_once(&nw_once, nw_build);
    while (i < len && candidates < NUMWORD_CANDIDATES) {
        if (sg_detect_prefilter && i >= stop) {
            /* nothing to offer before the next number word's run */
            size_t w;
            i = number_region(t, len, i, &w);
            if (i >= len)
                break;
            stop = w + 1;
        }
        unsigned char c = (unsigned char)t[i];
        if (!sg_ascii_alnum(c) && c != '+') {
            i++;
            continue;
        }
        /* the first characters of a run: digits, +, and the letters
         * number words start with; any other word is skipped whole */
        if (!nw.run_first[c] ||
            (i > 0 && sg_ascii_alnum((unsigned char)t[i - 1])) ||
            (sg_ascii_alpha(c) && !number_word_start(t + i, len - i))) {
            while (i < len && sg_ascii_alnum((unsigned char)t[i]))
                i++;
            if (i < len && !sg_ascii_alnum((unsigned char)t[i]))
                i++;
            continue;
        }
        char digits[32];
        size_t s, e;
        if (!number_run(t, len, &i, digits, sizeof(digits), &s, &e))
            continue;
        candidates++;
        if (sg_detect_reference_before(t, s))
            continue;
        if (sg_detect_offer_spelt(rules, sinks, n_sinks, nt, s, e, digits,
                                  where, now) < 0)
            return -1;
    }
    return 0;
}

/* Where a spelt-out address may spell its @ at i: the word "at" (after a
 * space, tab or opening bracket, before a space, tab or closing bracket)
 * or an @. */
static inline bool
at_marker(const char *t, size_t len, size_t i)
{
    if (t[i] == '@')
        return true;
    if ((t[i] | 0x20) != 'a' || i == 0 || i + 2 >= len ||
        (t[i + 1] | 0x20) != 't')
        return false;
    char b = t[i - 1], a = t[i + 2];
    return (b == ' ' || b == '\t' || b == '(' || b == '[' || b == '{' ||
            b == '<') &&
           (a == ' ' || a == '\t' || a == ')' || a == ']' || a == '}' ||
            a == '>');
}

/* The first m >= from where at_marker holds, or len: what the plain loop
 * over every byte finds, sixteen positions at a time (or eight, the
 * fallback).  A marker at m has an @ at m, or an a at m and a t at m + 1
 * (either case); positions where neither is so are passed at once, the
 * others are tried one by one.  Without the prefilter, every byte is
 * tried. */
static size_t
next_at_marker(const char *t, size_t len, size_t from)
{
    size_t m = from;
#ifdef SG_HAVE_SCAN16
    /* sixteen positions at a time (scan16.h), and of the a-t pairs only
     * those before a byte that can end the marker (a space, tab or
     * closing bracket: below 0x41 as a signed byte, or ] or } with bit 5
     * set), so that "that", "date" and "water" are not tried */
    while (sg_detect_prefilter && sg_scan16 && m + 18 <= len) {
        sg_v16 here = sg_load16(t + m), next = sg_load16(t + m + 1),
               after = sg_load16(t + m + 2);
        unsigned hits = sg_mask16((here == '@') |
                                  (((here | 0x20) == 'a') &
                                   ((next | 0x20) == 't') &
                                   ((after < 0x41) | ((after | 0x20) == '}'))));
        for (; hits != 0; hits &= hits - 1) {
            size_t k = m + (size_t)__builtin_ctz(hits);
            if (at_marker(t, len, k))
                return k;
        }
        m += 16;
    }
#endif
    while (sg_detect_prefilter && m + 9 <= len) {
        uint64_t here = sg_load8(t + m), next = sg_load8(t + m + 1);
        /* a byte of the or is zero where here has a and next has t */
        uint64_t at_word =
            ((here | SG_SWAR_ONES * 0x20) ^ SG_SWAR_ONES * 'a') |
            ((next | SG_SWAR_ONES * 0x20) ^ SG_SWAR_ONES * 't');
        if ((sg_swar_eq(here, '@') | sg_swar_zero(at_word)) != 0)
            for (size_t k = m; k < m + 8; k++)
                if (at_marker(t, len, k))
                    return k;
        m += 8;
    }
    for (; m < len; m++)
        if (at_marker(t, len, m))
            return m;
    return len;
}

static bool
local_char(char c)
{
    return sg_ascii_alnum((unsigned char)c) ||
           (c != '\0' && strchr("_%+-", c));
}

/* Where the local part before the at marker at m can start at the
 * earliest: back over up to six parts joined by spelt or written dots
 * ("tom dot smith77 at"), as SPELT_EMAIL_RE allows. */
static size_t
spelt_left(const char *t, size_t m)
{
    size_t b = m, k = 0;
    while (b > 0 && k++ < 8 && strchr(" \t([{<", t[b - 1]) && t[b - 1])
        b--;
    size_t left = b;
    for (int part = 0; part < 6; part++) {
        size_t e = b;
        while (b > 0 && e - b < 64 && local_char(t[b - 1]))
            b--;
        if (b == e)
            break;
        left = b;
        /* a dot before it: ".", " dot ", "(dot)", "[.]" and the like */
        size_t d = b;
        for (k = 0; d > 0 && k < 3 && (t[d - 1] == ' ' || t[d - 1] == '\t');
             k++)
            d--;
        if (d > 0 && t[d - 1] == '.') {
            d--;
        } else if (d > 0 && strchr(")]}>", t[d - 1]) && t[d - 1]) {
            size_t o = d - 1;
            while (o > 0 && d - o < 8 && !strchr("([{<", t[o - 1]))
                o--;
            if (o == 0 || !strchr("([{<", t[o - 1]))
                break;
            d = o - 1;
        } else if (d >= 4 && strncasecmp(t + d - 3, "dot", 3) == 0 &&
                   (t[d - 4] == ' ' || t[d - 4] == '\t') && d < b) {
            d -= 4;
        } else {
            break;
        }
        for (k = 0; d > 0 && k < 3 && (t[d - 1] == ' ' || t[d - 1] == '\t');
             k++)
            d--;
        b = d;
    }
    return left;
}

/* Whether a match of SPELT_EMAIL_RE that starts at or before the at
 * marker at m can exist, by the bytes after it (a cheap test before
 * PCRE2 is asked).  Such a match has its spelt or written @ at m or at a
 * later marker (every earlier one was tried from where this one's search
 * starts or before).  At m: then after m's "at" or "@" and any spaces,
 * tabs and closing brackets comes a domain label (a letter, digit or
 * hyphen, or a byte of a character PCRE2 might fold to one) and, after
 * the label and any spaces or tabs, a dot: ".", an opening bracket or
 * "dot".  At a later marker: then m's "at" is the whole of a local part
 * (a marker has a space, tab or bracket on each side), and after it and
 * any spaces or tabs comes a dot, an opening bracket, an @ or the next
 * "at".  Any other byte (or the end) rules both out: PCRE2 is not asked
 * in "closes at 13:00 on Friday" or "come at lunchtime". */
/* Whether t[i..] starts the word w (two or three lower-case letters),
 * in any case, with a space or tab after it, as SP_AT's "at" and
 * SP_DOT's "dot" have. */
static inline bool
spelt_word(const char *t, size_t len, size_t i, const char *w, size_t wl)
{
    if (i + wl >= len || (t[i + wl] != ' ' && t[i + wl] != '\t'))
        return false;
    for (size_t k = 0; k < wl; k++)
        if ((t[i + k] | 0x20) != w[k])
            return false;
    return true;
}

static bool
spelt_may_follow(const char *t, size_t len, size_t m)
{
    size_t i = m + (t[m] == '@' ? 1 : 2), j = i;
    while (j < len && (t[j] == ' ' || t[j] == '\t'))
        j++;
    /* "at" and "dot" whole, with their space or tab after (no other
     * character folds to a, d, o or t without case) */
    if (t[m] != '@' && j < len && t[j] != '\0' &&
        (strchr(".([{<@", t[j]) != NULL || spelt_word(t, len, j, "at", 2) ||
         spelt_word(t, len, j, "dot", 3)))
        return true;
    while (i < len && t[i] != '\0' && strchr(" \t)]}>", t[i]) != NULL)
        i++;
    size_t l = i;
    while (i < len && (sg_ascii_alnum((unsigned char)t[i]) || t[i] == '-' ||
                       (unsigned char)t[i] >= 0x80))
        i++;
    if (i == l)
        return false;
    while (i < len && (t[i] == ' ' || t[i] == '\t'))
        i++;
    return i < len && t[i] != '\0' &&
           (strchr(".([{<", t[i]) != NULL || spelt_word(t, len, i, "dot", 3));
}

/* Spelt-out addresses: the pattern is tried only at the starts of the
 * local part before an at marker (PCRE2's offset limit), so ordinary text
 * costs a look at each character, not a match attempt at each word. */
int
sg_detect_scan_spelt(const struct sg_rules *rules, const pcre2_code *re,
                     const struct sg_norm *nt, const char *where, time_t now,
                     pcre2_match_data *md, pcre2_match_context *mctx,
                     const struct detect_sink *sinks, size_t n_sinks)
{
    const char *text = nt->text;
    size_t len = nt->len, pos = 0;
    int r = 0;
    for (size_t m = next_at_marker(text, len, 0); m < len && r == 0;
         m = next_at_marker(text, len, m + 1)) {
        if (pos > m) /* spelt_left is never past m: from would be */
            continue;
        /* the test after the marker first: two markers in three fail it,
         * and then the walk back over the local part is not needed */
        if (sg_detect_prefilter && !spelt_may_follow(text, len, m)) {
            pos = m + 1; /* as PCRE2 finding nothing leaves it */
            continue;
        }
        size_t from = spelt_left(text, m);
        if (from < pos)
            from = pos;
        pcre2_set_offset_limit(mctx, m);
        int rc = pcre2_match(re, (PCRE2_SPTR)text, len, from, 0, md, mctx);
        pos = m + 1;
        if (rc == PCRE2_ERROR_NOMATCH)
            continue;
        if (rc < 0) {
            r = sg_detect_match_error(sinks[0].d, rc);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t s = ov[0], e = ov[1];
        char canon[MAX_FINDING_TEXT + 1];
        if (e > pos)
            pos = e;
        if (e > s && spelt_email(text + s, e - s, canon, sizeof(canon)) == 0)
            r = sg_detect_offer_spelt(rules, sinks, n_sinks, nt, s, e, canon,
                                      where, now);
        if (m < pos)
            m = pos - 1; /* markers inside the match are done */
    }
    pcre2_set_offset_limit(mctx, PCRE2_UNSET);
    return r;
}

