/*
 * web_report.c - the review site's pages for leaders: the provision
 * report (/report: the last year by default, ?from=&to= as the command
 * line's WHEN, ?format=csv for its counts) and the policy changelog
 * (/policy).  Both are made by the review library (review_report.h), as
 * the command line makes them; the report's CSS is served at
 * /report.css because the site's Content-Security-Policy allows no
 * inline style.
 *
 * Any signed-in reviewer may read them: the report names no one, and
 * the changelog is the school's policy.  Each view is audited by the
 * library.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review_report.h"
#include "sg_error.h"
#include "web_int.h"

#define YEAR (365 * 86400)

/* What a page asks the library to write. */
struct make {
    struct sg_review *r;
    struct sg_review_actor actor;
    time_t from, to, now;
    enum sg_review_report_format format;
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
    char *text;
    size_t len;
    const char *err = NULL;
    if (capture(make_report, &m, &text, &len, &err) < 0) {
        sg_web_error_page(w, resp, 500, "Cannot make the report", err, s);
        return;
    }
    resp->status = 200;
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
    const char *err = NULL;
    if (capture(make_policy, &m, &text, &len, &err) < 0) {
        sg_web_error_page(w, resp, 500, "Cannot read the policy's changes", err,
                          s);
        return;
    }
    resp->status = 200;
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
