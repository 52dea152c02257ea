/*
 * test_config.c - the configuration's sections and loader: every type,
 * bounds, unknown keys, bad lines, continuation lines (never cut short when
 * memory runs out), the composition of sections each program loads,
 * runtimes and their snapshots.
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
#include <fcntl.h>
#include <unistd.h>

#include "fail_realloc.h"
#include "log.h"
#include "sg_buf.h"
#include "sg_config.h"
#include "sg_dir_settings.h"
#include "review_settings.h"
#include "sg_runtime.h"

/* Every section, as safeguard-review composes them. */
static const struct sg_settings_section *const *const review_sections =
    sg_review_sections;

static struct sg_config *
load(const char *text, const char **error_r)
{
    return sg_config_load_string_with(text, "test.conf", review_sections,
                                      error_r);
}

/* The defaults of every section. */
static struct sg_config *
defaults_all(const char **error_r)
{
    return sg_config_load_with("/nonexistent/safeguard-milter.conf", false,
                               review_sections, error_r);
}

/* cfg's runtime, opened; the test fails when it does not open. */
static struct sg_runtime *
open_ok(struct sg_config *cfg)
{
    struct sg_runtime *rt = NULL;
    const char *error = NULL;
    if (sg_runtime_open(cfg, &rt, &error) < 0)
        fail_msg("%s", error);
    return rt;
}

/* cfg's runtime does not open: the error (cfg is freed). */
static const char *
open_error(struct sg_config *cfg)
{
    struct sg_runtime *rt = NULL;
    const char *error = NULL;
    if (sg_runtime_open(cfg, &rt, &error) == 0) {
        sg_runtime_unref(&rt);
        fail_msg("opened");
    }
    assert_null(rt);
    return error;
}

static void
test_defaults(void **state)
{
    (void)state;
    const char *error = NULL;
    struct sg_config *cfg = sg_config_defaults(&error);
    assert_non_null(cfg);
    assert_string_equal(cfg->socket,
                        "unix:/run/safeguard-milter/safeguard-milter.sock");
    assert_int_equal(cfg->failure_action, SG_FAIL_TEMPFAIL);
    assert_int_equal(cfg->log_level, SG_LOG_INFO);
    assert_int_equal(cfg->message_buffer_size, 1024 * 1024);
    assert_int_equal(cfg->n_trusted_networks, 2);
    assert_int_equal(cfg->n_networks, 2);
    assert_int_equal(cfg->milter_timeout, 300);
    /* bursts of connections queue instead of being refused (capped by
     * the kernel's somaxconn) */
    assert_int_equal(cfg->backlog, 1024);
    assert_false(cfg->allow_no_rules);
    assert_null(cfg->file.path);
    sg_config_free(&cfg);
    assert_null(cfg);
}

/* The store setting: sqlite:PATH, or postgresql:CONNINFO where built
 * with libpq; empty, quarantine_db's file.  A bad value is named by its
 * line and never quoted back (a conninfo may hold a password). */
static void
test_store_setting(void **state)
{
    (void)state;
    const char *error = NULL;
    struct sg_config *cfg = load("quarantine_db = /x/q.db\n", &error);
    assert_non_null(cfg);
    assert_string_equal(sg_config_store(cfg), "/x/q.db");
    sg_config_free(&cfg);
    cfg = load("store = sqlite:/var/q.db\n", &error);
    assert_non_null(cfg);
    assert_string_equal(sg_config_store(cfg), "sqlite:/var/q.db");
    sg_config_free(&cfg);

    static const char *const bad[] = {
        "\nstore = mysql:password=hunter2\n",
        "\nstore = sqlite:hunter2.db\n",
#ifndef HAVE_LIBPQ
        "\nstore = postgresql:host=db password=hunter2\n",
#endif
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        error = NULL;
        assert_null(load(bad[i], &error));
        assert_non_null(error);
        if (strstr(error, "test.conf:2:") == NULL ||
            strstr(error, "store") == NULL || strstr(error, "hunter2") != NULL)
            fail_msg("case %zu: %s", i, error);
    }
#ifdef HAVE_LIBPQ
    cfg = load("store = postgresql:host=db password=hunter2\n", &error);
    assert_non_null(cfg);
    sg_config_free(&cfg);
#endif
}

/* Each type, written in each accepted way. */
static void
test_types(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t buffer;
        int timeout;
        int failure;
        int level;
        int backlog;
    } cases[] = {
        {"message_buffer_size = 4096\n", 4096, 300, 0, 2, 1024},
        {"message_buffer_size = 64k\n", 65536, 300, 0, 2, 1024},
        {"message_buffer_size = 2M\n", 2 * 1024 * 1024, 300, 0, 2, 1024},
        {"message_buffer_size = 1g\n", 1024 * 1024 * 1024, 300, 0, 2, 1024},
        {"milter_timeout = 90\n", 1048576, 90, 0, 2, 1024},
        {"milter_timeout = 2m\n", 1048576, 120, 0, 2, 1024},
        {"milter_timeout = 1h\n", 1048576, 3600, 0, 2, 1024},
        {"milter_timeout = 1d\n", 1048576, 86400, 0, 2, 1024},
        {"failure_action = accept\n", 1048576, 300, 1, 2, 1024},
        {"failure_action = REJECT\n", 1048576, 300, 2, 2, 1024},
        {"log_level = debug\n", 1048576, 300, 0, 3, 1024},
        {"backlog = 5\n", 1048576, 300, 0, 2, 5},
        {"backlog=7 # comment\n", 1048576, 300, 0, 2, 7},
        {"  \n# only comments\n\nbacklog = \"9\"\n", 1048576, 300, 0, 2, 9},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *error = NULL;
        struct sg_config *cfg = load(cases[i].text, &error);
        if (cfg == NULL)
            fail_msg("case %zu: %s", i, error);
        assert_int_equal(cfg->message_buffer_size, cases[i].buffer);
        assert_int_equal(cfg->milter_timeout, cases[i].timeout);
        assert_int_equal(cfg->failure_action, cases[i].failure);
        assert_int_equal(cfg->log_level, cases[i].level);
        assert_int_equal(cfg->backlog, cases[i].backlog);
        assert_string_equal(cfg->file.path, "test.conf");
        sg_config_free(&cfg);
    }
}

static void
test_strings_lists_continuation(void **state)
{
    (void)state;
    const char *error = NULL;
    struct sg_config *cfg =
        load("socket = inet:8891@127.0.0.1\n"
             "user = safeguard\n"
             "tmpdir = \"/var/spool/safe guard\"  # quoted, with a space\n"
             "trusted_networks = 10.0.0.0/8,\n"
             "    192.0.2.0/24 [2001:db8::]/32\n"
             "\t198.51.100.7\n",
             &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    assert_string_equal(cfg->socket, "inet:8891@127.0.0.1");
    assert_string_equal(cfg->user, "safeguard");
    assert_string_equal(cfg->tmpdir, "/var/spool/safe guard");
    assert_int_equal(cfg->n_trusted_networks, 4);
    assert_string_equal(cfg->trusted_networks[0], "10.0.0.0/8");
    assert_string_equal(cfg->trusted_networks[2], "[2001:db8::]/32");
    assert_string_equal(cfg->trusted_networks[3], "198.51.100.7");
    assert_int_equal(cfg->n_networks, 4);
    assert_int_equal(cfg->networks[3].prefix, 32);
    sg_config_free(&cfg);

    /* an empty list is allowed: nothing is trusted */
    cfg = load("trusted_networks =\n", &error);
    assert_non_null(cfg);
    assert_int_equal(cfg->n_networks, 0);
    sg_config_free(&cfg);
}

/* A continued setting that cannot be held whole is an error, never the
 * part that fitted (here, a DSL list without all but its first line). */
static void
test_continuation_out_of_memory(void **state)
{
    (void)state;
    struct sg_buf text = SG_BUF_INIT;
    sg_buf_puts(&text, "dsl_addresses = dsl@school.example\n ");
    for (int i = 0; i < 300; i++)
        sg_buf_printf(&text, " dsl%03d@school.example", i);
    sg_buf_puts(&text, "\n");
    assert_false(sg_buf_failed(&text));
    const char *error = NULL;
    struct sg_config *cfg = load(text.data, &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    assert_int_equal(cfg->n_dsl_addresses, 301);
    sg_config_free(&cfg);

    fail_realloc_from = 4096;
    cfg = load(text.data, &error);
    fail_realloc_from = 0;
    assert_null(cfg);
    assert_string_equal(error, "test.conf:2: out of memory");
    sg_buf_free(&text);
}

/* Every error names the file and line and says what is wrong. */
static void
test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *error;
    } cases[] = {
        {"sokcet = unix:/x\n", "test.conf:1: unknown setting \"sokcet\""},
        {"\n\nbacklog 5\n", "test.conf:3: expected \"name = value\", got "
                            "\"backlog 5\""},
        {"= 5\n", "test.conf:1: missing setting name before \"=\""},
        {"back log = 5\n", "test.conf:1: \"back log\" is not a setting name"},
        {"backlog = 0\n", "test.conf:1: backlog = \"0\": value is out of "
                          "range (from 1 to 65535)"},
        {"backlog = 65536\n", "test.conf:1: backlog = \"65536\": value is "
                              "out of range (from 1 to 65535)"},
        {"backlog = -3\n", "test.conf:1: backlog = \"-3\": value is not a "
                           "whole number (from 1 to 65535)"},
        {"backlog = 5k\n", "test.conf:1: backlog = \"5k\": value has an "
                           "unknown unit suffix (from 1 to 65535)"},
        {"backlog = 99999999999999999999\n",
         "test.conf:1: backlog = \"99999999999999999999\": value is too "
         "large (from 1 to 65535)"},
        {"message_buffer_size = 1k\n",
         "test.conf:1: message_buffer_size = \"1k\": value is out of range "
         "(from 4096 to 1073741824 bytes; k, m, g allowed)"},
        {"message_buffer_size = 1t\n",
         "test.conf:1: message_buffer_size = \"1t\": value has an unknown "
         "unit suffix (from 4096 to 1073741824 bytes; k, m, g allowed)"},
        {"milter_timeout = 5w\n", "test.conf:1: milter_timeout = \"5w\": "
                                  "value has an unknown unit suffix (from 10 "
                                  "to 86400 seconds; s, m, h, d allowed)"},
        {"failure_action = discard\n",
         "test.conf:1: failure_action = \"discard\": value is not one of the "
         "allowed values (one of: tempfail, accept, reject)"},
        {"backlog = 5\nbacklog = 6\n",
         "test.conf:2: backlog is set twice (first at line 1)"},
        {"user = \"abc\n", "test.conf:1: user: unbalanced double quote"},
        {"  continued = 1\n", "test.conf:1: continuation line (starting with "
                              "white space) with nothing to continue"},
        {"trusted_networks = 10.0.0.1/8\n",
         "test.conf:1: trusted_networks = \"10.0.0.1/8\": address has bits "
         "set beyond the prefix length"},
        {"\ntrusted_networks = 10.0.0.0/8,\n  example.org\n",
         "test.conf:2: trusted_networks = \"10.0.0.0/8, example.org\": "
         "\"example.org\" not an IP address or prefix"},
        /* values that are not what their setting needs */
        {"dsl_addresses = a@school.example; b@school.example\n",
         "test.conf:1: dsl_addresses = \"a@school.example; b@school.example\": "
         "\"a@school.example;\" is not a mail address (name@domain; several "
         "go separated by commas)"},
        {"\n\njournal_address = archive\n",
         "test.conf:3: journal_address = \"archive\": is not a mail address "
         "(name@domain; several go separated by commas)"},
        {"notice_from = safeguarding at school.example\n",
         "test.conf:1: notice_from = \"safeguarding at school.example\": is "
         "not a mail address (name@domain; several go separated by commas)"},
        {"dsl_addresses = dsl@school.example, @school.example\n",
         "test.conf:1: dsl_addresses = \"dsl@school.example, "
         "@school.example\": \"@school.example\" is not a mail address "
         "(name@domain; several go separated by commas)"},
        {"\npersonal_email_domains = familymail.example, gmail.com;\n",
         "test.conf:2: personal_email_domains = \"familymail.example, "
         "gmail.com;\": \"gmail.com;\" is not a domain (gmail.com, or "
         "yahoo.* for all of them)"},
        {"school_social_accounts = @Oakfield, OakfieldPE\n",
         "test.conf:1: school_social_accounts = \"@Oakfield, OakfieldPE\": "
         "\"OakfieldPE\" is not an account: @name (on any network) or a "
         "profile link such as instagram.com/name"},
        {"syslog_facility = kern2\n",
         "test.conf: syslog_facility = \"kern2\": not a syslog facility "
         "(mail, daemon, local0 ... local7)"},
        {"socket = /run/x.sock\n",
         "test.conf: socket = \"/run/x.sock\": must start with unix:, inet: "
         "or inet6: (e.g. unix:/run/safeguard-milter/safeguard-milter.sock "
         "or inet:8891@127.0.0.1)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *error = NULL;
        struct sg_config *cfg = load(cases[i].text, &error);
        if (cfg != NULL)
            fail_msg("case %zu loaded but should not: %s", i, cases[i].text);
        assert_non_null(error);
        assert_string_equal(error, cases[i].error);
    }
}

/* Directory settings: library defaults, own values, NAME.KEY maps. */
static void
test_directory_settings(void **state)
{
    (void)state;
    const char *error = NULL;
    struct sg_config *cfg = load("rules_file =\nallow_no_rules = yes\n"
                                 "directory_backend = none\n",
                                 &error);
    assert_non_null(cfg);
    /* the library's defaults, held as our own copies */
    assert_int_equal(cfg->dir.backend, SG_DIR_BACKEND_NONE);
    assert_int_equal(cfg->dir.cache_ttl, 300);
    assert_string_equal(cfg->dir.ldap_mail_attribute, "mail");
    assert_true(cfg->dir.ldap_tls_verify);
    assert_null(cfg->dir.file_path);
    assert_int_equal(cfg->dir.n_ldap_role_groups, 0);
    struct sg_runtime *rt = open_ok(cfg);
    assert_null(rt->directory); /* none, said outright */
    sg_runtime_unref(&rt);

    cfg = load("directory_backend = LDAP\n"
               "ldap_uri = ldap://dc1.school.example ldap://dc2.school.example\n"
               "ldap_base = dc=school,dc=example\n"
               "ldap_role_group.staff = cn=Staff,ou=Groups,dc=school,dc=example\n"
               "ldap_role_group.pupil = cn=Pupils, ou=Groups,dc=school,dc=example\n"
               "ldap_role_filter.governor = (&(objectClass=person)(title=Governor))\n"
               "ldap_tls_verify = no\n"
               "cache_ttl = 10m\n"
               "ldap_mail_attribute = userPrincipalName\n",
               &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    assert_int_equal(cfg->dir.backend, SG_DIR_BACKEND_LDAP);
    assert_int_equal(cfg->dir.n_ldap_uris, 2);
    assert_string_equal(cfg->dir.ldap_uris[1], "ldap://dc2.school.example");
    assert_int_equal(cfg->dir.n_ldap_role_groups, 2);
    assert_string_equal(cfg->dir.ldap_role_groups[0],
                        "staff=cn=Staff,ou=Groups,dc=school,dc=example");
    assert_string_equal(cfg->dir.ldap_role_groups[1],
                        "pupil=cn=Pupils, ou=Groups,dc=school,dc=example");
    assert_int_equal(cfg->dir.n_ldap_role_filters, 1);
    assert_string_equal(cfg->dir.ldap_role_filters[0],
                        "governor=(&(objectClass=person)(title=Governor))");
    assert_false(cfg->dir.ldap_tls_verify);
    assert_int_equal(cfg->dir.cache_ttl, 600);
    assert_string_equal(cfg->dir.ldap_mail_attribute, "userPrincipalName");
    /* the dump writes maps back as NAME.KEY lines */
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(sg_config_dump(cfg, out), 0);
    fclose(out);
    assert_non_null(strstr(text, "ldap_role_group.pupil = cn=Pupils, "
                                 "ou=Groups,dc=school,dc=example\n"));
    free(text);
    sg_config_free(&cfg);

    static const struct {
        const char *text, *error;
    } bad[] = {
        {"ldap_role_group.staff = cn=A,dc=x\nldap_role_group.STAFF = cn=B\n",
         "test.conf:2: ldap_role_group.STAFF = \"cn=B\": value is given twice "
         "for the same name"},
        {"ldap_role_group = cn=Staff,dc=x\n",
         "test.conf:1: ldap_role_group needs a name after a dot, e.g. "
         "ldap_role_group.staff = ..."},
        {"ldap_role_group.staff =\n",
         "test.conf:1: ldap_role_group.staff = \"\": value is empty"},
        {"directory_backend = ad\n",
         "test.conf:1: directory_backend = \"ad\": value is not one of the "
         "allowed values (one of: file, ldap, none)"},
        {"cache_ttl = 0\n", "test.conf:1: cache_ttl = \"0\": value is out of "
                            "range (from 1 to 86400 seconds; s, m, h, d "
                            "allowed)"},
        {"ldap_starttls = maybe\n", "test.conf:1: ldap_starttls = "
                                    "\"maybe\": value must be yes or no"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(load(bad[i].text, &error));
        assert_string_equal(error, bad[i].error);
    }
}

/* The review tool's settings: the library's defaults, own values, and
 * errors with the file and line. */
static void
test_review_settings(void **state)
{
    (void)state;
    const char *error = NULL;
    struct sg_config *cfg = defaults_all(&error);
    assert_non_null(cfg);
    const struct sg_review_settings *rs = sg_review_settings_get(cfg);
    const struct sg_review_page *rv = sg_review_page_get(cfg);
    assert_non_null(rs);
    assert_non_null(rv);
    struct sg_review_settings lib;
    sg_review_settings_init(&lib);
    assert_string_equal(cfg->mailqueue.release_command, lib.release_command);
    assert_ptr_not_equal(cfg->mailqueue.release_command, lib.release_command);
    assert_string_equal(cfg->mailqueue.delete_command, lib.delete_command);
    assert_string_equal(cfg->mailqueue.queue_command, lib.queue_command);
    assert_int_equal(cfg->mailqueue.command_timeout, lib.command_timeout);
    assert_int_equal(rs->sla_hours, lib.sla_hours);
    assert_int_equal(rs->retention_days, lib.retention_days);
    assert_int_equal(rs->hold_max_days, lib.hold_max_days);
    assert_int_equal(rs->expire_action, lib.expire_action);
    /* the web page's */
    assert_string_equal(rv->review_listen, "127.0.0.1:8480");
    assert_string_equal(rv->review_tls_cert, "");
    assert_string_equal(rv->review_tls_key, "");
    assert_int_equal(rv->review_auth, SG_REVIEW_AUTH_FILE);
    /* beside the notice key, in the configuration directory */
    const char *slash = strrchr(cfg->notice_secret_file, '/');
    assert_non_null(slash);
    assert_memory_equal(rv->review_password_file, cfg->notice_secret_file,
                        (size_t)(slash - cfg->notice_secret_file));
    assert_string_equal(rv->review_password_file +
                            (slash - cfg->notice_secret_file),
                        "/review-passwords");
    assert_string_equal(rv->review_dsl_group, "");
    assert_int_equal(rv->n_review_login_attributes, 4);
    assert_string_equal(rv->review_login_attributes[3], "sAMAccountName");
    assert_int_equal(rv->review_session_idle, 15 * 60);
    assert_int_equal(rv->review_session_max, 8 * 3600);
    assert_int_equal(rv->review_login_attempts, 5);
    assert_int_equal(rv->review_login_lockout, 15 * 60);

    /* what safeguard-review -o does */
    assert_int_equal(sg_config_set(cfg, "review_sla_hours", "48", &error), 0);
    assert_int_equal(rs->sla_hours, 48);
    assert_int_equal(sg_config_set(cfg, "review_release_command",
                                   "/bin/true {queue_id}", &error),
                     0);
    assert_string_equal(cfg->mailqueue.release_command, "/bin/true {queue_id}");
    assert_int_equal(sg_config_set(cfg, "review_expire_action", "bounce",
                                   &error),
                     -1);
    assert_string_equal(error, "command line: review_expire_action = "
                               "\"bounce\": value is not one of the allowed "
                               "values (one of: delete, release)");
    assert_int_equal(sg_config_set(cfg, "release_command", "/bin/true",
                                   &error),
                     -1);
    assert_string_equal(error,
                        "command line: unknown setting \"release_command\"");
    sg_config_free(&cfg);

    cfg = load("review_release_command = /usr/local/sbin/release {queue_id}\n"
               "review_delete_command = \"/usr/local/sbin/drop {queue_id}\"\n"
               "review_queue_command =\n"
               "review_command_timeout = 2m\n"
               "review_sla_hours = 48\n"
               "review_retention_days = 0\n"
               "review_hold_max_days = 14\n"
               "review_expire_action = Release\n"
               "review_listen = [::1]:8443\n"
               "review_tls_cert = /etc/ssl/review.pem\n"
               "review_tls_key = /etc/ssl/private/review.key\n"
               "directory_backend = ldap\n"
               "ldap_uri = ldap://dc1.school.example\n"
               "ldap_base = dc=school,dc=example\n"
               "review_auth = ldap\n"
               "review_dsl_group = cn=DSL,ou=Groups,dc=school,dc=example\n"
               "review_login_attributes = mail,\n"
               "    uid\n"
               "review_session_idle = 30m\n"
               "review_session_max = 12h\n"
               "review_login_attempts = 3\n"
               "review_login_lockout = 1h\n",
               &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    rs = sg_review_settings_get(cfg);
    rv = sg_review_page_get(cfg);
    assert_string_equal(cfg->mailqueue.release_command,
                        "/usr/local/sbin/release {queue_id}");
    assert_string_equal(cfg->mailqueue.delete_command,
                        "/usr/local/sbin/drop {queue_id}");
    assert_string_equal(cfg->mailqueue.queue_command, "");
    assert_int_equal(cfg->mailqueue.command_timeout, 120);
    assert_int_equal(rs->sla_hours, 48);
    assert_int_equal(rs->retention_days, 0);
    assert_int_equal(rs->hold_max_days, 14);
    assert_int_equal(rs->expire_action, SG_REVIEW_EXPIRE_RELEASE);
    assert_string_equal(rv->review_listen, "[::1]:8443");
    assert_string_equal(rv->review_tls_key, "/etc/ssl/private/review.key");
    assert_int_equal(rv->review_auth, SG_REVIEW_AUTH_LDAP);
    assert_string_equal(rv->review_dsl_group,
                        "cn=DSL,ou=Groups,dc=school,dc=example");
    assert_int_equal(rv->n_review_login_attributes, 2);
    assert_string_equal(rv->review_login_attributes[1], "uid");
    assert_int_equal(rv->review_session_idle, 1800);
    assert_int_equal(rv->review_session_max, 12 * 3600);
    assert_int_equal(rv->review_login_attempts, 3);
    assert_int_equal(rv->review_login_lockout, 3600);
    sg_config_free(&cfg);

    static const struct {
        const char *text, *error;
    } bad[] = {
        {"review_expire_action = bounce\n",
         "test.conf:1: review_expire_action = \"bounce\": value is not one "
         "of the allowed values (one of: delete, release)"},
        {"\nreview_command_timeout = 5w\n",
         "test.conf:2: review_command_timeout = \"5w\": value has an unknown "
         "unit suffix (from 1 to 3600 seconds; s, m, h, d allowed)"},
        {"review_command_timeout = 2h\n",
         "test.conf:1: review_command_timeout = \"2h\": value is out of "
         "range (from 1 to 3600 seconds; s, m, h, d allowed)"},
        {"review_session_idle = 30\n",
         "test.conf:1: review_session_idle = \"30\": value is out of range "
         "(from 60 to 86400 seconds; s, m, h, d allowed)"},
        {"review_session_max = 8 hours\n",
         "test.conf:1: review_session_max = \"8 hours\": value has an "
         "unknown unit suffix (from 300 to 604800 seconds; s, m, h, d "
         "allowed)"},
        {"review_login_lockout = 2d\n",
         "test.conf:1: review_login_lockout = \"2d\": value is out of range "
         "(from 60 to 86400 seconds; s, m, h, d allowed)"},
        {"review_sla_hours = 0\n",
         "test.conf:1: review_sla_hours = \"0\": value is out of range "
         "(from 1 to 8760)"},
        {"review_retention_days = -1\n",
         "test.conf:1: review_retention_days = \"-1\": value is not a whole "
         "number (from 0 to 36500)"},
        {"review_login_attempts = 101\n",
         "test.conf:1: review_login_attempts = \"101\": value is out of "
         "range (from 1 to 100)"},
        {"review_auth = kerberos\n",
         "test.conf:1: review_auth = \"kerberos\": value is not one of the "
         "allowed values (one of: file, ldap)"},
        {"review_listen = 8480\n",
         "test.conf: review_listen = \"8480\": is not HOST:PORT (e.g. "
         "127.0.0.1:8480 or [::1]:8480)"},
        {"review_listen = ::1:8480\n",
         "test.conf: review_listen = \"::1:8480\": an IPv6 address goes in "
         "brackets: [ADDRESS]:PORT (e.g. 127.0.0.1:8480 or [::1]:8480)"},
        {"review_listen = 127.0.0.1:65536\n",
         "test.conf: review_listen = \"127.0.0.1:65536\": the port is not a "
         "number from 1 to 65535 (e.g. 127.0.0.1:8480 or [::1]:8480)"},
        {"review_tls_cert = /etc/ssl/review.pem\n",
         "test.conf: review_tls_cert and review_tls_key go together: set "
         "both or neither"},
        {"review_auth = ldap\nreview_dsl_group = cn=DSL,dc=x\n",
         "test.conf: review_auth = ldap needs directory_backend = ldap (the "
         "logins are checked against that directory)"},
        {"directory_backend = ldap\nreview_auth = ldap\n",
         "test.conf: review_auth = ldap needs review_dsl_group: without it "
         "anyone in the directory could log in to the review page"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg = load(bad[i].text, &error);
        if (cfg != NULL)
            fail_msg("case %zu loaded but should not: %s", i, bad[i].text);
        assert_string_equal(error, bad[i].error);
    }
}

/* One file serves the daemon and safeguard-review.  A key of the review
 * tool's section is accepted by both compositions, but checked only where
 * the section is composed; a key nobody owns is an error with the file
 * and line in both, and so is an unknown review_* key where the review
 * section is composed. */
static void
test_composition(void **state)
{
    (void)state;
    const char *error = NULL;
    static const char text[] = "backlog = 7\n\nreview_sla_hours = 48\n";
    /* the daemon's: left to safeguard-review */
    struct sg_config *cfg = sg_config_load_string(text, "test.conf", &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    assert_int_equal(cfg->backlog, 7);
    assert_null(sg_review_settings_get(cfg));
    assert_null(sg_review_page_get(cfg));
    assert_int_equal(cfg->file.n_foreign_set, 1);
    sg_config_free(&cfg);
    /* safeguard-review's: its own */
    cfg = load(text, &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    assert_int_equal(cfg->backlog, 7);
    assert_int_equal(sg_review_settings_get(cfg)->sla_hours, 48);
    assert_int_equal(cfg->file.n_foreign_set, 0);
    sg_config_free(&cfg);

    static const struct {
        const char *text;
        const char *daemon; /* NULL: the daemon loads it */
        const char *review; /* NULL: safeguard-review loads it */
    } cases[] = {
        /* a bad value of the review tool's: its error, with the line */
        {"backlog = 7\nreview_sla_hours = 0\n", NULL,
         "test.conf:2: review_sla_hours = \"0\": value is out of range "
         "(from 1 to 8760)"},
        {"review_tls_cert = /etc/ssl/review.pem\n", NULL,
         "test.conf: review_tls_cert and review_tls_key go together: set "
         "both or neither"},
        /* a key nobody owns */
        {"backlog = 7\nreview_sla_hours = 48\nsocket_path = /x\n",
         "test.conf:3: unknown setting \"socket_path\"",
         "test.conf:3: unknown setting \"socket_path\""},
        {"reveiw_sla_hours = 48\n",
         "test.conf:1: unknown setting \"reveiw_sla_hours\"",
         "test.conf:1: unknown setting \"reveiw_sla_hours\""},
        /* a misspelt key of the review tool's: its error */
        {"\nreview_sla_hour = 48\n", NULL,
         "test.conf:2: unknown setting \"review_sla_hour\""},
        /* twice, in its section */
        {"review_sla_hours = 48\nreview_sla_hours = 24\n", NULL,
         "test.conf:2: review_sla_hours is set twice (first at line 1)"},
        /* the mail queue's review_* keys are core's: both check them */
        {"review_command_timeout = 2h\n",
         "test.conf:1: review_command_timeout = \"2h\": value is out of "
         "range (from 1 to 3600 seconds; s, m, h, d allowed)",
         "test.conf:1: review_command_timeout = \"2h\": value is out of "
         "range (from 1 to 3600 seconds; s, m, h, d allowed)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int review = 0; review <= 1; review++) {
            const char *want = review ? cases[i].review : cases[i].daemon;
            error = NULL;
            cfg = review ? load(cases[i].text, &error)
                         : sg_config_load_string(cases[i].text, "test.conf",
                                                 &error);
            if (want == NULL && cfg == NULL)
                fail_msg("case %zu (%s): %s", i,
                         review ? "review" : "daemon", error);
            if (want != NULL && cfg != NULL)
                fail_msg("case %zu (%s) loaded", i,
                         review ? "review" : "daemon");
            if (want != NULL)
                assert_string_equal(error, want);
            sg_config_free(&cfg);
        }
    }
}

/* -o overrides are checked against each other only once all are set. */
static void
test_override(void **state)
{
    (void)state;
    const char *err = NULL;
    struct sg_config *cfg = defaults_all(&err);
    assert_non_null(cfg);
    const char *pair[] = {"review_tls_cert=/etc/ssl/review.pem",
                          "review_tls_key=/etc/ssl/private/review.key"};
    assert_int_equal(sg_config_override(cfg, pair, 2, &err), 0);
    assert_string_equal(sg_review_page_get(cfg)->review_tls_key,
                        "/etc/ssl/private/review.key");
    /* one of the pair alone is still an error */
    struct sg_config *one = defaults_all(&err);
    assert_int_equal(sg_config_override(one, pair, 1, &err), -1);
    assert_non_null(strstr(err, "go together"));
    const char *bad[] = {"no_equals_sign"};
    assert_int_equal(sg_config_override(one, bad, 1, &err), -1);
    assert_non_null(strstr(err, "NAME=VALUE"));
    sg_config_free(&one);
    sg_config_free(&cfg);
}

/* review_listen, split for the web page. */
static void
test_listen(void **state)
{
    (void)state;
    static const struct {
        const char *spec, *host;
        unsigned port;
    } good[] = {
        {"127.0.0.1:8480", "127.0.0.1", 8480},
        {"[::1]:8443", "::1", 8443},
        {"[fe80::1%eth0]:1", "fe80::1%eth0", 1},
        {"review.school.example:443", "review.school.example", 443},
        {"0.0.0.0:65535", "0.0.0.0", 65535},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        char host[64];
        unsigned port = 0;
        const char *why = NULL;
        if (sg_config_listen(good[i].spec, host, sizeof(host), &port, &why) <
            0)
            fail_msg("%s: %s", good[i].spec, why);
        assert_string_equal(host, good[i].host);
        assert_int_equal(port, good[i].port);
    }
    static const char *const bad[] = {
        "", ":8480", "[]:8480", "[::1]", "[::1]8480", "[127.0.0.1]:80",
        "host", "host:", "host:0", "host:80x", "host:-1", "host:99999999999",
        "ho st:80", "host/24:80", "::1:80",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char host[64];
        unsigned port = 0;
        const char *why = NULL;
        if (sg_config_listen(bad[i], host, sizeof(host), &port, &why) == 0)
            fail_msg("\"%s\" was taken", bad[i]);
        assert_non_null(why);
    }
    char tiny[4];
    unsigned port;
    const char *why = NULL;
    assert_int_equal(sg_config_listen("localhost:80", tiny, sizeof(tiny),
                                      &port, &why),
                     -1);
    assert_string_equal(why, "the host is too long");
}

/* A directory file named in the configuration is opened by
 * sg_runtime_open, and its errors come back with the config's name. */
static void
test_open_directory(void **state)
{
    (void)state;
    char path[] = "/tmp/sg-test-dir-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char good[] =
        "t.smith@school.example staff name=\"Tom Smith\"\n"
        "p.jones@school.example pupil dob=2012-03-04\n";
    assert_int_equal(write(fd, good, sizeof(good) - 1), sizeof(good) - 1);
    close(fd);
    char conf[256];
    snprintf(conf, sizeof(conf),
             "rules_file =\nallow_no_rules = yes\ndirectory_file = %s\n",
             path);
    const char *error = NULL;
    struct sg_config *cfg = load(conf, &error);
    assert_non_null(cfg);
    struct sg_runtime *rt = open_ok(cfg);
    assert_non_null(rt->directory);
    struct sg_person *p = NULL;
    enum sg_channel ch;
    assert_int_equal(
        sg_dir_lookup(rt->directory, "T.Smith@School.Example", &p, &ch, &error),
        SG_DIR_FOUND);
    assert_true(sg_person_has_role(p, "staff"));
    assert_int_equal(ch, SG_CHANNEL_SCHOOL);
    sg_person_free(&p);
    sg_runtime_unref(&rt);

    /* a broken directory file stops the load */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_int_equal(write(fd, "x@school.example staff dob=2012-13-40\n", 38),
                     38);
    close(fd);
    cfg = load(conf, &error);
    assert_non_null(cfg);
    error = open_error(cfg);
    assert_non_null(strstr(error, "test.conf: directory: "));
    assert_non_null(strstr(error, ":1:"));
    unlink(path);
}

/* write text to a new temporary file named from tmpl (XXXXXX) */
static void
write_temp(char *tmpl, const char *text)
{
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* text loads, but sg_runtime_open refuses it with the error want */
static void
assert_open_fails(const char *text, const char *want)
{
    const char *error = NULL;
    struct sg_config *cfg = load(text, &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    assert_string_equal(open_error(cfg), want);
}

/* No directory at all makes every address external, and the rules about
 * staff and pupils match nobody: it is an error unless said outright. */
static void
test_directory_required(void **state)
{
    (void)state;
    assert_open_fails("school_domains = school.example\n"
                      "rules_file =\nallow_no_rules = yes\n",
                      "test.conf: no directory configured: set "
                      "directory_file, or directory_backend = ldap with the "
                      "ldap_* settings; say directory_backend = none to run "
                      "without one (every address then counts as external)");
    /* the built-in defaults name no directory either */
    const char *error = NULL;
    struct sg_config *cfg = sg_config_defaults(&error);
    assert_non_null(cfg);
    assert_non_null(strstr(open_error(cfg), "no directory configured"));
    /* neither the school nor its directory (the shipped example, the
     * package's configuration): not configured, said as that */
    assert_open_fails("rules_file =\nallow_no_rules = yes\n",
                      "test.conf: not configured yet: no school_domains and "
                      "no directory configured: set school_domains (the "
                      "school's mail domains) and directory_file, or "
                      "directory_backend = ldap with the ldap_* settings "
                      "(man 5 safeguard-milter.conf)");
    /* none and a file contradict each other */
    assert_open_fails("directory_backend = none\nrules_file =\n"
                      "directory_file = /etc/school.dir\n",
                      "test.conf:3: directory_file is set, but "
                      "directory_backend = none (line 1) says there is no "
                      "directory");
}

/* A rules file (or setting) with no rule in it accepts every message: an
 * error, at load and so at every reload, unless allow_no_rules says so. */
static void
test_no_rules(void **state)
{
    (void)state;
    char path[] = "/tmp/sg-test-rules-XXXXXX";
    write_temp(path, "");
    static const char *const bodies[] = {
        "",
        "\n\n   \n",
        "# the school's rules\n# to be written\n",
        /* lists, detectors and a mode make no rule */
        "mode test\nlist heads { \"head@school.example\" }\n"
        "detector code { words \"pineapple\" }\n",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(bodies[i], fp);
        fclose(fp);
        char conf[512], want[512];
        snprintf(conf, sizeof(conf),
                 "directory_backend = none\n\nrules_file = %s\n", path);
        snprintf(want, sizeof(want),
                 "test.conf:3: rules_file = %s holds no rule (it is empty or "
                 "only comments): every message would be accepted (say "
                 "allow_no_rules = yes if that is meant)",
                 path);
        assert_open_fails(conf, want);
        /* said outright, it loads */
        const char *error = NULL;
        struct sg_config *cfg;
        snprintf(conf, sizeof(conf),
                 "directory_backend = none\nallow_no_rules = yes\n"
                 "rules_file = %s\n",
                 path);
        cfg = load(conf, &error);
        assert_non_null(cfg);
        struct sg_runtime *rt = open_ok(cfg);
        assert_non_null(rt->rules);
        assert_int_equal(sg_rules_count(rt->rules), 0);
        sg_runtime_unref(&rt);
    }
    unlink(path);
    /* an empty rules_file is no rules too */
    assert_open_fails("directory_backend = none\nrules_file =\n",
                      "test.conf:2: rules_file is empty: no rule would apply "
                      "and every message would be accepted (say "
                      "allow_no_rules = yes if that is meant)");
    const char *error = NULL;
    struct sg_config *cfg = load("directory_backend = none\nrules_file =\n"
               "allow_no_rules = yes\n",
               &error);
    assert_non_null(cfg);
    struct sg_runtime *rt = open_ok(cfg);
    assert_null(rt->rules);
    sg_runtime_unref(&rt);
}

/* The roles the rules may name are those the directory can give people:
 * the built-in ones, the configured pupil role names, the LDAP role
 * maps' names and the site's own (roles); a typo stops the load with the
 * rules file's line and column. */
static void
test_known_roles(void **state)
{
    (void)state;
    char rules[] = "/tmp/sg-test-roles-XXXXXX";
    write_temp(rules, "rule r {\n"
                      "    from staf\n"
                      "    to pupil\n"
                      "    action hold\n"
                      "}\n");
    char dirfile[] = "/tmp/sg-test-roledir-XXXXXX";
    write_temp(dirfile, "t.smith@school.example staff\n");
    static const struct {
        const char *extra; /* settings */
        bool loads;
    } cases[] = {
        {"", false},
        {"roles = governor, visitor\n", false},
        {"roles = staf\n", true},
        {"role_pupil = staf\n", true},
        {"directory_backend = ldap\nldap_uri = ldap://127.0.0.1:9/\n"
         "ldap_base = dc=x\nldap_role_group.STAF = cn=Staf,dc=x\n",
         true},
        {"directory_backend = ldap\nldap_uri = ldap://127.0.0.1:9/\n"
         "ldap_base = dc=x\nldap_role_filter.staf = (title=Teacher)\n",
         true},
        {"directory_backend = ldap\nldap_uri = ldap://127.0.0.1:9/\n"
         "ldap_base = dc=x\nldap_disabled_role = staf\n",
         true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char conf[1024];
        snprintf(conf, sizeof(conf), "rules_file = %s\n%s%s", rules,
                 strstr(cases[i].extra, "directory_backend") == NULL
                     ? "directory_file = "
                     : "",
                 strstr(cases[i].extra, "directory_backend") == NULL
                     ? dirfile
                     : "");
        strncat(conf, "\n", sizeof(conf) - strlen(conf) - 1);
        strncat(conf, cases[i].extra, sizeof(conf) - strlen(conf) - 1);
        const char *error = NULL;
        struct sg_config *cfg = load(conf, &error);
        if (cfg == NULL)
            fail_msg("case %zu: %s", i, error);
        struct sg_runtime *rt = NULL;
        int rc = sg_runtime_open(cfg, &rt, &error);
        if ((rc == 0) != cases[i].loads)
            fail_msg("case %zu: %s", i, rc == 0 ? "loaded" : error);
        if (!cases[i].loads) {
            char want[256];
            snprintf(want, sizeof(want), "rules_file: %s:2:10: expected a "
                                         "known role (",
                     rules);
            if (strncmp(error, want, strlen(want)) != 0 ||
                strstr(error, "found 'staf'") == NULL)
                fail_msg("case %zu: %s", i, error);
        }
        sg_runtime_unref(&rt);
    }
    unlink(rules);
    unlink(dirfile);
}

/* A wrong time zone is reported against its setting, with its line. */
static void
test_timezone(void **state)
{
    (void)state;
    const char *error = NULL;
    struct sg_config *cfg = load("\ntimezone = Europe/Lodnon\n", &error);
    assert_null(cfg);
    assert_non_null(error);
    static const char want[] = "test.conf:2: timezone = \"Europe/Lodnon\": ";
    if (strncmp(error, want, sizeof(want) - 1) != 0)
        fail_msg("%s", error);
    cfg = load("timezone = Europe/London\n", &error);
    assert_non_null(cfg);
    sg_config_free(&cfg);
    cfg = load("timezone = UTC\n", &error);
    assert_non_null(cfg);
    sg_config_free(&cfg);
}

static void
test_missing_file(void **state)
{
    (void)state;
    const char *error = NULL;
    assert_null(sg_config_load("/nonexistent/safeguard.conf", &error));
    assert_string_equal(error, "/nonexistent/safeguard.conf: cannot open: "
                               "No such file or directory");
}

static void
test_nul_byte(void **state)
{
    (void)state;
    char path[] = "/tmp/sg-test-conf-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = "backlog = 5\nuser = a\0b\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), sizeof(text) - 1);
    close(fd);
    const char *error = NULL;
    assert_null(sg_config_load(path, &error));
    char expect[128];
    snprintf(expect, sizeof(expect), "%s:2: contains a NUL byte", path);
    assert_string_equal(error, expect);
    unlink(path);
}

static void
test_set_override(void **state)
{
    (void)state;
    const char *error = NULL;
    struct sg_config *cfg = sg_config_defaults(&error);
    assert_int_equal(sg_config_set(cfg, "socket", "inet:9999@127.0.0.1",
                                   &error),
                     0);
    assert_string_equal(cfg->socket, "inet:9999@127.0.0.1");
    assert_int_equal(sg_config_set(cfg, "socket", "9999", &error), -1);
    assert_non_null(strstr(error, "must start with unix:"));
    assert_int_equal(sg_config_set(cfg, "nope", "1", &error), -1);
    assert_string_equal(error, "command line: unknown setting \"nope\"");
    sg_config_free(&cfg);
}

/* A reload swaps the current snapshot; holders of the old one keep it. */
static void
test_snapshots(void **state)
{
    (void)state;
    static const char base[] = "rules_file =\nallow_no_rules = yes\n"
                               "directory_backend = none\n";
    const char *error = NULL;
    char text[256];
    assert_null(sg_runtime_current());
    snprintf(text, sizeof(text), "%sbacklog = 11\n", base);
    struct sg_runtime *a = open_ok(load(text, &error));
    sg_runtime_set_current(a);
    struct sg_runtime *held = sg_runtime_current(); /* a connection's copy */
    assert_ptr_equal(held, a);
    snprintf(text, sizeof(text), "%sbacklog = 22\n", base);
    struct sg_runtime *b = open_ok(load(text, &error));
    sg_runtime_set_current(b);
    /* still valid, still the old */
    assert_int_equal(held->settings->backlog, 11);
    struct sg_runtime *now = sg_runtime_current();
    assert_int_equal(now->settings->backlog, 22);
    sg_runtime_unref(&now);
    sg_runtime_unref(&held);
    sg_runtime_set_current(NULL);
    assert_null(sg_runtime_current());
}

static char *
slurp(const char *path)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', fp);
    fclose(fp);
    assert_true(n > 0);
    return text;
}

/* Does name stand as a whole word on a bold macro line (.B, .BR, .BI) of
 * the man page text, as a setting's heading does? */
static bool
documented(const char *text, const char *name)
{
    size_t len = strlen(name);
    for (const char *line = text; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        if (end == NULL)
            end = line + strlen(line);
        if (strncmp(line, ".B", 2) == 0) {
            for (const char *p = line; p + len <= end; p++) {
                if (strncmp(p, name, len) != 0)
                    continue;
                char before = p > line ? p[-1] : ' ';
                char after = p[len];
                bool word_before = before == '_' || (before >= 'a' && before <= 'z');
                bool word_after = after == '_' || (after >= 'a' && after <= 'z') ||
                                  (after >= '0' && after <= '9');
                if (!word_before && !word_after)
                    return true;
            }
        }
        line = *end == '\n' ? end + 1 : NULL;
    }
    return false;
}

/* Every key in the table is documented: the milter's own in
 * safeguard-milter.conf(5), the directory's in safeguard-directory(5). */
static void
test_documented(void **state)
{
    (void)state;
    char *conf = slurp(SG_TEST_SRCDIR "/man/safeguard-milter.conf.5.in");
    char *dir = slurp(SG_TEST_SRCDIR "/man/safeguard-directory.5.in");
    const char *error = NULL;
    struct sg_config *cfg = load("", &error);
    assert_non_null(cfg);
    assert_int_equal(cfg->file.n_parts, 9); /* every section */
    for (size_t i = 0; i < cfg->file.n_parts; i++) {
        const struct sg_settings_section *sec = cfg->file.parts[i].section;
        bool is_dir = sec == &sg_dir_settings_section;
        for (const struct sg_conf_entry *e = sec->entries; e->name != NULL; e++)
            if (!documented(is_dir ? dir : conf, e->name))
                fail_msg("%s is not documented in %s", e->name,
                         is_dir ? "safeguard-directory(5)"
                                : "safeguard-milter.conf(5)");
    }
    sg_config_free(&cfg);
    /* and the check itself can fail */
    assert_false(documented(conf, "no_such_setting"));
    assert_false(documented(".B socket_path\n", "socket"));
    assert_true(documented(".BR ldap_bind_dn \", \" ldap_bind_password_file\n",
                           "ldap_bind_password_file"));
    free(conf);
    free(dir);
}

static void
test_dump_round_trip(void **state)
{
    (void)state;
    const char *error = NULL;
    struct sg_config *cfg =
        load("failure_action = accept\ntrusted_networks = 10.0.0.0/8\n",
             &error);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(sg_config_dump(cfg, out), 0);
    fclose(out);
    assert_non_null(strstr(text, "failure_action = accept\n"));
    assert_non_null(strstr(text, "trusted_networks = 10.0.0.0/8\n"));
    assert_non_null(strstr(text, "review_expire_action = delete\n"));
    assert_non_null(strstr(text, "review_release_helper = "
                                 "/run/safeguard-release.sock\n"));
    assert_non_null(strstr(text, "release_helper_postsuper = "
                                 "/usr/sbin/postsuper\n"));
    assert_non_null(strstr(text, "review_login_attributes = uid, mail, "
                                 "userPrincipalName, sAMAccountName\n"));
    struct sg_config *again = load(text, &error);
    if (again == NULL)
        fail_msg("dump does not load back: %s", error);
    assert_int_equal(again->failure_action, SG_FAIL_ACCEPT);
    sg_config_free(&again);
    sg_config_free(&cfg);
    free(text);

    /* values that only quotes keep: spaces at an end, a #, a quote */
    cfg = load("subject_tag = \" [Safeguarding #1] \"\n"
               "dsl_contact = \"Mrs \\\"Jo\\\" Khan\\\\DSL\"\n"
               "school_postcodes = \"AB1 2CD, flat #3\"\n"
               "ldap_role_group.staff = \"cn=Staff #1 \"\n",
               &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    assert_string_equal(cfg->subject_tag, " [Safeguarding #1] ");
    assert_string_equal(cfg->dsl_contact, "Mrs \"Jo\" Khan\\DSL");
    out = open_memstream(&text, &len);
    assert_int_equal(sg_config_dump(cfg, out), 0);
    fclose(out);
    again = load(text, &error);
    if (again == NULL)
        fail_msg("dump does not load back: %s\n%s", error, text);
    assert_string_equal(again->subject_tag, cfg->subject_tag);
    assert_string_equal(again->dsl_contact, cfg->dsl_contact);
    assert_int_equal(again->n_school_postcodes, 2);
    assert_string_equal(again->school_postcodes[1], "flat #3");
    assert_string_equal(again->dir.ldap_role_groups[0], "staff=cn=Staff #1 ");
    sg_config_free(&again);
    sg_config_free(&cfg);
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_strings_lists_continuation),
        cmocka_unit_test(test_continuation_out_of_memory),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_directory_settings),
        cmocka_unit_test(test_review_settings),
        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_override),
        cmocka_unit_test(test_composition),
        cmocka_unit_test(test_open_directory),
        cmocka_unit_test(test_directory_required),
        cmocka_unit_test(test_no_rules),
        cmocka_unit_test(test_known_roles),
        cmocka_unit_test(test_timezone),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_set_override),
        cmocka_unit_test(test_snapshots),
        cmocka_unit_test(test_documented),
        cmocka_unit_test(test_dump_round_trip),
        cmocka_unit_test(test_store_setting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
