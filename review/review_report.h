/*
 * review_report.h - what leaders, governors and the school's record
 * system read from the store besides the decisions' export:
 *
 *   - the policy changelog (review_report.c): each version of the
 *     policy a daemon ran, with who, why and the diff;
 *   - the provision report (review_report.c): counts by rule, month and
 *     outcome, time to decision against review_decision_target, the
 *     false-positive rate of holds, and the policy's changes, as a
 *     self-contained HTML page (charts as inline SVG, no script) or CSV;
 *     it names no pupil and no member of staff;
 *   - the concern export (review_export.c): one row per record of one
 *     track, with the pupils' names and UPNs, for CPOMS or MyConcern.
 *
 * Each writes to the stream it is given, is audited as actor, and
 * returns 0 or -1 with an error string.  The sg_review_cmd_* functions
 * are safeguard-review's commands of the same names: they parse their
 * arguments and return a sysexits code.
 */
#ifndef SG_REVIEW_REPORT_H
#define SG_REVIEW_REPORT_H

#include <stdio.h>
#include <time.h>

#include "review.h"

/* WHEN as the command line takes it: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]
 * (UTC), or an AGE ago (a number with s, m, h, d or w): 0 or -1. */
int sg_review_parse_when(const char *s, time_t *t_r);
int sg_review_parse_age(const char *s, time_t *t_r);
/* The same for the end of a span: a date alone (YYYY-MM-DD) is the last
 * second of that day, so that --to 2026-07-31 includes the 31st. */
int sg_review_parse_until(const char *s, time_t *t_r);

enum sg_review_report_format {
    SG_REPORT_HTML = 0,
    SG_REPORT_CSV,
    SG_REPORT_TEXT, /* the changelog on a terminal */
    SG_REPORT_PAGE, /* the report as the review site serves it: HTML
                       whose CSS is sg_review_report_css at /report.css
                       (the site's policy allows no inline style) */
};

/* The report's CSS (screen and print). */
extern const char sg_review_report_css[];

/* The changes recorded at or after since, oldest first: as text (the
 * diffs made safe for a terminal) or an HTML fragment (the page's). */
int sg_review_policy(struct sg_review *r, time_t since,
                     enum sg_review_report_format format, FILE *out,
                     const struct sg_review_actor *actor, const char **error_r);

/* The provision report of the records created from from to to (0: no
 * bound), at now. */
int sg_review_report(struct sg_review *r, time_t from, time_t to, time_t now,
                     enum sg_review_report_format format, FILE *out,
                     const struct sg_review_actor *actor, const char **error_r);

/* The concerns of one track created at or after since: CSV or JSON.
 * A staff-conduct record is never in the pupil-welfare export (a record
 * without a track counts as staff-conduct). */
int sg_review_concerns(struct sg_review *r, time_t since, enum sg_track track,
                       enum sg_review_format format, FILE *out,
                       const struct sg_review_actor *actor,
                       const char **error_r);

int sg_review_cmd_policy(struct sg_review *r,
                         const struct sg_review_actor *actor, int argc,
                         char **argv);
int sg_review_cmd_report(struct sg_review *r,
                         const struct sg_review_actor *actor, int argc,
                         char **argv);
int sg_review_cmd_concerns(struct sg_review *r,
                           const struct sg_review_actor *actor, int argc,
                           char **argv);

#endif
