// SPDX-License-Identifier: MIT
/*
 * daemon.c - the daemon's socket, connection threads and shutdown (daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
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
#include "say.h"
#include "session.h"
#include "shm.h"

#define DAEMON_BACKLOG 64
/* Out of file descriptors, the daemon accepts a waiting client with its
 * reserve descriptor and closes it at once (so the client sees its connection
 * closed instead of hanging in the backlog), and says so at most once per
 * this many milliseconds; when even that fails, it stops polling the socket
 * for the same time rather than spin on a listening socket it cannot serve. */
#define DAEMON_FD_BACKOFF_MS 100

struct conn {
	int fd;			  /* owned by the connection's thread */
	pid_t pid;		  /* read-only */
	struct live_session *s;	  /* read-only after the thread starts */
	struct daemon *d;	  /* read-only */
	atomic_bool closing;	  /* set by conns_close_all() before it shuts @fd down */
	int hello_cpu;		  /* the connection's thread only: the CPU HELLO said, or -1 */
	bool slot;		  /* the connection's thread only: requests come through a slot */
	struct conn *next, *prev; /* d->conns, under d->lock */
};

struct daemon {
	struct live_server srv;
	int reserve_fd;	      /* main thread only: /dev/null, spent on EMFILE */
	uint64_t nr_refused;  /* main thread only: clients closed for want of fds */
	pthread_mutex_t lock; /* protects @conns, @nr_conns */
	pthread_cond_t done;  /* signalled when @nr_conns drops to 0 */
	struct conn *conns;
	int nr_conns;
	bool no_shm;	/* read-only: EPCMM_NO_SHM, SHM is refused */
	cpu_set_t cpus; /* read-only: the CPUs the daemon may run on */
};

/*
 * Tell systemd how the service is (sd_notify(3)'s protocol, without
 * libsystemd): one datagram of @msg to the AF_UNIX socket $NOTIFY_SOCKET
 * names, '@' at its start meaning the abstract namespace. Without
 * $NOTIFY_SOCKET (not run by systemd as Type=notify) nothing is sent. A
 * failure is said on stderr and otherwise ignored: the service runs anyway
 * (systemd then times the start out, which is its own message).
 */
static void notify_systemd(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n;
	int fd;

	if (!path || !*path)
		return;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path)) {
		live_say("NOTIFY_SOCKET=%s: not a socket path; not telling systemd %s", path, msg);
		return;
	}
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		live_say("cannot tell systemd %s through %s: %s", msg, path, strerror(errno));
	if (fd >= 0)
		close(fd);
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

/* The reply's header and payload with one sendmsg (more if it is short), and
 * @pass_fd (-1: none) with its first byte. */
static int send_reply(int fd, const struct epcmm_msg_hdr *rh, const struct epcmm_wr *out,
		      int pass_fd)
{
	char ctrl[CMSG_SPACE(sizeof(int))] __attribute__((aligned(8))) = {0};
	struct iovec iov[2] = {{(void *)rh, sizeof(*rh)}, {out->buf, out->len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = out->len ? 2 : 1};

	if (pass_fd >= 0) {
		struct cmsghdr *cm;

		m.msg_control = ctrl;
		m.msg_controllen = sizeof(ctrl);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
	}
	for (;;) {
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
		size_t left;

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EPIPE;
		m.msg_control = NULL; /* sent with the first byte */
		m.msg_controllen = 0;
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

/*
 * Once the connection has a slot, run its thread on the CPU its client said
 * at HELLO, so that client and thread hand that CPU to each other (shm.h);
 * on all the daemon's CPUs when that one is not among them. Over the socket
 * alone the thread is not placed (as before the slot: there both ends spin,
 * and on two CPUs one client's round trip is shorter). A failure leaves the
 * thread where it was: only speed is lost.
 */
static void conn_place(struct conn *c)
{
	cpu_set_t one;

	if (!c->slot || c->hello_cpu < 0)
		return;
	CPU_ZERO(&one);
	if (c->hello_cpu < CPU_SETSIZE && CPU_ISSET(c->hello_cpu, &c->d->cpus))
		CPU_SET(c->hello_cpu, &one);
	pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t),
			       CPU_COUNT(&one) ? &one : &c->d->cpus);
}

/* One request, to the session; a HELLO it accepted also places the thread.
 * Return: as live_session_handle(). */
static int conn_handle(struct conn *c, const struct epcmm_msg_hdr *h, const uint8_t *payload,
		       struct epcmm_msg_hdr *rh, struct epcmm_wr *out)
{
	int ret = live_session_handle(c->s, h, payload, rh, out);
	uint32_t cpu;

	if (!ret && h->type == EPCMM_MSG_HELLO && rh->status == 0) {
		memcpy(&cpu, payload, sizeof(cpu)); /* the session checked it: a host CPU */
		c->hello_cpu = cpu < CPU_SETSIZE ? (int)cpu : CPU_SETSIZE;
		conn_place(c);
	}
	return ret;
}

static void conn_malformed(struct conn *c, const struct epcmm_msg_hdr *h, int err)
{
	live_say("client %d: malformed request (type %u, %u bytes): %s; closing it", (int)c->pid,
		 h->type, h->len, strerror(-err));
}

/*
 * SHM on the socket (@h checked, @payload its bytes): a slot for the
 * connection, into @m, its memfd sent with the reply. Return: 1 the slot is
 * the connection's from now on; 0 refused, the reply says why (EPCMM_NO_SHM,
 * another layout: -EOPNOTSUPP; no memory: its errno); -EBADMSG a payload
 * that is not one u32 (replied; close); -EPIPE the client is gone.
 */
static int conn_offer_shm(struct conn *c, const struct epcmm_msg_hdr *h, const uint8_t *payload,
			  struct epcmm_shm *m, struct epcmm_wr *out)
{
	struct epcmm_msg_hdr rh = {EPCMM_PROTO_MAGIC, EPCMM_PROTO_VERSION,
				   EPCMM_MSG_SHM | EPCMM_MSG_REPLY, 0, 0};
	uint32_t layout = 0;
	int memfd = -1, ret;

	epcmm_wr_reset(out);
	if (h->len != sizeof(layout))
		rh.status = -EBADMSG;
	else
		memcpy(&layout, payload, sizeof(layout));
	if (!rh.status && (c->d->no_shm || layout != EPCMM_SHM_LAYOUT))
		rh.status = -EOPNOTSUPP;
	if (!rh.status)
		rh.status = epcmm_shm_create(m, c->fd, &memfd);
	if (!rh.status) {
		epcmm_wr_u64(out, EPCMM_SHM_SIZE);
		rh.len = (uint32_t)out->len;
	}
	ret = send_reply(c->fd, &rh, out, memfd);
	if (memfd >= 0)
		close(memfd);
	if (ret || rh.status) {
		if (m->base)
			epcmm_shm_unmap(m);
		if (rh.status == -EBADMSG)
			conn_malformed(c, h, rh.status);
		return ret ? ret : rh.status == -EBADMSG ? -EBADMSG : 0;
	}
	c->slot = true;
	conn_place(c);
	return 1;
}

/*
 * The connection's requests through its slot @m until the client hangs up,
 * sends a malformed request, or the daemon closes: each request's header is
 * copied out of the slot once and checked, then its payload (at most
 * EPCMM_PROTO_MAX_PAYLOAD bytes) once, into @buf; only the copies are read
 * (the client may write the slot at any time: shm.h, Trust).
 */
static void conn_serve_shm(struct conn *c, struct epcmm_shm *m, uint8_t *buf, struct epcmm_wr *out)
{
	struct epcmm_msg_hdr h, rh;
	uint32_t seq = 0;
	int ret;

	while (!atomic_load_explicit(&c->closing, memory_order_relaxed) &&
	       !epcmm_shm_wait(m, &m->ctl->req, seq, &c->closing, &seq)) {
		memcpy(&h, m->req, sizeof(h));
		/* the compiler may not read the slot again for what it copied */
		atomic_signal_fence(memory_order_seq_cst);
		/* the payload only of a header that holds; the session checks the
		 * header again and answers a bad one with its error, then we close */
		if (!epcmm_proto_check_hdr(&h, false, 0))
			memcpy(buf, m->req + sizeof(h), h.len);
		atomic_signal_fence(memory_order_seq_cst);
		ret = conn_handle(c, &h, buf, &rh, out);
		memcpy(m->rep, &rh, sizeof(rh));
		memcpy(m->rep + sizeof(rh), out->buf, out->len);
		epcmm_shm_post(m, &m->ctl->rep, seq);
		if (ret) {
			conn_malformed(c, &h, ret);
			break;
		}
	}
}

static void conn_serve(struct conn *c)
{
	struct rbuf rb = {.cap = EPCMM_PROTO_HDR_LEN + EPCMM_PROTO_MAX_PAYLOAD};
	struct epcmm_shm m = {.sock = -1};
	struct epcmm_wr out = {0};
	struct epcmm_msg_hdr h, rh;
	const uint8_t *payload;
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
		payload = rb.buf + rb.start + sizeof(h);
		if (!ret && h.type == EPCMM_MSG_SHM) {
			ret = conn_offer_shm(c, &h, payload, &m, &out);
			if (ret) /* the slot from now on, or the end */
				break;
			rb.start += sizeof(h) + h.len;
			continue;
		}
		ret = conn_handle(c, &h, payload, &rh, &out);
		rb.start += sizeof(h) + (ret ? 0 : h.len);
		if (send_reply(c->fd, &rh, &out, -1))
			break;
		if (ret) {
			conn_malformed(c, &h, ret);
			break;
		}
	}
	if (m.base) { /* the slot takes over (the socket's buffer holds no request) */
		conn_serve_shm(c, &m, rb.buf, &out);
		epcmm_shm_unmap(&m);
	}
	epcmm_wr_free(&out);
	free(rb.buf);
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	struct daemon *d = c->d;

	pthread_setname_np(pthread_self(), "epcmm-conn"); /* for top, perf, gdb, tests */
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

/*
 * The process has no descriptor for a waiting client: spend the reserve on
 * accepting it, close it, and take the reserve back. Return: 0 if a client
 * was refused that way (poll on); -EMFILE if not even that worked (back off).
 */
static int accept_refuse_one(struct daemon *d, int lfd, int err)
{
	int fd;

	if (d->reserve_fd < 0)
		return -EMFILE;
	close(d->reserve_fd);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EMFILE;
	if (d->nr_refused++ == 0 || d->nr_refused % 100 == 0)
		live_say("out of file descriptors (%s): closed a new client unserved, %" PRIu64
			 " so far; raise the limit (ulimit -n, LimitNOFILE=)",
			 strerror(err), d->nr_refused);
	return 0;
}

/* Return: 0, or -EMFILE when the daemon should not poll the socket for a
 * while (no descriptor left even to refuse a client with). */
static int accept_one(struct daemon *d, int lfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	pthread_attr_t attr;
	pthread_t tid;
	struct conn *c;
	int fd, ret;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EMFILE || errno == ENFILE)
			return accept_refuse_one(d, lfd, errno);
		if (errno == ENOMEM || errno == ENOBUFS)
			return -EMFILE;
		return 0; /* the client went away (ECONNABORTED), EINTR, EAGAIN */
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		live_say("a client without credentials: %s; closing it", strerror(errno));
		close(fd);
		return 0;
	}
	if (cred.uid != 0 && cred.uid != getuid()) {
		live_say("refused client pid %d: uid %u is neither root nor the daemon's (%u)",
			 (int)cred.pid, (unsigned)cred.uid, (unsigned)getuid());
		close(fd);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return 0;
	}
	c->fd = fd;
	c->pid = cred.pid;
	c->d = d;
	c->hello_cpu = -1;
	ret = live_session_create(&d->srv, cred.pid, &c->s);
	if (!ret)
		live_session_watch_peer(c->s, fd);
	if (ret) {
		live_say("client %d: no session: %s", (int)cred.pid, strerror(-ret));
		close(fd);
		free(c);
		return 0;
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
		live_say("client %d: no thread: %s", (int)cred.pid, strerror(ret));
		shutdown(fd, SHUT_RDWR);
		conn_thread(c); /* closes and frees it */
	}
	return 0;
}

/* Close every connection and wait until their threads have freed all. */
static void conns_close_all(struct daemon *d)
{
	pthread_mutex_lock(&d->lock);
	for (struct conn *c = d->conns; c; c = c->next) {
		atomic_store(&c->closing, true);
		live_session_interrupt(c->s);
		shutdown(c->fd, SHUT_RDWR); /* ends a sleep in epcmm_shm_wait() too */
	}
	while (d->nr_conns)
		pthread_cond_wait(&d->done, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

/* Bind @fd to @sa under umask 0177 (no moment with other bits). */
static int bind_private(int fd, const struct sockaddr_un *sa)
{
	mode_t old = umask(0177);
	int ret = bind(fd, (const struct sockaddr *)sa, sizeof(*sa));

	umask(old);
	return ret ? -errno : 0;
}

/*
 * The path is taken: by a live daemon (refused), by a socket nobody listens
 * on any more (a daemon that died: removed), or by anything that is not a
 * socket (refused: the daemon removes nothing it did not make).
 * Return: 0 the stale socket was removed; -EADDRINUSE; -EEXIST; -errno.
 */
static int clear_stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(sa->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		live_say("%s exists and is not a socket; not replacing it", sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ? -errno : 0;
	close(fd);
	if (!ret) {
		live_say("another daemon is listening on %s", sa->sun_path);
		return -EADDRINUSE;
	}
	if (ret != -ECONNREFUSED) {
		live_say("cannot tell whether %s is in use: %s", sa->sun_path, strerror(-ret));
		return ret;
	}
	live_say("removing the stale socket %s (nobody listens on it)", sa->sun_path);
	return unlink(sa->sun_path) && errno != ENOENT ? -errno : 0;
}

/* Listen on @path, mode 0600; @st gets the socket file's identity, so that
 * the daemon later removes that file and no other. Return: the fd; -errno. */
static int listen_on(const char *path, struct stat *st)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		live_say("socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = bind_private(fd, &sa);
	if (ret == -EADDRINUSE) {
		ret = clear_stale_socket(&sa);
		if (ret) {
			close(fd);
			return ret;
		}
		ret = bind_private(fd, &sa);
	}
	if (ret || chmod(path, 0600) || listen(fd, DAEMON_BACKLOG) || lstat(path, st)) {
		ret = ret ? ret : -errno;
		live_say("cannot listen on %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

/* Remove the socket file if it is still the one listen_on() made. */
static void unlink_ours(const char *path, const struct stat *made)
{
	struct stat st;

	if (!lstat(path, &st) && st.st_dev == made->st_dev && st.st_ino == made->st_ino)
		unlink(path);
}

int live_daemon_run(const struct live_daemon_opts *o)
{
	struct live_fuse *fuse = NULL;
	struct stat sock_st;
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
	d->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	d->no_shm = epcmm_shm_disabled();
	if (sched_getaffinity(0, sizeof(d->cpus), &d->cpus))
		CPU_ZERO(&d->cpus); /* not known: no thread is pinned */
	ret = epc_create2(o->cfg, sizeof(struct epc_config), &epc);
	if (ret) {
		live_say("cannot create the EPC: %s", strerror(-ret));
		goto out_free;
	}
	epc_sanitize_wait(epc);
	ret = live_server_init(&d->srv, epc, o->cfg);
	if (ret)
		goto out_epc;
	lfd = listen_on(o->socket_path, &sock_st);
	if (lfd < 0) {
		ret = lfd;
		goto out_server;
	}
	if (o->mount_dir) {
		ret = live_fuse_mount(d->srv.cgfs, o->mount_dir, &fuse);
		if (ret) {
			live_say("cannot mount the cgroupfs on %s: %s", o->mount_dir,
				 ret == -EOPNOTSUPP ? "this build has no libfuse3"
						    : strerror(-ret));
			goto out_listen;
		}
	}
	live_say("serving on %s%s%s", o->socket_path, o->mount_dir ? ", cgroupfs on " : "",
		 o->mount_dir ? o->mount_dir : "");
	notify_systemd("READY=1");
	if (o->ready_fd >= 0 && write(o->ready_fd, "r", 1) != 1)
		live_say("cannot signal readiness: %s", strerror(errno));
	for (int backoff = 0;;) {
		struct pollfd p[2] = {{.fd = o->stop_fd, .events = POLLIN},
				      {.fd = lfd, .events = POLLIN}};

		/* Backing off: wait on the stop descriptor alone for a while. */
		if (poll(p, backoff ? 1 : 2, backoff ? DAEMON_FD_BACKOFF_MS : -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents)
			break;
		backoff = 0;
		if (p[1].revents & POLLIN)
			backoff = accept_one(d, lfd) < 0;
	}
	notify_systemd("STOPPING=1");
	pthread_mutex_lock(&d->lock);
	live_say("shutting down: closing %d client(s)", d->nr_conns);
	pthread_mutex_unlock(&d->lock);
	ret = 0;
	close(lfd);
	lfd = -1;
	unlink_ours(o->socket_path, &sock_st);
	conns_close_all(d);
	live_fuse_unmount(fuse);
out_listen:
	if (lfd >= 0) {
		close(lfd);
		unlink_ours(o->socket_path, &sock_st);
	}
out_server:
	live_server_fini(&d->srv);
out_epc:
	epc_destroy(epc);
out_free:
	if (d->reserve_fd >= 0)
		close(d->reserve_fd);
	pthread_cond_destroy(&d->done);
	pthread_mutex_destroy(&d->lock);
	free(d);
	return ret;
}
