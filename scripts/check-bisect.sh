#!/bin/bash
# make check-bisect: build the tree after each patch of the series, with
# aufs built in (the guest config, build/kbuild-x86) and as a module
# (build/kbuild-mod), and fs/aufs with W=1 once kbuild knows it.  Stops
# at the first patch that does not build or warns.
#
# Incremental: it uses the build directories of make check, and the tree
# ends with the whole series applied, as source.sh leaves it.  Until
# "fs: build aufs" hooks fs/aufs/ into kbuild, the steps that add its
# files build the kernel without aufs (as for any new filesystem added
# file by file, the wiring comes last).
set -eu
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/source.sh"
export QUILT_PATCHES=$TOP/patches QUILT_SERIES=$TOP/series QUILT_PC=.pc
grep -v '^CONFIG_AUFS_FS=' "$TOP/configs/guest.config" |
	cat - "$TOP/configs/module.config" > "$BUILD/module.config"
log=$LOGS/check-bisect.log
: > "$log"

# build DIR FRAGMENT TARGETS: configure as build-kernel.sh does, but
# options of aufs may not exist yet; then build and check fs/aufs.
build() {
	local dir=$1 frag=$2 targets=$3 w1
	mkdir -p "$dir"
	make -s -C "$TREE" O="$dir" tinyconfig >>"$log" 2>&1
	"$TREE/scripts/kconfig/merge_config.sh" -m -O "$dir" \
		"$dir/.config" "$frag" >>"$log" 2>&1
	make -s -C "$TREE" O="$dir" olddefconfig >>"$log" 2>&1
	# shellcheck disable=SC2086 # $targets names several targets
	make -C "$TREE" O="$dir" -j"$JOBS" $targets >>"$log" 2>&1 || return 1
	grep -q '^CONFIG_AUFS_FS=[ym]' "$dir/.config" || return 0
	w1=$(make -C "$TREE" O="$dir" -j"$JOBS" W=1 fs/aufs/ 2>&1 |
	     grep -E 'warning:|error:' || true)
	[ -z "$w1" ] || { echo "$w1"; return 1; }
}

cd "$TREE"
quilt pop -a -q >/dev/null
total=$(grep -cv '^[[:space:]]*\(#\|$\)' "$TOP/series")
i=0
start=$(date +%s)
while quilt next >/dev/null 2>&1; do
	i=$((i + 1))
	quilt push -q >/dev/null
	name=$(basename "$(quilt top)")
	step "[$i/$total] $name: aufs=y, aufs=m"
	if ! build "$KBUILD_X86" "$TOP/configs/guest.config" bzImage; then
		quilt push -a -q >/dev/null
		die "$name: the build with aufs=y fails (see ${log#$TOP/})"
	fi
	if ! build "$BUILD/kbuild-mod" "$BUILD/module.config" \
		"vmlinux modules"; then
		quilt push -a -q >/dev/null
		die "$name: the build with aufs=m fails (see ${log#$TOP/})"
	fi
done
step "every one of the $total patches builds ($(( $(date +%s) - start ))s)"
