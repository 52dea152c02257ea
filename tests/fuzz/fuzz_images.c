/*
 * fuzz_images.c - libFuzzer target: any bytes as the start of an image
 * part (milter/images.c: PNG, GIF, JPEG, WebP and BMP headers, EXIF through
 * libexif) and as HTML whose cid: links are collected.
 *
 * SECURITY: both readers see attacker bytes for every inbound message
 * with an attachment or HTML.  They must neither crash, leak nor read
 * past the bytes given, and keep their promises: a size is whole or none,
 * the links are bounded in number and length, and each is found again.
 * Fails by aborting (libFuzzer reports the input that did it).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "images.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sg_image_facts facts;
    if (size > SG_IMAGE_PROBE_MAX)
        size = SG_IMAGE_PROBE_MAX; /* the builder reads no more */
    /* a copy of exactly size bytes, so that ASan sees any read past it */
    unsigned char *copy = malloc(size > 0 ? size : 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data, size);
    sg_image_probe(copy, size, &facts);
    if ((facts.width == 0) != (facts.height == 0))
        abort();
    if (facts.type == NULL && (facts.width != 0 || facts.camera))
        abort();

    struct sg_cid_refs refs = {NULL, 0, 0};
    if (sg_cid_refs_scan(&refs, (const char *)copy, size) < 0)
        abort(); /* only allocation failure may fail, and that is not fuzzed */
    if (refs.n > SG_CID_REFS_MAX)
        abort();
    for (size_t i = 0; i < refs.n; i++) {
        size_t len = strlen(refs.v[i]);
        if (len == 0 || len > SG_CID_MAX || !sg_cid_refs_has(&refs, refs.v[i]))
            abort();
    }
    sg_cid_refs_free(&refs);
    free(copy);
    return 0;
}
