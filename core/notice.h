/*
 * notice.h - notices by mail: to the member of staff whose message was
 * held, and to the Designated Safeguarding Lead(s); and the review tool's:
 * the outcome to the sender of a rejected message, and the digest of what
 * is waiting to the DSL.
 *
 * A notice is rendered from a plain-text template (a header block, a blank
 * line, the body; placeholders such as {record} are checked when the
 * template is loaded), marked with an X-Safeguard-Notice header carrying a
 * keyed MAC, and piped into the local sendmail command.  The milter checks
 * the marker on incoming mail with sg_notice_verify, so it accepts its own
 * notices without evaluating them (no loops) and never trusts a marker it
 * did not make.
 *
 * SECURITY: values (subjects, names, findings) come from untrusted mail:
 * in headers every control character becomes a space and non-ASCII text is
 * RFC 2047 encoded, so no value can start a header of its own.  The
 * sendmail command is run with execv, never through a shell; an address
 * starting with '-' or holding a control character is refused.
 *
 * Errors: functions return 0 on success and -1 on failure, with *error_r
 * set as common/sg_error.h describes.  No logging, no exit.
 */
#ifndef SG_NOTICE_H
#define SG_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct sg_buf;

#include "sg_person.h"
#include "sg_rules.h"

/* The marker header and its validity window. */
#define SG_NOTICE_HEADER     "X-Safeguard-Notice"
#define SG_NOTICE_MAX_AGE    (7 * 86400) /* seconds */
#define SG_NOTICE_MAX_FUTURE 300         /* seconds of clock skew */
#define SG_NOTICE_SECRET_MIN 32          /* bytes in the secret file */
#define SG_NOTICE_TIMEOUT    30          /* seconds, default for sending */
#define SG_NOTICE_RETRY_MAX_AGE (2 * 86400) /* seconds, default */

/* What the daemon's configuration gives this module (sg_config keys
 * notice_*, dsl_addresses). */
struct sg_notice_config {
    const char *templates_dir; /* one file per enum sg_notice_kind */
    const char *sendmail;      /* command line with {from} and {to} */
    const char *secret_file;   /* at least 32 bytes, not world-readable */
    const char *from;          /* envelope sender and From: address */
    const char *from_name;     /* From: display name; NULL or "": none */
    const char *const *dsl_addresses; /* where DSL notices go (>= 1) */
    size_t n_dsl_addresses;
    /* the staff-conduct track's (sg_notice_track_to) */
    const char *const *conduct_addresses;
    size_t n_conduct_addresses;
    const char *const *headteacher_addresses;
    size_t n_headteacher_addresses;
    const char *const *chair_addresses;
    size_t n_chair_addresses;
    const char *review_url; /* the review page ("" or NULL: none) */
    unsigned timeout; /* seconds before sendmail is killed; 0: 30 */
    unsigned retry_max_age; /* seconds a notice is retried; 0: 2 days */
    unsigned retry_interval; /* the first retry's wait (sg_outbox_backoff) */
};

/* ------------------------------------------------------------ templates */

/* Every kind's template is loaded and checked together, by the daemon
 * and the review tool alike, so a mistake in any of them shows at start
 * (safeguard-milter -n), not when the notice is first wanted. */
enum sg_notice_kind {
    SG_NOTICE_HELD_SENDER = 0, /* held-sender.txt: your message is held */
    SG_NOTICE_HELD_DSL,        /* held-dsl.txt: a message is held */
    SG_NOTICE_REJECTED_SENDER, /* rejected-sender.txt: the DSL rejected
                                  your message (safeguard-review) */
    SG_NOTICE_DIGEST_DSL,      /* digest-dsl.txt: what is waiting
                                  (safeguard-review digest) */
    SG_NOTICE_REFUSED_SENDER,  /* refused-sender.txt: your locally
                                  submitted message was refused */
    SG_NOTICE_REFUSED_DSL,     /* refused-dsl.txt: a message was refused */
    SG_NOTICE_DELIVERED_DSL,   /* delivered-dsl.txt: a message was
                                  delivered (with an archive copy) */
    SG_NOTICE_RELEASED_SENDER, /* released-sender.txt: a reviewer released
                                  your message, with a message for you
                                  (safeguard-review) */
    SG_NOTICE_REQUEST_DSL,     /* request-dsl.txt: the sender of a held
                                  message asks for its release
                                  (safeguard-review serve) */
    SG_NOTICE_KINDS
};

/* The template file name of a kind ("held-sender.txt"). */
const char *sg_notice_kind_file(enum sg_notice_kind kind);

/*
 * Template files: lines up to the first empty line are the header block:
 *   # comment
 *   Subject: text with {placeholders}        (required, once)
 *   Reply-To: ... / X-Anything: ...          (optional)
 * The rest is the body.  Placeholders: {record} {queue_id} {sender}
 * {recipients} {subject} {rules} {findings} {explanation} {dsl} {date}
 * {link} {outcome} {reviewer} {request} {policy} {school};
 * "{{" writes a literal "{".  An unknown placeholder, a header the milter
 * sets itself (From, To, Date, Content-Type, X-Safeguard-*, ...) or text
 * that is not UTF-8 is an error "FILE:LINE: ...".
 */
struct sg_notice_templates;

int sg_notice_templates_load(const char *dir, struct sg_notice_templates **t_r,
                             const char **error_r);
void sg_notice_templates_free(struct sg_notice_templates **t);

/* The values a notice is rendered with.  NULL means "" except for date
 * (NULL: the time of the notice, in UTC).  Invalid UTF-8 is replaced. */
struct sg_notice_values {
    const char *record;      /* quarantine record reference */
    const char *queue_id;    /* Postfix queue id of the held message */
    const char *sender;      /* who wrote it, e.g. "Ann Smith <a@school>" */
    const char *recipients;  /* to whom, with roles (sg_notice_text_build) */
    const char *subject;     /* the held message's subject */
    const char *rules;       /* which rules (sg_notice_text_build) */
    const char *findings;    /* what was found (sg_notice_text_build) */
    const char *explanation; /* explain_sender / explain_dsl text */
    const char *dsl;         /* who to ask (dsl_contact) */
    const char *date;        /* when the message was held */
    const char *link;        /* the record's page (sg_notice_link) */
    const char *outcome;     /* what became of it, in words ("held for
                                review", "refused", "delivered, with a
                                copy to the archive") */
    const char *reviewer;    /* who decided (a reviewer's decision) */
    const char *request;     /* the link with which the sender asks for
                                the message's release
                                (sg_notice_request_link) */
    const char *policy;      /* the policy the rules enforce (policy_name,
                                the school's in a trust) */
    const char *school;      /* the school of a trust it is about */
};

/* The address of a record's page (record NULL: the queue's) under
 * review_url, "URL/item/RECORD"; with no review_url, the command that
 * shows it.  0, or -1 (allocation; out is then failed). */
int sg_notice_link(const char *review_url, const char *record,
                   struct sg_buf *out);

/* How a notice names the DSL once their contact text has been given. */
#define SG_NOTICE_DSL_ROLE "the Designated Safeguarding Lead"

/* text (NULL: "") into out with the contact text (dsl_contact; NULL or
 * "": text unchanged) kept at its first place only, and
 * SG_NOTICE_DSL_ROLE at the others: rules' explanations each name the
 * contact, and a notice joining several should give it once.  -1 when
 * an append failed. */
int sg_notice_contact_once(struct sg_buf *out, const char *text,
                           const char *contact);

/* The outcome of a verdict in words, for {outcome}. */
const char *sg_notice_outcome(const struct sg_verdict *verdict);

/* Who is told of a record on track about a message from sender (NULL:
 * unknown) to rcpts: pupil-welfare, the DSLs (dsl_addresses);
 * staff-conduct, the conduct_addresses (the headteacher or case manager;
 * the DSLs when there are none), or the chair of governors when the
 * sender or a recipient is a headteacher and a chair is configured (a
 * concern about the headteacher is never theirs to review).  The
 * addresses are c's. */
void sg_notice_track_to(const struct sg_notice_config *c, enum sg_track track,
                        const char *sender, const struct sg_party *rcpts,
                        size_t n_rcpts, const char *const **to_r,
                        size_t *n_r);

/* Is a notice of kind for the DSL (no pupil identifiers: counts, rule
 * titles, the sender's name, the link), else for the sender? */
bool sg_notice_for_dsl(enum sg_notice_kind kind);

/* Fill rules, findings, explanation and recipients from a verdict for one
 * audience.  The sender (a *_SENDER kind) sees the enforced rules that
 * made the outcome the notice tells of (hold for held-sender, reject for
 * refused-sender) and notify "sender" (all of those if none does; all
 * enforced rules if none made it), with their explain_sender, what was
 * found, and the recipients one per line with their roles: so a notice
 * about a held message never carries a journal rule's "delivered".
 * The DSL (a *_DSL kind) sees every matching rule's title (test-mode
 * ones marked) and policy, the findings as counts by detector and the
 * recipients as counts by role: never a matched text, an address or a
 * name, which may identify a pupil. */
struct sg_notice_text {
    char *rules;
    char *findings;
    char *explanation;
    char *recipients;
};
int sg_notice_text_build(const struct sg_verdict *verdict,
                         const struct sg_party *rcpts, size_t n_rcpts,
                         enum sg_notice_kind kind, struct sg_notice_text *out,
                         const char **error_r);
void sg_notice_text_free(struct sg_notice_text *text);

/* Does an enforced rule of the verdict name who ("sender", "dsl") in its
 * notify list? */
bool sg_notice_wanted(const struct sg_verdict *verdict, const char *who);

/* ------------------------------------------------------------ the mark */

struct sg_notice_key;

/* Read the secret: a regular file of 32 bytes to 4 KiB (one trailing
 * newline is not counted), not readable or writable by others. */
int sg_notice_secret_load(const char *path, struct sg_notice_key **key_r,
                          const char **error_r);
/* The same from bytes (tests; at least 32). */
int sg_notice_key_new(const void *secret, size_t len,
                      struct sg_notice_key **key_r, const char **error_r);
void sg_notice_key_free(struct sg_notice_key **key);

/* The value of the marker header for a message to rcpts with this body
 * sent at time now: "v=1; t=<unix time>; mac=<base64>".  Free it. */
int sg_notice_mark(const struct sg_notice_key *key, time_t now,
                   const char *const *rcpts, size_t n_rcpts, const char *body,
                   size_t body_len, char **value_r, const char **error_r);

/* Is header_value (one X-Safeguard-Notice header's value, folding allowed)
 * a marker this key made for exactly these envelope recipients (any order
 * and letter case) and this body (CRLF or LF, trailing white space at line
 * ends and trailing blank lines not counted), at most SG_NOTICE_MAX_AGE old
 * and at most SG_NOTICE_MAX_FUTURE ahead of now?  1 valid, 0 not (with a
 * short reason in *why_r, may be NULL).  Constant-time MAC comparison. */
int sg_notice_verify(const struct sg_notice_key *key, const char *header_value,
                     const char *const *rcpts, size_t n_rcpts,
                     const char *body, size_t body_len, time_t now,
                     const char **why_r);

/* ------------------------------------------------------------ requests
 * (notice_request.c): the link in the held-sender notice with which its
 * reader asks for the message's release, REVIEW_URL/request/RECORD?k=TOKEN.
 * The token is a MAC of the record id under the notice key (its own
 * context: never a marker's MAC), so only a reader of the notice has it;
 * the review page checks it, and that the record is still held. */

#define SG_NOTICE_TOKEN_LEN 43 /* base64url characters, no padding */

/* A MAC of text under key in its own context (a string that no other
 * use shares, so that no token stands for another), as a base64url
 * token; and its check, in constant time.  The request tokens below and
 * the re-injection header (core/reinject.h) are such tokens. */
int sg_notice_keyed_token(const struct sg_notice_key *key, const char *context,
                          const char *text,
                          char token[SG_NOTICE_TOKEN_LEN + 1],
                          const char **error_r);
bool sg_notice_keyed_valid(const struct sg_notice_key *key,
                           const char *context, const char *text,
                           const char *token);

/* The token of record into token.  0, or -1 (no key or no record). */
int sg_notice_request_token(const struct sg_notice_key *key,
                            const char *record,
                            char token[SG_NOTICE_TOKEN_LEN + 1],
                            const char **error_r);
/* Is token (from a URL: any string, NULL included) record's token under
 * key?  Constant-time comparison. */
bool sg_notice_request_valid(const struct sg_notice_key *key,
                             const char *record, const char *token);
/* A stable pseudonym of address for the review page's queue: the first
 * SG_NOTICE_PSEUDONYM_LEN hex digits of a MAC of the address (letter case
 * folded) under key, in a context of its own.  The same address has the
 * same pseudonym wherever it appears; without the key it cannot be turned
 * back into the address (nor guessed by trying addresses).  0, or -1 (no
 * key, no address, out of memory). */
#define SG_NOTICE_PSEUDONYM_LEN 6
int sg_notice_pseudonym(const struct sg_notice_key *key, const char *address,
                        char out[SG_NOTICE_PSEUDONYM_LEN + 1]);
/* The request link of record into out; with no review_url, a sentence
 * saying to reply instead.  0 or -1. */
int sg_notice_request_link(const char *review_url,
                           const struct sg_notice_key *key, const char *record,
                           struct sg_buf *out, const char **error_r);

/* ------------------------------------------------------------ rendering */

struct sg_notice_envelope {
    const char *from;      /* envelope sender and From: address */
    const char *from_name; /* From: display name, NULL or "": none */
    const char *const *to; /* envelope recipients, also the To: header */
    size_t n_to;
    time_t now;             /* Date:, the marker's time, default {date} */
    const char *message_id; /* NULL: "<random@domain of from>" */
};

/* The whole message (LF line ends, as sendmail reads it): Date, From, To,
 * Subject, Message-ID, MIME-Version, Content-Type text/plain; charset=utf-8,
 * Content-Transfer-Encoding 8bit, Auto-Submitted: auto-generated, the
 * template's own headers and the marker; then the body, lines longer than
 * 78 characters wrapped at spaces.  Free *message_r. */
int sg_notice_render(const struct sg_notice_templates *t,
                     enum sg_notice_kind kind,
                     const struct sg_notice_values *values,
                     const struct sg_notice_envelope *env,
                     const struct sg_notice_key *key, char **message_r,
                     const char **error_r);

/* ------------------------------------------------------------ sending */

struct sg_notice_sender;

/* Split a command line into words (white space; '...' and "..." quote,
 * no other interpretation).  The first word is an absolute path; {from}
 * may appear in any word; {to} must be a word of its own, exactly once,
 * and becomes one argument per recipient. */
int sg_notice_sender_new(const char *command, unsigned timeout_ms,
                         struct sg_notice_sender **s_r, const char **error_r);
void sg_notice_sender_free(struct sg_notice_sender **s);
/* The timeout the sender was made with. */
unsigned sg_notice_sender_timeout_ms(const struct sg_notice_sender *s);

/* Run the command with the message on its standard input and wait: -1 with
 * the reason (exit status, signal, timeout, and the first line the command
 * wrote) unless it exits 0.  Safe in a threaded program (fork + execv;
 * only async-signal-safe calls in the child; no SIGPIPE). */
int sg_notice_send(const struct sg_notice_sender *s, const char *from,
                   const char *const *to, size_t n_to,
                   const char *rendered_message, const char **error_r);

/* ------------------------------------------------------------ together */

/* Everything a running daemon needs, built from its configuration. */
struct sg_notice {
    struct sg_notice_templates *templates;
    struct sg_notice_key *key;
    struct sg_notice_sender *sender;
    char *from;
    char *from_name;
    char **dsl_addresses;
    size_t n_dsl_addresses;
    char *review_url; /* "" : none */
    time_t retry_max_age; /* give up on a notice this old (seconds) */
};

int sg_notice_open(const struct sg_notice_config *cfg, struct sg_notice **n_r,
                   const char **error_r);
void sg_notice_free(struct sg_notice **n);

/* ------------------------------------------------------------ the outbox
 * (notice_outbox.c): notices are rendered when they are wanted and kept
 * in the store's outbox (store_outbox.h); they are handed to sendmail
 * later, by sg_notice_flush, so that no one waits for sendmail: the
 * daemon answers the MTA first, and a sendmail that is down loses
 * nothing. */

struct sg_store;
struct sg_outbox_batch;
struct sg_outbox_row;

/* "<notice.TIME.RANDOM@DOMAIN-OF-FROM>" in buf; -1 when from has no
 * domain or buf is too small. */
#define SG_NOTICE_MESSAGE_ID_MAX 256
int sg_notice_message_id(const char *from, time_t now, char *buf,
                         size_t size);

/* Render one notice of kind to to, with a Message-ID of its own, and add
 * it to batch for the outbox.  Nothing is sent. */
int sg_notice_queue(const struct sg_notice *n, enum sg_notice_kind kind,
                    const struct sg_notice_values *values,
                    const char *const *to, size_t n_to, time_t now,
                    struct sg_outbox_batch *batch, const char **error_r);

/* What became of one row a flush tried. */
enum sg_notice_flushed {
    SG_NOTICE_FLUSH_SENT,    /* handed to sendmail */
    SG_NOTICE_FLUSH_RETRY,   /* sendmail failed: tried again later */
    SG_NOTICE_FLUSH_GAVE_UP, /* failed, and older than max_age: kept,
                                marked failed */
};

/* Seconds after which a sender's claim on a row counts as the claim of
 * one that died: the sendmail timeout and a margin. */
#define SG_NOTICE_LEASE_MARGIN 10
time_t sg_notice_lease(const struct sg_notice *n);

struct sg_notice_flush {
    time_t max_age; /* give up on a row this old (seconds; 0: the
                       notices' retry_max_age) */
    size_t limit;   /* at most this many rows (0: until none is due) */
    bool early;     /* also rows waiting for their backoff (by hand,
                       once sendmail is mended); each row is tried at
                       most once in the flush */
    /* called for every row tried (may be NULL); error is NULL when sent */
    void (*each)(void *ctx, const struct sg_outbox_row *row,
                 enum sg_notice_flushed what, const char *error);
    /* asked before each row (may be NULL): true ends the flush there,
     * the rest left due (the daemon stopping) */
    bool (*stop)(void *ctx);
    void *ctx;
};
struct sg_notice_flush_result {
    size_t sent, retry, gave_up;
};

/* Hand the outbox's due rows to sendmail, one at a time: claim, send,
 * mark sent or to retry (exponential backoff).  -1 with *error_r only
 * when the outbox cannot be read or updated; a failed send is a row to
 * retry, not an error. */
int sg_notice_flush(const struct sg_notice *n, struct sg_store *q,
                    const struct sg_notice_flush *o,
                    struct sg_notice_flush_result *res_r,
                    const char **error_r);

#endif
