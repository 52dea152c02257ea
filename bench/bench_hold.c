/*
 * bench_hold.c - the hold path's store side: every message held, as the
 * milter holds it (sg_store_hold: the copy written and synced, the record
 * with its recipients, rules, findings and audit row in one transaction),
 * from several threads at once, on each store named on the command line,
 * side by side in one run.  The first store is the baseline of the ratio
 * (bench/run-hold.sh: SQLite first, then PostgreSQL).
 *
 * Usage: bench_hold [--messages N] [--threads T] NAME=LOCATION DIR...
 *   (pairs: a store location, "sqlite:PATH" or "postgresql:CONNINFO",
 *   and its message directory)
 * Prints one row per store: messages, seconds, messages/s, and its ratio
 * to the first.  Exit 1 with a message on any failure.  Never part of
 * `make check`.
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_store.h"
#include "bench_util.h"

struct worker {
    struct sg_store *q;
    unsigned first, n;
};

static void *
work(void *arg)
{
    struct worker *w = arg;
    time_t now = time(NULL);
    for (unsigned i = w->first; i < w->first + w->n; i++) {
        char *id = NULL;
        const char *err = NULL;
        if (sg_bench_hold(w->q, i, now, &id, &err) != 0)
            sg_bench_die("hold: %s", err != NULL ? err : "?");
        free(id);
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    unsigned messages = 2000, threads = 4;
    static const struct option opts[] = {
        {"messages", required_argument, NULL, 'm'},
        {"threads", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'm')
            messages = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 't')
            threads = (unsigned)strtoul(optarg, NULL, 10);
        else
            sg_bench_die("usage: bench_hold [--messages N] [--threads T] "
                         "NAME=LOCATION DIR...");
    }
    if (threads < 1 || threads > 64 || messages < threads ||
        (argc - optind) < 2 || (argc - optind) % 2 != 0)
        sg_bench_die("usage: bench_hold [--messages N] [--threads T] "
                     "NAME=LOCATION DIR...");
    printf("%-12s %9s %8s %11s %7s\n", "store", "messages", "seconds",
           "messages/s", "ratio");
    double base = 0;
    for (int a = optind; a + 1 < argc; a += 2) {
        char *name = sg_bench_xstrdup(argv[a]);
        char *eq = strchr(name, '=');
        if (eq == NULL)
            sg_bench_die("%s: NAME=LOCATION", argv[a]);
        *eq = '\0';
        struct sg_store *q = NULL;
        const char *err = NULL;
        if (sg_store_open(eq + 1, argv[a + 1], &q, &err) < 0)
            sg_bench_die("%s: %s", name, err);
        struct worker *w = sg_bench_xmalloc(threads * sizeof(*w));
        pthread_t *t = sg_bench_xmalloc(threads * sizeof(*t));
        uint64_t t0 = sg_bench_now_ns();
        for (unsigned k = 0; k < threads; k++) {
            w[k] = (struct worker){q, k * (messages / threads),
                                   messages / threads};
            if (pthread_create(&t[k], NULL, work, &w[k]) != 0)
                sg_bench_die("cannot start a thread");
        }
        for (unsigned k = 0; k < threads; k++)
            pthread_join(t[k], NULL);
        double secs = (double)(sg_bench_now_ns() - t0) / 1e9;
        unsigned done = threads * (messages / threads);
        double rate = done / secs;
        if (base == 0)
            base = rate;
        printf("%-12s %9u %8.2f %11.1f %7.2f\n", name, done, secs, rate,
               rate / base);
        fflush(stdout);
        sg_store_close(&q);
        free(w);
        free(t);
        free(name);
    }
    return 0;
}
