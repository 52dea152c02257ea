/*
 * test_rules_eval.c - the evaluator: action precedence, test mode,
 * exceptions (conditions and the register), recipient conditions, the
 * RCPT-time subset, sender channels, time conditions in the school's zone
 * (including daylight saving), attachments, and the rendered explanations.
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
#include <strings.h>
#include <unistd.h>

#include "sg_buf.h"
#include "sg_rules.h"
#include "rules_util.h"

/* ------------------------------------------------------------ fixtures */
static struct sg_person *
person(const char *addr, const char *name, const char *roles)
{
    struct sg_person *p = sg_person_new();
    assert_non_null(p);
    p->address = strdup(addr);
    p->display_name = name ? strdup(name) : NULL;
    char *copy = strdup(roles);
    char *save;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        assert_int_equal(sg_person_add_role(p, t), 0);
    free(copy);
    return p;
}

static struct sg_person *teacher, *teacher2, *dsl, *pupil1, *pupil2, *former,
    *parent;

static int
setup(void **state)
{
    (void)state;
    teacher = person("j.smith@school.example", "John Smith", "staff");
    teacher2 = person("a.jones@school.example", "Anna Jones", "staff");
    dsl = person("a.khan@school.example", "Aisha Khan", "staff,dsl");
    pupil1 = person("amy.p@school.example", "Amy Pupil", "pupil");
    pupil2 = person("ben.p@school.example", "Ben Pupil", "pupil");
    former = person("cara.f@school.example", "Cara Former",
                    "former-pupil,former-pupil-under-18");
    parent = person("mum@example.com", "Pat Parent", "parent");
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sg_person_free(&teacher);
    sg_person_free(&teacher2);
    sg_person_free(&dsl);
    sg_person_free(&pupil1);
    sg_person_free(&pupil2);
    sg_person_free(&former);
    sg_person_free(&parent);
    return 0;
}

static struct sg_party
school(const struct sg_person *p)
{
    struct sg_party x = {p->address, p, SG_CHANNEL_SCHOOL};
    return x;
}

static struct sg_party
personal(const char *addr, const struct sg_person *p)
{
    struct sg_party x = {addr, p, SG_CHANNEL_PERSONAL};
    return x;
}

static struct sg_party
external(const char *addr)
{
    struct sg_party x = {addr, NULL, SG_CHANNEL_NONE};
    return x;
}

static time_t
at(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return timegm(&tm);
}


static void
add_attachment(struct sg_msgview *v, const char *type, const char *name)
{
    v->attachments =
        realloc(v->attachments, (v->n_attachments + 1) * sizeof(*v->attachments));
    struct sg_attachment *a = &v->attachments[v->n_attachments++];
    memset(a, 0, sizeof(*a));
    a->content_type = strdup(type);
    a->filename = name ? strdup(name) : NULL;
    a->size = 1000;
}

static struct sg_rules *
load(const char *text)
{
    static const char *const domains[] = {"school.example"};
    static const char *const phones[] = {"01632 960000"};
    struct sg_rules_options o;
    memset(&o, 0, sizeof(o));
    o.school_domains = domains;
    o.n_school_domains = 1;
    o.school_phone_numbers = phones;
    o.n_school_phone_numbers = 1;
    o.timezone = "Europe/London";
    o.dsl_contact = "Mrs Khan (DSL)";
    struct sg_rules *r = NULL;
    const char *err = NULL;
    if (sg_rules_load_string(text, strlen(text), "t", &o, &r, &err) < 0)
        fail_msg("load: %s", err);
    return r;
}

struct run {
    struct sg_eval_input in;
    struct sg_verdict *v;
};

static struct sg_verdict *
eval(const struct sg_rules *r, struct sg_eval_input *in)
{
    struct sg_verdict *v = NULL;
    const char *err = NULL;
    if (sg_rules_eval(r, in, &v, &err) < 0)
        fail_msg("eval: %s", err);
    return v;
}

static const struct sg_rule_match *
find(const struct sg_verdict *v, const char *id)
{
    for (size_t i = 0; i < v->n_rules; i++)
        if (strcmp(v->rules[i].id, id) == 0)
            return &v->rules[i];
    return NULL;
}

/* ------------------------------------------------------------ tests */

/* What the sender reads masks other people's data (a pupil's numbers);
 * what the DSL reads keeps it whole. */
static void
test_third_party_masked(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule ids { from staff to any external content upn, nhs-number "
        "action hold explain \"{findings}\" explain-dsl \"{findings}\" }\n");
    struct sg_msgview *mv =
        sg_test_view("transfer", "UPN B801200005001, NHS 943 476 5919, room 12");
    struct sg_party rc[] = {external("admissions@other.example")};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = 1741774500};
    struct sg_verdict *v = eval(r, &in);
    const struct sg_rule_match *m = find(v, "ids");
    assert_non_null(m);
    assert_string_equal(m->explain_sender,
                        "a Unique Pupil Number (UPN) (\"B8...01\" in the body) "
                        "and an NHS number (\"94...19\" in the body)");
    assert_non_null(strstr(m->explain_dsl, "\"B801200005001\""));
    assert_non_null(strstr(m->explain_dsl, "\"943 476 5919\""));
    /* the findings themselves stay whole for the record */
    assert_string_equal(m->findings[0].text, "B801200005001");
    sg_verdict_free(&v);
    sg_msgview_free(&mv);
    sg_rules_free(&r);
}
/* Each match carries its rule's category, "" without one, and its
 * title (the id without one), policy and source, "" without them. */
static void
test_category(void **state)
{
    (void)state;
    struct sg_rules *r = load("rule c { category \"Online safety\" "
                              "title \"Contact\" policy \"Online policy\" "
                              "source \"KCSIE 2025\" action journal }\n"
                              "rule n { action journal }\n");
    assert_string_equal(sg_rules_category(r, 0), "Online safety");
    assert_null(sg_rules_category(r, 1));
    assert_null(sg_rules_category(r, 2));
    struct sg_msgview *mv = sg_test_view("note", "see you at nine");
    struct sg_party rc[] = {external("someone@other.example")};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1, .now = 1741774500};
    struct sg_verdict *v = eval(r, &in);
    assert_string_equal(find(v, "c")->category, "Online safety");
    assert_string_equal(find(v, "n")->category, "");
    assert_string_equal(find(v, "c")->title, "Contact");
    assert_string_equal(find(v, "c")->policy, "Online policy");
    assert_string_equal(find(v, "c")->source, "KCSIE 2025");
    assert_string_equal(find(v, "n")->title, "n");
    assert_string_equal(find(v, "n")->policy, "");
    assert_string_equal(find(v, "n")->source, "");
    sg_verdict_free(&v);
    sg_msgview_free(&mv);
    sg_rules_free(&r);
}

/* Each match carries its rule's review track; a rule without one is
 * about a member of staff's conduct. */
static void
test_track(void **state)
{
    (void)state;
    struct sg_rules *r = load("rule c { action journal }\n"
                              "rule w { track pupil-welfare action hold }\n"
                              "rule s { track staff-conduct retention "
                              "pupil-welfare action hold }\n");
    struct sg_msgview *mv = sg_test_view("note", "see you at nine");
    struct sg_party rc[] = {external("someone@other.example")};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1, .now = 1741774500};
    struct sg_verdict *v = eval(r, &in);
    assert_int_equal(v->n_rules, 3);
    assert_int_equal(find(v, "c")->track, SG_TRACK_STAFF_CONDUCT);
    assert_int_equal(find(v, "w")->track, SG_TRACK_PUPIL_WELFARE);
    assert_int_equal(find(v, "s")->track, SG_TRACK_STAFF_CONDUCT);
    assert_string_equal(sg_track_name(find(v, "w")->track), "pupil-welfare");
    /* a rule's retention class goes with its match, on its own track */
    assert_true(find(v, "s")->has_retention);
    assert_int_equal(find(v, "s")->retention, SG_TRACK_PUPIL_WELFARE);
    assert_false(find(v, "w")->has_retention);
    enum sg_track t;
    assert_int_equal(sg_track_parse("staff-conduct", &t), 0);
    assert_int_equal(t, SG_TRACK_STAFF_CONDUCT);
    assert_int_equal(sg_track_parse("pastoral", &t), -1);
    /* a record about staff is never a pupil concern */
    assert_int_equal(sg_verdict_track(v), SG_TRACK_STAFF_CONDUCT);
    sg_verdict_free(&v);
    sg_rules_free(&r);
    /* pupil-welfare when every enforced match is; test-mode rules count
     * only when nothing enforced matched */
    r = load("rule w { track pupil-welfare action hold }\n"
             "rule t { mode test action hold }\n");
    v = eval(r, &in);
    assert_int_equal(v->n_rules, 2);
    assert_int_equal(sg_verdict_track(v), SG_TRACK_PUPIL_WELFARE);
    sg_verdict_free(&v);
    sg_rules_free(&r);
    r = load("rule t { mode test action hold }\n");
    v = eval(r, &in);
    assert_int_equal(sg_verdict_track(v), SG_TRACK_STAFF_CONDUCT);
    sg_verdict_free(&v);
    sg_msgview_free(&mv);
    sg_rules_free(&r);
}

static void
test_precedence(void **state)
{
    (void)state;
    struct sg_rules *r = load("rule a { action annotate }\n"
                              "rule j { action journal }\n"
                              "rule h { action hold }\n"
                              "rule x { action reject }\n"
                              "rule n { from pupil action reject }\n");
    struct sg_msgview *mv = sg_test_view("hi", "hello");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    assert_int_equal(v->action, SG_ACTION_REJECT);
    assert_int_equal(v->would_action, SG_ACTION_REJECT);
    assert_true(v->journal);
    assert_true(v->annotate);
    assert_int_equal(v->n_rules, 4);
    assert_string_equal(v->rules[0].id, "a");
    assert_string_equal(v->rules[3].id, "x");
    assert_null(find(v, "n"));
    sg_verdict_free(&v);
    assert_null(v);

    /* Only journal and annotate: they combine with accept. */
    sg_rules_free(&r);
    r = load("rule j { action journal }\nrule a { action annotate }\n");
    v = eval(r, &in);
    assert_int_equal(v->action, SG_ACTION_JOURNAL);
    assert_true(v->journal);
    assert_true(v->annotate);
    sg_verdict_free(&v);

    /* Nothing matches: accept, no flags. */
    sg_rules_free(&r);
    r = load("rule n { from parent action hold }\n");
    v = eval(r, &in);
    assert_int_equal(v->action, SG_ACTION_ACCEPT);
    assert_false(v->journal);
    assert_false(v->annotate);
    assert_int_equal(v->n_rules, 0);
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

static void
test_test_mode(void **state)
{
    (void)state;
    struct sg_rules *r = load("rule t { mode test action reject }\n"
                              "rule e { action journal }\n");
    struct sg_msgview *mv = sg_test_view("hi", "hello");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    assert_int_equal(v->action, SG_ACTION_JOURNAL);
    assert_int_equal(v->would_action, SG_ACTION_REJECT);
    assert_true(v->annotate);
    assert_int_equal(find(v, "t")->mode, SG_MODE_TEST);
    assert_int_equal(find(v, "t")->action, SG_ACTION_REJECT);
    assert_non_null(strstr(find(v, "t")->explain_sender,
                           "this rule is being tried out"));
    sg_verdict_free(&v);
    sg_rules_free(&r);

    /* Global test mode; a rule's own mode wins. */
    r = load("mode test\nrule t { action hold }\n"
             "rule e { mode enforce action annotate }\n");
    v = eval(r, &in);
    assert_int_equal(v->action, SG_ACTION_ANNOTATE);
    assert_int_equal(v->would_action, SG_ACTION_HOLD);
    assert_int_equal(find(v, "t")->mode, SG_MODE_TEST);
    assert_int_equal(find(v, "e")->mode, SG_MODE_ENFORCE);
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

static int
fake_register(void *ctx, const char *name, const struct sg_party *sender,
              const struct sg_party *rcpt, time_t now)
{
    (void)now;
    (void)sender;
    const char *approved = ctx;
    if (strcmp(approved, "ERROR") == 0)
        return -1;
    return strcmp(name, "approved-contact") == 0 &&
           strstr(approved, rcpt->address) != NULL;
}

static void
test_exceptions(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule pc { from staff to pupil content uk-mobile\n"
        "  except approved-contact except from dsl\n"
        "  action hold explain \"To {pupils}: {findings}\" }\n");
    struct sg_msgview *mv = sg_test_view("trip", "My mobile is 07700 900123.");
    struct sg_party rc[] = {school(pupil1), school(pupil2)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 2,
                               .now = at(2025, 3, 12, 10, 0),
                               .in_register = fake_register,
                               .register_ctx = (void *)""};
    struct sg_verdict *v = eval(r, &in);
    assert_int_equal(v->action, SG_ACTION_HOLD);
    assert_int_equal(v->rules[0].n_recipients, 2);
    assert_string_equal(v->rules[0].explain_sender,
                        "To Amy Pupil <amy.p@school.example> and Ben Pupil "
                        "<ben.p@school.example>: a mobile phone number "
                        "(\"07700 900123\" in the body)");
    assert_int_equal(v->rules[0].n_findings, 1);
    assert_string_equal(v->rules[0].findings[0].detector, "uk-mobile");
    assert_string_equal(v->rules[0].findings[0].where, "body");
    sg_verdict_free(&v);

    /* One pupil approved: the rule still fires, for the other one. */
    in.register_ctx = (void *)"amy.p@school.example";
    v = eval(r, &in);
    assert_int_equal(v->action, SG_ACTION_HOLD);
    assert_int_equal(v->rules[0].n_recipients, 1);
    assert_string_equal(v->rules[0].recipients[0], "ben.p@school.example");
    sg_verdict_free(&v);

    /* Both approved: no match. */
    in.register_ctx = (void *)"amy.p@school.example ben.p@school.example";
    v = eval(r, &in);
    assert_int_equal(v->action, SG_ACTION_ACCEPT);
    sg_verdict_free(&v);

    /* A register error fails the evaluation, never reads as "no". */
    in.register_ctx = (void *)"ERROR";
    const char *err = NULL;
    assert_int_equal(sg_rules_eval(r, &in, &v, &err), -1);
    assert_string_equal(err, "exceptions register lookup failed "
                             "(approved-contact)");

    /* The condition exception: the DSL may. */
    in.register_ctx = (void *)"";
    in.sender = school(dsl);
    v = eval(r, &in);
    assert_int_equal(v->n_rules, 0);
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

static void
test_recipient_conditions(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule one2one { from staff to any pupil to none staff action journal }\n"
        "rule allp { to all pupil action annotate }\n"
        "rule many { recipients >= 3 action hold }\n"
        "rule parents { to parent via external action annotate }\n");
    struct sg_msgview *mv = sg_test_view("hw", "homework");
    struct sg_party rc[4] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    assert_non_null(find(v, "one2one"));
    assert_non_null(find(v, "allp"));
    assert_null(find(v, "many"));
    sg_verdict_free(&v);

    /* The sender copying themself is not "another member of staff". */
    rc[1] = school(teacher);
    in.n_rcpts = 2;
    v = eval(r, &in);
    assert_non_null(find(v, "one2one"));
    assert_null(find(v, "allp"));
    sg_verdict_free(&v);

    /* Another member of staff among the recipients. */
    rc[1] = school(teacher2);
    rc[2] = school(pupil2);
    in.n_rcpts = 3;
    v = eval(r, &in);
    assert_null(find(v, "one2one"));
    assert_non_null(find(v, "many"));
    sg_verdict_free(&v);

    /* Channel of a recipient: parent is unknown here (external). */
    rc[0] = external("mum@example.com");
    in.n_rcpts = 1;
    v = eval(r, &in);
    assert_null(find(v, "parents")); /* external has no parent role */
    sg_verdict_free(&v);
    rc[0] = personal("mum@example.com", parent);
    v = eval(r, &in);
    assert_null(find(v, "parents")); /* personal, not external channel */
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

/* The ids of the rules in's message matches, in order, joined with
 * commas into buf (128 bytes). */
static const char *
matched_ids(const struct sg_rules *r, struct sg_eval_input *in, char *buf)
{
    struct sg_verdict *v = eval(r, in);
    const char *ids[8];
    size_t n = 0;
    for (size_t i = 0; i < v->n_rules && n < 8; i++)
        ids[n++] = v->rules[i].id;
    sg_strv_join(ids, n, ",", buf, 128);
    sg_verdict_free(&v);
    return buf;
}

/* Role names match whatever their case, in the rules and in the
 * directory; past the 64 roles that the evaluator tests as bits the names
 * are compared, with the same answers; a person whose directory entry
 * has the role external is one, as a party no one in the directory is. */
static void
test_role_names(void **state)
{
    (void)state;
    struct sg_buf text = SG_BUF_INIT;
    for (int i = 0; i < 70; i++)
        assert_int_equal(sg_buf_printf(&text,
                                       "rule r%d { from R%d "
                                       "action annotate }\n",
                                       i, i),
                         0);
    assert_int_equal(sg_buf_puts(&text,
                                 "rule any { from anyone to any Pupil "
                                 "action annotate }\n"
                                 "rule late { from r69, STAFF to any PUPIL "
                                 "action journal }\n"
                                 "rule ext { from External action hold }\n"),
                     0);
    struct sg_rules *r = load(text.data);
    sg_buf_free(&text);
    struct sg_person *low = person("low@school.example", NULL, "R3");
    struct sg_person *high = person("high@school.example", NULL, "r3,R69");
    struct sg_person *ext = person("ext@school.example", NULL, "EXTERNAL");
    struct sg_msgview *mv = sg_test_view("hw", "homework");
    struct sg_party rc[1] = {school(pupil1)};
    char ids[128];
    struct sg_eval_input in = {.view = mv,
                               .sender = school(low),
                               .rcpts = rc,
                               .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    assert_string_equal(matched_ids(r, &in, ids), "r3,any");
    in.sender = school(high);
    assert_string_equal(matched_ids(r, &in, ids), "r3,r69,any,late");
    in.sender = school(teacher);
    assert_string_equal(matched_ids(r, &in, ids), "any,late");
    in.sender = school(ext);
    assert_string_equal(matched_ids(r, &in, ids), "any,ext");
    in.sender = external("someone@example.org");
    rc[0] = school(teacher);
    assert_string_equal(matched_ids(r, &in, ids), "ext");
    sg_person_free(&low);
    sg_person_free(&high);
    sg_person_free(&ext);
    sg_msgview_free(&mv);
    sg_rules_free(&r);
}

/* recipients PARTIES OP N counts the recipients that match (Bcc'd ones
 * are envelope recipients too), not the sender's own copy: one pupil is
 * one-to-one, a class is not. */
static void
test_recipient_count(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule one2one { from staff to pupil to none staff\n"
        "               recipients pupil, former-pupil-under-18 = 1\n"
        "               action journal }\n"
        "rule bare { recipients pupil 1 action annotate }\n"
        "rule class { recipients pupil via school > 5 action annotate }\n"
        "rule total { recipients >= 3 action annotate }\n");
    struct sg_msgview *mv = sg_test_view("Homework", "Please finish chapter 3.");
    struct sg_party rc[30];
    rc[0] = school(pupil1);
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    assert_non_null(find(v, "one2one"));
    assert_non_null(find(v, "bare"));
    assert_null(find(v, "class"));
    assert_null(find(v, "total"));
    sg_verdict_free(&v);

    /* The sender's own copy and a parent do not make it less private. */
    rc[1] = school(teacher);
    rc[2] = personal("mum@example.com", parent);
    in.n_rcpts = 3;
    v = eval(r, &in);
    assert_non_null(find(v, "one2one"));
    assert_non_null(find(v, "total"));
    sg_verdict_free(&v);

    /* Two pupils, a former pupil under 18 with one pupil: not one. */
    rc[1] = school(pupil2);
    in.n_rcpts = 2;
    v = eval(r, &in);
    assert_null(find(v, "one2one"));
    assert_null(find(v, "bare"));
    sg_verdict_free(&v);
    rc[1] = school(former);
    v = eval(r, &in);
    assert_null(find(v, "one2one"));
    assert_non_null(find(v, "bare"));
    sg_verdict_free(&v);

    /* A class of 25 (To: one pupil, Bcc: the rest). */
    for (size_t i = 0; i < 25; i++)
        rc[i] = school(i % 2 ? pupil2 : pupil1);
    in.n_rcpts = 25;
    v = eval(r, &in);
    assert_null(find(v, "one2one"));
    assert_non_null(find(v, "class"));
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

/* to outside: no one in the directory, or anyone's registered personal
 * address, the sender's own included; never a school address. */
static void
test_outside(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule out { from staff to outside content upn action hold }\n"
        "rule ext { from staff to external content upn action annotate }\n");
    struct sg_msgview *mv = sg_test_view("Class list", "Amy B801200005001");
    struct sg_party rc[1] = {personal("john.home@example.net", teacher)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    /* to the teacher's own registered personal address */
    struct sg_verdict *v = eval(r, &in);
    assert_non_null(find(v, "out"));
    assert_null(find(v, "ext")); /* what 'external' never saw */
    assert_int_equal(v->action, SG_ACTION_HOLD);
    assert_int_equal(find(v, "out")->n_recipients, 1);
    sg_verdict_free(&v);
    /* a parent's registered personal address */
    rc[0] = personal("pat.home@example.org", parent);
    v = eval(r, &in);
    assert_non_null(find(v, "out"));
    sg_verdict_free(&v);
    /* no one in the directory */
    rc[0] = external("admissions@northside.example");
    v = eval(r, &in);
    assert_non_null(find(v, "out"));
    assert_non_null(find(v, "ext"));
    sg_verdict_free(&v);
    /* a colleague at school */
    rc[0] = school(teacher2);
    v = eval(r, &in);
    assert_int_equal(v->n_rules, 0);
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

/* personal-email: consumer providers, and the sender's own registered
 * personal addresses whatever their domain; never an organisation's
 * address, and never an identifier of a message, a part or an event. */
static void
test_personal_email_owner(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule pe { from staff content personal-email action hold }\n");
    struct sg_msgview *mv = sg_test_view(
        "Re: Year 11 applications",
        "Write to admissions@university.ac.uk or orders@supplier.co.uk.\n"
        "Or to me at john.smith.home@example.net\n");
    struct sg_person *t = person("j.smith@school.example", "John Smith",
                                 "staff");
    assert_int_equal(sg_strv_push(&t->personal, &t->n_personal,
                                  "John.Smith.Home@example.net"), 0);
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(t),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    const struct sg_rule_match *m = find(v, "pe");
    assert_non_null(m);
    assert_int_equal(m->n_findings, 1);
    assert_string_equal(m->findings[0].text, "john.smith.home@example.net");
    sg_verdict_free(&v);
    /* someone else writing the same text: an address nobody registered */
    in.sender = school(teacher);
    v = eval(r, &in);
    assert_null(find(v, "pe"));
    sg_verdict_free(&v);
    sg_person_free(&t);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

/* The Reply-To: header is a place: a school account asking a pupil to
 * answer at a personal address is found there; a school one is not. */
static void
test_reply_to(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule pcd { from staff to pupil content personal-email action hold }\n"
        "rule body { content personal-email in body action annotate }\n"
        "rule rt { content personal-email in reply-to action annotate }\n");
    struct sg_msgview *mv = sg_test_view("Trip letters", "Please bring the letter.");
    mv->headers = calloc(2, sizeof(*mv->headers));
    mv->n_headers = 2;
    mv->headers[0].name = strdup("From");
    mv->headers[0].value = strdup("John Smith <j.smith@school.example>");
    mv->headers[1].name = strdup("reply-to");
    mv->headers[1].value = strdup("\"Mr Smith\" <jsmith.teach@gmail.com>");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    const struct sg_rule_match *m = find(v, "pcd");
    assert_non_null(m);
    assert_string_equal(m->findings[0].text, "jsmith.teach@gmail.com");
    assert_string_equal(m->findings[0].where, "Reply-To header");
    assert_non_null(find(v, "rt"));
    assert_null(find(v, "body"));
    sg_verdict_free(&v);
    free(mv->headers[1].value);
    mv->headers[1].value = strdup("Oakfield Office <office@school.example>");
    v = eval(r, &in);
    assert_int_equal(v->n_rules, 0);
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

/* A directory that registers anna.home@example.org as someone's personal
 * address, counting the questions; "down@..." is an outage. */
static int lookups;
static int
personal_lookup(void *ctx, const char *address)
{
    (void)ctx;
    lookups++;
    if (strncmp(address, "down@", 5) == 0)
        return -1;
    return strcasecmp(address, "anna.home@example.org") == 0;
}

/* Anyone's registered personal address is personal email, found through
 * the caller's lookup: each address asked once, at most 32 asked per
 * evaluation, and a lookup error fails the evaluation. */
static void
test_personal_email_lookup(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule pe { from staff content personal-email action hold }\n");
    struct sg_msgview *mv = sg_test_view(
        "Trip", "Mrs Jones is at Anna.Home@example.org this week; the club "
                "is info@club.example (info@club.example, info@club.example)."
                "\nMessage-ID: <anna.home@example.org>\n");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0),
                               .personal_lookup = personal_lookup};
    lookups = 0;
    struct sg_verdict *v = eval(r, &in);
    const struct sg_rule_match *m = find(v, "pe");
    assert_non_null(m);
    assert_int_equal(m->n_findings, 1);
    assert_string_equal(m->findings[0].text, "Anna.Home@example.org");
    assert_int_equal(lookups, 2); /* the identifier is never asked about */
    sg_verdict_free(&v);

    /* 40 addresses: 32 asked, the rest not */
    struct sg_buf b = SG_BUF_INIT;
    for (int i = 0; i < 40; i++)
        sg_buf_printf(&b, "club%d@example.net ", i);
    free(mv->texts[0].text);
    mv->texts[0].text = sg_buf_steal(&b);
    mv->texts[0].len = strlen(mv->texts[0].text);
    lookups = 0;
    v = eval(r, &in);
    assert_null(find(v, "pe"));
    assert_int_equal(lookups, 32);
    sg_verdict_free(&v);

    /* an outage is an error, never "not personal" */
    free(mv->texts[0].text);
    mv->texts[0].text = strdup("write to down@example.net");
    mv->texts[0].len = strlen(mv->texts[0].text);
    const char *err = NULL;
    assert_int_equal(sg_rules_eval(r, &in, &v, &err), -1);
    assert_non_null(strstr(err, "down@example.net"));
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

static void
test_rcpt_time(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule chan { from staff via personal to pupil, former-pupil-under-18 "
        "action reject explain \"Please use your school account for "
        "{pupils}.\" }\n"
        "rule words { from staff to pupil content uk-mobile action reject }\n"
        "rule all { from staff to all pupil action reject }\n"
        "rule hold { from staff via personal to pupil action hold }\n");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = NULL,
                               .sender = personal("john@example.net", teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = NULL;
    const char *err = NULL;
    assert_int_equal(sg_rules_eval_rcpt(r, &in, &v, &err), 0);
    assert_int_equal(v->action, SG_ACTION_REJECT);
    assert_int_equal(v->n_rules, 2); /* chan and hold; not words, not all */
    assert_string_equal(v->rules[0].id, "chan");
    assert_string_equal(v->rules[0].explain_sender,
                        "Please use your school account for Amy Pupil "
                        "<amy.p@school.example>.");
    sg_verdict_free(&v);

    rc[0] = school(former);
    assert_int_equal(sg_rules_eval_rcpt(r, &in, &v, &err), 0);
    assert_int_equal(v->action, SG_ACTION_REJECT);
    sg_verdict_free(&v);

    rc[0] = school(teacher2);
    assert_int_equal(sg_rules_eval_rcpt(r, &in, &v, &err), 0);
    assert_int_equal(v->action, SG_ACTION_ACCEPT);
    sg_verdict_free(&v);

    in.n_rcpts = 2;
    assert_int_equal(sg_rules_eval_rcpt(r, &in, &v, &err), -1);
    assert_string_equal(err, "RCPT-time evaluation takes exactly one "
                             "recipient");
    assert_int_equal(sg_rules_eval(r, &in, &v, &err), -1);
    assert_string_equal(err, "no message view to evaluate");
    sg_rules_free(&r);
}

static int
fake_names(void *ctx, const char *name, const struct sg_person **p)
{
    (void)ctx;
    if (strcmp(name, "BROKEN") == 0)
        return -1;
    if (strcmp(name, "John Smith") == 0) {
        *p = teacher;
        return 1;
    }
    return 0;
}

static void
test_sender_channels(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule lookalike { from staff via display-name to pupil action hold }\n"
        "rule spoof { from anyone via spoofed to pupil action hold }\n"
        "rule ext { from external to pupil action annotate }\n"
        "rule addr { from \"*@partner.example\" action journal }\n");
    struct sg_msgview *mv = sg_test_view("hi", "hello");
    mv->from_name = strdup("John Smith");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv,
                               .sender = external("johnny99@example.org"),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0),
                               .name_lookup = fake_names};
    struct sg_verdict *v = eval(r, &in);
    assert_non_null(find(v, "lookalike"));
    assert_null(find(v, "spoof"));
    assert_non_null(find(v, "ext"));
    sg_verdict_free(&v);

    /* A school address that did not authenticate, downgraded. */
    in.sender = external("head@school.example");
    free(mv->from_name);
    mv->from_name = strdup("Someone Else");
    v = eval(r, &in);
    assert_null(find(v, "lookalike"));
    assert_non_null(find(v, "spoof"));
    sg_verdict_free(&v);

    in.sender = external("x@Partner.Example");
    v = eval(r, &in);
    assert_non_null(find(v, "addr"));
    sg_verdict_free(&v);

    /* A directory error during the name lookup fails the evaluation. */
    free(mv->from_name);
    mv->from_name = strdup("BROKEN");
    const char *err = NULL;
    assert_int_equal(sg_rules_eval(r, &in, &v, &err), -1);
    assert_string_equal(err, "display-name lookup failed for \"BROKEN\"");

    /* The staff member's own school account is not a lookalike. */
    free(mv->from_name);
    mv->from_name = strdup("John Smith");
    in.sender = school(teacher);
    v = eval(r, &in);
    assert_int_equal(v->n_rules, 0);
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

static void
test_time_conditions(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule late { time outside 07:00-19:00, weekend action journal }\n"
        "rule lunch { time between 12:00-13:00 action annotate }\n"
        "rule fri { time fri action annotate }\n");
    struct sg_msgview *mv = sg_test_view("hi", "hello");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1};
    static const struct {
        int y, mo, d, h, mi; /* UTC */
        bool late, lunch, fri;
    } t[] = {
        {2025, 3, 12, 18, 30, false, false, false}, /* Wed 18:30 GMT */
        {2025, 3, 12, 19, 0, true, false, false},   /* Wed 19:00 GMT */
        {2025, 3, 12, 6, 59, true, false, false},   /* Wed 06:59 GMT */
        {2025, 6, 11, 18, 30, true, false, false},  /* Wed 19:30 BST */
        {2025, 6, 11, 5, 30, false, false, false},  /* Wed 06:30 BST? no: */
        {2025, 6, 11, 11, 30, false, true, false},  /* 12:30 BST */
        {2025, 3, 15, 11, 0, true, false, false},   /* Saturday */
        {2025, 3, 14, 11, 0, false, false, true},   /* Friday */
        {2025, 3, 30, 0, 59, true, false, false},   /* Sun 00:59 GMT */
        {2040, 7, 4, 18, 30, true, false, false},   /* footer rule: BST */
        {2040, 12, 5, 18, 30, false, false, false}, /* footer rule: GMT */
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        in.now = at(t[i].y, t[i].mo, t[i].d, t[i].h, t[i].mi);
        struct sg_verdict *v = eval(r, &in);
        bool late = find(v, "late") != NULL;
        /* 05:30 UTC in June is 06:30 BST: before 07:00, so late. */
        bool want_late = i == 4 ? true : t[i].late;
        if (late != want_late || (find(v, "lunch") != NULL) != t[i].lunch ||
            (find(v, "fri") != NULL) != t[i].fri)
            fail_msg("time case %zu", i);
        sg_verdict_free(&v);
    }
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

static void
test_attachments_and_scope(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule media { to external attachment image/*, video/*, .heic "
        "action hold }\n"
        "rule subj { content uk-mobile in subject action annotate }\n"
        "rule names { content upn in filenames action hold }\n"
        "rule two { content personal-email >= 2 action journal }\n");
    struct sg_msgview *mv = sg_test_view("call 07700 900123", "see attached");
    add_attachment(mv, "application/pdf", "B801200005001.pdf");
    struct sg_party rc[] = {external("gran@example.org")};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    assert_null(find(v, "media"));
    assert_non_null(find(v, "subj"));
    assert_string_equal(find(v, "subj")->findings[0].where, "subject");
    assert_non_null(find(v, "names"));
    assert_string_equal(find(v, "names")->findings[0].where,
                        "attachment name");
    assert_null(find(v, "two"));
    sg_verdict_free(&v);

    add_attachment(mv, "image/jpeg", "sports-day.jpg");
    add_attachment(mv, "application/octet-stream", "IMG_0001.HEIC");
    free(mv->texts[0].text);
    mv->texts[0].text = strdup("a@gmail.com b@hotmail.co.uk a@gmail.com "
                               "office@school.example");
    mv->texts[0].len = strlen(mv->texts[0].text);
    v = eval(r, &in);
    const struct sg_rule_match *m = find(v, "media");
    assert_non_null(m);
    assert_int_equal(m->n_findings, 2);
    assert_string_equal(m->findings[0].text, "sports-day.jpg");
    assert_string_equal(m->findings[0].where, "attachment (image/jpeg)");
    assert_non_null(find(v, "two"));
    assert_int_equal(find(v, "two")->n_findings, 2);
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

/* add_attachment with what the view builder learns of an image. */
static void
add_image(struct sg_msgview *v, const char *type, const char *name,
          size_t size, unsigned width, unsigned height, bool camera,
          bool inline_ref)
{
    add_attachment(v, type, name);
    struct sg_attachment *a = &v->attachments[v->n_attachments - 1];
    a->size = size;
    a->image_type = width > 0 ? type : NULL;
    a->width = width;
    a->height = height;
    a->camera = camera;
    a->inline_ref = inline_ref;
}

/* attachment ... small / photo / inline: signature logos, icons and small
 * headers are small; a camera's photo never is, whatever its size or
 * place; an image whose size is not known is never small; the bounds
 * come from the options. */
static void
test_attachment_images(void **state)
{
    (void)state;
    static const char text[] =
        "rule pics { to external attachment image/*, .heic not small "
        "action hold }\n"
        "rule photo { attachment image/* photo action journal }\n"
        "rule logo { attachment image/* inline not photo small "
        "action annotate }\n";
    static const struct {
        const char *type, *name;
        size_t size;
        unsigned w, h;
        bool camera, inl;
        bool pics, photo, logo;
    } cases[] = {
        /* near misses */
        {"image/png", "image001.png", 3200, 300, 90, false, true,
         false, false, true},
        {"image/gif", "image002.gif", 170, 16, 16, false, true,
         false, false, true},
        {"image/png", "header.png", 40000, 600, 120, false, true,
         false, false, true},
        {"image/png", "stamp.png", 9000, 120, 120, false, false,
         false, false, false}, /* small, attached */
        /* breaches */
        {"image/jpeg", "IMG_4821.JPG", 2400000, 4032, 3024, true, false,
         true, true, false},
        {"image/jpeg", "image002.jpg", 180000, 1024, 768, true, true,
         true, true, false}, /* pasted into the body */
        {"image/jpeg", "crop.jpg", 9000, 200, 200, true, false,
         true, true, false}, /* small, but a camera's */
        {"image/png", "Screenshot.png", 90000, 1400, 900, false, false,
         true, false, false},
        {"image/png", "big-logo.png", 150000, 300, 300, false, true,
         true, false, false}, /* few pixels, many bytes */
        {"image/heic", "IMG_4830.HEIC", 2000, 0, 0, false, false,
         true, false, false}, /* size not known */
    };
    struct sg_rules *r = load(text);
    struct sg_party rc[] = {external("prints@photoprint.example")};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_msgview *mv = sg_test_view("photos", "see attached");
        add_image(mv, cases[i].type, cases[i].name, cases[i].size, cases[i].w,
                  cases[i].h, cases[i].camera, cases[i].inl);
        struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                                   .rcpts = rc, .n_rcpts = 1,
                                   .now = at(2025, 3, 12, 10, 0)};
        struct sg_verdict *v = eval(r, &in);
        if ((find(v, "pics") != NULL) != cases[i].pics ||
            (find(v, "photo") != NULL) != cases[i].photo ||
            (find(v, "logo") != NULL) != cases[i].logo)
            fail_msg("image case %zu (%s)", i, cases[i].name);
        sg_verdict_free(&v);
        sg_msgview_free(&mv);
    }
    /* the finding says why */
    struct sg_msgview *mv = sg_test_view("photos", "see attached");
    add_image(mv, "image/jpeg", "image002.jpg", 180000, 1024, 768, true, true);
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    assert_string_equal(find(v, "pics")->findings[0].where,
                        "attachment (image/jpeg, 1024x768 pixels, camera "
                        "photograph, shown in the message)");
    sg_verdict_free(&v);
    sg_msgview_free(&mv);
    sg_rules_free(&r);

    /* the school's bounds: a logo of 27000 pixels is large past 20000 */
    struct sg_rules_options o;
    memset(&o, 0, sizeof(o));
    o.image_small_pixels = 20000;
    o.image_small_bytes = 1000000;
    const char *err = NULL;
    assert_int_equal(sg_rules_load_string(text, strlen(text), "t", &o, &r,
                                          &err),
                     0);
    mv = sg_test_view("photos", "see attached");
    add_image(mv, "image/png", "image001.png", 3200, 300, 90, false, true);
    in.view = mv;
    v = eval(r, &in);
    assert_non_null(find(v, "pics"));
    assert_null(find(v, "logo"));
    sg_verdict_free(&v);
    sg_msgview_free(&mv);
    sg_rules_free(&r);
}

/* Every place is normalised before the detectors, once for all of them
 * (several rules and detectors read the same texts), and the findings
 * are the text as written. */
static void
test_normalised_places(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule phone { content uk-mobile action hold }\n"
        "rule subj { content uk-landline in subject action annotate }\n"
        "rule mail { content personal-email action hold }\n"
        "rule names { content upn in filenames action hold }\n");
    /* fullwidth digits and a zero-width space in the subject, a soft
     * hyphen and number words in the body, a spelt-out address, a bidi
     * control in an attachment name */
    struct sg_msgview *mv = sg_test_view(
        "ring \xef\xbc\x90\xef\xbc\x91\xef\xbc\x91\xef\xbc\x93 496\xe2\x80\x8b"
        " 0000",
        "mob 07700\xc2\xad" "900123, or oh seven seven oh oh nine oh oh "
        "one two four; jo dot b77 (at) gmail (dot) com");
    add_attachment(mv, "application/pdf",
                   "B80120\xe2\x80\xae" "0005001.pdf");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    const struct sg_rule_match *m = find(v, "subj");
    assert_non_null(m);
    assert_string_equal(m->findings[0].text,
                        "\xef\xbc\x90\xef\xbc\x91\xef\xbc\x91\xef\xbc\x93 "
                        "496\xe2\x80\x8b 0000");
    m = find(v, "phone");
    assert_non_null(m);
    assert_int_equal(m->n_findings, 2);
    assert_string_equal(m->findings[0].text, "07700\xc2\xad" "900123");
    assert_string_equal(m->findings[1].text,
                        "oh seven seven oh oh nine oh oh one two four");
    m = find(v, "mail");
    assert_non_null(m);
    assert_string_equal(m->findings[0].text,
                        "jo dot b77 (at) gmail (dot) com");
    m = find(v, "names");
    assert_non_null(m);
    assert_string_equal(m->findings[0].text,
                        "B80120\xe2\x80\xae" "0005001");
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

/* inspection incomplete: matches only a view that says so, one finding
 * per bound, the reason in the explanation; never at RCPT time. */
static void
test_inspection_incomplete(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule unread { from staff to pupil inspection incomplete "
        "action hold explain \"not all read: {findings}\" }\n"
        "rule read { to pupil except inspection incomplete "
        "action annotate }\n");
    struct sg_msgview *mv = sg_test_view("homework", "see below");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    assert_null(find(v, "unread"));
    assert_non_null(find(v, "read"));
    sg_verdict_free(&v);

    mv->incomplete = SG_INCOMPLETE_DEPTH | SG_INCOMPLETE_SIZE;
    v = eval(r, &in);
    const struct sg_rule_match *m = find(v, "unread");
    assert_non_null(m);
    assert_null(find(v, "read"));
    assert_int_equal(v->action, SG_ACTION_HOLD);
    assert_int_equal(m->n_findings, 2);
    assert_string_equal(m->findings[0].detector, "inspection");
    assert_string_equal(m->findings[0].text,
                        sg_msgview_incomplete_describe(SG_INCOMPLETE_DEPTH));
    assert_string_equal(m->findings[1].text,
                        sg_msgview_incomplete_describe(SG_INCOMPLETE_SIZE));
    assert_non_null(m->explain_sender);
    assert_non_null(strstr(m->explain_sender, "not all read: "));
    assert_non_null(strstr(m->explain_sender,
                           sg_msgview_incomplete_describe(SG_INCOMPLETE_SIZE)));
    sg_verdict_free(&v);

    /* it needs the message: never decided at RCPT time */
    const char *err = NULL;
    in.view = NULL;
    assert_int_equal(sg_rules_eval_rcpt(r, &in, &v, &err), 0);
    assert_null(find(v, "unread"));
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

static void
test_explanations(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule pc { title \"Personal contact details\" policy \"Do not.\" "
        "source \"Trust policy\" from staff to pupil content uk-mobile, "
        "social-media action hold notify sender, dsl }\n"
        "rule all { title \"T\" explain \"{rule}|{title}|{policy}|{source}|"
        "{action}|{recipients}|{sender}|{dsl}|{time}|{{x}}\" action "
        "annotate }\n");
    struct sg_msgview *mv = sg_test_view("x", "ring 07700 900123 or add me on snap");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    struct sg_verdict *v = eval(r, &in);
    const struct sg_rule_match *m = find(v, "pc");
    assert_non_null(m);
    assert_int_equal(m->n_notify, 2);
    assert_string_equal(m->explain_sender,
        "Your message to Amy Pupil <amy.p@school.example> was held for the "
        "Designated Safeguarding Lead to review before delivery.\n\n"
        "Why: the school rule \"Personal contact details\" applies to it.\n"
        "Do not.\n\n"
        "What was found: a mobile phone number (\"07700 900123\" in the "
        "body) and a social media account (\"add me on snap\" in the "
        "body).\n\n"
        "If you think this is a mistake, or you are not sure what to do "
        "instead, please speak to Mrs Khan (DSL).\n\n"
        "(Rule pc; Trust policy)");
    assert_non_null(strstr(m->explain_dsl, "from John Smith "
                                           "<j.smith@school.example> to Amy "
                                           "Pupil <amy.p@school.example>"));
    m = find(v, "all");
    assert_string_equal(
        m->explain_sender,
        "all|T|||delivered with a safeguarding note|Amy Pupil "
        "<amy.p@school.example>|John Smith <j.smith@school.example>|"
        "Mrs Khan (DSL)|Wednesday 12 March 2025 at 10:00 GMT|{x}");
    sg_verdict_free(&v);
    sg_rules_free(&r);
    sg_msgview_free(&mv);
}

static void
test_register_file(void **state)
{
    (void)state;
    char path[] = "/tmp/sg-register-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text =
        "# name sender recipient until\n"
        "approved-contact j.smith@school.example amy.p@school.example "
        "2025-03-31  # residential trip\n"
        "approved-contact * ben.p@school.example never\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct sg_register *reg = NULL;
    const char *err = NULL;
    assert_int_equal(sg_register_load(path, &reg, &err), 0);
    struct sg_party s = school(teacher), a = school(pupil1),
                    b = school(pupil2), p = school(former);
    assert_int_equal(sg_register_check(reg, "approved-contact", &s, &a,
                                       at(2025, 3, 31, 23, 0)),
                     1);
    assert_int_equal(sg_register_check(reg, "approved-contact", &s, &a,
                                       at(2025, 4, 1, 0, 0)),
                     0);
    assert_int_equal(sg_register_check(reg, "approved-contact", &s, &b,
                                       at(2030, 1, 1, 0, 0)),
                     1);
    assert_int_equal(sg_register_check(reg, "other", &s, &b,
                                       at(2025, 1, 1, 0, 0)),
                     0);
    assert_int_equal(sg_register_check(reg, "approved-contact", &s, &p,
                                       at(2025, 1, 1, 0, 0)),
                     0);
    sg_register_free(&reg);
    assert_null(reg);

    FILE *f = fopen(path, "w");
    fputs("a b c soon\n", f);
    fclose(f);
    assert_int_equal(sg_register_load(path, &reg, &err), -1);
    char want[200];
    snprintf(want, sizeof(want),
             "%s:1: expected a date YYYY-MM-DD or 'never', found 'soon'",
             path);
    assert_string_equal(err, want);
    f = fopen(path, "w");
    fputs("\n\na b\n", f);
    fclose(f);
    assert_int_equal(sg_register_load(path, &reg, &err), -1);
    snprintf(want, sizeof(want), "%s:3: expected NAME SENDER RECIPIENT UNTIL",
             path);
    assert_string_equal(err, want);
    unlink(path);
    assert_int_equal(sg_register_load(path, &reg, &err), -1);
}

/* "Several pupils with dates of birth" counts distinct children of school
 * age in a table: two children and an adult helper are not three; a third
 * child is, however often the first two are listed. */
static void
test_pupil_dob_table_count(void **state)
{
    (void)state;
    struct sg_rules *r = load("rule dobs { from staff to any external "
                              "content pupil-dob >= 3 action hold }\n");
    static const char two[] = "Surname,Forename,DOB\r\n"
                              "Patel,Amy,12/03/2014\r\n"
                              "Jones,Ben,01/09/2013\r\n"
                              "Green,Sarah,14/02/1975\r\n"
                              "Patel,Amy,12/03/2014\r\n";
    static const char three[] = "Surname,Forename,DOB\r\n"
                                "Patel,Amy,12/03/2014\r\n"
                                "Jones,Ben,01/09/2013\r\n"
                                "Green,Sarah,14/02/1975\r\n"
                                "Patel,Amy,12/03/2014\r\n"
                                "Okafor,Daniel,30/06/2015\r\n";
    const char *bodies[] = {two, three};
    for (int i = 0; i < 2; i++) {
        struct sg_msgview *mv = sg_test_view("Trip list", bodies[i]);
        struct sg_party rc[] = {external("bookings@coach.example")};
        struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                                   .rcpts = rc, .n_rcpts = 1,
                                   .now = 1741774500};
        struct sg_verdict *v = eval(r, &in);
        const struct sg_rule_match *m = find(v, "dobs");
        if (i == 0) {
            assert_null(m);
        } else {
            assert_non_null(m);
            assert_int_equal(m->n_findings, 3);
        }
        sg_verdict_free(&v);
        sg_msgview_free(&mv);
    }
    sg_rules_free(&r);
}

/* ---- pupil-roster: names of the directory's pupils in one message */

static const char *const roster_names[] = {
    "Amy Patel",   "Ben Jones",   "Chloe Smith",  "Daniel Okafor",
    "Ella Brown",  "Finn Murphy", "Grace Wilson", "Harry Taylor",
    "Isla Evans",  "Jack Thomas", "Kai Roberts",  "Lily Walker",
};
#define N_ROSTER (sizeof(roster_names) / sizeof(roster_names[0]))

struct roster_dir {
    struct sg_person *pupils[N_ROSTER];
    unsigned calls;
};

/* The pupil lookup as milter/judge.c gives it: "Surname, Forename" turned
 * round and case ignored, as the directory's name keys do; a member of
 * staff (John Smith) is no pupil. */
static int
roster_lookup(void *ctx, const char *name, const struct sg_person **p_r)
{
    struct roster_dir *d = ctx;
    d->calls++;
    char key[200];
    const char *comma = strchr(name, ',');
    if (comma != NULL)
        snprintf(key, sizeof(key), "%s %.*s", comma + 1 + (comma[1] == ' '),
                 (int)(comma - name), name);
    else
        snprintf(key, sizeof(key), "%s", name);
    for (size_t i = 0; i < N_ROSTER; i++)
        if (strcasecmp(key, roster_names[i]) == 0) {
            *p_r = d->pupils[i];
            return 1;
        }
    return strcmp(key, "Broken Directory") == 0 ? -1 : 0;
}

static void
roster_dir_init(struct roster_dir *d)
{
    memset(d, 0, sizeof(*d));
    for (size_t i = 0; i < N_ROSTER; i++) {
        char addr[64];
        snprintf(addr, sizeof(addr), "pupil%zu@school.example", i);
        d->pupils[i] = person(addr, roster_names[i], "pupil");
    }
}

static void
roster_dir_free(struct roster_dir *d)
{
    for (size_t i = 0; i < N_ROSTER; i++)
        sg_person_free(&d->pupils[i]);
}

/* Evaluate "content pupil-roster >= 10" on one body from a teacher to an
 * outside address: the roster rule's findings (-1: it did not match);
 * -2 when the evaluation failed. */
static int
roster_eval(struct roster_dir *d, const char *body)
{
    struct sg_rules *r = load(
        "rule roster { from staff to any external "
        "content pupil-roster >= 10 action hold }\n");
    struct sg_msgview *mv = sg_test_view("Group list", body);
    struct sg_party rc[] = {external("coach@club.example")};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = 1741774500,
                               .pupil_lookup = roster_lookup,
                               .pupil_lookup_ctx = d};
    struct sg_verdict *v = NULL;
    const char *err = NULL;
    int n = -2;
    if (sg_rules_eval(r, &in, &v, &err) == 0) {
        const struct sg_rule_match *m = find(v, "roster");
        n = m != NULL ? (int)m->n_findings : -1;
        if (m != NULL)
            assert_int_equal(m->action, SG_ACTION_HOLD);
    } else {
        assert_non_null(strstr(err, "pupil lookup failed"));
    }
    sg_verdict_free(&v);
    sg_msgview_free(&mv);
    sg_rules_free(&r);
    return n;
}

/* A names-only class list, in the forms staff paste it: one name a line,
 * a team sheet on one line, "Surname, Forename", capitals, columns. */
static void
test_pupil_roster(void **state)
{
    (void)state;
    struct roster_dir d;
    roster_dir_init(&d);
    assert_int_equal(
        roster_eval(&d, "Hi Tom,\n\nHere is the Year 6 group for Friday's "
                        "session:\n\nAmy Patel\nBen Jones\nChloe Smith\n"
                        "Daniel Okafor\nElla Brown\nFinn Murphy\nGrace "
                        "Wilson\nHarry Taylor\nIsla Evans\nJack Thomas\n\n"
                        "Kind regards,\nJohn Smith\nHead of PE"),
        10);
    assert_int_equal(
        roster_eval(&d, "Team: Amy Patel, Ben Jones, Chloe Smith, Daniel "
                        "Okafor, Ella Brown, Finn Murphy.\nReserves:\n"
                        "GRACE WILSON\nTaylor, Harry\nEvans, Isla\n"
                        "Thomas, Jack\n"),
        10);
    /* a spreadsheet or HTML table of names: read by its header row */
    assert_int_equal(
        roster_eval(&d, "Surname\tForename\tForm\nPatel\tAmy\t6P\n"
                        "Jones\tBen\t6P\nSmith\tChloe\t6P\nOkafor\tDaniel\t6P\n"
                        "Brown\tElla\t6P\nMurphy\tFinn\t6P\nWilson\tGrace\t6P\n"
                        "Taylor\tHarry\t6P\nEvans\tIsla\t6P\nThomas\tJack\t6P\n"
                        "Roberts\tKai\t6P\n"),
        11);
    /* the names the sender reads are masked (they are pupils'); the
     * DSL's text has them whole */
    struct sg_rules *r = load("rule roster { content pupil-roster >= 2 "
                              "action hold explain \"{findings}\" "
                              "explain-dsl \"{findings}\" }\n");
    struct sg_msgview *mv = sg_test_view("Group", "Amy Patel\nBen Jones\n");
    struct sg_party rc[] = {external("coach@club.example")};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1, .now = 1741774500,
                               .pupil_lookup = roster_lookup,
                               .pupil_lookup_ctx = &d};
    struct sg_verdict *v = eval(r, &in);
    const struct sg_rule_match *m = find(v, "roster");
    assert_non_null(m);
    assert_string_equal(m->explain_sender,
                        "pupils of the school named in a list (\"...\", "
                        "\"...\" in the body)");
    assert_string_equal(m->explain_dsl,
                        "pupils of the school named in a list (\"Amy "
                        "Patel\", \"Ben Jones\" in the body)");
    sg_verdict_free(&v);
    sg_msgview_free(&mv);
    sg_rules_free(&r);
    roster_dir_free(&d);
}

static void
test_pupil_roster_near_misses(void **state)
{
    (void)state;
    struct roster_dir d;
    roster_dir_init(&d);
    /* three pupils named in a letter */
    assert_int_equal(
        roster_eval(&d, "Dear Mr Hughes,\n\nAmy Patel, Ben Jones and Chloe "
                        "Smith will be late on Friday.\n\nKind Regards\n"
                        "John Smith"),
        -1);
    /* one pupil, many times and ways, is one */
    assert_int_equal(
        roster_eval(&d, "Amy Patel\nAmy Patel\nAMY PATEL\nPatel, Amy\n"
                        "Amy Patel\nAmy Patel\nAmy Patel\nAmy Patel\n"
                        "Amy Patel\nAmy Patel\nAmy Patel\n"),
        -1);
    /* a staff list: people who are not pupils */
    assert_int_equal(
        roster_eval(&d, "John Smith\nAnna Jones\nPeter Hughes\nAnna Clarke\n"
                        "Mark Davies\nRuth Edwards\nPaul Hill\nKate Moore\n"
                        "Tom Baker\nJane Wood\nAlan Price\n"),
        -1);
    /* without a pupil lookup the detector finds nothing */
    struct sg_rules *r = load("rule roster { content pupil-roster >= 1 "
                              "action hold }\n");
    struct sg_msgview *mv = sg_test_view("Group", "Amy Patel\nBen Jones\n");
    struct sg_party rc[] = {external("coach@club.example")};
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1, .now = 1741774500};
    struct sg_verdict *v = eval(r, &in);
    assert_null(find(v, "roster"));
    sg_verdict_free(&v);
    sg_msgview_free(&mv);
    sg_rules_free(&r);
    roster_dir_free(&d);
}

/* A message of capitalised words costs a bounded number of lookups, each
 * name once; a directory error fails the evaluation, never "no pupil". */
static void
test_pupil_roster_bounds(void **state)
{
    (void)state;
    struct roster_dir d;
    roster_dir_init(&d);
    size_t cap = 5000 * 24 + 1, len = 0;
    char *body = malloc(cap);
    assert_non_null(body);
    for (int i = 0; i < 5000; i++)
        len += (size_t)snprintf(body + len, cap - len,
                                "Name%c%c Word%c%c\nAmy Patel\n",
                                'A' + i % 26, 'a' + i / 26 % 26,
                                'a' + i / 676 % 26, 'a' + i % 7);
    assert_int_equal(roster_eval(&d, body), -1);
    assert_true(d.calls > 100);
    assert_true(d.calls <= 300);
    free(body);
    assert_int_equal(roster_eval(&d, "Broken Directory"), -2);
    roster_dir_free(&d);
}

/* Add a quoted text to v: whose words its quote header says (NULL, NULL
 * when it names nobody). */
static void
add_quote(struct sg_msgview *v, const char *text, const char *author,
          const char *addr)
{
    v->texts = realloc(v->texts, (v->n_texts + 1) * sizeof(*v->texts));
    struct sg_text_part *t = &v->texts[v->n_texts++];
    memset(t, 0, sizeof(*t));
    t->text = strdup(text);
    t->len = strlen(text);
    t->content_type = strdup("text/plain");
    t->label = strdup(author != NULL ? "body, quoted from someone"
                                     : "body, quoted");
    t->place = SG_PLACE_QUOTED;
    t->quote_author = author != NULL ? strdup(author) : NULL;
    t->quote_addr = addr != NULL ? strdup(addr) : NULL;
}

/* "not quoted": words quoted from someone else do not count; the
 * sender's own quoted words, and quotes that name nobody, do; the same
 * finding in the sender's own words counts however often it is quoted,
 * and display names are a place of their own. */
static void
test_quoted_places(void **state)
{
    (void)state;
    struct sg_rules *r = load(
        "rule contact { content uk-mobile not quoted action hold }\n"
        "rule any { content uk-mobile action journal }\n"
        "rule names { content uk-mobile in names action annotate }\n");
    struct sg_party rc[] = {school(pupil1)};
    struct sg_msgview *mv = sg_test_view("Re: trip", "Thanks, see you at 9.");
    mv->env_from = strdup("j.smith@school.example");
    struct sg_eval_input in = {.view = mv, .sender = school(teacher),
                               .rcpts = rc, .n_rcpts = 1,
                               .now = at(2025, 3, 12, 10, 0)};
    /* the pupil's own number quoted back: only rules that count quotes */
    add_quote(mv, "my number is 07700 900123", "Amy Pupil <amy.p@school.example>",
              "amy.p@school.example");
    struct sg_verdict *v = eval(r, &in);
    assert_null(find(v, "contact"));
    assert_non_null(find(v, "any"));
    assert_string_equal(find(v, "any")->findings[0].where,
                        "body, quoted from someone");
    assert_null(find(v, "names"));
    sg_verdict_free(&v);
    /* the same number in the sender's own words still counts, although
     * the quote comes first in the message */
    free(mv->texts[0].text);
    mv->texts[0].text = strdup("fine, ring 07700 900123 then");
    mv->texts[0].len = strlen(mv->texts[0].text);
    struct sg_text_part first = mv->texts[0];
    mv->texts[0] = mv->texts[1];
    mv->texts[1] = first;
    v = eval(r, &in);
    assert_non_null(find(v, "contact"));
    assert_string_equal(find(v, "contact")->findings[0].where, "body");
    sg_verdict_free(&v);
    sg_msgview_free(&mv);

    /* the sender's own earlier mail quoted: by address, by name, or a
     * quote that names nobody */
    static const char *const whose[][2] = {
        {"John Smith <J.Smith@school.example>", "j.smith@school.example"},
        {"John Smith", NULL},
        {NULL, NULL},
    };
    for (size_t i = 0; i < 3; i++) {
        mv = sg_test_view("Re: trip", "As I said below.");
        in.view = mv;
        add_quote(mv, "Text me on 07700 900555", whose[i][0], whose[i][1]);
        v = eval(r, &in);
        if (find(v, "contact") == NULL)
            fail_msg("quote %zu not counted as the sender's", i);
        sg_verdict_free(&v);
        sg_msgview_free(&mv);
    }
    /* a name that is not the sender's */
    mv = sg_test_view("Re: trip", "As you said below.");
    in.view = mv;
    add_quote(mv, "Text me on 07700 900555", "Amy Pupil", NULL);
    v = eval(r, &in);
    assert_null(find(v, "contact"));
    sg_verdict_free(&v);
    /* a number in a display name */
    mv->display_names = strdup("Mr Smith 07700 900777");
    v = eval(r, &in);
    assert_non_null(find(v, "names"));
    assert_string_equal(find(v, "names")->findings[0].where,
                        "sender's display name");
    assert_non_null(find(v, "contact"));
    sg_verdict_free(&v);
    sg_msgview_free(&mv);
    sg_rules_free(&r);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_test_mode),
        cmocka_unit_test(test_exceptions),
        cmocka_unit_test(test_recipient_conditions),
        cmocka_unit_test(test_recipient_count),
        cmocka_unit_test(test_role_names),
        cmocka_unit_test(test_outside),
        cmocka_unit_test(test_personal_email_owner),
        cmocka_unit_test(test_reply_to),
        cmocka_unit_test(test_personal_email_lookup),
        cmocka_unit_test(test_rcpt_time),
        cmocka_unit_test(test_sender_channels),
        cmocka_unit_test(test_time_conditions),
        cmocka_unit_test(test_attachments_and_scope),
        cmocka_unit_test(test_attachment_images),
        cmocka_unit_test(test_normalised_places),
        cmocka_unit_test(test_inspection_incomplete),
        cmocka_unit_test(test_explanations),
        cmocka_unit_test(test_third_party_masked),
        cmocka_unit_test(test_track),
        cmocka_unit_test(test_category),
        cmocka_unit_test(test_register_file),
        cmocka_unit_test(test_pupil_dob_table_count),
        cmocka_unit_test(test_pupil_roster),
        cmocka_unit_test(test_pupil_roster_near_misses),
        cmocka_unit_test(test_pupil_roster_bounds),
        cmocka_unit_test(test_quoted_places),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
