// SPDX-License-Identifier: MIT
/*
 * test_live_hello.c - where a client's task runs, and who may talk to whom:
 * HELLO's checks (a CPU the host does not have, a node that is not the
 * CPU's: refused, nothing changed, the connection goes on) and placement
 * (the same CPU, else the node's first CPU, else CPU 0) on a session; a
 * client pinned to a CPU whose connect puts its task there, as the
 * daemon's snapshot shows; the daemon's thread serving a connection pinned
 * to the CPU its client says, and moved when it says another; a client of 0.2.0 (no HELLO, the text STATUS)
 * served as before; and, against a fake daemon, this library with a daemon
 * older than HELLO and SNAPSHOT (it reconnects; the snapshot is
 * -EOPNOTSUPP), with one older than SHM (it reconnects to the socket), and with a daemon whose SNAPSHOT replies are garbled or do
 * not move on (-EPROTO, the connection unusable after).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "live_fixture.h"
#include "proto.h"
#include "session.h"
#include "snap_helpers.h"

/* HELLO from @cpu, @node on session @s: the reply's status; its payload in
 * @out, *@fatal whether the connection ends. */
static int hello_on(struct live_session *s, uint32_t cpu, uint32_t node, struct epcmm_wr *out,
		    int *fatal)
{
	struct epcmm_msg_hdr h = {EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION, EPCMM_MSG_HELLO, 8, 0},
			     rh;
	uint32_t p[2] = {cpu, node};

	*fatal = live_session_handle(s, &h, (const uint8_t *)p, &rh, out);
	return rh.status;
}

/* The one client's cpu and node in @srv's snapshot. */
static void client_place(struct live_server *srv, int *cpu, int *node)
{
	struct epcmm_wr w = {0};
	struct epcmm_snapshot *v;

	CHECK_EQ(live_server_status_page(srv, true, 0, 0, &w), 0, "a snapshot page");
	CHECK_EQ(epcmm_snap_decode(w.buf + 16, w.len - 16, &v), 0, "it decodes");
	CHECK_EQ(v->nr_clients, 1, "one client");
	*cpu = v->clients[0].cpu;
	*node = v->clients[0].node;
	epcmm_snapshot_free(v);
	epcmm_wr_free(&w);
}

/* A machine of two nodes and four CPUs, 0 and 1 on node 1, 2 and 3 on 0. */
static void test_live_hello_checks_and_places(void **state)
{
	static const struct epc_section_desc secs[] = {{0x100000, 64 * PAGE, 0},
						       {0x200000, 64 * PAGE, 1}};
	static const int cpu_to_node[] = {1, 1, 0, 0};
	struct epc_config cfg = {.nr_nodes = 2,
				 .nr_cpus = 4,
				 .cpu_to_node = cpu_to_node,
				 .sections = secs,
				 .nr_sections = 2,
				 .background = EPC_BACKGROUND_MANUAL};
	long host_cpus = sysconf(_SC_NPROCESSORS_CONF);
	struct epcmm_wr out = {0};
	struct live_server srv;
	struct live_session *s;
	unsigned here, here_node;
	struct epc *epc;
	int cpu, node, fatal;
	uint32_t placed[2];

	(void)state;
	CHECK(host_cpus > 0, "the host's CPUs");
	CHECK_EQ(getcpu(&here, &here_node), 0, "where this test runs");
	CHECK_EQ(epc_create2(&cfg, sizeof(cfg), &epc), 0, "a two-node EPC");
	CHECK_EQ(live_server_init(&srv, epc, &cfg), 0, "a server");
	CHECK_EQ(live_server_place(&srv, 3, 0), 3, "a CPU the machine has: that CPU");
	CHECK_EQ(live_server_place(&srv, 9, 1), 0, "a CPU it lacks: its node's first CPU");
	CHECK_EQ(live_server_place(&srv, 9, 0), 2, "... node 0's first is CPU 2");
	CHECK_EQ(live_server_place(&srv, 9, 5), 0, "neither: CPU 0");

	CHECK_EQ(live_host_cpu_check(0, here, here_node, true), 0, "where the test runs is fine");
	CHECK_EQ(live_host_cpu_check(0, (uint32_t)host_cpus, 0, true), -EINVAL,
		 "a CPU past the host's is refused");
	CHECK_EQ(live_host_cpu_check(0, here, here_node + 1, false), -EINVAL,
		 "a node that is not the CPU's is refused");

	CHECK_EQ(live_session_create(&srv, 0, &s), 0, "a session");
	client_place(&srv, &cpu, &node);
	CHECK(cpu == 0 && node == 1, "before HELLO, CPU 0 (node 1 on this machine)");
	CHECK_EQ(hello_on(s, (uint32_t)host_cpus, 0, &out, &fatal), -EINVAL, "a bad CPU");
	CHECK_EQ(fatal, 0, "a refused HELLO does not end the connection");
	CHECK_EQ(out.len, 0, "no payload with it");
	CHECK_EQ(hello_on(s, here, here_node + 1, &out, &fatal), -EINVAL, "a bad node");
	client_place(&srv, &cpu, &node);
	CHECK(cpu == 0 && node == 1, "a refused HELLO changed nothing");
	CHECK_EQ(hello_on(s, here, here_node, &out, &fatal), 0, "HELLO from where it runs");
	CHECK_EQ(out.len, sizeof(placed), "the reply says where the task runs");
	memcpy(placed, out.buf, sizeof(placed));
	CHECK_EQ(placed[0], (uint32_t)live_server_place(&srv, here, here_node), "that CPU");
	CHECK_EQ(placed[1], (uint32_t)cpu_to_node[placed[0]], "and its node");
	client_place(&srv, &cpu, &node);
	CHECK(cpu == (int)placed[0] && node == (int)placed[1], "the snapshot says the same");
	{
		struct epcmm_msg_hdr h = {EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION, EPCMM_MSG_HELLO,
					  4, 0},
				     rh;
		uint32_t one = 0;

		CHECK_EQ(live_session_handle(s, &h, (const uint8_t *)&one, &rh, &out), -EBADMSG,
			 "a HELLO without its node is malformed: the connection ends");
	}
	live_session_destroy(s);
	epcmm_wr_free(&out);
	live_server_fini(&srv);
	epc_destroy(epc);
}

/* Pinned to the last CPU it may use, a client's connect puts its task on
 * that CPU of a daemon whose machine has the host's CPUs. */
static void test_live_hello_pinned_client(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_client *c;
	struct epcmm_snapshot *v;
	cpu_set_t set, saved;
	int last = -1, tcpu, tnode;

	CHECK_EQ(sched_getaffinity(0, sizeof(saved), &saved), 0, "this thread's CPUs");
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &saved))
			last = i;
	CHECK(last >= 0, "a CPU to run on");
	CPU_ZERO(&set);
	CPU_SET(last, &set);
	CHECK_EQ(sched_setaffinity(0, sizeof(set), &set), 0, "pinned");
	c = connect_ok(fx);
	CHECK_EQ(sched_setaffinity(0, sizeof(saved), &saved), 0, "unpinned");
	CHECK_EQ(epcmm_snapshot_get(c, &v), 0, "a snapshot");
	CHECK_EQ(v->nr_clients, 1, "this client (the first to connect to this daemon)");
	CHECK_EQ(v->clients[0].cpu, last, "its task runs on the CPU it connected from");
	CHECK_EQ(v->clients[0].node, 0, "on the machine's one node");
	CHECK_EQ(v->clients[0].pid, getpid(), "its pid");
	epcmm_snapshot_free(v);
	CHECK_EQ(epcmm_hello(c, 0, 0, &tcpu, &tnode), 0, "HELLO again from CPU 0");
	CHECK(tcpu == 0 && tnode == 0, "the task moved to CPU 0");
	CHECK_EQ(epcmm_hello(c, -1, 0, NULL, NULL), -EINVAL, "a negative CPU is not sent");
	CHECK_EQ(epcmm_hello(c, 1 << 20, 0, NULL, NULL), -EINVAL, "a CPU the host lacks");
	CHECK_EQ(epcmm_ping(c), 0, "the connection goes on");
	epcmm_client_close(c);
}

#define MAX_CONN_THREADS 256

/* A daemon connection thread of this process, and the CPUs it may run on. */
struct conn_thread {
	long tid;
	char cpus[64]; /* Cpus_allowed_list */
};

/* The daemon's connection threads (named epcmm-conn) into @t, at most
 * MAX_CONN_THREADS. Return: how many. */
static int conn_threads(struct conn_thread *t)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	CHECK(d != NULL, "open /proc/self/task");
	while ((de = readdir(d)) && n < MAX_CONN_THREADS) {
		char path[300], line[128];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue; /* the thread has ended */
		if (fgets(line, sizeof(line), f) && !strcmp(line, "epcmm-conn\n")) {
			t[n] = (struct conn_thread){.tid = atol(de->d_name)};
			fclose(f);
			snprintf(path, sizeof(path), "/proc/self/task/%s/status", de->d_name);
			f = fopen(path, "r");
			while (f && fgets(line, sizeof(line), f))
				if (sscanf(line, "Cpus_allowed_list: %63s", t[n].cpus) == 1)
					n++;
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return n;
}

/* The host node of @cpu, as HELLO's check has it. */
static uint32_t host_node_of(uint32_t cpu)
{
	uint32_t node = 0;

	while (node < 1024 && live_host_cpu_check(0, cpu, node, false))
		node++;
	CHECK(node < 1024, "the CPU's node");
	return node;
}

/* The first two CPUs this process may run on into @cpu (-1: none). */
static void two_cpus(int cpu[2])
{
	cpu_set_t set;

	cpu[0] = cpu[1] = -1;
	CHECK_EQ(sched_getaffinity(0, sizeof(set), &set), 0, "this process's CPUs");
	for (int i = 0, k = 0; i < CPU_SETSIZE && k < 2; i++)
		if (CPU_ISSET(i, &set))
			cpu[k++] = i;
}

/* HELLO from @from, then from @to, on @c: how many connection threads moved
 * from being pinned to @from to being pinned to @to (other connections'
 * threads may end meanwhile; none is pinned anew). */
static int threads_moved(struct epcmm_client *c, int from, int to)
{
	struct conn_thread before[MAX_CONN_THREADS], after[MAX_CONN_THREADS];
	char want[2][16];
	int nb, na, moved = 0;

	snprintf(want[0], sizeof(want[0]), "%d", from);
	snprintf(want[1], sizeof(want[1]), "%d", to);
	CHECK_EQ(epcmm_hello(c, from, (int)host_node_of((uint32_t)from), NULL, NULL), 0,
		 "HELLO from the first CPU");
	nb = conn_threads(before);
	CHECK_EQ(epcmm_hello(c, to, (int)host_node_of((uint32_t)to), NULL, NULL), 0,
		 "HELLO from the second");
	na = conn_threads(after);
	for (int i = 0; i < nb; i++)
		for (int j = 0; j < na; j++)
			moved += before[i].tid == after[j].tid &&
				 !strcmp(before[i].cpus, want[0]) &&
				 !strcmp(after[j].cpus, want[1]);
	return moved;
}

/* The daemon runs a connection's thread on the CPU its client says at
 * HELLO, and moves it when the client says another, once the connection
 * has its slot; over the socket alone it does not place it. */
static void test_live_hello_serving_thread_follows(void **state)
{
	struct daemon_fx *fx = *state, *plain = NULL;
	struct epcmm_client *c;
	int cpu[2], ret;

	two_cpus(cpu);
	if (cpu[1] < 0) {
		print_message("SKIP: one CPU to run on: no other to move the thread to\n");
		skip();
	}
	c = connect_ok(fx);
	CHECK_EQ(threads_moved(c, cpu[0], cpu[1]), 1,
		 "one thread moved from the first CPU to the second: this client's");
	epcmm_client_close(c);

	setenv("EPCMM_NO_SHM", "1", 1);
	ret = fx_setup((void **)&plain);
	c = ret ? NULL : connect_ok(plain);
	unsetenv("EPCMM_NO_SHM"); /* before a check can end the case */
	CHECK_EQ(ret, 0, "a daemon without slots");
	CHECK_EQ(threads_moved(c, cpu[0], cpu[1]), 0, "over the socket alone, no thread placed");
	epcmm_client_close(c);
	CHECK_EQ(fx_teardown((void **)&plain), 0, "that daemon stops");
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		fail_msg("raw connect: %s", strerror(errno));
	return fd;
}

/* A raw request of @type with @len bytes of @p; its reply's status, its
 * payload into @buf (up to @cap bytes, *@n of them). */
static int raw_call(int fd, uint16_t type, const void *p, uint32_t len, void *buf, size_t cap,
		    size_t *n)
{
	struct epcmm_msg_hdr h = {EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION, type, len, 0}, rh;

	CHECK_EQ(send(fd, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h), "send a header");
	if (len)
		CHECK_EQ(send(fd, p, len, MSG_NOSIGNAL), len, "send a payload");
	CHECK_EQ(recv(fd, &rh, sizeof(rh), MSG_WAITALL), sizeof(rh), "a reply header");
	CHECK(rh.len <= cap, "a reply that fits");
	if (rh.len)
		CHECK_EQ(recv(fd, buf, rh.len, MSG_WAITALL), rh.len, "its payload");
	*n = rh.len;
	return rh.status;
}

/* A client of 0.2.0: no HELLO, the text report; served as before, its task
 * on CPU 0. */
static void test_live_hello_old_client(void **state)
{
	struct daemon_fx *fx = *state;
	int fd = raw_connect(fx->sock);
	static char buf[1 << 16];
	uint64_t size = 4 * PAGE;
	size_t n;

	CHECK_EQ(raw_call(fd, EPCMM_MSG_PING, NULL, 0, buf, sizeof(buf), &n), 0, "PING");
	CHECK_EQ(raw_call(fd, EPCMM_MSG_ENCL_CREATE, &size, 8, buf, sizeof(buf), &n), 0,
		 "an enclave without HELLO");
	CHECK_EQ(raw_call(fd, EPCMM_MSG_STATUS, NULL, 0, buf, sizeof(buf) - 1, &n), 0,
		 "the text report");
	buf[n] = '\0';
	CHECK(!strncmp(buf, "epcmm-status 1\n", 15), "as 0.2.0 knows it");
	CHECK(strstr(buf, "\nencl ") != NULL, "with the enclave");
	CHECK_EQ(raw_call(fd, EPCMM_MSG_SNAPSHOT, (uint64_t[]){0, 0}, 16, buf, sizeof(buf), &n), 0,
		 "a snapshot on the same connection");
	{
		struct epcmm_snapshot *v;

		const struct epcmm_snap_client *me = NULL;

		CHECK_EQ(epcmm_snap_decode((const uint8_t *)buf + 16, n - 16, &v), 0, "decodes");
		/* the one with an enclave: the last test's client, closed, may not
		 * be gone yet (its thread tears it down) */
		for (size_t i = 0; i < v->nr_clients; i++)
			if (v->clients[i].nr_encls == 1)
				me = &v->clients[i];
		CHECK(me != NULL && me->nr_listed == 1, "this client, with its enclave");
		CHECK_EQ(me->cpu, 0, "its task is on CPU 0");
		epcmm_snapshot_free(v);
	}
	close(fd);
}

/* ---- a fake daemon ---- */

enum fake_mode {
	FAKE_OLD,	 /* a daemon older than HELLO: unknown types refused, closed */
	FAKE_NO_SHM,	 /* HELLO fine, older than SHM: refused, closed */
	FAKE_GARBLED,	 /* HELLO fine, SHM said no, SNAPSHOT's records garbled */
	FAKE_NO_ADVANCE, /* HELLO fine, SHM said no, SNAPSHOT pages that stop moving on */
};

struct fake {
	enum fake_mode mode;
	char dir[64], sock[96];
	int lfd, conns;
	pthread_t thread;
};

/* One connection: reply to each request as @f's mode says, until EOF. */
static void fake_serve(struct fake *f, int fd)
{
	struct epcmm_msg_hdr h, rh;
	uint8_t payload[64];

	while (recv(fd, &h, sizeof(h), MSG_WAITALL) == sizeof(h) && h.len <= sizeof(payload) &&
	       (!h.len || recv(fd, payload, h.len, MSG_WAITALL) == (ssize_t)h.len)) {
		struct epcmm_wr out = {0};
		bool close_it = false;

		rh = (struct epcmm_msg_hdr){EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION,
					    (uint16_t)(h.type | EPCMM_MSG_REPLY), 0, 0};
		if ((f->mode == FAKE_OLD && h.type >= EPCMM_MSG_HELLO) ||
		    (f->mode == FAKE_NO_SHM && h.type >= EPCMM_MSG_SHM)) {
			rh.status = -EBADMSG;
			close_it = true;
		} else if (h.type == EPCMM_MSG_SHM) {
			rh.status = -EOPNOTSUPP;
		} else if (h.type == EPCMM_MSG_HELLO) {
			epcmm_wr_u32(&out, 0);
			epcmm_wr_u32(&out, 0);
		} else if (h.type == EPCMM_MSG_SNAPSHOT) {
			/* next: 0, 0 (the last page); or always 1, 0 (stuck) */
			epcmm_wr_u64(&out, f->mode == FAKE_NO_ADVANCE ? 1 : 0);
			epcmm_wr_u64(&out, 0);
			SNAP_REC(&out, EPCMM_SNAP_EPC, NULL, 1, 1, 0, 0, 0);
			if (f->mode == FAKE_GARBLED)
				SNAP_REC(&out, EPCMM_SNAP_CGROUP, "no-slash", 0, 0, 0, 0, 0, 0, 0);
		}
		rh.len = (uint32_t)out.len;
		send(fd, &rh, sizeof(rh), MSG_NOSIGNAL);
		if (out.len)
			send(fd, out.buf, out.len, MSG_NOSIGNAL);
		epcmm_wr_free(&out);
		if (close_it)
			break;
	}
	close(fd);
}

static void *fake_thread(void *arg)
{
	struct fake *f = arg;
	int fd;

	while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
		f->conns++;
		fake_serve(f, fd);
	}
	return NULL;
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	f->mode = mode;
	f->conns = 0;
	snprintf(f->dir, sizeof(f->dir), "/tmp/epcmm-fake-XXXXXX");
	CHECK(mkdtemp(f->dir) != NULL, "mkdtemp");
	snprintf(f->sock, sizeof(f->sock), "%s/sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(f->lfd >= 0 && !bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) &&
		      !listen(f->lfd, 4),
	      "listen");
	CHECK(!pthread_create(&f->thread, NULL, fake_thread, f), "the fake daemon");
}

static void fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR); /* accept() returns: the thread ends */
	pthread_join(f->thread, NULL);
	close(f->lfd);
	unlink(f->sock);
	rmdir(f->dir);
}

static void test_live_hello_old_daemon(void **state)
{
	struct epcmm_snapshot *v = NULL;
	struct epcmm_client *c;
	struct fake f;

	(void)state;
	fake_start(&f, FAKE_OLD);
	CHECK_EQ(epcmm_client_connect(f.sock, &c), 0, "connect to a daemon older than HELLO");
	CHECK_EQ(epcmm_ping(c), 0, "and talk to it");
	CHECK_EQ(epcmm_snapshot_get(c, &v), -EOPNOTSUPP, "it has no SNAPSHOT: said so");
	CHECK(v == NULL, "no snapshot");
	CHECK_EQ(epcmm_ping(c), -EPIPE, "it hung up, as it does on an unknown type");
	epcmm_client_close(c);
	fake_stop(&f);
	CHECK_EQ(f.conns, 2, "HELLO refused, then a connection without it");
}

/* A daemon that knows HELLO but not SHM: the library connects again, says
 * HELLO again and keeps to the socket. */
static void test_live_hello_daemon_without_shm(void **state)
{
	struct epcmm_client *c;
	struct fake f;

	(void)state;
	fake_start(&f, FAKE_NO_SHM);
	CHECK_EQ(epcmm_client_connect(f.sock, &c), 0, "connect to a daemon older than SHM");
	CHECK_EQ(epcmm_ping(c), 0, "and talk to it over the socket");
	CHECK_EQ(epcmm_hello(c, 0, 0, NULL, NULL), 0, "HELLO again on the new connection");
	epcmm_client_close(c);
	fake_stop(&f);
	CHECK_EQ(f.conns, 2, "SHM refused, then a connection without it");
}

static void test_live_hello_garbled_snapshot(void **state)
{
	static const enum fake_mode modes[] = {FAKE_GARBLED, FAKE_NO_ADVANCE};
	struct epcmm_snapshot *v = NULL;
	struct epcmm_client *c;
	struct fake f;

	(void)state;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		fake_start(&f, modes[i]);
		CHECK_EQ(epcmm_client_connect(f.sock, &c), 0, "connect");
		CHECK_EQ(epcmm_snapshot_get(c, &v), -EPROTO,
			 modes[i] == FAKE_GARBLED ? "a garbled record: -EPROTO"
						  : "a page that does not move on: -EPROTO");
		CHECK(v == NULL, "no snapshot");
		CHECK_EQ(epcmm_ping(c), -EPIPE, "the connection is not used after it");
		epcmm_client_close(c);
		fake_stop(&f);
	}
}

static int setup(void **state)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	/* a machine with the host's CPUs, so a client's CPU is its own */
	return fx_setup_cpus(state, n > 0 && n <= EPC_MAX_CPUS ? (int)n : 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_hello_checks_and_places),
		cmocka_unit_test(test_live_hello_pinned_client),
		cmocka_unit_test(test_live_hello_serving_thread_follows),
		cmocka_unit_test(test_live_hello_old_client),
		cmocka_unit_test(test_live_hello_old_daemon),
		cmocka_unit_test(test_live_hello_daemon_without_shm),
		cmocka_unit_test(test_live_hello_garbled_snapshot),
	};

	return cmocka_run_group_tests(tests, setup, fx_teardown);
}
