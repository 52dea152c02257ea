/*
 * fuzz_settings.c - libFuzzer target for the configuration loader
 * (core/settings.c) over every section, as safeguard-review composes them.
 * The file is trusted, but the loader must still never crash, leak or read
 * out of bounds: any input loads or fails with "fuzz.conf..." (the file,
 * and the line when there is one); what loads dumps to text that loads
 * back to the same dump.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_config.h"
#include "review_settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* cfg's dump, malloc'd. */
static char *
dump(const struct sg_config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out == NULL || sg_config_dump(cfg, out) < 0)
        abort();
    fclose(out);
    return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the text is read up to a NUL, as sg_config_load_string reads it */
    char *text = strndup((const char *)data, size);
    if (text == NULL)
        return 0;
    const char *err = NULL;
    struct sg_config *cfg =
        sg_config_load_string_with(text, "fuzz.conf", sg_review_sections, &err);
    free(text);
    if (cfg == NULL) {
        if (err == NULL || (strncmp(err, "fuzz.conf", 9) != 0 &&
                            strcmp(err, "out of memory") != 0))
            abort();
        return 0;
    }
    char *first = dump(cfg);
    struct sg_config *again =
        sg_config_load_string_with(first, "dump", sg_review_sections, &err);
    if (again == NULL)
        abort(); /* what loaded dumps to what does not */
    char *second = dump(again);
    if (strcmp(first, second) != 0)
        abort();
    free(first);
    free(second);
    sg_config_free(&again);
    sg_config_free(&cfg);
    return 0;
}
