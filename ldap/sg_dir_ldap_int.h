/*
 * sg_dir_ldap_int.h - what the pieces of the `ldap` backend share: the
 * backend's state (configuration, connection pool, role rules), its
 * settings turned into that state (sg_dir_ldap_open.c), the connection
 * functions of sg_dir_ldap_conn.c that the searches of
 * sg_dir_ldap_search.c run on, the person an entry makes
 * (sg_dir_ldap.c), the display-name index (sg_dir_ldap_names.c), and
 * the search helpers sg_dir_auth.c reuses.
 *
 * Not installed: the sg_dir_ldap*.c files and sg_dir_auth.c (a login
 * checked against the directory) include it.
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
        *children_attr, *name_attr, *dob_attr, *left_attr, *upn_attr, *memberof_attr,
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

/* ---- the backend (sg_dir_ldap.c, sg_dir_ldap_open.c) */
extern const struct sg_dir_backend_ops sg_dir_ldap_ops;
void sg_dir_ldap_free(struct sg_dir_backend *backend);
/* An attribute description (RFC 4512): letters, digits, '-', '.' and
 * ';' options; nothing that could change a filter's meaning. */
bool sg_dir_ldap_attribute_ok(const char *name);
/* Does dn parse as an LDAPv3 DN? */
bool sg_dir_ldap_dn_parses(const char *dn);
/* The person of one entry: attributes, roles from filters and groups,
 * the disabled-account rule.  key: the address looked up (for the
 * channel), or NULL for a name lookup.  NOTFOUND for a disabled account
 * that counts as unknown, or (name lookups) an entry without an address.
 * *ldap_rc_r gets the LDAP error of a failure. */
enum sg_dir_status sg_dir_ldap_build_person(struct ldap_backend *lb,
                                            struct conn *c, LDAPMessage *e,
                                            const char *key,
                                            struct sg_person **person_r,
                                            enum sg_channel *channel_r,
                                            const char **error_r,
                                            int *ldap_rc_r);

/* ---- display names (sg_dir_ldap_names.c): the backend's lookup_name,
 * and the index freed with the backend. */
enum sg_dir_status sg_dir_ldap_lookup_name(struct sg_dir_backend *backend,
                                           const char *key,
                                           struct sg_person ***people_r,
                                           size_t *n_r, const char **error_r);
void sg_dir_ldap_names_free(struct ldap_backend *lb);

/* ---- searches (sg_dir_ldap_search.c) */
/* Seconds on the monotonic clock (group and name index ages). */
time_t sg_dir_ldap_mono_now(void);
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
/* What a paged search does with each entry: 0 or -(LDAP error). */
typedef int sg_dir_ldap_entry_fn(void *arg, LDAP *ld, LDAPMessage *e);
/* A subtree search under the base, page by page (ldap_page_size), with
 * fn called for each entry.  0 or -(LDAP error). */
int sg_dir_ldap_paged_search(struct ldap_backend *lb, struct conn *c,
                             const char *filter, const char **attrs,
                             sg_dir_ldap_entry_fn *fn, void *arg);
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
