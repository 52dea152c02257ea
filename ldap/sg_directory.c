/*
 * sg_directory.c - the front of libdirectory: configuration defaults,
 * the settings check (sg_dir_config_check: no server contacted), opening
 * a backend, and the lookups: sg_dir_lookup (address) and
 * sg_dir_lookup_name (display name), each: normalise, cache, backend,
 * derived roles, counters - one path for both.
 *
 * SECURITY: derived roles (former pupil, former pupil under 18) are
 * computed on every lookup from the dates, never cached, so a pupil's 18th
 * birthday takes effect on the day even with a warm cache.  Unusable
 * addresses are "not found" (external); backend errors stay errors.  A
 * display name shared by several people is never guessed: see
 * choose_person().  Name keys live in the same cache behind a prefix byte
 * that no address key contains.
 * Thread-safe; never logs, never exits.
 */
#include "config.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sg_dir_internal.h"
#include "sg_dir_settings.h"

struct sg_directory {
    struct sg_dir_backend *backend;
    struct sg_dir_cache *cache; /* NULL: disabled */
    struct sg_dir_config roles; /* role names and options, own copies */
    char *delims;
    time_t (*now)(void *ctx);
    void (*today)(void *ctx, struct sg_date *today_r);
    void *clock_ctx;

    _Atomic uint64_t lookups, hits, negative_hits, misses, shared, stale,
        errors, notfound, latency_sum, latency_max;
};

int
sg_dir_backend_from_name(const char *name, enum sg_dir_backend_type *type_r)
{
    if (name != NULL && strcasecmp(name, "file") == 0)
        *type_r = SG_DIR_BACKEND_FILE;
    else if (name != NULL && strcasecmp(name, "ldap") == 0)
        *type_r = SG_DIR_BACKEND_LDAP;
    else if (name != NULL && strcasecmp(name, "none") == 0)
        *type_r = SG_DIR_BACKEND_NONE;
    else
        return -1;
    return 0;
}

bool
sg_dir_role_name_ok(const char *role, size_t len)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";
    size_t ok = 0;
    while (ok < len && role[ok] != '\0' && strchr(chars, role[ok]) != NULL)
        ok++;
    return len > 0 && ok == len;
}

/* Add role to the vector unless it is there; 0 or -1. */
static int
known_add(char ***roles, size_t *n, const char *role, size_t len)
{
    char *copy = strndup(role, len);
    int rc = copy == NULL ? -1 : 0;
    if (rc == 0 && copy[0] != '\0' &&
        !sg_strv_has((const char *const *)*roles, *n, copy))
        rc = sg_strv_push(roles, n, copy);
    free(copy);
    return rc;
}

int
sg_dir_known_roles(const struct sg_dir_config *cfg, char ***roles_r,
                   size_t *n_r)
{
    static const char *const builtin[] = {
        SG_ROLE_STAFF, SG_ROLE_PUPIL, SG_ROLE_PARENT, SG_ROLE_DSL,
        SG_ROLE_FORMER_PUPIL, SG_ROLE_FORMER_PUPIL_UNDER_18};
    char **roles = NULL;
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(builtin) / sizeof(*builtin); i++)
        rc = known_add(&roles, &n, builtin[i], strlen(builtin[i]));
    const char *named[] = {cfg->role_pupil, cfg->role_former_pupil,
                           cfg->role_former_pupil_under_18};
    for (size_t i = 0; rc == 0 && i < sizeof(named) / sizeof(*named); i++)
        if (named[i] != NULL)
            rc = known_add(&roles, &n, named[i], strlen(named[i]));
    if (cfg->backend == SG_DIR_BACKEND_LDAP) {
        const char *off = cfg->ldap_disabled_role;
        if (rc == 0 && off != NULL && strcasecmp(off, "notfound") != 0)
            rc = known_add(&roles, &n, off, strlen(off));
        /* the maps hold "ROLE=VALUE" */
        for (size_t i = 0; rc == 0 && i < cfg->n_ldap_role_filters; i++)
            rc = known_add(&roles, &n, cfg->ldap_role_filters[i],
                           strcspn(cfg->ldap_role_filters[i], "="));
        for (size_t i = 0; rc == 0 && i < cfg->n_ldap_role_groups; i++)
            rc = known_add(&roles, &n, cfg->ldap_role_groups[i],
                           strcspn(cfg->ldap_role_groups[i], "="));
    }
    for (size_t i = 0; rc == 0 && i < cfg->n_roles; i++)
        rc = known_add(&roles, &n, cfg->roles[i], strlen(cfg->roles[i]));
    if (rc < 0) {
        sg_strv_free(&roles, &n);
        return -1;
    }
    *roles_r = roles;
    *n_r = n;
    return 0;
}

void
sg_dir_config_init(struct sg_dir_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->backend = SG_DIR_BACKEND_FILE;
    cfg->recipient_delimiter = (char *)"+";
    cfg->role_pupil = (char *)SG_ROLE_PUPIL;
    cfg->role_former_pupil = (char *)SG_ROLE_FORMER_PUPIL;
    cfg->role_former_pupil_under_18 = (char *)SG_ROLE_FORMER_PUPIL_UNDER_18;
    cfg->unknown_age_is_minor = true;
    cfg->cache_size = 10000;
    cfg->cache_ttl = 300;
    cfg->cache_negative_ttl = 60;
    cfg->stale_max_age = 3600;
    cfg->ldap_tls_verify = true;
    cfg->ldap_connect_timeout = 5;
    cfg->ldap_timeout = 5;
    cfg->ldap_pool_size = 4;
    cfg->ldap_user_filter = (char *)"(objectClass=*)";
    cfg->ldap_mail_attribute = (char *)"mail";
    cfg->ldap_proxy_attribute = (char *)"proxyAddresses";
    cfg->ldap_name_attribute = (char *)"displayName";
    cfg->ldap_memberof_attribute = (char *)"memberOf";
    cfg->ldap_group_ttl = 300;
    cfg->ldap_page_size = 500;
    cfg->ldap_disabled_role = (char *)"disabled";
}

static time_t
default_now(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static void
default_today(void *ctx, struct sg_date *today_r)
{
    (void)ctx;
    sg_date_from_time(time(NULL), today_r);
}

static char *
dup_or(const char *value, const char *fallback)
{
    return strdup(value != NULL && *value != '\0' ? value : fallback);
}

void
sg_dir_free(struct sg_directory **dir_p)
{
    struct sg_directory *dir = *dir_p;
    if (dir == NULL)
        return;
    if (dir->backend != NULL)
        dir->backend->ops->free(dir->backend);
    sg_dir_cache_free(&dir->cache);
    free(dir->roles.role_pupil);
    free(dir->roles.role_former_pupil);
    free(dir->roles.role_former_pupil_under_18);
    free(dir->delims);
    free(dir);
    *dir_p = NULL;
}

/* The numbers of cfg against the bounds of their entries in the
 * directory's settings section (written once, there): the cache's for
 * every backend, the LDAP ones for the LDAP backend. */
enum sg_dir_status
sg_dir_bounds_check(const struct sg_dir_config *cfg, bool ldap,
                    const char **setting_r, const char **error_r)
{
    for (const struct sg_conf_entry *e = sg_dir_settings_section.entries;
         e->name != NULL; e++) {
        if (e->type == SG_CONF_ENUM ||
            (!ldap && strncmp(e->name, "ldap_", 5) == 0))
            continue;
        long long n;
        if (sg_conf_entry_in_bounds(e, cfg, &n))
            continue;
        *setting_r = e->name;
        *error_r = sg_dir_errorf("%s = %lld: must be %lld..%lld", e->name, n,
                                 e->min, e->max);
        return SG_DIR_CONFIG;
    }
    return SG_DIR_FOUND;
}

enum sg_dir_status
sg_dir_config_check(const struct sg_dir_config *cfg, const char **setting_r,
                    const char **error_r)
{
    const char *setting = NULL;
    enum sg_dir_status st = sg_dir_bounds_check(
        cfg, cfg->backend == SG_DIR_BACKEND_LDAP, &setting, error_r);
    if (st == SG_DIR_FOUND) {
        switch (cfg->backend) {
        case SG_DIR_BACKEND_FILE:
            st = sg_dir_file_config_check(cfg, error_r);
            setting = "directory_file";
            break;
        case SG_DIR_BACKEND_LDAP:
            st = sg_dir_ldap_config_check(cfg, &setting, error_r);
            break;
        case SG_DIR_BACKEND_NONE:
            break;
        default:
            *error_r = "unknown directory backend";
            setting = "directory_backend";
            st = SG_DIR_CONFIG;
            break;
        }
    }
    if (setting_r != NULL)
        *setting_r = st == SG_DIR_FOUND ? NULL : setting;
    return st;
}

enum sg_dir_status
sg_dir_new_with_backend(const struct sg_dir_config *cfg,
                        struct sg_dir_backend *backend,
                        struct sg_directory **dir_r, const char **error_r)
{
    *dir_r = NULL;
    const char *setting = NULL;
    if (sg_dir_bounds_check(cfg, false, &setting, error_r) != SG_DIR_FOUND) {
        backend->ops->free(backend);
        return SG_DIR_CONFIG;
    }
    struct sg_directory *dir = calloc(1, sizeof(*dir));
    if (dir == NULL) {
        backend->ops->free(backend);
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    dir->backend = backend;
    dir->roles.role_pupil = dup_or(cfg->role_pupil, SG_ROLE_PUPIL);
    dir->roles.role_former_pupil =
        dup_or(cfg->role_former_pupil, SG_ROLE_FORMER_PUPIL);
    dir->roles.role_former_pupil_under_18 = dup_or(
        cfg->role_former_pupil_under_18, SG_ROLE_FORMER_PUPIL_UNDER_18);
    dir->roles.unknown_age_is_minor = cfg->unknown_age_is_minor;
    dir->delims = strdup(cfg->recipient_delimiter ? cfg->recipient_delimiter
                                                  : "");
    if (cfg->cache_size > 0) {
        struct sg_dir_cache_config cc = {
            .max_entries = (size_t)cfg->cache_size,
            .ttl = cfg->cache_ttl,
            .negative_ttl = cfg->cache_negative_ttl,
            .stale_max_age = cfg->stale_max_age,
        };
        dir->cache = sg_dir_cache_new(&cc);
    }
    if (dir->roles.role_pupil == NULL || dir->roles.role_former_pupil == NULL ||
        dir->roles.role_former_pupil_under_18 == NULL || dir->delims == NULL ||
        (cfg->cache_size > 0 && dir->cache == NULL)) {
        sg_dir_free(&dir);
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    dir->now = default_now;
    dir->today = default_today;
    *dir_r = dir;
    return SG_DIR_FOUND;
}

enum sg_dir_status
sg_dir_new(const struct sg_dir_config *cfg, struct sg_directory **dir_r,
           const char **error_r)
{
    struct sg_dir_backend *backend = NULL;
    *dir_r = NULL;
    enum sg_dir_status st = sg_dir_config_check(cfg, NULL, error_r);
    if (st != SG_DIR_FOUND)
        return st;
    switch (cfg->backend) {
    case SG_DIR_BACKEND_FILE:
        st = sg_dir_file_open(cfg, &backend, error_r);
        break;
    case SG_DIR_BACKEND_LDAP:
        st = sg_dir_ldap_build(cfg, &backend, error_r);
        break;
    default:
        *error_r = "unknown directory backend";
        return SG_DIR_CONFIG;
    }
    if (st != SG_DIR_FOUND)
        return st;
    return sg_dir_new_with_backend(cfg, backend, dir_r, error_r);
}

void
sg_dir_set_clock(struct sg_directory *dir, time_t (*now)(void *ctx),
                 void (*today)(void *ctx, struct sg_date *today_r), void *ctx)
{
    dir->now = now ? now : default_now;
    dir->today = today ? today : default_today;
    dir->clock_ctx = ctx;
}

static enum sg_dir_status
fetch(void *ctx, const char *key, struct sg_person **person_r,
      enum sg_channel *channel_r, const char **error_r)
{
    struct sg_directory *dir = ctx;
    return dir->backend->ops->lookup(dir->backend, key, person_r, channel_r,
                                     error_r);
}

static uint64_t
elapsed_us(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t us = (int64_t)(t1.tv_sec - t0->tv_sec) * 1000000 +
                 (t1.tv_nsec - t0->tv_nsec) / 1000;
    return us < 0 ? 0 : (uint64_t)us;
}

/* The path every lookup takes: cache (or the backend directly), derived
 * roles, counters.  key NULL: an unusable query, NOTFOUND at once. */
static enum sg_dir_status
lookup_key(struct sg_directory *dir, const char *key, sg_dir_fetch_fn *fetcher,
           struct sg_person **person_r, enum sg_channel *channel_r,
           const char **error_r)
{
    struct timespec t0; /* the latency's start, and the cache's clock */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    *person_r = NULL;
    *channel_r = SG_CHANNEL_NONE;
    atomic_fetch_add(&dir->lookups, 1);

    enum sg_dir_status st;
    if (key == NULL) {
        st = SG_DIR_NOTFOUND; /* not something anyone in the school has */
    } else if (dir->cache != NULL) {
        enum sg_dir_cache_how how = SG_DIR_CACHE_MISS;
        time_t now = dir->now == default_now ? t0.tv_sec
                                             : dir->now(dir->clock_ctx);
        st = sg_dir_cache_lookup(dir->cache, key, now,
                                 fetcher, dir, person_r, channel_r, &how,
                                 error_r);
        switch (how) {
        case SG_DIR_CACHE_HIT:
            atomic_fetch_add(&dir->hits, 1);
            if (st == SG_DIR_NOTFOUND)
                atomic_fetch_add(&dir->negative_hits, 1);
            break;
        case SG_DIR_CACHE_MISS:
            atomic_fetch_add(&dir->misses, 1);
            break;
        case SG_DIR_CACHE_SHARED:
            atomic_fetch_add(&dir->shared, 1);
            break;
        case SG_DIR_CACHE_STALE:
            atomic_fetch_add(&dir->stale, 1);
            break;
        }
    } else {
        atomic_fetch_add(&dir->misses, 1);
        st = fetcher(dir, key, person_r, channel_r, error_r);
    }

    if (st == SG_DIR_FOUND &&
        sg_dir_roles_by_date(&dir->roles, *person_r)) {
        /* the day is read only for a person it can change */
        struct sg_date today;
        dir->today(dir->clock_ctx, &today);
        if (sg_dir_derive_roles(&dir->roles, person_r, &today) < 0) {
            sg_person_free(person_r);
            *error_r = "out of memory";
            st = SG_DIR_TEMPFAIL;
        }
    } else if (st != SG_DIR_FOUND) {
        sg_person_free(person_r);
        *channel_r = SG_CHANNEL_NONE;
    }
    if (st == SG_DIR_NOTFOUND)
        atomic_fetch_add(&dir->notfound, 1);
    else if (st != SG_DIR_FOUND)
        atomic_fetch_add(&dir->errors, 1);

    uint64_t us = elapsed_us(&t0);
    atomic_fetch_add(&dir->latency_sum, us);
    uint64_t max = atomic_load(&dir->latency_max);
    while (us > max &&
           !atomic_compare_exchange_weak(&dir->latency_max, &max, us))
        ;
    return st;
}

enum sg_dir_status
sg_dir_lookup(struct sg_directory *dir, const char *address,
              struct sg_person **person_r, enum sg_channel *channel_r,
              const char **error_r)
{
    char *key = sg_dir_address_normalise(address, dir->delims);
    enum sg_dir_status st =
        lookup_key(dir, key, fetch, person_r, channel_r, error_r);
    free(key);
    return st;
}

/* The rule for a name several people share (documented in
 * safeguard-directory(5), "DISPLAY NAMES"): the same person (primary
 * address) every time - that person; else exactly one of them has the
 * role staff - that one; else nobody.  staff_only (a variant such as "Mr
 * Smith"): only the second rule.  Takes ownership of people. */
static enum sg_dir_status
choose_person(struct sg_person **people, size_t n, bool staff_only,
              struct sg_person **person_r)
{
    size_t chosen = n;
    bool same = n > 0 && !staff_only;
    for (size_t i = 1; i < n && same; i++)
        same = people[i]->address != NULL && people[0]->address != NULL &&
               strcmp(people[i]->address, people[0]->address) == 0;
    if (same) {
        chosen = 0;
    } else {
        size_t staff = 0;
        for (size_t i = 0; i < n; i++) {
            if (!sg_person_has_role(people[i], SG_ROLE_STAFF))
                continue;
            /* one person twice (two entries, one address) counts once */
            bool seen = false;
            for (size_t j = 0; j < i && !seen; j++)
                seen = sg_person_has_role(people[j], SG_ROLE_STAFF) &&
                       people[i]->address != NULL &&
                       people[j]->address != NULL &&
                       strcmp(people[i]->address, people[j]->address) == 0;
            if (!seen) {
                staff++;
                chosen = i;
            }
        }
        if (staff != 1)
            chosen = n;
    }
    if (chosen < n) {
        *person_r = people[chosen];
        people[chosen] = NULL;
    }
    sg_dir_people_free(&people, &n);
    return *person_r != NULL ? SG_DIR_FOUND : SG_DIR_NOTFOUND;
}

/* key: the prefix, then the query's name keys one a line
 * (sg_dir_name_keys), tried in order until one finds someone. */
static enum sg_dir_status
fetch_name(void *ctx, const char *key, struct sg_person **person_r,
           enum sg_channel *channel_r, const char **error_r)
{
    struct sg_directory *dir = ctx;
    const struct sg_dir_backend_ops *ops = dir->backend->ops;
    *channel_r = SG_CHANNEL_NONE;
    if (ops->lookup_name == NULL) {
        *error_r = sg_dir_errorf("the %s directory backend cannot look up "
                                 "display names",
                                 ops->name);
        return SG_DIR_CONFIG;
    }
    char *keys = strdup(key + strlen(SG_DIR_NAME_KEY_PREFIX));
    if (keys == NULL) {
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    enum sg_dir_status st = SG_DIR_NOTFOUND;
    char *save = NULL;
    for (char *k = strtok_r(keys, "\n", &save);
         k != NULL && st == SG_DIR_NOTFOUND; k = strtok_r(NULL, "\n", &save)) {
        struct sg_person **people = NULL;
        size_t n = 0;
        st = ops->lookup_name(dir->backend, k, &people, &n, error_r);
        if (st != SG_DIR_FOUND)
            sg_dir_people_free(&people, &n);
        else
            st = choose_person(people, n, sg_dir_name_key_is_variant(k),
                               person_r);
    }
    free(keys);
    return st;
}

enum sg_dir_status
sg_dir_lookup_name(struct sg_directory *dir, const char *display_name,
                   struct sg_person **person_r, const char **error_r)
{
    char *keys = NULL, *key = NULL;
    int rc = sg_dir_name_keys(display_name, SG_DIR_NAME_QUERY, &keys);
    if (rc < 0 ||
        (rc > 0 && (key = malloc(strlen(SG_DIR_NAME_KEY_PREFIX) +
                                 strlen(keys) + 1)) == NULL)) {
        free(keys);
        *person_r = NULL;
        *error_r = rc < 0 ? "cannot compute display-name keys (out of "
                            "memory, or ICU could not be set up)"
                          : "out of memory";
        atomic_fetch_add(&dir->lookups, 1);
        atomic_fetch_add(&dir->errors, 1);
        return SG_DIR_TEMPFAIL;
    }
    if (key != NULL) {
        strcpy(key, SG_DIR_NAME_KEY_PREFIX);
        strcat(key, keys);
    }
    free(keys);
    enum sg_channel channel;
    enum sg_dir_status st =
        lookup_key(dir, key, fetch_name, person_r, &channel, error_r);
    free(key);
    return st;
}

enum sg_dir_status
sg_dir_check(struct sg_directory *dir, const char **error_r)
{
    return dir->backend->ops->check(dir->backend, error_r);
}

void
sg_dir_stats(struct sg_directory *dir, struct sg_dir_stats *s)
{
    memset(s, 0, sizeof(*s));
    s->lookups = atomic_load(&dir->lookups);
    s->hits = atomic_load(&dir->hits);
    s->negative_hits = atomic_load(&dir->negative_hits);
    s->misses = atomic_load(&dir->misses);
    s->shared = atomic_load(&dir->shared);
    s->stale = atomic_load(&dir->stale);
    s->errors = atomic_load(&dir->errors);
    s->notfound = atomic_load(&dir->notfound);
    s->latency_us_sum = atomic_load(&dir->latency_sum);
    s->latency_us_max = atomic_load(&dir->latency_max);
    if (dir->cache != NULL) {
        sg_dir_cache_counts(dir->cache, &s->entries, &s->evictions);
    }
}
