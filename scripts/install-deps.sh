#!/bin/sh
# SPDX-License-Identifier: MIT
#
# install-deps.sh - make sure the Debian packages epcmm needs are installed.
#
#   scripts/install-deps.sh [--bench] [--deb] [--fuzz] [--format] [--valgrind] [--with-optional]
#
# Checks each package with dpkg-query. Nothing missing: prints nothing, exits 0.
# Something missing: as root with apt-get, runs `apt-get update` and
# `apt-get install -y --no-install-recommends` for exactly the missing ones;
# otherwise prints the command to run and exits 1.
#
# Required (build + unit/stress tests, also under ASan/UBSan/TSan with gcc):
# the toolchain and the libraries of DESIGN.md §10. libc6-dev and make are
# listed because --no-install-recommends on a fresh Debian 12 would leave gcc
# without libc headers, and the Makefile needs make. gnuplot-nox draws the
# tool's --plot output and valgrind runs `epcmm record`; both have tests.
# Optional groups: --bench (allocators to compare against), --deb (make deb
# and make deb-test: dpkg-buildpackage, debhelper with its Meson build
# system, lintian; the build dependencies are the required ones), --fuzz
# (clang with libFuzzer), --format (clang-format), --valgrind (kept for
# old command lines: valgrind is required now);
# --with-optional selects them all.
# EPCMM_EXTRA_PKGS (space-separated) adds packages to the check, e.g. to try
# the missing-package path: EPCMM_EXTRA_PKGS=no-such-pkg scripts/install-deps.sh
set -eu

required="make gcc libc6-dev meson ninja-build pkg-config
	libnuma-dev libssl-dev libinih-dev libjansson-dev libcmocka-dev
	gnuplot-nox valgrind libfuse3-dev fuse3"
bench="libjemalloc-dev libgoogle-perftools-dev"
deb="dpkg-dev debhelper lintian"
fuzz="clang libclang-rt-14-dev"
format="clang-format"
valgrind="valgrind"

want="$required ${EPCMM_EXTRA_PKGS:-}"
for arg in "$@"; do
	case "$arg" in
	--bench) want="$want $bench" ;;
	--deb) want="$want $deb" ;;
	--fuzz) want="$want $fuzz" ;;
	--format) want="$want $format" ;;
	--valgrind) want="$want $valgrind" ;;
	--with-optional) want="$want $bench $deb $fuzz $format $valgrind" ;;
	-h | --help)
		sed -n '4,26s/^# \{0,1\}//p' "$0"
		exit 0
		;;
	*)
		echo "install-deps.sh: unknown option '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps.sh: dpkg-query not found; this script knows Debian only." >&2
	# shellcheck disable=SC2086 # one word per package
	echo "install-deps.sh: install the equivalents of:" $want >&2
	exit 1
fi

missing=""
for pkg in $want; do
	case " $missing " in *" $pkg "*) continue ;; esac
	if ! dpkg-query -W -f='${db:Status-Abbrev}\n' "$pkg" 2>/dev/null | grep -q '^.i'; then
		missing="$missing $pkg"
	fi
done
missing="${missing# }"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "install-deps.sh: installing: $missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086 # one word per package
	apt-get install -y -q --no-install-recommends $missing
	exit 0
fi

echo "install-deps.sh: missing Debian packages: $missing" >&2
echo "install-deps.sh: install them with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $missing" >&2
exit 1
