/*
 * store.c - the record store's front: what every backend shares.  The
 * message copies (STORE_DIR/<record id>.eml), record ids, the review
 * lock, the checks on arguments, reconciling records with the mail queue,
 * and the dispatch of everything else to the backend (store_int.h;
 * SQLite, store_sqlite*.c), which alone knows the schema.
 *
 * A hold writes the copy first (temporary file, fsync, rename that never
 * replaces, fsync of the directory), then the record and all its rows in
 * one transaction of the backend; if the transaction fails the copy is
 * removed again.  Where the database keeps the copy in that transaction
 * too (PostgreSQL) and is where it is read from, the file is written
 * and renamed but not synced: the commit is the guarantee.  The copy is
 * written before the backend is called, so only the short transaction
 * is serialised between the daemon's threads.
 *
 * SECURITY: the store holds personal data about children.  The directory
 * is created 0750, each copy 0640.  File names are built only from
 * store_dir (resolved once at open) and ids this file generates ("SG-",
 * digits, "-", hex); ids coming from callers are only ever parameters of
 * the backend, never parts of a path.  Temporary copies are made with
 * mkostemp (O_EXCL: no symlink is followed) and are named ".tmp-*" so
 * readers skip them; a copy is never written over an existing file.
 * Error messages name files and the database's reason, never message
 * content, addresses or subjects.
 *
 * Fails by returning -1 with an error string (common/sg_error.h), leaving
 * nothing half-written: no record without its copy and rows, no copy
 * without its record (except for a crash between the rename and the
 * commit, which leaves an orphan STORE_DIR/ID.eml, or before the rename,
 * which leaves a .tmp-* file; safeguard-review expire may remove both).
 * Never logs, never exits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"
#include "sg_buf.h"
#include "sg_error.h"
#include "store_hosts.h"
#include "store_int.h"
#include "store_outbox.h"

#define QUAR_ID_ATTEMPTS 16
#define QUAR_COPY_CHUNK  (64 * 1024)
#define QUAR_ID_SIZE     48 /* "SG-YYYYMMDD-XXXXXX" and room to spare */

struct sg_store {
    const struct sg_store_backend *be;
    void *bs;        /* the backend's own */
    char *db_path;   /* the SQLite file; "" for a database on a server */
    char *store_dir; /* absolute, resolved at open */
};

#define fail sg_store_fail

const char *const sg_store_status_names[] = {
    [SG_QSTATUS_HELD] = "held",           [SG_QSTATUS_RELEASED] = "released",
    [SG_QSTATUS_REJECTED] = "rejected",   [SG_QSTATUS_EXPIRED] = "expired",
    [SG_QSTATUS_ESCALATED] = "escalated", [SG_QSTATUS_LOST] = "lost",
    [SG_QSTATUS_REFUSED] = "refused",     [SG_QSTATUS_DELIVERED] = "delivered",
    [SG_QSTATUS_ARCHIVED] = "archived",
};
_Static_assert(SG_QSTATUS_ARCHIVED + 1 == SG_STORE_N_STATUS,
               "one name per status");

const char *
sg_store_status_name(enum sg_store_status status)
{
    if ((unsigned)status >= SG_STORE_N_STATUS)
        return "?";
    return sg_store_status_names[status];
}

const char *
sg_store_status_title(enum sg_store_status status)
{
    switch (status) {
    case SG_QSTATUS_LOST:
        return "not kept by the mail system";
    case SG_QSTATUS_REFUSED:
        return "refused when sent";
    case SG_QSTATUS_ARCHIVED:
        return "delivered, with an archive copy";
    default:
        return sg_store_status_name(status);
    }
}

bool
sg_store_status_unheld(enum sg_store_status status)
{
    return status == SG_QSTATUS_REFUSED || status == SG_QSTATUS_DELIVERED ||
           status == SG_QSTATUS_ARCHIVED;
}

enum sg_store_status
sg_store_status_of_verdict(const struct sg_verdict *v)
{
    if (v->action == SG_ACTION_HOLD)
        return SG_QSTATUS_HELD;
    if (v->action == SG_ACTION_REJECT)
        return SG_QSTATUS_REFUSED;
    return v->journal || v->action == SG_ACTION_JOURNAL ? SG_QSTATUS_ARCHIVED
                                                        : SG_QSTATUS_DELIVERED;
}

int
sg_store_status_parse(const char *name, enum sg_store_status *status_r)
{
    for (size_t i = 0; name != NULL && i < SG_STORE_N_STATUS; i++) {
        if (strcmp(name, sg_store_status_names[i]) == 0) {
            *status_r = (enum sg_store_status)i;
            return 0;
        }
    }
    return -1;
}

/* ------------------------------------------------------------ open */

static int
make_store_dir(const char *dir, char **abs_r, const char **error_r)
{
    struct stat st;
    if (mkdir(dir, 0750) < 0 && errno != EEXIST)
        return fail(error_r, "cannot create the message directory %s: %s", dir,
                    strerror(errno));
    if (stat(dir, &st) < 0)
        return fail(error_r, "cannot use the message directory %s: %s", dir,
                    strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(error_r, "message directory %s is not a directory", dir);
    if (access(dir, W_OK | X_OK) < 0)
        return fail(error_r, "message directory %s is not writable: %s", dir,
                    strerror(errno));
    char *abs = realpath(dir, NULL);
    if (abs == NULL)
        return fail(error_r, "cannot resolve the message directory %s: %s", dir,
                    strerror(errno));
    if (strlen(abs) + 64 > PATH_MAX) {
        free(abs);
        return fail(error_r, "message directory %s: path is too long", dir);
    }
    *abs_r = abs;
    return 0;
}

const char *
sg_store_file(const char *location)
{
    if (location == NULL || sg_store_sql_is_postgresql(location))
        return NULL;
    return strncmp(location, "sqlite:", 7) == 0 ? location + 7 : location;
}

const char *
sg_store_name(const char *location)
{
    const char *file = sg_store_file(location);
    return file != NULL ? file : "the PostgreSQL store";
}

int
sg_store_open(const char *db_path, const char *store_dir, struct sg_store **q_r,
              const char **error_r)
{
    if (db_path == NULL || *db_path == '\0')
        return fail(error_r, "the quarantine database path is empty");
    if (store_dir == NULL || *store_dir == '\0')
        return fail(error_r, "the quarantine message directory is empty");

    struct sg_store *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return fail(error_r, "out of memory");
    q->be = &sg_store_sql;
    /* the lock file's name comes from the file; a server has none */
    q->db_path =
        strdup(sg_store_file(db_path) != NULL ? sg_store_file(db_path) : "");
    if (q->db_path == NULL) {
        fail(error_r, "out of memory");
        goto fail;
    }
    if (make_store_dir(store_dir, &q->store_dir, error_r) < 0 ||
        q->be->open(db_path, &q->bs, error_r) < 0)
        goto fail;
    *q_r = q;
    return 0;
fail:
    sg_store_close(&q);
    return -1;
}

const struct sg_store_backend *
sg_store_backend_of(struct sg_store *q, void **bs_r)
{
    *bs_r = q->bs;
    return q->be;
}

void
sg_store_set_busy_timeout(struct sg_store *q, int ms)
{
    q->be->set_busy_timeout(q->bs, ms);
}

void
sg_store_close(struct sg_store **qp)
{
    struct sg_store *q = qp != NULL ? *qp : NULL;
    if (q == NULL)
        return;
    if (q->bs != NULL)
        q->be->close(q->bs);
    free(q->db_path);
    free(q->store_dir);
    free(q);
    *qp = NULL;
}

/* ------------------------------------------------------------ the copy */

/* Copy the message into out; its size in *size_r. */
static int
copy_message(int out, const char *path, const struct sg_hold *h,
             uint64_t *size_r, const char **error_r)
{
    if (h->data != NULL) {
        if (sg_write_all(out, h->data, h->len) < 0)
            return fail(error_r, "cannot write the message copy %s: %s", path,
                        strerror(errno));
        *size_r = h->len;
        return 0;
    }
    char *chunk = malloc(QUAR_COPY_CHUNK);
    if (chunk == NULL)
        return fail(error_r, "out of memory");
    uint64_t off = 0;
    while (off < h->fd_size) {
        uint64_t left = h->fd_size - off;
        size_t want = left < QUAR_COPY_CHUNK ? (size_t)left : QUAR_COPY_CHUNK;
        ssize_t n = pread(h->fd, chunk, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                fail(error_r,
                     "the message file ends after %llu of its %llu bytes",
                     (unsigned long long)off, (unsigned long long)h->fd_size);
            else
                fail(error_r, "cannot read the message file: %s",
                     strerror(errno));
            free(chunk);
            return -1;
        }
        if (sg_write_all(out, chunk, (size_t)n) < 0) {
            fail(error_r, "cannot write the message copy %s: %s", path,
                 strerror(errno));
            free(chunk);
            return -1;
        }
        off += (uint64_t)n;
    }
    free(chunk);
    *size_r = off;
    return 0;
}

/* The copy's file is what a hold rests on (synced), not the database. */
static bool
copy_file_durable(const struct sg_store *q)
{
    return q->be->copies_kept == NULL || !q->be->copies_kept(q->bs);
}

/* Write the copy to a new temporary file in the store; its name in tmp. */
static int
write_temp_copy(struct sg_store *q, const struct sg_hold *h, char tmp[PATH_MAX],
                uint64_t *size_r, const char **error_r)
{
    snprintf(tmp, PATH_MAX, "%s/.tmp-XXXXXX", q->store_dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return fail(error_r,
                    "cannot create a file in the message "
                    "directory %s: %s",
                    q->store_dir, strerror(errno));
    if (fchmod(fd, 0640) < 0) {
        fail(error_r, "cannot set the mode of %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (copy_message(fd, tmp, h, size_r, error_r) < 0)
        goto fail;
    if (copy_file_durable(q) && fsync(fd) < 0) {
        fail(error_r, "cannot write the message copy %s: %s", tmp,
             strerror(errno));
        goto fail;
    }
    if (close(fd) < 0) {
        fd = -1;
        fail(error_r, "cannot write the message copy %s: %s", tmp,
             strerror(errno));
        goto fail;
    }
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return -1;
}

static int
sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = fsync(fd);
    close(fd);
    return r;
}

/* Give the copy its final name, never replacing a file.  0, or -1 with
 * errno (EEXIST: the name is taken). */
static int
place(const char *from, const char *to)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* A file system without RENAME_NOREPLACE: link() never replaces. */
    if (link(from, to) < 0)
        return -1;
    unlink(from);
    return 0;
}

/* "SG-20261122-7F3A9C": the UTC date of t and 24 random bits. */
static int
make_id(time_t t, char id[QUAR_ID_SIZE], const char **error_r)
{
    unsigned char r[3];
    struct tm tm;
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return fail(error_r, "cannot get random bytes for a record id: %s",
                    strerror(errno));
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year < 0 || tm.tm_year > 8099)
        return fail(error_r, "the hold time is out of range");
    snprintf(id, QUAR_ID_SIZE, "SG-%04d%02d%02d-%02X%02X%02X",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, r[0], r[1], r[2]);
    return 0;
}

/* ------------------------------------------------------------ a hold */

/* The enforced rules' texts, in order, joined by a blank line. */
static int
join_explain(struct sg_buf *b, const struct sg_verdict *v, bool dsl)
{
    sg_buf_puts(b, "");
    for (size_t i = 0; i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        const char *text = dsl ? m->explain_dsl : m->explain_sender;
        if (m->mode != SG_MODE_ENFORCE || text == NULL || *text == '\0')
            continue;
        if (b->len > 0)
            sg_buf_puts(b, "\n\n");
        sg_buf_puts(b, text);
    }
    return sg_buf_failed(b) ? -1 : 0;
}

/* The record of a message that was not held: no copy, so a new id is
 * tried only when the record's id is taken.  id_out (QUAR_ID_SIZE bytes)
 * becomes *record_id_r on success. */
static int
record_unheld(struct sg_store *q, struct sg_store_hold_rows *t,
              struct sg_outbox_batch *notices, char *id, char *id_out,
              char **record_id_r, const char **error_r)
{
    t->path = NULL;
    t->size = 0;
    for (int attempt = 0; attempt < QUAR_ID_ATTEMPTS; attempt++) {
        if (make_id(t->h->time, id, error_r) < 0)
            return -1;
        sg_outbox_batch_free(notices);
        if (t->h->notices != NULL)
            t->h->notices(t->h->notices_ctx, id, notices);
        int ins = q->be->insert_hold(q->bs, t, error_r);
        if (ins == 0) {
            memcpy(id_out, id, strlen(id) + 1);
            *record_id_r = id_out;
            return 0;
        }
        if (ins != SG_STORE_DUPLICATE)
            return -1;
    }
    return fail(error_r, "no free record id after %d attempts",
                QUAR_ID_ATTEMPTS);
}

int
sg_store_hold(struct sg_store *q, const struct sg_hold *h, char **record_id_r,
              const char **error_r)
{
    if (q == NULL || h == NULL || record_id_r == NULL)
        return fail(error_r, "quarantine hold: missing argument");
    if (h->queue_id == NULL || h->env_from == NULL || h->verdict == NULL ||
        (h->rcpts == NULL && h->n_rcpts > 0))
        return fail(error_r, "quarantine hold: the queue id, envelope "
                             "sender, recipients or verdict is missing");
    bool unheld = sg_store_status_unheld(h->status);
    if (!unheld && h->status != SG_QSTATUS_HELD)
        return fail(error_r, "quarantine hold: a new record is held, "
                             "refused, delivered or archived");
    if (!unheld && h->data == NULL && h->fd < 0)
        return fail(error_r, "quarantine hold: no message (no data, no fd)");

    struct sg_buf es = SG_BUF_INIT, ed = SG_BUF_INIT;
    struct sg_outbox_batch notices = {0};
    char tmp[PATH_MAX], final[PATH_MAX], id[QUAR_ID_SIZE];
    bool have_tmp = false;
    int r = -1;
    /* Allocated first, so that nothing can fail after the commit. */
    char *id_out = malloc(QUAR_ID_SIZE);

    if (id_out == NULL || join_explain(&es, h->verdict, false) < 0 ||
        join_explain(&ed, h->verdict, true) < 0) {
        fail(error_r, "out of memory");
        goto out;
    }
    struct sg_store_hold_rows t = {
        .h = h,
        .id = id,
        .path = final,
        .explain_sender = es.data,
        .explain_dsl = ed.data,
        .notices = &notices,
    };
    if (unheld) {
        r = record_unheld(q, &t, &notices, id, id_out, record_id_r, error_r);
        if (r == 0)
            id_out = NULL;
        goto out;
    }
    if (write_temp_copy(q, h, tmp, &t.size, error_r) < 0)
        goto out;
    have_tmp = true;

    for (int attempt = 0; attempt < QUAR_ID_ATTEMPTS; attempt++) {
        if (make_id(h->time, id, error_r) < 0)
            goto out;
        snprintf(final, sizeof(final), "%s/%s.eml", q->store_dir, id);
        if (place(tmp, final) < 0) {
            if (errno == EEXIST)
                continue;
            fail(error_r, "cannot rename the message copy to %s: %s", final,
                 strerror(errno));
            goto out;
        }
        have_tmp = false;
        if (copy_file_durable(q) && sync_dir(q->store_dir) < 0) {
            fail(error_r, "cannot sync the message directory %s: %s",
                 q->store_dir, strerror(errno));
            unlink(final);
            goto out;
        }
        sg_outbox_batch_free(&notices);
        if (h->notices != NULL)
            h->notices(h->notices_ctx, id, &notices);
        int ins = q->be->insert_hold(q->bs, &t, error_r);
        if (ins == 0) {
            memcpy(id_out, id, strlen(id) + 1);
            *record_id_r = id_out;
            id_out = NULL;
            r = 0;
            goto out;
        }
        if (ins != SG_STORE_DUPLICATE) {
            unlink(final);
            goto out;
        }
        /* A record with this id exists (its copy purged): try another. */
        if (rename(final, tmp) < 0) {
            fail(error_r, "cannot rename the message copy %s: %s", final,
                 strerror(errno));
            unlink(final);
            goto out;
        }
        have_tmp = true;
    }
    fail(error_r, "no free record id after %d attempts", QUAR_ID_ATTEMPTS);
out:
    if (have_tmp)
        unlink(tmp);
    free(id_out);
    sg_buf_free(&es);
    sg_buf_free(&ed);
    sg_outbox_batch_free(&notices);
    return r;
}

/* ------------------------------------------------------------ records */

int
sg_store_get(struct sg_store *q, const char *record_id,
             struct sg_store_record **record_r, const char **error_r)
{
    if (q == NULL || record_id == NULL || record_r == NULL)
        return fail(error_r, "quarantine get: missing argument");
    return q->be->get(q->bs, record_id, record_r, error_r);
}

int
sg_store_set_status(struct sg_store *q, const char *record_id,
                    enum sg_store_status from_status,
                    enum sg_store_status to_status, const char *actor,
                    const char *client, const char *note, const char **error_r)
{
    if (q == NULL || record_id == NULL || actor == NULL || *actor == '\0')
        return fail(error_r, "quarantine status: missing argument");
    if ((unsigned)from_status >= SG_STORE_N_STATUS ||
        (unsigned)to_status >= SG_STORE_N_STATUS)
        return fail(error_r, "quarantine status: no such status");
    if (from_status == to_status)
        return fail(error_r, "quarantine status: %s to %s is no change",
                    sg_store_status_name(from_status),
                    sg_store_status_name(to_status));
    return q->be->set_status(q->bs, record_id, from_status, to_status, actor,
                             client, note, error_r);
}

int
sg_store_audit(struct sg_store *q, const char *record_id, const char *actor,
               const char *client, const char *action, const char *note,
               const char **error_r)
{
    if (q == NULL || actor == NULL || *actor == '\0' || action == NULL ||
        *action == '\0')
        return fail(error_r, "quarantine audit: missing actor or action");
    return q->be->audit(q->bs, record_id, actor, client, action, note, error_r);
}

int
sg_store_waiting_ids(struct sg_store *q, time_t until, char ***ids_r,
                     size_t *n_r, const char **error_r)
{
    *ids_r = NULL;
    *n_r = 0;
    return q->be->waiting_ids(q->bs, until, ids_r, n_r, error_r);
}

int
sg_store_list(struct sg_store *q, const struct sg_store_filter *f,
              struct sg_store_item **items_r, size_t *n_r, const char **error_r)
{
    *items_r = NULL;
    *n_r = 0;
    return q->be->list(q->bs, f, items_r, n_r, error_r);
}

int
sg_store_rcpts(struct sg_store *q, const char *record_id,
               struct sg_store_rcpt **rcpts_r, size_t *n_r,
               const char **error_r)
{
    return q->be->rcpts(q->bs, record_id, rcpts_r, n_r, error_r);
}

int
sg_store_rules(struct sg_store *q, const char *record_id,
               struct sg_store_rule **rules_r, size_t *n_r,
               const char **error_r)
{
    return q->be->rules(q->bs, record_id, rules_r, n_r, error_r);
}

int
sg_store_findings(struct sg_store *q, const char *record_id,
                  struct sg_store_finding **findings_r, size_t *n_r,
                  const char **error_r)
{
    return q->be->findings(q->bs, record_id, findings_r, n_r, error_r);
}

int
sg_store_audit_rows(struct sg_store *q, const char *record_id,
                    const char *action, time_t since,
                    struct sg_store_audit_row **rows_r, size_t *n_r,
                    const char **error_r)
{
    return q->be->audit_rows(q->bs, record_id, action, since, rows_r, n_r,
                             error_r);
}

int
sg_store_export(struct sg_store *q, time_t since,
                int (*each)(void *ctx, const struct sg_store_export_row *row,
                            const char **error_r),
                void *ctx, const char **error_r)
{
    return q->be->export(q->bs, since, each, ctx, error_r);
}

int
sg_store_exists(struct sg_store *q, const char *record_id, const char **error_r)
{
    return q->be->exists(q->bs, record_id, error_r);
}

int
sg_store_decided_before(struct sg_store *q, time_t cut, char ***ids_r,
                        char ***paths_r, size_t *n_r, const char **error_r)
{
    return q->be->decided_before(q->bs, cut, ids_r, paths_r, n_r, error_r);
}

int
sg_store_delete_decided(struct sg_store *q, const char *record_id, time_t cut,
                        const char **error_r)
{
    return q->be->delete_decided(q->bs, record_id, cut, error_r);
}

void
sg_store_record_free(struct sg_store_record **rp)
{
    struct sg_store_record *r = rp != NULL ? *rp : NULL;
    if (r == NULL)
        return;
    free(r->id);
    free(r->queue_id);
    free(r->client);
    free(r->auth_user);
    free(r->env_from);
    free(r->subject);
    free(r->message_path);
    free(r->action);
    free(r->explain_sender);
    free(r->explain_dsl);
    free(r->sender_name);
    free(r->track);
    free(r->school);
    free(r);
    *rp = NULL;
}

void
sg_store_array_free(void **arr, size_t *n, size_t elem,
                    void (*clear)(void *item))
{
    if (arr == NULL || *arr == NULL)
        return;
    for (size_t i = 0; i < *n; i++)
        clear((char *)*arr + i * elem);
    free(*arr);
    *arr = NULL;
    *n = 0;
}

void
sg_store_item_clear(void *item)
{
    struct sg_store_item *it = item;
    free(it->id);
    free(it->queue_id);
    free(it->env_from);
    free(it->subject);
    free(it->rules);
    free(it->recipients);
    free(it->sender_name);
    free(it->rule_titles);
    free(it->recipient_names);
    free(it->school);
}

void
sg_store_rcpt_clear(void *item)
{
    struct sg_store_rcpt *p = item;
    free(p->address);
    free(p->roles);
    free(p->channel);
    free(p->name);
    free(p->upn);
}

void
sg_store_rule_clear(void *item)
{
    struct sg_store_rule *u = item;
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
    free(u->category);
}

void
sg_store_finding_clear(void *item)
{
    struct sg_store_finding *f = item;
    free(f->rule_id);
    free(f->detector);
    free(f->text);
    free(f->location);
}

void
sg_store_audit_row_clear(void *item)
{
    struct sg_store_audit_row *a = item;
    free(a->record_id);
    free(a->actor);
    free(a->client);
    free(a->action);
    free(a->note);
}

void
sg_store_items_free(struct sg_store_item **items, size_t *n)
{
    sg_store_array_free((void **)items, n, sizeof(**items),
                        sg_store_item_clear);
}

void
sg_store_rcpts_free(struct sg_store_rcpt **rcpts, size_t *n)
{
    sg_store_array_free((void **)rcpts, n, sizeof(**rcpts),
                        sg_store_rcpt_clear);
}

void
sg_store_rules_free(struct sg_store_rule **rules, size_t *n)
{
    sg_store_array_free((void **)rules, n, sizeof(**rules),
                        sg_store_rule_clear);
}

void
sg_store_findings_free(struct sg_store_finding **findings, size_t *n)
{
    sg_store_array_free((void **)findings, n, sizeof(**findings),
                        sg_store_finding_clear);
}

void
sg_store_audit_rows_free(struct sg_store_audit_row **rows, size_t *n)
{
    sg_store_array_free((void **)rows, n, sizeof(**rows),
                        sg_store_audit_row_clear);
}

int
sg_store_message_fd(struct sg_store *q, const struct sg_store_record *r,
                    int *fd_r, const char **error_r)
{
    char *data = NULL;
    size_t len = 0;
    int rc = q->be->copy(q->bs, r->id, &data, &len, error_r);
    if (rc < 0)
        return -1;
    if (rc == 0) {
        if (r->message_path == NULL) {
            fail(error_r, "quarantine record %s has no copy", r->id);
            return SG_STORE_NOT_FOUND;
        }
        int fd = open(r->message_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            fail(error_r, "cannot open the stored copy %s: %s",
                 r->message_path, strerror(errno));
            return SG_STORE_NOT_FOUND;
        }
        *fd_r = fd;
        return 0;
    }
    /* the bytes from the database, as a file the readers can pread */
    int fd = memfd_create("sg-copy", MFD_CLOEXEC);
    if (fd < 0 || sg_write_all(fd, data, len) < 0 ||
        lseek(fd, 0, SEEK_SET) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        free(data);
        return fail(error_r, "cannot keep the stored copy in memory: %s",
                    strerror(e));
    }
    free(data);
    *fd_r = fd;
    return 0;
}

/* ------------------------------------------------------------ the queue */

int
sg_store_lock(struct sg_store *q, bool wait, int *fd_r, const char **error_r)
{
    if (*q->db_path == '\0')
        return sg_store_sql_lock(q->bs, wait, fd_r, error_r);
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s-review.lock", q->db_path) >=
        sizeof(path))
        return fail(error_r, "quarantine lock: path too long");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0660);
    if (fd < 0)
        return fail(error_r, "cannot open the lock file %s: %s", path,
                    strerror(errno));
    struct stat st;
    if (geteuid() == 0 && stat(q->db_path, &st) == 0 &&
        fchown(fd, st.st_uid, st.st_gid) < 0) {
        /* root can always chown; nothing to do if it cannot */
    }
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK) {
                fail(error_r, "%s is locked by a decision or a sync", path);
                return SG_STORE_BUSY;
            }
            return fail(error_r, "cannot lock %s: %s", path, strerror(e));
        }
    }
    *fd_r = fd;
    return 0;
}

void
sg_store_unlock(int fd)
{
    if (fd >= 0 && !sg_store_sql_unlock(fd))
        close(fd); /* drops the flock */
}

int
sg_store_queue_check(struct sg_store *q, const struct sg_store_record *rec,
                     enum sg_mailqueue_state state, const char *queue_name,
                     time_t now, time_t grace, const char *actor,
                     const char *client, enum sg_store_status *to_r, char *note,
                     size_t note_size, const char **error_r)
{
    if (rec->status != SG_QSTATUS_HELD && rec->status != SG_QSTATUS_ESCALATED)
        return 0;
    if (state == SG_MAILQUEUE_HOLD)
        return rec->queue_seen != 0
                   ? 0
                   : q->be->mark_seen(q->bs, rec->id, now, error_r);
    if (state != SG_MAILQUEUE_OTHER && state != SG_MAILQUEUE_ABSENT)
        return 0;
    const char *qname = queue_name != NULL ? queue_name : "?";
    enum sg_store_status to;
    if (rec->queue_seen != 0 && state == SG_MAILQUEUE_OTHER) {
        to = SG_QSTATUS_RELEASED;
        snprintf(note, note_size,
                 "the mail queue has queue id %s in its %s queue, not on "
                 "hold: it was released outside safeguard-review",
                 rec->queue_id, qname);
    } else if (rec->queue_seen != 0) {
        to = SG_QSTATUS_EXPIRED;
        snprintf(note, note_size,
                 "the mail queue no longer has queue id %s: it was released "
                 "or deleted outside safeguard-review",
                 rec->queue_id);
    } else if (now - rec->created < grace) {
        return 0; /* the mail system may not have finished with it yet */
    } else if (state == SG_MAILQUEUE_OTHER) {
        to = SG_QSTATUS_LOST;
        snprintf(note, note_size,
                 "not kept by the mail system as held: queue id %s was never "
                 "seen in the hold queue and is in the %s queue, so the "
                 "message goes on to its recipients (the mail system did "
                 "not get or did not apply the hold, or it was released by "
                 "hand before it was checked); the copy here is what was "
                 "sent",
                 rec->queue_id, qname);
    } else {
        to = SG_QSTATUS_LOST;
        snprintf(note, note_size,
                 "not kept by the mail system: queue id %s was never seen in "
                 "the hold queue and the mail queue does not have it: either "
                 "the mail system gave the message back to its sender to try "
                 "again (the filter stopped or answered too late after "
                 "making this record; a retried message gets a record of "
                 "its own), or it was released or deleted by hand before any "
                 "check saw it on hold",
                 rec->queue_id);
    }
    int rc = sg_store_set_status(q, rec->id, rec->status, to, actor, client,
                                 note, error_r);
    if (rc != 0)
        return rc;
    *to_r = to;
    return SG_STORE_CHANGED;
}

int
sg_store_reconcile(struct sg_store *q, const struct sg_store_reconcile *o,
                   struct sg_store_reconcile_result *res_r,
                   const char **error_r)
{
    struct sg_store_reconcile_result res = {0};
    if (res_r != NULL)
        *res_r = res;
    if (o->actor == NULL || *o->actor == '\0')
        return fail(error_r, "reconcile: missing actor");
    if (o->queue_command == NULL || *o->queue_command == '\0')
        return fail(error_r, "no queue command is configured "
                             "(review_queue_command): nothing to compare "
                             "with");
    int lock = -1;
    int rc = sg_store_lock(q, o->wait, &lock, error_r);
    if (rc != 0)
        return rc;
    char **ids = NULL;
    size_t n = 0;
    struct sg_mailqueue mq = {0};
    const char *err = NULL;
    int ret = -1;
    /* The listing is taken after the records: a record made in between
     * is in it (or too young to judge), never missing from it. */
    if ((o->host != NULL
             ? sg_store_host_ids(q, o->host, true, o->now, &ids, &n, error_r)
             : sg_store_waiting_ids(q, o->now, &ids, &n, error_r)) < 0)
        goto out;
    if (sg_mailqueue_load(o->queue_command, o->timeout, &mq, &err) < 0) {
        fail(error_r, "cannot list the mail queue: %s", err);
        goto out;
    }
    ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        struct sg_store_record *rec = NULL;
        rc = sg_store_get(q, ids[i], &rec, error_r);
        if (rc == SG_STORE_NOT_FOUND)
            continue;
        if (rc != 0) {
            ret = -1;
            break;
        }
        res.checked++;
        const char *qname = NULL;
        enum sg_mailqueue_state st =
            sg_mailqueue_find(&mq, rec->queue_id, &qname);
        bool was_seen = rec->queue_seen != 0;
        enum sg_store_status to = rec->status;
        char note[768];
        rc = sg_store_queue_check(q, rec, st, qname, o->now, o->grace, o->actor,
                                  o->client, &to, note, sizeof(note), error_r);
        if (rc < 0) {
            ret = -1;
        } else if (rc == SG_STORE_CHANGED) {
            if (to == SG_QSTATUS_LOST)
                res.lost++;
            else
                res.gone++;
            if (o->each != NULL)
                o->each(o->ctx, rec, to, note);
        } else if (rc == 0 && !was_seen && st == SG_MAILQUEUE_HOLD) {
            res.seen++;
        }
        sg_store_record_free(&rec);
    }
out:
    sg_mailqueue_free(&mq);
    sg_strv_free(&ids, &n);
    sg_store_unlock(lock);
    if (res_r != NULL)
        *res_r = res;
    return ret;
}
