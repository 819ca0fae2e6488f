// SPDX-License-Identifier: MIT
/*
 * daemon.c - the daemon's socket, connection threads and shutdown (daemon.h).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon.h"
#include "fusefs.h"
#include "session.h"

#define DAEMON_BACKLOG 64

struct conn {
	int fd;			  /* owned by the connection's thread */
	pid_t pid;		  /* read-only */
	struct live_session *s;	  /* read-only after the thread starts */
	struct daemon *d;	  /* read-only */
	struct conn *next, *prev; /* d->conns, under d->lock */
};

struct daemon {
	struct live_server srv;
	pthread_mutex_t lock; /* protects @conns, @nr_conns */
	pthread_cond_t done;  /* signalled when @nr_conns drops to 0 */
	struct conn *conns;
	int nr_conns;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "epcmm daemon: %s\n", line);
}

/* A connection's input, buffered: most requests arrive with one recv. */
struct rbuf {
	uint8_t *buf;
	size_t start, end, cap;
};

/* Make @n bytes available at rb->buf + rb->start. Return: 0; -ECONNRESET. */
static int rbuf_fill(int fd, struct rbuf *rb, size_t n)
{
	while (rb->end - rb->start < n) {
		ssize_t r;

		if (rb->start + n > rb->cap) {
			memmove(rb->buf, rb->buf + rb->start, rb->end - rb->start);
			rb->end -= rb->start;
			rb->start = 0;
		}
		r = epcmm_recv(fd, rb->buf + rb->end, rb->cap - rb->end);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ECONNRESET;
		rb->end += (size_t)r;
	}
	return 0;
}

/* The reply's header and payload with one sendmsg (more if it is short). */
static int send_reply(int fd, const struct epcmm_msg_hdr *rh, const struct epcmm_wr *out)
{
	struct iovec iov[2] = {{(void *)rh, sizeof(*rh)}, {out->buf, out->len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = out->len ? 2 : 1};

	for (;;) {
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
		size_t left;

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		left = (size_t)w;
		while (m.msg_iovlen && left >= m.msg_iov->iov_len) {
			left -= m.msg_iov->iov_len;
			m.msg_iov++;
			m.msg_iovlen--;
		}
		if (!m.msg_iovlen)
			return 0;
		m.msg_iov->iov_base = (uint8_t *)m.msg_iov->iov_base + left;
		m.msg_iov->iov_len -= left;
	}
}

static void conn_serve(struct conn *c)
{
	struct rbuf rb = {.cap = EPCMM_PROTO_HDR_LEN + EPCMM_PROTO_MAX_PAYLOAD};
	struct epcmm_wr out = {0};
	struct epcmm_msg_hdr h, rh;
	int ret;

	rb.buf = malloc(rb.cap);
	if (!rb.buf)
		return;
	for (;;) {
		if (rbuf_fill(c->fd, &rb, sizeof(h)))
			break;
		memcpy(&h, rb.buf + rb.start, sizeof(h));
		/* A bad header: reply with the error without reading its payload. */
		ret = epcmm_proto_check_hdr(&h, false, 0);
		if (!ret && rbuf_fill(c->fd, &rb, sizeof(h) + h.len))
			break;
		ret = live_session_handle(c->s, &h, rb.buf + rb.start + sizeof(h), &rh, &out);
		rb.start += sizeof(h) + (ret ? 0 : h.len);
		if (send_reply(c->fd, &rh, &out))
			break;
		if (ret) {
			say("client %d: malformed request (type %u, %u bytes): %s; closing it",
			    (int)c->pid, h.type, h.len, strerror(-ret));
			break;
		}
	}
	epcmm_wr_free(&out);
	free(rb.buf);
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	struct daemon *d = c->d;

	conn_serve(c);
	pthread_mutex_lock(&d->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&d->lock);
	live_session_destroy(c->s);
	close(c->fd);
	free(c);
	pthread_mutex_lock(&d->lock);
	if (--d->nr_conns == 0)
		pthread_cond_broadcast(&d->done);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static void accept_one(struct daemon *d, int lfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	pthread_attr_t attr;
	pthread_t tid;
	struct conn *c;
	int fd, ret;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		say("a client without credentials: %s; closing it", strerror(errno));
		close(fd);
		return;
	}
	if (cred.uid != 0 && cred.uid != getuid()) {
		say("refused client pid %d: uid %u is neither root nor the daemon's (%u)",
		    (int)cred.pid, (unsigned)cred.uid, (unsigned)getuid());
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->pid = cred.pid;
	c->d = d;
	ret = live_session_create(&d->srv, cred.pid, &c->s);
	if (ret) {
		say("client %d: no session: %s", (int)cred.pid, strerror(-ret));
		close(fd);
		free(c);
		return;
	}
	pthread_mutex_lock(&d->lock);
	c->next = d->conns;
	if (c->next)
		c->next->prev = c;
	d->conns = c;
	d->nr_conns++;
	pthread_mutex_unlock(&d->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = pthread_create(&tid, &attr, conn_thread, c);
	pthread_attr_destroy(&attr);
	if (ret) {
		say("client %d: no thread: %s", (int)cred.pid, strerror(ret));
		shutdown(fd, SHUT_RDWR);
		conn_thread(c); /* closes and frees it */
	}
}

/* Close every connection and wait until their threads have freed all. */
static void conns_close_all(struct daemon *d)
{
	pthread_mutex_lock(&d->lock);
	for (struct conn *c = d->conns; c; c = c->next) {
		live_session_interrupt(c->s);
		shutdown(c->fd, SHUT_RDWR);
	}
	while (d->nr_conns)
		pthread_cond_wait(&d->done, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		say("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A live daemon answers on it; a stale socket file is replaced. */
	if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		say("another daemon is listening on %s", path);
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret || chmod(path, 0600) || listen(fd, DAEMON_BACKLOG)) {
		ret = -errno;
		say("cannot listen on %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

int live_daemon_run(const struct live_daemon_opts *o)
{
	struct live_fuse *fuse = NULL;
	struct daemon *d;
	struct epc *epc;
	int lfd, ret;

	if (o->cfg->background != EPC_BACKGROUND_THREADS)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->done, NULL);
	ret = epc_create(o->cfg, &epc);
	if (ret) {
		say("cannot create the EPC: %s", strerror(-ret));
		goto out_free;
	}
	epc_sanitize_wait(epc);
	ret = live_server_init(&d->srv, epc, o->cfg->nr_nodes);
	if (ret)
		goto out_epc;
	lfd = listen_on(o->socket_path);
	if (lfd < 0) {
		ret = lfd;
		goto out_server;
	}
	if (o->mount_dir) {
		ret = live_fuse_mount(d->srv.cgfs, o->mount_dir, &fuse);
		if (ret) {
			say("cannot mount the cgroupfs on %s: %s", o->mount_dir,
			    ret == -EOPNOTSUPP ? "this build has no libfuse3" : strerror(-ret));
			goto out_listen;
		}
	}
	say("serving on %s%s%s", o->socket_path, o->mount_dir ? ", cgroupfs on " : "",
	    o->mount_dir ? o->mount_dir : "");
	if (o->ready_fd >= 0 && write(o->ready_fd, "r", 1) != 1)
		say("cannot signal readiness: %s", strerror(errno));
	for (;;) {
		struct pollfd p[2] = {{.fd = lfd, .events = POLLIN},
				      {.fd = o->stop_fd, .events = POLLIN}};

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN)
			accept_one(d, lfd);
	}
	pthread_mutex_lock(&d->lock);
	say("shutting down: closing %d client(s)", d->nr_conns);
	pthread_mutex_unlock(&d->lock);
	ret = 0;
	close(lfd);
	lfd = -1;
	unlink(o->socket_path);
	conns_close_all(d);
	live_fuse_unmount(fuse);
out_listen:
	if (lfd >= 0) {
		close(lfd);
		unlink(o->socket_path);
	}
out_server:
	live_server_fini(&d->srv);
out_epc:
	epc_destroy(epc);
out_free:
	pthread_cond_destroy(&d->done);
	pthread_mutex_destroy(&d->lock);
	free(d);
	return ret;
}
