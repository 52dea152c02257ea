/*
 * review_settings.c - the review tool's sections of the configuration file
 * (see review_settings.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "netlist.h"
#include "review_settings.h"
#include "settings.h"
#include "sg_config.h"
#include "sg_dir_settings.h"
#include "sg_directory.h"
#include "sg_rules.h"

const struct sg_review_settings *
sg_review_settings_get(const struct sg_config *cfg)
{
    return sg_settings_data(&cfg->file, &sg_review_settings_section);
}

const struct sg_review_page *
sg_review_page_get(const struct sg_config *cfg)
{
    return sg_settings_data(&cfg->file, &sg_review_page_section);
}

void
sg_review_settings_compose(const struct sg_review_settings *rs,
                           const struct sg_mailqueue_settings *q,
                           struct sg_review_settings *s_r)
{
    *s_r = *rs;
    sg_review_settings_queue(s_r, q);
}

#define REVIEW(field) offsetof(struct sg_review_settings, field)
#define OFF(field)    offsetof(struct sg_review_page, field)
#define DAY           86400

/* in the order of enum sg_review_auth */
static const char *const review_auths[] = {"file", "ldap", NULL};

/* A NULL default keeps sg_review_settings_init's, so it is written once;
 * the mail queue's fields are not keys of this section. */
static const struct sg_conf_entry settings_entries[] = {
    {"review_sla_hours", SG_CONF_INT, REVIEW(sla_hours), 0, NULL, 1, 365 * 24,
     NULL, NULL},
    {"review_retention_days", SG_CONF_INT, REVIEW(retention_days), 0, NULL, 0,
     36500, NULL, NULL},
    {"review_retention_released_days", SG_CONF_INT,
     REVIEW(retention_released_days), 0, NULL, 0, 36500, NULL, NULL},
    {"review_retention_conduct_days", SG_CONF_INT,
     REVIEW(retention_conduct_days), 0, NULL, 0, 36500, NULL, NULL},
    {"review_retention_welfare_days", SG_CONF_INT,
     REVIEW(retention_welfare_days), 0, NULL, 0, 36500, NULL, NULL},
    {"review_hold_max_days", SG_CONF_INT, REVIEW(hold_max_days), 0, NULL, 0,
     36500, NULL, NULL},
    {"review_expire_action", SG_CONF_ENUM, REVIEW(expire_action), 0, NULL, 0, 0,
     sg_review_expire_action_names, NULL},
    {"review_decision_target", SG_CONF_DURATION, REVIEW(decision_target), 0,
     NULL, 60, 365 * DAY, NULL, NULL},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

static void
settings_init(void *data)
{
    sg_review_settings_init(data);
}

const struct sg_settings_section sg_review_settings_section = {
    .name = "review",
    .prefix = "review_",
    .entries = settings_entries,
    .size = sizeof(struct sg_review_settings),
    .init = settings_init,
};

/* An item check: item is a review track. */
static int
track_check(const char *item, const char **why_r)
{
    enum sg_track t;
    if (sg_track_parse(item, &t) == 0)
        return 0;
    *why_r = "is not a review track (staff-conduct, pupil-welfare)";
    return -1;
}

unsigned
sg_review_pseudonymous_tracks(const struct sg_review_page *rv)
{
    unsigned tracks = 0;
    enum sg_track t;
    for (size_t i = 0; i < rv->n_review_pseudonymise; i++)
        if (sg_track_parse(rv->review_pseudonymise[i], &t) == 0)
            tracks |= 1u << t;
    return tracks;
}

static const struct sg_conf_entry page_entries[] = {
    {"review_listen", SG_CONF_STRING, OFF(review_listen), 0, "127.0.0.1:8480",
     0, 0, NULL, NULL},
    {"review_tls_cert", SG_CONF_STRING, OFF(review_tls_cert), 0, "", 0, 0, NULL,
     NULL},
    {"review_tls_key", SG_CONF_STRING, OFF(review_tls_key), 0, "", 0, 0, NULL,
     NULL},
    {"review_auth", SG_CONF_ENUM, OFF(review_auth), 0, "file", 0, 0,
     review_auths, NULL},
    {"review_password_file", SG_CONF_STRING, OFF(review_password_file), 0,
     SG_SYSCONFDIR "/review-passwords", 0, 0, NULL, NULL},
    {"review_dsl_group", SG_CONF_STRING, OFF(review_dsl_group), 0, "", 0, 0,
     NULL, NULL},
    {"review_login_attributes", SG_CONF_LIST, OFF(review_login_attributes),
     OFF(n_review_login_attributes),
     "uid mail userPrincipalName sAMAccountName", 0, 0, NULL, NULL},
    {"review_session_idle", SG_CONF_DURATION, OFF(review_session_idle), 0,
     "15m", 60, DAY, NULL, NULL},
    {"review_session_max", SG_CONF_DURATION, OFF(review_session_max), 0, "8h",
     5 * 60, 7 * DAY, NULL, NULL},
    {"review_login_attempts", SG_CONF_INT, OFF(review_login_attempts), 0, "5",
     1, 100, NULL, NULL},
    {"review_login_lockout", SG_CONF_DURATION, OFF(review_login_lockout), 0,
     "15m", 60, DAY, NULL, NULL},
    {"review_trusted_proxy", SG_CONF_LIST, OFF(review_trusted_proxy),
     OFF(n_review_trusted_proxy), "", 0, 0, NULL, sg_network_check},
    {"review_request_timeout", SG_CONF_DURATION, OFF(review_request_timeout), 0,
     "30s", 1, 3600, NULL, NULL},
    {"review_client_connections", SG_CONF_INT, OFF(review_client_connections),
     0, "16", 1, 1000, NULL, NULL},
    {"review_max_connections", SG_CONF_INT, OFF(review_max_connections), 0,
     "256", 1, 10000, NULL, NULL},
    /* who reviews each track (rules' "track"): the logins of the page's
     * reviewers (password file or directory); an empty list is every
     * reviewer's */
    {"review_conduct_reviewers", SG_CONF_LIST, OFF(review_conduct_reviewers),
     OFF(n_review_conduct_reviewers), "", 0, 0, NULL, NULL},
    {"review_welfare_reviewers", SG_CONF_LIST, OFF(review_welfare_reviewers),
     OFF(n_review_welfare_reviewers), "", 0, 0, NULL, NULL},
    /* a trust's reviewers of every school (the schools' own are in their
     * blocks, core/school.h) */
    {"review_trust_reviewers", SG_CONF_LIST, OFF(review_trust_reviewers),
     OFF(n_review_trust_reviewers), "", 0, 0, NULL, NULL},
    /* a concern about a member of staff is not yet a finding against
     * them: the queue does not name them until a reviewer opens it */
    {"review_pseudonymise", SG_CONF_LIST, OFF(review_pseudonymise),
     OFF(n_review_pseudonymise), "staff-conduct", 0, 0, NULL, track_check},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

/* The web page's settings that go together. */
static int
finish(const struct sg_settings *all, void *data, const char **key_r, char *why,
       size_t why_len)
{
    const struct sg_review_page *rc = data;
    const struct sg_dir_config *dir =
        sg_settings_data(all, &sg_dir_settings_section);
    char host[256];
    unsigned port;
    const char *w;
    *key_r = NULL;
    if (sg_config_listen(rc->review_listen, host, sizeof(host), &port, &w) < 0)
        snprintf(why, why_len,
                 "review_listen = \"%s\": %s (e.g. "
                 "127.0.0.1:8480 or [::1]:8480)",
                 rc->review_listen, w);
    else if ((rc->review_tls_cert[0] == '\0') !=
             (rc->review_tls_key[0] == '\0'))
        snprintf(why, why_len,
                 "review_tls_cert and review_tls_key go "
                 "together: set both or neither");
    else if (rc->review_auth == SG_REVIEW_AUTH_LDAP &&
             (dir == NULL || dir->backend != SG_DIR_BACKEND_LDAP))
        snprintf(why, why_len,
                 "review_auth = ldap needs directory_backend "
                 "= ldap (the logins are checked against that directory)");
    else if (rc->review_auth == SG_REVIEW_AUTH_LDAP &&
             rc->review_dsl_group[0] == '\0')
        snprintf(why, why_len,
                 "review_auth = ldap needs review_dsl_group: "
                 "without it anyone in the directory could log in to the "
                 "review page");
    else
        return 0;
    return -1;
}

const struct sg_settings_section sg_review_page_section = {
    .name = "review page",
    .prefix = "review_",
    .entries = page_entries,
    .size = sizeof(struct sg_review_page),
    .finish = finish,
};

const struct sg_settings_section *const sg_review_sections[] = {
    &sg_review_settings_section, &sg_review_page_section, NULL};

int
sg_review_settings_check(const struct sg_review_settings *s,
                         const char **name_r)
{
    struct sg_mailqueue_settings q = {
        .command_timeout = s->command_timeout,
        .reconcile_grace = s->reconcile_grace,
        .decision_poll_interval = SG_MAILQUEUE_DECISION_POLL,
    };
    return sg_settings_check_bounds(&sg_review_settings_section, s,
                                    name_r) < 0 ||
                   sg_settings_check_bounds(&sg_mailqueue_settings_section,
                                            &q, name_r) < 0
               ? -1
               : 0;
}
