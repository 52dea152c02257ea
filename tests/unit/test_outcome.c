/*
 * test_outcome.c - from verdict to what the MTA is asked: reply wrapping,
 * the reject reply, headers (never findings), journal and subject tag;
 * a header or reply cut short by a failed allocation is refused.
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

#include "fail_realloc.h"
#include "outcome.h"

static void
test_wrap(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t width, max;
        size_t n;
        const char *lines[6];
    } cases[] = {
        {"short", 10, 32, 1, {"short"}},
        {"one two three four", 9, 32, 3, {"one two", "three", "four"}},
        {"para one\n\n\n\npara two\n", 20, 32, 3, {"para one", "", "para two"}},
        {"100% sure", 20, 32, 1, {"100%% sure"}},
        {"averyveryverylongword", 8, 32, 3, {"averyver", "yverylon", "gword"}},
        /* never cut inside a UTF-8 character: "é" is 2 bytes */
        {"ééééé", 5, 32, 3, {"éé", "éé", "é"}},
        {"a\tb\rc", 20, 32, 1, {"a b c"}},
        {"l1\nl2\nl3\nl4\nl5", 20, 3, 3, {"l1", "l2", "(The explanation goes on; your safeguarding lead can tell you more.)"}},
        {"", 20, 32, 0, {NULL}},
        {"\n\n", 20, 32, 0, {NULL}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char **lines = NULL;
        size_t n = 0;
        assert_int_equal(sg_reply_wrap(cases[i].text, cases[i].width,
                                       cases[i].max, &lines, &n),
                         0);
        if (n != cases[i].n)
            fail_msg("case %zu: %zu lines, expected %zu", i, n, cases[i].n);
        for (size_t j = 0; j < n; j++)
            assert_string_equal(lines[j], cases[i].lines[j]);
        for (size_t j = 0; j < n; j++)
            free(lines[j]);
        free(lines);
    }
}

static struct sg_config *
config(const char *text)
{
    const char *error = NULL;
    struct sg_config *cfg = sg_config_load_string(text, "t.conf", &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    return cfg;
}

/* One matching rule with a finding that must never reach a header. */
static void
one_rule(struct sg_verdict *v, struct sg_rule_match *m,
         struct sg_finding *f, enum sg_action action, enum sg_mode mode)
{
    memset(v, 0, sizeof(*v));
    memset(m, 0, sizeof(*m));
    f->detector = (char *)"uk-mobile";
    f->text = (char *)"07700 900123";
    f->where = (char *)"body";
    m->id = (char *)"personal-contact-details";
    m->title = (char *)"Personal contact details sent to a pupil";
    m->mode = mode;
    m->action = action;
    m->findings = f;
    m->n_findings = 1;
    m->explain_sender = (char *)"Your message was held: it has 07700 900123.";
    v->rules = m;
    v->n_rules = 1;
    v->annotate = true;
    if (mode == SG_MODE_ENFORCE) {
        v->action = action;
        v->journal = action == SG_ACTION_JOURNAL;
    }
    v->would_action = action;
}

static void
test_build(void **state)
{
    (void)state;
    struct sg_config *cfg =
        config("rules_file =\nsubject_tag = [SG]\n"
               "journal_address = archive@school.example\n");
    struct sg_verdict v;
    struct sg_rule_match m;
    struct sg_finding f;
    struct sg_outcome out;

    /* hold: the quarantine reason names the rule and the record */
    one_rule(&v, &m, &f, SG_ACTION_HOLD, SG_MODE_ENFORCE);
    assert_int_equal(
        sg_outcome_build(cfg, NULL, &v, "Trip", "SG-1", NULL, 0, &out), 0);
    assert_string_equal(out.quarantine, "safeguard-milter: held for review, "
                                        "record SG-1: personal-contact-details");
    assert_false(out.reject);
    assert_int_equal(out.n_add_rcpts, 0);
    /* released, it reaches the recipient: the record's reference alone,
     * no rule, no verdict, no subject tag */
    assert_int_equal(out.n_add_headers, 1);
    assert_string_equal(out.add_headers[0].name, "X-Safeguard-Record");
    assert_string_equal(out.add_headers[0].value, "SG-1");
    assert_null(out.new_subject);
    sg_outcome_free(&out);

    /* test mode: annotate only, saying what it would have done */
    one_rule(&v, &m, &f, SG_ACTION_REJECT, SG_MODE_TEST);
    assert_int_equal(
        sg_outcome_build(cfg, NULL, &v, "[SG] Trip", NULL, NULL, 0, &out), 0);
    assert_false(out.reject);
    assert_null(out.quarantine);
    assert_string_equal(out.add_headers[0].value,
                        "accept; test rules would reject");
    assert_null(out.new_subject); /* already tagged */
    sg_outcome_free(&out);

    /* reject: the reply, no headers needed */
    one_rule(&v, &m, &f, SG_ACTION_REJECT, SG_MODE_ENFORCE);
    struct sg_header_ref forged[] = {{(char *)"X-Safeguard-Verdict", 1}};
    assert_int_equal(
        sg_outcome_build(cfg, NULL, &v, "x", NULL, forged, 1, &out), 0);
    assert_true(out.reject);
    assert_string_equal(out.reply[0],
                        "Not sent: Personal contact details sent to a pupil.");
    assert_string_equal(out.reply[1], "(Rule personal-contact-details.)");
    assert_string_equal(out.reply[2], "");
    assert_int_equal(out.n_del_headers, 1);
    sg_outcome_free(&out);

    /* journal: the archive, or a note when none is configured */
    one_rule(&v, &m, &f, SG_ACTION_JOURNAL, SG_MODE_ENFORCE);
    assert_int_equal(sg_outcome_build(cfg, NULL, &v, "x", NULL, NULL, 0, &out),
                     0);
    assert_int_equal(out.n_add_rcpts, 1);
    assert_string_equal(out.add_rcpts[0], "archive@school.example");
    assert_false(out.journal_unconfigured);
    sg_outcome_free(&out);
    sg_config_free(&cfg);
    cfg = config("rules_file =\n");
    assert_int_equal(sg_outcome_build(cfg, NULL, &v, "x", NULL, NULL, 0, &out),
                     0);
    assert_int_equal(out.n_add_rcpts, 0);
    assert_true(out.journal_unconfigured);
    assert_null(out.new_subject); /* no tag configured */
    sg_outcome_free(&out);

    /* nothing matched: nothing to do but remove forged headers */
    memset(&v, 0, sizeof(v));
    assert_int_equal(
        sg_outcome_build(cfg, NULL, &v, "x", NULL, forged, 1, &out), 0);
    assert_int_equal(out.n_add_headers, 0);
    assert_int_equal(out.n_del_headers, 1);
    assert_string_equal(out.del_headers[0].name, "X-Safeguard-Verdict");
    sg_outcome_free(&out);
    sg_config_free(&cfg);
}

/* Forged headers are deleted last first, each by its rank among the
 * copies of its name (names compared case-insensitively, as the MTA
 * does): with every earlier header still there, each rank names the
 * right copy, so none is skipped. */
static void
test_forged_order(void **state)
{
    (void)state;
    struct sg_config *cfg = config("rules_file =\n");
    struct sg_verdict v;
    struct sg_outcome out;
    memset(&v, 0, sizeof(v));
    struct sg_header_ref forged[] = {
        {(char *)"X-Safeguard-Verdict", 0}, {(char *)"X-Safeguard-Rules", 0},
        {(char *)"x-safeguard-verdict", 0}, {(char *)"X-Safeguard-Verdict", 0},
        {(char *)"X-Safeguard-Record", 0},  {(char *)"X-SAFEGUARD-RULES", 0},
    };
    static const struct {
        const char *name;
        int index;
    } want[] = {
        {"X-SAFEGUARD-RULES", 2},   {"X-Safeguard-Record", 1},
        {"X-Safeguard-Verdict", 3}, {"x-safeguard-verdict", 2},
        {"X-Safeguard-Rules", 1},   {"X-Safeguard-Verdict", 1},
    };
    assert_int_equal(
        sg_outcome_build(cfg, NULL, &v, "x", NULL, forged, 6, &out), 0);
    assert_int_equal(out.n_del_headers, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(out.del_headers[i].name, want[i].name);
        assert_int_equal(out.del_headers[i].index, want[i].index);
    }
    sg_outcome_free(&out);

    /* many copies of one name: N, N-1, ..., 1 */
    enum { MANY = 5000 };
    struct sg_header_ref *many = calloc(MANY, sizeof(*many));
    assert_non_null(many);
    for (size_t i = 0; i < MANY; i++)
        many[i].name = (char *)"X-Safeguard-Verdict";
    assert_int_equal(
        sg_outcome_build(cfg, NULL, &v, "x", NULL, many, MANY, &out), 0);
    assert_int_equal(out.n_del_headers, MANY);
    for (size_t i = 0; i < MANY; i++)
        assert_int_equal(out.del_headers[i].index, (int)(MANY - i));
    sg_outcome_free(&out);
    free(many);
    sg_config_free(&cfg);
}

/* Many rules: the X-Safeguard-Rules header (or the reject reply) grows
 * past what realloc will give.  The text cut short is never used: the
 * outcome fails, and the session tempfails or applies failure_action. */
static void
test_cut_short_refused(void **state)
{
    (void)state;
    struct sg_config *cfg = config("rules_file =\n");
    enum { N = 80 };
    struct sg_rule_match m[N];
    char ids[N][48];
    struct sg_verdict v;
    memset(&v, 0, sizeof(v));
    memset(m, 0, sizeof(m));
    for (size_t i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "a-rule-with-a-long-name-%02zu", i);
        m[i].id = ids[i];
        m[i].mode = SG_MODE_TEST;
        m[i].action = SG_ACTION_JOURNAL;
    }
    v.rules = m;
    v.n_rules = N;
    v.annotate = true;
    struct sg_outcome out;

    /* the header needs about 3 kB: whole when memory is there */
    assert_int_equal(sg_outcome_build(cfg, NULL, &v, "x", NULL, NULL, 0, &out),
                     0);
    assert_int_equal(out.n_add_headers, 2);
    assert_non_null(strstr(out.add_headers[1].value,
                           "a-rule-with-a-long-name-79 (test journal)"));
    sg_outcome_free(&out);
    /* refused, not cut, when it cannot grow past 2 kB */
    fail_realloc_from = 4096;
    int rc = sg_outcome_build(cfg, NULL, &v, "x", NULL, NULL, 0, &out);
    fail_realloc_from = 0;
    assert_int_equal(rc, -1);
    sg_outcome_free(&out);

    /* the same for the reject reply naming each rule */
    for (size_t i = 0; i < N; i++) {
        m[i].mode = SG_MODE_ENFORCE;
        m[i].action = SG_ACTION_REJECT;
    }
    v.action = SG_ACTION_REJECT;
    assert_int_equal(sg_outcome_build(cfg, NULL, &v, "x", NULL, NULL, 0, &out),
                     0);
    sg_outcome_free(&out);
    fail_realloc_from = 4096;
    rc = sg_outcome_build(cfg, NULL, &v, "x", NULL, NULL, 0, &out);
    fail_realloc_from = 0;
    assert_int_equal(rc, -1);
    sg_outcome_free(&out);
    sg_config_free(&cfg);
}

/* A locally submitted refusal whose explanation goes by notice: one
 * line, the rule's title and id and the record, replacing the long reply
 * (Postfix's bounce would join its lines). */
static void
test_reject_brief(void **state)
{
    (void)state;
    struct sg_verdict v;
    struct sg_rule_match m;
    struct sg_finding f;
    struct sg_outcome out = {0};
    one_rule(&v, &m, &f, SG_ACTION_REJECT, SG_MODE_ENFORCE);
    assert_int_equal(sg_outcome_reject_reply(&v, NULL, &out), 0);
    assert_true(out.n_reply > 1);
    assert_int_equal(sg_outcome_reject_brief(&v, "SG-1", &out), 0);
    assert_true(out.reject);
    assert_int_equal(out.n_reply, 1);
    assert_string_equal(out.reply[0],
                        "Not sent: Personal contact details sent to a pupil "
                        "(rule personal-contact-details, record SG-1). The "
                        "explanation is in a separate message to you.");
    sg_outcome_free(&out);
    assert_int_equal(sg_outcome_reject_brief(&v, NULL, &out), 0);
    assert_null(strstr(out.reply[0], "record"));
    assert_null(strstr(out.reply[0], "07700"));
    sg_outcome_free(&out);
}

/* Two refusing rules that each name the contact: the reply gives it
 * once. */
static void
test_reject_contact_once(void **state)
{
    (void)state;
    struct sg_rule_match m[2] = {
        {.id = (char *)"a",
         .title = (char *)"Rule A",
         .mode = SG_MODE_ENFORCE,
         .action = SG_ACTION_REJECT,
         .explain_sender = (char *)"Ask Mrs Khan, ext 210."},
        {.id = (char *)"b",
         .title = (char *)"Rule B",
         .mode = SG_MODE_ENFORCE,
         .action = SG_ACTION_REJECT,
         .explain_sender = (char *)"Or ask Mrs Khan, ext 210."},
    };
    struct sg_verdict v = {.action = SG_ACTION_REJECT, .rules = m,
                           .n_rules = 2};
    struct sg_outcome out = {0};
    assert_int_equal(sg_outcome_reject_reply(&v, "Mrs Khan, ext 210", &out),
                     0);
    size_t named = 0, role = 0;
    for (size_t i = 0; i < out.n_reply; i++) {
        named += strstr(out.reply[i], "Mrs Khan, ext 210") != NULL;
        role += strstr(out.reply[i], "Or ask the Designated") != NULL;
    }
    assert_int_equal(named, 1);
    assert_int_equal(role, 1);
    sg_outcome_free(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_build),
        cmocka_unit_test(test_reject_brief),
        cmocka_unit_test(test_reject_contact_once),
        cmocka_unit_test(test_forged_order),
        cmocka_unit_test(test_cut_short_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
