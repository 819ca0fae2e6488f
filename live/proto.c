// SPDX-License-Identifier: MIT
/*
 * proto.c - the wire protocol's checks, reader and writer (see proto.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sched.h>
#include <sys/socket.h>
#include <time.h>

#include "epcmm-client.h"
#include "proto.h"

int epcmm_proto_check_hdr(const struct epcmm_msg_hdr *h, bool reply, uint16_t want)
{
	if (h->magic != EPCMM_PROTO_MAGIC)
		return -EPROTO;
	if (h->version != EPCMM_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	if (h->len > EPCMM_PROTO_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (reply) {
		if (h->type != (want | EPCMM_MSG_REPLY))
			return -EBADMSG;
		if (h->status > 0 || h->status < -4095)
			return -EPROTO;
		return 0;
	}
	if (h->status != 0)
		return -EPROTO;
	if (h->type < EPCMM_MSG_PING || h->type >= EPCMM_MSG_TYPE_END)
		return -EBADMSG;
	return 0;
}

int epcmm_rd_u32(struct epcmm_rd *r, uint32_t *v)
{
	if (r->left < sizeof(*v))
		return -EBADMSG;
	memcpy(v, r->p, sizeof(*v));
	r->p += sizeof(*v);
	r->left -= sizeof(*v);
	return 0;
}

int epcmm_rd_u64(struct epcmm_rd *r, uint64_t *v)
{
	if (r->left < sizeof(*v))
		return -EBADMSG;
	memcpy(v, r->p, sizeof(*v));
	r->p += sizeof(*v);
	r->left -= sizeof(*v);
	return 0;
}

int epcmm_rd_str(struct epcmm_rd *r, char *buf, size_t max)
{
	uint16_t n;

	if (r->left < sizeof(n))
		return -EBADMSG;
	memcpy(&n, r->p, sizeof(n));
	if (n == 0 || n > max || r->left - sizeof(n) < n)
		return -EBADMSG;
	if (memchr(r->p + sizeof(n), '\0', n))
		return -EBADMSG;
	memcpy(buf, r->p + sizeof(n), n);
	buf[n] = '\0';
	r->p += sizeof(n) + n;
	r->left -= sizeof(n) + n;
	return 0;
}

int epcmm_rd_blob(struct epcmm_rd *r, char **s)
{
	uint32_t n;

	if (r->left < sizeof(n))
		return -EBADMSG;
	memcpy(&n, r->p, sizeof(n));
	if (r->left - sizeof(n) < n || memchr(r->p + sizeof(n), '\0', n))
		return -EBADMSG;
	*s = strndup((const char *)r->p + sizeof(n), n);
	if (!*s)
		return -ENOMEM;
	r->p += sizeof(n) + n;
	r->left -= sizeof(n) + n;
	return 0;
}

int epcmm_rd_end(const struct epcmm_rd *r)
{
	return r->left ? -EBADMSG : 0;
}

void epcmm_wr_reset(struct epcmm_wr *w)
{
	w->len = 0;
	w->err = 0;
}

void epcmm_wr_free(struct epcmm_wr *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void *epcmm_wr_reserve(struct epcmm_wr *w, size_t n)
{
	void *p;

	if (w->err)
		return NULL;
	if (n > (w->max ? w->max : EPCMM_PROTO_MAX_PAYLOAD) - w->len) {
		w->err = -EMSGSIZE;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		uint8_t *nb;

		while (cap < w->len + n)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->err = -ENOMEM;
			return NULL;
		}
		w->buf = nb;
		w->cap = cap;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void epcmm_wr_bytes(struct epcmm_wr *w, const void *p, size_t n)
{
	void *d = epcmm_wr_reserve(w, n);

	if (d && n)
		memcpy(d, p, n);
}

void epcmm_wr_u32(struct epcmm_wr *w, uint32_t v)
{
	epcmm_wr_bytes(w, &v, sizeof(v));
}

void epcmm_wr_u64(struct epcmm_wr *w, uint64_t v)
{
	epcmm_wr_bytes(w, &v, sizeof(v));
}

void epcmm_wr_str(struct epcmm_wr *w, const char *s)
{
	size_t n = strlen(s);
	uint16_t n16 = (uint16_t)n;

	if (n == 0 || n > EPCMM_PROTO_MAX_STR) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	epcmm_wr_bytes(w, &n16, sizeof(n16));
	epcmm_wr_bytes(w, s, n);
}

void epcmm_wr_blob(struct epcmm_wr *w, const char *s)
{
	size_t n = strlen(s);

	if (n > UINT32_MAX) {
		if (!w->err)
			w->err = -EMSGSIZE;
		return;
	}
	epcmm_wr_u32(w, (uint32_t)n);
	epcmm_wr_bytes(w, s, n);
}

uint64_t epcmm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

ssize_t epcmm_recv(int fd, void *buf, size_t len)
{
	uint64_t until = epcmm_now_ns() + EPCMM_RECV_SPIN_NS;

	do {
		ssize_t r = recv(fd, buf, len, MSG_DONTWAIT);

		if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return r;
		sched_yield(); /* a peer that would answer may be waiting for this CPU */
	} while (epcmm_now_ns() < until);
	return recv(fd, buf, len, 0);
}

char *epcmm_path_escape(const char *path)
{
	size_t n = 0, len = strlen(path);
	char *copy, *o;

	for (size_t i = 0; i < len; i++)
		n += epcmm_path_escaped((unsigned char)path[i]) ? 4 : 1;
	o = copy = malloc(n + 1);
	if (!copy)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];

		if (epcmm_path_escaped(c))
			o += sprintf(o, "\\%03o", c);
		else
			*o++ = (char)c;
	}
	*o = '\0';
	return copy;
}

/* ------------------------------------------------------------ snapshot */

/* Room in *@arr (@nr used, *@cap allocated, of @size) for one more. */
static int snap_room(void *arr, size_t nr, size_t *cap, size_t size)
{
	void **a = arr, *n;
	size_t c;

	if (nr < *cap)
		return 0;
	c = *cap ? 2 * *cap : 16;
	n = c <= SIZE_MAX / size ? realloc(*a, c * size) : NULL;
	if (!n)
		return -ENOMEM;
	*a = n;
	*cap = c;
	return 0;
}

/* The u64 fields of a record, @n of them, in order. */
static int snap_u64s(struct epcmm_rd *r, uint64_t *v, int n)
{
	for (int i = 0; i < n; i++)
		if (epcmm_rd_u64(r, &v[i]))
			return -EBADMSG;
	return 0;
}

struct snap_build {
	struct epcmm_snapshot *s;
	size_t cap_nodes, cap_cgroups, cap_clients, cap_encls;
};

static int snap_node(struct snap_build *b, struct epcmm_rd *r)
{
	struct epcmm_snapshot *s = b->s;
	uint64_t v[3];

	if (snap_u64s(r, v, 3) || v[0] > INT32_MAX)
		return -EBADMSG;
	if (snap_room(&s->nodes, s->nr_nodes, &b->cap_nodes, sizeof(*s->nodes)))
		return -ENOMEM;
	s->nodes[s->nr_nodes++] = (struct epcmm_snap_node){(int)v[0], v[1], v[2]};
	return 0;
}

static int snap_cgroup(struct snap_build *b, struct epcmm_rd *r)
{
	struct epcmm_snapshot *s = b->s;
	uint64_t v[7];
	char *path;
	int ret;

	if (snap_u64s(r, v, 7))
		return -EBADMSG;
	if ((ret = epcmm_rd_blob(r, &path)))
		return ret;
	if (path[0] != '/') {
		free(path);
		return -EBADMSG;
	}
	if (snap_room(&s->cgroups, s->nr_cgroups, &b->cap_cgroups, sizeof(*s->cgroups))) {
		free(path);
		return -ENOMEM;
	}
	s->cgroups[s->nr_cgroups++] = (struct epcmm_snap_cgroup){.path = path,
								 .current = v[0],
								 .peak = v[1],
								 .max = v[2],
								 .events = v[3],
								 .evicted = v[4],
								 .reloaded = v[5],
								 .procs = v[6]};
	return 0;
}

static int snap_client(struct snap_build *b, struct epcmm_rd *r)
{
	struct epcmm_snapshot *s = b->s;
	uint64_t v[5];
	char *cg;
	int ret;

	if (snap_u64s(r, v, 5) || v[0] > INT32_MAX || v[3] > INT32_MAX || v[4] > INT32_MAX)
		return -EBADMSG;
	if ((ret = epcmm_rd_blob(r, &cg)))
		return ret;
	if (cg[0] != '/') {
		free(cg);
		return -EBADMSG;
	}
	if (snap_room(&s->clients, s->nr_clients, &b->cap_clients, sizeof(*s->clients))) {
		free(cg);
		return -ENOMEM;
	}
	s->clients[s->nr_clients++] = (struct epcmm_snap_client){.pid = (pid_t)v[0],
								 .cgroup = cg,
								 .nr_encls = v[1],
								 .nr_pages = v[2],
								 .cpu = (int)v[3],
								 .node = (int)v[4],
								 .first_encl = s->nr_encls};
	return 0;
}

/* An enclave belongs to the client record before it: one that follows
 * another client's (its own came or went between two pages) is left out. */
static int snap_encl(struct snap_build *b, struct epcmm_rd *r)
{
	struct epcmm_snapshot *s = b->s;
	struct epcmm_snap_client *owner = s->nr_clients ? &s->clients[s->nr_clients - 1] : NULL;
	uint64_t v[8];

	if (snap_u64s(r, v, 8) || v[0] > INT32_MAX)
		return -EBADMSG;
	if (!owner || owner->pid != (pid_t)v[0] ||
	    owner->first_encl + owner->nr_listed != s->nr_encls)
		return 0;
	if (snap_room(&s->encls, s->nr_encls, &b->cap_encls, sizeof(*s->encls)))
		return -ENOMEM;
	s->encls[s->nr_encls++] = (struct epcmm_snap_encl){.pid = (pid_t)v[0],
							   .id = v[1],
							   .size = v[2],
							   .pages = v[3],
							   .resident = v[4],
							   .evicted = v[5],
							   .reloaded = v[6],
							   .faults = v[7]};
	owner->nr_listed++;
	return 0;
}

/* One record's body @r of @kind; a kind not known here is skipped. */
static int snap_record(struct snap_build *b, uint32_t kind, struct epcmm_rd *r)
{
	uint64_t v[5];

	switch (kind) {
	case EPCMM_SNAP_EPC:
		if (snap_u64s(r, v, 5))
			return -EBADMSG;
		b->s->total = v[0];
		b->s->free = v[1];
		b->s->reclaimable = v[2];
		b->s->evicted = v[3];
		b->s->reloaded = v[4];
		return 0;
	case EPCMM_SNAP_NODE:
		return snap_node(b, r);
	case EPCMM_SNAP_CGROUP:
		return snap_cgroup(b, r);
	case EPCMM_SNAP_CLIENT:
		return snap_client(b, r);
	case EPCMM_SNAP_ENCL:
		return snap_encl(b, r);
	}
	return 0;
}

int epcmm_snap_decode(const uint8_t *p, size_t n, struct epcmm_snapshot **out)
{
	struct snap_build b = {.s = calloc(1, sizeof(*b.s))};
	struct epcmm_rd r = {.p = p, .left = n};
	int ret = b.s ? 0 : -ENOMEM;

	while (!ret && r.left) {
		struct epcmm_rd body;
		uint32_t kind, len;

		if (epcmm_rd_u32(&r, &kind) || epcmm_rd_u32(&r, &len) || len > r.left) {
			ret = -EPROTO;
			break;
		}
		body = (struct epcmm_rd){.p = r.p, .left = len};
		r.p += len;
		r.left -= len;
		ret = snap_record(&b, kind, &body);
		if (ret == -EBADMSG)
			ret = -EPROTO;
	}
	if (ret) {
		epcmm_snap_free(b.s);
		return ret;
	}
	*out = b.s;
	return 0;
}

void epcmm_snap_free(struct epcmm_snapshot *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_cgroups; i++)
		free(s->cgroups[i].path);
	for (size_t i = 0; i < s->nr_clients; i++)
		free(s->clients[i].cgroup);
	free(s->nodes);
	free(s->cgroups);
	free(s->clients);
	free(s->encls);
	free(s);
}
