/*
 * fuzz_extract.c - libFuzzer target for the attachment text parsers
 * (extract/extract.c: PDF through poppler, ZIP, OOXML and OpenDocument
 * through libarchive and libxml2, RTF, text): any attachment, as sent by
 * anyone, must give a status of enum sg_extract_status and valid UTF-8
 * within the output bound, never crash, leak or read out of bounds.  The
 * bounds are small here so that a run stays fast; the sandbox of the
 * helper (extract/main.c) is not part of what is fuzzed.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "sg_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    static const struct sg_extract_limits limits = {
        65536, 64, 2, (size_t)4 * 1024 * 1024, 100, 8};
    if (!ready) {
        sg_extract_init();
        ready = true;
    }
    struct sg_buf out = SG_BUF_INIT;
    int st = sg_extract((const char *)data, size, "attachment.bin", NULL,
                        &limits, &out);
    if (st < SG_EXTRACT_OK || st > SG_EXTRACT_NONE)
        abort();
    if (out.len > limits.max_out)
        abort();
    for (size_t i = 0; i < out.len;) { /* valid UTF-8, no NUL */
        size_t n = sg_utf8_decode((const unsigned char *)out.data + i,
                                  out.len - i, NULL);
        if (n == 0 || out.data[i] == '\0')
            abort();
        i += n;
    }
    sg_buf_free(&out);
    return 0;
}
