/*
 * exempt_message.c - the decision of exempt_message.h: who is in the
 * message, one party at a time.
 */
#include "config.h"

#include "exempt.h" /* core: the list */
#include "exempt_message.h"

/* Who a party is, for the exemption. */
enum side {
    SIDE_OTHER = 0, /* a pupil, an outsider, a parent: inspect */
    SIDE_STAFF,
    SIDE_EXEMPT,
};

static enum side
side_of(const struct sg_config *cfg, const char *addr,
        const struct sg_person *person)
{
    /* a pupil's address is never exempt, even if the list names it (the
     * directory may have changed since the load) */
    if (sg_exempt_protected(person))
        return SIDE_OTHER;
    if (sg_exempt_address(cfg, addr))
        return SIDE_EXEMPT;
    return sg_person_has_role(person, SG_ROLE_STAFF) ? SIDE_STAFF
                                                     : SIDE_OTHER;
}

bool
sg_exempt_message(const struct sg_config *cfg,
                  const struct sg_sender *const *senders, size_t n_senders,
                  const struct sg_party *rcpts, size_t n_rcpts)
{
    if (cfg->n_exempt_addresses == 0 || n_rcpts == 0)
        return false;
    unsigned seen = 0; /* 1 << SIDE_* */
    for (size_t k = 0; k < n_senders; k++) {
        for (size_t i = 0; i < senders[k]->n_claims; i++) {
            const struct sg_sender_claim *c = &senders[k]->claims[i];
            if (c->forged)
                return false;
            seen |= 1u << side_of(cfg, c->address, c->person);
        }
    }
    for (size_t i = 0; i < n_rcpts; i++)
        seen |= 1u << side_of(cfg, rcpts[i].address, rcpts[i].person);
    return seen == ((1u << SIDE_STAFF) | (1u << SIDE_EXEMPT));
}

bool
sg_exempt_at_headers(const struct sg_runtime *rt,
                     const struct sg_sender *envelope,
                     const struct sg_msgview *headers, bool trusted,
                     const char *auth_user, const struct sg_party *rcpts,
                     size_t n_rcpts)
{
    const struct sg_config *cfg = rt->settings;
    const struct sg_sender *senders[2] = {envelope, NULL};
    if (!sg_exempt_message(cfg, senders, 1, rcpts, n_rcpts))
        return false; /* no header lookups for the usual message */
    struct sg_sender claims = {0};
    const char *error = NULL, *addr = NULL;
    senders[1] = &claims;
    bool exempt = sg_judge_sender_headers(rt, headers, trusted, auth_user,
                                          &claims, &addr, &error) == 0 &&
                  sg_exempt_message(cfg, senders, 2, rcpts, n_rcpts);
    sg_sender_free(&claims);
    return exempt;
}
