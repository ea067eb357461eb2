#!/bin/bash
# checkpatch.pl --strict on every patch in series.  Prints one line per
# patch, "PASS name" or "FAIL name" followed by the findings.
#
# Two checks are switched off, for reasons that hold for every patch:
#   --no-signoff           patches carry no Signed-off-by: the upstream
#                          export (make upstream) adds the sender's own.
#   FILE_PATH_CHANGES      "does MAINTAINERS need updating?": checkpatch
#                          reads one patch at a time; the MAINTAINERS entry
#                          for every aufs path is in the MAINTAINERS patch.
set -u
. "$(dirname "$0")/lib.sh"

cd "$TREE" || exit 1
fail=0
for name in $(grep -v '^[[:space:]]*\(#\|$\)' "$TOP/series" | awk '{print $1}'); do
	out=$(perl scripts/checkpatch.pl --strict --no-signoff \
		--ignore FILE_PATH_CHANGES -q "$TOP/patches/$name" 2>&1)
	if [ -z "$out" ]; then
		echo "PASS checkpatch $name"
	else
		echo "FAIL checkpatch $name"
		echo "$out" | sed 's/^/    /'
		fail=1
	fi
done
exit $fail
