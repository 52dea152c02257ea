/*
 * sg_settings.c - the bounds of a settings section's entries, checked on
 * values a library was given by a caller rather than read from a file
 * (see sg_settings.h), so that the bounds stay written once, in the
 * entries.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>

#include "sg_settings.h"

bool
sg_conf_entry_in_bounds(const struct sg_conf_entry *e, const void *data,
                        long long *value_r)
{
    const void *f = (const char *)data + e->offset;
    long long n, choices = 0;
    switch (e->type) {
    case SG_CONF_INT:
    case SG_CONF_DURATION:
        n = *(const int *)f;
        break;
    case SG_CONF_SIZE:
        n = *(const uint64_t *)f > (uint64_t)LLONG_MAX
                ? LLONG_MAX
                : (long long)*(const uint64_t *)f;
        break;
    case SG_CONF_ENUM:
        while (e->choices[choices] != NULL)
            choices++;
        n = *(const int *)f;
        if (value_r != NULL)
            *value_r = n;
        return n >= 0 && n < choices;
    default:
        return true;
    }
    if (value_r != NULL)
        *value_r = n;
    return n >= e->min && n <= e->max;
}

int
sg_settings_check_bounds(const struct sg_settings_section *section,
                         const void *data, const char **name_r)
{
    for (const struct sg_conf_entry *e = section->entries; e->name != NULL;
         e++)
        if (!sg_conf_entry_in_bounds(e, data, NULL)) {
            *name_r = e->name;
            return -1;
        }
    return 0;
}
