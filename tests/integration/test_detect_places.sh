#!/bin/bash
# test_detect_places.sh - the places text comes from, through a real
# private Postfix and the real daemon with the shipped policy and the demo
# school's directory.  A teacher's reply that only quotes the pupil's own
# number back (Gmail, Outlook, Thunderbird shapes) is delivered; a reply
# that quotes the teacher's own earlier mail giving their number is held;
# so is a number behind a tel: link with innocent text, a number split by
# a hidden span or a comment, a number only in alt text or a title, in
# CSS content, a number in the From: display name, and a part whose
# second Content-Type header hides that it is text.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
command -v faketime >/dev/null || { echo "SKIP: faketime is not installed"; exit 77; }

sg_setup
sg_start_sink
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SG_SRCDIR/contrib/samples/school.dir"
# a school day, at 11:15: no rule about the time of day applies
SG_MILTER_TIME="2025-11-04 11:15:00" sg_start_milter
sg_start_postfix
MIME="$SG_SRCDIR/tests/unit/data/mime"

n=0 qid=
# send FILE: from Mr Smith's school address, over the school's own
# (trusted) client, to Amy Patel (a pupil); prints the queue id
send() {
    local log="$SG_WORK/swaks-$n.log"
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface 127.0.0.1 \
        --from j.smith@school.example --to amy.patel@school.example \
        --data "$1" >"$log" 2>&1
    sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$log" | head -1
}

# html FROM-PHRASE BODY: a message n in SG_WORK as Outlook sends HTML
html() {
    local f="$SG_WORK/msg-$n.eml"
    {
        printf 'From: %s <j.smith@school.example>\n' "$1"
        printf 'To: "Patel, Amy" <amy.patel@school.example>\n'
        printf 'Subject: Revision\nDate: Tue, 4 Nov 2025 11:10:00 +0000\n'
        printf 'Message-ID: <places-%d@school.example>\n' "$n"
        printf 'MIME-Version: 1.0\nContent-Type: text/html; charset="utf-8"\n'
        printf 'Content-Transfer-Encoding: 8bit\n\n'
        printf '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\n'
        printf '<body><div style="font-family: Aptos, Arial, sans-serif; font-size: 12pt">\n'
        printf '<p>Hi Amy,</p>%s<p>Mr Smith<br>Science</p></div></body></html>\n' "$2"
    } >"$f"
    echo "$f"
}

# verdict QID: its log line, once the filter has logged it
verdict() {
    sg_wait_for "$SG_MILTER_LOG" "$1: verdict=" 10 >/dev/null
    grep "$1: verdict=" "$SG_MILTER_LOG"
}

# queued WHAT FILE: send message n, check Postfix queued it; sets qid
queued() {
    n=$((n + 1))
    qid=$(send "$2")
    sg_check "$1: queued" test -n "$qid"
    [ -n "$qid" ]
}

# held WHAT FILE: held for the DSL by personal-contact-details
held() {
    local i
    queued "$@" || return
    sg_check "$1: held by personal-contact-details" \
        grep -q "rules=personal-contact-details(hold)" <<<"$(verdict "$qid")"
    for i in $(seq 1 50); do sg_held "$qid" && break; sleep 0.1; done
    sg_check "$1: in Postfix's hold queue" sg_held "$qid"
}

# delivered WHAT FILE: not held, in the sink
delivered() {
    local i
    queued "$@" || return
    sg_check "$1: not held" \
        grep -vq "verdict=hold\|personal-contact-details" <<<"$(verdict "$qid")"
    for i in $(seq 1 100); do [ -n "$(sg_sink_files "$qid")" ] && break; sleep 0.1; done
    sg_check "$1: in the sink" test -n "$(sg_sink_files "$qid")"
}

# Quoted text: the pupil's words quoted back are not the teacher's ...
delivered "Gmail reply quoting the pupil's mother's number" "$MIME/reply_gmail.eml"
sed -e 's/07700 900982/the school office/' "$MIME/reply_outlook.eml" >"$SG_WORK/outlook.eml"
delivered "Outlook reply quoting the pupil's father's number" "$SG_WORK/outlook.eml"
f=$(html "Mr J Smith" '<p>Yes, bring a packed lunch.</p>
<div class="moz-cite-prefix">On 03/11/2025 10:02, Amy Patel wrote:<br></div>
<blockquote type="cite" cite="mid:abc@school.example">Do we need lunch? Mum&#39;s
mobile is 07700 900246 if the coach is late.</blockquote>')
delivered "Thunderbird reply quoting the pupil by name" "$f"
# ... but the teacher's own words are, quoted or not
held "Outlook reply giving the teacher's own number" "$MIME/reply_outlook.eml"
held "Apple Mail reply quoting the teacher's own number" "$MIME/reply_apple.eml"
f=$(html "Mr J Smith" '<p>As I said before.</p>
<blockquote>my mobile is 07700 900135</blockquote>')
held "a quote that names nobody" "$f"

# HTML that hides text
held "tel: link behind \"call me\"" \
    "$(html "Mr J Smith" '<p>Stuck? <a href="tel:+44%207700%20900111">call me</a></p>')"
held "number split by a hidden span" \
    "$(html "Mr J Smith" '<p>07<span style="display:none">x</span>700 900<span style="display: none">-</span>222</p>')"
held "number split by a comment" \
    "$(html "Mr J Smith" '<p>077<!-- x -->00 900 223</p>')"
held "number only in alt text" \
    "$(html "Mr J Smith" '<p>My number: <img src="cid:n@x" alt="07700 900333"></p>')"
held "number only in a title" \
    "$(html "Mr J Smith" '<p><span title="07700 900444">hover here</span></p>')"
held "number in CSS content" \
    "$(html "Mr J Smith" '<style>.m::after { content: "07700 " "900 555"; }</style><p class="m">Text me:</p>')"
held "Instagram profile behind innocent link text" \
    "$(html "Mr J Smith" '<p>See <a href="https://www.instagram.com/jsmith.science.private/">my page</a></p>')"
# the sender's display name
held "number in the From: display name" \
    "$(html "Mr J Smith 07700 900777" '<p>See you in the lab.</p>')"
# a second Content-Type header that is not text, after the text one
sed -e 's/^Content-Type: text\/html; charset="utf-8"$/&\nContent-Type: application\/octet-stream/' \
    "$(html "Mr J Smith" '<p>My mobile: 07700 900888</p>')" >"$SG_WORK/two-types.eml"
held "two Content-Type headers" "$SG_WORK/two-types.eml"
# and the control: the same HTML with nothing in it
delivered "ordinary HTML mail with a signature logo" \
    "$(html "Mr J Smith" '<p>See you in the lab.</p><p><img src="cid:logo@school" alt="School logo" title="Our school"></p>')"

# safeguard-check says where each finding was, quoted or not, and where
# the message's text was read
out=$("$SG_BUILDDIR/milter/safeguard-check" -c "$SG_MILTER_CONF" \
    --from j.smith@school.example --to amy.patel@school.example --trusted \
    --at 2025-11-04T11:15:00Z "$MIME/reply_apple.eml" 2>&1)
sg_check "safeguard-check: the finding is in the teacher's own quoted words" \
    grep -qF 'Found: uk-mobile "07700 900555" in part 1 (text/plain), quoted from Jane Smith <j.smith@school.example>' <<<"$out"
sg_check "safeguard-check: the pupil's quoted words are a place of their own" \
    grep -qF '  part 1 (text/plain), quoted from Amy Patel <amy.patel@school.example>: quoted earlier mail, ' <<<"$out"
sg_check "safeguard-check: the reply's own text" \
    grep -qF "  part 1 (text/plain): the writer's own text, " <<<"$out"
out=$("$SG_BUILDDIR/milter/safeguard-check" -c "$SG_MILTER_CONF" --json \
    --from j.smith@school.example --to amy.patel@school.example --trusted \
    --at 2025-11-04T11:15:00Z "$MIME/reply_gmail.eml" 2>&1)
sg_check "safeguard-check --json: the quote and whose it is" \
    test "$(python3 -c 'import json, sys
print(*sorted({t["quoted_from"] for t in json.load(sys.stdin)["texts"]
               if t["place"] == "quoted"}), sep="\n")' <<<"$out")" = \
    "Amy Patel <amy.patel@school.example>"
sg_check "safeguard-check --json: no personal-contact-details" \
    test "$(python3 -c 'import json, sys
print(sum(r["id"] == "personal-contact-details"
          for r in json.load(sys.stdin)["rules"]))' <<<"$out")" = 0

sg_check "nothing refused" test "$(grep -c 'verdict=reject' "$SG_MILTER_LOG")" -eq 0
sg_check "messages sent ($n)" test "$n" -eq 16
[ "$SG_FAILS" -eq 0 ]
