/*
 * html_text.h - HTML reduced to the text a reader sees, for the message
 * view builder.  Call sg_msgview_build_init() first (xmlInitParser).
 */
#ifndef SG_HTML_TEXT_H
#define SG_HTML_TEXT_H

#include <stddef.h>

#include "sg_buf.h"

/* UTF-8 HTML (len bytes) to text appended to out: script/style dropped,
 * blocks on lines of their own, table cells separated by tabs, link
 * targets kept, <blockquote> lines marked '>'.  What it hides goes to
 * hidden, attribute values and CSS content strings to markup (see
 * html_places.h).  When libxml2 cannot begin a document the markup
 * itself is kept in out.  The results are not checked UTF-8 (libxml2 wrote them).
 * HTML that is not valid UTF-8 (or holds a NUL) is read with each invalid
 * byte as U+FFFD.  0, or -1 out of memory. */
int sg_html_to_text(const char *html, size_t len, struct sg_buf *out,
                    struct sg_buf *hidden, struct sg_buf *markup);

/* The same, the plain way: libxml2 reads its own copy of the HTML as it
 * is, no runs given as marks.  Slower; the tests hold sg_html_to_text to
 * it. */
int sg_html_to_text_plain(const char *html, size_t len, struct sg_buf *out,
                          struct sg_buf *hidden, struct sg_buf *markup);

#endif
