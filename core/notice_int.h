/*
 * notice_int.h - what the pieces of the notices module share: the error
 * buffer, reading a small file, the parsed templates and their
 * placeholders, making an untrusted value safe, checking addresses.  Not
 * for other modules: they use notice.h.
 *
 * Functions that take error_r fail by returning -1 with *error_r set
 * through FAIL (common/sg_error.h); never log, never exit.
 */
#ifndef SG_NOTICE_INT_H
#define SG_NOTICE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "fdio.h"
#include "notice.h"
#include "sg_buf.h"
#include "sg_error.h"

/* ------------------------------------------------------------ errors */

#define FAIL(...) sg_error_fail(error_r, __VA_ARGS__)
#define NOMEM()   sg_error_fail(error_r, "out of memory")

/* ------------------------------------------------------------ templates
 * (notice_template.c) */

/* The placeholder names, NULL-terminated, in the order of the values
 * sg_notice_expand is given. */
#define SG_NOTICE_PLACEHOLDERS 16
extern const char *const sg_notice_placeholders[SG_NOTICE_PLACEHOLDERS + 1];

struct tmpl_header {
    char *name;
    char *value; /* with placeholders */
};

struct tmpl {
    struct tmpl_header *headers; /* Subject first */
    size_t n_headers;
    char *body; /* LF line ends, with placeholders */
};

struct sg_notice_templates {
    struct tmpl t[SG_NOTICE_KINDS];
};

/* Expand a template text with values, one a placeholder (made safe for a
 * header or the body).  The text was checked at load. */
int sg_notice_expand(struct sg_buf *b, const char *text,
                     const char *const vals[], bool header);

/* ------------------------------------------------------------ values
 * (notice_render.c) */

/* Append s made safe: for a header (header true) every control character
 * becomes a space; for the body CRLF and CR become LF and other controls
 * but tab are dropped.  Invalid UTF-8 becomes U+FFFD. */
int sg_notice_put_value(struct sg_buf *b, const char *s, bool header);

/* ------------------------------------------------------------ addresses
 * (notice_send.c) */

/* What is wrong with an address we would put on a command line and in a
 * header, or NULL if nothing is. */
const char *sg_notice_address_problem(const char *a);
/* Check the sender and the recipients (at least one) of a notice. */
int sg_notice_check_addresses(const char *from, const char *const *to,
                              size_t n_to, const char **error_r);

/* The key's crypto_auth_KEYBYTES bytes (notice_mark.c), for the other
 * MACs made under it (notice_request.c). */
const unsigned char *sg_notice_key_bytes(const struct sg_notice_key *key);

#endif
