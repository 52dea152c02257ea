/*
 * test_error.c - the per-thread error text: set, fail, wrapping the
 * previous error in a new one, cutting long text, and two threads that
 * never see each other's errors.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "sg_error.h"

static void
test_set_and_fail(void **state)
{
    (void)state;
    const char *e = sg_error_set("%s: %d", "queue", 3);
    assert_string_equal(e, "queue: 3");
    assert_ptr_equal(sg_error_last(), e);
    const char *err = NULL;
    assert_int_equal(sg_error_fail(&err, "cannot open %s", "x.db"), -1);
    assert_string_equal(err, "cannot open x.db");
    assert_ptr_equal(sg_error_last(), err);
    /* error_r may be NULL: the text is still set */
    assert_int_equal(sg_error_fail(NULL, "no %s", "caller"), -1);
    assert_string_equal(sg_error_last(), "no caller");
}

static void
test_wrap_previous_error(void **state)
{
    (void)state;
    const char *inner = sg_error_set("disk full");
    const char *outer = sg_error_set("store: %s", inner);
    assert_string_equal(outer, "store: disk full");
    /* three levels, each wrapping the one before, and the text twice */
    const char *third = NULL;
    sg_error_fail(&third, "hold %s (%s)", outer, outer);
    assert_string_equal(third, "hold store: disk full (store: disk full)");
    /* a prefix longer than the inner text */
    const char *e = sg_error_set("%s", "b");
    for (int i = 0; i < 5; i++)
        e = sg_error_set("a%s", e);
    assert_string_equal(e, "aaaaab");
}

static void
test_long_text_is_cut(void **state)
{
    (void)state;
    char big[3 * SG_ERROR_MAX];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    const char *e = sg_error_set("%s", big);
    assert_int_equal(strlen(e), SG_ERROR_MAX - 1);
    /* wrapping a full-length text cuts the end, never overflows */
    e = sg_error_set("store: %s", e);
    assert_int_equal(strlen(e), SG_ERROR_MAX - 1);
    assert_memory_equal(e, "store: xxx", 10);
}

struct worker {
    const char *name;
    int rounds;
    int mismatches;
    pthread_barrier_t *barrier;
};

static void *
work(void *arg)
{
    struct worker *w = arg;
    char want[64];
    for (int i = 0; i < w->rounds; i++) {
        snprintf(want, sizeof(want), "%s %d", w->name, i);
        const char *e = sg_error_set("%s %d", w->name, i);
        /* let the other thread set its own error in between */
        pthread_barrier_wait(w->barrier);
        if (strcmp(e, want) != 0 || strcmp(sg_error_last(), want) != 0)
            w->mismatches++;
        pthread_barrier_wait(w->barrier);
    }
    return NULL;
}

static void
test_threads_apart(void **state)
{
    (void)state;
    pthread_barrier_t barrier;
    assert_int_equal(pthread_barrier_init(&barrier, NULL, 2), 0);
    struct worker a = {"ldap", 200, 0, &barrier};
    struct worker b = {"store", 200, 0, &barrier};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, work, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, work, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&barrier);
    assert_int_equal(a.mismatches, 0);
    assert_int_equal(b.mismatches, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_and_fail),
        cmocka_unit_test(test_wrap_previous_error),
        cmocka_unit_test(test_long_text_is_cut),
        cmocka_unit_test(test_threads_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
