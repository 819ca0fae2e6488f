// SPDX-License-Identifier: MIT
/*
 * ksgxd.c - the background: the ksgxd thread (or its MANUAL-mode stand-in),
 * the per-cgroup reclaim work that the pool of workqueue.c runs, and the
 * reclaimer's lifecycle. Policy over reclaim.c's mechanism.
 *
 * ksgxd first sanitizes the dirty pages (two passes), then sleeps until an
 * allocation wakes it, and reclaims one batch at a time while fewer than
 * EPC__NR_HIGH_PAGES pages are free and something is reclaimable. The EDMM
 * calls' direct reclaim (sgx_reclaim_direct()) is here too: the same
 * watermark test, and the cgroup work's should_reclaim().
 * Policy reads no clock; only this thread wrapper sleeps.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "reclaim/reclaim.h"

static bool should_reclaim(struct epc__reclaimer *r, uint64_t wm)
{
	return epc__mm_nr_free(r->mm) < wm && !epc__reclaim_lru_empty(r, r->cgroups->root);
}

/* numa_reclaim: the same test for one node's free pages and LRU lists. */
static bool node_should_reclaim(struct epc__reclaimer *r, int node, uint64_t wm)
{
	return epc__mm_node_free_below(r->mm, node, wm) &&
	       !epc__reclaim_node_lru_empty(r, r->cgroups->root, node);
}

/* Run sanitization (or its rest) under the sanitize lock; a failure is logged. */
static int sanitize(struct epc__reclaimer *r)
{
	int ret;

	epc__mutex_lock(&r->sanitize_lock);
	ret = epc__mm_sanitize(r->mm, &r->stop);
	epc__mutex_unlock(&r->sanitize_lock);
	if (ret)
		epc__log(r->log, ret == -EINTR ? LOG_INFO : LOG_ERR,
			 "sanitization did not finish: %s (%llu pages still dirty)", strerror(-ret),
			 (unsigned long long)atomic_load(&r->mm->nr_dirty));
	return ret;
}

/*
 * numa_reclaim: one node's wakeup, as kswapd per node: batches of @node's
 * pages (from every cgroup, in the fair walk) while the node is below its
 * high watermark, until the retry policy says nothing can be reclaimed.
 */
static void ksgxd_reclaim_node(struct epc__reclaimer *r, int node)
{
	struct epc__retry rt;

	epc__retry_start(r, &rt);
	while (!atomic_load(&r->stop) && node_should_reclaim(r, node, EPC__NR_HIGH_PAGES)) {
		if (!epc__reclaim_node_bg(r, node, 1))
			break; /* the node's lists emptied under us: batches in flight */
		if (!epc__retry_next(r, &rt))
			break;
	}
}

/*
 * One wakeup's worth of work: batches while below the high watermark, until
 * the retry policy (struct epc__retry) says nothing can be reclaimed. With
 * numa_reclaim, the same for each node in @nodes, in id order.
 */
static void ksgxd_reclaim(struct epc__reclaimer *r, uint64_t nodes)
{
	struct epc__retry rt;

	atomic_fetch_add_explicit(&r->nr_ksgxd_runs, 1, memory_order_relaxed);
	if (r->numa_reclaim) {
		for (int n = 0; n < r->mm->nr_nodes; n++)
			if (nodes & (UINT64_C(1) << n))
				ksgxd_reclaim_node(r, n);
		return;
	}
	epc__retry_start(r, &rt);
	while (!atomic_load(&r->stop) && should_reclaim(r, EPC__NR_HIGH_PAGES)) {
		if (!epc__reclaim_subtree_bg(r, r->cgroups->root, 1))
			break; /* the LRUs emptied under us: batches in flight */
		if (!epc__retry_next(r, &rt))
			break;
	}
}

unsigned long epc__reclaim_direct(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	unsigned long n = 0;

	cg = epc__cg_epc_owner(cg);
	if (epc__reclaim_cg_should_reclaim(r, cg))
		n += epc__reclaim_subtree(r, cg, EPC__NR_TO_SCAN);
	if (should_reclaim(r, EPC__NR_LOW_PAGES))
		n += epc__reclaim_subtree(r, r->cgroups->root, 1);
	return n;
}

/* ------------------------------------------------------ the cgroup work */

bool epc__reclaim_cg_should_reclaim(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	uint64_t max = epc__cg_effective_max(cg) / EPC_PAGE_SIZE;
	uint64_t usage = epc__cg_usage(cg) / EPC_PAGE_SIZE;

	if (epc__reclaim_lru_empty(r, cg))
		return false;
	if (max > EPC__CG_LOW_LIMIT_PAGES)
		max -= EPC__CG_MIN_FREE_PAGES;
	return usage >= max;
}

/* Would one more page fail at a limit between @cg and the root (exclusive)? */
static bool limited_below_root(struct epc_cgroup *cg)
{
	for (; cg->parent; cg = cg->parent)
		if (epc__cg_usage(cg) + EPC_PAGE_SIZE > epc__cg_max(cg))
			return true;
	return false;
}

/*
 * The work runs while v17's should_reclaim(@cg) holds, and also while a
 * charge in @cg would still be refused below the root: that is what the
 * NO_RECLAIM charger (a fault) that queued it waits for. should_reclaim()
 * alone compares @cg's own usage with the tightest limit above it, so when an
 * ancestor is full of its siblings' pages it never fires, and a THREADS-mode
 * fault would wait in vain and end in -EFAULT (v17 would retry it forever).
 */
static bool cg_work_needed(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	return epc__reclaim_cg_should_reclaim(r, cg) ||
	       (limited_below_root(cg) && !epc__reclaim_lru_empty(r, cg));
}

void epc__reclaim_cg_work(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	struct epc__retry rt;

	epc__retry_start(r, &rt);
	while (!atomic_load(&r->stop) && cg_work_needed(r, cg)) {
		if (!epc__reclaim_subtree_bg(r, cg, EPC__NR_TO_SCAN))
			break; /* nothing on its LRUs: a batch in flight elsewhere */
		if (!epc__retry_next(r, &rt))
			break;
	}
}

void epc__reclaim_queue_cg(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	if (epc__wq_queue(&r->wq, cg))
		atomic_fetch_add_explicit(&cg->nr_work_queued, 1, memory_order_relaxed);
}

void epc__reclaim_cancel_cg(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	epc__wq_cancel(&r->wq, cg);
}

static void cg_work_fn(void *arg, struct epc_cgroup *cg)
{
	atomic_fetch_add_explicit(&cg->nr_work_run, 1, memory_order_relaxed);
	epc__reclaim_cg_work(arg, cg);
}

static void *ksgxd(void *arg)
{
	struct epc__reclaimer *r = arg;
	int ret;

	pthread_setname_np(pthread_self(), "epcmm-ksgxd"); /* for top, perf, gdb */
	ret = sanitize(r);

	epc__mutex_lock(&r->bg_lock);
	r->sanitized = ret == 0;
	r->sanitize_ret = ret;
	pthread_cond_broadcast(&r->bg_cond);
	epc__mutex_unlock(&r->bg_lock);
	if (ret)
		return NULL;

	for (;;) {
		uint64_t nodes;
		bool wake;

		epc__mutex_lock(&r->bg_lock);
		while (!r->wake_pending && !atomic_load(&r->stop))
			epc__mutex_cond_wait(&r->bg_cond, &r->bg_lock);
		wake = r->wake_pending;
		nodes = r->wake_nodes;
		r->wake_pending = false;
		r->wake_nodes = 0;
		r->serving = wake;
		epc__mutex_unlock(&r->bg_lock);
		if (atomic_load(&r->stop))
			return NULL;
		if (!wake)
			continue;
		ksgxd_reclaim(r, nodes);
		epc__mutex_lock(&r->bg_lock);
		r->serving = false;
		pthread_cond_broadcast(&r->bg_idle);
		epc__mutex_unlock(&r->bg_lock);
	}
}

int epc__reclaim_init(struct epc__reclaimer *r, struct epc__mm *mm, struct epc__cgroups *cgroups,
		      const struct epc__reclaim_ops *ops, bool threads, int nr_workers,
		      const struct epc__log *log)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->mm = mm;
	r->cgroups = cgroups;
	r->ops = ops;
	r->threads = threads;
	r->log = log;
	ret = epc__mutex_init(&r->sanitize_lock, EPC__RANK_SANITIZE);
	if (ret)
		return ret;
	ret = epc__mutex_init(&r->bg_lock, EPC__RANK_KSGXD);
	if (ret)
		goto err_sanitize_lock;
	ret = -pthread_cond_init(&r->bg_cond, NULL);
	if (ret)
		goto err_bg_lock;
	ret = -pthread_cond_init(&r->bg_idle, NULL);
	if (ret)
		goto err_bg_cond;
	ret = epc__reclaim_progress_init(r);
	if (ret)
		goto err_bg_idle;
	ret = epc__wq_init(&r->wq, threads ? nr_workers : 0, cg_work_fn, r);
	if (ret) {
		epc__log(log, LOG_ERR, "cannot start %d cgroup reclaim workers: %s", nr_workers,
			 strerror(-ret));
		goto err_cond;
	}
	if (threads) {
		ret = -pthread_create(&r->thread, NULL, ksgxd, r);
		if (ret) {
			epc__log(log, LOG_ERR, "cannot start ksgxd: %s", strerror(-ret));
			goto err_wq;
		}
		r->thread_started = true;
	}
	return 0;

err_wq:
	epc__wq_destroy(&r->wq);
err_cond:
	epc__reclaim_progress_destroy(r);
err_bg_idle:
	pthread_cond_destroy(&r->bg_idle);
err_bg_cond:
	pthread_cond_destroy(&r->bg_cond);
err_bg_lock:
	epc__mutex_destroy(&r->bg_lock);
err_sanitize_lock:
	epc__mutex_destroy(&r->sanitize_lock);
	return ret;
}

void epc__reclaim_destroy(struct epc__reclaimer *r)
{
	if (r->thread_started) {
		epc__mutex_lock(&r->bg_lock);
		atomic_store(&r->stop, true);
		pthread_cond_broadcast(&r->bg_cond);
		pthread_cond_broadcast(&r->bg_idle);
		epc__mutex_unlock(&r->bg_lock);
		pthread_join(r->thread, NULL);
	}
	epc__wq_destroy(&r->wq);
	epc__reclaim_progress_destroy(r);
	pthread_cond_destroy(&r->bg_idle);
	pthread_cond_destroy(&r->bg_cond);
	epc__mutex_destroy(&r->bg_lock);
	epc__mutex_destroy(&r->sanitize_lock);
}

int epc__reclaim_sanitize_wait(struct epc__reclaimer *r)
{
	int ret;

	if (!r->threads)
		return sanitize(r);
	epc__mutex_lock(&r->bg_lock);
	while (!r->sanitized && !r->sanitize_ret && !atomic_load(&r->stop))
		epc__mutex_cond_wait(&r->bg_cond, &r->bg_lock);
	ret = r->sanitized ? 0 : r->sanitize_ret ? r->sanitize_ret : -EINTR;
	epc__mutex_unlock(&r->bg_lock);
	return ret;
}

void epc__reclaim_wait_idle(struct epc__reclaimer *r)
{
	if (!r->threads) {
		epc__wq_flush(&r->wq);
		return;
	}
	if (epc__reclaim_sanitize_wait(r))
		return; /* stopped, or sanitization gave up: ksgxd has exited */
	epc__mutex_lock(&r->bg_lock);
	while ((r->wake_pending || r->serving) && !atomic_load(&r->stop))
		epc__mutex_cond_wait(&r->bg_idle, &r->bg_lock);
	epc__mutex_unlock(&r->bg_lock);
	/* ksgxd queues no cgroup work and the work wakes no ksgxd: one pass */
	epc__wq_flush(&r->wq);
}

/* Record (MANUAL) or deliver (THREADS) a wakeup for the nodes in @nodes (0: blind). */
static void wake(struct epc__reclaimer *r, uint64_t nodes)
{
	atomic_fetch_add_explicit(&r->nr_wakeups, 1, memory_order_relaxed);
	epc__mutex_lock(&r->bg_lock);
	r->wake_pending = true;
	r->wake_nodes |= nodes;
	if (r->threads)
		pthread_cond_signal(&r->bg_cond);
	epc__mutex_unlock(&r->bg_lock);
}

void epc__reclaim_wake_ksgxd(struct epc__reclaimer *r)
{
	wake(r, 0);
}

void epc__reclaim_wake_ksgxd_node(struct epc__reclaimer *r, int node)
{
	wake(r, UINT64_C(1) << node);
}

void epc__reclaim_wake_ksgxd_for(struct epc__reclaimer *r, int cpu)
{
	int node;

	if (!r->numa_reclaim) {
		wake(r, 0);
		return;
	}
	node = epc__reclaim_node_for(r, r->cgroups->root, cpu);
	if (node >= 0)
		wake(r, UINT64_C(1) << node);
}

int epc__reclaim_run_background(struct epc__reclaimer *r)
{
	uint64_t nodes;
	bool pending;
	int ret;

	if (r->threads)
		return -EINVAL;
	ret = sanitize(r);
	if (ret)
		return ret;
	epc__mutex_lock(&r->bg_lock);
	pending = r->wake_pending;
	nodes = r->wake_nodes;
	r->wake_pending = false;
	r->wake_nodes = 0;
	epc__mutex_unlock(&r->bg_lock);
	if (pending)
		ksgxd_reclaim(r, nodes);
	epc__wq_run_pending(&r->wq);
	return 0;
}
