#!/bin/bash
# Run the aufs KUnit suites under UML in the patched tree, the way a user
# does: kunit.py run --kunitconfig=fs/aufs.
set -eu
. "$(dirname "$0")/lib.sh"

log=$LOGS/kunit.log
step "KUnit: kunit.py run --kunitconfig=fs/aufs (UML build in ${KBUILD_UML#$TOP/})"
cd "$TREE"
set +e
./tools/testing/kunit/kunit.py run --kunitconfig=fs/aufs \
	--build_dir="$KBUILD_UML" --jobs="$JOBS" "$@" 2>&1 | tee "$log" |
	grep --line-buffered -E '^\[..:..:..\] (\[(PASSED|FAILED|SKIPPED)\]|=+ |Testing complete|Building|Starting|Elapsed)|ERROR|error:'
rc=${PIPESTATUS[0]}
exit "$rc"
