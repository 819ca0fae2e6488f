# SPDX-License-Identifier: MIT
# lib.sh - what the live tests share (sourced): skip where they cannot run,
# re-run inside a private mount namespace, start and stop a daemon.
#   $EPCMM, $TEST_SGX: the programs (meson passes them); EPCMM_HAVE_FUSE=0
#   when the build has no libfuse3.

skip() {
	echo "SKIP: $*"
	exit 77
}

# Skip unless root with /dev/fuse, unshare and a FUSE build; then re-exec
# "$0" in a private mount namespace (mounts there never reach the host).
live_enter_namespace() {
	[ "$(id -u)" = 0 ] || skip "needs root (a FUSE mount in a private mount namespace)"
	[ -c /dev/fuse ] || skip "no /dev/fuse"
	command -v unshare >/dev/null 2>&1 || skip "no unshare"
	[ "${EPCMM_HAVE_FUSE:-1}" = 1 ] || skip "epcmm was built without libfuse3"
	[ -x "${EPCMM:-}" ] || skip "EPCMM is not set to the epcmm program"
	if [ -z "${EPCMM_LIVE_IN_NS:-}" ]; then
		EPCMM_LIVE_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
		skip "unshare -m failed"
	fi
}

# live_start_daemon MOUNTDIR ARGS...: starts it in the background ($DAEMON is
# its pid, $EPCMM_SOCKET its socket) and waits until the mount answers.
live_start_daemon() {
	local mnt=$1
	shift
	LIVE_TMP=$(mktemp -d /tmp/epcmm-live-sh.XXXXXX)
	export EPCMM_SOCKET=$LIVE_TMP/sock
	"$EPCMM" daemon --socket "$EPCMM_SOCKET" --mount "$mnt" "$@" 2>"$LIVE_TMP/daemon.log" &
	DAEMON=$!
	for _ in $(seq 100); do
		[ -e "$mnt/cgroup.procs" ] && [ -S "$EPCMM_SOCKET" ] && return 0
		kill -0 "$DAEMON" 2>/dev/null || break
		sleep 0.05
	done
	echo "FAIL: the daemon did not start:"
	cat "$LIVE_TMP/daemon.log"
	exit 1
}

# Stop it with SIGTERM; it must exit 0 and leave the mount.
live_stop_daemon() {
	local mnt=$1 rc
	kill -TERM "$DAEMON"
	wait "$DAEMON"
	rc=$?
	DAEMON=
	if [ "$rc" != 0 ]; then
		echo "FAIL: the daemon exited $rc on SIGTERM:"
		cat "$LIVE_TMP/daemon.log"
		exit 1
	fi
	if [ -e "$mnt/cgroup.procs" ]; then
		echo "FAIL: $mnt is still mounted after the daemon stopped"
		exit 1
	fi
	rm -rf "$LIVE_TMP"
}

live_cleanup() {
	if [ -n "${DAEMON:-}" ]; then
		kill -TERM "$DAEMON" 2>/dev/null
		wait "$DAEMON" 2>/dev/null
	fi
	[ -n "${LIVE_TMP:-}" ] && rm -rf "$LIVE_TMP"
}
