/*
 * bench_store.h - one held message as the milter records it, for the
 * benchmarks that fill a store (bench_review_page, bench_hold).
 */
#ifndef SG_BENCH_STORE_H
#define SG_BENCH_STORE_H

#include <time.h>

#include "store.h"

/* The schools of a trust the records are spread over (a trust's store
 * holds several schools' mail): message i is school number i % this. */
#define SG_BENCH_SCHOOLS 10

/* Hold message number i (about 4 KB, from one of 40 senders to one of
 * 400 pupils, one rule or two, of school i % SG_BENCH_SCHOOLS) held at
 * when, with queue id "4B" and i in hex: sg_store_hold's result, *id_r
 * its record id. */
int sg_bench_hold(struct sg_store *q, unsigned i, time_t when, char **id_r,
                  const char **error_r);

#endif
