// SPDX-License-Identifier: MIT
/*
 * workqueue.c - the pool of threads that runs per-cgroup reclaim work.
 * Semantics in workqueue.h.
 */
#include "reclaim/workqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int epc__wq_default_threads(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (cpus < 1)
		cpus = 1;
	return cpus < EPC__WQ_DEFAULT_THREADS ? (int)cpus : EPC__WQ_DEFAULT_THREADS;
}

/*
 * The first queued item whose previous run is over, unlinked, marked running
 * and no longer pending (a request from now on queues it again). NULL if none.
 */
static struct epc_cgroup *take_runnable_locked(struct epc__workqueue *wq)
{
	struct epc_cgroup *cg, *prev = NULL;

	epc__assert_mutex_held(&wq->lock);
	for (cg = wq->head; cg && cg->work_running; prev = cg, cg = cg->next_work)
		;
	if (!cg)
		return NULL;
	if (prev)
		prev->next_work = cg->next_work;
	else
		wq->head = cg->next_work;
	if (wq->tail == cg)
		wq->tail = prev;
	cg->next_work = NULL;
	cg->work_running = true;
	wq->nr_running++;
	atomic_store(&cg->work_pending, false);
	return cg;
}

/* Run @cg (taken by take_runnable_locked()); called and returns with the lock dropped. */
static void run(struct epc__workqueue *wq, struct epc_cgroup *cg)
{
	wq->fn(wq->arg, cg);
	epc__mutex_lock(&wq->lock);
	cg->work_running = false;
	atomic_fetch_add_explicit(&wq->nr_run, 1, memory_order_relaxed);
	pthread_cond_broadcast(&wq->ended);
	if (wq->head) /* a re-queue of @cg waited for this run to end */
		pthread_cond_signal(&wq->more);
	epc__mutex_unlock(&wq->lock);
	epc__cg_unpin(cg); /* the queueing's pin; a re-queue took its own */
	/* only now is the run over for epc__wq_flush(): the unpin may reap @cg */
	epc__mutex_lock(&wq->lock);
	if (!--wq->nr_running)
		pthread_cond_broadcast(&wq->ended);
	epc__mutex_unlock(&wq->lock);
}

static void *worker(void *arg)
{
	struct epc__workqueue *wq = arg;

	pthread_setname_np(pthread_self(), "epcmm-cgwork"); /* for top, perf, gdb */
	epc__mutex_lock(&wq->lock);
	for (;;) {
		struct epc_cgroup *cg = NULL;

		while (!wq->stop && !(cg = take_runnable_locked(wq)))
			epc__mutex_cond_wait(&wq->more, &wq->lock);
		if (!cg)
			break; /* stop */
		epc__mutex_unlock(&wq->lock);
		run(wq, cg);
		epc__mutex_lock(&wq->lock);
	}
	epc__mutex_unlock(&wq->lock);
	return NULL;
}

static void stop_workers(struct epc__workqueue *wq, int started)
{
	epc__mutex_lock(&wq->lock);
	wq->stop = true;
	pthread_cond_broadcast(&wq->more);
	epc__mutex_unlock(&wq->lock);
	for (int i = 0; i < started; i++)
		pthread_join(wq->threads[i], NULL);
}

int epc__wq_init(struct epc__workqueue *wq, int nr_threads, epc__work_fn fn, void *arg)
{
	int ret, started = 0;

	if (nr_threads < 0 || nr_threads > EPC__WQ_MAX_THREADS)
		return -EINVAL;
	*wq = (struct epc__workqueue){.fn = fn, .arg = arg, .nr_threads = nr_threads};
	ret = epc__mutex_init(&wq->lock, EPC__RANK_WQ);
	if (ret)
		return ret;
	ret = -pthread_cond_init(&wq->more, NULL);
	if (ret)
		goto err_lock;
	ret = -pthread_cond_init(&wq->ended, NULL);
	if (ret)
		goto err_more;
	if (nr_threads) {
		wq->threads = calloc((size_t)nr_threads, sizeof(*wq->threads));
		if (!wq->threads) {
			ret = -ENOMEM;
			goto err_ended;
		}
	}
	for (; started < nr_threads; started++) {
		ret = -pthread_create(&wq->threads[started], NULL, worker, wq);
		if (ret)
			goto err_threads;
	}
	return 0;

err_threads:
	stop_workers(wq, started);
	free(wq->threads);
err_ended:
	pthread_cond_destroy(&wq->ended);
err_more:
	pthread_cond_destroy(&wq->more);
err_lock:
	epc__mutex_destroy(&wq->lock);
	return ret;
}

void epc__wq_destroy(struct epc__workqueue *wq)
{
	stop_workers(wq, wq->nr_threads);
	free(wq->threads);
	/* drop queued items and their pins (the tree is still there: it is
	 * destroyed after the reclaimer) */
	while (wq->head) {
		struct epc_cgroup *cg = wq->head;

		wq->head = cg->next_work;
		cg->next_work = NULL;
		atomic_store(&cg->work_pending, false);
		epc__cg_unpin(cg);
	}
	pthread_cond_destroy(&wq->ended);
	pthread_cond_destroy(&wq->more);
	epc__mutex_destroy(&wq->lock);
}

bool epc__wq_queue(struct epc__workqueue *wq, struct epc_cgroup *cg)
{
	if (atomic_exchange(&cg->work_pending, true))
		return false;
	epc__cg_pin(cg);
	atomic_fetch_add_explicit(&wq->nr_queued, 1, memory_order_relaxed);
	epc__mutex_lock(&wq->lock);
	if (wq->tail)
		wq->tail->next_work = cg;
	else
		wq->head = cg;
	wq->tail = cg;
	if (wq->nr_threads)
		pthread_cond_signal(&wq->more);
	epc__mutex_unlock(&wq->lock);
	return true;
}

void epc__wq_cancel(struct epc__workqueue *wq, struct epc_cgroup *cg)
{
	struct epc_cgroup *c, *prev = NULL;
	bool unlinked = false;

	epc__mutex_lock(&wq->lock);
	for (c = wq->head; c && c != cg; prev = c, c = c->next_work)
		;
	if (c) {
		if (prev)
			prev->next_work = c->next_work;
		else
			wq->head = c->next_work;
		if (wq->tail == c)
			wq->tail = prev;
		c->next_work = NULL;
		atomic_store(&cg->work_pending, false);
		unlinked = true;
	}
	while (cg->work_running)
		epc__mutex_cond_wait(&wq->ended, &wq->lock);
	epc__mutex_unlock(&wq->lock);
	if (unlinked)
		epc__cg_unpin(cg);
}

unsigned long epc__wq_run_pending(struct epc__workqueue *wq)
{
	unsigned long n = 0;

	for (;;) {
		struct epc_cgroup *cg;

		epc__mutex_lock(&wq->lock);
		cg = take_runnable_locked(wq);
		epc__mutex_unlock(&wq->lock);
		if (!cg)
			return n;
		run(wq, cg);
		n++;
	}
}

void epc__wq_flush(struct epc__workqueue *wq)
{
	epc__mutex_lock(&wq->lock);
	while ((wq->nr_running || (wq->nr_threads && wq->head)) && !wq->stop)
		epc__mutex_cond_wait(&wq->ended, &wq->lock);
	epc__mutex_unlock(&wq->lock);
}
