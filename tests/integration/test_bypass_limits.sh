#!/bin/bash
# test_bypass_limits.sh - the bypasses at the edges of inspection, through
# a real private Postfix and the real daemon with the demo school's
# directory and the shipped policy:
#
#  1. a message the filter cannot read in full (multiparts nested past the
#     bound, attached messages nested past it, more text than it reads) is
#     held, not let through, when staff send it to a pupil or outside the
#     school, and the summary line says incomplete=...;
#  2. the text budget is spent on bytes as sent: a message of 8 MB whose
#     bytes triple when decoded is still read to its end (a phone number
#     there is found), and a large, ordinary, attachment-heavy message is
#     read in full and delivered;
#  3. a text part whose base64 does not decode is read as sent as well;
#  4. forged X-Safeguard-* headers are all removed, whatever their case or
#     order: several copies of one name, thousands of one name and
#     thousands of names; past 8000 (more than Postfix can remove from one
#     message) the message is tempfailed, never delivered with one left.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix

SAMPLES="$SG_SRCDIR/contrib/samples"
sg_setup
sg_start_sink
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir"
sg_start_milter
sg_start_postfix
T="$SG_WORK/t"
mkdir -p "$T"

STAFF=a.jones@school.example        # staff (school.dir)
PUPIL=ben.okafor@school.example     # pupil
OUTSIDE=orders@supplies.example     # outside the school

n=0
send() { n=$((n + 1)); sg_send "$@"; }
summary() { sg_summary; }
wait_summary() { sg_wait_summary; }
held() { sg_wait_held; }
delivered() { sg_wait_delivered; }
summary_has() { sg_summary_has "$1"; }
summary_lacks() { sg_summary_lacks "$1"; }

headers() { # headers FROM TO SUBJECT
    printf 'From: <%s>\nTo: <%s>\nSubject: %s\n' "$1" "$2" "$3"
    printf 'Date: Wed, 12 Mar 2025 11:30:00 +0000\nMessage-ID: <%s.%s@limits.test>\nMIME-Version: 1.0\n' "$RANDOM" "$n"
}

# ------------------------------------------ 1. past the bounds: held

# multiparts nested 200 deep (the bound is 64), a mobile number at the
# bottom that the rules never reach
nested_multipart() {
    headers "$1" "$2" "nested sections"
    for i in $(seq 1 200); do printf 'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' "$i" "$i"; done
    printf 'Content-Type: text/plain\n\nring me on 07700 900123\n'
    for i in $(seq 200 -1 1); do printf -- '--b%d--\n' "$i"; done
}
nested_multipart "$STAFF" "$PUPIL" >"$T/nested.eml"
send "$T/nested.eml" "$STAFF" "$PUPIL"
sg_check "sections nested 200 deep, staff to pupil: held" held
wait_summary
sg_check "  by uninspected-to-pupil" summary_has "uninspected-to-pupil\(hold\)"
sg_check "  the summary says incomplete=nesting" summary_has " incomplete=nesting "
sg_check "  not delivered" test -z "$(sg_sink_files "$QID")"
nested_multipart "$STAFF" "$OUTSIDE" >"$T/nested-out.eml"
send "$T/nested-out.eml" "$STAFF" "$OUTSIDE"
sg_check "sections nested 200 deep, staff to outside: held" held
wait_summary
sg_check "  by uninspected-outside" summary_has "uninspected-outside\(hold\)"

# attached messages nested 12 deep, base64 and plain by turns (the
# bound is 8), pupil data at the bottom
{
    headers "$STAFF" "$OUTSIDE" "fwd: fwd: fwd: records"
    printf 'Content-Type: message/rfc822\n\n'
    inner="Subject: level 12\n\nUPN A123456789012\n"
    for i in $(seq 11 -1 1); do
        if [ $((i % 2)) = 0 ]; then
            inner="Subject: level $i\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n$(printf "$inner" | base64 -w 76)\n"
        else
            inner="Subject: level $i\nContent-Type: message/rfc822\n\n$inner"
        fi
    done
    printf "$inner"
} >"$T/deep.eml"
send "$T/deep.eml" "$STAFF" "$OUTSIDE"
sg_check "attached messages nested 12 deep, staff to outside: held" held
wait_summary
sg_check "  by uninspected-outside" summary_has "uninspected-outside\(hold\)"
sg_check "  the summary says incomplete=depth" summary_has " incomplete=depth "

# more text than the filter reads (18 MiB of text parts as sent; the
# bound is 16 MiB): the rest is unread, so it is held
{
    headers "$STAFF" "$OUTSIDE" "all the data"
    printf 'Content-Type: multipart/mixed; boundary="=-big-="\n\n'
    for f in 1 2 3; do
        printf -- '--=-big-=\nContent-Type: text/csv; name="export%d.csv"\n' "$f"
        printf 'Content-Disposition: attachment; filename="export%d.csv"\n\n' "$f"
        yes 'Jones,Anna,Year 7,Maple,present,present,absent,present' | head -c $((6 * 1024 * 1024))
        printf '\n'
    done
    printf -- '--=-big-=--\n'
} >"$T/big-text.eml"
send "$T/big-text.eml" "$STAFF" "$OUTSIDE"
sg_check "18 MiB of text, staff to outside: held" held
wait_summary
sg_check "  by uninspected-outside" summary_has "uninspected-outside\(hold\)"
sg_check "  the summary says incomplete=size" summary_has " incomplete=size "

# the same limits do not touch mail between outsiders and staff: an
# outsider's deeply nested message to a member of staff is delivered, and
# the summary still says what was not read
nested_multipart "parent@families.example" "$STAFF" >"$T/nested-in.eml"
send "$T/nested-in.eml" "parent@families.example" "$STAFF"
sg_check "sections nested 200 deep, outside to staff: delivered" delivered
wait_summary
sg_check "  the summary says incomplete=nesting" summary_has " incomplete=nesting "

# ------------------------------------------ 2. the budget is spent on bytes as sent

# 8 MB of base64 whose bytes are all invalid UTF-8 (each becomes three
# bytes of U+FFFD: 17 MB of text from 8 MB), and a mobile number after it
{
    headers "$STAFF" "$PUPIL" "homework scan"
    printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n'
    { head -c $((6 * 1024 * 1024)) /dev/zero | tr '\0' '\377'
      printf '\nmy own number is 07700 900123\n'; } | base64 -w 76
} >"$T/expand.eml"
send "$T/expand.eml" "$STAFF" "$PUPIL"
sg_check "8 MB that triples when decoded, staff to pupil: held" held
wait_summary
sg_check "  the number at its end found (personal-contact-details)" \
    summary_has "personal-contact-details\(hold\)"
sg_check "  read in full (no incomplete=)" summary_lacks " incomplete="

# a large, ordinary message: a letter, a PDF and photos of the school
# building (20 MB of base64), to the school's printer outside
{
    headers "$STAFF" "$OUTSIDE" "Prospectus print files"
    printf 'Content-Type: multipart/mixed; boundary="=-p-="\n\n'
    printf -- '--=-p-=\nContent-Type: multipart/alternative; boundary="=-a-="\n\n'
    printf -- '--=-a-=\nContent-Type: text/plain; charset=utf-8\n\nThe print files are attached.\nOffice: 01632 960000\n'
    printf -- '--=-a-=\nContent-Type: text/html; charset=utf-8\n\n<p>The print files are <b>attached</b>.</p>\n--=-a-=--\n'
    printf -- '--=-p-=\nContent-Type: application/pdf; name="prospectus.pdf"\nContent-Transfer-Encoding: base64\n\n'
    # a real PDF (its text is read), mostly a photograph of the school
    python3 "$SG_SRCDIR/tests/extract/make_files.py" --prospectus $((9 * 1024 * 1024)) "$T/prospectus.pdf"
    base64 -w 76 "$T/prospectus.pdf"
    for f in front hall; do
        printf -- '--=-p-=\nContent-Type: application/octet-stream; name="%s.tif"\nContent-Transfer-Encoding: base64\n\n' "$f"
        head -c $((3 * 1024 * 1024)) /dev/urandom | base64 -w 76
    done
    printf -- '--=-p-=--\n'
} >"$T/prospectus.eml"
send "$T/prospectus.eml" "$STAFF" "$OUTSIDE"
sg_check "20 MB with attachments, staff to outside: delivered" delivered
wait_summary
sg_check "  read in full (no incomplete=)" summary_lacks " incomplete="

# ------------------------------------------ 3. base64 that does not decode

{
    headers "$STAFF" "$PUPIL" "contact"
    printf 'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n'
    printf 'text me on 07700 900123 any time!\n'
} >"$T/not-base64.eml"
send "$T/not-base64.eml" "$STAFF" "$PUPIL"
sg_check "a number in 'base64' that is not, staff to pupil: held" held
wait_summary
sg_check "  by personal-contact-details" summary_has "personal-contact-details\(hold\)"

# ------------------------------------------ 4. forged X-Safeguard-* headers

# forged REGEX FILE: how many header lines of FILE (before the body) match
forged() { sed -e 's/\r$//' "$2" | sed -n '1,/^$/p' | grep -ciE "$1"; }

# three copies each of two names, in mixed case and interleaved
{
    printf 'X-Safeguard-Verdict: accept\nX-Safeguard-Rules: none\n'
    printf 'x-safeguard-verdict: accept\nX-SAFEGUARD-RULES: none\n'
    printf 'X-Safeguard-Verdict: accept\nX-Safeguard-Record: SG-FORGED\nX-Safeguard-Rules: none\n'
    cat "$SAMPLES/ordinary-pupil-question.eml"
} >"$T/forged3.eml"
send "$T/forged3.eml" ben.okafor@school.example j.smith@school.example
sg_check "three forged copies of each name: delivered" delivered
f=$(sg_sink_files "$QID" | head -1)
sg_check "  no forged X-Safeguard header left" \
    test "$(forged '^X-Safeguard-[a-z]*: (accept|none|SG-FORGED)$' "$f")" -eq 0

# many_forged SAME NAMES: SAME copies of one name, NAMES names, and one
# more, in front of an ordinary message
many_forged() {
    for i in $(seq 1 "$1"); do printf 'X-Safeguard-Verdict: accept\n'; done
    for i in $(seq 1 "$2"); do printf 'X-Safeguard-N%d: forged\n' "$i"; done
    printf 'X-Safeguard-Rules: none\n'
    cat "$SAMPLES/ordinary-pupil-question.eml"
}
# 4000 copies of one name and 3999 names: 8000, as many as are removed
many_forged 4000 3999 >"$T/forged-many.eml"
send "$T/forged-many.eml" ben.okafor@school.example j.smith@school.example
sg_check "8000 forged headers: delivered" delivered
f=$(sg_sink_files "$QID" | head -1)
sg_check "  no forged X-Safeguard header left" \
    test "$(forged '^X-Safeguard-[a-z0-9]*: (accept|none|forged)$' "$f")" -eq 0
sg_check "  the rest of the message is there" grep -q '^Subject: Question about the diagram' "$f"
# one more: more than the MTA can be asked to remove, so it is
# tempfailed, never delivered with one left in
many_forged 4000 4000 >"$T/forged-more.eml"
send "$T/forged-more.eml" ben.okafor@school.example j.smith@school.example
sg_check "8001 forged headers: tempfailed (4xx), not queued" \
    grep -Eq '^<\*\* +4[0-9][0-9] ' "$SG_SWAKS_LOG"
sg_check "  the milter says why" grep -q "too many X-Safeguard headers" "$SG_MILTER_LOG"

sg_check "the milter still runs" kill -0 "$SG_MILTER_PID"
echo "# $SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
