/*
 * test_findings.c - the one renderer of findings (core/findings.c): the
 * words in each style, values made safe by the style, missing values,
 * marked text, the JSON form, and a failing style.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "findings.h"

/* A stand-in for HTML escaping: '<' as "&lt;". */
static int
put_lt(struct sg_buf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((s[i] == '<' ? sg_buf_puts(b, "&lt;") : sg_buf_putc(b, s[i])) < 0)
            return -1;
    return 0;
}

static int
put_fail(struct sg_buf *b, const char *s, size_t len)
{
    (void)b;
    (void)s;
    (void)len;
    return -1;
}

static const struct sg_finding_style html = {put_lt, NULL, "<mark>",
                                             "</mark>"};

static void
test_words(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_finding_put(&b, "uk-mobile", "07700 900123", "body",
                                    &sg_finding_plain),
                     0);
    assert_string_equal(b.data, "uk-mobile \"07700 900123\" in body");
    sg_buf_reset(&b);
    /* the plain style keeps a terminal safe: no escape sequence, no line
     * break, no reordering; what was there is shown, not hidden */
    assert_int_equal(sg_finding_put(&b, "x", "a\x1b[2Jb\nc", "attachment \"q\"",
                                    &sg_finding_plain),
                     0);
    assert_string_equal(b.data, "x \"a\\x1b[2Jb\\x0ac\" in attachment \"q\"");
    sg_buf_reset(&b);
    assert_int_equal(sg_finding_put(&b, "x", "07700\xe2\x80\xae" "321", "body",
                                    &sg_finding_plain),
                     0);
    assert_string_equal(b.data, "x \"07700\\u202e321\" in body");
    sg_buf_reset(&b);
    assert_int_equal(sg_finding_put(&b, NULL, NULL, NULL, &sg_finding_plain),
                     0);
    assert_string_equal(b.data, "? \"\" in the message");
    sg_buf_reset(&b);
    /* every value through the style's put, the marks as they are */
    assert_int_equal(sg_finding_put(&b, "d<", "<b>", "part <1>", &html), 0);
    assert_string_equal(b.data,
                        "d&lt; <mark>&lt;b></mark> in part &lt;1>");
    sg_buf_reset(&b);
    const struct sg_finding_style failing = {put_fail, NULL, "\"", "\""};
    assert_int_equal(sg_finding_put(&b, "d", "t", "w", &failing), -1);
    sg_buf_free(&b);
}

static void
test_mark(void **state)
{
    (void)state;
    static const char text[] = "call <me> on 07700 900123 or 07700 900124";
    const struct sg_span spans[] = {{13, 25}, {29, 41}};
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(
        sg_findings_mark(&b, text, strlen(text), spans, 2, &html), 0);
    assert_string_equal(b.data, "call &lt;me> on <mark>07700 900123</mark> "
                                "or <mark>07700 900124</mark>");
    sg_buf_reset(&b);
    assert_int_equal(sg_findings_mark(&b, text, 4, NULL, 0, &html), 0);
    assert_string_equal(b.data, "call");
    sg_buf_free(&b);
}

static void
test_json(void **state)
{
    (void)state;
    json_t *j = sg_finding_json("uk-mobile", "07700 900123", NULL);
    assert_non_null(j);
    char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(s, "{\"detector\":\"uk-mobile\",\"text\":\"07700 "
                           "900123\",\"where\":\"the message\"}");
    free(s);
    json_decref(j);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_mark),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
