/*
 * extract_settings.c - the extract_* section of the configuration file:
 * how attachment text is read by the helper safeguard-extract(8).
 */
#include "config.h"

#include <stddef.h>

#include "extract_run.h"
#include "sg_settings.h"

#define OFF(field) offsetof(struct sg_extract_opts, field)

static const struct sg_conf_entry entries[] = {
    {"extract_attachments", SG_CONF_BOOL, OFF(enabled), 0, "yes", 0, 0, NULL,
     NULL},
    {"extract_helper", SG_CONF_STRING, OFF(helper), 0,
     SG_PKGLIBEXECDIR "/safeguard-extract", 0, 0, NULL, NULL},
    {"extract_timeout", SG_CONF_DURATION, OFF(timeout), 0, "10s", 1, 300, NULL,
     NULL},
    {"extract_message_timeout", SG_CONF_DURATION, OFF(message_timeout), 0,
     "60s", 1, 3600, NULL, NULL},
    {"extract_max_attachments", SG_CONF_INT, OFF(max_attachments), 0, "32", 1,
     1000, NULL, NULL},
    {"extract_max_size", SG_CONF_SIZE, OFF(max_size), 0, "32m", 1024,
     (long long)1 << 30, NULL, NULL},
    {"extract_max_text", SG_CONF_SIZE, OFF(max_text), 0, "4m", 1024,
     (long long)1 << 30, NULL, NULL},
    {"extract_memory", SG_CONF_SIZE, OFF(memory), 0, "512m",
     (long long)64 << 20, (long long)16 << 30, NULL, NULL},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

const struct sg_settings_section sg_extract_settings_section = {
    .name = "attachment text",
    .entries = entries,
    .size = sizeof(struct sg_extract_opts),
};
