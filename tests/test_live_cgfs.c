// SPDX-License-Identifier: MIT
/*
 * test_live_cgfs.c - the cgroupfs (live/cgfs.c) in-process, without FUSE, so
 * its semantics are tested where the mount cannot be (not root, no
 * /dev/fuse): the files each directory lists, byte-exact reads, the
 * kernel's errors for mkdir, rmdir and writes, cgroup.subtree_control,
 * cgroup.procs with a pid and with 0, members leaving when they exit, tasks
 * charged where their process is a member, a member's child staying in its
 * cgroup after the member exited, pid reuse making no member, and the
 * fallback (no fork events) walking live parents; and what issue 15 found
 * different from the kernel: names, subtree_control's rules, write sizes
 * and number forms, EMFILE, a chain deeper than PATH_MAX, attributes, and
 * the mount's calls by inode number.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/sched.h>

#include <cmocka.h>

#include "check.h"

#include "cgfs.h"
#include "fusefs.h"

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

	if (!fx || epc_create2(&cfg, sizeof(cfg), &fx->epc) || epc_sanitize_wait(fx->epc) ||
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
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/b\nc"), -EINVAL, "a name with a newline");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/"), -EINVAL, "an empty name");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/."), -EEXIST, "mkdir .");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/.."), -EEXIST, "mkdir ..");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/b"), 0, "mkdir /a/b");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a"), -EBUSY, "rmdir with a child");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/"), -EBUSY, "rmdir the root");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/zz"), -ENOENT, "rmdir a missing cgroup");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a/misc.max"), -ENOTDIR, "rmdir a file");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a/misc.max/b"), -ENOENT, "rmdir below a file");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/zz/b"), -ENOENT, "rmdir below a missing cgroup");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "a/b"), -ENOENT, "rmdir of a relative path");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a/"), -ENOENT, "rmdir of an empty name");
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

	/* A task following our pid is charged to /p. */
	CHECK_EQ(epc_task_create(fx->epc, NULL, 0, &t), 0, "a task");
	CHECK_EQ(epc_task_follow(t, (uint64_t)getpid()), 0, "follow our pid");
	CHECK_EQ(epc_encl_create(t, 4096, &e), 0, "an enclave");
	CHECK_EQ(epc_encl_add_page2(t, e, 0, NULL, EPC_SECINFO_REG_RWX), 0, "a page");
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

/* The tests that need the kernel's fork events say SKIP without them (not
 * root, not in the initial namespaces): the fallback cannot pass them. */
static bool have_fork_events(struct fx *fx)
{
	if (live_cgfs_follows_forks(fx->fs))
		return true;
	print_message("SKIP: no proc connector (needs root in the initial pid and user "
		      "namespaces): membership falls back to the live-parent walk\n");
	return false;
}

/* Read a pid_t from @fd. */
static pid_t read_pid(int fd)
{
	pid_t pid = -1;

	if (read(fd, &pid, sizeof(pid)) != sizeof(pid))
		return -1;
	return pid;
}

/* The parent pid /proc shows for @pid, or -1. */
static long ppid_of(pid_t pid)
{
	char name[64], line[256];
	long ppid = -1;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/status", (int)pid);
	f = fopen(name, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "PPid:", 5))
			ppid = strtol(line + 5, NULL, 10);
	fclose(f);
	return ppid;
}

/* Wait until @path's cgroup.procs reads @want (a member exited). */
static void wait_procs(struct live_cgfs *fs, const char *path, const char *want)
{
	char file[128], buf[256] = "";

	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	for (int ms = 0; ms < 5000; ms += 10) {
		if (live_cgfs_read(fs, file, buf, sizeof(buf)) >= 0 && !strcmp(buf, want))
			return;
		usleep(10000);
	}
	fail_msg("%s reads '%s', expected '%s'", file, buf, want);
}

/*
 * Issue 15 item 5: a "shell" joins /esc2 (a two-page limit), forks a client
 * and exits before the client connects. The client, reparented away from
 * the shell, must still be in /esc2 - the kernel keeps every descendant of a
 * member in its cgroup - and its charges must meet /esc2's limit. The
 * live-parent walk found no member ancestor and put it in the root.
 */
static void test_live_cgfs_orphan_stays_in_cgroup(void **state)
{
	struct fx *fx = *state;
	int go[2], back[2], release[2], status;
	char text[32], path[64];
	struct epc_task *t;
	struct epc_encl *e;
	pid_t shell, client;

	if (!have_fork_events(fx)) {
		skip();
		return;
	}
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/esc2"), 0, "mkdir /esc2");
	CHECK_EQ(wr(fx->fs, "/esc2/misc.max", "sgx_epc 8192"), 0, "a two-page limit");
	CHECK(!pipe(go) && !pipe(back) && !pipe(release), "pipes");
	shell = fork();
	CHECK(shell >= 0, "fork the shell");
	if (shell == 0) {
		char ch;
		pid_t c;

		close(release[1]);	      /* the client must see EOF */
		if (read(go[0], &ch, 1) != 1) /* until it is a member */
			_exit(1);
		c = fork();
		if (c == 0) {
			ssize_t r = read(release[0], &ch, 1); /* EOF when the test is done */

			_exit(r == 0 ? 0 : 1);
		}
		_exit(write(back[1], &c, sizeof(c)) == sizeof(c) ? 0 : 1);
	}
	snprintf(text, sizeof(text), "%d", (int)shell);
	CHECK_EQ(wr(fx->fs, "/esc2/cgroup.procs", text), 0, "the shell joins /esc2");
	CHECK_EQ(write(go[1], "x", 1), 1, "let the shell fork");
	client = read_pid(back[0]);
	CHECK(client > 0, "the client's pid");
	CHECK_EQ(waitpid(shell, &status, 0), shell, "the shell exited");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the shell's exit status");
	CHECK(ppid_of(client) != shell, "the client was reparented");

	CHECK_EQ(live_cgfs_adopt(fx->fs, client), 0, "the client connects");
	live_cgfs_pid_path(fx->fs, client, path, sizeof(path));
	if (strcmp(path, "/esc2"))
		fail_msg("the orphaned client is in '%s', expected /esc2: its limit escaped", path);
	snprintf(text, sizeof(text), "%d\n", (int)client);
	expect(fx->fs, "/esc2/cgroup.procs", text); /* the shell left, its child is there */

	/* Its charges meet /esc2's limit: the SECS and a VA page fit, the
	 * first page of contents does not (in the root it would). */
	CHECK_EQ(epc_task_create(fx->epc, NULL, 0, &t), 0, "a task");
	CHECK_EQ(epc_task_follow(t, (uint64_t)client), 0, "the task follows the client's pid");
	CHECK_EQ(epc_encl_create(t, 4096, &e), 0, "an enclave: 2 pages");
	CHECK_EQ(epc_encl_add_page2(t, e, 0, NULL, EPC_SECINFO_REG_RWX), -ENOMEM,
		 "a third page over the limit");
	expect(fx->fs, "/esc2/misc.current", "sgx_epc 8192\n");
	expect(fx->fs, "/esc2/misc.events", "sgx_epc.max 1\n");
	expect(fx->fs, "/misc.current", "sgx_epc 8192\n");
	epc_encl_destroy(e);
	epc_task_destroy(t);

	close(release[1]); /* the client exits (init reaps it) */
	wait_procs(fx->fs, "/esc2", "");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/esc2"), 0, "rmdir /esc2");
	close(go[0]);
	close(go[1]);
	close(back[0]);
	close(back[1]);
	close(release[0]);
}

/* A process created with exactly pid @pid (clone3's set_tid), running @fn
 * in the child. Return: its pid; -errno (-EPERM without CAP_SYS_ADMIN). The
 * child uses raw system calls only: the test has threads, and clone3 runs
 * no fork handlers. */
static pid_t spawn_at(pid_t pid, void (*fn)(void *arg), void *arg)
{
	pid_t tid = pid;
	struct clone_args ca = {
		.exit_signal = SIGCHLD, .set_tid = (uintptr_t)&tid, .set_tid_size = 1};
	long r = syscall(SYS_clone3, &ca, sizeof(ca));

	if (r < 0)
		return -errno;
	if (r == 0) {
		fn(arg);
		syscall(SYS_exit_group, 0);
	}
	return (pid_t)r;
}

struct reuse {
	int up[2];   /* the child reports a pid */
	int hold[2]; /* EOF: everything exits */
};

/* Block until the test closes its end of reuse->hold. */
static void reuse_hold(struct reuse *r)
{
	char ch;

	syscall(SYS_close, r->hold[1]);
	while (syscall(SYS_read, r->hold[0], &ch, 1) > 0)
		;
}

/* The new owner of a reused pid: forks a child, reports it, holds. */
static void reuse_new_owner(void *arg)
{
	struct reuse *r = arg;
	pid_t child;

	syscall(SYS_close, r->hold[1]);
	child = (pid_t)syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);

	if (child == 0) {
		reuse_hold(r);
		syscall(SYS_exit_group, 0);
	}
	syscall(SYS_write, r->up[1], &child, sizeof(child));
	reuse_hold(r);
	syscall(SYS_wait4, child, NULL, 0, NULL);
}

static void reuse_just_hold(void *arg)
{
	reuse_hold(arg);
}

/* Say SKIP unless @pid < 0 is a refusal we can name. */
static bool spawn_refused(pid_t pid)
{
	if (pid >= 0)
		return false;
	print_message("SKIP: clone3 with set_tid refused (%s): the pid reuse cannot be staged\n",
		      strerror((int)-pid));
	return true;
}

/*
 * Pid reuse never makes a member: a member exits, its pid goes to an
 * unrelated process (clone3's set_tid), which forks. The member's exit
 * event comes before the new owner's fork in the stream, so the fork does
 * not count, however late the events are read.
 */
static void test_live_cgfs_reused_member_pid(void **state)
{
	struct fx *fx = *state;
	struct reuse r;
	char text[32], path[64];
	int status;
	pid_t old, owner, child;

	if (!have_fork_events(fx)) {
		skip();
		return;
	}
	CHECK(!pipe(r.up) && !pipe(r.hold), "pipes");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/r"), 0, "mkdir /r");
	old = fork();
	CHECK(old >= 0, "fork the member");
	if (old == 0) {
		pause();
		_exit(0);
	}
	snprintf(text, sizeof(text), "%d", (int)old);
	CHECK_EQ(wr(fx->fs, "/r/cgroup.procs", text), 0, "it joins /r");
	kill(old, SIGKILL);
	CHECK_EQ(waitpid(old, &status, 0), old, "reap it: its pid is free");
	owner = spawn_at(old, reuse_new_owner, &r);
	if (spawn_refused(owner)) {
		skip();
		return;
	}
	CHECK_EQ(owner, old, "the new owner has the member's pid");
	child = read_pid(r.up[0]);
	CHECK(child > 0, "the new owner's child");
	CHECK_EQ(live_cgfs_adopt(fx->fs, child), 0, "its child connects");
	live_cgfs_pid_path(fx->fs, child, path, sizeof(path));
	if (strcmp(path, "/"))
		fail_msg("a child of the new owner of a member's pid is in '%s'", path);
	CHECK_EQ(live_cgfs_adopt(fx->fs, owner), 0, "the new owner connects");
	live_cgfs_pid_path(fx->fs, owner, path, sizeof(path));
	if (strcmp(path, "/"))
		fail_msg("the new owner of a member's pid is in '%s'", path);
	expect(fx->fs, "/r/cgroup.procs", "");
	close(r.hold[1]);
	CHECK_EQ(waitpid(owner, &status, 0), owner, "the new owner exits");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/r"), 0, "rmdir /r");
	close(r.hold[0]);
	close(r.up[0]);
	close(r.up[1]);
}

/* The member's own child: forks a grandchild that exits at once, reaps it,
 * reports its pid, holds. */
static void reuse_member(struct reuse *r, int go)
{
	char ch;
	pid_t c;

	close(r->hold[1]);
	if (read(go, &ch, 1) != 1)
		_exit(1);
	c = fork();
	if (c == 0)
		_exit(0);
	if (waitpid(c, NULL, 0) != c || write(r->up[1], &c, sizeof(c)) != sizeof(c))
		_exit(1);
	reuse_hold(r);
	_exit(0);
}

/*
 * The other reuse: a member's child exits before its fork event is read
 * and its pid goes to an unrelated process. The child's exit event comes
 * before the new owner's fork: the new owner is no member.
 */
static void test_live_cgfs_reused_child_pid(void **state)
{
	struct fx *fx = *state;
	struct reuse r;
	char text[32], path[64];
	int go[2], status;
	pid_t member, gone, owner;

	if (!have_fork_events(fx)) {
		skip();
		return;
	}
	CHECK(!pipe(r.up) && !pipe(r.hold) && !pipe(go), "pipes");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/r2"), 0, "mkdir /r2");
	member = fork();
	CHECK(member >= 0, "fork the member");
	if (member == 0)
		reuse_member(&r, go[0]);
	snprintf(text, sizeof(text), "%d", (int)member);
	CHECK_EQ(wr(fx->fs, "/r2/cgroup.procs", text), 0, "it joins /r2");
	CHECK_EQ(write(go[1], "x", 1), 1, "let it fork");
	gone = read_pid(r.up[0]);
	CHECK(gone > 0, "its child came and went");
	owner = spawn_at(gone, reuse_just_hold, &r);
	if (spawn_refused(owner)) {
		close(r.hold[1]);
		waitpid(member, &status, 0);
		skip();
		return;
	}
	CHECK_EQ(owner, gone, "the new owner has the child's pid");
	CHECK_EQ(live_cgfs_adopt(fx->fs, owner), 0, "the new owner connects");
	live_cgfs_pid_path(fx->fs, owner, path, sizeof(path));
	if (strcmp(path, "/"))
		fail_msg("the new owner of a member's child's pid is in '%s'", path);
	snprintf(text, sizeof(text), "%d\n", (int)member);
	expect(fx->fs, "/r2/cgroup.procs", text);
	close(r.hold[1]);
	CHECK_EQ(waitpid(owner, &status, 0), owner, "the new owner exits");
	CHECK_EQ(waitpid(member, &status, 0), member, "the member exits");
	expect(fx->fs, "/r2/cgroup.procs", "");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/r2"), 0, "rmdir /r2");
	close(r.hold[0]);
	close(r.up[0]);
	close(r.up[1]);
	close(go[0]);
	close(go[1]);
}

/* The fallback, in a process without CAP_NET_ADMIN. Return: 0; the step
 * that failed. */
static int fallback_walk(void)
{
	static const struct epc_section_desc sec = {0x100000, EPC_PAGES * 4096, 0};
	struct epc_config cfg = {.nr_nodes = 1,
				 .sections = &sec,
				 .nr_sections = 1,
				 .background = EPC_BACKGROUND_MANUAL,
				 .log = quiet};
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	int hold[2], ret = 0;
	struct live_cgfs *fs;
	struct epc *epc;
	char path[64];
	pid_t child;

	if (syscall(SYS_capget, &h, d))
		return 1;
	d[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
	if (syscall(SYS_capset, &h, d))
		return 2;
	if (epc_create2(&cfg, sizeof(cfg), &epc) || epc_sanitize_wait(epc) ||
	    live_cgfs_create(epc, &fs))
		return 3;
	if (live_cgfs_follows_forks(fs))
		ret = 4; /* the connector without CAP_NET_ADMIN? */
	else if (live_cgfs_mkdir(fs, "/w") || wr(fs, "/w/cgroup.procs", "0") || pipe(hold))
		ret = 5;
	else if ((child = fork()) == 0) {
		char ch;

		close(hold[1]);
		_exit(read(hold[0], &ch, 1) == 0 ? 0 : 1);
	} else if (child < 0 || live_cgfs_adopt(fs, child))
		ret = 6;
	else {
		live_cgfs_pid_path(fs, child, path, sizeof(path));
		ret = strcmp(path, "/w") ? 7 : 0; /* found through its live parent */
		close(hold[1]);
		waitpid(child, NULL, 0);
	}
	live_cgfs_destroy(fs);
	epc_destroy(epc);
	return ret;
}

/* Without fork events (no CAP_NET_ADMIN here) cgfs says so and a client in
 * no cgroup joins its nearest live member ancestor's when it connects. */
static void test_live_cgfs_fallback_walk(void **state)
{
	static const char *const steps[] = {
		"ok",
		"capget",
		"capset",
		"create",
		"fork events without CAP_NET_ADMIN",
		"mkdir or join",
		"fork or adopt",
		"the child did not inherit /w",
	};
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0)
		_exit(fallback_walk());
	CHECK_EQ(waitpid(pid, &status, 0), pid, "wait for it");
	CHECK(WIFEXITED(status), "it exited");
	if (WEXITSTATUS(status))
		fail_msg("the fallback: %s",
			 WEXITSTATUS(status) < 8 ? steps[WEXITSTATUS(status)] : "exit status");
}

/* Names as the kernel takes them (issue 15): any bytes but '/' and '\n';
 * two that the library would name alike stay two cgroups, each its own. */
static void test_live_cgfs_names_as_the_kernel(void **state)
{
	static const char *const names[] = {
		"/user@1000.service", "/a b",	     "/a:b",	  "/a_b",
		"/\xc3\xa9",	      "/cgroup.foo", "/misc.foo", "/x.slice"};
	struct fx *fx = *state;
	struct names n = {{0}};
	char path[4200], want[64];
	size_t nr = sizeof(names) / sizeof(names[0]);

	for (size_t i = 0; i < nr; i++) {
		struct epc_cgroup *cg = NULL;
		char lib[64];

		CHECK_EQ(live_cgfs_mkdir(fx->fs, names[i]), 0, names[i]);
		/* the directory is the library's cgroup: same name, same path */
		CHECK_EQ(epc_cgroup_lookup(fx->epc, names[i], &cg), 0, names[i]);
		CHECK_EQ(epc_cgroup_path(cg, lib, sizeof(lib)), (ssize_t)strlen(names[i]),
			 names[i]);
		CHECK(!strcmp(lib, names[i]), lib);
		CHECK_EQ(epc_cgroup_put(cg), 0, "put");
	}
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a\nb"), -EINVAL, "a newline");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/."), -EEXIST, "\".\" exists");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/.."), -EEXIST, "\"..\" exists");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/cgroup.procs"), -EEXIST, "a file of the root");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/"), -EINVAL, "an empty name");
	CHECK_EQ(live_cgfs_readdir(fx->fs, "/", collect, &n), 0, "list the root");
	CHECK(!strncmp(
		      n.buf, "user@1000.service/ a b/ a:b/ a_b/ \xc3\xa9/ cgroup.foo/ misc.foo/ ",
		      strlen("user@1000.service/ a b/ a:b/ a_b/ \xc3\xa9/ cgroup.foo/ misc.foo/ ")),
	      n.buf);
	/* "a b", "a:b" and "a_b" are each their own cgroup */
	for (size_t i = 1; i <= 3; i++) {
		snprintf(path, sizeof(path), "%s/misc.max", names[i]);
		snprintf(want, sizeof(want), "sgx_epc %zu\n", 4096 * i);
		CHECK_EQ(wr(fx->fs, path, want), 0, path);
	}
	for (size_t i = 1; i <= 3; i++) {
		snprintf(path, sizeof(path), "%s/misc.max", names[i]);
		snprintf(want, sizeof(want), "sgx_epc %zu\n", 4096 * i);
		expect(fx->fs, path, want);
	}
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a b/misc.max"), -EEXIST, "a file's name");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a b/misc.capacity"), 0, "not a file of a child: free");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a b/misc.capacity"), 0, "rmdir it");
	/* the longest name a path can hold, and one byte more */
	path[0] = '/';
	memset(path + 1, 'n', LIVE_CGFS_NAME_MAX);
	path[1 + LIVE_CGFS_NAME_MAX] = '\0';
	CHECK_EQ(live_cgfs_mkdir(fx->fs, path), 0, "a name of LIVE_CGFS_NAME_MAX bytes");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, path), 0, "rmdir it");
	path[1 + LIVE_CGFS_NAME_MAX] = 'n';
	path[2 + LIVE_CGFS_NAME_MAX] = '\0';
	CHECK_EQ(live_cgfs_mkdir(fx->fs, path), -ENAMETOOLONG, "one byte more");
	for (size_t i = 0; i < nr; i++)
		CHECK_EQ(live_cgfs_rmdir(fx->fs, names[i]), 0, names[i]);
}

/* cgroup.subtree_control as cgroup_subtree_control_write() takes it. */
static void test_live_cgfs_subtree_control_as_the_kernel(void **state)
{
	struct fx *fx = *state;

	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a"), 0, "mkdir /a");
	CHECK_EQ(wr(fx->fs, "/a/cgroup.subtree_control", "-memory"), 0,
		 "disabling a controller the parent does not offer: a no-op");
	CHECK_EQ(wr(fx->fs, "/a/cgroup.subtree_control", "+misc -misc"), 0,
		 "the last one wins, before the parent is asked");
	CHECK_EQ(wr(fx->fs, "/a/cgroup.subtree_control", "-misc +misc"), -ENOENT,
		 "the last one wins, and the parent does not offer it");
	expect(fx->fs, "/a/cgroup.subtree_control", "\n");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-memory"), 0,
		 "disabling a controller that is off: a no-op");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "+misc -misc"), 0, "the last one wins");
	expect(fx->fs, "/cgroup.subtree_control", "\n");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-misc +misc"), 0, "the last one wins");
	expect(fx->fs, "/cgroup.subtree_control", "misc\n");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "+misc"), 0, "enabling it again: a no-op");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "  +memory   +misc \n"), 0,
		 "spaces around and between");
	expect(fx->fs, "/cgroup.subtree_control", "memory misc\n");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-memory\t-misc"), -EINVAL,
		 "only spaces separate");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a/b"), 0, "mkdir /a/b");
	CHECK_EQ(wr(fx->fs, "/a/cgroup.subtree_control", "+misc"), 0, "the child enables misc");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-misc"), -EBUSY,
		 "the parent cannot disable what a child enabled");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-memory -misc"), -EBUSY,
		 "nor with another");
	expect(fx->fs, "/cgroup.subtree_control", "memory misc\n");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-memory"), 0, "memory it can");
	CHECK_EQ(wr(fx->fs, "/a/cgroup.subtree_control", "-misc"), 0, "the child disables misc");
	CHECK_EQ(wr(fx->fs, "/cgroup.subtree_control", "-misc"), 0, "then the parent can");
	expect(fx->fs, "/cgroup.subtree_control", "\n");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a/b"), 0, "rmdir /a/b");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a"), 0, "rmdir /a");
}

/* Writes as kernfs and cgroup_procs_write() take them. */
static void test_live_cgfs_write_as_the_kernel(void **state)
{
	struct fx *fx = *state;
	char text[LIVE_CGFS_WRITE_MAX + 1], me[64];
	int n;

	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/w"), 0, "mkdir /w");
	/* at most a page */
	n = snprintf(me, sizeof(me), "%d", (int)getpid());
	memset(text, ' ', sizeof(text));
	memcpy(text + LIVE_CGFS_WRITE_MAX - n, me, (size_t)n);
	CHECK_EQ(live_cgfs_write(fx->fs, "/w/cgroup.procs", text, LIVE_CGFS_WRITE_MAX, getpid()), 0,
		 "a page");
	CHECK_EQ(live_cgfs_write(fx->fs, "/w/cgroup.procs", text, sizeof(text), getpid()), -E2BIG,
		 "a page and a byte");
	CHECK_EQ(live_cgfs_write(fx->fs, "/w/misc.max", text, sizeof(text), getpid()), -E2BIG,
		 "a library file too");
	/* the text ends at a NUL */
	CHECK_EQ(live_cgfs_write(fx->fs, "/w/misc.max", "sgx_epc 8192\0junk", 17, getpid()), 0,
		 "a NUL ends the text");
	expect(fx->fs, "/w/misc.max", "sgx_epc 8192\n");
	/* kstrtoint(strstrip(text), 0) */
	snprintf(me, sizeof(me), "+%d", (int)getpid());
	CHECK_EQ(wr(fx->fs, "/cgroup.procs", me), 0, "a '+' sign");
	snprintf(me, sizeof(me), "0x%x", (unsigned)getpid());
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", me), 0, "hex");
	snprintf(me, sizeof(me), "%d\n", (int)getpid());
	expect(fx->fs, "/w/cgroup.procs", me);
	snprintf(me, sizeof(me), "0%o", (unsigned)getpid());
	CHECK_EQ(wr(fx->fs, "/cgroup.procs", me), 0, "octal");
	expect(fx->fs, "/w/cgroup.procs", "");
	snprintf(me, sizeof(me), "\t\v %d \r\n\n", (int)getpid());
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", me), 0, "white space around");
	CHECK_EQ(wr(fx->fs, "/cgroup.procs", "-0"), 0, "-0: the writer");
	expect(fx->fs, "/w/cgroup.procs", "");
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", "08"), -EINVAL, "not octal");
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", "0x"), -EINVAL, "no hex digit");
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", "+-1"), -EINVAL, "two signs");
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", "-1"), -EINVAL, "negative");
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", "1 2"), -EINVAL, "two numbers");
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", "99999999999"), -EINVAL, "beyond an int");
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", " \n"), -EINVAL, "nothing");
	CHECK_EQ(wr(fx->fs, "/w/cgroup.procs", "0x7fffffff"), -ESRCH, "no such process");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/w"), 0, "rmdir /w");
}

/*
 * The tests that need a process of their own (out of descriptors, a mount
 * namespace) run in a fresh one: this program again, with --child WHAT. A
 * forked copy of this one would inherit the cgfs lock as another thread
 * (the process events') last left it, and unshare(CLONE_NEWNS) refuses a
 * process with threads. Return: the child's exit status; -1 if it died.
 */
static int run_child(const char *what)
{
	int status;
	pid_t child = fork();

	if (child == 0) {
		execl("/proc/self/exe", "test_live_cgfs", "--child", what, (char *)NULL);
		_exit(127);
	}
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* --child emfile: every descriptor below the lowest free one is taken, and
 * no more are allowed; then cgroup.procs is written. Return: 0 for EMFILE,
 * else the error (or 100 and up: a step before). */
static int child_emfile(struct live_cgfs *fs)
{
	struct rlimit rl;
	int fd, ret;

	if (live_cgfs_mkdir(fs, "/f"))
		return 100;
	fd = dup(0);
	if (fd < 0 || close(fd) || getrlimit(RLIMIT_NOFILE, &rl))
		return 101;
	rl.rlim_cur = (rlim_t)fd;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 102;
	ret = live_cgfs_write(fs, "/f/cgroup.procs", "0", 1, getpid());
	return ret == -EMFILE ? 0 : ret < 0 && ret > -100 ? -ret : 103;
}

/* Out of descriptors, a cgroup.procs write says so (it said ESRCH). */
static void test_live_cgfs_procs_write_out_of_fds(void **state)
{
	int status = run_child("emfile");

	(void)state;
	if (status > 0 && status < 100)
		fail_msg("cgroup.procs out of descriptors: %s, expected EMFILE", strerror(status));
	CHECK_EQ(status, 0, "EMFILE out of descriptors");
}

#define DEEP_LEVELS 300
#define DEEP_NAME   "level-of-a-chain" /* 16 bytes: the path passes 4096 at level 241 */

/* A chain hundreds deep, its path longer than PATH_MAX: every level works. */
static void test_live_cgfs_deep_chain(void **state)
{
	size_t step = strlen(DEEP_NAME) + 1, len = 0;
	char *path = malloc(DEEP_LEVELS * step + 64);
	struct fx *fx = *state;
	struct names n = {{0}};
	enum live_cgfs_kind k;
	char me[32];

	CHECK(path != NULL, "a path buffer");
	for (int i = 0; i < DEEP_LEVELS; i++) {
		len += (size_t)sprintf(path + len, "/%s", DEEP_NAME);
		if (live_cgfs_mkdir(fx->fs, path))
			fail_msg("mkdir at level %d (%zu-byte path) refused", i + 1, len);
	}
	CHECK(len > 4096, "the path is longer than PATH_MAX");
	CHECK_EQ(live_cgfs_stat(fx->fs, path, &k), 0, "stat the bottom");
	CHECK_EQ(k, LIVE_CGFS_DIR, "a directory");
	CHECK_EQ(live_cgfs_readdir(fx->fs, path, collect, &n), 0, "list the bottom");
	strcpy(path + len, "/misc.max");
	CHECK_EQ(wr(fx->fs, path, "sgx_epc 4096"), 0, "misc.max at the bottom");
	expect(fx->fs, path, "sgx_epc 4096\n");
	strcpy(path + len, "/cgroup.procs");
	CHECK_EQ(wr(fx->fs, path, "0"), 0, "join the bottom");
	snprintf(me, sizeof(me), "%d\n", (int)getpid());
	expect(fx->fs, path, me);
	CHECK_EQ(wr(fx->fs, "/cgroup.procs", "0"), 0, "back to the root");
	path[len] = '\0';
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/" DEEP_NAME), -EBUSY, "the top has a child");
	for (int i = DEEP_LEVELS; i > 0; i--) {
		if (live_cgfs_rmdir(fx->fs, path))
			fail_msg("rmdir at level %d refused", i);
		len -= step;
		path[len] = '\0';
	}
	free(path);
}

/* chmod, chown, touch: kept, shown, and obeyed by reads and writes. */
static void test_live_cgfs_attributes(void **state)
{
	struct fx *fx = *state;
	struct live_cgfs_attr a, in = {.mode = 0700, .uid = 1000, .gid = 1001};
	char buf[64];

	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/d"), 0, "mkdir /d");
	CHECK_EQ(live_cgfs_getattr(fx->fs, "/d", &a), 0, "getattr /d");
	CHECK_EQ(a.mode, 0755, "a new cgroup is 0755");
	CHECK_EQ(a.kind, LIVE_CGFS_DIR, "a directory");
	CHECK_EQ(live_cgfs_getattr(fx->fs, "/d/cgroup.procs", &a), 0, "getattr cgroup.procs");
	CHECK_EQ(a.mode, 0644, "cgroup.procs is 0644");
	CHECK_EQ(live_cgfs_getattr(fx->fs, "/d/misc.current", &a), 0, "getattr misc.current");
	CHECK_EQ(a.mode, 0444, "misc.current is 0444");
	CHECK_EQ(live_cgfs_setattr(fx->fs, "/d",
				   LIVE_CGFS_SET_MODE | LIVE_CGFS_SET_UID | LIVE_CGFS_SET_GID, &in,
				   &a),
		 0, "chmod and chown /d");
	CHECK(a.mode == 0700 && a.uid == 1000 && a.gid == 1001, "/d changed");
	CHECK_EQ(live_cgfs_getattr(fx->fs, "/d/cgroup.procs", &a), 0, "getattr cgroup.procs");
	CHECK(a.mode == 0644 && a.uid == getuid(), "its files did not");
	in.uid = 1000;
	CHECK_EQ(live_cgfs_setattr(fx->fs, "/d/cgroup.procs", LIVE_CGFS_SET_UID, &in, &a), 0,
		 "chown cgroup.procs (delegation)");
	CHECK_EQ(a.uid, 1000, "cgroup.procs changed");
	in.mtime = (struct timespec){.tv_sec = 1234567890};
	CHECK_EQ(live_cgfs_setattr(fx->fs, "/d/misc.max", LIVE_CGFS_SET_MTIME, &in, &a), 0,
		 "touch misc.max");
	CHECK_EQ(a.mtime.tv_sec, 1234567890, "its mtime");
	in.mode = 0444;
	CHECK_EQ(live_cgfs_setattr(fx->fs, "/d/misc.max", LIVE_CGFS_SET_MODE, &in, NULL), 0,
		 "chmod 444 misc.max");
	CHECK_EQ(wr(fx->fs, "/d/misc.max", "sgx_epc 4096"), -EACCES, "no write bit: refused");
	expect(fx->fs, "/d/misc.max", "sgx_epc max\n");
	in.mode = 0;
	CHECK_EQ(live_cgfs_setattr(fx->fs, "/d/misc.max", LIVE_CGFS_SET_MODE, &in, NULL), 0,
		 "chmod 0 misc.max");
	CHECK_EQ(live_cgfs_read(fx->fs, "/d/misc.max", buf, sizeof(buf)), -EACCES,
		 "no read bit: refused");
	in.mode = 0666;
	CHECK_EQ(live_cgfs_setattr(fx->fs, "/d/misc.current", LIVE_CGFS_SET_MODE, &in, NULL), 0,
		 "chmod 666 misc.current");
	CHECK_EQ(wr(fx->fs, "/d/misc.current", "1"), -EACCES, "a read-only file stays so");
	in.mode = 0644;
	CHECK_EQ(live_cgfs_setattr(fx->fs, "/d/misc.max", LIVE_CGFS_SET_MODE, &in, NULL), 0,
		 "chmod 644 misc.max");
	CHECK_EQ(wr(fx->fs, "/d/misc.max", "sgx_epc 4096"), 0, "writable again");
	CHECK_EQ(live_cgfs_setattr(fx->fs, "/nope", LIVE_CGFS_SET_MODE, &in, NULL), -ENOENT,
		 "chmod a missing cgroup");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/d"), 0, "rmdir /d");
}

struct inval_log {
	int calls;
	uint64_t parent;
	char name[32];
};

static void inval_record(void *arg, uint64_t parent, const char *name)
{
	struct inval_log *l = arg;

	l->calls++;
	l->parent = parent;
	snprintf(l->name, sizeof(l->name), "%s", name);
}

static int count_entry(void *arg, const char *name, uint64_t ino, bool is_dir)
{
	(void)name;
	(void)ino;
	*(int *)arg += is_dir ? 100 : 1;
	return 0;
}

/* The mount's calls by inode number: stable numbers, never reused, and a
 * socket rmdir (a path call) tells the mount to forget the name. */
static void test_live_cgfs_inode_numbers(void **state)
{
	struct fx *fx = *state;
	struct live_cgfs_attr a, b, f;
	struct inval_log log = {0};
	char buf[64];
	int count = 0;

	live_cgfs_set_inval(fx->fs, inval_record, &log);
	CHECK_EQ(live_cgfs_ino_getattr(fx->fs, LIVE_CGFS_ROOT_INO, &a), 0, "the root");
	CHECK_EQ(a.kind, LIVE_CGFS_DIR, "a directory");
	CHECK_EQ(live_cgfs_ino_mkdir(fx->fs, LIVE_CGFS_ROOT_INO, "a", 0700, &a), 0, "mkdir a");
	CHECK_EQ(a.mode, 0700, "its mode is mkdir's");
	CHECK_EQ(live_cgfs_ino_mkdir(fx->fs, LIVE_CGFS_ROOT_INO, "a", 0755, &b), -EEXIST,
		 "mkdir a twice");
	CHECK_EQ(live_cgfs_ino_lookup(fx->fs, LIVE_CGFS_ROOT_INO, "a", &b), 0, "look a up");
	CHECK_EQ(b.ino, a.ino, "the same number");
	CHECK_EQ(live_cgfs_ino_lookup(fx->fs, a.ino, "..", &b), 0, "look .. up");
	CHECK_EQ(b.ino, LIVE_CGFS_ROOT_INO, "the root");
	CHECK_EQ(live_cgfs_ino_lookup(fx->fs, a.ino, "misc.max", &f), 0, "look misc.max up");
	CHECK_EQ(f.kind, LIVE_CGFS_FILE_RW, "a writable file");
	CHECK_EQ(live_cgfs_ino_lookup(fx->fs, f.ino, "x", &b), -ENOTDIR, "a file as a parent");
	CHECK_EQ(live_cgfs_ino_lookup(fx->fs, a.ino, "nope", &b), -ENOENT, "no such entry");
	CHECK_EQ(live_cgfs_ino_open(fx->fs, f.ino, true, true), 0, "open misc.max rw");
	CHECK_EQ(live_cgfs_ino_open(fx->fs, a.ino, true, false), -EISDIR, "open a directory");
	CHECK_EQ(live_cgfs_ino_lookup(fx->fs, a.ino, "misc.current", &b), 0, "misc.current");
	CHECK_EQ(live_cgfs_ino_open(fx->fs, b.ino, false, true), -EACCES, "open it for writing");
	CHECK_EQ(live_cgfs_ino_write(fx->fs, f.ino, "sgx_epc 8192", 12, getpid()), 0, "write");
	CHECK_EQ(live_cgfs_ino_read(fx->fs, f.ino, buf, sizeof(buf)), 13, "read");
	CHECK(!strcmp(buf, "sgx_epc 8192\n"), buf);
	CHECK_EQ(live_cgfs_ino_readdir(fx->fs, LIVE_CGFS_ROOT_INO, count_entry, &count), 0, "list");
	CHECK_EQ(count, 106, "one directory and six files");
	CHECK_EQ(live_cgfs_ino_rmdir(fx->fs, LIVE_CGFS_ROOT_INO, "misc.current"), -ENOTDIR,
		 "rmdir a file");
	CHECK_EQ(live_cgfs_ino_rmdir(fx->fs, LIVE_CGFS_ROOT_INO, "a"), 0, "rmdir a (the mount's)");
	CHECK_EQ(log.calls, 0, "the mount's own rmdir needs no invalidation");
	CHECK_EQ(live_cgfs_ino_getattr(fx->fs, a.ino, &b), -ENOENT, "its number is gone");
	CHECK_EQ(live_cgfs_ino_read(fx->fs, f.ino, buf, sizeof(buf)), -ENOENT, "its files too");
	CHECK_EQ(live_cgfs_mkdir(fx->fs, "/a"), 0, "mkdir /a again (the socket's)");
	CHECK_EQ(live_cgfs_ino_lookup(fx->fs, LIVE_CGFS_ROOT_INO, "a", &b), 0, "look a up");
	CHECK(b.ino != a.ino, "a new number: numbers are not reused");
	CHECK_EQ(live_cgfs_ino_getattr(fx->fs, a.ino, &b), -ENOENT, "the old one stays gone");
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/a"), 0, "rmdir /a (the socket's)");
	CHECK_EQ(log.calls, 1, "the socket's rmdir invalidates");
	CHECK_EQ(log.parent, LIVE_CGFS_ROOT_INO, "in the root");
	CHECK(!strcmp(log.name, "a"), log.name);
	live_cgfs_set_inval(fx->fs, NULL, NULL);
}

/* Thousands of cgroups: the hash tables grow, every one is still found. */
static void test_live_cgfs_many_cgroups(void **state)
{
	struct fx *fx = *state;
	enum live_cgfs_kind k;
	char path[64];

	for (int i = 0; i < 3000; i++) {
		snprintf(path, sizeof(path), i % 3 == 2 ? "/g%d/h%d" : "/g%d",
			 i % 3 == 2 ? i - 1 : i, i);
		if (live_cgfs_mkdir(fx->fs, path))
			fail_msg("mkdir %s", path);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(path, sizeof(path), i % 3 == 2 ? "/g%d/h%d" : "/g%d",
			 i % 3 == 2 ? i - 1 : i, i);
		if (live_cgfs_stat(fx->fs, path, &k) || k != LIVE_CGFS_DIR)
			fail_msg("stat %s", path);
	}
	for (int i = 2999; i >= 0; i--) {
		snprintf(path, sizeof(path), i % 3 == 2 ? "/g%d/h%d" : "/g%d",
			 i % 3 == 2 ? i - 1 : i, i);
		if (live_cgfs_rmdir(fx->fs, path))
			fail_msg("rmdir %s", path);
	}
	CHECK_EQ(live_cgfs_stat(fx->fs, "/g0", &k), -ENOENT, "all gone");
}

/*
 * Threads racing mkdir, rmdir, lookups by name and by inode number, readdir
 * and getattr over the same few names: cgfs keeps no tree, so these go
 * through the library's cgroups with references held per call. Every call
 * gives an answer the race allows (workers count the others; the test thread
 * asserts), and what is left at the end is exactly what the mount shows.
 */
#define RACE_THREADS 4
#define RACE_ROUNDS  1500
#define RACE_NAMES   6

struct race {
	struct live_cgfs *fs;
	uint64_t top;	  /* /r's inode number */
	unsigned seed;	  /* per thread */
	_Atomic int *bad; /* calls whose answer no interleaving allows */
	_Atomic int *ok;  /* calls that succeeded */
};

static int race_entry(void *arg, const char *name, uint64_t ino, bool is_dir)
{
	struct race *r = arg;
	struct live_cgfs_attr a;
	int ret;

	(void)name;
	ret = live_cgfs_ino_getattr(r->fs, ino, &a);
	if ((ret && ret != -ENOENT) || (!ret && (a.kind == LIVE_CGFS_DIR) != is_dir))
		atomic_fetch_add(r->bad, 1);
	return 0;
}

static void *race_worker(void *arg)
{
	struct race *r = arg;
	struct live_cgfs_attr a, b;
	char name[16], path[64];

	for (int i = 0; i < RACE_ROUNDS; i++) {
		int k = (int)(rand_r(&r->seed) % RACE_NAMES), ret = 0;

		snprintf(name, sizeof(name), "c%d", k);
		snprintf(path, sizeof(path), "/r/c%d/d", k);
		switch (rand_r(&r->seed) % 6) {
		case 0:
			ret = live_cgfs_ino_mkdir(r->fs, r->top, name, 0700, &a);
			ret = ret == -EEXIST ? 1 : ret;
			break;
		case 1:
			ret = live_cgfs_ino_rmdir(r->fs, r->top, name);
			ret = ret == -ENOENT || ret == -EBUSY ? 1 : ret;
			break;
		case 2:
			ret = live_cgfs_mkdir(r->fs, path);
			ret = ret == -EEXIST || ret == -ENOENT ? 1 : ret;
			break;
		case 3:
			ret = live_cgfs_rmdir(r->fs, path);
			ret = ret == -ENOENT ? 1 : ret;
			break;
		case 4: /* a name, then its number: the same directory or gone */
			ret = live_cgfs_ino_lookup(r->fs, r->top, name, &a);
			if (!ret) {
				ret = live_cgfs_ino_getattr(r->fs, a.ino, &b);
				if (!ret && (b.ino != a.ino || b.kind != LIVE_CGFS_DIR))
					ret = -EIO;
			}
			ret = ret == -ENOENT ? 1 : ret;
			break;
		default:
			ret = live_cgfs_ino_readdir(r->fs, r->top, race_entry, r);
			break;
		}
		if (ret < 0)
			fprintf(stderr, "race: round %d gave %d\n", i, ret);
		if (ret <= 0)
			atomic_fetch_add(ret ? r->bad : r->ok, 1);
	}
	return NULL;
}

static void test_live_cgfs_race_mkdir_rmdir_lookup(void **state)
{
	struct fx *fx = *state;
	struct race r[RACE_THREADS];
	pthread_t th[RACE_THREADS];
	_Atomic int bad = 0, ok = 0;
	struct live_cgfs_attr top;
	struct names n = {{0}};
	char path[64];

	CHECK_EQ(live_cgfs_ino_mkdir(fx->fs, LIVE_CGFS_ROOT_INO, "r", 0755, &top), 0, "mkdir /r");
	for (int i = 0; i < RACE_THREADS; i++) {
		r[i] = (struct race){.fs = fx->fs,
				     .top = top.ino,
				     .seed = 7u * (unsigned)i + 1,
				     .bad = &bad,
				     .ok = &ok};
		CHECK_EQ(pthread_create(&th[i], NULL, race_worker, &r[i]), 0, "a worker");
	}
	for (int i = 0; i < RACE_THREADS; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0, "join");
	CHECK_EQ(atomic_load(&bad), 0, "every answer was one a race allows");
	CHECK(atomic_load(&ok) > 0, "some calls succeeded");
	/* what is left is what the mount shows, and it all goes */
	for (int k = 0; k < RACE_NAMES; k++) {
		enum live_cgfs_kind kind;

		snprintf(path, sizeof(path), "/r/c%d/d", k);
		if (!live_cgfs_stat(fx->fs, path, &kind))
			CHECK_EQ(live_cgfs_rmdir(fx->fs, path), 0, path);
		snprintf(path, sizeof(path), "/r/c%d", k);
		if (!live_cgfs_stat(fx->fs, path, &kind))
			CHECK_EQ(live_cgfs_rmdir(fx->fs, path), 0, path);
	}
	CHECK_EQ(live_cgfs_readdir(fx->fs, "/r", collect, &n), 0, "list /r");
	CHECK(!strstr(n.buf, "/ "), n.buf); /* files only: no directory left */
	CHECK_EQ(live_cgfs_rmdir(fx->fs, "/r"), 0, "rmdir /r");
}

/* --child mount (in a mount namespace of its own): mount @fs, make "m"
 * through the mount and cd into it (the kernel keeps the name), remove it
 * by path as the socket does: a cd into it that works means the kernel
 * still trusts the name it kept. Then it is made again through the mount.
 * Return: 0, 77 no mount, or the step that failed. */
static int child_mount(struct live_cgfs *fs)
{
	char mnt[] = "/tmp/test-live-cgfs.XXXXXX", path[64];
	struct live_fuse *fuse = NULL;
	struct stat st;
	int ret = 0;

	if (!mkdtemp(mnt))
		return 77;
	if (live_fuse_mount(fs, mnt, &fuse)) {
		rmdir(mnt);
		return 77;
	}
	snprintf(path, sizeof(path), "%s/m", mnt);
	if (mkdir(path, 0755) || stat(path, &st) || chdir(path) || chdir("/"))
		ret = 10;
	else if (live_cgfs_rmdir(fs, "/m"))
		ret = 11;
	else if (!chdir(path))
		ret = 12; /* the kernel kept the removed name: cd into it worked */
	else if (!stat(path, &st))
		ret = 13;
	else if (mkdir(path, 0755) || rmdir(path))
		ret = 14;
	live_fuse_unmount(fuse);
	rmdir(mnt);
	return ret;
}

/* The mount caches names, and forgets one the socket removed. */
static void test_live_cgfs_mount_forgets_a_socket_rmdir(void **state)
{
	int status;

	(void)state;
	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK))
		skip();
	status = run_child("mount");
	if (status == 77)
		skip();
	CHECK_EQ(status, 0, "mkdir and cd through the mount, socket rmdir, cd refused");
}

/* A fresh process for one test (run_child()). Return: its exit status. */
static int child_main(const char *what)
{
	void *state;
	int ret;

	if (!strcmp(what, "mount") &&
	    (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)))
		return 77; /* before setup(): a process with threads cannot unshare */
	if (setup(&state))
		return 120;
	if (!strcmp(what, "emfile"))
		ret = child_emfile(((struct fx *)state)->fs);
	else if (!strcmp(what, "mount"))
		ret = child_mount(((struct fx *)state)->fs);
	else
		ret = 121;
	teardown(&state);
	return ret;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_live_cgfs_files_listed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_mkdir_rmdir_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_files_byte_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_procs_and_charges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_child_inherits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_orphan_stays_in_cgroup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_reused_member_pid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_reused_child_pid, setup, teardown),
		cmocka_unit_test(test_live_cgfs_fallback_walk),
		cmocka_unit_test_setup_teardown(test_live_cgfs_names_as_the_kernel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_subtree_control_as_the_kernel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_write_as_the_kernel, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_procs_write_out_of_fds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_deep_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_attributes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_inode_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_many_cgroups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_race_mkdir_rmdir_lookup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_live_cgfs_mount_forgets_a_socket_rmdir, setup,
						teardown),
	};

	if (argc == 3 && !strcmp(argv[1], "--child"))
		return child_main(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
