/*
 * review.h - the Designated Safeguarding Lead's operations on the
 * quarantine: list, show, release, reject, escalate, note, export,
 * expire, digest, audit, sync.
 *
 * One library for every front end: the command line (safeguard-review)
 * and the web page call the same functions, so a decision means the same
 * thing and is audited the same way whichever way it was made.  A front
 * end says who is acting and from where (struct sg_review_actor); every
 * operation, views included, appends a row to the audit table.
 *
 * The record store is core/store.c, the only code that speaks SQL: this
 * library reads and changes records through it (status changes are
 * compare-and-set there, so a message is never released twice) and keeps
 * the policy: who may decide, what to tell, the response target.  The
 * mail queue is
 * reached only through the configured command templates, run with execv
 * (never a shell): release ("postsuper -H {queue_id}"), delete
 * ("postsuper -d {queue_id} hold") and list ("postqueue -j", whose JSON
 * lines say which queue a message is in).  Decisions on one store are
 * serialised across processes by a lock file beside the database.
 *
 * Errors: functions return 0 on success, -1 on failure, or one of the
 * SG_REVIEW_* results below, with *error_r set as common/sg_error.h
 * describes.  No logging, no exit.  Messages never contain message content.
 */
#ifndef SG_REVIEW_H
#define SG_REVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "findings.h"
#include "notice.h"
#include "store.h"
#include "sg_buf.h"
#include "sg_msgview.h"
#include "sg_tz.h"
#include "sg_review_settings.h"

/* Results besides 0 and -1. */
#define SG_REVIEW_NOT_FOUND 1    /* no record with that id */
#define SG_REVIEW_WRONG_STATUS 2 /* already decided (says by whom) */
#define SG_REVIEW_GONE 3         /* the mail queue no longer holds the
                                    message: the record was updated */
#define SG_REVIEW_NOTICE_FAILED 4 /* decided, but the message to the
                                     sender could not be sent */

/* The settings (struct sg_review_settings, sg_review_settings_init, the
 * expire actions) are sg_review_settings.h: the configuration file's
 * review section and the mail queue's (sg_review_settings_compose). */

/* Everything sg_review_open needs.  notice may be NULL (no mail: no
 * --tell-sender, no mailed digest). */
struct sg_review_options {
    const char *db_path;   /* quarantine_db */
    const char *store_dir; /* quarantine_dir */
    struct sg_review_settings settings; /* copied, strings and all */
    const struct sg_notice_config *notice;
    const char *dsl_contact;             /* {dsl} in notices */
    const char *const *school_domains;   /* the sender may be told only */
    size_t n_school_domains;             /* at a school address */
    const char *timezone; /* times for people; NULL, "" or "UTC": UTC */
    bool create_store;    /* an absent database is made, as the owner of
                             its directory (serve: the page comes up with
                             an empty queue before anything is held) */
    /* the schools of a trust, for each record's notices (kept, not
     * copied); NULL: one school */
    const struct sg_config *config;
};

/* Who acts, and from where ("command line", a web client's address). */
struct sg_review_actor {
    const char *user;
    const char *from;
    /* the review tracks the actor reviews: bit 1 << enum sg_track each
     * (sg_review_tracks_of); 0: every track (the command line, whose
     * user can read the store anyway); SG_REVIEW_TRACKS_NONE: none */
    unsigned tracks;
    /* the school of a trust the actor reviews (core/school.h): another
     * school's record is as one that does not exist; NULL: every school
     * (sg_review_school_scope) */
    const char *school;
};
#define SG_REVIEW_TRACKS_NONE (1u << 31)

/* Scope actor to the school that names login as a reviewer (web: a login
 * no list names sees nothing once any reviewer is scoped; the command
 * line: such a user, who can read the store anyway, is left as it is),
 * given the trust's reviewers (review_trust_reviewers).  A trust
 * reviewer, or a configuration with no schools, is left to the tracks'
 * lists as before. */
struct sg_config;
void sg_review_school_scope(const struct sg_config *cfg,
                            const char *const *trust, size_t n_trust,
                            const char *login, bool web,
                            struct sg_review_actor *actor);
/* The command line's: the reviewer a command is credited to (login: --by,
 * SUDO_USER under root, else the Unix user), with the configuration's
 * trust reviewers; the actor's school and tracks start afresh. */
void sg_review_cli_scope(const struct sg_config *cfg, const char *login,
                         struct sg_review_actor *actor);
/* --school NAME: the actor keeps to that school; -1 when it reviews
 * another school only. */
int sg_review_only_school(struct sg_review_actor *actor, const char *name,
                          const char **error_r);

/* The tracks login reviews, given the logins of each track's reviewers
 * (review_conduct_reviewers, review_welfare_reviewers): a track whose list
 * is empty is everyone's.  SG_REVIEW_TRACKS_NONE when login is in
 * neither of two lists given. */
unsigned sg_review_tracks_of(const char *const *conduct, size_t n_conduct,
                             const char *const *welfare, size_t n_welfare,
                             const char *login);

struct sg_review;
struct sg_outbox_row;

/* Open an existing store (an absent database is an error unless
 * opts->create_store) and the notices if configured. */
int sg_review_open(const struct sg_review_options *opts,
                   struct sg_review **r_r, const char **error_r);
void sg_review_close(struct sg_review **r);
const struct sg_review_settings *sg_review_get_settings(
    const struct sg_review *r);
/* The record store (for sg_store_* calls). */
struct sg_store *sg_review_store(struct sg_review *r);
/* The school's zone (NULL: UTC), while r is open. */
const struct sg_tz *sg_review_tz(const struct sg_review *r);
/* t for people, in the school's zone with its abbreviation (sg_tz_format):
 * what the command line, the page and the review tool's notices show. */
void sg_review_time(const struct sg_review *r, time_t t,
                    enum sg_time_style style, char *buf, size_t size);

/* ------------------------------------------------------------ list */

struct sg_review_filter {
    bool any_status;                  /* else only status */
    bool waiting;    /* held or escalated (overrides status) */
    enum sg_store_status status; /* default: held */
    time_t min_age;    /* seconds; 0: any */
    time_t max_age;    /* seconds; 0: any */
    const char *rule;  /* rule id, exact; NULL any */
    const char *sender; /* envelope sender, substring, case-insensitive */
    const char *host;   /* the records of this host only; NULL: any */
    unsigned tracks;    /* as struct sg_store_filter's; 0: any (the actor's
                           tracks narrow it further) */
    const char *school; /* a school of a trust's records only; NULL: any
                           (the actor's school narrows it further) */
    bool oldest_first; /* default newest first */
    size_t limit;      /* 0: no limit */
    size_t offset;     /* skip this many first (paging) */
    const char *cursor_id; /* keyset paging, as struct sg_store_filter's: */
    time_t cursor_created; /* the rows after this one (before, with */
    bool before;           /* before); NULL: from the first */
};

/* A page's cursor as links and --after give it, "CREATED,ID" (a list
 * item's created time and id): true with *created_r and *id_r (into v),
 * or false for anything else. */
bool sg_review_cursor_parse(const char *v, time_t *created_r,
                            const char **id_r);

/* Items are the store's (struct sg_store_item, core/store.h); free them
 * with sg_store_items_free. */
int sg_review_list(struct sg_review *r, const struct sg_review_filter *f,
                   const struct sg_review_actor *actor,
                   struct sg_store_item **items_r, size_t *n_r,
                   const char **error_r);

/* The track of each of n listed items into tracks_r (a record without one
 * is staff-conduct), for a page that shows some tracks differently.  Not
 * audited: it shows nothing the listing did not.  -1 with *error_r. */
int sg_review_items_tracks(struct sg_review *r,
                           const struct sg_store_item *items, size_t n,
                           enum sg_track *tracks_r, const char **error_r);

/* Is the record waiting for a decision (held or escalated)? */
bool sg_review_waiting(enum sg_store_status status);
/* Past the response target at now (only waiting records can be). */
bool sg_review_overdue(const struct sg_review *r, enum sg_store_status s,
                       time_t created, time_t now);
/* "3d 4h", "5h 02m", "12m" into buf. */
void sg_review_format_age(time_t seconds, char *buf, size_t size);

/* ------------------------------------------------------------ show */

/* A record's rows are the store's (struct sg_store_rcpt, sg_store_rule,
 * sg_store_finding, sg_store_audit_row: core/store.h). */

struct sg_store_decision; /* core/store_hosts.h */

struct sg_review_detail {
    struct sg_store_record *record;
    struct sg_store_rcpt *rcpts;
    size_t n_rcpts;
    struct sg_store_rule *rules;
    size_t n_rules;
    struct sg_store_finding *findings;
    size_t n_findings;
    struct sg_store_audit_row *history;
    size_t n_history;
    /* The stored copy, parsed by the milter's view builder; NULL when the
     * copy was purged or cannot be read (view_error says why). */
    struct sg_msgview *view;
    char *view_error;
    enum sg_mailqueue_state queue; /* where the MTA has it now */
    char *queue_name;                 /* "hold", "deferred", ... or NULL */
    /* The notices about it (core/store_outbox.h), oldest first, with
     * their text: what its sender and the DSL were told, and when. */
    struct sg_outbox_row *notices;
    size_t n_notices;
    /* The host whose hold queue has the message (NULL: a record made
     * before hosts were kept), whether it is this one (then queue says
     * where it is; otherwise this host's queue does not have it), and the
     * decisions that host is to carry out or did (core/store_hosts.h). */
    char *host;
    bool here;
    struct sg_store_decision *decisions;
    size_t n_decisions;
};

/* The whole record; appends a "view" audit row.  with_queue: also ask
 * the mail queue where the message is (runs the queue command). */
int sg_review_show(struct sg_review *r, const char *id,
                   const struct sg_review_actor *actor, bool with_queue,
                   struct sg_review_detail **d_r, const char **error_r);
void sg_review_detail_free(struct sg_review_detail **d);

/* Where in text (len bytes) the findings' texts occur: sorted,
 * non-overlapping byte ranges [start, end), whole UTF-8 characters,
 * matched case-insensitively (ASCII). */
int sg_review_find_marks(const char *text, size_t len,
                         const struct sg_store_finding *findings,
                         size_t n_findings, struct sg_span **spans_r,
                         size_t *n_r, const char **error_r);

/* ------------------------------------------------------------ decisions */

/* The words of a release or a rejection.  note: for the record
 * (required: kept in the audit and shown to reviewers, never mailed).
 * to_sender: a message to the member of staff who sent it (NULL or
 * blank: nobody is mailed); it is mailed only to a school address that
 * authenticated or came from a trusted network (checked before anything
 * is done), from released-sender.txt or rejected-sender.txt, credited to
 * the actor, and kept in a "told-sender" audit row with the words sent. */
struct sg_review_words {
    const char *note;
    const char *to_sender;
};

/* The audit action of a notice to the sender about a decision. */
#define SG_REVIEW_TOLD_SENDER "told-sender"

/* Does text have anything but blanks? */
bool sg_review_text_given(const char *text);

/* Release: run the release command, then held/escalated -> released.
 * SG_REVIEW_GONE when the queue no longer holds it: the record is marked
 * as sg_store_queue_check says (released if the queue has it
 * elsewhere, expired if not at all, once it was seen on hold; lost if it
 * never was), with an audit note saying so; -1 and nothing done when it
 * was never seen on hold and is younger than the grace period.
 * SG_REVIEW_WRONG_STATUS when already decided.  SG_REVIEW_NOTICE_FAILED:
 * released, but the message to the sender could not be sent. */
int sg_review_release(struct sg_review *r, const char *id,
                      const struct sg_review_actor *actor,
                      const struct sg_review_words *words,
                      const char **error_r);
/* A host gone for good (review_reinject.c): send the stored copy of
 * another host's released record again through this host's sendmail,
 * to its recipients, with the header that lets this host's filter pass
 * it once, and leave the gone host a decision to delete its held copy.
 * release: a held or escalated record is released first (with note).
 * note is required.  0; SG_REVIEW_WRONG_STATUS (not another host's, not
 * released, no copy), SG_REVIEW_NOT_FOUND; -1. */
int sg_review_reinject(struct sg_review *r, const char *id,
                       const struct sg_review_actor *actor, const char *note,
                       bool release, const char **error_r);
/* Reject: delete from the hold queue, held/escalated -> rejected; the
 * words as for a release.  SG_REVIEW_NOTICE_FAILED: rejected, but the
 * notice failed. */
int sg_review_reject(struct sg_review *r, const char *id,
                     const struct sg_review_actor *actor,
                     const struct sg_review_words *words,
                     const char **error_r);
/* held -> escalated; the message stays held. */
int sg_review_escalate(struct sg_review *r, const char *id,
                       const struct sg_review_actor *actor, const char *note,
                       const char **error_r);
/* A note on the record, nothing else changes. */
int sg_review_note(struct sg_review *r, const char *id,
                   const struct sg_review_actor *actor, const char *note,
                   const char **error_r);

/* Check every waiting record against the mail queue
 * (sg_store_reconcile, as the daemon does on its timer): records
 * whose message was released or deleted by hand are updated as in
 * release, and records whose message the mail system never held, older
 * than review_reconcile_grace, are marked lost.  Each one changed is
 * written to report (one line), if not NULL.  *n_gone_r: how many. */
int sg_review_sync(struct sg_review *r, const struct sg_review_actor *actor,
                   FILE *report, size_t *n_gone_r, const char **error_r);

/* ------------------------------------------------------------ requests
 * (review_request.c): the sender of a held message asks for its release
 * with a reason, on the page their notice links to (no login: the link's
 * token, core/notice.h sg_notice_request_token, is the authority). */

#define SG_REVIEW_BAD_REASON 5 /* a request without a reason, or too long */
#define SG_REVIEW_REASON_MAX 2000 /* bytes */
/* Seconds after a request in which another is recorded without a
 * second notice to the reviewers. */
#define SG_REVIEW_REQUEST_QUIET 3600

/* What the request page shows: the record, and the rules the sender may
 * see (the enforced ones that held it) first in rules, n_rules of them,
 * before the others (n_all_rules in all, for the reviewers' notice). */
struct sg_review_request {
    struct sg_store_record *record;
    struct sg_store_rule *rules;
    size_t n_rules, n_all_rules;
};

/* Check token for record id, and that the record still waits: 0 and
 * *req_r; SG_REVIEW_NOT_FOUND for an unknown record or a wrong token
 * alike; SG_REVIEW_WRONG_STATUS when no longer held; -1.  A refusal is
 * audited ("release-request-refused", client). */
int sg_review_request_open(struct sg_review *r, const char *id,
                           const char *token, const char *client,
                           struct sg_review_request **req_r,
                           const char **error_r);
void sg_review_request_free(struct sg_review_request **req);
/* Record a request (checked as sg_review_request_open): an audit row
 * "release-request" by the record's sender with the reason, and a notice
 * (request-dsl.txt) to the reviewers of the record's track unless an
 * earlier request was made within SG_REVIEW_REQUEST_QUIET.  The record
 * stays held.  0; SG_REVIEW_BAD_REASON (nothing recorded); the results
 * of sg_review_request_open; SG_REVIEW_NOTICE_FAILED (recorded, but the
 * notice could not be queued); -1. */
int sg_review_request_release(struct sg_review *r, const char *id,
                              const char *token, const char *reason,
                              const char *client, const char **error_r);
/* The record's release requests (audit rows, oldest first). */
int sg_review_requests(struct sg_review *r, const char *id,
                       struct sg_store_audit_row **rows_r, size_t *n_r,
                       const char **error_r);

/* ------------------------------------------------------------ retention */

struct sg_review_expire_result {
    size_t expired;  /* held past hold_max_days, given the outcome */
    size_t gone;     /* found missing from the queue on the way */
    size_t purged;   /* records emptied to tombstones after their
                        retention (a dry run: that would be) */
    size_t copies;   /* message copies removed with them */
    size_t strays;   /* orphan copies and temporary files removed */
    size_t failed;   /* records that could not be expired this time */
};

/* At time now: expire held mail (hold_max_days), give decided records
 * their retention class and date, empty those past it and on no legal
 * hold to tombstones and remove their copies (audit rows stay), remove
 * stray files in the message directory older than an hour.  One line
 * per action to report, if not NULL. */
int sg_review_expire(struct sg_review *r, const struct sg_review_actor *actor,
                     time_t now, FILE *report,
                     struct sg_review_expire_result *res_r,
                     const char **error_r);
/* The same; dry_run: list what would go, change nothing else. */
int sg_review_expire_run(struct sg_review *r,
                         const struct sg_review_actor *actor, time_t now,
                         bool dry_run, FILE *report,
                         struct sg_review_expire_result *res_r,
                         const char **error_r);

/* ------------------------------------------------------------ reports */

enum sg_review_format {
    SG_REVIEW_CSV = 0,
    SG_REVIEW_JSON,
    SG_REVIEW_HTML, /* sg_review_concerns only: a table, the rows the
                       other two formats would export (the site's
                       /concerns preview) */
};

/* One row per decision (released, rejected, escalated, expired, note)
 * made at or after since, oldest first, with the record's fields.  CSV
 * (RFC 4180, a header row; cells that a spreadsheet would run as a
 * formula are prefixed with ') or a JSON array of objects.  Audited as
 * "export". */
int sg_review_export(struct sg_review *r, time_t since,
                     enum sg_review_format format, FILE *out,
                     const struct sg_review_actor *actor,
                     const char **error_r);

/* Who reads a digest, and of which records: as the records' notices
 * went (sg_notice_track_to), the DSLs, and, when the review tracks have
 * their own people, the conduct reviewers and the chair of governors.
 * In a trust each school's people read of their school's records only,
 * in a digest with their school's templates and contact; the trust's own
 * addresses (the keys outside any school block, where no school has the
 * same) read of every school's, and of the records of no school; and
 * trust_dsl_addresses, when set, of every record, whoever else reads of
 * it (list SG_REVIEW_TO_ALL, school NULL). */
struct sg_review_audience {
    const char *school;    /* its records only; NULL: every school's */
    const char *const *to; /* the addresses (the configuration's) */
    size_t n_to;
    int list; /* the records whose notices went to this list of their
                 school's: SG_REVIEW_TO_DSL, _CONDUCT, _CHAIR; or
                 SG_REVIEW_TO_ALL, every record */
    /* the records of no configured school only (held before schools
     * were set up, or of a school since removed): the trust's list when
     * schools share it, so that such a record is in some digest */
    bool unowned;
};
enum { SG_REVIEW_TO_ALL = -1, SG_REVIEW_TO_DSL, SG_REVIEW_TO_CONDUCT,
       SG_REVIEW_TO_CHAIR };
/* The digests to make, into *a_r (free() it), *n_r of them: at least
 * one (the DSLs', every record, when the tracks have no people of their
 * own or notices are not configured).  -1 when out of memory. */
int sg_review_digest_audiences(const struct sg_review *r,
                               struct sg_review_audience **a_r, size_t *n_r,
                               const char **error_r);
/* The waiting records, oldest first, those past the response target
 * flagged, as text in out (appended): of the records a tells of (NULL:
 * every record).  *n_waiting_r, *n_overdue_r may be NULL. */
int sg_review_digest(struct sg_review *r, time_t now,
                     const struct sg_review_audience *a, struct sg_buf *out,
                     size_t *n_waiting_r, size_t *n_overdue_r,
                     const char **error_r);
/* Mail the digest text to a's addresses, with its school's templates
 * and contact (a NULL: the DSL addresses). */
int sg_review_digest_mail(struct sg_review *r, const char *text,
                          const struct sg_review_audience *a,
                          size_t n_waiting, size_t n_overdue, time_t now,
                          const struct sg_review_actor *actor,
                          const char **error_r);

/* Hand the outbox's due notices (the daemon's and this tool's) to the
 * configured sendmail now (sg_notice_flush); -1 when notices are not
 * configured or the outbox cannot be read. */
int sg_review_outbox_flush(struct sg_review *r,
                           const struct sg_notice_flush *o,
                           struct sg_notice_flush_result *res_r,
                           const char **error_r);

/* Audit rows, oldest first: of one record (id) or all (NULL), at or after
 * since. */
int sg_review_audit_list(struct sg_review *r, const char *id, time_t since,
                         struct sg_store_audit_row **rows_r, size_t *n_r,
                         const char **error_r);

#endif
