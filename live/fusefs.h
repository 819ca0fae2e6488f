/* SPDX-License-Identifier: MIT */
/*
 * fusefs.h - the cgroupfs (cgfs.h) mounted as a filesystem with libfuse3's
 * high-level path API, served by a thread of its own (fuse_loop_mt's worker
 * threads under it). Built only with libfuse3 (EPCMM_HAVE_FUSE); without it
 * live_fuse_mount() is -EOPNOTSUPP.
 *
 * Every operation maps to one cgfs call; the caller's pid for "0" in
 * cgroup.procs comes from fuse_get_context(). Files are direct I/O (the
 * page cache would trust their size, which is 0 as in the kernel's
 * cgroupfs): each read renders the file's text afresh and returns the part
 * at the read's offset; each write is one complete update.
 */
#ifndef EPCMM_LIVE_FUSEFS_H
#define EPCMM_LIVE_FUSEFS_H

#include "cgfs.h"

struct live_fuse;

/* Return: 0; -EOPNOTSUPP built without libfuse3; -EIO the mount failed (a
 * log line on stderr says why); -ENOMEM. */
int live_fuse_mount(struct live_cgfs *fs, const char *dir, struct live_fuse **out);
/* Unmount, stop the thread, free. NULL: no-op. */
void live_fuse_unmount(struct live_fuse *f);

#endif
