#!/bin/bash
# test_extract.sh - safeguard-extract on the files make_files.py writes:
# the text of each format (PDF, docx, xlsx as rows of tab-separated
# cells, pptx, odt, ods, RTF, a vCard sent as octet-stream with its folded
# line unfolded, a ZIP of a docx and a photo), the exit statuses, and the
# hostile files: a ZIP bomb, ZIPs nested past the bound, an encrypted
# entry, a damaged PDF, input past -i, text past -o.  Each hostile file
# ends quickly with status 2 ("could not inspect all of it").
set -u
SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SG_BUILDDIR:-$SRC}
X="$BUILD/extract/safeguard-extract"
W=$(mktemp -d /tmp/sg-extract.XXXXXX)
trap 'rm -rf "$W"' EXIT
python3 "$SRC/tests/extract/make_files.py" "$W" || exit 1
fails=0
check() {
    local what=$1; shift
    if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fails=$((fails + 1)); fi
}
# run FILE [OPTIONS...]: the helper's text in $W/out, its status in rc
run() {
    local f=$1; shift
    timeout 60 "$X" "$@" application/octet-stream "$f" <"$W/$f" >"$W/out" 2>"$W/err"
    rc=$?
}
has() { grep -qF -- "$1" "$W/out"; }
tab=$'\t'

run trip.pdf
check "PDF: status 0" test "$rc" = 0
check "PDF: its text" has "ring my mobile 07700 900456."
run letter.docx
check "docx: status 0" test "$rc" = 0
check "docx: runs of one paragraph joined" has "text me on 07700 900123 any evening."
check "docx: table cells by tabs, rows on lines" has "Essay draft${tab}Friday"
check "docx: the footer too" has "Oakfield Academy"
run classlist.xlsx
check "xlsx: status 0" test "$rc" = 0
check "xlsx: the header row" has "Surname${tab}Forename${tab}DOB${tab}UPN"
check "xlsx: shared strings and numbers in a row" has "Hughes${tab}Amelia${tab}39512${tab}A123456789012"
check "xlsx: an empty first cell keeps the columns" has "${tab}Total${tab}2"
run slides.pptx
check "pptx: the slides' text" has "WhatsApp me 07700 900789"
check "pptx: not the master's placeholder" sh -c "! grep -q 'Click to edit' '$W/out'"
run minutes.odt
check "odt: text:s as a space" has "Contact Sam on 07700 900321"
run rota.ods
check "ods: cells by tabs" has "Lee${tab}07700 900654"
run note.rtf
check "RTF: text and a non-breaking space" has $'07700\u00a0900111'
check "RTF: a hex escape read as Windows-1252" has "Café at 4"
check "RTF: no font table" sh -c "! grep -q Calibri '$W/out'"
run contact.vcf
check "vCard as octet-stream: read as text, unfolded" has "TEL;TYPE=CELL:07700 900222"
run photos.zip
check "ZIP: the docx inside read" has "text me on 07700 900123"
check "ZIP: status 0 (the photo has no text)" test "$rc" = 0
run register.txt
check "UTF-16 text (Excel's Unicode Text): read" has "Hughes${tab}Amelia${tab}07700 900333"
check "  accents and a character past U+FFFF" has "Zoë 😀"
run binary.bin
check "binary: status 3, no text" test "$rc" = 3 -a ! -s "$W/out"

start=$(date +%s)
run bomb.zip
check "ZIP bomb (200 MB of zeros): status 2" test "$rc" = 2
check "  within seconds" test $(($(date +%s) - start)) -lt 30
run nested.zip
check "ZIPs nested 10 deep: status 2" test "$rc" = 2
check "  the innermost text not reached" sh -c "! grep -q 900999 '$W/out'"
run nested.zip -d 12
check "  with -d 12: read to the bottom" has "text me 07700 900999"
run encrypted.zip
check "encrypted ZIP entry: status 2" test "$rc" = 2
run truncated.pdf
check "damaged PDF: status 2" test "$rc" = 2
run trip.pdf -i 100
check "input past -i: status 2" test "$rc" = 2
run letter.docx -o 20
check "text past -o: status 2" test "$rc" = 2
check "  at most 20 bytes written" test "$(stat -c %s "$W/out")" -le 20
"$X" >/dev/null 2>&1
check "no arguments: status 1" test $? = 1
echo "# $fails failed"
[ "$fails" -eq 0 ]
