/*
 * school.c - the schools of a trust (see school.h): their blocks in the
 * configuration file, read by the settings loader over a section of its
 * own, and which school a person, a message and a reviewer belong to.
 *
 * SECURITY: a reviewer named by no school and not the trust's sees
 * nothing once any reviewer is scoped: a login left out of the lists
 * never falls back to seeing every school.  Fails by returning -1 with
 * "FILE:LINE: reason".
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "notice.h"
#include "school.h"
#include "sg_config.h"
#include "sg_error.h"
#include "sg_rules.h"

#define OFF(field) offsetof(struct sg_school, field)

/* The keys a block may set; each is the trust's key of the same name
 * (sg_config.c, notice_settings.c, review_settings.c), with its checks.
 * Keep in step with man/safeguard-milter.conf.5.in (SCHOOLS). */
static const struct sg_conf_entry school_entries[] = {
    {"school_domains", SG_CONF_LIST, OFF(school_domains), OFF(n_school_domains),
     NULL, 0, 0, NULL, NULL},
    {"dsl_addresses", SG_CONF_LIST, OFF(dsl_addresses), OFF(n_dsl_addresses),
     NULL, 0, 0, NULL, sg_config_check_address},
    {"conduct_addresses", SG_CONF_LIST, OFF(conduct_addresses),
     OFF(n_conduct_addresses), NULL, 0, 0, NULL, sg_config_check_address},
    {"headteacher_addresses", SG_CONF_LIST, OFF(headteacher_addresses),
     OFF(n_headteacher_addresses), NULL, 0, 0, NULL, sg_config_check_address},
    {"dsl_contact", SG_CONF_STRING, OFF(dsl_contact), 0, NULL, 0, 0, NULL,
     NULL},
    {"timezone", SG_CONF_STRING, OFF(timezone), 0, NULL, 0, 0, NULL,
     sg_config_check_timezone},
    {"notice_templates", SG_CONF_STRING, OFF(notice_templates), 0, NULL, 0, 0,
     NULL, NULL},
    {"policy_name", SG_CONF_STRING, OFF(policy_name), 0, NULL, 0, 0, NULL,
     NULL},
    {"school_phone_numbers", SG_CONF_CSV, OFF(school_phone_numbers),
     OFF(n_school_phone_numbers), NULL, 0, 0, NULL, NULL},
    {"school_postcodes", SG_CONF_CSV, OFF(school_postcodes),
     OFF(n_school_postcodes), NULL, 0, 0, NULL, NULL},
    {"school_social_accounts", SG_CONF_LIST, OFF(school_social_accounts),
     OFF(n_school_social_accounts), NULL, 0, 0, NULL,
     sg_rules_social_account_check},
    {"subject_tag", SG_CONF_STRING, OFF(subject_tag), 0, NULL, 0, 0, NULL,
     NULL},
    {"review_conduct_reviewers", SG_CONF_LIST, OFF(review_conduct_reviewers),
     OFF(n_review_conduct_reviewers), NULL, 0, 0, NULL, NULL},
    {"review_welfare_reviewers", SG_CONF_LIST, OFF(review_welfare_reviewers),
     OFF(n_review_welfare_reviewers), NULL, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

/* A school names these itself: never the trust's. */
static const char *const not_inherited[] = {"school_domains",
                                            "review_conduct_reviewers",
                                            "review_welfare_reviewers", NULL};

static const struct sg_settings_section school_block_section = {
    .name = "school block",
    .entries = school_entries,
};

static struct sg_school *
current(struct sg_config *cfg)
{
    return cfg->schools[cfg->n_schools - 1];
}

static void
school_free(struct sg_school **sch)
{
    if (*sch == NULL)
        return;
    sg_settings_clear(&(*sch)->file);
    free((*sch)->name);
    free(*sch);
    *sch = NULL;
}

static int
block_open(void *ctx, const char *file, unsigned line, const char *name,
           const char **error_r)
{
    struct sg_config *cfg = ctx;
    const struct sg_school *before = sg_school_find(cfg, name);
    if (before != NULL) {
        *error_r = sg_settings_error(file, line,
                                     "school \"%s\" is given twice (first "
                                     "at line %u)",
                                     name, before->line);
        return -1;
    }
    struct sg_school **grown =
        realloc(cfg->schools, (cfg->n_schools + 1) * sizeof(*grown));
    if (grown == NULL)
        return sg_error_fail(error_r, "out of memory");
    cfg->schools = grown;
    struct sg_school *sch = calloc(1, sizeof(*sch));
    if (sch == NULL || (sch->name = strdup(name)) == NULL) {
        free(sch);
        return sg_error_fail(error_r, "out of memory");
    }
    sch->line = line;
    cfg->schools[cfg->n_schools++] = sch;
    struct sg_settings_part part = {&school_block_section, sch, false, NULL};
    return sg_settings_compose(&sch->file, &part, 1, NULL, error_r);
}

/* A key the trust has but a school cannot set, said as such; otherwise
 * the loader's own words. */
static int
block_set(void *ctx, const char *file, unsigned line, const char *name,
          const char *value, const char **error_r)
{
    struct sg_config *cfg = ctx;
    struct sg_school *sch = current(cfg);
    bool known = false;
    for (const struct sg_conf_entry *e = school_entries; e->name != NULL; e++)
        known = known || strcmp(e->name, name) == 0;
    if (!known) {
        *error_r = sg_settings_error(
            file, line,
            "%s cannot be set in a school block (school \"%s\" at line %u): "
            "a school takes school_domains, dsl_addresses, "
            "conduct_addresses, headteacher_addresses, dsl_contact, "
            "timezone, notice_templates, policy_name, school_phone_numbers, "
            "school_postcodes, school_social_accounts, subject_tag, "
            "review_conduct_reviewers and review_welfare_reviewers",
            name, sch->name, sch->line);
        return -1;
    }
    if (sg_settings_set_once(&sch->file, file, line, name, value, error_r) < 0)
        return -1;
    if (strcmp(name, "school_domains") != 0)
        return 0;
    /* a domain is one school's: a person's school is their domain's */
    for (size_t d = 0; d < sch->n_school_domains; d++)
        for (size_t k = 0; k + 1 < cfg->n_schools; k++)
            if (sg_strv_has(
                    (const char *const *)cfg->schools[k]->school_domains,
                    cfg->schools[k]->n_school_domains,
                    sch->school_domains[d])) {
                *error_r = sg_settings_error(
                    file, line,
                    "school_domains: %s is already school \"%s\"'s (line %u): "
                    "a domain belongs to one school",
                    sch->school_domains[d], cfg->schools[k]->name,
                    sg_settings_line(&cfg->schools[k]->file, "school_domains"));
                return -1;
            }
    return 0;
}

static int
block_close(void *ctx, const char *file, unsigned line, const char **error_r)
{
    struct sg_school *sch = current(ctx);
    if (sch->n_school_domains == 0) {
        *error_r = sg_settings_error(file, line,
                                     "school \"%s\" has no school_domains: a "
                                     "school is known by its mail domains",
                                     sch->name);
        return -1;
    }
    return 0;
}

void
sg_school_block(struct sg_config *cfg, struct sg_settings_block *b_r)
{
    *b_r = (struct sg_settings_block){
        .keyword = "school",
        .open = block_open,
        .set = block_set,
        .close = block_close,
        .ctx = cfg,
    };
}

int
sg_school_finish(struct sg_config *cfg, char *why, size_t why_len)
{
    for (size_t i = 0; i < cfg->n_schools; i++) {
        struct sg_school *sch = cfg->schools[i];
        if (sg_settings_inherit(&sch->file, &cfg->file, not_inherited) < 0)
            goto oom;
        for (size_t d = 0; d < sch->n_school_domains; d++)
            if (!sg_strv_has((const char *const *)cfg->school_domains,
                             cfg->n_school_domains, sch->school_domains[d]) &&
                sg_strv_push(&cfg->school_domains, &cfg->n_school_domains,
                             sch->school_domains[d]) < 0)
                goto oom;
    }
    return 0;
oom:
    snprintf(why, why_len, "out of memory");
    return -1;
}

void
sg_school_free_all(struct sg_config *cfg)
{
    for (size_t i = 0; i < cfg->n_schools; i++)
        school_free(&cfg->schools[i]);
    free(cfg->schools);
    cfg->schools = NULL;
    cfg->n_schools = 0;
}

const struct sg_school *
sg_school_find(const struct sg_config *cfg, const char *name)
{
    for (size_t i = 0; name != NULL && i < cfg->n_schools; i++)
        if (strcmp(cfg->schools[i]->name, name) == 0)
            return cfg->schools[i];
    return NULL;
}

/* Is domain d, or is it under, dom? */
static bool
in_domain(const char *d, const char *dom)
{
    size_t dl = strlen(d), sl = strlen(dom);
    return (dl == sl && strcasecmp(d, dom) == 0) ||
           (dl > sl && d[dl - sl - 1] == '.' &&
            strcasecmp(d + dl - sl, dom) == 0);
}

const struct sg_school *
sg_school_of_address(const struct sg_config *cfg, const char *address)
{
    const char *at = address != NULL ? strrchr(address, '@') : NULL;
    if (at == NULL)
        return NULL;
    for (size_t i = 0; i < cfg->n_schools; i++)
        for (size_t d = 0; d < cfg->schools[i]->n_school_domains; d++)
            if (in_domain(at + 1, cfg->schools[i]->school_domains[d]))
                return cfg->schools[i];
    return NULL;
}

static bool
pupil(const struct sg_party *p)
{
    return p->person != NULL && sg_person_has_role(p->person, SG_ROLE_PUPIL);
}

const struct sg_school *
sg_school_of_message(const struct sg_config *cfg, const struct sg_party *sender,
                     const struct sg_party *rcpts, size_t n_rcpts)
{
    const struct sg_school *s = NULL;
    if (cfg->n_schools == 0)
        return NULL;
    /* the pupil's school: the one that safeguards them */
    if (sender != NULL && pupil(sender) &&
        (s = sg_school_of_address(cfg, sender->address)) != NULL)
        return s;
    for (size_t i = 0; i < n_rcpts; i++)
        if (pupil(&rcpts[i]) &&
            (s = sg_school_of_address(cfg, rcpts[i].address)) != NULL)
            return s;
    if (sender != NULL &&
        (s = sg_school_of_address(cfg, sender->address)) != NULL)
        return s;
    for (size_t i = 0; i < n_rcpts; i++)
        if ((s = sg_school_of_address(cfg, rcpts[i].address)) != NULL)
            return s;
    return NULL;
}

void
sg_school_notice(const struct sg_config *cfg, const struct sg_school *school,
                 struct sg_notice_config *nc_r)
{
    sg_config_notice(cfg, nc_r);
    if (school != NULL)
        sg_school_notice_over(school, nc_r);
}

void
sg_school_notice_over(const struct sg_school *school,
                      struct sg_notice_config *nc_r)
{
    nc_r->templates_dir = school->notice_templates;
    nc_r->dsl_addresses = (const char *const *)school->dsl_addresses;
    nc_r->n_dsl_addresses = school->n_dsl_addresses;
    nc_r->conduct_addresses = (const char *const *)school->conduct_addresses;
    nc_r->n_conduct_addresses = school->n_conduct_addresses;
    nc_r->headteacher_addresses =
        (const char *const *)school->headteacher_addresses;
    nc_r->n_headteacher_addresses = school->n_headteacher_addresses;
}

const char *
sg_school_contact(const struct sg_config *cfg, const struct sg_school *school)
{
    return school != NULL ? school->dsl_contact : cfg->dsl_contact;
}

const char *
sg_school_policy(const struct sg_config *cfg, const struct sg_school *school)
{
    return school != NULL ? school->policy_name : cfg->policy_name;
}

const char *
sg_school_subject_tag(const struct sg_config *cfg,
                      const struct sg_school *school)
{
    return school != NULL ? school->subject_tag : cfg->subject_tag;
}

size_t
sg_school_index(const struct sg_config *cfg, const struct sg_school *school)
{
    for (size_t i = 0; i < cfg->n_schools; i++)
        if (cfg->schools[i] == school)
            return i;
    return cfg->n_schools;
}

bool
sg_school_reviewer(const struct sg_config *cfg, const char *const *trust,
                   size_t n_trust, const char *login,
                   const struct sg_school **school_r, unsigned *tracks_r)
{
    *school_r = NULL;
    *tracks_r = 0;
    bool scoped = n_trust > 0;
    if (sg_login_listed(trust, n_trust, login))
        return true;
    for (size_t i = 0; i < cfg->n_schools; i++) {
        const struct sg_school *s = cfg->schools[i];
        unsigned t = 0;
        if (sg_login_listed((const char *const *)s->review_conduct_reviewers,
                            s->n_review_conduct_reviewers, login))
            t |= 1u << SG_TRACK_STAFF_CONDUCT;
        if (sg_login_listed((const char *const *)s->review_welfare_reviewers,
                            s->n_review_welfare_reviewers, login))
            t |= 1u << SG_TRACK_PUPIL_WELFARE;
        if (t != 0) {
            *school_r = s;
            *tracks_r = t;
            return true;
        }
        scoped = scoped || s->n_review_conduct_reviewers > 0 ||
                 s->n_review_welfare_reviewers > 0;
    }
    /* nobody scoped: every reviewer sees every school, as before */
    return !scoped;
}

void
sg_school_print(const struct sg_config *cfg, const char *prefix, FILE *out)
{
    for (size_t i = 0; i < cfg->n_schools; i++) {
        const struct sg_school *s = cfg->schools[i];
        char domains[512], dsl[512];
        fprintf(
            out, "%sschool %s (line %u): domains %s; DSL %s; contact \"%s\"",
            prefix, s->name, s->line,
            sg_strv_join((const char *const *)s->school_domains,
                         s->n_school_domains, ", ", domains, sizeof(domains)),
            s->n_dsl_addresses > 0
                ? sg_strv_join((const char *const *)s->dsl_addresses,
                               s->n_dsl_addresses, ", ", dsl, sizeof(dsl))
                : "(none)",
            s->dsl_contact != NULL ? s->dsl_contact : "");
        if (s->policy_name != NULL && s->policy_name[0] != '\0')
            fprintf(out, "; policy \"%s\"", s->policy_name);
        fputc('\n', out);
    }
}
