#!/bin/sh
# SPDX-License-Identifier: MIT
#
# deb-test.sh - install the Debian packages `make deb` built, use them from
# /usr as a user of the packages would, and purge them again.
#
#   scripts/deb-test.sh [DIR]     (DIR: where the .deb files are; build-deb)
#
# Needs root (dpkg -i) and refuses to run when any of the packages is
# installed already (it would purge someone's installation). Asserts:
#  - dpkg -i installs the five packages; /usr/bin/epcmm links the packaged
#    libraries (no RUNPATH into a build tree) and `epcmm run` prints a report,
#    also of an installed example scenario;
#  - the manual pages, example scenarios, bash completion and systemd unit
#    are where Debian looks for them, and the completion completes;
#  - a program built with `pkg-config --cflags --libs epcmm` runs an EPC
#    through the installed libepcmm.so.0, and one built with epcmm-client
#    talks to /usr/bin/epcmm daemon through libepcmm-client.so.0, as does
#    epcmm-test-sgx;
#  - dpkg --purge removes them and leaves no file of theirs behind, and
#    nothing named *epcmm* under /usr, /etc, /var/lib/systemd or dpkg's info
#    that was not there before.
# Prints "deb-test: ok" and exits 0, or the first failed check and exits 1.
set -eu

dir=${1:-build-deb}
pkgs="libepcmm0 libepcmm-dev libepcmm-client0 libepcmm-client-dev epcmm"
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

fail()
{
	echo "deb-test: FAIL: $*" >&2
	exit 1
}
check() # check WHAT COMMAND...: run COMMAND, fail with WHAT unless it succeeds
{
	what=$1
	shift
	"$@" || fail "$what"
}

[ "$(id -u)" -eq 0 ] || fail "needs root (dpkg -i, dpkg --purge)"
debs=""
for p in $pkgs; do
	f=$(find "$dir" -maxdepth 1 -name "${p}_*.deb" | sort | tail -n 1)
	[ -n "$f" ] || fail "no ${p}_*.deb in $dir (make deb builds them)"
	debs="$debs $f"
	if dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^[ic]'; then
		fail "$p is installed already; purge it first (dpkg --purge $p)"
	fi
done

tmp=$(mktemp -d /tmp/epcmm-deb-test.XXXXXX)
daemon=""
installed=""
cleanup()
{
	[ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	# A failed check must not leave the packages installed (the next run
	# would refuse): they were not installed before this script.
	# shellcheck disable=SC2086 # one word per package
	[ -n "$installed" ] && dpkg --purge $pkgs >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

ours() # every path named *epcmm* where packages put files or state
{
	find /usr /etc /var/lib/systemd /var/lib/dpkg/info -xdev -name '*epcmm*' 2>/dev/null | sort
}
ours >"$tmp/before"

echo "deb-test: dpkg -i$debs"
installed=1
# shellcheck disable=SC2086 # one word per file
check "dpkg -i" dpkg -i $debs
for p in $pkgs; do
	check "$p not installed after dpkg -i" \
		sh -c "dpkg-query -W -f='\${db:Status-Abbrev}' $p | grep -q '^ii'"
	dpkg -L "$p" >>"$tmp/files"
done

# The tool, from /usr/bin, on the packaged libraries.
bin=/usr/bin/epcmm
check "$bin is not executable" test -x "$bin"
ldd "$bin" >"$tmp/ldd"
for lib in libepcmm.so.0 libepcmm-client.so.0; do
	check "$bin does not load the packaged $lib" \
		grep -Eq "$lib => (/usr)?/lib/[^/]+/$lib " "$tmp/ldd"
done
if readelf -d "$bin" | grep -Eq 'RPATH|RUNPATH'; then
	fail "$bin has an RPATH/RUNPATH"
fi
version=$(dpkg-query -W -f='${Version}' epcmm)
check "epcmm --version is not 'epcmm $version'" \
	sh -c "[ \"\$($bin --version)\" = 'epcmm $version' ]"
(cd "$tmp" && "$bin" run >run.out) || fail "epcmm run exited $?"
check "epcmm run printed no report" grep -q '^cgroup .*max .*current' "$tmp/run.out"
check "epcmm run printed no modelled time" grep -q '^modelled time on SGX hardware' "$tmp/run.out"
echo "deb-test: /usr/bin/epcmm run: $(head -n 1 "$tmp/run.out")"
ex=/usr/share/doc/epcmm/examples
(cd "$tmp" && "$bin" run --quiet "$ex/two-socket.ini" "$ex/trace-sort.ini" >ex.out) ||
	fail "epcmm run of the examples exited $?"
check "the examples' run printed no report" grep -q '^enclave ' "$tmp/ex.out"

# Where Debian looks for the rest.
for f in /usr/share/man/man1/epcmm.1.gz /usr/share/man/man1/epcmm-test-sgx.1.gz \
	/usr/share/man/man5/epcmm-scenario.5.gz "$ex/default.ini" "$ex/traces/sort.trace" \
	/usr/share/bash-completion/completions/epcmm /lib/systemd/system/epcmm.service \
	/usr/include/epcmm.h /usr/include/epcmm-client.h; do
	check "$f is missing" test -s "$f"
done
check "the unit does not start /usr/bin/epcmm daemon" \
	grep -q '^ExecStart=/usr/bin/epcmm daemon ' /lib/systemd/system/epcmm.service
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify epcmm.service" \
		systemd-analyze verify /lib/systemd/system/epcmm.service
fi
comp=$(bash -c '. /usr/share/bash-completion/completions/epcmm
	COMP_WORDS=(epcmm ru); COMP_CWORD=1; _epcmm; echo "${COMPREPLY[*]}"
	COMP_WORDS=(epcmm daemon --so); COMP_CWORD=2; _epcmm; echo "${COMPREPLY[*]}"
	COMP_WORDS=(epcmm run --mode ""); COMP_CWORD=3; _epcmm; echo "${COMPREPLY[*]}"')
check "bash completion gave '$comp'" \
	[ "$comp" = "$(printf 'run\n--socket\ndeterministic threads')" ]

# A program against the installed libepcmm (pkg-config epcmm).
cat >"$tmp/lib.c" <<'C'
#include <stdio.h>
#include <string.h>
#include <epcmm.h>
int main(void)
{
	struct epc_section_desc s = {.phys_addr = 1ULL << 32, .size = 64 * 4096, .node = 0};
	struct epc_config cfg = {.nr_nodes = 1, .sections = &s, .nr_sections = 1,
				 .background = EPC_BACKGROUND_MANUAL, .no_contents = true};
	struct epc *epc;
	char buf[128];
	ssize_t n;

	if (epc_version() != EPCMM_VERSION || epc_create(&cfg, &epc) || epc_sanitize_wait(epc))
		return 1;
	n = epc_cgroup_read(epc_cgroup_root(epc), "misc.capacity", buf, sizeof(buf) - 1);
	epc_destroy(epc);
	if (n < 0)
		return 1;
	buf[n] = '\0';
	printf("%s", buf);
	return strcmp(buf, "sgx_epc 262144\n") != 0;
}
C
check "pkg-config epcmm" pkg-config --exists epcmm
# shellcheck disable=SC2046 # pkg-config's words
check "cannot build against libepcmm-dev" \
	gcc -std=c11 -Wall -Werror -o "$tmp/lib" "$tmp/lib.c" $(pkg-config --cflags --libs epcmm)
out=$("$tmp/lib") || fail "the libepcmm program failed: '$out'"
check "the libepcmm program ran on another libepcmm" \
	sh -c "ldd '$tmp/lib' | grep -Eq 'libepcmm.so.0 => (/usr)?/lib/'"
echo "deb-test: libepcmm program: $out"

# A client of /usr/bin/epcmm daemon (pkg-config epcmm-client).
cat >"$tmp/client.c" <<'C'
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <epcmm-client.h>
int main(void)
{
	struct epcmm_client *c;
	uint64_t encl, in = 0x1122334455667788ULL, out = 0;
	char *text;

	if (epcmm_client_connect(NULL, &c))
		return 1;
	if (epcmm_ping(c) || epcmm_encl_create(c, 16 * 4096, &encl) ||
	    epcmm_encl_add_pages(c, encl, 0, 16, NULL) || epcmm_encl_init(c, encl) ||
	    epcmm_encl_write(c, encl, 8192, &in, sizeof(in)) ||
	    epcmm_encl_read(c, encl, 8192, &out, sizeof(out)) || out != in ||
	    epcmm_encl_destroy(c, encl) || epcmm_status(c, &text))
		return 2;
	printf("%.*s\n", (int)strcspn(text, "\n"), text);
	free(text);
	epcmm_client_close(c);
	return 0;
}
C
# shellcheck disable=SC2046 # pkg-config's words
check "cannot build against libepcmm-client-dev" \
	gcc -std=c11 -Wall -Werror -o "$tmp/client" "$tmp/client.c" \
	$(pkg-config --cflags --libs epcmm-client)
EPCMM_SOCKET=$tmp/epcmm.sock
export EPCMM_SOCKET
"$bin" daemon --epc 4M >"$tmp/daemon.log" 2>&1 &
daemon=$!
i=0
while [ ! -S "$EPCMM_SOCKET" ]; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$daemon" 2>/dev/null; then
		fail "epcmm daemon made no socket: $(cat "$tmp/daemon.log")"
	fi
	sleep 0.1
done
out=$("$tmp/client") || fail "the client failed ($?): '$out'"
echo "deb-test: client program: $out"
check "epcmm status" sh -c "$bin status >'$tmp/status.out'"
check "epcmm-test-sgx" sh -c "/usr/bin/epcmm-test-sgx >'$tmp/sgx.out'"
check "epcmm-test-sgx passed nothing" grep -q '^ok 2 ' "$tmp/sgx.out"
kill -TERM "$daemon"
wait "$daemon" || fail "epcmm daemon exited $? on SIGTERM: $(cat "$tmp/daemon.log")"
daemon=""

echo "deb-test: dpkg --purge $pkgs"
# shellcheck disable=SC2086 # one word per package
check "dpkg --purge" dpkg --purge $pkgs
installed=""
for p in $pkgs; do
	if dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^[ic]'; then
		fail "$p is still known to dpkg after the purge"
	fi
done
sort -u "$tmp/files" | while read -r f; do
	if [ -e "$f" ] && [ ! -d "$f" ]; then echo "$f"; fi
done >"$tmp/left"
check "files left behind: $(cat "$tmp/left")" test ! -s "$tmp/left"
ours >"$tmp/after"
check "left behind: $(comm -13 "$tmp/before" "$tmp/after")" cmp -s "$tmp/before" "$tmp/after"
echo "deb-test: ok"
