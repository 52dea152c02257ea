/*
 * store_sql_policy.c - the policy changelog (store.h), for every SQL
 * driver: the table policy_changes (the schema's policy migration,
 * store_sql.c).  One row per version of the policy: when, the host, a
 * hash, who and why, the diff from the version before, and the whole
 * text (so that the next version's diff can be made from it).  What
 * goes in the text, and when a version is recorded, is core/policy.c's.
 *
 * SECURITY: every statement is parameterised.  The text never holds a
 * secret (policy.c leaves them out before it gets here).
 *
 * Fails by returning -1 with the store's error string.  Never logs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "store_sql.h"

#define fail sg_store_fail

struct sg_store_sql *
sg_store_sql_of(struct sg_store *q, const char **error_r)
{
    void *bs = NULL;
    if (sg_store_backend_of(q, &bs) != &sg_store_sql) {
        fail(error_r, "this store keeps no policy changes or reports");
        return NULL;
    }
    return bs;
}

int
sg_store_sql_read_span(struct sg_store *q, const struct sg_sql_spec *spec,
                       time_t from, time_t to, void **rows_r, size_t *n_r,
                       const char **error_r)
{
    struct sg_sql_params p = {.num = {(int64_t)from, (int64_t)to}, .n_num = 2};
    struct sg_store_sql *s = sg_store_sql_of(q, error_r);
    if (s == NULL)
        return -1;
    return sg_sql_read_rows(s, spec, &p, rows_r, n_r, error_r);
}

int
sg_store_policy_latest(struct sg_store *q, const char *host, char **hash_r,
                       char **text_r, const char **error_r)
{
    *hash_r = *text_r = NULL;
    struct sg_store_sql *s = sg_store_sql_of(q, error_r);
    if (s == NULL)
        return -1;
    struct sg_sql_stmt *st = sg_sql_prepare_one(
        s,
        "SELECT hash, text FROM policy_changes WHERE host = ?1"
        " ORDER BY id DESC LIMIT 1",
        "cannot read the policy changes", error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_text(st, 1, host != NULL ? host : "");
    int rc = sg_sql_step(st, "cannot read the policy changes", error_r);
    if (rc <= 0)
        return sg_sql_finish(st, rc);
    bool oom = false;
    *hash_r = sg_sql_col_str(st, 0, &oom);
    *text_r = sg_sql_col_str(st, 1, &oom);
    if (oom) {
        free(*hash_r);
        free(*text_r);
        *hash_r = *text_r = NULL;
        return sg_sql_finish(st, fail(error_r, "out of memory"));
    }
    return sg_sql_finish(st, 0);
}

int
sg_store_policy_add(struct sg_store *q, const struct sg_store_policy_new *c,
                    const char **error_r)
{
    struct sg_store_sql *s = sg_store_sql_of(q, error_r);
    if (s == NULL)
        return -1;
    struct sg_sql_stmt *st = sg_sql_prepare_one(
        s,
        "INSERT INTO policy_changes (time, host, hash, owner, note, diff,"
        " text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "cannot record a policy change", error_r);
    if (st == NULL)
        return -1;
    sg_sql_bind_int(st, 1, (int64_t)c->time);
    sg_sql_bind_text(st, 2, c->host != NULL ? c->host : "");
    sg_sql_bind_text(st, 3, c->hash);
    sg_sql_bind_text(st, 4, c->owner != NULL && *c->owner ? c->owner : NULL);
    sg_sql_bind_text(st, 5, c->note != NULL && *c->note ? c->note : NULL);
    sg_sql_bind_text(st, 6, c->diff != NULL ? c->diff : "");
    sg_sql_bind_text(st, 7, c->text);
    int rc = sg_sql_step_done(st, "cannot record a policy change", error_r);
    return sg_sql_finish(st, rc == 0 ? 0 : -1);
}

static void
fill_change(struct sg_sql_stmt *st, void *item, bool *oom)
{
    struct sg_store_policy_change *c = item;
    c->id = (long long)sg_sql_int(st, 0);
    c->time = (time_t)sg_sql_int(st, 1);
    c->host = sg_sql_col_str(st, 2, oom);
    c->hash = sg_sql_col_str(st, 3, oom);
    c->owner = sg_sql_col_str(st, 4, oom);
    c->note = sg_sql_col_str(st, 5, oom);
    c->diff = sg_sql_col_str(st, 6, oom);
}

static void
change_clear(void *item)
{
    struct sg_store_policy_change *c = item;
    free(c->host);
    free(c->hash);
    free(c->owner);
    free(c->note);
    free(c->diff);
}

int
sg_store_policy_list(struct sg_store *q, time_t since, time_t until,
                     struct sg_store_policy_change **rows_r, size_t *n_r,
                     const char **error_r)
{
    static const struct sg_sql_spec spec = {
        .sql = "SELECT id, time, host, hash, owner, note, diff"
               " FROM policy_changes WHERE time >= ?1"
               " AND (?2 = 0 OR time <= ?2) ORDER BY id",
        .what = "cannot read the policy changes",
        .elem = sizeof(struct sg_store_policy_change),
        .fill = fill_change,
        .clear = change_clear,
    };
    return sg_store_sql_read_span(q, &spec, since, until, (void **)rows_r, n_r,
                                  error_r);
}

void
sg_store_policy_changes_free(struct sg_store_policy_change **rows, size_t *n)
{
    sg_store_array_free((void **)rows, n, sizeof(**rows), change_clear);
}
