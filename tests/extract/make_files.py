#!/usr/bin/env python3
"""make_files.py DIR - write the attachments the extraction tests read:
office files, PDFs, ZIPs and hostile ones, made here so that no binary
test data is committed.  Each file looks like what a school's staff send
(a letter, a class list, a trip form) with a mobile number or pupil data
where the tests look for it."""
import io
import os
import struct
import sys
import zipfile
import zlib

OUT = sys.argv[1] if len(sys.argv) == 2 else None


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def zipped(files, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in files:
            z.writestr(name, data)
    return buf.getvalue()


CT = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' \
     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' \
     '<Default Extension="xml" ContentType="application/xml"/></Types>'
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx(paragraphs, table=None):
    body = ""
    for p in paragraphs:
        # Word splits a paragraph into runs wherever formatting changes
        runs = "".join('<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r>' % r
                       for r in p)
        body += "<w:p>%s</w:p>" % runs
    if table:
        rows = "".join("<w:tr>%s</w:tr>" % "".join(
            "<w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc>" % c for c in row)
            for row in table)
        body += "<w:tbl>%s</w:tbl>" % rows
    doc = '<?xml version="1.0" encoding="UTF-8"?><w:document %s><w:body>%s</w:body></w:document>' % (W, body)
    styles = '<?xml version="1.0"?><w:styles %s><w:style><w:name w:val="Normal"/></w:style></w:styles>' % W
    return zipped([("[Content_Types].xml", CT), ("word/document.xml", doc),
                   ("word/styles.xml", styles),
                   ("word/footer1.xml", '<w:ftr %s><w:p><w:r><w:t>Oakfield Academy</w:t></w:r></w:p></w:ftr>' % W)])


def col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def xlsx(rows):
    strings, cells = [], []
    for r, row in enumerate(rows):
        cs = ""
        for c, v in enumerate(row):
            ref = "%s%d" % (col(c), r + 1)
            if v is None:
                continue
            if isinstance(v, (int, float)):
                cs += '<c r="%s"><v>%s</v></c>' % (ref, v)
            else:
                strings.append(v)
                cs += '<c r="%s" t="s"><v>%d</v></c>' % (ref, len(strings) - 1)
        cells.append('<row r="%d">%s</row>' % (r + 1, cs))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    sst = '<?xml version="1.0"?><sst %s count="%d">%s</sst>' % (
        ns, len(strings), "".join("<si><t>%s</t></si>" % s for s in strings))
    sheet = '<?xml version="1.0"?><worksheet %s><sheetData>%s</sheetData></worksheet>' % (ns, "".join(cells))
    wb = '<?xml version="1.0"?><workbook %s><sheets><sheet name="Year 9" sheetId="1"/></sheets></workbook>' % ns
    return zipped([("[Content_Types].xml", CT), ("xl/workbook.xml", wb),
                   ("xl/sharedStrings.xml", sst), ("xl/worksheets/sheet1.xml", sheet)])


def pptx(slides):
    ns = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" ' \
         'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
    files = [("[Content_Types].xml", CT),
             ("ppt/presentation.xml", '<p:presentation %s/>' % ns),
             ("ppt/slideMasters/slideMaster1.xml",
              '<p:sldMaster %s><a:p><a:r><a:t>Click to edit Master title style</a:t></a:r></a:p></p:sldMaster>' % ns)]
    for i, text in enumerate(slides):
        files.append(("ppt/slides/slide%d.xml" % (i + 1),
                      '<p:sld %s><p:txBody><a:p><a:r><a:t>%s</a:t></a:r></a:p></p:txBody></p:sld>' % (ns, text)))
    return zipped(files)


def odf(kind, body):
    ns = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ' \
         'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ' \
         'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
    content = '<?xml version="1.0"?><office:document-content %s><office:body>%s</office:body></office:document-content>' % (ns, body)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument." + kind)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", "<manifest/>", zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def pdf(lines, photo=b""):
    """A one-page PDF with its text in Helvetica, as a word processor's
    "save as PDF" writes it (compressed content stream, xref table), and
    a photograph (JPEG bytes) in its resources when photo is given."""
    ops = "BT /F1 11 Tf 72 760 Td 14 TL\n"
    for line in lines:
        ops += "(%s) '\n" % line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    ops += "ET\n"
    stream = zlib.compress(ops.encode("latin-1"))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 4 0 R >>%s >> /Contents 5 0 R >>"
            % (b" /XObject << /Im1 6 0 R >>" if photo else b""),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    if photo:
        objs.append(b"<< /Type /XObject /Subtype /Image /Width 2000 /Height 1500 "
                    b"/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
                    b"/Length %d >>\nstream\n" % len(photo) + photo + b"\nendstream")
    out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    offsets = []
    for i, o in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return out


if len(sys.argv) == 4 and sys.argv[1] == "--prospectus":
    # make_files.py --prospectus BYTES FILE: a prospectus of that size,
    # mostly a photograph of the school
    with open(sys.argv[3], "wb") as f:
        f.write(pdf(["Oakfield Academy Prospectus", "Office: 01632 960000"],
                    b"\xff\xd8\xff\xe0" + os.urandom(int(sys.argv[2]))))
    sys.exit(0)
if OUT is None:
    sys.exit(__doc__)
os.makedirs(OUT, exist_ok=True)

# --- ordinary school files with a mobile number where a breach would put it
put("letter.docx", docx([["Dear Jordan,"],
                         ["If you need help with the coursework text me on ", "07700 ", "900123", " any evening."],
                         ["Mr Davies"]],
                        table=[["Task", "Due"], ["Essay draft", "Friday"]]))
put("trip.pdf", pdf(["Year 9 Geography field trip",
                     "Any problems on the day, ring my mobile 07700 900456.",
                     "Ms Patel"]))
put("newsletter.pdf", pdf(["Oakfield Academy Newsletter - Spring Term",
                           "Sports day is on 14 June. Parents are welcome from 1pm.",
                           "The school office is open 8am to 4pm."]))
put("classlist.xlsx", xlsx([["Surname", "Forename", "DOB", "UPN"],
                            ["Hughes", "Amelia", 39512, "A123456789012"],
                            ["Khan", "Zain", 39601, "B123456789012"],
                            [None, "Total", 2, None]]))
put("slides.pptx", pptx(["Revision tips", "Questions? WhatsApp me 07700 900789"]))
put("minutes.odt", odf("text", "<office:text><text:p>Minutes of the PTA meeting</text:p>"
                       "<text:p>Contact<text:s/>Sam on 07700<text:s/>900321</text:p></office:text>"))
put("rota.ods", odf("spreadsheet", "<office:spreadsheet><table:table>"
                    "<table:table-row><table:table-cell><text:p>Name</text:p></table:table-cell>"
                    "<table:table-cell><text:p>Phone</text:p></table:table-cell></table:table-row>"
                    "<table:table-row><table:table-cell><text:p>Lee</text:p></table:table-cell>"
                    "<table:table-cell><text:p>07700 900654</text:p></table:table-cell></table:table-row>"
                    "</table:table></office:spreadsheet>"))
put("note.rtf", b"{\\rtf1\\ansi{\\fonttbl{\\f0 Calibri;}}{\\*\\generator Riched20}"
    b"\\f0 Call me on 07700\\~900111\\par Caf\\'e9 at 4\\par}")
put("contact.vcf", b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mr Davies\r\nTEL;TYPE=CELL:07700 9\r\n 00222\r\nEND:VCARD\r\n")
put("photos.zip", zipped([("trip/letter.docx", open(os.path.join(OUT, "letter.docx"), "rb").read()),
                          ("trip/photo.jpg", b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)]))
put("binary.bin", bytes(range(256)) * 8)
# Excel's "Unicode Text" export: UTF-16LE with a byte order mark, tabs
put("register.txt", "\ufeffSurname\tForename\tMobile\r\nHughes\tAmelia\t07700 900333\r\n"
    "Ng\u00e9\tZo\u00eb \U0001F600\t-\r\n".encode("utf-16-le"))

# --- hostile files
# a ZIP bomb: 200 MB of zeros in one entry, about 200 KB compressed
bomb = io.BytesIO()
with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    with z.open("report.txt", "w", force_zip64=True) as f:
        chunk = b"\0" * (1 << 20)
        for _ in range(200):
            f.write(chunk)
put("bomb.zip", bomb.getvalue())
# ZIPs nested 10 deep around a note with a number
inner = zipped([("note.txt", "text me 07700 900999")])
for i in range(10):
    inner = zipped([("level%d.zip" % i, inner)])
put("nested.zip", inner)
# an encrypted entry (the general purpose "encrypted" flag, as a
# password-protected ZIP has it)
enc = bytearray(zipped([("pupils.csv", "Surname,Forename,DOB\nHughes,Amelia,2008-03-04\n")]))
for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
    i = enc.find(sig)
    enc[i + off] |= 1
put("encrypted.zip", bytes(enc))
# a PDF cut off in the middle of its objects
put("truncated.pdf", pdf(["Half a page"])[:60])
