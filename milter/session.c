/*
 * session.c - per-connection state and the phases of one message.
 *
 * SECURITY: everything from the envelope and the message is
 * attacker-controlled and only copied, counted and parsed here; trust is
 * decided from the client address (trusted_networks) and the MTA's
 * {auth_authen} macro alone.  The envelope sender, the login and the
 * From:/Sender:/Reply-To: addresses are claims judged under that trust
 * (judge.h).  Headers and body are only buffered in their
 * callbacks; all policy work happens at end of message, except the one
 * decision at the end of the headers whether the message is exempt
 * correspondence (exempt_message.h), whose body is then never kept.
 * Fails safe: any internal error marks the message failed, and end of
 * message answers with failure_action (default tempfail), never discard.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exempt_message.h"
#include "notify.h"
#include "school.h"
#include "notice.h"
#include "reinject.h"
#include "store_hosts.h"
#include "judge.h"
#include "log.h"
#include "msgview_build.h"
#include "netlist.h"
#include "session.h"
#include "session_int.h"
#include "sg_buf.h"
#include "sg_msgview.h"
#include "sg_person.h"

/* How many recipients the summary line names before "+N more". */
#define SUMMARY_MAX_RCPTS 10

/* Counts the messages and connections that ended (sg_session_activity). */
static atomic_ulong activity;
/* Counts the exempt messages (sg_session_exempt_count). */
static atomic_ulong exempt_count;

unsigned long
sg_session_exempt_count(void)
{
    return atomic_load_explicit(&exempt_count, memory_order_relaxed);
}

unsigned long
sg_session_activity(void)
{
    return atomic_load_explicit(&activity, memory_order_relaxed);
}

static char *
dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

static char *
sockaddr_text(const struct sockaddr *sa)
{
    char text[INET6_ADDRSTRLEN] = "unknown";
    if (sa != NULL && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text,
                  sizeof(text));
    else if (sa != NULL && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  text, sizeof(text));
    return strdup(text);
}

struct sg_session *
sg_session_new(struct sg_runtime *rt)
{
    struct sg_session *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        sg_runtime_unref(&rt);
        return NULL;
    }
    s->rt = rt;
    sg_msgbuf_init(&s->raw, rt->settings->message_buffer_size,
                   rt->settings->tmpdir);
    return s;
}

enum sg_status
sg_session_connect(struct sg_session *s, const char *hostname,
                   const struct sockaddr *sa)
{
    free(s->client_addr);
    free(s->client_name);
    s->client_addr = sockaddr_text(sa);
    s->client_name = strdup(hostname != NULL ? hostname : "unknown");
    s->trusted = sg_network_match(s->rt->settings->networks,
                                  s->rt->settings->n_networks, sa);
    if (s->client_addr == NULL || s->client_name == NULL) {
        sg_log_error("NOQUEUE: out of memory at connect");
        return sg_session_failure_status(s);
    }
    return SG_CONTINUE;
}

static void
message_reset(struct sg_session *s)
{
    free(s->queue_id);
    free(s->auth_user);
    free(s->env_from);
    s->queue_id = s->auth_user = s->env_from = NULL;
    for (size_t i = 0; i < s->n_rcpts; i++)
        sg_person_free(&s->rcpt_people[i]);
    for (size_t i = 0; s->rcpt_via != NULL && i < s->n_rcpts; i++)
        free(s->rcpt_via[i]);
    free(s->rcpt_people);
    free(s->rcpt_channels);
    free(s->rcpt_via);
    s->rcpt_people = NULL;
    s->rcpt_channels = NULL;
    s->rcpt_via = NULL;
    sg_strv_free(&s->rcpts, &s->n_rcpts);
    sg_sender_free(&s->sender_claims);
    s->sender = NULL;
    s->sender_channel = SG_CHANNEL_NONE;
    s->sender_forged = false;
    for (size_t i = 0; i < s->n_own_headers; i++)
        free(s->own_headers[i].name);
    free(s->own_headers);
    s->own_headers = NULL;
    s->n_own_headers = 0;
    free(s->notice_mark);
    s->notice_mark = NULL;
    s->n_notice_marks = 0;
    free(s->reinject_mark);
    s->reinject_mark = NULL;
    s->n_reinject_marks = 0;
    s->body_offset = 0;
    sg_msgbuf_reset(&s->raw);
    s->n_headers = 0;
    s->in_message = false;
    s->failed = false;
    s->must_tempfail = false;
    s->fail_reason = NULL;
    s->body_started = false;
    s->exempt = false;
}

void
sg_session_free(struct sg_session **sp)
{
    struct sg_session *s = *sp;
    if (s == NULL)
        return;
    message_reset(s);
    sg_msgbuf_free(&s->raw);
    free(s->client_addr);
    free(s->client_name);
    sg_runtime_unref(&s->rt);
    free(s);
    *sp = NULL;
    atomic_fetch_add_explicit(&activity, 1, memory_order_relaxed);
}

enum sg_status
sg_session_failure_status(const struct sg_session *s)
{
    switch (s->rt->settings->failure_action) {
    case SG_FAIL_ACCEPT:
        return SG_ACCEPT;
    case SG_FAIL_REJECT:
        return SG_REJECT;
    default:
        return SG_TEMPFAIL;
    }
}

/* Remember the first internal error of the message; it is acted on at end
 * of message so that the MTA sees one clear answer. */
static enum sg_status
fail(struct sg_session *s, const char *reason)
{
    if (!s->failed) {
        s->failed = true;
        s->fail_reason = reason;
        sg_log_error("%s: %s", sg_session_qid(s), reason);
    }
    return SG_CONTINUE;
}

/* A failed lookup is logged with the queue id; true when st is one. */
static bool
lookup_failed(const struct sg_session *s, const char *addr,
              enum sg_dir_status st, const char *error)
{
    if (st != SG_DIR_TEMPFAIL && st != SG_DIR_CONFIG)
        return false;
    sg_log_error("%s: directory lookup of <%s> failed: %s", sg_session_qid(s),
                 addr, error != NULL ? error : "unknown error");
    return true;
}

enum sg_status
sg_session_envfrom(struct sg_session *s, const char *from,
                   const char *auth_user, const char *queue_id)
{
    message_reset(s);
    s->in_message = true;
    s->env_from = sg_addr_unbracket(from != NULL ? from : "<>");
    s->auth_user =
        dup_or_null(auth_user != NULL && *auth_user != '\0' ? auth_user : NULL);
    s->queue_id = dup_or_null(queue_id);
    if (s->env_from == NULL ||
        (auth_user != NULL && *auth_user != '\0' && s->auth_user == NULL))
        return fail(s, "out of memory at MAIL FROM");
    const char *addr = NULL, *error = NULL;
    if (sg_judge_sender_envelope(s->rt, s->env_from, s->trusted, s->auth_user,
                                 &s->sender_claims, &addr, &error) < 0) {
        if (error == NULL)
            return fail(s, "out of memory at MAIL FROM");
        sg_log_error("%s: directory lookup of <%s> failed: %s",
                     sg_session_qid(s), addr != NULL ? addr : "", error);
        return sg_session_failure_status(s);
    }
    const struct sg_sender_claim *env = &s->sender_claims.claims[0];
    s->sender = env->person;
    s->sender_channel = env->channel;
    s->sender_forged = env->forged;
    return SG_CONTINUE;
}

/* Rules decidable now (sender and this recipient, no content): a
 * reject refuses this recipient alone, here, with the explanation. */
static enum sg_status
rcpt_verdict(struct sg_session *s, const char *addr, const char *via,
             const struct sg_person *person, enum sg_channel channel,
             struct sg_outcome *out)
{
    struct sg_party sender = {s->env_from, s->sender, s->sender_channel};
    struct sg_party rcpt = {addr, person, channel};
    /* the school of the message as far as this recipient goes: its
     * rules, its record and its contact in the reply */
    const struct sg_school *school =
        sg_school_of_message(s->rt->settings, &sender, &rcpt, 1);
    struct sg_verdict *verdict = NULL;
    const char *error = NULL;
    if (sg_judge_eval_rcpt(s->rt, school, &sender, &rcpt, time(NULL),
                           &verdict, &error) < 0) {
        sg_log_error("%s: rules at RCPT <%s>: %s", sg_session_qid(s), addr,
                     error != NULL ? error : "evaluation failed");
        return sg_session_failure_status(s);
    }
    enum sg_status st = SG_CONTINUE;
    char *record = NULL;
    if (verdict->action == SG_ACTION_REJECT) {
        /* a refusal the DSL is to hear of is recorded before the answer,
         * or this recipient is tempfailed */
        struct record_of o = {
            .rcpts = &rcpt,
            .n_rcpts = 1,
            .verdict = verdict,
            .sender = &sender,
            .school = school,
            .now = time(NULL),
        };
        if (sg_session_wants_record(verdict) &&
            sg_session_record(s, &o, &record, NULL) < 0) {
            sg_verdict_free(&verdict);
            return SG_TEMPFAIL;
        }
        struct sg_buf described = SG_BUF_INIT;
        sg_judge_describe(verdict, &described);
        sg_log_info("%s: %s%s%s at RCPT client=%s[%s] from=<%s> to=<%s>%s%s%s",
                    sg_session_qid(s),
                    sg_buf_text_or(&described, "verdict=reject"),
                    record != NULL ? " record=" : "",
                    record != NULL ? record : "",
                    s->client_name, s->client_addr, s->env_from, addr,
                    via != NULL ? "=<" : "", via != NULL ? via : "",
                    via != NULL ? ">" : "");
        sg_buf_free(&described);
        st = sg_outcome_reject_reply(
                 verdict, sg_school_contact(s->rt->settings, school), out) < 0
                 ? sg_session_failure_status(s)
                 : SG_REJECT;
        /* its notices go now: the message may never reach its end */
        if (s->notices_queued)
            sg_notify_wake();
        s->notices_queued = false;
    }
    free(record);
    sg_verdict_free(&verdict);
    return st;
}

/* A recipient whose forms are too many to follow: who it reaches is
 * unknown, so it is refused over SMTP (5.1.3, as Postfix refuses a bad
 * address), and anywhere else the message is kept back. */
static enum sg_status
rcpt_unfollowable(struct sg_session *s, const char *addr,
                  struct sg_outcome *out)
{
    sg_log_info("%s: recipient <%s> refused: too many forms to follow "
                "(percent hack, bang path, quoted routes) client=%s[%s]",
                sg_session_qid(s), addr, s->client_name, s->client_addr);
    if (!s->smtp_client) {
        fail(s, "a recipient address has too many forms to follow");
        s->must_tempfail = true;
        return SG_CONTINUE;
    }
    out->xcode = "5.1.3";
    return sg_reply_wrap(SG_RCPT_UNFOLLOWABLE_REPLY, SG_REPLY_WIDTH,
                         SG_REPLY_MAX_LINES, &out->reply, &out->n_reply) < 0
               ? sg_session_failure_status(s)
               : SG_REJECT;
}

enum sg_status
sg_session_rcpt(struct sg_session *s, const char *rcpt,
                struct sg_outcome *out)
{
    return sg_session_rcpt_mta(s, rcpt, NULL, out);
}

enum sg_status
sg_session_rcpt_mta(struct sg_session *s, const char *rcpt,
                    const struct sg_rcpt_mta *mta, struct sg_outcome *out)
{
    char *addr = sg_addr_unbracket(rcpt);
    if (addr == NULL)
        return fail(s, "out of memory at RCPT TO");
    struct sg_person *person = NULL;
    enum sg_channel channel = SG_CHANNEL_NONE;
    char *via = NULL;
    bool unfollowable = false;
    const char *error = NULL;
    enum sg_dir_status st = sg_judge_resolve_rcpt(
        s->rt, addr, mta, &person, &channel, &via, &unfollowable, &error);
    enum sg_status verdict = SG_CONTINUE;
    if (lookup_failed(s, addr, st, error))
        verdict = sg_session_failure_status(s);
    else if (unfollowable)
        verdict = rcpt_unfollowable(s, addr, out);
    else if (s->smtp_client)
        verdict = rcpt_verdict(s, addr, via, person, channel, out);
    if (verdict != SG_CONTINUE) {
        free(addr);
        free(via);
        sg_person_free(&person);
        return verdict;
    }
    size_t n = s->n_rcpts + 1;
    struct sg_person **people = realloc(s->rcpt_people, n * sizeof(*people));
    if (people != NULL)
        s->rcpt_people = people;
    enum sg_channel *channels =
        realloc(s->rcpt_channels, n * sizeof(*channels));
    if (channels != NULL)
        s->rcpt_channels = channels;
    char **vias = realloc(s->rcpt_via, n * sizeof(*vias));
    if (vias != NULL)
        s->rcpt_via = vias;
    if (people == NULL || channels == NULL || vias == NULL ||
        sg_strv_push(&s->rcpts, &s->n_rcpts, addr) < 0) {
        free(addr);
        free(via);
        sg_person_free(&person);
        return fail(s, "out of memory at RCPT TO");
    }
    free(addr);
    s->rcpt_people[n - 1] = person;
    s->rcpt_channels[n - 1] = channel;
    s->rcpt_via[n - 1] = via;
    return SG_CONTINUE;
}

static void
append(struct sg_session *s, const void *data, size_t len)
{
    const char *error;
    if (!s->failed && sg_msgbuf_append(&s->raw, data, len, &error) < 0)
        fail(s, error);
}

/* Remember an X-Safeguard-* header that came with the message: only the
 * filter may set them, so each is removed at the end of the message.
 * Names only, in the order they came; sg_outcome_build works out which
 * copy of its name each one is.  The array doubles when its count reaches
 * a power of two, so that many headers cost linear time. */
static void
note_own_header(struct sg_session *s, const char *name)
{
    if (strncasecmp(name, "X-Safeguard-", 12) != 0)
        return;
    size_t n = s->n_own_headers;
    if (n >= SG_OWN_HEADERS_MAX) {
        /* removing them would cost the MTA more than it should spend on
         * one message: never let one through, never leave one in */
        fail(s, "too many X-Safeguard headers came with the message");
        s->must_tempfail = true;
        return;
    }
    if (n == 0 || (n & (n - 1)) == 0) {
        struct sg_header_ref *grown = realloc(
            s->own_headers, (n == 0 ? 1 : 2 * n) * sizeof(*grown));
        if (grown == NULL) {
            fail(s, "out of memory recording a header");
            return;
        }
        s->own_headers = grown;
    }
    char *copy = strdup(name);
    if (copy == NULL) {
        fail(s, "out of memory recording a header");
        return;
    }
    s->own_headers[s->n_own_headers++] = (struct sg_header_ref){copy, 0};
}

enum sg_status
sg_session_header(struct sg_session *s, const char *name, const char *value)
{
    note_own_header(s, name);
    if (strcasecmp(name, SG_NOTICE_HEADER) == 0 &&
        s->n_notice_marks++ == 0 && (s->notice_mark = strdup(value)) == NULL)
        fail(s, "out of memory recording a header");
    if (strcasecmp(name, SG_REINJECT_HEADER) == 0 &&
        s->n_reinject_marks++ == 0 &&
        (s->reinject_mark = strdup(value)) == NULL)
        fail(s, "out of memory recording a header");
    /* With SMFIP_HDR_LEADSPC the value keeps its leading space; without
     * it, put the customary one back. */
    bool lead = value[0] == ' ' || value[0] == '\t';
    append(s, name, strlen(name));
    append(s, lead ? ":" : ": ", lead ? 1 : 2);
    append(s, value, strlen(value));
    append(s, "\r\n", 2);
    s->n_headers++;
    return SG_CONTINUE;
}

static struct sg_party *parties(const struct sg_session *s);

/* At the end of the headers: is the message exempt correspondence
 * (sg_exempt_at_headers, on a view of the headers alone: the body is not
 * there yet)?  Anything in doubt (a failure, headers too large to keep
 * in memory) and the message is inspected as usual. */
static bool
exempt_at_body(struct sg_session *s)
{
    const struct sg_config *cfg = s->rt->settings;
    if (cfg->n_exempt_addresses == 0 || s->failed || s->n_rcpts == 0 ||
        sg_msgbuf_spilled(&s->raw))
        return false;
    struct sg_party *rcpts = parties(s);
    const struct sg_sender *envelope = &s->sender_claims;
    struct sg_msgview *view = NULL;
    const char *error = NULL;
    /* the headers are parsed only when the envelope allows it */
    bool exempt = rcpts != NULL &&
                  sg_exempt_message(cfg, &envelope, 1, rcpts, s->n_rcpts) &&
                  sg_msgview_build_mem(s->raw.mem.data, s->raw.mem.len, &view,
                                       &error) == 0 &&
                  sg_exempt_at_headers(s->rt, &s->sender_claims, view,
                                       s->trusted, s->auth_user, rcpts,
                                       s->n_rcpts);
    sg_msgview_free(&view);
    free(rcpts);
    return exempt;
}

enum sg_status
sg_session_body(struct sg_session *s, const void *data, size_t len)
{
    if (!s->body_started) {
        append(s, "\r\n", 2);
        s->body_started = true;
        s->body_offset = s->raw.size;
        s->exempt = exempt_at_body(s);
    }
    /* exempt: the body passes through unread and is not kept */
    if (!s->exempt)
        append(s, data, len);
    return SG_CONTINUE;
}

static int
view_set_envelope(struct sg_session *s, struct sg_msgview *v)
{
    v->queue_id = dup_or_null(s->queue_id);
    v->client_addr = dup_or_null(s->client_addr);
    v->client_trusted = s->trusted;
    v->auth_user = dup_or_null(s->auth_user);
    v->env_from = dup_or_null(s->env_from);
    if (s->n_rcpts > 0) {
        v->env_rcpt = calloc(s->n_rcpts, sizeof(char *));
        if (v->env_rcpt == NULL)
            return -1;
        for (size_t i = 0; i < s->n_rcpts; i++) {
            if ((v->env_rcpt[i] = strdup(s->rcpts[i])) == NULL)
                return -1;
            v->n_rcpt++;
        }
    }
    return (s->queue_id != NULL && v->queue_id == NULL) ||
                   (s->client_addr != NULL && v->client_addr == NULL) ||
                   v->env_from == NULL
               ? -1
               : 0;
}

static long long
elapsed_us(const struct timespec *from)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)(now.tv_sec - from->tv_sec) * 1000000LL +
           (now.tv_nsec - from->tv_nsec) / 1000;
}

/* ":pupil", ":staff+dsl(personal)", ":external" */
static void
put_roles(struct sg_buf *b, const struct sg_person *p, enum sg_channel ch)
{
    sg_judge_put_roles(b, p);
    if (p != NULL && p->n_roles > 0 && ch == SG_CHANNEL_PERSONAL)
        sg_buf_puts(b, "(personal)");
}

/* The one line per message a mail admin greps for.  verdict is either a
 * described rules verdict ("verdict=hold rules=...") or "verdict=WORD". */
static void
log_summary(const struct sg_session *s, const char *verdict,
            const struct sg_msgview *v, long long us)
{
    struct sg_buf from = SG_BUF_INIT, to = SG_BUF_INIT;
    char why[48];
    const char *incomplete =
        v != NULL && v->incomplete != 0
            ? sg_msgview_incomplete_names(v->incomplete, why, sizeof(why))
            : NULL;
    sg_buf_cat(&from, "<", s->env_from != NULL ? s->env_from : "", ">");
    if (s->sender_claims.n_claims > 0)
        sg_sender_describe(&s->sender_claims, &from);
    else
        put_roles(&from, NULL, SG_CHANNEL_NONE);
    for (size_t i = 0; i < s->n_rcpts && i < SUMMARY_MAX_RCPTS; i++) {
        sg_buf_cat(&to, i > 0 ? ",<" : "<", s->rcpts[i], ">");
        if (s->rcpt_via[i] != NULL)
            sg_buf_cat(&to, "=<", s->rcpt_via[i], ">");
        put_roles(&to, s->rcpt_people[i], s->rcpt_channels[i]);
    }
    char more[SG_DEC_SIZE], rcpts[SG_DEC_SIZE], size[SG_DEC_SIZE],
        parts[SG_DEC_SIZE], attachments[SG_DEC_SIZE], nested[SG_DEC_SIZE],
        elapsed[SG_DEC_SIZE];
    if (s->n_rcpts > SUMMARY_MAX_RCPTS)
        sg_buf_cat(&to, ",+", sg_udec(more, s->n_rcpts - SUMMARY_MAX_RCPTS),
                   " more");
    /* the pieces appended, not printf'd: one vsnprintf of sixteen
     * arguments was most of the line's cost */
    struct sg_buf line = SG_BUF_INIT;
    sg_buf_cat(
        &line, sg_session_qid(s), ": ", verdict,
        " client=", s->client_name != NULL ? s->client_name : "unknown", "[",
        s->client_addr != NULL ? s->client_addr : "unknown",
        "] trusted=", s->trusted ? "yes" : "no",
        " auth=", s->auth_user != NULL ? s->auth_user : "-",
        " from=", sg_buf_text_or(&from, "(out of memory)"),
        " to=", sg_buf_text_or(&to, s->n_rcpts > 0 ? "(out of memory)" : "-"),
        " rcpts=", sg_udec(rcpts, s->n_rcpts),
        " size=", sg_udec(size, s->raw.size),
        " parts=", sg_udec(parts, v != NULL ? v->n_parts : 0),
        " attachments=", sg_udec(attachments, v != NULL ? v->n_attachments : 0),
        " nested=", sg_udec(nested, v != NULL ? v->n_nested : 0),
        v != NULL && v->malformed ? " malformed=yes" : "",
        incomplete != NULL ? " incomplete=" : "",
        incomplete != NULL ? incomplete : "",
        " elapsed_us=", sg_dec(elapsed, us));
    if (sg_buf_failed(&line))
        sg_log_info("%s: %s (the rest of the summary line: out of memory)",
                    sg_session_qid(s), verdict);
    else
        sg_log_info("%s", line.data);
    sg_buf_free(&line);
    sg_buf_free(&from);
    sg_buf_free(&to);
}

static const char *
status_word(enum sg_status st)
{
    switch (st) {
    case SG_ACCEPT:
    case SG_CONTINUE:
        return "accept";
    case SG_REJECT:
        return "reject";
    default:
        return "tempfail";
    }
}

/* The recipients of the message, pointing into the session. */
static struct sg_party *
parties(const struct sg_session *s)
{
    struct sg_party *rcpts = calloc(s->n_rcpts > 0 ? s->n_rcpts : 1,
                                    sizeof(*rcpts));
    for (size_t i = 0; rcpts != NULL && i < s->n_rcpts; i++)
        rcpts[i] = (struct sg_party){s->rcpts[i], s->rcpt_people[i],
                                     s->rcpt_channels[i]};
    return rcpts;
}

/* Evaluate the rules and work out what to ask of the MTA. */
static void
judge(struct sg_session *s, const struct sg_msgview *view,
      struct sg_buf *described, struct sg_outcome *out)
{
    struct sg_party *rcpts = parties(s);
    struct sg_verdict *verdict = NULL;
    char *record = NULL;
    const char *error = NULL, *addr = NULL;
    time_t now = time(NULL);
    bool told = false; /* a local refusal explained by a notice */
    if (rcpts == NULL)
        fail(s, "out of memory evaluating the rules");
    else if (sg_judge_sender_headers(s->rt, view, s->trusted, s->auth_user,
                                     &s->sender_claims, &addr, &error) < 0) {
        if (addr != NULL && error != NULL)
            sg_log_error("%s: directory lookup of <%s> failed: %s",
                         sg_session_qid(s), addr, error);
        fail(s, error == NULL  ? "out of memory judging the sender"
                : addr == NULL ? error
                               : "a From:, Sender: or Reply-To: address "
                                 "could not be looked up");
        /* too many claimed senders to check: never let it through
         * unjudged, whatever failure_action says */
        s->must_tempfail = addr == NULL && error != NULL;
    } else if (sg_judge_eval_mta(s->rt, view, &s->sender_claims, rcpts,
                                 s->n_rcpts, now, &verdict, &error) < 0)
        fail(s, error != NULL ? error : "the rules could not be evaluated");
    else if (sg_session_eom_record(s, view, rcpts, verdict, now, &record,
                                   &told) < 0) {
        /* never held or refused without a record (or the explanation),
         * and never let through because failure_action says accept: the
         * MTA keeps it and retries */
        fail(s, "the message's record could not be written");
        s->must_tempfail = true;
    } else if (/* the school's subject tag and contact text */
               sg_outcome_build(s->rt->settings, s->sender_claims.school,
                                verdict, view->subject, record, s->own_headers,
                                s->n_own_headers, out) < 0 ||
               (told && sg_outcome_reject_brief(verdict, record, out) < 0))
        fail(s, "out of memory applying the verdict");
    else {
        sg_judge_describe(verdict, described);
        if (record != NULL)
            sg_buf_cat(described, " record=", record);
        if (out->journal_unconfigured)
            sg_buf_puts(described, " journal=unconfigured");
    }
    free(record);
    sg_verdict_free(&verdict);
    free(rcpts);
}

/* Is this one of the filter's own notices?  Exactly one mark, made with
 * our key for these recipients and this body, recently.  Notices are
 * small, so a message that spilled to a file is not one.  A mark that does
 * not verify is logged and the message is treated like any other (and the
 * mark removed with the other X-Safeguard-* headers). */
static bool
own_notice(struct sg_session *s)
{
    if (s->n_notice_marks == 0)
        return false;
    const char *why = "notices are not configured here";
    bool valid = false;
    if (s->n_notice_marks > 1)
        why = "more than one mark";
    else if (sg_msgbuf_spilled(&s->raw))
        why = "too large for a notice";
    else if (s->rt->notice != NULL)
        valid = sg_notice_verify(s->rt->notice->key, s->notice_mark,
                                 (const char *const *)s->rcpts, s->n_rcpts,
                                 s->raw.mem.data + s->body_offset,
                                 s->raw.mem.len - s->body_offset, time(NULL),
                                 &why) == 1;
    if (!valid)
        sg_log_warn("%s: %s header not trusted (%s); evaluating the message "
                    "as usual",
                    sg_session_qid(s), SG_NOTICE_HEADER,
                    why != NULL ? why : "invalid");
    return valid;
}

/* Is this a released record's copy that an administrator re-injected
 * here because the host that held it is gone (core/reinject.h)?  One
 * header, made with our key recently, for a record the store says was
 * released and re-injected and whose copy no filter has let through
 * yet; the store marks it taken, so it works once.  Anything less is
 * logged and the message is judged as usual (and the header removed). */
static bool
reinjected(struct sg_session *s, struct sg_buf *described,
           struct sg_outcome *out)
{
    if (s->n_reinject_marks == 0)
        return false;
    const char *why = "notices (and their key) are not configured here";
    char record[SG_REINJECT_ID_MAX + 1], buf[256];
    bool valid = false;
    struct sg_store *q = NULL;
    if (s->n_reinject_marks > 1)
        why = "more than one header";
    else if (s->rt->notice != NULL &&
             sg_reinject_check(s->rt->notice->key, s->reinject_mark, time(NULL),
                               record, &why) == 1 &&
             (q = sg_runtime_quarantine(s->rt, &why)) != NULL)
        valid = sg_store_reinject_take(
                    q, record,
                    sg_mailqueue_host_name(s->rt->settings->mailqueue.host_name,
                                           buf, sizeof(buf)),
                    &why) == 0;
    if (!valid) {
        sg_log_warn("%s: %s header not trusted (%s); evaluating the message "
                    "as usual",
                    sg_session_qid(s), SG_REINJECT_HEADER,
                    why != NULL ? why : "invalid");
        return false;
    }
    if (sg_outcome_strip(s->own_headers, s->n_own_headers, out) < 0)
        fail(s, "out of memory applying the verdict");
    sg_buf_cat(described, "verdict=accept reinjected=", record);
    return true;
}

/* End of an exempt message: accepted, with the X-Safeguard-* headers
 * that came with it removed as from any other, no record, and one line
 * that names no one: who wrote to a union representative or to
 * occupational health is itself what the exemption keeps private.  The
 * queue id lets the mail admin follow delivery in Postfix's own log. */
static enum sg_status
eom_exempt(struct sg_session *s, struct sg_outcome *out,
           const struct timespec *start)
{
    struct sg_verdict accept = {0};
    enum sg_status st = SG_CONTINUE;
    if (s->failed ||
        sg_outcome_build(s->rt->settings, NULL, &accept, NULL, NULL,
                         s->own_headers, s->n_own_headers, out) < 0) {
        sg_outcome_free(out); /* nothing half-applied */
        if (!s->failed)
            fail(s, "out of memory applying the verdict");
        st = s->must_tempfail ? SG_TEMPFAIL : sg_session_failure_status(s);
    }
    sg_log_info("%s: verdict=%s exempt=yes rcpts=%zu elapsed_us=%lld",
                sg_session_qid(s), status_word(st), s->n_rcpts,
                elapsed_us(start));
    atomic_fetch_add_explicit(&exempt_count, 1, memory_order_relaxed);
    s->n_messages++;
    message_reset(s);
    atomic_fetch_add_explicit(&activity, 1, memory_order_relaxed);
    return st;
}

enum sg_status
sg_session_eom(struct sg_session *s, const char *queue_id,
               struct sg_outcome *out)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (queue_id != NULL && *queue_id != '\0' &&
        (s->queue_id == NULL || strcmp(s->queue_id, queue_id) != 0)) {
        free(s->queue_id);
        s->queue_id = strdup(queue_id);
    }
    if (!s->body_started)
        sg_session_body(s, "", 0);
    if (s->exempt)
        return eom_exempt(s, out, &start);

    struct sg_msgview *view = NULL;
    const char *error = NULL;
    if (!s->failed) {
        int rc =
            sg_msgbuf_spilled(&s->raw)
                ? sg_msgview_build_fd_extract(
                      s->raw.fd, &s->rt->settings->extract, &view, &error)
                : sg_msgview_build_mem_extract(
                      s->raw.mem.data != NULL ? s->raw.mem.data : "",
                      s->raw.mem.len, &s->rt->settings->extract, &view, &error);
        if (rc < 0)
            fail(s, error != NULL ? error : "cannot parse the message");
        else if (view_set_envelope(s, view) < 0)
            fail(s, "out of memory building the message view");
    }

    struct sg_buf described = SG_BUF_INIT;
    if (!s->failed && own_notice(s))
        sg_buf_puts(&described, "verdict=accept notice=own");
    else if (!s->failed && reinjected(s, &described, out))
        ;
    else if (!s->failed)
        judge(s, view, &described, out);

    enum sg_status st = out->reject ? SG_REJECT : SG_CONTINUE;
    if (s->failed) {
        sg_outcome_free(out); /* nothing half-applied */
        st = s->must_tempfail ? SG_TEMPFAIL : sg_session_failure_status(s);
        sg_log_warn("%s: applying failure_action=%s after: %s",
                    sg_session_qid(s), status_word(st), s->fail_reason);
        sg_buf_reset(&described);
        sg_buf_cat(&described, "verdict=", status_word(st));
    }
    log_summary(s,
                sg_buf_failed(&described)
                    ? "verdict=unknown (out of memory describing it)"
                    : sg_buf_text_or(&described, "verdict=accept"),
                view, elapsed_us(&start));
    /* the notices go after the verdict: the outbox thread sends them */
    if (s->notices_queued)
        sg_notify_wake();
    s->notices_queued = false;
    sg_buf_free(&described);
    sg_msgview_free(&view);
    s->n_messages++;
    message_reset(s);
    atomic_fetch_add_explicit(&activity, 1, memory_order_relaxed);
    return st;
}

void
sg_session_abort(struct sg_session *s)
{
    message_reset(s);
    atomic_fetch_add_explicit(&activity, 1, memory_order_relaxed);
}
