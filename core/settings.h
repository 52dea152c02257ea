/*
 * settings.h - the configuration file's loader: reads `name = value`
 * lines into the sections (common/sg_settings.h) a program composes.
 *
 * The file is `name = value` lines; `#` starts a comment; a line that
 * starts with white space continues the previous one (as in Postfix's
 * main.cf).  A key no composed section owns is an error naming the file
 * and line, unless it starts with a prefix another program's section owns
 * (foreign): one file serves the daemon and safeguard-review, and a
 * program leaves the other's keys to it.  A bad value, or a key given
 * twice, is an error naming the file and line.
 *
 * Errors are "FILE:LINE: reason" (or "FILE: reason") as the thread's
 * error text (common/sg_error.h).
 */
#ifndef SG_SETTINGS_LOAD_H
#define SG_SETTINGS_LOAD_H

#include <stdbool.h>
#include <stdio.h>

#include "sg_settings.h"

/* Blocks of keys in the file, "KEYWORD NAME {" up to a line "}" (a
 * school of a trust: core/school.h): the keys inside go to set, not to
 * the sections, so that one name may have a value per block.  The loader
 * checks the syntax (a block not closed, a block in a block, a "}" with
 * none open) and names the file and line; set checks the keys. */
struct sg_settings_block {
    const char *keyword; /* "school" */
    int (*open)(void *ctx, const char *file, unsigned line, const char *name,
                const char **error_r);
    int (*set)(void *ctx, const char *file, unsigned line, const char *name,
               const char *value, const char **error_r);
    /* at its "}" (line: the block's first line) */
    int (*close)(void *ctx, const char *file, unsigned line,
                 const char **error_r);
    void *ctx;
};

/* One composed section and where its values are. */
struct sg_settings_part {
    const struct sg_settings_section *section;
    void *data;          /* NULL on compose: allocated (section->size) */
    bool owned;          /* data was allocated by the loader */
    unsigned *key_lines; /* by entry index: the line it was set at, 0 when
                            not in the file */
};

struct sg_settings {
    char *path; /* file read, NULL: defaults only */
    struct sg_settings_part *parts;
    size_t n_parts;
    const char *const *foreign; /* NULL-terminated key prefixes, or NULL */
    unsigned n_foreign_set;     /* keys set that were left to them */
    const struct sg_settings_block *block; /* NULL: the file has none */
    unsigned block_line; /* where the open block opened; 0: none open */
};

/* Compose parts (copied; a NULL data is allocated) and set every key to
 * its default.  foreign: prefixes of keys left to other programs (kept,
 * not copied).  -1 with *error_r ("built-in defaults: ..."). */
int sg_settings_compose(struct sg_settings *s,
                        const struct sg_settings_part *parts, size_t n,
                        const char *const *foreign, const char **error_r);

/* Read a file's lines into s (name for errors and s->path), then finish.
 * -1 with "NAME:LINE: reason". */
int sg_settings_read(struct sg_settings *s, FILE *fp, const char *name,
                     const char **error_r);

/* Set one key (file and line for errors; line 0: none).  Cross-key
 * checks wait for sg_settings_finish. */
int sg_settings_set(struct sg_settings *s, const char *file, unsigned line,
                    const char *name, const char *value, const char **error_r);

/* As sg_settings_set, for a line of the file: a key (not a map's) given
 * twice is an error naming the line of the first. */
int sg_settings_set_once(struct sg_settings *s, const char *file, unsigned line,
                         const char *name, const char *value,
                         const char **error_r);

/* Give each key of to that was not set (sg_settings_line 0) the value of
 * the key of the same name and type in from, unless its name is in
 * except (NULL-terminated).  -1: out of memory. */
int sg_settings_inherit(struct sg_settings *to, const struct sg_settings *from,
                        const char *const *except);

/* Each section's finish, in order. */
int sg_settings_finish(struct sg_settings *s, const char *file,
                       const char **error_r);

/* The line of the file where key name was set; 0 when it was not. */
unsigned sg_settings_line(const struct sg_settings *s, const char *name);

/* The values of a composed section; NULL when it is not composed. */
void *sg_settings_data(const struct sg_settings *s,
                       const struct sg_settings_section *section);

/* Every key with its value, in file syntax (for docs and -n -v). */
int sg_settings_dump(const struct sg_settings *s, FILE *out);

/* Free the values (and allocated sections); s is left empty. */
void sg_settings_clear(struct sg_settings *s);

/* Format an error as the loader does ("FILE:LINE: ..." or "FILE: ...",
 * line 0), as the thread's error text (common/sg_error.h). */
__attribute__((format(printf, 3, 4))) const char *
sg_settings_error(const char *file, unsigned line, const char *fmt, ...);

#endif
