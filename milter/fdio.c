/*
 * fdio.c - file descriptor helpers: write a whole buffer; TCP_NODELAY on
 * libmilter's listening sockets.
 *
 * Fails by returning -1 with errno from the system call.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
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
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) !=
                0 &&
            rc == 0) {
            rc = -1;
            saved = errno;
        }
    }
    errno = saved;
    return rc;
}
