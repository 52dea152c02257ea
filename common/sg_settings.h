/*
 * sg_settings.h - how a module declares its section of the configuration
 * file: a table of keys (name, type, default, bounds, item check) over the
 * module's own settings struct, as Dovecot's libraries declare theirs.
 *
 * Plain data, here below every module, so that ldap/ (the directory's
 * section) and review/ (the review tool's) can declare theirs without
 * depending on the loader.  The loader (core/settings.h) composes the
 * sections a program uses and reads the file into them; bounds and checks
 * are written once, in the section.
 */
#ifndef SG_SETTINGS_H
#define SG_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

/* The value types. */
enum sg_conf_type {
    SG_CONF_STRING,
    SG_CONF_INT,
    SG_CONF_BOOL,
    SG_CONF_SIZE,     /* bytes, with optional k/m/g suffix (1024-based) */
    SG_CONF_DURATION, /* seconds, with optional s/m/h/d suffix */
    SG_CONF_LIST,     /* comma and/or white space separated words */
    SG_CONF_CSV,      /* comma separated items that may contain spaces
                         (phone numbers, postcodes) */
    SG_CONF_ENUM,     /* one of choices; stored as its index (int) */
    SG_CONF_MAP,      /* NAME.KEY = value, repeatable with different KEYs;
                         stored as "KEY=value" in a list */
};

/* A check of one value beyond its type (of a list, of each item in turn),
 * so that a mistake is reported with the file and line of its setting.
 * Empty strings are not checked (they mean "none").  0, or -1 with a short
 * reason in *why_r. */
typedef int sg_conf_item_check(const char *item, const char **why_r);

/* One key.  Field types: char * (STRING), int (INT, DURATION, ENUM), bool,
 * uint64_t (SIZE), char ** with a size_t count (LIST, CSV, MAP). */
struct sg_conf_entry {
    const char *name;
    enum sg_conf_type type;
    size_t offset;              /* of the field in the section's struct */
    size_t count_offset;        /* LIST, CSV, MAP: offset of the size_t count */
    const char *def;            /* default, written as in the file; NULL: the
                                   section's init function's default */
    long long min, max;         /* bounds for INT, SIZE, DURATION */
    const char *const *choices; /* ENUM, NULL-terminated */
    sg_conf_item_check *check;  /* NULL: none beyond the type */
};

struct sg_settings; /* a composition being loaded (core/settings.h) */

/* One module's section. */
struct sg_settings_section {
    const char *name; /* for dumps and errors */
    /* The prefix all its keys start with, when it is a program's own
     * section that other programs reading the same file leave to it
     * (their loader is told the prefix as foreign); NULL: none. */
    const char *prefix;
    const struct sg_conf_entry *entries; /* ends with a NULL name */
    size_t size; /* of the section's struct, when the loader allocates it */
    /* The module's own defaults (the entries with a NULL def keep them);
     * NULL: all zero.  Strings it sets are static (the loader copies the
     * ones of its entries before changing them). */
    void (*init)(void *data);
    /* Checks across the section's keys (and derived fields), after every
     * key of the file is set; NULL: none.  all gives the other sections
     * (sg_settings_data).  -1 with a reason written to why (why_len
     * bytes) and *key_r naming the key whose line the error gives (NULL:
     * the file only). */
    int (*finish)(const struct sg_settings *all, void *data, const char **key_r,
                  char *why, size_t why_len);
    /* Frees what finish derived; NULL: nothing. */
    void (*clear)(void *data);
};

/* Is the number or choice of entry e in data within e's bounds (always
 * true for the other types)?  *value_r (may be NULL): the value. */
bool sg_conf_entry_in_bounds(const struct sg_conf_entry *e, const void *data,
                             long long *value_r);

/* Are data's numbers and choices within the bounds of section's entries?
 * For a library given settings by a caller rather than a file, so that
 * the bounds stay written once, in the entries.  -1 with *name_r the
 * first key out of bounds. */
int sg_settings_check_bounds(const struct sg_settings_section *section,
                             const void *data, const char **name_r);

#endif
