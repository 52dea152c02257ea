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
#include "judge.h"
#include "log.h"
#include "outcome.h"
#include "session.h"
#include "sg_buf.h"

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
    struct sg_runtime *rt = sg_runtime_current();
    int action = rt != NULL ? rt->settings->failure_action : SG_FAIL_TEMPFAIL;
    sg_runtime_unref(&rt);
    sg_log_error("NOQUEUE: no session state (out of memory?)");
    return action == SG_FAIL_ACCEPT ? SMFIS_ACCEPT
           : action == SG_FAIL_REJECT ? SMFIS_REJECT
                                      : SMFIS_TEMPFAIL;
}

/* libmilter takes reply lines as varargs ending in NULL; pass all 32
 * slots, the unused ones NULL. */
static int
set_reply(SMFICTX *ctx, const struct sg_outcome *out)
{
    static char rcode[] = "550", policy[] = "5.7.1";
    char xcode[sizeof("5.999.999")];
    snprintf(xcode, sizeof(xcode), "%s",
             out->xcode != NULL ? out->xcode : policy);
    char *l[SG_REPLY_MAX_LINES + 1] = {NULL};
    for (size_t i = 0; i < out->n_reply && i < SG_REPLY_MAX_LINES; i++)
        l[i] = out->reply[i];
    return smfi_setmlreply(
        ctx, rcode, xcode, l[0], l[1], l[2], l[3], l[4], l[5], l[6], l[7],
        l[8], l[9], l[10], l[11], l[12], l[13], l[14], l[15], l[16], l[17],
        l[18], l[19], l[20], l[21], l[22], l[23], l[24], l[25], l[26], l[27],
        l[28], l[29], l[30], l[31], (char *)NULL);
}

/* With SMFIP_HDR_LEADSPC agreed, header values we add or change must
 * bring their own leading space, as the ones we receive do. */
static int
set_header(SMFICTX *ctx, const struct sg_session *s, char *name, int index,
           const char *value, bool add)
{
    struct sg_buf v = SG_BUF_INIT;
    if (s->proto_steps & SMFIP_HDR_LEADSPC)
        sg_buf_putc(&v, ' ');
    sg_buf_puts(&v, value);
    int rc = sg_buf_failed(&v) ? MI_FAILURE
             : add             ? smfi_addheader(ctx, name, v.data)
                               : smfi_chgheader(ctx, name, index, v.data);
    sg_buf_free(&v);
    return rc;
}

/* Ask the MTA for what the outcome says.  Any refusal is an internal
 * error: the message gets failure_action rather than a half-applied
 * verdict. */
static sfsistat
apply(SMFICTX *ctx, struct sg_session *s, enum sg_status st,
      const struct sg_outcome *out)
{
    const char *what = NULL;
    if (st == SG_REJECT && out->n_reply > 0 &&
        set_reply(ctx, out) !=
            MI_SUCCESS)
        what = "setting the reply";
    if (st != SG_CONTINUE)
        return what == NULL ? to_smfis(st) : to_smfis(SG_TEMPFAIL);
    for (size_t i = 0; what == NULL && i < out->n_del_headers; i++)
        if (smfi_chgheader(ctx, out->del_headers[i].name,
                           out->del_headers[i].index, NULL) != MI_SUCCESS)
            what = "removing an X-Safeguard header";
    for (size_t i = 0; what == NULL && i < out->n_add_headers; i++)
        if (set_header(ctx, s, out->add_headers[i].name, 0,
                       out->add_headers[i].value, true) != MI_SUCCESS)
            what = "adding an X-Safeguard header";
    static char subject[] = "Subject";
    if (what == NULL && out->new_subject != NULL &&
        set_header(ctx, s, subject, 1, out->new_subject, false) !=
            MI_SUCCESS)
        what = "tagging the subject";
    for (size_t i = 0; what == NULL && i < out->n_add_rcpts; i++)
        if (smfi_addrcpt(ctx, out->add_rcpts[i]) != MI_SUCCESS)
            what = "adding the journal recipient";
    if (what == NULL && out->quarantine != NULL &&
        smfi_quarantine(ctx, out->quarantine) != MI_SUCCESS)
        what = "quarantining";
    if (what != NULL) {
        sg_log_error("%s: the MTA refused %s; applying failure_action",
                     smfi_getsymval(ctx, "i") != NULL
                         ? smfi_getsymval(ctx, "i")
                         : "NOQUEUE",
                     what);
        return to_smfis(sg_session_failure_status(s));
    }
    return SMFIS_CONTINUE;
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
    struct sg_runtime *rt = sg_runtime_current();
    if (rt == NULL)
        return NULL;
    struct sg_session *s = sg_session_new(rt);
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
     * and body data without waiting for a reply to each.  DATA is not
     * skipped: Postfix sends the DATA stage's macros all the same, and
     * with nothing answering them on a TCP socket its next writes wait for
     * a delayed ACK (~40 ms a message, bench/README.md); answering DATA
     * carries that ACK. */
    unsigned long want = SMFIP_NOHELO | SMFIP_NOUNKNOWN | SMFIP_NOEOH |
                         SMFIP_HDR_LEADSPC | SMFIP_NR_CONN | SMFIP_NR_HDR |
                         SMFIP_NR_BODY;
    *pf1 = f1 & want;
    *pf2 = 0;
    *pf3 = 0;
    s->proto_steps = *pf1;
    if (f0 & SMFIF_SETSYMLIST) {
        /* Ask for the macros used, where they are used (the one stage
         * where Postfix's default lacks one: {client_connections} at MAIL).
         * Postfix ignores an empty list and sends its defaults, and it
         * sends a macro packet before every stage anyway, so lists can
         * only trim bytes, not packets. */
        static char envfrom[] = SG_MACROS_ENVFROM;
        static char eom[] = SG_MACROS_EOM;
        smfi_setsymlist(ctx, SMFIM_ENVFROM, envfrom);
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
    s->smtp_client = smfi_getsymval(ctx, "{client_connections}") != NULL;
    return to_smfis(sg_session_envfrom(s, argv[0],
                                       smfi_getsymval(ctx, "{auth_authen}"),
                                       smfi_getsymval(ctx, "i")));
}

/* DATA: nothing to do but answer (see mlfi_negotiate). */
static sfsistat
mlfi_data(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_CONTINUE;
}

static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
    struct sg_session *s = session_of(ctx);
    if (s == NULL)
        return no_session();
    struct sg_outcome out = {0};
    /* how Postfix resolves it (its default milter_rcpt_macros) */
    struct sg_rcpt_mta mta = {smfi_getsymval(ctx, "{rcpt_addr}"),
                              smfi_getsymval(ctx, "{rcpt_mailer}")};
    enum sg_status st = sg_session_rcpt_mta(s, argv[0], &mta, &out);
    sfsistat ret = apply(ctx, s, st, &out);
    sg_outcome_free(&out);
    return ret;
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
    struct sg_outcome out = {0};
    enum sg_status st = sg_session_eom(s, smfi_getsymval(ctx, "i"), &out);
    sfsistat ret = apply(ctx, s, st, &out);
    sg_outcome_free(&out);
    return ret;
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
    .xxfi_data = mlfi_data,
    .xxfi_negotiate = mlfi_negotiate,
};
