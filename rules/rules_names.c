/*
 * rules_names.c - the names of actions and modes, as the rules language
 * writes them (the parser reads them) and as the log and the review tool
 * show them.
 *
 * SECURITY: names are compared exactly; an unknown action is an error,
 * never a default.
 * Fails: sg_action_parse returns -1 for a name that is not an action.
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
