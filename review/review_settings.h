/*
 * review_settings.h - the review tool's sections of the configuration file
 * (safeguard-review(8)): the keys only it reads, all starting with
 * review_.
 *
 * Two sections, each over its own struct: the review library's settings
 * (struct sg_review_settings, sg_review_settings.h: review_sla_hours,
 * review_retention_days, review_hold_max_days, review_expire_action; its
 * mail queue fields are the mail queue section's, in core) and the web
 * page's (struct sg_review_page).  safeguard-review composes them over the
 * core's sections (sg_config_load_with, sg_review_sections); the daemon
 * does not, and leaves review_* keys to it (core/settings.h, foreign
 * keys).
 */
#ifndef SG_REVIEW_SECTIONS_H
#define SG_REVIEW_SECTIONS_H

#include <stddef.h>

#include "mailqueue.h"
#include "sg_review_settings.h"
#include "sg_settings.h"

/* How the review web page checks who logs in (review_auth). */
enum sg_review_auth {
    SG_REVIEW_AUTH_FILE = 0, /* review_password_file */
    SG_REVIEW_AUTH_LDAP,     /* a bind as the user; review_dsl_group */
};

/* The review web page's settings. */
struct sg_review_page {
    char *review_listen;   /* HOST:PORT or [V6]:PORT (sg_config_listen) */
    char *review_tls_cert; /* "": no TLS */
    char *review_tls_key;
    int review_auth; /* enum sg_review_auth */
    char *review_password_file;
    char *review_dsl_group;         /* DN, for review_auth = ldap */
    char **review_login_attributes; /* what a login name may match (ldap) */
    size_t n_review_login_attributes;
    int review_session_idle;     /* seconds */
    int review_session_max;      /* seconds */
    int review_login_attempts;   /* free failures of a name from a client */
    int review_login_lockout;    /* the longest wait, seconds */
    char **review_trusted_proxy; /* whose X-Forwarded-For is believed */
    size_t n_review_trusted_proxy;
    int review_request_timeout;    /* seconds for a request and its answer */
    int review_client_connections; /* at once from one address */
    int review_max_connections;    /* at once in all */
    char **review_conduct_reviewers; /* logins; empty: every reviewer */
    size_t n_review_conduct_reviewers;
    char **review_welfare_reviewers;
    size_t n_review_welfare_reviewers;
    char **review_trust_reviewers; /* every school's, in a trust */
    size_t n_review_trust_reviewers;
    /* the tracks whose queue shows pseudonyms, not names, addresses or
     * subjects, until an item is opened ("staff-conduct") */
    char **review_pseudonymise;
    size_t n_review_pseudonymise;
};

/* The tracks review_pseudonymise names, as bits 1 << enum sg_track (for
 * struct sg_web_options). */
unsigned sg_review_pseudonymous_tracks(const struct sg_review_page *rv);

/* The two sections; sg_review_sections lists both, for
 * sg_config_load_with. */
extern const struct sg_settings_section sg_review_settings_section;
extern const struct sg_settings_section sg_review_page_section;
extern const struct sg_settings_section *const sg_review_sections[];

/* Are s's numbers and choices within the bounds of their keys' entries
 * (the review section's and the mail queue's)?  -1 with *name_r the key
 * of the first that is not. */
int sg_review_settings_check(const struct sg_review_settings *s,
                             const char **name_r);

/* cfg's sections (loaded with sg_config_load_with and sg_review_sections;
 * NULL when they were not composed). */
struct sg_config;
const struct sg_review_settings *
sg_review_settings_get(const struct sg_config *cfg);
const struct sg_review_page *sg_review_page_get(const struct sg_config *cfg);

/* The settings to open the review library with: the section's own, and
 * the mail queue's (strings are q's and rs's). */
void sg_review_settings_compose(const struct sg_review_settings *rs,
                                const struct sg_mailqueue_settings *q,
                                struct sg_review_settings *s_r);

#endif
