/*
 * settings.c - the configuration file's loader over composed sections
 * (see settings.h; each module's section is beside its code).
 *
 * SECURITY: the file is trusted (root-owned) but still parsed strictly:
 * every value is checked against its type and bounds, and an unknown or
 * repeated key stops the load, so a typo never silently leaves a safeguard
  * off.  Fails by returning -1 with "FILE:LINE: reason" (common/sg_error.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "settings.h"
#include "sg_buf.h"
#include "sg_error.h"
#include "sg_person.h"

const char *
sg_settings_error(const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = sg_error_vset(fmt, ap);
    va_end(ap);
    return line > 0 ? sg_error_set("%s:%u: %s", file, line, msg)
                    : sg_error_set("%s: %s", file, msg);
}

#define set_error sg_settings_error

static size_t
n_entries(const struct sg_settings_section *section)
{
    size_t n = 0;
    while (section->entries[n].name != NULL)
        n++;
    return n;
}

static void *
field(void *data, size_t offset)
{
    return (char *)data + offset;
}

static const void *
cfield(const void *data, size_t offset)
{
    return (const char *)data + offset;
}

/* The entry for a setting name, and its part; for a map, NAME.KEY, with
 * *key_r set. */
static const struct sg_conf_entry *
find_entry(const struct sg_settings *s, const char *name,
           struct sg_settings_part **part_r, const char **key_r)
{
    *key_r = NULL;
    for (size_t i = 0; i < s->n_parts; i++) {
        for (const struct sg_conf_entry *e = s->parts[i].section->entries;
             e->name != NULL; e++) {
            size_t len = strlen(e->name);
            if (e->type == SG_CONF_MAP) {
                if (strncmp(name, e->name, len) != 0 || name[len] != '.' ||
                    name[len + 1] == '\0')
                    continue;
                *key_r = name + len + 1;
            } else if (strcmp(e->name, name) != 0) {
                continue;
            }
            *part_r = &s->parts[i];
            return e;
        }
    }
    return NULL;
}

unsigned
sg_settings_line(const struct sg_settings *s, const char *name)
{
    struct sg_settings_part *part;
    const char *key;
    const struct sg_conf_entry *e = find_entry(s, name, &part, &key);
    if (e == NULL || part->key_lines == NULL)
        return 0;
    return part->key_lines[e - part->section->entries];
}

void *
sg_settings_data(const struct sg_settings *s,
                 const struct sg_settings_section *section)
{
    for (size_t i = 0; i < s->n_parts; i++)
        if (s->parts[i].section == section)
            return s->parts[i].data;
    return NULL;
}

/* Parse a whole number with an optional one-letter unit suffix. */
static int
parse_scaled(const char *value, const char *units, const long long *scales,
             long long *out_r, const char **why_r)
{
    errno = 0;
    char *end;
    if (!isdigit((unsigned char)value[0])) {
        *why_r = "is not a whole number";
        return -1;
    }
    long long n = strtoll(value, &end, 10);
    if (errno == ERANGE) {
        *why_r = "is too large";
        return -1;
    }
    long long scale = 1;
    if (*end != '\0') {
        const char *u =
            units != NULL ? strchr(units, tolower((unsigned char)*end)) : NULL;
        if (u == NULL || end[1] != '\0') {
            *why_r = "has an unknown unit suffix";
            return -1;
        }
        scale = scales[u - units];
    }
    if (n > 0 && n > LLONG_MAX / scale) {
        *why_r = "is too large";
        return -1;
    }
    *out_r = n * scale;
    return 0;
}

/* Split value into items at commas, and at white space too unless
 * csv; items are trimmed and empty ones dropped. */
static int
split_list(const char *value, bool csv, char ***vec, size_t *n)
{
    const char *p = value;
    while (*p != '\0') {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ',' && (csv || !isspace((unsigned char)*p)))
            p++;
        const char *end = p;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        if (end > start) {
            char *word = strndup(start, (size_t)(end - start));
            if (word == NULL || sg_strv_push(vec, n, word) < 0) {
                free(word);
                return -1;
            }
            free(word);
        }
    }
    return 0;
}

/* NAME.KEY = value: add "KEY=value" to the entry's list, once per KEY. */
static int
map_add(void *data, const struct sg_conf_entry *e, const char *key,
        const char *value, const char **why_r)
{
    char ***vec = (char ***)field(data, e->offset);
    size_t *count = (size_t *)field(data, e->count_offset);
    size_t klen = strlen(key);
    if (*value == '\0') {
        *why_r = "is empty";
        return -1;
    }
    for (size_t i = 0; i < *count; i++) {
        if (strncasecmp((*vec)[i], key, klen) == 0 && (*vec)[i][klen] == '=') {
            *why_r = "is given twice for the same name";
            return -1;
        }
    }
    struct sg_buf item = SG_BUF_INIT;
    int rc = sg_buf_printf(&item, "%s=%s", key, value) < 0 ||
                     sg_strv_push(vec, count, item.data) < 0
                 ? -1
                 : 0;
    sg_buf_free(&item);
    if (rc < 0)
        *why_r = "out of memory";
    return rc;
}

/* Store value into the field of e.  why_r explains a rejection. */
static int
set_value(void *data, const struct sg_conf_entry *e, const char *key,
          const char *value, const char **why_r)
{
    static const long long size_scales[] = {1024LL, 1024LL * 1024,
                                            1024LL * 1024 * 1024};
    static const long long time_scales[] = {1, 60, 3600, 86400};
    long long n = 0;
    void *f = field(data, e->offset);

    switch (e->type) {
    case SG_CONF_STRING: {
        char *copy = strdup(value);
        if (copy == NULL) {
            *why_r = "out of memory";
            return -1;
        }
        free(*(char **)f);
        *(char **)f = copy;
        return 0;
    }
    case SG_CONF_BOOL:
        if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 ||
            strcmp(value, "1") == 0)
            *(bool *)f = true;
        else if (strcasecmp(value, "no") == 0 ||
                 strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
            *(bool *)f = false;
        else {
            *why_r = "must be yes or no";
            return -1;
        }
        return 0;
    case SG_CONF_ENUM:
        for (int i = 0; e->choices[i] != NULL; i++) {
            if (strcasecmp(value, e->choices[i]) == 0) {
                *(int *)f = i;
                return 0;
            }
        }
        *why_r = "is not one of the allowed values";
        return -1;
    case SG_CONF_LIST:
    case SG_CONF_CSV: {
        char ***vec = (char ***)f;
        size_t *count = (size_t *)field(data, e->count_offset);
        sg_strv_free(vec, count);
        if (split_list(value, e->type == SG_CONF_CSV, vec, count) < 0) {
            *why_r = "out of memory";
            return -1;
        }
        return 0;
    }
    case SG_CONF_MAP:
        return map_add(data, e, key, value, why_r);
    case SG_CONF_INT:
        if (parse_scaled(value, NULL, NULL, &n, why_r) < 0)
            return -1;
        break;
    case SG_CONF_SIZE:
        if (parse_scaled(value, "kmg", size_scales, &n, why_r) < 0)
            return -1;
        break;
    case SG_CONF_DURATION:
        if (parse_scaled(value, "smhd", time_scales, &n, why_r) < 0)
            return -1;
        break;
    }
    if (n < e->min || n > e->max) {
        *why_r = "is out of range";
        return -1;
    }
    if (e->type == SG_CONF_SIZE)
        *(uint64_t *)f = (uint64_t)n;
    else
        *(int *)f = (int)n;
    return 0;
}

static const char *
describe_bounds(const struct sg_conf_entry *e, char *buf, size_t len)
{
    switch (e->type) {
    case SG_CONF_ENUM: {
        struct sg_buf b = SG_BUF_INIT;
        for (int i = 0; e->choices[i] != NULL; i++)
            sg_buf_printf(&b, "%s%s", i > 0 ? ", " : "", e->choices[i]);
        snprintf(buf, len, " (one of: %s)", sg_buf_text_or(&b, "..."));
        sg_buf_free(&b);
        return buf;
    }
    case SG_CONF_INT:
    case SG_CONF_SIZE:
    case SG_CONF_DURATION:
        snprintf(buf, len, " (from %lld to %lld%s)", e->min, e->max,
                 e->type == SG_CONF_SIZE       ? " bytes; k, m, g allowed"
                 : e->type == SG_CONF_DURATION ? " seconds; s, m, h, d allowed"
                                               : "");
        return buf;
    default:
        return "";
    }
}

/* e's item check on its value in data (empty strings pass: they mean
 * "none"); *item_r is the item that failed. */
static int
check_items(const void *data, const struct sg_conf_entry *e,
            const char **item_r, const char **why_r)
{
    if (e->check == NULL)
        return 0;
    const void *f = cfield(data, e->offset);
    if (e->type == SG_CONF_STRING) {
        const char *v = *(char *const *)f;
        *item_r = v;
        return v[0] == '\0' ? 0 : e->check(v, why_r);
    }
    char *const *vec = *(char **const *)f;
    size_t n = *(const size_t *)cfield(data, e->count_offset);
    for (size_t k = 0; k < n; k++) {
        *item_r = vec[k];
        if (e->check(vec[k], why_r) < 0)
            return -1;
    }
    return 0;
}

/* Is the section that owns keys starting with prefix composed?  Then an
 * unknown key with it is a mistake, not another program's key. */
static bool
prefix_composed(const struct sg_settings *s, const char *prefix)
{
    for (size_t i = 0; i < s->n_parts; i++)
        if (s->parts[i].section->prefix != NULL &&
            strcmp(s->parts[i].section->prefix, prefix) == 0)
            return true;
    return false;
}

/* A key no composed section owns: a map's name without its dot, another
 * program's key (accepted, left to it), or unknown. */
static int
unowned(struct sg_settings *s, const char *file, unsigned line,
        const char *name, const char **error_r)
{
    for (size_t i = 0; i < s->n_parts; i++)
        for (const struct sg_conf_entry *e = s->parts[i].section->entries;
             e->name != NULL; e++)
            if (e->type == SG_CONF_MAP &&
                strncmp(name, e->name, strlen(e->name)) == 0) {
                *error_r = set_error(file, line,
                                     "%s needs a name after a "
                                     "dot, e.g. %s.staff = ...",
                                     name, e->name);
                return -1;
            }
    for (size_t i = 0; s->foreign != NULL && s->foreign[i] != NULL; i++)
        if (strncmp(name, s->foreign[i], strlen(s->foreign[i])) == 0 &&
            !prefix_composed(s, s->foreign[i])) {
            s->n_foreign_set++;
            return 0;
        }
    *error_r = set_error(file, line, "unknown setting \"%s\"", name);
    return -1;
}

int
sg_settings_set(struct sg_settings *s, const char *file, unsigned line,
                const char *name, const char *value, const char **error_r)
{
    const char *key;
    struct sg_settings_part *part;
    const struct sg_conf_entry *e = find_entry(s, name, &part, &key);
    if (e == NULL)
        return unowned(s, file, line, name, error_r);
    const char *why = "is not valid";
    if (set_value(part->data, e, key, value, &why) < 0) {
        char bounds[256];
        *error_r = set_error(file, line, "%s = \"%s\": value %s%s", name, value,
                             why, describe_bounds(e, bounds, sizeof(bounds)));
        return -1;
    }
    const char *item = value;
    if (check_items(part->data, e, &item, &why) < 0) {
        if (strcmp(item, value) == 0)
            *error_r =
                set_error(file, line, "%s = \"%s\": %s", name, value, why);
        else
            *error_r = set_error(file, line, "%s = \"%s\": \"%s\" %s", name,
                                 value, item, why);
        return -1;
    }
    return 0;
}

int
sg_settings_set_once(struct sg_settings *s, const char *file, unsigned line,
                     const char *name, const char *value, const char **error_r)
{
    const char *key;
    struct sg_settings_part *part;
    const struct sg_conf_entry *e = find_entry(s, name, &part, &key);
    if (e != NULL && e->type != SG_CONF_MAP) {
        unsigned *seen_at = part->key_lines;
        size_t idx = (size_t)(e - part->section->entries);
        if (seen_at[idx] != 0) {
            *error_r = set_error(file, line,
                                 "%s is set twice (first at line "
                                 "%u)",
                                 name, seen_at[idx]);
            return -1;
        }
        seen_at[idx] = line;
    }
    return sg_settings_set(s, file, line, name, value, error_r);
}

/* A copy of the value of from's entry fe (in fdata) into e's field of
 * data, of the same type (strings and lists; a number is copied as
 * is).  -1: out of memory. */
static int
copy_value(const void *fdata, const struct sg_conf_entry *fe, void *data,
           const struct sg_conf_entry *e)
{
    const void *from = cfield(fdata, fe->offset);
    void *to = field(data, e->offset);
    switch (e->type) {
    case SG_CONF_STRING: {
        const char *v = *(char *const *)from;
        char *copy = strdup(v != NULL ? v : "");
        if (copy == NULL)
            return -1;
        free(*(char **)to);
        *(char **)to = copy;
        return 0;
    }
    case SG_CONF_LIST:
    case SG_CONF_CSV:
    case SG_CONF_MAP: {
        char *const *vec = *(char **const *)from;
        size_t n = *(const size_t *)cfield(fdata, fe->count_offset);
        char ***tvec = (char ***)to;
        size_t *tn = (size_t *)field(data, e->count_offset);
        sg_strv_free(tvec, tn);
        for (size_t i = 0; i < n; i++)
            if (sg_strv_push(tvec, tn, vec[i]) < 0)
                return -1;
        return 0;
    }
    case SG_CONF_SIZE:
        *(uint64_t *)to = *(const uint64_t *)from;
        return 0;
    default:
        *(int *)to = *(const int *)from;
        return 0;
    }
}

int
sg_settings_inherit(struct sg_settings *to, const struct sg_settings *from,
                    const char *const *except)
{
    for (size_t i = 0; i < to->n_parts; i++) {
        struct sg_settings_part *part = &to->parts[i];
        for (const struct sg_conf_entry *e = part->section->entries;
             e->name != NULL; e++) {
            struct sg_settings_part *fpart;
            const char *key;
            bool kept = part->key_lines[e - part->section->entries] != 0;
            for (size_t k = 0; except != NULL && except[k] != NULL; k++)
                kept = kept || strcmp(except[k], e->name) == 0;
            if (kept)
                continue;
            const struct sg_conf_entry *fe =
                find_entry(from, e->name, &fpart, &key);
            if (fe != NULL && fe->type == e->type &&
                copy_value(fpart->data, fe, part->data, e) < 0)
                return -1;
        }
    }
    return 0;
}

/* The section's own defaults, then the entries' (a NULL default keeps
 * the section's, but owns its string: all are copied first, so that a
 * failure leaves nothing static to free). */
static int
part_defaults(struct sg_settings_part *part, const char **error_r)
{
    bool copied = true;
    if (part->section->init != NULL)
        part->section->init(part->data);
    for (const struct sg_conf_entry *e = part->section->entries;
         e->name != NULL; e++) {
        char **str = (char **)field(part->data, e->offset);
        if (e->type == SG_CONF_STRING && e->def != NULL)
            *str = NULL; /* the entry's default replaces it */
        else if (e->type == SG_CONF_STRING && *str != NULL &&
                 (*str = copied ? strdup(*str) : NULL) == NULL)
            copied = false;
    }
    if (!copied) {
        *error_r = "out of memory";
        return -1;
    }
    for (const struct sg_conf_entry *e = part->section->entries;
         e->name != NULL; e++) {
        const char *why = "is not valid";
        if (e->def != NULL &&
            set_value(part->data, e, NULL, e->def, &why) < 0) {
            *error_r = set_error("built-in defaults", 0, "%s %s", e->name, why);
            return -1;
        }
    }
    return 0;
}

int
sg_settings_compose(struct sg_settings *s, const struct sg_settings_part *parts,
                    size_t n, const char *const *foreign, const char **error_r)
{
    memset(s, 0, sizeof(*s));
    s->foreign = foreign;
    s->parts = calloc(n, sizeof(*s->parts));
    if (s->parts == NULL) {
        *error_r = "out of memory";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct sg_settings_part *part = &s->parts[i];
        *part = parts[i];
        part->owned = part->data == NULL;
        if (part->owned)
            part->data = calloc(1, part->section->size);
        part->key_lines =
            calloc(n_entries(part->section) + 1, sizeof(unsigned));
        if (part->data == NULL || part->key_lines == NULL) {
            free(part->key_lines);
            if (part->owned)
                free(part->data);
            *error_r = "out of memory";
            return -1;
        }
        s->n_parts++;
        if (part_defaults(part, error_r) < 0)
            return -1;
    }
    return 0;
}

int
sg_settings_finish(struct sg_settings *s, const char *file,
                   const char **error_r)
{
    for (size_t i = 0; i < s->n_parts; i++) {
        const struct sg_settings_section *section = s->parts[i].section;
        char why[768];
        const char *key = NULL;
        if (section->finish == NULL ||
            section->finish(s, s->parts[i].data, &key, why, sizeof(why)) == 0)
            continue;
        *error_r = set_error(file, key != NULL ? sg_settings_line(s, key) : 0,
                             "%s", why);
        return -1;
    }
    return 0;
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

/* Remove a pair of surrounding double quotes, handling \" and \\.
 * -1 if a quote is unbalanced. */
static int
unquote(char *value)
{
    size_t len = strlen(value);
    if (len == 0 || value[0] != '"')
        return strchr(value, '"') != NULL ? -1 : 0;
    if (len < 2 || value[len - 1] != '"')
        return -1;
    char *w = value;
    for (size_t i = 1; i < len - 1; i++) {
        if (value[i] == '\\' && i + 1 < len - 1)
            i++;
        else if (value[i] == '"')
            return -1;
        *w++ = value[i];
    }
    *w = '\0';
    return 0;
}

/* Is text (trimmed) a block's first line ("KEYWORD NAME {") or its
 * last ("}")?  Those are whole lines: never continued. */
static bool
block_edge(const char *text)
{
    size_t len = strlen(text);
    return len > 0 && strchr(text, '=') == NULL &&
           (text[len - 1] == '{' || strcmp(text, "}") == 0);
}

/* "KEYWORD NAME {" or "}" (block_edge). */
static int
parse_block_edge(struct sg_settings *set, const char *file, unsigned line,
                 char *s, const char **error_r)
{
    const struct sg_settings_block *b = set->block;
    if (strcmp(s, "}") == 0) {
        unsigned opened = set->block_line;
        if (opened == 0)
            return sg_error_fail(error_r, "%s:%u: \"}\" closes no block", file,
                                 line);
        set->block_line = 0;
        return b->close(b->ctx, file, opened, error_r);
    }
    s[strlen(s) - 1] = '\0';
    char *kw = trim(s), *name = kw;
    while (*name != '\0' && !isspace((unsigned char)*name))
        name++;
    if (*name != '\0')
        *name++ = '\0';
    name = trim(name);
    if (b == NULL || strcmp(kw, b->keyword) != 0 || *name == '\0' ||
        strchr(name, ' ') != NULL) {
        *error_r = set_error(file, line, "expected \"%s NAME {\"",
                             b != NULL ? b->keyword : "name = value");
        return -1;
    }
    for (const char *p = name; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
            *error_r = set_error(file, line,
                                 "%s \"%s\": a name is letters, digits, - "
                                 "and _",
                                 kw, name);
            return -1;
        }
    if (set->block_line != 0) {
        *error_r = set_error(file, line,
                             "a block inside a block (the one opened at "
                             "line %u is not closed with \"}\")",
                             set->block_line);
        return -1;
    }
    set->block_line = line;
    return b->open(b->ctx, file, line, name, error_r);
}

/* One logical line (continuations already joined). */
static int
parse_line(struct sg_settings *set, const char *file, unsigned line, char *text,
           const char **error_r)
{
    char *s = trim(text);
    if (*s == '\0')
        return 0;
    if (block_edge(s))
        return parse_block_edge(set, file, line, s, error_r);
    char *eq = strchr(s, '=');
    if (eq == NULL) {
        *error_r =
            set_error(file, line, "expected \"name = value\", got \"%s\"", s);
        return -1;
    }
    *eq = '\0';
    char *name = trim(s);
    char *value = trim(eq + 1);
    if (*name == '\0') {
        *error_r = set_error(file, line, "missing setting name before \"=\"");
        return -1;
    }
    for (char *p = name; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.') {
            *error_r =
                set_error(file, line, "\"%s\" is not a setting name", name);
            return -1;
        }
    }
    if (unquote(value) < 0) {
        *error_r = set_error(file, line, "%s: unbalanced double quote", name);
        return -1;
    }
    if (set->block_line != 0)
        return set->block->set(set->block->ctx, file, line, name, value,
                               error_r);
    return sg_settings_set_once(set, file, line, name, value, error_r);
}

static int
strip_comment(char *line)
{
    /* '#' starts a comment unless inside double quotes */
    bool quoted = false;
    for (char *p = line; *p != '\0'; p++) {
        if (*p == '\\' && quoted && p[1] != '\0')
            p++;
        else if (*p == '"')
            quoted = !quoted;
        else if (*p == '#' && !quoted) {
            *p = '\0';
            break;
        }
    }
    return 0;
}

int
sg_settings_read(struct sg_settings *s, FILE *fp, const char *name,
                 const char **error_r)
{
    struct sg_buf logical = SG_BUF_INIT;
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0, logical_line = 0;
    size_t logical_indent = 0;
    int ret = 0;

    while (ret == 0) {
        ssize_t got = getline(&line, &cap, fp);
        if (got < 0)
            break;
        lineno++;
        if (memchr(line, '\0', (size_t)got) != NULL) {
            *error_r = set_error(name, lineno, "contains a NUL byte");
            ret = -1;
            break;
        }
        strip_comment(line);
        /* in a block, keys are indented: a line continues the one before
         * only when it is indented further */
        size_t indent = strspn(line, " \t");
        bool continuation = s->block_line != 0
                                ? logical.len > 0 && indent > logical_indent
                                : indent > 0;
        bool blank = trim(line)[0] == '\0';
        if (continuation && !blank && logical.len > 0) {
            sg_buf_putc(&logical, ' ');
            if (sg_buf_puts(&logical, trim(line)) < 0) {
                /* never a setting cut short */
                *error_r = set_error(name, lineno, "out of memory");
                ret = -1;
                break;
            }
            continue;
        }
        if (continuation && !blank) {
            *error_r = set_error(name, lineno,
                                 "continuation line (starting "
                                 "with white space) with nothing to continue");
            ret = -1;
            break;
        }
        if (logical.len > 0)
            ret = parse_line(s, name, logical_line, logical.data, error_r);
        sg_buf_reset(&logical);
        if (!blank) {
            if (sg_buf_puts(&logical, line) < 0) {
                *error_r = set_error(name, lineno, "out of memory");
                ret = -1;
            }
            logical_line = lineno;
            logical_indent = indent;
            /* a block's first and last lines take effect at once: the
             * lines after them are read as inside or outside it */
            if (ret == 0 && block_edge(trim(line))) {
                ret = parse_line(s, name, logical_line, logical.data, error_r);
                sg_buf_reset(&logical);
            }
        }
    }
    if (ret == 0 && ferror(fp)) {
        *error_r = set_error(name, lineno, "read error: %s", strerror(errno));
        ret = -1;
    }
    if (ret == 0 && logical.len > 0)
        ret = parse_line(s, name, logical_line, logical.data, error_r);
    if (ret == 0 && s->block_line != 0) {
        *error_r = set_error(name, s->block_line,
                             "%s block is not closed (no \"}\" before the "
                             "end of the file)",
                             s->block->keyword);
        ret = -1;
    }
    if (ret == 0)
        ret = sg_settings_finish(s, name, error_r);
    free(line);
    sg_buf_free(&logical);
    if (ret == 0 && (s->path = strdup(name)) == NULL) {
        *error_r = set_error(name, 0, "out of memory");
        ret = -1;
    }
    return ret;
}

/* " VALUE" and the end of the line, as the reader reads it back: quoted
 * (with \" and \\) when the value has white space at an end, a # or a
 * double quote; nothing for an empty value. */
static void
put_value(FILE *out, const char *v)
{
    size_t len = strlen(v);
    if (len > 0 && !isspace((unsigned char)v[0]) &&
        !isspace((unsigned char)v[len - 1]) && strpbrk(v, "#\"") == NULL)
        fprintf(out, " %s", v);
    else if (len > 0) {
        fputs(" \"", out);
        for (const char *p = v; *p != '\0'; p++) {
            if (*p == '"' || *p == '\\')
                fputc('\\', out);
            fputc(*p, out);
        }
        fputc('"', out);
    }
    fputc('\n', out);
}

/* One key of data, in file syntax. */
static void
dump_entry(const void *data, const struct sg_conf_entry *e, FILE *out)
{
    const void *f = cfield(data, e->offset);
    char num[32];
    const char *v = num;
    struct sg_buf b = SG_BUF_INIT;
    char *const *vec = NULL;
    size_t n = 0;
    if (e->type == SG_CONF_LIST || e->type == SG_CONF_CSV ||
        e->type == SG_CONF_MAP) {
        vec = *(char **const *)f;
        n = *(const size_t *)cfield(data, e->count_offset);
    }
    switch (e->type) {
    case SG_CONF_STRING:
        v = *(char *const *)f != NULL ? *(char *const *)f : "";
        break;
    case SG_CONF_MAP:
        for (size_t i = 0; i < n; i++) {
            const char *eq = strchr(vec[i], '=');
            fprintf(out, "%s.%.*s =", e->name, (int)(eq - vec[i]), vec[i]);
            put_value(out, eq + 1);
        }
        return;
    case SG_CONF_BOOL:
        v = *(const bool *)f ? "yes" : "no";
        break;
    case SG_CONF_ENUM:
        v = e->choices[*(const int *)f];
        break;
    case SG_CONF_INT:
    case SG_CONF_DURATION:
        snprintf(num, sizeof(num), "%d", *(const int *)f);
        break;
    case SG_CONF_SIZE:
        snprintf(num, sizeof(num), "%llu",
                 (unsigned long long)*(const uint64_t *)f);
        break;
    case SG_CONF_LIST:
    case SG_CONF_CSV:
        for (size_t i = 0; i < n; i++)
            sg_buf_printf(&b, "%s%s", i > 0 ? ", " : "", vec[i]);
        v = sg_buf_failed(&b) ? "(out of memory)"
            : b.data != NULL  ? b.data
                              : "";
        break;
    }
    fprintf(out, "%s =", e->name);
    put_value(out, v != NULL ? v : "");
    sg_buf_free(&b);
}

int
sg_settings_dump(const struct sg_settings *s, FILE *out)
{
    for (size_t i = 0; i < s->n_parts; i++)
        for (const struct sg_conf_entry *e = s->parts[i].section->entries;
             e->name != NULL; e++)
            dump_entry(s->parts[i].data, e, out);
    return ferror(out) ? -1 : 0;
}

void
sg_settings_clear(struct sg_settings *s)
{
    for (size_t i = 0; i < s->n_parts; i++) {
        struct sg_settings_part *part = &s->parts[i];
        for (const struct sg_conf_entry *e = part->section->entries;
             e->name != NULL; e++) {
            if (e->type == SG_CONF_STRING)
                free(*(char **)field(part->data, e->offset));
            else if (e->type == SG_CONF_LIST || e->type == SG_CONF_CSV ||
                     e->type == SG_CONF_MAP)
                sg_strv_free((char ***)field(part->data, e->offset),
                             (size_t *)field(part->data, e->count_offset));
        }
        if (part->section->clear != NULL)
            part->section->clear(part->data);
        free(part->key_lines);
        if (part->owned)
            free(part->data);
    }
    free(s->parts);
    free(s->path);
    memset(s, 0, sizeof(*s));
}
