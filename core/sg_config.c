/*
 * sg_config.c - the core's sections of the configuration file that have
 * no module of their own (the milter's own, the school and its rules),
 * and the composition every program loads (see sg_config.h).
 *
 * SECURITY: the file is trusted (root-owned) but still parsed strictly
 * (settings.c); the checks here are the ones across keys.  Fails by
 * returning NULL / -1 with "FILE:LINE: reason".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exempt.h"
#include "log.h"
#include "netlist.h"
#include "notice.h"
#include "school.h"
#include "sg_config.h"
#include "sg_error.h"
#include "sg_dir_settings.h"
#include "sg_person.h"
#include "sg_rules.h"
#include "sg_tz.h"

#define OFF(field) offsetof(struct sg_config, field)
#define DAY        86400

static const char *const log_levels[] = {"error", "warning", "info", "debug",
                                         NULL};
static const char *const failure_actions[] = {"tempfail", "accept", "reject",
                                              NULL};

/* Item checks (common/sg_settings.h) of the core's keys. */
int
sg_config_check_address(const char *item, const char **why_r)
{
    char *norm = sg_dir_address_normalise(item, NULL);
    free(norm);
    if (norm == NULL || strchr(item, '@') == NULL) {
        *why_r = "is not a mail address (name@domain; several go separated "
                 "by commas)";
        return -1;
    }
    return 0;
}

int
sg_config_check_timezone(const char *item, const char **why_r)
{
    struct sg_tz *tz = NULL;
    if (strcmp(item, "UTC") == 0)
        return 0; /* built in (rules_new) */
    int rc = sg_tz_load(item, NULL, &tz, why_r);
    sg_tz_free(&tz);
    return rc;
}

/* Keep every section in step with man/safeguard-milter.conf.5.in (a test
 * checks that every key is documented there). */

/* The milter's own: its socket, user, logging, timeouts. */
static const struct sg_conf_entry milter_entries[] = {
    {"socket", SG_CONF_STRING, OFF(socket), 0,
     "unix:/run/safeguard-milter/safeguard-milter.sock", 0, 0, NULL, NULL},
    {"user", SG_CONF_STRING, OFF(user), 0, "", 0, 0, NULL, NULL},
    {"pidfile", SG_CONF_STRING, OFF(pidfile), 0, "", 0, 0, NULL, NULL},
    {"syslog_facility", SG_CONF_STRING, OFF(syslog_facility), 0, "mail", 0, 0,
     NULL, NULL},
    {"log_level", SG_CONF_ENUM, OFF(log_level), 0, "info", 0, 0, log_levels,
     NULL},
    {"trusted_networks", SG_CONF_LIST, OFF(trusted_networks),
     OFF(n_trusted_networks), "127.0.0.0/8, [::1]/128", 0, 0, NULL,
     sg_network_check},
    {"message_buffer_size", SG_CONF_SIZE, OFF(message_buffer_size), 0, "1m",
     4096, 1LL << 30, NULL, NULL},
    {"tmpdir", SG_CONF_STRING, OFF(tmpdir), 0, "/var/tmp", 0, 0, NULL, NULL},
    {"failure_action", SG_CONF_ENUM, OFF(failure_action), 0, "tempfail", 0, 0,
     failure_actions, NULL},
    {"milter_timeout", SG_CONF_DURATION, OFF(milter_timeout), 0, "300s", 10,
     86400, NULL, NULL},
    {"backlog", SG_CONF_INT, OFF(backlog), 0, "1024", 1, 65535, NULL, NULL},
    {"stats_interval", SG_CONF_DURATION, OFF(stats_interval), 0, "1h", 0, DAY,
     NULL, NULL},
    {"hold_reconcile_interval", SG_CONF_DURATION, OFF(hold_reconcile_interval),
     0, "5m", 0, DAY, NULL, NULL},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

/* Derived from the milter's keys, and checks across them. */
static int
milter_finish(const struct sg_settings *all, void *data, const char **key_r,
              char *why, size_t why_len)
{
    struct sg_config *cfg = data;
    (void)all;
    free(cfg->networks);
    cfg->n_networks = 0;
    cfg->networks =
        calloc(cfg->n_trusted_networks + 1, sizeof(struct sg_network));
    if (cfg->networks == NULL) {
        snprintf(why, why_len, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->n_trusted_networks; i++) {
        const char *w;
        if (sg_network_parse(cfg->trusted_networks[i], &cfg->networks[i], &w) <
            0) {
            *key_r = "trusted_networks";
            snprintf(why, why_len, "trusted_networks: \"%s\": %s",
                     cfg->trusted_networks[i], w);
            return -1;
        }
        cfg->n_networks++;
    }
    if (sg_log_facility(cfg->syslog_facility) < 0) {
        snprintf(why, why_len,
                 "syslog_facility = \"%s\": not a syslog "
                 "facility (mail, daemon, local0 ... local7)",
                 cfg->syslog_facility);
        return -1;
    }
    if (strncmp(cfg->socket, "unix:", 5) != 0 &&
        strncmp(cfg->socket, "local:", 6) != 0 &&
        strncmp(cfg->socket, "inet:", 5) != 0 &&
        strncmp(cfg->socket, "inet6:", 6) != 0) {
        snprintf(why, why_len,
                 "socket = \"%s\": must start with unix:, "
                 "inet: or inet6: (e.g. unix:/run/safeguard-milter/"
                 "safeguard-milter.sock or inet:8891@127.0.0.1)",
                 cfg->socket);
        return -1;
    }
    return 0;
}

static void
milter_clear(void *data)
{
    struct sg_config *cfg = data;
    free(cfg->networks);
    cfg->networks = NULL;
    cfg->n_networks = 0;
}

static const struct sg_settings_section milter_section = {
    .name = "milter",
    .entries = milter_entries,
    .finish = milter_finish,
    .clear = milter_clear,
};

/* The school and its rules (safeguard-rules(5)): what the rules are
 * given (sg_runtime.c, open_rules). */
static const struct sg_conf_entry school_entries[] = {
    {"rules_file", SG_CONF_STRING, OFF(rules_file), 0,
     SG_PKGDATADIR "/default.rules", 0, 0, NULL, NULL},
    {"allow_no_rules", SG_CONF_BOOL, OFF(allow_no_rules), 0, "no", 0, 0, NULL,
     NULL},
    {"school_domains", SG_CONF_LIST, OFF(school_domains), OFF(n_school_domains),
     "", 0, 0, NULL, NULL},
    {"school_phone_numbers", SG_CONF_CSV, OFF(school_phone_numbers),
     OFF(n_school_phone_numbers), "", 0, 0, NULL, NULL},
    {"school_postcodes", SG_CONF_CSV, OFF(school_postcodes),
     OFF(n_school_postcodes), "", 0, 0, NULL, NULL},
    {"school_social_accounts", SG_CONF_LIST, OFF(school_social_accounts),
     OFF(n_school_social_accounts), "", 0, 0, NULL,
     sg_rules_social_account_check},
    {"personal_email_domains", SG_CONF_LIST, OFF(personal_email_domains),
     OFF(n_personal_email_domains), "", 0, 0, NULL,
     sg_rules_personal_domain_check},
    {"timezone", SG_CONF_STRING, OFF(timezone), 0, "Europe/London", 0, 0, NULL,
     sg_config_check_timezone},
    {"scan_cache_dir", SG_CONF_STRING, OFF(scan_cache_dir), 0,
     SG_LOCALSTATEDIR "/cache/safeguard-milter", 0, 0, NULL, NULL},
    {"image_small_pixels", SG_CONF_INT, OFF(image_small_pixels), 0, "100000", 1,
     100000000, NULL, NULL},
    {"image_small_bytes", SG_CONF_SIZE, OFF(image_small_bytes), 0, "100k", 1,
     1LL << 30, NULL, NULL},
    {"dsl_contact", SG_CONF_STRING, OFF(dsl_contact), 0,
     "the Designated Safeguarding Lead", 0, 0, NULL, NULL},
    {"exceptions_register", SG_CONF_STRING, OFF(exceptions_register), 0, "", 0,
     0, NULL, NULL},
    {"journal_address", SG_CONF_STRING, OFF(journal_address), 0, "", 0, 0, NULL,
     sg_config_check_address},
    {"subject_tag", SG_CONF_STRING, OFF(subject_tag), 0, "", 0, 0, NULL, NULL},
    {"policy_name", SG_CONF_STRING, OFF(policy_name), 0, "", 0, 0, NULL, NULL},
    {"exempt_addresses", SG_CONF_LIST, OFF(exempt_addresses),
     OFF(n_exempt_addresses), "", 0, 0, NULL, sg_exempt_item_check},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

/* The school blocks (school.c) take the trust's values once every key
 * is read. */
static int
school_finish(const struct sg_settings *all, void *data, const char **key_r,
              char *why, size_t why_len)
{
    (void)all;
    (void)key_r;
    return sg_school_finish(data, why, why_len);
}

static void
school_clear(void *data)
{
    sg_school_free_all(data);
}

static const struct sg_settings_section school_section = {
    .name = "school",
    .entries = school_entries,
    .finish = school_finish,
    .clear = school_clear,
};

/* The prefixes of sections that programs outside core own: a program that
 * does not compose such a section accepts its keys and leaves them to the
 * program that does (one file serves both). */
static const char *const foreign_prefixes[] = {"review_", NULL};

/* The core's sections, and extra (NULL-terminated, may be NULL) after
 * them.  NULL with *error_r. */
static struct sg_config *
compose(const struct sg_settings_section *const *extra, const char **error_r)
{
    struct sg_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        *error_r = "out of memory";
        return NULL;
    }
    struct sg_settings_part parts[16] = {
        {&milter_section, cfg, false, NULL},
        {&school_section, cfg, false, NULL},
        {&sg_store_settings_section, cfg, false, NULL},
        {&sg_notice_settings_section, cfg, false, NULL},
        {&sg_mailqueue_settings_section, &cfg->mailqueue, false, NULL},
        {&sg_extract_settings_section, &cfg->extract, false, NULL},
        {&sg_dir_settings_section, &cfg->dir, false, NULL},
    };
    size_t n = 7;
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        if (n == sizeof(parts) / sizeof(*parts)) {
            *error_r = "too many settings sections";
            free(cfg);
            return NULL;
        }
        parts[n++] = (struct sg_settings_part){extra[i], NULL, false, NULL};
    }
    if (sg_settings_compose(&cfg->file, parts, n, foreign_prefixes, error_r) <
        0) {
        sg_config_free(&cfg);
        return NULL;
    }
    sg_school_block(cfg, &cfg->school_block);
    cfg->file.block = &cfg->school_block;
    return cfg;
}

/* The defaults of the core's sections and extra's. */
static struct sg_config *
defaults(const struct sg_settings_section *const *extra, const char **error_r)
{
    struct sg_config *cfg = compose(extra, error_r);
    if (cfg != NULL &&
        sg_settings_finish(&cfg->file, "built-in defaults", error_r) < 0)
        sg_config_free(&cfg);
    return cfg;
}

struct sg_config *
sg_config_defaults(const char **error_r)
{
    return defaults(NULL, error_r);
}

/* Read fp (named name) over the defaults of the core's sections and
 * extra's. */
static struct sg_config *
load_stream(FILE *fp, const char *name,
            const struct sg_settings_section *const *extra,
            const char **error_r)
{
    struct sg_config *cfg = compose(extra, error_r);
    if (cfg != NULL && sg_settings_read(&cfg->file, fp, name, error_r) < 0)
        sg_config_free(&cfg);
    return cfg;
}

/* load_stream on fp, then close it; fp NULL: it could not be opened
 * (errno), which was to verb it. */
static struct sg_config *
load_opened(FILE *fp, const char *name, const char *verb,
            const struct sg_settings_section *const *extra,
            const char **error_r)
{
    if (fp == NULL) {
        *error_r =
            sg_settings_error(name, 0, "cannot %s: %s", verb, strerror(errno));
        return NULL;
    }
    struct sg_config *cfg = load_stream(fp, name, extra, error_r);
    fclose(fp);
    return cfg;
}

static struct sg_config *
load_path(const char *path, const struct sg_settings_section *const *extra,
          const char **error_r)
{
    return load_opened(fopen(path, "r"), path, "open", extra, error_r);
}

struct sg_config *
sg_config_load(const char *path, const char **error_r)
{
    return load_path(path, NULL, error_r);
}

struct sg_config *
sg_config_load_with(const char *path, bool must_exist,
                    const struct sg_settings_section *const *extra,
                    const char **error_r)
{
    if (!must_exist && access(path, F_OK) != 0)
        return defaults(extra, error_r);
    return load_path(path, extra, error_r);
}

struct sg_config *
sg_config_load_default(const char *path, bool must_exist, const char **error_r)
{
    return sg_config_load_with(path, must_exist, NULL, error_r);
}

struct sg_config *
sg_config_load_string_with(const char *text, const char *name,
                           const struct sg_settings_section *const *extra,
                           const char **error_r)
{
    return load_opened(fmemopen((void *)(uintptr_t)text, strlen(text), "r"),
                       name, "read", extra, error_r);
}

struct sg_config *
sg_config_load_string(const char *text, const char *name, const char **error_r)
{
    return sg_config_load_string_with(text, name, NULL, error_r);
}

const char *
sg_config_name(const struct sg_config *cfg)
{
    return cfg->file.path != NULL ? cfg->file.path : "configuration";
}

unsigned
sg_config_line(const struct sg_config *cfg, const char *name)
{
    return sg_settings_line(&cfg->file, name);
}

void
sg_config_notice(const struct sg_config *cfg, struct sg_notice_config *nc_r)
{
    *nc_r = (struct sg_notice_config){
        .templates_dir = cfg->notice_templates,
        .sendmail = cfg->notice_sendmail,
        .secret_file = cfg->notice_secret_file,
        .from = cfg->notice_from,
        .from_name = cfg->notice_from_name,
        .dsl_addresses = (const char *const *)cfg->dsl_addresses,
        .n_dsl_addresses = cfg->n_dsl_addresses,
        .conduct_addresses = (const char *const *)cfg->conduct_addresses,
        .n_conduct_addresses = cfg->n_conduct_addresses,
        .headteacher_addresses =
            (const char *const *)cfg->headteacher_addresses,
        .n_headteacher_addresses = cfg->n_headteacher_addresses,
        .chair_addresses =
            (const char *const *)cfg->chair_of_governors_addresses,
        .n_chair_addresses = cfg->n_chair_of_governors_addresses,
        .review_url = cfg->review_url,
        .timeout = (unsigned)cfg->notice_timeout,
        .retry_max_age = (unsigned)cfg->notice_retry_max_age,
        .retry_interval = (unsigned)cfg->notice_retry_interval,
    };
}

int
sg_config_listen(const char *spec, char *host, size_t host_size,
                 unsigned *port_r, const char **why_r)
{
    const char *h = spec, *port;
    size_t hlen;
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (close == NULL || close[1] != ':') {
            *why_r = "an IPv6 address is written [ADDRESS]:PORT";
            return -1;
        }
        h = spec + 1;
        hlen = (size_t)(close - h);
        port = close + 2;
        if (memchr(h, ':', hlen) == NULL) {
            *why_r = "only an IPv6 address goes in brackets";
            return -1;
        }
    } else {
        const char *colon = strrchr(spec, ':');
        if (colon == NULL) {
            *why_r = "is not HOST:PORT";
            return -1;
        }
        hlen = (size_t)(colon - spec);
        port = colon + 1;
        if (memchr(spec, ':', hlen) != NULL) {
            *why_r = "an IPv6 address goes in brackets: [ADDRESS]:PORT";
            return -1;
        }
    }
    if (hlen == 0) {
        *why_r = "has no host";
        return -1;
    }
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)h[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_' && c != ':' &&
            c != '%') {
            *why_r = "the host holds a character that no host name or "
                     "address has";
            return -1;
        }
    }
    if (hlen >= host_size) {
        *why_r = "the host is too long";
        return -1;
    }
    unsigned long n = 0;
    const char *p = port;
    for (; isdigit((unsigned char)*p) && n <= 65535; p++)
        n = n * 10 + (unsigned long)(*p - '0');
    if (p == port || *p != '\0' || n < 1 || n > 65535) {
        *why_r = "the port is not a number from 1 to 65535";
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port_r = (unsigned)n;
    return 0;
}

int
sg_config_set(struct sg_config *cfg, const char *name, const char *value,
              const char **error_r)
{
    if (sg_settings_set(&cfg->file, "command line", 0, name, value, error_r) <
        0)
        return -1;
    return sg_settings_finish(&cfg->file, "command line", error_r);
}

int
sg_config_override(struct sg_config *cfg, const char *const *assignments,
                   size_t n, const char **error_r)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(assignments[i], '=');
        if (eq == NULL || eq == assignments[i])
            return sg_error_fail(error_r, "command line: \"%.200s\": "
                                          "expected NAME=VALUE",
                                 assignments[i]);
        char *name = strndup(assignments[i], (size_t)(eq - assignments[i]));
        if (name == NULL) {
            *error_r = "out of memory";
            return -1;
        }
        int rc = sg_settings_set(&cfg->file, "command line", 0, name, eq + 1,
                                 error_r);
        free(name);
        if (rc < 0)
            return -1;
    }
    return sg_settings_finish(&cfg->file, "command line", error_r);
}

void
sg_config_free(struct sg_config **cfg)
{
    if (*cfg == NULL)
        return;
    sg_settings_clear(&(*cfg)->file);
    free(*cfg);
    *cfg = NULL;
}

void
sg_config_print_foreign(const struct sg_config *cfg, const char *prefix,
                        FILE *out)
{
    unsigned n = cfg->file.n_foreign_set;
    if (n > 0)
        fprintf(out,
                "%s%u review_* %s the review tool's: check them with "
                "safeguard-review -c %s check\n",
                prefix, n, n == 1 ? "setting is" : "settings are",
                cfg->file.path != NULL ? cfg->file.path : "FILE");
}

int
sg_config_dump(const struct sg_config *cfg, FILE *out)
{
    int rc = sg_settings_dump(&cfg->file, out);
    /* each school's block, every key with the value it has */
    for (size_t i = 0; rc == 0 && i < cfg->n_schools; i++) {
        fprintf(out, "school %s {\n", cfg->schools[i]->name);
        rc = sg_settings_dump(&cfg->schools[i]->file, out);
        fputs("}\n", out);
    }
    return rc < 0 || ferror(out) ? -1 : 0;
}
