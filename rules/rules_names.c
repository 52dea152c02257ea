/*
 * rules_names.c - the names of actions, modes and review tracks, as the
 * rules language
 * writes them (the parser reads them) and as the log and the review tool
 * show them.
 *
 * SECURITY: names are compared exactly; an unknown action is an error,
 * never a default.
 * Fails: sg_action_parse and sg_track_parse return -1 for a name that is
 * not one.
 */
#include "config.h"

#include <string.h>

#include "sg_rules.h"

static const char *const action_names[] = {"accept", "annotate", "journal",
                                           "hold", "reject"};

const char *
sg_action_name(enum sg_action action)
{
    if ((unsigned)action < 5)
        return action_names[action];
    return "?";
}

int
sg_action_parse(const char *name, enum sg_action *action_r)
{
    for (int i = 0; i < 5; i++)
        if (strcmp(name, action_names[i]) == 0) {
            *action_r = (enum sg_action)i;
            return 0;
        }
    return -1;
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
    if ((unsigned)track < 2)
        return track_names[track];
    return "?";
}

int
sg_track_parse(const char *name, enum sg_track *track_r)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, track_names[i]) == 0) {
            *track_r = (enum sg_track)i;
            return 0;
        }
    return -1;
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
