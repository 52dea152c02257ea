/*
 * extract.h - the text of one attachment: PDF, OOXML (docx, xlsx, pptx),
 * OpenDocument (odt, ods, odp), RTF, ZIP containers, and text sent under
 * another name (vCard, iCalendar, CSV as application/octet-stream).
 *
 * SECURITY: the input is attacker-controlled bytes and the parsers behind
 * this (poppler, libarchive, libxml2) are large.  This code runs only in
 * the sandboxed helper process safeguard-extract (extract/main.c), never
 * in the milter's address space, and under the fuzz target.  Every size
 * is bounded by struct sg_extract_limits; reaching a bound is not an
 * error but an "incomplete" result, with the text read so far.
 */
#ifndef SG_EXTRACT_H
#define SG_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_buf.h"

/* The helper's exit status, which the milter reads (milter/extract_run.c). */
enum sg_extract_status {
    SG_EXTRACT_OK = 0,         /* all of the attachment's text is on stdout */
    SG_EXTRACT_FAILED = 1,     /* usage or internal error: not inspected */
    SG_EXTRACT_INCOMPLETE = 2, /* could not inspect it all (encrypted,
                                  malformed, a limit reached); what was
                                  read is on stdout */
    SG_EXTRACT_NONE = 3,       /* no text to read: not a format with text
                                  (a binary file of no known kind) */
};

struct sg_extract_limits {
    size_t max_out;      /* bytes of text written in all */
    size_t max_entries;  /* ZIP entries read in all, at every depth */
    unsigned max_depth;  /* ZIP within ZIP */
    size_t max_unpacked; /* bytes unpacked from ZIPs in all */
    unsigned max_ratio;  /* unpacked bytes per byte of input, in all */
    unsigned max_pages;  /* PDF pages read */
};

/* Defaults for the helper's command line (man 8 safeguard-extract). */
#define SG_EXTRACT_DEFAULT_LIMITS                                            \
    {(size_t)4 * 1024 * 1024, 1000, 3, (size_t)64 * 1024 * 1024, 100, 500}

/* One extraction in progress. */
struct sg_extract {
    const struct sg_extract_limits *limits;
    struct sg_buf *out;
    size_t in_len;     /* bytes of the attachment as given */
    size_t entries;    /* ZIP entries seen */
    size_t unpacked;   /* bytes unpacked from ZIPs */
    bool incomplete;   /* something was not read */
    bool nomem;
};

/* Call once, before any extraction (and before a sandbox is entered). */
void sg_extract_init(void);

/* Append the text of data (len bytes; name and type as declared, may be
 * NULL) to out, valid UTF-8, at most limits->max_out bytes.  Returns an
 * enum sg_extract_status. */
int sg_extract(const char *data, size_t len, const char *name,
               const char *type, const struct sg_extract_limits *limits,
               struct sg_buf *out);

#endif
