/*
 * review_int.h - what the review library's files share; not for callers.
 */
#ifndef SG_REVIEW_INT_H
#define SG_REVIEW_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <sqlite3.h>

#include "review.h"

struct sg_review {
    struct sg_quarantine *q; /* status changes and audit rows */
    sqlite3 *db;             /* our own connection: reads and purges */
    char *db_path;
    char *store_dir; /* resolved */
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
};

/* Format an error into the thread-local buffer; returns -1. */
int review_fail(const char **error_r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same, returning code instead. */
int review_failc(int code, const char **error_r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The size of the thread-local error buffer (review.c). */
#define SG_REVIEW_ERR_MAX 1024

/* ---- helpers the operations share (review.c) */
/* Keep a message from another module (its buffer may be reused). */
int sg_review_keep(const char **error_r, const char *prefix, const char *msg);
int sg_review_fail_db(struct sg_review *r, const char *what,
                      const char **error_r);
void sg_review_bind_text(sqlite3_stmt *st, int i, const char *s);
/* A column's text, malloc'ed; NULL for SQL NULL (or, with *oom set, on
 * allocation failure).  _str: "" for SQL NULL. */
char *sg_review_col(sqlite3_stmt *st, int i, bool *oom);
char *sg_review_col_str(sqlite3_stmt *st, int i, bool *oom);
/* Grow an array of elem-sized items to hold n + 1. */
int sg_review_grow(void **arr, size_t *cap, size_t n, size_t elem);
/* "2026-03-01 14:05 UTC" and "2026-03-01T14:05:00Z". */
void sg_review_utc(time_t t, char *buf, size_t size);
void sg_review_iso(time_t t, char *buf, size_t size);
int sg_review_audit(struct sg_review *r, const char *id,
                    const struct sg_review_actor *a, const char *action,
                    const char *note, const char **error_r);
bool sg_review_actor_ok(const struct sg_review_actor *a);

/* ---- listing (review_list.c); the digest lists the same columns */
#define SG_REVIEW_ITEM_COLUMNS                                                 \
    "SELECT r.id, r.queue_id, r.created, r.status, r.status_changed,"          \
    " r.env_from, coalesce(r.subject, ''),"                                    \
    " (SELECT group_concat(rule_id, ',') FROM (SELECT rule_id FROM rules"      \
    "   WHERE record_id = r.id ORDER BY pos)),"                                \
    " (SELECT group_concat(address || ' (' || roles || ')', ', ') FROM"        \
    "   (SELECT address, roles FROM recipients WHERE record_id = r.id"         \
    "    ORDER BY pos))"                                                       \
    " FROM records r "

int sg_review_read_items(struct sg_review *r, sqlite3_stmt *st,
                         struct sg_review_item **items_r, size_t *n_r,
                         const char **error_r);
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
int review_queue_load(const struct sg_review *r, struct sg_mailqueue *q,
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

#endif
