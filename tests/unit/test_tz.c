/*
 * test_tz.c - the one formatter of times for people (sg_tz_format): the
 * school's zone with its abbreviation, a summer and a winter date in
 * Europe/London, UTC without a zone, the offset where a zone has no
 * letters, and every style.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sg_tz.h"

#define SUMMER 1780405500 /* Tuesday 2 June 2026 13:05:00 UTC */
#define WINTER 1767791107 /* Wednesday 7 January 2026 13:05:07 UTC */

static struct sg_tz *
zone(const char *name)
{
    struct sg_tz *tz = NULL;
    const char *err = NULL;
    if (sg_tz_load(name, NULL, &tz, &err) < 0)
        fail_msg("%s: %s (install tzdata)", name, err);
    return tz;
}

static void
expect(const struct sg_tz *tz, time_t t, enum sg_time_style style,
       const char *want)
{
    char buf[80];
    sg_tz_format(tz, t, style, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void
test_london_summer_and_winter(void **state)
{
    (void)state;
    struct sg_tz *tz = zone("Europe/London");
    expect(tz, SUMMER, SG_TIME_LONG, "Tuesday 2 June 2026 at 14:05 BST");
    expect(tz, SUMMER, SG_TIME_SHORT, "2026-06-02 14:05 BST");
    expect(tz, WINTER, SG_TIME_LONG, "Wednesday 7 January 2026 at 13:05 GMT");
    expect(tz, WINTER, SG_TIME_SECONDS, "2026-01-07 13:05:07 GMT");
    /* the hour the clocks go forward: 29 March 2026 01:00 UTC */
    expect(tz, 1774745999, SG_TIME_SHORT, "2026-03-29 00:59 GMT");
    expect(tz, 1774746000, SG_TIME_SHORT, "2026-03-29 02:00 BST");
    sg_tz_free(&tz);
}

static void
test_utc_and_offsets(void **state)
{
    (void)state;
    expect(NULL, SUMMER, SG_TIME_LONG, "Tuesday 2 June 2026 at 13:05 UTC");
    expect(NULL, WINTER, SG_TIME_SECONDS, "2026-01-07 13:05:07 UTC");
    /* a zone whose abbreviation is a number: the offset instead */
    struct sg_tz *tz = zone("Asia/Dubai");
    expect(tz, WINTER, SG_TIME_SHORT, "2026-01-07 17:05 UTC+04:00");
    sg_tz_free(&tz);
    tz = zone("America/St_Johns");
    expect(tz, WINTER, SG_TIME_SHORT, "2026-01-07 09:35 NST");
    sg_tz_free(&tz);
}

static void
test_too_small(void **state)
{
    (void)state;
    char buf[8];
    sg_tz_format(NULL, WINTER, SG_TIME_LONG, buf, sizeof(buf));
    assert_string_equal(buf, "1767791"); /* the number, cut */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_london_summer_and_winter),
        cmocka_unit_test(test_utc_and_offsets),
        cmocka_unit_test(test_too_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
