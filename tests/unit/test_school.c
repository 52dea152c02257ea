/*
 * test_school.c - the schools of a trust: school blocks in the
 * configuration file (good ones, the trust's values as their defaults,
 * and every mistake named by file and line), the school of an address
 * and of a message, and which school a reviewer sees.
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

#include "school.h"
#include "sg_config.h"
#include "sg_rules.h"

static const char trust_conf[] =
    "# the trust's, and every school's unless it says otherwise\n"
    "dsl_contact = the trust's safeguarding team\n"
    "dsl_addresses = safeguarding@trust.example\n"
    "policy_name = Trust Acceptable Use Policy\n"
    "timezone = UTC\n"
    "\n"
    "school northfield {\n"
    "    school_domains = northfield.sch.uk\n"
    "    dsl_addresses = dsl@northfield.sch.uk\n"
    "    dsl_contact = \"Mrs Patel, DSL, on 01632 960123\"\n"
    "    review_conduct_reviewers = head-north\n"
    "    review_welfare_reviewers = patel\n"
    "}\n"
    "school southfield {\n"
    "    school_domains = southfield.sch.uk, pupils.southfield.sch.uk\n"
    "    school_phone_numbers = 01632 960999\n"
    "    policy_name = Southfield ICT Policy\n"
    "    review_welfare_reviewers = jones\n"
    "}\n"
    "subject_tag = [trust]\n";

static struct sg_config *
load_ok(const char *text)
{
    const char *error = NULL;
    struct sg_config *cfg = sg_config_load_string(text, "trust.conf", &error);
    if (cfg == NULL)
        fail_msg("%s", error);
    return cfg;
}

/* text does not load: the error, which must be want */
static void
load_fails(const char *text, const char *want)
{
    const char *error = NULL;
    struct sg_config *cfg = sg_config_load_string(text, "trust.conf", &error);
    if (cfg != NULL) {
        sg_config_free(&cfg);
        fail_msg("loaded: %s", text);
    }
    assert_non_null(error);
    if (strstr(error, want) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", error, want);
}

static void
test_blocks(void **state)
{
    (void)state;
    struct sg_config *cfg = load_ok(trust_conf);
    assert_int_equal(cfg->n_schools, 2);
    const struct sg_school *n = sg_school_find(cfg, "northfield");
    const struct sg_school *s = sg_school_find(cfg, "southfield");
    assert_non_null(n);
    assert_non_null(s);
    assert_null(sg_school_find(cfg, "eastfield"));
    assert_int_equal(n->line, 7);
    assert_string_equal(n->dsl_contact, "Mrs Patel, DSL, on 01632 960123");
    assert_string_equal(n->dsl_addresses[0], "dsl@northfield.sch.uk");
    /* what a block leaves out is the trust's, set before or after it */
    assert_string_equal(s->dsl_contact, "the trust's safeguarding team");
    assert_int_equal(s->n_dsl_addresses, 1);
    assert_string_equal(s->dsl_addresses[0], "safeguarding@trust.example");
    assert_string_equal(n->policy_name, "Trust Acceptable Use Policy");
    assert_string_equal(s->policy_name, "Southfield ICT Policy");
    assert_string_equal(s->subject_tag, "[trust]");
    assert_string_equal(s->timezone, "UTC");
    assert_int_equal(s->n_school_phone_numbers, 1);
    assert_int_equal(n->n_school_phone_numbers, 0);
    /* reviewers are never the trust's by default */
    assert_int_equal(s->n_review_conduct_reviewers, 0);
    /* the trust's domains hold every school's */
    assert_int_equal(cfg->n_school_domains, 3);
    FILE *out = tmpfile();
    sg_school_print(cfg, "x: ", out);
    rewind(out);
    char line[512];
    assert_non_null(fgets(line, sizeof(line), out));
    assert_string_equal(line, "x: school northfield (line 7): domains "
                              "northfield.sch.uk; DSL dsl@northfield.sch.uk; "
                              "contact \"Mrs Patel, DSL, on 01632 960123\"; "
                              "policy \"Trust Acceptable Use Policy\"\n");
    fclose(out);
    /* -n -v: the blocks too, read back as they were understood */
    char *dump = NULL;
    size_t dump_len = 0;
    FILE *d = open_memstream(&dump, &dump_len);
    assert_int_equal(sg_config_dump(cfg, d), 0);
    fclose(d);
    const char *error = NULL;
    struct sg_config *again = sg_config_load_string(dump, "dump", &error);
    if (again == NULL)
        fail_msg("%s", error);
    free(dump);
    assert_int_equal(again->n_schools, 2);
    assert_string_equal(sg_school_find(again, "southfield")->policy_name,
                        "Southfield ICT Policy");
    assert_string_equal(sg_school_find(again, "northfield")->dsl_contact,
                        "Mrs Patel, DSL, on 01632 960123");
    assert_int_equal(again->n_school_domains, 3);
    sg_config_free(&again);
    /* a trust key changed later reaches the schools that inherit it */
    assert_int_equal(sg_config_set(cfg, "dsl_contact", "the trust", &error), 0);
    assert_string_equal(s->dsl_contact, "the trust");
    assert_string_equal(n->dsl_contact, "Mrs Patel, DSL, on 01632 960123");
    sg_config_free(&cfg);
}

/* no block: one school, named nowhere */
static void
test_no_blocks(void **state)
{
    (void)state;
    struct sg_config *cfg = load_ok("school_domains = one.sch.uk\n"
                                    "dsl_contact = Mr Smith\n");
    assert_int_equal(cfg->n_schools, 0);
    assert_int_equal(cfg->n_school_domains, 1);
    assert_null(sg_school_of_address(cfg, "a@one.sch.uk"));
    const struct sg_school *sch = NULL;
    unsigned tracks = 1;
    assert_true(sg_school_reviewer(cfg, NULL, 0, "anyone", &sch, &tracks));
    assert_null(sch);
    assert_int_equal(tracks, 0);
    FILE *out = tmpfile();
    sg_school_print(cfg, "", out);
    assert_int_equal(ftell(out), 0);
    fclose(out);
    sg_config_free(&cfg);
}

static void
test_errors(void **state)
{
    (void)state;
    load_fails("school a {\n  school_domains = a.sch.uk\n  rules_file = x\n}\n",
               "trust.conf:3: rules_file cannot be set in a school block");
    /* the trust team's digest is the trust's alone */
    load_fails("school a {\n  school_domains = a.sch.uk\n"
               "  trust_dsl_addresses = t@a.sch.uk\n}\n",
               "trust.conf:3: trust_dsl_addresses cannot be set in a school "
               "block");
    load_fails("school a {\n  school_domains = a.sch.uk\n  nonsense = 1\n}\n",
               "trust.conf:3: nonsense cannot be set");
    load_fails("school a {\n  school_domains = a.sch.uk\n}\n"
               "school b {\n  school_domains = b.sch.uk A.SCH.UK\n}\n",
               "trust.conf:5: school_domains: A.SCH.UK is already school "
               "\"a\"'s (line 2)");
    load_fails("dsl_contact = x\nschool a {\n  school_domains = a.sch.uk\n",
               "trust.conf:2: school block is not closed");
    load_fails("school a {\n  school_domains = a.sch.uk\nschool b {\n}\n",
               "trust.conf:3: a block inside a block (the one opened at "
               "line 1");
    load_fails("school_domains = a.sch.uk\n}\n",
               "trust.conf:2: \"}\" closes no block");
    load_fails("school a {\n  dsl_contact = x\n}\n",
               "trust.conf:1: school \"a\" has no school_domains");
    load_fails("school a {\n  school_domains = a.sch.uk\n"
               "  school_domains = b.sch.uk\n}\n",
               "trust.conf:3: school_domains is set twice (first at line 2)");
    load_fails("school a {\n  school_domains = a.sch.uk\n}\n"
               "school a {\n  school_domains = b.sch.uk\n}\n",
               "trust.conf:4: school \"a\" is given twice (first at line 1)");
    load_fails("school a {\n  school_domains = a.sch.uk\n"
               "  dsl_addresses = not-an-address\n}\n",
               "trust.conf:3: dsl_addresses = \"not-an-address\"");
    load_fails("school a {\n  school_domains = a.sch.uk\n"
               "  timezone = Nowhere/Atlantis\n}\n",
               "trust.conf:3: timezone");
    load_fails("school a/b {\n}\n", "trust.conf:1: school \"a/b\"");
    load_fails("college a {\n}\n", "trust.conf:1: expected \"school NAME {\"");
}

/* an indented line in a block is a key of its own; one indented further
 * continues it */
static void
test_continuation(void **state)
{
    (void)state;
    struct sg_config *cfg = load_ok("school a {\n"
                                    "    school_domains = a.sch.uk,\n"
                                    "        a2.sch.uk\n"
                                    "    dsl_contact = Ms A\n"
                                    "}\n");
    const struct sg_school *a = sg_school_find(cfg, "a");
    assert_int_equal(a->n_school_domains, 2);
    assert_string_equal(a->dsl_contact, "Ms A");
    sg_config_free(&cfg);
}

static void
test_of_message(void **state)
{
    (void)state;
    struct sg_config *cfg = load_ok(trust_conf);
    const struct sg_school *n = sg_school_find(cfg, "northfield");
    const struct sg_school *s = sg_school_find(cfg, "southfield");
    assert_ptr_equal(sg_school_of_address(cfg, "x@NorthField.sch.uk"), n);
    assert_ptr_equal(sg_school_of_address(cfg, "x@pupils.southfield.sch.uk"),
                     s);
    assert_ptr_equal(sg_school_of_address(cfg, "x@mail.southfield.sch.uk"), s);
    assert_null(sg_school_of_address(cfg, "x@xnorthfield.sch.uk"));
    assert_null(sg_school_of_address(cfg, "nobody"));

    struct sg_person *pupil = sg_person_new();
    assert_int_equal(sg_person_add_role(pupil, SG_ROLE_PUPIL), 0);
    struct sg_person *staff = sg_person_new();
    assert_int_equal(sg_person_add_role(staff, "staff"), 0);
    struct sg_party teacher = {"t@northfield.sch.uk", staff, SG_CHANNEL_SCHOOL};
    struct sg_party rcpts[] = {
        {"x@example.com", NULL, SG_CHANNEL_NONE},
        {"p@southfield.sch.uk", pupil, SG_CHANNEL_SCHOOL},
    };
    /* the pupil's school, though the sender is another's */
    assert_ptr_equal(sg_school_of_message(cfg, &teacher, rcpts, 2), s);
    /* no pupil: the sender's */
    assert_ptr_equal(sg_school_of_message(cfg, &teacher, rcpts, 1), n);
    /* an outside sender: the first recipient at a school */
    struct sg_party outside = {"o@example.com", NULL, SG_CHANNEL_NONE};
    struct sg_party staff_rcpts[] = {
        {"x@example.com", NULL, SG_CHANNEL_NONE},
        {"t@northfield.sch.uk", staff, SG_CHANNEL_SCHOOL},
        {"u@southfield.sch.uk", staff, SG_CHANNEL_SCHOOL},
    };
    assert_ptr_equal(sg_school_of_message(cfg, &outside, staff_rcpts, 3), n);
    assert_null(sg_school_of_message(cfg, &outside, staff_rcpts, 1));
    sg_person_free(&pupil);
    sg_person_free(&staff);
    sg_config_free(&cfg);
}

static void
test_reviewer(void **state)
{
    (void)state;
    struct sg_config *cfg = load_ok(trust_conf);
    const char *trust[] = {"head-trust"};
    const struct sg_school *sch = NULL;
    unsigned t = 0;
    assert_true(sg_school_reviewer(cfg, trust, 1, "head-trust", &sch, &t));
    assert_null(sch);
    assert_int_equal(t, 0);
    assert_true(sg_school_reviewer(cfg, trust, 1, "patel", &sch, &t));
    assert_string_equal(sch->name, "northfield");
    assert_int_equal(t, 1u << SG_TRACK_PUPIL_WELFARE);
    assert_true(sg_school_reviewer(cfg, trust, 1, "jones", &sch, &t));
    assert_string_equal(sch->name, "southfield");
    /* a login no list names sees nothing, not everything */
    assert_false(sg_school_reviewer(cfg, trust, 1, "stranger", &sch, &t));
    assert_false(sg_school_reviewer(cfg, NULL, 0, "stranger", &sch, &t));
    assert_false(sg_school_reviewer(cfg, trust, 1, NULL, &sch, &t));
    sg_config_free(&cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks),     cmocka_unit_test(test_no_blocks),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_continuation),
        cmocka_unit_test(test_of_message), cmocka_unit_test(test_reviewer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
