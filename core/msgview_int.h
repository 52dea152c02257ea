/*
 * msgview_int.h - the message view builder's own declarations, shared by
 * its files; its callers use msgview_build.h.  The builder's files:
 *   msgview_build.c    the MIME walk, the view's texts and attachments,
 *                      the entry points
 *   msgview_part.c     a part's content read and transfer-decoded, its
 *                      type and file name
 *   msgview_attach.c   attachments: the text helper (extract_run.c),
 *                      files uuencoded into a text, images and cid: links
 *   msgview_headers.c  the headers, the From: mailbox, the sender claims
 *                      and display names
 *   msgview_top.c      the top-level header block read without GMime
 *   charset.c          text in any charset made valid UTF-8 (charset.h)
 *   html_text.c        HTML reduced to text (html_text.h)
 * The SECURITY notes of msgview_build.c hold for all of them.
 */
#ifndef SG_MSGVIEW_INT_H
#define SG_MSGVIEW_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <gmime/gmime.h>

#include "images.h"
#include "msgview_build.h"
#include "sg_buf.h"

#define SG_ERR_NOMEM "out of memory while building the message view"
#define SG_READ_CHUNK 16384
#define SG_LABEL_MAX 512

/* Whether a message from memory whose body is a single part has that
 * body handed to GMime as a window on the message, not scanned by
 * GMime's parser (true; a test sets it false to parse every message
 * whole, which must give the same view).  Defined in msgview_build.c. */
extern bool sg_msgview_window;

/* Whether a message from memory whose header block is plain (see
 * sg_top_read) and whose body is a single part or a multipart is built
 * without a GMimeMessage: the header block read by sg_top_read, GMime
 * given only its Content-* headers (and a multipart's body after them)
 * to make the body part of (true; a test sets it
 * false to compare with GMime's parse of the message).  Views built so
 * are counted in sg_msgview_lean_built, for tests.  Defined in
 * msgview_build.c. */
extern bool sg_msgview_lean;
extern unsigned long sg_msgview_lean_built;

/* Whether a message built so whose body is a single text part of the
 * strict shape sg_top_part reads has that part read without GMime at
 * all: no parser, part, data wrapper or stream, the body's bytes read
 * where they are (true; a test sets it false to have GMime make the
 * part, which must give the same view).  Views built so are counted in
 * sg_msgview_direct_built (and sg_msgview_lean_built), for tests.
 * Defined in msgview_build.c. */
extern bool sg_msgview_direct;
extern unsigned long sg_msgview_direct_built;

/* One build in progress. */
struct sg_build {
    struct sg_msgview *view;
    size_t texts_cap;
    size_t atts_cap;
    size_t text_used; /* bytes of text parts (as sent) read so far */
    size_t inner_used; /* bytes of encoded attached messages decoded */
    GMimeParserOptions *opts;
    const char *error; /* set when a step fails hard */
    struct sg_buf names; /* display names of From:, Sender:, Reply-To: */
    struct sg_cid_refs cids; /* cid: links of the HTML parts */
    const struct sg_extract_opts *extract; /* NULL: attachments not read */
    int extracted;             /* attachments given to the helper */
    long long extract_deadline; /* for all of them (sg_extract_now_ms) */
    size_t extract_used;       /* bytes of text the helper gave, in all */
};

/* One header of a top-level header block (sg_top_read), in the block's
 * bytes: the name is data[line, line + name_len), the raw value, as GMime
 * keeps it (folded, line ends and all), runs from past the colon to
 * data[end]. */
struct sg_top_header {
    size_t line;
    size_t name_len;
    size_t end;
    bool content; /* named Content-*: GMime keeps it on the body part */
    char *value;  /* unfolded and decoded as GMime does, once needed */
};

struct sg_top {
    const char *data;
    struct sg_top_header *h; /* in the order written */
    size_t n;
    size_t n_content; /* of them named Content-* */
    size_t blank;     /* the offset of the blank line that ends the block */
    size_t body;      /* and of the body past it */
    InternetAddressList *from; /* the last From:'s, or NULL (sg_top_from) */
};

/* Where a part sits, for labels and depth. */
struct sg_where {
    unsigned depth;     /* message/rfc822 nesting */
    unsigned nesting;   /* multipart nesting within all messages */
    const char *prefix; /* "" or "attached message 1, " */
    const char *path;   /* "" for a message's only part, else "1.2" */
};

static inline int
sg_fail(struct sg_build *b, const char *error)
{
    b->error = error;
    return -1;
}

/* Flags of sg_add_text. */
#define SG_TEXT_HTML 1u       /* reduced from HTML */
#define SG_TEXT_ATTACHMENT 2u /* the part is an attachment */

/* msgview_build.c: the view's arrays, labels. */
int sg_add_attachment(struct sg_build *b, const char *type,
                      const char *filename, size_t size, unsigned depth);
/* Adds a text, taking ownership of text's memory. */
int sg_add_text(struct sg_build *b, struct sg_buf *text, const char *type,
                const char *label, unsigned depth, unsigned flags);
/* Where a part is, for people, with suffix after it ("" or ", as sent"),
 * into label (SG_LABEL_MAX bytes). */
void sg_label(char *label, const struct sg_where *w, const char *type,
              const char *filename, const char *suffix);

/* msgview_part.c: a part's content and what it says of itself. */
GMimeContentEncoding sg_part_encoding(GMimePart *part);
int sg_part_read(struct sg_build *b, GMimePart *part, bool decode, size_t cap,
                 struct sg_buf *out, size_t *size_r);
/* The same as sg_part_read (decode false, and true), but where GMime
 * keeps the content in memory: the bytes as sent are borrowed, not
 * copied (out->cap is 0), and base64 is decoded only as far as cap and
 * the rest counted.  out is given back with sg_part_release, never
 * sg_buf_free, and a borrowed one is never appended to. */
int sg_part_sent(struct sg_build *b, GMimePart *part, size_t cap,
                 struct sg_buf *out, size_t *size_r);
/* The same of a content in memory at data[0, len), GMime's or not. */
void sg_bytes_sent(const char *data, size_t len, size_t cap,
                   struct sg_buf *out, size_t *size_r);
int sg_part_decoded(struct sg_build *b, GMimePart *part, size_t cap,
                    struct sg_buf *out, size_t *size_r);
void sg_part_release(struct sg_buf *buf);
/* The first bytes of a part's decoded content, up to n, into head,
 * cheaply (a base64 part's first SG_PART_HEAD_LETTERS letters at most):
 * how many (fewer than n only when the content is shorter), or SIZE_MAX
 * when they cannot be had that way (not in memory, quoted-printable,
 * uuencode, a prefix of junk). */
#define SG_PART_HEAD_LETTERS 4096u
/* Bytes of an attachment's head that tell whether it is an image (the
 * longest signature sg_image_probe knows, WebP's, is 12). */
#define SG_PART_HEAD 16u
size_t sg_part_head(GMimePart *part, unsigned char *head, size_t n);
int sg_transfer_decode(GMimeContentEncoding enc, const struct sg_buf *in,
                       struct sg_buf *out);
bool sg_undecodable(GMimeContentEncoding enc, const struct sg_buf *sent,
                    const struct sg_buf *decoded);
char *sg_content_type(GMimeObject *obj);
char *sg_filename(GMimePart *part, bool *nomem_r);
char *sg_other_text_type(struct sg_build *b, GMimePart *part, bool *nomem);

/* msgview_attach.c: attachments. */
int sg_inline_uuencode(struct sg_build *b, const struct sg_where *w,
                       const struct sg_buf *raw);
int sg_leaf_binary(struct sg_build *b, GMimePart *part,
                   const struct sg_where *w, const char *type,
                   const char *filename);
void sg_mark_inline(struct sg_build *b);

/* msgview_headers.c: the top-level headers, and the value of the next
 * header of obj's own list (from *i on) named one of names
 * (NULL-terminated, any case) that has one: raw as written, else decoded;
 * NULL when none is left. */
const char *sg_header_next(GMimeObject *obj, const char *const *names,
                           bool raw, int *i);
int sg_headers(struct sg_build *b, GMimeMessage *msg);
int sg_envelope_headers(struct sg_build *b, GMimeMessage *msg);
int sg_sender_claims(struct sg_build *b, GMimeMessage *msg);
/* The same from a header block read by sg_top_read, whose Content-*
 * headers GMime has made part of (their names and values are the
 * part's, as with a GMimeMessage), or with part NULL, that GMime was not
 * given (sg_top_part): read as the block's other headers are. */
int sg_top_headers(struct sg_build *b, struct sg_top *top, GMimeObject *part);
bool sg_top_from(struct sg_top *top, GMimeParserOptions *opts);
int sg_top_envelope(struct sg_build *b, struct sg_top *top);
int sg_top_sender_claims(struct sg_build *b, struct sg_top *top);

/* msgview_top.c: the top-level header block of data[0, len), when GMime
 * would read it so too: lines "name: value" (a name of printable ASCII,
 * no blank before the colon) and their folded lines, no NUL and no CR
 * but before a line's LF, ended by a blank line, at least one header,
 * no header RFC 5322 allows once repeated, not too many or too long.
 * 1 when read so (top filled, freed with sg_top_free), 0 when not (top
 * empty), -1 when out of memory. */
int sg_top_read(const char *data, size_t len, struct sg_top *top);
/* Whether header h of top is named name (any case). */
bool sg_top_named(const struct sg_top *top, const struct sg_top_header *h,
                  const char *name);
/* A header's raw value, NUL-terminated (g_free it). */
char *sg_top_raw(const struct sg_top *top, const struct sg_top_header *h);
/* GMime's lwsp: a space, tab, CR or LF. */
static inline bool
sg_top_lwsp(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
/* A header's value as g_mime_header_get_value makes it, when that is
 * only the raw value unfolded (GMime's unfold: white space trimmed,
 * CR and LF dropped): ASCII without "=?", which GMime's decoding keeps
 * as it is; else NULL (g_free it). */
char *sg_top_plain_value(const struct sg_top *top,
                         const struct sg_top_header *h);
void sg_top_free(struct sg_top *top);

/* What the body part says of itself when the block's Content-* lines are
 * of the one strict shape read without GMime (sg_top_part). */
struct sg_top_part {
    const char *type;  /* "text/plain" or "text/html" (static) */
    char charset[64];  /* the charset parameter's value, "" when none */
    GMimeContentEncoding enc;
};
/* Whether the Content-* lines of the block read into top are of that
 * shape (part filled): none at all; or a Content-Type text/plain or
 * text/html (any case) whose parameters are only charset, format and
 * delsp, each once, each a token or a quoted string of the letters,
 * digits and "-_.:+" of charset names, and a Content-Transfer-Encoding
 * 7bit, 8bit, binary, quoted-printable or base64, and a
 * Content-Language of language tags, commas and blanks (as Thunderbird
 * and Outlook write on every letter), each header once, blanks and
 * folds only around the values and the ';'s.  GMime 3.2.13 reads such
 * lines into a leaf part of that type (parser_content_type,
 * g_mime_parse_content_type), the parameters' values as they are
 * (decode_param: a token or an unquoted string, no encoded word, valid
 * UTF-8), that encoding (g_mime_content_encoding_from_string), no file
 * name and no disposition, keeps Content-Language without reading it
 * (no GMimeObject or GMimePart reads it), and warns of nothing the view
 * counts as malformed (no conflicting header or parameter, no invalid
 * type).  The headers' values for the view are read as the block's
 * others are (sg_top_headers), as GMime's header list has them.
 * Anything else, false: GMime makes the part. */
bool sg_top_part(const struct sg_top *top, struct sg_top_part *part);

#endif
