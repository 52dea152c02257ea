/*
 * rules_lex.h - the lexer of the rules language as the parser sees it:
 * tokens, the parser state they are read from, and the error helpers that
 * put FILE:LINE:COL in front of a message; and what the parser's files
 * share (rules_parse.c: blocks, rules, lists, includes;
 * rules_parse_cond.c: conditions; rules_parse_detector.c: detectors).
 * Private to rules_lex.c and rules_parse*.c; not installed.
 *
 * The parser is driven by tables: each block's keywords are rows of
 * keyword, parser function and the field it sets, so a new keyword is a
 * new row (and its function), and the "expected ..." messages that list
 * the keywords are made from the same rows.
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
    /* the keyword whose table row is being read (rules_parse*.c) */
    unsigned key_line, key_col;
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
/* After an item of a comma-separated list: lex past it; 1 when a ','
 * follows (consumed: the next item is current), 0 when the list ends,
 * -1 on error. */
int sg_rules_list_next(struct parser *ps);

/* ------------------------------------------------------------ words */
/* (rules_lex.c) A word of the language and the value it stands for. */
struct sg_rules_word {
    const char *word;
    unsigned value;
};
#define SG_RULES_N(table) (sizeof(table) / sizeof((table)[0]))
/* The field at offset k->field of the struct at base, as a TYPE *: what a
 * keyword table's row (k) sets in the rule, condition or detector being
 * read. */
#define SG_RULES_FIELD(base, k, type) ((type *)((char *)(base) + (k)->field))
/* The value of the current token in table t (n rows) into *value_r; 0,
 * or -1 when the token is none of its words. */
int sg_rules_word_value(const struct parser *ps, const struct sg_rules_word *t,
                        size_t n, unsigned *value_r);
/* words[0..n) into buf as "a, b, c", the last two joined by last (", "
 * or " or "), each in single quotes when quote; returns buf. */
const char *sg_rules_join(const char *const *words, size_t n, const char *last,
                          bool quote, char *buf, size_t size);
/* The same for the words of table t. */
const char *sg_rules_word_list(const struct sg_rules_word *t, size_t n,
                               const char *last, char *buf, size_t size);
/* "expected a BLOCK field (w1, w2, ...) or '}'" at the current token; -1. */
int sg_rules_expected_field(struct parser *ps, const char *block,
                            const char *const *words, size_t n);
/* The value of the current token in table t into *value_r, 0; when it is
 * none of its words, "expected PREFIX: a, b or c, found ..." and -1. */
int sg_rules_expect_word(struct parser *ps, const char *prefix,
                         const struct sg_rules_word *t, size_t n,
                         unsigned *value_r);

/* ------------------------------------------------------------ values */
/* (rules_parse.c) NAME: a word made of letters, digits, '-' and '_',
 * starting with a letter. */
bool sg_rules_valid_name(const char *s);
/* The current token as a NAME, and lex the next; NULL (and the error)
 * when it is not one. */
char *sg_rules_expect_name(struct parser *ps, const char *what);
/* One or more adjacent strings, concatenated; NULL on error. */
char *sg_rules_expect_text(struct parser *ps, const char *what);
/* A comma-separated list of words, strings and @lists; each item goes to
 * cb (quoted: it was a string or came from a list).  0 or -1. */
typedef int sg_rules_item_fn(struct parser *ps, void *ctx, const char *item,
                             unsigned line, unsigned col, bool quoted);
int sg_rules_parse_items(struct parser *ps, const char *what,
                         sg_rules_item_fn *cb, void *ctx);
/* 'enforce' or 'test' after 'mode' (the keyword already read), into
 * *mode_r; 0 or -1. */
int sg_rules_parse_mode(struct parser *ps, int *mode_r);

/* ------------------------------------------------------------ blocks */
/* (rules_parse_detector.c) A detector block, at its keyword; 0 or -1. */
int sg_rules_parse_detector(struct parser *ps);

/* (rules_parse_cond.c) One condition starting at its keyword into c; 1 if
 * the current token is not a condition keyword (nothing consumed), 0
 * parsed, -1 error (c may hold parts: sg_rules_cond_clear it). */
int sg_rules_parse_cond(struct parser *ps, struct cond *c);
/* Free what a condition holds and zero it. */
void sg_rules_cond_clear(struct cond *c);
/* The condition keywords, in the order the messages list them, into
 * words (at least SG_RULES_MAX_CONDS); their number. */
#define SG_RULES_MAX_CONDS 16
size_t sg_rules_cond_words(const char **words);
/* Whether the condition can be decided at RCPT time, and whether it needs
 * the message view. */
bool sg_rules_cond_rcpt_decidable(const struct cond *c);
bool sg_rules_cond_needs_view(const struct cond *c);

#endif
