// SPDX-License-Identifier: MIT
/*
 * test_live_cgfs.c - the cgroupfs (live/cgfs.c) in-process, without FUSE, so
 * its semantics are tested where the mount cannot be (not root, no
 * /dev/fuse): the files each directory lists, byte-exact reads, the
 * kernel's errors for mkdir, rmdir and writes, cgroup.subtree_control,
 * cgroup.procs with a pid and with 0, members leaving when they exit, tasks
 * charged where their process is a member, a member's child staying in its
 * cgroup after the member exited, pid reuse making no member, and the
 * fallback (no fork events) walking live parents.
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/sched.h>

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
	CHECK_EQ(live_cgfs_task_enter(fx->fs, client, t), 0, "enter for the client");
	CHECK_EQ(epc_encl_create(t, 4096, &e), 0, "an enclave: 2 pages");
	CHECK_EQ(epc_encl_add_page(t, e, 0, NULL), -ENOMEM, "a third page over the limit");
	live_cgfs_task_leave(fx->fs, t);
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
	if (epc_create(&cfg, &epc) || epc_sanitize_wait(epc) || live_cgfs_create(epc, &fs))
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

int main(void)
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
