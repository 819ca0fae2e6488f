#!/bin/bash
# SPDX-License-Identifier: MIT
# cgroupfs.sh - the mounted cgroupfs through the mount itself: every file
# read and written byte-exact, the kernel's errors for bad writes, mkdir and
# rmdir (EEXIST, ENOENT, EBUSY), cgroup.procs with a pid and with 0, a
# member that exits leaving at once, charges landing in the member's cgroup,
# the kernel's names, refusals (create, unlink, rename, ...) and attributes,
# a chain 300 deep, the unmount on SIGTERM, and a restart over the dead
# mount of a killed daemon (but never over a live or foreign one). Root in a
# private mount namespace; skipped (77) elsewhere.
set -u
. "$(dirname "$0")/lib.sh"
live_enter_namespace "$@"
trap live_cleanup EXIT
SRC="$(cd "$(dirname "$0")/../.." && pwd)"

FAILS=0
fail() {
	echo "FAIL: $*"
	FAILS=$((FAILS + 1))
}
# expect FILE TEXT: FILE reads exactly TEXT (printf format, e.g. 'a\n').
expect() {
	local want got
	want=$(printf "$2"; echo x)
	got=$(cat "$1"; echo x)
	[ "$got" = "$want" ] || fail "$1 reads '${got%x}', expected '${want%x}'"
}
# refuse FILE TEXT ERROR: writing TEXT fails with strerror ERROR.
refuse() {
	local err
	err=$( (echo "$2" >"$1") 2>&1)
	case "$err" in
	*"$3"*) ;;
	*) fail "writing '$2' to $1: got '$err', expected '$3'" ;;
	esac
}
ok() {
	"$@" || fail "$*"
}

MNT=$(mktemp -d /tmp/epcmm-cgfs.XXXXXX)
live_start_daemon "$MNT" --epc 1M
cd "$MNT" || exit 1

# The root.
expect misc.capacity 'sgx_epc 1048576\n'
expect misc.current 'sgx_epc 0\n'
expect misc.peak 'sgx_epc 0\n'
expect cgroup.controllers 'memory misc\n'
expect cgroup.subtree_control '\n'
expect cgroup.procs ''
[ "$(ls | tr '\n' ' ')" = "cgroup.controllers cgroup.procs cgroup.subtree_control misc.capacity misc.current misc.peak " ] ||
	fail "the root lists: $(ls | tr '\n' ' ')"
refuse misc.capacity 1 'Permission denied'

# subtree_control: several at once, +/-; unknown names change nothing.
ok eval 'echo "+misc +memory" > cgroup.subtree_control'
expect cgroup.subtree_control 'memory misc\n'
ok eval 'echo "-memory" > cgroup.subtree_control'
expect cgroup.subtree_control 'misc\n'
refuse cgroup.subtree_control '+cpu' 'Invalid argument'
refuse cgroup.subtree_control 'misc' 'Invalid argument'
refuse cgroup.subtree_control '-misc +bogus' 'Invalid argument'
expect cgroup.subtree_control 'misc\n'
ok eval 'echo "+memory" > cgroup.subtree_control'

# mkdir and the files of a child.
ok mkdir a
err=$(mkdir a 2>&1) && fail "mkdir a twice succeeded"
case "$err" in *"File exists"*) ;; *) fail "mkdir a twice: '$err'" ;; esac
err=$(mkdir x/y 2>&1) && fail "mkdir x/y succeeded"
case "$err" in *"No such file"*) ;; *) fail "mkdir x/y: '$err'" ;; esac
for f in cgroup.controllers cgroup.events cgroup.procs cgroup.subtree_control misc.current \
	misc.events misc.events.local misc.max misc.peak; do
	[ -f "a/$f" ] || fail "a/$f is missing"
done
[ -e a/misc.capacity ] && fail "a child has misc.capacity"
expect a/cgroup.controllers 'memory misc\n'
expect a/cgroup.subtree_control '\n'
expect a/cgroup.events 'populated 0\nfrozen 0\n'
expect a/misc.max 'sgx_epc max\n'
expect a/misc.current 'sgx_epc 0\n'
expect a/misc.events 'sgx_epc.max 0\n'
expect a/misc.events.local 'sgx_epc.max 0\n'

# misc.max as the kernel parses it; a bad write changes nothing.
ok eval 'echo "sgx_epc 12345" > a/misc.max'
expect a/misc.max 'sgx_epc 12345\n'
refuse a/misc.max 'sgx_epc abc' 'Invalid argument'
refuse a/misc.max 'sgx_epc' 'Invalid argument'
refuse a/misc.max 'foo 1' 'Invalid argument'
refuse a/misc.max 'sgx_epc 99999999999999999999' 'Numerical result out of range'
expect a/misc.max 'sgx_epc 12345\n'
ok eval 'echo "sgx_epc 0x1000" > a/misc.max'
expect a/misc.max 'sgx_epc 4096\n'
ok eval 'echo "sgx_epc max" > a/misc.max'
expect a/misc.max 'sgx_epc max\n'
refuse a/misc.current 1 'Permission denied'
refuse a/cgroup.events 1 'Permission denied'
refuse a/cgroup.controllers 1 'Permission denied'

# cgroup.procs: a pid, 0 for the writer, a missing pid.
sleep 60 &
S=$!
ok eval "echo $S > a/cgroup.procs"
expect a/cgroup.procs "$S\n"
expect a/cgroup.events 'populated 1\nfrozen 0\n'
refuse a/cgroup.procs 999999999 'No such process'
refuse a/cgroup.procs abc 'Invalid argument'
ok mkdir a/b
expect a/b/cgroup.controllers '\n'
err=$(rmdir a 2>&1) && fail "rmdir a with a child succeeded"
case "$err" in *"busy"*) ;; *) fail "rmdir a with a child: '$err'" ;; esac
ok rmdir a/b
err=$(rmdir a 2>&1) && fail "rmdir a with a member succeeded"
case "$err" in *"busy"*) ;; *) fail "rmdir a with a member: '$err'" ;; esac
kill $S
wait $S 2>/dev/null
expect a/cgroup.procs '' # it left at once
expect a/cgroup.events 'populated 0\nfrozen 0\n'
self=$(bash -c 'echo 0 > a/cgroup.procs && echo $$ && cat a/cgroup.procs')
[ "$(echo "$self" | sed -n 1p)" = "$(echo "$self" | sed -n 2p)" ] ||
	fail "'echo 0 > cgroup.procs' did not move the writer: $self"
ok eval "echo $$ > a/cgroup.procs"
ok eval "echo $$ > cgroup.procs" # back to the root
expect a/cgroup.procs ''

# Charges go to the member's cgroup; a limit refuses; nothing is left.
out=$(bash -c 'echo 0 > a/cgroup.procs && exec "$0" -t unclobbered_vdso' "$TEST_SGX")
echo "$out" | grep -q '^ok 1 enclave.unclobbered_vdso' || fail "test_sgx in a: $out"
grep -q 'sgx_epc [1-9]' a/misc.peak || fail "a/misc.peak stayed 0: $(cat a/misc.peak)"
expect a/misc.current 'sgx_epc 0\n'
ok eval 'echo "sgx_epc 4096" > a/misc.max'
out=$(bash -c 'echo 0 > a/cgroup.procs && exec "$0" -t unclobbered_vdso' "$TEST_SGX") &&
	fail "test_sgx passed under a one-page limit"
echo "$out" | grep -q '^not ok 1' || fail "no 'not ok' under a one-page limit: $out"
grep -q 'sgx_epc.max [1-9]' a/misc.events || fail "no max event: $(cat a/misc.events)"
expect a/misc.current 'sgx_epc 0\n'
expect misc.current 'sgx_epc 0\n'
ok rmdir a
[ -e a ] && fail "a is still listed after rmdir"
err=$(rmdir a 2>&1) && fail "rmdir a twice succeeded"
case "$err" in *"No such file"*) ;; *) fail "rmdir a twice: '$err'" ;; esac

# A child of a member inherits its cgroup when it connects (no exec here).
ok mkdir c
out=$(bash -c 'echo 0 > c/cgroup.procs && "$0" -t unclobbered_vdso; echo "rc=$?"' "$TEST_SGX")
echo "$out" | grep -q '^rc=0' || fail "test_sgx as a child of a member of c: $out"
grep -q 'sgx_epc [1-9]' c/misc.peak || fail "the child was not charged to c: $(cat c/misc.peak)"
expect c/misc.current 'sgx_epc 0\n'
ok rmdir c

# A member's child that connects after the member exited (reparented, no
# member ancestor left) is still in its cgroup, under its one-page limit
# (issue 15 item 5). $(...) waits for the client: it holds the pipe.
ok mkdir esc2
ok eval 'echo "sgx_epc 4096" > esc2/misc.max'
out=$(bash -c 'echo 0 > esc2/cgroup.procs && { (sleep 0.5; exec "$0" -t unclobbered_vdso) & } && exit 0' "$TEST_SGX")
if grep -q 'no fork events' "$LIVE_TMP/daemon.log"; then
	echo "SKIP (this case): $(grep 'cgroup membership' "$LIVE_TMP/daemon.log")"
else
	echo "$out" | grep -q '^not ok 1' ||
		fail "the orphaned child of a member of esc2 escaped its one-page limit: $out"
	grep -q 'sgx_epc.max [1-9]' esc2/misc.events || fail "no max event in esc2: $(cat esc2/misc.events)"
fi
expect esc2/misc.current 'sgx_epc 0\n'
for _ in $(seq 100); do [ -z "$(cat esc2/cgroup.procs)" ] && break; sleep 0.05; done
ok rmdir esc2

# Names as the kernel takes them; only '\n' is refused.
for name in "user@1000.service" "a b" "a:b" "$(printf '\303\251')" "cgroup.foo" "misc.foo"; do
	ok mkdir "$name"
	[ -f "$name/misc.max" ] || fail "'$name' has no misc.max"
	ok rmdir "$name"
done
err=$(mkdir "$(printf 'x\ny')" 2>&1) && fail "a name with a newline was taken"
case "$err" in *"Invalid argument"*) ;; *) fail "mkdir x\\ny: '$err'" ;; esac

# What a cgroup directory refuses, with the kernel's errors; what it keeps.
ok mkdir e
refused() { # refused ERROR COMMAND...: COMMAND fails with strerror ERROR
	local want=$1 err
	shift
	err=$("$@" 2>&1) && fail "$* succeeded"
	case "$err" in *"$want"*) ;; *) fail "$*: got '$err', expected '$want'" ;; esac
}
refused 'Permission denied' touch e/newfile
refused 'Permission denied' sh -c ': > e/newfile'
refused 'Operation not permitted' mknod e/fifo p
refused 'Operation not permitted' rm e/cgroup.procs
refused 'Operation not permitted' ln -s x e/link
refused 'Operation not permitted' ln e/cgroup.procs e/hard
refused 'Operation not permitted' mv e f
[ -d e ] || fail "e is gone after a refused mv"
ok mkdir -m 750 e/m
[ "$(stat -c %a e/m)" = 750 ] || fail "mkdir -m 750 made $(stat -c %a e/m)"
ok rmdir e/m
ok chmod 700 e
ok chown 1000:1000 e/cgroup.procs
ok touch -d @1234567890 e/misc.max
[ "$(stat -c '%a %u' e)" = "700 0" ] || fail "e after chmod: $(stat -c '%a %u' e)"
[ "$(stat -c '%a %u:%g' e/cgroup.procs)" = "644 1000:1000" ] ||
	fail "cgroup.procs after chown: $(stat -c '%a %u:%g' e/cgroup.procs)"
[ "$(stat -c %Y e/misc.max)" = 1234567890 ] || fail "misc.max after touch: $(stat -c %Y e/misc.max)"
ok chmod 444 e/misc.max
refuse e/misc.max 'sgx_epc 4096' 'Permission denied'
ok chmod 644 e/misc.max

# Writes as the kernel takes them: at most a page; cgroup.procs' numbers.
head -c 5000 /dev/zero | tr '\0' ' ' >"$LIVE_TMP/long"
err=$(dd if="$LIVE_TMP/long" of=e/cgroup.procs bs=5000 count=1 2>&1) &&
	fail "a 5000-byte write was taken"
case "$err" in *"Argument list too long"*) ;; *) fail "a 5000-byte write: '$err'" ;; esac
sleep 60 &
S=$!
ok eval "echo +$S > e/cgroup.procs"
expect e/cgroup.procs "$S\n"
ok eval "printf '0x%x' $S > cgroup.procs"
expect e/cgroup.procs ''
kill $S
wait $S 2>/dev/null
# subtree_control: no-ops are no-ops, the last word wins, a child's use is EBUSY.
ok eval 'echo -misc > cgroup.subtree_control'
ok eval 'echo "+misc -misc" > e/cgroup.subtree_control'
ok eval 'echo "+misc" > cgroup.subtree_control'
ok eval 'echo "+misc" > e/cgroup.subtree_control'
refuse cgroup.subtree_control '-misc' 'Device or resource busy'
ok eval 'echo "-misc" > e/cgroup.subtree_control'
ok eval 'echo "-misc" > cgroup.subtree_control'
ok rmdir e

# A chain hundreds deep, made as a shell makes it: mkdir d; cd d.
depth=$(
	cd "$MNT" || exit 1
	for _ in $(seq 300); do mkdir d && cd d || break; done
	[ "$(cat misc.max)" = "sgx_epc max" ] || echo "bottom-unreadable"
	pwd | tr -cd / | wc -c
)
[ "$depth" = $((300 + $(echo "$MNT" | tr -cd / | wc -c))) ] || fail "the chain stopped: $depth"
path=$(printf 'd/%.0s' $(seq 300))
[ -d "$path" ] || fail "the bottom of the chain is not found by its path"
for _ in $(seq 300); do
	rmdir "$path" || { fail "rmdir $path"; break; }
	path=${path%d/}
done
[ -e d ] && fail "the chain is still there"

# epcmm status and top see the daemon.
"$EPCMM" status | grep -q '^CGROUP' || fail "epcmm status: $("$EPCMM" status 2>&1)"
"$EPCMM" top -n 2 </dev/null | grep -c '^CGROUP' | grep -q '^2$' || fail "epcmm top -n 2: $("$EPCMM" top -n 2 </dev/null 2>&1)"
# top's header names the socket it watches: the one --socket gave (spelt
# apart from $EPCMM_SOCKET, the default, which names the same socket)
other="$(dirname "$EPCMM_SOCKET")/./$(basename "$EPCMM_SOCKET")"
"$EPCMM" top --socket "$other" -n 1 </dev/null | grep -qF "epcmm top: $other " ||
	fail "epcmm top --socket: the header does not name $other"
# A path longer than any line limit (ten 250-byte names): status prints it
# whole, top its end within the screen.
long=$(printf '%0250d' 0 | tr 0 L)
path=$(printf "$long/%.0s" $(seq 10))
ok mkdir -p "$path"
"$EPCMM" status | grep -q "^/${path%/} " || fail "epcmm status: the long path is not whole"
"$EPCMM" top -n 1 </dev/null | grep -q "^\.\.\.LLLL*L " || fail "epcmm top: the long path's end is not shown"
ok rmdir -p "${path%/}"

cd / || exit 1
live_stop_daemon "$MNT"
rmdir "$MNT"

# SIGTERM while a process sits in the mount (a shell cd'd into it): the
# daemon must still stop, detaching the busy mount, not wait for the process.
MNT2=$(mktemp -d /tmp/epcmm-busy.XXXXXX)
live_start_daemon "$MNT2" --epc 4M
(cd "$MNT2" && exec sleep 30) &
HOLDER=$!
sleep 0.2
kill -TERM "$DAEMON"
for _ in $(seq 100); do kill -0 "$DAEMON" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$DAEMON" 2>/dev/null; then
	fail "the daemon did not stop within 5 s of SIGTERM while its mount was busy"
	kill -KILL "$DAEMON"
fi
wait "$DAEMON" || fail "the daemon exited $? on SIGTERM with a busy mount"
DAEMON=
rm -rf "$LIVE_TMP"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
[ -e "$MNT2/cgroup.procs" ] && fail "$MNT2 still mounted after the daemon stopped"
rmdir "$MNT2" 2>/dev/null

# Restart after a crash: the dead mount of a daemon killed with SIGKILL is
# detached by the next one, which says so; a live mount is left alone.
MNT3=$(mktemp -d /tmp/epcmm-crash.XXXXXX)
live_start_daemon "$MNT3" --epc 1M
kill -KILL "$DAEMON"
wait "$DAEMON" 2>/dev/null
DAEMON=
rm -rf "$LIVE_TMP"
stat "$MNT3" >/dev/null 2>&1 && fail "the killed daemon's mount still answers"
live_start_daemon "$MNT3" --epc 1M
grep -q "detached the dead cgroupfs mount" "$LIVE_TMP/daemon.log" ||
	fail "the restart did not say it detached the dead mount: $(cat "$LIVE_TMP/daemon.log")"
ok mkdir "$MNT3/after-restart"
FIRST=$DAEMON FIRST_TMP=$LIVE_TMP FIRST_SOCKET=$EPCMM_SOCKET
live_start_daemon "$MNT3" --epc 1M # over the live one
grep -q "detached" "$LIVE_TMP/daemon.log" && fail "a live mount was detached"
kill -TERM "$DAEMON"
wait "$DAEMON" || fail "the second daemon exited $?"
rm -rf "$LIVE_TMP"
DAEMON=$FIRST LIVE_TMP=$FIRST_TMP EPCMM_SOCKET=$FIRST_SOCKET
[ -d "$MNT3/after-restart" ] || fail "the first daemon's mount is gone with the second"
ok rmdir "$MNT3/after-restart"
live_stop_daemon "$MNT3"

# Somebody else's dead FUSE mounts are not ours to detach: another name, or
# ours mounted by another user. Each is made by mounting /dev/fuse and
# closing it at once.
for source in "other fuse.other 0" "epcmm fuse.cgroup2 1000"; do
	set -- $source
	exec 9<>/dev/fuse
	mount -i -t "$2" -o "fd=9,rootmode=40000,user_id=$3,group_id=0" "$1" "$MNT3" ||
		fail "mounting a dead $2"
	exec 9>&-
	log=$("$EPCMM" daemon --socket "$MNT3.sock" --mount "$MNT3" 2>&1) &&
		fail "the daemon mounted over a dead $2 of user $3"
	grep -q " $MNT3 .* $2 $1 " /proc/self/mountinfo ||
		fail "the dead $2 of user $3 was detached: $log"
	# root cannot even stat another user's: no ENOTCONN, no word either
	[ "$3" = 0 ] && ! echo "$log" | grep -q "left alone" && fail "no word on the dead $2: $log"
	umount -l "$MNT3"
done
rm -f "$MNT3.sock"
rmdir "$MNT3"

# --scenario: the machine of a scenario file (two nodes of 64M here).
SCEN="$SRC/scenarios/two-socket.ini"
sock=$(mktemp -u /tmp/epcmm-scen.XXXXXX)
"$EPCMM" daemon --socket "$sock" --scenario "$SCEN" 2>/dev/null &
SD=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
nodes=$("$EPCMM" status --socket "$sock" | grep -cE '^[01] +64 MiB +64 MiB')
[ "$nodes" = 2 ] || fail "--scenario two-socket.ini: $("$EPCMM" status --socket "$sock" 2>&1)"
kill -TERM $SD
wait $SD || fail "the --scenario daemon did not exit 0"
if [ "$FAILS" != 0 ]; then
	echo "$FAILS check(s) failed"
	exit 1
fi
echo "PASS: cgroupfs through the mount"
