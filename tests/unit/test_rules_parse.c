/*
 * test_rules_parse.c - the rules language: every construct parses into the
 * expected structure, and every error names file, line, column and what
 * was expected.
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

#include "detect.h"
#include "sg_rules.h"

static const char *const domains[] = {"school.example"};

static struct sg_rules_options
opts(void)
{
    struct sg_rules_options o;
    memset(&o, 0, sizeof(o));
    o.school_domains = domains;
    o.n_school_domains = 1;
    o.dsl_contact = "Mrs Khan (DSL)";
    return o;
}

static struct sg_rules *
load_ok(const char *text)
{
    struct sg_rules_options o = opts();
    struct sg_rules *r = NULL;
    const char *err = NULL;
    if (sg_rules_load_string(text, strlen(text), "t", &o, &r, &err) < 0)
        fail_msg("unexpected error: %s", err);
    return r;
}

static const char full[] =
    "# every construct once\n"
    "mode test\n"
    "list staffish { staff, \"dsl\" teacher }\n"
    "list heads { @staffish, \"head@school.example\" }\n"
    "list exts { \".jpg\", png }\n"
    "detector codeword {\n"
    "    pattern '\\bpineapple\\b'\n"
    "    pattern \"\\\\bmango\\\\b\"\n"
    "    words \"secret club\", hideout\n"
    "    ignore-case\n"
    "    validate none\n"
    "    describe \"a club code word\"\n"
    "}\n"
    "detector card { pattern '\\b\\d{16}\\b' validate luhn }\n"
    "rule everything {\n"
    "    title \"All of it\" \" joined\"\n"
    "    policy \"Be good.\"\n"
    "    source \"Doc, clause 1\"\n"
    "    mode enforce\n"
    "    from @heads, \"*@partner.example\" via school, personal, display-name\n"
    "    to all pupil, former-pupil-under-18 via school, personal\n"
    "    to none staff\n"
    "    recipients <= 3\n"
    "    content uk-mobile, codeword >= 2 in subject, body, attachments, "
    "filenames, names not quoted\n"
    "    attachment image/*, \"video/*\", @exts\n"
    "    time outside 07:00-19:00, weekend, between 12:00-13:00, mon, sun\n"
    "    except from dsl\n"
    "    except register approved-contact\n"
    "    except trip-contact\n"
    "    except to any parent\n"
    "    except content upn in reply-to\n"
    "    except attachment .pdf\n"
    "    except time weekday\n"
    "    except recipients > 10\n"
    "    except recipients pupil, \"*@partner.example\" via school >= 20\n"
    "    except recipients parent 2\n"
    "    action hold\n"
    "    notify sender, dsl, \"safeguarding@school.example\"\n"
    "    explain \"Hi {sender}: {findings} to {pupils} ({rule}, {title}, "
    "{policy}, {source}, {action}, {recipients}, {dsl}, {time}) {{ok}}\"\n"
    "    explain-dsl \"DSL: {rule}\"\n"
    "}\n"
    "rule minimal { action accept }\n"
    "rule rcpt-time { from staff via personal to pupil time weekend "
    "except register x action reject }\n";

static void
test_every_construct(void **state)
{
    (void)state;
    struct sg_rules *r = load_ok(full);
    assert_int_equal(r->mode, SG_MODE_TEST);
    assert_int_equal(sg_rules_count(r), 3);
    assert_string_equal(sg_rules_id(r, 0), "everything");
    assert_null(sg_rules_id(r, 3));
    assert_int_equal(r->n_lists, 3);
    assert_int_equal(r->lists[1].items.n, 4); /* expanded @staffish */
    assert_int_equal(sg_rules_detector_count(r), 13); /* 11 built-in + 2 */
    size_t cw = sg_rules_detector_find(r, "codeword");
    assert_true(cw != (size_t)-1);
    assert_string_equal(r->detectors[cw].describe, "a club code word");
    assert_int_equal(r->detectors[sg_rules_detector_find(r, "card")].validate,
                     VAL_LUHN);

    const struct rule *e = &r->rules[0];
    assert_string_equal(e->title, "All of it joined");
    assert_string_equal(e->policy, "Be good.");
    assert_string_equal(e->source, "Doc, clause 1");
    assert_int_equal(e->mode, SG_MODE_ENFORCE);
    assert_int_equal(e->action, SG_ACTION_HOLD);
    assert_int_equal(e->notify.n, 3);
    assert_int_equal(e->n_conds, 7);
    assert_int_equal(e->n_excepts, 10);
    const struct cond *c = &e->conds[0];
    assert_int_equal(c->kind, C_FROM);
    assert_int_equal(c->from.roles.n, 3);
    assert_int_equal(c->from.addrs.n, 2);
    assert_int_equal(c->from.channels,
                     CH_SCHOOL | CH_PERSONAL | CH_DISPLAY_NAME);
    c = &e->conds[1];
    assert_int_equal(c->kind, C_TO);
    assert_int_equal(c->to.q, Q_ALL);
    assert_int_equal(c->to.set.roles.n, 2);
    assert_int_equal(e->conds[2].to.q, Q_NONE);
    assert_int_equal(e->conds[3].kind, C_RECIPIENTS);
    assert_int_equal(e->conds[3].cmp, CMP_LE);
    assert_int_equal(e->conds[3].count, 3);
    c = &e->conds[4];
    assert_int_equal(c->kind, C_CONTENT);
    assert_int_equal(c->n_items, 2);
    assert_int_equal(c->items[1].min, 2);
    assert_int_equal(c->scope, SC_SUBJECT | SC_BODY | SC_ATTACHMENTS |
                                   SC_FILENAMES | SC_NAMES);
    assert_true(c->not_quoted);
    assert_int_equal(e->excepts[4].scope, SC_REPLY_TO);
    c = &e->conds[5];
    assert_int_equal(c->types.n, 2);
    assert_int_equal(c->exts.n, 2);
    assert_string_equal(c->exts.v[0], "jpg");
    c = &e->conds[6];
    assert_int_equal(c->n_times, 5);
    assert_int_equal(c->times[0].kind, T_OUTSIDE);
    assert_int_equal(c->times[0].from_min, 7 * 60);
    assert_int_equal(c->times[0].to_min, 19 * 60);
    assert_int_equal(c->times[1].days, 0x41);
    assert_int_equal(c->times[3].days, 0x02);
    assert_int_equal(e->excepts[1].kind, C_REGISTER);
    assert_string_equal(e->excepts[1].reg_name, "approved-contact");
    assert_string_equal(e->excepts[2].reg_name, "trip-contact");
    /* recipients counted by role, address and channel; "=" implied */
    assert_int_equal(e->excepts[7].to.set.roles.n, 0);
    c = &e->excepts[8];
    assert_int_equal(c->kind, C_RECIPIENTS);
    assert_int_equal(c->to.set.roles.n, 1);
    assert_int_equal(c->to.set.addrs.n, 1);
    assert_int_equal(c->to.set.channels, CH_SCHOOL);
    assert_int_equal(c->cmp, CMP_GE);
    assert_int_equal(c->count, 20);
    c = &e->excepts[9];
    assert_string_equal(c->to.set.roles.v[0], "parent");
    assert_int_equal(c->cmp, CMP_EQ);
    assert_int_equal(c->count, 2);
    assert_false(e->rcpt_decidable);
    assert_true(e->needs_view);

    assert_int_equal(r->rules[1].mode, -1);
    assert_int_equal(r->rules[1].n_conds, 0);
    assert_true(r->rules[2].rcpt_decidable);
    assert_false(r->rules[2].needs_view);
    sg_rules_free(&r);
    assert_null(r);
}

struct ecase {
    const char *text;
    const char *error;
};

static const struct ecase errors[] = {
    /* lexer */
    {"rule a { title \"x\n", "t:1:16: expected the closing \" of the string "
                             "(strings end on the same line)"},
    {"rule a { title 'x", "t:1:16: expected the closing ' of the string "
                          "(strings end on the same line)"},
    {"rule a { title \"a\\q\" }", "t:1:18: expected \\n, \\t, \\\\ or \\\" in "
                                  "a string (use '...' for patterns)"},
    {"rule a { title \"\\", "t:1:17: expected a character after '\\'"},
    {"rule a { from @ }", "t:1:15: expected a list name after '@'"},
    {"rule a { recipients ! 3 }", "t:1:21: expected '!='"},
    {"rule a ; ", "t:1:8: unexpected character ';'"},
    {"\x01", "t:1:1: unexpected character 0x01"},
    /* top level */
    {"rules a {}", "t:1:1: expected 'rule', 'detector', 'list', 'include' "
                   "or 'mode', found 'rules'"},
    {"\n\n  }", "t:3:3: expected 'rule', 'detector', 'list', 'include' or "
                "'mode', found '}'"},
    {"mode off", "t:1:6: expected 'enforce' or 'test' after 'mode', found "
                 "'off'"},
    /* lists */
    {"list { }", "t:1:6: expected a list name, found '{'"},
    {"list 9x { }", "t:1:6: expected a list name, found '9x'"},
    {"list a { } list a { }", "t:1:12: list 'a' is already defined"},
    {"list a b", "t:1:8: expected '{' after the list name, found 'b'"},
    {"list a { x", "t:1:11: expected a list item (word or string) or '}', "
                   "found end of file"},
    {"list a { @b }", "t:1:10: expected a list defined earlier, found "
                      "unknown list 'b'"},
    /* detectors */
    {"detector { }", "t:1:10: expected a detector name, found '{'"},
    {"detector uk-mobile { pattern 'x' }",
     "t:1:10: detector 'uk-mobile' is already defined (built-in detectors "
     "cannot be redefined)"},
    {"detector d pattern", "t:1:12: expected '{' after the detector name, "
                           "found 'pattern'"},
    {"detector d { pattern '(' }",
     "t:1:14: expected a valid PCRE2 pattern: missing closing parenthesis "
     "at offset 1 of the pattern"},
    {"detector d { pattern x }", "t:1:22: expected a pattern string after "
                                 "'pattern', found 'x'"},
    {"detector d { words }", "t:1:20: expected a word or phrase (string) "
                             "after 'words', found '}'"},
    {"detector d { words \"\" }", "t:1:20: expected a word, found \"\""},
    {"detector d { describe x }", "t:1:23: expected a description string, "
                                  "found 'x'"},
    {"detector d { validate crc }",
     "t:1:23: expected a validator: none, luhn, upn, nhs-number, uln, "
     "uk-mobile, uk-landline or personal-email, found 'crc'"},
    {"detector d { colour red }",
     "t:1:14: expected a detector field (pattern, words, ignore-case, "
     "validate, describe) or '}', found 'colour'"},
    {"detector d { ignore-case }", "t:1:26: expected at least one 'pattern' "
                                   "or 'words' in the detector, found '}'"},
    /* rules */
    {"rule { }", "t:1:6: expected a rule name, found '{'"},
    {"rule a { action hold }\nrule a { action hold }",
     "t:2:6: rule 'a' is already defined at t:1"},
    {"rule a action", "t:1:8: expected '{' after the rule name, found "
                      "'action'"},
    {"rule a { title \"x\" title \"y\" }",
     "t:1:20: 'title' is given twice in this rule"},
    {"rule a { policy x }", "t:1:17: expected a string after 'policy', "
                            "found 'x'"},
    {"rule a { explain \"{pupil}\" }",
     "t:1:18: expected a known placeholder ({rule}, {title}, {policy}, "
     "{source}, {action}, {pupils}, {recipients}, {sender}, {findings}, "
     "{dsl}, {time}), found {pupil}"},
    {"rule a { explain-dsl \"{oops\" }",
     "t:1:22: expected a known placeholder ({rule}, {title}, {policy}, "
     "{source}, {action}, {pupils}, {recipients}, {sender}, {findings}, "
     "{dsl}, {time}), found '{oops' without a closing '}'"},
    {"rule a { mode live }", "t:1:15: expected 'enforce' or 'test' after "
                             "'mode', found 'live'"},
    {"rule a { action hold action hold }",
     "t:1:22: 'action' is given twice in this rule"},
    {"rule a { action quarantine }",
     "t:1:17: expected an action: accept, annotate, journal, hold or "
     "reject, found 'quarantine'"},
    {"rule a { notify }", "t:1:17: expected sender, dsl or a quoted "
                          "address after 'notify', found '}'"},
    {"rule a { except }", "t:1:17: expected a condition (from, to, "
                          "recipients, content, attachment, time, "
                          "inspection) or an exceptions register name "
                          "after 'except', found '}'"},
    {"rule a { colour red }",
     "t:1:10: expected a rule field (title, policy, source, category, mode, track, "
     "retention, from, to, recipients, content, attachment, time, inspection, except, action, "
     "notify, explain, explain-dsl) or '}', found 'colour'"},
    {"rule a { track pastoral action hold }",
     "t:1:16: expected a review track: staff-conduct or pupil-welfare, "
     "found 'pastoral'"},
    {"rule a { track pupil-welfare track staff-conduct action hold }",
     "t:1:30: 'track' is given twice in this rule"},
    {"rule a { retention forever action hold }",
     "t:1:20: expected a retention class: pupil-welfare or staff-conduct, "
     "found 'forever'"},
    {"rule a { retention released action hold }",
     "t:1:20: expected a retention class: pupil-welfare or staff-conduct, "
     "found 'released'"},
    {"rule a { retention pupil-welfare retention staff-conduct action hold }",
     "t:1:34: 'retention' is given twice in this rule"},
    {"rule a { category \"Online safety\" category \"Staff conduct\" "
     "action hold }",
     "t:1:35: 'category' is given twice in this rule"},
    {"rule a { category Online action hold }",
     "t:1:19: expected a string after 'category', found 'Online'"},
    {"rule a { to pupil to staff action hold }",
     "t:1:19: expected one 'to any' or 'to all' per rule (put the roles in "
     "one list; 'to none' may be repeated)"},
    {"rule a { from staff }", "t:1:21: expected 'action' in rule 'a' "
                              "before '}'"},
    {"rule a { title \"x\"", "t:1:19: expected a rule field (title, policy, "
                             "source, category, mode, track, retention, from, to, recipients, content, "
                             "attachment, time, inspection, except, action, "
                             "notify, explain, explain-dsl) or '}', found "
                             "end of file"},
    /* conditions */
    {"rule a { from }", "t:1:15: expected a role or a quoted address after "
                        "'from', found '}'"},
    {"rule a { from 7up }", "t:1:15: expected a role or a quoted address, "
                            "found '7up'"},
    {"rule a { from \"\" }", "t:1:15: expected a role or a quoted address, "
                             "found \"\""},
    {"rule a { from staff via phone }",
     "t:1:25: expected a channel: school, personal, external, display-name "
     "or spoofed, found 'phone'"},
    {"rule a { to pupil via display-name }",
     "t:1:23: expected a channel: school, personal or external, found "
     "'display-name'"},
    {"rule a { to any }", "t:1:17: expected a role or a quoted address "
                          "after 'to', found '}'"},
    {"rule a { recipients 3 }", "t:1:21: expected a comparison (=, !=, <, "
                                "<=, >, >=) after 'recipients', found '3'"},
    {"rule a { recipients pupil }",
     "t:1:27: expected a comparison (=, !=, <, <=, >, >=) or a number after "
     "the roles to count, found '}'"},
    {"rule a { recipients pupil via school >= many }",
     "t:1:41: expected a number of recipients, found 'many'"},
    {"rule a { recipients pupil via phone = 1 }",
     "t:1:31: expected a channel: school, personal or external, found "
     "'phone'"},
    {"rule a { recipients > x }", "t:1:23: expected a number of recipients, "
                                  "found 'x'"},
    {"rule a { recipients > 1x }", "t:1:23: expected a number of "
                                   "recipients, found '1x'"},
    {"rule a { inspection }", "t:1:21: expected 'incomplete' after "
                              "'inspection', found '}'"},
    {"rule a { inspection complete action hold }",
     "t:1:21: expected 'incomplete' after 'inspection', found 'complete'"},
    {"rule a { content }", "t:1:18: expected a detector name after "
                           "'content', found '}'"},
    {"rule a { content phone }", "t:1:18: expected a built-in detector or "
                                 "one defined earlier, found unknown "
                                 "detector 'phone'"},
    {"rule a { content upn > 2 }", "t:1:22: expected '>=' (at least N "
                                   "findings), found '>'"},
    {"rule a { content upn >= many }", "t:1:25: expected a number of "
                                       "findings after '>=', found 'many'"},
    {"rule a { content upn in headers }",
     "t:1:25: expected a place: subject, body, attachments, filenames, "
     "reply-to or names, found 'headers'"},
    {"rule a { content upn not body }",
     "t:1:26: expected 'quoted' after 'not', found 'body'"},
    {"rule a { attachment }", "t:1:21: expected a content type (image/*) "
                              "or an extension (.jpg) after 'attachment', "
                              "found '}'"},
    {"rule a { attachment \".\" }", "t:1:21: expected a content type "
                                    "(image/*) or an extension (.jpg), "
                                    "found \".\""},
    {"rule a { attachment image/* not }",
     "t:1:33: expected 'inline', 'small' or 'photo' after 'not', found '}'"},
    {"rule a { attachment image/* small not small }",
     "t:1:35: 'small' is said twice in one attachment condition"},
    {"rule a { time }", "t:1:15: expected a time condition: outside "
                        "HH:MM-HH:MM, between HH:MM-HH:MM, weekend, weekday "
                        "or a day (mon, tue, wed, thu, fri, sat, sun), "
                        "found '}'"},
    {"rule a { time outside 7-19 }", "t:1:23: expected a time range "
                                     "HH:MM-HH:MM, found '7-19'"},
    {"rule a { time outside 07:00-25:00 }", "t:1:23: expected a time range "
                                            "HH:MM-HH:MM, found "
                                            "'07:00-25:00'"},
    {"rule a { time between 19:00-07:00 }",
     "t:1:23: expected a time range whose start is before its end, found "
     "'19:00-07:00'"},
    {"rule a { to @nolist }", "t:1:13: expected a list defined earlier, "
                              "found unknown list 'nolist'"},
    /* notify: sender, dsl or an address, nothing else */
    {"rule a { notify sender, dls }",
     "t:1:25: expected sender, dsl or a quoted address (\"name@domain\") "
     "after 'notify', found 'dls'"},
    {"rule a {\n notify \"archive\" }",
     "t:2:9: expected sender, dsl or a quoted address (\"name@domain\") "
     "after 'notify', found 'archive'"},
    {"rule a { notify \"a@school.example; b@school.example\" }",
     "t:1:17: expected sender, dsl or a quoted address (\"name@domain\") "
     "after 'notify', found 'a@school.example; b@school.example'"},
    {"rule a { notify \"@school.example\" }",
     "t:1:17: expected sender, dsl or a quoted address (\"name@domain\") "
     "after 'notify', found '@school.example'"},
    {"list who { dsl, snder }\nrule a { notify @who }",
     "t:2:17: expected sender, dsl or a quoted address (\"name@domain\") "
     "after 'notify', found 'snder'"},
    /* include */
    {"include nofile", "t:1:9: expected a file name string after 'include', "
                       "found 'nofile'"},
    {"include \"/nonexistent/x.rules\"",
     "t:1:1: in included file: /nonexistent/x.rules: cannot open: No such "
     "file or directory"},
};

static void
test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        struct sg_rules_options o = opts();
        struct sg_rules *r = (struct sg_rules *)&o; /* must stay untouched */
        struct sg_rules *keep = r;
        const char *err = NULL;
        int rc = sg_rules_load_string(errors[i].text, strlen(errors[i].text),
                                      "t", &o, &r, &err);
        if (rc != -1)
            fail_msg("case %zu loaded: %s", i, errors[i].text);
        assert_ptr_equal(r, keep);
        if (strcmp(err, errors[i].error) != 0)
            fail_msg("case %zu (%s):\n got: %s\nwant: %s", i, errors[i].text,
                     err, errors[i].error);
    }
}

static void
test_nul_byte(void **state)
{
    (void)state;
    struct sg_rules_options o = opts();
    struct sg_rules *r = NULL;
    const char *err = NULL;
    assert_int_equal(sg_rules_load_string("mode\0test", 9, "t", &o, &r, &err),
                     -1);
    assert_string_equal(err, "t:1:5: unexpected NUL byte");
    assert_int_equal(sg_rules_load_string("list a { \"x\0\" }", 15, "t", &o,
                                          &r, &err),
                     -1);
    assert_string_equal(err, "t:1:12: unexpected NUL byte in a string");
}

static char tmpdir[64];

static void
write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void
test_include_and_files(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sg-rules-test-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    write_file("main.rules", "list l { a }\ninclude \"part.rules\"\n"
                             "rule r2 { content d action hold }\n");
    write_file("part.rules", "detector d { pattern 'x' }\n"
                             "rule r1 { to @l action reject }\n");
    write_file("loop.rules", "include \"loop.rules\"\n");
    write_file("bad.rules", "rule r {\n  action\n}\n");
    write_file("incbad.rules", "\n include \"bad.rules\"\n");

    struct sg_rules_options o = opts();
    struct sg_rules *r = NULL;
    const char *err = NULL;
    char path[128];
    snprintf(path, sizeof(path), "%s/main.rules", tmpdir);
    assert_int_equal(sg_rules_load(path, &o, &r, &err), 0);
    assert_int_equal(sg_rules_count(r), 2);
    assert_string_equal(sg_rules_id(r, 0), "r1");
    sg_rules_free(&r);

    snprintf(path, sizeof(path), "%s/loop.rules", tmpdir);
    assert_int_equal(sg_rules_load(path, &o, &r, &err), -1);
    assert_non_null(strstr(err, "includes are nested deeper than 8 (an "
                                "include loop?)"));

    snprintf(path, sizeof(path), "%s/bad.rules", tmpdir);
    assert_int_equal(sg_rules_load(path, &o, &r, &err), -1);
    char want[300];
    snprintf(want, sizeof(want),
             "%s:3:1: expected an action: accept, annotate, journal, hold "
             "or reject, found '}'",
             path);
    assert_string_equal(err, want);

    snprintf(path, sizeof(path), "%s/incbad.rules", tmpdir);
    assert_int_equal(sg_rules_load(path, &o, &r, &err), -1);
    snprintf(want, sizeof(want),
             "%s:2:2: in included file: %s/./bad.rules:3:1: expected",
             path, tmpdir);
    /* the include path is joined to the including file's directory */
    assert_non_null(strstr(err, "in included file: "));
    assert_non_null(strstr(err, "bad.rules:3:1: expected an action"));

    assert_int_equal(sg_rules_load("/nonexistent/r.rules", &o, &r, &err), -1);
    assert_string_equal(err, "/nonexistent/r.rules: cannot open: No such file "
                             "or directory");
    assert_null(r);

    const char *names[] = {"main.rules", "part.rules", "loop.rules",
                           "bad.rules", "incbad.rules"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
        unlink(path);
    }
    rmdir(tmpdir);
}

/* With the directory's roles given, a rule may name only those (any
 * case), anyone and external; a typo stops the load where it is, in a
 * condition, an exception or a list. */
static void
test_known_roles(void **state)
{
    (void)state;
    static const char *const known[] = {"staff", "pupil", "parent", "dsl",
                                        "governor"};
    static const struct {
        const char *text;
        const char *error; /* NULL: loads */
    } cases[] = {
        {"rule a { from Staff, governor to any pupil, external action hold "
         "notify DSL, \"head@school.example\" }",
         NULL},
        {"rule a { from anyone to \"*@partner.example\" action hold }", NULL},
        {"rule a { from staff to outside recipients Pupil, governor 1 "
         "action hold }",
         NULL},
        {"rule a { recipients pupl > 1 action hold }",
         "t:1:21: expected a known role (staff, pupil, parent, dsl, governor, "
         "anyone, external, outside; a site's own roles are declared with "
         "roles = ...) or a quoted address, found 'pupl'"},
        {"rule a { from staf to pupil action hold }",
         "t:1:15: expected a known role (staff, pupil, parent, dsl, governor, "
         "anyone, external, outside; a site's own roles are declared with "
         "roles = "
         "...) or a quoted address, found 'staf'"},
        {"rule a {\n  from staff\n  to none pupil, parnet\n action hold }",
         "t:3:18: expected a known role (staff, pupil, parent, dsl, governor, "
         "anyone, external, outside; a site's own roles are declared with "
         "roles = "
         "...) or a quoted address, found 'parnet'"},
        {"rule a { from staff except from \"dsl \" action hold }",
         "t:1:33: expected a known role (staff, pupil, parent, dsl, governor, "
         "anyone, external, outside; a site's own roles are declared with "
         "roles = "
         "...) or a quoted address, found 'dsl '"},
        {"list who { staff, teacher }\nrule a { from @who action hold }",
         "t:2:15: expected a known role (staff, pupil, parent, dsl, governor, "
         "anyone, external, outside; a site's own roles are declared with "
         "roles = "
         "...) or a quoted address, found 'teacher'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_rules_options o = opts();
        o.known_roles = known;
        o.n_known_roles = sizeof(known) / sizeof(known[0]);
        struct sg_rules *r = NULL;
        const char *err = NULL;
        int rc = sg_rules_load_string(cases[i].text, strlen(cases[i].text),
                                      "t", &o, &r, &err);
        if (cases[i].error == NULL) {
            if (rc < 0)
                fail_msg("case %zu: %s", i, err);
            assert_int_equal(sg_rules_count(r), 1);
            sg_rules_free(&r);
            continue;
        }
        if (rc != -1)
            fail_msg("case %zu loaded: %s", i, cases[i].text);
        if (strcmp(err, cases[i].error) != 0)
            fail_msg("case %zu:\n got: %s\nwant: %s", i, err, cases[i].error);
    }
    /* without the directory's roles (a caller that has none), any word */
    struct sg_rules *r = load_ok("rule a { from staf action hold }");
    assert_non_null(r);
    sg_rules_free(&r);
}

static void
test_options(void **state)
{
    (void)state;
    struct sg_rules_options o = opts();
    static const char *const bad_phone[] = {"+33 1 23 45 67 89"};
    o.school_phone_numbers = bad_phone;
    o.n_school_phone_numbers = 1;
    struct sg_rules *r = NULL;
    const char *err = NULL;
    assert_int_equal(sg_rules_load_string("", 0, "t", &o, &r, &err), -1);
    assert_string_equal(err, "school phone number '+33 1 23 45 67 89' is not "
                             "a UK number");
    o = opts();
    o.timezone = "Nowhere/Atlantis";
    assert_int_equal(sg_rules_load_string("", 0, "t", &o, &r, &err), -1);
    assert_non_null(strstr(err, "time zone 'Nowhere/Atlantis': cannot open"));
    o.timezone = "../etc/passwd";
    assert_int_equal(sg_rules_load_string("", 0, "t", &o, &r, &err), -1);
    assert_string_equal(err, "time zone '../etc/passwd': not a zone name");
    o.timezone = "Europe/London";
    assert_int_equal(sg_rules_load_string("", 0, NULL, &o, &r, &err), 0);
    assert_int_equal(sg_rules_count(r), 0);
    sg_rules_free(&r);
    assert_int_equal(sg_rules_load_string("", 0, NULL, NULL, &r, &err), 0);
    sg_rules_free(&r);
}

static void
test_action_names(void **state)
{
    (void)state;
    static const char *const names[] = {"accept", "annotate", "journal",
                                        "hold", "reject"};
    for (int i = 0; i < 5; i++) {
        enum sg_action a;
        assert_string_equal(sg_action_name((enum sg_action)i), names[i]);
        assert_int_equal(sg_action_parse(names[i], &a), 0);
        assert_int_equal(a, i);
    }
    enum sg_action a;
    assert_int_equal(sg_action_parse("discard", &a), -1);
    assert_string_equal(sg_action_name((enum sg_action)9), "?");
    assert_string_equal(sg_mode_name(SG_MODE_TEST), "test");
    assert_string_equal(sg_mode_name(SG_MODE_ENFORCE), "enforce");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_construct),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_include_and_files),
        cmocka_unit_test(test_known_roles),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_action_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
