// SPDX-License-Identifier: MIT
/*
 * test_live_hostile.c - the daemon against careless and hostile use of its
 * socket (issue 15): a --socket path that names something else is left
 * alone, a stale socket is replaced and a live one is not; an ENCL_ADD stops
 * once its client has hung up and is bounded by the EPC; and a daemon out of
 * file descriptors closes the clients it cannot serve, rather than leave them
 * hanging while it spins, and serves again once descriptors are back.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "check.h"

#include "live_fixture.h"
#include "proto.h"
#include "session.h"

#define ADD_PAGES 200 /* an ENCL_ADD the tests stop: well over one peer check */

/* ------------------------------------------------------------ --socket */

/* Run a daemon on @path that is told to stop before it starts: its return
 * says whether it could start there. */
static int daemon_start_stop(struct daemon_fx *fx, const char *path)
{
	struct live_daemon_opts o = fx->o;
	uint64_t one = 1;
	int ret;

	o.socket_path = path;
	o.ready_fd = -1;
	o.stop_fd = eventfd(0, EFD_CLOEXEC);
	CHECK(o.stop_fd >= 0, "an eventfd");
	CHECK_EQ(write(o.stop_fd, &one, sizeof(one)), (ssize_t)sizeof(one), "stop at once");
	ret = live_daemon_run(&o);
	close(o.stop_fd);
	return ret;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f != NULL, "create a file");
	fputs(text, f);
	CHECK_EQ(fclose(f), 0, "write a file");
}

static void expect_file_text(const char *path, const char *want)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		fail_msg("%s is gone: %s", path, strerror(errno));
	CHECK(fgets(buf, sizeof(buf), f) != NULL, "read the file");
	fclose(f);
	if (strcmp(buf, want))
		fail_msg("%s holds '%s', not what it held ('%s')", path, buf, want);
}

static void test_live_hostile_socket_leaves_other_files_alone(void **state)
{
	struct daemon_fx *fx = *state;
	char file[128], dir[128], link[128];
	struct stat st;

	snprintf(file, sizeof(file), "%s/f", fx->dir);
	snprintf(dir, sizeof(dir), "%s/d", fx->dir);
	snprintf(link, sizeof(link), "%s/l", fx->dir);
	write_file(file, "data\n");
	CHECK_EQ(mkdir(dir, 0700), 0, "mkdir");
	CHECK_EQ(symlink(file, link), 0, "symlink");

	CHECK_EQ(daemon_start_stop(fx, file), -EEXIST, "a regular file is not replaced");
	expect_file_text(file, "data\n");
	CHECK_EQ(daemon_start_stop(fx, link), -EEXIST, "a symlink is not replaced");
	CHECK_EQ(lstat(link, &st), 0, "the symlink is there");
	CHECK(S_ISLNK(st.st_mode), "and still a symlink");
	expect_file_text(file, "data\n");
	CHECK(daemon_start_stop(fx, dir) < 0, "a directory is refused");
	CHECK_EQ(stat(dir, &st), 0, "the directory is there");
	CHECK(S_ISDIR(st.st_mode), "and still a directory");

	unlink(link);
	unlink(file);
	rmdir(dir);
}

static void test_live_hostile_socket_stale_replaced_live_refused(void **state)
{
	struct daemon_fx *fx = *state;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epcmm_client *c;
	int fd;

	/* A socket nobody listens on: what a daemon killed with -9 leaves. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stale", fx->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0, "a socket");
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "bind the stale socket");
	close(fd);
	CHECK_EQ(daemon_start_stop(fx, sa.sun_path), 0, "a stale socket is replaced");
	CHECK_EQ(access(sa.sun_path, F_OK), -1, "and the daemon removed its own at exit");

	CHECK_EQ(daemon_start_stop(fx, fx->sock), -EADDRINUSE, "a live daemon's socket is kept");
	c = connect_ok(fx);
	CHECK_EQ(epcmm_ping(c), 0, "the first daemon still answers");
	epcmm_client_close(c);
}

/* A daemon removes the socket it made at exit, not what has taken its
 * place since. */
static void test_live_hostile_socket_exit_removes_only_its_own(void **state)
{
	struct daemon_fx *fx = *state, *second = NULL;
	char path[128];

	(void)fx;
	CHECK_EQ(fx_setup((void **)&second), 0, "start a second daemon");
	snprintf(path, sizeof(path), "%s.moved", second->sock);
	CHECK_EQ(rename(second->sock, path), 0, "move its socket away");
	write_file(second->sock, "mine\n");
	CHECK_EQ(fx_stop(second), 0, "the second daemon stops");
	expect_file_text(second->sock, "mine\n");
	unlink(second->sock);
	unlink(path);
	close(second->o.stop_fd);
	rmdir(second->dir);
	free(second);
}

/* ------------------------------------------------------------ ENCL_ADD */

struct session_fx {
	struct live_server *srv;
	struct live_session *s;
	struct epcmm_wr req, out;
	struct epcmm_msg_hdr rh;
};

/* One request of @type with the payload in f->req; the reply in f->rh/out. */
static int session_call(struct session_fx *f, uint16_t type)
{
	struct epcmm_msg_hdr h = {.magic = EPCMM_PROTO_MAGIC,
				  .version = EPCMM_PROTO_VERSION,
				  .type = type,
				  .len = (uint32_t)f->req.len};
	int ret = live_session_handle(f->s, &h, f->req.buf, &f->rh, &f->out);

	epcmm_wr_reset(&f->req);
	return ret ? ret : f->rh.status;
}

static uint64_t session_encl_create(struct session_fx *f)
{
	struct epcmm_rd r;
	uint64_t id = 0;

	epcmm_wr_u64(&f->req, 1ull << 30);
	CHECK_EQ(session_call(f, EPCMM_MSG_ENCL_CREATE), 0, "create an enclave");
	r = (struct epcmm_rd){f->out.buf, f->out.len};
	CHECK_EQ(epcmm_rd_u64(&r, &id), 0, "its handle");
	return id;
}

static int session_add(struct session_fx *f, uint64_t id, uint64_t nr)
{
	epcmm_wr_u64(&f->req, id);
	epcmm_wr_u64(&f->req, 0);
	epcmm_wr_u64(&f->req, nr);
	return session_call(f, EPCMM_MSG_ENCL_ADD);
}

static uint64_t session_encl_pages(struct session_fx *f, uint64_t id)
{
	struct epcmm_rd r;
	uint64_t nr = UINT64_MAX;

	epcmm_wr_u64(&f->req, id);
	CHECK_EQ(session_call(f, EPCMM_MSG_ENCL_STATS), 0, "the enclave's stats");
	r = (struct epcmm_rd){f->out.buf, f->out.len};
	CHECK_EQ(epcmm_rd_u64(&r, &nr), 0, "its page count");
	return nr;
}

static void test_live_hostile_add_stops_when_client_hangs_up(void **state)
{
	struct daemon_fx *fx = *state;
	struct live_server srv;
	struct session_fx f = {.srv = &srv};
	struct epc *epc;
	uint64_t id;
	int sp[2];

	CHECK_EQ(epc_create2(&fx->cfg, sizeof(struct epc_config), &epc), 0, "an EPC");
	epc_sanitize_wait(epc);
	CHECK_EQ(live_server_init(&srv, epc, &fx->cfg), 0, "a server");
	CHECK_EQ(live_session_create(&srv, 0, &f.s), 0, "a session");
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0, "a socket pair");
	live_session_watch_peer(f.s, sp[0]);

	id = session_encl_create(&f);
	CHECK_EQ(session_add(&f, id, 1), 0, "a client that is there adds a page");
	close(sp[1]); /* the client is killed while its next request waits */
	CHECK_EQ(session_add(&f, id, ADD_PAGES), -EINTR,
		 "a request whose client has hung up stops");
	CHECK(session_encl_pages(&f, id) <= 1 + SESSION_PEER_CHECK_PAGES,
	      "it stops within one check's pages, not after all of them");

	live_session_destroy(f.s);
	close(sp[0]);
	epcmm_wr_free(&f.req);
	epcmm_wr_free(&f.out);
	live_server_fini(&srv);
	epc_destroy(epc);
}

static void test_live_hostile_add_bounded_by_the_epc(void **state)
{
	struct daemon_fx *fx = *state;
	struct live_server srv;
	struct session_fx f = {.srv = &srv};
	struct epc *epc;
	uint64_t id;

	CHECK_EQ(epc_create2(&fx->cfg, sizeof(struct epc_config), &epc), 0, "an EPC");
	epc_sanitize_wait(epc);
	CHECK_EQ(live_server_init(&srv, epc, &fx->cfg), 0, "a server");
	CHECK_EQ(live_session_create(&srv, 0, &f.s), 0, "a session");
	id = session_encl_create(&f);
	CHECK_EQ(session_add(&f, id, 1ull << 34), -E2BIG, "2^34 pages in one request");
	CHECK_EQ(session_add(&f, id, EPC_PAGES + 1), -E2BIG, "one page more than the EPC");
	CHECK_EQ(session_encl_pages(&f, id), 0, "a refused request added nothing");
	CHECK_EQ(session_add(&f, id, EPC_PAGES / 2), 0, "and the connection goes on");
	CHECK_EQ(session_encl_pages(&f, id), EPC_PAGES / 2, "with its pages");

	live_session_destroy(f.s);
	epcmm_wr_free(&f.req);
	epcmm_wr_free(&f.out);
	live_server_fini(&srv);
	epc_destroy(epc);
}

/* The client library's zero-page adds of more than the EPC still work: it
 * sends them in batches the daemon takes. */
static void test_live_hostile_add_many_zero_pages_through_the_client(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_client *c = connect_ok(fx);
	struct epcmm_encl_stats st;
	uint64_t e;

	CHECK_EQ(epcmm_encl_create(c, 4 * EPC_PAGES * PAGE, &e), 0, "create");
	CHECK_EQ(epcmm_encl_add_pages(c, e, 0, 2 * EPC_PAGES, NULL), 0, "twice the EPC's pages");
	CHECK_EQ(epcmm_encl_stats(c, e, &st), 0, "stats");
	CHECK_EQ(st.nr_pages, 2 * EPC_PAGES, "all of them added");
	CHECK_EQ(epcmm_encl_destroy(c, e), 0, "destroy");
	epcmm_client_close(c);
}

/* ------------------------------------------------------------ out of fds */

struct fd_hog {
	int *fds;
	int nr;
};

/* Take every free descriptor of the process but @spare. */
static void fd_hog_fill(struct fd_hog *h, int spare)
{
	struct rlimit rl;

	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0, "getrlimit");
	h->fds = calloc(rl.rlim_cur, sizeof(int));
	CHECK(h->fds != NULL, "memory for the descriptors");
	h->nr = 0;
	for (int fd; (fd = dup(0)) >= 0;)
		h->fds[h->nr++] = fd;
	CHECK_EQ(errno, EMFILE, "the process ran out of descriptors");
	for (; spare > 0 && h->nr > 0; spare--)
		close(h->fds[--h->nr]);
}

static void fd_hog_release(struct fd_hog *h)
{
	while (h->nr > 0)
		close(h->fds[--h->nr]);
	free(h->fds);
}

static void test_live_hostile_out_of_fds_closes_clients(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_client *c = NULL;
	struct fd_hog hog;
	struct rlimit rl, low;
	int ret;

	/* A low limit keeps the hog small; the daemon shares this process's
	 * descriptor table, so it is out of them too. */
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0, "getrlimit");
	low = (struct rlimit){rl.rlim_cur < 256 ? rl.rlim_cur : 256, rl.rlim_max};
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0, "setrlimit");
	fd_hog_fill(&hog, 1); /* one left: the client's own socket */
	ret = epcmm_client_connect(fx->sock, &c);
	fd_hog_release(&hog);
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0, "restore the limit");
	/* Before: the client was never accepted and waited for ever. */
	if (ret != -ECONNRESET && ret != -EPIPE)
		fail_msg("a client the daemon has no descriptor for is closed: got %d", ret);

	c = connect_ok(fx);
	CHECK_EQ(epcmm_ping(c), 0, "with descriptors back, the daemon serves again");
	epcmm_client_close(c);
}

int main(void)
{
	/* The out-of-fds case first: the daemon shares this process's table of
	 * descriptors, and a connection of an earlier case may still be closing
	 * in its thread, which would hand the daemon a descriptor mid-case. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_hostile_out_of_fds_closes_clients),
		cmocka_unit_test(test_live_hostile_socket_leaves_other_files_alone),
		cmocka_unit_test(test_live_hostile_socket_stale_replaced_live_refused),
		cmocka_unit_test(test_live_hostile_socket_exit_removes_only_its_own),
		cmocka_unit_test(test_live_hostile_add_stops_when_client_hangs_up),
		cmocka_unit_test(test_live_hostile_add_bounded_by_the_epc),
		cmocka_unit_test(test_live_hostile_add_many_zero_pages_through_the_client),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
