/*
 * sg_config.c - configuration table, loader and snapshots.
 *
 * SECURITY: the file is trusted (root-owned) but still parsed strictly:
 * every value is checked against its type and bounds, and an unknown or
 * repeated key stops the load, so a typo never silently leaves a safeguard
 * off.  Fails by returning NULL / -1 with "FILE:LINE: reason".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "netlist.h"
#include "sg_tz.h"
#include "sg_buf.h"
#include "sg_config.h"
#include "sg_person.h"

#define OFF(field) offsetof(struct sg_config, field)

static const char *const log_levels[] = {"error", "warning", "info", "debug",
                                         NULL};
static const char *const failure_actions[] = {"tempfail", "accept", "reject",
                                              NULL};
/* in the order of enum sg_dir_backend_type */
static const char *const dir_backends[] = {"file", "ldap", "none", NULL};
/* in the order of enum sg_review_auth */
static const char *const review_auths[] = {"file", "ldap", NULL};

#define DIR(field)    OFF(dir.field)
#define REVIEW(field) OFF(review.field)
#define DAY           86400

/* Keep in step with man/safeguard-milter.conf.5.in (a test checks that
 * every key here is documented there). */
const struct sg_conf_entry sg_conf_table[] = {
    {"socket", SG_CONF_STRING, OFF(socket), 0,
     "unix:/run/safeguard-milter/safeguard-milter.sock", 0, 0, NULL},
    {"user", SG_CONF_STRING, OFF(user), 0, "", 0, 0, NULL},
    {"pidfile", SG_CONF_STRING, OFF(pidfile), 0, "", 0, 0, NULL},
    {"syslog_facility", SG_CONF_STRING, OFF(syslog_facility), 0, "mail", 0, 0,
     NULL},
    {"log_level", SG_CONF_ENUM, OFF(log_level), 0, "info", 0, 0, log_levels},
    {"trusted_networks", SG_CONF_LIST, OFF(trusted_networks),
     OFF(n_trusted_networks), "127.0.0.0/8, [::1]/128", 0, 0, NULL},
    {"message_buffer_size", SG_CONF_SIZE, OFF(message_buffer_size), 0, "1m",
     4096, 1LL << 30, NULL},
    {"tmpdir", SG_CONF_STRING, OFF(tmpdir), 0, "/var/tmp", 0, 0, NULL},
    {"failure_action", SG_CONF_ENUM, OFF(failure_action), 0, "tempfail", 0, 0,
     failure_actions},
    {"milter_timeout", SG_CONF_DURATION, OFF(milter_timeout), 0, "300s", 10,
     86400, NULL},
    {"backlog", SG_CONF_INT, OFF(backlog), 0, "1024", 1, 65535, NULL},
    {"stats_interval", SG_CONF_DURATION, OFF(stats_interval), 0, "1h", 0,
     DAY, NULL},

    /* The school and its rules (safeguard-rules(5)). */
    {"rules_file", SG_CONF_STRING, OFF(rules_file), 0,
     SG_PKGDATADIR "/default.rules", 0, 0, NULL},
    {"allow_no_rules", SG_CONF_BOOL, OFF(allow_no_rules), 0, "no", 0, 0,
     NULL},
    {"school_domains", SG_CONF_LIST, OFF(school_domains),
     OFF(n_school_domains), "", 0, 0, NULL},
    {"school_phone_numbers", SG_CONF_CSV, OFF(school_phone_numbers),
     OFF(n_school_phone_numbers), "", 0, 0, NULL},
    {"school_postcodes", SG_CONF_CSV, OFF(school_postcodes),
     OFF(n_school_postcodes), "", 0, 0, NULL},
    {"school_social_accounts", SG_CONF_LIST, OFF(school_social_accounts),
     OFF(n_school_social_accounts), "", 0, 0, NULL},
    {"personal_email_domains", SG_CONF_LIST, OFF(personal_email_domains),
     OFF(n_personal_email_domains), "", 0, 0, NULL},
    {"timezone", SG_CONF_STRING, OFF(timezone), 0, "Europe/London", 0, 0,
     NULL},
    {"image_small_pixels", SG_CONF_INT, OFF(image_small_pixels), 0, "100000",
     1, 100000000, NULL},
    {"image_small_bytes", SG_CONF_SIZE, OFF(image_small_bytes), 0, "100k", 1,
     1LL << 30, NULL},
    {"dsl_contact", SG_CONF_STRING, OFF(dsl_contact), 0,
     "the Designated Safeguarding Lead", 0, 0, NULL},
    {"exceptions_register", SG_CONF_STRING, OFF(exceptions_register), 0, "",
     0, 0, NULL},
    {"journal_address", SG_CONF_STRING, OFF(journal_address), 0, "", 0, 0,
     NULL},
    {"subject_tag", SG_CONF_STRING, OFF(subject_tag), 0, "", 0, 0, NULL},
    {"quarantine_db", SG_CONF_STRING, OFF(quarantine_db), 0,
     SG_LOCALSTATEDIR "/lib/safeguard-milter/quarantine.db", 0, 0, NULL},
    {"quarantine_dir", SG_CONF_STRING, OFF(quarantine_dir), 0,
     SG_LOCALSTATEDIR "/lib/safeguard-milter/messages", 0, 0, NULL},
    {"notice_from", SG_CONF_STRING, OFF(notice_from), 0, "", 0, 0, NULL},
    {"notice_from_name", SG_CONF_STRING, OFF(notice_from_name), 0,
     "Safeguarding", 0, 0, NULL},
    {"notice_templates", SG_CONF_STRING, OFF(notice_templates), 0,
     SG_SYSCONFDIR "/templates", 0, 0, NULL},
    {"notice_sendmail", SG_CONF_STRING, OFF(notice_sendmail), 0,
     "/usr/sbin/sendmail -i -f {from} -- {to}", 0, 0, NULL},
    {"notice_secret_file", SG_CONF_STRING, OFF(notice_secret_file), 0,
     SG_SYSCONFDIR "/notice.key", 0, 0, NULL},
    {"notice_timeout", SG_CONF_DURATION, OFF(notice_timeout), 0, "30s", 1,
     600, NULL},
    {"dsl_addresses", SG_CONF_LIST, OFF(dsl_addresses), OFF(n_dsl_addresses),
     "", 0, 0, NULL},

    /* The review tool (safeguard-review(8)).  A NULL default keeps the
     * one in sg_review_settings_init, so it is written once. */
    {"review_release_command", SG_CONF_STRING, REVIEW(release_command), 0,
     NULL, 0, 0, NULL},
    {"review_delete_command", SG_CONF_STRING, REVIEW(delete_command), 0,
     NULL, 0, 0, NULL},
    {"review_queue_command", SG_CONF_STRING, REVIEW(queue_command), 0, NULL,
     0, 0, NULL},
    {"review_command_timeout", SG_CONF_DURATION, REVIEW(command_timeout), 0,
     NULL, 1, 3600, NULL},
    {"review_sla_hours", SG_CONF_INT, REVIEW(sla_hours), 0, NULL, 1,
     365 * 24, NULL},
    {"review_retention_days", SG_CONF_INT, REVIEW(retention_days), 0, NULL,
     0, 36500, NULL},
    {"review_hold_max_days", SG_CONF_INT, REVIEW(hold_max_days), 0, NULL, 0,
     36500, NULL},
    {"hold_reconcile_interval", SG_CONF_DURATION,
     OFF(hold_reconcile_interval), 0, "5m", 0, DAY, NULL},
    {"hold_reconcile_grace", SG_CONF_DURATION, REVIEW(reconcile_grace), 0,
     NULL, 1, DAY, NULL},
    {"review_expire_action", SG_CONF_ENUM, REVIEW(expire_action), 0, NULL, 0,
     0, sg_review_expire_action_names},
    /* Its web page. */
    {"review_listen", SG_CONF_STRING, OFF(review_listen), 0,
     "127.0.0.1:8480", 0, 0, NULL},
    {"review_tls_cert", SG_CONF_STRING, OFF(review_tls_cert), 0, "", 0, 0,
     NULL},
    {"review_tls_key", SG_CONF_STRING, OFF(review_tls_key), 0, "", 0, 0,
     NULL},
    {"review_auth", SG_CONF_ENUM, OFF(review_auth), 0, "file", 0, 0,
     review_auths},
    {"review_password_file", SG_CONF_STRING, OFF(review_password_file), 0,
     SG_SYSCONFDIR "/review-passwords", 0, 0, NULL},
    {"review_dsl_group", SG_CONF_STRING, OFF(review_dsl_group), 0, "", 0, 0,
     NULL},
    {"review_login_attributes", SG_CONF_LIST, OFF(review_login_attributes),
     OFF(n_review_login_attributes),
     "uid mail userPrincipalName sAMAccountName", 0, 0, NULL},
    {"review_session_idle", SG_CONF_DURATION, OFF(review_session_idle), 0,
     "15m", 60, DAY, NULL},
    {"review_session_max", SG_CONF_DURATION, OFF(review_session_max), 0, "8h",
     5 * 60, 7 * DAY, NULL},
    {"review_login_attempts", SG_CONF_INT, OFF(review_login_attempts), 0, "5",
     1, 100, NULL},
    {"review_login_lockout", SG_CONF_DURATION, OFF(review_login_lockout), 0,
     "15m", 60, DAY, NULL},
    {"review_trusted_proxy", SG_CONF_LIST, OFF(review_trusted_proxy),
     OFF(n_review_trusted_proxy), "", 0, 0, NULL},
    {"review_request_timeout", SG_CONF_DURATION, OFF(review_request_timeout),
     0, "30s", 1, 3600, NULL},
    {"review_client_connections", SG_CONF_INT,
     OFF(review_client_connections), 0, "16", 1, 1000, NULL},
    {"review_max_connections", SG_CONF_INT, OFF(review_max_connections), 0,
     "256", 1, 10000, NULL},

    /* Attachment text, read by the helper safeguard-extract(8). */
    {"extract_attachments", SG_CONF_BOOL, OFF(extract.enabled), 0, "yes", 0,
     0, NULL},
    {"extract_helper", SG_CONF_STRING, OFF(extract.helper), 0,
     SG_PKGLIBEXECDIR "/safeguard-extract", 0, 0, NULL},
    {"extract_timeout", SG_CONF_DURATION, OFF(extract.timeout), 0, "10s", 1,
     300, NULL},
    {"extract_message_timeout", SG_CONF_DURATION,
     OFF(extract.message_timeout), 0, "60s", 1, 3600, NULL},
    {"extract_max_attachments", SG_CONF_INT, OFF(extract.max_attachments), 0,
     "32", 1, 1000, NULL},
    {"extract_max_size", SG_CONF_SIZE, OFF(extract.max_size), 0, "32m", 1024,
     (long long)1 << 30, NULL},
    {"extract_max_text", SG_CONF_SIZE, OFF(extract.max_text), 0, "4m", 1024,
     (long long)1 << 30, NULL},
    {"extract_memory", SG_CONF_SIZE, OFF(extract.memory), 0, "512m",
     (long long)64 << 20, (long long)16 << 30, NULL},

    /* The school directory (safeguard-directory(5)).  A NULL default keeps
     * the library's own (sg_dir_config_init), so it is written once. */
    {"directory_backend", SG_CONF_ENUM, DIR(backend), 0, NULL, 0, 0,
     dir_backends},
    {"directory_file", SG_CONF_STRING, DIR(file_path), 0, NULL, 0, 0, NULL},
    {"roles", SG_CONF_LIST, DIR(roles), DIR(n_roles), NULL, 0, 0, NULL},
    {"recipient_delimiter", SG_CONF_STRING, DIR(recipient_delimiter), 0, NULL,
     0, 0, NULL},
    {"role_pupil", SG_CONF_STRING, DIR(role_pupil), 0, NULL, 0, 0, NULL},
    {"role_former_pupil", SG_CONF_STRING, DIR(role_former_pupil), 0, NULL, 0,
     0, NULL},
    {"role_former_pupil_under_18", SG_CONF_STRING,
     DIR(role_former_pupil_under_18), 0, NULL, 0, 0, NULL},
    {"unknown_age_is_minor", SG_CONF_BOOL, DIR(unknown_age_is_minor), 0, NULL,
     0, 0, NULL},
    {"cache_size", SG_CONF_INT, DIR(cache_size), 0, NULL, 0, 10000000, NULL},
    {"cache_ttl", SG_CONF_DURATION, DIR(cache_ttl), 0, NULL, 1, DAY, NULL},
    {"cache_negative_ttl", SG_CONF_DURATION, DIR(cache_negative_ttl), 0, NULL,
     1, DAY, NULL},
    {"stale_max_age", SG_CONF_DURATION, DIR(stale_max_age), 0, NULL, 0,
     7 * DAY, NULL},
    {"ldap_uri", SG_CONF_LIST, DIR(ldap_uris), DIR(n_ldap_uris), NULL, 0, 0,
     NULL},
    {"ldap_base", SG_CONF_STRING, DIR(ldap_base), 0, NULL, 0, 0, NULL},
    {"ldap_bind_dn", SG_CONF_STRING, DIR(ldap_bind_dn), 0, NULL, 0, 0, NULL},
    {"ldap_bind_password_file", SG_CONF_STRING, DIR(ldap_bind_password_file),
     0, NULL, 0, 0, NULL},
    {"ldap_starttls", SG_CONF_BOOL, DIR(ldap_starttls), 0, NULL, 0, 0, NULL},
    {"ldap_tls_ca_file", SG_CONF_STRING, DIR(ldap_tls_ca_file), 0, NULL, 0, 0,
     NULL},
    {"ldap_tls_verify", SG_CONF_BOOL, DIR(ldap_tls_verify), 0, NULL, 0, 0,
     NULL},
    {"ldap_connect_timeout", SG_CONF_DURATION, DIR(ldap_connect_timeout), 0,
     NULL, 1, 300, NULL},
    {"ldap_timeout", SG_CONF_DURATION, DIR(ldap_timeout), 0, NULL, 1, 300,
     NULL},
    {"ldap_pool_size", SG_CONF_INT, DIR(ldap_pool_size), 0, NULL, 1, 256,
     NULL},
    {"ldap_user_filter", SG_CONF_STRING, DIR(ldap_user_filter), 0, NULL, 0, 0,
     NULL},
    {"ldap_mail_attribute", SG_CONF_STRING, DIR(ldap_mail_attribute), 0, NULL,
     0, 0, NULL},
    {"ldap_proxy_attribute", SG_CONF_STRING, DIR(ldap_proxy_attribute), 0,
     NULL, 0, 0, NULL},
    {"ldap_alias_attributes", SG_CONF_LIST, DIR(ldap_alias_attributes),
     DIR(n_ldap_alias_attributes), NULL, 0, 0, NULL},
    {"ldap_personal_attribute", SG_CONF_STRING, DIR(ldap_personal_attribute),
     0, NULL, 0, 0, NULL},
    {"ldap_children_attribute", SG_CONF_STRING, DIR(ldap_children_attribute),
     0, NULL, 0, 0, NULL},
    {"ldap_name_attribute", SG_CONF_STRING, DIR(ldap_name_attribute), 0, NULL,
     0, 0, NULL},
    {"ldap_dob_attribute", SG_CONF_STRING, DIR(ldap_dob_attribute), 0, NULL, 0,
     0, NULL},
    {"ldap_left_attribute", SG_CONF_STRING, DIR(ldap_left_attribute), 0, NULL,
     0, 0, NULL},
    {"ldap_memberof_attribute", SG_CONF_STRING, DIR(ldap_memberof_attribute),
     0, NULL, 0, 0, NULL},
    {"ldap_role_filter", SG_CONF_MAP, DIR(ldap_role_filters),
     DIR(n_ldap_role_filters), NULL, 0, 0, NULL},
    {"ldap_role_group", SG_CONF_MAP, DIR(ldap_role_groups),
     DIR(n_ldap_role_groups), NULL, 0, 0, NULL},
    {"ldap_use_in_chain", SG_CONF_BOOL, DIR(ldap_use_in_chain), 0, NULL, 0, 0,
     NULL},
    {"ldap_group_ttl", SG_CONF_DURATION, DIR(ldap_group_ttl), 0, NULL, 1, DAY,
     NULL},
    {"ldap_page_size", SG_CONF_INT, DIR(ldap_page_size), 0, NULL, 1, 100000,
     NULL},
    {"ldap_disabled_filter", SG_CONF_STRING, DIR(ldap_disabled_filter), 0,
     NULL, 0, 0, NULL},
    {"ldap_disabled_role", SG_CONF_STRING, DIR(ldap_disabled_role), 0, NULL, 0,
     0, NULL},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL},
};

static _Thread_local char conf_error[1024];

__attribute__((format(printf, 3, 4))) static const char *
set_error(const char *file, unsigned line, const char *fmt, ...)
{
    int n = line > 0 ? snprintf(conf_error, sizeof(conf_error), "%s:%u: ",
                                file, line)
                     : snprintf(conf_error, sizeof(conf_error), "%s: ", file);
    if (n < 0 || (size_t)n >= sizeof(conf_error))
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(conf_error + n, sizeof(conf_error) - (size_t)n, fmt, ap);
    va_end(ap);
    return conf_error;
}

/* The line of cfg's file where the key name was set; 0 when it was not
 * (a default, the command line). */
static unsigned
key_line(const struct sg_config *cfg, const char *name)
{
    if (cfg->key_lines == NULL)
        return 0;
    for (size_t i = 0; sg_conf_table[i].name != NULL; i++)
        if (strcmp(sg_conf_table[i].name, name) == 0)
            return cfg->key_lines[i];
    return 0;
}

/* The entry for a setting name; for a map, NAME.KEY, with *key_r set. */
static const struct sg_conf_entry *
find_entry(const char *name, const char **key_r)
{
    *key_r = NULL;
    for (const struct sg_conf_entry *e = sg_conf_table; e->name != NULL; e++) {
        size_t len = strlen(e->name);
        if (e->type == SG_CONF_MAP) {
            if (strncmp(name, e->name, len) == 0 && name[len] == '.' &&
                name[len + 1] != '\0') {
                *key_r = name + len + 1;
                return e;
            }
        } else if (strcmp(e->name, name) == 0) {
            return e;
        }
    }
    return NULL;
}

static void *
field(struct sg_config *cfg, size_t offset)
{
    return (char *)cfg + offset;
}

static const void *
cfield(const struct sg_config *cfg, size_t offset)
{
    return (const char *)cfg + offset;
}

/* Parse a whole number with an optional one-letter unit suffix. */
static int
parse_scaled(const char *value, const char *units, const long long *scales,
             long long *out_r, const char **why_r)
{
    errno = 0;
    char *end;
    if (!isdigit((unsigned char)value[0])) {
        *why_r = "is not a whole number";
        return -1;
    }
    long long n = strtoll(value, &end, 10);
    if (errno == ERANGE) {
        *why_r = "is too large";
        return -1;
    }
    long long scale = 1;
    if (*end != '\0') {
        const char *u = units != NULL ? strchr(units, tolower((unsigned char)*end))
                                      : NULL;
        if (u == NULL || end[1] != '\0') {
            *why_r = "has an unknown unit suffix";
            return -1;
        }
        scale = scales[u - units];
    }
    if (n > 0 && n > LLONG_MAX / scale) {
        *why_r = "is too large";
        return -1;
    }
    *out_r = n * scale;
    return 0;
}

/* Split value into items at commas, and at white space too unless
 * csv; items are trimmed and empty ones dropped. */
static int
split_list(const char *value, bool csv, char ***vec, size_t *n)
{
    const char *p = value;
    while (*p != '\0') {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ',' &&
               (csv || !isspace((unsigned char)*p)))
            p++;
        const char *end = p;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        if (end > start) {
            char *word = strndup(start, (size_t)(end - start));
            if (word == NULL || sg_strv_push(vec, n, word) < 0) {
                free(word);
                return -1;
            }
            free(word);
        }
    }
    return 0;
}

/* NAME.KEY = value: add "KEY=value" to the entry's list, once per KEY. */
static int
map_add(struct sg_config *cfg, const struct sg_conf_entry *e, const char *key,
        const char *value, const char **why_r)
{
    char ***vec = (char ***)field(cfg, e->offset);
    size_t *count = (size_t *)field(cfg, e->count_offset);
    size_t klen = strlen(key);
    if (*value == '\0') {
        *why_r = "is empty";
        return -1;
    }
    for (size_t i = 0; i < *count; i++) {
        if (strncasecmp((*vec)[i], key, klen) == 0 && (*vec)[i][klen] == '=') {
            *why_r = "is given twice for the same name";
            return -1;
        }
    }
    struct sg_buf item = SG_BUF_INIT;
    int rc = sg_buf_printf(&item, "%s=%s", key, value) < 0 ||
                     sg_strv_push(vec, count, item.data) < 0
                 ? -1
                 : 0;
    sg_buf_free(&item);
    if (rc < 0)
        *why_r = "out of memory";
    return rc;
}

/* Store value into the field of e.  why_r explains a rejection. */
static int
set_value(struct sg_config *cfg, const struct sg_conf_entry *e,
          const char *key, const char *value, const char **why_r)
{
    static const long long size_scales[] = {1024LL, 1024LL * 1024,
                                            1024LL * 1024 * 1024};
    static const long long time_scales[] = {1, 60, 3600, 86400};
    long long n = 0;
    void *f = field(cfg, e->offset);

    switch (e->type) {
    case SG_CONF_STRING: {
        char *copy = strdup(value);
        if (copy == NULL) {
            *why_r = "out of memory";
            return -1;
        }
        free(*(char **)f);
        *(char **)f = copy;
        return 0;
    }
    case SG_CONF_BOOL:
        if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
            strcmp(value, "1") == 0)
            *(bool *)f = true;
        else if (strcasecmp(value, "no") == 0 ||
                 strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
            *(bool *)f = false;
        else {
            *why_r = "must be yes or no";
            return -1;
        }
        return 0;
    case SG_CONF_ENUM:
        for (int i = 0; e->choices[i] != NULL; i++) {
            if (strcasecmp(value, e->choices[i]) == 0) {
                *(int *)f = i;
                return 0;
            }
        }
        *why_r = "is not one of the allowed values";
        return -1;
    case SG_CONF_LIST:
    case SG_CONF_CSV: {
        char ***vec = (char ***)f;
        size_t *count = (size_t *)field(cfg, e->count_offset);
        sg_strv_free(vec, count);
        if (split_list(value, e->type == SG_CONF_CSV, vec, count) < 0) {
            *why_r = "out of memory";
            return -1;
        }
        return 0;
    }
    case SG_CONF_MAP:
        return map_add(cfg, e, key, value, why_r);
    case SG_CONF_INT:
        if (parse_scaled(value, NULL, NULL, &n, why_r) < 0)
            return -1;
        break;
    case SG_CONF_SIZE:
        if (parse_scaled(value, "kmg", size_scales, &n, why_r) < 0)
            return -1;
        break;
    case SG_CONF_DURATION:
        if (parse_scaled(value, "smhd", time_scales, &n, why_r) < 0)
            return -1;
        break;
    }
    if (n < e->min || n > e->max) {
        *why_r = "is out of range";
        return -1;
    }
    if (e->type == SG_CONF_SIZE)
        *(uint64_t *)f = (uint64_t)n;
    else
        *(int *)f = (int)n;
    return 0;
}

static const char *
describe_bounds(const struct sg_conf_entry *e, char *buf, size_t len)
{
    switch (e->type) {
    case SG_CONF_ENUM: {
        struct sg_buf b = SG_BUF_INIT;
        for (int i = 0; e->choices[i] != NULL; i++)
            sg_buf_printf(&b, "%s%s", i > 0 ? ", " : "", e->choices[i]);
        snprintf(buf, len, " (one of: %s)", b.data != NULL ? b.data : "");
        sg_buf_free(&b);
        return buf;
    }
    case SG_CONF_INT:
    case SG_CONF_SIZE:
    case SG_CONF_DURATION:
        snprintf(buf, len, " (from %lld to %lld%s)", e->min, e->max,
                 e->type == SG_CONF_SIZE       ? " bytes; k, m, g allowed"
                 : e->type == SG_CONF_DURATION ? " seconds; s, m, h, d allowed"
                                               : "");
        return buf;
    default:
        return "";
    }
}

/* Checks of values beyond their type, so that a mistake is reported with
 * the file and line of its setting.  Each gets one item (of a list, each
 * in turn); 0, or -1 with *why_r. */
typedef int item_check_fn(const char *item, const char **why_r);

static int
check_address(const char *item, const char **why_r)
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

static int
check_network(const char *item, const char **why_r)
{
    struct sg_network net;
    return sg_network_parse(item, &net, why_r);
}

static int
check_timezone(const char *item, const char **why_r)
{
    struct sg_tz *tz = NULL;
    if (strcmp(item, "UTC") == 0)
        return 0; /* built in (rules_new) */
    int rc = sg_tz_load(item, NULL, &tz, why_r);
    sg_tz_free(&tz);
    return rc;
}

static const struct {
    const char *name;
    item_check_fn *check;
} item_checks[] = {
    {"trusted_networks", check_network}, {"timezone", check_timezone},
    {"journal_address", check_address},  {"notice_from", check_address},
    {"dsl_addresses", check_address},
    {"review_trusted_proxy", check_network},
    {"personal_email_domains", sg_rules_personal_domain_check},
    {"school_social_accounts", sg_rules_social_account_check},
};

/* The checks of item_checks on e's value in cfg (empty strings pass: they
 * mean "none"). */
static int
check_items(const struct sg_config *cfg, const struct sg_conf_entry *e,
            const char **item_r, const char **why_r)
{
    for (size_t i = 0; i < sizeof(item_checks) / sizeof(*item_checks); i++) {
        if (strcmp(item_checks[i].name, e->name) != 0)
            continue;
        const void *f = cfield(cfg, e->offset);
        if (e->type == SG_CONF_STRING) {
            const char *v = *(char *const *)f;
            *item_r = v;
            return v[0] == '\0' ? 0 : item_checks[i].check(v, why_r);
        }
        char *const *vec = *(char **const *)f;
        size_t n = *(const size_t *)cfield(cfg, e->count_offset);
        for (size_t k = 0; k < n; k++) {
            *item_r = vec[k];
            if (item_checks[i].check(vec[k], why_r) < 0)
                return -1;
        }
    }
    return 0;
}

static int
apply(struct sg_config *cfg, const char *file, unsigned line,
      const char *name, const char *value, const char **error_r)
{
    const char *key;
    const struct sg_conf_entry *e = find_entry(name, &key);
    if (e == NULL) {
        for (e = sg_conf_table; e->name != NULL; e++)
            if (e->type == SG_CONF_MAP && strncmp(name, e->name,
                                                  strlen(e->name)) == 0)
                break;
        if (e->name != NULL)
            *error_r = set_error(file, line, "%s needs a name after a dot, "
                                 "e.g. %s.staff = ...", name, e->name);
        else
            *error_r = set_error(file, line, "unknown setting \"%s\"", name);
        return -1;
    }
    const char *why = "is not valid";
    if (set_value(cfg, e, key, value, &why) < 0) {
        char bounds[256];
        *error_r = set_error(file, line, "%s = \"%s\": value %s%s", name,
                             value, why, describe_bounds(e, bounds,
                                                         sizeof(bounds)));
        return -1;
    }
    const char *item = value;
    if (check_items(cfg, e, &item, &why) < 0) {
        if (strcmp(item, value) == 0)
            *error_r = set_error(file, line, "%s = \"%s\": %s", name, value,
                                 why);
        else
            *error_r = set_error(file, line, "%s = \"%s\": \"%s\" %s", name,
                                 value, item, why);
        return -1;
    }
    return 0;
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

/* The review web page's settings that go together. */
static int
finish_review(const struct sg_config *cfg, const char *file,
              const char **error_r)
{
    char host[256];
    unsigned port;
    const char *why;
    if (sg_config_listen(cfg->review_listen, host, sizeof(host), &port,
                         &why) < 0) {
        *error_r = set_error(file, 0, "review_listen = \"%s\": %s (e.g. "
                             "127.0.0.1:8480 or [::1]:8480)",
                             cfg->review_listen, why);
        return -1;
    }
    if ((cfg->review_tls_cert[0] == '\0') !=
        (cfg->review_tls_key[0] == '\0')) {
        *error_r = set_error(file, 0, "review_tls_cert and review_tls_key "
                             "go together: set both or neither");
        return -1;
    }
    if (cfg->review_auth == SG_REVIEW_AUTH_LDAP &&
        cfg->dir.backend != SG_DIR_BACKEND_LDAP) {
        *error_r = set_error(file, 0, "review_auth = ldap needs "
                             "directory_backend = ldap (the logins are "
                             "checked against that directory)");
        return -1;
    }
    if (cfg->review_auth == SG_REVIEW_AUTH_LDAP &&
        cfg->review_dsl_group[0] == '\0') {
        *error_r = set_error(file, 0, "review_auth = ldap needs "
                             "review_dsl_group: without it anyone in the "
                             "directory could log in to the review page");
        return -1;
    }
    return 0;
}

/* Checks across keys and derived fields, after all keys are set. */
static int
finish(struct sg_config *cfg, const char *file, const char **error_r)
{
    free(cfg->networks);
    cfg->networks = NULL;
    cfg->n_networks = 0;
    if (cfg->n_trusted_networks > 0) {
        cfg->networks =
            calloc(cfg->n_trusted_networks, sizeof(struct sg_network));
        if (cfg->networks == NULL) {
            *error_r = set_error(file, 0, "out of memory");
            return -1;
        }
    }
    for (size_t i = 0; i < cfg->n_trusted_networks; i++) {
        const char *why;
        if (sg_network_parse(cfg->trusted_networks[i], &cfg->networks[i],
                             &why) < 0) {
            *error_r = set_error(file, key_line(cfg, "trusted_networks"),
                                 "trusted_networks: \"%s\": %s",
                                 cfg->trusted_networks[i], why);
            return -1;
        }
        cfg->n_networks++;
    }
    if (sg_log_facility(cfg->syslog_facility) < 0) {
        *error_r = set_error(file, 0,
                             "syslog_facility = \"%s\": not a syslog facility "
                             "(mail, daemon, local0 ... local7)",
                             cfg->syslog_facility);
        return -1;
    }
    if (strncmp(cfg->socket, "unix:", 5) != 0 &&
        strncmp(cfg->socket, "local:", 6) != 0 &&
        strncmp(cfg->socket, "inet:", 5) != 0 &&
        strncmp(cfg->socket, "inet6:", 6) != 0) {
        *error_r = set_error(file, 0,
                             "socket = \"%s\": must start with unix:, inet: "
                             "or inet6: (e.g. unix:/run/safeguard-milter/"
                             "safeguard-milter.sock or inet:8891@127.0.0.1)",
                             cfg->socket);
        return -1;
    }
    return finish_review(cfg, file, error_r);
}

static struct sg_config *
config_new_defaults(const char **error_r)
{
    struct sg_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL) {
        *error_r = "out of memory";
        return NULL;
    }
    atomic_init(&cfg->refs, 1);
    pthread_mutex_init(&cfg->quarantine_lock, NULL);
    sg_dir_config_init(&cfg->dir);
    sg_review_settings_init(&cfg->review);
    for (const struct sg_conf_entry *e = sg_conf_table; e->name != NULL; e++) {
        const char *why = "is not valid";
        if (e->def == NULL) {
            /* keep the library's default, but own the string */
            char **s = (char **)field(cfg, e->offset);
            if (e->type == SG_CONF_STRING && *s != NULL &&
                (*s = strdup(*s)) == NULL) {
                *error_r = "out of memory";
                sg_config_unref(&cfg);
                return NULL;
            }
            continue;
        }
        if (set_value(cfg, e, NULL, e->def, &why) < 0) {
            *error_r = set_error("built-in defaults", 0, "%s %s", e->name,
                                 why);
            sg_config_unref(&cfg);
            return NULL;
        }
    }
    return cfg;
}

struct sg_config *
sg_config_defaults(const char **error_r)
{
    struct sg_config *cfg = config_new_defaults(error_r);
    if (cfg != NULL && finish(cfg, "built-in defaults", error_r) < 0)
        sg_config_unref(&cfg);
    return cfg;
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Remove a pair of surrounding double quotes, handling \" and \\.
 * -1 if a quote is unbalanced. */
static int
unquote(char *value)
{
    size_t len = strlen(value);
    if (len == 0 || value[0] != '"')
        return strchr(value, '"') != NULL ? -1 : 0;
    if (len < 2 || value[len - 1] != '"')
        return -1;
    char *w = value;
    for (size_t i = 1; i < len - 1; i++) {
        if (value[i] == '\\' && i + 1 < len - 1)
            i++;
        else if (value[i] == '"')
            return -1;
        *w++ = value[i];
    }
    *w = '\0';
    return 0;
}

/* One logical line (continuations already joined). */
static int
parse_line(struct sg_config *cfg, const char *file, unsigned line, char *text,
           unsigned *seen_at, const char **error_r)
{
    char *s = trim(text);
    if (*s == '\0')
        return 0;
    char *eq = strchr(s, '=');
    if (eq == NULL) {
        *error_r = set_error(file, line, "expected \"name = value\", got \"%s\"",
                             s);
        return -1;
    }
    *eq = '\0';
    char *name = trim(s);
    char *value = trim(eq + 1);
    if (*name == '\0') {
        *error_r = set_error(file, line, "missing setting name before \"=\"");
        return -1;
    }
    for (char *p = name; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.') {
            *error_r = set_error(file, line, "\"%s\" is not a setting name",
                                 name);
            return -1;
        }
    }
    if (unquote(value) < 0) {
        *error_r = set_error(file, line, "%s: unbalanced double quote", name);
        return -1;
    }
    const char *key;
    const struct sg_conf_entry *e = find_entry(name, &key);
    if (e != NULL && e->type != SG_CONF_MAP) {
        size_t idx = (size_t)(e - sg_conf_table);
        if (seen_at[idx] != 0) {
            *error_r = set_error(file, line, "%s is set twice (first at line "
                                 "%u)", name, seen_at[idx]);
            return -1;
        }
        seen_at[idx] = line;
    }
    return apply(cfg, file, line, name, value, error_r);
}

static int
strip_comment(char *line)
{
    /* '#' starts a comment unless inside double quotes */
    bool quoted = false;
    for (char *p = line; *p != '\0'; p++) {
        if (*p == '\\' && quoted && p[1] != '\0')
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (*p == '#' && !quoted) {
            *p = '\0';
            break;
        }
    }
    return 0;
}

static struct sg_config *
load_stream(FILE *fp, const char *name, const char **error_r)
{
    struct sg_config *cfg = config_new_defaults(error_r);
    if (cfg == NULL)
        return NULL;
    size_t n_entries = 0;
    while (sg_conf_table[n_entries].name != NULL)
        n_entries++;
    unsigned *seen_at = calloc(n_entries, sizeof(unsigned));
    struct sg_buf logical = SG_BUF_INIT;
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0, logical_line = 0;
    int ret = seen_at == NULL ? -1 : 0;
    if (ret < 0)
        *error_r = set_error(name, 0, "out of memory");

    while (ret == 0) {
        ssize_t got = getline(&line, &cap, fp);
        if (got < 0)
            break;
        lineno++;
        if (memchr(line, '\0', (size_t)got) != NULL) {
            *error_r = set_error(name, lineno, "contains a NUL byte");
            ret = -1;
            break;
        }
        strip_comment(line);
        bool continuation = (line[0] == ' ' || line[0] == '\t');
        bool blank = trim(line)[0] == '\0';
        if (continuation && !blank && logical.len > 0) {
            sg_buf_putc(&logical, ' ');
            sg_buf_puts(&logical, trim(line));
            continue;
        }
        if (continuation && !blank) {
            *error_r = set_error(name, lineno, "continuation line (starting "
                                 "with white space) with nothing to continue");
            ret = -1;
            break;
        }
        if (logical.len > 0)
            ret = parse_line(cfg, name, logical_line, logical.data, seen_at,
                             error_r);
        sg_buf_reset(&logical);
        if (!blank) {
            if (sg_buf_puts(&logical, line) < 0) {
                *error_r = set_error(name, lineno, "out of memory");
                ret = -1;
            }
            logical_line = lineno;
        }
    }
    if (ret == 0 && ferror(fp)) {
        *error_r = set_error(name, lineno, "read error: %s", strerror(errno));
        ret = -1;
    }
    if (ret == 0 && logical.len > 0)
        ret = parse_line(cfg, name, logical_line, logical.data, seen_at,
                         error_r);
    if (ret == 0) {
        cfg->key_lines = seen_at; /* for errors found later (finish, open) */
        seen_at = NULL;
        ret = finish(cfg, name, error_r);
    }
    free(line);
    free(seen_at);
    sg_buf_free(&logical);
    if (ret < 0) {
        sg_config_unref(&cfg);
        return NULL;
    }
    cfg->path = strdup(name);
    return cfg;
}

struct sg_config *
sg_config_load(const char *path, const char **error_r)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        *error_r = set_error(path, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct sg_config *cfg = load_stream(fp, path, error_r);
    fclose(fp);
    return cfg;
}

struct sg_config *
sg_config_load_default(const char *path, bool must_exist,
                       const char **error_r)
{
    if (!must_exist && access(path, F_OK) != 0)
        return sg_config_defaults(error_r);
    return sg_config_load(path, error_r);
}

struct sg_config *
sg_config_load_string(const char *text, const char *name,
                      const char **error_r)
{
    FILE *fp = fmemopen((void *)(uintptr_t)text, strlen(text), "r");
    if (fp == NULL) {
        *error_r = set_error(name, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    struct sg_config *cfg = load_stream(fp, name, error_r);
    fclose(fp);
    return cfg;
}

static const char *
config_name(const struct sg_config *cfg)
{
    return cfg->path != NULL ? cfg->path : "configuration";
}

/* Without a directory every address counts as external, and the rules
 * about staff and pupils never match: so there must be one, unless
 * directory_backend = none says outright that there is none. */
static int
open_directory(struct sg_config *cfg, const char **error_r)
{
    bool has_file = cfg->dir.file_path != NULL && cfg->dir.file_path[0] != '\0';
    if (cfg->directory != NULL)
        return 0;
    if (cfg->dir.backend == SG_DIR_BACKEND_NONE) {
        if (!has_file)
            return 0;
        *error_r = set_error(config_name(cfg),
                             key_line(cfg, "directory_file"),
                             "directory_file is set, but directory_backend "
                             "= none (line %u) says there is no directory",
                             key_line(cfg, "directory_backend"));
        return -1;
    }
    if (cfg->dir.backend == SG_DIR_BACKEND_FILE && !has_file) {
        *error_r = set_error(config_name(cfg), 0,
                             "no directory configured: set directory_file, "
                             "or directory_backend = ldap with the ldap_* "
                             "settings; say directory_backend = none to run "
                             "without one (every address then counts as "
                             "external)");
        return -1;
    }
    const char *why = NULL;
    if (sg_dir_new(&cfg->dir, &cfg->directory, &why) != SG_DIR_FOUND) {
        *error_r = set_error(config_name(cfg), 0, "directory: %s",
                             why != NULL ? why : "cannot open");
        return -1;
    }
    return 0;
}

/* The rules see the school through these options; the lists are the
 * config's own (the library copies what it keeps). */
static int
open_rules(struct sg_config *cfg, const char **error_r)
{
    if (cfg->rules != NULL)
        return 0;
    if (cfg->rules_file[0] == '\0') {
        if (cfg->allow_no_rules)
            return 0;
        *error_r = set_error(config_name(cfg), key_line(cfg, "rules_file"),
                             "rules_file is empty: no rule would apply and "
                             "every message would be accepted (say "
                             "allow_no_rules = yes if that is meant)");
        return -1;
    }
    char **known = NULL;
    size_t n_known = 0;
    if (sg_dir_known_roles(&cfg->dir, &known, &n_known) < 0) {
        *error_r = set_error(config_name(cfg), 0, "out of memory");
        return -1;
    }
    struct sg_rules_options opt;
    memset(&opt, 0, sizeof(opt));
    opt.school_domains = (const char *const *)cfg->school_domains;
    opt.n_school_domains = cfg->n_school_domains;
    opt.school_phone_numbers = (const char *const *)cfg->school_phone_numbers;
    opt.n_school_phone_numbers = cfg->n_school_phone_numbers;
    opt.school_postcodes = (const char *const *)cfg->school_postcodes;
    opt.n_school_postcodes = cfg->n_school_postcodes;
    opt.school_social_accounts =
        (const char *const *)cfg->school_social_accounts;
    opt.n_school_social_accounts = cfg->n_school_social_accounts;
    opt.personal_email_domains =
        (const char *const *)cfg->personal_email_domains;
    opt.n_personal_email_domains = cfg->n_personal_email_domains;
    opt.timezone = cfg->timezone;
    opt.image_small_pixels = (unsigned long)cfg->image_small_pixels;
    opt.image_small_bytes = cfg->image_small_bytes;
    opt.dsl_contact = cfg->dsl_contact;
    opt.known_roles = (const char *const *)known;
    opt.n_known_roles = n_known;
    const char *why = NULL;
    int rc = sg_rules_load(cfg->rules_file, &opt, &cfg->rules, &why);
    sg_strv_free(&known, &n_known);
    if (rc < 0) {
        /* the rules' errors already name their file, line and column */
        *error_r = set_error("rules_file", 0, "%s",
                             why != NULL ? why : "cannot load");
        return -1;
    }
    if (sg_rules_count(cfg->rules) == 0 && !cfg->allow_no_rules) {
        sg_rules_free(&cfg->rules);
        *error_r = set_error(config_name(cfg), key_line(cfg, "rules_file"),
                             "rules_file = %s holds no rule (it is empty or "
                             "only comments): every message would be "
                             "accepted (say allow_no_rules = yes if that is "
                             "meant)",
                             cfg->rules_file);
        return -1;
    }
    return 0;
}

static int
open_register(struct sg_config *cfg, const char **error_r)
{
    if (cfg->exceptions_register[0] == '\0' || cfg->exceptions != NULL)
        return 0;
    const char *why = NULL;
    if (sg_register_load(cfg->exceptions_register, &cfg->exceptions, &why) <
        0) {
        *error_r = set_error("exceptions_register", 0, "%s",
                             why != NULL ? why : "cannot load");
        return -1;
    }
    return 0;
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
        .timeout = (unsigned)cfg->notice_timeout,
    };
}

/* Notices are on when notice_from is set; then everything they need
 * (templates, secret, sendmail, DSL addresses) must be there. */
static int
open_notice(struct sg_config *cfg, const char **error_r)
{
    if (cfg->notice_from[0] == '\0' || cfg->notice != NULL)
        return 0;
    struct sg_notice_config nc;
    sg_config_notice(cfg, &nc);
    const char *why = NULL;
    if (sg_notice_open(&nc, &cfg->notice, &why) < 0) {
        *error_r = set_error(cfg->path != NULL ? cfg->path : "configuration",
                             0, "notices: %s", why != NULL ? why : "cannot "
                                                                   "open");
        return -1;
    }
    return 0;
}

/* Attachments are read by a helper: one named in the file that is not
 * there would leave every attachment unread (and every message with one
 * held), so that is a mistake in the file, said at once. */
static int
open_extract(const struct sg_config *cfg, const char **error_r)
{
    const struct sg_extract_opts *x = &cfg->extract;
    unsigned line = key_line(cfg, "extract_helper");
    /* a default path not installed (a build tree) is not the file's
     * mistake: each attachment then counts as unreadable */
    if (!x->enabled || line == 0)
        return 0;
    if (x->helper[0] != '/' || access(x->helper, X_OK) != 0) {
        *error_r = set_error(config_name(cfg), line,
                             "extract_helper = %s is not an executable "
                             "program (%s): attachments could not be read; "
                             "give the full path of safeguard-extract, or "
                             "say extract_attachments = no",
                             x->helper,
                             x->helper[0] != '/' ? "not a full path"
                                                 : strerror(errno));
        return -1;
    }
    return 0;
}

int
sg_config_open(struct sg_config *cfg, const char **error_r)
{
    if (open_directory(cfg, error_r) < 0 || open_rules(cfg, error_r) < 0 ||
        open_register(cfg, error_r) < 0 || open_notice(cfg, error_r) < 0 ||
        open_extract(cfg, error_r) < 0)
        return -1;
    return 0;
}

struct sg_store *
sg_config_quarantine(struct sg_config *cfg, const char **error_r)
{
    pthread_mutex_lock(&cfg->quarantine_lock);
    if (cfg->quarantine == NULL &&
        sg_store_open(cfg->quarantine_db, cfg->quarantine_dir, &cfg->quarantine,
                      error_r) < 0)
        cfg->quarantine = NULL;
    struct sg_store *q = cfg->quarantine;
    pthread_mutex_unlock(&cfg->quarantine_lock);
    return q;
}

int
sg_config_set(struct sg_config *cfg, const char *name, const char *value,
              const char **error_r)
{
    if (apply(cfg, "command line", 0, name, value, error_r) < 0)
        return -1;
    return finish(cfg, "command line", error_r);
}

int
sg_config_override(struct sg_config *cfg, const char *const *assignments,
                   size_t n, const char **error_r)
{
    static __thread char err[256];
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(assignments[i], '=');
        if (eq == NULL || eq == assignments[i]) {
            snprintf(err, sizeof(err), "command line: \"%.200s\": expected "
                                       "NAME=VALUE", assignments[i]);
            *error_r = err;
            return -1;
        }
        char *name = strndup(assignments[i], (size_t)(eq - assignments[i]));
        if (name == NULL) {
            *error_r = "out of memory";
            return -1;
        }
        int rc = apply(cfg, "command line", 0, name, eq + 1, error_r);
        free(name);
        if (rc < 0)
            return -1;
    }
    return finish(cfg, "command line", error_r);
}

struct sg_config *
sg_config_ref(struct sg_config *cfg)
{
    atomic_fetch_add(&cfg->refs, 1);
    return cfg;
}

static void
config_free(struct sg_config *cfg)
{
    for (const struct sg_conf_entry *e = sg_conf_table; e->name != NULL; e++) {
        if (e->type == SG_CONF_STRING)
            free(*(char **)field(cfg, e->offset));
        else if (e->type == SG_CONF_LIST || e->type == SG_CONF_CSV ||
                 e->type == SG_CONF_MAP)
            sg_strv_free((char ***)field(cfg, e->offset),
                         (size_t *)field(cfg, e->count_offset));
    }
    sg_dir_free(&cfg->directory);
    sg_rules_free(&cfg->rules);
    sg_register_free(&cfg->exceptions);
    sg_store_close(&cfg->quarantine);
    sg_notice_free(&cfg->notice);
    pthread_mutex_destroy(&cfg->quarantine_lock);
    free(cfg->networks);
    free(cfg->key_lines);
    free(cfg->path);
    free(cfg);
}

void
sg_config_unref(struct sg_config **cfg)
{
    if (*cfg == NULL)
        return;
    if (atomic_fetch_sub(&(*cfg)->refs, 1) == 1)
        config_free(*cfg);
    *cfg = NULL;
}

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sg_config *current;

struct sg_config *
sg_config_current(void)
{
    pthread_mutex_lock(&current_lock);
    struct sg_config *cfg = current != NULL ? sg_config_ref(current) : NULL;
    pthread_mutex_unlock(&current_lock);
    return cfg;
}

void
sg_config_set_current(struct sg_config *cfg)
{
    pthread_mutex_lock(&current_lock);
    struct sg_config *old = current;
    current = cfg;
    pthread_mutex_unlock(&current_lock);
    sg_config_unref(&old);
}

int
sg_config_dump(const struct sg_config *cfg, FILE *out)
{
    for (const struct sg_conf_entry *e = sg_conf_table; e->name != NULL; e++) {
        const void *f = cfield(cfg, e->offset);
        switch (e->type) {
        case SG_CONF_STRING: {
            const char *v = *(char *const *)f;
            fprintf(out, "%s = %s\n", e->name, v != NULL ? v : "");
            break;
        }
        case SG_CONF_MAP: {
            char *const *vec = *(char **const *)f;
            size_t n = *(const size_t *)cfield(cfg, e->count_offset);
            for (size_t i = 0; i < n; i++) {
                const char *eq = strchr(vec[i], '=');
                fprintf(out, "%s.%.*s = %s\n", e->name, (int)(eq - vec[i]),
                        vec[i], eq + 1);
            }
            break;
        }
        case SG_CONF_BOOL:
            fprintf(out, "%s = %s\n", e->name,
                    *(const bool *)f ? "yes" : "no");
            break;
        case SG_CONF_ENUM:
            fprintf(out, "%s = %s\n", e->name, e->choices[*(const int *)f]);
            break;
        case SG_CONF_INT:
        case SG_CONF_DURATION:
            fprintf(out, "%s = %d\n", e->name, *(const int *)f);
            break;
        case SG_CONF_SIZE:
            fprintf(out, "%s = %llu\n", e->name,
                    (unsigned long long)*(const uint64_t *)f);
            break;
        case SG_CONF_LIST:
        case SG_CONF_CSV: {
            char *const *vec = *(char **const *)f;
            size_t n = *(const size_t *)cfield(cfg, e->count_offset);
            fprintf(out, "%s =", e->name);
            for (size_t i = 0; i < n; i++)
                fprintf(out, "%s %s", i > 0 ? "," : "", vec[i]);
            fputc('\n', out);
            break;
        }
        }
    }
    return ferror(out) ? -1 : 0;
}
