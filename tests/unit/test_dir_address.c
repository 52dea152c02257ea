/*
 * test_dir_address.c - address normalisation (RFC 5321 quoting, +detail,
 * case) and RFC 4515 filter escaping.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sg_dir_internal.h"

static void
test_normalise(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *delims;
        const char *out; /* NULL: rejected */
    } cases[] = {
        {"tom.smith@school.example", "+", "tom.smith@school.example"},
        {"Tom.Smith@School.EXAMPLE", "+", "tom.smith@school.example"},
        {"<tom.smith@school.example>", "+", "tom.smith@school.example"},
        {"  <tom.smith@school.example>  ", "+", "tom.smith@school.example"},
        {"tom.smith+news@school.example", "+", "tom.smith@school.example"},
        {"tom.smith+a+b@school.example", "+", "tom.smith@school.example"},
        {"tom.smith-news@school.example", "+-", "tom.smith@school.example"},
        {"tom.smith+news@school.example", "", "tom.smith+news@school.example"},
        {"tom.smith+news@school.example", NULL,
         "tom.smith+news@school.example"},
        {"+leading@school.example", "+", "+leading@school.example"},
        {"\"tom.smith\"@school.example", "+", "tom.smith@school.example"},
        {"\"Tom.Smith\"@School.Example", "+", "tom.smith@school.example"},
        {"\"t\\om.smith\"@school.example", "+", "tom.smith@school.example"},
        {"\"tom smith\"@school.example", "+", "\"tom smith\"@school.example"},
        {"\"tom\\\"s\"@school.example", "+", "\"tom\\\"s\"@school.example"},
        {"\"a..b\"@school.example", "+", "\"a..b\"@school.example"},
        {"\"a@b\"@school.example", "+", "\"a@b\"@school.example"},
        {"\"tom+x\"@school.example", "+", "tom@school.example"},
        {"tom@school.example.", "+", "tom@school.example"},
        {"tom@[192.0.2.1]", "+", "tom@[192.0.2.1]"},
        {"<@relay.example:tom@school.example>", "+", "tom@school.example"},
        {"o'brien@school.example", "+", "o'brien@school.example"},
        {"\xc3\xa9mile@school.example", "+", "\xc3\xa9mile@school.example"},
        /* rejected */
        {"", "+", NULL},
        {"<>", "+", NULL},
        {"tom", "+", NULL},
        {"tom@", "+", NULL},
        {"@school.example", "+", NULL},
        {".tom@school.example", "+", NULL},
        {"tom.@school.example", "+", NULL},
        {"to..m@school.example", "+", NULL},
        {"tom smith@school.example", "+", NULL},
        {"tom@school..example", "+", NULL},
        {"tom@school example", "+", NULL},
        {"\"unterminated@school.example", "+", NULL},
        {"\"\"@school.example", "+", NULL},
        {"\"tom\"x@school.example", "+", NULL},
        {"tom\r\n@school.example", "+", NULL},
        {"*)(uid=*", "+", NULL},
        {"tom@school.example\n", "+", "tom@school.example"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = sg_dir_address_normalise(cases[i].in, cases[i].delims);
        if (cases[i].out == NULL) {
            if (out != NULL)
                fail_msg("case %zu: \"%s\" gave \"%s\"", i, cases[i].in, out);
        } else {
            if (out == NULL)
                fail_msg("case %zu: \"%s\" rejected", i, cases[i].in);
            assert_string_equal(out, cases[i].out);
        }
        free(out);
    }
}

static void
test_normalise_long(void **state)
{
    (void)state;
    char buf[700];
    memset(buf, 'a', sizeof(buf));
    memcpy(buf + 600, "@school.example", 16);
    assert_null(sg_dir_address_normalise(buf, "+"));
    memcpy(buf + 64, "@school.example", 16);
    char *out = sg_dir_address_normalise(buf, "+");
    assert_non_null(out);
    assert_int_equal(strlen(out), 64 + 15);
    free(out);
}

static void
test_filter_escape(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"tom.smith@school.example", "tom.smith@school.example"},
        {"*)(uid=*", "\\2a\\29\\28uid=\\2a"},
        {"a\\b", "a\\5cb"},
        {"(|(mail=*))", "\\28|\\28mail=\\2a\\29\\29"},
        {"\x01", "\\01"},
        {"\xc3\xa9", "\\c3\\a9"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = sg_dir_filter_escape(cases[i].in);
        assert_non_null(out);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_normalise_long),
        cmocka_unit_test(test_filter_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
