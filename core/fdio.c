/*
 * fdio.c - file descriptor helpers: write a whole buffer; read a small
 * file whole; TCP_NODELAY on libmilter's listening sockets.
 *
 * Fails by returning -1 with errno from the system call (and, for the
 * file reader, a message).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdio.h"
#include "sg_error.h"

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

int
sg_nodelay_on_listeners(void)
{
    struct rlimit rl;
    int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
                  ? (int)rl.rlim_cur
                  : 65536;
    int rc = 0, saved = 0;
    for (int fd = 3; fd < max; fd++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int listening = 0, one = 1;
        socklen_t optlen = sizeof(listening);
        if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
            continue;
        if (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
            continue;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) !=
                0 ||
            !listening)
            continue;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 &&
            rc == 0) {
            rc = -1;
            saved = errno;
        }
    }
    errno = saved;
    return rc;
}

/* Set *error_r to "PATH: reason" and errno to e; -1. */
static int
read_fail(const char **error_r, int e, const char *path, const char *why)
{
    sg_error_fail(error_r, "%s: %s", path, why);
    errno = e;
    return -1;
}

int
sg_read_small_file(const char *path, size_t max, int open_flags, char **data_r,
                   size_t *len_r, struct stat *st_r, const char **error_r)
{
    char too_big[64];
    snprintf(too_big, sizeof(too_big), "larger than %zu bytes", max);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | open_flags);
    if (fd < 0)
        return read_fail(error_r, errno, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return read_fail(error_r, e, path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return read_fail(error_r, EINVAL, path, "not a regular file");
    }
    if ((uintmax_t)st.st_size > max) {
        close(fd);
        return read_fail(error_r, EFBIG, path, too_big);
    }
    char *data = malloc(max + 1);
    if (data == NULL) {
        close(fd);
        return read_fail(error_r, ENOMEM, path, "out of memory");
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, data + len, max + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(data);
            close(fd);
            return read_fail(error_r, e, path, strerror(e));
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max) {
            free(data);
            close(fd);
            return read_fail(error_r, EFBIG, path, too_big);
        }
    }
    close(fd);
    data[len] = '\0';
    *data_r = data;
    *len_r = len;
    if (st_r != NULL)
        *st_r = st;
    return 0;
}
