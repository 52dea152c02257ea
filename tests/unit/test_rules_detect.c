/*
 * test_rules_detect.c - every built-in detector: positives in every written
 * form, and the negatives that must never fire (dates, times, prices, room
 * and reference numbers, the school's own numbers, domains and postcode,
 * wrong check letters and digits).
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
#include <time.h>

#include "detect.h"
#include "normalise.h"
#include "rules_int.h"
#include "scan16.h"
#include "sg_rules.h"
#include "tables.h"

static struct sg_rules *rules;
static time_t now;

/* The sizes of the large-input tests.  PCRE2's interpreter (the build for
 * valgrind, -DSG_RULES_NO_JIT) spends time in proportion to the rest of
 * the subject on every attempt of a pattern compiled for invalid UTF-8
 * (design-notes): texts with an attempt every few bytes cost it time that
 * grows with the square of their size (a minute for 1 MB of spelt
 * addresses, nine under valgrind).  The JIT, which the milter uses, does
 * not; the interpreter reads a sixteenth of the sizes. */
#ifdef SG_RULES_NO_JIT
#define BIG(n) ((n) / 16)
#else
#define BIG(n) (n)
#endif

static int
setup(void **state)
{
    (void)state;
    static const char *const domains[] = {"school.example"};
    static const char *const phones[] = {"01632 960000", "+44 7700 900999"};
    static const char *const postcodes[] = {"LS1 4AP"};
    struct sg_rules_options opt = {0};
    opt.school_domains = domains;
    opt.n_school_domains = 1;
    opt.school_phone_numbers = phones;
    opt.n_school_phone_numbers = 2;
    opt.school_postcodes = postcodes;
    opt.n_school_postcodes = 1;
    static const char *const social[] = {"@OakfieldAcademy",
                                         "https://www.instagram.com/oak_pe/"};
    opt.school_social_accounts = social;
    opt.n_school_social_accounts = 2;
    const char *err = NULL;
    const char *text = "mode enforce\n";
    if (sg_rules_load_string(text, strlen(text), "t", &opt, &rules, &err) <
        0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    struct tm tm = {0};
    tm.tm_year = 2025 - 1900;
    tm.tm_mon = 2;
    tm.tm_mday = 12;
    tm.tm_hour = 10;
    now = timegm(&tm);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sg_rules_free(&rules);
    return 0;
}

struct dcase {
    const char *detector;
    const char *text;
    const char *match; /* expected first match, NULL: none expected */
};

static void
run_cases(const struct dcase *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sg_finding *f = NULL;
        size_t nf = 0;
        const char *err = NULL;
        int r = sg_rules_detect(rules, cases[i].detector, cases[i].text,
                                strlen(cases[i].text), now, &f, &nf, &err);
        assert_int_equal(r, 0);
        if (cases[i].match == NULL) {
            if (nf != 0)
                fail_msg("%s: unexpected match \"%s\" in \"%s\"",
                         cases[i].detector, f[0].text, cases[i].text);
        } else {
            if (nf == 0)
                fail_msg("%s: no match in \"%s\"", cases[i].detector,
                         cases[i].text);
            assert_string_equal(f[0].text, cases[i].match);
        }
        sg_findings_free(&f, &nf);
    }
}

#define RUN(t) run_cases(t, sizeof(t) / sizeof(t[0]))

static void
test_uk_mobile(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        /* every written form */
        {"uk-mobile", "call 07700 900123 tonight", "07700 900123"},
        {"uk-mobile", "07700900123", "07700900123"},
        {"uk-mobile", "my number: +44 7700 900123.", "+44 7700 900123"},
        {"uk-mobile", "+44 (0)7700-900-123", "+44 (0)7700-900-123"},
        {"uk-mobile", "0044 7700 900 123", "0044 7700 900 123"},
        {"uk-mobile", "+447700900123", "+447700900123"},
        {"uk-mobile", "07700-900-123", "07700-900-123"},
        {"uk-mobile", "07700.900.123", "07700.900.123"},
        {"uk-mobile", "(07700) 900123", "(07700) 900123"},
        {"uk-mobile", "Tel:07700 900123", "07700 900123"},
        {"uk-mobile", "mob 0770 090 0123", "0770 090 0123"},
        {"uk-mobile", "Isle of Man 07624 123456", "07624 123456"},
        {"uk-mobile", "text me\non 07700 900 123!", "07700 900 123"},
        /* dates, times, prices, rooms, references, other numbers */
        {"uk-mobile", "Meet on 07/11/2024 at 09:30", NULL},
        {"uk-mobile", "2024-11-07 07:30", NULL},
        {"uk-mobile", "07.11.2024 09.30", NULL},
        {"uk-mobile", "Tickets are \xc2\xa3" "07700900123 each", NULL},
        {"uk-mobile", "Price \xc2\xa3" "1,234.56 or $0770090012", NULL},
        {"uk-mobile", "Room 0.12 and room 101, period 07", NULL},
        {"uk-mobile", "Ref: 07700 900123", NULL},
        {"uk-mobile", "Order number 07700900123", NULL},
        {"uk-mobile", "invoice no. 07700 900123", NULL},
        {"uk-mobile", "Case ID 07700900123", NULL},
        {"uk-mobile", "077009001234", NULL},
        {"uk-mobile", "0770090012", NULL},
        {"uk-mobile", "07000 900123", NULL},
        {"uk-mobile", "07600 900123", NULL},
        {"uk-mobile", "ISBN 9780770090012", NULL},
        {"uk-mobile", "school mobile +44 7700 900999", NULL},
        {"uk-mobile", "school mobile 07700 900 999", NULL},
        {"uk-mobile", "office 0113 496 0000", NULL},
        {"uk-mobile", "v1.07700900123", NULL},
        {"uk-mobile", "07700 900123/4", NULL},
        {"uk-mobile", "+33 7700 900123", NULL},
    };
    RUN(t);
}

static void
test_uk_landline(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"uk-landline", "ring 0113 496 0000", "0113 496 0000"},
        {"uk-landline", "020 7946 0000", "020 7946 0000"},
        {"uk-landline", "(0113) 496 0000", "(0113) 496 0000"},
        {"uk-landline", "+44 20 7946 0000", "+44 20 7946 0000"},
        {"uk-landline", "+44 (0)113 496 0000", "+44 (0)113 496 0000"},
        {"uk-landline", "01632 960001", "01632 960001"},
        {"uk-landline", "0300 123 4567", "0300 123 4567"},
        {"uk-landline", "016977 4321", "016977 4321"},
        /* the school's own number, in any form */
        {"uk-landline", "call the office on 01632 960000", NULL},
        {"uk-landline", "01632960000", NULL},
        {"uk-landline", "+44 1632 960000", NULL},
        {"uk-landline", "+44 (0)1632-960-000", NULL},
        /* not landlines */
        {"uk-landline", "07700 900123", NULL},
        {"uk-landline", "0800 123 4567", NULL},
        {"uk-landline", "01/02/2024 10:30", NULL},
        {"uk-landline", "01.02.2024", NULL},
        {"uk-landline", "Invoice 0113 496 0000", NULL},
        {"uk-landline", "booking reference 0113 496 0000", NULL},
        {"uk-landline", "0101 496 0000", NULL},
    };
    RUN(t);
}

static void
test_personal_email(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"personal-email", "email me at jo.bloggs@gmail.com.",
         "jo.bloggs@gmail.com"},
        {"personal-email", "<JO+kids@HotMail.CO.UK>", "JO+kids@HotMail.CO.UK"},
        {"personal-email", "mr_s@yahoo.com", "mr_s@yahoo.com"},
        {"personal-email", "tom.s@btinternet.com", "tom.s@btinternet.com"},
        {"personal-email", "x@proton.me", "x@proton.me"},
        {"personal-email", "office@school.example", NULL},
        {"personal-email", "head@mail.school.example", NULL},
        /* organisations are not personal */
        {"personal-email", "admissions@university.ac.uk", NULL},
        {"personal-email", "orders@supplier.co.uk", NULL},
        {"personal-email", "head@school.example.com", NULL},
        /* subdomains of a provider hold identifiers, not mailboxes */
        {"personal-email", "CAF=x8+Ab12@mail.gmail.com", NULL},
        /* identifiers: calendar and card UIDs, message and part ids */
        {"personal-email", "BEGIN:VEVENT\r\nUID:4f1e9a2b7c3d@gmail.com\r\n",
         NULL},
        {"personal-email", "UID:040000008200E00074C5B7101A82E008000000\r\n"
                           " 00D0E3@icloud.com\r\nEND:VEVENT", NULL},
        {"personal-email", "<img src=\"cid:image001.png@gmail.com\">", NULL},
        {"personal-email", "Message-ID: <8D2C1A7B-22@icloud.com>", NULL},
        {"personal-email", "> In-Reply-To: <abc.123@me.com>", NULL},
        {"personal-email", "References: <a@gmail.com>\n <b.c@gmail.com>",
         NULL},
        {"personal-email", "Content-ID: <part1.x@yahoo.com>", NULL},
        /* a real address on the next line is still found */
        {"personal-email", "UID:4f1e9a2b@google.com\nMail jo@gmail.com",
         "jo@gmail.com"},
        {"personal-email", "ORGANIZER;CN=Jo:mailto:jo.b@gmail.com",
         "jo.b@gmail.com"},
        {"personal-email", "not an email @ all", NULL},
        {"personal-email", "user@localhost", NULL},
        {"personal-email", "@handle only", NULL},
    };
    RUN(t);
}

/* personal_email_domains adds providers (wildcards too); a value that is
 * not a domain stops the load. */
static void
test_personal_domains_option(void **state)
{
    (void)state;
    static const char *const extra[] = {"Familymail.example", "@kidsmail.*"};
    struct sg_rules_options opt = {0};
    opt.personal_email_domains = extra;
    opt.n_personal_email_domains = 2;
    struct sg_rules *r = NULL;
    const char *err = NULL;
    assert_int_equal(sg_rules_load_string("", 0, "t", &opt, &r, &err), 0);
    assert_true(sg_rules_personal_domain(r, "familymail.example"));
    assert_true(sg_rules_personal_domain(r, "KIDSMAIL.co.uk"));
    assert_true(sg_rules_personal_domain(r, "gmail.com")); /* built in */
    assert_false(sg_rules_personal_domain(r, "mail.familymail.example"));
    assert_false(sg_rules_personal_domain(r, "university.ac.uk"));
    sg_rules_free(&r);
    static const char *const bad[] = {"gmail.com; yahoo.com"};
    opt.personal_email_domains = bad;
    opt.n_personal_email_domains = 1;
    assert_int_equal(sg_rules_load_string("", 0, "t", &opt, &r, &err), -1);
    assert_non_null(strstr(err, "'gmail.com; yahoo.com' is not a domain"));
    const char *why = NULL;
    assert_int_equal(sg_rules_personal_domain_check("*", &why), -1);
    assert_int_equal(sg_rules_personal_domain_check("hotmail.*", &why), 0);
}

/* The school's own accounts (school_social_accounts) are not findings:
 * "@name" on any network, a profile link on its network only. */
static void
test_school_social_accounts(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"social-media", "Instagram: @OakfieldAcademy", NULL},
        {"social-media", "Follow us on Twitter @oakfieldacademy.", NULL},
        {"social-media", "https://www.instagram.com/OakfieldAcademy/", NULL},
        {"social-media", "x.com/oakfieldacademy", NULL},
        {"social-media", "instagram.com/oak_pe", NULL},
        {"social-media", "insta @oak_pe", NULL},
        /* the school's handle written without its @, as signatures do */
        {"social-media", "Instagram: oak_pe", NULL},
        {"social-media", "find us on Instagram as oak_pe", NULL},
        {"social-media", "Instagram: mr_smith77", "Instagram: mr_smith77"},
        /* a profile link entry is for its own network */
        {"social-media", "tiktok.com/@oak_pe", "tiktok.com/@oak_pe"},
        /* not the school's */
        {"social-media", "insta: @mrsmith_teach", "insta: @mrsmith_teach"},
        {"social-media", "instagram.com/oakfieldacademy2",
         "instagram.com/oakfieldacademy2"},
        {"social-media", "add me on snap", "add me on snap"},
    };
    RUN(t);
    char key[160];
    assert_int_equal(sg_social_account("https://m.facebook.com/Oak.Field.",
                                       33, key, sizeof(key)), 0);
    assert_string_equal(key, "facebook/oak.field");
    assert_int_equal(sg_social_account("youtube.com/c/OakTV", 19, key,
                                       sizeof(key)), 0);
    assert_string_equal(key, "youtube/oaktv");
    const char *why = NULL;
    assert_int_equal(sg_rules_social_account_check("@Oak", &why), 0);
    assert_int_equal(sg_rules_social_account_check("x.com/oak", &why), 0);
    assert_int_equal(sg_rules_social_account_check("OakfieldAcademy", &why),
                     -1);
    assert_int_equal(sg_rules_social_account_check("instagram.com/", &why),
                     -1);
}

static void
test_social_media(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"social-media", "facebook.com/jo.bloggs", "facebook.com/jo.bloggs"},
        {"social-media", "see https://www.instagram.com/jo_bloggs/",
         "https://www.instagram.com/jo_bloggs"},
        {"social-media", "snapchat.com/add/jobloggs",
         "snapchat.com/add/jobloggs"},
        {"social-media", "tiktok.com/@jobloggs", "tiktok.com/@jobloggs"},
        {"social-media", "https://x.com/jobloggs", "https://x.com/jobloggs"},
        {"social-media", "twitter.com/jobloggs", "twitter.com/jobloggs"},
        {"social-media", "youtube.com/@jobloggs", "youtube.com/@jobloggs"},
        {"social-media", "Add me on snap x", "Add me on snap"},
        {"social-media", "add me on Snapchat!", "add me on Snapchat"},
        {"social-media", "follow me on tiktok", "follow me on tiktok"},
        {"social-media", "my insta is jo.b", "my insta is"},
        {"social-media", "snap: @jobloggs", "snap: @jobloggs"},
        {"social-media", "insta @jo_b", "insta @jo_b"},
        {"social-media", "TikTok @jo.b", "TikTok @jo.b"},
        {"social-media", "Look at the school Facebook page", NULL},
        {"social-media", "files on box.com/files", NULL},
        {"social-media", "youtube.com/watch?v=abc123", NULL},
        {"social-media", "a snap decision", NULL},
        {"social-media", "email jo@instagram", NULL},
    };
    RUN(t);
}

static void
test_messaging_invite(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"messaging-invite", "wa.me/447700900123", "wa.me/447700900123"},
        {"messaging-invite", "https://chat.whatsapp.com/AbCdEf123456",
         "https://chat.whatsapp.com/AbCdEf123456"},
        {"messaging-invite", "t.me/jobloggs", "t.me/jobloggs"},
        {"messaging-invite", "discord.gg/abc123", "discord.gg/abc123"},
        {"messaging-invite", "WhatsApp me on 07700 900123",
         "WhatsApp me on 07700 900123"},
        {"messaging-invite", "whatsapp me", "whatsapp me"},
        {"messaging-invite", "message me on WhatsApp",
         "message me on WhatsApp"},
        {"messaging-invite", "my whatsapp number is", "my whatsapp number"},
        {"messaging-invite", "The WhatsApp outage yesterday", NULL},
        {"messaging-invite", "t.me", NULL},
        {"messaging-invite", "what's up", NULL},
        {"messaging-invite", "signal me when ready", "signal me"},
        {"messaging-invite", "the traffic signal", NULL},
    };
    RUN(t);
}

static void
test_home_address(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"home-address", "I live at 12 Acacia Avenue, Leeds LS6 2AB.",
         "12 Acacia Avenue, Leeds LS6 2AB"},
        {"home-address", "Flat 3, 27 Church Street\nLeeds\nLS2 7QH",
         "27 Church Street\nLeeds\nLS2 7QH"},
        {"home-address", "4a Mill Lane, York YO1 7HX", "4a Mill Lane, York YO1 7HX"},
        {"home-address", "LS6 2AB", NULL},
        {"home-address", "12 Acacia Avenue", NULL},
        {"home-address", "1 School Lane, Leeds LS1 4AP", NULL},
        {"home-address", "Year 7 Maths in room LS6 2AB", NULL},
    };
    /* Findings have newlines turned into spaces. */
    static const struct dcase t2[] = {
        {"home-address", "Flat 3, 27 Church Street\nLeeds\nLS2 7QH",
         "27 Church Street Leeds LS2 7QH"},
    };
    run_cases(t, 1);
    run_cases(t + 2, 5);
    run_cases(t2, 1);
}

static void
test_upn(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"upn", "UPN B801200005001", "B801200005001"},
        /* DfE example as published with a wrong check letter; corrected */
        {"upn", "P207000016049", "P207000016049"},
        {"upn", "temporary M80120000500A", "M80120000500A"},
        {"upn", "G35620241087A", "G35620241087A"},
        {"upn", "A801200005001", NULL},  /* wrong check letter */
        {"upn", "Q207000016049", NULL},  /* wrong check letter */
        {"upn", "B80120000500", NULL},   /* too short */
        {"upn", "I801200005001", NULL},  /* I is never a check letter */
        {"upn", "XB801200005001", NULL}, /* glued to a letter */
        {"upn", "M80120000500I", NULL},  /* I is never a final letter */
    };
    RUN(t);
}

static void
test_nhs_number(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"nhs-number", "NHS no 943 476 5919", "943 476 5919"},
        {"nhs-number", "9434765919", "9434765919"},
        {"nhs-number", "943-476-5919", "943-476-5919"},
        {"nhs-number", "485 777 3457", "485 777 3457"},
        {"nhs-number", "943 476 5918", NULL}, /* wrong check digit */
        {"nhs-number", "1234567890", NULL},   /* check digit 10: invalid */
        {"nhs-number", "1111111111", NULL},
        {"nhs-number", "94347659190", NULL},
        {"nhs-number", "\xc2\xa3" "9434765919", NULL},
    };
    RUN(t);
}

static void
test_uln(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"uln", "ULN 1000000043", "1000000043"},
        {"uln", "1234567899", "1234567899"},
        {"uln", "5550123451", "5550123451"},
        {"uln", "1000000063", NULL}, /* remainder 0: invalid */
        {"uln", "1000000042", NULL}, /* wrong check digit */
        {"uln", "0123456789", NULL}, /* leading zero */
        {"uln", "9999999999", NULL}, /* the temporary ULN */
        {"uln", "10000000431", NULL},
    };
    RUN(t);
}

static void
test_pupil_dob(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"pupil-dob", "Amelia Jones, DOB 14/03/2013",
         "Amelia Jones, DOB 14/03/2013"},
        {"pupil-dob", "Oliver Smith 2012-09-01", "Oliver Smith 2012-09-01"},
        {"pupil-dob", "Isla Brown born 3rd May 2014",
         "Isla Brown born 3rd May 2014"},
        {"pupil-dob", "Amelia Jones, 14/03/2025", NULL}, /* a baby/event */
        {"pupil-dob", "Mr Smith joined 01/09/1985", NULL}, /* an adult */
        {"pupil-dob", "Trip on 14/03/2013", NULL},         /* no name */
        {"pupil-dob", "Amelia Jones, 31/02/2013", NULL},   /* no such day */
    };
    RUN(t);
}

/* All findings of one detector in text, as "a|b|c" (in order), for
 * comparing whole result lists. */
static char *
findings_of(const char *detector, const char *text)
{
    struct sg_finding *f = NULL;
    size_t nf = 0;
    const char *err = NULL;
    /* a text need not end in a NUL (the caller's buffer, when
     * normalisation changes nothing): an exact copy, so that AddressSanitizer
     * and valgrind see a read past its end */
    size_t len = strlen(text);
    char *exact = malloc(len > 0 ? len : 1);
    assert_non_null(exact);
    memcpy(exact, text, len);
    assert_int_equal(sg_rules_detect(rules, detector, exact, len, now, &f,
                                     &nf, &err),
                     0);
    free(exact);
    size_t cap = 1;
    for (size_t i = 0; i < nf; i++)
        cap += strlen(f[i].text) + 1;
    char *out = calloc(1, cap);
    assert_non_null(out);
    for (size_t i = 0; i < nf; i++) {
        if (i > 0)
            strcat(out, "|");
        strcat(out, f[i].text);
    }
    sg_findings_free(&f, &nf);
    return out;
}

static void
expect_findings(const char *detector, const char *text, const char *want)
{
    char *got = findings_of(detector, text);
    if (strcmp(got, want) != 0)
        fail_msg("%s in:\n%s\nfound \"%s\", expected \"%s\"", detector, text,
                 got, want);
    free(got);
}

/* Pupil lists as schools export them: the columns named by a header row,
 * in any order, case and spelling, with other columns between. */
static void
test_pupil_dob_tables(void **state)
{
    (void)state;
    /* CSV from a school MIS export, with a UPN and a year group */
    expect_findings("pupil-dob",
                    "UPN,Legal Surname,Legal Forename,Year,DOB\r\n"
                    "A123,Patel,Amy,Y6,12/03/2014\r\n"
                    "A124,O'Neill,Mary-Jane,Y6,01/09/2013\r\n"
                    "A125,Kowalski,Jan,Y6,31/08/2014\r\n",
                    "Amy Patel 12/03/2014|Mary-Jane O'Neill 01/09/2013|"
                    "Jan Kowalski 31/08/2014");
    /* semicolons (a European spreadsheet), ISO dates, other header words */
    expect_findings("pupil-dob",
                    "Last name;First name;Date of Birth;Form\n"
                    "Smith;Oliver;2012-09-01;7B\n"
                    "Brown;Isla;2013-05-03 00:00:00;7B\n",
                    "Oliver Smith 01/09/2012|Isla Brown 03/05/2013");
    /* quoted CSV cells; one "Surname, Forename" name column; D.O.B. */
    expect_findings("pupil-dob",
                    "\"Pupil Name\",\"D.O.B.\",\"Allergies\"\n"
                    "\"Patel, Amy\",\"12-Mar-2014\",\"nuts, eggs\"\n"
                    "\"Jones, Ben\",\"3 June 2013\",\"\"\n",
                    "Amy Patel 12/03/2014|Ben Jones 03/06/2013");
    /* TSV, and a spreadsheet row of serial dates (as the attachment text
     * extractor writes cells); 41710 is 12 March 2014 */
    expect_findings("pupil-dob",
                    "Forename\tSurname\tDate of birth\tHouse\n"
                    "Amy\tPatel\t41710\tNelson\n"
                    "Ben\tJones\t41518\tDrake\n",
                    "Amy Patel 12/03/2014|Ben Jones 01/09/2013");
    /* the serial date is the text's last byte, and a character past ASCII
     * keeps the text as written */
    expect_findings("pupil-dob",
                    "Caf\xc3\xa9 list\nName,Date of birth\nAmy Patel,41710",
                    "Amy Patel 12/03/2014");
    /* an HTML table as the message view reduces it: rows as lines, cells
     * split by tabs, the header in <th> */
    expect_findings("pupil-dob",
                    "Year 5 swimming group\n"
                    "Name\tBirthday\tGroup\n"
                    "Amy Patel\t12th March 2014\tDolphins\n"
                    "Ben Jones\t1/9/2013\tSharks\n"
                    "\n"
                    "Kind regards, Mrs Green",
                    "Amy Patel 12/03/2014|Ben Jones 01/09/2013");
    /* cells with spaces and a CR at their ends (CRLF lines), trimmed */
    expect_findings("pupil-dob",
                    "Surname , Forename ,DOB\r\n Patel , Amy ,12/03/2014 "
                    "\r\n  Jones\r,Ben\r, 01/09/2013\r\r\n",
                    "Amy Patel 12/03/2014|Ben Jones 01/09/2013");
    /* the same pupil twice is one finding */
    expect_findings("pupil-dob",
                    "Surname,Forename,DOB\nPatel,Amy,12/03/2014\n"
                    "Patel,Amy,12/03/2014\n",
                    "Amy Patel 12/03/2014");
}

/* sg_tables_scan's callback for test_tables_prefilter: each row, as
 * text, appended to the buffer. */
static int
row_text(void *ctx, const struct tables_row *row)
{
    char *buf = ctx, name[TABLES_NAME_SIZE];
    size_t l = strlen(buf);
    sg_tables_row_name(row, name, sizeof(name));
    snprintf(buf + l, 8192 - l, "%zu-%zu %d %d %s %d %d/%d/%d|", row->start,
             row->end, row->header, row->has_name, name, row->has_dob,
             row->dob.day, row->dob.month, row->dob.year);
    return 0;
}

/* For test_tables_prefilter: a header of before cells ("Surname", then
 * "x"), the long cell and "DOB", and a data row, after pad spaces (the
 * line at each alignment to may_be_header's steps of sixteen and eight
 * bytes); the rows with the prefilter and without, for every cut of the
 * text in a buffer of exactly its size.  How many cuts hold a row. */
static size_t
prefilter_same(char *text, size_t size, int pad, int before, const char *sep,
               const char *cell)
{
    char a[8192], b[8192];
    size_t n = 0;
    size_t len = (size_t)snprintf(text, size, "%*s", pad, "");
    for (int i = 0; i < before; i++)
        len += (size_t)snprintf(text + len, size - len, "%s%s",
                                i == 0 ? "Surname" : "x", sep);
    len += (size_t)snprintf(text + len, size - len,
                            "%s%sDOB\nPatel%sAmy%s12/03/2014\n", cell, sep,
                            sep, sep);
    for (size_t cut = len > 200 ? len - 40 : 0; cut <= len; cut++) {
        char *copy = malloc(cut ? cut : 1);
        assert_non_null(copy);
        memcpy(copy, text, cut);
        /* the prefilter sixteen bytes a step and eight (or one) */
        for (int s16 = 0; s16 < 2; s16++) {
            a[0] = b[0] = '\0';
            sg_scan16 = s16 == 1;
            sg_tables_prefilter = true;
            assert_int_equal(sg_tables_scan(copy, cut, row_text, a), 0);
            sg_scan16 = true;
            sg_tables_prefilter = false;
            assert_int_equal(sg_tables_scan(copy, cut, row_text, b), 0);
            sg_tables_prefilter = true;
            if (strcmp(a, b) != 0)
                fail_msg("rows \"%s\" with the prefilter%s, \"%s\" "
                         "without, in \"%.*s\"", a,
                         s16 ? " (sixteen bytes a step)" : "", b, (int)cut,
                         copy);
        }
        n += a[0] != '\0';
        free(copy);
    }
    return n;
}

/* The rows of text[0..len), copied into a buffer of exactly that size,
 * read with *knob true and with it false: the same, or the test fails
 * (what: what the knob turns on, for the message).  The rows (row_text's
 * form), in a buffer that the next call writes again. */
static const char *
rows_same_knob(const char *text, size_t len, bool *knob, const char *what)
{
    static char a[65536], b[65536];
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    a[0] = b[0] = '\0';
    *knob = true;
    assert_int_equal(sg_tables_scan(copy, len, row_text, a), 0);
    *knob = false;
    assert_int_equal(sg_tables_scan(copy, len, row_text, b), 0);
    *knob = true;
    if (strcmp(a, b) != 0)
        fail_msg("rows \"%s\" with %s, \"%s\" without, in \"%.*s\"", a,
                 what, b, (int)(len > 300 ? 300 : len), copy);
    free(copy);
    return a;
}

/* The rows of text[0..len) with the separators counted sixteen bytes a
 * step (sg_scan16) and one by one: the same (rows_same_knob).  Whether
 * they hold a row. */
static bool
rows_same_scan16(const char *text, size_t len)
{
    return rows_same_knob(text, len, &sg_scan16, "sixteen bytes a step")[0] !=
           '\0';
}

/* A line's separator counted, and a line with no quote split, sixteen
 * bytes a step (line_separator and split in tables.c, reading past the
 * line's end while the text goes on) give the same rows as one by one:
 * headers and rows whose commas, semicolons and pipes are equal or one
 * apart, with quotes, tabs and spaces, at every alignment and length of
 * line (the line's end at each lane), the text cut at every length in a
 * buffer of exactly its size, and lines of more than 255 steps of
 * sixteen. */
static void
test_tables_scan16(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        ",", ";", "|", ",,", ";;", "||", "Surname", "Name", "DOB", "Amy",
        "Patel", "12/03/2014", "41710", " ", "x", "\r", "\xc3\xa9",
        "3 May 2013",
        "  ", "\"", "\"Patel, Amy\"", "\t", "Forename", "Amy Patel", ",",
    };
    size_t np = sizeof(pieces) / sizeof(pieces[0]);
    char text[4096];
    size_t rows = 0;
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (int round = 0; round < 3000; round++) {
        /* a header, then data rows, each of random pieces */
        size_t len = (size_t)snprintf(text, sizeof(text), "%*s", round % 17,
                                      "");
        static const char *const heads[] = {
            "Surname,Forename,DOB\n", "Name;DOB;x\n", "Name|DOB\n",
            "x, Surname ,Forename,  DOB\r\n", "Name\tDOB\tx\n"};
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s",
                                heads[round % 5]);
        for (int line = 0; line < 4; line++) {
            size_t want = (size_t)(round * 7 + line * 13) % 70;
            size_t start = len;
            while (len - start < want && len + 16 < sizeof(text)) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                const char *p = pieces[x % np];
                len += (size_t)snprintf(text + len, sizeof(text) - len, "%s",
                                        p);
            }
            text[len++] = '\n';
        }
        for (size_t cut = len > 40 ? len - 40 : 0; cut <= len; cut += 3)
            rows += rows_same_scan16(text, cut);
    }
    assert_true(rows > 3000);
    /* a header word after a byte beyond ASCII (a character, or a byte
     * that is not UTF-8 right before the word) is none: no table */
    static const char *const accented[] = {
        "\xc3\xa9Name,DOB\nAmy Patel,12/03/2014\n",
        "\xc3Name,DOB\nAmy Patel,12/03/2014\n",
    };
    for (size_t k = 0; k < 2; k++)
        assert_false(rows_same_scan16(accented[k], strlen(accented[k])));
    /* long lines: 4,096 commas and more (each lane of the steps passes
     * 255), then 3,000 semicolons; and the semicolons one more */
    static char big[12000];
    for (int commas = 4094; commas <= 4114; commas += 4) {
        size_t len = (size_t)snprintf(big, sizeof(big), "Name,DOB\n");
        memset(big + len, ',', (size_t)commas);
        len += (size_t)commas;
        memset(big + len, ';', 3000);
        len += 3000;
        len += (size_t)snprintf(big + len, sizeof(big) - len,
                                "\nAmy Patel,12/03/2014\n");
        for (size_t cut = len - 30; cut <= len; cut++)
            assert_true(rows_same_scan16(big, cut));
    }
    /* commas only in the first 255 steps, counted at the 255th step, and
     * more semicolons after them: the semicolons win (lanes_add must
     * clear the lanes it has summed, or the commas count twice) */
    for (int semis = 150; semis <= 3000; semis += 1425) {
        size_t len = (size_t)snprintf(big, sizeof(big),
                                      "Name;DOB\nAmy Patel;12/03/2014\n");
        memset(big + len, ',', (size_t)(semis - 50));
        len += (size_t)(semis - 50);
        memset(big + len, 'y', 4100);
        len += 4100;
        memset(big + len, ';', (size_t)semis);
        len += (size_t)semis;
        len += (size_t)snprintf(big + len, sizeof(big) - len,
                                "\nBen Khan;01/02/2015\n");
        assert_true(rows_same_scan16(big, len));
        char got[8192] = "";
        assert_int_equal(sg_tables_scan(big, len, row_text, got), 0);
        assert_non_null(strstr(got, " 1 Ben Khan 1 1/2/2015|"));
    }
}

/* Rows as wide as a line is split (TABLE_MAX_CELLS, 64 cells) and wider,
 * split as they are read sixteen bytes a step (row_scan16 in tables.c)
 * and one by one, give the same rows: headers of 62 to 64 cells with the
 * Name and DOB columns last (wider, they would be past the cells read and
 * open no table), rows of 62 to 66 cells under each, with commas, tabs
 * and pipes, the text cut near its end. */
static void
test_tables_wide_rows(void **state)
{
    (void)state;
    static const char seps[] = ",\t|";
    static char text[4096];
    size_t named = 0;
    for (size_t k = 0; k < 3; k++)
        for (int cols = 62; cols <= 64; cols++)
            for (int cells = 62; cells <= 66; cells++) {
                size_t len = 0;
                for (int i = 0; i < cols; i++)
                    len += (size_t)snprintf(
                        text + len, sizeof(text) - len, "%s%c",
                        i == cols - 2 ? "Name" : i == cols - 1 ? "DOB" : "x",
                        i == cols - 1 ? '\n' : seps[k]);
                for (int row = 0; row < 2; row++)
                    for (int i = 0; i < cells; i++)
                        len += (size_t)snprintf(
                            text + len, sizeof(text) - len, "%s%c",
                            i == cols - 2   ? "Amy Patel"
                            : i == cols - 1 ? "12/03/2014"
                                            : "7",
                            i == cells - 1 ? '\n' : seps[k]);
                for (size_t cut = len - 20; cut <= len; cut++)
                    named += rows_same_scan16(text, cut);
            }
    assert_true(named > 100);
}

/* A header cell read sixteen bytes at once (header_kind in tables.c) says
 * what one read byte by byte says: header words ("Name", "Surname", "DOB")
 * after and before 0 to 20 bytes that are no letters, so the cell is
 * shorter than, as long as or longer than a step, its word or its second
 * letter at each lane; a letter, a byte beyond ASCII or a line break
 * right after the cell (in the step's lanes past it); as the header and
 * as a repeated header among the data rows (which then has no name); the
 * text cut at every length near the cell, in a buffer of exactly its
 * size. */
static void
test_tables_header_cells(void **state)
{
    (void)state;
    static const char *const words[] = {"Name", "Surname", "DOB", "Na"};
    static const char *const fills[] = {".", "1", " -"};
    static const char *const after[] = {",DOB", ",x\xc3\xa9", ",Name",
                                        "\nAmy"};
    char text[512], cell[64];
    size_t tables = 0;
    for (size_t w = 0; w < 4; w++)
        for (size_t f = 0; f < 3; f++)
            for (int before = 0; before <= 20; before++)
                for (int behind = 0; behind <= 20; behind += 4)
                    for (size_t a = 0; a < 4; a++) {
                        size_t k = 0;
                        for (int i = 0; i < before; i++)
                            cell[k++] = fills[f][i % strlen(fills[f])];
                        k += (size_t)snprintf(cell + k, sizeof(cell) - k,
                                              "%s", words[w]);
                        for (int i = 0; i < behind; i++)
                            cell[k++] = '.';
                        cell[k] = '\0';
                        /* as the header, then repeated as a data row */
                        size_t len = (size_t)snprintf(
                            text, sizeof(text),
                            "%s%s\nPatel,12/03/2014\n%s%s\nJones,x\n",
                            cell, after[a], cell, after[a]);
                        for (size_t cut = 0; cut <= len; cut++)
                            tables += rows_same_scan16(text, cut);
                    }
    assert_true(tables > 10000);
}

/* A name cell read sixteen bytes at once (name_cell in tables.c) says what
 * one read byte by byte says: cells of 1 to 18 bytes with each byte that
 * rules a name out (a digit, '@', '/', ':', '('), a letter, a byte
 * beyond ASCII or a mark names hold at each place, among full stops or
 * letters, as surname and
 * forename, the text cut at every length near the row's end (so a cell
 * is at the text's end, and in a step's lanes past it, digits). */
static void
test_tables_name_cells(void **state)
{
    (void)state;
    static const char bytes[] = "09@/:(aZ.-' \xc3\x80;|";
    char text[256], cell[32];
    size_t named = 0;
    for (size_t b = 0; b < sizeof(bytes) - 1; b++)
        for (size_t len = 1; len <= 18; len++)
            for (size_t at = 0; at < len; at++) {
                memset(cell, ".x"[at % 2], len);
                cell[at] = bytes[b];
                cell[len] = '\0';
                size_t tl = (size_t)snprintf(
                    text, sizeof(text),
                    "Surname,Forename,DOB\n%s,%s,12/03/2014\n%s,%s\n", cell,
                    cell, cell, cell);
                for (size_t cut = tl - 12; cut <= tl; cut++)
                    named += rows_same_scan16(text, cut);
            }
    assert_true(named > 5000);
}

/* Lines that cannot open a table are passed over unsplit (may_be_header
 * in tables.c): the rows are the same with that and without it, for
 * header cells of 40 and 41 bytes with spaces, CRs and quotes around
 * them, a long cell after 62 and 63 separators of each kind, and lines
 * cut at every length, in buffers of exactly their size (at every
 * alignment to may_be_header's steps of sixteen and eight bytes). */
static void
test_tables_prefilter(void **state)
{
    (void)state;
    static const char *const seps[] = {",", "\t", ";", "|"};
    static const char *const longs[] = {
        "Name of the pupil who is in the class list", /* 42 */
        "Name of the pupil who is in the classlis",   /* 40 */
        "Name of the pupil who is in the classlist",  /* 41 */
        "  Name of the pupil who is in the classlis \r",
        " \"Name of the pupil, who is in the classlist\"",
        "\"Surname\" of the pupil as on the birth certificate",
        "\"Surname\" of the pupil as on the birth certificate here",
        "Surname of the pupil                    x",
        "Surname                                  ",
        /* 40 bytes, then a run of blanks longer than a step of eight */
        "Surname of the pupil as on the certifica            ",
        /* and longer than a step of sixteen, and a tab in a step */
        "Surname of the pupil as on the certifica                     ",
        "Sur\tname of the pupil as on the certificate of birth ;",
        "\r Forename of the pupil as on the certifi \r \r \r \r \r \r",
    };
    char text[4096];
    size_t n = 0;
    for (size_t k = 0; k < sizeof(seps) / sizeof(seps[0]); k++)
        for (size_t l = 0; l < sizeof(longs) / sizeof(longs[0]); l++)
            for (int pad = 0; pad < 16; pad++)
                for (int before = 0; before < 66;
                     before += before < 60 ? 30 : 1)
                    n += prefilter_same(text, sizeof(text), pad, before,
                                        seps[k], longs[l]);
    assert_true(n > 500); /* most texts hold a table */
}

/* The rows of text[0..len) with cells told from the header words by
 * their first two letters (and data rows from a repeated header by the
 * surname and name words alone) and with every cell read whole: the same
 * (rows_same_knob).  How many data rows have no name (a repeated header,
 * or a row whose name cell is none). */
static size_t
rows_same_words(const char *text, size_t len)
{
    const char *a = rows_same_knob(text, len, &sg_tables_word_filter,
                                   "the header words' look-ups");
    size_t unnamed = 0;
    for (const char *p = a; (p = strstr(p, " 0 0 ")) != NULL; p++)
        unnamed++; /* a data row (header 0) with no name (has_name 0) */
    return unnamed;
}

/* text's rows (as row_text writes them) are want, with the header-word
 * filter (sg_tables_word_filter) and without it. */
static void
rows_with_filter_and_without(const char *text, const char *want)
{
    for (int f = 0; f < 2; f++) {
        char got[8192] = "";
        sg_tables_word_filter = f == 0;
        assert_int_equal(sg_tables_scan(text, strlen(text), row_text, got), 0);
        sg_tables_word_filter = true;
        assert_string_equal(got, want);
    }
}

/* A header cell or a repeated header in a data row told apart from the
 * others by its first two letters (no_word, header_repeated in tables.c)
 * is told as reading it whole tells it: every header word of each kind,
 * and words one letter off, lower case, upper case and capitalised,
 * after nothing, a number, a bracket, a space, a letter and a byte
 * beyond ASCII, with letters apart ("D.O.B"), in each column, in the
 * header (alone or beside a Name column) and as a row of a table whose
 * header has a Name column; and some by what they must give: a repeated
 * header has no name, a row of the forename and date of birth words
 * alone (no header) has one. */
static void
test_tables_header_words(void **state)
{
    (void)state;
    static const char *const words[] = {
        "surname", "lastname", "familyname", "legalsurname", "pupilsurname",
        "studentsurname", "childsurname", "last", "forename", "forenames",
        "firstname", "firstnames", "givenname", "givennames",
        "legalforename", "preferredforename", "preferredname", "knownas",
        "pupilforename", "childforename", "first", "name", "names",
        "fullname", "pupil", "pupilname", "student", "studentname", "child",
        "childname", "childsname", "learner", "learnername", "participant",
        "participantname", "player", "dob", "dateofbirth", "birthdate",
        "birthday", "born", "pupildob", "childdob", "dobddmmyyyy",
        /* one letter off, or too short */
        "nam", "lst", "surnam", "sname", "dobb", "do", "n", "la", "pl",
    };
    static const char *const before[] = {"", "1. ", "(", " ", "x",
                                         "\xc3\xa9"};
    char text[512], cell[128];
    size_t unnamed = 0;
    for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
        for (int form = 0; form < 4; form++)
            for (size_t b = 0; b < sizeof(before) / sizeof(before[0]); b++) {
                size_t k = (size_t)snprintf(cell, sizeof(cell), "%s",
                                            before[b]);
                for (size_t i = 0; words[w][i] != '\0'; i++) {
                    char c = words[w][i];
                    if (form == 1 || (form == 2 && i == 0))
                        c = (char)(c - 'a' + 'A');
                    cell[k++] = c;
                    if (form == 3)
                        cell[k++] = '.';
                }
                cell[k] = '\0';
                for (int col = 0; col < 3; col++) {
                    const char *c0 = col == 0 ? cell : "Form";
                    const char *c1 = col == 1 ? cell : "Amy Patel";
                    const char *c2 = col == 2 ? cell : "12/03/2014";
                    /* in the header (after prose, beside a Name column
                     * or not), then as a data row */
                    size_t len = (size_t)snprintf(
                        text, sizeof(text),
                        "Dear all,\n%s,%s,%s\n7A,Amy Patel,12/03/2014\n\n"
                        "Name,%s,%s,%s\nBen Khan,7A,Amy Patel,12/03/2014\n\n"
                        "Form,Name,DOB\n7A,Amy Patel,12/03/2014\n%s,%s,%s\n"
                        "7B,Ben Khan,01/02/2015\n",
                        c0, c1, c2, c0, c1, c2, c0, c1, c2);
                    unnamed += rows_same_words(text, len);
                }
            }
    assert_true(unnamed > 500); /* repeated headers among them */
    /* what some must give, with the filter and without: a repeated
     * header ("NAME" or "Pupil" in any column) has no name; "Forename" and
     * "D.O.B" alone make no header, so that row has one */
    rows_with_filter_and_without("Form,Name,DOB\n7A,Amy Patel,12/03/2014\n"
                                 "7A,NAME,DOB\n7B,Forename,D.O.B\n"
                                 "x,Ben Khan,Pupil\n",
                                 "0-13 1 0  0 0/0/0|"
                                 "14-37 0 1 Amy Patel 1 12/3/2014|"
                                 "38-49 0 0  0 0/0/0|"
                                 "50-67 0 1 Forename 0 0/0/0|"
                                 "68-84 0 0  0 0/0/0|");
    /* a row with a Name cell and a cell longer than a header label
     * (TABLE_HEADER_MAX, 40 bytes) is no header repeated: its name is read */
    rows_with_filter_and_without(
        "Form,Name,DOB\n7A,Amy Patel,12/03/2014\n"
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,Name,12/03/2014\n",
        "0-13 1 0  0 0/0/0|"
        "14-37 0 1 Amy Patel 1 12/3/2014|"
        "38-95 0 1 Name 1 12/3/2014|");
}

/* sg_tables_scan's callback for test_tables_row_name: each data row's
 * name at every buffer size from 1 to TABLES_NAME_SIZE + 2 against
 * snprintf of the name written out whole ("want", one per row). */
struct name_rows {
    const char *const *want;
    size_t n;
};

static int
row_name_check(void *ctx, const struct tables_row *row)
{
    struct name_rows *nr = ctx;
    if (row->header)
        return 0;
    assert_true(row->has_name);
    const char *want = nr->want[nr->n++];
    for (size_t size = 1; size <= TABLES_NAME_SIZE + 2; size++) {
        char got[TABLES_NAME_SIZE + 2], exp[TABLES_NAME_SIZE + 2];
        memset(got, 'x', sizeof(got));
        sg_tables_row_name(row, got, size);
        snprintf(exp, size, "%s", want);
        assert_string_equal(got, exp);
        if (size < sizeof(got))
            assert_int_equal(got[size], 'x'); /* nothing past size */
    }
    return 0;
}

/* A row's name is built from its cells only when asked for
 * (sg_tables_row_name): "Forename Surname", a surname alone, "Surname,
 * Forename" turned round, and names longer than the buffer cut as
 * snprintf cuts them, at every size. */
static void
test_tables_row_name(void **state)
{
    (void)state;
    char text[2048], longf[129], longs[129], want_long[300];
    memset(longf, 'F', 128), longf[128] = '\0';
    memset(longs, 'S', 128), longs[128] = '\0';
    snprintf(want_long, sizeof(want_long), "%s %s", longf, longs);
    snprintf(text, sizeof(text),
             "Forename,Surname,DOB\n"
             "Amy,Patel,12/03/2014\n"
             "1234,Patel,12/03/2014\n"
             "%s,%s,12/03/2014\n"
             "\n"
             "Name;Form\n"
             "\"Patel ,  Amy\";7B\n"
             "Ben Jones;7B\n"
             "\"O'Neill,\";7B\n",
             longf, longs);
    /* and a NUL in a cell, which "%.*s" stops at */
    size_t len = strlen(text);
    memcpy(text + len, "\"Smith, Zo\0e\";7B\n", 17);
    len += 17;
    const char *const want[] = {"Amy Patel", "Patel",     want_long,
                                "Amy Patel", "Ben Jones", " O'Neill",
                                "Zo Smith"};
    struct name_rows nr = {want, 0};
    assert_int_equal(sg_tables_scan(text, len, row_name_check, &nr), 0);
    assert_int_equal(nr.n, 7);
}

/* sg_tables_scan's callback for test_table_row_edges: each row's place. */
static int
row_span(void *ctx, const struct tables_row *row)
{
    struct table_rows *tr = ctx;
    assert_true(tr->n < 8);
    tr->span[tr->n][0] = row->start;
    tr->span[tr->n++][1] = row->end;
    return 0;
}

/* Which offsets are on a table's rows (sg_detect_on_table_row), at the
 * edges: a row's first byte and its last are on it, the line break
 * before and after it on none.  The scan asks about a match's first byte
 * s and its last, E - 1: a match ending at a row's start (E == start) is
 * not on it, one ending at its end (E == end) is. */
static void
test_table_row_edges(void **state)
{
    (void)state;
    const char *text = "Amy Patel born 12/03/2014\n"
                       "Name,DOB\n"
                       "Amy Patel,12/03/2014\n"
                       "Ben Jones,01/09/2013\n"
                       "\n"
                       "Kind regards";
    size_t len = strlen(text);
    size_t spans[8][2];
    struct table_rows tr = {spans, 0, 8};
    assert_int_equal(sg_tables_scan(text, len, row_span, &tr), 0);
    assert_int_equal(tr.n, 3); /* the header and two data rows, adjacent */
    size_t head = (size_t)(strstr(text, "Name,") - text);
    size_t last_end = (size_t)(strstr(text, "\n\nKind") - text);
    assert_int_equal(spans[0][0], head);
    assert_int_equal(spans[2][1], last_end);
    for (size_t i = 0; i < tr.n; i++) {
        size_t start = spans[i][0], end = spans[i][1], next = 0;
        /* the line break before the row (after the row before): on none */
        assert_false(sg_detect_on_table_row(&tr, &next, start - 1));
        next = 0;
        assert_true(sg_detect_on_table_row(&tr, &next, start));
        assert_int_equal(next, i);
        next = 0;
        assert_true(sg_detect_on_table_row(&tr, &next, end - 1));
        assert_int_equal(next, i);
        next = 0;
        assert_false(sg_detect_on_table_row(&tr, &next, end));
        /* a match ending at E, as the scan asks: E - 1 */
        size_t E = start;
        next = 0;
        assert_false(sg_detect_on_table_row(&tr, &next, E - 1));
        E = end;
        next = 0;
        assert_true(sg_detect_on_table_row(&tr, &next, E - 1));
    }
    /* one cursor walked over every offset answers as a fresh one */
    size_t walk = 0, on = 0;
    for (size_t x = 0; x <= len + 1; x++) {
        size_t fresh = 0;
        bool a = sg_detect_on_table_row(&tr, &walk, x);
        assert_int_equal(a, sg_detect_on_table_row(&tr, &fresh, x));
        on += a;
    }
    assert_int_equal(on, (spans[0][1] - spans[0][0]) +
                             (spans[1][1] - spans[1][0]) +
                             (spans[2][1] - spans[2][0]));
}

/* Tables that name people or carry dates but are not pupils with dates of
 * birth. */
static void
test_pupil_dob_table_near_misses(void **state)
{
    (void)state;
    /* a price list: dates, amounts, no names */
    expect_findings("pupil-dob",
                    "Item,Price,Order date\nPE kit,12.50,01/09/2024\n"
                    "Book bag,4.99,02/09/2024\n",
                    "");
    /* a timetable */
    expect_findings("pupil-dob",
                    "Period\tMonday\tTuesday\tWednesday\n"
                    "1\tMaths\tEnglish\tScience\n"
                    "2\tArt\tHistory\tPE\n",
                    "");
    /* staff with the dates they joined: recent dates, but not of birth */
    expect_findings("pupil-dob",
                    "Surname\tForename\tRole\tStart date\n"
                    "Smith\tJohn\tTeacher\t01/09/2015\n"
                    "Green\tSarah\tTA\t04/01/2016\n",
                    "");
    /* adults' birthdays */
    expect_findings("pupil-dob",
                    "Name,Birthday\nJohn Smith,14/02/1975\n"
                    "Sarah Green,3 May 1981\n",
                    "");
    /* spreadsheet numbers outside a date of birth column are not dates */
    expect_findings("pupil-dob",
                    "Name\tStudent number\tScore\nAmy Patel\t41710\t87\n",
                    "");
    /* a label with a character past ASCII, even before its letters, is no
     * header word: no table, and "PATEL, Amy" is no name to the pattern */
    expect_findings("pupil-dob",
                    "\xe2\x80\xa2Name\tDOB\nPATEL, Amy\t12/03/2014\n", "");
    expect_findings("pupil-dob", "Name\tDOB\nPATEL, Amy\t12/03/2014\n",
                    "Amy PATEL 12/03/2014");
    /* a sentence split at its commas is no header: the line after it is
     * read as before */
    expect_findings("pupil-dob",
                    "Child, parent and teacher meetings are on Tuesday this "
                    "term, as usual, in the hall.\n"
                    "Amy Patel, 12/03/2014, is in the first group, 9am.\n",
                    "Amy Patel, 12/03/2014");
    /* serial numbers out of range */
    assert_int_equal(sg_rules_serial_date(0, &(struct sg_date){0}), -1);
    assert_int_equal(sg_rules_serial_date(60001, &(struct sg_date){0}), -1);
    struct sg_date d;
    assert_int_equal(sg_rules_serial_date(1, &d), 0);
    assert_int_equal(d.year * 10000 + d.month * 100 + d.day, 19000101);
    assert_int_equal(sg_rules_serial_date(61, &d), 0);
    assert_int_equal(d.year * 10000 + d.month * 100 + d.day, 19000301);
}

static void
test_normalise_and_checks(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(sg_phone_normalise("+44 (0)7700-900-123", out,
                                        sizeof(out)),
                     0);
    assert_string_equal(out, "07700900123");
    assert_int_equal(sg_phone_normalise("0044 20 7946 0000", out, sizeof(out)),
                     0);
    assert_string_equal(out, "02079460000");
    assert_int_equal(sg_phone_normalise("+33 1 23 45 67 89", out, sizeof(out)),
                     -1);
    assert_int_equal(sg_phone_normalise("12345", out, sizeof(out)), -1);
    assert_int_equal(sg_phone_normalise("07700 9001x3", out, sizeof(out)),
                     -1);
    assert_true(sg_upn_valid("B801200005001", 13));
    assert_false(sg_upn_valid("B801200005001", 12));
    assert_true(sg_nhs_valid("9434765919"));
    assert_false(sg_nhs_valid("9434765910"));
    assert_true(sg_uln_valid("1000000043"));
    assert_false(sg_uln_valid("1000000063"));
}

/* Detectors see normalised text; findings are the text as written. */
static void
test_normalised_numbers(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        /* fullwidth digits and plus */
        {"uk-mobile", "call \xef\xbc\x90\xef\xbc\x97\xef\xbc\x97\xef\xbc\x90"
                      "\xef\xbc\x90 \xef\xbc\x99\xef\xbc\x90\xef\xbc\x90"
                      "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93 tonight",
         "\xef\xbc\x90\xef\xbc\x97\xef\xbc\x97\xef\xbc\x90\xef\xbc\x90 "
         "\xef\xbc\x99\xef\xbc\x90\xef\xbc\x90\xef\xbc\x91\xef\xbc\x92"
         "\xef\xbc\x93"},
        {"uk-mobile", "\xef\xbc\x8b" "44 7700 900123",
         "\xef\xbc\x8b" "44 7700 900123"},
        /* Arabic-Indic and Devanagari digits */
        {"uk-mobile", "\xd9\xa0\xd9\xa7\xd9\xa7\xd9\xa0\xd9\xa0\xd9\xa9\xd9\xa0"
                      "\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3",
         "\xd9\xa0\xd9\xa7\xd9\xa7\xd9\xa0\xd9\xa0\xd9\xa9\xd9\xa0"
         "\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3"},
        {"uk-mobile", "mob \xe0\xa5\xa6\xe0\xa5\xad\xe0\xa5\xad\xe0\xa5\xa6"
                      "\xe0\xa5\xa6 900123",
         "\xe0\xa5\xa6\xe0\xa5\xad\xe0\xa5\xad\xe0\xa5\xa6\xe0\xa5\xa6 900123"},
        /* mathematical bold digits (4-byte UTF-8) */
        {"uk-mobile", "\xf0\x9d\x9f\x8e\xf0\x9d\x9f\x95 700 900123",
         "\xf0\x9d\x9f\x8e\xf0\x9d\x9f\x95 700 900123"},
        /* zero-width space, joiner, word joiner, BOM inside the number */
        {"uk-mobile", "07700\xe2\x80\x8b" "900\xe2\x80\x8d" "123",
         "07700\xe2\x80\x8b" "900\xe2\x80\x8d" "123"},
        {"uk-mobile", "0\xe2\x81\xa0" "7700 9\xef\xbb\xbf" "00123 x",
         "0\xe2\x81\xa0" "7700 9\xef\xbb\xbf" "00123"},
        /* soft hyphen, bidi controls */
        {"uk-mobile", "07700\xc2\xad" "900\xc2\xad" "123",
         "07700\xc2\xad" "900\xc2\xad" "123"},
        {"uk-mobile", "\xe2\x80\xae" "07700 900123\xe2\x80\xac!",
         "07700 900123"},
        {"uk-mobile", "07700\xe2\x81\xa6" "900123\xe2\x81\xa9",
         "07700\xe2\x81\xa6" "900123"},
        /* NUL and other controls inside the number */
        {"uk-mobile", "07700\x01" "900\x7f" "123", "07700\x01" "900\x7f" "123"},
        /* a NUL or an invalid byte, as the message view gives it (U+FFFD) */
        {"uk-mobile", "07700\xef\xbf\xbd" "900574 x", "07700\xef\xbf\xbd" "900574"},
        /* the school's own number stays allowed in any of these forms */
        {"uk-mobile", "school mobile \xef\xbc\x90" "7700 900\xe2\x80\x8b" "999",
         NULL},
        /* near misses stay misses */
        {"uk-mobile", "\xef\xbc\x90\xef\xbc\x97/11/2024 09:30", NULL},
        /* a meeting's dial-in line (Teams, Zoom, Google Meet) */
        {"uk-landline", "Or call in (audio only)\n+44 20 7946 0958,,572913084#"
                        "   United Kingdom, London", NULL},
        {"uk-landline", "Join by phone (GB) +44 20 3956 0467 PIN: 859 232 091#",
         NULL},
        /* ... but a number with only a comma after it is still one */
        {"uk-landline", "ring 020 7946 0958, any evening", "020 7946 0958"},
        {"uk-mobile", "Ref: \xef\xbc\x90" "7700 900123", NULL},
        {"uk-mobile", "\xc2\xa3\xe2\x80\x8b" "07700900123", NULL},
        /* an email address or handle broken by invisible characters */
        {"personal-email", "jo.blo\xe2\x80\x8bggs@gm\xc2\xad" "ail.com",
         "jo.blo\xe2\x80\x8bggs@gm\xc2\xad" "ail.com"},
        {"personal-email", "\xef\xbd\x8a\xef\xbd\x8f@hotmail.co.uk",
         "\xef\xbd\x8a\xef\xbd\x8f@hotmail.co.uk"},
        {"social-media", "insta: @jo\xe2\x80\x8c_b", "insta: @jo\xe2\x80\x8c_b"},
        {"upn", "B80120\xe2\x80\x8b" "0005001", "B80120\xe2\x80\x8b" "0005001"},
    };
    RUN(t);
}

/* Separators inside numbers: runs of spaces, no-break and thin spaces,
 * dots and dashes, or one line break. */
static void
test_number_separators(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"uk-mobile", "+44\xc2\xa0" "7700\xc2\xa0" "900123",
         "+44\xc2\xa0" "7700\xc2\xa0" "900123"},
        {"uk-mobile", "07700\xe2\x80\x89" "900\xe2\x80\x89" "123",
         "07700\xe2\x80\x89" "900\xe2\x80\x89" "123"},
        {"uk-mobile", "07700\xe2\x80\xaf" "900123", "07700\xe2\x80\xaf" "900123"},
        {"uk-mobile", "07700 \xe2\x80\x93 900 \xe2\x80\x93 123",
         "07700 \xe2\x80\x93 900 \xe2\x80\x93 123"},
        {"uk-mobile", "07700\xe2\x80\x91" "900\xe2\x80\x91" "123",
         "07700\xe2\x80\x91" "900\xe2\x80\x91" "123"},
        {"uk-mobile", "07700  900  123", "07700  900  123"},
        {"uk-mobile", "07700 . 900 . 123", "07700 . 900 . 123"},
        /* a wrapped line, an HTML <br>, a format=flowed soft break */
        {"uk-mobile", "my number is 07700\n900123 ok", "07700 900123"},
        {"uk-mobile", "ring me on +44 7700 \r\n900 123", "+44 7700   900 123"},
        {"uk-mobile", "+44\n7700 900123", "+44 7700 900123"},
        {"uk-landline", "0113 496\n0000", "0113 496 0000"},
        {"nhs-number", "NHS 943\xc2\xa0" "476\xe2\x80\x93" "5919",
         "943\xc2\xa0" "476\xe2\x80\x93" "5919"},
        /* two line breaks are two lines, not one number */
        {"uk-mobile", "07700\n\n900123", NULL},
        {"uk-mobile", "07700\n900\n123", NULL},
        /* dates, times, prices and order numbers stay what they are */
        {"uk-mobile", "Dates: 07.11.2024\n09.12.2024", NULL},
        {"uk-mobile", "09.30 \xe2\x80\x93 10.15\n11.00 \xe2\x80\x93 12.00", NULL},
        {"uk-mobile", "\xc2\xa3" "7.70\n\xc2\xa3" "9.00 each", NULL},
        {"uk-mobile", "Order no.\n07700 900123", NULL},
        {"uk-mobile", "Order 0770\n0900123", NULL},
        {"uk-mobile", "Year 07\n700 pupils 900123", NULL},
        {"uk-mobile", "ISBN 978\xe2\x80\x93" "0770090012", NULL},
        {"uk-landline", "Term dates 01.09.2025 \xe2\x80\x93 19.12.2025", NULL},
        {"uk-landline", "Period 1: 08:50\xe2\x80\x93" "09:50, 2: 09:50", NULL},
    };
    RUN(t);
}

/* The map from normalised offsets back to the original. */
static void
test_normalise_map(void **state)
{
    (void)state;
    struct sg_norm n;
    /* all ASCII: nothing copied */
    assert_int_equal(sg_normalise("abc 123", 7, &n), 0);
    assert_ptr_equal(n.text, n.orig);
    sg_norm_free(&n);
    /* "a<ZWSP>b<FULLWIDTH 1>c<NUL>d" */
    const char *in = "a\xe2\x80\x8b" "b\xef\xbc\x91" "c" "\0" "d";
    size_t inlen = 1 + 3 + 1 + 3 + 1 + 1 + 1;
    assert_int_equal(sg_normalise(in, inlen, &n), 0);
    assert_int_equal(n.len, 5);
    assert_memory_equal(n.text, "ab1cd", 5);
    size_t os, oe;
    sg_norm_span(&n, 0, 5, &os, &oe);
    assert_int_equal(os, 0);
    assert_int_equal(oe, inlen);
    sg_norm_span(&n, 1, 2, &os, &oe); /* "b" */
    assert_int_equal(os, 4);
    assert_int_equal(oe, 5);
    sg_norm_span(&n, 2, 3, &os, &oe); /* "1" from the fullwidth one */
    assert_int_equal(os, 5);
    assert_int_equal(oe, 8);
    sg_norm_span(&n, 3, 5, &os, &oe); /* "cd": the NUL inside */
    assert_int_equal(os, 8);
    assert_int_equal(oe, 11);
    sg_norm_free(&n);
    /* NFKC expansion: the ligature fi is two letters of one character */
    assert_int_equal(sg_normalise("\xef\xac\x81x", 4, &n), 0);
    assert_int_equal(n.len, 3);
    assert_memory_equal(n.text, "fix", 3);
    sg_norm_span(&n, 1, 3, &os, &oe);
    assert_int_equal(os, 0);
    assert_int_equal(oe, 4);
    sg_norm_free(&n);
    /* invalid UTF-8 stays, combining marks compose, U+2028 is a line */
    assert_int_equal(sg_normalise("\xff" "e\xcc\x81\xe2\x80\xa8", 7, &n), 0);
    assert_int_equal(n.len, 5);
    assert_memory_equal(n.text, "\xff" "e\xcc\x81\n", 5);
    sg_norm_free(&n);
    /* a long run of combining marks is handled in bounded slices */
    char marks[1 + 2 * 200];
    marks[0] = 'a';
    for (size_t i = 0; i < 200; i++)
        memcpy(marks + 1 + 2 * i, "\xcc\x81", 2);
    assert_int_equal(sg_normalise(marks, sizeof(marks), &n), 0);
    assert_true(n.len <= sizeof(marks));
    sg_norm_free(&n);
}

/* Addresses spelt out to get past a filter; near misses that are not. */
static void
test_spelt_email(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"personal-email", "email me: tom dot smith77 at gmail dot com thx",
         "tom dot smith77 at gmail dot com"},
        {"personal-email", "tom(at)gmail(dot)com", "tom(at)gmail(dot)com"},
        {"personal-email", "it's tom [at] gmail [.] com",
         "tom [at] gmail [.] com"},
        {"personal-email", "Tom {AT} Hotmail {DOT} co {DOT} uk",
         "Tom {AT} Hotmail {DOT} co {DOT} uk"},
        {"personal-email", "jo_b at outlook.com", "jo_b at outlook.com"},
        {"personal-email", "tom @ gmail . com", "tom @ gmail . com"},
        {"personal-email", "tom@ gmail.com", "tom@ gmail.com"},
        {"personal-email", "write to me at tom dot smith at gmail dot com",
         "tom dot smith at gmail dot com"},
        {"personal-email", "t\xe2\x80\x8bom (at) gmail (dot) com",
         "t\xe2\x80\x8bom (at) gmail (dot) com"},
        /* the school's own domain, spelt out, is still the school's */
        {"personal-email", "office at school dot example", NULL},
        {"personal-email", "office (at) school (dot) example", NULL},
        /* ordinary English */
        {"personal-email", "have a look at bbc.co.uk/bitesize", NULL},
        {"personal-email", "Meet at school at 3.30 tomorrow", NULL},
        {"personal-email", "we arrive at Leeds dot matrix", NULL},
        {"personal-email", "See me at break. Bring your book.", NULL},
        {"personal-email", "Tickets at \xc2\xa3" "5 at the door.com", NULL},
        {"personal-email", "insta @jo_b", NULL},
    };
    RUN(t);
}

/* Digits written as words, for the phone detectors only. */
static void
test_number_words(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"uk-mobile",
         "ring oh seven seven double oh, nine double oh, one two three ok",
         "oh seven seven double oh, nine double oh, one two three"},
        {"uk-mobile", "Zero Seven Seven Zero Zero Nine Zero Zero One Two Three",
         "Zero Seven Seven Zero Zero Nine Zero Zero One Two Three"},
        {"uk-mobile", "07700 nine oh oh one two three",
         "07700 nine oh oh one two three"},
        {"uk-mobile", "nought seven triple seven\nnine oh oh one two three",
         "nought seven triple seven nine oh oh one two three"},
        {"uk-mobile", "plus four four seven seven oh oh nine oh oh one two "
                      "three",
         "plus four four seven seven oh oh nine oh oh one two three"},
        {"uk-landline", "oh one one three, four nine six, oh oh oh oh",
         "oh one one three, four nine six, oh oh oh oh"},
        {"uk-mobile", "ring 077 double 0 nine hundred 483.",
         "077 double 0 nine hundred 483"},
        {"uk-mobile", "seven thousand nine hundred and two pupils", NULL},
        {"uk-mobile", "a hundred and seven seven oh oh nine oh oh", NULL},
        /* the school's number and references, in words, stay allowed */
        {"uk-mobile", "oh seven seven oh oh nine oh oh nine nine nine", NULL},
        {"uk-mobile", "order number oh seven seven double oh nine double oh "
                      "one two three",
         NULL},
        /* too few or too many digits; ordinary counting */
        {"uk-mobile", "one two three four five six seven eight nine ten", NULL},
        {"uk-mobile", "oh seven seven oh oh nine oh oh one two", NULL},
        {"uk-mobile", "Year seven, eight and nine; one or two", NULL},
        {"uk-mobile", "oh seven seven double", NULL},
        {"personal-email", "oh seven seven double oh nine double oh one two "
                           "three",
         NULL},
    };
    RUN(t);
}

/* Number words in hostile amounts stay linear: long runs, many runs. */
static void
test_number_words_bounded(void **state)
{
    (void)state;
    size_t len = BIG(1024 * 1024);
    char *big = malloc(len + 1);
    assert_non_null(big);
    static const char unit[] = "oh seven double ";
    for (size_t i = 0; i < len; i++)
        big[i] = unit[i % (sizeof(unit) - 1)];
    big[len] = '\0';
    struct sg_finding *f = NULL;
    size_t n = 0;
    const char *err = NULL;
    assert_int_equal(sg_rules_detect(rules, "uk-mobile", big, len, now, &f,
                                     &n, &err),
                     0);
    assert_int_equal(n, 0);
    static const char unit2[] = "one two three four five six seven eight "
                                "nine oh ,";
    for (size_t i = 0; i < len; i++)
        big[i] = unit2[i % (sizeof(unit2) - 1)];
    assert_int_equal(sg_rules_detect(rules, "uk-landline", big, len, now, &f,
                                     &n, &err),
                     0);
    sg_findings_free(&f, &n);
    static const char unit3[] = "a at b dot c (at) d [.] ";
    for (size_t i = 0; i < len; i++)
        big[i] = unit3[i % (sizeof(unit3) - 1)];
    assert_int_equal(sg_rules_detect(rules, "personal-email", big, len, now,
                                     &f, &n, &err),
                     0);
    sg_findings_free(&f, &n);
    free(big);
}

/* Handles in the ways people write them. */
static void
test_social_phrasings(void **state)
{
    (void)state;
    static const struct dcase t[] = {
        {"social-media", "find me on Instagram as @jo_b",
         "find me on Instagram"},
        {"social-media", "I'm on Instagram as @jo_b", "on Instagram as @jo_b"},
        {"social-media", "you can find me on insta, @jo_b",
         "find me on insta"},
        {"social-media", "I post on TikTok: @jo.b", "on TikTok: @jo.b"},
        {"social-media", "I'm @jo_b on insta", "@jo_b on insta"},
        {"social-media", "follow @jobloggs77 over on tiktok",
         "@jobloggs77 over on tiktok"},
        {"social-media", "I'm jo_b77 on snap", "I'm jo_b77 on snap"},
        {"social-media", "my snap is jo.b", "my snap is"},
        {"social-media", "my snap's jo.b", "my snap's"},
        {"social-media", "my insta: jo.b", "my insta:"},
        {"social-media", "add me on TikTok: jo.b", "add me on TikTok"},
        {"social-media", "hmu on snap", "hmu on snap"},
        {"social-media", "drills on my TikTok (@coach.dave.b), have a look",
         "TikTok (@coach.dave.b"},
        {"social-media", "text me on insta", "text me on insta"},
        {"social-media", "snap username: jo_b", "snap username: jo_b"},
        {"social-media", "Snapchat - jobloggs77", "Snapchat - jobloggs77"},
        {"social-media", "my in\xc2\xad" "sta is jo.b",
         "my in\xc2\xad" "sta is"},
        /* near misses */
        {"social-media", "Our Facebook account is private.", NULL},
        {"social-media", "Instagram: 25 likes on the trip photos", NULL},
        {"social-media", "the school is on Instagram and Facebook", NULL},
        {"social-media", "Twitter - new posts every Friday", NULL},
        {"social-media", "I'm happy on snap days", NULL},
        {"social-media", "email jo@snap.example on snap", NULL},
    };
    RUN(t);
}

static void
test_unknown_detector(void **state)
{
    (void)state;
    struct sg_finding *f = NULL;
    size_t n = 0;
    const char *err = NULL;
    assert_int_equal(sg_rules_detect(rules, "nope", "x", 1, now, &f, &n, &err),
                     -1);
    assert_string_equal(err, "unknown detector 'nope'");
}

static void
test_linear_on_large_input(void **state)
{
    (void)state;
    /* 2 MB of digits, spaces and capitals: the worst the built-in patterns
     * see.  Must finish (bounded backtracking), and without findings. */
    size_t len = BIG(2 * 1024 * 1024);
    char *big = malloc(len + 1);
    assert_non_null(big);
    static const char unit[] = "0 1 2 Ab Cd 12 Road ";
    for (size_t i = 0; i < len; i++)
        big[i] = unit[i % (sizeof(unit) - 1)];
    big[len] = '\0';
    for (size_t d = 0; d < sg_rules_detector_count(rules); d++) {
        struct sg_finding *f = NULL;
        size_t n = 0;
        const char *err = NULL;
        assert_int_equal(sg_rules_detect(rules, rules->detectors[d].name, big,
                                         len, now, &f, &n, &err),
                         0);
        sg_findings_free(&f, &n);
    }
    free(big);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uk_mobile),
        cmocka_unit_test(test_uk_landline),
        cmocka_unit_test(test_personal_email),
        cmocka_unit_test(test_personal_domains_option),
        cmocka_unit_test(test_school_social_accounts),
        cmocka_unit_test(test_social_media),
        cmocka_unit_test(test_messaging_invite),
        cmocka_unit_test(test_home_address),
        cmocka_unit_test(test_upn),
        cmocka_unit_test(test_nhs_number),
        cmocka_unit_test(test_uln),
        cmocka_unit_test(test_pupil_dob),
        cmocka_unit_test(test_pupil_dob_tables),
        cmocka_unit_test(test_pupil_dob_table_near_misses),
        cmocka_unit_test(test_tables_prefilter),
        cmocka_unit_test(test_tables_scan16),
        cmocka_unit_test(test_tables_wide_rows),
        cmocka_unit_test(test_tables_header_cells),
        cmocka_unit_test(test_tables_name_cells),
        cmocka_unit_test(test_table_row_edges),
        cmocka_unit_test(test_tables_row_name),
        cmocka_unit_test(test_tables_header_words),
        cmocka_unit_test(test_normalise_and_checks),
        cmocka_unit_test(test_normalised_numbers),
        cmocka_unit_test(test_number_separators),
        cmocka_unit_test(test_normalise_map),
        cmocka_unit_test(test_spelt_email),
        cmocka_unit_test(test_number_words),
        cmocka_unit_test(test_number_words_bounded),
        cmocka_unit_test(test_social_phrasings),
        cmocka_unit_test(test_unknown_detector),
        cmocka_unit_test(test_linear_on_large_input),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
