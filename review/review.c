/*
 * review.c - the DSL's operations on the quarantine: what is waiting, one
 * record in full, decisions that act on the real mail queue, retention,
 * exports and digests.  Front ends (safeguard-review, the web page) only
 * parse, print and say who is acting.
 *
 * A decision on a held message runs in this order, under an exclusive
 * lock on a file beside the database (so two reviewers, or a reviewer and
 * `expire`, never act on one message at once): read the record; refuse
 * if it is already decided; ask the mail queue where the message is (a
 * message that is gone or no longer on hold was released or deleted by
 * hand: the record is updated with a note saying so, and the caller told);
 * run the release or delete command; check that the message left the
 * hold queue; change the status from what it was (compare-and-set in
 * quarantine.c, with its audit row).  If the command fails, nothing
 * changes but an audit row saying so.  Postfix's `postsuper -H` and
 * `postsuper -d ID hold` act only on held mail, so a message that was
 * released elsewhere in the meantime is never deleted.
 *
 * SECURITY: the store holds personal data about children.  Every
 * statement is parameterised.  Message copies are opened only inside the
 * configured message directory, without following symbolic links, and
 * parsed by the milter's view builder (HTML reduced to text by libxml2,
 * never rendered).  The audit table is append-only (triggers in the
 * schema); this file only inserts into it.  Retention deletes records
 * (their recipients, rules and findings go with them) and copies, never
 * audit rows.  Stray-file removal touches only names the milter makes
 * (".tmp-*", "SG-*.eml"), regular files only, older than an hour.
 *
 * Fails by returning -1 (or an SG_REVIEW_* result) with a thread-local
 * error string.  Never logs, never exits.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "msgview_build.h"
#include "review_int.h"

#define STRAY_MIN_AGE 3600 /* seconds before a stray file is removed */

/* ------------------------------------------------------------ errors */

static _Thread_local char errbuf[1024];

int
review_fail(const char **error_r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    if (error_r != NULL)
        *error_r = errbuf;
    return -1;
}

int
review_failc(int code, const char **error_r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    if (error_r != NULL)
        *error_r = errbuf;
    return code;
}

/* Keep a message from another module (its buffer may be reused). */
static int
keep(const char **error_r, const char *prefix, const char *msg)
{
    char tmp[sizeof(errbuf)];
    snprintf(tmp, sizeof(tmp), "%s", msg != NULL ? msg : "unknown error");
    return review_fail(error_r, "%s%s", prefix, tmp);
}

static int
fail_db(struct sg_review *r, const char *what, const char **error_r)
{
    return review_fail(error_r, "quarantine database %s: %s: %s", r->db_path,
                       what, sqlite3_errmsg(r->db));
}

/* ------------------------------------------------------------ settings */

static const char *const expire_names[] = {"delete", "release"};

const char *
sg_review_expire_action_name(enum sg_review_expire_action a)
{
    return (unsigned)a < 2 ? expire_names[a] : "?";
}

int
sg_review_expire_action_parse(const char *name,
                              enum sg_review_expire_action *a_r)
{
    for (unsigned i = 0; name != NULL && i < 2; i++)
        if (strcmp(name, expire_names[i]) == 0) {
            *a_r = (enum sg_review_expire_action)i;
            return 0;
        }
    return -1;
}

void
sg_review_settings_init(struct sg_review_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->release_command = SG_REVIEW_RELEASE_COMMAND;
    s->delete_command = SG_REVIEW_DELETE_COMMAND;
    s->queue_command = SG_REVIEW_QUEUE_COMMAND;
    s->command_timeout = SG_REVIEW_COMMAND_TIMEOUT;
    s->sla_hours = SG_REVIEW_SLA_HOURS;
    s->retention_days = SG_REVIEW_RETENTION_DAYS;
    s->hold_max_days = SG_REVIEW_HOLD_MAX_DAYS;
    s->expire_action = SG_REVIEW_EXPIRE_DELETE;
}

const struct sg_review_settings *
sg_review_get_settings(const struct sg_review *r)
{
    return &r->s;
}

struct sg_quarantine *
sg_review_store(struct sg_review *r)
{
    return r->q;
}

/* ------------------------------------------------------------ open */

static pthread_once_t view_once = PTHREAD_ONCE_INIT;

static void
view_init(void)
{
    sg_msgview_build_init();
}

static char *
dup_or_empty(const char *s)
{
    return strdup(s != NULL ? s : "");
}

/* Owned copies of the notice settings behind r->ncfg. */
static void
ncfg_free(struct sg_review *r)
{
    free(r->n_templates);
    free(r->n_sendmail);
    free(r->n_secret);
    free(r->n_from);
    free(r->n_from_name);
    sg_strv_free(&r->n_dsl, &r->n_n_dsl);
    free(r->ncfg);
    r->ncfg = NULL;
}

static int
ncfg_dup(struct sg_review *r, const struct sg_notice_config *c)
{
    r->ncfg = calloc(1, sizeof(*r->ncfg));
    r->n_templates = dup_or_empty(c->templates_dir);
    r->n_sendmail = dup_or_empty(c->sendmail);
    r->n_secret = dup_or_empty(c->secret_file);
    r->n_from = dup_or_empty(c->from);
    r->n_from_name = dup_or_empty(c->from_name);
    bool ok = r->ncfg && r->n_templates && r->n_sendmail && r->n_secret &&
              r->n_from && r->n_from_name;
    for (size_t i = 0; ok && i < c->n_dsl_addresses; i++)
        ok = sg_strv_push(&r->n_dsl, &r->n_n_dsl, c->dsl_addresses[i]) == 0;
    if (!ok)
        return -1;
    *r->ncfg = (struct sg_notice_config){
        .templates_dir = r->n_templates,
        .sendmail = r->n_sendmail,
        .secret_file = r->n_secret,
        .from = r->n_from,
        .from_name = r->n_from_name,
        .dsl_addresses = (const char *const *)r->n_dsl,
        .n_dsl_addresses = r->n_n_dsl,
        .timeout = c->timeout,
    };
    return 0;
}

void
sg_review_close(struct sg_review **rp)
{
    struct sg_review *r = rp != NULL ? *rp : NULL;
    if (r == NULL)
        return;
    sg_quarantine_close(&r->q);
    if (r->db != NULL)
        sqlite3_close_v2(r->db);
    free(r->db_path);
    free(r->store_dir);
    free(r->lock_path);
    free(r->release_command);
    free(r->delete_command);
    free(r->queue_command);
    ncfg_free(r);
    free(r->dsl_contact);
    sg_strv_free(&r->school_domains, &r->n_school_domains);
    free(r);
    *rp = NULL;
}

int
sg_review_open(const struct sg_review_options *o, struct sg_review **r_r,
               const char **error_r)
{
    if (o == NULL || o->db_path == NULL || *o->db_path == '\0' ||
        o->store_dir == NULL || *o->store_dir == '\0')
        return review_fail(error_r, "quarantine_db and quarantine_dir must "
                                    "be set");
    struct stat st;
    if (stat(o->db_path, &st) < 0)
        return review_fail(error_r, "no quarantine database at %s (%s): "
                                    "nothing has been held yet, or "
                                    "quarantine_db names another file",
                           o->db_path, strerror(errno));
    pthread_once(&view_once, view_init);

    struct sg_review *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return review_fail(error_r, "out of memory");
    const char *err = NULL;
    if (sg_quarantine_open(o->db_path, o->store_dir, &r->q, &err) < 0) {
        keep(error_r, "", err);
        goto fail;
    }
    if (sqlite3_open_v2(o->db_path, &r->db, SQLITE_OPEN_READWRITE, NULL) !=
        SQLITE_OK) {
        review_fail(error_r, "cannot open the quarantine database %s: %s",
                    o->db_path,
                    r->db != NULL ? sqlite3_errmsg(r->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(r->db, SG_QUARANTINE_BUSY_TIMEOUT_MS);
    sqlite3_db_config(r->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_exec(r->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);

    r->s = o->settings;
    if (r->s.command_timeout == 0)
        r->s.command_timeout = SG_REVIEW_COMMAND_TIMEOUT;
    if (r->s.sla_hours == 0)
        r->s.sla_hours = SG_REVIEW_SLA_HOURS;
    r->db_path = strdup(o->db_path);
    r->store_dir = realpath(o->store_dir, NULL);
    r->release_command = dup_or_empty(o->settings.release_command);
    r->delete_command = dup_or_empty(o->settings.delete_command);
    r->queue_command = dup_or_empty(o->settings.queue_command);
    r->dsl_contact = strdup(o->dsl_contact != NULL
                                ? o->dsl_contact
                                : "the Designated Safeguarding Lead");
    size_t ll = strlen(o->db_path) + sizeof("-review.lock");
    r->lock_path = malloc(ll);
    if (r->db_path == NULL || r->store_dir == NULL ||
        r->release_command == NULL || r->delete_command == NULL ||
        r->queue_command == NULL || r->dsl_contact == NULL ||
        r->lock_path == NULL) {
        review_fail(error_r, "cannot set up: %s",
                    r->store_dir == NULL ? strerror(errno) : "out of memory");
        goto fail;
    }
    snprintf(r->lock_path, ll, "%s-review.lock", o->db_path);
    r->s.release_command = r->release_command;
    r->s.delete_command = r->delete_command;
    r->s.queue_command = r->queue_command;
    for (size_t i = 0; i < o->n_school_domains; i++)
        if (sg_strv_push(&r->school_domains, &r->n_school_domains,
                         o->school_domains[i]) < 0) {
            review_fail(error_r, "out of memory");
            goto fail;
        }
    if (o->notice != NULL && o->notice->from != NULL &&
        *o->notice->from != '\0') {
        if (ncfg_dup(r, o->notice) < 0) {
            review_fail(error_r, "out of memory");
            goto fail;
        }
    }
    *r_r = r;
    return 0;
fail:
    sg_review_close(&r);
    return -1;
}

/* ------------------------------------------------------------ helpers */

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
}

static char *
col(sqlite3_stmt *st, int i, bool *oom)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    if (s == NULL)
        return NULL;
    char *d = strdup((const char *)s);
    if (d == NULL)
        *oom = true;
    return d;
}

static char *
col_str(sqlite3_stmt *st, int i, bool *oom)
{
    char *d = col(st, i, oom);
    if (d == NULL && !*oom && (d = strdup("")) == NULL)
        *oom = true;
    return d;
}

/* Grow an array of elem-sized items to hold n + 1. */
static int
grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *na = realloc(*arr, nc * elem);
    if (na == NULL)
        return -1;
    memset((char *)na + *cap * elem, 0, (nc - *cap) * elem);
    *arr = na;
    *cap = nc;
    return 0;
}

static void
utc(time_t t, char *buf, size_t size)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(buf, size, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)t);
}

static void
iso(time_t t, char *buf, size_t size)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)t);
}

bool
sg_review_waiting(enum sg_quarantine_status s)
{
    return s == SG_QSTATUS_HELD || s == SG_QSTATUS_ESCALATED;
}

bool
sg_review_overdue(const struct sg_review *r, enum sg_quarantine_status s,
                  time_t created, time_t now)
{
    return sg_review_waiting(s) &&
           now - created > (time_t)r->s.sla_hours * 3600;
}

static int
audit(struct sg_review *r, const char *id, const struct sg_review_actor *a,
      const char *action, const char *note, const char **error_r)
{
    const char *err = NULL;
    if (sg_quarantine_audit(r->q, id, a->user, a->from, action, note, &err) <
        0)
        return keep(error_r, "", err);
    return 0;
}

static bool
actor_ok(const struct sg_review_actor *a)
{
    return a != NULL && a->user != NULL && *a->user != '\0';
}

/* ------------------------------------------------------------ the lock */

static int
lock_take(struct sg_review *r, const char **error_r)
{
    int fd = open(r->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                  0660);
    if (fd < 0)
        return review_fail(error_r, "cannot open the lock file %s: %s",
                           r->lock_path, strerror(errno));
    struct stat st;
    if (geteuid() == 0 && stat(r->db_path, &st) == 0 &&
        fchown(fd, st.st_uid, st.st_gid) < 0) {
        /* root can always chown; nothing to do if it cannot */
    }
    while (flock(fd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            return review_fail(error_r, "cannot lock %s: %s", r->lock_path,
                               strerror(e));
        }
    }
    return fd;
}

static void
lock_release(int fd)
{
    if (fd >= 0)
        close(fd); /* drops the flock */
}

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

#define ITEM_COLUMNS                                                         \
    "SELECT r.id, r.queue_id, r.created, r.status, r.status_changed,"       \
    " r.env_from, coalesce(r.subject, ''),"                                 \
    " (SELECT group_concat(rule_id, ',') FROM (SELECT rule_id FROM rules"   \
    "   WHERE record_id = r.id ORDER BY pos)),"                             \
    " (SELECT group_concat(address || ' (' || roles || ')', ', ') FROM"     \
    "   (SELECT address, roles FROM recipients WHERE record_id = r.id"      \
    "    ORDER BY pos))"                                                    \
    " FROM records r "

static int
read_items(struct sg_review *r, sqlite3_stmt *st,
           struct sg_review_item **items_r, size_t *n_r, const char **error_r)
{
    struct sg_review_item *items = NULL;
    size_t n = 0, cap = 0;
    int rc;
    bool oom = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&items, &cap, n, sizeof(*items)) < 0) {
            oom = true;
            break;
        }
        struct sg_review_item *it = &items[n++];
        it->id = col_str(st, 0, &oom);
        it->queue_id = col_str(st, 1, &oom);
        it->created = (time_t)sqlite3_column_int64(st, 2);
        const char *status = (const char *)sqlite3_column_text(st, 3);
        if (sg_quarantine_status_parse(status, &it->status) < 0)
            it->status = SG_QSTATUS_HELD;
        it->status_changed = (time_t)sqlite3_column_int64(st, 4);
        it->env_from = col_str(st, 5, &oom);
        it->subject = col_str(st, 6, &oom);
        it->rules = col_str(st, 7, &oom);
        it->recipients = col_str(st, 8, &oom);
        if (oom)
            break;
    }
    if (oom || (rc != SQLITE_ROW && rc != SQLITE_DONE)) {
        sg_review_items_free(&items, &n);
        if (oom)
            return review_fail(error_r, "out of memory");
        return fail_db(r, "cannot list the records", error_r);
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
        "WHERE (?1 IS NULL OR r.status = ?1)"
        " AND (?2 IS NULL OR r.created <= ?2)"
        " AND (?3 IS NULL OR r.created >= ?3)"
        " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM rules"
        "  WHERE record_id = r.id AND rule_id = ?4))"
        " AND (?5 IS NULL OR instr(lower(r.env_from), lower(?5)) > 0)";
    char sql[2048];
    snprintf(sql, sizeof(sql), "%s%s ORDER BY r.created %s, r.id %s LIMIT ?6",
             ITEM_COLUMNS, where, f->oldest_first ? "ASC" : "DESC",
             f->oldest_first ? "ASC" : "DESC");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail_db(r, "cannot list the records", error_r);
    time_t now = time(NULL);
    bind_text(st, 1,
              f->any_status ? NULL : sg_quarantine_status_name(f->status));
    if (f->min_age > 0)
        sqlite3_bind_int64(st, 2, (sqlite3_int64)(now - f->min_age));
    if (f->max_age > 0)
        sqlite3_bind_int64(st, 3, (sqlite3_int64)(now - f->max_age));
    bind_text(st, 4, f->rule);
    bind_text(st, 5, f->sender != NULL && *f->sender ? f->sender : NULL);
    sqlite3_bind_int64(st, 6, f->limit > 0 ? (sqlite3_int64)f->limit : -1);
    int rc = read_items(r, st, items_r, n_r, error_r);
    sqlite3_finalize(st);
    if (rc == 0 && actor_ok(actor)) {
        char note[512];
        snprintf(note, sizeof(note), "status=%s%s%s%s%s; %zu shown",
                 f->any_status ? "any" : sg_quarantine_status_name(f->status),
                 f->rule ? " rule=" : "", f->rule ? f->rule : "",
                 f->sender ? " sender=" : "", f->sender ? f->sender : "",
                 *n_r);
        if (audit(r, NULL, actor, "list", note, error_r) < 0) {
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
        return fail_db(r, "cannot read the audit table", error_r);
    bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)since);
    struct sg_review_audit_row *rows = NULL;
    size_t n = 0, cap = 0;
    bool oom = false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&rows, &cap, n, sizeof(*rows)) < 0) {
            oom = true;
            break;
        }
        struct sg_review_audit_row *a = &rows[n++];
        a->id = sqlite3_column_int64(st, 0);
        a->record_id = col(st, 1, &oom);
        a->time = (time_t)sqlite3_column_int64(st, 2);
        a->actor = col_str(st, 3, &oom);
        a->client = col(st, 4, &oom);
        a->action = col_str(st, 5, &oom);
        a->note = col(st, 6, &oom);
        if (oom)
            break;
    }
    sqlite3_finalize(st);
    if (oom || (rc != SQLITE_ROW && rc != SQLITE_DONE)) {
        sg_review_audit_rows_free(&rows, &n);
        return oom ? review_fail(error_r, "out of memory")
                   : fail_db(r, "cannot read the audit table", error_r);
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
        return fail_db(r, "cannot read the recipients", error_r);
    bind_text(st, 1, id);
    cap = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&d->rcpts, &cap, d->n_rcpts, sizeof(*d->rcpts)) <
            0) {
            oom = true;
            break;
        }
        struct sg_review_rcpt *p = &d->rcpts[d->n_rcpts++];
        p->address = col_str(st, 0, &oom);
        p->roles = col_str(st, 1, &oom);
        p->channel = col_str(st, 2, &oom);
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
        return fail_db(r, "cannot read the rules", error_r);
    bind_text(st, 1, id);
    cap = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&d->rules, &cap, d->n_rules, sizeof(*d->rules)) <
            0) {
            oom = true;
            break;
        }
        struct sg_review_rule *u = &d->rules[d->n_rules++];
        u->id = col_str(st, 0, &oom);
        u->title = col_str(st, 1, &oom);
        u->policy = col_str(st, 2, &oom);
        u->source = col_str(st, 3, &oom);
        u->mode = col_str(st, 4, &oom);
        u->action = col_str(st, 5, &oom);
        u->recipients = col_str(st, 6, &oom);
        u->notify = col_str(st, 7, &oom);
        u->explain_sender = col_str(st, 8, &oom);
        u->explain_dsl = col_str(st, 9, &oom);
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
        return fail_db(r, "cannot read the findings", error_r);
    bind_text(st, 1, id);
    cap = 0;
    while (!oom && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (grow((void **)&d->findings, &cap, d->n_findings,
                 sizeof(*d->findings)) < 0) {
            oom = true;
            break;
        }
        struct sg_review_finding *f = &d->findings[d->n_findings++];
        f->rule_id = col_str(st, 0, &oom);
        f->detector = col_str(st, 1, &oom);
        f->text = col_str(st, 2, &oom);
        f->location = col_str(st, 3, &oom);
    }
    sqlite3_finalize(st);
    if (oom)
        return review_fail(error_r, "out of memory");
    return 0;
}

/* Is path a file directly inside the message directory? */
static bool
in_store(const struct sg_review *r, const char *path)
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
    } else if (!in_store(r, path)) {
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
    if (!actor_ok(actor) || id == NULL)
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
        return keep(error_r, "", err);
    }
    if (read_children(r, d, error_r) < 0)
        goto fail;
    load_view(r, d);
    if (with_queue) {
        struct review_queue q;
        if (review_queue_load(&r->s, &q, error_r) < 0)
            goto fail;
        const char *name = NULL;
        d->queue = review_queue_find(&q, d->record->queue_id, &name);
        if (name != NULL)
            d->queue_name = strdup(name);
        review_queue_free(&q);
    }
    if (audit(r, id, actor, "view", NULL, error_r) < 0 ||
        sg_review_audit_list(r, id, 0, &d->history, &d->n_history,
                             error_r) < 0)
        goto fail;
    *d_r = d;
    return 0;
fail:
    sg_review_detail_free(&d);
    return -1;
}

/* ------------------------------------------------------------ decisions */

enum op {
    OP_RELEASE,
    OP_REJECT,
    OP_ESCALATE,
    OP_EXPIRE_DELETE,
    OP_EXPIRE_RELEASE,
};

static const char *
op_verb(enum op op)
{
    switch (op) {
    case OP_RELEASE:
    case OP_EXPIRE_RELEASE:
        return "release";
    case OP_REJECT:
    case OP_EXPIRE_DELETE:
        return "delete";
    case OP_ESCALATE:
    default:
        return "escalate";
    }
}

/* "already released by alice (command line) on ...: note" */
static int
wrong_status(struct sg_review *r, const struct sg_quarantine_record *rec,
             const char **error_r)
{
    static const char sql[] =
        "SELECT actor, client, time, note FROM audit WHERE record_id = ?1"
        " AND action = ?2 ORDER BY id DESC LIMIT 1";
    const char *status = sg_quarantine_status_name(rec->status);
    sqlite3_stmt *st = NULL;
    char who[256] = "", when[64];
    utc(rec->status_changed, when, sizeof(when));
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) == SQLITE_OK) {
        bind_text(st, 1, rec->id);
        bind_text(st, 2, status);
        if (sqlite3_step(st) == SQLITE_ROW) {
            const char *a = (const char *)sqlite3_column_text(st, 0);
            const char *c = (const char *)sqlite3_column_text(st, 1);
            snprintf(who, sizeof(who), " by %s%s%s%s", a ? a : "?",
                     c ? " (" : "", c ? c : "", c ? ")" : "");
        }
        sqlite3_finalize(st);
    }
    return review_failc(SG_REVIEW_WRONG_STATUS, error_r,
                        "record %s was already %s%s on %s: nothing done",
                        rec->id, status, who, when);
}

/* The queue no longer holds rec's message: update the record and say so.
 * Called with the lock held. */
static int
mark_gone(struct sg_review *r, const struct sg_quarantine_record *rec,
          enum sg_review_queue_state qs, const char *qname,
          const struct sg_review_actor *actor, const char **error_r)
{
    char note[512];
    enum sg_quarantine_status to;
    if (qs == SG_REVIEW_QUEUE_OTHER) {
        to = SG_QSTATUS_RELEASED;
        snprintf(note, sizeof(note),
                 "the mail queue has queue id %s in its %s queue, not on "
                 "hold: it was released outside safeguard-review",
                 rec->queue_id, qname != NULL ? qname : "?");
    } else {
        to = SG_QSTATUS_EXPIRED;
        snprintf(note, sizeof(note),
                 "the mail queue no longer has queue id %s: it was released "
                 "or deleted outside safeguard-review",
                 rec->queue_id);
    }
    const char *err = NULL;
    int rc = sg_quarantine_set_status(r->q, rec->id, rec->status, to,
                                      actor->user, actor->from, note, &err);
    if (rc != 0)
        return keep(error_r, "", err);
    return review_failc(SG_REVIEW_GONE, error_r,
                        "record %s: %s; the record is now %s", rec->id, note,
                        sg_quarantine_status_name(to));
}

static int
decide(struct sg_review *r, const char *id,
       const struct sg_review_actor *actor, const char *note, enum op op,
       const char **error_r)
{
    if (!actor_ok(actor) || id == NULL)
        return review_fail(error_r, "missing record or actor");
    if (note == NULL || *note == '\0')
        return review_fail(error_r, "a note is required: say why");
    int lock = lock_take(r, error_r);
    if (lock < 0)
        return -1;
    struct sg_quarantine_record *rec = NULL;
    const char *err = NULL;
    int ret = -1;
    int rc = sg_quarantine_get(r->q, id, &rec, &err);
    if (rc == SG_QUARANTINE_NOT_FOUND) {
        ret = review_failc(SG_REVIEW_NOT_FOUND, error_r,
                           "no quarantine record %.80s", id);
        goto out;
    }
    if (rc != 0) {
        keep(error_r, "", err);
        goto out;
    }
    bool from_ok = op == OP_ESCALATE ? rec->status == SG_QSTATUS_HELD
                                     : sg_review_waiting(rec->status);
    if (!from_ok) {
        ret = wrong_status(r, rec, error_r);
        char msg[sizeof(errbuf)], why[sizeof(errbuf) + 32];
        snprintf(msg, sizeof(msg), "%s", *error_r);
        snprintf(why, sizeof(why), "%s refused: %s", op_verb(op), msg);
        audit(r, rec->id, actor, "refused", why, &err);
        review_failc(ret, error_r, "%s", msg);
        goto out;
    }
    if (!review_queue_id_ok(rec->queue_id)) {
        review_fail(error_r, "record %s has an unusable queue id", rec->id);
        goto out;
    }

    struct review_queue q;
    if (review_queue_load(&r->s, &q, error_r) < 0) {
        char why[sizeof(errbuf)];
        snprintf(why, sizeof(why), "%s", *error_r);
        audit(r, rec->id, actor, "failed", why, &err);
        review_fail(error_r, "cannot list the mail queue, nothing done: %s",
                    why);
        goto out;
    }
    const char *qname = NULL;
    enum sg_review_queue_state qs =
        review_queue_find(&q, rec->queue_id, &qname);
    if (qs == SG_REVIEW_QUEUE_OTHER || qs == SG_REVIEW_QUEUE_ABSENT) {
        ret = mark_gone(r, rec, qs, qname, actor, error_r);
        review_queue_free(&q);
        goto out;
    }
    review_queue_free(&q);

    enum sg_quarantine_status to;
    const char *cmd = NULL;
    switch (op) {
    case OP_RELEASE:
    case OP_EXPIRE_RELEASE:
        to = SG_QSTATUS_RELEASED;
        cmd = r->s.release_command;
        break;
    case OP_REJECT:
        to = SG_QSTATUS_REJECTED;
        cmd = r->s.delete_command;
        break;
    case OP_EXPIRE_DELETE:
        to = SG_QSTATUS_EXPIRED;
        cmd = r->s.delete_command;
        break;
    case OP_ESCALATE:
    default:
        to = SG_QSTATUS_ESCALATED;
        break;
    }
    if (cmd != NULL) {
        if (sg_review_run(cmd, rec->queue_id, r->s.command_timeout, NULL,
                          &err) < 0) {
            char why[sizeof(errbuf)];
            snprintf(why, sizeof(why), "could not %s queue id %s: %s",
                     op_verb(op), rec->queue_id, err);
            audit(r, rec->id, actor, "failed", why, &err);
            review_fail(error_r, "%s; the message is still held and the "
                                 "record unchanged", why);
            goto out;
        }
        /* Did it leave the hold queue? */
        if (review_queue_load(&r->s, &q, &err) == 0) {
            qs = review_queue_find(&q, rec->queue_id, NULL);
            review_queue_free(&q);
            if (qs == SG_REVIEW_QUEUE_HOLD) {
                char why[300];
                snprintf(why, sizeof(why),
                         "the %s command ran but queue id %s is still on "
                         "hold",
                         op_verb(op), rec->queue_id);
                audit(r, rec->id, actor, "failed", why, &err);
                review_fail(error_r, "%s; the record is unchanged", why);
                goto out;
            }
        }
    }
    rc = sg_quarantine_set_status(r->q, rec->id, rec->status, to, actor->user,
                                  actor->from, note, &err);
    if (rc == 0) {
        ret = 0;
    } else if (cmd != NULL) {
        char why[sizeof(errbuf)];
        snprintf(why, sizeof(why), "%s", err);
        review_fail(error_r, "the message was %sd in the mail queue, but the "
                             "record could not be updated (%s): run "
                             "safeguard-review sync",
                    op_verb(op), why);
    } else {
        keep(error_r, "", err);
    }
out:
    sg_quarantine_record_free(&rec);
    lock_release(lock);
    return ret;
}

int
sg_review_release(struct sg_review *r, const char *id,
                  const struct sg_review_actor *actor, const char *note,
                  const char **error_r)
{
    return decide(r, id, actor, note, OP_RELEASE, error_r);
}

int
sg_review_escalate(struct sg_review *r, const char *id,
                   const struct sg_review_actor *actor, const char *note,
                   const char **error_r)
{
    return decide(r, id, actor, note, OP_ESCALATE, error_r);
}

static bool
school_address(const struct sg_review *r, const char *addr)
{
    const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
    if (at == NULL)
        return false;
    for (size_t i = 0; i < r->n_school_domains; i++)
        if (strcasecmp(at + 1, r->school_domains[i]) == 0)
            return true;
    return false;
}

static int
tell_sender(struct sg_review *r, const struct sg_quarantine_record *rec,
            const char *note, const char **error_r)
{
    struct sg_buf rcpts = SG_BUF_INIT;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT address FROM recipients WHERE record_id"
                           " = ?1 ORDER BY pos",
                           -1, &st, NULL) == SQLITE_OK) {
        bind_text(st, 1, rec->id);
        while (sqlite3_step(st) == SQLITE_ROW)
            sg_buf_printf(&rcpts, "%s%s", rcpts.len ? "\n" : "",
                          (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    char date[64];
    utc(rec->created, date, sizeof(date));
    struct sg_notice_values v = {
        .record = rec->id,
        .queue_id = rec->queue_id,
        .sender = rec->env_from,
        .recipients = rcpts.data,
        .subject = rec->subject,
        .explanation = note,
        .dsl = r->dsl_contact,
        .date = date,
    };
    const char *to[] = {rec->env_from};
    int rc = review_notice_send(r, REVIEW_NOTICE_REJECTED_SENDER, &v, to, 1,
                                error_r);
    sg_buf_free(&rcpts);
    return rc;
}

int
sg_review_reject(struct sg_review *r, const char *id,
                 const struct sg_review_actor *actor, const char *note,
                 bool tell, const char **error_r)
{
    struct sg_quarantine_record *rec = NULL;
    const char *err = NULL;
    if (tell) {
        /* Check first that the sender can be told, before anything is
         * done: a forged outside sender must not make us mail anyone. */
        if (r->ncfg == NULL)
            return review_fail(error_r, "cannot tell the sender: notices "
                                        "are not configured (notice_from); "
                                        "nothing done");
        int rc = id != NULL ? sg_quarantine_get(r->q, id, &rec, &err) : -1;
        if (rc == SG_QUARANTINE_NOT_FOUND)
            return review_failc(SG_REVIEW_NOT_FOUND, error_r,
                                "no quarantine record %.80s", id);
        if (rc != 0)
            return keep(error_r, "", err);
        bool ok = school_address(r, rec->env_from) &&
                  (rec->auth_user != NULL || rec->trusted);
        if (!ok) {
            review_fail(error_r, "cannot tell the sender of %s: <%s> is not "
                                 "a school address that authenticated; "
                                 "nothing done (reject without "
                                 "--tell-sender)",
                        rec->id, rec->env_from);
            sg_quarantine_record_free(&rec);
            return -1;
        }
    }
    int ret = decide(r, id, actor, note, OP_REJECT, error_r);
    if (ret == 0 && tell) {
        if (tell_sender(r, rec, note, &err) < 0) {
            char why[sizeof(errbuf)];
            snprintf(why, sizeof(why), "could not tell the sender <%s>: %s",
                     rec->env_from, err);
            audit(r, rec->id, actor, "notice-failed", why, &err);
            ret = review_failc(SG_REVIEW_NOTICE_FAILED, error_r,
                               "rejected, but %s", why);
        } else {
            char what[400];
            snprintf(what, sizeof(what), "the outcome and the note were "
                                         "sent to <%s>",
                     rec->env_from);
            if (audit(r, rec->id, actor, "told-sender", what, error_r) < 0)
                ret = -1;
        }
    }
    sg_quarantine_record_free(&rec);
    return ret;
}

int
sg_review_note(struct sg_review *r, const char *id,
               const struct sg_review_actor *actor, const char *note,
               const char **error_r)
{
    if (!actor_ok(actor) || id == NULL)
        return review_fail(error_r, "missing record or actor");
    if (note == NULL || *note == '\0')
        return review_fail(error_r, "the note is empty");
    struct sg_quarantine_record *rec = NULL;
    const char *err = NULL;
    int rc = sg_quarantine_get(r->q, id, &rec, &err);
    if (rc == SG_QUARANTINE_NOT_FOUND)
        return review_failc(SG_REVIEW_NOT_FOUND, error_r,
                            "no quarantine record %.80s", id);
    if (rc != 0)
        return keep(error_r, "", err);
    sg_quarantine_record_free(&rec);
    return audit(r, id, actor, "note", note, error_r);
}

/* ids of waiting records (oldest first), created at or before until */
static int
waiting_ids(struct sg_review *r, time_t until, char ***ids_r, size_t *n_r,
            const char **error_r)
{
    sqlite3_stmt *st = NULL;
    *ids_r = NULL;
    *n_r = 0;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT id FROM records WHERE status IN"
                           " ('held', 'escalated') AND created <= ?1"
                           " ORDER BY created, id",
                           -1, &st, NULL) != SQLITE_OK)
        return fail_db(r, "cannot list the records", error_r);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)until);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (sg_strv_push(ids_r, n_r,
                         (const char *)sqlite3_column_text(st, 0)) < 0) {
            sqlite3_finalize(st);
            sg_strv_free(ids_r, n_r);
            return review_fail(error_r, "out of memory");
        }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sg_strv_free(ids_r, n_r);
        return fail_db(r, "cannot list the records", error_r);
    }
    return 0;
}

int
sg_review_sync(struct sg_review *r, const struct sg_review_actor *actor,
               FILE *report, size_t *n_gone_r, const char **error_r)
{
    if (!actor_ok(actor))
        return review_fail(error_r, "sync: missing actor");
    if (n_gone_r != NULL)
        *n_gone_r = 0;
    if (r->s.queue_command == NULL || *r->s.queue_command == '\0')
        return review_fail(error_r, "no queue command is configured "
                                    "(review_queue_command): nothing to "
                                    "compare with");
    int lock = lock_take(r, error_r);
    if (lock < 0)
        return -1;
    char **ids = NULL;
    size_t n = 0, gone = 0;
    struct review_queue q = {0};
    int ret = -1;
    if (waiting_ids(r, (time_t)INT64_MAX, &ids, &n, error_r) < 0 ||
        review_queue_load(&r->s, &q, error_r) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct sg_quarantine_record *rec = NULL;
        const char *err = NULL;
        if (sg_quarantine_get(r->q, ids[i], &rec, &err) != 0)
            continue;
        const char *qname = NULL;
        enum sg_review_queue_state qs =
            review_queue_find(&q, rec->queue_id, &qname);
        if (sg_review_waiting(rec->status) &&
            (qs == SG_REVIEW_QUEUE_OTHER || qs == SG_REVIEW_QUEUE_ABSENT)) {
            int rc = mark_gone(r, rec, qs, qname, actor, &err);
            if (report != NULL)
                fprintf(report, "%s\n", err);
            if (rc == SG_REVIEW_GONE)
                gone++;
        }
        sg_quarantine_record_free(&rec);
    }
    char note[128];
    snprintf(note, sizeof(note), "%zu waiting records checked, %zu gone", n,
             gone);
    ret = audit(r, NULL, actor, "sync", note, error_r);
    if (n_gone_r != NULL)
        *n_gone_r = gone;
out:
    review_queue_free(&q);
    sg_strv_free(&ids, &n);
    lock_release(lock);
    return ret;
}

/* ------------------------------------------------------------ retention */

static bool
stray_name(const char *name)
{
    if (strncmp(name, ".tmp-", 5) == 0)
        return true;
    size_t n = strlen(name);
    return strncmp(name, "SG-", 3) == 0 && n > 7 &&
           strcmp(name + n - 4, ".eml") == 0 && strchr(name, '/') == NULL;
}

static bool
record_exists(struct sg_review *r, const char *id, size_t id_len)
{
    sqlite3_stmt *st = NULL;
    bool yes = true; /* on error, keep the file */
    if (sqlite3_prepare_v2(r->db, "SELECT 1 FROM records WHERE id = ?1", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, id, (int)id_len, SQLITE_TRANSIENT);
        int rc = sqlite3_step(st);
        yes = rc != SQLITE_DONE;
        sqlite3_finalize(st);
    }
    return yes;
}

static int
remove_strays(struct sg_review *r, const struct sg_review_actor *actor,
              time_t now, FILE *report, size_t *n_r, const char **error_r)
{
    DIR *d = opendir(r->store_dir);
    if (d == NULL)
        return review_fail(error_r, "cannot read the message directory "
                                    "%s: %s",
                           r->store_dir, strerror(errno));
    struct dirent *de;
    int ret = 0;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (!stray_name(name))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode) || now - st.st_mtime < STRAY_MIN_AGE)
            continue;
        if (name[0] == 'S' && record_exists(r, name, strlen(name) - 4))
            continue;
        if (unlinkat(dirfd(d), name, 0) < 0)
            continue;
        (*n_r)++;
        char note[400];
        snprintf(note, sizeof(note), "removed %s/%s: %s", r->store_dir, name,
                 name[0] == '.' ? "an unfinished copy"
                                : "a copy without a record");
        if (report != NULL)
            fprintf(report, "%s\n", note);
        if (audit(r, NULL, actor, "stray-removed", note, error_r) < 0) {
            ret = -1;
            break;
        }
    }
    closedir(d);
    return ret;
}

static int
purge(struct sg_review *r, const struct sg_review_actor *actor, time_t now,
      FILE *report, struct sg_review_expire_result *res,
      const char **error_r)
{
    time_t cut = now - (time_t)r->s.retention_days * 86400;
    sqlite3_stmt *sel = NULL, *del = NULL;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT id, message_path, status FROM records"
                           " WHERE status IN ('released', 'rejected',"
                           " 'expired') AND status_changed <= ?1"
                           " ORDER BY status_changed",
                           -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db,
                           "DELETE FROM records WHERE id = ?1 AND status IN"
                           " ('released', 'rejected', 'expired')"
                           " AND status_changed <= ?2",
                           -1, &del, NULL) != SQLITE_OK) {
        sqlite3_finalize(sel);
        return fail_db(r, "cannot prepare the purge", error_r);
    }
    sqlite3_bind_int64(sel, 1, (sqlite3_int64)cut);
    char **ids = NULL, **paths = NULL;
    size_t n = 0, np = 0;
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(sel, 1);
        if (sg_strv_push(&ids, &n,
                         (const char *)sqlite3_column_text(sel, 0)) < 0 ||
            sg_strv_push(&paths, &np, p != NULL ? p : "") < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(sel);
    int ret = 0;
    if (rc != SQLITE_DONE) {
        ret = fail_db(r, "cannot list records to purge", error_r);
        goto out;
    }
    for (size_t i = 0; i < n && ret == 0; i++) {
        sqlite3_reset(del);
        bind_text(del, 1, ids[i]);
        sqlite3_bind_int64(del, 2, (sqlite3_int64)cut);
        if (sqlite3_step(del) != SQLITE_DONE) {
            ret = fail_db(r, "cannot purge a record", error_r);
            break;
        }
        if (sqlite3_changes(r->db) != 1)
            continue;
        res->purged++;
        bool copy = false;
        if (paths[i][0] != '\0' && in_store(r, paths[i]) &&
            unlink(paths[i]) == 0) {
            copy = true;
            res->copies++;
        }
        char note[256];
        snprintf(note, sizeof(note), "record%s deleted after the retention "
                                     "period (%u days)",
                 copy ? " and message copy" : "", r->s.retention_days);
        if (report != NULL)
            fprintf(report, "%s: %s\n", ids[i], note);
        ret = audit(r, ids[i], actor, "purged", note, error_r);
    }
out:
    sqlite3_finalize(del);
    sg_strv_free(&ids, &n);
    sg_strv_free(&paths, &np);
    return ret;
}

int
sg_review_expire(struct sg_review *r, const struct sg_review_actor *actor,
                 time_t now, FILE *report,
                 struct sg_review_expire_result *res_r, const char **error_r)
{
    if (!actor_ok(actor))
        return review_fail(error_r, "expire: missing actor");
    struct sg_review_expire_result res = {0};
    if (r->s.hold_max_days > 0) {
        char **ids = NULL;
        size_t n = 0;
        if (waiting_ids(r, now - (time_t)r->s.hold_max_days * 86400, &ids,
                        &n, error_r) < 0)
            return -1;
        char note[256];
        snprintf(note, sizeof(note), "held longer than %u days without a "
                                     "decision: %s automatically",
                 r->s.hold_max_days,
                 r->s.expire_action == SG_REVIEW_EXPIRE_RELEASE ? "released"
                                                                : "deleted");
        enum op op = r->s.expire_action == SG_REVIEW_EXPIRE_RELEASE
                         ? OP_EXPIRE_RELEASE
                         : OP_EXPIRE_DELETE;
        for (size_t i = 0; i < n; i++) {
            const char *err = NULL;
            int rc = decide(r, ids[i], actor, note, op, &err);
            if (rc == 0) {
                res.expired++;
                if (report != NULL)
                    fprintf(report, "%s: %s\n", ids[i], note);
            } else if (rc == SG_REVIEW_GONE) {
                res.gone++;
                if (report != NULL)
                    fprintf(report, "%s\n", err);
            } else if (rc != SG_REVIEW_WRONG_STATUS) {
                res.failed++;
                if (report != NULL)
                    fprintf(report, "%s: not expired: %s\n", ids[i], err);
            }
        }
        sg_strv_free(&ids, &n);
    }
    if (r->s.retention_days > 0 &&
        purge(r, actor, now, report, &res, error_r) < 0)
        return -1;
    if (remove_strays(r, actor, now, report, &res.strays, error_r) < 0)
        return -1;
    char note[256];
    snprintf(note, sizeof(note),
             "%zu expired, %zu gone from the queue, %zu failed, %zu purged "
             "(%zu copies), %zu stray files",
             res.expired, res.gone, res.failed, res.purged, res.copies,
             res.strays);
    if (audit(r, NULL, actor, "expire", note, error_r) < 0)
        return -1;
    if (res_r != NULL)
        *res_r = res;
    return res.failed > 0
               ? review_fail(error_r, "%zu held records could not be "
                                      "expired",
                             res.failed)
               : 0;
}

/* ------------------------------------------------------------ export */

static const char *const export_fields[] = {
    "decided_at", "record",    "decision",  "decided_by", "decided_from",
    "note",       "held_at",   "sender",    "sender_authenticated",
    "recipients", "rules",     "findings",  "subject",    "queue_id",
    "current_status", NULL,
};
#define N_EXPORT 15

static int
csv_cell(FILE *out, const char *s, bool last)
{
    if (s == NULL)
        s = "";
    /* a spreadsheet would run =, +, -, @ (and tab/CR before them) */
    bool formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
    fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
    return fputs(last ? "\r\n" : ",", out) < 0 ? -1 : 0;
}

int
sg_review_export(struct sg_review *r, time_t since,
                 enum sg_review_format format, FILE *out,
                 const struct sg_review_actor *actor, const char **error_r)
{
    if (!actor_ok(actor))
        return review_fail(error_r, "export: missing actor");
    static const char sql[] =
        "SELECT a.time, a.record_id, a.action, a.actor, a.client, a.note,"
        " r.created, r.env_from,"
        " CASE WHEN r.id IS NULL THEN NULL WHEN r.auth_user IS NOT NULL"
        "  THEN 'yes (' || r.auth_user || ')' WHEN r.trusted = 1"
        "  THEN 'trusted network' ELSE 'no' END,"
        " (SELECT group_concat(address || ' (' || roles || ')', '; ') FROM"
        "   (SELECT address, roles FROM recipients WHERE record_id = r.id"
        "    ORDER BY pos)),"
        " (SELECT group_concat(rule_id || ': ' || title, '; ') FROM"
        "   (SELECT rule_id, title FROM rules WHERE record_id = r.id"
        "    ORDER BY pos)),"
        " (SELECT group_concat(detector || ' \"' || text || '\" in '"
        "   || location, '; ') FROM (SELECT detector, text, location FROM"
        "   findings WHERE record_id = r.id ORDER BY rule_id, pos)),"
        " r.subject, r.queue_id, r.status"
        " FROM audit a LEFT JOIN records r ON r.id = a.record_id"
        " WHERE a.time >= ?1 AND a.record_id IS NOT NULL AND a.action IN"
        " ('released', 'rejected', 'escalated', 'expired', 'note')"
        " ORDER BY a.id";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail_db(r, "cannot export", error_r);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
    json_t *arr = format == SG_REVIEW_JSON ? json_array() : NULL;
    if (format == SG_REVIEW_CSV)
        for (size_t i = 0; i < N_EXPORT; i++)
            csv_cell(out, export_fields[i], i + 1 == N_EXPORT);
    size_t rows = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char t0[32] = "", t1[32] = "";
        iso((time_t)sqlite3_column_int64(st, 0), t0, sizeof(t0));
        if (sqlite3_column_type(st, 6) != SQLITE_NULL)
            iso((time_t)sqlite3_column_int64(st, 6), t1, sizeof(t1));
        const char *v[N_EXPORT];
        v[0] = t0;
        for (int i = 1; i < 6; i++)
            v[i] = (const char *)sqlite3_column_text(st, i);
        v[6] = t1[0] ? t1 : NULL;
        for (int i = 7; i < N_EXPORT; i++)
            v[i] = (const char *)sqlite3_column_text(st, i);
        if (format == SG_REVIEW_CSV) {
            for (size_t i = 0; i < N_EXPORT; i++)
                csv_cell(out, v[i], i + 1 == N_EXPORT);
        } else {
            json_t *o = json_object();
            for (size_t i = 0; o != NULL && i < N_EXPORT; i++)
                json_object_set_new(o, export_fields[i],
                                    v[i] != NULL ? json_string(v[i])
                                                 : json_null());
            json_array_append_new(arr, o);
        }
        rows++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(arr);
        return fail_db(r, "cannot export", error_r);
    }
    if (arr != NULL) {
        json_dumpf(arr, out, JSON_INDENT(2) | JSON_ENSURE_ASCII);
        fputc('\n', out);
        json_decref(arr);
    }
    if (fflush(out) != 0 || ferror(out))
        return review_fail(error_r, "cannot write the export: %s",
                           strerror(errno));
    char note[128], when[64];
    utc(since, when, sizeof(when));
    snprintf(note, sizeof(note), "%zu decisions since %s as %s", rows, when,
             format == SG_REVIEW_JSON ? "json" : "csv");
    return audit(r, NULL, actor, "export", note, error_r);
}

/* ------------------------------------------------------------ digest */

int
sg_review_digest(struct sg_review *r, time_t now, struct sg_buf *out,
                 size_t *n_waiting_r, size_t *n_overdue_r,
                 const char **error_r)
{
    sqlite3_stmt *st = NULL;
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "%sWHERE r.status IN ('held', 'escalated')"
             " ORDER BY r.created, r.id",
             ITEM_COLUMNS);
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
        return fail_db(r, "cannot list the records", error_r);
    struct sg_review_item *items = NULL;
    size_t n = 0, overdue = 0;
    int rc = read_items(r, st, &items, &n, error_r);
    sqlite3_finalize(st);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (sg_review_overdue(r, items[i].status, items[i].created, now))
            overdue++;
    struct sg_buf b = SG_BUF_INIT;
    char when[64];
    utc(now, when, sizeof(when));
    sg_buf_printf(&b, "Held messages waiting for a decision on %s: %zu",
                  when, n);
    if (n > 0)
        sg_buf_printf(&b, ", %zu past the %u-hour response target", overdue,
                      r->s.sla_hours);
    sg_buf_puts(&b, ".\n");
    if (n > 0)
        sg_buf_puts(&b, "Oldest first; \"!\" marks those past the target.\n");
    for (size_t i = 0; i < n; i++) {
        struct sg_review_item *it = &items[i];
        char age[32], held[64];
        sg_review_format_age(now - it->created, age, sizeof(age));
        utc(it->created, held, sizeof(held));
        bool late = sg_review_overdue(r, it->status, it->created, now);
        sg_buf_printf(&b, "\n%s %s  waiting %s (held %s)%s%s\n",
                      late ? "!" : " ", it->id, age, held,
                      it->status == SG_QSTATUS_ESCALATED ? ", escalated" : "",
                      late ? ", PAST THE TARGET" : "");
        sg_buf_puts(&b, "    From:    ");
        sg_review_safe_text(&b, it->env_from, strlen(it->env_from), false);
        sg_buf_puts(&b, "\n    To:      ");
        sg_review_safe_text(&b, it->recipients, strlen(it->recipients),
                            false);
        sg_buf_puts(&b, "\n    Rules:   ");
        sg_review_safe_text(&b, it->rules, strlen(it->rules), false);
        sg_buf_puts(&b, "\n    Subject: ");
        sg_review_safe_text(&b, it->subject, strlen(it->subject), false);
        sg_buf_putc(&b, '\n');
    }
    size_t waiting = n;
    sg_review_items_free(&items, &n);
    if (b.data == NULL) {
        sg_buf_free(&b);
        return review_fail(error_r, "out of memory");
    }
    int r2 = sg_buf_append(out, b.data, b.len);
    sg_buf_free(&b);
    if (r2 < 0)
        return review_fail(error_r, "out of memory");
    if (n_waiting_r != NULL)
        *n_waiting_r = waiting;
    if (n_overdue_r != NULL)
        *n_overdue_r = overdue;
    return 0;
}

int
sg_review_digest_mail(struct sg_review *r, const char *text,
                      size_t n_waiting, size_t n_overdue, time_t now,
                      const struct sg_review_actor *actor,
                      const char **error_r)
{
    if (!actor_ok(actor))
        return review_fail(error_r, "digest: missing actor");
    if (r->ncfg == NULL)
        return review_fail(error_r, "cannot mail the digest: notices are "
                                    "not configured (notice_from)");
    if (r->ncfg->n_dsl_addresses == 0)
        return review_fail(error_r, "cannot mail the digest: "
                                    "dsl_addresses is empty");
    char summary[128], date[64];
    snprintf(summary, sizeof(summary), "%zu waiting, %zu past %u hours",
             n_waiting, n_overdue, r->s.sla_hours);
    utc(now, date, sizeof(date));
    struct sg_notice_values v = {
        .subject = summary,
        .explanation = text,
        .dsl = r->dsl_contact,
        .date = date,
    };
    const char *err = NULL;
    if (review_notice_send(r, REVIEW_NOTICE_DIGEST_DSL, &v,
                           r->ncfg->dsl_addresses, r->ncfg->n_dsl_addresses,
                           &err) < 0)
        return keep(error_r, "cannot mail the digest: ", err);
    char note[256];
    snprintf(note, sizeof(note), "digest mailed to %zu address%s: %s",
             r->ncfg->n_dsl_addresses,
             r->ncfg->n_dsl_addresses == 1 ? "" : "es", summary);
    return audit(r, NULL, actor, "digest", note, error_r);
}
