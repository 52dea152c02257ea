/*
 * dates.c - dates as people and spreadsheets write them: the written
 * forms of a date of birth (UK order, day first) and spreadsheet serial
 * numbers.  Read by the detectors (pupil-dob) and the table reader (a date
 * of birth column).
 *
 * SECURITY: the text is attacker-controlled; a written date is read from a
 * bounded copy, and a serial number is bounded (TABLE_SERIAL_MAX).
 * Fails by returning -1; nothing is allocated.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_int.h"

static int
month_from_name(const char *p)
{
    static const char *const m[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                    "jul", "aug", "sep", "oct", "nov", "dec"};
    for (int i = 0; i < 12; i++)
        if (strncasecmp(p, m[i], 3) == 0)
            return i + 1;
    return 0;
}

/* The date forms of DOB_RE (UK order: day first). */
int
sg_rules_date_parse(const char *s, size_t len, struct sg_date *d)
{
    char buf[40];
    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    int a, b, c;
    char s1, s2;
    if (sscanf(buf, "%4d-%2d-%2d", &a, &b, &c) == 3 && len == 10 &&
        buf[4] == '-') {
        d->year = a;
        d->month = b;
        d->day = c;
    } else if (sscanf(buf, "%2d%c%2d%c%4d", &a, &s1, &b, &s2, &c) == 5 &&
               strchr("/.-", s1) && s1 == s2) {
        d->day = a;
        d->month = b;
        d->year = c;
    } else {
        char *p = buf;
        d->day = (int)strtol(p, &p, 10);
        while (*p && !isalpha((unsigned char)*p))
            p++;
        if (isalpha((unsigned char)*p) && strchr("snrt", tolower(*p)) &&
            (strncasecmp(p, "st", 2) == 0 || strncasecmp(p, "nd", 2) == 0 ||
             strncasecmp(p, "rd", 2) == 0 || strncasecmp(p, "th", 2) == 0) &&
            !isalpha((unsigned char)p[2]))
            p += 2;
        while (*p && !isalpha((unsigned char)*p))
            p++;
        d->month = month_from_name(p);
        while (*p && !isdigit((unsigned char)*p))
            p++;
        d->year = (int)strtol(p, NULL, 10);
    }
    char iso[16];
    snprintf(iso, sizeof(iso), "%04d-%02d-%02d", d->year % 10000,
             d->month % 100, d->day % 100);
    return sg_date_parse(iso, d);
}

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant). */
static long
days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, struct sg_date *out)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    out->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    out->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    out->year = (int)(y + (out->month <= 2));
}

int
sg_rules_serial_date(long serial, struct sg_date *out)
{
    if (serial < 1 || serial > TABLE_SERIAL_MAX)
        return -1;
    /* The 1900 date system counts a 29 February 1900 that never was:
     * serial 60.  Past it, day 0 is 1899-12-30. */
    if (serial == 60)
        return -1;
    long base = days_from_civil(1899, 12, serial < 60 ? 31 : 30);
    civil_from_days(base + serial, out);
    return 0;
}
