/*
 * fuzz_rules.c - libFuzzer target for the rules parser: any input must load
 * or fail with a message naming file, line and column, never crash, leak or
 * read out of bounds.  A rule set that loads is also evaluated once against
 * a small fixed message so that parsed structures are exercised.  The
 * input is also read as message text by the detectors that parse what they
 * match (social accounts, personal email), by all the built-in detectors
 * in one scan, and as a setting value.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as message text, for the detectors whose validators parse
 * what they matched: the school's own social accounts, personal email
 * (providers, identifiers by the line they stand on).  And as a setting
 * value for the checks of those settings. */
static void
detect_text(const uint8_t *data, size_t size)
{
    static struct sg_rules *r;
    if (r == NULL) {
        static const char *const domains[] = {"school.example"};
        static const char *const social[] = {"@OakfieldAcademy",
                                             "instagram.com/oak_pe"};
        static const char *const extra[] = {"familymail.*"};
        struct sg_rules_options o;
        memset(&o, 0, sizeof(o));
        o.school_domains = domains;
        o.n_school_domains = 1;
        o.school_social_accounts = social;
        o.n_school_social_accounts = 2;
        o.personal_email_domains = extra;
        o.n_personal_email_domains = 1;
        const char *err = NULL;
        if (sg_rules_load_string("", 0, "fuzz", &o, &r, &err) < 0)
            abort();
    }
    static const char *const dets[] = {"social-media", "personal-email"};
    for (size_t i = 0; i < 2; i++) {
        struct sg_finding *f = NULL;
        size_t n = 0;
        const char *err = NULL;
        sg_rules_detect(r, dets[i], (const char *)data, size, 1741774500, &f,
                        &n, &err);
        sg_findings_free(&f, &n);
    }
    /* every built-in at once: one scan, candidates confirmed by PCRE2 */
    static const char *const all[] = {
        "uk-mobile", "uk-landline", "personal-email", "social-media",
        "messaging-invite", "home-address", "upn", "nhs-number", "uln",
        "pupil-dob", "pupil-roster",
    };
    struct sg_finding *f = NULL;
    size_t n = 0;
    const char *err = NULL;
    sg_rules_detect_many(r, all, sizeof(all) / sizeof(all[0]),
                         (const char *)data, size, 1741774500, &f, &n, &err);
    sg_findings_free(&f, &n);
    char *item = strndup((const char *)data, size > 300 ? 300 : size);
    if (item == NULL)
        return;
    const char *why = NULL;
    if (sg_rules_social_account_check(item, &why) < 0 && why == NULL)
        abort();
    why = NULL;
    if (sg_rules_personal_domain_check(item, &why) < 0 && why == NULL)
        abort();
    free(item);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    detect_text(data, size);
    static const char *const domains[] = {"school.example"};
    struct sg_rules_options o;
    memset(&o, 0, sizeof(o));
    o.school_domains = domains;
    o.n_school_domains = 1;
    o.max_include_depth = 2;
    /* the roles a directory would know (the corpus's "teacher" among
     * them), so that role names are checked as the daemon checks them */
    static const char *const roles[] = {"staff",  "pupil",
                                        "parent", "dsl",
                                        "former-pupil", "former-pupil-under-18",
                                        "teacher"};
    o.known_roles = roles;
    o.n_known_roles = sizeof(roles) / sizeof(roles[0]);
    /* include reads files named by the input (a trusted admin's choice in
     * real use); here it could name a FIFO or a device. */
    if (memmem(data, size, "include", 7) != NULL)
        return 0;
    struct sg_rules *r = NULL;
    const char *err = NULL;
    if (sg_rules_load_string((const char *)data, size, "fuzz", &o, &r,
                             &err) < 0) {
        if (err == NULL || (strncmp(err, "fuzz:", 5) != 0 &&
                            strcmp(err, "out of memory") != 0))
            abort();
        return 0;
    }
    struct sg_person staff = {0}, pupil = {0};
    char *sroles[] = {"staff"}, *proles[] = {"pupil"};
    staff.address = "t@school.example";
    staff.roles = sroles;
    staff.n_roles = 1;
    pupil.address = "p@school.example";
    pupil.roles = proles;
    pupil.n_roles = 1;
    struct sg_text_part text = {0};
    text.text = "ring 07700 900123 or add me on snap, UPN B801200005001";
    text.len = strlen(text.text);
    text.label = "body";
    struct sg_attachment att = {0};
    att.content_type = "image/jpeg";
    att.filename = "photo.jpg";
    struct sg_msgview view = {0};
    view.subject = "hello";
    view.texts = &text;
    view.n_texts = 1;
    view.attachments = &att;
    view.n_attachments = 1;
    struct sg_party rc[2] = {{"p@school.example", &pupil, SG_CHANNEL_SCHOOL},
                             {"x@example.com", NULL, SG_CHANNEL_NONE}};
    struct sg_eval_input in;
    memset(&in, 0, sizeof(in));
    in.view = &view;
    in.sender.address = "t@school.example";
    in.sender.person = &staff;
    in.sender.channel = SG_CHANNEL_SCHOOL;
    in.rcpts = rc;
    in.n_rcpts = 2;
    in.now = 1741774500;
    struct sg_verdict *v = NULL;
    if (sg_rules_eval(r, &in, &v, &err) == 0)
        sg_verdict_free(&v);
    in.view = NULL;
    in.n_rcpts = 1;
    if (sg_rules_eval_rcpt(r, &in, &v, &err) == 0)
        sg_verdict_free(&v);
    sg_rules_free(&r);
    return 0;
}
