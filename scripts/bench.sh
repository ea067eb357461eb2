#!/bin/bash
# make bench: boot a kernel without debug options and run the benchmarks
# against the branch filesystem, overlayfs and aufs in one boot.  Prints
# the table and writes it to build/bench-table.md.
set -eu
. "$(dirname "$0")/lib.sh"

export AUFS_KCONFIG=$TOP/configs/plain.config
export AUFS_KBUILD=$BUILD/kbuild-plain
export AUFS_VM_MEM=${AUFS_VM_MEM:-3072}
export AUFS_DISK_MB=${AUFS_DISK_MB:-2048}
"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/initramfs.sh"
"$TOP/scripts/vm.sh" bench >/dev/null || true

log=$LOGS/guest-bench.log
out=$BUILD/bench-table.md
grep -q '^| metric' "$log" || die "no table in ${log#$TOP/}"
accel=tcg
[ "${AUFS_KVM:-0}" = 1 ] && accel=kvm
{
	echo "Linux $(kernel_version) + aufs, $(date -u +%Y-%m-%d), QEMU $accel," \
	     "$(sed -n 's/^# machine: //p' "$log"), host $(nproc) CPUs"
	echo
	grep '^|' "$log"
} > "$out"
cat "$out"
