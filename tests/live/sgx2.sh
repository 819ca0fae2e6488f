#!/bin/bash
# SPDX-License-Identifier: MIT
# sgx2.sh - the kernel's SGX2 (EDMM) selftest cases, by their names, through
# test_sgx and a live `epcmm daemon` (a socket, no mount: neither root nor
# FUSE needed): each checks what the kernel's test checks of memory and
# errno, and that misc.current of its cgroup (the root here) is back where
# it started once its enclave is gone. Skipped (77) without the programs.
set -u
skip() {
	echo "SKIP: $*"
	exit 77
}
[ -x "${EPCMM:-}" ] || skip "EPCMM is not set to the epcmm program"
[ -x "${TEST_SGX:-}" ] || skip "TEST_SGX is not set to the test_sgx program"

TMP=$(mktemp -d /tmp/epcmm-sgx2.XXXXXX)
DAEMON=
cleanup() {
	[ -n "$DAEMON" ] && kill -TERM "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
export EPCMM_SOCKET=$TMP/sock
"$EPCMM" daemon --socket "$EPCMM_SOCKET" --epc 8M 2>"$TMP/daemon.log" &
DAEMON=$!
for _ in $(seq 100); do
	[ -S "$EPCMM_SOCKET" ] && break
	kill -0 "$DAEMON" 2>/dev/null || break
	sleep 0.05
done
if ! [ -S "$EPCMM_SOCKET" ]; then
	echo "FAIL: the daemon did not start:"
	cat "$TMP/daemon.log"
	exit 1
fi

cases="augment augment_via_eaccept tcs_create tcs_permissions remove_added_page_no_eaccept
remove_added_page_invalid_access remove_added_page_invalid_access_after_eaccept
remove_untouched_page"
args=()
for c in $cases; do
	args+=(-t "$c")
done
"$TEST_SGX" "${args[@]}" | tee "$TMP/tap"
rc=${PIPESTATUS[0]}
n=$(grep -c '^ok [0-9]* enclave\.' "$TMP/tap")
if [ "$rc" != 0 ] || [ "$n" != 8 ] || grep -q '# SKIP' "$TMP/tap"; then
	echo "FAIL: test_sgx exited $rc with $n of 8 SGX2 cases passed (no skip allowed)"
	exit 1
fi
kill -TERM "$DAEMON"
wait "$DAEMON"
rc=$?
DAEMON=
if [ "$rc" != 0 ]; then
	echo "FAIL: the daemon exited $rc on SIGTERM:"
	cat "$TMP/daemon.log"
	exit 1
fi
echo "PASS: the kernel's eight SGX2 test cases through the daemon"
