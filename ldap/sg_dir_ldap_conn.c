/*
 * sg_dir_ldap_conn.c - the `ldap` backend's connections: a pool of LDAP
 * handles, each connected on demand (failover between URIs, StartTLS,
 * simple bind with the password from a file) and reconnected once when a
 * pooled connection turns out to have died; what LDAP result codes mean
 * for the caller (retry or fix the configuration).
 *
 * SECURITY: the bind password is read from a file, kept in memory only,
 * and never put in an error string.  Certificates are verified unless
 * configured off.  A bind refused for bad credentials is not retried on
 * the other servers (they hold the same password).
 * Fails with TEMPFAIL (server down, slow, StartTLS failed) or CONFIG
 * (bad URI, credentials, rights), with the reason in *error_r.
 * Thread-safe: a connection is used by one thread at a time, between
 * sg_dir_ldap_conn_get and sg_dir_ldap_conn_put.  Never logs.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "sg_dir_internal.h"
#include "sg_dir_ldap_int.h"

/* ------------------------------------------------------------ result codes */

/* Retrying cannot fix these: the configuration (or the directory's data
 * or rights) must change. */
static bool
is_config_error(int rc)
{
    switch (rc) {
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_CONFIDENTIALITY_REQUIRED:
    case LDAP_INSUFFICIENT_ACCESS:
    case LDAP_FILTER_ERROR:
    case LDAP_NO_SUCH_OBJECT:
    case LDAP_INVALID_DN_SYNTAX:
    case LDAP_PARAM_ERROR:
    case LDAP_PROTOCOL_ERROR:
    case LDAP_INAPPROPRIATE_MATCHING:
        return true;
    default:
        return false;
    }
}

/* The connection is probably dead: drop it and reconnect. */
bool
sg_dir_ldap_is_connection_error(int rc)
{
    return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
           rc == LDAP_TIMEOUT || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY ||
           rc == LDAP_LOCAL_ERROR || rc == LDAP_OTHER;
}

enum sg_dir_status
sg_dir_ldap_status_of(int rc)
{
    return is_config_error(rc) ? SG_DIR_CONFIG : SG_DIR_TEMPFAIL;
}

const char *
sg_dir_ldap_diagnostic(LDAP *ld, char buf[SG_DIR_DIAG_MAX])
{
    char *msg = NULL;
    buf[0] = '\0';
    if (ld != NULL &&
        ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) ==
            LDAP_OPT_SUCCESS &&
        msg != NULL) {
        if (*msg != '\0')
            snprintf(buf, SG_DIR_DIAG_MAX, " (%s)", msg);
        ldap_memfree(msg);
    }
    return buf;
}

/* ---------------------------------------------------------------- pool */

void
sg_dir_ldap_conn_close(struct conn *c)
{
    if (c->ld != NULL)
        ldap_unbind_ext_s(c->ld, NULL, NULL);
    c->ld = NULL;
}

/* One URI: the handle with the backend's options (protocol, timeouts,
 * TLS verification and CA, a TLS context of its own), then StartTLS when
 * configured.  FOUND and *ld_r, or the failure in *error_r. */
static enum sg_dir_status
connect_uri(struct ldap_backend *lb, const char *uri, LDAP **ld_r,
            const char **error_r)
{
    LDAP *ld = NULL;
    *ld_r = NULL;
    int rc = ldap_initialize(&ld, uri);
    if (rc != LDAP_SUCCESS) {
        *error_r = sg_dir_errorf("LDAP URI %s: %s", uri, ldap_err2string(rc));
        return SG_DIR_CONFIG;
    }
    int version = LDAP_VERSION3;
    struct timeval ct = {lb->connect_timeout, 0};
    struct timeval ot = {lb->timeout, 0};
    int reqcert = lb->verify ? LDAP_OPT_X_TLS_DEMAND : LDAP_OPT_X_TLS_NEVER;
    int zero = 0;
    ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
    ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON);
    ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &ct);
    ldap_set_option(ld, LDAP_OPT_TIMEOUT, &ot);
    ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &reqcert);
    if (lb->ca_file != NULL)
        ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, lb->ca_file);
    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);

    if (lb->starttls && strncasecmp(uri, "ldaps:", 6) != 0 &&
        strncasecmp(uri, "ldapi:", 6) != 0) {
        rc = ldap_start_tls_s(ld, NULL, NULL);
        if (rc != LDAP_SUCCESS) {
            char diag[SG_DIR_DIAG_MAX];
            *error_r = sg_dir_errorf("LDAP StartTLS with %s failed: %s%s",
                                     uri, ldap_err2string(rc),
                                     sg_dir_ldap_diagnostic(ld, diag));
            ldap_unbind_ext_s(ld, NULL, NULL);
            return SG_DIR_TEMPFAIL;
        }
    }
    *ld_r = ld;
    return SG_DIR_FOUND;
}

/* Connect and simple-bind as dn with password, trying the URIs in order
 * from the last one that worked. */
enum sg_dir_status
sg_dir_ldap_connect_as(struct ldap_backend *lb, struct conn *c, const char *dn,
                       const char *password, const char *hint, int *bind_rc_r,
                       const char **error_r)
{
    enum sg_dir_status st = SG_DIR_TEMPFAIL;
    *bind_rc_r = 0;
    pthread_mutex_lock(&lb->pool_lock);
    size_t first = lb->preferred_uri;
    pthread_mutex_unlock(&lb->pool_lock);

    for (size_t k = 0; k < lb->n_uris; k++) {
        size_t i = (first + k) % lb->n_uris;
        const char *uri = lb->uris[i];
        LDAP *ld = NULL;
        st = connect_uri(lb, uri, &ld, error_r);
        if (st != SG_DIR_FOUND)
            continue;
        /* libldap takes char * but does not write through it */
        union {
            const char *c;
            char *m;
        } pw = {password != NULL ? password : ""};
        struct berval cred = {strlen(pw.c), pw.m};
        int rc =
            ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
        if (rc != LDAP_SUCCESS) {
            char diag[SG_DIR_DIAG_MAX];
            *error_r = sg_dir_errorf(
                "LDAP bind as %s to %s failed: %s%s%s", dn ? dn : "(anonymous)",
                uri, ldap_err2string(rc), sg_dir_ldap_diagnostic(ld, diag),
                rc == LDAP_INVALID_CREDENTIALS && hint != NULL ? hint : "");
            ldap_unbind_ext_s(ld, NULL, NULL);
            *bind_rc_r = rc;
            st = sg_dir_ldap_status_of(rc);
            if (st == SG_DIR_CONFIG)
                return st; /* the other servers hold the same password */
            continue;
        }
        *bind_rc_r = 0;
        c->ld = ld;
        c->uri = i;
        pthread_mutex_lock(&lb->pool_lock);
        lb->preferred_uri = i;
        pthread_mutex_unlock(&lb->pool_lock);
        return SG_DIR_FOUND;
    }
    return st;
}

/* The service account's connection: bind_dn and the password file. */
enum sg_dir_status
sg_dir_ldap_conn_open(struct ldap_backend *lb, struct conn *c,
                      const char **error_r)
{
    int bind_rc;
    return sg_dir_ldap_connect_as(lb, c, lb->bind_dn, lb->password,
                                  ": check ldap_bind_dn and "
                                  "ldap_bind_password_file",
                                  &bind_rc, error_r);
}

struct conn *
sg_dir_ldap_conn_get(struct ldap_backend *lb)
{
    pthread_mutex_lock(&lb->pool_lock);
    while (lb->free_list == NULL)
        pthread_cond_wait(&lb->pool_free, &lb->pool_lock);
    struct conn *c = lb->free_list;
    lb->free_list = c->next_free;
    pthread_mutex_unlock(&lb->pool_lock);
    return c;
}

void
sg_dir_ldap_conn_put(struct ldap_backend *lb, struct conn *c)
{
    pthread_mutex_lock(&lb->pool_lock);
    c->next_free = lb->free_list;
    lb->free_list = c;
    pthread_cond_signal(&lb->pool_free);
    pthread_mutex_unlock(&lb->pool_lock);
}

/* Run a lookup on a pooled connection.  A pooled connection may have died
 * since its last use: one retry on a fresh connection (which also fails
 * over to the next URI). */
enum sg_dir_status
sg_dir_ldap_with_connection(struct ldap_backend *lb, sg_dir_ldap_lookup_fn *fn,
                            void *arg, const char **error_r)
{
    struct conn *c = sg_dir_ldap_conn_get(lb);
    enum sg_dir_status st = SG_DIR_TEMPFAIL;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool fresh = c->ld == NULL;
        if (fresh &&
            (st = sg_dir_ldap_conn_open(lb, c, error_r)) != SG_DIR_FOUND)
            break;
        int rc = 0;
        st = fn(lb, c, arg, error_r, &rc);
        if (rc == 0 || !sg_dir_ldap_is_connection_error(rc))
            break;
        sg_dir_ldap_conn_close(c);
        if (fresh || rc == LDAP_TIMEOUT)
            break; /* a new connection failed too, or the server is slow */
    }
    sg_dir_ldap_conn_put(lb, c);
    return st;
}

/* ----------------------------------------------------------- bind password */

/* The first line of the file, without its line end; malloc'ed. */
enum sg_dir_status
sg_dir_ldap_read_password(const char *path, char **password_r,
                          const char **error_r)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL) {
        *error_r = sg_dir_errorf("cannot open ldap_bind_password_file %s: %s",
                                 path, strerror(errno));
        return SG_DIR_CONFIG;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, fp);
    fclose(fp);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n <= 0) {
        free(line);
        *error_r = sg_dir_errorf("ldap_bind_password_file %s is empty", path);
        return SG_DIR_CONFIG;
    }
    *password_r = line;
    return SG_DIR_FOUND;
}
