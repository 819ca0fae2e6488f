// SPDX-License-Identifier: MIT
/*
 * test_live_daemon.c - the daemon (live/daemon.c) run in a thread of the
 * test, talked to over its socket with the client library: protocol round
 * trips, malformed messages, a refused peer uid, clients SIGKILLed at random
 * points (nothing left behind), charging by cgroup membership (a member's
 * child that connects after the member exited included), and a clean
 * shutdown with clients connected.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "live_fixture.h"
#include "procwatch.h"
#include "proto.h"

#define KILL_ROUNDS	200
#define KILL_ENCL_PAGES 320
#define ORPHAN_PAGES	64 /* 256 KiB against a 64 KiB limit */

static void test_live_daemon_round_trips(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_client *c = connect_ok(fx);
	struct epcmm_encl_stats st;
	uint8_t pages[3 * PAGE], got[3 * PAGE];
	uint64_t e, p, phys;
	int node;

	for (size_t i = 0; i < sizeof(pages); i++)
		pages[i] = (uint8_t)(i * 7 + 3);
	CHECK_EQ(epcmm_ping(c), 0, "ping");
	CHECK_EQ(epcmm_encl_create(c, 4 * PAGE, &e), 0, "create a 4-page enclave");
	CHECK_EQ(epcmm_encl_add_pages(c, e, 0, 3, pages), 0, "add 3 pages with bytes");
	CHECK_EQ(epcmm_encl_add_pages(c, e, 3 * PAGE, 1, NULL), 0, "add a zero page");
	CHECK_EQ(epcmm_encl_add_pages(c, e, 3 * PAGE, 1, NULL), -EEXIST, "add it again");
	CHECK_EQ(epcmm_encl_init(c, e), 0, "init");
	CHECK_EQ(epcmm_encl_init(c, e), -EINVAL, "init twice");
	CHECK_EQ(epcmm_encl_read(c, e, 0, got, sizeof(got)), 0, "read the 3 pages back");
	CHECK(!memcmp(got, pages, sizeof(got)), "the bytes added read back");
	CHECK_EQ(epcmm_encl_write(c, e, PAGE - 3, "across a page", 13), 0, "unaligned write");
	memset(got, 0, 16);
	CHECK_EQ(epcmm_encl_read(c, e, PAGE - 3, got, 13), 0, "unaligned read");
	CHECK(!memcmp(got, "across a page", 13), "the write reads back across the page edge");
	CHECK_EQ(epcmm_encl_read(c, e, 4 * PAGE - 1, got, 2), -EINVAL, "read past the end");
	CHECK_EQ(epcmm_encl_stats(c, e, &st), 0, "stats");
	CHECK_EQ(st.nr_pages, 4, "pages added");
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy");
	CHECK_EQ(epcmm_encl_read(c, e, 0, got, 1), -EBADF, "a destroyed enclave's handle is stale");
	CHECK_EQ(epcmm_encl_destroy(c, e), -EBADF, "destroy twice");

	CHECK_EQ(epcmm_page_alloc(c, true, &p, &phys, &node), 0, "raw page");
	CHECK_EQ(node, 0, "its node");
	CHECK(phys >= 0x100000 && phys < 0x100000 + EPC_PAGES * PAGE, "its address is in the EPC");
	expect_file(c, "/", "misc.current", "sgx_epc 4096\n");
	CHECK_EQ(epcmm_page_free(c, p), 0, "free it");
	CHECK_EQ(epcmm_page_free(c, p), -EBADF, "free it twice");
	expect_file(c, "/", "misc.current", "sgx_epc 0\n");

	CHECK_EQ(epcmm_cgroup_mkdir(c, "/g"), 0, "mkdir /g");
	CHECK_EQ(epcmm_cgroup_mkdir(c, "/g"), -EEXIST, "mkdir /g again");
	CHECK_EQ(epcmm_cgroup_mkdir(c, "/x/y"), -ENOENT, "mkdir without a parent");
	CHECK_EQ(epcmm_cgroup_write(c, "/g", "misc.max", "sgx_epc 12345"), 0, "set misc.max");
	expect_file(c, "/g", "misc.max", "sgx_epc 12345\n");
	CHECK_EQ(epcmm_cgroup_write(c, "/g", "misc.max", "sgx_epc abc"), -EINVAL, "bad misc.max");
	CHECK_EQ(epcmm_cgroup_write(c, "/g", "misc.max", "sgx_epc 99999999999999999999"), -ERANGE,
		 "misc.max above 64 bits");
	expect_file(c, "/g", "misc.max", "sgx_epc 12345\n");
	CHECK_EQ(epcmm_cgroup_write(c, "/g", "misc.current", "1"), -EACCES, "read-only file");
	CHECK_EQ(epcmm_cgroup_write(c, "/g", "nope", "1"), -ENOENT, "no such file");
	CHECK_EQ(epcmm_cgroup_rmdir(c, "/g"), 0, "rmdir /g");
	CHECK_EQ(epcmm_cgroup_rmdir(c, "/g"), -ENOENT, "rmdir /g again");
	epcmm_client_close(c);
}

/* A process moved into a cgroup (cgroup.procs) is charged there. */
static void test_live_daemon_charges_member_cgroup(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_client *c = connect_ok(fx);
	char pid[32];
	uint64_t e;

	CHECK_EQ(epcmm_cgroup_mkdir(c, "/m"), 0, "mkdir /m");
	CHECK_EQ(epcmm_cgroup_write(c, "/m", "cgroup.procs", "0"), 0, "move ourselves into /m");
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	expect_file(c, "/m", "cgroup.procs", pid);
	expect_file(c, "/m", "cgroup.events", "populated 1\nfrozen 0\n");
	CHECK_EQ(epcmm_encl_create(c, 2 * PAGE, &e), 0, "create an enclave in /m");
	CHECK_EQ(epcmm_encl_add_pages(c, e, 0, 2, NULL), 0, "add its pages");
	expect_file(c, "/m", "misc.current", "sgx_epc 16384\n"); /* SECS, VA, 2 pages */
	CHECK_EQ(epcmm_cgroup_rmdir(c, "/m"), -EBUSY, "rmdir with a member");
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy it");
	expect_file(c, "/m", "misc.current", "sgx_epc 0\n");
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	CHECK_EQ(epcmm_cgroup_write(c, "/", "cgroup.procs", pid), 0, "move back to the root");
	expect_file(c, "/m", "cgroup.procs", "");
	CHECK_EQ(epcmm_cgroup_rmdir(c, "/m"), 0, "rmdir once empty");
	epcmm_client_close(c);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fail_msg("raw connect: %s", strerror(errno));
	return fd;
}

/* Send @msg, expect a reply with @status, then (when @closes) EOF. */
static void raw_expect(const char *path, const void *msg, size_t len, int status, bool closes)
{
	struct epcmm_msg_hdr rh;
	int fd = raw_connect(path);
	char extra;

	CHECK_EQ(send(fd, msg, len, MSG_NOSIGNAL), (long long)len, "send the raw message");
	CHECK_EQ(recv(fd, &rh, sizeof(rh), MSG_WAITALL), sizeof(rh), "a reply header");
	CHECK_EQ(rh.magic, EPCMM_PROTO_MAGIC, "reply magic");
	CHECK_EQ(rh.status, status, "reply status");
	CHECK_EQ(rh.len, 0, "no payload with an error");
	if (closes)
		CHECK_EQ(recv(fd, &extra, 1, 0), 0, "the daemon closed the connection");
	close(fd);
}

static void test_live_daemon_malformed_messages(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_msg_hdr h = {EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION, EPCMM_MSG_PING, 0, 0};
	uint8_t buf[64];
	struct epcmm_client *c;

	h.magic = 0xdeadbeef;
	raw_expect(fx->sock, &h, sizeof(h), -EPROTO, true);
	h.magic = EPCMM_PROTO_MAGIC;
	h.version = 7;
	raw_expect(fx->sock, &h, sizeof(h), -EPROTONOSUPPORT, true);
	h.version = EPCMM_PROTO_VERSION;
	h.len = 0x7fffffff;
	raw_expect(fx->sock, &h, sizeof(h), -EMSGSIZE, true);
	h.len = 0;
	h.type = 200;
	raw_expect(fx->sock, &h, sizeof(h), -EBADMSG, true);
	/* A create whose payload is 3 bytes short of its u64. */
	h.type = EPCMM_MSG_ENCL_CREATE;
	h.len = 5;
	memcpy(buf, &h, sizeof(h));
	memset(buf + sizeof(h), 1, 5);
	raw_expect(fx->sock, buf, sizeof(h) + 5, -EBADMSG, true);
	/* A semantic error is a reply, not a closed connection. */
	h.type = EPCMM_MSG_ENCL_DESTROY;
	h.len = 8;
	memcpy(buf, &h, sizeof(h));
	memset(buf + sizeof(h), 0xff, 8);
	raw_expect(fx->sock, buf, sizeof(h) + 8, -EBADF, false);

	c = connect_ok(fx);
	CHECK_EQ(epcmm_ping(c), 0, "the daemon still serves others");
	expect_settled(c);
	epcmm_client_close(c);
}

static void test_live_daemon_refuses_other_uid(void **state)
{
	struct daemon_fx *fx = *state;
	int status;
	pid_t pid;

	if (geteuid() != 0)
		skip();
	struct stat st;
	CHECK_EQ(stat(fx->sock, &st), 0, "stat the socket");
	CHECK_EQ(st.st_mode & 0777, 0600, "the socket is created mode 0600");
	/* Let anyone reach it, so the uid check itself is what refuses. */
	CHECK_EQ(chmod(fx->dir, 0755), 0, "open the directory");
	CHECK_EQ(chmod(fx->sock, 0666), 0, "open the socket");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct epcmm_client *c;
		int ret;

		if (setgid(65534) || setuid(65534))
			_exit(3);
		ret = epcmm_client_connect(fx->sock, &c);
		_exit(ret == -ECONNRESET ? 0 : ret == 0 ? 1 : 2);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid, "wait for the child");
	CHECK(WIFEXITED(status), "the child exited");
	CHECK_EQ(WEXITSTATUS(status), 0, "nobody's connection was refused (1: accepted)");
	chmod(fx->sock, 0600);
	chmod(fx->dir, 0700);
}

/* The child: an enclave larger than the EPC, added and touched in a loop. */
static void kill_child(const char *sock)
{
	struct epcmm_client *c;
	uint64_t e, p;
	if (epcmm_client_connect(sock, &c))
		_exit(1);
	/* Every other child is charged to the limited cgroup /k. */
	if ((getpid() & 1) && epcmm_cgroup_write(c, "/k", "cgroup.procs", "0"))
		_exit(1);
	for (;;) {
		epcmm_page_alloc(c, true, &p, NULL, NULL);
		if (epcmm_encl_create(c, KILL_ENCL_PAGES * PAGE, &e))
			continue;
		epcmm_encl_add_pages(c, e, 0, KILL_ENCL_PAGES / 2, NULL);
		epcmm_encl_add_pages(c, e, KILL_ENCL_PAGES / 2 * PAGE, KILL_ENCL_PAGES / 2, NULL);
		epcmm_encl_init(c, e);
		for (uint64_t i = 0; i < KILL_ENCL_PAGES; i += 37)
			epcmm_encl_write(c, e, i * PAGE + 5, &i, sizeof(i));
		if (p & 1)
			epcmm_encl_destroy(c, e);
	}
}

static void test_live_daemon_sigkill_leaves_nothing(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_client *c = connect_ok(fx);
	unsigned seed = (unsigned)time(NULL);
	struct timespec t0, t1;
	print_message("# seed %u\n", seed);
	srand(seed);
	CHECK_EQ(epcmm_cgroup_mkdir(c, "/k"), 0, "mkdir /k");
	CHECK_EQ(epcmm_cgroup_write(c, "/k", "misc.max", "sgx_epc 262144"), 0, "a 64-page limit");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < KILL_ROUNDS; i++) {
		pid_t pid = fork();
		int status;

		CHECK(pid >= 0, "fork");
		if (pid == 0)
			kill_child(fx->sock);
		usleep((useconds_t)(rand() % 4000));
		kill(pid, SIGKILL);
		CHECK_EQ(waitpid(pid, &status, 0), pid, "reap the child");
		CHECK(WIFSIGNALED(status) || WEXITSTATUS(status) == 0,
		      "the child did not fail to connect");
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("# %d kills in %.2f s\n", KILL_ROUNDS,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	expect_settled(c);
	expect_file(c, "/k", "misc.current", "sgx_epc 0\n");
	expect_file(c, "/k", "cgroup.procs", ""); /* the killed members left */
	CHECK_EQ(epcmm_cgroup_rmdir(c, "/k"), 0, "rmdir /k after its members were killed");
	epcmm_client_close(c);
}

static void test_live_daemon_shutdown_with_clients(void **state)
{
	struct daemon_fx *fx = NULL;
	struct epcmm_client *c[3];
	uint64_t e;

	(void)state;
	CHECK_EQ(fx_setup((void **)&fx), 0, "start a second daemon");
	for (int i = 0; i < 3; i++) {
		c[i] = connect_ok(fx);
		CHECK_EQ(epcmm_encl_create(c[i], 64 * PAGE, &e), 0, "an enclave per client");
		CHECK_EQ(epcmm_encl_add_pages(c[i], e, 0, 64, NULL), 0, "its pages");
	}
	CHECK_EQ(fx_stop(fx), 0, "the daemon stops cleanly with clients connected");
	for (int i = 0; i < 3; i++) {
		CHECK(epcmm_ping(c[i]) < 0, "a client of a stopped daemon gets an error");
		epcmm_client_close(c[i]);
	}
	CHECK_EQ(access(fx->sock, F_OK), -1, "the socket file is gone");
	close(fx->o.stop_fd);
	rmdir(fx->dir);
	free(fx);
}

/* The orphaned client of the test below. Return: 0; the step that failed. */
static int orphan_client(const char *sock, pid_t shell)
{
	struct epcmm_client *c;
	char buf[64];
	uint64_t e;

	for (int ms = 0; getppid() == shell; ms += 5) {
		if (ms > SETTLE_MS)
			return 1;
		usleep(5000);
	}
	if (epcmm_client_connect(sock, &c))
		return 2;
	if (epcmm_encl_create(c, ORPHAN_PAGES * PAGE, &e))
		return 3;
	if (epcmm_encl_add_pages(c, e, 0, ORPHAN_PAGES, NULL))
		return 4;
	if (epcmm_cgroup_read(c, "/esc2", "misc.current", buf, sizeof(buf)) < 0 ||
	    !strcmp(buf, "sgx_epc 0\n"))
		return 5;
	epcmm_client_close(c);
	return 0;
}

/*
 * Issue 15 item 5, over the socket: a shell joins /esc2 (a 64 KiB limit),
 * forks a client and exits before the client connects. The client,
 * reparented away from the shell, is still in /esc2 as the kernel would
 * have it: its 256 KiB are charged there and meet the limit (pages beyond
 * it are evicted), where the live-parent walk charged them to the root.
 */
static void test_live_daemon_orphan_charged_to_member_cgroup(void **state)
{
	static const char *const steps[] = {
		"ok",	       "not reparented", "connect",
		"encl_create", "add_pages",	 "nothing charged to /esc2: the limit escaped",
	};
	struct daemon_fx *fx = *state;
	struct epcmm_client *c;
	struct procwatch *pw;
	int result[2], status, code = -1;
	unsigned long peak = 0, events = 0;
	const char *why;
	char buf[64];
	pid_t shell;

	if (procwatch_open(&pw, &why)) {
		print_message("SKIP: no proc connector (%s): the daemon falls back to the "
			      "live-parent walk, which cannot pass this\n",
			      why);
		skip();
	}
	procwatch_close(pw);
	c = connect_ok(fx);
	CHECK_EQ(epcmm_cgroup_mkdir(c, "/esc2"), 0, "mkdir /esc2");
	CHECK_EQ(epcmm_cgroup_write(c, "/esc2", "misc.max", "sgx_epc 65536"), 0, "a 64 KiB limit");
	CHECK_EQ(pipe(result), 0, "pipe");
	shell = fork();
	CHECK(shell >= 0, "fork the shell");
	if (shell == 0) {
		struct epcmm_client *s;
		pid_t me = getpid();

		close(result[0]);
		if (epcmm_client_connect(fx->sock, &s) ||
		    epcmm_cgroup_write(s, "/esc2", "cgroup.procs", "0"))
			_exit(1);
		epcmm_client_close(s);
		if (fork() == 0) {
			code = orphan_client(fx->sock, me);
			_exit(write(result[1], &code, sizeof(code)) == sizeof(code) ? 0 : 1);
		}
		_exit(0); /* before the client connects */
	}
	close(result[1]);
	CHECK_EQ(waitpid(shell, &status, 0), shell, "the shell exited");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the shell joined /esc2 and forked");
	CHECK_EQ(read(result[0], &code, sizeof(code)), sizeof(code), "the client's result");
	close(result[0]);
	if (code)
		fail_msg("the orphaned client: %s",
			 code > 0 && code < 6 ? steps[code] : "bad result");
	CHECK(epcmm_cgroup_read(c, "/esc2", "misc.peak", buf, sizeof(buf)) > 0, "misc.peak");
	CHECK(sscanf(buf, "sgx_epc %lu", &peak) == 1 && peak > 0 && peak <= 65536, buf);
	CHECK(epcmm_cgroup_read(c, "/esc2", "misc.events", buf, sizeof(buf)) > 0, "misc.events");
	CHECK(sscanf(buf, "sgx_epc.max %lu", &events) == 1 && events > 0, buf);
	expect_settled(c); /* the client exited: its charges went back */
	for (int ms = 0; ms < SETTLE_MS; ms += 10) {
		if (epcmm_cgroup_read(c, "/esc2", "cgroup.procs", buf, sizeof(buf)) == 0)
			break;
		usleep(10000);
	}
	expect_file(c, "/esc2", "cgroup.procs", "");
	CHECK_EQ(epcmm_cgroup_rmdir(c, "/esc2"), 0, "rmdir /esc2");
	epcmm_client_close(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_daemon_round_trips),
		cmocka_unit_test(test_live_daemon_charges_member_cgroup),
		cmocka_unit_test(test_live_daemon_malformed_messages),
		cmocka_unit_test(test_live_daemon_refuses_other_uid),
		cmocka_unit_test(test_live_daemon_sigkill_leaves_nothing),
		cmocka_unit_test(test_live_daemon_shutdown_with_clients),
		cmocka_unit_test(test_live_daemon_orphan_charged_to_member_cgroup),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
