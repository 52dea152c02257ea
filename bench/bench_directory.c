/*
 * bench_directory.c - the directory benchmark: lookups per second and
 * latency percentiles of sg_dir_lookup against a real LDAP server, cold
 * cache (every lookup a miss) beside warm cache (every lookup a hit), with
 * 1 and 16 threads, in one run; and the memory the cache takes per 10,000
 * entries.  Started by run-directory.sh, which makes the school, starts
 * slapd and passes the address list (see README.md, "Directory lookups").
 * Every measurement is made in several rounds (--repeat, 3) and each row
 * shows its median round, with the range, because the machine is shared.
 *
 * The address list has one distinct address per line, a tab, and the role
 * the lookup must find ("-": must be not found).  Every answer is checked,
 * so a fast wrong answer (a group expansion that found nobody, an outage
 * counted as "not found") fails the run instead of looking good.
 *
 * How it fails: exit 1 with a message on a bad option, an unreadable list,
 * a directory that cannot be opened, any lookup whose answer differs from
 * the list, or cache counters showing that a "cold" run hit the cache or
 * a "warm" run missed it; exit 0 after printing the report.  Never part
 * of `make check` (timings are not tests).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "sg_directory.h"

struct sg_bench_addr {
    char *address;
    char *role; /* NULL: must be not found */
};

struct sg_bench_opts {
    char *uri, *base, *bind_dn, *password_file, *addresses, *prime;
    int threads_many;    /* the multi-threaded runs; 16 */
    size_t warm_lookups; /* per warm run, all threads together */
    int repeat;          /* rounds of every measurement */
    int pool_size;       /* ldap_pool_size; library default when 0 */
};

/* a lookup's latency and kind */
struct sg_bench_sample {
    uint64_t ns;
    int found;
};

enum sg_bench_mode { SG_BENCH_COLD, SG_BENCH_WARM };

struct sg_bench_shared {
    struct sg_directory *dir;
    const struct sg_bench_addr *addrs;
    size_t n_addrs;
    enum sg_bench_mode mode;
    atomic_size_t next;  /* cold: the next address to look up */
    size_t per_thread;   /* warm: lookups per thread */
    pthread_barrier_t start;
};

struct sg_bench_worker {
    pthread_t thread;
    struct sg_bench_shared *sh;
    unsigned id;
    struct sg_bench_sample *samples;
    size_t n_samples, cap;
    size_t wrong;
    char first_wrong[512];
};

struct sg_bench_result {
    const char *label;
    int threads;
    size_t lookups;
    double seconds;
    uint64_t p50, p90, p99, max;           /* all lookups, ns */
    uint64_t p50_found, p50_notfound;      /* ns */
    size_t n_found, n_notfound;
};

/* ---------------------------------------------------------------- input */

static struct sg_bench_addr *
sg_bench_load(const char *path, size_t *n_r)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        sg_bench_die("%s: %s", path, strerror(errno));
    struct sg_bench_addr *v = NULL;
    size_t n = 0, cap = 0, line_no = 0;
    char line[1024];
    while (fgets(line, sizeof(line), f) != NULL) {
        line_no++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        char *tab = strchr(line, '\t');
        if (tab == NULL)
            sg_bench_die("%s:%zu: want ADDRESS<tab>ROLE", path, line_no);
        *tab = '\0';
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            v = realloc(v, cap * sizeof(*v));
            if (v == NULL)
                sg_bench_die("out of memory");
        }
        v[n].address = sg_bench_xstrdup(line);
        v[n].role = strcmp(tab + 1, "-") == 0 ? NULL
                                              : sg_bench_xstrdup(tab + 1);
        n++;
    }
    if (ferror(f))
        sg_bench_die("%s: read error", path);
    fclose(f);
    if (n == 0)
        sg_bench_die("%s: no addresses", path);
    *n_r = n;
    return v;
}

/* a fixed-seed shuffle, so that runs look up the same order */
static void
sg_bench_shuffle(struct sg_bench_addr *v, size_t n)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = n - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t j = (size_t)(x % (i + 1));
        struct sg_bench_addr t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* ---------------------------------------------------------------- lookups */

static void
sg_bench_record(struct sg_bench_worker *w, uint64_t ns, int found)
{
    if (w->n_samples == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->samples = realloc(w->samples, w->cap * sizeof(*w->samples));
        if (w->samples == NULL)
            sg_bench_die("out of memory");
    }
    w->samples[w->n_samples++] = (struct sg_bench_sample){ns, found};
}

/* One timed lookup, checked against the expected answer. */
static void
sg_bench_one(struct sg_bench_worker *w, const struct sg_bench_addr *a)
{
    struct sg_person *p = NULL;
    enum sg_channel channel;
    const char *error = NULL;
    uint64_t t0 = sg_bench_now_ns();
    enum sg_dir_status st =
        sg_dir_lookup(w->sh->dir, a->address, &p, &channel, &error);
    uint64_t t1 = sg_bench_now_ns();
    sg_bench_record(w, t1 - t0, st == SG_DIR_FOUND);

    int ok = a->role == NULL ? st == SG_DIR_NOTFOUND
                             : st == SG_DIR_FOUND &&
                                   sg_person_has_role(p, a->role);
    if (!ok && w->wrong++ == 0)
        snprintf(w->first_wrong, sizeof(w->first_wrong),
                 "%s: status %d (%s), want %s", a->address, (int)st,
                 error ? error : "no error", a->role ? a->role : "not found");
    sg_person_free(&p);
}

static void *
sg_bench_worker_main(void *arg)
{
    struct sg_bench_worker *w = arg;
    struct sg_bench_shared *sh = w->sh;
    pthread_barrier_wait(&sh->start);
    if (sh->mode == SG_BENCH_COLD) {
        /* each address once, shared out between the threads */
        for (;;) {
            size_t i = atomic_fetch_add(&sh->next, 1);
            if (i >= sh->n_addrs)
                break;
            sg_bench_one(w, &sh->addrs[i]);
        }
    } else {
        /* every thread walks the whole list from its own offset */
        size_t start = (size_t)w->id * 7919;
        for (size_t k = 0; k < sh->per_thread; k++)
            sg_bench_one(w, &sh->addrs[(start + k) % sh->n_addrs]);
    }
    return NULL;
}

static int
sg_bench_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* nearest-rank percentile of a sorted array */
static uint64_t
sg_bench_pct(const uint64_t *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

static struct sg_bench_result
sg_bench_run(const char *label, struct sg_directory *dir,
             const struct sg_bench_addr *addrs, size_t n_addrs,
             enum sg_bench_mode mode, int threads, size_t warm_lookups)
{
    struct sg_bench_shared sh = {
        .dir = dir,
        .addrs = addrs,
        .n_addrs = n_addrs,
        .mode = mode,
        .per_thread = warm_lookups / (size_t)threads,
    };
    atomic_init(&sh.next, 0);
    if (pthread_barrier_init(&sh.start, NULL, (unsigned)threads + 1) != 0)
        sg_bench_die("pthread_barrier_init failed");
    struct sg_bench_worker *w = calloc((size_t)threads, sizeof(*w));
    if (w == NULL)
        sg_bench_die("out of memory");
    for (int i = 0; i < threads; i++) {
        w[i].sh = &sh;
        w[i].id = (unsigned)i;
        if (pthread_create(&w[i].thread, NULL, sg_bench_worker_main, &w[i]) !=
            0)
            sg_bench_die("pthread_create failed");
    }
    pthread_barrier_wait(&sh.start);
    uint64_t t0 = sg_bench_now_ns();
    for (int i = 0; i < threads; i++)
        pthread_join(w[i].thread, NULL);
    uint64_t t1 = sg_bench_now_ns();
    pthread_barrier_destroy(&sh.start);

    struct sg_bench_result r = {.label = label, .threads = threads};
    size_t wrong = 0;
    for (int i = 0; i < threads; i++) {
        r.lookups += w[i].n_samples;
        if (w[i].wrong > 0 && wrong == 0)
            fprintf(stderr, "bench_directory: %s, %d threads: wrong answer: "
                            "%s\n", label, threads, w[i].first_wrong);
        wrong += w[i].wrong;
    }
    if (wrong > 0)
        sg_bench_die("%s, %d threads: %zu wrong answers", label, threads,
                     wrong);

    uint64_t *all = sg_bench_xmalloc(r.lookups * sizeof(*all));
    uint64_t *found = sg_bench_xmalloc(r.lookups * sizeof(*found));
    uint64_t *notfound = sg_bench_xmalloc(r.lookups * sizeof(*notfound));
    size_t n = 0;
    for (int i = 0; i < threads; i++) {
        for (size_t k = 0; k < w[i].n_samples; k++) {
            all[n++] = w[i].samples[k].ns;
            if (w[i].samples[k].found)
                found[r.n_found++] = w[i].samples[k].ns;
            else
                notfound[r.n_notfound++] = w[i].samples[k].ns;
        }
        free(w[i].samples);
    }
    free(w);
    qsort(all, n, sizeof(*all), sg_bench_cmp_u64);
    qsort(found, r.n_found, sizeof(*found), sg_bench_cmp_u64);
    qsort(notfound, r.n_notfound, sizeof(*notfound), sg_bench_cmp_u64);
    r.seconds = (double)(t1 - t0) / 1e9;
    r.p50 = sg_bench_pct(all, n, 0.50);
    r.p90 = sg_bench_pct(all, n, 0.90);
    r.p99 = sg_bench_pct(all, n, 0.99);
    r.max = n ? all[n - 1] : 0;
    r.p50_found = sg_bench_pct(found, r.n_found, 0.50);
    r.p50_notfound = sg_bench_pct(notfound, r.n_notfound, 0.50);
    free(all);
    free(found);
    free(notfound);
    return r;
}

/* ---------------------------------------------------------------- setup */

static struct sg_directory *
sg_bench_open(const struct sg_bench_opts *o, const char *prime,
              double *prime_ms_r)
{
    static char *role_groups[] = {
        "staff=cn=Staff,ou=Groups,dc=school,dc=example",
        "pupil=cn=Pupils,ou=Groups,dc=school,dc=example",
        "dsl=cn=DSL,ou=Groups,dc=school,dc=example",
        "parent=cn=Parents,ou=Groups,dc=school,dc=example",
    };
    char *uris[] = {o->uri};
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.backend = SG_DIR_BACKEND_LDAP;
    cfg.ldap_uris = uris;
    cfg.n_ldap_uris = 1;
    cfg.ldap_base = o->base;
    cfg.ldap_bind_dn = o->bind_dn;
    cfg.ldap_bind_password_file = o->password_file;
    cfg.ldap_user_filter = "(objectClass=inetOrgPerson)";
    cfg.ldap_personal_attribute = "sgPersonalAddress";
    cfg.ldap_children_attribute = "sgChildAddress";
    cfg.ldap_dob_attribute = "sgDateOfBirth";
    cfg.ldap_left_attribute = "sgLeavingDate";
    cfg.ldap_role_groups = role_groups;
    cfg.n_ldap_role_groups = sizeof(role_groups) / sizeof(role_groups[0]);
    cfg.ldap_disabled_filter =
        "(userAccountControl:1.2.840.113556.1.4.803:=2)";
    if (o->pool_size > 0)
        cfg.ldap_pool_size = o->pool_size;
    /* big and long enough that nothing is evicted or expires during the
     * run: a cold run must miss because the address is new, and a warm
     * run must hit */
    cfg.cache_size = 100000;
    cfg.cache_ttl = 3600;
    cfg.cache_negative_ttl = 3600;

    struct sg_directory *dir = NULL;
    const char *error = NULL;
    if (sg_dir_new(&cfg, &dir, &error) != SG_DIR_FOUND)
        sg_bench_die("sg_dir_new: %s", error);
    if (sg_dir_check(dir, &error) != SG_DIR_FOUND)
        sg_bench_die("sg_dir_check: %s", error);

    /* the first found lookup expands the role groups: not timed with the
     * rest, reported on its own */
    struct sg_person *p = NULL;
    enum sg_channel channel;
    uint64_t t0 = sg_bench_now_ns();
    enum sg_dir_status st = sg_dir_lookup(dir, prime, &p, &channel, &error);
    *prime_ms_r = (double)(sg_bench_now_ns() - t0) / 1e6;
    if (st != SG_DIR_FOUND || !sg_person_has_role(p, "staff"))
        sg_bench_die("priming lookup of %s: status %d (%s), want a staff "
                     "member",
                     prime, (int)st, error ? error : "no error");
    sg_person_free(&p);
    return dir;
}

static long
sg_bench_rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = 0;
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double
sg_bench_rate(const struct sg_bench_result *r)
{
    return (double)r->lookups / r->seconds;
}

static int
sg_bench_cmp_rate(const void *a, const void *b)
{
    double x = sg_bench_rate(a), y = sg_bench_rate(b);
    return x < y ? -1 : x > y;
}

/* the round with the median lookups/s (the lower middle of an even count) */
static struct sg_bench_result
sg_bench_median(const struct sg_bench_result *rounds, int n)
{
    struct sg_bench_result *sorted =
        sg_bench_xmalloc((size_t)n * sizeof(*sorted));
    memcpy(sorted, rounds, (size_t)n * sizeof(*sorted));
    qsort(sorted, (size_t)n, sizeof(*sorted), sg_bench_cmp_rate);
    struct sg_bench_result m = sorted[(n - 1) / 2];
    free(sorted);
    return m;
}

static void
sg_bench_row(const struct sg_bench_result *r,
             const struct sg_bench_result *rounds, int n)
{
    double lo = sg_bench_rate(&rounds[0]), hi = lo;
    for (int i = 1; i < n; i++) {
        double v = sg_bench_rate(&rounds[i]);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    char range[64];
    snprintf(range, sizeof(range), "%.0f-%.0f", lo, hi);
    printf("| %-18s | %7d | %7zu | %9.0f | %17s | %8.1f | %8.1f | %8.1f | "
           "%8.1f |\n",
           r->label, r->threads, r->lookups, sg_bench_rate(r), range,
           (double)r->p50 / 1e3, (double)r->p90 / 1e3, (double)r->p99 / 1e3,
           (double)r->max / 1e3);
}

static void
sg_bench_expect_counters(const char *what, uint64_t got, uint64_t want)
{
    if (got != want)
        sg_bench_die("%s: cache counter %llu, want %llu", what,
                     (unsigned long long)got, (unsigned long long)want);
}

static void
sg_bench_usage(void)
{
    fputs("usage: bench_directory --uri URI --base DN --bind-dn DN\n"
          "         --password-file FILE --addresses FILE --prime ADDRESS\n"
          "         [--threads N] [--warm-lookups N] [--pool N] [--repeat N]\n",
          stderr);
    exit(1);
}

int
main(int argc, char **argv)
{
    sg_bench_name = "bench_directory";
    struct sg_bench_opts o = {
        .threads_many = 16, .warm_lookups = 1000000, .repeat = 3};
    static const struct option longopts[] = {
        {"uri", required_argument, NULL, 'u'},
        {"base", required_argument, NULL, 'b'},
        {"bind-dn", required_argument, NULL, 'D'},
        {"password-file", required_argument, NULL, 'y'},
        {"addresses", required_argument, NULL, 'a'},
        {"prime", required_argument, NULL, 'p'},
        {"threads", required_argument, NULL, 't'},
        {"warm-lookups", required_argument, NULL, 'w'},
        {"pool", required_argument, NULL, 'P'},
        {"repeat", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'u': o.uri = optarg; break;
        case 'b': o.base = optarg; break;
        case 'D': o.bind_dn = optarg; break;
        case 'y': o.password_file = optarg; break;
        case 'a': o.addresses = optarg; break;
        case 'p': o.prime = optarg; break;
        case 't': o.threads_many = atoi(optarg); break;
        case 'w': o.warm_lookups = (size_t)strtoull(optarg, NULL, 10); break;
        case 'P': o.pool_size = atoi(optarg); break;
        case 'r': o.repeat = atoi(optarg); break;
        default: sg_bench_usage();
        }
    }
    if (optind != argc || !o.uri || !o.base || !o.bind_dn ||
        !o.password_file || !o.addresses || !o.prime ||
        o.threads_many < 1 || o.threads_many > 256 || o.warm_lookups == 0 ||
        o.repeat < 1 || o.repeat > 99)
        sg_bench_usage();

    size_t n_addrs = 0;
    struct sg_bench_addr *addrs = sg_bench_load(o.addresses, &n_addrs);
    sg_bench_shuffle(addrs, n_addrs);
    size_t n_expect_found = 0;
    for (size_t i = 0; i < n_addrs; i++)
        n_expect_found += addrs[i].role != NULL;

    struct sg_dir_config defaults;
    sg_dir_config_init(&defaults);
    int pool = o.pool_size > 0 ? o.pool_size : defaults.ldap_pool_size;
    printf("%zu distinct addresses: %zu in the directory (primary, "
           "proxyAddresses alias, personal), %zu not (%.0f%%); "
           "ldap_pool_size %d\n",
           n_addrs, n_expect_found, n_addrs - n_expect_found,
           100.0 * (double)(n_addrs - n_expect_found) / (double)n_addrs,
           pool);

    /* Rounds: directory A does cold 1 thread (and, in the first round, the
     * cache's memory), then warm 1 and N threads on the cache it filled;
     * directory B, fresh, does cold N threads.  Each row reports its
     * median round by lookups/s, so that a burst of other work on a
     * shared machine moves one round, not the table. */
    enum { COLD1, WARM1, COLDN, WARMN, N_ROWS };
    struct sg_bench_result *rows[N_ROWS];
    for (int k = 0; k < N_ROWS; k++) {
        rows[k] = calloc((size_t)o.repeat, sizeof(*rows[k]));
        if (rows[k] == NULL)
            sg_bench_die("out of memory");
    }
    struct mallinfo2 m0 = {0}, m1 = {0};
    long rss0 = 0, rss1 = 0;
    uint64_t added = 0;
    double prime_ms_min = 1e30, prime_ms_max = 0;
    for (int round = 0; round < o.repeat; round++) {
        struct sg_dir_stats s0, s1, s2;
        double prime_ms;

        struct sg_directory *a = sg_bench_open(&o, o.prime, &prime_ms);
        prime_ms_min = prime_ms < prime_ms_min ? prime_ms : prime_ms_min;
        prime_ms_max = prime_ms > prime_ms_max ? prime_ms : prime_ms_max;
        sg_dir_stats(a, &s0);
        if (round == 0) {
            m0 = mallinfo2();
            rss0 = sg_bench_rss_kib();
        }
        rows[COLD1][round] = sg_bench_run("cold (every miss)", a, addrs,
                                          n_addrs, SG_BENCH_COLD, 1, 0);
        if (round == 0) {
            m1 = mallinfo2();
            rss1 = sg_bench_rss_kib();
        }
        sg_dir_stats(a, &s1);
        sg_bench_expect_counters("cold 1 thread misses",
                                 s1.misses - s0.misses, n_addrs);
        sg_bench_expect_counters("cold 1 thread hits", s1.hits - s0.hits, 0);
        sg_bench_expect_counters("cold 1 thread evictions", s1.evictions, 0);
        added = s1.entries - s0.entries;

        rows[WARM1][round] =
            sg_bench_run("warm (every hit)", a, addrs, n_addrs, SG_BENCH_WARM,
                         1, o.warm_lookups);
        rows[WARMN][round] =
            sg_bench_run("warm (every hit)", a, addrs, n_addrs, SG_BENCH_WARM,
                         o.threads_many, o.warm_lookups);
        sg_dir_stats(a, &s2);
        sg_bench_expect_counters("warm misses", s2.misses - s1.misses, 0);
        sg_bench_expect_counters("warm hits", s2.hits - s1.hits,
                                 rows[WARM1][round].lookups +
                                     rows[WARMN][round].lookups);
        sg_dir_free(&a);

        struct sg_directory *b = sg_bench_open(&o, o.prime, &prime_ms);
        prime_ms_min = prime_ms < prime_ms_min ? prime_ms : prime_ms_min;
        prime_ms_max = prime_ms > prime_ms_max ? prime_ms : prime_ms_max;
        sg_dir_stats(b, &s0);
        rows[COLDN][round] =
            sg_bench_run("cold (every miss)", b, addrs, n_addrs,
                         SG_BENCH_COLD, o.threads_many, 0);
        sg_dir_stats(b, &s1);
        sg_bench_expect_counters("cold N threads misses",
                                 s1.misses - s0.misses, n_addrs);
        sg_bench_expect_counters("cold N threads hits", s1.hits - s0.hits, 0);
        sg_dir_free(&b);
    }

    printf("%d rounds; each row is the median round by lookups/s, "
           "\"range\" the slowest and fastest round\n",
           o.repeat);
    printf("first lookup of each fresh directory (expands the 4 role "
           "groups; not in the table): %.0f to %.0f ms\n\n",
           prime_ms_min, prime_ms_max);
    printf("| %-18s | %7s | %7s | %9s | %17s | %8s | %8s | %8s | %8s |\n",
           "cache", "threads", "lookups", "lookups/s", "range",
           "p50 us", "p90 us", "p99 us", "max us");
    printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", "--------------------",
           "--------:", "--------:", "----------:", "------------------:",
           "---------:", "---------:", "---------:", "---------:");
    struct sg_bench_result med[N_ROWS];
    for (int k = 0; k < N_ROWS; k++) {
        med[k] = sg_bench_median(rows[k], o.repeat);
        sg_bench_row(&med[k], rows[k], o.repeat);
    }
    printf("\n");
    printf("cold p50 by answer: found %.1f us (%zu), not found %.1f us "
           "(%zu), 1 thread\n",
           (double)med[COLD1].p50_found / 1e3, med[COLD1].n_found,
           (double)med[COLD1].p50_notfound / 1e3, med[COLD1].n_notfound);
    double tp1 = sg_bench_rate(&med[WARM1]) / sg_bench_rate(&med[COLD1]);
    double tpn = sg_bench_rate(&med[WARMN]) / sg_bench_rate(&med[COLDN]);
    printf("warm/cold, 1 thread:   %.0fx lookups/s, %.0fx faster at p50\n",
           tp1, (double)med[COLD1].p50 / (double)med[WARM1].p50);
    printf("warm/cold, %d threads: %.0fx lookups/s, %.0fx faster at p50\n",
           o.threads_many, tpn, (double)med[COLDN].p50 / (double)med[WARMN].p50);
    printf("cache memory: %llu entries added by the first cold 1-thread "
           "round (%zu found, %zu not found):\n"
           "  malloc in use +%.0f KiB (%.2f MiB per 10,000 entries, "
           "%.0f bytes an entry); RSS +%ld KiB\n",
           (unsigned long long)added, rows[COLD1][0].n_found,
           rows[COLD1][0].n_notfound,
           (double)(m1.uordblks - m0.uordblks) / 1024.0,
           (double)(m1.uordblks - m0.uordblks) / (double)added * 10000.0 /
               (1024.0 * 1024.0),
           (double)(m1.uordblks - m0.uordblks) / (double)added,
           rss1 - rss0);
    int pass = tp1 >= 100.0 && tpn >= 100.0;
    printf("done-when (warm at least 100x faster than cold, lookups/s): %s\n",
           pass ? "yes" : "NO");
    for (int k = 0; k < N_ROWS; k++)
        free(rows[k]);

    for (size_t i = 0; i < n_addrs; i++) {
        free(addrs[i].address);
        free(addrs[i].role);
    }
    free(addrs);
    return 0;
}
