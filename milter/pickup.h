/*
 * pickup.h - the daemon's decision thread: it carries out, on this
 * host's hold queue, the decisions taken on any host (the review page or
 * command line, wherever it runs) about messages this host holds
 * (core/store_hosts.h).
 */
#ifndef SG_PICKUP_H
#define SG_PICKUP_H

/* Start the thread (once, after the privileges are dropped).  It looks
 * at once, so decisions taken while the daemon was stopped go first. */
void sg_pickup_start(void);

#endif
