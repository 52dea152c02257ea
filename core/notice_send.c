/*
 * notice_send.c - sending a notice through the local sendmail command,
 * and the checks on the addresses a notice goes from and to.
 *
 * SECURITY:
 *  - The sendmail command is split into words once, at configuration time,
 *    and run without a shell by command.c (fixed environment, killed at
 *    the timeout, no SIGPIPE): no shell ever sees an address.  An address
 *    that starts with '-' or holds a control character is refused.
 *
 * Fails by returning -1 with *error_r (common/sg_error.h); never
 * logs, never exits.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "notice.h"
#include "notice_int.h"
#include "sg_buf.h"
#include "sg_expand.h"

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

unsigned
sg_notice_sender_timeout_ms(const struct sg_notice_sender *s)
{
    return s != NULL ? s->timeout_ms : 0;
}

void
sg_notice_sender_free(struct sg_notice_sender **s)
{
    if (s == NULL || *s == NULL)
        return;
    sg_strv_free(&(*s)->words, &(*s)->n_words);
    free(*s);
    *s = NULL;
}

/* The placeholders of a command word, in sg_expand's syntax. */
enum { WORD_FROM, WORD_TO };
static const char *const word_names[] = {"from", "to", NULL};

/* {from} is the sender; {to} is refused but as a word of its own. */
static int
put_word_value(struct sg_buf *b, size_t i, void *from)
{
    return i == WORD_FROM ? sg_buf_puts(b, *(const char **)from) : -1;
}

/* Placeholders in a command word: only {from} (and {to} alone). */
static int
check_command_word(const char *w, const char *command, const char **error_r)
{
    struct sg_expand_bad bad;
    if (sg_expand_check(w, word_names, &bad) < 0)
        return FAIL("sendmail command \"%s\": unknown placeholder in \"%s\" "
                    "(only {from} and {to})",
                    command, w);
    struct sg_buf b = SG_BUF_INIT;
    const char *from = "";
    int r =
        strcmp(w, "{to}") == 0 ||
                sg_expand(&b, w, word_names, put_word_value, NULL, &from) == 0
            ? 0
            : FAIL("sendmail command \"%s\": {to} must be a word of its "
                   "own",
                   command);
    sg_buf_free(&b);
    return r;
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
    int r = sg_command_split("sendmail command", command, &s->words,
                             &s->n_words, error_r);
    for (size_t i = 0; r == 0 && i < s->n_words; i++) {
        const char *word = s->words[i];
        if ((r = check_command_word(word, command, error_r)) < 0)
            break;
        if (strcmp(word, "{to}") == 0) {
            if (s->to_word != SIZE_MAX) {
                r = FAIL("sendmail command \"%s\": {to} given twice",
                         command);
                break;
            }
            s->to_word = i;
        }
    }
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
        r = sg_expand(&w, s->words[i], word_names, put_word_value, NULL, &from);
        argv[a++] = sg_buf_steal(&w); /* owned: freed below */
        if (argv[a - 1] == NULL) /* an append failed */
            r = -1;
    }
    struct sg_command_result res;
    if (r < 0)
        NOMEM();
    else if ((r = sg_command_run(argv, rendered_message,
                                 strlen(rendered_message), s->timeout_ms,
                                 OUTPUT_KEEP, &res, error_r)) == 0) {
        char said[OUTPUT_KEEP];
        sg_command_first_line(res.output, said, sizeof(said));
        const char *sep = said[0] ? ": " : "";
        if (res.timed_out)
            r = FAIL("sendmail command %s did not finish within %u ms and "
                     "was killed",
                     s->words[0], s->timeout_ms);
        else if (WIFSIGNALED(res.status))
            r = FAIL("sendmail command %s was killed by signal %d%s%s",
                     s->words[0], WTERMSIG(res.status), sep, said);
        else if (WIFEXITED(res.status) && WEXITSTATUS(res.status) != 0)
            r = FAIL("sendmail command %s exited with status %d%s%s",
                     s->words[0], WEXITSTATUS(res.status), sep, said);
        else if (res.input_written < strlen(rendered_message))
            r = FAIL("sendmail command %s exited before reading the whole "
                     "message%s%s",
                     s->words[0], sep, said);
        sg_command_result_free(&res);
    }
    for (size_t i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    return r;
}
