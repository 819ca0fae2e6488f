// SPDX-License-Identifier: MIT
/*
 * fusefs.c - the cgroupfs over libfuse3's high-level API (fusefs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fusefs.h"

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

#define FUSE_USE_VERSION 31
#include <fuse.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FUSE_READ_MAX (256u << 10) /* the largest file text rendered */

struct live_fuse {
	struct live_cgfs *fs; /* read-only */
	struct fuse *fuse;    /* read-only after mount */
	pthread_t thread;
};

static struct live_cgfs *ctx_fs(void)
{
	return ((struct live_fuse *)fuse_get_context()->private_data)->fs;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	return fuse_get_context()->private_data;
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	enum live_cgfs_kind kind;
	int ret;

	(void)fi;
	ret = live_cgfs_stat(ctx_fs(), path, &kind);
	if (ret)
		return ret;
	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	switch (kind) {
	case LIVE_CGFS_DIR:
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		break;
	case LIVE_CGFS_FILE_RO:
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		break;
	case LIVE_CGFS_FILE_RW:
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		break;
	}
	return 0;
}

struct fill {
	void *buf;
	fuse_fill_dir_t filler;
};

static int fill_one(void *arg, const char *name, bool is_dir)
{
	struct fill *f = arg;
	struct stat st = {.st_mode = is_dir ? S_IFDIR : S_IFREG};

	return f->filler(f->buf, name, &st, 0, 0) ? -ENOMEM : 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct fill f = {.buf = buf, .filler = filler};

	(void)off;
	(void)fi;
	(void)flags;
	filler(buf, ".", NULL, 0, 0);
	filler(buf, "..", NULL, 0, 0);
	return live_cgfs_readdir(ctx_fs(), path, fill_one, &f);
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	enum live_cgfs_kind kind;
	int ret = live_cgfs_stat(ctx_fs(), path, &kind);

	if (ret)
		return ret;
	if (kind == LIVE_CGFS_DIR)
		return -EISDIR;
	if ((fi->flags & O_ACCMODE) != O_RDONLY && kind != LIVE_CGFS_FILE_RW)
		return -EACCES;
	fi->direct_io = 1;
	fi->nonseekable = 0;
	return 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	size_t cap = 4096;
	ssize_t n;
	char *text;

	(void)fi;
	for (;;) {
		text = malloc(cap);
		if (!text)
			return -ENOMEM;
		n = live_cgfs_read(ctx_fs(), path, text, cap);
		if (n != -ENOSPC || cap >= FUSE_READ_MAX)
			break;
		free(text);
		cap *= 2;
	}
	if (n < 0) {
		free(text);
		return (int)n;
	}
	if (off >= n) {
		free(text);
		return 0;
	}
	if (size > (size_t)(n - off))
		size = (size_t)(n - off);
	memcpy(buf, text + off, size);
	free(text);
	return (int)size;
}

static int op_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	int ret;

	(void)fi;
	(void)off; /* as in the kernel's cgroupfs, each write is a whole update */
	ret = live_cgfs_write(ctx_fs(), path, buf, size, fuse_get_context()->pid);
	return ret ? ret : (int)size;
}

static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	enum live_cgfs_kind kind;
	int ret = live_cgfs_stat(ctx_fs(), path, &kind);

	(void)size;
	(void)fi;
	if (ret)
		return ret;
	return kind == LIVE_CGFS_FILE_RW ? 0 : kind == LIVE_CGFS_DIR ? -EISDIR : -EACCES;
}

static int op_mkdir(const char *path, mode_t mode)
{
	(void)mode;
	return live_cgfs_mkdir(ctx_fs(), path);
}

static int op_rmdir(const char *path)
{
	return live_cgfs_rmdir(ctx_fs(), path);
}

static const struct fuse_operations ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.truncate = op_truncate,
	.mkdir = op_mkdir,
	.rmdir = op_rmdir,
};

static void *loop_thread(void *arg)
{
	struct live_fuse *f = arg;

	fuse_loop(f->fuse);
	return NULL;
}

int live_fuse_mount(struct live_cgfs *fs, const char *dir, struct live_fuse **out)
{
	char *argv[] = {"epcmm", "-o", "fsname=epcmm,subtype=cgroup2", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct live_fuse *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	f->fs = fs;
	f->fuse = fuse_new(&args, &ops, sizeof(ops), f);
	fuse_opt_free_args(&args); /* fuse_new() may have copied them */
	if (!f->fuse) {
		ret = -EIO;
		goto err_free;
	}
	if (fuse_mount(f->fuse, dir)) {
		ret = -EIO;
		goto err_destroy;
	}
	ret = -pthread_create(&f->thread, NULL, loop_thread, f);
	if (ret)
		goto err_unmount;
	*out = f;
	return 0;
err_unmount:
	fuse_unmount(f->fuse);
err_destroy:
	fuse_destroy(f->fuse);
err_free:
	free(f);
	return ret;
}

void live_fuse_unmount(struct live_fuse *f)
{
	if (!f)
		return;
	fuse_exit(f->fuse);
	fuse_unmount(f->fuse);
	pthread_join(f->thread, NULL);
	fuse_destroy(f->fuse);
	free(f);
}

#endif
