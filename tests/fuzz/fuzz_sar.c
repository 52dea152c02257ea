/*
 * fuzz_sar.c - libFuzzer target for the subject access export's masker
 * (review/review_sar.c), which reads untrusted text (subjects, the words
 * found in a message, notes): whatever the text, an answer, never a
 * crash, a leak or a read out of bounds, and no other e-mail address
 * left whole.  The input is "SUBJECT-ADDRESS\nTEXT".
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "review_cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    char *text = strchr(in, '\n');
    const char *subject = "a@b.example";
    if (text != NULL) {
        *text++ = '\0';
        subject = in;
    } else {
        text = in;
    }
    char *out = sg_review_sar_mask_text(subject, text);
    /* the input had no "@": nothing can have been added */
    if (out != NULL && strchr(text, '@') == NULL && strchr(out, '@') != NULL)
        abort();
    free(out);
    free(in);
    return 0;
}
