/* SPDX-License-Identifier: MIT */
/*
 * shm.h - a connection's shared-memory slot (docs/PROTOCOL.md, "The slot"):
 * once the client has asked for it (SHM, on the socket), its requests and
 * the daemon's replies go through one shared mapping instead of the socket,
 * which stays for the doorbell and as the sign that the peer is there.
 *
 * Why (docs/DESIGN-NOTES.md, "The live transport"): a round trip over the
 * socket is four or more system calls and two wake-ups; through the slot it
 * is two stores and, when the client and the daemon's thread serving it
 * share a CPU (the daemon pins that thread to the CPU the client says at
 * HELLO), two sched_yield() hand-overs. A client then costs one CPU, as a
 * system call would, so N clients on N CPUs go N times as fast.
 *
 * The mapping (EPCMM_SHM_SIZE bytes, a memfd the daemon makes, sealed
 * against shrinking and growing, passed with SCM_RIGHTS): a control page
 * with a cache line per side, then the request frame, then the reply frame,
 * each a header and a payload as on the socket (proto.h). A request is
 * posted by writing its frame and then storing its number in @req_seq (the
 * last number plus one); the reply by writing the reply frame and storing
 * that number in @rep_seq. A waiter spins a little (only when the peer is
 * on another CPU), then yields its CPU (to the peer, when they share one),
 * and after EPCMM_SHM_YIELD_NS without a change sleeps in poll() on the
 * socket with its *_sleep word set: the peer that posts sees the word and
 * sends one byte (the doorbell). So an idle connection costs no CPU, and a
 * peer that dies or hangs up ends the sleep (the socket's hang-up).
 *
 * Trust: the daemon trusts nothing in the mapping. It copies a request's
 * header out once, checks it, then copies its payload (at most
 * EPCMM_PROTO_MAX_PAYLOAD bytes) once, and decodes only its copy; it never
 * reads the reply frame; the words only decide when it looks and whether it
 * rings (without waiting: a full socket means the peer has a doorbell
 * already). The sealed size means no SIGBUS from a truncated file.
 */
#ifndef EPCMM_LIVE_SHM_H
#define EPCMM_LIVE_SHM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"

#define EPCMM_SHM_LAYOUT 1 /* SHM's request names the layout below */
#define EPCMM_SHM_PAGE	 4096u
#define EPCMM_SHM_FRAME	 (EPCMM_PROTO_HDR_LEN + EPCMM_PROTO_MAX_PAYLOAD)
#define EPCMM_SHM_FRAME_ROOM                                                                       \
	((EPCMM_SHM_FRAME + EPCMM_SHM_PAGE - 1) / EPCMM_SHM_PAGE * EPCMM_SHM_PAGE)
#define EPCMM_SHM_REQ_OFF EPCMM_SHM_PAGE
#define EPCMM_SHM_REP_OFF (EPCMM_SHM_REQ_OFF + EPCMM_SHM_FRAME_ROOM)
#define EPCMM_SHM_SIZE	  (EPCMM_SHM_REP_OFF + EPCMM_SHM_FRAME_ROOM)

/* A waiter spins (pause) this long first, and only when its peer last ran on
 * another CPU: on the same CPU the peer cannot answer until the waiter yields. */
#define EPCMM_SHM_SPIN_NS 2000
/* ... then yields for this long since it started waiting, then sleeps. */
#define EPCMM_SHM_YIELD_NS 100000

/* One direction's words, a cache line of their own; each word is written by
 * one end only, as said beside it (the other end only reads it). */
struct epcmm_shm_side {
	_Atomic uint32_t seq;	/* the poster: the last frame it posted */
	_Atomic uint32_t sleep; /* the waiter for @seq: 1 while it sleeps on the socket */
	_Atomic uint32_t cpu;	/* the poster: the CPU it posted from (a hint) */
	uint8_t pad[64 - 3 * sizeof(uint32_t)];
};

struct epcmm_shm_ctl {
	struct epcmm_shm_side req; /* posted by the client, waited for by the daemon */
	struct epcmm_shm_side rep; /* posted by the daemon, waited for by the client */
};
_Static_assert(sizeof(struct epcmm_shm_ctl) == 128, "the control page's layout");
_Static_assert(EPCMM_SHM_SIZE == 2109440, "layout 1's size, as docs/PROTOCOL.md gives it");

/* One end's view of a slot. */
struct epcmm_shm {
	uint8_t *base;		   /* the mapping, EPCMM_SHM_SIZE bytes; NULL: none */
	struct epcmm_shm_ctl *ctl; /* at @base */
	uint8_t *req, *rep;	   /* the frames */
	int sock;		   /* the connection's socket (not owned) */
};

/*
 * epcmm_shm_create() - the daemon's side: a new slot, sealed, mapped into
 * @m (with @sock as its socket), and its descriptor in *@memfd for SCM_RIGHTS
 * (the caller closes it once sent). Return: 0; -errno of memfd_create,
 * ftruncate, fcntl or mmap (nothing is left behind).
 */
int epcmm_shm_create(struct epcmm_shm *m, int sock, int *memfd);

/* The client's side: map the slot @memfd of @size bytes the daemon sent.
 * Return: 0; -EPROTO the size is not EPCMM_SHM_SIZE, or the file is shorter;
 * -errno of mmap. */
int epcmm_shm_map(struct epcmm_shm *m, int sock, int memfd, uint64_t size);

void epcmm_shm_unmap(struct epcmm_shm *m);

/* The client's side: the first bytes of SHM's reply (up to @len, into @buf)
 * and the memfd that comes with them in *@memfd (-1: none came).
 * Return: the bytes read; -errno of recvmsg; -ECONNRESET at EOF. */
ssize_t epcmm_shm_recv_fd(int sock, void *buf, size_t len, int *memfd);

/*
 * epcmm_shm_post() - publish frame number @seq on @side (its frame written
 * before) and ring the doorbell when the peer sleeps. Pairs with the
 * sleeper's store of @side->sleep and load of @side->seq in
 * epcmm_shm_wait(): both are sequentially consistent, so either the sleeper
 * sees @seq before it sleeps or the poster sees it asleep and rings.
 */
void epcmm_shm_post(struct epcmm_shm *m, struct epcmm_shm_side *side, uint32_t seq);

/*
 * epcmm_shm_wait() - wait until @side->seq is no longer @last; its value in
 * *@seq (acquire: the frame posted with it is readable). @stop (NULL: none)
 * is looked at while waiting and wakes nobody: whoever sets it also shuts the
 * socket down, which ends a sleep.
 * Return: 0; -ECONNRESET the peer hung up (or the socket was shut down) and
 * nothing was posted; -EINTR *@stop is set.
 */
int epcmm_shm_wait(struct epcmm_shm *m, struct epcmm_shm_side *side, uint32_t last,
		   const atomic_bool *stop, uint32_t *seq);

/* Whether the environment turns the slot off (EPCMM_NO_SHM set to anything
 * but "" or "0"): both ends then keep to the socket. */
bool epcmm_shm_disabled(void);

#endif
