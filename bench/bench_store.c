/*
 * bench_store.c - one held message as the milter records it (bench_store.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_store.h"

static char *pupil_roles[] = {"pupil"};
static struct sg_finding findings[] = {
    {"uk-mobile", "07700 900123", "body (text/plain)"},
};
static char *notify[] = {"sender", "dsl"};

static void
message(char *buf, size_t size, unsigned i, const char *from, const char *to)
{
    int n = snprintf(buf, size,
                     "From: %s\r\nTo: %s\r\nSubject: Revision plan %u\r\n"
                     "Date: Wed, 12 Mar 2025 10:15:00 +0000\r\n"
                     "MIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\n\r\n"
                     "Hello,\r\n\r\nHere is the plan for the week. If you "
                     "get stuck, ring me on 07700 900123.\r\n",
                     from, to, i);
    /* fill to about 4 KB with ordinary school text */
    while (n > 0 && (size_t)n + 80 < size && n < 4000)
        n += snprintf(buf + n, size - (size_t)n,
                      "Chapter %u: read pages 10-24 and answer the "
                      "questions.\r\n",
                      (unsigned)n % 97);
}

int
sg_bench_hold(struct sg_store *q, unsigned i, time_t when, char **id_r,
              const char **error_r)
{
    char from[64], to[64], qid[32], buf[8192], school[32];
    /* each school its own staff and pupils, at its own domain */
    snprintf(school, sizeof(school), "school%u", i % SG_BENCH_SCHOOLS);
    snprintf(from, sizeof(from), "teacher%u@%s.example", i * 7 % 40, school);
    snprintf(to, sizeof(to), "pupil%u@%s.example", i * 13 % 400, school);
    snprintf(qid, sizeof(qid), "4B%08X", i);
    message(buf, sizeof(buf), i, from, to);
    struct sg_person pupil = {
        .address = to, .roles = pupil_roles, .n_roles = 1};
    struct sg_party rcpt = {to, &pupil, SG_CHANNEL_SCHOOL};
    char *matched[] = {to};
    struct sg_rule_match rules[2] = {
        {.id = "personal-contact-details",
         .title = "Personal contact details sent to a pupil",
         .policy = "Staff must not give pupils personal contact details.",
         .source = "Social Media Policy",
         .mode = SG_MODE_ENFORCE,
         .action = SG_ACTION_HOLD,
         .notify = notify,
         .n_notify = 2,
         .recipients = matched,
         .n_recipients = 1,
         .findings = findings,
         .n_findings = 1,
         .explain_sender = "Your message contains a mobile number.",
         .explain_dsl = "A member of staff sent a pupil a mobile number."},
        {.id = "private-one-to-one",
         .title = "Private one-to-one",
         .policy = "Communication is open to scrutiny.",
         .source = "Safer Working Practice",
         .mode = SG_MODE_ENFORCE,
         .action = SG_ACTION_JOURNAL,
         .notify = notify,
         .n_notify = 0,
         .recipients = matched,
         .n_recipients = 1,
         .explain_sender = "",
         .explain_dsl = ""},
    };
    struct sg_verdict v = {
        .action = SG_ACTION_HOLD, .rules = rules, .n_rules = 1 + i % 2};
    struct sg_hold h = {
        .queue_id = qid,
        .time = when,
        .client = "192.0.2.10",
        .client_trusted = true,
        .auth_user = from,
        .env_from = from,
        .rcpts = &rcpt,
        .n_rcpts = 1,
        .subject = "Revision plan",
        .verdict = &v,
        .data = buf,
        .len = strlen(buf),
        .fd = -1,
    };
    h.school = school; /* the record's school */
    return sg_store_hold(q, &h, id_r, error_r);
}
