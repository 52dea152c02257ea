/*
 * sg_dir_ldap_search.c - the `ldap` backend's searches: one search with
 * the backend's timeout, a paged subtree search, whether an entry matches
 * a filter, the "any of these attributes" filter a lookup runs, and role
 * groups: membership directly or through nested groups (the server's
 * in-chain rule, or an expansion by the client cached for
 * ldap_group_ttl).  sg_dir_ldap.c builds people from what they find;
 * sg_dir_auth.c checks a login with them.
 *
 * SECURITY: every value placed in a filter goes through
 * sg_dir_filter_escape() (RFC 4515), so "*)(uid=*" matches nothing.
 * A failed search is an error for the caller, never "no match".
 * Thread-safe: the connection is the caller's alone; group expansions are
 * serialised by the backend's group_lock.  Never logs.
 */
#include "config.h"

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

/* ---------------------------------------------------------------- helpers */

time_t
sg_dir_ldap_mono_now(void)
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
    int rc = ldap_search_ext_s(c->ld, base, scope, filter, a.m, 0, ctrls, NULL,
                               lb->timeout > 0 ? &tv : NULL, sizelimit, res_r);
    return rc;
}

const char *
sg_dir_ldap_search_error(struct ldap_backend *lb, struct conn *c,
                         const char *what, int rc)
{
    return sg_dir_errorf("LDAP %s on %s failed: %s%s", what, lb->uris[c->uri],
                         ldap_err2string(rc), sg_dir_ldap_diagnostic(c->ld));
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
    static const char *const classes[] = {
        "group", "groupOfNames", "groupOfUniqueNames", "groupOfMembers"};
    struct berval **vals = ldap_get_values_len(ld, entry, "objectClass");
    bool group = false;
    for (size_t i = 0; vals != NULL && vals[i] != NULL && !group; i++)
        for (size_t j = 0; j < sizeof(classes) / sizeof(classes[0]); j++)
            if (strlen(classes[j]) == vals[i]->bv_len &&
                strncasecmp(vals[i]->bv_val, classes[j], vals[i]->bv_len) == 0)
                group = true;
    ldap_value_free_len(vals);
    return group;
}

/* A subtree search under the base, page by page (ldap_page_size), with
 * fn called for each entry.  0 or -(LDAP error). */
int
sg_dir_ldap_paged_search(struct ldap_backend *lb, struct conn *c,
                         const char *filter, const char **attrs,
                         sg_dir_ldap_entry_fn *fn, void *arg)
{
    int result = 0;
    struct berval cookie = {0, NULL};
    do {
        LDAPControl *page = NULL;
        int rc =
            ldap_create_page_control(c->ld, lb->page_size, &cookie, 1, &page);
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
        rc = ldap_parse_result(c->ld, res, &err, NULL, NULL, NULL, &rctrls, 0);
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
        result =
            sg_dir_ldap_paged_search(lb, c, filter, attrs, expand_entry, &x);
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
    time_t now = sg_dir_ldap_mono_now();
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
    int rc = sg_buf_printf(&buf, "(&%s", lb->user_filter);
    if (exclude != NULL)
        rc |= sg_buf_printf(&buf, "(!%s)", exclude);
    rc |= sg_buf_puts(&buf, "(|");
    for (size_t i = 0; i < n; i++)
        rc |= sg_buf_printf(
            &buf, "(%s=%s%s)", attrs[i],
            prefixes != NULL && prefixes[i] != NULL ? prefixes[i] : "", esc);
    rc |= sg_buf_puts(&buf, "))");
    free(esc);
    if (rc != 0) {
        sg_buf_free(&buf);
        return NULL;
    }
    return sg_buf_steal(&buf);
}

