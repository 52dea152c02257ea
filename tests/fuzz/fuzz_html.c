/*
 * fuzz_html.c - libFuzzer target: any bytes as an HTML part through the
 * reduction to text (core/html_text.c, html_places.c): the scan that
 * gives long runs of text to libxml2 as marks, the parse, the marks put
 * back, and the second parse when a mark goes astray.
 *
 * SECURITY: the HTML is the sender's; the reduction must neither crash
 * nor leak for any input.  (The view hands it valid UTF-8 without NUL;
 * here it gets any bytes, which it must survive all the same.)
 * Fails by aborting (libFuzzer reports the input that did it).
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "html_text.h"
#include "msgview_build.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready; /* libFuzzer runs the inputs one at a time */
    if (!ready) {
        sg_msgview_build_init(); /* xmlInitParser */
        ready = true;
    }
    char *html = malloc(size + 1); /* NUL-terminated, as a sg_buf is */
    if (html == NULL)
        return 0;
    memcpy(html, data, size);
    html[size] = '\0';
    struct sg_buf out = SG_BUF_INIT, hidden = SG_BUF_INIT,
                  markup = SG_BUF_INIT;
    if (sg_html_to_text(html, size, &out, &hidden, &markup) == 0 &&
        (out.len > 0 && out.data[out.len] != '\0'))
        abort();
    sg_buf_free(&out);
    sg_buf_free(&hidden);
    sg_buf_free(&markup);
    free(html);
    return 0;
}
