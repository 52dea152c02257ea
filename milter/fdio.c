/*
 * fdio.c - write a whole buffer to a file descriptor.
 *
 * Fails by returning -1 with errno from write(2).
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "fdio.h"

int
sg_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
