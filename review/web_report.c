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
#include "web_int.h"

#define YEAR (365 * 86400)

/* A stream in memory for the library to write a page into: 0 or -1. */
static int
capture(FILE **out_r, char **text_r, size_t *len_r)
{
    *text_r = NULL;
    *len_r = 0;
    *out_r = open_memstream(text_r, len_r);
    return *out_r != NULL ? 0 : -1;
}

/* What was written, appended to b. */
static void
take(struct sg_buf *b, FILE *out, char *text, size_t len)
{
    fclose(out);
    sg_buf_append(b, text, len);
    free(text);
}

void
sg_web_page_report(struct sg_web *w, const struct sg_web_request *req,
                   const struct web_session *s, struct sg_web_response *resp)
{
    const char *f = sg_web_param(req->query, req->n_query, "from");
    const char *t = sg_web_param(req->query, req->n_query, "to");
    const char *fmt = sg_web_param(req->query, req->n_query, "format");
    time_t from = req->now - YEAR, to = 0;
    if ((f != NULL && *f != '\0' && sg_review_parse_when(f, &from) < 0) ||
        (t != NULL && *t != '\0' && sg_review_parse_when(t, &to) < 0)) {
        sg_web_error_page(w, resp, 400, "Not a date",
                          "From and to are dates (YYYY-MM-DD).", s);
        return;
    }
    bool csv = fmt != NULL && strcmp(fmt, "csv") == 0;
    struct sg_review_actor actor = sg_web_actor(w, s, req);
    FILE *out;
    char *text;
    size_t len;
    const char *err = NULL;
    if (capture(&out, &text, &len) < 0) {
        sg_buf_fail(&resp->body);
        return;
    }
    int rc = sg_review_report(w->o.review, from, to, req->now,
                              csv ? SG_REPORT_CSV : SG_REPORT_PAGE, out,
                              &actor, &err);
    if (rc < 0) {
        fclose(out);
        free(text);
        sg_web_error_page(w, resp, 500, "Cannot make the report", err, s);
        return;
    }
    resp->status = 200;
    if (csv)
        resp->content_type = "text/csv; charset=utf-8";
    take(&resp->body, out, text, len);
}

void
sg_web_page_policy(struct sg_web *w, const struct sg_web_request *req,
                   const struct web_session *s, struct sg_web_response *resp)
{
    struct sg_review_actor actor = sg_web_actor(w, s, req);
    FILE *out;
    char *text;
    size_t len;
    const char *err = NULL;
    if (capture(&out, &text, &len) < 0) {
        sg_buf_fail(&resp->body);
        return;
    }
    if (sg_review_policy(w->o.review, 0, SG_REPORT_HTML, out, &actor, &err) <
        0) {
        fclose(out);
        free(text);
        sg_web_error_page(w, resp, 500, "Cannot read the policy's changes",
                          err, s);
        return;
    }
    resp->status = 200;
    struct sg_buf *b = &resp->body;
    sg_web_page_start(w, b, "Policy changes", s);
    sg_buf_puts(b, "<h1>Changes of the policy</h1>\n<p>Each version of the "
                   "rules and settings the filter ran, newest first: who "
                   "changed it, why, and what changed. <a href=\"/report\">"
                   "The provision report</a></p>\n");
    take(b, out, text, len);
    sg_web_page_end(w, b);
}
