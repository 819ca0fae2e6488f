#!/bin/sh
# SPDX-License-Identifier: MIT
# cgexec.sh CGROUP COMMAND [ARGS...] - join CGROUP (a path under the cgroup
# mount, $CG_MOUNT, default /sys/fs/cgroup) by writing 0 to its cgroup.procs,
# then exec COMMAND: the kernel selftests' ash_cgexec.sh, reimplemented.
cg=$1
shift
echo 0 >"${CG_MOUNT:-/sys/fs/cgroup}/$cg/cgroup.procs" || exit 1
exec "$@"
