/*
 * fuzz_mailqueue.c - libFuzzer target for the mail queue listing parser
 * (milter/mailqueue.c): postqueue -j's lines carry senders and recipients
 * from the mail itself.  Any input must parse or fail with a message,
 * never crash, leak or read out of bounds; a parsed listing must answer
 * lookups of every id it holds.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "mailqueue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sg_mailqueue q;
    const char *err = NULL;
    if (sg_mailqueue_parse((const char *)data, size, &q, &err) < 0) {
        if (err == NULL)
            abort();
        return 0;
    }
    for (size_t i = 0; i < q.n; i++) {
        const char *name = NULL;
        enum sg_mailqueue_state st = sg_mailqueue_find(&q, q.ids[i], &name);
        if (st != SG_MAILQUEUE_HOLD && st != SG_MAILQUEUE_OTHER)
            abort();
        if (name == NULL)
            abort();
    }
    sg_mailqueue_free(&q);
    return 0;
}
