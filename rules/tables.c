/*
 * tables.c - rows with named columns in text: CSV, TSV, semicolon- and
 * pipe-separated lists, spreadsheet rows (one row a line, cells
 * tab-separated, as the attachment text extractor writes them) and HTML
 * tables (reduced to the same form by the message view builder).
 *
 * A table starts at a header row: two or more cells, one of which names a
 * person's name (Surname, Forename, First name, Last name, Name, Pupil,
 * ...) in any case, spacing or punctuation.  The lines after it that split
 * into as many cells with the same separator are its data rows, up to a
 * line that does not (a blank line, prose).  A header cell naming a date
 * of birth (DOB, D.O.B., Date of birth, Birth date, Birthday, Born) makes
 * that column's cells dates: dd/mm/yyyy (or with dots or dashes), yyyy-mm-dd
 * (a time after it is ignored), d MMM yyyy, d-MMM-yyyy, and spreadsheet
 * serial numbers (days since 1899-12-30, as the 1900 date system counts
 * them; 1 to 60000).
 *
 * Cost: one pass over the text, each line split once; cells and rows are
 * bounded (TABLE_MAX_CELLS, TABLE_CELL_MAX), so a hostile text costs time
 * linear in its size and no memory beyond a fixed array.
 *
 * SECURITY: the text is attacker-controlled; every read is inside
 * [text, text + len) and every copy is capped.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "bytes.h"
#include "scan16.h"
#include "sg_swar.h"
#include "tables.h"

#define TABLE_MAX_CELLS 64
#define TABLE_CELL_MAX 128 /* longer cells are not names or dates */
#define TABLE_HEADER_MAX 40 /* nor header labels longer than this */

enum col_kind { COL_OTHER = 0, COL_SURNAME, COL_FORENAME, COL_NAME, COL_DOB };

struct cell {
    const char *s;
    size_t len;
};

struct table {
    char sep;  /* 0: no table open */
    size_t n_cols;
    int surname, forename, name, dob; /* column index, -1 none */
};

/* Header words, compared on the cell's letters only, lower-cased:
 * "Date of Birth" is "dateofbirth", "D.O.B." is "dob". */
#define H(w, k) {w, sizeof(w) - 1, k}
static const struct {
    const char *word;
    size_t len;
    enum col_kind kind;
} headers[] = {
    H("surname", COL_SURNAME), H("lastname", COL_SURNAME),
    H("familyname", COL_SURNAME), H("legalsurname", COL_SURNAME),
    H("pupilsurname", COL_SURNAME), H("studentsurname", COL_SURNAME),
    H("childsurname", COL_SURNAME), H("last", COL_SURNAME),
    H("forename", COL_FORENAME), H("forenames", COL_FORENAME),
    H("firstname", COL_FORENAME), H("firstnames", COL_FORENAME),
    H("givenname", COL_FORENAME), H("givennames", COL_FORENAME),
    H("legalforename", COL_FORENAME), H("preferredforename", COL_FORENAME),
    H("preferredname", COL_FORENAME), H("knownas", COL_FORENAME),
    H("pupilforename", COL_FORENAME), H("childforename", COL_FORENAME),
    H("first", COL_FORENAME), H("name", COL_NAME),
    H("names", COL_NAME), H("fullname", COL_NAME),
    H("pupil", COL_NAME), H("pupilname", COL_NAME),
    H("student", COL_NAME), H("studentname", COL_NAME),
    H("child", COL_NAME), H("childname", COL_NAME),
    H("childsname", COL_NAME), H("learner", COL_NAME),
    H("learnername", COL_NAME), H("participant", COL_NAME),
    H("participantname", COL_NAME), H("player", COL_NAME),
    H("dob", COL_DOB), H("dateofbirth", COL_DOB),
    H("birthdate", COL_DOB), H("birthday", COL_DOB),
    H("born", COL_DOB), H("pupildob", COL_DOB),
    H("childdob", COL_DOB), H("dobddmmyyyy", COL_DOB),
};
#undef H

/* The header words by length: by_len[len_at[k] .. len_at[k + 1]) are the
 * indexes in headers[] of the words of k letters (k up to
 * TABLE_HEADER_MAX: a cell with more letters is no header); and by first
 * letter, the lengths of the words that start with it (bit k: a word of
 * k letters).  Built at first use from the list. */
#define N_HEADERS (sizeof(headers) / sizeof(headers[0]))
static unsigned char by_len[N_HEADERS];
static unsigned char len_at[TABLE_HEADER_MAX + 2];
static uint64_t first_lens[26];
/* and by their first two letters: bit b of first_two[a], a word that
 * starts with letters a and b; name_two[a] likewise for the surname and
 * name words alone (COL_SURNAME, COL_NAME: those that make a header), and
 * word_min and name_min the fewest letters of a word of each set */
static uint32_t first_two[26], name_two[26];
static size_t word_min, name_min;
static pthread_once_t by_len_once = PTHREAD_ONCE_INIT;

static void
by_len_build(void)
{
    size_t n = 0;
    for (size_t k = 0; k <= TABLE_HEADER_MAX; k++) {
        len_at[k] = (unsigned char)n;
        for (size_t i = 0; i < N_HEADERS; i++)
            if (headers[i].len == k) {
                by_len[n++] = (unsigned char)i;
                first_lens[headers[i].word[0] - 'a'] |= UINT64_C(1) << k;
                first_two[headers[i].word[0] - 'a'] |=
                    UINT32_C(1) << (headers[i].word[1] - 'a');
                if (word_min == 0)
                    word_min = k;
                if (headers[i].kind != COL_SURNAME &&
                    headers[i].kind != COL_NAME)
                    continue;
                name_two[headers[i].word[0] - 'a'] |=
                    UINT32_C(1) << (headers[i].word[1] - 'a');
                if (name_min == 0)
                    name_min = k;
            }
    }
    len_at[TABLE_HEADER_MAX + 1] = (unsigned char)n;
}

/* 1: an ASCII letter; 2: a byte beyond ASCII (no header word's) */
static const unsigned char letter_class[256] = {
    ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1, [0x80 ... 0xff] = 2,
};

/* Is the cell surely none of a set of header words (two: the set's first
 * two letters, as first_two; min: its fewest letters, two or more, as
 * header_kind takes too)?  Told without reading the cell when it is
 * shorter than min bytes, or when it starts with two ASCII letters that
 * start no word of the set (a name, a subject: most cells of a data row);
 * false when it cannot be told so, and header_kind reads it. */
static inline bool
no_word(const uint32_t *two, size_t min, const struct cell *c)
{
    if (c->len < min)
        return true;
    if (c->len < 2) /* a set with a one-letter word: read by header_kind */
        return false;
    unsigned char a = (unsigned char)c->s[0], b = (unsigned char)c->s[1];
    return letter_class[a] == 1 && letter_class[b] == 1 &&
           !((two[(a | 0x20) - 'a'] >> ((b | 0x20) - 'a')) & 1u);
}

/* Compared with the words of the same length only; and not at all when
 * the cell has no letters (a number, a date: most cells of a data row),
 * or no word starts with its first two letters (a name, a subject: most
 * of the others), or none that starts with its first is as short as the
 * rest of the cell.  Letters are ASCII (sg_ascii_alpha), lowered in line
 * (what tolower does in the C locale, at a call each a byte: a data
 * row's cells that no_word does not pass are tried, in case the row
 * repeats the header).  The tables are built (by_len_build) before the
 * first scan. */
static enum col_kind
header_kind(const struct cell *c, const char *end)
{
    const unsigned char *s = (const unsigned char *)c->s;
    size_t i = 0, second;
#ifdef SG_HAVE_SCAN16
    if (sg_scan16 && c->len <= 16 && end - c->s >= 16) {
        /* a cell of up to sixteen bytes (most) in one step: its letters
         * and bytes beyond ASCII as bit masks, the lanes past it left
         * out; a byte beyond ASCII anywhere, or fewer than two letters,
         * and it is no header word (as below, byte by byte) */
        unsigned in = (1u << c->len) - 1;
        sg_v16 v = sg_load16(c->s), w = v | 0x20;
        unsigned letters = sg_mask16((w >= 'a') & (w <= 'z')) & in;
        if ((sg_mask16(v) & in) != 0 || (letters & (letters - 1)) == 0)
            return COL_OTHER;
        i = (size_t)__builtin_ctz(letters);
        second = (size_t)__builtin_ctz(letters & (letters - 1));
    } else
#else
    (void)end;
#endif
    {
        while (i < c->len && letter_class[s[i]] == 0)
            i++; /* a date's or number's bytes, one look-up each */
        if (i == c->len || letter_class[s[i]] == 2)
            return COL_OTHER;
        second = i + 1; /* the second letter: every word has one */
        while (second < c->len && !sg_ascii_alpha(s[second]) &&
               s[second] < 0x80)
            second++;
        if (second == c->len || s[second] >= 0x80)
            return COL_OTHER;
    }
    if (!((first_two[(s[i] | 0x20) - 'a'] >> ((s[second] | 0x20) - 'a')) &
          1u))
        return COL_OTHER;
    size_t rest = c->len - i; /* the most letters the cell can have */
    uint64_t lens = rest < 63 ? (UINT64_C(2) << rest) - 1 : ~UINT64_C(0);
    if ((first_lens[(s[i] | 0x20) - 'a'] & lens) == 0)
        return COL_OTHER;
    char w[TABLE_HEADER_MAX];
    size_t k = 0;
    for (; i < c->len; i++) {
        unsigned char ch = s[i];
        if (sg_ascii_alpha(ch)) {
            if (k >= sizeof(w))
                return COL_OTHER;
            w[k++] = (char)(ch | 0x20);
        } else if (ch >= 0x80) {
            return COL_OTHER;
        }
    }
    for (size_t j = len_at[k]; j < len_at[k + 1]; j++) {
        size_t h = by_len[j];
        if (headers[h].word[0] == w[0] && memcmp(w, headers[h].word, k) == 0)
            return headers[h].kind;
    }
    return COL_OTHER;
}

/* The cell s[0..len) without the spaces and CRs at its ends (a look-up a
 * byte, on locals: split stores each cell once). */
static inline struct cell
trimmed(const char *s, size_t len)
{
    static const bool blank[256] = {[' '] = true, ['\r'] = true};
    while (len > 0 && blank[(unsigned char)s[0]])
        s++, len--;
    while (len > 0 && blank[(unsigned char)s[len - 1]])
        len--;
    return (struct cell){s, len};
}

static inline void
trim(struct cell *c)
{
    *c = trimmed(c->s, c->len);
}

#ifdef SG_HAVE_SCAN16
/* split's cells of a line with no double quote: the bytes between
 * separators, trimmed, the separators found sixteen bytes a step (read on
 * past the line's end while the text goes on: avail bytes readable from
 * line, the lanes past the end left out). */
static size_t
split_plain16(const char *line, size_t len, size_t avail, char sep,
              struct cell *cells, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t base = 0; base < len; base += 16) {
        unsigned m = 0;
        if (base + 16 <= avail) {
            m = sg_mask16(sg_load16(line + base) == sep);
            if (len - base < 16)
                m &= (1u << (len - base)) - 1;
        } else {
            for (size_t k = 0; base + k < len; k++)
                m |= (unsigned)(line[base + k] == sep) << k;
        }
        for (; m != 0; m &= m - 1) {
            size_t at = base + (size_t)__builtin_ctz(m);
            cells[n] = trimmed(line + start, at - start);
            if (++n == max)
                return n;
            start = at + 1;
        }
    }
    cells[n] = trimmed(line + start, len - start);
    return n + 1;
}
#endif

#ifdef SG_HAVE_SCAN16
/* A line in a table whose separator is tsep, read in one pass sixteen
 * bytes a step when it is a plain data row: no double quote, a tsep, and
 * (tsep not a tab) no tab nor other separator, so that line_separator16
 * would say tsep and no quote.  Its cells then as split_plain16 gives
 * them (into cells, *n_r of them) and its length (*len_r): true.  false
 * as soon as a step shows otherwise, and for a line that runs into the
 * text's last sixteen bytes: the line is read as any other.  Instead of
 * line_scan16's count of each separator and split_plain16's steps over
 * the line again: most lines in a table are such rows. */
static bool
row_scan16(const char *line, size_t avail, char tsep, size_t *len_r,
           struct cell *cells, size_t *n_r)
{
    size_t n = 0, start = 0;
    unsigned seen = 0;
    for (size_t i = 0; avail - i >= 16; i += 16) {
        sg_v16 v = sg_load16(line + i);
        unsigned nl = sg_mask16(v == '\n');
        unsigned lanes = nl != 0 ? (1u << __builtin_ctz(nl)) - 1 : 0xffffu;
        unsigned m = sg_mask16(v == tsep) & lanes;
        sg_v16 bad = v == '"';
        if (tsep != '\t')
            bad |= (v == '\t') | (v == ',') | (v == ';') | (v == '|');
        if ((sg_mask16(bad) & ~m & lanes) != 0)
            return false;
        seen |= m;
        for (; m != 0 && n < TABLE_MAX_CELLS; m &= m - 1) {
            size_t at = i + (size_t)__builtin_ctz(m);
            cells[n++] = trimmed(line + start, at - start);
            start = at + 1;
        }
        if (nl != 0) {
            if (seen == 0)
                return false;
            size_t len = i + (size_t)__builtin_ctz(nl);
            if (n < TABLE_MAX_CELLS)
                cells[n++] = trimmed(line + start, len - start);
            *len_r = len;
            *n_r = n;
            return true;
        }
    }
    return false;
}
#endif

/* Split one line at sep; a cell that starts with a double quote runs to
 * its closing quote (CSV).  The number of cells (at most max).  plain:
 * the line has no double quote; avail: the bytes readable from line. */
static size_t
split(const char *line, size_t len, size_t avail, char sep, bool plain,
      struct cell *cells, size_t max)
{
#ifdef SG_HAVE_SCAN16
    if (sg_scan16 && plain)
        return split_plain16(line, len, avail, sep, cells, max);
#else
    (void)avail;
    (void)plain;
#endif
    size_t n = 0, i = 0;
    while (n < max) {
        while (i < len && line[i] == ' ')
            i++;
        struct cell c = {line + i, 0};
        if (i < len && line[i] == '"') {
            size_t q = ++i;
            while (i < len && !(line[i] == '"' &&
                                (i + 1 >= len || line[i + 1] != '"')))
                i += line[i] == '"' ? 2 : 1;
            c = (struct cell){line + q, (i < len ? i : len) - q};
            while (i < len && line[i] != sep)
                i++;
        } else {
            while (i < len && line[i] != sep)
                i++;
            c.len = (size_t)(line + i - c.s);
        }
        trim(&c);
        cells[n++] = c;
        if (i >= len)
            break;
        i++; /* the separator */
    }
    return n;
}

/* The bytes line_separator counts, by class: 1 to 3 the separators,
 * 4 the double quote, 0 any other. */
static const unsigned char sep_class[256] = {
    [','] = 1, [';'] = 2, ['|'] = 3, ['"'] = 4,
};

#ifdef SG_HAVE_SCAN16
/* The sum of v's sixteen lanes, each a count of at most 255 (none when
 * all are 0, as most are: a row has one kind of separator), added to
 * *count; v set to 0. */
static inline void
lanes_add(sg_u16 *v, size_t *count)
{
    uint64_t half[2];
    memcpy(half, v, sizeof(half));
    if ((half[0] | half[1]) == 0)
        return;
    for (int k = 0; k < 2; k++) {
        uint64_t x = half[k];
        x = (x & 0x00ff00ff00ff00ffULL) + ((x >> 8) & 0x00ff00ff00ff00ffULL);
        *count += (size_t)((x * 0x0001000100010001ULL) >> 48);
    }
    *v = (sg_u16){0};
}

/* One pass over a line, sixteen bytes a step: its length (to its
 * newline, or the text's end: avail bytes readable from line), whether it
 * has a double quote and a tab, and count[1..3] of its commas,
 * semicolons and pipes (quoted or not).  Each lane counts its matches
 * unsigned (the compare's all-ones lane, 255, subtracted: one more,
 * modulo 256), summed before one can pass 255 and at the end; the lanes
 * from the newline on are left out; the last bytes, fewer than sixteen
 * to the text's end, one by one.  Instead of a memchr for the newline,
 * one for the quote, one for the tab and a count after them. */
static size_t
line_scan16(const char *line, size_t avail, bool *quote_r, bool *tab_r,
            size_t *count)
{
    static const sg_v16 lane = {0, 1, 2, 3, 4, 5, 6, 7,
                                8, 9, 10, 11, 12, 13, 14, 15};
    sg_u16 comma = {0}, semi = {0}, pipe = {0};
    sg_v16 quote = {0}, tab = {0};
    size_t i = 0;
    int steps = 0;
    bool end = false;
    while (!end && avail - i >= 16) {
        sg_v16 v = sg_load16(line + i);
        unsigned nl = sg_mask16(v == '\n');
        size_t step = 16;
        if (nl != 0) { /* the line ends inside: lanes from there out */
            step = (size_t)__builtin_ctz(nl);
            v &= lane < (signed char)step;
            end = true;
        }
        comma -= (sg_u16)(v == ',');
        semi -= (sg_u16)(v == ';');
        pipe -= (sg_u16)(v == '|');
        quote |= v == '"';
        tab |= v == '\t';
        i += step;
        if (++steps == 255) {
            lanes_add(&comma, &count[1]);
            lanes_add(&semi, &count[2]);
            lanes_add(&pipe, &count[3]);
            steps = 0;
        }
    }
    lanes_add(&comma, &count[1]);
    lanes_add(&semi, &count[2]);
    lanes_add(&pipe, &count[3]);
    bool q = sg_mask16(quote) != 0, t = sg_mask16(tab) != 0;
    for (; !end && i < avail && line[i] != '\n'; i++) {
        unsigned char c = (unsigned char)line[i];
        count[sep_class[c]]++;
        q |= c == '"';
        t |= c == '\t';
    }
    *quote_r = q;
    *tab_r = t;
    return i;
}
#endif

/* The separator a line uses: a tab when it has one, else the most common
 * of , ; | outside quotes; 0 when none.  count[1..3]: the line's commas,
 * semicolons and pipes, quoted or not, as counted for a line with no
 * quote (plain); a line with quotes is counted again here, one look-up a
 * byte: a byte of no class counts in count[0], which is not read; so
 * does a quote, which turns quoted over, and a byte in quotes. */
static char
separator_pick(const char *line, size_t len, bool plain, bool tab,
               size_t *count)
{
    if (tab)
        return '\t';
    if (!plain) {
        bool quoted = false;
        count[1] = count[2] = count[3] = 0;
        for (size_t i = 0; i < len; i++) {
            unsigned k = sep_class[(unsigned char)line[i]];
            quoted ^= k == 4;
            count[quoted ? 0 : k & 3]++;
        }
    }
    size_t comma = count[1], semi = count[2], pipe = count[3];
    if (comma == 0 && semi == 0 && pipe == 0)
        return 0;
    return comma >= semi && comma >= pipe ? ',' : semi >= pipe ? ';' : '|';
}

/* The separator of line[0..len) (separator_pick), with memchr for the
 * quote and tab and a look-up a byte: the form where line_scan16 is not
 * built or not taken.  *plain_r: whether the line has no double quote. */
static char
line_separator(const char *line, size_t len, bool *plain_r)
{
    size_t count[5] = {0, 0, 0, 0, 0};
    *plain_r = memchr(line, '"', len) == NULL;
    bool tab = memchr(line, '\t', len) != NULL;
    if (*plain_r && !tab)
        for (size_t i = 0; i < len; i++)
            count[sep_class[(unsigned char)line[i]]]++;
    return separator_pick(line, len, *plain_r, tab, count);
}

#ifdef SG_HAVE_SCAN16
/* The separator of the line at line (separator_pick), its length (*len_r)
 * and whether it has no double quote (*plain_r), from one line_scan16
 * pass: avail, the bytes to the text's end. */
static char
line_separator16(const char *line, size_t avail, size_t *len_r,
                 bool *plain_r)
{
    size_t count[5] = {0, 0, 0, 0, 0};
    bool quote, tab;
    *len_r = line_scan16(line, avail, &quote, &tab, count);
    *plain_r = !quote;
    return separator_pick(line, *len_r, *plain_r, tab, count);
}
#endif

/* Is this line a header?  Fill t from it.  end: the text's end (a cell
 * is read sixteen bytes at once when they are all before it). */
static bool
header_read(const struct cell *cells, size_t n, const char *end, char sep,
            struct table *t)
{
    if (n < 2)
        return false;
    /* headers are labels: a sentence split at its commas is not */
    for (size_t i = 0; i < n; i++)
        if (cells[i].len > TABLE_HEADER_MAX)
            return false;
    struct table h = {sep, n, -1, -1, -1, -1};
    for (size_t i = 0; i < n; i++) {
        int *slot = NULL;
        if (sg_tables_word_filter && no_word(first_two, word_min, &cells[i]))
            continue;
        switch (header_kind(&cells[i], end)) {
        case COL_SURNAME:
            slot = &h.surname;
            break;
        case COL_FORENAME:
            slot = &h.forename;
            break;
        case COL_NAME:
            slot = &h.name;
            break;
        case COL_DOB:
            slot = &h.dob;
            break;
        case COL_OTHER:
            break;
        }
        if (slot != NULL && *slot < 0)
            *slot = (int)i;
    }
    if (h.surname < 0 && h.name < 0)
        return false;
    *t = h;
    return true;
}

/* Is this data row its table's header repeated: would header_read take
 * it?  The same answer, cheaper: one pass over the cells, each looked at
 * only for a surname or name word (a header needs one; the forename and
 * date of birth words cannot make one alone), most of them told apart by
 * no_word without header_kind. */
static bool
header_repeated(const struct cell *cells, size_t n, const char *end)
{
    if (n < 2)
        return false;
    bool named = false;
    for (size_t i = 0; i < n; i++) {
        if (cells[i].len > TABLE_HEADER_MAX)
            return false;
        if (named || no_word(name_two, name_min, &cells[i]))
            continue;
        enum col_kind k = header_kind(&cells[i], end);
        named = k == COL_SURNAME || k == COL_NAME;
    }
    return named;
}

/* A cell that can be (part of) a person's name: letters, spaces,
 * apostrophes, hyphens, full stops and one comma; no digits, no '@'.
 * end: the text's end (a step of sixteen bytes may read up to it). */
static bool
name_cell(const struct cell *c, const char *end)
{
    /* 1: no name holds it; 2: a letter (ASCII, or a byte of a character
     * beyond it); one look-up a byte */
    static const unsigned char name_class[256] = {
        ['0' ... '9'] = 1, ['@'] = 1, ['/'] = 1, [':'] = 1, ['('] = 1,
        ['\t'] = 1, ['A' ... 'Z'] = 2, ['a' ... 'z'] = 2, [0x80 ... 0xff] = 2,
    };
    if (c->len == 0 || c->len > TABLE_CELL_MAX)
        return false;
#ifdef SG_HAVE_SCAN16
    if (sg_scan16 && c->len <= 16 && end - c->s >= 16) {
        /* a cell of up to sixteen bytes (a name, most) in one step, as
         * the classes above say, the lanes past it left out */
        unsigned in = (1u << c->len) - 1;
        sg_v16 v = sg_load16(c->s), w = v | 0x20;
        unsigned bad = sg_mask16(((v >= '0') & (v <= '9')) | (v == '@') |
                                 (v == '/') | (v == ':') | (v == '(') |
                                 (v == '\t'));
        unsigned letter = sg_mask16(((w >= 'a') & (w <= 'z')) | (v < 0));
        return (bad & in) == 0 && (letter & in) != 0;
    }
#else
    (void)end;
#endif
    unsigned seen = 0;
    for (size_t i = 0; i < c->len; i++) {
        unsigned k = name_class[(unsigned char)c->s[i]];
        if (k == 1)
            return false;
        seen |= k;
    }
    return seen != 0;
}

/* The person's name from the row, "Forename Surname", into row->name; a
 * Name cell written "Surname, Forename" is turned round.  false when the
 * row has none.  end: the text's end. */
static bool
row_name(const struct table *t, const struct cell *cells, size_t n,
         const char *end, struct tables_row *row)
{
    const struct cell *sur = t->surname >= 0 && (size_t)t->surname < n
                                 ? &cells[t->surname]
                                 : NULL;
    const struct cell *fore = t->forename >= 0 && (size_t)t->forename < n
                                  ? &cells[t->forename]
                                  : NULL;
    struct cell first = {NULL, 0}, last = {NULL, 0};
    if (sur != NULL && name_cell(sur, end)) {
        if (fore != NULL && name_cell(fore, end))
            first = *fore, last = *sur;
        else
            first = *sur;
    } else if (t->name >= 0 && (size_t)t->name < n &&
               name_cell(&cells[t->name], end)) {
        const struct cell *c = &cells[t->name];
        const char *comma = memchr(c->s, ',', c->len);
        if (comma != NULL) {
            last = (struct cell){c->s, (size_t)(comma - c->s)};
            first = (struct cell){comma + 1,
                                  (size_t)(c->s + c->len - comma - 1)};
            trim(&last);
            trim(&first);
        } else {
            first = *c;
        }
    } else {
        return false;
    }
    row->name[0].s = first.s, row->name[0].len = first.len;
    row->name[1].s = last.s, row->name[1].len = last.len;
    return true;
}

/* Append s[0..len), up to a NUL in it (as "%.*s"), to out[0..*k), cut
 * to size - 1 bytes in all. */
static void
name_put(char *out, size_t size, size_t *k, const char *s, size_t len)
{
    len = strnlen(s, len);
    if (len > size - 1 - *k)
        len = size - 1 - *k;
    memcpy(out + *k, s, len);
    *k += len;
}

void
sg_tables_row_name(const struct tables_row *row, char *out, size_t size)
{
    size_t k = 0;
    if (size == 0)
        return;
    if (row->has_name) {
        name_put(out, size, &k, row->name[0].s, row->name[0].len);
        if (row->name[1].s != NULL) {
            name_put(out, size, &k, " ", 1);
            name_put(out, size, &k, row->name[1].s, row->name[1].len);
        }
    }
    out[k] = '\0';
}

/* A date of birth cell: a serial number or a written date. */
static bool
dob_cell(const struct cell *c, struct sg_date *out)
{
    if (c->len == 0 || c->len > 40)
        return false;
    size_t digits = 0;
    while (digits < c->len && sg_ascii_digit((unsigned char)c->s[digits]))
        digits++;
    if (digits == c->len && digits <= 5) {
        /* the cell's digits alone: a text need not end in a NUL */
        long serial = 0;
        for (size_t i = 0; i < digits; i++)
            serial = serial * 10 + (c->s[i] - '0');
        return sg_rules_serial_date(serial, out) == 0;
    }
    size_t len = c->len;
    /* yyyy-mm-dd hh:mm[:ss]: the date alone */
    if (len > 10 && digits == 4 && c->s[4] == '-' && c->s[10] == ' ')
        len = 10;
    return sg_rules_date_parse(c->s, len, out) == 0;
}

bool sg_tables_prefilter = true;
bool sg_tables_word_filter = true;

/* The length of the line at line: to its newline, or avail, the bytes to
 * the text's end.  Sixteen bytes a step in line where scan16.h is built
 * (a line of a letter is a few steps: cheaper than a memchr call), else
 * by memchr. */
static size_t
line_end(const char *line, size_t avail)
{
    size_t i = 0;
#ifdef SG_HAVE_SCAN16
    if (sg_scan16) {
        for (; avail - i >= 16; i += 16) {
            unsigned nl = sg_mask16(sg_load16(line + i) == '\n');
            if (nl != 0)
                return i + (size_t)__builtin_ctz(nl);
        }
    }
#endif
    const char *nl = memchr(line + i, '\n', avail - i);
    return nl != NULL ? (size_t)(nl - line) : avail;
}

/* Can a line be a header, when no table is open?  false only when it
 * cannot: split would give it a cell longer than TABLE_HEADER_MAX among
 * its first TABLE_MAX_CELLS, which header_read refuses.  A line without
 * a double quote is cut into cells only at one of tab , ; | (whichever
 * line_separator picks), and a cell is trimmed of spaces and CRs only at
 * its ends: so a stretch with none of those four, from a byte that is no
 * space or CR to another more than TABLE_HEADER_MAX bytes on, lies in one
 * cell at least that long, which is among the first TABLE_MAX_CELLS when
 * fewer than TABLE_MAX_CELLS - 1 separators of any kind come before it.
 * Most lines of prose show such a stretch within their first sentence,
 * and the rest of the line is not read (it was split whole).  *none:
 * the line was read whole and has no quote or separator (it splits into
 * no cells: line_separator would say 0).  Read eight bytes a step where
 * none of them is a quote or separator (line_prefilter reads sixteen where
 * scan16.h is built, and comes here for the text's last line when its
 * steps did not settle it: that line is read again from its start). */
static bool
may_be_header(const char *line, size_t len, bool *none)
{
    *none = false;
    size_t seps = 0, first = 0;
    bool in = false; /* first: the stretch's first byte not a space or CR */
    size_t i = 0;
    while (i < len && seps < TABLE_MAX_CELLS - 1) {
        /* eight bytes with no quote or separator at once: the stretch
         * starts at their first byte not a space or CR, if none has, and
         * reaches their last */
        if (len - i >= 8) {
            uint64_t v = sg_load8(line + i);
            uint64_t cut = sg_swar_eq(v, '"') | sg_swar_eq(v, '\t') |
                           sg_swar_eq(v, ',') | sg_swar_eq(v, ';') |
                           sg_swar_eq(v, '|');
            if (cut == 0) {
                uint64_t solid = ~(sg_swar_eq(v, ' ') | sg_swar_eq(v, '\r')) &
                                 SG_SWAR_HIGH;
                if (solid != 0) {
                    if (!in) {
                        in = true;
                        first = i + (size_t)__builtin_ctzll(solid) / 8;
                    }
                    if (i + (size_t)(63 - __builtin_clzll(solid)) / 8 - first >=
                        TABLE_HEADER_MAX)
                        return false;
                }
                i += 8;
                continue;
            }
        }
        /* else byte by byte, to the end of those eight */
        for (size_t stop = len - i > 8 ? i + 8 : len;
             i < stop && seps < TABLE_MAX_CELLS - 1; i++) {
            char c = line[i];
            if (c == '"')
                return true;
            if (c == '\t' || c == ',' || c == ';' || c == '|') {
                seps++;
                in = false;
            } else if (c != ' ' && c != '\r') {
                if (!in) {
                    in = true;
                    first = i;
                } else if (i - first >= TABLE_HEADER_MAX) {
                    return false;
                }
            }
        }
    }
    *none = seps == 0; /* read whole: no quote, tab , ; or | in it */
    return true;
}

/* may_be_header's answer for the line at line, and the line's length
 * (*len_r: to its newline, or avail, the bytes to the text's end), from
 * one pass: sixteen bytes a step where scan16.h is built, each step's
 * newline found with its cuts and solid bytes, the lanes from the newline
 * on left out; once the answer is known, the rest of the line by its
 * newline alone (line_end).  Instead of line_end's steps to the line's end
 * and may_be_header's over its start again.  The text's last line, when
 * its sixteen-byte steps neither found its newline nor settled the
 * answer, may_be_header reads again from its start (once a text). */
static bool
line_prefilter(const char *line, size_t avail, size_t *len_r, bool *none)
{
#ifdef SG_HAVE_SCAN16
    if (sg_scan16) {
        /* Sixteen bytes a step: the bytes that cut a stretch (a quote or
         * separator) and those that are solid (no space, CR or cut) as bit
         * masks, each stretch's part in the step read off the solid bits
         * between two cuts; a step costs a few instructions a cut, not a
         * few a byte. */
        size_t seps = 0, first = 0, i = 0;
        bool in = false; /* first: the stretch's first byte no space or CR */
        bool may = true;
        unsigned nl = 0;
        for (; avail - i >= 16; i += 16) {
            sg_v16 v = sg_load16(line + i);
            nl = sg_mask16(v == '\n');
            unsigned lanes = nl != 0 ? (1u << __builtin_ctz(nl)) - 1 : 0xffffu;
            unsigned quote = sg_mask16(v == '"') & lanes;
            unsigned cut = quote | (sg_mask16((v == '\t') | (v == ',') |
                                              (v == ';') | (v == '|')) &
                                    lanes);
            unsigned solid = ~(cut | sg_mask16((v == ' ') | (v == '\r'))) &
                             lanes;
            for (;;) {
                /* the solid bytes before the next cut (or the step's end) */
                unsigned before = cut != 0
                                      ? solid & ((1u << __builtin_ctz(cut)) - 1)
                                      : solid;
                if (before != 0) {
                    if (!in) {
                        in = true;
                        first = i + (size_t)__builtin_ctz(before);
                    }
                    if (i + (size_t)(31 - __builtin_clz(before)) - first >=
                        TABLE_HEADER_MAX) {
                        may = false;
                        goto known;
                    }
                }
                if (cut == 0)
                    break;
                unsigned at = (unsigned)__builtin_ctz(cut);
                if ((quote >> at) & 1u || ++seps == TABLE_MAX_CELLS - 1)
                    goto known; /* may be: split it */
                in = false;
                solid &= ~((2u << at) - 1); /* past the cut */
                cut &= cut - 1;
            }
            if (nl != 0) { /* read whole */
                *len_r = i + (size_t)__builtin_ctz(nl);
                *none = seps == 0;
                return true;
            }
        }
        /* the text's last line, not settled by its steps: read again */
        *len_r = i + line_end(line + i, avail - i);
        return may_be_header(line, *len_r, none);
    known:
        *none = false;
        *len_r = nl != 0 ? i + (size_t)__builtin_ctz(nl)
                         : i + 16 + line_end(line + i + 16, avail - i - 16);
        return may;
    }
#endif
    *len_r = line_end(line, avail);
    return may_be_header(line, *len_r, none);
}

int
sg_tables_scan(const char *text, size_t len, tables_row_fn *fn, void *ctx)
{
    pthread_once(&by_len_once, by_len_build);
    struct table t = {0, 0, -1, -1, -1, -1};
    struct cell cells[TABLE_MAX_CELLS];
    size_t pos = 0;
    while (pos < len) {
        const char *line = text + pos;
        size_t ll;
        bool plain;
        char sep;
        size_t n = 0;
#ifdef SG_HAVE_SCAN16
        if (sg_scan16 && t.sep != 0 &&
            row_scan16(line, len - pos, t.sep, &ll, cells, &n)) {
            /* a plain data row, split in the same pass */
            sep = t.sep;
            plain = true;
        } else if (sg_scan16 && t.sep != 0) {
            /* in a table: the line's end and separators in one pass */
            sep = line_separator16(line, len - pos, &ll, &plain);
        } else
#endif
        {
            bool none = false;
            if (t.sep != 0 || !sg_tables_prefilter)
                ll = line_end(line, len - pos);
            else if (!line_prefilter(line, len - pos, &ll, &none) || none) {
                /* no table open, and this line opens none (nor has it a
                 * separator: no cells) */
                pos += ll + 1;
                continue;
            }
#ifdef SG_HAVE_SCAN16
            if (sg_scan16)
                sep = line_separator16(line, len - pos, &ll, &plain);
            else
#endif
                sep = line_separator(line, ll, &plain);
        }
        size_t next = pos + ll + 1;
        struct tables_row row = {.start = pos, .end = pos + ll};
        if (n == 0 && sep != 0)
            n = split(line, ll, len - pos, sep, plain, cells,
                      TABLE_MAX_CELLS);
        bool is_row = t.sep != 0 && sep == t.sep && n + 1 >= t.n_cols;
        if (is_row) {
            /* a data row (or a repeated header, which has no name) */
            row.header = false;
            if (sg_tables_word_filter
                    ? !header_repeated(cells, n, text + len)
                    : !header_read(cells, n, text + len, sep,
                                   &(struct table){0})) {
                row.has_name = row_name(&t, cells, n, text + len, &row);
                row.has_dob = t.dob >= 0 && (size_t)t.dob < n &&
                              dob_cell(&cells[t.dob], &row.dob);
            }
        } else if (sep != 0 && header_read(cells, n, text + len, sep, &t)) {
            row.header = true;
            is_row = true;
        } else {
            t.sep = 0;
        }
        if (is_row) {
            int r = fn(ctx, &row);
            if (r != 0)
                return r < 0 ? -1 : 0;
        }
        pos = next;
    }
    return 0;
}
