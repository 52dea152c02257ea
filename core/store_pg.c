/*
 * store_pg.c - the record store's PostgreSQL driver (store_sql.h), with
 * libpq: the connection and how a statement is run.  The schema is
 * store_pg_schema.c.  Built with configure --with-postgresql.
 *
 * A trust runs several mail servers against one database, so nothing
 * here may depend on one host: the connections are a small pool, each
 * used by one thread at a time; a status change stays a compare-and-set
 * (READ COMMITTED re-reads the row a concurrent decision changed, and
 * finds it no longer in the old status).
 *
 * Statements are the SQL layer's, with ?N placeholders rewritten to $N,
 * prepared on the server the first time a connection runs them;
 * each parameter is sent with the type it was bound as (text, bigint,
 * bytea), so that "?1 IS NULL OR ..." has a type.  Results come as text
 * and are read as such (integers parsed, bytea unescaped).
 *
 * A server that went away: the connection shows CONNECTION_BAD once a
 * statement fails on it.  Outside a transaction nothing was written, so
 * the statement is run once more on the connection made again
 * (PQreset); inside one the transaction fails (the caller rolls back and
 * tempfails), and the pool makes the connection again when it is next
 * handed out.
 *
 * SECURITY: the conninfo may hold a password (better: passfile=,
 * PGPASSFILE, ~/.pgpass); it is never in a message.  Messages name the
 * database and its host and PostgreSQL's primary message (no DETAIL,
 * which can quote the values of a row).  libpq's notices are not printed.
 */
#include "config.h"

#ifdef HAVE_LIBPQ

#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "store_sql.h"

/* Defined in store_pg_schema.c. */
int sg_store_pg_schema(struct sg_store_sql *s, struct sg_sql_conn *c,
                       const char **error_r);

/* Type oids (pg_type.h is the server's header). */
#define OID_BYTEA 17
#define OID_INT8  20
#define OID_TEXT  25

#define PG_MAX_PARAMS 32

/* The connections a pool holds: a few, so that the milter's threads and
 * the outbox do not wait for each other's round trips. */
#define PG_POOL_SIZE 4

/* The statements a connection has prepared on the server, by their SQL:
 * each is parsed and planned once per connection, not once per call (a
 * hold runs the same few statements every time). */
#define PG_PREPARED_MAX 64

struct pg_prepared {
    char *sql;     /* with $N */
    unsigned name; /* the statement "sgNAME" on the server */
};

/* What each answer a batch waits for belongs to, in the order sent: a
 * statement, the COMMIT, or NAME + 1, the preparing of "sgNAME". */
#define PG_BATCH_MAX         4096
#define PG_PENDING_STATEMENT 0u
#define PG_PENDING_COMMIT    UINT_MAX

struct pg_conn {
    PGconn *pg;
    bool in_tx;
    char err[512];
    size_t n_prepared;
    unsigned next_name; /* names are never used twice in a session */
    struct pg_prepared prepared[PG_PREPARED_MAX];
    /* a batch (pg_begin_batch): statements sent, answers not yet read */
    bool batch;
    int batch_rc; /* 0, -1 or SG_SQL_UNIQUE: the first failure */
    size_t n_answered; /* statements answered, BEGIN the 0th */
    size_t n_pending;
    unsigned pending[PG_BATCH_MAX];
};

struct pg_stmt {
    struct sg_sql_stmt base;
    struct pg_conn *pc;
    char *sql; /* with $N */
    int n_params;
    const char *values[PG_MAX_PARAMS];
    int lengths[PG_MAX_PARAMS];
    int formats[PG_MAX_PARAMS];
    Oid types[PG_MAX_PARAMS];
    char nums[PG_MAX_PARAMS][24];
    PGresult *res;
    int row;
    unsigned char *blob;
};

#define PG(st) ((struct pg_stmt *)(st))

static int batch_fail_send(struct pg_conn *pc);
static int batch_end(struct pg_conn *pc);

/* ------------------------------------------------------------ errors */

/* Keep the first line of msg as the connection's last error. */
static void
set_err(struct pg_conn *pc, const char *msg)
{
    snprintf(pc->err, sizeof(pc->err), "%s",
             msg != NULL && *msg != '\0' ? msg : "unknown error");
    pc->err[strcspn(pc->err, "\n")] = '\0';
}

/* The error of res: its primary message (never the DETAIL). */
static void
set_result_err(struct pg_conn *pc, const PGresult *res)
{
    const char *m =
        res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    set_err(pc, m != NULL ? m : PQerrorMessage(pc->pg));
}

/* A statement's failure, its error kept: SG_SQL_UNIQUE for a unique
 * violation (SQLSTATE 23505), else -1. */
static int
failed_rc(struct pg_conn *pc, PGresult *res)
{
    set_result_err(pc, res);
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    return state != NULL && strcmp(state, "23505") == 0 ? SG_SQL_UNIQUE : -1;
}

static const char *
pg_errmsg(void *h)
{
    struct pg_conn *pc = h;
    return pc->err[0] != '\0' ? pc->err : "unknown error";
}

/* ------------------------------------------------------------ connection */

static void
no_notices(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void
pg_disconnect(void *h)
{
    struct pg_conn *pc = h;
    if (pc == NULL)
        return;
    PQfinish(pc->pg);
    for (size_t i = 0; i < pc->n_prepared; i++)
        free(pc->prepared[i].sql);
    free(pc);
}

/* The database as messages name it: no user, no password. */
static char *
describe(PGconn *pg)
{
    const char *db = PQdb(pg), *host = PQhost(pg), *port = PQport(pg);
    char buf[512];
    snprintf(
        buf, sizeof(buf), "%s on %s%s%s (PostgreSQL)", db != NULL ? db : "?",
        host != NULL && *host != '\0' ? host : "the local socket",
        port != NULL && *port != '\0' ? ":" : "", port != NULL ? port : "");
    return strdup(buf);
}

/* What every session of the store needs: UTF-8, and a commit that is
 * answered only once the server has flushed it to its disk.  The hold's
 * guarantee (the record and its copy committed before Postfix is
 * answered) is void if a crash of the server can lose a commit it
 * answered: synchronous_commit = off, in the server's configuration or
 * the role's, is raised to on for this session; on, local, remote_write
 * and remote_apply all flush locally first and are kept. */
static int
session_setup(struct pg_conn *pc)
{
    if (PQsetClientEncoding(pc->pg, "UTF8") != 0) {
        set_err(pc, PQerrorMessage(pc->pg));
        return -1;
    }
    PGresult *res =
        PQexec(pc->pg, "SELECT set_config('synchronous_commit', 'on', false)"
                       " WHERE current_setting('synchronous_commit') = 'off'");
    int r = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : -1;
    if (r < 0)
        set_result_err(pc, res);
    PQclear(res);
    return r;
}

/* Connect with conninfo, under defaults for a connection that may be
 * idle for hours across a firewall: TCP keepalives after a minute of
 * silence (a firewall that drops idle flows silently would otherwise
 * leave a connection that looks alive until a hold is sent on it, and
 * the kernel's default is two hours), a dead peer noticed after three
 * unanswered probes, and data left unacknowledged for 30 s ending the
 * connection instead of a hold waiting out TCP's retries (some 15
 * minutes, far past Postfix's milter timeouts).  They come before the
 * conninfo, which libpq reads last: what the setting says wins.  A unix
 * socket ignores them. */
static PGconn *
pg_open(const char *conninfo)
{
    static const char *const keys[] = {
        "keepalives",       "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "dbname", NULL};
    const char *values[] = {"1", "60", "10", "3", "30000", conninfo, NULL};
    return PQconnectdbParams(keys, values, 1);
}

static int
pg_connect(struct sg_store_sql *s, const char *conninfo, void **h_r,
           const char **error_r)
{
    struct pg_conn *pc = calloc(1, sizeof(*pc));
    if (pc == NULL)
        return sg_store_fail(error_r, "out of memory");
    pc->pg = pg_open(conninfo);
    if (pc->pg == NULL || PQstatus(pc->pg) != CONNECTION_OK) {
        set_err(pc, pc->pg != NULL ? PQerrorMessage(pc->pg) : "out of memory");
        sg_store_fail(error_r,
                      "cannot connect to the quarantine database "
                      "(PostgreSQL, the store setting): %s",
                      pc->err);
        pg_disconnect(pc);
        return -1;
    }
    PQsetNoticeProcessor(pc->pg, no_notices, NULL);
    if (session_setup(pc) < 0) {
        sg_store_fail(error_r,
                      "quarantine database (PostgreSQL): cannot "
                      "set up the session: %s",
                      pc->err);
        pg_disconnect(pc);
        return -1;
    }
    if (s->where == NULL && (s->where = describe(pc->pg)) == NULL) {
        pg_disconnect(pc);
        return sg_store_fail(error_r, "out of memory");
    }
    *h_r = pc;
    return 0;
}

/* Gone, or closed by the server since its last use (a restart ends
 * every session with a message and the socket's end): an idle
 * connection has nothing to read, so whatever poll finds there is read,
 * without a round trip, and the end of the socket seen.  A hold's
 * BEGIN is sent with its rows (batches, below), so this is the only
 * look a connection gets before a hold is written on it. */
static bool
pg_lost(void *h)
{
    struct pg_conn *pc = h;
    for (int i = 0; i < 4 && PQstatus(pc->pg) == CONNECTION_OK; i++) {
        struct pollfd p = {.fd = PQsocket(pc->pg), .events = POLLIN};
        if (p.fd < 0 || poll(&p, 1, 0) <= 0 || !PQconsumeInput(pc->pg))
            break;
    }
    return PQstatus(pc->pg) != CONNECTION_OK;
}

static int
pg_reconnect(void *h)
{
    struct pg_conn *pc = h;
    PQreset(pc->pg);
    pc->in_tx = false;
    pc->batch = false;
    pc->n_pending = 0;
    /* a new session has none of the old one's prepared statements */
    for (size_t i = 0; i < pc->n_prepared; i++)
        free(pc->prepared[i].sql);
    pc->n_prepared = 0;
    if (PQstatus(pc->pg) != CONNECTION_OK) {
        set_err(pc, PQerrorMessage(pc->pg));
        return -1;
    }
    return session_setup(pc);
}

/* Run res = run(ctx) once, and once more on a connection made again when
 * the first failed because the connection was lost outside a
 * transaction (nothing can have been written). */
static PGresult *
run_retry(struct pg_conn *pc, PGresult *(*run)(struct pg_conn *pc, void *ctx),
          void *ctx)
{
    PGresult *res = run(pc, ctx);
    ExecStatusType t = PQresultStatus(res);
    if ((res == NULL || t == PGRES_FATAL_ERROR) && !pc->in_tx &&
        PQstatus(pc->pg) == CONNECTION_BAD) {
        set_result_err(pc, res);
        PQclear(res);
        if (pg_reconnect(pc) < 0)
            return NULL;
        res = run(pc, ctx);
    }
    return res;
}

static PGresult *
run_exec(struct pg_conn *pc, void *ctx)
{
    return PQexec(pc->pg, *(const char **)ctx);
}

/* Run sql; the command tag it must answer with (NULL: any). */
static int
exec_tag(struct pg_conn *pc, const char *sql, const char *tag)
{
    PGresult *res = run_retry(pc, run_exec, &sql);
    if (res == NULL)
        return -1; /* the error is set */
    ExecStatusType t = PQresultStatus(res);
    int r = 0;
    if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
        set_result_err(pc, res);
        r = -1;
    } else if (tag != NULL && strcmp(PQcmdStatus(res), tag) != 0) {
        /* COMMIT of a failed transaction answers ROLLBACK */
        set_err(pc, "the transaction was rolled back");
        r = -1;
    }
    PQclear(res);
    return r;
}

static int
pg_exec(void *h, const char *sql)
{
    return exec_tag(h, sql, NULL);
}

static int
pg_begin(void *h)
{
    struct pg_conn *pc = h;
    if (exec_tag(pc, "BEGIN", NULL) < 0)
        return -1;
    pc->in_tx = true;
    return 0;
}

/* A write transaction whose statements, BEGIN the first, are answered
 * at its commit (batches, below). */
static int
pg_begin_batch(void *h)
{
    struct pg_conn *pc = h;
    if (PQenterPipelineMode(pc->pg) != 1) {
        set_err(pc, PQerrorMessage(pc->pg));
        return -1;
    }
    pc->in_tx = true;
    pc->batch = true;
    pc->batch_rc = 0;
    pc->n_answered = 0;
    pc->n_pending = 0;
    if (!PQsendQueryParams(pc->pg, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
        batch_fail_send(pc);
    else
        pc->pending[pc->n_pending++] = PG_PENDING_STATEMENT;
    return 0; /* a failure to send is the commit's */
}

static int
pg_commit(void *h)
{
    struct pg_conn *pc = h;
    int r;
    if (pc->batch) {
        if (pc->batch_rc == 0) {
            if (PQsendQueryParams(pc->pg, "COMMIT", 0, NULL, NULL, NULL, NULL,
                                  0))
                pc->pending[pc->n_pending++] = PG_PENDING_COMMIT;
            else
                batch_fail_send(pc);
        }
        r = batch_end(pc);
    } else {
        r = exec_tag(pc, "COMMIT", "COMMIT");
    }
    pc->in_tx = false;
    return r;
}

static void
pg_rollback(void *h)
{
    struct pg_conn *pc = h;
    if (pc->batch)
        batch_end(pc); /* the answers owed; its error is the caller's */
    if (PQstatus(pc->pg) == CONNECTION_OK)
        PQclear(PQexec(pc->pg, "ROLLBACK"));
    pc->in_tx = false;
}

static void
pg_set_busy_timeout(void *h, int ms)
{
    char sql[64];
    snprintf(sql, sizeof(sql), "SET lock_timeout = %d", ms > 0 ? ms : 0);
    PQclear(PQexec(((struct pg_conn *)h)->pg, sql));
}

/* ------------------------------------------------------------ statements */

/* sql with ?N made $N (outside quotes), and the highest N. */
static char *
rewrite(const char *sql, int *n_r)
{
    size_t len = strlen(sql);
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    char quote = 0;
    int n = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char ch = sql[i];
        if (quote != 0) {
            if (ch == quote)
                quote = 0;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
        } else if (ch == '?' && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            ch = '$';
            int v = atoi(sql + i + 1);
            if (v > n)
                n = v;
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    *n_r = n;
    return out;
}

static struct sg_sql_stmt *
pg_prepare(void *h, const char *sql)
{
    struct pg_conn *pc = h;
    struct pg_stmt *st = calloc(1, sizeof(*st));
    if (st == NULL || (st->sql = rewrite(sql, &st->n_params)) == NULL) {
        free(st);
        set_err(pc, "out of memory");
        return NULL;
    }
    if (st->n_params > PG_MAX_PARAMS) {
        free(st->sql);
        free(st);
        set_err(pc, "too many parameters");
        return NULL;
    }
    st->pc = pc;
    return &st->base;
}

static void
pg_reset(struct sg_sql_stmt *base)
{
    struct pg_stmt *st = PG(base);
    PQclear(st->res);
    st->res = NULL;
    PQfreemem(st->blob);
    st->blob = NULL;
    memset(st->values, 0, sizeof(st->values));
    memset(st->types, 0, sizeof(st->types));
    memset(st->formats, 0, sizeof(st->formats));
    memset(st->lengths, 0, sizeof(st->lengths));
}

static void
pg_finalize(struct sg_sql_stmt *base)
{
    pg_reset(base);
    free(PG(base)->sql);
    free(base);
}

/* The slot of parameter i, or NULL for one the statement does not use. */
static bool
slot(struct pg_stmt *st, int i)
{
    return i >= 1 && i <= st->n_params;
}

static void
pg_bind_text(struct sg_sql_stmt *base, int i, const char *v)
{
    struct pg_stmt *st = PG(base);
    if (!slot(st, i))
        return;
    st->values[i - 1] = v;
    st->types[i - 1] = OID_TEXT;
    st->formats[i - 1] = 0;
}

static void
pg_bind_int(struct sg_sql_stmt *base, int i, int64_t v)
{
    struct pg_stmt *st = PG(base);
    if (!slot(st, i))
        return;
    snprintf(st->nums[i - 1], sizeof(st->nums[i - 1]), "%lld", (long long)v);
    st->values[i - 1] = st->nums[i - 1];
    st->types[i - 1] = OID_INT8;
    st->formats[i - 1] = 0;
}

static void
pg_bind_blob(struct sg_sql_stmt *base, int i, const void *v, size_t n)
{
    struct pg_stmt *st = PG(base);
    if (!slot(st, i))
        return;
    st->values[i - 1] = n > 0 ? v : "";
    st->lengths[i - 1] = (int)n;
    st->types[i - 1] = OID_BYTEA;
    st->formats[i - 1] = 1;
}

/* The statement sql as the connection prepared it, or NULL. */
static struct pg_prepared *
find_prepared(struct pg_conn *pc, const char *sql)
{
    for (size_t i = 0; i < pc->n_prepared; i++)
        if (strcmp(pc->prepared[i].sql, sql) == 0)
            return &pc->prepared[i];
    return NULL;
}

/* Remember sql as prepared under a new name: that entry, or NULL when
 * there is no room (the statement is then run unnamed). */
static struct pg_prepared *
add_prepared(struct pg_conn *pc, const char *sql)
{
    char *copy;
    if (pc->n_prepared == PG_PREPARED_MAX || (copy = strdup(sql)) == NULL)
        return NULL;
    struct pg_prepared *p = &pc->prepared[pc->n_prepared++];
    *p = (struct pg_prepared){copy, pc->next_name++};
    return p;
}

/* The server did not prepare statement "sgNAME": forget it. */
static void
forget_prepared(struct pg_conn *pc, unsigned name)
{
    for (size_t i = 0; i < pc->n_prepared; i++)
        if (pc->prepared[i].name == name) {
            free(pc->prepared[i].sql);
            pc->prepared[i] = pc->prepared[--pc->n_prepared];
            return;
        }
}

static PGresult *
run_params(struct pg_conn *pc, void *ctx)
{
    struct pg_stmt *st = ctx;
    char name[24];
    struct pg_prepared *p = find_prepared(pc, st->sql);
    if (p == NULL) {
        if ((p = add_prepared(pc, st->sql)) == NULL)
            return PQexecParams(pc->pg, st->sql, st->n_params, st->types,
                                st->values, st->lengths, st->formats, 0);
        unsigned n = p->name;
        snprintf(name, sizeof(name), "sg%u", n);
        PGresult *res =
            PQprepare(pc->pg, name, st->sql, st->n_params, st->types);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            forget_prepared(pc, n);
            return res; /* its error is the statement's */
        }
        PQclear(res);
    }
    snprintf(name, sizeof(name), "sg%u", p->name);
    return PQexecPrepared(pc->pg, name, st->n_params, st->values, st->lengths,
                          st->formats, 0);
}

/* ------------------------------------------------------------ batches */

/* A batch is a write transaction sent in libpq's pipeline mode: BEGIN,
 * each statement and COMMIT are sent without waiting for an answer, and
 * the answers are read at the commit: one round trip for the whole
 * transaction, instead of one a statement.  A hold is a dozen INSERTs or
 * more, and each round trip costs as much as the commit's flush on a
 * busy machine (more on a database across a network).  The first
 * statement that fails makes the server skip the rest (the transaction
 * is then rolled back): its error is the commit's, SG_SQL_UNIQUE when it
 * was a unique violation of the first statement (a hold's record id
 * taken: the record's INSERT is the batch's first).  A connection the
 * server closed since its last use is made again before the batch
 * (pg_lost, when the pool hands it out); one lost during the batch
 * fails it, and nothing was written.  Nothing changes for the
 * guarantee: the commit succeeds only when PostgreSQL answered
 * COMMIT. */

static int
batch_fail_send(struct pg_conn *pc)
{
    set_err(pc, PQerrorMessage(pc->pg));
    pc->batch_rc = -1;
    return -1;
}

/* Send st without waiting for its answer, prepared first if this
 * connection has not prepared it yet. */
static int
batch_send(struct pg_conn *pc, struct pg_stmt *st)
{
    char name[24];
    if (pc->batch_rc != 0)
        return -1; /* the error is set */
    if (pc->n_pending + 3 > PG_BATCH_MAX) { /* + its prepare and COMMIT */
        set_err(pc, "too many statements in one transaction");
        return pc->batch_rc = -1;
    }
    struct pg_prepared *p = find_prepared(pc, st->sql);
    if (p == NULL) {
        if ((p = add_prepared(pc, st->sql)) == NULL) {
            if (!PQsendQueryParams(pc->pg, st->sql, st->n_params, st->types,
                                   st->values, st->lengths, st->formats, 0))
                return batch_fail_send(pc);
            pc->pending[pc->n_pending++] = PG_PENDING_STATEMENT;
            return 0;
        }
        snprintf(name, sizeof(name), "sg%u", p->name);
        if (!PQsendPrepare(pc->pg, name, st->sql, st->n_params, st->types)) {
            forget_prepared(pc, p->name);
            return batch_fail_send(pc);
        }
        pc->pending[pc->n_pending++] = p->name + 1;
    }
    snprintf(name, sizeof(name), "sg%u", p->name);
    if (!PQsendQueryPrepared(pc->pg, name, st->n_params, st->values,
                             st->lengths, st->formats, 0))
        return batch_fail_send(pc);
    pc->pending[pc->n_pending++] = PG_PENDING_STATEMENT;
    return 0;
}

/* One answer of the batch, for what was sent (pending): the batch's
 * first failure is kept (its error set).  A unique violation is
 * SG_SQL_UNIQUE only in the first statement after BEGIN (a hold's
 * record, whose id may be taken and is tried again with another); in
 * any later one (a notice's Message-ID taken) it is a failure. */
static void
batch_answer(struct pg_conn *pc, unsigned pending, PGresult *res)
{
    ExecStatusType t = PQresultStatus(res);
    bool ok = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;
    bool first = pending == PG_PENDING_STATEMENT && pc->n_answered++ == 1;
    if (!ok && pending != PG_PENDING_STATEMENT && pending != PG_PENDING_COMMIT)
        forget_prepared(pc, pending - 1); /* failed, or skipped */
    if (pc->batch_rc != 0)
        return;
    if (t == PGRES_FATAL_ERROR) {
        pc->batch_rc = failed_rc(pc, res);
        if (!first && pc->batch_rc == SG_SQL_UNIQUE)
            pc->batch_rc = -1; /* only the record's id is tried again */
    } else if (!ok) {
        set_err(pc, "a statement of the transaction was not run");
        pc->batch_rc = -1;
    } else if (pending == PG_PENDING_COMMIT &&
               strcmp(PQcmdStatus(res), "COMMIT") != 0) {
        set_err(pc, "the transaction was rolled back");
        pc->batch_rc = -1;
    }
}

/* Wait for the answers to what was sent (a sync, its answers read): 0,
 * or the batch's first failure (-1, SG_SQL_UNIQUE), its error set.
 * Still in pipeline mode. */
static int
batch_read(struct pg_conn *pc)
{
    size_t i = 0;
    if (PQpipelineSync(pc->pg) != 1) {
        if (pc->batch_rc == 0)
            batch_fail_send(pc);
    } else {
        for (; i < pc->n_pending; i++) {
            PGresult *res = PQgetResult(pc->pg);
            if (res == NULL)
                break; /* the connection is gone */
            batch_answer(pc, pc->pending[i], res);
            PQclear(res);
            /* each statement's answer ends with a NULL */
            while ((res = PQgetResult(pc->pg)) != NULL &&
                   PQresultStatus(res) != PGRES_PIPELINE_SYNC)
                PQclear(res);
            if (res != NULL) { /* the sync, early: the connection failed */
                PQclear(res);
                i++;
                break;
            }
        }
        if (i == pc->n_pending) {
            PGresult *res = PQgetResult(pc->pg);
            if (PQresultStatus(res) != PGRES_PIPELINE_SYNC && pc->batch_rc == 0)
                batch_fail_send(pc);
            PQclear(res);
        }
    }
    /* prepares whose answer never came are not known to be made */
    for (; i < pc->n_pending; i++) {
        unsigned p = pc->pending[i];
        if (p != PG_PENDING_STATEMENT && p != PG_PENDING_COMMIT)
            forget_prepared(pc, p - 1);
    }
    if (i < pc->n_pending && pc->batch_rc == 0)
        batch_fail_send(pc);
    pc->n_pending = 0;
    return pc->batch_rc;
}

/* End the batch: read every answer, leave pipeline mode.  0, or the
 * first failure (-1, SG_SQL_UNIQUE) with its error set. */
static int
batch_end(struct pg_conn *pc)
{
    batch_read(pc);
    pc->batch = false;
    int rc = pc->batch_rc;
    pc->batch_rc = 0;
    if (PQexitPipelineMode(pc->pg) != 1) {
        /* answers are still owed: the session cannot be trusted */
        if (rc == 0) {
            set_err(pc, PQerrorMessage(pc->pg));
            rc = -1;
        }
        pg_reconnect(pc);
    }
    return rc;
}

static int
pg_step(struct sg_sql_stmt *base)
{
    struct pg_stmt *st = PG(base);
    if (st->pc->batch) /* answered at the commit (its changes unknown) */
        return batch_send(st->pc, st) < 0 ? -1 : 0;
    if (st->res != NULL) {
        st->row++;
        return st->row < PQntuples(st->res) ? 1 : 0;
    }
    st->res = run_retry(st->pc, run_params, st);
    if (st->res == NULL)
        return -1;
    switch (PQresultStatus(st->res)) {
    case PGRES_TUPLES_OK:
        st->row = 0;
        return PQntuples(st->res) > 0 ? 1 : 0;
    case PGRES_COMMAND_OK:
        st->row = 0;
        return 0;
    default:
        return failed_rc(st->pc, st->res);
    }
}

static int64_t
pg_changes(struct sg_sql_stmt *base)
{
    struct pg_stmt *st = PG(base);
    const char *n = st->res != NULL ? PQcmdTuples(st->res) : "";
    return *n != '\0' ? strtoll(n, NULL, 10) : 0;
}

static const char *
pg_col_text(struct sg_sql_stmt *base, int i)
{
    struct pg_stmt *st = PG(base);
    if (st->res == NULL || st->row >= PQntuples(st->res) ||
        PQgetisnull(st->res, st->row, i))
        return NULL;
    return PQgetvalue(st->res, st->row, i);
}

static int64_t
pg_col_int(struct sg_sql_stmt *base, int i)
{
    const char *v = pg_col_text(base, i);
    return v != NULL ? strtoll(v, NULL, 10) : 0;
}

static const void *
pg_col_blob(struct sg_sql_stmt *base, int i, size_t *n_r)
{
    struct pg_stmt *st = PG(base);
    const char *v = pg_col_text(base, i);
    *n_r = 0;
    if (v == NULL)
        return NULL;
    PQfreemem(st->blob);
    st->blob = PQunescapeBytea((const unsigned char *)v, n_r);
    return st->blob;
}

/* ------------------------------------------------------------ the lock */

/* The key of the review lock (sg_store_lock): one per database, as the
 * lock file is one per SQLite file. */
#define PG_REVIEW_LOCK 0x53475256 /* "SGRV" */

/* The connections that hold a review lock, by their socket. */
static struct {
    pthread_mutex_t lock;
    PGconn *held[16];
} locks = {.lock = PTHREAD_MUTEX_INITIALIZER};

int
sg_sql_pg_lock(struct sg_store_sql *s, bool wait, int *fd_r,
               const char **error_r)
{
    PGconn *pg = pg_open(s->location);
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
        struct pg_conn pc = {.pg = pg};
        set_err(&pc, pg != NULL ? PQerrorMessage(pg) : "out of memory");
        PQfinish(pg);
        return sg_store_fail(error_r,
                             "quarantine database %s: cannot connect to take "
                             "the review lock: %s",
                             sg_sql_where(s), pc.err);
    }
    PQsetNoticeProcessor(pg, no_notices, NULL);
    char sql[80];
    if (wait)
        snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%d)",
                 PG_REVIEW_LOCK);
    else
        snprintf(sql, sizeof(sql),
                 "SELECT CASE WHEN pg_try_advisory_lock(%d) THEN 1 ELSE 0 END",
                 PG_REVIEW_LOCK);
    PGresult *res = PQexec(pg, sql);
    int r = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        struct pg_conn pc = {.pg = pg};
        set_result_err(&pc, res);
        r = sg_store_fail(error_r,
                          "quarantine database %s: cannot take the review "
                          "lock: %s",
                          sg_sql_where(s), pc.err);
    } else if (!wait && strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
        sg_store_fail(error_r,
                      "quarantine database %s: the review lock is taken by "
                      "a decision or a sync",
                      sg_sql_where(s));
        r = SG_STORE_BUSY;
    }
    PQclear(res);
    pthread_mutex_lock(&locks.lock);
    size_t i = 0;
    while (r == 0 && i < sizeof(locks.held) / sizeof(locks.held[0]) &&
           locks.held[i] != NULL)
        i++;
    if (r == 0 && i == sizeof(locks.held) / sizeof(locks.held[0]))
        r = sg_store_fail(error_r, "too many review locks at once");
    if (r == 0) {
        locks.held[i] = pg;
        *fd_r = PQsocket(pg);
    }
    pthread_mutex_unlock(&locks.lock);
    if (r != 0)
        PQfinish(pg);
    return r;
}

bool
sg_sql_pg_unlock(int fd)
{
    PGconn *pg = NULL;
    pthread_mutex_lock(&locks.lock);
    for (size_t i = 0;
         pg == NULL && i < sizeof(locks.held) / sizeof(locks.held[0]); i++) {
        if (locks.held[i] != NULL && PQsocket(locks.held[i]) == fd) {
            pg = locks.held[i];
            locks.held[i] = NULL;
        }
    }
    pthread_mutex_unlock(&locks.lock);
    /* the session's end gives the advisory lock back */
    PQfinish(pg);
    return pg != NULL;
}

const struct sg_sql_driver sg_sql_pg = {
    .name = "postgresql",
    .pool_size = PG_POOL_SIZE,
    .copies_in_db = true,
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .lost = pg_lost,
    .reconnect = pg_reconnect,
    .errmsg = pg_errmsg,
    .set_busy_timeout = pg_set_busy_timeout,
    .exec = pg_exec,
    .begin = pg_begin,
    .begin_batch = pg_begin_batch,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .schema = sg_store_pg_schema,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_text = pg_bind_text,
    .bind_int = pg_bind_int,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .changes = pg_changes,
    .col_text = pg_col_text,
    .col_int = pg_col_int,
    .col_blob = pg_col_blob,
};

#endif /* HAVE_LIBPQ */
