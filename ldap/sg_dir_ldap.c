/*
 * sg_dir_ldap.c - the `ldap` backend: OpenLDAP client library against
 * OpenLDAP or Active Directory.  One subtree search per address (or
 * display name), roles from filters and from (nested) group membership.
 * Both kinds of lookup build a person from an entry the same way
 * (build_person) and retry on a fresh connection the same way
 * (sg_dir_ldap_with_connection).  The connections themselves (pool,
 * failover, StartTLS, bind, reconnect) are sg_dir_ldap_conn.c's.
 *
 * Display names are looked up in an in-memory index of every entry's name
 * keys (confusable skeletons cannot be searched for on the server),
 * loaded by one paged search and renewed every ldap_group_ttl seconds;
 * each candidate is then read afresh and its name checked again.
 *
 * SECURITY: every address placed in a filter goes through
 * sg_dir_filter_escape() (RFC 4515), so "*)(uid=*" matches nothing; a
 * display name never reaches a filter.
 * A search error is never "not found": roles from a half-answered lookup
 * would be wrong, so any failed step fails the whole lookup (TEMPFAIL, or
 * CONFIG for errors a retry cannot fix).
 * Thread-safe: each LDAP handle is used by one thread at a time (the
 * pool); group expansions and the name index are serialised by their own
 * locks.  Never logs.
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

#define IN_CHAIN_OID "1.2.840.113556.1.4.1941"

/* A name key more entries than this are known by is too common to be a
 * signal: not found (safeguard-directory(5)). */
#define NAME_CANDIDATES_MAX 100

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

static time_t
mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Lower-cased LDAPv3 form of a DN, for comparing DNs; malloc'ed. */
static char *
dn_normalise(const char *dn)
{
    char *out = NULL;
    if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &out,
                          LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
        out == NULL) {
        out = NULL;
    }
    char *copy = strdup(out != NULL ? out : dn);
    if (out != NULL)
        ldap_memfree(out);
    if (copy != NULL)
        for (char *p = copy; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    return copy;
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

/* ---------------------------------------------------------------- search */

/* One synchronous search (the caller drops the connection on a
 * connection error).  *res_r must be freed with ldap_msgfree even on
 * error. */
int
sg_dir_ldap_search(struct ldap_backend *lb, struct conn *c, const char *base,
                   int scope, const char *filter, const char **attrs,
                   int sizelimit, LDAPControl **ctrls, LDAPMessage **res_r)
{
    struct timeval tv = {lb->timeout, 0};
    /* libldap takes char ** but does not write through it */
    union {
        const char **c;
        char **m;
    } a = {attrs};
    *res_r = NULL;
    int rc = ldap_search_ext_s(c->ld, base, scope, filter, a.m, 0,
                               ctrls, NULL, lb->timeout > 0 ? &tv : NULL,
                               sizelimit, res_r);
    return rc;
}

const char *
sg_dir_ldap_search_error(struct ldap_backend *lb, struct conn *c,
                         const char *what, int rc)
{
    char diag[SG_DIR_DIAG_MAX];
    return sg_dir_errorf("LDAP %s on %s failed: %s%s", what,
                         lb->uris[c->uri], ldap_err2string(rc),
                         sg_dir_ldap_diagnostic(c->ld, diag));
}

/* Does the entry at dn match filter?  1, 0 (also when there is no such
 * entry), or -(LDAP error). */
int
sg_dir_ldap_entry_matches(struct ldap_backend *lb, struct conn *c,
                          const char *dn, const char *filter)
{
    static const char *no_attrs[] = {LDAP_NO_ATTRS, NULL};
    LDAPMessage *res = NULL;
    int rc = sg_dir_ldap_search(lb, c, dn, LDAP_SCOPE_BASE, filter, no_attrs, 1,
                                NULL, &res);
    int n = rc == LDAP_SUCCESS ? ldap_count_entries(c->ld, res) : 0;
    ldap_msgfree(res);
    if (rc == LDAP_NO_SUCH_OBJECT)
        return 0;
    if (rc != LDAP_SUCCESS)
        return -rc;
    return n > 0;
}

static bool
is_group_entry(LDAP *ld, LDAPMessage *entry)
{
    static const char *const classes[] = {"group", "groupOfNames",
                                          "groupOfUniqueNames",
                                          "groupOfMembers"};
    struct berval **vals = ldap_get_values_len(ld, entry, "objectClass");
    bool group = false;
    for (size_t i = 0; vals != NULL && vals[i] != NULL && !group; i++)
        for (size_t j = 0; j < sizeof(classes) / sizeof(classes[0]); j++)
            if (strlen(classes[j]) == vals[i]->bv_len &&
                strncasecmp(vals[i]->bv_val, classes[j], vals[i]->bv_len) ==
                    0)
                group = true;
    ldap_value_free_len(vals);
    return group;
}

/* What a paged search does with each entry: 0 or -(LDAP error). */
typedef int paged_entry_fn(void *arg, LDAP *ld, LDAPMessage *e);

/* A subtree search under the base, page by page (ldap_page_size), with
 * fn called for each entry.  0 or -(LDAP error). */
static int
paged_search(struct ldap_backend *lb, struct conn *c, const char *filter,
             const char **attrs, paged_entry_fn *fn, void *arg)
{
    int result = 0;
    struct berval cookie = {0, NULL};
    do {
        LDAPControl *page = NULL;
        int rc = ldap_create_page_control(c->ld, lb->page_size, &cookie, 1,
                                          &page);
        if (cookie.bv_val != NULL)
            ldap_memfree(cookie.bv_val);
        cookie.bv_val = NULL;
        cookie.bv_len = 0;
        if (rc != LDAP_SUCCESS) {
            result = -rc;
            break;
        }
        LDAPControl *ctrls[] = {page, NULL};
        LDAPMessage *res = NULL;
        rc = sg_dir_ldap_search(lb, c, lb->base_dn, LDAP_SCOPE_SUBTREE, filter,
                                attrs, 0, ctrls, &res);
        ldap_control_free(page);
        if (rc != LDAP_SUCCESS) {
            ldap_msgfree(res);
            result = -rc;
            break;
        }
        for (LDAPMessage *e = ldap_first_entry(c->ld, res);
             e != NULL && result == 0; e = ldap_next_entry(c->ld, e))
            result = fn(arg, c->ld, e);
        /* the next page's cookie */
        LDAPControl **rctrls = NULL;
        int err = 0;
        rc = ldap_parse_result(c->ld, res, &err, NULL, NULL, NULL, &rctrls,
                               0);
        ldap_msgfree(res);
        if (rc == LDAP_SUCCESS && rctrls != NULL) {
            LDAPControl *pr =
                ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
            ber_int_t count = 0;
            if (pr != NULL)
                ldap_parse_pageresponse_control(c->ld, pr, &count, &cookie);
        }
        ldap_controls_free(rctrls);
    } while (result == 0 && cookie.bv_val != NULL && cookie.bv_len > 0);
    if (cookie.bv_val != NULL)
        ldap_memfree(cookie.bv_val);
    return result;
}

struct expansion {
    struct sg_dir_hash *members, *seen;
    char **queue;
    size_t n_queue;
};

/* One member of a group being expanded: noted, and queued if a group. */
static int
expand_entry(void *arg, LDAP *ld, LDAPMessage *e)
{
    struct expansion *x = arg;
    char *dn = ldap_get_dn(ld, e);
    char *ndn = dn ? dn_normalise(dn) : NULL;
    int result = 0;
    if (ndn == NULL) {
        if (dn)
            ldap_memfree(dn);
        return -LDAP_NO_MEMORY;
    }
    if (sg_dir_hash_put(x->members, ndn, (void *)1) < 0)
        result = -LDAP_NO_MEMORY;
    if (is_group_entry(ld, e)) {
        int put = sg_dir_hash_put(x->seen, ndn, (void *)1);
        if (put < 0 ||
            (put == 0 && sg_strv_push(&x->queue, &x->n_queue, dn) < 0))
            result = -LDAP_NO_MEMORY;
    }
    free(ndn);
    ldap_memfree(dn);
    return result;
}

/* Expand a role group into the set of DNs that are members directly or
 * through nested groups: paged searches for (memberOf=G), following
 * member groups breadth first.  0 or -(LDAP error); -LDAP_NO_MEMORY on
 * allocation failure. */
static int
expand_group(struct ldap_backend *lb, struct conn *c, const char *group_dn,
             struct sg_dir_hash **members_r)
{
    static const char *attrs[] = {"objectClass", NULL};
    struct expansion x = {sg_dir_hash_new(256), sg_dir_hash_new(16), NULL, 0};
    size_t head = 0;
    int result = 0;
    if (x.members == NULL || x.seen == NULL ||
        sg_strv_push(&x.queue, &x.n_queue, group_dn) < 0) {
        result = -LDAP_NO_MEMORY;
        goto out;
    }
    char *norm = dn_normalise(group_dn);
    if (norm == NULL || sg_dir_hash_put(x.seen, norm, (void *)1) < 0) {
        free(norm);
        result = -LDAP_NO_MEMORY;
        goto out;
    }
    free(norm);

    for (; head < x.n_queue && result == 0; head++) {
        char *esc = sg_dir_filter_escape(x.queue[head]);
        size_t flen = strlen(lb->memberof_attr) + (esc ? strlen(esc) : 0) + 4;
        char *filter = malloc(flen);
        if (esc == NULL || filter == NULL) {
            free(esc);
            free(filter);
            result = -LDAP_NO_MEMORY;
            break;
        }
        snprintf(filter, flen, "(%s=%s)", lb->memberof_attr, esc);
        free(esc);
        result = paged_search(lb, c, filter, attrs, expand_entry, &x);
        free(filter);
    }
out:
    sg_strv_free(&x.queue, &x.n_queue);
    sg_dir_hash_free(&x.seen, NULL);
    if (result != 0)
        sg_dir_hash_free(&x.members, NULL);
    *members_r = x.members;
    return result;
}

/* Is user_dn in the role group (nested)?  1, 0, or -(LDAP error). */
int
sg_dir_ldap_group_member(struct ldap_backend *lb, struct conn *c,
                         struct role_rule *rule, const char *user_dn)
{
    if (lb->in_chain) {
        char *esc = sg_dir_filter_escape(rule->value);
        if (esc == NULL)
            return -LDAP_NO_MEMORY;
        size_t n = strlen(lb->memberof_attr) + strlen(esc) + 40;
        char *filter = malloc(n);
        if (filter == NULL) {
            free(esc);
            return -LDAP_NO_MEMORY;
        }
        snprintf(filter, n, "(%s:" IN_CHAIN_OID ":=%s)", lb->memberof_attr,
                 esc);
        free(esc);
        int rc = sg_dir_ldap_entry_matches(lb, c, user_dn, filter);
        free(filter);
        return rc;
    }
    pthread_mutex_lock(&lb->group_lock);
    time_t now = mono_now();
    if (rule->members == NULL || now - rule->loaded >= lb->group_ttl) {
        struct sg_dir_hash *members = NULL;
        int rc = expand_group(lb, c, rule->value, &members);
        if (rc == 0) {
            sg_dir_hash_free(&rule->members, NULL);
            rule->members = members;
            rule->loaded = now;
        } else if (rule->members == NULL) {
            pthread_mutex_unlock(&lb->group_lock);
            return rc;
        }
        /* else: keep the last good expansion while the server is away */
    }
    char *ndn = dn_normalise(user_dn);
    int found = ndn != NULL && sg_dir_hash_get(rule->members, ndn) != NULL;
    pthread_mutex_unlock(&lb->group_lock);
    if (ndn == NULL)
        return -LDAP_NO_MEMORY;
    free(ndn);
    return found;
}

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

/* Fill a person from a search entry: 0, 1 when key is NULL (a name
 * lookup) and the entry has no address, -1 on allocation failure. */
static int
fill_person(struct ldap_backend *lb, LDAP *ld, LDAPMessage *e,
            const char *key, struct sg_person *p, enum sg_channel *channel_r)
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
            rc = push_address(&p->aliases, &p->n_aliases,
                              proxy[i]->bv_val + 5, proxy[i]->bv_len - 5,
                              primary);
    ldap_value_free_len(proxy);
    for (size_t a = 0; a < lb->n_alias_attrs && rc == 0; a++) {
        v = ldap_get_values_len(ld, e, lb->alias_attrs[a]);
        for (size_t i = 0; v != NULL && v[i] != NULL && rc == 0; i++)
            rc = push_address(&p->aliases, &p->n_aliases, v[i]->bv_val,
                              v[i]->bv_len, primary);
        ldap_value_free_len(v);
    }
    if (lb->personal_attr != NULL) {
        v = ldap_get_values_len(ld, e, lb->personal_attr);
        for (size_t i = 0; v != NULL && v[i] != NULL && rc == 0; i++)
            rc = push_address(&p->personal, &p->n_personal, v[i]->bv_val,
                              v[i]->bv_len, NULL);
        ldap_value_free_len(v);
    }
    if (lb->children_attr != NULL) {
        v = ldap_get_values_len(ld, e, lb->children_attr);
        for (size_t i = 0; v != NULL && v[i] != NULL && rc == 0; i++)
            rc = push_address(&p->children, &p->n_children, v[i]->bv_val,
                              v[i]->bv_len, NULL);
        ldap_value_free_len(v);
    }
    if (rc < 0)
        return -1;
    if (lb->name_attr != NULL &&
        (v = ldap_get_values_len(ld, e, lb->name_attr)) != NULL) {
        if (v[0] != NULL &&
            (p->display_name = strndup(v[0]->bv_val, v[0]->bv_len)) == NULL)
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

    /* channel: school unless the key is only a registered personal one */
    if (key == NULL) {
        *channel_r = SG_CHANNEL_NONE;
        return rc;
    }
    bool school = strcmp(key, p->address) == 0;
    for (size_t i = 0; i < p->n_aliases && !school; i++)
        school = strcmp(key, p->aliases[i]) == 0;
    bool personal = false;
    for (size_t i = 0; i < p->n_personal && !personal; i++)
        personal = strcmp(key, p->personal[i]) == 0;
    *channel_r = personal && !school ? SG_CHANNEL_PERSONAL : SG_CHANNEL_SCHOOL;
    return rc;
}

/* (&USER-FILTER[(!EXCLUDE)](|(A1=P1VALUE)(A2=P2VALUE)...)); value
 * escaped (RFC 4515). */
char *
sg_dir_ldap_any_of_filter(const struct ldap_backend *lb, const char *exclude,
                          const char *value, const char *const *attrs,
                          const char *const *prefixes, size_t n)
{
    char *esc = sg_dir_filter_escape(value);
    if (esc == NULL)
        return NULL;
    struct sg_buf buf = SG_BUF_INIT;
    sg_buf_printf(&buf, "(&%s", lb->user_filter);
    if (exclude != NULL)
        sg_buf_printf(&buf, "(!%s)", exclude);
    sg_buf_puts(&buf, "(|");
    for (size_t i = 0; i < n; i++)
        sg_buf_printf(
            &buf, "(%s=%s%s)", attrs[i],
            prefixes != NULL && prefixes[i] != NULL ? prefixes[i] : "", esc);
    sg_buf_puts(&buf, "))");
    free(esc);
    return sg_buf_steal(&buf); /* NULL if an append failed */
}

/* The person of one entry: attributes, roles from filters and groups,
 * the disabled-account rule.  key: the address looked up (for the
 * channel), or NULL for a name lookup.  NOTFOUND for a disabled account
 * that counts as unknown, or (name lookups) an entry without an address.
 * *ldap_rc_r gets the LDAP error of a failure. */
static enum sg_dir_status
build_person(struct ldap_backend *lb, struct conn *c, LDAPMessage *e,
             const char *key, struct sg_person **person_r,
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
                  : build_person(lb, c, e, key, a->person_r, a->channel_r,
                                 error_r, ldap_rc_r);
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

/* ---------------------------------------------------------------- names */

/* The DNs of the entries known by one name key. */
struct dn_list {
    char **dns;
    size_t n;
};

static void
dn_list_free(void *p)
{
    struct dn_list *l = p;
    if (l != NULL)
        sg_strv_free(&l->dns, &l->n);
    free(l);
}

/* The name keys (sg_dir_name_keys, one a line) of every value of the
 * entry's name attribute, into *keys_r (malloc'ed; NULL when none).  0 or
 * -1 (allocation, ICU). */
static int
entry_name_keys(struct ldap_backend *lb, LDAP *ld, LDAPMessage *e,
                char **keys_r)
{
    *keys_r = NULL;
    struct berval **v = ldap_get_values_len(ld, e, lb->name_attr);
    struct sg_buf all = SG_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; v != NULL && v[i] != NULL && rc == 0; i++) {
        char *value = strndup(v[i]->bv_val, v[i]->bv_len);
        char *keys = NULL;
        if (value == NULL)
            rc = -1;
        else if (strlen(value) == v[i]->bv_len &&
                 sg_dir_name_keys(value, SG_DIR_NAME_ENTRY, &keys) < 0)
            rc = -1;
        if (keys != NULL && all.len > 0)
            sg_buf_putc(&all, '\n');
        if (keys != NULL)
            sg_buf_puts(&all, keys);
        free(keys);
        free(value);
    }
    ldap_value_free_len(v);
    if (rc != 0 || sg_buf_failed(&all)) {
        sg_buf_free(&all);
        return -1;
    }
    *keys_r = all.len > 0 ? sg_buf_steal(&all) : NULL;
    if (*keys_r == NULL)
        sg_buf_free(&all);
    return 0;
}

/* One entry of the name index's search: its DN under each of its keys. */
static int
index_entry(void *arg, LDAP *ld, LDAPMessage *e)
{
    struct ldap_backend *lb = ((void **)arg)[0];
    struct sg_dir_hash *names = ((void **)arg)[1];
    char *keys = NULL;
    if (entry_name_keys(lb, ld, e, &keys) < 0)
        return -LDAP_NO_MEMORY;
    char *dn = keys != NULL ? ldap_get_dn(ld, e) : NULL;
    int result = keys != NULL && dn == NULL ? -LDAP_NO_MEMORY : 0;
    char *save = NULL;
    for (char *key = dn != NULL ? strtok_r(keys, "\n", &save) : NULL;
         key != NULL && result == 0; key = strtok_r(NULL, "\n", &save)) {
        struct dn_list *l = sg_dir_hash_get(names, key);
        if (l == NULL) {
            if ((l = calloc(1, sizeof(*l))) == NULL ||
                sg_dir_hash_put(names, key, l) != 0) {
                free(l);
                result = -LDAP_NO_MEMORY;
                break;
            }
        }
        /* two values of one entry may share a key */
        if ((l->n == 0 || strcmp(l->dns[l->n - 1], dn) != 0) &&
            sg_strv_push(&l->dns, &l->n, dn) < 0)
            result = -LDAP_NO_MEMORY;
    }
    if (dn != NULL)
        ldap_memfree(dn);
    free(keys);
    return result;
}

/* The name index, fresh: loaded when missing or older than
 * ldap_group_ttl; the last good one is kept while the server is away.
 * Called with name_lock held.  0 or -(LDAP error). */
static int
names_fresh(struct ldap_backend *lb, struct conn *c)
{
    time_t now = mono_now();
    if (lb->names != NULL && now - lb->names_loaded < lb->group_ttl)
        return 0;
    struct sg_dir_hash *names = sg_dir_hash_new(1024);
    struct sg_buf filter = SG_BUF_INIT;
    int result = names == NULL ||
                         sg_buf_printf(&filter, "(&%s(%s=*))", lb->user_filter,
                                       lb->name_attr) < 0
                     ? -LDAP_NO_MEMORY
                     : 0;
    const char *attrs[] = {lb->name_attr, NULL};
    void *arg[] = {lb, names};
    if (result == 0)
        result = paged_search(lb, c, filter.data, attrs, index_entry, arg);
    sg_buf_free(&filter);
    if (result != 0) {
        sg_dir_hash_free(&names, dn_list_free);
        return lb->names != NULL ? 0 : result;
    }
    sg_dir_hash_free(&lb->names, dn_list_free);
    lb->names = names;
    lb->names_loaded = now;
    return 0;
}

/* Does the entry's name (still) have key?  1, 0, -1 (allocation). */
static int
entry_has_key(struct ldap_backend *lb, LDAP *ld, LDAPMessage *e,
              const char *key)
{
    char *keys = NULL;
    if (entry_name_keys(lb, ld, e, &keys) < 0)
        return -1;
    int has = keys != NULL && sg_dir_name_keys_contain(keys, key);
    free(keys);
    return has;
}

struct name_lookup {
    const char *key;
    struct sg_person ***people_r;
    size_t *n_r;
};

/* The people of one DN from the index, if the entry is still there, in
 * the user filter and known by the key: appended to a's people.  FOUND
 * (also when skipped) or an error. */
static enum sg_dir_status
name_candidate(struct ldap_backend *lb, struct conn *c, const char *dn,
               struct name_lookup *a, const char **error_r, int *ldap_rc_r)
{
    LDAPMessage *res = NULL;
    int rc = sg_dir_ldap_search(lb, c, dn, LDAP_SCOPE_BASE, lb->user_filter,
                                lb->attrs, 1, NULL, &res);
    if (rc == LDAP_NO_SUCH_OBJECT) {
        ldap_msgfree(res);
        return SG_DIR_FOUND; /* gone since the index was loaded */
    }
    if (rc != LDAP_SUCCESS) {
        ldap_msgfree(res);
        *ldap_rc_r = rc;
        *error_r = sg_dir_ldap_search_error(lb, c, "name search", rc);
        return sg_dir_ldap_status_of(rc);
    }
    LDAPMessage *e = ldap_first_entry(c->ld, res);
    int has = e != NULL ? entry_has_key(lb, c->ld, e, a->key) : 0;
    enum sg_dir_status st = SG_DIR_FOUND;
    struct sg_person *p = NULL;
    if (has < 0) {
        *error_r = "out of memory";
        st = SG_DIR_TEMPFAIL;
    } else if (has > 0) {
        enum sg_channel channel;
        st = build_person(lb, c, e, NULL, &p, &channel, error_r, ldap_rc_r);
        if (st == SG_DIR_NOTFOUND)
            st = SG_DIR_FOUND; /* disabled and unknown, or no address */
    }
    ldap_msgfree(res);
    if (p != NULL) {
        struct sg_person **grown =
            realloc(*a->people_r, (*a->n_r + 1) * sizeof(*grown));
        if (grown == NULL) {
            sg_person_free(&p);
            *error_r = "out of memory";
            return SG_DIR_TEMPFAIL;
        }
        *a->people_r = grown;
        grown[(*a->n_r)++] = p;
    }
    return st;
}

static enum sg_dir_status
lookup_name_on(struct ldap_backend *lb, struct conn *c, void *arg,
               const char **error_r, int *ldap_rc_r)
{
    struct name_lookup *a = arg;
    *ldap_rc_r = 0;
    sg_dir_people_free(a->people_r, a->n_r); /* from a failed first try */

    /* the candidates' DNs, from the index */
    pthread_mutex_lock(&lb->name_lock);
    int rc = names_fresh(lb, c);
    const struct dn_list *l =
        rc == 0 ? sg_dir_hash_get(lb->names, a->key) : NULL;
    char **dns = NULL;
    size_t n = 0;
    bool oom = false;
    for (size_t i = 0; l != NULL && i < l->n && i <= NAME_CANDIDATES_MAX &&
                       !oom;
         i++)
        oom = sg_strv_push(&dns, &n, l->dns[i]) < 0;
    pthread_mutex_unlock(&lb->name_lock);
    if (rc != 0) {
        *ldap_rc_r = -rc;
        *error_r = sg_dir_ldap_search_error(lb, c, "display-name index", -rc);
        return sg_dir_ldap_status_of(-rc);
    }
    if (oom) {
        sg_strv_free(&dns, &n);
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    if (n > NAME_CANDIDATES_MAX) {
        sg_strv_free(&dns, &n);
        return SG_DIR_NOTFOUND; /* too common a name to say anything */
    }

    enum sg_dir_status st = SG_DIR_FOUND;
    for (size_t i = 0; i < n && st == SG_DIR_FOUND; i++)
        st = name_candidate(lb, c, dns[i], a, error_r, ldap_rc_r);
    sg_strv_free(&dns, &n);
    if (st != SG_DIR_FOUND) {
        sg_dir_people_free(a->people_r, a->n_r);
        return st;
    }
    return *a->n_r > 0 ? SG_DIR_FOUND : SG_DIR_NOTFOUND;
}

static enum sg_dir_status
ldap_lookup_name(struct sg_dir_backend *backend, const char *key,
                 struct sg_person ***people_r, size_t *n_r,
                 const char **error_r)
{
    struct ldap_backend *lb = (struct ldap_backend *)backend;
    *people_r = NULL;
    *n_r = 0;
    if (lb->name_attr == NULL) {
        *error_r = "ldap_name_attribute is not set: display names cannot "
                   "be looked up";
        return SG_DIR_CONFIG;
    }
    struct name_lookup a = {key, people_r, n_r};
    return sg_dir_ldap_with_connection(lb, lookup_name_on, &a, error_r);
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

static void
ldap_free(struct sg_dir_backend *backend)
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
    sg_dir_hash_free(&lb->names, dn_list_free);
    pthread_mutex_destroy(&lb->name_lock);
    free(lb);
}

static const struct sg_dir_backend_ops ldap_ops = {
    .name = "ldap",
    .lookup = ldap_lookup,
    .check = ldap_check,
    .free = ldap_free,
    .lookup_name = ldap_lookup_name,
};

/* ---------------------------------------------------------------- open */

/* "ROLE=VALUE" entries into rules. */
static enum sg_dir_status
parse_rules(char *const *list, size_t n, const char *what, bool filter,
            struct role_rule **rules_r, size_t *n_r, const char **error_r)
{
    struct role_rule *rules = calloc(n ? n : 1, sizeof(*rules));
    if (rules == NULL) {
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    *rules_r = rules;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(list[i], '=');
        bool bad = eq == NULL || eq == list[i] || eq[1] == '\0';
        for (const char *r = list[i]; !bad && r < eq; r++)
            bad = !((*r >= 'a' && *r <= 'z') || (*r >= 'A' && *r <= 'Z') ||
                    (*r >= '0' && *r <= '9') || *r == '-' || *r == '_' ||
                    *r == '.');
        if (!bad && !filter) {
            /* a group DN must parse as one: catches "cn=Staff,..." given
             * without its role */
            LDAPDN dn = NULL;
            bad = ldap_str2dn(eq + 1, &dn, LDAP_DN_FORMAT_LDAPV3) !=
                      LDAP_SUCCESS ||
                  dn == NULL;
            ldap_dnfree(dn);
        }
        if (bad) {
            *error_r = sg_dir_errorf("%s \"%s\": expected ROLE=%s", what,
                                     list[i], filter ? "FILTER" : "GROUP-DN");
            return SG_DIR_CONFIG;
        }
        rules[i].role = strndup(list[i], (size_t)(eq - list[i]));
        rules[i].value = filter ? parenthesise(eq + 1) : strdup(eq + 1);
        (*n_r)++;
        if (rules[i].role == NULL || rules[i].value == NULL) {
            *error_r = "out of memory";
            return SG_DIR_TEMPFAIL;
        }
    }
    return SG_DIR_FOUND;
}

enum sg_dir_status
sg_dir_ldap_open(const struct sg_dir_config *cfg,
                 struct sg_dir_backend **backend_r, const char **error_r)
{
    *backend_r = NULL;
    if (cfg->n_ldap_uris == 0) {
        *error_r = "ldap_uri is not set (the ldap backend needs at least one)";
        return SG_DIR_CONFIG;
    }
    for (size_t i = 0; i < cfg->n_ldap_uris; i++) {
        const char *u = cfg->ldap_uris[i];
        if (strncasecmp(u, "ldap://", 7) != 0 &&
            strncasecmp(u, "ldaps://", 8) != 0 &&
            strncasecmp(u, "ldapi://", 8) != 0) {
            *error_r = sg_dir_errorf("ldap_uri %s: must start with ldap://, "
                                     "ldaps:// or ldapi://",
                                     u);
            return SG_DIR_CONFIG;
        }
    }
    if (!set(cfg->ldap_base)) {
        *error_r = "ldap_base is not set";
        return SG_DIR_CONFIG;
    }
    if (!set(cfg->ldap_mail_attribute)) {
        *error_r = "ldap_mail_attribute is not set";
        return SG_DIR_CONFIG;
    }
    if (set(cfg->ldap_bind_dn) != set(cfg->ldap_bind_password_file)) {
        *error_r = "ldap_bind_dn and ldap_bind_password_file go together";
        return SG_DIR_CONFIG;
    }
    if (cfg->ldap_pool_size < 1 || cfg->ldap_pool_size > 256 ||
        cfg->ldap_timeout < 0 || cfg->ldap_connect_timeout < 0 ||
        cfg->ldap_group_ttl < 0 || cfg->ldap_page_size < 1) {
        *error_r = "ldap_pool_size must be 1..256, ldap_page_size at least "
                   "1, and the ldap timeouts not negative";
        return SG_DIR_CONFIG;
    }
    if (set(cfg->ldap_tls_ca_file)) {
        FILE *fp = fopen(cfg->ldap_tls_ca_file, "r");
        if (fp == NULL) {
            *error_r = sg_dir_errorf("cannot open ldap_tls_ca_file %s: %s",
                                     cfg->ldap_tls_ca_file, strerror(errno));
            return SG_DIR_CONFIG;
        }
        fclose(fp);
    }
    /* libldap's global initialisation, here in one thread */
    int version = 0;
    ldap_get_option(NULL, LDAP_OPT_PROTOCOL_VERSION, &version);

    struct ldap_backend *lb = calloc(1, sizeof(*lb));
    if (lb == NULL) {
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    lb->base.ops = &ldap_ops;
    pthread_mutex_init(&lb->pool_lock, NULL);
    pthread_cond_init(&lb->pool_free, NULL);
    pthread_mutex_init(&lb->group_lock, NULL);
    pthread_mutex_init(&lb->name_lock, NULL);

    enum sg_dir_status st = SG_DIR_FOUND;
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
    lb->user_filter = parenthesise(set(cfg->ldap_user_filter)
                                       ? cfg->ldap_user_filter
                                       : "(objectClass=*)");
    lb->mail_attr = strdup(cfg->ldap_mail_attribute);
    lb->proxy_attr = dup_set(cfg->ldap_proxy_attribute);
    lb->personal_attr = dup_set(cfg->ldap_personal_attribute);
    lb->children_attr = dup_set(cfg->ldap_children_attribute);
    lb->name_attr = dup_set(cfg->ldap_name_attribute);
    lb->dob_attr = dup_set(cfg->ldap_dob_attribute);
    lb->left_attr = dup_set(cfg->ldap_left_attribute);
    lb->memberof_attr = strdup(set(cfg->ldap_memberof_attribute)
                                   ? cfg->ldap_memberof_attribute
                                   : "memberOf");
    lb->disabled_filter =
        set(cfg->ldap_disabled_filter) ? parenthesise(cfg->ldap_disabled_filter)
                                       : NULL;
    lb->disabled_role = set(cfg->ldap_disabled_role) &&
                                strcasecmp(cfg->ldap_disabled_role,
                                           "notfound") != 0
                            ? strdup(cfg->ldap_disabled_role)
                            : NULL;
    oom |= lb->base_dn == NULL || lb->user_filter == NULL ||
           lb->mail_attr == NULL || lb->memberof_attr == NULL ||
           (set(cfg->ldap_bind_dn) && lb->bind_dn == NULL) ||
           (set(cfg->ldap_proxy_attribute) && lb->proxy_attr == NULL);

    /* the attributes a person is built from */
    lb->attrs = calloc(10 + lb->n_alias_attrs, sizeof(char *));
    if (lb->attrs != NULL) {
        size_t k = 0;
        const char *one[] = {lb->mail_attr,     lb->proxy_attr,
                             lb->personal_attr, lb->children_attr,
                             lb->name_attr,     lb->dob_attr,
                             lb->left_attr};
        for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
            if (one[i] != NULL)
                lb->attrs[k++] = one[i];
        for (size_t i = 0; i < lb->n_alias_attrs; i++)
            lb->attrs[k++] = lb->alias_attrs[i];
        lb->attrs[k] = NULL;
    }
    oom |= lb->attrs == NULL;

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
    oom |= lb->address_attrs == NULL || lb->address_prefixes == NULL;

    lb->n_conns = (size_t)cfg->ldap_pool_size;
    lb->conns = calloc(lb->n_conns, sizeof(*lb->conns));
    oom |= lb->conns == NULL;
    for (size_t i = 0; lb->conns != NULL && i < lb->n_conns; i++) {
        lb->conns[i].next_free = lb->free_list;
        lb->free_list = &lb->conns[i];
    }
    if (oom) {
        *error_r = "out of memory";
        st = SG_DIR_TEMPFAIL;
    }
    if (st == SG_DIR_FOUND && set(cfg->ldap_bind_password_file))
        st = sg_dir_ldap_read_password(cfg->ldap_bind_password_file,
                                       &lb->password, error_r);
    if (st == SG_DIR_FOUND)
        st = parse_rules(cfg->ldap_role_filters, cfg->n_ldap_role_filters,
                         "ldap_role_filter", true, &lb->filters,
                         &lb->n_filters, error_r);
    if (st == SG_DIR_FOUND)
        st = parse_rules(cfg->ldap_role_groups, cfg->n_ldap_role_groups,
                         "ldap_role_group", false, &lb->groups, &lb->n_groups,
                         error_r);
    if (st != SG_DIR_FOUND) {
        ldap_free(&lb->base);
        return st;
    }
    *backend_r = &lb->base;
    return SG_DIR_FOUND;
}
