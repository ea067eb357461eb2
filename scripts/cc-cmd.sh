#!/bin/bash
# git send-email --cc-cmd for make send-dry-run: the people and lists
# scripts/get_maintainer.pl names for one patch of build/upstream/, and
# for the cover letter those of every patch.
set -eu
. "$(dirname "$0")/lib.sh"

up=$BUILD/upstream-tree
patch=$(realpath "$1")
case "$(basename "$patch")" in
0000-cover-letter.patch)
	set -- "$(dirname "$patch")"/0*-*.patch
	set -- "${@/*0000-cover-letter.patch/}" ;;
*)	set -- "$patch" ;;
esac
cd "$up"
for p in "$@"; do
	[ -n "$p" ] || continue
	./scripts/get_maintainer.pl --no-rolestats --no-git --no-git-fallback \
		--no-tree "$p"
done | grep -v '^$' | sort -u
