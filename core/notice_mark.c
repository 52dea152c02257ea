/*
 * notice_mark.c - the keyed marker (X-Safeguard-Notice): the key from the
 * secret file, making a marker for a notice and verifying one on incoming
 * mail.
 *
 * SECURITY:
 *  - The marker is HMAC-SHA512-256 (libsodium crypto_auth) under a key
 *    derived from a secret file that others may not read.  It covers the
 *    version, the time, the sorted envelope recipients and a hash of the
 *    body normalised for transport; it is compared in constant time and
 *    is good for SG_NOTICE_MAX_AGE seconds.
 *  - A marker to verify comes from untrusted mail: it is parsed strictly
 *    (length bounded, each tag once, nothing unknown) before any MAC is
 *    computed.  The secret is wiped from memory once the key is made, and
 *    the key when it is freed.
 *
 * Fails by returning -1 with *error_r (common/sg_error.h)
 * (sg_notice_verify: 0 with a reason in *why_r); never logs, never exits.
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "notice.h"
#include "notice_int.h"
#include "sg_buf.h"

#define SECRET_MAX   4096 /* bytes in the secret file */
#define MARK_CONTEXT "safeguard-notice"

/* ------------------------------------------------------------ the mark */

struct sg_notice_key {
    unsigned char k[crypto_auth_KEYBYTES];
};

int
sg_notice_key_new(const void *secret, size_t len, struct sg_notice_key **key_r,
                  const char **error_r)
{
    if (sodium_init() < 0)
        return FAIL("libsodium could not be initialised");
    if (secret == NULL || len < SG_NOTICE_SECRET_MIN)
        return FAIL("the notice secret is %zu bytes; at least %d are needed "
                    "(for example: head -c 32 /dev/urandom > FILE)",
                    secret == NULL ? (size_t)0 : len, SG_NOTICE_SECRET_MIN);
    struct sg_notice_key *key = malloc(sizeof(*key));
    if (key == NULL)
        return NOMEM();
    /* A key of the right size from a secret of any length. */
    static const unsigned char personal[] = "safeguard-milter notice key v1";
    crypto_generichash(key->k, sizeof(key->k), secret, len, personal,
                       sizeof(personal) - 1);
    *key_r = key;
    return 0;
}

const unsigned char *
sg_notice_key_bytes(const struct sg_notice_key *key)
{
    return key->k;
}

void
sg_notice_key_free(struct sg_notice_key **key)
{
    if (key == NULL || *key == NULL)
        return;
    sodium_memzero((*key)->k, sizeof((*key)->k));
    free(*key);
    *key = NULL;
}

/* The secret's length in a file of len bytes.  A secret written as text
 * (printable ASCII, "echo ... > file") may end in a line break that is not
 * part of it; random bytes (head -c 48 /dev/urandom) are the secret, every
 * one of them, a last byte that happens to be a newline included. */
static size_t
secret_length(const char *data, size_t len)
{
    size_t n = len;
    if (n > 0 && data[n - 1] == '\n')
        n--;
    if (n > 0 && data[n - 1] == '\r')
        n--;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)data[i] < 0x20 || (unsigned char)data[i] > 0x7e)
            return len;
    return n;
}

int
sg_notice_secret_load(const char *path, struct sg_notice_key **key_r,
                      const char **error_r)
{
    if (path == NULL || path[0] == '\0')
        return FAIL("no notice secret file given");
    char *data;
    size_t len;
    struct stat st;
    if (sg_read_small_file(path, SECRET_MAX, 0, &data, &len, &st, error_r) < 0)
        return -1;
    if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
        sodium_memzero(data, len);
        free(data);
        return FAIL("%s: readable or writable by others, so anyone on the "
                    "server could forge notices (chmod o-rw)",
                    path);
    }
    size_t klen = secret_length(data, len);
    int r = 0;
    if (klen < SG_NOTICE_SECRET_MIN)
        r = FAIL("%s: the secret is %zu bytes; at least %d are needed (for "
                 "example: head -c 48 /dev/urandom > %s)",
                 path, klen, SG_NOTICE_SECRET_MIN, path);
    else
        r = sg_notice_key_new(data, klen, key_r, error_r);
    sodium_memzero(data, len);
    free(data);
    return r;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The recipients as the MAC sees them: "<>" removed, lower case, sorted,
 * each once.  *out_r is an array of n strings (free with sg_strv_free). */
static int
norm_rcpts(const char *const *rcpts, size_t n, char ***out_r, size_t *n_r)
{
    char **v = NULL;
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        const char *a = rcpts[i] != NULL ? rcpts[i] : "";
        size_t len = strlen(a);
        if (len >= 2 && a[0] == '<' && a[len - 1] == '>')
            a++, len -= 2;
        char *c = strndup(a, len);
        if (c == NULL)
            goto nomem;
        for (char *p = c; *p != '\0'; p++)
            *p = (char)tolower((unsigned char)*p);
        bool dup = false;
        for (size_t j = 0; j < nv && !dup; j++)
            dup = strcmp(v[j], c) == 0;
        if (dup) {
            free(c);
            continue;
        }
        char **nvp = realloc(v, (nv + 1) * sizeof(*v));
        if (nvp == NULL) {
            free(c);
            goto nomem;
        }
        v = nvp;
        v[nv++] = c;
    }
    if (nv > 1)
        qsort(v, nv, sizeof(*v), cmp_str);
    *out_r = v;
    *n_r = nv;
    return 0;
nomem:
    sg_strv_free(&v, &nv);
    return -1;
}

/* SHA-256 of the body normalised for transport: CRLF as LF, white space at
 * line ends and blank lines at the end not counted. */
static void
body_hash(const char *body, size_t len, unsigned char out[32])
{
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    size_t pending_blank = 0; /* empty lines held back */
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl != NULL ? nl : end;
        const char *t = le;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
            t--;
        if (t == p) {
            pending_blank++;
        } else {
            for (; pending_blank > 0; pending_blank--)
                crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
            crypto_hash_sha256_update(&st, (const unsigned char *)p,
                                      (size_t)(t - p));
            crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
        }
        p = nl != NULL ? nl + 1 : end;
    }
    crypto_hash_sha256_final(&st, out);
}

static int
mark_mac(const struct sg_notice_key *key, long long t, const char *const *rcpts,
         size_t n_rcpts, const char *body, size_t body_len,
         unsigned char mac[crypto_auth_BYTES])
{
    char **rv;
    size_t nr;
    if (norm_rcpts(rcpts, n_rcpts, &rv, &nr) < 0)
        return -1;
    struct sg_buf m = SG_BUF_INIT;
    sg_buf_printf(&m, MARK_CONTEXT "\nv=1\nt=%lld\nn=%zu\n", t, nr);
    for (size_t i = 0; i < nr; i++)
        sg_buf_printf(&m, "r=%zu:%s\n", strlen(rv[i]), rv[i]);
    unsigned char h[32];
    body_hash(body, body_len, h);
    sg_buf_puts(&m, "b=");
    sg_buf_append(&m, h, sizeof(h));
    int r = sg_buf_failed(&m) ? -1 : 0;
    if (r == 0)
        crypto_auth(mac, (const unsigned char *)m.data, m.len, key->k);
    sg_buf_free(&m);
    sg_strv_free(&rv, &nr);
    return r;
}

int
sg_notice_mark(const struct sg_notice_key *key, time_t now,
               const char *const *rcpts, size_t n_rcpts, const char *body,
               size_t body_len, char **value_r, const char **error_r)
{
    if (key == NULL)
        return FAIL("no notice key");
    if (n_rcpts == 0)
        return FAIL("no recipients to mark the notice for");
    unsigned char mac[crypto_auth_BYTES];
    if (mark_mac(key, (long long)now, rcpts, n_rcpts, body, body_len, mac) < 0)
        return NOMEM();
    char b64[sodium_base64_ENCODED_LEN(crypto_auth_BYTES,
                                       sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(b64, sizeof(b64), mac, sizeof(mac),
                      sodium_base64_VARIANT_ORIGINAL);
    struct sg_buf v = SG_BUF_INIT;
    sg_buf_printf(&v, "v=1; t=%lld; mac=%s", (long long)now, b64);
    *value_r = sg_buf_steal(&v);
    return *value_r != NULL ? 0 : NOMEM();
}

static bool
is_fws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parse "v=1; t=N; mac=B64" (tags in any order, each once, folding white
 * space around them).  0 or -1. */
static int
parse_marker(const char *s, long long *t_r, unsigned char mac[32],
             const char **why_r)
{
    bool have_v = false, have_t = false, have_mac = false;
    const char *p = s;
    if (strlen(s) > 512) {
        *why_r = "marker too long";
        return -1;
    }
    while (*p != '\0') {
        while (is_fws(*p))
            p++;
        if (*p == '\0')
            break;
        const char *semi = strchr(p, ';');
        const char *end = semi != NULL ? semi : p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq == NULL) {
            *why_r = "malformed marker (a tag without '=')";
            return -1;
        }
        const char *ne = eq;
        while (ne > p && is_fws(ne[-1]))
            ne--;
        const char *v = eq + 1;
        while (v < end && is_fws(*v))
            v++;
        const char *ve = end;
        while (ve > v && is_fws(ve[-1]))
            ve--;
        size_t nlen = (size_t)(ne - p), vlen = (size_t)(ve - v);
        if (nlen == 1 && p[0] == 'v') {
            if (have_v || vlen != 1 || v[0] != '1') {
                *why_r = have_v ? "malformed marker (v= twice)"
                                : "unsupported marker version";
                return -1;
            }
            have_v = true;
        } else if (nlen == 1 && p[0] == 't') {
            if (have_t || vlen == 0 || vlen > 18) {
                *why_r = "malformed marker (t=)";
                return -1;
            }
            long long t = 0;
            for (size_t i = 0; i < vlen; i++) {
                if (v[i] < '0' || v[i] > '9') {
                    *why_r = "malformed marker (t=)";
                    return -1;
                }
                t = t * 10 + (v[i] - '0');
            }
            *t_r = t;
            have_t = true;
        } else if (nlen == 3 && memcmp(p, "mac", 3) == 0) {
            size_t bin_len = 0;
            const char *b64_end = NULL;
            if (have_mac || vlen == 0 || vlen > 100 ||
                sodium_base642bin(mac, 32, v, vlen, NULL, &bin_len, &b64_end,
                                  sodium_base64_VARIANT_ORIGINAL) != 0 ||
                bin_len != 32 || b64_end != ve) {
                *why_r = "malformed marker (mac=)";
                return -1;
            }
            have_mac = true;
        } else {
            *why_r = "malformed marker (unknown tag)";
            return -1;
        }
        p = semi != NULL ? semi + 1 : end;
    }
    if (!have_v || !have_t || !have_mac) {
        *why_r = "malformed marker (v=, t= and mac= are all needed)";
        return -1;
    }
    return 0;
}

int
sg_notice_verify(const struct sg_notice_key *key, const char *header_value,
                 const char *const *rcpts, size_t n_rcpts, const char *body,
                 size_t body_len, time_t now, const char **why_r)
{
    const char *why_local;
    if (why_r == NULL)
        why_r = &why_local;
    if (key == NULL || header_value == NULL) {
        *why_r = "no key or no marker";
        return 0;
    }
    if (n_rcpts == 0 || rcpts == NULL) {
        *why_r = "no recipients";
        return 0;
    }
    if (body == NULL)
        body = "", body_len = 0;
    long long t = 0;
    unsigned char got[32];
    if (parse_marker(header_value, &t, got, why_r) < 0)
        return 0;
    long long n = (long long)now;
    if (t > n + SG_NOTICE_MAX_FUTURE) {
        *why_r = "marker dated in the future";
        return 0;
    }
    if (n - t > SG_NOTICE_MAX_AGE) {
        *why_r = "marker too old";
        return 0;
    }
    unsigned char want[crypto_auth_BYTES];
    if (mark_mac(key, t, rcpts, n_rcpts, body, body_len, want) < 0) {
        *why_r = "out of memory";
        return 0;
    }
    /* constant time */
    if (sodium_memcmp(got, want, sizeof(want)) != 0) {
        *why_r = "MAC does not match (forged, another key, altered body or "
                 "other recipients)";
        return 0;
    }
    *why_r = "valid";
    return 1;
}
