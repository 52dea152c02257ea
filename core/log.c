/*
 * log.c - syslog or stderr logging for the daemon and safeguard-check.
 *
 * SECURITY: message text is attacker-controlled; it is always passed as a
 * %s argument, never as a format.  Control characters are not filtered here:
 * syslog escapes them, and stderr is the admin's own terminal.
 * Fails silently (a log line that cannot be written is dropped).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static bool log_stderr = true;
static enum sg_log_level log_level = SG_LOG_INFO;
static const char *log_ident = "safeguard-milter";

static const struct {
    const char *name;
    int value;
} facilities[] = {
    {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"user", LOG_USER},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

int
sg_log_facility(const char *name)
{
    for (size_t i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
        if (strcasecmp(facilities[i].name, name) == 0)
            return facilities[i].value;
    return -1;
}

int
sg_log_open(const char *ident, bool to_stderr, const char *facility)
{
    int fac = sg_log_facility(facility != NULL ? facility : "mail");
    if (fac < 0)
        return -1;
    log_ident = ident;
    log_stderr = to_stderr;
    if (!to_stderr)
        openlog(ident, LOG_PID | LOG_NDELAY, fac);
    return 0;
}

void
sg_log_set_level(enum sg_log_level level)
{
    log_level = level;
}

static void
log_v(enum sg_log_level level, const char *fmt, va_list ap)
{
    static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    static const char *const tag[] = {"error", "warning", "info", "debug"};
    if (level > log_level)
        return;
    if (!log_stderr) {
        vsyslog(prio[level], fmt, ap);
        return;
    }
    char line[4096];
    vsnprintf(line, sizeof(line), fmt, ap);
    /* one write per line so that concurrent threads do not interleave */
    fprintf(stderr, "%s: %s: %s\n", log_ident, tag[level], line);
}

#define SG_LOG_FN(fn, level)                                                   \
    void fn(const char *fmt, ...)                                              \
    {                                                                          \
        va_list ap;                                                            \
        va_start(ap, fmt);                                                     \
        log_v(level, fmt, ap);                                                 \
        va_end(ap);                                                            \
    }

SG_LOG_FN(sg_log_error, SG_LOG_ERROR)
SG_LOG_FN(sg_log_warn, SG_LOG_WARN)
SG_LOG_FN(sg_log_info, SG_LOG_INFO)
SG_LOG_FN(sg_log_debug, SG_LOG_DEBUG)

void
sg_log_fatal(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_v(SG_LOG_ERROR, fmt, ap);
    va_end(ap);
    exit(status);
}
