#!/usr/bin/env python3
"""make_images.py - writes the images and messages of the image tests.

Run from anywhere; it writes next to itself (tests/unit/data/images/) and
into ../mime/img_*.eml.  The outputs are committed, so the tests never run
this; it is here so that anyone can see how each file was made and make
them again.  Images are real files: PNGs with zlib-compressed rows, a GIF
with LZW data, JPEGs with a valid baseline scan (one flat grey) and, for
camera photographs, an APP1 EXIF block with Make, Model and
DateTimeOriginal, as a phone writes it.
"""
import base64
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
MIME = os.path.join(HERE, "..", "mime")


# ------------------------------------------------------------------ PNG
def png(width, height, rgb=(30, 90, 160), exif=None):
    def chunk(kind, data):
        body = kind + data
        return (struct.pack(">I", len(data)) + body +
                struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF))
    row = b"\0" + bytes(rgb) * width
    raw = zlib.compress(row * height, 9)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if exif is not None:
        out += chunk(b"eXIf", exif)
    out += chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    return out


# ------------------------------------------------------------------ GIF
def gif(width, height):
    # one colour; LZW minimum code size 2: clear, index 0 for every pixel
    # (codes of 3 bits; a fresh clear every 2 pixels keeps the width 3)
    bits, nbits, out = 0, 0, bytearray()
    def put(code):
        nonlocal bits, nbits
        bits |= code << nbits
        nbits += 3
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    for i in range(width * height):
        if i % 2 == 0:
            put(4)  # clear
        put(0)
    put(5)  # end
    if nbits:
        out.append(bits & 0xFF)
    blocks = b"".join(bytes([len(out[i:i + 255])]) + bytes(out[i:i + 255])
                      for i in range(0, len(out), 255))
    return (b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) +
            b"\xff\xcc\x00\x00\x00\x00" +  # two colours
            b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) +
            b"\x02" + blocks + b"\x00;")


# ------------------------------------------------------------------ JPEG
def tiff_exif(make, model, taken):
    """A little-endian TIFF block: IFD0 (Make, Model, ExifIFD pointer) and
    an Exif IFD with DateTimeOriginal."""
    def ascii(s):
        return s.encode() + b"\0"
    make_b, model_b, taken_b = ascii(make), ascii(model), ascii(taken)
    ifd0_off = 8
    ifd0_len = 2 + 3 * 12 + 4
    exif_off = ifd0_off + ifd0_len
    exif_len = 2 + 1 * 12 + 4
    data_off = exif_off + exif_len
    make_off = data_off
    model_off = make_off + len(make_b)
    taken_off = model_off + len(model_b)
    out = b"II*\0" + struct.pack("<I", ifd0_off)
    out += struct.pack("<H", 3)
    out += struct.pack("<HHII", 0x010F, 2, len(make_b), make_off)
    out += struct.pack("<HHII", 0x0110, 2, len(model_b), model_off)
    out += struct.pack("<HHII", 0x8769, 4, 1, exif_off)
    out += struct.pack("<I", 0)
    out += struct.pack("<H", 1)
    out += struct.pack("<HHII", 0x9003, 2, len(taken_b), taken_off)
    out += struct.pack("<I", 0)
    return out + make_b + model_b + taken_b


def jpeg(width, height, exif=None, software=None):
    def seg(marker, data):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(data) + 2) + data
    out = b"\xff\xd8"
    if exif is not None:
        out += seg(0xE1, b"Exif\0\0" + exif)
    else:
        out += seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    if software is not None:
        out += seg(0xFE, software.encode())  # a comment, as editors write
    out += seg(0xDB, b"\x00" + bytes([1] * 64))
    out += seg(0xC0, struct.pack(">BHHB", 8, height, width, 1) + b"\x01\x11\x00")
    # two-symbol tables: DC category 0 is "00", AC end-of-block is "00"
    dht = b"\x00" + bytes([0, 2] + [0] * 14) + b"\x00\x01"
    dht += b"\x10" + bytes([0, 2] + [0] * 14) + b"\x00\x01"
    out += seg(0xC4, dht)
    out += seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    out += b"\x00" * ((blocks * 4 + 7) // 8)  # 4 bits a block, all zero
    return out + b"\xff\xd9"


# ------------------------------------------------------------------ WebP, BMP
def riff(chunks):
    body = b"WEBP" + b"".join(
        k + struct.pack("<I", len(d)) + d + (b"\0" if len(d) & 1 else b"")
        for k, d in chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def webp_lossy(width, height):
    # a VP8 key frame header: frame tag, start code, sizes
    return b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\0" * 16


def webp_lossless(width, height):
    bits = (width - 1) | ((height - 1) << 14)
    return riff([(b"VP8L", b"\x2f" + struct.pack("<I", bits) + b"\0" * 8)])


def webp_extended(width, height, exif):
    vp8x = (b"\x08\0\0\0" + (width - 1).to_bytes(3, "little") +
            (height - 1).to_bytes(3, "little"))
    return riff([(b"VP8X", vp8x), (b"VP8 ", webp_lossy(width, height)),
                 (b"EXIF", exif)])


def bmp(width, height):
    # top-down (negative height), 32 bits a pixel, black
    pixels = b"\0" * (4 * width * height)
    return (b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54) +
            struct.pack("<IiiHHIIiiII", 40, width, -height, 1, 32, 0,
                        len(pixels), 0, 0, 0, 0) + pixels)


PHONE = tiff_exif("Apple", "iPhone 13", "2026:06:12 10:41:07")
CAMERA = tiff_exif("Canon", "Canon EOS 250D", "2026:07:03 14:02:55")


def b64(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


# ------------------------------------------------------------------ mail
HEAD = """Return-Path: <a.jones@school.example>
From: Anna Jones <a.jones@school.example>
To: {to}
Subject: {subject}
Date: {date}
Message-ID: <{mid}@school.example>
MIME-Version: 1.0
"""

OUTLOOK_SIG = """<p class=3DMsoNormal><span style=3D'font-size:10.0pt;font-family:"Arial",sans-serif;color:#1F3864'>Anna Jones<o:p></o:p></span></p>
<p class=3DMsoNormal><span style=3D'font-size:10.0pt;font-family:"Arial",sans-serif;color:#1F3864'>Head of Year 5 | Oakfield Academy<o:p></o:p></span></p>
<p class=3DMsoNormal><span style=3D'font-size:10.0pt;color:#1F3864'><img width=3D150 height=3D45 style=3D'width:1.5625in;height:.4687in' id=3D"Picture_x0020_1" src=3D"cid:image001.png@01DAB2C3.5E6F7A80" alt=3D"Oakfield Academy"></span><o:p></o:p></p>
"""


def outlook_part(p, disposition):
    """One image part as Outlook writes it (a Content-ID when inline)."""
    cid = "Content-ID: <%s>\n" % p["cid"] if p.get("cid") else ""
    return ("Content-Type: {t}; name=\"{n}\"\nContent-Description: {n}\n"
            "Content-Disposition: {disp}; filename=\"{n}\"; size={s}\n"
            "{cid}Content-Transfer-Encoding: base64\n\n{d}\n"
            ).format(t=p["type"], n=p["name"], s=len(p["data"]), disp=disposition,
                     cid=cid, d=b64(p["data"]))


def outlook(subject, to, date, mid, body_html, body_text, parts):
    """An Outlook message: multipart/related inside multipart/alternative
    when it has inline images, then attachments (multipart/mixed)."""
    inline = [p for p in parts if p.get("cid")]
    attached = [p for p in parts if not p.get("cid")]
    html = ("<html xmlns:v=3D\"urn:schemas-microsoft-com:vml\" "
            "xmlns:o=3D\"urn:schemas-microsoft-com:office:office\">"
            "<head><meta http-equiv=3DContent-Type content=3D\"text/html; "
            "charset=3Dus-ascii\"><style><!--p.MsoNormal{margin:0cm;"
            "font-size:11.0pt;font-family:\"Calibri\",sans-serif;}--></style>"
            "</head><body lang=3DEN-GB link=3D\"#0563C1\"><div class=3DWordSection1>\n"
            + body_html + "</div></body></html>\n")
    alt = ("--b_alt\nContent-Type: text/plain; charset=\"us-ascii\"\n"
           "Content-Transfer-Encoding: quoted-printable\n\n" + body_text +
           "\n\n--b_alt\nContent-Type: text/html; charset=\"us-ascii\"\n"
           "Content-Transfer-Encoding: quoted-printable\n\n" + html +
           "\n--b_alt--\n")
    body = ("Content-Type: multipart/alternative; boundary=\"b_alt\"\n\n" + alt)
    if inline:
        rel = "--b_rel\n" + body
        for p in inline:
            rel += "\n--b_rel\n" + outlook_part(p, "inline")
        rel += "\n--b_rel--\n"
        body = ("Content-Type: multipart/related; boundary=\"b_rel\"; "
                "type=\"multipart/alternative\"\n\n" + rel)
    if attached:
        mixed = "--b_mix\n" + body
        for p in attached:
            mixed += "\n--b_mix\n" + outlook_part(p, "attachment")
        mixed += "\n--b_mix--\n"
        body = ("Content-Type: multipart/mixed; boundary=\"b_mix\"\n\n" + mixed)
    return (HEAD.format(to=to, subject=subject, date=date, mid=mid) +
            "X-Mailer: Microsoft Outlook 16.0\nThread-Index: AdrE3kq8y0ZTtOb5QW2\n"
            + body)


def gmail(subject, to, date, mid, body_html, body_text, parts):
    """A Gmail message: signature image inline as ii_..., with X-Attachment-Id."""
    rel = ("--0000000000001a2b\nContent-Type: multipart/alternative; "
           "boundary=\"0000000000001a2a\"\n\n--0000000000001a2a\n"
           "Content-Type: text/plain; charset=\"UTF-8\"\n\n" + body_text +
           "\n\n--0000000000001a2a\nContent-Type: text/html; charset=\"UTF-8\"\n"
           "Content-Transfer-Encoding: quoted-printable\n\n" + body_html +
           "\n\n--0000000000001a2a--\n")
    for p in parts:
        rel += ("--0000000000001a2b\nContent-Type: {t}; name=\"{n}\"\n"
                "Content-Disposition: inline; filename=\"{n}\"\n"
                "Content-Transfer-Encoding: base64\n"
                "Content-ID: <{c}>\nX-Attachment-Id: {c}\n\n{d}\n"
                ).format(t=p["type"], n=p["name"], c=p["cid"], d=b64(p["data"]))
    rel += "--0000000000001a2b--\n"
    return (HEAD.format(to=to, subject=subject, date=date, mid=mid) +
            "Content-Type: multipart/related; boundary=\"0000000000001a2b\"\n\n" + rel)


LOGO = png(300, 90, (31, 56, 100))
SIG_GMAIL = png(240, 80, (200, 30, 40))
ICON = gif(16, 16)
EMOJI = png(20, 20, (250, 200, 0))
HEADER = png(600, 120, (0, 94, 62))
PHOTO = jpeg(1600, 1200, PHONE)
PASTED = jpeg(1024, 768, CAMERA)
SCREENSHOT = png(1400, 900, (120, 120, 120))
HEIC = (struct.pack(">I", 24) + b"ftypheic\0\0\0\0mif1heic" +
        bytes(range(256)) * 600)  # a HEIC file's start; its size unread

TEXT_SIG = "Anna Jones\nHead of Year 5 | Oakfield Academy\n"

MESSAGES = {
    # ---- near misses: nothing here is a photograph
    "img_outlook_signature.eml": outlook(
        "Re: Year 5 trip to the Science Museum - coach times",
        "bookings@coachhire.example", "Tue, 16 Jun 2026 09:12:40 +0100",
        "AM0PR01MB1234", """<p class=3DMsoNormal>Hi Mark,<o:p></o:p></p>
<p class=3DMsoNormal>Thanks for confirming. We will be ready at the front gate for 08:45, and back by 15:30 if the traffic allows.<o:p></o:p></p>
<p class=3DMsoNormal>Kind regards,<o:p></o:p></p>
""" + OUTLOOK_SIG + """<div style=3D'border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>
<p class=3DMsoNormal><b>From:</b> Mark Hill &lt;bookings@coachhire.example&gt;<br><b>Sent:</b> 15 June 2026 16:20<br><b>To:</b> Anna Jones &lt;a.jones@school.example&gt;<br><b>Subject:</b> Year 5 trip to the Science Museum - coach times<o:p></o:p></p></div>
<p class=3DMsoNormal>Two 53-seat coaches are booked for Thursday 25 June.<o:p></o:p></p>
""", "Hi Mark,\n\nThanks for confirming. We will be ready at the front gate for 08:45.\n\nKind regards,\n" + TEXT_SIG,
        [{"type": "image/png", "name": "image001.png",
          "cid": "image001.png@01DAB2C3.5E6F7A80", "data": LOGO}]),
    "img_gmail_signature.eml": gmail(
        "Music service invoice, summer term", "accounts@musichub.example",
        "Wed, 17 Jun 2026 14:03:11 +0100", "CAJx8k2+ab",
        """<div dir=3D"ltr">Hello,<div><br></div><div>Please find the summer term figures below; 14 pupils have violin lessons and 9 have guitar.</div><div><br></div><div>Best wishes,</div><div><br></div><span class=3D"gmail_signature_prefix">-- </span><br><div dir=3D"ltr" class=3D"gmail_signature"><div dir=3D"ltr"><img src=3D"cid:ii_lxq3k9s80" alt=3D"Oakfield Academy" width=3D"120" height=3D"40"><br>Anna Jones<br>Oakfield Academy</div></div></div>""",
        "Hello,\n\nPlease find the summer term figures below.\n\nBest wishes,\n\n-- \nAnna Jones\nOakfield Academy",
        [{"type": "image/png", "name": "logo.png", "cid": "ii_lxq3k9s80",
          "data": SIG_GMAIL}]),
    "img_icons.eml": outlook(
        "Sports day volunteers", "pta@oakfieldfriends.example",
        "Thu, 18 Jun 2026 11:30:00 +0100", "AM0PR01MB2345",
        """<p class=3DMsoNormal>Thank you all for offering to help on sports day <img width=3D16 height=3D16 src=3D"cid:image002.gif@01DAB2C3.5E6F7A80" alt=3D"smile"> <img width=3D20 height=3D20 src=3D"cid:emoji_1f31e.png" alt=3D"sun"><o:p></o:p></p>
<p class=3DMsoNormal>Please arrive by 12:30.<o:p></o:p></p>
""" + OUTLOOK_SIG,
        "Thank you all for offering to help on sports day.\nPlease arrive by 12:30.\n\n" + TEXT_SIG,
        [{"type": "image/png", "name": "image001.png",
          "cid": "image001.png@01DAB2C3.5E6F7A80", "data": LOGO},
         {"type": "image/gif", "name": "image002.gif",
          "cid": "image002.gif@01DAB2C3.5E6F7A80", "data": ICON},
         {"type": "image/png", "name": "emoji_1f31e.png",
          "cid": "emoji_1f31e.png", "data": EMOJI}]),
    "img_newsletter.eml": outlook(
        "Oakfield Academy newsletter - June", "editor@localnews.example",
        "Fri, 19 Jun 2026 15:45:00 +0100", "AM0PR01MB3456",
        """<table width=3D"600" cellpadding=3D"0" cellspacing=3D"0"><tr><td><img width=3D600 height=3D120 src=3D"cid:header.png@oakfield" alt=3D"Oakfield Academy News"></td></tr>
<tr><td><h2>Summer fair</h2><p>The summer fair raised &pound;2,140 for the library. Thank you to everyone who baked, sold and bought.</p></td></tr>
<tr><td><h2>Dates</h2><p>Year 6 leavers' assembly: Friday 17 July, 14:00.</p></td></tr></table>
""" + OUTLOOK_SIG,
        "Summer fair\nThe summer fair raised GBP 2,140 for the library.\n\n" + TEXT_SIG,
        [{"type": "image/png", "name": "header.png", "cid": "header.png@oakfield",
          "data": HEADER},
         {"type": "image/png", "name": "image001.png",
          "cid": "image001.png@01DAB2C3.5E6F7A80", "data": LOGO}]),
    # ---- breaches
    "img_camera_attached.eml": outlook(
        "Photos from sports day", "prints@photoprint.example",
        "Mon, 22 Jun 2026 16:10:00 +0100", "AM0PR01MB4567",
        """<p class=3DMsoNormal>Hello,<o:p></o:p></p>
<p class=3DMsoNormal>Here is the first one for the display board, printed A3 please.<o:p></o:p></p>
""" + OUTLOOK_SIG,
        "Hello,\n\nHere is the first one for the display board, printed A3 please.\n\n" + TEXT_SIG,
        [{"type": "image/png", "name": "image001.png",
          "cid": "image001.png@01DAB2C3.5E6F7A80", "data": LOGO},
         {"type": "image/jpeg", "name": "IMG_4821.JPG", "data": PHOTO}]),
    "img_pasted_photo.eml": outlook(
        "Re: Class photo for the website", "studio@webdesign.example",
        "Tue, 23 Jun 2026 10:05:00 +0100", "AM0PR01MB5678",
        """<p class=3DMsoNormal>Hi Sam,<o:p></o:p></p>
<p class=3DMsoNormal>This is the one we liked best:<o:p></o:p></p>
<p class=3DMsoNormal><img width=3D640 height=3D480 style=3D'width:6.6666in;height:5.0in' id=3D"Picture_x0020_2" src=3D"cid:image002.jpg@01DAB2C3.5E6F7A80"><o:p></o:p></p>
""" + OUTLOOK_SIG,
        "Hi Sam,\n\nThis is the one we liked best:\n[cid:image002.jpg@01DAB2C3.5E6F7A80]\n\n" + TEXT_SIG,
        [{"type": "image/png", "name": "image001.png",
          "cid": "image001.png@01DAB2C3.5E6F7A80", "data": LOGO},
         {"type": "image/jpeg", "name": "image002.jpg",
          "cid": "image002.jpg@01DAB2C3.5E6F7A80", "data": PASTED}]),
    "img_screenshot.eml": outlook(
        "Class photo", "grandparents.family@example.com",
        "Wed, 24 Jun 2026 12:20:00 +0100", "AM0PR01MB6789",
        """<p class=3DMsoNormal>As promised, the class photo (screenshot from the photographer's proofs).<o:p></o:p></p>
""" + OUTLOOK_SIG,
        "As promised, the class photo.\n\n" + TEXT_SIG,
        [{"type": "image/png", "name": "Screenshot 2026-06-24 121744.png",
          "data": SCREENSHOT}]),
    "img_heic.eml": outlook(
        "From the trip", "family.fun@example.org",
        "Thu, 25 Jun 2026 17:40:00 +0100", "AM0PR01MB7890",
        "<p class=3DMsoNormal>A few from today.<o:p></o:p></p>\n" + OUTLOOK_SIG,
        "A few from today.\n\n" + TEXT_SIG,
        [{"type": "image/heic", "name": "IMG_4830.HEIC", "data": HEIC}]),
    "img_disguised_photo.eml": outlook(
        "Minutes", "someone@example.net",
        "Fri, 26 Jun 2026 08:15:00 +0100", "AM0PR01MB8901",
        "<p class=3DMsoNormal>See attached.<o:p></o:p></p>\n" + OUTLOOK_SIG,
        "See attached.\n\n" + TEXT_SIG,
        [{"type": "application/octet-stream", "name": "minutes.dat",
          "data": PHOTO}]),
}


def main():
    files = {
        "logo.png": LOGO, "icon.gif": ICON, "photo_exif.jpg": PHOTO,
        "screenshot.png": SCREENSHOT, "header.png": HEADER,
        "plain.jpg": jpeg(800, 600, None, "edited"),
        "exif.png": png(64, 48, (5, 5, 5), PHONE),
        "lossy.webp": riff([(b"VP8 ", webp_lossy(640, 480))]),
        "lossless.webp": webp_lossless(320, 200),
        "exif.webp": webp_extended(2000, 1500, PHONE),
        "icon.bmp": bmp(2, 2),
    }
    for name, data in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)
    for name, text in MESSAGES.items():
        with open(os.path.join(MIME, name), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
