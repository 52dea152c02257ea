/*
 * review_cli_act.c - the commands of safeguard-review that change
 * records (review_cli.h): release, reject and escalate, reinject, note,
 * and sync.  Each decision and note is credited as sg_cli_credit says.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "review_cli.h"
#include "review_opts.h"
#include "sg_buf.h"
#include "store_hosts.h"

/* release / reject ID --note TEXT [--tell-sender TEXT] [--by NAME];
 * escalate ID --note TEXT [--by NAME] */
int
sg_cli_decide(struct sg_cli *c, int argc, char **argv)
{
    const char *what = argv[0], *by = NULL;
    struct sg_review_words words = {NULL, NULL};
    const struct sg_review_opt opts[] = {
        SG_OPT_VALUE("note", &words.note),
        SG_OPT_VALUE("tell-sender", &words.to_sender),
        SG_OPT_VALUE("by", &by),
        SG_OPT_END,
    };
    const char *id = sg_cli_one_record(argc, argv, opts);
    if (words.to_sender != NULL && strcmp(what, "escalate") == 0)
        sg_cli_die(EX_USAGE, "%s: --tell-sender goes with release or reject",
                   what);
    /* --tell-sender once took no text: "--tell-sender --note x" must not
     * mail "--note" to the sender */
    if (words.to_sender != NULL && (!sg_review_text_given(words.to_sender) ||
                                    strncmp(words.to_sender, "--", 2) == 0))
        sg_cli_die(
            EX_USAGE,
            "%s: --tell-sender TEXT: give the message to the sender (it is "
            "mailed to them; the --note is not)",
            what);
    if (!sg_review_text_given(words.note))
        sg_cli_die(EX_USAGE, "%s: --note is required: say why, for the record",
                   what);
    sg_cli_credit(c, by);
    const char *err = NULL;
    int rc;
    if (strcmp(what, "release") == 0)
        rc = sg_review_release(c->r, id, &c->actor, &words, &err);
    else if (strcmp(what, "reject") == 0)
        rc = sg_review_reject(c->r, id, &c->actor, &words, &err);
    else
        rc = sg_review_escalate(c->r, id, &c->actor, words.note, &err);
    if (rc == SG_REVIEW_GONE)
        sg_cli_die(EX_UNAVAILABLE, "not done: %s", err);
    if (rc != 0)
        sg_cli_die(sg_cli_exit_for(rc), "%s", err);
    const char *told =
        words.to_sender != NULL ? "; your message has gone to the sender" : "";
    /* another host holds it: its daemon carries the decision out */
    char *host = NULL;
    if (strcmp(what, "escalate") != 0 &&
        sg_store_record_host(sg_review_store(c->r), id, &host, &err) == 0 &&
        host != NULL &&
        strcmp(host, sg_review_get_settings(c->r)->host_name) != 0) {
        printf("%s: %s by %s; host %s %ss it from its hold queue within "
               "its decision_poll_interval%s.\n",
               id, strcmp(what, "release") == 0 ? "released" : "rejected",
               c->actor.user, host,
               strcmp(what, "release") == 0 ? "release" : "delete", told);
        free(host);
        return EX_OK;
    }
    free(host);
    if (strcmp(what, "release") == 0)
        printf("%s: released by %s; the mail server is delivering it%s.\n", id,
               c->actor.user, told);
    else if (strcmp(what, "reject") == 0)
        printf("%s: rejected by %s and deleted from the mail queue%s.\n", id,
               c->actor.user, told);
    else
        printf("%s: escalated by %s; the message stays held.\n", id,
               c->actor.user);
    return EX_OK;
}

/* reinject ID --note TEXT [--release] [--by NAME]: a host gone for good */
int
sg_cli_reinject(struct sg_cli *c, int argc, char **argv)
{
    const char *note = NULL, *by = NULL;
    bool release = false;
    const struct sg_review_opt opts[] = {
        SG_OPT_VALUE("note", &note),
        SG_OPT_FLAG("release", &release),
        SG_OPT_VALUE("by", &by),
        SG_OPT_END,
    };
    const char *id = sg_cli_one_record(argc, argv, opts);
    if (!sg_review_text_given(note))
        sg_cli_die(EX_USAGE,
                   "reinject: --note is required: say why, for the record");
    sg_cli_credit(c, by);
    const char *err = NULL;
    int rc = sg_review_reinject(c->r, id, &c->actor, note, release, &err);
    if (rc != 0)
        sg_cli_die(sg_cli_exit_for(rc), "%s", err);
    printf("%s: sent again from this host to its recipients by %s; the "
           "copy held on its own host is deleted if that host returns.\n",
           id, c->actor.user);
    return EX_OK;
}

int
sg_cli_note(struct sg_cli *c, int argc, char **argv)
{
    const char *id = NULL, *by = NULL;
    struct sg_buf note = SG_BUF_INIT;
    const struct sg_review_opt opts[] = {
        SG_OPT_VALUE("by", &by),
        SG_OPT_ALL("note", &note),
        SG_OPT_END,
    };
    /* note ID TEXT...: the words after the id are the note too */
    int first = sg_review_opts(argc, argv, opts);
    if (first < 0) {
        sg_buf_free(&note);
        return EX_USAGE;
    }
    if (first < argc)
        id = argv[first++];
    for (int i = first; i < argc; i++)
        sg_buf_printf(&note, "%s%s", note.len ? " " : "", argv[i]);
    if (id == NULL || (note.len == 0 && !sg_buf_failed(&note)))
        sg_cli_die(EX_USAGE, "note: usage: note ID TEXT");
    sg_cli_whole(&note); /* never a note cut short */
    sg_cli_credit(c, by);
    const char *err;
    int rc = sg_review_note(c->r, id, &c->actor, note.data, &err);
    sg_buf_free(&note);
    if (rc != 0)
        sg_cli_die(sg_cli_exit_for(rc), "%s", err);
    printf("%s: note added.\n", id);
    return EX_OK;
}

int
sg_cli_sync(struct sg_cli *c, int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        sg_cli_die(EX_USAGE, "sync takes no arguments");
    size_t gone = 0;
    const char *err;
    if (sg_review_sync(c->r, &c->actor, stdout, &gone, &err) < 0)
        sg_cli_die(EX_TEMPFAIL, "%s", err);
    printf("sync: %zu record%s updated for messages no longer held.\n", gone,
           gone == 1 ? "" : "s");
    return EX_OK;
}
