#!/bin/bash
# make check-bisect: every step of the series builds.  After each patch:
#
#  - a patch that changes the kernel outside fs/aufs, Documentation,
#    tools/testing and MAINTAINERS (the mm/VFS hooks at the front):
#    the guest kernel, aufs built in where it exists (build/kbuild-x86);
#  - after each patch that changes fs/aufs (the first aufs patch wires
#    it into kbuild): fs/aufs built in with W=1 and sparse, where any
#    warning fails; the guest kernel linked with it, so a call to a
#    function only a later patch adds fails; aufs.ko (build/kbuild-mod);
#    and, once the KUnit suites exist, their UML build (kunit.py build
#    --kunitconfig=fs/aufs).
#
# Incremental: it uses the build directories of make check, and the tree
# ends with the whole series applied, as source.sh leaves it (the next
# kernel build of make check then rebuilds what the hooks touch).  Stops
# at the first patch that does not build or warns; the log is
# build/logs/check-bisect.log.
set -eu
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/source.sh"
export QUILT_PATCHES=$TOP/patches QUILT_SERIES=$TOP/series QUILT_PC=.pc
# the module configuration of make check, so that neither rebuilds the
# other's kernel for a configuration change
grep -v '^CONFIG_AUFS_FS=' "$TOP/configs/plain.config" |
	cat - "$TOP/configs/module.config" > "$BUILD/module.config"
log=$LOGS/check-bisect.log
: > "$log"

# configure DIR FRAGMENT: as build-kernel.sh does; options of aufs may
# not exist yet.
configure() {
	mkdir -p "$1"
	make -s -C "$TREE" O="$1" tinyconfig >>"$log" 2>&1
	"$TREE/scripts/kconfig/merge_config.sh" -m -O "$1" \
		"$1/.config" "$2" >>"$log" 2>&1
	make -s -C "$TREE" O="$1" olddefconfig >>"$log" 2>&1
}

# warnings CMD...: run a build; fail on an error or any warning.
warnings() {
	local out rc=0

	out=$("$@" 2>&1) || rc=$?
	echo "$out" >>"$log"
	if [ $rc != 0 ] || echo "$out" | grep -qE 'warning:|error:'; then
		echo "$out" | grep -E 'warning:|error:|ERROR' | head -20
		return 1
	fi
}

fail() {
	quilt push -a -q >/dev/null
	die "$1: $2 (see ${log#$TOP/})"
}

cd "$TREE"
quilt pop -a -q >/dev/null
total=$(grep -cv '^[[:space:]]*\(#\|$\)' "$TOP/series")
i=0
start=$(date +%s)
configured=
while quilt next >/dev/null 2>&1; do
	i=$((i + 1))
	quilt push -q >/dev/null
	name=$(basename "$(quilt top)")
	files=$(quilt files)
	core=$(echo "$files" |
	       grep -cvE '^(fs/aufs/|Documentation/|tools/testing/|MAINTAINERS$)' ||
	       true)
	# a new option changes the configurations
	if [ -z "$configured" ] || echo "$files" | grep -q 'Kconfig'; then
		configure "$KBUILD_X86" "$TOP/configs/guest.config"
		configure "$BUILD/kbuild-mod" "$BUILD/module.config"
		configured=1
	fi
	aufs=
	[ -f fs/aufs/Makefile ] && echo "$files" | grep -q '^fs/aufs/' &&
		aufs=1
	if [ "$core" = 0 ] && [ -z "$aufs" ]; then
		step "[$i/$total] $name: nothing to build"
		continue
	fi
	if [ -n "$aufs" ]; then
		step "[$i/$total] $name: fs/aufs with W=1 and sparse"
		warnings make -C "$TREE" O="$KBUILD_X86" -j"$JOBS" W=1 C=2 \
			CHECK=sparse fs/aufs/ ||
			fail "$name" "fs/aufs does not build clean with W=1 and sparse"
	fi
	step "[$i/$total] $name: the kernel${aufs:+, aufs built in}"
	make -C "$TREE" O="$KBUILD_X86" -j"$JOBS" bzImage >>"$log" 2>&1 ||
		fail "$name" "the kernel does not build"
	[ -n "$aufs" ] || continue
	step "[$i/$total] $name: aufs.ko"
	warnings make -C "$TREE" O="$BUILD/kbuild-mod" -j"$JOBS" \
		fs/aufs/aufs.ko ||
		fail "$name" "aufs.ko does not build or link"
	if [ -f fs/aufs/.kunitconfig ]; then
		step "[$i/$total] $name: KUnit suites (UML)"
		./tools/testing/kunit/kunit.py build --kunitconfig=fs/aufs \
			--build_dir="$KBUILD_UML" --jobs="$JOBS" >>"$log" 2>&1 ||
			fail "$name" "the KUnit suites do not build"
	fi
done
step "every one of the $total patches builds ($(( $(date +%s) - start ))s)"
