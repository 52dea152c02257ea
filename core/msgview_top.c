/*
 * msgview_top.c - the top-level header block of a message read in one
 * pass, the way GMime's parser reads it, so that the view can be built
 * without a GMimeMessage (see sg_top in msgview_int.h).
 *
 * SECURITY: the block is the sender's.  It is only read, within
 * data[0, len); whatever GMime might read otherwise (see sg_top_read) is
 * not guessed at: the message is then parsed by GMime whole.
 *
 * Fails only when out of memory (-1); never logs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "msgview_int.h"

/* Bounds past which the block is left to GMime (nothing is lost: GMime
 * reads it whole then). */
#define SG_TOP_MAX_HEADERS 1024u
#define SG_TOP_MAX_BLOCK ((size_t)256 * 1024)
/* A field name longer than a line may be (RFC 5322): GMime reads a name
 * within its scan buffer (4 KiB and a little), and one longer than that
 * ends its parse as a truncated message. */
#define SG_TOP_MAX_NAME 998u

/* Headers RFC 5322 allows once, which GMime checks for repeats (a
 * repeat with another value makes the message malformed). */
static bool
sg_top_single(const char *name, size_t len)
{
    static const char *const single[] = {
        "bcc", "cc", "date", "from", "in-reply-to", "message-id",
        "references", "reply-to", "sender", "subject", "to"};
    for (size_t i = 0; i < G_N_ELEMENTS(single); i++)
        if (strlen(single[i]) == len &&
            g_ascii_strncasecmp(name, single[i], len) == 0)
            return true;
    return false;
}

static bool
sg_top_same_name(const char *data, const struct sg_top_header *a,
                 const struct sg_top_header *b)
{
    return a->name_len == b->name_len &&
           g_ascii_strncasecmp(data + a->line, data + b->line,
                               a->name_len) == 0;
}

/* The length of the field name that starts the line at data[0, eol), up
 * to its colon, or 0 when the line is not plainly "name:" (a blank, a
 * control or 8-bit byte before the colon, no colon, an empty name, a
 * name longer than SG_TOP_MAX_NAME). */
static size_t
sg_top_name(const char *data, size_t eol)
{
    for (size_t i = 0; i < eol && i <= SG_TOP_MAX_NAME; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == ':')
            return i;
        if (c <= 0x20 || c >= 0x7f)
            return 0;
    }
    return 0;
}

/* Whether the line data[0, eol] (data[eol] the '\n') holds no NUL and
 * no CR but one just before the '\n'. */
static bool
sg_top_line_clean(const char *data, size_t eol)
{
    if (memchr(data, '\0', eol) != NULL)
        return false;
    const char *cr = memchr(data, '\r', eol);
    return cr == NULL || cr == data + eol - 1;
}

static int
sg_top_add(struct sg_top *top, size_t line, size_t name_len, size_t *cap)
{
    if (top->n == *cap) {
        size_t ncap = *cap == 0 ? 32 : *cap * 2;
        struct sg_top_header *grown = realloc(top->h, ncap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        top->h = grown;
        *cap = ncap;
    }
    struct sg_top_header *h = &top->h[top->n++];
    memset(h, 0, sizeof(*h));
    h->line = line;
    h->name_len = name_len;
    h->content = name_len >= 8 &&
                 g_ascii_strncasecmp(top->data + line, "Content-", 8) == 0;
    if (h->content)
        top->n_content++;
    return 0;
}

int
sg_top_read(const char *data, size_t len, struct sg_top *top)
{
    size_t cap = 0;
    memset(top, 0, sizeof(*top));
    top->data = data;
    for (size_t i = 0; i < len && i <= SG_TOP_MAX_BLOCK;) {
        const char *nl = memchr(data + i, '\n', len - i);
        if (nl == NULL)
            break; /* no blank line: GMime says truncated */
        size_t eol = (size_t)(nl - data) - i;
        if (eol == 0 || (eol == 1 && data[i] == '\r')) {
            top->blank = i;
            top->body = i + eol + 1;
            if (top->n > 0)
                return 1;
            break; /* no headers at all */
        }
        if (!sg_top_line_clean(data + i, eol))
            break;
        if (data[i] == ' ' || data[i] == '\t') { /* folded */
            if (top->n == 0)
                break;
        } else {
            size_t name_len = sg_top_name(data + i, eol);
            if (name_len == 0 || top->n == SG_TOP_MAX_HEADERS)
                break;
            if (sg_top_add(top, i, name_len, &cap) < 0) {
                sg_top_free(top);
                return -1;
            }
            struct sg_top_header *h = &top->h[top->n - 1];
            if (sg_top_single(data + i, name_len))
                for (size_t k = 0; k + 1 < top->n; k++)
                    if (sg_top_same_name(data, &top->h[k], h))
                        goto unsure; /* GMime compares their values */
        }
        i += eol + 1;
        top->h[top->n - 1].end = i;
    }
unsure:
    sg_top_free(top);
    return 0;
}

bool
sg_top_named(const struct sg_top *top, const struct sg_top_header *h,
             const char *name)
{
    return h->name_len == strlen(name) &&
           g_ascii_strncasecmp(top->data + h->line, name, h->name_len) == 0;
}

char *
sg_top_raw(const struct sg_top *top, const struct sg_top_header *h)
{
    size_t from = h->line + h->name_len + 1;
    return g_strndup(top->data + from, h->end - from);
}

char *
sg_top_plain_value(const struct sg_top *top, const struct sg_top_header *h)
{
    const char *from = top->data + h->line + h->name_len + 1;
    const char *end = top->data + h->end;
    for (const char *p = from; p < end; p++)
        if ((unsigned char)*p >= 0x80 || (p[0] == '=' && p + 1 < end &&
                                          p[1] == '?'))
            return NULL;
    while (from < end && sg_top_lwsp(*from))
        from++;
    while (end > from && sg_top_lwsp(end[-1]))
        end--;
    char *value = g_malloc((size_t)(end - from) + 1), *out = value;
    for (const char *p = from; p < end; p++)
        if (*p != '\r' && *p != '\n')
            *out++ = *p;
    *out = '\0';
    return value;
}

/* ------------------------------------------------ a single text part */

/* A byte of a parameter value read without GMime: the letters, digits
 * and punctuation of charset names ("utf-8", "ISO_8859-1:1987"), all of
 * which GMime's loose parameter mode (its default, which the options of
 * sg_msgview_build_init keep; the strict mode would end a token at ':')
 * reads into the value as they are, and none of which starts an encoded
 * word. */
static bool
sg_top_value_char(char c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
           c == ':' || c == '+';
}

/* Whether p[0, end - p) starts with word (any case), and *p moves past it. */
static bool
sg_top_word(const char **p, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - *p) < n || g_ascii_strncasecmp(*p, word, n) != 0)
        return false;
    *p += n;
    return true;
}

static void
sg_top_skip_lwsp(const char **p, const char *end)
{
    while (*p < end && sg_top_lwsp(**p))
        (*p)++;
}

/* One parameter "name=value" of a text part's Content-Type, at *p: one of
 * the names it knows, not seen before (seen: a bit a name), the value a
 * token or a quoted string of sg_top_value_char; the charset's value into
 * part.  false when it is not such a one. */
static bool
sg_top_param(const char **p, const char *end, unsigned *seen,
             struct sg_top_part *part)
{
    static const char *const names[] = {"charset=", "format=", "delsp="};
    size_t k = 0;
    while (k < G_N_ELEMENTS(names) && !sg_top_word(p, end, names[k]))
        k++;
    if (k == G_N_ELEMENTS(names) || (*seen & 1u << k) != 0)
        return false;
    *seen |= 1u << k;
    bool quoted = *p < end && **p == '"';
    const char *from = *p + quoted, *q = from;
    while (q < end && sg_top_value_char(*q))
        q++;
    size_t n = (size_t)(q - from);
    if (n == 0 || (quoted && (q == end || *q++ != '"')))
        return false;
    if (k == 0) {
        if (n >= sizeof(part->charset))
            return false;
        memcpy(part->charset, from, n);
        part->charset[n] = '\0';
    }
    *p = q;
    return true;
}

/* A Content-Type value as sg_top_part takes it: "text/plain" or
 * "text/html" (any case), then parameters sg_top_param takes, each after
 * a ';', blanks (and folds) around the ';'s, one ';' at the end allowed. */
static bool
sg_top_text_type(const char *p, const char *end, struct sg_top_part *part)
{
    unsigned seen = 0;
    sg_top_skip_lwsp(&p, end);
    if (!sg_top_word(&p, end, "text/"))
        return false;
    if (sg_top_word(&p, end, "plain"))
        part->type = "text/plain";
    else if (sg_top_word(&p, end, "html"))
        part->type = "text/html";
    else
        return false;
    for (;;) {
        sg_top_skip_lwsp(&p, end);
        if (p == end)
            return true;
        if (*p++ != ';')
            return false;
        sg_top_skip_lwsp(&p, end);
        if (p == end)
            return true;
        if (!sg_top_param(&p, end, &seen, part))
            return false;
    }
}

/* A Content-Transfer-Encoding value as sg_top_part takes it: one of the
 * encodings it knows (any case), blanks (and folds) around it. */
static bool
sg_top_encoding(const char *p, const char *end, struct sg_top_part *part)
{
    static const struct {
        const char *name;
        GMimeContentEncoding enc;
    } encodings[] = {
        {"7bit", GMIME_CONTENT_ENCODING_7BIT},
        {"8bit", GMIME_CONTENT_ENCODING_8BIT},
        {"binary", GMIME_CONTENT_ENCODING_BINARY},
        {"quoted-printable", GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE},
        {"base64", GMIME_CONTENT_ENCODING_BASE64},
    };
    sg_top_skip_lwsp(&p, end);
    while (end > p && sg_top_lwsp(end[-1]))
        end--;
    for (size_t i = 0; i < G_N_ELEMENTS(encodings); i++) {
        const char *q = p;
        if (sg_top_word(&q, end, encodings[i].name) && q == end) {
            part->enc = encodings[i].enc;
            return true;
        }
    }
    return false;
}

/* A Content-Language value as sg_top_part takes it: language tags and
 * the commas and blanks (and folds) between them, nothing else. */
static bool
sg_top_language(const char *p, const char *end)
{
    for (; p < end; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != ',' &&
            !sg_top_lwsp(*p))
            return false;
    return true;
}

bool
sg_top_part(const struct sg_top *top, struct sg_top_part *part)
{
    bool typed = false, encoded = false, language = false;
    memset(part, 0, sizeof(*part));
    part->type = "text/plain";
    part->enc = GMIME_CONTENT_ENCODING_DEFAULT;
    for (size_t i = 0; i < top->n; i++) {
        const struct sg_top_header *h = &top->h[i];
        const char *value = top->data + h->line + h->name_len + 1;
        const char *end = top->data + h->end;
        bool ok = false;
        if (!h->content)
            continue;
        if (sg_top_named(top, h, "Content-Type")) {
            ok = !typed && sg_top_text_type(value, end, part);
            typed = true;
        } else if (sg_top_named(top, h, "Content-Transfer-Encoding")) {
            ok = !encoded && sg_top_encoding(value, end, part);
            encoded = true;
        } else if (sg_top_named(top, h, "Content-Language")) {
            ok = !language && sg_top_language(value, end);
            language = true;
        }
        if (!ok)
            return false;
    }
    return true;
}

void
sg_top_free(struct sg_top *top)
{
    for (size_t i = 0; i < top->n; i++)
        g_free(top->h[i].value);
    free(top->h);
    if (top->from != NULL)
        g_object_unref(top->from);
    top->from = NULL;
    top->h = NULL;
    top->n = top->n_content = 0;
}
