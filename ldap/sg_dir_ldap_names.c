/*
 * sg_dir_ldap_names.c - the `ldap` backend's display-name lookups.  A
 * confusable skeleton cannot be put in a search filter, so the backend
 * keeps an in-memory index of every entry's name keys (sg_dir_name_keys),
 * loaded by one paged search and renewed every ldap_group_ttl seconds
 * (the last good one is kept while the server is away); each candidate
 * the index gives is then read afresh, and its name checked again, before
 * it counts.
 *
 * SECURITY: a display name never reaches a filter (only the DNs the
 * index holds are read).  A name key more than NAME_CANDIDATES_MAX
 * entries have says nothing (NOTFOUND).  A failed search fails the
 * lookup (TEMPFAIL, or CONFIG), never "not found".
 * Thread-safe: the index is guarded by the backend's name_lock.  Never
 * logs.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ldap.h>

#include "sg_buf.h"
#include "sg_dir_internal.h"
#include "sg_dir_ldap_int.h"

/* A name key more entries than this are known by is too common to be a
 * signal: not found (safeguard-directory(5)). */
#define NAME_CANDIDATES_MAX 100

/* The DNs of the entries known by one name key. */
struct dn_list {
    char **dns;
    size_t n;
};

static void
dn_list_free(void *p)
{
    struct dn_list *l = p;
    if (l != NULL)
        sg_strv_free(&l->dns, &l->n);
    free(l);
}

/* The name keys (sg_dir_name_keys, one a line) of every value of the
 * entry's name attribute, into *keys_r (malloc'ed; NULL when none).  0 or
 * -1 (allocation, ICU). */
static int
entry_name_keys(struct ldap_backend *lb, LDAP *ld, LDAPMessage *e,
                char **keys_r)
{
    *keys_r = NULL;
    struct berval **v = ldap_get_values_len(ld, e, lb->name_attr);
    struct sg_buf all = SG_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; v != NULL && v[i] != NULL && rc == 0; i++) {
        char *value = strndup(v[i]->bv_val, v[i]->bv_len);
        char *keys = NULL;
        if (value == NULL)
            rc = -1;
        else if (strlen(value) == v[i]->bv_len &&
                 sg_dir_name_keys(value, SG_DIR_NAME_ENTRY, &keys) < 0)
            rc = -1;
        if (keys != NULL && all.len > 0)
            rc |= sg_buf_putc(&all, '\n');
        if (keys != NULL)
            rc |= sg_buf_puts(&all, keys);
        free(keys);
        free(value);
    }
    ldap_value_free_len(v);
    if (rc != 0) {
        sg_buf_free(&all);
        return -1;
    }
    *keys_r = all.len > 0 ? sg_buf_steal(&all) : NULL;
    if (*keys_r == NULL)
        sg_buf_free(&all);
    return 0;
}

/* One entry of the name index's search: its DN under each of its keys. */
static int
index_entry(void *arg, LDAP *ld, LDAPMessage *e)
{
    struct ldap_backend *lb = ((void **)arg)[0];
    struct sg_dir_hash *names = ((void **)arg)[1];
    char *keys = NULL;
    if (entry_name_keys(lb, ld, e, &keys) < 0)
        return -LDAP_NO_MEMORY;
    char *dn = keys != NULL ? ldap_get_dn(ld, e) : NULL;
    int result = keys != NULL && dn == NULL ? -LDAP_NO_MEMORY : 0;
    char *save = NULL;
    for (char *key = dn != NULL ? strtok_r(keys, "\n", &save) : NULL;
         key != NULL && result == 0; key = strtok_r(NULL, "\n", &save)) {
        struct dn_list *l = sg_dir_hash_get(names, key);
        if (l == NULL) {
            if ((l = calloc(1, sizeof(*l))) == NULL ||
                sg_dir_hash_put(names, key, l) != 0) {
                free(l);
                result = -LDAP_NO_MEMORY;
                break;
            }
        }
        /* two values of one entry may share a key */
        if ((l->n == 0 || strcmp(l->dns[l->n - 1], dn) != 0) &&
            sg_strv_push(&l->dns, &l->n, dn) < 0)
            result = -LDAP_NO_MEMORY;
    }
    if (dn != NULL)
        ldap_memfree(dn);
    free(keys);
    return result;
}

/* The name index, fresh: loaded when missing or older than
 * ldap_group_ttl; the last good one is kept while the server is away.
 * Called with name_lock held.  0 or -(LDAP error). */
static int
names_fresh(struct ldap_backend *lb, struct conn *c)
{
    time_t now = sg_dir_ldap_mono_now();
    if (lb->names != NULL && now - lb->names_loaded < lb->group_ttl)
        return 0;
    struct sg_dir_hash *names = sg_dir_hash_new(1024);
    struct sg_buf filter = SG_BUF_INIT;
    int result =
        names == NULL || sg_buf_printf(&filter, "(&%s(%s=*))", lb->user_filter,
                                       lb->name_attr) < 0
            ? -LDAP_NO_MEMORY
            : 0;
    const char *attrs[] = {lb->name_attr, NULL};
    void *arg[] = {lb, names};
    if (result == 0)
        result = sg_dir_ldap_paged_search(lb, c, filter.data, attrs,
                                          index_entry, arg);
    sg_buf_free(&filter);
    if (result != 0) {
        sg_dir_hash_free(&names, dn_list_free);
        return lb->names != NULL ? 0 : result;
    }
    sg_dir_hash_free(&lb->names, dn_list_free);
    lb->names = names;
    lb->names_loaded = now;
    return 0;
}

/* Does the entry's name (still) have key?  1, 0, -1 (allocation). */
static int
entry_has_key(struct ldap_backend *lb, LDAP *ld, LDAPMessage *e,
              const char *key)
{
    char *keys = NULL;
    if (entry_name_keys(lb, ld, e, &keys) < 0)
        return -1;
    int has = keys != NULL && sg_dir_name_keys_contain(keys, key);
    free(keys);
    return has;
}

struct name_lookup {
    const char *key;
    struct sg_person ***people_r;
    size_t *n_r;
};

/* The people of one DN from the index, if the entry is still there, in
 * the user filter and known by the key: appended to a's people.  FOUND
 * (also when skipped) or an error. */
static enum sg_dir_status
name_candidate(struct ldap_backend *lb, struct conn *c, const char *dn,
               struct name_lookup *a, const char **error_r, int *ldap_rc_r)
{
    LDAPMessage *res = NULL;
    int rc = sg_dir_ldap_search(lb, c, dn, LDAP_SCOPE_BASE, lb->user_filter,
                                lb->attrs, 1, NULL, &res);
    if (rc == LDAP_NO_SUCH_OBJECT) {
        ldap_msgfree(res);
        return SG_DIR_FOUND; /* gone since the index was loaded */
    }
    if (rc != LDAP_SUCCESS) {
        ldap_msgfree(res);
        *ldap_rc_r = rc;
        *error_r = sg_dir_ldap_search_error(lb, c, "name search", rc);
        return sg_dir_ldap_status_of(rc);
    }
    LDAPMessage *e = ldap_first_entry(c->ld, res);
    int has = e != NULL ? entry_has_key(lb, c->ld, e, a->key) : 0;
    enum sg_dir_status st = SG_DIR_FOUND;
    struct sg_person *p = NULL;
    if (has < 0) {
        *error_r = "out of memory";
        st = SG_DIR_TEMPFAIL;
    } else if (has > 0) {
        enum sg_channel channel;
        st = sg_dir_ldap_build_person(lb, c, e, NULL, &p, &channel, error_r,
                                      ldap_rc_r);
        if (st == SG_DIR_NOTFOUND)
            st = SG_DIR_FOUND; /* disabled and unknown, or no address */
    }
    ldap_msgfree(res);
    if (p != NULL) {
        struct sg_person **grown =
            realloc(*a->people_r, (*a->n_r + 1) * sizeof(*grown));
        if (grown == NULL) {
            sg_person_free(&p);
            *error_r = "out of memory";
            return SG_DIR_TEMPFAIL;
        }
        *a->people_r = grown;
        grown[(*a->n_r)++] = p;
    }
    return st;
}

static enum sg_dir_status
lookup_name_on(struct ldap_backend *lb, struct conn *c, void *arg,
               const char **error_r, int *ldap_rc_r)
{
    struct name_lookup *a = arg;
    *ldap_rc_r = 0;
    sg_dir_people_free(a->people_r, a->n_r); /* from a failed first try */

    /* the candidates' DNs, from the index */
    pthread_mutex_lock(&lb->name_lock);
    int rc = names_fresh(lb, c);
    const struct dn_list *l =
        rc == 0 ? sg_dir_hash_get(lb->names, a->key) : NULL;
    char **dns = NULL;
    size_t n = 0;
    bool oom = false;
    for (size_t i = 0;
         l != NULL && i < l->n && i <= NAME_CANDIDATES_MAX && !oom; i++)
        oom = sg_strv_push(&dns, &n, l->dns[i]) < 0;
    pthread_mutex_unlock(&lb->name_lock);
    if (rc != 0) {
        *ldap_rc_r = -rc;
        *error_r = sg_dir_ldap_search_error(lb, c, "display-name index", -rc);
        return sg_dir_ldap_status_of(-rc);
    }
    if (oom) {
        sg_strv_free(&dns, &n);
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    if (n > NAME_CANDIDATES_MAX) {
        sg_strv_free(&dns, &n);
        return SG_DIR_NOTFOUND; /* too common a name to say anything */
    }

    enum sg_dir_status st = SG_DIR_FOUND;
    for (size_t i = 0; i < n && st == SG_DIR_FOUND; i++)
        st = name_candidate(lb, c, dns[i], a, error_r, ldap_rc_r);
    sg_strv_free(&dns, &n);
    if (st != SG_DIR_FOUND) {
        sg_dir_people_free(a->people_r, a->n_r);
        return st;
    }
    return *a->n_r > 0 ? SG_DIR_FOUND : SG_DIR_NOTFOUND;
}

enum sg_dir_status
sg_dir_ldap_lookup_name(struct sg_dir_backend *backend, const char *key,
                        struct sg_person ***people_r, size_t *n_r,
                        const char **error_r)
{
    struct ldap_backend *lb = (struct ldap_backend *)backend;
    *people_r = NULL;
    *n_r = 0;
    if (lb->name_attr == NULL) {
        *error_r = "ldap_name_attribute is not set: display names cannot "
                   "be looked up";
        return SG_DIR_CONFIG;
    }
    struct name_lookup a = {key, people_r, n_r};
    return sg_dir_ldap_with_connection(lb, lookup_name_on, &a, error_r);
}

void
sg_dir_ldap_names_free(struct ldap_backend *lb)
{
    sg_dir_hash_free(&lb->names, dn_list_free);
}
