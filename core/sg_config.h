/*
 * sg_config.h - the daemon's configuration: one table drives loading.
 *
 * The file is `name = value` lines; `#` starts a comment; a line that
 * starts with white space continues the previous one (as in Postfix's
 * main.cf).  Every key is in the table in sg_config.c with its type,
 * default and bounds; an unknown key, a bad value or a key given twice is
 * an error naming the file and line.
 *
 * A loaded configuration is an immutable, reference-counted snapshot:
 * a reload builds a new one and swaps it in; connections in flight keep
 * the one they started with.
 */
#ifndef SG_CONFIG_H
#define SG_CONFIG_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "extract_run.h"
#include "sg_directory.h"
#include "notice.h"
#include "store.h"
#include "sg_review_settings.h"
#include "sg_rules.h"

enum sg_failure_action {
    SG_FAIL_TEMPFAIL = 0,
    SG_FAIL_ACCEPT,
    SG_FAIL_REJECT,
};

/* How the review web page checks who logs in (review_auth). */
enum sg_review_auth {
    SG_REVIEW_AUTH_FILE = 0, /* review_password_file */
    SG_REVIEW_AUTH_LDAP,     /* a bind as the user; review_dsl_group */
};

struct sg_network {
    int family; /* AF_INET or AF_INET6 */
    unsigned char addr[16];
    unsigned prefix;
};

struct sg_config {
    atomic_int refs;
    char *path; /* file it was loaded from, NULL for defaults */
    unsigned *key_lines; /* the line each key was set at, by index in
                            sg_conf_table (0: not in the file); NULL
                            when not loaded from a file */

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
    char *quarantine_db;   /* the quarantine record (SQLite) */
    char *quarantine_dir;  /* copies of held messages */
    /* notices to the sender and the DSL of a held message */
    char *notice_from;     /* "" : notices off */
    char *notice_from_name;
    char *notice_templates;
    char *notice_sendmail;
    char *notice_secret_file;
    int notice_timeout;
    char **dsl_addresses;
    size_t n_dsl_addresses;
    char *subject_tag;     /* prefixed to annotated subjects; "" none */

    /* The review tool (review_*): its settings, defaults in
     * sg_review_settings_init; and its web page. */
    struct sg_review_settings review;
    struct sg_extract_opts extract; /* extract_*: attachment text */
    char *review_listen;    /* HOST:PORT or [V6]:PORT (sg_config_listen) */
    char *review_tls_cert;  /* "": no TLS */
    char *review_tls_key;
    int review_auth;        /* enum sg_review_auth */
    char *review_password_file;
    char *review_dsl_group; /* DN, for review_auth = ldap */
    char **review_login_attributes; /* what a login name may match (ldap) */
    size_t n_review_login_attributes;
    int review_session_idle;   /* seconds */
    int review_session_max;    /* seconds */
    int review_login_attempts; /* free failures of a name from a client */
    int review_login_lockout;  /* the longest wait, seconds */
    char **review_trusted_proxy; /* whose X-Forwarded-For is believed */
    size_t n_review_trusted_proxy;
    int review_request_timeout;    /* seconds for a request and its answer */
    int review_client_connections; /* at once from one address */
    int review_max_connections;    /* at once in all */

    /* The school directory: settings, and the directory opened from them
     * by sg_config_open (NULL when none is configured). */
    struct sg_dir_config dir;
    struct sg_directory *directory;

    /* Opened by sg_config_open: the compiled rules (NULL when rules_file
     * is empty) and the exceptions register (NULL when none). */
    struct sg_rules *rules;
    struct sg_register *exceptions;
    struct sg_notice *notice; /* NULL: notices off (notice_from empty) */

    /* The quarantine store, opened on first use (sg_config_quarantine) so
     * that its files belong to the user the daemon runs as. */
    pthread_mutex_t quarantine_lock;
    struct sg_store *quarantine;
};

/* The table's value types. */
enum sg_conf_type {
    SG_CONF_STRING,
    SG_CONF_INT,
    SG_CONF_BOOL,
    SG_CONF_SIZE,     /* bytes, with optional k/m/g suffix (1024-based) */
    SG_CONF_DURATION, /* seconds, with optional s/m/h/d suffix */
    SG_CONF_LIST,     /* comma and/or white space separated words */
    SG_CONF_CSV,      /* comma separated items that may contain spaces
                         (phone numbers, postcodes) */
    SG_CONF_ENUM,     /* one of choices; stored as its index (int) */
    SG_CONF_MAP,      /* NAME.KEY = value, repeatable with different KEYs;
                         stored as "KEY=value" in a list */
};

struct sg_conf_entry {
    const char *name;
    enum sg_conf_type type;
    size_t offset;       /* of the field in struct sg_config */
    size_t count_offset; /* SG_CONF_LIST: offset of the size_t count */
    const char *def;     /* default, written as in the file; NULL: the
                            library's own default (sg_dir_config_init,
                            sg_review_settings_init) */
    long long min, max;  /* bounds for INT, SIZE, DURATION */
    const char *const *choices; /* SG_CONF_ENUM, NULL-terminated */
};

extern const struct sg_conf_entry sg_conf_table[];

/* Defaults only (no file). */
struct sg_config *sg_config_defaults(const char **error_r);
/* Load path over the defaults.  On error returns NULL and sets *error_r to
 * "FILE:LINE: reason" (a thread-local buffer, valid until the next call). */
struct sg_config *sg_config_load(const char *path, const char **error_r);
/* The usual start: load path if it exists, or if it was named explicitly
 * (must_exist); otherwise the built-in defaults. */
struct sg_config *sg_config_load_default(const char *path, bool must_exist,
                                         const char **error_r);
/* Load from a string (tests); name is used in error messages. */
struct sg_config *sg_config_load_string(const char *text, const char *name,
                                        const char **error_r);
/* Open what the settings name (the directory, the rules, the exceptions
 * register).  Call once on a loaded
 * snapshot before it is used for mail; -1 with *error_r otherwise. */
int sg_config_open(struct sg_config *cfg, const char **error_r);

/* The notice settings of cfg, for sg_notice_open (the strings are cfg's). */
void sg_config_notice(const struct sg_config *cfg,
                      struct sg_notice_config *nc_r);

/* The snapshot's quarantine store, opened on first call.  NULL with
 * *error_r when it cannot be opened (the caller tempfails the message). */
struct sg_store *sg_config_quarantine(struct sg_config *cfg,
                                      const char **error_r);

/* Split a listening address, HOST:PORT or [IPV6]:PORT (review_listen),
 * into host (brackets removed, at most host_size - 1 bytes) and port
 * (1 to 65535).  -1 with a short reason in *why_r. */
int sg_config_listen(const char *spec, char *host, size_t host_size,
                     unsigned *port_r, const char **why_r);

/* Override one key after loading (command-line options such as -p, and
 * safeguard-review's -o). */
int sg_config_set(struct sg_config *cfg, const char *name, const char *value,
                  const char **error_r);

/* Override several keys, each "NAME=VALUE" (safeguard-review's -o), and
 * only then check the keys against each other, as a load does (so that a
 * pair such as review_tls_cert and review_tls_key can be given one by
 * one). */
int sg_config_override(struct sg_config *cfg, const char *const *assignments,
                       size_t n, const char **error_r);

struct sg_config *sg_config_ref(struct sg_config *cfg);
void sg_config_unref(struct sg_config **cfg);

/* The process-wide current snapshot.  get returns a new reference (NULL
 * before the first set); set takes over the caller's reference. */
struct sg_config *sg_config_current(void);
void sg_config_set_current(struct sg_config *cfg);

/* Write every key with its value, in file syntax (for -n -v / docs). */
int sg_config_dump(const struct sg_config *cfg, FILE *out);

#endif
