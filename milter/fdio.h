/*
 * fdio.h - small file-descriptor helpers.
 */
#ifndef SG_FDIO_H
#define SG_FDIO_H

#include <stddef.h>

/* Write all len bytes (retrying on EINTR and short writes); 0, or -1 with
 * errno set. */
int sg_write_all(int fd, const void *data, size_t len);

/* libmilter owns its listening socket and offers no handle on it: find
 * the listening TCP sockets among our descriptors and set TCP_NODELAY on
 * them (accepted sockets inherit it).  0, or -1 with errno from the first
 * setsockopt that failed. */
int sg_nodelay_on_listeners(void);

#endif
