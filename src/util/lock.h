/* SPDX-License-Identifier: MIT */
/*
 * lock.h - the two lock kinds epcmm uses, and the lock-order table.
 *
 * epc__spin: a test-and-test-and-set lock for short critical sections (a few
 * list operations). It spins a bounded number of times, then yields the CPU,
 * so a preempted holder never convoys its waiters: ticket and MCS locks do
 * exactly that when threads outnumber CPUs, which is every CI machine.
 * C11 atomics only, so ThreadSanitizer sees every acquire and release.
 *
 * epc__mutex: a pthread mutex for the places that may sleep (enclave lock,
 * cgroup tree).
 *
 * Lock order: every epc__spin and epc__mutex has a rank from enum
 * epc__lock_rank; a thread may only take a lock whose rank is higher than
 * every rank it holds. The leaves (ksgxd's bg_lock, the work queue, the
 * reclaimer's progress_lock, the sealing pool) rank last: nothing is taken
 * under them. Two plain pthread mutexes carry no rank, as they never have
 * another lock taken under them: an enclave's refs_lock and the enclave list's
 * lock (encl/encl.h). Debug builds (!NDEBUG) check the order on every acquire,
 * in a small per-thread table of held ranks (witness-style): the only
 * thread-local state in the library, and it exists only to assert.
 */
#ifndef EPC_UTIL_LOCK_H
#define EPC_UTIL_LOCK_H

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

/* Lower ranks are taken first. */
enum epc__lock_rank {
	EPC__RANK_NONE = 0,
	EPC__RANK_OBJS,	      /* epc->objs_lock: the task list */
	EPC__RANK_SANITIZE,   /* reclaimer sanitize_lock: serializes sanitizers */
	EPC__RANK_ENCL_BUILD, /* epc_encl.build_lock: ECREATE/EADD, may reclaim */
	EPC__RANK_ENCL,	      /* epc_encl.lock */
	EPC__RANK_CG_TREE,    /* cgroup tree shape */
	EPC__RANK_CG_ITER,    /* a cgroup's fair-iterator cursor */
	EPC__RANK_LRU,	      /* a cgroup's LRU */
	EPC__RANK_PCP,	      /* a per-CPU page cache */
	EPC__RANK_NODE,	      /* a NUMA node's free and poison lists */
	EPC__RANK_MISC_XFER,  /* the misc stocks' transfer lock (cgroup/misc.h) */
	EPC__RANK_MISC_STOCK, /* one misc stock (cgroup/misc.h), under the transfer lock */
	/* Leaves: nothing is taken under them, and none under another. */
	EPC__RANK_KSGXD,    /* the reclaimer's bg_lock: ksgxd's wakeups */
	EPC__RANK_WQ,	    /* the cgroup work queue */
	EPC__RANK_PROGRESS, /* the reclaimer's progress_lock: fault waiters */
	EPC__RANK_SEAL,	    /* the sealing context pool */
	EPC__RANK_NR,
};

/* Tunable: spins before the lock starts yielding. */
#define EPC__SPIN_BEFORE_YIELD 128

/* What one CPU's writes bounce between caches: give hot counters their own. */
#define EPC__CACHELINE 64

struct epc__spin {
	atomic_bool locked;
	unsigned char rank; /* enum epc__lock_rank; read-only after init */
};

void epc__spin_init(struct epc__spin *l, enum epc__lock_rank rank);
void epc__spin_lock_slow(struct epc__spin *l);

void epc__witness_acquire(unsigned rank);
void epc__witness_release(unsigned rank);
bool epc__witness_held(unsigned rank);

static inline void epc__spin_lock(struct epc__spin *l)
{
#ifndef NDEBUG
	epc__witness_acquire(l->rank);
#endif
	if (!atomic_exchange_explicit(&l->locked, true, memory_order_acquire))
		return;
	epc__spin_lock_slow(l);
}

static inline bool epc__spin_trylock(struct epc__spin *l)
{
	if (atomic_load_explicit(&l->locked, memory_order_relaxed) ||
	    atomic_exchange_explicit(&l->locked, true, memory_order_acquire))
		return false;
#ifndef NDEBUG
	epc__witness_acquire(l->rank);
#endif
	return true;
}

static inline void epc__spin_unlock(struct epc__spin *l)
{
	atomic_store_explicit(&l->locked, false, memory_order_release);
#ifndef NDEBUG
	epc__witness_release(l->rank);
#endif
}

/* True when some thread holds @l; for assertions (the caller's own lock). */
static inline bool epc__spin_is_locked(struct epc__spin *l)
{
	return atomic_load_explicit(&l->locked, memory_order_relaxed);
}

#define epc__assert_spin_held(l) assert(epc__spin_is_locked(l) && epc__witness_held((l)->rank))

struct epc__mutex {
	pthread_mutex_t m;
	unsigned char rank;
};

int epc__mutex_init(struct epc__mutex *m, enum epc__lock_rank rank);
void epc__mutex_destroy(struct epc__mutex *m);
void epc__mutex_lock(struct epc__mutex *m);
void epc__mutex_unlock(struct epc__mutex *m);

/* Wait on @c, which is used with @m only; @m stays "held" for the witness. */
static inline int epc__mutex_cond_wait(pthread_cond_t *c, struct epc__mutex *m)
{
	return pthread_cond_wait(c, &m->m);
}

static inline int epc__mutex_cond_timedwait(pthread_cond_t *c, struct epc__mutex *m,
					    const struct timespec *deadline)
{
	return pthread_cond_timedwait(c, &m->m, deadline);
}

/* This thread holds a lock of @m's rank (the witness cannot tell which). */
#define epc__assert_mutex_held(m) assert(epc__witness_held((m)->rank))

#endif /* EPC_UTIL_LOCK_H */
