#!/bin/bash
# SPDX-License-Identifier: MIT
# kselftest.sh - the kernel's EPC cgroup selftest scenario
# (run_epc_cg_selftests.sh, beside this file) against a live daemon whose
# cgroup tree is mounted at /sys/fs/cgroup in a private mount namespace, so
# the host's cgroupfs is untouched. EPC size: $EPCMM_KSELFTEST_EPC (64M).
# Skipped (77) where it cannot run.
set -u
. "$(dirname "$0")/lib.sh"
live_enter_namespace "$@"
trap live_cleanup EXIT
[ -x "${TEST_SGX:-}" ] || skip "TEST_SGX is not set to the test_sgx program"
HERE=$(cd "$(dirname "$0")" && pwd)

live_start_daemon /sys/fs/cgroup --epc "${EPCMM_KSELFTEST_EPC:-64M}"
cd "$LIVE_TMP" || exit 1
ln -s "$TEST_SGX" test_sgx
start=$(date +%s)
"$HERE/run_epc_cg_selftests.sh"
rc=$?
echo "# scenario took $(($(date +%s) - start)) s"
cd / || exit 1
live_stop_daemon /sys/fs/cgroup
case $rc in
0) echo "PASS: the kernel's EPC cgroup selftest scenario" ;;
4) skip "the scenario skipped" ;;
*) echo "FAIL: the scenario failed ($rc)"; exit 1 ;;
esac
