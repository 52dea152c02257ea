/*
 * bench_extract.c - what reading attachment text costs per message: the
 * message view built with extraction off (sg_msgview_build_mem_extract
 * with x->enabled false, what bench_eval's "parse" measures) beside the
 * same with extraction on, the real helper safeguard-extract(8) run once
 * per attachment, in one run.  Started by run-extract.sh (see README.md,
 * "Attachment text (extraction off and on)").
 *
 * The messages are made here, the same bytes every run: a staff message
 * as Outlook sends it (multipart/alternative, text/plain and a Word-made
 * text/html, both quoted-printable, Outlook's Thread-* and X-MS-* headers)
 * of about 4 KB and 100 KB, each (a) with no attachment, (b) with a small
 * .docx attached, (c) with a small PDF attached (the attachments' bytes
 * are given as files, made by run-extract.sh).
 *
 * Timing: CLOCK_MONOTONIC around sg_msgview_build_mem_extract +
 * sg_msgview_free, one thread; off and on interleaved message by message,
 * alternating which goes first, after one untimed warm-up of each; median
 * and p90 over --runs N of each.  The helper's CPU time (user + system,
 * getrusage(RUSAGE_CHILDREN) around each build with extraction on) is
 * reported beside.  Then the helper alone on each attachment, as a shell
 * would run it (fork, exec, a pipe, a blocking waitpid), to tell the
 * helper's own time from the way the milter waits for it, and on five
 * bytes it finds nothing in (its start-up: exec, linking, the sandbox).
 * Every view is checked: with extraction on, an attachment must add
 * exactly one text part, holding its words, and leave the view complete;
 * without attachment, or off, nothing is added.
 *
 * --once: build each message once each way and exit (for callgrind: the
 * inclusive counts of sg_bench_build_off and sg_bench_build_on are the
 * in-process part; the helper, another process, is not counted);
 * --only SIZE,KIND with it ("100k,pdf"; none, docx, pdf): that message
 * alone.
 *
 * How it fails: exit 1 with a message on a bad option, an unreadable
 * file, a view that does not build or a wrong view.  Never part of
 * `make check`.
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
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "extract_run.h"
#include "msgview_build.h"
#include "bench_util.h"
#include "sg_buf.h"
#include "sg_msgview.h"

#define SG_N_SIZES 2
#define SG_N_KINDS 3

/* ------------------------------------------------------------ messages */

static const char *const sg_sentences[] = {
    "Thank you to everyone who came to the Year 8 parents' evening on Tuesday.",
    "Homework for this week is on the learning platform: please complete the algebra worksheet by Friday.",
    "The coach for the Geography field trip leaves at 08:15 on 21/03/2025 and returns by 16:30.",
    "Please bring your signed consent form to Room 214 before registration.",
    "If you have any questions, please call the school office on 01632 960000.",
    "Revision sessions run in the library from 15:20 to 16:20 every Monday and Thursday.",
    "The deadline for the History coursework is 28 March; drafts handed in by 14 March will get feedback.",
    "Year 10 work experience placements must be confirmed by 30 April (reference WEX-2025-0417).",
    "Read the full newsletter at https://www.school.example/news/2025-03 or pick up a copy at Reception.",
    "Mock exams start on Monday 24 February in the Sports Hall; candidates should arrive by 08:40.",
    "Please read pages 45 to 62 of the set text and answer questions 1-6 in your exercise book.",
    "Science club meets in Lab 3 on Tuesdays at 12:35; this week we are building water rockets.",
};
#define SG_N_SENTENCES (sizeof(sg_sentences) / sizeof(sg_sentences[0]))

/* Quoted-printable, lines at most 76 characters, CRLF kept. */
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

enum sg_kind { SG_KIND_NONE = 0, SG_KIND_DOCX, SG_KIND_PDF };
static const char *const sg_kind_names[SG_N_KINDS] = {
    "no attachment", "+ .docx", "+ PDF"};

struct sg_file {
    unsigned char *data;
    size_t len;
};

/* An Outlook message from a member of staff to a pupil, units paragraphs
 * in text and HTML, and the attachment kind (att: its bytes). */
static void
sg_make(struct sg_buf *m, size_t units, enum sg_kind kind,
        const struct sg_file *att)
{
    sg_buf_reset(m);
    sg_put(m,
           "Received: from EX01.school.example (10.20.1.5) by mail.school.example\r\n"
           "\t(Postfix) with ESMTPS id 4Zb7yK1QwXz9sTq for <amy.patel@school.example>;\r\n"
           "\tWed, 12 Mar 2025 10:15:02 +0000 (GMT)\r\n"
           "From: John Smith <j.smith@school.example>\r\n"
           "To: Amy Patel <amy.patel@school.example>\r\n"
           "Subject: Coursework and the field trip\r\n"
           "Thread-Topic: Coursework and the field trip\r\n"
           "Thread-Index: AdtTJ3m0q2J1b6k9TFa0p3X8Qy2VbA==\r\n"
           "Date: Wed, 12 Mar 2025 10:15:00 +0000\r\n"
           "Message-ID: <DB9PR01MB7449A1B2C3D4E5F60718293A4B5C6@DB9PR01MB7449.eurprd01.prod.exchangelabs.com>\r\n"
           "Accept-Language: en-GB, en-US\r\n"
           "Content-Language: en-GB\r\n");
    sg_putf(m, "X-MS-Has-Attach: %s\r\n", kind == SG_KIND_NONE ? "" : "yes");
    sg_put(m, "X-MS-TNEF-Correlator:\r\n"
              "x-ms-exchange-organization-authas: Internal\r\n"
              "MIME-Version: 1.0\r\n");
    const char *alt = "_000_DB9PR01MB7449A1B2C3D4E5F6_";
    const char *mix = "_004_DB9PR01MB7449A1B2C3D4E5F6_";
    if (kind != SG_KIND_NONE)
        sg_putf(m, "Content-Type: multipart/mixed;\r\n\tboundary=\"%s\"\r\n\r\n"
                   "--%s\r\n", mix, mix);
    sg_putf(m, "Content-Type: multipart/alternative;\r\n\tboundary=\"%s\"\r\n\r\n",
            alt);

    struct sg_buf t = SG_BUF_INIT, h = SG_BUF_INIT;
    sg_put(&t, "Dear Amy,\r\n\r\n");
    sg_put(&h, "<html xmlns:v=\"urn:schemas-microsoft-com:vml\" "
               "xmlns:o=\"urn:schemas-microsoft-com:office:office\" "
               "xmlns:w=\"urn:schemas-microsoft-com:office:word\" "
               "xmlns=\"http://www.w3.org/TR/REC-html40\">\r\n<head>\r\n"
               "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n"
               "<meta name=\"Generator\" content=\"Microsoft Word 15 (filtered medium)\">\r\n"
               "<style><!--\r\n@font-face\r\n\t{font-family:Aptos;}\r\n"
               "p.MsoNormal, li.MsoNormal, div.MsoNormal\r\n\t{margin:0cm;\r\n"
               "\tfont-size:12.0pt;\r\n\tfont-family:\"Aptos\",sans-serif;}\r\n"
               "span.EmailStyle17\r\n\t{mso-style-type:personal-compose;}\r\n"
               "@page WordSection1\r\n\t{size:612.0pt 792.0pt;}\r\n"
               "div.WordSection1\r\n\t{page:WordSection1;}\r\n--></style>\r\n"
               "</head>\r\n<body lang=\"EN-GB\" link=\"#467886\" vlink=\"#96607D\" "
               "style=\"word-wrap:break-word\">\r\n<div class=\"WordSection1\">\r\n"
               "<p class=\"MsoNormal\">Dear Amy,<o:p></o:p></p>\r\n"
               "<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\r\n");
    size_t s = 0;
    for (size_t u = 0; u < units; u++) {
        sg_put(&h, "<p class=\"MsoNormal\">");
        for (size_t i = 0; i < 4; i++, s++) {
            const char *x = sg_sentences[s % SG_N_SENTENCES];
            sg_putf(&t, "%s%s", i ? " " : "", x);
            sg_putf(&h, "%s%s", i ? " " : "", x);
        }
        sg_put(&t, "\r\n\r\n");
        sg_put(&h, "<o:p></o:p></p>\r\n<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>\r\n");
    }
    sg_put(&t, "Kind regards,\r\n\r\nMr J Smith\r\nHead of Year 8 | Oakfield Academy\r\n"
               "Tel: 01632 960000 | https://www.school.example\r\n");
    sg_put(&h, "<p class=\"MsoNormal\">Kind regards,<o:p></o:p></p>\r\n"
               "<p class=\"MsoNormal\"><b>Mr J Smith</b><br>Head of Year 8 | "
               "Oakfield Academy<br>Tel: 01632 960000 | <a href=\"https://www.school.example\">"
               "https://www.school.example</a><o:p></o:p></p>\r\n</div>\r\n</body>\r\n</html>\r\n");
    sg_putf(m, "--%s\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n", alt);
    sg_qp(m, t.data, t.len);
    sg_put(m, "\r\n");
    sg_putf(m, "\r\n--%s\r\nContent-Type: text/html; charset=\"utf-8\"\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n", alt);
    sg_qp(m, h.data, h.len);
    sg_put(m, "\r\n");
    sg_putf(m, "\r\n--%s--\r\n", alt);
    sg_buf_free(&t);
    sg_buf_free(&h);

    if (kind == SG_KIND_NONE)
        return;
    const char *type = kind == SG_KIND_DOCX
        ? "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        : "application/pdf";
    const char *name = kind == SG_KIND_DOCX ? "Trip letter.docx" : "Trip letter.pdf";
    sg_putf(m, "\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
               "Content-Description: %s\r\n"
               "Content-Disposition: attachment; filename=\"%s\"; size=%zu;\r\n"
               "\tcreation-date=\"Wed, 12 Mar 2025 10:14:00 GMT\";\r\n"
               "\tmodification-date=\"Wed, 12 Mar 2025 10:14:00 GMT\"\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n",
            mix, type, name, name, name, att->len);
    sg_base64(m, att->data, att->len);
    sg_putf(m, "\r\n--%s--\r\n", mix);
}

static void
sg_read(const char *path, struct sg_file *f)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        sg_bench_die("%s: %s", path, strerror(errno));
    struct sg_buf b = SG_BUF_INIT;
    char tmp[8192];
    size_t n;
    while ((n = fread(tmp, 1, sizeof(tmp), fp)) > 0)
        if (sg_buf_append(&b, tmp, n) < 0)
            sg_bench_die("out of memory");
    if (ferror(fp))
        sg_bench_die("%s: read error", path);
    fclose(fp);
    f->len = b.len;
    f->data = (unsigned char *)sg_buf_steal(&b);
}

/* ------------------------------------------------------------ building */

struct sg_msg {
    char *data;
    size_t len;
    enum sg_kind kind;
    size_t n_texts_off; /* text parts with extraction off */
};

static const struct sg_extract_opts *sg_x_off, *sg_x_on;
static const char *sg_expect; /* a word the attachments' text holds */

/* Build and check one view; return the text parts. */
static size_t
sg_build(const struct sg_msg *m, const struct sg_extract_opts *x)
{
    struct sg_msgview *v = NULL;
    const char *err = NULL;
    if (sg_msgview_build_mem_extract(m->data, m->len, x, &v, &err) != 0)
        sg_bench_die("build: %s", err != NULL ? err : "failed");
    size_t n = v->n_texts;
    if (x->enabled && m->kind != SG_KIND_NONE) {
        if (v->incomplete != 0)
            sg_bench_die("%s: the view is incomplete (0x%x): the helper did not "
                   "read the attachment", sg_kind_names[m->kind], v->incomplete);
        if (n == 0 || strstr(v->texts[n - 1].text, sg_expect) == NULL)
            sg_bench_die("%s: no text read from the attachment", sg_kind_names[m->kind]);
    }
    sg_msgview_free(&v);
    return n;
}

/* Two functions for callgrind to count, one per setting. */
__attribute__((noinline)) static size_t
sg_bench_build_off(const struct sg_msg *m)
{
    return sg_build(m, sg_x_off);
}

__attribute__((noinline)) static size_t
sg_bench_build_on(const struct sg_msg *m)
{
    return sg_build(m, sg_x_on);
}

static uint64_t
sg_cpu_children_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) *
               1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

/* The helper alone, as a shell runs it: fork, exec, the attachment on a
 * pipe, its text to /dev/null, a blocking waitpid; the same arguments as
 * sg_extract_run gives it.  Returns the wall time. */
static uint64_t
sg_helper_alone(const struct sg_extract_opts *o, const struct sg_file *f,
                const char *type, const char *name)
{
    struct sg_extract_cmd cmd;
    sg_extract_cmd(o, type, name, &cmd);
    uint64_t t0 = sg_bench_now_ns();
    int p[2];
    if (pipe(p) < 0)
        sg_bench_die("pipe: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        sg_bench_die("fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null < 0 || dup2(p[0], 0) < 0 || dup2(null, 1) < 0)
            _exit(127);
        close(p[0]);
        close(p[1]);
        execv(cmd.argv[0], cmd.argv);
        _exit(127);
    }
    close(p[0]);
    /* small files: the pipe holds them */
    if (write(p[1], f->data, f->len) != (ssize_t)f->len)
        sg_bench_die("write to the helper: %s", strerror(errno));
    close(p[1]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            sg_bench_die("waitpid: %s", strerror(errno));
    uint64_t t = sg_bench_now_ns() - t0;
    if (!WIFEXITED(status) ||
        (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3))
        sg_bench_die("the helper alone on %s: status 0x%x", name, status);
    return t;
}

static int
sg_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* nearest-rank percentile of a sorted array */
static double
sg_pct_ms(const uint64_t *v, size_t n, double q)
{
    size_t rank = (size_t)(q * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double)v[rank - 1] / 1e6;
}

static void
sg_usage(void)
{
    fputs("usage: bench_extract --helper PATH --docx FILE --pdf FILE "
          "[--runs N] [--once] [--only SIZE,KIND]\n", stderr);
    exit(1);
}

int
main(int argc, char **argv)
{
    sg_bench_name = "bench_extract";
    const char *helper = NULL, *docx_path = NULL, *pdf_path = NULL;
    long runs = 200;
    bool once = false;
    const char *only = NULL; /* with --once: one message, "4k,docx" */
    static const struct option longopts[] = {
        {"helper", required_argument, NULL, 'x'},
        {"docx", required_argument, NULL, 'd'},
        {"pdf", required_argument, NULL, 'p'},
        {"runs", required_argument, NULL, 'n'},
        {"expect", required_argument, NULL, 'e'},
        {"once", no_argument, NULL, 'o'},
        {"only", required_argument, NULL, 'O'},
        {NULL, 0, NULL, 0},
    };
    sg_expect = "Oakfield";
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'x': helper = optarg; break;
        case 'd': docx_path = optarg; break;
        case 'p': pdf_path = optarg; break;
        case 'n': runs = strtol(optarg, NULL, 10); break;
        case 'e': sg_expect = optarg; break;
        case 'o': once = true; break;
        case 'O': only = optarg; break;
        default: sg_usage();
        }
    }
    if (helper == NULL || docx_path == NULL || pdf_path == NULL || runs < 1 ||
        runs > 100000 || optind != argc)
        sg_usage();

    /* the milter's defaults (safeguard-milter.conf(5)) */
    struct sg_extract_opts off, on;
    memset(&on, 0, sizeof(on));
    on.enabled = true;
    on.helper = (char *)(uintptr_t)helper;
    on.timeout = 10;
    on.message_timeout = 60;
    on.max_attachments = 32;
    on.max_size = (uint64_t)32 << 20;
    on.max_text = (uint64_t)4 << 20;
    on.memory = (uint64_t)512 << 20;
    off = on;
    off.enabled = false;
    sg_x_off = &off;
    sg_x_on = &on;

    struct sg_file att[SG_N_KINDS] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    sg_read(docx_path, &att[SG_KIND_DOCX]);
    sg_read(pdf_path, &att[SG_KIND_PDF]);

    sg_msgview_build_init();

    static const struct { const char *label; size_t target; } sizes[SG_N_SIZES] = {
        {"4k", 4096}, {"100k", 100 * 1024}};
    struct sg_msg msgs[SG_N_SIZES][SG_N_KINDS];
    for (int i = 0; i < SG_N_SIZES; i++) {
        /* the fewest paragraphs that make the message without attachment
         * reach the size; the same text with each attachment */
        size_t units = 0;
        struct sg_buf b = SG_BUF_INIT;
        do {
            sg_make(&b, ++units, SG_KIND_NONE, NULL);
        } while (b.len < sizes[i].target);
        for (int k = 0; k < SG_N_KINDS; k++) {
            static const char *const kw[SG_N_KINDS] = {"none", "docx", "pdf"};
            char want[32];
            snprintf(want, sizeof(want), "%s,%s", sizes[i].label, kw[k]);
            if (only != NULL && strcmp(only, want) != 0) {
                msgs[i][k].data = NULL;
                continue;
            }
            sg_make(&b, units, (enum sg_kind)k, &att[k]);
            struct sg_msg *m = &msgs[i][k];
            m->len = b.len;
            m->data = malloc(b.len);
            if (m->data == NULL)
                sg_bench_die("out of memory");
            memcpy(m->data, b.data, b.len);
            m->kind = (enum sg_kind)k;
            /* warm-up (outside the two counted functions), then checks */
            (void)sg_build(m, &off);
            (void)sg_build(m, &on);
            m->n_texts_off = sg_bench_build_off(m);
            size_t n_on = sg_bench_build_on(m);
            if (n_on != m->n_texts_off + (k != SG_KIND_NONE))
                sg_bench_die("%s %s: %zu text parts with extraction on, %zu off",
                       sizes[i].label, sg_kind_names[k], n_on, m->n_texts_off);
        }
        sg_buf_free(&b);
    }
    if (once)
        return 0;
    if (only != NULL)
        sg_usage();

    printf("helper %s; attachments: .docx %zu bytes, PDF %zu bytes; "
           "%ld runs each way per message, interleaved; ms per message "
           "(sg_msgview_build_mem_extract + sg_msgview_free); helper CPU: "
           "user + system of the helper processes per message\n",
           helper, att[SG_KIND_DOCX].len, att[SG_KIND_PDF].len, runs);
    printf("\n| %-5s | %-13s | %7s | %8s | %8s | %8s | %8s | %9s | %10s |\n",
           "size", "attachment", "bytes", "off p50", "off p90", "on p50",
           "on p90", "on - off", "helper CPU");
    printf("|-------|---------------|--------:|---------:|---------:|---------:|"
           "---------:|----------:|-----------:|\n");
    uint64_t *t_off = malloc((size_t)runs * sizeof(uint64_t));
    uint64_t *t_on = malloc((size_t)runs * sizeof(uint64_t));
    if (t_off == NULL || t_on == NULL)
        sg_bench_die("out of memory");
    uint64_t t_start = sg_bench_now_ns();
    for (int i = 0; i < SG_N_SIZES; i++) {
        for (int k = 0; k < SG_N_KINDS; k++) {
            const struct sg_msg *m = &msgs[i][k];
            uint64_t cpu = 0;
            for (long r = 0; r < runs; r++) {
                for (int w = 0; w < 2; w++) {
                    bool do_on = (w == 0) == (r % 2 == 0);
                    uint64_t c0 = do_on ? sg_cpu_children_ns() : 0;
                    uint64_t t0 = sg_bench_now_ns();
                    if (do_on)
                        (void)sg_bench_build_on(m);
                    else
                        (void)sg_bench_build_off(m);
                    uint64_t t = sg_bench_now_ns() - t0;
                    if (do_on) {
                        cpu += sg_cpu_children_ns() - c0;
                        t_on[r] = t;
                    } else {
                        t_off[r] = t;
                    }
                }
            }
            qsort(t_off, (size_t)runs, sizeof(uint64_t), sg_cmp_u64);
            qsort(t_on, (size_t)runs, sizeof(uint64_t), sg_cmp_u64);
            double o50 = sg_pct_ms(t_off, (size_t)runs, 0.5);
            double n50 = sg_pct_ms(t_on, (size_t)runs, 0.5);
            printf("| %-5s | %-13s | %7zu | %8.3f | %8.3f | %8.3f | %8.3f | "
                   "%9.3f | %10.3f |\n",
                   sizes[i].label, sg_kind_names[k], m->len, o50,
                   sg_pct_ms(t_off, (size_t)runs, 0.9), n50,
                   sg_pct_ms(t_on, (size_t)runs, 0.9), n50 - o50,
                   (double)cpu / 1e6 / (double)runs);
            fflush(stdout);
        }
    }
    printf("\n\"on - off\": the difference of the two medians\n");

    /* the helper alone, the same runs */
    printf("\nThe helper alone (fork, exec, the attachment on a pipe, a "
           "blocking waitpid; %ld runs):\n\n", runs);
    printf("| %-22s | %8s | %8s | %10s |\n", "attachment", "p50 ms", "p90 ms",
           "helper CPU");
    printf("|------------------------|---------:|---------:|-----------:|\n");
    /* k == 0: five bytes of application/octet-stream, which the helper
     * starts for and finds nothing to read in: its start-up alone */
    static unsigned char five[] = "hello";
    const struct sg_file nothing = {five, 5};
    for (int k = 0; k < SG_N_KINDS; k++) {
        const char *type = k == SG_KIND_DOCX
            ? "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            : k == SG_KIND_PDF ? "application/pdf" : "application/octet-stream";
        const char *name = k == SG_KIND_DOCX ? "Trip letter.docx"
                           : k == SG_KIND_PDF ? "Trip letter.pdf" : "data.bin";
        uint64_t c0 = sg_cpu_children_ns();
        for (long r = 0; r < runs; r++)
            t_on[r] = sg_helper_alone(&on, k == 0 ? &nothing : &att[k], type,
                                      name);
        uint64_t cpu = sg_cpu_children_ns() - c0;
        qsort(t_on, (size_t)runs, sizeof(uint64_t), sg_cmp_u64);
        printf("| %-22s | %8.3f | %8.3f | %10.3f |\n",
               k == 0 ? "5 bytes, nothing in it" : sg_kind_names[k] + 2,
               sg_pct_ms(t_on, (size_t)runs, 0.5),
               sg_pct_ms(t_on, (size_t)runs, 0.9),
               (double)cpu / 1e6 / (double)runs);
    }
    printf("\ntimed part %.1f s\n", (double)(sg_bench_now_ns() - t_start) / 1e9);
    free(t_off);
    free(t_on);
    for (int i = 0; i < SG_N_SIZES; i++)
        for (int k = 0; k < SG_N_KINDS; k++)
            free(msgs[i][k].data);
    free(att[SG_KIND_DOCX].data);
    free(att[SG_KIND_PDF].data);
    sg_msgview_build_shutdown();
    return 0;
}
