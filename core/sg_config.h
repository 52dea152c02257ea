/*
 * sg_config.h - the settings the daemon's modules read: the configuration
 * file's sections that live in core/ and below, composed and loaded.
 *
 * Each module declares its section of keys beside its code (name, type,
 * default, bounds, check: common/sg_settings.h); core/settings.h reads the
 * file into them.  Composed here: the milter's own (socket, timeouts,
 * logging) and the school and its rules (sg_config.c), the store
 * (store_settings.c), notices (notice_settings.c), the mail queue
 * (mailqueue_settings.c), attachment text (extract_settings.c) and the
 * directory (ldap/sg_dir_settings.c).  A
 * program with sections of its own (safeguard-review) adds them with
 * sg_config_load_with; the others leave its keys (review_*) to it.
 *
 * Loaded settings are plain values, never changed after the load and
 * finish; what they name (directory, rules, notices, store) is opened by
 * sg_runtime_open (sg_runtime.h).
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "extract_run.h"
#include "mailqueue.h"
#include "netlist.h"
#include "settings.h"
#include "sg_directory.h"

enum sg_failure_action {
    SG_FAIL_TEMPFAIL = 0,
    SG_FAIL_ACCEPT,
    SG_FAIL_REJECT,
};

struct sg_config {
    struct sg_settings file; /* the composition; file.path: the file read,
                                NULL for defaults */

    /* The milter's own. */
    char *socket;
    char *user;
    char *pidfile;
    char *syslog_facility;
    int log_level; /* enum sg_log_level */
    char **trusted_networks;
    size_t n_trusted_networks;
    struct sg_network *networks; /* parsed trusted_networks */
    size_t n_networks;
    uint64_t message_buffer_size;
    char *tmpdir;
    int failure_action; /* enum sg_failure_action */
    int milter_timeout; /* seconds */
    int backlog;
    int stats_interval; /* seconds between counter log lines; 0 never */
    int hold_reconcile_interval; /* seconds between checks of the quarantine
                                    records against the hold queue; 0 never */

    /* The school and its rules. */
    char *rules_file;
    bool allow_no_rules; /* a rule set with no rule may load */
    char *scan_cache_dir; /* compiled scan databases kept; "" none */
    char **school_domains;
    size_t n_school_domains;
    char **school_phone_numbers;
    size_t n_school_phone_numbers;
    char **school_postcodes;
    size_t n_school_postcodes;
    char **school_social_accounts; /* "@name", "instagram.com/name" */
    size_t n_school_social_accounts;
    char **personal_email_domains; /* beyond the rules' built-in list */
    size_t n_personal_email_domains;
    char *timezone;
    int image_small_pixels;        /* attachment ... small: at most */
    uint64_t image_small_bytes;    /* this many pixels and bytes */
    char *dsl_contact;
    char *exceptions_register;
    char *journal_address; /* the safeguarding archive; "" none */
    char *subject_tag;     /* prefixed to annotated subjects; "" none */
    char *policy_name;     /* the policy notices cite ({policy}); "" none */
    /* The schools of a trust (school.h), in the file's order; none: the
     * file is one school's. */
    struct sg_school **schools;
    size_t n_schools;
    struct sg_settings_block school_block; /* the reader's hooks */
    char **exempt_addresses; /* correspondence not read (exempt.h) */
    size_t n_exempt_addresses;

    /* The store. */
    char *store;           /* "sqlite:PATH" or "postgresql:CONNINFO"; "":
                              quarantine_db (sg_config_store) */
    char *quarantine_db;   /* the quarantine record (SQLite) */
    char *quarantine_dir;  /* copies of held messages */

    /* Notices to the sender and the DSL of a held message. */
    char *notice_from;     /* "" : notices off */
    char *notice_from_name;
    char *notice_templates;
    char *notice_sendmail;
    char *notice_secret_file;
    int notice_timeout;
    int notice_retry_max_age; /* seconds a notice is retried, at most */
    int notice_retry_interval; /* seconds before the first retry */
    char **dsl_addresses;
    size_t n_dsl_addresses;
    /* the staff-conduct track's notices (empty: dsl_addresses), and the
     * chair of governors' for a concern about a headteacher */
    char **conduct_addresses;
    size_t n_conduct_addresses;
    char **headteacher_addresses;
    size_t n_headteacher_addresses;
    char **chair_of_governors_addresses;
    size_t n_chair_of_governors_addresses;
    /* a trust's: one digest of every school's waiting records (and of
     * those of no school), whoever else reads of them */
    char **trust_dsl_addresses;
    size_t n_trust_dsl_addresses;
    char *review_url; /* the review page's address for links; "": none */

    struct sg_mailqueue_settings mailqueue; /* its commands (review_*_
                                               command), reconcile grace */
    struct sg_extract_opts extract; /* extract_*: attachment text */
    struct sg_dir_config dir;       /* the school directory */
};

/* The core's sections whose fields are struct sg_config's, beside their
 * modules: the store's (store_settings.c) and the notices'
 * (notice_settings.c). */
extern const struct sg_settings_section sg_store_settings_section;
extern const struct sg_settings_section sg_notice_settings_section;

/* An item check: item is a mail address (name@domain). */
int sg_config_check_address(const char *item, const char **why_r);

/* An item check: item is a time zone (UTC or a zoneinfo name). */
int sg_config_check_timezone(const char *item, const char **why_r);

/* Defaults only (no file). */
struct sg_config *sg_config_defaults(const char **error_r);
/* Load path over the defaults.  On error returns NULL and sets *error_r to
 * "FILE:LINE: reason" (common/sg_error.h). */
struct sg_config *sg_config_load(const char *path, const char **error_r);
/* The usual start: load path if it exists, or if it was named explicitly
 * (must_exist); otherwise the built-in defaults. */
struct sg_config *sg_config_load_default(const char *path, bool must_exist,
                                         const char **error_r);
/* Load from a string (tests); name is used in error messages. */
struct sg_config *sg_config_load_string(const char *text, const char *name,
                                        const char **error_r);
/* As sg_config_load_default and sg_config_load_string, with the program's
 * own sections (NULL-terminated) composed after core's: their keys are
 * then checked here, not left to another program.  Their values:
 * sg_settings_data(&cfg->file, section). */
struct sg_config *
sg_config_load_with(const char *path, bool must_exist,
                    const struct sg_settings_section *const *extra,
                    const char **error_r);
struct sg_config *
sg_config_load_string_with(const char *text, const char *name,
                           const struct sg_settings_section *const *extra,
                           const char **error_r);

/* The file's name for messages ("configuration" for the defaults), and
 * the line a key was set at (0: not in the file). */
const char *sg_config_name(const struct sg_config *cfg);
/* Where the record store is (sg_store_open's location): the store
 * setting, or quarantine_db's file when it is empty. */
const char *sg_config_store(const struct sg_config *cfg);
unsigned sg_config_line(const struct sg_config *cfg, const char *name);

/* The notice settings of cfg, for sg_notice_open (the strings are cfg's). */
struct sg_notice_config;
void sg_config_notice(const struct sg_config *cfg,
                      struct sg_notice_config *nc_r);

/* Split a listening address, HOST:PORT or [IPV6]:PORT (review_listen),
 * into host (brackets removed, at most host_size - 1 bytes) and port
 * (1 to 65535).  -1 with a short reason in *why_r. */
int sg_config_listen(const char *spec, char *host, size_t host_size,
                     unsigned *port_r, const char **why_r);

/* Override one key after loading (command-line options such as -p). */
int sg_config_set(struct sg_config *cfg, const char *name, const char *value,
                  const char **error_r);

/* Override several keys, each "NAME=VALUE" (safeguard-review's -o), and
 * only then check the keys against each other, as a load does (so that a
 * pair such as review_tls_cert and review_tls_key can be given one by
 * one). */
int sg_config_override(struct sg_config *cfg, const char *const *assignments,
                       size_t n, const char **error_r);

void sg_config_free(struct sg_config **cfg);

/* -n: when the file set keys left to another program's sections
 * (review_*), a line after prefix saying how many and how to check them;
 * nothing otherwise. */
void sg_config_print_foreign(const struct sg_config *cfg, const char *prefix,
                             FILE *out);

/* Write every key with its value, in file syntax (for -n -v / docs). */
int sg_config_dump(const struct sg_config *cfg, FILE *out);

#endif
