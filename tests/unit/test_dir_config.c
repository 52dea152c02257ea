/*
 * test_dir_config.c - the directory's settings check (sg_dir_config_check):
 * each bad setting is refused with a message that names it, good settings
 * pass, and neither the check nor opening the ldap backend contacts the
 * server: a listening socket given as ldap_uri sees no connection until
 * sg_dir_check asks for one.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sg_directory.h"

static char tmpdir[64];
static char password_file[128], empty_file[128], ca_file[128], not_ca[128];

static void
write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static int
setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg-dir-config.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    snprintf(password_file, sizeof(password_file), "%s/password", tmpdir);
    snprintf(empty_file, sizeof(empty_file), "%s/empty", tmpdir);
    snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", tmpdir);
    snprintf(not_ca, sizeof(not_ca), "%s/ca.der", tmpdir);
    write_file(password_file, "milter-secret\n");
    write_file(empty_file, "");
    write_file(ca_file, "# the school's CA\n-----BEGIN CERTIFICATE-----\n"
                        "MIIB\n-----END CERTIFICATE-----\n");
    write_file(not_ca, "\x30\x82\x01\x0a not PEM\n");
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    unlink(password_file);
    unlink(empty_file);
    unlink(ca_file);
    unlink(not_ca);
    rmdir(tmpdir);
    return 0;
}

static char *good_uris[] = {"ldap://127.0.0.1:1/",
                            "ldaps://dc1.school.example:636",
                            "ldapi://%2Frun%2Fslapd%2Fldapi"};

/* Settings that pass: every file readable, every name well formed. */
static void
good_config(struct sg_dir_config *cfg)
{
    sg_dir_config_init(cfg);
    cfg->backend = SG_DIR_BACKEND_LDAP;
    cfg->ldap_uris = good_uris;
    cfg->n_ldap_uris = 3;
    cfg->ldap_base = "dc=school,dc=example";
    cfg->ldap_bind_dn = "cn=milter,dc=school,dc=example";
    cfg->ldap_bind_password_file = password_file;
    cfg->ldap_tls_ca_file = ca_file;
    cfg->ldap_personal_attribute = "sgPersonalAddress";
    cfg->ldap_dob_attribute = "1.3.6.1.4.1.99999.1.2";
    cfg->ldap_name_attribute = "displayName;lang-en";
}

static void
test_good(void **state)
{
    (void)state;
    struct sg_dir_config cfg;
    good_config(&cfg);
    const char *error = NULL;
    assert_int_equal(sg_dir_config_check(&cfg, NULL, &error), SG_DIR_FOUND);

    /* no directory at all is a valid setting too */
    sg_dir_config_init(&cfg);
    cfg.backend = SG_DIR_BACKEND_NONE;
    assert_int_equal(sg_dir_config_check(&cfg, NULL, &error), SG_DIR_FOUND);
}

/* One bad setting: a string, a number or a list of the configuration. */
enum kind { STRING, NUMBER, LIST };
struct bad_setting {
    enum kind kind;
    size_t offset, count_offset; /* count_offset: LIST only */
    const char *string;
    int number;
    char **list;
    size_t n;
    const char *setting; /* the setting the check names */
    const char *want;    /* the message, or its start */
};
#define OFF(field) offsetof(struct sg_dir_config, field)
/* clang-format off */
#define STR(setting, field, value, want) \
    {STRING, OFF(field), 0, value, 0, NULL, 0, setting, want}
#define NUM(field, value, want) \
    {NUMBER, OFF(field), 0, NULL, value, NULL, 0, #field, want}
#define VEC(setting, field, vec, n, want) \
    {LIST, OFF(field), OFF(n_##field), NULL, 0, vec, n, setting, want}
/* clang-format on */

static void
apply(struct sg_dir_config *cfg, const struct bad_setting *b)
{
    char *at = (char *)cfg + b->offset;
    switch (b->kind) {
    case STRING:
        memcpy(at, &b->string, sizeof(b->string));
        break;
    case NUMBER:
        memcpy(at, &b->number, sizeof(b->number));
        break;
    case LIST:
        memcpy(at, &b->list, sizeof(b->list));
        memcpy((char *)cfg + b->count_offset, &b->n, sizeof(b->n));
        break;
    }
}

static char *http[] = {"http://127.0.0.1/"};
static char *bad_port[] = {"ldap://127.0.0.1:99999/"};
static char *bad_host[] = {"ldap://[::1/"};
static char *aliases[] = {"mailAlternateAddress", "alias)(uid=*"};
static char *filter_no_role[] = {"(employeeType=staff)"};
static char *filter_bad_role[] = {"staff member=(employeeType=staff)"};
static char *group_no_role[] = {"cn=Staff,ou=Groups,dc=school,dc=example"};
static char *group_not_dn[] = {"staff=Staff"};

static const struct bad_setting bad_settings[] = {
    VEC("ldap_uri", ldap_uris, NULL, 0,
        "ldap_uri is not set (the ldap backend needs at least one)"),
    VEC("ldap_uri", ldap_uris, http, 1,
        "ldap_uri http://127.0.0.1/: must start with ldap://, ldaps:// or "
        "ldapi://"),
    VEC("ldap_uri", ldap_uris, bad_port, 1,
        "ldap_uri ldap://127.0.0.1:99999/: not a valid LDAP URI"),
    VEC("ldap_uri", ldap_uris, bad_host, 1,
        "ldap_uri ldap://[::1/: not a valid LDAP URI"),
    STR("ldap_base", ldap_base, "", "ldap_base is not set"),
    STR("ldap_base", ldap_base, "school.example",
        "ldap_base school.example: not a DN"),
    STR("ldap_mail_attribute", ldap_mail_attribute, NULL,
        "ldap_mail_attribute is not set"),
    STR("ldap_mail_attribute", ldap_mail_attribute, "mail address",
        "ldap_mail_attribute \"mail address\": not an attribute name"),
    STR("ldap_memberof_attribute", ldap_memberof_attribute, "memberOf=*",
        "ldap_memberof_attribute \"memberOf=*\": not an attribute name"),
    STR("ldap_name_attribute", ldap_name_attribute, ";lang-en",
        "ldap_name_attribute \";lang-en\": not an attribute name"),
    VEC("ldap_alias_attributes", ldap_alias_attributes, aliases, 2,
        "ldap_alias_attributes \"alias)(uid=*\": not an attribute name"),
    STR("ldap_bind_dn", ldap_bind_password_file, NULL,
        "ldap_bind_dn and ldap_bind_password_file go together"),
    STR("ldap_bind_dn", ldap_bind_dn, "milter",
        "ldap_bind_dn milter: not a DN"),
    NUM(ldap_pool_size, 0, "ldap_pool_size = 0: must be 1..256"),
    NUM(ldap_pool_size, 257, "ldap_pool_size = 257: must be 1..256"),
    NUM(ldap_page_size, 0, "ldap_page_size = 0: must be 1..100000"),
    /* the bounds are the settings section's, written once there */
    NUM(ldap_timeout, 301, "ldap_timeout = 301: must be 1..300"),
    NUM(cache_ttl, 0, "cache_ttl = 0: must be 1..86400"),
    NUM(ldap_connect_timeout, -1,
        "ldap_connect_timeout = -1: must be 1..300"),
    NUM(ldap_timeout, -5, "ldap_timeout = -5: must be 1..300"),
    NUM(ldap_group_ttl, -1, "ldap_group_ttl = -1: must be 1..86400"),
    STR("ldap_bind_password_file", ldap_bind_password_file,
        "/nonexistent/password",
        "cannot open ldap_bind_password_file /nonexistent/password: No such "
        "file or directory"),
    STR("ldap_bind_password_file", ldap_bind_password_file, empty_file,
        "ldap_bind_password_file /tmp/sg-dir-config."), /* ... is empty */
    STR("ldap_tls_ca_file", ldap_tls_ca_file, "/nonexistent/ca.pem",
        "cannot open ldap_tls_ca_file /nonexistent/ca.pem: No such file or "
        "directory"),
    STR("ldap_tls_ca_file", ldap_tls_ca_file, not_ca,
        "ldap_tls_ca_file /tmp/sg-dir-config."), /* no certificate in it */
    VEC("ldap_role_filter", ldap_role_filters, filter_no_role, 1,
        "ldap_role_filter \"(employeeType=staff)\": expected ROLE=FILTER"),
    VEC("ldap_role_filter", ldap_role_filters, filter_bad_role, 1,
        "ldap_role_filter \"staff member=(employeeType=staff)\": expected "
        "ROLE=FILTER"),
    VEC("ldap_role_group", ldap_role_groups, group_no_role, 1,
        "ldap_role_group \"cn=Staff,ou=Groups,dc=school,dc=example\": "
        "expected ROLE=GROUP-DN"),
    VEC("ldap_role_group", ldap_role_groups, group_not_dn, 1,
        "ldap_role_group \"staff=Staff\": expected ROLE=GROUP-DN"),
    NUM(cache_size, -1, "cache_size = -1: must be 0..10000000"),
    NUM(cache_ttl, -1, "cache_ttl = -1: must be 1..86400"),
    NUM(cache_negative_ttl, -2,
        "cache_negative_ttl = -2: must be 1..86400"),
    NUM(stale_max_age, -3, "stale_max_age = -3: must be 0..604800"),
};

/* One bad setting each: its message, from the check and from sg_dir_new
 * (which runs the check first). */
static void
test_bad(void **state)
{
    (void)state;
    size_t n_cases = sizeof(bad_settings) / sizeof(bad_settings[0]);
    for (size_t i = 0; i < n_cases; i++) {
        struct sg_dir_config cfg;
        good_config(&cfg);
        apply(&cfg, &bad_settings[i]);
        const char *want = bad_settings[i].want;
        const char *error = NULL;
        const char *setting = NULL;
        enum sg_dir_status st = sg_dir_config_check(&cfg, &setting, &error);
        if (st != SG_DIR_CONFIG || error == NULL ||
            strncmp(error, want, strlen(want)) != 0)
            fail_msg("case %zu: status %d, \"%s\", want \"%s\"", i, st,
                     error ? error : "(none)", want);
        assert_non_null(setting);
        assert_string_equal(setting, bad_settings[i].setting);
        /* the password never shows */
        assert_null(strstr(error, "milter-secret"));
        struct sg_directory *dir = NULL;
        error = NULL;
        assert_int_equal(sg_dir_new(&cfg, &dir, &error), SG_DIR_CONFIG);
        assert_null(dir);
        assert_non_null(error);
        assert_memory_equal(error, want, strlen(want));
    }
    /* the messages say what was wrong with the file */
    struct sg_dir_config cfg;
    good_config(&cfg);
    cfg.ldap_bind_password_file = empty_file;
    const char *error = NULL;
    assert_int_equal(sg_dir_config_check(&cfg, NULL, &error), SG_DIR_CONFIG);
    assert_non_null(strstr(error, "is empty"));
    cfg.ldap_bind_password_file = password_file;
    cfg.ldap_tls_ca_file = not_ca;
    assert_int_equal(sg_dir_config_check(&cfg, NULL, &error), SG_DIR_CONFIG);
    assert_non_null(strstr(error, "no certificate"));

    /* the file backend needs its file */
    sg_dir_config_init(&cfg);
    const char *setting = NULL;
    assert_int_equal(sg_dir_config_check(&cfg, &setting, &error),
                     SG_DIR_CONFIG);
    assert_string_equal(setting, "directory_file");
    assert_string_equal(error,
                        "directory_file is not set (the file backend needs "
                        "it)");
}

/* A listening socket on loopback, non-blocking; its port in *port_r. */
static int
listener(int *port_r)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t len = sizeof(sa);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
    *port_r = ntohs(sa.sin_port);
    return fd;
}

/* 1 when a connection is waiting, 0 when none is. */
static int
connected(int fd)
{
    int c = accept(fd, NULL, NULL);
    if (c >= 0) {
        close(c);
        return 1;
    }
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    return 0;
}

static void
test_no_connection(void **state)
{
    (void)state;
    int port = 0;
    int fd = listener(&port);
    char uri[64];
    snprintf(uri, sizeof(uri), "ldap://127.0.0.1:%d/", port);
    char *uris[] = {uri};
    struct sg_dir_config cfg;
    good_config(&cfg);
    cfg.ldap_uris = uris;
    cfg.n_ldap_uris = 1;
    cfg.ldap_tls_ca_file = NULL;
    cfg.ldap_connect_timeout = 1;
    cfg.ldap_timeout = 1;

    const char *error = NULL;
    assert_int_equal(sg_dir_config_check(&cfg, NULL, &error), SG_DIR_FOUND);
    assert_int_equal(connected(fd), 0);
    struct sg_directory *dir = NULL;
    assert_int_equal(sg_dir_new(&cfg, &dir, &error), SG_DIR_FOUND);
    assert_int_equal(connected(fd), 0);

    /* the socket does see a client that connects: sg_dir_check binds
     * (and times out, since nothing answers) */
    assert_int_not_equal(sg_dir_check(dir, &error), SG_DIR_FOUND);
    assert_int_equal(connected(fd), 1);
    sg_dir_free(&dir);
    close(fd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_no_connection),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
