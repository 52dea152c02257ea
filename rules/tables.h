/*
 * tables.h - rows with named columns in text (tables.c), read by the
 * detectors.  librules internal.
 */
#ifndef SG_RULES_TABLES_H
#define SG_RULES_TABLES_H

#include "rules_int.h"

/* (tables.c) One line of a table with named columns. */
struct tables_row {
    size_t start, end; /* the line in the text */
    bool header;       /* the header row itself */
    bool has_name;     /* a name, "Forename Surname": sg_tables_row_name */
    struct {
        const char *s; /* in the text; the second NULL: one part */
        size_t len;
    } name[2];
    bool has_dob; /* dob: the date in the date of birth column */
    struct sg_date dob;
};
/* The buffer a row's name is written to (longer names are cut). */
#define TABLES_NAME_SIZE 130
/* The row's name (has_name), from the text the row was read from, which
 * must still be there: its parts with a space between, into out as
 * snprintf "%.*s %.*s" writes them, cut to size - 1 bytes.  Built only
 * when asked for: most rows' names are not wanted. */
void sg_tables_row_name(const struct tables_row *row, char *out,
                        size_t size);
/* Called for each header and data row, in order: 0 go on, 1 stop, -1
 * error (returned by sg_tables_scan). */
typedef int tables_row_fn(void *ctx, const struct tables_row *row);
int sg_tables_scan(const char *text, size_t len, tables_row_fn *fn, void *ctx);
/* Lines that cannot open a table are passed over without being split
 * (default true); a test turns it off to compare. */
extern bool sg_tables_prefilter;
/* A cell is told from the header words by its first two letters before
 * it is read whole, and a data row from its header repeated by the
 * surname and name words alone (default true); a test turns it off to
 * compare with every cell read whole as header_read reads a header. */
extern bool sg_tables_word_filter;

#endif
