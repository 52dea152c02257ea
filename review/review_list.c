/*
 * review_list.c - what the DSL reads: the records waiting (or any, by
 * filter), the audit rows, and one record in full with its recipients,
 * rules, findings and a text view of the message copy.
 *
 * SECURITY: the store holds personal data about children.  Every
 * statement is parameterised.  Message copies are opened only inside the
 * configured message directory, without following symbolic links, and
 * parsed by the milter's view builder (HTML reduced to text by libxml2,
 * never rendered).  Nothing here writes to the store.
 *
 * Fails by returning -1 with an error string (common/sg_error.h).  Never logs,
 * never exits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msgview_build.h"
#include "review_int.h"

/* ------------------------------------------------------------ list */

void
sg_review_items_free(struct sg_review_item **items, size_t *n)
{
    if (items == NULL || *items == NULL)
        return;
    for (size_t i = 0; i < *n; i++) {
        struct sg_review_item *it = &(*items)[i];
        free(it->id);
        free(it->queue_id);
        free(it->env_from);
        free(it->subject);
        free(it->rules);
        free(it->recipients);
    }
    free(*items);
    *items = NULL;
    *n = 0;
}

int
sg_review_read_items(struct sg_review *r, sqlite3_stmt *st,
                     struct sg_review_item **items_r, size_t *n_r,
                     const char **error_r)
{
    struct sg_review_item *items = NULL;
    size_t n = 0, cap = 0;
    int rc;
    bool oom = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sg_review_grow((void **)&items, &cap, n, sizeof(*items)) < 0) {
            oom = true;
            break;
        }
        struct sg_review_item *it = &items[n++];
        it->id = sg_review_col_str(st, 0, &oom);
        it->queue_id = sg_review_col_str(st, 1, &oom);
        it->created = (time_t)sqlite3_column_int64(st, 2);
        const char *status = (const char *)sqlite3_column_text(st, 3);
        if (sg_quarantine_status_parse(status, &it->status) < 0)
            it->status = SG_QSTATUS_HELD;
        it->status_changed = (time_t)sqlite3_column_int64(st, 4);
        it->env_from = sg_review_col_str(st, 5, &oom);
        it->subject = sg_review_col_str(st, 6, &oom);
        it->rules = sg_review_col_str(st, 7, &oom);
        it->recipients = sg_review_col_str(st, 8, &oom);
        if (oom)
            break;
    }
    if (oom || (rc != SQLITE_ROW && rc != SQLITE_DONE)) {
        sg_review_items_free(&items, &n);
        if (oom)
            return review_fail(error_r, "out of memory");
        return sg_review_fail_db(r, "cannot list the records", error_r);
    }
    *items_r = items;
    *n_r = n;
    return 0;
}

int
sg_review_list(struct sg_review *r, const struct sg_review_filter *f,
               const struct sg_review_actor *actor,
               struct sg_review_item **items_r, size_t *n_r,
               const char **error_r)
{
    static const char where[] =
        "WHERE (?1 IS NULL OR r.status = ?1"
        "  OR (?1 = 'waiting' AND r.status IN ('held', 'escalated')))"
        " AND (?2 IS NULL OR r.created <= ?2)"
        " AND (?3 IS NULL OR r.created >= ?3)"
        " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM rules"
        "  WHERE record_id = r.id AND rule_id = ?4))"
        " AND (?5 IS NULL OR instr(lower(r.env_from), lower(?5)) > 0)";
    char sql[2048];
    snprintf(sql, sizeof(sql), "%s%s ORDER BY r.created %s, r.id %s LIMIT ?6 OFFSET ?7",
             SG_REVIEW_ITEM_COLUMNS, where, f->oldest_first ? "ASC" : "DESC",
             f->oldest_first ? "ASC" : "DESC");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sg_review_fail_db(r, "cannot list the records", error_r);
    time_t now = time(NULL);
    const char *status = f->any_status ? NULL
                         : f->waiting  ? "waiting"
                                       : sg_quarantine_status_name(f->status);
    sg_review_bind_text(st, 1, status);
    if (f->min_age > 0)
        sqlite3_bind_int64(st, 2, (sqlite3_int64)(now - f->min_age));
    if (f->max_age > 0)
        sqlite3_bind_int64(st, 3, (sqlite3_int64)(now - f->max_age));
    sg_review_bind_text(st, 4, f->rule);
    sg_review_bind_text(st, 5,
                        f->sender != NULL && *f->sender ? f->sender : NULL);
    sqlite3_bind_int64(st, 6, f->limit > 0 ? (sqlite3_int64)f->limit : -1);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)f->offset);
    int rc = sg_review_read_items(r, st, items_r, n_r, error_r);
    sqlite3_finalize(st);
    if (rc == 0 && sg_review_actor_ok(actor)) {
        char note[512];
        snprintf(note, sizeof(note), "status=%s%s%s%s%s; %zu shown",
                 status != NULL ? status : "any",
                 f->rule ? " rule=" : "", f->rule ? f->rule : "",
                 f->sender ? " sender=" : "", f->sender ? f->sender : "",
                 *n_r);
        if (sg_review_audit(r, NULL, actor, "list", note, error_r) < 0) {
            sg_review_items_free(items_r, n_r);
            return -1;
        }
    }
    return rc;
}

/* ------------------------------------------------------------ audit rows */

void
sg_review_audit_rows_free(struct sg_review_audit_row **rows, size_t *n)
{
    if (rows == NULL || *rows == NULL)
        return;
    for (size_t i = 0; i < *n; i++) {
        struct sg_review_audit_row *a = &(*rows)[i];
        free(a->record_id);
        free(a->actor);
        free(a->client);
        free(a->action);
        free(a->note);
    }
    free(*rows);
    *rows = NULL;
    *n = 0;
}

int
sg_review_audit_list(struct sg_review *r, const char *id, time_t since,
                     struct sg_review_audit_row **rows_r, size_t *n_r,
                     const char **error_r)
{
    static const char sql[] =
        "SELECT id, record_id, time, actor, client, action, note FROM audit"
        " WHERE (?1 IS NULL OR record_id = ?1) AND time >= ?2 ORDER BY id";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sg_review_fail_db(r, "cannot read the audit table", error_r);
    sg_review_bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
    struct sg_review_audit_row *rows = NULL;
    size_t n = 0, cap = 0;
    bool oom = false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sg_review_grow((void **)&rows, &cap, n, sizeof(*rows)) < 0) {
            oom = true;
            break;
        }
        struct sg_review_audit_row *a = &rows[n++];
        a->id = sqlite3_column_int64(st, 0);
        a->record_id = sg_review_col(st, 1, &oom);
        a->time = (time_t)sqlite3_column_int64(st, 2);
        a->actor = sg_review_col_str(st, 3, &oom);
        a->client = sg_review_col(st, 4, &oom);
        a->action = sg_review_col_str(st, 5, &oom);
        a->note = sg_review_col(st, 6, &oom);
        if (oom)
            break;
    }
    sqlite3_finalize(st);
    if (oom || (rc != SQLITE_ROW && rc != SQLITE_DONE)) {
        sg_review_audit_rows_free(&rows, &n);
        return oom ? review_fail(error_r, "out of memory")
                   : sg_review_fail_db(r, "cannot read the audit table",
                                       error_r);
    }
    *rows_r = rows;
    *n_r = n;
    return 0;
}

/* ------------------------------------------------------------ show */

void
sg_review_detail_free(struct sg_review_detail **dp)
{
    struct sg_review_detail *d = dp != NULL ? *dp : NULL;
    if (d == NULL)
        return;
    sg_quarantine_record_free(&d->record);
    for (size_t i = 0; i < d->n_rcpts; i++) {
        free(d->rcpts[i].address);
        free(d->rcpts[i].roles);
        free(d->rcpts[i].channel);
    }
    free(d->rcpts);
    for (size_t i = 0; i < d->n_rules; i++) {
        struct sg_review_rule *u = &d->rules[i];
        free(u->id);
        free(u->title);
        free(u->policy);
        free(u->source);
        free(u->mode);
        free(u->action);
        free(u->recipients);
        free(u->notify);
        free(u->explain_sender);
        free(u->explain_dsl);
    }
    free(d->rules);
    for (size_t i = 0; i < d->n_findings; i++) {
        free(d->findings[i].rule_id);
        free(d->findings[i].detector);
        free(d->findings[i].text);
        free(d->findings[i].location);
    }
    free(d->findings);
    sg_review_audit_rows_free(&d->history, &d->n_history);
    sg_msgview_free(&d->view);
    free(d->view_error);
    free(d->queue_name);
    free(d);
    *dp = NULL;
}

static int
read_children(struct sg_review *r, struct sg_review_detail *d,
              const char **error_r)
{
    const char *id = d->record->id;
    sqlite3_stmt *st = NULL;
    bool oom = false;
    size_t cap;
    int rc;

    if (sqlite3_prepare_v2(r->db,
                           "SELECT address, roles, channel FROM recipients"
                           " WHERE record_id = ?1 ORDER BY pos",
                           -1, &st, NULL) != SQLITE_OK)
        return sg_review_fail_db(r, "cannot read the recipients", error_r);
    sg_review_bind_text(st, 1, id);
    cap = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sg_review_grow((void **)&d->rcpts, &cap, d->n_rcpts,
                           sizeof(*d->rcpts)) < 0) {
            oom = true;
            break;
        }
        struct sg_review_rcpt *p = &d->rcpts[d->n_rcpts++];
        p->address = sg_review_col_str(st, 0, &oom);
        p->roles = sg_review_col_str(st, 1, &oom);
        p->channel = sg_review_col_str(st, 2, &oom);
    }
    sqlite3_finalize(st);
    if (oom)
        return review_fail(error_r, "out of memory");

    if (sqlite3_prepare_v2(
            r->db,
            "SELECT rule_id, title, policy, source, mode, action, recipients,"
            " notify, explain_sender, explain_dsl FROM rules"
            " WHERE record_id = ?1 ORDER BY pos",
            -1, &st, NULL) != SQLITE_OK)
        return sg_review_fail_db(r, "cannot read the rules", error_r);
    sg_review_bind_text(st, 1, id);
    cap = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sg_review_grow((void **)&d->rules, &cap, d->n_rules,
                           sizeof(*d->rules)) < 0) {
            oom = true;
            break;
        }
        struct sg_review_rule *u = &d->rules[d->n_rules++];
        u->id = sg_review_col_str(st, 0, &oom);
        u->title = sg_review_col_str(st, 1, &oom);
        u->policy = sg_review_col_str(st, 2, &oom);
        u->source = sg_review_col_str(st, 3, &oom);
        u->mode = sg_review_col_str(st, 4, &oom);
        u->action = sg_review_col_str(st, 5, &oom);
        u->recipients = sg_review_col_str(st, 6, &oom);
        u->notify = sg_review_col_str(st, 7, &oom);
        u->explain_sender = sg_review_col_str(st, 8, &oom);
        u->explain_dsl = sg_review_col_str(st, 9, &oom);
    }
    sqlite3_finalize(st);
    if (oom)
        return review_fail(error_r, "out of memory");

    if (sqlite3_prepare_v2(
            r->db,
            "SELECT f.rule_id, f.detector, f.text, f.location FROM findings f"
            " JOIN rules u ON u.record_id = f.record_id"
            "  AND u.rule_id = f.rule_id"
            " WHERE f.record_id = ?1 ORDER BY u.pos, f.pos",
            -1, &st, NULL) != SQLITE_OK)
        return sg_review_fail_db(r, "cannot read the findings", error_r);
    sg_review_bind_text(st, 1, id);
    cap = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sg_review_grow((void **)&d->findings, &cap, d->n_findings,
                           sizeof(*d->findings)) < 0) {
            oom = true;
            break;
        }
        struct sg_review_finding *f = &d->findings[d->n_findings++];
        f->rule_id = sg_review_col_str(st, 0, &oom);
        f->detector = sg_review_col_str(st, 1, &oom);
        f->text = sg_review_col_str(st, 2, &oom);
        f->location = sg_review_col_str(st, 3, &oom);
    }
    sqlite3_finalize(st);
    if (oom)
        return review_fail(error_r, "out of memory");
    return 0;
}

/* Is path a file directly inside the message directory? */
bool
sg_review_in_store(const struct sg_review *r, const char *path)
{
    size_t n = strlen(r->store_dir);
    return path != NULL && strncmp(path, r->store_dir, n) == 0 &&
           path[n] == '/' && strchr(path + n + 1, '/') == NULL &&
           path[n + 1] != '.' && path[n + 1] != '\0';
}

static void
load_view(struct sg_review *r, struct sg_review_detail *d)
{
    const char *path = d->record->message_path;
    char why[512];
    if (path == NULL) {
        snprintf(why, sizeof(why), "the stored copy was purged after the "
                                   "retention period");
    } else if (!sg_review_in_store(r, path)) {
        snprintf(why, sizeof(why), "the stored copy %s is outside the "
                                   "message directory %s: not opened",
                 path, r->store_dir);
    } else {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            snprintf(why, sizeof(why), "cannot open the stored copy %s: %s",
                     path, strerror(errno));
        } else {
            const char *err = NULL;
            int rc = sg_msgview_build_fd(fd, &d->view, &err);
            close(fd);
            if (rc == 0)
                return;
            snprintf(why, sizeof(why), "cannot read the stored copy %s: %s",
                     path, err != NULL ? err : "?");
        }
    }
    d->view_error = strdup(why);
}

int
sg_review_show(struct sg_review *r, const char *id,
               const struct sg_review_actor *actor, bool with_queue,
               struct sg_review_detail **d_r, const char **error_r)
{
    if (!sg_review_actor_ok(actor) || id == NULL)
        return review_fail(error_r, "show: missing record or actor");
    struct sg_review_detail *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return review_fail(error_r, "out of memory");
    const char *err = NULL;
    int rc = sg_quarantine_get(r->q, id, &d->record, &err);
    if (rc != 0) {
        free(d);
        if (rc == SG_QUARANTINE_NOT_FOUND)
            return review_failc(SG_REVIEW_NOT_FOUND, error_r,
                                "no quarantine record %.80s", id);
        return sg_review_keep(error_r, "", err);
    }
    if (read_children(r, d, error_r) < 0)
        goto fail;
    load_view(r, d);
    if (with_queue) {
        struct sg_mailqueue q;
        if (review_queue_load(r, &q, error_r) < 0)
            goto fail;
        const char *name = NULL;
        d->queue = sg_mailqueue_find(&q, d->record->queue_id, &name);
        if (name != NULL)
            d->queue_name = strdup(name);
        sg_mailqueue_free(&q);
    }
    if (sg_review_audit(r, id, actor, "view", NULL, error_r) < 0 ||
        sg_review_audit_list(r, id, 0, &d->history, &d->n_history, error_r) < 0)
        goto fail;
    *d_r = d;
    return 0;
fail:
    sg_review_detail_free(&d);
    return -1;
}

