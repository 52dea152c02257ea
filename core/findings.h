/*
 * findings.h - the one place that writes findings for people: the words
 * of a finding (detector "text" in where) in the notices, safeguard-check,
 * safeguard-review and the review page, the same words as JSON, and a
 * text with its findings marked.
 *
 * The words are fixed here; how a value is made safe (for a mail header
 * line, a terminal, HTML) and what marks the found text (quotes, >>> <<<,
 * <mark>) is the caller's style, as the same finding goes to different
 * places.  Values are untrusted mail: every one goes through style->put.
 */
#ifndef SG_FINDINGS_H
#define SG_FINDINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sg_buf.h"

/* Where the findings go. */
struct sg_finding_style {
    /* Append len bytes of s made safe (one line); 0 or -1. */
    int (*put)(struct sg_buf *b, const char *s, size_t len);
    /* Append a run of the message text around the marks (may span lines);
     * NULL: put. */
    int (*put_text)(struct sg_buf *b, const char *s, size_t len);
    const char *open, *close; /* around the found text */
};

/* Append s (len bytes) to out made safe for a terminal: control
 * characters (C0 but tab and, when multiline, newline; DEL; C1),
 * bidirectional overrides and invalid UTF-8 become visible escapes
 * ("\x1b", "\u202e"), so that a message can neither move the cursor nor
 * reorder what is shown.  0, or -1 out of memory. */
int sg_safe_text(struct sg_buf *out, const char *s, size_t len, bool multiline);

/* For a terminal, one line (sg_safe_text), the found text in double
 * quotes. */
extern const struct sg_finding_style sg_finding_plain;

/* A byte range of a text, [start, end). */
struct sg_span {
    size_t start, end;
};

/* "detector OPEN text CLOSE in where"; a missing detector is "?", a
 * missing place "the message".  0, or -1 (out of memory or put failed). */
int sg_finding_put(struct sg_buf *b, const char *detector, const char *text,
                   const char *where, const struct sg_finding_style *style);

/* {"detector": ..., "text": ..., "where": ...}, or NULL out of memory. */
json_t *sg_finding_json(const char *detector, const char *text,
                        const char *where);

/* text (len bytes) with the spans (sorted, not overlapping, within len)
 * between style->open and style->close. */
int sg_findings_mark(struct sg_buf *b, const char *text, size_t len,
                     const struct sg_span *spans, size_t n,
                     const struct sg_finding_style *style);

#endif
