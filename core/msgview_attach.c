/*
 * msgview_attach.c - the attachments of a message view (see
 * msgview_int.h): a part that is not text, with its size, the text the
 * helper reads from it (extract_run.c) and what kind of image it is
 * (images.c); files uuencoded into a text; the attachments an HTML part
 * shows through cid: links.
 *
 * SECURITY: the attachments are the sender's.  At most max_size bytes of
 * one, max_attachments of a message and the message's time budget go to
 * the helper, which runs in a process of its own under limits; its text
 * counts against the message's text budget (SG_MSGVIEW_MAX_TEXT) and is
 * made valid UTF-8.  What is not read makes the view incomplete
 * (SG_INCOMPLETE_UNREADABLE, SG_INCOMPLETE_SIZE).  At most
 * SG_UU_MAX_BLOCKS uuencoded blocks are taken out of one text; an image
 * is probed on its first SG_IMAGE_PROBE_MAX bytes only.
 *
 * Fails by returning -1 (sg_fail: the build's error) only when out of
 * memory; a helper that fails is not an error.  Never logs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "extract_run.h"
#include "images.h"
#include "msgview_int.h"

static bool sg_extractable(const struct sg_build *b, const char *type);
static int sg_leaf_extract(struct sg_build *b, const struct sg_where *w,
                           const char *type, const char *filename,
                           const struct sg_buf *content, size_t size);

/* At most this many uuencoded blocks are taken out of one text. */
#define SG_UU_MAX_BLOCKS 8

/* Is [p, e) a uuencode "begin MODE NAME" line?  *name_r, *name_len_r: the
 * file name (CR dropped). */
static bool
sg_uu_begin(const char *p, const char *e, const char **name_r,
            size_t *name_len_r)
{
    if (e > p && e[-1] == '\r')
        e--;
    if (e - p < 10 || strncmp(p, "begin ", 6) != 0)
        return false;
    const char *q = p + 6;
    int digits = 0;
    while (q < e && *q >= '0' && *q <= '7' && digits < 5) {
        q++;
        digits++;
    }
    if (digits < 3 || q >= e || *q != ' ')
        return false;
    *name_r = q + 1;
    *name_len_r = (size_t)(e - (q + 1));
    return *name_len_r > 0;
}

/* The first line from line (the start of one) to end that starts with
 * "begin ", or NULL.  Only a 'b' can start one: the search goes from 'b'
 * to 'b', not line by line. */
static const char *
sg_uu_next_begin(const char *line, const char *end)
{
    for (const char *p = line; p < end; p++) {
        p = memchr(p, 'b', (size_t)(end - p));
        if (p == NULL)
            return NULL;
        if ((p == line || p[-1] == '\n') && end - p >= 6 &&
            memcmp(p, "begin ", 6) == 0)
            return p;
    }
    return NULL;
}

/* Files uuencoded into a plain text ("begin 644 notes.txt" ... "end"), as
 * some mail programs still attach them: each block is an attachment of
 * its own, and its bytes go to the text helper as any attachment's do, so
 * a number in a uuencoded notes.txt is read.  The text itself is read as
 * it stands (the lines of code letters are noise to the detectors). */
int
sg_inline_uuencode(struct sg_build *b, const struct sg_where *w,
                   const struct sg_buf *raw)
{
    static const char type[] = "application/octet-stream";
    const char *end = raw->data != NULL ? raw->data + raw->len : NULL;
    const char *p = raw->data != NULL ? sg_uu_next_begin(raw->data, end) : NULL;
    int blocks = 0, ret = 0;
    while (ret == 0 && p != NULL) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl != NULL ? nl + 1 : end;
        const char *name;
        size_t name_len;
        if (!sg_uu_begin(p, nl != NULL ? nl : end, &name, &name_len)) {
            p = sg_uu_next_begin(next, end);
            continue;
        }
        const char *q = next, *stop = NULL;
        while (q < end && stop == NULL) {
            const char *qn = memchr(q, '\n', (size_t)(end - q));
            const char *qe = qn != NULL ? qn : end;
            size_t l = (size_t)(qe - q);
            if (l > 0 && q[l - 1] == '\r')
                l--;
            if (l == 3 && strncmp(q, "end", 3) == 0)
                stop = qe;
            q = qn != NULL ? qn + 1 : end;
        }
        if (stop == NULL)
            break; /* no end line: the text is read as it stands */
        if (++blocks > SG_UU_MAX_BLOCKS) {
            b->view->incomplete |= SG_INCOMPLETE_UNREADABLE;
            break;
        }
        struct sg_buf block = SG_BUF_INIT, bytes = SG_BUF_INIT;
        char *filename = sg_utf8_ndup(name, name_len);
        if (filename == NULL ||
            sg_buf_append(&block, p, (size_t)(stop - p)) < 0 ||
            sg_transfer_decode(GMIME_CONTENT_ENCODING_UUENCODE, &block,
                               &bytes) < 0)
            ret = sg_fail(b, SG_ERR_NOMEM);
        if (ret == 0 && sg_extractable(b, type))
            ret = sg_leaf_extract(b, w, type, filename, &bytes, bytes.len);
        if (ret == 0)
            ret = sg_add_attachment(b, type, filename, bytes.len, w->depth);
        free(filename);
        sg_buf_free(&block);
        sg_buf_free(&bytes);
        p = sg_uu_next_begin(stop, end);
    }
    return ret;
}

/* ------------------------------------------------------------- text helper */

/* Is an attachment of this type given to the text helper?  Every kind
 * but pictures, sound, video and signatures: the helper tells the rest
 * by their content (a PDF sent as application/octet-stream). */
static bool
sg_extractable(const struct sg_build *b, const char *type)
{
    static const char *const media[] = {
        "image/", "video/", "audio/", "font/", "model/",
        "application/pkcs7-signature", "application/x-pkcs7-signature",
        "application/pgp-signature", NULL};
    if (b->extract == NULL || !b->extract->enabled)
        return false;
    for (size_t i = 0; media[i] != NULL; i++)
        if (strncasecmp(type, media[i], strlen(media[i])) == 0)
            return false;
    return true;
}

/* Give an attachment (content: its decoded bytes, at most max_size of its
 * size bytes) to the text helper, and add what it reads as a text part of
 * the attachment.  What it could not read (too large, too many
 * attachments, past the time, a helper that failed or found part of it
 * unreadable) makes the view incomplete: SG_INCOMPLETE_UNREADABLE. */
static int
sg_leaf_extract(struct sg_build *b, const struct sg_where *w,
                const char *type, const char *filename,
                const struct sg_buf *content, size_t size)
{
    const struct sg_extract_opts *x = b->extract;
    long long left = b->extract_deadline - sg_extract_now_ms();
    long per_call = x->timeout * 1000L;
    if (size > content->len || size > (size_t)x->max_size ||
        b->extracted >= x->max_attachments ||
        left <= 0) {
        b->view->incomplete |= SG_INCOMPLETE_UNREADABLE;
        return 0;
    }
    b->extracted++;
    struct sg_buf raw = SG_BUF_INIT, text = SG_BUF_INIT;
    int st = sg_extract_run(x, content->data != NULL ? content->data : "",
                            content->len, type, filename,
                            left < per_call ? (long)left : per_call, &raw);
    if (st < 0) {
        sg_buf_free(&raw);
        return sg_fail(b, SG_ERR_NOMEM);
    }
    if (st == SG_EXTRACT_RUN_FAILED || st == SG_EXTRACT_RUN_INCOMPLETE)
        b->view->incomplete |= SG_INCOMPLETE_UNREADABLE;
    int ret = 0;
    size_t room = SG_MSGVIEW_MAX_TEXT - b->extract_used;
    if (raw.len > room) /* the message's text budget, for all attachments */
        b->view->incomplete |= SG_INCOMPLETE_SIZE;
    if (raw.len > 0 && room > 0 &&
        (st == SG_EXTRACT_RUN_OK || st == SG_EXTRACT_RUN_INCOMPLETE)) {
        char label[SG_LABEL_MAX];
        sg_label(label, w, type, filename, ", text read from it");
        b->extract_used += raw.len < room ? raw.len : room;
        if (sg_utf8_append_valid(&text, raw.data, raw.len < room ? raw.len
                                                                  : room,
                                 SIZE_MAX) < 0)
            ret = sg_fail(b, SG_ERR_NOMEM);
        if (ret == 0)
            ret = sg_add_text(b, &text, type, label, w->depth,
                              SG_TEXT_ATTACHMENT);
    }
    sg_buf_free(&raw);
    sg_buf_free(&text);
    return ret;
}

/* ------------------------------------------------------------- images */

/* A part that is not text: an attachment record with its size; its text,
 * read by the helper (sg_leaf_extract) when it is a kind the helper
 * reads; and, from its first SG_IMAGE_PROBE_MAX bytes, what kind of image
 * it is, if any (images.c), with its Content-ID for the cid:
 * links. */
int
sg_leaf_binary(struct sg_build *b, GMimePart *part, const struct sg_where *w,
               const char *type, const char *filename)
{
    struct sg_buf content = SG_BUF_INIT;
    struct sg_image_facts facts;
    size_t size;
    bool read = sg_extractable(b, type);
    size_t cap = SG_IMAGE_PROBE_MAX;
    if (read && (size_t)b->extract->max_size > cap)
        cap = (size_t)b->extract->max_size;
    /* The image probe knows an image by its first bytes alone (its
     * format's signature, 12 bytes at most); content that begins with
     * none is no image however much more is read, and is only counted
     * (a PDF was decoded to 256 KB for nothing: a third of the view of
     * the benchmark's 100 KB newsletter with one). */
    unsigned char head[SG_PART_HEAD];
    size_t got = read ? SIZE_MAX : sg_part_head(part, head, sizeof(head));
    if (got != SIZE_MAX) {
        sg_image_probe(head, got, &facts);
        if (facts.type == NULL)
            cap = sizeof(head);
    }
    int ret = sg_part_decoded(b, part, cap, &content, &size);
    if (ret == 0 && read)
        ret = sg_leaf_extract(b, w, type, filename, &content, size);
    if (ret == 0)
        ret = sg_add_attachment(b, type, filename, size, w->depth);
    if (ret == 0) {
        struct sg_attachment *a =
            &b->view->attachments[b->view->n_attachments - 1];
        sg_image_probe((const unsigned char *)content.data,
                       content.len < SG_IMAGE_PROBE_MAX ? content.len
                                                        : SG_IMAGE_PROBE_MAX,
                       &facts);
        a->image_type = facts.type;
        a->width = facts.width;
        a->height = facts.height;
        a->camera = facts.camera;
        const char *cid = g_mime_object_get_content_id(GMIME_OBJECT(part));
        if (cid != NULL && *cid != '\0' &&
            (a->content_id = sg_utf8_dup(cid)) == NULL)
            ret = sg_fail(b, SG_ERR_NOMEM);
    }
    sg_part_release(&content);
    return ret;
}

/* Mark the attachments that an HTML part shows through a cid: link. */
void
sg_mark_inline(struct sg_build *b)
{
    for (size_t i = 0; i < b->view->n_attachments; i++) {
        struct sg_attachment *a = &b->view->attachments[i];
        a->inline_ref = sg_cid_refs_has(&b->cids, a->content_id);
    }
}
