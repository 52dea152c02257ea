#!/bin/sh
# queue-list.sh QUEUE_DIRECTORY - the tests' stand-in for "postqueue -j"
# as the daemon's queue command.  The daemon runs as the unprivileged
# user, and Postfix's set-group-id postqueue refuses a configuration
# directory (-c) that the system's main.cf does not list to anyone but
# root; the test instance's is not listed.  The daemon's user here is
# the test instance's mail_owner, which may read its queue directory, so
# this lists the real queue files there, one JSON line each with the
# fields the filter reads, as postqueue -j does.
q=$1
[ -d "$q/hold" ] || { echo "queue-list.sh: no queue at $q" >&2; exit 69; }
for name in maildrop incoming active deferred hold corrupt; do
    [ -d "$q/$name" ] || continue
    find "$q/$name" -type f -printf '%f\n' |
        while read -r id; do
            printf '{"queue_name": "%s", "queue_id": "%s"}\n' "$name" "$id"
        done
done
