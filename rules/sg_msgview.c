/*
 * sg_msgview.c - allocation and lookup helpers for the message view.
 *
 * SECURITY: reads only; the view's content is untrusted text.
 * Fails by returning NULL (allocation).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "sg_msgview.h"

struct sg_msgview *
sg_msgview_new(void)
{
    return calloc(1, sizeof(struct sg_msgview));
}

void
sg_msgview_free(struct sg_msgview **view)
{
    struct sg_msgview *v = *view;
    if (v == NULL)
        return;
    free(v->queue_id);
    free(v->client_addr);
    free(v->auth_user);
    free(v->env_from);
    for (size_t i = 0; i < v->n_rcpt; i++)
        free(v->env_rcpt[i]);
    free(v->env_rcpt);
    for (size_t i = 0; i < v->n_headers; i++) {
        free(v->headers[i].name);
        free(v->headers[i].value);
    }
    free(v->headers);
    free(v->subject);
    free(v->from_name);
    free(v->from_addr);
    free(v->message_id);
    free(v->display_names);
    for (size_t i = 0; i < v->n_sender_claims; i++)
        free(v->sender_claims[i]);
    free(v->sender_claims);
    for (size_t i = 0; i < v->n_texts; i++) {
        free(v->texts[i].text);
        free(v->texts[i].content_type);
        free(v->texts[i].label);
        free(v->texts[i].quote_author);
        free(v->texts[i].quote_addr);
    }
    free(v->texts);
    for (size_t i = 0; i < v->n_attachments; i++) {
        free(v->attachments[i].content_type);
        free(v->attachments[i].filename);
        free(v->attachments[i].content_id);
    }
    free(v->attachments);
    free(v);
    *view = NULL;
}

const char *
sg_msgview_header(const struct sg_msgview *view, const char *name)
{
    for (size_t i = 0; i < view->n_headers; i++)
        if (strcasecmp(view->headers[i].name, name) == 0)
            return view->headers[i].value;
    return NULL;
}

static const struct {
    unsigned bit;
    const char *name;
    const char *describe;
} sg_incomplete_names[] = {
    {SG_INCOMPLETE_DEPTH, "depth",
     "attached messages nested too deep to open"},
    {SG_INCOMPLETE_NESTING, "nesting",
     "sections nested too deep to read"},
    {SG_INCOMPLETE_SIZE, "size", "more text than the filter reads"},
    {SG_INCOMPLETE_UNREADABLE, "unreadable", "content that could not be read"},
};

const char *
sg_msgview_incomplete_names(unsigned incomplete, char *buf, size_t size)
{
    size_t used = 0;
    if (size == 0)
        return "";
    buf[0] = '\0';
    for (size_t i = 0;
         i < sizeof(sg_incomplete_names) / sizeof(*sg_incomplete_names); i++) {
        if ((incomplete & sg_incomplete_names[i].bit) == 0 || used >= size)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s",
                         used > 0 ? "," : "", sg_incomplete_names[i].name);
        used += n > 0 ? (size_t)n : 0;
    }
    return buf;
}

const char *
sg_msgview_incomplete_describe(unsigned bit)
{
    for (size_t i = 0;
         i < sizeof(sg_incomplete_names) / sizeof(*sg_incomplete_names); i++)
        if (sg_incomplete_names[i].bit == bit)
            return sg_incomplete_names[i].describe;
    return NULL;
}

static const struct {
    const char *name;
    const char *describe;
} sg_places[] = {
    [SG_PLACE_TEXT] = {"text", "the writer's own text"},
    [SG_PLACE_QUOTED] = {"quoted", "quoted earlier mail"},
    [SG_PLACE_HIDDEN] = {"hidden", "text its HTML hides from the reader"},
    [SG_PLACE_MARKUP] = {"markup", "HTML attribute values, link targets "
                                   "and CSS content"},
};

const char *
sg_msgview_place_name(unsigned place)
{
    return place < sizeof(sg_places) / sizeof(*sg_places)
               ? sg_places[place].name
               : NULL;
}

const char *
sg_msgview_place_describe(unsigned place)
{
    return place < sizeof(sg_places) / sizeof(*sg_places)
               ? sg_places[place].describe
               : NULL;
}
