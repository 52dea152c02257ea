/*
 * fuzz_msgview.c - libFuzzer target: any bytes as a raw message through
 * the message view builder (core/msgview_*.c), then freed.
 *
 * SECURITY: this is the attacker's entry point (every inbound message); the
 * builder must neither crash, leak nor hand out invalid UTF-8 for any input.
 * Fails by aborting (libFuzzer reports the input that did it).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "msgview_build.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    sg_msgview_build_init();
    return 0;
}

static void
check_utf8(const char *s)
{
    if (s != NULL && !g_utf8_validate(s, -1, NULL))
        abort();
}

/* The view's promises: valid UTF-8, lengths that match, depths bounded. */
static void
check_view(const struct sg_msgview *v)
{
    size_t total = 0;
    if (v->subject == NULL)
        abort();
    check_utf8(v->subject);
    check_utf8(v->from_name);
    check_utf8(v->from_addr);
    check_utf8(v->message_id);
    check_utf8(v->display_names);
    for (size_t i = 0; i < v->n_headers; i++) {
        check_utf8(v->headers[i].name);
        check_utf8(v->headers[i].value);
    }
    /* sender claims: each an address (has '@'), valid UTF-8, each once,
     * no more than the cap */
    if (v->n_sender_claims > SG_MSGVIEW_MAX_CLAIMS)
        abort();
    for (size_t i = 0; i < v->n_sender_claims; i++) {
        check_utf8(v->sender_claims[i]);
        if (strchr(v->sender_claims[i], '@') == NULL)
            abort();
        for (size_t k = 0; k < i; k++)
            if (strcasecmp(v->sender_claims[k], v->sender_claims[i]) == 0)
                abort();
    }
    for (size_t i = 0; i < v->n_texts; i++) {
        const struct sg_text_part *t = &v->texts[i];
        if (strlen(t->text) != t->len || t->depth > SG_MSGVIEW_MAX_DEPTH)
            abort();
        check_utf8(t->text);
        check_utf8(t->label);
        /* places: a known one; only a quote names an author, whose
         * address is lower case and in it */
        if (sg_msgview_place_name(t->place) == NULL)
            abort();
        if (t->place != SG_PLACE_QUOTED &&
            (t->quote_author != NULL || t->quote_addr != NULL))
            abort();
        check_utf8(t->quote_author);
        check_utf8(t->quote_addr);
        if (t->quote_addr != NULL &&
            (t->quote_author == NULL || strchr(t->quote_addr, '@') == NULL))
            abort();
        for (const char *p = t->quote_author; p != NULL && *p != '\0'; p++)
            if ((unsigned char)*p < 0x20)
                abort();
        total += t->len;
    }
    if (total > SG_MSGVIEW_MAX_TEXT)
        abort();
    for (size_t i = 0; i < v->n_attachments; i++) {
        check_utf8(v->attachments[i].content_type);
        check_utf8(v->attachments[i].filename);
        check_utf8(v->attachments[i].content_id);
        if ((v->attachments[i].width == 0) != (v->attachments[i].height == 0))
            abort();
        if (v->attachments[i].depth > SG_MSGVIEW_MAX_DEPTH)
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sg_msgview *view = NULL;
    const char *error = NULL;
    if (sg_msgview_build_mem((const char *)data, size, &view, &error) < 0)
        abort(); /* only allocation failure may fail, and that is not fuzzed */
    check_view(view);
    sg_msgview_free(&view);
    return 0;
}
