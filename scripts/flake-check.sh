#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# flake-check.sh - run the stress suite N times beside a CPU hog and count
# the runs that fail.
#
#   scripts/flake-check.sh [N] [BUILD_DIR]      (defaults: 50, build)
#
# A test command that fails one run in three is a broken product; a busy CPU
# is what makes races show. This starts one busy loop pinned to CPU 0 (taskset,
# when it is there), runs every stress binary of BUILD_DIR N times with
# EPCMM_STRESS_SCALE=1, kills the hog by its PID, and prints one line per
# failed run (with the log kept under BUILD_DIR/flake-check/) and a summary:
#   flake-check: N runs, F failed
# Exit status: 0 when no run failed, 1 otherwise, 2 on bad usage.
set -u

n=${1:-50}
build=${2:-build}
case "$n" in '' | *[!0-9]*)
	echo "flake-check.sh: N must be a whole number, not '$n'" >&2
	exit 2
	;;
esac
if [ ! -f "$build/build.ninja" ]; then
	echo "flake-check.sh: $build is not a configured build directory (run make build)" >&2
	exit 2
fi
ninja -C "$build" >/dev/null || exit 2
tests=$(find "$build/tests" -maxdepth 1 -type f -perm -u+x -name 'test_stress_*' | sort)
if [ -z "$tests" ]; then
	echo "flake-check.sh: no stress tests in $build/tests" >&2
	exit 2
fi

logdir="$build/flake-check"
rm -rf "$logdir"
mkdir -p "$logdir"

pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
$pin sh -c 'while :; do :; done' &
hog=$!
trap 'kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null' EXIT INT TERM

runs=0
failed=0
start=$SECONDS
for i in $(seq 1 "$n"); do
	for t in $tests; do
		name=$(basename "$t")
		log="$logdir/$name.$i.log"
		runs=$((runs + 1))
		if EPCMM_STRESS_SCALE=1 timeout 600 "$t" >"$log" 2>&1; then
			rm -f "$log"
		else
			failed=$((failed + 1))
			echo "flake-check: $name run $i FAILED: $(grep -m1 -E 'ERROR|FAILED|Timeout|timed out' "$log")  (log: $log)"
		fi
	done
done
echo "flake-check: $runs runs of $(echo $tests | wc -w) stress binaries x $n beside a CPU hog, $failed failed, in $((SECONDS - start))s"
[ "$failed" -eq 0 ]
