/* SPDX-License-Identifier: MIT */
/*
 * cgfs.h - the daemon's cgroup v2 filesystem, independent of FUSE: a tree of
 * cgroup directories over the library's cgroups, the files each one shows,
 * and which client processes are members of which cgroup.
 *
 * Both the FUSE mount (fuse.c) and the socket protocol (session.c) go through
 * it, so `echo 0 > cgroup.procs` and epcmm_cgroup_write() behave the same.
 *
 * Files: cgroup.procs, cgroup.controllers, cgroup.subtree_control,
 * cgroup.events, and every misc.* and memory.* file the library's
 * epc_cgroup_read() serves for that cgroup (probed: a file the library does
 * not know is absent), byte-exact, with the library's errors.
 *
 * Membership: a pid -> cgroup map. A process is put in a cgroup by writing
 * its pid (or 0: the writer itself) to cgroup.procs, and, as in the kernel, a
 * process forked by a member is a member of the same cgroup from its fork on,
 * whether or not its parent is still alive when it connects. The forks come
 * from the kernel's process events (procwatch.h), read by a thread and,
 * before any answer that depends on membership (adopting a client,
 * cgroup.procs, cgroup.events, rmdir, a cgroup.procs write), until the queue
 * is empty: a process's fork event is queued before it first runs, so by the
 * time it connects, or its parent writes cgroup.procs, the event is read.
 * A pid is never trusted past its owner's exit: a fork event counts for a
 * member whose exit event was already read only while the member's pidfd
 * says it is alive, and a forked child's pidfd counts only once a read after
 * opening it found no exit event for it (procwatch.h has the ordering this
 * rests on). The map holds a pidfd per member: a member whose pidfd was
 * readable before the events were read has exited and is dropped after
 * them, so a process that exits leaves its cgroup at once, after its last
 * forks were seen.
 *
 * The fallback: without fork events (not root, not in the initial pid and
 * user namespaces, no CONFIG_PROC_EVENTS; logged once at create), or after
 * events were lost (the socket overflowed; logged; the connector keeps
 * being read), a client process in no cgroup inherits, when it connects, the
 * cgroup of its nearest live ancestor that is a member (walking PPid). A
 * child whose member parent exited before it connected is then reparented
 * and lands in the root: the kernel would have kept it in the cgroup
 * (docs/DIFFERENCES.md, L5). A child made with CLONE_PARENT is counted as
 * its real parent's, which the fork event names.
 *
 * Each directory holds a reference on its library cgroup (epc_cgroup_create()
 * gives it, rmdir puts it); the children a directory lists are the library's
 * (epc_cgroup_list_children()), and an empty directory is removed by the
 * library's epc_cgroup_remove(), which refuses one with children.
 *
 * Where it differs from the kernel's cgroupfs: the misc.* files show in every
 * cgroup whether or not the parent enabled +misc (the library charges every
 * cgroup anyway); the "no internal processes" rule is not enforced (a
 * process may join a cgroup that has children with controllers enabled);
 * cgroup.threads, cgroup.type, cgroup.freeze and the other core files are
 * absent; cgroup.events' "frozen" is always 0; like misc.*, the memory.*
 * files show in every non-root cgroup whether or not +memory is enabled.
 *
 * Lock: one mutex, fs->lock, protects the tree and the map; it is a leaf
 * (no other epcmm lock of the daemon is taken under it; library calls are).
 * The process events thread takes it to apply what it reads.
 */
#ifndef EPCMM_LIVE_CGFS_H
#define EPCMM_LIVE_CGFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "epcmm.h"

struct live_cgfs;

/* Return: 0; -ENOMEM. */
int live_cgfs_create(struct epc *epc, struct live_cgfs **out);
void live_cgfs_destroy(struct live_cgfs *fs);

/* Return: 0; -EEXIST (a cgroup or a file of that name); -ENOENT no parent;
 * -EINVAL a bad name; -ENOMEM. */
int live_cgfs_mkdir(struct live_cgfs *fs, const char *path);
/* Return: 0; -ENOENT; -EBUSY children, live members, or the root. */
int live_cgfs_rmdir(struct live_cgfs *fs, const char *path);

enum live_cgfs_kind {
	LIVE_CGFS_DIR,
	LIVE_CGFS_FILE_RO,
	LIVE_CGFS_FILE_RW,
};
/* What @path ("/", "/a", "/a/misc.max") is. Return: 0; -ENOENT. */
int live_cgfs_stat(struct live_cgfs *fs, const char *path, enum live_cgfs_kind *kind);

/* Calls @fn for each entry of directory @path: child cgroups, then files.
 * Return: 0; -ENOENT; -ENOTDIR; the first non-zero value @fn returns. */
int live_cgfs_readdir(struct live_cgfs *fs, const char *path,
		      int (*fn)(void *arg, const char *name, bool is_dir), void *arg);

/* A file's text into @buf (NUL-terminated). @path is the file's full path.
 * Return: its length; -ENOENT; -EISDIR; -ENOSPC @len too small. */
ssize_t live_cgfs_read(struct live_cgfs *fs, const char *path, char *buf, size_t len);

/* Write @len bytes of @text to the file @path; @writer is the writing
 * process (for "0" in cgroup.procs). Return: 0; -ENOENT; -EISDIR; -EACCES a
 * read-only file; -EINVAL bad text; -ESRCH no such process; the library's
 * errors for its files. A refused write changes nothing. */
int live_cgfs_write(struct live_cgfs *fs, const char *path, const char *text, size_t len,
		    pid_t writer);

/* Put @t in the cgroup @pid is a member of (the root if none), and keep that
 * cgroup from being removed until live_cgfs_task_leave(). Return: 0; the
 * library's errors. */
int live_cgfs_task_enter(struct live_cgfs *fs, pid_t pid, struct epc_task *t);
void live_cgfs_task_leave(struct live_cgfs *fs, struct epc_task *t);

/* A client connects: the fork events so far are applied, so @pid is a
 * member if its parent was when it forked it; in the fallback, if @pid is
 * in no cgroup, it joins the one of its nearest live ancestor that is.
 * Return: 0; -ENOMEM. */
int live_cgfs_adopt(struct live_cgfs *fs, pid_t pid);

/* Whether membership follows fork events (else the fallback walk). */
bool live_cgfs_follows_forks(struct live_cgfs *fs);

/* The cgroup path of @pid ("/" if none) into @buf. */
void live_cgfs_pid_path(struct live_cgfs *fs, pid_t pid, char *buf, size_t len);

/* Calls @fn with each cgroup's path, its library handle and its number of
 * member processes, a parent before its children, under the cgfs lock (@fn
 * must not call back into cgfs). Return: 0 or the first non-zero @fn value. */
int live_cgfs_foreach(struct live_cgfs *fs,
		      int (*fn)(void *arg, const char *path, struct epc_cgroup *cg, int nr_procs),
		      void *arg);

#endif
