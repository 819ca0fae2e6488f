#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-bench.sh - build the benchmarks in a release build and run them, keeping
# a dated copy of the output (docs/PERFORMANCE.md says how to read it).
#
#   scripts/run-bench.sh [BUILDDIR] [BENCHMARK...]
#
# BUILDDIR defaults to build-release; it is set up with --buildtype=release if
# it does not exist, and refused if it exists with another build type. With no
# BENCHMARK every benchmark of `make bench` runs (bench_alloc, bench_alloc_scale,
# bench_charge, bench_seal, bench_reclaim, bench_live, bench_trace, bench_sim),
# one after another. The output also goes to
# BUILDDIR/bench-YYYYmmdd-HHMMSS.txt.
#
# The numbers are only as good as the machine is quiet: the script prints the
# load average first and warns when it is above 0.5.
set -eu

cd "$(dirname "$0")/.."
builddir=${1:-build-release}
[ $# -gt 0 ] && shift

if [ ! -d "$builddir" ]; then
	meson setup "$builddir" --buildtype=release
fi
buildtype=$(meson introspect "$builddir" --buildoptions |
	python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"][0])')
if [ "$buildtype" != release ]; then
	echo "run-bench.sh: $builddir is a '$buildtype' build; benchmarks need --buildtype=release" >&2
	exit 2
fi
ninja -C "$builddir"

out="$builddir/bench-$(date +%Y%m%d-%H%M%S).txt"
load=$(cut -d' ' -f1 /proc/loadavg)
{
	echo "run-bench.sh: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) CPUs, load average $load"
	echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (dirty)')"
	if awk -v l="$load" 'BEGIN { exit !(l > 0.5) }'; then
		echo "WARNING: the machine is busy (load $load): expect noisy numbers"
	fi
} | tee "$out"
status=$(mktemp)
{
	rc=0
	meson test -C "$builddir" --benchmark --verbose "$@" 2>&1 || rc=$?
	echo "$rc" >"$status"
} | tee -a "$out"
rc=$(cat "$status")
rm -f "$status"
echo "run-bench.sh: output saved in $out"
exit "$rc"
