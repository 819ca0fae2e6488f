// SPDX-License-Identifier: MIT
/*
 * fusefs.c - the cgroupfs over libfuse3's low-level API (fusefs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fusefs.h"
#include "say.h"

#ifndef EPCMM_HAVE_FUSE

int live_fuse_mount(struct live_cgfs *fs, const char *dir, struct live_fuse **out)
{
	(void)fs;
	(void)dir;
	(void)out;
	return -EOPNOTSUPP;
}

void live_fuse_unmount(struct live_fuse *f)
{
	(void)f;
}

#else

#define FUSE_USE_VERSION 34
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FUSE_FSNAME	      "epcmm"
#define FUSE_SUBTYPE	      "cgroup2"
#define FUSE_READ_MAX	      (256u << 10) /* the largest file text rendered */
/* How long the kernel may trust a name it looked up (seconds). Names change
 * only through this mount, which the kernel sees, or by the socket's rmdir,
 * which invalidates the name at once (live_cgfs_set_inval()); the timeout
 * only bounds the damage of an invalidation that failed. Absent names are
 * never cached. Attributes are not cached (0): each stat asks. */
#define FUSE_ENTRY_TIMEOUT_S  30.0
#define FUSE_STALE_MAX	      8 /* dead mounts of ours on one point detached, at most */

struct live_fuse {
	struct live_cgfs *fs;	 /* read-only */
	struct fuse_session *se; /* read-only after mount */
	pthread_t thread;
};

static struct live_cgfs *req_fs(fuse_req_t req)
{
	return ((struct live_fuse *)fuse_req_userdata(req))->fs;
}

static void attr_to_stat(const struct live_cgfs_attr *a, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)a->ino;
	st->st_mode = (a->kind == LIVE_CGFS_DIR ? S_IFDIR : S_IFREG) | a->mode;
	st->st_nlink = a->nlink;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_blksize = 4096;
	st->st_atim = a->atime;
	st->st_mtim = a->mtime;
	st->st_ctim = a->ctime;
}

static void reply_entry(fuse_req_t req, int ret, const struct live_cgfs_attr *a)
{
	struct fuse_entry_param e = {.ino = a->ino, .entry_timeout = FUSE_ENTRY_TIMEOUT_S};

	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	attr_to_stat(a, &e.attr);
	fuse_reply_entry(req, &e);
}

static void reply_attr(fuse_req_t req, int ret, const struct live_cgfs_attr *a)
{
	struct stat st;

	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	attr_to_stat(a, &st);
	fuse_reply_attr(req, &st, 0.0);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct live_cgfs_attr a;

	reply_entry(req, live_cgfs_ino_lookup(req_fs(req), parent, name, &a), &a);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct live_cgfs_attr a;

	(void)fi;
	reply_attr(req, live_cgfs_ino_getattr(req_fs(req), ino, &a), &a);
}

static struct timespec time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/* chmod, chown, touch, and truncate (O_TRUNC): a file that may be written
 * is truncated by doing nothing (its size is always 0). */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *st, int to_set,
		       struct fuse_file_info *fi)
{
	struct live_cgfs_attr in = {0}, a;
	unsigned what = 0;
	int ret;

	(void)fi;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		ret = live_cgfs_ino_getattr(req_fs(req), ino, &a);
		if (!ret && a.kind != LIVE_CGFS_FILE_RW)
			ret = a.kind == LIVE_CGFS_DIR ? -EISDIR : -EACCES;
		if (ret) {
			fuse_reply_err(req, -ret);
			return;
		}
	}
	in.mode = st->st_mode;
	in.uid = st->st_uid;
	in.gid = st->st_gid;
	in.atime = to_set & FUSE_SET_ATTR_ATIME_NOW ? time_now() : st->st_atim;
	in.mtime = to_set & FUSE_SET_ATTR_MTIME_NOW ? time_now() : st->st_mtim;
	what |= to_set & FUSE_SET_ATTR_MODE ? LIVE_CGFS_SET_MODE : 0;
	what |= to_set & FUSE_SET_ATTR_UID ? LIVE_CGFS_SET_UID : 0;
	what |= to_set & FUSE_SET_ATTR_GID ? LIVE_CGFS_SET_GID : 0;
	what |= to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_ATIME_NOW) ? LIVE_CGFS_SET_ATIME : 0;
	what |= to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_MTIME_NOW) ? LIVE_CGFS_SET_MTIME : 0;
	if (!what) { /* a truncate alone changes nothing */
		reply_attr(req, live_cgfs_ino_getattr(req_fs(req), ino, &a), &a);
		return;
	}
	reply_attr(req, live_cgfs_ino_setattr(req_fs(req), ino, what, &in, &a), &a);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct live_cgfs_attr a;

	/* the kernel masked it with the caller's umask (no FUSE_CAP_DONT_MASK) */
	reply_entry(req, live_cgfs_ino_mkdir(req_fs(req), parent, name, mode, &a), &a);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, -live_cgfs_ino_rmdir(req_fs(req), parent, name));
}

/*
 * What a cgroup directory refuses, with the kernel's errors: it has no
 * create, mknod, unlink, symlink or link operation (the VFS says EACCES for
 * open(O_CREAT), EPERM for the others), and cgroup v2 has no rename (kernfs
 * says EINVAL for rename flags, then EPERM).
 */
static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)fi;
	fuse_reply_err(req, EACCES);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)rdev;
	fuse_reply_err(req, EPERM);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	fuse_reply_err(req, EPERM);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	(void)parent;
	(void)name;
	(void)newparent;
	(void)newname;
	fuse_reply_err(req, flags ? EINVAL : EPERM);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	int acc = fi->flags & O_ACCMODE;
	int ret = live_cgfs_ino_open(req_fs(req), ino, acc != O_WRONLY, acc != O_RDONLY);

	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	/* The page cache would trust the size, which is 0 as in the kernel's
	 * cgroupfs: each read renders the text afresh. */
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	size_t cap = 4096;
	ssize_t n;
	char *text;

	(void)fi;
	for (;;) {
		text = malloc(cap);
		if (!text) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		n = live_cgfs_ino_read(req_fs(req), ino, text, cap);
		if (n != -ENOSPC || cap >= FUSE_READ_MAX)
			break;
		free(text);
		cap *= 2;
	}
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else if (off >= n)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, text + off,
			       size < (size_t)(n - off) ? size : (size_t)(n - off));
	free(text);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	int ret;

	(void)fi;
	(void)off; /* as in the kernel's cgroupfs, each write is a whole update */
	ret = live_cgfs_ino_write(req_fs(req), ino, buf, size, fuse_req_ctx(req)->pid);
	if (ret)
		fuse_reply_err(req, -ret);
	else
		fuse_reply_write(req, size);
}

/* A directory's entries, as fuse_add_direntry() lays them out; built when a
 * listing starts (offset 0) and served in slices at the kernel's offsets. */
struct dir_buf {
	fuse_req_t req;
	char *buf;
	size_t len, cap;
	int err;
};

static int dir_buf_add(void *arg, const char *name, uint64_t ino, bool is_dir)
{
	struct dir_buf *d = arg;
	struct stat st = {.st_ino = (ino_t)ino, .st_mode = is_dir ? S_IFDIR : S_IFREG};
	size_t need = fuse_add_direntry(d->req, NULL, 0, name, NULL, 0);

	if (d->len + need > d->cap) {
		size_t cap = (d->len + need) * 2;
		char *nb = realloc(d->buf, cap);

		if (!nb)
			return -ENOMEM;
		d->buf = nb;
		d->cap = cap;
	}
	fuse_add_direntry(d->req, d->buf + d->len, need, name, &st, (off_t)(d->len + need));
	d->len += need;
	return 0;
}

static int dir_buf_fill(fuse_req_t req, fuse_ino_t ino, struct dir_buf *d)
{
	struct live_cgfs *fs = req_fs(req);
	struct live_cgfs_attr up;
	int ret;

	d->req = req;
	d->len = 0;
	ret = live_cgfs_ino_lookup(fs, ino, "..", &up);
	if (!ret)
		ret = dir_buf_add(d, ".", ino, true);
	if (!ret)
		ret = dir_buf_add(d, "..", up.ino, true);
	if (!ret)
		ret = live_cgfs_ino_readdir(fs, ino, dir_buf_add, d);
	return ret;
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct live_cgfs_attr a;
	struct dir_buf *d;
	int ret = live_cgfs_ino_getattr(req_fs(req), ino, &a);

	if (!ret && a.kind != LIVE_CGFS_DIR)
		ret = -ENOTDIR;
	d = ret ? NULL : calloc(1, sizeof(*d));
	if (!ret && !d)
		ret = -ENOMEM;
	if (ret) {
		fuse_reply_err(req, -ret);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	fuse_reply_open(req, fi);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct dir_buf *d = (struct dir_buf *)(uintptr_t)fi->fh;
	int ret = 0;

	if (off == 0) /* a listing starts (or rewinddir): take it afresh */
		ret = dir_buf_fill(req, ino, d);
	if (ret)
		fuse_reply_err(req, -ret);
	else if ((size_t)off >= d->len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, d->buf + off,
			       size < d->len - (size_t)off ? size : d->len - (size_t)off);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_buf *d = (struct dir_buf *)(uintptr_t)fi->fh;

	(void)ino;
	free(d->buf);
	free(d);
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.mknod = op_mknod,
	.mkdir = op_mkdir,
	.unlink = op_unlink,
	.rmdir = op_rmdir,
	.symlink = op_symlink,
	.rename = op_rename,
	.link = op_link,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.opendir = op_opendir,
	.readdir = op_readdir,
	.releasedir = op_releasedir,
	.create = op_create,
};

/* A directory removed by the socket: the kernel may hold its name. Called
 * by cgfs without its lock, never from this mount's own operations. */
static void inval_entry(void *arg, uint64_t parent, const char *name)
{
	struct live_fuse *f = arg;

	/* -ENOENT: the kernel never looked it up; nothing else can be done */
	fuse_lowlevel_notify_inval_entry(f->se, parent, name, strlen(name));
}

/* ------------------------------------------------ a dead mount of ours */

/* mountinfo writes ' ', '\t', '\n' and '\\' as \ooo: undo it in place. */
static void mountinfo_unescape(char *s)
{
	char *d = s;

	for (; *s; s++, d++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*d = *s;
		}
	}
	*d = '\0';
}

/*
 * Is the topmost mount on @point (absolute, as mountinfo spells it) a FUSE
 * mount of this program, by this user: type fuse.FUSE_SUBTYPE, source
 * FUSE_FSNAME, user_id our uid? The last line for a mount point is the
 * topmost mount.
 */
static bool mount_is_ours(const char *point)
{
	char *line = NULL, want_uid[32];
	size_t cap = 0;
	bool ours = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	snprintf(want_uid, sizeof(want_uid), "user_id=%u", (unsigned)getuid());
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok, *fields[5] = {0}, *type = NULL, *source = NULL,
		     *opts = NULL;
		int i = 0;

		line[strcspn(line, "\n")] = '\0';
		for (tok = strtok_r(line, " ", &save); tok && i < 5;
		     tok = strtok_r(NULL, " ", &save))
			fields[i++] = tok;
		if (i < 5)
			continue;
		mountinfo_unescape(fields[4]);
		if (strcmp(fields[4], point))
			continue;
		while ((tok = strtok_r(NULL, " ", &save)) && strcmp(tok, "-"))
			;
		type = strtok_r(NULL, " ", &save);
		source = strtok_r(NULL, " ", &save);
		opts = strtok_r(NULL, " ", &save);
		ours = type && source && opts && !strcmp(type, "fuse." FUSE_SUBTYPE) &&
		       !strcmp(source, FUSE_FSNAME);
		if (ours) { /* one of the comma-separated options is exactly ours */
			char *o, *osave = NULL;

			ours = false;
			for (o = strtok_r(opts, ",", &osave); o; o = strtok_r(NULL, ",", &osave))
				ours |= !strcmp(o, want_uid);
		}
	}
	free(line);
	fclose(f);
	return ours;
}

/* @dir's absolute path with symlinks resolved, malloc'ed. Its parent is
 * resolved, not @dir itself: stat of a dead mount fails. NULL: unknown. */
static char *mount_point(const char *dir)
{
	char *copy = strdup(dir), *slash, *parent, *out = NULL;
	const char *base;

	if (!copy)
		return NULL;
	for (size_t n = strlen(copy); n > 1 && copy[n - 1] == '/'; n--)
		copy[n - 1] = '\0';
	slash = strrchr(copy, '/');
	base = slash ? slash + 1 : copy;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		out = realpath(copy, NULL);
		free(copy);
		return out;
	}
	if (slash)
		*slash = '\0';
	parent = realpath(slash ? (*copy ? copy : "/") : ".", NULL);
	if (parent && asprintf(&out, "%s/%s", strcmp(parent, "/") ? parent : "", base) < 0)
		out = NULL;
	free(parent);
	free(copy);
	return out;
}

/* umount -l, or fusermount3 -u -z for a user who may not unmount. */
static int detach(const char *point)
{
	char *argv[] = {"fusermount3", "-u", "-z", (char *)point, NULL};
	extern char **environ;
	int status, err;
	pid_t pid;

	if (!umount2(point, MNT_DETACH))
		return 0;
	err = -errno;
	if (err != -EPERM || posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return err;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return err;
	return 0;
}

/*
 * A daemon that was killed (kill -9) leaves its mount behind with nobody
 * serving it: every access, mounting over it included, fails with ENOTCONN.
 * Detach such a mount when it is ours (mount_is_ours()), saying so; a live
 * mount (stat answers) or anybody else's filesystem is left alone, and the
 * mount that follows fails as it would have.
 */
static void stale_mounts_detach(const char *dir)
{
	for (int i = 0; i < FUSE_STALE_MAX; i++) {
		struct stat st;
		char *point;
		int ret;

		if (!stat(dir, &st) || errno != ENOTCONN)
			return;
		point = mount_point(dir);
		if (!point || !mount_is_ours(point)) {
			live_say("%s: a dead mount is in the way (its FUSE connection is gone), "
				 "and it is not a cgroupfs of this user's: left alone",
				 point ? point : dir);
			free(point);
			return;
		}
		ret = detach(point);
		if (ret)
			live_say("%s: the dead cgroupfs mount of an earlier daemon is still there "
				 "and cannot be detached: %s",
				 point, strerror(-ret));
		else
			live_say("%s: detached the dead cgroupfs mount of an earlier daemon (its "
				 "FUSE "
				 "connection was gone)",
				 point);
		free(point);
		if (ret)
			return;
	}
}

/* ------------------------------------------------ mount, loop, unmount */

/*
 * The loop thread's wake-up: fuse_session_exit() only sets a flag, and the
 * thread sleeps in read(/dev/fuse) until a request comes, which may be never
 * (and, were the mount detached first, a process holding it busy, such as a
 * shell cd'd into it, would keep the connection open). A signal with a
 * handler installed without SA_RESTART makes that read return EINTR, and the
 * loop then sees the flag.
 */
#define LIVE_FUSE_WAKE_SIGNAL SIGUSR1

static void wake_handler(int sig)
{
	(void)sig;
}

static int install_wake_handler(void)
{
	struct sigaction sa = {.sa_handler = wake_handler}; /* no SA_RESTART */

	sigemptyset(&sa.sa_mask);
	return sigaction(LIVE_FUSE_WAKE_SIGNAL, &sa, NULL) ? -errno : 0;
}

static void *loop_thread(void *arg)
{
	struct live_fuse *f = arg;
	sigset_t wake;

	sigemptyset(&wake);
	sigaddset(&wake, LIVE_FUSE_WAKE_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
	fuse_session_loop(f->se);
	return NULL;
}

int live_fuse_mount(struct live_cgfs *fs, const char *dir, struct live_fuse **out)
{
	char *argv[] = {"epcmm", "-o", "fsname=" FUSE_FSNAME ",subtype=" FUSE_SUBTYPE, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct live_fuse *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	ret = install_wake_handler();
	if (ret) {
		free(f);
		return ret;
	}
	f->fs = fs;
	f->se = fuse_session_new(&args, &ops, sizeof(ops), f);
	fuse_opt_free_args(&args); /* fuse_session_new() may have copied them */
	if (!f->se) {
		ret = -EIO;
		goto err_free;
	}
	stale_mounts_detach(dir);
	if (fuse_session_mount(f->se, dir)) {
		ret = -EIO;
		goto err_destroy;
	}
	ret = -pthread_create(&f->thread, NULL, loop_thread, f);
	if (ret)
		goto err_unmount;
	live_cgfs_set_inval(fs, inval_entry, f);
	*out = f;
	return 0;
err_unmount:
	fuse_session_unmount(f->se);
err_destroy:
	fuse_session_destroy(f->se);
err_free:
	free(f);
	return ret;
}

void live_fuse_unmount(struct live_fuse *f)
{
	if (!f)
		return;
	live_cgfs_set_inval(f->fs, NULL, NULL); /* no notification after this */
	fuse_session_exit(f->se);
	/* Until the loop notices: the signal may land before it sleeps again.
	 * The loop is gone before the unmount closes its descriptor, which it
	 * would otherwise read on, or read another file that took the number. */
	while (pthread_tryjoin_np(f->thread, NULL) == EBUSY) {
		pthread_kill(f->thread, LIVE_FUSE_WAKE_SIGNAL);
		usleep(10000);
	}
	fuse_session_unmount(f->se); /* as root: a lazy detach, even when busy */
	fuse_session_destroy(f->se);
	free(f);
}

#endif
