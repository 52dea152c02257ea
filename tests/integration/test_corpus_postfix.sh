#!/bin/bash
# test_corpus_postfix.sh - the corpus scorer's offline verdict is the
# daemon's: five messages of tests/corpus/ (a breach caught, a breach
# missed today, an ordinary message held today for its Outlook signature
# logo, a personal account refused, a one-to-one journalled) go through a
# real private Postfix and the real daemon, with the corpus school and the
# shipped policy, each at its Date: (libfaketime).  For each, the verdict
# and rules in the daemon's log line are those `safeguard-check` gives
# for the same envelope (what score.py counts), and the message ends
# where that verdict says: refused with 550, in the hold queue, or in the
# sink (with the journal copy).  What the MANIFEST wants is printed beside
# it: where the two differ today, the corpus score counts a miss or a
# false hold, and this test shows the daemon would do the same.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix
command -v faketime >/dev/null || { echo "SKIP: faketime is not installed"; exit 77; }

CORPUS="$SG_SRCDIR/tests/corpus"
CHECK="$SG_BUILDDIR/milter/safeguard-check"
FILES="direct-mobile-outlook.eml att-pdf-mobile.eml logo-outlook-0.eml
direct-personal-account.eml oto-one-pupil.eml"

sg_setup
sg_start_sink
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $CORPUS/school.dir" \
    "journal_address = archive@school.example" \
    "school_social_accounts = @OakfieldAcademyLeeds, @OakfieldAcad, facebook.com/OakfieldAcademyLeeds" \
    "dsl_contact = Mrs Aisha Khan (DSL), extension 210"
sg_start_postfix
# safeguard-check with the daemon's own configuration
CONF="$SG_MILTER_CONF"

# verdict_of LINE: "verdict=... rules=..." of a log line
verdict_of() { grep -o 'verdict=[^ ]*\( rules=[^ ]*\)\?' <<<"$1" | head -1; }

n=0
for file in $FILES; do
    line=$(awk -v f="$file" '$1 == f' "$CORPUS/MANIFEST")
    sg_check "$file is in the MANIFEST" test -n "$line"
    [ -n "$line" ] || continue
    read -r _ from to auth want_action want_rules cls at <<<"$line"
    n=$((n + 1))
    # the daemon's clock at the message's Date:, as the manifest says
    d=$(sed -n 's/^Date: *//p' "$CORPUS/msg/$file" | head -1)
    sg_stop_milter
    SG_MILTER_TIME=$(date -u -d "$d" '+%Y-%m-%d %H:%M:%S') sg_start_milter

    # offline: exactly what score.py runs
    args=(-c "$CONF" --from "$from" --at "$at")
    [ "$auth" != "-" ] && args+=(--auth "$auth")
    rcpts=(${to//,/ })
    for r in "${rcpts[@]}"; do args+=(--to "$r"); done
    offline=$(verdict_of "$("$CHECK" "${args[@]}" "$CORPUS/msg/$file" | sed -n 's/^Log: //p')")
    sg_check "$file: safeguard-check gives a verdict ($offline)" test -n "$offline"

    # through Postfix: an authenticated member of staff sends from the
    # trusted client, anyone else from an outside one
    client=127.0.0.1
    [ "$auth" = "-" ] && client=127.0.0.2
    before=$(sg_count "$SG_MILTER_LOG" 'verdict=')
    swaks --server "127.0.0.1:$SG_SMTP_PORT" --local-interface "$client" \
        --from "$from" --to "$to" --data "$CORPUS/msg/$file" \
        >"$SG_WORK/swaks-$n.log" 2>&1
    qid=$(sed -n 's/.*250 2.0.0 Ok: queued as \([0-9A-Za-z]*\).*/\1/p' "$SG_WORK/swaks-$n.log" | head -1)
    for i in $(seq 1 100); do
        [ "$(sg_count "$SG_MILTER_LOG" 'verdict=')" -gt "$before" ] && break
        sleep 0.1
    done
    logline=$(grep 'verdict=' "$SG_MILTER_LOG" | tail -n +"$((before + 1))" | grep -v 'notice=own' | head -1)
    daemon=$(verdict_of "$logline")
    echo "# $file [$cls]: manifest wants $want_action {$want_rules}; offline $offline; daemon $daemon"
    sg_check "$file: the daemon's verdict is the offline one" test "$daemon" = "$offline"

    action=${offline#verdict=}
    action=${action%% *}
    case "$action" in
    reject*)
        sg_check "$file: refused with 550 5.7.1" grep -Eq '^<\*\* +550[ -]5\.7\.1' "$SG_WORK/swaks-$n.log"
        sg_check "$file: nothing queued" test -z "$qid"
        ;;
    hold*)
        sg_check "$file: queued" test -n "$qid"
        for i in $(seq 1 50); do sg_held "$qid" && break; sleep 0.1; done
        sg_check "$file: in the hold queue" sg_held "$qid"
        sg_check "$file: not delivered" test -z "$(sg_sink_files "$qid")"
        ;;
    *)
        sg_check "$file: queued" test -n "$qid"
        for i in $(seq 1 100); do [ -n "$(sg_sink_files "$qid")" ] && break; sleep 0.1; done
        sg_check "$file: delivered" test -n "$(sg_sink_files "$qid")"
        if [[ "$action" == *journal* ]]; then
            sg_check "$file: a journal copy to the archive" \
                grep -lq '^X-Rcpt-Args: <archive@school.example>' $(sg_sink_files "$qid")
        fi
        ;;
    esac
done
sg_check "five corpus messages sent ($n)" test "$n" -eq 5
[ "$SG_FAILS" -eq 0 ]
