/*
 * html_text.c - HTML reduced to the text a reader sees (see html_text.h):
 * script and style dropped, blocks on lines of their own, table rows as
 * lines with tab-separated cells, link targets kept, <blockquote> lines
 * marked '>'; what the HTML hides and its attribute values go to places
 * of their own (html_places.c).
 *
 * SECURITY: the HTML is the sender's.  It goes through libxml2's
 * recovering parser with network access off, never a hand-rolled tag
 * stripper, and the tree is walked without recursion (its depth is the
 * sender's).  The text only ever shortens the HTML, but for link targets
 * and attribute values, each its own bytes once or twice.
 *
 * Fails by returning -1 only when out of memory; never logs.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <glib.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "html_places.h"
#include "html_text.h"

/* ------------------------------------------------------------- HTML */

struct sg_html {
    struct sg_buf *out;
    bool space;         /* whitespace seen, not yet written */
    unsigned pre;       /* inside <pre> */
    size_t link_start;  /* offset where the current <a>'s text began */
    xmlNodePtr link;    /* the current <a>, NULL when none */
    unsigned cell;      /* inside a table cell (<td>, <th>), nested */
    unsigned row_cells; /* cells begun in the current row (<tr>) */
    bool cell_break;    /* a line break inside the cell, not yet written */
    int err;
    /* places beside the shown text (html_places.h): out is shown, or
     * hidden while inside hider, the outermost element that hides */
    struct sg_buf *shown, *hidden, *markup;
    xmlNodePtr hider;
    bool hider_space;   /* space pending in shown when hider began */
    unsigned quote;     /* inside <blockquote>: lines start with '>' */
};

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
sg_html_kind(const xmlNode *n)
{
    const char *name = (const char *)n->name;
    if (name[0] < 'a' || name[0] > 'z')
        return 0;
    size_t len = strnlen(name, SG_HTML_NAME_MAX + 1);
    if (len > SG_HTML_NAME_MAX)
        return 0;
    const unsigned char *slot = sg_html_index[name[0] - 'a'][len];
    for (size_t k = 0; k < 8 && slot[k] != 0; k++)
        if (memcmp(sg_html_names[slot[k] - 1].name, name, len) == 0)
            return sg_html_names[slot[k] - 1].kind;
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
#define SG_HTML_SPACES " \t\r\n\f"

/* Text with runs of whitespace collapsed to one space (kept inside <pre>). */
static void
sg_html_text(struct sg_html *h, const char *s)
{
    if (h->pre > 0) {
        sg_html_pending_space(h);
        sg_html_put(h, s, strlen(s));
        return;
    }
    size_t ws = strspn(s, SG_HTML_SPACES);
    if (ws > 0) {
        h->space = true;
        s += ws;
    }
    if (*s == '\0')
        return;
    /* the first word as any text is put (a pending space or line break,
     * a quote's '>' at the start of a line) */
    size_t run = strcspn(s, SG_HTML_SPACES);
    sg_html_pending_space(h);
    sg_html_put(h, s, run);
    s += run;
    /* then the rest of the node, up to its last word, has each run of
     * whitespace made one space: the same as putting it word by word,
     * as no line starts inside it; whitespace after the last word is
     * left pending */
    size_t len = strlen(s), end = len;
    while (end > 0 && strchr(SG_HTML_SPACES, s[end - 1]) != NULL)
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
    for (size_t i = 0; i < end; i++) {
        char c = s[i];
        bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
                     c == '\f';
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
sg_html_link_end(struct sg_html *h, xmlNodePtr a)
{
    xmlChar *href = xmlGetProp(a, (const xmlChar *)"href");
    if (href == NULL)
        return;
    char *target = g_strstrip((char *)href);
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
    xmlFree(href);
}

/* Returns whether to descend into the node's children. */
static bool
sg_html_enter(struct sg_html *h, xmlNodePtr n)
{
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        if (n->content != NULL)
            sg_html_text(h, (const char *)n->content);
        return false;
    }
    if (n->type != XML_ELEMENT_NODE || n->name == NULL)
        return false;
    unsigned kind = sg_html_kind(n);
    if (sg_html_markup(n, h->markup) < 0)
        h->err = -1;
    if ((kind & SG_HTML_HEAD) != 0) /* its <style>s */
        for (xmlNodePtr c = n->children; c != NULL; c = c->next)
            if (c->type == XML_ELEMENT_NODE && c->name != NULL &&
                sg_html_markup(c, h->markup) < 0)
                h->err = -1;
    if ((kind & SG_HTML_SKIPPED) != 0)
        return false;
    if (h->hider == NULL && sg_html_hides(n)) {
        h->hider = n;
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
    if ((kind & SG_HTML_A) != 0 && h->link == NULL) {
        sg_html_pending_space(h);
        h->link = n;
        h->link_start = h->out->len;
    }
    return true;
}

static void
sg_html_leave(struct sg_html *h, xmlNodePtr n)
{
    if (n->type != XML_ELEMENT_NODE || n->name == NULL)
        return;
    if (n == h->link) {
        sg_html_link_end(h, n);
        h->link = NULL;
    }
    unsigned kind = sg_html_kind(n);
    if ((kind & SG_HTML_PRE) != 0 && h->pre > 0)
        h->pre--;
    if (!sg_html_table(h, kind, false) && (kind & SG_HTML_BLOCK) != 0)
        sg_html_newline(h);
    if ((kind & SG_HTML_BLOCKQUOTE) != 0 && h->quote > 0)
        h->quote--;
    if (n == h->hider) {
        sg_html_newline(h);
        h->hider = NULL;
        h->out = h->shown;
        h->space = h->hider_space;
    }
}

/* Depth-first walk without recursion: the tree's depth is the sender's. */
static void
sg_html_walk(struct sg_html *h, xmlDocPtr doc)
{
    xmlNodePtr n = doc->children;
    while (n != NULL && h->err == 0) {
        if (sg_html_enter(h, n) && n->children != NULL) {
            n = n->children;
            continue;
        }
        sg_html_leave(h, n);
        while (n->next == NULL) {
            n = n->parent;
            if (n == NULL || n == (xmlNodePtr)doc)
                return;
            sg_html_leave(h, n);
        }
        n = n->next;
    }
}

static void
sg_trim_end(struct sg_buf *b)
{
    while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
                          b->data[b->len - 1] == ' '))
        b->data[--b->len] = '\0';
}

/* UTF-8 HTML to text: script/style dropped, blocks on lines of their own,
 * link targets kept, <blockquote> lines marked '>'.  What it hides goes
 * to hidden, attribute values and CSS content strings to markup (see
 * html_places.h).  When libxml2 gives no document the markup itself is
 * kept, so nothing escapes the detectors. */
int
sg_html_to_text(const char *html, size_t len, struct sg_buf *out,
                struct sg_buf *hidden, struct sg_buf *markup)
{
    /* the text is UTF-8 already: a <meta charset> must not re-decode it */
    const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                     HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                     HTML_PARSE_IGNORE_ENC;
    if (len == 0 || len > INT32_MAX)
        return sg_buf_append(out, html, len > INT32_MAX ? 0 : len);
    sg_html_index_build();
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8", opts);
    if (doc == NULL)
        return sg_buf_append(out, html, len);
    struct sg_html h = {out, false,  0,      0,    NULL,  0, 0, false,
                        0,   out,    hidden, markup, NULL, false, 0};
    sg_html_walk(&h, doc);
    xmlFreeDoc(doc);
    sg_trim_end(out);
    sg_trim_end(hidden);
    sg_trim_end(markup);
    return h.err;
}
