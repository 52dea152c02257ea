#!/bin/bash
# test_arm64.sh - the code written for arm64 alone (the NEON paths of the
# sixteen-bytes-at-a-time passes), which the suite's amd64 machines never
# compile: every source file with code for one architecture is compiled
# for arm64 with aarch64-linux-gnu-gcc and warnings as errors, and
# arm64_vectors.c holds the NEON searches to their byte loops, run under
# qemu-aarch64.  Skipped where the cross compiler or qemu is missing
# (contrib/install-deps.sh installs both).
set -u
SRC=${SG_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${SG_BUILDDIR:-$SRC}
CC_ARM=${CC_ARM:-aarch64-linux-gnu-gcc}
QEMU=${QEMU:-qemu-aarch64-static}
command -v "$CC_ARM" >/dev/null && command -v "$QEMU" >/dev/null ||
    { echo "SKIP: $CC_ARM or $QEMU missing"; exit 77; }
[ -f "$BUILD/config.h" ] || { echo "not ok - no config.h in $BUILD"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the host's library headers after the cross compiler's own (its libc's
# come first); those used here are the same on both 64-bit targets
host_inc=()
for f in $(pkg-config --cflags-only-I glib-2.0 gmime-3.0 libxml-2.0 icu-uc \
               libpcre2-8 2>/dev/null) -I/usr/include; do
    host_inc+=(-idirafter "${f#-I}")
done
inc=(-I"$BUILD" -I"$SRC/common" -I"$SRC/core" -I"$SRC/rules")
fail=0

# 1. every file with code for one architecture, or that reads sixteen or
# eight bytes at a time, compiles for arm64 without a warning
files=$(cd "$SRC" && grep -lE '__ARM_NEON|__aarch64__|__SSE2__|__x86_64__|scan16\.h|sg_swar\.h' \
            common/*.[ch] core/*.[ch] rules/*.[ch] | grep -v '\.h$')
n=0
for f in $files; do
    n=$((n + 1))
    if ! out=$("$CC_ARM" -std=gnu11 -O2 -Wall -Wextra -Werror -fsyntax-only \
                 "${inc[@]}" "${host_inc[@]}" "$SRC/$f" 2>&1); then
        echo "not ok - $f does not compile for arm64:"
        echo "$out" | head -20 | sed 's/^/#   /'
        fail=1
    fi
done
echo "# $n files compiled for arm64: $(echo $files)"

# 2. the NEON searches give the byte loops' answers
if ! out=$("$CC_ARM" -std=gnu11 -O2 -Wall -Wextra -Werror -static \
             "${inc[@]}" "${host_inc[@]}" \
             "$SRC/tests/cross/arm64_vectors.c" -o "$work/arm64_vectors" \
             -Wl,--unresolved-symbols=ignore-all 2>&1); then
    echo "not ok - arm64_vectors.c does not build:"
    echo "$out" | head -20 | sed 's/^/#   /'
    exit 1
fi
"$QEMU" "$work/arm64_vectors" "${ARM64_TEXTS:-4000}" || fail=1
exit $fail
