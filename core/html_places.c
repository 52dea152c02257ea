/*
 * html_places.c - text that HTML carries besides what it shows (see
 * html_places.h).
 *
 * SECURITY: the HTML is the sender's, parsed by libxml2 (network off)
 * before it gets here; these functions only read the attributes and
 * text the parser hands on.  Each is
 * linear in what it reads and writes at most what it reads (an escape
 * gives at most 4 bytes for its 2 or more), so a hostile message cannot
 * make the text grow out of bounds.  Code points that are not valid
 * (surrogates, past U+10FFFF, NUL) become U+FFFD.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html_places.h"

/* style with its blanks taken out, lower case, in place: all of it, so
 * that no length of padding puts a declaration out of sight. */
static void
sg_style_squeeze(char *style)
{
    size_t k = 0;
    for (const char *p = style; *p != '\0'; p++)
        if (!isspace((unsigned char)*p))
            style[k++] = (char)tolower((unsigned char)*p);
    style[k] = '\0';
}

/* name:0 as a whole value ("0", "0px", "0.0em"; not "0.5em"). */
static bool
sg_style_zero(const char *style, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(style, name); p != NULL;
         p = strstr(p + 1, name)) {
        if (p != style && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
            continue;
        const char *v = p + n;
        if (*v != '0')
            continue;
        while (*v == '0' || *v == '.')
            v++;
        if (!isdigit((unsigned char)*v))
            return true;
    }
    return false;
}

const xmlChar *
sg_html_attr(const xmlChar **atts, const char *name, bool *present)
{
    *present = false;
    for (size_t i = 0; atts != NULL && atts[i] != NULL; i += 2)
        if (strcmp((const char *)atts[i], name) == 0) {
            *present = true;
            return atts[i + 1];
        }
    return NULL;
}

bool
sg_html_hides(const xmlChar **atts)
{
    bool present;
    sg_html_attr(atts, "hidden", &present);
    if (present)
        return true;
    const xmlChar *value = sg_html_attr(atts, "style", &present);
    if (value == NULL)
        return false;
    char *buf = strdup((const char *)value);
    if (buf == NULL) /* out of memory: shown, so nothing is lost */
        return false;
    sg_style_squeeze(buf);
    bool hides = strstr(buf, "display:none") != NULL ||
                 strstr(buf, "visibility:hidden") != NULL ||
                 strstr(buf, "mso-hide:all") != NULL ||
                 strstr(buf, "color:transparent") != NULL ||
                 sg_style_zero(buf, "font-size:") ||
                 sg_style_zero(buf, "opacity:") ||
                 /* a box of no size that clips what it holds */
                 (strstr(buf, "overflow:hidden") != NULL &&
                  (sg_style_zero(buf, "height:") ||
                   sg_style_zero(buf, "max-height:") ||
                   sg_style_zero(buf, "width:") ||
                   sg_style_zero(buf, "max-width:")));
    free(buf);
    return hides;
}

static int
sg_put_cp(struct sg_buf *out, unsigned long cp)
{
    char u[4];
    size_t n;
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return sg_buf_append(out, u, n);
}

/* One CSS string starting at its quote css[*i]; *i is left after it. */
static int
sg_css_string(const char *css, size_t len, size_t *i, struct sg_buf *out)
{
    char quote = css[(*i)++];
    while (*i < len && css[*i] != quote && css[*i] != '\n') {
        if (css[*i] != '\\') {
            sg_buf_putc(out, css[(*i)++]);
            continue;
        }
        (*i)++;
        if (*i >= len)
            break;
        if (isxdigit((unsigned char)css[*i])) {
            unsigned long cp = 0;
            for (int k = 0; k < 6 && *i < len &&
                            isxdigit((unsigned char)css[*i]); k++, (*i)++)
                cp = cp * 16 + (unsigned long)(isdigit((unsigned char)css[*i])
                                   ? css[*i] - '0'
                                   : tolower((unsigned char)css[*i]) - 'a' + 10);
            if (*i < len && isspace((unsigned char)css[*i]))
                (*i)++; /* the space that ends an escape */
            sg_put_cp(out, cp);
        } else if (css[*i] != '\n') {
            sg_buf_putc(out, css[(*i)++]);
        }
    }
    if (*i < len && css[*i] == quote)
        (*i)++;
    return sg_buf_failed(out) ? -1 : 0;
}

int
sg_css_content(const char *css, size_t len, struct sg_buf *out)
{
    for (size_t i = 0; i + 7 <= len; i++) {
        /* 'c' or 'C' first: a call at every byte was most of a short
         * <style>'s cost */
        if ((css[i] | 0x20) != 'c' || strncasecmp(css + i, "content", 7) != 0 ||
            (i > 0 && (isalnum((unsigned char)css[i - 1]) ||
                       css[i - 1] == '-')))
            continue;
        size_t k = i + 7;
        while (k < len && isspace((unsigned char)css[k]))
            k++;
        if (k >= len || css[k] != ':')
            continue;
        k++;
        bool any = false;
        for (;;) {
            while (k < len && isspace((unsigned char)css[k]))
                k++;
            if (k >= len || (css[k] != '"' && css[k] != '\''))
                break;
            if (sg_css_string(css, len, &k, out) < 0)
                return -1;
            any = true;
        }
        if (any && sg_buf_putc(out, '\n') < 0)
            return -1;
        i = k > i ? k - 1 : i;
    }
    return 0;
}

/* value with %XX undone (not %00), on a line of its own.  The runs
 * between a '%' and a line break are copied whole (a byte at a time, a
 * link target of a newsletter cost a thousand instructions). */
static int
sg_put_unescaped(struct sg_buf *out, const char *value)
{
    const char *p = value;
    while (*p != '\0') {
        size_t run = strcspn(p, "%\n\r");
        sg_buf_append(out, p, run);
        p += run;
        if (*p == '\0')
            break;
        char c = *p++;
        if (c == '%') {
            if (!isxdigit((unsigned char)p[0]) ||
                !isxdigit((unsigned char)p[1])) {
                sg_buf_putc(out, c);
                continue;
            }
            char hex[3] = {p[0], p[1], '\0'};
            c = (char)strtol(hex, NULL, 16);
            p += 2;
            if (c == '\0')
                continue;
        }
        sg_buf_putc(out, c == '\n' || c == '\r' ? ' ' : c);
    }
    return sg_buf_putc(out, '\n');
}

int
sg_html_markup(const xmlChar **atts, struct sg_buf *out)
{
    static const char *const attrs[] = {
        "alt", "title", "value", "placeholder", "aria-label", "label",
        "summary", "abbr", "href", "data-content", NULL
    };
    for (size_t i = 0; atts != NULL && atts[i] != NULL; i += 2) {
        const char *name = (const char *)atts[i];
        const char *v = (const char *)atts[i + 1];
        if (v == NULL)
            continue;
        bool style = strcasecmp(name, "style") == 0, wanted = false;
        /* most attributes (class, width, src...) share no first letter
         * with any wanted one */
        char first = (char)tolower((unsigned char)name[0]);
        for (size_t k = 0; attrs[k] != NULL && !wanted; k++)
            wanted = attrs[k][0] == first && strcasecmp(name, attrs[k]) == 0;
        if (!wanted && !style)
            continue;
        int r = 0;
        if (style)
            r = sg_css_content(v, strlen(v), out);
        else if (*v != '\0')
            r = sg_put_unescaped(out, v);
        if (r < 0)
            return -1;
    }
    return 0;
}
