#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-layers.sh - the library's layers include only the layers below them
# (docs: DESIGN §2). Bottom up, by folder of src/:
#
#   util < hw < mm < cgroup < reclaim < task < encl < face
#
# where the face is the files at the top of src/ (epcmm.c, epc.h). A file
# may include headers of its own layer and of the layers below; a quoted
# include of a higher layer fails the check, naming the file and line. So
# do a header no layer owns, and a folder of src/ that is in no layer (add
# it to LAYERS below, in its place, when a layer is added). The public
# header include/epcmm.h is the contract every layer implements a part of
# (types, constants, no code): any layer may include it. Above the face,
# sim/, live/ and tools/ are built without src/ on their include path, so
# the compiler already keeps them to the public headers.
#
# Usage: check-layers.sh [--graph] [SRC_DIR]   (default: the src/ beside this
#        script's folder). --graph prints which folder includes which.
#        check-layers.sh --self-test: also checks that the check fails on
#        copies of src/ with a forbidden include added.
# Exit: 0 clean; 1 a violation (each printed); 2 usage. POSIX sh, grep, sed,
# find, sort: nothing a minimal Debian lacks.
set -eu

LAYERS="util hw mm cgroup reclaim task encl face"

here=$(cd "$(dirname "$0")" && pwd)
graph=0
self_test=0
case "${1:-}" in
--graph) graph=1; shift ;;
--self-test) self_test=1; shift ;;
-*) echo "usage: $0 [--graph | --self-test] [SRC_DIR]" >&2; exit 2 ;;
esac
src=${1:-$here/../src}
[ -d "$src" ] || { echo "check-layers: no such folder: $src" >&2; exit 2; }
src=$(cd "$src" && pwd)
public=$src/../include

# The rank of layer $1 (1 = lowest), or nothing if it is no layer.
rank() {
	i=1
	for l in $LAYERS; do
		[ "$l" = "$1" ] && { echo "$i"; return; }
		i=$((i + 1))
	done
}

# The layer of folder $1 (relative to src/: "." is the face).
layer_of_dir() {
	case "$1" in
	.) echo face ;;
	*/*) echo "${1%%/*}" ;; # a subfolder belongs to its top folder's layer
	*) echo "$1" ;;
	esac
}

# check_tree SRC: print each violation; exit status 1 if there was one.
check_tree() {
	root=$1
	bad=0
	edges=$(mktemp)
	files=$(cd "$root" && find . -type f \( -name '*.c' -o -name '*.h' \) | sed 's|^\./||' | sort)
	for f in $files; do
		dir=$(dirname "$f")
		from=$(layer_of_dir "$dir")
		from_rank=$(rank "$from")
		if [ -z "$from_rank" ]; then
			echo "src/$f: folder '$dir' is in no layer (scripts/check-layers.sh LAYERS)"
			bad=1
			continue
		fi
		# "N:name" for each quoted include
		incs=$(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$root/$f" |
			sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/') || true
		for inc in $incs; do
			line=${inc%%:*}
			name=${inc#*:}
			if [ "${name#*/}" = "$name" ] && [ -f "$root/$dir/$name" ]; then
				to=$from # beside the file
			elif [ -f "$root/$name" ]; then
				to=$(layer_of_dir "$(dirname "$name")")
			elif [ "$name" = epcmm.h ] && [ -f "$public/epcmm.h" ]; then
				continue # the public contract
			else
				echo "src/$f:$line: includes \"$name\", a header of no layer of the library"
				bad=1
				continue
			fi
			to_rank=$(rank "$to")
			if [ -z "$to_rank" ]; then
				echo "src/$f:$line: includes \"$name\" of folder '$to', which is in no layer"
				bad=1
				continue
			fi
			[ "$to" != "$from" ] && echo "$from -> $to" >> "$edges"
			if [ "$to_rank" -gt "$from_rank" ]; then
				echo "src/$f:$line: $from includes \"$name\" of $to, a layer above it" \
					"(a layer includes only the layers below: $LAYERS)"
				bad=1
			fi
		done
	done
	[ "$graph" = 1 ] && sort -u "$edges"
	rm -f "$edges"
	return "$bad"
}

if [ "$self_test" = 0 ]; then
	if check_tree "$src"; then
		echo "check-layers: $(cd "$src" && find . -type f \( -name '*.c' -o -name '*.h' \) | wc -l) files of src/ include only their own layer and those below"
		exit 0
	fi
	exit 1
fi

# --self-test: the real tree passes, and each seeded violation is caught.
check_tree "$src" || { echo "check-layers: src/ itself fails"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seed() { # seed FILE LINE: a copy of src/ with LINE added to FILE; it must fail
	rm -rf "$tmp/src" "$tmp/include"
	cp -R "$src" "$tmp/src"
	mkdir -p "$tmp/include"
	cp "$public/epcmm.h" "$tmp/include/"
	mkdir -p "$(dirname "$tmp/src/$1")"
	printf '%s\n' "$2" >> "$tmp/src/$1"
	if check_tree "$tmp/src" > "$tmp/out"; then
		echo "check-layers self-test: '$2' in src/$1 was not caught"
		exit 1
	fi
	echo "caught: $(head -n 1 "$tmp/out")"
}
seed encl/encl_internal.h '#include "epc.h"'
seed mm/mm.h '#include "cgroup/cgroup.h"'
seed util/log.h '#include "hw/hw.h"'
seed reclaim/reclaim.c '#include "task/task.h"'
seed encl/encl.c '#include "nowhere.h"'
seed newlayer/x.c '#include "util/log.h"'
echo "check-layers self-test: every seeded violation caught"
