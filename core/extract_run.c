/*
 * extract_run.c - run safeguard-extract(8) on one attachment through
 * sg_command_run (command.c): the attachment on its stdin, its text back
 * on its stdout, kept up to max_text, the helper killed at the deadline;
 * safe in the threaded daemon, with no descriptor of ours left open in
 * the helper.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "command.h"
#include "extract_run.h"

long long
sg_extract_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sg_extract_cmd(const struct sg_extract_opts *o, const char *type,
               const char *name, struct sg_extract_cmd *cmd)
{
    snprintf(cmd->in, sizeof(cmd->in), "%llu",
             (unsigned long long)o->max_size);
    snprintf(cmd->out, sizeof(cmd->out), "%llu",
             (unsigned long long)o->max_text);
    snprintf(cmd->cpu, sizeof(cmd->cpu), "%d", o->timeout);
    snprintf(cmd->mem, sizeof(cmd->mem), "%llu",
             (unsigned long long)(o->memory >> 20));
    /* -q: its diagnostics (a library's complaints about a damaged file)
     * would be mixed into its text */
    char *const argv[] = {o->helper, "-q", "-i", cmd->in, "-o", cmd->out,
                          "-t", cmd->cpu, "-m", cmd->mem,
                          (char *)(uintptr_t)type,
                          (char *)(uintptr_t)(name != NULL ? name : ""),
                          NULL};
    _Static_assert(sizeof(argv) == sizeof(cmd->argv), "the helper's argv");
    memcpy(cmd->argv, argv, sizeof(argv));
}

int
sg_extract_run(const struct sg_extract_opts *o, const char *data, size_t len,
               const char *type, const char *name, long timeout_ms,
               struct sg_buf *out)
{
    struct sg_extract_cmd cmd;
    sg_extract_cmd(o, type, name, &cmd);
    struct sg_command_result res;
    const char *error;
    size_t max = (size_t)o->max_text;
    if (sg_command_run(cmd.argv, data, len,
                       timeout_ms > 0 ? (unsigned)timeout_ms : 1, max + 1,
                       &res, &error) < 0)
        return SG_EXTRACT_RUN_FAILED; /* not started: not inspected */
    int st = SG_EXTRACT_RUN_FAILED;
    if (!res.timed_out && WIFEXITED(res.status)) {
        switch (WEXITSTATUS(res.status)) {
        case SG_EXTRACT_RUN_OK:
        case SG_EXTRACT_RUN_INCOMPLETE:
        case SG_EXTRACT_RUN_NONE:
            st = WEXITSTATUS(res.status);
            break;
        default:
            break;
        }
    }
    bool cut = res.output_len > max; /* it wrote more than it was told */
    if ((st == SG_EXTRACT_RUN_OK || st == SG_EXTRACT_RUN_INCOMPLETE) &&
        sg_buf_append(out, res.output, cut ? max : res.output_len) < 0)
        st = -1;
    if (st == SG_EXTRACT_RUN_OK && cut)
        st = SG_EXTRACT_RUN_INCOMPLETE;
    sg_command_result_free(&res);
    return st;
}
