/*
 * sg_directory.h - libdirectory: address in, person out.
 *
 * (Interface agreed between the milter and the directory library; the
 * backends and the cache live behind it.)
 *
 * Four outcomes, as in Postfix's dictionaries: found, not found, temporary
 * failure (server down, timeout: the caller tempfails the message), and
 * configuration error.  A lookup error is never "not found": an outage must
 * not turn staff into outsiders.
 *
 * SECURITY: addresses come from the envelope (attacker-controlled); every
 * value placed in an LDAP filter is escaped per RFC 4515.
 * Thread-safe: libmilter calls lookups from many threads at once.
 */
#ifndef SG_DIRECTORY_H
#define SG_DIRECTORY_H

#include "sg_person.h"

enum sg_dir_status {
    SG_DIR_FOUND = 0,
    SG_DIR_NOTFOUND,
    SG_DIR_TEMPFAIL,
    SG_DIR_CONFIG,
};

struct sg_directory;

#endif
