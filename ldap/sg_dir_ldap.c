/*
 * sg_dir_ldap.c - the `ldap` backend (placeholder until it lands).
 */
#include "config.h"

#include "sg_dir_internal.h"

enum sg_dir_status
sg_dir_ldap_open(const struct sg_dir_config *cfg,
                 struct sg_dir_backend **backend_r, const char **error_r)
{
    (void)cfg;
    *backend_r = NULL;
    *error_r = "the ldap backend is not available yet";
    return SG_DIR_CONFIG;
}
