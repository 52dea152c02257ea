/*
 * review_expire.c - retention: records waiting longer than the hold
 * limit are released or deleted (as configured, through the same
 * decision as a reviewer's), decided records are given their retention
 * class and date (the settings' periods), records past that date and on
 * no legal hold are emptied to tombstones with their message copies
 * removed, and stray files the milter left in the message directory are
 * removed.  A dry run lists what would go and changes nothing but the
 * classes and dates.
 *
 * SECURITY: retention empties records (their recipients, findings,
 * addresses, subject, notices and audit notes go; store.h) and removes
 * copies, never audit rows; a record on a legal hold is never touched.  Copies are
 * removed only inside the configured message directory.  Stray-file
 * removal touches only names the milter makes (".tmp-*", "SG-*.eml"),
 * regular files only, older than an hour.
 *
 * Fails by returning -1 with an error string (common/sg_error.h).  Never logs,
 * never exits.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "review_cmd.h"
#include "review_int.h"
#include "review_opts.h"

#define STRAY_MIN_AGE 3600 /* seconds before a stray file is removed */

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

/* Does the record named by the copy name (id_len bytes) exist?  On an
 * error, say yes: the file is kept. */
static bool
record_exists(struct sg_review *r, const char *name, size_t id_len)
{
    char id[128];
    if (id_len >= sizeof(id))
        return true;
    memcpy(id, name, id_len);
    id[id_len] = '\0';
    const char *err = NULL;
    return sg_store_exists(r->q, id, &err) != 0;
}

static int
remove_strays(struct sg_review *r, const struct sg_review_actor *actor,
              time_t now, FILE *report, size_t *n_r, const char **error_r)
{
    DIR *d = opendir(r->store_dir);
    if (d == NULL)
        return sg_review_fail(error_r,
                              "cannot read the message directory "
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
        if (sg_review_audit(r, NULL, actor, "stray-removed", note, error_r) <
            0) {
            ret = -1;
            break;
        }
    }
    closedir(d);
    return ret;
}

/* The settings' periods in seconds (store.h). */
static struct sg_store_retention
periods(const struct sg_review_settings *s)
{
    return (struct sg_store_retention){
        .released = (int64_t)s->retention_released_days * 86400,
        .no_concern = (int64_t)s->retention_days * 86400,
        .conduct = (int64_t)s->retention_conduct_days * 86400,
        .welfare = (int64_t)s->retention_welfare_days * 86400,
    };
}

int
sg_review_retention_assign(struct sg_review *r, const char *id)
{
    struct sg_store_retention d = periods(&r->s);
    const char *err = NULL;
    return sg_store_retention_assign(r->q, &d, id, NULL, &err);
}

/* Every record past its expiry date and on no legal hold becomes a
 * tombstone (store.h), and its copy's file goes; dry_run: only listed. */
static int
tombstones(struct sg_review *r, const struct sg_review_actor *actor,
           time_t now, bool dry_run, FILE *report,
           struct sg_review_expire_result *res, const char **error_r)
{
    struct sg_store_retention d = periods(&r->s);
    char **ids = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (sg_store_retention_assign(r->q, &d, NULL, NULL, &err) < 0 ||
        sg_store_expired_ids(r->q, now, &ids, &n, &err) < 0)
        return sg_review_keep(error_r, "", err);
    int ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        struct sg_store_retention_info info;
        if (dry_run) {
            if (sg_store_retention_info(r->q, ids[i], &info, &err) != 0)
                continue; /* gone meanwhile */
            char when[32];
            sg_review_iso(info.expires, when, sizeof(when));
            if (report != NULL)
                fprintf(report, "%s: would expire (class %s, due %s)\n",
                        ids[i], info.retention_class, when);
            sg_store_retention_info_clear(&info);
            res->purged++;
            continue;
        }
        char *path = NULL;
        int rc = sg_store_tombstone(r->q, ids[i], now, actor->user, &path,
                                    &err);
        if (rc < 0) {
            ret = sg_review_keep(error_r, "", err);
            break;
        }
        if (rc != 0)
            continue; /* held for the law, or changed meanwhile */
        res->purged++;
        bool copy = path != NULL && sg_review_in_store(r, path) &&
                    unlink(path) == 0;
        if (copy)
            res->copies++;
        free(path);
        if (report != NULL)
            fprintf(report, "%s: expired: personal data%s deleted\n", ids[i],
                    copy ? " and message copy" : "");
    }
    sg_strv_free(&ids, &n);
    return ret;
}

int
sg_review_expire(struct sg_review *r, const struct sg_review_actor *actor,
                 time_t now, FILE *report,
                 struct sg_review_expire_result *res_r, const char **error_r)
{
    return sg_review_expire_run(r, actor, now, false, report, res_r, error_r);
}

int
sg_review_expire_run(struct sg_review *r, const struct sg_review_actor *actor,
                     time_t now, bool dry_run, FILE *report,
                     struct sg_review_expire_result *res_r,
                     const char **error_r)
{
    if (!sg_review_actor_ok(actor))
        return sg_review_fail(error_r, "expire: missing actor");
    struct sg_review_expire_result res = {0};
    if (r->s.hold_max_days > 0) {
        char **ids = NULL;
        size_t n = 0;
        if (sg_review_waiting_ids(r, now - (time_t)r->s.hold_max_days * 86400,
                                  &ids, &n, error_r) < 0)
            return -1;
        char note[256];
        snprintf(note, sizeof(note), "held longer than %d days without a "
                                     "decision: %s automatically",
                 r->s.hold_max_days,
                 r->s.expire_action == SG_REVIEW_EXPIRE_RELEASE ? "released"
                                                                : "deleted");
        enum sg_review_op op = r->s.expire_action == SG_REVIEW_EXPIRE_RELEASE
                                   ? SG_REVIEW_OP_EXPIRE_RELEASE
                                   : SG_REVIEW_OP_EXPIRE_DELETE;
        for (size_t i = 0; i < n && dry_run; i++) {
            res.expired++;
            if (report != NULL)
                fprintf(report, "%s: would be %s\n", ids[i], note);
        }
        for (size_t i = 0; i < n && !dry_run; i++) {
            const char *err = NULL;
            int rc = sg_review_decide(r, ids[i], actor, note, op, &err);
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
    if (tombstones(r, actor, now, dry_run, report, &res, error_r) < 0)
        return -1;
    if (dry_run) {
        if (res_r != NULL)
            *res_r = res;
        return 0;
    }
    if (remove_strays(r, actor, now, report, &res.strays, error_r) < 0)
        return -1;
    char note[256];
    snprintf(note, sizeof(note),
             "%zu expired, %zu gone from the queue, %zu failed, %zu past "
             "retention (%zu copies), %zu stray files",
             res.expired, res.gone, res.failed, res.purged, res.copies,
             res.strays);
    if (sg_review_audit(r, NULL, actor, "expire", note, error_r) < 0)
        return -1;
    if (res_r != NULL)
        *res_r = res;
    return res.failed > 0 ? sg_review_fail(error_r,
                                           "%zu held records could not be "
                                           "expired",
                                           res.failed)
                          : 0;
}


int
sg_review_cmd_expire(const struct sg_review_cmd *c, int argc, char **argv)
{
    bool dry = false;
    const struct sg_review_opt opts[] = {SG_OPT_FLAG("dry-run", &dry),
                                         SG_OPT_END};
    if (sg_review_opts_only(argc, argv, opts) < 0)
        return EX_USAGE;
    struct sg_review_expire_result res = {0};
    const char *err = NULL;
    int rc = sg_review_expire_run(c->r, c->actor, time(NULL), dry, stdout,
                                  &res, &err);
    if (rc < 0 && res.failed == 0) {
        fprintf(stderr, "safeguard-review: %s\n", err);
        return EX_SOFTWARE;
    }
    printf("expire%s: %zu expired, %zu gone from the queue, %zu past "
           "retention (%zu copies), %zu stray files removed%s\n",
           dry ? " (dry run)" : "", res.expired, res.gone, res.purged,
           res.copies, res.strays, res.failed ? "" : ".");
    if (rc < 0) {
        fprintf(stderr, "safeguard-review: %s\n", err);
        return EX_TEMPFAIL;
    }
    return EX_OK;
}

int
sg_review_cmd_retention(const struct sg_review_cmd *c, int argc, char **argv)
{
    if (strcmp(argv[0], "expire") == 0)
        return sg_review_cmd_expire(c, argc, argv);
    if (strcmp(argv[0], "sar") == 0)
        return sg_review_cmd_sar(c, argc, argv);
    return sg_review_cmd_legal_hold(c, argc, argv);
}
