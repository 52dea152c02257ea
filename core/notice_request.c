/*
 * notice_request.c - the release request's token: the keyed MAC of a
 * record id that the held-sender notice puts in its link to the review
 * server's request page (REVIEW_URL/request/RECORD?k=TOKEN), and its
 * check when the page is opened or its form is sent.
 *
 * SECURITY:
 *  - The token is HMAC-SHA512-256 (libsodium crypto_auth) under the notice
 *    key (notice_secret_file, notice_mark.c) over a context string of its
 *    own and the record id, so it can be neither a notice marker nor the
 *    token of another record.  Only the notice's reader (and whoever holds
 *    the key) has it: the page asks for no login, and the token is the
 *    whole of its authority, over one record only.
 *  - A token to check comes from a URL: its length is checked, it is
 *    decoded strictly, and the MAC is compared in constant time.
 *  - It does not expire by itself: it is good while its record is held,
 *    which the page checks in the store each time (review/).
 *
 * Also here, the review page's pseudonyms: the same keyed MAC, in a
 * context of its own, of an address.
 *
 * Fails by returning -1 with *error_r (common/sg_error.h); never logs,
 * never exits.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "notice.h"
#include "notice_int.h"
#include "sg_buf.h"

#define REQUEST_CONTEXT "safeguard-release-request\nv=1\n"

_Static_assert(
    SG_NOTICE_TOKEN_LEN ==
        sodium_base64_ENCODED_LEN(crypto_auth_BYTES,
                                  sodium_base64_VARIANT_URLSAFE_NO_PADDING) -
            1,
    "SG_NOTICE_TOKEN_LEN is the base64url length of one MAC");

/* The MAC of text under key, in a context of its own (each use of the
 * key has one, so no MAC made for one use is good for another). */
static void
keyed_mac(const struct sg_notice_key *key, const char *context,
          const char *text, unsigned char mac[crypto_auth_BYTES])
{
    crypto_auth_hmacsha512256_state st;
    crypto_auth_hmacsha512256_init(&st, sg_notice_key_bytes(key),
                                   crypto_auth_KEYBYTES);
    crypto_auth_hmacsha512256_update(&st, (const unsigned char *)context,
                                     strlen(context));
    crypto_auth_hmacsha512256_update(&st, (const unsigned char *)text,
                                     strlen(text));
    crypto_auth_hmacsha512256_final(&st, mac);
}

/* ------------------------------------------------------------ pseudonyms */

#define PSEUDONYM_CONTEXT "safeguard-review-pseudonym\nv=1\n"

int
sg_notice_pseudonym(const struct sg_notice_key *key, const char *address,
                    char out[SG_NOTICE_PSEUDONYM_LEN + 1])
{
    if (key == NULL || address == NULL)
        return -1;
    /* one person, one pseudonym, whatever the letter case of the
     * address as each record wrote it */
    size_t len = strlen(address);
    char *folded = malloc(len + 1);
    if (folded == NULL)
        return -1;
    for (size_t i = 0; i <= len; i++)
        folded[i] = (char)((address[i] >= 'A' && address[i] <= 'Z')
                               ? address[i] - 'A' + 'a'
                               : address[i]);
    unsigned char mac[crypto_auth_BYTES];
    keyed_mac(key, PSEUDONYM_CONTEXT, folded, mac);
    free(folded);
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < SG_NOTICE_PSEUDONYM_LEN; i++)
        out[i] = hex[(mac[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0x0f];
    out[SG_NOTICE_PSEUDONYM_LEN] = '\0';
    return 0;
}

int
sg_notice_keyed_token(const struct sg_notice_key *key, const char *context,
                      const char *text, char token[SG_NOTICE_TOKEN_LEN + 1],
                      const char **error_r)
{
    if (key == NULL)
        return FAIL("no notice key");
    if (text == NULL || text[0] == '\0')
        return FAIL("nothing to make a token for");
    unsigned char mac[crypto_auth_BYTES];
    keyed_mac(key, context, text, mac);
    sodium_bin2base64(token, SG_NOTICE_TOKEN_LEN + 1, mac, sizeof(mac),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

bool
sg_notice_keyed_valid(const struct sg_notice_key *key, const char *context,
                      const char *text, const char *token)
{
    if (key == NULL || text == NULL || text[0] == '\0' || token == NULL ||
        strlen(token) != SG_NOTICE_TOKEN_LEN)
        return false;
    unsigned char got[crypto_auth_BYTES];
    size_t got_len = 0;
    const char *end = NULL;
    if (sodium_base642bin(got, sizeof(got), token, SG_NOTICE_TOKEN_LEN, NULL,
                          &got_len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        got_len != sizeof(got) || end != token + SG_NOTICE_TOKEN_LEN)
        return false;
    unsigned char want[crypto_auth_BYTES];
    keyed_mac(key, context, text, want);
    return sodium_memcmp(got, want, sizeof(want)) == 0;
}

int
sg_notice_request_token(const struct sg_notice_key *key, const char *record,
                        char token[SG_NOTICE_TOKEN_LEN + 1],
                        const char **error_r)
{
    return sg_notice_keyed_token(key, REQUEST_CONTEXT, record, token,
                                 error_r);
}

bool
sg_notice_request_valid(const struct sg_notice_key *key, const char *record,
                        const char *token)
{
    return sg_notice_keyed_valid(key, REQUEST_CONTEXT, record, token);
}

int
sg_notice_request_link(const char *review_url, const struct sg_notice_key *key,
                       const char *record, struct sg_buf *out,
                       const char **error_r)
{
    if (review_url == NULL || review_url[0] == '\0')
        return sg_buf_puts(out, "(no link: the review page is not set up; "
                                "reply to this email instead)") < 0
                   ? NOMEM()
                   : 0;
    char token[SG_NOTICE_TOKEN_LEN + 1];
    if (sg_notice_request_token(key, record, token, error_r) < 0)
        return -1;
    size_t len = strlen(review_url);
    while (len > 0 && review_url[len - 1] == '/')
        len--;
    return sg_buf_printf(out, "%.*s/request/%s?k=%s", (int)len, review_url,
                         record, token) < 0
               ? NOMEM()
               : 0;
}
