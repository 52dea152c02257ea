/*
 * test_dir_cache.c - the lookup cache through sg_dir_lookup on a mock
 * backend with an injected clock: TTL, negative TTL, LRU eviction,
 * stale-if-error (then TEMPFAIL, never NOTFOUND), recovery, single flight.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_dir_internal.h"

/* ---- mock backend: knows a@s.example (staff) and b@s.example (pupil);
 * can be made to fail; counts queries; can be slowed down. */
struct mock {
    struct sg_dir_backend base;
    _Atomic int calls;
    _Atomic int down; /* 1: TEMPFAIL, 2: CONFIG */
    int delay_ms;
    char role_of_a[32];
};

static enum sg_dir_status
mock_lookup(struct sg_dir_backend *b, const char *key,
            struct sg_person **person_r, enum sg_channel *channel_r,
            const char **error_r)
{
    struct mock *m = (struct mock *)b;
    atomic_fetch_add(&m->calls, 1);
    if (m->delay_ms > 0)
        usleep((useconds_t)m->delay_ms * 1000);
    if (atomic_load(&m->down) == 1) {
        *error_r = sg_dir_errorf("mock: server down (%s)", key);
        return SG_DIR_TEMPFAIL;
    }
    if (atomic_load(&m->down) == 2) {
        *error_r = "mock: invalid credentials";
        return SG_DIR_CONFIG;
    }
    const char *role = NULL;
    if (strcmp(key, "a@s.example") == 0)
        role = m->role_of_a;
    else if (strcmp(key, "b@s.example") == 0)
        role = "pupil";
    else if (strncmp(key, "n", 1) == 0)
        role = "staff"; /* n1@, n2@ ... for eviction */
    if (role == NULL)
        return SG_DIR_NOTFOUND;
    struct sg_person *p = sg_person_new();
    p->address = strdup(key);
    sg_person_add_role(p, role);
    *person_r = p;
    *channel_r = SG_CHANNEL_SCHOOL;
    return SG_DIR_FOUND;
}

static enum sg_dir_status
mock_check(struct sg_dir_backend *b, const char **error_r)
{
    (void)b;
    (void)error_r;
    return SG_DIR_FOUND;
}

static void
mock_free(struct sg_dir_backend *b)
{
    (void)b; /* static in the test */
}

static const struct sg_dir_backend_ops mock_ops = {
    "mock", mock_lookup, mock_check, mock_free, NULL};

static time_t mock_now = 1000;

static time_t
now_fn(void *ctx)
{
    (void)ctx;
    return mock_now;
}

static struct sg_directory *
open_mock(struct mock *m, int size, int ttl, int neg_ttl, int stale)
{
    memset(m, 0, sizeof(*m));
    m->base.ops = &mock_ops;
    strcpy(m->role_of_a, "staff");
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.cache_size = size;
    cfg.cache_ttl = ttl;
    cfg.cache_negative_ttl = neg_ttl;
    cfg.stale_max_age = stale;
    struct sg_directory *dir = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_new_with_backend(&cfg, &m->base, &dir, &error),
                     SG_DIR_FOUND);
    sg_dir_set_clock(dir, now_fn, NULL, NULL);
    mock_now = 1000;
    return dir;
}

/* One step of a scenario: at time t, look up address; expect status,
 * the role of the answer (if found), the backend call count after, and
 * for errors the message. */
struct step {
    time_t t;
    int down;
    const char *role_of_a; /* change the backend's data; NULL keep */
    const char *address;
    enum sg_dir_status status;
    const char *role;
    int calls;
    const char *error;
};

static void
run_steps(struct sg_directory *dir, struct mock *m, const struct step *steps,
          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        mock_now = steps[i].t;
        atomic_store(&m->down, steps[i].down);
        if (steps[i].role_of_a != NULL)
            strcpy(m->role_of_a, steps[i].role_of_a);
        struct sg_person *p = NULL;
        enum sg_channel ch;
        const char *error = NULL;
        enum sg_dir_status st =
            sg_dir_lookup(dir, steps[i].address, &p, &ch, &error);
        if (st != steps[i].status)
            fail_msg("step %zu: status %d, want %d", i, st, steps[i].status);
        if (atomic_load(&m->calls) != steps[i].calls)
            fail_msg("step %zu: %d backend calls, want %d", i,
                     atomic_load(&m->calls), steps[i].calls);
        if (st == SG_DIR_FOUND) {
            assert_int_equal(p->n_roles, 1);
            assert_string_equal(p->roles[0], steps[i].role);
            assert_int_equal(ch, SG_CHANNEL_SCHOOL);
        } else {
            assert_null(p);
            assert_int_equal(ch, SG_CHANNEL_NONE);
        }
        if (steps[i].error != NULL) {
            assert_non_null(error);
            assert_string_equal(error, steps[i].error);
        }
        sg_person_free(&p);
    }
}

static void
test_ttl_and_negative(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, 100, 300, 60, 3600);
    static const struct step steps[] = {
        {1000, 0, NULL, "a@s.example", SG_DIR_FOUND, "staff", 1, NULL},
        {1001, 0, NULL, "A@S.example", SG_DIR_FOUND, "staff", 1, NULL},
        {1299, 0, "pupil", "a@s.example", SG_DIR_FOUND, "staff", 1, NULL},
        /* TTL over: asks again and sees the change */
        {1300, 0, NULL, "a@s.example", SG_DIR_FOUND, "pupil", 2, NULL},
        /* negative entry: 60 s */
        {1300, 0, NULL, "x@s.example", SG_DIR_NOTFOUND, NULL, 3, NULL},
        {1359, 0, NULL, "x@s.example", SG_DIR_NOTFOUND, NULL, 3, NULL},
        {1360, 0, NULL, "x@s.example", SG_DIR_NOTFOUND, NULL, 4, NULL},
        /* unusable address: never reaches the backend */
        {1360, 0, NULL, "*)(uid=*", SG_DIR_NOTFOUND, NULL, 4, NULL},
    };
    run_steps(dir, &m, steps, sizeof(steps) / sizeof(steps[0]));
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.lookups, 8);
    assert_int_equal(s.hits, 3);
    assert_int_equal(s.negative_hits, 1);
    assert_int_equal(s.misses, 4);
    assert_int_equal(s.notfound, 4);
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.entries, 2);
    sg_dir_free(&dir);
}

static void
test_stale_if_error(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, 100, 300, 60, 3600);
    static const struct step steps[] = {
        {1000, 0, NULL, "a@s.example", SG_DIR_FOUND, "staff", 1, NULL},
        {1000, 0, NULL, "x@s.example", SG_DIR_NOTFOUND, NULL, 2, NULL},
        /* outage inside the TTL: nobody notices */
        {1100, 1, NULL, "a@s.example", SG_DIR_FOUND, "staff", 2, NULL},
        /* past the TTL, within stale_max_age: stale answer */
        {1400, 1, NULL, "a@s.example", SG_DIR_FOUND, "staff", 3, NULL},
        /* a stale "not found" too (it was one, from a working server) */
        {1400, 1, NULL, "x@s.example", SG_DIR_NOTFOUND, NULL, 4, NULL},
        /* unknown address during the outage: TEMPFAIL, never NOTFOUND */
        {1400, 1, NULL, "y@s.example", SG_DIR_TEMPFAIL, NULL, 5,
         "mock: server down (y@s.example)"},
        /* config errors at lookup time also serve stale */
        {4600, 2, NULL, "a@s.example", SG_DIR_FOUND, "staff", 6, NULL},
        /* too old to serve: TEMPFAIL with the backend's reason */
        {4601, 1, NULL, "a@s.example", SG_DIR_TEMPFAIL, NULL, 7,
         "mock: server down (a@s.example)"},
        {4602, 2, NULL, "a@s.example", SG_DIR_CONFIG, NULL, 8,
         "mock: invalid credentials"},
        /* recovery */
        {4700, 0, "dsl", "a@s.example", SG_DIR_FOUND, "dsl", 9, NULL},
        {4701, 1, NULL, "a@s.example", SG_DIR_FOUND, "dsl", 9, NULL},
        {4701, 0, NULL, "y@s.example", SG_DIR_NOTFOUND, NULL, 10, NULL},
    };
    run_steps(dir, &m, steps, sizeof(steps) / sizeof(steps[0]));
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.stale, 3);
    assert_int_equal(s.errors, 3);
    sg_dir_free(&dir);
}

static void
test_no_stale(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, 100, 300, 60, 0);
    static const struct step steps[] = {
        {1000, 0, NULL, "a@s.example", SG_DIR_FOUND, "staff", 1, NULL},
        {1300, 1, NULL, "a@s.example", SG_DIR_TEMPFAIL, NULL, 2,
         "mock: server down (a@s.example)"},
    };
    run_steps(dir, &m, steps, sizeof(steps) / sizeof(steps[0]));
    sg_dir_free(&dir);
}

static void
test_cache_disabled(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, 0, 300, 60, 3600);
    static const struct step steps[] = {
        {1000, 0, NULL, "a@s.example", SG_DIR_FOUND, "staff", 1, NULL},
        {1000, 0, NULL, "a@s.example", SG_DIR_FOUND, "staff", 2, NULL},
        {1000, 1, NULL, "a@s.example", SG_DIR_TEMPFAIL, NULL, 3,
         "mock: server down (a@s.example)"},
    };
    run_steps(dir, &m, steps, sizeof(steps) / sizeof(steps[0]));
    sg_dir_free(&dir);
}

static void
test_lru(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, 3, 300, 60, 3600);
    static const struct step steps[] = {
        {1000, 0, NULL, "n1@s.example", SG_DIR_FOUND, "staff", 1, NULL},
        {1000, 0, NULL, "n2@s.example", SG_DIR_FOUND, "staff", 2, NULL},
        {1000, 0, NULL, "n3@s.example", SG_DIR_FOUND, "staff", 3, NULL},
        /* touch n1: n2 becomes least recently used */
        {1001, 0, NULL, "n1@s.example", SG_DIR_FOUND, "staff", 3, NULL},
        {1002, 0, NULL, "n4@s.example", SG_DIR_FOUND, "staff", 4, NULL},
        {1003, 0, NULL, "n1@s.example", SG_DIR_FOUND, "staff", 4, NULL},
        {1003, 0, NULL, "n3@s.example", SG_DIR_FOUND, "staff", 4, NULL},
        {1003, 0, NULL, "n4@s.example", SG_DIR_FOUND, "staff", 4, NULL},
        /* n2 was evicted: asks again (and evicts n1, now the oldest) */
        {1004, 0, NULL, "n2@s.example", SG_DIR_FOUND, "staff", 5, NULL},
        {1004, 0, NULL, "n1@s.example", SG_DIR_FOUND, "staff", 6, NULL},
    };
    run_steps(dir, &m, steps, sizeof(steps) / sizeof(steps[0]));
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.entries, 3);
    assert_int_equal(s.evictions, 3);
    sg_dir_free(&dir);
}

/* ---- single flight */
struct thread_arg {
    struct sg_directory *dir;
    const char *address;
    pthread_barrier_t *start; /* all threads ask at once */
    enum sg_dir_status status;
    char role[32];
};

static void *
lookup_thread(void *p)
{
    struct thread_arg *a = p;
    struct sg_person *person = NULL;
    enum sg_channel ch;
    const char *error = NULL;
    pthread_barrier_wait(a->start);
    a->status = sg_dir_lookup(a->dir, a->address, &person, &ch, &error);
    if (person != NULL && person->n_roles > 0)
        snprintf(a->role, sizeof(a->role), "%s", person->roles[0]);
    sg_person_free(&person);
    return NULL;
}

static void
run_threads(struct sg_directory *dir, const char *address, int n,
            enum sg_dir_status want, const char *role)
{
    pthread_t t[16];
    struct thread_arg args[16];
    /* The threads wait for each other before asking, so that all ask
     * while the first query is still out, however slowly they start
     * (valgrind on a busy machine). */
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, (unsigned)n), 0);
    for (int i = 0; i < n; i++) {
        args[i] = (struct thread_arg){dir, address, &start, SG_DIR_CONFIG, ""};
        assert_int_equal(pthread_create(&t[i], NULL, lookup_thread, &args[i]),
                         0);
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].status, want);
        assert_string_equal(args[i].role, role);
    }
    pthread_barrier_destroy(&start);
}

static void
test_single_flight(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, 100, 300, 60, 3600);
    m.delay_ms = 300;
    run_threads(dir, "a@s.example", 12, SG_DIR_FOUND, "staff");
    assert_int_equal(atomic_load(&m.calls), 1);
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.shared + s.hits, 11);
    assert_true(s.latency_us_max >= 250000);

    /* a failing query is shared too, and its error is not cached */
    atomic_store(&m.down, 1);
    run_threads(dir, "y@s.example", 8, SG_DIR_TEMPFAIL, "");
    assert_int_equal(atomic_load(&m.calls), 2);
    atomic_store(&m.down, 0);
    run_threads(dir, "y@s.example", 4, SG_DIR_NOTFOUND, "");
    assert_int_equal(atomic_load(&m.calls), 3);
    sg_dir_free(&dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ttl_and_negative),
        cmocka_unit_test(test_stale_if_error),
        cmocka_unit_test(test_no_stale),
        cmocka_unit_test(test_cache_disabled),
        cmocka_unit_test(test_lru),
        cmocka_unit_test(test_single_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
