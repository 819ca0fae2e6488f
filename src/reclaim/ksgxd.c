// SPDX-License-Identifier: MIT
/*
 * ksgxd.c - the background reclaimer thread, or its MANUAL-mode stand-in.
 *
 * ksgxd first sanitizes the dirty pages (two passes), then sleeps until an
 * allocation wakes it, and reclaims one batch at a time while fewer than
 * EPC__NR_HIGH_PAGES pages are free and something is reclaimable.
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
 * One wakeup's worth of work: batches while below the high watermark, giving
 * up after epc__reclaim_idle_limit() batches that freed nothing.
 */
static void ksgxd_reclaim(struct epc__reclaimer *r)
{
	unsigned long idle = 0, limit = epc__reclaim_idle_limit(r);

	while (!atomic_load(&r->stop) && should_reclaim(r, EPC__NR_HIGH_PAGES) && idle < limit) {
		uint64_t before = atomic_load(&r->nr_evicted);

		epc__reclaim_subtree(r, r->cgroups->root, 1);
		idle = atomic_load(&r->nr_evicted) == before ? idle + 1 : 0;
	}
}

/* Pop one queued cgroup and run its work. Return: false if none was queued. */
static bool run_one_cg_work(struct epc__reclaimer *r)
{
	struct epc_cgroup *cg;

	pthread_mutex_lock(&r->bg_lock);
	cg = r->work_head;
	if (cg) {
		r->work_head = cg->next_work;
		if (!r->work_head)
			r->work_tail = NULL;
		cg->next_work = NULL;
		/* like queue_work(): a request made while the work runs queues it again */
		atomic_store(&cg->work_pending, false);
	}
	pthread_mutex_unlock(&r->bg_lock);
	if (!cg)
		return false;
	epc__reclaim_cg_work(r, cg);
	epc__cg_unpin(cg); /* the queueing's pin; a re-queue took its own */
	return true;
}

void epc__reclaim_queue_cg(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	if (atomic_exchange(&cg->work_pending, true))
		return;
	epc__cg_pin(cg);
	pthread_mutex_lock(&r->bg_lock);
	if (r->work_tail)
		r->work_tail->next_work = cg;
	else
		r->work_head = cg;
	r->work_tail = cg;
	if (r->threads)
		pthread_cond_signal(&r->bg_cond);
	pthread_mutex_unlock(&r->bg_lock);
}

static void *ksgxd(void *arg)
{
	struct epc__reclaimer *r = arg;
	int ret = sanitize(r);

	pthread_mutex_lock(&r->bg_lock);
	r->sanitized = ret == 0;
	r->sanitize_ret = ret;
	pthread_cond_broadcast(&r->bg_cond);
	pthread_mutex_unlock(&r->bg_lock);
	if (ret)
		return NULL;

	for (;;) {
		bool wake;

		pthread_mutex_lock(&r->bg_lock);
		while (!r->wake_pending && !r->work_head && !atomic_load(&r->stop))
			pthread_cond_wait(&r->bg_cond, &r->bg_lock);
		wake = r->wake_pending;
		r->wake_pending = false;
		pthread_mutex_unlock(&r->bg_lock);
		if (atomic_load(&r->stop))
			return NULL;
		if (wake)
			ksgxd_reclaim(r);
		run_one_cg_work(r);
	}
}

static int progress_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t a;
	int ret = -pthread_condattr_init(&a);

	if (ret)
		return ret;
	ret = -pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (!ret)
		ret = -pthread_cond_init(c, &a);
	pthread_condattr_destroy(&a);
	return ret;
}

int epc__reclaim_init(struct epc__reclaimer *r, struct epc__mm *mm, struct epc__cgroups *cgroups,
		      const struct epc__reclaim_ops *ops, bool threads, const struct epc__log *log)
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
	ret = -pthread_mutex_init(&r->bg_lock, NULL);
	if (ret)
		goto err_sanitize_lock;
	ret = -pthread_cond_init(&r->bg_cond, NULL);
	if (ret)
		goto err_bg_lock;
	ret = progress_cond_init(&r->progress_cond);
	if (ret)
		goto err_bg_cond;
	if (threads) {
		ret = -pthread_create(&r->thread, NULL, ksgxd, r);
		if (ret) {
			epc__log(log, LOG_ERR, "cannot start ksgxd: %s", strerror(-ret));
			goto err_cond;
		}
		r->thread_started = true;
	}
	return 0;

err_cond:
	pthread_cond_destroy(&r->progress_cond);
err_bg_cond:
	pthread_cond_destroy(&r->bg_cond);
err_bg_lock:
	pthread_mutex_destroy(&r->bg_lock);
err_sanitize_lock:
	epc__mutex_destroy(&r->sanitize_lock);
	return ret;
}

void epc__reclaim_destroy(struct epc__reclaimer *r)
{
	if (r->thread_started) {
		pthread_mutex_lock(&r->bg_lock);
		atomic_store(&r->stop, true);
		pthread_cond_broadcast(&r->bg_cond);
		pthread_mutex_unlock(&r->bg_lock);
		pthread_join(r->thread, NULL);
	}
	/* drop queued work: the cgroups go with the tree */
	while (r->work_head) {
		struct epc_cgroup *cg = r->work_head;

		r->work_head = cg->next_work;
		atomic_store(&cg->work_pending, false);
		atomic_fetch_sub(&cg->pins, 1);
	}
	pthread_cond_destroy(&r->progress_cond);
	pthread_cond_destroy(&r->bg_cond);
	pthread_mutex_destroy(&r->bg_lock);
	epc__mutex_destroy(&r->sanitize_lock);
}

int epc__reclaim_sanitize_wait(struct epc__reclaimer *r)
{
	int ret;

	if (!r->threads)
		return sanitize(r);
	pthread_mutex_lock(&r->bg_lock);
	while (!r->sanitized && !r->sanitize_ret && !atomic_load(&r->stop))
		pthread_cond_wait(&r->bg_cond, &r->bg_lock);
	ret = r->sanitized ? 0 : r->sanitize_ret ? r->sanitize_ret : -EINTR;
	pthread_mutex_unlock(&r->bg_lock);
	return ret;
}

void epc__reclaim_wake_ksgxd(struct epc__reclaimer *r)
{
	atomic_fetch_add_explicit(&r->nr_wakeups, 1, memory_order_relaxed);
	pthread_mutex_lock(&r->bg_lock);
	r->wake_pending = true;
	if (r->threads)
		pthread_cond_signal(&r->bg_cond);
	pthread_mutex_unlock(&r->bg_lock);
}

bool epc__reclaim_wait_progress(struct epc__reclaimer *r, uint64_t evicted_before, long timeout_ns)
{
	struct timespec deadline;
	bool progress;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += timeout_ns;
	deadline.tv_sec += deadline.tv_nsec / 1000000000L;
	deadline.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&r->bg_lock);
	atomic_fetch_add(&r->progress_waiters, 1);
	for (uint64_t seq = r->progress_seq;;) {
		progress = atomic_load(&r->nr_evicted) != evicted_before || r->progress_seq != seq;
		if (progress || atomic_load(&r->stop) ||
		    pthread_cond_timedwait(&r->progress_cond, &r->bg_lock, &deadline) == ETIMEDOUT)
			break;
	}
	atomic_fetch_sub(&r->progress_waiters, 1);
	pthread_mutex_unlock(&r->bg_lock);
	return progress || atomic_load(&r->nr_evicted) != evicted_before;
}

int epc__reclaim_run_background(struct epc__reclaimer *r)
{
	bool pending;
	int ret;

	if (r->threads)
		return -EINVAL;
	ret = sanitize(r);
	if (ret)
		return ret;
	pthread_mutex_lock(&r->bg_lock);
	pending = r->wake_pending;
	r->wake_pending = false;
	pthread_mutex_unlock(&r->bg_lock);
	if (pending)
		ksgxd_reclaim(r);
	while (run_one_cg_work(r))
		;
	return 0;
}
