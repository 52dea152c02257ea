/*
 * test_detect_prefilter.c - the passes over every byte of a text find
 * exactly what their plain loops find (rules/detect_spelt.c,
 * rules/normalise.c): the number-words pass with its search for the
 * next number word (thirty-two or sixteen bytes a step, or a byte loop)
 * and its resync before it, the spelt-out address pass with its
 * at-marker search and its test before PCRE2, each with the vector loops
 * (scan16.h, and the number words' look-up) and with their fallback,
 * against the plain loops
 * (sg_detect_prefilter false); and normalisation, which copies a text
 * only once a character changes, the same with and without the
 * sixteen-byte loop and the same as when the copy starts at once; and
 * the tables number words are found by, which say of every word what the
 * word list they are built from says.
 *
 * Texts: runs and addresses at every alignment around sixteen- and
 * thirty-two-byte blocks, lengths that are not multiples of sixteen,
 * texts not ending in a NUL (each is copied into a buffer of exactly its
 * length, so that AddressSanitizer and valgrind see a read past it),
 * every number word in four cases at every offset and at the text's
 * edges, in sentences and CSV rows, digit runs of every length from 1 to
 * 14, "at" between every kind of neighbour, and random texts from all of
 * these.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "detect_spelt.h"
#include "normalise.h"
#include "scan16.h"
#include "sg_rules.h"
#include "rules_util.h"

static const time_t now = 1741774500; /* 12 March 2025 */

/* The next of a fixed series of random numbers, in the uint64_t x
 * (xorshift), so that each run reads the same texts. */
#define NEXT() (x ^= x << 13, x ^= x >> 7, x ^= x << 17, x)

/* The detectors that read the spelt-out forms: number words (uk-mobile,
 * uk-landline) and spelt-out addresses (personal-email). */
static const char *const spelt_names[] = {"uk-mobile", "uk-landline",
                                          "personal-email"};

static struct sg_rules *
load(void)
{
    struct sg_rules_options o;
    sg_test_school_options(&o);
    struct sg_rules *r = NULL;
    const char *err = NULL;
    if (sg_rules_load_string("", 0, "t", &o, &r, &err) < 0)
        fail_msg("load: %s", err);
    return r;
}

/* The three ways of reading: the plain loops first. */
static const struct {
    bool prefilter, scan16;
    const char *name;
} ways[] = {
    {false, false, "plain loops"},
    {true, false, "prefilter, fallback loops"},
    {true, true, "prefilter, vector loops"},
};

/* The findings in text[0..len) (copied into a buffer of exactly len
 * bytes) are the same all three ways; how many. */
static size_t
same_all_ways(const struct sg_rules *r, const char *text, size_t len)
{
    char *buf = malloc(len > 0 ? len : 1);
    assert_non_null(buf);
    memcpy(buf, text, len);
    struct sg_finding *f[3];
    size_t n[3];
    for (size_t w = 0; w < 3; w++) {
        const char *err = NULL;
        f[w] = NULL; /* sg_rules_detect_many adds to what is there */
        n[w] = 0;
        sg_detect_prefilter = ways[w].prefilter;
        sg_scan16 = ways[w].scan16;
        if (sg_rules_detect_many(r, spelt_names, 3, buf, len, now, &f[w],
                                 &n[w], &err) != 0)
            fail_msg("detect: %s", err);
    }
    sg_detect_prefilter = true;
    sg_scan16 = true;
    for (size_t w = 1; w < 3; w++) {
        if (n[w] != n[0])
            fail_msg("%zu findings by the %s, %zu by the %s, in \"%.*s\"",
                     n[0], ways[0].name, n[w], ways[w].name,
                     (int)(len > 300 ? 300 : len), text);
        for (size_t i = 0; i < n[0]; i++)
            if (strcmp(f[w][i].detector, f[0][i].detector) != 0 ||
                strcmp(f[w][i].text, f[0][i].text) != 0)
                fail_msg("finding %zu: %s \"%s\" by the %s, %s \"%s\" by "
                         "the %s, in \"%.*s\"",
                         i, f[0][i].detector, f[0][i].text, ways[0].name,
                         f[w][i].detector, f[w][i].text, ways[w].name,
                         (int)(len > 300 ? 300 : len), text);
    }
    size_t made = n[0];
    for (size_t w = 0; w < 3; w++)
        sg_findings_free(&f[w], &n[w]);
    free(buf);
    return made;
}

/* text[len..) gets form with each mark in it replaced by with[0..wl);
 * the new length. */
static size_t
put_form(char *text, size_t len, const char *form, char mark,
         const char *with, size_t wl)
{
    for (const char *p = form; *p != '\0'; p++)
        if (*p == mark) {
            memcpy(text + len, with, wl);
            len += wl;
        } else
            text[len++] = *p;
    return len;
}

/* Runs and addresses with findings, and near misses, each after and
 * before every length of filler up to two blocks: ordinary words, digits
 * and separators, hard stops. */
static void
test_alignments(void **state)
{
    (void)state;
    static const char *const cores[] = {
        "oh seven seven oh oh nine oh oh one two three",
        "07700 nine oh oh one two three",
        "o77009001 o",
        "077009001 o",
        /* the shortest runs that offer a number (a ten-digit landline):
         * eleven bytes, as the skip assumes */
        "011770090 o",
        "o 117700900",
        "o o o o o o o o o o",
        "plus four four seven seven oh oh 900123",
        "triple seven double oh nine oh oh one two",
        "seven seven oh\noh nine oh, oh one two three",
        "tom dot smith77 at gmail dot com",
        "tom(at)gmail(dot)com",
        "jo_b at hotmail dot co dot uk",
        "me at tom dot at dot smith at gmail dot com",
        "a@b.co",
        "x @ y . org",
    };
    static const char *const fillers[] = {
        "the cat sat on that mat at the date of the water ",
        "12,34-56.78 90 12,34-56.78 90 12,34-56.78 90 1234 ",
        "\"';:!?/()\"';:!?/()\"';:!?/()\"';:!?/()\"';:!?/()\"'",
        "ones ohm seventy tone often zeros nines plusses hundreds ",
    };
    struct sg_rules *r = load();
    char text[256];
    size_t made = 0;
    for (size_t c = 0; c < sizeof(cores) / sizeof(cores[0]); c++)
        for (size_t f = 0; f < sizeof(fillers) / sizeof(fillers[0]); f++)
            for (size_t pad = 0; pad <= 33; pad++) {
                size_t cl = strlen(cores[c]), len = 0;
                memcpy(text, fillers[f], pad);
                len = pad;
                memcpy(text + len, cores[c], cl);
                len += cl;
                /* the core at the very end, then after it fillers of
                 * lengths around a block */
                made += same_all_ways(r, text, len);
                static const size_t after[] = {1, 7, 15, 16, 17, 33};
                for (size_t a = 0; a < sizeof(after) / sizeof(after[0]); a++) {
                    memcpy(text + len, fillers[(f + 1) % 4], after[a]);
                    made += same_all_ways(r, text, len + after[a]);
                }
            }
    assert_true(made > 1000);
    sg_rules_free(&r);
}

/* The word w[0..n) of letters into c[0..n], NUL-terminated, in the case
 * cs: 0 lower, 1 Capital, 2 UPPER, 3 aLtErNaTe. */
static void
in_case(char *c, const char *w, size_t n, int cs)
{
    for (size_t k = 0; k < n; k++)
        c[k] = cs == 2 || (cs == 1 && k == 0) || (cs == 3 && k % 2 == 1)
                   ? (char)(w[k] & ~0x20)
                   : (char)(w[k] | 0x20);
    c[n] = '\0';
}

/* What the number-word tables (built from the list at first use) say of
 * the word w[0..wl) of letters is what the list says, read plainly: a
 * number word in any case, with what it stands for, and one that can be
 * by its first three letters (a word of the list starts with them, or is
 * the word when it has fewer).  How many were number words. */
static size_t
tables_as_list(const char *w, size_t wl)
{
    char want = 0, d, got;
    bool start = false, word, may;
    const char *nw;
    for (size_t i = 0; (nw = sg_detect_num_word_list(i, &d)) != NULL; i++) {
        size_t n = strlen(nw);
        if (n == wl && strncasecmp(w, nw, wl) == 0)
            want = d;
        if ((wl < 3 ? n == wl : n >= 3) &&
            strncasecmp(w, nw, wl < 3 ? wl : 3) == 0)
            start = true;
    }
    sg_detect_num_word_says(w, wl, &got, &word, &may);
    if (got != want || word != (want != 0) || may != start)
        fail_msg("\"%.*s\": the tables say '%c', %s, %s; the list '%c', %s",
                 (int)wl, w, got ? got : '-', word ? "a word" : "no word",
                 may ? "can start one" : "cannot start one",
                 want ? want : '-', start ? "can start one" : "cannot");
    return want != 0;
}

/* w[0..wl) in four cases (lower, Capital, UPPER, aLtErNaTe) to
 * tables_as_list; how many were number words. */
static size_t
tables_as_list_cases(const char *w, size_t wl)
{
    char c[16];
    size_t words = 0;
    assert_true(wl < sizeof(c));
    for (int cs = 0; cs < 4; cs++) {
        in_case(c, w, wl, cs);
        words += tables_as_list(c, wl);
    }
    return words;
}

/* The tables the number words are found by agree with the list they are
 * built from: every word of it, every word of one to three letters, each
 * word of the list cut short, run on by a letter, with a letter changed
 * or left out (one to nine letters), and random words of one to nine
 * letters, each in four cases. */
static void
test_number_word_tables(void **state)
{
    (void)state;
    char w[16], d;
    const char *nw;
    size_t words = 0, list = 0;
    for (size_t i = 0; (nw = sg_detect_num_word_list(i, &d)) != NULL; i++) {
        size_t n = strlen(nw);
        assert_true(n + 1 <= sizeof(w));
        list++;
        if (tables_as_list_cases(nw, n) != 4)
            fail_msg("\"%s\" of the list is no number word by the tables",
                     nw);
        for (size_t k = 1; k < n; k++)
            words += tables_as_list_cases(nw, k); /* cut short */
        memcpy(w, nw, n);
        for (char c = 'a'; c <= 'z'; c++) {
            w[n] = c; /* run on */
            words += tables_as_list_cases(w, n + 1);
            for (size_t k = 0; k < n; k++) {
                memcpy(w, nw, n);
                w[k] = c; /* changed */
                words += tables_as_list_cases(w, n);
            }
            memcpy(w, nw, n);
        }
        for (size_t k = 0; k < n; k++) { /* left out */
            memcpy(w, nw, k);
            memcpy(w + k, nw + k + 1, n - k - 1);
            words += tables_as_list_cases(w, n - 1);
        }
    }
    for (size_t n = 1; n <= 3; n++) { /* every word of n letters */
        size_t all = 1;
        for (size_t k = 0; k < n; k++)
            all *= 26;
        for (size_t v = 0; v < all; v++) {
            for (size_t k = 0, x = v; k < n; k++, x /= 26)
                w[k] = (char)('a' + x % 26);
            words += tables_as_list_cases(w, n);
        }
    }
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int round = 0; round < 20000; round++) {
        size_t n = 1 + NEXT() % 9;
        for (size_t k = 0; k < n; k++)
            w[k] = (char)('a' + NEXT() % 26);
        words += tables_as_list_cases(w, n);
    }
    /* the changed words that are the word itself, the list's words of
     * one to three letters, and more */
    if (words < 4 * list)
        fail_msg("%zu number words among the words tried", words);
}

/* Every number word, in three cases, alone, at the start and at the end
 * of a text and of a run, run into a digit or a letter, in a CSV row. */
static void
test_number_words_at_edges(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "W",
        "W 7700 900123",
        "W 77009001",
        "077009001 W",
        "07700 900 12 W",
        "07700 900 12 Wx",
        "07700 900 12 W1",
        "x W, 7700-900-123 y",
        "Patel,Amy,W,07700900123\nSmith,Jo,07700,900,12,W\n",
        "07700 W W 123 the end",
        "W seven seven oh oh nine oh oh one two",
    };
    struct sg_rules *r = load();
    char word[16], text[160], d;
    size_t made = 0;
    const char *nw;
    for (size_t w = 0; (nw = sg_detect_num_word_list(w, &d)) != NULL; w++)
        for (int cs = 0; cs < 3; cs++) {
            size_t wl = strlen(nw);
            assert_true(wl < sizeof(word));
            in_case(word, nw, wl, cs);
            for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
                made += same_all_ways(r, text,
                                      put_form(text, 0, forms[f], 'W', word,
                                               wl)); /* each W: the word */
        }
    assert_true(made > 100);
    sg_rules_free(&r);
}

/* Every number word, in four cases, in a number it completes (each W
 * is the word) and alone, at every offset from 0 to 70 (every place in
 * two or more steps of the vector search, sixteen or thirty-two bytes,
 * and in the bytes after the last whole step), after ordinary words
 * (blockers, and candidates that are no number words: "first",
 * "thirty", "often") and before nothing or a little: number words
 * across block edges and at the text's end, in a sentence and in a CSV
 * row. */
static void
test_number_words_every_offset(void **state)
{
    (void)state;
    /* a number the word (W) completes, by what it stands for */
    static const struct {
        char d;
        const char *number;
    } numbers[] = {
        {'0', "W 7700 900123"},    {'d', "07700 9001 W 3"},
        {'t', "07700 900 W 3"},    {'+', "W 44 7700 900123"},
        {'h', "07700 9 one W 23"}, {'k', "07700 9 one W 3"},
        {0, "0770090012 W"}, /* the other digits */
    };
    static const char *const forms[] = {"N", "Smith,Amy,N,9B\n", "W"};
    static const char filler[] =
        "Please find the first thirty often-used forms. Oh, and tiny "
        "notes: hen, pen, fig.";
    struct sg_rules *r = load();
    char word[16], number[64], text[256], d;
    size_t made = 0;
    const char *nw;
    for (size_t w = 0; (nw = sg_detect_num_word_list(w, &d)) != NULL; w++)
        for (int cs = 0; cs < 4; cs++) {
            size_t wl = strlen(nw), n = 0;
            assert_true(wl < sizeof(word));
            in_case(word, nw, wl, cs); /* lower, Capital, UPPER, aLtErNaTe */
            while (numbers[n].d != 0 && numbers[n].d != d)
                n++;
            size_t nl = put_form(number, 0, numbers[n].number, 'W', word, wl);
            for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
                /* every third offset, each word and case from its own
                 * start: all offsets are tried across them */
                for (size_t pad = (w + (size_t)cs + f) % 3; pad <= 70;
                     pad += 3) {
                    size_t len = pad;
                    memcpy(text, filler, pad);
                    if (pad > 0)
                        text[len - 1] = ' '; /* not run into a word */
                    len = f < 2 ? put_form(text, len, forms[f], 'N', number, nl)
                                : put_form(text, len, forms[f], 'W', word, wl);
                    made += same_all_ways(r, text, len);
                    memcpy(text + len, " to be", 6);
                    made += same_all_ways(r, text, len + 1 + pad % 6);
                }
        }
    assert_true(made > 2500);
    sg_rules_free(&r);
}

/* Runs of digits of every length from 1 to 14 with a number word before
 * or after them (10 to 13 digits in all offer a number), at every
 * offset around the vector steps, in a CSV row and in a sentence. */
static void
test_digit_runs(void **state)
{
    (void)state;
    static const char *const forms[] = {
        "o D", "D o", "oh D.", "Phone: D, oh.", "Patel,Amy,D,o\n",
        "ring D double seven", "one D",
    };
    struct sg_rules *r = load();
    char digits[16], text[160];
    size_t made = 0;
    for (size_t n = 1; n <= 14; n++) {
        memcpy(digits, "07700900123456", n);
        for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++)
            for (size_t pad = n % 2; pad <= 66; pad += 3) {
                size_t len = 0;
                for (; len < pad; len++)
                    text[len] = "the date, 12:30 (room 9) x"[len % 26];
                len = put_form(text, len, forms[f], 'D', digits, n);
                made += same_all_ways(r, text, len);
            }
    }
    assert_true(made > 100);
    sg_rules_free(&r);
}

/* "at" and "@" between every kind of neighbour, before every kind of
 * domain: the test before PCRE2 and the search for markers read what the
 * pattern reads. */
static void
test_at_in_every_context(void **state)
{
    (void)state;
    static const char before[] = " \t([{<x.\n@-1";
    static const char after[] = " \t)]}>x.\n@-1";
    static const char *const marks[] = {"at", "AT", "aT", "@"};
    static const char *const tails[] = {
        "gmail dot com", "gmail.com", "gmail . com", "gmail(dot)com",
        "gmail [.] co", "x", "", "13:00 on Friday", "at gmail dot com",
        "dot smith at gmail dot com", ". x at y dot org", "  gmail  dot  uk",
        "-gmail.com", "g\xc3\xa9mail dot com", "@gmail.com",
    };
    struct sg_rules *r = load();
    char text[128];
    size_t made = 0;
    for (size_t b = 0; b < sizeof(before) - 1; b++)
        for (size_t a = 0; a < sizeof(after) - 1; a++)
            for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
                for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]);
                     t++) {
                    int len = snprintf(text, sizeof(text), "tom.smith77%c%s%c%s",
                                       before[b], marks[m], after[a],
                                       tails[t]);
                    made += same_all_ways(r, text, (size_t)len);
                    /* and the marker at the very end */
                    made += same_all_ways(r, text, strlen("tom.smith77") + 1 +
                                                       strlen(marks[m]));
                }
    assert_true(made > 500);
    sg_rules_free(&r);
}

/* Random texts from all of the above. */
static void
test_random(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "oh", "OH", "o", "O", "zero", "nought", "nil", "one", "two",
        "three", "four", "five", "six", "seven", "eight", "nine", "double",
        "triple", "plus", "hundred", "thousand", "seventy", "ones", "ohm",
        "07700", "900", "123", "0", "7", "44", "+", " ", "  ", ",", ".",
        "-", "\n", "\t", "\r", ":", "(", ")", "[", "]", "'", "\xc2\xa3",
        "\xff", "x", "the", "that", "date", "cat", "my", "quickly",
        "2b", "b2", "at", "AT", "dot", "DOT", "@", "tom", "smith77",
        "gmail", "com", "co", "uk", "_", "%", "(at)", "[dot]", "{", "}",
        "<", ">", "\0", "Patel,Amy,9B,", "2025-02-22,48,60,7\n",
    };
    size_t np = sizeof(pieces) / sizeof(pieces[0]);
    struct sg_rules *r = load();
    uint64_t x = 0x9e3779b97f4a7c15u;
    char text[512];
    size_t made = 0;
    for (int round = 0; round < 1500; round++) {
        size_t len = 0, cap = 40 + NEXT() % 440;
        while (len + 60 < cap) {
            if (NEXT() % 6 == 0) {
                /* a mobile number, each digit a digit or a word */
                static const char *const dw[10] = {
                    "oh", "one", "two", "three", "four",
                    "five", "six", "seven", "eight", "nine"};
                char digits[12];
                snprintf(digits, sizeof(digits), "07700900%03u",
                         (unsigned)(NEXT() % 1000));
                bool word = false;
                for (int k = 0; digits[k] != '\0'; k++) {
                    bool as_word = NEXT() % 2 == 0;
                    if (k > 0 && !word && (as_word || NEXT() % 3 == 0))
                        text[len++] = ' '; /* after digits */
                    word = as_word;
                    if (!as_word)
                        text[len++] = digits[k];
                    else {
                        const char *w = dw[digits[k] - '0'];
                        memcpy(text + len, w, strlen(w));
                        len += strlen(w);
                        text[len++] = NEXT() % 5 == 0 ? '-' : ' ';
                    }
                }
                text[len++] = ' ';
                continue;
            }
            size_t p = NEXT() % np;
            /* "\0" is one byte */
            size_t pl = p == np - 3 ? 1 : strlen(pieces[p]);
            memcpy(text + len, pieces[p], pl);
            len += pl;
            if (NEXT() % 3 != 0)
                text[len++] = NEXT() % 4 == 0 ? ',' : ' ';
        }
        made += same_all_ways(r, text, len);
    }
    assert_true(made > 200);
    sg_rules_free(&r);
}

/* ------------------------------------------------------- normalisation */

/* in[0..len) normalised with the sixteen-byte loop and without it gives
 * the same text and the same map; whether it was copied. */
static bool
same_normalised(const char *in, size_t len)
{
    char *buf = malloc(len > 0 ? len : 1);
    assert_non_null(buf);
    memcpy(buf, in, len);
    struct sg_norm a, b;
    sg_scan16 = true;
    assert_int_equal(sg_normalise(buf, len, &a), 0);
    sg_scan16 = false;
    assert_int_equal(sg_normalise(buf, len, &b), 0);
    sg_scan16 = true;
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.text, b.text, a.len);
    assert_true((a.text == buf) == (b.text == buf));
    assert_int_equal(a.n_pieces, b.n_pieces);
    for (size_t i = 0; i < a.n_pieces; i++) {
        assert_int_equal(a.pieces[i].norm, b.pieces[i].norm);
        assert_int_equal(a.pieces[i].orig, b.pieces[i].orig);
        assert_int_equal(a.pieces[i].verbatim, b.pieces[i].verbatim);
    }
    assert_int_equal(a.invalid_utf8, b.invalid_utf8);
    bool copied = a.text != buf;
    sg_norm_free(&a);
    sg_norm_free(&b);
    free(buf);
    return copied;
}

/* One byte of anything but printable ASCII, at every place of runs of
 * every length up to three blocks, is seen with and without the
 * sixteen-byte loop: a text of printable ASCII, tabs and line breaks is
 * kept as it is, one with a control, DEL or a byte that is not UTF-8 is
 * rebuilt. */
static void
test_normalise_runs(void **state)
{
    (void)state;
    static const unsigned char odd[] = {0x00, 0x01, 0x08, 0x0b, 0x1f,
                                        0x7f, 0x80, 0xc3, 0xff};
    char text[50] = {0};
    for (size_t len = 0; len <= sizeof(text); len++) {
        for (size_t k = 0; k < len; k++)
            text[k] = "plain ASCII\t\r\n~ "[k % 16];
        assert_false(same_normalised(text, len));
        for (size_t pos = 0; pos < len; pos++)
            for (size_t o = 0; o < sizeof(odd); o++) {
                char saved = text[pos];
                text[pos] = (char)odd[o];
                if (!same_normalised(text, len))
                    fail_msg("byte 0x%02x at %zu of %zu not seen", odd[o],
                             pos, len);
                text[pos] = saved;
            }
    }
}

/* A text whose every character stays as written (a pound sign, accented
 * letters, dashes: NFKC already) is not copied, and reads as itself;
 * one character that changes, anywhere, makes the copy, and the copy is
 * what normalising from a change at the very start gives. */
static void
test_normalise_copy_on_change(void **state)
{
    (void)state;
    static const char *const kept[] = {
        "\xc2\xa3", "caf\xc3\xa9", "\xe2\x80\x93", "\xe2\x80\x99", "\xc3\x9f",
    };
    static const char *const changed[] = {
        "\xef\xbc\x91",     /* fullwidth 1 */
        "\xe2\x80\x8b",     /* zero-width space, removed */
        "\xc2\xa0",         /* no-break space */
        "\xef\xac\x81",     /* fi ligature */
        "\xd9\xa3",         /* Arabic-Indic 3 */
        "e\xcc\x81",        /* e and a combining acute */
        "\xe2\x80\xa8",     /* line separator */
    };
    uint64_t x = 0x2545f4914f6cdd1du;
    char text[300], pre[302];
    for (int round = 0; round < 600; round++) {
        size_t len = 0, cap = 8 + NEXT() % 250;
        bool change = round % 2 == 1;
        size_t at_change = change ? NEXT() % cap : cap;
        while (len + 8 < cap) {
            const char *p;
            if (change && len >= at_change) {
                p = changed[NEXT() % (sizeof(changed) / sizeof(changed[0]))];
                at_change = cap;
            } else if (NEXT() % 5 == 0)
                p = kept[NEXT() % (sizeof(kept) / sizeof(kept[0]))];
            else
                p = (const char *[]){"a", "word ", "07700 ", "\n",
                                     ", ", "ab.cd@x "}[NEXT() % 6];
            memcpy(text + len, p, strlen(p));
            len += strlen(p);
        }
        bool copied = same_normalised(text, len);
        struct sg_norm n, m;
        assert_int_equal(sg_normalise(text, len, &n), 0);
        /* a control first, removed, and a line break: the copy starts
         * at once */
        pre[0] = '\x01';
        pre[1] = '\n';
        memcpy(pre + 2, text, len);
        assert_int_equal(sg_normalise(pre, len + 2, &m), 0);
        assert_ptr_not_equal(m.text, pre);
        assert_int_equal(n.len + 1, m.len);
        assert_memory_equal(n.text, m.text + 1, n.len);
        if (copied != (n.text != text))
            fail_msg("copied one way and not the other");
        if (!change && at_change == cap)
            assert_ptr_equal(n.text, text); /* nothing changed: no copy */
        /* every span maps back to the same place either way */
        for (size_t s = 0; s <= n.len; s += 1 + NEXT() % 7) {
            size_t e = s + NEXT() % (n.len - s + 1), os, oe, ps, pe;
            sg_norm_span(&n, s, e, &os, &oe);
            sg_norm_span(&m, s + 1, e + 1, &ps, &pe);
            if (os + 2 != ps || oe + 2 != pe)
                fail_msg("span %zu-%zu: %zu-%zu, %zu-%zu from the start", s,
                         e, os, oe, ps - 2, pe - 2);
        }
        sg_norm_free(&n);
        sg_norm_free(&m);
    }
}

/* ------------------------------------------ characters known alone */

/* in[0..len) normalised three ways gives the same text and map: the
 * plain loops (every character asked of ICU), then the fast paths twice
 * (the first may fill the known characters and the replacements, the
 * second reads them). */
static void
same_cold_warm_plain(const char *in, size_t len)
{
    struct sg_norm w[3];
    static const bool scan[3] = {false, true, true};
    for (size_t k = 0; k < 3; k++) {
        sg_scan16 = scan[k];
        assert_int_equal(sg_normalise(in, len, &w[k]), 0);
    }
    sg_scan16 = true;
    for (size_t k = 1; k < 3; k++) {
        if (w[k].len != w[0].len ||
            memcmp(w[k].text, w[0].text, w[0].len) != 0)
            fail_msg("\"%.*s\": %zu bytes normalised fast (%s), %zu plain",
                     (int)len, in, w[k].len, k == 1 ? "first" : "again",
                     w[0].len);
        assert_true((w[k].text == in) == (w[0].text == in));
        assert_int_equal(w[k].n_pieces, w[0].n_pieces);
        for (size_t i = 0; i < w[0].n_pieces; i++) {
            assert_int_equal(w[k].pieces[i].norm, w[0].pieces[i].norm);
            assert_int_equal(w[k].pieces[i].orig, w[0].pieces[i].orig);
            assert_int_equal(w[k].pieces[i].verbatim,
                             w[0].pieces[i].verbatim);
        }
        assert_int_equal(w[k].invalid_utf8, w[0].invalid_utf8);
    }
    for (size_t k = 0; k < 3; k++)
        sg_norm_free(&w[k]);
}

/* Every code point from U+0080 to U+3000 and a little past, a block of
 * 64 to a text: alone between ASCII (where the known bits and the
 * replacements answer), before a combining acute and before another of
 * the block (where ICU must be asked), and at the text's very end; the
 * fast paths give what the plain loop gives. */
static void
test_normalise_known_alone(void **state)
{
    (void)state;
    char text[64 * 8 + 8];
    for (uint32_t block = 0x80; block < 0x3100; block += 64) {
        for (int shape = 0; shape < 3; shape++) {
            size_t len = 0;
            for (uint32_t c = block; c < block + 64; c++) {
                if (c >= 0xd800 && c < 0xe000)
                    continue;
                char u[4];
                size_t k = c < 0x800 ? 2 : 3;
                if (k == 2) {
                    u[0] = (char)(0xc0 | c >> 6);
                    u[1] = (char)(0x80 | (c & 0x3f));
                } else {
                    u[0] = (char)(0xe0 | c >> 12);
                    u[1] = (char)(0x80 | (c >> 6 & 0x3f));
                    u[2] = (char)(0x80 | (c & 0x3f));
                }
                memcpy(text + len, u, k);
                len += k;
                if (shape == 0)
                    text[len++] = c % 2 ? ' ' : 'x';
                else if (shape == 1) {
                    memcpy(text + len, "\xcc\x81", 2); /* U+0301 */
                    len += 2;
                }
            }
            same_cold_warm_plain(text, len);
            /* each text ends on a character: alone at the very end */
            same_cold_warm_plain(text, len - (shape == 0 ? 1 : 0));
        }
    }
}

/* The characters of Outlook's and Word's prose in the places they take:
 * curly quotes, no-break and thin spaces, dashes, an ellipsis, a pound
 * sign, accented names, a ligature, a fullwidth digit; each alone, in
 * pairs, before a combining mark and a zero-width space, after a control
 * and at the end, so that a replacement remembered for one character
 * alone is never used where another follows it. */
static void
test_normalise_outlook_prose(void **state)
{
    (void)state;
    static const char *const chars[] = {
        "\xe2\x80\x99", "\xe2\x80\x9c", "\xe2\x80\x9d", "\xc2\xa0",
        "\xe2\x80\x89", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\xa6",
        "\xc2\xa3",       "\xc3\xa9",       "\xc3\xab",       "\xef\xac\x81",
        "\xef\xbc\x91", "\xd9\xa3",       "\xc2\xad",       "\xe2\x84\xa2",
    };
    static const char *const after[] = {"",          " ",  "s",
                                        "\xcc\x81", "\xe2\x80\x8b",
                                        "\x01"};
    const size_t nc = sizeof(chars) / sizeof(chars[0]);
    char text[64];
    for (size_t a = 0; a < nc; a++)
        for (size_t b = 0; b < nc; b++)
            for (size_t f = 0; f < sizeof(after) / sizeof(after[0]); f++) {
                int len = snprintf(text, sizeof(text), "We%s%s%s at 4pm%s",
                                   chars[a], after[f], chars[b], chars[a]);
                same_cold_warm_plain(text, (size_t)len);
                len = snprintf(text, sizeof(text), "%s%s%s", chars[b],
                               chars[a], after[f]);
                same_cold_warm_plain(text, (size_t)len);
            }
}

/* ------------------------------------ words after a spelt-out marker */

/* What follows an at marker decides whether PCRE2 is asked: "at" and
 * "dot" as whole words in any case with a space or a tab after them (and
 * words that only start like them: "ate", "dots", "dinner", "any"),
 * after the marker itself or after a domain label, with every kind of
 * gap, at the text's end too. */
static void
test_spelt_words_after_marker(void **state)
{
    (void)state;
    static const char *const marks[] = {"at", "AT", "@"};
    static const char *const gaps[] = {" ", "\t", "  ", " \t", ""};
    static const char *const words[] = {
        "at",  "AT",  "aT", "dot", "DOT", "Dot", "dOT", "ate",   "dots",
        "d0t", "do",  "a",  "d",   "any", "dinner", ".", "(dot)", "[.]",
    };
    static const char *const ends[] = {"", " ", "\t", "com", " com",
                                       "\tcom", " gmail dot com",
                                       "\tgmail.co.uk", " x at y dot org"};
    struct sg_rules *r = load();
    char text[128];
    size_t made = 0;
    for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
        for (size_t g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++)
            for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
                for (size_t e = 0; e < sizeof(ends) / sizeof(ends[0]); e++) {
                    /* the word right after the marker ... */
                    int len = snprintf(text, sizeof(text), "tom %s %s%s%s",
                                       marks[m], words[w], gaps[g], ends[e]);
                    made += same_all_ways(r, text, (size_t)len);
                    /* ... and after a domain label */
                    len = snprintf(text, sizeof(text), "tom %s gmail%s%s%s",
                                   marks[m], gaps[g], words[w], ends[e]);
                    made += same_all_ways(r, text, (size_t)len);
                }
    if (made < 200)
        fail_msg("%zu findings", made);
    sg_rules_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignments),
        cmocka_unit_test(test_number_word_tables),
        cmocka_unit_test(test_number_words_at_edges),
        cmocka_unit_test(test_number_words_every_offset),
        cmocka_unit_test(test_digit_runs),
        cmocka_unit_test(test_at_in_every_context),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_normalise_runs),
        cmocka_unit_test(test_normalise_copy_on_change),
        cmocka_unit_test(test_normalise_known_alone),
        cmocka_unit_test(test_normalise_outlook_prose),
        cmocka_unit_test(test_spelt_words_after_marker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
