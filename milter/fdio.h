/*
 * fdio.h - small file-descriptor helpers.
 */
#ifndef SG_FDIO_H
#define SG_FDIO_H

#include <stddef.h>

/* Write all len bytes (retrying on EINTR and short writes); 0, or -1 with
 * errno set. */
int sg_write_all(int fd, const void *data, size_t len);

#endif
