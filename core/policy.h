/*
 * policy.h - the policy changelog: what a daemon runs on, recorded in
 * the store each time it changes, so that leaders can show governors
 * what is blocked or allowed, since when, by whom and why (the DfE's
 * filtering and monitoring standards).
 *
 * A version of the policy is one text: the rules file as it is on disk
 * and the configuration as sg_config_dump writes it, with every secret
 * left out (a value whose key names a password or secret, a database
 * location with a password).  Its SHA-256 is its hash.  A version is
 * recorded when its hash differs from the latest one this host (its
 * host_name) recorded (at start
 * and at each reload), or at once with a note (safeguard-milter -n
 * --record "why"); the row keeps the diff from the version before, the
 * files' owner(s) and the note.
 */
#ifndef SG_POLICY_H
#define SG_POLICY_H

#include <stddef.h>
#include <time.h>

#include "sg_config.h"
#include "store.h"

/* The policy's text for cfg (malloc'ed), or NULL with *error_r (a rules
 * file that cannot be read). */
char *sg_policy_text(const struct sg_config *cfg, const char **error_r);

/* The owner(s) of the configuration and rules files, "root" or
 * "root, dsl" (malloc'ed; "" when none can be found); NULL: out of
 * memory. */
char *sg_policy_owner(const struct sg_config *cfg);

/* A unified diff of two texts, line by line, with three lines of
 * context ("" when they are the same); NULL: out of memory. */
char *sg_policy_diff(const char *old_text, const char *new_text);

/* Record the policy of cfg in q if it changed since the latest version
 * recorded, or whatever it is when note is given (not NULL or ""):
 * 1 recorded, 0 unchanged, -1 with *error_r. */
int sg_policy_record(struct sg_store *q, const struct sg_config *cfg,
                     const char *note, time_t now, const char **error_r);

#endif
