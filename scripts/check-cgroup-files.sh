#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-cgroup-files.sh - a cgroup file's name (misc.max, memory.current,
# cgroup.procs, ...) is spelled in one place of the C sources: the library's
# table, EPC_CGROUP_FILES in include/epcmm.h (issue 16). Every other C file
# addresses a file by its enum value (epc_cgroup_file_read(cg,
# EPC_CGF_MISC_MAX, ...)), or takes the name from the table
# (epc_cgroup_file_type(), or EPC_CGROUP_FILE_NAMES where the library is not
# linked), so the list of files cannot drift apart again.
#
# What counts as spelling a name: a C string literal, outside comments, that
# is a cgroup file name or ends in one after a '/' ("misc.max",
# "%s/cgroup.procs"): a name of the controllers' form, cgroup.*, memory.* or
# misc.*, known to the table or not. A name in prose ("the root has no
# misc.max to sweep") addresses nothing and passes. Allowed: the table
# (include/epcmm.h), tests/ (they check the names themselves), docs/, and the
# kernel's selftest script (tests/live/run_epc_cg_selftests.sh: shell, not C).
#
# Usage: check-cgroup-files.sh [ROOT]   (default: the tree above this script)
#        check-cgroup-files.sh --self-test: also checks that the check fails
#        on seeded names and passes on what it allows.
# Exit: 0 clean; 1 a name spelled outside the table (each printed as
# file:line: "literal"); 2 usage. POSIX sh, find, awk.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
self_test=0
case "${1:-}" in
--self-test) self_test=1; shift ;;
-*) echo "usage: $0 [--self-test] [ROOT]" >&2; exit 2 ;;
esac
root=${1:-$here/..}
[ -d "$root" ] || { echo "check-cgroup-files: no such folder: $root" >&2; exit 2; }
root=$(cd "$root" && pwd)

# The folders of C sources; tests/ and docs/ are not among them.
DIRS="src include live sim tools bench selftest contrib"

# literals FILE...: print "file:line: literal" for each string literal
# outside comments that spells a cgroup file name.
literals() {
	awk '
	function check(lit) {
		if (lit ~ /^([^"]*\/)?(cgroup|memory|misc)\.[a-z_]+(\.[a-z_]+)*$/ &&
		    lit !~ /\.[ch]$/) # a header or a source of the cgroup layer
			printf "%s:%d: \"%s\"\n", FILENAME, FNR, lit
	}
	FNR == 1 { incomment = 0 }
	{
		line = $0; n = length(line); i = 1; instr = 0; lit = ""
		while (i <= n) {
			c = substr(line, i, 1); c2 = substr(line, i, 2)
			if (incomment) {
				if (c2 == "*/") { incomment = 0; i += 2 } else i++
			} else if (instr) {
				if (c == "\\") { lit = lit c substr(line, i + 1, 1); i += 2 }
				else if (c == "\"") { check(lit); instr = 0; i++ }
				else { lit = lit c; i++ }
			} else if (c2 == "/*") { incomment = 1; i += 2 }
			else if (c2 == "//") { i = n + 1 }
			else if (c == "\x27") { # a character literal: skip it
				i++
				while (i <= n && substr(line, i, 1) != "\x27") {
					if (substr(line, i, 1) == "\\") i++
					i++
				}
				i++
			} else if (c == "\"") { instr = 1; lit = ""; i++ }
			else i++
		}
	}' "$@"
}

# check_tree ROOT: print each name spelled outside the table; status 1 if any.
check_tree() {
	files=$(cd "$1" && for d in $DIRS; do
		[ -d "$d" ] && find "$d" -type f \( -name '*.c' -o -name '*.h' \)
	done | grep -v '^include/epcmm\.h$' | sort) || true
	[ -n "$files" ] || { echo "check-cgroup-files: no C sources under $1"; return 1; }
	out=$(cd "$1" && literals $files)
	if [ -n "$out" ]; then
		printf '%s\n' "$out" | sed 's/$/: a cgroup file name outside the table (include\/epcmm.h EPC_CGROUP_FILES): use its enum value/'
		return 1
	fi
	echo "check-cgroup-files: $(printf '%s\n' "$files" | wc -l) C files name no cgroup file outside the table"
	return 0
}

if [ "$self_test" = 0 ]; then
	check_tree "$root"
	exit $?
fi

# --self-test: the real tree passes; each seeded name is caught; what is
# allowed passes.
check_tree "$root" > /dev/null || { echo "check-cgroup-files: the tree itself fails"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fresh() { # a tree of one file with the table and one innocent file
	rm -rf "$tmp/t"
	mkdir -p "$tmp/t/include" "$tmp/t/live" "$tmp/t/tests"
	printf '#define X(a) X(A, "misc.max", 0644, 0)\n' > "$tmp/t/include/epcmm.h"
	printf 'int x; /* "misc.max" in a comment */\n' > "$tmp/t/live/ok.c"
}
seed() { # seed FILE LINE: LINE in FILE must fail the check
	fresh
	mkdir -p "$(dirname "$tmp/t/$1")"
	printf '%s\n' "$2" >> "$tmp/t/$1"
	if check_tree "$tmp/t" > "$tmp/out"; then
		echo "check-cgroup-files self-test: '$2' in $1 was not caught"
		exit 1
	fi
	echo "caught: $(head -n 1 "$tmp/out")"
}
pass() { # pass FILE LINE: LINE in FILE must pass the check
	fresh
	mkdir -p "$(dirname "$tmp/t/$1")"
	printf '%s\n' "$2" >> "$tmp/t/$1"
	check_tree "$tmp/t" > "$tmp/out" || {
		echo "check-cgroup-files self-test: '$2' in $1 was refused: $(cat "$tmp/out")"
		exit 1
	}
}
seed live/cgfs.c 'static const char *f = "misc.max";'
seed sim/engine.c 'r = epc_cgroup_read(cg, "memory.current", buf, 64);'
seed tools/epcmm/x.c 'snprintf(p, n, "%s/cgroup.procs", dir);'
seed bench/b.c 'const char *names[] = {"x", "memory.high"};'
seed src/cgroup/misc.c '	[EPC__MISC_EVENTS] = "misc.events.local",'
seed live/two.c 'a = 1; /* a comment */ b = "cgroup.subtree_control";'
pass tests/test_x.c 'r = epc_cgroup_read(cg, "misc.max", buf, 64);'
pass live/prose.c 'fprintf(stderr, "the root has no misc.max to sweep\n");'
pass live/block.c '/* a comment over lines
   "misc.max" is not code */'
pass live/chars.c "char q = '\"'; const char *s = \"misc\";"
pass include/epcmm.h 'X(EPC_CGF_MISC_PEAK, "misc.peak", 0444, 0)'
echo "check-cgroup-files self-test: every seeded name caught, every allowed one passed"
