/*
 * sg_review_settings.c - the review tool's settings: defaults and the
 * names of the expire actions (see sg_review_settings.h).
 */
#include "config.h"

#include <string.h>

#include "sg_review_settings.h"

const char *const sg_review_expire_action_names[] = {
    [SG_REVIEW_EXPIRE_DELETE] = "delete",
    [SG_REVIEW_EXPIRE_RELEASE] = "release",
    NULL,
};

const char *
sg_review_expire_action_name(enum sg_review_expire_action a)
{
    return (unsigned)a <= SG_REVIEW_EXPIRE_RELEASE
               ? sg_review_expire_action_names[a]
               : "?";
}

int
sg_review_expire_action_parse(const char *name,
                              enum sg_review_expire_action *a_r)
{
    for (unsigned i = 0; name != NULL && sg_review_expire_action_names[i];
         i++)
        if (strcmp(name, sg_review_expire_action_names[i]) == 0) {
            *a_r = (enum sg_review_expire_action)i;
            return 0;
        }
    return -1;
}

void
sg_review_settings_queue(struct sg_review_settings *s,
                         const struct sg_mailqueue_settings *q)
{
    s->release_command = q->release_command;
    s->delete_command = q->delete_command;
    s->queue_command = q->queue_command;
    s->release_helper = q->release_helper;
    s->command_timeout = q->command_timeout;
    s->reconcile_grace = q->reconcile_grace;
    s->host_name = q->host_name;
}

void
sg_review_settings_init(struct sg_review_settings *s)
{
    struct sg_mailqueue_settings q;
    sg_mailqueue_settings_init(&q);
    memset(s, 0, sizeof(*s));
    sg_review_settings_queue(s, &q);
    s->sla_hours = SG_REVIEW_SLA_HOURS;
    s->retention_days = SG_REVIEW_RETENTION_DAYS;
    s->retention_released_days = SG_REVIEW_RETENTION_RELEASED_DAYS;
    s->retention_conduct_days = SG_REVIEW_RETENTION_CONDUCT_DAYS;
    s->retention_welfare_days = SG_REVIEW_RETENTION_WELFARE_DAYS;
    s->hold_max_days = SG_REVIEW_HOLD_MAX_DAYS;
    s->expire_action = SG_REVIEW_EXPIRE_DELETE;
    s->decision_target = 86400; /* a day */
}
