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

/* Sign-in throttling (web_session.c): the first wait, in seconds (it
 * doubles with each failure, up to login_lockout); how many times
 * login_attempts failures a client may have on any names before it waits
 * too; after how many times login_lockout without a failure a count is
 * forgotten. */
#define WEB_FIRST_WAIT    30
#define WEB_CLIENT_FACTOR 4
#define WEB_FORGET_FACTOR 4

/* Failed sign-ins of one login name from one client, or of one client
 * whatever the name. */
struct web_throttle {
    char *key;         /* "pair:CLIENT|NAME" or "client:CLIENT" */
    unsigned failures; /* since the count was last forgotten */
    unsigned pending;  /* checks under way (the lock is not held then) */
    time_t last;       /* the last failure */
    time_t until;      /* no check before this */
};

struct sg_web {
    struct sg_web_options o;
    pthread_mutex_t lock; /* sessions, throttles and the review store */
    struct web_session *sessions;
    size_t n_sessions, cap_sessions;
    struct web_throttle *throttles;
    size_t n_throttles, cap_throttles;
    /* the pseudonyms' key: the notice key when notices are configured
     * (the same pseudonyms across restarts), else one made at start */
    struct sg_notice_key *pseudonym_key;
};

/* Can p[0..n) be a record id in a path (letters, digits, '-' and '.';
 * nothing else reaches the store), in a buffer of size bytes? */
bool sg_web_record_id(const char *p, size_t n, size_t size);

/* The signed-in reviewer of s, coming from req's client, for the review
 * library: credited with what they do, shown only their tracks. */
struct sg_review_actor sg_web_actor(const struct sg_web *w,
                                    const struct web_session *s,
                                    const struct sg_web_request *req);

/* ---- sessions and limits (web_session.c); call with w->lock held */

/* A fresh random token; -1 if the system has no randomness. */
int sg_web_token(char out[WEB_TOKEN_LEN + 1]);
/* Constant-time comparison of two NUL-terminated tokens. */
bool sg_web_token_equal(const char *a, const char *b);
/* The live session with this token, touched at now; NULL if none or if it
 * timed out (then it is removed). */
struct web_session *sg_web_session_find(struct sg_web *w, const char *token,
                                        time_t now);
struct web_session *sg_web_session_new(struct sg_web *w, const char *user,
                                       time_t now);
void sg_web_session_end(struct sg_web *w, struct web_session *s);
/* A sign-in of login from client may be checked now: 0, and the check
 * is counted as under way until sg_web_throttle_end.  Otherwise the seconds
 * to wait (nothing is counted then, and the password must not be
 * checked). */
unsigned sg_web_throttle_begin(struct sg_web *w, const char *login,
                               const char *client, time_t now);
/* How the check that sg_web_throttle_begin let through ended. */
enum web_throttle_result {
    WEB_THROTTLE_OK,      /* signed in: the name's count from that client
                             is forgotten (not the client's own) */
    WEB_THROTTLE_FAILED,  /* a wrong password, or not a DSL */
    WEB_THROTTLE_UNKNOWN, /* could not be checked: nothing counted */
};
void sg_web_throttle_end(struct sg_web *w, const char *login,
                         const char *client, enum web_throttle_result result,
                         time_t now);
void sg_web_sessions_free(struct sg_web *w);

/* ---- HTML (web_html.c) */

/* Text from anywhere (a message, the store, the user), escaped for HTML
 * element content and attribute values, with control characters and
 * bidirectional overrides shown as escapes. */
void sg_web_text(struct sg_buf *b, const char *s);
void sg_web_textn(struct sg_buf *b, const char *s, size_t len);
/* Findings on the page (sg_finding_put): escaped, the found text in
 * <mark>. */
extern const struct sg_finding_style sg_web_finding_style;
/* Text with the findings' matches in <mark>. */
void sg_web_marked(struct sg_buf *b, const char *text, size_t len,
                   const struct sg_store_finding *f, size_t nf);
/* A person: the directory's name with the address beside it, or the
 * address alone (name NULL or ""). */
void sg_web_person(struct sg_buf *b, const char *name, const char *address);
/* Each line of text (split at '\n') as <tag>line</tag>. */
void sg_web_lines(struct sg_buf *b, const char *text, const char *tag);
/* Percent-encode for a URL query value. */
void sg_web_urlenc(struct sg_buf *b, const char *s);
/* The page around the content: title, and (when s is not NULL) the
 * signed-in bar with its logout form. */
void sg_web_page_start(const struct sg_web *w, struct sg_buf *b,
                       const char *title, const struct web_session *s);
void sg_web_page_end(const struct sg_web *w, struct sg_buf *b);
/* A hidden CSRF field. */
void sg_web_csrf_field(struct sg_buf *b, const char *token);
/* "2026-03-01 14:05" in the page's time zone ("... UTC" without one) */
void sg_web_time(const struct sg_web *w, struct sg_buf *b, time_t t);
extern const char sg_web_css[];

/* A Set-Cookie value into resp (HttpOnly, SameSite=Strict, Secure when
 * configured), at most SG_WEB_MAX_COOKIES (web.c). */
void sg_web_add_cookie(const struct sg_web *w, struct sg_web_response *resp,
                       const char *name, const char *value, unsigned max_age,
                       const char *path);
/* A new form token in token (WEB_TOKEN_LEN + 1 bytes), also set as the
 * form cookie for path (an hour), so a POST can be checked against it:
 * 0, or -1 with the error page (titled title) in resp. */
int sg_web_form_token(const struct sg_web *w, struct sg_web_response *resp,
                      const char *path, const char *title, char *token);

/* ---- the release request page (web_request.c); w->lock held */

#define SG_WEB_REQUEST_PATH "/request/"
/* GET or POST REVIEW_URL/request/ID?k=TOKEN, with no session. */
void sg_web_page_request(struct sg_web *w, const struct sg_web_request *req,
                         struct sg_web_response *resp);
/* " release requested" for the queue when a waiting record has a
 * request. */
void sg_web_request_marker(struct sg_buf *b, const struct sg_store_item *it);
/* The record's requests and their reasons, for its page. */
void sg_web_request_section(struct sg_web *w, struct sg_buf *b,
                            const char *id);

/* ---- pages (web_pages.c); called with w->lock held */

/* The recipients of a queue row ("a@x (pupil), b@y (staff,dsl)", as the
 * store keeps them; the addresses came in the envelope, so anything) as
 * role and pseudonym: "Pupil 01B2C4, Staff member 7F3A9C". */
void sg_web_pseudonymous_recipients(struct sg_buf *b, const struct sg_web *w,
                                    const char *recipients);

const char *sg_web_param(const struct sg_web_param *p, size_t n,
                         const char *name);
void sg_web_page_queue(struct sg_web *w, const struct sg_web_request *req,
                       const struct web_session *s,
                       struct sg_web_response *resp);
void sg_web_page_item(struct sg_web *w, const struct sg_web_request *req,
                      const struct web_session *s, const char *id,
                      const char *message, unsigned status,
                      struct sg_web_response *resp);
/* The provision report and the policy changelog (web_report.c). */
void sg_web_page_report(struct sg_web *w, const struct sg_web_request *req,
                        const struct web_session *s,
                        struct sg_web_response *resp);
void sg_web_page_policy(struct sg_web *w, const struct sg_web_request *req,
                        const struct web_session *s,
                        struct sg_web_response *resp);
void sg_web_page_concerns(struct sg_web *w, const struct sg_web_request *req,
                          const struct web_session *s,
                          struct sg_web_response *resp);
void sg_web_decide(struct sg_web *w, const struct sg_web_request *req,
                   const struct web_session *s, const char *id,
                   const char *what, struct sg_web_response *resp);
void sg_web_error_page(const struct sg_web *w, struct sg_web_response *resp,
                       unsigned status, const char *title, const char *text,
                       const struct web_session *s);
void sg_web_redirect(struct sg_web_response *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
