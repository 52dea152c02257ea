/*
 * sg_runtime.h - what the daemon runs on: its settings and what they
 * name, opened (the directory, the compiled rules, the exceptions
 * register, notices, and the store on first use).
 *
 * A runtime is an immutable, reference-counted snapshot: a reload (SIGHUP)
 * opens a new one and swaps it in; connections in flight keep the one
 * they started with.  Only the store is opened later, on first use
 * (sg_runtime_quarantine), so that its files belong to the user the daemon
 * runs as; a mutex guards that.
 */
#ifndef SG_RUNTIME_H
#define SG_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>

#include "notice.h"
#include "sg_config.h"
#include "sg_directory.h"
#include "sg_rules.h"
#include "store.h"

struct sg_runtime {
    atomic_int refs;
    struct sg_config *settings; /* owned; never changed */

    struct sg_directory *directory; /* NULL: directory_backend = none */
    struct sg_rules *rules;         /* NULL: rules_file empty */
    struct sg_register *exceptions; /* NULL: no exceptions register */
    struct sg_notice *notice;       /* NULL: notices off (notice_from "") */
    /* A trust's schools (settings->schools, in order): each one's rules
     * and notices; NULL when there are no schools (sg_runtime_rules and
     * sg_runtime_notice choose). */
    struct sg_rules **school_rules;
    struct sg_notice **school_notice;

    pthread_mutex_t quarantine_lock;
    struct sg_store *quarantine; /* opened on first use */
};

/* Open what settings name (taken over: freed with the runtime, or here on
 * failure).  *rt_r has one reference.  -1 with *error_r ("FILE:LINE:
 * reason" where a key is to blame). */
int sg_runtime_open(struct sg_config *settings, struct sg_runtime **rt_r,
                    const char **error_r);

/* The runtime's store, opened on first call.  NULL with *error_r when it
 * cannot be opened (the caller tempfails the message). */
struct sg_store *sg_runtime_quarantine(struct sg_runtime *rt,
                                            const char **error_r);

/* The rules and the notices of a school of the trust (core/school.h);
 * school NULL, or no schools: the trust's (rt->rules, rt->notice). */
struct sg_school;
const struct sg_rules *sg_runtime_rules(const struct sg_runtime *rt,
                                        const struct sg_school *school);
struct sg_notice *sg_runtime_notice(const struct sg_runtime *rt,
                                    const struct sg_school *school);

struct sg_runtime *sg_runtime_ref(struct sg_runtime *rt);
void sg_runtime_unref(struct sg_runtime **rt);

/* The process-wide current runtime.  get returns a new reference (NULL
 * before the first set); set takes over the caller's reference. */
struct sg_runtime *sg_runtime_current(void);
void sg_runtime_set_current(struct sg_runtime *rt);

#endif
