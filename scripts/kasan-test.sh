#!/bin/bash
# make kasan-test: the selftests on a guest kernel with generic KASAN
# (configs/guest.config + configs/kasan.config, build/kbuild-kasan).
# Not part of make check: the extra kernel build takes about 4 minutes.
# A KASAN report fails the run like any other splat.
set -eu
. "$(dirname "$0")/lib.sh"

cat "$TOP/configs/guest.config" "$TOP/configs/kasan.config" \
	> "$BUILD/kasan.config"
AUFS_KCONFIG=$BUILD/kasan.config AUFS_KBUILD=$BUILD/kbuild-kasan \
	"$TOP/scripts/build-kernel.sh"
"$TOP/scripts/initramfs.sh"
AUFS_KBUILD=$BUILD/kbuild-kasan \
AUFS_CMDLINE="watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=300 ${AUFS_CMDLINE:-}" \
	exec "$TOP/scripts/vm.sh" test
