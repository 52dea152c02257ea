/*
 * sg_dir_file.c - the `file` backend: a text directory, one person a line,
 * loaded whole into memory and indexed by a hash of every address (primary,
 * aliases: channel school; personal: channel personal), and by a hash of
 * every key of every display name (sg_dir_name_keys: confusable
 * skeletons, computed once at load) to the people who bear it.
 *
 * Format (safeguard-directory(5)):
 *   ADDRESS ROLE[,ROLE...] [key=value ...]   # comment
 * keys: name="...", dob=YYYY-MM-DD, left=YYYY-MM-DD, upn=UPN (a pupil's
 * unique pupil number, for the concern export), and the repeatable
 * alias=, personal=, child=.  Values may be "quoted" (\" and \\ escape).
 *
 * SECURITY: the file is trusted configuration, but it is parsed strictly:
 * an unknown key, a bad date or an address claimed twice is an error naming
 * file and line, never a silent guess.  Never logs; lookups are read-only
 * and so thread-safe without locks.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_dir_internal.h"

struct file_entry {
    size_t person;
    enum sg_channel channel;
    size_t line;
};

/* The people (indexes into file_backend.people) with one name key. */
struct name_entry {
    size_t *people;
    size_t n;
};

struct file_backend {
    struct sg_dir_backend base;
    struct sg_person **people;
    size_t n_people;
    struct sg_dir_hash *index; /* key -> struct file_entry */
    struct sg_dir_hash *names; /* name key -> struct name_entry */
};

static void
name_entry_free(void *p)
{
    struct name_entry *ne = p;
    if (ne != NULL)
        free(ne->people);
    free(ne);
}

static void
file_free(struct sg_dir_backend *backend)
{
    struct file_backend *fb = (struct file_backend *)backend;
    for (size_t i = 0; i < fb->n_people; i++)
        sg_person_free(&fb->people[i]);
    free(fb->people);
    sg_dir_hash_free(&fb->index, free);
    sg_dir_hash_free(&fb->names, name_entry_free);
    free(fb);
}

static enum sg_dir_status
file_lookup(struct sg_dir_backend *backend, const char *key,
            struct sg_person **person_r, enum sg_channel *channel_r,
            const char **error_r)
{
    (void)error_r; /* a loaded directory cannot fail */
    struct file_backend *fb = (struct file_backend *)backend;
    const struct file_entry *fe = sg_dir_hash_get(fb->index, key);
    if (fe == NULL)
        return SG_DIR_NOTFOUND;
    /* shared with the loaded directory: each owner counted, so a
     * reload that frees the directory leaves the caller's person */
    *person_r = sg_person_ref(fb->people[fe->person]);
    *channel_r = fe->channel;
    return SG_DIR_FOUND;
}

static enum sg_dir_status
file_lookup_name(struct sg_dir_backend *backend, const char *key,
                 struct sg_person ***people_r, size_t *n_r,
                 const char **error_r)
{
    struct file_backend *fb = (struct file_backend *)backend;
    *people_r = NULL;
    *n_r = 0;
    const struct name_entry *ne = sg_dir_hash_get(fb->names, key);
    if (ne == NULL)
        return SG_DIR_NOTFOUND;
    struct sg_person **people = calloc(ne->n, sizeof(*people));
    if (people == NULL) {
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    for (size_t i = 0; i < ne->n; i++)
        people[i] = sg_person_ref(fb->people[ne->people[i]]);
    *people_r = people;
    *n_r = ne->n;
    return SG_DIR_FOUND;
}

/* Index every person under every key of their display name
 * (sg_dir_name_keys: the full name, its look-alike reading, and the
 * variants such as "Mr Smith"; a single-word name has none).  0, or -1
 * (allocation, or ICU). */
static int
index_names(struct file_backend *fb)
{
    for (size_t i = 0; i < fb->n_people; i++) {
        char *keys = NULL;
        int rc = sg_dir_name_keys(fb->people[i]->display_name,
                                  SG_DIR_NAME_ENTRY, &keys);
        char *save = NULL;
        for (char *key = rc > 0 ? strtok_r(keys, "\n", &save) : NULL;
             key != NULL && rc >= 0; key = strtok_r(NULL, "\n", &save)) {
            struct name_entry *ne = sg_dir_hash_get(fb->names, key);
            if (ne == NULL) {
                if ((ne = calloc(1, sizeof(*ne))) == NULL ||
                    sg_dir_hash_put(fb->names, key, ne) != 0) {
                    free(ne);
                    rc = -1;
                    break;
                }
            }
            size_t *grown = realloc(ne->people, (ne->n + 1) * sizeof(*grown));
            if (grown == NULL) {
                rc = -1;
                break;
            }
            ne->people = grown;
            ne->people[ne->n++] = i;
        }
        free(keys);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static enum sg_dir_status
file_check(struct sg_dir_backend *backend, const char **error_r)
{
    (void)backend;
    (void)error_r;
    return SG_DIR_FOUND;
}

static const struct sg_dir_backend_ops file_ops = {
    .name = "file",
    .lookup = file_lookup,
    .check = file_check,
    .free = file_free,
    .lookup_name = file_lookup_name,
};

/* ---------------------------------------------------------------- parser */

struct parser {
    const char *path;
    size_t line;
    const char *delims;
    struct file_backend *fb;
    char **known_roles; /* sg_dir_known_roles: a role must be one */
    size_t n_known_roles;
    const char *error; /* set on failure */
};

#define PARSE_FAIL(ps, ...)                                                    \
    do {                                                                       \
        char msg_[512];                                                        \
        snprintf(msg_, sizeof(msg_), __VA_ARGS__);                             \
        (ps)->error =                                                          \
            sg_dir_errorf("%s:%zu: %s", (ps)->path, (ps)->line, msg_);         \
        return -1;                                                             \
    } while (0)

/* Split off the next token at *pos: raw text up to unquoted whitespace.
 * Returns NULL at end of line or at a comment; NUL-terminates in place. */
static char *
next_token(struct parser *ps, char **pos, int *err)
{
    char *p = *pos;
    *err = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0' || *p == '#') {
        *pos = p;
        return NULL;
    }
    char *start = p;
    bool quoted = false;
    for (; *p != '\0'; p++) {
        if (quoted) {
            if (*p == '\\' && p[1] != '\0')
                p++;
            else if (*p == '"')
                quoted = false;
        } else if (*p == '"') {
            quoted = true;
        } else if (*p == ' ' || *p == '\t') {
            break;
        }
    }
    if (quoted) {
        ps->error = sg_dir_errorf("%s:%zu: unterminated quoted string",
                                  ps->path, ps->line);
        *err = -1;
        return NULL;
    }
    if (*p != '\0')
        *p++ = '\0';
    *pos = p;
    return start;
}

/* A value wholly in quotes is unquoted in place; 0 or -1. */
static int
unquote(char *value)
{
    size_t n = strlen(value);
    if (n == 0 || value[0] != '"')
        return strchr(value, '"') == NULL ? 0 : -1;
    char *o = value;
    const char *p = value + 1;
    for (; *p != '"'; p++) {
        if (*p == '\0')
            return -1;
        if (*p == '\\')
            p++;
        *o++ = *p;
    }
    if (p[1] != '\0')
        return -1; /* text after the closing quote */
    *o = '\0';
    return 0;
}

static int
index_address(struct parser *ps, const char *raw, enum sg_channel channel,
              char **normalised_r)
{
    char *key = sg_dir_address_normalise(raw, ps->delims);
    if (key == NULL)
        PARSE_FAIL(ps, "not a valid address: %s", raw);
    struct file_entry *fe = malloc(sizeof(*fe));
    if (fe == NULL) {
        free(key);
        PARSE_FAIL(ps, "out of memory");
    }
    fe->person = ps->fb->n_people - 1; /* the person being parsed */
    fe->channel = channel;
    fe->line = ps->line;
    int rc = sg_dir_hash_put(ps->fb->index, key, fe);
    if (rc != 0) {
        const struct file_entry *old = sg_dir_hash_get(ps->fb->index, key);
        free(fe);
        if (rc < 0) {
            free(key);
            PARSE_FAIL(ps, "out of memory");
        }
        char copy[400];
        snprintf(copy, sizeof(copy), "%s", key);
        free(key);
        PARSE_FAIL(ps, "address %s already belongs to the person on line %zu",
                   copy, old->line);
    }
    if (normalised_r != NULL)
        *normalised_r = key;
    else
        free(key);
    return 0;
}

static int
add_roles(struct parser *ps, struct sg_person *person, char *list)
{
    if (strcmp(list, "-") == 0)
        return 0;
    char *save = NULL;
    for (char *role = strtok_r(list, ",", &save); role != NULL;
         role = strtok_r(NULL, ",", &save)) {
        if (!sg_dir_role_name_ok(role, strlen(role)))
            PARSE_FAIL(ps, "bad role name \"%s\" (letters, digits, - _ .)",
                       role);
        if (!sg_strv_has((const char *const *)ps->known_roles,
                         ps->n_known_roles, role)) {
            char known[300];
            PARSE_FAIL(ps, "unknown role \"%s\" (known: %s; a site's own "
                           "roles are declared with roles = ...)",
                       role,
                       sg_strv_join((const char *const *)ps->known_roles,
                                    ps->n_known_roles, ", ", known,
                                    sizeof(known)));
        }
        if (sg_person_add_role(person, role) < 0)
            PARSE_FAIL(ps, "out of memory");
    }
    return 0;
}

static bool
is_attribute(const char *token)
{
    static const char *const keys[] = {"name=",  "dob=",      "left=",
                                       "alias=", "personal=", "child=",
                                       "upn="};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strncmp(token, keys[i], strlen(keys[i])) == 0)
            return true;
    return false;
}

/* One key=value attribute of a person's line (token is changed). */
static int
parse_attribute(struct parser *ps, struct sg_person *person, char *token)
{
    int rc;
    char *eq = strchr(token, '=');
    if (eq == NULL || !is_attribute(token)) {
        if (eq == NULL)
            PARSE_FAIL(ps, "expected key=value, found \"%s\"", token);
        PARSE_FAIL(ps,
                   "unknown attribute \"%.*s\" (known: name, dob, "
                   "left, upn, alias, personal, child)",
                   (int)(eq - token), token);
    }
    *eq = '\0';
    const char *key = token;
    char *value = eq + 1;
    bool is_addr = strcmp(key, "alias") == 0 || strcmp(key, "personal") == 0 ||
                   strcmp(key, "child") == 0;
    /* an address keeps a quoted local part ("a b"@x): only a value
     * quoted as a whole is unquoted */
    if (!(is_addr && value[0] != '"') && unquote(value) < 0)
        PARSE_FAIL(ps, "%s: badly quoted value", key);
    if (*value == '\0')
        PARSE_FAIL(ps, "%s: empty value", key);

    if (strcmp(key, "name") == 0) {
        if (person->display_name != NULL)
            PARSE_FAIL(ps, "name given twice");
        if ((person->display_name = strdup(value)) == NULL)
            PARSE_FAIL(ps, "out of memory");
    } else if (strcmp(key, "upn") == 0) {
        if (person->upn != NULL)
            PARSE_FAIL(ps, "upn given twice");
        if ((person->upn = strdup(value)) == NULL)
            PARSE_FAIL(ps, "out of memory");
    } else if (strcmp(key, "dob") == 0 || strcmp(key, "left") == 0) {
        struct sg_date *date = key[0] == 'd' ? &person->dob : &person->left;
        if (date->year != 0)
            PARSE_FAIL(ps, "%s given twice", key);
        if (sg_date_parse(value, date) < 0)
            PARSE_FAIL(ps, "%s: not a date (YYYY-MM-DD): %s", key, value);
    } else if (strcmp(key, "alias") == 0 || strcmp(key, "personal") == 0) {
        bool alias = key[0] == 'a';
        char *norm = NULL;
        if (index_address(ps, value,
                          alias ? SG_CHANNEL_SCHOOL : SG_CHANNEL_PERSONAL,
                          &norm) < 0)
            return -1;
        rc = alias ? sg_strv_push(&person->aliases, &person->n_aliases, norm)
                   : sg_strv_push(&person->personal, &person->n_personal, norm);
        free(norm);
        if (rc < 0)
            PARSE_FAIL(ps, "out of memory");
    } else { /* child */
        char *norm = sg_dir_address_normalise(value, ps->delims);
        if (norm == NULL)
            PARSE_FAIL(ps, "child: not a valid address: %s", value);
        rc = sg_strv_push(&person->children, &person->n_children, norm);
        free(norm);
        if (rc < 0)
            PARSE_FAIL(ps, "out of memory");
    }
    return 0;
}

static int
parse_line(struct parser *ps, char *line)
{
    int err;
    char *pos = line;
    char *address = next_token(ps, &pos, &err);
    if (address == NULL)
        return err; /* blank, comment, or error */

    struct sg_person *person = sg_person_new();
    if (person == NULL)
        PARSE_FAIL(ps, "out of memory");
    /* hand it to the backend at once so that failures free it */
    struct sg_person **grown = realloc(
        ps->fb->people, (ps->fb->n_people + 1) * sizeof(*ps->fb->people));
    if (grown == NULL) {
        sg_person_free(&person);
        PARSE_FAIL(ps, "out of memory");
    }
    ps->fb->people = grown;
    grown[ps->fb->n_people++] = person;

    int rc = index_address(ps, address, SG_CHANNEL_SCHOOL, &person->address);
    if (rc < 0)
        return -1;

    char *token = next_token(ps, &pos, &err);
    if (err < 0)
        return -1;
    /* roles: "staff,dsl"; also tolerate "staff, dsl" */
    while (token != NULL && !is_attribute(token)) {
        if (strchr(token, '=') != NULL)
            PARSE_FAIL(ps, "unknown attribute \"%.*s\" (known: name, dob, "
                           "left, upn, alias, personal, child)",
                       (int)(strchr(token, '=') - token), token);
        bool more = token[strlen(token) - 1] == ',';
        if (add_roles(ps, person, token) < 0)
            return -1;
        token = next_token(ps, &pos, &err);
        if (err < 0)
            return -1;
        if (!more)
            break;
    }

    for (; token != NULL; token = next_token(ps, &pos, &err))
        if (parse_attribute(ps, person, token) < 0)
            return -1;
    return err;
}

enum sg_dir_status
sg_dir_file_config_check(const struct sg_dir_config *cfg, const char **error_r)
{
    if (cfg->file_path == NULL || *cfg->file_path == '\0') {
        *error_r = "directory_file is not set (the file backend needs it)";
        return SG_DIR_CONFIG;
    }
    return SG_DIR_FOUND;
}

enum sg_dir_status
sg_dir_file_open(const struct sg_dir_config *cfg,
                 struct sg_dir_backend **backend_r, const char **error_r)
{
    *backend_r = NULL;
    if (sg_dir_file_config_check(cfg, error_r) != SG_DIR_FOUND)
        return SG_DIR_CONFIG;
    FILE *fp = fopen(cfg->file_path, "r");
    if (fp == NULL) {
        *error_r = sg_dir_errorf("cannot open directory file %s: %s",
                                 cfg->file_path, strerror(errno));
        return SG_DIR_CONFIG;
    }
    struct file_backend *fb = calloc(1, sizeof(*fb));
    if (fb == NULL || (fb->index = sg_dir_hash_new(1024)) == NULL ||
        (fb->names = sg_dir_hash_new(1024)) == NULL) {
        if (fb != NULL)
            sg_dir_hash_free(&fb->index, free);
        free(fb);
        fclose(fp);
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    fb->base.ops = &file_ops;

    struct parser ps = {.path = cfg->file_path,
                        .line = 0,
                        .delims = cfg->recipient_delimiter,
                        .fb = fb,
                        .error = NULL};
    if (sg_dir_known_roles(cfg, &ps.known_roles, &ps.n_known_roles) < 0) {
        file_free(&fb->base);
        fclose(fp);
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        ps.line++;
        if ((size_t)n != strlen(line)) {
            ps.error = sg_dir_errorf("%s:%zu: NUL byte in line", ps.path,
                                     ps.line);
            rc = -1;
            break;
        }
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if ((rc = parse_line(&ps, line)) < 0)
            break;
    }
    if (rc == 0 && ferror(fp)) {
        ps.error = sg_dir_errorf("%s: read error: %s", ps.path,
                                 strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(fp);
    sg_strv_free(&ps.known_roles, &ps.n_known_roles);
    if (rc == 0 && index_names(fb) < 0) {
        ps.error = sg_dir_errorf("%s: cannot index the display names (out "
                                 "of memory, or ICU could not be set up)",
                                 ps.path);
        rc = -1;
    }
    if (rc < 0) {
        file_free(&fb->base);
        *error_r = ps.error;
        return SG_DIR_CONFIG;
    }
    *backend_r = &fb->base;
    return SG_DIR_FOUND;
}
