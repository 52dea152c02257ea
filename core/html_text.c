/*
 * html_text.c - HTML reduced to the text a reader sees (see html_text.h):
 * script and style dropped, blocks on lines of their own, table rows as
 * lines with tab-separated cells, link targets kept, <blockquote> lines
 * marked '>'; what the HTML hides and its attribute values go to places
 * of their own (html_places.c).
 *
 * SECURITY: the HTML is the sender's.  It goes through libxml2's
 * recovering parser with network access off, never a hand-rolled tag
 * stripper; its elements and text are reduced as the parser hands them
 * on (SAX), with no tree and no recursion (the depth is the sender's:
 * only counters of it are kept).  The text only ever shortens the HTML,
 * but for link targets and attribute values, each its own bytes once or
 * twice.
 *
 * Fails by returning -1 only when out of memory; never logs.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlIO.h>

#include "charset.h"
#include "html_places.h"
#include "html_text.h"
#include "sg_swar.h"

/* ------------------------------------------------------------- HTML */

struct sg_html {
    struct sg_buf *out;
    bool space;         /* whitespace seen, not yet written */
    unsigned pre;       /* inside <pre> */
    size_t link_start;  /* offset where the current <a>'s text began */
    unsigned depth;     /* of the element the parser is in (0: none) */
    unsigned link;      /* depth of the current <a>, 0 when none */
    char *link_href;    /* its href (a copy), NULL when none */
    unsigned cell;      /* inside a table cell (<td>, <th>), nested */
    unsigned row_cells; /* cells begun in the current row (<tr>) */
    bool cell_break;    /* a line break inside the cell, not yet written */
    int err;
    /* places beside the shown text (html_places.h): out is shown, or
     * hidden while inside the element at depth hider, the outermost
     * that hides (0: none) */
    struct sg_buf *shown, *hidden, *markup;
    unsigned hider;
    bool hider_space;   /* space pending in shown when hider began */
    unsigned quote;     /* inside <blockquote>: lines start with '>' */
    /* an element whose content is not shown (script, style, template,
     * head), at depth skip (0: none); head_skipped when it is <head>,
     * whose children's attributes are read all the same */
    unsigned skip;
    bool head_skipped;
    /* a <style> whose CSS is read (depth, 0: none), and its text so far */
    unsigned style;
    struct sg_buf css;
    bool started;       /* the parser began a document */
    /* runs of text the parser was given as one mark each (sg_html_lean):
     * where each is in the HTML, the next one due, and whether a mark
     * turned up anywhere but in text, in turn */
    const char *html;
    const struct sg_html_run *runs;
    size_t n_runs, next_run;
    bool runs_bad;
    struct sg_buf values; /* an element's attribute values put back */
};

/* A run of text between a tag and the next '<' or '&', or (attr) an
 * attribute's quoted value. */
struct sg_html_run {
    size_t off, len;
    bool attr;
};

/* The mark that stands for a run of text (sg_html_lean): U+FDD0, a
 * noncharacter, which libxml2 passes on as text like any other. */
#define SG_HTML_MARK "\xEF\xB7\x90"
#define SG_HTML_MARK_LEN 3

static const char *
sg_html_find_mark(const char *s, size_t len)
{
    const char *end = s + len;
    for (const char *p = s; (p = memchr(p, '\xEF', (size_t)(end - p))) != NULL;
         p++)
        if ((size_t)(end - p) >= SG_HTML_MARK_LEN &&
            memcmp(p, SG_HTML_MARK, SG_HTML_MARK_LEN) == 0)
            return p;
    return NULL;
}

/* Does the HTML refer to the mark by number (&#xFDD0; or &#64976;, any
 * leading zeros, with or without the ';')?  libxml2 passes such a
 * reference on as the mark itself, indistinguishable from one of ours;
 * it caps a value at 0x110000, as here, so no longer number wraps
 * round to it. */
static bool
sg_html_refers_to_mark(const char *s, size_t len)
{
    const char *end = s + len;
    for (const char *p = s; (p = memchr(p, '&', (size_t)(end - p))) != NULL;
         p++) {
        const char *q = p + 1;
        if (q >= end || *q != '#')
            continue;
        q++;
        bool hex = q < end && (*q == 'x' || *q == 'X');
        if (hex)
            q++;
        unsigned long v = 0;
        for (; q < end; q++) {
            int d = hex ? g_ascii_xdigit_value(*q) : g_ascii_digit_value(*q);
            if (d < 0)
                break;
            v = v * (hex ? 16 : 10) + (unsigned long)d;
            if (v > 0x110000)
                v = 0x110000;
        }
        if (v == 0xFDD0)
            return true;
    }
    return false;
}

/* Deeper <blockquote>s than this are marked as this deep. */
#define SG_HTML_QUOTE_MAX 8

/* What an element is to the walk, from its name (libxml2 gives HTML
 * names in lower case): bits of enum sg_html_kind. */
enum sg_html_kind {
    SG_HTML_SKIPPED = 1u,    /* script, style, template, head: not shown */
    SG_HTML_BLOCK = 2u,      /* on lines of its own */
    SG_HTML_ROW = 4u,        /* a block that ends a table row: it breaks a
                                line even inside a cell */
    SG_HTML_CELL = 8u,       /* td, th */
    SG_HTML_BR = 16u,
    SG_HTML_PRE = 32u,
    SG_HTML_BLOCKQUOTE = 64u,
    SG_HTML_A = 128u,
    SG_HTML_HEAD = 256u,
    SG_HTML_TR = 512u,
};

/* The names, each with its kind; an element not here is inline. */
static const struct {
    const char *name;
    unsigned kind;
} sg_html_names[] = {
    {"script", SG_HTML_SKIPPED}, {"style", SG_HTML_SKIPPED},
    {"template", SG_HTML_SKIPPED}, {"head", SG_HTML_SKIPPED | SG_HTML_HEAD},
    {"address", SG_HTML_BLOCK}, {"article", SG_HTML_BLOCK},
    {"aside", SG_HTML_BLOCK},
    {"blockquote", SG_HTML_BLOCK | SG_HTML_BLOCKQUOTE},
    {"body", SG_HTML_BLOCK}, {"caption", SG_HTML_BLOCK},
    {"center", SG_HTML_BLOCK}, {"dd", SG_HTML_BLOCK},
    {"details", SG_HTML_BLOCK}, {"dialog", SG_HTML_BLOCK},
    {"div", SG_HTML_BLOCK}, {"dl", SG_HTML_BLOCK}, {"dt", SG_HTML_BLOCK},
    {"fieldset", SG_HTML_BLOCK}, {"figcaption", SG_HTML_BLOCK},
    {"figure", SG_HTML_BLOCK}, {"footer", SG_HTML_BLOCK},
    {"form", SG_HTML_BLOCK}, {"h1", SG_HTML_BLOCK}, {"h2", SG_HTML_BLOCK},
    {"h3", SG_HTML_BLOCK}, {"h4", SG_HTML_BLOCK}, {"h5", SG_HTML_BLOCK},
    {"h6", SG_HTML_BLOCK}, {"header", SG_HTML_BLOCK}, {"hr", SG_HTML_BLOCK},
    {"html", SG_HTML_BLOCK}, {"li", SG_HTML_BLOCK}, {"main", SG_HTML_BLOCK},
    {"nav", SG_HTML_BLOCK}, {"ol", SG_HTML_BLOCK}, {"p", SG_HTML_BLOCK},
    {"pre", SG_HTML_BLOCK | SG_HTML_PRE}, {"section", SG_HTML_BLOCK},
    {"summary", SG_HTML_BLOCK}, {"table", SG_HTML_BLOCK | SG_HTML_ROW},
    {"tbody", SG_HTML_BLOCK | SG_HTML_ROW},
    {"tfoot", SG_HTML_BLOCK | SG_HTML_ROW},
    {"thead", SG_HTML_BLOCK | SG_HTML_ROW}, {"title", SG_HTML_BLOCK},
    {"tr", SG_HTML_BLOCK | SG_HTML_ROW | SG_HTML_TR}, {"ul", SG_HTML_BLOCK},
    {"td", SG_HTML_CELL}, {"th", SG_HTML_CELL}, {"br", SG_HTML_BR},
    {"a", SG_HTML_A},
};

/* The names above by first letter and length: most elements are looked
 * up with one or two comparisons (a strcmp against each of 45 names for
 * every element entered and left was a tenth of the walk). */
#define SG_HTML_NAME_MAX 10
static unsigned char sg_html_index[26][SG_HTML_NAME_MAX + 1][8];
static gsize sg_html_index_ready;

static void
sg_html_index_build(void)
{
    if (!g_once_init_enter(&sg_html_index_ready))
        return;
    for (size_t i = 0; i < sizeof(sg_html_names) / sizeof(sg_html_names[0]);
         i++) {
        const char *name = sg_html_names[i].name;
        size_t len = strlen(name);
        unsigned char *slot = sg_html_index[name[0] - 'a'][len];
        size_t k = 0;
        while (slot[k] != 0) /* at most 7 names share a letter and length */
            k++;
        slot[k] = (unsigned char)(i + 1);
    }
    g_once_init_leave(&sg_html_index_ready, 1);
}

static unsigned
sg_html_kind(const char *name)
{
    if (name[0] < 'a' || name[0] > 'z')
        return 0;
    size_t len = 1; /* names are short: no library call for them */
    while (name[len] != '\0')
        if (++len > SG_HTML_NAME_MAX)
            return 0;
    const unsigned char *slot = sg_html_index[name[0] - 'a'][len];
    for (size_t k = 0; k < 8 && slot[k] != 0; k++) {
        const char *known = sg_html_names[slot[k] - 1].name;
        size_t j = 1;
        while (j < len && known[j] == name[j])
            j++;
        if (j == len)
            return sg_html_names[slot[k] - 1].kind;
    }
    return 0;
}

static void
sg_html_put(struct sg_html *h, const char *s, size_t len)
{
    static const char marks[] = ">>>>>>>> ";
    if (h->quote == 0 || h->out != h->shown) { /* no line to mark */
        if (h->err == 0 && sg_buf_append(h->out, s, len) < 0)
            h->err = -1;
        return;
    }
    while (len > 0 && h->err == 0) {
        /* a quoted line starts with '>' a level, as in plain text mail,
         * so that one reader of quotes (quote.c) serves both */
        if (h->quote > 0 && h->out == h->shown && s[0] != '\n' &&
            (h->out->len == 0 || h->out->data[h->out->len - 1] == '\n')) {
            unsigned q = h->quote < SG_HTML_QUOTE_MAX ? h->quote
                                                      : SG_HTML_QUOTE_MAX;
            if (sg_buf_append(h->out, marks + SG_HTML_QUOTE_MAX - q, q + 1) < 0)
                h->err = -1;
        }
        const char *nl = memchr(s, '\n', len);
        size_t run = nl != NULL ? (size_t)(nl - s) + 1 : len;
        if (h->err == 0 && sg_buf_append(h->out, s, run) < 0)
            h->err = -1;
        s += run;
        len -= run;
    }
}

static bool
sg_html_at_line_start(const struct sg_html *h)
{
    return h->out->len == 0 || h->out->data[h->out->len - 1] == '\n';
}

/* At the start of a line or of a table cell: no space goes here. */
static bool
sg_html_at_cell_start(const struct sg_html *h)
{
    return sg_html_at_line_start(h) || h->out->data[h->out->len - 1] == '\t';
}

static void
sg_html_newline(struct sg_html *h)
{
    h->cell_break = false;
    if (!sg_html_at_line_start(h))
        sg_html_put(h, "\n", 1);
    h->space = false;
}

/* Table rows become lines and their cells are separated by tabs, so that
 * a table reads as rows with columns (the pupil-dob and pupil-roster
 * detectors read them by their header row).  A block or <br> inside a
 * cell breaks the line only between two pieces of the cell's text: the
 * <p> Outlook puts in every cell leaves the row whole.  Returns whether
 * n was a cell or a line break inside one (handled here). */
static bool
sg_html_table(struct sg_html *h, unsigned kind, bool enter)
{
    if (enter && (kind & SG_HTML_TR) != 0)
        h->row_cells = 0;
    if ((kind & SG_HTML_CELL) != 0) {
        if (enter) {
            h->cell++;
            /* every cell after the first, empty ones too, so that the
             * columns stay where the header row put them */
            if (h->row_cells++ > 0)
                sg_html_put(h, "\t", 1);
        } else if (h->cell > 0) {
            h->cell--;
        }
        h->space = false;
        h->cell_break = false;
        return true;
    }
    if (h->cell == 0 || (kind & SG_HTML_ROW) != 0 ||
        (kind & (SG_HTML_BR | SG_HTML_BLOCK)) == 0)
        return false;
    if (!sg_html_at_cell_start(h))
        h->cell_break = true;
    h->space = true;
    return true;
}

static void
sg_html_pending_space(struct sg_html *h)
{
    if (h->cell_break) {
        h->cell_break = false;
        h->space = false;
        if (!sg_html_at_line_start(h))
            sg_html_put(h, "\n", 1);
        return;
    }
    if (h->space && !sg_html_at_cell_start(h))
        sg_html_put(h, " ", 1);
    h->space = false;
}

/* What HTML text counts as whitespace between words. */
static bool
sg_html_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

/* 0x80 in each byte of w (eight bytes of text, sg_load8) that is a
 * control character other than a tab or a line feed: what sends a run of
 * text the slow way. */
static uint64_t
sg_html_bytes_odd(uint64_t w, uint64_t *tab_nl)
{
    *tab_nl = sg_swar_eq(w, '\t') | sg_swar_eq(w, '\n');
    return sg_swar_below(w, 0x20) & ~*tab_nl;
}

/* len bytes of text with runs of whitespace collapsed to one space (kept
 * inside <pre>).  The parser hands text on in pieces (at most a thousand
 * bytes, an entity on its own); whitespace at either end of a piece is
 * left pending, so that the pieces read as the text they were cut from. */
static void
sg_html_text(struct sg_html *h, const char *s, size_t len)
{
    if (h->pre > 0) {
        sg_html_pending_space(h);
        sg_html_put(h, s, len);
        return;
    }
    size_t ws = 0;
    while (ws < len && sg_html_is_space(s[ws]))
        ws++;
    if (ws > 0) {
        h->space = true;
        s += ws;
        len -= ws;
    }
    if (len == 0)
        return;
    /* the first word as any text is put (a pending space or line break,
     * a quote's '>' at the start of a line) */
    size_t run = 0;
    while (run < len && !sg_html_is_space(s[run]))
        run++;
    sg_html_pending_space(h);
    sg_html_put(h, s, run);
    s += run;
    len -= run;
    /* then the rest of the piece, up to its last word, has each run of
     * whitespace made one space: the same as putting it word by word,
     * as no line starts inside it; whitespace after the last word is
     * left pending */
    size_t end = len;
    while (end > 0 && sg_html_is_space(s[end - 1]))
        end--;
    if (end < len)
        h->space = true;
    if (end == 0 || h->err != 0)
        return;
    if (sg_buf_reserve(h->out, end) < 0) {
        h->err = -1;
        return;
    }
    char *d = h->out->data + h->out->len;
    bool blank = false;
    size_t i = 0;
    while (i < end) {
        /* eight bytes at a time where each blank (a space, tab or line
         * feed) stands alone: it becomes a space; no other control byte
         * (CR, form feed), no two blanks side by side, none after a
         * pending one */
        if (i + 8 <= end) {
            uint64_t w = sg_load8(s + i), tab_nl;
            uint64_t odd = sg_html_bytes_odd(w, &tab_nl);
            uint64_t bl = sg_swar_eq(w, ' ') | tab_nl;
            if (odd == 0 && (bl & (bl >> 8)) == 0 &&
                !(blank && (bl & 0x80) != 0)) {
                uint64_t m = (bl >> 7) * 0xFF; /* the blanks' bytes */
                sg_store8(d, (w & ~m) | (SG_SWAR_ONES * ' ' & m));
                d += 8;
                i += 8;
                blank = (bl >> 63) != 0;
                continue;
            }
        }
        char c = s[i++];
        bool space = sg_html_is_space(c);
        if (!space)
            *d++ = c;
        else if (!blank)
            *d++ = ' ';
        blank = space;
    }
    h->out->len = (size_t)(d - h->out->data);
    h->out->data[h->out->len] = '\0';
}

/* After a link's text: " <href>", unless the text already is the target. */
static void
sg_html_link_end(struct sg_html *h)
{
    if (h->link_href == NULL)
        return;
    char *target = g_strstrip(h->link_href);
    const char *text = h->out->data != NULL ? h->out->data + h->link_start : "";
    while (*text == ' ' || *text == '\n')
        text++;
    const char *bare = g_str_has_prefix(target, "mailto:") ? target + 7 : target;
    if (*target != '\0' && strcmp(text, target) != 0 && strcmp(text, bare) != 0) {
        h->space = *text != '\0';
        sg_html_pending_space(h);
        sg_html_put(h, "<", 1);
        sg_html_put(h, target, strlen(target));
        sg_html_put(h, ">", 1);
    }
}

/* A <style> whose CSS content strings are read, at depth: its text is
 * gathered until it ends (sg_html_style_end). */
static void
sg_html_style_begin(struct sg_html *h)
{
    h->style = h->depth;
    sg_buf_reset(&h->css);
}

static void
sg_html_style_end(struct sg_html *h)
{
    h->style = 0;
    if (sg_buf_failed(&h->css) ||
        sg_css_content(h->css.data != NULL ? h->css.data : "", h->css.len,
                       h->markup) < 0)
        h->err = -1;
}

/* An element begins (libxml2's SAX startElement): the parser has already
 * closed what the element closes (an open <p> before a <div>, say), and
 * every element it begins it also ends, so the walk needs no tree, only
 * depths.  The markup of an element goes first, then what it is to the
 * shown text. */
static void
sg_html_element(struct sg_html *h, const char *name, const xmlChar **atts)
{
    bool style = strcmp(name, "style") == 0;
    if (h->skip != 0) {
        /* inside what is not shown only <head>'s own children are read,
         * for their attributes (<meta>, <title>) and <style>s */
        if (h->head_skipped && h->depth == h->skip + 1) {
            if (style)
                sg_html_style_begin(h);
            else if (sg_html_markup(atts, h->markup) < 0)
                h->err = -1;
        }
        return;
    }
    unsigned kind = sg_html_kind(name);
    if (style)
        sg_html_style_begin(h);
    else if (sg_html_markup(atts, h->markup) < 0)
        h->err = -1;
    if ((kind & SG_HTML_SKIPPED) != 0) {
        h->skip = h->depth;
        h->head_skipped = (kind & SG_HTML_HEAD) != 0;
        return;
    }
    if (h->hider == 0 && sg_html_hides(atts)) {
        h->hider = h->depth;
        h->hider_space = h->space;
        h->space = false;
        h->out = h->hidden;
        sg_html_newline(h);
    }
    if (sg_html_table(h, kind, true)) {
        /* a cell, or a line break inside one */
    } else if ((kind & SG_HTML_BR) != 0) {
        sg_html_put(h, "\n", 1);
        h->space = false;
    } else if ((kind & SG_HTML_BLOCK) != 0) {
        sg_html_newline(h);
    }
    if ((kind & SG_HTML_PRE) != 0)
        h->pre++;
    if ((kind & SG_HTML_BLOCKQUOTE) != 0)
        h->quote++;
    if ((kind & SG_HTML_A) != 0 && h->link == 0) {
        sg_html_pending_space(h);
        h->link = h->depth;
        h->link_start = h->out->len;
        bool present;
        const char *href =
            (const char *)sg_html_attr(atts, "href", &present);
        if (href != NULL && (h->link_href = g_strdup(href)) == NULL)
            h->err = -1;
    }
}

/* The attribute values the parser was given as marks, put back: a copy
 * of atts with each value that is a mark, due as a value, replaced by
 * its run (NUL-terminated in h->values), or NULL when no value is a
 * mark.  A mark anywhere else in a value, or one not due as a value,
 * makes the marks bad (the HTML is parsed again as it is). */
static const xmlChar **
sg_html_values_back(struct sg_html *h, const xmlChar **atts)
{
    size_t n = 0, marked = 0, room = 0;
    for (; atts[n] != NULL; n += 2) {
        const char *v = (const char *)atts[n + 1];
        if (v == NULL || sg_html_find_mark(v, strlen(v)) == NULL)
            continue;
        size_t k = h->next_run + marked;
        if (strcmp(v, SG_HTML_MARK) != 0 || k >= h->n_runs ||
            !h->runs[k].attr) {
            h->runs_bad = true;
            return NULL;
        }
        marked++;
        room += h->runs[k].len + 1;
    }
    if (marked == 0)
        return NULL;
    const xmlChar **back = malloc((n + 1) * sizeof(*back));
    sg_buf_reset(&h->values);
    /* room for them all first: the values do not move as they are added */
    if (back == NULL || sg_buf_reserve(&h->values, room) < 0) {
        free(back);
        h->err = -1;
        return NULL;
    }
    for (size_t i = 0; i < n; i += 2) {
        const char *v = (const char *)atts[i + 1];
        back[i] = atts[i];
        back[i + 1] = atts[i + 1];
        if (v == NULL || strcmp(v, SG_HTML_MARK) != 0)
            continue;
        const struct sg_html_run *r = &h->runs[h->next_run++];
        back[i + 1] = (const xmlChar *)(h->values.data + h->values.len);
        sg_buf_append(&h->values, h->html + r->off, r->len);
        sg_buf_append(&h->values, "", 1); /* its NUL, kept */
    }
    back[n] = NULL;
    return back;
}

/* An element begins (libxml2's SAX startElement), its attribute values
 * put back where they were given as marks. */
static void
sg_html_start(void *ctx, const xmlChar *xname, const xmlChar **atts)
{
    struct sg_html *h = ctx;
    h->depth++;
    if (h->err != 0 || xname == NULL)
        return;
    const xmlChar **back = h->n_runs > 0 && atts != NULL
                               ? sg_html_values_back(h, atts)
                               : NULL;
    if (h->err == 0)
        sg_html_element(h, (const char *)xname, back != NULL ? back : atts);
    free(back);
}

static void
sg_html_end(void *ctx, const xmlChar *xname)
{
    struct sg_html *h = ctx;
    const char *name = (const char *)xname;
    unsigned depth = h->depth;
    if (h->depth > 0)
        h->depth--;
    if (h->err != 0 || name == NULL)
        return;
    if (depth == h->style)
        sg_html_style_end(h);
    if (h->skip != 0) {
        if (depth == h->skip)
            h->skip = 0;
        return;
    }
    if (depth == h->link) {
        sg_html_link_end(h);
        g_free(h->link_href);
        h->link_href = NULL;
        h->link = 0;
    }
    unsigned kind = sg_html_kind(name);
    if ((kind & SG_HTML_PRE) != 0 && h->pre > 0)
        h->pre--;
    if (!sg_html_table(h, kind, false) && (kind & SG_HTML_BLOCK) != 0)
        sg_html_newline(h);
    if ((kind & SG_HTML_BLOCKQUOTE) != 0 && h->quote > 0)
        h->quote--;
    if (depth == h->hider) {
        sg_html_newline(h);
        h->hider = 0;
        h->out = h->shown;
        h->space = h->hider_space;
    }
}

/* Text, whitespace between elements included: whether that is text is
 * decided here, the same way wherever it is (libxml2's tree builder drops
 * some of it by what the tree holds so far, which a walk without the tree
 * cannot know; a space between two blocks writes nothing, and one after
 * an <img> or an <input> keeps the words either side apart). */
static void
sg_html_chars(struct sg_html *h, const char *s, size_t len)
{
    if (h->style != 0) {
        if (sg_buf_append(&h->css, s, len) < 0)
            h->err = -1;
        return;
    }
    if (h->skip == 0)
        sg_html_text(h, s, len);
}

static void
sg_html_characters(void *ctx, const xmlChar *ch, int len)
{
    struct sg_html *h = ctx;
    if (h->err != 0 || len <= 0)
        return;
    const char *s = (const char *)ch;
    size_t n = (size_t)len;
    /* each mark is the next run of text, put back where it stood */
    const char *m;
    while (h->n_runs > 0 && (m = sg_html_find_mark(s, n)) != NULL) {
        if (m > s)
            sg_html_chars(h, s, (size_t)(m - s));
        if (h->next_run >= h->n_runs) {
            h->runs_bad = true;
            return;
        }
        const struct sg_html_run *r = &h->runs[h->next_run++];
        if (r->attr) { /* an attribute's value, come out as text */
            h->runs_bad = true;
            return;
        }
        sg_html_chars(h, h->html + r->off, r->len);
        n -= (size_t)(m - s) + SG_HTML_MARK_LEN;
        s = m + SG_HTML_MARK_LEN;
    }
    if (n > 0)
        sg_html_chars(h, s, n);
}

static void
sg_html_start_document(void *ctx)
{
    struct sg_html *h = ctx;
    h->started = true;
}

static void
sg_trim_end(struct sg_buf *b)
{
    while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
                          b->data[b->len - 1] == ' '))
        b->data[--b->len] = '\0';
}

/* Runs shorter than this are left to the parser. */
#define SG_HTML_RUN_MIN 16

/* May len bytes at s stand for themselves as one mark: text the parser
 * would pass on as it is, whole characters it accepts (no control
 * character but tab and line feed, no U+FFFE, U+FFFF or U+FDD0), so that
 * giving it the mark instead changes nothing but the pieces the text
 * comes in?  The HTML is valid UTF-8 (sg_html_reduce_valid) and a run
 * begins and ends beside ASCII, so the run is valid UTF-8 too. */
static bool
sg_html_run_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        /* ASCII without controls but tab and line feed passes eight
         * bytes at a time */
        while (i + 8 <= len) {
            uint64_t w = sg_load8(s + i), tab_nl;
            if ((w & SG_SWAR_HIGH) != 0 || sg_html_bytes_odd(w, &tab_nl) != 0)
                break;
            i += 8;
        }
        if (i >= len)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && c != '\t' && c != '\n')
            return false;
        if (c == 0xEF && i + 2 < len) {
            unsigned char c1 = (unsigned char)s[i + 1],
                          c2 = (unsigned char)s[i + 2];
            if ((c1 == 0xBF && c2 >= 0xBE) || /* U+FFFE, U+FFFF */
                (c1 == 0xB7 && c2 == 0x90))   /* U+FDD0, the mark */
                return false;
        }
    }
    return true;
}

/* The marked copy of the HTML in the making (sg_html_lean): html[copied..]
 * is not yet in lean. */
struct sg_html_leaner {
    const char *html;
    struct sg_buf *lean;
    struct sg_html_run *runs;
    size_t cap, n_runs, copied;
    int err;
};

/* html[a..b) given to the parser as one mark. */
static void
sg_html_lean_mark(struct sg_html_leaner *l, size_t a, size_t b, bool attr)
{
    if (sg_array_grow((void **)&l->runs, &l->cap, l->n_runs,
                      sizeof(*l->runs)) < 0) {
        l->err = -1;
        return;
    }
    l->runs[l->n_runs++] = (struct sg_html_run){a, b - a, attr};
    sg_buf_append(l->lean, l->html + l->copied, a - l->copied);
    sg_buf_append(l->lean, SG_HTML_MARK, SG_HTML_MARK_LEN);
    l->copied = b;
}

/* Attribute values shorter than this are left to the parser. */
#define SG_HTML_VALUE_MIN 8

/* May the quoted attribute value html[a..b) of a tag named name[0..n)
 * be given as a mark?  Not in <html>, <head>, <body> (whose attributes
 * the parser drops where it drops a misplaced one) or <meta> (whose
 * charset it reads), nor one that holds a reference. */
static bool
sg_html_value_ok(const char *html, size_t a, size_t b, const char *name,
                 size_t n)
{
    static const char *const tags[] = {"html", "head", "body", "meta"};
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        if (n == strlen(tags[i]) && g_ascii_strncasecmp(name, tags[i], n) == 0)
            return false;
    return b - a >= SG_HTML_VALUE_MIN && memchr(html + a, '&', b - a) == NULL &&
           sg_html_run_ok(html + a, b - a);
}

/* Where the tag that begins at html[i] ('<') ends: the offset after its
 * '>', or i + 1 when the '<' begins no tag.  Quoted attribute values
 * are skipped (and when l is not NULL, long ones of a start tag given
 * as marks); a comment ends at "-->".  This only decides where runs
 * may be marked: where it is wrong, a mark lands somewhere the parser
 * does not pass on as the text or the value it stood for, which
 * sg_html_to_text sees, and the HTML is parsed again as it is. */
static size_t
sg_html_tag_end(const char *html, size_t len, size_t i,
                struct sg_html_leaner *l)
{
    size_t k = i + 1;
    if (k >= len)
        return len;
    char c = html[k];
    if (c == '!' && len - k >= 3 && memcmp(html + k, "!--", 3) == 0) {
        for (k += 3; k + 2 < len; k++)
            if (memcmp(html + k, "-->", 3) == 0)
                return k + 3;
        return len;
    }
    if (!g_ascii_isalpha(c) && c != '/' && c != '!' && c != '?')
        return i + 1;
    /* the element's name, for a start tag */
    size_t name = k, name_len = 0;
    if (g_ascii_isalpha(c))
        while (k + name_len < len && g_ascii_isalnum(html[k + name_len]))
            name_len++;
    /* in a declaration (<!DOCTYPE ... "id">) every quoted string is
     * skipped, as libxml2 reads it; in a tag, an attribute's value */
    bool decl = c == '!', eq = false;
    for (; k < len; k++) {
        c = html[k];
        if (c == '>')
            return k + 1;
        if ((c == '"' || c == '\'') && (eq || decl)) {
            const char *q = memchr(html + k + 1, c, len - k - 1);
            if (q == NULL)
                return len;
            size_t end = (size_t)(q - html);
            if (l != NULL && eq && name_len > 0 &&
                sg_html_value_ok(html, k + 1, end, html + name, name_len))
                sg_html_lean_mark(l, k + 1, end, true);
            k = end;
            eq = false;
        } else if (c == '=') {
            eq = true;
        } else if (!sg_html_is_space(c)) {
            eq = false;
        }
    }
    return len;
}

/* The HTML with each long run of text that follows a tag (up to the next
 * '<' or '&'), and each long quoted attribute value, given as one mark,
 * the runs in *runs.  libxml2 reads text and values a character at a
 * time through several calls (three quarters of its time on a
 * newsletter); a run that holds no markup is passed on as it is, so it
 * need not read it: the reduction puts the run back where its mark
 * comes out (sg_html_characters, sg_html_values_back).  Whitespace at
 * either end of a text run stays, so that the parser decides what is
 * blank as before. */
static int
sg_html_lean(const char *html, size_t len, struct sg_buf *lean,
             struct sg_html_run **runs, size_t *n_runs)
{
    struct sg_html_leaner l = {.html = html, .lean = lean};
    /* byte order marks at the start are the parser's to see first (it
     * drops the first, and a second when it sniffs the four bytes after
     * it), not the start of a run */
    size_t i = 0;
    while (len - i >= 3 && memcmp(html + i, "\xEF\xBB\xBF", 3) == 0)
        i += 3;
    bool after_tag = true;
    *runs = NULL;
    *n_runs = 0;
    /* lean is never longer than html (a mark is shorter than a run) */
    if (sg_buf_reserve(lean, len) < 0)
        return -1;
    while (i < len && l.err == 0) {
        const char *lt = memchr(html + i, '<', len - i);
        size_t end = lt != NULL ? (size_t)(lt - html) : len;
        if (after_tag && end > i) {
            const char *amp = memchr(html + i, '&', end - i);
            size_t stop = amp != NULL ? (size_t)(amp - html) : end;
            size_t a = i, b = stop;
            while (a < b && sg_html_is_space(html[a]))
                a++;
            while (b > a && sg_html_is_space(html[b - 1]))
                b--;
            if (b - a >= SG_HTML_RUN_MIN && sg_html_run_ok(html + a, b - a))
                sg_html_lean_mark(&l, a, b, false);
        }
        if (lt == NULL)
            break;
        size_t t = sg_html_tag_end(html, len, end, &l);
        after_tag = t > end + 1 || t == len;
        i = t;
    }
    sg_buf_append(lean, html + l.copied, len - l.copied);
    *runs = l.runs;
    *n_runs = l.n_runs;
    return l.err != 0 || sg_buf_failed(lean) ? -1 : 0;
}

/* libxml2's input for one parse: its own copy of the HTML, declared
 * UTF-8 (the same steps as htmlCtxtReadMemory and htmlDoRead otherwise),
 * with two things left out, for HTML that is valid UTF-8 without NUL
 * (sg_html_reduce_valid):
 * - The read callback.  htmlCtxtReadMemory's copy comes with one that
 *   has nothing to give, and every GROW of the parser's last 250 bytes
 *   called it, and the UTF-8 converter after it: 76 calls, an eighth of
 *   the parse of a newsletter's 2 KB part.  With none, GROW returns at
 *   once, as it does at the end of input anyway.
 * - The UTF-8 converter, which copied the copy once more.  UTF-8 is
 *   declared as libxml2 does for input that begins with a UTF-8 byte
 *   order mark, and the parser reads the copy itself.  libxml2 treats
 *   the two alike but after a byte that is not UTF-8 (with no converter
 *   it reads the rest as Latin-1), which valid UTF-8 has none of.
 * (libxml2's static input buffer would save the copy too, but 2.9's
 * SHRINK moves the parser's place in it back as if the bytes had moved,
 * so the end of a part over 500 bytes was read twice.)
 * 0, or -1 when libxml2 is out of memory. */
static int
sg_html_input(htmlParserCtxtPtr ctxt, const char *html, size_t len, int opts)
{
    htmlCtxtReset(ctxt);
    xmlParserInputBufferPtr buf =
        xmlParserInputBufferCreateMem(html, (int)len, XML_CHAR_ENCODING_NONE);
    if (buf == NULL)
        return -1;
    buf->readcallback = NULL;
    xmlParserInputPtr in = xmlNewIOInputStream(ctxt, buf,
                                               XML_CHAR_ENCODING_NONE);
    if (in == NULL) {
        xmlFreeParserInputBuffer(buf);
        return -1;
    }
    if (inputPush(ctxt, in) < 0) /* which frees in */
        return -1;
    htmlCtxtUseOptions(ctxt, opts);
    ctxt->html = 1;
    return xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8);
}

/* One parse of len bytes of html by libxml2, reduced into h. */
static void
sg_html_parse(struct sg_html *h, const char *html, size_t len, bool plain)
{
    /* the text is UTF-8 already: a <meta charset> must not re-decode it */
    const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                     HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                     HTML_PARSE_IGNORE_ENC;
    htmlParserCtxtPtr ctxt = htmlNewParserCtxt();
    if (ctxt == NULL)
        return;
    /* only what the reduction reads: no tree, no comments, no DTD */
    memset(ctxt->sax, 0, sizeof(*ctxt->sax));
    ctxt->sax->initialized = 1;
    ctxt->sax->startDocument = sg_html_start_document;
    ctxt->sax->startElement = sg_html_start;
    ctxt->sax->endElement = sg_html_end;
    ctxt->sax->characters = sg_html_characters;
    ctxt->sax->ignorableWhitespace = sg_html_characters;
    ctxt->sax->cdataBlock = sg_html_characters;
    ctxt->userData = h;
    htmlDocPtr doc = NULL;
    if (plain) { /* the tests' reference */
        doc = htmlCtxtReadMemory(ctxt, html, (int)len, NULL, "UTF-8", opts);
    } else if (sg_html_input(ctxt, html, len, opts) == 0) {
        htmlParseDocument(ctxt);
        doc = ctxt->myDoc;
        ctxt->myDoc = NULL;
    }
    if (doc != NULL) /* none is built: the SAX handler builds nothing */
        xmlFreeDoc(doc);
    htmlFreeParserCtxt(ctxt);
    g_free(h->link_href);
    h->link_href = NULL;
    sg_buf_free(&h->css);
    sg_buf_free(&h->values);
}

static void
sg_buf_cut(struct sg_buf *b, size_t len)
{
    if (b->len > len) {
        b->len = len;
        b->data[len] = '\0';
    }
}

/* UTF-8 HTML to text: script/style dropped, blocks on lines of their own,
 * link targets kept, <blockquote> lines marked '>'.  What it hides goes
 * to hidden, attribute values and CSS content strings to markup (see
 * html_places.h).  libxml2's recovering HTML parser (network off) reads
 * the HTML and hands on its elements and text as it goes (SAX), and they
 * are reduced as they come: no tree is built (building and freeing one
 * was two thirds of the cost of a large HTML part, a node and strings
 * for every element and word).  Long runs of text are given to the
 * parser as marks (sg_html_lean); when a mark turns up anywhere but in
 * the text, in turn, the HTML is parsed again as it is.  When libxml2
 * cannot parse at all the markup itself is kept, so nothing escapes the
 * detectors. */
static int
sg_html_reduce(const char *html, size_t len, struct sg_buf *out,
               struct sg_buf *hidden, struct sg_buf *markup, bool plain)
{
    sg_html_index_build();
    size_t out_len = out->len, hidden_len = hidden->len,
           markup_len = markup->len;
    struct sg_buf lean = SG_BUF_INIT;
    struct sg_html_run *runs = NULL;
    size_t n_runs = 0;
    /* the state of a parse: the marked one, then the plain one if need be */
    const struct sg_html fresh = {
        .out = out, .shown = out, .hidden = hidden, .markup = markup,
        .css = SG_BUF_INIT, .values = SG_BUF_INIT,
    };
    struct sg_html h;
    bool done = false;
    /* a mark in the HTML itself, or a reference that the parser turns
     * into one, would be taken for a run */
    if (!plain && sg_html_find_mark(html, len) == NULL &&
        !sg_html_refers_to_mark(html, len) &&
        sg_html_lean(html, len, &lean, &runs, &n_runs) < 0) {
        sg_buf_free(&lean);
        free(runs);
        return -1;
    }
    if (n_runs > 0 && lean.len <= INT32_MAX) {
        h = fresh;
        h.html = html;
        h.runs = runs;
        h.n_runs = n_runs;
        sg_html_parse(&h, lean.data, lean.len, false);
        done = h.started && h.err == 0 && !h.runs_bad &&
               h.next_run == n_runs;
        if (!done) { /* a mark went astray: as it is, then */
            sg_buf_cut(out, out_len);
            sg_buf_cut(hidden, hidden_len);
            sg_buf_cut(markup, markup_len);
        }
    }
    sg_buf_free(&lean);
    free(runs);
    if (!done) {
        h = fresh;
        sg_html_parse(&h, html, len, plain);
    }
    if (!h.started)
        return sg_buf_append(out, html, len);
    sg_trim_end(out);
    sg_trim_end(hidden);
    sg_trim_end(markup);
    return h.err;
}

/* The HTML is read as valid UTF-8 without NUL, whoever calls: libxml2's
 * recovery from a byte that is not (it goes on as if the rest were
 * Latin-1) would take the marks for three characters of their own and
 * lose what they stand for, and the input without a converter
 * (sg_html_input) is read as the converted one only while it is UTF-8.
 * The message view's text is valid already (sg_text_to_utf8), so this
 * checks and copies nothing there; anything else is read with each
 * invalid byte as U+FFFD. */
static int
sg_html_reduce_valid(const char *html, size_t len, struct sg_buf *out,
                     struct sg_buf *hidden, struct sg_buf *markup, bool plain)
{
    if (len == 0 || len > INT32_MAX)
        return sg_buf_append(out, html, len > INT32_MAX ? 0 : len);
    if (sg_utf8_valid(html, len))
        return sg_html_reduce(html, len, out, hidden, markup, plain);
    struct sg_buf valid = SG_BUF_INIT;
    int ret = sg_utf8_append_valid(&valid, html, len, SIZE_MAX);
    if (ret == 0) /* valid now: read as any valid HTML is */
        ret = sg_html_reduce_valid(valid.data, valid.len, out, hidden, markup,
                                   plain);
    sg_buf_free(&valid);
    return ret;
}

int
sg_html_to_text(const char *html, size_t len, struct sg_buf *out,
                struct sg_buf *hidden, struct sg_buf *markup)
{
    return sg_html_reduce_valid(html, len, out, hidden, markup, false);
}

int
sg_html_to_text_plain(const char *html, size_t len, struct sg_buf *out,
                      struct sg_buf *hidden, struct sg_buf *markup)
{
    return sg_html_reduce_valid(html, len, out, hidden, markup, true);
}
