/*
 * rules_int.h - librules internals shared by its .c files.  Not installed,
 * not for other modules.
 */
#ifndef SG_RULES_INT_H
#define SG_RULES_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdarg.h>

#include "sg_buf.h"
#include "sg_rules.h"

/* ------------------------------------------------------------ errors */
/* (rules_util.c) Format into the thread-local error buffer and return it. */
const char *sg_rules_errorf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* The message last formatted by sg_rules_errorf in this thread. */
const char *sg_rules_lasterror(void);

/* ------------------------------------------------------------ strings */
/* (rules_util.c) */
struct strv {
    char **v;
    size_t n;
};
int sg_rules_strv_add(struct strv *s, const char *value);
void sg_rules_strv_clear(struct strv *s);
bool sg_rules_strv_has_ci(const struct strv *s, const char *value);

/* ------------------------------------------------------------ time zone */
#include "sg_tz.h"

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
    pcre2_code *re;
    /* built-in personal-email: the spelt-out forms ("tom at gmail dot
     * com"), matched after re (detect.c); NULL for the others */
    pcre2_code *re_spelt;
    enum validator validate;
    bool builtin;
    bool used; /* referenced by a rule */
    /* 1 + the index of an earlier built-in detector with the same pattern
     * (uk-landline: uk-mobile), whose scan serves both; 0: none. */
    size_t same_pattern_as;
};

struct sg_rules;
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
/* Parse a written date, UK order (dd/mm/yyyy with / . or -, yyyy-mm-dd,
 * d MMM yyyy with an optional st/nd/rd/th); 0 or -1. */
int sg_rules_date_parse(const char *s, size_t len, struct sg_date *d);

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

/* ------------------------------------------------------------ tables */
/* (tables.c) One line of a table with named columns. */
struct tables_row {
    size_t start, end; /* the line in the text */
    bool header;       /* the header row itself */
    bool has_name;     /* name: "Forename Surname" */
    char name[130];
    bool has_dob;      /* dob: the date in the date of birth column */
    struct sg_date dob;
};
/* Called for each header and data row, in order: 0 go on, 1 stop, -1
 * error (returned by sg_tables_scan). */
typedef int tables_row_fn(void *ctx, const struct tables_row *row);
int sg_tables_scan(const char *text, size_t len, tables_row_fn *fn, void *ctx);
/* A spreadsheet serial date (1900 date system) in 1..TABLE_SERIAL_MAX;
 * 0 or -1. */
#define TABLE_SERIAL_MAX 60000
int sg_rules_serial_date(long serial, struct sg_date *out);

/* Scan text once with the pattern all the sinks' detectors share (the
 * first sink's), offering every match to each: validated, deduplicated,
 * up to its max_findings.  The text is normalised first (normalise.c) and
 * findings are its original text.  At most DETECT_SCAN_MAX sinks.  Errors
 * name the first sink's detector. */
#define DETECT_SCAN_MAX 4
int sg_detect_scan(const struct sg_rules *rules, const char *text, size_t len,
                   const char *where, time_t now, pcre2_match_data *md,
                   pcre2_match_context *mctx, const struct detect_sink *sinks,
                   size_t n_sinks);
/* The same on a text already normalised (normalise.h): a caller that
 * scans one text with several groups normalises it once. */
struct sg_norm;
int sg_detect_scan_normalised(const struct sg_rules *rules,
                              const struct sg_norm *nt, const char *where,
                              time_t now, pcre2_match_data *md,
                              pcre2_match_context *mctx,
                              const struct detect_sink *sinks, size_t n_sinks);

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
    int mode; /* -1: global default */
    enum sg_action action;
    bool has_action;
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
    /* while loading only: the options' known roles (NULL: unchecked) */
    const char *const *known_roles;
    size_t n_known_roles;
};

/* Parser entry (rules_parse.c). */
int sg_rules_parse_file(struct sg_rules *rules, const char *path,
                        unsigned depth, unsigned max_depth,
                        const char **error_r);
int sg_rules_parse_text(struct sg_rules *rules, const char *text, size_t len,
                        const char *name, const char *dir, unsigned depth,
                        unsigned max_depth, const char **error_r);
/* Find a detector by name; (size_t)-1 when none. */
size_t sg_rules_detector_find(const struct sg_rules *rules, const char *name);
/* Free everything a rule holds and zero it (rules_parse.c). */
void sg_rules_rule_clear(struct rule *r);
/* Compile a pattern for a detector; NULL and *error_r on failure
 * (rules_load.c). */
pcre2_code *sg_rules_compile(const char *pattern, bool caseless,
                             const char **error_r);
/* The same with more PCRE2 compile options (PCRE2_CASELESS,
 * PCRE2_USE_OFFSET_LIMIT ...). */
pcre2_code *sg_rules_compile_with(const char *pattern, uint32_t options,
                                  const char **error_r);
bool sg_domain_is_school(const struct sg_rules *rules, const char *domain);
/* Template check: every {placeholder} known; 0 or -1 with name of bad one
 * in *bad_r (static). */
int sg_explain_check(const char *tmpl, const char **bad_r);

#endif
