/*
 * detect.c - the built-in detectors (patterns and validators) and the scan
 * loop shared by built-in and site-defined detectors.
 *
 * Each detector is one PCRE2 pattern, compiled with JIT once at load, plus
 * an optional validator in C (check letters and digits, number plans, the
 * school's own numbers, domains and postcodes, ages).  Every built-in
 * pattern matches a bounded length, so scanning a text costs time linear in
 * its size; a text is scanned at most once per detector per message.
 *
 * SECURITY: the scanned text is attacker-controlled.  Matches are bounded
 * by the PCRE2 match context limits; matched text is copied with a length
 * cap; validators read only inside the match.
 * Fails by returning -1 (allocation, match limit) with an error string.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "normalise.h"
#include "rules_int.h"
#include "sg_utf8.h"

#define MAX_FINDING_TEXT 200

/* ------------------------------------------------------------ patterns */

/* What may stand between the digits of a number written out for people:
 * a run of spaces, dots and dashes (hyphen, the Unicode hyphens and dashes,
 * minus), or one line break with such a run on either side (a wrapped
 * line, an HTML <br>, a format=flowed soft break).  No-break and thin
 * spaces are spaces by then (normalise.c).  Bounded, so that a match
 * stays short. */
#define NUM_SEP "[ \\t.\\-\\x{a0}\\x{2010}-\\x{2015}\\x{2212}]"
#define NUM_GAP                                                               \
    "(?:" NUM_SEP "{1,4}(?:\\r?\\n" NUM_SEP "{0,4})?|\\r?\\n" NUM_SEP "{0,4})"

/* A UK telephone number in any common written form: national (07700
 * 900123, (01632) 960000), international (+44 7700 900123, +44 (0)7700
 * 900123, 0044 7700 900123), with NUM_GAP between digits.
 * Not glued to other digits, letters, currency signs, or a date/time/decimal
 * separator followed by a digit.  The validator classifies the number. */
#define PHONE_RE                                                              \
    "(?<![\\w+\\x{a3}$\\x{20ac}.,/\\-])"                                      \
    "(?:(?:\\+|00)" NUM_GAP "?44" NUM_GAP "?(?:\\(0\\)" NUM_GAP "?)?|\\(?0)"   \
    "[1-9](?:(?:\\)" NUM_GAP "?|" NUM_GAP ")?\\d){8,9}"                         \
    "(?![\\w\\x{a3}$\\x{20ac}%])(?![.,:/\\-\\x{2010}-\\x{2015}]\\d)"

#define EMAIL_RE                                                              \
    "(?<![\\w.%+\\-])[A-Za-z0-9][A-Za-z0-9._%+\\-]{0,63}@"                    \
    "(?:[A-Za-z0-9](?:[A-Za-z0-9\\-]{0,61}[A-Za-z0-9])?\\.){1,8}"             \
    "[A-Za-z]{2,24}(?![\\w\\-])"

/* An address spelt out to get past filters: "tom dot smith77 at gmail dot
 * com", "tom(at)gmail(dot)com", "tom [at] gmail [.] com", "tom @ gmail .
 * com".  Matched without case on the normalised text, only where EMAIL_RE
 * cannot match (the "at" is always spelt out or spaced), and rebuilt into
 * the address by spelt_email().  Every part is bounded. */
#define SP_AT_BR "[(\\[{<][ \\t]{0,2}(?:at|@)[ \\t]{0,2}[)\\]}>]"
#define SP_DOT_BR "[(\\[{<][ \\t]{0,2}(?:dot|\\.)[ \\t]{0,2}[)\\]}>]"
#define SP_AT                                                                 \
    "(?:[ \\t]{0,3}" SP_AT_BR "[ \\t]{0,3}|[ \\t]{1,3}at[ \\t]{1,3}|"           \
    "[ \\t]{1,3}@[ \\t]{0,3}|@[ \\t]{1,3})"
#define SP_DOT                                                                \
    "(?:[ \\t]{0,3}" SP_DOT_BR "[ \\t]{0,3}|[ \\t]{1,3}dot[ \\t]{1,3}|"         \
    "[ \\t]{0,3}\\.[ \\t]{0,3})"
/* Spelt out, a domain must end in a common top-level domain: "me at tom
 * dot smith at gmail dot com" is then read from "tom". */
#define SP_TLDS                                                               \
    "com|net|org|uk|co|ac|sch|gov|edu|io|me|info|biz|ie|eu|us|ca|au|nz|de|"   \
    "fr|es|it|nl|be|ch|in|live|email|online|xyz|app|dev|icloud|mail"
/* Possessive and atomic: what follows a part (a space, bracket, dot or @)
 * can never be part of it, so giving characters back only costs time. */
#define SP_LOCAL "[a-z0-9_%+\\-]{1,64}+"
#define SP_LABEL "(?>[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?)"
#define SPELT_EMAIL_RE                                                        \
    "(?<![\\w.%+\\-@])" SP_LOCAL "(?:" SP_DOT SP_LOCAL "){0,5}" SP_AT          \
    SP_LABEL "(?:" SP_DOT SP_LABEL "){0,6}" SP_DOT "(?:" SP_TLDS ")(?![\\w\\-@])"

#define SOCIAL_NETS                                                           \
    "snap(?:chat)?|insta(?:gram)?|ig|tik[ \\t]?tok|twitter|threads|"          \
    "facebook|fb|youtube|bereal"

/* Every alternative of the social-media and messaging-invite patterns
 * starts where a word starts: after a character that is not \w (or at the
 * start), or, for \b before a letter matched without case, at one of the
 * two characters that are not \w but match an ASCII letter that way (U+017F
 * long s, U+212A Kelvin sign).  Testing that once in front changes no
 * match, and lets PCRE2 give up at once inside a word instead of trying
 * every alternative at every letter (a third of the instructions of a
 * message of plain text, bench/README.md).  One lookbehind says it: not
 * "a \w, and then not one of those two". */
#define WORD_START_RE "(?<!\\w(?![\\x{17f}\\x{212a}]))"

/* A handle written without its @: letters first, and a digit, or a dot or
 * underscore inside it, so that ordinary words ("private", "Parents") are
 * not handles. */
#define HANDLE_BARE                                                           \
    "(?=[A-Za-z_])(?=[A-Za-z0-9_.]{0,29}(?:[0-9]|[_.][A-Za-z0-9]))"           \
    "[A-Za-z0-9_.]{2,30}"
#define HANDLE "(?:@[A-Za-z0-9_.]{2,30}|" HANDLE_BARE ")"

/* A profile URL; a platform named, then a handle ("insta: @x", "snap
 * username: jo_b"); a handle then the platform ("I'm @jo_b on insta");
 * "on Instagram as @x"; an invitation ("add me on TikTok", "hmu on
 * snap"); "my snap is ...". */
#define SOCIAL_RE                                                             \
    WORD_START_RE                                                             \
    "(?:(?<![\\w.\\-@/])(?:https?://)?(?:(?:www|m|mobile|vm)\\.)?"            \
    "(?:facebook\\.com|fb\\.com|fb\\.me|instagram\\.com|instagr\\.am|"        \
    "snapchat\\.com/add|tiktok\\.com/@|twitter\\.com|x\\.com|threads\\.net/@|" \
    "youtube\\.com/(?:@|c/|channel/|user/))"                                  \
    "/?[A-Za-z0-9_.\\-]{2,64}"                                                \
    "|\\b(?:snap(?:chat)?|insta(?:gram)?|ig|tik[ \\t]?tok|twitter|threads|"   \
    "facebook|fb)[ \\t]*(?:handle|username|user[ \\t]name|name|id)?[ \\t]*"   \
    "(?:(?::|-|=|is)?[ \\t]*[(\\[]?@[A-Za-z0-9_.]{2,30}|(?::|-|=|is)[ \\t]*"   \
    HANDLE_BARE ")"                                                           \
    "|\\b(?:on|via)[ \\t]+(?:" SOCIAL_NETS "|x)[ \\t]*,?[ \\t]*"              \
    "(?:as|at|is|it'?s|:|-)?[ \\t]*@[A-Za-z0-9_.]{2,30}"                      \
    "|(?:@[A-Za-z0-9_.]{2,30}|\\b(?:i'm|im|i[ \\t]+am)[ \\t]+" HANDLE_BARE ")"  \
    "[ \\t]+(?:on|over[ \\t]+on)[ \\t]+(?:" SOCIAL_NETS ")\\b"                \
    "|\\b(?:add|follow|message|dm|find|friend|text|ping)[ \\t]+me[ \\t]+"     \
    "(?:on|at)[ \\t]+(?:" SOCIAL_NETS "|x)\\b"                                \
    "|\\b(?:hmu|hit[ \\t]+me[ \\t]+up)[ \\t]+(?:on|at)[ \\t]+"                 \
    "(?:" SOCIAL_NETS ")\\b"                                                  \
    "|\\bmy[ \\t]+(?:snap(?:chat)?|insta(?:gram)?|tik[ \\t]?tok|twitter|"     \
    "facebook|fb)(?:[ \\t]+(?:is|handle|name|username|account)\\b|"          \
    "['\\x{2019}]s\\b|[ \\t]*:))"

#define MSG_APPS "whats[ \\t]?app|signal|telegram|discord|kik|viber|wickr"

#define MESSAGING_RE                                                          \
    WORD_START_RE                                                             \
    "(?:(?<![\\w.\\-@/])(?:https?://)?(?:wa\\.me/\\+?[0-9]{6,15}|"            \
    "api\\.whatsapp\\.com/send\\?phone=\\+?[0-9]{6,15}|"                      \
    "chat\\.whatsapp\\.com/(?:invite/)?[A-Za-z0-9]{6,40}|"                    \
    "(?:t|telegram)\\.me/(?:joinchat/)?[A-Za-z0-9_+\\-]{3,64}|"               \
    "discord\\.gg/[A-Za-z0-9\\-]{2,32}|"                                      \
    "discord(?:app)?\\.com/invite/[A-Za-z0-9\\-]{2,32}|"                      \
    "signal\\.(?:me|group)/#[A-Za-z0-9_\\-]{4,200})"                          \
    "|\\b(?:whats[ \\t]?app|signal|telegram|viber)[ \\t]+me\\b"               \
    "(?:[ \\t]+(?:on|at)[ \\t]+\\+?[0-9][0-9 ()\\-]{6,20}[0-9])?"             \
    "|\\b(?:add|message|text|dm|contact|find|join)[ \\t]+me[ \\t]+on[ \\t]+"  \
    "(?:" MSG_APPS ")\\b"                                                     \
    "|\\bmy[ \\t]+(?:" MSG_APPS ")[ \\t]+(?:number|no\\.?|is|handle|"         \
    "username|group|id)\\b)"

#define STREET                                                                \
    "Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Close|Cl|Drive|Dr|Way|Crescent|"    \
    "Cres|Court|Ct|Place|Pl|Grove|Gardens|Gdns|Terrace|Hill|Park|Walk|Row|"   \
    "Mews|Square|Sq|View|Rise|Green|Parade|Vale|Wharf|Yard|Fields|Meadow|"    \
    "Meadows|Croft|Gate|Hall|Cottages"

/* A house number (optionally with a letter and "Flat n, ") then one to
 * four capitalised words ending in a street word, then within 120
 * characters (the rest of the address, up to three more lines) a full UK
 * postcode.  The postcode is capture group 1. */
#define ADDRESS_RE                                                            \
    "(?<![\\w/.,\\-])\\d{1,4}[A-Za-z]?,?[ \\t]+"                              \
    "(?:[A-Z][A-Za-z'\\-]*[ \\t]+){1,4}(?:" STREET ")\\b\\.?"                 \
    "[^\\n]{0,60}?(?:\\n[^\\n]{0,60}?){0,3}?"                                 \
    "(?<![A-Za-z0-9])([A-Z]{1,2}[0-9][A-Z0-9]?[ \\t]*[0-9][ABD-HJLNP-UW-Z]{2})" \
    "(?![A-Za-z0-9])"

#define UPN_LETTERS "ABCDEFGHJKLMNPQRTUVWXYZ"
#define UPN_RE                                                                \
    "(?<![A-Za-z0-9])[" UPN_LETTERS "][0-9]{11}[0-9" UPN_LETTERS "]"          \
    "(?![A-Za-z0-9])"

#define NHS_RE                                                                \
    "(?<![\\w+\\x{a3}$.,/\\-])[0-9]{3}" NUM_GAP "?[0-9]{3}" NUM_GAP "?[0-9]{4}" \
    "(?!\\w)(?![.,/\\-]\\d)"

#define ULN_RE "(?<![\\w+\\x{a3}$.,/\\-])[1-9][0-9]{9}(?!\\w)(?![.,/\\-]\\d)"

#define MONTHS                                                                \
    "Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|"       \
    "Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|"             \
    "Dec(?:ember)?"

/* A personal name (two to four capitalised words) and, on the same line
 * within 40 non-digit characters, a date; the date is capture group 1. */
#define DOB_RE                                                                \
    "(?<![\\w])\\p{Lu}[\\p{Ll}'\\-]+(?:[ \\t]+\\p{Lu}[\\p{L}'\\-]+){1,3}"     \
    "[^\\n\\d]{0,40}?(?<!\\d)"                                                \
    "(\\d{1,2}[/.\\-]\\d{1,2}[/.\\-](?:19|20)\\d\\d|(?:19|20)\\d\\d-\\d\\d-"  \
    "\\d\\d|\\d{1,2}(?:st|nd|rd|th)?[ \\t]+(?:" MONTHS ")\\.?,?[ \\t]+"        \
    "(?:19|20)\\d\\d)(?!\\d)"

/* A candidate pupil's name for pupil-roster: two or three capitalised
 * words ("Amy Patel", "Mary-Jane O'Neill", "PATEL Amy"), or "Surname,
 * Forename".  Whether it is a pupil's is the caller's pupil lookup's to
 * say (VAL_PUPIL_ROSTER). */
#define NAME_WORD "\\p{Lu}[\\p{L}'\\-]{1,40}"
#define ROSTER_RE                                                             \
    "(?<![\\w'\\-])(?:" NAME_WORD "(?:[ \\t]+" NAME_WORD "){1,2}|"             \
    NAME_WORD ",[ \\t]*" NAME_WORD ")(?![\\w'\\-])"

static const struct builtin {
    const char *name;
    const char *describe;
    const char *pattern;
    bool caseless;
    enum validator v;
} builtins[] = {
    {"uk-mobile", "a mobile phone number", PHONE_RE, false,
     VAL_PHONE_MOBILE},
    {"uk-landline", "a landline phone number", PHONE_RE, false,
     VAL_PHONE_LANDLINE},
    {"personal-email", "a personal email address", EMAIL_RE, false,
     VAL_EMAIL_PERSONAL},
    {"social-media", "a social media account", SOCIAL_RE, true, VAL_SOCIAL},
    {"messaging-invite", "an invitation to a messaging app", MESSAGING_RE,
     true, VAL_NONE},
    {"home-address", "a home address", ADDRESS_RE, false,
     VAL_POSTCODE_HOUSE},
    {"upn", "a Unique Pupil Number (UPN)", UPN_RE, false, VAL_UPN},
    {"nhs-number", "an NHS number", NHS_RE, false, VAL_NHS},
    {"uln", "a Unique Learner Number (ULN)", ULN_RE, false, VAL_ULN},
    {"pupil-dob", "a child's name with a date of birth", DOB_RE, false,
     VAL_CHILD_DOB},
    {"pupil-roster", "pupils of the school named in a list", ROSTER_RE,
     false, VAL_PUPIL_ROSTER},
};

int
detectors_builtin_add(struct sg_rules *rules, const char **error_r)
{
    size_t n = sizeof(builtins) / sizeof(builtins[0]);
    rules->detectors = calloc(n, sizeof(struct detector));
    if (rules->detectors == NULL) {
        *error_r = sg_rules_errorf("out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct detector *d = &rules->detectors[i];
        const char *cerr;
        d->name = strdup(builtins[i].name);
        d->describe = strdup(builtins[i].describe);
        rules->n_detectors++;
        if (d->name == NULL || d->describe == NULL) {
            *error_r = sg_rules_errorf("out of memory");
            return -1;
        }
        d->re = rules_compile(builtins[i].pattern, builtins[i].caseless,
                              &cerr);
        if (d->re == NULL) {
            *error_r = sg_rules_errorf("built-in detector %s: %s",
                                       builtins[i].name, cerr);
            return -1;
        }
        d->validate = builtins[i].v;
        d->builtin = true;
        if (d->validate == VAL_EMAIL_PERSONAL) {
            d->re_spelt = rules_compile_with(
                SPELT_EMAIL_RE, PCRE2_CASELESS | PCRE2_USE_OFFSET_LIMIT,
                &cerr);
            if (d->re_spelt == NULL) {
                *error_r = sg_rules_errorf("built-in detector %s: %s",
                                           builtins[i].name, cerr);
                return -1;
            }
        }
        for (size_t j = 0; j < i && d->same_pattern_as == 0; j++)
            if (strcmp(builtins[j].pattern, builtins[i].pattern) == 0 &&
                builtins[j].caseless == builtins[i].caseless)
                d->same_pattern_as = j + 1;
    }
    return 0;
}

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

static bool
preceded_by_reference_word(const char *text, size_t start)
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
static bool
email_is_identifier(const char *text, size_t start)
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

static int
month_from_name(const char *p)
{
    static const char *const m[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                    "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int i = 0; i < 12; i++)
        if (strncasecmp(p, m[i], 3) == 0)
            return i + 1;
    return 0;
}

/* The date forms of DOB_RE (UK order: day first). */
int
detect_parse_date(const char *s, size_t len, struct sg_date *d)
{
    char buf[40];
    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    int a, b, c;
    char s1, s2;
    if (sscanf(buf, "%4d-%2d-%2d", &a, &b, &c) == 3 && len == 10 &&
        buf[4] == '-') {
        d->year = a;
        d->month = b;
        d->day = c;
    } else if (sscanf(buf, "%2d%c%2d%c%4d", &a, &s1, &b, &s2, &c) == 5 &&
               strchr("/.-", s1) && s1 == s2) {
        d->day = a;
        d->month = b;
        d->year = c;
    } else {
        char *p = buf;
        d->day = (int)strtol(p, &p, 10);
        while (*p && !isalpha((unsigned char)*p))
            p++;
        if (isalpha((unsigned char)*p) && strchr("snrt", tolower(*p)) &&
            (strncasecmp(p, "st", 2) == 0 || strncasecmp(p, "nd", 2) == 0 ||
             strncasecmp(p, "rd", 2) == 0 || strncasecmp(p, "th", 2) == 0) &&
            !isalpha((unsigned char)p[2]))
            p += 2;
        while (*p && !isalpha((unsigned char)*p))
            p++;
        d->month = month_from_name(p);
        while (*p && !isdigit((unsigned char)*p))
            p++;
        d->year = (int)strtol(p, NULL, 10);
    }
    char iso[16];
    snprintf(iso, sizeof(iso), "%04d-%02d-%02d", d->year % 10000,
             d->month % 100, d->day % 100);
    return sg_date_parse(iso, d);
}

int
detect_validate(const struct sg_rules *rules, const struct detector *d,
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
        if (preceded_by_reference_word(text, start) ||
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
               !email_is_identifier(text, start);
    }
    case VAL_SOCIAL:
        return !school_social(rules, m, ml);
    case VAL_POSTCODE_HOUSE:
        return 1; /* the postcode check needs the capture: validate_group */
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
        return 1; /* needs the capture: validate_group */
    case VAL_PUPIL_ROSTER:
        return 1; /* needs the lookup: roster_keep */
    }
    (void)now;
    return 0;
}

/* Born on dob, is someone of school age (2 to 19) at now (UTC)? */
static bool
school_age(const struct sg_date *dob, time_t now)
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
static int
validate_group(const struct sg_rules *rules, const struct detector *d,
               const char *text, const PCRE2_SIZE *ov, int rc, time_t now)
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
        return !strv_has_ci(&rules->school_postcodes, pc);
    }
    struct sg_date dob;
    if (detect_parse_date(g, gl, &dob) < 0)
        return 0;
    return school_age(&dob, now);
}

static void
copy_capped(char *dst, const char *src, size_t len)
{
    len = sg_utf8_cut(src, len, MAX_FINDING_TEXT);
    for (size_t i = 0; i < len; i++)
        dst[i] = (src[i] == '\n' || src[i] == '\r' || src[i] == '\t')
                     ? ' '
                     : src[i];
    dst[len] = '\0';
}

/* personal-email: an address the directory registers as someone's
 * personal one, whatever its domain (not when it is an identifier).
 * 1, 0, -1 (lookup error). */
static int
registered_personal(const struct detect_sink *k, const char *text, size_t s,
                    size_t e)
{
    struct detect_personal *p = k->personal;
    if (k->d->validate != VAL_EMAIL_PERSONAL || p == NULL ||
        e - s > MAX_FINDING_TEXT || email_is_identifier(text, s))
        return 0;
    for (size_t i = 0; i < p->n_own; i++)
        if (strlen(p->own[i]) == e - s &&
            strncasecmp(p->own[i], text + s, e - s) == 0)
            return 1;
    if (p->lookup == NULL)
        return 0;
    for (size_t i = 0; i < p->n_asked; i++)
        if (strlen(p->asked[i]) == e - s &&
            strncasecmp(p->asked[i], text + s, e - s) == 0)
            return p->answer[i];
    if (p->n_asked == DETECT_PERSONAL_LOOKUPS)
        return 0;
    char *addr = strndup(text + s, e - s);
    if (addr == NULL) {
        sg_rules_errorf("out of memory");
        return -1;
    }
    int r = p->lookup(p->ctx, addr);
    if (r < 0) {
        sg_rules_errorf("directory lookup of <%s> failed", addr);
        free(addr);
        return -1;
    }
    p->asked[p->n_asked] = addr;
    p->answer[p->n_asked++] = r == 1;
    return r == 1;
}

void
detect_personal_clear(struct detect_personal *p)
{
    for (size_t i = 0; i < p->n_asked; i++)
        free(p->asked[i]);
    p->n_asked = 0;
}

/* Add the finding shown as shown[0..len) to one detector's list: 1 added
 * or already known, 2 when the detector has max_findings already, -1
 * error. */
static int
finding_add(const struct detect_sink *k, const char *shown, size_t len,
            const char *where)
{
    char buf[MAX_FINDING_TEXT + 1];
    copy_capped(buf, shown, len);
    for (size_t i = 0; i < *k->n_out; i++)
        if (strcmp((*k->out)[i].detector, k->d->name) == 0 &&
            strcmp((*k->out)[i].text, buf) == 0)
            return 1;
    if (*k->n_out >= k->max_findings)
        return 2;
    struct sg_finding *g = realloc(*k->out, (*k->n_out + 1) * sizeof(*g));
    if (g == NULL) {
        sg_rules_errorf("out of memory");
        return -1;
    }
    *k->out = g;
    struct sg_finding *f = &g[(*k->n_out)++];
    f->detector = strdup(k->d->name);
    f->text = strdup(buf);
    f->where = strdup(where);
    if (!f->detector || !f->text || !f->where) {
        sg_rules_errorf("out of memory");
        return -1;
    }
    return 1;
}

void
detect_lookup_clear(struct detect_lookup *l)
{
    strv_clear(&l->tried);
}

/* pupil-roster: ask the caller's pupil lookup about name, once per name
 * and evaluation; keep the pupil's name as the directory writes it, so
 * that one pupil written two ways counts once.  As finding_add, 0 when
 * name is nobody's. */
static int
roster_keep(const struct detect_sink *k, const char *name, const char *where)
{
    struct detect_lookup *l = k->lookup;
    /* nobody to ask, or asked enough: the scan stops here */
    if (l == NULL || l->fn == NULL ||
        l->candidates >= DETECT_MAX_NAME_CANDIDATES)
        return 2;
    l->candidates++;
    if (strv_has_ci(&l->tried, name))
        return 0;
    if (l->tried.n >= DETECT_MAX_NAME_LOOKUPS)
        return 2;
    if (strv_add(&l->tried, name) < 0) {
        sg_rules_errorf("out of memory");
        return -1;
    }
    const struct sg_person *p = NULL;
    int r = l->fn(l->ctx, name, &p);
    if (r < 0) {
        sg_rules_errorf("pupil lookup failed for \"%s\"", name);
        return -1;
    }
    if (r != 1 || p == NULL || !sg_person_has_role(p, SG_ROLE_PUPIL))
        return 0;
    const char *shown = p->display_name != NULL && p->display_name[0] != '\0'
                            ? p->display_name
                            : name;
    return finding_add(k, shown, strlen(shown), where);
}

/* Offer the match [s, e) of the normalised text to one detector: 1 kept or
 * already known, 0 dropped, 2 when the detector has max_findings already,
 * -1 error.  The finding is the original text of the match. */
static int
detect_keep(const struct sg_rules *rules, const struct detect_sink *k,
            const struct sg_norm *nt, const PCRE2_SIZE *ov, int rc,
            const char *where, time_t now)
{
    size_t s = ov[0], e = ov[1];
    if (!detect_validate(rules, k->d, nt->text, nt->len, s, e, now)) {
        int reg = registered_personal(k, nt->text, s, e);
        if (reg <= 0)
            return reg;
    }
    if (!validate_group(rules, k->d, nt->text, ov, rc, now))
        return 0;
    if (k->d->validate == VAL_PUPIL_ROSTER) {
        /* the name as normalised is what the directory is asked about */
        char name[MAX_FINDING_TEXT + 1];
        copy_capped(name, nt->text + s, e - s);
        return roster_keep(k, name, where);
    }
    size_t os, oe;
    sg_norm_span(nt, s, e, &os, &oe);
    return finding_add(k, nt->orig + os, oe - os, where);
}

/* ------------------------------------------------------------ tables */

/* The rows of the tables in one (normalised) text, for the detectors that
 * read rows by their columns (pupil-dob, pupil-roster). */
struct table_pass {
    const struct detect_sink *sinks;
    size_t n_sinks;
    bool *full;
    size_t *n_full;
    const char *where;
    time_t now;
    size_t (*rows)[2]; /* every header and data row: [start, end) */
    size_t n_rows;
};

static int
table_row(void *ctx, const struct tables_row *row)
{
    struct table_pass *tp = ctx;
    size_t (*grown)[2] = realloc(tp->rows, (tp->n_rows + 1) * sizeof(*grown));
    if (grown == NULL) {
        sg_rules_errorf("out of memory");
        return -1;
    }
    tp->rows = grown;
    tp->rows[tp->n_rows][0] = row->start;
    tp->rows[tp->n_rows++][1] = row->end;
    if (!row->has_name)
        return 0;
    for (size_t i = 0; i < tp->n_sinks; i++) {
        const struct detect_sink *k = &tp->sinks[i];
        if (tp->full[i])
            continue;
        int r = 0;
        if (k->d->validate == VAL_PUPIL_ROSTER) {
            r = roster_keep(k, row->name, tp->where);
        } else if (k->d->validate == VAL_CHILD_DOB && row->has_dob &&
                   school_age(&row->dob, tp->now)) {
            char line[MAX_FINDING_TEXT + 1];
            snprintf(line, sizeof(line), "%s %02d/%02d/%04d", row->name,
                     row->dob.day, row->dob.month, row->dob.year);
            r = finding_add(k, line, strlen(line), tp->where);
        }
        if (r < 0)
            return -1;
        if (r == 2) {
            tp->full[i] = true;
            if (++*tp->n_full == tp->n_sinks)
                return 1;
        }
    }
    return 0;
}

/* Is offset s on a row of a table (rows sorted, *next the first row not
 * yet passed)? */
static bool
in_table_row(const struct table_pass *tp, size_t *next, size_t s)
{
    while (*next < tp->n_rows && tp->rows[*next][1] < s)
        (*next)++;
    return *next < tp->n_rows && tp->rows[*next][0] <= s;
}

/* Offer a match that spells something out (canon: the address or number
 * it spells) to every sink; the finding is the original text of the
 * normalised span [s, e).  0 or -1. */
static int
offer_spelt(const struct sg_rules *rules, const struct detect_sink *sinks,
            size_t n_sinks, const struct sg_norm *nt, size_t s, size_t e,
            const char *canon, const char *where, time_t now)
{
    size_t cl = strlen(canon);
    for (size_t i = 0; i < n_sinks; i++) {
        if (!detect_validate(rules, sinks[i].d, canon, cl, 0, cl, now)) {
            int reg = registered_personal(&sinks[i], canon, 0, cl);
            if (reg < 0)
                return -1;
            if (reg == 0)
                continue;
        }
        size_t os, oe;
        sg_norm_span(nt, s, e, &os, &oe);
        if (finding_add(&sinks[i], nt->orig + os, oe - os, where) < 0)
            return -1;
    }
    return 0;
}

static bool
word_at(const char *m, size_t ml, size_t i, const char *w)
{
    size_t wl = strlen(w);
    return (i == 0 || m[i - 1] == ' ' || m[i - 1] == '\t') && i + wl < ml &&
           strncasecmp(m + i, w, wl) == 0 &&
           (m[i + wl] == ' ' || m[i + wl] == '\t');
}

/* Rebuild the address a SPELT_EMAIL_RE match spells out, into out.  -1
 * when it does not fit, or when only the word "at" between a plain word
 * and a plain domain says it is an address ("look at bbc.co.uk"): then
 * the local part must look like an address's (a dot, digit, _ % + or -)
 * or a dot must be spelt out too. */
static int
spelt_email(const char *m, size_t ml, char *out, size_t outsz)
{
    size_t k = 0, i = 0;
    bool at_word = false, spelt_dot = false, local_mark = false;
    bool seen_at = false;
    while (i < ml) {
        char c = m[i], put = c;
        if (c == ' ' || c == '\t') {
            i++;
            continue;
        }
        if (strchr("([{<", c) != NULL) {
            size_t j = i + 1;
            while (j < ml && strchr(")]}>", m[j]) == NULL)
                j++;
            bool at = false;
            for (size_t x = i + 1; x < j; x++)
                if (m[x] == '@' || tolower((unsigned char)m[x]) == 'a')
                    at = true;
            put = at ? '@' : '.';
            spelt_dot |= !at;
            i = j + 1;
        } else if (word_at(m, ml, i, "at")) {
            put = '@';
            at_word = true;
            i += 2;
        } else if (word_at(m, ml, i, "dot")) {
            put = '.';
            spelt_dot = true;
            i += 3;
        } else {
            if (c == '.' && ((i > 0 && m[i - 1] == ' ') ||
                             (i + 1 < ml && m[i + 1] == ' ')))
                spelt_dot = true;
            if (!seen_at && c != '@' && !isalpha((unsigned char)c))
                local_mark = true;
            i++;
        }
        if (put == '@')
            seen_at = true;
        if (k + 1 >= outsz)
            return -1;
        out[k++] = put;
    }
    out[k] = '\0';
    return at_word && !spelt_dot && !local_mark ? -1 : 0;
}

/* isalnum in the C locale, one table look-up a character */
static const bool alnum_table[256] = {
    ['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
};

static inline bool
ascii_alnum(unsigned char c)
{
    return alnum_table[c];
}

/* Number words, for the phone detectors: "oh seven seven double oh nine
 * ...", also mixed with digits ("07700 nine oh oh ...").  num_word()
 * finds them by length (its by_len lists 1 + their places here). */
static const struct {
    const char *w;
    size_t n; /* strlen(w) */
    char d;
} num_words[] = {
    {"zero", 4, '0'}, {"oh", 2, '0'},   {"o", 1, '0'},     {"nought", 6, '0'},
    {"nil", 3, '0'},  {"one", 3, '1'},  {"two", 3, '2'},   {"three", 5, '3'},
    {"four", 4, '4'}, {"five", 4, '5'}, {"six", 3, '6'},   {"seven", 5, '7'},
    {"eight", 5, '8'}, {"nine", 4, '9'}, {"double", 6, 'd'}, {"triple", 6, 't'},
    {"plus", 4, '+'}, {"hundred", 7, 'h'}, {"thousand", 8, 'k'},
};

/* Caps: a run of more tokens is no number; after this many candidates in
 * one text the rest is not read (the regular scan still is). */
#define NUMWORD_TOKENS 40
#define NUMWORD_CANDIDATES 256

/* The digit a number word stands for, 'd' for double, 't' for triple,
 * '+' for plus, 'h' for hundred (00), 'k' for thousand (000), 0 for any
 * other word. */
static char
num_word(const char *w, size_t wl)
{
    if (wl > 8)
        return 0;
    /* the table's words of that length only (a few) */
    static const unsigned char by_len[9][5] = {
        {0},          {3},         {2},          {5, 6, 7, 11},
        {1, 9, 10, 14, 17}, {8, 12, 13}, {4, 15, 16}, {18}, {19},
    };
    for (size_t k = 0; k < 5 && by_len[wl][k] != 0; k++) {
        size_t i = by_len[wl][k] - 1;
        if (strncasecmp(w, num_words[i].w, wl) == 0)
            return num_words[i].d;
    }
    return 0;
}

/* Read one run of number tokens from *ip; the number it spells into
 * digits (with a leading + for plus), and its span.  true when the run
 * has a number word and spells 10 to 13 digits. */
static bool
number_run(const char *t, size_t len, size_t *ip, char *digits,
           size_t dsz, size_t *s_r, size_t *e_r)
{
    size_t i = *ip, nd = 0, tokens = 0, words = 0;
    unsigned mult = 1;
    bool too_long = false;
    *s_r = i;
    *e_r = i;
    for (;;) {
        size_t j = i;
        if (j < len && t[j] == '+' && tokens == 0) {
            digits[nd++] = '+';
            j++;
        } else if (j < len && isdigit((unsigned char)t[j])) {
            while (j < len && isdigit((unsigned char)t[j])) {
                for (unsigned m = 0; m < mult; m++)
                    if (nd + 1 < dsz)
                        digits[nd++] = t[j];
                    else
                        too_long = true;
                mult = 1;
                j++;
            }
        } else {
            while (j < len && ascii_alnum((unsigned char)t[j]) &&
                   !isdigit((unsigned char)t[j]))
                j++;
            char d = j > i ? num_word(t + i, j - i) : 0;
            if (d == 0 || (j < len && isdigit((unsigned char)t[j])) ||
                (d == '+' && tokens > 0))
                break;
            if (d == 'd' || d == 't')
                mult = d == 'd' ? 2 : 3;
            else if ((d == 'h' || d == 'k') && (nd == 0 || mult != 1))
                break; /* "a hundred", "double hundred": not a number */
            else if (d == 'h' || d == 'k')
                for (int z = d == 'h' ? 2 : 3; z > 0; z--)
                    if (nd + 1 < dsz)
                        digits[nd++] = '0';
                    else
                        too_long = true;
            else if (d == '+')
                digits[nd++] = '+';
            else {
                for (unsigned m = 0; m < mult; m++)
                    if (nd + 1 < dsz)
                        digits[nd++] = d;
                    else
                        too_long = true;
                mult = 1;
            }
            words++;
        }
        tokens++;
        *e_r = j;
        if (tokens > NUMWORD_TOKENS) {
            too_long = true;
            break;
        }
        /* separators: spaces, commas, dots, dashes, one line break */
        size_t k = j, seps = 0;
        bool nl = false;
        while (k < len && seps < 6) {
            if (t[k] == '\n' && !nl)
                nl = true;
            else if (strchr(" \t\r,.-", t[k]) == NULL || t[k] == '\0')
                break;
            k++;
            seps++;
        }
        if (k == j || k >= len)
            break;
        i = k;
    }
    *ip = *e_r > *ip ? *e_r : *ip + 1;
    digits[nd] = '\0';
    size_t n_digits = nd - (nd > 0 && digits[0] == '+');
    return words > 0 && !too_long && mult == 1 && n_digits >= 10 &&
           n_digits <= 13;
}

/* Whether the word at w can be a number word, by its first three
 * letters (a cheap test before number_run reads it). */
static bool
number_word_start(const char *w, size_t left)
{
    char p[3] = {0, 0, 0};
    size_t n = 0;
    while (n < 3 && n < left && isalpha((unsigned char)w[n])) {
        p[n] = (char)(w[n] | 0x20);
        n++;
    }
    if (n < 3)
        return (n == 1 && p[0] == 'o') || (n == 2 && p[0] == 'o' && p[1] == 'h');
    static const char prefixes[][3] = {
        {'z', 'e', 'r'}, {'n', 'o', 'u'}, {'n', 'i', 'l'}, {'o', 'n', 'e'},
        {'t', 'w', 'o'}, {'t', 'h', 'r'}, {'f', 'o', 'u'}, {'f', 'i', 'v'},
        {'s', 'i', 'x'}, {'s', 'e', 'v'}, {'e', 'i', 'g'}, {'n', 'i', 'n'},
        {'d', 'o', 'u'}, {'t', 'r', 'i'}, {'p', 'l', 'u'}, {'h', 'u', 'n'},
        {'t', 'h', 'o'},
    };
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (memcmp(p, prefixes[i], 3) == 0)
            return true;
    return false;
}

static int
scan_number_words(const struct sg_rules *rules, const struct sg_norm *nt,
                  const char *where, time_t now,
                  const struct detect_sink *sinks, size_t n_sinks)
{
    const char *t = nt->text;
    size_t len = nt->len, i = 0, candidates = 0;
    /* the first characters of a run: digits, +, and the letters number
     * words start with; any other word is skipped whole */
    static const bool first[256] = {
        ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
        ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['+'] = 1, ['z'] = 1,
        ['o'] = 1, ['n'] = 1, ['f'] = 1, ['t'] = 1, ['s'] = 1, ['e'] = 1,
        ['d'] = 1, ['p'] = 1, ['Z'] = 1, ['O'] = 1, ['N'] = 1, ['F'] = 1,
        ['T'] = 1, ['S'] = 1, ['E'] = 1, ['D'] = 1, ['P'] = 1, ['h'] = 1,
        ['H'] = 1,
    };
    while (i < len && candidates < NUMWORD_CANDIDATES) {
        unsigned char c = (unsigned char)t[i];
        if (!ascii_alnum(c) && c != '+') {
            i++;
            continue;
        }
        if (!first[c] || (i > 0 && ascii_alnum((unsigned char)t[i - 1])) ||
            (isalpha(c) && !number_word_start(t + i, len - i))) {
            while (i < len && ascii_alnum((unsigned char)t[i]))
                i++;
            if (i < len && !ascii_alnum((unsigned char)t[i]))
                i++;
            continue;
        }
        char digits[32];
        size_t s, e;
        if (!number_run(t, len, &i, digits, sizeof(digits), &s, &e))
            continue;
        candidates++;
        if (preceded_by_reference_word(t, s))
            continue;
        if (offer_spelt(rules, sinks, n_sinks, nt, s, e, digits, where,
                        now) < 0)
            return -1;
    }
    return 0;
}

/* A match that failed (the match limits): the error, and -1. */
static int
match_error(const struct detector *d, int rc)
{
    char msg[128];
    pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof(msg));
    sg_rules_errorf("detector %s: %s", d->name, msg);
    return -1;
}

/* Where a spelt-out address may spell its @ at i: the word "at" (after a
 * space, tab or opening bracket, before a space, tab or closing bracket)
 * or an @. */
static inline bool
at_marker(const char *t, size_t len, size_t i)
{
    if (t[i] == '@')
        return true;
    if ((t[i] | 0x20) != 'a' || i == 0 || i + 2 >= len ||
        (t[i + 1] | 0x20) != 't')
        return false;
    char b = t[i - 1], a = t[i + 2];
    return (b == ' ' || b == '\t' || b == '(' || b == '[' || b == '{' ||
            b == '<') &&
           (a == ' ' || a == '\t' || a == ')' || a == ']' || a == '}' ||
            a == '>');
}

static bool
local_char(char c)
{
    return isalnum((unsigned char)c) || (c != '\0' && strchr("_%+-", c));
}

/* Where the local part before the at marker at m can start at the
 * earliest: back over up to six parts joined by spelt or written dots
 * ("tom dot smith77 at"), as SPELT_EMAIL_RE allows. */
static size_t
spelt_left(const char *t, size_t m)
{
    size_t b = m, k = 0;
    while (b > 0 && k++ < 8 && strchr(" \t([{<", t[b - 1]) && t[b - 1])
        b--;
    size_t left = b;
    for (int part = 0; part < 6; part++) {
        size_t e = b;
        while (b > 0 && e - b < 64 && local_char(t[b - 1]))
            b--;
        if (b == e)
            break;
        left = b;
        /* a dot before it: ".", " dot ", "(dot)", "[.]" and the like */
        size_t d = b;
        for (k = 0; d > 0 && k < 3 && (t[d - 1] == ' ' || t[d - 1] == '\t');
             k++)
            d--;
        if (d > 0 && t[d - 1] == '.') {
            d--;
        } else if (d > 0 && strchr(")]}>", t[d - 1]) && t[d - 1]) {
            size_t o = d - 1;
            while (o > 0 && d - o < 8 && !strchr("([{<", t[o - 1]))
                o--;
            if (o == 0 || !strchr("([{<", t[o - 1]))
                break;
            d = o - 1;
        } else if (d >= 4 && strncasecmp(t + d - 3, "dot", 3) == 0 &&
                   (t[d - 4] == ' ' || t[d - 4] == '\t') && d < b) {
            d -= 4;
        } else {
            break;
        }
        for (k = 0; d > 0 && k < 3 && (t[d - 1] == ' ' || t[d - 1] == '\t');
             k++)
            d--;
        b = d;
    }
    return left;
}

/* Spelt-out addresses: the pattern is tried only at the starts of the
 * local part before an at marker (PCRE2's offset limit), so ordinary text
 * costs a look at each character, not a match attempt at each word. */
static int
scan_spelt(const struct sg_rules *rules, const pcre2_code *re,
           const struct sg_norm *nt, const char *where, time_t now,
           pcre2_match_data *md, pcre2_match_context *mctx,
           const struct detect_sink *sinks, size_t n_sinks)
{
    const char *text = nt->text;
    size_t len = nt->len, pos = 0;
    int r = 0;
    for (size_t m = 0; m < len && r == 0; m++) {
        if (!at_marker(text, len, m))
            continue;
        size_t from = spelt_left(text, m);
        if (from < pos)
            from = pos;
        if (from > m)
            continue;
        pcre2_set_offset_limit(mctx, m);
        int rc = pcre2_match(re, (PCRE2_SPTR)text, len, from, 0, md, mctx);
        pos = m + 1;
        if (rc == PCRE2_ERROR_NOMATCH)
            continue;
        if (rc < 0) {
            r = match_error(sinks[0].d, rc);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t s = ov[0], e = ov[1];
        char canon[MAX_FINDING_TEXT + 1];
        if (e > pos)
            pos = e;
        if (e > s && spelt_email(text + s, e - s, canon, sizeof(canon)) == 0)
            r = offer_spelt(rules, sinks, n_sinks, nt, s, e, canon, where,
                            now);
        if (m < pos)
            m = pos - 1; /* markers inside the match are done */
    }
    pcre2_set_offset_limit(mctx, PCRE2_UNSET);
    return r;
}

/* One pass of the sinks' shared pattern over the normalised text, outside
 * the table rows tp found (full: the sinks the table pass filled). */
static int
scan_pattern(const struct sg_rules *rules, const pcre2_code *re,
             const struct sg_norm *nt, const char *where, time_t now,
             pcre2_match_data *md, pcre2_match_context *mctx,
             const struct detect_sink *sinks, size_t n_sinks, bool *full,
             const struct table_pass *tp)
{
    const struct detector *d = sinks[0].d;
    const char *text = nt->text;
    size_t len = nt->len;
    size_t n_full = 0, next_row = 0;
    for (size_t i = 0; i < n_sinks; i++)
        n_full += full[i];
    if (n_full == n_sinks)
        return 0;
    PCRE2_SIZE off = 0;
    while (off <= len) {
        int rc = pcre2_match(re, (PCRE2_SPTR)text, len, off, 0, md, mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            return 0;
        if (rc < 0)
            return match_error(d, rc);
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t s = ov[0], e = ov[1];
        if (e <= s) { /* empty match: step one character */
            off = sg_utf8_next(text, len, s);
            continue;
        }
        off = e;
        if (in_table_row(tp, &next_row, s))
            continue;
        for (size_t i = 0; i < n_sinks; i++) {
            if (full[i])
                continue;
            int r = detect_keep(rules, &sinks[i], nt, ov, rc, where, now);
            if (r < 0)
                return -1;
            if (r == 2) {
                full[i] = true;
                if (++n_full == n_sinks)
                    return 0;
            }
        }
    }
    return 0;
}

int
detect_scan_normalised(const struct sg_rules *rules, const struct sg_norm *nt,
                       const char *where, time_t now, pcre2_match_data *md,
                       pcre2_match_context *mctx,
                       const struct detect_sink *sinks, size_t n_sinks)
{
    if (n_sinks > DETECT_SCAN_MAX) {
        sg_rules_errorf("detector %s: too many detectors in one scan",
                        sinks[0].d->name);
        return -1;
    }
    const struct detector *d = sinks[0].d;
    bool full[DETECT_SCAN_MAX] = {false};
    size_t n_full = 0;
    /* Rows of tables with named columns are read by their columns; the
     * pattern then skips them, so a staff list's dates of joining are not
     * taken for dates of birth, nor "Patel Amy" for a name. */
    struct table_pass tp = {sinks, n_sinks, full, &n_full, where, now,
                            NULL, 0};
    if ((d->validate == VAL_CHILD_DOB || d->validate == VAL_PUPIL_ROSTER) &&
        tables_scan(nt->text, nt->len, table_row, &tp) < 0) {
        free(tp.rows);
        return -1;
    }
    int r = scan_pattern(rules, d->re, nt, where, now, md, mctx, sinks,
                         n_sinks, full, &tp);
    free(tp.rows);
    /* the spelt-out forms, for the built-in detectors that read them */
    if (r == 0 && d->re_spelt != NULL)
        r = scan_spelt(rules, d->re_spelt, nt, where, now, md, mctx, sinks,
                       n_sinks);
    if (r == 0 && d->builtin && (d->validate == VAL_PHONE_MOBILE ||
                                 d->validate == VAL_PHONE_LANDLINE))
        r = scan_number_words(rules, nt, where, now, sinks, n_sinks);
    return r;
}

int
detect_scan(const struct sg_rules *rules, const char *text, size_t len,
            const char *where, time_t now, pcre2_match_data *md,
            pcre2_match_context *mctx, const struct detect_sink *sinks,
            size_t n_sinks)
{
    struct sg_norm nt;
    if (sg_normalise(text, len, &nt) < 0) {
        sg_rules_errorf("out of memory normalising %s", where);
        return -1;
    }
    int r = detect_scan_normalised(rules, &nt, where, now, md, mctx, sinks,
                                   n_sinks);
    sg_norm_free(&nt);
    return r;
}

void
sg_findings_free(struct sg_finding **findings, size_t *n)
{
    if (*findings == NULL)
        return;
    for (size_t i = 0; i < *n; i++) {
        free((*findings)[i].detector);
        free((*findings)[i].text);
        free((*findings)[i].where);
    }
    free(*findings);
    *findings = NULL;
    *n = 0;
}

int
sg_rules_detect(const struct sg_rules *rules, const char *detector,
                const char *text, size_t len, time_t now,
                struct sg_finding **findings_r, size_t *n_r,
                const char **error_r)
{
    size_t di = rules_detector_find(rules, detector);
    if (di == (size_t)-1) {
        *error_r = sg_rules_errorf("unknown detector '%s'", detector);
        return -1;
    }
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    pcre2_match_context *mctx = pcre2_match_context_copy(rules->mctx);
    if (md == NULL || mctx == NULL) {
        pcre2_match_data_free(md);
        pcre2_match_context_free(mctx);
        *error_r = sg_rules_errorf("out of memory");
        return -1;
    }
    struct detect_sink sink = {&rules->detectors[di], findings_r, n_r, 1000,
                               NULL, NULL};
    int r = detect_scan(rules, text, len, "text", now, md, mctx, &sink, 1);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mctx);
    if (r < 0)
        *error_r = sg_rules_lasterror();
    return r;
}
