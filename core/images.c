/*
 * images.c - image facts for the message view: the format and pixel size
 * read from the headers of PNG, GIF, JPEG, WebP and BMP data, camera data
 * from EXIF (libexif), and the cid: links of HTML parts.
 *
 * These decide whether an image is a signature logo or icon (small, or
 * shown inline by the HTML) or may be a photograph (camera data, or large,
 * or not known), for the attachment condition of the rules
 * (safeguard-rules(5): inline, small, photo).
 *
 * SECURITY: the bytes are the attacker's.  Every read is checked against
 * the bytes given, never against a length the data declares; loops only
 * move forward, so the work is linear in the bytes given, which the caller
 * caps at SG_IMAGE_PROBE_MAX.  libexif sees one EXIF block (at most 64 KiB
 * in JPEG, within the bytes given in PNG and WebP), with the option that
 * makes it add "mandatory" tags of its own turned off, so that what it
 * reports was in the data.  An image that cannot be read keeps width 0
 * and camera false: "not known", which the shipped policy treats as a
 * possible photograph, never as a small one.  Fuzzed by
 * tests/fuzz/fuzz_images.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libexif/exif-data.h>

#include "images.h"
#include "sg_bytes.h"

/* ------------------------------------------------------------- EXIF */

/* Does the entry hold something other than blanks and NULs? */
static bool
exif_entry_set(ExifEntry *e)
{
    if (e == NULL || e->data == NULL)
        return false;
    for (unsigned i = 0; i < e->size; i++)
        if (e->data[i] != '\0' && e->data[i] != ' ')
            return true;
    return false;
}

/* Camera data in an EXIF block: len bytes that start with "Exif\0\0"
 * and then the TIFF header. */
static bool
exif_camera(const unsigned char *block, size_t len)
{
    if (len < 14 || len > UINT32_MAX)
        return false;
    ExifData *ed = exif_data_new();
    if (ed == NULL)
        return false; /* out of memory: the camera stays unknown */
    /* FOLLOW_SPECIFICATION would add "mandatory" tags (with made-up values)
     * after the load; only what the sender wrote counts. */
    exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
    exif_data_load_data(ed, block, (unsigned)len);
    bool camera =
        exif_entry_set(exif_content_get_entry(ed->ifd[EXIF_IFD_0],
                                              EXIF_TAG_MAKE)) ||
        exif_entry_set(exif_content_get_entry(ed->ifd[EXIF_IFD_0],
                                              EXIF_TAG_MODEL)) ||
        exif_entry_set(exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF],
                                              EXIF_TAG_DATE_TIME_ORIGINAL));
    exif_data_unref(ed);
    return camera;
}

static const unsigned char exif_header[6] = {'E', 'x', 'i', 'f', 0, 0};

/* Camera data in a bare TIFF block (PNG eXIf, WebP EXIF): libexif wants
 * the "Exif\0\0" header in front. */
static bool
tiff_camera(const unsigned char *tiff, size_t len)
{
    if (len >= sizeof(exif_header) &&
        memcmp(tiff, exif_header, sizeof(exif_header)) == 0)
        return exif_camera(tiff, len);
    if (len < 8 || len > SG_IMAGE_PROBE_MAX)
        return false;
    unsigned char *block = malloc(len + sizeof(exif_header));
    if (block == NULL)
        return false;
    memcpy(block, exif_header, sizeof(exif_header));
    memcpy(block + sizeof(exif_header), tiff, len);
    bool camera = exif_camera(block, len + sizeof(exif_header));
    free(block);
    return camera;
}

/* ------------------------------------------------------------- formats */

static void
probe_png(const unsigned char *d, size_t len, struct sg_image_facts *f)
{
    /* signature, then IHDR: length, "IHDR", width, height */
    if (len < 24 || memcmp(d + 12, "IHDR", 4) != 0)
        return;
    uint32_t w = sg_be32(d + 16), h = sg_be32(d + 20);
    if (w > 0 && h > 0 && w <= INT32_MAX && h <= INT32_MAX) {
        f->width = w;
        f->height = h;
    }
    /* eXIf comes before the image data */
    for (size_t p = 8; len - p >= 12;) {
        uint32_t clen = sg_be32(d + p);
        const unsigned char *type = d + p + 4;
        if (clen > len - p - 12)
            return; /* runs past what was read */
        if (memcmp(type, "IDAT", 4) == 0 || memcmp(type, "IEND", 4) == 0)
            return;
        if (memcmp(type, "eXIf", 4) == 0) {
            f->camera = tiff_camera(d + p + 8, clen);
            return;
        }
        p += 12 + (size_t)clen;
    }
}

static void
probe_gif(const unsigned char *d, size_t len, struct sg_image_facts *f)
{
    if (len < 10)
        return;
    f->width = sg_le16(d + 6);
    f->height = sg_le16(d + 8);
}

/* JPEG: the markers up to the first frame header (SOFn) for the size, and
 * the first APP1 "Exif" segment for the camera. */
static void
probe_jpeg(const unsigned char *d, size_t len, struct sg_image_facts *f)
{
    bool exif_seen = false;
    size_t p = 2;
    while (p < len) {
        if (d[p] != 0xFF)
            return; /* not a marker: the file is damaged */
        while (p < len && d[p] == 0xFF) /* fill bytes */
            p++;
        if (p >= len)
            return;
        unsigned m = d[p++];
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7))
            continue; /* markers without a segment */
        if (m == 0xD9 || m == 0xDA)
            return; /* end of image, start of scan: no frame header */
        if (len - p < 2)
            return;
        size_t seg = sg_be16(d + p);
        if (seg < 2 || seg > len - p)
            return;
        const unsigned char *s = d + p + 2;
        size_t slen = seg - 2;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (slen >= 5) {
                f->height = sg_be16(s + 1);
                f->width = sg_be16(s + 3);
            }
            return; /* camera data comes before the frame */
        }
        if (m == 0xE1 && !exif_seen && slen >= sizeof(exif_header) &&
            memcmp(s, exif_header, sizeof(exif_header)) == 0) {
            exif_seen = true;
            f->camera = exif_camera(s, slen);
        }
        p += seg;
    }
}

/* WebP: a RIFF file of chunks; the size is in VP8, VP8L or VP8X, camera
 * data in EXIF. */
static void
probe_webp(const unsigned char *d, size_t len, struct sg_image_facts *f)
{
    for (size_t p = 12; len - p >= 8;) {
        const unsigned char *id = d + p, *c = d + p + 8;
        uint32_t clen = sg_le32(d + p + 4);
        size_t avail = len - p - 8;
        size_t have = clen < avail ? clen : avail;
        if (memcmp(id, "VP8 ", 4) == 0 && have >= 10 && c[3] == 0x9D &&
            c[4] == 0x01 && c[5] == 0x2A) {
            f->width = sg_le16(c + 6) & 0x3FFF;
            f->height = sg_le16(c + 8) & 0x3FFF;
        } else if (memcmp(id, "VP8L", 4) == 0 && have >= 5 && c[0] == 0x2F) {
            uint32_t bits = sg_le32(c + 1);
            f->width = (bits & 0x3FFF) + 1;
            f->height = ((bits >> 14) & 0x3FFF) + 1;
        } else if (memcmp(id, "VP8X", 4) == 0 && have >= 10) {
            f->width = ((unsigned)c[4] | (unsigned)c[5] << 8 |
                        (unsigned)c[6] << 16) + 1;
            f->height = ((unsigned)c[7] | (unsigned)c[8] << 8 |
                         (unsigned)c[9] << 16) + 1;
        } else if (memcmp(id, "EXIF", 4) == 0 && have == clen) {
            f->camera = tiff_camera(c, clen);
        }
        if (clen >= avail)
            return;
        p += 8 + (size_t)clen + (clen & 1); /* chunks are padded to even */
        if (p > len)
            return;
    }
}

static void
probe_bmp(const unsigned char *d, size_t len, struct sg_image_facts *f)
{
    if (len < 26 || sg_le32(d + 14) < 40) /* BITMAPINFOHEADER or later */
        return;
    int32_t w = (int32_t)sg_le32(d + 18), h = (int32_t)sg_le32(d + 22);
    if (w > 0 && h != 0 && h != INT32_MIN) {
        f->width = (unsigned)w;
        f->height = (unsigned)(h < 0 ? -h : h);
    }
}

void
sg_image_probe(const unsigned char *data, size_t len,
               struct sg_image_facts *facts)
{
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G',
                                             '\r', '\n', 0x1A, '\n'};
    memset(facts, 0, sizeof(*facts));
    if (data == NULL)
        return;
    if (len >= 8 && memcmp(data, png_sig, 8) == 0) {
        facts->type = "image/png";
        probe_png(data, len, facts);
    } else if (len >= 6 && (memcmp(data, "GIF87a", 6) == 0 ||
                            memcmp(data, "GIF89a", 6) == 0)) {
        facts->type = "image/gif";
        probe_gif(data, len, facts);
    } else if (len >= 3 && data[0] == 0xFF && data[1] == 0xD8 &&
               data[2] == 0xFF) {
        facts->type = "image/jpeg";
        probe_jpeg(data, len, facts);
    } else if (len >= 12 && memcmp(data, "RIFF", 4) == 0 &&
               memcmp(data + 8, "WEBP", 4) == 0) {
        facts->type = "image/webp";
        probe_webp(data, len, facts);
    } else if (len >= 2 && data[0] == 'B' && data[1] == 'M') {
        facts->type = "image/bmp";
        probe_bmp(data, len, facts);
    }
    if (facts->width == 0 || facts->height == 0)
        facts->width = facts->height = 0; /* half a size is none */
}

/* ------------------------------------------------------------- cid: */

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Where a cid: URL ends: a quote, white space, an angle bracket or a
 * parenthesis (CSS url(cid:...)). */
static bool
cid_end(unsigned char c)
{
    return c == '"' || c == '\'' || c == '<' || c == '>' || c == '(' ||
           c == ')' || c <= ' ' || c == 0x7F;
}

static int
cid_add(struct sg_cid_refs *refs, const char *s, size_t len)
{
    if (refs->n >= SG_CID_REFS_MAX)
        return 0;
    char *cid = malloc(len + 1);
    if (cid == NULL)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) { /* RFC 2392: %hh escapes */
        int hi, lo;
        if (s[i] == '%' && len - i >= 3 &&
            (hi = hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = hexval((unsigned char)s[i + 2])) >= 0) {
            cid[n++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            cid[n++] = s[i];
        }
    }
    cid[n] = '\0';
    if (n == 0 || memchr(cid, '\0', n) != NULL || sg_cid_refs_has(refs, cid)) {
        free(cid);
        return 0;
    }
    if (refs->n == refs->cap) {
        size_t ncap = refs->cap == 0 ? 8 : refs->cap * 2;
        char **grown = realloc(refs->v, ncap * sizeof(*grown));
        if (grown == NULL) {
            free(cid);
            return -1;
        }
        refs->v = grown;
        refs->cap = ncap;
    }
    refs->v[refs->n++] = cid;
    return 0;
}

int
sg_cid_refs_scan(struct sg_cid_refs *refs, const char *html, size_t len)
{
    if (html == NULL)
        return 0;
    /* each "cid:" found through its ':' (memchr), from i on */
    size_t i = 0;
    while (len - i >= 4 && refs->n < SG_CID_REFS_MAX) {
        const char *colon = memchr(html + i + 3, ':', len - i - 3);
        if (colon == NULL)
            break;
        i = (size_t)(colon - html) - 3;
        if (strncasecmp(html + i, "cid:", 4) != 0) {
            i++;
            continue;
        }
        size_t start = i + 4, end = start;
        while (end < len && end - start < SG_CID_MAX &&
               !cid_end((unsigned char)html[end]))
            end++;
        if (end > start && cid_add(refs, html + start, end - start) < 0)
            return -1;
        i = end;
    }
    return 0;
}

bool
sg_cid_refs_has(const struct sg_cid_refs *refs, const char *content_id)
{
    if (content_id == NULL || *content_id == '\0')
        return false;
    for (size_t i = 0; i < refs->n; i++)
        if (strcasecmp(refs->v[i], content_id) == 0)
            return true;
    return false;
}

void
sg_cid_refs_free(struct sg_cid_refs *refs)
{
    for (size_t i = 0; i < refs->n; i++)
        free(refs->v[i]);
    free(refs->v);
    memset(refs, 0, sizeof(*refs));
}
