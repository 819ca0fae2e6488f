// SPDX-License-Identifier: MIT
/*
 * shm.c - a connection's shared-memory slot: making, mapping, posting and
 * waiting (see shm.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm.h"

static void shm_view(struct epcmm_shm *m, void *base, int sock)
{
	m->base = base;
	m->ctl = base;
	m->req = m->base + EPCMM_SHM_REQ_OFF;
	m->rep = m->base + EPCMM_SHM_REP_OFF;
	m->sock = sock;
}

int epcmm_shm_create(struct epcmm_shm *m, int sock, int *memfd)
{
	const int seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	void *base;
	int fd, ret;

	fd = memfd_create("epcmm-slot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, EPCMM_SHM_SIZE) || fcntl(fd, F_ADD_SEALS, seals))
		goto err_close;
	base = mmap(NULL, EPCMM_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		goto err_close;
	shm_view(m, base, sock);
	*memfd = fd;
	return 0;
err_close:
	ret = -errno;
	close(fd);
	return ret;
}

int epcmm_shm_map(struct epcmm_shm *m, int sock, int memfd, uint64_t size)
{
	struct stat st;
	void *base;

	/* a file shorter than the mapping would be SIGBUS at its first touch */
	if (size != EPCMM_SHM_SIZE || fstat(memfd, &st) || st.st_size < (off_t)EPCMM_SHM_SIZE)
		return -EPROTO;
	base = mmap(NULL, EPCMM_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (base == MAP_FAILED)
		return -errno;
	shm_view(m, base, sock);
	return 0;
}

ssize_t epcmm_shm_recv_fd(int sock, void *buf, size_t len, int *memfd)
{
	char ctrl[CMSG_SPACE(sizeof(int))] __attribute__((aligned(8)));
	struct iovec iov = {buf, len};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctrl,
			    .msg_controllen = sizeof(ctrl)};
	struct cmsghdr *cm;
	ssize_t r;

	*memfd = -1;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r < 0 ? -errno : -ECONNRESET;
	cm = CMSG_FIRSTHDR(&mh);
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(memfd, CMSG_DATA(cm), sizeof(int));
	return r;
}

void epcmm_shm_unmap(struct epcmm_shm *m)
{
	if (m->base)
		munmap(m->base, EPCMM_SHM_SIZE);
	memset(m, 0, sizeof(*m));
	m->sock = -1;
}

void epcmm_shm_post(struct epcmm_shm *m, struct epcmm_shm_side *side, uint32_t seq)
{
	static const char bell = 0;
	int cpu = sched_getcpu();

	atomic_store_explicit(&side->cpu, (uint32_t)cpu, memory_order_relaxed);
	atomic_store(&side->seq, seq); /* pairs with the load in shm_sleep() */
	if (atomic_load(&side->sleep))
		/* never waits: a full socket holds a doorbell already; a peer
		 * gone is found by its own wait */
		send(m->sock, &bell, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* A spinning CPU's hint that it spins (its sibling thread runs meanwhile). */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

/* Whether the peer posted from the CPU this thread is on: then it can only
 * answer once this thread lets go of the CPU. */
static bool peer_here(const struct epcmm_shm_side *side)
{
	return atomic_load_explicit(&side->cpu, memory_order_relaxed) == (uint32_t)sched_getcpu();
}

/* Read and drop the doorbells waiting on the socket, up to SHM_DRAIN_MAX
 * bytes (a peer that sends more only wakes the waiter again). Return: 0;
 * -ECONNRESET the peer hung up. */
#define SHM_DRAIN_MAX 4096
static int shm_drain(int sock)
{
	char buf[256];
	size_t got = 0;
	ssize_t r;

	do {
		r = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
		got += r > 0 ? (size_t)r : 0;
	} while ((r == (ssize_t)sizeof(buf) && got < SHM_DRAIN_MAX) || (r < 0 && errno == EINTR));
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
		return -ECONNRESET;
	return 0;
}

/* Sleep on the socket until @side->seq moves from @last, the peer hangs up,
 * or the socket is shut down. */
static int shm_sleep(struct epcmm_shm *m, struct epcmm_shm_side *side, uint32_t last,
		     const atomic_bool *stop, uint32_t *seq)
{
	int ret = 0;

	for (;;) {
		struct pollfd p = {.fd = m->sock, .events = POLLIN | POLLRDHUP};

		atomic_store(&side->sleep, 1); /* pairs with the load in epcmm_shm_post() */
		*seq = atomic_load(&side->seq);
		if (*seq != last)
			break;
		if (stop && atomic_load(stop)) {
			ret = -EINTR;
			break;
		}
		if (poll(&p, 1, -1) < 0 && errno != EINTR) {
			ret = -ECONNRESET;
			break;
		}
		if (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL)) {
			ret = -ECONNRESET;
			break;
		}
		if ((p.revents & POLLIN) && (ret = shm_drain(m->sock)))
			break;
	}
	atomic_store_explicit(&side->sleep, 0, memory_order_relaxed);
	/* a frame posted as the peer hung up is still the answer */
	if (ret == -ECONNRESET && (*seq = atomic_load(&side->seq)) != last)
		ret = 0;
	return ret;
}

int epcmm_shm_wait(struct epcmm_shm *m, struct epcmm_shm_side *side, uint32_t last,
		   const atomic_bool *stop, uint32_t *seq)
{
	uint64_t start = 0, t;
	bool spin = !peer_here(side);

	for (unsigned i = 0;; i++) {
		*seq = atomic_load_explicit(&side->seq, memory_order_acquire);
		if (*seq != last)
			return 0;
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			return -EINTR;
		if ((i & 15) == 0) {
			t = epcmm_now_ns();
			if (!start)
				start = t;
			if (t - start >= EPCMM_SHM_YIELD_NS)
				break;
			spin = spin && t - start < EPCMM_SHM_SPIN_NS;
		}
		if (spin)
			cpu_relax();
		else
			sched_yield();
	}
	return shm_sleep(m, side, last, stop, seq);
}

bool epcmm_shm_disabled(void)
{
	const char *env = getenv("EPCMM_NO_SHM");

	return env && *env && strcmp(env, "0");
}
