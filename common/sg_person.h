/*
 * sg_person.h - a person as the school directory knows them.
 *
 * Plain data shared by libdirectory (which fills it) and librules (which
 * reads it).  Neither library includes the other; both include this.
 *
 * SECURITY: a person is built from directory data, which is trusted, never
 * from message headers.  Role names are configurable strings, compared
 * case-insensitively.
 */
#ifndef SG_PERSON_H
#define SG_PERSON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A calendar date; year 0 means "unknown". */
struct sg_date {
    int year;  /* e.g. 2009 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
};

/* Well-known role names.  Sites may use others; these are the ones the
 * shipped policy and the derivations below speak of. */
#define SG_ROLE_STAFF                 "staff"
#define SG_ROLE_PUPIL                 "pupil"
#define SG_ROLE_PARENT                "parent"
#define SG_ROLE_DSL                   "dsl"
#define SG_ROLE_FORMER_PUPIL          "former-pupil"
#define SG_ROLE_FORMER_PUPIL_UNDER_18 "former-pupil-under-18"
#define SG_ROLE_EXTERNAL              "external"

struct sg_person {
    char *address;      /* primary address, normalised (lower-case domain) */
    char *display_name; /* may be NULL */
    char *upn;          /* a pupil's unique pupil number; may be NULL */
    char **aliases;     /* other school addresses of this person */
    size_t n_aliases;
    char **roles; /* configured and derived roles */
    size_t n_roles;
    struct sg_date dob;  /* date of birth, year 0 if unknown */
    struct sg_date left; /* leaving date, year 0 if still on roll */
    char **personal;     /* registered personal (non-school) addresses */
    size_t n_personal;
    char **children; /* for a parent: the children's school addresses */
    size_t n_children;
    /* owners besides the first (sg_person_ref); sg_person_free drops one
     * and the last frees.  A person with other owners (a directory's
     * cached or loaded one) is shared and read-only: sg_person_unshare
     * gives its holder a copy of its own to change. */
    atomic_uint refs;
};

/* How an address reached its owner. */
enum sg_channel {
    SG_CHANNEL_NONE = 0, /* unknown address: an external party */
    SG_CHANNEL_SCHOOL,   /* the person's school address or an alias */
    SG_CHANNEL_PERSONAL, /* a registered personal address of the person */
};

/* One side of a message: an address, and who it belongs to if anyone. */
struct sg_party {
    const char *address;           /* as given in the envelope */
    const struct sg_person *person; /* NULL: external / unknown */
    enum sg_channel channel;
};

struct sg_person *sg_person_new(void);
/* Drop the caller's ownership (the person goes with its last owner);
 * *person NULL after. */
void sg_person_free(struct sg_person **person);
/* Deep copy, owned by the caller alone; NULL on allocation failure. */
struct sg_person *sg_person_dup(const struct sg_person *person);
/* Another owner of person (freed with sg_person_free); person. */
struct sg_person *sg_person_ref(struct sg_person *person);
/* Make *person the caller's alone, to change: a copy of a shared one (the
 * caller's ownership of that dropped).  0, or -1 on allocation failure
 * with *person as it was. */
int sg_person_unshare(struct sg_person **person);

/* Case-insensitive role test. */
bool sg_person_has_role(const struct sg_person *person, const char *role);
/* Add a role once (case-insensitive); 0, or -1 on allocation failure. */
int sg_person_add_role(struct sg_person *person, const char *role);
/* Remove every occurrence of a role (case-insensitive); how many went. */
size_t sg_person_remove_role(struct sg_person *person, const char *role);
/* Append a copy of value to a string vector; 0 or -1 (allocation). */
int sg_strv_push(char ***vec, size_t *n, const char *value);
void sg_strv_free(char ***vec, size_t *n);
/* Whether value is one of the n strings of vec, ignoring case (roles). */
bool sg_strv_has(const char *const *vec, size_t n, const char *value);
/* Whether login (may be NULL: no) is one of the n logins of vec, exactly
 * (a reviewers' list). */
bool sg_login_listed(const char *const *vec, size_t n, const char *login);
/* vec joined with sep into buf (cut short to fit); buf. */
const char *sg_strv_join(const char *const *vec, size_t n, const char *sep,
                         char *buf, size_t size);

/* Whole years of age on date today; -1 if the date of birth is unknown. */
int sg_date_age(const struct sg_date *dob, const struct sg_date *today);
/* Parse YYYY-MM-DD (a real calendar date); 0 or -1. */
int sg_date_parse(const char *text, struct sg_date *date_r);
/* The calendar day of time t in local time. */
void sg_date_from_time(time_t t, struct sg_date *date_r);
/* -1, 0, 1 as a is before, equal to, after b. */
int sg_date_cmp(const struct sg_date *a, const struct sg_date *b);

#endif
