/*
 * msgview_headers.c - the top-level headers of a message view (see
 * msgview_int.h): every header decoded, in the order written; subject,
 * Message-ID and the From: mailbox; the addresses the From:, Sender: and
 * Reply-To: headers claim and their display names.
 *
 * SECURITY: the headers are the sender's.  Every string kept is valid
 * UTF-8; sender claims are at most SG_MSGVIEW_MAX_CLAIMS (the rest only
 * flagged), groups are followed four deep at most.  A claim is never an
 * identity: the milter decides whom to believe.
 *
 * Fails by returning -1 (sg_fail: the build's error) only when out of
 * memory; never logs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "charset.h"
#include "msgview_int.h"

/* ------------------------------------------------------------- headers */

static int
sg_header_put(struct sg_build *b, const char *name, const char *value)
{
    struct sg_header *out = &b->view->headers[b->view->n_headers++];
    out->name = sg_utf8_dup(name != NULL ? name : "");
    out->value = sg_utf8_dup(value != NULL ? value : "");
    return out->name == NULL || out->value == NULL ? sg_fail(b, SG_ERR_NOMEM)
                                                   : 0;
}

static int
sg_header_add(struct sg_build *b, GMimeHeader *h)
{
    return sg_header_put(b, g_mime_header_get_name(h),
                         g_mime_header_get_value(h));
}

static int
sg_header_count(GMimeHeaderList *list)
{
    int n = list != NULL ? g_mime_header_list_get_count(list) : 0;
    return n > 0 ? n : 0;
}

/* GMime keeps the Content-* headers of the top header block on the body
 * part: merge both lists back into the order they were written. */
int
sg_headers(struct sg_build *b, GMimeMessage *msg)
{
    GMimeObject *body = g_mime_message_get_mime_part(msg);
    GMimeHeaderList *lists[2] = {
        g_mime_object_get_header_list(GMIME_OBJECT(msg)),
        body != NULL ? g_mime_object_get_header_list(body) : NULL,
    };
    int count[2] = {sg_header_count(lists[0]), sg_header_count(lists[1])};
    int i[2] = {0, 0};
    if (count[0] + count[1] == 0)
        return 0;
    b->view->headers = calloc((size_t)count[0] + (size_t)count[1],
                              sizeof(*b->view->headers));
    if (b->view->headers == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    while (i[0] < count[0] || i[1] < count[1]) {
        GMimeHeader *h[2] = {NULL, NULL};
        for (int k = 0; k < 2; k++)
            if (i[k] < count[k])
                h[k] = g_mime_header_list_get_header_at(lists[k], i[k]);
        int pick = h[0] == NULL ? 1 : h[1] == NULL ? 0
                 : (guint64)g_mime_header_get_offset(h[1]) <
                   (guint64)g_mime_header_get_offset(h[0]);
        i[pick]++;
        if (h[pick] != NULL && sg_header_add(b, h[pick]) < 0)
            return -1;
    }
    return 0;
}

/* A header of a block read by sg_top_read, its value as GMime's
 * g_mime_header_get_value makes it: unfolded, then encoded words and
 * 8-bit text decoded with the build's parser options (plain ASCII
 * without GMime's help, sg_top_plain_value). */
static const char *
sg_top_value(struct sg_build *b, const struct sg_top *top,
             struct sg_top_header *h)
{
    if (h->value == NULL)
        h->value = sg_top_plain_value(top, h);
    if (h->value == NULL) {
        char *raw = sg_top_raw(top, h);
        char *unfolded = raw != NULL ? g_mime_utils_header_unfold(raw) : NULL;
        h->value = unfolded != NULL
            ? g_mime_utils_header_decode_text(b->opts, unfolded) : NULL;
        g_free(unfolded);
        g_free(raw);
    }
    return h->value;
}

/* Every header of the block in the order written; the Content-* ones
 * are the part's, as GMime made it of them (in the same order), or with
 * part NULL (no part made: sg_top_part), read as the others are. */
int
sg_top_headers(struct sg_build *b, struct sg_top *top, GMimeObject *part)
{
    GMimeHeaderList *list = part != NULL ? g_mime_object_get_header_list(part)
                                         : NULL;
    int count = sg_header_count(list), k = 0;
    b->view->headers = calloc(top->n, sizeof(*b->view->headers));
    if (b->view->headers == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    for (size_t i = 0; i < top->n; i++) {
        struct sg_top_header *h = &top->h[i];
        int ret;
        if (h->content && k < count)
            ret = sg_header_add(b, g_mime_header_list_get_header_at(list,
                                                                    k++));
        else if (h->content && part != NULL)
            ret = 0; /* the caller made sure that GMime kept them all */
        else if (sg_top_value(b, top, h) == NULL)
            ret = sg_fail(b, SG_ERR_NOMEM);
        else {
            char *name = g_strndup(top->data + h->line, h->name_len);
            ret = name != NULL ? sg_header_put(b, name, h->value)
                               : sg_fail(b, SG_ERR_NOMEM);
            g_free(name);
        }
        if (ret < 0)
            return -1;
    }
    return 0;
}

/* The last header of the block named name (any case), as GMime's
 * message keeps the last Subject:, Message-Id: and From:, or NULL. */
static struct sg_top_header *
sg_top_last(const struct sg_top *top, const char *name)
{
    for (size_t i = top->n; i > 0; i--)
        if (sg_top_named(top, &top->h[i - 1], name))
            return &top->h[i - 1];
    return NULL;
}

/* First mailbox of a From: list, looking inside groups. */
static InternetAddressMailbox *
sg_first_mailbox(InternetAddressList *list, unsigned depth)
{
    int n = list != NULL ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia))
            return INTERNET_ADDRESS_MAILBOX(ia);
        if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < 4) {
            InternetAddressMailbox *mb = sg_first_mailbox(
                internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
                depth + 1);
            if (mb != NULL)
                return mb;
        }
    }
    return NULL;
}

/* ------------------------------------------------------ sender claims */

/* Keep one claimed sender address (see sg_msgview.sender_claims). */
static int
sg_claim_add(struct sg_build *b, const char *addr, size_t len)
{
    struct sg_msgview *v = b->view;
    if (len == 0 || memchr(addr, '@', len) == NULL)
        return 0;
    char *copy = g_strndup(addr, len);
    char *claim = copy != NULL ? sg_utf8_dup(copy) : NULL;
    g_free(copy);
    if (claim == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    for (size_t i = 0; i < v->n_sender_claims; i++)
        if (strcasecmp(v->sender_claims[i], claim) == 0) {
            free(claim);
            return 0;
        }
    if (v->n_sender_claims == SG_MSGVIEW_MAX_CLAIMS) {
        v->sender_claims_overflow = true;
        free(claim);
        return 0;
    }
    if (v->sender_claims == NULL &&
        (v->sender_claims = calloc(SG_MSGVIEW_MAX_CLAIMS,
                                   sizeof(char *))) == NULL) {
        free(claim);
        return sg_fail(b, SG_ERR_NOMEM);
    }
    v->sender_claims[v->n_sender_claims++] = claim;
    return 0;
}

/* Can c be part of an address written in free text?  Bytes of UTF-8
 * sequences count, so internationalised addresses stay whole. */
static bool
sg_addr_char(unsigned char c, bool domain)
{
    if (c >= 0x80 || g_ascii_isalnum(c) || c == '-' || c == '.')
        return true;
    return !domain && c != '\0' && strchr("!#$%&'*+/=?^_`{|}~", c) != NULL;
}

/* Every address-like word in a display name: "j.smith@school.example",
 * "Mr Smith (j.smith@school.example)".  Mail programs show the name, so
 * an address there is a claim like the mailbox's own. */
static int
sg_claims_in_name(struct sg_build *b, const char *name)
{
    if (name == NULL)
        return 0;
    for (const char *at = strchr(name, '@'); at != NULL;
         at = strchr(at + 1, '@')) {
        const char *l = at, *r = at + 1;
        while (l > name && sg_addr_char((unsigned char)l[-1], false))
            l--;
        while (sg_addr_char((unsigned char)*r, true))
            r++;
        while (l < at && *l == '.')
            l++;
        while (r > at + 1 && r[-1] == '.')
            r--;
        if (l < at && r > at + 1 && sg_claim_add(b, l, (size_t)(r - l)) < 0)
            return -1;
    }
    return 0;
}

/* Keep a display name (a place the detectors read: a number in the
 * name is shown to the reader like the body), each once. */
static int
sg_display_name_add(struct sg_build *b, const char *name)
{
    if (name == NULL || *name == '\0')
        return 0;
    char *valid = sg_utf8_dup(name);
    if (valid == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    for (char *p = valid; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    size_t len = strlen(valid);
    bool seen = false;
    for (const char *p = b->names.data; p != NULL && !seen && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t l = nl != NULL ? (size_t)(nl - p) : strlen(p);
        seen = l == len && strncasecmp(p, valid, len) == 0;
        p += l + (nl != NULL);
    }
    int ret = 0;
    if (!seen && ((b->names.len > 0 && sg_buf_putc(&b->names, '\n') < 0) ||
                  sg_buf_append(&b->names, valid, len) < 0))
        ret = sg_fail(b, SG_ERR_NOMEM);
    free(valid);
    return ret;
}

static int
sg_claims_in_list(struct sg_build *b, InternetAddressList *list,
                  unsigned depth)
{
    int n = list != NULL ? internet_address_list_length(list) : 0;
    for (int i = 0; i < n; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (sg_claims_in_name(b, internet_address_get_name(ia)) < 0 ||
            sg_display_name_add(b, internet_address_get_name(ia)) < 0)
            return -1;
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            const char *addr = internet_address_mailbox_get_addr(
                INTERNET_ADDRESS_MAILBOX(ia));
            if (addr != NULL && sg_claim_add(b, addr, strlen(addr)) < 0)
                return -1;
        } else if (INTERNET_ADDRESS_IS_GROUP(ia) && depth < 4 &&
                   sg_claims_in_list(b,
                                     internet_address_group_get_members(
                                         INTERNET_ADDRESS_GROUP(ia)),
                                     depth + 1) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The value of the next header of obj's own list, from *i on, whose name
 * is one of names (NULL-terminated, any case) and that has a value: raw
 * as written, else decoded.  NULL when none is left; *i moves past it. */
const char *
sg_header_next(GMimeObject *obj, const char *const *names, bool raw, int *i)
{
    GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
    int n = hl != NULL ? g_mime_header_list_get_count(hl) : 0;
    while (*i < n) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, (*i)++);
        const char *name = g_mime_header_get_name(h);
        const char *value = raw ? g_mime_header_get_raw_value(h)
                                : g_mime_header_get_value(h);
        for (size_t k = 0; name != NULL && value != NULL && names[k] != NULL;
             k++)
            if (g_ascii_strcasecmp(name, names[k]) == 0)
                return value;
    }
    return NULL;
}

/* The claims of one From:, Sender: or Reply-To: raw value. */
static int
sg_claims_in_raw(struct sg_build *b, const char *raw)
{
    InternetAddressList *list = internet_address_list_parse(b->opts, raw);
    int rc = sg_claims_in_list(b, list, 0);
    if (list != NULL)
        g_object_unref(list);
    return rc;
}

static const char *const sg_claim_headers[] = {"From", "Sender", "Reply-To",
                                               NULL};

/* The addresses every From:, Sender: and Reply-To: header shows; a
 * repeated header is read as often as it occurs. */
int
sg_sender_claims(struct sg_build *b, GMimeMessage *msg)
{
    int i = 0;
    const char *raw;
    while ((raw = sg_header_next(GMIME_OBJECT(msg), sg_claim_headers, true,
                                 &i)) != NULL)
        if (sg_claims_in_raw(b, raw) < 0)
            return -1;
    return 0;
}

/* The same from a header block; the last From:'s addresses are those
 * sg_top_from parsed already. */
int
sg_top_sender_claims(struct sg_build *b, struct sg_top *top)
{
    const struct sg_top_header *last_from = sg_top_last(top, "From");
    for (size_t i = 0; i < top->n; i++) {
        const struct sg_top_header *h = &top->h[i];
        for (size_t k = 0; sg_claim_headers[k] != NULL; k++) {
            if (!sg_top_named(top, h, sg_claim_headers[k]))
                continue;
            int rc;
            if (h == last_from) {
                rc = sg_claims_in_list(b, top->from, 0);
            } else {
                char *raw = sg_top_raw(top, h);
                rc = raw != NULL ? sg_claims_in_raw(b, raw)
                                 : sg_fail(b, SG_ERR_NOMEM);
                g_free(raw);
            }
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

/* Subject, Message-ID and the first From: mailbox into the view. */
static int
sg_envelope_set(struct sg_build *b, const char *subject, const char *id,
                InternetAddressList *from)
{
    struct sg_msgview *v = b->view;
    InternetAddressMailbox *mb = sg_first_mailbox(from, 0);
    const char *name = mb != NULL ? internet_address_get_name(
                                        INTERNET_ADDRESS(mb)) : NULL;
    const char *addr = mb != NULL ? internet_address_mailbox_get_addr(mb) : NULL;
    v->subject = sg_utf8_dup(subject != NULL ? subject : "");
    if (id != NULL && (v->message_id = sg_utf8_dup(id)) == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    if (name != NULL && *name != '\0' &&
        (v->from_name = sg_utf8_dup(name)) == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    if (addr != NULL && *addr != '\0' &&
        (v->from_addr = sg_utf8_dup(addr)) == NULL)
        return sg_fail(b, SG_ERR_NOMEM);
    return v->subject == NULL ? sg_fail(b, SG_ERR_NOMEM) : 0;
}

int
sg_envelope_headers(struct sg_build *b, GMimeMessage *msg)
{
    return sg_envelope_set(b, g_mime_message_get_subject(msg),
                           g_mime_message_get_message_id(msg),
                           g_mime_message_get_from(msg));
}

/* The addresses of the last From: (GMime's message keeps those), into
 * top->from: false when GMime's message might keep others, namely when
 * the parse fails where GMime's would keep the addresses read before
 * the failure (internet_address_list_parse keeps none then), unless there
 * is nothing to read. */
bool
sg_top_from(struct sg_top *top, GMimeParserOptions *opts)
{
    struct sg_top_header *from = sg_top_last(top, "From");
    char *raw = from != NULL ? sg_top_raw(top, from) : NULL;
    bool sure = true;
    top->from = raw != NULL ? internet_address_list_parse(opts, raw) : NULL;
    if (top->from == NULL)
        for (const char *p = raw; sure && p != NULL && *p != '\0'; p++)
            sure = sg_top_lwsp(*p);
    g_free(raw);
    return sure;
}

/* As GMime's message does: the last Subject: decoded, the last
 * Message-Id: decoded and then read as a message id, the last From:'s
 * addresses (sg_top_from). */
int
sg_top_envelope(struct sg_build *b, struct sg_top *top)
{
    struct sg_top_header *subject = sg_top_last(top, "Subject");
    struct sg_top_header *id = sg_top_last(top, "Message-Id");
    const char *id_value = id != NULL ? sg_top_value(b, top, id) : NULL;
    char *id_decoded = id_value != NULL
        ? g_mime_utils_decode_message_id(id_value) : NULL;
    int ret = sg_envelope_set(b, subject != NULL
                                     ? sg_top_value(b, top, subject) : NULL,
                              id_decoded, top->from);
    g_free(id_decoded);
    return ret;
}
