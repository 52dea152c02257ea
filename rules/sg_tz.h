/*
 * sg_tz.h - a time zone read from the system's zoneinfo files (TZif), for
 * local times without touching the process's TZ: the rules' time of day,
 * and the times the review page shows.  Implemented in rules/tz.c.
 */
#ifndef SG_TZ_H
#define SG_TZ_H

#include <stddef.h>
#include <time.h>

struct sg_tz; /* opaque */

/* Load zone name ("Europe/London") from dir (NULL: /usr/share/zoneinfo).
 * -1 with *error_r (the rules library's error buffer) otherwise. */
int sg_tz_load(const char *name, const char *dir, struct sg_tz **tz_r,
               const char **error_r);
void sg_tz_free(struct sg_tz **tz);
/* Local broken-down time of t in tz (UTC when tz is NULL), with tm_gmtoff
 * and tm_zone (the abbreviation, valid while tz is) set. */
void sg_tz_local(const struct sg_tz *tz, time_t t, struct tm *tm_r);

/* How a time is shown to people (machine formats, Date: headers and the
 * exports, stay UTC and ISO 8601 and do not come here). */
enum sg_time_style {
    SG_TIME_LONG,    /* Tuesday 2 June 2026 at 14:05 BST (notices, text) */
    SG_TIME_SHORT,   /* 2026-06-02 14:05 BST (lists, the page) */
    SG_TIME_SECONDS, /* 2026-06-02 14:05:07 BST (audit rows, the check) */
};

/* The one formatter of times for people: t in the school's zone tz (UTC
 * when NULL) with the zone's abbreviation, or its offset from UTC
 * ("UTC+05:30") where the zone has no letters for it.  Never fails: the
 * seconds since 1970 if the time cannot be shown. */
void sg_tz_format(const struct sg_tz *tz, time_t t, enum sg_time_style style,
                  char *buf, size_t size);

struct sg_rules;
/* The school's zone the rules were loaded with (NULL: UTC). */
const struct sg_tz *sg_rules_tz(const struct sg_rules *rules);

#endif
