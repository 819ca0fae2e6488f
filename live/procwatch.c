// SPDX-License-Identifier: MIT
/*
 * procwatch.c - the kernel's process events, in order, with losses flagged
 * (procwatch.h).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include "procwatch.h"

#define PROCWATCH_RECV_BYTES 16384	/* one datagram holds one event of ~100 bytes */
#define PROCWATCH_MAX_CPUS   (1u << 16) /* CPUs whose sequence numbers are checked */

/* The inode numbers of the initial namespaces (include/linux/proc_ns.h). */
#define PROC_USER_INIT_INO 0xEFFFFFFDU
#define PROC_PID_INIT_INO  0xEFFFFFFCU

struct cpu_seq {
	uint32_t next; /* the sequence number this CPU's next event must carry */
	bool seen;
};

struct procwatch {
	int fd;		 /* the netlink socket; read-only after open */
	int stop_fd;	 /* an eventfd: written once by close to stop the thread */
	uint32_t cookie; /* our LISTEN's ack field, to tell the kernel's answer to us */
	void (*kick)(void *arg);
	void *kick_arg;
	pthread_t thread;
	bool started;
	/* The fields below belong to whoever reads (procwatch_read() calls do
	 * not overlap: procwatch.h). */
	struct cpu_seq *cpus;
	size_t nr_cpus;
	alignas(struct nlmsghdr) uint8_t buf[PROCWATCH_RECV_BYTES];
};

static bool in_initial_namespaces(void)
{
	struct stat st;

	if (stat("/proc/self/ns/pid", &st) || st.st_ino != PROC_PID_INIT_INO)
		return false;
	return !stat("/proc/self/ns/user", &st) && st.st_ino == PROC_USER_INIT_INO;
}

/* Tell the connector @op (LISTEN or IGNORE). Return: 0; -errno. */
static int send_op(struct procwatch *pw, enum proc_cn_mcast_op op)
{
	alignas(struct nlmsghdr) uint8_t buf[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(op))];
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct cn_msg cn = {.id = {.idx = CN_IDX_PROC, .val = CN_VAL_PROC},
			    .ack = pw->cookie,
			    .len = sizeof(op)};

	memset(buf, 0, sizeof(buf));
	h->nlmsg_len = NLMSG_LENGTH(sizeof(cn) + sizeof(op));
	h->nlmsg_type = NLMSG_DONE;
	memcpy(NLMSG_DATA(h), &cn, sizeof(cn));
	memcpy((uint8_t *)NLMSG_DATA(h) + sizeof(cn), &op, sizeof(op));
	if (sendto(pw->fd, buf, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

/* One datagram from the kernel into pw->buf. Return: its length; -EAGAIN
 * nothing waits; -ENOBUFS events were dropped; another -errno. */
static ssize_t recv_one(struct procwatch *pw)
{
	for (;;) {
		struct sockaddr_nl from;
		socklen_t len = sizeof(from);
		ssize_t n = recvfrom(pw->fd, pw->buf, sizeof(pw->buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if (len >= sizeof(from) && from.nl_pid == 0)
			return n;
		/* Not from the kernel: ignored (only a privileged sender can
		 * reach this group, but a forged fork would move a process). */
	}
}

/* The connector header and process event of message @h, copied out (the
 * event sits unaligned after the 20-byte header). Return: false if @h is
 * not a process event. */
static bool msg_event(const struct nlmsghdr *h, struct cn_msg *cn, struct proc_event *ev)
{
	size_t len = NLMSG_PAYLOAD(h, 0), elen;

	if (h->nlmsg_type == NLMSG_NOOP || h->nlmsg_type == NLMSG_ERROR || len < sizeof(*cn))
		return false;
	memcpy(cn, NLMSG_DATA(h), sizeof(*cn));
	if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
		return false;
	elen = len - sizeof(*cn) < cn->len ? len - sizeof(*cn) : cn->len;
	if (elen < offsetof(struct proc_event, event_data))
		return false;
	memset(ev, 0, sizeof(*ev));
	memcpy(ev, (const uint8_t *)NLMSG_DATA(h) + sizeof(*cn),
	       elen < sizeof(*ev) ? elen : sizeof(*ev));
	return true;
}

/* Each CPU numbers its events 0, 1, 2... for all listeners (cn_proc.c's
 * send_msg()), and we receive every kind, so a skipped number is a lost
 * event. Return: false on a gap. */
static bool seq_check(struct procwatch *pw, uint32_t cpu, uint32_t seq)
{
	struct cpu_seq *c;
	bool ok;

	if (cpu >= PROCWATCH_MAX_CPUS)
		return true; /* an old kernel's ack (cpu -1) */
	if (cpu >= pw->nr_cpus) {
		size_t nr = cpu + 1 > 2 * pw->nr_cpus ? cpu + 1 : 2 * pw->nr_cpus;
		struct cpu_seq *cpus = realloc(pw->cpus, nr * sizeof(*cpus));

		if (!cpus)
			return false; /* cannot tell: say lost */
		memset(cpus + pw->nr_cpus, 0, (nr - pw->nr_cpus) * sizeof(*cpus));
		pw->cpus = cpus;
		pw->nr_cpus = nr;
	}
	c = &pw->cpus[cpu];
	ok = !c->seen || seq == c->next;
	c->seen = true;
	c->next = seq + 1;
	return ok;
}

/* The process fork or leader exit that @ev is, if it is one. */
static bool to_event(const struct proc_event *ev, struct procwatch_event *out)
{
	switch (ev->what) {
	case PROC_EVENT_FORK:
		if (ev->event_data.fork.child_pid != ev->event_data.fork.child_tgid ||
		    ev->event_data.fork.child_tgid <= 0)
			return false; /* a new thread (or a short message) */
		*out = (struct procwatch_event){.what = PROCWATCH_FORK,
						.pid = ev->event_data.fork.child_tgid,
						.parent = ev->event_data.fork.parent_tgid};
		return true;
	case PROC_EVENT_EXIT:
		if (ev->event_data.exit.process_pid != ev->event_data.exit.process_tgid ||
		    ev->event_data.exit.process_tgid <= 0)
			return false; /* not the leader (or a short message) */
		*out = (struct procwatch_event){.what = PROCWATCH_EXIT,
						.pid = ev->event_data.exit.process_tgid};
		return true;
	default:
		return false;
	}
}

size_t procwatch_read(struct procwatch *pw, struct procwatch_event *ev, size_t cap, bool *lost,
		      bool *empty)
{
	size_t n = 0;

	*lost = false;
	*empty = false;
	while (n < cap) {
		ssize_t len = recv_one(pw);

		if (len == -EAGAIN) {
			*empty = true;
			break;
		}
		if (len == -ENOBUFS) {
			*lost = true;
			continue;
		}
		if (len < 0) {
			*lost = true; /* cannot happen; the owner distrusts what it has */
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)pw->buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			struct proc_event pe;
			struct cn_msg cn;

			if (!msg_event(h, &cn, &pe))
				continue;
			if (!seq_check(pw, pe.cpu, cn.seq))
				*lost = true;
			if (!to_event(&pe, &ev[n]))
				continue;
			if (n == cap)
				*lost = true; /* cannot happen: one event per datagram */
			else
				n++;
		}
	}
	return n;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Wait for the kernel's answer to our LISTEN, reading (and numbering) the
 * events before it. Return: 0; the -errno it answered; -ETIMEDOUT. */
static int wait_ack(struct procwatch *pw)
{
	struct timespec t0;
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((left = PROCWATCH_ACK_TIMEOUT_MS - ms_since(&t0)) > 0) {
		struct pollfd p = {.fd = pw->fd, .events = POLLIN};
		ssize_t len = recv_one(pw);

		if (len == -EAGAIN) {
			poll(&p, 1, (int)left);
			continue;
		}
		if (len == -ENOBUFS)
			continue; /* nothing is tracked yet */
		if (len < 0)
			return (int)len;
		for (struct nlmsghdr *h = (struct nlmsghdr *)pw->buf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			struct proc_event pe;
			struct cn_msg cn;

			if (!msg_event(h, &cn, &pe))
				continue;
			seq_check(pw, pe.cpu, cn.seq);
			if (pe.what == PROC_EVENT_NONE && cn.ack == pw->cookie + 1)
				return -(int)pe.event_data.ack.err;
		}
	}
	return -ETIMEDOUT;
}

int procwatch_open(struct procwatch **out, const char **why)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	int size = PROCWATCH_RCVBUF_BYTES;
	struct procwatch *pw;
	struct timespec now;
	int ret;

	if (!in_initial_namespaces()) {
		*why = "not in the initial pid and user namespaces";
		return -EOPNOTSUPP;
	}
	pw = calloc(1, sizeof(*pw));
	if (!pw) {
		*why = "out of memory";
		return -ENOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	pw->cookie = (uint32_t)getpid() * 2654435761u ^ (uint32_t)now.tv_nsec;
	pw->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	if (pw->fd < 0) {
		ret = errno == EPROTONOSUPPORT ? -EOPNOTSUPP : -errno;
		*why = "no netlink connector in this kernel";
		goto out_free;
	}
	if (bind(pw->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		*why = "cannot join the process events group (not root?)";
		goto out_close;
	}
	if (setsockopt(pw->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)))
		setsockopt(pw->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)); /* capped */
	ret = send_op(pw, PROC_CN_MCAST_LISTEN);
	if (!ret)
		ret = wait_ack(pw);
	if (ret) {
		*why = ret == -ETIMEDOUT
			       ? "the kernel did not answer LISTEN (no CONFIG_PROC_EVENTS?)"
			       : "the kernel refused LISTEN";
		goto out_close;
	}
	pw->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (pw->stop_fd < 0) {
		ret = -errno;
		*why = "no eventfd";
		goto out_ignore;
	}
	*out = pw;
	return 0;

out_ignore:
	/* Only after an accepted LISTEN: before 6.6 the kernel keeps one
	 * count of listeners, and an IGNORE it did not match would silence
	 * another listener. */
	send_op(pw, PROC_CN_MCAST_IGNORE);
out_close:
	close(pw->fd);
out_free:
	free(pw);
	return ret;
}

static void *watch_thread(void *arg)
{
	struct procwatch *pw = arg;

	for (;;) {
		struct pollfd p[2] = {{.fd = pw->fd, .events = POLLIN},
				      {.fd = pw->stop_fd, .events = POLLIN}};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents)
			pw->kick(pw->kick_arg); /* reads until empty; POLLERR: ENOBUFS */
		/* Let events gather: one kick per PROCWATCH_KICK_MS at most. */
		if (poll(&p[1], 1, PROCWATCH_KICK_MS) > 0)
			break;
	}
	return NULL;
}

int procwatch_start(struct procwatch *pw, void (*kick)(void *arg), void *arg)
{
	sigset_t all, old;
	int ret;

	pw->kick = kick;
	pw->kick_arg = arg;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread takes no signal */
	ret = pthread_create(&pw->thread, NULL, watch_thread, pw);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	pw->started = true;
	return 0;
}

void procwatch_close(struct procwatch *pw)
{
	uint64_t one = 1;

	if (!pw)
		return;
	if (pw->started) {
		if (write(pw->stop_fd, &one, sizeof(one)) != sizeof(one))
			abort(); /* an eventfd write of 1 cannot fail */
		pthread_join(pw->thread, NULL);
	}
	send_op(pw, PROC_CN_MCAST_IGNORE); /* kernels before 6.6 count listeners by it */
	close(pw->stop_fd);
	close(pw->fd);
	free(pw->cpus);
	free(pw);
}
