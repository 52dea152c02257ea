/*
 * sg_dir_auth.h - check a login against the school directory (LDAP or
 * Active Directory): is this the person's password, and are they in the
 * group allowed in (the Designated Safeguarding Leads)?  For the
 * quarantine review web page.
 *
 * The connection settings are the directory's (struct sg_dir_config:
 * ldap_uri, ldap_base, ldap_bind_dn and ldap_bind_password_file,
 * ldap_starttls, ldap_tls_ca_file, ldap_tls_verify, the timeouts,
 * ldap_user_filter, ldap_disabled_filter, ldap_memberof_attribute,
 * ldap_use_in_chain), whatever directory_backend says.
 *
 * How a login is checked (safeguard-directory(5), "LOGGING IN TO THE
 * REVIEW PAGE"):
 *  1. A login that is empty, longer than SG_DIR_AUTH_LOGIN_MAX bytes or
 *     holds a control character, and an empty password, are
 *     BAD_CREDENTIALS before any server is contacted: a simple bind with
 *     a DN and an empty password is an unauthenticated bind, which many
 *     servers answer with success.
 *  2. The service account (ldap_bind_dn, or anonymous) searches under
 *     ldap_base for (&USER-FILTER(!DISABLED-FILTER)(|(A1=LOGIN)(A2=LOGIN)...))
 *     over the login attributes, the login escaped per RFC 4515.  No
 *     entry, or more than one: BAD_CREDENTIALS.
 *  3. A new connection (same URIs, failover, StartTLS, CA, timeouts;
 *     never a pooled one) binds as the entry's DN with the password.
 *     Refused as invalid credentials: BAD_CREDENTIALS; any other failure:
 *     ERROR.
 *  4. The service account decides membership of group_dn: the group
 *     entry must exist (else ERROR); then its member or uniqueMember
 *     holds the user's DN, or its memberUid the user's uid; else the
 *     directory library's group membership (the user's memberOf, directly
 *     or through nested groups: the in-chain rule on Active Directory,
 *     client-side expansion otherwise).  Not a member: NOT_MEMBER.
 *     The password is checked before membership, so that only someone
 *     who knows it learns whether the account is in the group.
 *
 * SECURITY: the password is never logged, copied or put in an error
 * string.  Values in filters are escaped; attribute names are checked.
 * An empty group_dn is an ERROR, never "everyone".
 * Thread-safe: each call opens its own connections and closes them; no
 * state is kept between calls.  Never logs.
 */
#ifndef SG_DIR_AUTH_H
#define SG_DIR_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_directory.h"

#define SG_DIR_AUTH_LOGIN_MAX 256

enum sg_dir_auth_result {
    SG_DIR_AUTH_OK = 0,
    SG_DIR_AUTH_BAD_CREDENTIALS = 1, /* unknown user, wrong or empty
                                        password, ambiguous login */
    SG_DIR_AUTH_NOT_MEMBER = 2,      /* password right, not in the group */
    SG_DIR_AUTH_ERROR = -1,          /* directory unreachable or
                                        misconfigured: *error_r says why */
};

/* The check of step 1 alone: true for a login that is not empty, at
 * most SG_DIR_AUTH_LOGIN_MAX bytes, and without control characters. */
bool sg_dir_auth_login_usable(const char *login);

/* Check login and password, and membership of group_dn.
 * login_attributes: the n_attrs attributes a login is looked up by (e.g.
 * uid, mail; sAMAccountName, userPrincipalName on Active Directory); at
 * least one, each an attribute name.
 * user_dn_r (may be NULL): on OK and NOT_MEMBER the user's DN, malloc'ed
 * (the caller frees it); NULL otherwise.
 * error_r: on every result but OK, why (a static string or the thread's
 * error text, common/sg_error.h).  For the log, never for the person logging in: it
 * tells an unknown login from a wrong password.  It never holds the
 * password.
 * A configuration's char ** list is passed as
 * (const char *const *)list. */
int sg_dir_auth_check(const struct sg_dir_config *cfg, const char *login,
                      const char *password, const char *group_dn,
                      const char *const *login_attributes, size_t n_attrs,
                      char **user_dn_r, const char **error_r);

#endif
