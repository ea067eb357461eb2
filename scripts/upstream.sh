#!/bin/bash
# make upstream: a git repository of a pristine 6.12 tree with one commit
# per patch in series (git am), and the series for review in
# build/upstream/ (git format-patch --cover-letter -s).
set -eu
. "$(dirname "$0")/lib.sh"

up=$BUILD/upstream-tree
out=$BUILD/upstream
git config user.email >/dev/null ||
	die "set your git identity (git config --global user.name/user.email): it signs the series off"

# The base: Debian's linux-source-6.12, i.e. a stable 6.12 release with
# Debian's patches.  It is committed with a fixed author, committer and
# date, so that anyone who unpacks the same package and commits it the
# same way gets the commit the cover letter names as base-commit.
if [ -n "${AUFS_KERNEL_TARBALL:-}" ]; then
	basemsg="Linux from $(basename "$TARBALL")"
else
	debver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)
	basemsg="Linux ${debver%%-*} with Debian's patches (linux-source-6.12 $debver)"
fi
if [ ! -d "$up/.git" ] ||
   [ "$(git -C "$up" log -1 --format=%s base 2>/dev/null)" != "$basemsg" ]; then
	step "unpacking a pristine tree into ${up#$TOP/} (once)"
	rm -rf "$up" "$up.tmp"
	mkdir -p "$up.tmp"
	tar -xf "$TARBALL" -C "$up.tmp"
	mv "$up.tmp/linux-source-6.12" "$up"
	rmdir "$up.tmp"
	step "committing it (git add of the whole tree takes a minute)"
	# Debian's tarball ignores everything at the top level: add by force.
	(cd "$up" && git init -q && git add -f -A &&
	 GIT_AUTHOR_NAME="Linux" GIT_AUTHOR_EMAIL="linux-source-6.12@debian" \
	 GIT_COMMITTER_NAME="Linux" GIT_COMMITTER_EMAIL="linux-source-6.12@debian" \
	 GIT_AUTHOR_DATE="2000-01-01T00:00:00Z" \
	 GIT_COMMITTER_DATE="2000-01-01T00:00:00Z" \
	 git -c commit.gpgSign=false -c core.hooksPath=/dev/null \
		commit -q -m "$basemsg" && git tag base)
else
	(cd "$up" && git am --abort >/dev/null 2>&1 || true
	 git reset -q --hard base && git clean -fdxq)
fi

step "applying the series with git am"
for p in $(grep -v '^[[:space:]]*\(#\|$\)' "$TOP/series" | awk '{print $1}'); do
	(cd "$up" && git am -q "$TOP/patches/$p") ||
		die "git am $p failed on a pristine tree"
done

# The sender is the author of what they send: the patches' own From: is
# the project, which signs nothing off.
(cd "$up" && git rebase -q --exec "git commit -q --amend --no-edit --reset-author" base)

step "git format-patch --cover-letter -s into ${out#$TOP/}"
rm -rf "$out"
(cd "$up" && git format-patch -q --cover-letter -s --base=base -o "$out" base..HEAD)
cover=$(ls "$out"/0000-cover-letter.patch)
python3 - "$cover" "$TOP/scripts/cover-letter.txt" "$basemsg" <<'PY'
import sys
cover, text, base = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
text = text.replace("@BASE@", base)
s = open(cover).read()
s = s.replace("*** SUBJECT HERE ***", "aufs: a union of directories for Linux 6.12")
s = s.replace("*** BLURB HERE ***", text.rstrip("\n"))
open(cover, "w").write(s)
PY
ls "$out"
