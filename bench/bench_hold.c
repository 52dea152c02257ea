/*
 * bench_hold.c - the hold path's store side: every message held, as the
 * milter holds it (sg_store_hold: the copy written and synced, the record
 * with its recipients, rules, findings and audit row in one transaction),
 * from several threads at once, on each store named on the command line,
 * side by side in one run.  The first store is the baseline of the ratio
 * (bench/run-hold.sh: SQLite first, then PostgreSQL).
 *
 * Usage: bench_hold [--messages N] [--threads T] [--rounds R]
 *                   NAME=LOCATION DIR...
 *   (pairs: a store location, "sqlite:PATH" or "postgresql:CONNINFO",
 *   and its message directory).  With R rounds (default 1) each store
 *   holds N/R messages in turn, R times, and its times are summed: the
 *   other work on a shared machine then weighs on every store alike.
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
    unsigned messages = 2000, threads = 4, rounds = 1;
    static const struct option opts[] = {
        {"messages", required_argument, NULL, 'm'},
        {"threads", required_argument, NULL, 't'},
        {"rounds", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'm')
            messages = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 't')
            threads = (unsigned)strtoul(optarg, NULL, 10);
        else if (c == 'r')
            rounds = (unsigned)strtoul(optarg, NULL, 10);
        else
            sg_bench_die("usage: bench_hold [--messages N] [--threads T] "
                         "[--rounds R] NAME=LOCATION DIR...");
    }
    if (threads < 1 || threads > 64 || rounds < 1 || rounds > 1000 ||
        messages < threads * rounds || (argc - optind) < 2 ||
        (argc - optind) % 2 != 0)
        sg_bench_die("usage: bench_hold [--messages N] [--threads T] "
                     "[--rounds R] NAME=LOCATION DIR...");
    printf("%-12s %9s %8s %11s %7s\n", "store", "messages", "seconds",
           "messages/s", "ratio");
    size_t n_stores = (size_t)(argc - optind) / 2;
    struct sg_store **q = sg_bench_xmalloc(n_stores * sizeof(*q));
    double *secs = sg_bench_xmalloc(n_stores * sizeof(*secs));
    for (size_t s = 0; s < n_stores; s++) {
        const char *loc = strchr(argv[optind + 2 * s], '=');
        const char *err = NULL;
        if (loc == NULL)
            sg_bench_die("%s: NAME=LOCATION", argv[optind + 2 * s]);
        if (sg_store_open(loc + 1, argv[optind + 2 * s + 1], &q[s], &err) < 0)
            sg_bench_die("%s: %s", argv[optind + 2 * s], err);
        secs[s] = 0;
    }
    /* each round holds a share of the messages in every store in turn,
     * so that a change of the machine's load falls on them all */
    unsigned per = messages / rounds / threads; /* a thread's, a round */
    struct worker *w = sg_bench_xmalloc(threads * sizeof(*w));
    pthread_t *t = sg_bench_xmalloc(threads * sizeof(*t));
    for (unsigned r = 0; r < rounds; r++) {
        for (size_t s = 0; s < n_stores; s++) {
            uint64_t t0 = sg_bench_now_ns();
            for (unsigned k = 0; k < threads; k++) {
                w[k] = (struct worker){q[s], (r * threads + k) * per, per};
                if (pthread_create(&t[k], NULL, work, &w[k]) != 0)
                    sg_bench_die("cannot start a thread");
            }
            for (unsigned k = 0; k < threads; k++)
                pthread_join(t[k], NULL);
            secs[s] += (double)(sg_bench_now_ns() - t0) / 1e9;
        }
    }
    unsigned done = rounds * threads * per;
    for (size_t s = 0; s < n_stores; s++) {
        const char *name = argv[optind + 2 * s];
        int len = (int)(strchr(name, '=') - name);
        printf("%-12.*s %9u %8.2f %11.1f %7.2f\n", len, name, done, secs[s],
               done / secs[s], secs[0] / secs[s]);
        sg_store_close(&q[s]);
    }
    fflush(stdout);
    free(w);
    free(t);
    free(q);
    free(secs);
    return 0;
}
