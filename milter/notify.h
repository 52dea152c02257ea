/*
 * notify.h - the daemon's outbox thread: it hands the notices the hold
 * path wrote to the outbox to the local sendmail, after the MTA has the
 * answer, and retries those sendmail would not take.
 */
#ifndef SG_NOTIFY_H
#define SG_NOTIFY_H

/* Start the thread (once, after the privileges are dropped).  It sends
 * what is due at once, so notices left unsent by an earlier run go
 * first. */
void sg_notify_start(void);

/* Ask the thread to look at the outbox now (a hold wrote notices).  A
 * no-op before sg_notify_start. */
void sg_notify_wake(void);

#endif
