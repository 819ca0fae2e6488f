// SPDX-License-Identifier: MIT
/*
 * charge.c - the allocation path: charge the task's cgroup, reclaiming as the
 * limit that refused allows (DESIGN §4.4), then find a page, reclaiming
 * globally when no node has one; wake ksgxd or queue a cgroup's work where
 * the caller may not reclaim itself. Policy over the mechanism of reclaim.c
 * (batches, walks, the retry policy) and the background of ksgxd.c.
 */
#include "reclaim/reclaim.h"

#include <errno.h>
#include <sched.h>

static bool signal_pending(const struct epc__alloc_req *req)
{
	return req->signal && atomic_load_explicit(req->signal, memory_order_relaxed);
}

/*
 * DESIGN §4.5: the async margin reclaim v17 meant to run, when the instance
 * asks for it (epc_config.margin_reclaim; v17 as written never reaches it).
 * After a successful charge, queue the cgroup's work when its usage is within
 * the margin of the tightest limit above it. Cheap unless it fires: @min_max
 * came with the charge.
 */
static void margin_check(struct epc__reclaimer *r, struct epc_cgroup *cg, uint64_t min_max)
{
	uint64_t max_pages = min_max / EPC_PAGE_SIZE;

	if (!r->margin_reclaim || max_pages <= EPC__CG_LOW_LIMIT_PAGES || min_max == EPC__MISC_MAX)
		return;
	/* the counter bounds the exact usage from above: only near the margin
	 * is the exact read (the stocks' transfer lock) worth taking */
	if (epc__cg_usage_upper(cg) / EPC_PAGE_SIZE < max_pages - EPC__CG_MIN_FREE_PAGES)
		return;
	if (epc__cg_usage(cg) / EPC_PAGE_SIZE >= max_pages - EPC__CG_MIN_FREE_PAGES &&
	    !atomic_load_explicit(&cg->work_pending, memory_order_relaxed))
		epc__reclaim_queue_cg(r, cg);
}

/*
 * Charge one page to @req->cg, reclaiming as v17's sgx_cgroup_try_charge()
 * does, but from the subtree of the level that refused (DESIGN §4.4, as
 * memcg reclaims from mem_over_limit): a child whose own pages are all out
 * takes room from its siblings under a full parent. When the EPC itself is
 * full (the capacity refused, at whatever level), from the whole tree.
 */
static int charge(struct epc__reclaimer *r, struct epc__alloc_req *req)
{
	struct epc__retry rt;
	bool retrying = false; /* the policy starts with the first reclaim round */

	for (;;) {
		struct epc_cgroup *failed = NULL, *scope;
		bool over_capacity = false;
		uint64_t min_max;
		int ret = epc__cg_try_charge_page_cpu(req->cg, req->cpu, &failed, &min_max,
						      &over_capacity);

		if (!ret) {
			margin_check(r, req->cg, min_max);
			return 0;
		}
		if (ret != -EBUSY)
			return ret;
		/* a full EPC is global, whichever level saw it (DIFFERENCES C1) */
		scope = over_capacity ? r->cgroups->root : failed;
		if (epc__reclaim_scope_empty(r, scope))
			return -ENOMEM;
		if (signal_pending(req))
			return -EINTR;
		if (req->reclaim == EPC_NO_RECLAIM) {
			if (scope == r->cgroups->root)
				epc__reclaim_wake_ksgxd_for(r, req->cpu);
			else
				epc__reclaim_queue_cg(r, scope);
			req->busy_scope = scope;
			return -EBUSY;
		}
		if (!retrying) {
			epc__retry_start(r, &rt);
			retrying = true;
		}
		epc__reclaim_subtree_for(r, scope, 1, req->cpu);
		if (!epc__retry_next(r, &rt))
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

/*
 * numa_reclaim, before the node walk may hand out another node's page (DESIGN
 * §4.6): the caller's node has EPC but no free page, and the scope has pages
 * of that node on its lists. The scope: the caller's cgroup's subtree while
 * another node has a free page (it keeps its locality with its own pages),
 * the whole tree when none has (a full EPC is global). A caller that may
 * reclaim does so from the node's lists a batch at a time until a page is
 * free there; a caller that may not gets -EBUSY with that scope (a fault lets
 * go of its enclave and runs the batch itself, as for a full EPC). Either
 * goes remote when there is nothing of the node in scope, or when the node's
 * batches have freed nothing for two passes (epc__reclaim_node_stalled()):
 * a remote free page then, never a failure while a page is free somewhere (a
 * pending signal, too, ends the reclaim and leaves the walk to it).
 * Deterministic mode steps the per-node wakeups between allocations and so
 * keeps the node's free pages up; in threads mode ksgxd, woken at the same
 * moment, would serve the node only after a burst had gone remote.
 * Return: 0 (try the node walk); -EBUSY.
 */
static int reclaim_at_home(struct epc__reclaimer *r, struct epc__alloc_req *req)
{
	int home = epc__reclaim_want_node(r, req->cpu);
	struct epc_cgroup *scope;
	struct epc__retry rt;

	if (home == EPC_NO_NODE || !epc__mm_node_free_below(r->mm, home, 1))
		return 0;
	scope = epc__mm_nr_free(r->mm) ? req->cg : r->cgroups->root;
	if (epc__reclaim_node_lru_empty(r, scope, home) || epc__reclaim_node_stalled(r, home))
		return 0;
	if (req->reclaim == EPC_NO_RECLAIM) {
		req->busy_scope = scope;
		return -EBUSY;
	}
	epc__retry_start(r, &rt);
	do {
		epc__reclaim_subtree_node(r, scope, home, 1);
	} while (epc__mm_node_free_below(r->mm, home, 1) && !epc__reclaim_node_stalled(r, home) &&
		 !epc__reclaim_node_lru_empty(r, scope, home) && !signal_pending(req) &&
		 epc__retry_next(r, &rt));
	return 0;
}

/*
 * Take a page, the caller's node first (with numa_reclaim, reclaiming there
 * first). No free page on any node although the charge fit: reclaim
 * globally.
 */
static int alloc_reclaiming(struct epc__reclaimer *r, struct epc__alloc_req *req,
			    struct epc_page **out)
{
	struct epc__retry rt;
	bool retrying = false;

	if (r->numa_reclaim) {
		int ret = reclaim_at_home(r, req);

		if (ret)
			return ret;
	}
	for (;;) {
		if (!epc__mm_alloc(r->mm, req->cpu, out))
			return 0;
		if (epc__reclaim_scope_empty(r, r->cgroups->root))
			return -ENOMEM;
		if (req->reclaim == EPC_NO_RECLAIM) {
			req->busy_scope = r->cgroups->root;
			return -EBUSY;
		}
		if (signal_pending(req))
			return -EINTR;
		if (!retrying) {
			epc__retry_start(r, &rt);
			retrying = true;
		}
		epc__reclaim_subtree_for(r, r->cgroups->root, 1, req->cpu);
		if (!epc__retry_next(r, &rt))
			return -ENOMEM;
		sched_yield();
	}
}

/*
 * numa_reclaim: wake reclaim of @node when it is below its low watermark and
 * has pages on the LRUs (a node without EPC never gets here).
 */
static void wake_node(struct epc__reclaimer *r, int node)
{
	if (epc__mm_node_free_below(r->mm, node, EPC__NR_LOW_PAGES) &&
	    !epc__reclaim_node_lru_empty(r, r->cgroups->root, node))
		epc__reclaim_wake_ksgxd_node(r, node);
}

/*
 * After an allocation for @req (@p: the page, or NULL): wake ksgxd below the
 * low watermark, the kernel's over the whole EPC. With numa_reclaim, that of
 * the caller's own node (a node keeps free pages for its own tasks: a caller
 * on a node without EPC wakes none), and when no node had a page, that of the
 * node reclaim for it would take from.
 */
static void wake_background(struct epc__reclaimer *r, const struct epc__alloc_req *req,
			    const struct epc_page *p)
{
	int home;

	if (!r->numa_reclaim) {
		if (epc__mm_free_below(r->mm, req->cpu, EPC__NR_LOW_PAGES) &&
		    !epc__reclaim_lru_empty(r, r->cgroups->root))
			epc__reclaim_wake_ksgxd(r);
		return;
	}
	home = epc__reclaim_want_node(r, req->cpu);
	if (home != EPC_NO_NODE)
		wake_node(r, home);
	if (!p)
		epc__reclaim_wake_ksgxd_for(r, req->cpu);
}

int epc__alloc_page(struct epc__reclaimer *r, struct epc__alloc_req *req, struct epc_page **out)
{
	struct epc_page *p = NULL;
	int ret;

	req->busy_scope = NULL;
	req->cg = epc__cg_epc_owner(req->cg); /* the root when the controller is off */
	ret = charge(r, req);
	if (ret)
		return ret;
	ret = alloc_reclaiming(r, req, &p);
	wake_background(r, req, ret ? NULL : p);
	if (ret) {
		epc__cg_uncharge_page_cpu(req->cg, req->cpu);
		return ret;
	}
	p->owner = req->owner;
	p->cg = req->cg;
	if (epc__events_on(&r->cgroups->events))
		alloc_event(r, req, p);
	*out = p;
	return 0;
}
