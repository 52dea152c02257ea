/*
 * sg_dir_name.c - display name -> directory name key: the one
 * normalisation applied both to the directory's names and to a header
 * From: display name, so that "Mr TOM  Smith", "\"Smith, Tom\"" and
 * "tom smith" are the same key, "tom smith".
 *
 * SECURITY: the input is attacker-controlled (a message header).  It is
 * bounded (SG_DIR_NAME_MAX bytes), must be valid UTF-8, and the key never
 * holds control characters, so it cannot collide with an address key or
 * the cache's name prefix.  Loose on purpose, but never to a surname alone
 * or initials: a name that a stranger could share by chance would hold
 * ordinary mail.
 * Fails by returning 0 (unusable name) or -1 (allocation); never logs.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sg_dir_internal.h"
#include "sg_utf8.h"

#define MAX_WORDS 16

static size_t
utf8_encode(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* Simple lower-casing of the scripts a UK school's names use most.  Others
 * are kept as they are (and so compared exactly). */
static uint32_t
fold(uint32_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c >= 0xc0 && c <= 0xde && c != 0xd7) /* Latin-1, not x */
        return c + 32;
    if ((c >= 0x100 && c <= 0x137 && c != 0x130) || /* Latin Ext-A */
        (c >= 0x14a && c <= 0x177) || (c >= 0x218 && c <= 0x21b))
        return c % 2 == 0 ? c + 1 : c;
    if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
        return c % 2 == 1 ? c + 1 : c;
    if (c == 0x178)
        return 0xff;
    if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) /* Greek */
        return c + 32;
    if (c >= 0x410 && c <= 0x42f) /* Cyrillic */
        return c + 32;
    if (c >= 0x400 && c <= 0x40f)
        return c + 80;
    return c;
}

static bool
is_space(uint32_t c)
{
    return c <= 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
           c == 0x202f || c == 0x205f || c == 0x3000;
}

static bool
is_quote(uint32_t c)
{
    return c == '"' || c == '\'' || c == 0x2018 || c == 0x2019 ||
           c == 0x201c || c == 0x201d;
}

/* A run of code points [s, e), spaces already mapped to ' '. */
struct span {
    const uint32_t *s, *e;
};

/* Trim spaces and quotation marks at both ends. */
static void
strip(struct span *sp)
{
    while (sp->s < sp->e && (*sp->s == ' ' || is_quote(*sp->s)))
        sp->s++;
    while (sp->e > sp->s && (sp->e[-1] == ' ' || is_quote(sp->e[-1])))
        sp->e--;
}

struct words {
    struct span w[MAX_WORDS];
    size_t n;
    bool too_many;
};

static bool
is_title(const struct span *w)
{
    static const char *const titles[] = {"mr",  "mrs",  "ms",  "miss",
                                         "mx",  "dr",   "prof", "sir"};
    size_t n = (size_t)(w->e - w->s);
    for (size_t t = 0; t < sizeof(titles) / sizeof(titles[0]); t++) {
        if (strlen(titles[t]) != n)
            continue;
        size_t i = 0;
        while (i < n && w->s[i] == (unsigned char)titles[t][i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

/* Append the words of sp to out: split at spaces, full stops at the end
 * of a word removed (a word of only full stops goes), leading titles of
 * this part dropped. */
static void
split_words(struct span sp, struct words *out)
{
    bool leading = true;
    const uint32_t *p = sp.s;
    while (p < sp.e) {
        while (p < sp.e && *p == ' ')
            p++;
        if (p >= sp.e)
            break;
        struct span w = {p, p};
        while (w.e < sp.e && *w.e != ' ')
            w.e++;
        p = w.e;
        while (w.e > w.s && w.e[-1] == '.')
            w.e--;
        if (w.e == w.s)
            continue;
        if (leading && is_title(&w))
            continue;
        leading = false;
        if (out->n == MAX_WORDS) {
            out->too_many = true;
            return;
        }
        out->w[out->n++] = w;
    }
}

int
sg_dir_name_normalise(const char *name, char **key_r)
{
    *key_r = NULL;
    if (name == NULL)
        return 0;
    size_t len = strlen(name);
    if (len == 0 || len > SG_DIR_NAME_MAX)
        return 0;

    /* decode, fold, map every kind of space to ' ' */
    uint32_t cps[SG_DIR_NAME_MAX];
    size_t n = 0, commas = 0;
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        size_t l = sg_utf8_decode(s + i, len - i, &c);
        if (l == 0)
            return 0;
        i += l;
        c = is_space(c) ? ' ' : fold(c);
        commas += c == ',';
        cps[n++] = c;
    }

    struct span whole = {cps, cps + n};
    strip(&whole);
    struct words words = {.n = 0, .too_many = false};
    if (commas > 1)
        return 0; /* "Smith, Tom, Dr": no guessing which part is which */
    const uint32_t *comma = NULL;
    for (const uint32_t *p = whole.s; p < whole.e && commas == 1; p++)
        if (*p == ',')
            comma = p;
    if (comma != NULL) {
        /* "Surname, Forename" -> "Forename Surname" */
        struct span surname = {whole.s, comma};
        struct span forename = {comma + 1, whole.e};
        strip(&surname);
        strip(&forename);
        split_words(forename, &words);
        split_words(surname, &words);
    } else {
        split_words(whole, &words);
    }
    if (words.too_many || words.n < 2)
        return 0;
    size_t long_words = 0;
    for (size_t i = 0; i < words.n; i++)
        long_words += words.w[i].e - words.w[i].s >= 2;
    if (long_words < 2)
        return 0; /* a surname with initials */

    char *key = malloc(len * 4 + MAX_WORDS + 1);
    if (key == NULL)
        return -1;
    char *o = key;
    for (size_t i = 0; i < words.n; i++) {
        if (i > 0)
            *o++ = ' ';
        for (const uint32_t *p = words.w[i].s; p < words.w[i].e; p++)
            o += utf8_encode(*p, o);
    }
    *o = '\0';
    *key_r = key;
    return 1;
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
