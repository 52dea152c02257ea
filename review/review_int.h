/*
 * review_int.h - what the review library's files share; not for callers.
 */
#ifndef SG_REVIEW_INT_H
#define SG_REVIEW_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "review.h"

struct sg_review {
    struct sg_quarantine *q; /* status changes and audit rows */
    sqlite3 *db;             /* our own connection: reads and purges */
    char *db_path;
    char *store_dir; /* resolved */
    char *lock_path;
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

bool review_queue_id_ok(const char *qid);

/* One listing of the mail queue. */
struct review_queue {
    bool unknown; /* no queue command */
    char **ids;
    char **names;
    size_t n;
};
int review_queue_load(const struct sg_review_settings *s,
                      struct review_queue *q, const char **error_r);
void review_queue_free(struct review_queue *q);
enum sg_review_queue_state review_queue_find(const struct review_queue *q,
                                             const char *queue_id,
                                             const char **name_r);

/* Notices the review tool sends (review_notice.c). */
enum review_notice_kind {
    REVIEW_NOTICE_REJECTED_SENDER, /* rejected-sender.txt */
    REVIEW_NOTICE_DIGEST_DSL,      /* digest-dsl.txt */
};
int review_notice_send(const struct sg_review *r, enum review_notice_kind k,
                       const struct sg_notice_values *values,
                       const char *const *to, size_t n_to,
                       const char **error_r);

#endif
