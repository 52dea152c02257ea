/*
 * main.c - safeguard-milter: command line, start-up, signals.
 *
 *   safeguard-milter [-c config] [-p socket] [-f] [-n [--record WHY]] [-V]
 *   [-h] (--help and --version as -h and -V)
 *
 * Start-up order: load and check the configuration, open the milter socket
 * (as root, so it can live in a root-owned directory), daemonise, write the
 * pid file, hand the socket and pid file to the run-time user, drop
 * privileges, start the reload thread, run libmilter.
 *
 * SECURITY: privileges are dropped (setgroups, setgid, setuid, checked)
 * before any mail is read.  SIGUSR1 reloads the configuration (and reopens
 * the directory) into a new snapshot; a snapshot that fails to load never
 * replaces a working one.  SIGUSR2 logs the directory's counters and
 * the count of exempt messages.
 * Fails at start-up with a message and a sysexits code; once running, a
 * failed reload is logged and the old snapshot stays.
 *
 * The policy (the rules file and the configuration) is recorded in the
 * store's changelog at start and at each reload when it changed
 * (core/policy.h); -n --record "why" records it at once with the note.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <malloc.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "background.h"
#include "callbacks.h"
#include "fdio.h"
#include "log.h"
#include "notify.h"
#include "pickup.h"
#include "policy.h"
#include "msgview_build.h"
#include "session.h"
#include "store.h"
#include "sg_config.h"
#include "school.h"
#include "sg_runtime.h"
#include "sg_directory.h"

#define DEFAULT_CONFIG SG_SYSCONFDIR "/safeguard-milter.conf"

struct options {
    const char *config_path;
    bool config_given;
    const char *socket;
    bool foreground;
    bool check_only;
    const char *record; /* -n --record: the note */
};

static void
usage(FILE *out)
{
    fprintf(out,
            "usage: safeguard-milter [-c config] [-p socket] [-f] [-n] [-V]\n"
            "  -c FILE    configuration file (default %s)\n"
            "  -p SOCKET  listen on SOCKET (unix:/path or inet:port@host),\n"
            "             overriding the socket setting\n"
            "  -f         stay in the foreground and log to standard error\n"
            "  -n         check the configuration, print problems, and exit\n"
            "  --record WHY  with -n: record the policy in the store's\n"
            "             changelog now, with WHY as the reason\n"
            "  -V         print the version and exit (also --version)\n"
            "  -h         print this help and exit (also --help)\n",
            DEFAULT_CONFIG);
}

static void
parse_args(int argc, char **argv, struct options *opt)
{
    int c;
    static const struct option lo[] = {{"help", no_argument, NULL, 'h'},
                                       {"version", no_argument, NULL, 'V'},
                                       {"record", required_argument, NULL,
                                        'r'},
                                       {NULL, 0, NULL, 0}};
    opt->config_path = DEFAULT_CONFIG;
    while ((c = getopt_long(argc, argv, "c:p:fnVh", lo, NULL)) != -1) {
        switch (c) {
        case 'c':
            opt->config_path = optarg;
            opt->config_given = true;
            break;
        case 'p':
            opt->socket = optarg;
            break;
        case 'f':
            opt->foreground = true;
            break;
        case 'n':
            opt->check_only = true;
            break;
        case 'r':
            opt->record = optarg;
            break;
        case 'V':
            printf("safeguard-milter %s\n", SG_VERSION);
            exit(EX_OK);
        case 'h':
            usage(stdout);
            exit(EX_OK);
        default:
            usage(stderr);
            exit(EX_USAGE);
        }
    }
    if (opt->record != NULL && (!opt->check_only || *opt->record == '\0')) {
        fprintf(stderr, "safeguard-milter: --record WHY goes with -n, and "
                        "WHY is not empty\n");
        exit(EX_USAGE);
    }
    if (optind != argc) {
        fprintf(stderr, "safeguard-milter: unexpected argument \"%s\"\n",
                argv[optind]);
        usage(stderr);
        exit(EX_USAGE);
    }
}

/* Load the configuration named by the options and open what it names.
 * The default path may be absent (built-in defaults apply); a path given
 * with -c must exist. */
static struct sg_runtime *
load_config(const struct options *opt, const char **error_r)
{
    struct sg_config *cfg = sg_config_load_default(
        opt->config_path, opt->config_given, error_r);
    struct sg_runtime *rt = NULL;
    if (cfg != NULL && opt->socket != NULL &&
        sg_config_set(cfg, "socket", opt->socket, error_r) < 0)
        sg_config_free(&cfg);
    if (cfg != NULL)
        sg_runtime_open(cfg, &rt, error_r);
    return rt;
}

/* -n: the configuration loaded; now reach the directory server too, so
 * that a wrong password or an unreachable server shows before mail does. */
static int
check_config(const struct sg_runtime *rt)
{
    const struct sg_config *cfg = rt->settings;
    const char *name =
        cfg->file.path != NULL ? cfg->file.path : "(built-in defaults)";
    if (rt->directory == NULL) {
        printf("safeguard-milter: warning: directory_backend = none: every "
               "address counts as external\n");
    } else {
        const char *error = NULL;
        if (sg_dir_check(rt->directory, &error) != SG_DIR_FOUND) {
            fprintf(stderr, "safeguard-milter: %s: directory: %s\n", name,
                    error != NULL ? error : "check failed");
            return EX_CONFIG;
        }
    }
    /* -n runs as root and must not create the store; check its place */
    char *db = strdup(cfg->quarantine_db);
    char *slash = db != NULL ? strrchr(db, '/') : NULL;
    if (slash != NULL && slash != db)
        *slash = '\0';
    if (db != NULL && slash != NULL && access(db, F_OK) != 0)
        printf("safeguard-milter: warning: quarantine_db: directory %s does "
               "not exist yet (held messages would be tempfailed)\n",
               db);
    free(db);
    sg_config_print_foreign(cfg, "safeguard-milter: ", stdout);
    sg_school_print(cfg, "safeguard-milter: ", stdout);
    printf("safeguard-milter: configuration %s is valid\n", name);
    return EX_OK;
}

/* Become pw's user for good (its groups, then its group, then the
 * user): 0; -1 with errno when a step failed; 1 when there is still a
 * way back to root. */
static int
become(const struct passwd *pw)
{
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 ||
        setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
        return -1;
    /* make sure there is no way back */
    if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        return 1;
    return 0;
}

/* -n --record WHY: the policy into the store's changelog now.  The
 * store must exist already, and is written as the user the daemon runs
 * as (-n runs as root: a file SQLite made beside the database, its
 * journal, would be root's and shut the daemon out). */
static int
record_now(struct sg_runtime *rt, const char *why)
{
    const struct sg_config *cfg = rt->settings;
    const char *file = sg_store_file(sg_config_store(cfg));
    if (file != NULL && access(file, F_OK) != 0) {
        fprintf(stderr, "safeguard-milter: --record: the store %s does not "
                        "exist yet (the daemon makes it)\n", file);
        return EX_UNAVAILABLE;
    }
    struct passwd *pw = geteuid() == 0 && cfg->user[0] != '\0'
                            ? getpwnam(cfg->user)
                            : NULL;
    int rc = pw != NULL ? become(pw) : 0;
    if (rc != 0) {
        fprintf(stderr, "safeguard-milter: --record: cannot become %s: %s\n",
                cfg->user,
                rc < 0 ? strerror(errno) : "privileges were not dropped");
        return EX_NOPERM;
    }
    const char *error = NULL;
    struct sg_store *q = sg_runtime_quarantine(rt, &error);
    rc = q != NULL ? sg_policy_record(q, cfg, why, time(NULL), &error) : -1;
    if (rc < 0) {
        fprintf(stderr, "safeguard-milter: --record: %s\n", error);
        return EX_UNAVAILABLE;
    }
    printf("safeguard-milter: policy recorded in %s\n",
           sg_store_name(sg_config_store(cfg)));
    return EX_OK;
}

/* At start and each reload: the policy into the changelog if it changed
 * since the version recorded last.  A store that cannot be reached is
 * logged where the store is opened; this says only what is its own. */
static void
record_policy(struct sg_runtime *rt)
{
    const char *error = NULL;
    struct sg_store *q = sg_runtime_quarantine(rt, &error);
    if (q == NULL)
        return;
    int rc = sg_policy_record(q, rt->settings, NULL, time(NULL), &error);
    if (rc < 0)
        sg_log_warn("policy changelog: %s", error);
    else if (rc > 0)
        sg_log_info("policy changelog: a new version of the policy is "
                    "recorded");
}

static void
log_directory_stats(void)
{
    struct sg_runtime *rt = sg_runtime_current();
    if (rt != NULL && rt->directory != NULL) {
        struct sg_dir_stats st;
        sg_dir_stats(rt->directory, &st);
        sg_log_info("directory: lookups=%llu hits=%llu negative_hits=%llu "
                    "misses=%llu shared=%llu stale=%llu errors=%llu "
                    "notfound=%llu evictions=%llu entries=%llu "
                    "latency_avg_us=%llu latency_max_us=%llu",
                    (unsigned long long)st.lookups,
                    (unsigned long long)st.hits,
                    (unsigned long long)st.negative_hits,
                    (unsigned long long)st.misses,
                    (unsigned long long)st.shared,
                    (unsigned long long)st.stale,
                    (unsigned long long)st.errors,
                    (unsigned long long)st.notfound,
                    (unsigned long long)st.evictions,
                    (unsigned long long)st.entries,
                    (unsigned long long)(st.misses > 0
                                             ? st.latency_us_sum / st.misses
                                             : 0),
                    (unsigned long long)st.latency_us_max);
    }
    /* exempt correspondence is seen nowhere else (exempt_message.h) */
    sg_log_info("exempt: messages=%lu", sg_session_exempt_count());
    sg_runtime_unref(&rt);
}

static const char *
unix_socket_path(const char *conn)
{
    if (strncmp(conn, "unix:", 5) == 0)
        return conn + 5;
    if (strncmp(conn, "local:", 6) == 0)
        return conn + 6;
    return NULL;
}

static void
open_socket(const struct sg_config *cfg)
{
    if (smfi_register(sg_filter_desc) != MI_SUCCESS)
        sg_log_fatal(EX_SOFTWARE, "smfi_register failed");
    if (smfi_setconn(cfg->socket) != MI_SUCCESS)
        sg_log_fatal(EX_CONFIG, "cannot use socket %s", cfg->socket);
    if (smfi_settimeout(cfg->milter_timeout) != MI_SUCCESS ||
        smfi_setbacklog(cfg->backlog) != MI_SUCCESS)
        sg_log_fatal(EX_SOFTWARE, "cannot set milter timeout or backlog");
    /* a unix socket is created mode 0660: the MTA's group, no others */
    mode_t old = umask(0117);
    int rc = smfi_opensocket(true);
    umask(old);
    if (rc != MI_SUCCESS)
        sg_log_fatal(EX_UNAVAILABLE,
                     "cannot open milter socket %s (is another instance "
                     "running, or the directory missing?)",
                     cfg->socket);
    /* TCP_NODELAY: the MTA's many small milter packets would otherwise
     * wait on Nagle's algorithm against delayed ACKs (~40 ms each) */
    if (strncmp(cfg->socket, "inet", 4) == 0 && sg_nodelay_on_listeners() < 0)
        sg_log_warn("cannot set TCP_NODELAY on the milter socket: %s",
                    strerror(errno));
}

static void
daemonize(void)
{
    pid_t pid = fork();
    if (pid < 0)
        sg_log_fatal(EX_OSERR, "fork: %s", strerror(errno));
    if (pid > 0)
        _exit(EX_OK);
    if (setsid() < 0)
        sg_log_fatal(EX_OSERR, "setsid: %s", strerror(errno));
    if (chdir("/") != 0)
        sg_log_fatal(EX_OSERR, "chdir /: %s", strerror(errno));
    int fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
}

static void
write_pidfile(const char *path)
{
    FILE *fp = fopen(path, "w");
    if (fp == NULL)
        sg_log_fatal(EX_CANTCREAT, "cannot write pid file %s: %s", path,
                     strerror(errno));
    fprintf(fp, "%ld\n", (long)getpid());
    if (fclose(fp) != 0)
        sg_log_fatal(EX_CANTCREAT, "cannot write pid file %s: %s", path,
                     strerror(errno));
}

static void
drop_privileges(const struct sg_config *cfg)
{
    if (cfg->user[0] == '\0') {
        if (geteuid() == 0)
            sg_log_warn("running as root: set user = in the configuration "
                        "to drop privileges");
        return;
    }
    errno = 0;
    struct passwd *pw = getpwnam(cfg->user);
    if (pw == NULL)
        sg_log_fatal(EX_NOUSER, "user \"%s\" does not exist", cfg->user);
    const char *sock = unix_socket_path(cfg->socket);
    if (sock != NULL && chown(sock, pw->pw_uid, pw->pw_gid) != 0)
        sg_log_fatal(EX_NOPERM, "cannot give socket %s to %s: %s", sock,
                     cfg->user, strerror(errno));
    if (cfg->pidfile[0] != '\0' &&
        chown(cfg->pidfile, pw->pw_uid, pw->pw_gid) != 0)
        sg_log_warn("cannot give pid file %s to %s: %s", cfg->pidfile,
                    cfg->user, strerror(errno));
    int rc = become(pw);
    if (rc < 0)
        sg_log_fatal(EX_NOPERM, "cannot become user %s: %s", cfg->user,
                     strerror(errno));
    if (rc > 0)
        sg_log_fatal(EX_SOFTWARE, "privileges were not dropped");
}

struct reload_ctx {
    struct options opt;
    sigset_t signals;
};

/* SIGUSR1: build a new snapshot; keep the old one if it does not load.
 * SIGUSR2, and every stats_interval: log the directory's counters. */
static void *
signal_thread(void *arg)
{
    struct reload_ctx *rc = arg;
    for (;;) {
        struct sg_runtime *now = sg_runtime_current();
        int interval = now != NULL ? now->settings->stats_interval : 0;
        sg_runtime_unref(&now);
        struct timespec ts = {interval > 0 ? interval : 86400, 0};
        int sig = sigtimedwait(&rc->signals, NULL, &ts);
        if (sig < 0) {
            if (errno == EAGAIN && interval > 0)
                log_directory_stats();
            continue;
        }
        if (sig == SIGUSR2) {
            log_directory_stats();
            continue;
        }
        const char *error;
        struct sg_runtime *rt = load_config(&rc->opt, &error);
        if (rt == NULL) {
            sg_log_error("reload failed, keeping the running configuration: "
                         "%s",
                         error);
            continue;
        }
        const struct sg_config *cfg = rt->settings;
        struct sg_runtime *old = sg_runtime_current();
        if (old != NULL && (strcmp(old->settings->socket, cfg->socket) != 0 ||
                            strcmp(old->settings->user, cfg->user) != 0))
            sg_log_warn("socket and user changes take effect at the next "
                        "restart");
        sg_runtime_unref(&old);
        sg_log_set_level((enum sg_log_level)cfg->log_level);
        sg_runtime_set_current(rt);
        /* before the line that says the reload is done, so that what
         * waits for that line finds the changelog written */
        struct sg_runtime *now_rt = sg_runtime_current(); /* rt is given */
        if (now_rt != NULL)
            record_policy(now_rt);
        sg_runtime_unref(&now_rt);
        sg_log_info("configuration reloaded from %s",
                    rc->opt.config_path);
    }
    return NULL;
}

/* One line per record the reconcile changed, starting with the queue id
 * as the summary lines do. */
static void
reconcile_log(void *ctx, const struct sg_store_record *rec,
              enum sg_store_status to, const char *note)
{
    (void)ctx;
    if (to == SG_QSTATUS_LOST)
        sg_log_warn("%s: quarantine record %s is now lost: %s",
                    rec->queue_id, rec->id, note);
    else
        sg_log_info("%s: quarantine record %s is now %s: %s", rec->queue_id,
                    rec->id, sg_store_status_name(to), note);
}

/* Check the quarantine records against the hold queue once; false when
 * the review lock was taken (a reviewer deciding, or the decision
 * thread's turn), so nothing was checked. */
static bool
reconcile_once(struct sg_runtime *rt)
{
    const struct sg_config *cfg = rt->settings;
    const char *cmd = cfg->mailqueue.queue_command;
    if (cmd == NULL || *cmd == '\0')
        return true;
    const char *error = NULL;
    struct sg_store *q = sg_runtime_quarantine(rt, &error);
    if (q == NULL)
        return true; /* logged at start; a hold says so again */
    char host[256];
    struct sg_store_reconcile o = {
        .queue_command = cmd,
        .timeout = (unsigned)cfg->mailqueue.command_timeout,
        .now = time(NULL),
        .grace = (time_t)cfg->mailqueue.reconcile_grace,
        .wait = false, /* a decision is under way: next time */
        .actor = "safeguard-milter",
        /* another host's held messages are not in this queue */
        .host = sg_mailqueue_host_name(cfg->mailqueue.host_name, host, sizeof(host)),
        .each = reconcile_log,
    };
    struct sg_store_reconcile_result res;
    int rc = sg_store_reconcile(q, &o, &res, &error);
    if (rc < 0)
        sg_log_warn("hold reconcile: %s; records unchanged, trying again "
                    "in %d seconds",
                    error, cfg->hold_reconcile_interval);
    else if (rc == 0)
        sg_log_debug("hold reconcile: %zu waiting records, %zu newly seen on "
                     "hold, %zu lost, %zu released or deleted by hand",
                     res.checked, res.seen, res.lost, res.gone);
    return rc != SG_STORE_BUSY;
}

/* Seconds before a check the review lock put off is tried again: a
 * decision's command is short, and the check at start must not wait a
 * whole interval because the decision thread started at the same time. */
#define RECONCILE_BUSY_RETRY 2

/* At start and every hold_reconcile_interval: records of held messages
 * that the mail system did not keep are marked lost (a crash or a late
 * answer after the record was written), and those released or deleted
 * by hand are updated.  The interval is read again each time, so a
 * reload can change it or turn it on. */
static unsigned
reconcile_turn(void *arg)
{
    (void)arg;
    struct sg_runtime *rt = sg_runtime_current();
    int interval = rt != NULL ? rt->settings->hold_reconcile_interval : 0;
    if (interval > 0 && !reconcile_once(rt) &&
        interval > RECONCILE_BUSY_RETRY)
        interval = RECONCILE_BUSY_RETRY;
    sg_runtime_unref(&rt);
    return interval > 0 ? (unsigned)interval : 60;
}

/* How glibc's allocator is set for a daemon whose threads come and go
 * with the connections busy at once (libmilter's worker pool), each
 * message's buffers freed at its end.  By default glibc gives up to eight
 * arenas per CPU, keeps up to 128 KiB free at the top of each, and after
 * the first large free raises both that and the size from which it maps
 * memory (up to 32 and 64 MiB): after a burst of 64 connections with
 * 100 KB messages the daemon kept about 380 KiB per connection
 * (bench/run-memory.sh).  Fixed values instead:
 * - ARENAS_PER_CPU arenas per CPU: at most two threads per CPU allocate
 *   without waiting for each other, and few arenas hold free memory;
 * - allocations of MMAP_THRESHOLD and more (a message larger than half of
 *   it in memory) are mapped and unmapped when freed;
 * - each arena keeps at most TRIM_THRESHOLD free at its top.  Both are
 *   well above a 100 KB message's buffers, so ordinary messages reuse the
 *   arenas' memory and fault in no pages; a smaller trim threshold gave a
 *   100 KB message some 90 page faults, a 64 KiB mmap threshold 130, and
 *   10% more CPU (measured against the defaults, one message at a time). */
#define ARENAS_PER_CPU 2
#define MMAP_THRESHOLD (1024 * 1024)
#define TRIM_THRESHOLD (1024 * 1024)

static void
tune_malloc(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    mallopt(M_ARENA_MAX, cpus > 0 ? (int)(cpus * ARENAS_PER_CPU)
                                  : ARENAS_PER_CPU);
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
}

/* How often the free memory of the arenas is given back (seconds). */
#define TRIM_INTERVAL 5

/* What a burst of messages freed inside the arenas (below their tops)
 * stays there, resident, until something gives it back.  So every
 * TRIM_INTERVAL seconds in which a message or connection ended,
 * malloc_trim returns the free pages of every arena: after a burst the
 * daemon shrinks back instead of keeping its peak.  It runs here, off the
 * connections' threads, and not per message: one call walks every arena,
 * and the pages it returns are faulted in again by the next messages. */
static unsigned
trim_turn(void *arg)
{
    unsigned long *seen = arg;
    unsigned long now = sg_session_activity();
    if (now != *seen)
        malloc_trim(0);
    *seen = now;
    return TRIM_INTERVAL;
}

int
main(int argc, char **argv)
{
    struct reload_ctx rc;
    memset(&rc, 0, sizeof(rc));
    tune_malloc();
    parse_args(argc, argv, &rc.opt);

    const char *error;
    struct sg_runtime *rt = load_config(&rc.opt, &error);
    if (rt == NULL) {
        fprintf(stderr, "safeguard-milter: %s\n", error);
        return EX_CONFIG;
    }
    if (rc.opt.check_only) {
        int status = check_config(rt);
        if (status == EX_OK && rc.opt.record != NULL)
            status = record_now(rt, rc.opt.record);
        sg_runtime_unref(&rt);
        return status;
    }
    const struct sg_config *cfg = rt->settings;
    if (sg_log_open("safeguard-milter", rc.opt.foreground,
                    cfg->syslog_facility) < 0) {
        fprintf(stderr, "safeguard-milter: bad syslog_facility\n");
        return EX_CONFIG;
    }
    sg_log_set_level((enum sg_log_level)cfg->log_level);

    /* Signals for our thread must be blocked in every thread, so block
     * them before any thread exists.  So must libmilter's (SIGTERM,
     * SIGINT, SIGHUP: smfi_main waits for them in a thread of its own and
     * stops gracefully): a thread started before smfi_main with them
     * unblocked would take a SIGTERM with its default action, and the
     * daemon would end without finishing its connections, logging or
     * removing its pidfile. */
    sigemptyset(&rc.signals);
    sigaddset(&rc.signals, SIGUSR1);
    sigaddset(&rc.signals, SIGUSR2);
    sigset_t all = rc.signals;
    sigaddset(&all, SIGTERM);
    sigaddset(&all, SIGINT);
    sigaddset(&all, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    signal(SIGPIPE, SIG_IGN);

    open_socket(cfg);
    if (!rc.opt.foreground)
        daemonize();
    if (cfg->pidfile[0] != '\0')
        write_pidfile(cfg->pidfile);
    drop_privileges(cfg);

    sg_msgview_build_init();
    sg_runtime_set_current(sg_runtime_ref(rt));
    pthread_t tid;
    if (pthread_create(&tid, NULL, signal_thread, &rc) != 0)
        sg_log_fatal(EX_OSERR, "cannot start the signal thread");
    pthread_detach(tid);

    /* the quarantine store's files must belong to the run-time user */
    const char *qerror = NULL;
    if (sg_runtime_quarantine(rt, &qerror) == NULL)
        sg_log_error("quarantine store %s: %s; messages to be held will be "
                     "tempfailed until it can be opened",
                     sg_store_name(sg_config_store(cfg)), qerror);
    else
        record_policy(rt);
    sg_log_info("safeguard-milter %s starting on %s", SG_VERSION,
                cfg->socket);
    if (rt->directory == NULL)
        sg_log_warn("directory_backend = none: every address counts as "
                    "external");
    sg_background_start("hold reconcile", reconcile_turn, NULL);
    static unsigned long trim_seen;
    trim_seen = sg_session_activity();
    sg_background_start("memory trim", trim_turn, &trim_seen);
    sg_notify_start();
    sg_pickup_start();
    int ret = smfi_main();
    sg_log_info("safeguard-milter stopping");
    sg_background_stop();

    if (cfg->pidfile[0] != '\0')
        unlink(cfg->pidfile);
    sg_runtime_unref(&rt);
    sg_runtime_set_current(NULL);
    sg_msgview_build_shutdown();
    return ret == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}
