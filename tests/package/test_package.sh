#!/bin/bash
# test_package.sh - the Debian packages as a school's mail admin meets
# them: built from a copy of this tree (dpkg-buildpackage, one build),
# lintian-clean, installed with apt into a clean state, not started and
# saying "not configured" until the school is set, configured with the
# README's commands; then mail through a real private Postfix to the
# installed daemon, running as the package's user, is held, and a held
# message released; an upgrade to a higher version keeps the held
# message, its record, the configuration, the key and the school's edited
# rules; purge leaves nothing (files, user, group, units).
#
# Root only (apt, dpkg, Postfix); skipped, exit 77, otherwise, and on a
# machine where the packages or their user are there already, which the
# test would otherwise replace and purge.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: installs Debian packages: needs root"; exit 77; }
for tool in dpkg-buildpackage dh lintian apt-get; do
    command -v "$tool" >/dev/null ||
        { echo "SKIP: $tool is not installed (contrib/install-deps.sh installs it)"; exit 77; }
done
PKGS="safeguard-milter safeguard-review safeguard-milter-common"
for p in $PKGS; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
        echo "SKIP: $p is installed on this machine; the test would purge it"; exit 77
    fi
done
if getent passwd safeguard-milter >/dev/null || [ -e /etc/safeguard-milter ]; then
    echo "SKIP: a safeguard-milter user or /etc/safeguard-milter exists already"; exit 77
fi

: "${SG_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
# The harness (tests/integration/lib.sh) runs its programs from
# SG_BUILDDIR: here a tree of the installed ones (made below).
PKGW=$(mktemp -d "/tmp/sg-pkg${SG_TESTRUN:+.$SG_TESTRUN}.XXXXXX")
SG_BUILDDIR=$PKGW/installed
. "$SG_SRCDIR/tests/integration/lib.sh"
sg_require_postfix

t0=$(date +%s)
elapsed() { echo "# $1: $(($(date +%s) - t0)) s"; }

ETC=/etc/safeguard-milter
CONF=$ETC/safeguard-milter.conf
UNITS=/lib/systemd/system
export DEBIAN_FRONTEND=noninteractive

# Everything the packages and this test leave is removed, even when a
# check failed or the test was interrupted: the daemon and the private
# Postfix first (sg_cleanup), then the packages, then anything a purge
# that failed left behind.
pkg_cleanup() {
    local rc=$?
    sg_cleanup
    apt-get purge -y -q $PKGS >>"$PKGW/cleanup.log" 2>&1
    rm -rf "$ETC" /var/lib/safeguard-milter /var/spool/postfix/safeguard \
        /run/safeguard-milter
    getent passwd safeguard-milter >/dev/null && userdel safeguard-milter
    getent group safeguard-milter >/dev/null && groupdel safeguard-milter
    rm -rf "$PKGW"
    exit "$rc"
}
trap pkg_cleanup EXIT
trap 'exit 1' INT TERM

# --- build: one build, in a copy of the tree (the tree is left as it was)
mkdir -p "$PKGW/src"
if git -C "$SG_SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$SG_SRCDIR" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 cp -P --parents -t "$PKGW/src")
else
    tar -C "$SG_SRCDIR" --exclude=./_build --exclude=./.git -cf - . | tar -C "$PKGW/src" -xf -
fi
(cd "$PKGW/src" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
    dpkg-buildpackage -us -uc -b >"$PKGW/build.log" 2>&1)
rc=$?
sg_check "dpkg-buildpackage builds the packages (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { tail -40 "$PKGW/build.log"; exit 1; }
elapsed "built"
VERSION=$(cd "$PKGW/src" && dpkg-parsechangelog -S Version)
ARCH=$(dpkg --print-architecture)
DEBS=("$PKGW/safeguard-milter-common_${VERSION}_all.deb"
      "$PKGW/safeguard-milter_${VERSION}_$ARCH.deb"
      "$PKGW/safeguard-review_${VERSION}_$ARCH.deb")
for d in "${DEBS[@]}"; do sg_check "built $(basename "$d")" test -f "$d"; done

lintian --fail-on error,warning --suppress-tags-from-file /dev/null \
    "$PKGW"/safeguard-milter_"${VERSION}"_"$ARCH".changes >"$PKGW/lintian.log" 2>&1
rc=$?
sg_check "lintian: no error or warning (exit $rc)" test "$rc" -eq 0
sed 's/^/#   /' "$PKGW/lintian.log"
elapsed "lintian"

# --- install into a clean state
apt-get install -y -q --no-install-recommends "${DEBS[@]}" >"$PKGW/install.log" 2>&1
rc=$?
sg_check "apt-get install ./*.deb (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { tail -30 "$PKGW/install.log"; exit 1; }

owner_mode() { stat -c '%U:%G %a' "$1" 2>/dev/null; }
sg_check "the user and group" sh -c "getent passwd safeguard-milter >/dev/null && getent group safeguard-milter >/dev/null"
sg_check "  Postfix in the filter's group" sh -c 'id -nG postfix | tr " " "\n" | grep -qx safeguard-milter'
sg_check "the notice key: the filter's user's alone" test "$(owner_mode $ETC/notice.key)" = "safeguard-milter:safeguard-milter 600"
sg_check "  48 bytes" test "$(stat -c %s $ETC/notice.key)" -eq 48
sg_check "the state directory" test "$(owner_mode /var/lib/safeguard-milter)" = "safeguard-milter:safeguard-milter 750"
sg_check "the socket directory in Postfix's queue directory" \
    test "$(owner_mode /var/spool/postfix/safeguard)" = "safeguard-milter:safeguard-milter 750"
sg_check "the run-time directory" test "$(owner_mode /run/safeguard-milter)" = "safeguard-milter:safeguard-milter 750"
sg_check "the configuration, a conffile" grep -qx "$CONF" /var/lib/dpkg/info/safeguard-milter-common.conffiles
sg_check "the school's rules, a conffile" grep -qx "$ETC/rules" /var/lib/dpkg/info/safeguard-milter.conffiles
sg_check "  which include the shipped policy" \
    grep -qx 'include "/usr/share/safeguard-milter/default.rules"' "$ETC/rules"
sg_check "the shipped policy" test -s /usr/share/safeguard-milter/default.rules
sg_check "the attachment helper" test -x /usr/libexec/safeguard-milter/safeguard-extract
for u in safeguard-milter.service safeguard-review.service safeguard-release.socket \
         safeguard-release@.service safeguard-review-expire.timer \
         safeguard-review-expire.service safeguard-review-digest.timer \
         safeguard-review-digest.service; do
    sg_check "unit $u installed" test -f "$UNITS/$u"
done
# the installed units as systemd reads them (the programs and man pages
# they name are there now); the template needs an instance
systemd-analyze verify "$UNITS"/safeguard-milter.service "$UNITS"/safeguard-review*.service \
    "$UNITS"/safeguard-review-*.timer "$UNITS"/safeguard-release.socket >"$PKGW/verify.out" 2>&1
rc=$?
sg_check "systemd-analyze verify: the units (exit $rc)" test "$rc" -eq 0 -a ! -s "$PKGW/verify.out"
sed 's/^/#   /' "$PKGW/verify.out"
# nothing enabled (so nothing starts, now or at boot) until the admin says
enabled=$(find /etc/systemd/system -name 'safeguard-*' 2>/dev/null)
sg_check "no unit enabled${enabled:+: $enabled}" test -z "$enabled"
for m in safeguard-milter.8 safeguard-check.8 safeguard-extract.8 safeguard-review.8 \
         safeguard-release.8; do
    sg_check "man page $m" test -f "/usr/share/man/man8/$m.gz"
done

# Not configured: -n says so, and so does the unit's check before start
# (the line of the installed unit, run as systemd would).
safeguard-milter -n >"$PKGW/n0.out" 2>&1
rc=$?
sg_check "not configured: safeguard-milter -n fails (exit $rc)" test "$rc" -eq 78
sg_check "  and says so" grep -q "$CONF: not configured yet: no school_domains" "$PKGW/n0.out"
pre=$(sed -n 's|^ExecStartPre=\(/usr/sbin/safeguard-milter -n .*\)|\1|p' "$UNITS/safeguard-milter.service")
sg_check "the unit checks before it starts" test -n "$pre"
sh -c "$pre" >"$PKGW/pre.out" 2>&1
sg_check "  and that check stops the start, saying why" \
    sh -c "! sh -c '$pre' >/dev/null 2>&1 && grep -q 'not configured yet' '$PKGW/pre.out'"
safeguard-review check >"$PKGW/review-check0.out" 2>&1
sg_check "safeguard-review check reads the installed configuration" grep -q "is valid" "$PKGW/review-check0.out"
elapsed "installed"

# --- the demo school, with the README's commands
install -m 0644 "$SG_SRCDIR/contrib/samples/school.dir" "$ETC/school.dir"
cat >>"$CONF" <<'CONF'
school_domains = school.example
directory_file = /etc/safeguard-milter/school.dir
CONF
# the school's own rule, after the shipped policy
cat >>"$ETC/rules" <<'RULES'

rule school-own-to-parents {
    title   "Staff personal email to a parent"
    policy  "Staff write to parents from their school account."
    source  "School's own policy"
    mode    test
    from    staff via personal
    to      parent
    action  annotate
}
RULES
safeguard-milter -n >"$PKGW/n1.out" 2>&1
rc=$?
safeguard-check -n >>"$PKGW/n1.out" 2>&1
sg_check "configured: safeguard-milter -n passes (exit $rc)" test "$rc" -eq 0
sed 's/^/#   /' "$PKGW/n1.out"
sh -c "$pre" >/dev/null 2>&1
sg_check "  and so does the unit's check" test $? -eq 0
rules_shipped=$(grep -c '^rule ' /usr/share/safeguard-milter/default.rules)
rules_before=$(sed -n 's|^rules: /etc/safeguard-milter/rules: \([0-9]*\) rules.*|\1|p' "$PKGW/n1.out")
sg_check "  the school's rules: the shipped policy ($rules_shipped) and its own" \
    test "${rules_before:-0}" -eq $((rules_shipped + 1))

# --- mail through a private Postfix to the installed daemon, run as the
# unit runs it: the package's user and postdrop, umask 0007, the socket
# in the queue directory (as the package makes /var/spool/postfix/
# safeguard), reached by Postfix through the group postinst put it in.
mkdir -p "$SG_BUILDDIR/milter" "$SG_BUILDDIR/review"
cat >"$SG_BUILDDIR/milter/safeguard-milter" <<'SH'
#!/bin/sh
umask 0007
exec setpriv --reuid=safeguard-milter --regid=safeguard-milter \
    --groups="$(getent group postdrop | cut -d: -f3)" --inh-caps=-all \
    /usr/sbin/safeguard-milter -p "$SG_MILTER_SOCKET" "$@"
SH
chmod 755 "$SG_BUILDDIR/milter/safeguard-milter"
ln -s /usr/bin/safeguard-review "$SG_BUILDDIR/review/safeguard-review"
sg_setup
trap pkg_cleanup EXIT
export SG_MILTER_SOCKET
chown safeguard-milter:safeguard-milter "$SG_MILTER_DIR" && chmod 0750 "$SG_MILTER_DIR"
SG_MILTER_CONF=$CONF
SG_QUARANTINE=/var/lib/safeguard-milter
touch "$SG_MILTER_LOG"
sg_start_sink
sg_start_postfix
sg_start_milter
sg_check "the installed daemon runs as its user" \
    test "$(ps -o user= -p "$SG_MILTER_PID")" = safeguard-milter

SAMPLE=$SG_SRCDIR/contrib/samples/personal-contact-details.eml
hold_one() { # hold_one NAME: sets QID and RECORD
    sg_send "$SAMPLE" j.smith@school.example amy.patel@school.example
    sg_wait_summary
    RECORD=$(sg_summary | grep -o 'record=SG-[0-9]*-[0-9A-F]*' | cut -d= -f2)
    sg_check "message $1 held ($QID, record $RECORD)" sg_wait_held
    sg_check "  its record is held" test "$(sg_record_status "$RECORD")" = held
}
hold_one A; QA=$QID; RA=$RECORD
hold_one B; QB=$QID; RB=$RECORD
sg_check "the store belongs to the filter's user" \
    test "$(stat -c %U /var/lib/safeguard-milter/quarantine.db)" = safeguard-milter
sg_review release "$RA" --by a.khan --note "Checked with the head of year" >"$PKGW/release.out" 2>&1
sg_check "A released with the installed safeguard-review" test $? -eq 0
QID=$QA
sg_check "  and delivered" sg_wait_delivered
sg_check "  its record released" test "$(sg_record_status "$RA")" = released
elapsed "held and released"

# --- upgrade: the same packages with a higher version (dpkg-deb -R,
# the version bumped, dpkg-deb -b): an upgrade with all its maintainer
# scripts
NEW=$VERSION+upgrade1
mkdir -p "$PKGW/new"
NEW_DEBS=()
for d in "${DEBS[@]}"; do
    x=$PKGW/new/x
    rm -rf "$x" && dpkg-deb -R "$d" "$x"
    sed -i -e "s/^Version: $VERSION\$/Version: $NEW/" \
        -e "s/(= $VERSION)/(= $NEW)/g" "$x/DEBIAN/control"
    n=$PKGW/new/$(basename "${d/_${VERSION}_/_${NEW}_}")
    dpkg-deb -b "$x" "$n" >/dev/null && NEW_DEBS+=("$n")
done
key_before=$(sha256sum <"$ETC/notice.key")
rules_file_before=$(sha256sum <"$ETC/rules")
apt-get install -y -q --no-install-recommends "${NEW_DEBS[@]}" </dev/null >"$PKGW/upgrade.log" 2>&1
rc=$?
sg_check "upgrade to $NEW (exit $rc)" test "$rc" -eq 0
sg_check "  all three at $NEW" test "$(dpkg-query -W -f='${Version}\n' $PKGS | sort -u)" = "$NEW"
sg_check "  the school's configuration kept" grep -qx "school_domains = school.example" "$CONF"
sg_check "  the school's edited rules kept" test "$(sha256sum <"$ETC/rules")" = "$rules_file_before"
sg_check "  no copy of a conffile left beside it" test -z "$(find $ETC -name '*.dpkg-*')"
sg_check "  the notice key kept" test "$(sha256sum <"$ETC/notice.key")" = "$key_before"
sg_stop_milter
sg_start_milter
safeguard-check -n >"$PKGW/n2.out" 2>&1
sg_check "  the edited rules still load, all $rules_before" \
    grep -q "^rules: /etc/safeguard-milter/rules: $rules_before rules" "$PKGW/n2.out"
sg_check "  B still in the hold queue" sg_held "$QB"
sg_check "  B's record still held" test "$(sg_record_status "$RB")" = held
sg_check "  A's record still released" test "$(sg_record_status "$RA")" = released
sg_review show "$RB" >"$PKGW/show.out" 2>&1
sg_check "  B shown by the upgraded safeguard-review" grep -q "^Mail queue in the hold queue" "$PKGW/show.out"
sg_review release "$RB" --by a.khan --note "After the upgrade" >/dev/null 2>&1
QID=$QB
sg_check "  B released after the upgrade, and delivered" sg_wait_delivered
hold_one C
elapsed "upgraded"

# --- purge: nothing left
sg_stop_milter
postfix -c "$SG_PF" stop >/dev/null 2>&1
rm -f "$ETC/school.dir"     # the admin's own file, not the package's
apt-get purge -y -q $PKGS >"$PKGW/purge.log" 2>&1
rc=$?
sg_check "purge (exit $rc)" test "$rc" -eq 0
sg_check "  no package left" sh -c "! dpkg-query -W -f='\${Status}\n' $PKGS 2>/dev/null | grep -q installed"
for f in "$ETC" /var/lib/safeguard-milter /var/spool/postfix/safeguard /run/safeguard-milter \
         /usr/share/safeguard-milter /usr/libexec/safeguard-milter \
         /usr/sbin/safeguard-milter /usr/bin/safeguard-review; do
    sg_check "  $f gone" test ! -e "$f"
done
left=$(find /lib/systemd/system /etc/systemd /var/lib/systemd -name '*safeguard*' 2>/dev/null)
sg_check "  no unit, no enablement left${left:+: $left}" test -z "$left"
sg_check "  no user" sh -c '! getent passwd safeguard-milter'
sg_check "  no group" sh -c '! getent group safeguard-milter'
elapsed "purged"

[ "$SG_FAILS" -eq 0 ]
