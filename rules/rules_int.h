/*
 * rules_int.h - the base of librules: the rule set's data (detectors,
 * rules, conditions, lists) and the helpers every module may use.  Not
 * installed, not for other modules.
 *
 * The modules of librules, by level: a file includes the headers of
 * lower levels only, so the include graph is a DAG (no module reaches
 * back to one that uses it):
 *
 *   4  rules_load.c    a rule set's life       rules_parse.h, detect.h
 *      eval.c          evaluation              explain.h, detect.h,
 *                                              normalise.h
 *   3  rules_parse*.c  the parser, sharing     explain.h, detect.h
 *                      rules_lex.h (rules_lex.c)
 *   2  explain.c       the verdict's texts     detect.h
 *   1  detect*.c       the detectors           tables.h, normalise.h
 *   0  tables.c        rows with named columns
 *      normalise.c     the text detectors read
 *      register.c      the exceptions register
 *      sg_msgview.c    the message view's names
 *      this file       the rule set's data, and the base helpers: errors
 *                      and strv (rules_util.c), pattern compiling
 *                      (rules_compile.c), dates (dates.c), time zones
 *                      (tz.c, sg_tz.h), action and mode names
 *                      (rules_names.c)
 *
 * The internal headers include this file and no other module's header.
 * A module's header declares what the levels above call; what only its
 * own files share is in a section of its header marked so (detect.h) or
 * in its private header (rules_lex.h).  tests/layout/test_rules_levels.sh
 * reads the built objects and fails if one module uses a symbol of a
 * module that uses it, directly or round a loop.
 */
#ifndef SG_RULES_INT_H
#define SG_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdarg.h>
#include <stdint.h>

#include "sg_buf.h"
#include "sg_error.h"
#include "sg_rules.h"

/* ------------------------------------------------------------ errors */
/* Set the thread's error text and return it (common/sg_error.h). */
#define sg_rules_errorf sg_error_set
/* The thread's error text, as the failing step left it. */
#define sg_rules_lasterror sg_error_last

/* ------------------------------------------------------------ strings */
/* (rules_util.c) */
struct strv {
    char **v;
    size_t n;
};
int sg_rules_strv_add(struct strv *s, const char *value);
void sg_rules_strv_clear(struct strv *s);
bool sg_rules_strv_has_ci(const struct strv *s, const char *value);
/* The index of value in s ignoring case; s->n if it is not there. */
size_t sg_rules_strv_index_ci(const struct strv *s, const char *value);

/* ------------------------------------------------------------ time zone */
#include "sg_tz.h"

/* ------------------------------------------------------------ patterns */
/* (rules_compile.c) Compile a pattern for a detector; NULL and *error_r on
 * failure. */
pcre2_code *sg_rules_compile(const char *pattern, bool caseless,
                             const char **error_r);
/* The same with more PCRE2 compile options (PCRE2_CASELESS ...).  Every
 * pattern is compiled with PCRE2_USE_OFFSET_LIMIT: a scan confirms a
 * candidate by trying starts up to the candidate's end only (detect.c). */
pcre2_code *sg_rules_compile_with(const char *pattern, uint32_t options,
                                  const char **error_r);

/* ------------------------------------------------------------ dates */
/* (dates.c) */
/* Parse a written date, UK order (dd/mm/yyyy with / . or -, yyyy-mm-dd,
 * d MMM yyyy with an optional st/nd/rd/th); 0 or -1. */
int sg_rules_date_parse(const char *s, size_t len, struct sg_date *d);
/* A spreadsheet serial date (1900 date system) in 1..TABLE_SERIAL_MAX;
 * 0 or -1. */
#define TABLE_SERIAL_MAX 60000
int sg_rules_serial_date(long serial, struct sg_date *out);

/* ------------------------------------------------------------ detectors */
enum validator {
    VAL_NONE = 0,
    VAL_PHONE_MOBILE,
    VAL_PHONE_LANDLINE,
    VAL_EMAIL_PERSONAL,
    VAL_SOCIAL, /* not one of the school's own accounts */
    VAL_POSTCODE_HOUSE,
    VAL_UPN,
    VAL_NHS,
    VAL_ULN,
    VAL_CHILD_DOB,
    VAL_LUHN,
    VAL_PUPIL_ROSTER, /* a name the caller's pupil lookup knows */
};

struct detector {
    char *name;
    char *describe; /* "a mobile phone number" */
    char *pattern;  /* re's source, for the scan database (detect_hs.c) */
    /* built-in: what the scan database looks for instead of the pattern,
     * and how far after a match's start it ends at most (detect.c says
     * more); NULL for a site-defined detector (its pattern is used) */
    const char *marker;
    size_t reach;
    pcre2_code *re;
    /* built-in personal-email: the spelt-out forms ("tom at gmail dot
     * com"), matched after re (detect_spelt.c); NULL for the others */
    pcre2_code *re_spelt;
    enum validator validate;
    bool builtin;
    bool used; /* referenced by a rule */
    /* 1 + the index of an earlier built-in detector with the same pattern
     * (uk-landline: uk-mobile), whose scan serves both; 0: none. */
    size_t same_pattern_as;
    /* The scan database (detect_hs.c), for the first detector of each
     * pattern: in_db when its pattern is in the rule set's Hyperscan
     * database, and then maxlen, the longest match it can make in bytes
     * (SIZE_MAX: unbounded).  A pattern not in the database (the
     * PCRE2-only build, or one Hyperscan refuses) is read whole. */
    bool in_db;
    size_t maxlen;
};

/* ------------------------------------------------------------ rules */
enum chan_bits {
    CH_SCHOOL = 1,
    CH_PERSONAL = 2,
    CH_EXTERNAL = 4,
    CH_DISPLAY_NAME = 8,
    CH_SPOOFED = 16,
};

/* A list of parties: role names and address patterns ("*@x.example"). */
struct partyset {
    struct strv roles;
    struct strv addrs;
    unsigned channels; /* 0: any channel where the person is known */
    /* the roles as the evaluator tests them, set as they are parsed:
     * anyone; external or outside (a party no one in the directory is);
     * outside; and the others' bits in the rule set's role_names, unless
     * one is past the table's bits (role_names_full: compare names) */
    bool anyone;
    bool nobody_known;
    bool outside;
    bool role_names_full;
    uint64_t role_bits;
};

enum quant { Q_ANY = 0, Q_ALL, Q_NONE };

struct rcptcond {
    enum quant q;
    struct partyset set;
};

enum cmp { CMP_EQ, CMP_NE, CMP_LT, CMP_LE, CMP_GT, CMP_GE };

struct contentitem {
    size_t det; /* index into rules->detectors */
    unsigned min; /* at least this many distinct findings (default 1) */
};

enum scope_bits {
    SC_SUBJECT = 1,
    SC_BODY = 2,
    SC_ATTACHMENTS = 4, /* text of attached files */
    SC_FILENAMES = 8,
    SC_REPLY_TO = 16, /* the Reply-To: header: where answers are to go */
    SC_NAMES = 32, /* display names of From:, Sender:, Reply-To: */
    SC_ALL = 63,
    /* not a place: a finding in text quoted from someone other than the
     * sender (sg_msgview.h, SG_PLACE_QUOTED); "not quoted" leaves it out */
    SC_QUOTED_OTHER = 128,
};

struct timeitem {
    enum { T_BETWEEN, T_OUTSIDE, T_DAYS } kind;
    int from_min, to_min; /* minutes after midnight */
    unsigned days;        /* bit 0 Sunday .. bit 6 Saturday */
};

/* Qualifiers of the attachment condition (eval.c says what each means). */
enum img_bits {
    IMG_INLINE = 1, /* shown in the HTML through a cid: link */
    IMG_SMALL = 2,  /* within the small-image bounds, no camera data */
    IMG_PHOTO = 4,  /* camera data */
};

enum cond_kind {
    C_FROM,
    C_TO,
    C_RECIPIENTS,
    C_CONTENT,
    C_ATTACHMENT,
    C_TIME,
    C_REGISTER,
    C_INCOMPLETE, /* inspection incomplete: view->incomplete != 0 */
};

/* The language's word for "outside the school": no one in the directory
 * (external), or anyone reached at a registered personal address. */
#define SG_ROLE_OUTSIDE "outside"

struct cond {
    enum cond_kind kind;
    struct partyset from; /* C_FROM */
    struct rcptcond to;   /* C_TO; C_RECIPIENTS: to.set, when it has roles
                             or addresses, says which recipients count */
    enum cmp cmp;         /* C_RECIPIENTS */
    unsigned count;
    struct contentitem *items; /* C_CONTENT */
    size_t n_items;
    unsigned scope;
    bool not_quoted; /* C_CONTENT: leave out text quoted from others */
    struct strv types; /* C_ATTACHMENT: content type globs */
    struct strv exts;  /* C_ATTACHMENT: "jpg" (no dot, lower case) */
    unsigned img_is, img_not; /* C_ATTACHMENT: IMG_* qualifiers that must
                                 hold / must not hold */
    struct timeitem *times; /* C_TIME, ORed */
    size_t n_times;
    char *reg_name; /* C_REGISTER */
};

struct rule {
    char *id;
    char *title;
    char *policy;
    char *source;
    char *category; /* the school's record system's; NULL: none */
    int mode; /* -1: global default */
    enum sg_action action;
    bool has_action;
    enum sg_track track;
    bool has_track;
    /* "retention": the class a concern it matched is kept as (the
     * concern classes have the tracks' names) */
    enum sg_track retention;
    bool has_retention;
    struct strv notify;
    char *explain;
    char *explain_dsl;
    struct cond *conds;
    size_t n_conds;
    struct cond *excepts;
    size_t n_excepts;
    bool rcpt_decidable;
    bool needs_view;
    char *file; /* where it was defined, for messages */
    unsigned line;
};

struct list {
    char *name;
    struct strv items;
};

struct sg_rules {
    struct rule *rules;
    size_t n_rules;
    struct detector *detectors;
    size_t n_detectors;
    struct list *lists;
    size_t n_lists;
    enum sg_mode mode; /* global default */
    struct strv school_domains; /* lower case */
    struct strv school_phones;  /* national digits */
    struct strv school_postcodes; /* upper case, no spaces */
    struct strv personal_domains; /* consumer mail providers, lower case,
                                     shell wildcards */
    struct strv school_social; /* "network/name", lower case; network ""
                                  for a name on any network */
    struct sg_tz *tz;
    unsigned long image_small_pixels; /* attachment ... small */
    size_t image_small_bytes;
    char *dsl_contact;
    pcre2_match_context *mctx; /* template; copied per evaluation */
    /* every detector's pattern in one Hyperscan database, with a pool of
     * scratch spaces (detect_hs.c); NULL on the PCRE2-only path */
    struct detect_hs *hs;
    bool hs_from_disk; /* read from scan_cache_dir, not compiled */
    /* smaller databases, one per set of detectors a rule asks for
     * (detect_hs.c): an evaluation that wants no more than one set's
     * patterns scans with the smallest such, not with every pattern */
    struct detect_hs_set *hs_sets;
    size_t n_hs_sets;
    /* every role the rules name but anyone, once (case-insensitive): a
     * person's roles are turned into bits of this table once an
     * evaluation, a party set's when it is parsed (struct partyset) */
    struct strv role_names;
    /* while loading only: the options' known roles (NULL: unchecked) */
    const char *const *known_roles;
    size_t n_known_roles;
};

#endif
