/*
 * web.h - the DSL's review web page (safeguard-review serve).
 *
 * Two layers:
 *   - sg_web_handle: one request in, one response out, with no sockets:
 *     routing, login, sessions, CSRF, the pages.  The unit tests and the
 *     page benchmark call it directly.
 *   - sg_web_serve: the HTTP server (libmicrohttpd, optionally TLS) that
 *     turns each HTTP request into a call of sg_web_handle.
 *
 * Every page goes through the review library (review.h), so a decision
 * made here is the same decision, audited the same way, as one made on
 * the command line.  The actor is the logged-in user; "from where" is the
 * client's address.
 *
 * SECURITY (the whole list, each with a test in tests/unit/test_web.c or
 * tests/browser/):
 *   - Only a logged-in DSL sees anything but the login page.  Login is
 *     checked by a callback (a local password file or the directory); a
 *     user the check refuses, or who is not a DSL, gets no session.
 *   - Session tokens: 32 bytes from the system CSPRNG, in an HttpOnly,
 *     SameSite=Strict cookie (Secure over TLS or when the operator says a
 *     TLS proxy is in front); they end after an idle time and a maximum
 *     age, and at logout.
 *   - Every form carries a CSRF token (per session; for the login form, a
 *     per-visit token matched against a cookie); a POST without the right
 *     one changes nothing.
 *   - Failed sign-ins are counted per (login name, client) pair and per
 *     client, never per name alone: past the free attempts that pair or
 *     client waits, longer with each failure, and its password is not
 *     checked meanwhile; the same name from another client is not
 *     slowed.  The client is the socket peer, or for a configured
 *     reverse proxy the last X-Forwarded-For hop (sg_web_client).
 *   - Every response has a strict Content-Security-Policy (no script at
 *     all, no external anything), nosniff, no framing, no caching, no
 *     referrer.
 *   - Nothing from a message is ever HTML: every string from the store is
 *     escaped, control characters and bidirectional overrides are shown
 *     as escapes, and the message text is the view builder's text.
 */
#ifndef SG_WEB_H
#define SG_WEB_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "review.h"
#include "sg_buf.h"
#include "sg_tz.h"

/* What a login check says. */
enum sg_web_auth_result {
    SG_WEB_AUTH_ERROR = -1,  /* could not check (directory down...) */
    SG_WEB_AUTH_OK = 0,      /* right password, and a DSL */
    SG_WEB_AUTH_BAD = 1,     /* unknown user or wrong password */
    SG_WEB_AUTH_NOT_DSL = 2, /* right password, not in the DSL group */
};

/* Check a login; may block (it is called without the web lock held, from
 * any server thread).  *error_r for SG_WEB_AUTH_ERROR (never containing
 * the password). */
typedef int (*sg_web_auth_fn)(void *ctx, const char *login,
                              const char *password, const char **error_r);

/* Options (safeguard-review sets them from the review page section's
 * review_session_* and review_login_* keys, review_settings.c). */
struct sg_web_options {
    struct sg_review *review; /* not owned */
    sg_web_auth_fn auth;
    void *auth_ctx;
    unsigned session_idle;   /* seconds */
    unsigned session_max;    /* seconds */
    unsigned login_attempts; /* free failures of a name from a client */
    unsigned login_lockout;  /* the longest wait after failures, seconds */
    unsigned throttle_max;   /* sign-in counts kept; 0: 4096 */
    bool secure_cookies;     /* mark cookies Secure */
    const char *school;      /* shown in the page title; may be NULL */
    const struct sg_tz *tz;  /* times are shown in it; NULL: UTC */
    const char *tz_name;     /* its name, said on each page */
    /* the logins of each review track's reviewers (empty: everyone's) */
    const char *const *conduct_reviewers;
    size_t n_conduct_reviewers;
    const char *const *welfare_reviewers;
    size_t n_welfare_reviewers;
    /* the tracks (bits 1 << enum sg_track) whose queue shows pseudonyms
     * instead of the sender's and recipients' names and addresses and
     * the subject, until the item is opened (review_pseudonymise) */
    unsigned pseudonymous_tracks;
    /* the schools of a trust (core/school.h; NULL or none: one school):
     * each one's reviewers see its records only, and the trust's
     * reviewers every school's, with a school column and filter */
    const struct sg_config *config;
    const char *const *trust_reviewers;
    size_t n_trust_reviewers;
};

struct sg_web;

int sg_web_new(const struct sg_web_options *o, struct sg_web **w_r,
               const char **error_r);
void sg_web_free(struct sg_web **w);

/* ------------------------------------------------------------ requests */

struct sg_web_param {
    const char *name;
    const char *value;
};

struct sg_web_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* "/queue", without the query */
    const struct sg_web_param *query;
    size_t n_query;
    const struct sg_web_param *form; /* POST, url-encoded, decoded */
    size_t n_form;
    const char *session_cookie; /* value of sg_session, or NULL */
    const char *login_cookie;   /* value of sg_login, or NULL */
    const char *client;         /* "192.0.2.7", for the audit and limits */
    time_t now;
};

#define SG_WEB_MAX_COOKIES 2

struct sg_web_response {
    unsigned status;
    const char *content_type; /* static */
    struct sg_buf body;
    char *location; /* for redirects (a path on this server) */
    char *cookies[SG_WEB_MAX_COOKIES]; /* Set-Cookie values */
    size_t n_cookies;
    unsigned retry_after; /* seconds, with 429; 0 none */
};

/* Split an application/x-www-form-urlencoded body (modified in place:
 * the parameters point into it) into at most max parameters, decoding
 * '+' and %XX; a NUL decoded from %00 ends that name or value.  -1 when
 * there are more than max. */
int sg_web_form_parse(char *body, struct sg_web_param *params, size_t max,
                      size_t *n_r);

/* The cookie names. */
#define SG_WEB_SESSION_COOKIE "sg_session"
#define SG_WEB_LOGIN_COOKIE   "sg_login"

/* Handle one request; always fills resp (an error page if need be). */
void sg_web_handle(struct sg_web *w, const struct sg_web_request *req,
                   struct sg_web_response *resp);
void sg_web_response_free(struct sg_web_response *resp);

/* The headers every response carries: name, value pairs, NULL-ended. */
extern const char *const sg_web_security_headers[];

/* ------------------------------------------------------------ server */

struct sg_network;

struct sg_web_server_options {
    const char *listen;   /* "HOST:PORT", "[V6]:PORT" */
    const char *tls_cert; /* PEM files; both or neither */
    const char *tls_key;
    unsigned threads; /* 0: a default */
    /* Seconds a connection has for each request and its answer, counted
     * from when it opened or its last answer was sent; past it the
     * connection is closed, however slowly it keeps sending. */
    unsigned request_timeout;
    unsigned client_connections; /* at once from one socket peer */
    unsigned max_connections;    /* at once in all */
    /* The reverse proxies whose X-Forwarded-For is believed. */
    const struct sg_network *proxies;
    size_t n_proxies;
};

/* The defaults of the limits above (and of the configuration's
 * review_request_timeout, review_client_connections,
 * review_max_connections). */
#define SG_WEB_REQUEST_TIMEOUT    30
#define SG_WEB_CLIENT_CONNECTIONS 16
#define SG_WEB_MAX_CONNECTIONS    256

/* The client a request comes from, for the audit and the sign-in limits,
 * into buf: the socket peer's address; but when the peer is one of the
 * proxies and the request has exactly one X-Forwarded-For header (xff,
 * n_xff headers in all), the LAST address in it, the one the proxy itself
 * saw, written "ADDR via proxy".  Anything before it came from the client
 * and may be made up.  Several such headers, or a last hop that is not
 * one address, give the proxy's own address.  IPv4-mapped IPv6 addresses
 * are written as IPv4. */
void sg_web_client(const struct sockaddr *peer, const char *xff, size_t n_xff,
                   const struct sg_network *proxies, size_t n_proxies,
                   char *buf, size_t size);

/* Serve until *stop becomes non-zero (a signal handler sets it).  Refuses
 * plain HTTP on an address that is not loopback (put the page behind a
 * TLS reverse proxy, or give it a certificate). */
int sg_web_serve(struct sg_web *w, const struct sg_web_server_options *o,
                 volatile sig_atomic_t *stop, const char **error_r);

/* ------------------------------------------------------------ passwords */

/* The local password file: "login:$argon2id$..." lines, '#' comments.
 * It must not be writable by group or others.  Read at each check, so an
 * edit takes effect at once; a file not made yet has no accounts (_BAD).
 * SG_WEB_AUTH_OK, _BAD or _ERROR. */
int sg_web_passwd_check(const char *path, const char *login,
                        const char *password, const char **error_r);
/* Add login or change its password (argon2id); the file is replaced
 * atomically and created mode 0600 if absent. */
int sg_web_passwd_set(const char *path, const char *login, const char *password,
                      const char **error_r);
/* The same, for a file the page's user (group) must read while someone
 * else (root) writes it.  A file that exists keeps its owner, group and
 * mode (less any write bit for group or others); a new one is created
 * mode 0640 with group group, or 0600 when group is (gid_t)-1.  Run as
 * root, so the page never needs to write the file it trusts. */
int sg_web_passwd_set_group(const char *path, const char *login,
                            const char *password, gid_t group,
                            const char **error_r);
/* The callback form of sg_web_passwd_check (ctx: the path). */
int sg_web_passwd_auth(void *ctx, const char *login, const char *password,
                       const char **error_r);

#endif
