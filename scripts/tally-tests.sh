#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tally-tests.sh - count test cases over one or more `meson test` runs.
#
#   scripts/tally-tests.sh LOG.json|BUILDDIR...
#
# Each argument is a JSON test log written by `meson test` (one object per
# line per test program), or a build directory, meaning every
# BUILDDIR/meson-logs/testlog-*.json in it (the logs the Makefile's test
# targets write with --logbase; meson's own testlog.json is left out so a
# stray manual run is not counted twice).
#
# Counting, per test program:
#   - TAP output ("ok N ..." / "not ok N ..." lines in its stdout): one case per
#     result line; "# SKIP" results count as neither (cmocka 1.1 prints skips
#     as "not ok N # SKIP"), "# TODO" ones as passed.
#     Cases planned ("1..N") but never reported (a crash) count as failed.
#     If meson's verdict is a failure (nonzero exit, timeout, sanitizer report
#     after the last case) and no case failed, the program counts one failure.
#   - no TAP lines: the program is one case, passed if meson says OK.
# A missing or unreadable log counts as one failure: a run that produced no
# log (say, the build broke) must not look like a clean run. An empty log file
# is a run of zero tests.
#
# Prints notes on stderr, then exactly one line on stdout:
#   N passed, N failed
# Exits 1 if anything failed, 0 otherwise. Needs only sh and awk (mawk is fine).
set -u

passed=0
failed=0

# tally LOG: add the cases of one JSON test log to passed/failed.
tally()
{
	if [ ! -r "$1" ]; then
		echo "tally-tests: no test log $1: counted as 1 failure" >&2
		failed=$((failed + 1))
		return
	fi
	# shellcheck disable=SC2016 # awk program, not shell
	counts=$(awk -v file="$1" '
	# The value of string field @key in one JSON line, unescaped enough for
	# TAP parsing (\uXXXX is left as is).
	function field(line, key,    i, s) {
		i = index(line, "\"" key "\": \"")
		if (i == 0)
			return ""
		s = substr(line, i + length(key) + 5)
		gsub(/\\\\/, "\001", s)
		gsub(/\\"/, "\002", s)
		s = substr(s, 1, index(s, "\"") - 1)
		gsub(/\\n/, "\n", s)
		gsub(/\\t/, "\t", s)
		gsub(/\\r/, "", s)
		gsub("\002", "\"", s)
		gsub("\001", "\\", s)
		return s
	}
	/^[ \t]*$/ { next }
	{
		name = field($0, "name")
		res = field($0, "result")
		n = split(field($0, "stdout"), out, "\n")
		ok = bad = skip = planned = 0
		for (i = 1; i <= n; i++) {
			l = out[i]
			if (l ~ /^1\.\.[0-9]+/) {
				sub(/^1\.\./, "", l)
				planned += l + 0
			} else if (l ~ /^(not )?ok([ \t]|$)/) {
				if (l ~ /#[ \t]*[Ss][Kk][Ii][Pp]/)
					skip++
				else if (l ~ /^ok/ || l ~ /#[ \t]*[Tt][Oo][Dd][Oo]/)
					ok++
				else
					bad++
			}
		}
		verdict_ok = (res == "OK" || res == "SKIP" || res == "EXPECTEDFAIL")
		if (ok + bad + skip == 0 && planned == 0) {
			ok = verdict_ok
			bad = !verdict_ok
		} else {
			if (planned > ok + bad + skip)
				bad += planned - (ok + bad + skip)
			if (!verdict_ok && bad == 0)
				bad = 1
		}
		if (bad)
			printf "tally-tests: %s: %s (%s): %d passed, %d failed\n", file, name, res, ok, bad > "/dev/stderr"
		tp += ok
		tf += bad
		ts += skip
	}
	END {
		if (ts)
			printf "tally-tests: %s: %d skipped (not counted)\n", file, ts > "/dev/stderr"
		printf "%d %d\n", tp, tf
	}
	' "$1") || {
		echo "tally-tests: cannot parse $1: counted as 1 failure" >&2
		failed=$((failed + 1))
		return
	}
	passed=$((passed + ${counts% *}))
	failed=$((failed + ${counts#* }))
}

for arg in "$@"; do
	if [ -d "$arg" ]; then
		found=0
		for f in "$arg"/meson-logs/testlog-*.json; do
			[ -f "$f" ] || continue
			tally "$f"
			found=1
		done
		[ "$found" = 1 ] || tally "$arg/meson-logs/testlog-*.json"
	else
		tally "$arg"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
