#!/bin/bash
# test_exempt.sh - exempt correspondence (exempt_addresses) through a real
# private Postfix, the real daemon, the demo school's directory and the
# shipped policy:
#  1. a teacher's personal mobile and Snapchat sent to the union rep
#     (exempt) is delivered, leaves no record, and the filter's log has
#     one line for it that names no one and quotes none of its words;
#  2. the rep writing back to the teacher: delivered, exempt;
#  3. the same words to a pupil with the union rep in Cc: held, as before
#     (an exemption is never a way round the rules);
#  4. SIGUSR2's counters line counts the two exempt messages;
#  5. an exempt address of a pupil stops the load (safeguard-milter -n),
#     naming the line;
#  6. safeguard-check says what the daemon did with 1 and 3.
set -u
. "$(dirname "$0")/lib.sh"
sg_require_postfix

check() { sg_check "$@"; }

SAMPLES="$SG_SRCDIR/contrib/samples"
REP=unison-rep@unison.example
sg_setup
sg_start_sink
sg_write_milter_conf "trusted_networks = 127.0.0.1/32" \
    "directory_file = $SAMPLES/school.dir" \
    "exempt_addresses = $REP, @oh-provider.example" \
    "hold_reconcile_interval = 0"
sg_start_postfix
sg_start_milter
DB="$SG_QUARANTINE/quarantine.db"
# records DB: how many records the store holds (none when it was never
# made)
records() { [ -f "$DB" ] && sqlite3 "$DB" "select count(*) from records" || echo 0; }

# ----------------------------------------- 1. a teacher to the union rep
sed -e "s/^To: .*/To: Union Rep <$REP>/" -e '/^Cc: /d' \
    -e 's/^Subject: .*/Subject: My grievance hearing/' \
    "$SAMPLES/personal-contact-details.eml" >"$SG_WORK/rep.eml"
sg_send "$SG_WORK/rep.eml" j.smith@school.example "$REP"
check "1: queued ($QID)" test -n "$QID"
sg_wait_summary
check "1: accepted as exempt" sg_summary_has ": verdict=accept exempt=yes rcpts=1 "
check "1: delivered" sg_wait_delivered
check "1: no record" test "$(records)" = 0
check "1: the line names no one" sg_summary_lacks "unison|smith|school.example|staff"
for words in 07700 mrsmith_teach grievance "Half-term" unison j.smith; do
    check "1: the log never says \"$words\"" bash -c "! grep -qi -- '$words' '$SG_MILTER_LOG'"
done

# ----------------------------------------- 2. the rep writing back
printf 'From: Union Rep <%s>\nTo: John Smith <j.smith@school.example>\nSubject: Re: hearing\n\nCall me on 07700 900456.\n' \
    "$REP" >"$SG_WORK/back.eml"
sg_send "$SG_WORK/back.eml" "$REP" j.smith@school.example
sg_wait_summary
check "2: the rep's reply is exempt" sg_summary_has ": verdict=accept exempt=yes "
check "2: delivered" sg_wait_delivered

# ----------------------------------------- 3. a pupil with the rep in Cc
sed -e "s/^Cc: .*/Cc: Union Rep <$REP>/" "$SAMPLES/personal-contact-details.eml" \
    >"$SG_WORK/pupil.eml"
sg_send "$SG_WORK/pupil.eml" j.smith@school.example "amy.patel@school.example,$REP"
sg_wait_summary
check "3: to a pupil with the rep in Cc: held" \
    sg_summary_has "verdict=hold.* rules=personal-contact-details"
check "3: not exempt" sg_summary_lacks "exempt="
check "3: in the hold queue" sg_wait_held
check "3: with its record" test "$(records)" = 1

# ----------------------------------------- 4. the counter
kill -USR2 "$SG_MILTER_PID"
check "4: the counters line counts two exempt messages" \
    sg_wait_for "$SG_MILTER_LOG" "exempt: messages=2$" 10

# ----------------------------------------- 5. a pupil's address exempt
sed -e "s/^exempt_addresses = .*/exempt_addresses = amy.patel@school.example/" \
    "$SG_MILTER_CONF" >"$SG_WORK/bad.conf"
"$SG_MILTER_BIN" -n -c "$SG_WORK/bad.conf" >"$SG_WORK/bad.out" 2>&1
check "5: refused" test $? -ne 0
check "5: naming the line" grep -q "bad.conf:[0-9]*: exempt_addresses: amy.patel@school.example belongs to a pupil" "$SG_WORK/bad.out"

# ----------------------------------------- 6. safeguard-check agrees
CHECK="$SG_BUILDDIR/milter/safeguard-check"
"$CHECK" -c "$SG_MILTER_CONF" --from j.smith@school.example --auth j.smith \
    --to "$REP" "$SG_WORK/rep.eml" >"$SG_WORK/check-rep.txt" 2>&1
check "6: safeguard-check: the rep's message is exempt" \
    grep -q "^Log: verdict=accept exempt=yes rcpts=1$" "$SG_WORK/check-rep.txt"
"$CHECK" -c "$SG_MILTER_CONF" --from j.smith@school.example --auth j.smith \
    --to amy.patel@school.example --to "$REP" "$SG_WORK/pupil.eml" \
    >"$SG_WORK/check-pupil.txt" 2>&1
check "6: safeguard-check: with a pupil, held as the daemon held it" \
    grep -q "^Verdict: hold" "$SG_WORK/check-pupil.txt"

echo "$SG_FAILS failed"
[ "$SG_FAILS" -eq 0 ]
