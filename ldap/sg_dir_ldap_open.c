/*
 * sg_dir_ldap_open.c - the `ldap` backend's settings: checked without
 * contacting any server (sg_dir_ldap_config_check, which
 * sg_dir_config_check and so `safeguard-milter -n` run), then turned into
 * the backend's state (sg_dir_ldap_build: own copies of the settings,
 * the attribute lists a lookup asks for, the role rules, the connection
 * pool, the bind password); and that state freed.
 *
 * SECURITY: the check opens no connection and looks no host up: URIs are
 * only parsed.  The bind password is read from its file (the check reads
 * it too, to see that it is there and not empty, and wipes its copy),
 * kept in memory only, wiped when the backend is freed, and never put in
 * an error string.  Attribute names and DNs are checked for syntax, so a
 * typo shows at start, not as a failed search on every message.
 * Fails with CONFIG and a message that names the setting, or TEMPFAIL
 * (allocation).  Never logs.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "sg_dir_internal.h"
#include "sg_dir_ldap_int.h"

/* ---------------------------------------------------------------- helpers */

static bool
set(const char *s)
{
    return s != NULL && *s != '\0';
}

static char *
dup_set(const char *s)
{
    return set(s) ? strdup(s) : NULL;
}

/* "(x)" stays, "x" becomes "(x)"; malloc'ed. */
static char *
parenthesise(const char *filter)
{
    size_t n = strlen(filter);
    char *out = malloc(n + 3);
    if (out == NULL)
        return NULL;
    if (filter[0] == '(')
        memcpy(out, filter, n + 1);
    else
        snprintf(out, n + 3, "(%s)", filter);
    return out;
}

/* An attribute description (RFC 4512): a name or OID, options after ';'.
 * Anything else could change the meaning of the filter. */
bool
sg_dir_ldap_attribute_ok(const char *name)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.;";
    return name != NULL && *name != '\0' && *name != ';' &&
           name[strspn(name, chars)] == '\0';
}

bool
sg_dir_ldap_dn_parses(const char *dn)
{
    LDAPDN parsed = NULL;
    bool ok = ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
              parsed != NULL;
    ldap_dnfree(parsed);
    return ok;
}

/* ---------------------------------------------------------------- check */

#define CFG(field) offsetof(struct sg_dir_config, field)

/* A setting by name and place in the configuration; bounds for numbers. */
struct setting {
    const char *name;
    size_t offset;
};

/* Where a check's failure goes: the message, and the setting at fault. */
struct verdict {
    const char **error_r;
    const char *setting;
};

/* Fail with a message about setting; -1. */
__attribute__((format(printf, 3, 4))) static int
fail(struct verdict *v, const char *setting, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    *v->error_r = sg_dir_errorf("%s", msg);
    v->setting = setting;
    return -1;
}

static const char *
cfg_string(const struct sg_dir_config *cfg, size_t offset)
{
    return *(char *const *)(const void *)((const char *)cfg + offset);
}

/* Every URI: a scheme the backend speaks, and one libldap can parse (no
 * host is looked up). */
static int
check_uris(const struct sg_dir_config *cfg, struct verdict *v)
{
    if (cfg->n_ldap_uris == 0)
        return fail(v, "ldap_uri",
                    "ldap_uri is not set (the ldap backend needs at least "
                    "one)");
    for (size_t i = 0; i < cfg->n_ldap_uris; i++) {
        const char *u = cfg->ldap_uris[i];
        if (strncasecmp(u, "ldap://", 7) != 0 &&
            strncasecmp(u, "ldaps://", 8) != 0 &&
            strncasecmp(u, "ldapi://", 8) != 0)
            return fail(v, "ldap_uri",
                        "ldap_uri %s: must start with ldap://, ldaps:// or "
                        "ldapi://",
                        u);
        LDAPURLDesc *lud = NULL;
        int rc = ldap_url_parse(u, &lud);
        bool port_ok =
            lud != NULL && lud->lud_port >= 0 && lud->lud_port <= 65535;
        if (lud != NULL)
            ldap_free_urldesc(lud);
        if (rc != LDAP_URL_SUCCESS || !port_ok)
            return fail(v, "ldap_uri", "ldap_uri %s: not a valid LDAP URI", u);
    }
    return 0;
}

/* An attribute name, when set. */
static int
check_attribute(struct verdict *v, const char *setting, const char *value)
{
    if (!set(value) || sg_dir_ldap_attribute_ok(value))
        return 0;
    return fail(v, setting, "%s \"%s\": not an attribute name", setting, value);
}

/* The base, the service account's DN and the attribute names. */
static int
check_names(const struct sg_dir_config *cfg, struct verdict *v)
{
    static const struct setting attributes[] = {
        {"ldap_mail_attribute", CFG(ldap_mail_attribute)},
        {"ldap_proxy_attribute", CFG(ldap_proxy_attribute)},
        {"ldap_personal_attribute", CFG(ldap_personal_attribute)},
        {"ldap_children_attribute", CFG(ldap_children_attribute)},
        {"ldap_name_attribute", CFG(ldap_name_attribute)},
        {"ldap_dob_attribute", CFG(ldap_dob_attribute)},
        {"ldap_left_attribute", CFG(ldap_left_attribute)},
        {"ldap_upn_attribute", CFG(ldap_upn_attribute)},
        {"ldap_memberof_attribute", CFG(ldap_memberof_attribute)},
    };
    if (!set(cfg->ldap_base))
        return fail(v, "ldap_base", "ldap_base is not set");
    if (!sg_dir_ldap_dn_parses(cfg->ldap_base))
        return fail(v, "ldap_base", "ldap_base %s: not a DN", cfg->ldap_base);
    if (!set(cfg->ldap_mail_attribute))
        return fail(v, "ldap_mail_attribute", "ldap_mail_attribute is not set");
    for (size_t i = 0; i < sizeof(attributes) / sizeof(*attributes); i++)
        if (check_attribute(v, attributes[i].name,
                            cfg_string(cfg, attributes[i].offset)) < 0)
            return -1;
    for (size_t i = 0; i < cfg->n_ldap_alias_attributes; i++)
        if (check_attribute(v, "ldap_alias_attributes",
                            cfg->ldap_alias_attributes[i]) < 0)
            return -1;
    if (set(cfg->ldap_bind_dn) != set(cfg->ldap_bind_password_file))
        return fail(v,
                    set(cfg->ldap_bind_dn) ? "ldap_bind_dn"
                                           : "ldap_bind_password_file",
                    "ldap_bind_dn and ldap_bind_password_file go together");
    if (set(cfg->ldap_bind_dn) && !sg_dir_ldap_dn_parses(cfg->ldap_bind_dn))
        return fail(v, "ldap_bind_dn", "ldap_bind_dn %s: not a DN",
                    cfg->ldap_bind_dn);
    return 0;
}

/* The CA bundle must hold a PEM certificate (libldap reads PEM only). */
static int
check_ca_file(const char *path, struct verdict *v)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return fail(v, "ldap_tls_ca_file",
                    "cannot open ldap_tls_ca_file %s: %s", path,
                    strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    bool found = false;
    while (!found && getline(&line, &cap, fp) >= 0)
        found = strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0;
    free(line);
    fclose(fp);
    if (!found)
        return fail(v, "ldap_tls_ca_file",
                    "ldap_tls_ca_file %s: no certificate in it (PEM, "
                    "-----BEGIN CERTIFICATE-----)",
                    path);
    return 0;
}

/* The files the backend reads: the bind password, the CA bundle. */
static enum sg_dir_status
check_files(const struct sg_dir_config *cfg, struct verdict *v)
{
    if (set(cfg->ldap_bind_password_file)) {
        char *password = NULL;
        enum sg_dir_status st = sg_dir_ldap_read_password(
            cfg->ldap_bind_password_file, &password, v->error_r);
        if (st != SG_DIR_FOUND) {
            v->setting = "ldap_bind_password_file";
            return st;
        }
        explicit_bzero(password, strlen(password));
        free(password);
    }
    if (set(cfg->ldap_tls_ca_file) &&
        check_ca_file(cfg->ldap_tls_ca_file, v) < 0)
        return SG_DIR_CONFIG;
    return SG_DIR_FOUND;
}

/* Each "ROLE=FILTER" (filter) or "ROLE=GROUP-DN" entry of a role map. */
static int
check_rules(char *const *list, size_t n, const char *setting, bool filter,
            struct verdict *v)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(list[i], '=');
        bool bad = eq == NULL || eq[1] == '\0' ||
                   !sg_dir_role_name_ok(list[i], (size_t)(eq - list[i]));
        /* a group DN must parse as one: catches "cn=Staff,..." given
         * without its role */
        if (!bad && !filter)
            bad = !sg_dir_ldap_dn_parses(eq + 1);
        if (bad)
            return fail(v, setting, "%s \"%s\": expected ROLE=%s", setting,
                        list[i], filter ? "FILTER" : "GROUP-DN");
    }
    return 0;
}

enum sg_dir_status
sg_dir_ldap_config_check(const struct sg_dir_config *cfg,
                         const char **setting_r, const char **error_r)
{
    struct verdict v = {error_r, NULL};
    bool bad = check_uris(cfg, &v) < 0 || check_names(cfg, &v) < 0;
    enum sg_dir_status st = bad ? SG_DIR_CONFIG : check_files(cfg, &v);
    if (st == SG_DIR_FOUND &&
        (check_rules(cfg->ldap_role_filters, cfg->n_ldap_role_filters,
                     "ldap_role_filter", true, &v) < 0 ||
         check_rules(cfg->ldap_role_groups, cfg->n_ldap_role_groups,
                     "ldap_role_group", false, &v) < 0))
        st = SG_DIR_CONFIG;
    if (setting_r != NULL)
        *setting_r = st == SG_DIR_FOUND ? NULL : v.setting;
    return st;
}

/* ---------------------------------------------------------------- build */

/* Checked "ROLE=VALUE" entries into rules: 0, or -1 (allocation). */
static int
build_rules(char *const *list, size_t n, bool filter,
            struct role_rule **rules_r, size_t *n_r)
{
    struct role_rule *rules = calloc(n ? n : 1, sizeof(*rules));
    if (rules == NULL)
        return -1;
    *rules_r = rules;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(list[i], '=');
        rules[i].role = strndup(list[i], (size_t)(eq - list[i]));
        rules[i].value = filter ? parenthesise(eq + 1) : strdup(eq + 1);
        (*n_r)++;
        if (rules[i].role == NULL || rules[i].value == NULL)
            return -1;
    }
    return 0;
}

/* An empty backend: its locks, its operations.  NULL on allocation. */
static struct ldap_backend *
backend_new(void)
{
    struct ldap_backend *lb = calloc(1, sizeof(*lb));
    if (lb == NULL)
        return NULL;
    lb->base.ops = &sg_dir_ldap_ops;
    pthread_mutex_init(&lb->pool_lock, NULL);
    pthread_cond_init(&lb->pool_free, NULL);
    pthread_mutex_init(&lb->group_lock, NULL);
    pthread_mutex_init(&lb->name_lock, NULL);
    return lb;
}

/* The backend's own copies of the settings.  false on allocation. */
static bool
copy_settings(struct ldap_backend *lb, const struct sg_dir_config *cfg)
{
    bool oom = false;
    for (size_t i = 0; i < cfg->n_ldap_uris; i++)
        oom |= sg_strv_push(&lb->uris, &lb->n_uris, cfg->ldap_uris[i]) < 0;
    for (size_t i = 0; i < cfg->n_ldap_alias_attributes; i++)
        if (set(cfg->ldap_alias_attributes[i]))
            oom |= sg_strv_push(&lb->alias_attrs, &lb->n_alias_attrs,
                                cfg->ldap_alias_attributes[i]) < 0;
    lb->base_dn = strdup(cfg->ldap_base);
    lb->bind_dn = dup_set(cfg->ldap_bind_dn);
    lb->ca_file = dup_set(cfg->ldap_tls_ca_file);
    lb->starttls = cfg->ldap_starttls;
    lb->verify = cfg->ldap_tls_verify;
    lb->connect_timeout = cfg->ldap_connect_timeout;
    lb->timeout = cfg->ldap_timeout;
    lb->group_ttl = cfg->ldap_group_ttl;
    lb->page_size = cfg->ldap_page_size;
    lb->in_chain = cfg->ldap_use_in_chain;
    lb->user_filter = parenthesise(
        set(cfg->ldap_user_filter) ? cfg->ldap_user_filter : "(objectClass=*)");
    lb->mail_attr = strdup(cfg->ldap_mail_attribute);
    lb->proxy_attr = dup_set(cfg->ldap_proxy_attribute);
    lb->personal_attr = dup_set(cfg->ldap_personal_attribute);
    lb->children_attr = dup_set(cfg->ldap_children_attribute);
    lb->name_attr = dup_set(cfg->ldap_name_attribute);
    lb->dob_attr = dup_set(cfg->ldap_dob_attribute);
    lb->left_attr = dup_set(cfg->ldap_left_attribute);
    lb->upn_attr = dup_set(cfg->ldap_upn_attribute);
    lb->memberof_attr =
        strdup(set(cfg->ldap_memberof_attribute) ? cfg->ldap_memberof_attribute
                                                 : "memberOf");
    lb->disabled_filter = set(cfg->ldap_disabled_filter)
                              ? parenthesise(cfg->ldap_disabled_filter)
                              : NULL;
    lb->disabled_role =
        set(cfg->ldap_disabled_role) &&
                strcasecmp(cfg->ldap_disabled_role, "notfound") != 0
            ? strdup(cfg->ldap_disabled_role)
            : NULL;
    return !(oom || lb->base_dn == NULL || lb->user_filter == NULL ||
             lb->mail_attr == NULL || lb->memberof_attr == NULL ||
             (set(cfg->ldap_bind_dn) && lb->bind_dn == NULL) ||
             (set(cfg->ldap_proxy_attribute) && lb->proxy_attr == NULL));
}

/* What a lookup asks for and searches in.  false on allocation. */
static bool
lookup_attributes(struct ldap_backend *lb)
{
    /* the attributes a person is built from */
    lb->attrs = calloc(10 + lb->n_alias_attrs, sizeof(char *));
    if (lb->attrs != NULL) {
        size_t k = 0;
        const char *one[] = {
            lb->mail_attr, lb->proxy_attr, lb->personal_attr, lb->children_attr,
            lb->name_attr, lb->dob_attr,   lb->left_attr,   lb->upn_attr};
        for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
            if (one[i] != NULL)
                lb->attrs[k++] = one[i];
        for (size_t i = 0; i < lb->n_alias_attrs; i++)
            lb->attrs[k++] = lb->alias_attrs[i];
        lb->attrs[k] = NULL;
    }

    /* what an address is looked up in: mail, smtp: proxy addresses,
     * aliases, personal addresses */
    lb->address_attrs = calloc(3 + lb->n_alias_attrs, sizeof(char *));
    lb->address_prefixes = calloc(3 + lb->n_alias_attrs, sizeof(char *));
    if (lb->address_attrs != NULL && lb->address_prefixes != NULL) {
        size_t k = 0;
        lb->address_attrs[k++] = lb->mail_attr;
        if (lb->proxy_attr != NULL) {
            lb->address_prefixes[k] = "smtp:";
            lb->address_attrs[k++] = lb->proxy_attr;
        }
        for (size_t i = 0; i < lb->n_alias_attrs; i++)
            lb->address_attrs[k++] = lb->alias_attrs[i];
        if (lb->personal_attr != NULL)
            lb->address_attrs[k++] = lb->personal_attr;
        lb->n_address_attrs = k;
    }
    return lb->attrs != NULL && lb->address_attrs != NULL &&
           lb->address_prefixes != NULL;
}

/* n connections, none connected yet, all free.  false on allocation. */
static bool
pool_init(struct ldap_backend *lb, size_t n)
{
    lb->n_conns = n;
    lb->conns = calloc(lb->n_conns, sizeof(*lb->conns));
    for (size_t i = 0; lb->conns != NULL && i < lb->n_conns; i++) {
        lb->conns[i].next_free = lb->free_list;
        lb->free_list = &lb->conns[i];
    }
    return lb->conns != NULL;
}

enum sg_dir_status
sg_dir_ldap_build(const struct sg_dir_config *cfg,
                  struct sg_dir_backend **backend_r, const char **error_r)
{
    *backend_r = NULL;
    /* libldap's global initialisation, here in one thread */
    int version = 0;
    ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &version);

    struct ldap_backend *lb = backend_new();
    if (lb == NULL) {
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    enum sg_dir_status st = SG_DIR_FOUND;
    bool ok = copy_settings(lb, cfg);
    ok = lookup_attributes(lb) && ok;
    ok = pool_init(lb, (size_t)cfg->ldap_pool_size) && ok;
    ok = ok && build_rules(cfg->ldap_role_filters, cfg->n_ldap_role_filters,
                           true, &lb->filters, &lb->n_filters) == 0;
    ok = ok && build_rules(cfg->ldap_role_groups, cfg->n_ldap_role_groups,
                           false, &lb->groups, &lb->n_groups) == 0;
    if (!ok) {
        *error_r = "out of memory";
        st = SG_DIR_TEMPFAIL;
    }
    if (st == SG_DIR_FOUND && set(cfg->ldap_bind_password_file))
        st = sg_dir_ldap_read_password(cfg->ldap_bind_password_file,
                                       &lb->password, error_r);
    if (st != SG_DIR_FOUND) {
        sg_dir_ldap_free(&lb->base);
        return st;
    }
    *backend_r = &lb->base;
    return SG_DIR_FOUND;
}

enum sg_dir_status
sg_dir_ldap_open(const struct sg_dir_config *cfg,
                 struct sg_dir_backend **backend_r, const char **error_r)
{
    *backend_r = NULL;
    const char *setting;
    enum sg_dir_status st = sg_dir_bounds_check(cfg, true, &setting, error_r);
    if (st == SG_DIR_FOUND)
        st = sg_dir_ldap_config_check(cfg, NULL, error_r);
    if (st != SG_DIR_FOUND)
        return st;
    return sg_dir_ldap_build(cfg, backend_r, error_r);
}

/* ---------------------------------------------------------------- free */

static void
rules_free(struct role_rule *rules, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rules[i].role);
        free(rules[i].value);
        sg_dir_hash_free(&rules[i].members, NULL);
    }
    free(rules);
}

void
sg_dir_ldap_free(struct sg_dir_backend *backend)
{
    struct ldap_backend *lb = (struct ldap_backend *)backend;
    for (size_t i = 0; i < lb->n_conns; i++)
        sg_dir_ldap_conn_close(&lb->conns[i]);
    free(lb->conns);
    sg_strv_free(&lb->uris, &lb->n_uris);
    sg_strv_free(&lb->alias_attrs, &lb->n_alias_attrs);
    if (lb->password != NULL) {
        explicit_bzero(lb->password, strlen(lb->password));
        free(lb->password);
    }
    free(lb->base_dn);
    free(lb->bind_dn);
    free(lb->ca_file);
    free(lb->user_filter);
    free(lb->mail_attr);
    free(lb->proxy_attr);
    free(lb->personal_attr);
    free(lb->children_attr);
    free(lb->name_attr);
    free(lb->dob_attr);
    free(lb->upn_attr);
    free(lb->left_attr);
    free(lb->memberof_attr);
    free(lb->disabled_filter);
    free(lb->disabled_role);
    free(lb->attrs);
    free(lb->address_attrs);
    free(lb->address_prefixes);
    rules_free(lb->filters, lb->n_filters);
    rules_free(lb->groups, lb->n_groups);
    pthread_mutex_destroy(&lb->pool_lock);
    pthread_cond_destroy(&lb->pool_free);
    pthread_mutex_destroy(&lb->group_lock);
    sg_dir_ldap_names_free(lb);
    pthread_mutex_destroy(&lb->name_lock);
    free(lb);
}
