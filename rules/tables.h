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
    bool has_name;     /* name: "Forename Surname" */
    char name[130];
    bool has_dob; /* dob: the date in the date of birth column */
    struct sg_date dob;
};
/* Called for each header and data row, in order: 0 go on, 1 stop, -1
 * error (returned by sg_tables_scan). */
typedef int tables_row_fn(void *ctx, const struct tables_row *row);
int sg_tables_scan(const char *text, size_t len, tables_row_fn *fn, void *ctx);
/* Lines that cannot open a table are passed over without being split
 * (default true); a test turns it off to compare. */
extern bool sg_tables_prefilter;

#endif
