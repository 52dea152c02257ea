/*
 * review_cmd.c - the mail queue, reached through command templates:
 * release ("postsuper -H {queue_id}"), delete ("postsuper -d {queue_id}
 * hold") and list ("postqueue -j").
 *
 * SECURITY: commands are split into words and run without a shell by
 * milter/command.c (the first word must be absolute; a small fixed
 * environment; killed at the timeout).  {queue_id} is replaced inside
 * words, and a queue id is accepted only as 1-64 letters and digits, so
 * nothing from the database can add a word or an option.  Standard input
 * is empty; the output is kept up to 1 MiB.
 *
 * Fails by returning -1 with a thread-local error string.  No logging.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "command.h"
#include "review_int.h"
#include "sg_buf.h"
#include "sg_person.h"

#define OUTPUT_MAX (1024 * 1024)

bool
review_queue_id_ok(const char *qid)
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
                review_fail(error_r, "command \"%.200s\": {queue_id} is "
                                     "not allowed here",
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
        review_fail(error_r, "out of memory");
    return out;
}

int
sg_review_run(const char *tmpl, const char *queue_id, unsigned timeout,
              char **output_r, const char **error_r)
{
    if (tmpl == NULL || *tmpl == '\0')
        return review_fail(error_r, "no command configured");
    if (queue_id != NULL && !review_queue_id_ok(queue_id))
        return review_fail(error_r, "\"%.80s\" is not a queue id",
                           queue_id);
    if (timeout == 0)
        timeout = SG_REVIEW_COMMAND_TIMEOUT;
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
    if (r == 0 &&
        (r = sg_command_run(argv, NULL, 0, timeout * 1000u, OUTPUT_MAX, &res,
                            error_r)) == 0) {
        char line[200];
        sg_command_first_line(res.output, line, sizeof(line));
        const char *sep = line[0] ? ": " : "";
        if (res.timed_out)
            r = review_fail(error_r, "%s did not finish in %u seconds and "
                                     "was stopped",
                            argv[0], timeout);
        else if (WIFSIGNALED(res.status))
            r = review_fail(error_r, "%s was killed by signal %d%s%s",
                            argv[0], WTERMSIG(res.status), sep, line);
        else if (!WIFEXITED(res.status) || WEXITSTATUS(res.status) != 0)
            r = review_fail(error_r, "%s failed (exit status %d)%s%s",
                            argv[0],
                            WIFEXITED(res.status) ? WEXITSTATUS(res.status)
                                                  : -1,
                            sep, line);
        if (r == 0 && output_r != NULL) {
            *output_r = res.output;
            res.output = NULL;
        }
        sg_command_result_free(&res);
    }
    sg_strv_free(&argv, &argc);
    return r;
}

/* ------------------------------------------------------------ the queue */

void
review_queue_free(struct review_queue *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->ids[i]);
        free(q->names[i]);
    }
    free(q->ids);
    free(q->names);
    memset(q, 0, sizeof(*q));
}

int
review_queue_load(const struct sg_review_settings *s, struct review_queue *q,
                  const char **error_r)
{
    memset(q, 0, sizeof(*q));
    if (s->queue_command == NULL || *s->queue_command == '\0') {
        q->unknown = true;
        return 0;
    }
    char *out = NULL;
    if (sg_review_run(s->queue_command, NULL, (unsigned)s->command_timeout,
                      &out, error_r) < 0)
        return -1;
    int r = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        if (*line != '{')
            continue;
        json_error_t jerr;
        json_t *j = json_loads(line, 0, &jerr);
        if (j == NULL)
            continue;
        const char *id = json_string_value(json_object_get(j, "queue_id"));
        const char *name =
            json_string_value(json_object_get(j, "queue_name"));
        if (id != NULL && name != NULL) {
            char **ni = realloc(q->ids, (q->n + 1) * sizeof(char *));
            if (ni != NULL)
                q->ids = ni;
            char **nn = realloc(q->names, (q->n + 1) * sizeof(char *));
            if (nn != NULL)
                q->names = nn;
            if (ni == NULL || nn == NULL) {
                json_decref(j);
                r = review_fail(error_r, "out of memory");
                break;
            }
            q->ids[q->n] = strdup(id);
            q->names[q->n] = strdup(name);
            if (q->ids[q->n] == NULL || q->names[q->n] == NULL) {
                free(q->ids[q->n]);
                free(q->names[q->n]);
                json_decref(j);
                r = review_fail(error_r, "out of memory");
                break;
            }
            q->n++;
        }
        json_decref(j);
    }
    free(out);
    if (r < 0)
        review_queue_free(q);
    return r;
}

enum sg_review_queue_state
review_queue_find(const struct review_queue *q, const char *queue_id,
                  const char **name_r)
{
    if (name_r != NULL)
        *name_r = NULL;
    if (q->unknown)
        return SG_REVIEW_QUEUE_UNKNOWN;
    for (size_t i = 0; i < q->n; i++) {
        if (strcmp(q->ids[i], queue_id) == 0) {
            if (name_r != NULL)
                *name_r = q->names[i];
            return strcmp(q->names[i], "hold") == 0 ? SG_REVIEW_QUEUE_HOLD
                                                    : SG_REVIEW_QUEUE_OTHER;
        }
    }
    return SG_REVIEW_QUEUE_ABSENT;
}

const char *
sg_review_queue_state_name(enum sg_review_queue_state s)
{
    switch (s) {
    case SG_REVIEW_QUEUE_HOLD:
        return "in the hold queue";
    case SG_REVIEW_QUEUE_OTHER:
        return "in the mail queue, not on hold";
    case SG_REVIEW_QUEUE_ABSENT:
        return "not in the mail queue";
    case SG_REVIEW_QUEUE_UNKNOWN:
    default:
        return "not checked (no queue command)";
    }
}
