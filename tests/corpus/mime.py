"""mime.py - the pieces gen.py builds corpus messages from: MIME parts as
real clients write them (Outlook, Gmail, Apple Mail, Thunderbird) and the
attachments school mail carries (PDF, Word, Excel, OpenDocument, ZIP,
iCalendar, vCard, PNG logos, JPEG photographs with EXIF).

Everything is deterministic: the same input gives the same bytes (fixed
boundaries from a counter, fixed ZIP timestamps, no randomness), so the
committed messages are exactly what `gen.py` writes.
"""
import base64
import hashlib
import html
import quopri
import struct
import textwrap
import zipfile
import zlib
from io import BytesIO

ZIP_TIME = (2026, 11, 16, 9, 0, 0)


def boundary(seed, n, style=None):
    """A MIME boundary in the form STYLE's client writes (Outlook,
    Gmail, Apple Mail, Thunderbird), made from SEED and N."""
    h = hashlib.sha1(("%s/%d" % (seed, n)).encode()).hexdigest()
    if style == "outlook":
        return "_%03d_LO2P265MB5142%sLO2P265MB5142GBRP_" % (n - 1, h[:16].upper())
    if style == "gmail":
        return "0000000000%s" % h[:18]
    if style == "apple":
        return "Apple-Mail=_%s-%s-%s-%s-%s" % (
            h[:8].upper(), h[8:12].upper(), h[12:16].upper(),
            h[16:20].upper(), h[20:32].upper())
    if style == "thunderbird":
        return "------------%s" % base64.b64encode(bytes.fromhex(h[:36]))\
            .decode().replace("+", "a").replace("/", "b")[:24]
    return "_%03d_%s" % (n, h[:28])


def qp(text):
    """Quoted-printable of UTF-8 text, lines of at most 76."""
    return quopri.encodestring(text.encode("utf-8")).decode("ascii")


def b64(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    s = base64.b64encode(data).decode("ascii")
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\n"


def leaf(ctype, body, cte, headers=()):
    """One MIME leaf: CTYPE (full value), BODY already encoded as CTE."""
    h = ["Content-Type: " + ctype]
    if cte:
        h.append("Content-Transfer-Encoding: " + cte)
    h.extend(headers)
    if not body.endswith("\n"):
        body += "\n"
    return "\n".join(h) + "\n\n" + body


def text_leaf(subtype, text, cte="quoted-printable", charset="utf-8",
              extra=""):
    if cte == "quoted-printable":
        body = qp(text)
    elif cte == "base64":
        body = b64(text)
    else:
        body = text
    return leaf('text/%s; charset="%s"%s' % (subtype, charset, extra), body,
                cte)


def attachment(ctype, filename, data, inline=False, cid=None, extra=()):
    h = []
    disp = "inline" if inline else "attachment"
    h.append('Content-Disposition: %s; filename="%s"' % (disp, filename))
    if cid:
        h.append("Content-ID: <%s>" % cid)
    h.extend(extra)
    return leaf('%s; name="%s"' % (ctype, filename), b64(data), "base64", h)


class Multi:
    """multipart/SUBTYPE of parts (strings or Multi)."""

    def __init__(self, subtype, parts, params=""):
        self.subtype = subtype
        self.parts = parts
        self.params = params

    def render(self, seed, counter, style=None):
        counter[0] += 1
        b = boundary(seed, counter[0], style)
        out = ['Content-Type: multipart/%s;%s\n\tboundary="%s"\n\n' %
               (self.subtype, self.params, b)]
        for p in self.parts:
            out.append("--%s\n" % b)
            out.append(p.render(seed, counter, style) if isinstance(p, Multi)
                       else p)
            out.append("\n")
        out.append("--%s--\n" % b)
        return "".join(out)


def message(headers, body, seed, style=None):
    """HEADERS: list of (name, value); BODY a leaf string or Multi; STYLE
    the client whose boundaries to write."""
    lines = ["%s: %s" % hv for hv in headers]
    lines.append("MIME-Version: 1.0")
    if isinstance(body, Multi):
        b = body.render(seed, [0], style)
    else:
        b = body
    return "\n".join(lines) + "\n" + b


# ------------------------------------------------------------ attachments

def png(width, height, seed=0):
    """A real PNG (RGB), a flat logo-like pattern."""
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        for x in range(width):
            band = (x * 7 // max(width, 1) + seed) % 3
            if band == 0:
                raw += bytes((16, 60, 120))
            elif band == 1:
                raw += bytes((240, 180, 20)) if (y // 6) % 2 else \
                    bytes((250, 250, 250))
            else:
                raw += bytes((16, 60, 120)) if y < height // 2 else \
                    bytes((250, 250, 250))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
            chunk(b"IDAT", zlib.compress(bytes(raw), 9)) +
            chunk(b"IEND", b""))


def _ifd(entries, offset, next_ifd=0):
    """A TIFF IFD (big-endian) at OFFSET; entries (tag, type, value).
    Returns (ifd bytes, data bytes following it)."""
    n = len(entries)
    data_off = offset + 2 + 12 * n + 4
    body, data = b"", b""
    for tag, typ, val in entries:
        if typ == 2:  # ASCII
            v = val.encode() + b"\0"
            if len(v) <= 4:
                body += struct.pack(">HHI", tag, 2, len(v)) + v.ljust(4, b"\0")
            else:
                body += struct.pack(">HHII", tag, 2, len(v),
                                    data_off + len(data))
                data += v + (b"\0" if len(v) % 2 else b"")
        elif typ == 3:  # SHORT
            body += struct.pack(">HHIHH", tag, 3, 1, val, 0)
        elif typ == 4:  # LONG
            body += struct.pack(">HHII", tag, 4, 1, val)
    return struct.pack(">H", n) + body + struct.pack(">I", next_ifd), data


def jpeg_with_exif(jpeg, make, model, taken):
    """Insert an EXIF APP1 (Make, Model, DateTimeOriginal, pixel size) as a
    phone camera writes it, right after SOI."""
    assert jpeg[:2] == b"\xff\xd8"
    # IFD0 at 8: Make, Model, Orientation, ExifIFD pointer
    ifd0_entries = [(0x010F, 2, make), (0x0110, 2, model), (0x0112, 3, 1),
                    (0x8769, 4, 0)]
    ifd0, d0 = _ifd(ifd0_entries, 8)
    exif_off = 8 + len(ifd0) + len(d0)
    ifd0_entries[-1] = (0x8769, 4, exif_off)
    ifd0, d0 = _ifd(ifd0_entries, 8)
    exif, d1 = _ifd([(0x9003, 2, taken), (0x9004, 2, taken),
                     (0xA002, 4, 1600), (0xA003, 4, 1200)], exif_off)
    tiff = b"MM\0*" + struct.pack(">I", 8) + ifd0 + d0 + exif + d1
    app1 = b"Exif\0\0" + tiff
    return (jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 +
            jpeg[2:])


def _zip(files, stored_first=None):
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        if stored_first:
            zi = zipfile.ZipInfo(stored_first[0], ZIP_TIME)
            zi.compress_type = zipfile.ZIP_STORED
            z.writestr(zi, stored_first[1])
        for name, data in files:
            zi = zipfile.ZipInfo(name, ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    return buf.getvalue()


def zip_of(files):
    return _zip(files)


def pdf(lines, title="Document"):
    """A one-page PDF whose text is in a FlateDecode content stream, as
    every real PDF writer stores it (no text is readable in the raw
    bytes)."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for ln in lines:
        s = ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append("(%s) Tj T*" % s)
    ops.append("ET")
    content = zlib.compress("\n".join(ops).encode("latin-1"), 9)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) +
        content + b"\nendstream",
        b"<< /Title (" + title.encode("latin-1") +
        b") /Producer (Microsoft\xae Word for Microsoft 365) >>",
    ]
    out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += (b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n"
            b"%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out


def _x(s):
    return html.escape(s, quote=False)


def docx(paragraphs):
    body = "".join('<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>'
                   % _x(p) for p in paragraphs)
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/'
           'wordprocessingml/2006/main"><w:body>%s<w:sectPr/></w:body>'
           '</w:document>' % body)
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
          'content-types"><Default Extension="rels" ContentType="application/'
          'vnd.openxmlformats-package.relationships+xml"/><Default Extension='
          '"xml" ContentType="application/xml"/><Override PartName="/word/'
          'document.xml" ContentType="application/vnd.openxmlformats-'
          'officedocument.wordprocessingml.document.main+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas'
            '.openxmlformats.org/officeDocument/2006/relationships/officeDocu'
            'ment" Target="word/document.xml"/></Relationships>')
    return _zip([("[Content_Types].xml", ct), ("_rels/.rels", rels),
                 ("word/document.xml", doc)])


def _col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def xlsx(rows):
    """ROWS: lists of str (shared strings), int/float (numbers) or
    ('date', serial) (a date, stored as Excel stores it: a serial number
    with a date style)."""
    strings, index = [], {}
    sheet_rows = []
    for r, row in enumerate(rows, 1):
        cells = []
        for c, v in enumerate(row):
            ref = "%s%d" % (_col(c), r)
            if isinstance(v, tuple):
                cells.append('<c r="%s" s="1"><v>%d</v></c>' % (ref, v[1]))
            elif isinstance(v, (int, float)):
                cells.append('<c r="%s"><v>%s</v></c>' % (ref, v))
            else:
                if v not in index:
                    index[v] = len(strings)
                    strings.append(v)
                cells.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, index[v]))
        sheet_rows.append('<row r="%d">%s</row>' % (r, "".join(cells)))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rns = ('xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships"')
    hdr = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sheet = hdr + '<worksheet %s><sheetData>%s</sheetData></worksheet>' % (
        ns, "".join(sheet_rows))
    sst = hdr + '<sst %s count="%d" uniqueCount="%d">%s</sst>' % (
        ns, len(strings), len(strings),
        "".join("<si><t>%s</t></si>" % _x(s) for s in strings))
    styles = hdr + ('<styleSheet %s><fonts count="1"><font/></fonts><fills '
                    'count="1"><fill/></fills><borders count="1"><border/>'
                    '</borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
                    '<cellXfs count="2"><xf/><xf numFmtId="14" applyNumberFor'
                    'mat="1"/></cellXfs></styleSheet>' % ns)
    wb = hdr + ('<workbook %s %s><sheets><sheet name="Sheet1" sheetId="1" '
                'r:id="rId1"/></sheets></workbook>' % (ns, rns))
    R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    wbrels = hdr + ('<Relationships xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/relationships">'
                    '<Relationship Id="rId1" Type="%sworksheet" Target="'
                    'worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
                    '%ssharedStrings" Target="sharedStrings.xml"/><Relations'
                    'hip Id="rId3" Type="%sstyles" Target="styles.xml"/>'
                    '</Relationships>' % (R, R, R))
    rels = hdr + ('<Relationships xmlns="http://schemas.openxmlformats.org/'
                  'package/2006/relationships"><Relationship Id="rId1" Type="'
                  '%sofficeDocument" Target="xl/workbook.xml"/>'
                  '</Relationships>' % R)
    M = "application/vnd.openxmlformats-officedocument.spreadsheetml."
    ct = hdr + ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="rels" ContentType="'
                'application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/xl/workbook.xml" ContentType="%s'
                'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.'
                'xml" ContentType="%sworksheet+xml"/><Override PartName="/xl/'
                'sharedStrings.xml" ContentType="%ssharedStrings+xml"/>'
                '<Override PartName="/xl/styles.xml" ContentType="%sstyles+'
                'xml"/></Types>' % (M, M, M, M))
    return _zip([("[Content_Types].xml", ct), ("_rels/.rels", rels),
                 ("xl/workbook.xml", wb), ("xl/_rels/workbook.xml.rels",
                                           wbrels),
                 ("xl/worksheets/sheet1.xml", sheet),
                 ("xl/sharedStrings.xml", sst), ("xl/styles.xml", styles)])


def odt(paragraphs):
    hdr = '<?xml version="1.0" encoding="UTF-8"?>\n'
    content = hdr + (
        '<office:document-content xmlns:office="urn:oasis:names:tc:'
        'opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:'
        'opendocument:xmlns:text:1.0" office:version="1.3"><office:body>'
        '<office:text>%s</office:text></office:body>'
        '</office:document-content>' %
        "".join("<text:p>%s</text:p>" % _x(p) for p in paragraphs))
    manifest = hdr + (
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
        'xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry '
        'manifest:full-path="/" manifest:media-type="application/vnd.oasis.'
        'opendocument.text"/><manifest:file-entry manifest:full-path="'
        'content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    return _zip([("content.xml", content), ("META-INF/manifest.xml",
                                            manifest)],
                stored_first=("mimetype",
                              "application/vnd.oasis.opendocument.text"))


def excel_serial(y, m, d):
    import datetime
    return (datetime.date(y, m, d) - datetime.date(1899, 12, 30)).days


def wrap(text, width=72):
    out = []
    for para in text.split("\n"):
        if len(para) <= width:
            out.append(para)
        else:
            out.extend(textwrap.wrap(para, width, break_long_words=False,
                                     break_on_hyphens=False))
    return "\n".join(out)


def flowed(text, width=72):
    """format=flowed (RFC 3676) as Thunderbird writes it: a soft break is a
    line ending in a space."""
    out = []
    for para in text.split("\n"):
        if para.startswith(">") or len(para) <= width:
            out.append(para)
            continue
        lines = textwrap.wrap(para, width, break_long_words=False,
                              break_on_hyphens=False)
        out.extend(ln + " " for ln in lines[:-1])
        out.append(lines[-1])
    return "\n".join(out)


def pptx(slides):
    """A presentation: SLIDES is a list of lists of text lines."""
    hdr = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    PNS = ('xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/'
           'main"')
    R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
    RNS = ('xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships"')
    PR = "http://schemas.openxmlformats.org/package/2006/relationships"
    M = "application/vnd.openxmlformats-officedocument.presentationml."
    files, ids, rels, over = [], [], [], []
    for i, lines in enumerate(slides, 1):
        paras = "".join("<a:p><a:r><a:t>%s</a:t></a:r></a:p>" % _x(t)
                        for t in lines)
        files.append(("ppt/slides/slide%d.xml" % i, hdr + (
            '<p:sld %s %s><p:cSld><p:spTree><p:sp><p:txBody><a:bodyPr/>%s'
            '</p:txBody></p:sp></p:spTree></p:cSld></p:sld>' %
            (A, PNS, paras))))
        ids.append('<p:sldId id="%d" r:id="rId%d"/>' % (255 + i, i))
        rels.append('<Relationship Id="rId%d" Type="%sslide" Target="slides/'
                    'slide%d.xml"/>' % (i, R, i))
        over.append('<Override PartName="/ppt/slides/slide%d.xml" '
                    'ContentType="%sslide+xml"/>' % (i, M))
    pres = hdr + ('<p:presentation %s %s><p:sldIdLst>%s</p:sldIdLst>'
                  '</p:presentation>' % (PNS, RNS, "".join(ids)))
    ct = hdr + ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                'content-types"><Default Extension="rels" ContentType="'
                'application/vnd.openxmlformats-package.relationships+xml"/>'
                '<Default Extension="xml" ContentType="application/xml"/>'
                '<Override PartName="/ppt/presentation.xml" ContentType="%s'
                'presentation.main+xml"/>%s</Types>' % (M, "".join(over)))
    top = hdr + ('<Relationships xmlns="%s"><Relationship Id="rId1" Type="%s'
                 'officeDocument" Target="ppt/presentation.xml"/>'
                 '</Relationships>' % (PR, R))
    prels = hdr + '<Relationships xmlns="%s">%s</Relationships>' % (
        PR, "".join(rels))
    return _zip([("[Content_Types].xml", ct), ("_rels/.rels", top),
                 ("ppt/presentation.xml", pres),
                 ("ppt/_rels/presentation.xml.rels", prels)] + files)
