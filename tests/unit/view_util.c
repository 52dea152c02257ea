/*
 * view_util.c - see view_util.h.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "view_util.h"

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
