/*
 * test_msgview_extract.c - the message view builder and the attachment
 * text helper (core/msgview_attach.c, core/extract_run.c): the real
 * safeguard-extract of this build reads an attachment into a text part
 * labelled with its name; extraction off reads none; and every way the
 * helper can fail - missing, exiting with an error, running past its
 * time while writing without end or after closing its output, an
 * attachment past the size or count
 * bound - makes the view incomplete (unreadable), never drops the
 * attachment and never blocks past the timeout.  Pictures are not given
 * to the helper.  And extract_helper naming no program is a mistake
 * said at start, with its file and line.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "extract_run.h"
#include "msgview_build.h"
#include "sg_config.h"
#include "sg_runtime.h"

#ifndef SG_TEST_HELPER
#define SG_TEST_HELPER "extract/safeguard-extract"
#endif

/* A teacher's reply as Gmail writes it, with a contact card attached
 * as application/octet-stream (folded, as vCard lines are) and, when
 * photo, a photo of the class's poster. */
static char *
message(bool two, bool photo)
{
    static const char head[] =
        "From: Anna Jones <a.jones@school.example>\r\n"
        "To: Ben Okafor <ben.okafor@school.example>\r\n"
        "Subject: Re: contact for the trip\r\n"
        "Date: Wed, 12 Mar 2025 11:30:00 +0000\r\n"
        "Message-ID: <CAF=x1@mail.gmail.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=\"000000000000a1b2\"\r\n"
        "\r\n"
        "--000000000000a1b2\r\n"
        "Content-Type: text/plain; charset=\"UTF-8\"\r\n"
        "\r\n"
        "Hi Ben, my details are attached.\r\n"
        "\r\n"
        "On Tue, 11 Mar 2025 at 16:02, Ben Okafor wrote:\r\n"
        "> Who do we call if the coach is late?\r\n"
        "\r\n";
    static const char card[] =
        "--000000000000a1b2\r\n"
        "Content-Type: application/octet-stream; name=\"%s\"\r\n"
        "Content-Disposition: attachment; filename=\"%s\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        /* BEGIN:VCARD / FN:Anna Jones / TEL;TYPE=CELL:07700 9\r\n 00222 */
        "QkVHSU46VkNBUkQNClZFUlNJT046My4wDQpGTjpBbm5hIEpvbmVzDQpURUw7VFlQRT1DRUxM\r\n"
        "OjA3NzAwIDkNCiAwMDIyMg0KRU5EOlZDQVJEDQo=\r\n";
    static const char png[] =
        "--000000000000a1b2\r\n"
        "Content-Type: image/png; name=\"poster.png\"\r\n"
        "Content-Disposition: attachment; filename=\"poster.png\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n";
    char *m = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&m, &len);
    assert_non_null(f);
    fputs(head, f);
    fprintf(f, card, "anna.vcf", "anna.vcf");
    if (two)
        fprintf(f, card, "anna2.vcf", "anna2.vcf");
    if (photo)
        fputs(png, f);
    fputs("--000000000000a1b2--\r\n", f);
    fclose(f);
    return m;
}

static struct sg_extract_opts
opts(const char *helper)
{
    struct sg_extract_opts o = {true, (char *)(uintptr_t)helper, 5, 30, 32,
                                (uint64_t)32 << 20, (uint64_t)4 << 20,
                                (uint64_t)512 << 20};
    return o;
}

static struct sg_msgview *
build(const char *msg, const struct sg_extract_opts *o)
{
    struct sg_msgview *view = NULL;
    const char *error = NULL;
    assert_int_equal(sg_msgview_build_mem_extract(msg, strlen(msg), o, &view,
                                                  &error),
                     0);
    assert_non_null(view);
    return view;
}

/* The text part read from an attachment, or NULL. */
static const struct sg_text_part *
attachment_text(const struct sg_msgview *v, const char *label)
{
    for (size_t i = 0; i < v->n_texts; i++)
        if (strcmp(v->texts[i].label, label) == 0)
            return &v->texts[i];
    return NULL;
}

static void
test_read(void **state)
{
    (void)state;
    char *m = message(false, false);
    struct sg_extract_opts o = opts(SG_TEST_HELPER);
    struct sg_msgview *v = build(m, &o);
    const struct sg_text_part *t =
        attachment_text(v, "attachment \"anna.vcf\", text read from it");
    assert_non_null(t);
    assert_true(t->is_attachment);
    assert_non_null(strstr(t->text, "TEL;TYPE=CELL:07700 900222"));
    assert_int_equal(v->incomplete, 0);
    assert_int_equal(v->n_attachments, 1);
    sg_msgview_free(&v);
    free(m);
}

/* A file uuencoded into a plain-text body, as some mail programs still
 * attach them: an attachment of its own, its text read by the helper. */
static void
test_inline_uuencode(void **state)
{
    (void)state;
    /* "Call me on 07700 900564 if stuck\n" uuencoded */
    static const char m[] =
        "From: John Smith <j.smith@school.example>\r\n"
        "To: Ben Okafor <ben.okafor@school.example>\r\n"
        "Subject: Notes\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "Notes below.\r\n"
        "\r\n"
        "begin 644 notes.txt\r\n"
        "A0V%L;\"!M92!O;B P-S<P,\" Y,# U-C0@:68@<W1U8VL*\r\n"
        "`\r\n"
        "end\r\n"
        "\r\n"
        "begin 644 never-ended.txt\r\n"
        "A0V%L;\"!M92!O;B P-S<P,\" Y,# U-C0@:68@<W1U8VL*\r\n";
    struct sg_extract_opts o = opts(SG_TEST_HELPER);
    struct sg_msgview *v = build(m, &o);
    const struct sg_text_part *t =
        attachment_text(v, "attachment \"notes.txt\", text read from it");
    assert_non_null(t);
    assert_true(t->is_attachment);
    assert_non_null(strstr(t->text, "07700 900564"));
    assert_int_equal(v->n_attachments, 1);
    assert_string_equal(v->attachments[0].filename, "notes.txt");
    assert_int_equal(v->incomplete, 0);
    sg_msgview_free(&v);
    /* extraction off: the block is still an attachment, not read */
    o.enabled = false;
    v = build(m, &o);
    assert_null(attachment_text(v, "attachment \"notes.txt\", text read from it"));
    assert_int_equal(v->n_attachments, 1);
    sg_msgview_free(&v);
}

static void
test_off(void **state)
{
    (void)state;
    char *m = message(false, false);
    struct sg_extract_opts o = opts(SG_TEST_HELPER);
    o.enabled = false;
    struct sg_msgview *v = build(m, &o);
    assert_null(attachment_text(v, "attachment \"anna.vcf\", text read from it"));
    assert_int_equal(v->incomplete, 0);
    assert_int_equal(v->n_attachments, 1);
    sg_msgview_free(&v);
    free(m);
}

/* helper: a view of the message with o, which must be unreadable, with
 * its attachments still recorded */
static void
expect_unreadable(const struct sg_extract_opts *o, bool two)
{
    char *m = message(two, false);
    struct sg_msgview *v = build(m, o);
    assert_true(v->incomplete & SG_INCOMPLETE_UNREADABLE);
    assert_int_equal(v->n_attachments, two ? 2 : 1);
    sg_msgview_free(&v);
    free(m);
}

static void
test_missing_helper(void **state)
{
    (void)state;
    struct sg_extract_opts o = opts("/nonexistent/safeguard-extract");
    expect_unreadable(&o, false);
}

static void
test_failing_helper(void **state)
{
    (void)state;
    struct sg_extract_opts o = opts("/bin/false");
    expect_unreadable(&o, false);
}

/* yes(1) writes its arguments without end and never exits: its output is
 * capped, it is killed at the timeout, and the build does not wait. */
static void
test_endless_helper(void **state)
{
    (void)state;
    struct sg_extract_opts o = opts("/usr/bin/yes");
    o.timeout = 1;
    o.max_text = 4096;
    long long start = sg_extract_now_ms();
    char *m = message(false, false);
    struct sg_msgview *v = build(m, &o);
    assert_true(v->incomplete & SG_INCOMPLETE_UNREADABLE);
    assert_null(attachment_text(v, "attachment \"anna.vcf\", text read from it"));
    assert_true(sg_extract_now_ms() - start < 5000);
    sg_msgview_free(&v);
    free(m);
}

/* A helper that closes its output and goes on running is killed at the
 * timeout too (the wait for its exit has the same deadline). */
static void
test_silent_helper(void **state)
{
    (void)state;
    char path[] = "/tmp/sg-silent-helper.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char script[] = "#!/bin/sh\nexec >&-\nexec sleep 7\n";
    assert_int_equal(write(fd, script, sizeof(script) - 1),
                     (ssize_t)(sizeof(script) - 1));
    assert_int_equal(fchmod(fd, 0700), 0);
    close(fd);
    struct sg_extract_opts o = opts(path);
    o.timeout = 1;
    long long start = sg_extract_now_ms();
    expect_unreadable(&o, false);
    assert_true(sg_extract_now_ms() - start < 5000);
    unlink(path);
}

static void
test_too_many(void **state)
{
    (void)state;
    struct sg_extract_opts o = opts(SG_TEST_HELPER);
    o.max_attachments = 1;
    expect_unreadable(&o, true);
}

static void
test_too_large(void **state)
{
    (void)state;
    struct sg_extract_opts o = opts(SG_TEST_HELPER);
    o.max_size = 16;
    expect_unreadable(&o, false);
}

/* A picture is not given to the helper: with a helper that fails, only
 * the card is unreadable, and with one that works nothing is. */
static void
test_picture_not_read(void **state)
{
    (void)state;
    char *m = message(false, true);
    struct sg_extract_opts o = opts(SG_TEST_HELPER);
    struct sg_msgview *v = build(m, &o);
    assert_int_equal(v->incomplete, 0);
    assert_int_equal(v->n_attachments, 2);
    sg_msgview_free(&v);
    /* one attachment may be read: the card takes it, the picture needs
     * none */
    o.max_attachments = 1;
    v = build(m, &o);
    assert_int_equal(v->incomplete, 0);
    assert_int_equal(v->n_attachments, 2);
    sg_msgview_free(&v);
    free(m);
}

/* extract_helper in the file that is not a program is refused at start,
 * with the file and line; the default (not installed here) is not. */
static void
test_config_helper(void **state)
{
    (void)state;
    static const char base[] = "rules_file =\nallow_no_rules = yes\n"
                               "directory_backend = none\n";
    char text[512];
    const char *error = NULL;
    snprintf(text, sizeof(text), "%sextract_helper = /nonexistent/x\n", base);
    struct sg_config *cfg = sg_config_load_string(text, "test.conf", &error);
    struct sg_runtime *rt = NULL;
    assert_non_null(cfg);
    assert_int_equal(sg_runtime_open(cfg, &rt, &error), -1);
    assert_non_null(strstr(error, "test.conf:4: extract_helper = "
                                  "/nonexistent/x is not an executable"));

    snprintf(text, sizeof(text), "%sextract_helper = safeguard-extract\n",
             base);
    cfg = sg_config_load_string(text, "test.conf", &error);
    assert_non_null(cfg);
    assert_int_equal(sg_runtime_open(cfg, &rt, &error), -1);
    assert_non_null(strstr(error, "not a full path"));

    /* off, or the real helper, or the default: loads */
    const char *good[] = {"extract_helper = /nonexistent/x\n"
                          "extract_attachments = no\n",
                          "extract_helper = " SG_TEST_HELPER "\n", ""};
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
        snprintf(text, sizeof(text), "%s%s", base, good[i]);
        cfg = sg_config_load_string(text, "test.conf", &error);
        assert_non_null(cfg);
        assert_int_equal(sg_runtime_open(cfg, &rt, &error), 0);
        assert_true(rt->settings->extract.enabled == (i != 0));
        sg_runtime_unref(&rt);
    }
}

static int
setup(void **state)
{
    (void)state;
    sg_msgview_build_init();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sg_msgview_build_shutdown();
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_inline_uuencode),
        cmocka_unit_test(test_missing_helper),
        cmocka_unit_test(test_failing_helper),
        cmocka_unit_test(test_endless_helper),
        cmocka_unit_test(test_silent_helper),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_picture_not_read),
        cmocka_unit_test(test_config_helper),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
