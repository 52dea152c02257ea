/*
 * rules_names.c - the names of actions, modes and review tracks, as the
 * rules language writes them (the parser reads them) and as the log and
 * the review tool show them.
 *
 * SECURITY: names are compared exactly; an unknown action is an error,
 * never a default.
 * Fails: sg_action_parse and sg_track_parse return -1 for a name that is
 * not one.
 */
#include "config.h"

#include <string.h>

#include "sg_rules.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* names[i], or "?" past the end */
static const char *
name_of(const char *const *names, size_t n, unsigned i)
{
    return i < n ? names[i] : "?";
}

/* The index of name in names, or -1. */
static int
index_of(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return (int)i;
    return -1;
}

static const char *const action_names[] = {"accept", "annotate", "journal",
                                           "hold", "reject"};

const char *
sg_action_name(enum sg_action action)
{
    return name_of(action_names, N(action_names), (unsigned)action);
}

int
sg_action_parse(const char *name, enum sg_action *action_r)
{
    int i = index_of(action_names, N(action_names), name);
    if (i < 0)
        return -1;
    *action_r = (enum sg_action)i;
    return 0;
}

const char *
sg_mode_name(enum sg_mode mode)
{
    return mode == SG_MODE_TEST ? "test" : "enforce";
}

static const char *const track_names[] = {"staff-conduct", "pupil-welfare"};

const char *
sg_track_name(enum sg_track track)
{
    return name_of(track_names, N(track_names), (unsigned)track);
}

int
sg_track_parse(const char *name, enum sg_track *track_r)
{
    int i = index_of(track_names, N(track_names), name);
    if (i < 0)
        return -1;
    *track_r = (enum sg_track)i;
    return 0;
}

enum sg_track
sg_verdict_track(const struct sg_verdict *v)
{
    bool enforced = false;
    for (size_t i = 0; i < v->n_rules; i++)
        enforced |= v->rules[i].mode == SG_MODE_ENFORCE;
    if (v->n_rules == 0)
        return SG_TRACK_STAFF_CONDUCT;
    for (size_t i = 0; i < v->n_rules; i++)
        if ((!enforced || v->rules[i].mode == SG_MODE_ENFORCE) &&
            v->rules[i].track == SG_TRACK_STAFF_CONDUCT)
            return SG_TRACK_STAFF_CONDUCT;
    return SG_TRACK_PUPIL_WELFARE;
}
