/*
 * review_decide.c - the DSL's decisions on held messages: release,
 * reject (delete), escalate, notes, and syncing the records with what the
 * mail queue holds.  A release or a rejection has two texts for two
 * audiences: the note for the record (required; kept in the audit, shown
 * to reviewers, never mailed) and an optional message to the sender
 * (mailed to the member of staff, credited to the reviewer, and kept in
 * a "told-sender" audit row with the words sent).
 *
 * A decision on a held message runs in this order, under an exclusive
 * lock on a file beside the database (so two reviewers, or a reviewer and
 * `expire`, never act on one message at once): read the record; refuse
 * if it is already decided; ask the mail queue where the message is (a
 * message that is gone or no longer on hold was released or deleted by
 * hand: the record is updated with a note saying so, and the caller told);
 * run the release or delete command; check that the message left the
 * hold queue; change the status from what it was (compare-and-set in
 * core/store.c, with its audit row).  If the command fails, nothing
 * changes but an audit row saying so.  With no command configured, the
 * release helper acts (safeguard-release, as root): it takes a record id
 * and acts only on what the store says was decided, so the status is
 * changed first, then the helper asked, and the status set back (with
 * an audit row) if the message did not leave the hold queue.  Postfix's `postsuper -H` and
 * `postsuper -d ID hold` act only on held mail, so a message that was
 * released elsewhere in the meantime is never deleted.
 *
 * With several mail servers on one store, the message waits in the hold
 * queue of the host that received it (the record's host).  A decision
 * on another host's message changes the status only (compare-and-set, so
 * of two reviewers one wins and the other is told), and the store adds,
 * in the same transaction, the row that host's daemon carries out
 * (core/store_hosts.h, milter/pickup.c).  On the record's own host the
 * decision is carried out at once, as above, and its row marked done.
 *
 * SECURITY: the records are read and changed through core/store.h only;
 * every decision leaves an audit row naming who acted.  Queue ids are checked
 * before they reach a command.
 *
 * Fails by returning -1 (or SG_REVIEW_GONE and the like) with a
 * error string (common/sg_error.h).  Never logs, never exits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "review_int.h"
#include "store_hosts.h"

/* ------------------------------------------------------------ the lock */

static int
lock_take(struct sg_review *r, const char **error_r)
{
    int fd = -1;
    const char *err = NULL;
    if (sg_store_lock(r->q, true, &fd, &err) != 0)
        return sg_review_keep(error_r, "", err);
    return fd;
}

/* ------------------------------------------------------------ decisions */

static const char *
op_verb(enum sg_review_op op)
{
    switch (op) {
    case SG_REVIEW_OP_RELEASE:
    case SG_REVIEW_OP_EXPIRE_RELEASE:
        return "release";
    case SG_REVIEW_OP_REJECT:
    case SG_REVIEW_OP_EXPIRE_DELETE:
        return "delete";
    case SG_REVIEW_OP_ESCALATE:
    default:
        return "escalate";
    }
}

/* "already released by alice (command line) on ...: note" */
static int
wrong_status(struct sg_review *r, const struct sg_store_record *rec,
             const char **error_r)
{
    const char *status = sg_store_status_name(rec->status);
    if (sg_store_status_unheld(rec->status))
        return sg_review_failc(
            SG_REVIEW_WRONG_STATUS, error_r,
            "record %s is about a message that was not held (%s): there is "
            "no message to release or delete; you can add a note to it",
            rec->id, sg_store_status_title(rec->status));
    struct sg_store_audit_row *rows = NULL;
    size_t n = 0;
    const char *err = NULL;
    char who[256] = "", when[64];
    sg_review_time(r, rec->status_changed, SG_TIME_SHORT, when, sizeof(when));
    /* who decided is a courtesy: without it the answer stands */
    if (sg_store_audit_rows(r->q, rec->id, status, 0, &rows, &n, &err) == 0 &&
        n > 0) {
        const struct sg_store_audit_row *a = &rows[n - 1];
        const char *c = a->client;
        snprintf(who, sizeof(who), " by %s%s%s%s", a->actor, c ? " (" : "",
                 c ? c : "", c ? ")" : "");
    }
    sg_store_audit_rows_free(&rows, &n);
    return sg_review_failc(SG_REVIEW_WRONG_STATUS, error_r,
                           "record %s was already %s%s on %s: nothing done",
                           rec->id, status, who, when);
}

/* The queue does not hold rec's message: update the record and say so
 * (SG_REVIEW_GONE), or say that it is not on hold yet.  Called with the
 * lock held. */
static int
mark_gone(struct sg_review *r, const struct sg_store_record *rec,
          enum sg_mailqueue_state qs, const char *qname,
          const struct sg_review_actor *actor, const char **error_r)
{
    char note[768];
    enum sg_store_status to = rec->status;
    const char *err = NULL;
    int rc = sg_store_queue_check(r->q, rec, qs, qname, time(NULL),
                                  (time_t)r->s.reconcile_grace, actor->user,
                                  actor->from, &to, note, sizeof(note), &err);
    if (rc != 0 && rc != SG_STORE_CHANGED)
        return sg_review_keep(error_r, "", err);
    if (rc == 0)
        return sg_review_fail(error_r,
                              "record %s: queue id %s is %s, and the "
                              "message has not been seen on hold yet: "
                              "nothing done; try again in a few "
                              "minutes",
                              rec->id, rec->queue_id,
                              sg_mailqueue_state_name(qs));
    return sg_review_failc(SG_REVIEW_GONE, error_r,
                           "record %s: %s; the record is now %s", rec->id, note,
                           sg_store_status_title(to));
}

/* The record, if the decision op may be made on it: 0 and *rec_r, or an
 * error (a refusal is audited).  Called with the lock held. */
static int
get_undecided(struct sg_review *r, const char *id,
              const struct sg_review_actor *actor, enum sg_review_op op,
              struct sg_store_record **rec_r, const char **error_r)
{
    const char *err = NULL;
    int rc = sg_review_get(r, id, actor, rec_r, error_r);
    if (rc != 0)
        return rc;
    const struct sg_store_record *rec = *rec_r;
    bool from_ok = op == SG_REVIEW_OP_ESCALATE ? rec->status == SG_QSTATUS_HELD
                                               : sg_review_waiting(rec->status);
    if (!from_ok) {
        int ret = wrong_status(r, rec, error_r);
        char msg[SG_REVIEW_ERR_MAX], why[SG_REVIEW_ERR_MAX + 32];
        snprintf(msg, sizeof(msg), "%s", *error_r);
        snprintf(why, sizeof(why), "%s refused: %s", op_verb(op), msg);
        sg_review_audit(r, rec->id, actor, "refused", why, &err);
        return sg_review_failc(ret, error_r, "%s", msg);
    }
    if (!sg_mailqueue_id_ok(rec->queue_id))
        return sg_review_fail(error_r, "record %s has an unusable queue id",
                              rec->id);
    return 0;
}

/* 0 when the mail queue may still hold rec's message; otherwise the
 * record is updated as mark_gone says, or nothing is done (-1). */
static int
check_queue(struct sg_review *r, const struct sg_store_record *rec,
            const struct sg_review_actor *actor, const char **error_r)
{
    struct sg_mailqueue q;
    const char *err = NULL;
    if (sg_review_queue_load(r, &q, error_r) < 0) {
        char why[SG_REVIEW_ERR_MAX];
        snprintf(why, sizeof(why), "%s", *error_r);
        sg_review_audit(r, rec->id, actor, "failed", why, &err);
        return sg_review_fail(
            error_r, "cannot list the mail queue, nothing done: %s", why);
    }
    const char *qname = NULL;
    enum sg_mailqueue_state qs = sg_mailqueue_find(&q, rec->queue_id, &qname);
    int ret = 0;
    if (qs == SG_MAILQUEUE_OTHER || qs == SG_MAILQUEUE_ABSENT)
        ret = mark_gone(r, rec, qs, qname, actor, error_r);
    sg_mailqueue_free(&q);
    return ret;
}

/* What op makes of the record, and the command it runs (NULL: none). */
static enum sg_store_status
op_target(const struct sg_review *r, enum sg_review_op op, const char **cmd_r)
{
    *cmd_r = NULL;
    switch (op) {
    case SG_REVIEW_OP_RELEASE:
    case SG_REVIEW_OP_EXPIRE_RELEASE:
        *cmd_r = r->s.release_command;
        return SG_QSTATUS_RELEASED;
    case SG_REVIEW_OP_REJECT:
        *cmd_r = r->s.delete_command;
        return SG_QSTATUS_REJECTED;
    case SG_REVIEW_OP_EXPIRE_DELETE:
        *cmd_r = r->s.delete_command;
        return SG_QSTATUS_EXPIRED;
    case SG_REVIEW_OP_ESCALATE:
    default:
        return SG_QSTATUS_ESCALATED;
    }
}

/* Did the release or delete take rec's message out of the hold queue?
 * 0, or -1 with the failure audited. */
static int
left_hold(struct sg_review *r, const struct sg_store_record *rec,
          const struct sg_review_actor *actor, enum sg_review_op op,
          const char **error_r)
{
    const char *err = NULL;
    struct sg_mailqueue q;
    if (sg_review_queue_load(r, &q, &err) == 0) {
        enum sg_mailqueue_state qs = sg_mailqueue_find(&q, rec->queue_id, NULL);
        sg_mailqueue_free(&q);
        if (qs == SG_MAILQUEUE_HOLD) {
            char why[300];
            snprintf(why, sizeof(why),
                     "the %s command ran but queue id %s is still on hold",
                     op_verb(op), rec->queue_id);
            sg_review_audit(r, rec->id, actor, "failed", why, &err);
            return sg_review_fail(error_r, "%s; the record is unchanged", why);
        }
    }
    return 0;
}

/* Run the release or delete command and check that the message left the
 * hold queue: 0, or -1 with the failure audited. */
static int
run_command(struct sg_review *r, const struct sg_store_record *rec,
            const struct sg_review_actor *actor, enum sg_review_op op,
            const char *cmd, const char **error_r)
{
    const char *err = NULL;
    if (sg_mailqueue_run(cmd, rec->queue_id, (unsigned)r->s.command_timeout,
                         NULL, &err) < 0) {
        char why[SG_REVIEW_ERR_MAX];
        snprintf(why, sizeof(why), "could not %s queue id %s: %s", op_verb(op),
                 rec->queue_id, err);
        sg_review_audit(r, rec->id, actor, "failed", why, &err);
        return sg_review_fail(error_r,
                              "%s; the message is still held and "
                              "the record unchanged",
                              why);
    }
    return left_hold(r, rec, actor, op, error_r);
}

/* The release helper's way (no release or delete command configured):
 * the record already says to, as the helper checks; ask it, and check
 * that the message left the hold queue.  If not, the record goes back to
 * what it was (to is what the decision made it), so the message is still
 * waiting for a decision: 0, or -1 with the failure audited. */
static int
ask_helper(struct sg_review *r, const struct sg_store_record *rec,
           const struct sg_review_actor *actor, enum sg_review_op op,
           enum sg_store_status to, const char **error_r)
{
    const char *err = NULL;
    char why[SG_REVIEW_ERR_MAX];
    int ret = 0;
    if (sg_mailqueue_ask_helper(r->s.release_helper, op_verb(op), rec->id,
                                (unsigned)r->s.command_timeout, &err) < 0) {
        snprintf(why, sizeof(why), "could not %s queue id %s: %s", op_verb(op),
                 rec->queue_id, err);
        sg_review_audit(r, rec->id, actor, "failed", why, &err);
        sg_review_fail(error_r, "%s", why);
        ret = -1;
    } else if (left_hold(r, rec, actor, op, error_r) < 0) {
        ret = -1;
    }
    if (ret == 0)
        return 0;
    snprintf(why, sizeof(why), "%s", *error_r);
    if (sg_store_set_status(r->q, rec->id, to, rec->status, actor->user,
                            actor->from, why, &err) < 0)
        return sg_review_fail(error_r,
                              "%s; the message is still held, but the "
                              "record could not be set back to %s (%s): "
                              "run safeguard-review sync",
                              why, sg_store_status_name(rec->status), err);
    return sg_review_fail(error_r, "%s; the message is still held and the "
                                   "record unchanged",
                          why);
}

/* Is rec's message in this host's hold queue?  A record made before
 * hosts were kept is (there was one host).  0 and *here, or -1. */
static int
held_here(struct sg_review *r, const struct sg_store_record *rec, bool *here,
          char **host_r, const char **error_r)
{
    const char *err = NULL;
    *here = true;
    if (sg_store_record_host(r->q, rec->id, host_r, &err) != 0)
        return sg_review_keep(error_r, "", err);
    *here = *host_r == NULL || strcmp(*host_r, r->s.host_name) == 0;
    return 0;
}

/* A decision on a message another host holds: the status changed from
 * what it was (compare-and-set), and with it, in its transaction, the row
 * for that host to carry out (core/store_hosts.h).  Nothing is asked of
 * this host's mail queue, which does not have the message.  A reviewer
 * who decided first elsewhere wins, and this one is told. */
static int
decide_elsewhere(struct sg_review *r, const struct sg_store_record *rec,
                 const struct sg_review_actor *actor, const char *note,
                 enum sg_store_status to, const char **error_r)
{
    const char *err = NULL;
    int rc = sg_store_set_status(r->q, rec->id, rec->status, to, actor->user,
                                 actor->from, note, &err);
    if (rc == 0)
        return 0;
    if (rc != SG_STORE_WRONG_STATUS)
        return sg_review_keep(error_r, "", err);
    struct sg_store_record *now = NULL;
    if (sg_store_get(r->q, rec->id, &now, &err) != 0)
        return sg_review_keep(error_r, "", err);
    rc = wrong_status(r, now, error_r);
    sg_store_record_free(&now);
    return rc;
}

/* The decision was carried out here at once (done), or not (set back):
 * either way this host's row for it asks for nothing more.  A row left
 * pending would only be found done by the daemon (the message is not on
 * hold), so a failure here changes nothing. */
static void
settle(struct sg_review *r, const struct sg_store_record *rec, bool done)
{
    const char *err = NULL;
    (void)sg_store_decisions_settle(
        r->q, rec->id, r->s.host_name, time(NULL),
        done ? "carried out at once by safeguard-review on this host"
             : "not carried out: the record was set back",
        &err);
}

int
sg_review_decide(struct sg_review *r, const char *id,
                 const struct sg_review_actor *actor, const char *note,
                 enum sg_review_op op, const char **error_r)
{
    if (!sg_review_actor_ok(actor) || id == NULL)
        return sg_review_fail(error_r, "missing record or actor");
    if (note == NULL || *note == '\0')
        return sg_review_fail(error_r, "a note is required: say why");
    int lock = lock_take(r, error_r);
    if (lock < 0)
        return -1;
    struct sg_store_record *rec = NULL;
    const char *err = NULL, *cmd = NULL;
    enum sg_store_status to = op_target(r, op, &cmd);
    char *host = NULL;
    bool here = true;
    int ret = get_undecided(r, id, actor, op, &rec, error_r);
    if (ret == 0)
        ret = held_here(r, rec, &here, &host, error_r);
    if (ret == 0 && !here) {
        ret = decide_elsewhere(r, rec, actor, note, to, error_r);
        goto out;
    }
    if (ret == 0)
        ret = check_queue(r, rec, actor, error_r);
    /* "": the release helper, which acts only once the record says so */
    bool helper = cmd != NULL && *cmd == '\0';
    if (ret == 0 && cmd != NULL && !helper)
        ret = run_command(r, rec, actor, op, cmd, error_r);
    if (ret != 0)
        goto out;
    ret = sg_store_set_status(r->q, rec->id, rec->status, to, actor->user,
                              actor->from, note, &err);
    if (ret == 0 && helper) {
        ret = ask_helper(r, rec, actor, op, to, error_r);
        settle(r, rec, ret == 0);
        goto out;
    }
    if (ret == 0)
        settle(r, rec, true);
    if (ret != 0 && cmd != NULL && !helper) {
        char why[SG_REVIEW_ERR_MAX];
        snprintf(why, sizeof(why), "%s", err);
        sg_review_fail(error_r,
                       "the message was %sd in the mail queue, but "
                       "the record could not be updated (%s): run "
                       "safeguard-review sync",
                       op_verb(op), why);
    } else if (ret != 0) {
        sg_review_keep(error_r, "", err);
    }
    if (ret != 0)
        ret = -1;
out:
    if (ret == 0) /* else the next expire run dates it */
        sg_review_retention_assign(r, rec->id);
    free(host);
    sg_store_record_free(&rec);
    sg_store_unlock(lock);
    return ret;
}

int
sg_review_escalate(struct sg_review *r, const char *id,
                   const struct sg_review_actor *actor, const char *note,
                   const char **error_r)
{
    return sg_review_decide(r, id, actor, note, SG_REVIEW_OP_ESCALATE, error_r);
}

static bool
school_address(const struct sg_review *r, const char *addr)
{
    const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
    if (at == NULL)
        return false;
    for (size_t i = 0; i < r->n_school_domains; i++)
        if (strcasecmp(at + 1, r->school_domains[i]) == 0)
            return true;
    return false;
}

bool
sg_review_text_given(const char *text)
{
    for (const char *p = text; p != NULL && *p != '\0'; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return true;
    return false;
}

/* The record, if its sender may be told (notices configured, a school
 * address that authenticated or came from a trusted network): checked
 * before anything is done, so that a forged outside sender never makes
 * us mail anyone.  0 and *rec_r, or an error. */
static int
tellable(struct sg_review *r, const char *id, const char *verb,
         struct sg_store_record **rec_r, const char **error_r)
{
    const char *err = NULL;
    if (r->ncfg == NULL)
        return sg_review_fail(error_r, "cannot tell the sender: notices "
                                       "are not configured (notice_from); "
                                       "nothing done");
    int rc = id != NULL ? sg_store_get(r->q, id, rec_r, &err) : -1;
    if (rc == SG_STORE_NOT_FOUND)
        return sg_review_failc(SG_REVIEW_NOT_FOUND, error_r,
                               "no quarantine record %.80s", id);
    if (rc != 0)
        return sg_review_keep(error_r, "", err);
    const struct sg_store_record *rec = *rec_r;
    if (school_address(r, rec->env_from) &&
        (rec->auth_user != NULL || rec->trusted))
        return 0;
    sg_review_fail(error_r,
                   "cannot tell the sender of %s: <%s> is not a school "
                   "address that authenticated; nothing done (%s without "
                   "a message to the sender)",
                   rec->id, rec->env_from, verb);
    sg_store_record_free(rec_r);
    return -1;
}

/* Mail the sender of rec the reviewer's message (kind: released or
 * rejected), credited to the reviewer. */
static int
notice_sender(struct sg_review *r, const struct sg_store_record *rec,
              enum sg_notice_kind kind, const struct sg_review_actor *actor,
              const char *message, bool *sent_r, const char **error_r)
{
    struct sg_store_rcpt *rcpts = NULL;
    size_t n = 0;
    const char *err = NULL;
    if (sg_store_rcpts(r->q, rec->id, &rcpts, &n, &err) < 0)
        return sg_review_keep(error_r, "", err);
    struct sg_buf list = SG_BUF_INIT;
    for (size_t i = 0; i < n; i++)
        sg_buf_printf(&list, "%s%s", i > 0 ? "\n" : "", rcpts[i].address);
    sg_store_rcpts_free(&rcpts, &n);
    if (sg_buf_failed(&list)) {
        sg_buf_free(&list);
        return sg_review_fail(error_r, "out of memory");
    }
    char date[80];
    sg_review_time(r, rec->created, SG_TIME_LONG, date, sizeof(date));
    struct sg_notice_config nc;
    const char *contact = NULL; /* the record's school's, in a trust */
    (void)sg_review_school_notice(r, rec->school, &nc, &contact);
    struct sg_notice_values v = {
        .record = rec->id,
        .queue_id = rec->queue_id,
        .sender = rec->env_from,
        .recipients = list.data,
        .subject = rec->subject,
        .explanation = message,
        .dsl = contact,
        .school = rec->school,
        .date = date,
        .reviewer = actor->user,
    };
    const char *to[] = {rec->env_from};
    int rc =
        sg_review_notice_send(r, kind, &v, to, 1, rec->id, sent_r, error_r);
    sg_buf_free(&list);
    return rc;
}

/* A release or a rejection, and the reviewer's message to the sender if
 * there is one: the note stays with the record (its audit row), only the
 * message is mailed, and the notice is audited with the words sent. */
static int
decide_and_tell(struct sg_review *r, const char *id,
                const struct sg_review_actor *actor,
                const struct sg_review_words *w, enum sg_review_op op,
                const char **error_r)
{
    bool tell = w != NULL && sg_review_text_given(w->to_sender);
    bool release = op == SG_REVIEW_OP_RELEASE;
    struct sg_store_record *rec = NULL;
    const char *err = NULL;
    if (tell) {
        int rc = tellable(r, id, op_verb(op), &rec, error_r);
        if (rc != 0)
            return rc;
    }
    int ret =
        sg_review_decide(r, id, actor, w != NULL ? w->note : NULL, op, error_r);
    if (ret == 0 && tell) {
        bool sent = false;
        enum sg_notice_kind kind =
            release ? SG_NOTICE_RELEASED_SENDER : SG_NOTICE_REJECTED_SENDER;
        if (notice_sender(r, rec, kind, actor, w->to_sender, &sent, &err) < 0) {
            char why[SG_REVIEW_ERR_MAX];
            snprintf(why, sizeof(why), "could not tell the sender <%s>: %s",
                     rec->env_from, err);
            sg_review_audit(r, rec->id, actor, "notice-failed", why, &err);
            ret =
                sg_review_failc(SG_REVIEW_NOTICE_FAILED, error_r, "%s, but %s",
                                release ? "released" : "rejected", why);
        } else {
            /* the words sent, for the record: what the sender was told */
            struct sg_buf what = SG_BUF_INIT;
            sg_buf_printf(&what,
                          sent ? "sent to <%s>: %s"
                               : "queued for <%s> (sendmail did not take it "
                                 "yet; it is retried: safeguard-review "
                                 "outbox): %s",
                          rec->env_from, w->to_sender);
            if (sg_buf_failed(&what))
                ret = sg_review_fail(error_r, "out of memory");
            else if (sg_review_audit(r, rec->id, actor, SG_REVIEW_TOLD_SENDER,
                                     what.data, error_r) < 0)
                ret = -1;
            sg_buf_free(&what);
        }
    }
    sg_store_record_free(&rec);
    return ret;
}

int
sg_review_release(struct sg_review *r, const char *id,
                  const struct sg_review_actor *actor,
                  const struct sg_review_words *w, const char **error_r)
{
    return decide_and_tell(r, id, actor, w, SG_REVIEW_OP_RELEASE, error_r);
}

int
sg_review_reject(struct sg_review *r, const char *id,
                 const struct sg_review_actor *actor,
                 const struct sg_review_words *w, const char **error_r)
{
    return decide_and_tell(r, id, actor, w, SG_REVIEW_OP_REJECT, error_r);
}

int
sg_review_note(struct sg_review *r, const char *id,
               const struct sg_review_actor *actor, const char *note,
               const char **error_r)
{
    if (!sg_review_actor_ok(actor) || id == NULL)
        return sg_review_fail(error_r, "missing record or actor");
    if (note == NULL || *note == '\0')
        return sg_review_fail(error_r, "the note is empty");
    struct sg_store_record *rec = NULL;
    int rc = sg_review_get(r, id, actor, &rec, error_r);
    if (rc != 0)
        return rc;
    sg_store_record_free(&rec);
    return sg_review_audit(r, id, actor, "note", note, error_r);
}

/* ids of waiting records (oldest first), created at or before until */
int
sg_review_waiting_ids(struct sg_review *r, time_t until, char ***ids_r,
                      size_t *n_r, const char **error_r)
{
    const char *err = NULL;
    if (sg_store_waiting_ids(r->q, until, ids_r, n_r, &err) < 0)
        return sg_review_keep(error_r, "", err);
    return 0;
}

static void
sync_report(void *ctx, const struct sg_store_record *rec,
            enum sg_store_status to, const char *note)
{
    FILE *report = ctx;
    if (report != NULL)
        fprintf(report, "record %s: %s; the record is now %s\n", rec->id, note,
                sg_store_status_title(to));
}

int
sg_review_sync(struct sg_review *r, const struct sg_review_actor *actor,
               FILE *report, size_t *n_gone_r, const char **error_r)
{
    if (!sg_review_actor_ok(actor))
        return sg_review_fail(error_r, "sync: missing actor");
    if (n_gone_r != NULL)
        *n_gone_r = 0;
    struct sg_store_reconcile o = {
        .queue_command = r->s.queue_command,
        .timeout = (unsigned)r->s.command_timeout,
        .now = time(NULL),
        .grace = (time_t)r->s.reconcile_grace,
        .wait = true,
        .actor = actor->user,
        .client = actor->from,
        .host = r->s.host_name, /* this host's queue is listed */
        .each = sync_report,
        .ctx = report,
    };
    struct sg_store_reconcile_result res;
    const char *err = NULL;
    if (sg_store_reconcile(r->q, &o, &res, &err) != 0)
        return sg_review_keep(error_r, "", err);
    char note[160];
    snprintf(note, sizeof(note),
             "%zu waiting records checked, %zu gone, %zu not kept by the "
             "mail system",
             res.checked, res.gone, res.lost);
    if (n_gone_r != NULL)
        *n_gone_r = res.gone + res.lost;
    return sg_review_audit(r, NULL, actor, "sync", note, error_r);
}
