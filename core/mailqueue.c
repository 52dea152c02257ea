/*
 * mailqueue.c - the mail queue, reached through command templates:
 * release ("postsuper -H {queue_id}"), delete ("postsuper -d {queue_id}
 * hold") and list ("postqueue -j").
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "command.h"
#include "mailqueue.h"
#include "sg_buf.h"
#include "sg_error.h"
#include "sg_person.h"

#define OUTPUT_MAX (1024 * 1024) /* a command's output, but a listing */

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
