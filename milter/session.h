/*
 * session.h - what the milter knows about one SMTP connection and the
 * message in progress, and the phase functions the libmilter callbacks
 * call.  Nothing here includes libmilter, so the phases are unit-tested
 * directly; callbacks.c maps their status to SMFIS_* in one place.
 */
#ifndef SG_SESSION_H
#define SG_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "msgbuf.h"
#include "judge.h"
#include "outcome.h"
#include "sg_runtime.h"
#include "sg_person.h"

struct sg_rcpt_mta; /* judge.h */

enum sg_status {
    SG_CONTINUE = 0,
    SG_ACCEPT,   /* accept this message/recipient, no more callbacks */
    SG_REJECT,   /* 5xx */
    SG_TEMPFAIL, /* 4xx: the MTA keeps the message and retries */
};

struct sg_session {
    struct sg_runtime *rt; /* snapshot taken when the connection began */

    /* connection */
    char *client_addr; /* text form, "unknown" when the MTA gave none */
    char *client_name;
    bool trusted; /* client_addr in trusted_networks */
    unsigned long n_messages;
    bool notices_queued; /* this message's hold wrote notices to send */
    unsigned long proto_steps; /* SMFIP_* agreed with the MTA */
    bool smtp_client; /* the MTA can refuse one recipient at RCPT time (an
                         SMTP client; not local submission) */

    /* message in progress */
    bool in_message;
    bool failed; /* an internal error happened; eom applies failure_action */
    bool must_tempfail; /* ... and only a temporary failure is right (a
                           message to be held without its record) */
    const char *fail_reason;
    bool body_started; /* the header/body separator has been written */
    bool exempt; /* exempt correspondence (exempt_message.h): the body is
                    dropped unread, nothing is recorded */
    char *queue_id;
    char *auth_user;
    char *env_from;
    char **rcpts;
    size_t n_rcpts;
    /* who they are (directory lookups); NULL person: external */
    struct sg_sender sender_claims; /* every identity the sender claims
                                       (judge.h); more at end of message */
    const struct sg_person *sender; /* the envelope sender's, borrowed
                                       from sender_claims.claims[0] */
    enum sg_channel sender_channel;
    bool sender_forged; /* a school address from an untrusted client that
                           did not authenticate as its owner */
    struct sg_person **rcpt_people; /* parallel to rcpts */
    enum sg_channel *rcpt_channels;
    char **rcpt_via; /* parallel: the form Postfix delivers to, through
                        which the person was found, when it is not the
                        address as written (sg_judge_resolve_rcpt); or
                        NULL */
    /* X-Safeguard-* headers that came with the message (to remove) */
    struct sg_header_ref *own_headers;
    size_t n_own_headers;
    char *notice_mark;   /* the X-Safeguard-Notice value, if exactly one */
    int n_notice_marks;
    char *reinject_mark; /* the X-Safeguard-Reinject value, if one */
    int n_reinject_marks;
    uint64_t body_offset; /* where the body starts in raw */
    size_t n_headers;
    struct sg_msgbuf raw;
};

/* A session for a new connection; takes over the caller's reference on rt.
 * NULL on allocation failure. */
struct sg_session *sg_session_new(struct sg_runtime *rt);
/* The client: sa may be NULL (the MTA did not give an address). */
enum sg_status sg_session_connect(struct sg_session *s, const char *hostname,
                                  const struct sockaddr *sa);
void sg_session_free(struct sg_session **s);

enum sg_status sg_session_envfrom(struct sg_session *s, const char *from,
                                  const char *auth_user, const char *queue_id);
/* A recipient.  When a rule decidable now rejects it, returns SG_REJECT
 * and fills out (reply lines) for the MTA; out is the caller's, zeroed,
 * and freed with sg_outcome_free. */
enum sg_status sg_session_rcpt(struct sg_session *s, const char *rcpt,
                               struct sg_outcome *out);
/* The same, with what the MTA says it will do with the recipient (its
 * {rcpt_addr} and {rcpt_mailer}; NULL or its fields NULL when unknown):
 * the recipient is also looked up as the MTA resolves it. */
enum sg_status sg_session_rcpt_mta(struct sg_session *s, const char *rcpt,
                                   const struct sg_rcpt_mta *mta,
                                   struct sg_outcome *out);
enum sg_status sg_session_header(struct sg_session *s, const char *name,
                                 const char *value);
enum sg_status sg_session_body(struct sg_session *s, const void *data,
                               size_t len);
/* End of message: parse, evaluate, log the summary line, reset.  queue_id
 * (from the eom macros) overrides the one seen at MAIL FROM if given.
 * out (the caller's, zeroed, freed with sg_outcome_free) says what to ask
 * of the MTA: reply lines, quarantine, recipients and headers. */
enum sg_status sg_session_eom(struct sg_session *s, const char *queue_id,
                              struct sg_outcome *out);
/* The transaction was aborted (RSET, QUIT mid-message, MTA timeout). */
void sg_session_abort(struct sg_session *s);

/* A number that changes whenever a message or a connection has ended, in
 * any thread: the memory it used is then free (main.c gives it back). */
unsigned long sg_session_activity(void);

/* How many messages were exempt correspondence since the start, in all
 * threads (the periodic counters line). */
unsigned long sg_session_exempt_count(void);

/* The status for an internal error, per failure_action. */
enum sg_status sg_session_failure_status(const struct sg_session *s);

#endif
