/* SPDX-License-Identifier: MIT */
/*
 * cgfs.h - the daemon's cgroup v2 filesystem, independent of FUSE: the
 * library's cgroups as directories, the files each one shows, and which
 * client processes are members of which cgroup.
 *
 * Both the FUSE mount (fusefs.c) and the socket protocol (session.c) go through
 * it, so `echo 0 > cgroup.procs` and epcmm_cgroup_write() behave the same.
 *
 * Files: the library's table (epcmm.h, EPC_CGROUP_FILES) is walked: each
 * cgroup shows the files the library gives it, with the table's modes,
 * read and written through the library, byte-exact, with its errors. Only
 * cgroup.procs writes are resolved here first (0 the writer, a thread's id
 * its process, the process's pidfd), and the files the table marks
 * EPC_CFTYPE_MEMBERS bring membership up to date before they are read.
 *
 * Membership: the library keeps which cgroup each pid is in (membership by
 * id, epc_cgroup_attach()); this module decides when a pid joins or leaves
 * one, from writes, fork events and pidfds, and keeps a pidfd per member. A
 * client's task follows its pid in the library (epc_task_follow()), so a
 * request takes no lock of this module. A process is put in a cgroup by writing
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
 * The tree is the library's: cgfs keeps none. A directory is the library's
 * cgroup of the same name and path; a path is walked one library lookup by
 * name per component (epc_cgroup_child(): one hash probe each, O(depth)), an
 * inode number is one lookup by id (epc_cgroup_lookup_id()), a listing is
 * the library's children (epc_cgroup_list_children(), in creation order)
 * then its files, mkdir and rmdir are the library's epc_cgroup_create_child()
 * and epc_cgroup_remove(). Each call holds a reference on the cgroups it
 * resolved until it returns, so a concurrent rmdir makes a later call
 * -ENOENT, never a dangling one.
 *
 * Names are the kernel's, which the library takes as they are: any bytes but
 * '/' and '\n', up to LIVE_CGFS_NAME_MAX ("user@1000.service", "a b", "é");
 * "." and ".." exist already (-EEXIST), as does a file's name (the library's
 * own errors).
 *
 * Inode numbers: a directory's number is 1 + 32 * (its cgroup's id - 1)
 * (epc_cgroup_id(): 1 for the root, so LIVE_CGFS_ROOT_INO is 1); its files
 * follow it (2 + 32 * (id - 1) + the file's index). Ids are never reused, so
 * a number that named a removed cgroup, or one of its files, stays -ENOENT
 * for good.
 *
 * Attributes: chmod, chown and times are kept per directory and per file,
 * as kernfs keeps them (delegation chowns a directory and its cgroup.procs),
 * in a table keyed by the cgroup's id, all that cgfs keeps of a cgroup
 * (docs/DESIGN-NOTES.md, "cgfs: a thin adapter"). A file whose mode has no
 * write bit refuses writes (-EACCES) and one with no read bit refuses reads,
 * even to root, as the kernel's cgroupfs does.
 *
 * Writes are parsed as the kernel parses them: at most LIVE_CGFS_WRITE_MAX
 * bytes (-E2BIG), the text ends at the first NUL; cgroup.procs takes
 * kstrtoint(strstrip(text), 0) ("+123", "0x7b", "0173", white space
 * around); cgroup.subtree_control takes space-separated "+name"/"-name"
 * tokens, the last one for a controller wins, enabling one that is enabled
 * or disabling one that is not is a no-op, and disabling one that a child
 * has enabled in its own subtree_control is -EBUSY.
 *
 * Where it differs from the kernel's cgroupfs (docs/DIFFERENCES.md, L1-L10):
 * the misc.* files show in every cgroup whether or not the parent enabled
 * +misc (the library charges every cgroup anyway); the "no internal
 * processes" rule is not enforced (a process may join a cgroup that has
 * children with controllers enabled); cgroup.threads, cgroup.type,
 * cgroup.freeze and the other core files are absent; cgroup.events'
 * "frozen" is always 0; like misc.*, the memory.* files show in every
 * non-root cgroup whether or not +memory is enabled; new cgroups belong to
 * the daemon's user, and modes are obeyed only as kernfs obeys them even
 * for root (the mount is the daemon user's alone).
 *
 * Locks: the library's cgroup locks protect the tree. fs->lock protects the
 * pidfd map (membership decisions: cgroup.procs writes, fork events, the
 * sync before a membership read or an rmdir); library calls that take no
 * enclave lock and never reclaim are made under it. fs->attr_lock protects
 * the attribute table, a leaf: the only library calls under it are mkdir's
 * epc_cgroup_create_child() (and epc_cgroup_remove() to undo it when its
 * attributes cannot be made), so a new directory is never seen without its
 * attributes. No request on an enclave or a page takes either. The process
 * events thread takes fs->lock to apply what it reads.
 * fs->inval_lock protects the invalidation callback (live_cgfs_set_inval());
 * it is taken without fs->lock held, and the callback runs under it alone.
 */
#ifndef EPCMM_LIVE_CGFS_H
#define EPCMM_LIVE_CGFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "epcmm.h"

struct live_cgfs;

/* Return: 0; -ENOMEM. */
int live_cgfs_create(struct epc *epc, struct live_cgfs **out);
void live_cgfs_destroy(struct live_cgfs *fs);

#define LIVE_CGFS_ROOT_INO  1u
#define LIVE_CGFS_NAME_MAX  4095u /* the kernel's: a name must fit PATH_MAX */
#define LIVE_CGFS_WRITE_MAX 4096u /* the kernel's: a page; longer is -E2BIG */

/* Return: 0; -EEXIST (a cgroup or a file of that name, ".", ".."); -ENOENT
 * no parent; -EINVAL an empty name or one with a '\n'; -ENAMETOOLONG; -ENOMEM. */
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

struct live_cgfs_attr {
	uint64_t ino;
	enum live_cgfs_kind kind;
	mode_t mode; /* the permission bits (07777) */
	uid_t uid;
	gid_t gid;
	unsigned nlink; /* a directory: 2 + its children */
	struct timespec atime, mtime, ctime;
};

/* What live_cgfs_setattr() changes. */
enum {
	LIVE_CGFS_SET_MODE = 1 << 0,
	LIVE_CGFS_SET_UID = 1 << 1,
	LIVE_CGFS_SET_GID = 1 << 2,
	LIVE_CGFS_SET_ATIME = 1 << 3,
	LIVE_CGFS_SET_MTIME = 1 << 4,
};

/* Return: 0; -ENOENT. */
int live_cgfs_getattr(struct live_cgfs *fs, const char *path, struct live_cgfs_attr *out);
/* chmod, chown, touch: the fields @what names, from @in; the ctime becomes
 * now. @out (may be NULL): the attributes after. Return: 0; -ENOENT; -ENOMEM. */
int live_cgfs_setattr(struct live_cgfs *fs, const char *path, unsigned what,
		      const struct live_cgfs_attr *in, struct live_cgfs_attr *out);

/* Calls @fn for each entry of directory @path: child cgroups, then files.
 * Return: 0; -ENOENT; -ENOTDIR; the first non-zero value @fn returns. */
int live_cgfs_readdir(struct live_cgfs *fs, const char *path,
		      int (*fn)(void *arg, const char *name, bool is_dir), void *arg);

/* A file's text into @buf (NUL-terminated). @path is the file's full path.
 * Return: its length; -ENOENT; -EISDIR; -EACCES its mode has no read bit;
 * -ENOSPC @len too small. */
ssize_t live_cgfs_read(struct live_cgfs *fs, const char *path, char *buf, size_t len);

/* Write @len bytes of @text to the file @path; @writer is the writing
 * process (for "0" in cgroup.procs). Return: 0; -ENOENT; -EISDIR; -EACCES a
 * read-only file or a mode without a write bit; -E2BIG more than
 * LIVE_CGFS_WRITE_MAX bytes; -EINVAL bad text; -ESRCH no such process;
 * -EMFILE, -ENFILE, -ENOMEM the daemon is out of descriptors or memory (the
 * process's pidfd); -EBUSY (subtree_control) a child has the controller
 * enabled; -ENOENT (subtree_control) a controller the parent does not
 * offer; the library's errors for its files. A refused write changes
 * nothing. */
int live_cgfs_write(struct live_cgfs *fs, const char *path, const char *text, size_t len,
		    pid_t writer);

/*
 * The same by inode number, for the FUSE mount (fusefs.c): @parent is a
 * directory's number, @name one entry's name in it. A call on a number of
 * the wrong kind is -ENOTDIR (a file's as @parent) or -EISDIR (a
 * directory's to read or write); an unknown number is -ENOENT.
 */
int live_cgfs_ino_lookup(struct live_cgfs *fs, uint64_t parent, const char *name,
			 struct live_cgfs_attr *out);
int live_cgfs_ino_getattr(struct live_cgfs *fs, uint64_t ino, struct live_cgfs_attr *out);
int live_cgfs_ino_setattr(struct live_cgfs *fs, uint64_t ino, unsigned what,
			  const struct live_cgfs_attr *in, struct live_cgfs_attr *out);
/* mkdir with the permission bits @mode (the kernel's cgroupfs keeps them:
 * `mkdir -m 700`, a umask; a path mkdir makes 0755); @out: the new
 * directory's attributes. Errors as live_cgfs_mkdir(). */
int live_cgfs_ino_mkdir(struct live_cgfs *fs, uint64_t parent, const char *name, mode_t mode,
			struct live_cgfs_attr *out);
int live_cgfs_ino_rmdir(struct live_cgfs *fs, uint64_t parent, const char *name);
/* Calls @fn for each entry of directory @ino, as live_cgfs_readdir(), with
 * the entry's inode number. */
int live_cgfs_ino_readdir(struct live_cgfs *fs, uint64_t ino,
			  int (*fn)(void *arg, const char *name, uint64_t ino, bool is_dir),
			  void *arg);
/* May the file be opened for reading (@read) and writing (@write)?
 * Return: 0; -ENOENT; -EISDIR; -EACCES (its mode, or a read-only file). */
int live_cgfs_ino_open(struct live_cgfs *fs, uint64_t ino, bool read, bool write);
ssize_t live_cgfs_ino_read(struct live_cgfs *fs, uint64_t ino, char *buf, size_t len);
int live_cgfs_ino_write(struct live_cgfs *fs, uint64_t ino, const char *text, size_t len,
			pid_t writer);

/*
 * Tell the mount that a directory went away by a path call (the socket's
 * rmdir), so that the kernel forgets a name it may have cached: @fn gets
 * the parent's inode number and the name, after the change, without
 * fs->lock. Calls through the live_cgfs_ino_*() functions (the mount's own)
 * do not call it. NULL @fn: no callback; once this returns, the old
 * callback is not running and will not run.
 */
void live_cgfs_set_inval(struct live_cgfs *fs,
			 void (*fn)(void *arg, uint64_t parent, const char *name), void *arg);

/* A client connects: the fork events so far are applied, so @pid is a
 * member if its parent was when it forked it; in the fallback, if @pid is
 * in no cgroup, it joins the one of its nearest live ancestor that is.
 * Return: 0; -ENOMEM. */
int live_cgfs_adopt(struct live_cgfs *fs, pid_t pid);

/* Whether membership follows fork events (else the fallback walk). */
bool live_cgfs_follows_forks(struct live_cgfs *fs);

/* The cgroup path of @pid ("/" if none) into @buf. */
void live_cgfs_pid_path(struct live_cgfs *fs, pid_t pid, char *buf, size_t len);

/* Bring membership up to date (the fork and exit events so far applied, the
 * members that exited dropped) before an answer that counts members: the
 * status snapshot's. */
void live_cgfs_reap(struct live_cgfs *fs);

#endif
