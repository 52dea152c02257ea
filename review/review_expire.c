/*
 * review_expire.c - retention: records waiting longer than the hold
 * limit are released or deleted (as configured, through the same
 * decision as a reviewer's), decided records past their retention are
 * purged with their message copies, and stray files the milter left in
 * the message directory are removed.
 *
 * SECURITY: retention deletes records (their recipients, rules and
 * findings go with them) and copies, never audit rows.  Copies are
 * removed only inside the configured message directory.  Stray-file
 * removal touches only names the milter makes (".tmp-*", "SG-*.eml"),
 * regular files only, older than an hour.
 *
 * Fails by returning -1 with a thread-local error string.  Never logs,
 * never exits.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "review_int.h"

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

static int
purge(struct sg_review *r, const struct sg_review_actor *actor, time_t now,
      FILE *report, struct sg_review_expire_result *res,
      const char **error_r)
{
    time_t cut = now - (time_t)r->s.retention_days * 86400;
    char **ids = NULL, **paths = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (sg_store_decided_before(r->q, cut, &ids, &paths, &n, &err) < 0)
        return sg_review_keep(error_r, "", err);
    int ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        int rc = sg_store_delete_decided(r->q, ids[i], cut, &err);
        if (rc < 0) {
            ret = sg_review_keep(error_r, "", err);
            break;
        }
        if (rc == 0)
            continue; /* decided again meanwhile: not past retention */
        res->purged++;
        bool copy = false;
        if (paths[i][0] != '\0' && sg_review_in_store(r, paths[i]) &&
            unlink(paths[i]) == 0) {
            copy = true;
            res->copies++;
        }
        char note[256];
        snprintf(note, sizeof(note), "record%s deleted after the retention "
                                     "period (%d days)",
                 copy ? " and message copy" : "", r->s.retention_days);
        if (report != NULL)
            fprintf(report, "%s: %s\n", ids[i], note);
        ret = sg_review_audit(r, ids[i], actor, "purged", note, error_r);
    }
    size_t np = n;
    sg_strv_free(&ids, &n);
    sg_strv_free(&paths, &np);
    return ret;
}

int
sg_review_expire(struct sg_review *r, const struct sg_review_actor *actor,
                 time_t now, FILE *report,
                 struct sg_review_expire_result *res_r, const char **error_r)
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
        for (size_t i = 0; i < n; i++) {
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

