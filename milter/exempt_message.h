/*
 * exempt_message.h - is a message exempt correspondence (core/exempt.h): between
 * a member of staff and an exempt party, with no one else in it?
 */
#ifndef SG_EXEMPT_MESSAGE_H
#define SG_EXEMPT_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "judge.h"
#include "sg_config.h"
#include "sg_person.h"

/* True when every sender claim (of each of the n_senders claim sets: the
 * envelope's and the headers') and every recipient is an exempt address
 * or a member of staff, none is a pupil or former pupil (whatever the
 * exempt list says of their address), no claim is forged, and there are
 * at least one exempt party and one member of staff among them.  Anyone
 * else in the message (a pupil, a parent, an outsider not exempt) and it
 * is inspected as usual. */
bool sg_exempt_message(const struct sg_config *cfg,
                       const struct sg_sender *const *senders,
                       size_t n_senders, const struct sg_party *rcpts,
                       size_t n_rcpts);

#endif
