/*
 * test_dir_ldap.c - libdirectory's ldap backend against a real slapd
 * (started by run.sh, which exports SG_LDAP_URI, SG_LDAP_DIR and
 * SG_LDAP_CTL): every role through nested groups and filters, aliases,
 * proxyAddresses, personal addresses, derived roles, disabled accounts,
 * filter injection, StartTLS with the test CA, a wrong password, failover,
 * the pool under threads, and slapd stopped mid-run (stale, then
 * TEMPFAIL, then recovery without reopening); display-name lookups (found,
 * not found, ambiguous, the user filter, injection, an outage).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_dir_internal.h"
#include "slapd_test.h"

static time_t clock_now = 1000;
static time_t
now_fn(void *ctx)
{
    (void)ctx;
    return clock_now;
}
static void
today_fn(void *ctx, struct sg_date *today_r)
{
    (void)ctx;
    *today_r = (struct sg_date){2026, 11, 22};
}

static char *role_groups[] = {
    "staff=cn=Staff," GROUPS,
    "pupil=cn=Pupils," GROUPS,
    "dsl=cn=DSL," GROUPS,
    "parent=cn=Parents," GROUPS,
};
static char *role_filters[] = {"governor=(employeeType=governor)"};
static char *alias_attrs[] = {"mailAlternateAddress"};

static void
base_config(struct sg_dir_config *cfg, char **uris, size_t n_uris)
{
    slapd_test_config(cfg, uris, n_uris);
    cfg->ldap_alias_attributes = alias_attrs; /* not in the schema: ignored */
    cfg->n_ldap_alias_attributes = 1;
    cfg->ldap_personal_attribute = "sgPersonalAddress";
    cfg->ldap_children_attribute = "sgChildAddress";
    cfg->ldap_dob_attribute = "sgDateOfBirth";
    cfg->ldap_left_attribute = "sgLeavingDate";
    cfg->ldap_upn_attribute = "employeeNumber"; /* a pupil's UPN */
    cfg->ldap_role_groups = role_groups;
    cfg->n_ldap_role_groups = 4;
    cfg->ldap_role_filters = role_filters;
    cfg->n_ldap_role_filters = 1;
    cfg->ldap_disabled_filter =
        "(userAccountControl:1.2.840.113556.1.4.803:=2)";
    cfg->ldap_page_size = 2; /* Pupils has 3 direct members: 2 pages */
    cfg->ldap_pool_size = 2;
}

static struct sg_directory *
open_dir(const struct sg_dir_config *cfg)
{
    struct sg_directory *dir = NULL;
    const char *error = NULL;
    enum sg_dir_status st = sg_dir_new(cfg, &dir, &error);
    if (st != SG_DIR_FOUND)
        fail_msg("sg_dir_new: %s", error);
    sg_dir_set_clock(dir, now_fn, today_fn, NULL);
    return dir;
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

struct expect {
    const char *address;
    enum sg_dir_status status;
    const char *primary;
    enum sg_channel channel;
    const char *roles; /* sorted */
    const char *name;
};

static void
check_table(struct sg_directory *dir, const struct expect *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sg_person *p = NULL;
        enum sg_channel ch;
        const char *error = NULL;
        enum sg_dir_status st =
            sg_dir_lookup(dir, cases[i].address, &p, &ch, &error);
        if (st != cases[i].status)
            fail_msg("%s: status %d, want %d (%s)", cases[i].address, st,
                     cases[i].status, error ? error : "");
        if (st != SG_DIR_FOUND) {
            assert_null(p);
            continue;
        }
        assert_string_equal(p->address, cases[i].primary);
        if (ch != cases[i].channel)
            fail_msg("%s: channel %d, want %d", cases[i].address, ch,
                     cases[i].channel);
        char roles[256];
        roles_string(p, roles, sizeof(roles));
        if (strcmp(roles, cases[i].roles) != 0)
            fail_msg("%s: roles \"%s\", want \"%s\"", cases[i].address, roles,
                     cases[i].roles);
        if (cases[i].name != NULL)
            assert_string_equal(p->display_name, cases[i].name);
        sg_person_free(&p);
    }
}

static const struct expect people[] = {
    {"tom.smith@school.example", SG_DIR_FOUND, "tom.smith@school.example",
     SG_CHANNEL_SCHOOL, "staff", "Tom Smith"},
    /* proxyAddresses alias, any case, +detail */
    {"<T.Smith+trips@School.Example>", SG_DIR_FOUND,
     "tom.smith@school.example", SG_CHANNEL_SCHOOL, "staff", "Tom Smith"},
    {"\"tom.smith\"@school.example", SG_DIR_FOUND, "tom.smith@school.example",
     SG_CHANNEL_SCHOOL, "staff", "Tom Smith"},
    /* registered personal address -> owner, channel personal */
    {"Tom.Smith@gmail.com", SG_DIR_FOUND, "tom.smith@school.example",
     SG_CHANNEL_PERSONAL, "staff", "Tom Smith"},
    /* staff only through nested group Teaching; dsl directly */
    {"dee.lead@school.example", SG_DIR_FOUND, "dee.lead@school.example",
     SG_CHANNEL_SCHOOL, "dsl,staff", "Dee Lead"},
    /* pupil through nested group Year7 */
    {"amy.jones@school.example", SG_DIR_FOUND, "amy.jones@school.example",
     SG_CHANNEL_SCHOOL, "pupil", "Amy Jones"},
    /* left 2025-07-18, 18 on 2026-06-15 */
    {"ben.old@school.example", SG_DIR_FOUND, "ben.old@school.example",
     SG_CHANNEL_SCHOOL, "former-pupil", "Ben Old"},
    /* left 2026-07-20, born 2010 */
    {"cara.young@school.example", SG_DIR_FOUND, "cara.young@school.example",
     SG_CHANNEL_SCHOOL, "former-pupil,former-pupil-under-18", "Cara Young"},
    {"pat.parent@example.net", SG_DIR_FOUND, "pat.parent@example.net",
     SG_CHANNEL_SCHOOL, "parent", "Pat Parent"},
    /* no mail attribute: primary from SMTP: */
    {"nora@school.example", SG_DIR_FOUND, "no.mail@school.example",
     SG_CHANNEL_SCHOOL, "", "Nora Mail"},
    /* disabled (userAccountControl 514), keeps its roles */
    {"old.staff@school.example", SG_DIR_FOUND, "old.staff@school.example",
     SG_CHANNEL_SCHOOL, "disabled,staff", "Olde Staff"},
    /* role by filter; 512 is not disabled */
    {"gov@school.example", SG_DIR_FOUND, "gov@school.example",
     SG_CHANNEL_SCHOOL, "governor", "Gill Governor"},
    {"stranger@school.example", SG_DIR_NOTFOUND, NULL, SG_CHANNEL_NONE, NULL,
     NULL},
    {"tom.smith@gmail.co.uk", SG_DIR_NOTFOUND, NULL, SG_CHANNEL_NONE, NULL,
     NULL},
    /* injection attempts: valid addresses full of filter syntax */
    {"*@school.example", SG_DIR_NOTFOUND, NULL, SG_CHANNEL_NONE, NULL, NULL},
    {"\"*)(uid=*\"@school.example", SG_DIR_NOTFOUND, NULL, SG_CHANNEL_NONE,
     NULL, NULL},
    {"\"*)(|(mail=*\"@school.example", SG_DIR_NOTFOUND, NULL,
     SG_CHANNEL_NONE, NULL, NULL},
    {"*)(uid=*", SG_DIR_NOTFOUND, NULL, SG_CHANNEL_NONE, NULL, NULL},
};

static void
test_people(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    struct sg_directory *dir = open_dir(&cfg);
    const char *error = NULL;
    assert_int_equal(sg_dir_check(dir, &error), SG_DIR_FOUND);
    check_table(dir, people, sizeof(people) / sizeof(people[0]));

    /* the details of one person */
    struct sg_person *p = NULL;
    enum sg_channel ch;
    assert_int_equal(
        sg_dir_lookup(dir, "tom.smith@school.example", &p, &ch, &error),
        SG_DIR_FOUND);
    assert_int_equal(p->n_aliases, 1);
    assert_string_equal(p->aliases[0], "t.smith@school.example");
    assert_int_equal(p->n_personal, 1);
    assert_string_equal(p->personal[0], "tom.smith@gmail.com");
    sg_person_free(&p);
    assert_int_equal(sg_dir_lookup(dir, "ben.old@school.example", &p, &ch,
                                   &error),
                     SG_DIR_FOUND);
    assert_int_equal(p->dob.year, 2008);
    assert_int_equal(p->dob.month, 6);
    assert_int_equal(p->dob.day, 15);
    assert_int_equal(p->left.year, 2025);
    assert_null(p->upn);
    sg_person_free(&p);
    assert_int_equal(sg_dir_lookup(dir, "amy.jones@school.example", &p, &ch,
                                   &error),
                     SG_DIR_FOUND);
    assert_string_equal(p->upn, "K801200001001");
    sg_person_free(&p);
    assert_int_equal(sg_dir_lookup(dir, "pat.parent@example.net", &p, &ch,
                                   &error),
                     SG_DIR_FOUND);
    assert_int_equal(p->n_children, 1);
    assert_string_equal(p->children[0], "amy.jones@school.example");
    sg_person_free(&p);

    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.errors, 0);
    assert_true(s.hits >= 1);
    sg_dir_free(&dir);
}

/* The raw key reaches the filter when the backend is called directly. */
static void
test_injection_raw(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    cfg.ldap_user_filter = "(objectClass=*)";
    struct sg_dir_backend *b = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_ldap_open(&cfg, &b, &error), SG_DIR_FOUND);
    static const char *const keys[] = {
        "*)(uid=*", "*", "*)(objectClass=*", "tom.smith@school.example)(|(a=*",
        "\\2a", "*)(|(mail=*)(mail=*"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct sg_person *p = NULL;
        enum sg_channel ch = SG_CHANNEL_NONE;
        enum sg_dir_status st = b->ops->lookup(b, keys[i], &p, &ch, &error);
        if (st != SG_DIR_NOTFOUND)
            fail_msg("key \"%s\": status %d (%s)", keys[i], st,
                     st == SG_DIR_FOUND ? p->address : error);
    }
    b->ops->free(b);
}

/* OpenLDAP answers the in-chain rule with success and no entries: a
 * directory that trusted it would find no staff.  It is off by default
 * for this reason; this shows what turning it on against OpenLDAP does. */
static void
test_in_chain_on_openldap(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    cfg.ldap_use_in_chain = true;
    struct sg_directory *dir = open_dir(&cfg);
    static const struct expect cases[] = {
        {"tom.smith@school.example", SG_DIR_FOUND, "tom.smith@school.example",
         SG_CHANNEL_SCHOOL, "", NULL},
        {"dee.lead@school.example", SG_DIR_FOUND, "dee.lead@school.example",
         SG_CHANNEL_SCHOOL, "", NULL},
        {"gov@school.example", SG_DIR_FOUND, "gov@school.example",
         SG_CHANNEL_SCHOOL, "governor", NULL},
    };
    check_table(dir, cases, sizeof(cases) / sizeof(cases[0]));
    sg_dir_free(&dir);

    /* and the default is client-side expansion */
    struct sg_dir_config def;
    sg_dir_config_init(&def);
    assert_false(def.ldap_use_in_chain);
}

static void
test_starttls(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    cfg.ldap_starttls = true;
    cfg.ldap_tls_ca_file = ca_file;
    struct sg_directory *dir = open_dir(&cfg);
    const char *error = NULL;
    assert_int_equal(sg_dir_check(dir, &error), SG_DIR_FOUND);
    check_table(dir, people, 6);
    sg_dir_free(&dir);

    /* a CA that did not sign the server's certificate: refused */
    cfg.ldap_tls_ca_file = other_ca_file;
    dir = open_dir(&cfg);
    assert_int_equal(sg_dir_check(dir, &error), SG_DIR_TEMPFAIL);
    char want[512];
    snprintf(want, sizeof(want), "LDAP StartTLS with %s failed: ", uri);
    assert_memory_equal(error, want, strlen(want));
    struct sg_person *p = NULL;
    enum sg_channel ch;
    assert_int_equal(
        sg_dir_lookup(dir, "tom.smith@school.example", &p, &ch, &error),
        SG_DIR_TEMPFAIL);
    assert_null(p);
    sg_dir_free(&dir);

    /* verification off (not recommended): the same CA is accepted */
    cfg.ldap_tls_verify = false;
    dir = open_dir(&cfg);
    assert_int_equal(sg_dir_check(dir, &error), SG_DIR_FOUND);
    sg_dir_free(&dir);
}

static void
test_wrong_password(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    cfg.ldap_bind_password_file = bad_password_file;
    struct sg_directory *dir = open_dir(&cfg);
    const char *error = NULL;
    char want[512];
    snprintf(want, sizeof(want),
             "LDAP bind as cn=milter," BASE " to %s failed: Invalid "
             "credentials: check ldap_bind_dn and ldap_bind_password_file",
             uri);
    assert_int_equal(sg_dir_check(dir, &error), SG_DIR_CONFIG);
    assert_string_equal(error, want);
    struct sg_person *p = NULL;
    enum sg_channel ch;
    assert_int_equal(
        sg_dir_lookup(dir, "tom.smith@school.example", &p, &ch, &error),
        SG_DIR_CONFIG);
    assert_string_equal(error, want);
    assert_null(strstr(error, "wrong-secret"));
    sg_dir_free(&dir);

    /* a missing password file is a configuration error at open */
    cfg.ldap_bind_password_file = "/nonexistent/password";
    assert_int_equal(sg_dir_new(&cfg, &dir, &error), SG_DIR_CONFIG);
    assert_string_equal(error, "cannot open ldap_bind_password_file "
                               "/nonexistent/password: No such file or "
                               "directory");
}

static void
test_failover(void **state)
{
    (void)state;
    /* port 1 on loopback: nothing listens there */
    char *uris[] = {"ldap://127.0.0.1:1/", uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 2);
    cfg.cache_size = 0;
    struct sg_directory *dir = open_dir(&cfg);
    check_table(dir, people, 5);
    sg_dir_free(&dir);

    char *dead[] = {"ldap://127.0.0.1:1/"};
    base_config(&cfg, dead, 1);
    dir = open_dir(&cfg);
    struct sg_person *p = NULL;
    enum sg_channel ch;
    const char *error = NULL;
    assert_int_equal(
        sg_dir_lookup(dir, "tom.smith@school.example", &p, &ch, &error),
        SG_DIR_TEMPFAIL);
    assert_string_equal(error, "LDAP bind as cn=milter," BASE
                               " to ldap://127.0.0.1:1/ failed: Can't "
                               "contact LDAP server");
    sg_dir_free(&dir);
}

struct thread_arg {
    struct sg_directory *dir;
    int ok;
};

static void *
worker(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 30; i++) {
        const struct expect *e = &people[i % 12];
        struct sg_person *person = NULL;
        enum sg_channel ch;
        const char *error = NULL;
        if (sg_dir_lookup(a->dir, e->address, &person, &ch, &error) ==
                SG_DIR_FOUND &&
            strcmp(person->address, e->primary) == 0)
            a->ok++;
        sg_person_free(&person);
    }
    return NULL;
}

static void
test_pool_threads(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    cfg.cache_size = 0; /* every lookup goes to slapd */
    struct sg_directory *dir = open_dir(&cfg);
    pthread_t t[6];
    struct thread_arg args[6];
    for (int i = 0; i < 6; i++) {
        args[i] = (struct thread_arg){dir, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].ok, 30);
    }
    sg_dir_free(&dir);
}

static void
slapd(const char *what)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' %s", ctl, what);
    if (system(cmd) != 0)
        fail_msg("slapd %s failed", what);
}

static void
test_outage(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    cfg.cache_ttl = 60;
    cfg.cache_negative_ttl = 10;
    cfg.stale_max_age = 600;
    struct sg_directory *dir = open_dir(&cfg);
    clock_now = 1000;
    static const struct expect before[] = {
        {"tom.smith@school.example", SG_DIR_FOUND, "tom.smith@school.example",
         SG_CHANNEL_SCHOOL, "staff", NULL},
        {"amy.jones@school.example", SG_DIR_FOUND, "amy.jones@school.example",
         SG_CHANNEL_SCHOOL, "pupil", NULL},
    };
    check_table(dir, before, 2);

    slapd("stop");
    /* within TTL: from the cache */
    clock_now = 1030;
    check_table(dir, before, 2);
    /* past TTL, within stale_max_age: stale, same answers */
    clock_now = 1100;
    check_table(dir, before, 2);
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.stale, 2);
    /* never seen: TEMPFAIL, never NOTFOUND */
    struct sg_person *p = NULL;
    enum sg_channel ch;
    const char *error = NULL;
    assert_int_equal(
        sg_dir_lookup(dir, "dee.lead@school.example", &p, &ch, &error),
        SG_DIR_TEMPFAIL);
    assert_non_null(strstr(error, "Can't contact LDAP server"));
    /* too old for stale: TEMPFAIL */
    clock_now = 1601;
    assert_int_equal(
        sg_dir_lookup(dir, "tom.smith@school.example", &p, &ch, &error),
        SG_DIR_TEMPFAIL);
    assert_null(p);
    assert_int_equal(ch, SG_CHANNEL_NONE);

    /* slapd returns: the same directory recovers by itself */
    slapd("start");
    clock_now = 1602;
    check_table(dir, people, sizeof(people) / sizeof(people[0]));
    sg_dir_stats(dir, &s);
    assert_int_equal(s.errors, 2);
    sg_dir_free(&dir);
}

/* ---------------------------------------------------------------- names */

struct expect_name {
    const char *name;
    enum sg_dir_status status;
    const char *primary;
    const char *roles; /* sorted */
};

static void
check_names(struct sg_directory *dir, const struct expect_name *cases,
            size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sg_person *p = NULL;
        const char *error = NULL;
        enum sg_dir_status st =
            sg_dir_lookup_name(dir, cases[i].name, &p, &error);
        if (st != cases[i].status)
            fail_msg("name \"%s\": status %d, want %d (%s)", cases[i].name,
                     st, cases[i].status,
                     st == SG_DIR_FOUND ? p->address : (error ? error : ""));
        if (st != SG_DIR_FOUND) {
            assert_null(p);
            continue;
        }
        assert_string_equal(p->address, cases[i].primary);
        char roles[256];
        roles_string(p, roles, sizeof(roles));
        if (strcmp(roles, cases[i].roles) != 0)
            fail_msg("name \"%s\": roles \"%s\", want \"%s\"", cases[i].name,
                     roles, cases[i].roles);
        sg_person_free(&p);
    }
}

static const struct expect_name names[] = {
    {"Tom Smith", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
    {"  tom   SMITH ", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
    {"\"Smith, Tom\"", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
    /* staff through a nested group, dsl directly */
    {"Mrs Dee Lead", SG_DIR_FOUND, "dee.lead@school.example", "dsl,staff"},
    /* the directory's "Price, Jo" */
    {"Jo Price", SG_DIR_FOUND, "jo.price@school.example", "staff"},
    {"Dr. Jo Price", SG_DIR_FOUND, "jo.price@school.example", "staff"},
    /* a pupil and a member of staff ("Mr Alex Morgan"): the staff one */
    {"Alex Morgan", SG_DIR_FOUND, "alex.morgan@school.example", "staff"},
    /* two pupils ("Sam Taylor", "Taylor, Sam"): ambiguous */
    {"Sam Taylor", SG_DIR_NOTFOUND, NULL, NULL},
    {"Taylor, Sam", SG_DIR_NOTFOUND, NULL, NULL},
    /* derived roles, as for addresses */
    {"Miss Cara Young", SG_DIR_FOUND, "cara.young@school.example",
     "former-pupil,former-pupil-under-18"},
    /* a disabled account keeps its roles and gains "disabled" */
    {"Olde Staff", SG_DIR_FOUND, "old.staff@school.example",
     "disabled,staff"},
    /* primary address from proxyAddresses */
    {"Nora Mail", SG_DIR_FOUND, "no.mail@school.example", ""},
    {"Tom Smithson", SG_DIR_FOUND, "tom.smithson@school.example", ""},
    /* near Tom Smith and Tom Smithson, but neither */
    {"Tom Smit", SG_DIR_NOTFOUND, NULL, NULL},
    {"Tom Smiths", SG_DIR_NOTFOUND, NULL, NULL},
    /* a middle initial does not count */
    {"Tom J Smith", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
    /* look-alike letters: Cyrillic о and і, Greek capitals, fullwidth */
    {"T\xd0\xbem Sm\xd1\x96th", SG_DIR_FOUND, "tom.smith@school.example",
     "staff"},
    {"\xce\xa4\xce\x9f\xce\x9c S\xce\x9c\xce\x99\xce\xa4\xce\x97",
     SG_DIR_FOUND, "tom.smith@school.example", "staff"},
    {"\xef\xbc\xb4\xef\xbd\x8f\xef\xbd\x8d Smith", SG_DIR_FOUND,
     "tom.smith@school.example", "staff"},
    /* a surname with a title, an initial and a surname: the one member
     * of staff (Tom Smithson is not staff, and not a Smith) */
    {"Mr Smith", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
    {"T. Smith", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
    {"Mr \xd0\x85mith", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
    {"Mrs Price", SG_DIR_FOUND, "jo.price@school.example", "staff"},
    {"Mr Taylor", SG_DIR_NOTFOUND, NULL, NULL}, /* pupils */
    {"Mr Smithson", SG_DIR_NOTFOUND, NULL, NULL},
    /* never a single word without a title */
    {"Smith", SG_DIR_NOTFOUND, NULL, NULL},
    {"Nobody Here", SG_DIR_NOTFOUND, NULL, NULL},
    /* injection attempts */
    {"*)(cn=*", SG_DIR_NOTFOUND, NULL, NULL},
    {"Tom *)(cn=*", SG_DIR_NOTFOUND, NULL, NULL},
    {"Tom* *Smith", SG_DIR_NOTFOUND, NULL, NULL},
    {"Tom Smith)(|(cn=*", SG_DIR_NOTFOUND, NULL, NULL},
    {"** **", SG_DIR_NOTFOUND, NULL, NULL},
    {"\\2a \\2a", SG_DIR_NOTFOUND, NULL, NULL},
};

static void
test_names(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    struct sg_directory *dir = open_dir(&cfg);
    check_names(dir, names, sizeof(names) / sizeof(names[0]));
    check_names(dir, names, sizeof(names) / sizeof(names[0])); /* cached */
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.errors, 0);
    assert_true(s.hits >= 10);
    /* addresses beside names in one cache */
    check_table(dir, people, sizeof(people) / sizeof(people[0]));
    sg_dir_free(&dir);

    /* without a cache: every lookup goes to slapd */
    cfg.cache_size = 0;
    dir = open_dir(&cfg);
    check_names(dir, names, sizeof(names) / sizeof(names[0]));
    sg_dir_free(&dir);

    /* the user filter is ANDed with the name search */
    base_config(&cfg, uris, 1);
    cfg.ldap_user_filter = "(employeeType=governor)";
    dir = open_dir(&cfg);
    static const struct expect_name governors[] = {
        {"Tom Smith", SG_DIR_NOTFOUND, NULL, NULL},
        {"Gill Governor", SG_DIR_FOUND, "gov@school.example", "governor"},
    };
    check_names(dir, governors, 2);
    sg_dir_free(&dir);

    /* another name attribute: cn ("Alex Morgan" for both: ambiguous,
     * but the member of staff wins) */
    base_config(&cfg, uris, 1);
    cfg.ldap_name_attribute = "cn";
    dir = open_dir(&cfg);
    static const struct expect_name by_cn[] = {
        {"Alex Morgan", SG_DIR_FOUND, "alex.morgan@school.example", "staff"},
        {"Jo Price", SG_DIR_FOUND, "jo.price@school.example", "staff"},
        {"Sam Taylor", SG_DIR_NOTFOUND, NULL, NULL},
    };
    check_names(dir, by_cn, 3);
    sg_dir_free(&dir);

    /* no name attribute: names cannot be looked up (not "not found") */
    base_config(&cfg, uris, 1);
    cfg.ldap_name_attribute = "";
    dir = open_dir(&cfg);
    struct sg_person *p = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_lookup_name(dir, "Tom Smith", &p, &error),
                     SG_DIR_CONFIG);
    assert_string_equal(error, "ldap_name_attribute is not set: display "
                               "names cannot be looked up");
    sg_dir_free(&dir);
}

/* Raw keys given to the backend directly find nothing: names are looked
 * up in an index, never in a search filter. */
static void
test_name_injection_raw(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    cfg.ldap_user_filter = "(objectClass=*)";
    struct sg_dir_backend *b = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_ldap_open(&cfg, &b, &error), SG_DIR_FOUND);
    static const char *const keys[] = {
        "*)(cn=*", "* *", "tom* *smith", "tom smith)(|(cn=*",
        "*)(objectclass=* x", "\\2a \\2a", "tom smith*"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct sg_person **people_r = NULL;
        size_t n = 0;
        enum sg_dir_status st =
            b->ops->lookup_name(b, keys[i], &people_r, &n, &error);
        if (st != SG_DIR_NOTFOUND)
            fail_msg("key \"%s\": status %d, %zu people (%s)", keys[i], st,
                     n, st == SG_DIR_FOUND ? people_r[0]->address : error);
        assert_null(people_r);
    }
    /* and the plain key works on the same backend */
    struct sg_person **found = NULL;
    size_t n = 0;
    char *key = NULL;
    assert_int_equal(sg_dir_name_normalise("Sam Taylor", &key), 1);
    assert_int_equal(b->ops->lookup_name(b, key, &found, &n, &error),
                     SG_DIR_FOUND);
    free(key);
    assert_int_equal(n, 2);
    sg_dir_people_free(&found, &n);
    b->ops->free(b);
}

/* slapd stopped: names served stale from the cache, else TEMPFAIL (never
 * NOTFOUND); recovery when it returns. */
static void
test_name_outage(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    cfg.cache_ttl = 60;
    cfg.cache_negative_ttl = 10;
    cfg.stale_max_age = 600;
    struct sg_directory *dir = open_dir(&cfg);
    cfg.cache_size = 0;
    struct sg_directory *uncached = open_dir(&cfg);
    clock_now = 5000;
    static const struct expect_name before[] = {
        {"Tom Smith", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
        {"Sam Taylor", SG_DIR_NOTFOUND, NULL, NULL},
    };
    check_names(dir, before, 2);
    check_names(uncached, before, 2);

    slapd("stop");
    static const struct expect_name down[] = {
        {"Tom Smith", SG_DIR_TEMPFAIL, NULL, NULL},
        {"Sam Taylor", SG_DIR_TEMPFAIL, NULL, NULL},
        {"Dee Lead", SG_DIR_TEMPFAIL, NULL, NULL},
    };
    /* past the TTLs, within stale_max_age: the old answers */
    clock_now = 5100;
    check_names(dir, before, 2);
    /* never seen, or no cache: TEMPFAIL */
    check_names(dir, down + 2, 1);
    check_names(uncached, down, 3);
    struct sg_person *p = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_lookup_name(uncached, "Tom Smith", &p, &error),
                     SG_DIR_TEMPFAIL);
    assert_non_null(strstr(error, "Can't contact LDAP server"));
    /* too old for stale */
    clock_now = 5601;
    check_names(dir, down, 1);

    slapd("start");
    clock_now = 5602;
    check_names(dir, names, sizeof(names) / sizeof(names[0]));
    check_names(uncached, names, sizeof(names) / sizeof(names[0]));
    sg_dir_free(&dir);
    sg_dir_free(&uncached);
}

/* Give tom.smith another display name (slapd's admin writes). */
static void
rename_tom(const char *name)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "printf 'dn: uid=tom.smith,ou=People," BASE "\\nchangetype: "
             "modify\\nreplace: displayName\\ndisplayName: %s\\n' | "
             "ldapmodify -x -H '%s' -D 'cn=admin," BASE "' -w admin-secret "
             ">/dev/null",
             name, uri);
    if (system(cmd) != 0)
        fail_msg("ldapmodify failed: %s", cmd);
}

/* The name index is renewed after ldap_group_ttl; until then a renamed
 * entry is found by neither name (each candidate's name is checked
 * again), never by its old one. */
static void
test_name_index_renewal(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    base_config(&cfg, uris, 1);
    cfg.cache_size = 0;
    cfg.ldap_group_ttl = 2;
    struct sg_directory *dir = open_dir(&cfg);
    static const struct expect_name before[] = {
        {"Tom Smith", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
        {"Thomas Smyth", SG_DIR_NOTFOUND, NULL, NULL},
    };
    check_names(dir, before, 2);
    rename_tom("Thomas Smyth");
    static const struct expect_name renamed_old_index[] = {
        {"Tom Smith", SG_DIR_NOTFOUND, NULL, NULL},
        {"Thomas Smyth", SG_DIR_NOTFOUND, NULL, NULL},
    };
    check_names(dir, renamed_old_index, 2);
    sleep(3);
    static const struct expect_name renamed[] = {
        {"Tom Smith", SG_DIR_NOTFOUND, NULL, NULL},
        {"Thomas Smyth", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
        {"Mr Smyth", SG_DIR_FOUND, "tom.smith@school.example", "staff"},
    };
    check_names(dir, renamed, 3);
    rename_tom("Tom Smith");
    sleep(3);
    check_names(dir, before, 2);
    sg_dir_free(&dir);
}

/* Open, validated before connecting. */
static void
test_config_errors(void **state)
{
    (void)state;
    static const struct {
        char *uri, *base, *group;
        const char *error;
    } cases[] = {
        {NULL, BASE, NULL,
         "ldap_uri is not set (the ldap backend needs at least one)"},
        {"http://127.0.0.1/", BASE, NULL,
         "ldap_uri http://127.0.0.1/: must start with ldap://, ldaps:// or "
         "ldapi://"},
        {"ldap://127.0.0.1/", NULL, NULL, "ldap_base is not set"},
        {"ldap://127.0.0.1/", BASE, "cn=Staff," GROUPS,
         "ldap_role_group \"cn=Staff," GROUPS "\": expected ROLE=GROUP-DN"},
        {"ldap://127.0.0.1/", BASE, "staff=Staff",
         "ldap_role_group \"staff=Staff\": expected ROLE=GROUP-DN"},
        {"ldap://127.0.0.1/", BASE, "staff=",
         "ldap_role_group \"staff=\": expected ROLE=GROUP-DN"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *uris[] = {cases[i].uri};
        char *groups[] = {cases[i].group};
        struct sg_dir_config cfg;
        base_config(&cfg, uris, cases[i].uri ? 1 : 0);
        cfg.ldap_base = cases[i].base;
        cfg.ldap_role_groups = groups;
        cfg.n_ldap_role_groups = cases[i].group ? 1 : 0;
        struct sg_directory *dir = NULL;
        const char *error = NULL;
        enum sg_dir_status st = sg_dir_new(&cfg, &dir, &error);
        if (st != SG_DIR_CONFIG) {
            sg_dir_free(&dir);
            fail_msg("case %zu: status %d", i, st);
        }
        assert_null(dir);
        assert_string_equal(error, cases[i].error);
    }
}

int
main(void)
{
    if (!slapd_test_init())
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_people),
        cmocka_unit_test(test_injection_raw),
        cmocka_unit_test(test_in_chain_on_openldap),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_wrong_password),
        cmocka_unit_test(test_failover),
        cmocka_unit_test(test_pool_threads),
        cmocka_unit_test(test_outage),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_name_injection_raw),
        cmocka_unit_test(test_name_outage),
        cmocka_unit_test(test_name_index_renewal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
