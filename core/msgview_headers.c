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
sg_header_add(struct sg_build *b, GMimeHeader *h)
{
    const char *name = g_mime_header_get_name(h);
    const char *value = g_mime_header_get_value(h);
    struct sg_header *out = &b->view->headers[b->view->n_headers++];
    out->name = sg_utf8_dup(name != NULL ? name : "");
    out->value = sg_utf8_dup(value != NULL ? value : "");
    return out->name == NULL || out->value == NULL ? sg_fail(b, SG_ERR_NOMEM)
                                                   : 0;
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

/* The addresses every From:, Sender: and Reply-To: header shows; a
 * repeated header is read as often as it occurs. */
int
sg_sender_claims(struct sg_build *b, GMimeMessage *msg)
{
    static const char *const names[] = {"From", "Sender", "Reply-To", NULL};
    int i = 0;
    const char *raw;
    while ((raw = sg_header_next(GMIME_OBJECT(msg), names, true, &i)) != NULL) {
        InternetAddressList *list = internet_address_list_parse(b->opts, raw);
        int rc = sg_claims_in_list(b, list, 0);
        if (list != NULL)
            g_object_unref(list);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int
sg_envelope_headers(struct sg_build *b, GMimeMessage *msg)
{
    struct sg_msgview *v = b->view;
    const char *subject = g_mime_message_get_subject(msg);
    const char *id = g_mime_message_get_message_id(msg);
    InternetAddressMailbox *mb = sg_first_mailbox(g_mime_message_get_from(msg), 0);
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
