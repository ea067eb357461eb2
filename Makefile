# aufs for Linux 6.12: entry points.  "make help" lists them.
SHELL := /bin/bash
S := scripts

.PHONY: help run shell check patches check-patches checkpatch kunit bench profile \
	upstream send-dry-run \
	source kernel initramfs demo guest-test torture kcsan-test lsm-test check-bisect deps \
	clean distclean

help:
	@echo "make run            build a plain kernel, boot the guest, show the aufs demo"
	@echo "make check          every test and check; ends with 'N passed, N failed'"
	@echo "make shell          boot the guest into a shell with aufs mounted"
	@echo "make patches        regenerate the aufs patches from fs-aufs/ kunit/ Documentation/ tests/"
	@echo "make check-bisect   build after every patch of the series (aufs =y and =m, W=1)"
	@echo "make check-patches  fail if patches/ drifted from those sources"
	@echo "make checkpatch     checkpatch.pl --strict on every patch in series"
	@echo "make kunit          KUnit suites under UML (kunit.py --kunitconfig=fs/aufs)"
	@echo "make source         unpack Linux 6.12 into build/linux and apply the series"
	@echo "make kernel         build the guest bzImage (incremental)"
	@echo "make initramfs      build the guest initramfs with the selftests"
	@echo "make guest-test     boot the guest and run the selftests"
	@echo "make torture        long seeded soaks (AUFS_TORTURE_SECS, AUFS_TORTURE_SEED)"
	@echo "make kcsan-test     mmap and stall selftests on a KCSAN guest (build/kbuild-kcsan)"
	@echo "make lsm-test       every selftest on a Smack guest, lockdep on (build/kbuild-smack)"
	@echo "make bench          benchmarks: native vs overlayfs vs aufs, one boot"
	@echo "make profile        where stat, open, read, create spend their time (function profiler)"
	@echo "make upstream       git am the series on a pristine tree, format-patch to build/upstream"
	@echo "make send-dry-run   git send-email --dry-run of build/upstream to get_maintainer.pl"
	@echo "make clean          remove build outputs, keep the kernel tree"
	@echo "make distclean      remove build/"

deps:
	@$(S)/deps.sh

source: deps
	@$(S)/source.sh

kernel: source
	@$(S)/build-kernel.sh

initramfs: source
	@$(S)/initramfs.sh

# make run and make bench boot a kernel without the debug options
# (configs/plain.config, build/kbuild-plain): quicker to build and boot.
PLAIN := AUFS_KCONFIG=$(CURDIR)/configs/plain.config AUFS_KBUILD=$(CURDIR)/build/kbuild-plain

run: source initramfs
	@$(PLAIN) $(S)/build-kernel.sh
	@$(PLAIN) $(S)/vm.sh demo

demo: run

shell: kernel initramfs
	@$(S)/vm.sh shell

guest-test: kernel initramfs
	@$(S)/vm.sh test

# Longer soaks: the torture and branch tests, AUFS_TORTURE_SECS (default
# 600) per torture run; AUFS_TORTURE_SEED=N replays a run.
torture: kernel initramfs
	@AUFS_TESTS=torture_test,branch_test \
	 AUFS_TORTURE_SECS=$${AUFS_TORTURE_SECS:-600} \
	 AUFS_VM_TIMEOUT=$${AUFS_VM_TIMEOUT:-7200} $(S)/vm.sh test

# The mmap and fault selftests on a KCSAN kernel of its own; not part
# of make check (another kernel build).  Run it before resolving mmap
# work.
kcsan-test: source
	@$(S)/kcsan-test.sh

# Every selftest on a kernel of its own with Smack, which labels inodes
# from xattrs and so calls into aufs from d_instantiate(); not part of
# make check (another kernel build).  Run it before resolving work on
# locking or LSM hooks.
lsm-test: source
	@$(S)/lsm-test.sh

check:
	@$(S)/check.sh

check-bisect: deps
	@$(S)/check-bisect.sh

bench: source
	@$(S)/bench.sh

profile: source
	@$(S)/profile.sh

upstream: deps
	@$(S)/upstream.sh

send-dry-run: deps
	@$(S)/send-dry-run.sh

patches:
	@$(S)/genpatch.sh patches

check-patches:
	@$(S)/check-patches.sh

checkpatch: source
	@$(S)/checkpatch.sh

kunit: source
	@$(S)/kunit.sh

clean:
	rm -rf build/kbuild-x86 build/kbuild-uml build/kbuild-uml-kasan build/kbuild-uml-all \
		build/kbuild-plain build/kbuild-mod build/kbuild-kcsan build/kbuild-smack \
		build/initramfs build/tests build/kselftest build/kselftest-build \
		build/initramfs.cpio.gz build/logs

distclean:
	rm -rf build
