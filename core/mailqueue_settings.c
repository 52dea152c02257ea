/*
 * mailqueue_settings.c - the mail queue's section of the configuration
 * file: the commands that list the queue and release or delete a held
 * message (or the release helper's socket, and the postsuper it runs),
 * and how long a new record may wait for the hold queue.
 *
 * The keys keep their review_ names (safeguard-review was their first
 * user); the daemon reads them too, to reconcile its records with the
 * hold queue, so the section is here, in core, for both.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "mailqueue.h"
#include "sg_settings.h"

#define OFF(field) offsetof(struct sg_mailqueue_settings, field)
#define DAY        86400

/* The defaults are the init function's, written once (mailqueue.h). */
static const struct sg_conf_entry entries[] = {
    {"review_release_command", SG_CONF_STRING, OFF(release_command), 0, NULL, 0,
     0, NULL, NULL},
    {"review_delete_command", SG_CONF_STRING, OFF(delete_command), 0, NULL, 0,
     0, NULL, NULL},
    {"review_queue_command", SG_CONF_STRING, OFF(queue_command), 0, NULL, 0, 0,
     NULL, NULL},
    {"review_release_helper", SG_CONF_STRING, OFF(release_helper), 0, NULL, 0,
     0, NULL, NULL},
    {"release_helper_postsuper", SG_CONF_STRING, OFF(helper_postsuper), 0, NULL,
     0, 0, NULL, NULL},
    {"review_command_timeout", SG_CONF_DURATION, OFF(command_timeout), 0, NULL,
     1, 3600, NULL, NULL},
    {"hold_reconcile_grace", SG_CONF_DURATION, OFF(reconcile_grace), 0, NULL, 1,
     DAY, NULL, NULL},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

void
sg_mailqueue_settings_init(struct sg_mailqueue_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->release_command = (char *)SG_MAILQUEUE_RELEASE_COMMAND;
    s->delete_command = (char *)SG_MAILQUEUE_DELETE_COMMAND;
    s->queue_command = (char *)SG_MAILQUEUE_QUEUE_COMMAND;
    s->release_helper = (char *)SG_MAILQUEUE_HELPER_SOCKET;
    s->helper_postsuper = (char *)SG_MAILQUEUE_POSTSUPER;
    s->command_timeout = SG_MAILQUEUE_COMMAND_TIMEOUT;
    s->reconcile_grace = SG_MAILQUEUE_RECONCILE_GRACE;
}

static void
init(void *data)
{
    sg_mailqueue_settings_init(data);
}

const struct sg_settings_section sg_mailqueue_settings_section = {
    .name = "mail queue",
    .entries = entries,
    .size = sizeof(struct sg_mailqueue_settings),
    .init = init,
};
