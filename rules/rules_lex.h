/*
 * rules_lex.h - the lexer of the rules language as the parser sees it:
 * tokens, the parser state they are read from, and the error helpers that
 * put FILE:LINE:COL in front of a message.  Private to rules_lex.c and
 * rules_parse.c; not installed.
 */
#ifndef SG_RULES_LEX_H
#define SG_RULES_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "rules_int.h"

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

/* Read the next token into ps->tok (freeing the previous one's string).
 * 0, or -1 with ps->err set. */
int sg_rules_lex(struct parser *ps);
/* Format "NAME:LINE:COL: message" into ps->err; always returns -1. */
int sg_rules_fail_at(struct parser *ps, unsigned line, unsigned col,
                     const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "expected WHAT, found <current token>" at the current token; -1. */
int sg_rules_expected(struct parser *ps, const char *what);
/* Whether the current token is the word w. */
bool sg_rules_is_word(const struct parser *ps, const char *w);
/* Take the current token's string, lex the next; NULL on failure. */
char *sg_rules_take(struct parser *ps);

#endif
