/*
 * sg_dir_auth.c - a login checked against the directory: find the entry
 * with the service account, bind as it with the password on a
 * connection of its own, then decide membership of a group (the rules
 * are in sg_dir_auth.h).
 *
 * Everything LDAP is the `ldap` backend's: one is opened for the call
 * (sg_dir_ldap_open: the settings checked, the service password file),
 * its pooled connection runs the searches (sg_dir_ldap_with_connection:
 * failover, one reconnect), the user's bind goes through the same
 * connection set-up (sg_dir_ldap_connect_as) on a separate handle, and
 * nested membership is the backend's group membership
 * (sg_dir_ldap_group_member).
 *
 * SECURITY: no server is contacted for an empty password or an unusable
 * login; the login goes through sg_dir_filter_escape() and the login
 * attribute names are checked, so neither can widen the search; the
 * password is passed to libldap and nowhere else.
 * Thread-safe: all state lives in the call.  Never logs.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "sg_dir_auth.h"
#include "sg_dir_internal.h"
#include "sg_dir_ldap_int.h"

/* ---------------------------------------------------------------- checks */

bool
sg_dir_auth_login_usable(const char *login)
{
    if (login == NULL || *login == '\0' ||
        strnlen(login, SG_DIR_AUTH_LOGIN_MAX + 1) > SG_DIR_AUTH_LOGIN_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)login; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

/* ---------------------------------------------------------------- login */

struct find_user {
    char *filter;
    size_t found; /* entries: 0, 1, or 2 for "more than one" */
    char *dn;
    char *uid; /* for memberUid; NULL when the entry has none */
};

static enum sg_dir_status
find_user_on(struct ldap_backend *lb, struct conn *c, void *arg,
             const char **error_r, int *ldap_rc_r)
{
    static const char *attrs[] = {"uid", NULL};
    struct find_user *f = arg;
    *ldap_rc_r = 0;
    free(f->dn); /* from a failed first try */
    free(f->uid);
    f->dn = f->uid = NULL;
    f->found = 0;
    LDAPMessage *res = NULL;
    int rc = sg_dir_ldap_search(lb, c, lb->base_dn, LDAP_SCOPE_SUBTREE,
                                f->filter, attrs, 2, NULL, &res);
    if (rc == LDAP_SIZELIMIT_EXCEEDED) {
        ldap_msgfree(res);
        f->found = 2;
        return SG_DIR_NOTFOUND;
    }
    if (rc != LDAP_SUCCESS) {
        ldap_msgfree(res);
        *ldap_rc_r = rc;
        *error_r = sg_dir_ldap_search_error(lb, c, "login search", rc);
        return sg_dir_ldap_status_of(rc);
    }
    LDAPMessage *e = ldap_first_entry(c->ld, res);
    if (e == NULL) {
        ldap_msgfree(res);
        return SG_DIR_NOTFOUND;
    }
    if (ldap_next_entry(c->ld, e) != NULL) {
        ldap_msgfree(res);
        f->found = 2;
        return SG_DIR_NOTFOUND;
    }
    f->found = 1;
    enum sg_dir_status st = SG_DIR_FOUND;
    char *dn = ldap_get_dn(c->ld, e);
    struct berval **uid = ldap_get_values_len(c->ld, e, "uid");
    bool has_uid = uid != NULL && uid[0] != NULL && uid[0]->bv_len > 0;
    f->dn = dn != NULL ? strdup(dn) : NULL;
    f->uid = has_uid ? strndup(uid[0]->bv_val, uid[0]->bv_len) : NULL;
    if (f->dn == NULL || (has_uid && f->uid == NULL)) {
        *error_r = "out of memory";
        st = SG_DIR_TEMPFAIL;
    }
    ldap_value_free_len(uid);
    if (dn != NULL)
        ldap_memfree(dn);
    ldap_msgfree(res);
    return st;
}

/* ---------------------------------------------------------------- bind */

/* Bind as dn with password on a connection of its own, closed again. */
static enum sg_dir_auth_result
bind_as_user(struct ldap_backend *lb, const char *dn, const char *password,
             const char **error_r)
{
    struct conn c = {0};
    int bind_rc = 0;
    enum sg_dir_status st =
        sg_dir_ldap_connect_as(lb, &c, dn, password, NULL, &bind_rc, error_r);
    sg_dir_ldap_conn_close(&c);
    if (st == SG_DIR_FOUND)
        return SG_DIR_AUTH_OK;
    if (bind_rc == LDAP_INVALID_CREDENTIALS) {
        *error_r = "wrong password (the directory refused the bind)";
        return SG_DIR_AUTH_BAD_CREDENTIALS;
    }
    return SG_DIR_AUTH_ERROR;
}

/* ---------------------------------------------------------------- group */

struct membership {
    const char *group_dn, *user_dn, *uid;
    bool member;
};

/* (|(member=DN)(uniqueMember=DN)(memberUid=UID)); NULL on allocation
 * failure. */
static char *
direct_member_filter(const char *user_dn, const char *uid)
{
    char *dn = sg_dir_filter_escape(user_dn);
    char *u = uid != NULL ? sg_dir_filter_escape(uid) : NULL;
    char *filter = NULL;
    if (dn != NULL && (uid == NULL || u != NULL)) {
        size_t n = 2 * strlen(dn) + (u != NULL ? strlen(u) : 0) + 48;
        filter = malloc(n);
        if (filter != NULL)
            snprintf(filter, n, "(|(member=%s)(uniqueMember=%s)%s%s%s)", dn, dn,
                     u != NULL ? "(memberUid=" : "", u != NULL ? u : "",
                     u != NULL ? ")" : "");
    }
    free(dn);
    free(u);
    return filter;
}

static enum sg_dir_status
member_on(struct ldap_backend *lb, struct conn *c, void *arg,
          const char **error_r, int *ldap_rc_r)
{
    struct membership *m = arg;
    *ldap_rc_r = 0;
    m->member = false;

    /* the group must exist: a mistyped DN must not read as "nobody" */
    int r = sg_dir_ldap_entry_matches(lb, c, m->group_dn, "(objectClass=*)");
    if (r == 0) {
        *error_r = sg_dir_errorf("the DSL group %s does not exist or cannot "
                                 "be read",
                                 m->group_dn);
        return SG_DIR_CONFIG;
    }

    /* directly: member, uniqueMember, memberUid */
    if (r > 0) {
        char *filter = direct_member_filter(m->user_dn, m->uid);
        if (filter == NULL) {
            *error_r = "out of memory";
            return SG_DIR_TEMPFAIL;
        }
        r = sg_dir_ldap_entry_matches(lb, c, m->group_dn, filter);
        free(filter);
    }

    /* memberOf, directly or through nested groups */
    if (r == 0) {
        struct role_rule rule = {.value = strdup(m->group_dn)};
        r = rule.value != NULL
                ? sg_dir_ldap_group_member(lb, c, &rule, m->user_dn)
                : -LDAP_NO_MEMORY;
        sg_dir_hash_free(&rule.members, NULL);
        free(rule.value);
    }
    if (r < 0) {
        *ldap_rc_r = -r;
        *error_r = sg_dir_ldap_search_error(lb, c, "DSL group membership", -r);
        return sg_dir_ldap_status_of(-r);
    }
    m->member = r > 0;
    return SG_DIR_FOUND;
}

/* ---------------------------------------------------------------- check */

static enum sg_dir_auth_result
check_with(struct ldap_backend *lb, const char *login, const char *password,
           const char *group_dn, const char *const *attrs, size_t n_attrs,
           char **user_dn_r, const char **error_r)
{
    struct find_user f = {0};
    f.filter = sg_dir_ldap_any_of_filter(lb, lb->disabled_filter, login, attrs,
                                         NULL, n_attrs);
    if (f.filter == NULL) {
        *error_r = "out of memory";
        return SG_DIR_AUTH_ERROR;
    }
    enum sg_dir_auth_result result;
    enum sg_dir_status st =
        sg_dir_ldap_with_connection(lb, find_user_on, &f, error_r);
    if (st == SG_DIR_NOTFOUND) {
        *error_r = f.found == 0 ? "no directory entry has this login"
                                : "the login matches more than one directory "
                                  "entry";
        result = SG_DIR_AUTH_BAD_CREDENTIALS;
    } else if (st != SG_DIR_FOUND) {
        result = SG_DIR_AUTH_ERROR;
    } else {
        result = bind_as_user(lb, f.dn, password, error_r);
    }
    if (result == SG_DIR_AUTH_OK) {
        struct membership m = {group_dn, f.dn, f.uid, false};
        st = sg_dir_ldap_with_connection(lb, member_on, &m, error_r);
        if (st != SG_DIR_FOUND) {
            result = SG_DIR_AUTH_ERROR;
        } else if (!m.member) {
            *error_r = sg_dir_errorf("%s is not a member of the DSL group %s",
                                     f.dn, group_dn);
            result = SG_DIR_AUTH_NOT_MEMBER;
        }
    }
    if ((result == SG_DIR_AUTH_OK || result == SG_DIR_AUTH_NOT_MEMBER) &&
        user_dn_r != NULL) {
        *user_dn_r = f.dn;
        f.dn = NULL;
    }
    free(f.filter);
    free(f.dn);
    free(f.uid);
    return result;
}

int
sg_dir_auth_check(const struct sg_dir_config *cfg, const char *login,
                  const char *password, const char *group_dn,
                  const char *const *login_attributes, size_t n_attrs,
                  char **user_dn_r, const char **error_r)
{
    const char *ignored;
    if (error_r == NULL)
        error_r = &ignored;
    *error_r = NULL;
    if (user_dn_r != NULL)
        *user_dn_r = NULL;

    /* the configuration, whatever the credentials */
    if (cfg == NULL) {
        *error_r = "no directory configuration";
        return SG_DIR_AUTH_ERROR;
    }
    if (group_dn == NULL || *group_dn == '\0') {
        *error_r = "review_dsl_group is not set: nobody can log in";
        return SG_DIR_AUTH_ERROR;
    }
    if (!sg_dir_ldap_dn_parses(group_dn)) {
        *error_r =
            sg_dir_errorf("review_dsl_group \"%s\" is not a DN", group_dn);
        return SG_DIR_AUTH_ERROR;
    }
    if (n_attrs == 0 || login_attributes == NULL) {
        *error_r = "review_login_attributes is empty: a login cannot be "
                   "looked up";
        return SG_DIR_AUTH_ERROR;
    }
    for (size_t i = 0; i < n_attrs; i++)
        if (!sg_dir_ldap_attribute_ok(login_attributes[i])) {
            *error_r = sg_dir_errorf(
                "review_login_attributes: \"%s\" is not an attribute name",
                login_attributes[i] != NULL ? login_attributes[i] : "");
            return SG_DIR_AUTH_ERROR;
        }

    /* the credentials, before any server is contacted: a bind with an
     * empty password is an unauthenticated bind, which succeeds */
    if (!sg_dir_auth_login_usable(login)) {
        *error_r = "the login is empty, too long or holds a control "
                   "character";
        return SG_DIR_AUTH_BAD_CREDENTIALS;
    }
    if (password == NULL || *password == '\0') {
        *error_r = "empty password";
        return SG_DIR_AUTH_BAD_CREDENTIALS;
    }

    struct sg_dir_backend *backend = NULL;
    if (sg_dir_ldap_open(cfg, &backend, error_r) != SG_DIR_FOUND)
        return SG_DIR_AUTH_ERROR;
    enum sg_dir_auth_result result =
        check_with((struct ldap_backend *)backend, login, password, group_dn,
                   login_attributes, n_attrs, user_dn_r, error_r);
    backend->ops->free(backend);
    if (result == SG_DIR_AUTH_OK)
        *error_r = NULL; /* e.g. a first server that did not answer */
    return result;
}
