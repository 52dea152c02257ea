/*
 * command.c - split a configured command into words and run it without a
 * shell: the notices' sendmail and the review tool's Postfix commands.
 *
 * SECURITY:
 *  - No shell ever sees a command: it is split into words once and run
 *    with execve, so an address or a queue id stays one argument.
 *  - The command gets a small fixed environment (a standard PATH and the
 *    C locale), as Postfix runs its commands: nothing the daemon inherited
 *    (LD_PRELOAD and the like) reaches it.
 *  - The child runs only async-signal-safe calls before execve (the daemon
 *    has threads); input goes through a socket with MSG_NOSIGNAL, so a
 *    command that dies early cannot kill the daemon with SIGPIPE; a command
 *    that hangs is killed with its whole process group at the timeout.
 *
 * Fails by returning -1 with *error_r in a thread-local buffer; never
 * logs, never exits.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "command.h"
#include "sg_buf.h"
#include "sg_person.h"

static _Thread_local char errbuf[1024];

#define fail sg_command_fail

int
sg_command_fail(const char **error_r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    if (error_r != NULL)
        *error_r = errbuf;
    return -1;
}

/* ------------------------------------------------------------ words */

int
sg_command_split(const char *what, const char *line, char ***words_r,
                 size_t *n_r, const char **error_r)
{
    char **w = NULL;
    size_t n = 0;
    struct sg_buf word = SG_BUF_INIT;
    const char *p = line != NULL ? line : "";
    int r = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        sg_buf_reset(&word);
        if (sg_buf_puts(&word, "") < 0)
            r = fail(error_r, "out of memory");
        while (r == 0 && *p != '\0' && *p != ' ' && *p != '\t') {
            if (*p == '\'' || *p == '"') {
                char q = *p++;
                const char *e = strchr(p, q);
                if (e == NULL)
                    r = fail(error_r, "%s \"%s\": unbalanced %c quote", what,
                             line, q);
                else if (sg_buf_append(&word, p, (size_t)(e - p)) < 0)
                    r = fail(error_r, "out of memory");
                else
                    p = e + 1;
            } else if ((unsigned char)*p < 0x20) {
                r = fail(error_r, "%s \"%s\": control character", what,
                         line);
            } else if (sg_buf_putc(&word, *p++) < 0) {
                r = fail(error_r, "out of memory");
            }
        }
        if (r < 0)
            break;
        char **grown = realloc(w, (n + 2) * sizeof(*w));
        if (grown == NULL) {
            r = fail(error_r, "out of memory");
            break;
        }
        w = grown;
        if ((w[n] = sg_buf_steal(&word)) == NULL) {
            r = fail(error_r, "out of memory");
            break;
        }
        w[++n] = NULL;
    }
    sg_buf_free(&word);
    if (r == 0 && n == 0)
        r = fail(error_r, "the %s is empty", what);
    if (r == 0 && w[0][0] != '/')
        r = fail(error_r, "%s \"%s\": the program must be an absolute path "
                          "(it is run without a shell)",
                 what, line);
    if (r < 0) {
        sg_strv_free(&w, &n);
        return -1;
    }
    *words_r = w;
    *n_r = n;
    return 0;
}

/* ------------------------------------------------------------ running */

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

/* The whole environment a command gets. */
static char *const command_env[] = {
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
    "LC_ALL=C",
    NULL,
};

/* In the child: only async-signal-safe calls. */
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
    execve(argv[0], argv, command_env);
    ssize_t ignored = write(2, exec_msg, exec_msg_len);
    (void)ignored;
    _exit(127);
}

/* Keep what the command wrote, up to max bytes. */
static void
keep_output(struct sg_buf *b, size_t max, const char *data, size_t n)
{
    if (b->len < max)
        sg_buf_append(b, data, n < max - b->len ? n : max - b->len);
}

static void
kill_group(pid_t pid, int *status)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
}

/* One command being run: the parent's ends of its pipes (in[0] writes
 * its input, out[0] reads its output; [1] are the child's ends until the
 * fork), its process (-1 once reaped) and what it has taken and given. */
struct run {
    char *const *argv;
    const char *input;
    size_t input_len;
    size_t off; /* bytes of input it took */
    int in[2], out[2];
    pid_t pid;
    int status;
    struct sg_buf output;
    size_t output_max;
    bool writing, reading, exited;
};

/* Make the pipes, fork and start the command in the child; in the parent
 * close the child's ends and make its own non-blocking. */
static int
run_start(struct run *run, const char **error_r)
{
    char *const *argv = run->argv;
    char exec_msg[512];
    int em = snprintf(exec_msg, sizeof(exec_msg), "cannot execute %s\n",
                      argv[0]);
    size_t exec_msg_len = em < 0 ? 0
                          : (size_t)em >= sizeof(exec_msg)
                              ? sizeof(exec_msg) - 1
                              : (size_t)em;
    int sv[2], pv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0)
        run->in[0] = sv[0], run->in[1] = sv[1];
    if (pipe2(pv, O_CLOEXEC) == 0)
        run->out[0] = pv[0], run->out[1] = pv[1];
    if (run->in[0] < 0 || run->out[0] < 0 || fd_high(&run->in[0]) < 0 ||
        fd_high(&run->in[1]) < 0 || fd_high(&run->out[0]) < 0 ||
        fd_high(&run->out[1]) < 0)
        return fail(error_r, "%s: cannot make pipes: %s", argv[0],
                    strerror(errno));
    run->pid = fork();
    if (run->pid < 0)
        return fail(error_r, "%s: cannot fork: %s", argv[0], strerror(errno));
    if (run->pid == 0)
        child(run->in[1], run->out[1], argv, exec_msg, exec_msg_len);
    close(run->in[1]);
    close(run->out[1]);
    run->in[1] = run->out[1] = -1;
    fcntl(run->in[0], F_SETFL, fcntl(run->in[0], F_GETFL) | O_NONBLOCK);
    fcntl(run->out[0], F_SETFL, fcntl(run->out[0], F_GETFL) | O_NONBLOCK);
    return 0;
}

/* Hand the command what it will take of its input now; the end of the
 * input, or a command that stopped reading, ends the writing. */
static void
run_send(struct run *run)
{
    ssize_t n = send(run->in[0], run->input + run->off,
                     run->input_len - run->off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
        run->off += (size_t)n;
        if (run->off == run->input_len) {
            shutdown(run->in[0], SHUT_WR);
            run->writing = false;
        }
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
               errno != EINTR) {
        run->writing = false; /* it stopped reading; its status says */
    }
}

/* Keep what the command wrote; its end of the pipe ends the reading. */
static void
run_read(struct run *run)
{
    char tmp[4096];
    ssize_t n = read(run->out[0], tmp, sizeof(tmp));
    if (n > 0)
        keep_output(&run->output, run->output_max, tmp, (size_t)n);
    else if (n == 0 || (errno != EAGAIN && errno != EINTR))
        run->reading = false;
}

/* Look whether the command has exited; once it has, take what is in the
 * pipe, but do not wait for grandchildren that may still hold it. */
static int
run_reap(struct run *run, const char **error_r)
{
    if (!run->exited) {
        pid_t w = waitpid(run->pid, &run->status, WNOHANG);
        if (w == run->pid) {
            run->exited = true;
            run->pid = -1;
        } else if (w < 0 && errno != EINTR) {
            run->pid = -1;
            return fail(error_r, "%s: waitpid: %s", run->argv[0],
                        strerror(errno));
        }
    }
    if (run->exited && run->reading) {
        char tmp[4096];
        ssize_t n;
        while ((n = read(run->out[0], tmp, sizeof(tmp))) > 0)
            keep_output(&run->output, run->output_max, tmp, (size_t)n);
        run->reading = false;
    }
    return 0;
}

/* Feed, read and watch the command until it has exited and its output is
 * read, or until the timeout (res->timed_out). */
static int
run_wait(struct run *run, unsigned timeout_ms, struct sg_command_result *res,
         const char **error_r)
{
    long long deadline = now_ms() + timeout_ms;
    if (run->input_len == 0) {
        shutdown(run->in[0], SHUT_WR);
        run->writing = false;
    }
    /* how long to wait before looking at the child again: from 1 ms,
     * doubling to 20, and from 1 again after the pipes had something, so
     * a helper that exits in a few milliseconds is seen to at once */
    int tick = 1;
    while (!run->exited || run->reading) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            res->timed_out = true;
            break;
        }
        struct pollfd pfd[2];
        nfds_t np = 0;
        int wi = -1, ri = -1;
        if (run->writing) {
            pfd[np] = (struct pollfd){run->in[0], POLLOUT, 0};
            wi = (int)np++;
        }
        if (run->reading) {
            pfd[np] = (struct pollfd){run->out[0], POLLIN, 0};
            ri = (int)np++;
        }
        /* no SIGCHLD here: look at the child every few milliseconds */
        int wait = left < tick ? (int)left : tick;
        int pr = np > 0 ? poll(pfd, np, wait) : poll(NULL, 0, wait);
        tick = pr > 0 ? 1 : tick * 2 > 20 ? 20 : tick * 2;
        if (pr < 0 && errno != EINTR)
            return fail(error_r, "%s: poll: %s", run->argv[0],
                        strerror(errno));
        if (pr > 0 && wi >= 0 && pfd[wi].revents != 0)
            run_send(run);
        if (pr > 0 && ri >= 0 && pfd[ri].revents != 0)
            run_read(run);
        if (run_reap(run, error_r) < 0)
            return -1;
    }
    return 0;
}

int
sg_command_run(char *const argv[], const char *input, size_t input_len,
               unsigned timeout_ms, size_t output_max,
               struct sg_command_result *res, const char **error_r)
{
    memset(res, 0, sizeof(*res));
    struct run run = {
        .argv = argv,
        .input = input,
        .input_len = input != NULL ? input_len : 0,
        .in = {-1, -1},
        .out = {-1, -1},
        .pid = -1,
        .output = SG_BUF_INIT,
        .output_max = output_max,
        .writing = true,
        .reading = true,
    };
    int r = run_start(&run, error_r);
    if (r == 0) {
        r = run_wait(&run, timeout_ms, res, error_r);
        res->input_written = run.off;
    }
    if (run.pid > 0) /* timed out, or failed on the way */
        kill_group(run.pid, &run.status);
    for (int i = 0; i < 2; i++) {
        if (run.in[i] >= 0)
            close(run.in[i]);
        if (run.out[i] >= 0)
            close(run.out[i]);
    }
    res->status = run.status;
    res->output_len = run.output.len;
    if (r == 0 && (res->output = sg_buf_steal(&run.output)) == NULL)
        r = fail(error_r, "out of memory");
    sg_buf_free(&run.output);
    return r;
}

void
sg_command_result_free(struct sg_command_result *res)
{
    free(res->output);
    memset(res, 0, sizeof(*res));
}

void
sg_command_first_line(const char *text, char *out, size_t size)
{
    out[0] = '\0';
    if (text == NULL || size == 0)
        return;
    while (*text == '\n' || *text == '\r' || *text == ' ')
        text++;
    size_t n = strcspn(text, "\r\n");
    if (n >= size)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f
                     ? ' '
                     : text[i];
    out[n] = '\0';
}
