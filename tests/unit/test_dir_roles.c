/*
 * test_dir_roles.c - derived roles: former-pupil (assigned, or a pupil on
 * or after the leaving date) and former-pupil-under-18 (age today < 18;
 * unknown age as configured), with configurable role names.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sg_directory.h"

static void
test_derive(void **state)
{
    (void)state;
    static const struct {
        const char *roles; /* given, comma-separated */
        struct sg_date dob, left, today;
        bool unknown_minor;
        const char *want;
    } cases[] = {
        /* pupil on roll */
        {"pupil", {2010, 5, 1}, {0, 0, 0}, {2026, 11, 22}, true, "pupil"},
        /* leaving date in the future: still a pupil */
        {"pupil", {2010, 5, 1}, {2027, 7, 20}, {2026, 11, 22}, true, "pupil"},
        /* the leaving date itself: former pupil */
        {"pupil", {2010, 5, 1}, {2026, 11, 22}, {2026, 11, 22}, true,
         "former-pupil,former-pupil-under-18"},
        /* 18th birthday 2026-06-15: the day before, on, and after */
        {"pupil", {2008, 6, 15}, {2025, 7, 18}, {2026, 6, 14}, true,
         "former-pupil,former-pupil-under-18"},
        {"pupil", {2008, 6, 15}, {2025, 7, 18}, {2026, 6, 15}, true,
         "former-pupil"},
        {"pupil", {2008, 6, 15}, {2025, 7, 18}, {2026, 6, 16}, true,
         "former-pupil"},
        /* 29 February birthday: 18 on 1 March in a common year */
        {"former-pupil", {2008, 2, 29}, {0, 0, 0}, {2026, 2, 28}, true,
         "former-pupil,former-pupil-under-18"},
        {"former-pupil", {2008, 2, 29}, {0, 0, 0}, {2026, 3, 1}, true,
         "former-pupil"},
        /* assigned former pupil, age unknown: protective by default */
        {"former-pupil", {0, 0, 0}, {0, 0, 0}, {2026, 11, 22}, true,
         "former-pupil,former-pupil-under-18"},
        {"former-pupil", {0, 0, 0}, {0, 0, 0}, {2026, 11, 22}, false,
         "former-pupil"},
        /* case-insensitive role names */
        {"Pupil", {2012, 1, 1}, {2026, 1, 1}, {2026, 11, 22}, true,
         "former-pupil,former-pupil-under-18"},
        /* a leaving date on staff means nothing here */
        {"staff", {1980, 1, 1}, {2020, 8, 31}, {2026, 11, 22}, true, "staff"},
        /* staff who are also parents keep both */
        {"staff,parent", {1980, 1, 1}, {0, 0, 0}, {2026, 11, 22}, true,
         "staff,parent"},
        /* no roles at all */
        {"", {0, 0, 0}, {0, 0, 0}, {2026, 11, 22}, true, ""},
    };
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cfg.unknown_age_is_minor = cases[i].unknown_minor;
        struct sg_person *p = sg_person_new();
        assert_non_null(p);
        char given[64];
        snprintf(given, sizeof(given), "%s", cases[i].roles);
        char *save = NULL;
        for (char *r = strtok_r(given, ",", &save); r;
             r = strtok_r(NULL, ",", &save))
            assert_int_equal(sg_person_add_role(p, r), 0);
        p->dob = cases[i].dob;
        p->left = cases[i].left;
        assert_int_equal(sg_dir_derive_roles(&cfg, &p, &cases[i].today), 0);
        char got[128] = "";
        for (size_t j = 0; j < p->n_roles; j++) {
            if (j > 0)
                strcat(got, ",");
            strcat(got, p->roles[j]);
        }
        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: roles \"%s\", want \"%s\"", i, got,
                     cases[i].want);
        sg_person_free(&p);
    }
}

static void
test_custom_names(void **state)
{
    (void)state;
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.role_pupil = (char *)"student";
    cfg.role_former_pupil = (char *)"alumnus";
    cfg.role_former_pupil_under_18 = (char *)"alumnus-minor";
    struct sg_person *p = sg_person_new();
    assert_int_equal(sg_person_add_role(p, "student"), 0);
    p->dob = (struct sg_date){2010, 1, 1};
    p->left = (struct sg_date){2026, 7, 1};
    struct sg_date today = {2026, 9, 1};
    assert_int_equal(sg_dir_derive_roles(&cfg, &p, &today), 0);
    assert_int_equal(p->n_roles, 2);
    assert_string_equal(p->roles[0], "alumnus");
    assert_string_equal(p->roles[1], "alumnus-minor");
    assert_false(sg_person_has_role(p, "student"));
    assert_false(sg_person_has_role(p, "former-pupil"));
    sg_person_free(&p);
}

/* A person shared with another owner (a directory's cache) that gains
 * the former-pupil roles is copied first: the other owner's person
 * keeps its roles, and one the day does not change stays shared. */
static void
test_shared_unchanged(void **state)
{
    (void)state;
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    struct sg_person *cached = sg_person_new();
    assert_int_equal(sg_person_add_role(cached, "pupil"), 0);
    cached->dob = (struct sg_date){2010, 1, 1};
    cached->left = (struct sg_date){2026, 7, 1};
    struct sg_person *p = sg_person_ref(cached);
    struct sg_date before = {2026, 6, 30}, after = {2026, 9, 1};
    assert_int_equal(sg_dir_derive_roles(&cfg, &p, &before), 0);
    assert_ptr_equal(p, cached); /* nothing changed: still shared */
    assert_int_equal(sg_dir_derive_roles(&cfg, &p, &after), 0);
    assert_ptr_not_equal(p, cached);
    assert_true(sg_person_has_role(p, "former-pupil-under-18"));
    assert_false(sg_person_has_role(p, "pupil"));
    assert_int_equal(cached->n_roles, 1);
    assert_string_equal(cached->roles[0], "pupil");
    sg_person_free(&p);
    sg_person_free(&cached);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive),
        cmocka_unit_test(test_custom_names),
        cmocka_unit_test(test_shared_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
