/*
 * msgview_util.c - what the unit tests of the message view share (see
 * msgview_util.h).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "msgview_build.h"
#include "msgview_util.h"

#ifndef SG_TEST_DATA
#define SG_TEST_DATA "unit/data"
#endif

struct sg_test_file
sg_test_load(const char *name)
{
    char path[1024];
    struct sg_test_file f = {NULL, 0};
    snprintf(path, sizeof(path), "%s/mime/%s", SG_TEST_DATA, name);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long size = ftell(fp);
    assert_true(size >= 0);
    rewind(fp);
    f.len = (size_t)size;
    f.data = malloc(f.len + 1);
    assert_non_null(f.data);
    assert_int_equal(fread(f.data, 1, f.len, fp), f.len);
    fclose(fp);
    return f;
}

struct sg_msgview *
sg_test_build_mem(const char *data, size_t len)
{
    struct sg_msgview *view = NULL;
    const char *error = NULL;
    assert_int_equal(sg_msgview_build_mem(data, len, &view, &error), 0);
    assert_non_null(view);
    return view;
}

struct sg_msgview *
sg_test_build_file(const char *name)
{
    struct sg_test_file f = sg_test_load(name);
    struct sg_msgview *view = sg_test_build_mem(f.data, f.len);
    assert_int_equal(view->size, f.len);
    free(f.data);
    return view;
}

void
sg_test_view_valid(const struct sg_msgview *v)
{
    assert_non_null(v->subject);
    assert_true(g_utf8_validate(v->subject, -1, NULL));
    for (size_t i = 0; i < v->n_headers; i++) {
        assert_true(g_utf8_validate(v->headers[i].name, -1, NULL));
        assert_true(g_utf8_validate(v->headers[i].value, -1, NULL));
    }
    for (size_t i = 0; i < v->n_texts; i++) {
        assert_int_equal(strlen(v->texts[i].text), v->texts[i].len);
        assert_true(g_utf8_validate(v->texts[i].text, -1, NULL));
        assert_true(g_utf8_validate(v->texts[i].label, -1, NULL));
    }
    for (size_t i = 0; i < v->n_attachments; i++)
        if (v->attachments[i].filename != NULL)
            assert_true(g_utf8_validate(v->attachments[i].filename, -1, NULL));
}

int
sg_test_msgview_setup(void **state)
{
    (void)state;
    sg_msgview_build_init();
    return 0;
}

int
sg_test_msgview_teardown(void **state)
{
    (void)state;
    sg_msgview_build_shutdown();
    return 0;
}
