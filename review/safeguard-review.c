/*
 * safeguard-review.c - the quarantine review command line.
 *
 *   safeguard-review [-c CONFIG] [-o NAME=VALUE]... COMMAND [ARGS]
 *
 * list, show, release, reject, escalate, note, export, expire, digest,
 * audit, sync: see safeguard-review(8).  The database, the message
 * directory, the notice settings and the review_* settings come from the
 * daemon's configuration file, loaded by the same code
 * (sg_config_load_with, with the review tool's own section); -o overrides
 * any key of it through sg_config_override, checked as in the file.  Every
 * command goes through the review library (review.h), which the web page
 * shares, and is audited as the Unix user running it, from "command line";
 * decisions and notes are credited to the reviewer (--by, SUDO_USER), with
 * the Unix user kept beside it.
 *
 * The commands themselves are in review_cli_show.c (what prints
 * records), review_cli_act.c (what changes them) and the review library
 * (review_cmd.h, review_report.h, review_serve.h, review_outbox.h);
 * this file is their table, the usage and the dispatch.
 * Fails with a message on standard error and a sysexits code.
 */
#include "config.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "review.h"
#include "review_cli.h"
#include "review_cmd.h"
#include "review_outbox.h"
#include "review_report.h"
#include "review_serve.h"
#include "review_settings.h"
#include "sg_config.h"

#define DEFAULT_CONFIG SG_SYSCONFDIR "/safeguard-milter.conf"

static const char *progname = "safeguard-review";

static void
usage(FILE *out)
{
    fprintf(
        out,
        "usage: safeguard-review [-c CONFIG] [-o NAME=VALUE]... COMMAND "
        "[ARGS]\n"
        "\n"
        "  list [--status S|all] [--older-than AGE] [--newer-than AGE]\n"
        "       [--rule RULE] [--sender TEXT] [--track T] [--host HOST]\n"
        "       [--limit N] [--oldest-first] [--school NAME]\n"
        "       [--after CREATED,ID]\n"
        "  show ID [--no-queue] [--school NAME]\n"
        "  release ID --note TEXT [--tell-sender TEXT] [--by NAME]\n"
        "  reject ID --note TEXT [--tell-sender TEXT] [--by NAME]\n"
        "  escalate ID --note TEXT [--by NAME]\n"
        "  note ID TEXT [--by NAME]\n"
        "  reinject ID --note TEXT [--release] [--by NAME]\n"
        "                               send a gone host's message again\n"
        "  export [--since WHEN] [--format csv|json] [--track T]\n"
        "  expire [--dry-run]            retention: see safeguard-review(8)\n"
        "  legal-hold ID --reason TEXT | --lift ID --note TEXT [--by NAME]\n"
        "             (--staff ADDRESS for every record of one person)\n"
        "  sar ADDRESS [--format html|json] [--output FILE] [--by NAME]\n"
        "  concerns [--since WHEN] [--track T] [--format csv|json]\n"
        "           [--output FILE]     one row per concern, with pupils\n"
        "  report [--from WHEN] [--to WHEN] [--format html|csv]\n"
        "         [--output FILE]       the provision report for governors\n"
        "  policy [--since WHEN]        the policy's changes, who and why\n"
        "  digest [--mail]\n"
        "  audit [ID] [--since WHEN]\n"
        "  sync\n"
        "  outbox [--all] [--send]      notices not yet sent; send them\n"
        "  serve [--listen HOST:PORT]   the web page for DSLs\n"
        "  passwd [--file FILE] LOGIN   an account of the page's password\n"
        "                               file (the password on stdin)\n"
        "  check                        check the configuration file: every\n"
        "                               setting, the daemon's and this tool's\n"
        "\n"
        "  -c FILE        configuration (default %s)\n"
        "  -o NAME=VALUE  override a setting of that file\n"
        "                 (safeguard-milter.conf(5)), e.g.\n"
        "                 -o review_sla_hours=48\n"
        "  -h, --help     print this help and exit\n"
        "  -V, --version  print the version and exit\n"
        "--note is kept for the record and shown to reviewers; "
        "--tell-sender\n"
        "is mailed to the sender.  A decision is credited to --by, "
        "else\n"
        "SUDO_USER (under sudo), else the Unix user.\n"
        "AGE is a number with s, m, h, d or w; WHEN is YYYY-MM-DD,\n"
        "YYYY-MM-DDTHH:MM[:SS] (UTC) or an AGE ago.\n",
        DEFAULT_CONFIG);
}

/* The web page (review_serve.c). */
static int
cmd_serve(struct sg_cli *c, int argc, char **argv)
{
    return sg_review_cmd_serve(c->r, c->cfg, argc, argv);
}

static int
cmd_passwd(struct sg_cli *c, int argc, char **argv)
{
    return sg_review_cmd_passwd(c->cfg, argc, argv);
}

/* expire, legal-hold and sar (review_expire.c, review_legal.c,
 * review_sar.c) */
static void
credit_cb(void *c, const char *by)
{
    sg_cli_credit(c, by);
}
static int
cmd_retention(struct sg_cli *c, int argc, char **argv)
{
    struct sg_review_cmd k = {c->r, &c->actor, credit_cb, c};
    return sg_review_cmd_retention(&k, argc, argv);
}

/* The notices not yet sent (review_outbox.c). */
static int
cmd_outbox(struct sg_cli *c, int argc, char **argv)
{
    return sg_review_cmd_outbox(c->r, argc, argv);
}

/* review_report.h */
static int
cmd_policy(struct sg_cli *c, int argc, char **argv)
{
    return sg_review_cmd_policy(c->r, &c->actor, argc, argv);
}

static int
cmd_report(struct sg_cli *c, int argc, char **argv)
{
    return sg_review_cmd_report(c->r, &c->actor, argc, argv);
}

static int
cmd_concerns(struct sg_cli *c, int argc, char **argv)
{
    return sg_review_cmd_concerns(c->r, &c->actor, argc, argv);
}

/* The file loaded with every section (the daemon's and this tool's), so
 * its keys are all checked; nothing is opened. */
static int
cmd_check(struct sg_cli *c, int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fprintf(stderr, "%s: check takes no argument\n", progname);
        return EX_USAGE;
    }
    printf("%s: configuration %s is valid\n", progname,
           c->cfg->file.path != NULL ? c->cfg->file.path
                                     : "(built-in defaults)");
    return EX_OK;
}

static const struct {
    const char *name;
    int (*fn)(struct sg_cli *, int, char **);
} commands[] = {
    {"list", sg_cli_list},         {"show", sg_cli_show},
    {"release", sg_cli_decide},    {"reject", sg_cli_decide},
    {"escalate", sg_cli_decide},   {"note", sg_cli_note},
    {"export", sg_cli_export},     {"expire", cmd_retention},
    {"digest", sg_cli_digest},     {"audit", sg_cli_audit},
    {"sync", sg_cli_sync},         {"serve", cmd_serve},
    {"passwd", cmd_passwd},        {"check", cmd_check},
    {"outbox", cmd_outbox},        {"reinject", sg_cli_reinject},
    {"legal-hold", cmd_retention}, {"sar", cmd_retention},
    {"policy", cmd_policy},        {"report", cmd_report},
    {"concerns", cmd_concerns},
};

int
main(int argc, char **argv)
{
    const char *config = DEFAULT_CONFIG;
    bool config_given = false;
    /* -o applies once the file is loaded, so keep them until then */
    const char *overrides[256];
    size_t n_overrides = 0;
    int o;
    static const struct option lo[] = {{"help", no_argument, NULL, 'h'},
                                       {"version", no_argument, NULL, 'V'},
                                       {NULL, 0, NULL, 0}};
    /* "+": stop at the command; its options are its own */
    while ((o = getopt_long(argc, argv, "+c:o:hV", lo, NULL)) != -1) {
        switch (o) {
        case 'c':
            config = optarg;
            config_given = true;
            break;
        case 'o':
            if (n_overrides == sizeof(overrides) / sizeof(overrides[0]))
                sg_cli_die(EX_USAGE, "-o: more than %zu", n_overrides);
            overrides[n_overrides++] = optarg;
            break;
        case 'h':
            usage(stdout);
            return EX_OK;
        case 'V':
            printf("safeguard-review %s\n", SG_VERSION);
            return EX_OK;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EX_USAGE;
    }
    int (*fn)(struct sg_cli *, int, char **) = NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[optind], commands[i].name) == 0)
            fn = commands[i].fn;
    if (fn == NULL) {
        fprintf(stderr, "%s: unknown command \"%s\"\n", progname,
                argv[optind]);
        usage(stderr);
        return EX_USAGE;
    }

    const char *err = NULL;
    struct sg_config *cfg =
        sg_config_load_with(config, config_given, sg_review_sections, &err);
    if (cfg == NULL)
        sg_cli_die(EX_CONFIG, "%s", err);
    if (sg_config_override(cfg, overrides, n_overrides, &err) < 0)
        sg_cli_die(EX_USAGE, "%s", err);

    struct passwd *pw = getpwuid(getuid());
    char uidbuf[32];
    snprintf(uidbuf, sizeof(uidbuf), "uid %lu", (unsigned long)getuid());
    struct sg_cli c = {
        .cfg = cfg,
        .actor = {.user = pw != NULL ? pw->pw_name : uidbuf,
                  .from = SG_CLI_FROM_WHERE},
        .unix_user = pw != NULL ? pw->pw_name : uidbuf,
    };
    sg_review_cli_scope(cfg, sg_cli_credited(NULL) ? sg_cli_credited(NULL) : c.unix_user,
                        &c.actor);
    if (fn == cmd_passwd || fn == cmd_check) {
        int rc = fn(&c, argc - optind, argv + optind);
        sg_config_free(&cfg);
        return rc;
    }
    struct sg_notice_config ncfg;
    sg_config_notice(cfg, &ncfg);
    struct sg_review_options opts = {
        .db_path = sg_config_store(cfg),
        .store_dir = cfg->quarantine_dir,
        .notice = &ncfg,
        .dsl_contact = cfg->dsl_contact,
        .school_domains = (const char *const *)cfg->school_domains,
        .n_school_domains = cfg->n_school_domains,
        .timezone = cfg->timezone,
        .create_store = fn == cmd_serve, /* the page comes up on day one */
        .config = cfg,
    };
    sg_review_settings_compose(sg_review_settings_get(cfg), &cfg->mailqueue,
                               &opts.settings);
    if (sg_review_open(&opts, &c.r, &err) < 0) {
        sg_config_free(&cfg);
        sg_cli_die(EX_NOINPUT, "%s", err);
    }
    int rc = fn(&c, argc - optind, argv + optind);
    sg_review_close(&c.r);
    sg_config_free(&cfg);
    if (fflush(stdout) != 0)
        return EX_IOERR;
    return rc;
}

