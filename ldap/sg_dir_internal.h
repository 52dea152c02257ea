/*
 * sg_dir_internal.h - what the pieces of libdirectory share: the backend
 * vtable, thread-local error strings, a string-keyed hash table, the cache.
 *
 * Not installed, not for the milter: tests include it to plug in a mock
 * backend and to test the pieces one by one.
 */
#ifndef SG_DIR_INTERNAL_H
#define SG_DIR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sg_directory.h"

/* ---- errors: formatted into a thread-local buffer; returns it. */
const char *sg_dir_errorf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* ---- backends.  lookup() gets a normalised key (sg_dir_address_normalise)
 * and returns a person the caller owns, without derived roles. */
struct sg_dir_backend;
struct sg_dir_backend_ops {
    const char *name;
    enum sg_dir_status (*lookup)(struct sg_dir_backend *backend,
                                 const char *key, struct sg_person **person_r,
                                 enum sg_channel *channel_r,
                                 const char **error_r);
    enum sg_dir_status (*check)(struct sg_dir_backend *backend,
                                const char **error_r);
    void (*free)(struct sg_dir_backend *backend);
    /* Everyone whose display name normalises to key (a name key from
     * sg_dir_name_normalise, without the cache's prefix): FOUND with
     * *n_r >= 1 people the caller owns (no derived roles), NOTFOUND, or an
     * error.  The caller picks one (sg_dir_lookup_name's rule).  NULL: the
     * backend cannot look up names (CONFIG). */
    enum sg_dir_status (*lookup_name)(struct sg_dir_backend *backend,
                                      const char *key,
                                      struct sg_person ***people_r,
                                      size_t *n_r, const char **error_r);
};
struct sg_dir_backend {
    const struct sg_dir_backend_ops *ops;
};

enum sg_dir_status sg_dir_file_open(const struct sg_dir_config *cfg,
                                    struct sg_dir_backend **backend_r,
                                    const char **error_r);
enum sg_dir_status sg_dir_ldap_open(const struct sg_dir_config *cfg,
                                    struct sg_dir_backend **backend_r,
                                    const char **error_r);

/* Open a directory on a given backend (takes ownership even on failure). */
enum sg_dir_status sg_dir_new_with_backend(const struct sg_dir_config *cfg,
                                           struct sg_dir_backend *backend,
                                           struct sg_directory **dir_r,
                                           const char **error_r);

/* ---- string-keyed hash table (chaining, grows).  Keys are copied. */
struct sg_dir_hash;
struct sg_dir_hash *sg_dir_hash_new(size_t hint);
/* 0, 1 if the key is already there (value unchanged), -1 allocation. */
int sg_dir_hash_put(struct sg_dir_hash *hash, const char *key, void *value);
void *sg_dir_hash_get(const struct sg_dir_hash *hash, const char *key);
/* Returns the removed value or NULL. */
void *sg_dir_hash_remove(struct sg_dir_hash *hash, const char *key);
size_t sg_dir_hash_count(const struct sg_dir_hash *hash);
void sg_dir_hash_free(struct sg_dir_hash **hash, void (*free_value)(void *));

/* ---- cache keys of name lookups start with this byte, which no
 * normalised address (nor name key) contains. */
#define SG_DIR_NAME_KEY_PREFIX "\001"

/* Free n people and the array. */
void sg_dir_people_free(struct sg_person ***people, size_t *n);

/* ---- RFC 4515 filter value escaping: malloc'ed, NULL on allocation. */
char *sg_dir_filter_escape(const char *value);

/* ---- the cache: TTL, negative TTL, LRU bound, single flight,
 * stale-if-error.  Thread-safe. */
struct sg_dir_cache_config {
    size_t max_entries; /* > 0 */
    int ttl;
    int negative_ttl;
    int stale_max_age;
};
enum sg_dir_cache_how {
    SG_DIR_CACHE_HIT,      /* fresh entry */
    SG_DIR_CACHE_MISS,     /* this call queried the backend */
    SG_DIR_CACHE_SHARED,   /* waited for another thread's query */
    SG_DIR_CACHE_STALE,    /* backend failed; stale entry served */
};
typedef enum sg_dir_status sg_dir_fetch_fn(void *ctx, const char *key,
                                           struct sg_person **person_r,
                                           enum sg_channel *channel_r,
                                           const char **error_r);
struct sg_dir_cache;
struct sg_dir_cache *sg_dir_cache_new(const struct sg_dir_cache_config *cfg);
void sg_dir_cache_free(struct sg_dir_cache **cache);
/* On FOUND *person_r is the caller's copy. */
enum sg_dir_status sg_dir_cache_lookup(struct sg_dir_cache *cache,
                                       const char *key, time_t now,
                                       sg_dir_fetch_fn *fetch, void *ctx,
                                       struct sg_person **person_r,
                                       enum sg_channel *channel_r,
                                       enum sg_dir_cache_how *how_r,
                                       const char **error_r);
size_t sg_dir_cache_count(struct sg_dir_cache *cache);
uint64_t sg_dir_cache_evictions(struct sg_dir_cache *cache);

#endif
