# Shared settings for the scripts in this directory; source it.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$TOP/build
TREE=$BUILD/linux
KBUILD_X86=$BUILD/kbuild-x86
KBUILD_UML=$BUILD/kbuild-uml
LOGS=$BUILD/logs
TARBALL=${AUFS_KERNEL_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
JOBS=${JOBS:-$(nproc)}

mkdir -p "$BUILD" "$LOGS"

# Progress line for a long step.
step() {
	printf '==> [%s] %s\n' "$(date +%H:%M:%S)" "$*"
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

kernel_version() {
	make -s -C "$TREE" kernelversion 2>/dev/null
}
