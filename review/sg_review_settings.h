/*
 * sg_review_settings.h - the review tool's settings (the configuration
 * file's review_* keys: the mail queue commands, the response target,
 * retention) and their defaults.
 *
 * What the review library is opened with.  The review tool's sections of
 * the configuration file (review_settings.h) load them, and the mail
 * queue's commands come from the mail queue's section in core
 * (sg_review_settings_queue): the defaults are written once, in
 * sg_review_settings_init and mailqueue.h, and the sections leave them
 * alone unless the file sets a key.  Field types are the ones the tables
 * store: char * for text, int for numbers, durations and choices.
 *
 * No I/O, no allocation: the strings of an initialised struct are string
 * literals; whoever fills it from elsewhere owns what it puts in.
 */
#ifndef SG_REVIEW_SETTINGS_H
#define SG_REVIEW_SETTINGS_H

#include "mailqueue.h"

/* The defaults (the mail queue's are mailqueue.h's). */
#define SG_REVIEW_SLA_HOURS       24
#define SG_REVIEW_RETENTION_DAYS  365
#define SG_REVIEW_HOLD_MAX_DAYS   0 /* never expire held mail */
/* Retention of each class after the decision (doc/dpia.md says why);
 * SG_REVIEW_RETENTION_DAYS is the no-concern class's. */
#define SG_REVIEW_RETENTION_RELEASED_DAYS 30
#define SG_REVIEW_RETENTION_CONDUCT_DAYS  (6 * 365 + 2)  /* six years */
#define SG_REVIEW_RETENTION_WELFARE_DAYS  (25 * 365 + 7) /* 25 years */

/* What expire does with a message held longer than hold_max_days. */
enum sg_review_expire_action {
    SG_REVIEW_EXPIRE_DELETE = 0, /* delete from the hold queue: expired */
    SG_REVIEW_EXPIRE_RELEASE,    /* deliver it: released */
};
/* The names, in the order of the enum, NULL-terminated (the
 * review section's choices for review_expire_action). */
extern const char *const sg_review_expire_action_names[];
const char *sg_review_expire_action_name(enum sg_review_expire_action a);
int sg_review_expire_action_parse(const char *name,
                                  enum sg_review_expire_action *a_r);

struct sg_review_settings {
    char *release_command; /* {queue_id}; first word absolute; "": the
                              release helper */
    char *delete_command;  /* {queue_id}; deletes only held mail; "": the
                              release helper */
    char *queue_command;   /* prints Postfix JSON lines ("queue_id",
                              "queue_name"); "" or NULL: the queue is not
                              consulted (non-Postfix sites) */
    char *release_helper;  /* the release helper's socket, asked when
                              release_command or delete_command is "" */
    int command_timeout;   /* seconds */
    int sla_hours;         /* the response target */
    int retention_days;    /* records with no concern (refused,
                              delivered, archived, expired, lost) kept
                              after the decision; 0 never expire */
    int retention_released_days; /* released (false positives) */
    int retention_conduct_days;  /* rejected, staff-conduct track */
    int retention_welfare_days;  /* rejected, pupil-welfare track */
    int hold_max_days;     /* held mail expired after; 0 never */
    int expire_action;     /* enum sg_review_expire_action */
    char *host_name;       /* this host's name in the store ("": the
                              machine's; sg_mailqueue_host_name) */
    int reconcile_grace;   /* seconds a new record's message may take to
                              reach the hold queue before a record never
                              seen there counts as lost (hold_reconcile_grace;
                              more than Postfix's milter_content_timeout) */
    int decision_target;   /* seconds from hold to decision the provision
                              report measures against */
};

/* The defaults above. */
void sg_review_settings_init(struct sg_review_settings *s);

/* The mail queue's settings into s (the strings are q's). */
void sg_review_settings_queue(struct sg_review_settings *s,
                              const struct sg_mailqueue_settings *q);

#endif
