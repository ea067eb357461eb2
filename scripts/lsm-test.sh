#!/bin/bash
# make lsm-test: every selftest on a guest with Smack, an LSM that labels
# inodes from xattrs (configs/guest.config plus configs/smack.config;
# build/kbuild-smack).  Lockdep and KASAN are on as in make check; a
# splat fails the run (see vm.sh).
set -eu
. "$(dirname "$0")/lib.sh"

frag=$BUILD/smack.config
cat "$TOP/configs/guest.config" "$TOP/configs/smack.config" > "$frag"
AUFS_KCONFIG=$frag AUFS_KBUILD=$BUILD/kbuild-smack "$TOP/scripts/build-kernel.sh"
"$TOP/scripts/initramfs.sh"
AUFS_KBUILD=$BUILD/kbuild-smack \
	AUFS_CMDLINE="lsm=landlock,smack${AUFS_CMDLINE:+ $AUFS_CMDLINE}" \
	"$TOP/scripts/vm.sh" test
