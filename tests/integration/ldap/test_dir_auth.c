/*
 * test_dir_auth.c - a review-page login checked against a real slapd
 * (started by run.sh; see slapd_test.h): the right password and a
 * member (directly, through a nested group, by member, uniqueMember and
 * memberUid), a wrong or empty password, a
 * member of staff outside the group, unknown and ambiguous logins, filter
 * metacharacters in the login, a login by mail address, disabled
 * accounts, configuration errors, slapd unreachable, failover, StartTLS
 * for the user's bind, and several threads at once.
 *
 * The test slapd accepts unauthenticated binds (olcAllows bind_anon_dn),
 * so that without the empty-password guard an empty password would log
 * in: test_empty_password shows that it does not.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ldap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_dir_auth.h"
#include "slapd_test.h"

#define PEOPLE "ou=People," BASE
#define DSL    "cn=DSL," GROUPS

#define DANA_DN  "uid=dana.ward," PEOPLE
#define DANA_PW  "Dana-DSL-pass1"
#define NELL_PW  "Nell-deputy-pass2"
#define ROB_PW   "Rob-staff-pass3"
#define EX_PW    "Ex-dsl-pass4"
#define TLS_PW   "Tls-dsl-pass5"
#define PAT_DN   "cn=Pat O'Neil (Head)," PEOPLE
#define PAT_PW   "Pat-head-pass6"
#define DEAD_URI "ldap://127.0.0.1:1/"

static const char *const uid_mail[] = {"uid", "mail"};

struct login {
    const char *login, *password, *group;
    int want;
    const char *dn; /* on OK and NOT_MEMBER */
};

/* Check each login with cfg; the password never shows in an error. */
static void
check_logins(const struct sg_dir_config *cfg, const struct login *cases,
             size_t n, const char *const *attrs, size_t n_attrs)
{
    for (size_t i = 0; i < n; i++) {
        const struct login *l = &cases[i];
        static char unset[] = "unset";
        char *dn = unset;
        const char *error = NULL;
        int got = sg_dir_auth_check(cfg, l->login, l->password, l->group, attrs,
                                    n_attrs, &dn, &error);
        assert_ptr_not_equal(dn, unset);
        if (got != l->want)
            fail_msg("login \"%s\" to %s: result %d, want %d (%s)",
                     l->login ? l->login : "(null)",
                     l->group ? l->group : "(null)", got, l->want,
                     error ? error : "no error");
        if (l->dn != NULL) {
            assert_non_null(dn);
            assert_string_equal(dn, l->dn);
        } else {
            assert_null(dn);
        }
        free(dn);
        if (got == SG_DIR_AUTH_OK)
            assert_null(error);
        else
            assert_non_null(error);
        if (error != NULL && l->password != NULL && *l->password != '\0' &&
            strstr(error, l->password) != NULL)
            fail_msg("login \"%s\": the password is in \"%s\"", l->login,
                     error);
    }
}

static void
test_logins(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    slapd_test_config(&cfg, uris, 1);
    static const struct login cases[] = {
        /* a DSL in the group, by uid and by mail address (any case) */
        {"dana.ward", DANA_PW, DSL, SG_DIR_AUTH_OK, DANA_DN},
        {"dana.ward@school.example", DANA_PW, DSL, SG_DIR_AUTH_OK, DANA_DN},
        {"Dana.Ward@School.Example", DANA_PW, DSL, SG_DIR_AUTH_OK, DANA_DN},
        /* through the nested group DeputyDSL */
        {"nell.deputy", NELL_PW, DSL, SG_DIR_AUTH_OK,
         "uid=nell.deputy," PEOPLE},
        /* staff (through Teaching), right password, not a DSL */
        {"rob.teacher", ROB_PW, DSL, SG_DIR_AUTH_NOT_MEMBER,
         "uid=rob.teacher," PEOPLE},
        /* a wrong password says nothing about membership */
        {"dana.ward", "Dana-DSL-pass", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"rob.teacher", "Bad-guess-9", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"dana.ward", DANA_PW " ", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        /* one password is not another's */
        {"dana.ward", NELL_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        /* entries without a password cannot log in */
        {"dee.lead", "anything", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"nobody.here", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        /* the service account has no uid or mail: not a login */
        {"milter", "milter-secret", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        /* memberUid (posixGroup), uniqueMember: read from the group */
        {"dana.ward", DANA_PW, "cn=dsl-posix," GROUPS, SG_DIR_AUTH_OK, DANA_DN},
        {"nell.deputy", NELL_PW, "cn=dsl-posix," GROUPS, SG_DIR_AUTH_NOT_MEMBER,
         "uid=nell.deputy," PEOPLE},
        /* a DN with ( ) and ' in the member filter */
        {"pat.oneil", PAT_PW, "cn=dsl-unique," GROUPS, SG_DIR_AUTH_OK, PAT_DN},
        {"pat.oneil", PAT_PW, DSL, SG_DIR_AUTH_NOT_MEMBER, PAT_DN},
        {"dana.ward", DANA_PW, "cn=dsl-unique," GROUPS, SG_DIR_AUTH_NOT_MEMBER,
         DANA_DN},
        /* group DNs compare as DNs */
        {"dana.ward", DANA_PW, "CN=dsl,OU=groups,DC=school,DC=example",
         SG_DIR_AUTH_OK, DANA_DN},
        /* a disabled account, when no disabled filter is set */
        {"ex.dsl", EX_PW, DSL, SG_DIR_AUTH_OK, "uid=ex.dsl," PEOPLE},
    };
    check_logins(&cfg, cases, sizeof(cases) / sizeof(cases[0]), uid_mail, 2);

    /* other login attributes: by cn ("Alex Morgan" is two people) */
    static const char *const uid_cn[] = {"uid", "cn"};
    static const struct login by_cn[] = {
        {"Dana Ward", DANA_PW, DSL, SG_DIR_AUTH_OK, DANA_DN},
        {"Alex Morgan", "anything", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        /* mail is not a login attribute now */
        {"dana.ward@school.example", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS,
         NULL},
    };
    check_logins(&cfg, by_cn, 3, uid_cn, 2);
    const char *error = NULL;
    assert_int_equal(sg_dir_auth_check(&cfg, "Alex Morgan", "x", DSL, uid_cn, 2,
                                       NULL, &error),
                     SG_DIR_AUTH_BAD_CREDENTIALS);
    assert_string_equal(error,
                        "the login matches more than one directory entry");
    assert_int_equal(sg_dir_auth_check(&cfg, "nobody.here", "x", DSL, uid_cn, 2,
                                       NULL, &error),
                     SG_DIR_AUTH_BAD_CREDENTIALS);
    assert_string_equal(error, "no directory entry has this login");

    /* the disabled filter keeps a disabled account out */
    cfg.ldap_disabled_filter = "(userAccountControl:1.2.840.113556.1.4.803:=2)";
    static const struct login disabled[] = {
        {"ex.dsl", EX_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"dana.ward", DANA_PW, DSL, SG_DIR_AUTH_OK, DANA_DN},
    };
    check_logins(&cfg, disabled, 2, uid_mail, 2);
}

/* The precondition: this slapd answers a DN with an empty password with
 * success (an unauthenticated bind), so an empty password that reached
 * it would log in. */
static void
assert_unauthenticated_bind_succeeds(void)
{
    LDAP *ld = NULL;
    int version = LDAP_VERSION3;
    assert_int_equal(ldap_initialize(&ld, uri), LDAP_SUCCESS);
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    struct berval empty = {0, NULL};
    int rc = ldap_sasl_bind_s(ld, DANA_DN, LDAP_SASL_SIMPLE, &empty, NULL, NULL,
                              NULL);
    ldap_unbind_ext_s(ld, NULL, NULL);
    if (rc != LDAP_SUCCESS)
        fail_msg("the test slapd refuses unauthenticated binds (%s): the "
                 "empty password test would prove nothing",
                 ldap_err2string(rc));
}

static void
test_empty_password(void **state)
{
    (void)state;
    assert_unauthenticated_bind_succeeds();
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    slapd_test_config(&cfg, uris, 1);
    static const struct login empty[] = {
        {"dana.ward", "", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"dana.ward", NULL, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"nell.deputy", "", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
    };
    check_logins(&cfg, empty, 3, uid_mail, 2);
    const char *error = NULL;
    assert_int_equal(sg_dir_auth_check(&cfg, "dana.ward", "", DSL, uid_mail, 2,
                                       NULL, &error),
                     SG_DIR_AUTH_BAD_CREDENTIALS);
    assert_string_equal(error, "empty password");

    /* no server is asked: the same answer with slapd unreachable, and
     * with a service password slapd would refuse */
    char *dead[] = {DEAD_URI};
    slapd_test_config(&cfg, dead, 1);
    check_logins(&cfg, empty, 3, uid_mail, 2);
    slapd_test_config(&cfg, uris, 1);
    cfg.ldap_bind_password_file = bad_password_file;
    check_logins(&cfg, empty, 3, uid_mail, 2);
}

/* Unusable logins never reach a server either; logins full of filter
 * syntax match nothing, even with a password that is right for the entry
 * an unescaped filter would find. */
static void
test_login_syntax(void **state)
{
    (void)state;
    char long_login[SG_DIR_AUTH_LOGIN_MAX + 2];
    memset(long_login, 'a', sizeof(long_login) - 1);
    long_login[sizeof(long_login) - 1] = '\0';
    static const struct login unusable[] = {
        {"", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {NULL, DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"dana.ward\n", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"dana\tward", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"dana.ward\x7f", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
    };
    for (size_t i = 0; i < 5; i++)
        assert_false(sg_dir_auth_login_usable(unusable[i].login));
    assert_false(sg_dir_auth_login_usable(long_login));
    assert_true(sg_dir_auth_login_usable(long_login + 1));
    assert_true(sg_dir_auth_login_usable("Dana Ward (Head)*"));
    char *dead[] = {DEAD_URI};
    struct sg_dir_config cfg;
    slapd_test_config(&cfg, dead, 1);
    check_logins(&cfg, unusable, 5, uid_mail, 2);
    struct login too_long = {long_login, DANA_PW, DSL,
                             SG_DIR_AUTH_BAD_CREDENTIALS, NULL};
    check_logins(&cfg, &too_long, 1, uid_mail, 2);

    char *uris[] = {uri};
    slapd_test_config(&cfg, uris, 1);
    static const struct login injection[] = {
        {"*", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {")(uid=*", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"*)(uid=*", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        /* each of these, unescaped, finds dana.ward alone */
        {"dana*", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"dana.wa*", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"*ward@school.example", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS,
         NULL},
        {"dana\\2eward", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"dana.ward)(uid=dana.ward", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS,
         NULL},
        {"x)(|(uid=dana.ward", DANA_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        /* and the plain logins work with the same settings */
        {"dana.ward", DANA_PW, DSL, SG_DIR_AUTH_OK, DANA_DN},
        {"dana.ward@school.example", DANA_PW, DSL, SG_DIR_AUTH_OK, DANA_DN},
    };
    check_logins(&cfg, injection, sizeof(injection) / sizeof(injection[0]),
                 uid_mail, 2);
    /* the longest login is looked up (and not found), not refused */
    const char *at_max = long_login + 1, *error = NULL;
    assert_int_equal(strlen(at_max), SG_DIR_AUTH_LOGIN_MAX);
    assert_int_equal(sg_dir_auth_check(&cfg, at_max, DANA_PW, DSL, uid_mail, 2,
                                       NULL, &error),
                     SG_DIR_AUTH_BAD_CREDENTIALS);
    assert_string_equal(error, "no directory entry has this login");
}

/* Misconfiguration is an ERROR, whatever the credentials. */
static void
test_config_errors(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    slapd_test_config(&cfg, uris, 1);
    static const char *const bad_attr[] = {"uid", "mail)(uid=*"};
    static const char *const empty_attr[] = {""};
    static const struct {
        const char *group;
        const char *const *attrs;
        size_t n_attrs;
        const char *password;
        const char *error;
    } cases[] = {
        {"", uid_mail, 2, DANA_PW,
         "review_dsl_group is not set: nobody can log in"},
        {NULL, uid_mail, 2, "",
         "review_dsl_group is not set: nobody can log in"},
        {"DSL", uid_mail, 2, DANA_PW, "review_dsl_group \"DSL\" is not a DN"},
        {DSL, uid_mail, 0, DANA_PW,
         "review_login_attributes is empty: a login cannot be looked up"},
        {DSL, bad_attr, 2, DANA_PW,
         "review_login_attributes: \"mail)(uid=*\" is not an attribute "
         "name"},
        {DSL, empty_attr, 1, DANA_PW,
         "review_login_attributes: \"\" is not an attribute name"},
        {"cn=Nope," GROUPS, uid_mail, 2, DANA_PW,
         "the DSL group cn=Nope," GROUPS " does not exist or cannot be "
         "read"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *error = NULL;
        char *dn = NULL;
        int got = sg_dir_auth_check(&cfg, "dana.ward", cases[i].password,
                                    cases[i].group, cases[i].attrs,
                                    cases[i].n_attrs, &dn, &error);
        if (got != SG_DIR_AUTH_ERROR)
            fail_msg("case %zu: result %d (%s)", i, got, error);
        assert_null(dn);
        assert_string_equal(error, cases[i].error);
    }

    /* the directory's own settings */
    const char *error = NULL;
    struct sg_dir_config none;
    slapd_test_config(&none, NULL, 0);
    assert_int_equal(sg_dir_auth_check(&none, "dana.ward", DANA_PW, DSL,
                                       uid_mail, 2, NULL, &error),
                     SG_DIR_AUTH_ERROR);
    assert_string_equal(
        error, "ldap_uri is not set (the ldap backend needs at least one)");
    assert_int_equal(sg_dir_auth_check(NULL, "dana.ward", DANA_PW, DSL,
                                       uid_mail, 2, NULL, &error),
                     SG_DIR_AUTH_ERROR);

    /* a service password slapd refuses: an ERROR, not the user's fault */
    cfg.ldap_bind_password_file = bad_password_file;
    assert_int_equal(sg_dir_auth_check(&cfg, "dana.ward", DANA_PW, DSL,
                                       uid_mail, 2, NULL, &error),
                     SG_DIR_AUTH_ERROR);
    char want[512];
    snprintf(want, sizeof(want),
             "LDAP bind as cn=milter," BASE " to %s failed: Invalid "
             "credentials: check ldap_bind_dn and ldap_bind_password_file",
             uri);
    assert_string_equal(error, want);
}

static void
test_unreachable(void **state)
{
    (void)state;
    char *dead[] = {DEAD_URI};
    struct sg_dir_config cfg;
    slapd_test_config(&cfg, dead, 1);
    static const struct login down[] = {
        {"dana.ward", DANA_PW, DSL, SG_DIR_AUTH_ERROR, NULL},
        {"dana.ward", "Bad-guess-9", DSL, SG_DIR_AUTH_ERROR, NULL},
    };
    check_logins(&cfg, down, 2, uid_mail, 2);
    const char *error = NULL;
    assert_int_equal(sg_dir_auth_check(&cfg, "dana.ward", DANA_PW, DSL,
                                       uid_mail, 2, NULL, &error),
                     SG_DIR_AUTH_ERROR);
    assert_string_equal(error, "LDAP bind as cn=milter," BASE " to " DEAD_URI
                               " failed: Can't contact "
                               "LDAP server");

    /* failover: the second URI answers, for the search and the bind */
    char *both[] = {DEAD_URI, uri};
    slapd_test_config(&cfg, both, 2);
    static const struct login up[] = {
        {"dana.ward", DANA_PW, DSL, SG_DIR_AUTH_OK, DANA_DN},
        {"dana.ward", "Bad-guess-9", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"rob.teacher", ROB_PW, DSL, SG_DIR_AUTH_NOT_MEMBER,
         "uid=rob.teacher," PEOPLE},
    };
    check_logins(&cfg, up, 3, uid_mail, 2);
}

/* tls.dsl's password is checked by slapd only over TLS: the user's bind
 * goes through StartTLS exactly when the directory's connections do. */
static void
test_starttls(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    slapd_test_config(&cfg, uris, 1);
    static const struct login plain[] = {
        {"tls.dsl", TLS_PW, DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"dana.ward", DANA_PW, DSL, SG_DIR_AUTH_OK, DANA_DN},
    };
    check_logins(&cfg, plain, 2, uid_mail, 2);

    cfg.ldap_starttls = true;
    cfg.ldap_tls_ca_file = ca_file;
    static const struct login tls[] = {
        {"tls.dsl", TLS_PW, DSL, SG_DIR_AUTH_OK, "uid=tls.dsl," PEOPLE},
        {"tls.dsl", "Bad-guess-9", DSL, SG_DIR_AUTH_BAD_CREDENTIALS, NULL},
        {"nell.deputy", NELL_PW, DSL, SG_DIR_AUTH_OK,
         "uid=nell.deputy," PEOPLE},
        {"rob.teacher", ROB_PW, DSL, SG_DIR_AUTH_NOT_MEMBER,
         "uid=rob.teacher," PEOPLE},
    };
    check_logins(&cfg, tls, 4, uid_mail, 2);

    /* a CA that did not sign slapd's certificate: an ERROR */
    cfg.ldap_tls_ca_file = other_ca_file;
    const char *error = NULL;
    assert_int_equal(sg_dir_auth_check(&cfg, "tls.dsl", TLS_PW, DSL, uid_mail,
                                       2, NULL, &error),
                     SG_DIR_AUTH_ERROR);
    char want[512];
    snprintf(want, sizeof(want), "LDAP StartTLS with %s failed: ", uri);
    assert_memory_equal(error, want, strlen(want));
}

struct worker_arg {
    const struct sg_dir_config *cfg;
    int ok;
};

static void *
worker(void *p)
{
    struct worker_arg *a = p;
    static const struct {
        const char *login, *password;
        int want;
    } turns[] = {
        {"dana.ward", DANA_PW, SG_DIR_AUTH_OK},
        {"nell.deputy", NELL_PW, SG_DIR_AUTH_OK},
        {"rob.teacher", ROB_PW, SG_DIR_AUTH_NOT_MEMBER},
        {"dana.ward", "Bad-guess-9", SG_DIR_AUTH_BAD_CREDENTIALS},
        {"dana.ward", "", SG_DIR_AUTH_BAD_CREDENTIALS},
    };
    for (size_t i = 0; i < 10; i++) {
        size_t k = i % (sizeof(turns) / sizeof(turns[0]));
        const char *error = NULL;
        if (sg_dir_auth_check(a->cfg, turns[k].login, turns[k].password, DSL,
                              uid_mail, 2, NULL, &error) == turns[k].want)
            a->ok++;
    }
    return NULL;
}

static void
test_threads(void **state)
{
    (void)state;
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    slapd_test_config(&cfg, uris, 1);
    pthread_t t[4];
    struct worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct worker_arg){&cfg, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(args[i].ok, 10);
    }
}

int
main(void)
{
    if (!slapd_test_init())
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logins),
        cmocka_unit_test(test_empty_password),
        cmocka_unit_test(test_login_syntax),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
