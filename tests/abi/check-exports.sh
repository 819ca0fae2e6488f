#!/bin/sh
# SPDX-License-Identifier: MIT
# check-exports.sh LIBRARY HEADER: the dynamic symbols LIBRARY defines must be
# exactly the functions HEADER declares. Prints both differences on failure.
set -eu
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sh "$here/header-functions.sh" "$2" > "$tmp/header"
nm -D --defined-only "$1" | awk '{ print $NF }' | sort -u > "$tmp/exported"
if [ ! -s "$tmp/header" ]; then
	echo "no functions found in $2" >&2
	exit 1
fi
if ! diff -u "$tmp/header" "$tmp/exported" > "$tmp/diff"; then
	echo "exported symbols of $1 differ from the functions of $2" >&2
	echo "(- declared but not exported, + exported but not declared):" >&2
	cat "$tmp/diff" >&2
	exit 1
fi
echo "$(wc -l < "$tmp/header") functions declared, the same exported"
