/*
 * sg_directory.h - libdirectory: address in, person out.
 *
 * (Interface agreed between the milter and the directory library; the
 * backends and the cache live behind it.)
 *
 * Four outcomes, as in Postfix's dictionaries: found, not found, temporary
 * failure (server down, timeout: the caller tempfails the message), and
 * configuration error.  A lookup error is never "not found": an outage must
 * not turn staff into outsiders.
 *
 * SECURITY: addresses come from the envelope and display names from the
 * header (both attacker-controlled); every value placed in an LDAP filter
 * is escaped per RFC 4515.
 * Thread-safe: libmilter calls lookups from many threads at once.
 * Error strings returned through error_r are either static or the
 * thread's error text (common/sg_error.h).
 */
#ifndef SG_DIRECTORY_H
#define SG_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sg_person.h"

enum sg_dir_status {
    SG_DIR_FOUND = 0,
    SG_DIR_NOTFOUND,
    SG_DIR_TEMPFAIL,
    SG_DIR_CONFIG,
};

enum sg_dir_backend_type {
    SG_DIR_BACKEND_FILE = 0, /* "file": a text directory (the default) */
    SG_DIR_BACKEND_LDAP,     /* "ldap": OpenLDAP or Active Directory */
    SG_DIR_BACKEND_NONE,     /* "none": no directory, said outright; every
                                address is external (sg_dir_new refuses) */
};

/*
 * Configuration.  Plain data so that the milter's config table can map
 * `name = value` keys onto fields by offset.  Strings are owned by the
 * caller (sg_dir_new copies what it keeps); a NULL or empty string means
 * "not set".  Durations are in seconds.  Lists are char ** plus a count.
 * sg_dir_config_init() fills in the defaults noted below.
 */
struct sg_dir_config {
    /* directory_backend: "file" or "ldap" */
    enum sg_dir_backend_type backend; /* default file */

    /* ---- file backend */
    char *file_path; /* directory_file: see safeguard-directory(5) */

    /* ---- address normalisation */
    /* recipient_delimiter: characters that start a +detail in a local
     * part (Postfix's recipient_delimiter); empty disables. */
    char *recipient_delimiter; /* default "+" */

    /* ---- role names (configurable strings) */
    char *role_pupil;                 /* default "pupil" */
    char *role_former_pupil;          /* default "former-pupil" */
    char *role_former_pupil_under_18; /* default "former-pupil-under-18" */
    /* A former pupil whose date of birth is unknown counts as under 18
     * (the protective choice) unless this is false. */
    bool unknown_age_is_minor; /* default true */
    /* roles: the site's own roles beyond the built-in ones (see
     * sg_dir_known_roles); a directory file may use no others. */
    char **roles;
    size_t n_roles;

    /* ---- cache */
    int cache_size;        /* entries, LRU-bounded; 0 disables; 10000 */
    int cache_ttl;         /* found entries, seconds; 300 */
    int cache_negative_ttl; /* not-found entries, seconds; 60 */
    int stale_max_age;     /* serve stale entries on an outage up to this
                              age (seconds since fetched); 0 never; 3600 */

    /* ---- ldap backend: connection */
    char **ldap_uris; /* ldap_uri: ldap://, ldaps://, ldapi://; tried in
                         order (failover) */
    size_t n_ldap_uris;
    char *ldap_base;               /* search base (required) */
    char *ldap_bind_dn;            /* NULL: anonymous */
    char *ldap_bind_password_file; /* first line is the password */
    bool ldap_starttls;            /* default false (ldaps:// is TLS anyway) */
    char *ldap_tls_ca_file;        /* CA bundle for the server certificate */
    bool ldap_tls_verify;          /* verify the server certificate; true */
    int ldap_connect_timeout;      /* seconds; 5 */
    int ldap_timeout;              /* search timeout, seconds; 5 */
    int ldap_pool_size;            /* connections; 4 */

    /* ---- ldap backend: finding a person */
    char *ldap_user_filter;        /* ANDed with the address match;
                                      default "(objectClass=*)" */
    char *ldap_mail_attribute;     /* primary address; "mail" */
    char *ldap_proxy_attribute;    /* AD proxyAddresses ("smtp:" values);
                                      default "proxyAddresses"; empty off */
    char **ldap_alias_attributes;  /* other school addresses, plain values */
    size_t n_ldap_alias_attributes;
    char *ldap_personal_attribute; /* registered personal addresses; unset */
    char *ldap_children_attribute; /* a parent's children's addresses */
    char *ldap_name_attribute;     /* "displayName" */
    char *ldap_dob_attribute;      /* YYYY-MM-DD or GeneralizedTime; unset */
    char *ldap_left_attribute;     /* leaving date, same formats; unset */
    char *ldap_upn_attribute;      /* a pupil's unique pupil number (the
                                      concern export); unset */
    char *ldap_memberof_attribute; /* "memberOf" */

    /* ---- ldap backend: roles */
    /* "ROLE=FILTER": the person has ROLE when their entry matches FILTER,
     * e.g. "staff=(employeeType=staff)". */
    char **ldap_role_filters;
    size_t n_ldap_role_filters;
    /* "ROLE=GROUP-DN": the person has ROLE when they are a member of the
     * group, directly or through nested groups. */
    char **ldap_role_groups;
    size_t n_ldap_role_groups;
    /* Use the in-chain matching rule 1.2.840.113556.1.4.1941 (Active
     * Directory only; OpenLDAP silently returns nothing for it).  Off:
     * nested groups are expanded by the client. */
    bool ldap_use_in_chain; /* default false */
    int ldap_group_ttl;     /* seconds between group expansions; 300 */
    int ldap_page_size;     /* paged results for group expansion; 500 */
    /* Entries matching this filter are disabled accounts, e.g. AD
     * "(userAccountControl:1.2.840.113556.1.4.803:=2)".  Unset: none. */
    char *ldap_disabled_filter;
    /* What a disabled account becomes: empty or "notfound" - unknown
     * (external); any other value - found, keeping its roles, with this
     * role added.  Default "disabled". */
    char *ldap_disabled_role;
};

/* Counters since sg_dir_new(); a consistent-enough snapshot. */
struct sg_dir_stats {
    uint64_t lookups;        /* sg_dir_lookup and sg_dir_lookup_name calls */
    uint64_t hits;           /* answered from a fresh cache entry */
    uint64_t negative_hits;  /* ... of which were cached "not found" */
    uint64_t misses;         /* needed the backend */
    uint64_t shared;         /* waited for another thread's query */
    uint64_t stale;          /* served stale on a backend error */
    uint64_t errors;         /* returned TEMPFAIL or CONFIG */
    uint64_t notfound;       /* returned NOTFOUND */
    uint64_t evictions;      /* LRU evictions */
    uint64_t entries;        /* entries in the cache now */
    uint64_t latency_us_sum; /* total lookup time, microseconds */
    uint64_t latency_us_max;
};

struct sg_directory;

/* "file", "ldap" or "none" (any case) into *type_r; 0, or -1 for another
 * name. */
int sg_dir_backend_from_name(const char *name,
                             enum sg_dir_backend_type *type_r);

/* The roles a person may hold under cfg: the built-in ones (staff, pupil,
 * parent, dsl, former-pupil, former-pupil-under-18), the configured names
 * of the three pupil roles, with the ldap backend the ROLE of every
 * ldap_role_filter.ROLE and ldap_role_group.ROLE and ldap_disabled_role,
 * and the site's own (roles).
 * A new vector into *roles_r / *n_r (free with sg_strv_free); 0, or -1
 * (allocation). */
int sg_dir_known_roles(const struct sg_dir_config *cfg, char ***roles_r,
                       size_t *n_r);

/* Defaults into cfg (the strings are static: do not free them). */
void sg_dir_config_init(struct sg_dir_config *cfg);

/* Check the settings without contacting any server: the cache's bounds;
 * for the file backend that directory_file is set; for the ldap backend
 * that each ldap_uri parses (nothing is connected to or looked up), that
 * ldap_base and ldap_bind_dn are DNs, the attribute names, the bounds of
 * the counts and timeouts, that the bind password file and the TLS CA
 * file can be read (and hold a password and a PEM certificate), and the
 * role maps.  SG_DIR_FOUND (0) when sg_dir_new may open them;
 * SG_DIR_CONFIG with *error_r saying what is wrong and *setting_r (when
 * setting_r is not NULL) the name of the setting at fault as the
 * configuration file spells it ("ldap_uri", "ldap_role_group", ...), so
 * that a loader can add its file and line; SG_DIR_TEMPFAIL on allocation
 * failure.  sg_dir_new runs it first. */
enum sg_dir_status sg_dir_config_check(const struct sg_dir_config *cfg,
                                       const char **setting_r,
                                       const char **error_r);

/* Open a directory.  The file backend is loaded now (errors name the file
 * and line); the ldap backend connects lazily, so a server that is down
 * does not stop the milter from starting (see sg_dir_check).
 * SG_DIR_FOUND (0) on success, SG_DIR_CONFIG on a bad configuration or
 * file, SG_DIR_TEMPFAIL on allocation failure. */
enum sg_dir_status sg_dir_new(const struct sg_dir_config *cfg,
                              struct sg_directory **dir_r,
                              const char **error_r);
void sg_dir_free(struct sg_directory **dir);

/* Resolve an envelope address (angle brackets optional).  On FOUND,
 * *person_r is the caller's to free with sg_person_free(), with derived
 * roles for today, and may be shared with the directory's cache or its
 * loaded file: read-only (sg_person_unshare gives a copy to change);
 * *channel_r says how the address reached its owner.
 * On other outcomes *person_r is NULL and *channel_r SG_CHANNEL_NONE;
 * TEMPFAIL and CONFIG set *error_r. */
enum sg_dir_status sg_dir_lookup(struct sg_directory *dir,
                                 const char *address,
                                 struct sg_person **person_r,
                                 enum sg_channel *channel_r,
                                 const char **error_r);

/* Resolve a display name (a header From: phrase, already decoded to
 * UTF-8) to the one person in the directory with that name, for the rules'
 * "outside address using a staff member's name" condition.  A signal, never
 * an identity: the caller must not treat the sender as this person.
 * Names are compared by their keys (sg_dir_name_normalise: confusable
 * skeletons of the words, so look-alike letters match), the query's in
 * order: the full name; then, for a header name of another form, its
 * variants ("Mr Smith", "J. Smith", "John S.").  A query with no key (a
 * single word without a title) is NOTFOUND without a backend query.
 * When several people have a full-name key: all the same person (same
 * primary address) - FOUND; otherwise exactly one of them has the role
 * "staff" - FOUND with that one; otherwise NOTFOUND (an ambiguous name is
 * never guessed).  A variant matches only when exactly one member of
 * staff has it.  Cached like addresses (keyed apart from them); derived
 * roles for today; an outage is TEMPFAIL, never NOTFOUND.  On FOUND
 * *person_r is the caller's to free with sg_person_free(), read-only as
 * sg_dir_lookup's is; otherwise
 * NULL, and TEMPFAIL and CONFIG set *error_r. */
enum sg_dir_status sg_dir_lookup_name(struct sg_directory *dir,
                                      const char *display_name,
                                      struct sg_person **person_r,
                                      const char **error_r);

/* Connect and bind now (ldap) to report configuration errors such as a
 * wrong password at startup; the file backend always answers FOUND. */
enum sg_dir_status sg_dir_check(struct sg_directory *dir,
                                const char **error_r);

void sg_dir_stats(struct sg_directory *dir, struct sg_dir_stats *stats_r);

/* Normalise an address into the directory's lookup key: surrounding
 * whitespace and <> removed, a quoted local part unquoted (RFC 5321: a
 * quoted string equal to a dot-atom is the same mailbox), +detail removed
 * (delimiters: characters of `delims`, NULL or "" for none), local part
 * and domain case-folded as Postfix folds UTF-8 addresses (full Unicode
 * case folding) and NFC-normalised (see safeguard-directory(5)), trailing
 * dot of the domain removed.  Returns a malloc'ed string, or NULL when the
 * address is not a usable mailbox (empty, no domain, bad syntax, not
 * UTF-8, too long). */
char *sg_dir_address_normalise(const char *address, const char *delims);

/* The mailboxes Postfix's trivial-rewrite(8) may deliver a recipient
 * address to, with Postfix's defaults (resolve_dequoted_address,
 * allow_percent_hack, swap_bangpath, append_at_myorigin), taking each
 * domain in turn as one of the server's own: the address itself (quotes
 * and a source route removed), then what is left when its domain is taken
 * off and "user%dom" or "dom!user" is read as "user@dom", and so on.
 * A bare local part (the address had no domain, or the domain taken off
 * was an address literal, "[192.0.2.1]") is given without "@": Postfix
 * delivers it locally or in $myorigin, and the caller qualifies it with
 * the school's domains.  The forms are in RFC 5321 syntax for
 * sg_dir_lookup, outermost first, each once.
 * Returns the number of forms in *forms_r (free with sg_strv_free; 0 for
 * an empty address), -1 on allocation failure, -2 when the address has
 * more than SG_DIR_ROUTES_MAX forms or is too long to follow: the caller
 * cannot know who it reaches. */
#define SG_DIR_ROUTES_MAX 16
int sg_dir_address_routes(const char *address, char ***forms_r, size_t *n_r);

/* Normalise a display name into the directory's full-name key (the rule
 * is in safeguard-directory(5), "DISPLAY NAMES"): valid UTF-8 only, at
 * most SG_DIR_NAME_MAX bytes; Unicode NFKC case folding (compatibility
 * forms such as fullwidth letters become plain ones, invisible characters
 * go); whitespace and control characters separate words; quotation marks
 * at the start and end removed; one comma means "Surname, Forename" and
 * the parts are swapped (two or more commas: unusable); full stops
 * separate words; leading titles (Mr Mrs Ms Miss Mx Dr Prof Sir, and
 * look-alikes) dropped; each word replaced by its confusable skeleton
 * (Unicode UTS #39), so "Jоhn" with a Cyrillic о is "John".  Usable only
 * with 2..16 words of which at least two have two or more characters.
 * 1 and *key_r (malloc'ed) when usable; 0 and *key_r NULL when not; -1
 * (and NULL) on allocation failure or when ICU cannot be set up. */
#define SG_DIR_NAME_MAX 512
int sg_dir_name_normalise(const char *name, char **key_r);

/* Add derived roles to a person for the given day: former-pupil and
 * former-pupil-under-18 (rule in safeguard-directory(5)).  A shared
 * person (sg_person_unshare) that gains or loses a role is first made
 * the caller's own copy.  0 or -1 (allocation). */
int sg_dir_derive_roles(const struct sg_dir_config *cfg,
                        struct sg_person **person, const struct sg_date *today);
/* Whether the day can change p's roles (sg_dir_derive_roles): a pupil
 * with a leaving date, or a former pupil.  When not, no day need be
 * read for it. */
bool sg_dir_roles_by_date(const struct sg_dir_config *cfg,
                          const struct sg_person *p);

/* ---- for tests: injected clocks.  now() is the cache clock (seconds,
 * monotonic in production); today() the calendar day for derived roles
 * (local time in production).  NULL restores the default. */
void sg_dir_set_clock(struct sg_directory *dir, time_t (*now)(void *ctx),
                      void (*today)(void *ctx, struct sg_date *today_r),
                      void *ctx);

#endif
