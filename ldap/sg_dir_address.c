/*
 * sg_dir_address.c - envelope address -> directory lookup key, and the
 * roles derived from dates (former pupil, former pupil under 18).
 *
 * SECURITY: the input is attacker-controlled (the SMTP envelope).  The
 * normaliser accepts only RFC 5321 mailbox syntax (plus UTF-8 in the local
 * part), bounds the length, and never produces a key with control
 * characters, so a crafted address cannot alias another person's key.
 * Fails by returning NULL (unusable address or allocation failure).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sg_dir_internal.h"
#include "sg_icu.h"
#include "sg_utf8.h"

#define MAX_ADDRESS 512 /* RFC 5321 path is 256; allow slack for quoting */

static bool
is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c >= 0x80)
        return true;
    return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Is s (length n) a dot-atom: atext runs separated by single dots? */
static bool
is_dot_atom(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (s[i + 1] == '.')
                return false;
        } else if (!is_atext((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* ---- case folding.  Postfix (smtputf8_enable, the default) folds the
 * case of UTF-8 addresses for its table lookups with ICU's full case
 * folding, so "ZOË@" reaches the mailbox of "zoë@".  The key folds the
 * same way, and is also NFC-normalised, so that a precomposed and a
 * decomposed "ë" are one key (canonical caseless match: NFD, fold, NFC). */

/* s (n bytes) folded for comparison: ASCII lower-cased into buf (n + 1
 * bytes: the common case allocates nothing), anything else through ICU
 * (NFD, full case folding, NFC) into a malloc'ed string.  NUL-terminated,
 * its length in *out_n; NULL when s is not valid UTF-8 (no mailbox could
 * match it) or on allocation failure. */
static char *
fold(const char *s, size_t n, char *buf, size_t *out_n)
{
    size_t ascii = 0;
    while (ascii < n && (unsigned char)s[ascii] < 0x80 && s[ascii] != '\0')
        ascii++;
    if (ascii == n) {
        for (size_t i = 0; i < n; i++)
            buf[i] =
                s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
        buf[n] = '\0';
        *out_n = n;
        return buf;
    }
    for (size_t i = ascii; i < n;) {
        size_t len = sg_utf8_decode((const unsigned char *)s + i, n - i,
                                    NULL);
        if (len == 0 || s[i] == '\0')
            return NULL;
        i += len;
    }
    static const enum sg_icu_step steps[] = {SG_ICU_NFD, SG_ICU_CASEFOLD,
                                             SG_ICU_NFC};
    int32_t n16 = 0;
    UChar *u = sg_icu_from_utf8(s, n, &n16);
    if (u == NULL)
        return NULL;
    char *out = NULL;
    if (sg_icu_apply(&u, &n16, steps, sizeof(steps) / sizeof(steps[0]), 0) ==
        0)
        out = sg_icu_to_utf8(u, n16, out_n);
    free(u);
    return out;
}

/* "local@domain" (domain NULL: "local" alone), the local part as a
 * dot-atom when it is one, else quoted (RFC 5321).  NULL on allocation
 * failure. */
static char *
mailbox(const char *local, size_t ln, const char *domain, size_t dn)
{
    bool atom = is_dot_atom(local, ln);
    char *out = malloc(ln * 2 + 3 + dn + 2);
    if (out == NULL)
        return NULL;
    char *o = out;
    if (atom) {
        memcpy(o, local, ln);
        o += ln;
    } else {
        *o++ = '"';
        for (size_t i = 0; i < ln; i++) {
            if (local[i] == '"' || local[i] == '\\')
                *o++ = '\\';
            *o++ = local[i];
        }
        *o++ = '"';
    }
    if (domain != NULL) {
        *o++ = '@';
        memcpy(o, domain, dn);
        o += dn;
    }
    *o = '\0';
    return out;
}

/* Trim white space and one pair of angle brackets; [*s, *e). */
static void
trim(const char **s, const char **e)
{
    while (*s < *e && is_space(**s))
        (*s)++;
    while (*e > *s && is_space((*e)[-1]))
        (*e)--;
    if (*e - *s >= 2 && **s == '<' && (*e)[-1] == '>') {
        (*s)++;
        (*e)--;
    }
}

/* An RFC 5321 source route "@a,@b:" is ignored, as Postfix does.  false
 * when the address starts with '@' but has no route. */
static bool
skip_route(const char **s, const char *e)
{
    if (*s < e && **s == '@') {
        const char *colon = memchr(*s, ':', (size_t)(e - *s));
        if (colon == NULL)
            return false;
        *s = colon + 1;
    }
    return true;
}

/* Is d (dn bytes, folded) a domain name or an address literal? */
static bool
domain_ok(const char *d, size_t dn)
{
    if (dn == 0)
        return false;
    if (d[0] == '[') {
        if (dn < 2 || d[dn - 1] != ']')
            return false;
        for (size_t i = 1; i + 1 < dn; i++)
            if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'z') ||
                  d[i] == '.' || d[i] == ':'))
                return false;
        return true;
    }
    if (d[0] == '.' || d[0] == '-' || d[dn - 1] == '.')
        return false; /* (one trailing dot was taken off before) */
    for (size_t i = 0; i < dn; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            if (i + 1 < dn && d[i + 1] == '.')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                     c == '-' || c == '_' || c >= 0x80)) {
            return false;
        }
    }
    return true;
}

char *
sg_dir_address_normalise(const char *address, const char *delims)
{
    if (address == NULL)
        return NULL;
    const char *s = address, *e = address + strlen(address);
    trim(&s, &e);
    if (!skip_route(&s, e) || s >= e || e - s > MAX_ADDRESS)
        return NULL;

    char local[MAX_ADDRESS + 1];
    size_t ln = 0;
    const char *p = s;
    if (*p == '"') {
        /* quoted-string: qtextSMTP / quoted-pairSMTP */
        p++;
        for (;;) {
            if (p >= e)
                return NULL;
            unsigned char c = (unsigned char)*p;
            if (c == '"')
                break;
            if (c == '\\') {
                if (++p >= e)
                    return NULL;
                c = (unsigned char)*p;
            }
            if (c < 0x20 || c == 0x7f)
                return NULL;
            local[ln++] = (char)c;
            p++;
        }
        p++; /* closing quote */
        if (p >= e || *p != '@')
            return NULL;
    } else {
        while (p < e && *p != '@') {
            if (*p != '.' && !is_atext((unsigned char)*p))
                return NULL;
            local[ln++] = *p;
            p++;
        }
        if (p >= e || !is_dot_atom(local, ln))
            return NULL;
    }
    if (ln == 0)
        return NULL;
    p++; /* '@' */

    /* domain: a name or an address literal, checked once folded (a
     * character can fold to another: U+037E to ';') */
    const char *d = p;
    size_t dn = (size_t)(e - d);
    if (dn > 0 && d[dn - 1] == '.' && d[0] != '[')
        dn--;
    size_t fln = 0, fdn = 0;
    char lbuf[MAX_ADDRESS + 1], dbuf[MAX_ADDRESS + 1];
    char *flocal = fold(local, ln, lbuf, &fln);
    char *fdomain = flocal != NULL ? fold(d, dn, dbuf, &fdn) : NULL;
    char *out = NULL;
    if (fdomain != NULL && domain_ok(fdomain, fdn)) {
        /* +detail */
        if (delims != NULL && *delims != '\0') {
            for (size_t i = 1; i < fln; i++) {
                if (strchr(delims, flocal[i]) != NULL) {
                    fln = i;
                    break;
                }
            }
        }
        out = mailbox(flocal, fln, fdomain, fdn);
    }
    if (flocal != lbuf)
        free(flocal);
    if (fdomain != dbuf)
        free(fdomain);
    return out;
}

/* ---- the forms Postfix's trivial-rewrite(8) may deliver an address to */

/* Add local@domain (domain NULL: local alone) to the forms.  0, -1 on
 * allocation failure, -2 when there are too many. */
static int
add_form(char ***forms, size_t *n, const char *local, size_t ln,
         const char *domain, size_t dn)
{
    if (*n >= SG_DIR_ROUTES_MAX)
        return -2;
    char *form = mailbox(local, ln, domain, dn);
    if (form == NULL)
        return -1;
    int rc = sg_strv_push(forms, n, form);
    free(form);
    return rc < 0 ? -1 : 0;
}

/* The rightmost c in s[0, n), or NULL. */
static const char *
rfind(const char *s, size_t n, char c)
{
    while (n > 0)
        if (s[--n] == c)
            return s + n;
    return NULL;
}

int
sg_dir_address_routes(const char *address, char ***forms_r, size_t *n_r)
{
    *forms_r = NULL;
    *n_r = 0;
    if (address == NULL)
        return 0;
    const char *s = address, *e = address + strlen(address);
    trim(&s, &e);
    if (!skip_route(&s, e) || s >= e)
        return 0;
    if (e - s > MAX_ADDRESS)
        return -2;

    /* Postfix resolves the address with its quotes removed
     * (resolve_dequoted_address = yes): "a@b"@c is a@b@c. */
    char cur[MAX_ADDRESS + 1];
    size_t n = 0;
    bool quoted = false;
    for (const char *p = s; p < e; p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (quoted && *p == '\\' && p + 1 < e)
            p++;
        cur[n++] = *p;
    }

    int rc = 0;
    bool literal = false; /* the last domain taken off was [address] */
    bool domain_seen = false;
    while (n > 0 && rc == 0) {
        const char *at = rfind(cur, n, '@');
        if (at != NULL) {
            size_t ln = (size_t)(at - cur), dn = n - ln - 1;
            if (dn > 0) {
                /* delivered here when the domain is not the server's own */
                if (ln > 0)
                    rc = add_form(forms_r, n_r, cur, ln, at + 1, dn);
                literal = at[1] == '[';
                domain_seen = true;
            }
            n = ln; /* else the domain is local: what is left is routed */
            continue;
        }
        const char *bang = memchr(cur, '!', n);
        const char *pct = rfind(cur, n, '%');
        if (bang != NULL && bang > cur && (size_t)(bang - cur) + 1 < n) {
            /* swap_bangpath: "dom!user" is "user@dom" */
            char tmp[MAX_ADDRESS + 1];
            size_t dn = (size_t)(bang - cur), ln = n - dn - 1;
            memcpy(tmp, bang + 1, ln);
            tmp[ln] = '@';
            memcpy(tmp + ln + 1, cur, dn);
            memcpy(cur, tmp, n);
            continue;
        }
        if (pct != NULL && pct > cur && (size_t)(pct - cur) + 1 < n) {
            /* allow_percent_hack: "user%dom" is "user@dom" */
            cur[pct - cur] = '@';
            continue;
        }
        /* a bare local part: delivered locally (after an address literal
         * of the server) or in $myorigin (no domain at all) */
        if (!domain_seen || literal)
            rc = add_form(forms_r, n_r, cur, n, NULL, 0);
        break;
    }
    if (rc < 0)
        sg_strv_free(forms_r, n_r);
    return rc < 0 ? rc : (int)*n_r;
}

static const char *
role_pupil(const struct sg_dir_config *cfg)
{
    return cfg->role_pupil ? cfg->role_pupil : SG_ROLE_PUPIL;
}

static const char *
role_former(const struct sg_dir_config *cfg)
{
    return cfg->role_former_pupil ? cfg->role_former_pupil
                                  : SG_ROLE_FORMER_PUPIL;
}

bool
sg_dir_roles_by_date(const struct sg_dir_config *cfg,
                     const struct sg_person *p)
{
    return (p->left.year != 0 && sg_person_has_role(p, role_pupil(cfg))) ||
           sg_person_has_role(p, role_former(cfg));
}

int
sg_dir_derive_roles(const struct sg_dir_config *cfg, struct sg_person **person,
                    const struct sg_date *today)
{
    const char *pupil = role_pupil(cfg), *former = role_former(cfg);
    const char *under18 = cfg->role_former_pupil_under_18
                              ? cfg->role_former_pupil_under_18
                              : SG_ROLE_FORMER_PUPIL_UNDER_18;

    struct sg_person *p = *person;
    bool has_left = p->left.year != 0 && sg_date_cmp(&p->left, today) <= 0;
    /* on or after the leaving date a pupil is a former pupil */
    bool pupil_left = has_left && sg_person_has_role(p, pupil);
    if (!pupil_left && !sg_person_has_role(p, former))
        return 0;
    int age = sg_date_age(&p->dob, today);
    bool minor = age >= 0 ? age < 18 : cfg->unknown_age_is_minor;
    if (!pupil_left && (!minor || sg_person_has_role(p, under18)))
        return 0; /* a former pupil with the roles already */
    if (sg_person_unshare(person) < 0)
        return -1;
    p = *person;
    if (pupil_left)
        sg_person_remove_role(p, pupil);
    if (sg_person_add_role(p, former) < 0 ||
        (minor && sg_person_add_role(p, under18) < 0))
        return -1;
    return 0;
}
