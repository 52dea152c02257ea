/*
 * test_person.c - person records: roles, date parsing, age on a given day.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "sg_person.h"

static void
test_date_parse(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int ok;
        int y, m, d;
    } cases[] = {
        {"2009-03-14", 0, 2009, 3, 14},
        {"2008-02-29", 0, 2008, 2, 29},
        {"2000-02-29", 0, 2000, 2, 29},
        {"1900-02-29", -1, 0, 0, 0}, /* 1900 was not a leap year */
        {"2009-02-29", -1, 0, 0, 0},
        {"2009-04-31", -1, 0, 0, 0},
        {"2009-13-01", -1, 0, 0, 0},
        {"2009-00-10", -1, 0, 0, 0},
        {"2009-1-10", -1, 0, 0, 0},
        {"20090110", -1, 0, 0, 0},
        {"2009-01-1x", -1, 0, 0, 0},
        {"", -1, 0, 0, 0},
        {"2009-01-10 ", -1, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_date d = {0, 0, 0};
        assert_int_equal(sg_date_parse(cases[i].text, &d), cases[i].ok);
        if (cases[i].ok == 0) {
            assert_int_equal(d.year, cases[i].y);
            assert_int_equal(d.month, cases[i].m);
            assert_int_equal(d.day, cases[i].d);
        }
    }
}

static void
test_age(void **state)
{
    (void)state;
    static const struct {
        struct sg_date dob, today;
        int age;
    } cases[] = {
        {{2008, 6, 15}, {2026, 6, 14}, 17}, /* day before the 18th birthday */
        {{2008, 6, 15}, {2026, 6, 15}, 18}, /* the birthday itself */
        {{2008, 6, 15}, {2026, 6, 16}, 18},
        {{2008, 2, 29}, {2026, 2, 28}, 17}, /* leap-day birthday */
        {{2008, 2, 29}, {2026, 3, 1}, 18},
        {{2008, 12, 31}, {2026, 1, 1}, 17},
        {{0, 0, 0}, {2026, 1, 1}, -1}, /* unknown date of birth */
        {{2030, 1, 1}, {2026, 1, 1}, -1}, /* born in the future */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(sg_date_age(&cases[i].dob, &cases[i].today),
                         cases[i].age);
}

static void
test_date_cmp(void **state)
{
    (void)state;
    struct sg_date a = {2026, 7, 20}, b = {2026, 7, 21}, c = {2025, 12, 31};
    assert_int_equal(sg_date_cmp(&a, &b), -1);
    assert_int_equal(sg_date_cmp(&b, &a), 1);
    assert_int_equal(sg_date_cmp(&a, &a), 0);
    assert_int_equal(sg_date_cmp(&c, &a), -1);
}

static void
test_date_from_time(void **state)
{
    (void)state;
    setenv("TZ", "Europe/London", 1);
    tzset();
    /* 2026-03-29 00:30 UTC is still the 29th in London (GMT) ... */
    struct sg_date d;
    sg_date_from_time(1774744200, &d);
    assert_int_equal(d.year, 2026);
    assert_int_equal(d.month, 3);
    assert_int_equal(d.day, 29);
    /* ... and 2026-06-14 23:30 UTC is already the 15th (BST, UTC+1) */
    sg_date_from_time(1781479800, &d);
    assert_int_equal(d.month, 6);
    assert_int_equal(d.day, 15);
}

static void
test_roles_and_dup(void **state)
{
    (void)state;
    struct sg_person *p = sg_person_new();
    assert_non_null(p);
    p->address = strdup("tom.smith@school.example");
    assert_int_equal(sg_person_add_role(p, "staff"), 0);
    assert_int_equal(sg_person_add_role(p, "STAFF"), 0); /* no duplicate */
    assert_int_equal(sg_person_add_role(p, "dsl"), 0);
    assert_int_equal(p->n_roles, 2);
    assert_true(sg_person_has_role(p, "Staff"));
    assert_false(sg_person_has_role(p, "pupil"));
    assert_false(sg_person_has_role(p, SG_ROLE_EXTERNAL));
    /* an unknown party is external and nothing else */
    assert_true(sg_person_has_role(NULL, "external"));
    assert_false(sg_person_has_role(NULL, "staff"));

    assert_int_equal(sg_strv_push(&p->personal, &p->n_personal,
                                  "tom@gmail.example"),
                     0);
    p->dob = (struct sg_date){1980, 1, 2};
    struct sg_person *copy = sg_person_dup(p);
    assert_non_null(copy);
    assert_string_equal(copy->address, p->address);
    assert_ptr_not_equal(copy->address, p->address);
    assert_int_equal(copy->n_roles, 2);
    assert_string_equal(copy->personal[0], "tom@gmail.example");
    assert_int_equal(copy->dob.year, 1980);
    sg_person_free(&p);
    assert_null(p);
    sg_person_free(&copy);
    sg_person_free(&copy); /* freeing NULL is harmless */
}

/* A shared person lives until its last owner lets go, and unshare gives
 * an owner a copy of its own to change, the others' untouched; a person
 * with one owner is changed in place. */
static void
test_shared(void **state)
{
    (void)state;
    struct sg_person *cached = sg_person_new();
    assert_non_null(cached);
    cached->address = strdup("ben.old@school.example");
    assert_int_equal(sg_person_add_role(cached, "pupil"), 0);
    struct sg_person *mine = sg_person_ref(cached);
    struct sg_person *theirs = sg_person_ref(cached);
    assert_ptr_equal(mine, cached);
    sg_person_free(&theirs);
    assert_null(theirs);
    assert_string_equal(mine->address, "ben.old@school.example");
    assert_int_equal(sg_person_unshare(&mine), 0);
    assert_ptr_not_equal(mine, cached);
    assert_int_equal(sg_person_add_role(mine, "former-pupil"), 0);
    sg_person_remove_role(mine, "pupil");
    assert_int_equal(cached->n_roles, 1);
    assert_string_equal(cached->roles[0], "pupil");
    assert_int_equal(mine->n_roles, 1);
    assert_string_equal(mine->roles[0], "former-pupil");
    struct sg_person *alone = mine;
    assert_int_equal(sg_person_unshare(&mine), 0);
    assert_ptr_equal(mine, alone);
    sg_person_free(&mine);
    sg_person_free(&cached);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_date_parse),
        cmocka_unit_test(test_age),
        cmocka_unit_test(test_date_cmp),
        cmocka_unit_test(test_date_from_time),
        cmocka_unit_test(test_roles_and_dup),
        cmocka_unit_test(test_shared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
