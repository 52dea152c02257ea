/*
 * sg_dir_name.c - display name -> directory name keys: the one
 * normalisation applied both to the directory's names and to a header
 * From: display name, so that "Mr TOM  Smith", "\"Smith, Tom\"",
 * "tom smith", "Tоm Smіth" (Cyrillic о and і) and fullwidth
 * "Ｔｏｍ Ｓｍｉｔｈ" are the same key.
 *
 * Each word is compared by its confusable skeleton (Unicode UTS #39,
 * ICU's uspoof_getSkeleton) of its NFKC case fold, so a name written with
 * look-alike letters from other scripts, compatibility forms or invisible
 * characters is the name it looks like.  The rule is written out in
 * safeguard-directory(5), "DISPLAY NAMES".
 *
 * Besides the full name (two or more words of which two are more than an
 * initial), a name has variant keys: "Mr Smith", "J. Smith", "John S.",
 * and "John Smith" for "John A. Smith".
 * They are marked by a first byte (SG_DIR_NAME_VARIANT_*) and only ever
 * match a member of staff (sg_dir_lookup_name).
 *
 * SECURITY: the input is attacker-controlled (a message header).  It is
 * bounded (SG_DIR_NAME_MAX bytes in, NAME_UNITS_MAX UTF-16 units after
 * each ICU step), must be valid UTF-8, and a key never holds control
 * characters other than its variant mark, so it cannot collide with an
 * address key or the cache's name prefix, nor hold the key list's
 * separator.  Fails by returning 0 (unusable name) or -1 (allocation, or
 * ICU could not be set up); never logs.  Thread-safe: the ICU objects are
 * made once and then only read.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/utf16.h>

#include "sg_buf.h"
#include "sg_dir_internal.h"
#include "sg_icu.h"
#include "sg_utf8.h"

#define MAX_WORDS 16
/* A longer name after case folding or skeleton mapping is unusable (the
 * largest expansions are 18 code points for one). */
#define NAME_UNITS_MAX (8 * SG_DIR_NAME_MAX)

/* ---------------------------------------------------------------- ICU */

static int word_key(const uint32_t *cps, size_t n, struct sg_buf *out);

/* The titles dropped at the start of a name, and their skeletons
 * (NUL-separated), compared with a word's skeleton so that a look-alike
 * "Мr" is a title too. */
static const char *const titles[] = {"mr", "mrs",  "ms", "miss",
                                     "mx", "dr", "prof", "sir"};
static struct sg_buf title_keys = SG_BUF_INIT;
static pthread_once_t titles_once = PTHREAD_ONCE_INIT;
static bool titles_ready; /* false: ICU could not be set up */

static void
titles_init(void)
{
    if (!sg_icu_ready())
        return;
    for (size_t t = 0; t < sizeof(titles) / sizeof(titles[0]); t++) {
        uint32_t cps[8];
        size_t n = 0;
        for (const char *p = titles[t]; *p != '\0'; p++)
            cps[n++] = (unsigned char)*p;
        if (word_key(cps, n, &title_keys) != 0 ||
            sg_buf_putc(&title_keys, '\0') < 0)
            return; /* not ready */
    }
    titles_ready = true;
}

static bool
icu_ready(void)
{
    pthread_once(&titles_once, titles_init);
    return titles_ready;
}

/* The skeleton of an already case-folded word, appended to out as UTF-8:
 * skeleton, case fold, skeleton.  The second round catches caseless
 * letters whose skeleton is a capital (Lisu, Cherokee).  0, 1 (too long),
 * -1. */
static const enum sg_icu_step word_steps[] = {
    SG_ICU_SKELETON, SG_ICU_NFKC_CASEFOLD, SG_ICU_SKELETON};

static int
word_key(const uint32_t *cps, size_t n, struct sg_buf *out)
{
    int32_t len = 0;
    UChar *u = sg_icu_from_code_points(cps, n, &len);
    if (u == NULL)
        return -1;
    int rc = sg_icu_apply(&u, &len, word_steps,
                          sizeof(word_steps) / sizeof(word_steps[0]),
                          NAME_UNITS_MAX);
    /* a UTF-16 unit is at most 3 bytes of UTF-8 */
    size_t room = (size_t)len * 3 + 1;
    if (rc == 0 && sg_buf_reserve(out, room) < 0)
        rc = -1;
    if (rc == 0) {
        int32_t bytes =
            sg_icu_to_utf8_into(u, len, out->data + out->len, room);
        if (bytes < 0)
            rc = -1;
        else
            out->len += (size_t)bytes;
    }
    free(u);
    return rc;
}

/* The skeleton of one code point, as UTF-8 into buf (NUL-terminated,
 * empty when it does not fit).  0 or -1. */
static int
code_point_skeleton(uint32_t c, char *buf, size_t size)
{
    UChar u[2];
    int32_t n = 0;
    UBool bad = false;
    U16_APPEND(u, n, 2, (UChar32)c, bad);
    (void)bad;
    UChar out[32];
    int32_t len = sg_icu_step_into(SG_ICU_SKELETON, u, n, out, 32);
    buf[0] = '\0';
    if (len < 0)
        return -1;
    if (len <= 32)
        sg_icu_to_utf8_into(out, len, buf, size); /* "" when it does not fit */
    return 0;
}

/* ---------------------------------------------------------------- marks */

static bool
is_space(uint32_t c)
{
    return c <= 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000;
}

enum kind { K_LETTER = 0, K_SPACE, K_QUOTE, K_COMMA, K_STOP };

/* What a case-folded code point is to the word splitter: punctuation is
 * recognised by its skeleton, so a look-alike comma (U+201A) or full stop
 * (U+2024) counts as one. */
static int
kind_of(uint32_t c, enum kind *kind_r)
{
    *kind_r = K_LETTER;
    if (is_space(c)) {
        *kind_r = K_SPACE;
        return 0;
    }
    if (c < 0x80 && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
        return 0;
    if (c == '"' || c == '\'' || c == 0x2018 || c == 0x2019 ||
        c == 0x201c || c == 0x201d) {
        *kind_r = K_QUOTE;
        return 0;
    }
    if (c >= 0x80 && u_isalpha((UChar32)c))
        return 0;
    char sk[16];
    if (code_point_skeleton(c, sk, sizeof(sk)) < 0)
        return -1;
    if (strcmp(sk, ",") == 0)
        *kind_r = K_COMMA;
    else if (strcmp(sk, ".") == 0)
        *kind_r = K_STOP;
    else if (strcmp(sk, "'") == 0 || strcmp(sk, "''") == 0)
        *kind_r = K_QUOTE;
    return 0;
}

/* The readings of a name.  Case folding first (AS_IS) compares "TOM
 * SMITH" with "Tom Smith", but folds a capital that looks like a Latin
 * one into a small letter that does not (Cyrillic Т to т, Greek Μ to μ);
 * CAPITALS first replaces such capitals by their skeletons.  And a capital
 * I looks like a small l but folds to i: AS_L reads every letter that
 * looks like an l as an l, so that "BiII" is "Bill" and "lan" is "Ian". */
enum reading { AS_IS, CAPITALS, AS_L, N_READINGS };

/* What c becomes in a reading: *out_r (up to 32 code points) and its
 * length; 0 or -1. */
static int
reading_map(enum reading r, uint32_t c, uint32_t *out_r, size_t *n_r)
{
    out_r[0] = c;
    *n_r = 1;
    if (r == AS_IS || c == 'l')
        return 0;
    if (c < 0x80) { /* in ASCII, I 1 | look like l (their skeleton) */
        if (r == AS_L && (c == 'I' || c == '1' || c == '|'))
            out_r[0] = 'l';
        return 0;
    }
    if (r == CAPITALS &&
        !(u_isupper((UChar32)c) || u_istitle((UChar32)c)))
        return 0;
    char sk[128];
    if (code_point_skeleton(c, sk, sizeof(sk)) < 0)
        return -1;
    if (strcmp(sk, "l") == 0) {
        out_r[0] = r == AS_L ? 'l' : 'I';
        return 0;
    }
    if (r == AS_L || sk[0] == '\0')
        return 0;
    size_t n = 0, len = strlen(sk);
    for (size_t i = 0; i < len && n < 32;) {
        size_t l = sg_utf8_decode((const unsigned char *)sk + i, len - i,
                                  &out_r[n]);
        if (l == 0)
            break; /* cannot happen: ICU wrote UTF-8 */
        i += l;
        n++;
    }
    *n_r = n > 0 ? n : 1;
    return 0;
}

/* ---------------------------------------------------------------- words */

struct word {
    const uint32_t *s, *e; /* folded code points */
    size_t key;            /* offset of its skeleton in words.keys */
};

struct words {
    uint32_t *cps; /* the folded name */
    size_t n_cps;
    enum kind *kinds;
    struct word w[MAX_WORDS];
    size_t n;
    bool too_many, title;
    struct sg_buf keys; /* the words' skeletons, NUL-separated */
};

static void
words_free(struct words *w)
{
    free(w->cps);
    free(w->kinds);
    sg_buf_free(&w->keys);
    memset(w, 0, sizeof(*w));
}

static const char *
word_str(const struct words *w, size_t i)
{
    return w->keys.data + w->w[i].key;
}

/* A word of one code point (after case folding, which composes). */
static bool
is_initial(const struct words *w, size_t i)
{
    return w->w[i].e - w->w[i].s == 1;
}

static bool
is_title(const char *key)
{
    const char *t = title_keys.data;
    for (size_t i = 0; i < sizeof(titles) / sizeof(titles[0]); i++) {
        if (strcmp(key, t) == 0)
            return true;
        t += strlen(t) + 1;
    }
    return false;
}

/* Trim spaces and quotation marks at both ends of [*s, *e). */
static void
strip(const struct words *w, const uint32_t **s, const uint32_t **e)
{
    while (*s < *e && (w->kinds[*s - w->cps] == K_SPACE ||
                       w->kinds[*s - w->cps] == K_QUOTE))
        (*s)++;
    while (*e > *s && (w->kinds[*e - 1 - w->cps] == K_SPACE ||
                       w->kinds[*e - 1 - w->cps] == K_QUOTE))
        (*e)--;
}

/* Append the words of [s, e): split at spaces and full stops; leading
 * titles of this part dropped.  0, -1. */
static int
split_words(struct words *w, const uint32_t *s, const uint32_t *e)
{
    bool leading = true;
    const uint32_t *p = s;
    while (p < e) {
        while (p < e && (w->kinds[p - w->cps] == K_SPACE ||
                         w->kinds[p - w->cps] == K_STOP))
            p++;
        if (p >= e)
            break;
        const uint32_t *ws = p;
        while (p < e && w->kinds[p - w->cps] != K_SPACE &&
               w->kinds[p - w->cps] != K_STOP)
            p++;
        if (w->n == MAX_WORDS) {
            w->too_many = true;
            return 0;
        }
        size_t at = w->keys.len;
        int rc = word_key(ws, (size_t)(p - ws), &w->keys);
        if (rc < 0)
            return -1;
        if (rc > 0 || sg_buf_putc(&w->keys, '\0') < 0) {
            w->too_many = rc > 0;
            return rc > 0 ? 0 : -1;
        }
        if (leading && is_title(w->keys.data + at)) {
            w->keys.len = at;
            w->title = true;
            continue;
        }
        leading = false;
        w->w[w->n++] = (struct word){ws, p, at};
    }
    return 0;
}

/* Split a display name into words with their skeletons, in one
 * reading.  1 usable words (at least one), 0 unusable, -1.  *changed_r:
 * the reading changed something (else it is the same as AS_IS). */
static int
name_words(const char *name, enum reading reading, struct words *w,
           bool *changed_r)
{
    memset(w, 0, sizeof(*w));
    *changed_r = false;
    if (name == NULL)
        return 0;
    size_t len = strlen(name);
    if (len == 0 || len > SG_DIR_NAME_MAX)
        return 0;

    /* decode (strictly), spaces to ' ', the reading's changes */
    uint32_t raw[SG_DIR_NAME_MAX * 4];
    size_t n = 0;
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < len;) {
        uint32_t c, mapped[32];
        size_t l = sg_utf8_decode(s + i, len - i, &c), m = 0;
        if (l == 0)
            return 0;
        i += l;
        if (is_space(c)) {
            mapped[m++] = ' ';
        } else if (reading_map(reading, c, mapped, &m) < 0) {
            return -1;
        }
        *changed_r |= m != 1 || mapped[0] != c;
        if (n + m > sizeof(raw) / sizeof(raw[0]))
            return 0;
        memcpy(raw + n, mapped, m * sizeof(*mapped));
        n += m;
    }
    if (reading != AS_IS && !*changed_r)
        return 0; /* the same words as AS_IS: not worth splitting again */

    /* NFKC case fold: fullwidth, mathematical and other compatibility
     * forms become plain letters, invisible characters go */
    int32_t ulen = 0;
    UChar *u = sg_icu_from_code_points(raw, n, &ulen);
    if (u == NULL)
        return -1;
    static const enum sg_icu_step fold[] = {SG_ICU_NFKC_CASEFOLD};
    int rc = sg_icu_apply(&u, &ulen, fold, 1, NAME_UNITS_MAX);
    if (rc != 0) {
        free(u);
        return rc < 0 ? -1 : 0;
    }
    w->cps = malloc(((size_t)ulen + 1) * sizeof(*w->cps));
    w->kinds = malloc(((size_t)ulen + 1) * sizeof(*w->kinds));
    if (w->cps == NULL || w->kinds == NULL) {
        free(u);
        return -1;
    }
    for (int32_t i = 0; i < ulen;) {
        UChar32 c;
        U16_NEXT(u, i, ulen, c);
        if (U_IS_SURROGATE(c) || kind_of((uint32_t)c,
                                         &w->kinds[w->n_cps]) < 0) {
            free(u);
            return -1;
        }
        w->cps[w->n_cps++] = (uint32_t)c;
    }
    free(u);

    const uint32_t *ws = w->cps, *we = w->cps + w->n_cps;
    strip(w, &ws, &we);
    size_t commas = 0;
    const uint32_t *comma = NULL;
    for (const uint32_t *p = ws; p < we; p++)
        if (w->kinds[p - w->cps] == K_COMMA) {
            commas++;
            comma = p;
        }
    if (commas > 1)
        return 0; /* "Smith, Tom, Dr": no guessing which part is which */
    if (comma != NULL) {
        /* "Surname, Forename" -> "Forename Surname" */
        const uint32_t *ss = ws, *se = comma, *fs = comma + 1, *fe = we;
        strip(w, &ss, &se);
        strip(w, &fs, &fe);
        if (split_words(w, fs, fe) < 0 || split_words(w, ss, se) < 0)
            return -1;
    } else if (split_words(w, ws, we) < 0) {
        return -1;
    }
    return w->too_many || w->n == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------- keys */

static bool
keys_contain(const char *keys, const char *key, size_t len)
{
    for (const char *p = keys; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
        if (n == len && memcmp(p, key, n) == 0)
            return true;
        p += n + (nl != NULL);
    }
    return false;
}

bool
sg_dir_name_keys_contain(const char *keys, const char *key)
{
    return keys_contain(keys, key, strlen(key));
}

/* Append one key to the list (one a line) unless it is there already. */
static int
add_key(struct sg_buf *list, const struct sg_buf *key)
{
    if (key->len == 0 || keys_contain(list->data, key->data, key->len))
        return 0;
    if (list->len > 0 && sg_buf_putc(list, '\n') < 0)
        return -1;
    return sg_buf_append(list, key->data, key->len);
}

/* key := [mark] word[from] ... word[to-1] */
static int
join(struct sg_buf *key, char mark, const struct words *w, size_t from,
     size_t to)
{
    sg_buf_reset(key);
    int rc = mark != '\0' ? sg_buf_putc(key, mark) : 0;
    for (size_t i = from; i < to && rc == 0; i++) {
        if (i > from)
            rc = sg_buf_putc(key, ' ');
        if (rc == 0)
            rc = sg_buf_puts(key, word_str(w, i));
    }
    return rc;
}

/* Add the key "mark a b" to the list (key: scratch space). */
static int
add_pair(struct sg_buf *list, struct sg_buf *key, char mark, const char *a,
         const char *b)
{
    sg_buf_reset(key);
    if (sg_buf_printf(key, "%c%s %s", mark, a, b) < 0)
        return -1;
    return add_key(list, key);
}

/* Add the key "[mark]word[from] ... word[to-1]" to the list. */
static int
add_join(struct sg_buf *list, struct sg_buf *key, char mark,
         const struct words *w, size_t from, size_t to)
{
    return join(key, mark, w, from, to) < 0 ? -1 : add_key(list, key);
}

/* The skeleton of word i's first code point (its initial). */
static int
initial_of(const struct words *w, size_t i, struct sg_buf *out)
{
    sg_buf_reset(out);
    int rc = word_key(w->w[i].s, 1, out);
    return rc > 0 ? -1 : rc;
}

static size_t
long_words(const struct words *w, size_t from, size_t to)
{
    size_t n = 0;
    for (size_t i = from; i < to; i++)
        n += !is_initial(w, i);
    return n;
}

/* The full name: two or more words, at least two more than an initial. */
static int
full_key(const struct words *w, struct sg_buf *list, struct sg_buf *key)
{
    if (w->n < 2 || long_words(w, 0, w->n) < 2)
        return 0;
    return add_join(list, key, '\0', w, 0, w->n);
}

/* The name without its initials ("John A. Smith" and "John Smith" are
 * "John Smith"), when two or more whole words remain. */
static int
add_whole_words(const struct words *w, struct sg_buf *list,
                struct sg_buf *key)
{
    if (long_words(w, 0, w->n) < 2)
        return 0;
    sg_buf_reset(key);
    int rc = sg_buf_putc(key, SG_DIR_NAME_VARIANT_WHOLE);
    for (size_t i = 0, n = 0; i < w->n && rc == 0; i++) {
        if (is_initial(w, i))
            continue;
        if (n++ > 0)
            rc = sg_buf_putc(key, ' ');
        if (rc == 0)
            rc = sg_buf_puts(key, word_str(w, i));
    }
    return rc < 0 ? -1 : add_key(list, key);
}

/* The variant keys a directory name is known by: for every surname (the
 * words from a non-initial one after the first to the end), the surname
 * alone, the first initial and the surname, and the first forename and
 * the surname's initial; and the whole words without the initials. */
static int
entry_variants(const struct words *w, struct sg_buf *list,
               struct sg_buf *key)
{
    struct sg_buf init0 = SG_BUF_INIT, initk = SG_BUF_INIT,
                  sur = SG_BUF_INIT;
    int rc = w->n >= 2 ? initial_of(w, 0, &init0) : 0;
    for (size_t k = 1; k < w->n && rc == 0; k++) {
        if (is_initial(w, k))
            continue;
        rc = join(&sur, '\0', w, k, w->n);
        if (rc == 0)
            rc = add_join(list, key, SG_DIR_NAME_VARIANT_SURNAME, w, k, w->n);
        if (rc == 0)
            rc = add_pair(list, key, SG_DIR_NAME_VARIANT_INITIAL, init0.data,
                          sur.data);
        if (rc == 0 && !is_initial(w, 0)) {
            rc = initial_of(w, k, &initk);
            if (rc == 0)
                rc = add_pair(list, key, SG_DIR_NAME_VARIANT_FORENAME,
                              word_str(w, 0), initk.data);
        }
    }
    if (rc == 0)
        rc = add_whole_words(w, list, key);
    sg_buf_free(&init0);
    sg_buf_free(&initk);
    sg_buf_free(&sur);
    return rc;
}

/* The variant keys a header name is looked up by, by its form: a title
 * and only whole words ("Mr Smith", "Mrs Van Dyke"): a surname; initials
 * then whole words ("J. Smith", "Mrs J R Smith", "Smith, J."): the first
 * initial and the surname; whole words then one initial ("John S."): the
 * forename and the surname's initial. */
static int
query_variants(const struct words *w, struct sg_buf *list,
               struct sg_buf *key)
{
    size_t n = w->n, longs = long_words(w, 0, n);
    int rc = 0;
    if (w->title && longs == n)
        rc = add_join(list, key, SG_DIR_NAME_VARIANT_SURNAME, w, 0, n);
    if (rc == 0 && n >= 2 && is_initial(w, 0)) {
        size_t j = 1;
        while (j < n && is_initial(w, j))
            j++;
        if (j < n && long_words(w, j, n) == n - j) {
            struct sg_buf sur = SG_BUF_INIT;
            rc = join(&sur, '\0', w, j, n);
            if (rc == 0)
                rc = add_pair(list, key, SG_DIR_NAME_VARIANT_INITIAL,
                              word_str(w, 0), sur.data);
            sg_buf_free(&sur);
        }
    }
    if (rc == 0 && n >= 2 && is_initial(w, n - 1) &&
        long_words(w, 0, n - 1) == n - 1)
        rc = add_pair(list, key, SG_DIR_NAME_VARIANT_FORENAME, word_str(w, 0),
                      word_str(w, n - 1));
    if (rc == 0)
        rc = add_whole_words(w, list, key);
    return rc;
}

int
sg_dir_name_keys(const char *name, enum sg_dir_name_use use, char **keys_r)
{
    *keys_r = NULL;
    if (!icu_ready())
        return -1;
    if (name == NULL || strlen(name) > SG_DIR_NAME_MAX)
        return 0;
    struct sg_buf list = SG_BUF_INIT, key = SG_BUF_INIT;
    struct words w[N_READINGS];
    memset(w, 0, sizeof(w));
    int rc = 0;
    for (enum reading r = AS_IS; r < N_READINGS && rc >= 0; r++) {
        bool changed = false;
        rc = name_words(name, r, &w[r], &changed);
        if (r != AS_IS && !changed)
            words_free(&w[r]); /* the same as AS_IS */
    }
    if (rc < 0)
        goto out;
    rc = 0;
    /* A name has one full name, as written: the other readings only
     * matter for telling a member of staff's look-alike, so they give
     * variants (their whole words; a directory's AS_L no initials, which
     * would make a "J. Lee" out of "I. Lee"), and the pupil "Lan Smith"
     * is not the teacher "Ian Smith", nor "IAN SMlTH" the pupil. */
    if (w[AS_IS].n > 0 && !w[AS_IS].too_many)
        rc = full_key(&w[AS_IS], &list, &key);
    for (enum reading r = AS_IS; r < N_READINGS && rc == 0; r++)
        if (w[r].n > 0 && !w[r].too_many)
            rc = use == SG_DIR_NAME_QUERY ? query_variants(&w[r], &list, &key)
                 : r != AS_L              ? entry_variants(&w[r], &list, &key)
                                          : add_whole_words(&w[r], &list, &key);
out:
    for (enum reading r = AS_IS; r < N_READINGS; r++)
        words_free(&w[r]);
    sg_buf_free(&key);
    if (rc < 0) {
        sg_buf_free(&list);
        return -1;
    }
    if (list.len == 0) {
        sg_buf_free(&list);
        return 0;
    }
    size_t n = 1;
    for (const char *p = list.data; *p != '\0'; p++)
        n += *p == '\n';
    *keys_r = sg_buf_steal(&list);
    return (int)n;
}

int
sg_dir_name_normalise(const char *name, char **key_r)
{
    *key_r = NULL;
    if (!icu_ready())
        return -1;
    struct words w;
    bool changed;
    int rc = name_words(name, AS_IS, &w, &changed);
    struct sg_buf list = SG_BUF_INIT, key = SG_BUF_INIT;
    if (rc > 0)
        rc = full_key(&w, &list, &key) < 0 ? -1 : list.len > 0;
    words_free(&w);
    sg_buf_free(&key);
    if (rc > 0)
        *key_r = sg_buf_steal(&list);
    else
        sg_buf_free(&list);
    return rc;
}

bool
sg_dir_name_key_is_variant(const char *key)
{
    return key[0] == SG_DIR_NAME_VARIANT_SURNAME ||
           key[0] == SG_DIR_NAME_VARIANT_INITIAL ||
           key[0] == SG_DIR_NAME_VARIANT_FORENAME ||
           key[0] == SG_DIR_NAME_VARIANT_WHOLE;
}

void
sg_dir_people_free(struct sg_person ***people, size_t *n)
{
    for (size_t i = 0; *people != NULL && i < *n; i++)
        sg_person_free(&(*people)[i]);
    free(*people);
    *people = NULL;
    *n = 0;
}
