/*
 * sg_tz.h - a time zone read from the system's zoneinfo files (TZif), for
 * local times without touching the process's TZ: the rules' time of day,
 * and the times the review page shows.  Implemented in rules/tz.c.
 */
#ifndef SG_TZ_H
#define SG_TZ_H

#include <time.h>

struct sg_tz; /* opaque */

/* Load zone name ("Europe/London") from dir (NULL: /usr/share/zoneinfo).
 * -1 with *error_r (the rules library's error buffer) otherwise. */
int sg_tz_load(const char *name, const char *dir, struct sg_tz **tz_r,
               const char **error_r);
void sg_tz_free(struct sg_tz **tz);
/* Local broken-down time of t in tz (UTC when tz is NULL). */
void sg_tz_local(const struct sg_tz *tz, time_t t, struct tm *tm_r);

#endif
