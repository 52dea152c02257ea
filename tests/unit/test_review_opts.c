/*
 * test_review_opts.c - how every safeguard-review command reads its
 * options (review/review_opts.c): a table of values, flags and words
 * that add up, the arguments left in order after them, an unknown option
 * or a missing value refused, and the readers of --since, --older-than,
 * --format, --track and --limit refusing what is not one.
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

#include "review_opts.h"
#include "sg_rules.h"

/* argv of a command from words (NULL-ended), kept for one test */
#define ARGV(...)                                                             \
    char *argv[] = {__VA_ARGS__, NULL};                                     \
    int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1

static void
test_table(void **state)
{
    (void)state;
    ARGV("reject", "--note", "spam", "R1", "--by=dsl", "--dry", "extra");
    const char *note = NULL, *by = NULL;
    bool dry = false, never = false;
    const struct sg_review_opt opts[] = {
        SG_OPT_VALUE("note", &note), SG_OPT_VALUE("by", &by),
        SG_OPT_FLAG("dry-run", &dry), SG_OPT_FLAG("never", &never),
        SG_OPT_END,
    };
    int first = sg_review_opts(argc, argv, opts);
    assert_int_equal(first, argc - 2);
    assert_string_equal(note, "spam");
    assert_string_equal(by, "dsl");    /* --name=VALUE */
    assert_true(dry);                  /* shortened */
    assert_false(never);               /* not given */
    assert_string_equal(argv[first], "R1"); /* the arguments, in order */
    assert_string_equal(argv[first + 1], "extra");
    assert_int_equal(sg_review_opt_no_more("reject", argc, argv, first), -1);
    assert_int_equal(sg_review_opt_no_more("reject", argc, argv, argc), 0);
}

static void
test_all(void **state)
{
    (void)state;
    ARGV("note", "--note", "rang", "R2", "--note", "home", "--", "-later");
    struct sg_buf words = SG_BUF_INIT;
    const struct sg_review_opt opts[] = {SG_OPT_ALL("note", &words),
                                         SG_OPT_END};
    int first = sg_review_opts(argc, argv, opts);
    assert_int_equal(first, argc - 2);
    assert_string_equal(words.data, "rang home"); /* each one, in order */
    assert_string_equal(argv[first], "R2");
    assert_string_equal(argv[first + 1], "-later"); /* after --, a word */
    sg_buf_free(&words);
}

static void
test_refused(void **state)
{
    (void)state;
    const char *v = NULL;
    const struct sg_review_opt opts[] = {SG_OPT_VALUE("since", &v),
                                         SG_OPT_END};
    {
        ARGV("audit", "--until", "1d");
        assert_int_equal(sg_review_opts(argc, argv, opts), -1);
    }
    {
        ARGV("audit", "--since");
        assert_int_equal(sg_review_opts(argc, argv, opts), -1);
    }
    {
        /* read again from the start: the tool's first scan is not
         * carried into a command's */
        ARGV("audit", "R3", "--since", "2d");
        assert_int_equal(sg_review_opts(argc, argv, opts), 3);
        assert_string_equal(v, "2d");
    }
    {
        /* a command of options only refuses an argument */
        ARGV("digest", "--since", "1d", "R4");
        assert_int_equal(sg_review_opts_only(argc, argv, opts), -1);
    }
    {
        ARGV("digest", "--since", "1d");
        assert_int_equal(sg_review_opts_only(argc, argv, opts), 0);
    }
}

static void
test_values(void **state)
{
    (void)state;
    time_t t = 7;
    assert_int_equal(sg_review_opt_when("since", NULL, &t), 0);
    assert_int_equal(t, 7); /* not given: left alone */
    assert_int_equal(sg_review_opt_when("since", "2026-07-01", &t), 0);
    assert_int_equal(t, 1782864000);
    /* --to a day is its last second */
    assert_int_equal(sg_review_opt_when("to", "2026-07-01", &t), 0);
    assert_int_equal(t, 1782864000 + 86399);
    assert_int_equal(sg_review_opt_when("since", "soon", &t), -1);
    assert_int_equal(sg_review_opt_age("older-than", "2h", &t), 0);
    assert_int_equal(t, 7200);
    assert_int_equal(sg_review_opt_age("older-than", "2026-07-01", &t), -1);

    int fmt = -1;
    assert_int_equal(sg_review_opt_format("json", "csv", 1, "json", 2, &fmt),
                     0);
    assert_int_equal(fmt, 2);
    assert_int_equal(sg_review_opt_format("xml", "csv", 1, "json", 2, &fmt),
                     -1);
    assert_int_equal(fmt, 2);

    enum sg_track tr = SG_TRACK_STAFF_CONDUCT;
    assert_int_equal(sg_review_opt_track("pupil-welfare", &tr), 0);
    assert_int_equal(tr, SG_TRACK_PUPIL_WELFARE);
    assert_int_equal(sg_review_opt_track("pupils", &tr), -1);

    unsigned n = 3;
    assert_int_equal(sg_review_opt_uint("limit", "10", 100, &n), 0);
    assert_int_equal(n, 10);
    assert_int_equal(sg_review_opt_uint("limit", "101", 100, &n), -1);
    assert_int_equal(sg_review_opt_uint("limit", "-1", 100, &n), -1);
    assert_int_equal(sg_review_opt_uint("limit", "1x", 100, &n), -1);
    assert_int_equal(n, 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_all),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
