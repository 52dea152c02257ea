/*
 * log.h - the daemon's logging: syslog, or stderr in the foreground.
 *
 * Only the milter logs; the libraries return errors.  Every line about a
 * message starts with its queue id (the caller formats "%s: ...").
 */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdbool.h>

enum sg_log_level {
    SG_LOG_ERROR = 0,
    SG_LOG_WARN,
    SG_LOG_INFO,
    SG_LOG_DEBUG,
};

/* Open the log.  to_stderr: write to stderr instead of syslog.
 * facility: a syslog facility name ("mail", "local0", ...). */
int sg_log_open(const char *ident, bool to_stderr, const char *facility);
void sg_log_set_level(enum sg_log_level level);
/* Map a facility name to its syslog value; -1 when unknown. */
int sg_log_facility(const char *name);

void sg_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sg_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sg_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sg_log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit(EX_*) - only for start-up failures in main. */
_Noreturn void sg_log_fatal(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
