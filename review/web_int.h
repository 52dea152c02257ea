/*
 * web_int.h - what the web page's files share; not for callers.
 */
#ifndef SG_WEB_INT_H
#define SG_WEB_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "web.h"

/* A token: 32 random bytes, written as 43 base64url characters. */
#define WEB_TOKEN_LEN 43

struct web_session {
    char token[WEB_TOKEN_LEN + 1];
    char csrf[WEB_TOKEN_LEN + 1];
    char *user;
    time_t created, last;
};

/* Failed logins of one login name or one client. */
struct web_throttle {
    char *key; /* "user:NAME" or "client:ADDR" */
    unsigned failures;
    time_t first; /* of the current window */
};

struct sg_web {
    struct sg_web_options o;
    pthread_mutex_t lock; /* sessions, throttles and the review store */
    struct web_session *sessions;
    size_t n_sessions, cap_sessions;
    struct web_throttle *throttles;
    size_t n_throttles, cap_throttles;
};

/* ---- sessions and limits (web_session.c); call with w->lock held */

/* A fresh random token; -1 if the system has no randomness. */
int web_token(char out[WEB_TOKEN_LEN + 1]);
/* Constant-time comparison of two NUL-terminated tokens. */
bool web_token_equal(const char *a, const char *b);
/* The live session with this token, touched at now; NULL if none or if it
 * timed out (then it is removed). */
struct web_session *web_session_find(struct sg_web *w, const char *token,
                                     time_t now);
struct web_session *web_session_new(struct sg_web *w, const char *user,
                                    time_t now);
void web_session_end(struct sg_web *w, struct web_session *s);
/* Seconds until the login name or client may try again (0: now). */
unsigned web_throttle_wait(struct sg_web *w, const char *login,
                           const char *client, time_t now);
void web_throttle_fail(struct sg_web *w, const char *login, const char *client,
                       time_t now);
void web_throttle_clear(struct sg_web *w, const char *login);
void web_sessions_free(struct sg_web *w);

/* ---- HTML (web_html.c) */

/* Text from anywhere (a message, the store, the user), escaped for HTML
 * element content and attribute values, with control characters and
 * bidirectional overrides shown as escapes. */
void web_text(struct sg_buf *b, const char *s);
void web_textn(struct sg_buf *b, const char *s, size_t len);
/* Text with the findings' matches in <mark>. */
void web_marked(struct sg_buf *b, const char *text, size_t len,
                const struct sg_review_finding *f, size_t nf);
/* Percent-encode for a URL query value. */
void web_urlenc(struct sg_buf *b, const char *s);
/* The page around the content: title, and (when s is not NULL) the
 * signed-in bar with its logout form. */
void web_page_start(const struct sg_web *w, struct sg_buf *b, const char *title,
                    const struct web_session *s);
void web_page_end(const struct sg_web *w, struct sg_buf *b);
/* A hidden CSRF field. */
void web_csrf_field(struct sg_buf *b, const char *token);
/* "2026-03-01 14:05" in the page's time zone ("... UTC" without one) */
void web_time(const struct sg_web *w, struct sg_buf *b, time_t t);
extern const char web_css[];

/* ---- pages (web_pages.c); called with w->lock held */

const char *web_param(const struct sg_web_param *p, size_t n, const char *name);
void web_page_queue(struct sg_web *w, const struct sg_web_request *req,
                    const struct web_session *s, struct sg_web_response *resp);
void web_page_item(struct sg_web *w, const struct sg_web_request *req,
                   const struct web_session *s, const char *id,
                   const char *message, unsigned status,
                   struct sg_web_response *resp);
void web_decide(struct sg_web *w, const struct sg_web_request *req,
                const struct web_session *s, const char *id, const char *what,
                struct sg_web_response *resp);
void web_error_page(const struct sg_web *w, struct sg_web_response *resp,
                    unsigned status, const char *title, const char *text,
                    const struct web_session *s);
void web_redirect(struct sg_web_response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
