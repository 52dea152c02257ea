/*
 * judge.c - resolve people, decide who the sender really is, evaluate the
 * rules, and describe the verdict in one line.
 *
 * SECURITY: a school address is believed only on the MTA's word (trusted
 * client, SMTP AUTH as its owner).  The envelope, the login and the
 * From:/Sender:/Reply-To: headers are all claims: the sender is judged as
 * each, and the strongest verdict wins, so no claim can make a message
 * pass that another would stop.  A From: display name is only a signal
 * the rules may use.  A directory failure is an
 * error, never an "external" person.
 * Fails by returning an error status; nothing here logs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "judge.h"
#include "school.h"

char *
sg_addr_unbracket(const char *addr)
{
    size_t len = strlen(addr);
    if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>')
        return strndup(addr + 1, len - 2);
    return strdup(addr);
}

enum sg_dir_status
sg_judge_resolve(const struct sg_runtime *rt, const char *addr,
                 struct sg_person **person_r, enum sg_channel *channel_r,
                 const char **error_r)
{
    *person_r = NULL;
    *channel_r = SG_CHANNEL_NONE;
    if (rt->directory == NULL || addr[0] == '\0')
        return SG_DIR_NOTFOUND;
    enum sg_dir_status st =
        sg_dir_lookup(rt->directory, addr, person_r, channel_r, error_r);
    if (st != SG_DIR_FOUND) {
        sg_person_free(person_r);
        *channel_r = SG_CHANNEL_NONE;
    }
    return st;
}

/* Look form up (qualified with domain when it has none); a person found
 * replaces *best, and the form it was found through replaces *via. */
static enum sg_dir_status
resolve_form(const struct sg_runtime *rt, const char *form, const char *domain,
             struct sg_person **best, enum sg_channel *best_channel, char **via,
             const char **error_r)
{
    char *qualified = NULL;
    if (domain != NULL) {
        size_t len = strlen(form) + 1 + strlen(domain) + 1;
        if ((qualified = malloc(len)) == NULL) {
            *error_r = "out of memory";
            return SG_DIR_TEMPFAIL;
        }
        snprintf(qualified, len, "%s@%s", form, domain);
    }
    const char *address = qualified != NULL ? qualified : form;
    struct sg_person *p = NULL;
    enum sg_channel ch = SG_CHANNEL_NONE;
    enum sg_dir_status st = sg_judge_resolve(rt, address, &p, &ch, error_r);
    if (st == SG_DIR_FOUND) {
        char *copy = strdup(address);
        if (copy == NULL) {
            sg_person_free(&p);
            st = SG_DIR_TEMPFAIL;
            *error_r = "out of memory";
        } else {
            sg_person_free(best);
            *best = p;
            *best_channel = ch;
            free(*via);
            *via = copy;
        }
    }
    free(qualified);
    return st;
}

/* Take form out of forms where it is. */
static void
drop_form(char **forms, size_t *n, const char *form)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(forms[i], form) == 0) {
            free(forms[i]);
            memmove(&forms[i], &forms[i + 1], (*n - i - 1) * sizeof(*forms));
            (*n)--;
            return;
        }
}

/* Add the MTA's resolution to the forms: its own forms, and, when it
 * delivers locally, the bare local part of the address it delivers to.
 * A form already there (most often the address itself: Postfix's
 * {rcpt_addr} is the address as written) moves to its later place rather
 * than being looked up twice: the same form finds the same person, and
 * of the forms found the last one counts (sg_judge_resolve_rcpt), so
 * nothing changes but the second lookup.  The bound counts the forms as
 * if none had moved.  0, -1 on allocation failure, -2 when there are too
 * many. */
static int
add_mta_forms(const struct sg_rcpt_mta *mta, char ***forms, size_t *n)
{
    if (mta == NULL || mta->addr == NULL || mta->addr[0] == '\0')
        return 0;
    char **more = NULL;
    size_t n_more = 0;
    int rc = sg_dir_address_routes(mta->addr, &more, &n_more);
    if (rc > 0 && mta->mailer != NULL && strcmp(mta->mailer, "local") == 0) {
        const char *last = more[n_more - 1];
        const char *at = strrchr(last, '@');
        char *bare = at != NULL ? strndup(last, (size_t)(at - last)) : NULL;
        if (at != NULL && at > last &&
            (bare == NULL || sg_strv_push(&more, &n_more, bare) < 0))
            rc = -1;
        free(bare);
    }
    size_t counted = *n;
    for (size_t i = 0; rc >= 0 && i < n_more; i++)
        if (counted++ >= 2 * SG_DIR_ROUTES_MAX + 1)
            rc = -2;
        else {
            drop_form(*forms, n, more[i]);
            if (sg_strv_push(forms, n, more[i]) < 0)
                rc = -1;
        }
    sg_strv_free(&more, &n_more);
    return rc < 0 ? rc : 0;
}

enum sg_dir_status
sg_judge_resolve_rcpt(const struct sg_runtime *rt, const char *addr,
                      const struct sg_rcpt_mta *mta,
                      struct sg_person **person_r, enum sg_channel *channel_r,
                      char **via_r, bool *unfollowable_r, const char **error_r)
{
    *person_r = NULL;
    *channel_r = SG_CHANNEL_NONE;
    *via_r = NULL;
    *unfollowable_r = false;
    if (rt->directory == NULL || addr[0] == '\0')
        return SG_DIR_NOTFOUND;
    char **forms = NULL;
    size_t n = 0;
    int rc = sg_dir_address_routes(addr, &forms, &n);
    if (rc >= 0)
        rc = add_mta_forms(mta, &forms, &n);
    if (rc == -2) {
        sg_strv_free(&forms, &n);
        *unfollowable_r = true;
        return SG_DIR_NOTFOUND;
    }
    if (rc < 0) {
        sg_strv_free(&forms, &n);
        *error_r = "out of memory";
        return SG_DIR_TEMPFAIL;
    }
    enum sg_dir_status st = SG_DIR_NOTFOUND;
    for (size_t i = 0; i < n; i++) {
        bool bare = strchr(forms[i], '@') == NULL;
        /* a bare local part is delivered in $myorigin or locally: one of
         * the school's domains */
        for (size_t d = 0; d < (bare ? rt->settings->n_school_domains : 1);
             d++) {
            enum sg_dir_status one = resolve_form(
                rt, forms[i], bare ? rt->settings->school_domains[d] : NULL,
                person_r, channel_r, via_r, error_r);
            if (one == SG_DIR_TEMPFAIL || one == SG_DIR_CONFIG) {
                st = one;
                goto out;
            }
            if (one == SG_DIR_FOUND)
                st = SG_DIR_FOUND;
        }
    }
out:
    sg_strv_free(&forms, &n);
    if (st != SG_DIR_FOUND) {
        sg_person_free(person_r);
        *channel_r = SG_CHANNEL_NONE;
        free(*via_r);
        *via_r = NULL;
        return st;
    }
    /* found through the address as written (quotes, case and a source
     * route aside): nothing more to say */
    char *written = sg_dir_address_normalise(addr, NULL);
    char *found = sg_dir_address_normalise(*via_r, NULL);
    if (written != NULL && found != NULL && strcmp(written, found) == 0) {
        free(*via_r);
        *via_r = NULL;
    }
    free(written);
    free(found);
    return st;
}

static bool
local_part_equal(const char *auth, const char *addr)
{
    const char *at = strrchr(addr, '@');
    size_t len = at != NULL ? (size_t)(at - addr) : strlen(addr);
    return strlen(auth) == len && strncasecmp(auth, addr, len) == 0;
}

static bool
auth_matches_one(const char *auth, const char *addr)
{
    if (addr == NULL)
        return false;
    return strchr(auth, '@') != NULL ? strcasecmp(auth, addr) == 0
                                     : local_part_equal(auth, addr);
}

bool
sg_auth_matches(const char *auth_user, const struct sg_person *person)
{
    if (auth_user == NULL || person == NULL)
        return false;
    if (auth_matches_one(auth_user, person->address))
        return true;
    for (size_t i = 0; i < person->n_aliases; i++)
        if (auth_matches_one(auth_user, person->aliases[i]))
            return true;
    return false;
}

void
sg_judge_claim_trust(const struct sg_runtime *rt, const char *addr,
                     struct sg_person **person, enum sg_channel *channel,
                     bool trusted, const char *auth_user, bool *forged_r)
{
    *forged_r = false;
    if (*person == NULL || *channel != SG_CHANNEL_SCHOOL || trusted ||
        !sg_rules_school_address(rt->rules, addr) ||
        sg_auth_matches(auth_user, *person))
        return;
    sg_person_free(person);
    *channel = SG_CHANNEL_NONE;
    *forged_r = true;
}

struct sg_party
sg_sender_party(const struct sg_sender *sender, size_t i)
{
    const struct sg_sender_claim *c = &sender->claims[i];
    return (struct sg_party){c->address, c->person, c->channel};
}

void
sg_sender_free(struct sg_sender *sender)
{
    for (size_t i = 0; i < sender->n_claims; i++) {
        free(sender->claims[i].address);
        sg_person_free(&sender->claims[i].person);
    }
    free(sender->claims);
    memset(sender, 0, sizeof(*sender));
}

/* Is this claim the same identity as (person, channel) or, for nobody,
 * the same address? */
static bool
claim_same(const struct sg_sender_claim *c, const char *addr,
           const struct sg_person *person, enum sg_channel channel)
{
    if (c->person != NULL && person != NULL)
        return c->channel == channel && c->person->address != NULL &&
               person->address != NULL &&
               strcasecmp(c->person->address, person->address) == 0;
    return c->person == NULL && person == NULL &&
           strcasecmp(c->address, addr) == 0;
}

/* Add a claim (taking person), or merge it into the same identity. */
static int
claim_add(struct sg_sender *sender, const char *addr, struct sg_person *person,
          enum sg_channel channel, unsigned source, bool forged)
{
    for (size_t i = 0; i < sender->n_claims; i++)
        if (claim_same(&sender->claims[i], addr, person, channel)) {
            sender->claims[i].sources |= source;
            sender->claims[i].forged = sender->claims[i].forged || forged;
            sg_person_free(&person);
            return 0;
        }
    struct sg_sender_claim *grown = realloc(
        sender->claims, (sender->n_claims + 1) * sizeof(*grown));
    char *copy = strdup(addr);
    if (grown != NULL)
        sender->claims = grown;
    if (grown == NULL || copy == NULL) {
        free(copy);
        sg_person_free(&person);
        return -1;
    }
    sender->claims[sender->n_claims++] =
        (struct sg_sender_claim){copy, person, channel, source, forged};
    return 0;
}

/* Look addr up and apply the trust test; a claim only when keep_external
 * or the address is a person's or in a school domain.  1 added, 0 not,
 * -1 failed (*error_r set for a lookup, NULL for allocation). */
static int
claim_resolve(const struct sg_runtime *rt, const char *addr, bool trusted,
              const char *auth_user, unsigned source, bool keep_external,
              struct sg_sender *sender, const char **error_r)
{
    struct sg_person *person = NULL;
    enum sg_channel channel = SG_CHANNEL_NONE;
    bool forged = false;
    *error_r = NULL;
    enum sg_dir_status st =
        sg_judge_resolve(rt, addr, &person, &channel, error_r);
    if (st == SG_DIR_TEMPFAIL || st == SG_DIR_CONFIG) {
        if (*error_r == NULL)
            *error_r = "unknown error";
        return -1;
    }
    if (source != SG_CLAIM_AUTH)
        sg_judge_claim_trust(rt, addr, &person, &channel, trusted, auth_user,
                             &forged);
    if (!keep_external && person == NULL &&
        (!sg_rules_school_address(rt->rules, addr) || trusted))
        return 0; /* nobody's, and outside or vouched for: adds nothing */
    return claim_add(sender, addr, person, channel, source, forged) < 0 ? -1
                                                                        : 1;
}

/* The people the SMTP AUTH login belongs to. */
static int
login_claims(const struct sg_runtime *rt, const char *login,
             struct sg_sender *sender, const char **addr_r,
             const char **error_r)
{
    if (strchr(login, '@') != NULL) {
        *addr_r = login;
        return claim_resolve(rt, login, true, login, SG_CLAIM_AUTH, false,
                             sender, error_r) < 0
                   ? -1
                   : 0;
    }
    for (size_t i = 0; i < rt->settings->n_school_domains; i++) {
        const char *domain = rt->settings->school_domains[i];
        domain += domain[0] == '@';
        char *addr = NULL;
        if (asprintf(&addr, "%s@%s", login, domain) < 0) {
            *addr_r = NULL;
            *error_r = NULL;
            return -1;
        }
        /* the lookup's error names the address; keep it for the log */
        int rc = claim_resolve(rt, addr, true, login, SG_CLAIM_AUTH, false,
                               sender, error_r);
        free(addr);
        if (rc < 0) {
            *addr_r = login;
            return -1;
        }
    }
    return 0;
}

int
sg_judge_sender_envelope(const struct sg_runtime *rt, const char *env_from,
                         bool trusted, const char *auth_user,
                         struct sg_sender *sender, const char **addr_r,
                         const char **error_r)
{
    memset(sender, 0, sizeof(*sender));
    *addr_r = env_from;
    if (claim_resolve(rt, env_from, trusted, auth_user, SG_CLAIM_ENVELOPE, true,
                      sender, error_r) < 0)
        return -1;
    const struct sg_sender_claim *env = &sender->claims[0];
    if (auth_user == NULL || (env->channel == SG_CHANNEL_SCHOOL &&
                              sg_auth_matches(auth_user, env->person)))
        return 0; /* no login, or the login vouches for the envelope */
    return login_claims(rt, auth_user, sender, addr_r, error_r);
}

/* Did the client log in as a member of staff?  Their login's person (the
 * envelope's, when the login owns it, or one found from the login). */
static bool
staff_login(const struct sg_sender *sender, const char *auth_user)
{
    for (size_t i = 0; auth_user != NULL && i < sender->n_claims; i++) {
        const struct sg_sender_claim *c = &sender->claims[i];
        if (c->person != NULL && c->channel == SG_CHANNEL_SCHOOL &&
            sg_auth_matches(auth_user, c->person) &&
            sg_person_has_role(c->person, SG_ROLE_STAFF))
            return true;
    }
    return false;
}

int
sg_judge_sender_headers(const struct sg_runtime *rt,
                        const struct sg_msgview *view, bool trusted,
                        const char *auth_user, struct sg_sender *sender,
                        const char **addr_r, const char **error_r)
{
    if (view->sender_claims_overflow) {
        *addr_r = NULL;
        *error_r = "more addresses in From:, Sender: and Reply-To: than "
                   "the filter checks";
        return -1;
    }
    /* A member of staff who logged in may name another school address
     * (a shared mailbox in Reply-To:, a colleague in Sender:): the MTA
     * vouches for the client as the school's own, as it does for a
     * trusted client.  Anyone else naming a school address they do not
     * own is judged as an outsider using it. */
    bool believed = trusted || staff_login(sender, auth_user);
    for (size_t i = 0; i < view->n_sender_claims; i++) {
        const char *addr = view->sender_claims[i];
        *addr_r = addr;
        if (sender->n_claims > 0 &&
            strcasecmp(addr, sender->claims[0].address) == 0) {
            sender->claims[0].sources |= SG_CLAIM_HEADER;
            continue; /* the envelope sender's own: judged already */
        }
        if (claim_resolve(rt, addr, believed, auth_user, SG_CLAIM_HEADER, false,
                          sender, error_r) < 0)
            return -1;
    }
    return 0;
}

void
sg_judge_put_roles(struct sg_buf *out, const struct sg_person *p)
{
    if (p == NULL || p->n_roles == 0)
        sg_buf_puts(out, ":external");
    for (size_t i = 0; p != NULL && i < p->n_roles; i++)
        sg_buf_cat(out, i == 0 ? ":" : "+", p->roles[i]);
}

void
sg_sender_describe(const struct sg_sender *sender, struct sg_buf *out)
{
    const struct sg_sender_claim *c = &sender->claims[sender->judged];
    const struct sg_person *p = c->person;
    sg_judge_put_roles(out, p);
    const char *tags[4];
    size_t n = 0;
    if (c->forged)
        tags[n++] = "forged";
    if (p != NULL && c->channel == SG_CHANNEL_PERSONAL)
        tags[n++] = "personal";
    if (sender->judged > 0 && (c->sources & SG_CLAIM_AUTH))
        tags[n++] = "auth";
    if (sender->judged > 0 && (c->sources & SG_CLAIM_HEADER))
        tags[n++] = "header";
    for (size_t i = 0; i < n; i++)
        sg_buf_cat(out, i == 0 ? "(" : ",", tags[i]);
    if (n > 0)
        sg_buf_puts(out, ")");
    if (sender->judged > 0)
        sg_buf_cat(out, " sender=<", c->address, ">");
}

static int
register_check(void *ctx, const char *name, const struct sg_party *sender,
               const struct sg_party *rcpt, time_t now)
{
    return sg_register_check(ctx, name, sender, rcpt, now);
}

/* personal-email: is the address someone's registered personal one?  An
 * outage is an error, never "no". */
static int
personal_lookup(void *ctx, const char *address)
{
    struct sg_person *p = NULL;
    enum sg_channel channel = SG_CHANNEL_NONE;
    const char *error = NULL;
    enum sg_dir_status st =
        sg_dir_lookup(ctx, address, &p, &channel, &error);
    sg_person_free(&p);
    if (st == SG_DIR_NOTFOUND)
        return 0;
    if (st != SG_DIR_FOUND)
        return -1;
    return channel == SG_CHANNEL_PERSONAL;
}

/* Display-name lookups during one evaluation: the people found live
 * until the evaluation is over. */
struct name_ctx {
    struct sg_directory *dir;
    struct sg_person **found;
    size_t n_found;
};

static int
name_lookup(void *ctx, const char *name, const struct sg_person **person_r)
{
    struct name_ctx *nc = ctx;
    struct sg_person *p = NULL;
    const char *error = NULL;
    enum sg_dir_status st = sg_dir_lookup_name(nc->dir, name, &p, &error);
    if (st == SG_DIR_NOTFOUND)
        return 0;
    if (st != SG_DIR_FOUND)
        return -1; /* an outage is an error, never "no such person" */
    struct sg_person **grown =
        realloc(nc->found, (nc->n_found + 1) * sizeof(*grown));
    if (grown == NULL) {
        sg_person_free(&p);
        return -1;
    }
    nc->found = grown;
    nc->found[nc->n_found++] = p;
    *person_r = p;
    return 1;
}

/* The pupil named name, for pupil-roster.  The directory's name lookup
 * answers with the one person of that name, or with the member of staff
 * among several: a name shared by a pupil and a member of staff, or by
 * two pupils, is not counted (a roster of pupils named only like that is
 * missed, never wrongly held). */
static int
pupil_lookup(void *ctx, const char *name, const struct sg_person **person_r)
{
    int r = name_lookup(ctx, name, person_r);
    if (r == 1 && !sg_person_has_role(*person_r, SG_ROLE_PUPIL)) {
        *person_r = NULL;
        return 0;
    }
    return r;
}

/* Evaluate with sg_rules_eval or sg_rules_eval_rcpt (view NULL) by the
 * rules of school, the message's; explain_all: render every match's
 * explanations, not only a hold's or a reject's. */
static int
evaluate(const struct sg_runtime *rt, const struct sg_school *school,
         const struct sg_msgview *view, const struct sg_party *sender,
         const struct sg_party *rcpts, size_t n_rcpts, time_t now,
         bool explain_all, struct sg_verdict **verdict_r,
         const char **error_r)
{
    /* a school of a trust is judged by its own rules (its numbers,
     * postcodes, time zone and contact) */
    const struct sg_rules *rules = sg_runtime_rules(rt, school);
    if (rules == NULL) {
        *verdict_r = calloc(1, sizeof(struct sg_verdict));
        if (*verdict_r == NULL) {
            *error_r = "out of memory";
            return -1;
        }
        return 0;
    }
    struct sg_eval_input in;
    memset(&in, 0, sizeof(in));
    in.view = view;
    in.sender = *sender;
    in.rcpts = rcpts;
    in.n_rcpts = n_rcpts;
    in.now = now;
    in.explain_if_held_or_rejected = !explain_all;
    if (rt->exceptions != NULL) {
        in.in_register = register_check;
        in.register_ctx = rt->exceptions;
    }
    struct name_ctx names = {rt->directory, NULL, 0};
    if (rt->directory != NULL) {
        in.name_lookup = name_lookup;
        in.name_lookup_ctx = &names;
        in.pupil_lookup = pupil_lookup;
        in.pupil_lookup_ctx = &names;
        in.personal_lookup = personal_lookup;
        in.personal_lookup_ctx = rt->directory;
    }
    int rc = view != NULL ? sg_rules_eval(rules, &in, verdict_r, error_r)
                          : sg_rules_eval_rcpt(rules, &in, verdict_r, error_r);
    for (size_t i = 0; i < names.n_found; i++)
        sg_person_free(&names.found[i]);
    free(names.found);
    return rc;
}

/* Order of verdicts: the action, then journalling, then what test-mode
 * rules would have done, then annotation.  <0, 0, >0. */
static int
verdict_cmp(const struct sg_verdict *a, const struct sg_verdict *b)
{
    if (a->action != b->action)
        return a->action < b->action ? -1 : 1;
    if (a->journal != b->journal)
        return a->journal ? 1 : -1;
    if (a->would_action != b->would_action)
        return a->would_action < b->would_action ? -1 : 1;
    if (a->annotate != b->annotate)
        return a->annotate ? 1 : -1;
    return 0;
}

/* A claim of nobody (a null or unknown address outside the school's
 * domains) says nothing once another claim is a person: a null envelope
 * sender from an authenticated member of staff is judged as that member
 * of staff only, not also as an outsider using their name. */
static bool
claim_superseded(const struct sg_runtime *rt, const struct sg_sender *sender,
                 size_t i)
{
    const struct sg_sender_claim *c = &sender->claims[i];
    if (c->person != NULL || c->forged ||
        sg_rules_school_address(rt->rules, c->address))
        return false;
    for (size_t k = 0; k < sender->n_claims; k++)
        if (sender->claims[k].person != NULL)
            return true;
    return false;
}

/* Evaluate for every claim and keep the strongest verdict. */
static int
evaluate_claims(const struct sg_runtime *rt, const struct sg_msgview *view,
                struct sg_sender *sender, const struct sg_party *rcpts,
                size_t n_rcpts, time_t now, bool explain_all,
                struct sg_verdict **verdict_r, const char **error_r)
{
    struct sg_verdict *best = NULL;
    sender->judged = 0;
    sender->school = NULL;
    for (size_t i = 0; i < sender->n_claims; i++) {
        if (claim_superseded(rt, sender, i))
            continue;
        struct sg_party party = sg_sender_party(sender, i);
        /* each claim may make it another school's message (a pupil's
         * address in From: makes it their school's) */
        const struct sg_school *school =
            sg_school_of_message(rt->settings, &party, rcpts, n_rcpts);
        struct sg_verdict *v = NULL;
        if (evaluate(rt, school, view, &party, rcpts, n_rcpts, now,
                     explain_all, &v, error_r) < 0) {
            sg_verdict_free(&best);
            return -1;
        }
        int cmp = best != NULL ? verdict_cmp(v, best) : 1;
        if (cmp > 0 || (cmp == 0 && sender->claims[i].person != NULL &&
                        sender->claims[sender->judged].person == NULL)) {
            /* on a tie, a person says more than nobody */
            sg_verdict_free(&best);
            best = v;
            sender->judged = i;
            sender->school = school;
        } else {
            sg_verdict_free(&v);
        }
    }
    if (best == NULL) { /* no claims at all: cannot happen, fail safe */
        *error_r = "no sender to judge";
        return -1;
    }
    *verdict_r = best;
    return 0;
}

int
sg_judge_eval(const struct sg_runtime *rt, const struct sg_msgview *view,
              struct sg_sender *sender, const struct sg_party *rcpts,
              size_t n_rcpts, time_t now, struct sg_verdict **verdict_r,
              const char **error_r)
{
    return evaluate_claims(rt, view, sender, rcpts, n_rcpts, now, true,
                           verdict_r, error_r);
}

int
sg_judge_eval_mta(const struct sg_runtime *rt, const struct sg_msgview *view,
                  struct sg_sender *sender, const struct sg_party *rcpts,
                  size_t n_rcpts, time_t now, struct sg_verdict **verdict_r,
                  const char **error_r)
{
    return evaluate_claims(rt, view, sender, rcpts, n_rcpts, now, false,
                           verdict_r, error_r);
}

int
sg_judge_eval_rcpt(const struct sg_runtime *rt, const struct sg_school *school,
                   const struct sg_party *sender, const struct sg_party *rcpt,
                   time_t now, struct sg_verdict **verdict_r,
                   const char **error_r)
{
    return evaluate(rt, school, NULL, sender, rcpt, 1, now, false, verdict_r,
                    error_r);
}

void
sg_judge_describe(const struct sg_verdict *v, struct sg_buf *out)
{
    sg_buf_cat(out, "verdict=", sg_action_name(v->action));
    if (v->journal && v->action != SG_ACTION_JOURNAL)
        sg_buf_puts(out, "+journal");
    if (v->n_rules == 0)
        return;
    sg_buf_puts(out, " rules=");
    for (size_t i = 0; i < v->n_rules; i++) {
        const struct sg_rule_match *m = &v->rules[i];
        sg_buf_cat(out, i > 0 ? "," : "", m->id, "(",
                   m->mode == SG_MODE_TEST ? "test:" : "",
                   sg_action_name(m->action), ")");
    }
}
