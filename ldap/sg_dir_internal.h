/*
 * sg_dir_internal.h - what the pieces of libdirectory share: the backend
 * vtable, error strings, a string-keyed hash table, the cache.
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
#include "sg_error.h"

/* ---- errors: set the thread's error text and return it
 * (common/sg_error.h). */
#define sg_dir_errorf sg_error_set

/* ---- a role's name (the file's roles, the ldap role maps): letters,
 * digits, '-', '_' and '.'; role[0..len) need not end in NUL. */
bool sg_dir_role_name_ok(const char *role, size_t len);

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
/* The file backend's settings, checked: CONFIG with a message, or FOUND. */
enum sg_dir_status sg_dir_file_config_check(const struct sg_dir_config *cfg,
                                            const char **error_r);
/* The ldap backend's settings, checked without contacting a server
 * (URIs parsed, DNs and attribute names, bounds, the password and CA
 * files read): FOUND, or CONFIG with a message naming the setting, and
 * that setting's name in *setting_r (when not NULL). */
/* cfg's numbers against the bounds of the directory's settings section:
 * the cache's, and with ldap the LDAP backend's too.  SG_DIR_CONFIG with
 * *setting_r the key and *error_r "KEY = N: must be MIN..MAX". */
enum sg_dir_status sg_dir_bounds_check(const struct sg_dir_config *cfg,
                                       bool ldap, const char **setting_r,
                                       const char **error_r);
enum sg_dir_status sg_dir_ldap_config_check(const struct sg_dir_config *cfg,
                                            const char **setting_r,
                                            const char **error_r);
/* The ldap backend from settings that passed sg_dir_ldap_config_check;
 * connects lazily.  FOUND, TEMPFAIL (allocation), or CONFIG (the
 * password file changed since the check). */
enum sg_dir_status sg_dir_ldap_build(const struct sg_dir_config *cfg,
                                     struct sg_dir_backend **backend_r,
                                     const char **error_r);
/* Check, then build. */
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

/* ---- display-name keys (sg_dir_name.c; the rule is in
 * safeguard-directory(5), "DISPLAY NAMES").  A full-name key is the
 * words' confusable skeletons joined by spaces (sg_dir_name_normalise);
 * a variant key starts with one of these marks and matches members of
 * staff only. */
#define SG_DIR_NAME_VARIANT_SURNAME '\002'  /* "Mr Smith" */
#define SG_DIR_NAME_VARIANT_INITIAL '\003'  /* "J. Smith" */
#define SG_DIR_NAME_VARIANT_FORENAME '\004' /* "John S." */
#define SG_DIR_NAME_VARIANT_WHOLE '\005'    /* "John A. Smith" */
enum sg_dir_name_use {
    SG_DIR_NAME_QUERY, /* a header's name: the keys to look up, in order */
    SG_DIR_NAME_ENTRY, /* a directory's name: every key it is known by */
};
/* The keys of a name, one a line ('\n'-separated, no duplicates) in
 * *keys_r (malloc'ed): the full name (sg_dir_name_normalise), then the
 * variants, of the name as written and of its other readings (capitals
 * that look like Latin ones replaced by them; l-like letters read as l),
 * which only ever give variants.  Returns how many (0 and NULL: none, the
 * name is unusable); -1 and NULL on allocation failure or when ICU cannot
 * be set up. */
int sg_dir_name_keys(const char *name, enum sg_dir_name_use use,
                     char **keys_r);
bool sg_dir_name_key_is_variant(const char *key);
/* Is key one of the lines of keys (a list from sg_dir_name_keys)? */
bool sg_dir_name_keys_contain(const char *keys, const char *key);

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
/* The entries cached now and the LRU evictions so far, read together. */
void sg_dir_cache_counts(struct sg_dir_cache *cache, uint64_t *entries_r,
                         uint64_t *evictions_r);

#endif
