/*
 * reinject.c - the re-injection header's value: made by safeguard-review
 * reinject, checked by the filter (reinject.h says why it is keyed).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailqueue.h"
#include "reinject.h"
#include "sg_error.h"

#define REINJECT_CONTEXT "safeguard-reinject\nv=1\n"

/* What the MAC covers: "RECORD\nTIME". */
static void
covered(const char *record, long long t, char *out, size_t size)
{
    snprintf(out, size, "%s\n%lld", record, t);
}

int
sg_reinject_value(const struct sg_notice_key *key, const char *record,
                  time_t now, char *value, size_t size, const char **error_r)
{
    char text[128], token[SG_NOTICE_TOKEN_LEN + 1];
    if (!sg_mailqueue_record_id_ok(record))
        return sg_error_fail(error_r, "\"%.80s\" is not a record id",
                             record != NULL ? record : "");
    covered(record, (long long)now, text, sizeof(text));
    if (sg_notice_keyed_token(key, REINJECT_CONTEXT, text, token, error_r) < 0)
        return -1;
    if ((size_t)snprintf(value, size, "%s; t=%lld; mac=%s", record,
                         (long long)now, token) >= size)
        return sg_error_fail(error_r, "reinject header: no room");
    return 0;
}

int
sg_reinject_check(const struct sg_notice_key *key, const char *value,
                  time_t now, char *record, const char **why_r)
{
    char id[SG_REINJECT_ID_MAX + 1], token[SG_NOTICE_TOKEN_LEN + 2], text[128];
    long long t = 0;
    int end = 0;
    *why_r = "not RECORD; t=TIME; mac=TOKEN";
    if (value == NULL)
        return 0;
    value += strspn(value, " \t");
    if (sscanf(value, "%64[A-Za-z0-9-]; t=%lld; mac=%44[A-Za-z0-9_-]%n", id,
               &t, token, &end) != 3 ||
        value[end + strspn(value + end, " \t\r\n")] != '\0')
        return 0;
    if (t > now + 300 || now - t > SG_REINJECT_MAX_AGE) {
        *why_r = "too old, or from the future";
        return 0;
    }
    covered(id, t, text, sizeof(text));
    if (!sg_notice_keyed_valid(key, REINJECT_CONTEXT, text, token)) {
        *why_r = "the MAC is wrong";
        return 0;
    }
    memcpy(record, id, strlen(id) + 1);
    *why_r = NULL;
    return 1;
}
