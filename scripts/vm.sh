#!/bin/bash
# Boot the guest kernel with the initramfs under QEMU.
#
# usage: scripts/vm.sh demo|test|bench|shell  (any other MODE: a boot that
# runs no aufs step, as the watchdog check of make check uses)
#
# TCG by default (nested KVM hangs on many hosts); AUFS_KVM=1 uses KVM.
# demo, test and bench write the whole console to build/logs/guest-MODE.log
# as it comes (QEMU writes the file itself, unbuffered), show the guest's
# own output, and fail when the guest did not exit 0, when the kernel log
# holds a WARN, BUG, Oops, lockdep or other splat, or when the guest
# stops making progress (see the watchdog below).
set -eu
. "$(dirname "$0")/lib.sh"

mode=${1:?usage: vm.sh demo|test|bench|shell}
# AUFS_KBUILD boots another kernel build (make run, make bench),
# AUFS_VM_MEM sizes it.  AUFS_TESTS=a_test,b_test runs only those
# selftests (aufsguest=test); AUFS_TORTURE_SECS/SEED/OPS are handed to
# torture_test.
kernel=${AUFS_KBUILD:-$KBUILD_X86}/arch/x86/boot/bzImage
initrd=$BUILD/initramfs.cpio.gz
[ -f "$kernel" ] && [ -f "$initrd" ] || die "build the kernel and initramfs first (make kernel initramfs)"

# The watchdog: the run fails when the console stays silent for
# AUFS_VM_STALL seconds, when init has not started AUFS_VM_BOOT seconds
# after QEMU did, or after AUFS_VM_TIMEOUT seconds in all.  While tests
# or benchmarks run, the guest prints a line every 30 s
# (scripts/guest-init.sh), so only a guest that no longer runs its
# userspace goes silent.
stall=${AUFS_VM_STALL:-100}
boot_deadline=${AUFS_VM_BOOT:-180}
total=${AUFS_VM_TIMEOUT:-2400}

# A fresh, empty ext4 test disk for every boot (sparse).
disk=$BUILD/ext4.img
rm -f "$disk"
mkfs.ext4 -q -F "$disk" "${AUFS_DISK_MB:-512}M" >/dev/null

accel="-accel tcg"
[ "${AUFS_KVM:-0}" = 1 ] && accel="-accel kvm -cpu host"
qemu=(qemu-system-x86_64 $accel -smp 2 -m "${AUFS_VM_MEM:-1536}" -no-reboot
      -kernel "$kernel" -initrd "$initrd"
      -drive "file=$disk,if=virtio,format=raw")
# pci=noacpi: PCI interrupt routing from the BIOS table instead of the
# ACPI _PRT method.  Evaluating _PRT in the AML interpreter can take
# longer than ACPICA's 30 s loop limit on a slow (TCG, KASAN, loaded)
# guest; ACPICA then aborts, virtio-blk gets no interrupt and the guest
# waits for its disk for ever.  ACPI itself stays on (second CPU,
# poweroff, clock).
append="console=ttyS0 panic=-1 pci=noacpi aufsguest=$mode${AUFS_TESTS:+ aufstests=$AUFS_TESTS}"
# KASAN under TCG: the soft-lockup detector and RCU stall warnings need
# more patience than on hardware.  AUFS_CMDLINE adds kernel parameters.
append="$append watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=300"
# the torture knobs reach the tests as environment variables of init
for v in AUFS_TORTURE_SECS AUFS_TORTURE_SEED AUFS_TORTURE_OPS; do
	if [ -n "${!v:-}" ]; then
		append="$append $v=${!v}"
	fi
done
# last: it may end with "-- ARGS" for init
append="$append${AUFS_CMDLINE:+ $AUFS_CMDLINE}"

if [ "$mode" = shell ]; then
	exec "${qemu[@]}" -nographic -append "$append loglevel=4"
fi

log=$LOGS/guest-$mode.log
# The second serial port (ttyS1) carries the selftests' KTAP alone.
ktap=$LOGS/guest-$mode.ktap
rm -f "$log" "$ktap" "$LOGS/guest-$mode.splats"
: > "$log"
step "booting the guest ($mode, ${accel#-accel }, 2 CPUs; log: ${log#$TOP/})"
start=$(date +%s)
"${qemu[@]}" -display none -monitor none -serial "file:$log" \
	-serial "file:$ktap" \
	-append "$append" </dev/null >"$LOGS/qemu-$mode.err" 2>&1 &
qpid=$!
# QEMU never outlives this script (an interrupted make, a killed check).
trap 'kill $qpid 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
# Show the guest's own output (not the kernel's timestamped lines) as it
# comes; tail ends with QEMU.
tail -n +1 -F --pid=$qpid "$log" 2>/dev/null |
	sed -u 's/\r$//' | grep --line-buffered -v '^\[ *[0-9]*\.[0-9]*\]' &
viewer=$!

last_line() {
	tr -d '\r' < "$log" | grep -v '^$' | tail -n 1
}

# Poll every 2 s: the log's size is the sign of progress.
stuck=""
size=-1
quiet_since=$start
longest=0
booted=0
while kill -0 $qpid 2>/dev/null; do
	sleep 2
	now=$(date +%s)
	cur=$(stat -c %s "$log")
	if [ "$cur" != "$size" ]; then
		size=$cur
		quiet_since=$now
	fi
	[ $((now - quiet_since)) -gt $longest ] && longest=$((now - quiet_since))
	if [ $booted = 0 ] && grep -q '^aufs guest: ' "$log"; then
		booted=1
	fi
	if [ $((now - quiet_since)) -ge "$stall" ]; then
		stuck="no console output for $stall s"
	elif [ $booted = 0 ] && [ $((now - start)) -ge "$boot_deadline" ]; then
		stuck="init did not start within $boot_deadline s"
	elif [ $((now - start)) -ge "$total" ]; then
		stuck="still running after $total s (AUFS_VM_TIMEOUT)"
	fi
	if [ -n "$stuck" ]; then
		kill $qpid 2>/dev/null || true
		break
	fi
done
set +e
wait $qpid
qemu_rc=$?
wait $viewer 2>/dev/null
set -e
# The log as a text file, lines without the serial line's \r.
[ -f "$ktap" ] || : > "$ktap"
sed -i 's/\r$//' "$log" "$ktap"
step "guest finished ($(( $(date +%s) - start ))s, qemu exit $qemu_rc, longest console silence ${longest}s of ${stall}s allowed)"
[ -s "$LOGS/qemu-$mode.err" ] && sed 's/^/qemu: /' "$LOGS/qemu-$mode.err" >&2

fail=0
if [ -n "$stuck" ]; then
	{
		echo "the guest made no progress: $stuck; QEMU was stopped."
		echo "last console line: $(last_line)"
		echo "whole console: ${log#$TOP/}"
	} >&2
	fail=1
fi
# AUFS_KCSAN=1 (make kcsan-test): KCSAN reports are sorted into files.
# One with an aufs function on a racing side fails the run, unless that
# side is the vm_file swap and the other a reader that
# configs/kcsan-explained.txt lists (Documentation/mmap.rst says why
# each is harmless).  Races between two kernel functions, aufs only
# further up a call chain included, are kept in kcsan-other.txt and
# counted; so are races of unknown origin (one side only), which a
# watchpoint on vm_file can also give.  A report cut off by the end of
# the log counts as aufs'.  Only the "BUG: KCSAN:" lines are taken out
# of what the splat check below reads.
checked=$log
if [ "${AUFS_KCSAN:-0}" = 1 ]; then
	checked=$LOGS/guest-$mode.nokcsan.log
	# the readers configs/kcsan-explained.txt lists, as one regex
	explained=$(grep -v '^#' "$TOP/configs/kcsan-explained.txt" |
		    grep . | paste -sd'|')
	awk -v aufs="$LOGS/kcsan-aufs.txt" -v other="$LOGS/kcsan-other.txt" \
	    -v known="$LOGS/kcsan-explained.txt" -v re="^(${explained:-^$})$" '
		BEGIN { printf "" > aufs; printf "" > other; printf "" > known }
		function sort_out() {
			# "data-race in A / B": aufs if a side is aufs;
			# explained only if aufs side is the vm_file swap
			# and the other a listed reader
			sub(/.*(data-race|race) in /, "", head)
			n = split(head, f, " / ")
			mine = 0; swap = 0; listed = 0
			for (i = 1; i <= n; i++) {
				sub(/\+0x.*/, "", f[i])
				if (f[i] ~ /^au_vmfwd_swap_(in|out)$/)
					swap = 1
				if (f[i] ~ /^au_|^aufs_/)
					mine = 1
				else if (f[i] ~ re)
					listed = 1
			}
			out = !mine ? other : (swap && listed && n == 2) ? known : aufs
			printf "%s", rep >> out
		}
		/BUG: KCSAN:/ { inrep = 1; rep = ""; head = $0 }
		inrep { rep = rep $0 "\n"
			if ($0 ~ /======/) {
				sort_out(); inrep = 0
			}
		}
		# a report that never ended counts as one of aufs
		END { if (inrep) { head = "unterminated / report"; mine = 1
				   printf "%s", rep >> aufs } }
		# every line stays for the splat check but the KCSAN header
		!/BUG: KCSAN:/ { print }' "$log" > "$checked"
	n_aufs=$(grep -c 'BUG: KCSAN:' "$LOGS/kcsan-aufs.txt" || true)
	n_known=$(grep -c 'BUG: KCSAN:' "$LOGS/kcsan-explained.txt" || true)
	n_other=$(grep -c 'BUG: KCSAN:' "$LOGS/kcsan-other.txt" || true)
	step "KCSAN: $n_aufs unexplained reports with aufs in them, $n_known explained (configs/kcsan-explained.txt), $n_other in the rest of the kernel (${LOGS#$TOP/}/kcsan-other.txt)"
	if [ "$n_aufs" != 0 ]; then
		grep 'BUG: KCSAN:' "$LOGS/kcsan-aufs.txt" >&2
		echo "KCSAN reports with aufs in them: ${LOGS#$TOP/}/kcsan-aufs.txt" >&2
		fail=1
	fi
fi
# Every lockdep, KASAN, UBSAN and DEBUG_* report has one of these.
splat='WARNING:|BUG:|Oops|Kernel panic|general protection fault|INFO: |UBSAN:|refcount_t:|list_add corruption|list_del corruption|cut here|Call Trace:'
if grep -E "^\[ *[0-9]+\.[0-9]+\] .*($splat)" "$checked" > "$LOGS/guest-$mode.splats"; then
	echo "kernel splat in the guest log:" >&2
	grep -E -A30 "^\[ *[0-9]+\.[0-9]+\] .*($splat)" "$checked" | head -80 >&2
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
	[ -n "$stuck" ] ||
		echo "the guest did not finish (panic or crash); last console line: $(last_line); see ${log#$TOP/}" >&2
	fail=1
elif [ "$status" != 0 ]; then
	echo "the guest $mode exited with status $status" >&2
	fail=1
fi
exit $fail
