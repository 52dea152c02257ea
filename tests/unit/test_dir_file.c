/*
 * test_dir_file.c - the file backend through sg_dir_lookup: every kind of
 * person in the fixture, aliases, personal addresses, derived roles, and
 * the error messages (file and line) for malformed files.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_directory.h"

#ifndef SG_TEST_DATADIR
#error SG_TEST_DATADIR must be defined
#endif

static struct sg_date fixed_today = {2026, 11, 22};
static unsigned today_reads;

static void
today_fn(void *ctx, struct sg_date *today_r)
{
    (void)ctx;
    today_reads++;
    *today_r = fixed_today;
}

static struct sg_directory *
open_fixture(void)
{
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.file_path = (char *)SG_TEST_DATADIR "/school.dir";
    char *site_roles[] = {(char *)"governor"}; /* the site's own role */
    cfg.roles = site_roles;
    cfg.n_roles = 1;
    struct sg_directory *dir = NULL;
    const char *error = NULL;
    enum sg_dir_status st = sg_dir_new(&cfg, &dir, &error);
    if (st != SG_DIR_FOUND)
        fail_msg("%s", error);
    sg_dir_set_clock(dir, NULL, today_fn, NULL);
    return dir;
}

/* roles as "a,b,c" in the order the person holds them */
static void
roles_string(const struct sg_person *p, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < p->n_roles; i++) {
        if (i > 0)
            strncat(buf, ",", size - strlen(buf) - 1);
        strncat(buf, p->roles[i], size - strlen(buf) - 1);
    }
}

static void
test_lookup(void **state)
{
    (void)state;
    static const struct {
        const char *address;
        enum sg_dir_status status;
        const char *primary;
        enum sg_channel channel;
        const char *roles;
        const char *name;
    } cases[] = {
        {"tom.smith@school.example", SG_DIR_FOUND, "tom.smith@school.example",
         SG_CHANNEL_SCHOOL, "staff,dsl", "Tom Smith"},
        {"<Tom.Smith+Trips@SCHOOL.example>", SG_DIR_FOUND,
         "tom.smith@school.example", SG_CHANNEL_SCHOOL, "staff,dsl",
         "Tom Smith"},
        {"\"tom.smith\"@school.example", SG_DIR_FOUND,
         "tom.smith@school.example", SG_CHANNEL_SCHOOL, "staff,dsl",
         "Tom Smith"},
        {"t.smith@school.example", SG_DIR_FOUND, "tom.smith@school.example",
         SG_CHANNEL_SCHOOL, "staff,dsl", "Tom Smith"},
        {"tsmith@school.example", SG_DIR_FOUND, "tom.smith@school.example",
         SG_CHANNEL_SCHOOL, "staff,dsl", "Tom Smith"},
        {"Tom.Smith@Gmail.com", SG_DIR_FOUND, "tom.smith@school.example",
         SG_CHANNEL_PERSONAL, "staff,dsl", "Tom Smith"},
        {"tommy@hotmail.co.uk", SG_DIR_FOUND, "tom.smith@school.example",
         SG_CHANNEL_PERSONAL, "staff,dsl", "Tom Smith"},
        {"amy.jones@school.example", SG_DIR_FOUND, "amy.jones@school.example",
         SG_CHANNEL_SCHOOL, "pupil", "Amy \"AJ\" Jones"},
        /* left 2025-07-18, 18 on 2026-06-15: former pupil, adult */
        {"ben.old@school.example", SG_DIR_FOUND, "ben.old@school.example",
         SG_CHANNEL_SCHOOL, "former-pupil", "Ben Old"},
        {"cara.left@school.example", SG_DIR_FOUND, "cara.left@school.example",
         SG_CHANNEL_SCHOOL, "former-pupil", "Cara Left"},
        {"\"odd one\"@school.example", SG_DIR_FOUND,
         "\"odd one\"@school.example", SG_CHANNEL_SCHOOL, "staff", "Odd One"},
        {"pat.parent@example.net", SG_DIR_FOUND, "pat.parent@example.net",
         SG_CHANNEL_SCHOOL, "parent", "Pat Parent"},
        {"nobody@school.example", SG_DIR_FOUND, "nobody@school.example",
         SG_CHANNEL_SCHOOL, "", NULL},
        {"spaced@school.example", SG_DIR_FOUND, "spaced@school.example",
         SG_CHANNEL_SCHOOL, "staff,governor", "Spaced Roles"},
        {"stranger@school.example", SG_DIR_NOTFOUND, NULL, SG_CHANNEL_NONE,
         NULL, NULL},
        {"tom.smith@gmail.co", SG_DIR_NOTFOUND, NULL, SG_CHANNEL_NONE, NULL,
         NULL},
        {"*)(uid=*", SG_DIR_NOTFOUND, NULL, SG_CHANNEL_NONE, NULL, NULL},
        {"", SG_DIR_NOTFOUND, NULL, SG_CHANNEL_NONE, NULL, NULL},
    };
    struct sg_directory *dir = open_fixture();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_person *p = NULL;
        enum sg_channel ch = SG_CHANNEL_SCHOOL;
        const char *error = NULL;
        enum sg_dir_status st =
            sg_dir_lookup(dir, cases[i].address, &p, &ch, &error);
        if (st != cases[i].status)
            fail_msg("case %zu (%s): status %d, want %d", i, cases[i].address,
                     st, cases[i].status);
        assert_int_equal(ch, cases[i].channel);
        if (st != SG_DIR_FOUND) {
            assert_null(p);
            continue;
        }
        assert_non_null(p);
        assert_string_equal(p->address, cases[i].primary);
        char roles[256];
        roles_string(p, roles, sizeof(roles));
        assert_string_equal(roles, cases[i].roles);
        if (cases[i].name == NULL)
            assert_null(p->display_name);
        else
            assert_string_equal(p->display_name, cases[i].name);
        sg_person_free(&p);
    }
    struct sg_dir_stats stats;
    sg_dir_stats(dir, &stats);
    assert_int_equal(stats.lookups, sizeof(cases) / sizeof(cases[0]));
    assert_int_equal(stats.notfound, 4);
    assert_int_equal(stats.errors, 0);
    sg_dir_free(&dir);
    assert_null(dir);
}

static void
test_attributes(void **state)
{
    (void)state;
    struct sg_directory *dir = open_fixture();
    struct sg_person *p = NULL;
    enum sg_channel ch;
    const char *error = NULL;

    assert_int_equal(sg_dir_lookup(dir, "tom.smith@gmail.com", &p, &ch, &error),
                     SG_DIR_FOUND);
    assert_int_equal(p->n_aliases, 2);
    assert_string_equal(p->aliases[0], "t.smith@school.example");
    assert_string_equal(p->aliases[1], "tsmith@school.example");
    assert_int_equal(p->n_personal, 2);
    assert_string_equal(p->personal[0], "tom.smith@gmail.com");
    assert_string_equal(p->personal[1], "tommy@hotmail.co.uk");
    assert_int_equal(p->dob.year, 0);
    assert_null(p->upn);
    sg_person_free(&p);

    /* a pupil's unique pupil number, for the concern export */
    assert_int_equal(
        sg_dir_lookup(dir, "amy.jones@school.example", &p, &ch, &error),
        SG_DIR_FOUND);
    assert_string_equal(p->upn, "K801200001001");
    sg_person_free(&p);

    assert_int_equal(
        sg_dir_lookup(dir, "pat.parent@example.net", &p, &ch, &error),
        SG_DIR_FOUND);
    assert_int_equal(p->n_children, 2);
    assert_string_equal(p->children[0], "amy.jones@school.example");
    assert_string_equal(p->children[1], "ben.old@school.example");
    sg_person_free(&p);

    assert_int_equal(
        sg_dir_lookup(dir, "ben.old@school.example", &p, &ch, &error),
        SG_DIR_FOUND);
    assert_int_equal(p->dob.year, 2008);
    assert_int_equal(p->dob.month, 6);
    assert_int_equal(p->dob.day, 15);
    assert_int_equal(p->left.year, 2025);
    assert_int_equal(p->left.month, 7);
    assert_int_equal(p->left.day, 18);
    sg_person_free(&p);
    sg_dir_free(&dir);
}

/* The day before and on Ben's 18th birthday (2008-06-15), and around his
 * leaving date (2025-07-18). */
static void
test_derived_roles_by_day(void **state)
{
    (void)state;
    static const struct {
        struct sg_date today;
        const char *roles;
    } cases[] = {
        {{2025, 7, 17}, "pupil"},
        {{2025, 7, 18}, "former-pupil,former-pupil-under-18"},
        {{2026, 6, 14}, "former-pupil,former-pupil-under-18"},
        {{2026, 6, 15}, "former-pupil"},
        {{2030, 1, 1}, "former-pupil"},
    };
    struct sg_directory *dir = open_fixture();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fixed_today = cases[i].today;
        struct sg_person *p = NULL;
        enum sg_channel ch;
        const char *error = NULL;
        /* twice: the second answer comes from the cache and must be
         * derived afresh too */
        for (int round = 0; round < 2; round++) {
            assert_int_equal(
                sg_dir_lookup(dir, "ben.old@school.example", &p, &ch, &error),
                SG_DIR_FOUND);
            char roles[256];
            roles_string(p, roles, sizeof(roles));
            assert_string_equal(roles, cases[i].roles);
            sg_person_free(&p);
        }
    }
    fixed_today = (struct sg_date){2026, 11, 22};
    sg_dir_free(&dir);
}

/* The day is read only for a person it can change: a pupil with a
 * leaving date, a former pupil; not for staff, parents or a pupil with
 * none (the clock is read once a lookup at most). */
static void
test_day_read_when_needed(void **state)
{
    (void)state;
    static const struct {
        const char *address;
        unsigned reads;
    } cases[] = {
        {"ben.old@school.example", 1},   {"cara.left@school.example", 1},
        {"amy.jones@school.example", 0}, {"pat.parent@example.net", 0},
        {"tom.smith@school.example", 0},
    };
    struct sg_directory *dir = open_fixture();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_person *p = NULL;
        enum sg_channel ch;
        const char *error = NULL;
        today_reads = 0;
        assert_int_equal(sg_dir_lookup(dir, cases[i].address, &p, &ch, &error),
                         SG_DIR_FOUND);
        if (today_reads != cases[i].reads)
            fail_msg("%s: the day read %u times, not %u", cases[i].address,
                     today_reads, cases[i].reads);
        sg_person_free(&p);
    }
    sg_dir_free(&dir);
}

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static void
test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *error; /* after "PATH:" */
    } cases[] = {
        {"a@s.example staff\nb@s.example staff nmae=\"B\"\n",
         "2: unknown attribute \"nmae\" (known: name, dob, left, upn, alias, "
         "personal, child)"},
        {"a@s.example staff dob=2009-02-29\n",
         "1: dob: not a date (YYYY-MM-DD): 2009-02-29"},
        {"a@s.example staff left=yesterday\n",
         "1: left: not a date (YYYY-MM-DD): yesterday"},
        {"# c\n\na@s.example staff\nA@S.example pupil\n",
         "4: address a@s.example already belongs to the person on line 3"},
        {"a@s.example staff\nb@s.example staff alias=a@s.example\n",
         "2: address a@s.example already belongs to the person on line 1"},
        {"a@s.example staff personal=x@y.example\n"
         "b@s.example staff personal=X@Y.example\n",
         "2: address x@y.example already belongs to the person on line 1"},
        {"not-an-address staff\n", "1: not a valid address: not-an-address"},
        {"a@s.example staff alias=bad\n", "1: not a valid address: bad"},
        {"a@s.example staff child=bad@\n",
         "1: child: not a valid address: bad@"},
        {"a@s.example staff name=\"Unterminated\n",
         "1: unterminated quoted string"},
        {"a@s.example staff name=\"A\" name=\"B\"\n", "1: name given twice"},
        {"a@s.example pupil upn=A1 upn=A2\n", "1: upn given twice"},
        {"a@s.example staff dob=2000-01-01 dob=2000-01-02\n",
         "1: dob given twice"},
        {"a@s.example staff name=\n", "1: name: empty value"},
        {"a@s.example st@ff\n", "1: bad role name \"st@ff\" (letters, digits, - _ .)"},
        {"a@s.example staff pupil\n", "1: expected key=value, found \"pupil\""},
        {"a@s.example staff name=\"A\"x\n", "1: name: badly quoted value"},
        /* a role no one could mean: a typo, or a site role not declared */
        {"a@s.example staff\nb@s.example staf\n",
         "2: unknown role \"staf\" (known: staff, pupil, parent, dsl, "
         "former-pupil, former-pupil-under-18; a site's own roles are "
         "declared with roles = ...)"},
        {"a@s.example staff, dls\n",
         "1: unknown role \"dls\" (known: staff, pupil, parent, dsl, "
         "former-pupil, former-pupil-under-18; a site's own roles are "
         "declared with roles = ...)"},
        {"a@s.example governor\n",
         "1: unknown role \"governor\" (known: staff, pupil, parent, dsl, "
         "former-pupil, former-pupil-under-18; a site's own roles are "
         "declared with roles = ...)"},
        /* the LDAP backend's role maps are no roles of a file */
        {"a@s.example disabled\n",
         "1: unknown role \"disabled\" (known: staff, pupil, parent, dsl, "
         "former-pupil, former-pupil-under-18; a site's own roles are "
         "declared with roles = ...)"},
    };
    char path[] = "/tmp/test_dir_file.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_file(path, cases[i].text);
        struct sg_dir_config cfg;
        sg_dir_config_init(&cfg);
        cfg.file_path = path;
        struct sg_directory *dir = NULL;
        const char *error = NULL;
        enum sg_dir_status st = sg_dir_new(&cfg, &dir, &error);
        if (st != SG_DIR_CONFIG)
            fail_msg("case %zu: loaded", i);
        assert_null(dir);
        char want[512];
        snprintf(want, sizeof(want), "%s:%s", path, cases[i].error);
        assert_string_equal(error, want);
    }
    unlink(path);

    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    struct sg_directory *dir = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_new(&cfg, &dir, &error), SG_DIR_CONFIG);
    assert_string_equal(error,
                        "directory_file is not set (the file backend needs it)");
    cfg.file_path = (char *)"/nonexistent/school.dir";
    assert_int_equal(sg_dir_new(&cfg, &dir, &error), SG_DIR_CONFIG);
    assert_string_equal(error, "cannot open directory file "
                               "/nonexistent/school.dir: No such file or "
                               "directory");
}

/* The known roles: the built-in ones, the configured names of the pupil
 * roles and the site's own, in any case. */
static void
test_known_roles(void **state)
{
    (void)state;
    char path[] = "/tmp/test_dir_file.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_file(path, "a@s.example STAFF,DSL\n"
                     "b@s.example student\n"
                     "c@s.example governor, Visitor\n"
                     "d@s.example old-student-u18\n");
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.file_path = path;
    struct sg_directory *dir = NULL;
    const char *error = NULL;
    /* not known yet: the first unknown one is named */
    assert_int_equal(sg_dir_new(&cfg, &dir, &error), SG_DIR_CONFIG);
    assert_non_null(strstr(error, ":2: unknown role \"student\""));
    cfg.role_pupil = (char *)"student";
    cfg.role_former_pupil_under_18 = (char *)"old-student-u18";
    char *site[] = {(char *)"visitor", (char *)"Governor"};
    cfg.roles = site;
    cfg.n_roles = 2;
    if (sg_dir_new(&cfg, &dir, &error) != SG_DIR_FOUND)
        fail_msg("%s", error);
    sg_dir_free(&dir);
    /* the list itself, without duplicates */
    char **known = NULL;
    size_t n = 0;
    assert_int_equal(sg_dir_known_roles(&cfg, &known, &n), 0);
    assert_int_equal(n, 10);
    assert_string_equal(known[6], "student");
    assert_string_equal(known[7], "old-student-u18");
    assert_string_equal(known[9], "Governor");
    sg_strv_free(&known, &n);
    unlink(path);
}

static void
test_backend_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int rc;
        enum sg_dir_backend_type type;
    } cases[] = {
        {"file", 0, SG_DIR_BACKEND_FILE}, {"LDAP", 0, SG_DIR_BACKEND_LDAP},
        {"ldap", 0, SG_DIR_BACKEND_LDAP}, {"None", 0, SG_DIR_BACKEND_NONE},
        {"sql", -1, SG_DIR_BACKEND_FILE},
        {"", -1, SG_DIR_BACKEND_FILE},    {NULL, -1, SG_DIR_BACKEND_FILE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum sg_dir_backend_type t = SG_DIR_BACKEND_FILE;
        assert_int_equal(sg_dir_backend_from_name(cases[i].name, &t),
                         cases[i].rc);
        assert_int_equal(t, cases[i].type);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_attributes),
        cmocka_unit_test(test_derived_roles_by_day),
        cmocka_unit_test(test_day_read_when_needed),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_known_roles),
        cmocka_unit_test(test_backend_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
