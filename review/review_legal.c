/*
 * review_legal.c - legal holds (safeguard-review legal-hold) and the
 * retention lines of a record for show and the item page.
 *
 * A legal hold keeps a record whole past its retention date, for a
 * subject access request, a LADO referral or a claim: expire never
 * touches a record with an open hold (store.h).  A hold is placed on one
 * record, or on every record where one member of staff is the sender or
 * a recipient (--staff ADDRESS), and lifted the same way; each change is
 * one audit row per record, with the reason or the note.  Reviewers of
 * one track only place holds on their track's records: a record of the
 * other track is "not found", as everywhere else (sg_review_get).
 *
 * Fails by returning -1 (or the result codes of review.h) with an error
 * string; never logs, never exits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "review_cmd.h"
#include "review_int.h"
#include "review_opts.h"
#include "sg_person.h"

int
sg_review_retention_text(struct sg_review *r, const char *id, char *buf,
                         size_t size, char *hold, size_t hold_size)
{
    struct sg_store_retention_info info;
    const char *err = NULL;
    buf[0] = hold[0] = '\0';
    int rc = sg_store_retention_info(r->q, id, &info, &err);
    if (rc != 0)
        return rc < 0 ? -1 : rc;
    char when[32] = "";
    if (info.tombstoned != 0) {
        sg_review_iso(info.tombstoned, when, sizeof(when));
        snprintf(buf, size, "%s, expired %s: personal data deleted",
                 info.retention_class ? info.retention_class : "?", when);
    } else if (info.retention_class == NULL) {
        snprintf(buf, size, "none yet (dated when decided)");
    } else if (info.expires == 0) {
        snprintf(buf, size, "%s, kept without end", info.retention_class);
    } else {
        sg_review_iso(info.expires, when, sizeof(when));
        snprintf(buf, size, "%s, expires %s", info.retention_class, when);
    }
    if (info.on_hold) {
        sg_review_iso(info.hold_placed, when, sizeof(when));
        snprintf(hold, hold_size, "since %s by %s: %s", when, info.hold_by,
                 info.hold_reason);
    }
    sg_store_retention_info_clear(&info);
    return 0;
}

void
sg_review_print_retention(struct sg_review *r, const char *id, FILE *out)
{
    char line[256], hold[1024];
    if (sg_review_retention_text(r, id, line, sizeof(line), hold,
                                 sizeof(hold)) != 0)
        return;
    fprintf(out, "Retention:   %s\n", line);
    if (hold[0] != '\0')
        fprintf(out, "Legal hold:  %s\n", hold);
}

int
sg_review_legal(struct sg_review *r, const char *id,
                const struct sg_review_actor *actor, bool lift,
                const char *text, const char **error_r)
{
    if (!sg_review_actor_ok(actor) || id == NULL)
        return sg_review_fail(error_r, "missing record or actor");
    if (text == NULL || *text == '\0')
        return sg_review_fail(error_r, lift ? "a note is required: say why"
                                            : "a reason is required: say why");
    struct sg_store_record *rec = NULL;
    int rc = sg_review_get(r, id, actor, &rec, error_r);
    if (rc != 0)
        return rc;
    sg_store_record_free(&rec);
    const char *err = NULL;
    rc = lift ? sg_store_legal_lift(r->q, id, actor->user, actor->from, text,
                                    &err)
              : sg_store_legal_hold(r->q, id, actor->user, actor->from, text,
                                    &err);
    if (rc != 0)
        sg_review_keep(error_r, "", err);
    return rc;
}

/* legal-hold ID --reason TEXT [--by NAME]
 * legal-hold --lift ID --note TEXT [--by NAME]
 * legal-hold --staff ADDRESS (--reason TEXT | --lift --note TEXT) */
int
sg_review_cmd_legal_hold(const struct sg_review_cmd *c, int argc, char **argv)
{
    const char *reason = NULL, *note = NULL, *staff = NULL, *by = NULL;
    bool lift = false;
    const struct sg_review_opt opts[] = {
        SG_OPT_VALUE("reason", &reason), SG_OPT_VALUE("note", &note),
        SG_OPT_FLAG("lift", &lift),      SG_OPT_VALUE("staff", &staff),
        SG_OPT_VALUE("by", &by),         SG_OPT_END,
    };
    int first = sg_review_opts(argc, argv, opts);
    if (first < 0)
        return EX_USAGE;
    const char *text = lift ? note : reason;
    if ((staff == NULL) == (first + 1 != argc) || text == NULL ||
        (lift ? reason : note) != NULL) {
        fprintf(stderr, "safeguard-review: legal-hold ID --reason TEXT, "
                        "legal-hold --lift ID --note TEXT, or --staff "
                        "ADDRESS instead of ID\n");
        return EX_USAGE;
    }
    c->credit(c->ctx, by);
    char **ids = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (staff != NULL) {
        if (sg_store_party_ids(c->r->q, staff, &ids, &n, &err) < 0) {
            fprintf(stderr, "safeguard-review: %s\n", err);
            return EX_TEMPFAIL;
        }
    } else if (sg_strv_push(&ids, &n, argv[first]) < 0) {
        return EX_OSERR;
    }
    int ret = EX_OK;
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = sg_review_legal(c->r, ids[i], c->actor, lift, text, &err);
        if (rc == 0) {
            done++;
            printf("%s: legal hold %s\n", ids[i], lift ? "lifted" : "placed");
        } else if (staff != NULL && rc == SG_REVIEW_WRONG_STATUS) {
            printf("%s: %s\n", ids[i], err); /* the others still go */
        } else {
            fprintf(stderr, "safeguard-review: %s\n", err);
            ret = rc == SG_REVIEW_NOT_FOUND      ? EX_NOINPUT
                  : rc == SG_REVIEW_WRONG_STATUS ? EX_DATAERR
                                                 : EX_TEMPFAIL;
        }
    }
    if (staff != NULL)
        printf("legal-hold: %zu of %zu records of %s %s\n", done, n, staff,
               lift ? "lifted" : "placed on hold");
    sg_strv_free(&ids, &n);
    return ret;
}
