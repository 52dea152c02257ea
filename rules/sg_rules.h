/*
 * sg_rules.h - the rules language, built-in detectors and evaluator.
 *
 * A rules file (safeguard-rules(5)) is loaded once into an immutable
 * struct sg_rules: every pattern is compiled (PCRE2, JIT) at load time.  The
 * evaluator applies it to one message view and the people involved and
 * returns a verdict: the strongest action, every matching rule, what it
 * found and where, and the words the sender and the DSL will read.
 *
 * A loaded struct sg_rules is read-only and may be shared by any number of
 * threads evaluating at once.
 *
 * SECURITY: the library never logs, never exits, never looks anything up
 * itself: people come in through struct sg_party, and the two lookups that
 * need the directory or the exceptions register are callbacks the caller
 * provides.  Message text is untrusted; every scan is bounded.
 *
 * Errors: functions return 0 on success and -1 on failure, with *error_r
 * set as common/sg_error.h describes.  Load errors read
 * "FILE:LINE:COL: expected ..., found ...".
 */
#ifndef SG_RULES_H
#define SG_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sg_msgview.h"
#include "sg_person.h"

/* Actions, weakest first: the order is the precedence. */
enum sg_action {
    SG_ACTION_ACCEPT = 0,
    SG_ACTION_ANNOTATE,
    SG_ACTION_JOURNAL,
    SG_ACTION_HOLD,
    SG_ACTION_REJECT,
};

enum sg_mode {
    SG_MODE_ENFORCE = 0,
    SG_MODE_TEST, /* evaluate and report "would have"; only annotate */
};

/* Who reviews what a rule catches (KCSIE Part 4): a member of staff's
 * conduct (the headteacher or case manager; a low-level concern, or the
 * LADO above the harm threshold), or a pupil's welfare (the DSL, the
 * pupil's safeguarding file).  A rule that names none is about conduct. */
enum sg_track {
    SG_TRACK_STAFF_CONDUCT = 0,
    SG_TRACK_PUPIL_WELFARE,
};

/* What the site tells the rules at load time (from the daemon's config). */
struct sg_rules_options {
    const char *const *school_domains; /* "school.example"; subdomains too */
    size_t n_school_domains;
    const char *const *school_phone_numbers; /* any written form */
    size_t n_school_phone_numbers;
    const char *const *school_postcodes; /* the school's own, any spacing */
    size_t n_school_postcodes;
    /* The school's own social media accounts, never a finding of
     * social-media: "@SchoolName" (that name on any network) or a profile
     * link ("instagram.com/schoolname", that network only). */
    const char *const *school_social_accounts;
    size_t n_school_social_accounts;
    /* Consumer mail providers whose addresses are personal, beyond the
     * built-in list (gmail.com, hotmail.*, ...): a domain, or a pattern
     * with shell wildcards ("yahoo.*").  Any case. */
    const char *const *personal_email_domains;
    size_t n_personal_email_domains;
    const char *timezone; /* "Europe/London"; NULL or "" means UTC */
    const char *zoneinfo_dir; /* NULL: /usr/share/zoneinfo */
    const char *dsl_contact; /* for {dsl}, e.g. "Mrs A Khan (DSL), ext 210" */
    unsigned max_include_depth; /* 0: default 8 */
    /* The roles people can hold (the caller's directory knows them): a
     * role named in a rule must be one of these (any case) or a word of
     * the language (anyone, external), so that a typo such as "staf"
     * stops the load instead of matching nobody.  NULL: not checked. */
    const char *const *known_roles;
    size_t n_known_roles;
    /* A small image (attachment ... small): at most this many pixels
     * (width times height) and this many bytes, and no camera data.
     * 0: the defaults below. */
    unsigned long image_small_pixels;
    size_t image_small_bytes;
    /* Where compiled scan databases are kept between loads (detect_hs.c);
     * NULL or "": compiled at every load. */
    const char *scan_cache_dir;
};
#define SG_IMAGE_SMALL_PIXELS_DEFAULT 100000UL
#define SG_IMAGE_SMALL_BYTES_DEFAULT (100UL * 1024UL)

struct sg_rules;

/* Load a rules file (and what it includes).  On failure *rules_r is left
 * untouched, so a caller reloading keeps its working snapshot. */
int sg_rules_load(const char *path, const struct sg_rules_options *opt,
                  struct sg_rules **rules_r, const char **error_r);
/* The same from a string; name is used in error messages and include
 * paths are relative to the current directory. */
int sg_rules_load_string(const char *text, size_t len, const char *name,
                         const struct sg_rules_options *opt,
                         struct sg_rules **rules_r, const char **error_r);
void sg_rules_free(struct sg_rules **rules);

/* Counts, for `safeguard-check -n` and logs. */
size_t sg_rules_count(const struct sg_rules *rules);
size_t sg_rules_detector_count(const struct sg_rules *rules);
/* Where the one-pass scan database came from: "compiled", "read from the
 * cache" (scan_cache_dir), or NULL when there is none (a build without
 * Hyperscan, or no pattern it takes). */
const char *sg_rules_scan_source(const struct sg_rules *rules);
/* Id of rule i (0 <= i < sg_rules_count), in file order. */
const char *sg_rules_id(const struct sg_rules *rules, size_t i);
/* Its category (the "category" field), NULL when it has none. */
const char *sg_rules_category(const struct sg_rules *rules, size_t i);

/* Display-name lookup: find the person in the directory whose display name
 * is name (the caller decides how loosely).  Return 1 and set *person_r
 * (owned by the caller, valid for the evaluation) when found, 0 when not,
 * -1 on a lookup error (the evaluation then fails). */
typedef int sg_name_lookup_fn(void *ctx, const char *name,
                              const struct sg_person **person_r);

/* Registered personal addresses: is address one of the personal
 * (non-school) addresses the directory registers for someone?  1 yes,
 * 0 no, -1 on a lookup error (the evaluation then fails). */
typedef int sg_personal_lookup_fn(void *ctx, const char *address);

/* Exceptions register: is there an entry called name for this sender and
 * recipient, valid at time now?  1 yes, 0 no, -1 error. */
typedef int sg_register_fn(void *ctx, const char *name,
                           const struct sg_party *sender,
                           const struct sg_party *rcpt, time_t now);

struct sg_eval_input {
    const struct sg_msgview *view; /* NULL only for sg_rules_eval_rcpt */
    struct sg_party sender;   /* the caller has already downgraded a school
                                 address that did not authenticate to
                                 external (DESIGN: sender identity) */
    const struct sg_party *rcpts;
    size_t n_rcpts;
    time_t now;
    sg_name_lookup_fn *name_lookup; /* may be NULL: no match */
    void *name_lookup_ctx;
    /* The pupil whose name is name, for the pupil-roster detector: found
     * (1) only when the name is a pupil's, whoever else has it.  At most
     * a few hundred calls per evaluation, each name once.  May be NULL:
     * pupil-roster then finds nothing. */
    sg_name_lookup_fn *pupil_lookup;
    void *pupil_lookup_ctx;
    sg_register_fn *in_register; /* may be NULL: register empty */
    void *register_ctx;
    /* may be NULL: only the sender's own registered personal addresses
     * (sender.person->personal) are known to personal-email */
    sg_personal_lookup_fn *personal_lookup;
    void *personal_lookup_ctx;
    /* true: render the matches' explain_sender and explain_dsl only when
     * the verdict holds or rejects, the verdicts whose texts are read (the
     * reply, the quarantine record, the notices); otherwise they are NULL.
     * false: always (safeguard-check shows them all). */
    bool explain_if_held_or_rejected;
};

struct sg_finding {
    char *detector; /* e.g. "uk-mobile" */
    char *text;     /* the matched text (at most 200 bytes) */
    char *where;    /* "subject", a text part's label, "attachment name" */
};

struct sg_rule_match {
    /* an evaluation's match holds id, title, policy, source and category
     * in one allocation, id's (sg_verdict_free frees id alone) */
    char *id;
    char *title;
    char *policy;
    char *source;
    char *category; /* the rule's "category"; "" when it has none */
    enum sg_mode mode;
    enum sg_track track;
    /* the rule's "retention": the class a concern (a rejected record) it
     * matched is kept as, the longest when several rules name one */
    enum sg_track retention;
    bool has_retention;
    enum sg_action action; /* what the rule says (test: would have) */
    char **notify;         /* "sender", "dsl", or addresses */
    size_t n_notify;
    char **recipients;     /* the recipients the rule matched on */
    size_t n_recipients;
    struct sg_finding *findings;
    size_t n_findings;
    char *explain_sender; /* rendered text for the sender (NULL: not
                             rendered, see explain_if_held_or_rejected) */
    char *explain_dsl;    /* rendered text for the DSL (the same) */
};

struct sg_verdict {
    enum sg_action action;    /* strongest enforced action */
    bool journal;             /* an enforced rule journals */
    bool annotate;            /* annotate (any match, or a test rule) */
    enum sg_action would_action; /* strongest, counting test-mode rules */
    struct sg_rule_match *rules; /* every matching rule, in file order */
    size_t n_rules;
};

/* Evaluate every rule.  *verdict_r is always a verdict (accept with no
 * rules when nothing matched) on success. */
int sg_rules_eval(const struct sg_rules *rules, const struct sg_eval_input *in,
                  struct sg_verdict **verdict_r, const char **error_r);

/* RCPT-time evaluation for one recipient (in->n_rcpts must be 1; in->view
 * may be NULL): only the rules that can be decided from the sender and this
 * recipient alone (no content, attachment, all/none/count recipient
 * conditions, display-name channel) are evaluated.  A verdict whose action
 * is SG_ACTION_REJECT means: reject this recipient now, with the rule's
 * explanation. */
int sg_rules_eval_rcpt(const struct sg_rules *rules,
                       const struct sg_eval_input *in,
                       struct sg_verdict **verdict_r, const char **error_r);

void sg_verdict_free(struct sg_verdict **verdict);

/* Is address ("user@host") in one of the school's domains (or a
 * subdomain)?  false for NULL, for an address without a domain, and when
 * rules is NULL. */
bool sg_rules_school_address(const struct sg_rules *rules,
                             const char *address);

/* Is domain a consumer mail provider's (the built-in list and the
 * options' personal_email_domains)?  Subdomains are not ("mail.gmail.com"
 * is where Gmail's message identifiers live, no one's mailbox). */
bool sg_rules_personal_domain(const struct sg_rules *rules,
                              const char *domain);
/* 0 when item can be a personal_email_domains entry (a domain name,
 * perhaps with shell wildcards), or -1 with *why_r. */
int sg_rules_personal_domain_check(const char *item, const char **why_r);

/* 0 when item can be a school_social_accounts entry, or -1 with
 * *why_r. */
int sg_rules_social_account_check(const char *item, const char **why_r);

/* "accept", "annotate", "journal", "hold", "reject". */
const char *sg_action_name(enum sg_action action);
/* -1 when name is not an action. */
int sg_action_parse(const char *name, enum sg_action *action_r);
const char *sg_mode_name(enum sg_mode mode);
/* The track of what a verdict records: staff-conduct when any enforced
 * matching rule is (a record about a member of staff is never a pupil
 * concern), pupil-welfare when every one is; with no enforced match, the
 * same over the test-mode ones. */
enum sg_track sg_verdict_track(const struct sg_verdict *v);
/* "staff-conduct", "pupil-welfare". */
const char *sg_track_name(enum sg_track track);
/* -1 when name is not a track. */
int sg_track_parse(const char *name, enum sg_track *track_r);

/* Run one detector (built-in or defined in the rules) over a text, for
 * tests and `safeguard-check --explain`.  Findings are appended to
 * *findings_r / *n_r (free with sg_findings_free).  now matters only to
 * detectors that judge ages.  0, or -1 (unknown detector, allocation). */
int sg_rules_detect(const struct sg_rules *rules, const char *detector,
                    const char *text, size_t len, time_t now,
                    struct sg_finding **findings_r, size_t *n_r,
                    const char **error_r);
/* The same for several detectors at once, scanning the text once for all
 * of them, as an evaluation does (for the benchmark and tests); each
 * detector named once. */
int sg_rules_detect_many(const struct sg_rules *rules,
                         const char *const *detectors, size_t n,
                         const char *text, size_t len, time_t now,
                         struct sg_finding **findings_r, size_t *n_r,
                         const char **error_r);
void sg_findings_free(struct sg_finding **findings, size_t *n);

/* A file-backed exceptions register usable as in_register:
 *   NAME  SENDER  RECIPIENT  UNTIL   # comment
 * UNTIL is YYYY-MM-DD (the last day, inclusive, UTC) or "never". */
struct sg_register;
int sg_register_load(const char *path, struct sg_register **reg_r,
                     const char **error_r);
int sg_register_check(void *reg, const char *name,
                      const struct sg_party *sender,
                      const struct sg_party *rcpt, time_t now);
void sg_register_free(struct sg_register **reg);

#endif
