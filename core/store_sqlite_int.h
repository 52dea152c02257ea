/*
 * store_sqlite_int.h - what the SQLite backend's files share: the
 * connection, and the few helpers every statement goes through.
 */
#ifndef SG_STORE_SQLITE_INT_H
#define SG_STORE_SQLITE_INT_H

#include <pthread.h>
#include <stdbool.h>

#include <sqlite3.h>

#include "store_int.h"

struct sg_store_sqlite {
    pthread_mutex_t lock; /* serialises every use of db */
    sqlite3 *db;
    char *db_path;
};

/* A failure SQLite reported on s->db (called with the lock held). */
int sg_store_sqlite_fail_db(struct sg_store_sqlite *s, const char *what,
                            const char **error_r);
/* Bind a string, or NULL. */
int sg_store_sqlite_bind_text(sqlite3_stmt *st, int i, const char *s);
/* Step a read: 1 a row, 0 the end, -1 anything else (the error says
 * what was being read).  Every read of rows goes through it, so that no
 * loop can take a failure for the end of its rows. */
int sg_store_sqlite_step(struct sg_store_sqlite *s, sqlite3_stmt *st,
                         const char *what, const char **error_r);
/* A column's text, malloc'ed; NULL for SQL NULL (or, with *oom set, on
 * allocation failure).  _str: "" for SQL NULL. */
char *sg_store_sqlite_col(sqlite3_stmt *st, int i, bool *oom);
char *sg_store_sqlite_col_str(sqlite3_stmt *st, int i, bool *oom);
/* Run sql (no rows); what names it in the error. */
int sg_store_sqlite_exec(struct sg_store_sqlite *s, const char *sql,
                         const char *what, const char **error_r);
void sg_store_sqlite_rollback(struct sg_store_sqlite *s);

/* Create or upgrade the schema to SG_STORE_SCHEMA_VERSION
 * (store_sqlite_schema.c). */
int sg_store_sqlite_schema(struct sg_store_sqlite *s, const char **error_r);

/* The reads (store_sqlite_read.c). */
int sg_store_sqlite_get(void *be, const char *record_id,
                        struct sg_store_record **r, const char **error_r);
int sg_store_sqlite_waiting_ids(void *be, time_t until, char ***ids_r,
                                size_t *n_r, const char **error_r);
int sg_store_sqlite_list(void *be, const struct sg_store_filter *f,
                         struct sg_store_item **items_r, size_t *n_r,
                         const char **error_r);
int sg_store_sqlite_rcpts(void *be, const char *record_id,
                          struct sg_store_rcpt **rcpts_r, size_t *n_r,
                          const char **error_r);
int sg_store_sqlite_rules(void *be, const char *record_id,
                          struct sg_store_rule **rules_r, size_t *n_r,
                          const char **error_r);
int sg_store_sqlite_findings(void *be, const char *record_id,
                             struct sg_store_finding **findings_r, size_t *n_r,
                             const char **error_r);
int sg_store_sqlite_audit_rows(void *be, const char *record_id,
                               const char *action, time_t since,
                               struct sg_store_audit_row **rows_r, size_t *n_r,
                               const char **error_r);
int sg_store_sqlite_export(void *be, time_t since,
                           int (*each)(void *ctx,
                                       const struct sg_store_export_row *row,
                                       const char **error_r),
                           void *ctx, const char **error_r);
int sg_store_sqlite_exists(void *be, const char *record_id,
                           const char **error_r);
int sg_store_sqlite_decided_before(void *be, time_t cut, char ***ids_r,
                                   char ***paths_r, size_t *n_r,
                                   const char **error_r);

/* The outbox (store_sqlite_outbox.c): as the backend's outbox_*, and
 * the rows of a batch in the open transaction (insert_hold). */
int sg_store_sqlite_outbox_insert(struct sg_store_sqlite *s,
                                  const struct sg_outbox_batch *b,
                                  const char *record_id, time_t now,
                                  const char **error_r);
int sg_store_sqlite_outbox_add(void *be, const struct sg_outbox_batch *b,
                               const char *record_id, time_t now,
                               const char **error_r);
int sg_store_sqlite_outbox_claim(void *be, time_t now, time_t lease, bool early,
                                 int64_t after_id, struct sg_outbox_row *row_r,
                                 const char **error_r);
int sg_store_sqlite_outbox_mark_sent(void *be, int64_t id, time_t now,
                                     const char **error_r);
int sg_store_sqlite_outbox_mark_retry(void *be, int64_t id, time_t now,
                                      time_t next_attempt, bool give_up,
                                      const char *why, const char **error_r);
int sg_store_sqlite_outbox_next_due(void *be, time_t lease, time_t *when_r,
                                    const char **error_r);
int sg_store_sqlite_outbox_of_record(void *be, const char *record_id,
                                     struct sg_outbox_row **rows_r, size_t *n_r,
                                     const char **error_r);
int sg_store_sqlite_outbox_list(void *be, bool all,
                                struct sg_outbox_row **rows_r, size_t *n_r,
                                const char **error_r);

#endif
