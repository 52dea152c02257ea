/*
 * background.c - the daemon's background threads and their stop
 * (background.h).
 *
 * A detached thread that sleeps would let the daemon return from main
 * (shutting GMime and libxml2 down, and under a leak checker stopping the
 * world) while it is in a turn: running postqueue, handing a notice to
 * sendmail (a fork), reading the store.  So every sleep here is a timed
 * wait on a condition that the stop signals, and the stop joins each
 * thread: it returns once every turn under way has ended.  A turn's
 * commands have their own timeouts, so the stop is bounded by them.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sysexits.h>
#include <time.h>

#include "background.h"
#include "log.h"

/* The outbox, the decisions, the reconcile, the trim, and room. */
#define BACKGROUND_MAX 8

struct sg_background {
    const char *name;
    sg_background_turn turn;
    void *arg;
    pthread_t tid;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */
    bool woken;
};

static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sg_background bg_threads[BACKGROUND_MAX];
static size_t bg_count; /* started; written by the main thread only */
static bool bg_stopping;

static void *
background_thread(void *arg)
{
    struct sg_background *bg = arg;
    pthread_mutex_lock(&bg_lock);
    while (!bg_stopping) {
        pthread_mutex_unlock(&bg_lock);
        unsigned wait = bg->turn(bg->arg);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait > 0 ? wait : 1;
        pthread_mutex_lock(&bg_lock);
        while (!bg_stopping && !bg->woken &&
               pthread_cond_timedwait(&bg->cond, &bg_lock, &until) !=
                   ETIMEDOUT)
            ;
        bg->woken = false;
    }
    pthread_mutex_unlock(&bg_lock);
    return NULL;
}

struct sg_background *
sg_background_start(const char *name, sg_background_turn turn, void *arg)
{
    if (bg_count == BACKGROUND_MAX)
        sg_log_fatal(EX_SOFTWARE, "cannot start the %s thread: too many "
                     "background threads", name);
    struct sg_background *bg = &bg_threads[bg_count];
    bg->name = name;
    bg->turn = turn;
    bg->arg = arg;
    bg->woken = false;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&bg->cond, &attr);
    pthread_condattr_destroy(&attr);
    if (pthread_create(&bg->tid, NULL, background_thread, bg) != 0)
        sg_log_fatal(EX_OSERR, "cannot start the %s thread", name);
    bg_count++;
    return bg;
}

void
sg_background_wake(struct sg_background *bg)
{
    if (bg == NULL)
        return;
    pthread_mutex_lock(&bg_lock);
    bg->woken = true;
    pthread_cond_signal(&bg->cond);
    pthread_mutex_unlock(&bg_lock);
}

bool
sg_background_stopping(void)
{
    pthread_mutex_lock(&bg_lock);
    bool stopping = bg_stopping;
    pthread_mutex_unlock(&bg_lock);
    return stopping;
}

void
sg_background_stop(void)
{
    pthread_mutex_lock(&bg_lock);
    bg_stopping = true;
    for (size_t i = 0; i < bg_count; i++)
        pthread_cond_signal(&bg_threads[i].cond);
    pthread_mutex_unlock(&bg_lock);
    /* the conditions stay: a connection thread may still wake one */
    for (size_t i = 0; i < bg_count; i++) {
        pthread_join(bg_threads[i].tid, NULL);
        sg_log_debug("the %s thread stopped", bg_threads[i].name);
    }
}
