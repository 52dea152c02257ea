/*
 * review_int.h - what the review library's files share; not for callers.
 */
#ifndef SG_REVIEW_INT_H
#define SG_REVIEW_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "review.h"
#include "sg_error.h"

struct sg_review {
    struct sg_store *q; /* every read and change of the records */
    char *store_dir;    /* resolved */
    struct sg_review_settings s;
    char *release_command, *delete_command, *queue_command, *release_helper;
    char *host_name; /* this host's name in the store, resolved */
    /* notices (NULL: not configured) */
    struct sg_notice_config *ncfg;
    char *n_templates, *n_sendmail, *n_secret, *n_from, *n_from_name;
    char *n_review_url; /* review_url: links in notices and the digest */
    char **n_dsl;
    size_t n_n_dsl;
    /* the staff-conduct track's (sg_notice_track_to) */
    char **n_conduct, **n_head, **n_chair;
    size_t n_n_conduct, n_n_head, n_n_chair;
    char *dsl_contact;
    char **school_domains;
    size_t n_school_domains;
    struct sg_tz *tz; /* NULL: UTC */
    /* the schools of a trust (core/school.h); NULL: one school */
    const struct sg_config *config;
};

/* The notice settings and contact text of a record's school (school:
 * its name, NULL: none), in a trust: its templates and people to tell
 * (in *nc_r, over r's own); otherwise r's own.  NULL when notices are
 * not configured. */
const struct sg_notice_config *
sg_review_school_notice(const struct sg_review *r, const char *school,
                        struct sg_notice_config *nc_r, const char **contact_r);

/* Set the error (common/sg_error.h); returns -1. */
#define sg_review_fail sg_error_fail
/* The same, returning code instead. */
__attribute__((format(printf, 3, 4))) static inline int
sg_review_failc(int code, const char **error_r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *text = sg_error_vset(fmt, ap);
    va_end(ap);
    if (error_r != NULL)
        *error_r = text;
    return code;
}

/* The size of an error text, for a copy kept across another call. */
#define SG_REVIEW_ERR_MAX SG_ERROR_MAX

/* ---- helpers the operations share (review.c) */
/* Prefix a message from another module ("unknown error" for NULL). */
int sg_review_keep(const char **error_r, const char *prefix, const char *msg);
/* One CSV cell of s (NULL: empty), quoted, so that a spreadsheet never
 * runs it as a formula; then a comma, or CRLF when last: 0 or -1. */
int sg_review_csv_cell(FILE *out, const char *s, bool last);
/* "2026-03-01T14:05:00Z", for machines (people: sg_review_time). */
void sg_review_iso(time_t t, char *buf, size_t size);
int sg_review_audit(struct sg_review *r, const char *id,
                    const struct sg_review_actor *a, const char *action,
                    const char *note, const char **error_r);
bool sg_review_actor_ok(const struct sg_review_actor *a);
/* The record id, read for actor: 0 and *rec_r; SG_REVIEW_NOT_FOUND (and
 * nothing in *rec_r) also
 * for a record on a track the actor does not review (so a reviewer
 * learns nothing of the other track's records, not even that they
 * exist); or -1. */
int sg_review_get(struct sg_review *r, const char *id,
                  const struct sg_review_actor *actor,
                  struct sg_store_record **rec_r, const char **error_r);

/* ---- listing (review_list.c) */
/* Is path a file directly inside the message directory? */
bool sg_review_in_store(const struct sg_review *r, const char *path);
/* The stored copy of rec, read as every reader reads it (from the
 * database where it keeps the copies), in *fd_r: 0; 1 and why (size
 * bytes) when there is none to read (its path outside the message
 * directory, or the store has none); -1 when the database failed
 * (*error_r). */
int sg_review_copy_fd(const struct sg_review *r,
                      const struct sg_store_record *rec, int *fd_r,
                      char *why, size_t size, const char **error_r);

/* ---- retention (review_expire.c) */
/* Give the record (NULL: every decided record) its retention class and
 * expiry date from the settings, where it has none: 0 or -1.  A
 * decision calls it; a failure leaves the date to the next expire. */
int sg_review_retention_assign(struct sg_review *r, const char *id);

/* ---- decisions (review_decide.c); expiry decides too */
enum sg_review_op {
    SG_REVIEW_OP_RELEASE,
    SG_REVIEW_OP_REJECT,
    SG_REVIEW_OP_ESCALATE,
    SG_REVIEW_OP_EXPIRE_DELETE,
    SG_REVIEW_OP_EXPIRE_RELEASE,
};

int sg_review_decide(struct sg_review *r, const char *id,
                     const struct sg_review_actor *actor, const char *note,
                     enum sg_review_op op, const char **error_r);
/* ids of waiting records (oldest first), created at or before until */
int sg_review_waiting_ids(struct sg_review *r, time_t until, char ***ids_r,
                          size_t *n_r, const char **error_r);

/* List the mail queue with the configured command. */
int sg_review_queue_load(const struct sg_review *r, struct sg_mailqueue *q,
                         const char **error_r);

/* Write a notice of kind k (SG_NOTICE_REJECTED_SENDER,
 * SG_NOTICE_DIGEST_DSL) to to, about record_id (NULL: none), to the
 * outbox, and send what is due (review_notice.c); *sent_r says whether
 * sendmail took this one now.  -1 when the notice cannot be made or
 * written; one that sendmail does not take at once stays in the outbox
 * and is retried. */
int sg_review_notice_send(const struct sg_review *r, enum sg_notice_kind k,
                          const struct sg_notice_values *values,
                          const char *const *to, size_t n_to,
                          const char *record_id, bool *sent_r,
                          const char **error_r);
/* The same with the notice settings nc (a school's templates: the digest
 * of a school is about no one record). */
int sg_review_notice_send_nc(const struct sg_review *r,
                             const struct sg_notice_config *nc,
                             enum sg_notice_kind k,
                             const struct sg_notice_values *values,
                             const char *const *to, size_t n_to,
                             const char *record_id, bool *sent_r,
                             const char **error_r);

#endif
