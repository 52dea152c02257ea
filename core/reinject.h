/*
 * reinject.h - the header that lets a re-injected message through the
 * filter once.
 *
 * When a host is gone for good, its held messages are lost with its
 * queue; the store keeps a copy of each.  `safeguard-review reinject`
 * sends a released record's copy again through the local sendmail, with
 * SG_REINJECT_HEADER, so that this host's filter delivers it instead of
 * holding it again.  A plain header would be a way round the filter for
 * anyone, so the value is "RECORD; t=TIME; mac=TOKEN": a MAC under the
 * notice key (which only the filter's user reads) of the record id and
 * the time, in a context of its own (sg_notice_keyed_token).  The filter
 * trusts it only when the MAC is right, it is at most
 * SG_REINJECT_MAX_AGE old, and the store says the record was released
 * and re-injected and that no copy has been let through for that
 * re-injection yet (sg_store_reinject_take): so it works once, for the
 * record an administrator re-injected, and every X-Safeguard-* header is
 * removed from what is delivered, so no reader learns it.
 */
#ifndef SG_REINJECT_H
#define SG_REINJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "notice.h"

#define SG_REINJECT_HEADER  "X-Safeguard-Reinject"
#define SG_REINJECT_MAX_AGE 86400 /* seconds */
#define SG_REINJECT_ID_MAX  64    /* a record id's bytes, at most */

/* The header's value for record at now, into value (size bytes, at
 * least 160).  0, or -1. */
int sg_reinject_value(const struct sg_notice_key *key, const char *record,
                      time_t now, char *value, size_t size,
                      const char **error_r);

/* Is value (one header's, leading white space allowed) one that key made
 * at most SG_REINJECT_MAX_AGE before now?  1 and the record id in record
 * (SG_REINJECT_ID_MAX + 1 bytes), or 0 with a short reason. */
int sg_reinject_check(const struct sg_notice_key *key, const char *value,
                      time_t now, char *record, const char **why_r);

#endif
