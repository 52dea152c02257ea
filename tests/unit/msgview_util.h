/*
 * msgview_util.h - what the unit tests of the message view share: a
 * message file of unit/data/mime read whole, views built from memory (a
 * failure to build is the test's failure), the check that every string of
 * a view is valid UTF-8, and the group's setup (the builder's init) and
 * teardown.  Failures are cmocka failures of the test that called.
 */
#ifndef SG_MSGVIEW_UTIL_H
#define SG_MSGVIEW_UTIL_H

#include <stddef.h>

#include "sg_msgview.h"

struct sg_test_file {
    char *data; /* malloc'd, len bytes and room for a NUL */
    size_t len;
};

/* unit/data/mime/NAME, read whole. */
struct sg_test_file sg_test_load(const char *name);
/* The view of data[0, len), built. */
struct sg_msgview *sg_test_build_mem(const char *data, size_t len);
/* The view of unit/data/mime/NAME, built from memory; its size is the
 * file's. */
struct sg_msgview *sg_test_build_file(const char *name);
/* Every string in the view is valid UTF-8 of the stated length. */
void sg_test_view_valid(const struct sg_msgview *v);

int sg_test_msgview_setup(void **state);
int sg_test_msgview_teardown(void **state);

#endif
