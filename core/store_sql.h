/*
 * store_sql.h - the record store's SQL layer: one backend (store_int.h)
 * whose statements and row-to-struct code are written once
 * (store_sql_write.c, store_sql_read.c, store_sql_outbox.c), above a
 * small driver per database: SQLite (store_sqlite.c) and PostgreSQL
 * (store_pg.c, built with libpq).
 *
 * Why a driver and not a second backend: a second copy of every read and
 * write would drift from the first.  The statements are written in the
 * SQL both databases speak, with placeholders ?1 ?2 ... (the PostgreSQL
 * driver rewrites them to $1 $2 ...); what differs (column types,
 * AUTOINCREMENT against identity, BLOB against BYTEA, the audit table's
 * triggers, functions such as group_concat and instr that PostgreSQL
 * lacks) lives in each driver's schema.
 *
 * Connections come from a small pool (one for SQLite, whose writers are
 * serialised by the database anyway; a few for PostgreSQL); a thread
 * holds one connection from sg_sql_acquire to sg_sql_release and no other
 * thread touches it meanwhile.  A connection the server dropped is made
 * again when it is next handed out, and the PostgreSQL driver runs a
 * statement once more when the connection was lost under it outside a
 * transaction (nothing was written).
 *
 * Errors name the database as sg_sql_where() does: the SQLite file, or
 * the PostgreSQL database and host, never the conninfo (which may hold a
 * password).
 */
#ifndef SG_STORE_SQL_H
#define SG_STORE_SQL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_int.h"

/* What a step answers besides a row (1), the end (0) and an error
 * (-1): a write broke a unique key (the record id is taken). */
#define SG_SQL_UNIQUE (-2)

/* The most connections a pool keeps. */
#define SG_SQL_POOL_MAX 8

struct sg_store_sql;

/* One connection, as the pool hands it out. */
struct sg_sql_conn {
    struct sg_store_sql *s;
    void *h; /* the driver's; NULL: not connected */
    bool busy;
    int busy_ms; /* the busy timeout set on it (-1: none yet) */
};

/* One prepared statement; a driver's statement begins with it. */
struct sg_sql_stmt {
    struct sg_sql_conn *c;
};

struct sg_sql_driver {
    const char *name;
    /* How many connections the pool may open. */
    size_t pool_size;
    /* Each hold's message copy is kept in the database too (the copies
     * table), written in the record's transaction, so that every host
     * reads it there. */
    bool copies_in_db;
    /* Connect to location (without its "sqlite:"/"postgresql:"); on
     * failure *error_r says why without the location's secrets. */
    int (*connect)(struct sg_store_sql *s, const char *location, void **h_r,
                   const char **error_r);
    void (*disconnect)(void *h);
    /* The connection is gone (the server went away). */
    bool (*lost)(void *h);
    /* Make it again in place: 0 or -1. */
    int (*reconnect)(void *h);
    /* The last error on the connection, for a message. */
    const char *(*errmsg)(void *h);
    void (*set_busy_timeout)(void *h, int ms);
    /* Statements without parameters or rows (several, for a schema). */
    int (*exec)(void *h, const char *sql);
    /* A write transaction: the writer's lock is taken at begin where
     * the database has one (SQLite's BEGIN IMMEDIATE). */
    int (*begin)(void *h);
    /* Optional: a write transaction of writes only, whose statements the
     * driver may send without waiting for their answers, BEGIN with
     * them: each step is then 0 (its changes unknown), and the commit
     * answers for them all (-1, or SG_SQL_UNIQUE for a unique
     * violation of the first statement; of a later one, -1). */
    int (*begin_batch)(void *h);
    int (*commit)(void *h);
    void (*rollback)(void *h);
    /* Create or upgrade the schema (the driver's dialect). */
    int (*schema)(struct sg_store_sql *s, struct sg_sql_conn *c,
                  const char **error_r);

    struct sg_sql_stmt *(*prepare)(void *h, const char *sql);
    void (*finalize)(struct sg_sql_stmt *st);
    /* Forget the bindings and the rows: ready to bind and run again. */
    void (*reset)(struct sg_sql_stmt *st);
    void (*bind_text)(struct sg_sql_stmt *st, int i, const char *v);
    void (*bind_int)(struct sg_sql_stmt *st, int i, int64_t v);
    void (*bind_blob)(struct sg_sql_stmt *st, int i, const void *v, size_t n);
    /* 1 a row, 0 the end, SG_SQL_UNIQUE, -1 an error (errmsg). */
    int (*step)(struct sg_sql_stmt *st);
    /* Rows the last write changed. */
    int64_t (*changes)(struct sg_sql_stmt *st);
    /* The row's columns: text NULL for SQL NULL, valid until the next
     * step; an integer 0 for NULL. */
    const char *(*col_text)(struct sg_sql_stmt *st, int i);
    int64_t (*col_int)(struct sg_sql_stmt *st, int i);
    const void *(*col_blob)(struct sg_sql_stmt *st, int i, size_t *n_r);
};

struct sg_store_sql {
    const struct sg_sql_driver *drv;
    char *location; /* for connecting only: never in a message */
    char *where;    /* the database, as messages name it */
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int busy_ms;
    char *host; /* the host new records name (sg_store_hosts_set_local) */
    size_t n;   /* connections the pool may hold */
    struct sg_sql_conn conns[SG_SQL_POOL_MAX];
};

/* The drivers. */
extern const struct sg_sql_driver sg_sql_sqlite;
#ifdef HAVE_LIBPQ
extern const struct sg_sql_driver sg_sql_pg;
/* The review lock on PostgreSQL (store_pg.c): as sg_store_sql_lock. */
int sg_sql_pg_lock(struct sg_store_sql *s, bool wait, int *fd_r,
                   const char **error_r);
bool sg_sql_pg_unlock(int fd);
#endif

/* ------------------------------------------------------------ the pool */

/* A connection for this thread alone, connected (again, if it was lost);
 * NULL with the error set. */
struct sg_sql_conn *sg_sql_acquire(struct sg_store_sql *s,
                                   const char **error_r);
void sg_sql_release(struct sg_sql_conn *c);
/* The name of the database in messages. */
const char *sg_sql_where(const struct sg_store_sql *s);

/* ------------------------------------------------------------ helpers */

/* A failure the database reported on c; returns -1. */
int sg_sql_fail(struct sg_sql_conn *c, const char *what, const char **error_r);
/* Run sql (no rows); what names it in the error. */
int sg_sql_exec(struct sg_sql_conn *c, const char *sql, const char *what,
                const char **error_r);
int sg_sql_begin(struct sg_sql_conn *c, const char **error_r);
/* A transaction of writes only, in one round trip where the driver can
 * (begin_batch; else sg_sql_begin): a statement's failure shows at the
 * commit. */
int sg_sql_begin_batch(struct sg_sql_conn *c, const char **error_r);
/* 0, or -1 with the error set (what names it); SG_SQL_UNIQUE, the error
 * set too, for a batch whose first statement was a unique violation. */
int sg_sql_commit(struct sg_sql_conn *c, const char *what,
                  const char **error_r);
void sg_sql_rollback(struct sg_sql_conn *c);

/* Prepare sql on c: NULL with the error set (what names it). */
struct sg_sql_stmt *sg_sql_prepare(struct sg_sql_conn *c, const char *sql,
                                   const char *what, const char **error_r);
void sg_sql_finalize(struct sg_sql_stmt *st);
/* One statement on a connection of its own: a connection acquired with
 * sql prepared on it; NULL (and the connection given back) when it
 * cannot be prepared (what names it).  sg_sql_finish finalizes st, gives
 * its connection back and returns r. */
struct sg_sql_stmt *sg_sql_prepare_one(struct sg_store_sql *s, const char *sql,
                                       const char *what, const char **error_r);
int sg_sql_finish(struct sg_sql_stmt *st, int r);
/* Begin a write on a connection of the store's: NULL, or the connection
 * in a transaction (store_sql_hosts.c). */
struct sg_sql_conn *sg_sql_write_begin(void *be, const char **error_r);
/* Commit when r is 0, else roll back; the connection given back; r (or
 * -1). */
int sg_sql_write_end(struct sg_sql_conn *c, int r, const char **error_r);
/* Bind a string, or NULL. */
void sg_sql_bind_text(struct sg_sql_stmt *st, int i, const char *v);
void sg_sql_bind_int(struct sg_sql_stmt *st, int i, int64_t v);
void sg_sql_bind_blob(struct sg_sql_stmt *st, int i, const void *v, size_t n);
/* Step a read: 1 a row, 0 the end, -1 anything else (the error says
 * what was being read).  Every read of rows goes through it, so that no
 * loop can take a failure for the end of its rows. */
int sg_sql_step(struct sg_sql_stmt *st, const char *what, const char **error_r);
/* Step a bound INSERT/UPDATE/DELETE to completion and reset it for the
 * next row: 0, SG_SQL_UNIQUE (no error set), -1 with the error set. */
int sg_sql_step_done(struct sg_sql_stmt *st, const char *what,
                     const char **error_r);
int64_t sg_sql_changes(struct sg_sql_stmt *st);
/* A column's text, borrowed (NULL for SQL NULL). */
const char *sg_sql_text(struct sg_sql_stmt *st, int i);
int64_t sg_sql_int(struct sg_sql_stmt *st, int i);
const void *sg_sql_blob(struct sg_sql_stmt *st, int i, size_t *n_r);
/* A column's text, malloc'ed; NULL for SQL NULL (or, with *oom set, on
 * allocation failure).  _str: "" for SQL NULL. */
char *sg_sql_col(struct sg_sql_stmt *st, int i, bool *oom);
char *sg_sql_col_str(struct sg_sql_stmt *st, int i, bool *oom);

/* A query that fills an array: its SQL, and how a row becomes an item
 * and how an item is freed. */
struct sg_sql_spec {
    const char *sql;
    const char *what; /* "cannot read the rules" */
    size_t elem;
    void (*fill)(struct sg_sql_stmt *st, void *item, bool *oom);
    void (*clear)(void *item);
};

/* Its parameters: ?1.. bound as text (NULL: SQL NULL), then numbers. */
struct sg_sql_params {
    const char *text[3];
    size_t n_text;
    int64_t num[8];
    size_t n_num;
    const char *tail[2]; /* text bound after the numbers */
    size_t n_tail;
};

/* Run the query on a connection of its own and make an item of each
 * row: 0 and the whole array in *arr (*n items), or -1 and nothing. */
int sg_sql_read_rows(void *be, const struct sg_sql_spec *q,
                     const struct sg_sql_params *p, void **arr, size_t *n,
                     const char **error_r);

/* The SQL backend's state of q, or NULL with the error set when q's
 * backend is another (store_sql_policy.c). */
struct sg_store_sql *sg_store_sql_of(struct sg_store *q, const char **error_r);

/* sg_sql_read_rows on q's database with from and to as ?1 and ?2 (the
 * span a policy or report read selects). */
int sg_store_sql_read_span(struct sg_store *q, const struct sg_sql_spec *spec,
                           time_t from, time_t to, void **rows_r, size_t *n_r,
                           const char **error_r);

/* The one integer sql returns: 0, or -1 with the error set. */
int sg_sql_query_int(struct sg_sql_conn *c, const char *sql, const char *what,
                     long long *value_r, const char **error_r);

/* ------------------------------------------------------------ backend */

/* The backend's functions (store_int.h), as the three files define them. */
int sg_store_sql_insert_hold(void *be, const struct sg_store_hold_rows *t,
                             const char **error_r);
/* One audit row on c (in its transaction, if one is open). */
int sg_store_sql_audit_on(struct sg_sql_conn *c, const char *record_id,
                          time_t when, const char *actor, const char *client,
                          const char *action, const char *note,
                          const char **error_r);
int sg_store_sql_set_status(void *be, const char *record_id,
                            enum sg_store_status from, enum sg_store_status to,
                            const char *actor, const char *client,
                            const char *note, const char **error_r);
int sg_store_sql_audit(void *be, const char *record_id, const char *actor,
                       const char *client, const char *action, const char *note,
                       const char **error_r);
int sg_store_sql_mark_seen(void *be, const char *record_id, time_t now,
                           const char **error_r);
int sg_store_sql_delete_decided(void *be, const char *record_id, time_t cut,
                                const char **error_r);

int sg_store_sql_copy(void *be, const char *record_id, char **data_r,
                      size_t *len_r, const char **error_r);
int sg_store_sql_get(void *be, const char *record_id,
                     struct sg_store_record **r, const char **error_r);
int sg_store_sql_waiting_ids(void *be, time_t until, char ***ids_r, size_t *n_r,
                             const char **error_r);
int sg_store_sql_list(void *be, const struct sg_store_filter *f,
                      struct sg_store_item **items_r, size_t *n_r,
                      const char **error_r);
int sg_store_sql_rcpts(void *be, const char *record_id,
                       struct sg_store_rcpt **rcpts_r, size_t *n_r,
                       const char **error_r);
int sg_store_sql_rules(void *be, const char *record_id,
                       struct sg_store_rule **rules_r, size_t *n_r,
                       const char **error_r);
int sg_store_sql_findings(void *be, const char *record_id,
                          struct sg_store_finding **findings_r, size_t *n_r,
                          const char **error_r);
int sg_store_sql_audit_rows(void *be, const char *record_id, const char *action,
                            time_t since, struct sg_store_audit_row **rows_r,
                            size_t *n_r, const char **error_r);
int sg_store_sql_export(void *be, time_t since,
                        int (*each)(void *ctx,
                                    const struct sg_store_export_row *row,
                                    const char **error_r),
                        void *ctx, const char **error_r);
int sg_store_sql_exists(void *be, const char *record_id, const char **error_r);
int sg_store_sql_decided_before(void *be, time_t cut, char ***ids_r,
                                char ***paths_r, size_t *n_r,
                                const char **error_r);

/* The outbox (store_sql_outbox.c): as the backend's outbox_*, and the
 * rows of a batch in the open transaction on c (insert_hold). */
int sg_store_sql_outbox_insert(struct sg_sql_conn *c,
                               const struct sg_outbox_batch *b,
                               const char *record_id, time_t now,
                               const char **error_r);
int sg_store_sql_outbox_add(void *be, const struct sg_outbox_batch *b,
                            const char *record_id, time_t now,
                            const char **error_r);
int sg_store_sql_outbox_claim(void *be, time_t now, time_t lease, bool early,
                              int64_t after_id, struct sg_outbox_row *row_r,
                              const char **error_r);
int sg_store_sql_outbox_mark_sent(void *be, int64_t id, time_t now,
                                  const char **error_r);
int sg_store_sql_outbox_mark_retry(void *be, int64_t id, time_t now,
                                   time_t next_attempt, bool give_up,
                                   const char *why, const char **error_r);
int sg_store_sql_outbox_next_due(void *be, time_t lease, time_t *when_r,
                                 const char **error_r);
int sg_store_sql_outbox_of_record(void *be, const char *record_id,
                                  struct sg_outbox_row **rows_r, size_t *n_r,
                                  const char **error_r);
int sg_store_sql_outbox_list(void *be, bool all, struct sg_outbox_row **rows_r,
                             size_t *n_r, const char **error_r);

/* The schema migrations after the ones each driver's own history ends
 * with (SQLite: version 7; PostgreSQL's first schema is version 7): one
 * entry per version, one statement list for both databases, or one per
 * database when their dialects differ. */
struct sg_sql_migration {
    int to;
    const char *sql;    /* both */
    const char *sqlite; /* SQLite only, when sql is NULL */
    const char *pg;     /* PostgreSQL only, when sql is NULL */
};

/* Run the shared steps after version (SG_SQL_SHARED_BASE or later) in
 * the open transaction, each with its schema_version row: 0, or -1 when
 * one fails or they do not reach SG_STORE_SCHEMA_VERSION. */
int sg_sql_migrate_shared(struct sg_sql_conn *c, long long version,
                          const char **error_r);
/* The version the shared list starts from. */
#define SG_SQL_SHARED_BASE 7

#endif
