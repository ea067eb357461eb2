#!/bin/bash
# Boot the guest kernel with the initramfs under QEMU.
#
# usage: scripts/vm.sh demo|test|bench|shell
#
# TCG by default (nested KVM hangs on many hosts); AUFS_KVM=1 uses KVM.
# demo and test write the whole console to build/logs/guest-MODE.log,
# show the guest's own output, and fail when the guest did not exit 0 or
# the kernel log holds a WARN, BUG, Oops, lockdep or other splat.
set -eu
. "$(dirname "$0")/lib.sh"

mode=${1:?usage: vm.sh demo|test|bench|shell}
# AUFS_KBUILD boots another kernel build (make bench), AUFS_VM_MEM sizes it.
# AUFS_TESTS=a_test,b_test runs only those selftests (aufsguest=test);
# AUFS_TORTURE_SECS/SEED/OPS are handed to torture_test.
kernel=${AUFS_KBUILD:-$KBUILD_X86}/arch/x86/boot/bzImage
initrd=$BUILD/initramfs.cpio.gz
[ -f "$kernel" ] && [ -f "$initrd" ] || die "build the kernel and initramfs first (make kernel initramfs)"

# A fresh, empty ext4 test disk for every boot (sparse).
disk=$BUILD/ext4.img
rm -f "$disk"
mkfs.ext4 -q -F "$disk" "${AUFS_DISK_MB:-512}M"

accel="-accel tcg"
[ "${AUFS_KVM:-0}" = 1 ] && accel="-accel kvm -cpu host"
qemu=(qemu-system-x86_64 $accel -smp 2 -m "${AUFS_VM_MEM:-1536}" -nographic -no-reboot
      -kernel "$kernel" -initrd "$initrd"
      -drive "file=$disk,if=virtio,format=raw")
append="console=ttyS0 panic=-1 aufsguest=$mode${AUFS_TESTS:+ aufstests=$AUFS_TESTS}"
# KASAN under TCG: the soft-lockup detector and RCU stall warnings need
# more patience than on hardware.  AUFS_CMDLINE adds kernel parameters.
append="$append watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=300"
append="$append${AUFS_CMDLINE:+ $AUFS_CMDLINE}"
# the torture knobs reach the tests as environment variables of init
for v in AUFS_TORTURE_SECS AUFS_TORTURE_SEED AUFS_TORTURE_OPS; do
	if [ -n "${!v:-}" ]; then
		append="$append $v=${!v}"
	fi
done

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -append "$append loglevel=4"
fi

log=$LOGS/guest-$mode.log
step "booting the guest ($mode, ${accel#-accel }, 2 CPUs; log: ${log#$TOP/})"
start=$(date +%s)
set +e
timeout "${AUFS_VM_TIMEOUT:-1200}" "${qemu[@]}" -append "$append" </dev/null 2>&1 |
	tr -d '\r' | tee "$log" | grep --line-buffered -v '^\[ *[0-9]*\.[0-9]*\]'
qemu_rc=${PIPESTATUS[0]}
set -e
step "guest finished ($(( $(date +%s) - start ))s, qemu exit $qemu_rc)"

fail=0
# Every lockdep, KASAN, UBSAN and DEBUG_* report has one of these.
splat='WARNING:|BUG:|Oops|Kernel panic|general protection fault|INFO: |UBSAN:|refcount_t:|list_add corruption|list_del corruption|cut here|Call Trace:'
if grep -E "^\[ *[0-9]+\.[0-9]+\] .*($splat)" "$log" > "$LOGS/guest-$mode.splats"; then
	echo "kernel splat in the guest log:" >&2
	grep -E -A30 "^\[ *[0-9]+\.[0-9]+\] .*($splat)" "$log" | head -80 >&2
	fail=1
fi
# Leaks traced to aufs, reported by the guest after a kmemleak scan.
if grep -q '^AUFS-LEAK' "$log"; then
	echo "kmemleak found leaks through aufs:" >&2
	grep '^AUFS-LEAK' "$log" | head -60 >&2
	grep '^AUFS-LEAK' "$log" >> "$LOGS/guest-$mode.splats"
	fail=1
fi
status=$(sed -n 's/^AUFS-GUEST-EXIT \([0-9]*\)$/\1/p' "$log" | tail -1)
if [ -z "$status" ]; then
	echo "the guest did not finish (timeout, panic or crash); see ${log#$TOP/}" >&2
	fail=1
elif [ "$status" != 0 ]; then
	echo "the guest $mode exited with status $status" >&2
	fail=1
fi
exit $fail
