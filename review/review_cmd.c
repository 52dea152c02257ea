/*
 * review_cmd.c - the mail queue, reached through command templates:
 * release ("postsuper -H {queue_id}"), delete ("postsuper -d {queue_id}
 * hold") and list ("postqueue -j").
 *
 * SECURITY: commands are split into words here (white space; '...' and
 * "..." quote) and run with posix_spawn (execv semantics: no shell, no
 * PATH search: the first word must be absolute).  {queue_id} is replaced
 * inside words, and a queue id is accepted only as 1-64 letters and
 * digits, so nothing from the database can add a word or an option.
 * Standard input is /dev/null; the output is read with a bound and a
 * timeout, after which the command is killed.
 *
 * Fails by returning -1 with a thread-local error string.  No logging.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "review_int.h"

#define OUTPUT_MAX (1024 * 1024)

extern char **environ;

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

static void
free_words(char **w)
{
    for (size_t i = 0; w != NULL && w[i] != NULL; i++)
        free(w[i]);
    free(w);
}

/* Split template into words, {queue_id} replaced by qid (may be NULL when
 * the template must not use it). */
static int
split(const char *tmpl, const char *qid, char ***words_r,
      const char **error_r)
{
    char **w = NULL;
    size_t n = 0;
    struct sg_buf word = SG_BUF_INIT;
    const char *p = tmpl;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        sg_buf_reset(&word);
        if (sg_buf_puts(&word, "") < 0)
            goto nomem;
        while (*p != '\0' && *p != ' ' && *p != '\t') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                const char *end = strchr(p, q);
                if (end == NULL) {
                    review_fail(error_r, "command \"%.200s\": unbalanced "
                                         "quote", tmpl);
                    goto fail;
                }
                if (sg_buf_append(&word, p, (size_t)(end - p)) < 0)
                    goto nomem;
                p = end + 1;
            } else if (strncmp(p, "{queue_id}", 10) == 0) {
                if (qid == NULL) {
                    review_fail(error_r, "command \"%.200s\": {queue_id} "
                                         "is not allowed here", tmpl);
                    goto fail;
                }
                if (sg_buf_puts(&word, qid) < 0)
                    goto nomem;
                p += 10;
            } else {
                if (sg_buf_putc(&word, *p++) < 0)
                    goto nomem;
            }
        }
        char **nw = realloc(w, (n + 2) * sizeof(*w));
        if (nw == NULL)
            goto nomem;
        w = nw;
        w[n] = sg_buf_steal(&word);
        if (w[n] == NULL)
            goto nomem;
        w[++n] = NULL;
    }
    sg_buf_free(&word);
    if (n == 0 || w[0][0] != '/') {
        free_words(w);
        return review_fail(error_r, "command \"%.200s\": the first word "
                                    "must be an absolute path", tmpl);
    }
    *words_r = w;
    return 0;
nomem:
    review_fail(error_r, "out of memory");
fail:
    sg_buf_free(&word);
    free_words(w);
    return -1;
}

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The first non-empty line of s, cut to fit. */
static void
first_line(const char *s, char *out, size_t size)
{
    out[0] = '\0';
    if (s == NULL)
        return;
    while (*s == '\n' || *s == '\r')
        s++;
    size_t n = strcspn(s, "\r\n");
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] >= 0x20 && s[i] != 0x7f) ? s[i] : '?';
    out[n] = '\0';
}

static int
run_words(char **argv, unsigned timeout, char **output_r,
          const char **error_r)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        return review_fail(error_r, "cannot make a pipe: %s",
                           strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t def;
    sigemptyset(&def);
    sigaddset(&def, SIGPIPE);
    posix_spawnattr_setsigdefault(&at, &def);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setflags(&at,
                             POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(pfd[1]);
    if (rc != 0) {
        close(pfd[0]);
        return review_fail(error_r, "cannot run %s: %s", argv[0],
                           strerror(rc));
    }

    struct sg_buf out = SG_BUF_INIT;
    long long deadline = now_ms() + (long long)timeout * 1000;
    bool timed_out = false, oom = false;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        int pr = poll(&p, 1, left > 1000 ? 1000 : (int)left);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        char chunk[4096];
        ssize_t n = read(pfd[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (out.len + (size_t)n <= OUTPUT_MAX &&
            sg_buf_append(&out, chunk, (size_t)n) < 0)
            oom = true;
    }
    close(pfd[0]);
    if (timed_out)
        kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    char line[200];
    first_line(out.data, line, sizeof(line));
    int r = 0;
    if (oom)
        r = review_fail(error_r, "out of memory");
    else if (timed_out)
        r = review_fail(error_r, "%s did not finish in %u seconds and was "
                                 "stopped", argv[0], timeout);
    else if (WIFSIGNALED(status))
        r = review_fail(error_r, "%s was killed by signal %d%s%s", argv[0],
                        WTERMSIG(status), line[0] ? ": " : "", line);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        r = review_fail(error_r, "%s failed (exit status %d)%s%s", argv[0],
                        WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                        line[0] ? ": " : "", line);
    if (r == 0 && output_r != NULL) {
        if (out.data == NULL && sg_buf_puts(&out, "") < 0) {
            sg_buf_free(&out);
            return review_fail(error_r, "out of memory");
        }
        *output_r = sg_buf_steal(&out);
    }
    sg_buf_free(&out);
    return r;
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
    if (split(tmpl, queue_id, &argv, error_r) < 0)
        return -1;
    int r = run_words(argv, timeout, output_r, error_r);
    free_words(argv);
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
    if (sg_review_run(s->queue_command, NULL, s->command_timeout, &out,
                      error_r) < 0)
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
