/*
 * detect_hs.c - every detector pattern of a rule set in one Hyperscan
 * (or Vectorscan) database, so that one pass over a text finds, for all
 * the detectors an evaluation wants, where a match may end (detect.c then
 * confirms each candidate with the detector's PCRE2 pattern).  Built only
 * with Hyperscan (configure --with-hyperscan); without it every pattern
 * reads the whole text with PCRE2.
 *
 * The database is built once, when a rule set is loaded and every
 * detector (built-in and site-defined) is known, and read by every thread
 * without locks.  Each pattern is compiled in prefilter mode
 * (HS_FLAG_PREFILTER): Hyperscan then accepts constructs it cannot match
 * exactly (lookbehinds, possessive and atomic groups) by matching a wider
 * language, so it reports at least every end offset of every match the
 * PCRE2 pattern can make, and never misses one.  Flags follow the PCRE2
 * compile: UTF-8, caseless when the pattern is, and no UCP: PCRE2 reads
 * \w \d \s \b as ASCII (rules_compile.c sets no PCRE2_UCP), and so must
 * Hyperscan, or a \b after a non-ASCII letter would hold for PCRE2 and not
 * for Hyperscan.  A pattern Hyperscan refuses even so (a site pattern with
 * a backreference Hyperscan cannot approximate, one that can match the
 * empty string, one too large) is left out of the database: that detector
 * reads the whole text with PCRE2, as before, and loading goes on.
 *
 * Compiling takes time (half a second natively for the shipped policy,
 * seconds under a sanitiser), so a database is also kept on disk, in the
 * directory the configuration names (scan_cache_dir), as rspamd keeps its
 * own: a start, a reload or a safeguard-check run with the same
 * expressions reads it instead.  A file is used only when it holds the
 * exact expressions, flags and ids asked for (compared whole, not by a
 * hash), was written by this Hyperscan version for this machine (which
 * hs_deserialize_database checks), is whole (a checksum of the whole
 * file), and nobody but its writer could have changed it: the directory
 * and the file are writable by their owner only, and the file's owner is
 * the directory's, root, or the reader.  Anything else, a missing
 * directory included, means compiling, as without the cache; a database
 * that cannot be saved is still used.
 *
 * Besides the database of every pattern, each distinct set of patterns
 * one rule asks for gets a smaller one (hs_build_sets), built and cached
 * the same way, with its own pool of scratch spaces, and a text is
 * scanned with the smallest that holds what the evaluation wants:
 * Hyperscan's cost is in the patterns scanned for.
 *
 * Scratch space: Hyperscan needs one per concurrent scan.  Not one per
 * connection (an idle connection must stay small): a pool in the database,
 * cloned from a prototype on demand, taken by an evaluation for its
 * duration and given back (sg_detect_scan_free).
 *
 * SECURITY: the scanned text is attacker-controlled.  Hyperscan's UTF-8
 * mode is undefined on text that is not UTF-8: such a text is never given
 * to it (normalise.c says which, detect.c reads them whole with PCRE2).
 * The candidates kept per pattern and text are bounded
 * (sg_detect_cand_max: no more in all than the text's own size); past the
 * bound the pattern reads the rest of the text from its last candidate
 * kept, so no input makes memory grow with the number of near misses.
 * Fails by returning -1 with the error (allocation; Hyperscan failing to
 * scan, which fails the evaluation: the caller's failure action applies).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hs.h>

#include "detect.h"
#include "normalise.h"
#include "sg_buf.h"

/* Free scratch spaces kept for reuse at most; more concurrent scans than
 * this get their own and free it afterwards. */
#define HS_POOL_MAX 64
/* Databases no rule set uses any more kept for the next load at most. */
#define HS_CACHE_IDLE 4

/* One database, shared by every rule set loaded with the same
 * expressions (the cache below). */
struct detect_hs {
    char *key;  /* the expressions, flags and ids it was built from */
    unsigned *ids; /* the ids it holds (some may have been left out) */
    size_t n_ids;
    bool utf8; /* has an expression in UTF-8 mode: reads valid UTF-8 only */
    hs_database_t *db;
    hs_scratch_t *proto; /* cloned for each scratch space in use */
    pthread_mutex_t lock; /* the pool */
    hs_scratch_t *free[HS_POOL_MAX];
    size_t n_free;
    size_t refs; /* rule sets using it (under cache_lock) */
    struct detect_hs *next;
};

/* Compiling takes seconds (Hyperscan analyses every expression), and a
 * reload of the same configuration, or a test loading many small rule
 * sets, has the same expressions: the databases are shared by key,
 * counted, and the last few no longer used are kept. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct detect_hs *cache;

static void
hs_destroy(struct detect_hs *hs)
{
    for (size_t i = 0; i < hs->n_free; i++)
        hs_free_scratch(hs->free[i]);
    hs_free_scratch(hs->proto);
    hs_free_database(hs->db);
    pthread_mutex_destroy(&hs->lock);
    free(hs->key);
    free(hs->ids);
    free(hs);
}

/* Count release once less use of (NULL: none), then free the idle
 * databases (no rule set uses them) past the keep most recently used. */
static void
cache_trim(struct detect_hs *release, size_t keep)
{
    struct detect_hs *drop = NULL;
    pthread_mutex_lock(&cache_lock);
    if (release != NULL)
        release->refs--;
    /* the list is most recent first */
    size_t idle = 0;
    for (struct detect_hs **pp = &cache; *pp != NULL;) {
        struct detect_hs *e = *pp;
        if (e->refs == 0 && ++idle > keep) {
            *pp = e->next;
            e->next = drop;
            drop = e;
        } else {
            pp = &e->next;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    while (drop != NULL) {
        struct detect_hs *e = drop;
        drop = e->next;
        hs_destroy(e);
    }
}

void
sg_detect_hs_free(struct detect_hs **hsp)
{
    struct detect_hs *hs = *hsp;
    if (hs == NULL)
        return;
    *hsp = NULL;
    cache_trim(hs, HS_CACHE_IDLE);
}

void
sg_detect_hs_cache_clear(void)
{
    cache_trim(NULL, 0);
}

/* What the database looks for for detector d: a built-in's marker, read
 * as bytes (detect.c); a site-defined pattern as PCRE2 reads it, UTF-8. */
static const char *
hs_expr(const struct detector *d)
{
    return d->builtin ? d->marker : d->pattern;
}

/* Its Hyperscan flags: caseless as the PCRE2 pattern is. */
static unsigned
hs_flags(const struct detector *d)
{
    uint32_t opts = 0;
    pcre2_pattern_info(d->re, PCRE2_INFO_ARGOPTIONS, &opts);
    return HS_FLAG_PREFILTER | (d->builtin ? 0 : HS_FLAG_UTF8) |
           ((opts & PCRE2_CASELESS) ? HS_FLAG_CASELESS : 0);
}

/* Does Hyperscan take d's expression (alone), and how far after a match's
 * start does a candidate end?  A site pattern in prefilter form matches a
 * wider language, so its longest match is at least the PCRE2 pattern's;
 * a built-in says (reach), or its marker is its body (reach 0: the
 * marker's longest match).  An expression that can match the empty string
 * is refused (no HS_FLAG_ALLOWEMPTY), as candidates need: a match ends
 * past where it starts (detect.c). */
static bool
hs_takes(const struct detector *d, size_t *maxlen_r)
{
    hs_expr_info_t *info = NULL;
    hs_compile_error_t *err = NULL;
    if (hs_expr(d) == NULL ||
        hs_expression_info(hs_expr(d), hs_flags(d), &info, &err) !=
            HS_SUCCESS) {
        hs_free_compile_error(err);
        return false;
    }
    bool ok = info->min_width > 0;
    *maxlen_r = info->max_width == UINT_MAX ? SIZE_MAX : info->max_width;
    if (d->builtin && d->reach != 0)
        *maxlen_r = d->reach;
    free(info); /* allocated with Hyperscan's default allocator, malloc */
    return ok;
}

/* The cached database of key, counted once more, moved to the front;
 * NULL when none. */
static struct detect_hs *
cache_find(const char *key)
{
    struct detect_hs *hit = NULL;
    pthread_mutex_lock(&cache_lock);
    for (struct detect_hs **pp = &cache; *pp != NULL; pp = &(*pp)->next)
        if (strcmp((*pp)->key, key) == 0) {
            hit = *pp;
            *pp = hit->next;
            hit->next = cache;
            cache = hit;
            hit->refs++;
            break;
        }
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

/* Compile exprs[0..k) into a new database (counted once, in the cache);
 * NULL and the error when memory runs out.  *none: nothing could be
 * compiled (no database, not an error). */
static struct detect_hs *
hs_compile_new(char *key, const char **exprs, unsigned *flags, unsigned *ids,
               size_t k, bool *none, const char **error_r)
{
    struct detect_hs *hs = calloc(1, sizeof(*hs));
    if (hs == NULL) {
        free(key);
        *error_r = sg_rules_errorf("out of memory");
        return NULL;
    }
    hs->key = key;
    pthread_mutex_init(&hs->lock, NULL);
    /* Taken alone does not promise taken together (a resource limit):
     * leave out what the whole compile names, until it builds. */
    while (k > 0) {
        hs_compile_error_t *err = NULL;
        if (hs_compile_multi(exprs, flags, ids, (unsigned)k, HS_MODE_BLOCK,
                             NULL, &hs->db, &err) == HS_SUCCESS)
            break;
        int bad = err->expression;
        hs_free_compile_error(err);
        hs->db = NULL;
        if (bad < 0 || (size_t)bad >= k) {
            k = 0; /* not one expression's fault: no database */
            break;
        }
        size_t after = k - (size_t)bad - 1;
        memmove(exprs + bad, exprs + bad + 1, after * sizeof(*exprs));
        memmove(flags + bad, flags + bad + 1, after * sizeof(*flags));
        memmove(ids + bad, ids + bad + 1, after * sizeof(*ids));
        k--;
    }
    *none = k == 0;
    if (k == 0) {
        hs_destroy(hs);
        return NULL;
    }
    hs->ids = malloc(k * sizeof(*hs->ids));
    if (hs->ids == NULL || hs_alloc_scratch(hs->db, &hs->proto) != HS_SUCCESS) {
        hs_destroy(hs);
        *error_r = sg_rules_errorf("out of memory (Hyperscan database)");
        return NULL;
    }
    memcpy(hs->ids, ids, k * sizeof(*ids));
    hs->n_ids = k;
    for (size_t j = 0; j < k; j++)
        hs->utf8 |= (flags[j] & HS_FLAG_UTF8) != 0;
    hs->refs = 1;
    pthread_mutex_lock(&cache_lock);
    hs->next = cache;
    cache = hs;
    pthread_mutex_unlock(&cache_lock);
    return hs;
}

/* ---- the database on disk (scan_cache_dir) ---- */

/* The ids are written as the 32-bit numbers the file holds. */
_Static_assert(sizeof(unsigned) == sizeof(uint32_t),
               "a cache file's ids are struct detect_hs's, as they are");

/* A cache file: this header, the key (key_len bytes), the ids it holds
 * (n_ids 32-bit numbers) and the serialised database (db_len bytes), in
 * the machine's byte order (the database is the machine's anyway). */
#define DISK_MAGIC "safeguard-milter scan database\n" /* 32 bytes */
struct disk_head {
    char magic[32];
    uint64_t key_len, n_ids, db_len;
    uint64_t sum; /* FNV-1a of everything after the header and of the
                   * header's other fields: a file damaged on disk is not
                   * read (Hyperscan checks the version and platform of
                   * its part, not every byte) */
    uint32_t utf8, pad;
};
/* Larger than any database a rules file makes; a bigger file is not read. */
#define DISK_MAX ((off_t)512 << 20)
/* A cache file no load has read or written for this long is removed
 * when another is written (a rules file edited many times leaves one per
 * version). */
#define DISK_IDLE_DAYS 30
#define FNV_START 1469598103934665603ULL

/* h, FNV-1a, on through len bytes at p. */
static uint64_t
fnv1a(uint64_t h, const void *p, size_t len)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

/* The checksum of a cache file: its header's fields but sum, then the
 * rest of the file (key, ids and database, rest_len bytes at rest). */
static uint64_t
disk_sum(const struct disk_head *h, const void *rest, size_t rest_len)
{
    struct disk_head z = *h;
    z.sum = 0;
    return fnv1a(fnv1a(FNV_START, &z, sizeof(z)), rest, rest_len);
}

/* The file of key in dir: named by a hash of the key and the Hyperscan
 * version (the key itself, compared whole, says whether it is the one). */
static int
disk_path(const char *dir, const char *key, char *path, size_t size)
{
    uint64_t h = fnv1a(FNV_START, hs_version(), strlen(hs_version()));
    h = fnv1a(h, key, strlen(key));
    int n = snprintf(path, size, "%s/scan-%016llx.hsdb", dir,
                     (unsigned long long)h);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

/* Could only its writer have written file f, in directory d? */
static bool
disk_trusted(const struct stat *d, const struct stat *f)
{
    return S_ISDIR(d->st_mode) && (d->st_mode & 022) == 0 &&
           S_ISREG(f->st_mode) && (f->st_mode & 022) == 0 &&
           (f->st_uid == d->st_uid || f->st_uid == 0 ||
            f->st_uid == geteuid());
}

/* The database of key from dir, as the cache's new entry (counted once),
 * taking key; NULL (key still the caller's) when there is none usable. */
static struct detect_hs *
disk_load(const char *dir, char *key, size_t n_detectors)
{
    char path[PATH_MAX];
    struct stat ds, fs;
    struct detect_hs *hs = NULL;
    char *buf = NULL;
    if (dir == NULL || *dir == '\0' ||
        disk_path(dir, key, path, sizeof(path)) < 0 || stat(dir, &ds) < 0)
        return NULL;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct disk_head h;
    size_t key_len = strlen(key);
    if (fstat(fd, &fs) < 0 || !disk_trusted(&ds, &fs) ||
        fs.st_size < (off_t)sizeof(h) || fs.st_size > DISK_MAX ||
        (buf = malloc((size_t)fs.st_size)) == NULL)
        goto out;
    size_t size = (size_t)fs.st_size, got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            goto out;
        got += (size_t)r;
    }
    memcpy(&h, buf, sizeof(h));
    /* each length is checked against what is left, so no sum overflows */
    size_t left = size - sizeof(h);
    if (disk_sum(&h, buf + sizeof(h), left) != h.sum ||
        memcmp(h.magic, DISK_MAGIC, sizeof(h.magic)) != 0 ||
        h.key_len != key_len || h.key_len > left ||
        memcmp(buf + sizeof(h), key, key_len) != 0 || h.n_ids == 0 ||
        h.n_ids > n_detectors || h.n_ids * sizeof(uint32_t) > left - key_len ||
        h.db_len != left - key_len - h.n_ids * sizeof(uint32_t))
        goto out;
    const char *p = buf + sizeof(h) + key_len;
    if ((hs = calloc(1, sizeof(*hs))) == NULL)
        goto out;
    pthread_mutex_init(&hs->lock, NULL);
    if ((hs->ids = malloc(h.n_ids * sizeof(*hs->ids))) == NULL)
        goto fail;
    for (size_t j = 0; j < h.n_ids; j++) {
        uint32_t id;
        memcpy(&id, p + j * sizeof(id), sizeof(id));
        if (id >= n_detectors)
            goto fail;
        hs->ids[j] = id;
    }
    hs->n_ids = h.n_ids;
    p += h.n_ids * sizeof(uint32_t);
    if (hs_deserialize_database(p, h.db_len, &hs->db) != HS_SUCCESS ||
        hs_alloc_scratch(hs->db, &hs->proto) != HS_SUCCESS)
        goto fail;
    hs->utf8 = h.utf8 != 0;
    hs->key = key;
    hs->refs = 1;
    (void)futimens(fd, NULL); /* used: not idle (fails if not ours) */
    pthread_mutex_lock(&cache_lock);
    hs->next = cache;
    cache = hs;
    pthread_mutex_unlock(&cache_lock);
    goto out;
fail:
    hs_destroy(hs); /* its key is still NULL: the caller's */
    hs = NULL;
out:
    free(buf);
    close(fd);
    return hs;
}

/* Remove dir's cache files not used for DISK_IDLE_DAYS, but keep. */
static void
disk_prune(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    time_t old = time(NULL) - (time_t)DISK_IDLE_DAYS * 86400;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        struct stat st;
        if (strncmp(e->d_name, "scan-", 5) != 0 || n < 10 ||
            strcmp(e->d_name + n - 5, ".hsdb") != 0 ||
            strcmp(e->d_name, keep) == 0 ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode) || st.st_mtime >= old)
            continue;
        (void)unlinkat(dirfd(d), e->d_name, 0);
    }
    closedir(d);
}

/* Save hs in dir for the next load; nothing is said when it cannot be
 * (a directory that is missing or not the writer's: the next load
 * compiles, as without the cache). */
static void
disk_store(const char *dir, const struct detect_hs *hs)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    char *bytes = NULL;
    size_t len = 0;
    if (dir == NULL || *dir == '\0' ||
        disk_path(dir, hs->key, path, sizeof(path)) < 0 ||
        snprintf(tmp, sizeof(tmp), "%s/.scan-XXXXXX", dir) >= (int)sizeof(tmp) ||
        hs_serialize_database(hs->db, &bytes, &len) != HS_SUCCESS)
        return;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(bytes); /* Hyperscan's default allocator, malloc */
        return;
    }
    struct disk_head h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, DISK_MAGIC, sizeof(h.magic));
    h.key_len = strlen(hs->key);
    h.n_ids = hs->n_ids;
    h.db_len = len;
    h.utf8 = hs->utf8;
    /* disk_sum's, of the parts as they are written */
    h.sum = fnv1a(FNV_START, &h, sizeof(h)); /* sum 0 as yet */
    h.sum = fnv1a(h.sum, hs->key, h.key_len);
    h.sum = fnv1a(h.sum, hs->ids, hs->n_ids * sizeof(*hs->ids));
    h.sum = fnv1a(h.sum, bytes, len);
    /* readable by the owner's group (the daemon's): the key holds the
     * site's patterns, which the rules file may keep from others */
    FILE *f = fchmod(fd, 0640) == 0 ? fdopen(fd, "wb") : NULL;
    if (f == NULL)
        close(fd);
    bool ok = f != NULL && fwrite(&h, sizeof(h), 1, f) == 1 &&
              fwrite(hs->key, 1, h.key_len, f) == h.key_len &&
              fwrite(hs->ids, sizeof(*hs->ids), hs->n_ids, f) == hs->n_ids &&
              fwrite(bytes, 1, len, f) == len;
    ok = (f == NULL || fclose(f) == 0) && ok && rename(tmp, path) == 0;
    if (!ok)
        (void)unlink(tmp);
    else
        disk_prune(dir, strrchr(path, '/') + 1);
    free(bytes);
}

/* One database of the patterns of the root detectors i of rules with
 * only[i] and in_db, or (only NULL) of every pattern Hyperscan takes,
 * setting each root's in_db and maxlen: from the databases in memory,
 * from cache_dir, or compiled (and saved there).  *hs_r NULL when none
 * can be built (not an error); *from_disk when read from cache_dir.  0,
 * or -1 with the error. */
static int
hs_build_of(struct sg_rules *rules, const char *cache_dir, const bool *only,
            struct detect_hs **hs_r, bool *from_disk, const char **error_r)
{
    size_t n = rules->n_detectors, k = 0;
    const char **exprs = calloc(n + 1, sizeof(*exprs));
    unsigned *flags = calloc(n + 1, sizeof(*flags));
    unsigned *ids = calloc(n + 1, sizeof(*ids));
    struct sg_buf key = SG_BUF_INIT;
    int rc = -1;
    if (exprs == NULL || flags == NULL || ids == NULL) {
        *error_r = sg_rules_errorf("out of memory");
        goto out;
    }
    /* one expression per pattern: the id is its first detector's index */
    *hs_r = NULL;
    for (size_t i = 0; i < n; i++) {
        struct detector *d = &rules->detectors[i];
        bool take;
        if (only != NULL) {
            take = only[i] && d->in_db;
        } else {
            d->in_db = false;
            take = d->same_pattern_as == 0 && hs_takes(d, &d->maxlen);
        }
        if (take) {
            exprs[k] = hs_expr(d);
            flags[k] = hs_flags(d);
            ids[k] = (unsigned)i;
            sg_buf_printf(&key, "%u %x %zu:%s\n", ids[k], flags[k],
                          strlen(exprs[k]), exprs[k]);
            k++;
        }
    }
    char *kt = sg_buf_steal(&key);
    if (kt == NULL) {
        *error_r = sg_rules_errorf("out of memory");
        goto out;
    }
    if (k == 0) { /* nothing Hyperscan can take: PCRE2 reads every text */
        free(kt);
        rc = 0;
        goto out;
    }
    struct detect_hs *hs = cache_find(kt);
    bool none = false;
    if (hs != NULL) {
        free(kt);
    } else if ((hs = disk_load(cache_dir, kt, n)) != NULL) {
        *from_disk = true;
    } else if ((hs = hs_compile_new(kt, exprs, flags, ids, k, &none,
                                    error_r)) == NULL) {
        rc = none ? 0 : -1;
        goto out;
    } else {
        disk_store(cache_dir, hs);
    }
    for (size_t j = 0; only == NULL && j < hs->n_ids; j++)
        rules->detectors[hs->ids[j]].in_db = true;
    *hs_r = hs;
    rc = 0;
out:
    sg_buf_free(&key);
    free(exprs);
    free(flags);
    free(ids);
    return rc;
}

/* Sets kept at most per rule set (each a database in memory and on disk). */
#define HS_SETS_MAX 8

void
sg_detect_hs_sets_free(struct sg_rules *rules)
{
    for (size_t i = 0; i < rules->n_hs_sets; i++) {
        sg_detect_hs_free(&rules->hs_sets[i].hs);
        free(rules->hs_sets[i].holds);
    }
    free(rules->hs_sets);
    rules->hs_sets = NULL;
    rules->n_hs_sets = 0;
}

/* Does set hold every pattern in want? */
static bool
set_holds(const struct sg_rules *rules, const bool *holds, const bool *want)
{
    for (size_t i = 0; i < rules->n_detectors; i++)
        if (want[i] && rules->detectors[i].in_db && !holds[i])
            return false;
    return true;
}

/* The cost of the scan is in the patterns scanned for, not in the ones
 * whose matches are kept: a text scanned for the six personal-contact
 * detectors with a database of all eleven costs twice the scan of the
 * six.  The wanted detectors are those of the rules whose cheap
 * conditions hold (eval.c), which is most often one rule's (a letter to
 * a pupil: personal-contact-details), so each distinct set of patterns a
 * rule asks for (fewer than all) gets its own database, built at load
 * as the whole one is (and kept in scan_cache_dir the same way), and an
 * evaluation scans with the smallest that holds all it wants
 * (sg_detect_hs_candidates).  0, or -1 with the error. */
static int
hs_build_sets(struct sg_rules *rules, const char *cache_dir,
              const char **error_r)
{
    size_t n = rules->n_detectors, all = 0;
    for (size_t i = 0; i < n; i++)
        all += rules->detectors[i].in_db;
    bool *want = calloc(n + 1, sizeof(bool));
    bool *only = calloc(n + 1, sizeof(bool));
    rules->hs_sets = calloc(HS_SETS_MAX, sizeof(*rules->hs_sets));
    int rc = -1;
    if (want == NULL || only == NULL || rules->hs_sets == NULL) {
        *error_r = sg_rules_errorf("out of memory");
        goto out;
    }
    for (size_t r = 0; r < rules->n_rules &&
                       rules->n_hs_sets < HS_SETS_MAX; r++) {
        const struct rule *ru = &rules->rules[r];
        memset(want, 0, n * sizeof(bool));
        memset(only, 0, n * sizeof(bool));
        for (size_t k = 0; k < ru->n_conds; k++)
            sg_detect_want_content(&ru->conds[k], want);
        for (size_t k = 0; k < ru->n_excepts; k++)
            sg_detect_want_content(&ru->excepts[k], want);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            size_t root = sg_detect_root(rules, i);
            if (want[i] && rules->detectors[root].in_db && !only[root]) {
                only[root] = true;
                k++;
            }
        }
        bool known = false;
        for (size_t j = 0; j < rules->n_hs_sets && !known; j++)
            known = set_holds(rules, rules->hs_sets[j].holds, only) &&
                    rules->hs_sets[j].n == k;
        if (k == 0 || k == all || known)
            continue;
        struct detect_hs *hs = NULL;
        bool from_disk = false;
        if (hs_build_of(rules, cache_dir, only, &hs, &from_disk, error_r) < 0)
            goto out;
        if (hs == NULL)
            continue;
        struct detect_hs_set *set = &rules->hs_sets[rules->n_hs_sets];
        if ((set->holds = calloc(n + 1, sizeof(bool))) == NULL) {
            sg_detect_hs_free(&hs);
            *error_r = sg_rules_errorf("out of memory");
            goto out;
        }
        for (size_t j = 0; j < hs->n_ids; j++)
            set->holds[hs->ids[j]] = true;
        set->n = hs->n_ids;
        set->hs = hs;
        rules->n_hs_sets++;
    }
    /* smallest first: the first that holds what is wanted is scanned */
    for (size_t i = 1; i < rules->n_hs_sets; i++)
        for (size_t j = i; j > 0 && rules->hs_sets[j].n <
                                        rules->hs_sets[j - 1].n; j--) {
            struct detect_hs_set t = rules->hs_sets[j];
            rules->hs_sets[j] = rules->hs_sets[j - 1];
            rules->hs_sets[j - 1] = t;
        }
    rc = 0;
out:
    free(want);
    free(only);
    return rc;
}

int
sg_detect_hs_build(struct sg_rules *rules, const char *cache_dir,
                   const char **error_r)
{
    bool from_disk = false;
    if (hs_build_of(rules, cache_dir, NULL, &rules->hs, &from_disk,
                    error_r) < 0)
        return -1;
    rules->hs_from_disk = from_disk;
    return rules->hs == NULL ? 0 : hs_build_sets(rules, cache_dir, error_r);
}

/* A scratch space for one evaluation: from the pool, or a new clone. */
static hs_scratch_t *
scratch_take(struct detect_hs *hs)
{
    hs_scratch_t *s = NULL;
    pthread_mutex_lock(&hs->lock);
    if (hs->n_free > 0)
        s = hs->free[--hs->n_free];
    pthread_mutex_unlock(&hs->lock);
    if (s == NULL && hs_clone_scratch(hs->proto, &s) != HS_SUCCESS)
        return NULL;
    return s;
}

/* Give s back to hs's pool (or free it when the pool is full). */
static void
scratch_put(struct detect_hs *hs, hs_scratch_t *s)
{
    pthread_mutex_lock(&hs->lock);
    if (hs->n_free < HS_POOL_MAX) {
        hs->free[hs->n_free++] = s;
        s = NULL;
    }
    pthread_mutex_unlock(&hs->lock);
    if (s != NULL)
        hs_free_scratch(s);
}

/* What an evaluation holds (its scan state's opaque scratch): a scratch
 * space and the database whose pool it came from (the whole database or
 * a smaller one: each has its own prototype and pool, so no scratch is
 * grown while scanning, which costs as much as a small scan). */
struct hs_held {
    struct detect_hs *owner;
    hs_scratch_t *s;
};

void
sg_detect_hs_put(const struct sg_rules *rules, void *scratch)
{
    (void)rules;
    struct hs_held *h = scratch;
    if (h->s != NULL)
        scratch_put(h->owner, h->s);
    free(h);
}

/* One pass's state, for the match callback. */
struct hs_pass {
    const bool *wanted;
    struct detect_cands *cands;
    size_t open;  /* wanted patterns still collecting */
    bool unsorted; /* an end came before the last one kept */
};

/* Keep end offset `to` as a candidate of pattern id; a pattern past the
 * bound notes the least end it drops (cut_at: Hyperscan need not report
 * in order, so it goes on noting), and one whose list cannot grow reads
 * the whole text instead.  Stops the pass (1) once no wanted pattern
 * collects any more. */
static int
on_match(unsigned id, unsigned long long from, unsigned long long to,
         unsigned flags, void *ctx)
{
    (void)from;
    (void)flags;
    struct hs_pass *p = ctx;
    struct detect_cands *c = &p->cands[id];
    if (!p->wanted[id] || c->whole)
        return 0;
    if (c->n > 0 && c->end[c->n - 1] == to)
        return 0;
    bool before = c->n > 0 && to < c->end[c->n - 1];
    if (!sg_detect_cand_add(c, (size_t)to))
        return c->whole && --p->open == 0;
    p->unsorted |= before;
    return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int
sg_detect_hs_candidates(const struct sg_rules *rules, void **scratch,
                        const struct sg_norm *nt, const bool *wanted,
                        struct detect_cands *cands)
{
    struct detect_hs *hs = rules->hs;
    struct hs_pass p = {wanted, cands, 0, false};
    /* the smallest database that holds every pattern wanted */
    for (size_t s = 0; hs != NULL && s < rules->n_hs_sets; s++)
        if (set_holds(rules, rules->hs_sets[s].holds, wanted)) {
            hs = rules->hs_sets[s].hs;
            break;
        }
    for (size_t i = 0; i < rules->n_detectors; i++) {
        if (!wanted[i])
            continue;
        sg_detect_cands_empty(&cands[i]);
        cands[i].whole = !rules->detectors[i].in_db;
        p.open += !cands[i].whole;
    }
    /* Hyperscan's UTF-8 mode is undefined on other bytes */
    if (hs == NULL || p.open == 0 || (hs->utf8 && nt->invalid_utf8)) {
        for (size_t i = 0; i < rules->n_detectors; i++)
            cands[i].whole |= wanted[i];
        return 0;
    }
    /* a scratch space from the pool of the database scanned with */
    struct hs_held *h = *scratch;
    if (h == NULL && (h = *scratch = calloc(1, sizeof(*h))) == NULL) {
        sg_rules_errorf("out of memory");
        return -1;
    }
    if (h->owner != hs) {
        if (h->s != NULL)
            scratch_put(h->owner, h->s);
        h->s = NULL;
        h->owner = hs;
    }
    if (h->s == NULL && (h->s = scratch_take(hs)) == NULL) {
        sg_rules_errorf("out of memory (Hyperscan scratch space)");
        return -1;
    }
    hs_error_t e = hs_scan(hs->db, nt->text, (unsigned)nt->len, 0, h->s,
                           on_match, &p);
    if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED) {
        sg_rules_errorf("Hyperscan scan failed (error %d)", (int)e);
        return -1;
    }
    if (!p.unsorted)
        return 0;
    /* Hyperscan reports in order of end offset but does not promise it:
     * sort, each end once */
    for (size_t i = 0; i < rules->n_detectors; i++) {
        struct detect_cands *c = &cands[i];
        if (!wanted[i] || c->whole || c->n < 2)
            continue;
        qsort(c->end, c->n, sizeof(*c->end), cmp_u32);
        size_t w = 1;
        for (size_t r = 1; r < c->n; r++)
            if (c->end[r] != c->end[w - 1])
                c->end[w++] = c->end[r];
        c->n = w;
    }
    return 0;
}
