/*
 * msgbuf.h - the raw bytes of one message, in memory up to a bound and in
 * an unlinked temporary file past it, so that a 50 MB message does not live
 * in memory twice (once here, once in the MIME parser).
 */
#ifndef SG_MSGBUF_H
#define SG_MSGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_buf.h"

struct sg_msgbuf {
    struct sg_buf mem; /* used until the limit is passed */
    int fd;            /* -1, or the spill file once past the limit */
    uint64_t size;     /* bytes appended so far */
    uint64_t limit;    /* spill past this many bytes */
    const char *tmpdir;
};

void sg_msgbuf_init(struct sg_msgbuf *buf, uint64_t limit, const char *tmpdir);
/* 0, or -1 with *error_r (allocation, or the spill file cannot be made or
 * written: the caller tempfails the message). */
int sg_msgbuf_append(struct sg_msgbuf *buf, const void *data, size_t len,
                     const char **error_r);
static inline bool
sg_msgbuf_spilled(const struct sg_msgbuf *buf)
{
    return buf->fd >= 0;
}
/* Forget the message: its memory is freed and any file closed, so the
 * buffer holds nothing until the next message's first append. */
void sg_msgbuf_reset(struct sg_msgbuf *buf);
void sg_msgbuf_free(struct sg_msgbuf *buf);

#endif
