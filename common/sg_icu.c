/*
 * sg_icu.c - ICU's normalisers, case folding and confusable skeletons
 * behind one small interface (see sg_icu.h), with UTF-8 <-> UTF-16.
 *
 * SECURITY: the text is attacker-controlled (addresses, display names,
 * message text).  UTF-8 is converted strictly (invalid input is refused,
 * never repaired), every buffer is sized by ICU's own answer, and
 * sg_icu_apply bounds how far a step may grow the text.
 * Fails by returning -1 / NULL; never logs.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include "sg_icu.h"

static pthread_once_t icu_once = PTHREAD_ONCE_INIT;
static const UNormalizer2 *nfd, *nfc, *nfkc, *nfkc_cf; /* NULL: missing */
static USpoofChecker *spoof; /* lives as long as the process */

static void
icu_init(void)
{
    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *n = unorm2_getNFDInstance(&err);
    nfd = U_SUCCESS(err) ? n : NULL;
    err = U_ZERO_ERROR;
    n = unorm2_getNFCInstance(&err);
    nfc = U_SUCCESS(err) ? n : NULL;
    err = U_ZERO_ERROR;
    n = unorm2_getNFKCInstance(&err);
    nfkc = U_SUCCESS(err) ? n : NULL;
    err = U_ZERO_ERROR;
    n = unorm2_getNFKCCasefoldInstance(&err);
    nfkc_cf = U_SUCCESS(err) ? n : NULL;
    err = U_ZERO_ERROR;
    USpoofChecker *sc = uspoof_open(&err);
    spoof = U_SUCCESS(err) ? sc : NULL;
}

bool
sg_icu_ready(void)
{
    pthread_once(&icu_once, icu_init);
    return nfd != NULL && nfc != NULL && nfkc != NULL && nfkc_cf != NULL &&
           spoof != NULL;
}

const UNormalizer2 *
sg_icu_normalizer(enum sg_icu_step step)
{
    pthread_once(&icu_once, icu_init);
    switch (step) {
    case SG_ICU_NFD:
        return nfd;
    case SG_ICU_NFC:
        return nfc;
    case SG_ICU_NFKC:
        return nfkc;
    case SG_ICU_NFKC_CASEFOLD:
        return nfkc_cf;
    case SG_ICU_CASEFOLD:
    case SG_ICU_SKELETON:
        break;
    }
    return NULL;
}

int32_t
sg_icu_step_into(enum sg_icu_step step, const UChar *in, int32_t n,
                 UChar *out, int32_t cap)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t len;
    if (step == SG_ICU_CASEFOLD) {
        len = u_strFoldCase(out, cap, in, n, U_FOLD_CASE_DEFAULT, &err);
    } else if (step == SG_ICU_SKELETON) {
        pthread_once(&icu_once, icu_init);
        if (spoof == NULL)
            return -1;
        len = uspoof_getSkeleton(spoof, 0, in, n, out, cap, &err);
    } else {
        const UNormalizer2 *nf = sg_icu_normalizer(step);
        if (nf == NULL)
            return -1;
        len = unorm2_normalize(nf, in, n, out, cap, &err);
    }
    if (err == U_BUFFER_OVERFLOW_ERROR)
        return len > cap ? len : cap + 1;
    return U_FAILURE(err) || len < 0 ? -1 : len;
}

/* One step over *s into a buffer that grows to fit, up to max_units. */
static int
apply_one(enum sg_icu_step step, UChar **s, int32_t *n, int32_t max_units)
{
    if (*n > (INT32_MAX - 16) / 2)
        return -1;
    int32_t cap = *n * 2 + 16;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (max_units > 0 && cap > max_units)
            return 1;
        UChar *out = malloc((size_t)cap * sizeof(*out));
        if (out == NULL)
            return -1;
        int32_t len = sg_icu_step_into(step, *s, *n, out, cap);
        if (len >= 0 && len < cap) {
            free(*s);
            *s = out;
            *n = len;
            return 0;
        }
        free(out);
        if (len < 0 || len == INT32_MAX)
            return -1;
        cap = len + 1;
    }
    return -1;
}

int
sg_icu_apply(UChar **s, int32_t *n, const enum sg_icu_step *steps,
             size_t n_steps, int32_t max_units)
{
    for (size_t i = 0; i < n_steps; i++) {
        int rc = apply_one(steps[i], s, n, max_units);
        if (rc != 0)
            return rc;
    }
    return 0;
}

UChar *
sg_icu_from_utf8(const char *s, size_t n, int32_t *len_r)
{
    if (n > INT32_MAX / 2)
        return NULL;
    UErrorCode err = U_ZERO_ERROR;
    int32_t n16 = 0;
    u_strFromUTF8(NULL, 0, &n16, s, (int32_t)n, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return NULL;
    UChar *u = malloc(((size_t)n16 + 1) * sizeof(UChar));
    if (u == NULL)
        return NULL;
    err = U_ZERO_ERROR;
    u_strFromUTF8(u, n16 + 1, NULL, s, (int32_t)n, &err);
    if (U_FAILURE(err)) {
        free(u);
        return NULL;
    }
    *len_r = n16;
    return u;
}

UChar *
sg_icu_from_code_points(const uint32_t *cps, size_t n, int32_t *len_r)
{
    if (n > (size_t)(INT32_MAX - 1) / 2)
        return NULL;
    UChar *u = malloc((n * 2 + 1) * sizeof(*u));
    if (u == NULL)
        return NULL;
    int32_t len = 0;
    for (size_t i = 0; i < n; i++) {
        UBool bad = false;
        U16_APPEND(u, len, (int32_t)(n * 2 + 1), (UChar32)cps[i], bad);
        (void)bad; /* room for two units each */
    }
    *len_r = len;
    return u;
}

int32_t
sg_icu_to_utf8_into(const UChar *u, int32_t n, char *buf, size_t size)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = 0;
    int32_t cap = size > INT32_MAX ? INT32_MAX : (int32_t)size;
    u_strToUTF8(buf, cap, &len, u, n, &err);
    if (U_FAILURE(err) || err == U_STRING_NOT_TERMINATED_WARNING) {
        if (size > 0)
            buf[0] = '\0';
        return -1;
    }
    return len;
}

char *
sg_icu_to_utf8(const UChar *u, int32_t n, size_t *len_r)
{
    UErrorCode err = U_ZERO_ERROR;
    int32_t n8 = 0;
    u_strToUTF8(NULL, 0, &n8, u, n, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return NULL;
    char *out = malloc((size_t)n8 + 1);
    if (out == NULL)
        return NULL;
    if (sg_icu_to_utf8_into(u, n, out, (size_t)n8 + 1) != n8) {
        free(out);
        return NULL;
    }
    *len_r = (size_t)n8;
    return out;
}
