#!/bin/bash
# make check: every test and check of the project, from a fresh clone.
#
#   1. patches/ matches its sources (genpatch), series matches patches/
#   2. the series applies to the 6.12 tree with quilt
#   3. checkpatch.pl --strict on every patch
#   4. kernel-doc, a W=1 build, sparse and a module build of fs/aufs
#   5. KUnit suites under UML, also on a KASAN kernel; the --alltests
#      config enables them
#   6. the guest kernel boots, runs the demo and the selftests with no
#      kernel splat
#
# Ends with "N passed, N failed": KUnit cases, selftests, and one per
# check above.
set -u
. "$(dirname "$0")/lib.sh"

passed=0
failed=0
failures=""
pass() { passed=$((passed + ${2:-1})); echo "PASS $1"; }
fail() { failed=$((failed + ${2:-1})); failures="$failures
  $1"; echo "FAIL $1"; }
result() { if [ "$2" = 0 ]; then pass "$1"; else fail "$1"; fi; }

finish() {
	echo
	[ -n "$failures" ] && echo "failed:$failures"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}

t0=$(date +%s)
"$TOP/scripts/deps.sh" || { fail "installing dependencies"; finish; }

step "patches/ against fs-aufs/, kunit/, Documentation/, tests/"
"$TOP/scripts/check-patches.sh"
result "generated patches match their sources" $?

# source.sh refuses stale patches: then nothing below would test the
# sources, so stop here.
"$TOP/scripts/source.sh"
rc=$?
result "patches/ up to date and the series applies to Linux $(kernel_version)" $rc
[ $rc = 0 ] && [ -f "$BUILD/series.applied" ] || finish

step "checkpatch.pl --strict on every patch"
out=$("$TOP/scripts/checkpatch.sh")
echo "$out" | grep -v '^PASS'
n_ok=$(echo "$out" | grep -c '^PASS ' || true)
n_bad=$(echo "$out" | grep -c '^FAIL ' || true)
[ "$n_ok" -gt 0 ] && pass "checkpatch: $n_ok clean patches" "$n_ok"
[ "$n_bad" -gt 0 ] && fail "checkpatch: $n_bad patches with findings" "$n_bad"

step "kernel-doc on fs/aufs"
out=$(cd "$TREE" && scripts/kernel-doc -none -Wall fs/aufs/*.[ch] 2>&1)
[ -n "$out" ] && echo "$out"
result "kernel-doc clean on fs/aufs" "$([ -z "$out" ] && echo 0 || echo 1)"

"$TOP/scripts/kunit.sh"
kunit_rc=$?
summary=$(grep -o 'Ran [0-9]* tests: .*' "$LOGS/kunit.log" | tail -1)
echo "KUnit: ${summary:-no result (see build/logs/kunit.log)}"
k_total=$(echo "$summary" | sed -n 's/^Ran \([0-9]*\) tests.*/\1/p')
k_pass=$(echo "$summary" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
k_skip=$(echo "$summary" | sed -n 's/.*skipped: \([0-9]*\).*/\1/p')
if [ -n "$k_total" ] && [ "$k_total" -gt 0 ]; then
	k_fail=$((k_total - ${k_pass:-0} - ${k_skip:-0}))
	[ "${k_pass:-0}" -gt 0 ] && pass "KUnit: $k_pass cases" "$k_pass"
	[ "$k_fail" -gt 0 ] && fail "KUnit: $k_fail cases (build/logs/kunit.log)" "$k_fail"
	[ "$kunit_rc" != 0 ] && [ "$k_fail" = 0 ] && fail "KUnit: kunit.py exit $kunit_rc"
else
	fail "KUnit: did not run (build/logs/kunit.log)"
fi

AUFS_KUNIT_KASAN=1 "$TOP/scripts/kunit.sh" | grep --line-buffered -E "^==>|Building|Testing complete"
kasan_rc=${PIPESTATUS[0]}
summary=$(grep -o 'Ran [0-9]* tests: .*' "$LOGS/kunit-kasan.log" | tail -1)
echo "KUnit under KASAN: ${summary:-no result (see build/logs/kunit-kasan.log)}"
result "KUnit suites under KASAN, no report" \
	"$([ $kasan_rc = 0 ] && [ -n "$summary" ] &&
	   ! grep -q 'BUG: KASAN' "$LOGS/kunit-kasan.log" && echo 0 || echo 1)"

# kunit.py run --alltests 'aufs*' runs the suites only if all_tests.config
# brings aufs in with everything .kunitconfig asks for: generate that
# config (no build) and compare.
step "kunit.py config --alltests enables aufs and its suites"
rm -f "$BUILD/kbuild-uml-all/.config"
(cd "$TREE" && ./tools/testing/kunit/kunit.py config --alltests \
	--build_dir="$BUILD/kbuild-uml-all" >"$LOGS/kunit-alltests.log" 2>&1)
rc=$?
missing=$(grep '^CONFIG_' "$TREE/fs/aufs/.kunitconfig" |
	  grep -vxFf "$BUILD/kbuild-uml-all/.config" 2>/dev/null)
[ -n "$missing" ] && echo "not in the --alltests config: $missing"
result "kunit.py --alltests config has every option of fs/aufs/.kunitconfig" \
	"$([ $rc = 0 ] && [ -f "$BUILD/kbuild-uml-all/.config" ] &&
	   [ -z "$missing" ] && echo 0 || echo 1)"

if "$TOP/scripts/build-kernel.sh" && "$TOP/scripts/initramfs.sh"; then
	# The kselftest config file names what the tests need: the guest
	# kernel that runs them must have all of it.
	step "the guest kernel has every option of the selftests' config"
	missing=$(grep '^CONFIG_' "$TREE/tools/testing/selftests/filesystems/aufs/config" |
		  grep -vxFf "$KBUILD_X86/.config")
	[ -n "$missing" ] && echo "missing from the guest kernel: $missing"
	result "the guest kernel has every option tools/testing/selftests/filesystems/aufs/config names" \
		"$([ -z "$missing" ] && echo 0 || echo 1)"

	step "W=1 build of fs/aufs"
	out=$(make -s -C "$TREE" O="$KBUILD_X86" W=1 -j"$JOBS" fs/aufs/ 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | head -40
	result "fs/aufs builds with W=1 and no warning" "$([ $rc = 0 ] && [ -z "$out" ] && echo 0 || echo 1)"

	# From the plain config: the exports do not depend on the debug
	# options, and the kernel builds faster without them.
	step "aufs as a module (plain config with aufs=m, build/kbuild-mod)"
	grep -v '^CONFIG_AUFS_FS=' "$TOP/configs/plain.config" |
		cat - "$TOP/configs/module.config" > "$BUILD/module.config"
	AUFS_KCONFIG=$BUILD/module.config AUFS_KBUILD=$BUILD/kbuild-mod \
		AUFS_KTARGET="vmlinux modules" "$TOP/scripts/build-kernel.sh" &&
		[ -f "$BUILD/kbuild-mod/fs/aufs/aufs.ko" ]
	result "aufs builds as a module (every symbol it uses is exported)" $?

	step "sparse on fs/aufs"
	out=$(make -s -C "$TREE" O="$KBUILD_X86" C=2 CHECK=sparse -j"$JOBS" fs/aufs/ 2>&1)
	rc=$?
	[ -n "$out" ] && echo "$out" | head -40
	result "sparse clean on fs/aufs" "$([ $rc = 0 ] && [ -z "$out" ] && echo 0 || echo 1)"
	"$TOP/scripts/vm.sh" demo
	result "guest demo: mount a union and read it" $?

	# A guest that stops making progress must fail the run soon and say
	# so: boot one whose init only sleeps (busybox sleep as init), with
	# a 30 s silence limit.  The bound allows for a slow boot.
	step "the watchdog stops a guest whose init sleeps (30 s of silence)"
	t=$(date +%s)
	out=$(AUFS_VM_STALL=30 AUFS_CMDLINE="rdinit=/bin/busybox -- sleep 100000" \
		"$TOP/scripts/vm.sh" stuck 2>&1)
	rc=$?
	echo "$out" | grep -E 'made no progress|last console line'
	result "a stuck guest is stopped after 30 s of silence, naming its last console line" \
		"$([ $rc != 0 ] && [ $(( $(date +%s) - t )) -lt 240 ] &&
		   echo "$out" | grep -q 'made no progress: no console output for 30 s' &&
		   echo "$out" | grep -q '^last console line: .' && echo 0 || echo 1)"

	# run_kselftest.sh prints one "ok N selftests: ..." per program and
	# each program's own KTAP, test by test, prefixed with "# ".  It is
	# counted from the guest's second serial port, which carries the
	# KTAP alone: on the console a kernel message can split a line.
	"$TOP/scripts/vm.sh" test |
		grep -E '^(# )?(not )?ok |^# # (FAILED|PASSED|Totals)|^# # .*:[0-9]+:'
	vm_rc=${PIPESTATUS[0]}
	log=$LOGS/guest-test.ktap
	plan=$(sed -n 's/^# 1\.\.\([0-9]*\)$/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
	g_ok=$(grep -cE '^# ok [0-9]+ ' "$log")
	g_skip=$(grep -cE '^# ok [0-9]+ .*# SKIP' "$log")
	g_bad=$(grep -cE '^# not ok [0-9]+ ' "$log")
	missing=$(( plan - g_ok - g_bad ))
	programs=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -1)
	p_ok=$(grep -cE '^ok [0-9]+ selftests: ' "$log")
	p_bad=$(grep -cE '^not ok [0-9]+ selftests: ' "$log")
	[ "$g_ok" -gt "$g_skip" ] && pass "selftests: $((g_ok - g_skip)) tests" $((g_ok - g_skip))
	[ "$g_ok" -le "$g_skip" ] && fail "selftests: none passed (build/logs/guest-test.ktap)"
	[ "$g_skip" -gt 0 ] && echo "selftests: $g_skip skipped"
	[ "$g_bad" -gt 0 ] && fail "selftests: $g_bad tests (build/logs/guest-test.ktap, guest-test.log)" "$g_bad"
	[ "$missing" -gt 0 ] && fail "selftests: $missing tests never reported" "$missing"
	[ "$plan" = 0 ] && fail "selftests: no KTAP plan in the guest log"
	[ "${programs:-0}" -gt 0 ] && [ $((p_ok + p_bad)) != "$programs" ] &&
		fail "selftests: run_kselftest.sh reported $((p_ok + p_bad)) of $programs programs"
	[ "$p_bad" -gt 0 ] && [ "$g_bad" = 0 ] && [ "$missing" -le 0 ] &&
		fail "selftests: $p_bad programs ended badly with every test passed (build/logs/guest-test.log)"
	[ -s "$LOGS/guest-test.splats" ] || [ -s "$LOGS/guest-demo.splats" ]
	result "guest kernel log free of WARN/BUG/lockdep splats and aufs leaks" "$([ $? = 0 ] && echo 1 || echo 0)"
	[ "$vm_rc" != 0 ] && [ "$g_bad" = 0 ] && [ "$missing" -le 0 ] && [ "$p_bad" = 0 ] &&
		fail "guest test run ended badly (see build/logs/guest-test.log)"
else
	fail "guest kernel and initramfs build"
fi

step "done in $(( ($(date +%s) - t0) / 60 ))m$(( ($(date +%s) - t0) % 60 ))s"
finish
