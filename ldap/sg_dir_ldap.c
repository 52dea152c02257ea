/*
 * sg_dir_ldap.c - the `ldap` backend: OpenLDAP client library against
 * OpenLDAP or Active Directory.  One subtree search per address, roles
 * from filters and from (nested) group membership.  Address and display
 * name lookups build a person from an entry the same way
 * (sg_dir_ldap_build_person) and retry on a fresh connection the same
 * way (sg_dir_ldap_with_connection).  The pieces around it: the settings
 * checked and turned into the backend (sg_dir_ldap_open.c), the searches
 * and group membership (sg_dir_ldap_search.c), the display-name index
 * (sg_dir_ldap_names.c), the connections (sg_dir_ldap_conn.c: pool,
 * failover, StartTLS, bind, reconnect).
 *
 * SECURITY: every address placed in a filter goes through
 * sg_dir_filter_escape() (RFC 4515), so "*)(uid=*" matches nothing.
 * A search error is never "not found": roles from a half-answered lookup
 * would be wrong, so any failed step fails the whole lookup (TEMPFAIL, or
 * CONFIG for errors a retry cannot fix).
 * Thread-safe: each LDAP handle is used by one thread at a time (the
 * pool).  Never logs.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ldap.h>

#include "sg_buf.h"
#include "sg_dir_internal.h"
#include "sg_dir_ldap_int.h"

/* ---------------------------------------------------------------- person */

static int
push_address(char ***vec, size_t *n, const char *raw, size_t len,
             const char *skip)
{
    char buf[600];
    if (len >= sizeof(buf))
        return 0;
    memcpy(buf, raw, len);
    buf[len] = '\0';
    char *norm = sg_dir_address_normalise(buf, NULL);
    if (norm == NULL)
        return 0; /* not an address: ignore */
    int rc = 0;
    bool dup = skip != NULL && strcmp(norm, skip) == 0;
    for (size_t i = 0; i < *n && !dup; i++)
        dup = strcmp((*vec)[i], norm) == 0;
    if (!dup)
        rc = sg_strv_push(vec, n, norm);
    free(norm);
    return rc;
}

/* Every value of the attribute (NULL: none) that is an address, pushed
 * as push_address does.  0 or -1. */
static int
push_values(LDAP *ld, LDAPMessage *e, const char *attr, char ***vec,
            size_t *n, const char *skip)
{
    if (attr == NULL)
        return 0;
    struct berval **v = ldap_get_values_len(ld, e, attr);
    int rc = 0;
    for (size_t i = 0; v != NULL && v[i] != NULL && rc == 0; i++)
        rc = push_address(vec, n, v[i]->bv_val, v[i]->bv_len, skip);
    ldap_value_free_len(v);
    return rc;
}

/* YYYY-MM-DD, or GeneralizedTime YYYYMMDD... */
static void
parse_ldap_date(const struct berval *v, struct sg_date *date_r)
{
    char buf[16];
    if (v->bv_len == 10) {
        memcpy(buf, v->bv_val, 10);
        buf[10] = '\0';
    } else if (v->bv_len >= 8) {
        snprintf(buf, sizeof(buf), "%.4s-%.2s-%.2s", v->bv_val, v->bv_val + 4,
                 v->bv_val + 6);
    } else {
        return;
    }
    struct sg_date d;
    if (sg_date_parse(buf, &d) == 0)
        *date_r = d;
}

static bool
has_smtp_prefix(const struct berval *v)
{
    return v->bv_len > 5 && strncasecmp(v->bv_val, "smtp:", 5) == 0;
}

/* How the address looked up reached p: school unless it is only a
 * registered personal one. */
static enum sg_channel
channel_of(const struct sg_person *p, const char *key)
{
    bool school = strcmp(key, p->address) == 0;
    for (size_t i = 0; i < p->n_aliases && !school; i++)
        school = strcmp(key, p->aliases[i]) == 0;
    bool personal = false;
    for (size_t i = 0; i < p->n_personal && !personal; i++)
        personal = strcmp(key, p->personal[i]) == 0;
    return personal && !school ? SG_CHANNEL_PERSONAL : SG_CHANNEL_SCHOOL;
}

/* Fill a person from a search entry: 0, 1 when key is NULL (a name
 * lookup) and the entry has no address, -1 on allocation failure. */
static int
fill_person(struct ldap_backend *lb, LDAP *ld, LDAPMessage *e, const char *key,
            struct sg_person *p, enum sg_channel *channel_r)
{
    struct berval **v;
    char *primary = NULL;

    /* primary: mail, else the SMTP: (upper case) proxy address, else the
     * first smtp: one, else the address looked up */
    if ((v = ldap_get_values_len(ld, e, lb->mail_attr)) != NULL && v[0]) {
        char buf[600];
        snprintf(buf, sizeof(buf), "%.*s", (int)v[0]->bv_len, v[0]->bv_val);
        primary = sg_dir_address_normalise(buf, NULL);
    }
    ldap_value_free_len(v);
    struct berval **proxy =
        lb->proxy_attr ? ldap_get_values_len(ld, e, lb->proxy_attr) : NULL;
    for (int pass = 0; pass < 2 && primary == NULL && proxy != NULL; pass++)
        for (size_t i = 0; proxy[i] != NULL && primary == NULL; i++)
            if (has_smtp_prefix(proxy[i]) &&
                (pass == 1 || strncmp(proxy[i]->bv_val, "SMTP:", 5) == 0)) {
                char buf[600];
                snprintf(buf, sizeof(buf), "%.*s", (int)proxy[i]->bv_len - 5,
                         proxy[i]->bv_val + 5);
                primary = sg_dir_address_normalise(buf, NULL);
            }
    if (primary == NULL && key == NULL) {
        ldap_value_free_len(proxy);
        return 1;
    }
    if (primary == NULL)
        primary = strdup(key);
    if (primary == NULL) {
        ldap_value_free_len(proxy);
        return -1;
    }
    p->address = primary;

    int rc = 0;
    for (size_t i = 0; proxy != NULL && proxy[i] != NULL && rc == 0; i++)
        if (has_smtp_prefix(proxy[i]))
            rc = push_address(&p->aliases, &p->n_aliases, proxy[i]->bv_val + 5,
                              proxy[i]->bv_len - 5, primary);
    ldap_value_free_len(proxy);
    for (size_t a = 0; a < lb->n_alias_attrs && rc == 0; a++)
        rc = push_values(ld, e, lb->alias_attrs[a], &p->aliases,
                         &p->n_aliases, primary);
    if (rc == 0)
        rc = push_values(ld, e, lb->personal_attr, &p->personal,
                         &p->n_personal, NULL);
    if (rc == 0)
        rc = push_values(ld, e, lb->children_attr, &p->children,
                         &p->n_children, NULL);
    if (rc < 0)
        return -1;
    if (lb->name_attr != NULL &&
        (v = ldap_get_values_len(ld, e, lb->name_attr)) != NULL) {
        if (v[0] != NULL &&
            (p->display_name = strndup(v[0]->bv_val, v[0]->bv_len)) == NULL)
            rc = -1;
        ldap_value_free_len(v);
    }
    if (lb->upn_attr != NULL &&
        (v = ldap_get_values_len(ld, e, lb->upn_attr)) != NULL) {
        if (v[0] != NULL && (p->upn = strndup(v[0]->bv_val, v[0]->bv_len)) == NULL)
            rc = -1;
        ldap_value_free_len(v);
    }
    if (lb->dob_attr != NULL &&
        (v = ldap_get_values_len(ld, e, lb->dob_attr)) != NULL) {
        if (v[0] != NULL)
            parse_ldap_date(v[0], &p->dob);
        ldap_value_free_len(v);
    }
    if (lb->left_attr != NULL &&
        (v = ldap_get_values_len(ld, e, lb->left_attr)) != NULL) {
        if (v[0] != NULL)
            parse_ldap_date(v[0], &p->left);
        ldap_value_free_len(v);
    }

    *channel_r = key != NULL ? channel_of(p, key) : SG_CHANNEL_NONE;
    return rc;
}

/* The person of one entry: attributes, roles from filters and groups,
 * the disabled-account rule.  key: the address looked up (for the
 * channel), or NULL for a name lookup.  NOTFOUND for a disabled account
 * that counts as unknown, or (name lookups) an entry without an address.
 * *ldap_rc_r gets the LDAP error of a failure. */
enum sg_dir_status
sg_dir_ldap_build_person(struct ldap_backend *lb, struct conn *c,
                         LDAPMessage *e, const char *key,
                         struct sg_person **person_r,
                         enum sg_channel *channel_r, const char **error_r,
                         int *ldap_rc_r)
{
    char *dn = ldap_get_dn(c->ld, e);
    struct sg_person *p = sg_person_new();
    enum sg_dir_status st = SG_DIR_FOUND;
    int filled = dn != NULL && p != NULL
                     ? fill_person(lb, c->ld, e, key, p, channel_r)
                     : -1;
    if (filled < 0) {
        *error_r = "out of memory";
        st = SG_DIR_TEMPFAIL;
    } else if (filled > 0) {
        st = SG_DIR_NOTFOUND;
    }

    /* roles: filters, then groups; any error fails the lookup */
    for (size_t i = 0; i < lb->n_filters && st == SG_DIR_FOUND; i++) {
        int m = sg_dir_ldap_entry_matches(lb, c, dn, lb->filters[i].value);
        if (m < 0) {
            *ldap_rc_r = -m;
            *error_r =
                sg_dir_ldap_search_error(lb, c, "role filter search", -m);
            st = sg_dir_ldap_status_of(-m);
        } else if (m > 0 && sg_person_add_role(p, lb->filters[i].role) < 0) {
            *error_r = "out of memory";
            st = SG_DIR_TEMPFAIL;
        }
    }
    for (size_t i = 0; i < lb->n_groups && st == SG_DIR_FOUND; i++) {
        int m = sg_dir_ldap_group_member(lb, c, &lb->groups[i], dn);
        if (m < 0) {
            *ldap_rc_r = -m;
            *error_r = sg_dir_ldap_search_error(lb, c, "group expansion", -m);
            st = sg_dir_ldap_status_of(-m);
        } else if (m > 0 && sg_person_add_role(p, lb->groups[i].role) < 0) {
            *error_r = "out of memory";
            st = SG_DIR_TEMPFAIL;
        }
    }
    if (st == SG_DIR_FOUND && lb->disabled_filter != NULL) {
        int m = sg_dir_ldap_entry_matches(lb, c, dn, lb->disabled_filter);
        if (m < 0) {
            *ldap_rc_r = -m;
            *error_r =
                sg_dir_ldap_search_error(lb, c, "disabled-account search", -m);
            st = sg_dir_ldap_status_of(-m);
        } else if (m > 0) {
            if (lb->disabled_role == NULL)
                st = SG_DIR_NOTFOUND;
            else if (sg_person_add_role(p, lb->disabled_role) < 0) {
                *error_r = "out of memory";
                st = SG_DIR_TEMPFAIL;
            }
        }
    }
    if (dn != NULL)
        ldap_memfree(dn);
    if (st != SG_DIR_FOUND) {
        sg_person_free(&p);
        *channel_r = SG_CHANNEL_NONE;
        return st;
    }
    *person_r = p;
    return SG_DIR_FOUND;
}

struct address_lookup {
    const char *key;
    struct sg_person **person_r;
    enum sg_channel *channel_r;
};

/* The address lookup proper, on one connection. */
static enum sg_dir_status
lookup_on(struct ldap_backend *lb, struct conn *c, void *arg,
          const char **error_r, int *ldap_rc_r)
{
    struct address_lookup *a = arg;
    const char *key = a->key;
    *ldap_rc_r = 0;
    char *filter =
        sg_dir_ldap_any_of_filter(lb, NULL, key, lb->address_attrs,
                                  lb->address_prefixes, lb->n_address_attrs);
    if (filter == NULL) {
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    LDAPMessage *res = NULL;
    int rc = sg_dir_ldap_search(lb, c, lb->base_dn, LDAP_SCOPE_SUBTREE, filter,
                                lb->attrs, 2, NULL, &res);
    free(filter);
    if (rc == LDAP_SIZELIMIT_EXCEEDED) {
        ldap_msgfree(res);
        *error_r = sg_dir_errorf("address %s matches more than one directory "
                                 "entry under %s",
                                 key, lb->base_dn);
        return SG_DIR_CONFIG;
    }
    if (rc != LDAP_SUCCESS) {
        ldap_msgfree(res);
        *ldap_rc_r = rc;
        *error_r = sg_dir_ldap_search_error(lb, c, "search", rc);
        return sg_dir_ldap_status_of(rc);
    }
    LDAPMessage *e = ldap_first_entry(c->ld, res);
    enum sg_dir_status st =
        e == NULL ? SG_DIR_NOTFOUND
                  : sg_dir_ldap_build_person(lb, c, e, key, a->person_r,
                                             a->channel_r, error_r, ldap_rc_r);
    ldap_msgfree(res);
    return st;
}

static enum sg_dir_status
ldap_lookup(struct sg_dir_backend *backend, const char *key,
            struct sg_person **person_r, enum sg_channel *channel_r,
            const char **error_r)
{
    struct address_lookup a = {key, person_r, channel_r};
    return sg_dir_ldap_with_connection((struct ldap_backend *)backend,
                                       lookup_on, &a, error_r);
}

static enum sg_dir_status
ldap_check(struct sg_dir_backend *backend, const char **error_r)
{
    struct ldap_backend *lb = (struct ldap_backend *)backend;
    struct conn *c = sg_dir_ldap_conn_get(lb);
    sg_dir_ldap_conn_close(c); /* always a fresh connection and bind */
    enum sg_dir_status st = sg_dir_ldap_conn_open(lb, c, error_r);
    if (st == SG_DIR_FOUND) {
        /* the base must exist and be readable */
        int m =
            sg_dir_ldap_entry_matches(lb, c, lb->base_dn, "(objectClass=*)");
        if (m <= 0) {
            *error_r = m == 0
                           ? sg_dir_errorf("LDAP base %s does not exist "
                                           "or cannot be read",
                                           lb->base_dn)
                           : sg_dir_ldap_search_error(lb, c, "base check", -m);
            st = m == 0 ? SG_DIR_CONFIG : sg_dir_ldap_status_of(-m);
            if (m < 0 && sg_dir_ldap_is_connection_error(-m))
                sg_dir_ldap_conn_close(c);
        }
    }
    sg_dir_ldap_conn_put(lb, c);
    return st;
}

const struct sg_dir_backend_ops sg_dir_ldap_ops = {
    .name = "ldap",
    .lookup = ldap_lookup,
    .check = ldap_check,
    .free = sg_dir_ldap_free,
    .lookup_name = sg_dir_ldap_lookup_name,
};
