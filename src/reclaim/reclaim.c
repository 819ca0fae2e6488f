// SPDX-License-Identifier: MIT
/*
 * reclaim.c - LRUs, reclaim batches, the fair subtree walk, and the
 * allocation path with charging and reclaim. ksgxd lives in ksgxd.c.
 */
#include "reclaim/reclaim.h"

#include <assert.h>
#include <errno.h>
#include <sched.h>

/* ------------------------------------------------------------------ LRU */

static void lru_sync_locked(struct epc_cgroup *cg)
{
	epc__assert_spin_held(&cg->lru_lock);
	atomic_store_explicit(&cg->nr_lru, cg->lru.nr, memory_order_relaxed);
}

void epc__reclaim_mark(struct epc__reclaimer *r, struct epc_page *p)
{
	struct epc_cgroup *cg = p->cg;

	assert(cg && epc__page_state(p) == EPC__PAGE_INUSE);
	epc__spin_lock(&cg->lru_lock);
	epc__page_set_state(p, EPC__PAGE_LRU);
	epc__plist_add_tail(r->mm->pages, &cg->lru, p);
	lru_sync_locked(cg);
	epc__spin_unlock(&cg->lru_lock);
	atomic_fetch_add_explicit(&r->nr_on_lrus, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->nr_reclaimable, 1, memory_order_relaxed);
}

int epc__reclaim_unmark(struct epc__reclaimer *r, struct epc_page *p)
{
	struct epc_cgroup *cg = p->cg;
	int ret = 0;

	epc__spin_lock(&cg->lru_lock);
	switch (epc__page_state(p)) {
	case EPC__PAGE_LRU:
		epc__plist_del(r->mm->pages, &cg->lru, p);
		lru_sync_locked(cg);
		epc__page_set_state(p, EPC__PAGE_INUSE);
		atomic_fetch_sub_explicit(&r->nr_on_lrus, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&r->nr_reclaimable, 1, memory_order_relaxed);
		break;
	case EPC__PAGE_ISOLATED:
		ret = -EBUSY;
		break;
	default:
		break;
	}
	epc__spin_unlock(&cg->lru_lock);
	return ret;
}

/* Back to the LRU tail after a skipped or failed reclaim. */
static void lru_requeue(struct epc__reclaimer *r, struct epc_page *p)
{
	struct epc_cgroup *cg = p->cg;

	epc__spin_lock(&cg->lru_lock);
	epc__page_set_state(p, EPC__PAGE_LRU);
	epc__plist_add_tail(r->mm->pages, &cg->lru, p);
	lru_sync_locked(cg);
	epc__spin_unlock(&cg->lru_lock);
	atomic_fetch_add_explicit(&r->nr_on_lrus, 1, memory_order_relaxed);
}

/*
 * Isolate up to EPC__NR_TO_SCAN pages from the head of @cg's LRU. A page whose
 * owner is going away is dropped: TRACKED cleared, not counted, not re-queued
 * (its owner frees it). ops->get is an atomic "ref unless zero": it may run
 * under the LRU lock.
 */
static unsigned lru_isolate(struct epc__reclaimer *r, struct epc_cgroup *cg,
			    struct epc_page **chunk)
{
	unsigned cnt = 0;

	epc__spin_lock(&cg->lru_lock);
	for (int i = 0; i < EPC__NR_TO_SCAN; i++) {
		struct epc_page *p = epc__plist_pop(r->mm->pages, &cg->lru);

		if (!p)
			break;
		atomic_fetch_sub_explicit(&r->nr_on_lrus, 1, memory_order_relaxed);
		if (r->ops->get(p)) {
			epc__page_set_state(p, EPC__PAGE_ISOLATED);
			chunk[cnt++] = p;
		} else {
			epc__page_set_state(p, EPC__PAGE_INUSE);
			atomic_fetch_sub_explicit(&r->nr_reclaimable, 1, memory_order_relaxed);
		}
	}
	lru_sync_locked(cg);
	epc__spin_unlock(&cg->lru_lock);
	return cnt;
}

/* Wake the faults waiting for reclaim, if any (epc__reclaim_wait_progress()). */
static void progress_note(struct epc__reclaimer *r)
{
	if (!atomic_load(&r->progress_waiters))
		return;
	pthread_mutex_lock(&r->bg_lock);
	r->progress_seq++;
	pthread_cond_broadcast(&r->progress_cond);
	pthread_mutex_unlock(&r->bg_lock);
}

/* EPC_EVENT_RECLAIM_BATCH. */
static void batch_event(struct epc__reclaimer *r, struct epc_cgroup *cg, enum epc__reclaim_by by,
			unsigned cnt, unsigned freed)
{
	struct epc_event e = epc__event_make(EPC_EVENT_RECLAIM_BATCH);

	e.cgroup = cg;
	e.by = (uint32_t)by;
	e.nr = cnt;
	e.nr_freed = freed;
	epc__event_emit(&r->cgroups->events, &e);
}

_Static_assert((int)EPC__BY_KSGXD == (int)EPC_BY_KSGXD &&
		       (int)EPC__BY_DIRECT == (int)EPC_BY_DIRECT &&
		       (int)EPC__BY_CGROUP == (int)EPC_BY_CGROUP,
	       "enum epc_reclaim_by mirrors enum epc__reclaim_by");

/* Statistics of one batch: who ran it, what it freed; its event. */
static void batch_count(struct epc__reclaimer *r, struct epc_cgroup *cg, enum epc__reclaim_by by,
			unsigned cnt, unsigned freed)
{
	if (by == EPC__BY_KSGXD)
		atomic_fetch_add_explicit(&r->nr_ksgxd_batches, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->nr_freed_by[by], freed, memory_order_relaxed);
	if (cnt && epc__events_on(&r->cgroups->events))
		batch_event(r, cg, by, cnt, freed);
}

static unsigned reclaim_lru(struct epc__reclaimer *r, struct epc_cgroup *cg,
			    enum epc__reclaim_by by, unsigned *freed)
{
	struct epc_page *chunk[EPC__NR_TO_SCAN];
	unsigned cnt, i, n = 0;

	*freed = 0;
	cnt = lru_isolate(r, cg, chunk);

	/* age and prepare: young or unpreparable pages go back to the tail */
	for (i = 0; i < cnt; i++) {
		struct epc_page *p = chunk[i];

		if (r->ops->age(p) || r->ops->prepare(p)) {
			lru_requeue(r, p);
			r->ops->put(p);
			continue;
		}
		chunk[n++] = p;
	}
	for (i = 0; i < n; i++)
		r->ops->block(chunk[i]);
	for (i = 0; i < n; i++) {
		struct epc_page *p = chunk[i];

		if (r->ops->write(p)) {
			lru_requeue(r, p);
			r->ops->put(p);
			continue;
		}
		r->ops->put(p);
		atomic_fetch_sub_explicit(&r->nr_reclaimable, 1, memory_order_relaxed);
		atomic_fetch_add(&r->nr_evicted, 1); /* seq_cst: see progress_note() */
		epc__page_set_state(p, EPC__PAGE_INUSE);
		epc__free_page(r, p);
		(*freed)++;
	}
	if (*freed)
		progress_note(r);
	batch_count(r, cg, by, cnt, *freed);
	return cnt;
}

unsigned epc__reclaim_lru(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	unsigned freed;

	return reclaim_lru(r, cg, cg->parent ? EPC__BY_CGROUP : EPC__BY_DIRECT, &freed);
}

/* ------------------------------------------------------ subtree walking */

bool epc__reclaim_lru_empty(struct epc__reclaimer *r, struct epc_cgroup *root)
{
	struct epc_cgroup *c;
	bool empty = true;

	if (!root->parent) /* the whole tree: one counter says it */
		return atomic_load_explicit(&r->nr_on_lrus, memory_order_relaxed) == 0;
	epc__mutex_lock(&r->cgroups->lock);
	for (c = root; c && empty; c = epc__cg_next_pre_locked(root, c))
		if (atomic_load_explicit(&c->nr_lru, memory_order_relaxed))
			empty = false;
	epc__mutex_unlock(&r->cgroups->lock);
	return empty;
}

/*
 * The kernel's sgx_cgroup_next_get(): the cgroup at @root's cursor, pinned;
 * the cursor moves to its pre-order successor, wrapping to @root.
 */
static struct epc_cgroup *next_get(struct epc__reclaimer *r, struct epc_cgroup *root)
{
	struct epc_cgroup *p, *n;

	epc__mutex_lock(&r->cgroups->lock);
	epc__spin_lock(&root->iter_lock);
	p = root->next_cg;
	n = epc__cg_next_pre_locked(root, p);
	root->next_cg = n ? n : root;
	epc__cg_pin(p);
	epc__spin_unlock(&root->iter_lock);
	epc__mutex_unlock(&r->cgroups->lock);
	return p;
}

/* One round for @root's statistics: a caller's, or background work's. */
static void round_count(struct epc_cgroup *root, bool sync)
{
	atomic_fetch_add_explicit(sync ? &root->nr_reclaim_sync : &root->nr_reclaim_async, 1,
				  memory_order_relaxed);
}

/*
 * Like epc__reclaim_subtree(), also reporting pages actually freed. @sync: a
 * caller's round (not ksgxd's or a cgroup's work).
 */
static unsigned long reclaim_subtree_by(struct epc__reclaimer *r, struct epc_cgroup *root,
					unsigned long nr_to_scan, bool sync,
					unsigned long *nr_freed)
{
	enum epc__reclaim_by by = !sync		 ? (root->parent ? EPC__BY_CGROUP : EPC__BY_KSGXD)
				  : root->parent ? EPC__BY_CGROUP
						 : EPC__BY_DIRECT;
	unsigned long cnt = 0;
	unsigned visited = 0;

	round_count(root, sync);
	*nr_freed = 0;
	while (cnt < nr_to_scan && !epc__reclaim_lru_empty(r, root)) {
		struct epc_cgroup *c = next_get(r, root);
		unsigned freed = 0, got = 0;

		if (atomic_load_explicit(&c->nr_lru, memory_order_relaxed))
			got = reclaim_lru(r, c, by, &freed);
		epc__cg_unpin(c);
		cnt += got;
		*nr_freed += freed;
		/* a walk over empty LRUs only: someone else emptied them */
		if (!got && ++visited > EPC__RECLAIM_MAX_IDLE_ROUNDS)
			break;
	}
	return cnt;
}

/* A caller's round (charge, allocation, fault step, epc_reclaim()). */
static unsigned long reclaim_subtree(struct epc__reclaimer *r, struct epc_cgroup *root,
				     unsigned long nr_to_scan, unsigned long *nr_freed)
{
	return reclaim_subtree_by(r, root, nr_to_scan, true, nr_freed);
}

unsigned long epc__reclaim_subtree(struct epc__reclaimer *r, struct epc_cgroup *root,
				   unsigned long nr_to_scan)
{
	unsigned long freed;

	return reclaim_subtree(r, root, nr_to_scan, &freed);
}

unsigned long epc__reclaim_subtree_ksgxd(struct epc__reclaimer *r, unsigned long nr_to_scan)
{
	unsigned long freed;

	return reclaim_subtree_by(r, r->cgroups->root, nr_to_scan, false, &freed);
}

bool epc__reclaim_cg_should_reclaim(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	uint64_t max = epc__cg_effective_max(cg) / 4096;
	uint64_t usage = (uint64_t)atomic_load(&cg->res.usage) / 4096;

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
		if ((uint64_t)atomic_load(&cg->res.usage) + 4096 > atomic_load(&cg->res.max))
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
	unsigned long idle = 0, limit = epc__reclaim_idle_limit(r);

	while (!atomic_load(&r->stop) && cg_work_needed(r, cg) && idle < limit) {
		unsigned long freed;

		reclaim_subtree_by(r, cg, EPC__NR_TO_SCAN, false, &freed);
		idle = freed ? 0 : idle + 1;
	}
}

void epc__reclaim_step_for(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	unsigned long freed;

	reclaim_subtree(r, limited_below_root(cg) ? cg : r->cgroups->root, 1, &freed);
}

unsigned long epc__reclaim_idle_limit(struct epc__reclaimer *r)
{
	uint64_t on_lrus = atomic_load_explicit(&r->nr_on_lrus, memory_order_relaxed);

	return EPC__RECLAIM_MAX_IDLE_ROUNDS + 2 * (on_lrus / EPC__NR_TO_SCAN + 1);
}

uint64_t epc__reclaim_nr_tracked(struct epc__reclaimer *r)
{
	return atomic_load(&r->nr_reclaimable);
}

/* ------------------------------------------------------------ allocation */

static bool signal_pending(const struct epc__alloc_req *req)
{
	return req->signal && atomic_load_explicit(req->signal, memory_order_relaxed);
}

/*
 * DESIGN §4.5: the async margin reclaim v17 meant to run. After a successful
 * charge, queue the cgroup's work when its usage is within the margin of the
 * tightest limit above it. Cheap unless it fires: @min_max came with the charge.
 */
static void margin_check(struct epc__reclaimer *r, struct epc_cgroup *cg, uint64_t min_max)
{
	uint64_t max_pages = min_max / 4096;
	uint64_t usage_pages =
		(uint64_t)atomic_load_explicit(&cg->res.usage, memory_order_relaxed) / 4096;

	if (max_pages <= EPC__CG_LOW_LIMIT_PAGES || min_max == EPC__MISC_MAX)
		return;
	if (usage_pages >= max_pages - EPC__CG_MIN_FREE_PAGES &&
	    !atomic_load_explicit(&cg->work_pending, memory_order_relaxed))
		epc__reclaim_queue_cg(r, cg);
}

/*
 * Charge one page to @req->cg, reclaiming as v17's sgx_cgroup_try_charge()
 * does, with one difference (DESIGN §4.4): when the level that refused is the
 * root (the capacity), reclaim from the whole tree, not only the subtree.
 */
static int charge(struct epc__reclaimer *r, const struct epc__alloc_req *req)
{
	unsigned long idle = 0, limit = epc__reclaim_idle_limit(r);

	for (;;) {
		struct epc_cgroup *failed = NULL, *scope;
		bool over_capacity = false;
		unsigned long freed;
		uint64_t min_max;
		int ret = epc__cg_try_charge_page(req->cg, &failed, &min_max, &over_capacity);

		if (!ret) {
			margin_check(r, req->cg, min_max);
			return 0;
		}
		if (ret != -EBUSY)
			return ret;
		/* a full EPC is global, whichever level saw it (DIFFERENCES C1) */
		scope = over_capacity ? r->cgroups->root : req->cg;
		if (epc__reclaim_lru_empty(r, scope))
			return -ENOMEM;
		if (signal_pending(req))
			return -EINTR;
		if (req->reclaim == EPC_NO_RECLAIM) {
			if (scope == r->cgroups->root)
				epc__reclaim_wake_ksgxd(r);
			else
				epc__reclaim_queue_cg(r, req->cg);
			return -EBUSY;
		}
		reclaim_subtree(r, scope, 1, &freed);
		if (freed)
			idle = 0;
		else if (++idle >= limit)
			return -ENOMEM;
		sched_yield();
	}
}

/* EPC_EVENT_ALLOC. */
static void alloc_event(struct epc__reclaimer *r, const struct epc__alloc_req *req,
			struct epc_page *p)
{
	struct epc_event e = epc__event_make(EPC_EVENT_ALLOC);

	e.cgroup = req->cg;
	e.phys = epc__mm_page_phys(r->mm, p);
	e.node = p->node;
	e.remote = p->node != r->mm->cpu_to_node[req->cpu];
	epc__event_emit(&r->cgroups->events, &e);
}

int epc__alloc_page(struct epc__reclaimer *r, const struct epc__alloc_req *req,
		    struct epc_page **out)
{
	struct epc_page *p = NULL;
	unsigned long idle = 0, limit;
	int ret;

	ret = charge(r, req);
	if (ret)
		return ret;
	limit = epc__reclaim_idle_limit(r);
	for (;;) {
		unsigned long freed;

		ret = epc__mm_alloc(r->mm, req->cpu, &p);
		if (!ret)
			break;
		if (epc__reclaim_lru_empty(r, r->cgroups->root)) {
			ret = -ENOMEM;
			goto err_uncharge;
		}
		if (req->reclaim == EPC_NO_RECLAIM) {
			ret = -EBUSY;
			break;
		}
		if (signal_pending(req)) {
			ret = -EINTR;
			break;
		}
		reclaim_subtree(r, r->cgroups->root, 1, &freed);
		if (freed) {
			idle = 0;
		} else if (++idle >= limit) {
			ret = -ENOMEM;
			break;
		}
		sched_yield();
	}
	if (epc__mm_free_below(r->mm, req->cpu, EPC__NR_LOW_PAGES) &&
	    !epc__reclaim_lru_empty(r, r->cgroups->root))
		epc__reclaim_wake_ksgxd(r);
	if (ret)
		goto err_uncharge;
	p->owner = req->owner;
	p->cg = req->cg;
	if (epc__events_on(&r->cgroups->events))
		alloc_event(r, req, p);
	*out = p;
	return 0;

err_uncharge:
	epc__cg_uncharge_page(req->cg);
	return ret;
}

void epc__free_page(struct epc__reclaimer *r, struct epc_page *p)
{
	struct epc_cgroup *cg = p->cg;

	p->cg = NULL;
	if (cg)
		epc__cg_uncharge_page(cg);
	epc__mm_free(r->mm, p);
}

/* --------------------------------------------------------------- checker */

int epc__reclaim_check(struct epc__reclaimer *r)
{
	uint64_t on_lrus = 0;
	int ret = 0;

	epc__mutex_lock(&r->cgroups->lock);
	for (struct epc_cgroup *c = r->cgroups->root; c && !ret;
	     c = epc__cg_next_pre_locked(r->cgroups->root, c)) {
		struct epc_page *p;
		uint64_t nr = 0;

		epc__plist_for_each(r->mm->pages, &c->lru, p)
		{
			if (epc__page_state(p) != EPC__PAGE_LRU || p->cg != c) {
				epc__log(r->log, LOG_ERR,
					 "check: LRU page %llu has state %d and cgroup %p, on %p's "
					 "LRU",
					 (unsigned long long)epc__mm_page_index(r->mm, p),
					 epc__page_state(p), (void *)p->cg, (void *)c);
				ret = -EUCLEAN;
				break;
			}
			nr++;
		}
		if (!ret && (nr != c->lru.nr || nr != atomic_load(&c->nr_lru))) {
			epc__log(r->log, LOG_ERR,
				 "check: LRU of %p has %llu pages, counts say %llu", (void *)c,
				 (unsigned long long)nr, (unsigned long long)c->lru.nr);
			ret = -EUCLEAN;
		}
		on_lrus += nr;
	}
	epc__mutex_unlock(&r->cgroups->lock);
	if (!ret && (on_lrus != atomic_load(&r->nr_reclaimable) ||
		     on_lrus != atomic_load(&r->nr_on_lrus))) {
		epc__log(r->log, LOG_ERR,
			 "check: %llu pages on LRUs, %llu reclaimable and %llu listed by the books",
			 (unsigned long long)on_lrus,
			 (unsigned long long)atomic_load(&r->nr_reclaimable),
			 (unsigned long long)atomic_load(&r->nr_on_lrus));
		ret = -EUCLEAN;
	}
	return ret;
}
