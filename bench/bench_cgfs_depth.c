// SPDX-License-Identifier: MIT
/*
 * bench_cgfs_depth.c - the cost of a deep cgroup tree in the daemon's
 * cgroupfs: a chain of directories DEPTH deep created through the FUSE
 * mount the way bash runs `mkdir d; cd d` (mkdir by the relative name, cd
 * by the absolute path: a lookup of every level), timed per quarter of the
 * chain so that a cost growing with the depth shows; then a stat and a
 * cgroup.procs read at the bottom, and the chain removed bottom-up. The
 * same chain through live/cgfs.c alone (no FUSE, full paths) is timed
 * beside it.
 *
 * The mount lives in a thread of this program (live_fuse_mount(), as
 * `epcmm daemon --mount` runs it), in a private mount namespace of its
 * own, so nothing reaches the host's mounts. Needs root and /dev/fuse;
 * exits 77 (skipped) without them.
 *
 *   bench_cgfs_depth [--depth N]   (default 1000; target: the FUSE chain in < 2 s)
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_stat.h"
#include "cgfs.h"
#include "epcmm.h"
#include "fusefs.h"

#define DEFAULT_DEPTH  1000
#define TARGET_SECONDS 2.0 /* issue 15: a chain 1,000 deep through the mount */
#define EPC_PAGES      256
#define QUARTERS       4

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static void quiet(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

/* A private mount namespace: the mount never reaches the host's table. */
static int enter_namespace(void)
{
	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK))
		return -EPERM;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	return 0;
}

/*
 * mkdir d; cd d, @depth times from the mount @mnt, as bash does it: mkdir by
 * the relative name, then cd by the absolute (logical) path, which the
 * kernel resolves from "/" through every level of the chain. Return: 0 or
 * -errno; the time of each quarter of the chain in @q, of all of it in
 * @total.
 */
static int chain_through_mount(const char *mnt, int depth, uint64_t q[QUARTERS], uint64_t *total)
{
	size_t len = strlen(mnt);
	char *path = malloc(len + (size_t)depth * 2 + 1);
	int fd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	uint64_t t = bench_now_ns(), start = t;

	if (!path)
		goto err;
	memcpy(path, mnt, len + 1);
	for (int i = 0; i < depth; i++) {
		if (fd < 0 || mkdirat(fd, "d", 0755))
			goto err;
		memcpy(path + len, "/d", 3);
		len += 2;
		close(fd);
		fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			goto err;
		if ((i + 1) % (depth / QUARTERS) == 0 && (i + 1) / (depth / QUARTERS) <= QUARTERS) {
			uint64_t now = bench_now_ns();

			q[(i + 1) / (depth / QUARTERS) - 1] = now - t;
			t = now;
		}
	}
	*total = bench_now_ns() - start;
	close(fd);
	free(path);
	return 0;
err:
	fprintf(stderr, "bench_cgfs_depth: the chain stopped: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	return -errno;
}

/* "d/d/.../d/@leaf" for a chain @depth deep (malloc'ed). */
static char *chain_path(int depth, const char *leaf)
{
	size_t len = (size_t)depth * 2 + strlen(leaf) + 1;
	char *p = malloc(len), *s = p;

	if (!p)
		return NULL;
	for (int i = 0; i < depth; i++) {
		*s++ = 'd';
		*s++ = '/';
	}
	strcpy(s, leaf);
	return p;
}

/* rmdir the chain bottom-up, walking up with "..". Return: 0 or -errno. */
static int unchain_through_mount(int top, int depth)
{
	char *path = chain_path(depth - 1, "");
	int fd = path ? openat(top, depth > 1 ? path : ".", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;

	free(path);
	for (int i = 0; i < depth; i++) {
		int up;

		if (fd < 0 || unlinkat(fd, "d", AT_REMOVEDIR))
			goto err;
		up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = up;
	}
	if (fd >= 0)
		close(fd);
	return 0;
err:
	fprintf(stderr, "bench_cgfs_depth: rmdir stopped: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
	return -errno;
}

/* The same chain through cgfs alone, by full path. Return: 0 or the error. */
static int chain_in_process(struct live_cgfs *fs, int depth, uint64_t *made, uint64_t *removed)
{
	char *path = malloc((size_t)depth * 2 + 2);
	size_t len = 0;
	uint64_t t;
	int ret = 0;

	if (!path)
		return -ENOMEM;
	t = bench_now_ns();
	for (int i = 0; i < depth && !ret; i++) {
		memcpy(path + len, "/d", 3);
		len += 2;
		ret = live_cgfs_mkdir(fs, path);
	}
	*made = bench_now_ns() - t;
	t = bench_now_ns();
	for (int i = 0; i < depth && !ret; i++) {
		ret = live_cgfs_rmdir(fs, path);
		len -= 2;
		path[len] = '\0';
	}
	*removed = bench_now_ns() - t;
	free(path);
	return ret;
}

static int run(struct live_cgfs *fs, const char *mnt, int depth)
{
	uint64_t q[QUARTERS] = {0}, total = 0, t, made = 0, removed = 0;
	char buf[256];
	char *path;
	int top, ret, fd;
	struct stat st;
	ssize_t n;

	top = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return -errno;
	ret = chain_through_mount(mnt, depth, q, &total);
	if (ret)
		goto out;
	printf("chain %d deep through the mount (mkdir d; cd d): %.3f s, %.1f us per level\n",
	       depth, secs(total), (double)total / 1e3 / depth);
	for (int i = 0; i < QUARTERS; i++)
		printf("  levels %4d-%4d: %.3f s, %.1f us per level\n", i * (depth / QUARTERS) + 1,
		       (i + 1) * (depth / QUARTERS), secs(q[i]),
		       (double)q[i] / 1e3 / (depth / QUARTERS));
	printf("target (< %.0f s for 1000 levels): %s\n", TARGET_SECONDS,
	       depth < 1000		      ? "not measured (--depth below 1000)"
	       : secs(total) < TARGET_SECONDS ? "met"
					      : "NOT met");

	path = chain_path(depth, epc_cgroup_file_type(EPC_CGF_PROCS)->name);
	if (!path) {
		ret = -ENOMEM;
		goto out;
	}
	t = bench_now_ns();
	ret = fstatat(top, path, &st, 0) ? -errno : 0;
	printf("stat of the bottom's cgroup.procs by a %zu-byte path: %.1f us\n", strlen(path),
	       (double)(bench_now_ns() - t) / 1e3);
	t = bench_now_ns();
	fd = ret ? -1 : openat(top, path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	printf("open+read of it: %.1f us (%zd bytes)\n", (double)(bench_now_ns() - t) / 1e3, n);
	free(path);
	if (ret || n < 0) {
		ret = ret ? ret : -EIO;
		goto out;
	}
	t = bench_now_ns();
	ret = unchain_through_mount(top, depth);
	printf("rmdir of the chain, bottom-up: %.3f s\n", secs(bench_now_ns() - t));
	if (ret)
		goto out;
	ret = chain_in_process(fs, depth, &made, &removed);
	printf("the same chain through cgfs alone (full paths): mkdir %.3f s, rmdir %.3f s\n",
	       secs(made), secs(removed));
out:
	close(top);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct epc_section_desc sec = {0x100000, EPC_PAGES * 4096, 0};
	struct epc_config cfg = {.nr_nodes = 1,
				 .sections = &sec,
				 .nr_sections = 1,
				 .background = EPC_BACKGROUND_MANUAL,
				 .log = quiet};
	char mnt[] = "/tmp/bench-cgfs-depth.XXXXXX";
	struct live_fuse *fuse = NULL;
	struct live_cgfs *fs = NULL;
	struct epc *epc = NULL;
	int depth = DEFAULT_DEPTH, ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--depth") && i + 1 < argc) {
			depth = atoi(argv[++i]);
		} else {
			printf("usage: %s [--depth N]   (N >= %d, default %d)\n", argv[0], QUARTERS,
			       DEFAULT_DEPTH);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (depth < QUARTERS) {
		fprintf(stderr, "bench_cgfs_depth: --depth must be at least %d\n", QUARTERS);
		return 2;
	}
	ret = enter_namespace();
	if (ret) {
		printf("SKIP: needs root and /dev/fuse for a FUSE mount in a private namespace "
		       "(%s)\n",
		       strerror(-ret));
		return 77;
	}
	if (!mkdtemp(mnt)) {
		perror("bench_cgfs_depth: mkdtemp");
		return 1;
	}
	ret = epc_create2(&cfg, sizeof(cfg), &epc);
	if (!ret)
		ret = epc_sanitize_wait(epc);
	if (!ret)
		ret = live_cgfs_create(epc, &fs);
	if (!ret)
		ret = live_fuse_mount(fs, mnt, &fuse);
	if (ret == -EOPNOTSUPP) {
		printf("SKIP: built without libfuse3\n");
		ret = 77;
		goto out;
	}
	if (!ret)
		ret = run(fs, mnt, depth);
	if (ret < 0)
		fprintf(stderr, "bench_cgfs_depth: %s\n", strerror(-ret));
out:
	live_fuse_unmount(fuse);
	live_cgfs_destroy(fs);
	epc_destroy(epc);
	rmdir(mnt);
	return ret == 77 ? 77 : ret ? 1 : 0;
}
