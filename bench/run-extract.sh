#!/bin/sh
# run-extract.sh - what reading attachment text costs per message (see
# README.md, "Attachment text: extraction off and on"): make a small .docx
# and a small PDF (python3, fixed bytes), run bench_extract with the
# helper of the build tree, which times building the message view of 4 KB
# and 100 KB Outlook messages, with no attachment, the .docx or the PDF,
# extraction off and on, in one run; then, when valgrind is installed,
# count the instructions of the in-process part (the helper is another
# process and is not counted).
#
# Usage: bench/run-extract.sh [BENCH-PROGRAM [HELPER]]
#   BENCH-PROGRAM defaults to ./bench/bench_extract and HELPER to
#   ./extract/safeguard-extract (run from the build directory).  RUNS (200)
#   builds of each message each way; NO_CALLGRIND=1 skips the instruction
#   counts.
# Fails (exit 1) when a program is missing or the benchmark reports an
# error (a view without the attachment's text included).
set -u

here=$(cd "$(dirname "$0")" && pwd)
prog=${1:-./bench/bench_extract}
helper=${2:-./extract/safeguard-extract}

for p in "$prog" "$helper"; do
    [ -x "$p" ] || { echo "FAIL: $p is not built (make)" >&2; exit 1; }
done
case $helper in /*) ;; *) helper=$(pwd)/$helper ;; esac
command -v python3 >/dev/null 2>&1 || { echo "FAIL: python3 is missing" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/sg-bench-extract.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP

# The attachments: a one-page trip letter as Word and as a PDF, the same
# bytes every run (fixed dates in the ZIP, zlib at a fixed level).
python3 - "$dir" <<'EOF' || { echo "FAIL: making the attachments" >&2; exit 1; }
import sys, zipfile, zlib
out = sys.argv[1]
lines = ["Oakfield Academy - Year 9 Geography field trip",
         "The coach leaves at 08:15 on Friday 21 March and returns by 16:30.",
         "Please bring a packed lunch, waterproofs and a clipboard.",
         "Return the consent form to the school office by Monday 17 March.",
         "Mr J Smith, Head of Year 8"]
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<w:document %s><w:body>%s</w:body></w:document>' % (W, "".join(
           '<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % l for l in lines)))
files = [("[Content_Types].xml",
          '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/word/document.xml" ContentType="application/'
          'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'),
         ("_rels/.rels",
          '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
          '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
          '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
          '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'),
         ("word/document.xml", doc)]
with zipfile.ZipFile(out + "/letter.docx", "w") as z:
    for name, data in files:
        zi = zipfile.ZipInfo(name, date_time=(2025, 3, 12, 10, 14, 0))
        zi.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(zi, data.encode("utf-8"))
ops = "BT /F1 11 Tf 72 760 Td 14 TL\n" + "".join("(%s) '\n" % l for l in lines) + "ET\n"
stream = zlib.compress(ops.encode("latin-1"), 6)
objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
offs = []
for i, o in enumerate(objs):
    offs.append(len(pdf))
    pdf += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
xref = len(pdf)
pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
pdf += b"".join(b"%010d 00000 n \n" % o for o in offs)
pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(out + "/letter.pdf", "wb").write(pdf)
EOF

# the machine, as the report wants it
sh "$here/machine.sh"

"$prog" --helper "$helper" --docx "$dir/letter.docx" --pdf "$dir/letter.pdf" \
    --runs "${RUNS:-200}" || exit 1
printf 'load average after the timed run %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"

if [ -n "${NO_CALLGRIND:-}" ] || ! command -v valgrind >/dev/null 2>&1 ||
    ! command -v callgrind_annotate >/dev/null 2>&1; then
    echo "instruction counts: skipped (NO_CALLGRIND set, or valgrind missing)"
    exit 0
fi

# One build of each message each way (--once --only), a callgrind run
# per message; inclusive Ir of the two builders, in this process only: the
# helper runs in a process of its own, which callgrind does not follow.
echo
echo "Instructions in process (valgrind --tool=callgrind, inclusive Ir of one"
echo "build; the helper's own instructions are not in them):"
echo
printf '| %-5s | %-13s | %12s | %12s | %10s |\n' size attachment "off Ir" \
    "on Ir" "on - off"
echo '|-------|---------------|-------------:|-------------:|-----------:|'
for size in 4k 100k; do
    for kind in none docx pdf; do
        valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" \
            "$prog" --helper "$helper" --docx "$dir/letter.docx" \
            --pdf "$dir/letter.pdf" --once --only "$size,$kind" \
            >"$dir/cg.log" 2>&1 ||
            { tail -5 "$dir/cg.log" >&2; echo "FAIL: callgrind $size $kind" >&2; exit 1; }
        callgrind_annotate --inclusive=yes "$dir/cg.out" 2>/dev/null |
            awk -v s="$size" -v k="$kind" '
            / [^ ]*:sg_bench_build_off / { gsub(",", "", $1); off = $1 }
            / [^ ]*:sg_bench_build_on / { gsub(",", "", $1); on = $1 }
            END {
                if (off == "" || on == "") { print "FAIL: no counts for " s " " k > "/dev/stderr"; exit 1 }
                printf "| %-5s | %-13s | %12.0f | %12.0f | %10.0f |\n", s, k, off, on, on - off
            }' || exit 1
    done
done
