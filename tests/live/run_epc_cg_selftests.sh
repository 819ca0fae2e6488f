#!/bin/bash
# SPDX-License-Identifier: MIT
# run_epc_cg_selftests.sh - what the kernel's
# tools/testing/selftests/sgx/run_epc_cg_selftests.sh checks (kernel-spec
# behaviours 65-71), written anew for a cgroup v2 tree at $CG_MOUNT
# (default /sys/fs/cgroup) served by `epcmm daemon --mount`, with the
# test_sgx stand-in in the current directory (./test_sgx) and the helper
# cgexec.sh beside this script. Exit 0 pass, 1 fail, 4 skip (kselftest).
#
#   cd DIR_WITH_TEST_SGX && EPCMM_SOCKET=... run_epc_cg_selftests.sh
#
# Differences from the kernel's script: concurrent runs meet at a barrier
# once their enclaves are built (the kernel's runs take minutes and overlap
# by their length; ours take about a second), the kill case waits 0.1-0.6 s
# instead of 1-5 s (runs take about a second here, not minutes), the leak
# check polls up to 2 s instead of sleeping 2 s, and the memcg case (70)
# runs only when the cgroups have a memory.max file (swapoff is not needed:
# the emulated backing store is what memory.max would limit).
set -u
CG=${CG_MOUNT:-/sys/fs/cgroup}
HERE=$(cd "$(dirname "$0")" && pwd)
CGEXEC="$HERE/cgexec.sh"
ROOT=sgx_kselftest
SMALL_PARENT=$ROOT/sgx_test_small_parent
SMALL=$SMALL_PARENT/sgx_test_small
LARGE=$ROOT/sgx_test_large
LARGER=$ROOT/sgx_test_larger
WORKLOAD="./test_sgx -t unclobbered_vdso_oversubscribed"
FAILS=0

ksft_skip() {
	echo "# SKIP: $*"
	exit 4
}
fail() {
	echo "# FAIL: $*"
	FAILS=$((FAILS + 1))
}
pass() {
	echo "# PASS: $*"
}

[ "$(id -u)" = 0 ] || ksft_skip "needs root"
[ -f "$CG/cgroup.controllers" ] || ksft_skip "no cgroup v2 tree at $CG"
[ -x ./test_sgx ] || ksft_skip "no ./test_sgx here"
[ -e "$CG/$ROOT" ] && ksft_skip "$CG/$ROOT exists already (a previous run?)"

mkdir -p "$CG/$SMALL" "$CG/$LARGE" "$CG/$LARGER" || exit 1
for d in "" "$ROOT" "$SMALL_PARENT"; do
	echo "+misc" >"$CG/$d/cgroup.subtree_control" || exit 1
	echo "+memory" >"$CG/$d/cgroup.subtree_control" || exit 1
done
CAPACITY=$(awk '$1 == "sgx_epc" { print $2 }' "$CG/misc.capacity")
[ -n "$CAPACITY" ] || ksft_skip "no sgx_epc in misc.capacity"
SMALL_MAX=$((CAPACITY / 512))
LARGE_MAX=$((SMALL_MAX * 4))
LARGER_MAX=$CAPACITY
echo "# capacity $CAPACITY: small $SMALL_MAX, large $LARGE_MAX, larger $LARGER_MAX"
echo "sgx_epc $SMALL_MAX" >"$CG/$SMALL_PARENT/misc.max" || ksft_skip "cannot set sgx_epc limits"
echo "sgx_epc $LARGE_MAX" >"$CG/$LARGE/misc.max" || ksft_skip "cannot set sgx_epc limits"
echo "sgx_epc $LARGER_MAX" >"$CG/$LARGER/misc.max" || ksft_skip "cannot set sgx_epc limits"

# run_many CGROUP N: N concurrent runs of the workload in CGROUP; sets
# NR_PASS and NR_FAIL. The runs hold their enclaves at one moment (test_sgx's
# TEST_SGX_BARRIER: each waits, enclave built or its failure cleaned up, until
# all N are there), so "concurrent" holds on a loaded machine too. With
# KILL_ONE set, one run picked at random is SIGKILLed after 0.1-0.6 s and not
# counted (no barrier then: the victim would never arrive).
run_many() {
	local cg=$1 n=$2 pids=() victim=-1 i barrier=
	NR_PASS=0
	NR_FAIL=0
	[ -n "${KILL_ONE:-}" ] || barrier=$(mktemp -d /tmp/epcmm-kselftest-barrier-XXXXXX)
	for ((i = 0; i < n; i++)); do
		TEST_SGX_BARRIER=${barrier:+$barrier:$n} CG_MOUNT=$CG "$CGEXEC" "$cg" \
			$WORKLOAD >/dev/null 2>&1 &
		pids+=($!)
	done
	if [ -n "${KILL_ONE:-}" ]; then
		victim=$((RANDOM % n))
		sleep "0.$((RANDOM % 6 + 1))"
		kill -KILL "${pids[$victim]}" 2>/dev/null
	fi
	for ((i = 0; i < n; i++)); do
		if wait "${pids[$i]}"; then
			NR_PASS=$((NR_PASS + 1))
		elif [ "$i" != "$victim" ]; then
			NR_FAIL=$((NR_FAIL + 1))
		fi
	done
	[ -z "$barrier" ] || rm -rf "$barrier"
}

# 66: a limit below a capacity-sized enclave's VA pages: the run fails.
run_many "$SMALL" 1
[ "$NR_FAIL" = 1 ] && pass "small: the run fails under capacity/512" ||
	fail "small: a run passed under capacity/512"

# 67: 4 x small: of 4 concurrent runs at least one passes; of 5, one fails.
run_many "$LARGE" 4
[ "$NR_PASS" -ge 1 ] && pass "large: $NR_PASS of 4 concurrent runs passed" ||
	fail "large: none of 4 concurrent runs passed"
run_many "$LARGE" 5
[ "$NR_FAIL" -ge 1 ] && pass "large: $NR_FAIL of 5 concurrent runs failed" ||
	fail "large: all 5 concurrent runs passed"

# 68: the capacity as the limit: 8 concurrent runs all pass.
run_many "$LARGER" 8
[ "$NR_FAIL" = 0 ] && pass "larger: all 8 concurrent runs passed" ||
	fail "larger: $NR_FAIL of 8 concurrent runs failed"

# 69: the same with one run killed: the others all pass.
KILL_ONE=1 run_many "$LARGER" 8
[ "$NR_FAIL" = 0 ] && pass "larger + kill: the 7 others passed" ||
	fail "larger + kill: $NR_FAIL of the 7 others failed"

# 70: memcg: backing memory above memory.max makes every run fail.
if [ -f "$CG/$LARGE/memory.max" ]; then
	echo "$((CAPACITY - 2 * LARGE_MAX))" >"$CG/$LARGE/memory.max" || fail "cannot set memory.max"
	run_many "$LARGE" 4
	[ "$NR_PASS" = 0 ] && pass "memcg: all 4 runs failed under memory.max" ||
		fail "memcg: $NR_PASS of 4 runs passed under memory.max"
	echo max >"$CG/$LARGE/memory.max"
else
	echo "# SKIP memcg case: the cgroups have no memory.max (the library has no memory controller yet)"
fi

# 71: nothing leaked.
for _ in $(seq 20); do
	[ "$(cat "$CG/$ROOT/misc.current")" = "sgx_epc 0" ] && break
	sleep 0.1
done
current=$(cat "$CG/$ROOT/misc.current")
[ "$current" = "sgx_epc 0" ] && pass "leak check: $ROOT misc.current is 0" ||
	fail "leak check: $ROOT misc.current is '$current'"

rmdir "$CG/$SMALL" "$CG/$SMALL_PARENT" "$CG/$LARGE" "$CG/$LARGER" "$CG/$ROOT" ||
	fail "rmdir of the test cgroups"
if [ "$FAILS" != 0 ]; then
	echo "# $FAILS case(s) failed"
	exit 1
fi
echo "# all cases passed"
exit 0
