/*
 * outcome.h - what the filter asks the MTA to do with one message, worked
 * out from a verdict.  Built by session.c without libmilter and applied by
 * callbacks.c, so that the decisions are unit-tested and the libmilter
 * calls stay in one place.
 */
#ifndef SG_OUTCOME_H
#define SG_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_config.h"
#include "sg_msgview.h"
#include "sg_rules.h"

/* SMTP reply lines: libmilter sends at most 32. */
#define SG_REPLY_MAX_LINES 32
/* Lines are wrapped to this width so that each reads on its own in a
 * bounce (Postfix joins a locally submitted message's reply lines). */
#define SG_REPLY_WIDTH 76

/* One existing header to delete: the index-th (1-based) of its name
 * among those the MTA still has. */
struct sg_header_ref {
    char *name;
    int index;
};

/* At most this many X-Safeguard-* headers are removed from one message;
 * past it the message is tempfailed, never delivered with one left in.
 * Postfix finds each header it deletes by reading the headers from the
 * top, so n deletions cost it n times their place, and its cleanup
 * stops (a panic) past 10000 backward jumps in one queue file, which
 * each deletion makes one of.  Real mail carries a few, from an earlier
 * pass through a filter. */
#define SG_OWN_HEADERS_MAX 8000

struct sg_outcome {
    bool reject;           /* 550 with reply */
    const char *xcode;     /* its RFC 3463 code (static); NULL: 5.7.1 */
    char **reply;          /* reply lines (already %-escaped for libmilter) */
    size_t n_reply;
    char *quarantine;      /* hold: the reason given to the MTA, else NULL */
    char **add_rcpts;      /* journal: the archive address */
    size_t n_add_rcpts;
    struct sg_header_ref *del_headers; /* forged X-Safeguard-* headers */
    size_t n_del_headers;
    struct sg_header *add_headers;     /* X-Safeguard-Verdict, -Rules, ... */
    size_t n_add_headers;
    char *new_subject; /* subject with the tag, NULL to leave it */
    bool journal_unconfigured; /* a rule journals but journal_address is "" */
};

/* The outcome of a verdict, for school (a trust's, whose subject tag and
 * contact text it takes; NULL: the trust's).  record (may be NULL) is the
 * quarantine record id of a held message, named in X-Safeguard-Record.  forged
 * lists the message's own X-Safeguard-* headers (their names, in the order they
 * came; index is not read), which are always removed: del_headers then
 * holds them last first, each with its rank among its name.
 * -1 on allocation failure. */
struct sg_school;
int sg_outcome_build(const struct sg_config *cfg,
                     const struct sg_school *school,
                     const struct sg_verdict *verdict, const char *subject,
                     const char *record, const struct sg_header_ref *forged,
                     size_t n_forged, struct sg_outcome *out);

/* Accept the message as it is, with only the X-Safeguard-* headers that
 * came with it removed (a re-injected copy, milter/session.c).  -1 on
 * allocation failure. */
int sg_outcome_strip(const struct sg_header_ref *forged, size_t n_forged,
                     struct sg_outcome *out);

/* Reply lines for a rejection at RCPT time or end of message, from the
 * explanations of the enforced reject rules, with the DSL's contact text
 * (dsl_contact, may be NULL) given once however many of them name it
 * (sg_notice_contact_once).  -1 on allocation failure. */
int sg_outcome_reject_reply(const struct sg_verdict *verdict,
                            const char *contact, struct sg_outcome *out);

/* The one-line reply for a locally submitted message refused whose sender
 * is told the whole explanation by a notice (sendmail's submitter gets
 * Postfix's bounce, which joins the lines of a longer reply): the first
 * enforced reject rule's title, the record (NULL: none), and where the
 * explanation is.  Replaces out's reply; -1 on allocation failure. */
int sg_outcome_reject_brief(const struct sg_verdict *verdict,
                            const char *record, struct sg_outcome *out);

/* Wrap text into lines of at most width bytes (breaking at spaces, never
 * inside a UTF-8 character), paragraph breaks kept as empty lines, at most
 * max_lines (the last says the text goes on), with every '%' doubled as
 * libmilter requires.  -1 on allocation failure. */
int sg_reply_wrap(const char *text, size_t width, size_t max_lines,
                  char ***lines_r, size_t *n_r);

void sg_outcome_free(struct sg_outcome *out);

#endif
