/*
 * notice_settings.c - the notices' section of the configuration file
 * (notice_*, dsl_addresses).  Its fields are struct sg_config's
 * (sg_config.h); sg_config_notice hands them to sg_notice_open.
 */
#include "config.h"

#include <stddef.h>

#include "sg_config.h"

#define OFF(field) offsetof(struct sg_config, field)

/* Notices to the sender and the DSL of a held message (notice.c). */
static const struct sg_conf_entry entries[] = {
    {"notice_from", SG_CONF_STRING, OFF(notice_from), 0, "", 0, 0, NULL,
     sg_config_check_address},
    {"notice_from_name", SG_CONF_STRING, OFF(notice_from_name), 0,
     "Safeguarding", 0, 0, NULL, NULL},
    {"notice_templates", SG_CONF_STRING, OFF(notice_templates), 0,
     SG_SYSCONFDIR "/templates", 0, 0, NULL, NULL},
    {"notice_sendmail", SG_CONF_STRING, OFF(notice_sendmail), 0,
     "/usr/sbin/sendmail -i -f {from} -- {to}", 0, 0, NULL, NULL},
    {"notice_secret_file", SG_CONF_STRING, OFF(notice_secret_file), 0,
     SG_SYSCONFDIR "/notice.key", 0, 0, NULL, NULL},
    {"notice_timeout", SG_CONF_DURATION, OFF(notice_timeout), 0, "30s", 1, 600,
     NULL, NULL},
    /* at most 6 days: a notice's mark is good for 7 (SG_NOTICE_MAX_AGE) */
    {"notice_retry_max_age", SG_CONF_DURATION, OFF(notice_retry_max_age), 0,
     "2d", 60, 6 * 86400, NULL, NULL},
    /* the first wait before a notice (or a decision another host carries
     * out) is tried again, doubled each time up to an hour */
    {"notice_retry_interval", SG_CONF_DURATION, OFF(notice_retry_interval),
     0, "1m", 1, 3600, NULL, NULL},
    /* the review page, as the DSL's browser reaches it: every notice links
     * to the record's page under it (URL/item/RECORD) */
    {"review_url", SG_CONF_STRING, OFF(review_url), 0, "", 0, 0, NULL, NULL},
    {"dsl_addresses", SG_CONF_LIST, OFF(dsl_addresses), OFF(n_dsl_addresses),
     "", 0, 0, NULL, sg_config_check_address},
    /* the review tracks (rules' "track"): pupil-welfare goes to
     * dsl_addresses; staff-conduct to conduct_addresses (the headteacher
     * or case manager; dsl_addresses when empty), and to the chair of
     * governors instead when the sender is one of headteacher_addresses */
    {"conduct_addresses", SG_CONF_LIST, OFF(conduct_addresses),
     OFF(n_conduct_addresses), "", 0, 0, NULL, sg_config_check_address},
    {"headteacher_addresses", SG_CONF_LIST, OFF(headteacher_addresses),
     OFF(n_headteacher_addresses), "", 0, 0, NULL, sg_config_check_address},
    {"chair_of_governors_addresses", SG_CONF_LIST,
     OFF(chair_of_governors_addresses), OFF(n_chair_of_governors_addresses),
     "", 0, 0, NULL, sg_config_check_address},
    /* a trust's own team (its reviewers are logins, not addresses): the
     * digest of every school; not a school block's key (core/school.c) */
    {"trust_dsl_addresses", SG_CONF_LIST, OFF(trust_dsl_addresses),
     OFF(n_trust_dsl_addresses), "", 0, 0, NULL, sg_config_check_address},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

const struct sg_settings_section sg_notice_settings_section = {
    .name = "notices",
    .entries = entries,
};
