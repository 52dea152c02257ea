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

/* The daemon's decision at the end of the headers (and safeguard-check's
 * account of it): sg_exempt_message over the envelope's claims (as at
 * MAIL FROM), the recipients, and the claims of headers' From:, Sender:
 * and Reply-To: (a view of the headers, or of the whole message), judged
 * on their own, without the envelope's: a school address other than the
 * login's own then counts as forged, which can only make an exemption
 * rarer.  A failed lookup or too many addresses: not exempt. */
bool sg_exempt_at_headers(const struct sg_runtime *rt,
                          const struct sg_sender *envelope,
                          const struct sg_msgview *headers, bool trusted,
                          const char *auth_user, const struct sg_party *rcpts,
                          size_t n_rcpts);

#endif
