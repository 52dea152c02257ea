/*
 * sg_dir_ldap_int.h - what the two halves of the `ldap` backend share:
 * the backend's state (configuration, connection pool, role rules), the
 * connection functions of sg_dir_ldap_conn.c that the searches of
 * sg_dir_ldap.c run on, and the search helpers sg_dir_auth.c reuses.
 *
 * Not installed: sg_dir_ldap.c, sg_dir_ldap_conn.c and sg_dir_auth.c (a
 * login checked against the directory) include it.
 */
#ifndef SG_DIR_LDAP_INT_H
#define SG_DIR_LDAP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <ldap.h>

#include "sg_dir_internal.h"

struct conn {
    LDAP *ld; /* NULL: not connected */
    size_t uri;
    struct conn *next_free;
};

struct role_rule {
    char *role;
    char *value; /* filter, or group DN */
    /* client-side group expansion: normalised member DNs */
    struct sg_dir_hash *members;
    time_t loaded;
};

struct ldap_backend {
    struct sg_dir_backend base;

    char **uris;
    size_t n_uris;
    char *base_dn, *bind_dn, *password;
    bool starttls, verify;
    char *ca_file;
    int connect_timeout, timeout, group_ttl, page_size;
    char *user_filter, *mail_attr, *proxy_attr, *personal_attr,
        *children_attr, *name_attr, *dob_attr, *left_attr, *memberof_attr,
        *disabled_filter, *disabled_role;
    char **alias_attrs;
    size_t n_alias_attrs;
    const char **attrs; /* attributes to fetch for a person */
    /* attributes an address is looked up in, and their value prefixes
     * (NULL: none) */
    const char **address_attrs, **address_prefixes;
    size_t n_address_attrs;
    bool in_chain;
    struct role_rule *filters, *groups;
    size_t n_filters, n_groups;

    pthread_mutex_t pool_lock;
    pthread_cond_t pool_free;
    struct conn *conns, *free_list;
    size_t n_conns;
    size_t preferred_uri; /* the last URI that worked */

    pthread_mutex_t group_lock;

    /* display names: name key (sg_dir_name_keys) -> the DNs of the
     * entries known by it, loaded whole and kept ldap_group_ttl seconds
     * (a skeleton cannot be put in a search filter) */
    pthread_mutex_t name_lock;
    struct sg_dir_hash *names;
    time_t names_loaded;
};

/* ---- LDAP result codes (sg_dir_ldap_conn.c) */
/* The connection is probably dead: drop it and reconnect. */
bool sg_dir_ldap_is_connection_error(int rc);
/* CONFIG for errors a retry cannot fix, else TEMPFAIL. */
enum sg_dir_status sg_dir_ldap_status_of(int rc);
/* " (the server's diagnostic message)" or "", written into diag. */
#define SG_DIR_DIAG_MAX 256
const char *sg_dir_ldap_diagnostic(LDAP *ld, char diag[SG_DIR_DIAG_MAX]);

/* ---- connections and the pool (sg_dir_ldap_conn.c) */
void sg_dir_ldap_conn_close(struct conn *c);
/* Connect (the backend's timeouts, TLS verification, CA), StartTLS when
 * configured, and simple-bind as dn with password (dn NULL: anonymous),
 * trying the URIs in order from the last one that worked: FOUND with c
 * connected.  On failure *error_r says why (never with the password;
 * hint is appended when the server refused the credentials) and
 * *bind_rc_r is the LDAP error of a refused bind, 0 when no server got
 * as far as the bind.  A bind refused for a reason a retry cannot fix
 * (bad credentials) is not tried on the other servers. */
enum sg_dir_status sg_dir_ldap_connect_as(struct ldap_backend *lb,
                                          struct conn *c, const char *dn,
                                          const char *password,
                                          const char *hint, int *bind_rc_r,
                                          const char **error_r);
/* The same as the service account (ldap_bind_dn and the password file). */
enum sg_dir_status sg_dir_ldap_conn_open(struct ldap_backend *lb,
                                         struct conn *c, const char **error_r);
/* Waits for a free connection (connected or not). */
struct conn *sg_dir_ldap_conn_get(struct ldap_backend *lb);
void sg_dir_ldap_conn_put(struct ldap_backend *lb, struct conn *c);

/* What a lookup does on one connection.  *ldap_rc_r gets the LDAP error
 * of a failure (0 for others) so that the caller can decide to
 * reconnect. */
typedef enum sg_dir_status sg_dir_ldap_lookup_fn(struct ldap_backend *lb,
                                                 struct conn *c, void *arg,
                                                 const char **error_r,
                                                 int *ldap_rc_r);

/* Run a lookup on a pooled connection, reconnecting once if it died. */
enum sg_dir_status sg_dir_ldap_with_connection(struct ldap_backend *lb,
                                               sg_dir_ldap_lookup_fn *fn,
                                               void *arg, const char **error_r);

/* ---- searches (sg_dir_ldap.c) */
/* One synchronous search with the backend's timeout; *res_r must be
 * freed with ldap_msgfree even on error.  Returns the LDAP result. */
int sg_dir_ldap_search(struct ldap_backend *lb, struct conn *c,
                       const char *base, int scope, const char *filter,
                       const char **attrs, int sizelimit, LDAPControl **ctrls,
                       LDAPMessage **res_r);
/* "LDAP <what> on <uri> failed: ..." as the thread's error text. */
const char *sg_dir_ldap_search_error(struct ldap_backend *lb, struct conn *c,
                                     const char *what, int rc);
/* (&USER-FILTER[(!EXCLUDE)](|(A1=P1VALUE)(A2=P2VALUE)...)): entries of
 * ldap_user_filter (exclude NULL: all of them) that have value in one of
 * the n attributes, each value after its prefix (prefixes, or one of
 * them, may be NULL: none).  The value is escaped per RFC 4515, so it
 * cannot widen the search.  Malloc'ed; NULL on allocation failure. */
char *sg_dir_ldap_any_of_filter(const struct ldap_backend *lb,
                                const char *exclude, const char *value,
                                const char *const *attrs,
                                const char *const *prefixes, size_t n);
/* Does the entry at dn match filter?  1, 0 (also when there is no such
 * entry), or -(LDAP error). */
int sg_dir_ldap_entry_matches(struct ldap_backend *lb, struct conn *c,
                              const char *dn, const char *filter);
/* Is user_dn a member of the group rule->value, through the memberOf
 * attribute, directly or through nested groups (in-chain rule, or the
 * client-side expansion cached in rule->members)?  1, 0, or -(LDAP
 * error). */
int sg_dir_ldap_group_member(struct ldap_backend *lb, struct conn *c,
                             struct role_rule *rule, const char *user_dn);

/* The first line of the bind password file (CONFIG if missing or
 * empty); *password_r is malloc'ed. */
enum sg_dir_status sg_dir_ldap_read_password(const char *path,
                                             char **password_r,
                                             const char **error_r);

#endif
