/*
 * notice_send.c - sending a notice through the local sendmail command,
 * and the checks on the addresses a notice goes from and to.
 *
 * SECURITY:
 *  - The sendmail command is split into words once, at configuration time,
 *    and run with execv: no shell ever sees an address.  An address that
 *    starts with '-' or holds a control character is refused.  The child
 *    runs only async-signal-safe calls before execv (the daemon has
 *    threads); the message is written through a socket with MSG_NOSIGNAL,
 *    so a command that dies early cannot kill the daemon with SIGPIPE; a
 *    command that hangs is killed (its whole process group) at the timeout.
 *  - The command runs with a small fixed environment (a standard PATH and
 *    the C locale), as Postfix runs its commands: nothing the daemon
 *    inherited (LD_PRELOAD and the like) reaches it.
 *
 * Fails by returning -1 with *error_r in a thread-local buffer; never
 * logs, never exits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "notice.h"
#include "notice_int.h"
#include "sg_buf.h"

#define OUTPUT_KEEP 512 /* bytes of the command's output kept */

/* ------------------------------------------------------------ addresses */

/* An address we may put on a command line and in a header. */
const char *
sg_notice_address_problem(const char *a)
{
    if (a == NULL || a[0] == '\0')
        return "is empty";
    if (a[0] == '-')
        return "starts with '-'";
    for (const unsigned char *p = (const unsigned char *)a; *p != '\0'; p++)
        if (*p < 0x21 || *p == 0x7f || *p == ',' || *p == '<' || *p == '>')
            return "holds a space, a control character or one of , < >";
    if (strlen(a) > 320)
        return "is too long";
    if (strchr(a, '@') == NULL)
        return "has no '@'";
    return NULL;
}

int
sg_notice_check_addresses(const char *from, const char *const *to, size_t n_to,
                          const char **error_r)
{
    const char *why;
    if ((why = sg_notice_address_problem(from)) != NULL)
        return FAIL("sender address \"%.100s\" %s", from ? from : "", why);
    if (n_to == 0)
        return FAIL("no recipients");
    for (size_t i = 0; i < n_to; i++)
        if ((why = sg_notice_address_problem(to[i])) != NULL)
            return FAIL("recipient address \"%.100s\" %s",
                        to[i] ? to[i] : "", why);
    return 0;
}

/* ------------------------------------------------------------ sending */

struct sg_notice_sender {
    char **words;
    size_t n_words;
    size_t to_word; /* index of the {to} word */
    unsigned timeout_ms;
};

void
sg_notice_sender_free(struct sg_notice_sender **s)
{
    if (s == NULL || *s == NULL)
        return;
    sg_strv_free(&(*s)->words, &(*s)->n_words);
    free(*s);
    *s = NULL;
}

/* Placeholders in a command word: only {from} (and {to} alone). */
static int
check_command_word(const char *w, const char *command, const char **error_r)
{
    for (const char *p = strchr(w, '{'); p != NULL; p = strchr(p + 1, '{')) {
        if (strncmp(p, "{from}", 6) == 0)
            continue;
        if (strcmp(w, "{to}") == 0)
            continue;
        if (strncmp(p, "{to}", 4) == 0)
            return FAIL("sendmail command \"%s\": {to} must be a word of its "
                        "own",
                        command);
        return FAIL("sendmail command \"%s\": unknown placeholder in \"%s\" "
                    "(only {from} and {to})",
                    command, w);
    }
    return 0;
}

int
sg_notice_sender_new(const char *command, unsigned timeout_ms,
                     struct sg_notice_sender **s_r, const char **error_r)
{
    if (command == NULL)
        return FAIL("no sendmail command");
    struct sg_notice_sender *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NOMEM();
    s->timeout_ms = timeout_ms > 0 ? timeout_ms : SG_NOTICE_TIMEOUT * 1000u;
    s->to_word = SIZE_MAX;
    struct sg_buf w = SG_BUF_INIT;
    const char *p = command;
    int r = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        sg_buf_reset(&w);
        bool any = false;
        while (r == 0 && *p != '\0' && *p != ' ' && *p != '\t') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                const char *e = strchr(p, q);
                if (e == NULL) {
                    r = FAIL("sendmail command \"%s\": unbalanced %c", command,
                             q);
                    break;
                }
                if (sg_buf_append(&w, p, (size_t)(e - p)) < 0)
                    r = NOMEM();
                p = e + 1;
            } else if ((unsigned char)*p < 0x20) {
                r = FAIL("sendmail command \"%s\": control character",
                         command);
            } else if (sg_buf_putc(&w, *p++) < 0) {
                r = NOMEM();
            }
            any = true;
        }
        if (r < 0)
            break;
        if (!any)
            continue;
        const char *word = w.data != NULL ? w.data : "";
        if ((r = check_command_word(word, command, error_r)) < 0)
            break;
        if (strcmp(word, "{to}") == 0) {
            if (s->to_word != SIZE_MAX) {
                r = FAIL("sendmail command \"%s\": {to} given twice",
                         command);
                break;
            }
            s->to_word = s->n_words;
        }
        if (sg_strv_push(&s->words, &s->n_words, word) < 0) {
            r = NOMEM();
            break;
        }
    }
    sg_buf_free(&w);
    if (r == 0 && s->n_words == 0)
        r = FAIL("the sendmail command is empty");
    if (r == 0 && s->words[0][0] != '/')
        r = FAIL("sendmail command \"%s\": the program must be an absolute "
                 "path (it is run without a shell)",
                 command);
    if (r == 0 && strchr(s->words[0], '{') != NULL)
        r = FAIL("sendmail command \"%s\": the program name cannot be a "
                 "placeholder",
                 command);
    if (r == 0 && s->to_word == SIZE_MAX)
        r = FAIL("sendmail command \"%s\": needs {to}, so the recipients "
                 "are the ones the notice is marked for",
                 command);
    if (r == 0 && access(s->words[0], X_OK) < 0)
        r = FAIL("sendmail command: %s: %s", s->words[0], strerror(errno));
    if (r < 0) {
        sg_notice_sender_free(&s);
        return -1;
    }
    *s_r = s;
    return 0;
}

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Move fd to 3 or above (close-on-exec), so dup2 onto 0..2 in the child
 * cannot clobber it. */
static int
fd_high(int *fd)
{
    if (*fd > 2)
        return 0;
    int n = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (n < 0)
        return -1;
    close(*fd);
    *fd = n;
    return 0;
}

/* In the child: only async-signal-safe calls. */
/* The whole environment a notice command gets. */
static char *const notice_env[] = {
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL=C",
    NULL,
};

static void __attribute__((noreturn))
child(int in, int out, char *const argv[], const char *exec_msg,
      size_t exec_msg_len)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL);
    setpgid(0, 0);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(127);
#if defined(SYS_close_range)
    if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
#endif
    {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536)
            max = 65536;
        for (int fd = 3; fd < max; fd++)
            close(fd);
    }
    execve(argv[0], argv, notice_env);
    ssize_t ignored = write(2, exec_msg, exec_msg_len);
    (void)ignored;
    _exit(127);
}

/* The first line of what the command wrote, made printable. */
static const char *
first_line(char *out, size_t len)
{
    out[len] = '\0';
    char *p = out;
    while (*p == '\n' || *p == '\r' || *p == ' ')
        p++;
    char *nl = strpbrk(p, "\r\n");
    if (nl != NULL)
        *nl = '\0';
    for (char *q = p; *q != '\0'; q++)
        if ((unsigned char)*q < 0x20)
            *q = ' ';
    return p;
}

int
sg_notice_send(const struct sg_notice_sender *s, const char *from,
               const char *const *to, size_t n_to,
               const char *rendered_message, const char **error_r)
{
    if (s == NULL || rendered_message == NULL)
        return FAIL("sg_notice_send: no command or no message");
    if (sg_notice_check_addresses(from, to, n_to, error_r) < 0)
        return -1;

    /* argv, built before fork */
    if (n_to > 10000)
        return FAIL("too many recipients");
    size_t argc = s->n_words - 1 + n_to;
    char **argv = calloc(argc + 1, sizeof(*argv));
    if (argv == NULL)
        return NOMEM();
    size_t a = 0;
    int r = 0;
    for (size_t i = 0; r == 0 && i < s->n_words; i++) {
        if (i == s->to_word) {
            for (size_t j = 0; r == 0 && j < n_to; j++)
                if ((argv[a++] = strdup(to[j])) == NULL)
                    r = -1;
            continue;
        }
        struct sg_buf w = SG_BUF_INIT;
        for (const char *p = s->words[i]; r == 0 && *p != '\0';) {
            if (strncmp(p, "{from}", 6) == 0) {
                r = sg_buf_puts(&w, from);
                p += 6;
            } else {
                r = sg_buf_putc(&w, *p++);
            }
        }
        if (r == 0 && w.data == NULL)
            r = sg_buf_puts(&w, "");
        argv[a++] = w.data; /* owned: freed below */
    }
    char exec_msg[512];
    int em = snprintf(exec_msg, sizeof(exec_msg), "cannot execute %s\n",
                      s->words[0]);
    size_t exec_msg_len = em < 0 ? 0
                          : (size_t)em >= sizeof(exec_msg)
                              ? sizeof(exec_msg) - 1
                              : (size_t)em;

    int in[2] = {-1, -1}, out[2] = {-1, -1};
    pid_t pid = -1;
    if (r < 0) {
        NOMEM();
        goto out;
    }
    int sv[2], pv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0)
        in[0] = sv[0], in[1] = sv[1];
    if (pipe2(pv, O_CLOEXEC) == 0)
        out[0] = pv[0], out[1] = pv[1];
    if (in[0] < 0 || out[0] < 0 || fd_high(&in[0]) < 0 ||
        fd_high(&in[1]) < 0 || fd_high(&out[0]) < 0 || fd_high(&out[1]) < 0) {
        r = FAIL("sendmail command: cannot make pipes: %s", strerror(errno));
        goto out;
    }
    pid = fork();
    if (pid < 0) {
        r = FAIL("sendmail command: cannot fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0)
        child(in[1], out[1], argv, exec_msg, exec_msg_len);
    close(in[1]);
    close(out[1]);
    in[1] = out[1] = -1;
    fcntl(in[0], F_SETFL, fcntl(in[0], F_GETFL) | O_NONBLOCK);
    fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);

    const char *msg = rendered_message;
    size_t len = strlen(msg), off = 0;
    bool writing = true, reading = true, exited = false, timed_out = false;
    int status = 0;
    char output[OUTPUT_KEEP + 1];
    size_t output_len = 0;
    long long deadline = now_ms() + s->timeout_ms;
    if (len == 0) {
        shutdown(in[0], SHUT_WR);
        writing = false;
    }
    while (!exited || reading) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd pfd[2];
        nfds_t np = 0;
        int wi = -1, ri = -1;
        if (writing) {
            pfd[np] = (struct pollfd){in[0], POLLOUT, 0};
            wi = (int)np++;
        }
        if (reading) {
            pfd[np] = (struct pollfd){out[0], POLLIN, 0};
            ri = (int)np++;
        }
        /* no SIGCHLD here: look at the child every few milliseconds */
        int wait = left < 20 ? (int)left : 20;
        int pr = np > 0 ? poll(pfd, np, wait) : poll(NULL, 0, wait);
        if (pr < 0 && errno != EINTR) {
            r = FAIL("sendmail command: poll: %s", strerror(errno));
            timed_out = true; /* kill it below */
            break;
        }
        if (pr > 0 && wi >= 0 && pfd[wi].revents != 0) {
            ssize_t n = send(in[0], msg + off, len - off,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                off += (size_t)n;
                if (off == len) {
                    shutdown(in[0], SHUT_WR);
                    writing = false;
                }
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                       errno != EINTR) {
                writing = false; /* it stopped reading; its status says */
            }
        }
        if (pr > 0 && ri >= 0 && pfd[ri].revents != 0) {
            char tmp[4096];
            ssize_t n = read(out[0], tmp, sizeof(tmp));
            if (n > 0) {
                size_t keep = (size_t)n;
                if (keep > OUTPUT_KEEP - output_len)
                    keep = OUTPUT_KEEP - output_len;
                memcpy(output + output_len, tmp, keep);
                output_len += keep;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                reading = false;
            }
        }
        if (!exited) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) {
                exited = true;
                pid = -1;
            } else if (w < 0 && errno != EINTR) {
                r = FAIL("sendmail command: waitpid: %s", strerror(errno));
                exited = true;
                pid = -1;
                break;
            }
        }
        if (exited && reading) {
            /* take what is there, but do not wait for grandchildren that
             * may still hold the pipe */
            char tmp[4096];
            ssize_t n;
            while ((n = read(out[0], tmp, sizeof(tmp))) > 0) {
                size_t keep = (size_t)n;
                if (keep > OUTPUT_KEEP - output_len)
                    keep = OUTPUT_KEEP - output_len;
                memcpy(output + output_len, tmp, keep);
                output_len += keep;
            }
            reading = false;
        }
    }
    if (r < 0 && !timed_out)
        goto out;
    if (timed_out && pid > 0) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        pid = -1;
        if (r == 0)
            r = FAIL("sendmail command %s did not finish within %u ms and "
                     "was killed",
                     s->words[0], s->timeout_ms);
        goto out;
    }
    const char *said = first_line(output, output_len);
    if (WIFSIGNALED(status))
        r = FAIL("sendmail command %s was killed by signal %d%s%s",
                 s->words[0], WTERMSIG(status), said[0] ? ": " : "", said);
    else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        r = FAIL("sendmail command %s exited with status %d%s%s", s->words[0],
                 WEXITSTATUS(status), said[0] ? ": " : "", said);
    else if (off < len)
        r = FAIL("sendmail command %s exited before reading the whole "
                 "message%s%s",
                 s->words[0], said[0] ? ": " : "", said);
    else
        r = 0;
out:
    if (pid > 0) { /* only on an early failure path */
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    return r;
}
