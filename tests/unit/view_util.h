/*
 * view_util.h - a message view made by hand for the unit tests of the
 * evaluator: a subject and one text/plain body, as the message view
 * builder would give them.  Failures are cmocka failures of the test that
 * called.
 */
#ifndef SG_VIEW_UTIL_H
#define SG_VIEW_UTIL_H

#include "sg_msgview.h"

/* A view with subject and one body text (freed with sg_msgview_free). */
struct sg_msgview *sg_test_view(const char *subject, const char *body);

#endif
