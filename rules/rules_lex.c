/*
 * rules_lex.c - the lexer of the rules language (safeguard-rules(5)):
 * words, quoted strings and their escapes, '@list' references, comparison
 * operators and comments, each token with the line and column it starts
 * at, and the "FILE:LINE:COL: expected ..., found ..." messages.
 *
 * SECURITY: the rules file is written by the mail admin (trusted), but it
 * is still read defensively: every token is bounded by the input, a NUL
 * byte or an unterminated string is an error, and nothing from the file is
 * executed.  Shown token text is cut to 40 bytes.
 * Fails by returning -1 with "FILE:LINE:COL: message" as the thread's
 * error text (also left in the parser's err).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_lex.h"

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

int
sg_rules_fail_at(struct parser *ps, unsigned line, unsigned col,
                 const char *fmt, ...)
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
int
sg_rules_expected(struct parser *ps, const char *what)
{
    char buf[64];
    return sg_rules_fail_at(ps, ps->tok.line, ps->tok.col,
                            "expected %s, found %s", what,
                            tok_desc(&ps->tok, buf, sizeof(buf)));
}

/* A string token at its opening quote: "..." with the escapes \n \t \\
 * \", or '...' read as it stands (for patterns); on one line. */
static int
lex_string(struct parser *ps, struct token *t, unsigned char c)
{
    struct sg_buf b = SG_BUF_INIT;
    char q = (char)c;
    advance(ps);
    for (;;) {
        if (ps->p >= ps->end || *ps->p == '\n') {
            sg_buf_free(&b);
            return sg_rules_fail_at(ps, t->line, t->col,
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
            return sg_rules_fail_at(ps, ps->line, ps->col,
                                    "unexpected NUL byte in a string");
        }
        if (q == '"' && ch == '\\') {
            unsigned l = ps->line, co = ps->col;
            advance(ps);
            if (ps->p >= ps->end) {
                sg_buf_free(&b);
                return sg_rules_fail_at(ps, l, co,
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
                return sg_rules_fail_at(ps, l, co,
                                        "expected \\n, \\t, \\\\ or \\\" in a "
                                        "string (use '...' for patterns)");
            }
        }
        sg_buf_putc(&b, ch);
        advance(ps);
    }
    t->type = T_STRING;
    t->len = (size_t)(ps->p - t->start);
    t->str = sg_buf_steal(&b); /* NULL if an append failed */
    if (t->str == NULL)
        return sg_rules_fail_at(ps, t->line, t->col, "out of memory");
    return 0;
}

int
sg_rules_lex(struct parser *ps)
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
        return sg_rules_fail_at(ps, t->line, t->col, "unexpected NUL byte");
    if (c == '{' || c == '}' || c == ',') {
        t->type = c == '{' ? T_LBRACE : c == '}' ? T_RBRACE : T_COMMA;
        advance(ps);
        t->len = 1;
        return 0;
    }
    if (c == '"' || c == '\'')
        return lex_string(ps, t, c);
    if (c == '@') {
        advance(ps);
        while (ps->p < ps->end && is_word_char((unsigned char)*ps->p))
            advance(ps);
        t->type = T_LISTREF;
        t->len = (size_t)(ps->p - t->start);
        if (t->len == 1)
            return sg_rules_fail_at(ps, t->line, t->col,
                                    "expected a list name after '@'");
    } else if (c == '<' || c == '>' || c == '=' || c == '!') {
        advance(ps);
        if (ps->p < ps->end && *ps->p == '=')
            advance(ps);
        t->type = T_OP;
        t->len = (size_t)(ps->p - t->start);
        if (t->len == 1 && c == '!')
            return sg_rules_fail_at(ps, t->line, t->col, "expected '!='");
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
        return sg_rules_fail_at(ps, t->line, t->col, "unexpected character %s",
                                shown);
    }
    t->str = strndup(t->start, t->len);
    if (t->str == NULL)
        return sg_rules_fail_at(ps, t->line, t->col, "out of memory");
    return 0;
}

bool
sg_rules_is_word(const struct parser *ps, const char *w)
{
    return ps->tok.type == T_WORD && strcmp(ps->tok.str, w) == 0;
}

/* Take the current token's string, lex the next. */
char *
sg_rules_take(struct parser *ps)
{
    char *s = ps->tok.str;
    ps->tok.str = NULL;
    if (sg_rules_lex(ps) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

int
sg_rules_word_value(const struct parser *ps, const struct sg_rules_word *t,
                    size_t n, unsigned *value_r)
{
    for (size_t i = 0; i < n; i++)
        if (sg_rules_is_word(ps, t[i].word)) {
            *value_r = t[i].value;
            return 0;
        }
    return -1;
}

const char *
sg_rules_join(const char *const *words, size_t n, const char *last, bool quote,
              char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? last : ", ";
        int w = snprintf(buf + len, size - len, quote ? "%s'%s'" : "%s%s", sep,
                         words[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return buf;
}

const char *
sg_rules_word_list(const struct sg_rules_word *t, size_t n, const char *last,
                   char *buf, size_t size)
{
    const char *words[32];
    if (n > SG_RULES_N(words))
        n = SG_RULES_N(words);
    for (size_t i = 0; i < n; i++)
        words[i] = t[i].word;
    return sg_rules_join(words, n, last, false, buf, size);
}

int
sg_rules_list_next(struct parser *ps)
{
    if (sg_rules_lex(ps) < 0)
        return -1;
    if (ps->tok.type != T_COMMA)
        return 0;
    return sg_rules_lex(ps) < 0 ? -1 : 1;
}

int
sg_rules_expect_word(struct parser *ps, const char *prefix,
                     const struct sg_rules_word *t, size_t n, unsigned *value_r)
{
    if (sg_rules_word_value(ps, t, n, value_r) == 0)
        return 0;
    char list[200], what[260];
    snprintf(what, sizeof(what), "%s: %s", prefix,
             sg_rules_word_list(t, n, " or ", list, sizeof(list)));
    return sg_rules_expected(ps, what);
}

int
sg_rules_expected_field(struct parser *ps, const char *block,
                        const char *const *words, size_t n)
{
    char list[400], what[460];
    snprintf(what, sizeof(what), "a %s field (%s) or '}'", block,
             sg_rules_join(words, n, ", ", false, list, sizeof(list)));
    return sg_rules_expected(ps, what);
}
