#!/bin/bash
# Generate the aufs patches from fs-aufs/, kunit/, Documentation/ and tests/.
#
# usage: scripts/genpatch.sh OUTDIR
#
# Every scripts/patch-msgs/NAME.msg makes OUTDIR/NAME: an mbox-style patch
# that adds the files listed on its "Files:" line.  A .msg file is
#   Subject: <subject>
#   Files: <source files, in the order they appear in the patch>
#   <blank line>
#   <commit message body>
# Source files land in the kernel tree as follows:
#   fs-aufs/F        -> fs/aufs/F
#   kunit/F          -> fs/aufs/F
#   Documentation/F  -> Documentation/filesystems/aufs/F
#   tests/F          -> tools/testing/selftests/filesystems/aufs/F
# The output is byte-for-byte reproducible: no dates, no hostnames.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: genpatch.sh OUTDIR}
author="aufs developers <aufs-devel@lists.example.org>"

dest_of() {
	case "$1" in
	fs-aufs/*)	echo "fs/aufs/${1#fs-aufs/}" ;;
	kunit/*)	echo "fs/aufs/${1#kunit/}" ;;
	Documentation/*) echo "Documentation/filesystems/aufs/${1#Documentation/}" ;;
	tests/*)	echo "tools/testing/selftests/filesystems/aufs/${1#tests/}" ;;
	*)		echo "genpatch: $1: not a generated source" >&2; return 1 ;;
	esac
}

mkdir -p "$out"
listed=$(mktemp)
trap 'rm -f "$listed"' EXIT

for msg in "$top"/scripts/patch-msgs/*.msg; do
	name=$(basename "$msg" .msg)
	subject=$(sed -n '1s/^Subject: //p' "$msg")
	files=$(sed -n '2s/^Files: //p' "$msg")
	[ -n "$subject" ] && [ -n "$files" ] ||
		{ echo "genpatch: $msg: needs Subject: and Files: lines" >&2; exit 1; }
	{
		echo "From: $author"
		echo "Subject: $subject"
		echo
		tail -n +4 "$msg"
		echo "---"
		for f in $files; do
			[ -f "$top/$f" ] || { echo "genpatch: $msg: $f missing" >&2; exit 1; }
			echo "$f" >> "$listed"
			d=$(dest_of "$f")
			echo "diff --git a/$d b/$d"
			echo "new file mode 100644"
			diff -u --label /dev/null --label "b/$d" /dev/null "$top/$f" || true
		done
	} > "$out/$name"
done

# Every source file must be in exactly one generated patch.
missing=0
for f in $(cd "$top" && find fs-aufs kunit Documentation tests -type f | sort); do
	c=$(grep -cxF "$f" "$listed" || true)
	if [ "$c" != 1 ]; then
		echo "genpatch: $f is in $c generated patches (must be 1)" >&2
		missing=1
	fi
done
exit $missing
