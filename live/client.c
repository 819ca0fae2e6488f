// SPDX-License-Identifier: MIT
/*
 * client.c - the client library (include/epcmm-client.h): one blocking
 * request/reply round trip per call to the daemon, through the connection's
 * shared-memory slot (shm.h) once the daemon gave one, else over its Unix
 * socket.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "epcmm-client.h"
#include "proto.h"
#include "shm.h"

#define API __attribute__((visibility("default")))

struct epcmm_client {
	int fd;
	bool broken;	      /* a transport error: every later call fails */
	struct epcmm_shm shm; /* the slot (shm.base NULL: none, the socket carries all) */
	uint32_t seq;	      /* the last request posted in the slot */
	struct epcmm_wr req;  /* the request being built: header room, then payload */
	struct epcmm_wr resp; /* the last reply's payload */
	bool status_paged;    /* the report outgrew one STATUS reply: ask for pages */
};

static int say_hello(struct epcmm_client *c);
static int shm_attach(struct epcmm_client *c);

API const char *epcmm_client_socket_path(void)
{
	const char *env = getenv("EPCMM_SOCKET");

	return env && *env ? env : EPCMM_DEFAULT_SOCKET;
}

/* A new connection to @sa in c->fd, as a fresh one. Return: 0; -errno. */
static int client_dial(struct epcmm_client *c, const struct sockaddr_un *sa)
{
	if (c->fd >= 0)
		close(c->fd);
	c->broken = false;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	return connect(c->fd, (const struct sockaddr *)sa, sizeof(*sa)) ? -errno : 0;
}

/* HELLO; one the daemon refused counts as said (its log says why: the
 * session runs on CPU 0, as before HELLO). Return: as say_hello(). */
static int hello_or_refused(struct epcmm_client *c)
{
	int ret = say_hello(c);

	return ret == -EINVAL ? 0 : ret;
}

/*
 * HELLO, then SHM (unless EPCMM_NO_SHM). A daemon older than either refuses
 * it as a malformed message and hangs up: connect again and go on without
 * it (docs/PROTOCOL.md, Versioning). A refused peer is closed at once: find
 * out now, not at the first call.
 */
static int client_greet(struct epcmm_client *c, const struct sockaddr_un *sa)
{
	int ret = hello_or_refused(c);

	if (ret == -EOPNOTSUPP) { /* a daemon older than HELLO hung up: as it was */
		ret = client_dial(c, sa);
		return ret ? ret : epcmm_ping(c);
	}
	if (ret || epcmm_shm_disabled())
		return ret;
	ret = shm_attach(c);
	if (ret == -EOPNOTSUPP) { /* a daemon older than SHM hung up: the socket */
		ret = client_dial(c, sa);
		if (!ret)
			ret = hello_or_refused(c);
	}
	return ret;
}

API int epcmm_client_connect(const char *path, struct epcmm_client **out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epcmm_client *c;
	int ret;

	if (!path)
		path = epcmm_client_socket_path();
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fd = -1;
	c->shm.sock = -1;
	ret = client_dial(c, &sa);
	if (!ret)
		ret = client_greet(c, &sa);
	if (ret) {
		epcmm_client_close(c);
		return ret == -EPIPE ? -ECONNRESET : ret;
	}
	*out = c;
	return 0;
}

API void epcmm_client_close(struct epcmm_client *c)
{
	if (!c)
		return;
	epcmm_shm_unmap(&c->shm);
	if (c->fd >= 0)
		close(c->fd);
	epcmm_wr_free(&c->req);
	epcmm_wr_free(&c->resp);
	free(c);
}

static int write_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EPIPE;
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	while (n) {
		ssize_t r = recv(fd, p, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ECONNRESET;
		p = (uint8_t *)p + r;
		n -= (size_t)r;
	}
	return 0;
}

/* c->req (header filled) over the socket, with one send; the reply usually
 * arrives with one recv. Its header in *@h, its payload in c->resp.
 * Return: 0; a transport or protocol error. */
static int exchange_sock(struct epcmm_client *c, uint16_t type, struct epcmm_msg_hdr *h)
{
	uint8_t first[EPCMM_PROTO_HDR_LEN + 4096];
	size_t got = 0, have;
	void *p;
	int ret;

	ret = write_all(c->fd, c->req.buf, c->req.len);
	while (!ret && got < sizeof(*h)) {
		ssize_t r = epcmm_recv(c->fd, first + got, sizeof(first) - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			ret = r < 0 ? -errno : -ECONNRESET;
		else
			got += (size_t)r;
	}
	if (ret)
		return ret;
	memcpy(h, first, sizeof(*h));
	if ((ret = epcmm_proto_check_hdr(h, true, type)))
		return ret;
	have = got - sizeof(*h);
	if (have > h->len)
		return -EPROTO; /* more than the reply: nothing else may be in flight */
	if (!h->len)
		return 0;
	p = epcmm_wr_reserve(&c->resp, h->len);
	if (!p)
		return epcmm_wr_err(&c->resp);
	memcpy(p, first + sizeof(*h), have);
	return read_all(c->fd, (uint8_t *)p + have, h->len - have);
}

/* c->req (header filled) through the slot: posted, and its reply waited
 * for. Its header in *@h, its payload in c->resp.
 * Return: 0; -ECONNRESET the daemon hung up; a protocol error. */
static int exchange_shm(struct epcmm_client *c, uint16_t type, struct epcmm_msg_hdr *h)
{
	struct epcmm_shm *m = &c->shm;
	uint32_t seq;
	int ret;

	memcpy(m->req, c->req.buf, c->req.len);
	epcmm_shm_post(m, &m->ctl->req, ++c->seq);
	ret = epcmm_shm_wait(m, &m->ctl->rep, c->seq - 1, NULL, &seq);
	if (ret)
		return ret;
	if (seq != c->seq)
		return -EPROTO;
	memcpy(h, m->rep, sizeof(*h));
	if ((ret = epcmm_proto_check_hdr(h, true, type)))
		return ret;
	epcmm_wr_bytes(&c->resp, m->rep + sizeof(*h), h->len);
	return epcmm_wr_err(&c->resp);
}

/* Send c->req (its first EPCMM_PROTO_HDR_LEN bytes are room for the header)
 * as one request of @type; the reply's payload lands in c->resp.
 * Return: the reply's status, or a transport error. */
static int call(struct epcmm_client *c, uint16_t type)
{
	struct epcmm_msg_hdr h;
	int ret;

	if (c->broken)
		return -EPIPE;
	if ((ret = epcmm_wr_err(&c->req)))
		return ret;
	h = (struct epcmm_msg_hdr){
		.magic = EPCMM_PROTO_MAGIC,
		.version = EPCMM_PROTO_VERSION,
		.type = type,
		.len = (uint32_t)(c->req.len - EPCMM_PROTO_HDR_LEN),
	};
	memcpy(c->req.buf, &h, sizeof(h));
	epcmm_wr_reset(&c->resp);
	ret = c->shm.base ? exchange_shm(c, type, &h) : exchange_sock(c, type, &h);
	if (ret) {
		c->broken = true;
		return ret;
	}
	return h.status;
}

static void req_begin(struct epcmm_client *c)
{
	epcmm_wr_reset(&c->req);
	epcmm_wr_reserve(&c->req, EPCMM_PROTO_HDR_LEN); /* the header, filled by call() */
}

/* The reply's payload must be exactly @n bytes. */
static int resp_expect(struct epcmm_client *c, size_t n, struct epcmm_rd *r)
{
	if (c->resp.len != n) {
		c->broken = true;
		return -EPROTO;
	}
	*r = (struct epcmm_rd){.p = c->resp.buf, .left = c->resp.len};
	return 0;
}

API int epcmm_ping(struct epcmm_client *c)
{
	req_begin(c);
	return call(c, EPCMM_MSG_PING);
}

API int epcmm_hello(struct epcmm_client *c, int cpu, int node, int *task_cpu, int *task_node)
{
	struct epcmm_rd r;
	uint32_t tc, tn;
	int ret;

	if (cpu < 0 || node < 0)
		return -EINVAL;
	req_begin(c);
	epcmm_wr_u32(&c->req, (uint32_t)cpu);
	epcmm_wr_u32(&c->req, (uint32_t)node);
	ret = call(c, EPCMM_MSG_HELLO);
	if (ret == -EBADMSG && !c->broken) { /* the daemon does not know the type (and hung up) */
		c->broken = true;
		return -EOPNOTSUPP;
	}
	if (ret || (ret = resp_expect(c, 8, &r)))
		return ret;
	epcmm_rd_u32(&r, &tc);
	epcmm_rd_u32(&r, &tn);
	if (task_cpu)
		*task_cpu = (int)tc;
	if (task_node)
		*task_node = (int)tn;
	return 0;
}

/* HELLO with where this thread runs now; a ping where getcpu() cannot say. */
static int say_hello(struct epcmm_client *c)
{
	unsigned cpu, node;

	if (getcpu(&cpu, &node))
		return epcmm_ping(c);
	return epcmm_hello(c, (int)cpu, (int)node, NULL, NULL);
}

/*
 * SHM (docs/PROTOCOL.md, "The slot"): ask for the slot and map the memfd
 * that comes with the reply; from then on every request goes through it.
 * Return: 0 (with the slot, or without it when the daemon said no: the
 * socket goes on); -EOPNOTSUPP the daemon does not know SHM and hung up;
 * a transport or protocol error (the connection is broken).
 */
static int shm_attach(struct epcmm_client *c)
{
	struct {
		struct epcmm_msg_hdr h;
		uint64_t size;
	} rep;
	int memfd = -1, ret;
	size_t got;
	ssize_t r;

	req_begin(c);
	epcmm_wr_u32(&c->req, EPCMM_SHM_LAYOUT);
	memcpy(c->req.buf,
	       &(struct epcmm_msg_hdr){EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION, EPCMM_MSG_SHM, 4, 0},
	       EPCMM_PROTO_HDR_LEN);
	if ((ret = write_all(c->fd, c->req.buf, c->req.len)))
		goto broken;
	r = epcmm_shm_recv_fd(c->fd, &rep, sizeof(rep), &memfd);
	if (r < 0) {
		ret = (int)r;
		goto broken;
	}
	got = (size_t)r;
	if (got < sizeof(rep.h) &&
	    (ret = read_all(c->fd, (uint8_t *)&rep + got, sizeof(rep.h) - got)))
		goto broken;
	got = got > sizeof(rep.h) ? got : sizeof(rep.h);
	if ((ret = epcmm_proto_check_hdr(&rep.h, true, EPCMM_MSG_SHM)))
		goto broken;
	if (rep.h.status && (rep.h.len || memfd >= 0)) {
		ret = -EPROTO;
		goto broken;
	}
	if (rep.h.status == -EBADMSG) { /* the type is unknown there: it hung up */
		c->broken = true;
		return -EOPNOTSUPP;
	}
	if (rep.h.status) /* said no: the socket goes on */
		return 0;
	if (rep.h.len != sizeof(rep.size) || memfd < 0) {
		ret = -EPROTO;
		goto broken;
	}
	if ((got < sizeof(rep) &&
	     (ret = read_all(c->fd, (uint8_t *)&rep + got, sizeof(rep) - got))) ||
	    (ret = epcmm_shm_map(&c->shm, c->fd, memfd, rep.size)))
		goto broken;
	close(memfd);
	return 0;
broken:
	if (memfd >= 0)
		close(memfd);
	c->broken = true;
	return ret;
}

API int epcmm_encl_create(struct epcmm_client *c, uint64_t size, uint64_t *encl)
{
	struct epcmm_rd r;
	int ret;

	req_begin(c);
	epcmm_wr_u64(&c->req, size);
	ret = call(c, EPCMM_MSG_ENCL_CREATE);
	if (!ret && !(ret = resp_expect(c, 8, &r)))
		epcmm_rd_u64(&r, encl);
	return ret;
}

/*
 * ENCL_ADD (@secinfo NULL) or ENCL_ADD2, in batches. Zero pages go in
 * batches too: the daemon refuses a request of more pages than its whole
 * EPC, and a batch is a point to stop at.
 */
static int add_pages(struct epcmm_client *c, uint64_t encl, uint64_t offset, uint64_t nr_pages,
		     const void *src, const uint64_t *secinfo)
{
	const uint64_t batch = EPCMM_PROTO_MAX_IO / 4096;
	int ret = 0;

	if (nr_pages == 0)
		return -EINVAL;
	for (uint64_t done = 0; done < nr_pages && !ret;) {
		uint64_t n = nr_pages - done < batch ? nr_pages - done : batch;

		req_begin(c);
		epcmm_wr_u64(&c->req, encl);
		epcmm_wr_u64(&c->req, offset + done * 4096);
		epcmm_wr_u64(&c->req, n);
		if (secinfo)
			epcmm_wr_u64(&c->req, *secinfo);
		if (src)
			epcmm_wr_bytes(&c->req, (const uint8_t *)src + done * 4096, n * 4096);
		ret = call(c, secinfo ? EPCMM_MSG_ENCL_ADD2 : EPCMM_MSG_ENCL_ADD);
		done += n;
	}
	return ret;
}

API int epcmm_encl_add_pages2(struct epcmm_client *c, uint64_t encl, uint64_t offset,
			      uint64_t nr_pages, const void *src, uint64_t secinfo)
{
	return add_pages(c, encl, offset, nr_pages, src, &secinfo);
}

API int epcmm_encl_declare_dynamic(struct epcmm_client *c, uint64_t encl, uint64_t offset,
				   uint64_t length)
{
	req_begin(c);
	epcmm_wr_u64(&c->req, encl);
	epcmm_wr_u64(&c->req, offset);
	epcmm_wr_u64(&c->req, length);
	return call(c, EPCMM_MSG_ENCL_DYNAMIC);
}

API int epcmm_encl_accept(struct epcmm_client *c, uint64_t encl, uint64_t offset, uint64_t secinfo,
			  uint64_t *result)
{
	struct epcmm_rd r;
	int ret;

	if (!result)
		return -EINVAL;
	req_begin(c);
	epcmm_wr_u64(&c->req, encl);
	epcmm_wr_u64(&c->req, offset);
	epcmm_wr_u64(&c->req, secinfo);
	ret = call(c, EPCMM_MSG_ENCL_ACCEPT);
	if (!ret && !(ret = resp_expect(c, 8, &r)))
		epcmm_rd_u64(&r, result);
	return ret;
}

/*
 * One EDMM request (@arg: permissions or page type; none for REMOVE). Its
 * reply carries result and count whatever its status, or nothing when the
 * request was refused before the enclave was found.
 */
static int edmm(struct epcmm_client *c, uint16_t type, uint64_t encl, uint64_t offset,
		uint64_t length, uint64_t arg, uint64_t *result, uint64_t *count)
{
	struct epcmm_rd r;
	int ret;

	req_begin(c);
	epcmm_wr_u64(&c->req, encl);
	epcmm_wr_u64(&c->req, offset);
	epcmm_wr_u64(&c->req, length);
	if (type != EPCMM_MSG_ENCL_REMOVE)
		epcmm_wr_u64(&c->req, arg);
	ret = call(c, type);
	if (c->broken)
		return ret;
	if (c->resp.len == 0 && ret)
		return ret;
	if (c->resp.len != 16) {
		c->broken = true;
		return -EPROTO;
	}
	r = (struct epcmm_rd){.p = c->resp.buf, .left = c->resp.len};
	epcmm_rd_u64(&r, result);
	epcmm_rd_u64(&r, count);
	return ret;
}

API int epcmm_encl_restrict_permissions(struct epcmm_client *c, uint64_t encl,
					struct epcmm_restrict_permissions *p)
{
	if (!p || p->result || p->count)
		return -EINVAL;
	return edmm(c, EPCMM_MSG_ENCL_RESTRICT, encl, p->offset, p->length, p->permissions,
		    &p->result, &p->count);
}

API int epcmm_encl_modify_types(struct epcmm_client *c, uint64_t encl, struct epcmm_modify_types *m)
{
	if (!m || m->result || m->count)
		return -EINVAL;
	return edmm(c, EPCMM_MSG_ENCL_MODIFY_TYPES, encl, m->offset, m->length, m->page_type,
		    &m->result, &m->count);
}

API int epcmm_encl_remove_pages(struct epcmm_client *c, uint64_t encl, struct epcmm_remove_pages *r)
{
	uint64_t result = 0;

	if (!r || r->count)
		return -EINVAL;
	return edmm(c, EPCMM_MSG_ENCL_REMOVE, encl, r->offset, r->length, 0, &result, &r->count);
}

API int epcmm_encl_add_pages(struct epcmm_client *c, uint64_t encl, uint64_t offset,
			     uint64_t nr_pages, const void *src)
{
	return add_pages(c, encl, offset, nr_pages, src, NULL);
}

static int encl_simple(struct epcmm_client *c, uint16_t type, uint64_t encl)
{
	req_begin(c);
	epcmm_wr_u64(&c->req, encl);
	return call(c, type);
}

API int epcmm_encl_init(struct epcmm_client *c, uint64_t encl)
{
	return encl_simple(c, EPCMM_MSG_ENCL_INIT, encl);
}

API int epcmm_encl_destroy(struct epcmm_client *c, uint64_t encl)
{
	return encl_simple(c, EPCMM_MSG_ENCL_DESTROY, encl);
}

API int epcmm_encl_read(struct epcmm_client *c, uint64_t encl, uint64_t offset, void *buf,
			size_t len)
{
	struct epcmm_rd r;
	int ret = 0;

	if (len == 0)
		return buf ? 0 : -EINVAL;
	for (size_t done = 0; done < len && !ret;) {
		size_t n = len - done < EPCMM_PROTO_MAX_IO ? len - done : EPCMM_PROTO_MAX_IO;

		req_begin(c);
		epcmm_wr_u64(&c->req, encl);
		epcmm_wr_u64(&c->req, offset + done);
		epcmm_wr_u32(&c->req, (uint32_t)n);
		ret = call(c, EPCMM_MSG_ENCL_READ);
		if (!ret && !(ret = resp_expect(c, n, &r)))
			memcpy((uint8_t *)buf + done, r.p, n);
		done += n;
	}
	return ret;
}

API int epcmm_encl_write(struct epcmm_client *c, uint64_t encl, uint64_t offset, const void *buf,
			 size_t len)
{
	int ret = 0;

	if (len == 0)
		return buf ? 0 : -EINVAL;
	for (size_t done = 0; done < len && !ret;) {
		size_t n = len - done < EPCMM_PROTO_MAX_IO ? len - done : EPCMM_PROTO_MAX_IO;

		req_begin(c);
		epcmm_wr_u64(&c->req, encl);
		epcmm_wr_u64(&c->req, offset + done);
		epcmm_wr_bytes(&c->req, (const uint8_t *)buf + done, n);
		ret = call(c, EPCMM_MSG_ENCL_WRITE);
		done += n;
	}
	return ret;
}

API int epcmm_encl_stats(struct epcmm_client *c, uint64_t encl, struct epcmm_encl_stats *st)
{
	struct epcmm_rd r;
	int ret = encl_simple(c, EPCMM_MSG_ENCL_STATS, encl);

	if (ret || (ret = resp_expect(c, 48, &r)))
		return ret;
	epcmm_rd_u64(&r, &st->nr_pages);
	epcmm_rd_u64(&r, &st->nr_resident);
	epcmm_rd_u64(&r, &st->nr_va_pages);
	epcmm_rd_u64(&r, &st->nr_faults);
	epcmm_rd_u64(&r, &st->nr_evicted);
	epcmm_rd_u64(&r, &st->nr_reloaded);
	return 0;
}

API int epcmm_page_alloc(struct epcmm_client *c, bool reclaim, uint64_t *page, uint64_t *phys,
			 int *node)
{
	struct epcmm_rd r;
	uint64_t ph;
	uint32_t nd;
	int ret;

	req_begin(c);
	epcmm_wr_u32(&c->req, reclaim ? 1 : 0);
	ret = call(c, EPCMM_MSG_PAGE_ALLOC);
	if (ret || (ret = resp_expect(c, 20, &r)))
		return ret;
	epcmm_rd_u64(&r, page);
	epcmm_rd_u64(&r, &ph);
	epcmm_rd_u32(&r, &nd);
	if (phys)
		*phys = ph;
	if (node)
		*node = (int)nd;
	return 0;
}

API int epcmm_page_free(struct epcmm_client *c, uint64_t page)
{
	return encl_simple(c, EPCMM_MSG_PAGE_FREE, page);
}

API ssize_t epcmm_cgroup_read(struct epcmm_client *c, const char *path, const char *file, char *buf,
			      size_t len)
{
	int ret;

	req_begin(c);
	epcmm_wr_str(&c->req, path);
	epcmm_wr_str(&c->req, file);
	ret = call(c, EPCMM_MSG_CG_READ);
	if (ret)
		return ret;
	if (c->resp.len >= len)
		return -ENOSPC;
	memcpy(buf, c->resp.buf, c->resp.len);
	buf[c->resp.len] = '\0';
	return (ssize_t)c->resp.len;
}

API int epcmm_cgroup_write(struct epcmm_client *c, const char *path, const char *file,
			   const char *text)
{
	req_begin(c);
	epcmm_wr_str(&c->req, path);
	epcmm_wr_str(&c->req, file);
	epcmm_wr_str(&c->req, text);
	return call(c, EPCMM_MSG_CG_WRITE);
}

static int cg_dir(struct epcmm_client *c, uint16_t type, const char *path)
{
	req_begin(c);
	epcmm_wr_str(&c->req, path);
	return call(c, type);
}

API int epcmm_cgroup_mkdir(struct epcmm_client *c, const char *path)
{
	return cg_dir(c, EPCMM_MSG_CG_MKDIR, path);
}

API int epcmm_cgroup_rmdir(struct epcmm_client *c, const char *path)
{
	return cg_dir(c, EPCMM_MSG_CG_RMDIR, path);
}

/* Append @n bytes at @p to the report being gathered in *@buf. */
static int text_append(char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
	if (n > EPCMM_STATUS_MAX_TOTAL - *len)
		return -E2BIG;
	if (*len + n + 1 > *cap) {
		size_t want = *cap ? *cap : 65536;
		char *nb;

		while (want < *len + n + 1)
			want *= 2;
		nb = realloc(*buf, want);
		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = want;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

/* Where a page of the status report starts: an item (line or record), and
 * bytes into it. */
struct status_pos {
	uint64_t line, off;
};

/* One STATUS_PAGE or SNAPSHOT (@type) round trip from @at: its bytes
 * appended to *@buf, where the next page starts in *@next (0, 0: this was
 * the last). */
static int status_page(struct epcmm_client *c, uint16_t type, struct status_pos at,
		       struct status_pos *next, char **buf, size_t *len, size_t *cap)
{
	const size_t head = 2 * sizeof(uint64_t);
	bool last, ahead;
	size_t n;
	int ret;

	req_begin(c);
	epcmm_wr_u64(&c->req, at.line);
	epcmm_wr_u64(&c->req, at.off);
	ret = call(c, type);
	if (ret)
		return ret;
	if (c->resp.len < head)
		goto bad;
	memcpy(&next->line, c->resp.buf, sizeof(next->line));
	memcpy(&next->off, c->resp.buf + sizeof(next->line), sizeof(next->off));
	n = c->resp.len - head;
	last = !next->line && !next->off;
	ahead = next->line > at.line || (next->line == at.line && next->off > at.off);
	/* a page moves on (no loop), holds bytes unless it is the last; text has no NUL */
	if ((!last && (!ahead || !n)) ||
	    (type == EPCMM_MSG_STATUS_PAGE && memchr(c->resp.buf + head, 0, n)))
		goto bad;
	return text_append(buf, len, cap, c->resp.buf + head, n);
bad:
	c->broken = true;
	return -EPROTO;
}

/* The report in pages of @type (docs/PROTOCOL.md, STATUS_PAGE, SNAPSHOT),
 * into *@out (NUL-terminated) and its length *@out_len. */
static int status_paged(struct epcmm_client *c, uint16_t type, char **out, size_t *out_len)
{
	struct status_pos at = {0, 0}, next = {0, 0};
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int ret;

	do {
		ret = status_page(c, type, at, &next, &buf, &len, &cap);
		at = next;
	} while (!ret && (next.line || next.off));
	if (!ret && !buf)
		ret = text_append(&buf, &len, &cap, "", 0);
	if (ret) {
		free(buf);
		return ret;
	}
	*out = buf;
	*out_len = len;
	return 0;
}

API int epcmm_status(struct epcmm_client *c, char **text)
{
	size_t len;
	int ret;

	if (!c->status_paged) {
		req_begin(c);
		ret = call(c, EPCMM_MSG_STATUS);
		if (ret != -E2BIG) {
			if (ret)
				return ret;
			*text = malloc(c->resp.len + 1);
			if (!*text)
				return -ENOMEM;
			memcpy(*text, c->resp.buf, c->resp.len);
			(*text)[c->resp.len] = '\0';
			return 0;
		}
		c->status_paged = true; /* and from now on, straight to pages */
	}
	ret = status_paged(c, EPCMM_MSG_STATUS_PAGE, text, &len);
	/* a daemon that predates pages refuses the type (and hangs up): to the
	 * caller, the report is still just too big */
	return ret == -EBADMSG ? -E2BIG : ret;
}

API int epcmm_snapshot_get(struct epcmm_client *c, struct epcmm_snapshot **out)
{
	size_t len;
	char *buf;
	int ret = status_paged(c, EPCMM_MSG_SNAPSHOT, &buf, &len);

	if (ret == -EBADMSG && !c->broken) { /* a daemon that predates SNAPSHOT hung up */
		c->broken = true;
		return -EOPNOTSUPP;
	}
	if (ret)
		return ret;
	ret = epcmm_snap_decode((const uint8_t *)buf, len, out);
	free(buf);
	if (ret == -EPROTO)
		c->broken = true;
	return ret;
}

API void epcmm_snapshot_free(struct epcmm_snapshot *s)
{
	epcmm_snap_free(s);
}
