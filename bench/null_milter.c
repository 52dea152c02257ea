/*
 * null_milter.c - the tuned do-nothing milter for the whole-system
 * throughput benchmark (bench/run-throughput.sh): the floor any milter
 * pays, built from the same libmilter as safeguard-milter.
 *
 * It registers the same callbacks as safeguard-milter (connect, envfrom,
 * envrcpt, header, body, eom, abort, close, negotiate), asks for the same
 * actions, and negotiates the same way (milter/callbacks.c): the same
 * protocol steps skipped (HELO, unknown, DATA, end of headers), the same
 * no-reply flags (connect, header, body), the same smfi_setsymlist macro
 * lists, and TCP_NODELAY on an inet listening socket (milter/fdio.c).
 * Each callback only answers continue (or no reply where agreed); no
 * per-connection state is allocated.
 *
 * SECURITY: a benchmark tool; it accepts every message and never looks at
 * one.  Not installed.
 * Fails: exit 1 with a message on stderr when the socket cannot be opened.
 *
 * Usage: null_milter -p SOCKET [-b BACKLOG] [-N LIST] [-D]
 *   SOCKET as libmilter takes it: unix:/path or inet:PORT@127.0.0.1.
 *   -N LIST: which no-reply flags to ask for, a comma-separated subset of
 *   conn,hdr,body, or "none" (default conn,hdr,body, as safeguard-milter);
 *   only for finding out what the no-reply flags cost (README.md).
 *   -D: skip DATA (SMFIP_NODATA), as safeguard-milter once did, to show
 *   what skipping it costs on an inet socket (README.md); by default DATA
 *   is answered, as safeguard-milter does (the reply carries the TCP ACK
 *   of the DATA macros).
 *   Prints "null_milter: starting on SOCKET" to stderr once listening.
 */
#include "config.h"

#include "fdio.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

/* The same macro lists as safeguard-milter (milter/callbacks.h). */
#define NULL_MACROS_ENVFROM "i {auth_authen} {client_connections}"
#define NULL_MACROS_EOM "i"

/* safeguard-milter keeps the agreed protocol steps in its session; here
 * one process-wide word is enough: every connection from the same MTA
 * agrees the same steps.  Written in negotiate before any callback of
 * that connection reads it. */
static volatile unsigned long agreed_steps;
static bool answer_data = true;
static unsigned long no_reply_wanted =
    SMFIP_NR_CONN | SMFIP_NR_HDR | SMFIP_NR_BODY;

static sfsistat
quiet(unsigned long nr_flag)
{
    return (agreed_steps & nr_flag) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
               unsigned long f2, unsigned long f3, unsigned long *pf0,
               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    (void)f2;
    (void)f3;
    *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT |
                 SMFIF_QUARANTINE | SMFIF_SETSYMLIST);
    unsigned long want = SMFIP_NOHELO | SMFIP_NOUNKNOWN |
                         (answer_data ? 0 : SMFIP_NODATA) | SMFIP_NOEOH |
                         SMFIP_HDR_LEADSPC | no_reply_wanted;
    *pf1 = f1 & want;
    *pf2 = 0;
    *pf3 = 0;
    agreed_steps = *pf1;
    if (f0 & SMFIF_SETSYMLIST) {
        static char none[] = "";
        static char envfrom[] = NULL_MACROS_ENVFROM;
        static char eom[] = NULL_MACROS_EOM;
        smfi_setsymlist(ctx, SMFIM_CONNECT, none);
        smfi_setsymlist(ctx, SMFIM_HELO, none);
        smfi_setsymlist(ctx, SMFIM_ENVFROM, envfrom);
        smfi_setsymlist(ctx, SMFIM_ENVRCPT, none);
        smfi_setsymlist(ctx, SMFIM_DATA, none);
        smfi_setsymlist(ctx, SMFIM_EOH, none);
        smfi_setsymlist(ctx, SMFIM_EOM, eom);
    }
    return SMFIS_CONTINUE;
}

static sfsistat
null_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
    (void)ctx;
    (void)hostname;
    (void)hostaddr;
    return quiet(SMFIP_NR_CONN);
}

static sfsistat
null_envfrom(SMFICTX *ctx, char **argv)
{
    (void)ctx;
    (void)argv;
    return SMFIS_CONTINUE;
}

static sfsistat
null_envrcpt(SMFICTX *ctx, char **argv)
{
    (void)ctx;
    (void)argv;
    return SMFIS_CONTINUE;
}

static sfsistat
null_data(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_CONTINUE;
}

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
    (void)ctx;
    (void)name;
    (void)value;
    return quiet(SMFIP_NR_HDR);
}

static sfsistat
null_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
    (void)ctx;
    (void)data;
    (void)len;
    return quiet(SMFIP_NR_BODY);
}

static sfsistat
null_eom(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_CONTINUE;
}

static sfsistat
null_abort(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_CONTINUE;
}

static sfsistat
null_close(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_CONTINUE;
}

static struct smfiDesc null_desc = {
    .xxfi_name = "null-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT |
                  SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
    .xxfi_connect = null_connect,
    .xxfi_helo = NULL,
    .xxfi_envfrom = null_envfrom,
    .xxfi_envrcpt = null_envrcpt,
    .xxfi_header = null_header,
    .xxfi_eoh = NULL,
    .xxfi_body = null_body,
    .xxfi_eom = null_eom,
    .xxfi_abort = null_abort,
    .xxfi_close = null_close,
    .xxfi_unknown = NULL,
    .xxfi_data = null_data,
    .xxfi_negotiate = null_negotiate,
};

/* "conn,hdr,body" or "none" -> SMFIP_NR_* bits; -1 when malformed. */
static long
parse_no_reply(const char *list)
{
    static const struct {
        const char *name;
        unsigned long flag;
    } names[] = {{"conn", SMFIP_NR_CONN}, {"hdr", SMFIP_NR_HDR},
                 {"body", SMFIP_NR_BODY}};
    if (strcmp(list, "none") == 0)
        return 0;
    unsigned long flags = 0;
    const char *p = list;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");
        size_t i;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i].name) == len &&
                strncmp(p, names[i].name, len) == 0)
                break;
        if (i == sizeof(names) / sizeof(names[0]))
            return -1;
        flags |= names[i].flag;
        p += len;
        if (*p == ',')
            p++;
    }
    return (long)flags;
}

int
main(int argc, char **argv)
{
    char *sock = NULL;
    int backlog = 64, c; /* safeguard-milter's default backlog */
    long nr;
    while ((c = getopt(argc, argv, "p:b:N:D")) != -1) {
        switch (c) {
        case 'p':
            sock = optarg;
            break;
        case 'b':
            backlog = atoi(optarg);
            break;
        case 'D':
            answer_data = false;
            null_desc.xxfi_data = NULL;
            break;
        case 'N':
            if ((nr = parse_no_reply(optarg)) < 0) {
                fprintf(stderr, "null_milter: -N takes conn,hdr,body or none\n");
                return 2;
            }
            no_reply_wanted = (unsigned long)nr;
            break;
        default:
            fprintf(stderr, "usage: null_milter -p SOCKET [-b BACKLOG] [-N LIST] [-D]\n");
            return 2;
        }
    }
    if (sock == NULL) {
        fprintf(stderr, "usage: null_milter -p SOCKET [-b BACKLOG] [-N LIST] [-D]\n");
        return 2;
    }
    if (smfi_register(null_desc) != MI_SUCCESS ||
        smfi_setconn(sock) != MI_SUCCESS ||
        smfi_settimeout(300) != MI_SUCCESS || /* its milter_timeout */
        smfi_setbacklog(backlog) != MI_SUCCESS ||
        smfi_opensocket(true) != MI_SUCCESS) {
        fprintf(stderr, "null_milter: cannot open %s\n", sock);
        return 1;
    }
    /* TCP_NODELAY on inet, as safeguard-milter does */
    if (strncmp(sock, "inet", 4) == 0 && sg_nodelay_on_listeners() < 0)
        fprintf(stderr, "null_milter: TCP_NODELAY: %s\n", strerror(errno));
    fprintf(stderr, "null_milter: starting on %s\n", sock);
    return smfi_main() == MI_SUCCESS ? 0 : 1;
}
