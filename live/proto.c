// SPDX-License-Identifier: MIT
/*
 * proto.c - the wire protocol's checks, reader and writer (see proto.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sched.h>
#include <sys/socket.h>
#include <time.h>

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
	if (n > EPCMM_PROTO_MAX_PAYLOAD - w->len) {
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

ssize_t epcmm_recv(int fd, void *buf, size_t len)
{
	uint64_t until = now_ns() + EPCMM_RECV_SPIN_NS;

	do {
		ssize_t r = recv(fd, buf, len, MSG_DONTWAIT);

		if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return r;
		sched_yield(); /* a peer that would answer may be waiting for this CPU */
	} while (now_ns() < until);
	return recv(fd, buf, len, 0);
}
