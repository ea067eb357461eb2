#!/bin/bash
# Run the aufs KUnit suites under UML in the patched tree, the way a user
# does: kunit.py run --kunitconfig=fs/aufs.
set -eu
. "$(dirname "$0")/lib.sh"

# AUFS_KUNIT_KASAN=1: the same suites on a UML kernel with generic KASAN
# (its own build directory); a KASAN report fails the case it hits.
log=$LOGS/kunit.log
dir=$KBUILD_UML
extra=()
if [ "${AUFS_KUNIT_KASAN:-0}" = 1 ]; then
	log=$LOGS/kunit-kasan.log
	dir=$BUILD/kbuild-uml-kasan
	extra=(--kconfig_add CONFIG_KASAN=y --kconfig_add CONFIG_KASAN_VMALLOC=y)
fi
step "KUnit: kunit.py run --kunitconfig=fs/aufs ${extra[*]} (UML build in ${dir#$TOP/})"
cd "$TREE"
set +e
./tools/testing/kunit/kunit.py run --kunitconfig=fs/aufs \
	--build_dir="$dir" --jobs="$JOBS" "${extra[@]}" "$@" 2>&1 | tee "$log" |
	grep --line-buffered -E '^\[..:..:..\] (\[(PASSED|FAILED|SKIPPED)\]|=+ |Testing complete|Building|Starting|Elapsed)|ERROR|error:'
rc=${PIPESTATUS[0]}
exit "$rc"
