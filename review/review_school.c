/*
 * review_school.c - the schools of a trust in the review tool: which
 * school a reviewer sees (core/school.h decides; here it becomes the
 * actor's scope, which sg_review_get and sg_review_list enforce).
 *
 * SECURITY: on the page a login no list names sees nothing once any
 * reviewer is scoped; another school's record is answered as one that
 * does not exist, so an id gives away nothing.
 */
#include "config.h"

#include <string.h>

#include "notice.h"
#include "review_int.h"
#include "review_settings.h"
#include "school.h"
#include "sg_config.h"

void
sg_review_school_scope(const struct sg_config *cfg, const char *const *trust,
                       size_t n_trust, const char *login, bool web,
                       struct sg_review_actor *actor)
{
    const struct sg_school *school = NULL;
    unsigned tracks = 0;
    if (cfg == NULL || cfg->n_schools == 0)
        return;
    if (!sg_school_reviewer(cfg, trust, n_trust, login, &school, &tracks)) {
        if (web)
            actor->tracks = SG_REVIEW_TRACKS_NONE;
        return;
    }
    if (school == NULL)
        return; /* every school: the tracks' lists as before */
    actor->school = school->name;
    actor->tracks = tracks;
}

void
sg_review_cli_scope(const struct sg_config *cfg, const char *login,
                    struct sg_review_actor *actor)
{
    const struct sg_review_page *rv = sg_review_page_get(cfg);
    actor->school = NULL;
    actor->tracks = 0;
    sg_review_school_scope(cfg, (const char *const *)rv->review_trust_reviewers,
                           rv->n_review_trust_reviewers, login, false, actor);
}

int
sg_review_only_school(struct sg_review_actor *actor, const char *name,
                      const char **error_r)
{
    if (actor->school != NULL && strcmp(actor->school, name) != 0)
        return sg_review_fail(error_r, "--school %s: %s reviews school %s only",
                              name, actor->user, actor->school);
    actor->school = name;
    return 0;
}

const struct sg_notice_config *
sg_review_school_notice(const struct sg_review *r, const char *school,
                        struct sg_notice_config *nc_r, const char **contact_r)
{
    const struct sg_school *sch =
        r->config != NULL ? sg_school_find(r->config, school) : NULL;
    if (contact_r != NULL)
        *contact_r = sch != NULL ? sch->dsl_contact : r->dsl_contact;
    if (sch == NULL || r->ncfg == NULL)
        return r->ncfg;
    *nc_r = *r->ncfg;
    sg_school_notice_over(sch, nc_r);
    return nc_r;
}
