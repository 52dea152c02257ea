/*
 * store.h - the record store: what was held, why, for whom, what became
 * of it, and who decided.  The only module that knows the schema: the
 * milter writes a hold through it, and the review tool reads records,
 * lists, audit rows and exports, changes statuses and purges through it,
 * with no SQL of its own.
 *
 * The store is a front (store.c: the message copies, the review lock,
 * reconciling with the mail queue) over a backend behind a small table of
 * functions (store_int.h).  SQLite is the one backend now
 * (store_sqlite*.c): one database (WAL) and, beside it, a directory
 * holding a copy of each held message.
 *
 * The milter calls sg_store_hold() at end of message for a verdict of
 * hold, before it answers the MTA: the message copy and the record (sender,
 * recipients and their roles, every matching rule, its findings and
 * explanations, and an audit row) are written completely or not at all.
 * If the call fails, the milter tempfails the message: a message is never
 * held without a record.  The review tool (safeguard-review) reads the same
 * store and changes a record's status with sg_store_set_status().
 *
 * Reads are whole or an error: a failure of the database in the middle of
 * a list is -1, never a shorter list.
 *
 * A struct sg_store may be used by any number of threads at once.
 *
 * Errors: functions return 0 on success and -1 on failure, with *error_r
 * set as common/sg_error.h describes.  Messages name the file concerned
 * and never contain message content.
 */
#ifndef SG_STORE_H
#define SG_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mailqueue.h"
#include "sg_person.h"
#include "sg_rules.h"

struct sg_outbox_batch;

/* The schema version this code writes (the schema_version table, and
 * PRAGMA user_version, which versions 1 and 2 used alone).  A database
 * with a newer version is refused; an older one is upgraded at open, one
 * version at a time. */
#define SG_STORE_SCHEMA_VERSION 13

/* How long a call waits for another process (or connection) holding the
 * database's write lock before it gives up, by default. */
#define SG_STORE_BUSY_TIMEOUT_MS 5000

/* Results besides 0 and -1. */
#define SG_STORE_NOT_FOUND    1 /* no record with that id */
#define SG_STORE_WRONG_STATUS 2 /* the record is not in from_status */
#define SG_STORE_BUSY         3 /* the review lock is taken */
#define SG_STORE_CHANGED      4 /* the status was changed */

enum sg_store_status {
    SG_QSTATUS_HELD = 0,
    SG_QSTATUS_RELEASED,
    SG_QSTATUS_REJECTED,
    SG_QSTATUS_EXPIRED,
    SG_QSTATUS_ESCALATED,
    SG_QSTATUS_LOST, /* the mail system did not keep (hold) the message */
    /* Records of messages that were never held (version 5): a rule that
     * notifies the DSL refused, journalled or annotated them.  Nothing
     * waits in the mail queue, so there is nothing to release or delete;
     * the DSL can only read and note them. */
    SG_QSTATUS_REFUSED,   /* refused when it was sent (reject) */
    SG_QSTATUS_DELIVERED, /* delivered (annotate) */
    SG_QSTATUS_ARCHIVED,  /* delivered, with a copy to the archive (journal) */
};

/* "held", "released", "rejected", "expired", "escalated", "lost",
 * "refused", "delivered", "archived" (the strings stored in
 * records.status); "?" for a value out of range. */
const char *sg_store_status_name(enum sg_store_status status);
/* The same in words for people: "held", ..., "not kept by the mail
 * system", "refused when sent", "delivered, with an archive copy". */
const char *sg_store_status_title(enum sg_store_status status);
/* 0, or -1 when name is not a status. */
int sg_store_status_parse(const char *name, enum sg_store_status *status_r);
/* Is it the record of a message that was never held (refused, delivered,
 * archived)?  Such a record has no message copy and takes no decision. */
bool sg_store_status_unheld(enum sg_store_status status);
/* The record's status for a verdict the filter applied: held for a hold,
 * refused for a reject, archived when a copy goes to the journal,
 * delivered otherwise. */
enum sg_store_status sg_store_status_of_verdict(const struct sg_verdict *v);

struct sg_store;

/* Open (creating on first use) the database at db_path (a location:
 * "sqlite:PATH", "postgresql:CONNINFO" or a PATH) and the message
 * directory store_dir (created with mode 0750 if missing; its parent must
 * exist).  A new database file is created with mode 0640.  Refuses a
 * database with a newer schema version, one made by another program, and
 * one that cannot be written. */
/* The SQLite file a store location names ("sqlite:PATH" or a bare PATH),
 * or NULL for a database on a server ("postgresql:CONNINFO"). */
const char *sg_store_file(const char *location);
/* The store a location names, for a log line: the file, or "the
 * PostgreSQL store" (never the conninfo, which may hold a password). */
const char *sg_store_name(const char *location);

int sg_store_open(const char *db_path, const char *store_dir,
                  struct sg_store **q_r, const char **error_r);
/* Change how long a call waits for a busy database (milliseconds). */
void sg_store_set_busy_timeout(struct sg_store *q, int ms);
void sg_store_close(struct sg_store **q);

/* Everything about one held message.  Strings are copied; NULL is allowed
 * where marked.  The message is either in memory (data != NULL: data, len;
 * an empty message is data "" with len 0) or, when data is NULL, in the
 * file fd, of which the first fd_size bytes are read with pread from
 * offset 0 (the file offset is not used or changed).  From a struct
 * sg_msgbuf: data = spilled ? NULL : (mem.data ? mem.data : ""),
 * len = mem.len, fd = fd, fd_size = size. */
struct sg_hold {
    const char *queue_id;  /* the MTA's queue id */
    time_t time;           /* when it was held */
    const char *client;    /* client address; NULL if unknown */
    bool client_trusted;   /* client in trusted_networks */
    const char *auth_user; /* SMTP AUTH user; NULL if none */
    const char *env_from;  /* envelope sender ("" for <>) */
    /* the directory's display name of the sender judged; NULL: none (the
     * recipients' names are their persons') */
    const char *sender_name;
    const struct sg_party *rcpts;
    size_t n_rcpts;
    const char *subject; /* decoded subject; NULL if none */
    const struct sg_verdict *verdict;
    const char *data;
    size_t len;
    int fd;
    uint64_t fd_size;
    /* SG_QSTATUS_HELD (0, a hold: data or fd is the message), or the
     * status of the record of a message that was not held
     * (sg_store_status_unheld): then no copy is kept, data and fd are not
     * read, and the audit row says "refused", "delivered" or "archived". */
    enum sg_store_status status;
    /* The notices that go with the record (may be NULL): called once the
     * record's id is chosen, it renders them into batch, and the store
     * writes them to the outbox in the record's own transaction.  It
     * cannot fail the hold: it keeps its own errors. */
    void (*notices)(void *ctx, const char *record_id,
                    struct sg_outbox_batch *batch);
    void *notices_ctx;
    /* the school of a trust it is about (core/school.h); NULL: the one
     * school there is */
    const char *school;
};

/* Store the message copy as STORE_DIR/ID.eml (mode 0640) and the record
 * with its recipients, rules, findings and a "held" audit row, all or
 * nothing.  For a message not held (hold->status), the record and its
 * rows alone, with no copy (message_path NULL, size 0).  *record_id_r is the new record's id, "SG-YYYYMMDD-XXXXXX"
 * (the UTC date of hold->time and random hex), for the caller to free(). */
int sg_store_hold(struct sg_store *q, const struct sg_hold *hold,
                  char **record_id_r, const char **error_r);

/* One record, as sg_store_get() returns it.  NULL where the column
 * is NULL (client, auth_user, subject; message_path once the copy has
 * been purged). */
struct sg_store_record {
    char *id;
    char *queue_id;
    time_t created;
    char *client;
    bool trusted;
    char *auth_user;
    char *env_from;
    char *subject;
    enum sg_store_status status;
    time_t status_changed;
    char *message_path;
    uint64_t message_size;
    char *action;
    char *explain_sender;
    char *explain_dsl;
    time_t queue_seen; /* first seen in the hold queue; 0: not yet */
    char *sender_name; /* the directory's name for the sender; NULL: none */
    char *track;       /* "staff-conduct", "pupil-welfare"; NULL for a
                          record made before tracks were kept */
    char *school;      /* the school of a trust; NULL: the one school */
};

/* 0 and *record_r (free with sg_store_record_free), or
 * SG_STORE_NOT_FOUND, or -1. */
int sg_store_get(struct sg_store *q, const char *record_id,
                 struct sg_store_record **record_r, const char **error_r);
void sg_store_record_free(struct sg_store_record **record);

/* Change the record's status from from_status to to_status, only if it is
 * in from_status now (so a message is never released twice), and append an
 * audit row (actor, client the actor came from, action = the new status's
 * name, note) in the same transaction.  actor is required; client and note
 * may be NULL.  0 when changed; SG_STORE_WRONG_STATUS (the record is
 * in another status: *error_r says which) or SG_STORE_NOT_FOUND, with
 * nothing changed; -1 on error. */
int sg_store_set_status(struct sg_store *q, const char *record_id,
                        enum sg_store_status from_status,
                        enum sg_store_status to_status, const char *actor,
                        const char *client, const char *note,
                        const char **error_r);

/* The audit action of a sender's request for a held message's release
 * (review/review_request.c); the list counts them per record. */
#define SG_STORE_RELEASE_REQUEST "release-request"

/* Append one audit row that changes nothing else: a note on a record, a
 * login, a view.  record_id, client and note may be NULL; actor and action
 * are required.  0 or -1 (a record_id is not checked against records: the
 * audit outlives purged records). */
int sg_store_audit(struct sg_store *q, const char *record_id, const char *actor,
                   const char *client, const char *action, const char *note,
                   const char **error_r);

/* ------------------------------------------------------------ reads */

/* Which records sg_store_list returns.  Zero values select anything. */
struct sg_store_filter {
    bool any_status;             /* else only status */
    bool waiting;                /* held or escalated (overrides status) */
    enum sg_store_status status; /* default: held */
    time_t created_max;          /* created at or before; 0: any */
    time_t created_min;          /* created at or after; 0: any */
    time_t changed_min;          /* status changed at or after; 0: any */
    const char *rule;            /* rule id, exact; NULL: any */
    const char *sender; /* envelope sender, substring, case-insensitive */
    unsigned tracks;    /* bit 1 << enum sg_track of each track shown
                           (a record without a track is staff-conduct);
                           0: every track */
    bool oldest_first;  /* default newest first */
    size_t limit;       /* 0: no limit */
    size_t offset;      /* skip this many first (paging) */
    const char *school; /* this school's records only (never one of no
                           school); NULL: any */
    /* Keyset paging: the rows after the row (cursor_created, cursor_id)
     * in the list's order, as an item gives them (the created time, then
     * the id, break ties); with before, the limit rows just before it,
     * still listed in the list's order.  The database finds the page in
     * its (created, id) index, however deep: OFFSET walks every row it
     * skips.  cursor_id NULL: from the first row. */
    const char *cursor_id;
    time_t cursor_created;
    bool before;
};

/* One line of a list: the record and a summary of its rows. */
struct sg_store_item {
    char *id;
    char *queue_id;
    time_t created;
    enum sg_store_status status;
    time_t status_changed;
    char *env_from;
    char *subject;    /* "" if none */
    char *rules;      /* "rule-a,rule-b" */
    char *recipients; /* "a@x (pupil), b@y (external)" */
    char *sender_name;     /* the directory's name; "" if none */
    char *rule_titles;     /* "Title A\nTitle B", in rule order */
    char *recipient_names; /* "Amy Patel (pupil), b@y (external)": the
                              name where the directory had one */
    size_t requests;       /* the sender's release requests (audit rows
                              SG_STORE_RELEASE_REQUEST) */
    char *school;          /* "" for none */
};

struct sg_store_rcpt {
    char *address;
    char *roles;   /* "pupil" / "staff,dsl" / "external" */
    char *channel; /* school | personal | none */
    char *name;    /* the directory's display name; NULL: none */
    char *upn;     /* a pupil's unique pupil number; NULL: none */
};

struct sg_store_rule {
    char *id, *title, *policy, *source, *mode, *action;
    char *recipients, *notify, *explain_sender, *explain_dsl;
    char *category; /* the rule's category; "" when it had none */
};

struct sg_store_finding {
    char *rule_id;
    char *detector;
    char *text;     /* the matched text (untrusted) */
    char *location; /* "subject", "body (text/plain)", ... */
};

struct sg_store_audit_row {
    long long id;
    char *record_id; /* NULL for a row about no record */
    time_t time;
    char *actor;
    char *client;
    char *action;
    char *note;
};

/* Each of these fills a whole array (free with the matching _free) or
 * fails with -1: never a part of the rows. */
int sg_store_list(struct sg_store *q, const struct sg_store_filter *f,
                  struct sg_store_item **items_r, size_t *n_r,
                  const char **error_r);
void sg_store_items_free(struct sg_store_item **items, size_t *n);
/* Free one item's fields, not the item (a struct sg_store_item *). */
void sg_store_item_clear(void *item);
/* A record's recipients, rules and findings, in their order. */
int sg_store_rcpts(struct sg_store *q, const char *record_id,
                   struct sg_store_rcpt **rcpts_r, size_t *n_r,
                   const char **error_r);
void sg_store_rcpts_free(struct sg_store_rcpt **rcpts, size_t *n);
int sg_store_rules(struct sg_store *q, const char *record_id,
                   struct sg_store_rule **rules_r, size_t *n_r,
                   const char **error_r);
void sg_store_rules_free(struct sg_store_rule **rules, size_t *n);
int sg_store_findings(struct sg_store *q, const char *record_id,
                      struct sg_store_finding **findings_r, size_t *n_r,
                      const char **error_r);
void sg_store_findings_free(struct sg_store_finding **findings, size_t *n);
/* Audit rows, oldest first: of one record (record_id) or all (NULL),
 * with one action or any (NULL), at or after since. */
int sg_store_audit_rows(struct sg_store *q, const char *record_id,
                        const char *action, time_t since,
                        struct sg_store_audit_row **rows_r, size_t *n_r,
                        const char **error_r);
void sg_store_audit_rows_free(struct sg_store_audit_row **rows, size_t *n);

/* One decision (released, rejected, escalated, expired, lost, note) with
 * its record's fields; the record's are NULL (and has_record false) when
 * it was purged.  Strings are valid during the call of each only. */
struct sg_store_export_row {
    time_t time;
    const char *record_id, *action, *actor, *client, *note;
    bool has_record;
    time_t created;
    const char *env_from;
    const char *authenticated; /* "yes (LOGIN)", "trusted network", "no" */
    const char *recipients;    /* "a@x (pupil); ..." */
    const char *rules;         /* "rule-id: title; ..." */
    const char *findings;      /* "detector \"text\" in location; ..." */
    const char *subject, *queue_id, *status;
    const char *track; /* NULL: a record purged or made before tracks */
    const char *school; /* the school of a trust; NULL: none */
};
/* Call each for every decision made at or after since, oldest first.
 * each returns 0, or -1 to stop (with *error_r set).  0 after the last
 * row; -1 when each or the database failed, whatever was passed on. */
int sg_store_export(struct sg_store *q, time_t since,
                    int (*each)(void *ctx,
                                const struct sg_store_export_row *row,
                                const char **error_r),
                    void *ctx, const char **error_r);

/* The held message's copy, for reading: 0 and *fd_r at offset 0 (close
 * it); SG_STORE_NOT_FOUND when there is none to read (purged, or the
 * file cannot be opened); -1 when the database failed.  From the database where it keeps the copies (PostgreSQL:
 * the same on every host of a trust), else the file message_path
 * (opened O_NOFOLLOW; the caller checks where it is first). */
int sg_store_message_fd(struct sg_store *q, const struct sg_store_record *r,
                        int *fd_r, const char **error_r);

/* ------------------------------------------------------------ retention */

/* 1 when a record with that id exists, 0 when not, -1. */
int sg_store_exists(struct sg_store *q, const char *record_id,
                    const char **error_r);
/* The decided records (released, rejected, expired, lost) whose status
 * changed at or before cut, oldest change first, and their copies' paths
 * ("" once purged): ids_r and paths_r have n_r entries each (free with
 * sg_strv_free). */
int sg_store_decided_before(struct sg_store *q, time_t cut, char ***ids_r,
                            char ***paths_r, size_t *n_r, const char **error_r);
/* Delete the record (its recipients, rules and findings go with it; its
 * audit rows stay) if it is still decided and changed at or before cut:
 * 1 deleted, 0 not (it changed meanwhile), -1. */
int sg_store_delete_decided(struct sg_store *q, const char *record_id,
                            time_t cut, const char **error_r);

/* Retention classes, legal holds and expiry (store_sql_retention.c).
 * A decided record gets a class from its outcome and track and the date
 * it expires (the decision plus the class's period); a status change
 * clears both, so that they are worked out again.  Past that date, and
 * not on a legal hold, expiry empties the record to a tombstone: the
 * copy, the recipients, the findings, the addresses, the subject, the
 * explanations, the notices and the audit rows' notes go; the id, the
 * dates, the rule ids, the status and the class stay, with the audit
 * rows (their notes NULL). */
#define SG_RETENTION_RELEASED   "released"      /* a false positive */
#define SG_RETENTION_NO_CONCERN "no-concern"    /* refused, delivered,
                                                   archived, expired, lost */
#define SG_RETENTION_CONDUCT    "staff-conduct" /* rejected, staff track */
#define SG_RETENTION_WELFARE    "pupil-welfare" /* rejected, pupil track */

/* Seconds each class is kept after the decision; 0: it never expires. */
struct sg_store_retention {
    int64_t released, no_concern, conduct, welfare;
};

/* Give record_id (NULL: every decided record) its class and expiry date
 * where it has none yet: 0 and *n_r records given one (may be NULL), or
 * -1.  Waiting records (held, escalated) and tombstones get none. */
int sg_store_retention_assign(struct sg_store *q,
                              const struct sg_store_retention *d,
                              const char *record_id, size_t *n_r,
                              const char **error_r);

/* A record's retention as stored. */
struct sg_store_retention_info {
    char *retention_class; /* NULL: none yet (waiting, or not yet run) */
    time_t expires;        /* 0: none (never, or not yet) */
    time_t tombstoned;     /* 0: not expired */
    bool on_hold;          /* an open legal hold */
    time_t hold_placed;
    char *hold_by, *hold_reason; /* NULL when not on hold */
};
/* 0 and *info_r (clear with sg_store_retention_info_clear),
 * SG_STORE_NOT_FOUND, or -1. */
int sg_store_retention_info(struct sg_store *q, const char *record_id,
                            struct sg_store_retention_info *info_r,
                            const char **error_r);
void sg_store_retention_info_clear(struct sg_store_retention_info *info);

/* ids of the records whose expiry date is at or before now, not yet
 * tombstones and not on a legal hold, earliest expiry first (free with
 * sg_strv_free). */
int sg_store_expired_ids(struct sg_store *q, time_t now, char ***ids_r,
                         size_t *n_r, const char **error_r);
/* Empty record_id to a tombstone, all or nothing, with an audit row
 * (actor, action "retention-expired", a note naming the class only),
 * if it is still due at now and on no legal hold: 0 and *path_r the
 * copy's file for the caller to remove (NULL: none; free it),
 * SG_STORE_WRONG_STATUS (not due, on hold, or a tombstone already:
 * *error_r says which), SG_STORE_NOT_FOUND, or -1. */
int sg_store_tombstone(struct sg_store *q, const char *record_id, time_t now,
                       const char *actor, char **path_r,
                       const char **error_r);

/* Place a legal hold on record_id (reason required), audited
 * ("legal-hold", the reason): 0, SG_STORE_WRONG_STATUS (on hold
 * already, or a tombstone), SG_STORE_NOT_FOUND, or -1. */
int sg_store_legal_hold(struct sg_store *q, const char *record_id,
                        const char *actor, const char *client,
                        const char *reason, const char **error_r);
/* Lift it (note required), audited ("legal-hold-lifted", the note): 0,
 * SG_STORE_WRONG_STATUS (not on hold), SG_STORE_NOT_FOUND, or -1. */
int sg_store_legal_lift(struct sg_store *q, const char *record_id,
                        const char *actor, const char *client,
                        const char *note, const char **error_r);

/* ids of the records (not tombstones) where address is the envelope
 * sender or a recipient, case-insensitively, oldest first (free with
 * sg_strv_free): a member of staff's, for a legal hold or a subject
 * access request. */
int sg_store_party_ids(struct sg_store *q, const char *address, char ***ids_r,
                       size_t *n_r, const char **error_r);

/* ------------------------------------------------------------ policy */

/* The policy changelog (core/store_sql_policy.c): each version of the
 * policy a daemon loaded or safeguard-milter -n --record recorded (the
 * rules file and the configuration, secrets left out), core/policy.h
 * says what goes in it. */
struct sg_store_policy_change {
    long long id;
    time_t time;
    char *host;  /* the host that recorded it */
    char *hash;  /* SHA-256 of the text, in hex */
    char *owner; /* who: the files' owner; "" when unknown */
    char *note;  /* why (--record "why"); "" when none was given */
    char *diff;  /* a unified diff from the version before */
};
/* The latest version host recorded: its hash and text (free both), or
 * NULL for both when none is recorded yet: 0 or -1.  Per host, because
 * several mail servers share one store and their settings differ in what
 * is each host's own (its name, its socket). */
int sg_store_policy_latest(struct sg_store *q, const char *host,
                           char **hash_r, char **text_r, const char **error_r);
/* A version to append, as the fields above; text is the whole text. */
struct sg_store_policy_new {
    time_t time;
    const char *host, *hash, *owner, *note, *diff, *text;
};
/* Append a version: 0 or -1. */
int sg_store_policy_add(struct sg_store *q,
                        const struct sg_store_policy_new *c,
                        const char **error_r);
/* The versions recorded at or after since and at or before until (0:
 * no bound), oldest first. */
int sg_store_policy_list(struct sg_store *q, time_t since, time_t until,
                         struct sg_store_policy_change **rows_r, size_t *n_r,
                         const char **error_r);
void sg_store_policy_changes_free(struct sg_store_policy_change **rows,
                                  size_t *n);

/* ------------------------------------------------------------ reports */

/* What the provision report counts (core/store_sql_report.c): no id,
 * address or name of anyone, so nothing read here can identify a pupil
 * or a member of staff. */
struct sg_store_report_record {
    time_t created;
    enum sg_store_status status;
    time_t decided; /* the first decision (released, rejected,
                       escalated); 0: none yet */
    bool held;      /* the message was held (else refused, delivered or
                       archived: sg_store_status_unheld) */
    char *school;   /* the school of a trust; "" for none */
};
struct sg_store_report_rule {
    char *rule_id, *title, *category; /* "" when none */
    size_t records;                   /* records the rule matched */
    size_t released, rejected;        /* of them, decided so */
};
/* The records created at or after from and at or before to, oldest
 * first; and per rule, the most matched first.  school: that school's
 * records only (a school's reviewer's report); NULL: every record. */
int sg_store_report_records(struct sg_store *q, time_t from, time_t to,
                            const char *school,
                            struct sg_store_report_record **rows_r,
                            size_t *n_r, const char **error_r);
int sg_store_report_rules(struct sg_store *q, time_t from, time_t to,
                          const char *school,
                          struct sg_store_report_rule **rows_r, size_t *n_r,
                          const char **error_r);
void sg_store_report_records_free(struct sg_store_report_record **rows,
                                  size_t *n);
void sg_store_report_rules_free(struct sg_store_report_rule **rows, size_t *n);

/* ------------------------------------------------------------ the queue */

/* The lock that keeps a decision, a sync and the daemon's reconcile from
 * acting on one record at once: on SQLite a file beside the database
 * (DB-review.lock); on PostgreSQL an advisory lock held by a connection
 * of its own, so that it holds across every host of a trust (the fd is
 * that connection's socket).  wait: block until it is free; otherwise
 * SG_STORE_BUSY when it is taken.  0 and *fd_r (give it to
 * sg_store_unlock), or -1. */
int sg_store_lock(struct sg_store *q, bool wait, int *fd_r,
                  const char **error_r);
void sg_store_unlock(int fd);

/* ids of the waiting records (held or escalated) created at or before
 * until, oldest first (free with sg_strv_free). */
int sg_store_waiting_ids(struct sg_store *q, time_t until, char ***ids_r,
                         size_t *n_r, const char **error_r);

/* What became of a waiting record's message, given where the mail queue
 * has it now (state, and queue_name for SG_MAILQUEUE_OTHER).  Call with
 * the lock held.
 *   - on hold: the record is marked seen there (queue_seen), 0;
 *   - elsewhere or gone, after being seen on hold: it was released
 *     (elsewhere) or released or deleted (gone) by hand: released or
 *     expired, SG_STORE_CHANGED;
 *   - elsewhere or gone, never seen on hold, and older than grace
 *     seconds: the mail system did not keep the message as held (it
 *     tempfailed it when the filter stopped or answered too late, or it
 *     was never told to hold it): lost, SG_STORE_CHANGED;
 *   - younger than that, or the queue not consulted: 0.
 * A status change has an audit row (actor, client, the note) and the
 * note in note (note_size bytes), the new status in *to_r.
 * SG_STORE_WRONG_STATUS or SG_STORE_NOT_FOUND when the record
 * changed meanwhile; -1. */
int sg_store_queue_check(struct sg_store *q, const struct sg_store_record *rec,
                         enum sg_mailqueue_state state, const char *queue_name,
                         time_t now, time_t grace, const char *actor,
                         const char *client, enum sg_store_status *to_r,
                         char *note, size_t note_size, const char **error_r);

/* Reconcile every waiting record with the mail queue: take the lock,
 * list the queue (queue_command, timeout seconds), and
 * sg_store_queue_check each record.  Nothing is changed when the
 * queue cannot be listed.  each (may be NULL) is called for every record
 * changed. */
struct sg_store_reconcile {
    const char *queue_command; /* "postqueue -j"; required */
    unsigned timeout;          /* seconds for the command */
    time_t now;
    time_t grace;       /* seconds a record may wait to be seen on hold */
    bool wait;          /* wait for the lock (else SG_STORE_BUSY) */
    const char *actor;  /* for the audit rows */
    const char *client; /* may be NULL */
    const char *host;   /* only this host's records (and those made
                           before hosts were kept): the queue listed is
                           its own (store_hosts.h); NULL: every record */
    void (*each)(void *ctx, const struct sg_store_record *rec,
                 enum sg_store_status to, const char *note);
    void *ctx;
};
struct sg_store_reconcile_result {
    size_t checked; /* waiting records */
    size_t seen;    /* newly seen on hold */
    size_t lost;    /* marked lost */
    size_t gone;    /* marked released or expired */
};
int sg_store_reconcile(struct sg_store *q, const struct sg_store_reconcile *o,
                       struct sg_store_reconcile_result *res_r,
                       const char **error_r);

#endif
