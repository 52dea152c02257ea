/*
 * mailqueue.c - the mail queue, reached through command templates:
 * release ("postsuper -H {queue_id}"), delete ("postsuper -d {queue_id}
 * hold") and list ("postqueue -j"), or, for release and delete, through
 * the release helper's socket (a record id, never a queue id).
 *
 * SECURITY: commands are split into words and run without a shell by
 * command.c (the first word must be absolute; a small fixed environment;
 * killed at the timeout).  {queue_id} is replaced inside words, and a
 * queue id is accepted only as 1-64 letters and digits, so nothing from
 * the database can add a word or an option.  Standard input is empty.
 * A listing is read whole or not at all: a queue id missing from a cut or
 * garbled listing would make its record look gone.
 *
 * Fails by returning -1 with an error string (common/sg_error.h).  No
 * logging.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "command.h"
#include "mailqueue.h"
#include "sg_buf.h"
#include "sg_error.h"
#include "sg_person.h"

#define OUTPUT_MAX (1024 * 1024) /* a command's output, but a listing */
#define HELPER_SLACK 30 /* seconds the helper may take beyond postsuper */

#define fail sg_error_fail

bool
sg_mailqueue_id_ok(const char *qid)
{
    size_t n = qid != NULL ? strlen(qid) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)qid[i]))
            return false;
    return true;
}

/* {queue_id} replaced by qid in word (qid NULL: the word may not hold
 * it); a new string, or NULL with *error_r. */
static char *
fill_queue_id(const char *tmpl, const char *word, const char *qid,
              const char **error_r)
{
    struct sg_buf b = SG_BUF_INIT;
    for (const char *p = word; *p != '\0';) {
        if (strncmp(p, "{queue_id}", 10) == 0) {
            if (qid == NULL) {
                sg_buf_free(&b);
                fail(error_r, "command \"%.200s\": {queue_id} is not "
                              "allowed here",
                     tmpl);
                return NULL;
            }
            sg_buf_puts(&b, qid);
            p += 10;
        } else {
            sg_buf_putc(&b, *p++);
        }
    }
    char *out = sg_buf_steal(&b);
    if (out == NULL)
        fail(error_r, "out of memory");
    return out;
}

static int
run(const char *tmpl, const char *queue_id, unsigned timeout,
    size_t output_max, char **output_r, size_t *len_r, const char **error_r)
{
    if (tmpl == NULL || *tmpl == '\0')
        return fail(error_r, "no command configured");
    if (queue_id != NULL && !sg_mailqueue_id_ok(queue_id))
        return fail(error_r, "\"%.80s\" is not a queue id", queue_id);
    if (timeout == 0)
        timeout = SG_MAILQUEUE_COMMAND_TIMEOUT;
    char **argv = NULL;
    size_t argc = 0;
    if (sg_command_split("command", tmpl, &argv, &argc, error_r) < 0)
        return -1;
    int r = 0;
    for (size_t i = 0; r == 0 && i < argc; i++) {
        char *filled = fill_queue_id(tmpl, argv[i], queue_id, error_r);
        if (filled == NULL)
            r = -1;
        free(argv[i]);
        argv[i] = filled != NULL ? filled : strdup("");
    }
    struct sg_command_result res;
    if (r == 0 && sg_command_run(argv, NULL, 0, timeout * 1000u, output_max,
                                 &res, error_r) < 0)
        r = -1;
    else if (r == 0) {
        char line[200];
        sg_command_first_line(res.output, line, sizeof(line));
        const char *sep = line[0] ? ": " : "";
        if (res.timed_out)
            r = fail(error_r, "%s did not finish in %u seconds and was "
                              "stopped",
                     argv[0], timeout);
        else if (WIFSIGNALED(res.status))
            r = fail(error_r, "%s was killed by signal %d%s%s", argv[0],
                     WTERMSIG(res.status), sep, line);
        else if (!WIFEXITED(res.status) || WEXITSTATUS(res.status) != 0)
            r = fail(error_r, "%s failed (exit status %d)%s%s", argv[0],
                     WIFEXITED(res.status) ? WEXITSTATUS(res.status) : -1,
                     sep, line);
        if (r == 0 && output_r != NULL) {
            if (len_r != NULL)
                *len_r = res.output_len;
            *output_r = res.output;
            res.output = NULL;
        }
        sg_command_result_free(&res);
    }
    sg_strv_free(&argv, &argc);
    return r;
}

int
sg_mailqueue_run(const char *tmpl, const char *queue_id, unsigned timeout,
                 char **output_r, const char **error_r)
{
    return run(tmpl, queue_id, timeout, OUTPUT_MAX, output_r, NULL,
               error_r);
}

/* --------------------------------------------------- the release helper */

bool
sg_mailqueue_record_id_ok(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && id[i] != '-')
            return false;
    return true;
}

int
sg_mailqueue_ask_helper(const char *socket_path, const char *op,
                        const char *record_id, unsigned timeout,
                        const char **error_r)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (socket_path == NULL || *socket_path != '/' ||
        strlen(socket_path) >= sizeof(sa.sun_path))
        return fail(error_r, "review_release_helper \"%.200s\" is not an "
                             "absolute socket path",
                    socket_path != NULL ? socket_path : "");
    if (strcmp(op, "release") != 0 && strcmp(op, "delete") != 0)
        return fail(error_r, "the release helper does not \"%.40s\"", op);
    if (!sg_mailqueue_record_id_ok(record_id))
        return fail(error_r, "\"%.80s\" is not a record id", record_id);
    memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
    if (timeout == 0)
        timeout = SG_MAILQUEUE_COMMAND_TIMEOUT;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(error_r, "cannot make a socket: %s", strerror(errno));
    /* The helper gives postsuper timeout seconds and stops it then; wait
     * longer, so that its answer (done, or stopped) comes first and a
     * decision is never set back while postsuper may still act. */
    struct timeval tv = {.tv_sec = (time_t)timeout + HELPER_SLACK};
    char line[SG_MAILQUEUE_HELPER_LINE_MAX + 1];
    int n = snprintf(line, sizeof(line), "%s %s\n", op, record_id);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return fail(error_r, "cannot reach the release helper at %s: %s "
                             "(is safeguard-release.socket running, and is "
                             "this user in its group?)",
                    socket_path, strerror(e));
    }
    /* one short line: a single send, without SIGPIPE if the helper has
     * gone */
    if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != (ssize_t)n) {
        int e = errno;
        close(fd);
        return fail(error_r, "cannot ask the release helper: %s",
                    strerror(e));
    }
    /* one line, up to the newline or the end */
    size_t got = 0;
    while (got < sizeof(line) - 1) {
        ssize_t r = read(fd, line + got, sizeof(line) - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return fail(error_r, "no answer from the release helper: %s",
                        e == EAGAIN || e == EWOULDBLOCK ? "timed out"
                                                        : strerror(e));
        }
        if (r == 0 || memchr(line + got, '\n', (size_t)r) != NULL) {
            got += (size_t)r;
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    line[got] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "ok", 2) == 0 && (line[2] == '\0' || line[2] == ' '))
        return 0;
    if (strncmp(line, "no ", 3) == 0)
        return fail(error_r, "the release helper refused: %s", line + 3);
    return fail(error_r, "the release helper gave no usable answer%s%.200s",
                line[0] ? ": " : "", line);
}

/* ------------------------------------------------------------ the queue */

void
sg_mailqueue_free(struct sg_mailqueue *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->ids[i]);
        free(q->names[i]);
    }
    free(q->ids);
    free(q->names);
    memset(q, 0, sizeof(*q));
}

static int
add(struct sg_mailqueue *q, const char *id, const char *name)
{
    char **ni = realloc(q->ids, (q->n + 1) * sizeof(char *));
    if (ni != NULL)
        q->ids = ni;
    char **nn = realloc(q->names, (q->n + 1) * sizeof(char *));
    if (nn != NULL)
        q->names = nn;
    if (ni == NULL || nn == NULL)
        return -1;
    q->ids[q->n] = strdup(id);
    q->names[q->n] = strdup(name);
    if (q->ids[q->n] == NULL || q->names[q->n] == NULL) {
        free(q->ids[q->n]);
        free(q->names[q->n]);
        return -1;
    }
    q->n++;
    return 0;
}

int
sg_mailqueue_parse(const char *text, size_t len, struct sg_mailqueue *q,
                   const char **error_r)
{
    memset(q, 0, sizeof(*q));
    if (len > SG_MAILQUEUE_LIST_MAX)
        return fail(error_r, "the mail queue listing is longer than %u "
                             "bytes: not used",
                    SG_MAILQUEUE_LIST_MAX);
    if (memchr(text, '\0', len) != NULL)
        return fail(error_r, "the mail queue listing holds a NUL byte: not "
                             "used");
    int r = 0;
    size_t lineno = 0;
    for (const char *p = text, *end = text + len; r == 0 && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line = p;
        size_t n = (size_t)((nl != NULL ? nl : end) - p);
        p = nl != NULL ? nl + 1 : end;
        lineno++;
        if (n == 0 || *line != '{')
            continue;
        json_error_t jerr;
        json_t *j = json_loadb(line, n, 0, &jerr);
        if (j == NULL) {
            r = fail(error_r, "the mail queue listing has a line that is "
                              "not JSON (line %zu: %.100s): not used",
                     lineno, jerr.text);
            break;
        }
        const char *id = json_string_value(json_object_get(j, "queue_id"));
        const char *name =
            json_string_value(json_object_get(j, "queue_name"));
        if (id != NULL && name != NULL && add(q, id, name) < 0)
            r = fail(error_r, "out of memory");
        json_decref(j);
    }
    if (r < 0)
        sg_mailqueue_free(q);
    return r;
}

int
sg_mailqueue_load(const char *command, unsigned timeout,
                  struct sg_mailqueue *q, const char **error_r)
{
    memset(q, 0, sizeof(*q));
    if (command == NULL || *command == '\0') {
        q->unknown = true;
        return 0;
    }
    /* one byte more than allowed, to tell a full listing from a cut one */
    char *out = NULL;
    size_t len = 0;
    if (run(command, NULL, timeout, SG_MAILQUEUE_LIST_MAX + 1, &out, &len,
            error_r) < 0)
        return -1;
    int r = sg_mailqueue_parse(out, len, q, error_r);
    free(out);
    return r;
}

enum sg_mailqueue_state
sg_mailqueue_find(const struct sg_mailqueue *q, const char *queue_id,
                  const char **name_r)
{
    if (name_r != NULL)
        *name_r = NULL;
    if (q->unknown)
        return SG_MAILQUEUE_UNKNOWN;
    for (size_t i = 0; i < q->n; i++) {
        if (strcmp(q->ids[i], queue_id) == 0) {
            if (name_r != NULL)
                *name_r = q->names[i];
            return strcmp(q->names[i], "hold") == 0 ? SG_MAILQUEUE_HOLD
                                                    : SG_MAILQUEUE_OTHER;
        }
    }
    return SG_MAILQUEUE_ABSENT;
}

const char *
sg_mailqueue_state_name(enum sg_mailqueue_state s)
{
    switch (s) {
    case SG_MAILQUEUE_HOLD:
        return "in the hold queue";
    case SG_MAILQUEUE_OTHER:
        return "in the mail queue, not on hold";
    case SG_MAILQUEUE_ABSENT:
        return "not in the mail queue";
    case SG_MAILQUEUE_UNKNOWN:
    default:
        return "not checked (no queue command)";
    }
}

/* ------------------------------------------------ carrying out a decision */

/* Where queue_id is now: 0 and *state_r (UNKNOWN with no queue command),
 * name (size bytes) the queue's, or -1. */
static int
where(const struct sg_mailqueue_settings *s, const char *queue_id,
      enum sg_mailqueue_state *state_r, char *name, size_t size,
      const char **error_r)
{
    struct sg_mailqueue q;
    if (sg_mailqueue_load(s->queue_command, (unsigned)s->command_timeout, &q,
                          error_r) < 0)
        return -1;
    const char *qname = NULL;
    *state_r = sg_mailqueue_find(&q, queue_id, &qname);
    snprintf(name, size, "%s", qname != NULL ? qname : "");
    sg_mailqueue_free(&q);
    return 0;
}

int
sg_mailqueue_carry_out(const struct sg_mailqueue_settings *s, bool release,
                       const char *queue_id, const char *record_id,
                       char *outcome, size_t size, const char **error_r)
{
    const char *verb = release ? "release" : "delete";
    if (!sg_mailqueue_id_ok(queue_id))
        return fail(error_r, "\"%.80s\" is not a queue id",
                    queue_id != NULL ? queue_id : "");
    enum sg_mailqueue_state state;
    char qname[64];
    if (where(s, queue_id, &state, qname, sizeof(qname), error_r) < 0)
        return -1;
    if (state == SG_MAILQUEUE_OTHER || state == SG_MAILQUEUE_ABSENT) {
        snprintf(outcome, size,
                 "nothing to %s: queue id %s is %s%s%s%s", verb, queue_id,
                 sg_mailqueue_state_name(state), qname[0] ? " (" : "", qname,
                 qname[0] ? ")" : "");
        return 0;
    }
    const char *cmd = release ? s->release_command : s->delete_command;
    if (cmd != NULL && *cmd != '\0') {
        if (sg_mailqueue_run(cmd, queue_id, (unsigned)s->command_timeout,
                             NULL, error_r) < 0)
            return -1;
    } else if (sg_mailqueue_ask_helper(s->release_helper, verb, record_id,
                                       (unsigned)s->command_timeout,
                                       error_r) < 0) {
        return -1;
    }
    if (where(s, queue_id, &state, qname, sizeof(qname), error_r) < 0)
        return -1;
    if (state == SG_MAILQUEUE_HOLD)
        return fail(error_r, "the %s ran but queue id %s is still on hold",
                    verb, queue_id);
    snprintf(outcome, size, "%s queue id %s", release ? "released" : "deleted",
             queue_id);
    return 0;
}
