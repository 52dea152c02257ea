/*
 * test_buf.c - the growable buffer: appends, printf, growth, steal, and
 * the sticky failure flag (an overflowing reserve, and realloc made to
 * fail, fail_realloc.h).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fail_realloc.h"
#include "sg_buf.h"

static void
test_append_and_printf(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_buf_puts(&b, "queue "), 0);
    assert_int_equal(sg_buf_printf(&b, "%s: %d rcpt", "4Xy7", 3), 0);
    assert_int_equal(sg_buf_putc(&b, '.'), 0);
    assert_string_equal(b.data, "queue 4Xy7: 3 rcpt.");
    assert_int_equal(b.len, strlen("queue 4Xy7: 3 rcpt."));
    sg_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    sg_buf_free(&b);
    assert_null(b.data);
}

static void
test_growth_with_nul_bytes(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT;
    char chunk[1000];
    memset(chunk, 'x', sizeof(chunk));
    chunk[10] = '\0';
    for (int i = 0; i < 100; i++)
        assert_int_equal(sg_buf_append(&b, chunk, sizeof(chunk)), 0);
    assert_int_equal(b.len, 100000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[b.len], '\0');
    assert_int_equal(b.data[1010], '\0');
    assert_int_equal(b.data[1011], 'x');
    sg_buf_free(&b);
}

static void
test_steal(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT;
    assert_string_equal(sg_buf_text_or(&b, "-"), "-");
    assert_int_equal(sg_buf_puts(&b, ""), 0);
    assert_string_equal(sg_buf_text_or(&b, "-"), "");
    sg_buf_free(&b);
    char *empty = sg_buf_steal(&b);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    free(empty);
    assert_int_equal(sg_buf_puts(&b, "held"), 0);
    char *s = sg_buf_steal(&b);
    assert_string_equal(s, "held");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
}

static void
test_overflow_refused(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_buf_puts(&b, "abc"), 0);
    assert_int_equal(sg_buf_reserve(&b, SIZE_MAX - 2), -1);
    assert_string_equal(b.data, "abc"); /* unchanged */
    sg_buf_free(&b);
}

static void
test_failure_is_sticky(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT;
    assert_false(sg_buf_failed(&b));
    assert_int_equal(sg_buf_puts(&b, "to: "), 0);
    assert_int_equal(sg_buf_reserve(&b, SIZE_MAX - 2), -1);
    assert_true(sg_buf_failed(&b));
    /* later appends are no-ops, even ones that would fit */
    assert_int_equal(sg_buf_puts(&b, "pupil"), -1);
    assert_int_equal(sg_buf_putc(&b, '.'), -1);
    assert_int_equal(sg_buf_printf(&b, "%d", 7), -1);
    assert_int_equal(sg_buf_append(&b, "x", 1), -1);
    assert_int_equal(sg_buf_reserve(&b, 1), -1);
    assert_string_equal(b.data, "to: ");
    assert_true(sg_buf_failed(&b));
    assert_string_equal(sg_buf_text_or(&b, "?"), "?");
    /* the text with a piece missing is never handed out */
    assert_null(sg_buf_steal(&b));
    assert_null(b.data);
    assert_false(sg_buf_failed(&b));
    sg_buf_free(&b);
}

static void
test_allocation_failure_is_sticky(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_buf_puts(&b, "short"), 0);
    char big[200];
    memset(big, 'y', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    fail_realloc_from = 1;
    assert_int_equal(sg_buf_puts(&b, big), -1); /* needs to grow */
    fail_realloc_from = 0;
    assert_true(sg_buf_failed(&b));
    assert_int_equal(sg_buf_puts(&b, "!"), -1); /* room, but refused */
    assert_string_equal(b.data, "short");
    /* a piece made elsewhere that failed fails this buffer too */
    sg_buf_reset(&b);
    assert_int_equal(sg_buf_fail(&b), -1);
    assert_true(sg_buf_failed(&b));
    assert_int_equal(sg_buf_puts(&b, "x"), -1);
    /* reset is a fresh start */
    sg_buf_reset(&b);
    assert_false(sg_buf_failed(&b));
    assert_int_equal(sg_buf_puts(&b, "again"), 0);
    char *s = sg_buf_steal(&b);
    assert_string_equal(s, "again");
    free(s);
    /* an empty buffer that cannot allocate steals NULL */
    fail_realloc_from = 1;
    assert_null(sg_buf_steal(&b));
    fail_realloc_from = 0;
    sg_buf_free(&b);
}

/* printf writes into the room the buffer has and grows only when the
 * text does not fit: a text that fills the room to its last byte but the
 * NUL, one a byte longer, and one that cannot grow (the text unchanged). */
static void
test_printf_room(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_buf_printf(&b, "%s", "ab"), 0);
    size_t cap = b.cap;
    assert_true(cap > 8);
    char fill[512];
    size_t k = cap - b.len - 1; /* exactly the room left but the NUL */
    memset(fill, 'f', k);
    fill[k] = '\0';
    assert_int_equal(sg_buf_printf(&b, "%s", fill), 0);
    assert_int_equal(b.cap, cap); /* it fitted */
    assert_int_equal(b.len, cap - 1);
    assert_int_equal(strlen(b.data), b.len);
    assert_memory_equal(b.data, "ab", 2);
    assert_int_equal(sg_buf_printf(&b, "%d", 7), 0); /* one byte more */
    assert_true(b.cap > cap);
    assert_int_equal(b.len, cap);
    assert_int_equal(b.data[cap - 1], '7');
    assert_int_equal(b.data[cap], '\0');
    /* a text past the room that cannot grow leaves the text as it was */
    sg_buf_reset(&b);
    assert_int_equal(sg_buf_puts(&b, "to: "), 0);
    memset(fill, 'g', sizeof(fill) - 1);
    fill[sizeof(fill) - 1] = '\0';
    fail_realloc_from = 1;
    assert_int_equal(sg_buf_printf(&b, "<%s>", fill), -1);
    fail_realloc_from = 0;
    assert_string_equal(b.data, "to: ");
    assert_true(sg_buf_failed(&b));
    sg_buf_free(&b);
}

/* cat appends what printf with "%s" for each piece would, a NULL piece
 * as glibc prints it; a text that cannot grow is left as it was and the
 * failure sticks. */
static void
test_cat(void **state)
{
    (void)state;
    struct sg_buf b = SG_BUF_INIT, p = SG_BUF_INIT;
    const char *none = NULL;
    assert_int_equal(sg_buf_cat(&b, "<", "amy@school.example", ">"), 0);
    assert_int_equal(sg_buf_cat(&b, "", ":pupil"), 0);
    assert_int_equal(sg_buf_cat(&b, " sender=<", none, ">"), 0);
    assert_int_equal(sg_buf_printf(&p, "%s%s%s%s%s%s%s%s", "<",
                                   "amy@school.example", ">", "", ":pupil",
                                   " sender=<", "(null)", ">"),
                     0);
    assert_string_equal(b.data, p.data);
    assert_int_equal(b.len, p.len);
    char fill[512];
    memset(fill, 'g', sizeof(fill) - 1);
    fill[sizeof(fill) - 1] = '\0';
    fail_realloc_from = 1;
    assert_int_equal(sg_buf_cat(&b, ",", fill), -1);
    fail_realloc_from = 0;
    assert_string_equal(b.data, p.data);
    assert_int_equal(sg_buf_cat(&b, "x"), -1);
    assert_true(sg_buf_failed(&b));
    sg_buf_free(&b);
    sg_buf_free(&p);
}

/* Numbers for cat are what printf writes. */
static void
test_decimal(void **state)
{
    (void)state;
    static const long long signed_values[] = {
        0, 7, -7, 10, 99, -100, 4096, LLONG_MAX, LLONG_MIN, LLONG_MIN + 1};
    static const unsigned long long unsigned_values[] = {
        0, 1, 9, 10, 1234567890, ULLONG_MAX, ULLONG_MAX / 10};
    char buf[SG_DEC_SIZE], want[32];
    for (size_t i = 0; i < sizeof(signed_values) / sizeof(*signed_values);
         i++) {
        snprintf(want, sizeof(want), "%lld", signed_values[i]);
        assert_string_equal(sg_dec(buf, signed_values[i]), want);
    }
    for (size_t i = 0; i < sizeof(unsigned_values) / sizeof(*unsigned_values);
         i++) {
        snprintf(want, sizeof(want), "%llu", unsigned_values[i]);
        assert_string_equal(sg_udec(buf, unsigned_values[i]), want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_printf),
        cmocka_unit_test(test_growth_with_nul_bytes),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_overflow_refused),
        cmocka_unit_test(test_failure_is_sticky),
        cmocka_unit_test(test_allocation_failure_is_sticky),
        cmocka_unit_test(test_printf_room),
        cmocka_unit_test(test_cat),
        cmocka_unit_test(test_decimal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
