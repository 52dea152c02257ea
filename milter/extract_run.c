/*
 * extract_run.c - run safeguard-extract(8) on one attachment: the
 * attachment goes in through a memory file on its stdin, its text
 * comes back through a pipe, read with a deadline; past the deadline the
 * helper is killed.  posix_spawn, so that a threaded milter can start it
 * safely; every descriptor of ours is close-on-exec or closed by the
 * helper before it reads anything.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "extract_run.h"

extern char **environ;

long long
sg_extract_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The attachment in a memory file, positioned at its start; -1 on error. */
static int
sg_input_fd(const char *data, size_t len)
{
    int fd = memfd_create("safeguard-attachment", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static pid_t
sg_spawn(const struct sg_extract_opts *o, int in, int out, const char *type,
         const char *name)
{
    char a_in[32], a_out[32], a_cpu[32], a_mem[32];
    snprintf(a_in, sizeof(a_in), "%llu", (unsigned long long)o->max_size);
    snprintf(a_out, sizeof(a_out), "%llu", (unsigned long long)o->max_text);
    snprintf(a_cpu, sizeof(a_cpu), "%d", o->timeout);
    snprintf(a_mem, sizeof(a_mem), "%llu",
             (unsigned long long)(o->memory >> 20));
    char *argv[] = {o->helper, "-i", a_in, "-o", a_out, "-t", a_cpu, "-m",
                    a_mem, (char *)(uintptr_t)type,
                    (char *)(uintptr_t)(name != NULL ? name : ""),
                    NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, all;
    pid_t pid = -1;
    sigemptyset(&none);
    sigfillset(&all);
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    /* the milter's threads block signals; the helper starts clean */
    if (posix_spawn_file_actions_adddup2(&fa, in, 0) == 0 &&
        posix_spawn_file_actions_adddup2(&fa, out, 1) == 0 &&
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) ==
            0 &&
        posix_spawnattr_setsigmask(&attr, &none) == 0 &&
        posix_spawnattr_setsigdefault(&attr, &all) == 0 &&
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF) == 0 &&
        posix_spawn(&pid, o->helper, &fa, &attr, argv, environ) != 0)
        pid = -1;
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

/* Read the helper's output until it closes it or the deadline passes:
 * 0 at its end, 1 past the deadline, -1 out of memory.  Bytes past
 * max_text are read and dropped (*cut_r), so that the helper never
 * blocks on a full pipe. */
static int
sg_collect(int fd, long long deadline, size_t max_text, struct sg_buf *out,
           bool *cut_r)
{
    size_t start = out->len;
    char chunk[16384];
    for (;;) {
        long long left = deadline - sg_extract_now_ms();
        if (left <= 0)
            return 1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            continue; /* the deadline is checked above */
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        size_t have = out->len - start;
        size_t keep = have < max_text ? max_text - have : 0;
        keep = keep < (size_t)n ? keep : (size_t)n;
        if (keep < (size_t)n)
            *cut_r = true;
        if (keep > 0 && sg_buf_append(out, chunk, keep) < 0)
            return -1;
    }
}

int
sg_extract_run(const struct sg_extract_opts *o, const char *data, size_t len,
               const char *type, const char *name, long timeout_ms,
               struct sg_buf *out)
{
    long long deadline = sg_extract_now_ms() + timeout_ms;
    int pipefd[2];
    int in = sg_input_fd(data, len);
    if (in < 0)
        return SG_EXTRACT_RUN_FAILED;
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
        close(in);
        return SG_EXTRACT_RUN_FAILED;
    }
    pid_t pid = sg_spawn(o, in, pipefd[1], type, name);
    close(in);
    close(pipefd[1]);
    if (pid < 0) {
        close(pipefd[0]);
        return SG_EXTRACT_RUN_FAILED;
    }
    bool cut = false;
    int got = sg_collect(pipefd[0], deadline, (size_t)o->max_text, out, &cut);
    close(pipefd[0]);
    if (got != 0) /* past its time, or no memory here: it is stopped */
        kill(pid, SIGKILL);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (got < 0)
        return -1;
    if (got > 0 || !WIFEXITED(status))
        return SG_EXTRACT_RUN_FAILED;
    switch (WEXITSTATUS(status)) {
    case SG_EXTRACT_RUN_OK:
        return cut ? SG_EXTRACT_RUN_INCOMPLETE : SG_EXTRACT_RUN_OK;
    case SG_EXTRACT_RUN_INCOMPLETE:
        return SG_EXTRACT_RUN_INCOMPLETE;
    case SG_EXTRACT_RUN_NONE:
        return SG_EXTRACT_RUN_NONE;
    default:
        return SG_EXTRACT_RUN_FAILED;
    }
}
