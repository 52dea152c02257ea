/*
 * check.c - safeguard-check: the mail admin's rule tester.
 *
 *   safeguard-check [-c CONFIG] [-r RULES] [-d DIRECTORY-FILE]
 *                   --from ADDR --to ADDR [--to ADDR]... [--auth USER]
 *                   [--trusted] [--at WHEN] [--json] MESSAGE.eml
 *   safeguard-check -n [-c CONFIG] [-r RULES] [-d DIRECTORY-FILE]
 *
 * Evaluates one message exactly as the daemon would (the same config,
 * directory, sender-identity rule and rules, through judge.c) and prints
 * the verdict, every matching rule with its findings, and the words the
 * sender and the DSL would read.  -n checks the configuration and rules.
 *
 * SECURITY: reads files the admin names; the message is untrusted and is
 * printed only as the rules quote it (findings, at most 200 bytes each).
 * Fails with a message on standard error and a sysexits code.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <jansson.h>

#include "exempt_message.h"
#include "findings.h"
#include "judge.h"
#include "msgview_build.h"
#include "sg_buf.h"
#include "sg_config.h"
#include "sg_runtime.h"
#include "sg_tz.h"

#define DEFAULT_CONFIG SG_SYSCONFDIR "/safeguard-milter.conf"

struct check_opts {
    const char *config;
    bool config_given;
    const char *rules;
    const char *directory;
    const char *from;
    char **to;
    size_t n_to;
    const char *auth;
    bool trusted;
    const char *at;
    bool json;
    bool check_only;
    const char *message;
};

/* One party as the daemon would see it. */
struct party_info {
    struct sg_person *person;
    enum sg_channel channel;
    bool forged;
    char *via; /* a recipient found through another form (Postfix's
                  rewriting), else NULL */
};

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: safeguard-check [-c CONFIG] [-r RULES] [-d DIRECTORY-FILE]\n"
            "           --from ADDR --to ADDR [--to ADDR]... [--auth USER]\n"
            "           [--trusted] [--at WHEN] [--json] MESSAGE.eml\n"
            "       safeguard-check -n [-c CONFIG] [-r RULES] [-d DIRECTORY-FILE]\n"
            "\n"
            "  -c FILE        configuration (default %s)\n"
            "  -r FILE        rules file, instead of the configuration's\n"
            "  -d FILE        directory file, instead of the configuration's\n"
            "  --from ADDR    envelope sender\n"
            "  --to ADDR      envelope recipient (repeat for more)\n"
            "  --auth USER    the sender authenticated (SMTP AUTH) as USER\n"
            "  --trusted      the sender's client is in trusted_networks\n"
            "  --at WHEN      evaluate at WHEN: now (default), date (the\n"
            "                 message's Date: header), or an ISO 8601 time\n"
            "                 with its zone, e.g. 2026-11-16T21:30:00Z\n"
            "  --json         print one JSON object instead of text\n"
            "  -n             check the configuration and rules, and exit\n",
            DEFAULT_CONFIG);
}

static void
parse_args(int argc, char **argv, struct check_opts *o)
{
    static const struct option longopts[] = {
        {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},
        {"auth", required_argument, NULL, 'A'},
        {"trusted", no_argument, NULL, 'R'},
        {"at", required_argument, NULL, 'W'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    o->config = DEFAULT_CONFIG;
    while ((c = getopt_long(argc, argv, "c:r:d:nVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            o->config_given = true;
            break;
        case 'r':
            o->rules = optarg;
            break;
        case 'd':
            o->directory = optarg;
            break;
        case 'n':
            o->check_only = true;
            break;
        case 'F':
            o->from = optarg;
            break;
        case 'T':
            if (sg_strv_push(&o->to, &o->n_to, optarg) < 0) {
                fprintf(stderr, "safeguard-check: out of memory\n");
                exit(EX_OSERR);
            }
            break;
        case 'A':
            o->auth = optarg;
            break;
        case 'R':
            o->trusted = true;
            break;
        case 'W':
            o->at = optarg;
            break;
        case 'J':
            o->json = true;
            break;
        case 'V':
            printf("safeguard-check %s\n", SG_VERSION);
            exit(EX_OK);
        case 'h':
            usage(stdout);
            exit(EX_OK);
        default:
            usage(stderr);
            exit(EX_USAGE);
        }
    }
    if (o->check_only) {
        if (optind != argc) {
            fprintf(stderr, "safeguard-check: -n takes no message\n");
            exit(EX_USAGE);
        }
        return;
    }
    if (optind + 1 != argc || o->from == NULL || o->n_to == 0) {
        fprintf(stderr, "safeguard-check: give --from, at least one --to, "
                        "and one message file\n");
        usage(stderr);
        exit(EX_USAGE);
    }
    o->message = argv[optind];
}

static struct sg_runtime *
load(const struct check_opts *o)
{
    const char *error = NULL;
    struct sg_config *cfg =
        sg_config_load_default(o->config, o->config_given, &error);
    struct sg_runtime *rt = NULL;
    if (cfg != NULL &&
        ((o->rules != NULL &&
          sg_config_set(cfg, "rules_file", o->rules, &error) < 0) ||
         (o->directory != NULL &&
          sg_config_set(cfg, "directory_file", o->directory, &error) < 0)))
        sg_config_free(&cfg);
    if (cfg != NULL)
        sg_runtime_open(cfg, &rt, &error);
    if (rt == NULL) {
        fprintf(stderr, "safeguard-check: %s\n", error);
        exit(EX_CONFIG);
    }
    return rt;
}

static int
check_only(struct sg_runtime *rt)
{
    const char *name = rt->settings->file.path != NULL ? rt->settings->file.path
                                                       : "(built-in defaults)";
    if (rt->rules != NULL)
        printf("rules: %s: %zu rules, %zu detectors\n",
               rt->settings->rules_file, sg_rules_count(rt->rules),
               sg_rules_detector_count(rt->rules));
    else
        printf("rules: none (rules_file is empty)\n");
    const char *scan =
        rt->rules != NULL ? sg_rules_scan_source(rt->rules) : NULL;
    if (scan != NULL && strcmp(scan, "compiled") == 0)
        printf("scan database: compiled\n");
    else if (scan != NULL) /* read from scan_cache_dir */
        printf("scan database: %s in %s\n", scan, rt->settings->scan_cache_dir);
    if (rt->settings->n_school_domains == 0)
        printf("warning: school_domains is empty: every address will count "
               "as outside the school\n");
    if (rt->directory == NULL) {
        printf("directory: none: every address counts as external\n");
    } else {
        const char *error = NULL;
        if (sg_dir_check(rt->directory, &error) != SG_DIR_FOUND) {
            fprintf(stderr, "safeguard-check: %s: directory: %s\n", name,
                    error != NULL ? error : "check failed");
            return EX_CONFIG;
        }
        printf("directory: %s: reachable\n",
               rt->settings->dir.backend == SG_DIR_BACKEND_LDAP
                   ? "ldap"
                   : rt->settings->dir.file_path);
    }
    sg_config_print_foreign(rt->settings, "", stdout);
    printf("configuration %s is valid\n", name);
    return EX_OK;
}

/* --at: now, date (the Date: header) or ISO 8601 with a zone. */
static time_t
evaluation_time(const char *at, const struct sg_msgview *view)
{
    if (at == NULL || strcmp(at, "now") == 0)
        return time(NULL);
    GDateTime *dt = NULL;
    if (strcmp(at, "date") == 0) {
        const char *date = sg_msgview_header(view, "Date");
        if (date == NULL) {
            fprintf(stderr, "safeguard-check: --at date: the message has no "
                            "Date: header\n");
            exit(EX_DATAERR);
        }
        dt = g_mime_utils_header_decode_date(date);
    } else {
        dt = g_date_time_new_from_iso8601(at, NULL);
    }
    if (dt == NULL) {
        fprintf(stderr,
                "safeguard-check: --at %s: not a time (use now, date, or "
                "e.g. 2026-11-16T21:30:00Z)\n",
                at);
        exit(EX_USAGE);
    }
    time_t t = (time_t)g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return t;
}

/* The directory derives ages and "former pupil" from the calendar day; an
 * evaluation --at another time must use that time's day. */
static void
day_of(void *ctx, struct sg_date *today_r)
{
    sg_date_from_time(*(const time_t *)ctx, today_r);
}

static struct sg_msgview *
read_message(const struct check_opts *o, const struct sg_runtime *rt)
{
    int fd = open(o->message, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "safeguard-check: %s: %s\n", o->message,
                strerror(errno));
        exit(EX_NOINPUT);
    }
    struct sg_msgview *view = NULL;
    const char *error = NULL;
    int rc =
        sg_msgview_build_fd_extract(fd, &rt->settings->extract, &view, &error);
    close(fd);
    if (rc < 0) {
        fprintf(stderr, "safeguard-check: %s: %s\n", o->message, error);
        exit(EX_DATAERR);
    }
    view->env_from = sg_addr_unbracket(o->from);
    view->client_trusted = o->trusted;
    view->auth_user = o->auth != NULL ? strdup(o->auth) : NULL;
    for (size_t i = 0; i < o->n_to; i++) {
        char *r = sg_addr_unbracket(o->to[i]);
        if (r == NULL ||
            sg_strv_push(&view->env_rcpt, &view->n_rcpt, r) < 0) {
            fprintf(stderr, "safeguard-check: out of memory\n");
            exit(EX_OSERR);
        }
        free(r);
    }
    return view;
}

static void
lookup_failed(const char *addr, const char *error)
{
    if (error == NULL) {
        fprintf(stderr, "safeguard-check: out of memory\n");
        exit(EX_OSERR);
    }
    if (addr != NULL)
        fprintf(stderr, "safeguard-check: directory lookup of <%s> failed: "
                        "%s\n",
                addr, error);
    else
        fprintf(stderr, "safeguard-check: %s\n", error);
    fprintf(stderr, "(the daemon would answer with failure_action)\n");
    exit(EX_TEMPFAIL);
}

/* A recipient, in every form Postfix may deliver it to, as the daemon. */
static void
resolve_rcpt_or_exit(const struct sg_runtime *rt, const char *addr,
                     struct party_info *info)
{
    const char *error = NULL;
    bool unfollowable = false;
    enum sg_dir_status st =
        sg_judge_resolve_rcpt(rt, addr, NULL, &info->person, &info->channel,
                              &info->via, &unfollowable, &error);
    if (st == SG_DIR_TEMPFAIL || st == SG_DIR_CONFIG)
        lookup_failed(addr, error != NULL ? error : "unknown error");
    if (unfollowable) {
        fprintf(stderr,
                "safeguard-check: <%s>: the daemon would refuse this "
                "recipient with 550 5.1.3:\n  %s\n",
                addr, SG_RCPT_UNFOLLOWABLE_REPLY);
        exit(EX_DATAERR);
    }
}

/* The sender as the daemon judges it: the envelope, the login's people
 * and the header claims (judge.h). */
static void
sender_or_exit(const struct sg_runtime *rt, const struct check_opts *o,
               const struct sg_msgview *view, struct sg_sender *sender)
{
    const char *addr = NULL, *error = NULL;
    if (sg_judge_sender_envelope(rt, view->env_from, o->trusted, o->auth,
                                 sender, &addr, &error) < 0 ||
        sg_judge_sender_headers(rt, view, o->trusted, o->auth, sender, &addr,
                                &error) < 0)
        lookup_failed(addr, error);
}

/* Would the daemon take the message as exempt correspondence?  Decided
 * as it does at the end of the headers (sg_exempt_at_headers): the
 * envelope's claims on their own. */
static bool
exempt(const struct sg_runtime *rt, const struct check_opts *o,
       const struct sg_msgview *view, const struct sg_party *rcpts,
       size_t n_rcpts)
{
    if (rt->settings->n_exempt_addresses == 0)
        return false;
    struct sg_sender envelope = {0};
    const char *addr = NULL, *error = NULL;
    if (sg_judge_sender_envelope(rt, view->env_from, o->trusted, o->auth,
                                 &envelope, &addr, &error) < 0)
        lookup_failed(addr, error);
    bool yes = sg_exempt_at_headers(rt, &envelope, view, o->trusted, o->auth,
                                    rcpts, n_rcpts);
    sg_sender_free(&envelope);
    return yes;
}

static struct party_info
claim_info(const struct sg_sender *sender, size_t i)
{
    const struct sg_sender_claim *c = &sender->claims[i];
    return (struct party_info){c->person, c->channel, c->forged, NULL};
}

/* "the SMTP AUTH login", "the From:, Sender: or Reply-To: header" */
static const char *
claim_source(const struct sg_sender_claim *c)
{
    return (c->sources & SG_CLAIM_AUTH) ? "the SMTP AUTH login"
                                        : "the From:, Sender: or Reply-To: "
                                          "header";
}

/* "staff, dsl", "pupil (personal address)", "external" */
static void
describe_party(const struct party_info *p, struct sg_buf *out)
{
    if (p->person == NULL || p->person->n_roles == 0) {
        sg_buf_puts(out, p->forged ? "external (a school address used "
                                     "without authenticating)"
                                   : "external");
        return;
    }
    for (size_t i = 0; i < p->person->n_roles; i++)
        sg_buf_printf(out, "%s%s", i > 0 ? ", " : "", p->person->roles[i]);
    if (p->person->display_name != NULL)
        sg_buf_printf(out, " (%s)", p->person->display_name);
    if (p->channel == SG_CHANNEL_PERSONAL)
        sg_buf_puts(out, " writing from a personal address");
}

static void
print_indented(const char *label, const char *text)
{
    if (text == NULL || *text == '\0')
        return;
    printf("  %s\n", label);
    for (const char *line = text; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t len = nl != NULL ? (size_t)(nl - line) : strlen(line);
        printf("    %.*s\n", (int)len, line);
        line += len + (nl != NULL ? 1 : 0);
    }
}

/* Where the message's text was read, each place as the findings name it
 * ("in ..."): a part's own text, each quote with whose words its header
 * says they are, what its HTML hides, its attributes; display names. */
static void
print_places(const struct sg_msgview *view)
{
    if (view->display_names != NULL && view->display_names[0] != '\0') {
        printf("Display names:");
        const char *p = view->display_names;
        while (*p != '\0') {
            size_t l = strcspn(p, "\n");
            printf(" \"%.*s\"", (int)l, p);
            p += l + (p[l] == '\n');
        }
        printf("\n");
    }
    if (view->n_texts > 0)
        printf("Text read in:\n");
    for (size_t i = 0; i < view->n_texts; i++) {
        const struct sg_text_part *t = &view->texts[i];
        const char *what = sg_msgview_place_describe(t->place);
        printf("  %s: %s, %zu bytes\n", t->label, what != NULL ? what : "?",
               t->len);
    }
}

static void
print_text(const struct sg_msgview *view, const char *const *addrs,
           const struct party_info *parties, size_t n_parties,
           const struct sg_sender *sender, const struct sg_verdict *v,
           time_t now, const struct sg_tz *tz)
{
    struct sg_buf b = SG_BUF_INIT;
    sg_judge_describe(v, &b);
    printf("Verdict: %s", sg_action_name(v->action));
    if (v->journal && v->action != SG_ACTION_JOURNAL)
        printf(" (and journal)");
    if (v->would_action > v->action)
        printf("; rules in test mode would have: %s",
               sg_action_name(v->would_action));
    printf("\nLog: %s\n", sg_buf_text_or(&b, "(out of memory)"));
    char when[80];
    sg_tz_format(tz, now, SG_TIME_SECONDS, when, sizeof(when));
    printf("Evaluated at: %s\n\n", when);
    for (size_t i = 0; i < n_parties; i++) {
        sg_buf_reset(&b);
        describe_party(&parties[i], &b);
        printf("%s <%s>: %s\n", i == 0 ? "From" : "To  ", addrs[i],
               sg_buf_text_or(&b, "(out of memory)"));
        if (parties[i].via != NULL)
            printf("      (delivered as <%s>)\n", parties[i].via);
        if (i == 0 && sender->judged > 0) {
            const struct sg_sender_claim *c =
                &sender->claims[sender->judged];
            struct party_info judged = claim_info(sender, sender->judged);
            sg_buf_reset(&b);
            describe_party(&judged, &b);
            printf("Judged as <%s>: %s (claimed by %s)\n", c->address,
                   sg_buf_text_or(&b, "(out of memory)"), claim_source(c));
        }
    }
    printf("Subject: %s\n", view->subject != NULL ? view->subject : "");
    print_places(view);
    sg_buf_free(&b);
    if (v->n_rules == 0) {
        printf("\nNo rule matches.\n");
        return;
    }
    for (size_t i = 0; i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        printf("\nRule %s: %s\n", m->id, m->title != NULL ? m->title : "");
        printf("  Action: %s%s\n", sg_action_name(m->action),
               m->mode == SG_MODE_TEST
                   ? " (test mode: would have; only annotates)"
                   : "");
        printf("  Track: %s\n", sg_track_name(m->track));
        if (m->policy != NULL)
            printf("  Policy: %s\n", m->policy);
        if (m->source != NULL)
            printf("  Source: %s\n", m->source);
        if (m->category != NULL && m->category[0] != '\0')
            printf("  Category: %s\n", m->category);
        if (m->has_retention)
            printf("  Retention: %s (a concern it catches is kept as one)\n",
                   sg_track_name(m->retention));
        for (size_t j = 0; j < m->n_findings; j++) {
            const struct sg_finding *f = &m->findings[j];
            sg_buf_reset(&b);
            sg_finding_put(&b, f->detector, f->text, f->where,
                           &sg_finding_plain);
            printf("  Found: %s\n", b.data != NULL ? b.data : "");
        }
        if (m->n_notify > 0) {
            printf("  Notify:");
            for (size_t j = 0; j < m->n_notify; j++)
                printf("%s %s", j > 0 ? "," : "", m->notify[j]);
            printf("\n");
        }
        print_indented("The sender would read:", m->explain_sender);
        print_indented("The DSL would read:", m->explain_dsl);
    }
    sg_buf_free(&b);
}

static json_t *
strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *
party_json(const char *addr, const struct party_info *p)
{
    json_t *o = json_object();
    json_object_set_new(o, "address", json_string(addr));
    json_object_set_new(o, "roles",
                        p->person != NULL
                            ? strv_json(p->person->roles, p->person->n_roles)
                            : json_pack("[s]", "external"));
    json_object_set_new(o, "channel",
                        json_string(p->channel == SG_CHANNEL_SCHOOL ? "school"
                                    : p->channel == SG_CHANNEL_PERSONAL
                                        ? "personal"
                                        : "none"));
    if (p->forged)
        json_object_set_new(o, "forged", json_true());
    if (p->via != NULL)
        json_object_set_new(o, "delivered_as", json_string(p->via));
    return o;
}

/* The places of print_places, as JSON. */
static json_t *
places_json(const struct sg_msgview *view)
{
    json_t *texts = json_array();
    for (size_t i = 0; i < view->n_texts; i++) {
        const struct sg_text_part *t = &view->texts[i];
        json_t *o = json_pack("{s:s, s:s, s:I}", "where", t->label, "place",
                              sg_msgview_place_name(t->place), "bytes",
                              (json_int_t)t->len);
        if (t->place == SG_PLACE_QUOTED)
            json_object_set_new(o, "quoted_from",
                                t->quote_author != NULL
                                    ? json_string(t->quote_author)
                                    : json_null());
        json_array_append_new(texts, o);
    }
    return texts;
}

static void
print_json(const struct sg_msgview *view, const char *const *addrs,
           const struct party_info *parties, size_t n_parties,
           const struct sg_sender *sender, const struct sg_verdict *v,
           time_t now)
{
    json_t *root = json_object();
    json_object_set_new(root, "action",
                        json_string(sg_action_name(v->action)));
    json_object_set_new(root, "journal", json_boolean(v->journal));
    json_object_set_new(root, "annotate", json_boolean(v->annotate));
    json_object_set_new(root, "would_action",
                        json_string(sg_action_name(v->would_action)));
    json_object_set_new(root, "time", json_integer((json_int_t)now));
    json_object_set_new(root, "sender", party_json(addrs[0], &parties[0]));
    if (sender->judged > 0) {
        const struct sg_sender_claim *c = &sender->claims[sender->judged];
        struct party_info judged = claim_info(sender, sender->judged);
        json_t *j = party_json(c->address, &judged);
        json_object_set_new(j, "claimed_by",
                            json_string((c->sources & SG_CLAIM_AUTH)
                                            ? "auth"
                                            : "header"));
        json_object_set_new(root, "judged_as", j);
    }
    json_t *rcpts = json_array();
    for (size_t i = 1; i < n_parties; i++)
        json_array_append_new(rcpts, party_json(addrs[i], &parties[i]));
    json_object_set_new(root, "recipients", rcpts);
    json_t *rules = json_array();
    for (size_t i = 0; i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        json_t *findings = json_array();
        for (size_t j = 0; j < m->n_findings; j++)
            json_array_append_new(findings,
                                  sg_finding_json(m->findings[j].detector,
                                                  m->findings[j].text,
                                                  m->findings[j].where));
        json_t *r = json_object();
        json_object_set_new(r, "id", json_string(m->id));
        json_object_set_new(r, "title", json_string(m->title));
        json_object_set_new(r, "mode", json_string(sg_mode_name(m->mode)));
        json_object_set_new(r, "track", json_string(sg_track_name(m->track)));
        json_object_set_new(r, "action",
                            json_string(sg_action_name(m->action)));
        json_object_set_new(r, "policy", json_string(m->policy));
        json_object_set_new(r, "category", json_string(m->category));
        json_object_set_new(r, "retention",
                            m->has_retention
                                ? json_string(sg_track_name(m->retention))
                                : json_null());
        json_object_set_new(r, "source", json_string(m->source));
        json_object_set_new(r, "notify", strv_json(m->notify, m->n_notify));
        json_object_set_new(r, "recipients",
                            strv_json(m->recipients, m->n_recipients));
        json_object_set_new(r, "findings", findings);
        json_object_set_new(r, "explain_sender",
                            json_string(m->explain_sender));
        json_object_set_new(r, "explain_dsl", json_string(m->explain_dsl));
        json_array_append_new(rules, r);
    }
    json_object_set_new(root, "rules", rules);
    json_object_set_new(root, "texts", places_json(view));
    json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(root);
}

int
main(int argc, char **argv)
{
    struct check_opts o;
    memset(&o, 0, sizeof(o));
    parse_args(argc, argv, &o);
    struct sg_runtime *rt = load(&o);
    if (o.check_only) {
        int status = check_only(rt);
        sg_runtime_unref(&rt);
        return status;
    }
    sg_msgview_build_init();
    struct sg_msgview *view = read_message(&o, rt);
    time_t now = evaluation_time(o.at, view);
    if (rt->directory != NULL)
        sg_dir_set_clock(rt->directory, NULL, day_of, &now);

    /* parties[0] is the sender, then the recipients */
    size_t n = o.n_to + 1;
    struct party_info *info = calloc(n, sizeof(*info));
    const char **addrs = calloc(n, sizeof(*addrs));
    struct sg_party *rcpts = calloc(o.n_to, sizeof(*rcpts));
    if (info == NULL || addrs == NULL || rcpts == NULL) {
        fprintf(stderr, "safeguard-check: out of memory\n");
        return EX_OSERR;
    }
    struct sg_sender sender;
    sender_or_exit(rt, &o, view, &sender);
    addrs[0] = view->env_from;
    info[0] = claim_info(&sender, 0); /* borrowed from sender */
    for (size_t i = 0; i < o.n_to; i++) {
        addrs[i + 1] = view->env_rcpt[i];
        resolve_rcpt_or_exit(rt, view->env_rcpt[i], &info[i + 1]);
        rcpts[i] = (struct sg_party){view->env_rcpt[i], info[i + 1].person,
                                     info[i + 1].channel};
    }
    struct sg_verdict *verdict = NULL;
    const char *error = NULL;
    if (exempt(rt, &o, view, rcpts, o.n_to)) {
        /* the daemon neither reads nor records it: nothing to explain */
        if (o.json)
            printf("{\n  \"action\": \"accept\",\n  \"exempt\": true\n}\n");
        else
            printf("Verdict: accept (exempt correspondence, exempt_addresses: "
                   "delivered unread, with no record)\n"
                   "Log: verdict=accept exempt=yes rcpts=%zu\n",
                   o.n_to);
    } else if (sg_judge_eval(rt, view, &sender, rcpts, o.n_to, now, &verdict,
                             &error) < 0) {
        fprintf(stderr,
                "safeguard-check: the rules could not be evaluated: %s\n"
                "(the daemon would answer with failure_action)\n",
                error != NULL ? error : "unknown error");
        return EX_SOFTWARE;
    } else if (o.json) {
        print_json(view, addrs, info, n, &sender, verdict, now);
    } else {
        print_text(view, addrs, info, n, &sender, verdict, now,
                   sg_rules_tz(rt->rules));
    }

    sg_verdict_free(&verdict);
    for (size_t i = 1; i < n; i++) {
        sg_person_free(&info[i].person);
        free(info[i].via);
    }
    sg_sender_free(&sender);
    free(info);
    free(addrs);
    free(rcpts);
    sg_strv_free(&o.to, &o.n_to);
    sg_msgview_free(&view);
    sg_runtime_unref(&rt);
    sg_msgview_build_shutdown();
    return ferror(stdout) ? EX_IOERR : EX_OK;
}
