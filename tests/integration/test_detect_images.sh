#!/bin/bash
# test_detect_images.sh - pictures in staff mail going outside the school,
# through a real private Postfix and the real daemon with the demo
# school's directory and the shipped policy.  Ordinary mail whose only
# pictures are signature logos (Outlook's image001.png, a Gmail signature
# image), icons and emoji, or a small newsletter header, all shown by the
# HTML through cid: links, is delivered; photographs are held by
# images-of-children-outside: a phone photo attached, a camera photo
# pasted into an Outlook body (inline, but with camera EXIF), a large
# screenshot of a class photo (no EXIF), a HEIC whose size cannot be read,
# and a photo sent as application/octet-stream.  The messages are the
# unit tests' (tests/unit/data/mime/img_*.eml, made by
# tests/unit/data/images/make_images.py).
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix

MIME="$SG_SRCDIR/tests/unit/data/mime"
sg_setup
sg_start_sink
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SG_SRCDIR/contrib/samples/school.dir"
sg_start_milter
sg_start_postfix

n=0
# send FILE: the message from Anna Jones (staff) to its To: address;
# prints the queue id
send() {
    local log="$SG_WORK/swaks-$n.log" to
    to=$(sed -n 's/^To: *//p' "$MIME/$1" | head -1)
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --from a.jones@school.example \
        --to "$to" --data "$MIME/$1" >"$log" 2>&1
    sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1
}

# delivered FILE WHAT: accepted and in the sink
delivered() {
    local qid i
    n=$((n + 1))
    qid=$(send "$1")
    sg_check "$2: queued" test -n "$qid"
    [ -n "$qid" ] || return
    sg_wait_for "$SG_MILTER_LOG" "$qid: verdict=" 10 >/dev/null
    sg_check "$2: accepted" grep -q "$qid: verdict=accept " "$SG_MILTER_LOG"
    for i in $(seq 1 100); do [ -n "$(sg_sink_files "$qid")" ] && break; sleep 0.1; done
    sg_check "$2: in the sink" test -n "$(sg_sink_files "$qid")"
}

# held FILE WHAT: held by images-of-children-outside, in the hold queue
held() {
    local qid i
    n=$((n + 1))
    qid=$(send "$1")
    sg_check "$2: queued, not refused" test -n "$qid"
    [ -n "$qid" ] || return
    sg_wait_for "$SG_MILTER_LOG" "$qid: verdict=" 10 >/dev/null
    sg_check "$2: held by images-of-children-outside" \
        grep -q "$qid: verdict=hold rules=images-of-children-outside(hold) " "$SG_MILTER_LOG"
    for i in $(seq 1 50); do sg_held "$qid" && break; sleep 0.1; done
    sg_check "$2: in Postfix's hold queue" sg_held "$qid"
}

# near misses: no photograph in them
delivered img_outlook_signature.eml "Outlook reply with the signature logo"
delivered img_gmail_signature.eml "Gmail signature image"
delivered img_icons.eml "icon and emoji beside the logo"
delivered img_newsletter.eml "newsletter with a small header image"

# breaches
held img_camera_attached.eml "phone photo attached (with the logo)"
held img_pasted_photo.eml "camera photo pasted into the body"
held img_screenshot.eml "large screenshot of a class photo, no EXIF"
held img_heic.eml "HEIC whose size cannot be read"
held img_disguised_photo.eml "photo sent as application/octet-stream"

# what_held FILE-NAME: where the DSL's record says the attachment was
what_held() {
    sqlite3 "$SG_QUARANTINE/quarantine.db" \
        "SELECT location FROM findings WHERE text = '$1';"
}
sg_check "the record says why the pasted photo was held" test \
    "$(what_held image002.jpg)" = \
    "attachment (image/jpeg, 1024x768 pixels, camera photograph, shown in the message)"
sg_check "the record says the screenshot's size" test \
    "$(what_held 'Screenshot 2026-06-24 121744.png')" = \
    "attachment (image/png, 1400x900 pixels)"
sg_check "the logo beside the photo is no finding" \
    test -z "$(what_held image001.png)"
# The school's bounds (image_small_pixels, image_small_bytes), through
# safeguard-check with the same configuration: past 20000 pixels the
# 300 by 90 logo is a picture to hold; a bound of 0 stops the load with
# the file and line.
CHECK="$SG_BUILDDIR/milter/safeguard-check"
bounds() { # bounds SETTING-LINE...: a configuration with those lines
    printf '%s\n' "rules_file = $SG_SRCDIR/rules/policy/default.rules" \
        "directory_file = $SG_SRCDIR/contrib/samples/school.dir" \
        "school_domains = school.example" "$@" \
        "scan_cache_dir = $(sg_scan_cache)" >"$SG_WORK/check.conf"
}
verdict() {
    "$CHECK" -c "$SG_WORK/check.conf" --from a.jones@school.example \
        --to bookings@coachhire.example --trusted "$MIME/$1" 2>&1 |
        sed -n 's/^Verdict: //p'
}
bounds
sg_check "safeguard-check: the logo passes with the default bounds" \
    test "$(verdict img_outlook_signature.eml)" = accept
bounds "image_small_pixels = 20000"
sg_check "safeguard-check: the logo is held past image_small_pixels = 20000" \
    test "$(verdict img_outlook_signature.eml)" = hold
bounds "image_small_bytes = 200"
sg_check "safeguard-check: the 270-byte logo is held past image_small_bytes = 200" \
    test "$(verdict img_outlook_signature.eml)" = hold
bounds "image_small_pixels = 0"
sg_check "image_small_pixels = 0 is refused with the file and line" \
    grep -q "check.conf:4: image_small_pixels" <("$CHECK" -n -c "$SG_WORK/check.conf" 2>&1)

sg_check "nothing refused" test "$(grep -c 'verdict=reject' "$SG_MILTER_LOG")" -eq 0
sg_check "messages sent ($n)" test "$n" -eq 9
[ "$SG_FAILS" -eq 0 ]
