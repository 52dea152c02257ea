/*
 * web_request.c - the release request page, REVIEW_URL/request/RECORD?k=
 * TOKEN: the sender of a held message, following the link in their
 * notice, sees what was held (the rules' titles, the time) and asks for
 * its release with a reason; and what the reviewers see of requests (a
 * marker in the queue, the requests on the record's page).
 *
 * SECURITY: there is no login here (the sender has no review account):
 * the token checks (review_request.c) are the authority, over one held
 * record only.  The form carries a per-visit CSRF token matched against
 * a cookie (the sign-in form's scheme, the cookie scoped to /request/),
 * and the record's token again; nothing the sender did not write or was
 * not told is shown (no recipients, no findings, no policy text).  The
 * page sends no referrer, so the token in its address goes nowhere.
 */
#include "config.h"

#include <string.h>

#include "review_int.h"
#include "web_int.h"

/* "/request/ID": the id into id. */
static bool
request_id(const char *path, char *id, size_t size)
{
    const char *p = path + strlen(SG_WEB_REQUEST_PATH);
    size_t n = strlen(p);
    if (!sg_web_record_id(p, n, size))
        return false;
    memcpy(id, p, n + 1);
    return true;
}

static void
refused(struct sg_web *w, struct sg_web_response *resp, int rc, const char *err)
{
    if (rc == SG_REVIEW_NOT_FOUND)
        sg_web_error_page(w, resp, 404, "This link does not work",
                          "The link is not valid: it may have been copied "
                          "in part. Use the whole link from the email, or "
                          "reply to the email instead.",
                          NULL);
    else if (rc == SG_REVIEW_WRONG_STATUS)
        sg_web_error_page(w, resp, 410, "The message is no longer held",
                          "A reviewer has already dealt with this message, "
                          "so there is nothing to ask for. You will have "
                          "been told, or will be, by email.",
                          NULL);
    else
        sg_web_error_page(w, resp, 500, "Cannot show this page", err, NULL);
}

/* The page with the form; message: an error to show above it. */
static void
form_page(struct sg_web *w, struct sg_web_response *resp, unsigned status,
          const struct sg_review_request *rq, const char *token,
          const char *reason, const char *message)
{
    char csrf[WEB_TOKEN_LEN + 1];
    if (sg_web_form_token(w, resp, SG_WEB_REQUEST_PATH, "Cannot show this page",
                          csrf) < 0)
        return;
    const struct sg_store_record *rec = rq->record;
    resp->status = status;
    struct sg_buf *b = &resp->body;
    sg_buf_reset(b);
    sg_web_page_start(w, b, "Ask for release", NULL);
    sg_buf_puts(b, "<h1>Ask for your message to be released</h1>\n");
    if (message != NULL) {
        sg_buf_puts(b, "<p class=\"error\" id=\"outcome\">");
        sg_web_text(b, message);
        sg_buf_puts(b, "</p>\n");
    }
    sg_buf_puts(b, "<p>Your message is being kept safe for the safeguarding "
                   "team to read before it is delivered.</p>\n"
                   "<dl class=\"facts\">"
                   "<dt>Reference</dt><dd id=\"record\">");
    sg_web_text(b, rec->id);
    sg_buf_puts(b, "</dd><dt>Held on</dt><dd id=\"held\">");
    sg_web_time(w, b, rec->created);
    sg_buf_puts(b, "</dd><dt>Subject</dt><dd id=\"subject\">");
    sg_web_text(b, rec->subject != NULL ? rec->subject : "(none)");
    sg_buf_puts(b, "</dd><dt>Why it was held</dt><dd><ul id=\"rules\">");
    for (size_t i = 0; i < rq->n_rules; i++) {
        const struct sg_store_rule *ru = &rq->rules[i];
        sg_buf_puts(b, "<li>");
        sg_web_text(b, ru->title != NULL && ru->title[0] != '\0' ? ru->title
                                                                 : ru->id);
        sg_buf_puts(b, "</li>");
    }
    sg_buf_puts(b, "</ul></dd></dl>\n<form method=\"post\" action=\"");
    sg_buf_puts(b, SG_WEB_REQUEST_PATH);
    sg_web_urlenc(b, rec->id);
    sg_buf_puts(b, "\">");
    sg_web_csrf_field(b, csrf);
    sg_buf_puts(b, "<input type=\"hidden\" name=\"k\" value=\"");
    sg_web_text(b, token);
    sg_buf_printf(b,
                  "\"><label for=\"reason\">Why should it be delivered? "
                  "The safeguarding team will read this with the "
                  "message.</label><textarea id=\"reason\" name=\"reason\" "
                  "rows=\"6\" maxlength=\"%d\" required>",
                  SG_REVIEW_REASON_MAX);
    sg_web_text(b, reason);
    sg_buf_puts(b, "</textarea><p><button type=\"submit\">Ask for "
                   "release</button></p></form>\n<p>The message stays held "
                   "until a reviewer decides; you will be told by email "
                   "either way.</p>\n");
    sg_web_page_end(w, b);
}

void
sg_web_page_request(struct sg_web *w, const struct sg_web_request *req,
                    struct sg_web_response *resp)
{
    bool get =
        strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    bool post = strcmp(req->method, "POST") == 0;
    char id[128];
    if ((!get && !post) || !request_id(req->path, id, sizeof(id))) {
        sg_web_error_page(w, resp, 404, "Not found", "There is no such page.",
                          NULL);
        return;
    }
    const char *client = req->client != NULL ? req->client : "unknown";
    const char *token = post ? sg_web_param(req->form, req->n_form, "k")
                             : sg_web_param(req->query, req->n_query, "k");
    struct sg_review_request *rq = NULL;
    const char *err = NULL;
    int rc = sg_review_request_open(w->o.review, id, token, client, &rq, &err);
    if (rc != 0) {
        refused(w, resp, rc, err);
        return;
    }
    if (get) {
        /* the review audits views: this one by whoever holds the link */
        const char *from = rq->record->env_from;
        struct sg_review_actor a = {
            .user = from[0] != '\0' ? from : "the sender", .from = client};
        (void)sg_review_audit(w->o.review, id, &a, "release-request-view", NULL,
                              &err);
        form_page(w, resp, 200, rq, token, NULL, NULL);
        sg_review_request_free(&rq);
        return;
    }
    const char *reason = sg_web_param(req->form, req->n_form, "reason");
    if (!sg_web_token_equal(sg_web_param(req->form, req->n_form, "csrf"),
                            req->login_cookie)) {
        struct sg_review_actor a = {.user = "unknown", .from = client};
        (void)sg_review_audit(w->o.review, id, &a, "release-request-refused",
                              "a form without its CSRF token", &err);
        form_page(w, resp, 403, rq, token, reason,
                  "The form had expired, so nothing was sent. Please send "
                  "it again.");
        sg_review_request_free(&rq);
        return;
    }
    rc =
        sg_review_request_release(w->o.review, id, token, reason, client, &err);
    if (rc == SG_REVIEW_BAD_REASON) {
        form_page(w, resp, 400, rq, token, reason, err);
        sg_review_request_free(&rq);
        return;
    }
    sg_review_request_free(&rq);
    if (rc != 0 && rc != SG_REVIEW_NOTICE_FAILED) {
        refused(w, resp, rc, err);
        return;
    }
    /* recorded: a notice that could not be queued leaves the request on
     * the record, where the reviewers see it in the queue */
    resp->status = 200;
    struct sg_buf *b = &resp->body;
    sg_buf_reset(b);
    sg_web_page_start(w, b, "Request sent", NULL);
    sg_buf_puts(b, "<h1>Request sent</h1>\n<p class=\"notice\" "
                   "id=\"outcome\">Your request and your reason have been "
                   "recorded for the safeguarding team. The message stays "
                   "held until a reviewer decides; you will be told by "
                   "email.</p>\n");
    sg_web_page_end(w, b);
}

void
sg_web_request_marker(struct sg_buf *b, const struct sg_store_item *it)
{
    /* counted by the list's own query: no query per row */
    if (sg_review_waiting(it->status) && it->requests > 0)
        sg_buf_puts(b, " <span class=\"requested\">release requested</span>");
}

void
sg_web_request_section(struct sg_web *w, struct sg_buf *b, const char *id)
{
    struct sg_store_audit_row *rows = NULL;
    size_t n = 0;
    const char *err;
    if (sg_review_requests(w->o.review, id, &rows, &n, &err) < 0) {
        sg_buf_puts(b, "<p class=\"error\">The release requests cannot be "
                       "read: ");
        sg_web_text(b, err);
        sg_buf_puts(b, "</p>\n");
        return;
    }
    if (n > 0) {
        sg_buf_puts(b, "<h2>Release requested</h2>\n<p>The sender asked "
                       "for the message to be released. Release it, or "
                       "reject it with a message to the sender.</p>\n"
                       "<table id=\"requests\"><tr><th>When</th><th>By</th>"
                       "<th>Reason</th></tr>\n");
        for (size_t i = 0; i < n; i++) {
            sg_buf_puts(b, "<tr><td class=\"nowrap\">");
            sg_web_time(w, b, rows[i].time);
            sg_buf_puts(b, "</td><td>");
            sg_web_text(b, rows[i].actor);
            sg_buf_puts(b, "</td><td class=\"reason\">");
            sg_web_text(b, rows[i].note);
            sg_buf_puts(b, "</td></tr>\n");
        }
        sg_buf_puts(b, "</table>\n");
    }
    sg_store_audit_rows_free(&rows, &n);
}
