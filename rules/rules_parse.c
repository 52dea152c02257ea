/*
 * rules_parse.c - the parser of the rules language (safeguard-rules(5)):
 * rule, detector, list and include blocks, read from a file or a string
 * into the internal structures of a rule set (rules_int.h).
 *
 * SECURITY: the rules file is written by the mail admin (trusted), but it
 * is still parsed defensively: files are size-capped, include depth is
 * limited, and nothing from the file is executed.  Detector patterns are
 * compiled here, once, never at evaluation time.
 * Fails by returning -1 with "FILE:LINE:COL: expected ..., found ..." in the
 * thread-local error buffer; a half-built rule is freed here, and what was
 * already added to the rule set is freed with it by the caller.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "explain.h"
#include "rules_lex.h"
#include "rules_parse.h"

#define MAX_FILE_SIZE (4u * 1024 * 1024)

/* ------------------------------------------------------------ helpers */
static struct list *
list_find(const struct sg_rules *rules, const char *name)
{
    for (size_t i = 0; i < rules->n_lists; i++)
        if (strcmp(rules->lists[i].name, name) == 0)
            return &rules->lists[i];
    return NULL;
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
        sg_rules_expected(ps, what);
        return NULL;
    }
    return sg_rules_take(ps);
}

/* One or more adjacent strings, concatenated. */
static char *
expect_text(struct parser *ps, const char *what)
{
    if (ps->tok.type != T_STRING) {
        sg_rules_expected(ps, what);
        return NULL;
    }
    struct sg_buf b = SG_BUF_INIT;
    while (ps->tok.type == T_STRING) {
        if (sg_buf_puts(&b, ps->tok.str) < 0) {
            sg_buf_free(&b);
            sg_rules_fail_at(ps, ps->tok.line, ps->tok.col, "out of memory");
            return NULL;
        }
        if (sg_rules_lex(ps) < 0) {
            sg_buf_free(&b);
            return NULL;
        }
    }
    char *s = sg_buf_steal(&b);
    if (s == NULL)
        sg_rules_fail_at(ps, ps->tok.line, ps->tok.col, "out of memory");
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
                return sg_rules_fail_at(
                    ps, line, col,
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
            return sg_rules_expected(ps, what);
        }
        if (sg_rules_lex(ps) < 0)
            return -1;
        if (ps->tok.type != T_COMMA)
            return 0;
        if (sg_rules_lex(ps) < 0)
            return -1;
    }
}

static int
add_string_item(struct parser *ps, void *ctx, const char *item,
                unsigned line, unsigned col, bool quoted)
{
    (void)quoted;
    if (sg_rules_strv_add(ctx, item) < 0)
        return sg_rules_fail_at(ps, line, col, "out of memory");
    return 0;
}

/* A mail address as a notify target: LOCAL@DOMAIN, one '@', nothing that
 * separates addresses or comments in a header, no glob. */
static bool
plain_address(const char *s)
{
    const char *at = strchr(s, '@');
    if (at == NULL || at == s || at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return false;
    for (const char *p = s; *p != '\0'; p++)
        if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p) ||
            strchr(",;:<>()[]\\\"*?", *p) != NULL)
            return false;
    return true;
}

/* notify: the words sender and dsl, or an address. */
static int
add_notify_item(struct parser *ps, void *ctx, const char *item,
                unsigned line, unsigned col, bool quoted)
{
    bool word = strcasecmp(item, "sender") == 0 || strcasecmp(item, "dsl") == 0;
    if (!word && !plain_address(item))
        return sg_rules_fail_at(ps, line, col,
                                "expected sender, dsl or a quoted address "
                                "(\"name@domain\") after 'notify', found "
                                "'%s'",
                                item);
    return add_string_item(ps, ctx, item, line, col, quoted);
}

/* ------------------------------------------------------------ lists */
static int
parse_list(struct parser *ps)
{
    unsigned line = ps->tok.line, col = ps->tok.col;
    if (sg_rules_lex(ps) < 0)
        return -1;
    char *name = expect_name(ps, "a list name");
    if (name == NULL)
        return -1;
    if (list_find(ps->rules, name) != NULL) {
        int r = sg_rules_fail_at(ps, line, col, "list '%s' is already defined",
                                 name);
        free(name);
        return r;
    }
    struct list *grown = realloc(ps->rules->lists,
                                 (ps->rules->n_lists + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(name);
        return sg_rules_fail_at(ps, line, col, "out of memory");
    }
    ps->rules->lists = grown;
    struct list *l = &grown[ps->rules->n_lists++];
    memset(l, 0, sizeof(*l));
    l->name = name;
    if (ps->tok.type != T_LBRACE)
        return sg_rules_expected(ps, "'{' after the list name");
    if (sg_rules_lex(ps) < 0)
        return -1;
    while (ps->tok.type != T_RBRACE) {
        if (ps->tok.type == T_WORD || ps->tok.type == T_STRING) {
            if (sg_rules_strv_add(&l->items, ps->tok.str) < 0)
                return sg_rules_fail_at(ps, line, col, "out of memory");
        } else if (ps->tok.type == T_LISTREF) {
            const struct list *o = list_find(ps->rules, ps->tok.str + 1);
            if (o == NULL || o == l)
                return sg_rules_fail_at(
                    ps, ps->tok.line, ps->tok.col,
                    "expected a list defined earlier, found "
                    "unknown list '%s'",
                    ps->tok.str + 1);
            for (size_t i = 0; i < o->items.n; i++)
                if (sg_rules_strv_add(&l->items, o->items.v[i]) < 0)
                    return sg_rules_fail_at(ps, line, col, "out of memory");
        } else if (ps->tok.type != T_COMMA) {
            return sg_rules_expected(ps, "a list item (word or string) or '}'");
        }
        if (sg_rules_lex(ps) < 0)
            return -1;
    }
    return sg_rules_lex(ps);
}

/* ------------------------------------------------------------ detectors */
static int
add_escaped_word(struct parser *ps, void *ctx, const char *item,
                 unsigned line, unsigned col, bool quoted)
{
    (void)quoted;
    struct sg_buf *b = ctx;
    if (item[0] == '\0')
        return sg_rules_fail_at(ps, line, col, "expected a word, found \"\"");
    if (b->len > 0 && sg_buf_putc(b, '|') < 0)
        return sg_rules_fail_at(ps, line, col, "out of memory");
    for (const char *p = item; *p; p++) {
        if (strchr("\\^$.|?*+()[]{}", *p) && sg_buf_putc(b, '\\') < 0)
            return sg_rules_fail_at(ps, line, col, "out of memory");
        if (*p == ' ') {
            if (sg_buf_puts(b, "\\s+") < 0)
                return sg_rules_fail_at(ps, line, col, "out of memory");
            continue;
        }
        if (sg_buf_putc(b, *p) < 0)
            return sg_rules_fail_at(ps, line, col, "out of memory");
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
    if (sg_rules_lex(ps) < 0)
        return -1;
    unsigned nline = ps->tok.line, ncol = ps->tok.col;
    char *name = expect_name(ps, "a detector name");
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
    struct detector d;
    memset(&d, 0, sizeof(d));
    d.name = name;
    struct sg_buf pat = SG_BUF_INIT;
    struct sg_buf words = SG_BUF_INIT;
    bool caseless = false;
    int rc = -1;
    if (ps->tok.type != T_LBRACE) {
        sg_rules_expected(ps, "'{' after the detector name");
        goto out;
    }
    if (sg_rules_lex(ps) < 0)
        goto out;
    while (ps->tok.type != T_RBRACE) {
        unsigned fl = ps->tok.line, fc = ps->tok.col;
        if (sg_rules_is_word(ps, "pattern")) {
            if (sg_rules_lex(ps) < 0)
                goto out;
            char *p = expect_text(ps, "a pattern string after 'pattern'");
            if (p == NULL)
                goto out;
            const char *cerr;
            pcre2_code *test = sg_rules_compile(p, false, &cerr);
            if (test == NULL) {
                sg_rules_fail_at(ps, fl, fc,
                                 "expected a valid PCRE2 pattern: %s", cerr);
                free(p);
                goto out;
            }
            pcre2_code_free(test);
            int e = sg_buf_printf(&pat, "%s(?:%s)", pat.len ? "|" : "", p);
            free(p);
            if (e < 0) {
                sg_rules_fail_at(ps, fl, fc, "out of memory");
                goto out;
            }
        } else if (sg_rules_is_word(ps, "words")) {
            if (sg_rules_lex(ps) < 0)
                goto out;
            if (parse_items(ps, "a word or phrase (string) after 'words'",
                            add_escaped_word, &words) < 0)
                goto out;
        } else if (sg_rules_is_word(ps, "ignore-case")) {
            caseless = true;
            if (sg_rules_lex(ps) < 0)
                goto out;
        } else if (sg_rules_is_word(ps, "describe")) {
            if (sg_rules_lex(ps) < 0)
                goto out;
            free(d.describe);
            d.describe = expect_text(ps, "a description string");
            if (d.describe == NULL)
                goto out;
        } else if (sg_rules_is_word(ps, "validate")) {
            if (sg_rules_lex(ps) < 0)
                goto out;
            size_t i;
            for (i = 0; i < sizeof(validators) / sizeof(validators[0]); i++)
                if (sg_rules_is_word(ps, validators[i].name))
                    break;
            if (i == sizeof(validators) / sizeof(validators[0])) {
                sg_rules_expected(
                    ps, "a validator: none, luhn, upn, nhs-number, "
                        "uln, uk-mobile, uk-landline or personal-email");
                goto out;
            }
            d.validate = validators[i].v;
            if (sg_rules_lex(ps) < 0)
                goto out;
        } else {
            sg_rules_expected(ps,
                              "a detector field (pattern, words, ignore-case, "
                              "validate, describe) or '}'");
            goto out;
        }
    }
    if (words.len > 0) {
        if (sg_buf_printf(&pat, "%s(?i:(?<!\\w)(?:%s)(?!\\w))",
                          pat.len ? "|" : "", words.data) < 0) {
            sg_rules_fail_at(ps, line, col, "out of memory");
            goto out;
        }
    }
    if (pat.len == 0) {
        sg_rules_expected(ps,
                          "at least one 'pattern' or 'words' in the detector");
        goto out;
    }
    const char *cerr;
    d.re = sg_rules_compile(pat.data, caseless, &cerr);
    if (d.re == NULL) {
        sg_rules_fail_at(ps, line, col, "expected a valid PCRE2 pattern: %s",
                         cerr);
        goto out;
    }
    if (d.describe == NULL) {
        d.describe = malloc(strlen(d.name) + 16);
        if (d.describe == NULL) {
            sg_rules_fail_at(ps, line, col, "out of memory");
            goto out;
        }
        sprintf(d.describe, "a match for %s", d.name);
    }
    struct detector *grown =
        realloc(ps->rules->detectors,
                (ps->rules->n_detectors + 1) * sizeof(*grown));
    if (grown == NULL) {
        sg_rules_fail_at(ps, line, col, "out of memory");
        goto out;
    }
    ps->rules->detectors = grown;
    grown[ps->rules->n_detectors++] = d;
    memset(&d, 0, sizeof(d));
    rc = sg_rules_lex(ps); /* past '}' */
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
    sg_rules_strv_clear(&c->from.roles);
    sg_rules_strv_clear(&c->from.addrs);
    sg_rules_strv_clear(&c->to.set.roles);
    sg_rules_strv_clear(&c->to.set.addrs);
    free(c->items);
    sg_rules_strv_clear(&c->types);
    sg_rules_strv_clear(&c->exts);
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
            return sg_rules_fail_at(ps, line, col, "out of memory");
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        int r = sg_rules_strv_add(&set->addrs, lower);
        free(lower);
        if (r < 0)
            return sg_rules_fail_at(ps, line, col, "out of memory");
        return 0;
    }
    if (!quoted && !valid_name(item))
        return sg_rules_fail_at(ps, line, col,
                                "expected a role or a quoted address, found "
                                "'%s'",
                                item);
    if (item[0] == '\0')
        return sg_rules_fail_at(ps, line, col,
                                "expected a role or a quoted address, found "
                                "\"\"");
    if (ps->rules->known_roles != NULL && strcasecmp(item, "anyone") != 0 &&
        strcasecmp(item, SG_ROLE_EXTERNAL) != 0 &&
        strcasecmp(item, SG_ROLE_OUTSIDE) != 0 &&
        !sg_strv_has(ps->rules->known_roles, ps->rules->n_known_roles, item)) {
        char known[300];
        return sg_rules_fail_at(
            ps, line, col,
            "expected a known role (%s, anyone, external, outside; a site's "
            "own roles "
            "are declared with roles = ...) or a quoted address, found '%s'",
            sg_strv_join(ps->rules->known_roles, ps->rules->n_known_roles,
                         ", ", known, sizeof(known)),
            item);
    }
    if (sg_rules_strv_add(&set->roles, item) < 0)
        return sg_rules_fail_at(ps, line, col, "out of memory");
    return 0;
}

static int
parse_channels(struct parser *ps, unsigned *ch, bool sender)
{
    for (;;) {
        if (sg_rules_is_word(ps, "school"))
            *ch |= CH_SCHOOL;
        else if (sg_rules_is_word(ps, "personal"))
            *ch |= CH_PERSONAL;
        else if (sg_rules_is_word(ps, "external"))
            *ch |= CH_EXTERNAL;
        else if (sender && sg_rules_is_word(ps, "display-name"))
            *ch |= CH_DISPLAY_NAME;
        else if (sender && sg_rules_is_word(ps, "spoofed"))
            *ch |= CH_SPOOFED;
        else
            return sg_rules_expected(
                ps, sender ? "a channel: school, personal, "
                             "external, display-name or spoofed"
                           : "a channel: school, personal or "
                             "external");
        if (sg_rules_lex(ps) < 0)
            return -1;
        if (ps->tok.type != T_COMMA)
            return 0;
        if (sg_rules_lex(ps) < 0)
            return -1;
    }
}

/* PARTIES [via CHANNELS], of the sender or of recipients. */
static int
parse_parties(struct parser *ps, const char *what, struct partyset *set,
              bool sender)
{
    if (parse_items(ps, what, add_party_item, set) < 0)
        return -1;
    if (!sg_rules_is_word(ps, "via"))
        return 0;
    if (sg_rules_lex(ps) < 0)
        return -1;
    return parse_channels(ps, &set->channels, sender);
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
        if (sg_rules_is_word(ps, "outside") ||
            sg_rules_is_word(ps, "between")) {
            ti.kind = sg_rules_is_word(ps, "outside") ? T_OUTSIDE : T_BETWEEN;
            if (sg_rules_lex(ps) < 0)
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
                return sg_rules_expected(ps, "a time range HH:MM-HH:MM");
            if (ti.from_min >= ti.to_min)
                return sg_rules_fail_at(ps, ps->tok.line, ps->tok.col,
                                        "expected a time range whose start is "
                                        "before its end, found '%s'",
                                        ps->tok.str);
        } else if (sg_rules_is_word(ps, "weekend")) {
            ti.kind = T_DAYS;
            ti.days = 1u | 1u << 6;
        } else if (sg_rules_is_word(ps, "weekday")) {
            ti.kind = T_DAYS;
            ti.days = 0x3eu;
        } else {
            int d;
            for (d = 0; d < 7; d++)
                if (sg_rules_is_word(ps, daynames[d]))
                    break;
            if (d == 7)
                return sg_rules_expected(
                    ps, "a time condition: outside HH:MM-HH:MM, "
                        "between HH:MM-HH:MM, weekend, weekday or a "
                        "day (mon, tue, wed, thu, fri, sat, sun)");
            ti.kind = T_DAYS;
            ti.days = 1u << d;
        }
        struct timeitem *g =
            realloc(c->times, (c->n_times + 1) * sizeof(*g));
        if (g == NULL)
            return sg_rules_fail_at(ps, ps->tok.line, ps->tok.col,
                                    "out of memory");
        c->times = g;
        g[c->n_times++] = ti;
        if (sg_rules_lex(ps) < 0)
            return -1;
        if (ps->tok.type != T_COMMA)
            return 0;
        if (sg_rules_lex(ps) < 0)
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
        return sg_rules_fail_at(ps, line, col, "out of memory");
    for (char *p = lower; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    int r;
    if (lower[0] == '\0') {
        free(lower);
        return sg_rules_fail_at(
            ps, line, col,
            "expected a content type (image/*) or an extension "
            "(.jpg), found \"%s\"",
            item);
    }
    if (strchr(lower, '/') != NULL)
        r = sg_rules_strv_add(&c->types, lower);
    else
        r = sg_rules_strv_add(&c->exts, lower);
    free(lower);
    if (r < 0)
        return sg_rules_fail_at(ps, line, col, "out of memory");
    return 0;
}

/* After the attachment condition's items: qualifiers, each perhaps after
 * 'not', that must all hold (attachment image/... not small). */
static int
parse_image_qualifiers(struct parser *ps, struct cond *c)
{
    static const struct {
        const char *word;
        unsigned bit;
    } quals[] = {{"inline", IMG_INLINE}, {"small", IMG_SMALL},
                 {"photo", IMG_PHOTO}};
    for (;;) {
        unsigned line = ps->tok.line, col = ps->tok.col;
        bool neg = sg_rules_is_word(ps, "not");
        if (neg && sg_rules_lex(ps) < 0)
            return -1;
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof(quals) / sizeof(quals[0]); i++)
            if (sg_rules_is_word(ps, quals[i].word))
                bit = quals[i].bit;
        if (bit == 0) {
            if (neg)
                return sg_rules_expected(ps, "'inline', 'small' or 'photo' "
                                             "after 'not'");
            return 0;
        }
        if ((c->img_is | c->img_not) & bit)
            return sg_rules_fail_at(ps, line, col,
                                    "'%s' is said twice in one attachment "
                                    "condition",
                                    ps->tok.str);
        if (neg)
            c->img_not |= bit;
        else
            c->img_is |= bit;
        if (sg_rules_lex(ps) < 0)
            return -1;
    }
}

static int
parse_uint(struct parser *ps, unsigned *v, const char *what)
{
    if (ps->tok.type != T_WORD)
        return sg_rules_expected(ps, what);
    char *end;
    errno = 0;
    unsigned long n = strtoul(ps->tok.str, &end, 10);
    if (!isdigit((unsigned char)ps->tok.str[0]) || *end != '\0' ||
        errno != 0 || n > 100000)
        return sg_rules_expected(ps, what);
    *v = (unsigned)n;
    return sg_rules_lex(ps);
}

/* Parse one condition starting at its keyword; 1 if the current token is
 * not a condition keyword (nothing consumed), 0 parsed, -1 error. */
static int
parse_cond(struct parser *ps, struct cond *c)
{
    memset(c, 0, sizeof(*c));
    if (sg_rules_is_word(ps, "from")) {
        c->kind = C_FROM;
        if (sg_rules_lex(ps) < 0)
            return -1;
        return parse_parties(ps, "a role or a quoted address after 'from'",
                             &c->from, true);
    }
    if (sg_rules_is_word(ps, "to")) {
        c->kind = C_TO;
        if (sg_rules_lex(ps) < 0)
            return -1;
        if (sg_rules_is_word(ps, "any") || sg_rules_is_word(ps, "all") ||
            sg_rules_is_word(ps, "none")) {
            c->to.q = sg_rules_is_word(ps, "any")   ? Q_ANY
                      : sg_rules_is_word(ps, "all") ? Q_ALL
                                                    : Q_NONE;
            if (sg_rules_lex(ps) < 0)
                return -1;
        }
        return parse_parties(ps, "a role or a quoted address after 'to'",
                             &c->to.set, false);
    }
    if (sg_rules_is_word(ps, "recipients")) {
        c->kind = C_RECIPIENTS;
        if (sg_rules_lex(ps) < 0)
            return -1;
        /* recipients [PARTIES [via CHANNELS]] [OP] N: with parties, only
         * the recipients that match them count, and the operator may be
         * left out ("recipients pupil 1" is "= 1"). */
        bool parties = ps->tok.type != T_OP &&
                       !(ps->tok.type == T_WORD &&
                         isdigit((unsigned char)ps->tok.str[0]));
        if (parties &&
            parse_parties(ps, "a comparison (=, !=, <, <=, >, >=) or the "
                              "roles to count after 'recipients'",
                          &c->to.set, false) < 0)
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
        c->cmp = CMP_EQ;
        if (i < sizeof(ops) / sizeof(ops[0])) {
            c->cmp = ops[i].c;
            if (sg_rules_lex(ps) < 0)
                return -1;
        } else if (!parties || ps->tok.type != T_WORD ||
                   !isdigit((unsigned char)ps->tok.str[0])) {
            return sg_rules_expected(
                ps, parties ? "a comparison (=, !=, <, <=, >, >=) or a "
                              "number after the roles to count"
                            : "a comparison (=, !=, <, <=, >, >=) after "
                              "'recipients'");
        }
        return parse_uint(ps, &c->count, "a number of recipients");
    }
    if (sg_rules_is_word(ps, "content")) {
        c->kind = C_CONTENT;
        if (sg_rules_lex(ps) < 0)
            return -1;
        for (;;) {
            if (ps->tok.type != T_WORD)
                return sg_rules_expected(ps, "a detector name after 'content'");
            size_t di = sg_rules_detector_find(ps->rules, ps->tok.str);
            if (di == (size_t)-1)
                return sg_rules_fail_at(
                    ps, ps->tok.line, ps->tok.col,
                    "expected a built-in detector or one defined "
                    "earlier, found unknown detector '%s'",
                    ps->tok.str);
            struct contentitem *g =
                realloc(c->items, (c->n_items + 1) * sizeof(*g));
            if (g == NULL)
                return sg_rules_fail_at(ps, ps->tok.line, ps->tok.col,
                                        "out of memory");
            c->items = g;
            g[c->n_items].det = di;
            g[c->n_items].min = 1;
            ps->rules->detectors[di].used = true;
            if (sg_rules_lex(ps) < 0)
                return -1;
            if (ps->tok.type == T_OP) {
                if (strcmp(ps->tok.str, ">=") != 0)
                    return sg_rules_expected(ps, "'>=' (at least N findings)");
                if (sg_rules_lex(ps) < 0)
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
            if (sg_rules_lex(ps) < 0)
                return -1;
        }
        c->scope = SC_ALL;
        if (sg_rules_is_word(ps, "in")) {
            c->scope = 0;
            if (sg_rules_lex(ps) < 0)
                return -1;
            for (;;) {
                if (sg_rules_is_word(ps, "subject"))
                    c->scope |= SC_SUBJECT;
                else if (sg_rules_is_word(ps, "body"))
                    c->scope |= SC_BODY;
                else if (sg_rules_is_word(ps, "attachments"))
                    c->scope |= SC_ATTACHMENTS;
                else if (sg_rules_is_word(ps, "filenames"))
                    c->scope |= SC_FILENAMES;
                else if (sg_rules_is_word(ps, "reply-to"))
                    c->scope |= SC_REPLY_TO;
                else if (sg_rules_is_word(ps, "names"))
                    c->scope |= SC_NAMES;
                else
                    return sg_rules_expected(ps, "a place: subject, body, "
                                                 "attachments, filenames, "
                                                 "reply-to or names");
                if (sg_rules_lex(ps) < 0)
                    return -1;
                if (ps->tok.type != T_COMMA)
                    break;
                if (sg_rules_lex(ps) < 0)
                    return -1;
            }
        }
        if (sg_rules_is_word(ps, "not")) {
            if (sg_rules_lex(ps) < 0)
                return -1;
            if (!sg_rules_is_word(ps, "quoted"))
                return sg_rules_expected(ps, "'quoted' after 'not'");
            c->not_quoted = true;
            return sg_rules_lex(ps);
        }
        return 0;
    }
    if (sg_rules_is_word(ps, "attachment")) {
        c->kind = C_ATTACHMENT;
        if (sg_rules_lex(ps) < 0)
            return -1;
        if (parse_items(ps,
                        "a content type (image/*) or an extension (.jpg) "
                        "after 'attachment'",
                        add_attach_item, c) < 0)
            return -1;
        return parse_image_qualifiers(ps, c);
    }
    if (sg_rules_is_word(ps, "time")) {
        c->kind = C_TIME;
        if (sg_rules_lex(ps) < 0)
            return -1;
        return parse_time_items(ps, c);
    }
    if (sg_rules_is_word(ps, "inspection")) {
        c->kind = C_INCOMPLETE;
        if (sg_rules_lex(ps) < 0)
            return -1;
        if (!sg_rules_is_word(ps, "incomplete"))
            return sg_rules_expected(ps, "'incomplete' after 'inspection'");
        return sg_rules_lex(ps);
    }
    return 1;
}

/* ------------------------------------------------------------ rules */
void
sg_rules_rule_clear(struct rule *r)
{
    free(r->id);
    free(r->title);
    free(r->policy);
    free(r->source);
    sg_rules_strv_clear(&r->notify);
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
        return sg_rules_fail_at(ps, line, col,
                                "'%s' is given twice in this rule", kw);
    *field = expect_text(ps, what);
    return *field == NULL ? -1 : 0;
}

static int
check_template(struct parser *ps, const char *tmpl, unsigned line,
               unsigned col)
{
    const char *bad;
    if (sg_explain_check(tmpl, &bad) < 0)
        return sg_rules_fail_at(
            ps, line, col,
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
           c->kind == C_INCOMPLETE ||
           (c->kind == C_FROM && (c->from.channels & CH_DISPLAY_NAME));
}

static int
parse_rule(struct parser *ps)
{
    unsigned line = ps->tok.line;
    if (sg_rules_lex(ps) < 0)
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
            sg_rules_fail_at(
                ps, nline, ncol, "rule '%s' is already defined at %s:%u", r.id,
                ps->rules->rules[i].file, ps->rules->rules[i].line);
            goto fail;
        }
    r.file = strdup(ps->name);
    if (r.file == NULL) {
        sg_rules_fail_at(ps, nline, ncol, "out of memory");
        goto fail;
    }
    if (ps->tok.type != T_LBRACE) {
        sg_rules_expected(ps, "'{' after the rule name");
        goto fail;
    }
    if (sg_rules_lex(ps) < 0)
        goto fail;
    while (ps->tok.type != T_RBRACE) {
        unsigned fl = ps->tok.line, fc = ps->tok.col;
        struct cond c;
        if (sg_rules_is_word(ps, "title") || sg_rules_is_word(ps, "policy") ||
            sg_rules_is_word(ps, "source") || sg_rules_is_word(ps, "explain") ||
            sg_rules_is_word(ps, "explain-dsl")) {
            char kw[16];
            snprintf(kw, sizeof(kw), "%s", ps->tok.str);
            char **field = strcmp(kw, "title") == 0    ? &r.title
                           : strcmp(kw, "policy") == 0 ? &r.policy
                           : strcmp(kw, "source") == 0 ? &r.source
                           : strcmp(kw, "explain") == 0
                               ? &r.explain
                               : &r.explain_dsl;
            if (sg_rules_lex(ps) < 0)
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
        if (sg_rules_is_word(ps, "mode")) {
            if (sg_rules_lex(ps) < 0)
                goto fail;
            if (sg_rules_is_word(ps, "enforce"))
                r.mode = SG_MODE_ENFORCE;
            else if (sg_rules_is_word(ps, "test"))
                r.mode = SG_MODE_TEST;
            else {
                sg_rules_expected(ps, "'enforce' or 'test' after 'mode'");
                goto fail;
            }
            if (sg_rules_lex(ps) < 0)
                goto fail;
            continue;
        }
        if (sg_rules_is_word(ps, "action")) {
            if (r.has_action) {
                sg_rules_fail_at(ps, fl, fc,
                                 "'action' is given twice in this rule");
                goto fail;
            }
            if (sg_rules_lex(ps) < 0)
                goto fail;
            if (ps->tok.type != T_WORD ||
                sg_action_parse(ps->tok.str, &r.action) < 0) {
                sg_rules_expected(
                    ps, "an action: accept, annotate, journal, hold or "
                        "reject");
                goto fail;
            }
            r.has_action = true;
            if (sg_rules_lex(ps) < 0)
                goto fail;
            continue;
        }
        if (sg_rules_is_word(ps, "notify")) {
            if (sg_rules_lex(ps) < 0)
                goto fail;
            if (parse_items(ps, "sender, dsl or a quoted address after "
                                "'notify'",
                            add_notify_item, &r.notify) < 0)
                goto fail;
            continue;
        }
        if (sg_rules_is_word(ps, "except")) {
            if (sg_rules_lex(ps) < 0)
                goto fail;
            int pr = parse_cond(ps, &c);
            if (pr < 0) {
                cond_clear(&c);
                goto fail;
            }
            if (pr == 1) {
                if (sg_rules_is_word(ps, "register") && sg_rules_lex(ps) < 0)
                    goto fail;
                memset(&c, 0, sizeof(c));
                c.kind = C_REGISTER;
                c.reg_name = expect_name(
                    ps, "a condition (from, to, recipients, content, "
                        "attachment, time, inspection) or an exceptions "
                        "register name after 'except'");
                if (c.reg_name == NULL)
                    goto fail;
            }
            if (push_cond(&r.excepts, &r.n_excepts, &c) < 0) {
                cond_clear(&c);
                sg_rules_fail_at(ps, fl, fc, "out of memory");
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
            sg_rules_expected(
                ps, "a rule field (title, policy, source, mode, from, "
                    "to, recipients, content, attachment, time, "
                    "inspection, except, action, notify, explain, "
                    "explain-dsl) or '}'");
            goto fail;
        }
        if (c.kind == C_TO && c.to.q != Q_NONE) {
            for (size_t i = 0; i < r.n_conds; i++)
                if (r.conds[i].kind == C_TO && r.conds[i].to.q != Q_NONE) {
                    cond_clear(&c);
                    sg_rules_fail_at(
                        ps, fl, fc,
                        "expected one 'to any' or 'to all' per rule "
                        "(put the roles in one list; 'to none' may be "
                        "repeated)");
                    goto fail;
                }
        }
        if (push_cond(&r.conds, &r.n_conds, &c) < 0) {
            cond_clear(&c);
            sg_rules_fail_at(ps, fl, fc, "out of memory");
            goto fail;
        }
    }
    if (!r.has_action) {
        sg_rules_fail_at(ps, ps->tok.line, ps->tok.col,
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
        sg_rules_fail_at(ps, line, 1, "out of memory");
        goto fail;
    }
    ps->rules->rules = g;
    g[ps->rules->n_rules++] = r;
    return sg_rules_lex(ps);
fail:
    sg_rules_rule_clear(&r);
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
    if (sg_rules_lex(ps) < 0)
        return -1;
    if (ps->tok.type != T_STRING)
        return sg_rules_expected(ps, "a file name string after 'include'");
    if (ps->depth + 1 > ps->max_depth)
        return sg_rules_fail_at(
            ps, line, col,
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
        return sg_rules_fail_at(ps, line, col, "out of memory");
    const char *err;
    int r = sg_rules_parse_file(ps->rules, path, ps->depth + 1, ps->max_depth,
                                &err);
    free(path);
    if (r < 0) {
        /* The inner message names the inner file; say where it came from. */
        char inner[700];
        snprintf(inner, sizeof(inner), "%s", err);
        return sg_rules_fail_at(ps, line, col, "in included file: %s", inner);
    }
    return sg_rules_lex(ps);
}

static int
parse_top(struct parser *ps)
{
    if (sg_rules_lex(ps) < 0)
        return -1;
    while (ps->tok.type != T_EOF) {
        int r;
        if (sg_rules_is_word(ps, "rule"))
            r = parse_rule(ps);
        else if (sg_rules_is_word(ps, "detector"))
            r = parse_detector(ps);
        else if (sg_rules_is_word(ps, "list"))
            r = parse_list(ps);
        else if (sg_rules_is_word(ps, "include"))
            r = parse_include(ps);
        else if (sg_rules_is_word(ps, "mode")) {
            if (sg_rules_lex(ps) < 0)
                return -1;
            if (sg_rules_is_word(ps, "enforce"))
                ps->rules->mode = SG_MODE_ENFORCE;
            else if (sg_rules_is_word(ps, "test"))
                ps->rules->mode = SG_MODE_TEST;
            else
                return sg_rules_expected(ps,
                                         "'enforce' or 'test' after 'mode'");
            r = sg_rules_lex(ps);
        } else
            r = sg_rules_expected(ps,
                                  "'rule', 'detector', 'list', 'include' or "
                                  "'mode'");
        if (r < 0)
            return -1;
    }
    return 0;
}

int
sg_rules_parse_text(struct sg_rules *rules, const char *text, size_t len,
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
sg_rules_parse_file(struct sg_rules *rules, const char *path, unsigned depth,
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
    int r = sg_rules_parse_text(rules, b.data ? b.data : "", b.len, path, dir,
                                depth, max_depth, error_r);
    free(dir);
    sg_buf_free(&b);
    return r;
}
