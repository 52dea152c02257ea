/*
 * test_detect_scan.c - the one scan for all detectors (rules/detect.c,
 * rules/detect_hs.c): every detector finds, near its candidates, exactly
 * what it finds reading the whole text with PCRE2 (tricky texts: matches
 * at the start and end, overlapping and repeated candidates, matches
 * longer than a marker's reach, multi-byte separators, text that is not
 * UTF-8, random texts from the detectors' own pieces), for a site pattern
 * Hyperscan refuses, and past the bound on candidates; the number-word and
 * spelt-out address passes find the same with their prefilter and
 * without it (detect_spelt.c), on hostile and random texts; and the evaluator
 * scans each text once for all the detectors that can matter, and not at
 * all when no rule's cheap conditions hold.
 *
 * The same tests run on the PCRE2-only build (configure
 * --without-hyperscan), where both sides read the whole text but for the
 * phone number, UPN, NHS number, ULN and pupil-dob, whose candidates are
 * found in C in both builds: the comparison is then trivial for the other
 * detectors, the evaluator's counts are not.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect.h"
#include "normalise.h"
#include "rules_int.h"
#include "sg_rules.h"
#include "rules_util.h"
#include "scan16.h"

/* The directory of compiled databases a load uses (NULL: none). */
static const char *cache_dir;

static struct sg_rules *
load(const char *text)
{
    struct sg_rules_options o;
    sg_test_school_options(&o);
    o.scan_cache_dir = cache_dir;
    struct sg_rules *r = NULL;
    const char *err = NULL;
    if (sg_rules_load_string(text, strlen(text), "t", &o, &r, &err) < 0)
        fail_msg("load: %s", err);
    return r;
}

static const time_t now = 1741774500; /* 12 March 2025 */

/* Detector di's findings in text: through the candidates (scan) or the
 * whole text (scan NULL). */
static void
findings(const struct sg_rules *r, struct detect_scan *scan, size_t di,
         const char *text, size_t len, struct sg_finding **f, size_t *n)
{
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    pcre2_match_context *mctx = pcre2_match_context_copy(r->mctx);
    assert_non_null(md);
    assert_non_null(mctx);
    *f = NULL;
    *n = 0;
    struct detect_sink sink = {&r->detectors[di], f, n, 1000, NULL, NULL};
    assert_int_equal(sg_detect_scan(r, scan, text, len, "text", now, md, mctx,
                                    &sink, 1),
                     0);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mctx);
}

/* Detector name found a[0..na) one way (how_a) and b[0..nb) the other
 * in text: the same, or the test fails; both are freed; na. */
static size_t
same_findings(const char *name, struct sg_finding *a, size_t na,
              const char *how_a, struct sg_finding *b, size_t nb,
              const char *how_b, const char *text, size_t len)
{
    if (na != nb)
        fail_msg("%s: %zu findings %s, %zu %s in \"%.*s\"", name, na, how_a,
                 nb, how_b, (int)(len > 300 ? 300 : len), text);
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].text, b[i].text) != 0)
            fail_msg("%s: finding %zu \"%s\" %s, \"%s\" %s", name, i,
                     a[i].text, how_a, b[i].text, how_b);
    size_t n = na;
    sg_findings_free(&a, &na);
    sg_findings_free(&b, &nb);
    return n;
}

static size_t same_one_detector(const struct sg_rules *r,
                                struct detect_scan *scan, size_t di,
                                const char *text, size_t len);

/* Every detector of r finds the same in text both ways; the number of
 * findings made (so a test can show it looked at something). */
static size_t
same_both_ways(const struct sg_rules *r, const char *text, size_t len)
{
    struct detect_scan *scan = NULL;
    assert_int_equal(sg_detect_scan_new(r, &scan), 0);
    size_t total = 0;
    for (size_t di = 0; di < r->n_detectors; di++) {
        struct sg_finding *a, *b;
        size_t na, nb;
        findings(r, scan, di, text, len, &a, &na);
        findings(r, NULL, di, text, len, &b, &nb);
        total += same_findings(r->detectors[di].name, a, na,
                               "through candidates", b, nb, "whole", text,
                               len);
    }
    sg_detect_scan_free(&scan);
    return total;
}

/* With Hyperscan, every built-in but pupil-roster (no marker) and the
 * phone number, UPN, NHS number, ULN and pupil-dob (candidates found in
 * C, in both builds) is in the database, so the comparisons below do
 * compare two ways of reading. */
static void
test_builtins_in_database(void **state)
{
    (void)state;
    struct sg_rules *r = load("");
#ifdef HAVE_HYPERSCAN
    for (size_t i = 0; i < r->n_detectors; i++) {
        const struct detector *d = &r->detectors[i];
        if (d->same_pattern_as != 0)
            continue;
        bool want = strcmp(d->name, "pupil-roster") != 0 &&
                    strcmp(d->name, "uk-mobile") != 0 &&
                    strcmp(d->name, "upn") != 0 &&
                    strcmp(d->name, "nhs-number") != 0 &&
                    strcmp(d->name, "uln") != 0 &&
                    strcmp(d->name, "pupil-dob") != 0;
        if (d->in_db != want)
            fail_msg("%s: in_db %d", d->name, d->in_db);
    }
#else
    for (size_t i = 0; i < r->n_detectors; i++)
        assert_false(r->detectors[i].in_db);
#endif
    sg_rules_free(&r);
}

static const char *const tricky[] = {
    /* at the very start and end of the text */
    "07700 900123",
    "07700 900123 and 07700 900124",
    "call 07700 900123",
    "jo.bloggs99@gmail.com",
    "a@b.co x@y.org",
    /* overlapping candidates: a match inside a longer near miss, numbers
     * run together, digits on both sides */
    "ref 0770090012307700900123 or 07700 900 123 456 or 1207700 900123",
    "+44 (0)7700 900123, 0044 7700 900123, +447700900123, (01632) 960001",
    "tel 07700\xe2\x80\x90" "900\xe2\x80\x93" "123 and 07700\xc2\xa0" "900124",
    "07700 900\r\n123 and 07700 900 \n 124 and 0770\n\n0 900125",
    "x@y.z@gmail.com a.b.c.d.e@hotmail.co.uk @@gmail.com tom@@x.com",
    /* caseless, the right single quote */
    "INSTA: @Jo_Bloggs99, add me on TikTok, my snap\xe2\x80\x99s jb_22, "
    "Snapchat username: jo.b, hmu on SNAP",
    "https://www.instagram.com/jo.bloggs, facebook.com/school, "
    "wa.me/447700900123, chat.whatsapp.com/AbCdEf123, discord.gg/abc",
    "WhatsApp me on 07700 900123; my signal number is",
    /* the phone number's starts (found in C): every gap, after every
     * kind of byte, and the near misses of a time, a year and a price */
    "07700\t900123, 07700.900.123, 07700-900-123, (01632) 960000, "
    "(0)7700 900123, +44\xc2\xa0" "7700 900123, 0044-7700-900123, + 44 7700 "
    "900123, 00 44 7700 900123, 00\n44 7700 900123, 07\n700 900123",
    "07 7 0 0 9 0 0 1 2 3, 07\xe2\x80\x93" "700900123, \xc2\xa3" "07700 "
    "900123, x07700 900123, (07700) 900123, call:07700900123, tel.07700 "
    "900123, +447700900123, 08:15 2026-01-05 \xe2\x82\xac" "0 07)1 0",
    "+", "+4", "00", "(0", "07", "07(", "\n07700 900123\n",
    /* social-media and messaging-invite: the handle before " on insta",
     * long runs of spaces and tabs before the name, and "ig", "fb" and
     * "x" written every way their marker takes */
    "i am   jo_b22     on\t\tinsta, @jo_b  over   on     snapchat, "
    "I'm jo.b on IG; i     am jo_1 on bereal, I  \t am  jo.b  on  fb",
    "add    me     on      x, on xas @jo_b, via X: @jo, ig: @jo, IG - jo_b22,"
    " fb.me/jo, m.facebook.com/jo, FB username:jo_b1, IG(@jo), ig[@jo]",
    "hit  me    up   on      tik tok; my     snap's jo; my \t\t insta: x;"
    " contact      me on      wickr; signal.group/#abcd; T.ME/jo_b",
    "i am                                                                 "
    "      jo_b22 on insta; add me on\t                                     "
    "                                             snap; my              "
    "                                                         whatsapp is",
    /* the most a match holds before the name: five runs of spaces, a
     * handle of 30, a URL's prefix */
    "I am  jo_b22 \t over  on  instagram; @abcdefghijklmnopqrstuvwxyz0123 "
    "on insta; I'M xyzxyzxyzxyzxyzxyzxyzxyz_12345 over on tiktok; "
    "https://mobile.facebook.com/jo.b; https://api.whatsapp.com/send?phone=447700900123",
    "follow\tme\ton\tYouTube, message me\t\t\t\t\ton twitter, big igloo "
    "fib sixty x-ray",
    /* an address whose street words are long, and over several lines */
    "Send it to 12 Longwordnameeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee "
    "Road, Flat 2\nSomewhere\nLeeds\nLS6 2AB please",
    "14 Acacia Avenue, Leeds LS6 2AB and 1 School Road, Leeds LS1 4AP",
    /* four words before the street word, runs of spaces and tabs, street
     * words as the words, and a word too many */
    "at 221B,  Upper Old\tLong  Big Road, Leeds LS6 2AB",
    "9 Park Hill Road Lane LS6 2AB; 7 A B C D E Road LS6 2AB",
    "Mary's 3 O'Neill-Smith Court LS6 2AB, 10 Downing St LS1 4AP",
    /* pupil numbers, NHS numbers, ULNs, dates of birth */
    "UPN A123456789012, B801200005001 and NHS 943 476 5919, ULN 1234567890",
    "Amy Patel 03/04/2014, Ben Jones 12 May 2013, Cara Smith 2012-01-31",
    "Amy Patel (born on the morning of a long day) 03/04/2014 and more",
    /* not UTF-8 (kept as it is by normalisation) */
    "call \xff\xfe 07700 900123 or jo@gmail.com \xc3",
    "\x80 07700 900123",
    /* non-ASCII letters next to matches */
    "\xc3\xa9" "07700 900123 caf\xc3\xa9 snap: @jo_22 \xc3\xa9tienne@gmail.com",
    "",
    "@",
    "0",
};

static void
test_tricky_texts(void **state)
{
    (void)state;
    struct sg_rules *r = load("");
    size_t made = 0;
    for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
        made += same_both_ways(r, tricky[i], strlen(tricky[i]));
    assert_true(made > 20); /* the texts do hold findings */
    sg_rules_free(&r);
}

/* The xorshift state *x moved on, and its new value: the random texts'
 * source, the same in every run. */
static uint64_t
next_random(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random pieces appended to buf[0..len) while they fit in max bytes (x:
 * the xorshift state, moved on); the new length. */
static size_t
pieces_fill(char *buf, size_t len, size_t max, const char *const *pieces,
            size_t np, uint64_t *x)
{
    for (;;) {
        const char *p = pieces[next_random(x) % np];
        size_t pl = strlen(p);
        if (len + pl > max)
            return len;
        memcpy(buf + len, p, pl);
        len += pl;
    }
}

/* Random texts from pieces of what the detectors read, so that matches,
 * near misses and separators fall against each other every way: rounds
 * of them, each the same both ways; the findings made. */
static size_t
same_on_random_texts(const struct sg_rules *r, int rounds)
{
    static const char *const pieces[] = {
        "07700", "900123", "0", "44", "+", "(0)", "(", ")", " ", "  ", "-",
        ".", "\n", "\r\n", "\t", "\xe2\x80\x90", "\xc2\xa0", "1", "12", "123",
        "@", "gmail", ".com", "jo", "_", "x", "snap", "insta", ":", " is ",
        "add me on ", "my ", "whatsapp", " me", "Road", "Amy", "Patel",
        "LS6 2AB", "14 ", "Acacia ", "03/04/2014", " May ", "2013", "A",
        "B801200005001", "943", "476", "5919", "\xc3\xa9", "\xe2\x80\x99s",
        "www.", "instagram", "/", "wa.me", "hmu on ", "tiktok", ",", "\xff",
        "i am ", "     ", "\t\t", " on ", "over on ", "ig", "IG", "fb", "x",
        " x", "@jo_b", "jo_b22", "bereal", "wickr", "contact me ", "t.me/",
        "hit me up ", "(0", "0044", "+44", "07", "00", "08:15", "\xc2\xa3",
        /* pupil-dob's names and dates */
        "Amy Patel", " Jones", "3rd", " September", ", ", "Sept.", "2014",
        "2014-01-31", "1.2.2013", "\xc3\xab", "O'Neill-Smith", "amy ",
        " Mary-Jane", "12/05/", "Born", "\t", "th", "1234567805",
        "X12345678901A", "9434765919",
    };
    size_t np = sizeof(pieces) / sizeof(pieces[0]);
    uint64_t x = 0x9e3779b97f4a7c15u;
    char text[2048];
    size_t made = 0;
    for (int round = 0; round < rounds; round++) {
        size_t len = pieces_fill(
            text, 0, sizeof(text) / (round % 8 == 0 ? 1 : 8) - 1, pieces, np,
            &x);
        made += same_both_ways(r, text, len);
    }
    return made;
}

static void
test_random_texts(void **state)
{
    (void)state;
    struct sg_rules *r = load("");
    assert_true(same_on_random_texts(r, 400) > 100);
    sg_rules_free(&r);
}

/* Site patterns: one Hyperscan takes (in prefilter mode, UTF-8), one it
 * refuses (recursion), one that can match the empty string: the last two
 * are read whole, and loading says nothing. */
static void
test_site_patterns(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "detector code-word { words \"pineapple\", \"caf\xc3\xa9 noir\" "
        "pattern '(?<!\\w)zz\\d{2,4}(?!\\d)' }\n"
        "detector nested { pattern '\\((?:[^()]|(?R))*\\)' }\n"
        "detector maybe { pattern 'q*' }\n"
        "rule a { content code-word, nested, maybe action annotate }\n");
    size_t code = sg_rules_detector_find(r, "code-word");
    size_t nested = sg_rules_detector_find(r, "nested");
    size_t maybe = sg_rules_detector_find(r, "maybe");
    assert_true(code != (size_t)-1 && nested != (size_t)-1 &&
                maybe != (size_t)-1);
#ifdef HAVE_HYPERSCAN
    assert_true(r->detectors[code].in_db);
#endif
    assert_false(r->detectors[nested].in_db);
    assert_false(r->detectors[maybe].in_db);
    static const char *const texts[] = {
        "PINEAPPLE (a (b) c) zz123 zz12345 Caf\xc3\xa9 noir qq",
        "\xff pineapple zz99 (x)",
    };
    for (size_t i = 0; i < 2; i++)
        assert_true(same_both_ways(r, texts[i], strlen(texts[i])) > 0);
    sg_rules_free(&r);
}

/* Each set of patterns a rule asks for (fewer than all) has its own
 * smaller database, and a scan that wants no more than one set's
 * patterns reads the smallest that holds them: still the same findings
 * as the whole text's, for each detector alone and for a rule's set. */
static void
test_database_sets(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule a { content uk-mobile, personal-email, home-address "
        "action hold }\n"
        "rule b { content social-media except content uk-landline "
        "action hold }\n"
        "rule c { content uk-landline, social-media, pupil-dob action hold }\n"
        "rule d { content pupil-roster action hold }\n");
#ifdef HAVE_HYPERSCAN
    /* b (social-media) and a (personal-email, home-address); c's set is
     * b's; the phone number's, pupil-dob's and d's patterns are in no
     * database */
    assert_int_equal(r->n_hs_sets, 2);
    assert_int_equal(r->hs_sets[0].n, 1);
    assert_int_equal(r->hs_sets[1].n, 2);
#else
    assert_int_equal(r->n_hs_sets, 0);
#endif
    size_t made = 0;
    for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
        made += same_both_ways(r, tricky[i], strlen(tricky[i]));
    assert_true(made > 20);
    /* rule a's three together, through rule a's database */
    const char *names[] = {"uk-mobile", "personal-email", "home-address"};
    static const char text[] =
        "call 07700 900123 or jo@gmail.com, 14 Acacia Avenue, Leeds LS6 2AB";
    struct sg_finding *f = NULL;
    size_t nf = 0;
    const char *err = NULL;
    assert_int_equal(sg_rules_detect_many(r, names, 3, text, sizeof(text) - 1,
                                          now, &f, &nf, &err),
                     0);
    assert_int_equal(nf, 3);
    sg_findings_free(&f, &nf);
    sg_rules_free(&r);
}

/* Past the bound on candidates a pattern reads the rest of the text from
 * its last candidate kept: nothing is lost.  The bound is made small (3,
 * then 40, not growing with the text) so that short texts pass it: a
 * list of phone numbers and addresses, a class list of names and dates of
 * birth (pupil-dob's bound on where a match starts, past the cut), the
 * tricky texts and random ones. */
static void
test_candidate_bound(void **state)
{
    (void)state;
    struct sg_rules *r = load("");
    char text[4096];
    size_t len = 0;
    for (int i = 0; len + 40 < sizeof(text); i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "07700 9%05d, a%d@gmail.com ", i, i);
    static const char *const first[] = {"Amy", "Zo\xc3\xab", "Mary-Jane",
                                        "Tom"};
    static const char *const last[] = {"Patel", "O'Neill", "Van Der Berg",
                                       "Smith Jones"};
    char list[4096];
    size_t ll = 0;
    for (int i = 0; ll + 80 < sizeof(list); i++)
        ll += (size_t)snprintf(
            list + ll, sizeof(list) - ll, "%s %s%s%02d/%02d/20%02d%s",
            first[i % 4], last[(i / 4) % 4], i % 3 ? " born " : "\t",
            1 + i % 28, 1 + i % 12, 10 + i % 9,
            i % 5 == 4 ? " and 3 May 2013 " : i % 7 ? "\n" : ", ");
    size_t dob = sg_rules_detector_find(r, "pupil-dob");
    size_t saved = sg_detect_max_candidates, bytes = sg_detect_candidate_bytes;
    sg_detect_candidate_bytes = SIZE_MAX;
    static const size_t bounds[] = {3, 40};
    size_t made = 0, dobs = 0, before = 0;
    for (size_t b = 0; b < sizeof(bounds) / sizeof(bounds[0]); b++) {
        sg_detect_max_candidates = bounds[b];
        made += same_both_ways(r, text, len);
        struct detect_scan *scan = NULL;
        assert_int_equal(sg_detect_scan_new(r, &scan), 0);
        dobs += same_one_detector(r, scan, dob, list, ll);
        sg_detect_scan_free(&scan);
        made += same_both_ways(r, list, ll);
        for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++)
            made += same_both_ways(r, tricky[i], strlen(tricky[i]));
        made += same_on_random_texts(r, 40);
        assert_true(made > before + 200);
        before = made;
    }
    sg_detect_max_candidates = saved;
    sg_detect_candidate_bytes = bytes;
    assert_true(dobs > 100);
    sg_rules_free(&r);
}

/* The bound grows with the text: each of n patterns' lists no more than
 * its share of the text's length, 4 bytes a candidate, and never less
 * than sg_detect_max_candidates.  A list past its bound notes the least
 * end it dropped, in whatever order they come (Hyperscan's need not be
 * sorted), so that every end below it is kept. */
static void
test_candidate_bound_grows(void **state)
{
    (void)state;
    struct detect_cands c = {.max = 2};
    sg_detect_cands_empty(&c);
    assert_true(sg_detect_cand_add(&c, 10));
    assert_true(sg_detect_cand_add(&c, 30));
    assert_false(sg_detect_cand_add(&c, 40));
    assert_false(sg_detect_cand_add(&c, 20));
    assert_false(sg_detect_cand_add(&c, 50));
    assert_true(c.cut && !c.whole);
    assert_int_equal(c.cut_at, 20);
    assert_int_equal(c.n, 2);
    assert_true(c.cap <= 2);
    sg_detect_cands_empty(&c);
    assert_false(c.cut);
    assert_true(sg_detect_cand_add(&c, 5));
    free(c.end);
    assert_int_equal(sg_detect_cand_max(0, 0), sg_detect_max_candidates);
    assert_int_equal(sg_detect_cand_max(100000, 1), sg_detect_max_candidates);
    assert_int_equal(sg_detect_cand_max(4000000, 1), 1000000);
    assert_int_equal(sg_detect_cand_max(4400000, 11), 100000);
    assert_int_equal(sg_detect_cand_max(2000000, 11), sg_detect_max_candidates);
}

/* Detector name finds the same in text[0..len), copied into a buffer of
 * exactly that size (no NUL after it), through its candidates and
 * reading the whole text; the number of findings. */
static size_t
same_one_detector(const struct sg_rules *r, struct detect_scan *scan,
                  size_t di, const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    struct sg_finding *a, *b;
    size_t na, nb;
    findings(r, scan, di, copy, len, &a, &na);
    findings(r, NULL, di, copy, len, &b, &nb);
    size_t n = same_findings(r->detectors[di].name, a, na,
                             "through candidates", b, nb, "whole", copy, len);
    free(copy);
    return n;
}

/* pupil-dob reads back from each date to where a match can start
 * (sg_detect_dob_from): names of every shape before gaps of 0 to 42
 * characters of one, two and three bytes, tabs and spaces, a digit or a
 * line break in the gap, every form of the date, a small word where the
 * name would start, and at the text's edges; then two such texts run
 * together, so that a later date reads back over an earlier one. */
static void
test_dob_bounds(void **state)
{
    (void)state;
    static const char *const before[] = {"", "x", "Dear ", "7 ", "\n", "amy "};
    static const char *const names[] = {
        "Amy Patel", "Amy  Jo\tPatel Smith", "Zo\xc3\xab O'Neill-Smith",
        "Mary-Jane Van Der Berg", "amy Patel", "Amy Patel Jones Smith Brown",
        "Al B", "\xc3\x89lodie Martin",
    };
    static const char *const fills[] = {"x", " ", "\xc3\xa9", "\xe2\x82\xac",
                                        "\t", ",", "7", "\n"};
    static const int gaps[] = {0, 1, 2, 38, 39, 40, 41, 42};
    static const char *const dates[] = {
        "03/04/2014", "2014-01-31", "3rd   September,\t 2014",
        "12 Sept. 2013", "1.2.2013", "4 May 2015", "14th\tMar 2012",
    };
    static const char *const after[] = {"", " and more", "7"};
    struct sg_rules *r = load("");
    size_t di = sg_rules_detector_find(r, "pupil-dob");
    assert_true(di != (size_t)-1);
    struct detect_scan *scan = NULL;
    assert_int_equal(sg_detect_scan_new(r, &scan), 0);
    char text[512], prev[512];
    size_t made = 0, n = 0, pl = 0;
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
    for (size_t b = 0; b < N_OF(before); b++)
        for (size_t m = 0; m < N_OF(names); m++)
            for (size_t f = 0; f < N_OF(fills); f++)
                for (size_t g = 0; g < N_OF(gaps); g++) {
                    /* one gap per fill for most; every gap for the first */
                    if (f > 0 && f < 6 && g % 2 == 1 && b > 1)
                        continue;
#ifndef HAVE_HYPERSCAN
                    /* a sample keeps the valgrind run of this build
                     * short */
                    if ((b + m + f + g) % 8 != 0)
                        continue;
#endif
                    size_t d = (b + m + f + g) % N_OF(dates);
                    size_t len = (size_t)snprintf(text, sizeof(text), "%s%s",
                                                  before[b], names[m]);
                    for (int k = 0; k < gaps[g]; k++)
                        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                                "%s", fills[f]);
                    len += (size_t)snprintf(text + len, sizeof(text) - len,
                                            "%s%s", dates[d],
                                            after[(m + g) % N_OF(after)]);
                    made += same_one_detector(r, scan, di, text, len);
                    /* the one before and this one together */
                    char two[sizeof(prev) + 1 + sizeof(text)];
                    memcpy(two, prev, pl);
                    two[pl] = ' ';
                    memcpy(two + pl + 1, text, len);
                    made += same_one_detector(r, scan, di, two, pl + 1 + len);
                    memcpy(prev, text, len);
                    pl = len;
                    n++;
                }
#undef N_OF
#ifdef HAVE_HYPERSCAN
    assert_true(n > 1000);
    assert_true(made > 1000); /* most of them are findings */
#else
    assert_true(n > 100);
    assert_true(made > 100);
#endif
    /* tables whose rows hold names and dates (candidates on a row are
     * passed over), with names and dates on the lines around them, the
     * line right after a row, CRLF, and a row at the text's end */
    static const char *const tables[] = {
        "Surname,Forename,DOB\nPatel,Amy,12/03/2014\nAmy Patel 12/03/2014 "
        "and Ben Jones 3 May 2013\nJones,Ben,3 May 2013",
        "Dear Amy Patel 1.2.2013\nName\tBirthday\tGroup\nAmy Patel\t12th "
        "March 2014\tDolphins\nBen Jones\t1/9/2013\tSharks\nCara Smith "
        "04/05/2015 came too",
        "Name,Date of birth\r\nAmy Patel,03/04/2014\r\nBen Jones "
        "Smith,2013-01-31\r\n\r\nZo\xc3\xab O'Neill 12 May 2014\r\n",
        "Pupil;DOB;Note\nAmy Patel;03/04/2014;Amy Patel 03/04/2014\nBen "
        "Jones;04/05/2013;x\nAl Bo 1.1.2015",
    };
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        size_t tl = strlen(tables[i]);
        for (size_t cut = tl > 30 ? tl - 30 : 0; cut <= tl; cut++)
            made += same_one_detector(r, scan, di, tables[i], cut);
    }
    sg_detect_scan_free(&scan);
    sg_rules_free(&r);
}

/* The index in r of each of the n detectors named in names, into di. */
static void
find_detectors(const struct sg_rules *r, const char *const *names, size_t n,
               size_t *di)
{
    for (size_t k = 0; k < n; k++)
        assert_true((di[k] = sg_rules_detector_find(r, names[k])) !=
                    (size_t)-1);
}

/* UPN, NHS number and ULN find the same through the candidates found in
 * C (sg_detect_number_candidates, both builds) as reading the whole text,
 * sixteen bytes at a time and one: each valid number in every written
 * form, with digits added before it to make runs of 8 to 14, at every
 * alignment within sixteen bytes, after and before every kind of byte
 * (letters, the lookbehind's, a pound sign, a line break), at the text's
 * edges in buffers of exactly their size, and in CSV rows. */
static void
test_number_candidates(void **state)
{
    (void)state;
    static const char *const numbers[] = {
        "9434765919", "943 476 5919", "943-476-5919", "943 4765919",
        "943476 5919", "943\n476 5919", "943\xe2\x80\x93" "476\xc2\xa0" "5919",
        "943.476.5919", "943\t 476\r\n 5919", "1234567805", "A123456789012",
        "X12345678901A", "B801200005001",
    };
    static const char *const before[] = {
        "", " ", "A", "a", "Z", "I", "_", "+", "-", ".", "/", "(", "\n",
        "\xc2\xa3", "\xc3\xa9", ",", "$", "0",
    };
    static const char *const after[] = {"", " ", "A", "x", ".5", "-", ",",
                                        "\n", "/2", "\xc3\xa9"};
    static const char *const names[] = {"upn", "nhs-number", "uln"};
    struct sg_rules *r = load("");
    size_t di[3];
    find_detectors(r, names, 3, di);
    struct detect_scan *scan = NULL;
    assert_int_equal(sg_detect_scan_new(r, &scan), 0);
    char text[256];
    size_t made = 0;
    for (int s16 = 0; s16 < 2; s16++) {
        sg_scan16 = s16 == 1;
        for (size_t nb = 0; nb < sizeof(numbers) / sizeof(numbers[0]); nb++)
            for (size_t b = 0; b < sizeof(before) / sizeof(before[0]); b++)
                for (int extra = 0; extra <= 4; extra++)
                    for (int align = 0; align < 17; align++) {
                        size_t a = (b + nb + (size_t)align) %
                                   (sizeof(after) / sizeof(after[0]));
                        /* digits before the number: runs of 8 to 14 */
                        int lead = extra == 4 ? 0 : extra;
                        size_t len = (size_t)snprintf(
                            text, sizeof(text), "%*s%s%.*s%s%s", align, "",
                            before[b], lead, "0123", numbers[nb], after[a]);
                        if (extra == 4) /* at the text's end, cut short */
                            len -= strlen(after[a]) + (align % 3 == 0);
                        for (int k = 0; k < 3; k++)
                            made += same_one_detector(r, scan, di[k], text,
                                                      len);
                    }
    }
    sg_scan16 = true;
    /* runs of every length 1 to 20, one after another */
    size_t len = 0;
    for (int l = 1; l <= 20; l++) {
        for (int i = 0; i < l; i++)
            text[len++] = (char)('1' + (l + i) % 9);
        text[len++] = l % 2 ? ' ' : ',';
    }
    for (int k = 0; k < 3; k++)
        same_one_detector(r, scan, di[k], text, len);
    /* CSV rows */
    len = 0;
    for (int i = 0; i < 6; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "A123456789012,9434765919,1234567805,Amy%d\n",
                                i);
    for (int k = 0; k < 3; k++)
        made += same_one_detector(r, scan, di[k], text, len);
    assert_true(made > 2000);
    sg_detect_scan_free(&scan);
    sg_rules_free(&r);
}

/* The phone number's candidates found sixteen bytes a step (each '0' and
 * '+' of a step in turn) are the ones found by memchr, and the ones the
 * walk over runs of digits gives with the numbers' (sixteen bytes a step
 * and one), in random texts of the starts and near misses of phone
 * numbers at every alignment, in buffers of exactly their size ('0' and
 * '+' in the last bytes, which have too few after them), and cut at a
 * bound of one to three alike; and uk-mobile finds the same through them
 * as reading the whole text. */
static void
test_phone_candidates16(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "0", "00", "+", "+4", "+44 ", "07", "07700", " 900123", "(0",
        "(01632)",
        ")", " ", "-", ".", "\t", "\n", "x", "1", "9", "2026", "08:15", "$0",
        "\xc2\xa3" "0", "\xc2\xa0", "\xe2\x80\x90", "0044", "00 44", "7700",
        " 07700 900123 ", "+44 7700 900124, ",
    };
    size_t np = sizeof(pieces) / sizeof(pieces[0]);
    struct sg_rules *r = load("");
    size_t di = sg_rules_detector_find(r, "uk-mobile");
    struct detect_scan *scan = NULL;
    assert_int_equal(sg_detect_scan_new(r, &scan), 0);
    struct detect_cands a, b, w, num[4];
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    memset(&w, 0, sizeof(w));
    memset(num, 0, sizeof(num));
    char buf[256];
    size_t cands = 0, made = 0;
    uint64_t x = 0x853c49e6748fea9bu;
    for (int round = 0; round < 4000; round++) {
        size_t len = (size_t)(round % 16); /* the alignment */
        memset(buf, ' ', len);
        size_t max = round % 5 == 0 ? sizeof(buf) : 40;
        len = pieces_fill(buf, len, max, pieces, np, &x);
        char *text = malloc(len ? len : 1);
        assert_non_null(text);
        memcpy(text, buf, len);
        sg_scan16 = true;
        sg_detect_phone_candidates(text, len, &a);
        sg_scan16 = false;
        sg_detect_phone_candidates(text, len, &b);
        sg_scan16 = true;
        if (a.n != b.n || memcmp(a.end, b.end, a.n * sizeof(*a.end)) != 0)
            fail_msg("phone: %zu candidates sixteen bytes a step, %zu by "
                     "memchr in \"%.*s\"",
                     a.n, b.n, (int)len, text);
        for (int s16 = 0; s16 < 2; s16++) {
            sg_scan16 = s16 == 1;
            sg_detect_number_candidates(text, len, &num[0], &num[1], &num[2],
                                        &num[3], &w);
            if (a.n != w.n || memcmp(a.end, w.end, a.n * sizeof(*a.end)) != 0)
                fail_msg("phone: %zu candidates by their own walk, %zu by "
                         "the walk over runs of digits (scan16 %d) in "
                         "\"%.*s\"",
                         a.n, w.n, s16, (int)len, text);
        }
        sg_scan16 = true;
        /* and cut at a bound alike: the same kept, the same cut_at */
        for (size_t bound = 1; bound <= 3; bound++) {
            a.max = w.max = bound;
            sg_detect_phone_candidates(text, len, &a);
            sg_detect_number_candidates(text, len, &num[0], &num[1], &num[2],
                                        &num[3], &w);
            if (a.n != w.n || a.cut != w.cut ||
                (a.cut && a.cut_at != w.cut_at) ||
                memcmp(a.end, w.end, a.n * sizeof(*a.end)) != 0)
                fail_msg("phone, at most %zu: %zu candidates by their own "
                         "walk, %zu by the walk over runs of digits in "
                         "\"%.*s\"",
                         bound, a.n, w.n, (int)len, text);
            a.max = w.max = 0;
        }
        sg_detect_phone_candidates(text, len, &a);
        cands += a.n;
        if (round % 4 == 0)
            made += same_one_detector(r, scan, di, text, len);
        free(text);
    }
    free(a.end);
    free(b.end);
    free(w.end);
    for (int k = 0; k < 4; k++)
        free(num[k].end);
    assert_true(cands > 4000);
    assert_true(made > 100);
    sg_detect_scan_free(&scan);
    sg_rules_free(&r);
}

/* The walk over runs of digits gives the same five lists (UPN, NHS
 * number, ULN, pupil-dob, phone) sixteen bytes a step, the runs taken
 * from masks, as one run at a time, and each of those five detectors
 * finds the same through them as reading the whole text: random texts
 * of runs of one to fourteen digits, '0's and '+'s, dates, phone numbers,
 * dashes, letters and bytes beyond ASCII, long enough for many steps, so
 * that runs start and end at every place of a step and of the sixteen
 * bytes read after it, and in buffers of exactly their size; then with
 * each list wanted alone. */
static void
test_number_runs16(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "1", "7", "0", "00", "07", "12", "123", "0123", "1999", "2014",
        "20123", "123456", "9434765919", "94347659190", "12345678901234",
        "-", "--", "/", ".", " ", "\t", "\n", ",", "(", ")", "+", "+4",
        "+44 ", "A", "x", "Mar", "March ", "3rd", "\xc2\xa3", "\xc2\xa0",
        "\xe2\x80\x93", "2012-01-31", "03/04/2014", "12 May, 2013",
        "07700 900123", "A123456789012", "943 476 5919", "-07", "-12",
    };
    static const char *const names[] = {"upn", "nhs-number", "uln",
                                        "pupil-dob", "uk-mobile"};
    size_t np = sizeof(pieces) / sizeof(pieces[0]);
    struct sg_rules *r = load("");
    size_t di[5];
    find_detectors(r, names, 5, di);
    struct detect_scan *scan = NULL;
    assert_int_equal(sg_detect_scan_new(r, &scan), 0);
    struct detect_cands a[5], b[5];
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    char buf[400];
    size_t cands = 0, made = 0;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round % 32); /* where the steps fall */
        memset(buf, round % 3 ? ' ' : '5', len);
        size_t max = round % 7 == 0 ? 40 : sizeof(buf);
        len = pieces_fill(buf, len, max, pieces, np, &x);
        char *text = malloc(len ? len : 1);
        assert_non_null(text);
        memcpy(text, buf, len);
        /* all five wanted, then each alone */
        for (int only = -1; only < 5; only++) {
            struct detect_cands *pa[5], *pb[5];
            for (int k = 0; k < 5; k++) {
                pa[k] = only < 0 || only == k ? &a[k] : NULL;
                pb[k] = only < 0 || only == k ? &b[k] : NULL;
            }
            sg_scan16 = true;
            sg_detect_number_candidates(text, len, pa[0], pa[1], pa[2], pa[3],
                                        pa[4]);
            sg_scan16 = false;
            sg_detect_number_candidates(text, len, pb[0], pb[1], pb[2], pb[3],
                                        pb[4]);
            sg_scan16 = true;
            for (int k = 0; k < 5; k++) {
                if (pa[k] == NULL)
                    continue;
                if (a[k].n != b[k].n ||
                    (a[k].n > 0 &&
                     memcmp(a[k].end, b[k].end, a[k].n * sizeof(uint32_t)) != 0))
                    fail_msg("%s: %zu candidates from masks, %zu run by run "
                             "in \"%.*s\"",
                             names[k], a[k].n, b[k].n, (int)len, text);
                cands += a[k].n;
            }
        }
        if (round % 5 == 0)
            for (int k = 0; k < 5; k++)
                made += same_one_detector(r, scan, di[k], text, len);
        free(text);
    }
    for (int k = 0; k < 5; k++) {
        free(a[k].end);
        free(b[k].end);
    }
    assert_true(cands > 50000);
    assert_true(made > 200);
    sg_detect_scan_free(&scan);
    sg_rules_free(&r);
}

/* The ends of the matches of (?<!\d)(?:DOB_DATE)(?!\d) in text[0..len),
 * tried at every start, each once and in order, into ends; how many. */
static size_t
dob_date_ends_pcre2(const pcre2_code *re, pcre2_match_data *md,
                    const char *text, size_t len, uint32_t *ends)
{
    size_t n = 0;
    for (size_t s = 0; s <= len; s++) {
        int rc = pcre2_match(re, (PCRE2_SPTR)text, len, s, PCRE2_ANCHORED, md,
                             NULL);
        if (rc == PCRE2_ERROR_NOMATCH)
            continue;
        assert_true(rc > 0);
        uint32_t e = (uint32_t)pcre2_get_ovector_pointer(md)[1];
        size_t k = n;
        while (k > 0 && ends[k - 1] > e)
            k--;
        if (k > 0 && ends[k - 1] == e)
            continue;
        memmove(ends + k + 1, ends + k, (n - k) * sizeof(*ends));
        ends[k] = e;
        n++;
    }
    return n;
}

/* pupil-dob's candidates found in C (the walk over runs of digits,
 * sg_detect_number_candidates) are exactly the ends of its dates as PCRE2
 * reads them ((?<!\d)(?:DOB_DATE)(?!\d), tried at every start), sixteen
 * bytes at a time and one, in buffers of exactly the text's size: every
 * form of date with each of its separators, runs of digits one longer or
 * shorter than a part, years that are not 19.. or 20.., months in other
 * cases, cut short or run into letters, ordinals right and wrong, runs of
 * spaces and tabs, commas and full stops in every order, and random texts
 * of those pieces, digits, letters, line breaks and bytes beyond ASCII.
 * Then pupil-dob finds the same through those candidates as reading the
 * whole text, with names before the dates. */
static void
test_dob_candidates(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "1", "3", "12", "31", "123", "19", "20", "2012", "1999", "2000",
        "1899", "2112", "20123", "201", "0", "00", "/", ".", "-", " ", "\t",
        "  ", " \t ", ",", ", ", ".,", ",.", ". ", "st", "nd", "rd", "th",
        "ST", "xrd", "Mar", "March", "Marc", "Sept", "Sep", "September",
        "Septembe", "May", "June", "Junee", "Jul", "July", "Dec", "Decembers",
        "march", "MAR", "Jan", "January", "Feb", "Apr", "Aug", "Oct", "Nov",
        "x", "Amy Patel ", "\n", "\xc3\xa9", "\xe2\x80\x93", "\xff", "a",
        "2012-01-31", "03/04/2014", "3rd March 2014", "1.2.13", "12 May, 2013",
    };
    size_t np = sizeof(pieces) / sizeof(pieces[0]);
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *re = pcre2_compile(
        (PCRE2_SPTR) "(?<!\\d)(?:" DOB_DATE ")(?!\\d)", PCRE2_ZERO_TERMINATED,
        PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
    assert_non_null(re);
    pcre2_match_data *md = pcre2_match_data_create(4, NULL);
    assert_non_null(md);
    struct sg_rules *r = load("");
    size_t di = sg_rules_detector_find(r, "pupil-dob");
    struct detect_scan *scan = NULL;
    assert_int_equal(sg_detect_scan_new(r, &scan), 0);
    struct detect_cands c;
    memset(&c, 0, sizeof(c));
    uint32_t ref[600];
    char buf[512];
    size_t dates = 0, made = 0;
    uint64_t x = 0x2545f4914f6cdd1du;
    for (int round = 0; round < 6000; round++) {
        size_t len = 0;
        size_t max = round % 4 == 0 ? sizeof(buf) - 40 : 48;
        len = pieces_fill(buf, len, max, pieces, np, &x);
        if (round % 50 == 7) { /* a long run of digits or of spaces */
            memset(buf + len / 2, round % 100 == 7 ? '7' : ' ', 30);
        }
        char *text = malloc(len ? len : 1); /* no byte after it */
        assert_non_null(text);
        memcpy(text, buf, len);
        size_t nr = dob_date_ends_pcre2(re, md, text, len, ref);
        for (int s16 = 0; s16 < 2; s16++) {
            sg_scan16 = s16 == 1;
            sg_detect_number_candidates(text, len, NULL, NULL, NULL, &c,
                                        NULL);
            if (c.n != nr || memcmp(c.end, ref, nr * sizeof(*ref)) != 0)
                fail_msg("dates: %zu candidates in C, %zu by PCRE2 in "
                         "\"%.*s\"",
                         c.n, nr, (int)len, text);
        }
        sg_scan16 = true;
        dates += nr;
        if (round % 3 == 0) { /* and with a name before */
            char named[sizeof(buf) + 16];
            int nl = snprintf(named, sizeof(named), "Amy Patel %.*s",
                              (int)len, text);
            made += same_one_detector(r, scan, di, named, (size_t)nl);
            made += same_one_detector(r, scan, di, text, len);
        }
        free(text);
    }
    free(c.end);
    assert_true(dates > 3000); /* the texts do hold dates */
    assert_true(made > 200);
    sg_detect_scan_free(&scan);
    sg_rules_free(&r);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
}

/* ------------------------------------------------------------ prefilter */

/* The detectors that read the spelt-out forms (uk-mobile, uk-landline:
 * number words; personal-email: spelt-out addresses) find the same in
 * text with the prefilter of those passes (detect_spelt.c) and without
 * it; the number of findings. */
static size_t
same_with_prefilter(const struct sg_rules *r, const char *text, size_t len)
{
    static const char *const names[] = {"uk-mobile", "uk-landline",
                                        "personal-email"};
    size_t total = 0;
    for (size_t k = 0; k < 3; k++) {
        size_t di = sg_rules_detector_find(r, names[k]);
        assert_true(di != (size_t)-1);
        struct sg_finding *a, *b;
        size_t na, nb;
        sg_detect_prefilter = true;
        findings(r, NULL, di, text, len, &a, &na);
        sg_detect_prefilter = false;
        findings(r, NULL, di, text, len, &b, &nb);
        sg_detect_prefilter = true;
        total += same_findings(names[k], a, na, "with the prefilter", b, nb,
                               "without", text, len);
    }
    return total;
}

/* Numbers in words and addresses spelt out, against every kind of
 * neighbour the prefilter's reasoning rests on (hard stops, words that
 * end a run, words with digits, number words run into letters or digits,
 * a + in odd places, Unicode, bytes that are not UTF-8), at the ends of
 * the text, and past the bound on runs read. */
static void
test_prefilter(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "oh seven seven oh oh nine oh oh one two three",
        "OH SEVEN SEVEN double oh nine 0 0 1 2 3",
        "call: 07700 nine oh oh one two three!",
        "07700\n900 one two three, 07700 900\n\none two three",
        "+44 7700, 900-one two three; 44 (7700) 900 one two three",
        "ring o7700 9oo123 or oh7700 nine00 one two three",
        "x oh seven seven oh oh nine oh oh one two threex",
        "(oh seven seven oh oh nine oh oh one two three)",
        "plus four four seven seven oh oh nine oh oh one two three",
        "+ four four 7700 900 123, +plus 44 7700 900123",
        "order one two three four five six seven eight nine oh",
        "ref: oh seven seven oh oh nine oh oh one two three",
        "seven seven oh\noh nine oh\n\noh one two three",
        "oh seven seven, oh oh nine. oh oh - one two three",
        "one hundred and seven, oh seven seven hundred nine hundred one "
        "two three, triple seven double oh nine oh oh one two",
        "o o o o o o o o o o o o o o o o o o o o o o o o o o o o o o o o o o "
        "o o o o o o o o o o o 7",
        "caf\xc3\xa9 oh seven seven oh oh nine oh oh one two three\xc3\xa9",
        "\xff oh seven seven oh oh nine oh oh one two three \xfe",
        "tom dot smith77 at gmail dot com",
        "tom(at)gmail(dot)com, tom [at] gmail [.] com, tom @ gmail . com",
        "me at tom dot at dot smith at gmail dot com",
        "look at bbc.co.uk, at at at gmail dot com, cat at gmail dot com",
        "jo.b AT gmail DOT co DOT uk and jo_b at hotmail dot co dot uk",
        "at gmail dot com",
        "tom at",
        "a@",
        "@ gmail . com x @ y . org",
    };
    struct sg_rules *r = load("");
    size_t made = 0;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
        made += same_with_prefilter(r, texts[i], strlen(texts[i]));
    assert_true(made > 15); /* the texts do hold findings */

    /* random texts: mobile numbers written in words and digits mixed,
     * each digit either way, between pieces of everything else */
    static const char *const pieces[] = {
        "oh", "OH", "o", "O", "zero", "nought", "nil", "one", "two", "three",
        "four", "five", "six", "seven", "eight", "nine", "double", "triple",
        "plus", "hundred", "thousand", "seventy", "ones", "ohm", "07700",
        "900", "123", "0", "7", "44", "+", " ", "  ", ",", ".", "-", "\n",
        "\t", "\r", ":", "(", ")", "[", "]", "'", "\xc3\xa9", "\xff", "x",
        "the", "ref", "order", "call", "2b", "b2", "at", "AT", "dot", "DOT",
        "@", "tom", "smith77", "gmail", "com", "co", "uk", "_", "%", "(at)",
        "[dot]", "{", "}", "<", ">",
    };
    static const char *const words[10] = {"oh", "one", "two", "three",
                                          "four", "five", "six", "seven",
                                          "eight", "nine"};
    static const char *const seps[] = {" ", " ", ", ", "-", ". ", "\n",
                                       "  ", "", " ", " ", " ", "-",
                                       " ", ", ", " ", " ", " ", "\t",
                                       ":", " x "};
    size_t np = sizeof(pieces) / sizeof(pieces[0]);
    uint64_t x = 0x2545f4914f6cdd1du;
#define NEXT() next_random(&x)
    char text[1024];
    for (int round = 0; round < 2000; round++) {
        size_t len = 0;
        size_t cap = round % 16 == 0 ? sizeof(text) : 400;
        while (len + 160 < cap) {
            if (NEXT() % 2 == 0) {
                const char *p = pieces[NEXT() % np];
                memcpy(text + len, p, strlen(p));
                len += strlen(p);
                continue;
            }
            /* 07700 900 + three digits, about 1 in 40 of them wrong, and
             * 1 in 10 of the gaps ending the run */
            char digits[12];
            snprintf(digits, sizeof(digits), "07700900%03u",
                     (unsigned)(NEXT() % 1000));
            for (int k = 0; digits[k] != '\0'; k++) {
                char d = digits[k];
                if (NEXT() % 40 == 0)
                    d = (char)('0' + NEXT() % 10);
                const char *sep = seps[NEXT() % 20];
                if (NEXT() % 2 == 0) {
                    text[len++] = d;
                    if (NEXT() % 3 == 0)
                        continue; /* digits run together */
                } else {
                    const char *w = words[d - '0'];
                    size_t wl = strlen(w);
                    memcpy(text + len, w, wl);
                    if (NEXT() % 4 == 0)
                        text[len] = (char)(text[len] - 'a' + 'A');
                    len += wl;
                    if (*sep == '\0')
                        sep = " ";
                }
                memcpy(text + len, sep, strlen(sep));
                len += strlen(sep);
            }
        }
        made += same_with_prefilter(r, text, len);
    }
#undef NEXT
    assert_true(made > 300);

    /* more runs than the pass reads (NUMWORD_CANDIDATES), with others
     * between them: the same ones are read */
    char *big = malloc(64 * 1024);
    assert_non_null(big);
    size_t len = 0;
    for (int i = 0; len + 80 < 64 * 1024; i++)
        len += (size_t)snprintf(big + len, 64 * 1024 - len,
                                i % 3 ? "oh seven seven oh oh nine oh oh "
                                        "%d%d%d and "
                                      : "x: one two three four five %d%d%d "
                                        "six; ",
                                i % 10, i / 10 % 10, i / 100 % 10);
    assert_true(same_with_prefilter(r, big, len) > 0);
    free(big);
    sg_rules_free(&r);
}

/* Normalisation passes runs of plain ASCII eight bytes at a time
 * (normalise.c): a text of plain ASCII (tabs and line breaks included)
 * is kept as it is, and one byte of anything else, at any place in a
 * run of any length, is seen (the text is rebuilt). */
static void
test_normalise_ascii_runs(void **state)
{
    (void)state;
    static const unsigned char odd[] = {0x00, 0x01, 0x0b, 0x1f, 0x7f,
                                        0x80, 0xc3, 0xff};
    char text[40];
    for (size_t len = 1; len <= sizeof(text); len++) {
        for (size_t k = 0; k < len; k++)
            text[k] = "plain ASCII\t\r\n~ "[k % 16];
        struct sg_norm n;
        assert_int_equal(sg_normalise(text, len, &n), 0);
        assert_ptr_equal(n.text, text);
        sg_norm_free(&n);
        for (size_t pos = 0; pos < len; pos++)
            for (size_t o = 0; o < sizeof(odd); o++) {
                char saved = text[pos];
                text[pos] = (char)odd[o];
                assert_int_equal(sg_normalise(text, len, &n), 0);
                if (n.text == text)
                    fail_msg("byte 0x%02x at %zu of %zu not seen", odd[o],
                             pos, len);
                sg_norm_free(&n);
                text[pos] = saved;
            }
    }
}

/* ------------------------------------------------------------ evaluator */

/* How many texts one evaluation scans. */
/* A name lookup that finds nobody (pupil-roster then reads every row). */
static int
nobody(void *ctx, const char *name, const struct sg_person **person_r)
{
    (void)ctx;
    (void)name;
    *person_r = NULL;
    return 0;
}

/* pupil-roster and pupil-dob in one scan read the table rows in one
 * pass (detect_tables.c), each as it would alone: a short text, and a
 * class list of more rows than pupil-roster reads (it stops after
 * DETECT_MAX_NAME_CANDIDATES names) and than pupil-dob keeps findings
 * (1000).  pupil-dob finds, beside pupil-roster in the same scan, what it
 * finds alone, and pupil-roster reads as many names. */
static void
test_table_rows_shared(void **state)
{
    (void)state;
    struct sg_rules *r = load("");
    static const char small[] =
        "Dear all, the swimming group:\n"
        "Name\tBirthday\tGroup\n"
        "Amy Patel\t12th March 2014\tDolphins\n"
        "Ben Jones\t1/9/2013\tSharks\n"
        "\nand Cara Smith 2012-01-31 joins later.\n"
        "Surname,Forename,DOB\nPatel,Amy,12/03/2014\nKhan,Zara,03/04/2014\n";
    static const char *const first[] = {"Amy", "Ben", "Cara", "Dev", "Ella",
                                        "Finn", "Gita", "Hugo"};
    static const char *const last[] = {"Patel", "Jones", "Smith", "Khan",
                                       "Brown", "Evans", "Wilson", "Taylor"};
    size_t cap = 400000, big_len = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    big_len += (size_t)snprintf(big, cap, "Class list\nName,Date of birth\n");
    for (int i = 0; i < 6000; i++)
        big_len += (size_t)snprintf(
            big + big_len, cap - big_len, "%s%c %s%c,%02d/%02d/20%02d\n",
            first[i % 8], 'a' + i / 8 % 26, last[i / 208 % 8],
            'a' + i / 1664 % 26, 1 + i % 28, 1 + i / 28 % 12, 10 + i % 9);
    big_len += (size_t)snprintf(big + big_len, cap - big_len,
                                "\nand Cara Smith 2012-01-31 joins later.\n");
    const char *texts[] = {small, big};
    size_t lens[] = {sizeof(small) - 1, big_len};
    size_t dob = sg_rules_detector_find(r, "pupil-dob");
    size_t roster = sg_rules_detector_find(r, "pupil-roster");
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    pcre2_match_context *mctx = pcre2_match_context_copy(r->mctx);
    struct detect_scan *scan = NULL;
    assert_int_equal(sg_detect_scan_new(r, &scan), 0);
    for (size_t t = 0; t < 2; t++) {
        struct detect_lookup lk = {nobody, NULL, {0}, 0};
        struct detect_lookup lk_alone = {nobody, NULL, {0}, 0};
        struct sg_finding *a = NULL, *b = NULL, *c = NULL;
        size_t na = 0, nb = 0, nc = 0;
        struct detect_sink both[] = {
            {&r->detectors[roster], &c, &nc, 1000, NULL, &lk},
            {&r->detectors[dob], &a, &na, 1000, NULL, NULL},
        };
        unsigned long passes = sg_detect_tables_passes();
        assert_int_equal(sg_detect_scan(r, scan, texts[t], lens[t], "text",
                                        now, md, mctx, both, 2),
                         0);
        assert_int_equal(sg_detect_tables_passes() - passes, 1);
        struct detect_sink alone = {&r->detectors[dob], &b, &nb, 1000, NULL,
                                    NULL};
        assert_int_equal(sg_detect_scan(r, scan, texts[t], lens[t], "text",
                                        now, md, mctx, &alone, 1),
                         0);
        struct detect_sink roster_alone = {&r->detectors[roster], &c, &nc,
                                           1000, NULL, &lk_alone};
        assert_int_equal(sg_detect_scan(r, scan, texts[t], lens[t], "text",
                                        now, md, mctx, &roster_alone, 1),
                         0);
        assert_int_equal(nc, 0); /* nobody is a pupil */
        /* pupil-roster did read the rows, as many alone as beside */
        assert_true(lk.candidates > 0);
        assert_int_equal(lk.candidates, lk_alone.candidates);
        assert_int_equal(same_findings("pupil-dob", a, na,
                                       "beside pupil-roster", b, nb, "alone",
                                       texts[t], lens[t]),
                         t == 0 ? 4 : 1000);
        sg_detect_lookup_clear(&lk);
        sg_detect_lookup_clear(&lk_alone);
    }
    free(big);
    sg_detect_scan_free(&scan);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mctx);
    sg_rules_free(&r);
}

static unsigned long
texts_scanned(const struct sg_rules *r, const struct sg_eval_input *in,
              size_t *n_rules)
{
    unsigned long before = sg_detect_texts_scanned();
    struct sg_verdict *v = NULL;
    const char *err = NULL;
    if (sg_rules_eval(r, in, &v, &err) < 0)
        fail_msg("eval: %s", err);
    *n_rules = v->n_rules;
    sg_verdict_free(&v);
    return sg_detect_texts_scanned() - before;
}

static void
test_eval_scans_once(void **state)
{
    (void)state;
    struct sg_person *staff = sg_person_new(), *pupil = sg_person_new();
    assert_non_null(staff);
    assert_non_null(pupil);
    staff->address = strdup("j.smith@school.example");
    pupil->address = strdup("amy.p@school.example");
    assert_int_equal(sg_person_add_role(staff, "staff"), 0);
    assert_int_equal(sg_person_add_role(pupil, "pupil"), 0);
    struct sg_msgview *mv =
        sg_test_view("Trip", "Ring me on 07700 900123 or snap: @jo_b22");
    struct sg_party rc[1] = {{.address = "amy.p@school.example",
                              .person = pupil,
                              .channel = SG_CHANNEL_SCHOOL}};
    struct sg_eval_input in = {
        .view = mv,
        .sender = {.address = "j.smith@school.example", .person = staff,
                   .channel = SG_CHANNEL_SCHOOL},
        .rcpts = rc, .n_rcpts = 1, .now = now};
    size_t n_rules;
    /* two content rules that apply, four detectors: each of the two texts
     * (subject, body) is scanned once */
    struct sg_rules *r = load(
        "rule contact { from staff to pupil content uk-mobile, "
        "personal-email action hold }\n"
        "rule social { from staff content social-media "
        "except content upn action annotate }\n");
    assert_int_equal(texts_scanned(r, &in, &n_rules), 2);
    assert_int_equal(n_rules, 2);
    sg_rules_free(&r);
    /* the content rules' cheap conditions fail (sender, time, recipient
     * count): no text is normalised or scanned */
    r = load("rule p { from pupil content uk-mobile action hold }\n"
             "rule n { recipients > 5 content social-media action hold }\n"
             "rule e { from staff to external content uk-mobile "
             "action hold }\n"
             "rule plain { from staff action journal }\n");
    assert_int_equal(texts_scanned(r, &in, &n_rules), 0);
    assert_int_equal(n_rules, 1);
    sg_rules_free(&r);
    /* one rule applies: its detector's scan only, findings as before */
    r = load("rule p { from pupil content social-media action hold }\n"
             "rule s { from staff content uk-mobile action hold }\n");
    assert_int_equal(texts_scanned(r, &in, &n_rules), 2);
    assert_int_equal(n_rules, 1);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
    sg_person_free(&staff);
    sg_person_free(&pupil);
}

#ifdef HAVE_HYPERSCAN
/* The path of the one cache file in dir ("" when there is none, or
 * more than one), in path. */
static void
cache_file(const char *dir, char *path, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    path[0] = '\0';
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && n++ == 0)
            snprintf(path, size, "%s/%s", dir, e->d_name);
    closedir(d);
    if (n != 1)
        path[0] = '\0';
}

/* Load rules text with the cache, nothing kept in memory from before;
 * where its database came from. */
static const char *
load_fresh(const char *text, struct sg_rules **r)
{
    sg_detect_hs_cache_clear();
    *r = load(text);
    return sg_rules_scan_source(*r);
}

/* The compiled database is kept in scan_cache_dir and read back by the
 * next load, which then finds what the compiled one finds; a file that
 * is not exactly the database asked for, or that someone else could have
 * written, is never read (the load compiles instead). */
static void
test_disk_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/sg-scan-cache.XXXXXX", path[512], other[512];
    struct stat st;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chmod(dir, 0755), 0);
    cache_dir = dir;
    /* the rule asks for every pattern: one database, one file */
    const char *site = "detector locker { pattern 'locker (code|number) "
                       "[0-9]{4}' }\n"
                       "rule l { content locker, uk-mobile, personal-email, "
                       "social-media, messaging-invite, home-address, upn, "
                       "nhs-number, uln, pupil-dob action hold }\n";
    struct sg_rules *r;
    assert_string_equal(load_fresh(site, &r), "compiled");
    sg_rules_free(&r);
    cache_file(dir, path, sizeof(path));
    assert_true(path[0] != '\0');
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);

    /* read back: the same findings as the PCRE2 patterns, and some */
    assert_string_equal(load_fresh(site, &r), "read from the cache");
    size_t found = 0;
    for (size_t i = 0; i < sizeof(tricky) / sizeof(*tricky); i++)
        found += same_both_ways(r, tricky[i], strlen(tricky[i]));
    const char *locker = "my locker code 4411, ring 07700 900123";
    found += same_both_ways(r, locker, strlen(locker));
    assert_true(found > 10);
    sg_rules_free(&r);

    /* writable by others: not read; compiled and saved again, as 0640 */
    assert_int_equal(chmod(path, 0666), 0);
    assert_string_equal(load_fresh(site, &r), "compiled");
    sg_rules_free(&r);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);

    /* damaged (a byte of the database or of the header's UTF-8 flag, at
     * 64 after the magic and four lengths, changed; or cut short): not
     * read */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 64, SEEK_SET), 0);
    int flag = fgetc(f);
    assert_int_equal(fseek(f, 64, SEEK_SET), 0);
    fputc(flag ^ 1, f);
    fclose(f);
    assert_string_equal(load_fresh(site, &r), "compiled");
    sg_rules_free(&r);
    f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, -64, SEEK_END), 0);
    int c = fgetc(f);
    assert_int_equal(fseek(f, -64, SEEK_END), 0);
    fputc(c ^ 0x5a, f);
    fclose(f);
    assert_string_equal(load_fresh(site, &r), "compiled");
    sg_rules_free(&r);
    assert_int_equal(truncate(path, 200), 0);
    assert_string_equal(load_fresh(site, &r), "compiled");
    sg_rules_free(&r);

    /* another rule set's file under this one's name: the expressions
     * differ, so it is not read */
    snprintf(other, sizeof(other), "%s/.site", dir);
    assert_int_equal(rename(path, other), 0);
    assert_string_equal(load_fresh("", &r), "compiled"); /* built-ins only */
    sg_rules_free(&r);
    char builtins[512];
    cache_file(dir, builtins, sizeof(builtins));
    assert_true(builtins[0] != '\0');
    assert_int_equal(rename(builtins, path), 0);
    assert_string_equal(load_fresh(site, &r), "compiled");
    sg_rules_free(&r);

    /* a directory others may write to: nothing in it is read */
    assert_string_equal(load_fresh(site, &r), "read from the cache");
    sg_rules_free(&r);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_string_equal(load_fresh(site, &r), "compiled");
    sg_rules_free(&r);

    /* no cache directory (it does not exist): compiled, nothing else */
    cache_dir = "/nonexistent/sg-scan-cache";
    assert_string_equal(load_fresh(site, &r), "compiled");
    sg_rules_free(&r);
    cache_dir = NULL;
    sg_detect_hs_cache_clear();
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}
#endif

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtins_in_database),
        cmocka_unit_test(test_tricky_texts),
        cmocka_unit_test(test_random_texts),
        cmocka_unit_test(test_site_patterns),
        cmocka_unit_test(test_candidate_bound),
        cmocka_unit_test(test_candidate_bound_grows),
        cmocka_unit_test(test_dob_bounds),
        cmocka_unit_test(test_number_candidates),
        cmocka_unit_test(test_dob_candidates),
        cmocka_unit_test(test_phone_candidates16),
        cmocka_unit_test(test_number_runs16),
        cmocka_unit_test(test_database_sets),
        cmocka_unit_test(test_prefilter),
        cmocka_unit_test(test_normalise_ascii_runs),
        cmocka_unit_test(test_table_rows_shared),
        cmocka_unit_test(test_eval_scans_once),
#ifdef HAVE_HYPERSCAN
        cmocka_unit_test(test_disk_cache),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
