#!/bin/sh
# Install the Debian 12 packages safeguard-milter needs to build, test and
# demonstrate.  Run as root.  Postfix and slapd are preseeded to "no
# configuration", so installing them does not start a system mail server or
# directory: the demo and the tests run their own private instances (of
# PostgreSQL too, from the postgresql package's binaries, whatever cluster
# the package itself starts).
#
#   contrib/install-deps.sh            build + test + demo packages
#   contrib/install-deps.sh --build    only what building needs
set -eu

BUILD="build-essential autoconf automake libtool pkgconf
libmilter-dev libldap-dev libgmime-3.0-dev libpcre2-dev libsqlite3-dev
libxml2-dev libjansson-dev libsodium-dev libmicrohttpd-dev libcmocka-dev libicu-dev
libexif-dev libpoppler-glib-dev libarchive-dev libseccomp-dev libpq-dev"
# The detectors' scan engine (configure --with-hyperscan): Hyperscan on
# amd64, its port Vectorscan elsewhere; without either, configure picks the
# PCRE2-only path.
case "$(dpkg --print-architecture 2>/dev/null)" in
amd64) BUILD="$BUILD libhyperscan-dev" ;;
arm64) BUILD="$BUILD libvectorscan-dev" ;;
esac
TEST="postfix slapd postgresql ldap-utils miltertest swaks valgrind openssl faketime sqlite3 python3 curl systemd iproute2
libsasl2-modules libsasl2-modules-db
clang libclang-rt-14-dev chromium fonts-dejavu-core
debhelper lintian"
# The code written for arm64 alone is compiled and run under qemu on amd64
# (tests/cross/test_arm64.sh).
[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] &&
    TEST="$TEST gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static"

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: run as root (it calls apt-get)" >&2
    exit 1
fi
packages=$BUILD
[ "${1:-}" = "--build" ] || packages="$BUILD $TEST"

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "install-deps: all packages already installed"
    exit 0
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
echo "slapd slapd/no_configuration boolean true" | debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
