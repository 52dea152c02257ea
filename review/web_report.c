/*
 * web_report.c - the review site's pages for leaders: the provision
 * report (/report: the last year by default, ?from=&to= as the command
 * line's WHEN, ?format=csv for its counts), the policy changelog
 * (/policy) and the concern export (/concerns: one track, ?track=,
 * since ?since=, the last 30 days by default; a preview table of the
 * rows and ?format=csv or json for the file itself).  All are made by
 * the review library (review_report.h), as the command line makes
 * them; the report's CSS is served at /report.css because the site's
 * Content-Security-Policy allows no inline style.
 *
 * Any signed-in reviewer may read the report and the changelog: the
 * report names no one (a school's reviewer's counts its school alone),
 * and the changelog is the school's policy.  The concern export names
 * pupils and staff: a reviewer exports the tracks they review, of their
 * school.  Each view is audited by the library.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review_report.h"
#include "sg_error.h"
#include "sg_tz.h"
#include "web_int.h"

#define YEAR (365 * 86400)

/* What a page asks the library to write. */
struct make {
    struct sg_review *r;
    struct sg_review_actor actor;
    time_t from, to, now;
    enum sg_review_report_format format;
    enum sg_track track;             /* the concerns' */
    enum sg_review_format row_format; /* the concerns' */
};

static int
make_report(const struct make *m, FILE *out, const char **error_r)
{
    return sg_review_report(m->r, m->from, m->to, m->now, m->format, out,
                            &m->actor, error_r);
}

static int
make_policy(const struct make *m, FILE *out, const char **error_r)
{
    return sg_review_policy(m->r, m->from, m->format, out, &m->actor, error_r);
}

static int
make_concerns(const struct make *m, FILE *out, const char **error_r)
{
    return sg_review_concerns(m->r, m->from, m->track, m->row_format, out,
                              &m->actor, error_r);
}

/* What fn writes, in memory: 0 and *text_r (free it, *len_r bytes), or
 * -1 with *error_r. */
static int
capture(int (*fn)(const struct make *, FILE *, const char **),
        const struct make *m, char **text_r, size_t *len_r,
        const char **error_r)
{
    *text_r = NULL;
    *len_r = 0;
    FILE *out = open_memstream(text_r, len_r);
    if (out == NULL)
        return sg_error_fail(error_r, "out of memory");
    int rc = fn(m, out, error_r);
    if (fclose(out) != 0 && rc == 0)
        rc = sg_error_fail(error_r, "out of memory");
    if (rc < 0) {
        free(*text_r);
        *text_r = NULL;
    }
    return rc;
}

/* capture for a page: true and the text, status 200; or false with the
 * error page (500, titled failed) in resp. */
static bool
captured(struct sg_web *w, const struct web_session *s,
         struct sg_web_response *resp,
         int (*fn)(const struct make *, FILE *, const char **),
         const struct make *m, const char *failed, char **text_r,
         size_t *len_r)
{
    const char *err = NULL;
    if (capture(fn, m, text_r, len_r, &err) < 0) {
        sg_web_error_page(w, resp, 500, failed, err, s);
        return false;
    }
    resp->status = 200;
    return true;
}

void
sg_web_page_report(struct sg_web *w, const struct sg_web_request *req,
                   const struct web_session *s, struct sg_web_response *resp)
{
    const char *f = sg_web_param(req->query, req->n_query, "from");
    const char *t = sg_web_param(req->query, req->n_query, "to");
    const char *fmt = sg_web_param(req->query, req->n_query, "format");
    bool csv = fmt != NULL && strcmp(fmt, "csv") == 0;
    struct make m = {
        .r = w->o.review,
        .actor = sg_web_actor(w, s, req),
        .from = req->now - YEAR,
        .now = req->now,
        .format = csv ? SG_REPORT_CSV : SG_REPORT_PAGE,
    };
    if ((f != NULL && *f != '\0' && sg_review_parse_when(f, &m.from) < 0) ||
        (t != NULL && *t != '\0' && sg_review_parse_until(t, &m.to) < 0)) {
        sg_web_error_page(w, resp, 400, "Not a date",
                          "From and to are dates (YYYY-MM-DD).", s);
        return;
    }
    if (m.actor.tracks == SG_REVIEW_TRACKS_NONE) {
        sg_web_error_page(w, resp, 403, "Not yours to read",
                          "You review no school's records.", s);
        return;
    }
    char *text;
    size_t len;
    if (!captured(w, s, resp, make_report, &m, "Cannot make the report",
                  &text, &len))
        return;
    if (csv)
        resp->content_type = "text/csv; charset=utf-8";
    sg_buf_append(&resp->body, text, len);
    free(text);
}

void
sg_web_page_policy(struct sg_web *w, const struct sg_web_request *req,
                   const struct web_session *s, struct sg_web_response *resp)
{
    struct make m = {
        .r = w->o.review,
        .actor = sg_web_actor(w, s, req),
        .format = SG_REPORT_HTML,
    };
    char *text;
    size_t len;
    if (!captured(w, s, resp, make_policy, &m,
                  "Cannot read the policy's changes", &text, &len))
        return;
    struct sg_buf *b = &resp->body;
    sg_web_page_start(w, b, "Policy changes", s);
    sg_buf_puts(b, "<h1>Changes of the policy</h1>\n<p>Each version of the "
                   "rules and settings the filter ran, newest first: who "
                   "changed it, why, and what changed. <a href=\"/report\">"
                   "The provision report</a></p>\n");
    sg_buf_append(b, text, len);
    free(text);
    sg_web_page_end(w, b);
}

/* May actor export track's concerns (0: every track)? */
static bool
reviews_track(const struct sg_review_actor *a, enum sg_track t)
{
    return a->tracks != SG_REVIEW_TRACKS_NONE &&
           (a->tracks == 0 || (a->tracks & (1u << t)) != 0);
}

void
sg_web_page_concerns(struct sg_web *w, const struct sg_web_request *req,
                     const struct web_session *s, struct sg_web_response *resp)
{
    static const enum sg_track tracks[] = {SG_TRACK_PUPIL_WELFARE,
                                           SG_TRACK_STAFF_CONDUCT};
    const char *tr = sg_web_param(req->query, req->n_query, "track");
    const char *since = sg_web_param(req->query, req->n_query, "since");
    const char *fmt = sg_web_param(req->query, req->n_query, "format");
    struct make m = {
        .r = w->o.review,
        .actor = sg_web_actor(w, s, req),
        .from = req->now - 30 * 86400,
        .now = req->now,
        .row_format = SG_REVIEW_HTML,
    };
    /* the track asked for, else the first the reviewer reviews */
    bool any = false;
    for (size_t i = 0; !any && i < 2; i++)
        if (reviews_track(&m.actor, tracks[i])) {
            m.track = tracks[i];
            any = true;
        }
    if (tr != NULL && *tr != '\0' && sg_track_parse(tr, &m.track) < 0) {
        sg_web_error_page(w, resp, 400, "No such track",
                          "The track is pupil-welfare or staff-conduct.", s);
        return;
    }
    if (!any || !reviews_track(&m.actor, m.track)) {
        sg_web_error_page(w, resp, 403, "Not yours to read",
                          "You do not review that track's concerns.", s);
        return;
    }
    if (since != NULL && *since != '\0' &&
        sg_review_parse_when(since, &m.from) < 0) {
        sg_web_error_page(w, resp, 400, "Not a date",
                          "Since is a date (YYYY-MM-DD).", s);
        return;
    }
    if (fmt != NULL && strcmp(fmt, "csv") == 0)
        m.row_format = SG_REVIEW_CSV;
    else if (fmt != NULL && strcmp(fmt, "json") == 0)
        m.row_format = SG_REVIEW_JSON;
    char *text;
    size_t len;
    if (!captured(w, s, resp, make_concerns, &m, "Cannot export the concerns",
                  &text, &len))
        return;
    struct sg_buf *b = &resp->body;
    if (m.row_format != SG_REVIEW_HTML) {
        resp->content_type = m.row_format == SG_REVIEW_CSV
                                 ? "text/csv; charset=utf-8"
                                 : "application/json";
        sg_buf_append(b, text, len);
        free(text);
        return;
    }
    char day[16];
    struct tm tm;
    sg_tz_local(w->o.tz, m.from, &tm);
    strftime(day, sizeof(day), "%Y-%m-%d", &tm);
    const char *name = sg_track_name(m.track);
    sg_web_page_start(w, b, "Concern export", s);
    sg_buf_puts(b, "<h1>Concern export</h1>\n<p>The concerns of one track "
                   "for the school's safeguarding record system (CPOMS, "
                   "MyConcern): pupils, staff, the rules' titles and the "
                   "decision; never the message.</p>\n<nav class=\"tabs\">");
    for (size_t i = 0; i < 2; i++)
        if (reviews_track(&m.actor, tracks[i]))
            sg_buf_printf(b, "<a href=\"/concerns?track=%s&amp;since=%s\"%s>"
                             "%s</a>",
                          sg_track_name(tracks[i]), day,
                          tracks[i] == m.track ? " class=\"on\"" : "",
                          sg_track_name(tracks[i]));
    sg_buf_printf(b,
                  "</nav>\n<form method=\"get\" action=\"/concerns\">"
                  "<input type=\"hidden\" name=\"track\" value=\"%s\">"
                  "<label>Since <input type=\"date\" name=\"since\" "
                  "value=\"%s\"></label> <button type=\"submit\">Show"
                  "</button></form>\n<p id=\"downloads\">Download: "
                  "<a href=\"/concerns?track=%s&amp;since=%s&amp;format=csv\" "
                  "download=\"concerns-%s-%s.csv\">CSV</a> "
                  "<a href=\"/concerns?track=%s&amp;since=%s&amp;format=json\" "
                  "download=\"concerns-%s-%s.json\">JSON</a></p>\n",
                  name, day, name, day, name, day, name, day, name, day);
    sg_buf_puts(b, "<div class=\"wide\">");
    sg_buf_append(b, text, len);
    sg_buf_puts(b, "</div>\n");
    free(text);
    sg_web_page_end(w, b);
}
