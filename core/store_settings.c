/*
 * store_settings.c - the store's section of the configuration file
 * (quarantine_db, quarantine_dir).  Its fields are struct sg_config's
 * (sg_config.h), where the code that opens the store reads them.
 */
#include "config.h"

#include <stddef.h>

#include "sg_config.h"

#define OFF(field) offsetof(struct sg_config, field)

/* The store of held messages (store.c). */
static const struct sg_conf_entry entries[] = {
    {"quarantine_db", SG_CONF_STRING, OFF(quarantine_db), 0,
     SG_LOCALSTATEDIR "/lib/safeguard-milter/quarantine.db", 0, 0, NULL, NULL},
    {"quarantine_dir", SG_CONF_STRING, OFF(quarantine_dir), 0,
     SG_LOCALSTATEDIR "/lib/safeguard-milter/messages", 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

const struct sg_settings_section sg_store_settings_section = {
    .name = "store",
    .entries = entries,
};
