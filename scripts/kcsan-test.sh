#!/bin/bash
# make kcsan-test: the mmap and stall selftests on a KCSAN guest
# (configs/guest.config without KASAN and kmemleak, plus
# configs/kcsan.config; build/kbuild-kcsan).  A KCSAN report with an aufs
# function on a racing side fails the run, unless the other side is a
# reader configs/kcsan-explained.txt lists; the kernel's other reports
# are counted and kept in build/logs/kcsan-other.txt (see vm.sh).
set -eu
. "$(dirname "$0")/lib.sh"

frag=$BUILD/kcsan.config
grep -vE '^CONFIG_(KASAN|DEBUG_KMEMLEAK)' "$TOP/configs/guest.config" |
	cat - "$TOP/configs/kcsan.config" > "$frag"
AUFS_KCONFIG=$frag AUFS_KBUILD=$BUILD/kbuild-kcsan "$TOP/scripts/build-kernel.sh"
"$TOP/scripts/initramfs.sh"
AUFS_KCSAN=1 AUFS_KBUILD=$BUILD/kbuild-kcsan \
	AUFS_TESTS=${AUFS_TESTS:-mmap_test,stall_test} "$TOP/scripts/vm.sh" test
