/*
 * fail_realloc.h - make realloc fail on demand in a unit test.  A test
 * that uses it is linked with -Wl,--wrap=realloc and fail_realloc.c, so
 * the realloc calls of the code under test (sg_buf's growth, for one)
 * come here.
 */
#ifndef SG_TEST_FAIL_REALLOC_H
#define SG_TEST_FAIL_REALLOC_H

#include <stddef.h>

/* While not 0, realloc refuses every size of at least this many bytes
 * (1: every call). */
extern size_t fail_realloc_from;

#endif
