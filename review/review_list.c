/*
 * review_list.c - what the DSL reads: the records waiting (or any, by
 * filter), the audit rows, and one record in full with its recipients,
 * rules, findings and a text view of the message copy.
 *
 * SECURITY: the store holds personal data about children; it is read
 * through core/store.h only.  Message copies are opened only inside the
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
#include "store_hosts.h"
#include "store_outbox.h"

/* ------------------------------------------------------------ list */

bool
sg_review_cursor_parse(const char *v, time_t *created_r, const char **id_r)
{
    char *end;
    if (v == NULL || *v < '0' || *v > '9')
        return false;
    long long created = strtoll(v, &end, 10);
    if (*end != ',' || end[1] == '\0' || strlen(end + 1) > 256)
        return false;
    *created_r = (time_t)created;
    *id_r = end + 1;
    return true;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keep the items of host's records, in their order, the page of them
 * from offset (limit: 0 all), or with before the last limit of them (the
 * page before a cursor); *n_r is how many are left. */
static int
only_host(struct sg_review *r, const char *host, size_t offset, size_t limit,
          bool before, struct sg_store_item *items, size_t *n_r,
          const char **error_r)
{
    char **ids = NULL;
    size_t n_ids = 0, kept = 0, seen = 0;
    const char *err = NULL;
    if (sg_store_host_ids(r->q, host, false, 0, &ids, &n_ids, &err) < 0)
        return sg_review_keep(error_r, "", err);
    if (n_ids > 0)
        qsort(ids, n_ids, sizeof(*ids), cmp_str);
    for (size_t i = 0; i < *n_r; i++) {
        const char *id = items[i].id;
        bool on = n_ids > 0 &&
                  bsearch(&id, ids, n_ids, sizeof(*ids), cmp_str) != NULL;
        if (on && seen++ >= offset && (before || limit == 0 || kept < limit)) {
            items[kept++] = items[i];
            continue;
        }
        sg_store_item_clear(&items[i]);
    }
    if (before && limit > 0 && kept > limit) {
        for (size_t i = 0; i < kept - limit; i++)
            sg_store_item_clear(&items[i]);
        memmove(items, items + (kept - limit), limit * sizeof(*items));
        kept = limit;
    }
    *n_r = kept;
    sg_strv_free(&ids, &n_ids);
    return 0;
}

int
sg_review_list(struct sg_review *r, const struct sg_review_filter *f,
               const struct sg_review_actor *actor,
               struct sg_store_item **items_r, size_t *n_r,
               const char **error_r)
{
    time_t now = time(NULL);
    struct sg_store_filter sf = {
        .any_status = f->any_status,
        .waiting = f->waiting,
        .status = f->status,
        .created_max = f->min_age > 0 ? now - f->min_age : 0,
        .created_min = f->max_age > 0 ? now - f->max_age : 0,
        .rule = f->rule,
        .sender = f->sender,
        .tracks = f->tracks,
        .oldest_first = f->oldest_first,
        .limit = f->limit,
        .offset = f->offset,
        .cursor_id = f->cursor_id,
        .cursor_created = f->cursor_created,
        .before = f->before,
    };
    if (actor != NULL && actor->tracks != 0)
        sf.tracks = sf.tracks != 0 ? (sf.tracks & actor->tracks) |
                                         SG_REVIEW_TRACKS_NONE
                                   : actor->tracks;
    /* a school's reviewer sees its records only, whatever is asked */
    sf.school = f->school;
    if (actor != NULL && actor->school != NULL) {
        if (f->school != NULL && strcmp(f->school, actor->school) != 0)
            sf.tracks = SG_REVIEW_TRACKS_NONE; /* nothing */
        sf.school = actor->school;
    }
    const char *err = NULL;
    if (f->host != NULL) {
        /* the host's records are picked here, so the page is cut after */
        sf.limit = sf.offset = 0;
    }
    if (sg_store_list(r->q, &sf, items_r, n_r, &err) < 0)
        return sg_review_keep(error_r, "", err);
    if (f->host != NULL &&
        only_host(r, f->host, f->offset, f->limit, f->before, *items_r, n_r,
                  error_r) < 0) {
        sg_store_items_free(items_r, n_r);
        return -1;
    }
    if (sg_review_actor_ok(actor)) {
        const char *status = f->any_status ? "any"
                             : f->waiting  ? "waiting"
                                           : sg_store_status_name(f->status);
        char note[512];
        snprintf(note, sizeof(note), "status=%s%s%s%s%s%s%s; %zu shown", status,
                 f->rule ? " rule=" : "", f->rule ? f->rule : "",
                 f->sender ? " sender=" : "", f->sender ? f->sender : "",
                 sf.school ? " school=" : "", sf.school ? sf.school : "", *n_r);
        if (sg_review_audit(r, NULL, actor, "list", note, error_r) < 0) {
            sg_store_items_free(items_r, n_r);
            return -1;
        }
    }
    return 0;
}

/* The pupil-welfare records among those created in the items' span of
 * time (the store's list has no track column): the rest are
 * staff-conduct. */
int
sg_review_items_tracks(struct sg_review *r, const struct sg_store_item *items,
                       size_t n, enum sg_track *tracks_r, const char **error_r)
{
    if (n == 0)
        return 0;
    struct sg_store_filter sf = {
        .any_status = true,
        .created_min = items[0].created,
        .created_max = items[0].created,
        .tracks = 1u << SG_TRACK_PUPIL_WELFARE,
    };
    for (size_t i = 0; i < n; i++) {
        tracks_r[i] = SG_TRACK_STAFF_CONDUCT;
        if (items[i].created < sf.created_min)
            sf.created_min = items[i].created;
        if (items[i].created > sf.created_max)
            sf.created_max = items[i].created;
    }
    struct sg_store_item *welfare = NULL;
    size_t n_welfare = 0;
    const char *err = NULL;
    if (sg_store_list(r->q, &sf, &welfare, &n_welfare, &err) < 0)
        return sg_review_keep(error_r, "", err);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < n_welfare; k++)
            if (strcmp(items[i].id, welfare[k].id) == 0)
                tracks_r[i] = SG_TRACK_PUPIL_WELFARE;
    sg_store_items_free(&welfare, &n_welfare);
    return 0;
}

/* ------------------------------------------------------------ audit rows */

int
sg_review_audit_list(struct sg_review *r, const char *id, time_t since,
                     struct sg_store_audit_row **rows_r, size_t *n_r,
                     const char **error_r)
{
    const char *err = NULL;
    if (sg_store_audit_rows(r->q, id, NULL, since, rows_r, n_r, &err) < 0)
        return sg_review_keep(error_r, "", err);
    return 0;
}

/* ------------------------------------------------------------ show */

void
sg_review_detail_free(struct sg_review_detail **dp)
{
    struct sg_review_detail *d = dp != NULL ? *dp : NULL;
    if (d == NULL)
        return;
    sg_store_record_free(&d->record);
    sg_store_rcpts_free(&d->rcpts, &d->n_rcpts);
    sg_store_rules_free(&d->rules, &d->n_rules);
    sg_store_findings_free(&d->findings, &d->n_findings);
    sg_store_audit_rows_free(&d->history, &d->n_history);
    sg_outbox_rows_free(&d->notices, d->n_notices);
    free(d->host);
    sg_store_decisions_free(&d->decisions, &d->n_decisions);
    sg_msgview_free(&d->view);
    free(d->view_error);
    free(d->queue_name);
    free(d);
    *dp = NULL;
}

/* The record's recipients, rules, findings and notices: all of them, or
 * -1. */
static int
read_children(struct sg_review *r, struct sg_review_detail *d,
              const char **error_r)
{
    const char *id = d->record->id;
    const char *err = NULL;
    if (sg_store_rcpts(r->q, id, &d->rcpts, &d->n_rcpts, &err) < 0 ||
        sg_store_rules(r->q, id, &d->rules, &d->n_rules, &err) < 0 ||
        sg_store_findings(r->q, id, &d->findings, &d->n_findings, &err) < 0 ||
        sg_outbox_of_record(r->q, id, &d->notices, &d->n_notices, &err) < 0 ||
        sg_store_record_host(r->q, id, &d->host, &err) != 0 ||
        sg_store_decisions_of_record(r->q, id, &d->decisions, &d->n_decisions,
                                     &err) < 0)
        return sg_review_keep(error_r, "", err);
    d->here = d->host == NULL || strcmp(d->host, r->s.host_name) == 0;
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

int
sg_review_copy_fd(const struct sg_review *r, const struct sg_store_record *rec,
                  int *fd_r, char *why, size_t size, const char **error_r)
{
    const char *path = rec->message_path, *err = NULL;
    *fd_r = -1;
    if (!sg_review_in_store(r, path)) {
        snprintf(why, size, "the stored copy %s is outside the message "
                            "directory %s: not opened",
                 path != NULL ? path : "(none)", r->store_dir);
        return 1;
    }
    int rc = sg_store_message_fd(r->q, rec, fd_r, &err);
    if (rc < 0)
        return sg_review_keep(error_r, "", err);
    if (rc != 0)
        snprintf(why, size, "%s", err);
    return rc != 0 ? 1 : 0;
}

/* The message's view, or why there is none; -1 when the database failed
 * while reading the copy (the show fails whole, as for its other reads). */
static int
load_view(struct sg_review *r, struct sg_review_detail *d, const char **error_r)
{
    const char *path = d->record->message_path;
    char why[512];
    if (path == NULL && sg_store_status_unheld(d->record->status)) {
        snprintf(why, sizeof(why), "no copy is kept of a message that was "
                                   "not held (%s)",
                 sg_store_status_title(d->record->status));
    } else if (path == NULL) {
        snprintf(why, sizeof(why), "the stored copy was purged after the "
                                   "retention period");
    } else {
        int fd = -1;
        const char *err = NULL;
        int rc = sg_review_copy_fd(r, d->record, &fd, why, sizeof(why),
                                   error_r);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            rc = sg_msgview_build_fd(fd, &d->view, &err);
            close(fd);
            if (rc == 0)
                return 0;
            snprintf(why, sizeof(why), "cannot read the stored copy %s: %s",
                     path, err != NULL ? err : "?");
        }
    }
    d->view_error = strdup(why);
    return 0;
}

int
sg_review_show(struct sg_review *r, const char *id,
               const struct sg_review_actor *actor, bool with_queue,
               struct sg_review_detail **d_r, const char **error_r)
{
    if (!sg_review_actor_ok(actor) || id == NULL)
        return sg_review_fail(error_r, "show: missing record or actor");
    struct sg_review_detail *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return sg_review_fail(error_r, "out of memory");
    int rc = sg_review_get(r, id, actor, &d->record, error_r);
    if (rc != 0) {
        free(d);
        return rc;
    }
    if (read_children(r, d, error_r) < 0)
        goto fail;
    if (load_view(r, d, error_r) < 0)
        goto fail;
    if (with_queue && d->here) { /* another host's queue is not here */
        struct sg_mailqueue q;
        if (sg_review_queue_load(r, &q, error_r) < 0)
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

