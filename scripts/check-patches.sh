#!/bin/bash
# Fail when patches/ differs from what scripts/genpatch.sh makes from
# fs-aufs/, kunit/, Documentation/ and tests/, or when series and
# patches/ disagree.
set -eu
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$TOP/scripts/genpatch.sh" "$tmp"

bad=0
for p in "$tmp"/*; do
	name=$(basename "$p")
	if ! cmp -s "$p" "$TOP/patches/$name"; then
		echo "patches/$name is not what genpatch makes (run 'make patches'):"
		diff -u "$TOP/patches/$name" "$p" 2>&1 | head -20 || true
		bad=1
	fi
done
listed=$(grep -v '^[[:space:]]*\(#\|$\)' "$TOP/series" | awk '{print $1}')
for name in $listed; do
	[ -f "$TOP/patches/$name" ] || { echo "series names patches/$name, which is missing"; bad=1; }
done
for p in "$TOP"/patches/*; do
	name=$(basename "$p")
	echo "$listed" | grep -qxF "$name" || { echo "patches/$name is not in series"; bad=1; }
done
exit $bad
