/*
 * test_notice.c - notices by mail: templates (every kind from its own
 * file; load errors name the file and line), rendering (exact output,
 * UTF-8, no header injection, the marker on every kind), the
 * keyed marker (valid, altered, forged, expired, malformed), the secret
 * file, and sending through a fake sendmail that records its argv and
 * standard input (no shell, failures and hangs reported).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "notice.h"
#include "sg_buf.h"
#include "sg_buf.h"
#include "store_outbox.h"
#include "store_util.h"

static char tmpdir[] = "/tmp/sg-test-notice-XXXXXX";

/* ------------------------------------------------------------ helpers */

static void
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

static void
write_bytes(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct sg_buf b = SG_BUF_INIT;
    char tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        assert_int_equal(sg_buf_append(&b, tmp, n), 0);
    fclose(f);
    char *s = sg_buf_steal(&b);
    assert_non_null(s);
    return s;
}

static char *
subdir(const char *name)
{
    char *p = NULL;
    assert_true(asprintf(&p, "%s/%s", tmpdir, name) > 0);
    assert_true(mkdir(p, 0700) == 0 || errno == EEXIST);
    return p;
}

static int
setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    return sg_test_rmtree(tmpdir);
}

static const unsigned char test_secret[] =
    "0123456789abcdef0123456789abcdef-test-secret";

static struct sg_notice_key *
test_key(void)
{
    struct sg_notice_key *key = NULL;
    const char *error = NULL;
    assert_int_equal(sg_notice_key_new(test_secret, sizeof(test_secret) - 1,
                                       &key, &error),
                     0);
    return key;
}

/* ------------------------------------------------------------ templates */

static const char good_sender[] =
    "# a comment\n"
    "Subject: Held: {subject}\n"
    "X-Record: {record}\n"
    "\n"
    "Hello {sender},\n"
    "Your message to {recipients} is held ({record}, {queue_id}).\n"
    "{explanation}\n"
    "Ask {dsl}. {{not a placeholder}} (a } alone is itself)\n"
    "Held on {date}.\n";

static const char good_dsl[] =
    "Subject: Held for review: {sender}\n"
    "\n"
    "To:\n{recipients}\n\nRules:\n{rules}\n\nFound:\n{findings}\n\n"
    "{explanation}\n";

static const char good_rejected[] =
    "Subject: Not delivered: {subject}\n"
    "\n"
    "Your message {record} was not delivered.\n{explanation}\n";

static const char good_digest[] =
    "Subject: Waiting: {subject}\n"
    "\n"
    "{explanation}\n";

/* A template directory with one file per kind; NULL leaves it out. */
static char *
template_dir_kinds(const char *name, const char *const text[SG_NOTICE_KINDS])
{
    char *dir = subdir(name);
    for (int k = 0; k < SG_NOTICE_KINDS; k++)
        if (text[k] != NULL)
            write_file(dir, sg_notice_kind_file(k), text[k], 0644);
    return dir;
}

/* The held-mail templates given, the review tool's good ones. */
static char *
template_dir(const char *name, const char *sender, const char *dsl)
{
    const char *const text[SG_NOTICE_KINDS] = {
        [SG_NOTICE_HELD_SENDER] = sender,
        [SG_NOTICE_HELD_DSL] = dsl,
        [SG_NOTICE_REJECTED_SENDER] = good_rejected,
        [SG_NOTICE_DIGEST_DSL] = good_digest,
        [SG_NOTICE_REFUSED_SENDER] = sender,
        [SG_NOTICE_REFUSED_DSL] = dsl,
        [SG_NOTICE_DELIVERED_DSL] = dsl,
        [SG_NOTICE_RELEASED_SENDER] = good_rejected,
        [SG_NOTICE_REQUEST_DSL] = dsl,
    };
    return template_dir_kinds(name, text);
}

static void
test_templates_good(void **state)
{
    (void)state;
    struct sg_notice_templates *t = NULL;
    const char *error = NULL;
    char *dir = template_dir("tmpl-good", good_sender, good_dsl);
    assert_int_equal(sg_notice_templates_load(dir, &t, &error), 0);
    assert_non_null(t);
    sg_notice_templates_free(&t);
    assert_null(t);
    free(dir);

    /* the shipped defaults load */
    assert_int_equal(sg_notice_templates_load(
                         SG_TEST_SRCDIR "/contrib/templates", &t, &error),
                     0);
    sg_notice_templates_free(&t);
    sg_notice_templates_free(&t); /* twice is harmless */
}

static const struct {
    const char *name;
    const char *sender; /* content of held-sender.txt */
    const char *error;  /* expected substring */
} template_errors[] = {
    {"unknown placeholder in the body",
     "Subject: x\n\nline 3\nline 4 {reocrd}\n",
     "held-sender.txt:4: unknown placeholder {reocrd}"},
    {"unknown placeholder in a header", "# c\nSubject: {subjet}\n\nbody\n",
     "held-sender.txt:2: unknown placeholder {subjet}"},
    {"unclosed brace", "Subject: x\n\nbody {record\n",
     "held-sender.txt:3: '{' without a closing '}'"},
    {"no subject", "X-Foo: bar\n\nbody\n", "no Subject: line"},
    {"reserved header", "Subject: x\nFrom: evil@example.org\n\nbody\n",
     "held-sender.txt:2: From is set by the milter"},
    {"forged marker header",
     "Subject: x\nX-Safeguard-Notice: v=1\n\nbody\n",
     "held-sender.txt:2: X-Safeguard-Notice is set by the milter"},
    {"subject twice", "Subject: x\nSubject: y\n\nbody\n",
     "held-sender.txt:2: Subject given twice"},
    {"no blank line", "Subject: x\n", "held-sender.txt:2: no empty line"},
    {"not a header", "Subject: x\nthis is not a header\n\nbody\n",
     "held-sender.txt:2: expected \"Name: value\""},
    {"continuation", "Subject: x\n  more\n\nbody\n",
     "held-sender.txt:2: continuation lines"},
    {"not UTF-8", "Subject: x\n\nline 3\ncaf\xe9\n",
     "held-sender.txt:4: not UTF-8"},
    {"empty body", "Subject: x\n\n", "the body is empty"},
};

static void
test_template_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(template_errors) / sizeof(template_errors[0]);
         i++) {
        char name[64];
        snprintf(name, sizeof(name), "tmpl-bad-%zu", i);
        char *dir = template_dir(name, template_errors[i].sender, good_dsl);
        struct sg_notice_templates *t = NULL;
        const char *error = NULL;
        int r = sg_notice_templates_load(dir, &t, &error);
        if (r != -1 || error == NULL ||
            strstr(error, template_errors[i].error) == NULL)
            print_error("case \"%s\": got %d, \"%s\"\n",
                        template_errors[i].name, r, error ? error : "(null)");
        assert_int_equal(r, -1);
        assert_null(t);
        assert_non_null(strstr(error, template_errors[i].error));
        free(dir);
    }
}

static void
test_template_missing(void **state)
{
    (void)state;
    char *dir = template_dir("tmpl-missing", good_sender, NULL);
    struct sg_notice_templates *t = NULL;
    const char *error = NULL;
    assert_int_equal(sg_notice_templates_load(dir, &t, &error), -1);
    assert_non_null(strstr(error, "held-dsl.txt: No such file or directory"));
    assert_null(t);
    free(dir);
    assert_int_equal(sg_notice_templates_load("", &t, &error), -1);
    assert_int_equal(
        sg_notice_templates_load("/nonexistent/sg-templates", &t, &error), -1);
    assert_non_null(strstr(error, "/nonexistent/sg-templates/held-sender.txt"));

    /* the review tool's templates are required too, and checked alike */
    const char *const no_digest[SG_NOTICE_KINDS] = {
        good_sender, good_dsl, good_rejected, NULL,
        good_sender, good_dsl,    good_dsl, good_dsl};
    dir = template_dir_kinds("tmpl-no-digest", no_digest);
    assert_int_equal(sg_notice_templates_load(dir, &t, &error), -1);
    assert_non_null(strstr(error, "digest-dsl.txt: No such file or directory"));
    free(dir);
    const char *const bad_rejected[SG_NOTICE_KINDS] = {
        good_sender, good_dsl, "Subject: x\n\n{note}\n", good_digest,
        good_sender, good_dsl, good_dsl, good_dsl};
    dir = template_dir_kinds("tmpl-bad-rejected", bad_rejected);
    assert_int_equal(sg_notice_templates_load(dir, &t, &error), -1);
    assert_non_null(
        strstr(error, "rejected-sender.txt:3: unknown placeholder {note}"));
    assert_null(t);
    free(dir);
}

/* ------------------------------------------------------------ rendering */

static struct sg_notice_templates *
good_templates(void)
{
    char *dir = template_dir("tmpl-render", good_sender, good_dsl);
    struct sg_notice_templates *t = NULL;
    const char *error = NULL;
    assert_int_equal(sg_notice_templates_load(dir, &t, &error), 0);
    free(dir);
    return t;
}

static const char *const ann[] = {"ann@school.example"};

static const struct sg_notice_envelope test_env = {
    .from = "safeguarding@school.example",
    .from_name = "School Safeguarding",
    .to = ann,
    .n_to = 1,
    .now = 1704099600, /* Monday 1 January 2024 09:00:00 UTC */
    .message_id = "<test@school.example>",
};

static const struct sg_notice_values test_values = {
    .record = "SG-2024-0001",
    .queue_id = "4TzXyZ1abc",
    .sender = "Ann Teacher <ann@school.example>",
    .recipients = "pupil@school.example (pupil)",
    .subject = "Maths homework",
    .explanation = "Line one.\r\nLine two, caf\xc3\xa9 \xe2\x98\x95.",
    .dsl = "Mrs A Khan (DSL)",
    .date = NULL, /* from now */
};

static char *
render(const struct sg_notice_templates *t, enum sg_notice_kind kind,
       const struct sg_notice_values *v, const struct sg_notice_envelope *env)
{
    struct sg_notice_key *key = test_key();
    char *msg = NULL;
    const char *error = NULL;
    int r = sg_notice_render(t, kind, v, env, key, &msg, &error);
    if (r != 0)
        print_error("render: %s\n", error);
    assert_int_equal(r, 0);
    sg_notice_key_free(&key);
    return msg;
}

/* The body: everything after the first empty line. */
static const char *
body_of(const char *msg)
{
    const char *p = strstr(msg, "\n\n");
    assert_non_null(p);
    return p + 2;
}

static void
test_render_exact(void **state)
{
    (void)state;
    struct sg_notice_templates *t = good_templates();
    char *msg = render(t, SG_NOTICE_HELD_SENDER, &test_values, &test_env);
    static const char expected[] =
        "Date: Mon, 01 Jan 2024 09:00:00 +0000\n"
        "From: \"School Safeguarding\" <safeguarding@school.example>\n"
        "To: ann@school.example\n"
        "Subject: Held: Maths homework\n"
        "X-Record: SG-2024-0001\n"
        "Message-ID: <test@school.example>\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "Auto-Submitted: auto-generated\n"
        "X-Auto-Response-Suppress: All\n"
        "X-Safeguard-Notice: v=1; t=1704099600;\n"
        "\tmac=Syy7NorGeB8uBnUql4s2fHK0+l6fQAaGJXGnQ184eFk=\n"
        "\n"
        "Hello Ann Teacher <ann@school.example>,\n"
        "Your message to pupil@school.example (pupil) is held (SG-2024-0001,\n"
        "4TzXyZ1abc).\n"
        "Line one.\n"
        "Line two, caf\xc3\xa9 \xe2\x98\x95.\n"
        "Ask Mrs A Khan (DSL). {not a placeholder} (a } alone is itself)\n"
        "Held on Monday 1 January 2024 at 09:00 UTC.\n";
    assert_string_equal(msg, expected);
    free(msg);
    sg_notice_templates_free(&t);
}

/* Each kind is rendered from its own file and carries the keyed marker,
 * which verifies for its recipients and body. */
static void
test_render_each_kind(void **state)
{
    (void)state;
    static const char *const names[SG_NOTICE_KINDS] = {
        [SG_NOTICE_HELD_SENDER] = "held-sender.txt",
        [SG_NOTICE_HELD_DSL] = "held-dsl.txt",
        [SG_NOTICE_REJECTED_SENDER] = "rejected-sender.txt",
        [SG_NOTICE_DIGEST_DSL] = "digest-dsl.txt",
        [SG_NOTICE_REFUSED_SENDER] = "refused-sender.txt",
        [SG_NOTICE_REFUSED_DSL] = "refused-dsl.txt",
        [SG_NOTICE_DELIVERED_DSL] = "delivered-dsl.txt",
        [SG_NOTICE_RELEASED_SENDER] = "released-sender.txt",
        [SG_NOTICE_REQUEST_DSL] = "request-dsl.txt",
    };
    char text[SG_NOTICE_KINDS][128];
    const char *texts[SG_NOTICE_KINDS];
    for (int k = 0; k < SG_NOTICE_KINDS; k++) {
        assert_string_equal(sg_notice_kind_file(k), names[k]);
        snprintf(text[k], sizeof(text[k]),
                 "Subject: from %s {record}\n\nbody of %s\n", names[k],
                 names[k]);
        texts[k] = text[k];
    }
    assert_null(sg_notice_kind_file(SG_NOTICE_KINDS));
    char *dir = template_dir_kinds("tmpl-kinds", texts);
    struct sg_notice_templates *t = NULL;
    const char *error = NULL;
    assert_int_equal(sg_notice_templates_load(dir, &t, &error), 0);
    free(dir);
    struct sg_notice_key *key = test_key();
    for (int k = 0; k < SG_NOTICE_KINDS; k++) {
        char *msg = render(t, k, &test_values, &test_env);
        char want[128];
        snprintf(want, sizeof(want), "\nSubject: from %s SG-2024-0001\n",
                 names[k]);
        assert_non_null(strstr(msg, want));
        snprintf(want, sizeof(want), "body of %s\n", names[k]);
        assert_string_equal(body_of(msg), want);
        const char *h = strstr(msg, "\nX-Safeguard-Notice: ");
        assert_non_null(h);
        h += strlen("\nX-Safeguard-Notice: ");
        char *value = strndup(h, (size_t)(strstr(h, "\n\n") - h));
        assert_non_null(value);
        const char *why = NULL;
        assert_int_equal(sg_notice_verify(key, value, ann, 1, body_of(msg),
                                          strlen(body_of(msg)), test_env.now,
                                          &why),
                         1);
        free(value);
        free(msg);
    }
    sg_notice_key_free(&key);
    sg_notice_templates_free(&t);
}

/* The MAC, computed here from the documented construction, matches the
 * module's. */
/* The release request's token: an HMAC of its own context and the record
 * id under the notice key, base64url without padding; refused for another
 * record, another key, any change, and anything that is not a token. */
static void
test_request_token(void **state)
{
    (void)state;
    unsigned char key[crypto_auth_KEYBYTES];
    static const unsigned char personal[] = "safeguard-milter notice key v1";
    crypto_generichash(key, sizeof(key), test_secret, sizeof(test_secret) - 1,
                       personal, sizeof(personal) - 1);
    static const char msg[] =
        "safeguard-release-request\nv=1\nSG-20260101-A1B2C3";
    unsigned char mac[crypto_auth_BYTES];
    crypto_auth(mac, (const unsigned char *)msg, strlen(msg), key);
    char want[SG_NOTICE_TOKEN_LEN + 1];
    sodium_bin2base64(want, sizeof(want), mac, sizeof(mac),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);

    struct sg_notice_key *k = test_key();
    char token[SG_NOTICE_TOKEN_LEN + 1];
    const char *error = NULL;
    assert_int_equal(
        sg_notice_request_token(k, "SG-20260101-A1B2C3", token, &error), 0);
    assert_string_equal(token, want);
    assert_int_equal(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
                                    "nopqrstuvwxyz0123456789-_"),
                     SG_NOTICE_TOKEN_LEN);
    assert_true(sg_notice_request_valid(k, "SG-20260101-A1B2C3", token));

    /* another record, another key */
    assert_false(sg_notice_request_valid(k, "SG-20260101-A1B2C4", token));
    struct sg_notice_key *other = NULL;
    assert_int_equal(
        sg_notice_key_new("another secret of thirty-two bytes!!", 36, &other,
                          &error),
        0);
    assert_false(sg_notice_request_valid(other, "SG-20260101-A1B2C3", token));
    sg_notice_key_free(&other);

    /* every character changed in turn */
    for (size_t i = 0; i < SG_NOTICE_TOKEN_LEN; i++) {
        char t[SG_NOTICE_TOKEN_LEN + 1];
        memcpy(t, token, sizeof(t));
        t[i] = t[i] == 'A' ? 'B' : 'A';
        assert_false(sg_notice_request_valid(k, "SG-20260101-A1B2C3", t));
    }
    /* not a token: cut, longer, padded, the standard alphabet, empty */
    char t[SG_NOTICE_TOKEN_LEN + 8];
    snprintf(t, sizeof(t), "%.*s", SG_NOTICE_TOKEN_LEN - 1, token);
    assert_false(sg_notice_request_valid(k, "SG-20260101-A1B2C3", t));
    snprintf(t, sizeof(t), "%sA", token);
    assert_false(sg_notice_request_valid(k, "SG-20260101-A1B2C3", t));
    snprintf(t, sizeof(t), "%s=", token);
    assert_false(sg_notice_request_valid(k, "SG-20260101-A1B2C3", t));
    assert_false(sg_notice_request_valid(k, "SG-20260101-A1B2C3", ""));
    assert_false(sg_notice_request_valid(k, "SG-20260101-A1B2C3", NULL));
    assert_false(sg_notice_request_valid(k, "", token));
    assert_false(sg_notice_request_valid(k, NULL, token));
    assert_false(sg_notice_request_valid(NULL, "SG-20260101-A1B2C3", token));
    /* a notice marker's MAC under the same key is no token */
    char b64[SG_NOTICE_TOKEN_LEN + 3];
    crypto_auth(mac, (const unsigned char *)"SG-20260101-A1B2C3", 18, key);
    sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_false(sg_notice_request_valid(k, "SG-20260101-A1B2C3", b64));

    /* the link, under review_url (a trailing slash is not doubled), or a
     * sentence when there is no page */
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_notice_request_link("https://review.school.example/",
                                            k, "SG-20260101-A1B2C3", &b,
                                            &error),
                     0);
    char link[256];
    snprintf(link, sizeof(link),
             "https://review.school.example/request/SG-20260101-A1B2C3?k=%s",
             token);
    assert_string_equal(b.data, link);
    sg_buf_free(&b);
    assert_int_equal(
        sg_notice_request_link("", k, "SG-20260101-A1B2C3", &b, &error), 0);
    assert_null(strstr(b.data, token));
    assert_non_null(strstr(b.data, "reply to this email"));
    sg_buf_free(&b);
    assert_int_equal(sg_notice_request_token(NULL, "SG-1", token, &error),
                     -1);
    sg_notice_key_free(&k);
}

static void
test_mac_construction(void **state)
{
    (void)state;
    const char *body = "Hello\nworld\n";
    const char *const rc[] = {"<Bob@School.example>", "ann@school.example"};
    unsigned char key[crypto_auth_KEYBYTES];
    static const unsigned char personal[] = "safeguard-milter notice key v1";
    crypto_generichash(key, sizeof(key), test_secret, sizeof(test_secret) - 1,
                       personal, sizeof(personal) - 1);
    unsigned char h[32];
    crypto_hash_sha256(h, (const unsigned char *)body, strlen(body));
    struct sg_buf m = SG_BUF_INIT;
    assert_int_equal(sg_buf_puts(&m, "safeguard-notice\nv=1\nt=1704099600\n"
                                     "n=2\nr=18:ann@school.example\n"
                                     "r=18:bob@school.example\nb="),
                     0);
    assert_int_equal(sg_buf_append(&m, h, sizeof(h)), 0);
    unsigned char mac[crypto_auth_BYTES];
    crypto_auth(mac, (const unsigned char *)m.data, m.len, key);
    sg_buf_free(&m);
    char b64[64], want[128];
    sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
                      sodium_base64_VARIANT_ORIGINAL);
    snprintf(want, sizeof(want), "v=1; t=1704099600; mac=%s", b64);

    struct sg_notice_key *k = test_key();
    char *value = NULL;
    const char *error = NULL;
    assert_int_equal(sg_notice_mark(k, 1704099600, rc, 2, body, strlen(body),
                                    &value, &error),
                     0);
    assert_string_equal(value, want);
    free(value);
    sg_notice_key_free(&k);
}

static bool
has_line_starting(const char *msg, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *p = msg; p != NULL && *p != '\0';) {
        if (strncasecmp(p, prefix, n) == 0)
            return true;
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return false;
}

static const struct {
    const char *name;
    const char *subject;
    const char *record;
    const char *from_name;
} injections[] = {
    {"LF in subject", "Hi\nBcc: evil@example.org", "R1", "Safeguarding"},
    {"CRLF in subject", "Hi\r\nBcc: evil@example.org", "R1", "Safeguarding"},
    {"CR in subject", "Hi\rBcc: evil@example.org", "R1", "Safeguarding"},
    {"CRLF and blank line", "Hi\r\n\r\nBcc: evil@example.org", "R1", "S"},
    {"CRLF in another header", "Hi", "R1\r\nBcc: evil@example.org", "S"},
    {"CRLF in the From name", "Hi", "R1",
     "Safe\r\nBcc: evil@example.org\r\n"},
    {"quotes in the From name", "Hi", "R1", "A \"B\" \\ C\nBcc: x@y.z"},
    {"blank line into the body", "Hi\n\nBcc: evil@example.org", "R1\n\nBcc: x@y.z",
     "S"},
    {"NUL-free controls", "Hi\x01\x1b\x7f\tBcc: evil@example.org", "R1",
     "S"},
};

static void
test_render_no_header_injection(void **state)
{
    (void)state;
    struct sg_notice_templates *t = good_templates();
    for (size_t i = 0; i < sizeof(injections) / sizeof(injections[0]); i++) {
        struct sg_notice_values v = test_values;
        v.subject = injections[i].subject;
        v.record = injections[i].record;
        struct sg_notice_envelope env = test_env;
        env.from_name = injections[i].from_name;
        char *msg = render(t, SG_NOTICE_HELD_SENDER, &v, &env);
        const char *body = body_of(msg);
        size_t hlen = (size_t)(body - msg);
        char *headers = strndup(msg, hlen);
        if (has_line_starting(headers, "Bcc:"))
            print_error("case \"%s\":\n%s\n", injections[i].name, headers);
        assert_false(has_line_starting(headers, "Bcc:"));
        /* every header line is a header or a continuation */
        for (const char *p = headers; *p != '\0' && *p != '\n';) {
            const char *colon = strchr(p, ':');
            assert_true(*p == ' ' || *p == '\t' ||
                        (colon != NULL && colon < strchr(p, '\n')));
            for (const char *q = p; *q != '\n'; q++)
                assert_true((unsigned char)*q >= 0x20 || *q == '\t');
            p = strchr(p, '\n') + 1;
        }
        /* the subject's words are still there, on one logical line */
        assert_non_null(strstr(headers, "Subject: Held: Hi"));
        /* in the body too, a one-line value stays on one line */
        assert_false(has_line_starting(body, "Bcc:"));
        free(headers);
        free(msg);
    }
    sg_notice_templates_free(&t);
}

static void
test_render_utf8_and_wrap(void **state)
{
    (void)state;
    struct sg_notice_templates *t = good_templates();
    struct sg_notice_values v = test_values;
    v.subject = "R\xc3\xa9sum\xc3\xa9 for \xe2\x80\x9cJos\xc3\xa9\xe2\x80\x9d";
    v.explanation =
        "- This is a very long line of explanation that goes on and on past "
        "the seventy-eight column limit of a plain text message, caf\xc3\xa9.";
    v.sender = "bad \xff byte";
    char *msg = render(t, SG_NOTICE_HELD_SENDER, &v, &test_env);
    /* non-ASCII subject: RFC 2047, decodes back to the text */
    const char *s = strstr(msg, "\nSubject: =?UTF-8?B?");
    assert_non_null(s);
    s += strlen("\nSubject: =?UTF-8?B?");
    const char *e = strstr(s, "?=");
    assert_non_null(e);
    unsigned char dec[256];
    size_t dlen = 0;
    assert_int_equal(sodium_base642bin(dec, sizeof(dec), s, (size_t)(e - s),
                                       NULL, &dlen, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    dec[dlen] = '\0';
    assert_string_equal((char *)dec, "Held: R\xc3\xa9sum\xc3\xa9 for "
                                     "\xe2\x80\x9cJos\xc3\xa9\xe2\x80\x9d");
    /* body: UTF-8 kept, the long line wrapped with a hanging indent */
    const char *body = body_of(msg);
    assert_non_null(strstr(body,
                           "- This is a very long line of explanation that "
                           "goes on and on past the\n"
                           "  seventy-eight column limit of a plain text "
                           "message, caf\xc3\xa9.\n"));
    /* invalid UTF-8 replaced */
    assert_non_null(strstr(body, "Hello bad \xef\xbf\xbd byte,"));
    for (const char *p = msg; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        assert_true(nl - p <= 78 || strncmp(p, "Your message", 12) == 0);
        p = nl + 1;
    }
    free(msg);
    sg_notice_templates_free(&t);
}

static void
test_render_refuses_bad_addresses(void **state)
{
    (void)state;
    struct sg_notice_templates *t = good_templates();
    struct sg_notice_key *key = test_key();
    static const char *const bad[] = {
        "-oQ/tmp@example.org", "", "a b@example.org", "a\n@example.org",
        "no-at-sign",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sg_notice_envelope env = test_env;
        const char *const to[] = {bad[i]};
        env.to = to;
        char *msg = NULL;
        const char *error = NULL;
        assert_int_equal(sg_notice_render(t, SG_NOTICE_HELD_SENDER,
                                          &test_values, &env, key, &msg,
                                          &error),
                         -1);
        assert_null(msg);
        assert_non_null(strstr(error, "recipient address"));
        env = test_env;
        env.from = bad[i];
        assert_int_equal(sg_notice_render(t, SG_NOTICE_HELD_SENDER,
                                          &test_values, &env, key, &msg,
                                          &error),
                         -1);
        assert_non_null(strstr(error, "sender address"));
    }
    sg_notice_key_free(&key);
    sg_notice_templates_free(&t);
}

/* ------------------------------------------------------------ the mark */

enum mac_change {
    MC_NONE,
    MC_BODY,           /* one word changed */
    MC_BODY_CRLF,      /* LF -> CRLF */
    MC_BODY_TRAILING,  /* spaces at line ends, blank lines at the end */
    MC_BODY_DROP_LINE, /* a line removed */
    MC_RCPT_OTHER,     /* another recipient */
    MC_RCPT_EXTRA,     /* one more recipient */
    MC_RCPT_FEWER,     /* one recipient fewer */
    MC_RCPT_CASE,      /* same set, other order, case and <> */
    MC_KEY,            /* another key */
    MC_FOLDED,         /* header folded differently */
};

static const struct {
    const char *name;
    enum mac_change change;
    long long dt; /* now - time of marking */
    int want;
} mac_cases[] = {
    {"valid", MC_NONE, 0, 1},
    {"valid a minute later", MC_NONE, 60, 1},
    {"valid after 7 days exactly", MC_NONE, 7 * 86400, 1},
    {"too old", MC_NONE, 7 * 86400 + 1, 0},
    {"4 minutes in the future", MC_NONE, -240, 1},
    {"6 minutes in the future", MC_NONE, -360, 0},
    {"altered body", MC_BODY, 0, 0},
    {"line removed", MC_BODY_DROP_LINE, 0, 0},
    {"CRLF body", MC_BODY_CRLF, 0, 1},
    {"trailing white space", MC_BODY_TRAILING, 0, 1},
    {"other recipient", MC_RCPT_OTHER, 0, 0},
    {"extra recipient", MC_RCPT_EXTRA, 0, 0},
    {"fewer recipients", MC_RCPT_FEWER, 0, 0},
    {"recipients reordered, case, <>", MC_RCPT_CASE, 0, 1},
    {"wrong key", MC_KEY, 0, 0},
    {"folded header", MC_FOLDED, 0, 1},
};

static void
test_mac_cases(void **state)
{
    (void)state;
    const char *body = "Dear DSL,\n\nA message was held.\nReference: R1\n";
    const char *const rc[] = {"dsl1@school.example", "dsl2@school.example"};
    const time_t t0 = 1704099600;
    struct sg_notice_key *key = test_key();
    struct sg_notice_key *other = NULL;
    const char *error = NULL;
    assert_int_equal(
        sg_notice_key_new("another secret of thirty-two bytes!!", 36, &other,
                          &error),
        0);
    char *mark = NULL;
    assert_int_equal(
        sg_notice_mark(key, t0, rc, 2, body, strlen(body), &mark, &error), 0);
    for (size_t i = 0; i < sizeof(mac_cases) / sizeof(mac_cases[0]); i++) {
        const char *b = body;
        const char *const *r = rc;
        size_t nr = 2;
        const struct sg_notice_key *k = key;
        char *hv = strdup(mark);
        const char *const other_rc[] = {"dsl1@school.example",
                                        "pupil@school.example"};
        const char *const extra_rc[] = {"dsl1@school.example",
                                        "dsl2@school.example",
                                        "pupil@school.example"};
        const char *const case_rc[] = {"<DSL2@School.Example>",
                                       "dsl1@school.example"};
        switch (mac_cases[i].change) {
        case MC_NONE:
            break;
        case MC_BODY:
            b = "Dear DSL,\n\nA message was held.\nReference: R2\n";
            break;
        case MC_BODY_DROP_LINE:
            b = "Dear DSL,\n\nReference: R1\n";
            break;
        case MC_BODY_CRLF:
            b = "Dear DSL,\r\n\r\nA message was held.\r\nReference: R1\r\n";
            break;
        case MC_BODY_TRAILING:
            b = "Dear DSL,  \n\t\nA message was held. \r\nReference: R1\n\n\n";
            break;
        case MC_RCPT_OTHER:
            r = other_rc;
            break;
        case MC_RCPT_EXTRA:
            r = extra_rc;
            nr = 3;
            break;
        case MC_RCPT_FEWER:
            nr = 1;
            break;
        case MC_RCPT_CASE:
            r = case_rc;
            break;
        case MC_KEY:
            k = other;
            break;
        case MC_FOLDED: {
            free(hv);
            const char *m = strstr(mark, "mac=");
            assert_true(asprintf(&hv, "  v=1;\r\n\tt=%lld ;\r\n %s\r\n",
                                 (long long)t0, m) > 0);
            break;
        }
        }
        const char *why = NULL;
        int got = sg_notice_verify(k, hv, r, nr, b, strlen(b),
                                   t0 + mac_cases[i].dt, &why);
        if (got != mac_cases[i].want)
            print_error("case \"%s\": got %d (%s)\n", mac_cases[i].name, got,
                        why ? why : "");
        assert_int_equal(got, mac_cases[i].want);
        assert_non_null(why);
        free(hv);
    }
    free(mark);
    sg_notice_key_free(&key);
    sg_notice_key_free(&other);
}

static void
test_mac_malformed(void **state)
{
    (void)state;
    const char *body = "x\n";
    const char *const rc[] = {"a@school.example"};
    const time_t t0 = 1704099600;
    struct sg_notice_key *key = test_key();
    char *mark = NULL;
    const char *error = NULL;
    assert_int_equal(sg_notice_mark(key, t0, rc, 1, body, 2, &mark, &error),
                     0);
    const char *mac = strstr(mark, "mac=") + 4;
    char buf[1024];
    char *cases[32];
    size_t n = 0;
#define ADD(...)                                                              \
    do {                                                                      \
        snprintf(buf, sizeof(buf), __VA_ARGS__);                              \
        cases[n++] = strdup(buf);                                             \
    } while (0)
    ADD("%s", "");
    ADD("%s", "v=1");
    ADD("%s", "garbage");
    ADD("v=2; t=%lld; mac=%s", (long long)t0, mac);
    ADD("v=1; t=%lld; mac=%s; v=1", (long long)t0, mac);
    ADD("v=1; t=%lld; t=%lld; mac=%s", (long long)t0, (long long)t0, mac);
    ADD("v=1; t=-%lld; mac=%s", (long long)t0, mac);
    ADD("v=1; t=%lldx; mac=%s", (long long)t0, mac);
    ADD("v=1; t=; mac=%s", mac);
    ADD("v=1; t=99999999999999999999; mac=%s", mac);
    ADD("v=1; t=%lld; mac=", (long long)t0);
    ADD("v=1; t=%lld; mac=!!!!", (long long)t0);
    ADD("v=1; t=%lld; mac=%.40s", (long long)t0, mac); /* short */
    ADD("v=1; t=%lld; mac=%sAAAA", (long long)t0, mac); /* long */
    ADD("v=1; t=%lld; mac=%s; x=1", (long long)t0, mac);
    ADD("v=1; t=%lld", (long long)t0);
    ADD("t=%lld; mac=%s", (long long)t0, mac);
    ADD("v=1; t=%lld; mac %s", (long long)t0, mac);
    memset(buf, 'A', 900);
    buf[900] = '\0';
    cases[n++] = strdup(buf);
#undef ADD
    for (size_t i = 0; i < n; i++) {
        const char *why = NULL;
        int got = sg_notice_verify(key, cases[i], rc, 1, body, 2, t0, &why);
        if (got != 0)
            print_error("accepted \"%s\"\n", cases[i]);
        assert_int_equal(got, 0);
        free(cases[i]);
    }
    /* and the genuine one, for contrast */
    assert_int_equal(sg_notice_verify(key, mark, rc, 1, body, 2, t0, NULL), 1);
    /* no recipients, no key, no marker */
    assert_int_equal(sg_notice_verify(key, mark, rc, 0, body, 2, t0, NULL), 0);
    assert_int_equal(sg_notice_verify(NULL, mark, rc, 1, body, 2, t0, NULL), 0);
    assert_int_equal(sg_notice_verify(key, NULL, rc, 1, body, 2, t0, NULL), 0);
    free(mark);
    sg_notice_key_free(&key);
}

static void
test_secret_file(void **state)
{
    (void)state;
    char *dir = subdir("secret");
    char path[4096];
    struct sg_notice_key *key = NULL;
    const char *error = NULL;
    unsigned char bytes[64];
    randombytes_buf(bytes, sizeof(bytes));
    bytes[0] = 0x01; /* random bytes, not text, whatever the draw */

    /* too short: 31 bytes */
    snprintf(path, sizeof(path), "%s/short.key", dir);
    write_bytes(path, bytes, 31, 0600);
    assert_int_equal(sg_notice_secret_load(path, &key, &error), -1);
    assert_non_null(strstr(error, "short.key: the secret is 31 bytes; at "
                                  "least 32 are needed"));
    assert_null(key);

    /* 31 bytes and a newline: still too short */
    write_file(dir, "short-nl.key", "0123456789012345678901234567890\n",
               0600);
    snprintf(path, sizeof(path), "%s/short-nl.key", dir);
    assert_int_equal(sg_notice_secret_load(path, &key, &error), -1);
    assert_non_null(strstr(error, "31 bytes"));

    /* 32 random bytes: fine; and the same secret with a newline is the
     * same key */
    snprintf(path, sizeof(path), "%s/good.key", dir);
    write_bytes(path, "0123456789abcdef0123456789abcdef", 32, 0640);
    assert_int_equal(sg_notice_secret_load(path, &key, &error), 0);
    struct sg_notice_key *key2 = NULL;
    write_file(dir, "good-nl.key", "0123456789abcdef0123456789abcdef\n",
               0400);
    snprintf(path, sizeof(path), "%s/good-nl.key", dir);
    assert_int_equal(sg_notice_secret_load(path, &key2, &error), 0);
    const char *const rc[] = {"a@school.example"};
    char *mark = NULL;
    assert_int_equal(
        sg_notice_mark(key, 1704099600, rc, 1, "b\n", 2, &mark, &error), 0);
    assert_int_equal(
        sg_notice_verify(key2, mark, rc, 1, "b\n", 2, 1704099600, NULL), 1);
    free(mark);
    sg_notice_key_free(&key);
    sg_notice_key_free(&key2);

    /* random bytes that end in a newline: the newline is part of the
     * key, so 32 such bytes are enough (a text secret's would not be) */
    bytes[31] = '\n';
    snprintf(path, sizeof(path), "%s/random-nl.key", dir);
    write_bytes(path, bytes, 32, 0600);
    assert_int_equal(sg_notice_secret_load(path, &key, &error), 0);
    sg_notice_key_free(&key);

    /* readable by others */
    snprintf(path, sizeof(path), "%s/open.key", dir);
    write_bytes(path, bytes, 64, 0644);
    assert_int_equal(sg_notice_secret_load(path, &key, &error), -1);
    assert_non_null(strstr(error, "readable or writable by others"));

    /* missing, a directory, too big, none */
    snprintf(path, sizeof(path), "%s/missing.key", dir);
    assert_int_equal(sg_notice_secret_load(path, &key, &error), -1);
    assert_non_null(strstr(error, "missing.key: No such file or directory"));
    assert_int_equal(sg_notice_secret_load(dir, &key, &error), -1);
    assert_non_null(strstr(error, "not a regular file"));
    char *big = calloc(1, 5000);
    memset(big, 'x', 4999);
    write_file(dir, "big.key", big, 0600);
    free(big);
    snprintf(path, sizeof(path), "%s/big.key", dir);
    assert_int_equal(sg_notice_secret_load(path, &key, &error), -1);
    assert_non_null(strstr(error, "larger than"));
    assert_int_equal(sg_notice_secret_load("", &key, &error), -1);
    assert_int_equal(sg_notice_key_new("short", 5, &key, &error), -1);
    assert_non_null(strstr(error, "at least 32"));
    free(dir);
}

/* ------------------------------------------------------------ sending */

static const char fake_ok[] =
    "#!/bin/sh\n"
    "d=${0%/*}\n"
    ": > \"$d/argv\"\n"
    "for a in \"$@\"; do printf '%s\\n' \"$a\" >> \"$d/argv\"; done\n"
    "env > \"$d/env\"\n"
    "cat > \"$d/stdin\"\n"
    "exit 0\n";

static char *
fake_dir(const char *name, const char *script)
{
    char *dir = subdir(name);
    write_file(dir, "sendmail", script, 0755);
    return dir;
}

static struct sg_notice_sender *
sender_for(const char *dir, const char *args, unsigned timeout_ms)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "%s/sendmail %s", dir, args);
    struct sg_notice_sender *s = NULL;
    const char *error = NULL;
    int r = sg_notice_sender_new(cmd, timeout_ms, &s, &error);
    if (r != 0)
        print_error("sender: %s\n", error);
    assert_int_equal(r, 0);
    return s;
}

static void
test_send_argv_literal(void **state)
{
    (void)state;
    char *dir = fake_dir("send-ok", fake_ok);
    struct sg_notice_sender *s =
        sender_for(dir, "-i -f {from} -- {to}", 10000);
    static const char *const to[] = {
        "ann@school.example",
        "a;touch${IFS}/tmp/sg-pwned;@example.org",
        "x$(id)y@example.org",
        "`id`@example.org",
        "'q\"@example.org",
    };
    const char *error = NULL;
    const char *msg = "Subject: t\n\nbody $(id) `id`\n";
    int r = sg_notice_send(s, "safe$HOME@school.example", to, 5, msg, &error);
    if (r != 0)
        print_error("send: %s\n", error);
    assert_int_equal(r, 0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/argv", dir);
    char *argv = slurp(path);
    assert_string_equal(argv, "-i\n-f\nsafe$HOME@school.example\n--\n"
                              "ann@school.example\n"
                              "a;touch${IFS}/tmp/sg-pwned;@example.org\n"
                              "x$(id)y@example.org\n"
                              "`id`@example.org\n"
                              "'q\"@example.org\n");
    free(argv);
    assert_int_equal(access("/tmp/sg-pwned", F_OK), -1);
    snprintf(path, sizeof(path), "%s/stdin", dir);
    char *in = slurp(path);
    assert_string_equal(in, msg);
    free(in);
    /* the command gets a small fixed environment, nothing of ours */
    setenv("SG_TEST_LEAK", "yes", 1);
    assert_int_equal(sg_notice_send(s, "safe@school.example", to, 1, msg,
                                    &error),
                     0);
    unsetenv("SG_TEST_LEAK");
    snprintf(path, sizeof(path), "%s/env", dir);
    char *env = slurp(path);
    assert_non_null(strstr(env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
    assert_null(strstr(env, "SG_TEST_LEAK"));
    assert_null(strstr(env, "LD_PRELOAD"));
    free(env);
    snprintf(path, sizeof(path), "%s/stdin", dir);

    /* an address starting with '-' is refused before anything runs */
    unlink(path);
    const char *const dash[] = {"-oQ/tmp/x@example.org"};
    assert_int_equal(sg_notice_send(s, "a@school.example", dash, 1, msg,
                                    &error),
                     -1);
    assert_non_null(strstr(error, "starts with '-'"));
    assert_int_equal(sg_notice_send(s, "-fevil@example.org", to, 1, msg,
                                    &error),
                     -1);
    assert_int_equal(access(path, F_OK), -1);
    sg_notice_sender_free(&s);
    free(dir);
}

static void
test_send_quoted_command(void **state)
{
    (void)state;
    char *dir = subdir("with space");
    write_file(dir, "sendmail", fake_ok, 0755);
    char cmd[4096];
    /* {{ and }} are literal braces, as in the templates */
    snprintf(cmd, sizeof(cmd), "'%s/sendmail' -i \"-f{from}\" -o{{x}} {to}",
             dir);
    struct sg_notice_sender *s = NULL;
    const char *error = NULL;
    assert_int_equal(sg_notice_sender_new(cmd, 0, &s, &error), 0);
    const char *const to[] = {"a@example.org", "b@example.org"};
    assert_int_equal(sg_notice_send(s, "f@school.example", to, 2, "x\n",
                                    &error),
                     0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/argv", dir);
    char *argv = slurp(path);
    assert_string_equal(argv, "-i\n-ff@school.example\n-o{x}\na@example.org\n"
                              "b@example.org\n");
    free(argv);
    sg_notice_sender_free(&s);
    free(dir);
}

static void
test_send_big_message(void **state)
{
    (void)state;
    char *dir = fake_dir("send-big", fake_ok);
    struct sg_notice_sender *s = sender_for(dir, "{to}", 20000);
    size_t len = 3 * 1024 * 1024;
    char *msg = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        msg[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
    msg[len] = '\0';
    const char *const to[] = {"a@example.org"};
    const char *error = NULL;
    assert_int_equal(sg_notice_send(s, "f@school.example", to, 1, msg, &error),
                     0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/stdin", dir);
    char *in = slurp(path);
    assert_int_equal(strlen(in), len);
    assert_memory_equal(in, msg, len);
    free(in);
    free(msg);
    sg_notice_sender_free(&s);
    free(dir);
}

static const struct {
    const char *name;
    const char *script;
    unsigned timeout_ms;
    const char *error;
} send_failures[] = {
    {"exit 75",
     "#!/bin/sh\ncat >/dev/null\n"
     "echo 'sendmail: fatal: queue file write error' >&2\nexit 75\n",
     10000,
     "exited with status 75: sendmail: fatal: queue file write error"},
    {"killed by a signal", "#!/bin/sh\nkill -TERM $$\n", 10000,
     "was killed by signal 15"},
    {"exits early without reading",
     "#!/bin/sh\necho 'no thanks'\nexit 1\n", 10000,
     "exited with status 1: no thanks"},
    {"hangs", "#!/bin/sh\nsleep 30\n", 300,
     "did not finish within 300 ms and was killed"},
    {"hangs reading", "#!/bin/sh\nexec sleep 30\n", 300,
     "did not finish within 300 ms and was killed"},
};

static long long
ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_send_failures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(send_failures) / sizeof(send_failures[0]);
         i++) {
        char name[64];
        snprintf(name, sizeof(name), "send-fail-%zu", i);
        char *dir = fake_dir(name, send_failures[i].script);
        struct sg_notice_sender *s =
            sender_for(dir, "-i -- {to}", send_failures[i].timeout_ms);
        const char *const to[] = {"a@example.org"};
        const char *error = NULL;
        long long t = ms_now();
        int r = sg_notice_send(s, "f@school.example", to, 1,
                               "Subject: x\n\nbody\n", &error);
        long long took = ms_now() - t;
        if (r != -1 || strstr(error, send_failures[i].error) == NULL)
            print_error("case \"%s\": %d \"%s\"\n", send_failures[i].name, r,
                        error ? error : "(null)");
        assert_int_equal(r, -1);
        assert_non_null(strstr(error, send_failures[i].error));
        assert_true(took < 5000);
        sg_notice_sender_free(&s);
        free(dir);
    }
}

static const struct {
    const char *command;
    const char *error;
} command_errors[] = {
    {"", "empty"},
    {"sendmail -i -- {to}", "must be an absolute path"},
    {"/usr/sbin/sendmail -i -f {from}", "needs {to}"},
    {"/usr/sbin/sendmail {to} {to}", "{to} given twice"},
    {"/usr/sbin/sendmail -f {sender} {to}", "unknown placeholder"},
    {"/usr/sbin/sendmail -f{from {to}", "unknown placeholder"},
    {"/usr/sbin/sendmail --{to}", "{to} must be a word of its own"},
    {"/usr/sbin/sendmail 'unbalanced {to}", "unbalanced '"},
    {"/nonexistent/sendmail {to}", "/nonexistent/sendmail: No such file"},
};

static void
test_sender_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(command_errors) / sizeof(command_errors[0]);
         i++) {
        struct sg_notice_sender *s = NULL;
        const char *error = NULL;
        int r = sg_notice_sender_new(command_errors[i].command, 1000, &s,
                                     &error);
        if (r != -1 || strstr(error, command_errors[i].error) == NULL)
            print_error("command \"%s\": %d \"%s\"\n",
                        command_errors[i].command, r, error ? error : "");
        assert_int_equal(r, -1);
        assert_null(s);
        assert_non_null(strstr(error, command_errors[i].error));
    }
}

/* ------------------------------------------------------------ together */

/* What the milter will do: open from the config, deliver, then check the
 * delivered notice's marker against its envelope, also after the MTA has
 * turned LF into CRLF. */
static void
test_open_deliver_verify(void **state)
{
    (void)state;
    char *fdir = fake_dir("deliver", fake_ok);
    char cmd[4096], secret[4096];
    snprintf(cmd, sizeof(cmd), "%s/sendmail -i -f {from} -- {to}", fdir);
    snprintf(secret, sizeof(secret), "%s/notice.key", fdir);
    write_bytes(secret, test_secret, sizeof(test_secret) - 1, 0600);
    static const char *const dsl[] = {"dsl@school.example",
                                      "deputy.dsl@school.example"};
    struct sg_notice_config cfg = {
        .templates_dir = SG_TEST_SRCDIR "/contrib/templates",
        .sendmail = cmd,
        .secret_file = secret,
        .from = "safeguarding@school.example",
        .from_name = "Safeguarding",
        .dsl_addresses = dsl,
        .n_dsl_addresses = 2,
        .timeout = 5,
    };
    struct sg_notice *n = NULL;
    const char *error = NULL;
    int r = sg_notice_open(&cfg, &n, &error);
    if (r != 0)
        print_error("open: %s\n", error);
    assert_int_equal(r, 0);

    struct sg_notice_values v = test_values;
    v.link = "https://review.school.example/item/SG-2024-0001";
    v.explanation = "Your message to Pupil A is being held for Mrs A Khan "
                    "(DSL) to read before it is delivered, because it seems "
                    "to contain personal contact details: \"07700 900123\".";
    time_t now = time(NULL);
    struct sg_outbox_batch batch = {0};
    assert_int_equal(sg_notice_queue(n, SG_NOTICE_HELD_DSL, &v,
                                     (const char *const *)n->dsl_addresses,
                                     n->n_dsl_addresses, now, &batch, &error),
                     0);
    assert_int_equal(batch.n, 1);
    assert_string_equal(batch.items[0].kind, "held-dsl");
    assert_string_equal(batch.items[0].rcpts,
                        "dsl@school.example\ndeputy.dsl@school.example");
    assert_int_equal(sg_notice_send(n->sender, batch.items[0].env_from,
                                    (const char *const *)n->dsl_addresses,
                                    n->n_dsl_addresses,
                                    batch.items[0].message, &error),
                     0);
    char path[4096];
    snprintf(path, sizeof(path), "%s/stdin", fdir);
    char *msg = slurp(path);
    assert_non_null(strstr(msg, "\nTo: dsl@school.example, "
                                "deputy.dsl@school.example\n"));
    assert_non_null(strstr(msg, "\nSubject: Held for review: a message from "
                                "Ann Teacher <ann@school.example>\n"
                                " (SG-2024-0001)\n"));
    /* the DSL is sent to the record's page, not to a command line */
    assert_non_null(strstr(msg, "Open it here: https://review.school.example/"
                                "item/SG-2024-0001\n"));
    assert_null(strstr(msg, "safeguard-review"));
    /* the marker's value, unfolded */
    const char *h = strstr(msg, "\nX-Safeguard-Notice: ");
    assert_non_null(h);
    h += strlen("\nX-Safeguard-Notice: ");
    const char *hend = strstr(h, "\n\n");
    char *value = strndup(h, (size_t)(hend - h));
    const char *body = hend + 2;
    /* what the milter sees: recipients as given, in another order */
    const char *const seen[] = {"<Deputy.DSL@school.example>",
                                "dsl@school.example"};
    const char *why = NULL;
    assert_int_equal(sg_notice_verify(n->key, value, seen, 2, body,
                                      strlen(body), now + 10, &why),
                     1);
    /* CRLF on the wire */
    struct sg_buf crlf = SG_BUF_INIT;
    for (const char *p = body; *p != '\0'; p++)
        assert_int_equal(*p == '\n' ? sg_buf_puts(&crlf, "\r\n")
                                    : sg_buf_putc(&crlf, *p),
                         0);
    assert_int_equal(sg_notice_verify(n->key, value, seen, 2, crlf.data,
                                      crlf.len, now, &why),
                     1);
    /* replayed to a pupil: refused */
    const char *const pupil[] = {"pupil@school.example"};
    assert_int_equal(sg_notice_verify(n->key, value, pupil, 1, body,
                                      strlen(body), now, &why),
                     0);
    sg_buf_free(&crlf);
    /* the row's Message-ID is the one in the message */
    char mid_line[SG_NOTICE_MESSAGE_ID_MAX + 16];
    snprintf(mid_line, sizeof(mid_line), "\nMessage-ID: %s\n",
             batch.items[0].message_id);
    assert_non_null(strstr(msg, mid_line));
    sg_outbox_batch_free(&batch);
    free(value);
    free(msg);
    sg_notice_free(&n);
    assert_null(n);

    /* configuration errors */
    struct sg_notice_config bad = cfg;
    bad.n_dsl_addresses = 0;
    assert_int_equal(sg_notice_open(&bad, &n, &error), -1);
    assert_non_null(strstr(error, "dsl_addresses is empty"));
    bad = cfg;
    bad.from = "-f@x";
    assert_int_equal(sg_notice_open(&bad, &n, &error), -1);
    assert_non_null(strstr(error, "notice_from"));
    bad = cfg;
    bad.secret_file = "/nonexistent/notice.key";
    assert_int_equal(sg_notice_open(&bad, &n, &error), -1);
    assert_non_null(strstr(error, "/nonexistent/notice.key"));
    assert_null(n);
    free(fdir);
}

/* ------------------------------------------------------------ text */

static void
test_text_build(void **state)
{
    (void)state;
    char *notify_sd[] = {"sender", "dsl"};
    char *notify_d[] = {"dsl"};
    struct sg_finding f1[] = {
        {"uk-mobile", "07700 900123", "body"},
        {"personal-email", "ann.home@example.org", "body"},
    };
    struct sg_rule_match rules[] = {
        {.id = "personal-contact-details",
         .title = "Personal contact details sent to a pupil",
         .mode = SG_MODE_ENFORCE,
         .action = SG_ACTION_HOLD,
         .notify = notify_sd,
         .n_notify = 2,
         .findings = f1,
         .n_findings = 2,
         .explain_sender = "Sender text one.",
         .explain_dsl = "DSL text one."},
        {.id = "late-contact",
         .title = "Late contact",
         .mode = SG_MODE_TEST,
         .action = SG_ACTION_HOLD,
         .notify = notify_d,
         .n_notify = 1,
         .explain_sender = "Sender text two.",
         .explain_dsl = "DSL text two."},
    };
    struct sg_verdict verdict = {.action = SG_ACTION_HOLD,
                                 .rules = rules,
                                 .n_rules = 2};
    struct sg_person pupil = {0};
    char *roles[] = {"pupil"};
    pupil.display_name = "Pupil A";
    pupil.roles = roles;
    pupil.n_roles = 1;
    struct sg_party rc[] = {
        {"pupil.a@school.example", &pupil, SG_CHANNEL_SCHOOL},
        {"someone@example.org", NULL, SG_CHANNEL_NONE},
    };
    struct sg_notice_text t;
    const char *error = NULL;
    assert_int_equal(sg_notice_text_build(&verdict, rc, 2,
                                          SG_NOTICE_HELD_SENDER, &t, &error),
                     0);
    assert_string_equal(t.rules, "- Personal contact details sent to a pupil "
                                 "(rule personal-contact-details; action: "
                                 "hold)");
    assert_string_equal(t.findings,
                        "- uk-mobile \"07700 900123\" in body\n"
                        "- personal-email \"ann.home@example.org\" in body");
    assert_string_equal(t.explanation, "Sender text one.");
    assert_string_equal(t.recipients,
                        "- pupil.a@school.example - Pupil A (pupil)\n"
                        "- someone@example.org (external)");
    sg_notice_text_free(&t);
    /* the DSL: titles, policies and counts; no matched text, no
     * recipient's address or name */
    rules[0].policy = "Staff must not give pupils their personal number.";
    assert_int_equal(sg_notice_text_build(&verdict, rc, 2, SG_NOTICE_HELD_DSL,
                                          &t, &error),
                     0);
    assert_string_equal(t.rules,
                        "- Personal contact details sent to a pupil (rule "
                        "personal-contact-details; action: hold)\n"
                        "- Late contact (rule late-contact; test mode, would "
                        "have been: hold)");
    assert_string_equal(t.findings, "- 1 found by uk-mobile\n"
                                    "- 1 found by personal-email");
    assert_string_equal(t.recipients, "- 1 pupil\n- 1 outside address");
    assert_string_equal(t.explanation,
                        "Personal contact details sent to a pupil: Staff "
                        "must not give pupils their personal number.");
    const char *dsl_texts[] = {t.rules, t.findings, t.recipients,
                               t.explanation};
    for (size_t i = 0; i < 4; i++) {
        assert_null(strstr(dsl_texts[i], "07700"));
        assert_null(strstr(dsl_texts[i], "ann.home"));
        assert_null(strstr(dsl_texts[i], "Pupil A"));
        assert_null(strstr(dsl_texts[i], "pupil.a@"));
        assert_null(strstr(dsl_texts[i], "DSL text"));
    }
    sg_notice_text_free(&t);
    /* the review tool's kinds and the other outcomes: the same two
     * audiences */
    enum sg_notice_kind dsl_kinds[] = {SG_NOTICE_DIGEST_DSL,
                                       SG_NOTICE_REFUSED_DSL,
                                       SG_NOTICE_DELIVERED_DSL};
    for (size_t i = 0; i < 3; i++) {
        assert_true(sg_notice_for_dsl(dsl_kinds[i]));
        assert_int_equal(sg_notice_text_build(&verdict, rc, 2, dsl_kinds[i],
                                              &t, &error),
                         0);
        assert_string_equal(t.recipients, "- 1 pupil\n- 1 outside address");
        assert_null(strstr(t.findings, "07700"));
        sg_notice_text_free(&t);
    }
    assert_false(sg_notice_for_dsl(SG_NOTICE_HELD_SENDER));
    assert_false(sg_notice_for_dsl(SG_NOTICE_REFUSED_SENDER));
    assert_int_equal(sg_notice_text_build(&verdict, rc, 2,
                                          SG_NOTICE_REJECTED_SENDER, &t,
                                          &error),
                     0);
    assert_string_equal(t.explanation, "Sender text one.");
    sg_notice_text_free(&t);
    rules[0].policy = NULL;
    assert_true(sg_notice_wanted(&verdict, "sender"));
    assert_true(sg_notice_wanted(&verdict, "DSL"));
    rules[0].mode = SG_MODE_TEST;
    assert_false(sg_notice_wanted(&verdict, "dsl"));
}

/* A message held by one rule and copied to the archive by another: the
 * sender's notice explains the hold alone, never "delivered"; a refusal's
 * notice explains the refusing rule alone. */
static void
test_text_per_outcome(void **state)
{
    (void)state;
    char *notify_s[] = {"sender"};
    struct sg_rule_match rules[] = {
        {.id = "one-to-one",
         .title = "Private one-to-one",
         .mode = SG_MODE_ENFORCE,
         .action = SG_ACTION_JOURNAL,
         .notify = notify_s,
         .n_notify = 1,
         .explain_sender = "It has been copied to the archive and "
                           "delivered."},
        {.id = "contact",
         .title = "Contact details",
         .mode = SG_MODE_ENFORCE,
         .action = SG_ACTION_HOLD,
         .explain_sender = "It is being held for the DSL."},
        {.id = "personal",
         .title = "Personal account",
         .mode = SG_MODE_ENFORCE,
         .action = SG_ACTION_REJECT,
         .explain_sender = "It was not sent."},
    };
    struct sg_verdict v = {.action = SG_ACTION_HOLD,
                           .journal = true,
                           .rules = rules,
                           .n_rules = 2};
    struct sg_notice_text t;
    const char *error = NULL;
    assert_int_equal(sg_notice_text_build(&v, NULL, 0, SG_NOTICE_HELD_SENDER,
                                          &t, &error),
                     0);
    assert_string_equal(t.explanation, "It is being held for the DSL.");
    assert_null(strstr(t.rules, "one-to-one"));
    sg_notice_text_free(&t);
    assert_string_equal(sg_notice_outcome(&v), "held for review");

    v.action = SG_ACTION_REJECT;
    v.n_rules = 3;
    assert_int_equal(sg_notice_text_build(&v, NULL, 0,
                                          SG_NOTICE_REFUSED_SENDER, &t,
                                          &error),
                     0);
    assert_string_equal(t.explanation, "It was not sent.");
    assert_string_equal(t.rules, "- Personal account (rule personal; "
                                 "action: reject)");
    sg_notice_text_free(&t);
    assert_string_equal(sg_notice_outcome(&v), "refused");
    v.action = SG_ACTION_JOURNAL;
    assert_string_equal(sg_notice_outcome(&v),
                        "delivered, with a copy to the archive");
    v.action = SG_ACTION_ANNOTATE;
    v.journal = false;
    assert_string_equal(sg_notice_outcome(&v), "delivered");
}

/* The contact's words once; the link to the record's page. */
static void
test_contact_once_and_link(void **state)
{
    (void)state;
    static const char contact[] = "Mrs A Khan (DSL), extension 210";
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(
        sg_notice_contact_once(&b,
                               "Held for Mrs A Khan (DSL), extension 210 to "
                               "read.\n\nAsk Mrs A Khan (DSL), extension 210 "
                               "or Mrs A Khan (DSL), extension 210.",
                               contact),
        0);
    assert_string_equal(b.data,
                        "Held for Mrs A Khan (DSL), extension 210 to read.\n\n"
                        "Ask the Designated Safeguarding Lead or the "
                        "Designated Safeguarding Lead.");
    sg_buf_reset(&b);
    assert_int_equal(sg_notice_contact_once(&b, "No contact here.", contact),
                     0);
    assert_string_equal(b.data, "No contact here.");
    sg_buf_reset(&b);
    assert_int_equal(sg_notice_contact_once(&b, NULL, ""), 0);
    assert_string_equal(b.data, "");
    sg_buf_reset(&b);

    assert_int_equal(sg_notice_link("https://review.school.example/", "SG-1",
                                    &b),
                     0);
    assert_string_equal(b.data, "https://review.school.example/item/SG-1");
    sg_buf_reset(&b);
    assert_int_equal(sg_notice_link("https://review.school.example", NULL, &b),
                     0);
    assert_string_equal(b.data, "https://review.school.example/queue");
    sg_buf_reset(&b);
    assert_int_equal(sg_notice_link("", "SG-1", &b), 0);
    assert_string_equal(b.data, "safeguard-review show SG-1");
    sg_buf_free(&b);
}

/* The shipped templates: each says one outcome; the contact once; the
 * link (but for the refusal of a local submission, which may have no
 * record); no fixed "between staff and pupils" line; the DSL's no subject. */
static void
test_shipped_templates_read_right(void **state)
{
    (void)state;
    struct sg_notice_templates *t = NULL;
    const char *error = NULL;
    assert_int_equal(sg_notice_templates_load(
                         SG_TEST_SRCDIR "/contrib/templates", &t, &error),
                     0);
    struct sg_notice_values v = {
        .record = "SG-20240101-ABCDEF",
        .queue_id = "4TzXyZ1abc",
        .sender = "Ann Teacher <ann@school.example>",
        .recipients = "- 1 pupil",
        .subject = "Trip",
        .rules = "- Personal contact details (rule pcd; action: hold)",
        .findings = "- 1 found by uk-mobile",
        .explanation = "The explanation.",
        .dsl = "Mrs A Khan (DSL), extension 210",
        .date = "Monday 1 January 2024 at 09:00 GMT",
        .link = "https://review.school.example/item/SG-20240101-ABCDEF",
        .outcome = "delivered, with a copy to the archive",
    };
    static const struct {
        enum sg_notice_kind kind;
        const char *says, *never;
    } cases[] = {
        {SG_NOTICE_HELD_SENDER, "kept safe", "was not sent"},
        {SG_NOTICE_REFUSED_SENDER, "It was not sent", "kept safe"},
        {SG_NOTICE_HELD_DSL, "It has not been delivered", "refused"},
        {SG_NOTICE_REFUSED_DSL, "refused when it was sent", "held for you"},
        {SG_NOTICE_DELIVERED_DSL,
         "It was delivered, with a copy to the archive", "held for you"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *msg = render(t, cases[i].kind, &v, &test_env);
        const char *body = body_of(msg);
        char *flat = strdup(body); /* unwrapped, to find phrases */
        assert_non_null(flat);
        for (char *c = flat; *c != '\0'; c++)
            if (*c == '\n' && c[1] != '\n' && c > flat && c[-1] != '\n')
                *c = ' ';
        if (strstr(flat, cases[i].says) == NULL)
            print_error("%s: no \"%s\" in:\n%s\n",
                        sg_notice_kind_file(cases[i].kind), cases[i].says,
                        flat);
        assert_non_null(strstr(flat, cases[i].says));
        assert_null(strstr(flat, cases[i].never));
        assert_null(strstr(flat, "between staff and pupils"));
        /* a refusal of a local submission may have no record to link */
        if (cases[i].kind != SG_NOTICE_REFUSED_SENDER)
            assert_non_null(strstr(flat, v.link));
        /* the contact once at most */
        const char *first = strstr(flat, "Mrs A Khan");
        assert_true(first == NULL || strstr(first + 1, "Mrs A Khan") == NULL);
        if (sg_notice_for_dsl(cases[i].kind)) {
            assert_null(strstr(flat, "Trip"));
            assert_null(strstr(flat, "safeguard-review"));
        }
        free(flat);
        free(msg);
    }
    sg_notice_templates_free(&t);
}

/* Who is told of a record, by its track. */
static void
test_track_to(void **state)
{
    (void)state;
    const char *dsl[] = {"dsl@school.example"};
    const char *conduct[] = {"head@school.example", "hr@school.example"};
    const char *heads[] = {"Head@School.example"};
    const char *chair[] = {"chair@governors.example"};
    struct sg_notice_config c = {.dsl_addresses = dsl, .n_dsl_addresses = 1};
    struct sg_party pupil = {.address = "amy@school.example"};
    struct sg_party head = {.address = "head@school.example"};
    const char *const *to;
    size_t n;
    /* a single school's configuration: the DSLs hear of both */
    sg_notice_track_to(&c, SG_TRACK_STAFF_CONDUCT, "t@school.example",
                       &pupil, 1, &to, &n);
    assert_ptr_equal(to, dsl);
    assert_int_equal(n, 1);
    c.conduct_addresses = conduct;
    c.n_conduct_addresses = 2;
    sg_notice_track_to(&c, SG_TRACK_PUPIL_WELFARE, "t@school.example",
                       &pupil, 1, &to, &n);
    assert_ptr_equal(to, dsl);
    sg_notice_track_to(&c, SG_TRACK_STAFF_CONDUCT, "t@school.example",
                       &pupil, 1, &to, &n);
    assert_ptr_equal(to, conduct);
    assert_int_equal(n, 2);
    /* about the headteacher, with no chair configured: the conduct
     * reviewers still (someone is told) */
    c.headteacher_addresses = heads;
    c.n_headteacher_addresses = 1;
    sg_notice_track_to(&c, SG_TRACK_STAFF_CONDUCT, "head@school.example",
                       &pupil, 1, &to, &n);
    assert_ptr_equal(to, conduct);
    c.chair_addresses = chair;
    c.n_chair_addresses = 1;
    /* the headteacher as sender (any case) or recipient: the chair */
    sg_notice_track_to(&c, SG_TRACK_STAFF_CONDUCT, "HEAD@school.example",
                       &pupil, 1, &to, &n);
    assert_ptr_equal(to, chair);
    assert_int_equal(n, 1);
    sg_notice_track_to(&c, SG_TRACK_STAFF_CONDUCT, "amy@school.example",
                       &head, 1, &to, &n);
    assert_ptr_equal(to, chair);
    /* a pupil-welfare concern stays with the DSLs */
    sg_notice_track_to(&c, SG_TRACK_PUPIL_WELFARE, "head@school.example",
                       &pupil, 1, &to, &n);
    assert_ptr_equal(to, dsl);
    sg_notice_track_to(&c, SG_TRACK_STAFF_CONDUCT, NULL, NULL, 0, &to, &n);
    assert_ptr_equal(to, conduct);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_templates_good),
        cmocka_unit_test(test_template_errors),
        cmocka_unit_test(test_template_missing),
        cmocka_unit_test(test_render_exact),
        cmocka_unit_test(test_render_each_kind),
        cmocka_unit_test(test_mac_construction),
        cmocka_unit_test(test_request_token),
        cmocka_unit_test(test_render_no_header_injection),
        cmocka_unit_test(test_render_utf8_and_wrap),
        cmocka_unit_test(test_render_refuses_bad_addresses),
        cmocka_unit_test(test_mac_cases),
        cmocka_unit_test(test_mac_malformed),
        cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_send_argv_literal),
        cmocka_unit_test(test_send_quoted_command),
        cmocka_unit_test(test_send_big_message),
        cmocka_unit_test(test_send_failures),
        cmocka_unit_test(test_sender_errors),
        cmocka_unit_test(test_open_deliver_verify),
        cmocka_unit_test(test_text_build),
        cmocka_unit_test(test_text_per_outcome),
        cmocka_unit_test(test_contact_once_and_link),
        cmocka_unit_test(test_shipped_templates_read_right),
        cmocka_unit_test(test_track_to),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
