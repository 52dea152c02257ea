/*
 * rules_util.h - what the unit tests of the rules library share: the
 * test school's settings (the school.example of the samples and the
 * corpus), and a message view made by hand.  Failures are cmocka failures
 * of the test that called.
 */
#ifndef SG_RULES_UTIL_H
#define SG_RULES_UTIL_H

#include "sg_msgview.h"
#include "sg_rules.h"

/* o zeroed, then the test school's domain (school.example), phone number
 * (01632 960000) and postcode (LS1 4AP). */
void sg_test_school_options(struct sg_rules_options *o);

/* A view with subject and one body text (freed with sg_msgview_free), as
 * the message view builder would give them. */
struct sg_msgview *sg_test_view(const char *subject, const char *body);

#endif
