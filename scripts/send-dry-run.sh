#!/bin/bash
# make send-dry-run: what git send-email would send of build/upstream/,
# to the recipients scripts/get_maintainer.pl names.  Sends nothing.
set -eu
. "$(dirname "$0")/lib.sh"

up=$BUILD/upstream-tree
out=$BUILD/upstream
[ -d "$out" ] || die "run 'make upstream' first"
command -v git-send-email >/dev/null || [ -x /usr/lib/git-core/git-send-email ] ||
	die "git send-email missing (apt-get install git-email)"

to=$(cd "$up" && ./scripts/get_maintainer.pl --no-rolestats --no-git \
	--no-git-fallback --no-tree "$out"/0*-*.patch | grep -v '^$' | paste -sd, -)
step "recipients: $to"
git send-email --dry-run --confirm=never --suppress-cc=self \
	--to="$to" "$out"/*.patch
