#!/bin/bash
# Install what the build and the tests need (Debian 12, as root).
set -eu
. "$(dirname "$0")/lib.sh"

pkgs="quilt linux-source-6.12 xz-utils make gcc libc6-dev bc flex bison
      libelf-dev libssl-dev python3 perl cpio gzip kmod busybox-static
      qemu-system-x86 e2fsprogs xfsprogs git git-email libmailtools-perl diffutils
      python3-ply python3-git sparse rsync"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root, or install them)"
step "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >"$LOGS/apt-update.log" 2>&1 ||
	{ cat "$LOGS/apt-update.log"; die "apt-get update failed"; }
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >"$LOGS/apt-install.log" 2>&1 ||
	{ tail -20 "$LOGS/apt-install.log"; die "apt-get install failed"; }
