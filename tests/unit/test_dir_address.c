/*
 * test_dir_address.c - address normalisation (RFC 5321 quoting, +detail,
 * Unicode case folding), the forms Postfix's trivial-rewrite may deliver
 * a recipient to, and RFC 4515 filter escaping.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
        /* Unicode case, folded as Postfix folds UTF-8 addresses, and NFC */
        {"ZO\xc3\x8b@school.example", "+", "zo\xc3\xab@school.example"},
        {"\"ZO\xc3\x8b\"@School.Example", "+", "zo\xc3\xab@school.example"},
        {"zoe\xcc\x88@school.example", "+", "zo\xc3\xab@school.example"},
        {"ZOE\xcc\x88@school.example", "+", "zo\xc3\xab@school.example"},
        {"\xc3\x89MILE+X@SCHOOL.EXAMPLE", "+", "\xc3\xa9mile@school.example"},
        {"STRA\xc3\x9f" "E@school.example", "+", "strasse@school.example"},
        {"STRASSE@school.example", "+", "strasse@school.example"},
        {"\xce\x9f\xce\x94\xce\xa5\xce\xa3\xce\xa3\xce\x95\xce\xa5\xce\xa3@school.example", "+",
         "\xce\xbf\xce\xb4\xcf\x85\xcf\x83\xcf\x83\xce\xb5\xcf\x85\xcf\x83@school.example"},
        {"\xce\xbf\xce\xb4\xcf\x85\xcf\x83\xcf\x83\xce\xb5\xcf\x85\xcf\x82@school.example", "+",
         "\xce\xbf\xce\xb4\xcf\x85\xcf\x83\xcf\x83\xce\xb5\xcf\x85\xcf\x83@school.example"},
        {"\xe2\x84\xaa" "ate@school.example", "+", "kate@school.example"},
        {"\xd0\x90\xd0\x9d\xd0\x9d\xd0\x90@school.example", "+",
         "\xd0\xb0\xd0\xbd\xd0\xbd\xd0\xb0@school.example"},
        {"zo\xc3\xab@SCH\xc3\x96OL.example", "+", "zo\xc3\xab@sch\xc3\xb6ol.example"},
        /* U+037E is canonically ';': quoted in a local part, and no
         * domain may have it */
        {"a\xcd\xbe" "b@school.example", "+", "\"a;b\"@school.example"},
        {"ab@school\xcd\xbe.example", "+", NULL},
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
        {"tom@school.example..", "+", NULL},
        {"tom@school example", "+", NULL},
        {"\"unterminated@school.example", "+", NULL},
        {"\"\"@school.example", "+", NULL},
        {"\"tom\"x@school.example", "+", NULL},
        {"tom\r\n@school.example", "+", NULL},
        {"*)(uid=*", "+", NULL},
        /* not UTF-8: no mailbox can be written so */
        {"zo\xc3@school.example", "+", NULL},
        {"\xc0\xaf@school.example", "+", NULL},
        {"\xed\xa0\x80@school.example", "+", NULL},
        {"zo\xc3\xab@sch\xff.example", "+", NULL},
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

/* A directory file is keyed with the same folding as lookups: an entry
 * written in one case and normal form is found in any other, and two
 * entries that fold alike are one address given twice (file and line). */
static struct sg_directory *
open_file(const char *text, const char **error_r)
{
    char path[] = "/tmp/sg-test-dir-address-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.file_path = path;
    struct sg_directory *dir = NULL;
    enum sg_dir_status st = sg_dir_new(&cfg, &dir, error_r);
    unlink(path);
    return st == SG_DIR_FOUND ? dir : NULL;
}

static void
test_file_folding(void **state)
{
    (void)state;
    const char *error = NULL;
    struct sg_directory *dir = open_file(
        "Zo\xc3\xab.Brown@School.Example pupil name=\"Zo\xc3\xab Brown\"\n"
        "j.stra\xc3\x9f" "e@school.example staff\n",
        &error);
    if (dir == NULL)
        fail_msg("%s", error);
    static const char *const found[] = {
        "ZO\xc3\x8b.BROWN@SCHOOL.EXAMPLE",
        "zo\xc3\xab.brown@school.example",
        "zoe\xcc\x88.brown@school.example", /* decomposed */
        "<\"Zo\xc3\xab.Brown+homework\"@school.example>",
        "J.STRASSE@school.example",
    };
    for (size_t i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
        struct sg_person *p = NULL;
        enum sg_channel ch;
        if (sg_dir_lookup(dir, found[i], &p, &ch, &error) != SG_DIR_FOUND)
            fail_msg("%s not found", found[i]);
        sg_person_free(&p);
    }
    struct sg_person *p = NULL;
    enum sg_channel ch;
    assert_int_equal(sg_dir_lookup(dir, "zoe.brown@school.example", &p, &ch,
                                   &error),
                     SG_DIR_NOTFOUND);
    sg_dir_free(&dir);

    dir = open_file("zo\xc3\xab@school.example pupil\n"
                    "ZO\xc3\x8b@school.example staff\n",
                    &error);
    assert_null(dir);
    assert_non_null(strstr(error, ":2: address zo\xc3\xab@school.example "
                                  "already belongs to the person on line 1"));
}

/* The forms Postfix's trivial-rewrite(8) may deliver a recipient to. */
static void
test_routes(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out[5]; /* the forms, outermost first */
    } cases[] = {
        {"amy@school.example", {"amy@school.example"}},
        {"<Amy@School.Example>", {"Amy@School.Example"}},
        {"amy@gmail.com", {"amy@gmail.com"}},
        {"\"amy smith\"@school.example", {"\"amy smith\"@school.example"}},
        /* the percent hack, from the right */
        {"<amy%school.example@[192.0.2.1]>",
         {"amy%school.example@[192.0.2.1]", "amy@school.example"}},
        {"amy%school.example@mx.school.example",
         {"amy%school.example@mx.school.example", "amy@school.example"}},
        {"amy%school.example%[192.0.2.1]@[192.0.2.1]",
         {"\"amy%school.example%[192.0.2.1]\"@[192.0.2.1]",
          "amy%school.example@[192.0.2.1]", "amy@school.example"}},
        {"amy%school.example", {"amy@school.example"}},
        /* bang paths, from the left */
        {"school.example!amy@[192.0.2.1]",
         {"school.example!amy@[192.0.2.1]", "amy@school.example"}},
        {"school.example!amy", {"amy@school.example"}},
        {"a.example!b.example!amy", {"b.example!amy@a.example", "amy@b.example"}},
        {"school.example!amy%other.example",
         {"amy%other.example@school.example", "amy@other.example"}},
        /* quotes are looked inside, as Postfix resolves */
        {"\"amy@school.example\"@[192.0.2.1]",
         {"\"amy@school.example\"@[192.0.2.1]", "amy@school.example"}},
        {"\"amy%school.example\"@[192.0.2.1]",
         {"amy%school.example@[192.0.2.1]", "amy@school.example"}},
        {"amy@school.example@[192.0.2.1]",
         {"\"amy@school.example\"@[192.0.2.1]", "amy@school.example"}},
        /* source routes are ignored */
        {"<@relay.example,@b.example:amy@school.example>", {"amy@school.example"}},
        {"@[192.0.2.1]:amy%school.example@[192.0.2.1]",
         {"amy%school.example@[192.0.2.1]", "amy@school.example"}},
        /* no domain, or an address literal: local, or $myorigin */
        {"amy", {"amy"}},
        {"amy@[192.0.2.1]", {"amy@[192.0.2.1]", "amy"}},
        {"amy@[IPv6:2001:db8::1]", {"amy@[IPv6:2001:db8::1]", "amy"}},
        {"amy@", {"amy"}},
        {"zo\xc3\xab%school.example@[192.0.2.1]",
         {"zo\xc3\xab%school.example@[192.0.2.1]", "zo\xc3\xab@school.example"}},
        {"", {NULL}},
        {"<>", {NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char **forms = NULL;
        size_t n = 0;
        int rc = sg_dir_address_routes(cases[i].in, &forms, &n);
        size_t want = 0;
        while (want < 5 && cases[i].out[want] != NULL)
            want++;
        if (rc != (int)want || n != want)
            fail_msg("case %zu: \"%s\" gave %d forms (%s%s), wanted %zu", i,
                     cases[i].in, rc, n > 0 ? forms[0] : "",
                     n > 1 ? ", ..." : "", want);
        for (size_t j = 0; j < want; j++)
            assert_string_equal(forms[j], cases[i].out[j]);
        sg_strv_free(&forms, &n);
    }
}

/* An address that cannot be followed to the end is said so, never
 * resolved part of the way. */
static void
test_routes_limits(void **state)
{
    (void)state;
    char buf[800] = "";
    for (int i = 0; i < SG_DIR_ROUTES_MAX; i++)
        strcat(buf, "school.example!");
    strcat(buf, "amy@[192.0.2.1]");
    char **forms = NULL;
    size_t n = 0;
    assert_int_equal(sg_dir_address_routes(buf, &forms, &n), -2);
    assert_null(forms);
    assert_int_equal(n, 0);

    memset(buf, 'a', sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';
    memcpy(buf + 700, "%school.example", 15);
    assert_int_equal(sg_dir_address_routes(buf, &forms, &n), -2);
    assert_null(forms);

    /* the most it follows */
    strcpy(buf, "");
    for (int i = 0; i < SG_DIR_ROUTES_MAX - 1; i++)
        strcat(buf, "school.example!");
    strcat(buf, "amy@[192.0.2.1]");
    assert_int_equal(sg_dir_address_routes(buf, &forms, &n),
                     SG_DIR_ROUTES_MAX);
    assert_string_equal(forms[n - 1], "amy@school.example");
    sg_strv_free(&forms, &n);
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
        cmocka_unit_test(test_file_folding),
        cmocka_unit_test(test_routes),
        cmocka_unit_test(test_routes_limits),
        cmocka_unit_test(test_filter_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
