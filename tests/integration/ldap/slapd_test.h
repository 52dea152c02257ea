/*
 * slapd_test.h - what the programs run against the test slapd share:
 * where run.sh started it (SG_LDAP_URI, SG_LDAP_DIR, SG_LDAP_CTL), the
 * files it made there, and the directory settings that reach it as the
 * service account cn=milter.
 */
#ifndef SLAPD_TEST_H
#define SLAPD_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_directory.h"

#define BASE   "dc=school,dc=example"
#define GROUPS "ou=Groups," BASE

/* run.sh's slapd: its URI, its directory, its start/stop script */
extern char *uri, *dir_path, *ctl;
/* the service password, one slapd refuses, the CA that signed slapd's
 * certificate and one that did not */
extern char password_file[512], bad_password_file[512], ca_file[512],
    other_ca_file[512];

/* Read run.sh's environment; false (with a SKIP line on stderr) when the
 * program was not started by run.sh. */
bool slapd_test_init(void);

/* The ldap backend on uris, base dc=school,dc=example, bound as
 * cn=milter, people are inetOrgPerson entries, short timeouts; the rest
 * the library's defaults. */
void slapd_test_config(struct sg_dir_config *cfg, char **uris, size_t n_uris);

#endif
