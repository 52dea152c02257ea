/*
 * store_settings.c - the store's section of the configuration file
 * (store, quarantine_db, quarantine_dir).  Its fields are struct
 * sg_config's (sg_config.h), where the code that opens the store reads
 * them.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sg_config.h"
#include "store.h"

#define OFF(field) offsetof(struct sg_config, field)

/* The store of held messages (store.c).  store is empty by default:
 * quarantine_db's file, as before it existed. */
static const struct sg_conf_entry entries[] = {
    {"store", SG_CONF_STRING, OFF(store), 0, "", 0, 0, NULL, NULL},
    {"quarantine_db", SG_CONF_STRING, OFF(quarantine_db), 0,
     SG_LOCALSTATEDIR "/lib/safeguard-milter/quarantine.db", 0, 0, NULL, NULL},
    {"quarantine_dir", SG_CONF_STRING, OFF(quarantine_dir), 0,
     SG_LOCALSTATEDIR "/lib/safeguard-milter/messages", 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

/* The store setting names a database this build can open.  The value
 * is never quoted back: a conninfo may hold a password. */
static int
finish(const struct sg_settings *all, void *data, const char **key_r, char *why,
       size_t why_len)
{
    (void)all;
    const struct sg_config *cfg = data;
    const char *v = cfg->store;
    if (v == NULL || *v == '\0')
        return 0;
    *key_r = "store";
    if (sg_store_file(v) == NULL) {
#ifndef HAVE_LIBPQ
        snprintf(why, why_len,
                 "store names a PostgreSQL database, but this "
                 "safeguard-milter "
                 "was built without PostgreSQL (configure "
                 "--with-postgresql)");
        return -1;
#else
        if (strchr(v, ':')[1] == '\0') {
            snprintf(why, why_len,
                     "store = postgresql: needs a conninfo or URI");
            return -1;
        }
        return 0;
#endif
    }
    if (strncmp(v, "sqlite:", 7) != 0) {
        snprintf(why, why_len,
                 "store must be sqlite:PATH or postgresql:CONNINFO");
        return -1;
    }
    if (sg_store_file(v)[0] != '/') {
        snprintf(why, why_len, "store = sqlite: needs an absolute path");
        return -1;
    }
    return 0;
}

const struct sg_settings_section sg_store_settings_section = {
    .name = "store",
    .entries = entries,
    .finish = finish,
};

const char *
sg_config_store(const struct sg_config *cfg)
{
    return cfg->store != NULL && *cfg->store != '\0' ? cfg->store
                                                     : cfg->quarantine_db;
}
