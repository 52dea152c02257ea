/*
 * rules_parse.c - lexer and parser for the rules language
 * (safeguard-rules(5)), and loading/freeing a rule set.
 *
 * SECURITY: the rules file is written by the mail admin (trusted), but it
 * is still parsed defensively: every token is bounded by the input, include
 * depth is limited, and nothing from the file is executed.  Patterns are
 * compiled here, once, never at evaluation time.
 * Fails by returning -1 with "FILE:LINE:COL: expected ..., found ..." in the
 * thread-local error buffer; a half-built rule set is freed, never returned.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_int.h"

#define MAX_FILE_SIZE (4u * 1024 * 1024)

static _Thread_local char errbuf[1024];

const char *
sg_rules_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    return errbuf;
}

const char *
sg_rules_lasterror(void)
{
    return errbuf;
}

/* ------------------------------------------------------------ strv */
int
strv_add(struct strv *s, const char *value)
{
    return sg_strv_push(&s->v, &s->n, value);
}

void
strv_clear(struct strv *s)
{
    sg_strv_free(&s->v, &s->n);
}

bool
strv_has_ci(const struct strv *s, const char *value)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcasecmp(s->v[i], value) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------ lexer */
enum tok {
    T_EOF,
    T_WORD,
    T_STRING,
    T_LBRACE,
    T_RBRACE,
    T_COMMA,
    T_LISTREF,
    T_OP,
};

struct token {
    enum tok type;
    const char *start; /* in the input */
    size_t len;
    unsigned line, col;
    char *str; /* T_STRING: decoded; T_WORD/T_LISTREF/T_OP: copy */
};

struct parser {
    struct sg_rules *rules;
    const char *name; /* file name for messages */
    const char *dir;  /* directory for includes */
    const char *p, *end;
    unsigned line, col;
    unsigned depth, max_depth;
    struct token tok;
    const char *err; /* set on failure */
};

static int
is_word_char(unsigned char c)
{
    return isalnum(c) || c == '_' || c == '-' || c == '.' || c == '*' ||
           c == '/' || c == '+' || c == ':';
}

static void
advance(struct parser *ps)
{
    if (*ps->p == '\n') {
        ps->line++;
        ps->col = 1;
    } else {
        ps->col++;
    }
    ps->p++;
}

static const char *
tok_desc(const struct token *t, char *buf, size_t sz)
{
    switch (t->type) {
    case T_EOF:
        return "end of file";
    case T_STRING:
        return "a string";
    case T_LBRACE:
        return "'{'";
    case T_RBRACE:
        return "'}'";
    case T_COMMA:
        return "','";
    default:
        snprintf(buf, sz, "'%.*s'", (int)(t->len > 40 ? 40 : t->len),
                 t->start);
        return buf;
    }
}

static int
fail_at(struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail_at(struct parser *ps, unsigned line, unsigned col, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ps->err = sg_rules_errorf("%s:%u:%u: %s", ps->name, line, col, msg);
    return -1;
}

/* "expected WHAT, found <current token>" at the current token. */
static int
expected(struct parser *ps, const char *what)
{
    char buf[64];
    return fail_at(ps, ps->tok.line, ps->tok.col, "expected %s, found %s",
                   what, tok_desc(&ps->tok, buf, sizeof(buf)));
}

static int
lex(struct parser *ps)
{
    struct token *t = &ps->tok;
    free(t->str);
    memset(t, 0, sizeof(*t));
    for (;;) {
        while (ps->p < ps->end && isspace((unsigned char)*ps->p))
            advance(ps);
        if (ps->p < ps->end && *ps->p == '#') {
            while (ps->p < ps->end && *ps->p != '\n')
                advance(ps);
            continue;
        }
        break;
    }
    t->line = ps->line;
    t->col = ps->col;
    t->start = ps->p;
    if (ps->p >= ps->end) {
        t->type = T_EOF;
        return 0;
    }
    unsigned char c = (unsigned char)*ps->p;
    if (c == '\0')
        return fail_at(ps, t->line, t->col, "unexpected NUL byte");
    if (c == '{' || c == '}' || c == ',') {
        t->type = c == '{' ? T_LBRACE : c == '}' ? T_RBRACE : T_COMMA;
        advance(ps);
        t->len = 1;
        return 0;
    }
    if (c == '"' || c == '\'') {
        struct sg_buf b = SG_BUF_INIT;
        char q = (char)c;
        advance(ps);
        for (;;) {
            if (ps->p >= ps->end || *ps->p == '\n') {
                sg_buf_free(&b);
                return fail_at(ps, t->line, t->col,
                               "expected the closing %c of the string "
                               "(strings end on the same line)",
                               q);
            }
            char ch = *ps->p;
            if (ch == q) {
                advance(ps);
                break;
            }
            if (ch == '\0') {
                sg_buf_free(&b);
                return fail_at(ps, ps->line, ps->col,
                               "unexpected NUL byte in a string");
            }
            if (q == '"' && ch == '\\') {
                unsigned l = ps->line, co = ps->col;
                advance(ps);
                if (ps->p >= ps->end) {
                    sg_buf_free(&b);
                    return fail_at(ps, l, co,
                                   "expected a character after '\\'");
                }
                char e = *ps->p;
                switch (e) {
                case 'n':
                    ch = '\n';
                    break;
                case 't':
                    ch = '\t';
                    break;
                case '\\':
                case '"':
                    ch = e;
                    break;
                default:
                    sg_buf_free(&b);
                    return fail_at(ps, l, co,
                                   "expected \\n, \\t, \\\\ or \\\" in a "
                                   "string (use '...' for patterns)");
                }
            }
            if (sg_buf_putc(&b, ch) < 0) {
                sg_buf_free(&b);
                return fail_at(ps, t->line, t->col, "out of memory");
            }
            advance(ps);
        }
        t->type = T_STRING;
        t->len = (size_t)(ps->p - t->start);
        t->str = sg_buf_steal(&b);
        if (t->str == NULL)
            return fail_at(ps, t->line, t->col, "out of memory");
        return 0;
    }
    if (c == '@') {
        advance(ps);
        while (ps->p < ps->end && is_word_char((unsigned char)*ps->p))
            advance(ps);
        t->type = T_LISTREF;
        t->len = (size_t)(ps->p - t->start);
        if (t->len == 1)
            return fail_at(ps, t->line, t->col,
                           "expected a list name after '@'");
    } else if (c == '<' || c == '>' || c == '=' || c == '!') {
        advance(ps);
        if (ps->p < ps->end && *ps->p == '=')
            advance(ps);
        t->type = T_OP;
        t->len = (size_t)(ps->p - t->start);
        if (t->len == 1 && c == '!')
            return fail_at(ps, t->line, t->col, "expected '!='");
    } else if (is_word_char(c)) {
        while (ps->p < ps->end && is_word_char((unsigned char)*ps->p))
            advance(ps);
        t->type = T_WORD;
        t->len = (size_t)(ps->p - t->start);
    } else {
        char shown[8];
        if (isprint(c))
            snprintf(shown, sizeof(shown), "'%c'", c);
        else
            snprintf(shown, sizeof(shown), "0x%02x", c);
        return fail_at(ps, t->line, t->col, "unexpected character %s",
                       shown);
    }
    t->str = strndup(t->start, t->len);
    if (t->str == NULL)
        return fail_at(ps, t->line, t->col, "out of memory");
    return 0;
}

static bool
is_word(const struct parser *ps, const char *w)
{
    return ps->tok.type == T_WORD && strcmp(ps->tok.str, w) == 0;
}

/* Take the current token's string, lex the next. */
static char *
take(struct parser *ps)
{
    char *s = ps->tok.str;
    ps->tok.str = NULL;
    if (lex(ps) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* ------------------------------------------------------------ helpers */
static struct list *
list_find(const struct sg_rules *rules, const char *name)
{
    for (size_t i = 0; i < rules->n_lists; i++)
        if (strcmp(rules->lists[i].name, name) == 0)
            return &rules->lists[i];
    return NULL;
}

size_t
rules_detector_find(const struct sg_rules *rules, const char *name)
{
    for (size_t i = 0; i < rules->n_detectors; i++)
        if (strcmp(rules->detectors[i].name, name) == 0)
            return i;
    return (size_t)-1;
}

static bool
valid_name(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return false;
    return true;
}

/* NAME: a word made of letters, digits, '-' and '_', starting with a
 * letter. */
static char *
expect_name(struct parser *ps, const char *what)
{
    if (ps->tok.type != T_WORD || !valid_name(ps->tok.str)) {
        expected(ps, what);
        return NULL;
    }
    return take(ps);
}

/* One or more adjacent strings, concatenated. */
static char *
expect_text(struct parser *ps, const char *what)
{
    if (ps->tok.type != T_STRING) {
        expected(ps, what);
        return NULL;
    }
    struct sg_buf b = SG_BUF_INIT;
    while (ps->tok.type == T_STRING) {
        if (sg_buf_puts(&b, ps->tok.str) < 0) {
            sg_buf_free(&b);
            fail_at(ps, ps->tok.line, ps->tok.col, "out of memory");
            return NULL;
        }
        if (lex(ps) < 0) {
            sg_buf_free(&b);
            return NULL;
        }
    }
    char *s = sg_buf_steal(&b);
    if (s == NULL)
        fail_at(ps, ps->tok.line, ps->tok.col, "out of memory");
    return s;
}

/* A comma-separated list of words, strings and @lists; each item goes to
 * cb.  Returns 0 or -1. */
typedef int item_fn(struct parser *ps, void *ctx, const char *item,
                    unsigned line, unsigned col, bool quoted);

static int
parse_items(struct parser *ps, const char *what, item_fn *cb, void *ctx)
{
    for (;;) {
        unsigned line = ps->tok.line, col = ps->tok.col;
        if (ps->tok.type == T_LISTREF) {
            const struct list *l = list_find(ps->rules, ps->tok.str + 1);
            if (l == NULL)
                return fail_at(ps, line, col,
                               "expected a list defined earlier, found "
                               "unknown list '%s'",
                               ps->tok.str + 1);
            for (size_t i = 0; i < l->items.n; i++)
                if (cb(ps, ctx, l->items.v[i], line, col, true) < 0)
                    return -1;
        } else if (ps->tok.type == T_WORD || ps->tok.type == T_STRING) {
            if (cb(ps, ctx, ps->tok.str, line, col,
                   ps->tok.type == T_STRING) < 0)
                return -1;
        } else {
            return expected(ps, what);
        }
        if (lex(ps) < 0)
            return -1;
        if (ps->tok.type != T_COMMA)
            return 0;
        if (lex(ps) < 0)
            return -1;
    }
}

static int
add_string_item(struct parser *ps, void *ctx, const char *item,
                unsigned line, unsigned col, bool quoted)
{
    (void)quoted;
    if (strv_add(ctx, item) < 0)
        return fail_at(ps, line, col, "out of memory");
    return 0;
}

/* ------------------------------------------------------------ compile */
pcre2_code *
rules_compile(const char *pattern, bool caseless, const char **error_r)
{
    int ec;
    PCRE2_SIZE eo;
    uint32_t flags = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
    if (caseless)
        flags |= PCRE2_CASELESS;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   flags, &ec, &eo, NULL);
    if (re == NULL) {
        char msg[256];
        pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
        *error_r = sg_rules_errorf("%s at offset %zu of the pattern", msg,
                                   (size_t)eo);
        return NULL;
    }
    /* JIT where the platform has it; the interpreter otherwise.  Building
     * with -DSG_RULES_NO_JIT leaves it out, for valgrind, which cannot see
     * into JIT code and reports its reads as uninitialised. */
#ifndef SG_RULES_NO_JIT
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
#endif
    return re;
}

/* ------------------------------------------------------------ lists */
static int
parse_list(struct parser *ps)
{
    unsigned line = ps->tok.line, col = ps->tok.col;
    if (lex(ps) < 0)
        return -1;
    char *name = expect_name(ps, "a list name");
    if (name == NULL)
        return -1;
    if (list_find(ps->rules, name) != NULL) {
        int r = fail_at(ps, line, col, "list '%s' is already defined", name);
        free(name);
        return r;
    }
    struct list *grown = realloc(ps->rules->lists,
                                 (ps->rules->n_lists + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(name);
        return fail_at(ps, line, col, "out of memory");
    }
    ps->rules->lists = grown;
    struct list *l = &grown[ps->rules->n_lists++];
    memset(l, 0, sizeof(*l));
    l->name = name;
    if (ps->tok.type != T_LBRACE)
        return expected(ps, "'{' after the list name");
    if (lex(ps) < 0)
        return -1;
    while (ps->tok.type != T_RBRACE) {
        if (ps->tok.type == T_WORD || ps->tok.type == T_STRING) {
            if (strv_add(&l->items, ps->tok.str) < 0)
                return fail_at(ps, line, col, "out of memory");
        } else if (ps->tok.type == T_LISTREF) {
            const struct list *o = list_find(ps->rules, ps->tok.str + 1);
            if (o == NULL || o == l)
                return fail_at(ps, ps->tok.line, ps->tok.col,
                               "expected a list defined earlier, found "
                               "unknown list '%s'",
                               ps->tok.str + 1);
            for (size_t i = 0; i < o->items.n; i++)
                if (strv_add(&l->items, o->items.v[i]) < 0)
                    return fail_at(ps, line, col, "out of memory");
        } else if (ps->tok.type != T_COMMA) {
            return expected(ps, "a list item (word or string) or '}'");
        }
        if (lex(ps) < 0)
            return -1;
    }
    return lex(ps);
}

/* ------------------------------------------------------------ detectors */
static int
add_escaped_word(struct parser *ps, void *ctx, const char *item,
                 unsigned line, unsigned col, bool quoted)
{
    (void)quoted;
    struct sg_buf *b = ctx;
    if (item[0] == '\0')
        return fail_at(ps, line, col, "expected a word, found \"\"");
    if (b->len > 0 && sg_buf_putc(b, '|') < 0)
        return fail_at(ps, line, col, "out of memory");
    for (const char *p = item; *p; p++) {
        if (strchr("\\^$.|?*+()[]{}", *p) && sg_buf_putc(b, '\\') < 0)
            return fail_at(ps, line, col, "out of memory");
        if (*p == ' ') {
            if (sg_buf_puts(b, "\\s+") < 0)
                return fail_at(ps, line, col, "out of memory");
            continue;
        }
        if (sg_buf_putc(b, *p) < 0)
            return fail_at(ps, line, col, "out of memory");
    }
    return 0;
}

static const struct {
    const char *name;
    enum validator v;
} validators[] = {
    {"none", VAL_NONE},
    {"luhn", VAL_LUHN},
    {"upn", VAL_UPN},
    {"nhs-number", VAL_NHS},
    {"uln", VAL_ULN},
    {"uk-mobile", VAL_PHONE_MOBILE},
    {"uk-landline", VAL_PHONE_LANDLINE},
    {"personal-email", VAL_EMAIL_PERSONAL},
};

static int
parse_detector(struct parser *ps)
{
    unsigned line = ps->tok.line, col = ps->tok.col;
    if (lex(ps) < 0)
        return -1;
    unsigned nline = ps->tok.line, ncol = ps->tok.col;
    char *name = expect_name(ps, "a detector name");
    if (name == NULL)
        return -1;
    if (rules_detector_find(ps->rules, name) != (size_t)-1) {
        int r = fail_at(ps, nline, ncol,
                        "detector '%s' is already defined (built-in "
                        "detectors cannot be redefined)",
                        name);
        free(name);
        return r;
    }
    struct detector d;
    memset(&d, 0, sizeof(d));
    d.name = name;
    struct sg_buf pat = SG_BUF_INIT;
    struct sg_buf words = SG_BUF_INIT;
    bool caseless = false;
    int rc = -1;
    if (ps->tok.type != T_LBRACE) {
        expected(ps, "'{' after the detector name");
        goto out;
    }
    if (lex(ps) < 0)
        goto out;
    while (ps->tok.type != T_RBRACE) {
        unsigned fl = ps->tok.line, fc = ps->tok.col;
        if (is_word(ps, "pattern")) {
            if (lex(ps) < 0)
                goto out;
            char *p = expect_text(ps, "a pattern string after 'pattern'");
            if (p == NULL)
                goto out;
            const char *cerr;
            pcre2_code *test = rules_compile(p, false, &cerr);
            if (test == NULL) {
                fail_at(ps, fl, fc, "expected a valid PCRE2 pattern: %s",
                        cerr);
                free(p);
                goto out;
            }
            pcre2_code_free(test);
            int e = sg_buf_printf(&pat, "%s(?:%s)", pat.len ? "|" : "", p);
            free(p);
            if (e < 0) {
                fail_at(ps, fl, fc, "out of memory");
                goto out;
            }
        } else if (is_word(ps, "words")) {
            if (lex(ps) < 0)
                goto out;
            if (parse_items(ps, "a word or phrase (string) after 'words'",
                            add_escaped_word, &words) < 0)
                goto out;
        } else if (is_word(ps, "ignore-case")) {
            caseless = true;
            if (lex(ps) < 0)
                goto out;
        } else if (is_word(ps, "describe")) {
            if (lex(ps) < 0)
                goto out;
            free(d.describe);
            d.describe = expect_text(ps, "a description string");
            if (d.describe == NULL)
                goto out;
        } else if (is_word(ps, "validate")) {
            if (lex(ps) < 0)
                goto out;
            size_t i;
            for (i = 0; i < sizeof(validators) / sizeof(validators[0]); i++)
                if (is_word(ps, validators[i].name))
                    break;
            if (i == sizeof(validators) / sizeof(validators[0])) {
                expected(ps, "a validator: none, luhn, upn, nhs-number, "
                             "uln, uk-mobile, uk-landline or personal-email");
                goto out;
            }
            d.validate = validators[i].v;
            if (lex(ps) < 0)
                goto out;
        } else {
            expected(ps, "a detector field (pattern, words, ignore-case, "
                         "validate, describe) or '}'");
            goto out;
        }
    }
    if (words.len > 0) {
        if (sg_buf_printf(&pat, "%s(?i:(?<!\\w)(?:%s)(?!\\w))",
                          pat.len ? "|" : "", words.data) < 0) {
            fail_at(ps, line, col, "out of memory");
            goto out;
        }
    }
    if (pat.len == 0) {
        expected(ps, "at least one 'pattern' or 'words' in the detector");
        goto out;
    }
    const char *cerr;
    d.re = rules_compile(pat.data, caseless, &cerr);
    if (d.re == NULL) {
        fail_at(ps, line, col, "expected a valid PCRE2 pattern: %s", cerr);
        goto out;
    }
    if (d.describe == NULL) {
        d.describe = malloc(strlen(d.name) + 16);
        if (d.describe == NULL) {
            fail_at(ps, line, col, "out of memory");
            goto out;
        }
        sprintf(d.describe, "a match for %s", d.name);
    }
    struct detector *grown =
        realloc(ps->rules->detectors,
                (ps->rules->n_detectors + 1) * sizeof(*grown));
    if (grown == NULL) {
        fail_at(ps, line, col, "out of memory");
        goto out;
    }
    ps->rules->detectors = grown;
    grown[ps->rules->n_detectors++] = d;
    memset(&d, 0, sizeof(d));
    rc = lex(ps); /* past '}' */
out:
    free(d.name);
    free(d.describe);
    if (d.re)
        pcre2_code_free(d.re);
    sg_buf_free(&pat);
    sg_buf_free(&words);
    return rc;
}

/* ------------------------------------------------------------ conditions */
static void
cond_clear(struct cond *c)
{
    strv_clear(&c->from.roles);
    strv_clear(&c->from.addrs);
    strv_clear(&c->to.set.roles);
    strv_clear(&c->to.set.addrs);
    free(c->items);
    strv_clear(&c->types);
    strv_clear(&c->exts);
    free(c->times);
    free(c->reg_name);
    memset(c, 0, sizeof(*c));
}

static int
add_party_item(struct parser *ps, void *ctx, const char *item, unsigned line,
               unsigned col, bool quoted)
{
    struct partyset *set = ctx;
    if (strchr(item, '@') != NULL) {
        char *lower = strdup(item);
        if (lower == NULL)
            return fail_at(ps, line, col, "out of memory");
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        int r = strv_add(&set->addrs, lower);
        free(lower);
        if (r < 0)
            return fail_at(ps, line, col, "out of memory");
        return 0;
    }
    if (!quoted && !valid_name(item))
        return fail_at(ps, line, col,
                       "expected a role or a quoted address, found "
                       "'%s'",
                       item);
    if (item[0] == '\0')
        return fail_at(ps, line, col,
                       "expected a role or a quoted address, found "
                       "\"\"");
    if (strv_add(&set->roles, item) < 0)
        return fail_at(ps, line, col, "out of memory");
    return 0;
}

static int
parse_channels(struct parser *ps, unsigned *ch, bool sender)
{
    for (;;) {
        if (is_word(ps, "school"))
            *ch |= CH_SCHOOL;
        else if (is_word(ps, "personal"))
            *ch |= CH_PERSONAL;
        else if (is_word(ps, "external"))
            *ch |= CH_EXTERNAL;
        else if (sender && is_word(ps, "display-name"))
            *ch |= CH_DISPLAY_NAME;
        else if (sender && is_word(ps, "spoofed"))
            *ch |= CH_SPOOFED;
        else
            return expected(ps, sender
                                    ? "a channel: school, personal, "
                                      "external, display-name or spoofed"
                                    : "a channel: school, personal or "
                                      "external");
        if (lex(ps) < 0)
            return -1;
        if (ps->tok.type != T_COMMA)
            return 0;
        if (lex(ps) < 0)
            return -1;
    }
}

static int
parse_hhmm(const char *s, int *min_r)
{
    int h, m;
    char extra;
    if (sscanf(s, "%2d:%2d%c", &h, &m, &extra) != 2)
        return -1;
    if (strlen(s) != 5 || h < 0 || h > 24 || m < 0 || m > 59 ||
        (h == 24 && m != 0))
        return -1;
    *min_r = h * 60 + m;
    return 0;
}

static const char *const daynames[7] = {"sun", "mon", "tue", "wed",
                                        "thu", "fri", "sat"};

static int
parse_time_items(struct parser *ps, struct cond *c)
{
    for (;;) {
        struct timeitem ti;
        memset(&ti, 0, sizeof(ti));
        if (is_word(ps, "outside") || is_word(ps, "between")) {
            ti.kind = is_word(ps, "outside") ? T_OUTSIDE : T_BETWEEN;
            if (lex(ps) < 0)
                return -1;
            const char *dash = ps->tok.type == T_WORD
                                   ? strchr(ps->tok.str, '-')
                                   : NULL;
            char a[8] = "", b[8] = "";
            if (dash != NULL && dash - ps->tok.str < 8 &&
                strlen(dash + 1) < 8) {
                memcpy(a, ps->tok.str, (size_t)(dash - ps->tok.str));
                strcpy(b, dash + 1);
            }
            if (dash == NULL || parse_hhmm(a, &ti.from_min) < 0 ||
                parse_hhmm(b, &ti.to_min) < 0)
                return expected(ps, "a time range HH:MM-HH:MM");
            if (ti.from_min >= ti.to_min)
                return fail_at(ps, ps->tok.line, ps->tok.col,
                               "expected a time range whose start is "
                               "before its end, found '%s'",
                               ps->tok.str);
        } else if (is_word(ps, "weekend")) {
            ti.kind = T_DAYS;
            ti.days = 1u | 1u << 6;
        } else if (is_word(ps, "weekday")) {
            ti.kind = T_DAYS;
            ti.days = 0x3eu;
        } else {
            int d;
            for (d = 0; d < 7; d++)
                if (is_word(ps, daynames[d]))
                    break;
            if (d == 7)
                return expected(ps,
                                "a time condition: outside HH:MM-HH:MM, "
                                "between HH:MM-HH:MM, weekend, weekday or a "
                                "day (mon, tue, wed, thu, fri, sat, sun)");
            ti.kind = T_DAYS;
            ti.days = 1u << d;
        }
        struct timeitem *g =
            realloc(c->times, (c->n_times + 1) * sizeof(*g));
        if (g == NULL)
            return fail_at(ps, ps->tok.line, ps->tok.col, "out of memory");
        c->times = g;
        g[c->n_times++] = ti;
        if (lex(ps) < 0)
            return -1;
        if (ps->tok.type != T_COMMA)
            return 0;
        if (lex(ps) < 0)
            return -1;
    }
}

static int
add_attach_item(struct parser *ps, void *ctx, const char *item,
                unsigned line, unsigned col, bool quoted)
{
    (void)quoted;
    struct cond *c = ctx;
    char *lower = strdup(item[0] == '.' ? item + 1 : item);
    if (lower == NULL)
        return fail_at(ps, line, col, "out of memory");
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    int r;
    if (lower[0] == '\0') {
        free(lower);
        return fail_at(ps, line, col,
                       "expected a content type (image/*) or an extension "
                       "(.jpg), found \"%s\"",
                       item);
    }
    if (strchr(lower, '/') != NULL)
        r = strv_add(&c->types, lower);
    else
        r = strv_add(&c->exts, lower);
    free(lower);
    if (r < 0)
        return fail_at(ps, line, col, "out of memory");
    return 0;
}

static int
parse_uint(struct parser *ps, unsigned *v, const char *what)
{
    if (ps->tok.type != T_WORD)
        return expected(ps, what);
    char *end;
    errno = 0;
    unsigned long n = strtoul(ps->tok.str, &end, 10);
    if (!isdigit((unsigned char)ps->tok.str[0]) || *end != '\0' ||
        errno != 0 || n > 100000)
        return expected(ps, what);
    *v = (unsigned)n;
    return lex(ps);
}

/* Parse one condition starting at its keyword; 1 if the current token is
 * not a condition keyword (nothing consumed), 0 parsed, -1 error. */
static int
parse_cond(struct parser *ps, struct cond *c)
{
    memset(c, 0, sizeof(*c));
    if (is_word(ps, "from")) {
        c->kind = C_FROM;
        if (lex(ps) < 0)
            return -1;
        if (parse_items(ps, "a role or a quoted address after 'from'",
                        add_party_item, &c->from) < 0)
            return -1;
        if (is_word(ps, "via")) {
            if (lex(ps) < 0)
                return -1;
            if (parse_channels(ps, &c->from.channels, true) < 0)
                return -1;
        }
        return 0;
    }
    if (is_word(ps, "to")) {
        c->kind = C_TO;
        if (lex(ps) < 0)
            return -1;
        if (is_word(ps, "any") || is_word(ps, "all") || is_word(ps, "none")) {
            c->to.q = is_word(ps, "any")   ? Q_ANY
                      : is_word(ps, "all") ? Q_ALL
                                           : Q_NONE;
            if (lex(ps) < 0)
                return -1;
        }
        if (parse_items(ps, "a role or a quoted address after 'to'",
                        add_party_item, &c->to.set) < 0)
            return -1;
        if (is_word(ps, "via")) {
            if (lex(ps) < 0)
                return -1;
            if (parse_channels(ps, &c->to.set.channels, false) < 0)
                return -1;
        }
        return 0;
    }
    if (is_word(ps, "recipients")) {
        c->kind = C_RECIPIENTS;
        if (lex(ps) < 0)
            return -1;
        static const struct {
            const char *op;
            enum cmp c;
        } ops[] = {{"=", CMP_EQ}, {"==", CMP_EQ}, {"!=", CMP_NE},
                   {"<", CMP_LT}, {"<=", CMP_LE}, {">", CMP_GT},
                   {">=", CMP_GE}};
        size_t i;
        for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
            if (ps->tok.type == T_OP && strcmp(ps->tok.str, ops[i].op) == 0)
                break;
        if (i == sizeof(ops) / sizeof(ops[0]))
            return expected(ps, "a comparison (=, !=, <, <=, >, >=) after "
                                "'recipients'");
        c->cmp = ops[i].c;
        if (lex(ps) < 0)
            return -1;
        return parse_uint(ps, &c->count, "a number of recipients");
    }
    if (is_word(ps, "content")) {
        c->kind = C_CONTENT;
        if (lex(ps) < 0)
            return -1;
        for (;;) {
            if (ps->tok.type != T_WORD)
                return expected(ps, "a detector name after 'content'");
            size_t di = rules_detector_find(ps->rules, ps->tok.str);
            if (di == (size_t)-1)
                return fail_at(ps, ps->tok.line, ps->tok.col,
                               "expected a built-in detector or one defined "
                               "earlier, found unknown detector '%s'",
                               ps->tok.str);
            struct contentitem *g =
                realloc(c->items, (c->n_items + 1) * sizeof(*g));
            if (g == NULL)
                return fail_at(ps, ps->tok.line, ps->tok.col,
                               "out of memory");
            c->items = g;
            g[c->n_items].det = di;
            g[c->n_items].min = 1;
            ps->rules->detectors[di].used = true;
            if (lex(ps) < 0)
                return -1;
            if (ps->tok.type == T_OP) {
                if (strcmp(ps->tok.str, ">=") != 0)
                    return expected(ps, "'>=' (at least N findings)");
                if (lex(ps) < 0)
                    return -1;
                if (parse_uint(ps, &g[c->n_items].min,
                               "a number of findings after '>='") < 0)
                    return -1;
                if (g[c->n_items].min == 0)
                    g[c->n_items].min = 1;
            }
            c->n_items++;
            if (ps->tok.type != T_COMMA)
                break;
            if (lex(ps) < 0)
                return -1;
        }
        c->scope = SC_ALL;
        if (is_word(ps, "in")) {
            c->scope = 0;
            if (lex(ps) < 0)
                return -1;
            for (;;) {
                if (is_word(ps, "subject"))
                    c->scope |= SC_SUBJECT;
                else if (is_word(ps, "body"))
                    c->scope |= SC_BODY;
                else if (is_word(ps, "attachments"))
                    c->scope |= SC_ATTACHMENTS;
                else if (is_word(ps, "filenames"))
                    c->scope |= SC_FILENAMES;
                else
                    return expected(ps, "a place: subject, body, "
                                        "attachments or filenames");
                if (lex(ps) < 0)
                    return -1;
                if (ps->tok.type != T_COMMA)
                    break;
                if (lex(ps) < 0)
                    return -1;
            }
        }
        return 0;
    }
    if (is_word(ps, "attachment")) {
        c->kind = C_ATTACHMENT;
        if (lex(ps) < 0)
            return -1;
        return parse_items(ps,
                           "a content type (image/*) or an extension (.jpg) "
                           "after 'attachment'",
                           add_attach_item, c);
    }
    if (is_word(ps, "time")) {
        c->kind = C_TIME;
        if (lex(ps) < 0)
            return -1;
        return parse_time_items(ps, c);
    }
    return 1;
}

/* ------------------------------------------------------------ rules */
static void
rule_clear(struct rule *r)
{
    free(r->id);
    free(r->title);
    free(r->policy);
    free(r->source);
    strv_clear(&r->notify);
    free(r->explain);
    free(r->explain_dsl);
    for (size_t i = 0; i < r->n_conds; i++)
        cond_clear(&r->conds[i]);
    free(r->conds);
    for (size_t i = 0; i < r->n_excepts; i++)
        cond_clear(&r->excepts[i]);
    free(r->excepts);
    free(r->file);
    memset(r, 0, sizeof(*r));
}

static int
push_cond(struct cond **v, size_t *n, struct cond *c)
{
    struct cond *g = realloc(*v, (*n + 1) * sizeof(*g));
    if (g == NULL)
        return -1;
    *v = g;
    g[(*n)++] = *c;
    return 0;
}

static int
set_text(struct parser *ps, char **field, const char *what, const char *kw,
         unsigned line, unsigned col)
{
    if (*field != NULL)
        return fail_at(ps, line, col, "'%s' is given twice in this rule", kw);
    *field = expect_text(ps, what);
    return *field == NULL ? -1 : 0;
}

static int
check_template(struct parser *ps, const char *tmpl, unsigned line,
               unsigned col)
{
    const char *bad;
    if (explain_check(tmpl, &bad) < 0)
        return fail_at(ps, line, col,
                       "expected a known placeholder ({rule}, {title}, "
                       "{policy}, {source}, {action}, {pupils}, "
                       "{recipients}, {sender}, {findings}, {dsl}, {time}), "
                       "found %s",
                       bad);
    return 0;
}

static bool
cond_rcpt_decidable(const struct cond *c)
{
    switch (c->kind) {
    case C_FROM:
        return (c->from.channels & CH_DISPLAY_NAME) == 0;
    case C_TO:
        return c->to.q == Q_ANY;
    case C_TIME:
    case C_REGISTER:
        return true;
    default:
        return false;
    }
}

static bool
cond_needs_view(const struct cond *c)
{
    return c->kind == C_CONTENT || c->kind == C_ATTACHMENT ||
           (c->kind == C_FROM && (c->from.channels & CH_DISPLAY_NAME));
}

static int
parse_rule(struct parser *ps)
{
    unsigned line = ps->tok.line;
    if (lex(ps) < 0)
        return -1;
    unsigned nline = ps->tok.line, ncol = ps->tok.col;
    struct rule r;
    memset(&r, 0, sizeof(r));
    r.mode = -1;
    r.line = line;
    r.id = expect_name(ps, "a rule name");
    if (r.id == NULL)
        return -1;
    for (size_t i = 0; i < ps->rules->n_rules; i++)
        if (strcmp(ps->rules->rules[i].id, r.id) == 0) {
            fail_at(ps, nline, ncol, "rule '%s' is already defined at %s:%u",
                    r.id, ps->rules->rules[i].file,
                    ps->rules->rules[i].line);
            goto fail;
        }
    r.file = strdup(ps->name);
    if (r.file == NULL) {
        fail_at(ps, nline, ncol, "out of memory");
        goto fail;
    }
    if (ps->tok.type != T_LBRACE) {
        expected(ps, "'{' after the rule name");
        goto fail;
    }
    if (lex(ps) < 0)
        goto fail;
    while (ps->tok.type != T_RBRACE) {
        unsigned fl = ps->tok.line, fc = ps->tok.col;
        struct cond c;
        if (is_word(ps, "title") || is_word(ps, "policy") ||
            is_word(ps, "source") || is_word(ps, "explain") ||
            is_word(ps, "explain-dsl")) {
            char kw[16];
            snprintf(kw, sizeof(kw), "%s", ps->tok.str);
            char **field = strcmp(kw, "title") == 0    ? &r.title
                           : strcmp(kw, "policy") == 0 ? &r.policy
                           : strcmp(kw, "source") == 0 ? &r.source
                           : strcmp(kw, "explain") == 0
                               ? &r.explain
                               : &r.explain_dsl;
            if (lex(ps) < 0)
                goto fail;
            char what[48];
            snprintf(what, sizeof(what), "a string after '%s'", kw);
            unsigned sl = ps->tok.line, sc = ps->tok.col;
            if (set_text(ps, field, what, kw, fl, fc) < 0)
                goto fail;
            if ((field == &r.explain || field == &r.explain_dsl) &&
                check_template(ps, *field, sl, sc) < 0)
                goto fail;
            continue;
        }
        if (is_word(ps, "mode")) {
            if (lex(ps) < 0)
                goto fail;
            if (is_word(ps, "enforce"))
                r.mode = SG_MODE_ENFORCE;
            else if (is_word(ps, "test"))
                r.mode = SG_MODE_TEST;
            else {
                expected(ps, "'enforce' or 'test' after 'mode'");
                goto fail;
            }
            if (lex(ps) < 0)
                goto fail;
            continue;
        }
        if (is_word(ps, "action")) {
            if (r.has_action) {
                fail_at(ps, fl, fc, "'action' is given twice in this rule");
                goto fail;
            }
            if (lex(ps) < 0)
                goto fail;
            if (ps->tok.type != T_WORD ||
                sg_action_parse(ps->tok.str, &r.action) < 0) {
                expected(ps, "an action: accept, annotate, journal, hold or "
                             "reject");
                goto fail;
            }
            r.has_action = true;
            if (lex(ps) < 0)
                goto fail;
            continue;
        }
        if (is_word(ps, "notify")) {
            if (lex(ps) < 0)
                goto fail;
            if (parse_items(ps, "sender, dsl or a quoted address after "
                                "'notify'",
                            add_string_item, &r.notify) < 0)
                goto fail;
            continue;
        }
        if (is_word(ps, "except")) {
            if (lex(ps) < 0)
                goto fail;
            int pr = parse_cond(ps, &c);
            if (pr < 0) {
                cond_clear(&c);
                goto fail;
            }
            if (pr == 1) {
                if (is_word(ps, "register") && lex(ps) < 0)
                    goto fail;
                memset(&c, 0, sizeof(c));
                c.kind = C_REGISTER;
                c.reg_name = expect_name(
                    ps, "a condition (from, to, recipients, content, "
                        "attachment, time) or an exceptions register "
                        "name after 'except'");
                if (c.reg_name == NULL)
                    goto fail;
            }
            if (push_cond(&r.excepts, &r.n_excepts, &c) < 0) {
                cond_clear(&c);
                fail_at(ps, fl, fc, "out of memory");
                goto fail;
            }
            continue;
        }
        int pr = parse_cond(ps, &c);
        if (pr < 0) {
            cond_clear(&c);
            goto fail;
        }
        if (pr == 1) {
            expected(ps, "a rule field (title, policy, source, mode, from, "
                         "to, recipients, content, attachment, time, except, "
                         "action, notify, explain, explain-dsl) or '}'");
            goto fail;
        }
        if (c.kind == C_TO && c.to.q != Q_NONE) {
            for (size_t i = 0; i < r.n_conds; i++)
                if (r.conds[i].kind == C_TO && r.conds[i].to.q != Q_NONE) {
                    cond_clear(&c);
                    fail_at(ps, fl, fc,
                            "expected one 'to any' or 'to all' per rule "
                            "(put the roles in one list; 'to none' may be "
                            "repeated)");
                    goto fail;
                }
        }
        if (push_cond(&r.conds, &r.n_conds, &c) < 0) {
            cond_clear(&c);
            fail_at(ps, fl, fc, "out of memory");
            goto fail;
        }
    }
    if (!r.has_action) {
        fail_at(ps, ps->tok.line, ps->tok.col,
                "expected 'action' in rule '%s' before '}'", r.id);
        goto fail;
    }
    r.rcpt_decidable = true;
    for (size_t i = 0; i < r.n_conds; i++) {
        if (!cond_rcpt_decidable(&r.conds[i]))
            r.rcpt_decidable = false;
        if (cond_needs_view(&r.conds[i]))
            r.needs_view = true;
    }
    for (size_t i = 0; i < r.n_excepts; i++) {
        if (!cond_rcpt_decidable(&r.excepts[i]))
            r.rcpt_decidable = false;
        if (cond_needs_view(&r.excepts[i]))
            r.needs_view = true;
    }
    struct rule *g =
        realloc(ps->rules->rules, (ps->rules->n_rules + 1) * sizeof(*g));
    if (g == NULL) {
        fail_at(ps, line, 1, "out of memory");
        goto fail;
    }
    ps->rules->rules = g;
    g[ps->rules->n_rules++] = r;
    return lex(ps);
fail:
    rule_clear(&r);
    return -1;
}

/* ------------------------------------------------------------ files */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static int
parse_include(struct parser *ps)
{
    unsigned line = ps->tok.line, col = ps->tok.col;
    if (lex(ps) < 0)
        return -1;
    if (ps->tok.type != T_STRING)
        return expected(ps, "a file name string after 'include'");
    if (ps->depth + 1 > ps->max_depth)
        return fail_at(ps, line, col,
                       "includes are nested deeper than %u (an include "
                       "loop?)",
                       ps->max_depth);
    char *path;
    const char *f = ps->tok.str;
    if (f[0] == '/' || ps->dir == NULL) {
        path = strdup(f);
    } else {
        path = malloc(strlen(ps->dir) + strlen(f) + 2);
        if (path != NULL)
            sprintf(path, "%s/%s", ps->dir, f);
    }
    if (path == NULL)
        return fail_at(ps, line, col, "out of memory");
    const char *err;
    int r = rules_parse_file(ps->rules, path, ps->depth + 1, ps->max_depth,
                             &err);
    free(path);
    if (r < 0) {
        /* The inner message names the inner file; say where it came from. */
        char inner[700];
        snprintf(inner, sizeof(inner), "%s", err);
        return fail_at(ps, line, col, "in included file: %s", inner);
    }
    return lex(ps);
}

static int
parse_top(struct parser *ps)
{
    if (lex(ps) < 0)
        return -1;
    while (ps->tok.type != T_EOF) {
        int r;
        if (is_word(ps, "rule"))
            r = parse_rule(ps);
        else if (is_word(ps, "detector"))
            r = parse_detector(ps);
        else if (is_word(ps, "list"))
            r = parse_list(ps);
        else if (is_word(ps, "include"))
            r = parse_include(ps);
        else if (is_word(ps, "mode")) {
            if (lex(ps) < 0)
                return -1;
            if (is_word(ps, "enforce"))
                ps->rules->mode = SG_MODE_ENFORCE;
            else if (is_word(ps, "test"))
                ps->rules->mode = SG_MODE_TEST;
            else
                return expected(ps, "'enforce' or 'test' after 'mode'");
            r = lex(ps);
        } else
            r = expected(ps, "'rule', 'detector', 'list', 'include' or "
                             "'mode'");
        if (r < 0)
            return -1;
    }
    return 0;
}

int
rules_parse_text(struct sg_rules *rules, const char *text, size_t len,
                 const char *name, const char *dir, unsigned depth,
                 unsigned max_depth, const char **error_r)
{
    struct parser ps;
    memset(&ps, 0, sizeof(ps));
    ps.rules = rules;
    ps.name = name;
    ps.dir = dir;
    ps.p = text;
    ps.end = text + len;
    ps.line = 1;
    ps.col = 1;
    ps.depth = depth;
    ps.max_depth = max_depth;
    int r = parse_top(&ps);
    free(ps.tok.str);
    if (r < 0)
        *error_r = ps.err ? ps.err : sg_rules_errorf("%s: parse error", name);
    return r;
}

int
rules_parse_file(struct sg_rules *rules, const char *path, unsigned depth,
                 unsigned max_depth, const char **error_r)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *error_r = sg_rules_errorf("%s: cannot open: %s", path,
                                   strerror(errno));
        return -1;
    }
    struct sg_buf b = SG_BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > MAX_FILE_SIZE) {
            fclose(f);
            sg_buf_free(&b);
            *error_r = sg_rules_errorf("%s: larger than %u bytes", path,
                                       MAX_FILE_SIZE);
            return -1;
        }
        if (sg_buf_append(&b, chunk, n) < 0) {
            fclose(f);
            sg_buf_free(&b);
            *error_r = sg_rules_errorf("%s: out of memory", path);
            return -1;
        }
    }
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        sg_buf_free(&b);
        *error_r = sg_rules_errorf("%s: read error", path);
        return -1;
    }
    char *dir = dir_of(path);
    if (dir == NULL) {
        sg_buf_free(&b);
        *error_r = sg_rules_errorf("%s: out of memory", path);
        return -1;
    }
    int r = rules_parse_text(rules, b.data ? b.data : "", b.len, path, dir,
                             depth, max_depth, error_r);
    free(dir);
    sg_buf_free(&b);
    return r;
}

/* ------------------------------------------------------------ load */
void
sg_rules_free(struct sg_rules **rules_p)
{
    struct sg_rules *rules = *rules_p;
    if (rules == NULL)
        return;
    for (size_t i = 0; i < rules->n_rules; i++)
        rule_clear(&rules->rules[i]);
    free(rules->rules);
    for (size_t i = 0; i < rules->n_detectors; i++) {
        free(rules->detectors[i].name);
        free(rules->detectors[i].describe);
        if (rules->detectors[i].re)
            pcre2_code_free(rules->detectors[i].re);
    }
    free(rules->detectors);
    for (size_t i = 0; i < rules->n_lists; i++) {
        free(rules->lists[i].name);
        strv_clear(&rules->lists[i].items);
    }
    free(rules->lists);
    strv_clear(&rules->school_domains);
    strv_clear(&rules->school_phones);
    strv_clear(&rules->school_postcodes);
    sg_tz_free(&rules->tz);
    free(rules->dsl_contact);
    if (rules->mctx)
        pcre2_match_context_free(rules->mctx);
    free(rules);
    *rules_p = NULL;
}

static struct sg_rules *
rules_new(const struct sg_rules_options *opt, const char **error_r)
{
    struct sg_rules *rules = calloc(1, sizeof(*rules));
    if (rules == NULL) {
        *error_r = sg_rules_errorf("out of memory");
        return NULL;
    }
    static const struct sg_rules_options none;
    if (opt == NULL)
        opt = &none;
    for (size_t i = 0; i < opt->n_school_domains; i++) {
        char *d = strdup(opt->school_domains[i]);
        if (d == NULL)
            goto oom;
        for (char *p = d; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        char *s = d[0] == '@' ? d + 1 : d;
        int r = strv_add(&rules->school_domains, s);
        free(d);
        if (r < 0)
            goto oom;
    }
    for (size_t i = 0; i < opt->n_school_phone_numbers; i++) {
        char norm[32];
        if (sg_phone_normalise(opt->school_phone_numbers[i], norm,
                               sizeof(norm)) < 0) {
            *error_r = sg_rules_errorf(
                "school phone number '%s' is not a UK number",
                opt->school_phone_numbers[i]);
            sg_rules_free(&rules);
            return NULL;
        }
        if (strv_add(&rules->school_phones, norm) < 0)
            goto oom;
    }
    for (size_t i = 0; i < opt->n_school_postcodes; i++) {
        char pc[16];
        size_t k = 0;
        for (const char *p = opt->school_postcodes[i]; *p && k < 15; p++)
            if (!isspace((unsigned char)*p))
                pc[k++] = (char)toupper((unsigned char)*p);
        pc[k] = '\0';
        if (strv_add(&rules->school_postcodes, pc) < 0)
            goto oom;
    }
    if (opt->dsl_contact != NULL) {
        rules->dsl_contact = strdup(opt->dsl_contact);
        if (rules->dsl_contact == NULL)
            goto oom;
    }
    if (opt->timezone != NULL && opt->timezone[0] != '\0' &&
        strcmp(opt->timezone, "UTC") != 0) {
        if (sg_tz_load(opt->timezone, opt->zoneinfo_dir, &rules->tz,
                       error_r) < 0) {
            sg_rules_free(&rules);
            return NULL;
        }
    }
    rules->mctx = pcre2_match_context_create(NULL);
    if (rules->mctx == NULL)
        goto oom;
    /* Bound the work of one match: a pathological site pattern fails that
     * scan instead of stalling the mail flow. */
    pcre2_set_match_limit(rules->mctx, 1000000);
    pcre2_set_depth_limit(rules->mctx, 10000);
    if (detectors_builtin_add(rules, error_r) < 0) {
        sg_rules_free(&rules);
        return NULL;
    }
    return rules;
oom:
    *error_r = sg_rules_errorf("out of memory");
    sg_rules_free(&rules);
    return NULL;
}

int
sg_rules_load(const char *path, const struct sg_rules_options *opt,
              struct sg_rules **rules_r, const char **error_r)
{
    struct sg_rules *rules = rules_new(opt, error_r);
    if (rules == NULL)
        return -1;
    unsigned max = opt && opt->max_include_depth ? opt->max_include_depth : 8;
    if (rules_parse_file(rules, path, 0, max, error_r) < 0) {
        sg_rules_free(&rules);
        return -1;
    }
    *rules_r = rules;
    return 0;
}

int
sg_rules_load_string(const char *text, size_t len, const char *name,
                     const struct sg_rules_options *opt,
                     struct sg_rules **rules_r, const char **error_r)
{
    struct sg_rules *rules = rules_new(opt, error_r);
    if (rules == NULL)
        return -1;
    unsigned max = opt && opt->max_include_depth ? opt->max_include_depth : 8;
    if (rules_parse_text(rules, text, len, name ? name : "(string)", NULL, 0,
                         max, error_r) < 0) {
        sg_rules_free(&rules);
        return -1;
    }
    *rules_r = rules;
    return 0;
}

size_t
sg_rules_count(const struct sg_rules *rules)
{
    return rules->n_rules;
}

size_t
sg_rules_detector_count(const struct sg_rules *rules)
{
    return rules->n_detectors;
}

const char *
sg_rules_id(const struct sg_rules *rules, size_t i)
{
    return i < rules->n_rules ? rules->rules[i].id : NULL;
}

static const char *const action_names[] = {"accept", "annotate", "journal",
                                           "hold", "reject"};

const char *
sg_action_name(enum sg_action action)
{
    if ((unsigned)action < 5)
        return action_names[action];
    return "?";
}

int
sg_action_parse(const char *name, enum sg_action *action_r)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, action_names[i]) == 0) {
            *action_r = (enum sg_action)i;
            return 0;
        }
    return -1;
}

const char *
sg_mode_name(enum sg_mode mode)
{
    return mode == SG_MODE_TEST ? "test" : "enforce";
}
