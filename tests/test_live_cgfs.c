// SPDX-License-Identifier: MIT
/*
 * test_live_cgfs.c - the cgroupfs (live/cgfs.c) in-process, without FUSE, so
 * its semantics are tested where the mount cannot be (not root, no
 * /dev/fuse): the files each directory lists, byte-exact reads, the
 * kernel's errors for mkdir, rmdir and writes, cgroup.subtree_control,
 * cgroup.procs with a pid and with 0, members leaving when they exit, and
 * tasks charged where their process is a member.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "cgfs.h"

#define EPC_PAGES 64

struct fx {
	struct epc *epc;
	struct live_cgfs *fs;
};

static void quiet(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

static int setup(void **state)
{
	static const struct epc_section_desc sec = {0x100000, EPC_PAGES * 4096, 0};
	struct epc_config cfg = {.nr_nodes = 1,
				 .sections = &sec,
				 .nr_sections = 1,
				 .background = EPC_BACKGROUND_MANUAL,
				 .log = quiet};
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx || epc_create(&cfg, &fx->epc) || epc_sanitize_wait(fx->epc) ||
	    live_cgfs_create(fx->epc, &fx->fs))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	live_cgfs_destroy(fx->fs);
	epc_destroy(fx->epc);
	free(fx);
	return 0;
}

static void expect(struct live_cgfs *fs, const char *path, const char *want)
{
	char buf[512];
	ssize_t n = live_cgfs_read(fs, path, buf, sizeof(buf));

	if (n < 0)
		fail_msg("reading %s: %s", path, strerror((int)-n));
	CHECK_EQ(n, strlen(want), path);
	if (strcmp(buf, want))
		fail_msg("%s reads '%s', expected '%s'", path, buf, want);
}

static int wr(struct live_cgfs *fs, const char *path, const char *text)
{
	return live_cgfs_write(fs, path, text, strlen(text), getpid());
}

struct names {
	char buf[1024];
};

static int collect(void *arg, const char *name, bool is_dir)
{
	struct names *n = arg;

	strcat(n->buf, name);
	strcat(n->buf, is_dir ? "/ " : " ");
	return 0;
}

static void test_live_cgfs_files_listed(void **state)
{
	struct fx *fx = *state;
	struct names n = {{0}};
	enum live_cgfs_kind k;

	CHECK_EQ(live_cgfs_readdir(fx->fs, "/", collect, &n), 0, "list the root");
	CHECK(!strcmp(n.buf, "cgroup.procs cgroup.controllers cgroup.subtree_control misc.capacity "
			     "misc.current misc.peak "),
	      n.buf);
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a"), 0, "mkdir /a");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/b"), 0, "mkdir /a/b");
	n.buf[0] = '\0';
	CHECK_EQ(live_cgfs_readdir(fx->fs, "/a", collect, &n), 0, "list /a");
	CHECK(!strcmp(n.buf, "b/ cgroup.procs cgroup.controllers cgroup.subtree_control "
			     "cgroup.events memory.current memory.events memory.events.local "
			     "memory.max memory.peak misc.current misc.events misc.events.local "
			     "misc.max misc.peak "),
	      n.buf);
	CHECK_EQ(live_cgfs_readdir(fx->fs, "/nope", collect, &n), -ENOENT, "list a missing dir");
	CHECK_EQ(live_cgfs_stat(fx->fs, "/a", &k), 0, "stat /a");
	CHECK_EQ(k, LIVE_CGFS_DIR, "/a is a directory");
	CHECK_EQ(live_cgfs_stat(fx->fs, "/a/misc.max", &k), 0, "stat misc.max");
	CHECK_EQ(k, LIVE_CGFS_FILE_RW, "misc.max is writable");
	CHECK_EQ(live_cgfs_stat(fx->fs, "/a/misc.current", &k), 0, "stat misc.current");
	CHECK_EQ(k, LIVE_CGFS_FILE_RO, "misc.current is read-only");
	CHECK_EQ(live_cgfs_stat(fx->fs, "/a/misc.capacity", &k), -ENOENT,
		 "no capacity below the root");
	CHECK_EQ(live_cgfs_stat(fx->fs, "/cgroup.events", &k), -ENOENT,
		 "no cgroup.events at the root");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a/b"), 0, "rmdir /a/b");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a"), 0, "rmdir /a");
}

static void test_live_cgfs_mkdir_rmdir_errors(void **state)
{
	struct fx *fx = *state;

	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a"), 0, "mkdir /a");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a"), -EEXIST, "mkdir /a twice");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/misc.max"), -EEXIST, "mkdir over a file's name");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/x/y"), -ENOENT, "mkdir without a parent");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/b c"), -EINVAL, "a name the library refuses");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/b"), 0, "mkdir /a/b");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a"), -EBUSY, "rmdir with a child");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/"), -EBUSY, "rmdir the root");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/zz"), -ENOENT, "rmdir a missing cgroup");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a/b"), 0, "rmdir /a/b");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a"), 0, "rmdir /a");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a"), -ENOENT, "rmdir /a twice");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a"), 0, "the name can be taken again");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a"), 0, "rmdir it");
}

static void test_live_cgfs_files_byte_exact(void **state)
{
	struct fx *fx = *state;

	expect(fx->fs, "/misc.capacity", "sgx_epc 262144\n");
	expect(fx->fs, "/misc.current", "sgx_epc 0\n");
	expect(fx->fs, "/cgroup.controllers", "memory misc\n");
	expect(fx->fs, "/cgroup.subtree_control", "\n");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a"), 0, "mkdir /a");
	expect(fx->fs, "/a/cgroup.controllers", "\n");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "+misc +memory\n"), 0, "enable both");
	expect(fx->fs, "/cgroup.subtree_control", "memory misc\n");
	expect(fx->fs, "/a/cgroup.controllers", "memory misc\n");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-memory"), 0, "disable memory");
	expect(fx->fs, "/cgroup.subtree_control", "misc\n");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "+misc +cpu"), -EINVAL,
		 "unknown controller");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "misc"), -EINVAL, "no sign");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-misc +"), -EINVAL, "a bare sign");
	expect(fx->fs, "/cgroup.subtree_control", "misc\n");
	CHECK_EQ(wr(fx->fs, "/a/cgroup.subtree_control", "+memory"), -ENOENT,
		 "a controller the parent does not offer");
	expect(fx->fs, "/a/misc.max", "sgx_epc max\n");
	CHECK_EQ(wr(fx->fs, "/a/misc.max", "sgx_epc 8192\n"), 0, "set misc.max");
	expect(fx->fs, "/a/misc.max", "sgx_epc 8192\n");
	CHECK_EQ(wr(fx->fs, "/a/misc.max", "sgx_epc abc"), -EINVAL, "bad misc.max");
	CHECK_EQ(wr(fx->fs, "/a/misc.max", "sgx_epc 99999999999999999999"), -ERANGE, "too big");
	expect(fx->fs, "/a/misc.max", "sgx_epc 8192\n");
	CHECK_EQ(wr(fx->fs, "/a/misc.current", "1"), -EACCES, "misc.current is read-only");
	CHECK_EQ(wr(fx->fs, "/a/cgroup.events", "1"), -EACCES, "cgroup.events is read-only");
	CHECK_EQ(wr(fx->fs, "/a/cgroup.controllers", "1"), -EACCES, "cgroup.controllers too");
	CHECK_EQ(wr(fx->fs, "/a/nope", "1"), -ENOENT, "no such file");
	CHECK_EQ(wr(fx->fs, "/a", "1"), -EISDIR, "a directory");
	expect(fx->fs, "/a/misc.events", "sgx_epc.max 0\n");
	expect(fx->fs, "/a/cgroup.events", "populated 0\nfrozen 0\n");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a"), 0, "rmdir /a");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-misc"), 0, "disable misc");
}

static void test_live_cgfs_procs_and_charges(void **state)
{
	struct fx *fx = *state;
	char want[32], path[64];
	struct epc_task *t;
	struct epc_encl *e;
	int status;
	pid_t child;

	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/p"), 0, "mkdir /p");
	CHECK_EQ(wr(fx->fs, "/p/cgroup.procs", "0"), 0, "0: the writer joins");
	snprintf(want, sizeof(want), "%d\n", (int)getpid());
	expect(fx->fs, "/p/cgroup.procs", want);
	expect(fx->fs, "/p/cgroup.events", "populated 1\nfrozen 0\n");
	live_cgfs_pid_path(fx->fs, getpid(), path, sizeof(path));
	CHECK(!strcmp(path, "/p"), path);
	CHECK_EQ(wr(fx->fs, "/p/cgroup.procs", "abc"), -EINVAL, "not a number");
	CHECK_EQ(wr(fx->fs, "/p/cgroup.procs", "-1"), -EINVAL, "negative");
	CHECK_EQ(wr(fx->fs, "/p/cgroup.procs", "2147483647"), -ESRCH, "no such process");

	/* A task entering for our pid is charged to /p. */
	CHECK_EQ(epc_task_create(fx->epc, NULL, 0, &t), 0, "a task");
	CHECK_EQ(live_cgfs_task_enter(fx->fs, getpid(), t), 0, "enter");
	CHECK_EQ(epc_encl_create(t, 4096, &e), 0, "an enclave");
	CHECK_EQ(epc_encl_add_page(t, e, 0, NULL), 0, "a page");
	live_cgfs_task_leave(fx->fs, t);
	expect(fx->fs, "/p/misc.current", "sgx_epc 12288\n");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/p"), -EBUSY, "rmdir with a member");
	epc_encl_destroy(e);
	epc_task_destroy(t);
	expect(fx->fs, "/p/misc.current", "sgx_epc 0\n");

	/* A child joins, then exits: it leaves at once. */
	snprintf(want, sizeof(want), "%d", (int)getpid());
	CHECK_EQ(wr(fx->fs, "/cgroup.procs", want), 0, "back to the root");
	expect(fx->fs, "/p/cgroup.procs", "");
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		pause();
		_exit(0);
	}
	snprintf(want, sizeof(want), "%d\n", (int)child);
	CHECK_EQ(wr(fx->fs, "/p/cgroup.procs", want), 0, "the child joins /p");
	expect(fx->fs, "/p/cgroup.procs", want);
	CHECK_EQ(live_cgfs_adopt(fx->fs, child), 0, "adopt a member: no change");
	kill(child, SIGKILL);
	CHECK_EQ(waitpid(child, &status, 0), child, "reap it");
	expect(fx->fs, "/p/cgroup.procs", "");
	expect(fx->fs, "/p/cgroup.events", "populated 0\nfrozen 0\n");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/p"), 0, "rmdir after the last member exited");
}

/* A process in no cgroup inherits its nearest member ancestor's on adopt. */
static void test_live_cgfs_child_inherits(void **state)
{
	struct fx *fx = *state;
	char path[64];
	int status, pipefd[2];
	pid_t child;
	char ch;

	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/i"), 0, "mkdir /i");
	CHECK_EQ(wr(fx->fs, "/i/cgroup.procs", "0"), 0, "we join /i");
	CHECK_EQ(pipe(pipefd), 0, "pipe");
	child = fork();
	CHECK(child >= 0, "fork");
	if (child == 0) {
		ssize_t r = read(pipefd[0], &ch, 1);

		_exit(r == 1 ? 0 : 1);
	}
	CHECK_EQ(live_cgfs_adopt(fx->fs, child), 0, "adopt the child");
	live_cgfs_pid_path(fx->fs, child, path, sizeof(path));
	CHECK(!strcmp(path, "/i"), "the child inherited /i");
	CHECK_EQ(write(pipefd[1], "x", 1), 1, "release the child");
	CHECK_EQ(waitpid(child, &status, 0), child, "reap it");
	close(pipefd[0]);
	close(pipefd[1]);
	snprintf(path, sizeof(path), "%d", (int)getpid());
	CHECK_EQ(wr(fx->fs, "/cgroup.procs", path), 0, "back to the root");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/i"), 0, "rmdir /i");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_live_cgfs_files_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_mkdir_rmdir_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_files_byte_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_procs_and_charges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_child_inherits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
