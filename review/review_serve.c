/*
 * review_serve.c - safeguard-review's "serve" (the web page) and "passwd"
 * (an account in the page's local password file).
 *
 *   safeguard-review serve [--listen HOST:PORT]
 *   safeguard-review passwd [--file FILE] LOGIN     (password on stdin)
 *
 * serve takes everything else from the configuration (review_* keys):
 * where to listen, TLS, how logins are checked (review_auth: the local
 * password file, or the directory with review_dsl_group), the session and
 * sign-in limits, the connection limits and timeout, and the trusted
 * reverse proxies.  It runs until SIGTERM or SIGINT and logs to standard
 * error (under systemd, the journal).
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "netlist.h"
#include "review_opts.h"
#include "review_serve.h"
#include "sg_dir_auth.h"
#include "review_settings.h"
#include "web.h"

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* review_auth = ldap: a bind as the user, then the DSL group. */
static int
ldap_auth(void *ctx, const char *login, const char *password,
          const char **error_r)
{
    const struct sg_config *cfg = ctx;
    const struct sg_review_page *rv = sg_review_page_get(cfg);
    int ok = sg_dir_auth_check(&cfg->dir, login, password, rv->review_dsl_group,
                               (const char *const *)rv->review_login_attributes,
                               rv->n_review_login_attributes, NULL, error_r);
    switch (ok) {
    case SG_DIR_AUTH_OK:
        return SG_WEB_AUTH_OK;
    case SG_DIR_AUTH_BAD_CREDENTIALS:
        return SG_WEB_AUTH_BAD;
    case SG_DIR_AUTH_NOT_MEMBER:
        return SG_WEB_AUTH_NOT_DSL;
    default:
        fprintf(stderr, "safeguard-review serve: cannot check a login: %s\n",
                *error_r != NULL ? *error_r : "unknown error");
        return SG_WEB_AUTH_ERROR;
    }
}

/* uid's name, or "uid N" (a static buffer). */
static const char *
user_name(uid_t uid)
{
    static char buf[64];
    struct passwd *pw = getpwuid(uid);
    if (pw != NULL)
        snprintf(buf, sizeof(buf), "%s", pw->pw_name);
    else
        snprintf(buf, sizeof(buf), "uid %lu", (unsigned long)uid);
    return buf;
}

/* The login check review_auth asks for, in o; 0 or a sysexits code. */
static int
set_auth(const struct sg_config *cfg, struct sg_web_options *o)
{
    const struct sg_review_page *rv = sg_review_page_get(cfg);
    const char *err = NULL;
    if (rv->review_auth == SG_REVIEW_AUTH_LDAP) {
        if (rv->review_dsl_group == NULL || *rv->review_dsl_group == '\0') {
            fprintf(stderr, "safeguard-review: serve: review_auth = ldap "
                            "needs review_dsl_group (the DN of the DSL "
                            "group)\n");
            return EX_CONFIG;
        }
        o->auth = ldap_auth;
        o->auth_ctx = (void *)(uintptr_t)cfg; /* read only */
        return 0;
    }
    /* No file yet is day one: the page starts, and the first account
     * added with passwd works at once (the file is read at each login).
     * A file that is there but cannot be used stops the start, rather
     * than refusing every login later. */
    const char *path = rv->review_password_file;
    if (access(path, F_OK) < 0 && errno == ENOENT) {
        fprintf(stderr,
                "safeguard-review: serve: no accounts yet (%s does not "
                "exist): add one, as root, with: safeguard-review passwd "
                "LOGIN\n",
                path);
    } else if (sg_web_passwd_check(path, "-", "-", &err) ==
               SG_WEB_AUTH_ERROR) {
        fprintf(stderr,
                "safeguard-review: serve: %s (running as %s; as root, "
                "safeguard-review passwd LOGIN makes the file readable by "
                "the group of the configured user)\n",
                err, user_name(geteuid()));
        return EX_CONFIG;
    }
    o->auth = sg_web_passwd_auth;
    o->auth_ctx = rv->review_password_file;
    return 0;
}

int
sg_review_cmd_serve(struct sg_review *r, const struct sg_config *cfg, int argc,
                 char **argv)
{
    const struct sg_review_page *rv = sg_review_page_get(cfg);
    const char *listen = rv->review_listen;
    const struct sg_review_opt opts[] = {SG_OPT_VALUE("listen", &listen),
                                         SG_OPT_END};
    if (sg_review_opts_only(argc, argv, opts) < 0)
        return EX_USAGE;
    struct sg_web_options o = {
        .review = r,
        .session_idle = (unsigned)rv->review_session_idle,
        .session_max = (unsigned)rv->review_session_max,
        .login_attempts = (unsigned)rv->review_login_attempts,
        .login_lockout = (unsigned)rv->review_login_lockout,
        /* Secure always: over TLS here or at a proxy, or on loopback,
         * which browsers count as a secure origin */
        .secure_cookies = true,
        .conduct_reviewers = (const char *const *)rv->review_conduct_reviewers,
        .n_conduct_reviewers = rv->n_review_conduct_reviewers,
        .welfare_reviewers = (const char *const *)rv->review_welfare_reviewers,
        .n_welfare_reviewers = rv->n_review_welfare_reviewers,
        .pseudonymous_tracks = sg_review_pseudonymous_tracks(rv),
        .config = cfg,
        .trust_reviewers = (const char *const *)rv->review_trust_reviewers,
        .n_trust_reviewers = rv->n_review_trust_reviewers,
    };
    int rc = set_auth(cfg, &o);
    if (rc != 0)
        return rc;
    const char *err = NULL;
    /* times on the page in the school's zone, as the rules see them */
    o.tz = sg_review_tz(r);
    o.tz_name = o.tz != NULL ? cfg->timezone : NULL;
    struct sg_web *w = NULL;
    if (sg_web_new(&o, &w, &err) < 0) {
        fprintf(stderr, "safeguard-review: serve: %s\n", err);
        return EX_SOFTWARE;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* the proxies were checked when the configuration was read */
    size_t n_proxies = rv->n_review_trusted_proxy;
    struct sg_network *proxies =
        n_proxies > 0 ? calloc(n_proxies, sizeof(*proxies)) : NULL;
    for (size_t i = 0; i < n_proxies; i++) {
        if (proxies == NULL || sg_network_parse(rv->review_trusted_proxy[i],
                                                &proxies[i], &err) < 0) {
            fprintf(stderr, "safeguard-review: serve: review_trusted_proxy: "
                            "%s\n",
                    proxies == NULL ? "out of memory" : err);
            free(proxies);
            sg_web_free(&w);
            return EX_CONFIG;
        }
    }
    struct sg_web_server_options so = {
        .listen = listen,
        .tls_cert = rv->review_tls_cert,
        .tls_key = rv->review_tls_key,
        .request_timeout = (unsigned)rv->review_request_timeout,
        .client_connections = (unsigned)rv->review_client_connections,
        .max_connections = (unsigned)rv->review_max_connections,
        .proxies = proxies,
        .n_proxies = n_proxies,
    };
    rc = sg_web_serve(w, &so, &stop_flag, &err) < 0 ? EX_CONFIG : EX_OK;
    if (rc != EX_OK)
        fprintf(stderr, "safeguard-review: serve: %s\n", err);
    free(proxies);
    sg_web_free(&w);
    return rc;
}

/* One line from standard input, without its newline; echo off on a
 * terminal. */
static int
read_password(const char *prompt, char *buf, size_t size)
{
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fputs(prompt, stderr);
        fflush(stderr);
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *got = fgets(buf, (int)size, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    if (got == NULL)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* The group the page runs as, which must read the password file: the
 * configured user's (user =), or else the group that owns the directory
 * of the quarantine database (the filter's state directory, made for its
 * user).  (gid_t)-1 when neither is known. */
static gid_t
page_group(const struct sg_config *cfg)
{
    if (cfg->user != NULL && *cfg->user != '\0') {
        struct passwd *pw = getpwnam(cfg->user);
        return pw != NULL ? pw->pw_gid : (gid_t)-1;
    }
    char *copy = cfg->quarantine_db != NULL ? strdup(cfg->quarantine_db)
                                            : NULL;
    struct stat st;
    gid_t g = (gid_t)-1;
    if (copy != NULL && stat(dirname(copy), &st) == 0 && st.st_gid != 0)
        g = st.st_gid;
    free(copy);
    return g;
}

/* After passwd: where the account is, and who may read the file, so that
 * what to do next is plain (the page reads the file at each login). */
static void
say_file(const char *login, const char *file)
{
    struct stat st;
    if (stat(file, &st) < 0) {
        printf("%s: password set in %s\n", login, file);
        return;
    }
    struct group *gr = getgrgid(st.st_gid);
    char gbuf[32];
    snprintf(gbuf, sizeof(gbuf), "%lu", (unsigned long)st.st_gid);
    printf("%s: password set in %s (owner %s, group %s, mode %04o); the "
           "page reads it at each sign-in%s\n",
           login, file, user_name(st.st_uid), gr != NULL ? gr->gr_name : gbuf,
           (unsigned)(st.st_mode & 07777),
           (st.st_mode & 0040) != 0 ? ", as a member of that group"
           : st.st_uid == 0 ? ", but only root may read it: set user = in "
                              "the configuration to the page's user and run "
                              "passwd again"
                            : ", as its owner");
}

int
sg_review_cmd_passwd(const struct sg_config *cfg, int argc, char **argv)
{
    const struct sg_review_page *rv = sg_review_page_get(cfg);
    const char *file = rv->review_password_file, *login = NULL;
    const struct sg_review_opt opts[] = {SG_OPT_VALUE("file", &file),
                                         SG_OPT_END};
    int first = sg_review_opts(argc, argv, opts);
    if (first < 0 ||
        (first < argc &&
         sg_review_opt_no_more("passwd", argc, argv, first + 1) < 0))
        return EX_USAGE;
    if (first < argc)
        login = argv[first];
    if (login == NULL) {
        fprintf(stderr, "safeguard-review: passwd: usage: passwd [--file "
                        "FILE] LOGIN (the password on standard input)\n");
        return EX_USAGE;
    }
    char pw[1024], again[1024];
    int rc = EX_OK;
    if (read_password("New password: ", pw, sizeof(pw)) < 0) {
        fprintf(stderr, "safeguard-review: passwd: no password given\n");
        return EX_DATAERR;
    }
    if (isatty(STDIN_FILENO) &&
        (read_password("Again: ", again, sizeof(again)) < 0 ||
         strcmp(pw, again) != 0)) {
        fprintf(stderr, "safeguard-review: passwd: the passwords differ\n");
        rc = EX_DATAERR;
    }
    const char *err;
    gid_t group = geteuid() == 0 ? page_group(cfg) : (gid_t)-1;
    if (rc == EX_OK &&
        sg_web_passwd_set_group(file, login, pw, group, &err) < 0) {
        fprintf(stderr, "safeguard-review: passwd: %s\n", err);
        rc = EX_CANTCREAT;
    }
    sodium_memzero(pw, sizeof(pw));
    sodium_memzero(again, sizeof(again));
    if (rc == EX_OK)
        say_file(login, file);
    return rc;
}
