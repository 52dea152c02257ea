/*
 * slapd_test.c - run.sh's environment and the settings for its slapd
 * (see slapd_test.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "slapd_test.h"

char *uri, *dir_path, *ctl;
char password_file[512], bad_password_file[512], ca_file[512],
    other_ca_file[512];

bool
slapd_test_init(void)
{
    uri = getenv("SG_LDAP_URI");
    dir_path = getenv("SG_LDAP_DIR");
    ctl = getenv("SG_LDAP_CTL");
    if (uri == NULL || dir_path == NULL || ctl == NULL) {
        fprintf(stderr, "SKIP: run through run.sh (no test slapd)\n");
        return false;
    }
    snprintf(password_file, sizeof(password_file), "%s/password", dir_path);
    snprintf(bad_password_file, sizeof(bad_password_file), "%s/bad-password",
             dir_path);
    snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", dir_path);
    snprintf(other_ca_file, sizeof(other_ca_file), "%s/other-ca.pem", dir_path);
    return true;
}

void
slapd_test_config(struct sg_dir_config *cfg, char **uris, size_t n_uris)
{
    sg_dir_config_init(cfg);
    cfg->backend = SG_DIR_BACKEND_LDAP;
    cfg->ldap_uris = uris;
    cfg->n_ldap_uris = n_uris;
    cfg->ldap_base = BASE;
    cfg->ldap_bind_dn = "cn=milter," BASE;
    cfg->ldap_bind_password_file = password_file;
    cfg->ldap_user_filter = "(objectClass=inetOrgPerson)";
    cfg->ldap_timeout = 3;
    cfg->ldap_connect_timeout = 2;
}
