/*
 * review_opts.c - the review commands' options (review_opts.h): one
 * getopt_long loop over a table, and one wording of each bad value.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review_opts.h"
#include "review_report.h"
#include "sg_rules.h"

#define PROG "safeguard-review"

/* More options than any command has. */
#define MAX_OPTS 16

int
sg_review_opts(int argc, char **argv, const struct sg_review_opt *opts)
{
    struct option lo[MAX_OPTS + 1];
    size_t n = 0;
    for (; opts[n].name != NULL; n++) {
        if (n == MAX_OPTS) {
            fprintf(stderr, PROG ": %s: more than %d options\n", argv[0],
                    MAX_OPTS);
            return -1;
        }
        lo[n] = (struct option){opts[n].name,
                                opts[n].given != NULL ? no_argument
                                                      : required_argument,
                                NULL, (int)n + 1};
    }
    lo[n] = (struct option){NULL, 0, NULL, 0};
    int o;
    optind = 0; /* glibc: start afresh (the main scan stopped at "+") */
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (o < 1 || (size_t)o > n)
            return -1;
        const struct sg_review_opt *opt = &opts[o - 1];
        if (opt->value != NULL)
            *opt->value = optarg;
        else if (opt->all != NULL)
            sg_buf_printf(opt->all, "%s%s", opt->all->len > 0 ? " " : "",
                          optarg);
        else if (opt->given != NULL)
            *opt->given = true;
    }
    return optind;
}

int
sg_review_opts_only(int argc, char **argv, const struct sg_review_opt *opts)
{
    int first = sg_review_opts(argc, argv, opts);
    return first < 0 ? -1 : sg_review_opt_no_more(argv[0], argc, argv, first);
}

int
sg_review_opt_no_more(const char *cmd, int argc, char **argv, int first)
{
    if (first >= argc)
        return 0;
    fprintf(stderr, PROG ": %s: unexpected argument \"%s\"\n", cmd,
            argv[first]);
    return -1;
}

int
sg_review_opt_when(const char *opt, const char *v, time_t *t_r)
{
    if (v == NULL)
        return 0;
    int rc = strcmp(opt, "to") == 0 ? sg_review_parse_until(v, t_r)
                                    : sg_review_parse_when(v, t_r);
    if (rc == 0)
        return 0;
    fprintf(stderr, PROG ": --%s: \"%s\" is not a date or an age\n", opt, v);
    return -1;
}

int
sg_review_opt_age(const char *opt, const char *v, time_t *t_r)
{
    if (v == NULL || sg_review_parse_age(v, t_r) == 0)
        return 0;
    fprintf(stderr, PROG ": --%s: \"%s\" is not an age\n", opt, v);
    return -1;
}

int
sg_review_opt_format(const char *v, const char *a, int va, const char *b,
                     int vb, int *format_r)
{
    if (v == NULL)
        return 0;
    if (strcmp(v, a) == 0 || strcmp(v, b) == 0) {
        *format_r = strcmp(v, a) == 0 ? va : vb;
        return 0;
    }
    fprintf(stderr, PROG ": --format: %s or %s, not \"%s\"\n", a, b, v);
    return -1;
}

int
sg_review_opt_track(const char *v, enum sg_track *track_r)
{
    if (v == NULL || sg_track_parse(v, track_r) == 0)
        return 0;
    fprintf(stderr,
            PROG ": --track: \"%s\" is not staff-conduct or pupil-welfare\n",
            v);
    return -1;
}

int
sg_review_opt_uint(const char *opt, const char *v, unsigned max, unsigned *n_r)
{
    if (v == NULL)
        return 0;
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n > max || v[0] == '-') {
        fprintf(stderr, PROG ": --%s: \"%s\" is not a whole number up to %u\n",
                opt, v, max);
        return -1;
    }
    *n_r = (unsigned)n;
    return 0;
}
