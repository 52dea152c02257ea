/*
 * exempt.h - correspondence the filter must not read: the addresses and
 * domains of exempt_addresses (a union representative, occupational
 * health, HR casework, the employee assistance line).
 *
 * Mail between a member of staff and an exempt party is accepted without
 * its body being buffered, parsed or read by the rules, leaves no record,
 * and is logged as one line that names no one (milter/exempt.h decides a
 * message).  An exemption is never a way round the rules: a pupil among
 * the parties, or anyone who is neither staff nor exempt, and the message
 * is inspected as any other.  An exempt address that belongs to a pupil,
 * or an exempt domain that is one of the school's, stops the load.
 */
#ifndef SG_EXEMPT_H
#define SG_EXEMPT_H

#include <stdbool.h>

#include "sg_config.h"
#include "sg_directory.h"
#include "sg_person.h"

/* An item check for exempt_addresses: name@domain (one mailbox), or
 * @domain or domain (every mailbox of that domain). */
int sg_exempt_item_check(const char *item, const char **why_r);

/* Is addr (name@domain, no angle brackets) exempt? */
bool sg_exempt_address(const struct sg_config *cfg, const char *addr);

/* Is person one the exemption must never cover: a pupil or a former
 * pupil?  NULL (an outsider) is not. */
bool sg_exempt_protected(const struct sg_person *person);

/* At load: no exempt domain may be a school domain (it would cover the
 * pupils' mail), and no exempt address may be a pupil's (dir, may be
 * NULL, is asked; a lookup that fails is not an error here, as every
 * message is checked again).  -1 with *error_r "FILE:LINE: reason". */
int sg_exempt_verify(const struct sg_config *cfg, struct sg_directory *dir,
                     const char **error_r);

#endif
