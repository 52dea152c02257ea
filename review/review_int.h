/*
 * review_int.h - what the review library's files share; not for callers.
 */
#ifndef SG_REVIEW_INT_H
#define SG_REVIEW_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "review.h"

struct sg_review {
    struct sg_store *q; /* every read and change of the records */
    char *store_dir;    /* resolved */
    struct sg_review_settings s;
    char *release_command, *delete_command, *queue_command;
    /* notices (NULL: not configured) */
    struct sg_notice_config *ncfg;
    char *n_templates, *n_sendmail, *n_secret, *n_from, *n_from_name;
    char **n_dsl;
    size_t n_n_dsl;
    char *dsl_contact;
    char **school_domains;
    size_t n_school_domains;
    struct sg_tz *tz; /* NULL: UTC */
};

/* Format an error into the thread-local buffer; returns -1. */
int sg_review_fail(const char **error_r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same, returning code instead. */
int sg_review_failc(int code, const char **error_r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The size of the thread-local error buffer (review.c). */
#define SG_REVIEW_ERR_MAX 1024

/* ---- helpers the operations share (review.c) */
/* Keep a message from another module (its buffer may be reused). */
int sg_review_keep(const char **error_r, const char *prefix, const char *msg);
/* "2026-03-01T14:05:00Z", for machines (people: sg_review_time). */
void sg_review_iso(time_t t, char *buf, size_t size);
int sg_review_audit(struct sg_review *r, const char *id,
                    const struct sg_review_actor *a, const char *action,
                    const char *note, const char **error_r);
bool sg_review_actor_ok(const struct sg_review_actor *a);

/* ---- listing (review_list.c) */
/* Is path a file directly inside the message directory? */
bool sg_review_in_store(const struct sg_review *r, const char *path);

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

/* Send a notice of kind k (SG_NOTICE_REJECTED_SENDER,
 * SG_NOTICE_DIGEST_DSL) to to (review_notice.c). */
int review_notice_send(const struct sg_review *r, enum sg_notice_kind k,
                       const struct sg_notice_values *values,
                       const char *const *to, size_t n_to,
                       const char **error_r);

#endif
