/*
 * test_dir_name.c - display-name lookups: the normalisation (table), the
 * file backend's name index through sg_dir_lookup_name (exact, case,
 * titles, "Surname, Forename", ambiguous names, never a surname alone or
 * initials, derived roles), and the cache and the choice rule on a mock
 * backend (keys apart from addresses, TTL, negative TTL, stale-if-error,
 * TEMPFAIL never NOTFOUND, single flight).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_dir_internal.h"

#ifndef SG_TEST_DATADIR
#error SG_TEST_DATADIR must be defined
#endif

/* ---------------------------------------------------------------- table */

static void
test_normalise(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *key; /* NULL: unusable */
    } cases[] = {
        {"Tom Smith", "tom smith"},
        {"tom smith", "tom smith"},
        {"TOM SMITH", "tom smith"},
        {"  Tom \t  Smith \r\n", "tom smith"},
        {"Tom\xc2\xa0Smith", "tom smith"},         /* no-break space */
        {"Tom\xe2\x80\x83Smith", "tom smith"},     /* em space */
        {"\"Tom Smith\"", "tom smith"},
        {"'Tom Smith'", "tom smith"},
        {"\xe2\x80\x9cTom Smith\xe2\x80\x9d", "tom smith"}, /* curly */
        {"\" 'Tom Smith' \"", "tom smith"},
        {"Mr Tom Smith", "tom smith"},
        {"mr. tom smith", "tom smith"},
        {"Mrs Jo Price", "jo price"},
        {"Ms Jo Price", "jo price"},
        {"Miss Jo Price", "jo price"},
        {"Mx Jo Price", "jo price"},
        {"Dr. Jo Price", "jo price"},
        {"Prof Jo Price", "jo price"},
        {"Sir Jo Price", "jo price"},
        {"Prof. Dr. Jo Price", "jo price"},
        {"Smith, Tom", "tom smith"},
        {"Smith,Tom", "tom smith"},
        {"\"Smith, Tom\"", "tom smith"},
        {"Smith, Mr Tom", "tom smith"},
        {"Mr Smith, Tom", "tom smith"},
        {"Van Dyke, Mary Jane", "mary jane van dyke"},
        {"Tom Smith.", "tom smith"},
        {"Mary J. Blige", "mary j blige"},
        {"Mary-Jane O'Brien", "mary-jane o'brien"},
        {"Amy \"AJ\" Jones", "amy \"aj\" jones"},
        {"ZO\xc3\x8b \xc3\x85NGSTR\xc3\x96M", "zo\xc3\xab \xc3\xa5ngstr\xc3\xb6m"},
        {"\xc5\x81UKASZ \xc5\xbb\xc3\x93\xc5\x81W", /* Łukasz Żółw */
         "\xc5\x82ukasz \xc5\xbc\xc3\xb3\xc5\x82w"},
        {"\xd0\x98\xd0\x92\xd0\x90\xd0\x9d \xd0\x9f\xd0\x95\xd0\xa2\xd0\xa0"
         "\xd0\x9e\xd0\x92", /* ИВАН ПЕТРОВ */
         "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd \xd0\xbf\xd0\xb5\xd1\x82\xd1\x80"
         "\xd0\xbe\xd0\xb2"},
        {"Tom Smith \xf0\x9f\x98\x80", "tom smith \xf0\x9f\x98\x80"},
        /* a title is dropped only at the start */
        {"Tom Mr Smith", "tom mr smith"},
        {"Mister Tom Smith", "mister tom smith"},
        /* unusable: nothing, one word, initials, too many commas */
        {"", NULL},
        {"   ", NULL},
        {"\"\"", NULL},
        {"Smith", NULL},
        {"Mr Smith", NULL},
        {"Dr. Smith", NULL},
        {"Smith,", NULL},
        {", Tom", NULL},
        {"T Smith", NULL},
        {"T. Smith", NULL},
        {"J. R. Smith", NULL},
        {"Smith, T.", NULL},
        {"Mr T Smith", NULL},
        {"Smith, Tom, Dr", NULL},
        {"Mr Mrs", NULL},
        {"*)(cn=*", NULL},
        /* not UTF-8 */
        {"Tom Sm\xffith", NULL},
        {"Tom Sm\xc3", NULL},
        {"Tom \xc0\xafSmith", NULL},       /* overlong */
        {"Tom \xed\xa0\x80Smith", NULL},   /* surrogate */
        {"Al Bo c d e f g h i j k l m n o p", "al bo c d e f g h i j k l m n o p"},
        {"Al Bo c d e f g h i j k l m n o p q", NULL}, /* 17 words */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *key = (char *)"untouched";
        int rc = sg_dir_name_normalise(cases[i].in, &key);
        if (cases[i].key == NULL) {
            if (rc != 0 || key != NULL)
                fail_msg("case %zu (%s): rc %d, key \"%s\", want unusable", i,
                         cases[i].in, rc, key ? key : "(null)");
            continue;
        }
        if (rc != 1)
            fail_msg("case %zu (%s): rc %d, want usable", i, cases[i].in, rc);
        if (strcmp(key, cases[i].key) != 0)
            fail_msg("case %zu (%s): key \"%s\", want \"%s\"", i, cases[i].in,
                     key, cases[i].key);
        free(key);
    }

    /* NULL and over-long input */
    char *key = NULL;
    assert_int_equal(sg_dir_name_normalise(NULL, &key), 0);
    char long_name[SG_DIR_NAME_MAX + 2];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[SG_DIR_NAME_MAX + 1] = '\0';
    long_name[10] = ' ';
    assert_int_equal(sg_dir_name_normalise(long_name, &key), 0);
    assert_null(key);
    long_name[SG_DIR_NAME_MAX] = '\0';
    assert_int_equal(sg_dir_name_normalise(long_name, &key), 1);
    assert_int_equal(strlen(key), SG_DIR_NAME_MAX);
    free(key);
}

/* ---------------------------------------------------------------- file */

static struct sg_date fixed_today = {2026, 11, 22};

static void
today_fn(void *ctx, struct sg_date *today_r)
{
    (void)ctx;
    *today_r = fixed_today;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* roles sorted, comma-separated */
static void
roles_string(const struct sg_person *p, char *buf, size_t size)
{
    char *sorted[32];
    size_t n = p->n_roles < 32 ? p->n_roles : 32;
    if (n > 0) {
        memcpy(sorted, p->roles, n * sizeof(char *));
        qsort(sorted, n, sizeof(char *), cmp_str);
    }
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strncat(buf, ",", size - strlen(buf) - 1);
        strncat(buf, sorted[i], size - strlen(buf) - 1);
    }
}

static void
test_file_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *address; /* NULL: NOTFOUND */
        const char *roles;
    } cases[] = {
        {"Tom Smith", "tom.smith@school.example", "dsl,staff"},
        {"tom smith", "tom.smith@school.example", "dsl,staff"},
        {"  TOM   SMITH ", "tom.smith@school.example", "dsl,staff"},
        {"\"Tom Smith\"", "tom.smith@school.example", "dsl,staff"},
        {"Mr Tom Smith", "tom.smith@school.example", "dsl,staff"},
        {"Dr. Tom Smith", "tom.smith@school.example", "dsl,staff"},
        {"Smith, Tom", "tom.smith@school.example", "dsl,staff"},
        {"Smith, Mr. Tom", "tom.smith@school.example", "dsl,staff"},
        /* the directory's "Price, Jo" */
        {"Jo Price", "jo.price@school.example", "staff"},
        {"Mrs Jo Price", "jo.price@school.example", "staff"},
        {"Price, Jo", "jo.price@school.example", "staff"},
        /* two pupils: ambiguous, never guessed */
        {"Sam Taylor", NULL, NULL},
        {"Taylor, Sam", NULL, NULL},
        /* staff and pupil: the member of staff */
        {"Alex Morgan", "alex.morgan@school.example", "staff"},
        {"Mr Alex Morgan", "alex.morgan@school.example", "staff"},
        /* two members of staff: ambiguous */
        {"Chris Lee", NULL, NULL},
        {"ZO\xc3\x8b \xc3\x85NGSTR\xc3\x96M", "zoe.angstrom@school.example",
         "pupil"},
        /* derived roles, as for addresses */
        {"Cara Left", "cara.left@school.example",
         "former-pupil,former-pupil-under-18"},
        /* never a surname alone, a forename alone, or initials */
        {"Smith", NULL, NULL},
        {"Tom", NULL, NULL},
        {"Mr Smith", NULL, NULL},
        {"T Smith", NULL, NULL},
        {"T. Smith", NULL, NULL},
        {"Smith, T", NULL, NULL},
        {"Headteacher", NULL, NULL},
        {"T. Jones", NULL, NULL},
        {"T Jones", NULL, NULL},
        {"Jones", NULL, NULL},
        /* not the same name */
        {"Tom Smithson", NULL, NULL},
        {"Thomas Smith", NULL, NULL},
        {"Tom James Smith", NULL, NULL},
        {"Smith Tom", NULL, NULL},
        {"Zoe Angstrom", NULL, NULL},
        {"*)(cn=*", NULL, NULL},
        {"Tom *)(cn=*", NULL, NULL},
        {"", NULL, NULL},
        {"Tom Sm\xffith", NULL, NULL},
    };
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.file_path = (char *)SG_TEST_DATADIR "/names.dir";
    struct sg_directory *dir = NULL;
    const char *error = NULL;
    if (sg_dir_new(&cfg, &dir, &error) != SG_DIR_FOUND)
        fail_msg("%s", error);
    sg_dir_set_clock(dir, NULL, today_fn, NULL);

    for (int pass = 0; pass < 2; pass++) { /* cold, then from the cache */
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct sg_person *p = (struct sg_person *)&p;
            error = NULL;
            enum sg_dir_status st =
                sg_dir_lookup_name(dir, cases[i].name, &p, &error);
            enum sg_dir_status want =
                cases[i].address ? SG_DIR_FOUND : SG_DIR_NOTFOUND;
            if (st != want)
                fail_msg("pass %d case %zu (%s): status %d, want %d (%s)",
                         pass, i, cases[i].name, st, want,
                         st == SG_DIR_FOUND ? p->address
                                            : (error ? error : ""));
            if (st != SG_DIR_FOUND) {
                assert_null(p);
                continue;
            }
            assert_string_equal(p->address, cases[i].address);
            char roles[256];
            roles_string(p, roles, sizeof(roles));
            if (strcmp(roles, cases[i].roles) != 0)
                fail_msg("case %zu (%s): roles \"%s\", want \"%s\"", i,
                         cases[i].name, roles, cases[i].roles);
            sg_person_free(&p);
        }
    }
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    size_t n = sizeof(cases) / sizeof(cases[0]);
    assert_int_equal(s.lookups, 2 * n);
    assert_int_equal(s.errors, 0);
    assert_true(s.hits > 0);

    /* names and addresses share the cache without meeting: an address
     * lookup still works, and a name is not an address */
    struct sg_person *p = NULL;
    enum sg_channel ch;
    assert_int_equal(
        sg_dir_lookup(dir, "tom.smith@school.example", &p, &ch, &error),
        SG_DIR_FOUND);
    assert_string_equal(p->display_name, "Tom Smith");
    sg_person_free(&p);
    assert_int_equal(sg_dir_lookup(dir, "tom smith", &p, &ch, &error),
                     SG_DIR_NOTFOUND);
    assert_int_equal(sg_dir_lookup_name(dir, "tom.smith@school.example", &p,
                                        &error),
                     SG_DIR_NOTFOUND);
    sg_dir_free(&dir);

    /* the same without a cache */
    cfg.cache_size = 0;
    assert_int_equal(sg_dir_new(&cfg, &dir, &error), SG_DIR_FOUND);
    assert_int_equal(sg_dir_lookup_name(dir, "Smith, Tom", &p, &error),
                     SG_DIR_FOUND);
    assert_string_equal(p->address, "tom.smith@school.example");
    sg_person_free(&p);
    assert_int_equal(sg_dir_lookup_name(dir, "Sam Taylor", &p, &error),
                     SG_DIR_NOTFOUND);
    sg_dir_free(&dir);
}

/* ---------------------------------------------------------------- mock */

/* Names: "tom smith" -> one staff member; "twice" ("same person") -> one
 * person as two entries; "two pupils" ("pat pupil") -> two pupils;
 * "staff pupil" ("sam both") -> a pupil and a member of staff; "two staff"
 * ("kim staff") -> two members of staff. */
struct mock {
    struct sg_dir_backend base;
    _Atomic int calls, name_calls;
    _Atomic int down; /* 1: TEMPFAIL */
    int delay_ms;
    char last_key[128];
};

static struct sg_person *
person(const char *address, const char *role)
{
    struct sg_person *p = sg_person_new();
    p->address = strdup(address);
    sg_person_add_role(p, role);
    return p;
}

static enum sg_dir_status
mock_lookup(struct sg_dir_backend *b, const char *key,
            struct sg_person **person_r, enum sg_channel *channel_r,
            const char **error_r)
{
    struct mock *m = (struct mock *)b;
    (void)error_r;
    atomic_fetch_add(&m->calls, 1);
    if (strcmp(key, "tom@s.example") != 0)
        return SG_DIR_NOTFOUND;
    *person_r = person("tom@s.example", "pupil");
    *channel_r = SG_CHANNEL_SCHOOL;
    return SG_DIR_FOUND;
}

static enum sg_dir_status
mock_lookup_name(struct sg_dir_backend *b, const char *key,
                 struct sg_person ***people_r, size_t *n_r,
                 const char **error_r)
{
    struct mock *m = (struct mock *)b;
    atomic_fetch_add(&m->name_calls, 1);
    snprintf(m->last_key, sizeof(m->last_key), "%s", key);
    if (m->delay_ms > 0)
        usleep((useconds_t)m->delay_ms * 1000);
    if (atomic_load(&m->down)) {
        *error_r = sg_dir_errorf("mock: server down (%s)", key);
        return SG_DIR_TEMPFAIL;
    }
    struct sg_person *found[2] = {NULL, NULL};
    size_t n = 0;
    if (strcmp(key, "tom smith") == 0) {
        found[n++] = person("tom@s.example", "staff");
    } else if (strcmp(key, "same person") == 0) {
        found[n++] = person("same@s.example", "pupil");
        found[n++] = person("same@s.example", "pupil");
    } else if (strcmp(key, "pat pupil") == 0) {
        found[n++] = person("pat1@s.example", "pupil");
        found[n++] = person("pat2@s.example", "pupil");
    } else if (strcmp(key, "sam both") == 0) {
        found[n++] = person("sam1@s.example", "pupil");
        found[n++] = person("sam2@s.example", "staff");
    } else if (strcmp(key, "kim staff") == 0) {
        found[n++] = person("kim1@s.example", "staff");
        found[n++] = person("kim2@s.example", "staff");
    }
    if (n == 0)
        return SG_DIR_NOTFOUND;
    *people_r = calloc(n, sizeof(**people_r));
    memcpy(*people_r, found, n * sizeof(found[0]));
    *n_r = n;
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
    "mock", mock_lookup, mock_check, mock_free, mock_lookup_name};
static const struct sg_dir_backend_ops nameless_ops = {
    "nameless", mock_lookup, mock_check, mock_free, NULL};

static time_t mock_now = 1000;

static time_t
now_fn(void *ctx)
{
    (void)ctx;
    return mock_now;
}

static struct sg_directory *
open_mock(struct mock *m, const struct sg_dir_backend_ops *ops)
{
    memset(m, 0, sizeof(*m));
    m->base.ops = ops;
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.cache_ttl = 60;
    cfg.cache_negative_ttl = 10;
    cfg.stale_max_age = 600;
    struct sg_directory *dir = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_new_with_backend(&cfg, &m->base, &dir, &error),
                     SG_DIR_FOUND);
    sg_dir_set_clock(dir, now_fn, today_fn, NULL);
    mock_now = 1000;
    return dir;
}

/* The rule for a name several people share. */
static void
test_choice(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *address; /* NULL: NOTFOUND */
    } cases[] = {
        {"Tom Smith", "tom@s.example"},
        {"Same Person", "same@s.example"}, /* all the same person */
        {"Pat Pupil", NULL},               /* two, no staff */
        {"Sam Both", "sam2@s.example"},    /* exactly one staff */
        {"Kim Staff", NULL},               /* two staff */
        {"Nobody Here", NULL},
    };
    struct mock m;
    struct sg_directory *dir = open_mock(&m, &mock_ops);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_person *p = NULL;
        const char *error = NULL;
        enum sg_dir_status st = sg_dir_lookup_name(dir, cases[i].name, &p,
                                                   &error);
        if (cases[i].address == NULL) {
            if (st != SG_DIR_NOTFOUND)
                fail_msg("%s: status %d", cases[i].name, st);
            assert_null(p);
            continue;
        }
        if (st != SG_DIR_FOUND)
            fail_msg("%s: status %d", cases[i].name, st);
        assert_string_equal(p->address, cases[i].address);
        sg_person_free(&p);
    }
    sg_dir_free(&dir);

    /* a backend that cannot look up names: a configuration error */
    dir = open_mock(&m, &nameless_ops);
    struct sg_person *p = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_lookup_name(dir, "Tom Smith", &p, &error),
                     SG_DIR_CONFIG);
    assert_string_equal(error, "the nameless directory backend cannot look "
                               "up display names");
    assert_null(p);
    sg_dir_free(&dir);
}

static enum sg_dir_status
name_at(struct sg_directory *dir, time_t t, const char *name,
        const char *want_address)
{
    mock_now = t;
    struct sg_person *p = NULL;
    const char *error = NULL;
    enum sg_dir_status st = sg_dir_lookup_name(dir, name, &p, &error);
    if (st == SG_DIR_FOUND) {
        assert_non_null(want_address);
        assert_string_equal(p->address, want_address);
    } else {
        assert_null(p);
    }
    sg_person_free(&p);
    return st;
}

/* The same cache as addresses: TTL, negative TTL, stale-if-error, TEMPFAIL
 * (never NOTFOUND) without a usable entry, keys apart from addresses. */
static void
test_cache(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, &mock_ops);
    const char *tom = "tom@s.example";

    assert_int_equal(name_at(dir, 1000, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(m.name_calls, 1);
    assert_string_equal(m.last_key, "tom smith"); /* no prefix reaches it */
    /* another spelling, same key: a hit */
    assert_int_equal(name_at(dir, 1010, "Smith, Mr Tom", tom), SG_DIR_FOUND);
    assert_int_equal(m.name_calls, 1);
    /* an address lookup does not see the name entry, nor it the address */
    struct sg_person *p = NULL;
    enum sg_channel ch;
    const char *error = NULL;
    assert_int_equal(sg_dir_lookup(dir, "tom@s.example", &p, &ch, &error),
                     SG_DIR_FOUND);
    assert_true(sg_person_has_role(p, "pupil"));
    sg_person_free(&p);
    assert_int_equal(m.calls, 1);
    assert_int_equal(name_at(dir, 1020, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(m.name_calls, 1);
    /* past the TTL: asked again */
    assert_int_equal(name_at(dir, 1061, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(m.name_calls, 2);

    /* negative TTL */
    assert_int_equal(name_at(dir, 1100, "Nobody Here", NULL),
                     SG_DIR_NOTFOUND);
    assert_int_equal(name_at(dir, 1105, "nobody here", NULL),
                     SG_DIR_NOTFOUND);
    assert_int_equal(m.name_calls, 3);
    assert_int_equal(name_at(dir, 1111, "Nobody Here", NULL),
                     SG_DIR_NOTFOUND);
    assert_int_equal(m.name_calls, 4);

    /* unusable names never reach the backend */
    assert_int_equal(name_at(dir, 1112, "Smith", NULL), SG_DIR_NOTFOUND);
    assert_int_equal(name_at(dir, 1112, "T. Smith", NULL), SG_DIR_NOTFOUND);
    assert_int_equal(m.name_calls, 4);

    /* outage: stale within stale_max_age, else TEMPFAIL, never NOTFOUND */
    m.down = 1;
    assert_int_equal(name_at(dir, 1200, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(name_at(dir, 1200, "Sam Both", NULL), SG_DIR_TEMPFAIL);
    mock_now = 1200;
    assert_int_equal(sg_dir_lookup_name(dir, "Kim Staff", &p, &error),
                     SG_DIR_TEMPFAIL);
    assert_string_equal(error, "mock: server down (kim staff)");
    /* the cached "not found" is stale too: still not found, not an error */
    assert_int_equal(name_at(dir, 1200, "Nobody Here", NULL),
                     SG_DIR_NOTFOUND);
    assert_int_equal(name_at(dir, 1700, "Tom Smith", NULL), SG_DIR_TEMPFAIL);
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.stale, 2);
    assert_int_equal(s.errors, 3);

    /* recovery */
    m.down = 0;
    assert_int_equal(name_at(dir, 1701, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(name_at(dir, 1701, "Sam Both", "sam2@s.example"),
                     SG_DIR_FOUND);
    sg_dir_free(&dir);
}

struct flight {
    struct sg_directory *dir;
    int found;
};

static void *
flight_worker(void *arg)
{
    struct flight *f = arg;
    struct sg_person *p = NULL;
    const char *error = NULL;
    if (sg_dir_lookup_name(f->dir, "Tom Smith", &p, &error) == SG_DIR_FOUND &&
        strcmp(p->address, "tom@s.example") == 0)
        f->found = 1;
    sg_person_free(&p);
    return NULL;
}

/* Many threads, one name, one backend query. */
static void
test_single_flight(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, &mock_ops);
    m.delay_ms = 200;
    pthread_t t[4];
    struct flight f[4];
    for (int i = 0; i < 4; i++) {
        f[i] = (struct flight){dir, 0};
        assert_int_equal(pthread_create(&t[i], NULL, flight_worker, &f[i]),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(f[i].found, 1);
    }
    assert_int_equal(m.name_calls, 1);
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.shared + s.hits, 3);
    sg_dir_free(&dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_file_names),
        cmocka_unit_test(test_choice),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_single_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
