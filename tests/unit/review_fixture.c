/*
 * review_fixture.c - see review_fixture.h.
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
#include <sys/stat.h>
#include <unistd.h>

#include "review_fixture.h"
#include "store_util.h"

static char *pupil_roles[] = {"pupil"};
static struct sg_person pupil = {
    .address = "amy.pupil@school.example",
    .display_name = "Amy Pupil",
    .upn = "A123456789012",
    .roles = pupil_roles,
    .n_roles = 1,
};
static const struct sg_party rcpts[] = {
    {"amy.pupil@school.example", &pupil, SG_CHANNEL_SCHOOL},
    {"someone@elsewhere.example", NULL, SG_CHANNEL_NONE},
};
static struct sg_finding contact_findings[] = {
    {"uk-mobile", "07700 900123", "body (text/plain)"},
};
static char *notify[] = {"sender", "dsl"};
static char *matched[] = {"amy.pupil@school.example"};
static struct sg_rule_match contact = {
    .id = "personal-contact",
    .title = "Personal contact details sent to a pupil",
    .policy = "Staff must not give pupils their personal number.",
    .source = "Trust Social Media Policy",
    .category = "Staff conduct",
    .mode = SG_MODE_ENFORCE,
    .action = SG_ACTION_HOLD,
    .notify = notify,
    .n_notify = 2,
    .recipients = matched,
    .n_recipients = 1,
    .findings = contact_findings,
    .n_findings = 1,
    .explain_sender = "Your message contains a mobile number.",
    .explain_dsl = "Mr Smith sent Amy a mobile number.",
};
static struct sg_rule_match late = {
    .id = "late-night",
    .title = "Late at night",
    .policy = "No messages to pupils after 9pm.",
    .source = "Staff Code of Conduct",
    .mode = SG_MODE_ENFORCE,
    .action = SG_ACTION_HOLD,
    .notify = notify,
    .n_notify = 2,
    .recipients = matched,
    .n_recipients = 1,
    .explain_sender = "Sent late.",
    .explain_dsl = "Sent late.",
};

const char review_fixture_message[] =
    "From: John Smith <j.smith@school.example>\r\n"
    "To: amy.pupil@school.example\r\n"
    "Subject: Call me\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>Ring me on 07700 900123 <script>alert(1)</script></p>\r\n"
    "--b\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "Or text 07700 900123\x1b[31m \xe2\x80\xae reversed\r\n"
    "--b\r\n"
    "Content-Type: application/pdf; name=notes.pdf\r\n"
    "Content-Disposition: attachment; filename=notes.pdf\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0xLjQK\r\n"
    "--b--\r\n";

char *
review_fixture_hold(struct review_fixture *e, const char *qid, const char *from,
                    const char *subject, time_t when, bool both_rules)
{
    struct sg_rule_match rules[2] = {contact, late};
    return review_fixture_hold_rules(e, qid, from, subject, when, rules,
                                     both_rules ? 2 : 1);
}

char *
review_fixture_hold_rules(struct review_fixture *e, const char *qid,
                          const char *from, const char *subject, time_t when,
                          struct sg_rule_match *rules, size_t n_rules)
{
    char *id = NULL;
    const char *err = NULL;
    if (review_fixture_try_hold(e, qid, from, subject, when, rules, n_rules,
                                &id, &err) != 0)
        fail_msg("hold: %s", err);
    return id;
}

int
review_fixture_try_hold(struct review_fixture *e, const char *qid,
                        const char *from, const char *subject, time_t when,
                        struct sg_rule_match *rules, size_t n_rules,
                        char **id_r, const char **error_r)
{
    struct sg_rule_match both[2] = {contact, late};
    if (rules == NULL) {
        rules = both;
        n_rules = 2;
    }
    struct sg_verdict v = {
        .action = SG_ACTION_HOLD,
        .rules = rules,
        .n_rules = n_rules,
    };
    struct sg_hold h = {
        .queue_id = qid,
        .time = when,
        .client = "127.0.0.1",
        .client_trusted = true,
        .auth_user = "j.smith",
        .env_from = from,
        .sender_name = strncmp(from, "j.smith@", 8) == 0 ? "John Smith" : NULL,
        .rcpts = rcpts,
        .n_rcpts = 2,
        .subject = subject != NULL ? subject : "Call me",
        .verdict = &v,
        .data = review_fixture_message,
        .len = strlen(review_fixture_message),
        .fd = -1,
        .school = e->school,
    };
    int rc = sg_store_hold(e->q, &h, id_r, error_r);
    if (rc != 0)
        return rc;
    FILE *f = fopen(e->queue, "a");
    assert_non_null(f);
    fprintf(f, "%s hold\n", qid);
    fclose(f);
    return 0;
}

/* The fake postsuper / postqueue. */
static const char fake[] =
    "#!/bin/sh\n"
    "# fake.sh QUEUEFILE CALLLOG ACTION [QID]\n"
    "q=$1 log=$2 act=$3 id=$4\n"
    "echo \"$act $id\" >>\"$log\"\n"
    "[ -e \"${q}.fail\" ] && { echo \"fake: refused\" >&2; exit 1; }\n"
    "case $act in\n"
    "list) while read -r i n; do\n"
    "        printf '{\"queue_name\": \"%s\", \"queue_id\": \"%s\"}\\n' "
    "\"$n\" \"$i\"; done <\"$q\";;\n"
    "release) sed -i \"s/^$id hold\\$/$id active/\" \"$q\";;\n"
    "delete) sed -i \"/^$id hold\\$/d\" \"$q\";;\n"
    "esac\n"
    "exit 0\n";

void
review_fixture_open(struct review_fixture *e,
                    const struct sg_review_settings *s)
{
    struct sg_review_options o = {
        .db_path = e->db,
        .store_dir = e->store,
        .settings = *s,
    };
    const char *err = NULL;
    sg_review_close(&e->r);
    if (sg_review_open(&o, &e->r, &err) != 0)
        fail_msg("%s", err);
}

void
review_fixture_settings(struct review_fixture *e, struct sg_review_settings *s)
{
    sg_review_settings_init(s);
    s->release_command = e->release_cmd;
    s->delete_command = e->delete_cmd;
    s->queue_command = e->queue_cmd;
    s->command_timeout = 10;
}

int
review_fixture_setup(struct review_fixture *e)
{
    memset(e, 0, sizeof(*e));
    umask(022);
    strcpy(e->dir, "/tmp/sg-test-review-XXXXXX");
    if (mkdtemp(e->dir) == NULL)
        return -1;
    snprintf(e->db, sizeof(e->db), "%s/q.db", e->dir);
    const char *store = sg_test_store(e->db);
    if (store != e->db)
        snprintf(e->db, sizeof(e->db), "%s", store);
    snprintf(e->store, sizeof(e->store), "%s/messages", e->dir);
    snprintf(e->queue, sizeof(e->queue), "%s/queue", e->dir);
    snprintf(e->calls, sizeof(e->calls), "%s/calls", e->dir);
    snprintf(e->script, sizeof(e->script), "%s/fake.sh", e->dir);
    FILE *f = fopen(e->script, "w");
    if (f == NULL)
        return -1;
    fputs(fake, f);
    fclose(f);
    fclose(fopen(e->queue, "w"));
    fclose(fopen(e->calls, "w"));
    snprintf(e->release_cmd, sizeof(e->release_cmd),
             "/bin/sh %s %s %s release {queue_id}", e->script, e->queue,
             e->calls);
    snprintf(e->delete_cmd, sizeof(e->delete_cmd),
             "/bin/sh %s %s %s delete {queue_id}", e->script, e->queue,
             e->calls);
    snprintf(e->queue_cmd, sizeof(e->queue_cmd), "/bin/sh %s %s %s list",
             e->script, e->queue, e->calls);
    const char *err = NULL;
    if (sg_store_open(e->db, e->store, &e->q, &err) < 0)
        return -1;
    return 0;
}

int
review_fixture_teardown(struct review_fixture *e)
{
    sg_review_close(&e->r);
    sg_store_close(&e->q);
    return sg_test_rmtree(e->dir);
}

int
review_fixture_new(void **state)
{
    struct review_fixture *e = calloc(1, sizeof(*e));
    if (e == NULL || review_fixture_setup(e) < 0) {
        free(e);
        return -1;
    }
    *state = e;
    return 0;
}

int
review_fixture_free(void **state)
{
    struct review_fixture *e = *state;
    int r = review_fixture_teardown(e);
    free(e);
    return r;
}

size_t
review_fixture_audited(struct review_fixture *e, const char *id,
                       const char *action)
{
    struct sg_store_audit_row *rows = NULL;
    size_t n = 0;
    const char *error = NULL;
    if (sg_store_audit_rows(e->q, id, action, 0, &rows, &n, &error) < 0)
        fail_msg("%s", error);
    size_t count = n;
    sg_store_audit_rows_free(&rows, &n);
    return count;
}
