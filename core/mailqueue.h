/*
 * mailqueue.h - the mail queue, reached through configured commands:
 * listing it ("postqueue -j", JSON lines with "queue_id" and
 * "queue_name"), and running a command on one queue id ("postsuper -H
 * {queue_id}").  The daemon (reconciling quarantine records with the hold
 * queue) and safeguard-review (decisions, sync) share it.
 *
 * Errors: functions return 0 or -1 with *error_r set as
 * common/sg_error.h describes.
 */
#ifndef SG_MAILQUEUE_H
#define SG_MAILQUEUE_H

#include <stdbool.h>
#include <stddef.h>

/* The longest listing read (bytes).  A longer one is an error, never
 * cut short: a message missing from a cut listing would look gone. */
#define SG_MAILQUEUE_LIST_MAX (64u * 1024 * 1024)

/* The release and delete commands' default: none, the release helper
 * (safeguard-release, below) acts instead.  The commands Postfix's sites
 * configured before the helper still work when set. */
#define SG_MAILQUEUE_RELEASE_COMMAND ""
#define SG_MAILQUEUE_DELETE_COMMAND  ""
/* Where the release helper listens (a root-owned socket that systemd
 * opens; safeguard-release.socket), and the postsuper it runs. */
#define SG_MAILQUEUE_HELPER_SOCKET "/run/safeguard-release.sock"
#define SG_MAILQUEUE_POSTSUPER     "/usr/sbin/postsuper"
#define SG_MAILQUEUE_QUEUE_COMMAND   "/usr/sbin/postqueue -j"
#define SG_MAILQUEUE_COMMAND_TIMEOUT 60  /* seconds */
#define SG_MAILQUEUE_RECONCILE_GRACE 900 /* seconds; see reconcile_grace */
#define SG_MAILQUEUE_DECISION_POLL   5   /* seconds; decision_poll_interval */

/* The mail queue's section of the configuration file (the daemon's
 * reconciliation and safeguard-review both use it; mailqueue_settings.c):
 * review_release_command, review_delete_command, review_queue_command,
 * review_release_helper, release_helper_postsuper,
 * review_command_timeout, hold_reconcile_grace, host_name,
 * decision_poll_interval.  Field types are the
 * table's: char * for text, int for durations. */
struct sg_mailqueue_settings {
    char *release_command; /* {queue_id}; first word absolute; "": ask
                              the release helper */
    char *delete_command;  /* {queue_id}; deletes only held mail; "": ask
                              the release helper */
    char *queue_command;   /* prints Postfix JSON lines ("queue_id",
                              "queue_name"); "": the queue is not
                              consulted (non-Postfix sites) */
    char *release_helper;  /* the helper's socket (review_release_helper) */
    char *helper_postsuper; /* what the helper runs, "-H ID" or "-d ID
                               hold" added (release_helper_postsuper) */
    int command_timeout;   /* seconds */
    int reconcile_grace;   /* seconds a new record's message may take to
                              reach the hold queue before a record never
                              seen there counts as lost (more than
                              Postfix's milter_content_timeout) */
    char *host_name;       /* this mail server's name in the store ("":
                              the machine's, sg_mailqueue_host_name) */
    int decision_poll_interval; /* seconds between the daemon's looks for
                                   decisions to carry out here */
};
/* The defaults above (the strings are literals). */
void sg_mailqueue_settings_init(struct sg_mailqueue_settings *s);
struct sg_settings_section;
extern const struct sg_settings_section sg_mailqueue_settings_section;

/* This host's name in the store: host_name (the setting), or when it is
 * "" or NULL the machine's (gethostname, into buf of size bytes). */
const char *sg_mailqueue_host_name(const char *host_name, char *buf,
                                   size_t size);

/* Where the mail queue says a message is. */
enum sg_mailqueue_state {
    SG_MAILQUEUE_UNKNOWN = 0, /* no queue command configured */
    SG_MAILQUEUE_HOLD,        /* in the hold queue */
    SG_MAILQUEUE_OTHER,       /* in the queue, but not on hold */
    SG_MAILQUEUE_ABSENT,      /* not in the queue at all */
};
/* "in the hold queue", "not in the mail queue", ... */
const char *sg_mailqueue_state_name(enum sg_mailqueue_state s);

/* A queue id as the commands accept it: 1-64 letters and digits. */
bool sg_mailqueue_id_ok(const char *queue_id);

/* Run a command template with {queue_id} replaced (execv, no shell,
 * standard input /dev/null), waiting at most timeout seconds.  0 when it
 * exits 0; -1 with the reason and the first line it wrote otherwise.
 * The whole output (stdout and stderr, at most 1 MiB) in *output_r when
 * output_r is not NULL (free it).  queue_id must be letters and digits;
 * NULL when the template has no {queue_id}. */
int sg_mailqueue_run(const char *tmpl, const char *queue_id,
                     unsigned timeout, char **output_r, const char **error_r);

/* ---------------------------------------------------- the release helper
 *
 * safeguard-release runs as root, started by systemd for each connection
 * to its socket (review/safeguard-release.c).  It takes one line,
 * "release RECORD_ID" or "delete RECORD_ID", reads that record from the
 * store itself, and runs postsuper on the record's queue id only if the
 * store says the record was just released (or rejected or expired); it
 * answers one line, "ok TEXT" or "no TEXT", and closes.  The caller never
 * names a queue id or a command. */
#define SG_MAILQUEUE_HELPER_LINE_MAX 512 /* a request or an answer */

/* A record id as the helper accepts it: 1-64 letters, digits and '-'. */
bool sg_mailqueue_record_id_ok(const char *record_id);

/* Ask the helper listening on socket_path to "release" or "delete"
 * (op) record_id, waiting for its answer at most 30 seconds longer than
 * timeout, the time the helper gives postsuper.  0 when
 * it answered "ok"; -1 with its answer ("no ...") or why it could not be
 * asked. */
int sg_mailqueue_ask_helper(const char *socket_path, const char *op,
                            const char *record_id, unsigned timeout,
                            const char **error_r);

/* One listing of the mail queue. */
struct sg_mailqueue {
    bool unknown; /* no queue command: every id is UNKNOWN */
    char **ids;
    char **names; /* "hold", "deferred", ... */
    size_t n;
};

/* List the queue with command (NULL or "": q->unknown).  A command that
 * fails, a line that starts a JSON object but does not parse, and a
 * listing longer than SG_MAILQUEUE_LIST_MAX are errors. */
int sg_mailqueue_load(const char *command, unsigned timeout,
                      struct sg_mailqueue *q, const char **error_r);
/* The same, for a listing already read (len bytes of text): the lines
 * that start with "{" are JSON objects; those with string "queue_id" and
 * "queue_name" are kept. */
int sg_mailqueue_parse(const char *text, size_t len, struct sg_mailqueue *q,
                       const char **error_r);
void sg_mailqueue_free(struct sg_mailqueue *q);
/* Where queue_id is; *name_r (may be NULL) the queue's name when found. */
enum sg_mailqueue_state sg_mailqueue_find(const struct sg_mailqueue *q,
                                          const char *queue_id,
                                          const char **name_r);

/* Carry out a decision on this host's hold queue: release (else delete)
 * queue_id, the message of record record_id, with the configured
 * command, or with the release helper when the command is "" (which
 * acts only when the store says so), and check that it left the hold
 * queue.  A message not in the hold queue needs nothing (postsuper -H
 * and -d ... hold act only on held mail, so doing a decision twice
 * delivers once).  0 with what was done in outcome (size bytes), or -1
 * with the reason (the message may still be held). */
int sg_mailqueue_carry_out(const struct sg_mailqueue_settings *s, bool release,
                           const char *queue_id, const char *record_id,
                           char *outcome, size_t size, const char **error_r);

#endif
