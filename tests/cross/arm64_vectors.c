/*
 * arm64_vectors.c - the NEON paths of the passes that read sixteen bytes
 * at a time, held to their byte loops on arm64 (built by test_arm64.sh
 * with aarch64-linux-gnu-gcc and run under qemu-aarch64, as the suite's
 * machines are amd64).  It includes rules/detect_spelt.c itself, to reach
 * its static searches: the number-word search (NEON's tbl), the at-marker
 * search (scan16.h) and scan16.h's sg_mask16, whose arm64 form is a
 * multiply.  Nothing else of the library is linked; what this file does
 * not call is left unresolved.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "detect_spelt.c"

#include <stdlib.h>

#ifndef SG_HAVE_SCAN16
#error "scan16.h's vectors are not built for this target"
#endif
#ifndef NW_STEP
#error "the number-word search has no vector path on this target"
#endif

bool sg_scan16 = true; /* normalise.c's, which is not linked */

/* Pieces of texts: every number word in three cases, words that share
 * their first letters, digits, separators, the at-markers and the words
 * around them, bytes past ASCII. */
static const char *const pieces[] = {
    "one",  "two",   "three", "four",   "five",    "six",   "seven",
    "eight", "nine", "zero",  "oh",     "o",       "nought", "nil",
    "double", "triple", "plus", "hundred", "thousand", "ONE", "Seven",
    "OH",   "Oh",    "tHoUsAnD", "the", "thr",     "twofold", "first",
    "tiny", "ohh",   "oho",   "zer",    "fou",     "dou",   "plu",
    "nin",  "sev",   "hun",   "tri",    "tho",     "eig",   "fiv",
    "07700", "900",  "123",   "+44",    " ",       " ",     ", ",
    "-",    ".",     "\n",    "\t",     "at",      "@",     " at ",
    "(at)", "[at]",  "AT",    "that",   "date",    "x",     "_",
    "o'clock", "\xc3\xa9", "\xe2\x80\x99", "\xef\xbf\xbd",
};
#define N_PIECES (sizeof(pieces) / sizeof(pieces[0]))

int
main(int argc, char **argv)
{
    long texts = argc > 1 ? atol(argv[1]) : 20000, positions = 0, bad = 0;
    static char buf[4096];
    pthread_once(&nw_once, nw_build); /* as the scan does before searching */
    srand(20261203);
    for (long it = 0; it < texts; it++) {
        size_t len = 0, want = (size_t)(rand() % 200);
        while (len < want) {
            const char *p = pieces[(size_t)rand() % N_PIECES];
            size_t n = strlen(p);
            memcpy(buf + len, p, n);
            len += n;
            if (rand() % 3 == 0)
                buf[len++] = ' ';
        }
        if (rand() % 10 == 0) /* some bytes of any value */
            for (size_t k = 0; k < len; k++)
                if (rand() % 20 == 0)
                    buf[k] = (char)(rand() % 256);
        /* a copy of its own length, so that a read past the end is not
         * hidden by the buffer */
        char *t = malloc(len > 0 ? len : 1);
        memcpy(t, buf, len);
        for (size_t p = 0; p <= len; p++, positions++) {
            size_t nw_vec = next_number_word_vec(t, len, p),
                   nw_bytes = next_number_word_bytes(t, len, p);
            sg_detect_prefilter = true;
            size_t at_fast = next_at_marker(t, len, p);
            sg_detect_prefilter = false;
            size_t at_plain = next_at_marker(t, len, p);
            sg_detect_prefilter = true;
            if ((nw_vec != nw_bytes || at_fast != at_plain) && bad++ < 5)
                printf("not ok - text %ld from %zu: number word %zu, byte "
                       "loop %zu; at-marker %zu, byte loop %zu\n",
                       it, p, nw_vec, nw_bytes, at_fast, at_plain);
        }
        free(t);
    }
    for (int it = 0; it < 100000; it++) {
        unsigned char lanes[16];
        unsigned want = 0;
        for (int k = 0; k < 16; k++) {
            lanes[k] = (rand() & 1) ? 0xff : 0;
            want |= lanes[k] != 0 ? 1u << k : 0;
        }
        sg_v16 m;
        memcpy(&m, lanes, sizeof(m));
        if (sg_mask16(m) != want && bad++ < 10)
            printf("not ok - sg_mask16 gave %#x for %#x\n", sg_mask16(m),
                   want);
    }
    printf("%s - %ld texts, %ld positions, %ld differences\n",
           bad == 0 ? "ok" : "not ok", texts, positions, bad);
    return bad == 0 ? 0 : 1;
}
