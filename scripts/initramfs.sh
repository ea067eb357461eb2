#!/bin/bash
# Build build/initramfs.cpio.gz: static busybox, scripts/guest-init.sh as
# /init, the aufs selftests built static from the patched tree and
# installed with kselftest's runner (/kselftest), and the benchmark.
set -eu
. "$(dirname "$0")/lib.sh"

root=$BUILD/initramfs
out=$BUILD/initramfs.cpio.gz
bb=/bin/busybox
ldd "$bb" 2>&1 | grep -q "not a dynamic" ||
	die "$bb is not static (apt-get install busybox-static)"

# The selftests are built and installed the kselftest way; the guest
# runs them with run_kselftest.sh.  Static, for a guest without a libc.
ks=$BUILD/kselftest
step "building the selftests: make -C tools/testing/selftests TARGETS=filesystems/aufs install"
rm -rf "$ks"
# the series' uapi headers (linux/magic.h), where KHDR_INCLUDES looks
make -s -C "$TREE" O="$BUILD/kselftest-build" headers >/dev/null ||
	die "make headers failed"
log=$(make -C "$TREE/tools/testing/selftests" TARGETS=filesystems/aufs \
	O="$BUILD/kselftest-build" LDFLAGS=-static INSTALL_PATH="$ks" \
	install 2>&1) || { echo "$log"; die "the selftests do not build"; }
if echo "$log" | grep -q 'warning:'; then
	echo "$log" | grep -A3 'warning:'
	die "the selftests build with warnings"
fi
for bin in "$ks"/filesystems/aufs/*_test; do
	ldd "$bin" 2>&1 | grep -q "not a dynamic" || die "$bin is not static"
done

mkdir -p "$BUILD/tests"
rm -f "$BUILD"/tests/*_test	# from before the selftests were installed
bin=$BUILD/tests/aufs_bench
if [ ! -x "$bin" ] || [ "$TOP/bench/aufs_bench.c" -nt "$bin" ]; then
	gcc -static -O2 -Wall -Werror -pthread -o "$bin" "$TOP/bench/aufs_bench.c"
fi

step "assembling the initramfs"
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests,demo}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$TOP/scripts/guest-init.sh" "$root/init"
chmod 755 "$root/init"
cp "$BUILD"/tests/* "$root/tests/"
cp -a "$ks" "$root/kselftest"
# mkfs.ext4, mkfs.xfs and their libraries: the ext4 variants and the
# XFS tests of the selftests make their own filesystems (busybox's
# mke2fs makes ext2 only).
mkfs=$(command -v mke2fs || echo /sbin/mke2fs)
[ -x "$mkfs" ] || die "no mke2fs (apt-get install e2fsprogs)"
mkxfs=$(command -v mkfs.xfs || echo /sbin/mkfs.xfs)
[ -x "$mkxfs" ] || die "no mkfs.xfs (apt-get install xfsprogs)"
cp "$mkfs" "$root/bin/mkfs.ext4"
cp "$mkxfs" "$root/bin/mkfs.xfs"
for lib in $({ ldd "$mkfs"; ldd "$mkxfs"; } | grep -o '/[^ ]*' | sort -u); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
mkdir -p "$root/etc"
[ -f /etc/mke2fs.conf ] && cp /etc/mke2fs.conf "$root/etc/"
(cd "$root" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
