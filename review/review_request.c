/*
 * review_request.c - release requests: the sender of a held message,
 * following the link in their notice (REVIEW_URL/request/RECORD?k=TOKEN,
 * core/notice_request.c), asks for the message's release with a reason.
 * The request is an audit row (SG_STORE_RELEASE_REQUEST, the reason as its
 * note; each request another row) and a notice to the reviewers of the
 * record's track (request-dsl.txt, through the outbox); the record stays
 * held until a reviewer releases or rejects it as for any other record.
 *
 * SECURITY: the token is the only authority (the sender has no review
 * account): it is checked under the notice key before anything about the
 * record is read out, and an unknown record and a wrong token get the same
 * answer, so the page tells nothing of which records exist.  A record no
 * longer waiting (released, rejected, ...) takes no request.  Every
 * refusal is audited.  The page shows the sender only what they wrote or
 * were told already (the enforced rules' titles, the time); the notice to
 * the reviewers carries no pupil identifiers (not even the sender's name,
 * since a pupil may be the sender) and not the reason: both are on the
 * record's page.
 *
 * Fails by returning -1 with an error string.  No logging.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "review_int.h"

/* Is the request's token right for id?  The notices are opened for the
 * key (they are not kept open: review_notice.c). */
static int
token_ok(const struct sg_review *r, const char *id, const char *token,
         bool *ok_r, const char **error_r)
{
    *ok_r = false;
    if (r->ncfg == NULL)
        return sg_review_fail(error_r, "notices are not configured "
                                       "(notice_from is empty)");
    struct sg_notice *n = NULL;
    if (sg_notice_open(r->ncfg, &n, error_r) < 0)
        return -1;
    *ok_r = sg_notice_request_valid(n->key, id, token);
    sg_notice_free(&n);
    return 0;
}

/* The rules the sender may see: the enforced ones that held the
 * message (every enforced one if none held it).  Kept in place. */
static bool
is(const char *value, const char *want)
{
    return value != NULL && strcmp(value, want) == 0;
}

static size_t
sender_rules(struct sg_store_rule *rules, size_t n)
{
    size_t held = 0;
    for (size_t i = 0; i < n; i++)
        held += is(rules[i].mode, "enforce") && is(rules[i].action, "hold");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool keep = is(rules[i].mode, "enforce") &&
                    (held == 0 || is(rules[i].action, "hold"));
        if (keep && k != i) {
            struct sg_store_rule t = rules[k];
            rules[k] = rules[i];
            rules[i] = t;
        }
        k += keep;
    }
    return k;
}

void
sg_review_request_free(struct sg_review_request **reqp)
{
    struct sg_review_request *req = reqp != NULL ? *reqp : NULL;
    if (req == NULL)
        return;
    sg_store_record_free(&req->record);
    sg_store_rules_free(&req->rules, &req->n_all_rules);
    free(req);
    *reqp = NULL;
}

/* Audit a refused token (actor "unknown": whoever has the link). */
static void
audit_refusal(struct sg_review *r, const char *id, const char *client,
              const char *why)
{
    const char *ignored;
    struct sg_review_actor a = {.user = "unknown", .from = client};
    (void)sg_review_audit(r, id, &a, "release-request-refused", why, &ignored);
}

int
sg_review_request_open(struct sg_review *r, const char *id, const char *token,
                       const char *client, struct sg_review_request **req_r,
                       const char **error_r)
{
    *req_r = NULL;
    bool ok;
    if (token_ok(r, id, token, &ok, error_r) < 0)
        return -1;
    const char *err = NULL;
    struct sg_store_record *rec = NULL;
    int rc = ok ? sg_store_get(r->q, id, &rec, &err) : SG_STORE_NOT_FOUND;
    if (rc == SG_STORE_NOT_FOUND) {
        audit_refusal(r, id, client,
                      ok ? "no such record" : "a wrong or missing token");
        return sg_review_failc(SG_REVIEW_NOT_FOUND, error_r,
                               "this link is not valid");
    }
    if (rc < 0)
        return sg_review_keep(error_r, "", err);
    if (!sg_review_waiting(rec->status)) {
        audit_refusal(r, id, client, "the record is no longer held");
        int c = sg_review_failc(SG_REVIEW_WRONG_STATUS, error_r,
                                "the message is no longer held (%s)",
                                sg_store_status_name(rec->status));
        sg_store_record_free(&rec);
        return c;
    }
    struct sg_review_request *req = calloc(1, sizeof(*req));
    if (req == NULL) {
        sg_store_record_free(&rec);
        return sg_review_fail(error_r, "out of memory");
    }
    req->record = rec;
    if (sg_store_rules(r->q, id, &req->rules, &req->n_all_rules, &err) < 0) {
        sg_review_request_free(&req);
        return sg_review_keep(error_r, "", err);
    }
    req->n_rules = sender_rules(req->rules, req->n_all_rules);
    *req_r = req;
    return 0;
}

/* The notice to the reviewers of req's record's track. */
static int
tell_reviewers(struct sg_review *r, const struct sg_review_request *req,
               const char **error_r)
{
    const struct sg_store_record *rec = req->record;
    const char *err = NULL;
    struct sg_store_rcpt *rcpts = NULL;
    size_t n_rcpts = 0;
    if (sg_store_rcpts(r->q, rec->id, &rcpts, &n_rcpts, &err) < 0)
        return sg_review_keep(error_r, "", err);
    struct sg_party *parties = calloc(n_rcpts + 1, sizeof(*parties));
    for (size_t i = 0; parties != NULL && i < n_rcpts; i++)
        parties[i].address = rcpts[i].address;
    /* a record from before tracks were kept: staff-conduct, as a rule
     * that names no track */
    enum sg_track track = SG_TRACK_STAFF_CONDUCT;
    if (rec->track != NULL)
        (void)sg_track_parse(rec->track, &track);
    const char *const *to = NULL;
    size_t n_to = 0;
    struct sg_notice_config nc; /* the record's school's, in a trust */
    if (parties != NULL)
        sg_notice_track_to(sg_review_school_notice(r, rec->school, &nc, NULL),
                           track, rec->env_from, parties, n_rcpts, &to, &n_to);
    /* every rule's title, for the reviewers, as the hold's notice */
    struct sg_buf rules = SG_BUF_INIT, link = SG_BUF_INIT;
    for (size_t i = 0; i < req->n_all_rules; i++) {
        const struct sg_store_rule *ru = &req->rules[i];
        sg_buf_printf(
            &rules, "- %s%s\n",
            ru->title != NULL && ru->title[0] != '\0' ? ru->title : ru->id,
            ru->mode != NULL && strcmp(ru->mode, "test") == 0 ? " (test mode)"
                                                              : "");
    }
    sg_notice_link(r->ncfg->review_url, rec->id, &link);
    char date[80];
    sg_review_time(r, rec->created, SG_TIME_LONG, date, sizeof(date));
    struct sg_notice_values v = {
        .record = rec->id,
        .sender = "the sender (open the record to see who)",
        .rules = sg_buf_text_or(&rules, ""),
        .date = date,
        .link = sg_buf_text_or(&link, NULL),
        .outcome = "held for review; release requested",
    };
    int rc;
    bool sent = false;
    if (parties == NULL || sg_buf_failed(&rules) || v.link == NULL)
        rc = sg_review_fail(error_r, "out of memory");
    else if (n_to == 0)
        rc = sg_review_fail(error_r, "no one to tell (dsl_addresses is "
                                     "empty)");
    else
        rc = sg_review_notice_send(r, SG_NOTICE_REQUEST_DSL, &v, to, n_to,
                                   rec->id, &sent, error_r);
    sg_buf_free(&rules);
    sg_buf_free(&link);
    free(parties);
    sg_store_rcpts_free(&rcpts, &n_rcpts);
    return rc;
}

int
sg_review_request_release(struct sg_review *r, const char *id,
                          const char *token, const char *reason,
                          const char *client, const char **error_r)
{
    struct sg_review_request *req = NULL;
    int rc = sg_review_request_open(r, id, token, client, &req, error_r);
    if (rc != 0)
        return rc;
    /* the sender's words as they wrote them (the page shows them escaped);
     * only an empty or an overlong reason is refused */
    size_t len = reason != NULL ? strlen(reason) : 0;
    size_t blank = reason != NULL ? strspn(reason, " \t\r\n") : 0;
    if (len == blank || len > SG_REVIEW_REASON_MAX) {
        sg_review_request_free(&req);
        if (len == blank)
            return sg_review_failc(SG_REVIEW_BAD_REASON, error_r,
                                   "please say why the message should be "
                                   "released");
        return sg_review_failc(SG_REVIEW_BAD_REASON, error_r,
                               "the reason is longer than %d characters",
                               SG_REVIEW_REASON_MAX);
    }
    /* the reviewers hear of the first request, and of another only after
     * a quiet spell: whoever holds a link cannot flood their mailboxes
     * (each request is still recorded and shown) */
    struct sg_store_audit_row *recent = NULL;
    size_t n_recent = 0;
    const char *err = NULL;
    if (sg_store_audit_rows(r->q, id, SG_STORE_RELEASE_REQUEST,
                            time(NULL) - SG_REVIEW_REQUEST_QUIET, &recent,
                            &n_recent, &err) < 0) {
        sg_review_request_free(&req);
        return sg_review_keep(error_r, "", err);
    }
    bool tell = n_recent == 0;
    sg_store_audit_rows_free(&recent, &n_recent);
    /* the actor is the address the message came from: the token proves
     * the link reached that sender's notice, not who typed the reason */
    struct sg_review_actor a = {.user = req->record->env_from[0] != '\0'
                                            ? req->record->env_from
                                            : "the sender",
                                .from = client};
    if (sg_review_audit(r, id, &a, SG_STORE_RELEASE_REQUEST, reason, error_r) < 0) {
        sg_review_request_free(&req);
        return -1;
    }
    rc = tell ? tell_reviewers(r, req, error_r) : 0;
    sg_review_request_free(&req);
    return rc < 0 ? SG_REVIEW_NOTICE_FAILED : 0;
}

int
sg_review_requests(struct sg_review *r, const char *id,
                   struct sg_store_audit_row **rows_r, size_t *n_r,
                   const char **error_r)
{
    const char *err = NULL;
    if (sg_store_audit_rows(r->q, id, SG_STORE_RELEASE_REQUEST, 0, rows_r, n_r, &err) <
        0)
        return sg_review_keep(error_r, "", err);
    return 0;
}
