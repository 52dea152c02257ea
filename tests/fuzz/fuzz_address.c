/*
 * fuzz_address.c - libFuzzer target for the envelope address code of the
 * directory: sg_dir_address_normalise (the lookup key) and
 * sg_dir_address_routes (the forms Postfix's trivial-rewrite may deliver
 * a recipient to).  Any input must give a key or NULL, never crash, leak
 * or read out of bounds; a key has no control characters and is its own
 * key (the file, LDAP and cache all key through it); the forms are
 * bounded, non-empty, and each normalises without trouble.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg_directory.h"
#include "sg_person.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_key(const char *address, const char *delims)
{
    char *key = sg_dir_address_normalise(address, delims);
    if (key == NULL)
        return;
    for (const char *p = key; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            abort();
    char *again = sg_dir_address_normalise(key, delims);
    if (again == NULL || strcmp(again, key) != 0)
        abort();
    free(again);
    free(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_key(s, "+");
    check_key(s, NULL);

    char **forms = NULL;
    size_t n = 0;
    int rc = sg_dir_address_routes(s, &forms, &n);
    if (rc < -2 || rc > SG_DIR_ROUTES_MAX || (rc >= 0 && (size_t)rc != n) ||
        (rc < 0 && (forms != NULL || n != 0)))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (forms[i][0] == '\0')
            abort();
        check_key(forms[i], "+");
    }
    sg_strv_free(&forms, &n);
    free(s);
    return 0;
}
