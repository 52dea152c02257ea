/*
 * detect.h - the detectors (detect.c: built-ins and the scan;
 * detect_validate.c: what makes a match a finding; detect_spelt.c: addresses
 * and numbers spelt out in words; detect_tables.c: the rows of tables).
 * librules internal; included by the parser, the explanations and the
 * evaluator.
 */
#ifndef SG_RULES_DETECT_H
#define SG_RULES_DETECT_H

#include <stdint.h>

#include "rules_int.h"

/* The dates pupil-dob reads (UK order: day first; dates.c parses them),
 * as PCRE2 and the C walk for its candidates (sg_detect_number_candidates)
 * read them: ASCII digits, months with a capital. */
#define DOB_MONTHS                                                            \
    "Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|"       \
    "Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|"             \
    "Dec(?:ember)?"
#define DOB_DATE                                                              \
    "\\d{1,2}[/.\\-]\\d{1,2}[/.\\-](?:19|20)\\d\\d|(?:19|20)\\d\\d-\\d\\d-"   \
    "\\d\\d|\\d{1,2}(?:st|nd|rd|th)?[ \\t]+(?:" DOB_MONTHS                    \
    ")\\.?,?[ \\t]+"                                                          \
    "(?:19|20)\\d\\d"

/* Validate one match; 1 keep, 0 drop. */
int sg_detect_validate(const struct sg_rules *rules, const struct detector *d,
                       const char *text, size_t len, size_t start, size_t end,
                       time_t now);
int sg_detectors_builtin_add(struct sg_rules *rules, const char **error_r);
/* The account a social-media match or a school_social_accounts entry
 * names, as "network/name" (network "" when it does not say), lower
 * case, into key; 0, or -1 when it names no account. */
int sg_social_account(const char *text, size_t len, char *key, size_t size);
/* The built-in consumer mail providers (personal-email), NULL-ended. */
extern const char *const sg_personal_domains_builtin[];
/* Normalise a UK phone number in any written form to national digits
 * ("07700900123"); 0 or -1. */
int sg_phone_normalise(const char *in, char *out, size_t outsz);
int sg_upn_valid(const char *s, size_t len);
int sg_nhs_valid(const char *digits10);
int sg_uln_valid(const char *digits10);

/* The pupil lookups of one evaluation (pupil-roster): the caller's
 * callback, and a budget so that a message full of capitalised words
 * cannot make thousands of directory lookups. */
#define DETECT_MAX_NAME_LOOKUPS 300
/* Candidate names looked at (asked or seen before), so that a text of
 * repeated capitalised words is not read to its end name by name. */
#define DETECT_MAX_NAME_CANDIDATES (10 * DETECT_MAX_NAME_LOOKUPS)
struct detect_lookup {
    sg_name_lookup_fn *fn; /* NULL: no lookups, pupil-roster finds none */
    void *ctx;
    struct strv tried; /* every name asked, at most the budget */
    unsigned candidates;
};
void sg_detect_lookup_clear(struct detect_lookup *l);

/* One detector's part in a scan: where its findings go, and how many it
 * keeps at most. */
struct detect_sink {
    const struct detector *d;
    struct sg_finding **out;
    size_t *n_out;
    size_t max_findings;
    /* personal-email: registered personal addresses (NULL: none known) */
    struct detect_personal *personal;
    struct detect_lookup *lookup; /* pupil-roster only; may be NULL */
};

/* What one evaluation knows of registered personal addresses, which are
 * personal whatever their domain: the sender's own, and the caller's
 * directory lookup for anyone's, asked for at most
 * DETECT_PERSONAL_LOOKUPS different addresses per evaluation (each once;
 * past that an address is not asked about, so a message listing
 * thousands costs no more). */
#define DETECT_PERSONAL_LOOKUPS 32
struct detect_personal {
    char *const *own;
    size_t n_own;
    sg_personal_lookup_fn *lookup; /* may be NULL */
    void *ctx;
    char *asked[DETECT_PERSONAL_LOOKUPS];
    bool answer[DETECT_PERSONAL_LOOKUPS];
    size_t n_asked;
};
void sg_detect_personal_clear(struct detect_personal *p);
bool sg_domain_is_school(const struct sg_rules *rules, const char *domain);
/* Find a detector by name; (size_t)-1 when none. */
size_t sg_rules_detector_find(const struct sg_rules *rules, const char *name);

/* ------------------------------------------------------------ the scan
 * One evaluation's scan state: the Hyperscan scratch space it took from
 * the rule set's pool (detect_hs.c), and, for the text being scanned, the
 * candidates of each pattern: the offsets where a match of it may end.
 * One Hyperscan pass over a text finds the candidates of every wanted
 * pattern; each pattern's PCRE2 form then runs only near its candidates.
 * Without Hyperscan (or for a pattern not in the database, or a text that
 * is not UTF-8) a pattern's candidate is the whole text: PCRE2 reads all
 * of it, as it always did.  Not shared between threads. */
struct detect_scan;
int sg_detect_scan_new(const struct sg_rules *rules,
                       struct detect_scan **scan_r);
/* Give the scratch space back to the pool and free the state. */
void sg_detect_scan_free(struct detect_scan **scan);
/* How many texts were scanned (test-only: the evaluator's tests count
 * scans through it); never reset. */
unsigned long sg_detect_texts_scanned(void);

/* Scan text once for all the sinks' detectors, offering every match to
 * each of the detectors whose pattern it is: validated, deduplicated, up to
 * its max_findings.  The sinks are in groups: a group's sinks share one
 * pattern (same_pattern_as: uk-mobile and uk-landline), at most
 * DETECT_SCAN_MAX per group, each group's sinks next to each other.  The
 * text is normalised first (normalise.c) and findings are its original
 * text.  scan: NULL, or the evaluation's (sg_detect_scan_new), which finds
 * every group's candidates in one pass.  Errors name the detector. */
#define DETECT_SCAN_MAX 4
int sg_detect_scan(const struct sg_rules *rules, struct detect_scan *scan,
                   const char *text, size_t len, const char *where,
                   time_t now, pcre2_match_data *md, pcre2_match_context *mctx,
                   const struct detect_sink *sinks, size_t n_sinks);
/* The same on a text already normalised (normalise.h): a caller that
 * scans one text several times normalises it once. */
struct sg_norm;
int sg_detect_scan_normalised(const struct sg_rules *rules,
                              struct detect_scan *scan,
                              const struct sg_norm *nt, const char *where,
                              time_t now, pcre2_match_data *md,
                              pcre2_match_context *mctx,
                              const struct detect_sink *sinks, size_t n_sinks);
/* Mark in want the detectors a condition asks for (content
 * conditions; others ask for none). */
struct cond;
void sg_detect_want_content(const struct cond *cd, bool *want);
/* The first detector of di's pattern: the one whose scan serves all. */
size_t sg_detect_root(const struct sg_rules *rules, size_t di);

/* ------------------------------------------------------------ within
 * the detectors: what detect.c, detect_validate.c, detect_spelt.c and
 * detect_tables.c share (the evaluator and the parser have no use for
 * these). */

/* The longest finding kept, in bytes; longer matches are cut. */
#define MAX_FINDING_TEXT 200
/* The letters of a UPN (no I, O, S), for its pattern and its check. */
#define UPN_LETTERS "ABCDEFGHJKLMNPQRTUVWXYZ"

/* (detect_validate.c) Validators that need capture group 1 (ov, rc of
 * the match); 1 keep, 0 drop. */
int sg_detect_validate_group(const struct sg_rules *rules,
                             const struct detector *d, const char *text,
                             const PCRE2_SIZE *ov, int rc, time_t now);
/* Born on dob, is someone of school age (2 to 19) at now (UTC)? */
bool sg_detect_school_age(const struct sg_date *dob, time_t now);
/* Is the address at start a message or content identifier (a cid: or
 * mid: URL, a Message-ID or Content-ID header, a contact card's UID)? */
bool sg_detect_email_is_identifier(const char *text, size_t start);
/* Does a word that names a reference number (order, invoice, ticket ...)
 * stand just before start? */
bool sg_detect_reference_before(const char *text, size_t start);

/* Where one pattern may end a match in one text (struct detect_scan). */
struct detect_cands {
    bool whole;   /* none known: PCRE2 reads the whole text */
    uint32_t *end; /* sorted, each once */
    size_t n, cap;
    /* The most kept for this text (0: sg_detect_max_candidates); past
     * it, cut is set and cut_at is the least end not kept: every
     * candidate below cut_at is in end[], and PCRE2 reads on from where
     * the last of those left it to the text's end. */
    size_t max;
    bool cut;
    size_t cut_at;
};
/* Candidates kept per pattern per text at least; a long text keeps more:
 * one for every sg_detect_candidate_bytes bytes of its length per pattern
 * wanted, so that the lists of all the patterns of one scan together are
 * no larger than the text (4 bytes a candidate).  Past that the pattern's
 * PCRE2 reads the rest of the text from the last candidate kept (nothing
 * is lost, it is only slower).  Variables so that a test can reach the
 * bound with a small text. */
extern size_t sg_detect_max_candidates;
extern size_t sg_detect_candidate_bytes;
/* Empty c: no candidate yet, none dropped, not whole. */
void sg_detect_cands_empty(struct detect_cands *c);
/* The bound for a text of len bytes scanned for n patterns. */
size_t sg_detect_cand_max(size_t len, size_t n);
/* Add end to c (ends come in order, but for Hyperscan's: see cut_at);
 * false when c holds its most already (c is cut) or memory ran out (c
 * then reads its text whole) (detect_cands.c). */
bool sg_detect_cand_add(struct detect_cands *c, size_t end);

#ifdef HAVE_HYPERSCAN
/* (detect_hs.c) The database of every detector pattern of rules (once all
 * are known, at load): sets each root detector's in_db and maxlen.  A
 * pattern Hyperscan refuses is left out (read whole), not an error.  The
 * database is read from cache_dir when it holds it, and saved there when
 * compiled (NULL or "": neither).  0 or -1 (allocation, or a database
 * that cannot be built at all). */
int sg_detect_hs_build(struct sg_rules *rules, const char *cache_dir,
                       const char **error_r);
void sg_detect_hs_free(struct detect_hs **hs);
/* A smaller database: the patterns of the detectors one rule asks for
 * (rules->hs_sets, smallest first), built with the whole one by
 * sg_detect_hs_build; freed by sg_detect_hs_sets_free. */
struct detect_hs_set {
    bool *holds; /* per detector: a root whose pattern it holds */
    size_t n;    /* how many */
    struct detect_hs *hs;
};
void sg_detect_hs_sets_free(struct sg_rules *rules);
/* Free the databases kept in memory that no rule set uses any more (the
 * next load of theirs reads scan_cache_dir or compiles). */
void sg_detect_hs_cache_clear(void);
/* One Hyperscan pass over nt: the candidates of each root detector i with
 * wanted[i] and in_db, into cands[i] (emptied first; whole when the text
 * is not UTF-8 or the bound is reached).  *scratch: NULL the first time
 * (one is taken from the pool); give it back with sg_detect_hs_put.
 * 0, or -1 with the error. */
int sg_detect_hs_candidates(const struct sg_rules *rules, void **scratch,
                            const struct sg_norm *nt, const bool *wanted,
                            struct detect_cands *cands);
void sg_detect_hs_put(const struct sg_rules *rules, void *scratch);
#endif

/* (detect_cands.c) The phone number's candidates in text[0..len), into
 * c, in both builds: the built-in phone pattern's (sg_detect_is_phone)
 * are not in the scan database. */
bool sg_detect_is_phone(const struct detector *d);
void sg_detect_phone_candidates(const char *text, size_t len,
                                struct detect_cands *c);
/* The built-in UPN, NHS number, ULN and pupil-dob patterns' candidates,
 * and the phone number's with them, in one walk over the runs of digits,
 * in both builds (NULL: not wanted). */
bool sg_detect_is_number(const struct detector *d);
void sg_detect_number_candidates(const char *text, size_t len,
                                 struct detect_cands *upn,
                                 struct detect_cands *nhs,
                                 struct detect_cands *uln,
                                 struct detect_cands *dob,
                                 struct detect_cands *phone);
/* Where a match can start at the earliest before a candidate E of
 * home-address's street word, or of social-media's or messaging-invite's
 * names. */
size_t sg_detect_address_from(const char *text, size_t E);
size_t sg_detect_name_from(const char *text, size_t E);
/* The same for a candidate E of pupil-dob's date; scan_pattern takes the
 * least of those of E and every later candidate. */
size_t sg_detect_dob_from(const char *text, size_t E);

/* (detect.c) Add the finding shown as shown[0..len) to one detector's
 * list: 1 added or already known, 2 when the detector has max_findings
 * already, -1 error. */
int sg_detect_finding_add(const struct detect_sink *k, const char *shown,
                          size_t len, const char *where);
/* pupil-roster: ask the caller's pupil lookup about name, once per name
 * and evaluation; keep the pupil's name as the directory writes it, so
 * that one pupil written two ways counts once.  As sg_detect_finding_add,
 * 0 when name is nobody's. */
int sg_detect_roster_keep(const struct detect_sink *k, const char *name,
                          const char *where);

/* (detect_tables.c) The table pass of pupil-dob and pupil-roster: the
 * rows of the tables with named columns in a text, read by their columns
 * and offered to the sinks, and their places, in order, for the scan of
 * the pattern to pass over. */
struct table_rows {
    size_t (*span)[2]; /* every header and data row: [start, end) */
    size_t n, cap;
};
/* The pass of every sink that reads tables (pupil-dob's and
 * pupil-roster's; others are passed over) over nt, in one reading of its
 * rows: each row offered to the sinks that are not full (full, one per
 * sink: set for those that fill), the rows' places appended to rows.
 * 0 or -1. */
int sg_detect_tables_pass(const struct sg_norm *nt,
                          const struct detect_sink *sinks, size_t n_sinks,
                          bool *full, const char *where, time_t now,
                          struct table_rows *rows);
/* Does d read the rows of tables (pupil-dob, pupil-roster)? */
bool sg_detect_reads_tables(const struct detector *d);
/* How many texts the table pass has read (test-only); never reset. */
unsigned long sg_detect_tables_passes(void);
/* Is the byte at x on a row of a table, [start, end) (the line break
 * after a row is on none)?  *next: the first row not yet passed, 0 at
 * first; x must not go down from one call to the next with the same
 * cursor.  A match [s, e) of pupil-dob or pupil-roster holds no line
 * break, so it lies on a row when s is, and when e - 1 is. */
bool sg_detect_on_table_row(const struct table_rows *tr, size_t *next,
                            size_t x);

/* (detect.c) Offer a match that spells something out (canon: the address
 * or number it spells) to every sink; the finding is the original text
 * of the normalised span [s, e).  0 or -1. */
int sg_detect_offer_spelt(const struct sg_rules *rules,
                          const struct detect_sink *sinks, size_t n_sinks,
                          const struct sg_norm *nt, size_t s, size_t e,
                          const char *canon, const char *where, time_t now);
/* A match that failed (the match limits): the error, and -1. */
int sg_detect_match_error(const struct detector *d, int rc);

/* (detect_spelt.c) Addresses spelt out ("tom at gmail dot com") with the
 * built-in personal-email's re_spelt, and phone numbers in number words
 * ("oh seven seven ..."), offered to the sinks.  0 or -1. */
int sg_detect_scan_spelt(const struct sg_rules *rules, const pcre2_code *re,
                         const struct sg_norm *nt, const char *where,
                         time_t now, pcre2_match_data *md,
                         pcre2_match_context *mctx,
                         const struct detect_sink *sinks, size_t n_sinks);
/* Whether the two passes above skip, by a cheap prefilter, the parts of
 * a text where they cannot find anything (true; a test sets it false to
 * compare with the plain passes over every byte: the findings are the
 * same). */
extern bool sg_detect_prefilter;
int sg_detect_scan_number_words(const struct sg_rules *rules,
                                const struct sg_norm *nt, const char *where,
                                time_t now, const struct detect_sink *sinks,
                                size_t n_sinks);

#endif
