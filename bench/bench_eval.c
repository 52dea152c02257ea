/*
 * bench_eval.c - the rules evaluation benchmark: what the milter pays at
 * end of message, in process, for messages of about 4 KB, 100 KB and 5 MB
 * with the shipped policy (rules/policy/default.rules): GMime parsing into
 * the message view alone (the baseline), beside parsing and evaluating,
 * in one run, and the difference (evaluation alone).  Started by
 * run-eval.sh (see README.md, "Rules evaluation (in process)").
 *
 * The messages are generated here from a fixed seed, so every run sees the
 * same bytes: UK school mail from a member of staff (j.smith, school
 * account, authenticated) to a pupil (amy.patel), the people resolved from
 * the demo school's directory file once, before timing (the milter
 * resolves them at RCPT time, not at end of message).  Four shapes per
 * size: a plain-text letter and a text/HTML newsletter that each carry a
 * finding (a mobile number, a Snapchat handle), a note with a CSV of marks
 * attached, and a text/HTML newsletter with a PDF attached; the text is
 * full of things that must not be findings (the school's own number and
 * postcode, dates, times, prices, room numbers, school links).
 *
 * Every verdict is checked (hold by personal-contact-details for the two
 * with findings, journal by private-one-to-one for the others), so a fast
 * wrong answer fails the run instead of looking good.
 *
 * Timing: CLOCK_MONOTONIC around each call, one thread.  Per message and
 * size, "parse" is sg_msgview_build_mem + sg_msgview_free, "parse+eval"
 * the same with sg_rules_eval + sg_verdict_free between them (the eval
 * call is also timed on its own), and "GMime" is GMime's own parse and
 * text extraction of the same bytes (sg_gmime_baseline), which the view
 * is compared with (issue 13).  The three are interleaved message by
 * message, each going first in turn, so that all see the same machine.
 * Several rounds (--rounds, 5); each row shows its median round by
 * messages/s, with the range.
 *
 * How it fails: exit 1 with a message on a bad option, rules or directory
 * that do not load, a message that does not parse, or a wrong verdict;
 * exit 0 after printing the report.  Never part of `make check`.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <gmime/gmime.h>

#include "msgview_build.h"
#include "bench_util.h"
#include "sg_buf.h"
#include "sg_directory.h"
#include "sg_msgview.h"
#include "sg_person.h"
#include "sg_rules.h"

#define SG_SEED 20250312u
#define SG_N_SHAPES 4
#define SG_N_SIZES 3
#define SG_MIB (1024.0 * 1024.0)

/* ------------------------------------------------------------ the text */

/* splitmix64: small, fast, the same on every machine */
static uint64_t sg_rng_state;

static uint64_t
sg_rng(void)
{
    uint64_t z = (sg_rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static size_t
sg_pick(size_t n)
{
    return (size_t)(sg_rng() % n);
}

/* What a school writes to pupils and parents.  Full of near misses for the
 * detectors: the school's own number (01632 960000) and postcode (LS1 4AP),
 * dates, times, prices, room and reference numbers, school links. */
static const char *const sg_sentences[] = {
    "Thank you to everyone who came to the Year 8 parents' evening on Tuesday 11 March.",
    "Homework for this week is on the learning platform: please complete the algebra worksheet by Friday.",
    "The coach for the Geography field trip leaves at 08:15 on 21/03/2025 and returns by 16:30.",
    "Tickets for the spring concert cost \xC2\xA3" "3.50 for adults and \xC2\xA3" "2 for children, from the school office.",
    "Please bring your signed consent form to Room 214 before registration.",
    "If you have any questions, please call the school office on 01632 960000.",
    "Our address is Oakfield Academy, 12 Mill Lane, Leeds LS1 4AP.",
    "Revision sessions run in the library from 15:20 to 16:20 every Monday, Wednesday and Thursday.",
    "The deadline for the History coursework is 28 March; drafts handed in by 14 March will get feedback.",
    "Well done to the under-13 netball team, who won 14-9 against Riverside on Saturday.",
    "Reminder: school closes at 13:00 on Friday 4 April for the Easter holidays.",
    "The lost property cupboard is by Reception; anything not collected by 2 May goes to the charity shop.",
    "Year 10 work experience placements must be confirmed by 30 April (reference WEX-2025-0417).",
    "Please check that your child's PE kit is named; we have 37 unnamed jumpers in the changing rooms.",
    "Our Ofsted report is on the website at https://www.school.example/about/reports.",
    "Read the full newsletter at https://www.school.example/news/2025-03 or pick up a copy at Reception.",
    "Dinner money can be paid online; a school meal costs \xC2\xA3" "2.60 a day, \xC2\xA3" "13.00 a week.",
    "The Duke of Edinburgh bronze expedition is on 9-10 May; the kit list is in the attached letter.",
    "Mock exams start on Monday 24 February in the Sports Hall; candidates should arrive by 08:40.",
    "The school's attendance this term is 95.2%, up from 93.8% last term: thank you for your support.",
    "Please read pages 45 to 62 of the set text and answer questions 1-6 in your exercise book.",
    "Science club meets in Lab 3 on Tuesdays at 12:35; this week we are building water rockets.",
    "The library has 120 new books this term, chosen by the Year 7 reading group.",
    "Anyone who would like extra help with maths can come to Room 108 at lunchtime.",
    "For safeguarding concerns please contact our DSL through the school office, extension 210.",
    "Term dates for 2025-26 are on the website; INSET days are 1 September and 27 October.",
    "The charity bake sale raised \xC2\xA3" "412.75 for the local food bank: thank you, 9C!",
    "Please log in to the homework app with your school account, not a personal one.",
    "Year 11 should bring two black pens, a pencil, a ruler and a scientific calculator to every exam.",
    "Sports day is pencilled in for 3 July, weather permitting, with a reserve date of 10 July.",
};
#define SG_N_SENTENCES (sizeof(sg_sentences) / sizeof(sg_sentences[0]))

static const char *const sg_pupils[] = {
    "Patel,Amy", "Okafor,Ben", "Ahmed,Zara", "Brown,Oliver", "Clarke,Isla",
    "Davies,Noah", "Evans,Lily", "Fraser,Harry", "Green,Ava", "Hussain,Yusuf",
    "Jackson,Grace", "Kaur,Simran", "Lewis,Jack", "Murphy,Ella", "Nowak,Jakub",
    "O'Brien,Sophie", "Robinson,Leo", "Singh,Arjun", "Taylor,Mia", "Wilson,George",
};
#define SG_N_PUPILS (sizeof(sg_pupils) / sizeof(sg_pupils[0]))

static const char *const sg_subjects_taught[] = {
    "Maths", "English", "Science", "History", "Geography", "French", "Art",
    "Music", "Computing", "RE",
};

/* The findings: what the rule personal-contact-details must catch. */
static const char sg_finding_mobile[] =
    "If you get stuck over the holidays, ring me on 07700 900123 and I'll help.";
static const char sg_finding_social[] =
    "Photos from the trip are up; add me on snap: @mrsmith_teach to see them.";

/* One paragraph of 2 to 5 sentences. */
static void
sg_paragraph(struct sg_buf *b)
{
    size_t n = 2 + sg_pick(4);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sg_put(b, " ");
        sg_put(b, sg_sentences[sg_pick(SG_N_SENTENCES)]);
    }
}

/* Plain text: paragraphs, lines wrapped at 72 columns, CRLF. */
static void
sg_wrap(struct sg_buf *out, const char *text)
{
    size_t col = 0;
    const char *p = text;
    while (*p != '\0') {
        const char *sp = strchr(p, ' ');
        size_t wl = sp != NULL ? (size_t)(sp - p) : strlen(p);
        if (col > 0 && col + 1 + wl > 72) {
            sg_put(out, "\r\n");
            col = 0;
        } else if (col > 0) {
            sg_put(out, " ");
            col++;
        }
        if (sg_buf_append(out, p, wl) < 0)
            sg_bench_die("out of memory");
        col += wl;
        p += wl;
        if (*p == ' ')
            p++;
    }
    sg_put(out, "\r\n");
}

/* Quoted-printable (RFC 2045), as mail clients send text: lines at most 76
 * characters with soft breaks, non-ASCII and '=' escaped, CRLF kept. */
static void
sg_base64(struct sg_buf *out, const unsigned char *s, size_t len)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t col = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)s[i + 1] << 8;
        if (i + 2 < len)
            v |= s[i + 2];
        char q[5] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63],
                     i + 1 < len ? tab[(v >> 6) & 63] : '=',
                     i + 2 < len ? tab[v & 63] : '=', '\0'};
        sg_put(out, q);
        col += 4;
        if (col == 76) {
            sg_put(out, "\r\n");
            col = 0;
        }
    }
    if (col > 0)
        sg_put(out, "\r\n");
}

/* ------------------------------------------------------------ messages */

/* The shapes, each scaled by a number of units (paragraphs, CSV rows or KB
 * of PDF) to reach a size. */
enum sg_shape {
    SG_SHAPE_LETTER = 0,   /* text/plain QP, mobile number in it */
    SG_SHAPE_NEWSLETTER,   /* multipart/alternative text + HTML, snap handle */
    SG_SHAPE_MARKS,        /* multipart/mixed: note + text/csv (base64) */
    SG_SHAPE_PDF,          /* multipart/mixed: alternative + application/pdf */
};

static const char *const sg_shape_names[SG_N_SHAPES] = {
    "letter (text/plain, a mobile number)",
    "newsletter (text + HTML, a Snapchat handle)",
    "marks (note + CSV attachment)",
    "newsletter + PDF attachment",
};

static void
sg_headers(struct sg_buf *m, const char *subject, const char *id)
{
    sg_put(m, "Return-Path: <j.smith@school.example>\r\n"
              "Received: from [10.20.4.17] (staff-laptop-042.school.example [10.20.4.17])\r\n"
              "\tby mail.school.example (Postfix) with ESMTPSA id 4Zb7yK1QwXz9sTq\r\n"
              "\tfor <amy.patel@school.example>; Wed, 12 Mar 2025 10:15:02 +0000 (GMT)\r\n"
              "From: John Smith <j.smith@school.example>\r\n"
              "To: Amy Patel <amy.patel@school.example>\r\n");
    sg_putf(m, "Subject: %s\r\n", subject);
    sg_put(m, "Date: Wed, 12 Mar 2025 10:15:00 +0000\r\n");
    sg_putf(m, "Message-ID: <%s@bench.school.example>\r\n", id);
    sg_put(m, "MIME-Version: 1.0\r\n"
              "User-Agent: Mozilla Thunderbird\r\n"
              "Content-Language: en-GB\r\n");
}

/* The body text: units paragraphs, the finding (if any) in the last. */
static void
sg_body_text(struct sg_buf *t, size_t units, const char *finding)
{
    sg_put(t, "Dear Amy,\r\n\r\n");
    for (size_t i = 0; i < units; i++) {
        struct sg_buf p = SG_BUF_INIT;
        sg_paragraph(&p);
        if (finding != NULL && i + 1 == units) {
            sg_put(&p, " ");
            sg_put(&p, finding);
        }
        sg_wrap(t, p.data);
        sg_put(t, "\r\n");
        sg_buf_free(&p);
    }
    if (finding != NULL && units == 0) {
        sg_wrap(t, finding);
        sg_put(t, "\r\n");
    }
    sg_put(t, "Best wishes,\r\n\r\nMr J Smith\r\nHead of Year 8, Oakfield Academy\r\n"
              "Tel: 01632 960000 | https://www.school.example\r\n");
}

/* The same content as a newsletter in HTML (what Outlook and Thunderbird
 * send: a style block, a layout table, headings, links). */
static void
sg_body_html(struct sg_buf *h, size_t units, const char *finding)
{
    sg_put(h, "<!DOCTYPE html>\r\n<html><head><meta http-equiv=\"Content-Type\" "
              "content=\"text/html; charset=UTF-8\">\r\n<style>\r\n"
              "body { font-family: Calibri, Arial, sans-serif; font-size: 11pt; }\r\n"
              "td.news { padding: 8px 16px; border-bottom: 1px solid #ccc; }\r\n"
              "h2 { color: #1f4e79; }\r\n</style></head>\r\n<body>\r\n"
              "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\">\r\n"
              "<tr><td><img src=\"cid:logo@school.example\" alt=\"Oakfield Academy\"></td></tr>\r\n"
              "<tr><td class=\"news\"><p>Dear Amy,</p></td></tr>\r\n");
    for (size_t i = 0; i < units; i++) {
        struct sg_buf p = SG_BUF_INIT;
        sg_paragraph(&p);
        if (finding != NULL && i + 1 == units) {
            sg_put(&p, " ");
            sg_put(&p, finding);
        }
        sg_putf(h, "<tr><td class=\"news\"><h2>%s news</h2>\r\n<p>",
                sg_subjects_taught[sg_pick(10)]);
        /* lines of HTML source stay short, as mailers wrap them */
        struct sg_buf w = SG_BUF_INIT;
        sg_wrap(&w, p.data);
        sg_put(h, w.data);
        sg_putf(h, "<a href=\"https://www.school.example/news/%zu\">Read more</a>"
                   "</p></td></tr>\r\n", 100 + i);
        sg_buf_free(&w);
        sg_buf_free(&p);
    }
    if (finding != NULL && units == 0)
        sg_putf(h, "<tr><td class=\"news\"><p>%s</p></td></tr>\r\n", finding);
    sg_put(h, "<tr><td class=\"news\"><p>Best wishes,<br>Mr J Smith<br>"
              "Head of Year 8, Oakfield Academy<br>Tel: 01632 960000</p>"
              "</td></tr>\r\n</table>\r\n</body></html>\r\n");
}

static void
sg_part_qp(struct sg_buf *m, const char *type, const struct sg_buf *body)
{
    sg_putf(m, "Content-Type: %s; charset=UTF-8\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n", type);
    sg_qp(m, body->data, body->len);
    sg_put(m, "\r\n");
}

static void
sg_alternative(struct sg_buf *m, size_t units, const char *finding,
               const char *boundary)
{
    struct sg_buf t = SG_BUF_INIT, h = SG_BUF_INIT;
    uint64_t save = sg_rng_state;
    sg_body_text(&t, units, finding);
    sg_rng_state = save; /* the HTML says the same as the text */
    sg_body_html(&h, units, finding);
    sg_putf(m, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n",
            boundary);
    sg_putf(m, "--%s\r\n", boundary);
    sg_part_qp(m, "text/plain", &t);
    sg_putf(m, "--%s\r\n", boundary);
    sg_part_qp(m, "text/html", &h);
    sg_putf(m, "--%s--\r\n", boundary);
    sg_buf_free(&t);
    sg_buf_free(&h);
}

static void
sg_make(struct sg_buf *m, enum sg_shape shape, size_t units, unsigned size_i)
{
    sg_rng_state = SG_SEED + 1000u * size_i + (unsigned)shape;
    sg_buf_reset(m);
    char id[64];
    snprintf(id, sizeof(id), "bench-%u-%d-%zu", size_i, (int)shape, units);
    switch (shape) {
    case SG_SHAPE_LETTER: {
        sg_headers(m, "Your revision plan", id);
        struct sg_buf t = SG_BUF_INIT;
        sg_body_text(&t, units, sg_finding_mobile);
        sg_part_qp(m, "text/plain", &t);
        sg_buf_free(&t);
        break;
    }
    case SG_SHAPE_NEWSLETTER:
        sg_headers(m, "Oakfield News - March", id);
        sg_alternative(m, units, sg_finding_social, "=_alt_7f3a91c2");
        break;
    case SG_SHAPE_MARKS: {
        sg_headers(m, "Your marks this half-term", id);
        sg_put(m, "Content-Type: multipart/mixed; boundary=\"=_mix_51b0d4e8\"\r\n\r\n"
                  "This is a multi-part message in MIME format.\r\n"
                  "--=_mix_51b0d4e8\r\n");
        struct sg_buf t = SG_BUF_INIT, csv = SG_BUF_INIT;
        sg_body_text(&t, 1, NULL);
        sg_part_qp(m, "text/plain", &t);
        sg_put(&csv, "Surname,Forename,Form,Subject,Assessment,Date,Mark,Out of,Grade\r\n");
        for (size_t i = 0; i < units; i++) {
            unsigned mark = (unsigned)sg_pick(61);
            sg_putf(&csv, "%s,%c%c,%s,Assessment %zu,2025-%02u-%02u,%u,60,%u\r\n",
                    sg_pupils[sg_pick(SG_N_PUPILS)], (char)('7' + sg_pick(5)),
                    "ABCD"[sg_pick(4)],
                    sg_subjects_taught[sg_pick(10)], 1 + i % 6,
                    (unsigned)(1 + sg_pick(6)), (unsigned)(1 + sg_pick(28)),
                    mark, 1 + mark / 7);
        }
        sg_put(m, "--=_mix_51b0d4e8\r\n"
                  "Content-Type: text/csv; charset=UTF-8; name=\"marks-8B.csv\"\r\n"
                  "Content-Disposition: attachment; filename=\"marks-8B.csv\"\r\n"
                  "Content-Transfer-Encoding: base64\r\n\r\n");
        sg_base64(m, (const unsigned char *)csv.data, csv.len);
        sg_put(m, "--=_mix_51b0d4e8--\r\n");
        sg_buf_free(&t);
        sg_buf_free(&csv);
        break;
    }
    case SG_SHAPE_PDF: {
        sg_headers(m, "Trip letter and newsletter", id);
        sg_put(m, "Content-Type: multipart/mixed; boundary=\"=_mix_a8e2f017\"\r\n\r\n"
                  "--=_mix_a8e2f017\r\n");
        /* a short newsletter and a PDF of 256 bytes a unit (about
         * three quarters of the message) */
        sg_alternative(m, 1 + units / 16, NULL, "=_alt_0c6d2b94");
        size_t pdf_len = units * 256;
        unsigned char *pdf = sg_bench_xmalloc(pdf_len + 16);
        memcpy(pdf, "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n", 15);
        for (size_t i = 15; i < pdf_len + 16; i++)
            pdf[i] = (unsigned char)sg_rng();
        sg_put(m, "--=_mix_a8e2f017\r\n"
                  "Content-Type: application/pdf; name=\"DofE-kit-list.pdf\"\r\n"
                  "Content-Disposition: attachment; filename=\"DofE-kit-list.pdf\"\r\n"
                  "Content-Transfer-Encoding: base64\r\n\r\n");
        sg_base64(m, pdf, pdf_len + 16);
        sg_put(m, "--=_mix_a8e2f017--\r\n");
        free(pdf);
        break;
    }
    }
}

/* The smallest number of units whose message reaches target bytes. */
static void
sg_make_sized(struct sg_buf *m, enum sg_shape shape, size_t target,
              unsigned size_i)
{
    size_t lo = 0, hi = 1;
    for (;;) {
        sg_make(m, shape, hi, size_i);
        if (m->len >= target)
            break;
        lo = hi;
        hi *= 2;
    }
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        sg_make(m, shape, mid, size_i);
        if (m->len >= target)
            hi = mid;
        else
            lo = mid;
    }
    sg_make(m, shape, hi, size_i);
}

/* A message written by --write. */
static void
sg_read_file(struct sg_buf *b, const char *dir, const char *size, int shape)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s-%d.eml", dir, size, shape + 1);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        sg_bench_die("%s: %s", path, strerror(errno));
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (sg_buf_append(b, chunk, n) < 0)
            sg_bench_die("out of memory");
    if (ferror(f))
        sg_bench_die("%s: read error", path);
    fclose(f);
}

/* ------------------------------------------------------------- timings */

struct sg_series {
    uint64_t *ns;
    size_t n, cap;
};

static void
sg_series_add(struct sg_series *s, uint64_t ns)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->ns = realloc(s->ns, s->cap * sizeof(*s->ns));
        if (s->ns == NULL)
            sg_bench_die("out of memory");
    }
    s->ns[s->n++] = ns;
}

static int
sg_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int
sg_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* nearest-rank percentile of a sorted array */
static uint64_t
sg_pct(const uint64_t *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* ------------------------------------------------------------ the bench */

struct sg_size {
    const char *label;
    size_t target; /* bytes */
    size_t reps;   /* messages per mode per round (cycling over shapes) */
};

struct sg_msg {
    char *data;
    size_t len;
    enum sg_shape shape;
    enum sg_action want;
    bool want_contact; /* personal-contact-details must match */
};

/* One size, one round. */
struct sg_round {
    uint64_t parse_ns, full_ns, eval_ns; /* totals */
    uint64_t gmime_ns;                   /* GMime's own parse and text */
    uint64_t bytes;                      /* per mode */
    size_t msgs;                         /* per mode */
};

struct sg_ctx {
    const struct sg_rules *rules;
    struct sg_eval_input in;
};

static void
sg_check_verdict(const struct sg_msg *msg, const struct sg_verdict *v)
{
    bool contact = false, journal_rule = false;
    for (size_t i = 0; i < v->n_rules; i++) {
        if (strcmp(v->rules[i].id, "personal-contact-details") == 0)
            contact = true;
        if (strcmp(v->rules[i].id, "private-one-to-one") == 0)
            journal_rule = true;
    }
    if (v->action == msg->want && contact == msg->want_contact && journal_rule &&
        v->journal)
        return;
    fprintf(stderr, "bench_eval: %s (%zu bytes): verdict %s%s, want %s; rules:",
            sg_shape_names[msg->shape], msg->len, sg_action_name(v->action),
            v->journal ? "+journal" : "", sg_action_name(msg->want));
    for (size_t i = 0; i < v->n_rules; i++) {
        fprintf(stderr, " %s", v->rules[i].id);
        for (size_t j = 0; j < v->rules[i].n_findings; j++)
            fprintf(stderr, " [%s \"%s\" in %s]", v->rules[i].findings[j].detector,
                    v->rules[i].findings[j].text, v->rules[i].findings[j].where);
    }
    fputc('\n', stderr);
    exit(1);
}

static uint64_t
sg_run_parse(const struct sg_msg *msg)
{
    struct sg_msgview *view = NULL;
    const char *err = NULL;
    uint64_t t0 = sg_bench_now_ns();
    if (sg_msgview_build_mem(msg->data, msg->len, &view, &err) != 0)
        sg_bench_die("parse: %s", err);
    sg_msgview_free(&view);
    return sg_bench_now_ns() - t0;
}

/* GMime's own parse and text extraction of the same bytes, the least any
 * GMime user does to read a message's text: the message constructed from
 * a memory stream, every part visited (GMime's part iterator, which opens
 * multiparts and attached messages), and the text of every text/ part,
 * plain and HTML, attachments included, fetched with
 * g_mime_text_part_get_text (transfer decoding and conversion from the
 * declared charset to UTF-8), then freed.  Returns the bytes of text, so
 * that the work cannot be left out; noinline so that callgrind counts it
 * apart (run-eval.sh). */
static __attribute__((noinline)) size_t
sg_gmime_baseline(const char *data, size_t len)
{
    size_t text = 0;
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *message = g_mime_parser_construct_message(parser, NULL);
    if (message == NULL)
        sg_bench_die("GMime: no message");
    GMimePartIter *iter = g_mime_part_iter_new(GMIME_OBJECT(message));
    for (bool more = g_mime_part_iter_is_valid(iter); more;
         more = g_mime_part_iter_next(iter)) {
        GMimeObject *part = g_mime_part_iter_get_current(iter);
        if (!GMIME_IS_TEXT_PART(part))
            continue;
        char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
        if (t == NULL)
            sg_bench_die("GMime: a text part without text");
        text += strlen(t);
        g_free(t);
    }
    g_mime_part_iter_free(iter);
    g_object_unref(message);
    g_object_unref(parser);
    g_object_unref(stream);
    return text;
}

static uint64_t
sg_run_gmime(const struct sg_msg *msg)
{
    uint64_t t0 = sg_bench_now_ns();
    size_t text = sg_gmime_baseline(msg->data, msg->len);
    uint64_t ns = sg_bench_now_ns() - t0;
    if (text == 0)
        sg_bench_die("GMime: no text in %s", sg_shape_names[msg->shape]);
    return ns;
}

static uint64_t
sg_run_full(struct sg_ctx *c, const struct sg_msg *msg, uint64_t *eval_ns_r)
{
    struct sg_msgview *view = NULL;
    struct sg_verdict *verdict = NULL;
    const char *err = NULL;
    uint64_t t0 = sg_bench_now_ns();
    if (sg_msgview_build_mem(msg->data, msg->len, &view, &err) != 0)
        sg_bench_die("parse: %s", err);
    uint64_t t1 = sg_bench_now_ns();
    c->in.view = view;
    if (sg_rules_eval(c->rules, &c->in, &verdict, &err) != 0)
        sg_bench_die("eval: %s", err);
    uint64_t t2 = sg_bench_now_ns();
    sg_verdict_free(&verdict);
    sg_msgview_free(&view);
    uint64_t t3 = sg_bench_now_ns();
    /* checked outside the timed part */
    *eval_ns_r = t2 - t1;
    return t3 - t0;
}

static void
sg_check_once(struct sg_ctx *c, const struct sg_msg *msg)
{
    struct sg_msgview *view = NULL;
    struct sg_verdict *verdict = NULL;
    const char *err = NULL;
    if (sg_msgview_build_mem(msg->data, msg->len, &view, &err) != 0)
        sg_bench_die("parse: %s", err);
    c->in.view = view;
    if (sg_rules_eval(c->rules, &c->in, &verdict, &err) != 0)
        sg_bench_die("eval: %s", err);
    sg_check_verdict(msg, verdict);
    sg_verdict_free(&verdict);
    sg_msgview_free(&view);
}

/* Where evaluation time goes: each detector that personal-contact-details
 * names, run on its own (sg_detect_median_ms) over every text part of the
 * messages of one size, as the evaluator scans them; the median of
 * three passes. */
static const char *const sg_contact_detectors[] = {
    "uk-mobile", "uk-landline", "personal-email", "social-media",
    "messaging-invite", "home-address",
};
#define SG_N_CONTACT (sizeof(sg_contact_detectors) / sizeof(sg_contact_detectors[0]))

/* Every built-in detector, for the one-scan rows. */
static const char *const sg_builtin_detectors[] = {
    "uk-mobile", "uk-landline", "personal-email", "social-media",
    "messaging-invite", "home-address", "upn", "nhs-number", "uln",
    "pupil-dob", "pupil-roster",
};
#define SG_N_BUILTIN \
    (sizeof(sg_builtin_detectors) / sizeof(sg_builtin_detectors[0]))

/* Milliseconds for one scan of every text part of views for the detectors
 * names[0..n) together (sg_rules_detect_many; n 1: that detector alone),
 * the median of three passes. */
static double
sg_detect_median_ms(const struct sg_rules *rules,
                    struct sg_msgview *const *views, const char *const *names,
                    size_t n, time_t now, const char *label)
{
    uint64_t pass[3];
    for (int r = 0; r < 3; r++) {
        uint64_t t0 = sg_bench_now_ns();
        for (int k = 0; k < SG_N_SHAPES; k++) {
            const struct sg_msgview *v = views[k];
            for (size_t t = 0; t < v->n_texts; t++) {
                struct sg_finding *f = NULL;
                size_t nf = 0;
                const char *err = NULL;
                if (sg_rules_detect_many(rules, names, n, v->texts[t].text,
                                         v->texts[t].len, now, &f, &nf,
                                         &err) != 0)
                    sg_bench_die("%s: %s", label, err);
                sg_findings_free(&f, &nf);
            }
        }
        pass[r] = sg_bench_now_ns() - t0;
    }
    qsort(pass, 3, sizeof(pass[0]), sg_cmp_u64);
    return (double)pass[1] / 1e6;
}

/* The detectors together, as an evaluation scans for them: each text once
 * for all of them (sg_rules_detect_many), over every text part of the
 * four messages; the median of three passes, and MB/s of decoded text. */
static void
sg_detectors_together(const struct sg_rules *rules,
                      struct sg_msgview *const *views, size_t text, time_t now)
{
    static const struct {
        const char *label;
        const char *const *names;
        size_t n;
    } sets[] = {
        {"the six, one scan", sg_contact_detectors, SG_N_CONTACT},
        {"all 11 built-in, one scan", sg_builtin_detectors, SG_N_BUILTIN},
    };
    printf("\nAll together: each text scanned once for every detector of the "
           "set (sg_rules_detect_many), median of 3 passes:\n\n");
    printf("| detectors                  | ms (4 messages) | MB/s of text |\n");
    printf("|----------------------------|----------------:|-------------:|\n");
    for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
        double ms = sg_detect_median_ms(rules, views, sets[s].names, sets[s].n,
                                        now, sets[s].label);
        printf("| %-26s | %15.1f | %12.1f |\n", sets[s].label, ms,
               ms > 0 ? ((double)text / SG_MIB) / (ms / 1e3) : 0.0);
    }
}

static void
sg_detector_breakdown(const struct sg_rules *rules, const struct sg_msg *msgs,
                      const char *label, time_t now, double eval_ms)
{
    struct sg_msgview *views[SG_N_SHAPES];
    size_t raw = 0, text = 0;
    for (int k = 0; k < SG_N_SHAPES; k++) {
        const char *err = NULL;
        views[k] = NULL;
        if (sg_msgview_build_mem(msgs[k].data, msgs[k].len, &views[k], &err) != 0)
            sg_bench_die("parse: %s", err);
        raw += msgs[k].len;
        for (size_t t = 0; t < views[k]->n_texts; t++)
            text += views[k]->texts[t].len;
    }
    printf("\nBy detector: the %zu detectors of personal-contact-details, each "
           "run alone over all text parts of the four %s messages "
           "(%.1f MB raw, %.1f MB of decoded text), median of 3 passes:\n\n",
           SG_N_CONTACT, label, (double)raw / SG_MIB, (double)text / SG_MIB);
    printf("| detector         | ms (4 messages) | ms/MB of text | share |\n");
    printf("|------------------|----------------:|--------------:|------:|\n");
    double ms[SG_N_CONTACT], total = 0;
    for (size_t d = 0; d < SG_N_CONTACT; d++) {
        ms[d] = sg_detect_median_ms(rules, views, &sg_contact_detectors[d], 1,
                                    now, sg_contact_detectors[d]);
        total += ms[d];
    }
    for (size_t d = 0; d < SG_N_CONTACT; d++)
        printf("| %-16s | %15.1f | %13.2f | %4.0f%% |\n", sg_contact_detectors[d],
               ms[d], ms[d] / ((double)text / SG_MIB), 100.0 * ms[d] / total);
    printf("| %-16s | %15.1f | %13.2f |  100%% |\n", "all six", total,
           total / ((double)text / SG_MIB));
    printf("\nsum of the six alone %.1f ms; sg_rules_eval p50 summed over the "
           "four messages %.1f ms\n", total, eval_ms);
    /* the five the shipped policy's letter to a pupil does not ask for,
     * each alone: where all eleven's time goes beyond the six */
    printf("\nThe other built-in detectors, each run alone the same way:\n\n");
    printf("| detector         | ms (4 messages) | MB/s of text |\n");
    printf("|------------------|----------------:|-------------:|\n");
    for (size_t d = SG_N_CONTACT; d < SG_N_BUILTIN; d++) {
        double m = sg_detect_median_ms(rules, views, &sg_builtin_detectors[d],
                                       1, now, sg_builtin_detectors[d]);
        printf("| %-16s | %15.1f | %12.1f |\n", sg_builtin_detectors[d], m,
               m > 0 ? ((double)text / SG_MIB) / (m / 1e3) : 0.0);
    }
    sg_detectors_together(rules, views, text, now);
    for (int k = 0; k < SG_N_SHAPES; k++)
        sg_msgview_free(&views[k]);
}

static void
sg_usage(void)
{
    fputs("usage: bench_eval --rules FILE --directory FILE [--rounds N]\n"
          "         [--reps-4k N] [--reps-100k N] [--reps-5m N] [--sizes LIST]\n"
          "         [--write DIR] [--read DIR] [--once SIZE]\n"
          "  --sizes: a comma-separated subset of 4k,100k,5m\n"
          "  --write: also write the generated messages to DIR as SIZE-N.eml\n"
          "  --read:  read the messages --write wrote instead of generating\n"
          "           them (the same bytes, without the cost of making them)\n"
          "  --once:  parse and evaluate each message of one size once and\n"
          "           check the verdict; no timing, no report (for\n"
          "           valgrind --tool=callgrind)\n",
          stderr);
    exit(1);
}

static double
sg_rate(size_t n, uint64_t ns)
{
    return ns > 0 ? (double)n * 1e9 / (double)ns : 0.0;
}

static void
sg_row(const char *size, const char *what, const double *rates,
       const double *mbs, int rounds, size_t msgs, const struct sg_series *s)
{
    /* rates are sorted; mbs in the same order of rounds as rates */
    int mid = (rounds - 1) / 2;
    char range[64];
    snprintf(range, sizeof(range), "%.0f-%.0f", rates[0], rates[rounds - 1]);
    if (rates[rounds - 1] < 10)
        snprintf(range, sizeof(range), "%.1f-%.1f", rates[0], rates[rounds - 1]);
    uint64_t p50 = sg_pct(s->ns, s->n, 0.50), p99 = sg_pct(s->ns, s->n, 0.99);
    printf("| %-6s | %-22s | %8zu | %9.1f | %13s | %8.1f | %8.3f | %8.3f |\n",
           size, what, msgs, rates[mid], range, mbs[mid], (double)p50 / 1e6,
           (double)p99 / 1e6);
}

/* The message view against GMime's own parse and text extraction
 * (sg_gmime_baseline) of the same messages in the same run: per shape
 * the ratio of the two p50s; per size the ratio of the sums of the four
 * shapes' p50s (a message of each shape, each at its median: what the
 * done-when line judges, as a burst of other work on the shared machine
 * moves a mean but hardly a median), and the ratio of all view builds'
 * time to all baselines' time, with the lowest and highest round's. */
static void
sg_against_gmime(const struct sg_size *sizes, const bool *use,
                 struct sg_round res[][64],
                 int rounds, struct sg_series k_gmime[][SG_N_SHAPES],
                 struct sg_series k_parse[][SG_N_SHAPES])
{
    const double limit = 1.3;
    bool within = true;
    printf("\nThe message view against GMime's own parse and text extraction "
           "(the view: sg_msgview_build_mem + sg_msgview_free; GMime: parse "
           "from memory, every part, g_mime_text_part_get_text of every text "
           "part); ms, p50 over all rounds by shape; \"p50s summed\": one "
           "message of each shape at its p50; \"total time\": all messages "
           "of all rounds, \"rounds\": the lowest and highest ratio of a "
           "round\n\n");
    printf("| %-6s | %-44s | %9s | %9s | %7s | %11s |\n", "size", "message",
           "GMime", "view", "ratio", "rounds");
    printf("|--------|----------------------------------------------|"
           "----------:|----------:|--------:|------------:|\n");
    for (int i = 0; i < SG_N_SIZES; i++) {
        if (!use[i])
            continue;
        double g_sum = 0, p_sum = 0;
        for (int k = 0; k < SG_N_SHAPES; k++) {
            struct sg_series *sg = &k_gmime[i][k], *sp = &k_parse[i][k];
            qsort(sg->ns, sg->n, sizeof(uint64_t), sg_cmp_u64);
            qsort(sp->ns, sp->n, sizeof(uint64_t), sg_cmp_u64);
            double g = (double)sg_pct(sg->ns, sg->n, 0.5) / 1e6;
            double p = (double)sg_pct(sp->ns, sp->n, 0.5) / 1e6;
            g_sum += g;
            p_sum += p;
            printf("| %-6s | %-44s | %9.3f | %9.3f | %6.2fx | %11s |\n",
                   sizes[i].label, sg_shape_names[k], g, p, p / g, "");
        }
        printf("| %-6s | %-44s | %9.3f | %9.3f | %6.2fx | %11s |\n",
               sizes[i].label, "all four, p50s summed", g_sum, p_sum,
               p_sum / g_sum, "");
        within = within && p_sum / g_sum <= limit;
        uint64_t gns = 0, pns = 0;
        size_t n = 0;
        double lo = 0, hi = 0;
        for (int r = 0; r < rounds; r++) {
            double q = (double)res[i][r].parse_ns / (double)res[i][r].gmime_ns;
            lo = r == 0 || q < lo ? q : lo;
            hi = r == 0 || q > hi ? q : hi;
            gns += res[i][r].gmime_ns;
            pns += res[i][r].parse_ns;
            n += res[i][r].msgs;
        }
        double ratio = (double)pns / (double)gns;
        char range[32];
        snprintf(range, sizeof(range), "%.2f-%.2f", lo, hi);
        printf("| %-6s | %-44s | %9.3f | %9.3f | %6.2fx | %11s |\n",
               sizes[i].label, "all four, total time (per message)",
               (double)gns / 1e6 / (double)n, (double)pns / 1e6 / (double)n,
               ratio, range);
    }
    printf("\ndone-when (the view at most %.1fx GMime's own parse and text "
           "extraction at every size, p50s summed over the four shapes): "
           "%s\n",
           limit, within ? "yes" : "no");
}

int
main(int argc, char **argv)
{
    sg_bench_name = "bench_eval";
    const char *rules_path = NULL, *dir_path = NULL, *write_dir = NULL;
    const char *read_dir = NULL;
    const char *sizes_opt = "4k,100k,5m", *once = NULL;
    /* about 25 s of timing on a 2.6 GHz core */
    int rounds = 5;
    struct sg_size sizes[SG_N_SIZES] = {
        {"4k", 4 * 1024, 4000},
        {"100k", 100 * 1024, 600},
        {"5m", 5 * 1024 * 1024, 24},
    };
    static const struct option longopts[] = {
        {"rules", required_argument, NULL, 'r'},
        {"directory", required_argument, NULL, 'd'},
        {"rounds", required_argument, NULL, 'n'},
        {"reps-4k", required_argument, NULL, '1'},
        {"reps-100k", required_argument, NULL, '2'},
        {"reps-5m", required_argument, NULL, '3'},
        {"sizes", required_argument, NULL, 's'},
        {"write", required_argument, NULL, 'w'},
        {"read", required_argument, NULL, 'R'},
        {"once", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'r': rules_path = optarg; break;
        case 'd': dir_path = optarg; break;
        case 'n': rounds = atoi(optarg); break;
        case '1': sizes[0].reps = (size_t)strtoul(optarg, NULL, 10); break;
        case '2': sizes[1].reps = (size_t)strtoul(optarg, NULL, 10); break;
        case '3': sizes[2].reps = (size_t)strtoul(optarg, NULL, 10); break;
        case 's': sizes_opt = optarg; break;
        case 'w': write_dir = optarg; break;
        case 'R': read_dir = optarg; break;
        case 'o': once = optarg; break;
        default: sg_usage();
        }
    }
    if (rules_path == NULL || dir_path == NULL || rounds < 1 || optind != argc)
        sg_usage();
    bool use[SG_N_SIZES];
    for (int i = 0; i < SG_N_SIZES; i++) {
        const char *list = once != NULL ? once : sizes_opt;
        size_t l = strlen(sizes[i].label);
        const char *p = list;
        use[i] = false;
        while ((p = strstr(p, sizes[i].label)) != NULL) {
            if ((p == list || p[-1] == ',') && (p[l] == ',' || p[l] == '\0'))
                use[i] = true;
            p += l;
        }
        if (use[i] && sizes[i].reps < SG_N_SHAPES && once == NULL)
            sg_bench_die("--reps for %s must be at least %d", sizes[i].label,
                         SG_N_SHAPES);
    }

    /* the site, as tests/integration/test_check.sh configures it */
    static const char *const domains[] = {"school.example"};
    static const char *const phones[] = {"01632 960000"};
    static const char *const postcodes[] = {"LS1 4AP"};
    struct sg_rules_options ropt;
    memset(&ropt, 0, sizeof(ropt));
    ropt.school_domains = domains;
    ropt.n_school_domains = 1;
    ropt.school_phone_numbers = phones;
    ropt.n_school_phone_numbers = 1;
    ropt.school_postcodes = postcodes;
    ropt.n_school_postcodes = 1;
    ropt.timezone = "Europe/London";
    ropt.dsl_contact = "Mrs Aisha Khan (DSL), extension 210";
    struct sg_rules *rules = NULL;
    const char *err = NULL;
    if (sg_rules_load(rules_path, &ropt, &rules, &err) != 0)
        sg_bench_die("%s", err);

    struct sg_dir_config dcfg;
    sg_dir_config_init(&dcfg);
    dcfg.backend = SG_DIR_BACKEND_FILE;
    char *dir_path_copy = strdup(dir_path);
    if (dir_path_copy == NULL)
        sg_bench_die("out of memory");
    dcfg.file_path = dir_path_copy;
    struct sg_directory *dir = NULL;
    if (sg_dir_new(&dcfg, &dir, &err) != SG_DIR_FOUND)
        sg_bench_die("%s", err);
    struct sg_person *from = NULL, *to = NULL;
    enum sg_channel from_ch, to_ch;
    if (sg_dir_lookup(dir, "j.smith@school.example", &from, &from_ch, &err) !=
            SG_DIR_FOUND ||
        !sg_person_has_role(from, SG_ROLE_STAFF) || from_ch != SG_CHANNEL_SCHOOL)
        sg_bench_die("%s: j.smith@school.example is not staff", dir_path);
    if (sg_dir_lookup(dir, "amy.patel@school.example", &to, &to_ch, &err) !=
            SG_DIR_FOUND ||
        !sg_person_has_role(to, SG_ROLE_PUPIL) || to_ch != SG_CHANNEL_SCHOOL)
        sg_bench_die("%s: amy.patel@school.example is not a pupil", dir_path);
    struct sg_party rcpt = {"amy.patel@school.example", to, to_ch};

    struct sg_ctx c;
    memset(&c, 0, sizeof(c));
    c.rules = rules;
    c.in.sender.address = "j.smith@school.example";
    c.in.sender.person = from;
    c.in.sender.channel = from_ch;
    c.in.rcpts = &rcpt;
    c.in.n_rcpts = 1;
    /* Wednesday 12 March 2025, 10:15 UTC: school hours */
    c.in.now = 1741774500;

    sg_msgview_build_init();

    /* the messages */
    struct sg_msg msgs[SG_N_SIZES][SG_N_SHAPES];
    for (int i = 0; i < SG_N_SIZES; i++) {
        if (!use[i])
            continue;
        for (int k = 0; k < SG_N_SHAPES; k++) {
            struct sg_buf b = SG_BUF_INIT;
            if (read_dir != NULL)
                sg_read_file(&b, read_dir, sizes[i].label, k);
            else
                sg_make_sized(&b, (enum sg_shape)k, sizes[i].target,
                              (unsigned)i);
            struct sg_msg *m = &msgs[i][k];
            m->len = b.len;
            m->data = sg_buf_steal(&b);
            m->shape = (enum sg_shape)k;
            m->want_contact = k == SG_SHAPE_LETTER || k == SG_SHAPE_NEWSLETTER;
            m->want = m->want_contact ? SG_ACTION_HOLD : SG_ACTION_JOURNAL;
            sg_check_once(&c, m);
            if (once != NULL) /* for callgrind: the baseline once too */
                (void)sg_run_gmime(m);
            if (write_dir != NULL) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s-%d.eml", write_dir,
                         sizes[i].label, k + 1);
                FILE *f = fopen(path, "wb");
                if (f == NULL || fwrite(m->data, 1, m->len, f) != m->len ||
                    fclose(f) != 0)
                    sg_bench_die("%s: %s", path, strerror(errno));
            }
        }
    }
    if (once != NULL) /* each message was parsed and evaluated once above */
        return 0;

    printf("default policy: %s (%zu rules, %zu detectors); sender "
           "j.smith@school.example (staff, school account), recipient "
           "amy.patel@school.example (pupil), resolved from %s before timing\n",
           rules_path, sg_rules_count(rules), sg_rules_detector_count(rules),
           dir_path);
    for (int i = 0; i < SG_N_SIZES; i++) {
        if (!use[i])
            continue;
        printf("%s messages:", sizes[i].label);
        for (int k = 0; k < SG_N_SHAPES; k++)
            printf("%s %s %zu bytes", k ? ";" : "", sg_shape_names[k],
                   msgs[i][k].len);
        printf("\n");
    }
    printf("%d rounds; each row is the median round by messages/s, \"range\" "
           "the slowest and fastest round; p50/p99 over all messages of all "
           "rounds; MB = 2^20 bytes\n", rounds);

    /* warm up: the first parse pays for GMime's and iconv's lazy set-up */
    for (int i = 0; i < SG_N_SIZES; i++)
        for (int k = 0; use[i] && k < SG_N_SHAPES; k++) {
            uint64_t e;
            (void)sg_run_gmime(&msgs[i][k]);
            (void)sg_run_parse(&msgs[i][k]);
            (void)sg_run_full(&c, &msgs[i][k], &e);
        }

    struct sg_round res[SG_N_SIZES][64];
    struct sg_series s_parse[SG_N_SIZES], s_full[SG_N_SIZES], s_eval[SG_N_SIZES];
    struct sg_series s_gmime[SG_N_SIZES];
    memset(s_gmime, 0, sizeof(s_gmime));
    memset(s_parse, 0, sizeof(s_parse));
    memset(s_full, 0, sizeof(s_full));
    memset(s_eval, 0, sizeof(s_eval));
    /* the same by message, for the table of shapes */
    struct sg_series k_parse[SG_N_SIZES][SG_N_SHAPES];
    struct sg_series k_full[SG_N_SIZES][SG_N_SHAPES];
    struct sg_series k_eval[SG_N_SIZES][SG_N_SHAPES];
    struct sg_series k_gmime[SG_N_SIZES][SG_N_SHAPES];
    memset(k_gmime, 0, sizeof(k_gmime));
    memset(k_parse, 0, sizeof(k_parse));
    memset(k_full, 0, sizeof(k_full));
    memset(k_eval, 0, sizeof(k_eval));
    if (rounds > 64)
        sg_bench_die("--rounds: at most 64");
    uint64_t t_start = sg_bench_now_ns();
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < SG_N_SIZES; i++) {
            if (!use[i])
                continue;
            struct sg_round *rd = &res[i][r];
            memset(rd, 0, sizeof(*rd));
            for (size_t j = 0; j < sizes[i].reps; j++) {
                const struct sg_msg *m = &msgs[i][j % SG_N_SHAPES];
                uint64_t p = 0, f = 0, e = 0, g = 0;
                /* the three in turn, each first in turn */
                size_t first = (j / SG_N_SHAPES + (size_t)r) % 3;
                for (size_t o = 0; o < 3; o++) {
                    switch ((first + o) % 3) {
                    case 0: g = sg_run_gmime(m); break;
                    case 1: p = sg_run_parse(m); break;
                    default: f = sg_run_full(&c, m, &e); break;
                    }
                }
                rd->gmime_ns += g;
                rd->parse_ns += p;
                rd->full_ns += f;
                rd->eval_ns += e;
                rd->bytes += m->len;
                rd->msgs++;
                sg_series_add(&s_gmime[i], g);
                sg_series_add(&s_parse[i], p);
                sg_series_add(&s_full[i], f);
                sg_series_add(&s_eval[i], e);
                sg_series_add(&k_gmime[i][j % SG_N_SHAPES], g);
                sg_series_add(&k_parse[i][j % SG_N_SHAPES], p);
                sg_series_add(&k_full[i][j % SG_N_SHAPES], f);
                sg_series_add(&k_eval[i][j % SG_N_SHAPES], e);
            }
        }
    }
    double wall = (double)(sg_bench_now_ns() - t_start) / 1e9;

    printf("\n| %-6s | %-22s | %8s | %9s | %13s | %8s | %8s | %8s |\n",
           "size", "what", "messages", "msgs/s", "range", "MB/s", "p50 ms",
           "p99 ms");
    printf("|--------|------------------------|---------:|----------:|"
           "--------------:|---------:|---------:|---------:|\n");
    double eval_ms_per_mb[SG_N_SIZES], parse_ms_per_mb[SG_N_SIZES];
    double eval_sum_p50[SG_N_SIZES] = {0};
    for (int i = 0; i < SG_N_SIZES; i++) {
        if (!use[i])
            continue;
        double rp[64], rf[64], rdiff[64], mp[64], mf[64], mdiff[64];
        double rg[64], mg[64];
        /* sort rounds by their messages/s, keeping MB/s with them */
        struct { double rate, mbs; } pp[64], ff[64], dd[64], gg[64];
        for (int r = 0; r < rounds; r++) {
            const struct sg_round *rd = &res[i][r];
            double mb = (double)rd->bytes / SG_MIB;
            double tp = (double)rd->parse_ns / 1e9, tf = (double)rd->full_ns / 1e9;
            double td = tf - tp;
            gg[r].rate = sg_rate(rd->msgs, rd->gmime_ns);
            gg[r].mbs = mb / ((double)rd->gmime_ns / 1e9);
            pp[r].rate = sg_rate(rd->msgs, rd->parse_ns);
            pp[r].mbs = mb / tp;
            ff[r].rate = sg_rate(rd->msgs, rd->full_ns);
            ff[r].mbs = mb / tf;
            dd[r].rate = td > 0 ? (double)rd->msgs / td : 0.0;
            dd[r].mbs = td > 0 ? mb / td : 0.0;
        }
        qsort(gg, (size_t)rounds, sizeof(gg[0]), sg_cmp_double);
        qsort(pp, (size_t)rounds, sizeof(pp[0]), sg_cmp_double);
        qsort(ff, (size_t)rounds, sizeof(ff[0]), sg_cmp_double);
        qsort(dd, (size_t)rounds, sizeof(dd[0]), sg_cmp_double);
        for (int r = 0; r < rounds; r++) {
            rg[r] = gg[r].rate, mg[r] = gg[r].mbs;
            rp[r] = pp[r].rate, mp[r] = pp[r].mbs;
            rf[r] = ff[r].rate, mf[r] = ff[r].mbs;
            rdiff[r] = dd[r].rate, mdiff[r] = dd[r].mbs;
        }
        qsort(s_gmime[i].ns, s_gmime[i].n, sizeof(uint64_t), sg_cmp_u64);
        qsort(s_parse[i].ns, s_parse[i].n, sizeof(uint64_t), sg_cmp_u64);
        qsort(s_full[i].ns, s_full[i].n, sizeof(uint64_t), sg_cmp_u64);
        qsort(s_eval[i].ns, s_eval[i].n, sizeof(uint64_t), sg_cmp_u64);
        size_t n = res[i][0].msgs * (size_t)rounds;
        sg_row(sizes[i].label, "GMime parse + text", rg, mg, rounds, n,
               &s_gmime[i]);
        sg_row(sizes[i].label, "parse only (baseline)", rp, mp, rounds, n,
               &s_parse[i]);
        sg_row(sizes[i].label, "parse + evaluate", rf, mf, rounds, n,
               &s_full[i]);
        sg_row(sizes[i].label, "evaluate alone", rdiff, mdiff, rounds, n,
               &s_eval[i]);
        /* per MB over all rounds: total time over total bytes */
        uint64_t bytes = 0, pns = 0, ens = 0;
        for (int r = 0; r < rounds; r++) {
            bytes += res[i][r].bytes;
            pns += res[i][r].parse_ns;
            ens += res[i][r].eval_ns;
        }
        parse_ms_per_mb[i] = (double)pns / 1e6 / ((double)bytes / SG_MIB);
        eval_ms_per_mb[i] = (double)ens / 1e6 / ((double)bytes / SG_MIB);
    }

    printf("\n\"evaluate alone\": msgs/s and MB/s from the difference of the "
           "two rows above (parse + evaluate minus parse only, per round); "
           "p50/p99 from timing sg_rules_eval itself\n");
    for (int i = 0; i < SG_N_SIZES; i++) {
        if (!use[i])
            continue;
        uint64_t pns = 0, fns = 0, ens = 0;
        size_t n = 0;
        for (int r = 0; r < rounds; r++) {
            pns += res[i][r].parse_ns;
            fns += res[i][r].full_ns;
            ens += res[i][r].eval_ns;
            n += res[i][r].msgs;
        }
        double p = (double)pns / 1e6 / (double)n, f = (double)fns / 1e6 / (double)n,
               e = (double)ens / 1e6 / (double)n;
        printf("%s: mean per message: parse %.3f ms, parse + evaluate %.3f ms, "
               "difference %.3f ms, sg_rules_eval timed alone %.3f ms: "
               "evaluation is %.0f%% of the end-of-message time\n",
               sizes[i].label, p, f, f - p, e, 100.0 * e / f);
    }
    if (use[1] && use[2])
        printf("linear in size (all messages of all rounds, total time over "
               "total bytes): evaluation %.2f ms/MB at 100k, %.2f ms/MB at 5m "
               "(ratio %.2f; 1.00 is linear); parsing %.2f and %.2f ms/MB "
               "(ratio %.2f)\n",
               eval_ms_per_mb[1], eval_ms_per_mb[2],
               eval_ms_per_mb[2] / eval_ms_per_mb[1], parse_ms_per_mb[1],
               parse_ms_per_mb[2], parse_ms_per_mb[2] / parse_ms_per_mb[1]);

    sg_against_gmime(sizes, use, res, rounds, k_gmime, k_parse);

    printf("\nBy message (p50 over all rounds, ms; \"share\": sg_rules_eval "
           "p50 over parse + evaluate p50):\n\n");
    printf("| %-6s | %-44s | %9s | %9s | %9s | %9s | %8s | %5s |\n", "size",
           "message", "bytes", "parse", "parse+eval", "evaluate", "eval ms/MB",
           "share");
    printf("|--------|----------------------------------------------|---------:|"
           "----------:|-----------:|----------:|-----------:|------:|\n");
    for (int i = 0; i < SG_N_SIZES; i++) {
        for (int k = 0; use[i] && k < SG_N_SHAPES; k++) {
            struct sg_series *sp = &k_parse[i][k], *sf = &k_full[i][k],
                             *se = &k_eval[i][k];
            qsort(sp->ns, sp->n, sizeof(uint64_t), sg_cmp_u64);
            qsort(sf->ns, sf->n, sizeof(uint64_t), sg_cmp_u64);
            qsort(se->ns, se->n, sizeof(uint64_t), sg_cmp_u64);
            double p = (double)sg_pct(sp->ns, sp->n, 0.5) / 1e6;
            double f = (double)sg_pct(sf->ns, sf->n, 0.5) / 1e6;
            double e = (double)sg_pct(se->ns, se->n, 0.5) / 1e6;
            eval_sum_p50[i] += e;
            printf("| %-6s | %-44s | %9zu | %9.3f | %10.3f | %9.3f | %10.2f | "
                   "%4.0f%% |\n",
                   sizes[i].label, sg_shape_names[k], msgs[i][k].len, p, f, e,
                   e / ((double)msgs[i][k].len / SG_MIB), 100.0 * e / f);
            free(sp->ns);
            free(sf->ns);
            free(se->ns);
        }
    }

    /* the largest size measured */
    for (int i = SG_N_SIZES - 1; i >= 0; i--) {
        if (!use[i])
            continue;
        sg_detector_breakdown(rules, msgs[i], sizes[i].label, c.in.now,
                              eval_sum_p50[i]);
        break;
    }

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("timed part %.1f s; peak RSS %.1f MiB\n", wall,
           (double)ru.ru_maxrss / 1024.0);

    for (int i = 0; i < SG_N_SIZES; i++) {
        free(s_gmime[i].ns);
        for (int k = 0; use[i] && k < SG_N_SHAPES; k++)
            free(k_gmime[i][k].ns);
        free(s_parse[i].ns);
        free(s_full[i].ns);
        free(s_eval[i].ns);
        for (int k = 0; use[i] && k < SG_N_SHAPES; k++)
            free(msgs[i][k].data);
    }
    sg_person_free(&from);
    sg_person_free(&to);
    sg_dir_free(&dir);
    free(dir_path_copy);
    sg_rules_free(&rules);
    sg_msgview_build_shutdown();
    return 0;
}
