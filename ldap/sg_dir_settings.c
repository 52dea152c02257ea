/*
 * sg_dir_settings.c - the school directory's section of the configuration
 * file (see sg_dir_settings.h).  A NULL default keeps the library's own
 * (sg_dir_config_init), so each is written once.
 */
#include "config.h"

#include <stddef.h>

#include "sg_dir_settings.h"
#include "sg_directory.h"

#define DIR(field) offsetof(struct sg_dir_config, field)
#define DAY        86400

/* in the order of enum sg_dir_backend_type */
static const char *const dir_backends[] = {"file", "ldap", "none", NULL};

static const struct sg_conf_entry entries[] = {
    {"directory_backend", SG_CONF_ENUM, DIR(backend), 0, NULL, 0, 0,
     dir_backends, NULL},
    {"directory_file", SG_CONF_STRING, DIR(file_path), 0, NULL, 0, 0, NULL,
     NULL},
    {"roles", SG_CONF_LIST, DIR(roles), DIR(n_roles), NULL, 0, 0, NULL, NULL},
    {"recipient_delimiter", SG_CONF_STRING, DIR(recipient_delimiter), 0, NULL,
     0, 0, NULL, NULL},
    {"role_pupil", SG_CONF_STRING, DIR(role_pupil), 0, NULL, 0, 0, NULL, NULL},
    {"role_former_pupil", SG_CONF_STRING, DIR(role_former_pupil), 0, NULL, 0, 0,
     NULL, NULL},
    {"role_former_pupil_under_18", SG_CONF_STRING,
     DIR(role_former_pupil_under_18), 0, NULL, 0, 0, NULL, NULL},
    {"unknown_age_is_minor", SG_CONF_BOOL, DIR(unknown_age_is_minor), 0, NULL,
     0, 0, NULL, NULL},
    {"cache_size", SG_CONF_INT, DIR(cache_size), 0, NULL, 0, 10000000, NULL,
     NULL},
    {"cache_ttl", SG_CONF_DURATION, DIR(cache_ttl), 0, NULL, 1, DAY, NULL,
     NULL},
    {"cache_negative_ttl", SG_CONF_DURATION, DIR(cache_negative_ttl), 0, NULL,
     1, DAY, NULL, NULL},
    {"stale_max_age", SG_CONF_DURATION, DIR(stale_max_age), 0, NULL, 0, 7 * DAY,
     NULL, NULL},
    {"ldap_uri", SG_CONF_LIST, DIR(ldap_uris), DIR(n_ldap_uris), NULL, 0, 0,
     NULL, NULL},
    {"ldap_base", SG_CONF_STRING, DIR(ldap_base), 0, NULL, 0, 0, NULL, NULL},
    {"ldap_bind_dn", SG_CONF_STRING, DIR(ldap_bind_dn), 0, NULL, 0, 0, NULL,
     NULL},
    {"ldap_bind_password_file", SG_CONF_STRING, DIR(ldap_bind_password_file), 0,
     NULL, 0, 0, NULL, NULL},
    {"ldap_starttls", SG_CONF_BOOL, DIR(ldap_starttls), 0, NULL, 0, 0, NULL,
     NULL},
    {"ldap_tls_ca_file", SG_CONF_STRING, DIR(ldap_tls_ca_file), 0, NULL, 0, 0,
     NULL, NULL},
    {"ldap_tls_verify", SG_CONF_BOOL, DIR(ldap_tls_verify), 0, NULL, 0, 0, NULL,
     NULL},
    {"ldap_connect_timeout", SG_CONF_DURATION, DIR(ldap_connect_timeout), 0,
     NULL, 1, 300, NULL, NULL},
    {"ldap_timeout", SG_CONF_DURATION, DIR(ldap_timeout), 0, NULL, 1, 300, NULL,
     NULL},
    {"ldap_pool_size", SG_CONF_INT, DIR(ldap_pool_size), 0, NULL, 1, 256, NULL,
     NULL},
    {"ldap_user_filter", SG_CONF_STRING, DIR(ldap_user_filter), 0, NULL, 0, 0,
     NULL, NULL},
    {"ldap_mail_attribute", SG_CONF_STRING, DIR(ldap_mail_attribute), 0, NULL,
     0, 0, NULL, NULL},
    {"ldap_proxy_attribute", SG_CONF_STRING, DIR(ldap_proxy_attribute), 0, NULL,
     0, 0, NULL, NULL},
    {"ldap_alias_attributes", SG_CONF_LIST, DIR(ldap_alias_attributes),
     DIR(n_ldap_alias_attributes), NULL, 0, 0, NULL, NULL},
    {"ldap_personal_attribute", SG_CONF_STRING, DIR(ldap_personal_attribute), 0,
     NULL, 0, 0, NULL, NULL},
    {"ldap_children_attribute", SG_CONF_STRING, DIR(ldap_children_attribute), 0,
     NULL, 0, 0, NULL, NULL},
    {"ldap_name_attribute", SG_CONF_STRING, DIR(ldap_name_attribute), 0, NULL,
     0, 0, NULL, NULL},
    {"ldap_dob_attribute", SG_CONF_STRING, DIR(ldap_dob_attribute), 0, NULL, 0,
     0, NULL, NULL},
    {"ldap_left_attribute", SG_CONF_STRING, DIR(ldap_left_attribute), 0, NULL,
     0, 0, NULL, NULL},
    {"ldap_upn_attribute", SG_CONF_STRING, DIR(ldap_upn_attribute), 0, NULL,
     0, 0, NULL, NULL},
    {"ldap_memberof_attribute", SG_CONF_STRING, DIR(ldap_memberof_attribute), 0,
     NULL, 0, 0, NULL, NULL},
    {"ldap_role_filter", SG_CONF_MAP, DIR(ldap_role_filters),
     DIR(n_ldap_role_filters), NULL, 0, 0, NULL, NULL},
    {"ldap_role_group", SG_CONF_MAP, DIR(ldap_role_groups),
     DIR(n_ldap_role_groups), NULL, 0, 0, NULL, NULL},
    {"ldap_use_in_chain", SG_CONF_BOOL, DIR(ldap_use_in_chain), 0, NULL, 0, 0,
     NULL, NULL},
    {"ldap_group_ttl", SG_CONF_DURATION, DIR(ldap_group_ttl), 0, NULL, 1, DAY,
     NULL, NULL},
    {"ldap_page_size", SG_CONF_INT, DIR(ldap_page_size), 0, NULL, 1, 100000,
     NULL, NULL},
    {"ldap_disabled_filter", SG_CONF_STRING, DIR(ldap_disabled_filter), 0, NULL,
     0, 0, NULL, NULL},
    {"ldap_disabled_role", SG_CONF_STRING, DIR(ldap_disabled_role), 0, NULL, 0,
     0, NULL, NULL},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

static void
init(void *data)
{
    sg_dir_config_init(data);
}

/* The settings are checked (sg_dir_config_check) when the daemon opens
 * its runtime, before the backend is built: they name files and servers,
 * which the review tool, maybe on another host, does not need. */
const struct sg_settings_section sg_dir_settings_section = {
    .name = "directory",
    .entries = entries,
    .size = sizeof(struct sg_dir_config),
    .init = init,
};
