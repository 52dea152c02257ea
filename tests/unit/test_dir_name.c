/*
 * test_dir_name.c - display-name lookups: the normalisation (table), the
 * file backend's name index through sg_dir_lookup_name (exact, case,
 * titles, "Surname, Forename", ambiguous names, never a surname alone or
 * initials, derived roles), and the cache and the choice rule on a mock
 * backend (keys apart from addresses, TTL, negative TTL, stale-if-error,
 * TEMPFAIL never NOTFOUND, single flight).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sg_dir_internal.h"

#ifndef SG_TEST_DATADIR
#error SG_TEST_DATADIR must be defined
#endif

/* ---------------------------------------------------------------- keys */

/* The full-name key of a plain name (it must be usable); malloc'ed. */
static char *
key_of(const char *name)
{
    char *key = NULL;
    if (sg_dir_name_normalise(name, &key) != 1)
        fail_msg("\"%s\" is not a usable name", name);
    return key;
}

/* The skeleton of one plain word (ICU's, whatever its version). */
static char *
word_of(const char *word)
{
    char name[64];
    snprintf(name, sizeof(name), "aa bb %s", word);
    char *key = key_of(name);
    assert_true(strncmp(key, "aa bb ", 6) == 0);
    memmove(key, key + 6, strlen(key + 6) + 1);
    return key;
}

static void
test_normalise(void **state)
{
    (void)state;
    /* a key is the words' skeletons: lower case, one space apart (the
     * skeleton of m is rn, so this is not simply lower case) */
    char *key = key_of("  Tom \t  Smith \r\n");
    char *tom = word_of("tom"), *smith = word_of("smith");
    char want[128];
    snprintf(want, sizeof(want), "%s %s", tom, smith);
    assert_string_equal(key, want);
    free(key);
    free(tom);
    free(smith);

    static const struct {
        const char *in;
        const char *same_as; /* a plain spelling; NULL: unusable */
    } cases[] = {
        {"Tom Smith", "tom smith"},
        {"TOM SMITH", "tom smith"},
        {"Tom\xc2\xa0Smith", "tom smith"},         /* no-break space */
        {"Tom\xe2\x80\x83Smith", "tom smith"},     /* em space */
        {"\"Tom Smith\"", "tom smith"},
        {"'Tom Smith'", "tom smith"},
        {"\xe2\x80\x9cTom Smith\xe2\x80\x9d", "tom smith"}, /* curly */
        {"\" 'Tom Smith' \"", "tom smith"},
        {"Mr Tom Smith", "tom smith"},
        {"mr. tom smith", "tom smith"},
        {"Mrs Jo Price", "jo price"},
        {"Ms Jo Price", "jo price"},
        {"Miss Jo Price", "jo price"},
        {"Mx Jo Price", "jo price"},
        {"Dr. Jo Price", "jo price"},
        {"Prof Jo Price", "jo price"},
        {"Sir Jo Price", "jo price"},
        {"Prof. Dr. Jo Price", "jo price"},
        {"Smith, Tom", "tom smith"},
        {"Smith,Tom", "tom smith"},
        {"\"Smith, Tom\"", "tom smith"},
        {"Smith, Mr Tom", "tom smith"},
        {"Mr Smith, Tom", "tom smith"},
        {"Van Dyke, Mary Jane", "mary jane van dyke"},
        {"Tom Smith.", "tom smith"},
        {"Mary J. Blige", "mary j blige"},
        {"Mary J.Blige", "mary j blige"}, /* full stops separate words */
        {"Mary-Jane O'Brien", "mary-jane o'brien"},
        {"Mary-Jane O\xe2\x80\x99" "Brien", "mary-jane o'brien"},
        {"Amy \"AJ\" Jones", "amy \"aj\" jones"},
        {"Tom Smith \xf0\x9f\x98\x80", "tom smith \xf0\x9f\x98\x80"},
        {"ZO\xc3\x8b \xc3\x85NGSTR\xc3\x96M", "zo\xc3\xab \xc3\xa5ngstr\xc3\xb6m"},
        /* composed and decomposed accents are one letter */
        {"Zoe\xcc\x88 A\xcc\x8angstro\xcc\x88m",
         "zo\xc3\xab \xc3\xa5ngstr\xc3\xb6m"},
        {"\xc5\x81UKASZ \xc5\xbb\xc3\x93\xc5\x81W", /* Łukasz Żółw */
         "\xc5\x82ukasz \xc5\xbc\xc3\xb3\xc5\x82w"},
        {"\xd0\x98\xd0\x92\xd0\x90\xd0\x9d \xd0\x9f\xd0\x95\xd0\xa2\xd0\xa0"
         "\xd0\x9e\xd0\x92", /* ИВАН ПЕТРОВ */
         "\xd0\xb8\xd0\xb2\xd0\xb0\xd0\xbd \xd0\xbf\xd0\xb5\xd1\x82\xd1\x80"
         "\xd0\xbe\xd0\xb2"},
        /* look-alikes: Cyrillic о and і in a Latin name */
        {"J\xd0\xbehn Sm\xd1\x96th", "john smith"},
        /* Greek ο, Cyrillic а and е */
        {"J\xce\xbfhn Sm\xd0\xb0rt-J\xd0\xb5nkins", "john smart-jenkins"},
        /* fullwidth, mathematical bold */
        {"\xef\xbc\xaa\xef\xbd\x8f\xef\xbd\x88\xef\xbd\x8e "
         "\xef\xbc\xb3\xef\xbd\x8d\xef\xbd\x89\xef\xbd\x94\xef\xbd\x88",
         "john smith"},
        {"\xf0\x9d\x90\x89\xf0\x9d\x90\xa8\xf0\x9d\x90\xa1\xf0\x9d\x90\xa7 "
         "Smith", "john smith"},
        /* invisible: zero-width space, soft hyphen, right-to-left override */
        {"Jo\xe2\x80\x8bhn Smi\xc2\xadth", "john smith"},
        {"John \xe2\x80\xae" "Smith", "john smith"},
        /* digits and letters that look alike; rn looks like m */
        {"J0hn Smith", "john smith"},
        {"John Srnith", "john smith"},
        /* Lisu TA and Cherokee JE look like T and J */
        {"\xea\x93\x94om Smith", "tom smith"},
        {"\xe1\x8e\xabohn Smith", "john smith"},
        /* a look-alike comma (U+201A), full stop (U+2024), title */
        {"Smith\xe2\x80\x9a Tom", "tom smith"},
        {"Mary J\xe2\x80\xa4 Blige", "mary j blige"},
        {"D\xd0\xb3 Tom Smith", "tom smith"}, /* Cyrillic г */
        /* a title is dropped only at the start */
        {"Tom Mr Smith", "tom mr smith"},
        {"Mister Tom Smith", "mister tom smith"},
        /* unusable: nothing, one word, initials, too many commas */
        {"", NULL},
        {"   ", NULL},
        {"\"\"", NULL},
        {"Smith", NULL},
        {"Mr Smith", NULL},
        {"Dr. Smith", NULL},
        {"Smith,", NULL},
        {", Tom", NULL},
        {"T Smith", NULL},
        {"T. Smith", NULL},
        {"J. R. Smith", NULL},
        {"Smith, T.", NULL},
        {"Mr T Smith", NULL},
        {"Smith, Tom, Dr", NULL},
        {"Mr Mrs", NULL},
        {"*)(cn=*", NULL},
        {"\xe2\x80\x8b\xe2\x80\x8b", NULL},
        /* not UTF-8 */
        {"Tom Sm\xffith", NULL},
        {"Tom Sm\xc3", NULL},
        {"Tom \xc0\xafSmith", NULL},       /* overlong */
        {"Tom \xed\xa0\x80Smith", NULL},   /* surrogate */
        {"Al Bo c d e f g h i j k l m n o p", "al bo c d e f g h i j k l m n o p"},
        {"Al Bo c d e f g h i j k l m n o p q", NULL}, /* 17 words */
        /* expands past the limit: U+FDFA is 18 letters in NFKC */
        {"\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba"
         "\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba\xef\xb7\xba", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        key = (char *)"untouched";
        int rc = sg_dir_name_normalise(cases[i].in, &key);
        if (cases[i].same_as == NULL) {
            if (rc != 0 || key != NULL)
                fail_msg("case %zu (%s): rc %d, key \"%s\", want unusable", i,
                         cases[i].in, rc, key ? key : "(null)");
            continue;
        }
        if (rc != 1)
            fail_msg("case %zu (%s): rc %d, want usable", i, cases[i].in, rc);
        char *same = key_of(cases[i].same_as);
        if (strcmp(key, same) != 0)
            fail_msg("case %zu (%s): key \"%s\", want \"%s\"", i, cases[i].in,
                     key, same);
        free(same);
        free(key);
    }

    /* names that differ, and stay different */
    static const char *const differ[][2] = {
        {"Zoe Angstrom", "Zo\xc3\xab \xc3\x85ngstr\xc3\xb6m"}, /* accents */
        {"Tom Smith", "Thomas Smith"},
        {"Tom Smith", "Tom Smithson"},
        {"Tom Smith", "Smith Tom"},
        {"Tom Smith", "Tom J Smith"},
        {"Ann Lee", "Anne Lee"},
        {"Amy Patel", "Priya Patel"},
        {"Ben Okafor", "Grace Okafor"},
        {"Dan Evans", "Don Evans"},
        {"Jon Smith", "John Smith"},
    };
    for (size_t i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
        char *a = key_of(differ[i][0]), *b = key_of(differ[i][1]);
        if (strcmp(a, b) == 0)
            fail_msg("\"%s\" and \"%s\" share the key \"%s\"", differ[i][0],
                     differ[i][1], a);
        free(a);
        free(b);
    }

    /* NULL and over-long input */
    key = NULL;
    assert_int_equal(sg_dir_name_normalise(NULL, &key), 0);
    char long_name[SG_DIR_NAME_MAX + 2];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[SG_DIR_NAME_MAX + 1] = '\0';
    long_name[10] = ' ';
    assert_int_equal(sg_dir_name_normalise(long_name, &key), 0);
    assert_null(key);
    long_name[SG_DIR_NAME_MAX] = '\0';
    assert_int_equal(sg_dir_name_normalise(long_name, &key), 1);
    assert_int_equal(strlen(key), SG_DIR_NAME_MAX);
    free(key);
}

/* The keys a header name is looked up by, in order: the full name, its
 * other readings, and the variants of its form. */
static void
test_query_keys(void **state)
{
    (void)state;
    char *smith = word_of("smith"), *john = word_of("john"),
         *j = word_of("j"), *s = word_of("s"), *van = word_of("van"),
         *dyke = word_of("dyke");
    char full[64], sur[64], init[64], fore[64], vd[128];
    snprintf(full, sizeof(full), "%s %s", john, smith);
    snprintf(sur, sizeof(sur), "%c%s", SG_DIR_NAME_VARIANT_SURNAME, smith);
    snprintf(init, sizeof(init), "%c%s %s", SG_DIR_NAME_VARIANT_INITIAL, j,
             smith);
    snprintf(fore, sizeof(fore), "%c%s %s", SG_DIR_NAME_VARIANT_FORENAME, john,
             s);
    snprintf(vd, sizeof(vd), "%s %s\n%c%s %s", van, dyke,
             SG_DIR_NAME_VARIANT_SURNAME, van, dyke);
    char full_sur[200], full_whole[200];
    snprintf(full_sur, sizeof(full_sur), "%s\n%c%s\n%c%s", full,
             SG_DIR_NAME_VARIANT_SURNAME, full, SG_DIR_NAME_VARIANT_WHOLE,
             full);
    snprintf(full_whole, sizeof(full_whole), "%s\n%c%s", full,
             SG_DIR_NAME_VARIANT_WHOLE, full);
    char middle[200];
    snprintf(middle, sizeof(middle), "%s %s %s\n%c%s", john, j, smith,
             SG_DIR_NAME_VARIANT_WHOLE, full);
    size_t vdl = strlen(vd);
    snprintf(vd + vdl, sizeof(vd) - vdl, "\n%c%s %s",
             SG_DIR_NAME_VARIANT_WHOLE, van, dyke);
    static const char *const none = "";
    const struct {
        const char *in;
        const char *keys;
    } cases[] = {
        {"John Smith", full_whole},
        {"Smith, John", full_whole},
        {"John J. Smith", middle},
        {"Mr John Smith", full_sur},
        {"Mr Smith", sur},
        {"Mr. Smith", sur},
        {"Dr Smith", sur},
        {"D\xd0\xb3. Smith", sur}, /* a look-alike title */
        {"Mr Van Dyke", vd},
        {"J. Smith", init},
        {"J Smith", init},
        {"Mrs J Smith", init},
        {"J. R. Smith", init},
        {"J.R. Smith", init},
        {"Smith, J.", init},
        {"\xef\xbc\xaa. Smith", init}, /* fullwidth J */
        {"John S.", fore},
        {"John S", fore},
        /* no key: one word without a title, initials alone */
        {"Smith", none},
        {"John", none},
        {"J. S.", none},
        {"Mr", none},
        {"Headteacher", none},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *keys = (char *)"untouched";
        int n = sg_dir_name_keys(cases[i].in, SG_DIR_NAME_QUERY, &keys);
        if (cases[i].keys == none) {
            if (n != 0 || keys != NULL)
                fail_msg("%s: %d keys, want none", cases[i].in, n);
            continue;
        }
        if (n < 1 || strcmp(keys, cases[i].keys) != 0)
            fail_msg("case %zu (%s): %d keys \"%s\", want \"%s\"", i,
                     cases[i].in, n, keys ? keys : "", cases[i].keys);
        free(keys);
    }
    free(smith);
    free(john);
    free(j);
    free(s);
    free(van);
    free(dyke);
}

/* The readings: a capital that looks like a Latin one but folds to a
 * small letter that does not (Cyrillic Т, Greek Μ), and the capital I
 * that looks like a small l. */
static void
test_readings(void **state)
{
    (void)state;
    static const struct {
        const char *query, *entry;
    } match[] = {
        {"\xd0\xa2om Smith", "Tom Smith"},           /* Cyrillic Т */
        {"\xce\xa4\xce\x9f\xce\x9c S\xce\x9c\xce\x99\xce\xa4\xce\x97",
         "Tom Smith"},                               /* Greek ΤΟΜ SΜΙΤΗ */
        {"Tom \xd0\x85mith", "Tom Smith"},           /* Cyrillic Ѕ */
        {"BiII Smith", "Bill Smith"},                /* capital I for l */
        {"Bi11 Smith", "Bill Smith"},                /* digit 1 for l */
        {"lan Smith", "Ian Smith"},                  /* small l for I */
        {"IAN SMITH", "Ian Smith"},
        {"ian smith", "Ian Smith"},
        {"\xe2\x85\xa0" "an Smith", "Ian Smith"},    /* Roman numeral one */
        {"\xd0\x9c\xd0\xb3 Tom Smith", "Tom Smith"},  /* Cyrillic Мг */
        {"\xd0\x9c\xd0\xb3 Smith", "Tom Smith"},      /* ... a variant */
    };
    for (size_t i = 0; i < sizeof(match) / sizeof(match[0]); i++) {
        char *q = NULL, *e = NULL;
        assert_true(sg_dir_name_keys(match[i].query, SG_DIR_NAME_QUERY, &q) >
                    0);
        assert_true(sg_dir_name_keys(match[i].entry, SG_DIR_NAME_ENTRY, &e) >
                    0);
        /* some query key is some entry key */
        bool met = false;
        for (char *p = q; p != NULL && !met;) {
            char *nl = strchr(p, '\n');
            size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
            for (char *x = e; x != NULL && !met;) {
                char *xl = strchr(x, '\n');
                size_t m = xl != NULL ? (size_t)(xl - x) : strlen(x);
                met = m == n && memcmp(p, x, n) == 0;
                x = xl != NULL ? xl + 1 : NULL;
            }
            p = nl != NULL ? nl + 1 : NULL;
        }
        if (!met)
            fail_msg("\"%s\" does not meet \"%s\"", match[i].query,
                     match[i].entry);
        free(q);
        free(e);
    }
}

/* ---------------------------------------------------------------- apart */

#define SRCDIR SG_TEST_DATADIR "/../../../.."

/* The plain spelling of an ASCII fixture name: lower case, quotes and a
 * leading "Mr " gone, "Surname, Forename" turned round, one space apart. */
static void
plain(const char *name, char *out, size_t size)
{
    char tmp[256], *o = tmp;
    for (const char *p = name; *p != '\0' && o < tmp + sizeof(tmp) - 1; p++)
        if (*p != '"')
            *o++ = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    *o = '\0';
    char *start = strncmp(tmp, "mr ", 3) == 0 ? tmp + 3 : tmp;
    char *comma = strchr(start, ',');
    char swapped[520];
    if (comma != NULL) {
        *comma = '\0';
        snprintf(swapped, sizeof(swapped), "%s %s", comma + 1, start);
    } else {
        snprintf(swapped, sizeof(swapped), "%s", start);
    }
    o = out;
    for (const char *p = swapped; *p != '\0' && o < out + size - 1; p++)
        if (*p != ' ' || (o > out && o[-1] != ' ' && p[1] != '\0'))
            *o++ = *p;
    while (o > out && o[-1] == ' ')
        o--;
    *o = '\0';
}

struct names {
    char *v[256];
    size_t n;
};

static void
add_name(struct names *ns, const char *name, size_t len)
{
    for (size_t i = 0; i < ns->n; i++)
        if (strlen(ns->v[i]) == len && memcmp(ns->v[i], name, len) == 0)
            return;
    assert_true(ns->n < 256);
    ns->v[ns->n++] = strndup(name, len);
}

/* The names of a directory file (name="...") or an LDIF (displayName:,
 * cn:). */
static void
read_names(const char *path, struct names *ns)
{
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    char line[1024];
    while (fgets(line, sizeof(line), fp) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "displayName: ", 13) == 0) {
            add_name(ns, line + 13, strlen(line + 13));
            continue;
        }
        if (strncmp(line, "cn: ", 4) == 0) {
            add_name(ns, line + 4, strlen(line + 4));
            continue;
        }
        char *v = strstr(line, "name=\"");
        if (v == NULL || line[0] == '#')
            continue;
        char name[256], *o = name;
        for (v += 6; *v != '\0' && *v != '"' && o < name + 255; v++) {
            if (*v == '\\' && v[1] != '\0')
                v++;
            *o++ = *v;
        }
        add_name(ns, name, (size_t)(o - name));
    }
    fclose(fp);
}

/* Do two names share a full-name key (any reading)? */
static bool
share_key(const char *a, const char *b)
{
    char *ka = NULL, *kb = NULL;
    bool shared = false;
    if (sg_dir_name_keys(a, SG_DIR_NAME_ENTRY, &ka) > 0 &&
        sg_dir_name_keys(b, SG_DIR_NAME_ENTRY, &kb) > 0) {
        for (char *p = strtok(ka, "\n"); p != NULL && !shared;
             p = strtok(NULL, "\n")) {
            if (sg_dir_name_key_is_variant(p))
                continue;
            size_t n = strlen(p);
            for (const char *q = kb; q != NULL && !shared;) {
                const char *nl = strchr(q, '\n');
                size_t m = nl != NULL ? (size_t)(nl - q) : strlen(q);
                shared = m == n && memcmp(p, q, n) == 0;
                q = nl != NULL ? nl + 1 : NULL;
            }
        }
    }
    free(ka);
    free(kb);
    return shared;
}

/* Look-alikes must not make ordinary names one: no two names of the demo
 * school and of the tests' directories share a full-name key unless they
 * are one name spelt two ways. */
static void
test_names_apart(void **state)
{
    (void)state;
    static const char *const files[] = {
        SRCDIR "/contrib/samples/school.dir",
        SG_TEST_DATADIR "/names.dir",
        SG_TEST_DATADIR "/school.dir",
        SRCDIR "/tests/integration/ldap/data.ldif",
        SRCDIR "/tests/integration/data/lookalike.dir",
    };
    struct names ns = {.n = 0};
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++)
        read_names(files[f], &ns);
    assert_true(ns.n > 50);
    size_t same = 0;
    for (size_t i = 0; i < ns.n; i++) {
        for (size_t j = i + 1; j < ns.n; j++) {
            if (!share_key(ns.v[i], ns.v[j]))
                continue;
            char a[256], b[256];
            plain(ns.v[i], a, sizeof(a));
            plain(ns.v[j], b, sizeof(b));
            if (strcmp(a, b) != 0)
                fail_msg("\"%s\" and \"%s\" share a name key", ns.v[i],
                         ns.v[j]);
            same++;
        }
    }
    assert_true(same > 0); /* "Price, Jo" and "Jo Price" do */
    for (size_t i = 0; i < ns.n; i++)
        free(ns.v[i]);
}

/* ---------------------------------------------------------------- file */

static struct sg_date fixed_today = {2026, 11, 22};

static void
today_fn(void *ctx, struct sg_date *today_r)
{
    (void)ctx;
    *today_r = fixed_today;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* roles sorted, comma-separated */
static void
roles_string(const struct sg_person *p, char *buf, size_t size)
{
    char *sorted[32];
    size_t n = p->n_roles < 32 ? p->n_roles : 32;
    if (n > 0) {
        memcpy(sorted, p->roles, n * sizeof(char *));
        qsort(sorted, n, sizeof(char *), cmp_str);
    }
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strncat(buf, ",", size - strlen(buf) - 1);
        strncat(buf, sorted[i], size - strlen(buf) - 1);
    }
}

static void
test_file_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *address; /* NULL: NOTFOUND */
        const char *roles;
    } cases[] = {
        {"Tom Smith", "tom.smith@school.example", "dsl,staff"},
        {"tom smith", "tom.smith@school.example", "dsl,staff"},
        {"  TOM   SMITH ", "tom.smith@school.example", "dsl,staff"},
        {"\"Tom Smith\"", "tom.smith@school.example", "dsl,staff"},
        {"Mr Tom Smith", "tom.smith@school.example", "dsl,staff"},
        {"Dr. Tom Smith", "tom.smith@school.example", "dsl,staff"},
        {"Smith, Tom", "tom.smith@school.example", "dsl,staff"},
        {"Smith, Mr. Tom", "tom.smith@school.example", "dsl,staff"},
        /* the directory's "Price, Jo" */
        {"Jo Price", "jo.price@school.example", "staff"},
        {"Mrs Jo Price", "jo.price@school.example", "staff"},
        {"Price, Jo", "jo.price@school.example", "staff"},
        /* two pupils: ambiguous, never guessed */
        {"Sam Taylor", NULL, NULL},
        {"Taylor, Sam", NULL, NULL},
        /* staff and pupil: the member of staff */
        {"Alex Morgan", "alex.morgan@school.example", "staff"},
        {"Mr Alex Morgan", "alex.morgan@school.example", "staff"},
        /* two members of staff: ambiguous */
        {"Chris Lee", NULL, NULL},
        {"ZO\xc3\x8b \xc3\x85NGSTR\xc3\x96M", "zoe.angstrom@school.example",
         "pupil"},
        /* derived roles, as for addresses */
        {"Cara Left", "cara.left@school.example",
         "former-pupil,former-pupil-under-18"},
        /* look-alike letters, compatibility forms, other readings */
        {"T\xd0\xbem Sm\xd1\x96th", "tom.smith@school.example", "dsl,staff"},
        {"\xce\xa4\xce\x9f\xce\x9c S\xce\x9c\xce\x99\xce\xa4\xce\x97",
         "tom.smith@school.example", "dsl,staff"}, /* Greek capitals */
        {"\xef\xbc\xb4\xef\xbd\x8f\xef\xbd\x8d Smith",
         "tom.smith@school.example", "dsl,staff"}, /* fullwidth Tom */
        {"Tom Srnith", "tom.smith@school.example", "dsl,staff"},
        {"J0 Price", "jo.price@school.example", "staff"},
        /* a surname with a title, initials and a surname, a forename and
         * an initial: only when exactly one member of staff has it */
        {"Mr Smith", "tom.smith@school.example", "dsl,staff"},
        {"Dr. Smith", "tom.smith@school.example", "dsl,staff"},
        {"Mr \xd0\x85mith", "tom.smith@school.example", "dsl,staff"},
        {"T Smith", "tom.smith@school.example", "dsl,staff"},
        {"T. Smith", "tom.smith@school.example", "dsl,staff"},
        {"\xd0\xa2. Smith", "tom.smith@school.example", "dsl,staff"},
        {"Smith, T", "tom.smith@school.example", "dsl,staff"},
        {"Mr T. J. Smith", "tom.smith@school.example", "dsl,staff"},
        {"Tom S.", "tom.smith@school.example", "dsl,staff"},
        {"Mrs Price", "jo.price@school.example", "staff"},
        {"J. Price", "jo.price@school.example", "staff"},
        {"T. Jones", "t.jones@school.example", "staff"},
        {"Mr Jones", "t.jones@school.example", "staff"},
        {"Mr Morgan", "alex.morgan@school.example", "staff"}, /* + a pupil */
        {"A. Morgan", "alex.morgan@school.example", "staff"},
        {"Rob H.", "rob.hall@school.example", "staff"},
        /* a capital I looks like a small l: "lan Hill" is the teacher's
         * look-alike, but a pupil's own name comes first */
        {"Ian Hill", "ian.hill@school.example", "staff"},
        {"IAN HILL", "ian.hill@school.example", "staff"},
        {"Ian HiII", "ian.hill@school.example", "staff"},
        {"Lan Hill", "lan.hill@school.example", "pupil"},
        {"lan Hill", "lan.hill@school.example", "pupil"},
        /* middle initials do not count */
        {"Tom J. Smith", "tom.smith@school.example", "dsl,staff"},
        {"Jo A B Price", "jo.price@school.example", "staff"},
        {"Mr Hall", NULL, NULL},     /* two members of staff */
        {"R. Hall", NULL, NULL},     /* two with that initial */
        {"Mr Lee", NULL, NULL},      /* two members of staff */
        {"Mr Taylor", NULL, NULL},   /* pupils only */
        {"S. Taylor", NULL, NULL},
        {"Miss \xc3\x85ngstr\xc3\xb6m", NULL, NULL}, /* a pupil */
        {"Mr Left", NULL, NULL},     /* a former pupil */
        {"J. Smith", NULL, NULL},    /* another initial */
        {"Tim S.", NULL, NULL},      /* another forename */
        /* never a single word without a title, nor initials alone */
        {"Smith", NULL, NULL},
        {"Tom", NULL, NULL},
        {"Headteacher", NULL, NULL},
        {"Jones", NULL, NULL},
        {"T. S.", NULL, NULL},
        /* not the same name */
        {"Tom Smithson", NULL, NULL},
        {"Thomas Smith", NULL, NULL},
        {"Tom James Smith", NULL, NULL},
        {"Smith Tom", NULL, NULL},
        {"Zoe Angstrom", NULL, NULL},
        {"*)(cn=*", NULL, NULL},
        {"Tom *)(cn=*", NULL, NULL},
        {"", NULL, NULL},
        {"Tom Sm\xffith", NULL, NULL},
    };
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.file_path = (char *)SG_TEST_DATADIR "/names.dir";
    struct sg_directory *dir = NULL;
    const char *error = NULL;
    if (sg_dir_new(&cfg, &dir, &error) != SG_DIR_FOUND)
        fail_msg("%s", error);
    sg_dir_set_clock(dir, NULL, today_fn, NULL);

    for (int pass = 0; pass < 2; pass++) { /* cold, then from the cache */
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct sg_person *p = (struct sg_person *)&p;
            error = NULL;
            enum sg_dir_status st =
                sg_dir_lookup_name(dir, cases[i].name, &p, &error);
            enum sg_dir_status want =
                cases[i].address ? SG_DIR_FOUND : SG_DIR_NOTFOUND;
            if (st != want)
                fail_msg("pass %d case %zu (%s): status %d, want %d (%s)",
                         pass, i, cases[i].name, st, want,
                         st == SG_DIR_FOUND ? p->address
                                            : (error ? error : ""));
            if (st != SG_DIR_FOUND) {
                assert_null(p);
                continue;
            }
            assert_string_equal(p->address, cases[i].address);
            char roles[256];
            roles_string(p, roles, sizeof(roles));
            if (strcmp(roles, cases[i].roles) != 0)
                fail_msg("case %zu (%s): roles \"%s\", want \"%s\"", i,
                         cases[i].name, roles, cases[i].roles);
            sg_person_free(&p);
        }
    }
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    size_t n = sizeof(cases) / sizeof(cases[0]);
    assert_int_equal(s.lookups, 2 * n);
    assert_int_equal(s.errors, 0);
    assert_true(s.hits > 0);

    /* names and addresses share the cache without meeting: an address
     * lookup still works, and a name is not an address */
    struct sg_person *p = NULL;
    enum sg_channel ch;
    assert_int_equal(
        sg_dir_lookup(dir, "tom.smith@school.example", &p, &ch, &error),
        SG_DIR_FOUND);
    assert_string_equal(p->display_name, "Tom Smith");
    sg_person_free(&p);
    assert_int_equal(sg_dir_lookup(dir, "tom smith", &p, &ch, &error),
                     SG_DIR_NOTFOUND);
    assert_int_equal(sg_dir_lookup_name(dir, "tom.smith@school.example", &p,
                                        &error),
                     SG_DIR_NOTFOUND);
    sg_dir_free(&dir);

    /* the same without a cache */
    cfg.cache_size = 0;
    assert_int_equal(sg_dir_new(&cfg, &dir, &error), SG_DIR_FOUND);
    assert_int_equal(sg_dir_lookup_name(dir, "Smith, Tom", &p, &error),
                     SG_DIR_FOUND);
    assert_string_equal(p->address, "tom.smith@school.example");
    sg_person_free(&p);
    assert_int_equal(sg_dir_lookup_name(dir, "Sam Taylor", &p, &error),
                     SG_DIR_NOTFOUND);
    sg_dir_free(&dir);
}

/* ---------------------------------------------------------------- mock */

/* Names: "tom smith" -> one staff member; "twice" ("same person") -> one
 * person as two entries; "two pupils" ("pat pupil") -> two pupils;
 * "staff pupil" ("sam both") -> a pupil and a member of staff; "two staff"
 * ("kim staff") -> two members of staff. */
struct mock {
    struct sg_dir_backend base;
    _Atomic int calls, name_calls;
    _Atomic int down; /* 1: TEMPFAIL */
    int delay_ms;
    char last_key[128];
};

static struct sg_person *
person(const char *address, const char *role)
{
    struct sg_person *p = sg_person_new();
    p->address = strdup(address);
    sg_person_add_role(p, role);
    return p;
}

static enum sg_dir_status
mock_lookup(struct sg_dir_backend *b, const char *key,
            struct sg_person **person_r, enum sg_channel *channel_r,
            const char **error_r)
{
    struct mock *m = (struct mock *)b;
    (void)error_r;
    atomic_fetch_add(&m->calls, 1);
    if (strcmp(key, "tom@s.example") != 0)
        return SG_DIR_NOTFOUND;
    *person_r = person("tom@s.example", "pupil");
    *channel_r = SG_CHANNEL_SCHOOL;
    return SG_DIR_FOUND;
}

/* Is key the full-name key of name? */
static bool
key_is(const char *key, const char *name)
{
    char *want = key_of(name);
    bool is = strcmp(key, want) == 0;
    free(want);
    return is;
}

static enum sg_dir_status
mock_lookup_name(struct sg_dir_backend *b, const char *key,
                 struct sg_person ***people_r, size_t *n_r,
                 const char **error_r)
{
    struct mock *m = (struct mock *)b;
    atomic_fetch_add(&m->name_calls, 1);
    snprintf(m->last_key, sizeof(m->last_key), "%s", key);
    if (m->delay_ms > 0)
        usleep((useconds_t)m->delay_ms * 1000);
    if (atomic_load(&m->down)) {
        *error_r = sg_dir_errorf("mock: server down (%s)", key);
        return SG_DIR_TEMPFAIL;
    }
    struct sg_person *found[2] = {NULL, NULL};
    size_t n = 0;
    if (key_is(key, "tom smith")) {
        found[n++] = person("tom@s.example", "staff");
    } else if (key_is(key, "same person")) {
        found[n++] = person("same@s.example", "pupil");
        found[n++] = person("same@s.example", "pupil");
    } else if (key_is(key, "pat pupil")) {
        found[n++] = person("pat1@s.example", "pupil");
        found[n++] = person("pat2@s.example", "pupil");
    } else if (key_is(key, "sam both")) {
        found[n++] = person("sam1@s.example", "pupil");
        found[n++] = person("sam2@s.example", "staff");
    } else if (key_is(key, "kim staff")) {
        found[n++] = person("kim1@s.example", "staff");
        found[n++] = person("kim2@s.example", "staff");
    }
    if (n == 0)
        return SG_DIR_NOTFOUND;
    *people_r = calloc(n, sizeof(**people_r));
    memcpy(*people_r, found, n * sizeof(found[0]));
    *n_r = n;
    return SG_DIR_FOUND;
}

static enum sg_dir_status
mock_check(struct sg_dir_backend *b, const char **error_r)
{
    (void)b;
    (void)error_r;
    return SG_DIR_FOUND;
}

static void
mock_free(struct sg_dir_backend *b)
{
    (void)b; /* static in the test */
}

static const struct sg_dir_backend_ops mock_ops = {
    "mock", mock_lookup, mock_check, mock_free, mock_lookup_name};
static const struct sg_dir_backend_ops nameless_ops = {
    "nameless", mock_lookup, mock_check, mock_free, NULL};

static time_t mock_now = 1000;

static time_t
now_fn(void *ctx)
{
    (void)ctx;
    return mock_now;
}

static struct sg_directory *
open_mock(struct mock *m, const struct sg_dir_backend_ops *ops)
{
    memset(m, 0, sizeof(*m));
    m->base.ops = ops;
    struct sg_dir_config cfg;
    sg_dir_config_init(&cfg);
    cfg.cache_ttl = 60;
    cfg.cache_negative_ttl = 10;
    cfg.stale_max_age = 600;
    struct sg_directory *dir = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_new_with_backend(&cfg, &m->base, &dir, &error),
                     SG_DIR_FOUND);
    sg_dir_set_clock(dir, now_fn, today_fn, NULL);
    mock_now = 1000;
    return dir;
}

/* The rule for a name several people share. */
static void
test_choice(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *address; /* NULL: NOTFOUND */
    } cases[] = {
        {"Tom Smith", "tom@s.example"},
        {"Same Person", "same@s.example"}, /* all the same person */
        {"Pat Pupil", NULL},               /* two, no staff */
        {"Sam Both", "sam2@s.example"},    /* exactly one staff */
        {"Kim Staff", NULL},               /* two staff */
        {"Nobody Here", NULL},
    };
    struct mock m;
    struct sg_directory *dir = open_mock(&m, &mock_ops);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sg_person *p = NULL;
        const char *error = NULL;
        enum sg_dir_status st = sg_dir_lookup_name(dir, cases[i].name, &p,
                                                   &error);
        if (cases[i].address == NULL) {
            if (st != SG_DIR_NOTFOUND)
                fail_msg("%s: status %d", cases[i].name, st);
            assert_null(p);
            continue;
        }
        if (st != SG_DIR_FOUND)
            fail_msg("%s: status %d", cases[i].name, st);
        assert_string_equal(p->address, cases[i].address);
        sg_person_free(&p);
    }
    sg_dir_free(&dir);

    /* a backend that cannot look up names: a configuration error */
    dir = open_mock(&m, &nameless_ops);
    struct sg_person *p = NULL;
    const char *error = NULL;
    assert_int_equal(sg_dir_lookup_name(dir, "Tom Smith", &p, &error),
                     SG_DIR_CONFIG);
    assert_string_equal(error, "the nameless directory backend cannot look "
                               "up display names");
    assert_null(p);
    sg_dir_free(&dir);
}

static enum sg_dir_status
name_at(struct sg_directory *dir, time_t t, const char *name,
        const char *want_address)
{
    mock_now = t;
    struct sg_person *p = NULL;
    const char *error = NULL;
    enum sg_dir_status st = sg_dir_lookup_name(dir, name, &p, &error);
    if (st == SG_DIR_FOUND) {
        assert_non_null(want_address);
        assert_string_equal(p->address, want_address);
    } else {
        assert_null(p);
    }
    sg_person_free(&p);
    return st;
}

/* The same cache as addresses: TTL, negative TTL, stale-if-error, TEMPFAIL
 * (never NOTFOUND) without a usable entry, keys apart from addresses. */
static void
test_cache(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, &mock_ops);
    const char *tom = "tom@s.example";

    assert_int_equal(name_at(dir, 1000, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(m.name_calls, 1);
    assert_true(key_is(m.last_key, "tom smith")); /* no prefix reaches it */
    /* another spelling, same key: a hit */
    assert_int_equal(name_at(dir, 1010, "\"Smith,  TOM\"", tom), SG_DIR_FOUND);
    assert_int_equal(m.name_calls, 1);
    /* an address lookup does not see the name entry, nor it the address */
    struct sg_person *p = NULL;
    enum sg_channel ch;
    const char *error = NULL;
    assert_int_equal(sg_dir_lookup(dir, "tom@s.example", &p, &ch, &error),
                     SG_DIR_FOUND);
    assert_true(sg_person_has_role(p, "pupil"));
    sg_person_free(&p);
    assert_int_equal(m.calls, 1);
    assert_int_equal(name_at(dir, 1020, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(m.name_calls, 1);
    /* past the TTL: asked again */
    assert_int_equal(name_at(dir, 1061, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(m.name_calls, 2);

    /* negative TTL (a full name not found is asked for as the full name
     * and as its whole words) */
    assert_int_equal(name_at(dir, 1100, "Nobody Here", NULL),
                     SG_DIR_NOTFOUND);
    assert_int_equal(m.name_calls, 4);
    assert_int_equal(name_at(dir, 1105, "nobody here", NULL),
                     SG_DIR_NOTFOUND);
    assert_int_equal(m.name_calls, 4);
    assert_int_equal(name_at(dir, 1111, "Nobody Here", NULL),
                     SG_DIR_NOTFOUND);
    assert_int_equal(m.name_calls, 6);

    /* unusable names never reach the backend */
    assert_int_equal(name_at(dir, 1112, "Smith", NULL), SG_DIR_NOTFOUND);
    assert_int_equal(name_at(dir, 1112, "T.", NULL), SG_DIR_NOTFOUND);
    assert_int_equal(m.name_calls, 6);
    /* a variant is asked for once, and never matches someone who is
     * not staff */
    assert_int_equal(name_at(dir, 1112, "T. Smith", NULL), SG_DIR_NOTFOUND);
    assert_int_equal(m.name_calls, 7);
    assert_int_equal(name_at(dir, 1113, "T. Smith", NULL), SG_DIR_NOTFOUND);
    assert_int_equal(m.name_calls, 7);

    /* outage: stale within stale_max_age, else TEMPFAIL, never NOTFOUND */
    m.down = 1;
    assert_int_equal(name_at(dir, 1200, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(name_at(dir, 1200, "Sam Both", NULL), SG_DIR_TEMPFAIL);
    mock_now = 1200;
    assert_int_equal(sg_dir_lookup_name(dir, "Kim Staff", &p, &error),
                     SG_DIR_TEMPFAIL);
    char *kim = key_of("kim staff"), want[128];
    snprintf(want, sizeof(want), "mock: server down (%s)", kim);
    free(kim);
    assert_string_equal(error, want);
    /* the cached "not found" is stale too: still not found, not an error */
    assert_int_equal(name_at(dir, 1200, "Nobody Here", NULL),
                     SG_DIR_NOTFOUND);
    assert_int_equal(name_at(dir, 1700, "Tom Smith", NULL), SG_DIR_TEMPFAIL);
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.stale, 2);
    assert_int_equal(s.errors, 3);

    /* recovery */
    m.down = 0;
    assert_int_equal(name_at(dir, 1701, "Tom Smith", tom), SG_DIR_FOUND);
    assert_int_equal(name_at(dir, 1701, "Sam Both", "sam2@s.example"),
                     SG_DIR_FOUND);
    sg_dir_free(&dir);
}

struct flight {
    struct sg_directory *dir;
    int found;
};

static void *
flight_worker(void *arg)
{
    struct flight *f = arg;
    struct sg_person *p = NULL;
    const char *error = NULL;
    if (sg_dir_lookup_name(f->dir, "Tom Smith", &p, &error) == SG_DIR_FOUND &&
        strcmp(p->address, "tom@s.example") == 0)
        f->found = 1;
    sg_person_free(&p);
    return NULL;
}

/* Many threads, one name, one backend query. */
static void
test_single_flight(void **state)
{
    (void)state;
    struct mock m;
    struct sg_directory *dir = open_mock(&m, &mock_ops);
    m.delay_ms = 200;
    pthread_t t[4];
    struct flight f[4];
    for (int i = 0; i < 4; i++) {
        f[i] = (struct flight){dir, 0};
        assert_int_equal(pthread_create(&t[i], NULL, flight_worker, &f[i]),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(f[i].found, 1);
    }
    assert_int_equal(m.name_calls, 1);
    struct sg_dir_stats s;
    sg_dir_stats(dir, &s);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.shared + s.hits, 3);
    sg_dir_free(&dir);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise),
        cmocka_unit_test(test_query_keys),
        cmocka_unit_test(test_readings),
        cmocka_unit_test(test_names_apart),
        cmocka_unit_test(test_file_names),
        cmocka_unit_test(test_choice),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_single_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
