/*
 * rules_parse_detector.c - the detector block of the rules language
 * (safeguard-rules(5), DETECTORS): pattern, words, ignore-case, validate
 * and describe, read into a new site-defined detector whose pattern is
 * compiled here, once.
 *
 * The block is read through a table (det_keys): keyword, parser function,
 * and the field of the detector being built that it sets.
 *
 * SECURITY: the rules file is written by the mail admin (trusted); each
 * pattern is still compiled alone first, so that a mistake is reported at
 * its own line, and the detector is added only when whole.
 * Fails by returning -1 with "FILE:LINE:COL: expected ..." in the
 * thread's error text; a half-built detector is freed here.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "rules_lex.h"

static int
add_escaped_word(struct parser *ps, void *ctx, const char *item, unsigned line,
                 unsigned col, bool quoted)
{
    (void)quoted;
    struct sg_buf *b = ctx;
    if (item[0] == '\0')
        return sg_rules_fail_at(ps, line, col, "expected a word, found \"\"");
    if (b->len > 0)
        sg_buf_putc(b, '|');
    for (const char *p = item; *p; p++) {
        if (strchr("\\^$.|?*+()[]{}", *p))
            sg_buf_putc(b, '\\');
        if (*p == ' ')
            sg_buf_puts(b, "\\s+");
        else
            sg_buf_putc(b, *p);
    }
    if (sg_buf_failed(b))
        return sg_rules_fail_at(ps, line, col, "out of memory");
    return 0;
}

static const struct sg_rules_word validators[] = {
    {"none", VAL_NONE},
    {"luhn", VAL_LUHN},
    {"upn", VAL_UPN},
    {"nhs-number", VAL_NHS},
    {"uln", VAL_ULN},
    {"uk-mobile", VAL_PHONE_MOBILE},
    {"uk-landline", VAL_PHONE_LANDLINE},
    {"personal-email", VAL_EMAIL_PERSONAL},
};

/* A detector being read: the detector, its patterns and its words so far. */
struct det_build {
    struct detector d;
    struct sg_buf pat;   /* "(?:P1)|(?:P2)..." */
    struct sg_buf words; /* "w1|w2...", escaped */
    bool caseless;
};

struct det_key;
/* Read one field, at its keyword (at ps->key_line, key_col); 0 or -1. */
typedef int det_key_fn(struct parser *ps, struct det_build *b,
                       const struct det_key *k);

struct det_key {
    const char *word;
    det_key_fn *parse;
    size_t field; /* offsetof the field in struct det_build */
};

/* pattern 'PCRE2': each pattern is checked alone, then ORed in. */
static int
det_pattern(struct parser *ps, struct det_build *b, const struct det_key *k)
{
    struct sg_buf *pat = SG_RULES_FIELD(b, k, struct sg_buf);
    if (sg_rules_lex(ps) < 0)
        return -1;
    char *p = sg_rules_expect_text(ps, "a pattern string after 'pattern'");
    if (p == NULL)
        return -1;
    const char *cerr;
    pcre2_code *test = sg_rules_compile(p, false, &cerr);
    if (test == NULL) {
        sg_rules_fail_at(ps, ps->key_line, ps->key_col,
                         "expected a valid PCRE2 pattern: %s", cerr);
        free(p);
        return -1;
    }
    pcre2_code_free(test);
    int e = sg_buf_printf(pat, "%s(?:%s)", pat->len ? "|" : "", p);
    free(p);
    if (e < 0)
        return sg_rules_fail_at(ps, ps->key_line, ps->key_col, "out of memory");
    return 0;
}

/* words "a", "b c", @list: whole words, any case. */
static int
det_words(struct parser *ps, struct det_build *b, const struct det_key *k)
{
    if (sg_rules_lex(ps) < 0)
        return -1;
    return sg_rules_parse_items(ps, "a word or phrase (string) after 'words'",
                                add_escaped_word,
                                SG_RULES_FIELD(b, k, struct sg_buf));
}

/* A flag: the keyword alone. */
static int
det_flag(struct parser *ps, struct det_build *b, const struct det_key *k)
{
    *SG_RULES_FIELD(b, k, bool) = true;
    return sg_rules_lex(ps);
}

static int
det_describe(struct parser *ps, struct det_build *b, const struct det_key *k)
{
    char **field = SG_RULES_FIELD(b, k, char *);
    if (sg_rules_lex(ps) < 0)
        return -1;
    free(*field);
    *field = sg_rules_expect_text(ps, "a description string");
    return *field == NULL ? -1 : 0;
}

static int
det_validate(struct parser *ps, struct det_build *b, const struct det_key *k)
{
    if (sg_rules_lex(ps) < 0)
        return -1;
    unsigned v;
    if (sg_rules_expect_word(ps, "a validator", validators,
                             SG_RULES_N(validators), &v) < 0)
        return -1;
    *SG_RULES_FIELD(b, k, enum validator) = (enum validator)v;
    return sg_rules_lex(ps);
}

/* The fields of a detector block, in the order the messages list them. */
static const struct det_key det_keys[] = {
    {"pattern", det_pattern, offsetof(struct det_build, pat)},
    {"words", det_words, offsetof(struct det_build, words)},
    {"ignore-case", det_flag, offsetof(struct det_build, caseless)},
    {"validate", det_validate, offsetof(struct det_build, d.validate)},
    {"describe", det_describe, offsetof(struct det_build, d.describe)},
};

/* "expected a detector field (...) or '}'" at the current token. */
static int
det_expected_field(struct parser *ps)
{
    const char *words[SG_RULES_N(det_keys)];
    for (size_t i = 0; i < SG_RULES_N(det_keys); i++)
        words[i] = det_keys[i].word;
    return sg_rules_expected_field(ps, "detector", words, SG_RULES_N(words));
}

/* The block's fields, from after '{' to '}' (not consumed); 0 or -1. */
static int
det_fields(struct parser *ps, struct det_build *b)
{
    while (ps->tok.type != T_RBRACE) {
        ps->key_line = ps->tok.line;
        ps->key_col = ps->tok.col;
        size_t i;
        for (i = 0; i < SG_RULES_N(det_keys); i++)
            if (sg_rules_is_word(ps, det_keys[i].word))
                break;
        if (i == SG_RULES_N(det_keys))
            return det_expected_field(ps);
        if (det_keys[i].parse(ps, b, &det_keys[i]) < 0)
            return -1;
    }
    return 0;
}

/* Compile the whole pattern, name the default description and add the
 * detector to the rule set (b->d is then empty); 0 or -1. */
static int
det_finish(struct parser *ps, struct det_build *b, unsigned line, unsigned col)
{
    if (b->words.len > 0) {
        if (sg_buf_printf(&b->pat, "%s(?i:(?<!\\w)(?:%s)(?!\\w))",
                          b->pat.len ? "|" : "", b->words.data) < 0)
            return sg_rules_fail_at(ps, line, col, "out of memory");
    }
    if (b->pat.len == 0)
        return sg_rules_expected(
            ps, "at least one 'pattern' or 'words' in the detector");
    const char *cerr;
    b->d.re = sg_rules_compile(b->pat.data, b->caseless, &cerr);
    if (b->d.re == NULL)
        return sg_rules_fail_at(ps, line, col,
                                "expected a valid PCRE2 pattern: %s", cerr);
    b->d.pattern = sg_buf_steal(&b->pat);
    if (b->d.pattern == NULL)
        return sg_rules_fail_at(ps, line, col, "out of memory");
    if (b->d.describe == NULL) {
        b->d.describe = malloc(strlen(b->d.name) + 16);
        if (b->d.describe == NULL)
            return sg_rules_fail_at(ps, line, col, "out of memory");
        sprintf(b->d.describe, "a match for %s", b->d.name);
    }
    struct detector *grown = realloc(
        ps->rules->detectors, (ps->rules->n_detectors + 1) * sizeof(*grown));
    if (grown == NULL)
        return sg_rules_fail_at(ps, line, col, "out of memory");
    ps->rules->detectors = grown;
    grown[ps->rules->n_detectors++] = b->d;
    memset(&b->d, 0, sizeof(b->d));
    return 0;
}

int
sg_rules_parse_detector(struct parser *ps)
{
    unsigned line = ps->tok.line, col = ps->tok.col;
    if (sg_rules_lex(ps) < 0)
        return -1;
    unsigned nline = ps->tok.line, ncol = ps->tok.col;
    char *name = sg_rules_expect_name(ps, "a detector name");
    if (name == NULL)
        return -1;
    if (sg_rules_detector_find(ps->rules, name) != (size_t)-1) {
        int r = sg_rules_fail_at(ps, nline, ncol,
                                 "detector '%s' is already defined (built-in "
                                 "detectors cannot be redefined)",
                                 name);
        free(name);
        return r;
    }
    struct det_build b;
    memset(&b, 0, sizeof(b));
    b.d.name = name;
    b.pat = (struct sg_buf)SG_BUF_INIT;
    b.words = (struct sg_buf)SG_BUF_INIT;
    int rc = -1;
    if (ps->tok.type != T_LBRACE)
        sg_rules_expected(ps, "'{' after the detector name");
    else if (sg_rules_lex(ps) == 0 && det_fields(ps, &b) == 0 &&
             det_finish(ps, &b, line, col) == 0)
        rc = sg_rules_lex(ps); /* past '}' */
    free(b.d.name);
    free(b.d.describe);
    free(b.d.pattern);
    if (b.d.re)
        pcre2_code_free(b.d.re);
    sg_buf_free(&b.pat);
    sg_buf_free(&b.words);
    return rc;
}
