/*
 * msgview_build.h - parse a raw message once with GMime into a message view.
 *
 * SECURITY: the input is attacker-controlled bytes.  The builder never
 * trusts declared charsets or sizes: text is converted to UTF-8 with
 * invalid sequences replaced (U+FFFD), HTML is reduced to text by libxml2's
 * tolerant parser, nesting is bounded (SG_MSGVIEW_MAX_DEPTH,
 * SG_MSGVIEW_MAX_MULTIPART), and the text parts' bytes as sent are bounded
 * (SG_MSGVIEW_MAX_TEXT: bytes past it are not read).  What a bound leaves
 * unread is said in view->incomplete (SG_INCOMPLETE_*), for the rules.
 * Fails by returning -1 with a static error string (allocation failure or a
 * stream that cannot be read).  A malformed MIME structure is NOT an error:
 * GMime repairs what it can and the view has malformed = true.
 */
#ifndef SG_MSGVIEW_BUILD_H
#define SG_MSGVIEW_BUILD_H

#include <stddef.h>

#include "extract_run.h"
#include "sg_msgview.h"

/* message/rfc822 parts nested deeper than this are counted, not opened
 * (SG_INCOMPLETE_DEPTH) */
#define SG_MSGVIEW_MAX_DEPTH 8
/* multiparts nested deeper than this (in all) are skipped, malformed =
 * true (SG_INCOMPLETE_NESTING) */
#define SG_MSGVIEW_MAX_MULTIPART 64
/* bytes of text parts, as sent, read for one view in all (the text made
 * of them is at most three times as much); what lies past is not read,
 * and the view says SG_INCOMPLETE_SIZE */
#define SG_MSGVIEW_MAX_TEXT ((size_t)16 * 1024 * 1024)

/* Call once per process, before any thread builds (wraps g_mime_init and
 * xmlInitParser); builds may then run concurrently. */
void sg_msgview_build_init(void);
void sg_msgview_build_shutdown(void);

/* Build from memory: the raw message, headers and body, LF or CRLF. */
int sg_msgview_build_mem(const char *data, size_t len,
                         struct sg_msgview **view_r, const char **error_r);
/* Build from an open descriptor of a regular file, positioned anywhere; the
 * whole file is read from offset 0, mapped and built as from memory (the
 * same view as sg_msgview_build_mem's of the same bytes).  The file must
 * not be shortened meanwhile (a mapped page past its end is SIGBUS).  The
 * descriptor is not closed; its file offset may be left anywhere (a file
 * that cannot be mapped is read through a dup() of it). */
int sg_msgview_build_fd(int fd, struct sg_msgview **view_r,
                        const char **error_r);

/* The same, with the text of attachments read by the helper
 * safeguard-extract(8) as x says (NULL, or x->enabled false: not read),
 * each added as a text part labelled with the attachment's name. */
int sg_msgview_build_mem_extract(const char *data, size_t len,
                                 const struct sg_extract_opts *x,
                                 struct sg_msgview **view_r,
                                 const char **error_r);
int sg_msgview_build_fd_extract(int fd, const struct sg_extract_opts *x,
                                struct sg_msgview **view_r,
                                const char **error_r);

#endif
