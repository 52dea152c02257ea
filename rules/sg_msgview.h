/*
 * sg_msgview.h - the message view: what the rules see of one message.
 *
 * Built once per message by the milter (GMime, milter/msgview.c) or by
 * safeguard-check, consumed read-only by the rules evaluator.  Everything in
 * it is UTF-8 and NUL-terminated; invalid bytes in the original have been
 * replaced with U+FFFD, so no consumer need re-validate.
 *
 * SECURITY: every string here comes from the message (attacker-controlled),
 * except the envelope facts the MTA vouched for (client address, trusted,
 * authenticated user).  Header From: is a claim, never an identity.
 */
#ifndef SG_MSGVIEW_H
#define SG_MSGVIEW_H

#include <stdbool.h>
#include <stddef.h>

/* At most this many sender claims are kept (sg_msgview.sender_claims). */
#define SG_MSGVIEW_MAX_CLAIMS 32

struct sg_header {
    char *name;  /* as written, e.g. "Subject" */
    char *value; /* unfolded; RFC 2047 words decoded to UTF-8 */
};

/* Which place of its part a text is (sg_text_part.place).  A part gives
 * its own text first (place SG_PLACE_TEXT, always, even when empty), then
 * one text per other place it has. */
enum sg_text_place {
    SG_PLACE_TEXT = 0, /* what the reader is shown as the writer's words,
                          quoted earlier mail taken out */
    SG_PLACE_QUOTED,   /* earlier mail quoted in it: '>' lines, <blockquote>,
                          or what follows a reply or forward header */
    SG_PLACE_HIDDEN,   /* HTML the reader is not shown (display:none, ...) */
    SG_PLACE_MARKUP,   /* HTML attribute values (alt, title, value, ...),
                          link targets, CSS content strings */
};

/* Decoded text of one text part (text/plain, text/html reduced to text,
 * or another text type, such as a CSV attachment). */
struct sg_text_part {
    char *text; /* UTF-8, NUL-terminated */
    size_t len; /* bytes, excluding the NUL */
    char *content_type; /* lower-case, e.g. "text/html" */
    char *label; /* where, for people: "body", "part 1.2 (text/html)",
                    "attachment \"marks.csv\"", ... */
    unsigned depth; /* 0 top-level message, 1 inside one message/rfc822 */
    bool from_html; /* text was reduced from HTML */
    bool is_attachment; /* part has a file name or disposition attachment */
    unsigned place; /* enum sg_text_place */
    /* SG_PLACE_QUOTED: whose words, as the quote header says (a claim,
     * like From:).  quote_author is the header's "Name <address>" or name,
     * quote_addr its address; each NULL when the quote names none. */
    char *quote_author;
    char *quote_addr;
};

struct sg_attachment {
    char *content_type; /* lower-case, e.g. "image/jpeg" */
    char *filename;     /* UTF-8, NULL when the part has none */
    size_t size;        /* decoded bytes */
    unsigned depth;     /* message/rfc822 nesting depth */
    /* What the part's own bytes say, whatever its declared type
     * (milter/images.c): an image format, or NULL. */
    const char *image_type; /* static: "image/png", "image/jpeg", ... */
    unsigned width, height; /* pixels; 0 when not known */
    bool camera;        /* EXIF names a camera or when it was taken */
    bool inline_ref;    /* its Content-ID is the target of a cid: link
                           in an HTML part of the message */
    char *content_id;   /* without <>, NULL when none */
};

struct sg_msgview {
    /* Envelope and connection, as the MTA told the milter. */
    char *queue_id;       /* may be NULL (offline check) */
    char *client_addr;    /* may be NULL */
    bool client_trusted;  /* in trusted_networks */
    char *auth_user;      /* SMTP AUTH identity, NULL when none */
    char *env_from;       /* envelope sender without <>; "" for null sender */
    char **env_rcpt;      /* envelope recipients without <> */
    size_t n_rcpt;

    /* Top-level headers. */
    struct sg_header *headers;
    size_t n_headers;
    char *subject;      /* decoded, "" when absent */
    char *from_name;    /* display name of From:, NULL when none */
    char *from_addr;    /* address of From:, NULL when none/unparsable */
    char *message_id;   /* NULL when absent */
    /* The display names of the From:, Sender: and Reply-To: headers, one a
     * line, each once; "" when none.  Detectors scan it as a place. */
    char *display_names;
    /* Who the headers say sent it: every address the From:, Sender: and
     * Reply-To: headers show (each occurrence of each), as mailboxes and
     * as addresses written into a display name ("j.smith@school.example"
     * <x@elsewhere.example>).  Each once (case-insensitive), at most
     * SG_MSGVIEW_MAX_CLAIMS; sender_claims_overflow when there were more.
     * Claims, never identities: the milter decides whom to believe. */
    char **sender_claims;
    size_t n_sender_claims;
    bool sender_claims_overflow;

    /* Body. */
    struct sg_text_part *texts;
    size_t n_texts;
    struct sg_attachment *attachments;
    size_t n_attachments;

    size_t size;     /* raw message bytes (headers and body) */
    size_t n_parts;  /* MIME leaf parts, all depths */
    size_t n_nested; /* message/rfc822 parts */
    bool malformed;  /* the MIME structure needed repair */
    unsigned incomplete; /* SG_INCOMPLETE_* bits: what was not inspected;
                            0 when every part was read */
};

/* Why a view does not hold all of its message (sg_msgview.incomplete).
 * The builder stops at bounds that real mail does not reach; what lies
 * past them is never seen by the rules, so a rule can ask for it
 * ("inspection incomplete", man 5 safeguard-rules). */
enum sg_incomplete {
    SG_INCOMPLETE_DEPTH = 1,      /* attached messages nested too deep */
    SG_INCOMPLETE_NESTING = 2,    /* multiparts nested too deep */
    SG_INCOMPLETE_SIZE = 4,       /* more text than the builder reads */
    SG_INCOMPLETE_UNREADABLE = 8, /* content that could not be read */
};
#define SG_INCOMPLETE_ALL 15u

/* The bits of incomplete as comma-separated words ("depth,size"), for
 * logs, into buf; "" when none. */
const char *sg_msgview_incomplete_names(unsigned incomplete, char *buf,
                                        size_t size);
/* What one bit means, for people: "attached messages nested too deep to
 * open"; NULL for a value that is not one bit. */
const char *sg_msgview_incomplete_describe(unsigned bit);

/* A place (enum sg_text_place) as one word for logs and JSON ("text",
 * "quoted", "hidden", "markup"), and for people ("the writer's own
 * text", ...); NULL for an unknown value. */
const char *sg_msgview_place_name(unsigned place);
const char *sg_msgview_place_describe(unsigned place);

struct sg_msgview *sg_msgview_new(void);
void sg_msgview_free(struct sg_msgview **view);

/* First header named name (case-insensitive), or NULL. */
const char *sg_msgview_header(const struct sg_msgview *view,
                              const char *name);

#endif
