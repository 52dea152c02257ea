/*
 * sg_dir_cache.c - the lookup cache: TTL for found entries, a shorter TTL
 * for "not found", LRU eviction past a bound, one backend query for many
 * concurrent lookups of one address (single flight), and stale entries
 * served on a backend error up to a maximum age.
 *
 * SECURITY: a backend error is never cached and never turned into "not
 * found": without a usable stale entry the caller gets the error, so an
 * outage cannot make staff look like outsiders.  Entries are copied out
 * under the lock, so callers never share memory with the cache.
 * Thread-safe (one mutex, one condition variable); never logs.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sg_dir_internal.h"

struct entry {
    char *key;
    struct sg_person *person; /* NULL: a cached "not found" */
    enum sg_channel channel;
    bool valid;   /* holds an answer (found or not found) */
    bool loading; /* a thread is querying the backend for it */
    bool removed; /* no longer in the table; last reference frees it */
    unsigned refs;
    time_t stored, expires;
    enum sg_dir_status last_status; /* of the last completed query */
    char *last_error;
    struct entry *prev, *next; /* LRU list, head most recent */
};

struct sg_dir_cache {
    pthread_mutex_t lock;
    pthread_cond_t done;
    struct sg_dir_cache_config cfg;
    struct sg_dir_hash *table;
    struct entry *head, *tail;
    size_t count;
    uint64_t evictions;
};

static void
entry_free(void *p)
{
    struct entry *e = p;
    if (e == NULL)
        return;
    free(e->key);
    sg_person_free(&e->person);
    free(e->last_error);
    free(e);
}

static void
lru_unlink(struct sg_dir_cache *c, struct entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    e->prev = e->next = NULL;
}

static void
lru_push(struct sg_dir_cache *c, struct entry *e)
{
    e->prev = NULL;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (c->tail == NULL)
        c->tail = e;
}

/* Take an entry out of the table; freed now or by its last user. */
static void
entry_remove(struct sg_dir_cache *c, struct entry *e)
{
    lru_unlink(c, e);
    sg_dir_hash_remove(c->table, e->key);
    c->count--;
    e->removed = true;
    if (e->refs == 0)
        entry_free(e);
}

static void
evict(struct sg_dir_cache *c)
{
    struct entry *e = c->tail;
    while (c->count > c->cfg.max_entries && e != NULL) {
        struct entry *prev = e->prev;
        if (!e->loading && e->refs == 0) {
            entry_remove(c, e);
            c->evictions++;
        }
        e = prev;
    }
}

struct sg_dir_cache *
sg_dir_cache_new(const struct sg_dir_cache_config *cfg)
{
    struct sg_dir_cache *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->cfg = *cfg;
    if (c->cfg.max_entries == 0)
        c->cfg.max_entries = 1;
    size_t hint = c->cfg.max_entries < 65536 ? c->cfg.max_entries : 65536;
    if ((c->table = sg_dir_hash_new(hint)) == NULL) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->done, NULL);
    return c;
}

void
sg_dir_cache_free(struct sg_dir_cache **cache)
{
    struct sg_dir_cache *c = *cache;
    if (c == NULL)
        return;
    sg_dir_hash_free(&c->table, entry_free);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->done);
    free(c);
    *cache = NULL;
}

/* A valid entry's answer, the person shared with the cache (lock
 * held). */
static enum sg_dir_status
answer(const struct entry *e, struct sg_person **person_r,
       enum sg_channel *channel_r)
{
    if (e->person == NULL)
        return SG_DIR_NOTFOUND;
    *person_r = sg_person_ref(e->person);
    *channel_r = e->channel;
    return SG_DIR_FOUND;
}

/* After a failed query: the stale answer if young enough, else the error
 * (lock held). */
static enum sg_dir_status
answer_error(const struct sg_dir_cache *c, const struct entry *e, time_t now,
             struct sg_person **person_r, enum sg_channel *channel_r,
             enum sg_dir_cache_how *how_r, const char **error_r)
{
    if (e->valid && c->cfg.stale_max_age > 0 &&
        now - e->stored <= c->cfg.stale_max_age) {
        *how_r = SG_DIR_CACHE_STALE;
        return answer(e, person_r, channel_r);
    }
    *error_r = sg_dir_errorf("%s", e->last_error ? e->last_error
                                                 : "directory error");
    return e->last_status;
}

/* Drop a reference; a removed or answerless idle entry goes (lock held). */
static void
release(struct sg_dir_cache *c, struct entry *e)
{
    e->refs--;
    if (e->refs > 0 || e->loading)
        return;
    if (e->removed)
        entry_free(e);
    else if (!e->valid)
        entry_remove(c, e);
}

/* The entry a query is about to fill: e (moved to the front), or a new
 * one for key; NULL on allocation failure (lock held). */
static struct entry *
entry_to_load(struct sg_dir_cache *c, const char *key, struct entry *e)
{
    if (e != NULL) {
        lru_unlink(c, e);
        lru_push(c, e);
        return e;
    }
    e = calloc(1, sizeof(*e));
    if (e == NULL || (e->key = strdup(key)) == NULL) {
        free(e);
        return NULL;
    }
    if (sg_dir_hash_put(c->table, key, e) != 0) {
        entry_free(e);
        return NULL;
    }
    lru_push(c, e);
    c->count++;
    return e;
}

enum sg_dir_status
sg_dir_cache_lookup(struct sg_dir_cache *c, const char *key, time_t now,
                    sg_dir_fetch_fn *fetch, void *ctx,
                    struct sg_person **person_r, enum sg_channel *channel_r,
                    enum sg_dir_cache_how *how_r, const char **error_r)
{
    enum sg_dir_status st;
    *person_r = NULL;
    *channel_r = SG_CHANNEL_NONE;

    pthread_mutex_lock(&c->lock);
    struct entry *e = sg_dir_hash_get(c->table, key);
    if (e != NULL && e->valid && now < e->expires) {
        *how_r = SG_DIR_CACHE_HIT;
        lru_unlink(c, e);
        lru_push(c, e);
        st = answer(e, person_r, channel_r);
        pthread_mutex_unlock(&c->lock);
        return st;
    }
    if (e != NULL && e->loading) {
        /* another thread is asking the backend: wait for its answer */
        e->refs++;
        while (e->loading)
            pthread_cond_wait(&c->done, &c->lock);
        if (e->last_status == SG_DIR_FOUND ||
            e->last_status == SG_DIR_NOTFOUND) {
            *how_r = SG_DIR_CACHE_SHARED;
            st = answer(e, person_r, channel_r);
        } else {
            *how_r = SG_DIR_CACHE_SHARED;
            st = answer_error(c, e, now, person_r, channel_r, how_r, error_r);
        }
        release(c, e);
        pthread_mutex_unlock(&c->lock);
        return st;
    }
    if ((e = entry_to_load(c, key, e)) == NULL) {
        pthread_mutex_unlock(&c->lock);
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    e->loading = true;
    e->refs++;
    evict(c);
    pthread_mutex_unlock(&c->lock);

    struct sg_person *person = NULL;
    enum sg_channel channel = SG_CHANNEL_NONE;
    const char *error = NULL;
    st = fetch(ctx, key, &person, &channel, &error);

    pthread_mutex_lock(&c->lock);
    e->loading = false;
    e->last_status = st;
    free(e->last_error);
    e->last_error = NULL;
    *how_r = SG_DIR_CACHE_MISS;
    if (st == SG_DIR_FOUND || st == SG_DIR_NOTFOUND) {
        sg_person_free(&e->person);
        e->person = st == SG_DIR_FOUND ? person : NULL;
        if (st != SG_DIR_FOUND)
            sg_person_free(&person);
        e->channel = channel;
        e->valid = true;
        e->stored = now;
        e->expires =
            now + (st == SG_DIR_FOUND ? c->cfg.ttl : c->cfg.negative_ttl);
        if (st == SG_DIR_FOUND && person != NULL) {
            /* the caller and the cache share the backend's person */
            *person_r = sg_person_ref(person);
            *channel_r = channel;
        }
    } else {
        sg_person_free(&person);
        e->last_error = strdup(error ? error : "directory error");
        st = answer_error(c, e, now, person_r, channel_r, how_r, error_r);
    }
    pthread_cond_broadcast(&c->done);
    release(c, e);
    pthread_mutex_unlock(&c->lock);
    return st;
}

void
sg_dir_cache_counts(struct sg_dir_cache *c, uint64_t *entries_r,
                    uint64_t *evictions_r)
{
    pthread_mutex_lock(&c->lock);
    *entries_r = c->count;
    *evictions_r = c->evictions;
    pthread_mutex_unlock(&c->lock);
}
