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

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "mailqueue.h"
#include "sg_settings.h"

#define OFF(field) offsetof(struct sg_mailqueue_settings, field)
#define DAY        86400

/* host_name: "" (the machine's name) or a name as a store keeps it. */
static int
check_host_name(const char *value, const char **why_r)
{
    size_t n = strlen(value);
    if (n > 253) {
        *why_r = "a host name is at most 253 characters";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)value[i]) &&
            strchr(".-_", value[i]) == NULL) {
            *why_r = "a host name is letters, digits, '.', '-' and '_'";
            return -1;
        }
    }
    return 0;
}

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
    {"host_name", SG_CONF_STRING, OFF(host_name), 0, NULL, 0, 0, NULL,
     check_host_name},
    {"decision_poll_interval", SG_CONF_DURATION, OFF(decision_poll_interval),
     0, NULL, 1, 3600, NULL, NULL},
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
    s->host_name = (char *)"";
    s->decision_poll_interval = SG_MAILQUEUE_DECISION_POLL;
}

const char *
sg_mailqueue_host_name(const char *host_name, char *buf, size_t size)
{
    if (host_name != NULL && host_name[0] != '\0')
        return host_name;
    if (size == 0 || gethostname(buf, size) < 0)
        return "localhost";
    buf[size - 1] = '\0';
    return buf[0] != '\0' ? buf : "localhost";
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
