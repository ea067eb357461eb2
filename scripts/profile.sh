#!/bin/bash
# make profile: boot a kernel without debug options, with the function
# profiler, and print where a warm stat, an open+close, a 4 KiB read, a
# create+unlink and a listing spend their time natively, through
# overlayfs and through aufs (bench/aufs_bench.c, "profile").  Writes
# build/profile.md.
set -eu
. "$(dirname "$0")/lib.sh"

frag=$BUILD/profile.config
cat "$TOP/configs/plain.config" "$TOP/configs/profile.config" > "$frag"
export AUFS_KCONFIG=$frag
export AUFS_KBUILD=$BUILD/kbuild-profile
export AUFS_VM_MEM=${AUFS_VM_MEM:-2048}
"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/initramfs.sh"
"$TOP/scripts/vm.sh" profile >/dev/null || true

log=$LOGS/guest-profile.log
out=$BUILD/profile.md
grep -q '^### ' "$log" || die "no profile in ${log#$TOP/}"
{
	echo "Linux $(kernel_version) + aufs, $(date -u +%Y-%m-%d), QEMU tcg," \
	     "function profiler on CPU 0, per operation"
	grep -E '^(### |\||$)' "$log"
} > "$out"
cat "$out"
