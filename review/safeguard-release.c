/*
 * safeguard-release - the one privileged step of the review: take a held
 * message out of Postfix's hold queue ("postsuper -H ID") or delete it
 * from there ("postsuper -d ID hold"), which only root may do, for the
 * review page and command line, which do not run as root.
 *
 *   safeguard-release [-c FILE]
 *
 * systemd starts it as root for each connection to its socket
 * (contrib/systemd/safeguard-release.socket, Accept=yes, mode 0660 for
 * the filter's group); the connection is its standard input and output.
 * It reads one line, "release RECORD_ID" or "delete RECORD_ID", answers
 * one line, "ok ..." or "no ...", and exits.
 *
 * SECURITY: the caller names a record, never a queue id, a command or an
 * option.  The helper reads the record from the store itself, and acts
 * only if the store says it was decided that way a moment ago (released
 * for "release"; rejected or expired for "delete"; its status changed
 * within review_command_timeout plus a minute) and the helper has not
 * acted on that decision before (an audit row "queue" marks it).  The
 * With several hosts on one store, a decision may be carried out long
 * after it was taken (this host's daemon was stopped): a pending row of
 * the store's decisions for this host (host_name) and this operation is
 * the decision then (core/store_hosts.h), and a delete row is how a
 * message re-injected from another host is deleted here.  The
 * caller must be root or the owner of the quarantine database (the
 * socket's peer credentials; on PostgreSQL, the owner of the quarantine
 * directory).  The configuration file, which names the
 * store and postsuper, must be root's and not writable by anyone else.
 * The store is opened as its owner (never creating it), so no file of it
 * becomes root's.  postsuper runs without a shell with a fixed
 * environment (core/command.c), and "-d ... hold" deletes only held mail.
 * doc/design-notes.md has the threat model.
 *
 * Logs one line per request to standard error (the journal).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "mailqueue.h"
#include "review_settings.h"
#include "sg_config.h"
#include "sg_review_settings.h"
#include "store.h"
#include "store_hosts.h"

#define DEFAULT_CONFIG SG_SYSCONFDIR "/safeguard-milter.conf"
#define READ_TIMEOUT   10 /* seconds for the caller's one line */
#define SLACK          60 /* seconds, beyond the command timeout */

/* The answer, on standard output, and the log line. */
static int
answer(const char *peer, const char *request, bool ok, const char *text)
{
    printf("%s %s\n", ok ? "ok" : "no", text);
    fflush(stdout);
    fprintf(stderr, "safeguard-release: %s: %s: %s%s\n", peer,
            request[0] ? request : "(no request)", ok ? "" : "refused: ",
            text);
    return ok ? EX_OK : EX_NOPERM;
}

/* One line from the connection, without its newline; -1 if none. */
static int
read_request(char *buf, size_t size)
{
    struct timeval tv = {.tv_sec = READ_TIMEOUT};
    (void)setsockopt(STDIN_FILENO, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    size_t got = 0;
    while (got < size - 1) {
        ssize_t r = read(STDIN_FILENO, buf + got, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (buf[got] == '\n')
            break;
        got++;
    }
    buf[got] = '\0';
    buf[strcspn(buf, "\r")] = '\0';
    return got < size - 1 ? 0 : -1;
}

/* The configuration may say what root runs: it must be root's alone. */
static int
config_trusted(const char *path, char *why, size_t size)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(why, size, "cannot read the configuration %s: %s", path,
                 strerror(errno));
        return -1;
    }
    if (st.st_uid != 0 || (st.st_mode & 022) != 0) {
        snprintf(why, size, "the configuration %s must be root's and "
                            "writable by root alone",
                 path);
        return -1;
    }
    return 0;
}

/* Open the store as the owner of the database (which must exist); the
 * effective ids are root's again afterwards.  NULL with why. */
static struct sg_store *
open_store(const struct sg_config *cfg, const struct stat *db, char *why,
           size_t size)
{
    struct sg_store *q = NULL;
    const char *err = NULL;
    if (setegid(db->st_gid) < 0 || seteuid(db->st_uid) < 0) {
        snprintf(why, size, "cannot become the store's owner: %s",
                 strerror(errno));
        if (setegid(0) < 0) /* still root's uid: cannot fail */
            abort();
        return NULL;
    }
    if (sg_store_open(sg_config_store(cfg), cfg->quarantine_dir, &q, &err) < 0)
        snprintf(why, size, "%s", err);
    if (seteuid(0) < 0 || setegid(0) < 0)
        abort(); /* the saved ids are root's: cannot happen */
    return q;
}

/* Does rec's decision ask for op, just now, and not yet acted on?  0, or
 * -1 with why. */
static int
decided(struct sg_store *q, const struct sg_store_record *rec, bool release,
        unsigned timeout, const char *host, char *why, size_t size)
{
    /* a decision this host is to carry out, and has not yet: whenever it
     * was taken (the daemon may have been stopped meanwhile), so long as
     * the record is not waiting again */
    const char *err = NULL;
    bool waiting = rec->status == SG_QSTATUS_HELD ||
                   rec->status == SG_QSTATUS_ESCALATED;
    int pending = sg_store_decision_pending(
        q, rec->id, host, release ? SG_DECISION_RELEASE : SG_DECISION_DELETE,
        &err);
    if (pending < 0) {
        snprintf(why, size, "%s", err);
        return -1;
    }
    if (pending == 1 && !waiting &&
        (!release || rec->status == SG_QSTATUS_RELEASED))
        return 0;
    bool ok = release ? rec->status == SG_QSTATUS_RELEASED
                      : rec->status == SG_QSTATUS_REJECTED ||
                            rec->status == SG_QSTATUS_EXPIRED;
    if (!ok) {
        snprintf(why, size, "record %s is %s, not %s", rec->id,
                 sg_store_status_name(rec->status),
                 release ? "released" : "rejected or expired");
        return -1;
    }
    time_t now = time(NULL);
    if (now - rec->status_changed > (time_t)timeout + SLACK ||
        rec->status_changed > now + SLACK) {
        snprintf(why, size, "record %s was decided too long ago to act on now",
                 rec->id);
        return -1;
    }
    struct sg_store_audit_row *rows = NULL;
    size_t n = 0;
    if (sg_store_audit_rows(q, rec->id, "queue", rec->status_changed, &rows,
                            &n, &err) < 0) {
        snprintf(why, size, "%s", err);
        return -1;
    }
    bool done = n > 0;
    sg_store_audit_rows_free(&rows, &n);
    if (done) {
        snprintf(why, size, "record %s: this decision was already acted on",
                 rec->id);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    const char *config = DEFAULT_CONFIG;
    int opt;
    while ((opt = getopt(argc, argv, "c:")) != -1) {
        if (opt != 'c') {
            fprintf(stderr, "usage: safeguard-release [-c FILE] (started by "
                            "safeguard-release.socket, the connection on "
                            "standard input)\n");
            return EX_USAGE;
        }
        config = optarg;
    }
    struct ucred cred;
    socklen_t cl = sizeof(cred);
    if (getsockopt(STDIN_FILENO, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
        fprintf(stderr, "safeguard-release: standard input is not a "
                        "connection (it is started by "
                        "safeguard-release.socket)\n");
        return EX_USAGE;
    }
    char peer[64], request[SG_MAILQUEUE_HELPER_LINE_MAX], why[1024];
    char host[256];
    snprintf(peer, sizeof(peer), "uid %lu pid %lu", (unsigned long)cred.uid,
             (unsigned long)cred.pid);
    if (read_request(request, sizeof(request)) < 0)
        return answer(peer, "", false, "no request line");
    bool release = strncmp(request, "release ", 8) == 0;
    const char *id = release ? request + 8
                     : strncmp(request, "delete ", 7) == 0 ? request + 7
                                                           : NULL;
    if (id == NULL || !sg_mailqueue_record_id_ok(id))
        return answer(peer, request, false,
                      "not \"release RECORD_ID\" or \"delete RECORD_ID\"");
    if (geteuid() != 0)
        return answer(peer, request, false, "the helper is not running as "
                                            "root");
    if (config_trusted(config, why, sizeof(why)) < 0)
        return answer(peer, request, false, why);
    const char *err = NULL;
    struct sg_config *cfg =
        sg_config_load_with(config, true, sg_review_sections, &err);
    if (cfg == NULL)
        return answer(peer, request, false, err);
    struct stat db;
    int rc;
    /* a database on a server (PostgreSQL) has no file: its owner is then
     * the quarantine directory's, the user the daemon writes the copies
     * as, who reads the store's passfile */
    const char *owned = sg_store_file(sg_config_store(cfg));
    if (owned == NULL)
        owned = cfg->quarantine_dir;
    if (owned == NULL || stat(owned, &db) < 0) {
        snprintf(why, sizeof(why), "no quarantine database at %s",
                 owned != NULL ? owned : "(unset)");
        rc = answer(peer, request, false, why);
        sg_config_free(&cfg);
        return rc;
    }
    if (cred.uid != 0 && cred.uid != db.st_uid) {
        rc = answer(peer, request, false, "only root and the store's owner "
                                          "may ask");
        sg_config_free(&cfg);
        return rc;
    }
    unsigned timeout = (unsigned)cfg->mailqueue.command_timeout;
    struct sg_store *q = open_store(cfg, &db, why, sizeof(why));
    struct sg_store_record *rec = NULL;
    rc = -1;
    if (q != NULL) {
        int got = sg_store_get(q, id, &rec, &err);
        if (got == SG_STORE_NOT_FOUND)
            snprintf(why, sizeof(why), "no record %s", id);
        else if (got != 0)
            snprintf(why, sizeof(why), "%s", err);
        else if (!sg_mailqueue_id_ok(rec->queue_id))
            snprintf(why, sizeof(why), "record %s has an unusable queue id",
                     id);
        else
            rc = decided(q, rec, release, timeout,
                         sg_mailqueue_host_name(cfg->mailqueue.host_name,
                                                host, sizeof(host)),
                         why, sizeof(why));
    }
    if (rc == 0) {
        /* postsuper's own words from the configuration, then ours */
        char cmd[1024];
        snprintf(cmd, sizeof(cmd), "%s %s", cfg->mailqueue.helper_postsuper,
                 release ? "-H {queue_id}" : "-d {queue_id} hold");
        if (sg_mailqueue_run(cmd, rec->queue_id, timeout, NULL, &err) < 0) {
            snprintf(why, sizeof(why), "%s", err);
            rc = -1;
        } else {
            snprintf(why, sizeof(why), "%s queue id %s (%s)",
                     release ? "released" : "deleted", rec->queue_id,
                     rec->id);
            /* the mark that this decision was acted on */
            char note[256];
            snprintf(note, sizeof(note), "postsuper %s %s%s",
                     release ? "-H" : "-d", rec->queue_id,
                     release ? "" : " hold");
            if (sg_store_audit(q, rec->id, "safeguard-release", peer, "queue",
                               note, &err) < 0)
                fprintf(stderr, "safeguard-release: %s: cannot add the "
                                "audit row: %s\n",
                        rec->id, err);
        }
    }
    rc = answer(peer, request, rc == 0, why);
    sg_store_record_free(&rec);
    sg_store_close(&q);
    sg_config_free(&cfg);
    return rc;
}
