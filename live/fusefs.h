/* SPDX-License-Identifier: MIT */
/*
 * fusefs.h - the cgroupfs (cgfs.h) mounted as a filesystem with libfuse3's
 * low-level API, served by a thread of its own (one request at a time).
 * Built only with libfuse3 (EPCMM_HAVE_FUSE); without it live_fuse_mount()
 * is -EOPNOTSUPP.
 *
 * Every operation maps to one cgfs call by inode number (live_cgfs_ino_*()),
 * so its cost does not grow with the depth of the tree; the kernel may keep
 * the names it looked up (not absent ones) for a while, so that a path is
 * resolved from its dentry cache rather than one request per component,
 * and a directory removed through the socket is invalidated at once. The
 * caller's pid for "0" in cgroup.procs comes from fuse_req_ctx(). Files are
 * direct I/O (the page cache would trust their size, which is 0 as in the
 * kernel's cgroupfs): each read renders the file's text afresh and returns
 * the part at the read's offset; each write is one complete update.
 *
 * What the kernel's cgroupfs refuses is refused with its errors: creating a
 * file (EACCES), mknod, unlink, symlink, link (EPERM), rename (EPERM: cgroup
 * v2 has none). chmod, chown and touch are kept (cgfs.h).
 *
 * Restart after a crash: a daemon killed with SIGKILL leaves its mount
 * behind, dead (ENOTCONN). live_fuse_mount() detaches such a mount first
 * (umount2(MNT_DETACH), or fusermount3 -u -z), and says so on stderr, when
 * it is ours: a FUSE mount of type fuse.cgroup2 from "epcmm" by this user
 * whose stat says ENOTCONN. A live mount and anybody else's are left alone.
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
