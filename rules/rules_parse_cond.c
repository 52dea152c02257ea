/*
 * rules_parse_cond.c - the conditions of the rules language
 * (safeguard-rules(5), CONDITIONS): from, to, recipients, content,
 * attachment, time and inspection, as they stand in a rule or after
 * 'except'; and what a parsed condition says about when it can be decided.
 *
 * Conditions are read through a table (cond_keys): keyword, the kind of
 * condition, parser function, and the field of struct cond it fills.  The
 * words inside a condition (channels, places, days, quantifiers,
 * comparisons, image qualifiers) are tables of word and value.
 *
 * SECURITY: the rules file is written by the mail admin (trusted), but it
 * is still parsed defensively: numbers are bounded, roles are checked
 * against the known ones, nothing from the file is executed.
 * Fails by returning -1 with "FILE:LINE:COL: expected ..." in the
 * thread's error text; the caller frees a half-built condition
 * (sg_rules_cond_clear).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "rules_lex.h"

struct cond_key;
/* Read a condition after its keyword into c; 0 or -1. */
typedef int cond_key_fn(struct parser *ps, struct cond *c,
                        const struct cond_key *k);

struct cond_key {
    const char *word;
    enum cond_kind kind;
    cond_key_fn *parse;
    size_t field; /* offsetof the field of struct cond it fills */
};

void
sg_rules_cond_clear(struct cond *c)
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

/* Record role in the set's tests (struct partyset): anyone, external,
 * outside, and its bit in the rule set's role_names (added there if it
 * is new).  0 or -1 (allocation). */
static int
add_role_bit(struct sg_rules *rules, struct partyset *set, const char *role)
{
    if (strcasecmp(role, "anyone") == 0) {
        set->anyone = true;
        return 0;
    }
    if (strcasecmp(role, SG_ROLE_OUTSIDE) == 0)
        set->outside = set->nobody_known = true;
    else if (strcasecmp(role, SG_ROLE_EXTERNAL) == 0)
        set->nobody_known = true;
    size_t bit = sg_rules_strv_index_ci(&rules->role_names, role);
    if (bit == rules->role_names.n &&
        sg_rules_strv_add(&rules->role_names, role) < 0)
        return -1;
    if (bit < 64)
        set->role_bits |= UINT64_C(1) << bit;
    else
        set->role_names_full = true;
    return 0;
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
    if (!quoted && !sg_rules_valid_name(item))
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
            sg_strv_join(ps->rules->known_roles, ps->rules->n_known_roles, ", ",
                         known, sizeof(known)),
            item);
    }
    if (sg_rules_strv_add(&set->roles, item) < 0 ||
        add_role_bit(ps->rules, set, item) < 0)
        return sg_rules_fail_at(ps, line, col, "out of memory");
    return 0;
}

/* The channels a party is reached through; the last two only of a sender. */
static const struct sg_rules_word channels[] = {
    {"school", CH_SCHOOL},     {"personal", CH_PERSONAL},
    {"external", CH_EXTERNAL}, {"display-name", CH_DISPLAY_NAME},
    {"spoofed", CH_SPOOFED},
};
#define RCPT_CHANNELS 3

static int
parse_channels(struct parser *ps, unsigned *ch, bool sender)
{
    size_t n = sender ? SG_RULES_N(channels) : RCPT_CHANNELS;
    int more;
    do {
        unsigned bit;
        if (sg_rules_expect_word(ps, "a channel", channels, n, &bit) < 0)
            return -1;
        *ch |= bit;
    } while ((more = sg_rules_list_next(ps)) == 1);
    return more;
}

/* PARTIES [via CHANNELS], of the sender or of recipients. */
static int
parse_parties(struct parser *ps, const char *what, struct partyset *set,
              bool sender)
{
    if (sg_rules_parse_items(ps, what, add_party_item, set) < 0)
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

/* The days a time condition names (bit 0 Sunday .. bit 6 Saturday). */
static const struct sg_rules_word day_words[] = {
    {"weekend", 1u | 1u << 6}, {"weekday", 0x3eu}, {"sun", 1u << 0},
    {"mon", 1u << 1},          {"tue", 1u << 2},   {"wed", 1u << 3},
    {"thu", 1u << 4},          {"fri", 1u << 5},   {"sat", 1u << 6},
};

/* outside|between HH:MM-HH:MM, after the word. */
static int
parse_time_range(struct parser *ps, struct timeitem *ti)
{
    ti->kind = sg_rules_is_word(ps, "outside") ? T_OUTSIDE : T_BETWEEN;
    if (sg_rules_lex(ps) < 0)
        return -1;
    const char *dash = ps->tok.type == T_WORD ? strchr(ps->tok.str, '-') : NULL;
    char a[8] = "", b[8] = "";
    if (dash != NULL && dash - ps->tok.str < 8 && strlen(dash + 1) < 8) {
        memcpy(a, ps->tok.str, (size_t)(dash - ps->tok.str));
        strcpy(b, dash + 1);
    }
    if (dash == NULL || parse_hhmm(a, &ti->from_min) < 0 ||
        parse_hhmm(b, &ti->to_min) < 0)
        return sg_rules_expected(ps, "a time range HH:MM-HH:MM");
    if (ti->from_min >= ti->to_min)
        return sg_rules_fail_at(ps, ps->tok.line, ps->tok.col,
                                "expected a time range whose start is "
                                "before its end, found '%s'",
                                ps->tok.str);
    return 0;
}

/* time ITEM, ITEM ...: ranges and days, ORed. */
static int
cond_time(struct parser *ps, struct cond *c, const struct cond_key *k)
{
    (void)k;
    int more;
    do {
        struct timeitem ti;
        memset(&ti, 0, sizeof(ti));
        if (sg_rules_is_word(ps, "outside") ||
            sg_rules_is_word(ps, "between")) {
            if (parse_time_range(ps, &ti) < 0)
                return -1;
        } else if (sg_rules_word_value(ps, day_words, SG_RULES_N(day_words),
                                       &ti.days) == 0) {
            ti.kind = T_DAYS;
        } else {
            return sg_rules_expected(
                ps, "a time condition: outside HH:MM-HH:MM, "
                    "between HH:MM-HH:MM, weekend, weekday or a "
                    "day (mon, tue, wed, thu, fri, sat, sun)");
        }
        struct timeitem *g = realloc(c->times, (c->n_times + 1) * sizeof(*g));
        if (g == NULL)
            return sg_rules_fail_at(ps, ps->tok.line, ps->tok.col,
                                    "out of memory");
        c->times = g;
        g[c->n_times++] = ti;
    } while ((more = sg_rules_list_next(ps)) == 1);
    return more;
}

static int
add_attach_item(struct parser *ps, void *ctx, const char *item, unsigned line,
                unsigned col, bool quoted)
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
    } quals[] = {
        {"inline", IMG_INLINE}, {"small", IMG_SMALL}, {"photo", IMG_PHOTO}};
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
    if (!isdigit((unsigned char)ps->tok.str[0]) || *end != '\0' || errno != 0 ||
        n > 100000)
        return sg_rules_expected(ps, what);
    *v = (unsigned)n;
    return sg_rules_lex(ps);
}

/* from PARTIES [via CHANNELS] */
static int
cond_from(struct parser *ps, struct cond *c, const struct cond_key *k)
{
    return parse_parties(ps, "a role or a quoted address after 'from'",
                         SG_RULES_FIELD(c, k, struct partyset), true);
}

static const struct sg_rules_word quantifiers[] = {
    {"any", Q_ANY},
    {"all", Q_ALL},
    {"none", Q_NONE},
};

/* to [any|all|none] PARTIES [via CHANNELS] */
static int
cond_to(struct parser *ps, struct cond *c, const struct cond_key *k)
{
    unsigned q;
    if (sg_rules_word_value(ps, quantifiers, SG_RULES_N(quantifiers), &q) ==
        0) {
        c->to.q = (enum quant)q;
        if (sg_rules_lex(ps) < 0)
            return -1;
    }
    return parse_parties(ps, "a role or a quoted address after 'to'",
                         SG_RULES_FIELD(c, k, struct partyset), false);
}

static const struct {
    const char *op;
    enum cmp c;
} ops[] = {{"=", CMP_EQ},  {"==", CMP_EQ}, {"!=", CMP_NE}, {"<", CMP_LT},
           {"<=", CMP_LE}, {">", CMP_GT},  {">=", CMP_GE}};

/* recipients [PARTIES [via CHANNELS]] [OP] N: with parties, only the
 * recipients that match them count, and the operator may be left out
 * ("recipients pupil 1" is "= 1"). */
static int
cond_recipients(struct parser *ps, struct cond *c, const struct cond_key *k)
{
    bool parties =
        ps->tok.type != T_OP &&
        !(ps->tok.type == T_WORD && isdigit((unsigned char)ps->tok.str[0]));
    if (parties &&
        parse_parties(ps,
                      "a comparison (=, !=, <, <=, >, >=) or the "
                      "roles to count after 'recipients'",
                      SG_RULES_FIELD(c, k, struct partyset), false) < 0)
        return -1;
    size_t i;
    for (i = 0; i < SG_RULES_N(ops); i++)
        if (ps->tok.type == T_OP && strcmp(ps->tok.str, ops[i].op) == 0)
            break;
    c->cmp = CMP_EQ;
    if (i < SG_RULES_N(ops)) {
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

/* One item of a content condition: DETECTOR [>= N]. */
static int
content_item(struct parser *ps, struct cond *c)
{
    if (ps->tok.type != T_WORD)
        return sg_rules_expected(ps, "a detector name after 'content'");
    size_t di = sg_rules_detector_find(ps->rules, ps->tok.str);
    if (di == (size_t)-1)
        return sg_rules_fail_at(ps, ps->tok.line, ps->tok.col,
                                "expected a built-in detector or one defined "
                                "earlier, found unknown detector '%s'",
                                ps->tok.str);
    struct contentitem *g = realloc(c->items, (c->n_items + 1) * sizeof(*g));
    if (g == NULL)
        return sg_rules_fail_at(ps, ps->tok.line, ps->tok.col, "out of memory");
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
    return 0;
}

/* The places a content condition reads. */
static const struct sg_rules_word places[] = {
    {"subject", SC_SUBJECT},         {"body", SC_BODY},
    {"attachments", SC_ATTACHMENTS}, {"filenames", SC_FILENAMES},
    {"reply-to", SC_REPLY_TO},       {"names", SC_NAMES},
};

/* in PLACE, PLACE ...: after 'in'. */
static int
content_places(struct parser *ps, unsigned *scope)
{
    int more;
    do {
        unsigned bit;
        if (sg_rules_expect_word(ps, "a place", places, SG_RULES_N(places),
                                 &bit) < 0)
            return -1;
        *scope |= bit;
    } while ((more = sg_rules_list_next(ps)) == 1);
    return more;
}

/* content DETECTOR [>= N], ... [in PLACES] [not quoted] */
static int
cond_content(struct parser *ps, struct cond *c, const struct cond_key *k)
{
    (void)k;
    int more;
    do {
        if (content_item(ps, c) < 0)
            return -1;
        more = 0;
        if (ps->tok.type == T_COMMA) {
            if (sg_rules_lex(ps) < 0)
                return -1;
            more = 1;
        }
    } while (more);
    c->scope = SC_ALL;
    if (sg_rules_is_word(ps, "in")) {
        c->scope = 0;
        if (sg_rules_lex(ps) < 0 || content_places(ps, &c->scope) < 0)
            return -1;
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

/* attachment TYPES-OR-EXTENSIONS [[not] inline|small|photo ...] */
static int
cond_attachment(struct parser *ps, struct cond *c, const struct cond_key *k)
{
    (void)k;
    if (sg_rules_parse_items(ps,
                             "a content type (image/*) or an extension "
                             "(.jpg) after 'attachment'",
                             add_attach_item, c) < 0)
        return -1;
    return parse_image_qualifiers(ps, c);
}

/* inspection incomplete */
static int
cond_inspection(struct parser *ps, struct cond *c, const struct cond_key *k)
{
    (void)c;
    (void)k;
    if (!sg_rules_is_word(ps, "incomplete"))
        return sg_rules_expected(ps, "'incomplete' after 'inspection'");
    return sg_rules_lex(ps);
}

/* The conditions, in the order the messages list them. */
static const struct cond_key cond_keys[] = {
    {"from", C_FROM, cond_from, offsetof(struct cond, from)},
    {"to", C_TO, cond_to, offsetof(struct cond, to.set)},
    {"recipients", C_RECIPIENTS, cond_recipients,
     offsetof(struct cond, to.set)},
    {"content", C_CONTENT, cond_content, offsetof(struct cond, items)},
    {"attachment", C_ATTACHMENT, cond_attachment, offsetof(struct cond, types)},
    {"time", C_TIME, cond_time, offsetof(struct cond, times)},
    {"inspection", C_INCOMPLETE, cond_inspection, offsetof(struct cond, kind)},
};
_Static_assert(SG_RULES_N(cond_keys) <= SG_RULES_MAX_CONDS,
               "sg_rules_cond_words fills SG_RULES_MAX_CONDS words");

size_t
sg_rules_cond_words(const char **words)
{
    for (size_t i = 0; i < SG_RULES_N(cond_keys); i++)
        words[i] = cond_keys[i].word;
    return SG_RULES_N(cond_keys);
}

int
sg_rules_parse_cond(struct parser *ps, struct cond *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < SG_RULES_N(cond_keys); i++) {
        const struct cond_key *k = &cond_keys[i];
        if (!sg_rules_is_word(ps, k->word))
            continue;
        c->kind = k->kind;
        if (sg_rules_lex(ps) < 0)
            return -1;
        return k->parse(ps, c, k);
    }
    return 1;
}

/* ------------------------------------------------------------ deciding */
bool
sg_rules_cond_rcpt_decidable(const struct cond *c)
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

bool
sg_rules_cond_needs_view(const struct cond *c)
{
    return c->kind == C_CONTENT || c->kind == C_ATTACHMENT ||
           c->kind == C_INCOMPLETE ||
           (c->kind == C_FROM && (c->from.channels & CH_DISPLAY_NAME));
}
