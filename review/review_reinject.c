/*
 * review_reinject.c - a host gone for good: send a released record's
 * stored copy again through this host's sendmail, to the record's
 * original recipients from its envelope sender, and see that the copy
 * still in the gone host's hold queue is deleted, not delivered, if that
 * host ever comes back.
 *
 * In this order, under the review lock: the record must be another
 * host's, and released (or held or escalated, and released here first
 * when the administrator says --release, with the note); the store then
 * records, in one transaction, that it was re-injected (an audit row),
 * that the gone host's pending decisions are superseded, and a row for
 * that host to delete queue id Q (core/store_hosts.h); only then is the
 * copy handed to sendmail, with the keyed header that lets it through
 * this host's filter once (core/reinject.h).  If sendmail does not take
 * it, nothing is lost: the store's copy stays, the message is still held
 * on the gone host, and reinject can be run again.
 *
 * SECURITY: an administrator's command, every use audited.  The header's
 * MAC needs the notice key, and the filter lets the copy through only for
 * a record the store says was released and re-injected, once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "reinject.h"
#include "review_int.h"
#include "sg_buf.h"
#include "store_hosts.h"

/* The message to hand to sendmail: the header, then the copy with LF
 * line ends, read as every reader reads it (the database's copy where
 * it keeps one: this host's file may be another host's, or not synced).
 * 0 or -1. */
static int
build(const struct sg_review *r, const struct sg_store_record *rec,
      const char *header, struct sg_buf *out, const char **error_r)
{
    const char *path = rec->message_path;
    char why[512];
    int fd = -1;
    int rc = sg_review_copy_fd(r, rec, &fd, why, sizeof(why), error_r);
    if (rc != 0)
        return rc < 0 ? -1 : sg_review_fail(error_r, "%s", why);
    sg_buf_printf(out, "%s: %s\n", SG_REINJECT_HEADER, header);
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        for (ssize_t i = 0; i < n; i++)
            if (chunk[i] != '\r' || (i + 1 < n && chunk[i + 1] != '\n'))
                sg_buf_putc(out, chunk[i]);
    int e = errno;
    close(fd);
    if (n < 0)
        return sg_review_fail(error_r, "cannot read the stored copy %s: %s",
                              path, strerror(e));
    if (sg_buf_failed(out) || memchr(out->data, '\0', out->len) != NULL)
        return sg_review_fail(error_r, "the stored copy %s cannot be sent "
                                       "(out of memory, or a NUL byte)",
                              path);
    return 0;
}

/* Hand the copy to sendmail, to the record's recipients. */
static int
send_copy(struct sg_review *r, const struct sg_store_record *rec,
          const char **error_r)
{
    struct sg_notice_key *key = NULL;
    struct sg_notice_sender *sender = NULL;
    struct sg_store_rcpt *rcpts = NULL;
    size_t n = 0;
    struct sg_buf msg = SG_BUF_INIT;
    const char *err = NULL;
    char header[256];
    int ret = -1;
    const char **to = NULL;
    if (sg_notice_secret_load(r->ncfg->secret_file, &key, &err) < 0 ||
        sg_reinject_value(key, rec->id, time(NULL), header, sizeof(header),
                          &err) < 0 ||
        sg_store_rcpts(r->q, rec->id, &rcpts, &n, &err) < 0 ||
        sg_notice_sender_new(r->ncfg->sendmail, r->ncfg->timeout * 1000u,
                             &sender, &err) < 0) {
        sg_review_keep(error_r, "", err);
        goto out;
    }
    if (n == 0 || (to = calloc(n, sizeof(*to))) == NULL) {
        sg_review_fail(error_r, n == 0 ? "the record has no recipients"
                                       : "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        to[i] = rcpts[i].address;
    if (build(r, rec, header, &msg, error_r) < 0)
        goto out;
    if (sg_notice_send(sender, rec->env_from, to, n, msg.data, &err) < 0)
        sg_review_keep(error_r, "", err);
    else
        ret = 0;
out:
    free(to);
    sg_buf_free(&msg);
    sg_store_rcpts_free(&rcpts, &n);
    sg_notice_sender_free(&sender);
    sg_notice_key_free(&key);
    return ret;
}

/* Refused: audited, and the caller told. */
static int
refuse(struct sg_review *r, const char *id,
       const struct sg_review_actor *actor, int code, const char **error_r,
       const char *why)
{
    char msg[SG_REVIEW_ERR_MAX + 32];
    const char *err = NULL;
    snprintf(msg, sizeof(msg), "reinject refused: %s", why);
    sg_review_audit(r, id, actor, "refused", msg, &err);
    return sg_review_failc(code, error_r, "%s", msg);
}

int
sg_review_reinject(struct sg_review *r, const char *id,
                   const struct sg_review_actor *actor, const char *note,
                   bool release, const char **error_r)
{
    if (!sg_review_actor_ok(actor) || id == NULL)
        return sg_review_fail(error_r, "missing record or actor");
    if (!sg_review_text_given(note))
        return sg_review_fail(error_r, "a note is required: say why");
    if (r->ncfg == NULL)
        return sg_review_fail(error_r, "reinject needs notices configured "
                                       "(notice_from, notice_secret_file, "
                                       "notice_sendmail): nothing done");
    struct sg_store_record *rec = NULL;
    char *host = NULL, why[SG_REVIEW_ERR_MAX];
    const char *err = NULL;
    int ret = sg_review_get(r, id, actor, &rec, error_r);
    if (ret == 0 && sg_store_record_host(r->q, id, &host, &err) != 0)
        ret = sg_review_keep(error_r, "", err);
    if (ret != 0)
        goto out;
    if (host == NULL || strcmp(host, r->s.host_name) == 0) {
        ret = refuse(r, id, actor, SG_REVIEW_WRONG_STATUS, error_r,
                     "the message is in this host's queue: release it");
        goto out;
    }
    if (sg_review_waiting(rec->status) && release) {
        /* released first, as any decision on another host's message */
        ret = sg_review_decide(r, id, actor, note, SG_REVIEW_OP_RELEASE,
                               error_r);
        sg_store_record_free(&rec);
        if (ret != 0 || (ret = sg_review_get(r, id, actor, &rec, error_r)) != 0)
            goto out;
    }
    if (rec->status != SG_QSTATUS_RELEASED) {
        snprintf(why, sizeof(why),
                 "record %s is %s: only a released record is re-injected "
                 "(a held one with --release and a note)",
                 id, sg_store_status_title(rec->status));
        ret = refuse(r, id, actor, SG_REVIEW_WRONG_STATUS, error_r, why);
        goto out;
    }
    if (rec->message_path == NULL) {
        ret = refuse(r, id, actor, SG_REVIEW_WRONG_STATUS, error_r,
                     "the stored copy was purged");
        goto out;
    }
    int lock = -1;
    if (sg_store_lock(r->q, true, &lock, &err) != 0) {
        ret = sg_review_keep(error_r, "", err);
        goto out;
    }
    snprintf(why, sizeof(why), "host %s is gone; sent again from host %s: %s",
             host, r->s.host_name, note);
    int rc = sg_store_reinject_mark(r->q, id, host, rec->queue_id, actor->user,
                                    actor->from, why, &err);
    if (rc != 0)
        ret = sg_review_failc(rc == SG_STORE_WRONG_STATUS
                                  ? SG_REVIEW_WRONG_STATUS
                                  : -1,
                              error_r, "%s", err);
    else if (send_copy(r, rec, error_r) < 0) {
        snprintf(why, sizeof(why), "sendmail did not take the copy: %s",
                 *error_r);
        sg_review_audit(r, id, actor, "failed", why, &err);
        ret = sg_review_fail(error_r,
                             "%s; the copy stays in the store: run reinject "
                             "again",
                             why);
    }
    sg_store_unlock(lock);
out:
    free(host);
    sg_store_record_free(&rec);
    return ret;
}
