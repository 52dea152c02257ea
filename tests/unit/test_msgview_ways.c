/*
 * test_msgview_ways.c - the ways the message view is built, compared: the
 * whole parse (GMime's message of the whole message), the single-part
 * body as a window on the buffer, and the lean view (no GMimeMessage:
 * the top-level header block read by core/msgview_top.c, GMime given only
 * the Content-* lines and the body).  Every message under tests/ and
 * contrib/samples/, and hostile header blocks and multipart shapes cut at
 * every byte, give the same view every way, field by field, LF and CRLF;
 * and what cannot be read plainly is left to the whole parse.  Apart from
 * test_msgview.c so that the two run side by side (these are most of the
 * time under valgrind).
 */
#include "config.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <glib.h>

#include "msgview_build.h"
#include "msgview_int.h"
#include "msgview_util.h"
#include "sg_buf.h"

#ifndef SG_TEST_DATA
#define SG_TEST_DATA "unit/data"
#endif

/* Every field of a view, lengths and all, into out. */
static void
dump_str(struct sg_buf *out, const char *what, const char *s, size_t len)
{
    char head[64];
    snprintf(head, sizeof(head), "\n%s %zu:", what, s != NULL ? len : 0);
    assert_int_equal(sg_buf_append(out, head, strlen(head)), 0);
    assert_int_equal(sg_buf_append(out, s != NULL ? s : "(null)",
                                   s != NULL ? len : 6), 0);
}

static void
dump_z(struct sg_buf *out, const char *what, const char *s)
{
    dump_str(out, what, s, s != NULL ? strlen(s) : 0);
}

static void
dump_n(struct sg_buf *out, const char *what, size_t n)
{
    char line[64];
    snprintf(line, sizeof(line), "\n%s %zu", what, n);
    assert_int_equal(sg_buf_append(out, line, strlen(line)), 0);
}

static void
dump_view(const struct sg_msgview *v, struct sg_buf *out)
{
    sg_buf_reset(out);
    for (size_t i = 0; i < v->n_headers; i++) {
        dump_z(out, "header", v->headers[i].name);
        dump_z(out, "value", v->headers[i].value);
    }
    dump_z(out, "subject", v->subject);
    dump_z(out, "from_name", v->from_name);
    dump_z(out, "from_addr", v->from_addr);
    dump_z(out, "message_id", v->message_id);
    dump_z(out, "display_names", v->display_names);
    for (size_t i = 0; i < v->n_sender_claims; i++)
        dump_z(out, "claim", v->sender_claims[i]);
    dump_n(out, "claims_overflow", v->sender_claims_overflow);
    for (size_t i = 0; i < v->n_texts; i++) {
        const struct sg_text_part *t = &v->texts[i];
        dump_str(out, "text", t->text, t->len);
        dump_z(out, "type", t->content_type);
        dump_z(out, "label", t->label);
        dump_n(out, "depth", t->depth);
        dump_n(out, "from_html", t->from_html);
        dump_n(out, "is_attachment", t->is_attachment);
        dump_n(out, "place", t->place);
        dump_z(out, "quote_author", t->quote_author);
        dump_z(out, "quote_addr", t->quote_addr);
    }
    for (size_t i = 0; i < v->n_attachments; i++) {
        const struct sg_attachment *a = &v->attachments[i];
        dump_z(out, "attachment", a->content_type);
        dump_z(out, "filename", a->filename);
        dump_n(out, "size", a->size);
        dump_n(out, "depth", a->depth);
        dump_z(out, "image_type", a->image_type);
        dump_n(out, "width", a->width);
        dump_n(out, "height", a->height);
        dump_n(out, "camera", a->camera);
        dump_n(out, "inline_ref", a->inline_ref);
        dump_z(out, "content_id", a->content_id);
    }
    dump_n(out, "size", v->size);
    dump_n(out, "n_parts", v->n_parts);
    dump_n(out, "n_nested", v->n_nested);
    dump_n(out, "malformed", v->malformed);
    dump_n(out, "incomplete", v->incomplete);
}

/* The view of data[0, len) built as window, lean and direct say (see
 * sg_msgview_window, sg_msgview_lean, sg_msgview_direct), dumped into
 * out. */
static void
dump_build(const char *data, size_t len, bool window, bool lean, bool direct,
           struct sg_buf *out)
{
    sg_msgview_window = window;
    sg_msgview_lean = lean;
    sg_msgview_direct = direct;
    struct sg_msgview *v = sg_test_build_mem(data, len);
    sg_msgview_window = sg_msgview_lean = sg_msgview_direct = true;
    sg_test_view_valid(v);
    dump_view(v, out);
    sg_msgview_free(&v);
}

static void
check_same_dump(const struct sg_buf *whole, const struct sg_buf *other,
                const char *what, const char *how)
{
    if (whole->len == other->len &&
        memcmp(whole->data, other->data, whole->len) == 0)
        return;
    size_t at = 0;
    while (at < whole->len && at < other->len &&
           whole->data[at] == other->data[at])
        at++;
    size_t from = at > 80 ? at - 80 : 0;
    int n_whole = (int)(MIN(whole->len, at + 80) - from);
    int n_other = (int)(MIN(other->len, at + 80) - from);
    print_message("%s: views differ at %zu\nwhole: %.*s\n%s: %.*s\n", what,
                  at, n_whole, whole->data + from, how, n_other,
                  other->data + from);
    fail();
}

/* The view of data[0, len) with its single-part body as a window on it,
 * the view built without a GMimeMessage (its body part made by GMime),
 * and that view with a single text part read without GMime, are byte
 * for byte the view of GMime's parse of the whole message. */
static void
check_window(const char *data, size_t len, const char *what)
{
    struct sg_buf whole = SG_BUF_INIT, other = SG_BUF_INIT;
    dump_build(data, len, false, false, false, &whole);
    dump_build(data, len, true, false, false, &other);
    check_same_dump(&whole, &other, what, "window");
    dump_build(data, len, true, true, false, &other);
    check_same_dump(&whole, &other, what, "lean");
    dump_build(data, len, true, true, true, &other);
    check_same_dump(&whole, &other, what, "direct");
    sg_buf_free(&whole);
    sg_buf_free(&other);
}

/* data with every line end made eol ("\n" or "\r\n"). */
static void
line_ends(const char *data, size_t len, const char *eol, struct sg_buf *out)
{
    sg_buf_reset(out);
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\r' && i + 1 < len && data[i + 1] == '\n')
            continue;
        if (data[i] == '\n')
            assert_int_equal(sg_buf_append(out, eol, strlen(eol)), 0);
        else
            assert_int_equal(sg_buf_putc(out, data[i]), 0);
    }
    assert_int_equal(sg_buf_reserve(out, 0), 0); /* data non-NULL */
}

/* data as it is, and cut short where the header block ends: at the blank
 * line, within it and just past it, the last byte gone (no newline at the
 * end), at and inside the body's first four lines that start "--" (a
 * multipart's boundaries), the first byte of the body made NUL. */
static void
check_window_cuts(const char *data, size_t len, const char *what)
{
    check_window(data, len, what);
    const char *blank = NULL;
    for (size_t i = 0; i + 1 < len && blank == NULL; i++)
        if (data[i] == '\n' && (data[i + 1] == '\n' ||
                                (data[i + 1] == '\r' && i + 2 < len &&
                                 data[i + 2] == '\n')))
            blank = data + i + 1;
    if (len > 0)
        check_window(data, len - 1, what);
    if (blank == NULL)
        return;
    size_t at = (size_t)(blank - data);
    for (size_t cut = at > 0 ? at - 1 : 0; cut <= at + 3 && cut <= len; cut++)
        check_window(data, cut, what);
    size_t body = at + (data[at] == '\n' ? 1 : 2);
    /* in a multipart body: at, in and past its first boundary lines */
    int lines = 0;
    for (size_t i = body; i + 2 < len && lines < 4; i++)
        if (data[i] == '-' && data[i + 1] == '-' && data[i - 1] == '\n') {
            for (size_t cut = i; cut <= i + 3; cut++)
                check_window(data, cut, what);
            lines++;
        }
    if (body < len) {
        char *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, data, len);
        copy[body] = '\0';
        check_window(copy, len, what);
        free(copy);
    }
}

/* As it is, with LF and with CRLF line ends, and each cut short (see
 * check_window_cuts). */
static void
check_window_shapes(const char *data, size_t len, const char *what)
{
    struct sg_buf lf = SG_BUF_INIT, crlf = SG_BUF_INIT;
    line_ends(data, len, "\n", &lf);
    line_ends(data, len, "\r\n", &crlf);
    check_window_cuts(data, len, what);
    check_window_cuts(lf.data, lf.len, what);
    check_window_cuts(crlf.data, crlf.len, what);
    sg_buf_free(&lf);
    sg_buf_free(&crlf);
}

static size_t window_files, lean_files, direct_files;

static bool built_lean(const char *data, size_t len);
static bool built_direct(const char *data, size_t len);

static int
check_window_file(const char *path, const struct stat *st, int type,
                  struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type != FTW_F || n < 4 || strcmp(path + n - 4, ".eml") != 0)
        return 0;
    gchar *data = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(path, &data, &len, NULL));
    check_window_shapes(data, len, path);
    lean_files += built_lean(data, len);
    direct_files += built_direct(data, len);
    g_free(data);
    window_files++;
    return 0;
}

/* Every .eml of tests/ and contrib/samples, and hostile shapes of a
 * single-part body: the view with the body as a window is the view of
 * GMime's whole parse. */
static void
test_window_like_whole(void **state)
{
    (void)state;
#define H(s) {s, sizeof(s) - 1}
    static const struct {
        const char *data;
        size_t len;
    } hostile[] = {
        H("Subject: no blank line\nFrom: a@b.example"),
        H("Subject: headers only\n"),
        H("Subject: headers only\n\n"),
        H("\nbody with no headers\n"),
        H("\r\nbody with no headers\r\n"),
        H("Subject: dashes\n\n--\n--boundary\n--boundary--\nend\n"),
        H("From someone@example Mon Jan  1 00:00:00 2026\nSubject: mbox\n\n"
          "From here on\n>From there\nFrom someone Mon\n"),
        H("Subject: nul\n\nab\0cd\0\n\0"),
        H("Subject: nul in header\0x\n\nbody\n"),
        H("Content-Type: multipart/mixed\n\nno boundary at all\n"),
        H("Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n\nnot closed"),
        H("Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
          "text/plain\n\none\n--b--\n"),
        H("Content-Type: multipart\n\nhalf a type\n"),
        H("Content-Type: text/plain; charset=iso-8859-1\n\ncaf\xe9\n"),
        H("Content-Type:\n text/html\n\n<p>folded</p>\n"),
        H("Content-Type:\n multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"),
        H("Content-Type: text/plain\nContent-Type: text/html\n\n<b>two</b>\n"),
        H("Content-Type: text/html\nContent-Type: multipart/mixed; "
          "boundary=b\n\n--b\n\nx\n--b--\n"),
        H("Content-Type: message/rfc822\n\nSubject: inner\n\ninner body\n"),
        H("Content-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
          "U3ViamVjdDogaW5uZXIKCmlubmVyIGJvZHkK\n"),
        H("Content-Type: message/partial; id=x; number=1\n\npartial\n"),
        H("MIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\n"
          "aGVsbG8gd29ybGQK\n"),
        H("Content-Transfer-Encoding: base64\n\naGVsbG8!!!*\n"),
        H("Content-Transfer-Encoding: quoted-printable\n\ncaf=E9 =\nsoft=3D\n"),
        H("Content-Transfer-Encoding: 8bit\n\ncaf\xc3\xa9\n"),
        H("Content-Transfer-Encoding: binary\n\n\x01\x02\xff\n"),
        H("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 a.txt\n"
          "#86)C\n`\nend\n"),
        H("Subject: uuencoded\n\nbegin 644 a.txt\n#86)C\n`\nend\n"),
        H("Content-Type: application/pdf; name=a.pdf\nContent-Disposition: "
          "attachment\nContent-Transfer-Encoding: base64\n\nJVBERi0=\n"),
        H("Content-Type: text/plain\nContent-Disposition: attachment; "
          "filename=\"a.txt\"\n\nattached\n"),
        H("Bad header line\nSubject: x\n\nbody\n"),
        H("Subject: x\nbad header line\n\nbody\n"),
        H("Subject: x\n\tfolded\n\n\nbody after two blank lines\n"),
        H("Subject: x\r\n\r\nCRLF body with no end"),
        H("Subject: x\n\r\nmixed line ends\r\n\n"),
        H("Subject: x\r\r\n\nCR before CRLF\n"),
        H("Subject: =?utf-8?b?w6k=?=\nFrom: \"A\" <a@b.example>\n\n> quoted\n"
          "On Mon, B wrote:\n> more\n"),
        H("Content-Type: text/html; charset=utf-8\n\n<p>x<span style=\"display:"
          "none\">hidden</span><a href=\"http://h.example/\">l</a></p>"),
    };
#undef H
    for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++) {
        char what[32];
        snprintf(what, sizeof(what), "hostile %zu", i);
        check_window_shapes(hostile[i].data, hostile[i].len, what);
    }
    /* a header block longer than GMime's read buffer */
    struct sg_buf big = SG_BUF_INIT;
    for (int i = 0; i < 400; i++)
        assert_int_equal(sg_buf_append(&big, "X-Long: 0123456789 0123456789\n",
                                       30), 0);
    assert_int_equal(sg_buf_append(&big, "\nbody\n", 6), 0);
    check_window_shapes(big.data, big.len, "long header block");
    sg_buf_free(&big);
    window_files = lean_files = direct_files = 0;
    assert_int_equal(nftw(SG_TEST_DATA "/../..", check_window_file, 16,
                          FTW_PHYS), 0);
    assert_int_equal(nftw(SG_TEST_DATA "/../../../contrib/samples",
                          check_window_file, 16, FTW_PHYS), 0);
    print_message("%zu .eml files, %zu built lean, %zu of them direct\n",
                  window_files, lean_files, direct_files);
    assert_true(window_files >= 200);
    assert_true(lean_files >= 50); /* the single-part ones, most */
    assert_true(direct_files >= 20); /* single text parts of plain shape */
}

/* Whether building the view of data[0, len) moves the count *built. */
static bool
built_counted(const char *data, size_t len, const unsigned long *built)
{
    unsigned long before = *built;
    struct sg_msgview *v = sg_test_build_mem(data, len);
    sg_msgview_free(&v);
    return *built != before;
}

/* Whether the view of data[0, len) is built without a GMimeMessage. */
static bool
built_lean(const char *data, size_t len)
{
    return built_counted(data, len, &sg_msgview_lean_built);
}

/* Whether the view of data[0, len) is built without GMime at all: its
 * single text part read directly. */
static bool
built_direct(const char *data, size_t len)
{
    return built_counted(data, len, &sg_msgview_direct_built);
}

static void
append_times(struct sg_buf *out, const char *s, int times)
{
    for (int i = 0; i < times; i++)
        assert_int_equal(sg_buf_append(out, s, strlen(s)), 0);
}

/* Hostile top-level header blocks: the view built without a
 * GMimeMessage is the view of GMime's parse of the whole message (as
 * written, LF, CRLF, cut short), and blocks GMime might read otherwise
 * are left to GMime. */
static void
test_lean_like_whole(void **state)
{
    (void)state;
#define H(lean, s) {lean, s, sizeof(s) - 1}
    static const struct {
        int lean; /* 1: built lean as written, 0: not, -1: either */
        const char *data;
        size_t len;
    } blocks[] = {
        H(1, "Subject: plain\nFrom: A <a@b.example>\n\nbody\n"),
        H(1, "Subject: folded\n  twice\n\tand a tab\nFrom: A\n <a@b.example>\n"
             "\nbody\n"),
        H(1, "Subject: x\n \n\nwhite line folded into the subject\n"),
        H(1, "Subject: =?utf-8?q?caf=C3=A9?= =?iso-8859-1?b?6Q==?= end\n"
             "From: =?utf-8?b?w6k=?= <a@b.example>\n\nbody\n"),
        H(1, "Subject: =?x-unknown?q?abc?= =?koi8-r?b?9NXS?= =?utf-8?q?bad"
             "\nFrom: \"=?gb2312?b?xOO6ww==?=\" <a@b.example>\nTo: =?utf-7?q?"
             "+AGE-?= <t@b.example>\n\nbody\n"),
        H(1, "Subject: caf\xe9 \xc3\xa9 \xff\xfe\nFrom: J\xf6rg <j@b.example>\n"
             "X-Raw: \x80\x81\n\nbody\n"),
        H(1, "From: Team: a@b.example, \"B\" <b@c.example>;\nReply-To: "
             "undisclosed-recipients:;\nSender: g1: g2: x@y.example;;\n\n"
             "body\n"),
        H(1, "From: \"j.smith@school.example\" <x@evil.example>\nReply-To: "
             "a@b.example,, c@d.example,\nSender: (comment) s@e.example\n\n"
             "body\n"),
        H(1, "Subject:\nMessage-Id:\nContent-Type:\nX-Empty:\nFrom: "
             "a@b.example\n\nempty values\n"),
        H(1, "Subject:no space\nMessage-ID: (c) <a@b.example> extra\nFrom: "
             "a@b.example\n\nbody\n"),
        H(1, "Message-ID: =?utf-8?q?=3Cid=40b=2Eexample=3E?=\nFrom: a@b.example"
             "\n\nbody\n"),
        H(1, "Message-ID: no angle brackets@b.example\n\nbody\n"),
        H(1, "Received: one\nReceived: two\nReceived: one\nX-A: 1\nX-A: 2\n"
             "\nrepeats that may repeat\n"),
        H(1, "CONTENT-TYPE: text/html; charset=iso-8859-1\ncontent-transfer-"
             "encoding: base64\nSubject: x\n\nPGI+Y2Fm6TwvYj4=\n"),
        H(1, "Content-Type: text/plain\nContent-Type: text/plain\n\nsame two"
             "\n"),
        H(1, "Content-Type: text/plain\nSubject: between\nContent-Type: text/"
             "html\n\n<b>two apart</b>\n"),
        H(1, "Content-Type: text/plain;\n charset=\"utf-8\"; format=flowed;\n"
             " charset=latin1\nContent-Disposition: attachment;\n filename*="
             "UTF-8''caf%C3%A9.txt\n\nattached\n"),
        H(1, "Content-: x\nContent: y\nContentType: text/html\nContent-Id: "
             "<c@d>\nContent-Length: 2\n\nodd Content names\n"),
        H(1, "[weird]!#$%&'*+-.^_`{|}~: printable name\n\nbody\n"),
        H(1, "Subject: no body\nFrom: a@b.example\n\n"),
        H(1, "Subject: x\r\nFrom: a@b.example\n\r\nmixed line ends\n"),
        H(0, "Subject: no blank line\nFrom: a@b.example\n"),
        H(0, "Subject: no blank line, no end\nFrom: a@b.example"),
        H(0, "From: a@b.example\nFrom: c@d.example\n\ntwo From\n"),
        H(0, "Subject: one\nsubject: one\n\nthe same Subject twice\n"),
        H(0, "To: a@b.example\nTo: a@b.example\n\ntwo To\n"),
        H(0, "Message-ID: <a@b>\nMessage-Id: <c@d>\n\ntwo ids\n"),
        H(0, "From: a@b.example (unterminated\n\nFrom: does not parse\n"),
        H(0, "From: <<<\n\nno address\n"),
        H(0, "X Odd: space in the name\n\nbody\n"),
        H(0, "X-Odd : space before the colon\n\nbody\n"),
        H(0, "X-Odd\x01: control\n\nbody\n"),
        H(0, "X-Odd\x7f: delete\n\nbody\n"),
        H(0, "X-\x80Odd: 8-bit name\n\nbody\n"),
        H(0, "Subject: x\nno colon here\n\nbody\n"),
        H(0, ": empty name\n\nbody\n"),
        H(0, " Subject: first line folded\n\nbody\n"),
        H(0, "From someone@example Mon Jan  1 00:00:00 2026\nSubject: mbox\n\n"
             "body\n"),
        H(0, "Subject: bare\rCR\n\nbody\n"),
        H(0, "Subject: x\r\r\n\nCR before CRLF\n"),
        H(0, "Subject: nul\0here\n\nbody\n"),
        H(0, "\nno headers\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"),
        H(0, "Content-Type: message/rfc822\n\nSubject: inner\n\ninner\n"),
        H(-1, "Content-Type:\n multipart/mixed; boundary=b\n\n--b\n\nx\n--b--"
              "\n"),
        H(-1, "Content-Type: text/plain\nContent-Type: multipart/mixed; "
              "boundary=b\n\n--b\n\nx\n--b--\n"),
        H(-1, "Content-Type: message/rfc822\nContent-Transfer-Encoding: "
              "base64\n\nU3ViamVjdDogaW5uZXIKCmlubmVyIGJvZHkK\n"),
    };
#undef H
    for (size_t i = 0; i < G_N_ELEMENTS(blocks); i++) {
        char what[32];
        snprintf(what, sizeof(what), "header block %zu", i);
        if (blocks[i].lean >= 0 &&
            built_lean(blocks[i].data, blocks[i].len) != (blocks[i].lean == 1))
            fail_msg("%s: built %s", what, blocks[i].lean ? "whole" : "lean");
        check_window_shapes(blocks[i].data, blocks[i].len, what);
    }
    /* very long lines: a subject, a From: of many addresses, a folded
     * header of many lines; and more headers than are read lean */
    struct sg_buf big = SG_BUF_INIT;
    append_times(&big, "Subject: ", 1);
    append_times(&big, "=?utf-8?q?w=C3=B6rd?= ", 3000);
    append_times(&big, "\nFrom: ", 1);
    append_times(&big, "\"N\" <n@b.example>, ", 2000);
    append_times(&big, "\nX-Folded: a", 1);
    append_times(&big, "\n b", 2000);
    append_times(&big, "\n\nbody\n", 1);
    assert_true(built_lean(big.data, big.len));
    check_window_shapes(big.data, big.len, "long lines");
    sg_buf_reset(&big);
    append_times(&big, "X-Many: v\n", 1100);
    append_times(&big, "\nbody\n", 1);
    assert_false(built_lean(big.data, big.len));
    check_window(big.data, big.len, "many headers");
    /* a field name past GMime's scan buffer ends its parse (truncated,
     * no headers); one of a line's length is read as a name */
    for (size_t n = 998; n <= 4224; n += 4224 - 998) {
        sg_buf_reset(&big);
        append_times(&big, "From: a@b.example\nX-", 1);
        append_times(&big, "A", n - 2);
        append_times(&big, ": v\nSubject: s\n\nbody\n", 1);
        assert_true(built_lean(big.data, big.len) == (n == 998));
        check_window(big.data, big.len, "long name");
    }
    sg_buf_free(&big);
}

/* data[0, len) cut short at every byte, as it is, with LF and with
 * CRLF line ends: each view built lean is the view of GMime's parse. */
static void
check_window_every_cut(const char *data, size_t len, const char *what)
{
    struct sg_buf shapes[2] = {SG_BUF_INIT, SG_BUF_INIT};
    line_ends(data, len, "\n", &shapes[0]);
    line_ends(data, len, "\r\n", &shapes[1]);
    for (size_t cut = 0; cut <= len; cut++)
        check_window(data, cut, what);
    for (int k = 0; k < 2; k++) {
        for (size_t cut = 0; cut <= shapes[k].len; cut++)
            check_window(shapes[k].data, cut, what);
        sg_buf_free(&shapes[k]);
    }
}

/* A message, and whether it is built a way (1) or not (0). */
struct way_shape {
    int way;
    const char *data;
    size_t len;
};

/* Each of shapes[0, n) built the way built tells as it says, and its
 * views the same every way, cut short at every byte (named "name i"). */
static void
check_shapes(const struct way_shape *shapes, size_t n,
             bool (*built)(const char *, size_t), const char *name)
{
    for (size_t i = 0; i < n; i++) {
        char what[32];
        snprintf(what, sizeof(what), "%s %zu", name, i);
        if (built(shapes[i].data, shapes[i].len) != (shapes[i].way == 1))
            fail_msg("%s: %s", what, shapes[i].way ? "not built so"
                                                   : "built so");
        check_window_every_cut(shapes[i].data, shapes[i].len, what);
    }
}

/* Multipart bodies of every shape: built without a GMimeMessage, or
 * left to GMime where said, and the view either way the view of
 * GMime's parse of the whole message, cut short anywhere. */
static void
test_lean_multipart_like_whole(void **state)
{
    (void)state;
#define H(lean, s) {lean, s, sizeof(s) - 1}
    /* 1: built lean as written, 0: not */
    static const struct way_shape shapes[] = {
        /* 0 */
        H(1, "Subject: alt\nContent-Type: multipart/alternative; boundary=b\n"
             "\n--b\nContent-Type: text/plain\n\nplain\n--b\nContent-Type: "
             "text/html\n\n<p>html</p>\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type:"
             " text/plain\n\nnever closed\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nno closing "
             "boundary at all\n--b\n"),
        H(1, "Content-Type: multipart/mixed;\n boundary=\"folded\"\nSubject: "
             "x\n\n--folded\n\nin a folded parameter\n--folded--\n"),
        H(1, "Content-Type: multipart/mixed;\n\tboundary*0=\"con\";\n"
             "\tboundary*1=\"tinued\"\n\n--continued\n\nRFC 2231 boundary\n"
             "--continued--\n"),
        /* 5 */
        H(1, "Content-Type: multipart/mixed; boundary=b\n\npreamble words\n"
             "--b\n\npart\n--b--\nepilogue words\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\n--b\n"
             "Content-Type: text/plain\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\nno headers, "
             "text at once\n--b\n: empty name\n\nx\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\r\n\n--b\r\n"
             "Content-Type: text/plain\n\r\nmixed\r\nline ends\n--b--\r\n"),
        /* 10 */
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
             "message/rfc822\n\nSubject: inner\nContent-Type: multipart/"
             "alternative; boundary=c\n\n--c\n\ninner text\n--c--\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
             "message/rfc822\nContent-Transfer-Encoding: base64\n\n"
             "U3ViamVjdDogaW5uZXIKCmlubmVyIGJvZHkK\n--b\nContent-Type: message"
             "/rfc822\n\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
             "application/pdf; name=a.pdf\nContent-Disposition: attachment; "
             "filename=a.pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0x"
             "LjQK\n--b\nContent-Type: text/plain; name=\"n.txt\"\n"
             "Content-Disposition: attachment\n\nattached text\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
             "application/ms-tnef; name=winmail.dat\nContent-Transfer-"
             "Encoding: base64\n\neJ8+IgEAAQAAAA==\n--b\nContent-Type: text/"
             "calendar; method=REQUEST; charset=utf-8\n\nBEGIN:VCALENDAR\n"
             "SUMMARY:Parents evening\nEND:VCALENDAR\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
             "multipart/related; boundary=c\n\n--c\nContent-Type: text/html\n"
             "\n<img src=\"cid:i@x\">\n--c\nContent-Type: image/png\nContent-"
             "Id: <i@x>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
             "--c--\n--b--\n"),
        /* 15 */
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nthe inner "
             "boundary is never closed\n--b--\n--c\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
             "multipart/mixed; boundary=c\n\n--c\n\ninner\n--b\n\nouter again"
             "\n--b--\n"),
        H(1, "Content-Type: multipart/mixed\n\nno boundary: all prologue\n"),
        H(1, "Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\nempty "
             "boundary\n----\n"),
        H(1, "Content-Type: multipart/digest; boundary=b\n\n--b\n\nSubject: "
             "digest\n\nmessage by default\n--b\nContent-Type: text/plain\n\n"
             "text\n--b--\n"),
        /* 20 */
        H(1, "Content-Type: multipart/mixed; boundary=b\nContent-Length: 3\n"
             "\n--b\n\nlonger than said\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\nFrom someone Mon "
             "Jan  1 00:00:00 2026\n--b\n\nFrom here\n--b--\n"),
        H(1, "Content-Type: multipart/signed; boundary=b; protocol=\"applicat"
             "ion/pgp-signature\"\n\n--b\n\nsigned\n--b\nContent-Type: "
             "application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\nx\n"
             "-----END PGP SIGNATURE-----\n--b--\n"),
        H(1, "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: "
             "text/plain\n\nnul\0in a part\n--b--\n\0"),
        H(1, "Content-Type: text/plain\nContent-Type: multipart/mixed; "
             "boundary=b\n\n--b\n\ntwo types\n--b--\n"),
        /* 25 */
        H(0, "Content-Type: message/rfc822\n\nSubject: inner\n\ninner\n"),
        H(0, "Content-Type: message/partial; id=x; number=1\n\npartial\n"),
        H(0, "Content-Type: text/plain; name=multipart.txt\n\nnot one\n"),
        H(0, "Content-Type:\n multipart/mixed; boundary=b\n\n--b\n\nx\n--b--"
             "\n"),
        H(0, "Content-Type: multipart/mixed; boundary=b\nFrom: a@b.example\n"
             "From: c@d.example\n\n--b\n\ntwo From\n--b--\n"),
    };
#undef H
    check_shapes(shapes, G_N_ELEMENTS(shapes), built_lean, "multipart");
    /* multiparts nested past the view's bound and past GMime's */
    static const unsigned deep[] = {SG_MSGVIEW_MAX_MULTIPART + 2, 1030};
    for (size_t k = 0; k < G_N_ELEMENTS(deep); k++) {
        struct sg_buf big = SG_BUF_INIT;
        for (unsigned i = 0; i < deep[k]; i++)
            assert_int_equal(sg_buf_printf(&big, "Content-Type: multipart/"
                                           "mixed; boundary=b%u\n\n--b%u\n",
                                           i, i), 0);
        append_times(&big, "\ninnermost\n", 1);
        for (unsigned i = deep[k]; i > 0; i--)
            assert_int_equal(sg_buf_printf(&big, "--b%u--\n", i - 1), 0);
        assert_true(built_lean(big.data, big.len));
        check_window_shapes(big.data, big.len, "deep multiparts");
        sg_buf_free(&big);
    }
    /* a large body: read in place when the Content-* lines end the
     * block, else copied, up to a bound, so left to GMime */
    static const struct {
        bool lean;
        const char *head;
    } large[] = {
        {true, "Subject: x\nContent-Type: multipart/mixed; boundary=b\n"},
        {false, "Content-Type: multipart/mixed; boundary=b\nSubject: x\n"},
    };
    for (size_t k = 0; k < G_N_ELEMENTS(large); k++) {
        struct sg_buf big = SG_BUF_INIT;
        append_times(&big, large[k].head, 1);
        append_times(&big, "\n--b\nContent-Type: text/plain\n\n", 1);
        append_times(&big, "a line of the first part, to be long enough\n",
                     8000);
        append_times(&big, "--b\nContent-Type: application/octet-stream\n"
                           "\nbytes\n--b--\n", 1);
        assert_true(big.len > 300 * 1024);
        assert_true(built_lean(big.data, big.len) == large[k].lean);
        check_window_shapes(big.data, big.len, "large multipart");
        sg_buf_free(&big);
    }
}

/* Single text parts of the strict shape read without GMime, and near
 * misses left to GMime: each checked to be read directly or not as
 * written, and its view, cut short at every byte, LF and CRLF, the
 * view of GMime's whole parse and of the lean view with GMime's part. */
static void
test_direct_like_gmime(void **state)
{
    (void)state;
#define H(direct, s) {direct, s, sizeof(s) - 1}
    /* 1: read directly as written, 0: not */
    static const struct way_shape shapes[] = {
        /* 0 */
        H(1, "Subject: x\nFrom: A <a@b.example>\n\nno Content lines\n"),
        H(1, "Content-Type: text/plain\n\nplain\n"),
        H(1, "Content-Type: text/plain; charset=utf-8\n\ncaf\xc3\xa9 \xff\n"),
        H(1, "Content-Type: text/plain; charset=\"iso-8859-1\"\n\ncaf\xe9\n"),
        H(1, "Content-Type: TEXT/HTML; CHARSET=windows-1252\n\n<p>caf\xe9"
             "<span style=\"display:none\">hid</span></p>\n"),
        /* 5 */
        H(1, "Content-Type: text/plain; charset=UTF-8; format=flowed; "
             "delsp=yes\nContent-Transfer-Encoding: 8bit\n\nflowed \nline\n"),
        H(1, "Content-Type: text/plain;\n\tcharset=\"us-ascii\"\nContent-"
             "Transfer-Encoding: quoted-printable\n\ncaf=E9 =\nsoft =3D=\n="),
        H(1, "Content-Type:\n text/html;\n charset=utf-8;\n\n<b>folded, a "
             "';' last</b>\n"),
        H(1, "Content-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQK\n"),
        H(1, "Content-Transfer-Encoding: BASE64\nContent-Type: text/plain\n\n"
             "aGVsbG8!!!*\n"),
        /* 10 */
        H(1, "Content-Type: text/plain ; charset=utf-8 \nContent-Transfer-"
             "Encoding:  7bit \n\nblanks around\n"),
        H(1, "Content-Type: text/html\nContent-Transfer-Encoding: binary\n\n"
             "<img src=\"cid:x@y\">\x01\xff\0\n"),
        H(1, "Content-Type: text/plain\n\nbegin 644 a.txt\n#86)C\n`\nend\n"),
        H(1, "Content-Type: text/plain; charset=x-unknown_1.0:a+b\n\n\xff\n"),
        H(1, "Content-Type: text/plain; charset=utf-8\n\n"),
        /* 15 */
        H(1, "Subject: x\nContent-Type: text/plain\nMIME-Version: 1.0\nContent"
             "-Transfer-Encoding: quoted-printable\nTo: t@b.example\n\n=3D\n"),
        H(1, "Content-Type: text/plain; format=fixed\n\n> quoted\nOn Mon, B "
             "wrote:\n> more\n"),
        H(1, "content-type: text/plain; delsp=no; charset=\"utf-8\"\ncontent-"
             "transfer-encoding: Quoted-Printable\n\nx=C3=A9\n"),
        H(1, "Content-Type: text/plain; charset=KOI8-R\n\n\xf4\xd5\xd2\n"),
        H(1, "MIME-Version: 1.0\nUser-Agent: Mozilla Thunderbird\nContent-"
             "Language: en-GB\nContent-Type: text/plain; charset=UTF-8; "
             "format=flowed\nContent-Transfer-Encoding: 7bit\n\nDear Amy,\n"),
        /* 20 */
        H(1, "Content-Language:\n en-GB, fr\nContent-Type: text/html\n\n"
             "<p>two languages</p>\n"),
        H(0, "Content-Type: text/plain; charset=utf-8; charset=latin1\n\n"
             "two charsets\n"),
        H(0, "Content-Type: text/plain; charset=utf-8; name=a.txt\n\nname\n"),
        H(0, "Content-Type: text/plain; charset=\"=?utf-8?q?x?=\"\n\nencoded "
             "word\n"),
        H(0, "Content-Type: text/plain; charset==?utf-8?q?x?=\n\nencoded\n"),
        /* 25 */
        H(0, "Content-Type: text/plain; charset=utf-8 (comment)\n\nx\n"),
        H(0, "Content-Type: text/plain;\n (a comment) charset=utf-8\n\nfolded "
             "with a comment\n"),
        H(0, "Content-Type: text/plain\nContent-Type: text/plain\n\ntwice\n"),
        H(0, "Content-Transfer-Encoding: base64\nContent-Transfer-Encoding: "
             "base64\n\naGk=\n"),
        H(0, "Content-Type: text/calendar\n\nBEGIN:VCALENDAR\n"),
        /* 30 */
        H(0, "Content-Type: text/plain\nContent-Disposition: attachment\n\n"
             "attached\n"),
        H(0, "Content-Type: text/plain\nContent-Description: a note\n\n"
             "another Content header\n"),
        H(0, "Content-Transfer-Encoding: x-uuencode\n\nbegin 644 a.txt\n"
             "#86)C\n`\nend\n"),
        H(0, "Content-Transfer-Encoding: 7-bit\n\nspelt otherwise\n"),
        H(0, "Content-Type: text/plain; charset = utf-8\n\nblanks at =\n"),
        /* 35 */
        H(0, "Content-Type: text/plain; charset=\"utf-8\\\"\"\n\nbackslash\n"),
        H(0, "Content-Type: text/plain; charset*=utf-8''x\n\nRFC 2231\n"),
        H(0, "Content-Type: text/plain; charset=\"utf 8\"\n\nblank in quotes"
             "\n"),
        H(0, "Content-Type: text/plain; charset=\xc3\xa9\n\n8-bit value\n"),
        H(0, "Content-Type: text/plain charset=utf-8\n\nno ';'\n"),
        /* 40 */
        H(0, "Content-Type: text/plain; format=flowed; format=fixed\n\nx\n"),
        H(0, "Content-Type: text/plain; charset=\n\nempty value\n"),
        H(0, "Content-Type: text/plain; charset=\"\"\n\nempty quotes\n"),
        H(0, "Content-Type: text/plain; charset=\"utf-8\n\nunclosed quote\n"),
        H(0, "Content-Type: text/plain; charset=\"utf-8\"x\n\nafter quote\n"),
        /* 45 */
        H(0, "Content-Type: text/plainx\n\nlonger subtype\n"),
        H(0, "Content-Type: text/pl\n ain\n\nfolded in the subtype\n"),
        H(0, "Content-Type: text /plain\n\nblank in the type\n"),
        H(0, "Content-Type: application/octet-stream\n\nnot text\n"),
        H(0, "Content-Type: text/plain; charset=utf-8\nContent-Transfer-"
             "Encoding: base64 x\n\naGk=\n"),
        /* 50 */
        H(0, "Content-Language: en-GB\nContent-Language: fr\n\ntwice\n"),
        H(0, "Content-Language: =?utf-8?q?en?=\n\nencoded word\n"),
        H(0, "Content-Language: en-GB (English)\n\na comment\n"),
        H(0, "Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n"),
        H(0, "From: a@b.example\nFrom: c@d.example\n\nnot lean at all\n"),
        /* 55 */
        H(0, "Content-Type: text/plain; charset=x-a-charset-name-of-sixty-"
             "four-bytes-or-more-is-not-read-0123456789\n\nlong charset\n"),
        /* an encoding's name run into another's: GMime knows neither */
        H(0, "Content-Transfer-Encoding: 7bitbase64\n\ncall me on 07700 "
             "900123\n"),
        H(0, "Content-Transfer-Encoding: 8bitquoted-printable\n\n=\n"),
        H(0, "Content-Transfer-Encoding: binarybase64\n\naGk=\n"),
    };
#undef H
    check_shapes(shapes, G_N_ELEMENTS(shapes), built_direct, "direct");
    /* a body past the text budget is left to GMime, which counts what
     * is not read */
    struct sg_buf big = SG_BUF_INIT;
    append_times(&big, "Content-Type: text/plain\n\n", 1);
    assert_int_equal(sg_buf_reserve(&big, SG_MSGVIEW_MAX_TEXT + 64), 0);
    memset(big.data + big.len, 'a', SG_MSGVIEW_MAX_TEXT + 1);
    big.len += SG_MSGVIEW_MAX_TEXT + 1;
    assert_false(built_direct(big.data, big.len));
    assert_true(built_direct(big.data, big.len - 1));
    check_window(big.data, big.len - 1, "body of the budget");
    sg_buf_free(&big);
}

/* Every transfer encoding's name with whatever may follow it in a
 * Content-Transfer-Encoding line (blanks, a letter, a comment, a
 * separator, another name run into it or after a blank): read directly
 * only when the line is the name alone, between blanks, and the view
 * every way the view of GMime's parse. */
static void
test_direct_encoding_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        "7bit", "8bit", "binary", "quoted-printable", "base64",
        "x-uuencode", "BASE64"};
    static const char *const after[] = {"", " ", "\t", "x", "-", " x",
                                        "(c)", " (c)", ";", ",", "="};
    size_t n = G_N_ELEMENTS(after);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        for (size_t k = 0; k < n + 2 * G_N_ELEMENTS(names); k++) {
            /* past after[]: each name run into this one, then after a
             * blank */
            const char *tail = k < n ? after[k] : names[(k - n) / 2];
            const char *join = k < n || (k - n) % 2 == 0 ? "" : " ";
            char msg[256];
            int len = snprintf(msg, sizeof(msg),
                               "Content-Transfer-Encoding: %s%s%s\n\n"
                               "aGk=\ncall me on 07700 900123 =\n",
                               names[i], join, tail);
            bool alone = i != 5 && k < n &&
                         strspn(tail, " \t") == strlen(tail);
            if (built_direct(msg, (size_t)len) != alone)
                fail_msg("\"%s%s%s\": %s", names[i], join, tail,
                         alone ? "not built directly" : "built directly");
            check_window(msg, (size_t)len, msg);
        }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_like_whole),
        cmocka_unit_test(test_lean_like_whole),
        cmocka_unit_test(test_lean_multipart_like_whole),
        cmocka_unit_test(test_direct_like_gmime),
        cmocka_unit_test(test_direct_encoding_names),
    };
    return cmocka_run_group_tests(tests, sg_test_msgview_setup,
                                  sg_test_msgview_teardown);
}
