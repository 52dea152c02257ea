/*
 * test_msgbuf.c - the per-message buffer: memory below the bound, an
 * unlinked temporary file past it, and a clear error when it cannot spill.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fail_realloc.h"
#include "msgbuf.h"

static char tmpdir[] = "/tmp/sg-test-msgbuf-XXXXXX";

static int
setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    return rmdir(tmpdir); /* fails if a spill file was left behind */
}

static size_t
files_in(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    if (d != NULL)
        closedir(d);
    return n;
}

static void
test_in_memory(void **state)
{
    (void)state;
    struct sg_msgbuf b;
    const char *error = NULL;
    sg_msgbuf_init(&b, 4096, tmpdir);
    assert_int_equal(sg_msgbuf_append(&b, "Subject: hi\r\n", 13, &error), 0);
    assert_int_equal(sg_msgbuf_append(&b, "", 0, &error), 0);
    assert_false(sg_msgbuf_spilled(&b));
    assert_int_equal(b.size, 13);
    assert_memory_equal(b.mem.data, "Subject: hi\r\n", 13);
    sg_msgbuf_free(&b);
}

static void
test_spill_keeps_every_byte(void **state)
{
    (void)state;
    struct sg_msgbuf b;
    const char *error = NULL;
    sg_msgbuf_init(&b, 4096, tmpdir);
    char chunk[1000];
    for (int round = 0; round < 2; round++) { /* a second message reuses b */
        size_t total = 0;
        for (int i = 0; i < 10; i++) {
            memset(chunk, 'a' + i, sizeof(chunk));
            assert_int_equal(sg_msgbuf_append(&b, chunk, sizeof(chunk),
                                              &error),
                             0);
            total += sizeof(chunk);
            assert_int_equal(sg_msgbuf_spilled(&b), total > 4096);
        }
        assert_int_equal(b.size, 10000);
        assert_null(b.mem.data);             /* memory released */
        assert_int_equal(files_in(tmpdir), 0); /* the file has no name */
        /* read it back */
        char back[10000];
        assert_int_equal(pread(b.fd, back, sizeof(back), 0), 10000);
        for (int i = 0; i < 10; i++)
            assert_int_equal(back[i * 1000 + 999], 'a' + i);
        sg_msgbuf_reset(&b);
        assert_false(sg_msgbuf_spilled(&b));
        assert_int_equal(b.size, 0);
    }
    sg_msgbuf_free(&b);
}

/* A small message's pieces (a header each, then the body) fill the room
 * its first piece made: the buffer is not grown again and again. */
static void
test_first_piece_room(void **state)
{
    (void)state;
    struct sg_msgbuf b;
    const char *error = NULL;
    sg_msgbuf_init(&b, 1024 * 1024, tmpdir);
    assert_int_equal(sg_msgbuf_append(&b, "From: a@b\r\n", 11, &error), 0);
    char line[300];
    memset(line, 'x', sizeof(line));
    fail_realloc_from = 1; /* no more growing */
    for (int i = 0; i < 20; i++)
        assert_int_equal(sg_msgbuf_append(&b, line, sizeof(line), &error), 0);
    fail_realloc_from = 0;
    assert_int_equal(b.size, 11 + 20 * sizeof(line));
    assert_int_equal(b.mem.len, b.size);
    sg_msgbuf_free(&b);
    /* within a limit smaller than the room, the piece's own size */
    sg_msgbuf_init(&b, 100, tmpdir);
    assert_int_equal(sg_msgbuf_append(&b, "From: a@b\r\n", 11, &error), 0);
    assert_true(b.mem.cap < 100);
    sg_msgbuf_free(&b);
}

/* A second message on the same buffer: the first one's memory was given
 * back at its end (an idle connection holds none), and nothing of it
 * shows in the second. */
static void
test_reset_releases(void **state)
{
    (void)state;
    struct sg_msgbuf b;
    const char *error = NULL;
    sg_msgbuf_init(&b, 1024 * 1024, tmpdir);
    static char big[200 * 1024]; /* in memory: below the limit */
    memset(big, 'a', sizeof(big));
    assert_int_equal(sg_msgbuf_append(&b, big, sizeof(big), &error), 0);
    assert_false(sg_msgbuf_spilled(&b));
    assert_int_equal(b.size, sizeof(big));
    assert_int_equal(b.mem.len, sizeof(big));
    sg_msgbuf_reset(&b);
    assert_null(b.mem.data);
    assert_int_equal(b.mem.cap, 0);
    assert_int_equal(b.size, 0);
    /* a small message after it */
    assert_int_equal(sg_msgbuf_append(&b, "Subject: two\r\n", 14, &error), 0);
    assert_int_equal(b.size, 14);
    assert_int_equal(b.mem.len, 14);
    assert_string_equal(b.mem.data, "Subject: two\r\n");
    sg_msgbuf_reset(&b);
    assert_null(b.mem.data); /* a small buffer is not kept either */
    /* and a small one after a small one */
    assert_int_equal(sg_msgbuf_append(&b, "x", 1, &error), 0);
    assert_int_equal(b.mem.len, 1);
    assert_string_equal(b.mem.data, "x");
    sg_msgbuf_free(&b);
    assert_null(b.mem.data);
}

static void
test_spill_failure(void **state)
{
    (void)state;
    struct sg_msgbuf b;
    const char *error = NULL;
    sg_msgbuf_init(&b, 4096, "/nonexistent/dir");
    char chunk[3000];
    memset(chunk, 'x', sizeof(chunk));
    assert_int_equal(sg_msgbuf_append(&b, chunk, sizeof(chunk), &error), 0);
    assert_int_equal(sg_msgbuf_append(&b, chunk, sizeof(chunk), &error), -1);
    assert_string_equal(error, "cannot create a temporary file in tmpdir");
    sg_msgbuf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_memory),
        cmocka_unit_test(test_spill_keeps_every_byte),
        cmocka_unit_test(test_reset_releases),
        cmocka_unit_test(test_first_piece_room),
        cmocka_unit_test(test_spill_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
