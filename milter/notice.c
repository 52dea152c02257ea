/*
 * notice.c - notices by mail: templates, the keyed marker, and sending
 * through the local sendmail command.
 *
 * SECURITY:
 *  - Values put into a notice come from untrusted mail.  In a header every
 *    control character (CR and LF included) becomes a space and non-ASCII
 *    text is RFC 2047 encoded, so a value can never start a header of its
 *    own; in the body, invalid UTF-8 is replaced and control characters
 *    other than newline and tab are dropped.
 *  - The marker is HMAC-SHA512-256 (libsodium crypto_auth) under a key
 *    derived from a secret file that others may not read.  It covers the
 *    version, the time, the sorted envelope recipients and a hash of the
 *    body normalised for transport; it is compared in constant time and
 *    is good for SG_NOTICE_MAX_AGE seconds.
 *  - The sendmail command is split into words once, at configuration time,
 *    and run with execv: no shell ever sees an address.  An address that
 *    starts with '-' or holds a control character is refused.  The child
 *    runs only async-signal-safe calls before execv (the daemon has
 *    threads); the message is written through a socket with MSG_NOSIGNAL,
 *    so a command that dies early cannot kill the daemon with SIGPIPE; a
 *    command that hangs is killed (its whole process group) at the timeout.
 *
 * Fails by returning -1 with *error_r in a thread-local buffer; never
 * logs, never exits.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "notice.h"
#include "sg_utf8.h"
#include "sg_buf.h"

#define TEMPLATE_MAX   (64 * 1024) /* bytes in one template file */
#define SECRET_MAX     4096        /* bytes in the secret file */
#define HEADER_MAX     900         /* bytes of one header value */
#define WRAP_AT        76          /* wrap long body lines to this */
#define WRAP_OVER      78          /* ... when they are longer than this */
#define LINE_HARD_MAX  900         /* bytes: a longer word is cut */
#define OUTPUT_KEEP    512         /* bytes of the command's output kept */
#define MARK_CONTEXT   "safeguard-notice"

/* ------------------------------------------------------------ errors */

static _Thread_local char notice_error[1024];

__attribute__((format(printf, 1, 2))) static const char *
fmt_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(notice_error, sizeof(notice_error), fmt, ap);
    va_end(ap);
    return notice_error;
}

static int
fail(const char **error_r, const char *msg)
{
    if (error_r != NULL)
        *error_r = msg;
    return -1;
}

#define FAIL(...) fail(error_r, fmt_error(__VA_ARGS__))
#define NOMEM()   fail(error_r, "out of memory")

/* ------------------------------------------------------------ UTF-8 */

static const char REPLACEMENT[] = "\xef\xbf\xbd"; /* U+FFFD */

/* Append s made safe: for a header (header true) every control character
 * becomes a space; for the body CRLF and CR become LF and other controls
 * but tab are dropped.  Invalid UTF-8 becomes U+FFFD. */
static int
put_value(struct sg_buf *b, const char *s, bool header)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t n = strlen((const char *)p);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        int r = 0;
        if (c < 0x20 || c == 0x7f) {
            if (header)
                r = sg_buf_putc(b, ' ');
            else if (c == '\r')
                r = sg_buf_putc(b, '\n'), i += (p[i + 1] == '\n');
            else if (c == '\n' || c == '\t')
                r = sg_buf_putc(b, (char)c);
            i++;
        } else {
            size_t len = sg_utf8_decode(p + i, n - i, NULL);
            if (len == 0) {
                r = sg_buf_puts(b, REPLACEMENT);
                i++;
            } else {
                r = sg_buf_append(b, p + i, len);
                i += len;
            }
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ addresses */

/* An address we may put on a command line and in a header. */
static const char *
address_problem(const char *a)
{
    if (a == NULL || a[0] == '\0')
        return "is empty";
    if (a[0] == '-')
        return "starts with '-'";
    for (const unsigned char *p = (const unsigned char *)a; *p != '\0'; p++)
        if (*p < 0x21 || *p == 0x7f || *p == ',' || *p == '<' || *p == '>')
            return "holds a space, a control character or one of , < >";
    if (strlen(a) > 320)
        return "is too long";
    if (strchr(a, '@') == NULL)
        return "has no '@'";
    return NULL;
}

static int
check_addresses(const char *from, const char *const *to, size_t n_to,
                const char **error_r)
{
    const char *why;
    if ((why = address_problem(from)) != NULL)
        return FAIL("sender address \"%.100s\" %s", from ? from : "", why);
    if (n_to == 0)
        return FAIL("no recipients");
    for (size_t i = 0; i < n_to; i++)
        if ((why = address_problem(to[i])) != NULL)
            return FAIL("recipient address \"%.100s\" %s",
                        to[i] ? to[i] : "", why);
    return 0;
}

/* ------------------------------------------------------------ templates */

static const char *const kind_files[SG_NOTICE_KINDS] = {
    [SG_NOTICE_HELD_SENDER] = "held-sender.txt",
    [SG_NOTICE_HELD_DSL] = "held-dsl.txt",
};

const char *
sg_notice_kind_file(enum sg_notice_kind kind)
{
    return (unsigned)kind < SG_NOTICE_KINDS ? kind_files[kind] : NULL;
}

static const char *const placeholders[] = {
    "record", "queue_id", "sender", "recipients", "subject", "rules",
    "findings", "explanation", "dsl", "date", NULL,
};

/* Which placeholders may hold line breaks in the body (the others are
 * one line: a subject with a line break cannot add a paragraph). */
static const bool multiline[] = {
    false, false, false, true, false, true, true, true, false, false,
};
_Static_assert(sizeof(multiline) / sizeof(multiline[0]) ==
                   sizeof(placeholders) / sizeof(placeholders[0]) - 1,
               "one flag per placeholder");

/* Headers the milter writes itself; a template may not set them. */
static const char *const reserved_headers[] = {
    "From", "To", "Cc", "Bcc", "Date", "Message-ID", "MIME-Version",
    "Content-Type", "Content-Transfer-Encoding", "Auto-Submitted",
    "X-Auto-Response-Suppress", "Sender", "Return-Path", "Received", NULL,
};

struct tmpl_header {
    char *name;
    char *value; /* with placeholders */
};

struct tmpl {
    struct tmpl_header *headers; /* Subject first */
    size_t n_headers;
    char *body; /* LF line ends, with placeholders */
};

struct sg_notice_templates {
    struct tmpl t[SG_NOTICE_KINDS];
};

static void
tmpl_clear(struct tmpl *t)
{
    for (size_t i = 0; i < t->n_headers; i++) {
        free(t->headers[i].name);
        free(t->headers[i].value);
    }
    free(t->headers);
    free(t->body);
    memset(t, 0, sizeof(*t));
}

void
sg_notice_templates_free(struct sg_notice_templates **t)
{
    if (t == NULL || *t == NULL)
        return;
    for (size_t k = 0; k < SG_NOTICE_KINDS; k++)
        tmpl_clear(&(*t)->t[k]);
    free(*t);
    *t = NULL;
}

/* Index of the placeholder name (len bytes), or -1. */
static int
placeholder_index(const char *name, size_t len)
{
    for (int i = 0; placeholders[i] != NULL; i++)
        if (strlen(placeholders[i]) == len &&
            memcmp(placeholders[i], name, len) == 0)
            return i;
    return -1;
}

/* Check every placeholder in text; line counts from first_line. */
static int
check_placeholders(const char *text, const char *file, unsigned first_line,
                   const char **error_r)
{
    unsigned line = first_line;
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n') {
            line++;
        } else if (*p == '{') {
            if (p[1] == '{') {
                p++;
                continue;
            }
            const char *end = p + 1;
            while (*end != '\0' && *end != '}' && *end != '\n' &&
                   end - p < 40)
                end++;
            if (*end != '}')
                return FAIL("%s:%u: '{' without a closing '}' (write {{ "
                            "for a literal brace)",
                            file, line);
            if (placeholder_index(p + 1, (size_t)(end - p - 1)) < 0)
                return FAIL("%s:%u: unknown placeholder {%.*s} (known: "
                            "record, queue_id, sender, recipients, subject, "
                            "rules, findings, explanation, dsl, date)",
                            file, line, (int)(end - p - 1), p + 1);
            p = end;
        }
    }
    return 0;
}

static int
read_small_file(const char *path, size_t max, char **data_r, size_t *len_r,
                struct stat *st_r, const char **error_r)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return FAIL("%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return FAIL("%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return FAIL("%s: not a regular file", path);
    }
    if ((uintmax_t)st.st_size > max) {
        close(fd);
        return FAIL("%s: larger than %zu bytes", path, max);
    }
    char *data = malloc(max + 1);
    if (data == NULL) {
        close(fd);
        return NOMEM();
    }
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, data + len, max + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(data);
            close(fd);
            return FAIL("%s: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > max) {
            free(data);
            close(fd);
            return FAIL("%s: larger than %zu bytes", path, max);
        }
    }
    close(fd);
    data[len] = '\0';
    *data_r = data;
    *len_r = len;
    if (st_r != NULL)
        *st_r = st;
    return 0;
}

static bool
is_header_name(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

static int
tmpl_parse(struct tmpl *t, const char *path, char *text, size_t len,
           const char **error_r)
{
    /* Whole-file checks first, so a line number can be given. */
    unsigned line = 1;
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\0')
            return FAIL("%s:%u: NUL byte", path, line);
        if (c == '\n')
            line++;
        size_t l = sg_utf8_decode((const unsigned char *)text + i, len - i, NULL);
        if (l == 0)
            return FAIL("%s:%u: not UTF-8 text", path, line);
        i += l;
    }
    /* CRLF -> LF (a template edited on Windows). */
    size_t w = 0;
    for (size_t i = 0; i < len; i++)
        if (!(text[i] == '\r' && i + 1 < len && text[i + 1] == '\n'))
            text[w++] = text[i];
    text[w] = '\0';

    char *p = text;
    line = 1;
    bool subject = false;
    for (;;) {
        char *nl = strchr(p, '\n');
        if (nl == NULL)
            return FAIL("%s:%u: no empty line between the headers and the "
                        "body",
                        path, line);
        *nl = '\0';
        if (*p == '\0') { /* end of the header block */
            p = nl + 1;
            line++;
            break;
        }
        if (*p != '#') {
            if (*p == ' ' || *p == '\t')
                return FAIL("%s:%u: continuation lines are not allowed in "
                            "the header block",
                            path, line);
            char *colon = strchr(p, ':');
            if (colon == NULL || !is_header_name(p, (size_t)(colon - p)))
                return FAIL("%s:%u: expected \"Name: value\" (or an empty "
                            "line before the body)",
                            path, line);
            *colon = '\0';
            const char *value = colon + 1;
            while (*value == ' ' || *value == '\t')
                value++;
            for (size_t r = 0; reserved_headers[r] != NULL; r++)
                if (strcasecmp(p, reserved_headers[r]) == 0)
                    return FAIL("%s:%u: %s is set by the milter, not by a "
                                "template",
                                path, line, p);
            if (strncasecmp(p, "X-Safeguard-", 12) == 0)
                return FAIL("%s:%u: %s is set by the milter, not by a "
                            "template",
                            path, line, p);
            bool is_subject = strcasecmp(p, "Subject") == 0;
            if (is_subject && subject)
                return FAIL("%s:%u: Subject given twice", path, line);
            for (size_t h = 0; h < t->n_headers; h++)
                if (strcasecmp(t->headers[h].name, p) == 0)
                    return FAIL("%s:%u: %s given twice", path, line, p);
            if (check_placeholders(value, path, line, error_r) < 0)
                return -1;
            struct tmpl_header *nh = realloc(
                t->headers, (t->n_headers + 1) * sizeof(*t->headers));
            if (nh == NULL)
                return NOMEM();
            t->headers = nh;
            struct tmpl_header hd = {strdup(is_subject ? "Subject" : p),
                                     strdup(value)};
            if (hd.name == NULL || hd.value == NULL) {
                free(hd.name);
                free(hd.value);
                return NOMEM();
            }
            if (is_subject) { /* keep Subject first */
                memmove(t->headers + 1, t->headers,
                        t->n_headers * sizeof(*t->headers));
                t->headers[0] = hd;
                subject = true;
            } else {
                t->headers[t->n_headers] = hd;
            }
            t->n_headers++;
        }
        p = nl + 1;
        line++;
    }
    if (!subject)
        return FAIL("%s: no Subject: line in the header block", path);
    if (check_placeholders(p, path, line, error_r) < 0)
        return -1;
    if (*p == '\0')
        return FAIL("%s:%u: the body is empty", path, line);
    if ((t->body = strdup(p)) == NULL)
        return NOMEM();
    return 0;
}

int
sg_notice_templates_load(const char *dir, struct sg_notice_templates **t_r,
                         const char **error_r)
{
    if (dir == NULL || dir[0] == '\0')
        return FAIL("no template directory given");
    struct sg_notice_templates *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NOMEM();
    for (size_t k = 0; k < SG_NOTICE_KINDS; k++) {
        char path[PATH_MAX];
        int n = snprintf(path, sizeof(path), "%s/%s", dir, kind_files[k]);
        if (n < 0 || (size_t)n >= sizeof(path)) {
            sg_notice_templates_free(&t);
            return FAIL("%s: path too long", dir);
        }
        char *text;
        size_t len;
        if (read_small_file(path, TEMPLATE_MAX, &text, &len, NULL, error_r) <
            0) {
            sg_notice_templates_free(&t);
            return -1;
        }
        int r = tmpl_parse(&t->t[k], path, text, len, error_r);
        free(text);
        if (r < 0) {
            sg_notice_templates_free(&t);
            return -1;
        }
    }
    *t_r = t;
    return 0;
}

/* Expand a template text with values (made safe for a header or the
 * body).  The text was checked at load. */
static int
expand(struct sg_buf *b, const char *text, const char *const vals[],
       bool header)
{
    for (const char *p = text; *p != '\0';) {
        if (p[0] == '{' && p[1] == '{') {
            if (sg_buf_putc(b, '{') < 0)
                return -1;
            p += 2;
            continue;
        }
        if (p[0] == '{') {
            const char *end = strchr(p, '}');
            int i = end != NULL ? placeholder_index(p + 1, (size_t)(end - p - 1))
                                : -1;
            if (i < 0) /* not reached: checked at load */
                return -1;
            /* only the lists and the explanation may span lines */
            if (put_value(b, vals[i], header || !multiline[i]) < 0)
                return -1;
            p = end + 1;
            continue;
        }
        const char *next = strchr(p, '{');
        size_t len = next != NULL ? (size_t)(next - p) : strlen(p);
        if (header) {
            /* template text is UTF-8 already; still no control chars */
            for (size_t j = 0; j < len; j++)
                if (sg_buf_putc(b, (unsigned char)p[j] < 0x20 ? ' ' : p[j]) <
                    0)
                    return -1;
        } else if (sg_buf_append(b, p, len) < 0) {
            return -1;
        }
        p += len;
    }
    return 0;
}

/* ------------------------------------------------------------ headers */

static bool
all_ascii(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

/* Cut s (UTF-8, header-safe) to at most max bytes at a character
 * boundary, in place. */
static void
truncate_utf8(char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    s[cut] = '\0';
}

/* "Name: value" folded at spaces to about 78 columns; non-ASCII values as
 * RFC 2047 encoded words.  value holds no control characters. */
static int
put_header(struct sg_buf *b, const char *name, const char *value)
{
    size_t col = strlen(name) + 2;
    if (sg_buf_printf(b, "%s:", name) < 0)
        return -1;
    if (!all_ascii(value)) {
        const unsigned char *p = (const unsigned char *)value;
        size_t n = strlen(value);
        bool first = true;
        while (n > 0) {
            size_t chunk = 0;
            while (chunk < n && chunk < 42) {
                size_t l = sg_utf8_decode(p + chunk, n - chunk, NULL);
                if (l == 0)
                    l = 1; /* cannot happen: values are cleaned */
                if (chunk + l > 42 && chunk > 0)
                    break;
                chunk += l;
            }
            char b64[sodium_base64_ENCODED_LEN(48,
                                               sodium_base64_VARIANT_ORIGINAL)];
            sodium_bin2base64(b64, sizeof(b64), p, chunk,
                              sodium_base64_VARIANT_ORIGINAL);
            if (sg_buf_printf(b, "%s=?UTF-8?B?%s?=", first ? " " : "\n ",
                              b64) < 0)
                return -1;
            first = false;
            p += chunk;
            n -= chunk;
        }
        return sg_buf_putc(b, '\n');
    }
    if (sg_buf_putc(b, ' ') < 0)
        return -1;
    const char *p = value;
    bool line_has_text = false;
    while (*p != '\0') {
        /* one word and the spaces before it */
        const char *w = p;
        while (*w == ' ')
            w++;
        const char *e = w;
        while (*e != '\0' && *e != ' ')
            e++;
        size_t spaces = (size_t)(w - p), wlen = (size_t)(e - w);
        if (line_has_text && spaces > 0 && col + spaces + wlen > 78) {
            if (sg_buf_putc(b, '\n') < 0)
                return -1;
            col = 0;
        }
        if (sg_buf_append(b, p, (size_t)(e - p)) < 0)
            return -1;
        col += (size_t)(e - p);
        if (wlen > 0)
            line_has_text = true;
        p = e;
    }
    return sg_buf_putc(b, '\n');
}

/* An RFC 5322 display name: a quoted string, or encoded words. */
static int
put_from(struct sg_buf *b, const char *name, const char *addr)
{
    struct sg_buf clean = SG_BUF_INIT;
    if (name == NULL || name[0] == '\0' || put_value(&clean, name, true) < 0 ||
        clean.len == 0) {
        sg_buf_free(&clean);
        return sg_buf_printf(b, "From: %s\n", addr);
    }
    truncate_utf8(clean.data, 200);
    int r;
    if (all_ascii(clean.data)) {
        r = sg_buf_puts(b, "From: \"");
        for (const char *p = clean.data; r == 0 && *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                r = sg_buf_putc(b, '\\');
            if (r == 0)
                r = sg_buf_putc(b, *p);
        }
        if (r == 0)
            r = sg_buf_printf(b, "\" <%s>\n", addr);
    } else {
        /* reuse the Subject-style encoder, then add the address */
        struct sg_buf h = SG_BUF_INIT;
        r = put_header(&h, "From", clean.data);
        if (r == 0) {
            h.data[--h.len] = '\0'; /* drop the newline */
            r = sg_buf_printf(b, "%s\n <%s>\n", h.data, addr);
        }
        sg_buf_free(&h);
    }
    sg_buf_free(&clean);
    return r;
}

/* ------------------------------------------------------------ body */

static size_t
count_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            n++;
    return n;
}

/* Byte offset in s (len bytes) after at most max bytes, at a character
 * boundary (at least one character). */
static size_t
cut_bytes(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t cut = max;
    while (cut > 1 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    return cut;
}

/* One long line, wrapped at spaces to WRAP_AT characters; continuation
 * lines keep the indentation (and hang under a "- " or "* " bullet). */
static int
wrap_line(struct sg_buf *b, const char *line, size_t len)
{
    size_t ind = 0;
    while (ind < len && (line[ind] == ' ' || line[ind] == '\t'))
        ind++;
    size_t hang = 0;
    if (ind + 1 < len && (line[ind] == '-' || line[ind] == '*') &&
        line[ind + 1] == ' ')
        hang = 2;
    const char *p = line;
    const char *end = line + len;
    bool first = true;
    while (p < end) {
        size_t width = first ? 0 : count_chars(line, ind) + hang;
        if (!first) {
            if (sg_buf_append(b, line, ind) < 0)
                return -1;
            for (size_t i = 0; i < hang; i++)
                if (sg_buf_putc(b, ' ') < 0)
                    return -1;
            while (p < end && *p == ' ')
                p++;
            if (p == end)
                break;
        }
        /* the longest run of words that fits */
        const char *q = p, *brk = NULL;
        size_t chars = width;
        const char *start_words = first ? p + ind : p;
        while (q < end) {
            if (*q == ' ' && q > start_words) {
                if (chars <= WRAP_AT)
                    brk = q;
                else
                    break;
            }
            if (((unsigned char)*q & 0xc0) != 0x80)
                chars++;
            q++;
        }
        const char *stop;
        if (q == end && chars <= WRAP_AT)
            stop = end;
        else if (brk != NULL)
            stop = brk;
        else { /* one long word: up to the next space */
            stop = start_words;
            while (stop < end && *stop != ' ')
                stop++;
        }
        size_t n = cut_bytes(p, (size_t)(stop - p), LINE_HARD_MAX);
        size_t keep = n;
        while (keep > 0 && p[keep - 1] == ' ')
            keep--;
        if (sg_buf_append(b, p, keep) < 0 || sg_buf_putc(b, '\n') < 0)
            return -1;
        p += n;
        first = false;
    }
    return 0;
}

/* The body: long lines wrapped, no blank lines at the end, one final
 * newline. */
static int
finish_body(struct sg_buf *out, const char *text)
{
    const char *p = text;
    size_t start = out->len;
    while (*p != '\0') {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        size_t l = len; /* trailing spaces kept: "-- " starts a signature */
        int r = count_chars(p, l) > WRAP_OVER || l > LINE_HARD_MAX
                    ? wrap_line(out, p, l)
                    : (sg_buf_append(out, p, l) < 0 ||
                       sg_buf_putc(out, '\n') < 0)
                          ? -1
                          : 0;
        if (r < 0)
            return -1;
        p += len + (nl != NULL);
    }
    /* no trailing blank lines */
    while (out->len > start + 1 && out->data[out->len - 1] == '\n' &&
           out->data[out->len - 2] == '\n')
        out->data[--out->len] = '\0';
    if (out->len == start && sg_buf_putc(out, '\n') < 0)
        return -1;
    return 0;
}

/* ------------------------------------------------------------ the mark */

struct sg_notice_key {
    unsigned char k[crypto_auth_KEYBYTES];
};

int
sg_notice_key_new(const void *secret, size_t len,
                  struct sg_notice_key **key_r, const char **error_r)
{
    if (sodium_init() < 0)
        return FAIL("libsodium could not be initialised");
    if (secret == NULL || len < SG_NOTICE_SECRET_MIN)
        return FAIL("the notice secret is %zu bytes; at least %d are needed "
                    "(for example: head -c 32 /dev/urandom > FILE)",
                    secret == NULL ? (size_t)0 : len, SG_NOTICE_SECRET_MIN);
    struct sg_notice_key *key = malloc(sizeof(*key));
    if (key == NULL)
        return NOMEM();
    /* A key of the right size from a secret of any length. */
    static const unsigned char personal[] = "safeguard-milter notice key v1";
    crypto_generichash(key->k, sizeof(key->k), secret, len, personal,
                       sizeof(personal) - 1);
    *key_r = key;
    return 0;
}

void
sg_notice_key_free(struct sg_notice_key **key)
{
    if (key == NULL || *key == NULL)
        return;
    sodium_memzero((*key)->k, sizeof((*key)->k));
    free(*key);
    *key = NULL;
}

int
sg_notice_secret_load(const char *path, struct sg_notice_key **key_r,
                      const char **error_r)
{
    if (path == NULL || path[0] == '\0')
        return FAIL("no notice secret file given");
    char *data;
    size_t len;
    struct stat st;
    if (read_small_file(path, SECRET_MAX, &data, &len, &st, error_r) < 0)
        return -1;
    if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
        sodium_memzero(data, len);
        free(data);
        return FAIL("%s: readable or writable by others, so anyone on the "
                    "server could forge notices (chmod o-rw)",
                    path);
    }
    if (len > 0 && data[len - 1] == '\n')
        len--;
    if (len > 0 && data[len - 1] == '\r')
        len--;
    int r = 0;
    if (len < SG_NOTICE_SECRET_MIN)
        r = FAIL("%s: the secret is %zu bytes; at least %d are needed (for "
                 "example: head -c 32 /dev/urandom > %s)",
                 path, len, SG_NOTICE_SECRET_MIN, path);
    else
        r = sg_notice_key_new(data, len, key_r, error_r);
    sodium_memzero(data, len);
    free(data);
    return r;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The recipients as the MAC sees them: "<>" removed, lower case, sorted,
 * each once.  *out_r is an array of n strings (free with sg_strv_free). */
static int
norm_rcpts(const char *const *rcpts, size_t n, char ***out_r, size_t *n_r)
{
    char **v = NULL;
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        const char *a = rcpts[i] != NULL ? rcpts[i] : "";
        size_t len = strlen(a);
        if (len >= 2 && a[0] == '<' && a[len - 1] == '>')
            a++, len -= 2;
        char *c = strndup(a, len);
        if (c == NULL)
            goto nomem;
        for (char *p = c; *p != '\0'; p++)
            *p = (char)tolower((unsigned char)*p);
        bool dup = false;
        for (size_t j = 0; j < nv && !dup; j++)
            dup = strcmp(v[j], c) == 0;
        if (dup) {
            free(c);
            continue;
        }
        char **nvp = realloc(v, (nv + 1) * sizeof(*v));
        if (nvp == NULL) {
            free(c);
            goto nomem;
        }
        v = nvp;
        v[nv++] = c;
    }
    if (nv > 1)
        qsort(v, nv, sizeof(*v), cmp_str);
    *out_r = v;
    *n_r = nv;
    return 0;
nomem:
    sg_strv_free(&v, &nv);
    return -1;
}

/* SHA-256 of the body normalised for transport: CRLF as LF, white space at
 * line ends and blank lines at the end not counted. */
static void
body_hash(const char *body, size_t len, unsigned char out[32])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    size_t pending_blank = 0; /* empty lines held back */
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        const char *t = le;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
            t--;
        if (t == p) {
            pending_blank++;
        } else {
            for (; pending_blank > 0; pending_blank--)
                crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
            crypto_hash_sha256_update(&st, (const unsigned char *)p,
                                      (size_t)(t - p));
            crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
        }
        p = nl != NULL ? nl + 1 : end;
    }
    crypto_hash_sha256_final(&st, out);
}

static int
mark_mac(const struct sg_notice_key *key, long long t,
         const char *const *rcpts, size_t n_rcpts, const char *body,
         size_t body_len, unsigned char mac[crypto_auth_BYTES])
{
    char **rv;
    size_t nr;
    if (norm_rcpts(rcpts, n_rcpts, &rv, &nr) < 0)
        return -1;
    struct sg_buf m = SG_BUF_INIT;
    int r = sg_buf_printf(&m, MARK_CONTEXT "\nv=1\nt=%lld\nn=%zu\n", t, nr);
    for (size_t i = 0; r == 0 && i < nr; i++)
        r = sg_buf_printf(&m, "r=%zu:%s\n", strlen(rv[i]), rv[i]);
    unsigned char h[32];
    body_hash(body, body_len, h);
    if (r == 0)
        r = sg_buf_puts(&m, "b=");
    if (r == 0)
        r = sg_buf_append(&m, h, sizeof(h));
    if (r == 0)
        crypto_auth(mac, (const unsigned char *)m.data, m.len, key->k);
    sg_buf_free(&m);
    sg_strv_free(&rv, &nr);
    return r;
}

int
sg_notice_mark(const struct sg_notice_key *key, time_t now,
               const char *const *rcpts, size_t n_rcpts, const char *body,
               size_t body_len, char **value_r, const char **error_r)
{
    if (key == NULL)
        return FAIL("no notice key");
    if (n_rcpts == 0)
        return FAIL("no recipients to mark the notice for");
    unsigned char mac[crypto_auth_BYTES];
    if (mark_mac(key, (long long)now, rcpts, n_rcpts, body, body_len, mac) <
        0)
        return NOMEM();
    char b64[sodium_base64_ENCODED_LEN(crypto_auth_BYTES,
                                       sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
                      sodium_base64_VARIANT_ORIGINAL);
    struct sg_buf v = SG_BUF_INIT;
    if (sg_buf_printf(&v, "v=1; t=%lld; mac=%s", (long long)now, b64) < 0)
        return NOMEM();
    *value_r = sg_buf_steal(&v);
    return 0;
}

static bool
is_fws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parse "v=1; t=N; mac=B64" (tags in any order, each once, folding white
 * space around them).  0 or -1. */
static int
parse_marker(const char *s, long long *t_r, unsigned char mac[32],
             const char **why_r)
{
    bool have_v = false, have_t = false, have_mac = false;
    const char *p = s;
    if (strlen(s) > 512) {
        *why_r = "marker too long";
        return -1;
    }
    while (*p != '\0') {
        while (is_fws(*p))
            p++;
        if (*p == '\0')
            break;
        const char *semi = strchr(p, ';');
        const char *end = semi != NULL ? semi : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq == NULL) {
            *why_r = "malformed marker (a tag without '=')";
            return -1;
        }
        const char *ne = eq;
        while (ne > p && is_fws(ne[-1]))
            ne--;
        const char *v = eq + 1;
        while (v < end && is_fws(*v))
            v++;
        const char *ve = end;
        while (ve > v && is_fws(ve[-1]))
            ve--;
        size_t nlen = (size_t)(ne - p), vlen = (size_t)(ve - v);
        if (nlen == 1 && p[0] == 'v') {
            if (have_v || vlen != 1 || v[0] != '1') {
                *why_r = have_v ? "malformed marker (v= twice)"
                                : "unsupported marker version";
                return -1;
            }
            have_v = true;
        } else if (nlen == 1 && p[0] == 't') {
            if (have_t || vlen == 0 || vlen > 18) {
                *why_r = "malformed marker (t=)";
                return -1;
            }
            long long t = 0;
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9') {
                    *why_r = "malformed marker (t=)";
                    return -1;
                }
                t = t * 10 + (v[i] - '0');
            }
            *t_r = t;
            have_t = true;
        } else if (nlen == 3 && memcmp(p, "mac", 3) == 0) {
            size_t bin_len = 0;
            const char *b64_end = NULL;
            if (have_mac || vlen == 0 || vlen > 100 ||
                sodium_base642bin(mac, 32, v, vlen, NULL, &bin_len, &b64_end,
                                  sodium_base64_VARIANT_ORIGINAL) != 0 ||
                bin_len != 32 || b64_end != ve) {
                *why_r = "malformed marker (mac=)";
                return -1;
            }
            have_mac = true;
        } else {
            *why_r = "malformed marker (unknown tag)";
            return -1;
        }
        p = semi != NULL ? semi + 1 : end;
    }
    if (!have_v || !have_t || !have_mac) {
        *why_r = "malformed marker (v=, t= and mac= are all needed)";
        return -1;
    }
    return 0;
}

int
sg_notice_verify(const struct sg_notice_key *key, const char *header_value,
                 const char *const *rcpts, size_t n_rcpts, const char *body,
                 size_t body_len, time_t now, const char **why_r)
{
    const char *why_local;
    if (why_r == NULL)
        why_r = &why_local;
    if (key == NULL || header_value == NULL) {
        *why_r = "no key or no marker";
        return 0;
    }
    if (n_rcpts == 0 || rcpts == NULL) {
        *why_r = "no recipients";
        return 0;
    }
    if (body == NULL)
        body = "", body_len = 0;
    long long t = 0;
    unsigned char got[32];
    if (parse_marker(header_value, &t, got, why_r) < 0)
        return 0;
    long long n = (long long)now;
    if (t > n + SG_NOTICE_MAX_FUTURE) {
        *why_r = "marker dated in the future";
        return 0;
    }
    if (n - t > SG_NOTICE_MAX_AGE) {
        *why_r = "marker too old";
        return 0;
    }
    unsigned char want[crypto_auth_BYTES];
    if (mark_mac(key, t, rcpts, n_rcpts, body, body_len, want) < 0) {
        *why_r = "out of memory";
        return 0;
    }
    /* constant time */
    if (sodium_memcmp(got, want, sizeof(want)) != 0) {
        *why_r = "MAC does not match (forged, another key, altered body or "
                 "other recipients)";
        return 0;
    }
    *why_r = "valid";
    return 1;
}

/* ------------------------------------------------------------ rendering */

static int
render_date_value(char *buf, size_t size, time_t now)
{
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL)
        return -1;
    return strftime(buf, size, "%A %-d %B %Y at %H:%M UTC", &tm) > 0 ? 0 : -1;
}

int
sg_notice_render(const struct sg_notice_templates *t, enum sg_notice_kind kind,
                 const struct sg_notice_values *values,
                 const struct sg_notice_envelope *env,
                 const struct sg_notice_key *key, char **message_r,
                 const char **error_r)
{
    if (t == NULL || (unsigned)kind >= SG_NOTICE_KINDS || env == NULL ||
        key == NULL)
        return FAIL("sg_notice_render: missing templates, envelope or key");
    if (sodium_init() < 0)
        return FAIL("libsodium could not be initialised");
    if (check_addresses(env->from, env->to, env->n_to, error_r) < 0)
        return -1;
    const struct tmpl *tp = &t->t[kind];
    struct sg_notice_values none = {0};
    const struct sg_notice_values *v = values != NULL ? values : &none;
    char date[128];
    if (v->date == NULL && render_date_value(date, sizeof(date), env->now) < 0)
        return FAIL("cannot format the date");
    const char *const vals[] = {
        v->record,  v->queue_id, v->sender,      v->recipients,
        v->subject, v->rules,    v->findings,    v->explanation,
        v->dsl,     v->date != NULL ? v->date : date,
    };
    _Static_assert(sizeof(vals) / sizeof(vals[0]) ==
                       sizeof(placeholders) / sizeof(placeholders[0]) - 1,
                   "one value per placeholder");

    struct sg_buf body = SG_BUF_INIT, expanded = SG_BUF_INIT,
                  msg = SG_BUF_INIT, hv = SG_BUF_INIT;
    char *mark = NULL;
    int r = -1;
    if (expand(&expanded, tp->body, vals, false) < 0 ||
        finish_body(&body, expanded.data != NULL ? expanded.data : "") < 0)
        goto nomem;
    if (sg_notice_mark(key, env->now, env->to, env->n_to, body.data, body.len,
                       &mark, error_r) < 0)
        goto out;

    struct tm tm;
    char datehdr[64];
    if (gmtime_r(&env->now, &tm) == NULL ||
        strftime(datehdr, sizeof(datehdr), "%a, %d %b %Y %H:%M:%S +0000",
                 &tm) == 0) {
        FAIL("cannot format the date");
        goto out;
    }
    if (sg_buf_printf(&msg, "Date: %s\n", datehdr) < 0 ||
        put_from(&msg, env->from_name, env->from) < 0)
        goto nomem;
    /* To: the recipients, folded */
    for (size_t i = 0; i < env->n_to; i++)
        if (sg_buf_printf(&hv, "%s%s", i > 0 ? ", " : "", env->to[i]) < 0)
            goto nomem;
    if (put_header(&msg, "To", hv.data) < 0)
        goto nomem;
    for (size_t i = 0; i < tp->n_headers; i++) {
        sg_buf_reset(&hv);
        if (expand(&hv, tp->headers[i].value, vals, true) < 0)
            goto nomem;
        if (hv.data == NULL && sg_buf_puts(&hv, "") < 0)
            goto nomem;
        truncate_utf8(hv.data, HEADER_MAX);
        if (put_header(&msg, tp->headers[i].name, hv.data) < 0)
            goto nomem;
    }
    if (env->message_id != NULL) {
        sg_buf_reset(&hv);
        if (put_value(&hv, env->message_id, true) < 0 ||
            sg_buf_printf(&msg, "Message-ID: %s\n", hv.data) < 0)
            goto nomem;
    } else {
        unsigned char rnd[12];
        char hex[sizeof(rnd) * 2 + 1];
        randombytes_buf(rnd, sizeof(rnd));
        sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
        const char *dom = strrchr(env->from, '@') + 1; /* checked above */
        if (sg_buf_printf(&msg, "Message-ID: <notice.%lld.%s@%s>\n",
                          (long long)env->now, hex, dom) < 0)
            goto nomem;
    }
    if (sg_buf_puts(&msg, "MIME-Version: 1.0\n"
                          "Content-Type: text/plain; charset=utf-8\n"
                          "Content-Transfer-Encoding: 8bit\n"
                          "Auto-Submitted: auto-generated\n"
                          "X-Auto-Response-Suppress: All\n") < 0)
        goto nomem;
    /* the marker, folded before mac= to stay under 78 columns */
    char *semi = strstr(mark, "; mac=");
    if (semi == NULL ||
        sg_buf_printf(&msg, SG_NOTICE_HEADER ": %.*s;\n\t%s\n",
                      (int)(semi - mark), mark, semi + 2) < 0 ||
        sg_buf_putc(&msg, '\n') < 0 ||
        sg_buf_append(&msg, body.data, body.len) < 0)
        goto nomem;
    *message_r = sg_buf_steal(&msg);
    if (*message_r == NULL)
        goto nomem;
    r = 0;
    goto out;
nomem:
    NOMEM();
out:
    free(mark);
    sg_buf_free(&body);
    sg_buf_free(&expanded);
    sg_buf_free(&msg);
    sg_buf_free(&hv);
    return r;
}

/* ------------------------------------------------------------ text */

static bool
notifies(const struct sg_rule_match *m, const char *who)
{
    for (size_t i = 0; i < m->n_notify; i++)
        if (m->notify[i] != NULL && strcasecmp(m->notify[i], who) == 0)
            return true;
    return false;
}

bool
sg_notice_wanted(const struct sg_verdict *verdict, const char *who)
{
    if (verdict == NULL || who == NULL)
        return false;
    for (size_t i = 0; i < verdict->n_rules; i++)
        if (verdict->rules[i].mode == SG_MODE_ENFORCE &&
            notifies(&verdict->rules[i], who))
            return true;
    return false;
}

void
sg_notice_text_free(struct sg_notice_text *text)
{
    if (text == NULL)
        return;
    free(text->rules);
    free(text->findings);
    free(text->explanation);
    free(text->recipients);
    memset(text, 0, sizeof(*text));
}

static bool
rule_selected(const struct sg_verdict *v, size_t i, enum sg_notice_kind kind,
              int level)
{
    const struct sg_rule_match *m = &v->rules[i];
    if (kind == SG_NOTICE_HELD_DSL || level == 2)
        return true;
    if (m->mode != SG_MODE_ENFORCE)
        return false;
    return level == 1 || notifies(m, "sender");
}

int
sg_notice_text_build(const struct sg_verdict *verdict,
                     const struct sg_party *rcpts, size_t n_rcpts,
                     enum sg_notice_kind kind, struct sg_notice_text *out,
                     const char **error_r)
{
    memset(out, 0, sizeof(*out));
    if (verdict == NULL || (unsigned)kind >= SG_NOTICE_KINDS)
        return FAIL("sg_notice_text_build: no verdict");
    /* level 0: the rules that notify the sender; 1: all enforced; 2: all */
    int level = 0;
    for (; level < 2; level++) {
        size_t n = 0;
        for (size_t i = 0; i < verdict->n_rules; i++)
            n += rule_selected(verdict, i, kind, level);
        if (n > 0)
            break;
    }
    struct sg_buf rules = SG_BUF_INIT, finds = SG_BUF_INIT, expl = SG_BUF_INIT,
                  who = SG_BUF_INIT;
    int r = 0;
    for (size_t i = 0; r == 0 && i < verdict->n_rules; i++) {
        if (!rule_selected(verdict, i, kind, level))
            continue;
        const struct sg_rule_match *m = &verdict->rules[i];
        if (m->mode == SG_MODE_TEST)
            r = sg_buf_printf(&rules, "- %s (rule %s; test mode, would have "
                                      "been: %s)\n",
                              m->title ? m->title : m->id, m->id,
                              sg_action_name(m->action));
        else
            r = sg_buf_printf(&rules, "- %s (rule %s; action: %s)\n",
                              m->title ? m->title : m->id, m->id,
                              sg_action_name(m->action));
        for (size_t f = 0; r == 0 && f < m->n_findings; f++) {
            const struct sg_finding *fd = &m->findings[f];
            struct sg_buf line = SG_BUF_INIT;
            r = sg_buf_puts(&line, "- \"");
            if (r == 0)
                r = put_value(&line, fd->text, true); /* one line */
            if (r == 0)
                r = sg_buf_printf(&line, "\" (%s, in %s)\n",
                                  fd->detector ? fd->detector : "?",
                                  fd->where ? fd->where : "the message");
            if (r == 0 && (finds.data == NULL ||
                           strstr(finds.data, line.data) == NULL))
                r = sg_buf_puts(&finds, line.data);
            sg_buf_free(&line);
        }
        const char *e = kind == SG_NOTICE_HELD_DSL ? m->explain_dsl
                                                   : m->explain_sender;
        if (r == 0 && e != NULL && e[0] != '\0')
            r = sg_buf_printf(&expl, "%s%s", expl.len > 0 ? "\n\n" : "", e);
    }
    if (r == 0 && finds.len == 0)
        r = sg_buf_puts(&finds, "- nothing in the text: the rule is about "
                                "who wrote to whom, when, or how\n");
    for (size_t i = 0; r == 0 && i < n_rcpts; i++) {
        const struct sg_party *p = &rcpts[i];
        r = sg_buf_puts(&who, "- ");
        if (r == 0)
            r = put_value(&who, p->address ? p->address : "?", true);
        if (r == 0 && p->person != NULL && p->person->display_name != NULL)
            r = sg_buf_puts(&who, " - ");
        if (r == 0 && p->person != NULL && p->person->display_name != NULL)
            r = put_value(&who, p->person->display_name, true);
        if (r == 0)
            r = sg_buf_puts(&who, " (");
        if (r == 0 && (p->person == NULL || p->person->n_roles == 0))
            r = sg_buf_puts(&who, SG_ROLE_EXTERNAL);
        for (size_t k = 0; r == 0 && p->person != NULL &&
                           k < p->person->n_roles;
             k++)
            r = sg_buf_printf(&who, "%s%s", k > 0 ? ", " : "",
                              p->person->roles[k]);
        if (r == 0 && p->channel == SG_CHANNEL_PERSONAL)
            r = sg_buf_puts(&who, "; their personal address");
        if (r == 0)
            r = sg_buf_puts(&who, ")\n");
    }
    /* drop the last newline of each list: the template places it */
    struct sg_buf *lists[] = {&rules, &finds, &who};
    for (size_t i = 0; i < 3; i++)
        if (lists[i]->len > 0 && lists[i]->data[lists[i]->len - 1] == '\n')
            lists[i]->data[--lists[i]->len] = '\0';
    if (r == 0) {
        out->rules = sg_buf_steal(&rules);
        out->findings = sg_buf_steal(&finds);
        out->explanation = sg_buf_steal(&expl);
        out->recipients = sg_buf_steal(&who);
        if (!out->rules || !out->findings || !out->explanation ||
            !out->recipients)
            r = -1;
    }
    sg_buf_free(&rules);
    sg_buf_free(&finds);
    sg_buf_free(&expl);
    sg_buf_free(&who);
    if (r < 0) {
        sg_notice_text_free(out);
        return NOMEM();
    }
    return 0;
}

/* ------------------------------------------------------------ sending */

struct sg_notice_sender {
    char **words;
    size_t n_words;
    size_t to_word; /* index of the {to} word */
    unsigned timeout_ms;
};

void
sg_notice_sender_free(struct sg_notice_sender **s)
{
    if (s == NULL || *s == NULL)
        return;
    sg_strv_free(&(*s)->words, &(*s)->n_words);
    free(*s);
    *s = NULL;
}

/* Placeholders in a command word: only {from} (and {to} alone). */
static int
check_command_word(const char *w, const char *command, const char **error_r)
{
    for (const char *p = strchr(w, '{'); p != NULL; p = strchr(p + 1, '{')) {
        if (strncmp(p, "{from}", 6) == 0)
            continue;
        if (strcmp(w, "{to}") == 0)
            continue;
        if (strncmp(p, "{to}", 4) == 0)
            return FAIL("sendmail command \"%s\": {to} must be a word of its "
                        "own",
                        command);
        return FAIL("sendmail command \"%s\": unknown placeholder in \"%s\" "
                    "(only {from} and {to})",
                    command, w);
    }
    return 0;
}

int
sg_notice_sender_new(const char *command, unsigned timeout_ms,
                     struct sg_notice_sender **s_r, const char **error_r)
{
    if (command == NULL)
        return FAIL("no sendmail command");
    struct sg_notice_sender *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NOMEM();
    s->timeout_ms = timeout_ms > 0 ? timeout_ms : SG_NOTICE_TIMEOUT * 1000u;
    s->to_word = SIZE_MAX;
    struct sg_buf w = SG_BUF_INIT;
    const char *p = command;
    int r = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        sg_buf_reset(&w);
        bool any = false;
        while (r == 0 && *p != '\0' && *p != ' ' && *p != '\t') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                const char *e = strchr(p, q);
                if (e == NULL) {
                    r = FAIL("sendmail command \"%s\": unbalanced %c", command,
                             q);
                    break;
                }
                if (sg_buf_append(&w, p, (size_t)(e - p)) < 0)
                    r = NOMEM();
                p = e + 1;
            } else if ((unsigned char)*p < 0x20) {
                r = FAIL("sendmail command \"%s\": control character",
                         command);
            } else if (sg_buf_putc(&w, *p++) < 0) {
                r = NOMEM();
            }
            any = true;
        }
        if (r < 0)
            break;
        if (!any)
            continue;
        const char *word = w.data != NULL ? w.data : "";
        if ((r = check_command_word(word, command, error_r)) < 0)
            break;
        if (strcmp(word, "{to}") == 0) {
            if (s->to_word != SIZE_MAX) {
                r = FAIL("sendmail command \"%s\": {to} given twice",
                         command);
                break;
            }
            s->to_word = s->n_words;
        }
        if (sg_strv_push(&s->words, &s->n_words, word) < 0) {
            r = NOMEM();
            break;
        }
    }
    sg_buf_free(&w);
    if (r == 0 && s->n_words == 0)
        r = FAIL("the sendmail command is empty");
    if (r == 0 && s->words[0][0] != '/')
        r = FAIL("sendmail command \"%s\": the program must be an absolute "
                 "path (it is run without a shell)",
                 command);
    if (r == 0 && strchr(s->words[0], '{') != NULL)
        r = FAIL("sendmail command \"%s\": the program name cannot be a "
                 "placeholder",
                 command);
    if (r == 0 && s->to_word == SIZE_MAX)
        r = FAIL("sendmail command \"%s\": needs {to}, so the recipients "
                 "are the ones the notice is marked for",
                 command);
    if (r == 0 && access(s->words[0], X_OK) < 0)
        r = FAIL("sendmail command: %s: %s", s->words[0], strerror(errno));
    if (r < 0) {
        sg_notice_sender_free(&s);
        return -1;
    }
    *s_r = s;
    return 0;
}

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move fd to 3 or above (close-on-exec), so dup2 onto 0..2 in the child
 * cannot clobber it. */
static int
fd_high(int *fd)
{
    if (*fd > 2)
        return 0;
    int n = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (n < 0)
        return -1;
    close(*fd);
    *fd = n;
    return 0;
}

/* In the child: only async-signal-safe calls. */
static void __attribute__((noreturn))
child(int in, int out, char *const argv[], const char *exec_msg,
      size_t exec_msg_len)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL);
    setpgid(0, 0);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(127);
#if defined(SYS_close_range)
    if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
#endif
    {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536)
            max = 65536;
        for (int fd = 3; fd < max; fd++)
            close(fd);
    }
    execv(argv[0], argv);
    ssize_t ignored = write(2, exec_msg, exec_msg_len);
    (void)ignored;
    _exit(127);
}

/* The first line of what the command wrote, made printable. */
static const char *
first_line(char *out, size_t len)
{
    out[len] = '\0';
    char *p = out;
    while (*p == '\n' || *p == '\r' || *p == ' ')
        p++;
    char *nl = strpbrk(p, "\r\n");
    if (nl != NULL)
        *nl = '\0';
    for (char *q = p; *q != '\0'; q++)
        if ((unsigned char)*q < 0x20)
            *q = ' ';
    return p;
}

int
sg_notice_send(const struct sg_notice_sender *s, const char *from,
               const char *const *to, size_t n_to,
               const char *rendered_message, const char **error_r)
{
    if (s == NULL || rendered_message == NULL)
        return FAIL("sg_notice_send: no command or no message");
    if (check_addresses(from, to, n_to, error_r) < 0)
        return -1;

    /* argv, built before fork */
    if (n_to > 10000)
        return FAIL("too many recipients");
    size_t argc = s->n_words - 1 + n_to;
    char **argv = calloc(argc + 1, sizeof(*argv));
    if (argv == NULL)
        return NOMEM();
    size_t a = 0;
    int r = 0;
    for (size_t i = 0; r == 0 && i < s->n_words; i++) {
        if (i == s->to_word) {
            for (size_t j = 0; r == 0 && j < n_to; j++)
                if ((argv[a++] = strdup(to[j])) == NULL)
                    r = -1;
            continue;
        }
        struct sg_buf w = SG_BUF_INIT;
        for (const char *p = s->words[i]; r == 0 && *p != '\0';) {
            if (strncmp(p, "{from}", 6) == 0) {
                r = sg_buf_puts(&w, from);
                p += 6;
            } else {
                r = sg_buf_putc(&w, *p++);
            }
        }
        if (r == 0 && w.data == NULL)
            r = sg_buf_puts(&w, "");
        argv[a++] = w.data; /* owned: freed below */
    }
    char exec_msg[512];
    int em = snprintf(exec_msg, sizeof(exec_msg), "cannot execute %s\n",
                      s->words[0]);
    size_t exec_msg_len = em < 0 ? 0
                          : (size_t)em >= sizeof(exec_msg)
                              ? sizeof(exec_msg) - 1
                              : (size_t)em;

    int in[2] = {-1, -1}, out[2] = {-1, -1};
    pid_t pid = -1;
    if (r < 0) {
        NOMEM();
        goto out;
    }
    int sv[2], pv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0)
        in[0] = sv[0], in[1] = sv[1];
    if (pipe2(pv, O_CLOEXEC) == 0)
        out[0] = pv[0], out[1] = pv[1];
    if (in[0] < 0 || out[0] < 0 || fd_high(&in[0]) < 0 ||
        fd_high(&in[1]) < 0 || fd_high(&out[0]) < 0 || fd_high(&out[1]) < 0) {
        r = FAIL("sendmail command: cannot make pipes: %s", strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        r = FAIL("sendmail command: cannot fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        child(in[1], out[1], argv, exec_msg, exec_msg_len);
    close(in[1]);
    close(out[1]);
    in[1] = out[1] = -1;
    fcntl(in[0], F_SETFL, fcntl(in[0], F_GETFL) | O_NONBLOCK);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);

    const char *msg = rendered_message;
    size_t len = strlen(msg), off = 0;
    bool writing = true, reading = true, exited = false, timed_out = false;
    int status = 0;
    char output[OUTPUT_KEEP + 1];
    size_t output_len = 0;
    long long deadline = now_ms() + s->timeout_ms;
    if (len == 0) {
        shutdown(in[0], SHUT_WR);
        writing = false;
    }
    while (!exited || reading) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd[2];
        nfds_t np = 0;
        int wi = -1, ri = -1;
        if (writing) {
            pfd[np] = (struct pollfd){in[0], POLLOUT, 0};
            wi = (int)np++;
        }
        if (reading) {
            pfd[np] = (struct pollfd){out[0], POLLIN, 0};
            ri = (int)np++;
        }
        /* no SIGCHLD here: look at the child every few milliseconds */
        int wait = left < 20 ? (int)left : 20;
        int pr = np > 0 ? poll(pfd, np, wait) : poll(NULL, 0, wait);
        if (pr < 0 && errno != EINTR) {
            r = FAIL("sendmail command: poll: %s", strerror(errno));
            timed_out = true; /* kill it below */
            break;
        }
        if (pr > 0 && wi >= 0 && pfd[wi].revents != 0) {
            ssize_t n = send(in[0], msg + off, len - off,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                off += (size_t)n;
                if (off == len) {
                    shutdown(in[0], SHUT_WR);
                    writing = false;
                }
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR) {
                writing = false; /* it stopped reading; its status says */
            }
        }
        if (pr > 0 && ri >= 0 && pfd[ri].revents != 0) {
            char tmp[4096];
            ssize_t n = read(out[0], tmp, sizeof(tmp));
            if (n > 0) {
                size_t keep = (size_t)n;
                if (keep > OUTPUT_KEEP - output_len)
                    keep = OUTPUT_KEEP - output_len;
                memcpy(output + output_len, tmp, keep);
                output_len += keep;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                reading = false;
            }
        }
        if (!exited) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                exited = true;
                pid = -1;
            } else if (w < 0 && errno != EINTR) {
                r = FAIL("sendmail command: waitpid: %s", strerror(errno));
                exited = true;
                pid = -1;
                break;
            }
        }
        if (exited && reading) {
            /* take what is there, but do not wait for grandchildren that
             * may still hold the pipe */
            char tmp[4096];
            ssize_t n;
            while ((n = read(out[0], tmp, sizeof(tmp))) > 0) {
                size_t keep = (size_t)n;
                if (keep > OUTPUT_KEEP - output_len)
                    keep = OUTPUT_KEEP - output_len;
                memcpy(output + output_len, tmp, keep);
                output_len += keep;
            }
            reading = false;
        }
    }
    if (r < 0 && !timed_out)
        goto out;
    if (timed_out && pid > 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        pid = -1;
        if (r == 0)
            r = FAIL("sendmail command %s did not finish within %u ms and "
                     "was killed",
                     s->words[0], s->timeout_ms);
        goto out;
    }
    const char *said = first_line(output, output_len);
    if (WIFSIGNALED(status))
        r = FAIL("sendmail command %s was killed by signal %d%s%s",
                 s->words[0], WTERMSIG(status), said[0] ? ": " : "", said);
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        r = FAIL("sendmail command %s exited with status %d%s%s", s->words[0],
                 WEXITSTATUS(status), said[0] ? ": " : "", said);
    else if (off < len)
        r = FAIL("sendmail command %s exited before reading the whole "
                 "message%s%s",
                 s->words[0], said[0] ? ": " : "", said);
    else
        r = 0;
out:
    if (pid > 0) { /* only on an early failure path */
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    return r;
}

/* ------------------------------------------------------------ together */

void
sg_notice_free(struct sg_notice **n)
{
    if (n == NULL || *n == NULL)
        return;
    sg_notice_templates_free(&(*n)->templates);
    sg_notice_key_free(&(*n)->key);
    sg_notice_sender_free(&(*n)->sender);
    free((*n)->from);
    free((*n)->from_name);
    sg_strv_free(&(*n)->dsl_addresses, &(*n)->n_dsl_addresses);
    free(*n);
    *n = NULL;
}

int
sg_notice_open(const struct sg_notice_config *cfg, struct sg_notice **n_r,
               const char **error_r)
{
    if (cfg == NULL)
        return FAIL("no notice configuration");
    const char *why = address_problem(cfg->from);
    if (why != NULL)
        return FAIL("notice_from \"%.100s\" %s", cfg->from ? cfg->from : "",
                    why);
    if (cfg->n_dsl_addresses == 0)
        return FAIL("dsl_addresses is empty: no one would be told of held "
                    "mail");
    for (size_t i = 0; i < cfg->n_dsl_addresses; i++)
        if ((why = address_problem(cfg->dsl_addresses[i])) != NULL)
            return FAIL("dsl_addresses: \"%.100s\" %s",
                        cfg->dsl_addresses[i] ? cfg->dsl_addresses[i] : "",
                        why);
    struct sg_notice *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return NOMEM();
    unsigned timeout = cfg->timeout > 0 ? cfg->timeout : SG_NOTICE_TIMEOUT;
    if (timeout > UINT_MAX / 1000)
        timeout = UINT_MAX / 1000;
    if (sg_notice_templates_load(cfg->templates_dir, &n->templates, error_r) <
            0 ||
        sg_notice_secret_load(cfg->secret_file, &n->key, error_r) < 0 ||
        sg_notice_sender_new(cfg->sendmail, timeout * 1000, &n->sender,
                             error_r) < 0) {
        sg_notice_free(&n);
        return -1;
    }
    if ((n->from = strdup(cfg->from)) == NULL ||
        (cfg->from_name != NULL &&
         (n->from_name = strdup(cfg->from_name)) == NULL)) {
        sg_notice_free(&n);
        return NOMEM();
    }
    for (size_t i = 0; i < cfg->n_dsl_addresses; i++)
        if (sg_strv_push(&n->dsl_addresses, &n->n_dsl_addresses,
                         cfg->dsl_addresses[i]) < 0) {
            sg_notice_free(&n);
            return NOMEM();
        }
    *n_r = n;
    return 0;
}

int
sg_notice_deliver(const struct sg_notice *n, enum sg_notice_kind kind,
                  const struct sg_notice_values *values,
                  const char *const *to, size_t n_to, time_t now,
                  const char **error_r)
{
    if (n == NULL)
        return FAIL("notices are not set up");
    struct sg_notice_envelope env = {
        .from = n->from,
        .from_name = n->from_name,
        .to = to,
        .n_to = n_to,
        .now = now,
        .message_id = NULL,
    };
    char *msg = NULL;
    if (sg_notice_render(n->templates, kind, values, &env, n->key, &msg,
                         error_r) < 0)
        return -1;
    int r = sg_notice_send(n->sender, n->from, to, n_to, msg, error_r);
    free(msg);
    return r;
}
