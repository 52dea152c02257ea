/*
 * test_retention.c - retention classes, expiry tombstones, legal holds
 * and the subject access export, through the review library on a real
 * store: on SQLite here, and on PostgreSQL when SG_TEST_STORE says so
 * (tests/integration/test_store_pg_unit.sh).
 *
 *   each outcome gets its class and the date of its class's period
 *   after the decision; a waiting record none; a status change dates it
 *   again;
 *   a rule's "retention" class keeps a concern it matched by the longer
 *   kept of that class and its track's, and does not touch a released
 *   or refused record;
 *   past the date, expire empties the record: nothing personal is left
 *   in any of its rows, the copy is gone, the dates, rule ids and audit
 *   rows stay; a dry run changes nothing;
 *   a record on a legal hold is kept whole until the hold is lifted;
 *   holds are audited and refused twice;
 *   the export of one person holds every record of theirs and no other
 *   person's address, name, number or the reviewer's login, in HTML and
 *   JSON, and is audited with the count only.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "review_cmd.h"
#include "review_fixture.h"
#include "store.h"
#include "store_util.h"

static const struct sg_review_actor dsl = {
    .user = "dsl.jones", .from = "test", .tracks = 0};

/* Everything personal the fixture's records hold, and the note's. */
static const char *const personal[] = {
    "amy.pupil", "Amy", "Pupil", "someone@elsewhere", "j.smith", "Smith",
    "John", "900123", "Call me", "dsl.jones", "07700 900999", "127.0.0.1",
};

#define setup    review_fixture_new
#define teardown review_fixture_free

/* A record of a message not held (refused when sent) on track t. */
static char *
hold_unheld(struct review_fixture *e, enum sg_track t,
            enum sg_store_status status)
{
    struct sg_rule_match rule = {
        .id = "welfare-words",
        .title = "Words of concern",
        .mode = SG_MODE_ENFORCE,
        .track = t,
        .action = SG_ACTION_REJECT,
    };
    struct sg_verdict v = {.action = SG_ACTION_REJECT, .rules = &rule,
                           .n_rules = 1};
    struct sg_party rcpt = {"someone@elsewhere.example", NULL,
                            SG_CHANNEL_NONE};
    struct sg_hold h = {
        .queue_id = "NOQUEUE",
        .time = time(NULL),
        .env_from = "j.smith@school.example",
        .rcpts = &rcpt,
        .n_rcpts = 1,
        .verdict = &v,
        .data = "", /* a held one's copy: empty */
        .fd = -1,
        .status = status,
    };
    char *id = NULL;
    const char *err = NULL;
    if (sg_store_hold(e->q, &h, &id, &err) != 0)
        fail_msg("hold: %s", err);
    return id;
}

/* A held message of j.smith's, now. */
static char *
smith(struct review_fixture *e, const char *qid)
{
    return review_fixture_hold(e, qid, "j.smith@school.example", NULL,
                               time(NULL), false);
}

static void
open_review(struct review_fixture *e)
{
    struct sg_review_settings s;
    review_fixture_settings(e, &s);
    review_fixture_open(e, &s);
}

static void
info_of(struct review_fixture *e, const char *id,
        struct sg_store_retention_info *info)
{
    const char *err = NULL;
    if (sg_store_retention_info(e->q, id, info, &err) != 0)
        fail_msg("%s", err);
}

/* class and expiry (days after the status change; -1: no class) */
static void
assert_class(struct review_fixture *e, const char *id, const char *cls,
             int days)
{
    struct sg_store_retention_info info;
    info_of(e, id, &info);
    struct sg_store_record *rec = NULL;
    const char *err = NULL;
    assert_int_equal(sg_store_get(e->q, id, &rec, &err), 0);
    if (cls == NULL) {
        assert_null(info.retention_class);
        assert_int_equal(info.expires, 0);
    } else {
        assert_non_null(info.retention_class);
        assert_string_equal(info.retention_class, cls);
        assert_int_equal(info.expires, rec->status_changed + days * DAY);
    }
    sg_store_record_free(&rec);
    sg_store_retention_info_clear(&info);
}

/* Release (or reject) id with note: 0 or the review's result. */
static int
decide(struct review_fixture *e, const char *id, const char *note,
       bool release)
{
    struct sg_review_words w = {note, NULL};
    const char *err = NULL;
    return release ? sg_review_release(e->r, id, &dsl, &w, &err)
                   : sg_review_reject(e->r, id, &dsl, &w, &err);
}

static struct sg_review_expire_result
expire_at(struct review_fixture *e, time_t now, bool dry)
{
    struct sg_review_expire_result res;
    const char *err = NULL;
    if (sg_review_expire_run(e->r, &dsl, now, dry, NULL, &res, &err) != 0)
        fail_msg("expire: %s", err);
    return res;
}

static void
test_classes(void **state)
{
    struct review_fixture *e = *state;
    open_review(e);
    time_t now = time(NULL);
    char *rel = smith(e, "Q1");
    char *rej = smith(e, "Q2");
    char *wait = smith(e, "Q3");
    char *refused = hold_unheld(e, SG_TRACK_PUPIL_WELFARE,
                                SG_QSTATUS_REFUSED);
    const char *err = NULL;
    assert_int_equal(decide(e, rel, "harmless", true),
                     0);
    assert_int_equal(decide(e, rej, "not allowed", false),
                     0);
    /* dated at the decision, before any expire */
    assert_class(e, rel, SG_RETENTION_RELEASED,
                 SG_REVIEW_RETENTION_RELEASED_DAYS);
    assert_class(e, rej, SG_RETENTION_CONDUCT,
                 SG_REVIEW_RETENTION_CONDUCT_DAYS);
    assert_class(e, refused, NULL, 0);
    expire_at(e, now, false);
    assert_class(e, refused, SG_RETENTION_NO_CONCERN,
                 SG_REVIEW_RETENTION_DAYS);
    assert_class(e, wait, NULL, 0);

    /* a welfare concern, rejected; then its status changes again */
    char *welfare = hold_unheld(e, SG_TRACK_PUPIL_WELFARE, SG_QSTATUS_HELD);
    assert_int_equal(sg_store_set_status(e->q, welfare, SG_QSTATUS_HELD,
                                         SG_QSTATUS_REJECTED, "dsl", NULL,
                                         "concern", &err),
                     0);
    expire_at(e, now, false);
    assert_class(e, welfare, SG_RETENTION_WELFARE,
                 SG_REVIEW_RETENTION_WELFARE_DAYS);
    assert_int_equal(sg_store_set_status(e->q, welfare, SG_QSTATUS_REJECTED,
                                         SG_QSTATUS_RELEASED, "dsl", NULL,
                                         "no concern after all", &err),
                     0);
    assert_class(e, welfare, NULL, 0);
    expire_at(e, now, false);
    assert_class(e, welfare, SG_RETENTION_RELEASED,
                 SG_REVIEW_RETENTION_RELEASED_DAYS);

    /* a period of 0: kept without end */
    struct sg_review_settings s;
    review_fixture_settings(e, &s);
    s.retention_released_days = 0;
    review_fixture_open(e, &s);
    assert_int_equal(sg_store_set_status(e->q, welfare, SG_QSTATUS_RELEASED,
                                         SG_QSTATUS_REJECTED, "dsl", NULL,
                                         "back", &err),
                     0);
    assert_int_equal(sg_store_set_status(e->q, welfare, SG_QSTATUS_REJECTED,
                                         SG_QSTATUS_RELEASED, "dsl", NULL,
                                         "forth", &err),
                     0);
    struct sg_review_expire_result res = expire_at(e, now + (time_t)40000 * DAY,
                                                   true);
    struct sg_store_retention_info info;
    info_of(e, welfare, &info);
    assert_string_equal(info.retention_class, SG_RETENTION_RELEASED);
    assert_int_equal(info.expires, 0);
    sg_store_retention_info_clear(&info);
    assert_int_equal(res.purged, 3); /* all but the released and waiting */
    free(rel);
    free(rej);
    free(wait);
    free(refused);
    free(welfare);
}

/* A record on track matched by a second rule that names the class
 * named (or none when named is -1), decided to status. */
static char *
hold_named(struct review_fixture *e, const char *qid, enum sg_track track,
           int named, enum sg_store_status status)
{
    struct sg_rule_match rules[] = {
        {.id = "on-track",
         .mode = SG_MODE_ENFORCE,
         .track = track,
         .action = SG_ACTION_HOLD},
        {.id = "names-a-class",
         .mode = SG_MODE_ENFORCE,
         .track = track,
         .retention = named >= 0 ? (enum sg_track)named : SG_TRACK_PUPIL_WELFARE,
         .has_retention = named >= 0,
         .action = SG_ACTION_HOLD},
    };
    char *id = review_fixture_hold_rules(e, qid, "j.smith@school.example",
                                         NULL, time(NULL), rules, 2);
    const char *err = NULL;
    if (status != SG_QSTATUS_HELD &&
        sg_store_set_status(e->q, id, SG_QSTATUS_HELD, status, "dsl", NULL,
                            "decided", &err) != 0)
        fail_msg("%s", err);
    return id;
}

static void
test_rule_class(void **state)
{
    struct review_fixture *e = *state;
    open_review(e);
    time_t now = time(NULL);
    /* staff conduct that a rule says is a child's welfare: 25 years */
    char *grooming = hold_named(e, "Q1", SG_TRACK_STAFF_CONDUCT,
                                SG_TRACK_PUPIL_WELFARE, SG_QSTATUS_REJECTED);
    /* a welfare concern whose rule names the shorter class: its own */
    char *welfare = hold_named(e, "Q2", SG_TRACK_PUPIL_WELFARE,
                               SG_TRACK_STAFF_CONDUCT, SG_QSTATUS_REJECTED);
    /* released, or never decided by anyone: their short classes */
    char *released = hold_named(e, "Q3", SG_TRACK_STAFF_CONDUCT,
                                SG_TRACK_PUPIL_WELFARE, SG_QSTATUS_RELEASED);
    char *refused = hold_named(e, "Q4", SG_TRACK_STAFF_CONDUCT,
                               SG_TRACK_PUPIL_WELFARE, SG_QSTATUS_EXPIRED);
    /* no rule names a class: the track's */
    char *plain = hold_named(e, "Q5", SG_TRACK_STAFF_CONDUCT, -1,
                             SG_QSTATUS_REJECTED);
    expire_at(e, now, false);
    assert_class(e, grooming, SG_RETENTION_WELFARE,
                 SG_REVIEW_RETENTION_WELFARE_DAYS);
    assert_class(e, welfare, SG_RETENTION_WELFARE,
                 SG_REVIEW_RETENTION_WELFARE_DAYS);
    assert_class(e, released, SG_RETENTION_RELEASED,
                 SG_REVIEW_RETENTION_RELEASED_DAYS);
    assert_class(e, refused, SG_RETENTION_NO_CONCERN,
                 SG_REVIEW_RETENTION_DAYS);
    assert_class(e, plain, SG_RETENTION_CONDUCT,
                 SG_REVIEW_RETENTION_CONDUCT_DAYS);

    /* where staff-conduct is kept for ever, it is the longer: a welfare
     * concern whose rule names staff-conduct is kept so */
    struct sg_review_settings s;
    review_fixture_settings(e, &s);
    s.retention_conduct_days = 0;
    review_fixture_open(e, &s);
    char *forever = hold_named(e, "Q6", SG_TRACK_PUPIL_WELFARE,
                               SG_TRACK_STAFF_CONDUCT, SG_QSTATUS_REJECTED);
    char *welfare2 = hold_named(e, "Q7", SG_TRACK_PUPIL_WELFARE, -1,
                                SG_QSTATUS_REJECTED);
    expire_at(e, now, false);
    struct sg_store_retention_info info;
    info_of(e, forever, &info);
    assert_string_equal(info.retention_class, SG_RETENTION_CONDUCT);
    assert_int_equal(info.expires, 0);
    sg_store_retention_info_clear(&info);
    assert_class(e, welfare2, SG_RETENTION_WELFARE,
                 SG_REVIEW_RETENTION_WELFARE_DAYS);
    free(grooming);
    free(welfare);
    free(released);
    free(refused);
    free(plain);
    free(forever);
    free(welfare2);
}

/* Does any row of the record still hold one of the personal strings? */
static void
assert_nothing_personal(struct review_fixture *e, const char *id)
{
    struct sg_store_record *rec = NULL;
    struct sg_store_rcpt *rc = NULL;
    struct sg_store_finding *f = NULL;
    struct sg_store_rule *ru = NULL;
    struct sg_store_audit_row *a = NULL;
    size_t n_rc = 0, n_f = 0, n_ru = 0, n_a = 0;
    const char *err = NULL;
    assert_int_equal(sg_store_get(e->q, id, &rec, &err), 0);
    assert_int_equal(sg_store_rcpts(e->q, id, &rc, &n_rc, &err), 0);
    assert_int_equal(sg_store_findings(e->q, id, &f, &n_f, &err), 0);
    assert_int_equal(sg_store_rules(e->q, id, &ru, &n_ru, &err), 0);
    assert_int_equal(sg_store_audit_rows(e->q, id, NULL, 0, &a, &n_a, &err),
                     0);
    assert_int_equal(n_rc, 0);
    assert_int_equal(n_f, 0);
    assert_true(n_ru > 0); /* the rule ids stay */
    assert_string_equal(ru[0].id, "personal-contact");
    assert_null(rec->message_path);
    char all[8192] = "";
    const char *fields[] = {rec->client,         rec->auth_user,
                            rec->env_from,       rec->subject,
                            rec->explain_sender, rec->explain_dsl,
                            rec->sender_name};
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
        if (fields[i] != NULL)
            strncat(all, fields[i], sizeof(all) - strlen(all) - 1);
    for (size_t i = 0; i < n_ru; i++) {
        strncat(all, ru[i].recipients, sizeof(all) - strlen(all) - 1);
        if (ru[i].explain_dsl != NULL)
            strncat(all, ru[i].explain_dsl, sizeof(all) - strlen(all) - 1);
    }
    bool tombstone_row = false;
    for (size_t i = 0; i < n_a; i++) {
        if (a[i].note != NULL)
            strncat(all, a[i].note, sizeof(all) - strlen(all) - 1);
        tombstone_row |= strcmp(a[i].action, "retention-expired") == 0;
    }
    assert_true(tombstone_row);
    assert_true(n_a >= 3); /* held, released, expired: the trail stays */
    for (size_t i = 0; i < sizeof(personal) / sizeof(*personal); i++)
        if (strcmp(personal[i], "dsl.jones") != 0 && /* the actor stays */
            strstr(all, personal[i]) != NULL)
            fail_msg("the tombstone keeps \"%s\": %s", personal[i], all);
    sg_store_record_free(&rec);
    sg_store_rcpts_free(&rc, &n_rc);
    sg_store_findings_free(&f, &n_f);
    sg_store_rules_free(&ru, &n_ru);
    sg_store_audit_rows_free(&a, &n_a);
}

static void
test_tombstone(void **state)
{
    struct review_fixture *e = *state;
    open_review(e);
    time_t now = time(NULL);
    char *id = smith(e, "Q1");
    struct sg_store_record *rec = NULL;
    const char *err = NULL;
    assert_int_equal(sg_store_get(e->q, id, &rec, &err), 0);
    char *path = strdup(rec->message_path);
    sg_store_record_free(&rec);
    assert_int_equal(decide(e, id, "Amy Pupil's mum rang: 07700 900999", true),
                     0);
    /* not yet due; a dry run when due changes nothing */
    assert_int_equal(expire_at(e, now + 29 * DAY, false).purged, 0);
    assert_int_equal(expire_at(e, now + 31 * DAY, true).purged, 1);
    assert_int_equal(access(path, F_OK), 0);
    struct sg_store_retention_info info;
    info_of(e, id, &info);
    assert_int_equal(info.tombstoned, 0);
    sg_store_retention_info_clear(&info);

    struct sg_review_expire_result res = expire_at(e, now + 31 * DAY, false);
    assert_int_equal(res.purged, 1);
    assert_int_equal(access(path, F_OK), -1);
    info_of(e, id, &info);
    assert_int_equal(info.tombstoned, now + 31 * DAY);
    assert_string_equal(info.retention_class, SG_RETENTION_RELEASED);
    sg_store_retention_info_clear(&info);
    assert_nothing_personal(e, id);
    if (strncmp(e->db, "postgresql:", 11) == 0) /* the copy in the database */
        assert_int_equal(sg_test_db_int(e->db,
                                        "SELECT count(*) FROM copies"
                                        " WHERE record_id = ?1",
                                        id),
                         0);
    /* the audit stays append-only: only a tombstone's notes may go */
    char sql[256];
    snprintf(sql, sizeof(sql),
             "UPDATE audit SET actor = 'someone' WHERE record_id = '%s'", id);
    assert_true(sg_test_db_refused(e->db, sql));
    snprintf(sql, sizeof(sql),
             "DELETE FROM audit WHERE record_id = '%s'", id);
    assert_true(sg_test_db_refused(e->db, sql));
    char *live = smith(e, "Q2");
    snprintf(sql, sizeof(sql),
             "UPDATE audit SET note = NULL WHERE record_id = '%s'", live);
    assert_true(sg_test_db_refused(e->db, sql));
    free(live);
    /* once only */
    char *p2 = NULL;
    assert_int_equal(sg_store_tombstone(e->q, id, now + 32 * DAY, "x", &p2,
                                        &err),
                     SG_STORE_WRONG_STATUS);
    assert_int_equal(expire_at(e, now + 32 * DAY, false).purged, 0);
    free(path);
    free(id);
}

static void
test_legal_hold(void **state)
{
    struct review_fixture *e = *state;
    open_review(e);
    time_t now = time(NULL);
    char *kept = smith(e, "Q1");
    char *gone = smith(e, "Q2");
    const char *err = NULL;
    assert_int_equal(decide(e, kept, "fine", true),
                     0);
    assert_int_equal(decide(e, gone, "fine", true),
                     0);
    assert_int_equal(sg_review_legal(e->r, kept, &dsl, false, "", &err), -1);
    assert_int_equal(sg_review_legal(e->r, kept, &dsl, false,
                                     "subject access request", &err),
                     0);
    assert_int_equal(sg_review_legal(e->r, kept, &dsl, false, "again", &err),
                     SG_REVIEW_WRONG_STATUS);
    assert_int_equal(sg_review_legal(e->r, "SG-20990101-000000", &dsl, false,
                                     "none", &err),
                     SG_REVIEW_NOT_FOUND);
    assert_int_equal(review_fixture_audited(e, kept, "legal-hold"), 1);

    char line[256], hold[1024];
    assert_int_equal(sg_review_retention_text(e->r, kept, line, sizeof(line),
                                              hold, sizeof(hold)),
                     0);
    assert_non_null(strstr(hold, "subject access request"));
    assert_non_null(strstr(hold, "dsl.jones"));

    struct sg_review_expire_result res = expire_at(e, now + 31 * DAY, false);
    assert_int_equal(res.purged, 1);
    struct sg_store_finding *f = NULL;
    size_t n_f = 0;
    assert_int_equal(sg_store_findings(e->q, kept, &f, &n_f, &err), 0);
    assert_int_equal(n_f, 1); /* kept whole */
    sg_store_findings_free(&f, &n_f);
    struct sg_store_retention_info info;
    info_of(e, kept, &info);
    assert_int_equal(info.tombstoned, 0);
    assert_true(info.on_hold);
    sg_store_retention_info_clear(&info);
    /* a tombstone takes no hold */
    assert_int_equal(sg_review_legal(e->r, gone, &dsl, false, "late", &err),
                     SG_REVIEW_WRONG_STATUS);

    assert_int_equal(sg_review_legal(e->r, kept, &dsl, true,
                                     "request answered", &err),
                     0);
    assert_int_equal(sg_review_legal(e->r, kept, &dsl, true, "twice", &err),
                     SG_REVIEW_WRONG_STATUS);
    assert_int_equal(review_fixture_audited(e, kept, "legal-hold-lifted"), 1);
    assert_int_equal(expire_at(e, now + 31 * DAY, false).purged, 1);
    info_of(e, kept, &info);
    assert_int_not_equal(info.tombstoned, 0);
    sg_store_retention_info_clear(&info);
    free(kept);
    free(gone);
}

static void
no_credit(void *ctx, const char *by)
{
    (void)ctx;
    (void)by;
}

static bool
on_hold(struct review_fixture *e, const char *id)
{
    struct sg_store_retention_info info;
    info_of(e, id, &info);
    bool held = info.on_hold;
    sg_store_retention_info_clear(&info);
    return held;
}

/* legal-hold --staff: every record of that person, as the tool runs it */
static void
test_legal_hold_staff(void **state)
{
    struct review_fixture *e = *state;
    open_review(e);
    time_t now = time(NULL);
    char *a = smith(e, "Q1");
    char *b = smith(e, "Q2");
    char *other = review_fixture_hold(e, "Q3", "k.other@school.example",
                                      NULL, now, false);
    struct sg_review_actor actor = dsl;
    struct sg_review_cmd c = {e->r, &actor, no_credit, NULL};
    char *place[] = {"legal-hold", "--staff", "J.Smith@school.example",
                     "--reason", "LADO referral", NULL};
    assert_int_equal(sg_review_cmd_legal_hold(&c, 5, place), 0);
    assert_true(on_hold(e, a));
    assert_true(on_hold(e, b));
    assert_false(on_hold(e, other));
    char *bad[] = {"legal-hold", "--staff", "x@y.example", NULL};
    assert_int_equal(sg_review_cmd_legal_hold(&c, 3, bad), 64); /* no reason */
    char *lift[] = {"legal-hold", "--lift", "--staff",
                    "j.smith@school.example", "--note", "closed", NULL};
    assert_int_equal(sg_review_cmd_legal_hold(&c, 6, lift), 0);
    assert_false(on_hold(e, a));
    assert_false(on_hold(e, b));
    assert_int_equal(review_fixture_audited(e, a, "legal-hold-lifted"), 1);
    free(a);
    free(b);
    free(other);
}

/* The export of address, in HTML or JSON, as a string. */
static char *
export(struct review_fixture *e, const char *address, bool json, size_t *n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    const char *err = NULL;
    if (sg_review_sar(e->r, address, &dsl, json, f, n, &err) != 0)
        fail_msg("sar: %s", err);
    fclose(f);
    return text;
}

static void
assert_masked(const char *text, const char *const *others, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(text, others[i]) != NULL)
            fail_msg("the export shows \"%s\":\n%s", others[i], text);
}

static void
test_sar(void **state)
{
    struct review_fixture *e = *state;
    open_review(e);
    time_t now = time(NULL);
    char *a = review_fixture_hold(e, "Q1", "j.smith@school.example",
                                  "For Amy", now, true);
    char *b = smith(e, "Q2");
    char *other = review_fixture_hold(e, "Q3", "k.other@school.example",
                                      NULL, now, false);
    const char *err = NULL;
    assert_int_equal(
        sg_review_note(e->r, a, &dsl,
                       "Amy Pupil told dsl.jones on 2026-11-30; "
                       "someone@elsewhere.example and mum on 07700 900999 "
                       "and x.y@other.example",
                       &err),
        0);
    for (int json = 0; json < 2; json++) {
        size_t n = 0;
        char *text = export(e, "j.smith@school.example", json, &n);
        assert_int_equal(n, 2);
        assert_non_null(strstr(text, a));
        assert_non_null(strstr(text, b));
        assert_null(strstr(text, other));
        assert_non_null(strstr(text, "j.smith@school.example"));
        assert_non_null(strstr(text, "[person 1]"));
        assert_non_null(strstr(text, "[reviewer 1]"));
        assert_non_null(strstr(text, "[number 1]"));
        assert_non_null(strstr(text, "2026-11-30")); /* a date, kept */
        const char *others[] = {"amy.pupil", "Amy", "Pupil",
                                "someone@elsewhere", "dsl.jones", "900999",
                                "900123", "x.y@other", "k.other"};
        assert_masked(text, others, sizeof(others) / sizeof(*others));
        if (!json) {
            assert_null(strstr(text, "<script"));
            assert_non_null(strstr(text, "@media print"));
        }
        free(text);
    }
    /* the pupil's own export shows the sender masked */
    size_t n = 0;
    char *text = export(e, "amy.pupil@school.example", false, &n);
    assert_int_equal(n, 3);
    const char *others[] = {"j.smith", "John", "Smith", "k.other",
                            "someone@elsewhere"};
    assert_masked(text, others, sizeof(others) / sizeof(*others));
    assert_non_null(strstr(text, "amy.pupil@school.example"));
    free(text);
    /* audited: the requester and the count, never the content */
    struct sg_store_audit_row *rows = NULL;
    size_t n_rows = 0;
    assert_int_equal(sg_store_audit_rows(e->q, NULL, "subject-access", 0,
                                         &rows, &n_rows, &err),
                     0);
    assert_int_equal(n_rows, 3);
    assert_string_equal(rows[0].actor, "dsl.jones");
    assert_string_equal(rows[0].note, "subject access export: 2 records");
    sg_store_audit_rows_free(&rows, &n_rows);
    free(a);
    free(b);
    free(other);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tombstone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legal_hold, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legal_hold_staff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sar, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
