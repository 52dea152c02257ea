#!/bin/sh
# queue-notice.sh PORT FROM TO... - the tests' stand-in for sendmail as
# the notice command.  Like postdrop, it takes the notice and returns at
# once, and the notice reaches Postfix afterwards (here over SMTP to the
# test instance on 127.0.0.1:PORT).  Handing it over synchronously would
# make the filter wait, inside the end of one message, for Postfix to pass
# the notice back through the same filter.
port=$1 from=$2
shift 2
f=$(mktemp "${TMPDIR:-/tmp}/sg-notice.XXXXXX") || exit 75
cat >"$f" || { rm -f "$f"; exit 75; }
to=$(printf '%s,' "$@")
(
    swaks --silent 2 --server "127.0.0.1:$port" --from "$from" \
        --to "${to%,}" --data "$f"
    rm -f "$f"
) >/dev/null 2>&1 &
exit 0
