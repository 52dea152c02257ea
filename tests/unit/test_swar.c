/*
 * test_swar.c - the eight-bytes-at-a-time tests of sg_swar.h against
 * their definitions byte by byte: every byte value in every lane, beside
 * neighbours of every kind (a carry or borrow that crossed a byte would
 * show as a wrong flag in the next lane), and the byte order of
 * sg_load8/sg_store8.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sg_swar.h"

/* Neighbours for the other seven lanes: the values where carries and
 * borrows start (0, 0x7f, 0x80, 0xff) and some ordinary ones. */
static const unsigned char fills[] = {0x00, 0x01, 0x1f, 0x20, 0x7f,
                                      0x80, 0x81, 0xff, 'a',  '@'};
#define N_FILLS (sizeof(fills) / sizeof(fills[0]))

/* Eight bytes: fill everywhere but lane, which holds v. */
static void
bytes_with(unsigned char b[8], unsigned lane, unsigned char v,
           unsigned char fill)
{
    memset(b, fill, 8);
    b[lane] = v;
}

/* Whether flags (a test's result) has exactly the lanes of b that
 * holds(b[k]) says. */
typedef int (*byte_test)(unsigned char byte, unsigned char arg);

static void
check_flags(uint64_t flags, const unsigned char b[8], byte_test holds,
            unsigned char arg)
{
    for (unsigned k = 0; k < 8; k++) {
        uint64_t lane = (flags >> (8 * k)) & 0xFF;
        assert_int_equal(lane, holds(b[k], arg) ? 0x80 : 0);
    }
}

static int
is_zero(unsigned char byte, unsigned char arg)
{
    (void)arg;
    return byte == 0;
}

static int
is_eq(unsigned char byte, unsigned char c)
{
    return byte == c;
}

static int
is_below(unsigned char byte, unsigned char n)
{
    return byte < n;
}

static void
test_load_store_order(void **state)
{
    (void)state;
    const char src[9] = "\x01\x02\x03\x04\x05\x06\x07\x08";
    uint64_t w = sg_load8(src);
    for (unsigned k = 0; k < 8; k++)
        assert_int_equal((w >> (8 * k)) & 0xFF, k + 1);
    char back[8];
    sg_store8(back, w);
    assert_memory_equal(back, src, 8);
}

/* sg_swar.h's tests with one argument each (sg_swar_zero ignores it). */
typedef uint64_t (*word_test)(uint64_t w, unsigned char arg);

static uint64_t
zero_of(uint64_t w, unsigned char arg)
{
    (void)arg;
    return sg_swar_zero(w);
}

static uint64_t
eq_of(uint64_t w, unsigned char c)
{
    return sg_swar_eq(w, c);
}

static uint64_t
below_of(uint64_t w, unsigned char n)
{
    return sg_swar_below(w, n);
}

/* test against holds, with arg: every byte value in every lane, beside
 * each of the fills (every step-th, to keep the loops short). */
static void
check_every_byte(word_test test, byte_test holds, unsigned char arg,
                 size_t step)
{
    unsigned char b[8];
    for (unsigned lane = 0; lane < 8; lane++)
        for (unsigned v = 0; v < 256; v++)
            for (size_t f = 0; f < N_FILLS; f += step) {
                bytes_with(b, lane, (unsigned char)v, fills[f]);
                check_flags(test(sg_load8((const char *)b), arg), b, holds,
                            arg);
            }
}

static void
test_zero_every_byte(void **state)
{
    (void)state;
    check_every_byte(zero_of, is_zero, 0, 1);
}

/* sg_swar_any_zero says yes exactly when a byte is zero. */
static void
test_any_zero_every_byte(void **state)
{
    (void)state;
    unsigned char b[8];
    for (unsigned lane = 0; lane < 8; lane++)
        for (unsigned v = 0; v < 256; v++)
            for (size_t f = 0; f < N_FILLS; f++) {
                bytes_with(b, lane, (unsigned char)v, fills[f]);
                assert_int_equal(sg_swar_any_zero(sg_load8((const char *)b)) != 0,
                                 memchr(b, 0, 8) != NULL);
            }
}

static void
test_eq_every_byte(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 256; c++)
        check_every_byte(eq_of, is_eq, (unsigned char)c, 3);
}

static void
test_below_every_byte(void **state)
{
    (void)state;
    for (unsigned n = 0; n <= 0x80; n++)
        check_every_byte(below_of, is_below, (unsigned char)n, 3);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_store_order),
        cmocka_unit_test(test_zero_every_byte),
        cmocka_unit_test(test_any_zero_every_byte),
        cmocka_unit_test(test_eq_every_byte),
        cmocka_unit_test(test_below_every_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
