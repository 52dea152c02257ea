/*
 * web_session.c - the review page's sessions and failed-login limits.
 *
 * Sessions live in memory only: a restart of the page logs everyone out,
 * which is the safe direction.  A session ends after session_idle seconds
 * without a request, after session_max seconds whatever happens, and at
 * logout.  At most MAX_SESSIONS are kept; past that the least recently
 * used goes.
 *
 * Failed logins are counted per login name and per client address in a
 * window of login_lockout seconds; once either count reaches
 * login_attempts, that name or client is refused (even with the right
 * password) until the window ends.  The table is bounded: past
 * MAX_THROTTLES the oldest windows are dropped.
 *
 * SECURITY: tokens are 32 bytes from libsodium's randombytes (the kernel's
 * CSPRNG); lookups compare every stored token in constant time.
 * Every function here expects w->lock held.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "review_int.h"
#include "web_int.h"

#define MAX_SESSIONS  256
#define MAX_THROTTLES 4096

int
web_token(char out[WEB_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    if (sodium_init() < 0)
        return -1;
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, WEB_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    return 0;
}

bool
web_token_equal(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return false;
    size_t la = strlen(a), lb = strlen(b);
    if (la != WEB_TOKEN_LEN || lb != WEB_TOKEN_LEN)
        return false;
    return sodium_memcmp(a, b, WEB_TOKEN_LEN) == 0;
}

static void
remove_session(struct sg_web *w, size_t i)
{
    struct web_session *s = &w->sessions[i];
    free(s->user);
    sodium_memzero(s, sizeof(*s));
    w->sessions[i] = w->sessions[--w->n_sessions];
}

static bool
expired(const struct sg_web *w, const struct web_session *s, time_t now)
{
    return now - s->last >= (time_t)w->o.session_idle ||
           now - s->created >= (time_t)w->o.session_max || now < s->created;
}

struct web_session *
web_session_find(struct sg_web *w, const char *token, time_t now)
{
    if (token == NULL || strlen(token) != WEB_TOKEN_LEN)
        return NULL;
    struct web_session *found = NULL;
    size_t at = 0;
    /* every token is compared, so the time taken says nothing */
    for (size_t i = 0; i < w->n_sessions; i++) {
        if (web_token_equal(w->sessions[i].token, token)) {
            found = &w->sessions[i];
            at = i;
        }
    }
    if (found == NULL)
        return NULL;
    if (expired(w, found, now)) {
        remove_session(w, at);
        return NULL;
    }
    found->last = now;
    return found;
}

struct web_session *
web_session_new(struct sg_web *w, const char *user, time_t now)
{
    /* drop the timed-out, then the least recently used if still full */
    for (size_t i = w->n_sessions; i-- > 0;)
        if (expired(w, &w->sessions[i], now))
            remove_session(w, i);
    if (w->n_sessions >= MAX_SESSIONS) {
        size_t lru = 0;
        for (size_t i = 1; i < w->n_sessions; i++)
            if (w->sessions[i].last < w->sessions[lru].last)
                lru = i;
        remove_session(w, lru);
    }
    if (sg_review_grow((void **)&w->sessions, &w->cap_sessions, w->n_sessions,
                       sizeof(*w->sessions)) < 0)
        return NULL;
    struct web_session *s = &w->sessions[w->n_sessions];
    memset(s, 0, sizeof(*s));
    s->user = strdup(user);
    if (s->user == NULL || web_token(s->token) < 0 || web_token(s->csrf) < 0) {
        free(s->user);
        return NULL;
    }
    s->created = s->last = now;
    w->n_sessions++;
    return s;
}

void
web_session_end(struct sg_web *w, struct web_session *s)
{
    size_t i = (size_t)(s - w->sessions);
    if (i < w->n_sessions)
        remove_session(w, i);
}

void
web_sessions_free(struct sg_web *w)
{
    while (w->n_sessions > 0)
        remove_session(w, 0);
    free(w->sessions);
    w->sessions = NULL;
    w->cap_sessions = 0;
    for (size_t i = 0; i < w->n_throttles; i++)
        free(w->throttles[i].key);
    free(w->throttles);
    w->throttles = NULL;
    w->n_throttles = w->cap_throttles = 0;
}

/* ------------------------------------------------------------ throttles */

static void
throttle_key(char *buf, size_t size, const char *kind, const char *v)
{
    snprintf(buf, size, "%s:%s", kind, v != NULL ? v : "");
    /* login names are matched without regard to case, as directories do */
    if (strcmp(kind, "user") == 0)
        for (char *p = buf; *p != '\0'; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
}

static struct web_throttle *
throttle_get(struct sg_web *w, const char *key, time_t now, bool create)
{
    for (size_t i = 0; i < w->n_throttles; i++) {
        struct web_throttle *t = &w->throttles[i];
        if (strcmp(t->key, key) != 0)
            continue;
        if (now - t->first >= (time_t)w->o.login_lockout || now < t->first) {
            t->failures = 0; /* the window is over */
            t->first = now;
        }
        return t;
    }
    if (!create)
        return NULL;
    if (w->n_throttles >= MAX_THROTTLES) {
        size_t oldest = 0;
        for (size_t i = 1; i < w->n_throttles; i++)
            if (w->throttles[i].first < w->throttles[oldest].first)
                oldest = i;
        free(w->throttles[oldest].key);
        w->throttles[oldest] = w->throttles[--w->n_throttles];
    }
    if (sg_review_grow((void **)&w->throttles, &w->cap_throttles,
                       w->n_throttles, sizeof(*w->throttles)) < 0)
        return NULL;
    char *k = strdup(key);
    if (k == NULL)
        return NULL;
    struct web_throttle *t = &w->throttles[w->n_throttles++];
    *t = (struct web_throttle){.key = k, .failures = 0, .first = now};
    return t;
}

static unsigned
wait_for(const struct sg_web *w, const struct web_throttle *t, time_t now)
{
    if (t == NULL || t->failures < w->o.login_attempts)
        return 0;
    time_t left = t->first + (time_t)w->o.login_lockout - now;
    return left > 0 ? (unsigned)left : 0;
}

unsigned
web_throttle_wait(struct sg_web *w, const char *login, const char *client,
                  time_t now)
{
    char k[512];
    throttle_key(k, sizeof(k), "user", login);
    unsigned a = wait_for(w, throttle_get(w, k, now, false), now);
    throttle_key(k, sizeof(k), "client", client);
    unsigned b = wait_for(w, throttle_get(w, k, now, false), now);
    return a > b ? a : b;
}

void
web_throttle_fail(struct sg_web *w, const char *login, const char *client,
                  time_t now)
{
    char k[512];
    throttle_key(k, sizeof(k), "user", login);
    struct web_throttle *t = throttle_get(w, k, now, true);
    if (t != NULL)
        t->failures++;
    throttle_key(k, sizeof(k), "client", client);
    t = throttle_get(w, k, now, true);
    if (t != NULL)
        t->failures++;
}

void
web_throttle_clear(struct sg_web *w, const char *login)
{
    char k[512];
    throttle_key(k, sizeof(k), "user", login);
    for (size_t i = 0; i < w->n_throttles; i++) {
        if (strcmp(w->throttles[i].key, k) == 0) {
            free(w->throttles[i].key);
            w->throttles[i] = w->throttles[--w->n_throttles];
            return;
        }
    }
}
