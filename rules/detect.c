/*
 * detect.c - the built-in detectors' patterns and the scan loop shared by
 * built-in and site-defined detectors: matches, registered personal
 * addresses, pupil lookups, findings; the rows of tables are read in
 * detect_tables.c.
 *
 * Each detector is one PCRE2 pattern, compiled with JIT once at load, plus
 * an optional validator in C (detect_validate.c: check letters and digits,
 * number plans, the school's own numbers, domains and postcodes, ages);
 * the forms spelt out in words are read in detect_spelt.c.  A text is
 * scanned once for every detector wanted: with Hyperscan, one pass finds
 * where each pattern may match (detect_hs.c, with the markers below), and
 * PCRE2 runs only there (scan_pattern); without it, PCRE2 reads the whole
 * text.  Either way, matching costs time linear in the text's size.
 *
 * SECURITY: the scanned text is attacker-controlled.  Matches are bounded
 * by the PCRE2 match context limits; matched text is copied with a length
 * cap; validators read only inside the match.
 * Fails by returning -1 (allocation, match limit) with an error string.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "normalise.h"
#include "sg_utf8.h"

/* ------------------------------------------------------------ patterns */

/* What may stand between the digits of a number written out for people:
 * a run of spaces, dots and dashes (hyphen, the Unicode hyphens and dashes,
 * minus), or one line break with such a run on either side (a wrapped
 * line, an HTML <br>, a format=flowed soft break).  No-break and thin
 * spaces are spaces by then (normalise.c).  Bounded, so that a match
 * stays short. */
#define NUM_SEP "[ \\t.\\-\\x{a0}\\x{2010}-\\x{2015}\\x{2212}]"
#define NUM_GAP_OF(SEP)                                                       \
    "(?:" SEP "{1,4}(?:\\r?\\n" SEP "{0,4})?|\\r?\\n" SEP "{0,4})"
#define NUM_GAP NUM_GAP_OF(NUM_SEP)
/* The same as bytes of UTF-8, for the scan database's markers (below). */
#define NUM_SEP_BYTES                                                         \
    "(?:[ \\t.\\-]|\\xc2\\xa0|\\xe2\\x80[\\x90-\\x95]|\\xe2\\x88\\x92)"
#define NUM_GAP_BYTES NUM_GAP_OF(NUM_SEP_BYTES)

/* A UK telephone number in any common written form: national (07700
 * 900123, (01632) 960000), international (+44 7700 900123, +44 (0)7700
 * 900123, 0044 7700 900123), with NUM_GAP between digits.
 * Not glued to other digits, letters, currency signs, or a date/time/decimal
 * separator followed by a digit.  The validator classifies the number. */
#define PHONE_BODY(GAP)                                                       \
    "(?:(?:\\+|00)" GAP "?44" GAP "?(?:\\(0\\)" GAP "?)?|\\(?0)"               \
    "[1-9](?:(?:\\)" GAP "?|" GAP ")?[0-9]){8,9}"
#define PHONE_RE                                                              \
    "(?<![\\w+\\x{a3}$\\x{20ac}.,/\\-])" PHONE_BODY(NUM_GAP)                  \
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
#define SOCIAL_BODY(APOS)                                                     \
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
    APOS "s\\b|[ \\t]*:))"
#define SOCIAL_RE WORD_START_RE SOCIAL_BODY("['\\x{2019}]")

#define MSG_APPS "whats[ \\t]?app|signal|telegram|discord|kik|viber|wickr"

#define MESSAGING_BODY                                                        \
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
#define MESSAGING_RE WORD_START_RE MESSAGING_BODY

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

#define UPN_RE                                                                \
    "(?<![A-Za-z0-9])[" UPN_LETTERS "][0-9]{11}[0-9" UPN_LETTERS "]"          \
    "(?![A-Za-z0-9])"

#define NHS_BODY(GAP) "[0-9]{3}" GAP "?[0-9]{3}" GAP "?[0-9]{4}"
#define NHS_RE                                                                \
    "(?<![\\w+\\x{a3}$.,/\\-])" NHS_BODY(NUM_GAP)                               \
    "(?!\\w)(?![.,/\\-]\\d)"

#define ULN_BODY "[1-9][0-9]{9}"
#define ULN_RE "(?<![\\w+\\x{a3}$.,/\\-])" ULN_BODY "(?!\\w)(?![.,/\\-]\\d)"

/* A personal name (two to four capitalised words) and, on the same line
 * within 40 non-digit characters, a date (DOB_DATE, detect.h); the date
 * is capture group 1. */
#define DOB_RE                                                                \
    "(?<![\\w])\\p{Lu}[\\p{Ll}'\\-]+(?:[ \\t]+\\p{Lu}[\\p{L}'\\-]+){1,3}"     \
    "[^\\n\\d]{0,40}?(?<!\\d)(" DOB_DATE ")(?!\\d)"

/* A candidate pupil's name for pupil-roster: two or three capitalised
 * words ("Amy Patel", "Mary-Jane O'Neill", "PATEL Amy"), or "Surname,
 * Forename".  Whether it is a pupil's is the caller's pupil lookup's to
 * say (VAL_PUPIL_ROSTER). */
#define NAME_WORD "\\p{Lu}[\\p{L}'\\-]{1,40}"
#define ROSTER_RE                                                             \
    "(?<![\\w'\\-])(?:" NAME_WORD "(?:[ \\t]+" NAME_WORD "){1,2}|"             \
    NAME_WORD ",[ \\t]*" NAME_WORD ")(?![\\w'\\-])"

/* The markers: what the scan database (detect_hs.c) looks for, one per
 * pattern, in place of the pattern itself.  Hyperscan compiles the
 * patterns written for PCRE2 only slowly (seconds for the phone number's
 * nested gaps, tens of seconds for pupil-dob's Unicode classes) or not at
 * all (pupil-roster), and a process that loads rules must start in well
 * under a second.  So each built-in names a marker written as bytes (no
 * UTF-8 mode: it reads any text, valid UTF-8 or not) such that every
 * match [s, e) of the pattern has a match of the marker that ends at most
 * `reach` bytes after s; candidates are the marker's ends (detect.c).
 * reach 0: the marker matches a prefix of every match (from s), so the
 * marker's longest match is the reach, and Hyperscan computes it;
 * social-media's and messaging-invite's are the names
 * of the networks and apps inside every match, without a bound, read
 * back by sg_detect_name_from() (detect_cands.c).
 * Hyperscan's cost is per match of a marker's literal as much as per
 * byte, so a marker should start on something rare, three bytes or more.
 * personal-email's is the character on each side of the @ (the local part
 * is at most 64 bytes); home-address's is
 * its street word, also without a bound, read back by
 * sg_detect_address_from().  Matched without case where the pattern is:
 * PCRE2 also folds U+017F and U+212A to s and k, but normalised text has
 * neither (NFKC).  NULL: no marker, PCRE2 reads the
 * whole text (pupil-roster: a pair of capitalised words is everywhere),
 * or, for the phone number, UPN, NHS number, ULN and pupil-dob, their
 * candidates are found in C (sg_detect_phone_candidates and
 * sg_detect_number_candidates, detect_cands.c, in both builds; reach
 * PHONE_REACH, NUMBER_REACH and, for pupil-dob, SIZE_MAX).
 * The unit test test_detect_scan.c checks every marker against the
 * whole-text reading. */
/* The phone number has no marker: every way of writing its start is a
 * digit pair ("0" and a digit), and in a letter full of dates, times,
 * prices and room numbers the scan database paid a few hundred
 * instructions for each such pair (Hyperscan's cost is per match of a
 * marker, and a marker of two bytes in digits matches every few dozen
 * bytes), twice the instructions of the other five personal-contact
 * markers together.  detect_cands.c finds the starts in C instead, by
 * memchr for '0' and '+': its candidates end at most PHONE_REACH bytes
 * after a match's start ("(07", "+4", "00 "). */
#define PHONE_REACH 3
#define EMAIL_MARKER "[A-Za-z0-9._%+\\-]@[A-Za-z0-9]"
#define EMAIL_REACH (64 + 2)
/* social-media's and messaging-invite's are the names of the networks
 * and apps, which every form of theirs holds, as literals of three bytes
 * or more: Hyperscan finds a set of those in about 2 instructions a byte,
 * and a short word ("on", "my", "i am") or a two-byte name matched
 * everywhere cost it several times that.  So "ig" and "fb" are taken
 * with the byte before (a space or tab: "on ig") or after ("ig: @jo",
 * "fb.com", "ighandle"), and "x" as "x.com" or after a space or tab.  A
 * name can stand after runs of spaces of any length ("add   me  on
 * snap"), so their reach is unbounded (SIZE_MAX) and
 * sg_detect_name_from() reads back from each candidate to where a match
 * can start at the earliest, as sg_detect_address_from() does for
 * home-address.  (A run of five spaces as a marker, to bound the reach,
 * made Hyperscan match at every byte of the runs of a text laid out in
 * columns.) */
#define SOCIAL_MARKER                                                         \
    "snap|insta|tik|twitter|threads|facebook|youtube|bereal|x\\.com|fb\\."    \
    "|[ \\t](?:ig|fb|x)|(?:ig|fb)(?:[ \\t:=(\\[@\\-]|handle|user|name|id|is)"
#define MESSAGING_MARKER                                                      \
    "wa\\.me/|whats|signal|t\\.me/|telegram|discord|kik|viber|wickr"
/* home-address's is the street word, after its space: a house number
 * followed by a space and a capital letter is everywhere in a letter
 * (dates, times, prices), and a marker starting at every digit made
 * Hyperscan's pass twice as slow; street words are a literal set.  The
 * words and spaces before a street word are unbounded, so its reach is
 * too (SIZE_MAX): sg_detect_address_from() says, from the candidate,
 * where a match can start at the earliest. */
#define ADDRESS_MARKER "[ \\t](?:" STREET ")\\b"
/* UPN, NHS number and ULN have no marker either: their markers (the
 * start of each pattern, every run of digits) cost Hyperscan 6-8
 * instructions a byte each in a letter of dates and prices, and
 * sg_detect_number_candidates (detect_cands.c, both builds) finds the
 * starts of all three in one walk over the runs of digits, sixteen bytes
 * a step between them.  A candidate is a start + 1. */
#define NUMBER_REACH 1
/* pupil-dob has no marker either: its marker, the date that ends every
 * match (DOB_DATE), was most of the Hyperscan pass's cost in a letter full
 * of dates and digits (every digit starts a try), and the same walk over
 * the runs of digits finds the dates' ends: a candidate is the end of a
 * date that starts after no digit and ends before none (DOB_RE's
 * lookarounds).  The name before it can start any distance before
 * (SIZE_MAX: no bound on the reach); sg_detect_dob_from() reads back from
 * each candidate to where a name can start. */

static const struct builtin {
    const char *name;
    const char *describe;
    const char *pattern;
    bool caseless;
    enum validator v;
    const char *marker;
    size_t reach;
} builtins[] = {
    {"uk-mobile", "a mobile phone number", PHONE_RE, false,
     VAL_PHONE_MOBILE, NULL, PHONE_REACH},
    {"uk-landline", "a landline phone number", PHONE_RE, false,
     VAL_PHONE_LANDLINE, NULL, PHONE_REACH},
    {"personal-email", "a personal email address", EMAIL_RE, false,
     VAL_EMAIL_PERSONAL, EMAIL_MARKER, EMAIL_REACH},
    {"social-media", "a social media account", SOCIAL_RE, true, VAL_SOCIAL,
     SOCIAL_MARKER, SIZE_MAX},
    {"messaging-invite", "an invitation to a messaging app", MESSAGING_RE,
     true, VAL_NONE, MESSAGING_MARKER, SIZE_MAX},
    {"home-address", "a home address", ADDRESS_RE, false,
     VAL_POSTCODE_HOUSE, ADDRESS_MARKER, SIZE_MAX},
    {"upn", "a Unique Pupil Number (UPN)", UPN_RE, false, VAL_UPN, NULL,
     NUMBER_REACH},
    {"nhs-number", "an NHS number", NHS_RE, false, VAL_NHS, NULL,
     NUMBER_REACH},
    {"uln", "a Unique Learner Number (ULN)", ULN_RE, false, VAL_ULN, NULL,
     NUMBER_REACH},
    {"pupil-dob", "a child's name with a date of birth", DOB_RE, false,
     VAL_CHILD_DOB, NULL, SIZE_MAX},
    {"pupil-roster", "pupils of the school named in a list", ROSTER_RE,
     false, VAL_PUPIL_ROSTER, NULL, 0},
};

int
sg_detectors_builtin_add(struct sg_rules *rules, const char **error_r)
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
        d->pattern = strdup(builtins[i].pattern);
        d->marker = builtins[i].marker;
        d->reach = builtins[i].reach;
        d->maxlen = builtins[i].reach; /* the phone's (others: set
                                        * by the scan database, if any) */
        rules->n_detectors++;
        if (d->name == NULL || d->describe == NULL || d->pattern == NULL) {
            *error_r = sg_rules_errorf("out of memory");
            return -1;
        }
        d->re =
            sg_rules_compile(builtins[i].pattern, builtins[i].caseless, &cerr);
        if (d->re == NULL) {
            *error_r = sg_rules_errorf("built-in detector %s: %s",
                                       builtins[i].name, cerr);
            return -1;
        }
        d->validate = builtins[i].v;
        d->builtin = true;
        if (d->validate == VAL_EMAIL_PERSONAL) {
            d->re_spelt = sg_rules_compile_with(
                SPELT_EMAIL_RE, PCRE2_CASELESS | PCRE2_USE_OFFSET_LIMIT, &cerr);
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

size_t
sg_rules_detector_find(const struct sg_rules *rules, const char *name)
{
    for (size_t i = 0; i < rules->n_detectors; i++)
        if (strcmp(rules->detectors[i].name, name) == 0)
            return i;
    return (size_t)-1;
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
        e - s > MAX_FINDING_TEXT || sg_detect_email_is_identifier(text, s))
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
sg_detect_personal_clear(struct detect_personal *p)
{
    for (size_t i = 0; i < p->n_asked; i++)
        free(p->asked[i]);
    p->n_asked = 0;
}

int
sg_detect_finding_add(const struct detect_sink *k, const char *shown,
                      size_t len, const char *where)
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
sg_detect_lookup_clear(struct detect_lookup *l)
{
    sg_rules_strv_clear(&l->tried);
}

int
sg_detect_roster_keep(const struct detect_sink *k, const char *name,
                      const char *where)
{
    struct detect_lookup *l = k->lookup;
    /* nobody to ask, or asked enough: the scan stops here */
    if (l == NULL || l->fn == NULL ||
        l->candidates >= DETECT_MAX_NAME_CANDIDATES)
        return 2;
    l->candidates++;
    if (sg_rules_strv_has_ci(&l->tried, name))
        return 0;
    if (l->tried.n >= DETECT_MAX_NAME_LOOKUPS)
        return 2;
    if (sg_rules_strv_add(&l->tried, name) < 0) {
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
    return sg_detect_finding_add(k, shown, strlen(shown), where);
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
    if (!sg_detect_validate(rules, k->d, nt->text, nt->len, s, e, now)) {
        int reg = registered_personal(k, nt->text, s, e);
        if (reg <= 0)
            return reg;
    }
    if (!sg_detect_validate_group(rules, k->d, nt->text, ov, rc, now))
        return 0;
    if (k->d->validate == VAL_PUPIL_ROSTER) {
        /* the name as normalised is what the directory is asked about */
        char name[MAX_FINDING_TEXT + 1];
        copy_capped(name, nt->text + s, e - s);
        return sg_detect_roster_keep(k, name, where);
    }
    size_t os, oe;
    sg_norm_span(nt, s, e, &os, &oe);
    return sg_detect_finding_add(k, nt->orig + os, oe - os, where);
}

/* Offer a match that spells something out (canon: the address or number
 * it spells) to every sink; the finding is the original text of the
 * normalised span [s, e).  0 or -1. */
int
sg_detect_offer_spelt(const struct sg_rules *rules,
                      const struct detect_sink *sinks, size_t n_sinks,
                      const struct sg_norm *nt, size_t s, size_t e,
                      const char *canon, const char *where, time_t now)
{
    size_t cl = strlen(canon);
    for (size_t i = 0; i < n_sinks; i++) {
        if (!sg_detect_validate(rules, sinks[i].d, canon, cl, 0, cl, now)) {
            int reg = registered_personal(&sinks[i], canon, 0, cl);
            if (reg < 0)
                return -1;
            if (reg == 0)
                continue;
        }
        size_t os, oe;
        sg_norm_span(nt, s, e, &os, &oe);
        if (sg_detect_finding_add(&sinks[i], nt->orig + os, oe - os,
                                  where) < 0)
            return -1;
    }
    return 0;
}

/* A match that failed (the match limits): the error, and -1. */
int
sg_detect_match_error(const struct detector *d, int rc)
{
    char msg[128];
    pcre2_get_error_message(rc, (PCRE2_UCHAR *)msg, sizeof(msg));
    sg_rules_errorf("detector %s: %s", d->name, msg);
    return -1;
}

/* The matches of the sinks' shared pattern re in the normalised text,
 * outside the table rows tr (full: the sinks the table pass filled),
 * looked for near the pattern's candidates only (cands, maxlen: the
 * longest match re can make), or in the whole text (cands->whole).
 *
 * Exactly the matches of the plain loop "match from off; off = the end of
 * the match" over the whole text (leftmost, not overlapping), because:
 * a match found from off is the first start p >= off where an attempt
 * succeeds.  Every match [p, e) the pattern can make ends at a candidate
 * (Hyperscan's prefilter mode reports a superset of the end offsets), and
 * e > p >= off.  Take E, the smallest candidate above off.  An attempt at a
 * p < E - maxlen would end before E, at a candidate between off and E:
 * there is none, so every such attempt fails, and trying the starts from
 * max(off, E - maxlen) up to E (the offset limit) finds the same first
 * successful start as trying them all from off.  If one succeeds, that is
 * the plain loop's next match, and off moves to its end; if none does, no
 * attempt at or before E succeeds, and off moves past E.  Once no
 * candidate is above off, no match is left.  Lookbehinds still see the
 * text before the start (the subject is always the whole text).  The
 * whole-text case is the plain loop itself: one candidate, the text's end,
 * with no bound on the length; a list cut at a bound (cands->cut) ends in
 * that candidate too. */
static int
scan_pattern(const struct sg_rules *rules, const pcre2_code *re,
             const struct sg_norm *nt, const char *where, time_t now,
             pcre2_match_data *md, pcre2_match_context *mctx,
             const struct detect_sink *sinks, size_t n_sinks, bool *full,
             const struct table_rows *tr, const struct detect_cands *cands,
             size_t maxlen)
{
    const struct detector *d = sinks[0].d;
    const char *text = nt->text;
    size_t len = nt->len;
    size_t n_full = 0, next_row = 0, next_row_e = 0;
    for (size_t i = 0; i < n_sinks; i++)
        n_full += full[i];
    if (n_full == n_sinks)
        return 0;
    /* home-address's candidates are street words (sg_detect_address_from) */
    bool by_street = d->builtin && d->validate == VAL_POSTCODE_HOUSE;
    /* social-media's and messaging-invite's are names (sg_detect_name_from) */
    bool by_name = d->builtin && (d->validate == VAL_SOCIAL ||
                                  (d->validate == VAL_NONE &&
                                   strcmp(d->name, "messaging-invite") == 0));
    /* The candidates kept, then, when the list is whole or cut (a bound
     * reached), one step of the plain loop itself: from off, where the
     * candidates before left it, to the text's end, with no bound on the
     * length.  A cut list holds every candidate below cut_at: the
     * argument holds for those, and the plain loop for the rest. */
    const uint32_t *ends = cands->end;
    size_t n_kept = cands->whole ? 0 : cands->n;
    if (cands->cut && !cands->whole)
        while (n_kept > 0 && ends[n_kept - 1] >= cands->cut_at)
            n_kept--; /* Hyperscan's order: some kept may lie past it */
    size_t n_ends = n_kept + (cands->whole || cands->cut);
    /* pupil-dob's candidates are dates, read back by sg_detect_dob_from,
     * which does not plainly give a later bound for a later date: each
     * candidate's is the least of its own and those after it
     * (dob_from[k]), which is no later than the start of any match ending
     * there or later, as the argument below needs.  Past a cut, a match
     * ending at a candidate not kept (at cut_at or later) and starting
     * at a kept one's bound or before holds every byte up to cut_at, so
     * no line break: it starts after the last one before cut_at, the
     * bound of those.  Without memory for them, the bound is off (PCRE2
     * reads from off, as before). */
    uint32_t *dob_from = NULL;
    if (d->builtin && d->validate == VAL_CHILD_DOB && n_kept > 0 &&
        (dob_from = malloc(n_kept * sizeof(*dob_from))) != NULL) {
        uint32_t least = UINT32_MAX;
        if (cands->cut) {
            const char *nl = memrchr(text, '\n', cands->cut_at);
            least = nl != NULL ? (uint32_t)(nl - text + 1) : 0;
        }
        for (size_t k = n_kept; k-- > 0;) {
            uint32_t f = (uint32_t)sg_detect_dob_from(text, ends[k]);
            dob_from[k] = least = f < least ? f : least;
        }
    }
    PCRE2_SIZE off = 0;
    size_t k = 0;
    int r = 0;
    while (k < n_ends && r == 0) {
        bool plain = k == n_kept;
        size_t E = plain ? len : ends[k];
        /* a candidate's match is not empty (detect_hs.c): it ends past off;
         * the plain loop may find an empty match at the text's end */
        if (E < off || (E == off && !plain)) {
            k++;
            continue;
        }
        /* pupil-dob: a candidate on a table row (its match's last byte,
         * E - 1, on it; E > off >= 0 here) ends only matches that
         * start on that row, which the loop below would drop; and from
         * anywhere on the row the plain loop drops every match it finds
         * there and next finds the first that starts after the row's end
         * (a match holds no line break), so off goes to that end */
        if (dob_from != NULL && !plain &&
            sg_detect_on_table_row(tr, &next_row_e, E - 1)) {
            size_t row_end = tr->span[next_row_e][1];
            off = row_end > off ? row_end : off;
            k++;
            continue;
        }
        size_t from = off;
        if (!plain) {
            if (E - off > maxlen)
                from = E - maxlen;
            if (by_street) {
                size_t f = sg_detect_address_from(text, E);
                from = f > from ? f : from;
            }
            if (by_name) {
                size_t f = sg_detect_name_from(text, E);
                from = f > from ? f : from;
            }
            if (dob_from != NULL && dob_from[k] > from)
                from = dob_from[k];
        }
        while (from > off && (text[from] & 0xc0) == 0x80)
            from--; /* a start at a character: earlier starts only fail */
        pcre2_set_offset_limit(mctx, E);
        int rc = pcre2_match(re, (PCRE2_SPTR)text, len, from, 0, md, mctx);
        if (rc == PCRE2_ERROR_NOMATCH) {
            off = sg_utf8_next(text, len, E);
            continue;
        }
        if (rc < 0) {
            r = sg_detect_match_error(d, rc);
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t s = ov[0], e = ov[1];
        if (e <= s) { /* empty match: step one character */
            off = sg_utf8_next(text, len, s);
            continue;
        }
        off = e;
        if (sg_detect_on_table_row(tr, &next_row, s))
            continue;
        for (size_t i = 0; i < n_sinks; i++) {
            if (full[i])
                continue;
            int kr = detect_keep(rules, &sinks[i], nt, ov, rc, where, now);
            if (kr < 0) {
                r = -1;
                break;
            }
            if (kr == 2) {
                full[i] = true;
                if (++n_full == n_sinks)
                    k = n_ends; /* every sink is full: done */
            }
        }
    }
    pcre2_set_offset_limit(mctx, PCRE2_UNSET);
    free(dob_from);
    return r;
}

/* One group's scan of nt: sinks share one pattern (the first sink's),
 * whose candidates are cands; full: those the table pass filled, tr: the
 * rows it passes over (both of the table pass, for all groups). */
static int
scan_group(const struct sg_rules *rules, const struct sg_norm *nt,
           const char *where, time_t now, pcre2_match_data *md,
           pcre2_match_context *mctx, const struct detect_sink *sinks,
           size_t n_sinks, bool *full, const struct detect_cands *cands,
           size_t maxlen, const struct table_rows *tr)
{
    if (n_sinks > DETECT_SCAN_MAX) {
        sg_rules_errorf("detector %s: too many detectors in one scan",
                        sinks[0].d->name);
        return -1;
    }
    const struct detector *d = sinks[0].d;
    static const struct table_rows none = {NULL, 0, 0};
    int r = scan_pattern(rules, d->re, nt, where, now, md, mctx, sinks,
                         n_sinks, full, sg_detect_reads_tables(d) ? tr : &none,
                         cands, maxlen);
    /* the spelt-out forms, for the built-in detectors that read them */
    if (r == 0 && d->re_spelt != NULL)
        r = sg_detect_scan_spelt(rules, d->re_spelt, nt, where, now, md, mctx,
                                 sinks, n_sinks);
    if (r == 0 && sg_detect_is_phone(d))
        r = sg_detect_scan_number_words(rules, nt, where, now, sinks, n_sinks);
    return r;
}

/* ------------------------------------------------------------ scan state */

struct detect_scan {
    const struct sg_rules *rules;
    void *scratch; /* Hyperscan's, from the rule set's pool; NULL: none yet */
    bool *wanted;  /* per detector: a root whose candidates are wanted */
    struct detect_cands *cands; /* per detector (roots only used) */
};

size_t sg_detect_max_candidates = 65536;
size_t sg_detect_candidate_bytes = sizeof(uint32_t);
static unsigned long texts_scanned;

unsigned long
sg_detect_texts_scanned(void)
{
    return __atomic_load_n(&texts_scanned, __ATOMIC_RELAXED);
}

size_t
sg_detect_root(const struct sg_rules *rules, size_t di)
{
    size_t sp = rules->detectors[di].same_pattern_as;
    return sp > 0 ? sp - 1 : di;
}

int
sg_detect_scan_new(const struct sg_rules *rules, struct detect_scan **scan_r)
{
    struct detect_scan *sc = calloc(1, sizeof(*sc));
    size_t n = rules->n_detectors + 1;
    if (sc == NULL || (sc->wanted = calloc(n, sizeof(bool))) == NULL ||
        (sc->cands = calloc(n, sizeof(*sc->cands))) == NULL) {
        sg_detect_scan_free(&sc);
        sg_rules_errorf("out of memory");
        return -1;
    }
    sc->rules = rules;
    *scan_r = sc;
    return 0;
}

void
sg_detect_scan_free(struct detect_scan **scan)
{
    struct detect_scan *sc = *scan;
    if (sc == NULL)
        return;
#ifdef HAVE_HYPERSCAN
    if (sc->scratch != NULL)
        sg_detect_hs_put(sc->rules, sc->scratch);
#endif
    if (sc->cands != NULL)
        for (size_t i = 0; i < sc->rules->n_detectors; i++)
            free(sc->cands[i].end);
    free(sc->cands);
    free(sc->wanted);
    free(sc);
    *scan = NULL;
}

/* The candidates of every group's pattern in nt, in one pass where the
 * patterns are in the database; 0 or -1. */
static int
find_candidates(const struct sg_rules *rules, struct detect_scan *sc,
                const struct sg_norm *nt, const struct detect_sink *sinks,
                size_t n_sinks)
{
    memset(sc->wanted, 0, rules->n_detectors * sizeof(bool));
    bool any = false;
    size_t n_roots = 0;
    for (size_t i = 0; i < n_sinks; i++) {
        size_t root = sg_detect_root(rules, (size_t)(sinks[i].d -
                                                     rules->detectors));
        n_roots += !sc->wanted[root];
        sc->wanted[root] = true;
        sg_detect_cands_empty(&sc->cands[root]);
        sc->cands[root].whole = true;
        any |= rules->detectors[root].in_db;
    }
    /* the bound on each list: together no larger than the text */
    size_t max = sg_detect_cand_max(nt->len, n_roots);
    for (size_t i = 0; i < rules->n_detectors; i++)
        sc->cands[i].max = max;
#ifdef HAVE_HYPERSCAN
    if (any && sg_detect_hs_candidates(rules, &sc->scratch, nt, sc->wanted,
                                       sc->cands) < 0)
        return -1;
#else
    (void)any;
#endif
    /* the phone number's, UPN's, NHS number's, ULN's and pupil-dob's, in
     * C (both builds): in one walk over the runs of digits when any of
     * the last four is wanted, the phone number's alone by its own */
    struct detect_cands *num[4] = {NULL, NULL, NULL, NULL}, *phone = NULL;
    for (size_t i = 0; i < rules->n_detectors; i++) {
        const struct detector *d = &rules->detectors[i];
        if (!sc->wanted[i])
            continue;
        if (sg_detect_is_phone(d))
            phone = &sc->cands[i];
        else if (sg_detect_is_number(d))
            num[d->validate == VAL_UPN   ? 0
                : d->validate == VAL_NHS ? 1
                : d->validate == VAL_ULN ? 2
                                         : 3] = &sc->cands[i];
    }
    if (num[0] != NULL || num[1] != NULL || num[2] != NULL || num[3] != NULL)
        sg_detect_number_candidates(nt->text, nt->len, num[0], num[1], num[2],
                                    num[3], phone);
    else if (phone != NULL)
        sg_detect_phone_candidates(nt->text, nt->len, phone);
    return 0;
}

int
sg_detect_scan_normalised(const struct sg_rules *rules,
                          struct detect_scan *scan, const struct sg_norm *nt,
                          const char *where, time_t now, pcre2_match_data *md,
                          pcre2_match_context *mctx,
                          const struct detect_sink *sinks, size_t n_sinks)
{
    __atomic_add_fetch(&texts_scanned, 1, __ATOMIC_RELAXED);
    static const struct detect_cands whole = {.whole = true};
    if (scan != NULL &&
        find_candidates(rules, scan, nt, sinks, n_sinks) < 0)
        return -1;
    /* Rows of tables with named columns are read by their columns, for
     * pupil-dob and pupil-roster together in one pass; their patterns
     * then skip them, so a staff list's dates of joining are not taken
     * for dates of birth, nor "Patel Amy" for a name. */
    bool *full = calloc(n_sinks + 1, sizeof(bool));
    struct table_rows tr = {NULL, 0, 0};
    if (full == NULL) {
        sg_rules_errorf("out of memory");
        return -1;
    }
    bool tables = false;
    for (size_t i = 0; i < n_sinks; i++)
        tables |= sg_detect_reads_tables(sinks[i].d);
    int r = 0;
    if (tables)
        r = sg_detect_tables_pass(nt, sinks, n_sinks, full, where, now, &tr);
    /* each group in turn, with its candidates */
    for (size_t g = 0; g < n_sinks && r == 0;) {
        const struct detector *d = sinks[g].d;
        size_t root = sg_detect_root(rules, (size_t)(d - rules->detectors));
        size_t n = 1;
        while (g + n < n_sinks &&
               sg_detect_root(rules, (size_t)(sinks[g + n].d -
                                              rules->detectors)) == root)
            n++;
        const struct detect_cands *c =
            scan != NULL ? &scan->cands[root] : &whole;
        if (scan_group(rules, nt, where, now, md, mctx, sinks + g, n,
                       full + g, c, rules->detectors[root].maxlen, &tr) < 0)
            r = -1;
        g += n;
    }
    free(tr.span);
    free(full);
    return r;
}

int
sg_detect_scan(const struct sg_rules *rules, struct detect_scan *scan,
               const char *text, size_t len, const char *where, time_t now,
               pcre2_match_data *md, pcre2_match_context *mctx,
               const struct detect_sink *sinks, size_t n_sinks)
{
    struct sg_norm nt;
    if (sg_normalise(text, len, &nt) < 0) {
        sg_rules_errorf("out of memory normalising %s", where);
        return -1;
    }
    int r = sg_detect_scan_normalised(rules, scan, &nt, where, now, md, mctx,
                                      sinks, n_sinks);
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
sg_rules_detect_many(const struct sg_rules *rules,
                     const char *const *detectors, size_t n, const char *text,
                     size_t len, time_t now, struct sg_finding **findings_r,
                     size_t *n_r, const char **error_r)
{
    /* the sinks in scan groups: each pattern's detectors together, each
     * with a list of its own (as an evaluation's), joined in the order
     * named */
    struct detect_sink *sinks = calloc(n + 1, sizeof(*sinks));
    size_t *dets = calloc(n + 1, sizeof(*dets));
    struct sg_finding **own = calloc(n + 1, sizeof(*own));
    size_t *n_own = calloc(n + 1, sizeof(*n_own));
    pcre2_match_data *md = pcre2_match_data_create(16, NULL);
    pcre2_match_context *mctx = pcre2_match_context_copy(rules->mctx);
    struct detect_scan *scan = NULL;
    int r = -1;
    if (sinks == NULL || dets == NULL || own == NULL || n_own == NULL ||
        md == NULL || mctx == NULL || sg_detect_scan_new(rules, &scan) < 0) {
        sg_rules_errorf("out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        dets[i] = sg_rules_detector_find(rules, detectors[i]);
        if (dets[i] == (size_t)-1) {
            sg_rules_errorf("unknown detector '%s'", detectors[i]);
            goto out;
        }
    }
    size_t k = 0;
    for (size_t root = 0; root < rules->n_detectors; root++)
        for (size_t i = 0; i < n; i++)
            if (sg_detect_root(rules, dets[i]) == root)
                sinks[k++] = (struct detect_sink){&rules->detectors[dets[i]],
                                                  &own[i], &n_own[i], 1000,
                                                  NULL, NULL};
    r = sg_detect_scan(rules, scan, text, len, "text", now, md, mctx, sinks, k);
    for (size_t i = 0; i < n && r == 0; i++) {
        if (n_own[i] == 0)
            continue;
        struct sg_finding *g =
            realloc(*findings_r, (*n_r + n_own[i]) * sizeof(*g));
        if (g == NULL) {
            sg_rules_errorf("out of memory");
            r = -1;
            break;
        }
        memcpy(g + *n_r, own[i], n_own[i] * sizeof(*g));
        *findings_r = g;
        *n_r += n_own[i];
        free(own[i]);
        own[i] = NULL;
        n_own[i] = 0;
    }
out:
    for (size_t i = 0; own != NULL && n_own != NULL && i < n; i++)
        sg_findings_free(&own[i], &n_own[i]);
    sg_detect_scan_free(&scan);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mctx);
    free(sinks);
    free(dets);
    free(own);
    free(n_own);
    if (r < 0)
        *error_r = sg_rules_lasterror();
    return r;
}

int
sg_rules_detect(const struct sg_rules *rules, const char *detector,
                const char *text, size_t len, time_t now,
                struct sg_finding **findings_r, size_t *n_r,
                const char **error_r)
{
    return sg_rules_detect_many(rules, &detector, 1, text, len, now,
                                findings_r, n_r, error_r);
}

void
sg_detect_want_content(const struct cond *cd, bool *want)
{
    if (cd->kind == C_CONTENT)
        for (size_t i = 0; i < cd->n_items; i++)
            want[cd->items[i].det] = true;
}
