#!/bin/bash
# test_extract.sh - the text of attachments, through a real private
# Postfix and the real daemon with the demo school's directory and the
# shipped policy, in mail as Outlook and Gmail send it (HTML and plain
# alternatives, signatures, the attachment last):
#
#  1. a mobile number inside a PDF, a Word file, a PowerPoint file, an
#     OpenDocument file and a ZIP of a Word file, from staff to a pupil,
#     is held (personal-contact-details) and the summary names the
#     attachment; an ordinary PDF newsletter or trip letter to a pupil is
#     delivered; a class list spreadsheet with UPNs sent outside is held;
#  2. attachments that cannot be read - a ZIP bomb, ZIPs nested past the
#     bound, an encrypted ZIP, a damaged PDF - make the message "not
#     fully inspected": held, never delivered unread;
#  3. a helper that crashes, or hangs past extract_timeout, costs only
#     the attachment: the message is held as not fully inspected, no mail
#     is lost, and the milter keeps running;
#  4. extract_attachments = no: attachments are not read.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
# the demo school's directory; mail comes from the trusted client
CONF=("trusted_networks = 127.0.0.1/32"
      "directory_file = $SG_SRCDIR/contrib/samples/school.dir")
sg_setup
sg_write_milter_conf "${CONF[@]}"
sg_start_sink
sg_start_milter
sg_start_postfix
T="$SG_WORK/t"
F="$T/files"
mkdir -p "$T"
python3 "$SG_SRCDIR/tests/extract/make_files.py" "$F" || sg_die "cannot make the attachments"

STAFF=a.jones@school.example        # staff (school.dir)
PUPIL=ben.okafor@school.example     # pupil
OUTSIDE=orders@supplies.example     # outside the school

# outlook FROM TO SUBJECT TEXT FILE TYPE: a message as Outlook sends it,
# with FILE attached (base64) as TYPE
outlook() {
    local name; name=$(basename "$5")
    printf 'From: "Jones, Anna" <%s>\nTo: <%s>\nSubject: %s\n' "$1" "$2" "$3"
    printf 'Date: Wed, 12 Mar 2025 11:30:00 +0000\n'
    printf 'Message-ID: <DB9PR02MB%s.eurprd02.prod.outlook.com>\n' "$RANDOM$SG_SENT"
    printf 'Thread-Topic: %s\nX-MS-Has-Attach: yes\nContent-Language: en-GB\nMIME-Version: 1.0\n' "$3"
    printf 'Content-Type: multipart/mixed; boundary="_004_DB9PR02MB_"\n\n'
    printf -- '--_004_DB9PR02MB_\nContent-Type: multipart/alternative; boundary="_000_DB9PR02MB_"\n\n'
    printf -- '--_000_DB9PR02MB_\nContent-Type: text/plain; charset="us-ascii"\n\n'
    printf '%s\n\nKind regards,\n\nMrs A Jones\nHead of Year 9 | Oakfield Academy\nT: 01632 960000\n\n' "$4"
    printf -- '--_000_DB9PR02MB_\nContent-Type: text/html; charset="us-ascii"\n\n'
    printf '<html><head><meta http-equiv="Content-Type" content="text/html; charset=us-ascii"><style><!-- p.MsoNormal {margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;} --></style></head>\n'
    printf '<body lang="EN-GB"><div class="WordSection1"><p class="MsoNormal">%s<o:p></o:p></p>\n' "$4"
    printf '<p class="MsoNormal">Kind regards,</p><p class="MsoNormal"><b>Mrs A Jones</b><br>Head of Year 9 | Oakfield Academy<br>T: 01632 960000</p></div></body></html>\n\n'
    printf -- '--_000_DB9PR02MB_--\n\n'
    printf -- '--_004_DB9PR02MB_\nContent-Type: %s; name="%s"\n' "$6" "$name"
    printf 'Content-Description: %s\nContent-Disposition: attachment; filename="%s"; size=%s\n' "$name" "$name" "$(stat -c %s "$5")"
    printf 'Content-Transfer-Encoding: base64\n\n'
    base64 -w 76 "$5"
    printf -- '--_004_DB9PR02MB_--\n'
}
PDF=application/pdf
DOCX=application/vnd.openxmlformats-officedocument.wordprocessingml.document
PPTX=application/vnd.openxmlformats-officedocument.presentationml.presentation
XLSX=application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
ODT=application/vnd.oasis.opendocument.text
ZIP=application/x-zip-compressed
OCTET=application/octet-stream

# mail FILE TYPE TO TEXT: an Outlook message from staff with FILE; sent
mail() {
    outlook "$STAFF" "$3" "${5:-Year 9 trip}" "$4" "$F/$1" "$2" >"$T/$1-$SG_SENT.eml"
    sg_send "$T/$1-$SG_SENT.eml" "$STAFF" "$3"
    sg_wait_summary
}

# ------------------------------------------ 1. text inside attachments
for case in "trip.pdf $PDF" "letter.docx $DOCX" "slides.pptx $PPTX" \
            "minutes.odt $ODT" "photos.zip $ZIP" "contact.vcf $OCTET" \
            "note.rtf $OCTET"; do
    set -- $case
    mail "$1" "$2" "$PUPIL" "Hi Ben, the details are in the attached file."
    sg_check "a mobile number inside $1 ($2), staff to pupil: held" sg_wait_held
    sg_check "  by personal-contact-details" sg_summary_has "personal-contact-details\(hold\)"
    sg_check "  read in full (no incomplete=)" sg_summary_lacks " incomplete="
done
# finding LOCATION: a finding recorded for the DSL at that place
finding() {
    sqlite3 "$SG_QUARANTINE/quarantine.db" \
        "select count(*) from findings where location = '$1'" | grep -qv '^0$'
}
sg_check "the DSL's record says where: the PDF's text" \
    finding 'attachment "trip.pdf", text read from it'
sg_check "  and the ZIP's" finding 'attachment "photos.zip", text read from it'


mail newsletter.pdf "$PDF" "$PUPIL" "Hi Ben, here is this term's newsletter to take home."
sg_check "an ordinary PDF newsletter, staff to pupil: delivered" sg_wait_delivered
sg_check "  read in full, no hold" sg_summary_lacks "incomplete=|\(hold\)"

mail classlist.xlsx "$XLSX" "$OUTSIDE" "Please find the class list for the trip booking attached." "Class list"
sg_check "a class list with UPNs in a spreadsheet, staff to outside: held" sg_wait_held
sg_check "  for the pupil data in it" sg_summary_has "\(hold\)"
sg_check "  read in full (no incomplete=)" sg_summary_lacks " incomplete="

# ------------------------------------------ 2. attachments that cannot be read
for case in "bomb.zip $ZIP" "nested.zip $ZIP" "encrypted.zip $ZIP" "truncated.pdf $PDF"; do
    set -- $case
    mail "$1" "$2" "$PUPIL" "Hi Ben, the files you asked for."
    sg_check "$1, staff to pupil: held" sg_wait_held
    sg_check "  by uninspected-to-pupil, incomplete=unreadable" \
        sg_summary_has "uninspected-to-pupil\(hold\).* incomplete=unreadable"
    sg_check "  not delivered" test -z "$(sg_sink_files "$QID")"
done
mail encrypted.zip "$ZIP" "$OUTSIDE" "Order attached, password to follow." "Order"
sg_check "an encrypted ZIP, staff to outside: held (uninspected-outside)" sg_wait_held
sg_check "  incomplete=unreadable" sg_summary_has "uninspected-outside\(hold\).* incomplete=unreadable"

# ------------------------------------------ 3. a helper that crashes or hangs
restart() { # restart with more settings
    sg_stop_milter
    sg_write_milter_conf "${CONF[@]}" "$@"
    sg_start_milter
}
cat >"$T/crash.sh" <<'EOF'
#!/bin/sh
kill -SEGV $$
EOF
cat >"$T/hang.sh" <<'EOF'
#!/bin/sh
exec sleep 6127
EOF
chmod 755 "$T/crash.sh" "$T/hang.sh"

restart "extract_helper = $T/crash.sh"
mail trip.pdf "$PDF" "$PUPIL" "Hi Ben, the details are in the attached file."
sg_check "a helper that crashes: the message is held" sg_wait_held
sg_check "  as not fully inspected (incomplete=unreadable)" \
    sg_summary_has "uninspected-to-pupil\(hold\).* incomplete=unreadable"
sg_check "  the milter still runs" kill -0 "$SG_MILTER_PID"

restart "extract_helper = $T/hang.sh" "extract_timeout = 2s"
start=$(date +%s)
mail letter.docx "$DOCX" "$PUPIL" "Hi Ben, the details are in the attached file."
sg_check "a helper that hangs: the message is held" sg_wait_held
sg_check "  as not fully inspected (incomplete=unreadable)" \
    sg_summary_has "uninspected-to-pupil\(hold\).* incomplete=unreadable"
sg_check "  within the timeout, not after the helper's 6127 s" test $(($(date +%s) - start)) -lt 60
sg_check "  no helper left running" sh -c "! pgrep -f '^sleep 6127$' >/dev/null"
mail newsletter.pdf "$PDF" "$OUTSIDE" "Newsletter for the printers." "Newsletter"
sg_check "  and outside mail with the hanging helper: held, not lost" sg_wait_held

# ------------------------------------------ 4. extraction off
restart "extract_attachments = no"
mail trip.pdf "$PDF" "$PUPIL" "Hi Ben, the details are in the attached file."
sg_check "extract_attachments = no: the PDF is not read (delivered)" sg_wait_delivered
sg_check "  and not counted as incomplete" sg_summary_lacks " incomplete="

sg_check "the milter still runs" kill -0 "$SG_MILTER_PID"
echo "# $SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
