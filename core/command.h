/*
 * command.h - running a configured command (the notice sendmail, the
 * review tool's postsuper and postqueue) without a shell.
 */
#ifndef SG_COMMAND_H
#define SG_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

/* Split a configured command line into words: white space separates them,
 * '...' and "..." quote, a control character is refused, and the first
 * word must be an absolute path.  *words_r is NULL-terminated, with *n_r
 * words (free with sg_strv_free(words_r, n_r)).  what names the setting
 * in errors ("sendmail command").  0, or -1 with *error_r. */
int sg_command_split(const char *what, const char *line, char ***words_r,
                     size_t *n_r, const char **error_r);

struct sg_command_result {
    int status;           /* waitpid status, unless timed_out */
    bool timed_out;       /* it was killed at the timeout */
    size_t input_written; /* bytes of the input it took */
    char *output;         /* its standard output and error, at most
                             output_max bytes, NUL-terminated */
    size_t output_len;
};

/* Run argv (argv[0] an absolute path) in a process group of its own, with
 * only PATH=/usr/sbin:/usr/bin:/sbin:/bin and LC_ALL=C in its environment,
 * input (may be NULL) on its standard input, and its output kept up to
 * output_max bytes; the group is killed after timeout_ms.  0 when it ran
 * (what became of it is in *res), -1 with *error_r when it could not be
 * run.  Safe in a threaded daemon: the child makes only async-signal-safe
 * calls before execve. */
int sg_command_run(char *const argv[], const char *input, size_t input_len,
                   unsigned timeout_ms, size_t output_max,
                   struct sg_command_result *res, const char **error_r);
void sg_command_result_free(struct sg_command_result *res);

/* The first non-blank line of text (may be NULL), control characters made
 * spaces, cut to fit out (size bytes). */
void sg_command_first_line(const char *text, char *out, size_t size);

#endif
