/*
 * fail_realloc.c - realloc that fails on demand (see fail_realloc.h).
 */
#include "config.h"

#include "fail_realloc.h"

size_t fail_realloc_from;

void *__real_realloc(void *ptr, size_t size);
void *__wrap_realloc(void *ptr, size_t size);

void *
__wrap_realloc(void *ptr, size_t size)
{
    if (fail_realloc_from > 0 && size >= fail_realloc_from)
        return NULL;
    return __real_realloc(ptr, size);
}
