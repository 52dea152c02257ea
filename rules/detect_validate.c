/*
 * detect_validate.c - what makes a detector's match a finding: number
 * plans and check digits (UK phones, UPN, NHS number, ULN, Luhn), the
 * school's own numbers, domains, postcodes and social media accounts,
 * consumer mail providers, reference numbers that only look like phone
 * numbers, and ages from dates of birth.
 *
 * SECURITY: the matched text is attacker-controlled; validators read only
 * inside the match (and a bounded window round it) and copy with caps.
 * Fails: nothing here allocates; a validator answers keep or drop.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"

/* ------------------------------------------------------------ validators */
int
sg_phone_normalise(const char *in, char *out, size_t outsz)
{
    char digits[40];
    size_t n = 0;
    const char *p = in;
    while (isspace((unsigned char)*p))
        p++;
    bool intl = false;
    if (*p == '+') {
        intl = true;
        p++;
    } else if (p[0] == '0' && p[1] == '0') {
        intl = true;
        p += 2;
    }
    for (; *p; p++) {
        if (isdigit((unsigned char)*p)) {
            if (n + 1 >= sizeof(digits))
                return -1;
            digits[n++] = *p;
        } else if (!strchr(" \t\r\n.-()/", *p) && (unsigned char)*p < 0x80) {
            return -1;
        }
    }
    digits[n] = '\0';
    const char *nat;
    if (intl) {
        if (strncmp(digits, "44", 2) != 0)
            return -1;
        nat = digits + 2;
        if (nat[0] == '0') /* the (0) of +44 (0)... */
            nat++;
    } else {
        if (digits[0] != '0')
            return -1;
        nat = digits + 1;
    }
    size_t len = strlen(nat);
    if (len < 9 || len > 10 || nat[0] == '0' || len + 2 > outsz)
        return -1;
    out[0] = '0';
    memcpy(out + 1, nat, len + 1);
    return 0;
}

static bool
phone_is_mobile(const char *nat)
{
    if (strlen(nat) != 11 || nat[0] != '0' || nat[1] != '7')
        return false;
    if (nat[2] == '0') /* 070: personal numbering, not a mobile */
        return false;
    if (nat[2] == '6') /* 076: pagers, except 07624 (Isle of Man mobiles) */
        return strncmp(nat, "07624", 5) == 0;
    return true;
}

static bool
phone_is_landline(const char *nat)
{
    size_t len = strlen(nat);
    if (nat[0] != '0')
        return false;
    if (nat[1] == '1' && nat[2] >= '1' && nat[2] <= '9')
        return len == 11 || len == 10;
    if (len != 11)
        return false;
    if (nat[1] == '2')
        return strchr("03489", nat[2]) != NULL;
    if (nat[1] == '3')
        return strchr("03457", nat[2]) != NULL;
    return false;
}

/* Words which, just before a number on the same line, say it is a
 * reference rather than a telephone number. */
static const char *const ref_words[] = {
    "ref",     "reference", "order",   "invoice",  "account",    "acct",
    "case",    "ticket",    "serial",  "tracking", "booking",    "policy",
    "receipt", "candidate", "upn",     "uln",      "nhs",        "transaction",
    "customer", "membership", "payment", "id",
};

/* Does a conference bridge's dial string follow the number ending at end?
 * Teams and Zoom write "+44 20 7946 0958,,572913084#", Google Meet
 * "+44 20 3956 0467 PIN: 859 232 091#": a meeting's dial-in line, not
 * anyone's own number. */
static bool
followed_by_meeting_code(const char *text, size_t len, size_t end)
{
    size_t i = end, digits = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
        i++;
    if (i < len && text[i] == ',') {
        while (i < len && text[i] == ',')
            i++;
    } else if (len - i >= 4 && strncasecmp(text + i, "PIN:", 4) == 0) {
        i += 4;
    } else {
        return false;
    }
    for (; i < len && i - end < 64; i++) {
        if (text[i] >= '0' && text[i] <= '9')
            digits++;
        else if (text[i] != ' ')
            break;
    }
    return digits >= 4 && i < len && text[i] == '#';
}

bool
sg_detect_reference_before(const char *text, size_t start)
{
    size_t from = start > 32 ? start - 32 : 0;
    char seg[40];
    size_t k = 0;
    for (size_t i = from; i < start; i++) {
        char c = text[i];
        if (c == '\n') {
            /* a label on the line above counts when the number starts
             * its own line ("Order no.\n0123..."): a table or a form */
            bool alnum_after = false;
            for (size_t j = i + 1; j < start && !alnum_after; j++)
                alnum_after = isalnum((unsigned char)text[j]) != 0;
            if (alnum_after)
                k = 0;
            else
                seg[k++] = ' ';
            continue;
        }
        seg[k++] = (char)tolower((unsigned char)c);
    }
    seg[k] = '\0';
    /* Only the last word before the number (and its punctuation) counts:
     * "Ref: 0123...", "order no. 0123...", "Case ID 0123...". */
    char *end = seg + k;
    char *p = end;
    int words = 0;
    while (p > seg && words < 2) {
        while (p > seg && !isalpha((unsigned char)p[-1]))
            p--;
        char *we = p;
        while (p > seg && isalpha((unsigned char)p[-1]))
            p--;
        if (we == p)
            break;
        size_t wl = (size_t)(we - p);
        for (size_t i = 0; i < sizeof(ref_words) / sizeof(ref_words[0]); i++)
            if (strlen(ref_words[i]) == wl &&
                strncmp(p, ref_words[i], wl) == 0)
                return true;
        /* "no", "number", "num" may sit between the word and the number */
        if (!((wl == 2 && strncmp(p, "no", 2) == 0) ||
              (wl == 6 && strncmp(p, "number", 6) == 0) ||
              (wl == 3 && strncmp(p, "num", 3) == 0)))
            break;
        words++;
    }
    return false;
}

static const char upn_letters[] = UPN_LETTERS;

static int
upn_value(char c)
{
    if (isdigit((unsigned char)c))
        return c - '0';
    const char *p = strchr(upn_letters, c);
    return p && c ? (int)(p - upn_letters) : -1;
}

int
sg_upn_valid(const char *s, size_t len)
{
    if (len != 13)
        return 0;
    int sum = 0;
    for (size_t i = 1; i < 13; i++) {
        if (i < 12 && !isdigit((unsigned char)s[i]))
            return 0;
        int v = upn_value(s[i]);
        if (v < 0)
            return 0;
        sum += v * (int)(i + 1);
    }
    return s[0] == upn_letters[sum % 23];
}

int
sg_nhs_valid(const char *d)
{
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += (d[i] - '0') * (10 - i);
    int check = 11 - sum % 11;
    if (check == 11)
        check = 0;
    if (check == 10)
        return 0;
    /* All-same-digit numbers pass the checksum but are never issued. */
    bool same = true;
    for (int i = 1; i < 10; i++)
        if (d[i] != d[0])
            same = false;
    return !same && check == d[9] - '0';
}

int
sg_uln_valid(const char *d)
{
    if (d[0] == '0' || strcmp(d, "9999999999") == 0)
        return 0;
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += (d[i] - '0') * (10 - i);
    int r = sum % 11;
    return r != 0 && 10 - r == d[9] - '0';
}

static int
luhn_valid(const char *d, size_t n)
{
    if (n < 2)
        return 0;
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int v = d[n - 1 - i] - '0';
        if (i % 2 == 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

bool
sg_domain_is_school(const struct sg_rules *rules, const char *domain)
{
    size_t dl = strlen(domain);
    for (size_t i = 0; i < rules->school_domains.n; i++) {
        const char *s = rules->school_domains.v[i];
        size_t sl = strlen(s);
        if (dl == sl && strcasecmp(domain, s) == 0)
            return true;
        if (dl > sl && domain[dl - sl - 1] == '.' &&
            strcasecmp(domain + dl - sl, s) == 0)
            return true;
    }
    return false;
}

bool
sg_rules_school_address(const struct sg_rules *rules, const char *address)
{
    const char *at = address != NULL ? strrchr(address, '@') : NULL;
    return rules != NULL && at != NULL && sg_domain_is_school(rules, at + 1);
}

/* ------------------------------------------------------------ personal email */

/* Consumer mail providers: an address there is someone's own mailbox.
 * Anything else outside the school (a university's admissions office, a
 * supplier's orders desk) is an organisation's, and personal only when
 * the directory registers it as someone's personal address. */
const char *const sg_personal_domains_builtin[] = {
    "gmail.com", "googlemail.com",
    "outlook.*", "hotmail.*", "live.*", "msn.com", "windowslive.com",
    "yahoo.*", "ymail.com", "rocketmail.com",
    "icloud.com", "me.com", "mac.com",
    "aol.*", "aim.com",
    "protonmail.com", "protonmail.ch", "proton.me", "pm.me",
    "tutanota.com", "tutanota.de", "tuta.io", "tuta.com",
    "gmx.*", "mail.com", "yandex.*", "zoho.com", "fastmail.com", "fastmail.fm",
    "btinternet.com", "btopenworld.com", "btconnect.com",
    "sky.com", "virginmedia.com", "virgin.net", "blueyonder.co.uk",
    "ntlworld.com", "talktalk.net", "tiscali.co.uk", "plus.com",
    "orange.net", "wanadoo.co.uk", "hushmail.com",
    NULL,
};

bool
sg_rules_personal_domain(const struct sg_rules *rules, const char *domain)
{
    for (size_t i = 0; i < rules->personal_domains.n; i++)
        if (fnmatch(rules->personal_domains.v[i], domain, FNM_CASEFOLD) == 0)
            return true;
    return false;
}

int
sg_rules_personal_domain_check(const char *item, const char **why_r)
{
    item += item[0] == '@';
    bool dot = false;
    for (const char *p = item; *p; p++) {
        if (*p == '.')
            dot = true;
        else if (!isalnum((unsigned char)*p) && *p != '-' && *p != '*' &&
                 *p != '?') {
            *why_r = "is not a domain (gmail.com, or yahoo.* for all of "
                     "them)";
            return -1;
        }
    }
    if (!dot || item[0] == '.' || item[0] == '*') {
        *why_r = "is not a domain (gmail.com, or yahoo.* for all of them; "
                 "subdomains are never personal)";
        return -1;
    }
    return 0;
}

/* Machine identifiers look like addresses: "cid:part1@01D9...",
 * Message-ID / In-Reply-To / References values, a calendar's or a
 * contact card's UID.  Is the address at start one, by what precedes it:
 * a cid: or mid: URL, or a header or property line of those names (the
 * logical line, so folded ones too, and quoted ones with "> ")? */
bool
sg_detect_email_is_identifier(const char *text, size_t start)
{
    static const char *const names[] = {
        "message-id", "in-reply-to", "references", "content-id",
        "resent-message-id", "original-message-id", "x-message-id", "uid",
        "x-ms-exchange-parent-message-id", NULL};
    if (start >= 4 && (strncasecmp(text + start - 4, "cid:", 4) == 0 ||
                       strncasecmp(text + start - 4, "mid:", 4) == 0))
        return true;
    /* the start of the logical line: back over folded lines (they begin
     * with white space), at most 20 lines and 4000 bytes */
    size_t b = start, floor = start > 4000 ? start - 4000 : 0;
    for (int lines = 0; lines < 20; lines++) {
        while (b > floor && text[b - 1] != '\n')
            b--;
        if (b == floor || (text[b] != ' ' && text[b] != '\t'))
            break;
        b--; /* onto the '\n' of the line before */
    }
    while (b < start && (text[b] == '>' || text[b] == ' ' || text[b] == '\t'))
        b++;
    size_t e = b;
    while (e < start && e - b < 40 &&
           (isalnum((unsigned char)text[e]) || text[e] == '-'))
        e++;
    if (e == b || e >= start || (text[e] != ':' && text[e] != ';'))
        return false;
    for (size_t i = 0; names[i] != NULL; i++)
        if (strlen(names[i]) == e - b &&
            strncasecmp(text + b, names[i], e - b) == 0)
            return true;
    return false;
}

/* ------------------------------------------------------------ social accounts */

/* Networks by the domains of their profile links and the words that name
 * them before a handle. */
static const struct {
    const char *name; /* "domain" of a link, or a word */
    const char *network;
    bool domain;
} networks[] = {
    {"facebook.com", "facebook", true}, {"fb.com", "facebook", true},
    {"fb.me", "facebook", true},        {"instagram.com", "instagram", true},
    {"instagr.am", "instagram", true},  {"snapchat.com", "snapchat", true},
    {"tiktok.com", "tiktok", true},     {"twitter.com", "x", true},
    {"x.com", "x", true},               {"threads.net", "threads", true},
    {"youtube.com", "youtube", true},   {"snapchat", "snapchat", false},
    {"snap", "snapchat", false},        {"instagram", "instagram", false},
    {"insta", "instagram", false},      {"ig", "instagram", false},
    {"tiktok", "tiktok", false},        {"tik tok", "tiktok", false},
    {"twitter", "x", false},            {"threads", "threads", false},
    {"facebook", "facebook", false},    {"fb", "facebook", false},
    {"youtube", "youtube", false},      {"x", "x", false},
};

static bool
name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* Where word w stands in t (len n) on its own (not inside a name), or
 * NULL. */
static const char *
find_word(const char *t, size_t n, const char *w)
{
    size_t wl = strlen(w);
    for (size_t i = 0; i + wl <= n; i++)
        if (strncmp(t + i, w, wl) == 0 && (i == 0 || !name_char(t[i - 1])) &&
            (i + wl == n || !name_char(t[i + wl])))
            return t + i;
    return NULL;
}

int
sg_social_account(const char *text, size_t len, char *key, size_t size)
{
    char t[256];
    if (len >= sizeof(t))
        return -1;
    for (size_t i = 0; i < len; i++)
        t[i] = (char)tolower((unsigned char)text[i]);
    t[len] = '\0';
    const char *net = "", *name = NULL;
    for (size_t i = 0; i < sizeof(networks) / sizeof(*networks) && !name;
         i++) {
        if (!networks[i].domain)
            continue;
        /* the domain, after a scheme, "www." or the like */
        const char *d = t;
        size_t dl = strlen(networks[i].name);
        while ((d = strstr(d, networks[i].name)) != NULL &&
               ((d > t && (isalnum((unsigned char)d[-1]) || d[-1] == '_' ||
                           d[-1] == '-')) ||
                d[dl] != '/'))
            d++;
        if (d == NULL)
            continue;
        net = networks[i].network;
        name = d + strlen(networks[i].name) + 1;
        static const char *const skip[] = {"add/", "c/", "channel/", "user/",
                                           "@"};
        for (size_t k = 0; k < sizeof(skip) / sizeof(*skip); k++)
            if (strncmp(name, skip[k], strlen(skip[k])) == 0)
                name += strlen(skip[k]);
    }
    if (name == NULL) {
        /* a handle: the name after the last '@', or, written without it
         * ("Instagram: oak_pe"), the last word */
        const char *at = strrchr(t, '@');
        if (at != NULL) {
            name = at + 1;
        } else {
            size_t e = len, b;
            while (e > 0 && !name_char(t[e - 1]))
                e--;
            for (b = e; b > 0 && name_char(t[b - 1]); b--)
                ;
            if (b == e)
                return -1;
            name = t + b;
            at = b > 0 ? t + b - 1 : t;
        }
        for (size_t i = 0; i < sizeof(networks) / sizeof(*networks); i++)
            if (!networks[i].domain &&
                find_word(t, (size_t)(at - t), networks[i].name) != NULL) {
                net = networks[i].network;
                break;
            }
    }
    size_t nl = 0;
    while (name_char(name[nl]))
        nl++;
    while (nl > 0 && name[nl - 1] == '.')
        nl--;
    if (nl == 0 || (size_t)snprintf(key, size, "%s/%.*s", net, (int)nl,
                                    name) >= size)
        return -1;
    return 0;
}

int
sg_rules_social_account_check(const char *item, const char **why_r)
{
    char key[160];
    if (sg_social_account(item, strlen(item), key, sizeof(key)) < 0 ||
        (key[0] == '/' && item[0] != '@')) {
        *why_r = "is not an account: @name (on any network) or a profile "
                 "link such as instagram.com/name";
        return -1;
    }
    return 0;
}

/* Is the social-media match one of the school's own accounts? */
static bool
school_social(const struct sg_rules *rules, const char *m, size_t ml)
{
    char key[160];
    if (rules->school_social.n == 0 ||
        sg_social_account(m, ml, key, sizeof(key)) < 0)
        return false;
    const char *name = strchr(key, '/') + 1;
    for (size_t i = 0; i < rules->school_social.n; i++) {
        const char *e = rules->school_social.v[i];
        const char *en = strchr(e, '/') + 1;
        bool any_net = e[0] == '/' || key[0] == '/';
        if (strcmp(en, name) == 0 &&
            (any_net || (en - e == name - key &&
                         strncmp(e, key, (size_t)(en - e)) == 0)))
            return true;
    }
    return false;
}

int
sg_detect_validate(const struct sg_rules *rules, const struct detector *d,
                   const char *text, size_t len, size_t start, size_t end,
                   time_t now)
{
    const char *m = text + start;
    size_t ml = end - start;
    char buf[MAX_FINDING_TEXT + 1];
    switch (d->validate) {
    case VAL_NONE:
        return 1;
    case VAL_PHONE_MOBILE:
    case VAL_PHONE_LANDLINE: {
        char nat[32];
        if (ml > MAX_FINDING_TEXT || memchr(m, '\n', ml) !=
                                         memrchr(m, '\n', ml))
            return 0; /* one line break inside a number, not two */
        memcpy(buf, m, ml);
        buf[ml] = '\0';
        if (sg_phone_normalise(buf, nat, sizeof(nat)) < 0)
            return 0;
        bool ok = d->validate == VAL_PHONE_MOBILE ? phone_is_mobile(nat)
                                                  : phone_is_landline(nat);
        if (!ok)
            return 0;
        for (size_t i = 0; i < rules->school_phones.n; i++)
            if (strcmp(rules->school_phones.v[i], nat) == 0)
                return 0;
        if (sg_detect_reference_before(text, start) ||
            followed_by_meeting_code(text, len, end))
            return 0;
        return 1;
    }
    case VAL_EMAIL_PERSONAL: {
        /* a consumer provider's; registered addresses: detect_keep */
        const char *at = memchr(m, '@', ml);
        if (at == NULL || (size_t)(m + ml - at - 1) > MAX_FINDING_TEXT)
            return 0;
        size_t dl = (size_t)(m + ml - at - 1);
        memcpy(buf, at + 1, dl);
        buf[dl] = '\0';
        return !sg_domain_is_school(rules, buf) &&
               sg_rules_personal_domain(rules, buf) &&
               !sg_detect_email_is_identifier(text, start);
    }
    case VAL_SOCIAL:
        return !school_social(rules, m, ml);
    case VAL_POSTCODE_HOUSE:
        return 1; /* the postcode check needs the capture */
    case VAL_UPN:
        return sg_upn_valid(m, ml);
    case VAL_NHS:
    case VAL_ULN:
    case VAL_LUHN: {
        char dig[32];
        size_t n = 0;
        for (size_t i = 0; i < ml; i++)
            if (isdigit((unsigned char)m[i])) {
                if (n + 1 >= sizeof(dig))
                    return 0;
                dig[n++] = m[i];
            }
        dig[n] = '\0';
        if (d->validate == VAL_LUHN)
            return luhn_valid(dig, n);
        if (n != 10)
            return 0;
        return d->validate == VAL_NHS ? sg_nhs_valid(dig) : sg_uln_valid(dig);
    }
    case VAL_CHILD_DOB:
        return 1; /* needs the capture: sg_detect_validate_group */
    case VAL_PUPIL_ROSTER:
        return 1; /* needs the lookup: roster_keep */
    }
    (void)now;
    return 0;
}

/* Born on dob, is someone of school age (2 to 19) at now (UTC)? */
bool
sg_detect_school_age(const struct sg_date *dob, time_t now)
{
    struct sg_date today;
    struct tm tm;
    gmtime_r(&now, &tm);
    today.year = tm.tm_year + 1900;
    today.month = tm.tm_mon + 1;
    today.day = tm.tm_mday;
    int age = sg_date_age(dob, &today);
    return age >= 2 && age <= 19;
}

/* Validators that need capture group 1. */
int
sg_detect_validate_group(const struct sg_rules *rules,
                         const struct detector *d, const char *text,
                         const PCRE2_SIZE *ov, int rc, time_t now)
{
    if (d->validate != VAL_POSTCODE_HOUSE && d->validate != VAL_CHILD_DOB)
        return 1;
    if (rc < 2 || ov[2] == PCRE2_UNSET)
        return 0;
    const char *g = text + ov[2];
    size_t gl = ov[3] - ov[2];
    if (d->validate == VAL_POSTCODE_HOUSE) {
        char pc[16];
        size_t k = 0;
        for (size_t i = 0; i < gl && k < sizeof(pc) - 1; i++)
            if (!isspace((unsigned char)g[i]))
                pc[k++] = g[i];
        pc[k] = '\0';
        return !sg_rules_strv_has_ci(&rules->school_postcodes, pc);
    }
    struct sg_date dob;
    if (sg_rules_date_parse(g, gl, &dob) < 0)
        return 0;
    return sg_detect_school_age(&dob, now);
}

