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

#define MAX_ADDRESS 512 /* RFC 5321 path is 256; allow slack for quoting */

static bool
is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9') || c >= 0x80)
        return true;
    return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static char
lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
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

char *
sg_dir_address_normalise(const char *address, const char *delims)
{
    if (address == NULL)
        return NULL;
    const char *s = address, *e = address + strlen(address);
    while (s < e && is_space(*s))
        s++;
    while (e > s && is_space(e[-1]))
        e--;
    if (e - s >= 2 && *s == '<' && e[-1] == '>') {
        s++;
        e--;
    }
    /* RFC 5321 source route "@a,@b:" is ignored */
    if (s < e && *s == '@') {
        const char *colon = memchr(s, ':', (size_t)(e - s));
        if (colon == NULL)
            return NULL;
        s = colon + 1;
    }
    if (s >= e || e - s > MAX_ADDRESS)
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
            local[ln++] = lower((char)c);
            p++;
        }
        p++; /* closing quote */
        if (p >= e || *p != '@')
            return NULL;
    } else {
        while (p < e && *p != '@') {
            if (*p != '.' && !is_atext((unsigned char)*p))
                return NULL;
            local[ln++] = lower(*p);
            p++;
        }
        if (p >= e || !is_dot_atom(local, ln))
            return NULL;
    }
    if (ln == 0)
        return NULL;
    p++; /* '@' */

    /* +detail */
    if (delims != NULL && *delims != '\0') {
        for (size_t i = 1; i < ln; i++) {
            if (strchr(delims, local[i]) != NULL) {
                ln = i;
                break;
            }
        }
    }

    /* domain: a name or an address literal */
    const char *d = p;
    size_t dn = (size_t)(e - d);
    if (dn > 0 && d[dn - 1] == '.' && d[0] != '[')
        dn--;
    if (dn == 0)
        return NULL;
    if (d[0] == '[') {
        if (d[dn - 1] != ']')
            return NULL;
        for (size_t i = 1; i + 1 < dn; i++)
            if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'z') ||
                  (d[i] >= 'A' && d[i] <= 'Z') || d[i] == '.' || d[i] == ':'))
                return NULL;
    } else {
        if (d[0] == '.' || d[0] == '-')
            return NULL;
        for (size_t i = 0; i < dn; i++) {
            unsigned char c = (unsigned char)d[i];
            if (c == '.') {
                if (i + 1 < dn && d[i + 1] == '.')
                    return NULL;
            } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                         (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
                         c >= 0x80)) {
                return NULL;
            }
        }
    }

    /* output: local part as a dot-atom when it is one, else re-quoted */
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
    *o++ = '@';
    for (size_t i = 0; i < dn; i++)
        *o++ = lower(d[i]);
    *o = '\0';
    return out;
}

int
sg_dir_derive_roles(const struct sg_dir_config *cfg, struct sg_person *person,
                    const struct sg_date *today)
{
    const char *pupil = cfg->role_pupil ? cfg->role_pupil : SG_ROLE_PUPIL;
    const char *former = cfg->role_former_pupil ? cfg->role_former_pupil
                                                : SG_ROLE_FORMER_PUPIL;
    const char *under18 = cfg->role_former_pupil_under_18
                              ? cfg->role_former_pupil_under_18
                              : SG_ROLE_FORMER_PUPIL_UNDER_18;

    bool has_left = person->left.year != 0 &&
                    sg_date_cmp(&person->left, today) <= 0;
    bool is_former = sg_person_has_role(person, former);
    if (sg_person_has_role(person, pupil) && has_left) {
        /* on or after the leaving date a pupil is a former pupil */
        sg_person_remove_role(person, pupil);
        is_former = true;
    }
    if (!is_former)
        return 0;
    if (sg_person_add_role(person, former) < 0)
        return -1;
    int age = sg_date_age(&person->dob, today);
    bool minor = age >= 0 ? age < 18 : cfg->unknown_age_is_minor;
    if (minor && sg_person_add_role(person, under18) < 0)
        return -1;
    return 0;
}
