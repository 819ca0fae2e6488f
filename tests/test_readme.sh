#!/bin/sh
# SPDX-License-Identifier: MIT
#
# test_readme.sh SOURCE_DIR EPCMM - every `$ epcmm ...` command shown in
# README.md's code blocks works as printed: it is run from the source tree
# with the built epcmm first in PATH and must exit 0, and its standard output
# must be the lines the README shows under it (all of them; or, when the
# shown output starts with a line "...", its last lines). `epcmm record` and
# `epcmm size -- COMMAND` are skipped: they need valgrind and an input file
# made by hand.
set -u
src=$1
epcmm=$2
tmp=$(mktemp -d /tmp/epcmm-readme-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
PATH=$(dirname "$epcmm"):$PATH
export PATH

# Split the README into $tmp/N.cmd and $tmp/N.out, one pair per command.
awk -v dir="$tmp" '
	/^```/ { inblock = !inblock; cmd = ""; next }
	inblock && /^\$ / {
		n++; cmd = dir "/" n ".cmd"; out = dir "/" n ".out"
		print substr($0, 3) > cmd; close(cmd); printf "" > out; next
	}
	inblock && cmd != "" { print >> out }
' "$src/README.md"

fail=0 ran=0
for c in "$tmp"/*.cmd; do
	[ -e "$c" ] || break
	n=${c%.cmd}
	line=$(cat "$c")
	case "$line" in
	epcmm\ *|*=*\ epcmm\ *) ;;
	*) continue ;;
	esac
	case "$line" in
	*"epcmm record"* | *"epcmm size --"*) echo "# skip (needs valgrind): $line"; continue ;;
	esac
	ran=$((ran + 1))
	(cd "$src" && sh -c "$line") > "$n.got" 2> "$n.err"
	st=$?
	if [ $st -ne 0 ]; then
		echo "not ok: exit $st: $line"; sed 's/^/#   /' "$n.err"; fail=1; continue
	fi
	if [ "$(head -n 1 "$n.out")" = "..." ]; then
		k=$(($(wc -l < "$n.out") - 1))
		tail -n +2 "$n.out" > "$n.want"
		tail -n "$k" "$n.got" > "$n.cmp"
	else
		cp "$n.out" "$n.want"
		cp "$n.got" "$n.cmp"
	fi
	if ! cmp -s "$n.want" "$n.cmp"; then
		echo "not ok: the output differs from README.md: $line"
		diff "$n.want" "$n.cmp" | sed 's/^/#   /'
		fail=1
		continue
	fi
	echo "ok: $line"
done
if [ $ran -eq 0 ]; then
	echo "not ok: no epcmm command found in README.md"
	exit 1
fi
exit $fail
