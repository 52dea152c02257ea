/*
 * test_icu.c - libsgicu, the ICU wrapper the directory and the rules
 * share: strict UTF-8 in, each transform (NFD, NFC, NFKC, NFKC case fold,
 * full case folding, confusable skeleton), a result that does not fit
 * its buffer or passes the bound, UTF-8 out.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sg_icu.h"

/* s through the steps, as UTF-8 (malloc'ed); NULL when the steps fail. */
static char *
through(const char *s, const enum sg_icu_step *steps, size_t n_steps)
{
    int32_t n = 0;
    UChar *u = sg_icu_from_utf8(s, strlen(s), &n);
    assert_non_null(u);
    char *out = NULL;
    size_t len = 0;
    if (sg_icu_apply(&u, &n, steps, n_steps, 0) == 0)
        out = sg_icu_to_utf8(u, n, &len);
    free(u);
    if (out != NULL)
        assert_int_equal(strlen(out), len);
    return out;
}

static void
check(const char *in, enum sg_icu_step step, const char *want)
{
    char *out = through(in, &step, 1);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void
test_steps(void **state)
{
    (void)state;
    assert_true(sg_icu_ready());
    /* full case folding, as Postfix folds addresses */
    check("ZO\xc3\x8b", SG_ICU_CASEFOLD, "zo\xc3\xab");
    check("Stra\xc3\x9f" "e", SG_ICU_CASEFOLD, "strasse");
    /* canonical forms: e + combining acute <-> precomposed */
    check("e\xcc\x81", SG_ICU_NFC, "\xc3\xa9");
    check("\xc3\xa9", SG_ICU_NFD, "e\xcc\x81");
    /* compatibility forms: fullwidth T, circled one */
    check("\xef\xbc\xb4\xe2\x91\xa0", SG_ICU_NFKC, "T1");
    /* NFKC case fold also drops a zero-width space */
    check("A\xe2\x80\x8b" "B", SG_ICU_NFKC_CASEFOLD, "ab");
    /* a Cyrillic o has the skeleton of a Latin o */
    char *latin = through("o", (enum sg_icu_step[]){SG_ICU_SKELETON}, 1);
    char *cyrillic =
        through("\xd0\xbe", (enum sg_icu_step[]){SG_ICU_SKELETON}, 1);
    assert_non_null(latin);
    assert_non_null(cyrillic);
    assert_string_equal(latin, cyrillic);
    free(latin);
    free(cyrillic);
    /* steps in order: the address key's NFD, fold, NFC */
    static const enum sg_icu_step key[] = {SG_ICU_NFD, SG_ICU_CASEFOLD,
                                           SG_ICU_NFC};
    char *out = through("ZOE\xcc\x88", key, 3);
    assert_string_equal(out, "zo\xc3\xab");
    free(out);
    for (enum sg_icu_step s = SG_ICU_NFD; s <= SG_ICU_NFKC_CASEFOLD; s++)
        assert_non_null(sg_icu_normalizer(s));
    assert_null(sg_icu_normalizer(SG_ICU_SKELETON));
}

/* Not UTF-8: refused, never repaired. */
static void
test_bad_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {"\xff", "a\xc3", "\xed\xa0\x80",
                                      "\xc0\xaf"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int32_t n = -1;
        assert_null(sg_icu_from_utf8(bad[i], strlen(bad[i]), &n));
    }
    /* a supplementary code point is two units */
    uint32_t cps[] = {'A', 0x1d400};
    int32_t n = 0;
    UChar *u = sg_icu_from_code_points(cps, 2, &n);
    assert_non_null(u);
    assert_int_equal(n, 3);
    char buf[8];
    assert_int_equal(sg_icu_to_utf8_into(u, n, buf, sizeof(buf)), 5);
    assert_string_equal(buf, "A\xf0\x9d\x90\x80");
    /* too small a buffer: -1 and nothing in it */
    assert_int_equal(sg_icu_to_utf8_into(u, n, buf, 4), -1);
    assert_string_equal(buf, "");
    free(u);
}

/* U+FDFA becomes 18 characters under NFKC: a buffer too small says how
 * much is needed, and a bound stops the growth. */
static void
test_growth(void **state)
{
    (void)state;
    UChar in[] = {0xfdfa};
    UChar out[4];
    assert_int_equal(sg_icu_step_into(SG_ICU_NFKC, in, 1, out, 4), 18);
    UChar big[18];
    assert_int_equal(sg_icu_step_into(SG_ICU_NFKC, in, 1, big, 18), 18);

    int32_t n = 0;
    UChar *u = sg_icu_from_utf8("\xef\xb7\xba\xef\xb7\xba", 6, &n);
    assert_non_null(u);
    static const enum sg_icu_step nfkc[] = {SG_ICU_NFKC};
    /* the first buffer (2n + 16 units) is too small: it grows */
    assert_int_equal(sg_icu_apply(&u, &n, nfkc, 1, 0), 0);
    assert_int_equal(n, 36);
    free(u);
    /* past the bound: 1, and the text as it was */
    u = sg_icu_from_utf8("\xef\xb7\xba\xef\xb7\xba", 6, &n);
    assert_int_equal(sg_icu_apply(&u, &n, nfkc, 1, 30), 1);
    assert_int_equal(n, 2);
    assert_int_equal(u[0], 0xfdfa);
    free(u);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steps),
        cmocka_unit_test(test_bad_utf8),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
