/*
 * detect_cands.c - the candidates the scan database does not give: UPN's,
 * NHS number's, ULN's, pupil-dob's and the phone number's from one walk
 * over the runs of digits (the phone number's alone by a walk of its
 * own), found in C in both builds; and where a match can start
 * at the earliest before a candidate of a marker that holds no start
 * (home-address's street word, social-media's and messaging-invite's
 * names, pupil-dob's date), read back in C.  scan_pattern (detect.c) relies on each bound
 * being no later than a real start and moving only right as the
 * candidate does; the comments say why each holds.
 *
 * SECURITY: the text is attacker-controlled; every read is inside
 * [text, text + len), and a text need not end in a NUL.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "detect.h"
#include "scan16.h"

/* A space or tab (the [ \t] of the patterns read back here) */
static bool
blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

/* The earliest start of a match that ends a candidate at E and has, back
 * from E, only ASCII letters and digits, the bytes in also, at most five
 * runs of spaces or tabs and no word longer than max_word: after the
 * sixth run, after the last byte none of those can be, and at most
 * max_word + 1 bytes into a word (counted from its end or from E).  Later
 * for a later E: the walk from a later E counts at least as many runs and
 * as long a word at every byte both pass. */
static size_t
read_back(const char *text, size_t E, const char *also, size_t max_word)
{
    size_t p = E, word = 0;
    int runs = 0;
    while (p > 0) {
        unsigned char c = (unsigned char)text[p - 1];
        if (blank(c)) {
            if ((p == E || !blank((unsigned char)text[p])) &&
                ++runs == 6)
                break;
            word = 0;
        } else if (sg_ascii_alnum(c) ||
                   (strchr(also, c) != NULL && c != '\0')) {
            if (++word > max_word)
                break;
        } else {
            break;
        }
        p--;
    }
    return p;
}

/* Where a home-address match whose street word ends at E (a candidate of
 * ADDRESS_MARKER) can start at the earliest.  Between the start and the
 * street word, ADDRESS_RE has only ASCII digits and letters, ' , - and
 * at most five runs of spaces or tabs (after the house number and after
 * each of at most four words, the last just before the street word): so
 * the start is after the sixth such run back from E, and after the last
 * byte before E that none of those can be.  Later for a later E
 * (so scan_pattern's reasoning holds: each candidate's earliest start is
 * no earlier than the one before's), and earlier than any real start. */
size_t
sg_detect_address_from(const char *text, size_t E)
{
    return read_back(text, E, "',-", SIZE_MAX);
}

/* The built-in phone number's pattern (uk-mobile, uk-landline)? */
bool
sg_detect_is_phone(const struct detector *d)
{
    return d->builtin && (d->validate == VAL_PHONE_MOBILE ||
                          d->validate == VAL_PHONE_LANDLINE);
}

/* The bytes that cannot stand just before the start of a phone number
 * (PHONE_RE's lookbehind, as bytes: any byte of a character other than
 * ASCII may, which takes in the two it rules out, \xa3 and \x20ac); a
 * look-up, as the walk over runs of digits asks it of most runs. */
static const bool phone_may_not_follow[256] = {
    ['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true,
    ['_'] = true, ['+'] = true, ['$'] = true, ['.'] = true, [','] = true,
    ['/'] = true, ['-'] = true,
};

/* Can c stand just before the start of a phone number? */
static inline bool
phone_may_follow(unsigned char c)
{
    return !phone_may_not_follow[c];
}

/* Can c start a NUM_GAP (as bytes: the first byte of a separator, or a
 * line break)? */
static bool
phone_gap_start(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '.' || c == '-' || c == '\r' ||
           c == '\n' || c == 0xc2 || c == 0xe2;
}

/* The candidate a '0' or '+' at t[i] gives (0: none). */
static inline size_t
phone_end(const unsigned char *t, size_t len, size_t i)
{
    if (t[i] == '+')
        return i + 1 < len && (t[i + 1] == '4' || phone_gap_start(t[i + 1]))
                   ? i + 1
                   : 0;
    if (i + 2 < len && (i == 0 || phone_may_follow(t[i - 1]))) {
        unsigned char n1 = t[i + 1], n2 = t[i + 2];
        if ((n1 >= '1' && n1 <= '9' &&
             (sg_ascii_digit(n2) || n2 == ')' || phone_gap_start(n2))) ||
            (n1 == '0' && (n2 == '4' || phone_gap_start(n2))))
            return i + 2;
    }
    return 0;
}

/* Add the candidate of the '0' or '+' at t[i], if any: false at the
 * bound (the rest is read whole) or without memory.  Taken in order of
 * i, the ends come in order: '+' at i ends before i + 2; each is kept
 * once. */
static inline bool
phone_add(const unsigned char *t, size_t len, size_t i, struct detect_cands *c)
{
    size_t end = phone_end(t, len, i);
    if (end == 0 || (c->n > 0 && c->end[c->n - 1] == end))
        return true;
    return sg_detect_cand_add(c, end);
}

/* The phone number's candidates in text[0..len), into c (sorted, each
 * once; cut past the bound).  Every match of PHONE_RE starts with one
 * of: "+" then "4" or a gap; "00" then "4" or a gap; "(0" or "0" then a
 * digit 1-9 and then a digit, ")" or a gap ((?:\)GAP?|GAP)?[0-9]) -- with
 * the "0" after a byte phone_may_follow (the lookbehind, or the "(").
 * The candidate is the end of that prefix, at most PHONE_REACH bytes after
 * the match's start: the "0" of "(0" is at start + 1, the prefix ends at
 * start + 3.  A time ("08:15") or a year ("2026") is no candidate. */
void
sg_detect_phone_candidates(const char *text, size_t len,
                           struct detect_cands *c)
{
    const unsigned char *t = (const unsigned char *)text;
    sg_detect_cands_empty(c);
    size_t i = 0;
#ifdef SG_HAVE_SCAN16
    /* sixteen bytes a step, each '0' and '+' of them in turn (a class list
     * has a '0' every few bytes: a memchr call each cost more) */
    if (sg_scan16) {
        for (; i + 16 <= len; i += 16) {
            sg_v16 v = sg_load16(text + i);
            for (unsigned m = sg_mask16((v == '0') | (v == '+')); m != 0;
                 m &= m - 1)
                if (!phone_add(t, len, i + (size_t)__builtin_ctz(m), c))
                    return;
        }
    }
#endif
    /* the rest (or all): by memchr for each, the nearer first */
    const unsigned char *zero = i < len ? memchr(t + i, '0', len - i) : NULL;
    const unsigned char *plus = i < len ? memchr(t + i, '+', len - i) : NULL;
    while (zero != NULL || plus != NULL) {
        if (plus != NULL && (zero == NULL || plus < zero)) {
            i = (size_t)(plus - t);
            plus = i + 1 < len ? memchr(t + i + 1, '+', len - i - 1) : NULL;
        } else {
            i = (size_t)(zero - t);
            zero = i + 1 < len ? memchr(t + i + 1, '0', len - i - 1) : NULL;
        }
        if (!phone_add(t, len, i, c))
            return;
    }
}

/* Where a social-media or messaging-invite match whose network or app
 * name ends at E (a candidate of SOCIAL_MARKER or MESSAGING_MARKER) can
 * start at the earliest.  Between the start and E such a match has only
 * ASCII letters, digits and the bytes of handles, URLs and the marker's
 * own literals (_ . ' @ : / ( [ = -), at most five runs of spaces or
 * tabs ("i am jo_b over on insta"), and no word longer than 31 bytes
 * ("@" and a handle of 30; "https://mobile.facebook" is 23): so the
 * start is after the sixth such run back from E, after the last byte
 * before E none of those can be, and no more than 40 bytes into a word
 * (counted from its end, or from E).  Later for a later E, as
 * sg_detect_address_from() is (scan_pattern's argument). */
size_t
sg_detect_name_from(const char *text, size_t E)
{
    return read_back(text, E, "_.'@:/([=-", 40);
}

/* Back from a year of DOB_DATE's third form that starts at p, after a
 * space or tab: over those, and the optional comma and full stop before
 * them; where the month's letters end. */
static size_t
before_year(const unsigned char *t, size_t p)
{
    while (p > 0 && blank(t[p - 1]))
        p--;
    if (p > 0 && t[p - 1] == ',')
        p--;
    if (p > 0 && t[p - 1] == '.')
        p--;
    return p;
}

/* Where a pupil-dob match whose date ends at E (a candidate of DOB_DATE)
 * can start at the earliest.  DOB_RE is a name (two to four words, each
 * a capital then letters, ' or -, between them runs of spaces or tabs),
 * then at most 40 characters that are neither a line break nor a digit,
 * then the date, which starts at a digit D after no digit.  So:
 *
 * - D is found, or an earlier byte: the date's bytes are digits and
 *   / . - (two of its forms), or "\d{1,2}(st|nd|rd|th)?[ \t]+Month\.?,?
 *   [ \t]+YYYY", read back exactly (each part's run is maximal in the
 *   pattern: a year after a space, a month after a space, a day after no
 *   digit).  A text that does not read back that way holds one of the
 *   first two, which the walk over digits and / . - has passed.
 * - The name ends at most 40 characters before D, and the 40 characters
 *   before D are passed by counting bytes that do not continue a UTF-8
 *   character (a gap holds whole characters: PCRE2 matches no invalid
 *   byte), stopping after a line break or digit, which no gap or name
 *   holds.
 * - Back from there, the start is inside the name: after the byte no name
 *   holds, or at the latest at the start of a word that begins with a
 *   small ASCII letter (a word of the name begins with a capital; a name
 *   can start inside a word only after ' or -), and after at most three
 *   runs of spaces.
 *
 * Each bound is no later than a real start.  Whether it is later for a
 * later E is not plain from the walk (a later date's walk passes digits,
 * which may be an earlier candidate's; no text was found where that
 * makes it earlier), so scan_pattern takes the least over E and every
 * candidate after it, which is. */
size_t
sg_detect_dob_from(const char *text, size_t E)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t p = E;
    while (p > 0 && (sg_ascii_digit(t[p - 1]) || t[p - 1] == '/' ||
                     t[p - 1] == '.' || t[p - 1] == '-'))
        p--;
    size_t d = p; /* the first two forms: D is at or after p */
    if (p > 0 && blank(t[p - 1])) {
        /* the third: back over [ \t]+ ,? .? Month [ \t]+ (st)? day */
        size_t q = before_year(t, p);
        size_t m = q;
        while (q > 0 && sg_ascii_alpha(t[q - 1]))
            q--;
        size_t sp = q;
        while (q > 0 && blank(t[q - 1]))
            q--;
        if (sp < m && q < sp) {
            while (q > 0 && sg_ascii_alpha(t[q - 1]))
                q--;
            size_t day = q;
            while (q > 0 && sg_ascii_digit(t[q - 1]))
                q--;
            if (q < day)
                d = q;
        }
    }
    /* the gap: at most 40 characters, none a line break or digit */
    p = d;
    int chars = 0;
    while (p > 0) {
        unsigned char c = t[p - 1];
        if (c == '\n' || sg_ascii_digit(c))
            return p;
        if ((c & 0xc0) != 0x80 && chars++ == 40)
            break;
        p--;
    }
    /* the name, back from there */
    int runs = 0;
    while (p > 0) {
        unsigned char c = t[p - 1];
        if (blank(c)) {
            unsigned char after = p < E ? t[p] : ' ';
            /* the word after this run begins the name at the latest */
            if (after >= 'a' && after <= 'z')
                break;
            if (!blank(after) && ++runs > 3)
                break;
        } else if (!sg_ascii_alpha(c) && c != '\'' && c != '-' && c < 0x80) {
            break;
        }
        p--;
    }
    return p;
}

/* ------------------------------------------------------------ numbers */

/* The built-in UPN, NHS number, ULN or pupil-dob pattern (whose
 * candidates the walk over runs of digits finds)? */
bool
sg_detect_is_number(const struct detector *d)
{
    return d->builtin && (d->validate == VAL_UPN || d->validate == VAL_NHS ||
                          d->validate == VAL_ULN ||
                          d->validate == VAL_CHILD_DOB);
}

/* The start of the run of ASCII digits that ends at e, looking back no
 * more than max + 1 digits (a run longer than max reads as max + 1). */
static size_t
digits_back(const unsigned char *t, size_t e, size_t max)
{
    size_t p = e;
    while (p > 0 && e - p <= max && sg_ascii_digit(t[p - 1]))
        p--;
    return p;
}

/* Does a run of one or two digits end at e (after no digit)? */
static bool
day_or_month_at(const unsigned char *t, size_t e)
{
    size_t n = e - digits_back(t, e, 2);
    return n >= 1 && n <= 2;
}

/* (?:19|20)\d\d from t[a], the run's first four digits */
static bool
year_at(const unsigned char *t, size_t a)
{
    return (t[a] == '1' && t[a + 1] == '9') ||
           (t[a] == '2' && t[a + 1] == '0');
}

static bool
date_sep(unsigned char c)
{
    return c == '/' || c == '.' || c == '-';
}

/* One of DOB_MONTHS, s[0..n) whole. */
static bool
month_word(const unsigned char *s, size_t n)
{
    static const char *const months[] = {
        "Jan", "January", "Feb", "February", "Mar", "March", "Apr", "April",
        "May", "Jun", "June", "Jul", "July", "Aug", "August", "Sep", "Sept",
        "September", "Oct", "October", "Nov", "November", "Dec", "December",
    };
    for (size_t i = 0; i < sizeof(months) / sizeof(months[0]); i++)
        if (strlen(months[i]) == n && memcmp(s, months[i], n) == 0)
            return true;
    return false;
}

/* Does a date of DOB_DATE that starts after no digit end at b, the end of
 * the run of ASCII digits [a, b) (a run is whole: before no digit)?  Its
 * last part, then, is that whole run (DOB_RE's (?<!\d) and (?!\d), with
 * a separator, space or tab between the parts):
 *   d/m/yyyy: the run is four digits, 19.. or 20.., after one of / . -,
 *     a run of one or two digits, one of / . - and a run of one or two;
 *   yyyy-mm-dd: the run is two digits after "-", two digits, "-" and a
 *     whole run of four, 19.. or 20..;
 *   d Month yyyy: the run is four digits, 19.. or 20.., after spaces or
 *     tabs, an optional comma after an optional full stop, a month of
 *     DOB_MONTHS that is a whole word of letters after spaces or tabs, an
 *     optional st, nd, rd or th, and a run of one or two digits.
 * Exactly the ends of the matches of (?<!\d)(?:DOB_DATE)(?!\d): the
 * unit test test_detect_scan.c compares the two.  Each step back is
 * bounded but for the runs of spaces and tabs, each of which is read for
 * at most one year and one month after it: linear in the text. */
static bool
dob_date_ends(const unsigned char *t, size_t a, size_t b)
{
    if (b - a == 2)
        return a >= 8 && t[a - 1] == '-' && sg_ascii_digit(t[a - 2]) &&
               sg_ascii_digit(t[a - 3]) && t[a - 4] == '-' &&
               digits_back(t, a - 4, 4) == a - 8 && year_at(t, a - 8);
    if (b - a != 4 || a == 0 || !year_at(t, a))
        return false;
    if (date_sep(t[a - 1])) {
        size_t m = digits_back(t, a - 1, 2);
        return m < a - 1 && a - 1 - m <= 2 && m > 0 && date_sep(t[m - 1]) &&
               day_or_month_at(t, m - 1);
    }
    if (!blank(t[a - 1]))
        return false;
    size_t q = before_year(t, a);
    size_t me = q;
    while (q > 0 && me - q < 10 && sg_ascii_alpha(t[q - 1]))
        q--;
    if (q == 0 || !blank(t[q - 1]) || !month_word(t + q, me - q))
        return false;
    while (q > 0 && blank(t[q - 1]))
        q--;
    if (q >= 3 && !sg_ascii_digit(t[q - 1])) {
        char s0 = (char)t[q - 2], s1 = (char)t[q - 1];
        if (!((s0 == 's' && s1 == 't') || (s0 == 'n' && s1 == 'd') ||
              (s0 == 'r' && s1 == 'd') || (s0 == 't' && s1 == 'h')))
            return false;
        q -= 2;
    }
    return day_or_month_at(t, q);
}

/* The first ASCII digit in t[i..len), or '+' too when plus; or len. */
static size_t
next_digit(const unsigned char *t, size_t i, size_t len, bool plus)
{
#ifdef SG_HAVE_SCAN16
    if (sg_scan16) {
        const sg_v16 with = plus ? (sg_v16){0} - 1 : (sg_v16){0};
        while (i + 16 <= len) {
            sg_v16 v = sg_load16((const char *)t + i);
            unsigned m =
                sg_mask16(((v >= '0') & (v <= '9')) | ((v == '+') & with));
            if (m != 0)
                return i + (size_t)__builtin_ctz(m);
            i += 16;
        }
    }
#endif
    while (i < len && !sg_ascii_digit(t[i]) && !(plus && t[i] == '+'))
        i++;
    return i;
}

void
sg_detect_cands_empty(struct detect_cands *c)
{
    c->whole = false;
    c->n = 0;
    c->cut = false;
}

size_t
sg_detect_cand_max(size_t len, size_t n)
{
    size_t grown = len / sg_detect_candidate_bytes / (n > 0 ? n : 1);
    return grown > sg_detect_max_candidates ? grown : sg_detect_max_candidates;
}

bool
sg_detect_cand_add(struct detect_cands *c, size_t end)
{
    if (c->whole)
        return false;
    size_t max = c->max > 0 ? c->max : sg_detect_max_candidates;
    if (c->n >= max) {
        if (!c->cut || end < c->cut_at)
            c->cut_at = end;
        c->cut = true;
        return false;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        if (cap > max)
            cap = max;
        uint32_t *g = realloc(c->end, cap * sizeof(*g));
        if (g == NULL) {
            c->whole = true;
            c->n = 0;
            return false;
        }
        c->end = g;
        c->cap = cap;
    }
    c->end[c->n++] = (uint32_t)end;
    return true;
}

/* The candidates of the run of ASCII digits [a, b) (whole: after no
 * digit, before none) and, when phone is wanted, of a '0' that starts it,
 * into the lists of all (UPN, NHS number, ULN, pupil-dob, phone; NULL:
 * not wanted). */
static inline void
number_run(const unsigned char *t, size_t len, size_t a, size_t b,
           struct detect_cands *const *all)
{
    struct detect_cands *upn = all[0], *nhs = all[1], *uln = all[2],
                        *dob = all[3], *phone = all[4];
    if (phone != NULL && t[a] == '0')
        phone_add(t, len, a, phone);
    size_t run = b - a;
    if (dob != NULL && (run == 2 || run == 4) && dob_date_ends(t, a, b))
        sg_detect_cand_add(dob, b);
    if (run < 3)
        return;
    if (upn != NULL && run >= 11 && a >= 1 &&
        strchr(UPN_LETTERS, t[a - 1]) != NULL && t[a - 1] != '\0' &&
        (a == 1 || !sg_ascii_alnum(t[a - 2])))
        sg_detect_cand_add(upn, a);
    if (a > 0 && !phone_may_follow(t[a - 1]))
        return;
    if (nhs != NULL &&
        (run >= 6 || (run == 3 && b < len && phone_gap_start(t[b]))))
        sg_detect_cand_add(nhs, a + 1);
    if (uln != NULL && run >= 10 && t[a] != '0')
        sg_detect_cand_add(uln, a + 1);
}

#ifdef SG_HAVE_SCAN16
/* The runs of t[0..len) that start in the sixteen-byte steps of i up to
 * len - 32, each step read with the sixteen bytes after it: the runs that
 * can give a candidate (number_run) are taken from the masks of digits,
 * '0', '-' and '+' of each step, the others passed without a branch each
 * (a class list has a run every seven bytes, a letter every forty, most
 * of one or two digits).  A run gives none when it has one digit (no
 * form has a part of one digit that ends a candidate, and a '0' that
 * starts a phone number has a digit after it), or two that neither start
 * with '0' nor follow '-' (a date's last part of two digits follows '-').
 * Where the steps end: a run that goes on past there has been taken
 * already. */
static size_t
number_runs16(const unsigned char *t, size_t len,
              struct detect_cands *const *all)
{
    const char *s = (const char *)t;
    bool plus = all[4] != NULL;
    uint32_t before_digit = 0, before_dash = 0; /* of the byte before i */
    size_t i = 0;
    for (; i + 32 <= len; i += 16) {
        sg_v16 v = sg_load16(s + i), w = sg_load16(s + i + 16);
        uint32_t d = sg_mask16((v >= '0') & (v <= '9')) |
                     sg_mask16((w >= '0') & (w <= '9')) << 16;
        uint32_t dash = sg_mask16(v == '-');
        uint32_t start = d & ~(d << 1 | before_digit);
        uint32_t three = d & d >> 1 & d >> 2;
        uint32_t two = d & d >> 1 & ~three;
        uint32_t take =
            start & (three | (two & (dash << 1 | before_dash |
                                     sg_mask16(v == '0')))) & 0xffff;
        if (plus)
            take |= sg_mask16(v == '+');
        before_digit = d >> 15 & 1;
        before_dash = dash >> 15;
        for (; take != 0; take &= take - 1) {
            unsigned k = (unsigned)__builtin_ctz(take);
            size_t a = i + k;
            if (t[a] == '+') {
                phone_add(t, len, a, all[4]);
                continue;
            }
            /* the first byte after the run in the 32 read, or i + 32 */
            size_t b = a + (size_t)__builtin_ctzll(~(uint64_t)(d >> k));
            while (b < len && sg_ascii_digit(t[b]))
                b++;
            number_run(t, len, a, b, all);
        }
    }
    /* a run going on from the last step was taken there, or gives none */
    if (before_digit)
        while (i < len && sg_ascii_digit(t[i]))
            i++;
    return i;
}
#endif

/* The candidates of UPN_RE, NHS_RE, ULN_RE and DOB_RE in text[0..len),
 * each into its own (NULL: not wanted), in one walk over the runs of ASCII
 * digits, in both builds; and the phone number's (phone, NULL: not
 * wanted), the same as sg_detect_phone_candidates gives, from the same
 * walk and each '+': a '0' that gives one is the first of its run (the
 * byte before it may not be a digit), and the ends come in the order of
 * the runs, as they come in the order of the '0's there, so one pass
 * over the text serves all five.  pupil-dob's are the ends of its dates
 * (dob_date_ends), where each of its matches ends.  The others' is a
 * match's start + 1 (reach 1).  Every
 * match holds a run of digits [a, b) that its start fixes:
 *   UPN: a letter of UPN_LETTERS at a - 1, after no ASCII letter or digit,
 *        then 11 digits (the last character may be a letter): b - a >= 11;
 *        the start is a - 1.
 *   NHS number: starts at a, after a byte phone_may_follow (the same
 *        lookbehind, as bytes); three digits and a gap (b - a == 3 and a
 *        gap's first byte at b) or six digits and more (b - a >= 6);
 *        four or five digits and then anything are no match.
 *   ULN: starts at a, after such a byte, 1-9 and nine more: b - a >= 10.
 * So each is a superset of the matches' starts, which is what
 * scan_pattern's argument needs; PCRE2 then judges each. */
void
sg_detect_number_candidates(const char *text, size_t len,
                            struct detect_cands *upn,
                            struct detect_cands *nhs,
                            struct detect_cands *uln,
                            struct detect_cands *dob,
                            struct detect_cands *phone)
{
    const unsigned char *t = (const unsigned char *)text;
    struct detect_cands *const all[5] = {upn, nhs, uln, dob, phone};
    for (int k = 0; k < 5; k++)
        if (all[k] != NULL)
            sg_detect_cands_empty(all[k]);
    size_t i = 0;
#ifdef SG_HAVE_SCAN16
    if (sg_scan16)
        i = number_runs16(t, len, all);
#endif
    /* the rest (or all), run by run */
    bool plus = phone != NULL;
    while ((i = next_digit(t, i, len, plus)) < len) {
        if (t[i] == '+') {
            /* phone's only; past its bound, adding is a no-op */
            phone_add(t, len, i++, phone);
            continue;
        }
        size_t a = i;
        while (i < len && sg_ascii_digit(t[i]))
            i++;
        number_run(t, len, a, i, all);
    }
}
