/*
 * rules_util.c - see rules_util.h.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "rules_util.h"

void
sg_test_school_options(struct sg_rules_options *o)
{
    static const char *const domains[] = {"school.example"};
    static const char *const phones[] = {"01632 960000"};
    static const char *const postcodes[] = {"LS1 4AP"};
    memset(o, 0, sizeof(*o));
    o->school_domains = domains;
    o->n_school_domains = 1;
    o->school_phone_numbers = phones;
    o->n_school_phone_numbers = 1;
    o->school_postcodes = postcodes;
    o->n_school_postcodes = 1;
}

struct sg_msgview *
sg_test_view(const char *subject, const char *body)
{
    struct sg_msgview *v = sg_msgview_new();
    assert_non_null(v);
    v->subject = strdup(subject);
    v->texts = calloc(1, sizeof(*v->texts));
    assert_non_null(v->texts);
    v->n_texts = 1;
    v->texts[0].text = strdup(body);
    v->texts[0].len = strlen(body);
    v->texts[0].content_type = strdup("text/plain");
    v->texts[0].label = strdup("body");
    return v;
}
