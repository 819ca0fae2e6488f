// SPDX-License-Identifier: MIT
#include "util/lock.h"

#include <assert.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

void epc__spin_init(struct epc__spin *l, enum epc__lock_rank rank)
{
	atomic_init(&l->locked, false);
	l->rank = (unsigned char)rank;
}

void epc__spin_lock_slow(struct epc__spin *l)
{
	for (;;) {
		for (int i = 0; i < EPC__SPIN_BEFORE_YIELD; i++) {
			if (!atomic_load_explicit(&l->locked, memory_order_relaxed) &&
			    !atomic_exchange_explicit(&l->locked, true, memory_order_acquire))
				return;
#if defined(__x86_64__) || defined(__i386__)
			__builtin_ia32_pause();
#endif
		}
		sched_yield();
	}
}

int epc__mutex_init(struct epc__mutex *m, enum epc__lock_rank rank)
{
	m->rank = (unsigned char)rank;
	return -pthread_mutex_init(&m->m, NULL);
}

void epc__mutex_destroy(struct epc__mutex *m)
{
	pthread_mutex_destroy(&m->m);
}

void epc__mutex_lock(struct epc__mutex *m)
{
#ifndef NDEBUG
	epc__witness_acquire(m->rank);
#endif
	pthread_mutex_lock(&m->m);
}

void epc__mutex_unlock(struct epc__mutex *m)
{
	pthread_mutex_unlock(&m->m);
#ifndef NDEBUG
	epc__witness_release(m->rank);
#endif
}

/*
 * Witness: held[] counts, per rank, the locks of that rank this thread holds.
 * Several locks of one rank may be held only by the code that documents it
 * (none today), so taking a second lock of the rank held is a violation too.
 */
static _Thread_local unsigned short held[EPC__RANK_NR];

static void witness_fail(const char *what, unsigned rank, unsigned other)
{
	fprintf(stderr, "epcmm: lock order violation: %s rank %u while holding rank %u\n", what,
		rank, other);
	abort();
}

void epc__witness_acquire(unsigned rank)
{
	if (rank == EPC__RANK_NONE)
		return;
	for (unsigned r = rank; r < EPC__RANK_NR; r++)
		if (held[r])
			witness_fail("acquiring", rank, r);
	held[rank]++;
}

void epc__witness_release(unsigned rank)
{
	if (rank == EPC__RANK_NONE)
		return;
	assert(held[rank] > 0);
	held[rank]--;
}

bool epc__witness_held(unsigned rank)
{
	return rank == EPC__RANK_NONE || held[rank] > 0;
}
