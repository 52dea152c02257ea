/*
 * callbacks.c - the libmilter callbacks: fetch the session, call its phase
 * function, map the status.  No policy here (see session.c).
 *
 * SECURITY: the MTA is trusted for macros ({auth_authen}, queue id); the
 * client's data is not, and is passed on untouched.
 * Fails safe: a missing session (allocation failure) answers with the
 * configured failure action; nothing is ever discarded.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "callbacks.h"
#include "log.h"
#include "session.h"

static sfsistat
to_smfis(enum sg_status st)
{
    switch (st) {
    case SG_CONTINUE:
        return SMFIS_CONTINUE;
    case SG_ACCEPT:
        return SMFIS_ACCEPT;
    case SG_REJECT:
        return SMFIS_REJECT;
    case SG_TEMPFAIL:
    default:
        return SMFIS_TEMPFAIL;
    }
}

/* With no session we cannot know the snapshot's failure_action in this
 * connection; use the current one. */
static sfsistat
no_session(void)
{
    struct sg_config *cfg = sg_config_current();
    int action = cfg != NULL ? cfg->failure_action : SG_FAIL_TEMPFAIL;
    sg_config_unref(&cfg);
    sg_log_error("NOQUEUE: no session state (out of memory?)");
    return action == SG_FAIL_ACCEPT ? SMFIS_ACCEPT
           : action == SG_FAIL_REJECT ? SMFIS_REJECT
                                      : SMFIS_TEMPFAIL;
}

static struct sg_session *
session_of(SMFICTX *ctx)
{
    return smfi_getpriv(ctx);
}

/* Answer "continue" without a reply packet where the MTA agreed to it. */
static sfsistat
quiet(const struct sg_session *s, unsigned long nr_flag, enum sg_status st)
{
    if (st == SG_CONTINUE && (s->proto_steps & nr_flag))
        return SMFIS_NOREPLY;
    return to_smfis(st);
}

static struct sg_session *
session_create(SMFICTX *ctx)
{
    struct sg_config *cfg = sg_config_current();
    if (cfg == NULL)
        return NULL;
    struct sg_session *s = sg_session_new(cfg);
    if (s != NULL && smfi_setpriv(ctx, s) != MI_SUCCESS)
        sg_session_free(&s);
    return s;
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
               unsigned long f2, unsigned long f3, unsigned long *pf0,
               unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    (void)f2;
    (void)f3;
    struct sg_session *s = session_create(ctx);
    if (s == NULL)
        return SMFIS_TEMPFAIL;
    /* Actions the enforcement needs: headers, recipients, quarantine. */
    *pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT |
                 SMFIF_QUARANTINE | SMFIF_SETSYMLIST);
    /* Skip what we never look at, and let the MTA stream connect, header
     * and body data without waiting for a reply to each. */
    unsigned long want = SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NODATA |
                         SMFIP_NOEOH | SMFIP_HDR_LEADSPC | SMFIP_NR_CONN |
                         SMFIP_NR_HDR | SMFIP_NR_BODY;
    *pf1 = f1 & want;
    *pf2 = 0;
    *pf3 = 0;
    s->proto_steps = *pf1;
    if (f0 & SMFIF_SETSYMLIST) {
        /* Every macro the MTA sends is one more small write before a
         * stage; ask only for the ones used. */
        static char none[] = "";
        static char envfrom[] = SG_MACROS_ENVFROM;
        static char eom[] = SG_MACROS_EOM;
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
mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
    struct sg_session *s = session_of(ctx);
    if (s == NULL && (s = session_create(ctx)) == NULL)
        return no_session();
    return quiet(s, SMFIP_NR_CONN,
                 sg_session_connect(s, hostname, (struct sockaddr *)hostaddr));
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
    struct sg_session *s = session_of(ctx);
    if (s == NULL)
        return no_session();
    return to_smfis(sg_session_envfrom(s, argv[0],
                                       smfi_getsymval(ctx, "{auth_authen}"),
                                       smfi_getsymval(ctx, "i")));
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
    struct sg_session *s = session_of(ctx);
    if (s == NULL)
        return no_session();
    return to_smfis(sg_session_rcpt(s, argv[0]));
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
    struct sg_session *s = session_of(ctx);
    if (s == NULL)
        return no_session();
    return quiet(s, SMFIP_NR_HDR, sg_session_header(s, name, value));
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *data, size_t len)
{
    struct sg_session *s = session_of(ctx);
    if (s == NULL)
        return no_session();
    return quiet(s, SMFIP_NR_BODY, sg_session_body(s, data, len));
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
    struct sg_session *s = session_of(ctx);
    if (s == NULL)
        return no_session();
    return to_smfis(sg_session_eom(s, smfi_getsymval(ctx, "i")));
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
    struct sg_session *s = session_of(ctx);
    if (s != NULL)
        sg_session_abort(s);
    return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
    /* Called with no private data when the connection ended before (or
     * while) a session was made. */
    struct sg_session *s = session_of(ctx);
    smfi_setpriv(ctx, NULL);
    sg_session_free(&s);
    return SMFIS_CONTINUE;
}

struct smfiDesc sg_filter_desc = {
    .xxfi_name = "safeguard-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_ADDRCPT |
                  SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
    .xxfi_connect = mlfi_connect,
    .xxfi_helo = NULL,
    .xxfi_envfrom = mlfi_envfrom,
    .xxfi_envrcpt = mlfi_envrcpt,
    .xxfi_header = mlfi_header,
    .xxfi_eoh = NULL,
    .xxfi_body = mlfi_body,
    .xxfi_eom = mlfi_eom,
    .xxfi_abort = mlfi_abort,
    .xxfi_close = mlfi_close,
    .xxfi_unknown = NULL,
    .xxfi_data = NULL,
    .xxfi_negotiate = mlfi_negotiate,
};
