/*
 * web_html.c - HTML for the review page: escaping, the page frame and
 * its style sheet.
 *
 * SECURITY: sg_web_text is the only way text reaches a page.  It first makes
 * the text safe to read (sg_safe_text: control characters,
 * bidirectional overrides and invalid UTF-8 become visible escapes), then
 * escapes & < > " ' so that nothing can open an element or leave an
 * attribute.  Pages contain no script; the style sheet is served from
 * this server (the Content-Security-Policy allows nothing else).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "review_int.h"
#include "web_int.h"

static void
escape(struct sg_buf *b, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        sg_buf_append(b, s + start, i - start);
        sg_buf_puts(b, rep);
        start = i + 1;
    }
    sg_buf_append(b, s + start, len - start);
}

void
sg_web_textn(struct sg_buf *b, const char *s, size_t len)
{
    if (s == NULL)
        return;
    struct sg_buf safe = SG_BUF_INIT;
    if (sg_safe_text(&safe, s, len, true) < 0)
        sg_buf_fail(b); /* never a page with the text left out */
    else if (safe.data != NULL)
        escape(b, safe.data, safe.len);
    sg_buf_free(&safe);
}

void
sg_web_text(struct sg_buf *b, const char *s)
{
    if (s != NULL)
        sg_web_textn(b, s, strlen(s));
}

static int
put_html(struct sg_buf *b, const char *s, size_t len)
{
    sg_web_textn(b, s, len);
    return 0;
}

const struct sg_finding_style sg_web_finding_style = {put_html, NULL, "<mark>",
                                                      "</mark>"};

void
sg_web_marked(struct sg_buf *b, const char *text, size_t len,
              const struct sg_store_finding *f, size_t nf)
{
    struct sg_span *spans = NULL;
    size_t n = 0;
    const char *err;
    if (sg_review_find_marks(text, len, f, nf, &spans, &n, &err) < 0)
        n = 0; /* shown unmarked rather than not at all */
    sg_findings_mark(b, text, len, spans, n, &sg_web_finding_style);
    free(spans);
}

void
sg_web_person(struct sg_buf *b, const char *name, const char *address)
{
    if (name != NULL && *name != '\0') {
        sg_buf_puts(b, "<span class=\"name\">");
        sg_web_text(b, name);
        sg_buf_puts(b, "</span> <small class=\"addr\">");
        sg_web_text(b, address);
        sg_buf_puts(b, "</small>");
    } else if (address != NULL && *address != '\0') {
        sg_buf_puts(b, "<span class=\"addr\">");
        sg_web_text(b, address);
        sg_buf_puts(b, "</span>");
    } else {
        sg_buf_puts(b, "(no sender address)");
    }
}

void
sg_web_lines(struct sg_buf *b, const char *text, const char *tag)
{
    for (const char *p = text; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) : strlen(p);
        sg_buf_printf(b, "<%s>", tag);
        sg_web_textn(b, p, len);
        sg_buf_printf(b, "</%s>", tag);
        p = nl != NULL ? nl + 1 : p + len;
    }
}

void
sg_web_urlenc(struct sg_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
            sg_buf_putc(b, (char)*p);
        } else {
            sg_buf_putc(b, '%');
            sg_buf_putc(b, hex[*p >> 4]);
            sg_buf_putc(b, hex[*p & 15]);
        }
    }
}

void
sg_web_csrf_field(struct sg_buf *b, const char *token)
{
    sg_buf_puts(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    sg_web_text(b, token);
    sg_buf_puts(b, "\">");
}

void
sg_web_time(const struct sg_web *w, struct sg_buf *b, time_t t)
{
    char buf[64];
    sg_tz_format(w->o.tz, t, SG_TIME_SHORT, buf, sizeof(buf));
    sg_buf_puts(b, buf);
}

void
sg_web_page_start(const struct sg_web *w, struct sg_buf *b, const char *title,
                  const struct web_session *s)
{
    sg_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en-GB\"><head>"
                   "<meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width, "
                   "initial-scale=1\">"
                   "<meta name=\"referrer\" content=\"no-referrer\">"
                   "<link rel=\"stylesheet\" href=\"/style.css\"><title>");
    sg_web_text(b, title);
    sg_buf_puts(b, " - Held mail review</title></head>\n<body>"
                   "<header><a class=\"brand\" href=\"/queue\">Held mail "
                   "review</a>");
    if (w->o.school != NULL && *w->o.school != '\0') {
        sg_buf_puts(b, " <span class=\"school\">");
        sg_web_text(b, w->o.school);
        sg_buf_puts(b, "</span>");
    }
    /* what a DSL looks for besides the queue: the report for governors,
     * the policy's changes and the concern export (signed in only: the
     * sign-in page leads nowhere else) */
    if (s != NULL)
        sg_buf_puts(b, "<nav class=\"site\"><a href=\"/report\">Report</a> "
                       "<a href=\"/policy\">Policy</a> "
                       "<a href=\"/concerns\">Concerns</a></nav>");
    if (s != NULL) {
        sg_buf_puts(b, "<form class=\"logout\" method=\"post\" "
                       "action=\"/logout\"><span id=\"who\">Signed in as ");
        sg_web_text(b, s->user);
        sg_buf_puts(b, "</span> ");
        sg_web_csrf_field(b, s->csrf);
        sg_buf_puts(b, "<button type=\"submit\">Sign out</button></form>");
    }
    sg_buf_puts(b, "</header>\n<main>\n");
}

void
sg_web_page_end(const struct sg_web *w, struct sg_buf *b)
{
    sg_buf_puts(b, "</main>\n<footer>Every view and decision on this page is "
                   "recorded in the safeguarding audit log.");
    if (w->o.tz != NULL && w->o.tz_name != NULL) {
        sg_buf_puts(b, " Times are ");
        sg_web_text(b, w->o.tz_name);
        sg_buf_puts(b, " time.");
    }
    sg_buf_puts(b, "</footer>\n</body></html>\n");
}

/* The page fits a 1280-pixel window and a 390-pixel phone without
 * scrolling sideways: long addresses and words break where they must
 * (overflow-wrap: anywhere), and under 48em the queue's and the history's
 * rows become cards, each cell labelled from its data-label. */
const char sg_web_css[] =
    "body{font:16px/1.45 system-ui,sans-serif;margin:0;color:#1b1b1b;"
    "background:#f6f6f3;overflow-wrap:anywhere}\n"
    "header{background:#23395b;color:#fff;padding:.6em 1em;display:flex;"
    "gap:1em;align-items:center;flex-wrap:wrap}\n"
    "header a.brand{color:#fff;font-weight:bold;text-decoration:none}\n"
    "header .school{opacity:.85}\n"
    "header nav.site{display:flex;gap:.8em;flex-wrap:wrap}"
    "header nav.site a{color:#fff}\n"
    "header form.logout{margin-left:auto}\n"
    "main{max-width:80rem;margin:1em auto;padding:0 1em}\n"
    "footer{max-width:80rem;margin:2em auto;padding:0 1rem;color:#555;"
    "font-size:.85em}\n"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}"
    "h3{font-size:1.05em}\n"
    "table{border-collapse:collapse;width:100%;background:#fff}\n"
    "th,td{border:1px solid #ccd;padding:.35em .5em;text-align:left;"
    "vertical-align:top}\n"
    "th{background:#e8ecf2;overflow-wrap:normal}\n"
    "small.addr,small.ref{color:#555}\n"
    "ul.titles{margin:0;padding-left:1.1em}\n"
    ".sla{display:inline-block;margin-top:.2em;padding:0 .3em}"
    ".sla-ok{background:#e3f4e1}.sla-soon{background:#fff4cc}"
    ".sla-late{background:#f9d6d5;font-weight:bold}\n"
    /* a sender asked for release (web_request.c) */
    ".requested{display:inline-block;padding:0 .3em;background:#fff4cc;"
    "font-weight:bold}\n"
    "nav.tabs a{margin-right:1em;display:inline-block}"
    "nav.tabs a.on{font-weight:bold}\n"
    "pre.msg{white-space:pre-wrap;overflow-wrap:anywhere;background:#fff;"
    "border:1px solid #ccd;padding:.8em;max-height:40em;overflow:auto}\n"
    "#headers{margin-bottom:1em}#headers th{width:6em;font-weight:normal}\n"
    "details.policy{margin:.4em 0 1em}"
    "details.policy summary{cursor:pointer;color:#23395b}\n"
    "mark{background:#ffd54f;outline:1px solid #c77800}\n"
    ".notice{padding:.6em 1em;border-left:5px solid #23395b;"
    "background:#e8ecf2}\n"
    ".error{padding:.6em 1em;border-left:5px solid #b00020;"
    "background:#fbe9eb}\n"
    ".decide{display:grid;grid-template-columns:repeat(auto-fit,"
    "minmax(15em,1fr));gap:1em}\n"
    ".decide form{background:#fff;border:1px solid #ccd;padding:.8em}\n"
    ".decide label{display:block;margin-top:.5em}\n"
    "textarea{width:100%;box-sizing:border-box;min-height:4em;font:inherit}\n"
    "button{font:inherit;padding:.3em .9em;cursor:pointer}\n"
    "dl.facts{display:grid;grid-template-columns:9em 1fr;gap:.2em 1em}\n"
    "dl.facts dt{font-weight:bold}dl.facts dd{margin:0;min-width:0}\n"
    "form.login{max-width:22em;background:#fff;border:1px solid #ccd;"
    "padding:1em}\n"
    "form.login label{display:block;margin-top:.6em}\n"
    "form.login input{width:100%;box-sizing:border-box;font:inherit}\n"
    "@media (max-width:48em){"
    "#queue thead,#history tr.head{display:none}"
    "#queue,#queue tbody,#history,#history tbody{display:block}"
    "#queue tr,#history tr{display:block;border:1px solid #ccd;"
    "margin-bottom:.8em;background:#fff}"
    "#queue td,#history td{display:block;border:0;padding:.15em .6em}"
    "#queue td::before,#history td::before{content:attr(data-label);"
    "display:block;font-size:.8em;font-weight:bold;color:#555}"
    "dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4em}"
    "header form.logout{margin-left:0}}\n"
    /* the concern export's preview (web_report.c), cards on a phone too */
    "@media (max-width:48em){table.concerns thead{display:none}"
    "table.concerns,table.concerns tbody,table.concerns tr,"
    "table.concerns td{display:block}"
    "table.concerns tr{border:1px solid #ccd;margin-bottom:.8em}"
    "table.concerns td{border:0;padding:.15em .6em}"
    "table.concerns td::before{content:attr(data-label);display:block;"
    "font-size:.8em;font-weight:bold;color:#555}}\n";
