/*
 * sg_person.c - person records: allocation, roles, dates.
 *
 * SECURITY: pure data handling; no I/O.  Dates are validated against the
 * calendar so that a directory typo cannot make a pupil "over 18".
 * Fails by returning -1 / NULL on allocation failure or bad input.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sg_person.h"

struct sg_person *
sg_person_new(void)
{
    return calloc(1, sizeof(struct sg_person));
}

void
sg_strv_free(char ***vec, size_t *n)
{
    if (*vec == NULL)
        return;
    for (size_t i = 0; i < *n; i++)
        free((*vec)[i]);
    free(*vec);
    *vec = NULL;
    *n = 0;
}

bool
sg_strv_has(const char *const *vec, size_t n, const char *value)
{
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(vec[i], value) == 0)
            return true;
    return false;
}

bool
sg_login_listed(const char *const *vec, size_t n, const char *login)
{
    for (size_t i = 0; login != NULL && i < n; i++)
        if (strcmp(vec[i], login) == 0)
            return true;
    return false;
}

const char *
sg_strv_join(const char *const *vec, size_t n, const char *sep, char *buf,
             size_t size)
{
    size_t len = 0;
    if (size > 0)
        buf[0] = '\0';
    for (size_t i = 0; i < n && len + 1 < size; i++) {
        int w = snprintf(buf + len, size - len, "%s%s", i > 0 ? sep : "",
                         vec[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    return buf;
}

int
sg_strv_push(char ***vec, size_t *n, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return -1;
    char **grown = realloc(*vec, (*n + 1) * sizeof(char *));
    if (grown == NULL) {
        free(copy);
        return -1;
    }
    grown[*n] = copy;
    *vec = grown;
    (*n)++;
    return 0;
}

void
sg_person_free(struct sg_person **person)
{
    struct sg_person *p = *person;
    if (p == NULL)
        return;
    *person = NULL;
    /* another owner's still (0 before: this was the last) */
    if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 0)
        return;
    free(p->address);
    free(p->display_name);
    free(p->upn);
    sg_strv_free(&p->aliases, &p->n_aliases);
    sg_strv_free(&p->roles, &p->n_roles);
    sg_strv_free(&p->personal, &p->n_personal);
    sg_strv_free(&p->children, &p->n_children);
    free(p);
}

struct sg_person *
sg_person_ref(struct sg_person *person)
{
    atomic_fetch_add_explicit(&person->refs, 1, memory_order_relaxed);
    return person;
}

int
sg_person_unshare(struct sg_person **person)
{
    if (atomic_load_explicit(&(*person)->refs, memory_order_acquire) == 0)
        return 0;
    struct sg_person *copy = sg_person_dup(*person);
    if (copy == NULL)
        return -1;
    sg_person_free(person);
    *person = copy;
    return 0;
}

/* src's n strings into the empty vector *dst, its array made at once. */
static int
strv_copy(char ***dst, size_t *dst_n, char *const *src, size_t src_n)
{
    if (src_n == 0)
        return 0;
    if ((*dst = malloc(src_n * sizeof(**dst))) == NULL)
        return -1;
    for (size_t i = 0; i < src_n; i++) {
        if (((*dst)[i] = strdup(src[i])) == NULL)
            return -1;
        (*dst_n)++;
    }
    return 0;
}

struct sg_person *
sg_person_dup(const struct sg_person *person)
{
    struct sg_person *p = sg_person_new();
    if (p == NULL)
        return NULL;
    p->dob = person->dob;
    p->left = person->left;
    if ((person->address != NULL &&
         (p->address = strdup(person->address)) == NULL) ||
        (person->display_name != NULL &&
         (p->display_name = strdup(person->display_name)) == NULL) ||
        (person->upn != NULL && (p->upn = strdup(person->upn)) == NULL) ||
        strv_copy(&p->aliases, &p->n_aliases, person->aliases,
                  person->n_aliases) < 0 ||
        strv_copy(&p->roles, &p->n_roles, person->roles, person->n_roles) <
            0 ||
        strv_copy(&p->personal, &p->n_personal, person->personal,
                  person->n_personal) < 0 ||
        strv_copy(&p->children, &p->n_children, person->children,
                  person->n_children) < 0) {
        sg_person_free(&p);
        return NULL;
    }
    return p;
}

bool
sg_person_has_role(const struct sg_person *person, const char *role)
{
    if (person == NULL)
        return strcasecmp(role, SG_ROLE_EXTERNAL) == 0;
    for (size_t i = 0; i < person->n_roles; i++)
        if (strcasecmp(person->roles[i], role) == 0)
            return true;
    return false;
}

int
sg_person_add_role(struct sg_person *person, const char *role)
{
    if (sg_person_has_role(person, role))
        return 0;
    return sg_strv_push(&person->roles, &person->n_roles, role);
}

size_t
sg_person_remove_role(struct sg_person *person, const char *role)
{
    size_t kept = 0, removed = 0;
    for (size_t i = 0; i < person->n_roles; i++) {
        if (strcasecmp(person->roles[i], role) == 0) {
            free(person->roles[i]);
            removed++;
        } else {
            person->roles[kept++] = person->roles[i];
        }
    }
    person->n_roles = kept;
    return removed;
}

static bool
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

int
sg_date_parse(const char *text, struct sg_date *date_r)
{
    int y = 0, m = 0, d = 0;
    /* exactly DDDD-DD-DD */
    if (strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (text[i] < '0' || text[i] > '9')
            return -1;
    }
    y = (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 +
        (text[3] - '0');
    m = (text[5] - '0') * 10 + (text[6] - '0');
    d = (text[8] - '0') * 10 + (text[9] - '0');
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    date_r->year = y;
    date_r->month = m;
    date_r->day = d;
    return 0;
}

void
sg_date_from_time(time_t t, struct sg_date *date_r)
{
    struct tm tm;
    localtime_r(&t, &tm);
    date_r->year = tm.tm_year + 1900;
    date_r->month = tm.tm_mon + 1;
    date_r->day = tm.tm_mday;
}

int
sg_date_cmp(const struct sg_date *a, const struct sg_date *b)
{
    if (a->year != b->year)
        return a->year < b->year ? -1 : 1;
    if (a->month != b->month)
        return a->month < b->month ? -1 : 1;
    if (a->day != b->day)
        return a->day < b->day ? -1 : 1;
    return 0;
}

int
sg_date_age(const struct sg_date *dob, const struct sg_date *today)
{
    if (dob->year == 0)
        return -1;
    int age = today->year - dob->year;
    /* Birthday not reached yet this year.  A 29 February birthday is
     * reached on 1 March in common years (the UK legal convention). */
    if (today->month < dob->month ||
        (today->month == dob->month && today->day < dob->day))
        age--;
    return age < 0 ? -1 : age;
}
