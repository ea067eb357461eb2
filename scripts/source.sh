#!/bin/bash
# Unpack the 6.12 tree into build/linux and apply the series with quilt,
# after checking that patches/ is what its sources make.
# A tree already patched with the current series is left as it is; after
# a change of series or patches the series is popped and pushed again,
# so kbuild rebuilds only what the change touched.
set -eu
. "$(dirname "$0")/lib.sh"

# The tree is built from patches/: refuse to go on when the generated
# patches are older than their sources, so that an edit is never
# silently left untested.
if ! out=$("$TOP/scripts/check-patches.sh" 2>&1); then
	echo "$out" | head -20 >&2
	die "patches/ do not match fs-aufs/, kunit/, Documentation/, tests/: run 'make patches'"
fi

export QUILT_PATCHES=$TOP/patches QUILT_SERIES=$TOP/series
export QUILT_PC=.pc
stamp=$BUILD/series.applied

want=$(cd "$TOP" && cat series patches/* | sha256sum | cut -d' ' -f1)

if [ ! -d "$TREE" ]; then
	[ -f "$TARBALL" ] || die "$TARBALL missing (apt-get install linux-source-6.12)"
	step "unpacking $(basename "$TARBALL")"
	rm -rf "$BUILD/linux.tmp"
	mkdir -p "$BUILD/linux.tmp"
	tar -xf "$TARBALL" -C "$BUILD/linux.tmp"
	mv "$BUILD"/linux.tmp/linux-source-6.12 "$TREE"
	rmdir "$BUILD/linux.tmp"
	rm -f "$stamp"
fi

# When series no longer names what was applied (a patch renamed or
# dropped), quilt refuses to pop: restore the backups quilt kept in .pc
# (an empty backup means the patch created the file).  The restored
# files get a new mtime: kbuild must rebuild what a dropped patch
# changed; restore_mtimes() below gives the files the new series
# patches the same way again their old one.
unapply_by_hand() {
	local p f
	for p in $(tac .pc/applied-patches); do
		(cd ".pc/$p" && find . -type f) | while read -r f; do
			if [ -s ".pc/$p/$f" ]; then
				cp ".pc/$p/$f" "$f"
			else
				rm -f "$f"
			fi
		done
	done
	rm -rf .pc
}

# Popping and pushing the series gives every file it touches a new
# mtime; a hook in a header included everywhere would then rebuild the
# whole kernel after any change.  Remember each touched file's content
# and mtime, and give files whose content came back unchanged their old
# mtime again.
keep=$BUILD/series.mtimes
remember_mtimes() {
	local p f
	rm -rf "$keep"
	mkdir -p "$keep"
	for p in $(cat .pc/applied-patches); do
		(cd ".pc/$p" && find . -type f)
	done | sort -u | while read -r f; do
		[ -f "$f" ] || continue
		mkdir -p "$keep/$(dirname "$f")"
		cp -p "$f" "$keep/$f"
	done
}
restore_mtimes() {
	(cd "$keep" && find . -type f) | while read -r f; do
		if [ -f "$f" ] && cmp -s "$keep/$f" "$f"; then
			touch -r "$keep/$f" "$f"
		fi
	done
	rm -rf "$keep"
}

if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	cd "$TREE"
	rm -rf "$keep"
	if [ -d .pc ]; then
		step "popping the old series"
		remember_mtimes
		quilt pop -a -f -q >/dev/null 2>&1 || unapply_by_hand
	fi
	step "applying the series ($(grep -cv '^\s*\(#\|$\)' "$TOP/series") patches)"
	rm -f "$stamp"
	quilt push -a -q --fuzz=0 > "$LOGS/quilt.log" 2>&1 ||
		{ cat "$LOGS/quilt.log"; die "the series does not apply"; }
	[ -d "$keep" ] && restore_mtimes
	echo "$want" > "$stamp"
fi
step "kernel tree: Linux $(kernel_version) + aufs series"
