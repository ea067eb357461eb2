#!/bin/bash
# Build build/initramfs.cpio.gz: static busybox, scripts/guest-init.sh as
# /init, and the aufs selftests built static from the patched tree.
set -eu
. "$(dirname "$0")/lib.sh"

tdir=$TREE/tools/testing/selftests/filesystems/aufs
root=$BUILD/initramfs
out=$BUILD/initramfs.cpio.gz
bb=/bin/busybox
ldd "$bb" 2>&1 | grep -q "not a dynamic" ||
	die "$bb is not static (apt-get install busybox-static)"

step "building the selftests static (${tdir#$TOP/})"
mkdir -p "$BUILD/tests"
for src in "$tdir"/*.c; do
	bin=$BUILD/tests/$(basename "$src" .c)
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ] ||
	   [ "$TREE/tools/testing/selftests/kselftest_harness.h" -nt "$bin" ]; then
		gcc -static -O2 -Wall -Wno-format-truncation -Werror -pthread \
			-I"$TREE/tools/testing/selftests" -o "$bin" "$src"
	fi
done

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
(cd "$root" && find . | sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
