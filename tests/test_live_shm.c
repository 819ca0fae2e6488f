// SPDX-License-Identifier: MIT
/*
 * test_live_shm.c - the connection's shared-memory slot (live/shm.h,
 * docs/PROTOCOL.md "The slot"): the library takes it by default and not with
 * EPCMM_NO_SHM (then the daemon refuses it too, and the socket serves); an
 * SHM of another layout (refused) or without one (malformed); the largest
 * payloads both ways; and the daemon against a client that writes
 * the slot as it likes: malformed headers and lengths at and past the
 * maximum (an error reply, then the connection closes), garbage in every
 * word and frame while other clients are served, a client that dies with a
 * request posted. Then the ends: a daemon stopping with clients asleep, busy
 * or waiting for a reply, and a daemon killed under its clients (an error,
 * never a hang). Other live suites run over the slot too (it is the
 * default), and test_live_daemon and test_live_edmm run again over the
 * socket alone (tests/meson.build).
 *
 * In the stress suite too (tests/meson.build), so that ThreadSanitizer runs
 * the busy-clients case: EPCMM_STRESS_SCALE multiplies its requests.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "live_fixture.h"
#include "proto.h"
#include "shm.h"

#define BUSY_CLIENTS  3
#define BUSY_REQUESTS 2000   /* per client, times EPCMM_STRESS_SCALE */
#define SCRIBBLES     5000   /* garbage posts by the hostile client */
#define DOORBELLS_MAX 100000 /* bytes a closing daemon may have rung */

static int stress_scale(void)
{
	const char *s = getenv("EPCMM_STRESS_SCALE");
	int n = s ? atoi(s) : 1;

	return n > 0 ? n : 1;
}

#define MAX_SLOTS 64

/* The slots mapped in this process (the memfd's name in /proc/self/maps):
 * their inodes into @ino (at most MAX_SLOTS) and how many times each is
 * mapped into @nr: twice for a slot of an in-process daemon's client (the
 * library's mapping and the daemon's). Return: how many slots. */
static int slots_mapped(unsigned long *ino, int *nr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int n = 0;

	CHECK(f != NULL, "open /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long i;
		int k = 0;

		if (!strstr(line, "/memfd:epcmm-slot") ||
		    sscanf(line, "%*s %*s %*s %*s %lu", &i) != 1)
			continue;
		while (k < n && ino[k] != i)
			k++;
		if (k == n && n < MAX_SLOTS) {
			ino[n] = i;
			nr[n++] = 0;
		}
		if (k < n)
			nr[k]++;
	}
	fclose(f);
	return n;
}

/* How many slots are mapped now that were not when @before (@nr_before of
 * them) was taken, and how many times the last such is mapped, in *@times. */
static int slots_new(const unsigned long *before, int nr_before, int *times)
{
	unsigned long ino[MAX_SLOTS];
	int nr[MAX_SLOTS], n = slots_mapped(ino, nr), fresh = 0;

	for (int i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < nr_before; j++)
			seen |= ino[i] == before[j];
		if (!seen) {
			fresh++;
			*times = nr[i];
		}
	}
	return fresh;
}

/* ------------------------------------------------------------ a raw slot */

/* A client that speaks the slot itself, to write into it what it likes. */
struct raw_slot {
	int fd;
	struct epcmm_shm m;
	uint32_t seq;
};

/* SHM with @layout on a new connection, asserting nothing (a forked child
 * uses it too). Return: the reply's status (0: the slot is mapped in @r);
 * -EIO no reply or not SHM's, -EPROTO a reply that does not hold together. */
static int raw_slot_try(const char *sock, struct raw_slot *r, uint32_t layout)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct {
		struct epcmm_msg_hdr h;
		uint32_t layout;
	} __attribute__((packed))
	req = {{EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION, EPCMM_MSG_SHM, 4, 0}, layout};
	struct {
		struct epcmm_msg_hdr h;
		uint64_t size;
	} rep;
	int memfd, ret;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    send(r->fd, &req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return -EIO;
	/* the daemon sends a reply with one sendmsg */
	n = epcmm_shm_recv_fd(r->fd, &rep, sizeof(rep), &memfd);
	if (n < (ssize_t)sizeof(rep.h) || rep.h.type != (EPCMM_MSG_SHM | EPCMM_MSG_REPLY))
		ret = -EIO;
	else if (rep.h.status)
		ret = memfd < 0 && !rep.h.len ? rep.h.status : -EPROTO;
	else if (n != sizeof(rep) || memfd < 0 || rep.size != EPCMM_SHM_SIZE)
		ret = -EPROTO;
	else
		ret = epcmm_shm_map(&r->m, r->fd, memfd, rep.size);
	if (memfd >= 0)
		close(memfd);
	return ret;
}

static void raw_slot_open(const char *sock, struct raw_slot *r)
{
	CHECK_EQ(raw_slot_try(sock, r, EPCMM_SHM_LAYOUT), 0, "the daemon gives a slot");
}

static void raw_slot_close(struct raw_slot *r)
{
	epcmm_shm_unmap(&r->m);
	close(r->fd);
}

/* Post a request frame: @h as given (not checked), then @len payload bytes. */
static void raw_slot_post(struct raw_slot *r, const struct epcmm_msg_hdr *h, const void *payload,
			  size_t len)
{
	memcpy(r->m.req, h, sizeof(*h));
	if (len)
		memcpy(r->m.req + sizeof(*h), payload, len);
	epcmm_shm_post(&r->m, &r->m.ctl->req, ++r->seq);
}

/* The reply to the last request posted into *@rh, asserting nothing.
 * Return: 0; -ECONNRESET the daemon hung up without one; -EPROTO a reply
 * to another request. */
static int raw_slot_reply(struct raw_slot *r, struct epcmm_msg_hdr *rh)
{
	uint32_t seq;
	int ret = epcmm_shm_wait(&r->m, &r->m.ctl->rep, r->seq - 1, NULL, &seq);

	if (ret)
		return ret;
	if (seq != r->seq)
		return -EPROTO; /* not the request posted */
	memcpy(rh, r->m.rep, sizeof(*rh));
	return 0;
}

/* The daemon closed the connection: EOF after at most a few doorbells. */
static void raw_slot_expect_closed(struct raw_slot *r)
{
	char buf[256];
	size_t rung = 0;
	ssize_t n;

	while ((n = recv(r->fd, buf, sizeof(buf), 0)) > 0 && rung < DOORBELLS_MAX)
		rung += (size_t)n;
	CHECK_EQ(n, 0, "the daemon closed the connection");
}

static struct epcmm_msg_hdr hdr(uint16_t type, uint32_t len)
{
	return (struct epcmm_msg_hdr){EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION, type, len, 0};
}

/* Post @h (and @len bytes of @payload), expect an error reply @status and,
 * when @closes, the connection closed; on a fresh slot each time. */
static void raw_slot_expect(struct daemon_fx *fx, struct epcmm_msg_hdr h, const void *payload,
			    size_t len, int status, bool closes)
{
	struct epcmm_msg_hdr rh;
	struct raw_slot r;

	raw_slot_open(fx->sock, &r);
	raw_slot_post(&r, &h, payload, len);
	CHECK_EQ(raw_slot_reply(&r, &rh), 0, "a reply in the slot");
	CHECK_EQ(rh.magic, EPCMM_PROTO_MAGIC, "the reply's magic");
	CHECK_EQ(rh.status, status, "the reply's status");
	CHECK_EQ(rh.len, 0, "no payload with an error");
	if (closes)
		raw_slot_expect_closed(&r);
	raw_slot_close(&r);
}

/* ------------------------------------------------------------ the library */

static void test_live_shm_library_takes_the_slot(void **state)
{
	struct daemon_fx *fx = *state;
	unsigned long before[MAX_SLOTS];
	int nr[MAX_SLOTS], nr_before = slots_mapped(before, nr), times = 0;
	struct epcmm_client *c = connect_ok(fx);
	uint64_t e, v = 42, back = 0;

	CHECK_EQ(slots_new(before, nr_before, &times), 1, "a slot for the new connection");
	CHECK_EQ(times, 2, "mapped by the client and by the daemon");
	CHECK_EQ(epcmm_encl_create(c, 4 * PAGE, &e), 0, "create");
	CHECK_EQ(epcmm_encl_add_pages(c, e, 0, 4, NULL), 0, "add");
	CHECK_EQ(epcmm_encl_init(c, e), 0, "init");
	CHECK_EQ(epcmm_encl_write(c, e, 8, &v, sizeof(v)), 0, "write through the slot");
	CHECK_EQ(epcmm_encl_read(c, e, 8, &back, sizeof(back)), 0, "read through the slot");
	CHECK_EQ(back, 42, "what was written");
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy");
	epcmm_client_close(c);
}

/* EPCMM_NO_SHM: the library does not ask, and the daemon (started with it)
 * refuses a client that asks anyway; both go on over the socket. */
static void test_live_shm_switched_off(void **state)
{
	struct daemon_fx *fx = NULL;
	struct epcmm_msg_hdr h = hdr(EPCMM_MSG_PING, 0), rh;
	struct epcmm_client *c;
	unsigned long before[MAX_SLOTS];
	int nr[MAX_SLOTS], nr_before = slots_mapped(before, nr), times = 0, fresh, ret;
	struct raw_slot r;

	(void)state;
	setenv("EPCMM_NO_SHM", "1", 1);
	ret = fx_setup((void **)&fx);
	c = ret ? NULL : connect_ok(fx);
	unsetenv("EPCMM_NO_SHM"); /* before a check can end the case */
	CHECK_EQ(ret, 0, "a daemon started with EPCMM_NO_SHM=1");
	CHECK_EQ(epcmm_ping(c), 0, "the library's requests go over the socket");
	fresh = slots_new(before, nr_before, &times);
	CHECK_EQ(fresh, 0, "no slot was made");
	epcmm_client_close(c);

	CHECK_EQ(raw_slot_try(fx->sock, &r, EPCMM_SHM_LAYOUT), -EOPNOTSUPP,
		 "a client that asks is refused");
	CHECK_EQ(send(r.fd, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h), "PING on the socket");
	CHECK_EQ(recv(r.fd, &rh, sizeof(rh), MSG_WAITALL), sizeof(rh), "its reply");
	CHECK_EQ(rh.status, 0, "the socket serves on");
	raw_slot_close(&r);
	CHECK_EQ(fx_teardown((void **)&fx), 0, "the daemon stops");
}

/* SHM that cannot be granted: another layout (refused, the socket goes
 * on), a payload that is not one u32 (malformed: the connection closes). */
static void test_live_shm_offer_refusals(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_msg_hdr h = hdr(EPCMM_MSG_PING, 0), rh;
	struct raw_slot r;
	char extra;

	CHECK_EQ(raw_slot_try(fx->sock, &r, EPCMM_SHM_LAYOUT + 1), -EOPNOTSUPP,
		 "a layout the daemon does not know: refused");
	CHECK_EQ(send(r.fd, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h), "PING on the socket");
	CHECK_EQ(recv(r.fd, &rh, sizeof(rh), MSG_WAITALL), sizeof(rh), "its reply");
	CHECK_EQ(rh.status, 0, "the socket goes on");
	h = hdr(EPCMM_MSG_SHM, 0);
	CHECK_EQ(send(r.fd, &h, sizeof(h), MSG_NOSIGNAL), sizeof(h), "SHM without its layout");
	CHECK_EQ(recv(r.fd, &rh, sizeof(rh), MSG_WAITALL), sizeof(rh), "its reply");
	CHECK_EQ(rh.status, -EBADMSG, "malformed");
	CHECK_EQ(recv(r.fd, &extra, 1, 0), 0, "and the connection closed");
	raw_slot_close(&r);
}

/* The largest request (ENCL_ADD of 256 pages with their data, ENCL_WRITE
 * of EPCMM_PROTO_MAX_IO) and reply (ENCL_READ of as much), through the slot. */
static void test_live_shm_largest_payloads(void **state)
{
	struct daemon_fx *fx = *state;
	const size_t n = EPCMM_PROTO_MAX_IO, pages = n / PAGE;
	uint8_t *src = malloc(n), *back = malloc(n);
	struct epcmm_client *c = connect_ok(fx);
	uint64_t e;

	CHECK(src && back, "memory");
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i * 7 + i / PAGE);
	CHECK_EQ(epcmm_encl_create(c, n, &e), 0, "create an enclave of the largest read");
	CHECK_EQ(epcmm_encl_add_pages(c, e, 0, pages, src), 0,
		 "add 256 pages with their data in one request");
	CHECK_EQ(epcmm_encl_init(c, e), 0, "init");
	CHECK_EQ(epcmm_encl_read(c, e, 0, back, n), 0, "the largest read in one reply");
	CHECK(!memcmp(src, back, n), "the pages as added");
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)~src[i];
	CHECK_EQ(epcmm_encl_write(c, e, 0, src, n), 0, "the largest write in one request");
	memset(back, 0, n);
	CHECK_EQ(epcmm_encl_read(c, e, 0, back, n), 0, "read it back");
	CHECK(!memcmp(src, back, n), "as written");
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy");
	epcmm_client_close(c);
	free(src);
	free(back);
}

/* ------------------------------------------------------------ hostile slots */

static void test_live_shm_malformed_requests(void **state)
{
	struct daemon_fx *fx = *state;
	static uint8_t big[EPCMM_PROTO_MAX_PAYLOAD];
	struct epcmm_msg_hdr h = hdr(EPCMM_MSG_PING, 0);
	struct epcmm_client *c;
	uint64_t all_ones = UINT64_MAX;

	h.magic = 0xdeadbeef;
	raw_slot_expect(fx, h, NULL, 0, -EPROTO, true);
	h = hdr(EPCMM_MSG_PING, 0);
	h.version = 7;
	raw_slot_expect(fx, h, NULL, 0, -EPROTONOSUPPORT, true);
	raw_slot_expect(fx, hdr(EPCMM_MSG_PING, UINT32_MAX), NULL, 0, -EMSGSIZE, true);
	raw_slot_expect(fx, hdr(EPCMM_MSG_PING, EPCMM_PROTO_MAX_PAYLOAD + 1), NULL, 0, -EMSGSIZE,
			true);
	/* the largest length the slot holds, read whole: a PING has no payload */
	memset(big, 0xa5, sizeof(big));
	raw_slot_expect(fx, hdr(EPCMM_MSG_PING, EPCMM_PROTO_MAX_PAYLOAD), big, sizeof(big),
			-EBADMSG, true);
	raw_slot_expect(fx, hdr(200, 0), NULL, 0, -EBADMSG, true);
	raw_slot_expect(fx, hdr(EPCMM_MSG_ENCL_CREATE, 5), big, 5, -EBADMSG, true);
	/* well formed but refused: a reply, and the slot serves on */
	raw_slot_expect(fx, hdr(EPCMM_MSG_ENCL_DESTROY, 8), &all_ones, 8, -EBADF, false);
	raw_slot_expect(fx, hdr(EPCMM_MSG_SHM, 4), (uint32_t[]){EPCMM_SHM_LAYOUT}, 4, -EOPNOTSUPP,
			false);

	c = connect_ok(fx);
	CHECK_EQ(epcmm_ping(c), 0, "the daemon still serves others");
	expect_settled(c);
	epcmm_client_close(c);
}

struct scribbler {
	const char *sock;
	atomic_int done;      /* garbage posts made */
	atomic_bool finished; /* the scribbler has stopped */
	int slots;	      /* connections it scribbled on (the daemon closes them) */
};

/* Garbage in every word and frame but the request's number, and a request
 * posted with a new number (to wait for an answer to) or with the same one
 * (not): the daemon answers what it can read, or closes the connection,
 * and the scribbler goes on on a new one. */
static void *scribble(void *arg)
{
	struct scribbler *sc = arg;
	uint32_t x = 2463534242u, cur, rep, seq;
	struct raw_slot r;
	int ret = 0;

	for (int i = 0; i < SCRIBBLES; i++) {
		uint32_t *w;

		if (i == 0 || ret) {
			if (i)
				raw_slot_close(&r);
			if (raw_slot_try(sc->sock, &r, EPCMM_SHM_LAYOUT)) {
				atomic_store(&sc->finished, true);
				return NULL; /* the test sees the posts missing */
			}
			sc->slots++;
		}
		w = (uint32_t *)r.m.base;
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		/* not req.seq: the scribbler must know whether it posted, to
		 * wait for an answer or not; nor req.sleep down: a daemon's
		 * thread asleep and not rung would leave the scribbler waiting
		 * (a client that does it hangs itself, and only itself) */
		w[2 + x % (2 * EPCMM_SHM_PAGE / 4 - 2)] = x;
		if (i % 3 == 0)
			memcpy(r.m.req,
			       &(struct epcmm_msg_hdr){EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION,
						       (uint16_t)(x % EPCMM_MSG_TYPE_END), x % 64,
						       0},
			       sizeof(struct epcmm_msg_hdr));
		cur = atomic_load(&r.m.ctl->req.seq);
		rep = atomic_load(&r.m.ctl->rep.seq);
		if (x & 1)
			atomic_store(&r.m.ctl->req.sleep, 1);
		atomic_store(&r.m.ctl->rep.sleep, (x >> 1) & 1);
		ret = 0;
		if (x % 7) { /* a request: wait for the daemon to answer or close */
			epcmm_shm_post(&r.m, &r.m.ctl->req, x == cur ? x + 1 : x);
			ret = epcmm_shm_wait(&r.m, &r.m.ctl->rep, rep, NULL, &seq);
		}
		atomic_fetch_add(&sc->done, 1);
	}
	raw_slot_close(&r);
	atomic_store(&sc->finished, true);
	return NULL;
}

static void test_live_shm_scribbled_slot_harms_no_one_else(void **state)
{
	struct daemon_fx *fx = *state;
	struct scribbler sc = {.sock = fx->sock};
	struct epcmm_client *c = connect_ok(fx);
	pthread_t t;
	uint64_t e, v;
	int served = 0;

	CHECK_EQ(epcmm_encl_create(c, 4 * PAGE, &e), 0, "create");
	CHECK_EQ(epcmm_encl_add_pages(c, e, 0, 4, NULL), 0, "add");
	CHECK_EQ(epcmm_encl_init(c, e), 0, "init");
	CHECK_EQ(pthread_create(&t, NULL, scribble, &sc), 0, "the scribbler");
	/* served while the scribbler scribbles, and after */
	while (!atomic_load(&sc.finished) || served < 100) {
		v = (uint64_t)served;
		CHECK_EQ(epcmm_encl_write(c, e, 16, &v, sizeof(v)), 0, "a write beside it");
		CHECK_EQ(epcmm_encl_read(c, e, 16, &v, sizeof(v)), 0, "a read beside it");
		CHECK_EQ(v, (uint64_t)served, "what was written");
		served++;
	}
	pthread_join(t, NULL);
	CHECK_EQ(atomic_load(&sc.done), SCRIBBLES, "the scribbler always got a slot");
	print_message("# %d slots scribbled on\n", sc.slots);
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy");
	expect_settled(c); /* the scribbler's connections left nothing behind */
	epcmm_client_close(c);
}

/* A child process that posts a long request and dies without its reply. */
static void test_live_shm_client_dies_mid_request(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_client *c = connect_ok(fx);
	int status;
	pid_t pid;

	for (int round = 0; round < 2; round++) {
		pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			uint64_t size = 2 * EPC_PAGES * PAGE, args[3] = {0, 0, 2 * EPC_PAGES};
			struct epcmm_msg_hdr rh;
			struct raw_slot r;

			if (raw_slot_try(fx->sock, &r, EPCMM_SHM_LAYOUT))
				_exit(1);
			raw_slot_post(&r,
				      &(struct epcmm_msg_hdr){EPCMM_PROTO_MAGIC,
							      EPCMM_PROTO_VERSION,
							      EPCMM_MSG_ENCL_CREATE, 8, 0},
				      &size, 8);
			if (raw_slot_reply(&r, &rh) || rh.status || rh.len != 8)
				_exit(1);
			memcpy(&args[0], r.m.rep + sizeof(rh), 8);
			/* more pages than the EPC: it evicts as it goes */
			raw_slot_post(&r,
				      &(struct epcmm_msg_hdr){EPCMM_PROTO_MAGIC,
							      EPCMM_PROTO_VERSION,
							      EPCMM_MSG_ENCL_ADD, 24, 0},
				      args, sizeof(args));
			if (round)
				kill(getpid(), SIGKILL);
			_exit(0);
		}
		CHECK_EQ(waitpid(pid, &status, 0), pid, "reap the child");
		CHECK(round ? WIFSIGNALED(status) : WIFEXITED(status) && !WEXITSTATUS(status),
		      "the child posted its request and died");
	}
	CHECK_EQ(epcmm_ping(c), 0, "the daemon serves on");
	expect_settled(c);
	epcmm_client_close(c);
}

/* ------------------------------------------------------------ the ends */

struct busy {
	const char *sock;
	int requests; /* 0: until an error */
	int err;      /* the error that ended it (0: none) */
	int done;
};

static void *busy_client(void *arg)
{
	struct busy *b = arg;
	struct epcmm_client *c;
	uint64_t e, v = 0;

	b->err = epcmm_client_connect(b->sock, &c);
	if (b->err)
		return NULL;
	if (!(b->err = epcmm_encl_create(c, PAGE, &e)) &&
	    !(b->err = epcmm_encl_add_pages(c, e, 0, 1, NULL)) && !(b->err = epcmm_encl_init(c, e)))
		for (; !b->requests || b->done < b->requests; b->done++) {
			if ((b->err = epcmm_encl_write(c, e, 0, &v, sizeof(v))) ||
			    (b->err = epcmm_encl_read(c, e, 0, &v, sizeof(v))))
				break;
			if (v != (uint64_t)b->done) {
				b->err = -EILSEQ;
				break;
			}
			v++;
		}
	epcmm_client_close(c);
	return NULL;
}

/* Clients at full speed at once, each pair on a CPU of its own when there
 * are enough: every request answered, in order. */
static void test_live_shm_busy_clients(void **state)
{
	struct daemon_fx *fx = *state;
	struct busy b[BUSY_CLIENTS];
	pthread_t t[BUSY_CLIENTS];

	for (int i = 0; i < BUSY_CLIENTS; i++) {
		b[i] = (struct busy){.sock = fx->sock, .requests = BUSY_REQUESTS * stress_scale()};
		CHECK_EQ(pthread_create(&t[i], NULL, busy_client, &b[i]), 0, "a client");
	}
	for (int i = 0; i < BUSY_CLIENTS; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ_AT(b[i].err, 0, i);
		CHECK_EQ_AT(b[i].done, b[i].requests, i);
	}
}

/* The daemon stops under a client asleep in its slot (the daemon's thread
 * sleeps too, on the socket) and clients that keep asking: it stops, and
 * every client gets an error. */
static void test_live_shm_stop_with_idle_and_busy_clients(void **state)
{
	struct daemon_fx *fx = NULL;
	struct busy b[BUSY_CLIENTS];
	pthread_t t[BUSY_CLIENTS];
	struct epcmm_msg_hdr h = hdr(EPCMM_MSG_PING, 0), rh;
	struct raw_slot idle;

	(void)state;
	CHECK_EQ(fx_setup((void **)&fx), 0, "a daemon to stop");
	raw_slot_open(fx->sock, &idle);
	raw_slot_post(&idle, &h, NULL, 0);
	CHECK_EQ(raw_slot_reply(&idle, &rh), 0, "a PING through the slot");
	CHECK_EQ(rh.status, 0, "answered");
	/* the daemon's thread goes to sleep once nothing comes for a while */
	while (!atomic_load(&idle.m.ctl->req.sleep))
		sched_yield();
	for (int i = 0; i < BUSY_CLIENTS; i++) {
		b[i] = (struct busy){.sock = fx->sock};
		CHECK_EQ(pthread_create(&t[i], NULL, busy_client, &b[i]), 0, "a client");
	}
	CHECK_EQ(fx_stop(fx), 0, "the daemon stops with its clients there");
	for (int i = 0; i < BUSY_CLIENTS; i++) {
		pthread_join(t[i], NULL);
		CHECK_AT(b[i].err < 0, i); /* connect refused, or a request cut short */
	}
	raw_slot_expect_closed(&idle);
	raw_slot_close(&idle);
	close(fx->o.stop_fd);
	rmdir(fx->dir);
	free(fx);
}

struct waiter {
	struct epcmm_client *c;
	int err;
};

static void *wait_ping(void *arg)
{
	struct waiter *w = arg;

	w->err = epcmm_ping(w->c);
	return NULL;
}

/* The daemon the test below kills: this program run again (a fresh
 * process), serving on @sock; readiness written on descriptor 3. */
static int daemon_main(const char *sock)
{
	struct epc_section_desc sec = {0x100000, EPC_PAGES * PAGE, 0};
	struct epc_config cfg = {.nr_nodes = 1,
				 .sections = &sec,
				 .nr_sections = 1,
				 .background = EPC_BACKGROUND_THREADS};
	struct live_daemon_opts o = {.cfg = &cfg,
				     .socket_path = sock,
				     .stop_fd = eventfd(0, EFD_CLOEXEC),
				     .ready_fd = 3};

	return o.stop_fd < 0 || live_daemon_run(&o) ? 1 : 0;
}

/* A daemon killed while a client waits for its reply, and one killed
 * between requests: the client gets -ECONNRESET, never a hang. */
static void test_live_shm_daemon_killed(void **state)
{
	char dir[] = "/tmp/epcmm-live-XXXXXX", sock[64];
	struct epcmm_client *c[2];
	struct waiter w;
	int ready[2], status;
	pthread_t t;
	pid_t pid;
	char ch;

	(void)state;
	CHECK(mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	CHECK_EQ(pipe(ready), 0, "pipe");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		if (dup2(ready[1], 3) == 3)
			execl("/proc/self/exe", "test_live_shm", "--daemon", sock, (char *)NULL);
		_exit(127);
	}
	close(ready[1]);
	CHECK_EQ(read(ready[0], &ch, 1), 1, "the daemon in a child process serves");
	close(ready[0]);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(epcmm_client_connect(sock, &c[i]), 0, "connect");
		CHECK_EQ(epcmm_ping(c[i]), 0, "a request through the slot");
	}
	CHECK_EQ(kill(pid, SIGSTOP), 0, "stop the daemon");
	w = (struct waiter){.c = c[0]};
	CHECK_EQ(pthread_create(&t, NULL, wait_ping, &w), 0, "a client that waits for a reply");
	CHECK_EQ(kill(pid, SIGKILL), 0, "kill the daemon");
	CHECK_EQ(waitpid(pid, &status, 0), pid, "reap it");
	pthread_join(t, NULL);
	CHECK_EQ(w.err, -ECONNRESET, "the waiting client: connection reset");
	CHECK_EQ(epcmm_ping(c[1]), -ECONNRESET, "a client that asks after: connection reset");
	CHECK_EQ(epcmm_ping(c[1]), -EPIPE, "and the connection is not used again");
	for (int i = 0; i < 2; i++)
		epcmm_client_close(c[i]);
	unlink(sock);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_shm_library_takes_the_slot),
		cmocka_unit_test(test_live_shm_switched_off),
		cmocka_unit_test(test_live_shm_offer_refusals),
		cmocka_unit_test(test_live_shm_largest_payloads),
		cmocka_unit_test(test_live_shm_malformed_requests),
		cmocka_unit_test(test_live_shm_scribbled_slot_harms_no_one_else),
		cmocka_unit_test(test_live_shm_client_dies_mid_request),
		cmocka_unit_test(test_live_shm_busy_clients),
		cmocka_unit_test(test_live_shm_stop_with_idle_and_busy_clients),
		cmocka_unit_test(test_live_shm_daemon_killed),
	};

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && !strcmp(argv[1], "--daemon"))
		return daemon_main(argv[2]);
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
