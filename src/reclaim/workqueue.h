/* SPDX-License-Identifier: MIT */
/*
 * workqueue.h - the per-cgroup background reclaim work and the pool of
 * threads that runs it (v17's sgx_cg_wq and each sgx_cgroup's reclaim_work).
 *
 * A work item is a cgroup: queueing it asks for one run of the work function
 * on it (the reclaimer's epc__reclaim_cg_work()). As with the kernel's
 * queue_work():
 *  - queueing an item that is queued already does nothing;
 *  - the pending flag is cleared when a run starts, so a request made while
 *    the item runs queues it again and it runs once more after;
 *  - an item never runs on two threads at once: a worker passes over an item
 *    whose previous run is still going and takes it when that run ends.
 * A queued item holds a pin on its cgroup (epc__cg_pin()), so a removed
 * cgroup is not freed while its work is queued or running.
 *
 * Threads: @nr_threads workers, or none (MANUAL mode), in which case
 * epc__wq_run_pending() runs the queue in the caller's thread, in FIFO order.
 * epc__wq_cancel() takes an item off the queue and waits for a run in
 * progress, as cancel_work_sync() does; it is called when a cgroup is removed.
 *
 * The queue knows nothing of reclaim: the work function and its argument come
 * from the caller, so the reclaimer calls down into this module and never the
 * other way round.
 */
#ifndef EPC_RECLAIM_WORKQUEUE_H
#define EPC_RECLAIM_WORKQUEUE_H

#include <pthread.h>
#include <stdbool.h>

#include "cgroup/cgroup.h"
#include "util/lock.h"

/* The default pool size: min(EPC__WQ_DEFAULT_THREADS, online CPUs). */
#define EPC__WQ_DEFAULT_THREADS 4
#define EPC__WQ_MAX_THREADS	64

typedef void (*epc__work_fn)(void *arg, struct epc_cgroup *cg);

struct epc__workqueue {
	epc__work_fn fn; /* read-only after init */
	void *arg;	 /* read-only after init */

	/*
	 * lock protects the queue (head, tail, each queued cgroup's next_work),
	 * every cgroup's work_running, nr_running, and stop. work_pending is atomic: set by
	 * a queuer before it takes the lock, cleared under it.
	 */
	struct epc__mutex lock;
	pthread_cond_t more;  /* an item was queued or a run ended, or stop */
	pthread_cond_t ended; /* a run ended (epc__wq_cancel() waits on it) */
	struct epc_cgroup *head, *tail;
	unsigned nr_running; /* items being run now */
	bool stop;

	_Atomic unsigned long nr_queued; /* items queued (not counting no-ops) */
	_Atomic unsigned long nr_run;	 /* runs completed */

	int nr_threads;	    /* read-only after init */
	pthread_t *threads; /* nr_threads of them */
};

/*
 * Start @nr_threads workers (0: none, MANUAL). Return: 0; -EINVAL for a count
 * above EPC__WQ_MAX_THREADS; -ENOMEM; -EAGAIN and the like from pthreads.
 * On error nothing is left running.
 */
int epc__wq_init(struct epc__workqueue *wq, int nr_threads, epc__work_fn fn, void *arg);
/* Stop and join the workers (a run in progress finishes), drop what is queued. */
void epc__wq_destroy(struct epc__workqueue *wq);

/* Queue @cg's work (once: a queued item is not queued twice). Return: true if queued now. */
bool epc__wq_queue(struct epc__workqueue *wq, struct epc_cgroup *cg);
/* Take @cg off the queue and wait until no run of it is in progress. */
void epc__wq_cancel(struct epc__workqueue *wq, struct epc_cgroup *cg);
/* MANUAL: run queued items in the caller's thread until none is left. Return: runs. */
unsigned long epc__wq_run_pending(struct epc__workqueue *wq);
/*
 * Wait until no item is running and, with workers, none is queued (MANUAL: a
 * run another thread has in progress ends; queued items stay queued). Items
 * queued meanwhile are waited for too, so the caller makes sure nothing
 * keeps queueing.
 */
void epc__wq_flush(struct epc__workqueue *wq);

/* Pool size for "default" on this host. */
int epc__wq_default_threads(void);

#endif
