/*
 * web.c - the review page's requests: routing, login, logout, and the
 * checks every request passes before a page sees it.
 *
 *   GET  /             -> /queue (or /login)
 *   GET  /login        the login form (sets the per-visit login cookie)
 *   POST /login        login, csrf, user, password
 *   POST /logout       csrf
 *   GET  /queue        ?status=waiting|held|escalated|released|rejected|
 *                      expired|all &school=NAME &after=CREATED,ID
 *                      (or &before=CREATED,ID; &page=N, of old links)
 *   GET  /item/ID      one record
 *   POST /item/ID/ACTION   ACTION release|reject|escalate|note; csrf,
 *                      note (for the record), to_sender (the message
 *                      mailed to the sender, optional)
 *   GET  /style.css
 *
 * Anything else is 404; a page without a session goes to /login (GET) or
 * is refused (POST).  Logins, failed logins, sign-ins refused for a
 * wait ("login-locked", with the wait) and logouts are audit rows; views
 * and decisions are audited by the review library.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "review_int.h"
#include "review_report.h"
#include "sg_dir_auth.h"
#include "web_int.h"

const char *const sg_web_security_headers[] = {
    "Content-Security-Policy",
    "default-src 'none'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options",
    "nosniff",
    "X-Frame-Options",
    "DENY",
    "Referrer-Policy",
    "no-referrer",
    "Cache-Control",
    "no-store",
    "Cross-Origin-Opener-Policy",
    "same-origin",
    "Cross-Origin-Resource-Policy",
    "same-origin",
    NULL,
};

#define PASSWORD_MAX 1024

/* The pseudonyms' key: the notice key if there is one, so that a person
 * keeps their pseudonym across restarts (a reviewer may note it); else a
 * random one for this run of the page. */
static int
pseudonym_key(struct sg_web *w, const char **error_r)
{
    const struct sg_notice_config *nc = w->o.review->ncfg;
    const char *why = NULL;
    if (nc != NULL && nc->secret_file != NULL && nc->secret_file[0] != '\0' &&
        sg_notice_secret_load(nc->secret_file, &w->pseudonym_key, &why) == 0)
        return 0;
    unsigned char secret[32];
    randombytes_buf(secret, sizeof(secret));
    int rc = sg_notice_key_new(secret, sizeof(secret), &w->pseudonym_key,
                               error_r);
    sodium_memzero(secret, sizeof(secret));
    return rc;
}

int
sg_web_new(const struct sg_web_options *o, struct sg_web **w_r,
           const char **error_r)
{
    if (o->review == NULL || o->auth == NULL || o->session_idle == 0 ||
        o->session_max == 0 || o->login_attempts == 0 || o->login_lockout == 0)
        return sg_review_fail(error_r, "the web page needs a review store, a "
                                       "login check and non-zero limits");
    struct sg_web *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        *error_r = "out of memory";
        return -1;
    }
    w->o = *o;
    if (o->pseudonymous_tracks != 0 && pseudonym_key(w, error_r) < 0) {
        free(w);
        return -1;
    }
    pthread_mutex_init(&w->lock, NULL);
    *w_r = w;
    return 0;
}

void
sg_web_free(struct sg_web **w)
{
    if (w == NULL || *w == NULL)
        return;
    sg_web_sessions_free(*w);
    sg_notice_key_free(&(*w)->pseudonym_key);
    pthread_mutex_destroy(&(*w)->lock);
    free(*w);
    *w = NULL;
}

void
sg_web_response_free(struct sg_web_response *resp)
{
    sg_buf_free(&resp->body);
    free(resp->location);
    for (size_t i = 0; i < resp->n_cookies; i++)
        free(resp->cookies[i]);
    memset(resp, 0, sizeof(*resp));
}

const char *
sg_web_param(const struct sg_web_param *p, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(p[i].name, name) == 0)
            return p[i].value;
    return NULL;
}

void
sg_web_redirect(struct sg_web_response *resp, const char *fmt, ...)
{
    struct sg_buf b = SG_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    sg_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    resp->status = 303;
    resp->location = sg_buf_steal(&b);
    sg_buf_free(&b);
}

void
sg_web_add_cookie(const struct sg_web *w, struct sg_web_response *resp,
           const char *name, const char *value, unsigned max_age,
           const char *path)
{
    if (resp->n_cookies >= SG_WEB_MAX_COOKIES)
        return;
    struct sg_buf b = SG_BUF_INIT;
    sg_buf_printf(&b,
                  "%s=%s; Path=%s; Max-Age=%u; HttpOnly; "
                  "SameSite=Strict%s",
                  name, value, path, max_age,
                  w->o.secure_cookies ? "; Secure" : "");
    resp->cookies[resp->n_cookies++] = sg_buf_steal(&b);
    sg_buf_free(&b);
}

void
sg_web_error_page(const struct sg_web *w, struct sg_web_response *resp,
                  unsigned status, const char *title, const char *text,
                  const struct web_session *s)
{
    resp->status = status;
    sg_buf_reset(&resp->body);
    sg_web_page_start(w, &resp->body, title, s);
    sg_buf_puts(&resp->body, "<h1>");
    sg_web_text(&resp->body, title);
    sg_buf_puts(&resp->body, "</h1><p class=\"error\">");
    sg_web_text(&resp->body, text);
    sg_buf_puts(&resp->body, "</p><p><a href=\"/queue\">Back to the held "
                             "mail</a></p>");
    sg_web_page_end(w, &resp->body);
}

struct sg_review_actor
sg_web_actor(const struct sg_web *w, const struct web_session *s,
             const struct sg_web_request *req)
{
    struct sg_review_actor a = {
        .user = s->user,
        .from = req->client,
        .tracks = sg_review_tracks_of(
            w->o.conduct_reviewers, w->o.n_conduct_reviewers,
            w->o.welfare_reviewers, w->o.n_welfare_reviewers, s->user),
    };
    sg_review_school_scope(w->o.config, w->o.trust_reviewers,
                           w->o.n_trust_reviewers, s->user, true, &a);
    return a;
}

static void
audit(struct sg_web *w, const char *user, const char *client,
      const char *action, const char *note)
{
    const char *err;
    struct sg_review_actor a = {.user = user, .from = client};
    /* an audit row that cannot be written is not worth a failed page
     * here: the operations that matter audit themselves and fail closed */
    (void)sg_review_audit(w->o.review, NULL, &a, action, note, &err);
}

int
sg_web_form_token(const struct sg_web *w, struct sg_web_response *resp,
                  const char *path, const char *title, char *token)
{
    if (sg_web_token(token) < 0) {
        sg_web_error_page(w, resp, 500, title,
                          "The server has no source of randomness.", NULL);
        return -1;
    }
    sg_web_add_cookie(w, resp, SG_WEB_LOGIN_COOKIE, token, 3600, path);
    return 0;
}

/* ------------------------------------------------------------ login */

static void
login_page(struct sg_web *w, struct sg_web_response *resp, unsigned status,
           const char *message, const char *login)
{
    char token[WEB_TOKEN_LEN + 1];
    if (sg_web_form_token(w, resp, "/login", "Cannot sign in", token) < 0)
        return;
    resp->status = status;
    struct sg_buf *b = &resp->body;
    sg_buf_reset(b);
    sg_web_page_start(w, b, "Sign in", NULL);
    sg_buf_puts(b, "<h1>Sign in</h1>\n<p>This page is for the school's "
                   "Designated Safeguarding Leads.</p>\n");
    if (message != NULL) {
        sg_buf_puts(b, "<p class=\"error\" id=\"login-error\">");
        sg_web_text(b, message);
        sg_buf_puts(b, "</p>\n");
    }
    sg_buf_puts(b, "<form class=\"login\" method=\"post\" action=\"/login\">");
    sg_web_csrf_field(b, token);
    sg_buf_puts(b, "<label for=\"user\">User name</label>"
                   "<input id=\"user\" name=\"user\" autocomplete=\"username\" "
                   "required value=\"");
    sg_web_text(b, login);
    sg_buf_puts(b, "\"><label for=\"password\">Password</label>"
                   "<input id=\"password\" name=\"password\" type=\"password\" "
                   "autocomplete=\"current-password\" required>"
                   "<p><button type=\"submit\">Sign in</button></p></form>\n");
    sg_web_page_end(w, b);
}

static void
do_login(struct sg_web *w, const struct sg_web_request *req,
         struct sg_web_response *resp)
{
    const char *csrf = sg_web_param(req->form, req->n_form, "csrf");
    const char *user = sg_web_param(req->form, req->n_form, "user");
    const char *pass = sg_web_param(req->form, req->n_form, "password");
    const char *client = req->client != NULL ? req->client : "unknown";
    if (!sg_web_token_equal(csrf, req->login_cookie)) {
        login_page(w, resp, 403,
                   "The sign-in form had expired. Please try again.", user);
        return;
    }
    if (user == NULL || pass == NULL || !sg_dir_auth_login_usable(user) ||
        *pass == '\0' || strlen(pass) > PASSWORD_MAX) {
        login_page(w, resp, 400, "Enter your user name and password.",
                   user != NULL && sg_dir_auth_login_usable(user) ? user
                                                                  : NULL);
        return;
    }
    unsigned wait = sg_web_throttle_begin(w, user, client, req->now);
    if (wait > 0) {
        char note[64], msg[200];
        snprintf(note, sizeof(note), "wait %us", wait);
        audit(w, user, client, "login-locked", note);
        if (wait < 120)
            snprintf(msg, sizeof(msg),
                     "Too many failed sign-ins. Try again in %u second%s.",
                     wait, wait == 1 ? "" : "s");
        else
            snprintf(msg, sizeof(msg),
                     "Too many failed sign-ins. Try again in %u minutes, "
                     "or ask the IT team.",
                     (wait + 59) / 60);
        login_page(w, resp, 429, msg, user);
        resp->retry_after = wait;
        return;
    }
    /* the check may take a while (a password hash, the directory): the
     * other requests go on meanwhile; sg_web_throttle_begin counted this one
     * as under way, so parallel guesses cannot slip past the limits */
    pthread_mutex_unlock(&w->lock);
    const char *err = NULL;
    int rc = w->o.auth(w->o.auth_ctx, user, pass, &err);
    char why[300];
    snprintf(why, sizeof(why), "%s", err != NULL ? err : "");
    pthread_mutex_lock(&w->lock);
    sg_web_throttle_end(w, user, client,
                        rc == SG_WEB_AUTH_OK ? WEB_THROTTLE_OK
                        : rc == SG_WEB_AUTH_BAD || rc == SG_WEB_AUTH_NOT_DSL
                            ? WEB_THROTTLE_FAILED
                            : WEB_THROTTLE_UNKNOWN,
                        req->now);

    switch (rc) {
    case SG_WEB_AUTH_OK: {
        struct web_session *s = sg_web_session_new(w, user, req->now);
        if (s == NULL) {
            sg_web_error_page(w, resp, 500, "Cannot sign in",
                              "The server could not start a session.", NULL);
            return;
        }
        audit(w, user, client, "login", NULL);
        sg_web_add_cookie(w, resp, SG_WEB_SESSION_COOKIE, s->token, w->o.session_max,
                   "/");
        sg_web_add_cookie(w, resp, SG_WEB_LOGIN_COOKIE, "", 0, "/login");
        sg_web_redirect(resp, "/queue");
        return;
    }
    case SG_WEB_AUTH_NOT_DSL:
        audit(w, user, client, "login-refused", "not in the DSL group");
        login_page(w, resp, 403,
                   "This account is not allowed to review held mail. Only "
                   "the Designated Safeguarding Leads are.",
                   user);
        return;
    case SG_WEB_AUTH_BAD:
        audit(w, user, client, "login-failed", NULL);
        login_page(w, resp, 401, "The user name or password is wrong.", user);
        return;
    default:
        audit(w, user, client, "login-error", why);
        login_page(w, resp, 503,
                   "Sign-in cannot be checked just now (the directory did "
                   "not answer). Try again shortly, or ask the IT team.",
                   user);
        return;
    }
}

/* ------------------------------------------------------------ routing */

static bool
csrf_ok(const struct sg_web_request *req, const struct web_session *s)
{
    return sg_web_token_equal(sg_web_param(req->form, req->n_form, "csrf"),
                              s->csrf);
}

bool
sg_web_record_id(const char *p, size_t n, size_t size)
{
    if (n == 0 || n >= size)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* "/item/ID" or "/item/ID/ACTION": the id into id, the action into
 * action ("" if none). */
static bool
item_path(const char *path, char *id, size_t id_size, char *action,
          size_t action_size)
{
    const char *p = path + strlen("/item/");
    size_t n = strcspn(p, "/");
    if (!sg_web_record_id(p, n, id_size))
        return false;
    memcpy(id, p, n);
    id[n] = '\0';
    p += n;
    if (*p == '\0') {
        *action = '\0';
        return true;
    }
    p++;
    if (strlen(p) >= action_size || strchr(p, '/') != NULL)
        return false;
    strcpy(action, p);
    return true;
}

static void
route(struct sg_web *w, const struct sg_web_request *req,
      struct sg_web_response *resp)
{
    bool get =
        strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    bool post = strcmp(req->method, "POST") == 0;
    const char *path = req->path;

    if (strcmp(path, "/style.css") == 0 && get) {
        resp->status = 200;
        resp->content_type = "text/css; charset=utf-8";
        sg_buf_puts(&resp->body, sg_web_css);
        return;
    }
    if (strcmp(path, "/report.css") == 0 && get) {
        resp->status = 200;
        resp->content_type = "text/css; charset=utf-8";
        sg_buf_puts(&resp->body, sg_review_report_css);
        return;
    }
    if (strcmp(path, "/login") == 0) {
        if (get)
            login_page(w, resp, 200, NULL, NULL);
        else if (post)
            do_login(w, req, resp);
        else
            sg_web_error_page(w, resp, 405, "Not allowed",
                              "That method is not used here.", NULL);
        return;
    }

    /* the sender's release request: no session, the link's token */
    if (strncmp(path, SG_WEB_REQUEST_PATH, strlen(SG_WEB_REQUEST_PATH)) == 0) {
        sg_web_page_request(w, req, resp);
        return;
    }

    struct web_session *s =
        sg_web_session_find(w, req->session_cookie, req->now);
    if (s == NULL) {
        if (get && (strcmp(path, "/") == 0 || strcmp(path, "/queue") == 0 ||
                    strncmp(path, "/item/", 6) == 0)) {
            sg_web_redirect(resp, "/login");
            return;
        }
        sg_web_error_page(w, resp, 403, "Please sign in",
                          "Your session has ended or you have not signed in.",
                          NULL);
        return;
    }
    if (post && !csrf_ok(req, s)) {
        audit(w, s->user, req->client, "refused",
              "a form without its CSRF token");
        sg_web_error_page(w, resp, 403, "Not done",
                          "The form did not come from this page (its security "
                          "token was missing or wrong). Nothing was changed. "
                          "Go back, reload the page and try again.",
                          s);
        return;
    }
    if (strcmp(path, "/logout") == 0 && post) {
        audit(w, s->user, req->client, "logout", NULL);
        sg_web_session_end(w, s);
        sg_web_add_cookie(w, resp, SG_WEB_SESSION_COOKIE, "", 0, "/");
        sg_web_redirect(resp, "/login");
        return;
    }
    if ((strcmp(path, "/") == 0 || strcmp(path, "/queue") == 0) && get) {
        if (strcmp(path, "/") == 0)
            sg_web_redirect(resp, "/queue");
        else
            sg_web_page_queue(w, req, s, resp);
        return;
    }
    if (strcmp(path, "/report") == 0 && get) {
        sg_web_page_report(w, req, s, resp);
        return;
    }
    if (strcmp(path, "/policy") == 0 && get) {
        sg_web_page_policy(w, req, s, resp);
        return;
    }
    if (strcmp(path, "/concerns") == 0 && get) {
        sg_web_page_concerns(w, req, s, resp);
        return;
    }
    char id[128], action[32];
    if (strncmp(path, "/item/", 6) == 0 &&
        item_path(path, id, sizeof(id), action, sizeof(action))) {
        if (get && *action == '\0') {
            sg_web_page_item(w, req, s, id, NULL, 200, resp);
            return;
        }
        if (post && *action != '\0') {
            sg_web_decide(w, req, s, id, action, resp);
            return;
        }
    }
    sg_web_error_page(w, resp, 404, "Not found", "There is no such page.", s);
}

void
sg_web_handle(struct sg_web *w, const struct sg_web_request *req,
              struct sg_web_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->content_type = "text/html; charset=utf-8";
    pthread_mutex_lock(&w->lock);
    route(w, req, resp);
    pthread_mutex_unlock(&w->lock);
    /* the pages append freely: a page, redirect or cookie that could not
     * be built whole is never sent in part */
    bool whole = !sg_buf_failed(&resp->body) &&
                 (resp->status != 303 || resp->location != NULL);
    for (size_t i = 0; i < resp->n_cookies; i++)
        whole = whole && resp->cookies[i] != NULL;
    if (!whole) {
        sg_web_response_free(resp);
        resp->status = 500;
        resp->content_type = "text/plain; charset=utf-8";
        sg_buf_puts(&resp->body, "The page could not be built: out of "
                                 "memory.\n");
    }
}
