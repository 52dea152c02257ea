/*
 * images.h - what the first bytes of an image say (its format, pixel size
 * and whether a camera took it), and which Content-IDs an HTML part shows
 * through cid: links.  Used by the message view builder to tell signature
 * logos and icons from photographs (sg_attachment in sg_msgview.h).
 *
 * SECURITY: every byte is attacker-controlled.  Both readers are bounded:
 * the image reader looks at most at the len bytes it is given (the
 * builder gives it SG_IMAGE_PROBE_MAX), never trusts a length field
 * past them, and hands camera data to libexif only as one bounded EXIF
 * block; the cid: scanner keeps at most SG_CID_REFS_MAX references of at
 * most SG_CID_MAX bytes each.
 */
#ifndef SG_IMAGES_H
#define SG_IMAGES_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of an image part read to learn its facts: past the EXIF block
 * (at most 64 KiB in JPEG) and the frame header of any real image. */
#define SG_IMAGE_PROBE_MAX (256u * 1024u)
/* cid: references kept per message, and bytes per reference. */
#define SG_CID_REFS_MAX 1024u
#define SG_CID_MAX 512u

struct sg_image_facts {
    const char *type; /* "image/png", "image/jpeg", "image/gif",
                         "image/webp", "image/bmp"; NULL when the bytes
                         are none of these */
    unsigned width, height; /* pixels; 0 when not known */
    bool camera; /* EXIF names a camera (Make, Model) or the moment the
                    picture was taken (DateTimeOriginal) */
};

/* The facts of the len bytes at data (the start of a part's decoded
 * content).  Never fails: what cannot be read stays unknown. */
void sg_image_probe(const unsigned char *data, size_t len,
                    struct sg_image_facts *facts);

/* The Content-IDs that cid: links in HTML point at. */
struct sg_cid_refs {
    char **v;
    size_t n, cap;
};

/* Add every cid: link in len bytes of HTML (as sent, any ASCII-compatible
 * charset), percent-decoded.  -1 only when out of memory. */
int sg_cid_refs_scan(struct sg_cid_refs *refs, const char *html, size_t len);
/* Is the Content-ID content_id (without <>) one of them?  Compared
 * without regard to case. */
bool sg_cid_refs_has(const struct sg_cid_refs *refs, const char *content_id);
void sg_cid_refs_free(struct sg_cid_refs *refs);

#endif
