/*
 * msgbuf.c - per-message raw buffer with spill to a temporary file.
 *
 * SECURITY: the spill file is made with O_TMPFILE (mode 0600), so it never
 * has a name: no other process can open it, and nothing is left behind if
 * the daemon dies.  Where the file system lacks O_TMPFILE, mkstemp and an
 * immediate unlink come close.  Message content is never interpreted here.
 * Fails by returning -1 with a static error string; the buffer then holds
 * an incomplete message and the caller must tempfail it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "msgbuf.h"

/* Room a message's first piece reserves (within the limit): the header
 * lines and body of a letter of a few KB, which come in a piece a
 * header, fill it without growing the buffer again and again. */
#define MSGBUF_FIRST 8192

void
sg_msgbuf_init(struct sg_msgbuf *buf, uint64_t limit, const char *tmpdir)
{
    buf->mem = (struct sg_buf)SG_BUF_INIT;
    buf->fd = -1;
    buf->size = 0;
    buf->limit = limit;
    buf->tmpdir = tmpdir;
}

/* An unnamed file in tmpdir: O_TMPFILE where the file system has it, so
 * the file never has a name; otherwise mkstemp and unlink at once. */
static int
open_spill(const char *tmpdir, char *path, size_t len)
{
#ifdef O_TMPFILE
    int fd = open(tmpdir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return -1; /* e.g. no such directory: mkstemp would fail too */
#endif
    int n = snprintf(path, len, "%s/safeguard-msg.XXXXXX", tmpdir);
    if (n < 0 || (size_t)n >= len)
        return -1;
    int tmp = mkstemp(path);
    if (tmp >= 0)
        unlink(path);
    return tmp;
}

static int
spill(struct sg_msgbuf *buf, const char **error_r)
{
    char path[4096];
    int fd = open_spill(buf->tmpdir, path, sizeof(path));
    if (fd < 0) {
        *error_r = "cannot create a temporary file in tmpdir";
        return -1;
    }
    if (sg_write_all(fd, buf->mem.data, buf->mem.len) < 0) {
        close(fd);
        *error_r = "cannot write the temporary file in tmpdir";
        return -1;
    }
    buf->fd = fd;
    sg_buf_free(&buf->mem);
    return 0;
}

/* What a message's first piece of len bytes reserves: MSGBUF_FIRST
 * bytes with the NUL, or the piece alone past it or past the limit. */
static size_t
first_room(const struct sg_msgbuf *buf, size_t len)
{
    return len < MSGBUF_FIRST && MSGBUF_FIRST <= buf->limit ? MSGBUF_FIRST - 1
                                                            : len;
}

int
sg_msgbuf_append(struct sg_msgbuf *buf, const void *data, size_t len,
                 const char **error_r)
{
    if (len == 0)
        return 0;
    if (buf->fd < 0 && buf->size + len > buf->limit &&
        spill(buf, error_r) < 0)
        return -1;
    if (buf->fd >= 0) {
        if (sg_write_all(buf->fd, data, len) < 0) {
            *error_r = "cannot write the temporary file in tmpdir";
            return -1;
        }
    } else if ((buf->mem.cap == 0 &&
                sg_buf_reserve(&buf->mem, first_room(buf, len)) < 0) ||
               sg_buf_append(&buf->mem, data, len) < 0) {
        *error_r = "out of memory";
        return -1;
    }
    buf->size += len;
    return 0;
}

/* The memory goes back to the allocator at the end of each message: a
 * connection waiting for its next message (most never send one) holds
 * none of it, and the next message grows a buffer of its own size. */
void
sg_msgbuf_reset(struct sg_msgbuf *buf)
{
    if (buf->fd >= 0)
        close(buf->fd);
    buf->fd = -1;
    buf->size = 0;
    sg_buf_free(&buf->mem);
}

void
sg_msgbuf_free(struct sg_msgbuf *buf)
{
    sg_msgbuf_reset(buf);
}
