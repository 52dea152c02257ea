/*
 * html_places.h - text that HTML carries besides what it shows: elements
 * it hides, attribute values, link targets and CSS content strings.  The
 * message view gives each its own place (sg_msgview.h, enum
 * sg_text_place), so that the detectors read it without it breaking up
 * the visible text.
 */
#ifndef SG_HTML_PLACES_H
#define SG_HTML_PLACES_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/xmlstring.h>

#include "sg_buf.h"

/* atts below are an element's attributes as libxml2's SAX interface
 * gives them: name, value pairs ending with NULL, names in lower case,
 * a value NULL when the attribute has none; atts itself may be NULL. */

/* The value of attribute name in atts (name, value pairs, NULL-ended, as
 * libxml2's SAX interface gives them: names in lower case, each at most
 * once, a value NULL when the attribute has none); NULL when absent or
 * without a value, *present saying which. */
const xmlChar *sg_html_attr(const xmlChar **atts, const char *name,
                            bool *present);

/* Does the element hide itself and what it holds from the reader
 * (hidden attribute, or a style with display:none, visibility:hidden,
 * font-size:0, opacity:0, mso-hide:all, color:transparent, or a height
 * or width of 0 with overflow:hidden)? */
bool sg_html_hides(const xmlChar **atts);

/* Append the element's text-bearing attribute values (alt, title, value,
 * placeholder, aria-label, label, href with %XX undone, ...) and the CSS
 * content strings of its style attribute, each on a line of its own (a
 * <style>'s text goes through sg_css_content).  0, or -1 out of memory. */
int sg_html_markup(const xmlChar **atts, struct sg_buf *out);

/* Append the strings of every CSS "content:" declaration in css, each
 * declaration's strings joined and on a line of its own, escapes undone.
 * 0, or -1 out of memory. */
int sg_css_content(const char *css, size_t len, struct sg_buf *out);

#endif
