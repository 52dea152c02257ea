/*
 * extract.c - the text of one attachment, for the sandboxed helper
 * safeguard-extract (see extract.h and extract/main.c).
 *
 * SECURITY: every byte is attacker-controlled.  The kind of file is told
 * by its content (magic bytes), not by its declared type or name, which
 * only say whether a file that cannot be read should have been.  ZIP
 * entries, ZIP depth, bytes unpacked (in all and per byte of input),
 * PDF pages and bytes of text out are bounded; reaching a bound sets
 * incomplete and keeps what was read.  XML is read by libxml2's reader
 * with network access off and entities not substituted.  Text out is
 * always valid UTF-8 (bytes that are not UTF-8 are read as Latin-1).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <archive_entry.h>
#include <libxml/xmlreader.h>
#include <poppler.h>

#include "extract.h"
#include "sg_utf8.h"

/* Bytes of a file looked at to tell text from binary. */
#define SG_SNIFF 8192
/* Empty columns written before a spreadsheet cell, at most. */
#define SG_MAX_GAP 256
/* RTF groups nested deeper than this are not read. */
#define SG_RTF_MAX_DEPTH 256

static int sg_extract_any(struct sg_extract *x, const char *data, size_t len,
                          const char *name, const char *type,
                          unsigned depth);

void
sg_extract_init(void)
{
    xmlInitParser();
    /* poppler's GObject types, before a sandbox leaves no room to make them */
    g_type_ensure(POPPLER_TYPE_DOCUMENT);
    g_type_ensure(POPPLER_TYPE_PAGE);
}

/* ------------------------------------------------------------- output */

static bool
sg_full(const struct sg_extract *x)
{
    return x->nomem || x->out->len >= x->limits->max_out;
}

/* Append valid UTF-8 (the caller made sure), cut at limits->max_out on a
 * character boundary. */
static void
sg_put(struct sg_extract *x, const char *s, size_t len)
{
    if (x->nomem)
        return;
    size_t room = x->limits->max_out - (x->out->len < x->limits->max_out
                                            ? x->out->len
                                            : x->limits->max_out);
    if (len > room) {
        x->incomplete = true;
        len = room;
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    if (len > 0 && sg_buf_append(x->out, s, len) < 0)
        x->nomem = true;
}

static void
sg_puts(struct sg_extract *x, const char *s)
{
    sg_put(x, s, strlen(s));
}

/* End a table cell or row: the space or tab just written before it goes
 * (a paragraph's end inside a cell, the last cell's tab in a row). */
static void
sg_put_end(struct sg_extract *x, char drop, const char *s)
{
    if (x->out->len > 0 && x->out->data[x->out->len - 1] == drop)
        x->out->data[--x->out->len] = '\0';
    sg_puts(x, s);
}

/* Append text of any encoding: UTF-8 sequences as they are, any other
 * byte as the Latin-1 character of that value, NUL dropped. */
static void
sg_put_text(struct sg_extract *x, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, start = 0;
    while (i < len && !sg_full(x)) {
        size_t n = p[i] != 0 ? sg_utf8_decode(p + i, len - i, NULL) : 0;
        if (n > 0) {
            i += n;
            continue;
        }
        sg_put(x, s + start, i - start);
        if (p[i] != 0) {
            char latin[2] = {(char)(0xC0 | (p[i] >> 6)),
                             (char)(0x80 | (p[i] & 0x3F))};
            sg_put(x, latin, 2);
        }
        start = ++i;
    }
    sg_put(x, s + start, i - start);
}

/* Code point cp as UTF-8 (a surrogate or beyond U+10FFFF as U+FFFD; NUL
 * dropped, as in sg_put_text). */
static void
sg_put_cp(struct sg_extract *x, uint32_t cp)
{
    char b[4];
    if (cp == 0)
        return;
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        cp = 0xFFFD;
    if (cp < 0x80) {
        b[0] = (char)cp;
        sg_put(x, b, 1);
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        sg_put(x, b, 2);
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        sg_put(x, b, 3);
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        sg_put(x, b, 4);
    }
}

/* ------------------------------------------------------------- kinds */

static bool
sg_has_prefix(const char *data, size_t len, const char *magic)
{
    size_t n = strlen(magic);
    return len >= n && memcmp(data, magic, n) == 0;
}

static bool
sg_ends_with(const char *s, const char *suffix)
{
    size_t n = s != NULL ? strlen(s) : 0, m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Text or binary?  Text has no NUL and few control characters in its
 * first SG_SNIFF bytes. */
static bool
sg_looks_like_text(const char *data, size_t len)
{
    size_t n = len < SG_SNIFF ? len : SG_SNIFF, controls = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == 0)
            return false;
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') ||
            c == 0x7F)
            controls++;
    }
    return controls * 100 <= n;
}

/* A declared type or name of a kind that holds text this helper reads or
 * should read: when such a file cannot be read, it was not inspected. */
static bool
sg_should_read(const char *name, const char *type)
{
    static const char *const exts[] = {
        ".pdf", ".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".pptm",
        ".odt", ".ods", ".odp", ".rtf", ".zip", ".doc", ".xls", ".ppt",
        ".txt", ".csv", ".vcf", ".ics", NULL};
    static const char *const types[] = {
        "application/pdf", "application/zip", "application/x-zip",
        "application/msword", "application/vnd.ms-", "application/rtf",
        "application/vnd.openxmlformats", "application/vnd.oasis",
        "text/", NULL};
    for (size_t i = 0; exts[i] != NULL; i++)
        if (sg_ends_with(name, exts[i]))
            return true;
    for (size_t i = 0; type != NULL && types[i] != NULL; i++)
        if (strncasecmp(type, types[i], strlen(types[i])) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------- text */

/* UTF-16 text with its byte order mark, as Windows writes "Unicode"
 * text (Excel's Unicode Text export, Notepad): each character as UTF-8;
 * a lone surrogate as U+FFFD. */
static int
sg_extract_utf16(struct sg_extract *x, const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    bool le = p[0] == 0xFF;
    for (size_t i = 2; i + 1 < len && !sg_full(x); i += 2) {
        uint32_t u = le ? (uint32_t)(p[i] | p[i + 1] << 8)
                        : (uint32_t)(p[i] << 8 | p[i + 1]);
        if (u >= 0xD800 && u <= 0xDBFF && i + 3 < len) {
            uint32_t lo = le ? (uint32_t)(p[i + 2] | p[i + 3] << 8)
                             : (uint32_t)(p[i + 2] << 8 | p[i + 3]);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                i += 2;
            }
        }
        sg_put_cp(x, u); /* a surrogate left alone becomes U+FFFD */
    }
    return SG_EXTRACT_OK;
}

/* Plain text; vCard and iCalendar lines folded onto the next (a line
 * break and one space or tab) are unfolded first, as their readers show
 * them. */
static int
sg_extract_text(struct sg_extract *x, const char *data, size_t len)
{
    size_t skip = sg_has_prefix(data, len, "\xEF\xBB\xBF") ? 3 : 0;
    bool folded = sg_has_prefix(data + skip, len - skip, "BEGIN:VCARD") ||
                  sg_has_prefix(data + skip, len - skip, "BEGIN:VCALENDAR");
    data += skip;
    len -= skip;
    if (!folded) {
        sg_put_text(x, data, len);
        return SG_EXTRACT_OK;
    }
    size_t start = 0;
    for (size_t i = 0; i < len && !sg_full(x); i++) {
        size_t brk = data[i] == '\n'                                 ? 1
                     : data[i] == '\r' && i + 1 < len &&
                               data[i + 1] == '\n'                   ? 2
                                                                     : 0;
        if (brk > 0 && i + brk < len &&
            (data[i + brk] == ' ' || data[i + brk] == '\t')) {
            sg_put_text(x, data + start, i - start);
            i += brk; /* the fold's space goes too */
            start = i + 1;
        }
    }
    sg_put_text(x, data + start, len - start);
    return SG_EXTRACT_OK;
}

/* ------------------------------------------------------------- RTF */

/* Destinations that are not text a reader sees. */
static bool
sg_rtf_skipped(const char *word)
{
    static const char *const skip[] = {
        "fonttbl", "colortbl", "stylesheet", "info", "pict", "object",
        "themedata", "datastore", "listtable", "listoverridetable",
        "rsidtbl", "generator", "xmlnstbl", "latentstyles", "filetbl",
        "revtbl", "fldinst", "bkmkstart", "bkmkend", NULL};
    for (size_t i = 0; skip[i] != NULL; i++)
        if (strcmp(word, skip[i]) == 0)
            return true;
    return false;
}

static int
sg_extract_rtf(struct sg_extract *x, const char *data, size_t len)
{
    bool skip[SG_RTF_MAX_DEPTH];
    unsigned depth = 0;
    long uc = 1; /* fallback characters after \uN */
    long pending = 0;
    skip[0] = false;
    for (size_t i = 0; i < len && !sg_full(x); i++) {
        char c = data[i];
        if (c == '{') {
            if (depth + 1 >= SG_RTF_MAX_DEPTH) {
                x->incomplete = true;
                break;
            }
            skip[depth + 1] = skip[depth];
            depth++;
        } else if (c == '}') {
            depth = depth > 0 ? depth - 1 : 0;
        } else if (c == '\r' || c == '\n') {
            continue;
        } else if (c != '\\') {
            if (pending > 0)
                pending--;
            else if (!skip[depth])
                sg_put_text(x, &data[i], 1);
        } else if (i + 1 < len) {
            char d = data[++i];
            if ((d >= 'a' && d <= 'z') || (d >= 'A' && d <= 'Z')) {
                char word[33];
                size_t n = 0;
                while (i < len && ((data[i] >= 'a' && data[i] <= 'z') ||
                                   (data[i] >= 'A' && data[i] <= 'Z'))) {
                    if (n < sizeof(word) - 1)
                        word[n++] = data[i];
                    i++;
                }
                word[n] = '\0';
                bool neg = i < len && data[i] == '-';
                i += neg;
                long param = 0;
                bool has_param = false;
                while (i < len && data[i] >= '0' && data[i] <= '9') {
                    if (param < 100000000)
                        param = param * 10 + (data[i] - '0');
                    has_param = true;
                    i++;
                }
                param = neg ? -param : param;
                if (i >= len || data[i] != ' ')
                    i--; /* the delimiter is part of what follows */
                if (strcmp(word, "bin") == 0 && param > 0) {
                    i += (size_t)param < len - i ? (size_t)param : len - i;
                } else if (sg_rtf_skipped(word)) {
                    skip[depth] = true;
                } else if (skip[depth]) {
                    continue;
                } else if (strcmp(word, "par") == 0 ||
                           strcmp(word, "line") == 0 ||
                           strcmp(word, "row") == 0) {
                    sg_puts(x, "\n");
                } else if (strcmp(word, "tab") == 0 ||
                           strcmp(word, "cell") == 0) {
                    sg_puts(x, "\t");
                } else if (strcmp(word, "uc") == 0 && has_param) {
                    uc = param >= 0 && param < 8 ? param : 1;
                } else if (strcmp(word, "u") == 0 && has_param) {
                    sg_put_cp(x, (uint32_t)(param < 0 ? param + 65536 : param));
                    pending = uc;
                }
            } else if (d == '*') {
                skip[depth] = true;
            } else if (d == '\'' && i + 2 < len) {
                char hex[3] = {data[i + 1], data[i + 2], '\0'};
                char *end;
                unsigned long v = strtoul(hex, &end, 16);
                i += 2;
                if (pending > 0) {
                    pending--;
                } else if (*end == '\0' && !skip[depth]) {
                    char byte = (char)v;
                    sg_put_text(x, &byte, 1);
                }
            } else if (d == '\n' || d == '\r') {
                if (!skip[depth])
                    sg_puts(x, "\n");
            } else if (d == '~') {
                if (!skip[depth])
                    sg_puts(x, "\xC2\xA0");
            } else if (d == '\\' || d == '{' || d == '}') {
                if (!skip[depth])
                    sg_put(x, &d, 1);
            }
        }
    }
    return x->incomplete ? SG_EXTRACT_INCOMPLETE : SG_EXTRACT_OK;
}

/* ------------------------------------------------------------- PDF */

static int
sg_extract_pdf(struct sg_extract *x, const char *data, size_t len)
{
    GBytes *bytes = g_bytes_new_static(data, len);
    GError *err = NULL;
    PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &err);
    g_bytes_unref(bytes);
    if (doc == NULL) { /* encrypted with a password, or not a PDF at all */
        g_clear_error(&err);
        x->incomplete = true;
        return SG_EXTRACT_INCOMPLETE;
    }
    int pages = poppler_document_get_n_pages(doc);
    if (pages <= 0) /* cut short, or broken past repair */
        x->incomplete = true;
    for (int i = 0; i < pages && !sg_full(x); i++) {
        if ((unsigned)i >= x->limits->max_pages) {
            x->incomplete = true;
            break;
        }
        PopplerPage *page = poppler_document_get_page(doc, i);
        if (page == NULL) {
            x->incomplete = true;
            continue;
        }
        char *text = poppler_page_get_text(page);
        if (text != NULL) {
            sg_put_text(x, text, strlen(text));
            sg_puts(x, "\n");
        }
        g_free(text);
        g_object_unref(page);
    }
    g_object_unref(doc);
    return x->incomplete ? SG_EXTRACT_INCOMPLETE : SG_EXTRACT_OK;
}

/* ------------------------------------------------------------- ZIP */

struct sg_entry {
    char *name;
    struct sg_buf data;
};

struct sg_zip {
    struct sg_entry *entries;
    size_t n;
};

static void
sg_zip_free(struct sg_zip *z)
{
    for (size_t i = 0; i < z->n; i++) {
        free(z->entries[i].name);
        sg_buf_free(&z->entries[i].data);
    }
    free(z->entries);
}

/* Bytes that may still be unpacked: limits->max_unpacked in all, and no
 * more than max_ratio times the attachment (1 MiB at least, for small
 * files of very repetitive text). */
static size_t
sg_unpack_room(const struct sg_extract *x)
{
    size_t by_ratio = x->in_len <= SIZE_MAX / x->limits->max_ratio
                          ? x->in_len * x->limits->max_ratio
                          : SIZE_MAX;
    size_t cap = by_ratio > (size_t)1 << 20 ? by_ratio : (size_t)1 << 20;
    cap = cap < x->limits->max_unpacked ? cap : x->limits->max_unpacked;
    return x->unpacked < cap ? cap - x->unpacked : 0;
}

/* Read every regular entry of a ZIP into memory, within the bounds. */
static void
sg_zip_read(struct sg_extract *x, const char *data, size_t len,
            struct sg_zip *z)
{
    struct archive *a = archive_read_new();
    struct archive_entry *e;
    size_t cap = 0;
    int r;
    if (a == NULL) {
        x->nomem = true;
        return;
    }
    archive_read_support_format_zip(a);
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
        x->incomplete = true;
        archive_read_free(a);
        return;
    }
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
           r == ARCHIVE_WARN) {
        if (++x->entries > x->limits->max_entries) {
            x->incomplete = true;
            break;
        }
        if (archive_entry_filetype(e) != AE_IFREG)
            continue;
        if (archive_entry_is_encrypted(e)) {
            x->incomplete = true;
            continue;
        }
        if (z->n == cap) {
            size_t ncap = cap != 0 ? cap * 2 : 16;
            struct sg_entry *grown = realloc(z->entries,
                                             ncap * sizeof(*grown));
            if (grown == NULL) {
                x->nomem = true;
                break;
            }
            z->entries = grown;
            cap = ncap;
        }
        const char *name = archive_entry_pathname(e);
        struct sg_entry *ent = &z->entries[z->n];
        ent->name = strdup(name != NULL ? name : "");
        ent->data = (struct sg_buf)SG_BUF_INIT;
        z->n++;
        if (ent->name == NULL) {
            x->nomem = true;
            break;
        }
        char chunk[16384];
        la_ssize_t n;
        while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
            size_t room = sg_unpack_room(x);
            if ((size_t)n > room) { /* a bomb, or just too much */
                x->incomplete = true;
                n = (la_ssize_t)room;
            }
            if (n > 0 && sg_buf_append(&ent->data, chunk, (size_t)n) < 0) {
                x->nomem = true;
                break;
            }
            x->unpacked += (size_t)n;
            if (sg_unpack_room(x) == 0)
                break;
        }
        if (n < 0)
            x->incomplete = true; /* damaged or of a kind not supported */
        if (x->nomem || sg_unpack_room(x) == 0)
            break;
    }
    if (r != ARCHIVE_EOF && r != ARCHIVE_OK && r != ARCHIVE_WARN)
        x->incomplete = true;
    archive_read_free(a);
}

static const struct sg_entry *
sg_zip_find(const struct sg_zip *z, const char *name)
{
    for (size_t i = 0; i < z->n; i++)
        if (strcmp(z->entries[i].name, name) == 0)
            return &z->entries[i];
    return NULL;
}

/* Entry names in the order a reader shows them: "slide2" before
 * "slide10". */
static int
sg_natural_cmp(const void *pa, const void *pb)
{
    const char *a = (*(const struct sg_entry *const *)pa)->name;
    const char *b = (*(const struct sg_entry *const *)pb)->name;
    while (*a != '\0' && *b != '\0') {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            const char *ea = a, *eb = b;
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            for (ea = a; *ea >= '0' && *ea <= '9'; ea++)
                ;
            for (eb = b; *eb >= '0' && *eb <= '9'; eb++)
                ;
            if (ea - a != eb - b)
                return ea - a < eb - b ? -1 : 1;
            int c = strncmp(a, b, (size_t)(ea - a));
            if (c != 0)
                return c;
            a = ea;
            b = eb;
        } else if (*a != *b) {
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        } else {
            a++;
            b++;
        }
    }
    return *a != '\0' ? 1 : *b != '\0' ? -1 : 0;
}

/* The entries under dir whose names end in ".xml" and do not start with
 * one of the excluded prefixes, in natural order.  NULL when there are
 * none (or no memory: x->nomem). */
static const struct sg_entry **
sg_zip_select(struct sg_extract *x, const struct sg_zip *z, const char *dir,
              const char *const *exclude, size_t *n_r)
{
    const struct sg_entry **sel = calloc(z->n + 1, sizeof(*sel));
    size_t n = 0, dlen = strlen(dir);
    if (sel == NULL) {
        x->nomem = true;
        *n_r = 0;
        return NULL;
    }
    for (size_t i = 0; i < z->n; i++) {
        const char *name = z->entries[i].name;
        bool skip = strncmp(name, dir, dlen) != 0 ||
                    !sg_ends_with(name, ".xml");
        for (size_t k = 0; !skip && exclude[k] != NULL; k++)
            skip = strncmp(name + dlen, exclude[k], strlen(exclude[k])) == 0;
        if (!skip)
            sel[n++] = &z->entries[i];
    }
    qsort(sel, n, sizeof(*sel), sg_natural_cmp);
    *n_r = n;
    return sel;
}

/* ------------------------------------------------------------- XML */

enum sg_xml_kind {
    SG_XML_WORD,  /* docx: w:t runs, w:p paragraphs */
    SG_XML_SLIDE, /* pptx: a:t runs, a:p paragraphs */
    SG_XML_ODF,   /* OpenDocument content.xml: everything in office:body */
};

static bool
sg_is(const xmlChar *local, const char *name)
{
    return local != NULL && strcmp((const char *)local, name) == 0;
}

static xmlTextReaderPtr
sg_xml_reader(struct sg_extract *x, const struct sg_buf *data)
{
    if (data->len > INT32_MAX) {
        x->incomplete = true;
        return NULL;
    }
    xmlTextReaderPtr r = xmlReaderForMemory(
        data->data != NULL ? data->data : "", (int)data->len, NULL, NULL,
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (r == NULL)
        x->nomem = true;
    return r;
}

/* One node of an XML part, as the walkers below see it. */
struct sg_node {
    int type; /* XML_READER_TYPE_* */
    const xmlChar *local;
    bool empty; /* an element with no content: no end element follows */
};

/* Step to the next node: 1, 0 at the end, -1 when the XML is not
 * well-formed. */
static int
sg_xml_next(xmlTextReaderPtr r, struct sg_node *n)
{
    int ret = xmlTextReaderRead(r);
    n->type = ret == 1 ? xmlTextReaderNodeType(r) : 0;
    n->local = ret == 1 ? xmlTextReaderConstLocalName(r) : NULL;
    n->empty = ret == 1 && xmlTextReaderIsEmptyElement(r) == 1;
    return ret;
}

/* Text, or white space that is part of the text. */
static bool
sg_xml_is_text(const struct sg_node *n)
{
    return n->type == XML_READER_TYPE_TEXT ||
           n->type == XML_READER_TYPE_CDATA ||
           n->type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

/* A walk that stopped before the end, not for a bound, read part of the
 * part: not well-formed. */
static void
sg_xml_done(struct sg_extract *x, xmlTextReaderPtr r, int ret)
{
    if (!sg_full(x) && ret != 0)
        x->incomplete = true;
    xmlFreeTextReader(r);
}

/* The text of one XML part of a word-processing, presentation or
 * OpenDocument file: paragraphs on lines, table cells separated by tabs,
 * table rows on lines. */
static void
sg_xml_text(struct sg_extract *x, const struct sg_buf *data,
            enum sg_xml_kind kind)
{
    xmlTextReaderPtr r = sg_xml_reader(x, data);
    unsigned in_text = 0, in_body = 0, in_cell = 0;
    struct sg_node n;
    int ret = 0;
    if (r == NULL)
        return;
    while (!sg_full(x) && (ret = sg_xml_next(r, &n)) == 1) {
        if (n.type == XML_READER_TYPE_ELEMENT) {
            if (kind != SG_XML_ODF) {
                if ((sg_is(n.local, "t") || sg_is(n.local, "delText")) && !n.empty)
                    in_text++;
                else if (sg_is(n.local, "tab"))
                    sg_puts(x, "\t");
                else if (sg_is(n.local, "br") || sg_is(n.local, "cr"))
                    sg_puts(x, "\n");
                else if (sg_is(n.local, "tc") && !n.empty)
                    in_cell++;
                continue;
            }
            if (sg_is(n.local, "body") && !n.empty)
                in_body++;
            else if (sg_is(n.local, "table-cell") && !n.empty)
                in_cell++;
            else if (in_body > 0 && sg_is(n.local, "tab"))
                sg_puts(x, "\t");
            else if (in_body > 0 && sg_is(n.local, "s"))
                sg_puts(x, " ");
            else if (in_body > 0 && sg_is(n.local, "line-break"))
                sg_puts(x, "\n");
            else if (in_body > 0 && n.empty && sg_is(n.local, "table-cell"))
                sg_puts(x, "\t");
        } else if (n.type == XML_READER_TYPE_END_ELEMENT) {
            if (kind != SG_XML_ODF) {
                if ((sg_is(n.local, "t") || sg_is(n.local, "delText")) &&
                    in_text > 0)
                    in_text--;
                else if (sg_is(n.local, "p"))
                    sg_puts(x, in_cell > 0 ? " " : "\n");
                else if (sg_is(n.local, "tc") && in_cell > 0) {
                    in_cell--;
                    sg_put_end(x, ' ', "\t");
                } else if (sg_is(n.local, "tr"))
                    sg_put_end(x, '\t', "\n");
                continue;
            }
            if (sg_is(n.local, "body") && in_body > 0)
                in_body--;
            else if (in_body == 0)
                continue;
            else if (sg_is(n.local, "p") || sg_is(n.local, "h"))
                sg_puts(x, in_cell > 0 ? " " : "\n");
            else if (sg_is(n.local, "table-cell") && in_cell > 0) {
                in_cell--;
                sg_put_end(x, ' ', "\t");
            } else if (sg_is(n.local, "table-row"))
                sg_put_end(x, '\t', "\n");
        } else if (sg_xml_is_text(&n)) {
            bool keep = kind == SG_XML_ODF ? in_body > 0 : in_text > 0;
            const xmlChar *v = xmlTextReaderConstValue(r);
            if (keep && v != NULL)
                sg_put_text(x, (const char *)v, strlen((const char *)v));
        }
    }
    sg_xml_done(x, r, ret);
}

/* ------------------------------------------------------------- xlsx */

struct sg_strings {
    char **s;
    size_t n, cap;
};

static void
sg_strings_free(struct sg_strings *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->s[i]);
    free(t->s);
}

/* Tabs and line breaks inside a cell would move it to another column or
 * row: they become spaces. */
static void
sg_cell_flatten(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            s[i] = ' ';
}

/* xl/sharedStrings.xml: the text of each <si>, phonetic runs left out. */
static void
sg_xlsx_strings(struct sg_extract *x, const struct sg_buf *data,
                struct sg_strings *t)
{
    xmlTextReaderPtr r = sg_xml_reader(x, data);
    struct sg_buf cur = SG_BUF_INIT;
    unsigned in_t = 0, in_rph = 0;
    struct sg_node n;
    int ret = 0;
    if (r == NULL)
        return;
    while (!x->nomem && (ret = sg_xml_next(r, &n)) == 1) {
        if (n.type == XML_READER_TYPE_ELEMENT && !n.empty) {
            in_t += sg_is(n.local, "t");
            in_rph += sg_is(n.local, "rPh");
            if (sg_is(n.local, "si"))
                sg_buf_reset(&cur);
        } else if (n.type == XML_READER_TYPE_END_ELEMENT) {
            in_t -= sg_is(n.local, "t") && in_t > 0;
            in_rph -= sg_is(n.local, "rPh") && in_rph > 0;
        }
        if ((n.type == XML_READER_TYPE_END_ELEMENT ||
             (n.type == XML_READER_TYPE_ELEMENT && n.empty)) &&
            sg_is(n.local, "si")) {
            if (t->n == t->cap) {
                size_t ncap = t->cap != 0 ? t->cap * 2 : 64;
                char **grown = realloc(t->s, ncap * sizeof(*grown));
                if (grown == NULL) {
                    x->nomem = true;
                    break;
                }
                t->s = grown;
                t->cap = ncap;
            }
            sg_cell_flatten(cur.data != NULL ? cur.data : "", cur.len);
            t->s[t->n] = sg_buf_steal(&cur);
            if (t->s[t->n] == NULL) {
                x->nomem = true;
                break;
            }
            t->n++;
        } else if (sg_xml_is_text(&n) && in_t > 0 && in_rph == 0) {
            const xmlChar *v = xmlTextReaderConstValue(r);
            if (v != NULL && sg_buf_puts(&cur, (const char *)v) < 0)
                x->nomem = true;
        }
    }
    sg_buf_free(&cur);
    sg_xml_done(x, r, ret);
}

/* Column index (0 for A) of a cell reference such as "AB12"; -1 without. */
static long
sg_xlsx_column(const xmlChar *ref)
{
    long col = 0;
    size_t i = 0;
    if (ref == NULL)
        return -1;
    for (; ref[i] >= 'A' && ref[i] <= 'Z' && i < 4; i++)
        col = col * 26 + (ref[i] - 'A' + 1);
    return i > 0 ? col - 1 : -1;
}

/* One worksheet: each row on a line, its cells separated by tabs at
 * their columns; shared strings looked up, numbers as stored. */
static void
sg_xlsx_sheet(struct sg_extract *x, const struct sg_buf *data,
              const struct sg_strings *t)
{
    xmlTextReaderPtr r = sg_xml_reader(x, data);
    struct sg_buf val = SG_BUF_INIT;
    long col = 0, cell_col = 0;
    xmlChar *cell_type = NULL;
    unsigned in_v = 0;
    struct sg_node n;
    int ret = 0;
    if (r == NULL)
        return;
    while (!sg_full(x) && (ret = sg_xml_next(r, &n)) == 1) {
        if (n.type == XML_READER_TYPE_ELEMENT && sg_is(n.local, "row")) {
            col = 0;
            if (n.empty)
                sg_puts(x, "\n");
        } else if (n.type == XML_READER_TYPE_END_ELEMENT &&
                   sg_is(n.local, "row")) {
            sg_puts(x, "\n");
        } else if (n.type == XML_READER_TYPE_ELEMENT && sg_is(n.local, "c")) {
            xmlChar *ref = xmlTextReaderGetAttribute(r, BAD_CAST "r");
            long c = sg_xlsx_column(ref);
            xmlFree(ref);
            cell_col = c >= 0 ? c : col;
            xmlFree(cell_type);
            cell_type = xmlTextReaderGetAttribute(r, BAD_CAST "t");
            sg_buf_reset(&val);
            in_v = 0;
        } else if (n.type == XML_READER_TYPE_ELEMENT && !n.empty &&
                   (sg_is(n.local, "v") || sg_is(n.local, "t"))) {
            in_v++;
        } else if (n.type == XML_READER_TYPE_END_ELEMENT &&
                   (sg_is(n.local, "v") || sg_is(n.local, "t"))) {
            in_v -= in_v > 0;
        } else if (sg_xml_is_text(&n) && in_v > 0) {
            const xmlChar *v = xmlTextReaderConstValue(r);
            if (v != NULL && sg_buf_puts(&val, (const char *)v) < 0)
                x->nomem = true;
        } else if (n.type == XML_READER_TYPE_END_ELEMENT && sg_is(n.local, "c")) {
            const char *text = val.data != NULL ? val.data : "";
            bool shared = cell_type != NULL &&
                          strcmp((const char *)cell_type, "s") == 0;
            bool boolean = cell_type != NULL &&
                           strcmp((const char *)cell_type, "b") == 0;
            if (val.len == 0)
                continue;
            if (shared) {
                char *end;
                unsigned long k = strtoul(text, &end, 10);
                if (*end != '\0' || k >= t->n) {
                    x->incomplete = true; /* a string that is not there */
                    continue;
                }
                text = t->s[k];
            } else if (boolean) {
                text = strcmp(text, "1") == 0 ? "TRUE" : "FALSE";
            } else {
                sg_cell_flatten(val.data, val.len);
            }
            /* columns left empty since the last cell written are tabs */
            long gap = col == 0 ? cell_col
                       : cell_col >= col ? cell_col - col + 1 : 1;
            gap = gap > SG_MAX_GAP ? SG_MAX_GAP : gap;
            for (long k = 0; k < gap; k++)
                sg_puts(x, "\t");
            sg_puts(x, text);
            col = cell_col + 1;
        }
    }
    xmlFree(cell_type);
    sg_buf_free(&val);
    sg_xml_done(x, r, ret);
}

/* ------------------------------------------------------------- containers */

static void
sg_extract_parts(struct sg_extract *x, const struct sg_zip *z,
                 const char *dir, const char *const *exclude,
                 enum sg_xml_kind kind)
{
    size_t n;
    const struct sg_entry **sel = sg_zip_select(x, z, dir, exclude, &n);
    for (size_t i = 0; sel != NULL && i < n && !sg_full(x); i++)
        sg_xml_text(x, &sel[i]->data, kind);
    free(sel);
}

static void
sg_extract_xlsx(struct sg_extract *x, const struct sg_zip *z)
{
    static const char *const none[] = {NULL};
    struct sg_strings t = {NULL, 0, 0};
    const struct sg_entry *ss = sg_zip_find(z, "xl/sharedStrings.xml");
    if (ss != NULL)
        sg_xlsx_strings(x, &ss->data, &t);
    size_t n;
    const struct sg_entry **sel = sg_zip_select(x, z, "xl/worksheets/sheet",
                                                none, &n);
    for (size_t i = 0; sel != NULL && i < n && !sg_full(x); i++) {
        sg_xlsx_sheet(x, &sel[i]->data, &t);
        sg_puts(x, "\n");
    }
    free(sel);
    sg_strings_free(&t);
}

/* A ZIP: an OOXML or OpenDocument file by its parts, else every entry
 * read as a file of its own, one level deeper. */
static int
sg_extract_zip(struct sg_extract *x, const char *data, size_t len,
               unsigned depth)
{
    static const char *const word_skip[] = {
        "styles", "settings", "fontTable", "webSettings", "numbering",
        "theme/", "glossary/", "stylesWithEffects", NULL};
    static const char *const slide_parts[] = {"slides/slide",
                                              "notesSlides/", NULL};
    static const char *const none[] = {NULL};
    struct sg_zip z = {NULL, 0};
    if (depth > x->limits->max_depth) {
        x->incomplete = true;
        return SG_EXTRACT_INCOMPLETE;
    }
    sg_zip_read(x, data, len, &z);
    const struct sg_entry *mime = sg_zip_find(&z, "mimetype");
    const struct sg_entry *content = sg_zip_find(&z, "content.xml");
    bool odf = content != NULL && mime != NULL &&
               sg_has_prefix(mime->data.data != NULL ? mime->data.data : "",
                             mime->data.len, "application/vnd.oasis.");
    bool ooxml = sg_zip_find(&z, "[Content_Types].xml") != NULL;
    if (odf) {
        sg_xml_text(x, &content->data, SG_XML_ODF);
    } else if (ooxml && sg_zip_find(&z, "word/document.xml") != NULL) {
        sg_extract_parts(x, &z, "word/", word_skip, SG_XML_WORD);
    } else if (ooxml && sg_zip_find(&z, "xl/workbook.xml") != NULL) {
        sg_extract_xlsx(x, &z);
    } else if (ooxml && sg_zip_find(&z, "ppt/presentation.xml") != NULL) {
        for (size_t k = 0; slide_parts[k] != NULL; k++) {
            char dir[32];
            snprintf(dir, sizeof(dir), "ppt/%s", slide_parts[k]);
            sg_extract_parts(x, &z, dir, none, SG_XML_SLIDE);
        }
    } else {
        for (size_t i = 0; i < z.n && !sg_full(x); i++) {
            size_t mark = x->out->len;
            sg_put_text(x, z.entries[i].name, strlen(z.entries[i].name));
            sg_puts(x, "\n");
            struct sg_buf *d = &z.entries[i].data;
            int st = sg_extract_any(x, d->data != NULL ? d->data : "", d->len,
                                    z.entries[i].name, NULL, depth + 1);
            if (st == SG_EXTRACT_NONE && !x->nomem)
                x->out->len = mark; /* nothing but its name */
            else
                sg_puts(x, "\n");
            if (x->out->data != NULL)
                x->out->data[x->out->len] = '\0';
        }
    }
    sg_zip_free(&z);
    return x->incomplete ? SG_EXTRACT_INCOMPLETE : SG_EXTRACT_OK;
}

/* ------------------------------------------------------------- dispatch */

static int
sg_extract_any(struct sg_extract *x, const char *data, size_t len,
               const char *name, const char *type, unsigned depth)
{
    size_t head = len < 1024 ? len : 1024;
    if (memmem(data, head, "%PDF-", 5) != NULL)
        return sg_extract_pdf(x, data, len);
    if (sg_has_prefix(data, len, "PK\x03\x04") ||
        sg_has_prefix(data, len, "PK\x05\x06"))
        return sg_extract_zip(x, data, len, depth);
    if (sg_has_prefix(data, len, "{\\rtf"))
        return sg_extract_rtf(x, data, len);
    /* an OLE2 compound file: a Word 97-2003 document or spreadsheet, or
     * an OOXML file encrypted with a password, which holds text that is
     * not read here */
    if (sg_has_prefix(data, len, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")) {
        x->incomplete = true;
        return SG_EXTRACT_INCOMPLETE;
    }
    if (sg_has_prefix(data, len, "\xFF\xFE") ||
        sg_has_prefix(data, len, "\xFE\xFF"))
        return sg_extract_utf16(x, data, len);
    if (sg_looks_like_text(data, len))
        return sg_extract_text(x, data, len);
    if (sg_should_read(name, type)) { /* said to be text, and is not */
        x->incomplete = true;
        return SG_EXTRACT_INCOMPLETE;
    }
    return SG_EXTRACT_NONE;
}

int
sg_extract(const char *data, size_t len, const char *name, const char *type,
           const struct sg_extract_limits *limits, struct sg_buf *out)
{
    struct sg_extract x = {limits, out, len, 0, 0, false, false};
    int st = sg_extract_any(&x, data != NULL ? data : "", len, name, type, 0);
    if (x.nomem || sg_buf_reserve(out, 0) < 0)
        return SG_EXTRACT_FAILED;
    if (st == SG_EXTRACT_NONE)
        return st;
    return x.incomplete ? SG_EXTRACT_INCOMPLETE : SG_EXTRACT_OK;
}
