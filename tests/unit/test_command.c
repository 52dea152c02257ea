/*
 * test_command.c - the command runner (core/command.c) with real
 * processes: what it hands to a command and keeps of its output, its exit
 * status, a command that does not read its input or cannot be executed,
 * the timeout that kills a command's whole process group, and a
 * grandchild that keeps the output pipe open after the command exited.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "command.h"
#include "extract_run.h"
#include "sg_person.h"

/* Is pid a process that has not died?  A killed process whose parent
 * is gone may stay a zombie where nothing reaps orphans (a container). */
static bool
running(int pid)
{
    char path[64], stat[256];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return false;
    size_t n = fread(stat, 1, sizeof(stat) - 1, f);
    fclose(f);
    stat[n] = '\0';
    const char *paren = strrchr(stat, ')');
    return paren != NULL && paren[1] == ' ' && paren[2] != 'Z' &&
           paren[2] != 'X';
}

/* Run /bin/sh -c script with input; asserts that it ran. */
static void
run_sh(const char *script, const char *input, size_t input_len,
       unsigned timeout_ms, size_t output_max, struct sg_command_result *res)
{
    char *const argv[] = {"/bin/sh", "-c", (char *)(uintptr_t)script, NULL};
    const char *error = NULL;
    assert_int_equal(sg_command_run(argv, input, input_len, timeout_ms,
                                     output_max, res, &error),
                     0);
    assert_null(error);
}

static void
test_input_to_output(void **state)
{
    (void)state;
    struct sg_command_result res;
    run_sh("cat; echo err >&2", "hello\n", 6, 10000, 1024, &res);
    assert_false(res.timed_out);
    assert_true(WIFEXITED(res.status));
    assert_int_equal(WEXITSTATUS(res.status), 0);
    assert_int_equal(res.input_written, 6);
    assert_string_equal(res.output, "hello\nerr\n");
    assert_int_equal(res.output_len, 10);
    sg_command_result_free(&res);
    assert_null(res.output);
}

/* More input than a socket buffer holds, and more output than a pipe
 * holds: both directions at once, so a runner that wrote all before
 * reading would dead-lock with the command. */
static void
test_large_both_ways(void **state)
{
    (void)state;
    size_t len = 4u << 20;
    char *input = malloc(len);
    assert_non_null(input);
    for (size_t i = 0; i < len; i++)
        input[i] = (char)('a' + i % 26);
    struct sg_command_result res;
    run_sh("cat", input, len, 20000, len + 1, &res);
    assert_false(res.timed_out);
    assert_int_equal(res.input_written, len);
    assert_int_equal(res.output_len, len);
    assert_memory_equal(res.output, input, len);
    sg_command_result_free(&res);
    free(input);
}

static void
test_output_cut_at_max(void **state)
{
    (void)state;
    struct sg_command_result res;
    run_sh("printf 0123456789abcdef", NULL, 0, 10000, 10, &res);
    assert_int_equal(res.output_len, 10);
    assert_string_equal(res.output, "0123456789");
    sg_command_result_free(&res);
}

static void
test_exit_status_and_no_output(void **state)
{
    (void)state;
    struct sg_command_result res;
    run_sh("exit 75", NULL, 0, 10000, 1024, &res);
    assert_false(res.timed_out);
    assert_true(WIFEXITED(res.status));
    assert_int_equal(WEXITSTATUS(res.status), 75);
    assert_int_equal(res.input_written, 0);
    assert_non_null(res.output);
    assert_int_equal(res.output_len, 0);
    assert_string_equal(res.output, "");
    sg_command_result_free(&res);
}

/* A command that exits without reading its input: the runner neither
 * dies of SIGPIPE nor waits; what it took is said. */
static void
test_input_not_read(void **state)
{
    (void)state;
    size_t len = 4u << 20;
    char *input = calloc(1, len);
    assert_non_null(input);
    struct sg_command_result res;
    run_sh("echo gone; exit 3", input, len, 10000, 1024, &res);
    assert_false(res.timed_out);
    assert_int_equal(WEXITSTATUS(res.status), 3);
    assert_true(res.input_written < len);
    assert_string_equal(res.output, "gone\n");
    sg_command_result_free(&res);
    free(input);
}

/* The environment is the fixed one, nothing the caller has. */
static void
test_environment(void **state)
{
    (void)state;
    setenv("SG_TEST_SECRET", "leak", 1);
    struct sg_command_result res;
    run_sh("env | sort", NULL, 0, 10000, 4096, &res);
    unsetenv("SG_TEST_SECRET");
    assert_null(strstr(res.output, "SG_TEST_SECRET"));
    assert_non_null(strstr(res.output, "LC_ALL=C\n"));
    assert_non_null(strstr(res.output, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n"));
    sg_command_result_free(&res);
}

static void
test_cannot_execute(void **state)
{
    (void)state;
    char *const argv[] = {"/nonexistent/sendmail", "-t", NULL};
    struct sg_command_result res;
    const char *error = NULL;
    assert_int_equal(sg_command_run(argv, "x", 1, 10000, 1024, &res, &error),
                     0);
    assert_true(WIFEXITED(res.status));
    assert_int_equal(WEXITSTATUS(res.status), 127);
    assert_string_equal(res.output,
                        "cannot execute /nonexistent/sendmail\n");
    sg_command_result_free(&res);
}

/* At the timeout the command and its children are killed, the output so
 * far kept. */
static void
test_timeout_kills_group(void **state)
{
    (void)state;
    char pidfile[] = "/tmp/sg-test-command-XXXXXX";
    int fd = mkstemp(pidfile);
    assert_true(fd >= 0);
    close(fd);
    char script[256];
    snprintf(script, sizeof(script),
             "echo started; sleep 30 & echo $! > %s; wait", pidfile);
    struct sg_command_result res;
    long long t0 = sg_extract_now_ms();
    run_sh(script, NULL, 0, 300, 1024, &res);
    long long took = sg_extract_now_ms() - t0;
    assert_true(res.timed_out);
    assert_true(took >= 300 && took < 5000);
    assert_true(WIFSIGNALED(res.status));
    assert_int_equal(WTERMSIG(res.status), SIGKILL);
    assert_string_equal(res.output, "started\n");
    sg_command_result_free(&res);
    FILE *f = fopen(pidfile, "r");
    assert_non_null(f);
    int grandchild = 0;
    assert_int_equal(fscanf(f, "%d", &grandchild), 1);
    fclose(f);
    unlink(pidfile);
    /* the sleep went with its group (allow a moment for the signal) */
    bool alive = true;
    for (int i = 0; i < 100 && alive; i++) {
        alive = running(grandchild);
        if (alive)
            usleep(10000);
    }
    assert_false(alive);
}

/* A command that exits while a child of its own still holds the output
 * pipe: its answer comes when it exits, not when the child does. */
static void
test_grandchild_holds_pipe(void **state)
{
    (void)state;
    struct sg_command_result res;
    long long t0 = sg_extract_now_ms();
    run_sh("sleep 3 & echo done", NULL, 0, 10000, 1024, &res);
    long long took = sg_extract_now_ms() - t0;
    assert_false(res.timed_out);
    assert_int_equal(WEXITSTATUS(res.status), 0);
    assert_string_equal(res.output, "done\n");
    assert_true(took < 2500);
    sg_command_result_free(&res);
}

static void
test_split(void **state)
{
    (void)state;
    char **words = NULL;
    size_t n = 0;
    const char *error = NULL;
    assert_int_equal(sg_command_split("sendmail command",
                                      "/usr/sbin/sendmail -t 'a b' \"c\"d",
                                      &words, &n, &error),
                     0);
    assert_int_equal(n, 4);
    assert_string_equal(words[0], "/usr/sbin/sendmail");
    assert_string_equal(words[1], "-t");
    assert_string_equal(words[2], "a b");
    assert_string_equal(words[3], "cd");
    assert_null(words[4]);
    sg_strv_free(&words, &n);
    assert_int_equal(sg_command_split("sendmail command", "sendmail -t",
                                      &words, &n, &error),
                     -1);
    assert_string_equal(error, "sendmail command \"sendmail -t\": the "
                               "program must be an absolute path (it is "
                               "run without a shell)");
    assert_int_equal(sg_command_split("sendmail command", "/bin/x 'a", &words,
                                      &n, &error),
                     -1);
    assert_string_equal(error,
                        "sendmail command \"/bin/x 'a\": unbalanced ' quote");
    assert_int_equal(sg_command_split("sendmail command", "  ", &words, &n,
                                      &error),
                     -1);
    assert_string_equal(error, "the sendmail command is empty");
}

static void
test_first_line(void **state)
{
    (void)state;
    char out[8];
    sg_command_first_line("\n  queue\tfull\r\nmore", out, sizeof(out));
    assert_string_equal(out, "queue f");
    sg_command_first_line(NULL, out, sizeof(out));
    assert_string_equal(out, "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_to_output),
        cmocka_unit_test(test_large_both_ways),
        cmocka_unit_test(test_output_cut_at_max),
        cmocka_unit_test(test_exit_status_and_no_output),
        cmocka_unit_test(test_input_not_read),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_cannot_execute),
        cmocka_unit_test(test_timeout_kills_group),
        cmocka_unit_test(test_grandchild_holds_pipe),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_first_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
