/*
 * fuzz_html.c - libFuzzer target: any bytes as an HTML part through the
 * reduction to text (core/html_text.c, html_places.c): the scan that
 * gives long runs of text to libxml2 as marks, the parse, the marks put
 * back, and the second parse when a mark goes astray; and the same
 * texts as the plain reduction (sg_html_to_text_plain: libxml2's own
 * copy through its read callback and converter, no marks).
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
    struct sg_buf r[2][3] = {{SG_BUF_INIT, SG_BUF_INIT, SG_BUF_INIT},
                             {SG_BUF_INIT, SG_BUF_INIT, SG_BUF_INIT}};
    int fast = sg_html_to_text(html, size, &r[0][0], &r[0][1], &r[0][2]);
    int plain = sg_html_to_text_plain(html, size, &r[1][0], &r[1][1],
                                      &r[1][2]);
    if (fast == 0 && r[0][0].len > 0 && r[0][0].data[r[0][0].len] != '\0')
        abort();
    for (int k = 0; fast == 0 && plain == 0 && k < 3; k++)
        if (r[0][k].len != r[1][k].len ||
            (r[0][k].len > 0 &&
             memcmp(r[0][k].data, r[1][k].data, r[0][k].len) != 0))
            abort(); /* the fast way read it otherwise */
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 3; k++)
            sg_buf_free(&r[i][k]);
    free(html);
    return 0;
}
