/*
 * fuzz_msgview.c - libFuzzer target: any bytes as a raw message through
 * the message view builder (core/msgview_*.c), then freed.
 *
 * SECURITY: this is the attacker's entry point (every inbound message); the
 * builder must neither crash, leak nor hand out invalid UTF-8 for any input.
 * Each input is built three ways: as the daemon builds it, the same with
 * GMime making the body part (sg_msgview_direct false), and by GMime's
 * parse of the whole message (sg_msgview_window and sg_msgview_lean
 * false).  The first two must be the same, field by field, and the
 * first the same as the last; where those bodies differ, the daemon's
 * must be one GMime's whole parse makes of the same message with the
 * body elsewhere in its reads (body_gmime_makes_somewhere).
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
#include "msgview_int.h" /* sg_msgview_window, _lean, _direct */

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

static bool
same_z(const char *a, const char *b)
{
    return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

static bool
same_text(const struct sg_text_part *a, const struct sg_text_part *b)
{
    return a->len == b->len && memcmp(a->text, b->text, a->len) == 0 &&
           same_z(a->content_type, b->content_type) &&
           same_z(a->label, b->label) && a->depth == b->depth &&
           a->from_html == b->from_html &&
           a->is_attachment == b->is_attachment && a->place == b->place &&
           same_z(a->quote_author, b->quote_author) &&
           same_z(a->quote_addr, b->quote_addr);
}

static bool
same_attachment(const struct sg_attachment *a, const struct sg_attachment *b)
{
    return same_z(a->content_type, b->content_type) &&
           same_z(a->filename, b->filename) && a->size == b->size &&
           a->depth == b->depth && same_z(a->image_type, b->image_type) &&
           a->width == b->width && a->height == b->height &&
           a->camera == b->camera && a->inline_ref == b->inline_ref &&
           same_z(a->content_id, b->content_id);
}

/* What the two views made of the body is the same: the parts, their
 * texts and attachments, the flags. */
static bool
same_body(const struct sg_msgview *a, const struct sg_msgview *b)
{
    bool same = a->n_texts == b->n_texts &&
                a->n_attachments == b->n_attachments &&
                a->n_parts == b->n_parts && a->n_nested == b->n_nested &&
                a->malformed == b->malformed && a->incomplete == b->incomplete;
    for (size_t i = 0; same && i < a->n_texts; i++)
        same = same_text(&a->texts[i], &b->texts[i]);
    for (size_t i = 0; same && i < a->n_attachments; i++)
        same = same_attachment(&a->attachments[i], &b->attachments[i]);
    return same;
}

/* What the two views made of the header block (and the size) is the
 * same. */
static bool
same_head(const struct sg_msgview *a, const struct sg_msgview *b)
{
    bool same =
        same_z(a->subject, b->subject) && same_z(a->from_name, b->from_name) &&
        same_z(a->from_addr, b->from_addr) &&
        same_z(a->message_id, b->message_id) &&
        same_z(a->display_names, b->display_names) &&
        a->n_headers == b->n_headers &&
        a->n_sender_claims == b->n_sender_claims &&
        a->sender_claims_overflow == b->sender_claims_overflow &&
        a->size == b->size;
    for (size_t i = 0; same && i < a->n_headers; i++)
        same = same_z(a->headers[i].name, b->headers[i].name) &&
               same_z(a->headers[i].value, b->headers[i].value);
    for (size_t i = 0; same && i < a->n_sender_claims; i++)
        same = same_z(a->sender_claims[i], b->sender_claims[i]);
    return same;
}

/* Every field of the two views is the same. */
static bool
same_view(const struct sg_msgview *a, const struct sg_msgview *b)
{
    return same_head(a, b) && same_body(a, b);
}

static struct sg_msgview *
build_direct(const uint8_t *data, size_t size, bool fast, bool direct)
{
    struct sg_msgview *view = NULL;
    const char *error = NULL;
    sg_msgview_window = sg_msgview_lean = fast;
    sg_msgview_direct = direct;
    if (sg_msgview_build_mem((const char *)data, size, &view, &error) < 0)
        abort(); /* only allocation failure may fail, and that is not fuzzed */
    check_view(view);
    return view;
}

static struct sg_msgview *
build(const uint8_t *data, size_t size, bool fast)
{
    return build_direct(data, size, fast, true);
}

/* Whether the body of view is what GMime's own parse of the whole
 * message makes of it with the body somewhere else in GMime's reads: the
 * message after a header of 8 to 4,103 bytes, each parsed whole, until
 * one body is the same.  GMime reads some malformed parts (a part's
 * header line cut by a read, say) by where they fall in its 4 KB reads;
 * the ways give GMime the body at different places, so they may differ
 * as GMime differs from itself (the view is flagged malformed either
 * way). */
static bool
body_gmime_makes_somewhere(const uint8_t *data, size_t size,
                           const struct sg_msgview *view)
{
    bool found = false;
    for (size_t pad = 8; pad < 8 + 4096 && !found; pad++) {
        size_t n = pad + size;
        uint8_t *m = malloc(n);
        if (m == NULL)
            abort();
        memcpy(m, "X-Pad: ", 7);
        memset(m + 7, 'a', pad - 8);
        m[pad - 1] = '\n';
        memcpy(m + pad, data, size);
        struct sg_msgview *v = build(m, n, false);
        free(m);
        found = same_body(view, v);
        sg_msgview_free(&v);
    }
    return found;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sg_msgview *view = build(data, size, true);
    struct sg_msgview *part = build_direct(data, size, true, false);
    struct sg_msgview *whole = build(data, size, false);
    if (!same_view(view, part))
        abort();
    sg_msgview_free(&part);
    if (!same_view(view, whole) &&
        (!same_head(view, whole) ||
         !body_gmime_makes_somewhere(data, size, view)))
        abort();
    sg_msgview_free(&view);
    sg_msgview_free(&whole);
    return 0;
}
