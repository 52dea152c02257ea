/*
 * test_expand.c - the one {placeholder} syntax (sg_expand_check,
 * sg_expand): known names, {{ and }}, a lone }, unknown and unclosed
 * placeholders, the text callback, failures.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sg_expand.h"

static const char *const names[] = {"from", "to", "date", NULL};
static const char *const values[] = {"amy@school.example", "<pupils>",
                                     "Tuesday"};

static int
put_value(struct sg_buf *b, size_t i, void *ctx)
{
    (void)ctx;
    return sg_buf_puts(b, values[i]);
}

static int
fail_value(struct sg_buf *b, size_t i, void *ctx)
{
    (void)b;
    (void)i;
    (void)ctx;
    return -1;
}

/* Upper-cases the text between placeholders, and counts its calls. */
static int
put_upper(struct sg_buf *b, const char *s, size_t len, void *ctx)
{
    (*(int *)ctx)++;
    for (size_t i = 0; i < len; i++) {
        char c = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
        if (sg_buf_putc(b, c) < 0)
            return -1;
    }
    return 0;
}

static void
expect(const char *text, const char *want)
{
    struct sg_expand_bad bad;
    assert_int_equal(sg_expand_check(text, names, &bad), 0);
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_expand(&b, text, names, put_value, NULL, NULL), 0);
    assert_string_equal(b.data != NULL ? b.data : "", want);
    sg_buf_free(&b);
}

static void
test_expand_names_and_braces(void **state)
{
    (void)state;
    expect("From {from} to {to}.", "From amy@school.example to <pupils>.");
    expect("{date}{date}", "TuesdayTuesday");
    expect("{{from}} is {from}", "{from} is amy@school.example");
    expect("a } b }} c {{ d", "a } b } c { d");
    expect("}}}", "}}");
    expect("", "");
    expect("no placeholders at all", "no placeholders at all");
}

static void
expect_bad(const char *text, size_t at, size_t name_len, bool unclosed)
{
    struct sg_expand_bad bad;
    assert_int_equal(sg_expand_check(text, names, &bad), -1);
    assert_ptr_equal(bad.at, text + at);
    assert_int_equal(bad.name_len, name_len);
    assert_int_equal(bad.unclosed, unclosed);
    /* an unchecked text is never guessed at */
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_expand(&b, text, names, put_value, NULL, NULL), -1);
    sg_buf_free(&b);
}

static void
test_check_refuses(void **state)
{
    (void)state;
    expect_bad("Dear {name},", 5, 4, false);
    expect_bad("ok {from} then {FROM}", 15, 4, false);
    expect_bad("a { b", 2, 2, true);
    expect_bad("{from\n}", 0, 4, true);  /* one line only */
    expect_bad("{{ fine }} {", 11, 0, true);
    expect_bad("{}", 0, 0, false);        /* an empty name is unknown */
    char longname[64];
    memset(longname, 'x', sizeof(longname) - 2);
    longname[0] = '{';
    longname[sizeof(longname) - 2] = '}';
    longname[sizeof(longname) - 1] = '\0';
    expect_bad(longname, 0, SG_EXPAND_NAME_MAX - 1, true); /* capped */
}

static void
test_text_callback_and_failures(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT;
    int calls = 0;
    assert_int_equal(sg_expand(&b, "to {to}, {{ok}}", names, put_value,
                               put_upper, &calls),
                     0);
    assert_string_equal(b.data, "TO <pupils>, {OK}");
    assert_true(calls >= 3);
    sg_buf_reset(&b);
    assert_int_equal(sg_expand(&b, "x {date}", names, fail_value, NULL, NULL),
                     -1);
    sg_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_names_and_braces),
        cmocka_unit_test(test_check_refuses),
        cmocka_unit_test(test_text_callback_and_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
