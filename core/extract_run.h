/*
 * extract_run.h - run the attachment text helper, safeguard-extract(8),
 * on one attachment, in a process of its own, with a time limit.
 *
 * SECURITY: the helper parses attacker-controlled files; what it writes
 * is trusted no more than the mail itself: at most max_text bytes are
 * read from it, and the caller makes them valid UTF-8.  A helper that
 * cannot be started, crashes, runs past its time (it is killed) or exits
 * with a status it should not is SG_EXTRACT_RUN_FAILED: the attachment
 * was not inspected.  Never blocks past the time limit given.
 */
#ifndef SG_EXTRACT_RUN_H
#define SG_EXTRACT_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sg_buf.h"

/* The settings (extract_* in safeguard-milter.conf(5)). */
struct sg_extract_opts {
    bool enabled;          /* extract_attachments */
    char *helper;          /* extract_helper: the program's path */
    int timeout;           /* extract_timeout: seconds for one attachment */
    int message_timeout;   /* extract_message_timeout: for all of them */
    int max_attachments;   /* extract_max_attachments: per message */
    uint64_t max_size;     /* extract_max_size: bytes of one attachment */
    uint64_t max_text;     /* extract_max_text: bytes of text from one */
    uint64_t memory;       /* extract_memory: the helper's address space */
};

/* The extract_* keys of the configuration file (extract_settings.c). */
struct sg_settings_section;
extern const struct sg_settings_section sg_extract_settings_section;

/* What became of one attachment (the helper's exit statuses, and a
 * failure of the helper itself). */
enum sg_extract_result {
    SG_EXTRACT_RUN_OK = 0,         /* all of its text is in out */
    SG_EXTRACT_RUN_FAILED = 1,     /* not inspected: crashed, killed, ... */
    SG_EXTRACT_RUN_INCOMPLETE = 2, /* part of its text is in out */
    SG_EXTRACT_RUN_NONE = 3,       /* it holds no text */
};

/* The helper's command line for o, an attachment of type and name (name
 * may be NULL): argv points into the struct, which the caller keeps while
 * it is used. */
struct sg_extract_cmd {
    char in[32], out[32], cpu[32], mem[32];
    char *argv[13];
};
void sg_extract_cmd(const struct sg_extract_opts *o, const char *type,
                    const char *name, struct sg_extract_cmd *cmd);

/* Run the helper on data (len bytes; type and name as declared, name may
 * be NULL), for at most timeout_ms milliseconds.  Appends at most
 * o->max_text bytes of its output to out (not validated).  Returns an
 * enum sg_extract_result, or -1 when out cannot grow (out of memory). */
int sg_extract_run(const struct sg_extract_opts *o, const char *data,
                   size_t len, const char *type, const char *name,
                   long timeout_ms, struct sg_buf *out);

/* Milliseconds since an arbitrary start (CLOCK_MONOTONIC). */
long long sg_extract_now_ms(void);

#endif
