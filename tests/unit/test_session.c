/*
 * test_session.c - the phases of a connection without libmilter: trust,
 * envelope, buffering, several messages on one connection, aborts, the
 * summary line, and failure_action when the message cannot be kept.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"
#include "log.h"
#include "msgview_build.h"
#include "school.h"
#include "session.h"
#include "sg_runtime.h"

static char log_path[] = "/tmp/sg-test-session-log-XXXXXX";
static char dir_path[] = "/tmp/sg-test-session-dir-XXXXXX";
static char quarantine_dir[] = "/tmp/sg-test-session-q-XXXXXX";

static int
setup(void **state)
{
    (void)state;
    if (mkdtemp(quarantine_dir) == NULL)
        return -1;
    int fd = mkstemp(log_path);
    if (fd < 0)
        return -1;
    close(fd);
    sg_msgview_build_init();
    return 0;
}


static int
teardown(void **state)
{
    (void)state;
    unlink(log_path);
    unlink(dir_path);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", quarantine_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Run fn with stderr (the log) captured; return what was logged. */
static char *
captured(void (*fn)(void *), void *arg)
{
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    assert_non_null(freopen(log_path, "w", stderr));
    fn(arg);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    FILE *fp = fopen(log_path, "r");
    char *text = NULL;
    size_t cap = 0;
    if (getdelim(&text, &cap, '\0', fp) < 0) {
        free(text);
        text = strdup("");
    }
    fclose(fp);
    return text;
}

/* A session on the settings in conf (no rules unless conf names some). */
static struct sg_session *
session_with(const char *conf, const char *addr)
{
    const char *error = NULL;
    char text[1024];
    snprintf(text, sizeof(text), "%s%s%s",
             strstr(conf, "rules_file") == NULL
                 ? "rules_file =\nallow_no_rules = yes\n"
                 : "",
             strstr(conf, "directory_") == NULL ? "directory_backend = none\n"
                                                : "",
             conf);
    struct sg_config *cfg = sg_config_load_string(text, "t.conf", &error);
    struct sg_runtime *rt = NULL;
    if (cfg == NULL || sg_runtime_open(cfg, &rt, &error) < 0)
        fail_msg("%s", error);
    struct sg_session *s = sg_session_new(rt);
    assert_non_null(s);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
    assert_int_equal(sg_session_connect(s, "client.example",
                                        (struct sockaddr *)&sin),
                     SG_CONTINUE);
    return s;
}

/* The phases that may produce an outcome, for tests that only need the
 * status. */
static enum sg_status
rcpt(struct sg_session *s, const char *addr)
{
    struct sg_outcome out = {0};
    enum sg_status st = sg_session_rcpt(s, addr, &out);
    sg_outcome_free(&out);
    return st;
}

static enum sg_status
eom(struct sg_session *s, const char *qid)
{
    struct sg_outcome out = {0};
    enum sg_status st = sg_session_eom(s, qid, &out);
    sg_outcome_free(&out);
    return st;
}

static void
send_message(struct sg_session *s, const char *qid, const char *from,
             const char *const *rcpts, const char *subject, const char *body)
{
    assert_int_equal(sg_session_envfrom(s, from, "", qid), SG_CONTINUE);
    for (size_t i = 0; rcpts[i] != NULL; i++)
        assert_int_equal(rcpt(s, rcpts[i]), SG_CONTINUE);
    assert_int_equal(sg_session_header(s, "From", " <a@school.example>"),
                     SG_CONTINUE);
    assert_int_equal(sg_session_header(s, "Subject", subject), SG_CONTINUE);
    assert_int_equal(sg_session_body(s, body, strlen(body)), SG_CONTINUE);
}

static void
test_trust(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        bool trusted;
    } cases[] = {
        {"127.0.0.1", true},
        {"192.0.2.10", true},
        {"203.0.113.5", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_session *s = session_with(
            "trusted_networks = 127.0.0.0/8 192.0.2.0/24\n", cases[i].addr);
        assert_int_equal(s->trusted, cases[i].trusted);
        assert_string_equal(s->client_addr, cases[i].addr);
        assert_string_equal(s->client_name, "client.example");
        sg_session_free(&s);
        assert_null(s);
    }
}

static void
test_envelope(void **state)
{
    (void)state;
    struct sg_session *s = session_with("backlog = 5\n", "127.0.0.1");
    assert_int_equal(sg_session_envfrom(s, "<Tom.Smith@school.example>",
                                        "tsmith", "4AbCdE"),
                     SG_CONTINUE);
    assert_string_equal(s->env_from, "Tom.Smith@school.example");
    assert_string_equal(s->auth_user, "tsmith");
    assert_string_equal(s->queue_id, "4AbCdE");
    assert_int_equal(rcpt(s, "<p1@school.example>"), SG_CONTINUE);
    assert_int_equal(rcpt(s, "p2@school.example"), SG_CONTINUE);
    assert_int_equal(s->n_rcpts, 2);
    assert_string_equal(s->rcpts[0], "p1@school.example");
    assert_string_equal(s->rcpts[1], "p2@school.example");
    /* null sender, no authentication */
    assert_int_equal(sg_session_envfrom(s, "<>", NULL, NULL), SG_CONTINUE);
    assert_string_equal(s->env_from, "");
    assert_null(s->auth_user);
    assert_int_equal(s->n_rcpts, 0); /* a new transaction starts empty */
    sg_session_free(&s);
}

struct two_messages {
    struct sg_session *s;
    enum sg_status st[2];
};

static void
run_two_messages(void *arg)
{
    struct two_messages *t = arg;
    const char *r1[] = {"<p1@school.example>", "<p2@school.example>", NULL};
    const char *r2[] = {"<parent@home.example>", NULL};
    send_message(t->s, "QID1", "<a@school.example>", r1, " Homework",
                 "Please hand in your essay.\r\n");
    t->st[0] = eom(t->s, "QID1");
    send_message(t->s, NULL, "<b@school.example>", r2, " Trip",
                 "The coach leaves at 8.\r\n");
    t->st[1] = eom(t->s, "QID2");
}

/* Several messages on one connection: each is seen once, with its own
 * envelope, and produces exactly one summary line. */
static void
test_two_messages_one_connection(void **state)
{
    (void)state;
    struct two_messages t = {session_with("backlog = 5\n", "127.0.0.1"),
                             {SG_REJECT, SG_REJECT}};
    char *log = captured(run_two_messages, &t);
    assert_int_equal(t.st[0], SG_CONTINUE);
    assert_int_equal(t.st[1], SG_CONTINUE);
    assert_int_equal(t.s->n_messages, 2);
    assert_false(t.s->in_message);
    const char *l1 = strstr(log, "QID1: verdict=accept client=client.example"
                                 "[127.0.0.1] trusted=yes auth=- "
                                 "from=<a@school.example>:external "
                                 "to=<p1@school.example>:external,"
                                 "<p2@school.example>:external rcpts=2 size=");
    const char *l2 = strstr(log, "QID2: verdict=accept client=client.example"
                                 "[127.0.0.1] trusted=yes auth=- "
                                 "from=<b@school.example>:external "
                                 "to=<parent@home.example>:external rcpts=1 "
                                 "size=");
    if (l1 == NULL || l2 == NULL)
        fail_msg("summary lines missing or wrong:\n%s", log);
    assert_true(l1 < l2);
    /* the raw message: the two header lines, the blank line, the body */
    assert_non_null(
        strstr(l1, " size=75 parts=1 attachments=0 nested=0 elapsed_us="));
    /* exactly two summary lines */
    size_t n = 0;
    for (const char *p = log; (p = strstr(p, "verdict=")) != NULL; p++)
        n++;
    assert_int_equal(n, 2);
    free(log);
    sg_session_free(&t.s);
}

static void
run_abort_then_message(void *arg)
{
    struct two_messages *t = arg;
    const char *r1[] = {"<p1@school.example>", NULL};
    send_message(t->s, "QIDA", "<a@school.example>", r1, " first", "x\r\n");
    sg_session_abort(t->s); /* RSET: no verdict, no summary line */
    send_message(t->s, "QIDB", "<c@school.example>", r1, " second", "y\r\n");
    t->st[0] = eom(t->s, NULL);
}

static void
test_abort(void **state)
{
    (void)state;
    struct two_messages t = {session_with("backlog = 5\n", "203.0.113.9"),
                             {SG_REJECT, SG_REJECT}};
    char *log = captured(run_abort_then_message, &t);
    assert_int_equal(t.st[0], SG_CONTINUE);
    assert_null(strstr(log, "QIDA"));
    if (strstr(log, "QIDB: verdict=accept client=client.example"
                    "[203.0.113.9] trusted=no auth=- "
                    "from=<c@school.example>:external "
                    "to=<p1@school.example>:external rcpts=1") == NULL)
        fail_msg("unexpected log:\n%s", log);
    assert_int_equal(t.s->n_messages, 1);
    free(log);
    sg_session_free(&t.s);
}

struct failing {
    const char *conf;
    enum sg_status st;
};

static void
run_unspillable(void *arg)
{
    struct failing *f = arg;
    struct sg_session *s = session_with(f->conf, "127.0.0.1");
    const char *r[] = {"<p@school.example>", NULL};
    char big[6000];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    send_message(s, "QIDF", "<a@school.example>", r, " big", big);
    f->st = eom(s, NULL);
    assert_int_equal(s->n_messages, 1);
    assert_false(s->failed); /* reset for the next message */
    sg_session_free(&s);
}

/* A message that cannot be kept whole is never accepted silently: the
 * failure action applies (tempfail unless configured otherwise). */
static void
test_failure_action(void **state)
{
    (void)state;
    static const struct {
        const char *conf;
        enum sg_status st;
        const char *word;
    } cases[] = {
        {"message_buffer_size = 4k\ntmpdir = /nonexistent\n", SG_TEMPFAIL,
         "tempfail"},
        {"message_buffer_size = 4k\ntmpdir = /nonexistent\n"
         "failure_action = reject\n",
         SG_REJECT, "reject"},
        {"message_buffer_size = 4k\ntmpdir = /nonexistent\n"
         "failure_action = accept\n",
         SG_ACCEPT, "accept"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct failing f = {cases[i].conf, SG_CONTINUE};
        char *log = captured(run_unspillable, &f);
        assert_int_equal(f.st, cases[i].st);
        assert_non_null(strstr(log, "QIDF: cannot create a temporary file in "
                                    "tmpdir"));
        char expect[128];
        snprintf(expect, sizeof(expect), "QIDF: verdict=%s ", cases[i].word);
        if (strstr(log, expect) == NULL)
            fail_msg("case %zu: no \"%s\" in:\n%s", i, expect, log);
        free(log);
    }
}

static struct sg_session *
session_with_directory(const char *addr, const char *extra)
{
    /* made once; not told by the name's last letter, which mkstemp may
     * make an X */
    static bool dir_made = false;
    if (!dir_made) {
        dir_made = true;
        int fd = mkstemp(dir_path);
        if (fd < 0)
            fail_msg("mkstemp %s: %s", dir_path, strerror(errno));
        static const char people[] =
            "t.smith@school.example staff,dsl name=\"Tom Smith\" "
            "alias=tsmith@school.example personal=tom.smith@gmail.example\n"
            "p.jones@school.example pupil dob=2012-03-04\n"
            "mum.jones@home.example parent child=p.jones@school.example\n";
        assert_int_equal(write(fd, people, sizeof(people) - 1),
                         sizeof(people) - 1);
        close(fd);
    }
    char conf[1024];
    char quarantine[256] = "";
    if (strstr(extra, "quarantine_db") == NULL) /* a test may name its own */
        snprintf(quarantine, sizeof(quarantine),
                 "quarantine_db = %s/q.db\nquarantine_dir = %s/messages\n",
                 quarantine_dir, quarantine_dir);
    snprintf(conf, sizeof(conf),
             "trusted_networks = 127.0.0.0/8\ndirectory_file = %s\n"
             "rules_file = %s/rules/policy/default.rules\n"
             "school_domains = school.example\n%s%s",
             dir_path, SG_TEST_SRCDIR, quarantine, extra);
    const char *error = NULL;
    struct sg_config *cfg = sg_config_load_string(conf, "t.conf", &error);
    struct sg_runtime *rt = NULL;
    if (cfg == NULL || sg_runtime_open(cfg, &rt, &error) < 0)
        fail_msg("%s", error);
    /* session_with loads its own config; build this one by hand */
    struct sg_session *s = sg_session_new(rt);
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
    assert_int_equal(sg_session_connect(s, "c.example",
                                        (struct sockaddr *)&sin),
                     SG_CONTINUE);
    return s;
}

/* Sender identity: a school address is believed only from a trusted
 * client or one authenticated as its owner; a personal address maps to
 * its owner on the personal channel wherever it comes from. */
static void
test_sender_identity(void **state)
{
    (void)state;
    static const struct {
        const char *client, *from, *auth;
        bool staff, forged;
        enum sg_channel channel;
    } cases[] = {
        {"127.0.0.1", "<t.smith@school.example>", NULL, true, false,
         SG_CHANNEL_SCHOOL},
        {"203.0.113.5", "<t.smith@school.example>", NULL, false, true,
         SG_CHANNEL_NONE},
        {"203.0.113.5", "<t.smith@school.example>", "t.smith", true, false,
         SG_CHANNEL_SCHOOL},
        {"203.0.113.5", "<t.smith@school.example>", "TSmith", true, false,
         SG_CHANNEL_SCHOOL}, /* an alias's local part */
        {"203.0.113.5", "<t.smith@school.example>",
         "t.smith@school.example", true, false, SG_CHANNEL_SCHOOL},
        {"203.0.113.5", "<t.smith@school.example>", "p.jones", false, true,
         SG_CHANNEL_NONE}, /* authenticated as someone else */
        {"203.0.113.5", "<tom.smith@gmail.example>", NULL, true, false,
         SG_CHANNEL_PERSONAL},
        {"203.0.113.5", "<stranger@outside.example>", NULL, false, false,
         SG_CHANNEL_NONE},
        {"203.0.113.5", "<>", NULL, false, false, SG_CHANNEL_NONE},
        /* a parent under their own outside address stays the parent:
         * the forged test is for school-domain addresses */
        {"203.0.113.5", "<mum.jones@home.example>", NULL, false, false,
         SG_CHANNEL_SCHOOL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_session *s = session_with_directory(cases[i].client, "");
        assert_int_equal(sg_session_envfrom(s, cases[i].from, cases[i].auth,
                                            "Q"),
                         SG_CONTINUE);
        if (sg_person_has_role(s->sender, "staff") != cases[i].staff ||
            s->sender_forged != cases[i].forged ||
            s->sender_channel != cases[i].channel ||
            (strstr(cases[i].from, "mum.") != NULL) !=
                sg_person_has_role(s->sender, "parent"))
            fail_msg("case %zu (%s from %s auth %s): staff=%d forged=%d "
                     "channel=%d",
                     i, cases[i].from, cases[i].client,
                     cases[i].auth != NULL ? cases[i].auth : "-",
                     sg_person_has_role(s->sender, "staff"),
                     s->sender_forged, (int)s->sender_channel);
        sg_session_free(&s);
    }
}

struct rcpt_reject {
    struct sg_session *s;
    enum sg_status st[3];
    struct sg_outcome out;
};

static void
run_rcpt_reject(void *arg)
{
    struct rcpt_reject *t = arg;
    assert_int_equal(sg_session_envfrom(t->s, "<tom.smith@gmail.example>",
                                        NULL, "QIDR"),
                     SG_CONTINUE);
    t->st[0] = sg_session_rcpt(t->s, "<p.jones@school.example>", &t->out);
    t->st[1] = rcpt(t->s, "<x@outside.example>");
    sg_session_header(t->s, "Subject", " hi");
    sg_session_body(t->s, "hello\r\n", 7);
    t->st[2] = eom(t->s, NULL);
}

/* A rule decidable at RCPT time (a staff member's personal account
 * writing to a pupil) refuses that recipient alone, there, with the
 * explanation; the rest of the message goes on, and the summary line
 * says who everyone turned out to be. */
static void
test_rcpt_time_reject(void **state)
{
    (void)state;
    struct rcpt_reject t = {session_with_directory("203.0.113.5", ""),
                            {SG_CONTINUE, SG_REJECT, SG_REJECT},
                            {0}};
    t.s->smtp_client = true; /* over SMTP; see test_local_submission */
    char *log = captured(run_rcpt_reject, &t);
    assert_int_equal(t.st[0], SG_REJECT);
    assert_int_equal(t.st[1], SG_CONTINUE);
    assert_int_equal(t.s->n_rcpts, 0); /* reset after the message */
    assert_true(t.out.reject);
    assert_true(t.out.n_reply >= 3);
    assert_non_null(strstr(t.out.reply[1], "(Rule staff-personal-to-pupil.)"));
    for (size_t i = 0; i < t.out.n_reply; i++) {
        assert_true(strlen(t.out.reply[i]) <= SG_REPLY_WIDTH + 8);
        assert_null(strpbrk(t.out.reply[i], "\r\n"));
    }
    /* (a time-of-day test rule may join the list, depending on the hour) */
    if (strstr(log, "QIDR: verdict=reject rules=staff-personal-to-pupil"
                    "(reject)") == NULL ||
        strstr(log, " at RCPT client=c.example[203.0.113.5] "
                    "from=<tom.smith@gmail.example> "
                    "to=<p.jones@school.example>") == NULL ||
        strstr(log, " client=c.example[203.0.113.5] trusted=no auth=- "
                    "from=<tom.smith@gmail.example>:staff+dsl(personal) "
                    "to=<x@outside.example>:external rcpts=1 ") == NULL)
        fail_msg("unexpected log:\n%s", log);
    /* the rule notifies the DSL: the refusal has a record, written before
     * the answer, with no copy (nothing was accepted) */
    const char *rec = strstr(log, "QIDR: verdict=reject");
    rec = rec != NULL ? strstr(rec, " record=") : NULL;
    assert_non_null(rec);
    char id[32];
    assert_int_equal(sscanf(rec, " record=%31s", id), 1);
    const char *qerr = NULL;
    struct sg_store *q = sg_runtime_quarantine(t.s->rt, &qerr);
    struct sg_store_record *r = NULL;
    assert_int_equal(sg_store_get(q, id, &r, &qerr), 0);
    assert_int_equal(r->status, SG_QSTATUS_REFUSED);
    assert_null(r->message_path);
    assert_int_equal(r->message_size, 0);
    assert_string_equal(r->env_from, "tom.smith@gmail.example");
    sg_store_record_free(&r);
    struct sg_store_rcpt *rc = NULL;
    size_t n_rc = 0;
    assert_int_equal(sg_store_rcpts(q, id, &rc, &n_rc, &qerr), 0);
    assert_int_equal(n_rc, 1);
    assert_string_equal(rc[0].address, "p.jones@school.example");
    sg_store_rcpts_free(&rc, &n_rc);
    free(log);
    sg_outcome_free(&t.out);
    sg_session_free(&t.s);
}

/* A refusal the DSL must hear of whose record cannot be written: that
 * recipient is tempfailed, never refused without a record. */
static void
test_rcpt_reject_unrecordable(void **state)
{
    (void)state;
    struct rcpt_reject t = {
        session_with_directory("203.0.113.5",
                               "quarantine_db = /nonexistent/q.db\n"
                               "quarantine_dir = /nonexistent/messages\n"
                               "failure_action = accept\n"),
        {SG_CONTINUE, SG_REJECT, SG_REJECT},
        {0}};
    t.s->smtp_client = true;
    char *log = captured(run_rcpt_reject, &t);
    assert_int_equal(t.st[0], SG_TEMPFAIL);
    assert_false(t.out.reject);
    assert_non_null(strstr(log, "cannot record the refused message in "
                                "/nonexistent/q.db"));
    assert_null(strstr(log, "at RCPT"));
    free(log);
    sg_outcome_free(&t.out);
    sg_session_free(&t.s);
}

static void
run_local_submission(void *arg)
{
    struct rcpt_reject *t = arg;
    assert_int_equal(sg_session_envfrom(t->s, "<tom.smith@gmail.example>",
                                        NULL, "QIDL"),
                     SG_CONTINUE);
    t->st[0] = sg_session_rcpt(t->s, "<p.jones@school.example>", &t->out);
    sg_session_header(t->s, "Subject", " hi");
    sg_session_body(t->s, "hello\r\n", 7);
    sg_outcome_free(&t->out);
    t->st[1] = sg_session_eom(t->s, NULL, &t->out);
}

/* Local submission (no SMTP client): Postfix's cleanup cannot refuse one
 * recipient, so the recipient is taken and the whole message is refused
 * at its end, which Postfix turns into a bounce with the explanation. */
static void
test_local_submission(void **state)
{
    (void)state;
    struct rcpt_reject t = {session_with_directory("127.0.0.1", ""),
                            {SG_REJECT, SG_CONTINUE, SG_CONTINUE},
                            {0}};
    t.s->smtp_client = false;
    char *log = captured(run_local_submission, &t);
    assert_int_equal(t.st[0], SG_CONTINUE);
    assert_int_equal(t.st[1], SG_REJECT);
    assert_true(t.out.reject);
    assert_non_null(strstr(t.out.reply[1], "(Rule staff-personal-to-pupil.)"));
    assert_null(strstr(log, "at RCPT"));
    assert_non_null(strstr(log, "QIDL: verdict=reject "
                                "rules=staff-personal-to-pupil(reject)"));
    /* recorded at the end of the message instead; the sender writes from
     * a personal address, so no notice can carry the explanation and
     * the reply keeps it whole (above); after 9pm the test-mode
     * late-contact rule is named before the record too */
    assert_non_null(strstr(log, ") record=SG-"));
    free(log);
    sg_outcome_free(&t.out);
    sg_session_free(&t.s);
}

struct journal_run {
    struct sg_session *s;
    enum sg_status st;
    struct sg_outcome out;
};

static void
run_journal(void *arg)
{
    struct journal_run *t = arg;
    assert_int_equal(sg_session_envfrom(t->s, "<t.smith@school.example>",
                                        NULL, "QIDJ"),
                     SG_CONTINUE);
    assert_int_equal(rcpt(t->s, "<p.jones@school.example>"), SG_CONTINUE);
    sg_session_header(t->s, "Subject", " Essay feedback");
    sg_session_header(t->s, "X-Safeguard-Verdict", " accept");
    sg_session_header(t->s, "x-safeguard-verdict", " accept again");
    sg_session_header(t->s, "X-Safeguard-Record", " SG-forged");
    const char *body = "Well done on the essay, see me at 07700 900123.\r\n";
    sg_session_body(t->s, body, strlen(body));
    t->st = sg_session_eom(t->s, NULL, &t->out);
}

/* End of message: the verdict becomes what the MTA is asked to do. */
static void
test_eom_outcome(void **state)
{
    (void)state;
    struct journal_run t = {
        session_with_directory("127.0.0.1",
                               "journal_address = archive@school.example\n"
                               "subject_tag = [Safeguarding]\n"),
        SG_REJECT, {0}};
    char *log = captured(run_journal, &t);
    /* a personal number to a pupil: hold (record and quarantine), plus the
     * one-to-one journal copy */
    assert_int_equal(t.st, SG_CONTINUE);
    assert_non_null(t.out.quarantine);
    assert_non_null(strstr(t.out.quarantine, "personal-contact-details"));
    assert_int_equal(t.out.n_add_rcpts, 1);
    assert_string_equal(t.out.add_rcpts[0], "archive@school.example");
    /* forged headers: each occurrence removed, last first, by name and
     * its rank among the copies of its name (any case) */
    assert_int_equal(t.out.n_del_headers, 3);
    assert_string_equal(t.out.del_headers[0].name, "X-Safeguard-Record");
    assert_int_equal(t.out.del_headers[0].index, 1);
    assert_string_equal(t.out.del_headers[1].name, "x-safeguard-verdict");
    assert_int_equal(t.out.del_headers[1].index, 2);
    assert_string_equal(t.out.del_headers[2].name, "X-Safeguard-Verdict");
    assert_int_equal(t.out.del_headers[2].index, 1);
    /* held: the record's reference is its one header (released, the
     * message must not name the rules that held it), and no subject tag */
    assert_int_equal(t.out.n_add_headers, 1);
    assert_null(t.out.new_subject);
    assert_non_null(strstr(log, "QIDJ: verdict=hold+journal rules="));
    /* the record exists, is named in the log and in X-Safeguard-Record */
    const char *rec = strstr(log, " record=SG-");
    assert_non_null(rec);
    char id[32];
    assert_int_equal(sscanf(rec, " record=%31s", id), 1);
    assert_string_equal(t.out.add_headers[0].name, "X-Safeguard-Record");
    assert_string_equal(t.out.add_headers[0].value, id);
    assert_non_null(strstr(t.out.quarantine, id));
    const char *qerr = NULL;
    struct sg_store_record *r = NULL;
    assert_int_equal(
        sg_store_get(sg_runtime_quarantine(t.s->rt, &qerr), id, &r, &qerr), 0);
    assert_string_equal(r->queue_id, "QIDJ");
    assert_string_equal(r->env_from, "t.smith@school.example");
    assert_int_equal(r->status, SG_QSTATUS_HELD);
    assert_true(r->message_size > 0);
    sg_store_record_free(&r);
    free(log);
    sg_outcome_free(&t.out);
    sg_session_free(&t.s);
}

static void
run_unrecordable(void *arg)
{
    struct journal_run *t = arg;
    run_journal(t);
}

/* A message to be held whose record cannot be written is tempfailed:
 * never held without a record, never accepted silently - not even when
 * failure_action says accept. */
static void
test_hold_unrecordable(void **state)
{
    (void)state;
    struct journal_run t = {
        session_with_directory("127.0.0.1",
                               "quarantine_db = /nonexistent/q.db\n"
                               "quarantine_dir = /nonexistent/messages\n"
                               "failure_action = accept\n"),
        SG_CONTINUE, {0}};
    char *log = captured(run_unrecordable, &t);
    assert_int_equal(t.st, SG_TEMPFAIL);
    assert_null(t.out.quarantine); /* nothing half-applied */
    assert_int_equal(t.out.n_add_headers, 0);
    assert_non_null(strstr(log, "QIDJ: cannot record the held message in "
                                "/nonexistent/q.db"));
    assert_non_null(strstr(log, "QIDJ: verdict=tempfail "));
    free(log);
    sg_outcome_free(&t.out);
    sg_session_free(&t.s);
}

/* A directory that cannot be reached is never "external": MAIL FROM and
 * RCPT TO answer with failure_action. */
static void
test_directory_outage(void **state)
{
    (void)state;
    static const struct {
        const char *extra;
        enum sg_status st;
    } cases[] = {
        {"", SG_TEMPFAIL},
        {"failure_action = reject\n", SG_REJECT},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char conf[512];
        snprintf(conf, sizeof(conf),
                 "directory_backend = ldap\n"
                 "ldap_uri = ldap://127.0.0.1:9/\n"
                 "ldap_base = dc=school,dc=example\n"
                 "ldap_connect_timeout = 1\nrules_file =\n"
                 "allow_no_rules = yes\n%s",
                 cases[i].extra);
        const char *error = NULL;
        struct sg_config *cfg = sg_config_load_string(conf, "t.conf", &error);
        struct sg_runtime *rt = NULL;
        if (cfg == NULL || sg_runtime_open(cfg, &rt, &error) < 0)
            fail_msg("%s", error);
        struct sg_session *s = sg_session_new(rt);
        assert_int_equal(sg_session_connect(s, "c.example", NULL),
                         SG_CONTINUE);
        assert_int_equal(sg_session_envfrom(s, "<t.smith@school.example>",
                                            NULL, "QO"),
                         cases[i].st);
        assert_int_equal(rcpt(s, "<p.jones@school.example>"),
                         cases[i].st);
        /* nor through a form Postfix rewrites */
        assert_int_equal(rcpt(s, "<school.example!p.jones>"), cases[i].st);
        assert_int_equal(s->n_rcpts, 0); /* not taken on */
        sg_session_free(&s);
    }
}

/* A recipient written as a route with more forms than are followed:
 * refused with 5.1.3 over SMTP; kept back (tempfail) when submitted
 * locally, whatever failure_action says, never let through unjudged. */
static void
test_rcpt_unfollowable(void **state)
{
    (void)state;
    char addr[512] = "<";
    for (int i = 0; i < SG_DIR_ROUTES_MAX; i++)
        strcat(addr, "school.example!");
    strcat(addr, "p.jones@[192.0.2.1]>");
    for (int smtp = 0; smtp < 2; smtp++) {
        struct sg_session *s =
            session_with_directory("127.0.0.1", "failure_action = accept\n");
        s->smtp_client = smtp;
        assert_int_equal(sg_session_envfrom(s, "<t.smith@school.example>",
                                            NULL, "QU"),
                         SG_CONTINUE);
        struct sg_outcome out = {0};
        enum sg_status st = sg_session_rcpt(s, addr, &out);
        if (smtp) {
            assert_int_equal(st, SG_REJECT);
            assert_string_equal(out.xcode, "5.1.3");
            assert_true(out.n_reply >= 1);
            assert_non_null(strstr(out.reply[0], "route"));
        } else {
            assert_int_equal(st, SG_CONTINUE);
            sg_session_header(s, "Subject", " hi");
            sg_session_body(s, "hello\r\n", 7);
            assert_int_equal(eom(s, NULL), SG_TEMPFAIL);
        }
        sg_outcome_free(&out);
        sg_session_free(&s);
    }
}

struct rewritten_run {
    struct sg_session *s;
    enum sg_status st;
};

static void
run_rewritten(void *arg)
{
    struct rewritten_run *t = arg;
    assert_int_equal(sg_session_envfrom(t->s, "<t.smith@school.example>",
                                        NULL, "QIDW"),
                     SG_CONTINUE);
    assert_int_equal(rcpt(t->s, "<p.jones%school.example@[192.0.2.1]>"),
                     SG_CONTINUE);
    assert_int_equal(rcpt(t->s, "<P.Jones@School.Example>"), SG_CONTINUE);
    sg_session_header(t->s, "Subject", " hi");
    sg_session_body(t->s, "hello\r\n", 7);
    t->st = eom(t->s, NULL);
}

/* The summary line names the form a recipient was found through, when
 * it is not the address as written (case aside). */
static void
test_rcpt_rewritten_summary(void **state)
{
    (void)state;
    struct rewritten_run t = {session_with_directory("127.0.0.1", ""),
                              SG_CONTINUE};
    char *log = captured(run_rewritten, &t);
    if (strstr(log, "to=<p.jones%school.example@[192.0.2.1]>="
                    "<p.jones@school.example>:pupil,"
                    "<P.Jones@School.Example>:pupil rcpts=2 ") == NULL)
        fail_msg("unexpected log:\n%s", log);
    free(log);
    sg_session_free(&t.s);
}

/* What the MTA says it does with a recipient counts too: Postfix's
 * {rcpt_addr}, and with {rcpt_mailer} "local" the local part alone (a
 * name in mydestination, such as localhost, reaches the local mailbox). */
static void
test_rcpt_mta(void **state)
{
    (void)state;
    static const struct {
        const char *rcpt;
        struct sg_rcpt_mta mta;
        bool pupil;
    } cases[] = {
        {"<p.jones@localhost>", {"p.jones@localhost", "local"}, true},
        {"<p.jones@localhost>", {"p.jones@localhost", "smtp"}, false},
        {"<p.jones@localhost>", {NULL, NULL}, false},
        {"<p.jones@mx.example>", {"p.jones@school.example", "virtual"}, true},
        {"<\"p.jones\"@localhost>", {"\"p.jones\"@localhost", "local"}, true},
        {"<x@outside.example>", {"x@outside.example", "smtp"}, false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_session *s = session_with_directory("127.0.0.1", "");
        assert_int_equal(sg_session_envfrom(s, "<t.smith@school.example>",
                                            NULL, "QM"),
                         SG_CONTINUE);
        struct sg_outcome out = {0};
        assert_int_equal(
            sg_session_rcpt_mta(s, cases[i].rcpt, &cases[i].mta, &out),
            SG_CONTINUE);
        assert_int_equal(s->n_rcpts, 1);
        if (sg_person_has_role(s->rcpt_people[0], "pupil") != cases[i].pupil)
            fail_msg("case %zu (%s): pupil %d", i, cases[i].rcpt,
                     !cases[i].pupil);
        sg_outcome_free(&out);
        sg_session_free(&s);
    }
}

/* Directory lookups for one recipient, with mta (or none). */
static uint64_t
rcpt_lookups(const char *addr, const struct sg_rcpt_mta *mta)
{
    struct sg_session *s = session_with_directory("127.0.0.1", "");
    assert_int_equal(sg_session_envfrom(s, "<t.smith@school.example>", NULL,
                                        "QL"),
                     SG_CONTINUE);
    struct sg_dir_stats before, after;
    sg_dir_stats(s->rt->directory, &before);
    struct sg_outcome out = {0};
    assert_int_equal(sg_session_rcpt_mta(s, addr, mta, &out), SG_CONTINUE);
    sg_dir_stats(s->rt->directory, &after);
    assert_true(sg_person_has_role(s->rcpt_people[0], "pupil"));
    sg_outcome_free(&out);
    sg_session_free(&s);
    return after.lookups - before.lookups;
}

/* The MTA's {rcpt_addr} is most often the address as written: that form
 * is looked up once, not again. */
static void
test_rcpt_mta_once(void **state)
{
    (void)state;
    static const struct sg_rcpt_mta same = {"p.jones@school.example", "smtp"};
    uint64_t alone = rcpt_lookups("<p.jones@school.example>", NULL);
    assert_true(alone > 0);
    assert_int_equal(rcpt_lookups("<p.jones@school.example>", &same), alone);
}

/* Exempt correspondence (exempt_message.h): decided at the end of the
 * headers from everyone in the message. */
#define EXEMPT_CONF "exempt_addresses = rep@union.example, @oh.example\n"

static bool
exempt_after_headers(const char *client, const char *from, const char *auth,
                     const char *const *rcpts, const char *header_from)
{
    struct sg_session *s = session_with_directory(client, EXEMPT_CONF);
    assert_int_equal(sg_session_envfrom(s, from, auth, "QX"), SG_CONTINUE);
    for (size_t i = 0; rcpts[i] != NULL; i++)
        assert_int_equal(rcpt(s, rcpts[i]), SG_CONTINUE);
    assert_int_equal(sg_session_header(s, "From", header_from), SG_CONTINUE);
    assert_int_equal(sg_session_body(s, "Hi\r\n", 4), SG_CONTINUE);
    bool exempt = s->exempt;
    sg_session_free(&s);
    return exempt;
}

static void
test_exempt_decision(void **state)
{
    (void)state;
    static const char *const rep[] = {"<rep@union.example>", NULL};
    static const char *const oh[] = {"<nurse@oh.example>", NULL};
    static const char *const staff[] = {"<t.smith@school.example>", NULL};
    static const char *const pupil[] = {"<p.jones@school.example>", NULL};
    static const char *const rep_pupil[] = {"<rep@union.example>",
                                            "<p.jones@school.example>", NULL};
    static const char *const rep_outsider[] = {
        "<rep@union.example>", "<stranger@outside.example>", NULL};
    static const struct {
        const char *client, *from, *auth;
        const char *const *rcpts;
        const char *header_from;
        bool exempt;
    } cases[] = {
        /* staff to the union rep, and back */
        {"127.0.0.1", "<t.smith@school.example>", NULL, rep,
         " <t.smith@school.example>", true},
        {"203.0.113.5", "<rep@union.example>", NULL, staff,
         " <rep@union.example>", true},
        /* a whole domain */
        {"203.0.113.5", "<t.smith@school.example>", "t.smith", oh,
         " <t.smith@school.example>", true},
        /* a pupil in Cc, or an outsider: inspected */
        {"127.0.0.1", "<t.smith@school.example>", NULL, rep_pupil,
         " <t.smith@school.example>", false},
        {"127.0.0.1", "<t.smith@school.example>", NULL, rep_outsider,
         " <t.smith@school.example>", false},
        /* the union rep to a pupil, a pupil to the rep */
        {"203.0.113.5", "<rep@union.example>", NULL, pupil,
         " <rep@union.example>", false},
        {"127.0.0.1", "<p.jones@school.example>", NULL, rep,
         " <p.jones@school.example>", false},
        /* a parent is not staff */
        {"203.0.113.5", "<mum.jones@home.example>", NULL, rep,
         " <mum.jones@home.example>", false},
        /* a forged staff address, and a pupil named in From: */
        {"203.0.113.5", "<t.smith@school.example>", NULL, rep,
         " <t.smith@school.example>", false},
        {"127.0.0.1", "<t.smith@school.example>", NULL, rep,
         " <p.jones@school.example>", false},
        /* no exempt party at all */
        {"127.0.0.1", "<t.smith@school.example>", NULL, staff,
         " <t.smith@school.example>", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (exempt_after_headers(cases[i].client, cases[i].from, cases[i].auth,
                                 cases[i].rcpts, cases[i].header_from) !=
            cases[i].exempt)
            fail_msg("case %zu (%s to %s%s): exempt should be %d", i,
                     cases[i].from, cases[i].rcpts[0],
                     cases[i].rcpts[1] != NULL ? " and others" : "",
                     cases[i].exempt);
}

struct exempt_run {
    struct sg_session *s;
    enum sg_status st;
    struct sg_outcome out;
};

static void
run_exempt(void *arg)
{
    struct exempt_run *t = arg;
    static const char body[] =
        "My mobile is 07700 900123, text me on WhatsApp about the "
        "grievance.\r\n";
    assert_int_equal(sg_session_envfrom(t->s, "<t.smith@school.example>",
                                        NULL, "QEX1"),
                     SG_CONTINUE);
    assert_int_equal(rcpt(t->s, "<rep@union.example>"), SG_CONTINUE);
    sg_session_header(t->s, "From", " Tom Smith <t.smith@school.example>");
    sg_session_header(t->s, "Subject", " my grievance hearing");
    sg_session_header(t->s, "X-Safeguard-Verdict", " accept");
    sg_session_body(t->s, body, sizeof(body) - 1);
    t->st = sg_session_eom(t->s, NULL, &t->out);
}

/* An exempt message is accepted, its body never kept, one line that
 * names no one is logged, the forged X-Safeguard-* header still goes,
 * and the counter counts it. */
static void
test_exempt_message(void **state)
{
    (void)state;
    unsigned long before = sg_session_exempt_count();
    struct exempt_run t = {session_with_directory("127.0.0.1", EXEMPT_CONF),
                           SG_REJECT, {0}};
    char *log = captured(run_exempt, &t);
    assert_int_equal(t.st, SG_CONTINUE);
    assert_false(t.out.reject);
    assert_null(t.out.quarantine);
    assert_int_equal(t.out.n_add_headers, 0);
    assert_int_equal(t.out.n_del_headers, 1);
    assert_string_equal(t.out.del_headers[0].name, "X-Safeguard-Verdict");
    assert_int_equal(sg_session_exempt_count(), before + 1);
    assert_non_null(strstr(log, "QEX1: verdict=accept exempt=yes rcpts=1 "));
    static const char *const never[] = {"union", "t.smith", "Smith", "07700",
                                        "grievance", "staff", "rules="};
    for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
        if (strstr(log, never[i]) != NULL)
            fail_msg("the log names \"%s\": %s", never[i], log);
    free(log);
    sg_outcome_free(&t.out);
    sg_session_free(&t.s);
}

/* The load refuses an exemption that would cover pupils. */
static void
test_exempt_load(void **state)
{
    (void)state;
    struct sg_session *s = session_with_directory("127.0.0.1", "");
    sg_session_free(&s); /* made the directory file */
    static const struct {
        const char *value, *says;
    } cases[] = {
        {"p.jones@school.example", "belongs to a pupil"},
        {"@school.example", "is a school domain"},
        {"not an address!", "neither a mail address"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char conf[1024];
        snprintf(conf, sizeof(conf),
                 "directory_file = %s\nrules_file =\nallow_no_rules = yes\n"
                 "school_domains = school.example\nexempt_addresses = %s\n",
                 dir_path, cases[i].value);
        const char *error = NULL;
        struct sg_config *cfg = sg_config_load_string(conf, "t.conf", &error);
        struct sg_runtime *rt = NULL;
        if (cfg != NULL && sg_runtime_open(cfg, &rt, &error) == 0) {
            sg_runtime_unref(&rt);
            fail_msg("exempt_addresses = %s loaded", cases[i].value);
        }
        if (strstr(error, "t.conf:5: ") == NULL ||
            strstr(error, cases[i].says) == NULL)
            fail_msg("exempt_addresses = %s: %s", cases[i].value, error);
    }
}

/* The school of a message is worked out with each claim's evaluation,
 * and the one kept is the judged claim's: here the envelope sender is at
 * one school and the From: header's member of staff at another, so the
 * two claims make it different schools' messages. */
static void
test_school_of_judged_claim(void **state)
{
    (void)state;
    struct sg_session *s = session_with_directory(
        "127.0.0.1", "school north {\n    school_domains = school.example\n}\n"
                     "school south {\n    school_domains = south.example\n}\n");
    const struct sg_config *cfg = s->rt->settings;
    assert_int_equal(sg_session_envfrom(s, "<x@south.example>", NULL, "Q"),
                     SG_CONTINUE);
    static const char msg[] = "From: <t.smith@school.example>\r\n"
                              "Subject: hi\r\n\r\nhello\r\n";
    struct sg_msgview *view = NULL;
    const char *error = NULL, *addr = NULL;
    assert_int_equal(sg_msgview_build_mem(msg, sizeof(msg) - 1, &view, &error),
                     0);
    struct sg_sender *sender = &s->sender_claims;
    assert_int_equal(sg_judge_sender_headers(s->rt, view, true, NULL, sender,
                                             &addr, &error),
                     0);
    assert_int_equal(sender->n_claims, 2);
    struct sg_party rcpt = {"someone@elsewhere.example", NULL,
                            SG_CHANNEL_NONE};
    struct sg_party p0 = sg_sender_party(sender, 0),
                    p1 = sg_sender_party(sender, 1);
    assert_ptr_equal(sg_school_of_message(cfg, &p0, &rcpt, 1),
                     sg_school_find(cfg, "south"));
    assert_ptr_equal(sg_school_of_message(cfg, &p1, &rcpt, 1),
                     sg_school_find(cfg, "north"));
    struct sg_verdict *v = NULL;
    assert_int_equal(sg_judge_eval(s->rt, view, sender, &rcpt, 1, time(NULL),
                                   &v, &error),
                     0);
    /* on a tie the person's claim is judged */
    assert_int_equal(sender->judged, 1);
    assert_ptr_equal(sender->school, sg_school_find(cfg, "north"));
    sg_verdict_free(&v);
    sg_msgview_free(&view);
    sg_session_free(&s);
}

static void
test_unbracket(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"<a@b>", "a@b"}, {"a@b", "a@b"}, {"<>", ""}, {"<", "<"}, {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = sg_addr_unbracket(cases[i].in);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trust),
        cmocka_unit_test(test_envelope),
        cmocka_unit_test(test_two_messages_one_connection),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_failure_action),
        cmocka_unit_test(test_sender_identity),
        cmocka_unit_test(test_rcpt_time_reject),
        cmocka_unit_test(test_rcpt_reject_unrecordable),
        cmocka_unit_test(test_local_submission),
        cmocka_unit_test(test_eom_outcome),
        cmocka_unit_test(test_hold_unrecordable),
        cmocka_unit_test(test_directory_outage),
        cmocka_unit_test(test_rcpt_unfollowable),
        cmocka_unit_test(test_rcpt_rewritten_summary),
        cmocka_unit_test(test_rcpt_mta),
        cmocka_unit_test(test_rcpt_mta_once),
        cmocka_unit_test(test_unbracket),
        cmocka_unit_test(test_school_of_judged_claim),
        cmocka_unit_test(test_exempt_decision),
        cmocka_unit_test(test_exempt_message),
        cmocka_unit_test(test_exempt_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
