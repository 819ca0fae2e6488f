// SPDX-License-Identifier: MIT
/*
 * test_live_status.c - the daemon's state as `epcmm status` and `epcmm top`
 * get it: SNAPSHOT records (live_server_status_page with records, decoded
 * by the client library's epcmm_snap_decode, rendered by live/view.c), and
 * the text report kept for 0.2.0's clients (live_server_status, the
 * STATUS_PAGE pages). Items of any length (a cgroup path of about 4,000
 * bytes, in a cgroup item and in a client item); over 14,000 cgroups, too
 * big for one reply, gathered in pages that each stay within the payload
 * limit; a page that starts at any line of the report starts exactly there;
 * the same through a real daemon and the client library (a long path; a
 * state over one reply, twice). Cgroup names with spaces and control bytes
 * come whole in records and escaped in text and on screen; an item longer
 * than a whole page (a chain of 4,095-byte names) is sent in pieces and put
 * together by the client. Then the decoder on its own: truncated and
 * garbled records refused, a newer daemon's kinds and fields skipped, an
 * enclave that does not follow its client left out, rates from two
 * snapshots of many cgroups.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
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
#include "view.h"

/* Over 14,000 cgroups (about 100 bytes a line): a report over one reply.
 * The number first, so that names differ early (the tree's lookups compare
 * names, and the test should not spend its time there). */
#define MANY_CGROUPS 15000
#define MANY_NAME    "/%06d-a-cgroup-with-a-name-long-enough-to-fill-pages"
/* Through the daemon, fewer cgroups with long names (over 300 bytes a
 * line): a report over one reply too. */
#define LONG_CGROUPS 4000
#define LONG_PAD     240
/* Levels of LIVE_CGFS_NAME_MAX-byte names of backslashes (four bytes each
 * in the report): the deepest path's line is over a page (1 MiB). Records
 * carry names as they are: their path is over a page at RECORD_LEVELS. */
#define LONG_LINE_LEVELS 66
#define RECORD_LEVELS	 260
/* A cgroup name of the longest length the library takes. */
#define NAME_MAX_LEN 255
/* Levels of NAME_MAX_LEN-byte names: a path of 15 * 256 = 3,840 bytes. */
#define DEEP_LEVELS 15

struct srv_fx {
	struct epc *epc;
	struct live_server srv;
	/* serve_start(): one client served over a socket, by the daemon's own
	 * request handler (live_session_handle) */
	char dir[64], sock[96];
	int lfd;
	pthread_t thread;
};

static void quiet(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

static struct srv_fx *srv_start(void)
{
	static const struct epc_section_desc sec = {0x100000, EPC_PAGES * PAGE, 0};
	struct epc_config cfg = {.nr_nodes = 1,
				 .sections = &sec,
				 .nr_sections = 1,
				 .background = EPC_BACKGROUND_MANUAL,
				 .log = quiet};
	struct srv_fx *fx = calloc(1, sizeof(*fx));

	CHECK(fx != NULL, "memory");
	CHECK_EQ(epc_create2(&cfg, sizeof(cfg), &fx->epc), 0, "epc_create");
	CHECK_EQ(epc_sanitize_wait(fx->epc), 0, "sanitize");
	CHECK_EQ(live_server_init(&fx->srv, fx->epc, &cfg), 0, "live_server_init");
	return fx;
}

static int read_full(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r <= 0)
			return -1;
		p = (uint8_t *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return -1;
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

/* Serve one client until it hangs up or sends what ends a connection. */
static void *serve_thread(void *arg)
{
	struct srv_fx *fx = arg;
	static uint8_t payload[EPCMM_PROTO_MAX_PAYLOAD];
	struct epcmm_msg_hdr h, rh;
	struct epcmm_wr out = {0};
	struct live_session *s;
	int fd = accept(fx->lfd, NULL, NULL);

	if (fd < 0 || live_session_create(&fx->srv, 0, &s))
		return NULL;
	while (!read_full(fd, &h, sizeof(h)) && h.len <= sizeof(payload) &&
	       !read_full(fd, payload, h.len)) {
		int fatal = live_session_handle(s, &h, payload, &rh, &out);

		if (write_full(fd, &rh, sizeof(rh)) || write_full(fd, out.buf, out.len) || fatal)
			break;
	}
	live_session_destroy(s);
	epcmm_wr_free(&out);
	close(fd);
	return NULL;
}

static void serve_start(struct srv_fx *fx)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(fx->dir, sizeof(fx->dir), "/tmp/epcmm-status-XXXXXX");
	CHECK(mkdtemp(fx->dir) != NULL, "mkdtemp");
	snprintf(fx->sock, sizeof(fx->sock), "%s/sock", fx->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fx->sock);
	fx->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(fx->lfd >= 0 && !bind(fx->lfd, (struct sockaddr *)&sa, sizeof(sa)) &&
		      !listen(fx->lfd, 1),
	      "listen");
	CHECK(!pthread_create(&fx->thread, NULL, serve_thread, fx), "the serving thread");
}

static void serve_stop(struct srv_fx *fx)
{
	pthread_join(fx->thread, NULL);
	close(fx->lfd);
	unlink(fx->sock);
	rmdir(fx->dir);
}

static void srv_stop(struct srv_fx *fx)
{
	live_server_fini(&fx->srv);
	epc_destroy(fx->epc);
	free(fx);
}

/* "/" + @levels names of @len bytes each ('a' + level), into a malloc'd string. */
static char *deep_path(int levels, int len)
{
	char *p = malloc((size_t)levels * (size_t)(len + 1) + 2), *o = p;

	CHECK(p != NULL, "memory");
	for (int l = 0; l < levels; l++) {
		*o++ = '/';
		memset(o, 'a' + l % 26, (size_t)len);
		o += len;
	}
	*o = '\0';
	return p;
}

/* mkdir every level of @path in @fs. */
static void mkdir_all(struct live_cgfs *fs, const char *path)
{
	char *copy = strdup(path);

	CHECK(copy != NULL, "memory");
	for (char *s = strchr(copy + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		CHECK_EQ(live_cgfs_mkdir(fs, copy), 0, "mkdir a level");
		if (!s)
			break;
		*s = '/';
	}
	free(copy);
}

static char *whole_report(struct live_server *srv)
{
	struct epcmm_wr w = {0};
	char *text;

	CHECK_EQ(live_server_status(srv, &w), 0, "live_server_status");
	text = strndup((const char *)w.buf, w.len);
	CHECK(text != NULL && strlen(text) == w.len, "the report is text, no NUL");
	epcmm_wr_free(&w);
	return text;
}

/* A page from (@line, @off) into @w; the next page's start in *@nl, *@no.
 * @records: a SNAPSHOT page, else a STATUS_PAGE one. */
static void page_of(struct live_server *srv, bool records, uint64_t line, uint64_t off,
		    struct epcmm_wr *w, uint64_t *nl, uint64_t *no)
{
	epcmm_wr_reset(w);
	CHECK_EQ(live_server_status_page(srv, records, line, off, w), 0, "a page");
	CHECK(w->len >= 16 && w->len <= 16 + EPCMM_STATUS_PAGE_MAX, "a page within the limit");
	CHECK(w->len <= EPCMM_PROTO_MAX_PAYLOAD, "a page fits a reply");
	memcpy(nl, w->buf, 8);
	memcpy(no, w->buf + 8, 8);
}

static void page(struct live_server *srv, uint64_t line, uint64_t off, struct epcmm_wr *w,
		 uint64_t *nl, uint64_t *no)
{
	page_of(srv, false, line, off, w, nl, no);
}

/* The report gathered from STATUS_PAGE (or, with @records, SNAPSHOT)
 * replies, as the client library does, NUL-terminated, its length in
 * *@total; *@pages: how many there were, *@cut: how many ended inside an
 * item. Every page stays within the payload limit. */
static char *paged(struct live_server *srv, bool records, int *pages, int *cut, size_t *total)
{
	uint64_t line = 0, off = 0, nl, no;
	struct epcmm_wr w = {0};
	char *text = NULL;
	size_t len = 0, n;

	*pages = 0;
	*cut = 0;
	do {
		page_of(srv, records, line, off, &w, &nl, &no);
		n = w.len - 16;
		CHECK((!nl && !no) || nl > line || (nl == line && no > off),
		      "the next page starts further on");
		CHECK((!nl && !no) || n > 0, "a page that is not the last holds text");
		CHECK(records || no || !n || w.buf[w.len - 1] == '\n',
		      "a page ends with a whole line...");
		CHECK(!no || n == EPCMM_STATUS_PAGE_MAX, "...or is full, inside a long item");
		text = realloc(text, len + n + 1);
		CHECK(text != NULL, "memory");
		memcpy(text + len, w.buf + 16, n);
		len += n;
		text[len] = '\0';
		line = nl;
		off = no;
		(*pages)++;
		*cut += no != 0;
	} while (nl || no);
	epcmm_wr_free(&w);
	*total = len;
	return text;
}

static char *paged_report(struct live_server *srv, int *pages, int *cut)
{
	size_t len;

	return paged(srv, false, pages, cut, &len);
}

/* The server's state as SNAPSHOT pages put together and decoded; *@pages
 * and *@cut as paged() says (either may be NULL). */
static struct epcmm_snapshot *snapshot_of(struct live_server *srv, int *pages, int *cut)
{
	struct epcmm_snapshot *v;
	int np, nc, ret;
	size_t len;
	char *bytes = paged(srv, true, &np, &nc, &len);

	ret = epcmm_snap_decode((const uint8_t *)bytes, len, &v);
	if (ret)
		fail_msg("the records do not decode: %s", strerror(-ret));
	free(bytes);
	if (pages)
		*pages = np;
	if (cut)
		*cut = nc;
	return v;
}

/* What live_view_render() prints, in a malloc'd string. */
static char *rendered(const struct epcmm_snapshot *v, const struct epcmm_snapshot *prev, double dt,
		      int width)
{
	FILE *f = tmpfile();
	char *out;
	long n;

	CHECK(f != NULL, "tmpfile");
	live_view_render(f, v, prev, dt, width);
	n = ftell(f);
	CHECK(n >= 0, "ftell");
	out = malloc((size_t)n + 1);
	CHECK(out != NULL, "memory");
	rewind(f);
	CHECK(fread(out, 1, (size_t)n, f) == (size_t)n, "read the rendering back");
	out[n] = '\0';
	fclose(f);
	return out;
}

/* The server's state rendered @width columns wide. */
static char *render(struct live_server *srv, int width)
{
	struct epcmm_snapshot *v = snapshot_of(srv, NULL, NULL);
	char *out = rendered(v, NULL, 0, width);

	epcmm_snapshot_free(v);
	return out;
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* A 3,840-byte cgroup path, and two nested 255-byte names (a 511-byte path):
 * both come whole, in text lines and in records, and render; the client's
 * too. */
static void test_live_status_long_lines(void **state)
{
	struct srv_fx *fx = srv_start();
	char *deep = deep_path(DEEP_LEVELS, NAME_MAX_LEN), *two = deep_path(2, NAME_MAX_LEN);
	char *procs, *text, *shown;
	struct live_session *s;

	(void)state;
	mkdir_all(fx->srv.cgfs, deep);
	two[1] = 'z'; /* not the deep one's first level */
	mkdir_all(fx->srv.cgfs, two);
	CHECK(asprintf(&procs, "%s/cgroup.procs", deep) > 0, "memory");
	CHECK_EQ(live_cgfs_write(fx->srv.cgfs, procs, "0", 1, getpid()), 0,
		 "this process joins the deep cgroup");
	CHECK_EQ(live_session_create(&fx->srv, getpid(), &s), 0, "a session");

	text = whole_report(&fx->srv);
	CHECK(strstr(text, deep) != NULL, "the deep path is in the report whole");
	CHECK(count(text, "\ncgroup ") == DEEP_LEVELS + 2 + 1, "every cgroup has its line");
	{
		char *want;

		CHECK(asprintf(&want, "\ncgroup %s current ", deep) > 0, "memory");
		CHECK(strstr(text, want) != NULL, "the deep cgroup's line goes on past its path");
		free(want);
		CHECK(asprintf(&want, "\nclient %d cgroup %s enclaves 0 pages 0\n", (int)getpid(),
			       deep) > 0,
		      "memory");
		CHECK(strstr(text, want) != NULL, "the client's line names its deep cgroup");
		free(want);
	}
	{
		struct epcmm_snapshot *v = snapshot_of(&fx->srv, NULL, NULL);

		CHECK_EQ(v->nr_cgroups, DEEP_LEVELS + 2 + 1, "every cgroup has its record");
		CHECK(!strcmp(v->cgroups[DEEP_LEVELS].path, deep), "the deep path, whole");
		CHECK_EQ(v->nr_clients, 1, "the client");
		CHECK(!strcmp(v->clients[0].cgroup, deep), "the client's deep cgroup, whole");
		CHECK_EQ(v->clients[0].pid, getpid(), "the client's pid");
		epcmm_snapshot_free(v);
	}
	shown = render(&fx->srv, 100);
	CHECK(strstr(shown, deep + strlen(deep) - 20) != NULL, "the path's end is shown");
	CHECK(strstr(shown, "\nCLIENT ") != NULL, "the client table");
	free(shown);
	free(text);

	live_session_destroy(s);
	free(procs);
	free(deep);
	free(two);
	srv_stop(fx);
}

/* A page asked for from line k starts at line k of the report, whatever
 * section k is in (header, cgroups, a client, its enclaves); past the end,
 * an empty last page. */
static void test_live_status_page_from_any_line(void **state)
{
	struct srv_fx *fx = srv_start();
	struct epcmm_msg_hdr h = {.magic = EPCMM_PROTO_MAGIC,
				  .version = EPCMM_PROTO_VERSION,
				  .type = EPCMM_MSG_ENCL_CREATE,
				  .len = 8};
	struct epcmm_wr w = {0}, reply = {0};
	struct live_session *s[2];
	struct epcmm_msg_hdr rh;
	uint64_t size = 4 * PAGE, nl, no;
	size_t nr_lines = 0;
	char *text, *line;

	(void)state;
	CHECK_EQ(live_cgfs_mkdir(fx->srv.cgfs, "/a"), 0, "mkdir /a");
	CHECK_EQ(live_cgfs_mkdir(fx->srv.cgfs, "/a/b"), 0, "mkdir /a/b");
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(live_session_create(&fx->srv, 0, &s[i]), 0, "a session");
		for (int e = 0; e < 3; e++) {
			CHECK_EQ(live_session_handle(s[i], &h, (const uint8_t *)&size, &rh, &reply),
				 0, "ENCL_CREATE");
			CHECK_EQ(rh.status, 0, "an enclave");
		}
	}
	text = whole_report(&fx->srv);
	CHECK(count(text, "\nencl ") == 6, "six enclaves listed");
	for (const char *p = text; *p; p++)
		nr_lines += *p == '\n';
	line = text;
	for (uint64_t k = 0; k <= nr_lines + 1; k++) {
		size_t line_len = k < nr_lines ? (size_t)(strchr(line, '\n') - line) + 1 : 0;

		/* from the line's start, from inside it, from its last byte */
		for (uint64_t off = 0; off < 3; off++) {
			size_t skip = off == 2 ? line_len - 1 : off;
			const char *want = line + skip;

			if (k >= nr_lines && off)
				break;
			page(&fx->srv, k, skip, &w, &nl, &no);
			CHECK(!nl && !no, "a small report is one page");
			if (k >= nr_lines) {
				CHECK_EQ(w.len, 16, "past the end: no text");
				continue;
			}
			if (w.len - 16 != strlen(want) || memcmp(w.buf + 16, want, w.len - 16))
				fail_msg(
					"the page from line %" PRIu64 " byte %zu is\n%.*s\nexpected"
					"\n%s",
					k, skip, (int)(w.len - 16), (const char *)w.buf + 16, want);
		}
		if (k < nr_lines)
			line += line_len;
	}
	/* a byte past a line's end: the line is over, the page starts after it */
	page(&fx->srv, 1, 100000, &w, &nl, &no);
	line = strchr(text, '\n') + 1;
	line = strchr(line, '\n') + 1;
	CHECK(w.len - 16 == strlen(line) && !memcmp(w.buf + 16, line, w.len - 16),
	      "an offset past a line's end starts the page at the next line");
	epcmm_wr_free(&w);
	epcmm_wr_free(&reply);
	free(text);
	live_session_destroy(s[0]);
	live_session_destroy(s[1]);
	srv_stop(fx);
}

/* Siblings with names of about 4 KB: a report of two pages. */
#define TWO_PAGE_CGROUPS 320
#define TWO_PAGE_NAME	 4000

/* A page through the session's request handler, as a client asks for it. */
static void session_page(struct live_session *s, bool records, uint64_t line, uint64_t off,
			 struct epcmm_wr *reply, uint64_t *nl, uint64_t *no)
{
	struct epcmm_msg_hdr h = {.magic = EPCMM_PROTO_MAGIC,
				  .version = EPCMM_PROTO_VERSION,
				  .type = records ? EPCMM_MSG_SNAPSHOT : EPCMM_MSG_STATUS_PAGE,
				  .len = 16},
			     rh;
	uint64_t req[2] = {line, off};

	CHECK_EQ(live_session_handle(s, &h, (const uint8_t *)req, &rh, reply), 0, "a page");
	CHECK_EQ(rh.status, 0, "the page's status");
	CHECK(reply->len >= 16, "a page's next position");
	memcpy(nl, reply->buf, 8);
	memcpy(no, reply->buf + 8, 8);
}

/* The session's reply from its first page on, with @between run after the
 * first page; its bytes (NUL-terminated), their number in *@total. */
static char *session_reply(struct live_session *s, bool records, void (*between)(struct srv_fx *),
			   struct srv_fx *fx, size_t *total)
{
	uint64_t line = 0, off = 0, nl, no;
	struct epcmm_wr w = {0};
	char *bytes = NULL;
	size_t len = 0;
	int pages = 0;

	do {
		session_page(s, records, line, off, &w, &nl, &no);
		bytes = realloc(bytes, len + w.len - 16 + 1);
		CHECK(bytes != NULL, "memory");
		memcpy(bytes + len, w.buf + 16, w.len - 16);
		len += w.len - 16;
		bytes[len] = '\0';
		if (!pages++ && between)
			between(fx);
		line = nl;
		off = no;
	} while (nl || no);
	CHECK(pages >= 2, check_fmt("a reply of two pages at least: %d", pages));
	epcmm_wr_free(&w);
	*total = len;
	return bytes;
}

/* Between two pages: a cgroup made, the last one removed. */
static void change_tree(struct srv_fx *fx)
{
	char name[TWO_PAGE_NAME + 8];

	CHECK_EQ(live_cgfs_mkdir(fx->srv.cgfs, "/zz-new"), 0, "mkdir between pages");
	snprintf(name, sizeof(name), "/%03d%0*d", TWO_PAGE_CGROUPS - 1, TWO_PAGE_NAME, 0);
	CHECK_EQ(live_cgfs_rmdir(fx->srv.cgfs, name), 0, "rmdir between pages");
}

/* A session's reply, text or records, comes from one snapshot taken at its
 * first page, however the tree changes before the next; the next reply
 * takes the state of then. */
static void test_live_status_pages_are_one_snapshot(void **state)
{
	struct srv_fx *fx = srv_start();
	char name[TWO_PAGE_NAME + 8], *before[2], *during[2], *after;
	size_t len[2], dlen[2], alen;
	struct live_session *s;
	int pages, cut;

	(void)state;
	for (int i = 0; i < TWO_PAGE_CGROUPS; i++) {
		snprintf(name, sizeof(name), "/%03d%0*d", i, TWO_PAGE_NAME, 0);
		CHECK_EQ(live_cgfs_mkdir(fx->srv.cgfs, name), 0, "mkdir");
	}
	CHECK_EQ(live_session_create(&fx->srv, 0, &s), 0, "a session");
	for (int r = 0; r < 2; r++) {
		before[r] = paged(&fx->srv, r, &pages, &cut, &len[r]);
		CHECK(pages >= 2, "two pages");
	}
	during[0] = session_reply(s, false, change_tree, fx, &dlen[0]);
	CHECK(!strstr(during[0], "/zz-new"), "a cgroup made after the first page is not in it");
	CHECK(dlen[0] == len[0] && !memcmp(during[0], before[0], len[0]),
	      "the pages put together are the report as it was at the first");
	/* the next reply is of the state of now; records likewise */
	after = session_reply(s, false, NULL, NULL, &alen);
	CHECK(strstr(after, "\ncgroup /zz-new current ") != NULL, "the next reply has it");
	CHECK_EQ(count(after, "\ncgroup "), count(during[0], "\ncgroup "), "one made, one gone");
	CHECK_EQ(live_cgfs_rmdir(fx->srv.cgfs, "/zz-new"), 0, "rmdir");
	snprintf(name, sizeof(name), "/%03d%0*d", TWO_PAGE_CGROUPS - 1, TWO_PAGE_NAME, 0);
	CHECK_EQ(live_cgfs_mkdir(fx->srv.cgfs, name), 0, "mkdir it again");
	during[1] = session_reply(s, true, change_tree, fx, &dlen[1]);
	CHECK(dlen[1] == len[1] && !memcmp(during[1], before[1], len[1]),
	      "the records put together are the state as it was at the first page");
	/* a reply left after its first page: its snapshot goes with the session */
	{
		struct epcmm_wr w = {0};
		uint64_t nl, no;

		session_page(s, true, 0, 0, &w, &nl, &no);
		CHECK(nl || no, "a page that is not the last");
		epcmm_wr_free(&w);
	}
	live_session_destroy(s);
	for (int r = 0; r < 2; r++) {
		free(before[r]);
		free(during[r]);
	}
	free(after);
	srv_stop(fx);
}

/* Over 14,000 cgroups: more than one reply can carry (STATUS is too big),
 * so the report comes in pages, each within the limit, text and records. */
static void test_live_status_many_cgroups_in_pages(void **state)
{
	struct srv_fx *fx = srv_start();
	struct epcmm_wr w = {0};
	char path[128], *text, *shown;
	int pages, cut;

	(void)state;
	for (int i = 0; i < MANY_CGROUPS; i++) {
		snprintf(path, sizeof(path), MANY_NAME, i);
		CHECK_EQ(live_cgfs_mkdir(fx->srv.cgfs, path), 0, "mkdir");
	}
	CHECK_EQ(live_server_status(&fx->srv, &w), -EMSGSIZE, "the whole report is over a reply");
	epcmm_wr_free(&w);
	text = paged_report(&fx->srv, &pages, &cut);
	CHECK(strlen(text) > EPCMM_PROTO_MAX_PAYLOAD, "the report is over 1 MiB");
	CHECK(pages >= 2, "so it took pages");
	CHECK_EQ(cut, 0, "no line was cut: each fits a page");
	CHECK(!strncmp(text, "epcmm-status 1\n", 15), "the report's first line once");
	CHECK_EQ(count(text, "epcmm-status"), 1, "and only once");
	CHECK_EQ(count(text, "\ncgroup "), MANY_CGROUPS + 1, "every cgroup, once");
	{
		struct epcmm_snapshot *v = snapshot_of(&fx->srv, &pages, &cut);

		CHECK(pages >= 2, "the records took pages too");
		CHECK_EQ(cut, 0, "no record was cut: each fits a page");
		CHECK_EQ(v->nr_cgroups, MANY_CGROUPS + 1, "every cgroup's record, once");
		epcmm_snapshot_free(v);
	}
	shown = render(&fx->srv, 100);
	CHECK_EQ(count(shown, "fill-pages "), MANY_CGROUPS, "every cgroup rendered");
	free(shown);
	free(text);
	srv_stop(fx);
}

/* Names with a space, a tab, a backslash, an escape sequence, and UTF-8:
 * the text report writes the bytes that would split a line or reach the
 * terminal as \ooo (as /proc/self/mountinfo does); records carry the names
 * as they are; the screen shows the escapes, never the bytes. */
static void test_live_status_odd_names(void **state)
{
	static const char *const names[] = {"/a b", "/tab\there", "/back\\slash", "/esc\033[2J",
					    "/\xc3\xa9t\xc3\xa9"};
	static const char *const shown_as[] = {"/a\\040b", "/tab\\011here", "/back\\134slash",
					       "/esc\\033[2J", "/\xc3\xa9t\xc3\xa9"};
	struct srv_fx *fx = srv_start();
	struct live_session *s;
	char *text, *shown, want[128];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK_EQ(live_cgfs_mkdir(fx->srv.cgfs, names[i]), 0, "mkdir an odd name");
	CHECK_EQ(live_cgfs_write(fx->srv.cgfs, "/a b/cgroup.procs", "0", 1, getpid()), 0,
		 "this process joins /a b");
	CHECK_EQ(live_session_create(&fx->srv, getpid(), &s), 0, "a session");
	text = whole_report(&fx->srv);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "\ncgroup %s current ", shown_as[i]);
		if (!strstr(text, want))
			fail_msg("no line '%s' in\n%s", want, text);
	}
	snprintf(want, sizeof(want), "\nclient %d cgroup /a\\040b enclaves ", (int)getpid());
	CHECK(strstr(text, want) != NULL, "the client's cgroup, escaped");
	CHECK(!strchr(text, '\033') && !strchr(text, '\t'), "no raw control byte in the report");
	{
		struct epcmm_snapshot *v = snapshot_of(&fx->srv, NULL, NULL);
		size_t found = 0;

		for (size_t i = 0; i < v->nr_cgroups; i++)
			for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
				found += !strcmp(v->cgroups[i].path, names[k]);
		CHECK_EQ(found, sizeof(names) / sizeof(names[0]), "records carry the names whole");
		CHECK(!strcmp(v->clients[0].cgroup, "/a b"), "and the client's cgroup");
		epcmm_snapshot_free(v);
	}
	shown = render(&fx->srv, 100);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strstr(shown, shown_as[i]))
			fail_msg("'%s' not shown as '%s' in\n%s", names[i], shown_as[i], shown);
	CHECK(!strchr(shown, '\033') && !strchr(shown, '\t'), "nothing reaches the terminal");
	free(shown);
	free(text);
	live_session_destroy(s);
	srv_stop(fx);
}

/* A single line longer than a page (a chain of 4,095-byte names, each byte
 * escaped to four), and a record longer than a page (a longer chain): each
 * goes in pieces, the page full each time, and the pieces put together are
 * the line, the record. */
static void test_live_status_line_longer_than_a_page(void **state)
{
	struct srv_fx *fx = srv_start();
	char *path = malloc(RECORD_LEVELS * (LIVE_CGFS_NAME_MAX + 1) + 1);
	char *want = malloc(LONG_LINE_LEVELS * (4 * LIVE_CGFS_NAME_MAX + 1) + 64);
	size_t plen = 0, wlen = 0;
	char *text;
	int pages, cut;

	(void)state;
	CHECK(path && want, "memory");
	wlen = (size_t)sprintf(want, "\ncgroup ");
	for (int l = 0; l < LONG_LINE_LEVELS; l++) {
		path[plen++] = '/';
		memset(path + plen, '\\', LIVE_CGFS_NAME_MAX);
		plen += LIVE_CGFS_NAME_MAX;
		path[plen] = '\0';
		CHECK_EQ(live_cgfs_mkdir(fx->srv.cgfs, path), 0, "mkdir a level");
		want[wlen++] = '/';
		for (unsigned i = 0; i < LIVE_CGFS_NAME_MAX; i++, wlen += 4)
			memcpy(want + wlen, "\\134", 4);
	}
	strcpy(want + wlen, " current 0 peak 0 max max ");
	CHECK(wlen > EPCMM_STATUS_PAGE_MAX, "the deepest cgroup's line is longer than a page");
	text = paged_report(&fx->srv, &pages, &cut);
	CHECK(cut >= 1, "a page ended inside the long line");
	CHECK(strstr(text, want) != NULL, "the long line, put together, is whole");
	CHECK_EQ(count(text, "\ncgroup "), LONG_LINE_LEVELS + 1, "every cgroup, once");
	free(text);

	/* the same through the client library, from a daemon of this tree */
	{
		struct epcmm_client *c;

		text = NULL;
		serve_start(fx);
		CHECK_EQ(epcmm_client_connect(fx->sock, &c), 0, "connect");
		CHECK_EQ(epcmm_status(c, &text), 0, "epcmm_status of a report with a long line");
		CHECK(strstr(text, want) != NULL, "the client put the long line together");
		CHECK_EQ(count(text, "\ncgroup "), LONG_LINE_LEVELS + 1, "every cgroup, once");
		/* deeper, for a record over a page */
		for (int l = LONG_LINE_LEVELS; l < RECORD_LEVELS; l++) {
			path[plen++] = '/';
			memset(path + plen, 'r', LIVE_CGFS_NAME_MAX);
			plen += LIVE_CGFS_NAME_MAX;
			path[plen] = '\0';
			CHECK_EQ(live_cgfs_mkdir(fx->srv.cgfs, path), 0, "mkdir a level");
		}
		CHECK(plen > EPCMM_STATUS_PAGE_MAX, "the deepest path is longer than a page");
		{
			struct epcmm_snapshot *v = snapshot_of(&fx->srv, &pages, &cut);

			CHECK(cut >= 1, "a page ended inside the long record");
			CHECK_EQ(v->nr_cgroups, RECORD_LEVELS + 1, "every cgroup's record, once");
			CHECK(!strcmp(v->cgroups[RECORD_LEVELS].path, path),
			      "the long path, whole");
			epcmm_snapshot_free(v);
			CHECK_EQ(epcmm_snapshot_get(c, &v), 0, "a snapshot with a long record");
			CHECK(v->nr_cgroups == RECORD_LEVELS + 1 &&
				      !strcmp(v->cgroups[RECORD_LEVELS].path, path),
			      "the client put the long record together");
			epcmm_snapshot_free(v);
		}
		epcmm_client_close(c);
		serve_stop(fx);
		free(text);
	}
	free(path);
	free(want);
	srv_stop(fx);
}

/* The LONG_CGROUPS cgroup @i's path into @path: "/NNNNN-xxx...". */
static void long_name(char *path, size_t len, int i)
{
	snprintf(path, len, "/%05d-%0*d", i, LONG_PAD, 0);
	memset(path + 7, 'x', LONG_PAD);
}

/* The same through a running daemon and the client library. */
static void test_live_status_daemon(void **state)
{
	struct daemon_fx *fx = *state;
	struct epcmm_client *c = connect_ok(fx);
	char *deep = deep_path(DEEP_LEVELS, NAME_MAX_LEN), *text, *shown, path[LONG_PAD + 16];
	struct epcmm_snapshot *v;

	CHECK(strlen(deep) <= EPCMM_PROTO_MAX_STR, "a path the protocol carries");
	for (char *s = strchr(deep + 1, '/');; s = strchr(s + 1, '/')) {
		if (s)
			*s = '\0';
		CHECK_EQ(epcmm_cgroup_mkdir(c, deep), 0, "mkdir a level");
		if (!s)
			break;
		*s = '/';
	}
	CHECK_EQ(epcmm_status(c, &text), 0, "status with a 3,840-byte path");
	CHECK(strstr(text, deep) != NULL, "the path comes whole");
	free(text);
	CHECK_EQ(epcmm_snapshot_get(c, &v), 0, "a snapshot with a 3,840-byte path");
	CHECK(v->nr_cgroups == DEEP_LEVELS + 1 && !strcmp(v->cgroups[DEEP_LEVELS].path, deep),
	      "the path comes whole");
	CHECK_EQ(v->nr_clients, 1, "this client");
	epcmm_snapshot_free(v);

	for (int i = 0; i < LONG_CGROUPS; i++) {
		long_name(path, sizeof(path), i);
		CHECK_EQ(epcmm_cgroup_mkdir(c, path), 0, "mkdir");
	}
	for (int round = 0; round < 2; round++) { /* the second goes straight to pages */
		CHECK_EQ(epcmm_status(c, &text), 0, "status of a report over one reply");
		CHECK(strlen(text) > EPCMM_PROTO_MAX_PAYLOAD, "over one reply");
		CHECK_EQ(count(text, "\ncgroup "), LONG_CGROUPS + DEEP_LEVELS + 1, "every cgroup");
		free(text);
		CHECK_EQ(epcmm_snapshot_get(c, &v), 0, "a snapshot over one reply");
		CHECK_EQ(v->nr_cgroups, LONG_CGROUPS + DEEP_LEVELS + 1, "every cgroup");
		shown = rendered(v, NULL, 0, 400);
		CHECK_EQ(count(shown, "-xxxxxxxxxx"), LONG_CGROUPS, "every cgroup rendered");
		free(shown);
		epcmm_snapshot_free(v);
	}
	CHECK_EQ(epcmm_ping(c), 0, "the connection goes on");
	for (int i = 0; i < LONG_CGROUPS; i++) {
		long_name(path, sizeof(path), i);
		CHECK_EQ(epcmm_cgroup_rmdir(c, path), 0, "rmdir");
	}
	CHECK_EQ(epcmm_snapshot_get(c, &v), 0, "a snapshot once it is small again");
	CHECK_EQ(v->nr_cgroups, DEEP_LEVELS + 1, "the cgroups left");
	epcmm_snapshot_free(v);
	epcmm_client_close(c);
	free(deep);
}

/* ---- the decoder ---- */

/* The records in @w decoded: the decoder's answer, the snapshot freed. */
static int decode(const struct epcmm_wr *w)
{
	struct epcmm_snapshot *v = NULL;
	int ret = epcmm_snap_decode(w->buf, w->len, &v);

	epcmm_snapshot_free(v);
	return ret;
}

/* A cgroup record of @path, then @extra bytes of fields a newer daemon adds. */
static void cg_rec(struct epcmm_wr *w, const char *path, size_t extra)
{
	size_t at = w->len;
	uint32_t len;

	SNAP_REC(w, EPCMM_SNAP_CGROUP, path, 1, 1, UINT64_MAX, 0, 0, 0, 0);
	for (size_t i = 0; i < extra; i++)
		epcmm_wr_bytes(w, "x", 1);
	len = (uint32_t)(w->len - at - EPCMM_SNAP_REC_HDR);
	memcpy(w->buf + at + 4, &len, 4);
}

static void test_live_status_decode_refuses_and_skips(void **state)
{
	struct epcmm_wr w = {.max = SIZE_MAX};
	struct epcmm_snapshot *v;
	uint32_t bad;

	(void)state;
	CHECK_EQ(decode(&w), 0, "no records: an empty state");
	SNAP_REC(&w, EPCMM_SNAP_EPC, NULL, 256, 200, 10, 5, 3);
	cg_rec(&w, "/a", 0);
	CHECK_EQ(decode(&w), 0, "an epc and a cgroup");
	/* cut short anywhere: in a header, in the fields, in the path */
	for (size_t n = w.len - 1; n > 0; n--) {
		struct epcmm_wr cut = {.buf = w.buf, .len = n};
		bool boundary = n == 8 + 5 * 8; /* after the epc record: a whole state */

		if (decode(&cut) != (boundary ? 0 : -EPROTO))
			fail_msg("%zu of %zu bytes: %s", n, w.len, boundary ? "refused" : "taken");
	}
	/* a length past the end */
	bad = (uint32_t)w.len;
	memcpy(w.buf + 4, &bad, 4);
	CHECK_EQ(decode(&w), -EPROTO, "a record longer than what is left");
	epcmm_wr_reset(&w);
	SNAP_REC(&w, EPCMM_SNAP_EPC, NULL, 1, 2, 3); /* three of five fields */
	CHECK_EQ(decode(&w), -EPROTO, "an epc record cut short inside its length");
	epcmm_wr_reset(&w);
	cg_rec(&w, "a", 0);
	CHECK_EQ(decode(&w), -EPROTO, "a relative path");
	epcmm_wr_reset(&w);
	cg_rec(&w, "/a", 0);
	w.buf[w.len - 1] = '\0';
	CHECK_EQ(decode(&w), -EPROTO, "a NUL in a path");
	epcmm_wr_reset(&w);
	SNAP_REC(&w, EPCMM_SNAP_CLIENT, "/", (uint64_t)1 << 40, 0, 0, 0, 0);
	CHECK_EQ(decode(&w), -EPROTO, "a pid past an int");
	epcmm_wr_reset(&w);
	SNAP_REC(&w, EPCMM_SNAP_NODE, NULL, 0, 10); /* no free */
	CHECK_EQ(decode(&w), -EPROTO, "a node without free");
	/* what a newer daemon may add: a kind, and fields at a record's end */
	epcmm_wr_reset(&w);
	SNAP_REC(&w, 99, "whatever", 1, 2, 3);
	cg_rec(&w, "/b", 17);
	SNAP_REC(&w, EPCMM_SNAP_NODE, NULL, 3, 10, 4, 77, 78);
	CHECK_EQ(epcmm_snap_decode(w.buf, w.len, &v), 0, "an unknown kind, extra fields");
	CHECK(v->nr_cgroups == 1 && !strcmp(v->cgroups[0].path, "/b"), "the cgroup is read");
	CHECK(v->nr_nodes == 1 && v->nodes[0].id == 3 && v->nodes[0].free == 4, "the node too");
	epcmm_snapshot_free(v);
	epcmm_wr_free(&w);
}

/* Enclaves show after the client they follow; rates come from the previous
 * snapshot's cgroup of the same path, among many (binary search). */
static void test_live_status_decode_encl_and_rates(void **state)
{
	struct epcmm_wr a = {.max = SIZE_MAX}, b = {.max = SIZE_MAX};
	struct epcmm_snapshot *now, *before;
	char path[16], *shown;

	(void)state;
	SNAP_REC(&a, EPCMM_SNAP_EPC, NULL, 256, 200, 10, 5, 3);
	SNAP_REC(&b, EPCMM_SNAP_EPC, NULL, 256, 200, 10, 5, 3);
	for (int i = 5000; i > 0; i--) { /* not in order: the index sorts them */
		snprintf(path, sizeof(path), "/g%05d", i);
		SNAP_REC(&a, EPCMM_SNAP_CGROUP, path, 0, 0, UINT64_MAX, 0, 10 * (uint64_t)i, 0, 0);
		SNAP_REC(&b, EPCMM_SNAP_CGROUP, path, 0, 0, UINT64_MAX, 0, 0, 0, 0);
	}
	SNAP_REC(&a, EPCMM_SNAP_CLIENT, "/g00001", 7, 1, 0, 0, 0);
	SNAP_REC(&a, EPCMM_SNAP_ENCL, NULL, 7, 0x100000000, 8192, 2, 2, 0, 0, 0);
	SNAP_REC(&a, EPCMM_SNAP_CLIENT, "/", 8, 0, 0, 0, 0);
	SNAP_REC(&a, EPCMM_SNAP_ENCL, NULL, 7, 0x100000001, 4096, 1, 1, 0, 0, 0);
	CHECK_EQ(epcmm_snap_decode(a.buf, a.len, &now), 0, "decode now");
	CHECK_EQ(epcmm_snap_decode(b.buf, b.len, &before), 0, "decode before");
	CHECK_EQ(now->nr_encls, 1, "an enclave record after another client's is left out");
	CHECK(now->clients[0].nr_listed == 1 && now->clients[1].nr_listed == 0,
	      "the enclave is its client's");
	shown = rendered(now, before, 2.0, 100);
	CHECK(strstr(shown, "/g04321") && strstr(strstr(shown, "/g04321"), " 21605 "),
	      "/g04321's rate: 43210 evictions in 2 s");
	CHECK_EQ(count(shown, "8 KiB"), 1, "client 7's enclave");
	CHECK_EQ(count(shown, "0x100000001"), 0, "the enclave after another client's is not shown");
	free(shown);
	epcmm_snapshot_free(now);
	epcmm_snapshot_free(before);
	epcmm_wr_free(&a);
	epcmm_wr_free(&b);
}

int main(void)
{
	/* the daemon runs for the whole group; only the last case talks to it */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_status_long_lines),
		cmocka_unit_test(test_live_status_page_from_any_line),
		cmocka_unit_test(test_live_status_many_cgroups_in_pages),
		cmocka_unit_test(test_live_status_pages_are_one_snapshot),
		cmocka_unit_test(test_live_status_odd_names),
		cmocka_unit_test(test_live_status_line_longer_than_a_page),
		cmocka_unit_test(test_live_status_decode_refuses_and_skips),
		cmocka_unit_test(test_live_status_decode_encl_and_rates),
		cmocka_unit_test(test_live_status_daemon),
	};

	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
