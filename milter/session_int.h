/*
 * session_int.h - what session.c shares with session_record.c (the
 * record a verdict leaves, with its notices); not for other modules.
 */
#ifndef SG_SESSION_INT_H
#define SG_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "session.h"
#include "sg_msgview.h"
#include "sg_rules.h"

/* The queue id for a log line ("NOQUEUE" before the MTA gave one). */
static inline const char *
sg_session_qid(const struct sg_session *s)
{
    return s->queue_id != NULL ? s->queue_id : "NOQUEUE";
}

/* What a record is made from, besides the session. */
struct record_of {
    const struct sg_party *rcpts;
    size_t n_rcpts;
    const char *subject; /* NULL: none (or not known yet, at RCPT) */
    const struct sg_verdict *verdict;
    const struct sg_party *sender;  /* who it was judged to come from */
    const struct sg_school *school; /* the message's (NULL: the one) */
    bool with_copy;                 /* a hold: keep the message */
    time_t now;
};

/* Does the verdict leave a record? */
bool sg_session_wants_record(const struct sg_verdict *v);

/* A message a rule holds, or that a rule notifying the DSL refuses,
 * journals or annotates, is recorded (a held one with a copy) with its
 * notices before the MTA is answered; the record id comes back for the
 * headers and the log.  -1 when it cannot be: the message is then never
 * held, refused or delivered without its record (the caller tempfails).
 * *sender_told_r (may be NULL): a notice to the sender was queued. */
int sg_session_record(struct sg_session *s, const struct record_of *o,
                      char **record_r, bool *sender_told_r);

/* At end of message: the record the verdict asks for (*record_r, NULL
 * when none), and for a locally submitted message that is refused, the
 * sender's notice (*told_r: then the reply can be one line; when the
 * notice could not be made, the reply keeps the whole explanation).  0,
 * or -1 when the record could not be written. */
int sg_session_eom_record(struct sg_session *s, const struct sg_msgview *view,
                          const struct sg_party *rcpts,
                          const struct sg_verdict *verdict, time_t now,
                          char **record_r, bool *told_r);

#endif
