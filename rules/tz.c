/*
 * tz.c - the school's time zone, read once from a TZif file
 * (/usr/share/zoneinfo/NAME, RFC 8536) so that time-of-day conditions can
 * be evaluated without touching the process's TZ environment (setenv and
 * tzset are not thread-safe, and a library must not change global state).
 *
 * Uses the 64-bit (version 2+) data and the footer's POSIX TZ rule for
 * instants after the last transition; only the "Mm.w.d[/time]" rule form
 * (all European and North American zones) is understood, other forms keep
 * the offset of the last transition.
 *
 * SECURITY: the zone file is system data but is parsed with every count
 * and offset checked against the file size.  Zone names with ".." are
 * refused.  Fails by returning -1 with an error string.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"
#include "sg_bytes.h"

struct rule_part {
    int month, week, wday; /* Mm.w.d */
    int32_t secs;          /* local time of day of the change */
};

#define ABBR_MAX 8 /* "BST", "CEST", "+0530": with the NUL */

struct sg_tz {
    int64_t *trans;
    uint8_t *idx;
    size_t n;
    int32_t *utoff;
    char (*abbr)[ABBR_MAX]; /* per type; "" when the file has none */
    size_t ntypes;
    bool has_rule;
    int32_t std_off, dst_off; /* seconds east of UTC */
    char std_abbr[ABBR_MAX], dst_abbr[ABBR_MAX];
    struct rule_part start, end;
};

void
sg_tz_free(struct sg_tz **tz)
{
    if (*tz == NULL)
        return;
    free((*tz)->trans);
    free((*tz)->idx);
    free((*tz)->utoff);
    free((*tz)->abbr);
    free(*tz);
    *tz = NULL;
}

/* strtol on a const string, advancing *pp. */
static long
num(const char **pp)
{
    char *end;
    long v = strtol(*pp, &end, 10);
    *pp = end;
    return v;
}

static int64_t
be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)sg_be32(p) << 32 | sg_be32(p + 4));
}

/* POSIX offset "[+-]hh[:mm[:ss]]" (west positive); returns chars used. */
static int
posix_offset(const char *s, int32_t *secs)
{
    const char *p = s;
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*p))
        return -1;
    long h = num(&p), m = 0, sec = 0;
    if (*p == ':') {
        p++;
        m = num(&p);
        if (*p == ':') {
            p++;
            sec = num(&p);
        }
    }
    if (h > 167 || m > 59 || sec > 59)
        return -1;
    *secs = (int32_t)(sign * (h * 3600 + m * 60 + sec));
    return (int)(p - s);
}

static int
posix_name(const char *s)
{
    const char *p = s;
    if (*p == '<') {
        while (*p && *p != '>')
            p++;
        return *p == '>' ? (int)(p - s + 1) : -1;
    }
    while (isalpha((unsigned char)*p))
        p++;
    return p - s >= 3 ? (int)(p - s) : -1;
}

static int
posix_part(const char *s, struct rule_part *r)
{
    const char *p = s;
    if (*p != 'M')
        return -1;
    p++;
    r->month = (int)num(&p);
    if (*p++ != '.')
        return -1;
    r->week = (int)num(&p);
    if (*p++ != '.')
        return -1;
    r->wday = (int)num(&p);
    if (r->month < 1 || r->month > 12 || r->week < 1 || r->week > 5 ||
        r->wday < 0 || r->wday > 6)
        return -1;
    r->secs = 7200;
    if (*p == '/') {
        int n = posix_offset(p + 1, &r->secs);
        if (n < 0)
            return -1;
        p += 1 + n;
    }
    return (int)(p - s);
}

/* Copy a POSIX zone name of n bytes ("GMT", "<+0530>") as an
 * abbreviation. */
static void
copy_abbr(char abbr[ABBR_MAX], const char *s, int n)
{
    if (s[0] == '<') {
        s++;
        n -= 2;
    }
    snprintf(abbr, ABBR_MAX, "%.*s", n, s);
}

static void
parse_footer(struct sg_tz *tz, const char *s)
{
    int n = posix_name(s);
    if (n < 0)
        return;
    copy_abbr(tz->std_abbr, s, n);
    copy_abbr(tz->dst_abbr, s, n);
    s += n;
    int32_t off;
    n = posix_offset(s, &off);
    if (n < 0)
        return;
    s += n;
    tz->std_off = -off;
    if (*s == '\0') { /* no DST: fixed offset */
        tz->has_rule = true;
        tz->dst_off = tz->std_off;
        tz->start.month = 0;
        return;
    }
    n = posix_name(s);
    if (n < 0)
        return;
    copy_abbr(tz->dst_abbr, s, n);
    s += n;
    tz->dst_off = tz->std_off + 3600;
    if (*s != ',') {
        n = posix_offset(s, &off);
        if (n < 0)
            return;
        tz->dst_off = -off;
        s += n;
    }
    if (*s != ',')
        return;
    n = posix_part(s + 1, &tz->start);
    if (n < 0)
        return;
    s += 1 + n;
    if (*s != ',')
        return;
    n = posix_part(s + 1, &tz->end);
    if (n < 0)
        return;
    tz->has_rule = true;
}

/* The transitions and the local time types of the data block at p (its
 * size checked by the caller); NULL, or what is wrong. */
static const char *
read_data(struct sg_tz *tz, const unsigned char *p, size_t tsz,
          uint32_t timecnt, uint32_t typecnt, uint32_t charcnt)
{
    tz->n = timecnt;
    tz->ntypes = typecnt;
    tz->trans = calloc(timecnt + 1, sizeof(int64_t));
    tz->idx = calloc(timecnt + 1, 1);
    tz->utoff = calloc(typecnt, sizeof(int32_t));
    tz->abbr = calloc(typecnt, sizeof(*tz->abbr));
    if (!tz->trans || !tz->idx || !tz->utoff || !tz->abbr)
        return "out of memory";
    for (size_t i = 0; i < timecnt; i++)
        tz->trans[i] = tsz == 4 ? (int32_t)sg_be32(p + i * 4) : be64(p + i * 8);
    p += timecnt * tsz;
    for (size_t i = 0; i < timecnt; i++) {
        tz->idx[i] = p[i];
        if (p[i] >= typecnt)
            return "not a TZif file";
    }
    p += timecnt;
    const char *chars = (const char *)p + typecnt * 6;
    for (size_t i = 0; i < typecnt; i++) {
        tz->utoff[i] = (int32_t)sg_be32(p + i * 6);
        size_t at = p[i * 6 + 5]; /* desigidx */
        if (at < charcnt)
            snprintf(tz->abbr[i], ABBR_MAX, "%.*s",
                     (int)strnlen(chars + at, charcnt - at), chars + at);
    }
    return NULL;
}

int
sg_tz_load(const char *name, const char *dir, struct sg_tz **tz_r,
           const char **error_r)
{
    if (strstr(name, "..") != NULL || name[0] == '/') {
        *error_r = sg_rules_errorf("time zone '%s': not a zone name", name);
        return -1;
    }
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/usr/share/zoneinfo",
             name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *error_r = sg_rules_errorf("time zone '%s': cannot open %s: %s "
                                   "(install the Debian package tzdata)",
                                   name, path, strerror(errno));
        return -1;
    }
    unsigned char *data = malloc(1 << 20);
    size_t len = data ? fread(data, 1, 1 << 20, f) : 0;
    fclose(f);
    struct sg_tz *tz = calloc(1, sizeof(*tz));
    if (data == NULL || tz == NULL) {
        free(data);
        free(tz);
        *error_r = sg_rules_errorf("out of memory");
        return -1;
    }
    const char *why = "not a TZif file";
    if (len < 44 || memcmp(data, "TZif", 4) != 0)
        goto bad;
    size_t pos = 0;
    int pass = data[4] >= '2' ? 2 : 1;
    for (int k = 0; k < pass; k++) {
        if (pos + 44 > len)
            goto bad;
        const unsigned char *h = data + pos;
        uint32_t isut = sg_be32(h + 20), isstd = sg_be32(h + 24),
                 leap = sg_be32(h + 28), timecnt = sg_be32(h + 32),
                 typecnt = sg_be32(h + 36), charcnt = sg_be32(h + 40);
        size_t tsz = k == 0 ? 4 : 8;
        if (timecnt > 10000 || typecnt > 256 || typecnt == 0 ||
            charcnt > 10000 || leap > 10000 || isut > 256 || isstd > 256)
            goto bad;
        size_t body = timecnt * tsz + timecnt + typecnt * 6 + charcnt +
                      leap * (tsz + 4) + isstd + isut;
        if (pos + 44 + body > len)
            goto bad;
        if (k == pass - 1) {
            if ((why = read_data(tz, h + 44, tsz, timecnt, typecnt, charcnt)) !=
                NULL)
                goto bad;
            why = "not a TZif file";
            if (pass == 2) {
                size_t fpos = pos + 44 + body;
                if (fpos < len && data[fpos] == '\n') {
                    char footer[128];
                    size_t fl = 0;
                    for (size_t i = fpos + 1;
                         i < len && data[i] != '\n' && fl < 127; i++)
                        footer[fl++] = (char)data[i];
                    footer[fl] = '\0';
                    parse_footer(tz, footer);
                }
            }
        }
        pos += 44 + body;
    }
    free(data);
    *tz_r = tz;
    return 0;
bad:
    free(data);
    sg_tz_free(&tz);
    *error_r = sg_rules_errorf("time zone '%s': %s: %s", name, path, why);
    return -1;
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int
days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* UTC instant at which rule part r happens in year y, local offset off. */
static int64_t
rule_instant(const struct rule_part *r, int y, int32_t off)
{
    int64_t first = days_from_civil(y, (unsigned)r->month, 1);
    int wd1 = (int)(((first % 7) + 11) % 7); /* 1970-01-01 was Thursday */
    int day = 1 + (r->wday - wd1 + 7) % 7 + 7 * (r->week - 1);
    while (day > days_in_month(y, r->month))
        day -= 7;
    int64_t days = days_from_civil(y, (unsigned)r->month, (unsigned)day);
    return days * 86400 + r->secs - off;
}

/* The offset east of UTC at t, and the zone's abbreviation then. */
static int32_t
offset_at(const struct sg_tz *tz, int64_t t, const char **abbr_r)
{
    if (tz->n == 0 || t < tz->trans[0]) {
        if (tz->n == 0 && tz->has_rule && tz->start.month == 0) {
            *abbr_r = tz->std_abbr;
            return tz->std_off;
        }
        *abbr_r = tz->abbr[0];
        return tz->utoff[0];
    }
    if (t >= tz->trans[tz->n - 1] && tz->has_rule) {
        *abbr_r = tz->std_abbr;
        if (tz->start.month == 0)
            return tz->std_off;
        struct tm tm;
        time_t lt = (time_t)(t + tz->std_off);
        gmtime_r(&lt, &tm);
        int y = tm.tm_year + 1900;
        int64_t s = rule_instant(&tz->start, y, tz->std_off);
        int64_t e = rule_instant(&tz->end, y, tz->dst_off);
        bool dst = s < e ? (t >= s && t < e) : (t >= s || t < e);
        if (dst)
            *abbr_r = tz->dst_abbr;
        return dst ? tz->dst_off : tz->std_off;
    }
    size_t lo = 0, hi = tz->n; /* trans[lo] <= t < trans[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    *abbr_r = tz->abbr[tz->idx[lo]];
    return tz->utoff[tz->idx[lo]];
}

void
sg_tz_local(const struct sg_tz *tz, time_t t, struct tm *tm_r)
{
    const char *abbr = "UTC";
    int32_t off = tz ? offset_at(tz, (int64_t)t, &abbr) : 0;
    time_t lt = t + off;
    gmtime_r(&lt, tm_r);
    tm_r->tm_gmtoff = off;
    tm_r->tm_zone = abbr;
}

/* tm in style, without the zone; 0 when it does not fit. */
static size_t
format_style(const struct tm *tm, enum sg_time_style style, char *buf,
             size_t size)
{
    switch (style) {
    case SG_TIME_LONG:
        return strftime(buf, size, "%A %-d %B %Y at %H:%M", tm);
    case SG_TIME_SHORT:
        return strftime(buf, size, "%Y-%m-%d %H:%M", tm);
    case SG_TIME_SECONDS:
        return strftime(buf, size, "%Y-%m-%d %H:%M:%S", tm);
    }
    return 0;
}

void
sg_tz_format(const struct sg_tz *tz, time_t t, enum sg_time_style style,
             char *buf, size_t size)
{
    struct tm tm;
    sg_tz_local(tz, t, &tm);
    size_t n = format_style(&tm, style, buf, size);
    if (n == 0) {
        snprintf(buf, size, "%lld", (long long)t);
        return;
    }
    int h = (int)(tm.tm_gmtoff / 3600), m = (int)(tm.tm_gmtoff / 60 % 60);
    if (tm.tm_zone[0] != '\0' && tm.tm_zone[0] != '+' && tm.tm_zone[0] != '-')
        snprintf(buf + n, size - n, " %s", tm.tm_zone);
    else /* no abbreviation, or a numeric one: the offset */
        snprintf(buf + n, size - n, " UTC%c%02d:%02d",
                 tm.tm_gmtoff < 0 ? '-' : '+', abs(h), abs(m));
}

const struct sg_tz *
sg_rules_tz(const struct sg_rules *rules)
{
    return rules != NULL ? rules->tz : NULL;
}
