/*
 * test_web.c - the review web page's request handling (review/web*.c)
 * over a real quarantine store, without sockets: sg_web_handle is given
 * requests as the HTTP server would give them.
 *
 * Each security protection has a test here that fails without it:
 * pages need a session; the login form and every other form need their
 * CSRF token; failed sign-ins slow the (name, client) pair and the
 * client, never the name from elsewhere, parallel guesses included, in a
 * bounded table; the client is the last X-Forwarded-For hop only from a
 * trusted proxy; a non-DSL
 * gets no session; sessions end when idle, at their maximum age and at
 * logout; cookies are HttpOnly, SameSite=Strict and Secure; text from a
 * held message is escaped; the Content-Security-Policy allows no script.
 * Also: decisions change the record once (no double release) and need a
 * note; the password file (argon2id) accepts the right password only.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


#include "fail_realloc.h"
#include "netlist.h"
#include "review_fixture.h"
#include "store_outbox.h"
#include "store_test.h"
#include "web.h"
#include "sg_config.h"
#include "store_util.h"

#define IDLE     900
#define MAX_AGE  8 * 3600
#define ATTEMPTS 3
#define LOCKOUT  600
#define TABLE    64 /* sign-in counts kept */
/* as in web_int.h: the first wait, and a client's free failures */
#define FIRST_WAIT  30
#define CLIENT_FREE (4 * ATTEMPTS)

struct env {
    struct review_fixture f;
    struct sg_web_options o;
    struct sg_web *w;
    char *held;  /* a held record with a hostile subject */
    char *other; /* a second held record */
    int auth_calls;
    time_t now;
};

static int
fake_auth(void *ctx, const char *login, const char *password,
          const char **error_r)
{
    struct env *e = ctx;
    e->auth_calls++;
    if ((strcmp(login, "dsl") == 0 || strcmp(login, "patel") == 0 ||
         strcmp(login, "head-trust") == 0) &&
        strcmp(password, "right password") == 0)
        return SG_WEB_AUTH_OK;
    if (strcmp(login, "teacher") == 0 &&
        strcmp(password, "teacher password") == 0)
        return SG_WEB_AUTH_NOT_DSL;
    if (strcmp(login, "down") == 0) {
        *error_r = "directory unreachable";
        return SG_WEB_AUTH_ERROR;
    }
    return SG_WEB_AUTH_BAD;
}

static const char hostile_subject[] =
    "<script>document.title='pwned'</script><img src=\"http://track."
    "example/p.gif\">";

static int
setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    if (e == NULL || review_fixture_setup(&e->f) < 0)
        return -1;
    e->now = time(NULL);
    e->held = review_fixture_hold(&e->f, "5BBB1", "j.smith<b>@school.example",
                                  hostile_subject, e->now - 3600, true);
    e->other = review_fixture_hold(&e->f, "5BBB2", "k.jones@school.example",
                                   NULL, e->now - 30 * 3600, false);
    struct sg_review_settings s;
    review_fixture_settings(&e->f, &s);
    review_fixture_open(&e->f, &s);
    struct sg_web_options o = {
        .review = e->f.r,
        .auth = fake_auth,
        .auth_ctx = e,
        .session_idle = IDLE,
        .session_max = MAX_AGE,
        .login_attempts = ATTEMPTS,
        .login_lockout = LOCKOUT,
        .throttle_max = TABLE,
        .secure_cookies = true,
        .school = "Demo <School>",
    };
    e->o = o;
    const char *err;
    if (sg_web_new(&o, &e->w, &err) < 0)
        return -1;
    *state = e;
    return 0;
}

static int
teardown(void **state)
{
    struct env *e = *state;
    sg_web_free(&e->w);
    free(e->held);
    free(e->other);
    int r = review_fixture_teardown(&e->f);
    free(e);
    return r;
}

/* ------------------------------------------------------------ helpers */

struct call {
    struct sg_web_param form[8];
    size_t n_form;
    struct sg_web_param query[4];
    size_t n_query;
    const char *session;
    const char *login;
    const char *client;
};

static void
handle(struct env *e, const char *method, const char *path,
       const struct call *c, struct sg_web_response *resp)
{
    struct sg_web_request req = {
        .method = method,
        .path = path,
        .query = c != NULL ? c->query : NULL,
        .n_query = c != NULL ? c->n_query : 0,
        .form = c != NULL ? c->form : NULL,
        .n_form = c != NULL ? c->n_form : 0,
        .session_cookie = c != NULL ? c->session : NULL,
        .login_cookie = c != NULL ? c->login : NULL,
        .client = c != NULL && c->client != NULL ? c->client : "192.0.2.9",
        .now = e->now,
    };
    sg_web_handle(e->w, &req, resp);
}

/* The value of cookie name set by resp ("" if set empty), or NULL. */
static char *
cookie(const struct sg_web_response *resp, const char *name, char *buf,
       size_t size)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < resp->n_cookies; i++) {
        const char *c = resp->cookies[i];
        if (strncmp(c, name, n) == 0 && c[n] == '=') {
            snprintf(buf, size, "%.*s", (int)strcspn(c + n + 1, ";"),
                     c + n + 1);
            return buf;
        }
    }
    return NULL;
}

static const char *
set_cookie_line(const struct sg_web_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->n_cookies; i++)
        if (strncmp(resp->cookies[i], name, strlen(name)) == 0)
            return resp->cookies[i];
    return NULL;
}

/* The first csrf field's value in a page. */
static void
csrf_of(const struct sg_web_response *resp, char *buf, size_t size)
{
    const char *p = strstr(resp->body.data, "name=\"csrf\" value=\"");
    assert_non_null(p);
    p += strlen("name=\"csrf\" value=\"");
    snprintf(buf, size, "%.*s", (int)strcspn(p, "\""), p);
}

struct login {
    char session[64];
};

/* Log in as user/password; the response in resp. */
static void
try_login(struct env *e, const char *user, const char *password,
          const char *client, struct sg_web_response *resp)
{
    struct sg_web_response page;
    handle(e, "GET", "/login", NULL, &page);
    assert_int_equal(page.status, 200);
    char token[64], csrf[64];
    assert_non_null(cookie(&page, SG_WEB_LOGIN_COOKIE, token, sizeof(token)));
    csrf_of(&page, csrf, sizeof(csrf));
    assert_string_equal(token, csrf);
    sg_web_response_free(&page);
    struct call c = {
        .form = {{"csrf", csrf}, {"user", user}, {"password", password}},
        .n_form = 3,
        .login = token,
        .client = client,
    };
    handle(e, "POST", "/login", &c, resp);
}

static void
login(struct env *e, struct login *l)
{
    struct sg_web_response r;
    try_login(e, "dsl", "right password", NULL, &r);
    assert_int_equal(r.status, 303);
    assert_string_equal(r.location, "/queue");
    assert_non_null(
        cookie(&r, SG_WEB_SESSION_COOKIE, l->session, sizeof(l->session)));
    assert_int_equal(strlen(l->session), 43);
    sg_web_response_free(&r);
}

/* Log in, then the queue page (200) in r; the session's call in c. */
static void
login_queue(struct env *e, struct login *l, struct call *c,
            struct sg_web_response *r)
{
    login(e, l);
    *c = (struct call){.session = l->session};
    handle(e, "GET", "/queue", c, r);
    assert_int_equal(r->status, 200);
}

/* The CSRF token of the session, from the queue page. */
static void
session_csrf(struct env *e, const struct login *l, char *buf, size_t size)
{
    struct call c = {.session = l->session};
    struct sg_web_response r;
    handle(e, "GET", "/queue", &c, &r);
    assert_int_equal(r.status, 200);
    csrf_of(&r, buf, size);
    sg_web_response_free(&r);
}

static long long
audit_count(struct env *e, const char *action)
{
    return sg_test_db_int(e->f.db,
                          "SELECT count(*) FROM audit WHERE action = ?1",
                          action);
}

static enum sg_store_status
status_of(struct env *e, const char *id)
{
    struct sg_store_record *rec = NULL;
    const char *err = NULL;
    assert_int_equal(sg_store_get(e->f.q, id, &rec, &err), 0);
    enum sg_store_status s = rec->status;
    sg_store_record_free(&rec);
    return s;
}

/* ------------------------------------------------------------ tests */

static void
test_pages_need_a_session(void **state)
{
    struct env *e = *state;
    const char *paths[] = {"/", "/queue", "/item/x"};
    for (size_t i = 0; i < 3; i++) {
        struct sg_web_response r;
        handle(e, "GET", paths[i], NULL, &r);
        assert_int_equal(r.status, 303);
        assert_string_equal(r.location, "/login");
        assert_null(strstr(r.body.data != NULL ? r.body.data : "", "5BBB"));
        sg_web_response_free(&r);
    }
    /* a made-up session token is no session */
    char path[128];
    snprintf(path, sizeof(path), "/item/%s", e->held);
    struct call c = {.session = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"};
    struct sg_web_response r;
    handle(e, "GET", path, &c, &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    /* and a decision without a session does nothing */
    snprintf(path, sizeof(path), "/item/%s/release", e->held);
    struct call p = {.form = {{"note", "ok"}}, .n_form = 1};
    handle(e, "POST", path, &p, &r);
    assert_int_equal(r.status, 403);
    sg_web_response_free(&r);
    assert_int_equal(status_of(e, e->held), SG_QSTATUS_HELD);
}

static void
test_login_and_cookies(void **state)
{
    struct env *e = *state;
    struct sg_web_response r;
    try_login(e, "dsl", "right password", "192.0.2.9", &r);
    assert_int_equal(r.status, 303);
    const char *line = set_cookie_line(&r, SG_WEB_SESSION_COOKIE);
    assert_non_null(line);
    assert_non_null(strstr(line, "; HttpOnly"));
    assert_non_null(strstr(line, "; SameSite=Strict"));
    assert_non_null(strstr(line, "; Secure"));
    assert_non_null(strstr(line, "; Path=/"));
    sg_web_response_free(&r);
    assert_int_equal(audit_count(e, "login"), 1);
    /* two logins, two different tokens */
    struct login a, b;
    login(e, &a);
    login(e, &b);
    assert_string_not_equal(a.session, b.session);
}

static void
test_login_form_needs_its_token(void **state)
{
    struct env *e = *state;
    struct sg_web_response page;
    handle(e, "GET", "/login", NULL, &page);
    char token[64];
    assert_non_null(cookie(&page, SG_WEB_LOGIN_COOKIE, token, sizeof(token)));
    sg_web_response_free(&page);
    /* right password, but no token / a token not matching the cookie */
    struct call c1 = {
        .form = {{"user", "dsl"}, {"password", "right password"}},
        .n_form = 2,
        .login = token,
    };
    struct call c2 = {
        .form = {{"csrf", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"},
                 {"user", "dsl"},
                 {"password", "right password"}},
        .n_form = 3,
        .login = token,
    };
    const struct call *calls[] = {&c1, &c2};
    for (size_t i = 0; i < 2; i++) {
        struct sg_web_response r;
        handle(e, "POST", "/login", calls[i], &r);
        assert_int_equal(r.status, 403);
        char s[64];
        assert_null(cookie(&r, SG_WEB_SESSION_COOKIE, s, sizeof(s)));
        sg_web_response_free(&r);
    }
    assert_int_equal(e->auth_calls, 0);
}

static void
test_wrong_password_and_not_dsl(void **state)
{
    struct env *e = *state;
    struct sg_web_response r;
    char s[64];
    try_login(e, "dsl", "wrong password", NULL, &r);
    assert_int_equal(r.status, 401);
    assert_null(cookie(&r, SG_WEB_SESSION_COOKIE, s, sizeof(s)));
    assert_non_null(strstr(r.body.data, "user name or password is wrong"));
    sg_web_response_free(&r);
    assert_int_equal(audit_count(e, "login-failed"), 1);

    try_login(e, "teacher", "teacher password", "192.0.2.10", &r);
    assert_int_equal(r.status, 403);
    assert_null(cookie(&r, SG_WEB_SESSION_COOKIE, s, sizeof(s)));
    assert_non_null(strstr(r.body.data, "not allowed to review held mail"));
    sg_web_response_free(&r);
    assert_int_equal(audit_count(e, "login-refused"), 1);

    try_login(e, "down", "any password", "192.0.2.11", &r);
    assert_int_equal(r.status, 503);
    assert_null(cookie(&r, SG_WEB_SESSION_COOKIE, s, sizeof(s)));
    sg_web_response_free(&r);
}

/* The first ATTEMPTS failures of a name from a client; then that pair
 * waits FIRST_WAIT, doubling with each failure up to LOCKOUT, and its
 * password is not even checked meanwhile. */
static unsigned
fail_n(struct env *e, const char *user, const char *client, int n)
{
    unsigned last = 0;
    for (int i = 0; i < n; i++) {
        struct sg_web_response r;
        try_login(e, user, "guess", client, &r);
        last = r.status;
        sg_web_response_free(&r);
    }
    return last;
}

static void
test_throttle_pair(void **state)
{
    struct env *e = *state;
    struct sg_web_response r;
    assert_int_equal(fail_n(e, "dsl", "198.51.100.1", ATTEMPTS), 401);
    int calls = e->auth_calls;
    /* now even the right password is refused there, unchecked */
    try_login(e, "dsl", "right password", "198.51.100.1", &r);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after, FIRST_WAIT);
    assert_non_null(strstr(r.body.data, "Too many failed sign-ins. Try "
                                        "again in 30 seconds."));
    char s[64];
    assert_null(cookie(&r, SG_WEB_SESSION_COOKIE, s, sizeof(s)));
    sg_web_response_free(&r);
    assert_int_equal(e->auth_calls, calls);
    assert_int_equal(audit_count(e, "login-locked"), 1);
    /* the same name from elsewhere is not slowed: five wrong passwords
     * from anyone must not keep the DSL out */
    try_login(e, "dsl", "right password", "198.51.100.2", &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    /* nor another name from the guessing client, below its own limit */
    try_login(e, "someone", "x", "198.51.100.1", &r);
    assert_int_equal(r.status, 401);
    sg_web_response_free(&r);
    /* each failure after a wait doubles the next, up to the longest (the
     * name in any case is the same name) */
    unsigned expect = FIRST_WAIT;
    for (int i = 0; i < 6; i++) {
        e->now += expect;
        assert_int_equal(fail_n(e, i % 2 ? "DSL" : "dsl", "198.51.100.1", 1),
                         401);
        expect = expect * 2 > LOCKOUT ? LOCKOUT : expect * 2;
        try_login(e, "dsl", "guess", "198.51.100.1", &r);
        assert_int_equal(r.status, 429);
        assert_int_equal(r.retry_after, expect);
        /* two minutes or more are said in minutes */
        if (expect >= 120)
            assert_non_null(strstr(r.body.data, " minutes, or ask"));
        sg_web_response_free(&r);
    }
    assert_int_equal(expect, LOCKOUT);
    /* after the wait the right password works, and the pair's count is
     * gone: one more mistake costs nothing (the client has had 11 of its
     * 12 free failures) */
    e->now += LOCKOUT;
    try_login(e, "dsl", "right password", "198.51.100.1", &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    assert_int_equal(fail_n(e, "dsl", "198.51.100.1", 1), 401);
    try_login(e, "dsl", "right password", "198.51.100.1", &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
}

/* A page that cannot be built whole (memory runs out half way) is a
 * plain 500, never the part that was built sent as the page. */
static void
test_page_cut_short_refused(void **state)
{
    struct env *e = *state;
    struct login l;
    struct call c;
    struct sg_web_response r;
    login_queue(e, &l, &c, &r);
    size_t whole = r.body.len;
    assert_true(whole > 1024);
    assert_non_null(strstr(r.body.data, "</html>"));
    sg_web_response_free(&r);

    /* the page's buffer cannot grow to hold it all */
    size_t cut = 64;
    while (cut * 2 <= whole)
        cut *= 2;
    fail_realloc_from = cut;
    handle(e, "GET", "/queue", &c, &r);
    fail_realloc_from = 0;
    assert_int_equal(r.status, 500);
    assert_string_equal(r.content_type, "text/plain; charset=utf-8");
    assert_string_equal(r.body.data,
                        "The page could not be built: out of memory.\n");
    assert_int_equal(r.n_cookies, 0);
    sg_web_response_free(&r);
}

/* A client guessing many names is slowed too, after WEB_CLIENT_FACTOR
 * times as many failures; a good sign-in of one name does not reset it. */
static void
test_throttle_client(void **state)
{
    struct env *e = *state;
    struct sg_web_response r;
    char name[32];
    for (int i = 0; i < CLIENT_FREE; i++) {
        snprintf(name, sizeof(name), "name%d", i);
        assert_int_equal(fail_n(e, name, "203.0.113.5", 1), 401);
    }
    try_login(e, "another", "x", "203.0.113.5", &r);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after, FIRST_WAIT);
    sg_web_response_free(&r);
    /* another client is not slowed */
    assert_int_equal(fail_n(e, "another", "203.0.113.6", 1), 401);
    /* the DSL signs in there after the wait; the client's count stays */
    e->now += FIRST_WAIT;
    try_login(e, "dsl", "right password", "203.0.113.5", &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    assert_int_equal(fail_n(e, "another", "203.0.113.5", 1), 401);
    try_login(e, "another", "x", "203.0.113.5", &r);
    assert_int_equal(r.status, 429);
    assert_int_equal(r.retry_after, 2 * FIRST_WAIT);
    sg_web_response_free(&r);
    /* an IPv6 client is its /64: one machine has all of it */
    for (int i = 0; i < CLIENT_FREE; i++) {
        char addr[64];
        snprintf(name, sizeof(name), "v6name%d", i);
        snprintf(addr, sizeof(addr), "2001:db8:5:6::%x via proxy", i + 1);
        assert_int_equal(fail_n(e, name, addr, 1), 401);
    }
    try_login(e, "v6other", "x", "2001:db8:5:6:ffff::1", &r);
    assert_int_equal(r.status, 429);
    sg_web_response_free(&r);
    assert_int_equal(fail_n(e, "v6other", "2001:db8:5:7::1", 1), 401);
    /* quiet for long enough, a count is forgotten */
    e->now += 4 * LOCKOUT;
    assert_int_equal(fail_n(e, "another", "203.0.113.5", 1), 401);
    assert_int_equal(fail_n(e, "v6other", "2001:db8:5:6::1", 1), 401);
}

/* A check runs without the lock: a second guess of the same pair arriving
 * meanwhile must count the first as a failure to come. */
static int nested_status;

static int
nesting_auth(void *ctx, const char *login, const char *password,
             const char **error_r)
{
    struct env *e = ctx;
    if (nested_status == 0) {
        nested_status = -1;
        struct sg_web_response r;
        try_login(e, login, "parallel guess", "198.51.100.9", &r);
        nested_status = (int)r.status;
        sg_web_response_free(&r);
    }
    return fake_auth(ctx, login, password, error_r);
}

static void
test_throttle_parallel(void **state)
{
    struct env *e = *state;
    sg_web_free(&e->w);
    struct sg_web_options o = e->o;
    o.auth = nesting_auth;
    const char *err;
    assert_int_equal(sg_web_new(&o, &e->w, &err), 0);
    nested_status = 1; /* no parallel guess yet */
    assert_int_equal(fail_n(e, "dsl", "198.51.100.9", ATTEMPTS - 1), 401);
    nested_status = 0;
    assert_int_equal(fail_n(e, "dsl", "198.51.100.9", 1), 401);
    /* the last free attempt was under way: the parallel one waits */
    assert_int_equal(nested_status, 429);
    /* and both were counted: the pair now waits */
    assert_int_equal(fail_n(e, "dsl", "198.51.100.9", 1), 429);
}

/* The table is bounded, and a flood of new clients evicts the quiet
 * entries first, not a running wait. */
static void
test_throttle_table_bounded(void **state)
{
    struct env *e = *state;
    assert_int_equal(fail_n(e, "dsl", "198.51.100.3", ATTEMPTS), 401);
    for (int i = 0; i < 3 * TABLE; i++) {
        char addr[32];
        snprintf(addr, sizeof(addr), "10.%d.%d.1", i / 250, i % 250);
        assert_int_equal(fail_n(e, "dsl", addr, 1), 401);
    }
    assert_int_equal(fail_n(e, "dsl", "198.51.100.3", 1), 429);
    /* the right password still works from a new client */
    struct sg_web_response r;
    try_login(e, "dsl", "right password", "198.51.100.4", &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
}

/* Who the client is: the socket peer, or from a trusted proxy the last
 * X-Forwarded-For hop, never an earlier one. */
static void
test_client_address(void **state)
{
    (void)state;
    struct sg_network proxies[2];
    const char *err;
    assert_int_equal(sg_network_parse("127.0.0.1", &proxies[0], &err), 0);
    assert_int_equal(sg_network_parse("[2001:db8::10]/128", &proxies[1], &err),
                     0);
    struct sockaddr_in lo = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &lo.sin_addr);
    struct sockaddr_in other = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.2", &other.sin_addr);
    struct sockaddr_in6 mapped = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "2001:db8::10", &v6.sin6_addr);
    const struct sockaddr *plo = (const struct sockaddr *)&lo,
                          *pother = (const struct sockaddr *)&other,
                          *pmapped = (const struct sockaddr *)&mapped,
                          *pv6 = (const struct sockaddr *)&v6;
    struct {
        const struct sockaddr *peer;
        const char *xff;
        size_t n_xff, n_proxies;
        const char *want;
    } cases[] = {
        {plo, "203.0.113.9, 198.51.100.7", 1, 2, "198.51.100.7 via proxy"},
        {plo, " 198.51.100.7 ", 1, 2, "198.51.100.7 via proxy"},
        {plo, "203.0.113.9,2001:db8::7", 1, 2, "2001:db8::7 via proxy"},
        {plo, "[2001:DB8::7]", 1, 2, "2001:db8::7 via proxy"},
        {plo, "::ffff:198.51.100.7", 1, 2, "198.51.100.7 via proxy"},
        {pmapped, "198.51.100.7", 1, 2, "198.51.100.7 via proxy"},
        {pv6, "198.51.100.7", 1, 2, "198.51.100.7 via proxy"},
        /* not from a proxy: the header is the client's say-so */
        {pother, "198.51.100.7", 1, 2, "127.0.0.2"},
        {plo, "198.51.100.7", 1, 0, "127.0.0.1"},
        {pmapped, NULL, 0, 0, "127.0.0.1"},
        /* a last hop that is not one address, or two headers */
        {plo, "198.51.100.7, evil", 1, 2, "127.0.0.1"},
        {plo, "198.51.100.7,", 1, 2, "127.0.0.1"},
        {plo, "198.51.100.7 203.0.113.9", 1, 2, "127.0.0.1"},
        {plo, "198.51.100.7:443", 1, 2, "127.0.0.1"},
        {plo, "", 1, 2, "127.0.0.1"},
        {plo, "198.51.100.7", 2, 2, "127.0.0.1"},
        {plo, NULL, 0, 2, "127.0.0.1"},
        {NULL, "198.51.100.7", 1, 2, "unknown"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[128];
        sg_web_client(cases[i].peer, cases[i].xff, cases[i].n_xff, proxies,
                      cases[i].n_proxies, buf, sizeof(buf));
        if (strcmp(buf, cases[i].want) != 0)
            fail_msg("case %zu: \"%s\", want \"%s\"", i, buf, cases[i].want);
    }
}

static void
test_sessions_end(void **state)
{
    struct env *e = *state;
    struct login l;
    struct sg_web_response r;
    /* idle */
    login(e, &l);
    e->now += IDLE;
    struct call c = {.session = l.session};
    handle(e, "GET", "/queue", &c, &r);
    assert_int_equal(r.status, 303);
    assert_string_equal(r.location, "/login");
    sg_web_response_free(&r);
    /* kept alive by use, but not past the maximum age */
    login(e, &l);
    time_t start = e->now;
    struct call k = {.session = l.session};
    while (e->now + IDLE - 1 < start + MAX_AGE) {
        e->now += IDLE - 1;
        handle(e, "GET", "/queue", &k, &r);
        assert_int_equal(r.status, 200);
        sg_web_response_free(&r);
    }
    e->now = start + MAX_AGE;
    handle(e, "GET", "/queue", &k, &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    /* logout */
    login(e, &l);
    char csrf[64];
    session_csrf(e, &l, csrf, sizeof(csrf));
    struct call out = {
        .form = {{"csrf", csrf}}, .n_form = 1, .session = l.session};
    handle(e, "POST", "/logout", &out, &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    handle(e, "GET", "/queue", &k, &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    assert_int_equal(audit_count(e, "logout"), 1);
}

static void
assert_inert(const char *body)
{
    assert_null(strstr(body, "<script"));
    assert_null(strstr(body, "<img"));
    assert_null(strstr(body, "<b>"));
    assert_null(strstr(body, "\x1b"));
    assert_non_null(strstr(body, "&lt;script&gt;"));
}

static void
test_queue_and_item_escape_everything(void **state)
{
    struct env *e = *state;
    struct login l;
    struct call c;
    struct sg_web_response r;
    login_queue(e, &l, &c, &r);
    assert_non_null(strstr(r.body.data, e->held));
    assert_non_null(strstr(r.body.data, e->other));
    /* the older one is past the 24-hour target */
    assert_non_null(strstr(r.body.data, "sla-late"));
    assert_non_null(strstr(r.body.data, "Demo &lt;School&gt;"));
    assert_inert(r.body.data);
    sg_web_response_free(&r);

    char path[128];
    snprintf(path, sizeof(path), "/item/%s", e->held);
    handle(e, "GET", path, &c, &r);
    assert_int_equal(r.status, 200);
    assert_inert(r.body.data);
    /* the finding is marked in the message text, and the terminal escape
     * and the bidi override are shown as escapes */
    assert_non_null(strstr(r.body.data, "<mark>07700 900123</mark>"));
    assert_non_null(strstr(r.body.data, "\\x1b"));
    assert_non_null(strstr(r.body.data, "\\u202e"));
    assert_non_null(strstr(r.body.data, "notes.pdf"));
    assert_non_null(strstr(r.body.data, "id=\"form-release\""));
    sg_web_response_free(&r);
    assert_true(audit_count(e, "view") >= 1);
    assert_true(audit_count(e, "list") >= 1);
}

/* A record the mail system did not keep: its own tab, and the page says
 * so in words, with no decision to take. */
static void
test_lost_record(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    assert_int_equal(sg_store_set_status(e->f.q, e->other, SG_QSTATUS_HELD,
                                         SG_QSTATUS_LOST, "safeguard-milter",
                                         NULL, "not kept", &err),
                     0);
    struct login l;
    login(e, &l);
    struct call c = {.session = l.session};
    c.query[0] = (struct sg_web_param){"status", "lost"};
    c.n_query = 1;
    struct sg_web_response r;
    handle(e, "GET", "/queue", &c, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, ">Not kept</a>"));
    assert_non_null(strstr(r.body.data, e->other));
    assert_null(strstr(r.body.data, e->held));
    assert_non_null(strstr(r.body.data, "<td data-label=\"Status\">not kept "
                                        "by the mail system</td>"));
    sg_web_response_free(&r);
    char path[128];
    snprintf(path, sizeof(path), "/item/%s", e->other);
    c.n_query = 0;
    handle(e, "GET", path, &c, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data,
                           "<span id=\"status\">not kept by the mail "
                           "system</span>"));
    assert_null(strstr(r.body.data, "/release\""));
    sg_web_response_free(&r);
}

/* A database error in the middle of reading a record or a list is an
 * error page, never a page with fewer rows. */
static void
test_read_failure_is_an_error(void **state)
{
    struct env *e = *state;
    struct login l;
    login(e, &l);
    struct call c = {.session = l.session};
    struct sg_web_response r;
    char path[128];
    snprintf(path, sizeof(path), "/item/%s", e->held);
    size_t rcpts = 0;
    /* the record, then its two recipients and the end of them */
    for (unsigned long n = 1; n <= 4; n++) {
        sg_store_sqlite_test_fail_step(n);
        handle(e, "GET", path, &c, &r);
        sg_store_sqlite_test_fail_step(0);
        assert_int_equal(r.status, 500);
        assert_non_null(strstr(r.body.data, "Cannot show the record"));
        assert_non_null(strstr(r.body.data, "injected failure"));
        if (strstr(r.body.data, "cannot read the recipients") != NULL)
            rcpts++;
        sg_web_response_free(&r);
    }
    assert_int_equal(rcpts, 3);
    /* the waiting list: two rows and the end */
    for (unsigned long n = 1; n <= 3; n++) {
        sg_store_sqlite_test_fail_step(n);
        handle(e, "GET", "/queue", &c, &r);
        sg_store_sqlite_test_fail_step(0);
        assert_int_equal(r.status, 500);
        assert_non_null(strstr(r.body.data, "Cannot list the held mail"));
        assert_non_null(strstr(r.body.data, "cannot list the records"));
        sg_web_response_free(&r);
    }
    handle(e, "GET", "/queue", &c, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, e->held));
    assert_non_null(strstr(r.body.data, e->other));
    sg_web_response_free(&r);
}

/* The link rel on page (first, prev, next) as a query into c (its values
 * in buf, decoded as the server decodes them), or false when there is
 * none. */
static bool
page_link(const char *page, const char *rel, struct call *c, char *buf,
          size_t size)
{
    char want[64];
    snprintf(want, sizeof(want), "<a rel=\"%s\" href=\"/queue?", rel);
    const char *p = strstr(page, want);
    if (p == NULL)
        return false;
    p += strlen(want);
    /* the attribute's &amp; is the query's & */
    size_t o = 0;
    while (*p != '"' && o + 1 < size) {
        bool amp = strncmp(p, "&amp;", 5) == 0;
        buf[o++] = amp ? '&' : *p;
        p += amp ? 5 : 1;
    }
    buf[o] = '\0';
    assert_int_equal(sg_web_form_parse(buf, c->query, 4, &c->n_query), 0);
    return true;
}

/* The records of a queue page, their ids joined by spaces into out. */
static size_t
page_rows(const char *page, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = page; (p = strstr(p, "<tr data-record=\"")); n++) {
        p += strlen("<tr data-record=\"");
        snprintf(out + strlen(out), size - strlen(out), "%s%.*s",
                 n > 0 ? " " : "", (int)strcspn(p, "\""), p);
    }
    return n;
}

/* The queue pages by key: the More link of a page is the page after its
 * last row, Previous the page before its first, both keeping the tab;
 * a page=N link (of a bookmark) is sent to its tab's first page. */
static void
test_queue_pages(void **state)
{
    struct env *e = *state;
    /* 55 more: 57 waiting, 50 on the first page, 7 on the second */
    for (int i = 0; i < 55; i++) {
        char qid[16];
        snprintf(qid, sizeof(qid), "6CCC%02d", i);
        free(review_fixture_hold(&e->f, qid, "p.page@school.example", NULL,
                                 e->now - 60 * i, false));
    }
    struct login l;
    login(e, &l);
    struct call c = {.session = l.session};
    struct sg_web_response r;
    static char first[8192], second[8192], back[8192], got[8192];
    char q[512];
    /* old links: page=N, a number that means nothing once records
     * move, go to the first page of their tab (and school) */
    static const char *const old[][3] = {
        {"1", NULL, "/queue?status=waiting"},
        {"1600", NULL, "/queue?status=waiting"},
        {"2", "released", "/queue?status=released"},
        {"x", "nonsense", "/queue?status=waiting"},
    };
    for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
        c.query[0] = (struct sg_web_param){"page", old[i][0]};
        c.query[1] = (struct sg_web_param){"status", old[i][1]};
        c.n_query = old[i][1] != NULL ? 2 : 1;
        handle(e, "GET", "/queue", &c, &r);
        assert_int_equal(r.status, 303);
        assert_string_equal(r.location, old[i][2]);
        sg_web_response_free(&r);
    }

    /* the first page: More, and no way back */
    c.n_query = 0;
    handle(e, "GET", "/queue", &c, &r);
    assert_int_equal(page_rows(r.body.data, first, sizeof(first)), 50);
    assert_false(page_link(r.body.data, "prev", &c, q, sizeof(q)));
    assert_false(page_link(r.body.data, "first", &c, q, sizeof(q)));
    assert_true(page_link(r.body.data, "next", &c, q, sizeof(q)));
    sg_web_response_free(&r);
    assert_string_equal(c.query[0].name, "status");
    assert_string_equal(c.query[0].value, "waiting");
    assert_string_equal(c.query[1].name, "after");
    /* its More: the 7 after, a way back and no further */
    handle(e, "GET", "/queue", &c, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(page_rows(r.body.data, second, sizeof(second)), 7);
    assert_null(strstr(first, second));
    assert_false(page_link(r.body.data, "next", &c, q, sizeof(q)));
    assert_true(page_link(r.body.data, "first", &c, q, sizeof(q)));
    assert_int_equal(c.n_query, 1);
    assert_true(page_link(r.body.data, "prev", &c, q, sizeof(q)));
    sg_web_response_free(&r);
    assert_string_equal(c.query[1].name, "before");
    /* its Previous: the first page again, a More and no Previous */
    handle(e, "GET", "/queue", &c, &r);
    assert_int_equal(page_rows(r.body.data, back, sizeof(back)), 50);
    assert_string_equal(back, first);
    assert_false(page_link(r.body.data, "prev", &c, q, sizeof(q)));
    assert_true(page_link(r.body.data, "next", &c, q, sizeof(q)));
    sg_web_response_free(&r);

    /* a cursor that is not one: the first page */
    c.query[0] = (struct sg_web_param){"after", "soon,x"};
    c.n_query = 1;
    handle(e, "GET", "/queue", &c, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(page_rows(r.body.data, got, sizeof(got)), 50);
    assert_string_equal(got, first);
    sg_web_response_free(&r);
}

static void
test_decisions_need_csrf_and_a_note(void **state)
{
    struct env *e = *state;
    struct login l;
    login(e, &l);
    char csrf[64], path[128];
    session_csrf(e, &l, csrf, sizeof(csrf));
    snprintf(path, sizeof(path), "/item/%s/release", e->held);
    struct sg_web_response r;

    /* no token, and a wrong one: refused, nothing run */
    struct call forged = {
        .form = {{"note", "looks fine"}}, .n_form = 1, .session = l.session};
    handle(e, "POST", path, &forged, &r);
    assert_int_equal(r.status, 403);
    sg_web_response_free(&r);
    struct call wrong = {.form = {{"csrf", l.session}, {"note", "fine"}},
                         .n_form = 2,
                         .session = l.session};
    handle(e, "POST", path, &wrong, &r);
    assert_int_equal(r.status, 403);
    sg_web_response_free(&r);
    assert_int_equal(status_of(e, e->held), SG_QSTATUS_HELD);
    assert_int_equal(audit_count(e, "released"), 0);

    /* no note */
    struct call blank = {.form = {{"csrf", csrf}, {"note", "  \r\n"}},
                         .n_form = 2,
                         .session = l.session};
    handle(e, "POST", path, &blank, &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body.data, "a note is required"));
    sg_web_response_free(&r);
    assert_int_equal(status_of(e, e->held), SG_QSTATUS_HELD);

    /* released once */
    struct call ok = {.form = {{"csrf", csrf}, {"note", "Parents' evening"}},
                      .n_form = 2,
                      .session = l.session};
    handle(e, "POST", path, &ok, &r);
    assert_int_equal(r.status, 303);
    char want[128];
    snprintf(want, sizeof(want), "/item/%s?done=release", e->held);
    assert_string_equal(r.location, want);
    sg_web_response_free(&r);
    assert_int_equal(status_of(e, e->held), SG_QSTATUS_RELEASED);

    /* and not twice */
    handle(e, "POST", path, &ok, &r);
    assert_int_equal(r.status, 409);
    assert_non_null(strstr(r.body.data, "Not done"));
    sg_web_response_free(&r);

    /* the other: escalate, then reject */
    snprintf(path, sizeof(path), "/item/%s/escalate", e->other);
    handle(e, "POST", path, &ok, &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    assert_int_equal(status_of(e, e->other), SG_QSTATUS_ESCALATED);
    snprintf(path, sizeof(path), "/item/%s/reject", e->other);
    handle(e, "POST", path, &ok, &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    assert_int_equal(status_of(e, e->other), SG_QSTATUS_REJECTED);
}

/* Log in as user (with "right password"): the session in l. */
static void
login_as(struct env *e, const char *user, struct login *l)
{
    struct sg_web_response r;
    try_login(e, user, "right password", NULL, &r);
    assert_int_equal(r.status, 303);
    assert_non_null(
        cookie(&r, SG_WEB_SESSION_COOKIE, l->session, sizeof(l->session)));
    sg_web_response_free(&r);
}

/* GET path in session l: the status, the page kept in r. */
static int
get_as(struct env *e, const struct login *l, const char *path,
       const struct call *q, struct sg_web_response *r)
{
    struct call c = {.session = l->session};
    if (q != NULL) {
        memcpy(c.query, q->query, sizeof(c.query));
        c.n_query = q->n_query;
    }
    handle(e, "GET", path, &c, r);
    return r->status;
}

/* A trust of two schools: a school's reviewer sees and decides only its
 * records (another school's id is answered as one that does not exist);
 * a trust reviewer sees all, with a school column and a filter. */
static void
test_schools(void **state)
{
    struct env *e = *state;
    const char *err = NULL;
    struct sg_config *cfg =
        sg_config_load_string("school northfield {\n"
                              "    school_domains = northfield.sch.uk\n"
                              "    review_welfare_reviewers = patel\n"
                              "    review_conduct_reviewers = patel\n"
                              "}\n"
                              "school southfield {\n"
                              "    school_domains = southfield.sch.uk\n"
                              "}\n",
                              "trust.conf", &err);
    assert_non_null(cfg);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "UPDATE records SET school = 'southfield' WHERE id = '%s'",
             e->held);
    sg_test_db_exec(e->f.db, sql);
    snprintf(sql, sizeof(sql),
             "UPDATE records SET school = 'northfield' WHERE id = '%s'",
             e->other);
    sg_test_db_exec(e->f.db, sql);
    static const char *const trust[] = {"head-trust"};
    sg_web_free(&e->w);
    e->o.config = cfg;
    e->o.trust_reviewers = trust;
    e->o.n_trust_reviewers = 1;
    assert_int_equal(sg_web_new(&e->o, &e->w, &err), 0);

    char south[128], north[128], missing[128];
    snprintf(south, sizeof(south), "/item/%s", e->held);
    snprintf(north, sizeof(north), "/item/%s", e->other);
    snprintf(missing, sizeof(missing), "/item/SG-20990101-000000");
    struct sg_web_response r, gone;

    /* northfield's reviewer: its record only, no school column */
    struct login l;
    login_as(e, "patel", &l);
    assert_int_equal(get_as(e, &l, "/queue", NULL, &r), 200);
    assert_non_null(strstr(r.body.data, e->other));
    assert_null(strstr(r.body.data, e->held));
    assert_null(strstr(r.body.data, "id=\"schools\""));
    /* the header leads to the report, the policy and the concerns */
    assert_non_null(strstr(r.body.data, "<nav class=\"site\"><a href=\"/report\">"
                                        "Report</a> <a href=\"/policy\">Policy"
                                        "</a> <a href=\"/concerns\">"));
    sg_web_response_free(&r);
    assert_int_equal(get_as(e, &l, north, NULL, &r), 200);
    sg_web_response_free(&r);
    /* southfield's record: as one that does not exist */
    assert_int_equal(get_as(e, &l, missing, NULL, &gone), 404);
    assert_int_equal(get_as(e, &l, south, NULL, &r), 404);
    sg_web_response_free(&r);
    sg_web_response_free(&gone);
    /* nor asked for by the filter */
    struct call q = {.query = {{"school", "southfield"}}, .n_query = 1};
    assert_int_equal(get_as(e, &l, "/queue", &q, &r), 200);
    assert_null(strstr(r.body.data, e->held));
    sg_web_response_free(&r);
    /* nor by a page's cursor (the page before one past every row) */
    struct call qk = {.query = {{"before", "4102444800,~"}}, .n_query = 1};
    assert_int_equal(get_as(e, &l, "/queue", &qk, &r), 200);
    assert_non_null(strstr(r.body.data, e->other));
    assert_null(strstr(r.body.data, e->held));
    sg_web_response_free(&r);
    qk.query[1] = q.query[0];
    qk.n_query = 2;
    assert_int_equal(get_as(e, &l, "/queue", &qk, &r), 200);
    assert_null(strstr(r.body.data, e->held));
    sg_web_response_free(&r);
    /* nor decided, nor noted */
    char csrf[64], path[160];
    session_csrf(e, &l, csrf, sizeof(csrf));
    struct call ok = {.form = {{"csrf", csrf}, {"note", "fine"}},
                      .n_form = 2,
                      .session = l.session};
    const char *const ops[] = {"release", "reject", "escalate", "note"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "%s/%s", south, ops[i]);
        handle(e, "POST", path, &ok, &r);
        assert_int_equal(r.status, 404);
        sg_web_response_free(&r);
    }
    assert_int_equal(status_of(e, e->held), SG_QSTATUS_HELD);
    assert_int_equal(audit_count(e, "note"), 0);

    /* a login no list names: nothing */
    struct login d;
    login_as(e, "dsl", &d);
    assert_int_equal(get_as(e, &d, "/queue", NULL, &r), 200);
    assert_null(strstr(r.body.data, e->other));
    assert_null(strstr(r.body.data, e->held));
    sg_web_response_free(&r);
    assert_int_equal(get_as(e, &d, north, NULL, &r), 404);
    sg_web_response_free(&r);

    /* the trust's reviewer: both, a school column, a filter */
    struct login t;
    login_as(e, "head-trust", &t);
    assert_int_equal(get_as(e, &t, "/queue", NULL, &r), 200);
    assert_non_null(strstr(r.body.data, e->other));
    assert_non_null(strstr(r.body.data, e->held));
    assert_non_null(strstr(r.body.data, "<th>School</th>"));
    assert_non_null(
        strstr(r.body.data, "<td data-label=\"School\">southfield</td>"));
    assert_non_null(strstr(r.body.data, "id=\"schools\""));
    sg_web_response_free(&r);
    assert_int_equal(get_as(e, &t, "/queue", &q, &r), 200);
    assert_non_null(strstr(r.body.data, e->held));
    assert_null(strstr(r.body.data, e->other));
    sg_web_response_free(&r);
    /* an old page=N link of the filter: its first page, the school kept */
    struct call qp = {.query = {{"school", "southfield"}, {"page", "3"}},
                      .n_query = 2};
    assert_int_equal(get_as(e, &t, "/queue", &qp, &r), 303);
    assert_string_equal(r.location, "/queue?status=waiting&school=southfield");
    sg_web_response_free(&r);
    /* the filter and a cursor together */
    assert_int_equal(get_as(e, &t, "/queue", &qk, &r), 200);
    assert_non_null(strstr(r.body.data, e->held));
    assert_null(strstr(r.body.data, e->other));
    sg_web_response_free(&r);
    assert_int_equal(get_as(e, &t, south, NULL, &r), 200);
    assert_non_null(strstr(r.body.data, "<span id=\"school\">southfield"));
    sg_web_response_free(&r);
    session_csrf(e, &t, csrf, sizeof(csrf));
    struct call tok = {.form = {{"csrf", csrf}, {"note", "fine"}},
                       .n_form = 2,
                       .session = t.session};
    snprintf(path, sizeof(path), "%s/release", south);
    handle(e, "POST", path, &tok, &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    assert_int_equal(status_of(e, e->held), SG_QSTATUS_RELEASED);
    /* its audit row names the school */
    assert_int_equal(sg_test_db_int(e->f.db,
                                    "SELECT count(*) FROM audit WHERE action"
                                    " = 'released' AND school = ?1",
                                    "southfield"),
                     1);

    /* the report: the trust's by school, northfield's its own alone */
    assert_int_equal(get_as(e, &t, "/report", NULL, &r), 200);
    assert_non_null(strstr(r.body.data, "<section id=\"schools\">"));
    assert_non_null(strstr(r.body.data, "<tr><td>southfield</td>"));
    assert_non_null(strstr(r.body.data, "<tr><td>northfield</td>"));
    sg_web_response_free(&r);
    assert_int_equal(get_as(e, &l, "/report", NULL, &r), 200);
    assert_non_null(strstr(r.body.data, "School: <strong>northfield</strong>"));
    assert_null(strstr(r.body.data, "southfield"));
    assert_null(strstr(r.body.data, "<section id=\"schools\">"));
    sg_web_response_free(&r);
    /* the concern export: northfield's reviewer never sees southfield's */
    static const char *const tracks[] = {"staff-conduct", "pupil-welfare"};
    for (size_t i = 0; i < 2; i++) {
        struct call cq = {.query = {{"track", tracks[i]},
                                    {"since", "2000-01-01"}},
                          .n_query = 2};
        assert_int_equal(get_as(e, &l, "/concerns", &cq, &r), 200);
        assert_non_null(strstr(r.body.data, "<table class=\"concerns\">"));
        assert_null(strstr(r.body.data, e->held));
        sg_web_response_free(&r);
        cq.query[2].name = "format";
        cq.query[2].value = "csv";
        cq.n_query = 3;
        assert_int_equal(get_as(e, &l, "/concerns", &cq, &r), 200);
        assert_null(strstr(r.body.data, e->held));
        sg_web_response_free(&r);
    }
    /* a login no list names: neither */
    assert_int_equal(get_as(e, &d, "/report", NULL, &r), 403);
    sg_web_response_free(&r);
    assert_int_equal(get_as(e, &d, "/concerns", NULL, &r), 403);
    sg_web_response_free(&r);

    sg_web_free(&e->w);
    e->o.config = NULL;
    sg_config_free(&cfg);
}

/* The item page for a reviewer: people by name, rules by title, the
 * message before the policy text (folded), two texts for a decision and
 * no "what the sender was told" when nothing was sent. */
static void
test_item_for_people(void **state)
{
    struct env *e = *state;
    struct login l;
    struct call c;
    struct sg_web_response r;
    login_queue(e, &l, &c, &r);
    /* the queue: names and titles */
    assert_non_null(strstr(r.body.data, "Amy Pupil (pupil)"));
    assert_non_null(
        strstr(r.body.data, "<li>Personal contact details sent to a pupil"));
    assert_null(strstr(r.body.data, ">personal-contact<"));
    sg_web_response_free(&r);

    char path[128];
    snprintf(path, sizeof(path), "/item/%s", e->held);
    handle(e, "GET", path, &c, &r);
    assert_int_equal(r.status, 200);
    const char *page = r.body.data;
    assert_non_null(strstr(page, "<span class=\"name\">Amy Pupil</span>"));
    const char *msg = strstr(page, "<section id=\"message\">");
    const char *policy = strstr(page, "<details class=\"policy\">");
    assert_non_null(msg);
    assert_non_null(policy);
    assert_true(msg < policy);
    assert_non_null(
        strstr(policy, "Staff must not give pupils their personal number."));
    /* nothing was sent to the sender about it: no such section */
    assert_null(strstr(page, "What the sender was told"));
    /* the note and the message to the sender are two fields; the old
     * "in the words of the note" box is gone */
    assert_non_null(strstr(page, "id=\"tell-release\" name=\"to_sender\""));
    assert_non_null(strstr(page, "id=\"tell-reject\" name=\"to_sender\""));
    assert_null(strstr(page, "tell_sender"));
    sg_web_response_free(&r);

    /* once a notice to the sender is written, it is shown as it was
     * written, with whether it went */
    struct sg_outbox_batch nb = {0};
    const char *err = NULL;
    const char *to[] = {"j.smith<b>@school.example"};
    assert_int_equal(sg_outbox_batch_add(&nb, "held-sender",
                                         "safeguarding@school.example", to, 1,
                                         "<n1@school.example>",
                                         "Subject: held\n\nYour message is "
                                         "being kept safe.\n",
                                         &err),
                     0);
    /* and the DSL's notice, which is not what the sender was told */
    const char *dsl[] = {"dsl@school.example"};
    assert_int_equal(
        sg_outbox_batch_add(&nb, "held-dsl", "safeguarding@school.example", dsl,
                            1, "<n2@school.example>",
                            "Subject: held\n\nFor the DSL only.\n", &err),
        0);
    assert_int_equal(sg_outbox_add(e->f.q, &nb, e->held, time(NULL), &err), 0);
    sg_outbox_batch_free(&nb);
    handle(e, "GET", path, &c, &r);
    assert_int_equal(r.status, 200);
    const char *told = strstr(r.body.data, "<section id=\"told\">");
    assert_non_null(told);
    assert_non_null(strstr(told, "Waiting to be sent"));
    assert_non_null(strstr(told, "Your message is being kept safe."));
    assert_null(strstr(told, "Subject: held"));
    assert_null(strstr(r.body.data, "For the DSL only."));
    sg_web_response_free(&r);

    /* a message to the sender with no notices configured: refused before
     * anything is done */
    char csrf[64];
    session_csrf(e, &l, csrf, sizeof(csrf));
    snprintf(path, sizeof(path), "/item/%s/release", e->held);
    struct call tell = {.form = {{"csrf", csrf},
                                 {"note", "Checked"},
                                 {"to_sender", "Delivered, thanks"}},
                        .n_form = 3,
                        .session = l.session};
    handle(e, "POST", path, &tell, &r);
    assert_int_equal(r.status, 500);
    assert_non_null(strstr(r.body.data, "notices are not configured"));
    sg_web_response_free(&r);
    assert_int_equal(status_of(e, e->held), SG_QSTATUS_HELD);

    /* without it the release is made, credited to the signed-in account */
    tell.form[2].value = " ";
    handle(e, "POST", path, &tell, &r);
    assert_int_equal(r.status, 303);
    sg_web_response_free(&r);
    assert_int_equal(status_of(e, e->held), SG_QSTATUS_RELEASED);
    snprintf(path, sizeof(path), "/item/%s", e->held);
    handle(e, "GET", path, &c, &r);
    assert_non_null(
        strstr(r.body.data, "by <span id=\"decided-by\">dsl</span>"));
    /* its retention, and a legal hold with who placed it and why */
    assert_non_null(strstr(r.body.data, "<dt>Retention</dt><dd>released, "
                                        "expires "));
    sg_web_response_free(&r);
    err = NULL;
    assert_int_equal(sg_store_legal_hold(e->f.q, e->held, "dsl", NULL,
                                         "a claim <b>", &err),
                     0);
    handle(e, "GET", path, &c, &r);
    assert_non_null(strstr(r.body.data, "<span id=\"legal-hold\">since "));
    assert_non_null(strstr(r.body.data, "by dsl: a claim &lt;b&gt;</span>"));
    sg_web_response_free(&r);
    assert_int_equal(sg_test_db_int(e->f.db,
                                    "SELECT count(*) FROM audit WHERE action "
                                    "= 'released' AND actor = 'dsl' AND "
                                    "note = ?1",
                                    "Checked"),
                     1);
}

/* Times are shown in the school's zone when the page has one. */
/* The queue's row of record id (malloc'ed). */
static char *
row_of(const char *page, const char *id)
{
    char start[128];
    snprintf(start, sizeof(start), "<tr data-record=\"%s\">", id);
    const char *p = strstr(page, start);
    assert_non_null(p);
    const char *end = strstr(p, "</tr>");
    assert_non_null(end);
    char *row = strndup(p, (size_t)(end - p));
    assert_non_null(row);
    return row;
}

/* review_pseudonymise = staff-conduct: the queue shows the staff-conduct
 * items' people as role and pseudonym, the same on every row, and no
 * subject; a pupil-welfare item as before; opening one shows the names,
 * and the opening is audited. */
static void
test_queue_pseudonymous(void **state)
{
    struct env *e = *state;
    char *third = review_fixture_hold(&e->f, "5BBB3", "j.smith@school.example",
                                      "About Amy's detention", e->now - 60,
                                      false);
    char sql[256];
    snprintf(sql, sizeof(sql),
             "UPDATE records SET track = 'pupil-welfare' WHERE id = '%s'",
             e->other);
    sg_test_db_exec(e->f.db, sql);
    sg_web_free(&e->w);
    e->o.pseudonymous_tracks = 1u << SG_TRACK_STAFF_CONDUCT;
    const char *err;
    assert_int_equal(sg_web_new(&e->o, &e->w, &err), 0);

    struct login l;
    struct call c;
    struct sg_web_response r;
    login_queue(e, &l, &c, &r);
    const char *page = r.body.data;
    assert_non_null(strstr(page, "id=\"pseudonymous\""));
    /* the staff-conduct rows name no one and show no subject */
    static const char *const never[] = {"John Smith", "j.smith", "Amy Pupil",
                                        "amy.pupil", "detention", "script",
                                        "elsewhere.example"};
    const char *conduct[] = {e->held, third};
    char pupil[2][32];
    for (size_t k = 0; k < 2; k++) {
        char *row = row_of(page, conduct[k]);
        for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
            if (strstr(row, never[i]) != NULL)
                fail_msg("the queue shows \"%s\": %s", never[i], row);
        assert_non_null(strstr(row, "(subject shown when opened)"));
        assert_non_null(strstr(row, ">Sender "));
        assert_non_null(strstr(row, ">Outside address "));
        const char *p = strstr(row, ">Pupil ");
        assert_non_null(p);
        snprintf(pupil[k], sizeof(pupil[k]), "%.*s", 7 + SG_NOTICE_PSEUDONYM_LEN,
                 p);
        free(row);
    }
    /* the pupil on both rows has one pseudonym */
    assert_string_equal(pupil[0], pupil[1]);
    /* the pupil-welfare row as before */
    char *row = row_of(page, e->other);
    assert_non_null(strstr(row, "k.jones@school.example"));
    assert_non_null(strstr(row, "Amy Pupil (pupil)"));
    assert_non_null(strstr(row, "Call me"));
    assert_null(strstr(row, "pseudonym"));
    free(row);
    sg_web_response_free(&r);

    /* opening shows everything, and is audited */
    long long views = audit_count(e, "view");
    char path[128];
    snprintf(path, sizeof(path), "/item/%s", third);
    handle(e, "GET", path, &c, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "detention"));
    assert_non_null(strstr(r.body.data, "j.smith@school.example"));
    assert_non_null(strstr(r.body.data, "Amy Pupil"));
    sg_web_response_free(&r);
    assert_int_equal(audit_count(e, "view"), views + 1);
    assert_int_equal(
        sg_test_db_int(e->f.db,
                       "SELECT count(*) FROM audit WHERE action = 'view' AND "
                       "actor = 'dsl' AND record_id = ?1",
                       third),
        1);

    /* pupil-welfare too, when configured */
    sg_web_free(&e->w);
    e->o.pseudonymous_tracks =
        (1u << SG_TRACK_STAFF_CONDUCT) | (1u << SG_TRACK_PUPIL_WELFARE);
    assert_int_equal(sg_web_new(&e->o, &e->w, &err), 0);
    login_queue(e, &l, &c, &r);
    row = row_of(r.body.data, e->other);
    assert_null(strstr(row, "k.jones"));
    assert_null(strstr(row, "Amy Pupil"));
    assert_non_null(strstr(row, "(subject shown when opened)"));
    assert_non_null(strstr(row, ">Sender "));
    free(row);
    assert_non_null(strstr(r.body.data, "id=\"pseudonymous\">All items"));
    sg_web_response_free(&r);
    free(third);
}

static void
test_time_zone(void **state)
{
    struct env *e = *state;
    struct sg_tz *tz = NULL;
    const char *err;
    if (sg_tz_load("Europe/London", NULL, &tz, &err) < 0)
        skip(); /* no tzdata on this machine */
    struct sg_web_options o = {.review = e->f.r,
                               .auth = fake_auth,
                               .auth_ctx = e,
                               .session_idle = IDLE,
                               .session_max = MAX_AGE,
                               .login_attempts = ATTEMPTS,
                               .login_lockout = LOCKOUT,
                               .tz = tz,
                               .tz_name = "Europe/London"};
    sg_web_free(&e->w);
    assert_int_equal(sg_web_new(&o, &e->w, &err), 0);
    /* held on 2025-07-01 at 12:00 UTC: 13:00 in London (summer time) */
    char *id = review_fixture_hold(&e->f, "7DDD1", "s@school.example", NULL,
                                   1751371200, false);
    struct login l;
    login(e, &l);
    char path[128];
    snprintf(path, sizeof(path), "/item/%s", id);
    struct call c = {.session = l.session};
    struct sg_web_response r;
    handle(e, "GET", path, &c, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body.data, "2025-07-01 13:00 BST"));
    assert_null(strstr(r.body.data, "2025-07-01 12:00"));
    assert_non_null(strstr(r.body.data, "Times are Europe/London time."));
    sg_web_response_free(&r);
    free(id);
    sg_web_free(&e->w);
    sg_tz_free(&tz);
}

static void
test_form_parse(void **state)
{
    (void)state;
    char body[] = "csrf=a%2Bb&note=Parents%27+evening+%3Cb%3E&empty=&bare"
                  "&cut=x%00y&bad=%zz%4";
    struct sg_web_param p[8];
    size_t n = 0;
    assert_int_equal(sg_web_form_parse(body, p, 8, &n), 0);
    assert_int_equal(n, 6);
    assert_string_equal(p[0].name, "csrf");
    assert_string_equal(p[0].value, "a+b");
    assert_string_equal(p[1].value, "Parents' evening <b>");
    assert_string_equal(p[2].value, "");
    assert_string_equal(p[3].name, "bare");
    assert_string_equal(p[3].value, "");
    assert_string_equal(p[4].value, "x"); /* %00 ends the value */
    assert_string_equal(p[5].value, "%zz%4");
    char many[] = "a=1&b=2&c=3";
    assert_int_equal(sg_web_form_parse(many, p, 2, &n), -1);
}

static void
test_security_headers(void **state)
{
    (void)state;
    const char *csp = NULL;
    for (size_t i = 0; sg_web_security_headers[i] != NULL; i += 2)
        if (strcmp(sg_web_security_headers[i], "Content-Security-Policy") == 0)
            csp = sg_web_security_headers[i + 1];
    assert_non_null(csp);
    assert_non_null(strstr(csp, "default-src 'none'"));
    assert_non_null(strstr(csp, "frame-ancestors 'none'"));
    assert_null(strstr(csp, "script-src"));
    assert_null(strstr(csp, "unsafe"));
}

static void
test_password_file(void **state)
{
    struct env *e = *state;
    char path[256];
    snprintf(path, sizeof(path), "%s/passwords", e->f.dir);
    const char *err;
    assert_int_equal(sg_web_passwd_set(path, "dsl", "correct horse", &err), 0);
    assert_int_equal(sg_web_passwd_set(path, "head", "battery staple", &err),
                     0);
    assert_int_equal(sg_web_passwd_check(path, "dsl", "correct horse", &err),
                     SG_WEB_AUTH_OK);
    assert_int_equal(sg_web_passwd_check(path, "dsl", "battery staple", &err),
                     SG_WEB_AUTH_BAD);
    assert_int_equal(sg_web_passwd_check(path, "nobody", "x", &err),
                     SG_WEB_AUTH_BAD);
    /* a changed password replaces the old one */
    assert_int_equal(sg_web_passwd_set(path, "dsl", "a new password", &err), 0);
    assert_int_equal(sg_web_passwd_check(path, "dsl", "correct horse", &err),
                     SG_WEB_AUTH_BAD);
    assert_int_equal(sg_web_passwd_check(path, "head", "battery staple", &err),
                     SG_WEB_AUTH_OK);
    /* hashes, not passwords, in the file */
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[2048];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_null(strstr(buf, "a new password"));
    assert_non_null(strstr(buf, "dsl:$argon2id$"));
    /* a file others may write is refused */
    assert_int_equal(chmod(path, 0666), 0);
    assert_int_equal(sg_web_passwd_check(path, "dsl", "a new password", &err),
                     SG_WEB_AUTH_ERROR);
    assert_non_null(strstr(err, "writable by group or others"));
    /* short passwords and odd names are refused */
    assert_int_equal(chmod(path, 0600), 0);
    assert_true(sg_web_passwd_set(path, "dsl", "short", &err) < 0);
    assert_true(sg_web_passwd_set(path, "a:b", "long enough pw", &err) < 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pages_need_a_session, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_login_and_cookies, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_login_form_needs_its_token, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_wrong_password_and_not_dsl, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_throttle_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle_parallel, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_throttle_table_bounded, setup,
                                        teardown),
        cmocka_unit_test(test_client_address),
        cmocka_unit_test_setup_teardown(test_sessions_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_and_item_escape_everything,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_cut_short_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_lost_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_failure_is_an_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_decisions_need_csrf_and_a_note,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_item_for_people, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_zone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schools, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_pseudonymous, setup,
                                        teardown),
        cmocka_unit_test(test_form_parse),
        cmocka_unit_test(test_security_headers),
        cmocka_unit_test_setup_teardown(test_password_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
