#!/bin/bash
# Build the x86_64 guest kernel in build/kbuild-x86 from tinyconfig plus
# configs/guest.config.  Incremental: only what changed is rebuilt.
set -eu
. "$(dirname "$0")/lib.sh"

# AUFS_KCONFIG/AUFS_KBUILD pick another fragment and build directory
# (make bench builds a kernel without the debug options), AUFS_KTARGET
# other targets (the module check builds "vmlinux modules": modpost
# resolves the module's symbols against vmlinux).
frag=${AUFS_KCONFIG:-$TOP/configs/guest.config}
KBUILD_X86=${AUFS_KBUILD:-$KBUILD_X86}
cfg=$KBUILD_X86/.config
mkdir -p "$KBUILD_X86"
log=$LOGS/kernel-build-$(basename "$KBUILD_X86").log

# Always regenerate the config: it takes seconds, and kconfig only
# touches the symbols that changed, so kbuild stays incremental.
step "configuring the guest kernel (tinyconfig + ${frag#$TOP/})"
make -s -C "$TREE" O="$KBUILD_X86" tinyconfig >"$log" 2>&1
"$TREE/scripts/kconfig/merge_config.sh" -m -O "$KBUILD_X86" "$cfg" "$frag" >>"$log" 2>&1
make -s -C "$TREE" O="$KBUILD_X86" olddefconfig >>"$log" 2>&1
bad=0
for opt in $(grep -o '^CONFIG_[A-Z0-9_]*=[^ ]*' "$frag"); do
	grep -qx "$opt" "$cfg" || { echo "config: $opt did not stick" >&2; bad=1; }
done
[ $bad = 0 ] || die "${frag#$TOP/} asks for options the tree refuses"

target=${AUFS_KTARGET:-bzImage}
step "building $target for Linux $(kernel_version) with aufs (-j$JOBS, log: ${log#$TOP/})"
start=$(date +%s)
# shellcheck disable=SC2086 # $target may name several targets
if ! make -C "$TREE" O="$KBUILD_X86" -j"$JOBS" $target >>"$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -30
	die "kernel build failed, see ${log#$TOP/}"
fi
step "$target ready ($(( $(date +%s) - start ))s)"
