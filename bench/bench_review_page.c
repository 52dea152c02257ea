/*
 * bench_review_page.c - the review web page's server time per page with a
 * large quarantine: the queue page (first page of waiting mail, 50 rows),
 * its middle page and its last page as the page's links ask for them
 * ("middle", "last": ?after=CREATED,ID, the row before the page), the
 * last page as links made before asked for it ("offset": ?page=N, now
 * answered with a redirect to the first page), and an item page (a random held
 * record, its stored copy parsed and
 * shown with its findings marked), with N records in the store (default
 * 10,000), beside the same pages with a small store (default 100) in the
 * same run: the baseline, so the cost of a big store is the difference.
 *
 * What is timed is sg_web_handle, the whole server side of a request but
 * the socket: the session check, the SQLite queries, the message parse,
 * the HTML, and the audit row each view appends.  The HTTP layer
 * (libmicrohttpd) is the same for every page and is left out.
 *
 * The records are made with sg_store_hold, as the milter makes them
 * (from 4 threads, as the milter's): about 4 KB messages from one of 40
 * senders to one of 400 pupils, one or two rules each, spread over the
 * last 30 days and 10 schools (bench_store.h), a fifth of them decided.
 * The item pages are asked with no mail queue command (the page would run
 * postqueue once per view; that is Postfix's time, not ours).
 *
 * Usage: bench_review_page [--records N] [--baseline N] [--requests N]
 *                          [--dir DIR] [--pseudonymise]
 *                          [--postgresql CONNINFO]
 * --postgresql: the stores in PostgreSQL, each in a database of its own
 * (CONNINFO with dbname=sg_bench_N added, N the store's records; the
 * databases must exist and be empty: bench/run-review-page.sh makes
 * them), else in SQLite files under DIR.
 * --pseudonymise: the queue as review_pseudonymise = staff-conduct shows
 * it (the records' track asked again, a MAC per person shown).
 * Prints one table: page, store size, median and 99th percentile in
 * milliseconds, pages/s.  Exit 1 with a message on any failure (a page
 * that is not 200 fails the run).  Never part of `make check`.
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_store.h"
#include "store.h"
#include "review.h"
#include "web.h"

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_review_page: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static int
allow_all(void *ctx, const char *login, const char *password,
          const char **error_r)
{
    (void)ctx;
    (void)login;
    (void)password;
    (void)error_r;
    return SG_WEB_AUTH_OK;
}

/* ------------------------------------------------------------ the store */

static const char *pg_conninfo; /* --postgresql */

/* Where the store of n records is: its location for sg_store_open. */
static void
location(char *buf, size_t size, const char *dir, unsigned n)
{
    if (pg_conninfo != NULL)
        snprintf(buf, size, "postgresql:%s dbname=sg_bench_%u", pg_conninfo,
                 n);
    else
        snprintf(buf, size, "%s/q.db", dir);
}

#define FILL_THREADS 4

struct filler {
    struct sg_store *q;
    char **ids;
    unsigned first, records;
    time_t now;
};

/* Records first, first + FILL_THREADS, ...: a fifth of them released. */
static void *
fill_some(void *arg)
{
    struct filler *f = arg;
    const char *err;
    for (unsigned i = f->first; i < f->records; i += FILL_THREADS) {
        /* the same spread over 30 days on every run, from any thread */
        uint32_t h = (uint32_t)i * 2654435761u;
        if (sg_bench_hold(f->q, i, f->now - (time_t)(h % (30 * 86400)),
                          &f->ids[i], &err) < 0)
            die("hold: %s", err);
        if (i % 5 == 4 && sg_store_set_status(f->q, f->ids[i], SG_QSTATUS_HELD,
                                              SG_QSTATUS_RELEASED, "bench",
                                              "192.0.2.1", "ok", &err) != 0)
            die("status: %s", err);
    }
    return NULL;
}

static char **
fill(const char *dir, unsigned records, struct sg_store **q_r)
{
    char db[1024], store[512];
    location(db, sizeof(db), dir, records);
    snprintf(store, sizeof(store), "%s/messages", dir);
    const char *err;
    if (sg_store_open(db, store, q_r, &err) < 0)
        die("%s", err);
    char **ids = calloc(records, sizeof(*ids));
    if (ids == NULL)
        die("out of memory");
    struct filler f[FILL_THREADS];
    pthread_t t[FILL_THREADS];
    for (unsigned k = 0; k < FILL_THREADS; k++) {
        f[k] = (struct filler){*q_r, ids, k, records, time(NULL)};
        if (pthread_create(&t[k], NULL, fill_some, &f[k]) != 0)
            die("cannot start a thread");
    }
    for (unsigned k = 0; k < FILL_THREADS; k++)
        pthread_join(t[k], NULL);
    return ids;
}

/* ------------------------------------------------------------ timing */

static double
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct store {
    unsigned records;
    char dir[256];
    struct sg_store *q;
    struct sg_review *r;
    struct sg_web *w;
    char **ids;
    char session[64];
    char middle[128], last[128]; /* the cursors of those pages */
};

/* The cursor of the page after the waiting queue's row at (oldest
 * first), as the page's More link has it: "CREATED,ID". */
static void
cursor_at(struct store *s, unsigned at, char *buf, size_t size)
{
    struct sg_store_filter f = {
        .waiting = true, .oldest_first = true, .limit = 1, .offset = at};
    struct sg_store_item *items = NULL;
    size_t n = 0;
    const char *err;
    if (sg_store_list(s->q, &f, &items, &n, &err) < 0)
        die("%s", err);
    if (n != 1)
        die("no waiting row %u", at);
    snprintf(buf, size, "%lld,%s", (long long)items[0].created, items[0].id);
    sg_store_items_free(&items, &n);
}

static bool pseudonymise; /* --pseudonymise */

/* The waiting queue's pages: four fifths wait, 50 a page. */
static unsigned
waiting_pages(unsigned records)
{
    unsigned n = records * 4 / 5;
    return n / 50 > 0 ? n / 50 : 1;
}

static void
open_store(struct store *s, const char *base, unsigned records)
{
    s->records = records;
    snprintf(s->dir, sizeof(s->dir), "%s/store-%u", base, records);
    if (mkdir(s->dir, 0700) < 0)
        die("cannot make %s (remove it first)", s->dir);
    fprintf(stderr, "filling a store with %u records...\n", records);
    double t0 = now_ms();
    s->ids = fill(s->dir, records, &s->q);
    fprintf(stderr, "  filled in %.0f s\n", (now_ms() - t0) / 1000);
    /* the rows that end the page before the middle and the last pages */
    unsigned pages = waiting_pages(records);
    cursor_at(s, (pages / 2 > 0 ? pages / 2 : 1) * 50 - 1, s->middle,
              sizeof(s->middle));
    cursor_at(s, (pages > 1 ? pages - 1 : 1) * 50 - 1, s->last,
              sizeof(s->last));
    char db[1024], store[512];
    location(db, sizeof(db), s->dir, records);
    snprintf(store, sizeof(store), "%s/messages", s->dir);
    struct sg_review_options o = {.db_path = db, .store_dir = store};
    sg_review_settings_init(&o.settings);
    o.settings.queue_command = (char *)""; /* no postqueue per view */
    const char *err;
    if (sg_review_open(&o, &s->r, &err) < 0)
        die("%s", err);
    struct sg_web_options wo = {
        .review = s->r,
        .auth = allow_all,
        .session_idle = 3600,
        .session_max = 86400,
        .login_attempts = 5,
        .login_lockout = 60,
        .pseudonymous_tracks =
            pseudonymise ? 1u << SG_TRACK_STAFF_CONDUCT : 0,
    };
    if (sg_web_new(&wo, &s->w, &err) < 0)
        die("%s", err);
    /* log in: the login form's token, then the post */
    struct sg_web_request get = {.method = "GET",
                                 .path = "/login",
                                 .client = "127.0.0.1",
                                 .now = time(NULL)};
    struct sg_web_response resp;
    sg_web_handle(s->w, &get, &resp);
    const char *c = resp.cookies[0] + strlen(SG_WEB_LOGIN_COOKIE "=");
    char token[64];
    snprintf(token, sizeof(token), "%.*s", (int)strcspn(c, ";"), c);
    sg_web_response_free(&resp);
    struct sg_web_param form[] = {
        {"csrf", token}, {"user", "dsl"}, {"password", "x"}};
    struct sg_web_request post = {.method = "POST",
                                  .path = "/login",
                                  .form = form,
                                  .n_form = 3,
                                  .login_cookie = token,
                                  .client = "127.0.0.1",
                                  .now = time(NULL)};
    sg_web_handle(s->w, &post, &resp);
    if (resp.status != 303 || resp.n_cookies == 0)
        die("cannot log in (status %u)", resp.status);
    c = resp.cookies[0] + strlen(SG_WEB_SESSION_COOKIE "=");
    snprintf(s->session, sizeof(s->session), "%.*s", (int)strcspn(c, ";"), c);
    sg_web_response_free(&resp);
}

static void
close_store(struct store *s)
{
    sg_web_free(&s->w);
    sg_review_close(&s->r);
    sg_store_close(&s->q);
    for (unsigned i = 0; i < s->records; i++)
        free(s->ids[i]);
    free(s->ids);
}

/* Time n requests of one page; the item page picks a record each time. */
static void
run(struct store *s, const char *page, unsigned n, double *t)
{
    for (unsigned i = 0; i < n; i++) {
        char path[128], pages[16];
        struct sg_web_param query[1];
        size_t n_query = 1;
        snprintf(pages, sizeof(pages), "%u", waiting_pages(s->records));
        if (strcmp(page, "offset") == 0)
            query[0] = (struct sg_web_param){"page", pages};
        else if (strcmp(page, "middle") == 0)
            query[0] = (struct sg_web_param){"after", s->middle};
        else if (strcmp(page, "last") == 0)
            query[0] = (struct sg_web_param){"after", s->last};
        else
            n_query = 0;
        if (strcmp(page, "item") == 0)
            snprintf(path, sizeof(path), "/item/%s",
                     s->ids[(unsigned)rand() % s->records]);
        else
            snprintf(path, sizeof(path), "/queue");
        struct sg_web_request req = {.method = "GET",
                                     .path = path,
                                     .query = n_query > 0 ? query : NULL,
                                     .n_query = n_query,
                                     .session_cookie = s->session,
                                     .client = "127.0.0.1",
                                     .now = time(NULL)};
        struct sg_web_response resp;
        double t0 = now_ms();
        sg_web_handle(s->w, &req, &resp);
        t[i] = now_ms() - t0;
        /* an old page=N link is sent to the first page */
        if (resp.status != (strcmp(page, "offset") == 0 ? 303u : 200u))
            die("%s%s%s%s answered %u", path, n_query > 0 ? "?" : "",
                n_query > 0 ? query[0].name : "",
                n_query > 0 ? query[0].value : "", resp.status);
        sg_web_response_free(&resp);
    }
    qsort(t, n, sizeof(*t), cmp_double);
}

int
main(int argc, char **argv)
{
    unsigned records = 10000, baseline = 100, requests = 500;
    const char *base = NULL;
    static const struct option lo[] = {
        {"records", required_argument, NULL, 'n'},
        {"baseline", required_argument, NULL, 'b'},
        {"requests", required_argument, NULL, 'r'},
        {"dir", required_argument, NULL, 'd'},
        {"pseudonymise", no_argument, NULL, 'p'},
        {"postgresql", required_argument, NULL, 'g'},
        {NULL, 0, NULL, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 'n':
            records = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'b':
            baseline = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'r':
            requests = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'd':
            base = optarg;
            break;
        case 'p':
            pseudonymise = true;
            break;
        case 'g':
            pg_conninfo = optarg;
            break;
        default:
            return 1;
        }
    }
    if (records == 0 || baseline == 0 || requests == 0)
        die("--records, --baseline and --requests must be positive");
    char tmp[] = "/tmp/sg-bench-review-XXXXXX";
    if (base == NULL && (base = mkdtemp(tmp)) == NULL)
        die("cannot make a temporary directory");

    struct store stores[2];
    memset(stores, 0, sizeof(stores));
    open_store(&stores[0], base, baseline);
    open_store(&stores[1], base, records);
    double *t = malloc(requests * sizeof(*t));
    if (t == NULL)
        die("out of memory");
    const char *kind = pg_conninfo != NULL ? "postgresql" : "sqlite";
    printf("%-10s %-6s %9s %10s %10s %9s\n", "store", "page", "records",
           "median ms", "p99 ms", "pages/s");
    const char *pages[] = {"queue", "middle", "last", "offset", "item"};
    for (size_t p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
        for (size_t k = 0; k < 2; k++) {
            struct store *s = &stores[k];
            run(s, pages[p], requests / 10 + 1, t); /* warm up */
            run(s, pages[p], requests, t);
            double sum = 0;
            for (unsigned i = 0; i < requests; i++)
                sum += t[i];
            printf("%-10s %-6s %9u %10.3f %10.3f %9.0f\n", kind, pages[p],
                   s->records,
                   t[requests / 2], t[(size_t)(requests * 0.99)],
                   1000.0 * requests / sum);
        }
    }
    free(t);
    close_store(&stores[0]);
    close_store(&stores[1]);
    fprintf(stderr, "stores left in %s (remove with rm -r)\n", base);
    return 0;
}
