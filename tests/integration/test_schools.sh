#!/bin/bash
# test_schools.sh - one trust, two schools, one daemon, through a real
# private Postfix (one instance for the whole script):
#  1. safeguard-milter -n names both schools it understood;
#  2. a hold at each school lands in the store with its school, and its
#     audit row names it;
#  3. each school's DSL notice goes to its own DSL, with its own contact
#     text, policy and name, and never to the other school's DSL; the
#     digest too: each school's DSL's lists its own school's waiting
#     records only, with its contact, and the trust's DSL's both, as
#     does the trust team's (trust_dsl_addresses);
#  4. the review page: northfield's reviewer sees and opens northfield's
#     record, and southfield's is as one that does not exist (its page,
#     and a release of it, refused, the record still held); the trust's
#     reviewer sees both, with the school column, and releases
#     southfield's;
#  5. the command line: list (with a school column, and the next page
#     by --after), show and export --school, and a reviewer
#     credited with --by (or running it under sudo) scoped as on the page;
#     a rejection's notice to the sender gives the school's contact.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
sg_require_review
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }
command -v sqlite3 >/dev/null || sg_die "sqlite3 is missing (apt-get install sqlite3)"

CHECKS=0
check() { CHECKS=$((CHECKS + 1)); sg_check "$@"; }

SAMPLE="$SG_SRCDIR/contrib/samples/personal-contact-details.eml"
sg_setup
sg_start_sink
sg_notice_key
T="$SG_WORK/t"
mkdir -p "$T"

# The trust's people: a teacher and a pupil at each school.
cat >"$T/trust.dir" <<'DIR'
t.north@northfield.example  staff  name="Tom North"
p.north@northfield.example  pupil  name="Pia North" dob=2011-05-14
t.south@southfield.example  staff  name="Tess South"
p.south@southfield.example  pupil  name="Sam South" dob=2011-05-14
DIR
# The DSL's notice says the contact, the policy and the school.
cp -r "$SG_SRCDIR/contrib/templates" "$T/templates"
printf '\nContact: {dsl}\nPolicy: {policy}\nSchool: {school}\n' \
    >>"$T/templates/held-dsl.txt"
printf '\nContact: {dsl}\nFor school: {school}\n' >>"$T/templates/digest-dsl.txt"
PASSWORDS="$SG_WORK/review-passwords"

sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "school_domains = trust.example" \
    "directory_file = $T/trust.dir" \
    "notice_from = safeguarding@trust.example" \
    "dsl_addresses = dsl@trust.example" \
    "dsl_contact = the trust's safeguarding team" \
    "trust_dsl_addresses = team@trust.example" \
    "policy_name = Trust Acceptable Use Policy" \
    "notice_templates = $T/templates" \
    "notice_secret_file = $SG_WORK/notice.key" \
    "notice_sendmail = /bin/sh $SG_SRCDIR/tests/integration/queue-notice.sh $SG_SMTP_PORT {from} {to}" \
    "hold_reconcile_interval = 0" \
    "review_auth = file" \
    "review_password_file = $PASSWORDS" \
    "review_trust_reviewers = head-trust" \
    "school northfield {" \
    "    school_domains = northfield.example" \
    "    dsl_addresses = dsl@northfield.example" \
    "    dsl_contact = \"Mrs Patel, DSL, on 01632 960123\"" \
    "    review_conduct_reviewers = patel" \
    "    review_welfare_reviewers = patel" \
    "}" \
    "school southfield {" \
    "    school_domains = southfield.example" \
    "    dsl_addresses = dsl@southfield.example" \
    "    dsl_contact = \"Mr Brown, DSL, on 01632 960456\"" \
    "    policy_name = Southfield ICT Policy" \
    "    review_conduct_reviewers = brown" \
    "    review_welfare_reviewers = brown" \
    "}"

"$SG_MILTER_BIN" -n -c "$SG_MILTER_CONF" >"$T/n.out" 2>&1
named() {
    grep -q 'school northfield (line [0-9]*): domains northfield.example; DSL dsl@northfield.example' "$T/n.out" &&
        grep -q 'school southfield (line [0-9]*): domains southfield.example' "$T/n.out"
}
check "-n names both schools" named

sg_start_postfix
sg_start_milter
DB="$SG_QUARANTINE/quarantine.db"
sql() { sqlite3 "$DB" "$1"; }
status_of() { sql "select status from records where id='$1'"; }

# hold SCHOOL: the sample from SCHOOL's teacher to its pupil, held; sets
# QID and RECORD
hold() {
    local s=$1
    sed -e "s/j\.smith@school\.example/t.$s@${s}field.example/" \
        -e "s/amy\.patel@school\.example/p.$s@${s}field.example/" \
        -e "s/a\.jones@school\.example/t.$s@${s}field.example/" \
        "$SAMPLE" >"$T/$s.eml"
    sg_send "$T/$s.eml" "t.$s@${s}field.example" "p.$s@${s}field.example"
    check "$s: Postfix queued it" test -n "$QID"
    sg_wait_summary
    RECORD=$(sql "select id from records where queue_id='$QID'")
    check "$s: held ($QID, $RECORD)" eval '[ -n "$RECORD" ] && sg_held "$QID"'
}
hold north
NORTH=$RECORD
hold south
SOUTH=$RECORD
check "each record names its school" \
    test "$(sql "select school from records where id='$NORTH'")/$(sql "select school from records where id='$SOUTH'")" = northfield/southfield
check "the hold's audit row names the school" \
    test "$(sql "select school from audit where record_id='$SOUTH' and action='held'")" = southfield

# has FILE TEXT...: FILE holds every TEXT
has() { local f=$1 t; shift; [ -n "$f" ] || return 1; for t in "$@"; do grep -qF -- "$t" "$f" || return 1; done; }
sg_wait_notice dsl@northfield.example "$NORTH"
check "northfield's DSL is told, with its contact and the trust's policy" \
    has "$NOTICE" "Mrs Patel, DSL, on 01632 960123" \
    "Policy: Trust Acceptable Use Policy" "School: northfield"
sg_wait_notice dsl@southfield.example "$SOUTH"
check "southfield's DSL is told, with its own contact and policy" \
    has "$NOTICE" "Mr Brown, DSL, on 01632 960456" "Policy: Southfield ICT Policy" \
    "School: southfield"
check "southfield's notice says nothing of northfield's contact" \
    eval '! grep -qF "Mrs Patel" "$NOTICE"'
check "no notice about northfield's record goes to southfield's DSL" \
    test -z "$(sg_notice_to dsl@southfield.example "$NORTH")"
check "nor any to the trust's DSL" \
    test -z "$(sg_notice_to dsl@trust.example X-Safeguard-Notice)"

# The digest, both records waiting: one for each school's DSL, one for
# the trust's own address, one for the trust's team.
sg_review digest --mail >"$T/digest" 2>&1
check "digest --mail: one a school, the trust's, and the trust team's" \
    eval 'has "$T/digest" "== For dsl@northfield.example: northfield ==" \
              "== For dsl@southfield.example: southfield ==" \
              "== For dsl@trust.example ==" \
              "== For team@trust.example: every school ==" &&
          [ "$(grep -c "^(mailed)" "$T/digest")" = 4 ]'
DIGEST="waiting for a decision on"
sg_wait_notice dsl@northfield.example "$DIGEST"
check "northfield's DSL's digest: northfield's record only, its contact" \
    eval 'has "$NOTICE" "$NORTH" "Contact: Mrs Patel" "For school: northfield" &&
          ! grep -qF "$SOUTH" "$NOTICE"'
sg_wait_notice dsl@southfield.example "$DIGEST"
check "southfield's DSL's digest: southfield's record only, its contact" \
    eval 'has "$NOTICE" "$SOUTH" "Contact: Mr Brown" "For school: southfield" &&
          ! grep -qF "$NORTH" "$NOTICE"'
sg_wait_notice dsl@trust.example "$DIGEST"
check "the trust's DSL's digest: both, each with its school" \
    has "$NOTICE" "$NORTH" "$SOUTH" "School:  northfield" "School:  southfield" \
    "Contact: the trust's safeguarding team"
sg_wait_notice team@trust.example "$DIGEST"
check "the trust team's digest: both, each with its school" \
    has "$NOTICE" "$NORTH" "$SOUTH" "School:  northfield" "School:  southfield" \
    "Contact: the trust's safeguarding team"

# The review page, with a password for each reviewer.
for who in patel brown head-trust; do
    printf 'a long demo password\n' | sg_review passwd "$who" >/dev/null
done
sg_start_review
J="$SG_WORK/jars"
mkdir -p "$J"
# login WHO: a session in $J/WHO
login() {
    local tok
    tok=$(curl -s -c "$J/$1" "$SG_REVIEW_URL/login" |
        grep -o 'name="csrf" value="[^"]*"' | cut -d'"' -f4)
    curl -s -o /dev/null -b "$J/$1" -c "$J/$1" --data-urlencode "csrf=$tok" \
        --data-urlencode "user=$1" --data-urlencode "password=a long demo password" \
        "$SG_REVIEW_URL/login"
}
# page WHO PATH: the page's status; its body in $J/WHO.html
page() { curl -s -o "$J/$1.html" -w '%{http_code}' -b "$J/$1" "$SG_REVIEW_URL$2"; }
# decide WHO ID ACTION: the status of the POST
decide() {
    local tok
    page "$1" /queue >/dev/null
    tok=$(grep -o 'name="csrf" value="[^"]*"' "$J/$1.html" | head -1 | cut -d'"' -f4)
    [ -n "$tok" ] || tok=$(curl -s -b "$J/$1" "$SG_REVIEW_URL/item/$2" |
        grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
    curl -s -o /dev/null -w '%{http_code}' -b "$J/$1" --data-urlencode "csrf=$tok" \
        --data-urlencode "note=seen" "$SG_REVIEW_URL/item/$2/$3"
}
login patel
check "northfield's reviewer's queue" test "$(page patel /queue)" = 200
check "shows northfield's record only, and no school column" \
    eval 'has "$J/patel.html" "$NORTH" && ! grep -qF "$SOUTH" "$J/patel.html" &&
          ! grep -q "<th>School</th>" "$J/patel.html"'
check "northfield's reviewer opens northfield's record" test "$(page patel "/item/$NORTH")" = 200
check "southfield's record answers as one that does not exist" \
    test "$(page patel "/item/$SOUTH")/$(page patel /item/SG-20990101-000000)" = 404/404
check "northfield's reviewer cannot release southfield's record" \
    test "$(decide patel "$SOUTH" release)" = 404
check "southfield's record is still held" test "$(sql "select status from records where id='$SOUTH'")" = held
login head-trust
check "the trust's reviewer's queue" test "$(page head-trust /queue)" = 200
check "shows both, with the school column" \
    has "$J/head-trust.html" "$NORTH" "$SOUTH" '<td data-label="School">southfield</td>'
check "the trust's reviewer filters by school" \
    eval '[ "$(page head-trust "/queue?school=northfield")" = 200 ] &&
          has "$J/head-trust.html" "$NORTH" && ! grep -qF "$SOUTH" "$J/head-trust.html"'
check "the trust's reviewer releases southfield's record" \
    test "$(decide head-trust "$SOUTH" release)" = 303
check "released, and its audit row names the school" \
    test "$(sql "select status from records where id='$SOUTH'")/$(sql "select school from audit where record_id='$SOUTH' and action='released'")" = released/southfield
sg_stop_review

# The command line.
sg_review list --status all --school southfield >"$T/list" 2>&1
check "list --school southfield" \
    eval 'has "$T/list" "$SOUTH" && ! grep -qF "$NORTH" "$T/list"'
check "list has a school column" \
    eval 'grep -q "^RECORD .* SLA  *SCHOOL  *SENDER " "$T/list" &&
          grep -q "^$SOUTH .* southfield  *t.south@" "$T/list"'
sg_review list --status all --oldest-first --limit 1 >"$T/list1" 2>&1
NEXT=$(sed -n 's/^More: //p' "$T/list1")
sg_review list --status all --oldest-first --limit 1 $NEXT >"$T/list2" 2>&1
# rows: the records' lines of a list, their ids joined by spaces
rows() { grep -oE "^($NORTH|$SOUTH) " "$1" | tr -d ' ' | tr '\n' ' '; }
check "list --limit 1 names the next page ($NEXT), and --after lists it" \
    eval 'case "$(rows "$T/list1")$(rows "$T/list2")" in
          "$NORTH $SOUTH "|"$SOUTH $NORTH ") true ;; *) false ;; esac'
SUDO_USER=brown sg_review list --status all >"$T/list" 2>&1
check "under sudo as brown, list shows southfield's records only" \
    eval 'has "$T/list" "$SOUTH" && ! grep -qF "$NORTH" "$T/list"'
check "under sudo as brown, northfield's record: no such record" \
    eval '! SUDO_USER=brown sg_review show "$NORTH" >/dev/null 2>"$T/show.err" &&
          grep -q "no quarantine record" "$T/show.err"'
check "reject --by brown of northfield's record is refused" \
    eval '! sg_review reject "$NORTH" --note "not mine" --by brown >/dev/null 2>&1'
check "northfield's record is still held" test "$(sql "select status from records where id='$NORTH'")" = held
check "reject --by patel of northfield's record" \
    eval 'sg_review reject "$NORTH" --note "spoken to" --by patel \
              --tell-sender "Please use the school number." >/dev/null &&
          [ "$(status_of "$NORTH")" = rejected ]'
sg_wait_notice t.north@northfield.example "Please use the school number."
# the notice's lines are wrapped: read it as one line
words() { [ -n "$1" ] && tr '\n' ' ' <"$1" | tr -s ' ' | grep -qF -- "$2"; }
check "the sender is told with northfield's contact" \
    words "$NOTICE" "Mrs Patel, DSL, on 01632 960123"
check "show --school southfield of northfield's record: no such record" \
    eval '! sg_review show "$NORTH" --school southfield >/dev/null 2>&1'
SUDO_USER=brown sg_review export >"$T/export" 2>&1
check "under sudo as brown, export has southfield's decisions only" \
    eval 'has "$T/export" "$SOUTH" && ! grep -qF "$NORTH" "$T/export"'
sg_review export --school northfield >"$T/export" 2>&1
check "export --school northfield" \
    eval 'has "$T/export" "$NORTH" && ! grep -qF "$SOUTH" "$T/export"'
check "under sudo as brown, export --school northfield is refused" \
    eval '! SUDO_USER=brown sg_review export --school northfield >/dev/null 2>&1'

echo "$((CHECKS - SG_FAILS)) passed, $SG_FAILS failed"
[ "$SG_FAILS" = 0 ]
