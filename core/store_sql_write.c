/*
 * store_sql_write.c - the record store's writes, for every SQL driver
 * (store_sql.h): a hold's rows, status changes, audit rows, the seen
 * mark, purges.  The schemas are the drivers' (store_sqlite_schema.c,
 * store_pg.c), the reads store_sql_read.c.
 *
 * Every write transaction begins with sg_sql_begin, which takes the
 * writer's lock up front where the database has one (SQLite's BEGIN
 * IMMEDIATE, waiting up to the busy timeout).  A status change is a
 * compare-and-set (UPDATE ... WHERE status = the old one): of two
 * decisions on one record, on one host or two, one changes it and the
 * other is told what it is now.
 *
 * SECURITY: the database holds personal data about children.  Every
 * statement is parameterised.  The audit table is append-only (each
 * driver's schema refuses UPDATE and DELETE of it).  Error messages name
 * the database and its reason, never message content, addresses or
 * subjects.
 *
 * Fails by returning -1 with the store's error string and leaving nothing
 * half-written.  Never logs, never exits.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fdio.h"
#include "sg_buf.h"
#include "store_sql.h"

/* ------------------------------------------------------------ a hold */

static int
join(struct sg_buf *b, char *const *v, size_t n)
{
    sg_buf_reset(b);
    sg_buf_puts(b, "");
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            sg_buf_putc(b, ',');
        sg_buf_puts(b, v[i]);
    }
    return sg_buf_failed(b) ? -1 : 0;
}

static const char *
channel_name(enum sg_channel ch)
{
    return ch == SG_CHANNEL_SCHOOL     ? "school"
           : ch == SG_CHANNEL_PERSONAL ? "personal"
                                       : "none";
}

/* A name worth keeping: NULL for none or an empty one. */
static const char *
display_name(const char *name)
{
    return name != NULL && *name != '\0' ? name : NULL;
}

enum { INS_RECORD, INS_RCPT, INS_RULE, INS_FINDING, INS_AUDIT, N_INS };

static const char *const insert_sql[N_INS] = {
    [INS_RECORD] =
        "INSERT INTO records (id, queue_id, created, client, trusted,"
        " auth_user, env_from, subject, status, status_changed,"
        " message_path, message_size, action, explain_sender, explain_dsl,"
        " sender_name, track, host, school)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?14, ?3, ?9, ?10, ?11,"
        " ?12, ?13, ?15, ?16, ?17, ?18)",
    [INS_RCPT] = "INSERT INTO recipients (record_id, pos, address, roles,"
                 " channel, name, upn) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [INS_RULE] =
        "INSERT INTO rules (record_id, pos, rule_id, title, policy, source,"
        " mode, action, recipients, notify, explain_sender, explain_dsl,"
        " category, retention)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
        " ?14)",
    [INS_FINDING] = "INSERT INTO findings (record_id, rule_id, pos, detector,"
                    " text, location) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    /* the row names its record's school (NULL: none, or no record) */
    [INS_AUDIT] = "INSERT INTO audit (record_id, time, actor, client,"
                  " action, note, school) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                  " (SELECT school FROM records WHERE id = ?1))",
};

#define bind_text sg_sql_bind_text
#define bind_int  sg_sql_bind_int

/* The records row: 0, SG_STORE_DUPLICATE, -1. */
static int
insert_record(const struct sg_store_hold_rows *t, struct sg_sql_stmt *st,
              const char **error_r)
{
    const struct sg_hold *h = t->h;
    bind_text(st, 1, t->id);
    bind_text(st, 2, h->queue_id);
    bind_int(st, 3, (int64_t)h->time);
    bind_text(st, 4, h->client);
    bind_int(st, 5, h->client_trusted ? 1 : 0);
    bind_text(st, 6, h->auth_user);
    bind_text(st, 7, h->env_from);
    bind_text(st, 8, h->subject);
    bind_text(st, 9, t->path);
    bind_int(st, 10, (int64_t)t->size);
    bind_text(st, 11, sg_action_name(h->verdict->action));
    bind_text(st, 12, t->explain_sender);
    bind_text(st, 13, t->explain_dsl);
    bind_text(st, 14, sg_store_status_name(h->status));
    bind_text(st, 15, display_name(h->sender_name));
    bind_text(st, 16, sg_track_name(sg_verdict_track(h->verdict)));
    bind_text(st, 17, st->c->s->host); /* NULL: the one host there is */
    bind_text(st, 18, h->school);      /* NULL: the one school there is */
    int rc = sg_sql_step_done(st, "cannot insert the record", error_r);
    return rc == SG_SQL_UNIQUE ? SG_STORE_DUPLICATE : rc;
}

static int
insert_rcpts(const struct sg_store_hold_rows *t, struct sg_sql_stmt *st,
             struct sg_buf *a, const char **error_r)
{
    const struct sg_hold *h = t->h;
    for (size_t i = 0; i < h->n_rcpts; i++) {
        const struct sg_party *p = &h->rcpts[i];
        int rc;
        if (p->person == NULL || p->person->n_roles == 0) {
            sg_buf_reset(a);
            rc = sg_buf_puts(a, SG_ROLE_EXTERNAL);
        } else {
            rc = join(a, p->person->roles, p->person->n_roles);
        }
        if (rc < 0)
            return sg_store_fail(error_r, "out of memory");
        bind_text(st, 1, t->id);
        bind_int(st, 2, (int64_t)i);
        bind_text(st, 3, p->address != NULL ? p->address : "");
        bind_text(st, 4, a->data);
        bind_text(st, 5, channel_name(p->channel));
        bind_text(
            st, 6,
            display_name(p->person != NULL ? p->person->display_name : NULL));
        bind_text(st, 7,
                  display_name(p->person != NULL ? p->person->upn : NULL));
        if (sg_sql_step_done(st, "cannot insert a recipient", error_r) != 0)
            return -1;
    }
    return 0;
}

static int
insert_findings(const char *id, const struct sg_rule_match *m,
                struct sg_sql_stmt *st, const char **error_r)
{
    for (size_t j = 0; j < m->n_findings; j++) {
        const struct sg_finding *f = &m->findings[j];
        bind_text(st, 1, id);
        bind_text(st, 2, m->id != NULL ? m->id : "");
        bind_int(st, 3, (int64_t)j);
        bind_text(st, 4, f->detector != NULL ? f->detector : "");
        bind_text(st, 5, f->text);
        bind_text(st, 6, f->where);
        if (sg_sql_step_done(st, "cannot insert a finding", error_r) != 0)
            return -1;
    }
    return 0;
}

static int
insert_rules(const struct sg_store_hold_rows *t, struct sg_sql_stmt **st,
             struct sg_buf *a, struct sg_buf *b, const char **error_r)
{
    const struct sg_verdict *v = t->h->verdict;
    for (size_t i = 0; i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        if (join(a, m->recipients, m->n_recipients) < 0 ||
            join(b, m->notify, m->n_notify) < 0)
            return sg_store_fail(error_r, "out of memory");
        struct sg_sql_stmt *r = st[INS_RULE];
        bind_text(r, 1, t->id);
        bind_int(r, 2, (int64_t)i);
        bind_text(r, 3, m->id != NULL ? m->id : "");
        bind_text(r, 4, m->title);
        bind_text(r, 5, m->policy);
        bind_text(r, 6, m->source);
        bind_text(r, 7, sg_mode_name(m->mode));
        bind_text(r, 8, sg_action_name(m->action));
        bind_text(r, 9, a->data);
        bind_text(r, 10, b->data);
        bind_text(r, 11, m->explain_sender);
        bind_text(r, 12, m->explain_dsl);
        bind_text(r, 13, m->category);
        bind_text(r, 14,
                  m->has_retention ? sg_track_name(m->retention) : NULL);
        if (sg_sql_step_done(r, "cannot insert a rule", error_r) != 0)
            return -1;
        if (insert_findings(t->id, m, st[INS_FINDING], error_r) < 0)
            return -1;
    }
    return 0;
}

/* Append an audit row in the current transaction, or alone (lock held). */
static int
audit_row(struct sg_sql_stmt *st, const char *record_id, time_t when,
          const char *actor, const char *client, const char *action,
          const char *note, const char **error_r)
{
    bind_text(st, 1, record_id);
    bind_int(st, 2, (int64_t)when);
    bind_text(st, 3, actor);
    bind_text(st, 4, client);
    bind_text(st, 5, action);
    bind_text(st, 6, note);
    if (sg_sql_step_done(st, "cannot append the audit row", error_r) != 0)
        return -1;
    return 0;
}

/* The rows of one hold, in the open transaction. */
static int
insert_rows(const struct sg_store_hold_rows *t, struct sg_sql_stmt **st,
            const char **error_r)
{
    struct sg_buf a = SG_BUF_INIT, b = SG_BUF_INIT;
    char note[160];
    int r = insert_record(t, st[INS_RECORD], error_r);
    if (r == 0)
        r = insert_rcpts(t, st[INS_RCPT], &a, error_r);
    if (r == 0)
        r = insert_rules(t, st, &a, &b, error_r);
    if (r == 0) {
        snprintf(note, sizeof(note), "queue id %s", t->h->queue_id);
        r = audit_row(st[INS_AUDIT], t->id, t->h->time, SG_STORE_HOLD_ACTOR,
                      t->h->client, sg_store_status_name(t->h->status), note,
                      error_r);
    }
    sg_buf_free(&a);
    sg_buf_free(&b);
    return r;
}

/* The message copy's bytes, from the file the front wrote, into the
 * copies table (in the open transaction). */
static int
insert_copy(struct sg_sql_conn *c, const struct sg_store_hold_rows *t,
            const char **error_r)
{
    char *data = NULL;
    size_t len = 0;
    const char *err = NULL;
    if (sg_read_small_file(t->path, (size_t)t->size, O_NOFOLLOW, &data, &len,
                           NULL, &err) < 0)
        return sg_store_fail(error_r, "cannot read the message copy: %s", err);
    int r = -1;
    struct sg_sql_stmt *st = sg_sql_prepare(
        c, "INSERT INTO copies (record_id, message) VALUES (?1, ?2)",
        "cannot prepare the copy's insert", error_r);
    if (st != NULL) {
        bind_text(st, 1, t->id);
        sg_sql_bind_blob(st, 2, data, len);
        r = sg_sql_step_done(st, "cannot insert the message copy", error_r);
        if (r == SG_SQL_UNIQUE)
            r = SG_STORE_DUPLICATE;
    }
    sg_sql_finalize(st);
    free(data);
    return r;
}

int
sg_store_sql_insert_hold(void *be, const struct sg_store_hold_rows *t,
                         const char **error_r)
{
    struct sg_sql_stmt *st[N_INS] = {NULL};
    int r = -1;

    struct sg_sql_conn *c = sg_sql_acquire(be, error_r);
    if (c == NULL)
        return -1;
    for (size_t i = 0; i < N_INS; i++)
        if ((st[i] = sg_sql_prepare(c, insert_sql[i],
                                    "cannot prepare an insert", error_r)) ==
            NULL)
            goto out;
    /* writes only: their answers read together where the driver can
     * (PostgreSQL: one round trip, BEGIN to COMMIT; a record id taken is
     * then known at the commit, the record's INSERT being the first) */
    if (sg_sql_begin_batch(c, error_r) < 0)
        goto out;
    r = insert_rows(t, st, error_r);
    if (r == 0 && c->s->drv->copies_in_db && t->path != NULL)
        r = insert_copy(c, t, error_r);
    if (r == 0 && sg_store_sql_outbox_insert(c, t->notices, t->id, t->h->time,
                                             error_r) < 0)
        r = -1;
    if (r == 0) {
        r = sg_sql_commit(c, "cannot commit the record", error_r);
        if (r == SG_SQL_UNIQUE)
            r = SG_STORE_DUPLICATE;
    }
    if (r != 0)
        sg_sql_rollback(c);
out:
    for (size_t i = 0; i < N_INS; i++)
        sg_sql_finalize(st[i]);
    sg_sql_release(c);
    return r;
}

/* ------------------------------------------------------------ changes */

int
sg_store_sql_audit_on(struct sg_sql_conn *c, const char *record_id,
                      time_t when, const char *actor, const char *client,
                      const char *action, const char *note,
                      const char **error_r)
{
    int r = -1;
    struct sg_sql_stmt *st = sg_sql_prepare(
        c, insert_sql[INS_AUDIT], "cannot prepare the audit row", error_r);
    if (st != NULL)
        r = audit_row(st, record_id, when, actor, client, action, note,
                      error_r);
    sg_sql_finalize(st);
    return r;
}

int
sg_store_sql_audit(void *be, const char *record_id, const char *actor,
                   const char *client, const char *action, const char *note,
                   const char **error_r)
{
    struct sg_sql_conn *c = sg_sql_acquire(be, error_r);
    if (c == NULL)
        return -1;
    int r = sg_store_sql_audit_on(c, record_id, time(NULL), actor, client,
                                  action, note, error_r);
    sg_sql_release(c);
    return r;
}

/* Nothing changed: say why (the record is in another status, or gone). */
static int
why_unchanged(struct sg_sql_conn *c, const char *record_id,
              enum sg_store_status from, const char **error_r)
{
    struct sg_sql_stmt *st =
        sg_sql_prepare(c, "SELECT status FROM records WHERE id = ?1",
                       "cannot read a record", error_r);
    if (st == NULL)
        return -1;
    bind_text(st, 1, record_id);
    int ret = -1;
    int rc = sg_sql_step(st, "cannot read a record", error_r);
    if (rc > 0) {
        const char *now_status = sg_sql_text(st, 0);
        ret = SG_STORE_WRONG_STATUS;
        sg_store_fail(error_r, "quarantine record %s is %s, not %s", record_id,
                      now_status != NULL ? now_status : "?",
                      sg_store_status_name(from));
    } else if (rc == 0) {
        ret = SG_STORE_NOT_FOUND;
        sg_store_fail(error_r, "no quarantine record %s", record_id);
    }
    sg_sql_finalize(st);
    return ret;
}

int
sg_store_sql_set_status(void *be, const char *record_id,
                        enum sg_store_status from, enum sg_store_status to,
                        const char *actor, const char *client, const char *note,
                        const char **error_r)
{
    static const char update_sql[] =
        "UPDATE records SET status = ?1, status_changed = ?2,"
        " retention_class = NULL, expires = NULL" /* worked out again */
        " WHERE id = ?3 AND status = ?4";
    struct sg_sql_stmt *st = NULL, *audit = NULL;
    time_t now = time(NULL);
    int ret = -1;

    struct sg_sql_conn *c = sg_sql_acquire(be, error_r);
    if (c == NULL)
        return -1;
    if ((st = sg_sql_prepare(c, update_sql, "cannot prepare the status change",
                             error_r)) == NULL ||
        (audit = sg_sql_prepare(c, insert_sql[INS_AUDIT],
                                "cannot prepare the status change", error_r)) ==
            NULL)
        goto out;
    if (sg_sql_begin(c, error_r) < 0)
        goto out;
    bind_text(st, 1, sg_store_status_name(to));
    bind_int(st, 2, (int64_t)now);
    bind_text(st, 3, record_id);
    bind_text(st, 4, sg_store_status_name(from));
    if (c->s->drv->step(st) != 0) {
        sg_sql_fail(c, "cannot change the status", error_r);
    } else if (sg_sql_changes(st) != 1) {
        ret = why_unchanged(c, record_id, from, error_r);
    } else if (audit_row(audit, record_id, now, actor, client,
                         sg_store_status_name(to), note, error_r) == 0 &&
               sg_sql_commit(c, "cannot commit the status change", error_r) ==
                   0) {
        ret = 0;
    }
    if (ret != 0)
        sg_sql_rollback(c);
out:
    sg_sql_finalize(st);
    sg_sql_finalize(audit);
    sg_sql_release(c);
    return ret;
}

/* Run one parameterised change of at most one row: 1 changed, 0 not, -1. */
static int
change_one(void *be, const char *sql, const char *id, time_t t,
           const char *what, const char **error_r)
{
    struct sg_sql_conn *c = sg_sql_acquire(be, error_r);
    if (c == NULL)
        return -1;
    int ret = -1;
    struct sg_sql_stmt *st = sg_sql_prepare(c, sql, what, error_r);
    if (st != NULL) {
        bind_int(st, 1, (int64_t)t);
        bind_text(st, 2, id);
        if (c->s->drv->step(st) != 0)
            sg_sql_fail(c, what, error_r);
        else
            ret = sg_sql_changes(st) == 1;
    }
    sg_sql_finalize(st);
    sg_sql_release(c);
    return ret;
}

int
sg_store_sql_mark_seen(void *be, const char *record_id, time_t now,
                       const char **error_r)
{
    int r = change_one(be,
                       "UPDATE records SET queue_seen = ?1"
                       " WHERE id = ?2 AND queue_seen IS NULL",
                       record_id, now, "cannot mark a record seen", error_r);
    return r < 0 ? -1 : 0;
}

int
sg_store_sql_delete_decided(void *be, const char *record_id, time_t cut,
                            const char **error_r)
{
    return change_one(be,
                      "DELETE FROM records WHERE id = ?2 AND status IN"
                      " ('released', 'rejected', 'expired', 'lost',"
                      " 'refused', 'delivered', 'archived')"
                      " AND status_changed <= ?1",
                      record_id, cut, "cannot purge a record", error_r);
}
