/*
 * judge.h - who is who, and what the rules say about a message.
 *
 * Shared by the daemon's end of message (session.c) and the offline
 * checker (safeguard-check), so that both decide the same way.
 */
#ifndef SG_JUDGE_H
#define SG_JUDGE_H

#include <stdbool.h>
#include <time.h>

#include "sg_buf.h"
#include "sg_runtime.h"
#include "sg_directory.h"
#include "sg_msgview.h"
#include "sg_person.h"
#include "sg_rules.h"

/* Strip one pair of angle brackets: "<a@b>" -> "a@b" (new string, NULL
 * on allocation failure). */
char *sg_addr_unbracket(const char *addr);

/* Who owns addr.  No directory, or an empty address: not found (external).
 * A failed lookup returns SG_DIR_TEMPFAIL or SG_DIR_CONFIG with *error_r;
 * it is never "external". */
enum sg_dir_status sg_judge_resolve(const struct sg_runtime *rt,
                                    const char *addr,
                                    struct sg_person **person_r,
                                    enum sg_channel *channel_r,
                                    const char **error_r);

/* What the MTA says it will do with a recipient: Postfix's {rcpt_addr}
 * (the address its resolver delivers to) and {rcpt_mailer} (the
 * transport).  Either may be NULL (another MTA, safeguard-check). */
struct sg_rcpt_mta {
    const char *addr;
    const char *mailer;
};

/* Who a recipient reaches.  Postfix may deliver an address in another
 * form than the one written (sg_dir_address_routes: the percent hack,
 * bang paths, quoted local parts, the server's address literals, no
 * domain), so every form is looked up, one without a domain in each of
 * the school's domains, and the recipient is the person found through
 * the innermost form that finds anyone: a person reached through any form
 * is never taken for an outsider.  The MTA's own resolution (mta, may be
 * NULL) adds its forms after these; when its transport is "local" the
 * local part alone reaches a local mailbox, and is looked up in each
 * school domain too.  *via_r (malloc'ed, or NULL) is the form the person
 * was found through when it is not the address as written.
 * *unfollowable_r is set, with SG_DIR_NOTFOUND, for an address with too
 * many forms to follow (who it reaches is unknown: the caller refuses
 * it).  A failed lookup of any form is SG_DIR_TEMPFAIL or SG_DIR_CONFIG
 * with *error_r. */
enum sg_dir_status
sg_judge_resolve_rcpt(const struct sg_runtime *rt, const char *addr,
                      const struct sg_rcpt_mta *mta,
                      struct sg_person **person_r, enum sg_channel *channel_r,
                      char **via_r, bool *unfollowable_r, const char **error_r);

/* The refusal of an unfollowable recipient (RFC 3463 5.1.3), one line. */
#define SG_RCPT_UNFOLLOWABLE_REPLY                                            \
    "Bad recipient address syntax: this address is written as a route "     \
    "through other addresses (%, ! or @ in the mailbox name), longer than " \
    "this server follows. Write the address plainly, as name@domain."

/* Who may have sent a message.  The sender is judged as each identity
 * the message claims, and the strongest verdict is taken:
 *  - the envelope sender (MAIL FROM), always claims[0];
 *  - the person the SMTP AUTH login belongs to, when the login does not
 *    already vouch for the envelope sender: a login with an '@' is looked
 *    up as an address, a bare one as LOGIN@DOMAIN for each of
 *    school_domains (every person found is a claim);
 *  - every address the From:, Sender: and Reply-To: headers show that is
 *    in a school domain or belongs to someone in the directory (known at
 *    the end of the message only).
 * Each claim passes the same trust test (sg_judge_claim_trust).  A claim
 * that maps to nobody adds nothing, so a login or header that maps to
 * nobody never makes the judgement more lenient than the envelope's.  A
 * null or unknown envelope sender outside the school's domains is
 * replaced by the people the other claims name: it is not also judged
 * as an outsider. */
enum sg_claim_source {
    SG_CLAIM_ENVELOPE = 1, /* MAIL FROM */
    SG_CLAIM_AUTH = 2,     /* the SMTP AUTH login's person */
    SG_CLAIM_HEADER = 4,   /* From:, Sender: or Reply-To: */
};

struct sg_sender_claim {
    char *address;            /* the address claimed */
    struct sg_person *person; /* NULL: external */
    enum sg_channel channel;
    unsigned sources; /* SG_CLAIM_* it was claimed through */
    bool forged;      /* a person's school-domain address that nobody
                         vouched for (sg_judge_claim_trust) */
};

struct sg_sender {
    struct sg_sender_claim *claims; /* [0] is the envelope sender */
    size_t n_claims;
    size_t judged; /* the claim whose verdict was taken (sg_judge_eval*);
                      0 until then */
    /* the school of a trust the message is about as the judged claim
     * sees it (sg_school_of_message, worked out once for each claim when
     * it is evaluated): what the record, the notices, the reply and the
     * subject tag name.  NULL: the one school, or none; NULL until then */
    const struct sg_school *school;
};

/* The trust test: a school-domain address of someone in the directory is
 * believed only from a trusted client or one that authenticated as its
 * owner; otherwise its owner is dropped (external) and *forged_r set.
 * (A school-domain address of nobody is external anyway; the rules' "via
 * spoofed" still sees its domain.)  An address outside the
 * school's domains keeps its owner (a parent registered under their own
 * address, a member of staff's personal account), wherever it comes
 * from: the filter cannot tell who may use an outside address. */
void sg_judge_claim_trust(const struct sg_runtime *rt, const char *addr,
                          struct sg_person **person, enum sg_channel *channel,
                          bool trusted, const char *auth_user, bool *forged_r);

/* The claims known at MAIL FROM: the envelope sender, and the login's
 * people.  0, or -1 when a lookup failed (*addr_r the address, *error_r
 * why) or on allocation failure (*addr_r NULL).  Free with
 * sg_sender_free, also after a failure. */
int sg_judge_sender_envelope(const struct sg_runtime *rt, const char *env_from,
                             bool trusted, const char *auth_user,
                             struct sg_sender *sender, const char **addr_r,
                             const char **error_r);

/* Add the claims of the view's From:, Sender: and Reply-To: headers.
 * -1 as sg_judge_sender_envelope, and also when the headers show more
 * addresses than the view keeps (*addr_r NULL). */
int sg_judge_sender_headers(const struct sg_runtime *rt,
                            const struct sg_msgview *view, bool trusted,
                            const char *auth_user, struct sg_sender *sender,
                            const char **addr_r, const char **error_r);

/* The judged claim as a party (pointing into sender). */
struct sg_party sg_sender_party(const struct sg_sender *sender, size_t i);

/* ":staff", ":external(forged)", ":pupil(personal)" for the judged
 * claim, and when it is not the envelope sender's, its source and
 * address: ":staff(auth) sender=<j.smith@school.example>". */
void sg_sender_describe(const struct sg_sender *sender, struct sg_buf *out);

void sg_sender_free(struct sg_sender *sender);

/* ":staff+dsl" (a person's roles), ":external" (nobody, or no roles). */
void sg_judge_put_roles(struct sg_buf *out, const struct sg_person *p);

/* Does the SMTP AUTH identity belong to person?  It matches the primary
 * address, an alias, or the local part of either (case-insensitive), the
 * usual shapes of a SASL user name. */
bool sg_auth_matches(const char *auth_user, const struct sg_person *person);

/* Evaluate the rules for a message, once for each of the sender's claims,
 * each by the rules of the school the message has with that claim as its
 * sender; the strongest verdict is kept, sender->judged says whose it was
 * (on a tie, the first claim that is a person) and sender->school that
 * claim's school.  With every matching rule's
 * explanations (what safeguard-check shows).  No rules configured: an
 * "accept" verdict with no matches.  -1 with *error_r when the evaluation
 * failed (the caller applies failure_action). */
int sg_judge_eval(const struct sg_runtime *rt, const struct sg_msgview *view,
                  struct sg_sender *sender, const struct sg_party *rcpts,
                  size_t n_rcpts, time_t now, struct sg_verdict **verdict_r,
                  const char **error_r);

/* The same for the MTA: the explanations are rendered only when the
 * verdict holds or rejects (the reply, the record and the notices read
 * them); otherwise they are NULL. */
int sg_judge_eval_mta(const struct sg_runtime *rt,
                      const struct sg_msgview *view, struct sg_sender *sender,
                      const struct sg_party *rcpts, size_t n_rcpts, time_t now,
                      struct sg_verdict **verdict_r, const char **error_r);

/* The rules that can be decided at RCPT time (sender and this one
 * recipient, no content), for rejecting that recipient there; the
 * explanations only for a reject, as sg_judge_eval_mta.  school is the
 * message's as these two parties make it (sg_school_of_message), which
 * the caller works out once for the rules, the record and the reply. */
int sg_judge_eval_rcpt(const struct sg_runtime *rt,
                       const struct sg_school *school,
                       const struct sg_party *sender,
                       const struct sg_party *rcpt, time_t now,
                       struct sg_verdict **verdict_r, const char **error_r);

/* "verdict=hold rules=pupil-to-staff-personal(hold),late-contact(test:hold)"
 * for the summary line; "+journal" joins a stronger action that also
 * journals. */
void sg_judge_describe(const struct sg_verdict *verdict, struct sg_buf *out);

#endif
