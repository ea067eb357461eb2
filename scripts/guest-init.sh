#!/bin/sh
# /init of the test guest.  The kernel command line picks what it does:
#   aufsguest=demo   mount aufs over two branches and show the union
#   aufsguest=test   run the aufs selftests with kselftest's
#                    run_kselftest.sh (KTAP on the console);
#                    aufstests=a_test,b_test runs only those
#   aufsguest=bench  run the benchmarks (bench/aufs_bench.c)
#   aufsguest=profile where calls spend their time (make profile)
#   aufsguest=shell  mount the demo union and start a shell
# Always ends with a line "AUFS-GUEST-EXIT <status>" and powers off.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# What udev would add; kselftest's runner writes to /dev/stdout.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /tmp
# The test disk (scripts/vm.sh) holds an empty ext4 for ext4 branches.
if [ -b /dev/vda ]; then
	mkdir -p /ext4
	mount -t ext4 /dev/vda /ext4 || echo "cannot mount the ext4 test disk"
else
	echo "no test disk: /dev/vda is missing (ext4 branch tests will fail)"
fi

demo_union() {
	mkdir -p /demo/upper /demo/lower/etc /demo/union
	echo "from the upper branch" > /demo/upper/greeting
	echo "from the lower branch" > /demo/lower/greeting
	echo "only in the lower branch" > /demo/lower/lower-only
	echo "nameserver 192.0.2.1" > /demo/lower/etc/resolv.conf
	: > /demo/upper/.wh.hidden
	echo "hidden by a whiteout" > /demo/lower/hidden
	mount -t aufs -o br=/demo/upper=rw:/demo/lower=ro none /demo/union
}

run_demo() {
	set -e
	demo_union
	echo "--- /proc/mounts:"
	grep ' /demo/union ' /proc/mounts
	echo "--- ls -la /demo/union:"
	ls -la /demo/union
	echo "--- cat /demo/union/greeting (upper shadows lower):"
	cat /demo/union/greeting
	echo "--- cat /demo/union/lower-only:"
	cat /demo/union/lower-only
	echo "--- /demo/union/hidden (whited out):"
	if [ -e /demo/union/hidden ]; then echo "visible: wrong"; exit 1; fi
	echo "not there"
	test "$(cat /demo/union/greeting)" = "from the upper branch"
	test "$(cat /demo/union/lower-only)" = "only in the lower branch"
	test "$(ls /demo/union | tr '\n' ' ')" = "etc greeting lower-only "
	umount /demo/union
	echo "demo: the union works"
}

# kmemleak needs two scans to report an object.  Leaks whose allocation
# trace goes through aufs fail the run (lines "AUFS-LEAK"); others, from
# boot, are only counted.
check_leaks() {
	k=/sys/kernel/debug/kmemleak
	[ -e $k ] || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	[ -e $k ] || { echo "# kmemleak: not available"; return 0; }
	# objects younger than 5 s are not reported yet
	echo "# kmemleak: scanning twice"
	sleep 6; echo scan > $k; echo "# kmemleak: first scan done"
	sleep 1; echo scan > $k
	cat $k > /tmp/leaks
	echo "# kmemleak: $(grep -c '^unreferenced object' /tmp/leaks) unreferenced objects in all"
	awk '/^unreferenced object/ { if (rep ~ /[] ](au_|aufs_)/) printf "%s", rep; rep = "" }
	     { rep = rep "AUFS-LEAK " $0 "\n" }
	     END { if (rep ~ /[] ](au_|aufs_)/) printf "%s", rep }' /tmp/leaks > /tmp/aufs-leaks
	cat /tmp/aufs-leaks
	[ ! -s /tmp/aufs-leaks ]
}

# A line every 30 s while tests or benchmarks run, some of which are
# silent for minutes: scripts/vm.sh takes a silent console for a guest
# that no longer runs (AUFS_VM_STALL).
heartbeat() {
	while sleep 30; do
		echo "# aufs guest: alive at $(cut -d' ' -f1 /proc/uptime) s"
	done
}

mode=${aufsguest:-demo}
echo "aufs guest: $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, mode $mode"
case "$mode" in
demo)
	( run_demo )
	rc=$?
	;;
test)
	rc=0
	heartbeat &
	hb=$!
	# kselftest's runner; aufstests=a_test,b_test picks some programs.
	# The ext4 variants use the test disk: making an ext4 per test
	# costs minutes under emulation.  The KTAP also goes to the second
	# serial port (scripts/vm.sh keeps it apart from the console, where
	# kernel messages can split a line).
	[ -d /ext4 ] && export AUFS_TEST_EXT4=/ext4
	ktap=/dev/null
	[ -c /dev/ttyS1 ] && ktap=/dev/ttyS1
	set --
	for t in $(echo "${aufstests:-}" | tr , ' '); do
		set -- "$@" -t "filesystems/aufs:$t"
	done
	/kselftest/run_kselftest.sh "$@" 2>&1 | tee /tmp/ktap $ktap
	grep -q '^not ok' /tmp/ktap && rc=1
	grep -qE '^(not )?ok ' /tmp/ktap || { echo "# no test program ran"; rc=1; }
	grep -E '^# ok [0-9]+ ' /tmp/ktap | grep -qv '# SKIP' ||
		{ echo "# no test passed: every one skipped or failed"; rc=1; }
	# ... and once as without the disk: the test makes its own ext4
	# (mkfs.ext4, loop device), which it must run, not skip.
	case ",${aufstests:-write_test}," in
	*,write_test,*)
		echo "# one ext4 test on an ext4 it makes itself" | tee $ktap
		(cd /kselftest/filesystems/aufs && env -u AUFS_TEST_EXT4 \
		 ./write_test -r rw.ext4.append_copies_up_and_leaves_lower_alone) \
			> /tmp/own-ext4 2>&1 || rc=1
		sed 's/^/# /' /tmp/own-ext4 | tee $ktap
		grep -q '^ok 1 ' /tmp/own-ext4 && ! grep -q SKIP /tmp/own-ext4 ||
			{ echo "# it did not run and pass"; rc=1; }
		;;
	esac
	cd /
	check_leaks || rc=1
	kill $hb
	;;
bench)
	echo "# machine: $(grep -c ^processor /proc/cpuinfo) CPUs, $(awk '/^MemTotal:/ {printf "%d MiB of memory", $2 / 1024}' /proc/meminfo)"
	heartbeat &
	hb=$!
	/tests/aufs_bench
	rc=$?
	kill $hb
	;;
profile)
	heartbeat &
	hb=$!
	/tests/aufs_bench profile
	rc=$?
	kill $hb
	;;
shell)
	demo_union
	echo "aufs is mounted on /demo/union; 'poweroff -f' to leave."
	setsid cttyhack sh
	rc=0
	;;
*)
	echo "unknown mode $mode"
	rc=2
	;;
esac
echo "AUFS-GUEST-EXIT $rc"
sync
poweroff -f
