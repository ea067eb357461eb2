#!/bin/bash
# make send-dry-run: what git send-email would send of build/upstream/,
# each patch to the recipients scripts/get_maintainer.pl names for it.
# Sends nothing.
set -eu
. "$(dirname "$0")/lib.sh"

up=$BUILD/upstream-tree
out=$BUILD/upstream
[ -d "$out" ] || die "run 'make upstream' first"
command -v git-send-email >/dev/null || [ -x /usr/lib/git-core/git-send-email ] ||
	die "git send-email missing (apt-get install git-email)"

# Every patch to linux-fsdevel; each one Cc'd to whom get_maintainer.pl
# names for it (scripts/cc-cmd.sh), the cover letter to all of them.
step "recipients of each patch (get_maintainer.pl on that patch):"
for p in "$out"/*.patch; do
	echo "  $(basename "$p"): $("$TOP/scripts/cc-cmd.sh" "$p" | paste -sd, - | cut -c1-300)"
done
git send-email --dry-run --confirm=never --suppress-cc=self \
	--to=linux-fsdevel@vger.kernel.org \
	--cc-cmd="$TOP/scripts/cc-cmd.sh" "$out"/*.patch
