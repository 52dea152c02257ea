/*
 * web_session.c - the review page's sessions and failed-login limits.
 *
 * Sessions live in memory only: a restart of the page logs everyone out,
 * which is the safe direction.  A session ends after session_idle seconds
 * without a request, after session_max seconds whatever happens, and at
 * logout.  At most MAX_SESSIONS are kept; past that the least recently
 * used goes.
 *
 * Failed sign-ins slow down the one who fails, and nobody else: they are
 * counted per (login name, client) pair and per client, never per name
 * alone, so someone guessing a DSL's password cannot keep the DSL out
 * from another address.  The first login_attempts failures of a pair cost
 * nothing; each one after that makes the pair wait, WEB_FIRST_WAIT seconds
 * and twice as long each time, up to login_lockout.  A client is slowed
 * the same way after WEB_CLIENT_FACTOR times as many failures on any
 * names (guessing many names from one address).  While a wait runs the
 * password is not checked at all.  A good sign-in forgets the pair's
 * count, not the client's; a count with no failure for WEB_FORGET_FACTOR
 * times login_lockout is forgotten.  Checks run without the lock, so
 * those under way are counted too: past the free attempts, one check at
 * a time.  Clients are IPv6 /64 networks (one household or machine has
 * a whole one), or single IPv4 addresses.
 *
 * The table is bounded: past throttle_max entries (default MAX_THROTTLES)
 * the one evicted is one that no wait holds (the longest quiet), else the
 * one whose wait ends first, never one with a check under way: flooding
 * the table with new clients does not end a running wait.
 *
 * SECURITY: tokens are 32 bytes from libsodium's randombytes (the kernel's
 * CSPRNG); lookups compare every stored token in constant time.
 * Every function here expects w->lock held.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
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
sg_web_token(char out[WEB_TOKEN_LEN + 1])
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
sg_web_token_equal(const char *a, const char *b)
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
sg_web_session_find(struct sg_web *w, const char *token, time_t now)
{
    if (token == NULL || strlen(token) != WEB_TOKEN_LEN)
        return NULL;
    struct web_session *found = NULL;
    size_t at = 0;
    /* every token is compared, so the time taken says nothing */
    for (size_t i = 0; i < w->n_sessions; i++) {
        if (sg_web_token_equal(w->sessions[i].token, token)) {
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
sg_web_session_new(struct sg_web *w, const char *user, time_t now)
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
    if (sg_array_grow((void **)&w->sessions, &w->cap_sessions, w->n_sessions,
                      sizeof(*w->sessions)) < 0)
        return NULL;
    struct web_session *s = &w->sessions[w->n_sessions];
    memset(s, 0, sizeof(*s));
    s->user = strdup(user);
    if (s->user == NULL || sg_web_token(s->token) < 0 ||
        sg_web_token(s->csrf) < 0) {
        free(s->user);
        return NULL;
    }
    s->created = s->last = now;
    w->n_sessions++;
    return s;
}

void
sg_web_session_end(struct sg_web *w, struct web_session *s)
{
    size_t i = (size_t)(s - w->sessions);
    if (i < w->n_sessions)
        remove_session(w, i);
}

void
sg_web_sessions_free(struct sg_web *w)
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

/* The client part of a key: the address (what comes before " via proxy"),
 * and for IPv6 its /64 network. */
static void
client_key(char *buf, size_t size, const char *client)
{
    char addr[INET6_ADDRSTRLEN + 1];
    if (client == NULL)
        client = "";
    snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(client, " "), client);
    struct in6_addr a6;
    if (inet_pton(AF_INET6, addr, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
        memset(a6.s6_addr + 8, 0, 8);
        char net[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &a6, net, sizeof(net));
        snprintf(buf, size, "%s/64", net);
        return;
    }
    snprintf(buf, size, "%s", addr);
}

/* "pair:CLIENT|name" (the client has no '|'; names are matched without
 * regard to case, as directories do) and "client:CLIENT". */
static void
throttle_keys(char *pair, char *client, size_t size, const char *login,
              const char *from)
{
    char ck[INET6_ADDRSTRLEN + 8];
    client_key(ck, sizeof(ck), from);
    snprintf(client, size, "client:%s", ck);
    int n = snprintf(pair, size, "pair:%s|", ck);
    if (n > 0 && (size_t)n < size)
        snprintf(pair + n, size - (size_t)n, "%s", login != NULL ? login : "");
    for (char *p = pair; *p != '\0'; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

static void
throttle_remove(struct sg_web *w, size_t i)
{
    free(w->throttles[i].key);
    w->throttles[i] = w->throttles[--w->n_throttles];
}

/* Room for one more: evict, if full, what costs least to forget. */
static int
throttle_room(struct sg_web *w, time_t now)
{
    if (w->n_throttles <
        (w->o.throttle_max > 0 ? w->o.throttle_max : MAX_THROTTLES))
        return 0;
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < w->n_throttles; i++) {
        const struct web_throttle *t = &w->throttles[i];
        if (t->pending > 0)
            continue;
        if (best == SIZE_MAX) {
            best = i;
            continue;
        }
        const struct web_throttle *b = &w->throttles[best];
        bool t_free = t->until <= now, b_free = b->until <= now;
        if (t_free != b_free ? t_free
            : t_free         ? t->last < b->last
                             : t->until < b->until)
            best = i;
    }
    if (best == SIZE_MAX)
        return -1; /* every entry has a check under way */
    throttle_remove(w, best);
    return 0;
}

static struct web_throttle *
throttle_get(struct sg_web *w, const char *key, time_t now, bool create)
{
    for (size_t i = 0; i < w->n_throttles; i++) {
        struct web_throttle *t = &w->throttles[i];
        if (strcmp(t->key, key) != 0)
            continue;
        time_t quiet = (time_t)w->o.login_lockout * WEB_FORGET_FACTOR;
        if (t->pending == 0 && now >= t->until &&
            (now - t->last >= quiet || now < t->last)) {
            t->failures = 0; /* quiet long enough: forgotten */
            t->until = 0;
        }
        return t;
    }
    if (!create || throttle_room(w, now) < 0 ||
        sg_array_grow((void **)&w->throttles, &w->cap_throttles, w->n_throttles,
                      sizeof(*w->throttles)) < 0)
        return NULL;
    char *k = strdup(key);
    if (k == NULL)
        return NULL;
    struct web_throttle *t = &w->throttles[w->n_throttles++];
    *t = (struct web_throttle){.key = k, .last = now};
    return t;
}

/* Seconds before t may have another check (0: now). */
static unsigned
throttle_wait(const struct web_throttle *t, unsigned free_failures,
              time_t now)
{
    if (t == NULL)
        return 0;
    if (now < t->until)
        return (unsigned)(t->until - now);
    /* past the free attempts, one check at a time */
    if (t->pending > 0 && t->failures + t->pending >= free_failures)
        return 1;
    return 0;
}

/* A failure of t: past free_failures it must wait, twice as long as the
 * last time, up to login_lockout. */
static void
throttle_failed(const struct sg_web *w, struct web_throttle *t,
                unsigned free_failures, time_t now)
{
    t->failures++;
    t->last = now;
    if (t->failures < free_failures)
        return;
    unsigned extra = t->failures - free_failures;
    unsigned long long wait = (unsigned long long)WEB_FIRST_WAIT
                              << (extra < 30 ? extra : 30);
    if (wait > w->o.login_lockout)
        wait = w->o.login_lockout;
    t->until = now + (time_t)wait;
}

static unsigned
client_free(const struct sg_web *w)
{
    return w->o.login_attempts * WEB_CLIENT_FACTOR;
}

unsigned
sg_web_throttle_begin(struct sg_web *w, const char *login, const char *client,
                      time_t now)
{
    char pk[512], ck[512];
    throttle_keys(pk, ck, sizeof(pk), login, client);
    unsigned a = throttle_wait(throttle_get(w, pk, now, false),
                               w->o.login_attempts, now);
    unsigned b = throttle_wait(throttle_get(w, ck, now, false),
                               client_free(w), now);
    if (a > 0 || b > 0)
        return a > b ? a : b;
    struct web_throttle *p = throttle_get(w, pk, now, true);
    if (p == NULL)
        return 1; /* cannot count it: no check */
    p->pending++; /* so that making the client's entry cannot evict it */
    struct web_throttle *c = throttle_get(w, ck, now, true);
    if (c == NULL) {
        p = throttle_get(w, pk, now, false);
        if (p != NULL)
            p->pending--;
        return 1;
    }
    c->pending++;
    return 0;
}

void
sg_web_throttle_end(struct sg_web *w, const char *login, const char *client,
                    enum web_throttle_result result, time_t now)
{
    char pk[512], ck[512];
    throttle_keys(pk, ck, sizeof(pk), login, client);
    struct web_throttle *p = throttle_get(w, pk, now, false);
    struct web_throttle *c = throttle_get(w, ck, now, false);
    /* both exist: entries with a check under way are never evicted */
    if (p == NULL || c == NULL)
        return;
    p->pending--;
    c->pending--;
    if (result == WEB_THROTTLE_FAILED) {
        throttle_failed(w, p, w->o.login_attempts, now);
        throttle_failed(w, c, client_free(w), now);
    } else if (result == WEB_THROTTLE_OK && p->pending == 0) {
        throttle_remove(w, (size_t)(p - w->throttles));
    }
}
