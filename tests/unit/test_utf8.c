/*
 * test_utf8.c - cutting UTF-8 text at a character boundary (sg_utf8_cut,
 * sg_utf8_next): every length from 0 to the whole, for one, two, three
 * and four byte characters.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sg_utf8.h"

/* "a", "é" (2), "€" (3), "𝄞" (4), "b": boundaries at 0 1 3 6 10 11. */
static const char mixed[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e"
                            "b";

static void
test_cut_every_length(void **state)
{
    (void)state;
    static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11};
    size_t len = strlen(mixed);
    assert_int_equal(len, 11);
    for (size_t max = 0; max <= len; max++) {
        size_t cut = sg_utf8_cut(mixed, len, max);
        assert_int_equal(cut, want[max]);
        /* the prefix is valid UTF-8 to its end */
        for (size_t i = 0; i < cut;) {
            size_t l = sg_utf8_decode((const unsigned char *)mixed + i,
                                      cut - i, NULL);
            assert_true(l > 0);
            i += l;
        }
    }
    assert_int_equal(sg_utf8_cut(mixed, len, 1000), len);
}

/* The end of a string snprintf cut inside a character is dropped (no
 * byte after the cut needed). */
static void
test_cut_incomplete_end(void **state)
{
    (void)state;
    char s[8];
    volatile size_t room = 5; /* "ab" + 2 of the 3 bytes of a euro sign */
    snprintf(s, room, "ab%s", "\xe2\x82\xac");
    size_t n = strlen(s);
    assert_int_equal(n, 4);
    assert_int_equal(sg_utf8_cut(s, n, n), 2);
    assert_int_equal(sg_utf8_cut("ab\xc3\xa9", 4, 4), 4); /* whole */
    assert_int_equal(sg_utf8_cut("\x80\x80", 2, 2), 0);    /* no lead */
    assert_int_equal(sg_utf8_cut("", 0, 5), 0);
}

static void
test_next(void **state)
{
    (void)state;
    size_t len = strlen(mixed);
    static const size_t steps[] = {1, 3, 6, 10, 11};
    size_t i = 0;
    for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
        i = sg_utf8_next(mixed, len, i);
        assert_int_equal(i, steps[k]);
    }
    /* at the end it still moves on, so a scanning loop ends */
    assert_int_equal(sg_utf8_next(mixed, len, len), len + 1);
    /* from inside a character: to the next lead byte */
    assert_int_equal(sg_utf8_next(mixed, len, 7), 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_every_length),
        cmocka_unit_test(test_cut_incomplete_end),
        cmocka_unit_test(test_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
