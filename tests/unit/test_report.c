/*
 * test_report.c - the policy changelog (core/policy.c,
 * core/store_sql_policy.c), the provision report (review/review_report.c,
 * core/store_sql_report.c) and the concern export (review/review_export.c)
 * on a real store filled through sg_store_hold: on SQLite here, and on
 * PostgreSQL when SG_TEST_STORE says so
 * (tests/integration/test_store_pg_unit.sh).
 *
 *   a version of the policy is recorded when its hash changes, and only
 *   then (or with a note); its diff is the change; no secret is kept;
 *   the diff itself against known texts;
 *   the report's counts against records with known numbers, and its
 *   period;
 *   the report names no pupil and no member of staff, in HTML or CSV;
 *   a trust's report counts by school, one school's has no such
 *   section, and a school's reviewer's counts its school alone;
 *   each rule's category is stored with the record;
 *   the concern export: one row per record, the pupil and their UPN,
 *   the decision's reviewer and rationale, no message text, and the
 *   two tracks never mixed.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "mailqueue.h"
#include "policy.h"
#include "review_fixture.h"
#include "review_report.h"
#include "sg_config.h"
#include "store.h"
#include "store_util.h"

#define JAN 1768003200 /* 2026-01-10 00:00 UTC */
#define FEB 1770681600 /* 2026-02-10 00:00 UTC */
#define MAR 1772323200 /* 2026-03-01 00:00 UTC */

static const struct sg_review_actor actor = {.user = "head", .from = "test"};

/* A fixture with its review open. */
static int
setup(void **state)
{
    if (review_fixture_new(state) < 0)
        return -1;
    struct review_fixture *e = *state;
    struct sg_review_settings s;
    review_fixture_settings(e, &s);
    review_fixture_open(e, &s);
    return 0;
}

#define teardown review_fixture_free

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The configuration in dir naming the rules file rules. */
static struct sg_config *
config_in(struct review_fixture *e, const char *rules, const char *extra)
{
    char path[256], conf[1024], rpath[256];
    snprintf(rpath, sizeof(rpath), "%s/test.rules", e->dir);
    write_file(rpath, rules);
    snprintf(path, sizeof(path), "%s/test.conf", e->dir);
    snprintf(conf, sizeof(conf),
             "rules_file = %s\n"
             "quarantine_db = postgresql://sg:s3cretpw@db.example/sg\n"
             "ldap_bind_password_file = /etc/sg/bind-pw\n"
             "%s",
             rpath, extra);
    write_file(path, conf);
    const char *error = NULL;
    struct sg_config *cfg = sg_config_load(path, &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    return cfg;
}

/* A rule whose title is far below its first line. */
#define RULES(title)                                                           \
    "rule a {\n  mode test\n  track staff-conduct\n  category \"C\"\n"         \
    "  policy \"P\"\n  source \"S\"\n  title \"" title "\"\n}\n"

static int
record(struct review_fixture *e, struct sg_config *cfg, const char *note)
{
    const char *error = NULL;
    int rc = sg_policy_record(e->q, cfg, note, JAN, &error);
    if (rc < 0)
        fail_msg("%s", error);
    return rc;
}

static void
test_policy_changelog(void **state)
{
    struct review_fixture *e = *state;
    struct sg_config *cfg = config_in(e, RULES("A"), "");
    assert_int_equal(record(e, cfg, NULL), 1);
    /* the same policy again, as at a reload: nothing new */
    assert_int_equal(record(e, cfg, NULL), 0);
    sg_config_free(&cfg);

    cfg = config_in(e, RULES("A, stricter"), "subject_tag = [held]\n");
    assert_int_equal(record(e, cfg, NULL), 1);
    assert_int_equal(record(e, cfg, NULL), 0);
    /* --record WHY: recorded with the note though nothing changed */
    assert_int_equal(record(e, cfg, "governors asked for it"), 1);
    sg_config_free(&cfg);
    /* another mail server's first version; what it records is no change
     * of this host's */
    cfg = config_in(e, RULES("A, stricter"),
                    "subject_tag = [held]\nhost_name = mx2\n");
    assert_int_equal(record(e, cfg, NULL), 1);
    assert_int_equal(record(e, cfg, NULL), 0);
    sg_config_free(&cfg);
    cfg = config_in(e, RULES("A, stricter"), "subject_tag = [held]\n");
    assert_int_equal(record(e, cfg, NULL), 0);
    sg_config_free(&cfg);
    /* a change of the settings alone: in no rule */
    cfg = config_in(e, RULES("A, stricter"), "subject_tag = [HELD]\n");
    assert_int_equal(record(e, cfg, NULL), 1);
    sg_config_free(&cfg);

    struct sg_store_policy_change *rows = NULL;
    size_t n = 0;
    const char *error = NULL;
    if (sg_store_policy_list(e->q, 0, 0, &rows, &n, &error) < 0)
        fail_msg("%s", error);
    assert_int_equal(n, 5);
    assert_string_equal(rows[3].host, "mx2");
    assert_string_not_equal(rows[2].host, "mx2");
    assert_non_null(strstr(rows[1].diff, "-  title \"A\"\n"));
    assert_non_null(strstr(rows[1].diff, "+  title \"A, stricter\"\n"));
    assert_non_null(strstr(rows[1].diff, "+subject_tag = [held]\n"));
    /* the hunk names the rule it is in, as diff -p does */
    assert_non_null(strstr(rows[1].diff, " @@ rule a {\n"));
    assert_string_equal(rows[1].note, "");
    assert_string_equal(rows[2].diff, "");
    assert_string_equal(rows[2].note, "governors asked for it");
    assert_string_not_equal(rows[0].hash, rows[1].hash);
    assert_string_equal(rows[1].hash, rows[2].hash);
    assert_int_equal(strlen(rows[0].hash), 64);
    assert_true(rows[0].owner[0] != '\0');
    for (size_t i = 0; i < n; i++) {
        assert_null(strstr(rows[i].diff, "s3cretpw"));
        assert_null(strstr(rows[i].diff, "/etc/sg/bind-pw"));
    }
    /* the first version's diff is the whole text: the secrets are out */
    assert_non_null(strstr(rows[0].diff, "+quarantine_db = (secret, not "
                                         "recorded)"));
    char *hash = NULL, *text = NULL;
    char host[256];
    if (sg_store_policy_latest(e->q,
                               sg_mailqueue_host_name(NULL, host, sizeof(host)),
                               &hash, &text, &error) < 0)
        fail_msg("%s", error);
    assert_null(strstr(text, "s3cretpw"));
    assert_non_null(strstr(text, "title \"A, stricter\""));
    free(hash);
    free(text);
    sg_store_policy_changes_free(&rows, &n);

    /* the report names the rule that changed, and why */
    char *html = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&html, &len);
    if (sg_review_report(e->r, 0, 0, MAR, SG_REPORT_HTML, out, &actor, &error) <
        0)
        fail_msg("%s", error);
    fclose(out);
    if (strstr(html, "<td>the first version recorded</td>") == NULL ||
        strstr(html, "<td>a</td><td>no note given</td>") == NULL ||
        strstr(html, "<td>none (a note only)</td><td>governors asked for "
                     "it</td>") == NULL ||
        strstr(html, "<td>settings only</td><td>no note given</td>") == NULL)
        fail_msg("the report's changes:\n%s", html);
    free(html);
}

static void
test_policy_diff(void **state)
{
    (void)state;
    char *d = sg_policy_diff("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n",
                             "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\nl\n");
    assert_non_null(d);
    assert_string_equal(d, "--- before\n+++ after\n"
                           "@@ -2,10 +2,11 @@\n"
                           " b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n k\n+l\n");
    free(d);
    /* changes far apart: two hunks */
    d = sg_policy_diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
                       "X\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\nY\n");
    assert_string_equal(d, "--- before\n+++ after\n"
                           "@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n 4\n"
                           "@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+Y\n");
    free(d);
    d = sg_policy_diff("same\n", "same\n");
    assert_string_equal(d, "");
    free(d);
}

/* ------------------------------------------------------------ report */

static char *
report_as(struct review_fixture *e, const struct sg_review_actor *who,
          time_t from, time_t to, enum sg_review_report_format format)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    const char *error = NULL;
    if (sg_review_report(e->r, from, to, MAR, format, out, who, &error) < 0)
        fail_msg("%s", error);
    fclose(out);
    return text;
}

static char *
report(struct review_fixture *e, time_t from, time_t to,
       enum sg_review_report_format format)
{
    return report_as(e, &actor, from, to, format);
}

static void
decide(struct review_fixture *e, const char *id, enum sg_store_status to,
       const char *note)
{
    const char *error = NULL;
    if (sg_store_set_status(e->q, id, SG_QSTATUS_HELD, to, "dsl.jones", NULL,
                            note, &error) != 0)
        fail_msg("%s", error);
}

/* Five holds: three in January (one released, two rejected: 1 false
 * positive of 3 decided), two in February (undecided); the January ones
 * match both rules. */
static void
fill(struct review_fixture *e, char *ids[5])
{
    static const char *const qids[] = {"Q1", "Q2", "Q3", "Q4", "Q5"};
    for (int i = 0; i < 5; i++)
        ids[i] = review_fixture_hold(e, qids[i], "j.smith@school.example", NULL,
                                     (i < 3 ? JAN : FEB) + i * 3600, i < 3);
    decide(e, ids[0], SG_QSTATUS_RELEASED, "a false alarm");
    decide(e, ids[1], SG_QSTATUS_REJECTED, "rightly held");
    decide(e, ids[2], SG_QSTATUS_REJECTED, "rightly held");
}

static void
assert_has(const char *text, const char *part)
{
    if (strstr(text, part) == NULL)
        fail_msg("\"%s\" is not in:\n%s", part, text);
}

static void
test_report_counts(void **state)
{
    struct review_fixture *e = *state;
    char *ids[5];
    fill(e, ids);
    char *csv = report(e, 0, 0, SG_REPORT_CSV);
    assert_has(csv, "\"messages\",\"all\",\"\",\"\",\"5\"\r\n");
    assert_has(csv, "\"messages\",\"held\",\"\",\"\",\"5\"\r\n");
    assert_has(csv, "\"month\",\"2026-01\",\"\",\"\",\"3\"\r\n");
    assert_has(csv, "\"month\",\"2026-02\",\"\",\"\",\"2\"\r\n");
    assert_has(csv, "\"outcome\",\"held\",\"\",\"\",\"2\"\r\n");
    assert_has(csv, "\"outcome\",\"rejected\",\"\",\"\",\"2\"\r\n");
    assert_has(csv, "\"outcome\",\"released\",\"\",\"\",\"1\"\r\n");
    assert_has(csv, "\"rule\",\"personal-contact\",\"Personal contact details "
                    "sent to a pupil\",\"Staff conduct\",\"5\"\r\n");
    assert_has(csv, "\"rule\",\"late-night\",\"Late at night\",\"\",\"3\"\r\n");
    assert_has(csv, "\"rule_released\",\"late-night\",\"Late at night\",\"\","
                    "\"1\"\r\n");
    assert_has(csv, "\"decisions\",\"decided\",\"\",\"\",\"3\"\r\n");
    /* decided now, long after January: none within a day */
    assert_has(csv, "\"decisions\",\"within_target\",\"\",\"\",\"0\"\r\n");
    assert_has(csv, "\"decisions\",\"target_seconds\",\"\",\"\",\"86400\"\r\n");
    assert_has(csv, "\"holds\",\"released\",\"\",\"\",\"1\"\r\n");
    assert_has(csv, "\"holds\",\"rejected\",\"\",\"\",\"2\"\r\n");
    /* one school (no school anywhere): no school rows */
    assert_null(strstr(csv, "\"school"));
    free(csv);

    /* February alone, to the 10th: the day given as the end is in it
     * (the holds were at 03:00 and 04:00 on the 10th) */
    time_t until;
    assert_int_equal(sg_review_parse_until("2026-02-10", &until), 0);
    assert_int_equal(until, FEB + 86400 - 1);
    csv = report(e, FEB - 86400, until, SG_REPORT_CSV);
    assert_has(csv, "\"messages\",\"all\",\"\",\"\",\"2\"\r\n");
    assert_null(strstr(csv, "2026-01"));
    assert_has(csv, "\"rule\",\"personal-contact\",\"Personal contact details "
                    "sent to a pupil\",\"Staff conduct\",\"2\"\r\n");
    free(csv);

    char *html = report(e, 0, 0, SG_REPORT_HTML);
    assert_has(html, "<!DOCTYPE html>");
    assert_has(html, "<svg");
    assert_has(html, "@media print");
    assert_has(html, "33.3% (1 released of 3 decided)");
    assert_has(html, "0 of 3 (0.0%)");
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "src="));
    assert_null(strstr(html, "By school"));
    assert_null(strstr(html, "(no school)"));
    free(html);
    for (int i = 0; i < 5; i++)
        free(ids[i]);
}

/* A trust: three records of northfield (one released, one rejected),
 * one of southgate (rejected). */
static void
test_report_schools(void **state)
{
    struct review_fixture *e = *state;
    char *ids[4];
    for (int i = 0; i < 4; i++) {
        char qid[8];
        snprintf(qid, sizeof(qid), "QS%d", i);
        e->school = i < 3 ? "northfield" : "southgate";
        ids[i] = review_fixture_hold(e, qid, "j.smith@school.example", NULL,
                                     JAN + i * 3600, true);
    }
    decide(e, ids[0], SG_QSTATUS_RELEASED, "a false alarm");
    decide(e, ids[1], SG_QSTATUS_REJECTED, "rightly held");
    decide(e, ids[3], SG_QSTATUS_REJECTED, "rightly held");

    char *csv = report(e, 0, 0, SG_REPORT_CSV);
    assert_has(csv, "\"messages\",\"all\",\"\",\"\",\"4\"\r\n");
    assert_has(csv, "\"school\",\"northfield\",\"\",\"\",\"3\"\r\n");
    assert_has(csv, "\"school_held\",\"northfield\",\"\",\"\",\"3\"\r\n");
    assert_has(csv,
               "\"school_released\",\"northfield\",\"\",\"\",\"1\"\r\n");
    assert_has(csv,
               "\"school_rejected\",\"northfield\",\"\",\"\",\"1\"\r\n");
    assert_has(csv, "\"school\",\"southgate\",\"\",\"\",\"1\"\r\n");
    assert_has(csv,
               "\"school_rejected\",\"southgate\",\"\",\"\",\"1\"\r\n");
    free(csv);
    char *html = report(e, 0, 0, SG_REPORT_HTML);
    assert_has(html, "<section id=\"schools\"><h2>By school</h2>");
    assert_has(html, "aria-label=\"Messages caught per school\"");
    assert_has(html, "<tr><td>northfield</td><td class=\"n\">3</td>"
                     "<td class=\"n\">3</td><td class=\"n\">1</td>"
                     "<td class=\"n\">1</td></tr>");
    assert_has(html, "<tr><td>southgate</td><td class=\"n\">1</td>");
    free(html);

    /* northfield's reviewer: its records alone, every count */
    struct sg_review_actor north = {
        .user = "dsl.north", .from = "test", .school = "northfield"};
    csv = report_as(e, &north, 0, 0, SG_REPORT_CSV);
    assert_has(csv, "\"messages\",\"all\",\"\",\"\",\"3\"\r\n");
    assert_has(csv, "\"rule\",\"late-night\",\"Late at night\",\"\",\"3\"\r\n");
    assert_has(csv, "\"holds\",\"rejected\",\"\",\"\",\"1\"\r\n");
    assert_has(csv, "\"school\",\"northfield\",\"\",\"\",\"3\"\r\n");
    assert_null(strstr(csv, "southgate"));
    free(csv);
    html = report_as(e, &north, 0, 0, SG_REPORT_HTML);
    assert_has(html, "School: <strong>northfield</strong>");
    assert_null(strstr(html, "By school"));
    assert_null(strstr(html, "southgate"));
    free(html);

    /* the command line: --school keeps a trust reviewer's report to one
     * school, and is refused for another school's reviewer */
    char path[256];
    snprintf(path, sizeof(path), "%s/south.csv", e->dir);
    char *argv[] = {"report", "--school", "southgate", "--format", "csv",
                    "--output", path, NULL};
    assert_int_equal(sg_review_cmd_report(e->r, &north, 7, argv), EX_NOPERM);
    assert_int_equal(sg_review_cmd_report(e->r, &actor, 7, argv), EX_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char text[4096];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    assert_has(text, "\"messages\",\"all\",\"\",\"\",\"1\"\r\n");
    assert_has(text, "\"school\",\"southgate\",\"\",\"\",\"1\"\r\n");
    assert_null(strstr(text, "northfield"));

    /* a login no school names, where schools are kept: nothing */
    struct sg_review_actor nobody = {.user = "visitor",
                                     .from = "test",
                                     .tracks = SG_REVIEW_TRACKS_NONE};
    FILE *out = fopen("/dev/null", "w");
    const char *error = NULL;
    assert_int_equal(sg_review_report(e->r, 0, 0, MAR, SG_REPORT_CSV, out,
                                      &nobody, &error),
                     -1);
    fclose(out);
    for (int i = 0; i < 4; i++)
        free(ids[i]);
}

static void
test_report_no_identifiers(void **state)
{
    struct review_fixture *e = *state;
    char *ids[5];
    fill(e, ids);
    static const char *const people[] = {
        "amy",       "Amy Pupil", "A123456789012", "j.smith",      "John Smith",
        "someone@",  "elsewhere", "Call me",       "07700",        "dsl.jones",
        "127.0.0.1", "SG-",       "a false alarm", "rightly held",
    };
    for (int f = 0; f < 2; f++) {
        char *text = report(e, 0, 0, f == 0 ? SG_REPORT_HTML : SG_REPORT_CSV);
        for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++)
            if (strcasestr(text, people[i]) != NULL)
                fail_msg("the report names \"%s\":\n%s", people[i], text);
        free(text);
    }
    for (int i = 0; i < 5; i++)
        free(ids[i]);
}

/* ------------------------------------------------------------ concerns */

static char *
concerns(struct review_fixture *e, enum sg_track track,
         enum sg_review_format format)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    const char *error = NULL;
    if (sg_review_concerns(e->r, 0, track, format, out, &actor, &error) < 0)
        fail_msg("%s", error);
    fclose(out);
    return text;
}

static char *
hold_welfare(struct review_fixture *e)
{
    static char *to[] = {"amy.pupil@school.example"};
    struct sg_rule_match welfare = {
        .id = "self-harm",
        .title = "A pupil may be at risk of self-harm",
        .category = "Welfare: self-harm",
        .mode = SG_MODE_ENFORCE,
        .track = SG_TRACK_PUPIL_WELFARE,
        .action = SG_ACTION_HOLD,
        .recipients = to,
        .n_recipients = 1,
    };
    return review_fixture_hold_rules(e, "QW", "j.smith@school.example",
                                     "about last night", FEB, &welfare, 1);
}

static void
test_category_stored(void **state)
{
    struct review_fixture *e = *state;
    char *id =
        review_fixture_hold(e, "Q1", "j.smith@school.example", NULL, JAN, true);
    struct sg_store_rule *rules = NULL;
    size_t n = 0;
    const char *error = NULL;
    if (sg_store_rules(e->q, id, &rules, &n, &error) < 0)
        fail_msg("%s", error);
    assert_int_equal(n, 2);
    assert_string_equal(rules[0].category, "Staff conduct");
    assert_string_equal(rules[1].category, ""); /* the rule had none */
    sg_store_rules_free(&rules, &n);
    struct sg_store_rcpt *rcpts = NULL;
    if (sg_store_rcpts(e->q, id, &rcpts, &n, &error) < 0)
        fail_msg("%s", error);
    assert_int_equal(n, 2);
    assert_string_equal(rcpts[0].upn, "A123456789012");
    assert_null(rcpts[1].upn);
    sg_store_rcpts_free(&rcpts, &n);
    free(id);
}

static void
test_concerns(void **state)
{
    struct review_fixture *e = *state;
    char *conduct = review_fixture_hold(e, "Q1", "j.smith@school.example", NULL,
                                        JAN, false);
    char *welfare = hold_welfare(e);
    decide(e, welfare, SG_QSTATUS_ESCALATED, "Spoke to Amy; referred");

    char *csv = concerns(e, SG_TRACK_PUPIL_WELFARE, SG_REVIEW_CSV);
    assert_has(csv, "\"record\",\"date\",\"time\",\"track\",\"pupils\","
                    "\"upns\",\"staff\",\"category\",\"summary\",\"action\","
                    "\"outcome\",\"reviewer\",\"rationale\"\r\n");
    assert_has(csv, welfare);
    assert_has(csv, "\"2026-02-10\",\"00:00\",\"pupil-welfare\",\"Amy "
                    "Pupil\",\"A123456789012\",\"John Smith\","
                    "\"Welfare: self-harm\",\"A pupil may be at risk of "
                    "self-harm\",\"hold\",\"escalated\",\"dsl.jones\","
                    "\"Spoke to Amy; referred\"\r\n");
    /* the staff-conduct record is never in the pupil-welfare export */
    assert_null(strstr(csv, conduct));
    assert_null(strstr(csv, "Staff conduct"));
    /* no message text: not the subject, not a finding */
    assert_null(strstr(csv, "about last night"));
    assert_null(strstr(csv, "07700"));
    free(csv);

    csv = concerns(e, SG_TRACK_STAFF_CONDUCT, SG_REVIEW_CSV);
    assert_has(csv, conduct);
    assert_has(csv, "\"Staff conduct\"");
    assert_null(strstr(csv, welfare));
    assert_null(strstr(csv, "07700"));
    assert_null(strstr(csv, "Call me"));
    free(csv);

    char *text = concerns(e, SG_TRACK_PUPIL_WELFARE, SG_REVIEW_JSON);
    json_error_t jerr;
    json_t *arr = json_loads(text, 0, &jerr);
    assert_non_null(arr);
    assert_int_equal(json_array_size(arr), 1);
    json_t *row = json_array_get(arr, 0);
    assert_string_equal(json_string_value(json_object_get(row, "record")),
                        welfare);
    json_t *pupil = json_array_get(json_object_get(row, "pupils"), 0);
    assert_string_equal(json_string_value(json_object_get(pupil, "name")),
                        "Amy Pupil");
    assert_string_equal(json_string_value(json_object_get(pupil, "upn")),
                        "A123456789012");
    json_decref(arr);
    free(text);

    /* a reviewer of one track cannot export the other's */
    struct sg_review_actor conduct_only = {
        .user = "hr", .from = "test", .tracks = 1u << SG_TRACK_STAFF_CONDUCT};
    FILE *out = fopen("/dev/null", "w");
    const char *error = NULL;
    assert_int_equal(sg_review_concerns(e->r, 0, SG_TRACK_PUPIL_WELFARE,
                                        SG_REVIEW_CSV, out, &conduct_only,
                                        &error),
                     -1);
    fclose(out);
    free(conduct);
    free(welfare);
}

/* The site's preview is the export's rows as a table; a school's
 * reviewer exports its school's concerns alone. */
static void
test_concerns_preview_school(void **state)
{
    struct review_fixture *e = *state;
    e->school = "southgate";
    char *south = hold_welfare(e);
    e->school = "northfield";
    char *north = review_fixture_hold(e, "QN", "j.smith@school.example", NULL,
                                      FEB, false);
    char *html = concerns(e, SG_TRACK_PUPIL_WELFARE, SG_REVIEW_HTML);
    assert_has(html, "<table class=\"concerns\"><thead><tr><th>record</th>");
    assert_has(html, "<td data-label=\"pupils\">Amy Pupil</td>");
    assert_has(html, south);
    assert_null(strstr(html, north));
    assert_null(strstr(html, "about last night"));
    free(html);

    struct sg_review_actor northfield = {
        .user = "dsl.north", .from = "test", .school = "northfield"};
    for (int t = 0; t < 2; t++) {
        char *text = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&text, &len);
        const char *error = NULL;
        if (sg_review_concerns(e->r, 0,
                               t == 0 ? SG_TRACK_PUPIL_WELFARE
                                      : SG_TRACK_STAFF_CONDUCT,
                               SG_REVIEW_CSV, out, &northfield, &error) < 0)
            fail_msg("%s", error);
        fclose(out);
        assert_null(strstr(text, south));
        if (t == 1)
            assert_has(text, north);
        free(text);
    }
    free(south);
    free(north);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_policy_changelog, setup, teardown),
        cmocka_unit_test(test_policy_diff),
        cmocka_unit_test_setup_teardown(test_report_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_no_identifiers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_schools, setup, teardown),
        cmocka_unit_test_setup_teardown(test_category_stored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concerns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concerns_preview_school, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
