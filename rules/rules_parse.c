/*
 * rules_parse.c - the parser of the rules language (safeguard-rules(5)):
 * rule, detector, list and include blocks, read from a file or a string
 * into the internal structures of a rule set (rules_int.h).  Conditions
 * are read in rules_parse_cond.c, detector blocks in
 * rules_parse_detector.c.
 *
 * Each block is read through a table of its keywords (top_keys,
 * rule_keys): keyword, parser function, and the field it sets.
 *
 * SECURITY: the rules file is written by the mail admin (trusted), but it
 * is still parsed defensively: files are size-capped, include depth is
 * limited, and nothing from the file is executed.  Detector patterns are
 * compiled here, once, never at evaluation time.
 * Fails by returning -1 with "FILE:LINE:COL: expected ..., found ..." as
 * the thread's error text; a half-built rule is freed here, and what was
 * already added to the rule set is freed with it by the caller.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

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

bool
sg_rules_valid_name(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return false;
    return true;
}

char *
sg_rules_expect_name(struct parser *ps, const char *what)
{
    if (ps->tok.type != T_WORD || !sg_rules_valid_name(ps->tok.str)) {
        sg_rules_expected(ps, what);
        return NULL;
    }
    return sg_rules_take(ps);
}

char *
sg_rules_expect_text(struct parser *ps, const char *what)
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

int
sg_rules_parse_items(struct parser *ps, const char *what, sg_rules_item_fn *cb,
                     void *ctx)
{
    int more;
    do {
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
    } while ((more = sg_rules_list_next(ps)) == 1);
    return more;
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

int
sg_rules_parse_mode(struct parser *ps, int *mode_r)
{
    static const struct sg_rules_word modes[] = {
        {"enforce", SG_MODE_ENFORCE},
        {"test", SG_MODE_TEST},
    };
    if (sg_rules_lex(ps) < 0)
        return -1;
    unsigned m;
    if (sg_rules_word_value(ps, modes, SG_RULES_N(modes), &m) < 0)
        return sg_rules_expected(ps, "'enforce' or 'test' after 'mode'");
    *mode_r = (int)m;
    return sg_rules_lex(ps);
}

/* ------------------------------------------------------------ lists */
static int
parse_list(struct parser *ps)
{
    unsigned line = ps->tok.line, col = ps->tok.col;
    if (sg_rules_lex(ps) < 0)
        return -1;
    char *name = sg_rules_expect_name(ps, "a list name");
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

/* ------------------------------------------------------------ rules */
void
sg_rules_rule_clear(struct rule *r)
{
    free(r->id);
    free(r->title);
    free(r->policy);
    free(r->source);
    free(r->category);
    sg_rules_strv_clear(&r->notify);
    free(r->explain);
    free(r->explain_dsl);
    for (size_t i = 0; i < r->n_conds; i++)
        sg_rules_cond_clear(&r->conds[i]);
    free(r->conds);
    for (size_t i = 0; i < r->n_excepts; i++)
        sg_rules_cond_clear(&r->excepts[i]);
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
    *field = sg_rules_expect_text(ps, what);
    return *field == NULL ? -1 : 0;
}

static int
check_template(struct parser *ps, const char *tmpl, unsigned line, unsigned col)
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

struct rule_key;
/* Read one field of a rule, at its keyword (at ps->key_line, key_col);
 * 0 or -1. */
typedef int rule_key_fn(struct parser *ps, struct rule *r,
                        const struct rule_key *k);

struct rule_key {
    const char *word; /* NULL: the conditions (rules_parse_cond.c) */
    rule_key_fn *parse;
    size_t field; /* offsetof the field of struct rule it sets */
};

/* title, policy, source, category: a string, once. */
static int
rule_text(struct parser *ps, struct rule *r, const struct rule_key *k)
{
    if (sg_rules_lex(ps) < 0)
        return -1;
    char what[48];
    snprintf(what, sizeof(what), "a string after '%s'", k->word);
    return set_text(ps, SG_RULES_FIELD(r, k, char *), what, k->word,
                    ps->key_line, ps->key_col);
}

/* explain, explain-dsl: a string whose placeholders are known, once. */
static int
rule_template(struct parser *ps, struct rule *r, const struct rule_key *k)
{
    if (sg_rules_lex(ps) < 0)
        return -1;
    unsigned sl = ps->tok.line, sc = ps->tok.col;
    char what[48];
    snprintf(what, sizeof(what), "a string after '%s'", k->word);
    char **field = SG_RULES_FIELD(r, k, char *);
    if (set_text(ps, field, what, k->word, ps->key_line, ps->key_col) < 0)
        return -1;
    return check_template(ps, *field, sl, sc);
}

static int
rule_mode(struct parser *ps, struct rule *r, const struct rule_key *k)
{
    return sg_rules_parse_mode(ps, SG_RULES_FIELD(r, k, int));
}

static int
rule_action(struct parser *ps, struct rule *r, const struct rule_key *k)
{
    if (r->has_action)
        return sg_rules_fail_at(ps, ps->key_line, ps->key_col,
                                "'action' is given twice in this rule");
    if (sg_rules_lex(ps) < 0)
        return -1;
    if (ps->tok.type != T_WORD ||
        sg_action_parse(ps->tok.str, SG_RULES_FIELD(r, k, enum sg_action)) < 0)
        return sg_rules_expected(
            ps, "an action: accept, annotate, journal, hold or reject");
    r->has_action = true;
    return sg_rules_lex(ps);
}

/* A track's name into k's field, once (*given says it was): track and
 * retention; what names the word the error expects. */
static int
track_word(struct parser *ps, struct rule *r, const struct rule_key *k,
           bool *given, const char *what)
{
    if (*given)
        return sg_rules_fail_at(ps, ps->key_line, ps->key_col,
                                "'%s' is given twice in this rule", k->word);
    if (sg_rules_lex(ps) < 0)
        return -1;
    if (ps->tok.type != T_WORD ||
        sg_track_parse(ps->tok.str, SG_RULES_FIELD(r, k, enum sg_track)) < 0)
        return sg_rules_expected(ps, what);
    *given = true;
    return sg_rules_lex(ps);
}

static int
rule_track(struct parser *ps, struct rule *r, const struct rule_key *k)
{
    return track_word(ps, r, k, &r->has_track,
                      "a review track: staff-conduct or pupil-welfare");
}

/* retention pupil-welfare|staff-conduct: the concern classes (store.h's
 * SG_RETENTION_WELFARE and SG_RETENTION_CONDUCT, the tracks' names); a
 * released or undecided record keeps its short class whatever a rule
 * says, so released and no-concern are not for a rule to name. */
static int
rule_retention(struct parser *ps, struct rule *r, const struct rule_key *k)
{
    return track_word(ps, r, k, &r->has_retention,
                      "a retention class: pupil-welfare or staff-conduct");
}

static int
rule_notify(struct parser *ps, struct rule *r, const struct rule_key *k)
{
    if (sg_rules_lex(ps) < 0)
        return -1;
    return sg_rules_parse_items(ps,
                                "sender, dsl or a quoted address after "
                                "'notify'",
                                add_notify_item,
                                SG_RULES_FIELD(r, k, struct strv));
}

/* except CONDITION, or except [register] NAME: an exceptions register. */
static int
rule_except(struct parser *ps, struct rule *r, const struct rule_key *k)
{
    (void)k;
    struct cond c;
    if (sg_rules_lex(ps) < 0)
        return -1;
    int pr = sg_rules_parse_cond(ps, &c);
    if (pr < 0) {
        sg_rules_cond_clear(&c);
        return -1;
    }
    if (pr == 1) {
        if (sg_rules_is_word(ps, "register") && sg_rules_lex(ps) < 0)
            return -1;
        const char *conds[SG_RULES_MAX_CONDS];
        char list[200], what[300];
        snprintf(what, sizeof(what),
                 "a condition (%s) or an exceptions register name after "
                 "'except'",
                 sg_rules_join(conds, sg_rules_cond_words(conds), ", ", false,
                               list, sizeof(list)));
        memset(&c, 0, sizeof(c));
        c.kind = C_REGISTER;
        c.reg_name = sg_rules_expect_name(ps, what);
        if (c.reg_name == NULL)
            return -1;
    }
    if (push_cond(&r->excepts, &r->n_excepts, &c) < 0) {
        sg_rules_cond_clear(&c);
        return sg_rules_fail_at(ps, ps->key_line, ps->key_col, "out of memory");
    }
    return 0;
}

/* "expected a rule field (...) or '}'" at the current token. */
static int rule_expected_field(struct parser *ps);

/* A condition of the rule (the row with no word); not a condition: the
 * token is not a rule field at all. */
static int
rule_cond(struct parser *ps, struct rule *r, const struct rule_key *k)
{
    (void)k;
    struct cond c;
    int pr = sg_rules_parse_cond(ps, &c);
    if (pr < 0) {
        sg_rules_cond_clear(&c);
        return -1;
    }
    if (pr == 1)
        return rule_expected_field(ps);
    if (c.kind == C_TO && c.to.q != Q_NONE) {
        for (size_t i = 0; i < r->n_conds; i++)
            if (r->conds[i].kind == C_TO && r->conds[i].to.q != Q_NONE) {
                sg_rules_cond_clear(&c);
                return sg_rules_fail_at(
                    ps, ps->key_line, ps->key_col,
                    "expected one 'to any' or 'to all' per rule "
                    "(put the roles in one list; 'to none' may be "
                    "repeated)");
            }
    }
    if (push_cond(&r->conds, &r->n_conds, &c) < 0) {
        sg_rules_cond_clear(&c);
        return sg_rules_fail_at(ps, ps->key_line, ps->key_col, "out of memory");
    }
    return 0;
}

/* The fields of a rule block, in the order the messages list them. */
static const struct rule_key rule_keys[] = {
    {"title", rule_text, offsetof(struct rule, title)},
    {"policy", rule_text, offsetof(struct rule, policy)},
    {"source", rule_text, offsetof(struct rule, source)},
    {"category", rule_text, offsetof(struct rule, category)},
    {"mode", rule_mode, offsetof(struct rule, mode)},
    {"track", rule_track, offsetof(struct rule, track)},
    {"retention", rule_retention, offsetof(struct rule, retention)},
    {NULL, rule_cond, offsetof(struct rule, conds)},
    {"except", rule_except, offsetof(struct rule, excepts)},
    {"action", rule_action, offsetof(struct rule, action)},
    {"notify", rule_notify, offsetof(struct rule, notify)},
    {"explain", rule_template, offsetof(struct rule, explain)},
    {"explain-dsl", rule_template, offsetof(struct rule, explain_dsl)},
};

static int
rule_expected_field(struct parser *ps)
{
    const char *words[SG_RULES_N(rule_keys) + SG_RULES_MAX_CONDS];
    size_t n = 0;
    for (size_t i = 0; i < SG_RULES_N(rule_keys); i++) {
        if (rule_keys[i].word != NULL)
            words[n++] = rule_keys[i].word;
        else
            n += sg_rules_cond_words(words + n);
    }
    return sg_rules_expected_field(ps, "rule", words, n);
}

/* The rule's fields, from after '{' to '}' (not consumed); 0 or -1. */
static int
rule_fields(struct parser *ps, struct rule *r)
{
    while (ps->tok.type != T_RBRACE) {
        ps->key_line = ps->tok.line;
        ps->key_col = ps->tok.col;
        const struct rule_key *k = NULL;
        for (size_t i = 0; i < SG_RULES_N(rule_keys); i++) {
            if (rule_keys[i].word == NULL)
                k = &rule_keys[i]; /* the conditions, unless a field */
            else if (sg_rules_is_word(ps, rule_keys[i].word)) {
                k = &rule_keys[i];
                break;
            }
        }
        if (k->parse(ps, r, k) < 0)
            return -1;
    }
    return 0;
}

/* After the fields: the rule needs an action; when it can be decided and
 * whether it needs the view follow from its conditions. */
static int
rule_finish(struct parser *ps, struct rule *r)
{
    if (!r->has_action)
        return sg_rules_fail_at(ps, ps->tok.line, ps->tok.col,
                                "expected 'action' in rule '%s' before '}'",
                                r->id);
    r->rcpt_decidable = true;
    for (size_t i = 0; i < r->n_conds; i++) {
        if (!sg_rules_cond_rcpt_decidable(&r->conds[i]))
            r->rcpt_decidable = false;
        if (sg_rules_cond_needs_view(&r->conds[i]))
            r->needs_view = true;
    }
    for (size_t i = 0; i < r->n_excepts; i++) {
        if (!sg_rules_cond_rcpt_decidable(&r->excepts[i]))
            r->rcpt_decidable = false;
        if (sg_rules_cond_needs_view(&r->excepts[i]))
            r->needs_view = true;
    }
    struct rule *g =
        realloc(ps->rules->rules, (ps->rules->n_rules + 1) * sizeof(*g));
    if (g == NULL)
        return sg_rules_fail_at(ps, r->line, 1, "out of memory");
    ps->rules->rules = g;
    g[ps->rules->n_rules++] = *r;
    memset(r, 0, sizeof(*r));
    return 0;
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
    r.id = sg_rules_expect_name(ps, "a rule name");
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
    if (sg_rules_lex(ps) < 0 || rule_fields(ps, &r) < 0 ||
        rule_finish(ps, &r) < 0)
        goto fail;
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
parse_top_mode(struct parser *ps)
{
    int mode;
    if (sg_rules_parse_mode(ps, &mode) < 0)
        return -1;
    ps->rules->mode = (enum sg_mode)mode;
    return 0;
}

/* The blocks of a rules file, in the order the messages list them. */
static const struct {
    const char *word;
    int (*parse)(struct parser *ps);
} top_keys[] = {
    {"rule", parse_rule},     {"detector", sg_rules_parse_detector},
    {"list", parse_list},     {"include", parse_include},
    {"mode", parse_top_mode},
};

static int
parse_top(struct parser *ps)
{
    if (sg_rules_lex(ps) < 0)
        return -1;
    while (ps->tok.type != T_EOF) {
        size_t i;
        for (i = 0; i < SG_RULES_N(top_keys); i++)
            if (sg_rules_is_word(ps, top_keys[i].word))
                break;
        if (i == SG_RULES_N(top_keys)) {
            const char *words[SG_RULES_N(top_keys)];
            for (size_t k = 0; k < SG_RULES_N(top_keys); k++)
                words[k] = top_keys[k].word;
            char list[100];
            return sg_rules_expected(ps, sg_rules_join(words, SG_RULES_N(words),
                                                       " or ", true, list,
                                                       sizeof(list)));
        }
        if (top_keys[i].parse(ps) < 0)
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
