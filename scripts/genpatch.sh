#!/bin/bash
# Generate the aufs patches from fs-aufs/, kunit/, Documentation/ and tests/.
#
# usage: scripts/genpatch.sh OUTDIR
#        scripts/genpatch.sh --tree NAME DIR
#
# Every scripts/patch-msgs/NAME.msg makes OUTDIR/NAME, an mbox-style
# patch.  A .msg file is
#   Subject: <subject>
#   Files: <source files the patch adds, in the order they appear in it>
#   <blank line>
#   <commit message body>
# Source files land in the kernel tree as follows:
#   fs-aufs/F        -> fs/aufs/F
#   kunit/F          -> fs/aufs/F
#   Documentation/F  -> Documentation/filesystems/aufs/F
#   tests/F          -> tools/testing/selftests/filesystems/aufs/F
#
# The sources hold the code as it is after the whole series.  A patch
# that also changes files an earlier patch added (a hook in super.c, a
# declaration in aufs.h, an object in the Makefile) has a
# scripts/patch-msgs/NAME.undo: a diff, on kernel paths, that takes
# those files from their state after NAME back to their state before
# it.  Going from the last patch of series to the first, each step drops
# the files its patch adds and applies its .undo; every generated patch
# is then the difference between two neighbouring states, so each step
# of the series has only what its patch and those before it add.  A
# .undo must apply with its exact context (a hunk may move: edits above
# it shift line numbers); one that does not, or a source file no patch
# adds, fails the generation, and OUTDIR is left as it was.  A
# scripts/patch-msgs/NAME.extra is appended as it is: hunks for kernel
# files outside fs/aufs (the kbuild wiring).
#
# To change what a step adds to earlier files (or when its .undo no
# longer applies), see CONTRIBUTING:
#   --tree NAME DIR   writes the files (kernel paths) as they are after
#                     NAME to DIR;
#   --undo NAME DIR   writes NAME.undo again, as the diff from the state
#                     after NAME to DIR, which holds the state before it.
#
# The output is byte-for-byte reproducible: no dates, no hostnames.
set -eu
export LC_ALL=C	# file order in the patches must not follow the locale

top=$(cd "$(dirname "$0")/.." && pwd)
msgs=$top/scripts/patch-msgs
author="aufs developers <aufs-devel@lists.example.org>"
tree_name=
mode=${1:-}
if [ "$mode" = --tree ] || [ "$mode" = --undo ]; then
	tree_name=${2:?usage: genpatch.sh $mode NAME DIR}
	out=${3:?usage: genpatch.sh $mode NAME DIR}
	grep -qxF "$tree_name" "$top/series" ||
		{ echo "genpatch: $tree_name is not in series" >&2; exit 1; }
else
	out=${1:?usage: genpatch.sh OUTDIR}
fi

die() { echo "genpatch: $*" >&2; exit 1; }

dest_of() {
	case "$1" in
	fs-aufs/*)	echo "fs/aufs/${1#fs-aufs/}" ;;
	kunit/*)	echo "fs/aufs/${1#kunit/}" ;;
	Documentation/*) echo "Documentation/filesystems/aufs/${1#Documentation/}" ;;
	tests/*)	echo "tools/testing/selftests/filesystems/aufs/${1#tests/}" ;;
	*)		die "$1: not a generated source" ;;
	esac
}

subject_of() { sed -n '1s/^Subject: //p' "$msgs/$1.msg"; }
files_of() { sed -n '2s/^Files: //p' "$msgs/$1.msg"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The generated patches, in the order of series.
order=()
for name in $(grep -v '^[[:space:]]*\(#\|$\)' "$top/series" | awk '{print $1}'); do
	[ -f "$msgs/$name.msg" ] && order+=("$name")
done
for msg in "$msgs"/*.msg; do
	name=$(basename "$msg" .msg)
	printf '%s\n' "${order[@]}" | grep -qxF "$name" ||
		die "$msg: $name is not in series"
	[ -n "$(subject_of "$name")" ] && [ -n "$(files_of "$name")" ] ||
		die "$msg: needs Subject: and Files: lines"
done
for f in "$msgs"/*.undo "$msgs"/*.extra; do
	[ -e "$f" ] || continue
	[ -f "$msgs/$(basename "${f%.*}").msg" ] || die "$f: no .msg of that name"
done

# The state after the last patch: every source file.
mkdir "$tmp/cur"
(cd "$top" && find fs-aufs kunit Documentation tests -type f | sort) |
while read -r f; do
	d=$(dest_of "$f")
	[ ! -e "$tmp/cur/$d" ] || die "$f: another source lands on $d"
	mkdir -p "$(dirname "$tmp/cur/$d")"
	cp "$top/$f" "$tmp/cur/$d"
done

# Back to the first patch, keeping the state after each one.
for ((k = ${#order[@]} - 1; k >= 0; k--)); do
	name=${order[k]}
	cp -a "$tmp/cur" "$tmp/after.$k"
	[ "$name" != "$tree_name" ] || break
	for f in $(files_of "$name"); do
		d=$(dest_of "$f")
		[ -f "$tmp/cur/$d" ] ||
			die "$name: $f missing, or added by a later patch too"
		rm "$tmp/cur/$d"
	done
	if [ -f "$msgs/$name.undo" ] &&
	   ! (cd "$tmp/cur" && patch -p1 -s -F0 -f --no-backup-if-mismatch \
		-r "$tmp/rej" < "$msgs/$name.undo" >"$tmp/log" 2>&1); then
		cat "$tmp/log" >&2
		die "$name.undo no longer applies to the sources: see CONTRIBUTING"
	fi
done
if [ -n "$tree_name" ]; then
	[ "$k" -ge 0 ] || die "$tree_name: not a generated patch"
	case "$(realpath -m "$out")/" in
	"$top"/*) die "$out: inside the repository" ;;
	esac
fi
if [ "$mode" = --tree ]; then
	[ ! -e "$out" ] || [ -z "$(ls -A "$out")" ] || die "$out: not empty"
	mkdir -p "$out"
	cp -a "$tmp/after.$k/." "$out/"
	exit 0
fi
if [ "$mode" = --undo ]; then
	after=$tmp/after.$k
	undo=$msgs/$tree_name.undo
	added=" "
	for f in $(files_of "$tree_name"); do
		added="$added$(dest_of "$f") "
	done
	: > "$tmp/undo"
	(cd "$out" && find . -type f | sed 's|^\./||' | sort) |
	while read -r d; do
		[ -f "$after/$d" ] || die "$out/$d: not in the state after $tree_name"
		[[ "$added" != *" $d "* ]] ||
			die "$out/$d: $tree_name adds it, so it cannot be there before"
		cmp -s "$after/$d" "$out/$d" ||
			diff -up --label "a/$d" --label "b/$d" \
				"$after/$d" "$out/$d" >> "$tmp/undo" || true
	done
	(cd "$after" && find . -type f | sed 's|^\./||' | sort) |
	while read -r d; do
		[ -f "$out/$d" ] || [[ "$added" == *" $d "* ]] ||
			die "$out/$d is missing: only files $tree_name adds may be"
	done
	# the new .undo must take the state after NAME to DIR exactly
	cp -a "$after" "$tmp/check"
	for d in $added; do
		rm "$tmp/check/$d"
	done
	(cd "$tmp/check" && patch -p1 -s -F0 --no-backup-if-mismatch \
		-r "$tmp/rej" < "$tmp/undo") || die "the new .undo does not apply"
	diff -r "$tmp/check" "$out" >/dev/null || die "the new .undo does not give $out"
	if [ -s "$tmp/undo" ]; then
		cp "$tmp/undo" "$undo"
	else
		rm -f "$undo"
	fi
	exit 0
fi
left=$(cd "$tmp/cur" && find . -type f | sed 's|^\./||' | sort)
[ -z "$left" ] || die "no patch adds these files (or an .undo leaves them): $left"
mkdir "$tmp/before.0"

mkdir "$tmp/out"
for ((k = 0; k < ${#order[@]}; k++)); do
	name=${order[k]}
	before=$tmp/before.0
	[ "$k" = 0 ] || before=$tmp/after.$((k - 1))
	after=$tmp/after.$k
	new=" "
	for f in $(files_of "$name"); do
		new="$new$(dest_of "$f") "
	done
	{
		echo "From: $author"
		echo "Subject: $(subject_of "$name")"
		echo
		tail -n +4 "$msgs/$name.msg"
		echo "---"
		# changed files first, in path order
		(cd "$before" && find . -type f | sed 's|^\./||' | sort) |
		while read -r d; do
			[ -f "$after/$d" ] || die "$name: deletes $d"
			cmp -s "$before/$d" "$after/$d" && continue
			echo "diff --git a/$d b/$d"
			# no function names in hunk headers: checkpatch given a
			# patch file git tracks reads it as a source file, where
			# a name cut short is a misspelling
			diff -u --label "a/$d" --label "b/$d" \
				"$before/$d" "$after/$d" || true
		done
		for d in $new; do
			echo "diff --git a/$d b/$d"
			echo "new file mode 100644"
			diff -u --label /dev/null --label "b/$d" /dev/null \
				"$after/$d" || true
		done
		[ ! -f "$msgs/$name.extra" ] || cat "$msgs/$name.extra"
	} > "$tmp/out/$name"
	# nothing but the listed files may appear
	(cd "$after" && find . -type f | sed 's|^\./||' | sort) |
	while read -r d; do
		[ -f "$before/$d" ] || [[ "$new" == *" $d "* ]] ||
			die "$name: $d appears but is not on its Files: line"
	done
done
mkdir -p "$out"
cp "$tmp/out"/* "$out/"
