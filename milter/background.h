/*
 * background.h - the daemon's background threads (the outbox, the
 * decision pickup, the hold reconcile, the memory trim) and their stop.
 * Each runs a turn, then sleeps until its next turn is due or it is
 * woken; when the daemon stops, sg_background_stop ends every thread
 * after the turn it is in and waits for it, so that no command is
 * running and no library is in use when the daemon shuts its libraries
 * down and exits.
 */
#ifndef SG_BACKGROUND_H
#define SG_BACKGROUND_H

#include <stdbool.h>

/* One turn: does its work and returns the seconds until the next turn
 * (at least one). */
typedef unsigned (*sg_background_turn)(void *arg);

struct sg_background;

/* Start a thread that runs turn(arg) at once, then again when it asks or
 * when woken, until sg_background_stop; name is for the log.  Exits the
 * daemon (EX_OSERR) if the thread cannot be started. */
struct sg_background *sg_background_start(const char *name,
                                          sg_background_turn turn,
                                          void *arg);

/* Run its next turn now (after the one it is in).  NULL: a no-op. */
void sg_background_wake(struct sg_background *bg);

/* Whether the stop has begun: a turn with a long list of work asks it
 * between items and ends early. */
bool sg_background_stopping(void);

/* Stop every thread started, each after the turn it is in, and wait for
 * them.  Once, at the end. */
void sg_background_stop(void);

#endif
