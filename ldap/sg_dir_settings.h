/*
 * sg_dir_settings.h - the school directory's section of the configuration
 * file (directory_*, roles, role_*, cache_*, ldap_*: safeguard-directory(5))
 * over struct sg_dir_config, with sg_dir_config_init's defaults.
 */
#ifndef SG_DIR_SETTINGS_H
#define SG_DIR_SETTINGS_H

#include "sg_settings.h"

extern const struct sg_settings_section sg_dir_settings_section;

#endif
