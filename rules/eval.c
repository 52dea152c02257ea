/*
 * eval.c - evaluate a loaded rule set against one message and the people
 * involved, and build the verdict with its explanations.
 *
 * Cost: cheap conditions (sender, recipients, time, attachments) are tested
 * first.  Before any rule is decided, the detectors the message can need
 * are worked out: those of the content conditions (and content exceptions)
 * of every rule whose cheap conditions hold.  Each text of the message is
 * then scanned once for all of them together (detect.c: one Hyperscan pass
 * finds where each may match), and their findings are cached for every
 * rule; a message no content rule applies to is not scanned at all.  A
 * detector asked for that was not in that set (none should be) is scanned
 * then, once.  So a message costs O(size x detectors actually needed),
 * never O(size x rules x patterns).
 *
 * SECURITY: message text is untrusted and only ever matched, copied with
 * caps, and put into explanations as data (never as a format string).  The
 * display-name lookup and the exceptions register are the caller's
 * callbacks; their errors fail the evaluation (the caller's failure action
 * applies), they are never read as "no".
 * Fails by returning -1 with an error string (allocation, match limits,
 * callback errors); a partial verdict is freed.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "explain.h"
#include "normalise.h"

#define MAX_FINDINGS_PER_DETECTOR 50
#define ROLE_BITS_KEPT            8

struct role_bits {
    const struct sg_person *p;
    uint64_t bits;
};

struct detcache {
    bool done;
    struct sg_finding *f;
    size_t n;
    unsigned char *scope; /* per finding: SC_* bit */
};

struct ctx {
    const struct sg_rules *rules;
    const struct sg_eval_input *in;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    struct detect_scan *scan; /* scratch space and candidates */
    struct detcache *cache;
    /* one scan's detectors (scan_texts): their sinks, and how many
     * findings each had before it */
    struct detect_sink *sinks;
    size_t *before;
    /* the detectors scan_wanted finds wanted, and those it scans for */
    bool *want;
    size_t *dets;
    /* per rule: scan_wanted found a cheap condition false, so the rule
     * does not match (rule_eval would stop at the same condition) */
    bool *cheap_false;
    /* the view's texts normalised, each once per evaluation: the subject,
     * the header values, the text parts, the attachment names, the
     * display names (norm_done says which) */
    struct sg_norm *norm;
    bool *norm_done;
    size_t n_norm;
    int dn_state; /* 0 not asked, 1 found, 2 none */
    const struct sg_person *dn_person;
    bool tm_done;
    struct tm tm;
    struct detect_personal personal; /* personal-email's registered ones */
    struct detect_lookup lookup;     /* pupil-roster's pupil lookups */
    struct role_bits role_bits[ROLE_BITS_KEPT]; /* person_role_bits */
    size_t n_role_bits;
};

static int
flist_add(struct flist *l, const char *det, const char *text,
          const char *where)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->f[i].detector, det) == 0 &&
            strcmp(l->f[i].text, text) == 0)
            return 0;
    struct sg_finding *g = realloc(l->f, (l->n + 1) * sizeof(*g));
    if (g == NULL)
        return -1;
    l->f = g;
    g[l->n].detector = strdup(det);
    g[l->n].text = strdup(text);
    g[l->n].where = strdup(where);
    l->n++;
    if (!g[l->n - 1].detector || !g[l->n - 1].text || !g[l->n - 1].where)
        return -1;
    return 0;
}

/* ------------------------------------------------------------ parties */
/* Person p's roles as bits of the rule set's role_names (struct
 * partyset), worked out once an evaluation for each of the first few
 * people asked about (the sender, the recipients, a display name's). */
static uint64_t
person_role_bits(struct ctx *c, const struct sg_person *p)
{
    for (size_t i = 0; i < c->n_role_bits; i++)
        if (c->role_bits[i].p == p)
            return c->role_bits[i].bits;
    const struct strv *names = &c->rules->role_names;
    uint64_t bits = 0;
    for (size_t i = 0; i < p->n_roles; i++) {
        size_t bit = sg_rules_strv_index_ci(names, p->roles[i]);
        if (bit < 64)
            bits |= UINT64_C(1) << bit;
    }
    if (c->n_role_bits < ROLE_BITS_KEPT)
        c->role_bits[c->n_role_bits++] = (struct role_bits){p, bits};
    return bits;
}

static bool
roles_match(struct ctx *c, const struct sg_person *p,
            const struct partyset *set)
{
    if (set->anyone)
        return true;
    if (p == NULL)
        return set->nobody_known;
    if (!set->role_names_full)
        return (person_role_bits(c, p) & set->role_bits) != 0;
    for (size_t i = 0; i < set->roles.n; i++)
        if (sg_person_has_role(p, set->roles.v[i]))
            return true;
    return false;
}

static bool
addrs_match(const char *addr, const struct strv *pats)
{
    if (addr == NULL)
        return false;
    for (size_t i = 0; i < pats->n; i++)
        if (fnmatch(pats->v[i], addr, FNM_CASEFOLD) == 0)
            return true;
    return false;
}

static int
display_name_person(struct ctx *c, const struct sg_person **p_r)
{
    if (c->dn_state == 0) {
        c->dn_state = 2;
        const struct sg_msgview *v = c->in->view;
        if (v != NULL && v->from_name != NULL && v->from_name[0] != '\0' &&
            c->in->name_lookup != NULL) {
            const struct sg_person *p = NULL;
            int r = c->in->name_lookup(c->in->name_lookup_ctx, v->from_name,
                                       &p);
            if (r < 0) {
                sg_rules_errorf("display-name lookup failed for \"%s\"",
                                v->from_name);
                return -1;
            }
            if (r == 1 && p != NULL) {
                c->dn_state = 1;
                c->dn_person = p;
            }
        }
    }
    *p_r = c->dn_state == 1 ? c->dn_person : NULL;
    return 0;
}

/* 1 match, 0 no, -1 error. */
static int
party_match(struct ctx *c, const struct partyset *set,
            const struct sg_party *party, bool sender)
{
    unsigned ch = set->channels ? set->channels
                                : (CH_SCHOOL | CH_PERSONAL | CH_EXTERNAL);
    const struct sg_person *p = party->person;
    unsigned pch;
    if (p != NULL && party->channel == SG_CHANNEL_SCHOOL)
        pch = CH_SCHOOL;
    else if (p != NULL && party->channel == SG_CHANNEL_PERSONAL)
        pch = CH_PERSONAL;
    else {
        pch = CH_EXTERNAL;
        p = NULL;
    }
    /* outside: no one in the directory (roles_match), or anyone's
     * registered personal address, the sender's own included. */
    if ((pch & ch) &&
        (roles_match(c, p, set) || addrs_match(party->address, &set->addrs) ||
         (pch == CH_PERSONAL && set->outside)))
        return 1;
    if (pch != CH_EXTERNAL || !sender)
        return 0;
    if ((ch & CH_SPOOFED) &&
        sg_rules_school_address(c->rules, party->address) &&
        (roles_match(c, NULL, set) || addrs_match(party->address, &set->addrs)))
        return 1;
    if (ch & CH_DISPLAY_NAME) {
        const struct sg_person *dp;
        if (display_name_person(c, &dp) < 0)
            return -1;
        if (dp != NULL && roles_match(c, dp, set))
            return 1;
    }
    return 0;
}

static bool
is_sender_self(const struct sg_eval_input *in, const struct sg_party *r)
{
    if (in->sender.address && r->address &&
        strcasecmp(in->sender.address, r->address) == 0)
        return true;
    if (in->sender.person && r->person &&
        (in->sender.person == r->person ||
         (in->sender.person->address && r->person->address &&
          strcasecmp(in->sender.person->address, r->person->address) == 0)))
        return true;
    return false;
}

/* ------------------------------------------------------------ content */
/* Run one text past a scan group (detectors that share a pattern), caching
 * each one's findings with their scope. */
/* Text number k of the view (see struct ctx), normalised; NULL and an
 * error on failure. */
static const struct sg_norm *
normalised(struct ctx *c, size_t k, const char *text, size_t len)
{
    if (c->norm == NULL) {
        const struct sg_msgview *v = c->in->view;
        c->n_norm = 2 + v->n_headers + v->n_texts + v->n_attachments;
        /* one block: the texts, then which are done */
        c->norm =
            calloc(1, c->n_norm * (sizeof(*c->norm) + sizeof(*c->norm_done)));
        if (c->norm == NULL) {
            sg_rules_errorf("out of memory");
            return NULL;
        }
        c->norm_done = (bool *)(c->norm + c->n_norm);
    }
    if (!c->norm_done[k]) {
        if (sg_normalise(text, len, &c->norm[k]) < 0) {
            sg_rules_errorf("out of memory normalising the message text");
            return NULL;
        }
        c->norm_done[k] = true;
    }
    return &c->norm[k];
}

static void
normalised_free(struct ctx *c)
{
    for (size_t k = 0; c->norm != NULL && k < c->n_norm; k++)
        if (c->norm_done[k])
            sg_norm_free(&c->norm[k]);
    free(c->norm);
}

/* Run one text past the detectors dets[0..n) (scan groups next to each
 * other, scan_group), caching each one's findings with their scope. */
static int
scan_text(struct ctx *c, const size_t *dets, size_t n, size_t k,
          const char *text, size_t len, const char *where,
          unsigned char scope)
{
    for (size_t i = 0; i < n; i++) {
        struct detcache *dc = &c->cache[dets[i]];
        c->before[i] = dc->n;
        c->sinks[i] = (struct detect_sink){&c->rules->detectors[dets[i]],
                                           &dc->f, &dc->n,
                                           MAX_FINDINGS_PER_DETECTOR,
                                           &c->personal, &c->lookup};
    }
    /* the match data and scratch space of the first scan serve them all */
    if ((c->md == NULL &&
         (c->md = pcre2_match_data_create(16, NULL)) == NULL) ||
        (c->mctx == NULL &&
         (c->mctx = pcre2_match_context_copy(c->rules->mctx)) == NULL)) {
        sg_rules_errorf("out of memory");
        return -1;
    }
    if (c->scan == NULL && sg_detect_scan_new(c->rules, &c->scan) < 0)
        return -1;
    const struct sg_norm *nt = normalised(c, k, text, len);
    if (nt == NULL ||
        sg_detect_scan_normalised(c->rules, c->scan, nt, where, c->in->now,
                                  c->md, c->mctx, c->sinks, n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct detcache *dc = &c->cache[dets[i]];
        if (dc->n == c->before[i])
            continue;
        unsigned char *g = realloc(dc->scope, dc->n);
        if (g == NULL) {
            sg_rules_errorf("out of memory");
            return -1;
        }
        dc->scope = g;
        memset(g + c->before[i], scope, dc->n - c->before[i]);
    }
    return 0;
}

/* Detector di and the detectors with the same pattern that have not run
 * yet (uk-mobile and uk-landline): one scan serves them all. */
static size_t
scan_group(struct ctx *c, size_t di, size_t *group)
{
    const struct detector *ds = c->rules->detectors;
    size_t root = ds[di].same_pattern_as > 0 ? ds[di].same_pattern_as - 1
                                             : di;
    size_t n = 0;
    group[n++] = di;
    c->cache[di].done = true;
    for (size_t k = 0; k < c->rules->n_detectors && n < DETECT_SCAN_MAX;
         k++)
        if (k != di && !c->cache[k].done &&
            (k == root || ds[k].same_pattern_as == root + 1)) {
            group[n++] = k;
            c->cache[k].done = true;
        }
    return n;
}

static bool
addr_is(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

/* Is addr one of the sender's: the envelope or From: address, or an
 * address of the person the sender was judged to be? */
static bool
addr_is_senders(const struct ctx *c, const char *addr)
{
    const struct sg_msgview *v = c->in->view;
    const struct sg_person *p = c->in->sender.person;
    if (addr_is(addr, c->in->sender.address) || addr_is(addr, v->env_from) ||
        addr_is(addr, v->from_addr))
        return true;
    if (p == NULL)
        return false;
    if (addr_is(addr, p->address))
        return true;
    for (size_t i = 0; i < p->n_aliases; i++)
        if (addr_is(addr, p->aliases[i]))
            return true;
    for (size_t i = 0; i < p->n_personal; i++)
        if (addr_is(addr, p->personal[i]))
            return true;
    return false;
}

/* Is t text quoted from someone other than the sender?  Only when its
 * quote header names someone else: text quoted under no header, or under
 * the sender's own name or address, is the sender's. */
static bool
quoted_from_other(const struct ctx *c, const struct sg_text_part *t)
{
    if (t->place != SG_PLACE_QUOTED)
        return false;
    if (t->quote_addr != NULL)
        return !addr_is_senders(c, t->quote_addr);
    if (t->quote_author == NULL)
        return false;
    const struct sg_person *p = c->in->sender.person;
    return !addr_is(t->quote_author, c->in->view->from_name) &&
           !(p != NULL && addr_is(t->quote_author, p->display_name));
}

/* Scan every text of the view once for the detectors group[0..n) (scan
 * groups next to each other), in the order findings are kept. */
static int
scan_texts(struct ctx *c, const size_t *group, size_t n)
{
    const struct sg_msgview *v = c->in->view;
    if (v == NULL || n == 0)
        return 0;
    if (v->subject != NULL &&
        scan_text(c, group, n, 0, v->subject, strlen(v->subject), "subject",
                  SC_SUBJECT) < 0)
        return -1;
    /* Reply-To: a school account asking for answers at a personal
     * address is a wrong channel (each copy of the header) */
    for (size_t i = 0; i < v->n_headers; i++) {
        const struct sg_header *h = &v->headers[i];
        if (h->name != NULL && h->value != NULL &&
            strcasecmp(h->name, "Reply-To") == 0 &&
            scan_text(c, group, n, 1 + i, h->value, strlen(h->value),
                      "Reply-To header", SC_REPLY_TO) < 0)
            return -1;
    }
    size_t names_k = 1 + v->n_headers + v->n_texts + v->n_attachments;
    if (v->display_names != NULL && v->display_names[0] != '\0' &&
        scan_text(c, group, n, names_k, v->display_names,
                  strlen(v->display_names), "sender's display name",
                  SC_NAMES) < 0)
        return -1;
    /* the sender's own words first, then what they quote from others:
     * a finding is kept once (the first place it is seen) and a detector
     * keeps a bounded number, so quoted text must not crowd out or stand
     * in for the sender's own */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < v->n_texts; i++) {
            const struct sg_text_part *t = &v->texts[i];
            bool other = quoted_from_other(c, t);
            if (t->text == NULL || other != (pass == 1))
                continue;
            unsigned char scope = (t->is_attachment ? SC_ATTACHMENTS
                                                    : SC_BODY) |
                                  (other ? SC_QUOTED_OTHER : 0);
            if (scan_text(c, group, n, 1 + v->n_headers + i, t->text,
                          t->len, t->label ? t->label : "body", scope) < 0)
                return -1;
        }
    for (size_t i = 0; i < v->n_attachments; i++) {
        const char *fn = v->attachments[i].filename;
        if (fn != NULL &&
            scan_text(c, group, n, 1 + v->n_headers + v->n_texts + i, fn,
                      strlen(fn), "attachment name", SC_FILENAMES) < 0)
            return -1;
    }
    return 0;
}

/* Detector di's findings, scanning for it (and the detectors sharing its
 * pattern) if no scan has yet. */
static int
scan(struct ctx *c, size_t di)
{
    if (c->cache[di].done)
        return 0;
    size_t group[DETECT_SCAN_MAX];
    size_t n = scan_group(c, di, group);
    return scan_texts(c, group, n);
}

/* Does a finding of scope (scope_bits) count for the condition? */
static bool
counts(const struct cond *cd, unsigned char scope)
{
    return (scope & cd->scope & SC_ALL) != 0 &&
           !(cd->not_quoted && (scope & SC_QUOTED_OTHER) != 0);
}

static int
cond_content(struct ctx *c, const struct cond *cd, struct flist *out)
{
    bool any = false;
    for (size_t i = 0; i < cd->n_items; i++) {
        size_t di = cd->items[i].det;
        if (scan(c, di) < 0)
            return -1;
        const struct detcache *dc = &c->cache[di];
        unsigned cnt = 0;
        for (size_t k = 0; k < dc->n; k++)
            if (counts(cd, dc->scope[k]))
                cnt++;
        if (cnt < cd->items[i].min)
            continue;
        any = true;
        for (size_t k = 0; k < dc->n; k++)
            if (counts(cd, dc->scope[k]) &&
                flist_add(out, dc->f[k].detector, dc->f[k].text,
                          dc->f[k].where) < 0) {
                sg_rules_errorf("out of memory");
                return -1;
            }
    }
    return any;
}

/* The attachment condition's qualifiers (IMG_* bits) that hold for a:
 * inline when an HTML part shows it through a cid: link; photo when its
 * EXIF names a camera or when it was taken; small when its pixel size is
 * known and within the school's small-image bounds (pixels and bytes) and
 * it is no photo.  An image whose size is not known is never small. */
static unsigned
image_bits(const struct sg_rules *r, const struct sg_attachment *a)
{
    unsigned bits = 0;
    if (a->inline_ref)
        bits |= IMG_INLINE;
    if (a->camera)
        bits |= IMG_PHOTO;
    else if (a->width > 0 && a->height > 0 &&
             (unsigned long long)a->width * a->height <=
                 r->image_small_pixels &&
             a->size <= r->image_small_bytes)
        bits |= IMG_SMALL;
    return bits;
}

/* ", 1600x1200 pixels, camera photograph, shown in the message" */
static void
image_facts(const struct sg_attachment *a, unsigned bits, char *buf,
            size_t size)
{
    char dims[48] = ", size not known";
    if (a->width > 0)
        snprintf(dims, sizeof(dims), ", %ux%u pixels", a->width, a->height);
    snprintf(buf, size, "%s%s%s", dims,
             (bits & IMG_PHOTO) ? ", camera photograph" : "",
             (bits & IMG_INLINE) ? ", shown in the message" : "");
}

static bool
attachment_type_matches(const struct cond *cd, const struct sg_attachment *a)
{
    for (size_t k = 0; k < cd->types.n; k++)
        if ((a->content_type &&
             fnmatch(cd->types.v[k], a->content_type, FNM_CASEFOLD) == 0) ||
            (a->image_type &&
             fnmatch(cd->types.v[k], a->image_type, FNM_CASEFOLD) == 0))
            return true;
    const char *dot = a->filename ? strrchr(a->filename, '.') : NULL;
    for (size_t k = 0; k < cd->exts.n && dot; k++)
        if (strcasecmp(dot + 1, cd->exts.v[k]) == 0)
            return true;
    return false;
}

static int
cond_attachment(struct ctx *c, const struct cond *cd, struct flist *out)
{
    const struct sg_msgview *v = c->in->view;
    if (v == NULL)
        return 0;
    bool any = false;
    for (size_t i = 0; i < v->n_attachments; i++) {
        const struct sg_attachment *a = &v->attachments[i];
        if (!attachment_type_matches(cd, a))
            continue;
        unsigned bits = image_bits(c->rules, a);
        if ((bits & cd->img_is) != cd->img_is || (bits & cd->img_not) != 0)
            continue;
        any = true;
        char where[300], facts[96] = "";
        if ((cd->img_is | cd->img_not) != 0) /* say why it counted */
            image_facts(a, bits, facts, sizeof(facts));
        snprintf(where, sizeof(where), "attachment (%s%s)",
                 a->content_type ? a->content_type : "unknown type", facts);
        if (flist_add(out, "attachment",
                      a->filename ? a->filename
                                  : (a->content_type ? a->content_type : "?"),
                      where) < 0) {
            sg_rules_errorf("out of memory");
            return -1;
        }
    }
    return any;
}

/* inspection incomplete: one finding per bound the message went past. */
static int
cond_incomplete(struct ctx *c, struct flist *out)
{
    const struct sg_msgview *v = c->in->view;
    if (v == NULL || v->incomplete == 0)
        return 0;
    for (unsigned bit = 1; bit <= SG_INCOMPLETE_ALL; bit <<= 1) {
        const char *what = sg_msgview_incomplete_describe(bit);
        if ((v->incomplete & bit) != 0 && what != NULL &&
            flist_add(out, "inspection", what, "message") < 0) {
            sg_rules_errorf("out of memory");
            return -1;
        }
    }
    return 1;
}

static const struct tm *
local_tm(struct ctx *c)
{
    if (!c->tm_done) {
        sg_tz_local(c->rules->tz, c->in->now, &c->tm);
        c->tm_done = true;
    }
    return &c->tm;
}

static bool
cond_time(struct ctx *c, const struct cond *cd)
{
    const struct tm *tm = local_tm(c);
    int m = tm->tm_hour * 60 + tm->tm_min;
    for (size_t i = 0; i < cd->n_times; i++) {
        const struct timeitem *t = &cd->times[i];
        bool in = m >= t->from_min && m < t->to_min;
        switch (t->kind) {
        case T_BETWEEN:
            if (in)
                return true;
            break;
        case T_OUTSIDE:
            if (!in)
                return true;
            break;
        case T_DAYS:
            if (t->days & (1u << tm->tm_wday))
                return true;
            break;
        }
    }
    return false;
}

static bool
cmp_ok(enum cmp op, size_t a, size_t b)
{
    switch (op) {
    case CMP_EQ:
        return a == b;
    case CMP_NE:
        return a != b;
    case CMP_LT:
        return a < b;
    case CMP_LE:
        return a <= b;
    case CMP_GT:
        return a > b;
    case CMP_GE:
        return a >= b;
    }
    return false;
}

/* recipients [PARTIES] OP N: every envelope recipient (Bcc included:
 * they are envelope recipients), or those that match the parties, not
 * counting the sender's own addresses (as 'to none').  1, 0, -1. */
static int
recipients_count(struct ctx *c, const struct cond *cd)
{
    const struct sg_eval_input *in = c->in;
    if (cd->to.set.roles.n == 0 && cd->to.set.addrs.n == 0)
        return cmp_ok(cd->cmp, in->n_rcpts, cd->count);
    size_t n = 0;
    for (size_t i = 0; i < in->n_rcpts; i++) {
        if (is_sender_self(in, &in->rcpts[i]))
            continue;
        int m = party_match(c, &cd->to.set, &in->rcpts[i], false);
        if (m < 0)
            return -1;
        n += (size_t)m;
    }
    return cmp_ok(cd->cmp, n, cd->count);
}

/* Evaluate one condition; targets (may be NULL) narrows for 'to any'.
 * 1 true, 0 false, -1 error. */
static int
cond_eval(struct ctx *c, const struct cond *cd, bool *targets,
          struct flist *out)
{
    const struct sg_eval_input *in = c->in;
    switch (cd->kind) {
    case C_FROM:
        return party_match(c, &cd->from, &in->sender, true);
    case C_TO: {
        size_t hits = 0, considered = 0;
        for (size_t i = 0; i < in->n_rcpts; i++) {
            if (cd->to.q == Q_NONE && is_sender_self(in, &in->rcpts[i]))
                continue;
            considered++;
            int m = party_match(c, &cd->to.set, &in->rcpts[i], false);
            if (m < 0)
                return -1;
            if (m)
                hits++;
            if (targets && cd->to.q == Q_ANY && !m)
                targets[i] = false;
        }
        switch (cd->to.q) {
        case Q_ANY:
            return hits > 0;
        case Q_ALL:
            return considered > 0 && hits == considered;
        case Q_NONE:
            return hits == 0;
        }
        return 0;
    }
    case C_RECIPIENTS:
        return recipients_count(c, cd);
    case C_CONTENT:
        return cond_content(c, cd, out);
    case C_ATTACHMENT:
        return cond_attachment(c, cd, out);
    case C_TIME:
        return cond_time(c, cd);
    case C_INCOMPLETE:
        return cond_incomplete(c, out);
    case C_REGISTER:
        return 0; /* handled by the caller */
    }
    return 0;
}

static int
cond_cost(const struct cond *cd)
{
    return cd->kind == C_CONTENT ? 2 : cd->kind == C_ATTACHMENT ? 1 : 0;
}

/* 1 matched (targets and findings filled), 0 not, -1 error. */
static int
rule_eval(struct ctx *c, const struct rule *r, bool *targets,
          struct flist *out)
{
    const struct sg_eval_input *in = c->in;
    for (size_t i = 0; i < in->n_rcpts; i++)
        targets[i] = true;
    /* Cheap conditions first, content last. */
    for (int cost = 0; cost <= 2; cost++)
        for (size_t i = 0; i < r->n_conds; i++) {
            if (cond_cost(&r->conds[i]) != cost)
                continue;
            int m = cond_eval(c, &r->conds[i], targets, out);
            if (m <= 0)
                return m;
        }
    bool has_register = false;
    for (size_t i = 0; i < r->n_excepts; i++) {
        const struct cond *e = &r->excepts[i];
        if (e->kind == C_REGISTER) {
            has_register = true;
            if (in->in_register == NULL)
                continue;
            for (size_t k = 0; k < in->n_rcpts; k++) {
                if (!targets[k])
                    continue;
                int x = in->in_register(in->register_ctx, e->reg_name,
                                        &in->sender, &in->rcpts[k], in->now);
                if (x < 0) {
                    sg_rules_errorf("exceptions register lookup failed "
                                    "(%s)",
                                    e->reg_name);
                    return -1;
                }
                if (x == 1)
                    targets[k] = false;
            }
            continue;
        }
        struct flist scratch = {NULL, 0};
        int m = cond_eval(c, e, NULL, &scratch);
        sg_findings_free(&scratch.f, &scratch.n);
        if (m < 0)
            return -1;
        if (m)
            return 0;
    }
    if (has_register && in->n_rcpts > 0) {
        bool left = false;
        for (size_t k = 0; k < in->n_rcpts; k++)
            if (targets[k])
                left = true;
        if (!left)
            return 0;
    }
    return 1;
}

/* Do rule r's cheap conditions (cost 0 and 1: parties, time,
 * attachments) hold?  1, 0, -1.  Only the answer is kept (cheap_false):
 * a rule they hold for is evaluated again in full (its findings, its
 * recipients); one they fail is not tried again. */
static int
cheap_conds_hold(struct ctx *c, const struct rule *r, bool *targets)
{
    for (size_t i = 0; i < c->in->n_rcpts; i++)
        targets[i] = true;
    for (int cost = 0; cost <= 1; cost++)
        for (size_t i = 0; i < r->n_conds; i++) {
            if (cond_cost(&r->conds[i]) != cost)
                continue;
            struct flist scratch = {NULL, 0};
            int m = cond_eval(c, &r->conds[i], targets, &scratch);
            sg_findings_free(&scratch.f, &scratch.n);
            if (m <= 0)
                return m;
        }
    return 1;
}

/* Scan the view's texts once for every detector a rule can ask for: the
 * content conditions and content exceptions of each rule (that the
 * evaluation looks at) whose cheap conditions hold.  None: nothing is
 * normalised or scanned.  0 or -1. */
static int
scan_wanted(struct ctx *c, bool rcpt_only, bool *targets)
{
    const struct sg_rules *rules = c->rules;
    bool *want = c->want;
    size_t *dets = c->dets;
    for (size_t i = 0; i < rules->n_rules; i++) {
        const struct rule *r = &rules->rules[i];
        if ((rcpt_only && !r->rcpt_decidable) ||
            (c->in->view == NULL && r->needs_view))
            continue;
        int m = cheap_conds_hold(c, r, targets);
        if (m < 0)
            return -1;
        c->cheap_false[i] = m == 0;
        for (size_t k = 0; m == 1 && k < r->n_conds; k++)
            sg_detect_want_content(&r->conds[k], want);
        for (size_t k = 0; m == 1 && k < r->n_excepts; k++)
            sg_detect_want_content(&r->excepts[k], want);
    }
    size_t n = 0;
    for (size_t di = 0; di < rules->n_detectors; di++)
        if (want[di] && !c->cache[di].done)
            n += scan_group(c, di, dets + n);
    return scan_texts(c, dets, n);
}

/* ------------------------------------------------------------ verdict */
static void
match_clear(struct sg_rule_match *m)
{
    free(m->id); /* and title, policy, source, category (match_names) */
    sg_strv_free(&m->notify, &m->n_notify);
    sg_strv_free(&m->recipients, &m->n_recipients);
    sg_findings_free(&m->findings, &m->n_findings);
    free(m->explain_sender);
    free(m->explain_dsl);
}

void
sg_verdict_free(struct sg_verdict **vp)
{
    struct sg_verdict *v = *vp;
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->n_rules; i++)
        match_clear(&v->rules[i]);
    free(v->rules);
    free(v);
    *vp = NULL;
}

/* The match's id, title, policy, source and category (NULL: "") copied
 * into one allocation, m->id's; 0 or -1. */
static int
match_names(struct sg_rule_match *m, const struct rule *r)
{
    const char *src[5] = {r->id, r->title ? r->title : r->id, r->policy,
                          r->source, r->category};
    char **dst[5] = {&m->id, &m->title, &m->policy, &m->source, &m->category};
    size_t len[5], total = 0;
    for (size_t i = 0; i < 5; i++) {
        len[i] = strlen(src[i] ? src[i] : "") + 1;
        total += len[i];
    }
    char *block = malloc(total);
    if (block == NULL)
        return -1;
    for (size_t i = 0; i < 5; i++) {
        *dst[i] = memcpy(block, src[i] ? src[i] : "", len[i]);
        block += len[i];
    }
    return 0;
}

/* The rule and recipients of each match, for rendering its explanations
 * once the verdict is known (parallel to the verdict's rules). */
struct matched {
    const struct rule **rules;
    bool *targets; /* n_rcpts per match */
};

static int
add_match(struct ctx *c, struct sg_verdict *v, struct matched *mt,
          const struct rule *r, const bool *targets, struct flist *fl)
{
    size_t nt = c->in->n_rcpts;
    const struct rule **gr =
        realloc(mt->rules, (v->n_rules + 1) * sizeof(*gr));
    if (gr == NULL)
        return -1;
    mt->rules = gr;
    gr[v->n_rules] = r;
    if (nt > 0) {
        bool *gt = realloc(mt->targets, (v->n_rules + 1) * nt * sizeof(*gt));
        if (gt == NULL)
            return -1;
        mt->targets = gt;
        memcpy(gt + v->n_rules * nt, targets, nt * sizeof(*gt));
    }
    struct sg_rule_match *g = realloc(v->rules, (v->n_rules + 1) * sizeof(*g));
    if (g == NULL)
        return -1;
    v->rules = g;
    struct sg_rule_match *m = &g[v->n_rules++];
    memset(m, 0, sizeof(*m));
    m->mode = r->mode >= 0 ? (enum sg_mode)r->mode : c->rules->mode;
    m->action = r->action;
    m->track = r->track;
    m->retention = r->retention;
    m->has_retention = r->has_retention;
    if (match_names(m, r) < 0)
        return -1;
    for (size_t i = 0; i < r->notify.n; i++)
        if (sg_strv_push(&m->notify, &m->n_notify, r->notify.v[i]) < 0)
            return -1;
    for (size_t i = 0; i < c->in->n_rcpts; i++)
        if (targets[i] && c->in->rcpts[i].address &&
            sg_strv_push(&m->recipients, &m->n_recipients,
                         c->in->rcpts[i].address) < 0)
            return -1;
    m->findings = fl->f;
    m->n_findings = fl->n;
    fl->f = NULL;
    fl->n = 0;
    if (m->mode == SG_MODE_ENFORCE) {
        if (r->action > v->action)
            v->action = r->action;
        if (r->action == SG_ACTION_JOURNAL)
            v->journal = true;
        if (r->action == SG_ACTION_ANNOTATE)
            v->annotate = true;
    } else {
        v->annotate = true;
    }
    if (r->action > v->would_action)
        v->would_action = r->action;
    return 0;
}

/* Render every match's texts for the sender and the DSL. */
static int
explain(struct ctx *c, struct sg_verdict *v, const struct matched *mt)
{
    if (v->n_rules == 0)
        return 0;
    const struct sg_explain_input x = {c->rules, c->in};
    for (size_t i = 0; i < v->n_rules; i++)
        if (sg_explain_match(&x, mt->rules[i], mt->targets + i * c->in->n_rcpts,
                             &v->rules[i]) < 0)
            return -1;
    return 0;
}

static int
evaluate(const struct sg_rules *rules, const struct sg_eval_input *in,
         bool rcpt_only, struct sg_verdict **verdict_r, const char **error_r)
{
    struct ctx c;
    memset(&c, 0, sizeof(c));
    c.rules = rules;
    c.in = in;
    if (in->sender.person != NULL) {
        c.personal.own = in->sender.person->personal;
        c.personal.n_own = in->sender.person->n_personal;
    }
    c.personal.lookup = in->personal_lookup;
    c.personal.ctx = in->personal_lookup_ctx;
    c.lookup.fn = in->pupil_lookup;
    c.lookup.ctx = in->pupil_lookup_ctx;
    struct sg_verdict *v = calloc(1, sizeof(*v));
    /* the per-detector, per-rule and per-recipient arrays in one block,
     * in this order (each part's alignment a multiple of the next one's) */
    size_t nd = rules->n_detectors + 1, nr = rules->n_rules + 1,
           nt = in->n_rcpts + 1;
    c.cache =
        calloc(1, nd * (sizeof(*c.cache) + sizeof(*c.sinks) +
                        sizeof(*c.before) + sizeof(*c.dets) + sizeof(*c.want)) +
                      (nr + nt) * sizeof(bool));
    bool *targets = NULL;
    if (c.cache != NULL) {
        c.sinks = (struct detect_sink *)(c.cache + nd);
        c.before = (size_t *)(c.sinks + nd);
        c.dets = c.before + nd;
        c.want = (bool *)(c.dets + nd);
        c.cheap_false = c.want + nd;
        targets = c.cheap_false + nr;
    }
    int rc = -1;
    struct flist fl = {NULL, 0};
    struct matched mt = {NULL, NULL};
    if (!v || !c.cache) {
        sg_rules_errorf("out of memory");
        goto out;
    }
    /* the rcpt-time evaluation has no view: nothing to scan */
    if (!rcpt_only && in->view != NULL &&
        scan_wanted(&c, rcpt_only, targets) < 0)
        goto out;
    for (size_t i = 0; i < rules->n_rules; i++) {
        const struct rule *r = &rules->rules[i];
        if (rcpt_only && !r->rcpt_decidable)
            continue;
        if ((in->view == NULL && r->needs_view) || c.cheap_false[i])
            continue;
        int m = rule_eval(&c, r, targets, &fl);
        if (m < 0)
            goto out;
        if (m == 1 && add_match(&c, v, &mt, r, targets, &fl) < 0) {
            sg_rules_errorf("out of memory");
            goto out;
        }
        sg_findings_free(&fl.f, &fl.n);
    }
    if ((!in->explain_if_held_or_rejected || v->action >= SG_ACTION_HOLD) &&
        explain(&c, v, &mt) < 0) {
        sg_rules_errorf("out of memory");
        goto out;
    }
    rc = 0;
out:
    free(mt.rules);
    free(mt.targets);
    sg_findings_free(&fl.f, &fl.n);
    if (c.cache)
        for (size_t i = 0; i < rules->n_detectors; i++) {
            sg_findings_free(&c.cache[i].f, &c.cache[i].n);
            free(c.cache[i].scope);
        }
    free(c.cache);
    sg_detect_scan_free(&c.scan);
    normalised_free(&c);
    sg_detect_personal_clear(&c.personal);
    sg_detect_lookup_clear(&c.lookup);
    pcre2_match_data_free(c.md);
    pcre2_match_context_free(c.mctx);
    if (rc < 0) {
        sg_verdict_free(&v);
        *error_r = sg_rules_lasterror();
        return -1;
    }
    *verdict_r = v;
    return 0;
}

int
sg_rules_eval(const struct sg_rules *rules, const struct sg_eval_input *in,
              struct sg_verdict **verdict_r, const char **error_r)
{
    if (in->view == NULL) {
        *error_r = sg_rules_errorf("no message view to evaluate");
        return -1;
    }
    return evaluate(rules, in, false, verdict_r, error_r);
}

int
sg_rules_eval_rcpt(const struct sg_rules *rules,
                   const struct sg_eval_input *in,
                   struct sg_verdict **verdict_r, const char **error_r)
{
    if (in->n_rcpts != 1) {
        *error_r = sg_rules_errorf("RCPT-time evaluation takes exactly one "
                                   "recipient");
        return -1;
    }
    return evaluate(rules, in, true, verdict_r, error_r);
}
