/*
 * review_fixture.h - a real quarantine store in a temporary directory,
 * filled through sg_store_hold, and a shell script standing in for
 * postsuper and postqueue (it keeps "QUEUE_ID QUEUE_NAME" lines in a file
 * and logs every call).  Shared by the review library's and the web
 * page's unit tests.
 */
#ifndef REVIEW_FIXTURE_H
#define REVIEW_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "store.h"
#include "review.h"

#define DAY 86400

struct review_fixture {
    char dir[64];
    char db[512]; /* the store's location (sg_test_store) */
    char store[128];
    char queue[128]; /* the fake queue: "QID NAME" lines */
    char calls[128]; /* one line per fake command call */
    char script[128];
    char release_cmd[512], delete_cmd[512], queue_cmd[512];
    struct sg_store *q;
    struct sg_review *r;
    const char *school; /* the school of a trust new holds name; NULL:
                           none */
};

/* The held message's text (multipart: HTML with a script, text with
 * terminal escapes and a bidi override, a PDF). */
extern const char review_fixture_message[];

/* Make the directory, the fake commands and the store; 0 or -1. */
int review_fixture_setup(struct review_fixture *e);
/* Close everything and remove the directory; 0 or -1. */
int review_fixture_teardown(struct review_fixture *e);
/* The same as cmocka's setup and teardown of a test: *state is a new
 * fixture, set up; then torn down and freed. */
int review_fixture_new(void **state);
int review_fixture_free(void **state);
/* How many audit rows record id has with action (NULL: any). */
size_t review_fixture_audited(struct review_fixture *e, const char *id,
                              const char *action);
/* Hold a message from `from` (subject may be NULL: "Call me") at `when`,
 * with one rule or two, and put qid in the fake hold queue.  The record
 * id, malloc'ed. */
char *review_fixture_hold(struct review_fixture *e, const char *qid,
                          const char *from, const char *subject, time_t when,
                          bool both_rules);
/* The same with the rules given (their action and track make the
 * record's). */
char *review_fixture_hold_rules(struct review_fixture *e, const char *qid,
                                const char *from, const char *subject,
                                time_t when, struct sg_rule_match *rules,
                                size_t n_rules);
/* The same, the store's answer returned (0, or -1 with *error_r) instead
 * of failing the test: *id_r the record id, malloc'ed.  rules NULL: both
 * of review_fixture_hold's. */
int review_fixture_try_hold(struct review_fixture *e, const char *qid,
                            const char *from, const char *subject, time_t when,
                            struct sg_rule_match *rules, size_t n_rules,
                            char **id_r, const char **error_r);
/* Default settings pointing at the fake commands. */
void review_fixture_settings(struct review_fixture *e,
                             struct sg_review_settings *s);
/* (Re)open e->r with s. */
void review_fixture_open(struct review_fixture *e,
                         const struct sg_review_settings *s);

#endif
