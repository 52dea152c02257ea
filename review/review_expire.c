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
    sqlite3_stmt *sel = NULL, *del = NULL;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT id, message_path, status FROM records"
                           " WHERE status IN ('released', 'rejected',"
                           " 'expired', 'lost') AND status_changed <= ?1"
                           " ORDER BY status_changed",
                           -1, &sel, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db,
                           "DELETE FROM records WHERE id = ?1 AND status IN"
                           " ('released', 'rejected', 'expired', 'lost')"
                           " AND status_changed <= ?2",
                           -1, &del, NULL) != SQLITE_OK) {
        sqlite3_finalize(sel);
        return sg_review_fail_db(r, "cannot prepare the purge", error_r);
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
        ret = sg_review_fail_db(r, "cannot list records to purge", error_r);
        goto out;
    }
    for (size_t i = 0; i < n && ret == 0; i++) {
        sqlite3_reset(del);
        sg_review_bind_text(del, 1, ids[i]);
        sqlite3_bind_int64(del, 2, (sqlite3_int64)cut);
        if (sqlite3_step(del) != SQLITE_DONE) {
            ret = sg_review_fail_db(r, "cannot purge a record", error_r);
            break;
        }
        if (sqlite3_changes(r->db) != 1)
            continue;
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
    if (!sg_review_actor_ok(actor))
        return review_fail(error_r, "expire: missing actor");
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
    return res.failed > 0
               ? review_fail(error_r, "%zu held records could not be "
                                      "expired",
                             res.failed)
               : 0;
}

