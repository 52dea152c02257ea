/*
 * fdio.h - small file-descriptor helpers.
 */
#ifndef SG_FDIO_H
#define SG_FDIO_H

#include <stddef.h>
#include <sys/stat.h>

/* Write all len bytes (retrying on EINTR and short writes); 0, or -1 with
 * errno set. */
int sg_write_all(int fd, const void *data, size_t len);

/* Read a regular file of at most max bytes into *data_r (NUL-terminated,
 * free it), its length in *len_r and, if st_r is not NULL, its stat.
 * open_flags are added to O_RDONLY | O_CLOEXEC | O_NOCTTY (O_NOFOLLOW, for
 * instance).  0, or -1 with *error_r ("PATH: reason", common/sg_error.h)
 * and errno set (ENOENT: the file does not exist). */
int sg_read_small_file(const char *path, size_t max, int open_flags,
                       char **data_r, size_t *len_r, struct stat *st_r,
                       const char **error_r);

/* libmilter owns its listening socket and offers no handle on it: find
 * the listening TCP sockets among our descriptors and set TCP_NODELAY on
 * them (accepted sockets inherit it).  0, or -1 with errno from the first
 * setsockopt that failed. */
int sg_nodelay_on_listeners(void);

#endif
