#!/bin/bash
# make check-bisect: every step of the series builds.  After each patch:
#
#  - a patch that changes the kernel outside fs/aufs, Documentation,
#    tools/testing and MAINTAINERS (the mm/VFS hooks at the front):
#    the guest kernel (build/kbuild-x86); kernel/events/uprobes.c, which
#    no guest configuration builds, in a configuration of its own
#    (configs/uprobes.config, build/kbuild-uprobes), with W=1;
#  - after each patch that changes fs/aufs (the first aufs patch wires
#    it into kbuild): fs/aufs built in with W=1 and sparse, where any
#    warning fails; the guest kernel linked with it, so a call to a
#    function only a later patch adds fails; the module build of make
#    check (build/kbuild-mod: vmlinux and aufs.ko, through modpost);
#    and, once the KUnit suites exist, their UML kernel, and fs/aufs
#    with the suites under UML with W=1 and sparse.
#
# AUFS_BISECT_FROM=NAME.patch applies the patches before NAME without
# building them (they were checked before).
#
# Incremental: it uses the build directories of make check.  The tree
# ends with the whole series applied, however the script ends (the next
# kernel build of make check then rebuilds what the hooks touch); while
# it runs, build/series.applied is gone, so that nothing else takes the
# half-applied tree for the patched one.  Stops at the first patch that
# does not build or warns; the log is build/logs/check-bisect.log.
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
stamp=$BUILD/series.applied
from=${AUFS_BISECT_FROM:-}
if [ -n "$from" ]; then
	grep -qxF "$from" "$TOP/series" || die "AUFS_BISECT_FROM: $from is not in series"
fi

# configure DIR FRAGMENT: as build-kernel.sh does; options of aufs may
# not exist yet.
configure() {
	mkdir -p "$1"
	{
		make -s -C "$TREE" O="$1" tinyconfig
		"$TREE/scripts/kconfig/merge_config.sh" -m -O "$1" \
			"$1/.config" "$2"
		make -s -C "$TREE" O="$1" olddefconfig
	} >>"$log" 2>&1
}

# warnings CMD...: run a build; fail on an error or any warning.
warnings() {
	local out rc=0

	out=$("$@" 2>&1) || rc=$?
	echo "$out" >>"$log"
	if [ $rc != 0 ] || echo "$out" | grep -qiE 'warning:|error:'; then
		echo "$out" | grep -iE 'warning:|error' | head -20
		return 1
	fi
}

cd "$TREE"
saved=$(cat "$stamp")
rm -f "$stamp"
# shellcheck disable=SC2064 # $saved is meant to be expanded now
trap "quilt push -a -q >/dev/null 2>&1 || true
      [ \"\$(quilt next 2>/dev/null)\" ] || echo '$saved' > '$stamp'" EXIT
quilt pop -a -q >/dev/null
total=$(grep -cv '^[[:space:]]*\(#\|$\)' "$TOP/series")
i=0
start=$(date +%s)
configured=
while quilt next >/dev/null 2>&1; do
	i=$((i + 1))
	quilt push -q >/dev/null
	name=$(basename "$(quilt top)")
	[ "$name" != "$from" ] || from=
	if [ -n "$from" ]; then
		step "[$i/$total] $name: applied, not built (AUFS_BISECT_FROM)"
		continue
	fi
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
	if echo "$files" | grep -qx 'kernel/events/uprobes.c'; then
		step "[$i/$total] $name: kernel/events/uprobes.o (W=1)"
		configure "$BUILD/kbuild-uprobes" "$TOP/configs/uprobes.config"
		warnings make -C "$TREE" O="$BUILD/kbuild-uprobes" -j"$JOBS" \
			W=1 kernel/events/uprobes.o ||
			die "$name: uprobes.o does not build clean (see ${log#"$TOP"/})"
	fi
	if [ -n "$aufs" ]; then
		step "[$i/$total] $name: fs/aufs with W=1 and sparse"
		warnings make -C "$TREE" O="$KBUILD_X86" -j"$JOBS" W=1 C=2 \
			CHECK=sparse fs/aufs/ ||
			die "$name: fs/aufs does not build clean with W=1 and sparse"
	fi
	step "[$i/$total] $name: the kernel${aufs:+, aufs built in}"
	make -C "$TREE" O="$KBUILD_X86" -j"$JOBS" bzImage >>"$log" 2>&1 ||
		die "$name: the kernel does not build (see ${log#"$TOP"/})"
	[ -n "$aufs" ] || continue
	step "[$i/$total] $name: vmlinux and aufs.ko (make check's module build)"
	warnings make -C "$TREE" O="$BUILD/kbuild-mod" -j"$JOBS" \
		vmlinux modules ||
		die "$name: aufs.ko does not build or link"
	[ -f fs/aufs/.kunitconfig ] || continue
	step "[$i/$total] $name: KUnit suites (UML), then fs/aufs with W=1 and sparse"
	./tools/testing/kunit/kunit.py build --kunitconfig=fs/aufs \
		--build_dir="$KBUILD_UML" --jobs="$JOBS" >>"$log" 2>&1 ||
		die "$name: the KUnit suites do not build (see ${log#"$TOP"/})"
	warnings make -C "$TREE" ARCH=um O="$KBUILD_UML" -j"$JOBS" W=1 C=2 \
		CHECK=sparse fs/aufs/ ||
		die "$name: fs/aufs and its KUnit suites do not build clean under UML"
done
step "every one of the $total patches builds ($(( $(date +%s) - start ))s)"
