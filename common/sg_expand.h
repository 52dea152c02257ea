/*
 * sg_expand.h - the one {placeholder} syntax of every text a school writes
 * with placeholders: the notice templates, the rules' explanations and the
 * sendmail command of the notices.
 *
 *   {name}      a name the caller knows: replaced by its value;
 *   {{  }}      a literal '{' and '}';
 *   }           alone, itself;
 *   any other { is an error: an unknown name, or no '}' on the same line
 *               within SG_EXPAND_NAME_MAX bytes.
 *
 * A text is checked once, when it is loaded (sg_expand_check, so the
 * mistake is reported with its file and line), and expanded as often as
 * needed (sg_expand), which fails rather than guess on a text that was
 * never checked.  No I/O, no logging.
 */
#ifndef SG_EXPAND_H
#define SG_EXPAND_H

#include <stdbool.h>
#include <stddef.h>

#include "sg_buf.h"

#define SG_EXPAND_NAME_MAX 40 /* bytes from '{' to its '}' */

/* What sg_expand_check found wrong. */
struct sg_expand_bad {
    const char *at;  /* the '{' in the text */
    size_t name_len; /* bytes after it up to '}', the line end or the cap */
    bool unclosed;   /* no '}': else the name is unknown */
};

/* 0 when every placeholder of text is one of names (NULL-terminated);
 * else -1 with the first wrong one in *bad_r. */
int sg_expand_check(const char *text, const char *const names[],
                    struct sg_expand_bad *bad_r);

/* Append the value of names[index]. */
typedef int sg_expand_value_fn(struct sg_buf *b, size_t index, void *ctx);
/* Append len bytes of the text between placeholders (a brace written
 * twice comes here as one). */
typedef int sg_expand_text_fn(struct sg_buf *b, const char *s, size_t len,
                              void *ctx);

/* Append text to b with its placeholders replaced through value; the rest
 * through put_text, or as it is when put_text is NULL.  -1 when a callback
 * fails or text holds a placeholder sg_expand_check refuses. */
int sg_expand(struct sg_buf *b, const char *text, const char *const names[],
              sg_expand_value_fn *value, sg_expand_text_fn *put_text,
              void *ctx);

#endif
