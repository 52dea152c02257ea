/*
 * review.c - the DSL's review handle: opening and closing the quarantine
 * store with its settings, error strings, and the small helpers the
 * operations share (times, audit rows).  The operations
 * themselves live beside it: review_list.c (what is waiting, one record
 * in full, audit rows), review_decide.c (release, reject, escalate, note,
 * sync), review_expire.c (retention), review_export.c (exports, digests).
 * Front ends (safeguard-review, the web page) only parse, print and say
 * who is acting.
 *
 * SECURITY: the store holds personal data about children.  This library
 * has no SQL of its own: it reads and writes through core/store.h.  The
 * audit is append-only (the store only ever adds to it).
 *
 * Fails by returning -1 (or an SG_REVIEW_* result) with an error string
 * (common/sg_error.h).  Never logs, never exits.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "msgview_build.h"
#include "review_int.h"
#include "review_settings.h"

/* ------------------------------------------------------------ errors */

int
sg_review_keep(const char **error_r, const char *prefix, const char *msg)
{
    return sg_review_fail(error_r, "%s%s", prefix,
                          msg != NULL ? msg : "unknown error");
}

/* ------------------------------------------------------------ settings */

const struct sg_review_settings *
sg_review_get_settings(const struct sg_review *r)
{
    return &r->s;
}

struct sg_store *
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
    free(r->n_review_url);
    sg_strv_free(&r->n_dsl, &r->n_n_dsl);
    sg_strv_free(&r->n_conduct, &r->n_n_conduct);
    sg_strv_free(&r->n_head, &r->n_n_head);
    sg_strv_free(&r->n_chair, &r->n_n_chair);
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
    r->n_review_url = dup_or_empty(c->review_url);
    bool ok = r->ncfg && r->n_templates && r->n_sendmail && r->n_secret &&
              r->n_from && r->n_from_name && r->n_review_url;
    for (size_t i = 0; ok && i < c->n_dsl_addresses; i++)
        ok = sg_strv_push(&r->n_dsl, &r->n_n_dsl, c->dsl_addresses[i]) == 0;
    for (size_t i = 0; ok && i < c->n_conduct_addresses; i++)
        ok = sg_strv_push(&r->n_conduct, &r->n_n_conduct,
                          c->conduct_addresses[i]) == 0;
    for (size_t i = 0; ok && i < c->n_headteacher_addresses; i++)
        ok = sg_strv_push(&r->n_head, &r->n_n_head,
                          c->headteacher_addresses[i]) == 0;
    for (size_t i = 0; ok && i < c->n_chair_addresses; i++)
        ok = sg_strv_push(&r->n_chair, &r->n_n_chair, c->chair_addresses[i]) ==
             0;
    if (!ok)
        return -1;
    *r->ncfg = (struct sg_notice_config){
        .templates_dir = r->n_templates,
        .sendmail = r->n_sendmail,
        .secret_file = r->n_secret,
        .from = r->n_from,
        .from_name = r->n_from_name,
        .review_url = r->n_review_url,
        .dsl_addresses = (const char *const *)r->n_dsl,
        .n_dsl_addresses = r->n_n_dsl,
        .conduct_addresses = (const char *const *)r->n_conduct,
        .n_conduct_addresses = r->n_n_conduct,
        .headteacher_addresses = (const char *const *)r->n_head,
        .n_headteacher_addresses = r->n_n_head,
        .chair_addresses = (const char *const *)r->n_chair,
        .n_chair_addresses = r->n_n_chair,
        .timeout = c->timeout,
        .retry_max_age = c->retry_max_age,
    };
    return 0;
}

void
sg_review_close(struct sg_review **rp)
{
    struct sg_review *r = rp != NULL ? *rp : NULL;
    if (r == NULL)
        return;
    sg_store_close(&r->q);
    free(r->store_dir);
    free(r->release_command);
    free(r->delete_command);
    free(r->queue_command);
    free(r->host_name);
    free(r->release_helper);
    ncfg_free(r);
    free(r->dsl_contact);
    sg_strv_free(&r->school_domains, &r->n_school_domains);
    sg_tz_free(&r->tz);
    free(r);
    *rp = NULL;
}

/* Make the store at db_path as the owner of its directory (the filter's
 * state directory, made for the filter's user), so that the filter, which
 * opens it later as that user, can write it.  Run as root, the effective
 * ids are that owner's for the creation only; as anyone else the store is
 * made as they are (the page under systemd runs as the filter's user).
 * 0 or -1 with *error_r. */
static int
create_store(const char *db_path, const char *store_dir, const char **error_r)
{
    char *copy = strdup(db_path);
    struct stat dir;
    if (copy == NULL || stat(dirname(copy), &dir) < 0) {
        int e = errno;
        free(copy);
        return sg_review_fail(error_r, "cannot make %s: its directory: %s",
                              db_path, strerror(e));
    }
    free(copy);
    bool become = geteuid() == 0 && dir.st_uid != 0;
    if (become && (setegid(dir.st_gid) < 0 || seteuid(dir.st_uid) < 0)) {
        int e = errno;
        if (setegid(0) < 0) /* still root's uid: cannot fail */
            abort();
        return sg_review_fail(error_r, "cannot become the owner of the "
                                       "directory of %s: %s",
                              db_path, strerror(e));
    }
    struct sg_store *q = NULL;
    const char *err = NULL;
    int r = sg_store_open(db_path, store_dir, &q, &err);
    sg_store_close(&q);
    if (become && (seteuid(0) < 0 || setegid(0) < 0))
        abort(); /* cannot happen (the saved ids are root's); never go on
                    with the wrong ones */
    if (r < 0)
        return sg_review_keep(error_r, "", err);
    return 0;
}

int
sg_review_open(const struct sg_review_options *o, struct sg_review **r_r,
               const char **error_r)
{
    if (o == NULL || o->db_path == NULL || *o->db_path == '\0' ||
        o->store_dir == NULL || *o->store_dir == '\0')
        return sg_review_fail(error_r, "quarantine_db and quarantine_dir must "
                                       "be set");
    const char *bad = NULL;
    if (sg_review_settings_check(&o->settings, &bad) < 0)
        return sg_review_fail(error_r,
                              "review settings out of range: %s (start "
                              "from sg_review_settings_init)",
                              bad);
    struct stat st;
    /* a database on a server (the store setting) has no file to look for */
    if (sg_store_file(o->db_path) != NULL &&
        stat(sg_store_file(o->db_path), &st) < 0 &&
        (errno != ENOENT || !o->create_store ||
         create_store(o->db_path, o->store_dir, error_r) < 0))
        return sg_review_fail(error_r,
                              "no quarantine database at %s (%s): "
                              "nothing has been held yet, or "
                              "quarantine_db names another file",
                              o->db_path, strerror(errno));
    pthread_once(&view_once, view_init);

    struct sg_review *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return sg_review_fail(error_r, "out of memory");
    const char *err = NULL;
    if (sg_store_open(o->db_path, o->store_dir, &r->q, &err) < 0) {
        sg_review_keep(error_r, "", err);
        goto fail;
    }
    r->s = o->settings;
    r->store_dir = realpath(o->store_dir, NULL);
    r->release_command = dup_or_empty(o->settings.release_command);
    r->delete_command = dup_or_empty(o->settings.delete_command);
    r->queue_command = dup_or_empty(o->settings.queue_command);
    r->release_helper = dup_or_empty(o->settings.release_helper);
    char host[256];
    r->host_name = strdup(
        sg_mailqueue_host_name(o->settings.host_name, host, sizeof(host)));
    r->config = o->config;
    r->dsl_contact = strdup(o->dsl_contact != NULL
                                ? o->dsl_contact
                                : "the Designated Safeguarding Lead");
    if (r->store_dir == NULL || r->release_command == NULL ||
        r->delete_command == NULL || r->queue_command == NULL ||
        r->release_helper == NULL || r->host_name == NULL ||
        r->dsl_contact == NULL) {
        sg_review_fail(error_r, "cannot set up: %s",
                       r->store_dir == NULL ? strerror(errno)
                                            : "out of memory");
        goto fail;
    }
    r->s.release_command = r->release_command;
    r->s.delete_command = r->delete_command;
    r->s.queue_command = r->queue_command;
    r->s.release_helper = r->release_helper;
    r->s.host_name = r->host_name;
    if (o->timezone != NULL && *o->timezone != '\0' &&
        strcmp(o->timezone, "UTC") != 0 &&
        sg_tz_load(o->timezone, NULL, &r->tz, &err) < 0) {
        sg_review_keep(error_r, "", err);
        goto fail;
    }
    for (size_t i = 0; i < o->n_school_domains; i++)
        if (sg_strv_push(&r->school_domains, &r->n_school_domains,
                         o->school_domains[i]) < 0) {
            sg_review_fail(error_r, "out of memory");
            goto fail;
        }
    if (o->notice != NULL && o->notice->from != NULL &&
        *o->notice->from != '\0') {
        if (ncfg_dup(r, o->notice) < 0) {
            sg_review_fail(error_r, "out of memory");
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

const struct sg_tz *
sg_review_tz(const struct sg_review *r)
{
    return r->tz;
}

void
sg_review_time(const struct sg_review *r, time_t t, enum sg_time_style style,
               char *buf, size_t size)
{
    sg_tz_format(r->tz, t, style, buf, size);
}

void
sg_review_iso(time_t t, char *buf, size_t size)
{
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL ||
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)t);
}

bool
sg_review_waiting(enum sg_store_status s)
{
    return s == SG_QSTATUS_HELD || s == SG_QSTATUS_ESCALATED;
}

bool
sg_review_overdue(const struct sg_review *r, enum sg_store_status s,
                  time_t created, time_t now)
{
    return sg_review_waiting(s) &&
           now - created > (time_t)r->s.sla_hours * 3600;
}

int
sg_review_audit(struct sg_review *r, const char *id,
                const struct sg_review_actor *a, const char *action,
                const char *note, const char **error_r)
{
    const char *err = NULL;
    if (sg_store_audit(r->q, id, a->user, a->from, action, note, &err) < 0)
        return sg_review_keep(error_r, "", err);
    return 0;
}

int
sg_review_queue_load(const struct sg_review *r, struct sg_mailqueue *q,
                     const char **error_r)
{
    const char *err = NULL;
    if (sg_mailqueue_load(r->s.queue_command, (unsigned)r->s.command_timeout,
                          q, &err) < 0)
        return sg_review_keep(error_r, "", err);
    return 0;
}

bool
sg_review_actor_ok(const struct sg_review_actor *a)
{
    return a != NULL && a->user != NULL && *a->user != '\0';
}

unsigned
sg_review_tracks_of(const char *const *conduct, size_t n_conduct,
                    const char *const *welfare, size_t n_welfare,
                    const char *login)
{
    if (n_conduct == 0 && n_welfare == 0)
        return 0;
    unsigned t = 0;
    if (n_conduct == 0 || sg_login_listed(conduct, n_conduct, login))
        t |= 1u << SG_TRACK_STAFF_CONDUCT;
    if (n_welfare == 0 || sg_login_listed(welfare, n_welfare, login))
        t |= 1u << SG_TRACK_PUPIL_WELFARE;
    return t != 0 ? t : SG_REVIEW_TRACKS_NONE;
}

int
sg_review_get(struct sg_review *r, const char *id,
              const struct sg_review_actor *actor,
              struct sg_store_record **rec_r, const char **error_r)
{
    const char *err = NULL;
    int rc = sg_store_get(r->q, id, rec_r, &err);
    if (rc == 0 && actor != NULL && actor->tracks != 0) {
        enum sg_track t = SG_TRACK_STAFF_CONDUCT;
        if ((*rec_r)->track != NULL)
            (void)sg_track_parse((*rec_r)->track, &t);
        if ((actor->tracks & (1u << t)) == 0) {
            sg_store_record_free(rec_r);
            rc = SG_STORE_NOT_FOUND;
        }
    }
    /* another school's record is as one that does not exist */
    if (rc == 0 && actor != NULL && actor->school != NULL &&
        ((*rec_r)->school == NULL ||
         strcmp((*rec_r)->school, actor->school) != 0)) {
        sg_store_record_free(rec_r);
        rc = SG_STORE_NOT_FOUND;
    }
    if (rc == SG_STORE_NOT_FOUND)
        return sg_review_failc(SG_REVIEW_NOT_FOUND, error_r,
                               "no quarantine record %.80s", id);
    if (rc != 0)
        return sg_review_keep(error_r, "", err);
    return 0;
}
