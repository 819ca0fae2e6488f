// SPDX-License-Identifier: MIT
/*
 * reclaim.c - the mechanism of reclaim: LRUs, batches (isolate, age,
 * prepare, block, write, free), the fair subtree walk, what is reclaimable
 * where, waiting for progress and the one retry policy. It decides nothing
 * about when to reclaim and calls nothing above it: the allocation path
 * (charge.c) and the background (ksgxd.c: ksgxd and the cgroup work) do.
 */
#include "reclaim/reclaim.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <sched.h>
#include <time.h>

/* ------------------------------------------------------------------ LRU */

/* Which of its cgroup's lists holds @p: its node's with numa_reclaim, else the one. */
static unsigned lru_of(const struct epc__reclaimer *r, const struct epc_page *p)
{
	return r->numa_reclaim ? p->node : 0;
}

/*
 * After @delta pages joined (or left, negative) @cg's list @l: publish the
 * counts to lockless readers, the cgroup's and the instance's.
 */
static void lru_sync_locked(struct epc__reclaimer *r, struct epc_cgroup *cg, unsigned l,
			    int64_t delta)
{
	epc__assert_spin_held(&cg->lru_lock);
	atomic_store_explicit(&cg->nr_lru_node[l], cg->lru[l].nr, memory_order_relaxed);
	atomic_store_explicit(&cg->nr_lru,
			      atomic_load_explicit(&cg->nr_lru, memory_order_relaxed) +
				      (uint64_t)delta,
			      memory_order_relaxed);
	atomic_fetch_add_explicit(&r->nr_on_lrus, (uint64_t)delta, memory_order_relaxed);
	if (r->numa_reclaim)
		atomic_fetch_add_explicit(&r->nr_on_lrus_node[l], (uint64_t)delta,
					  memory_order_relaxed);
}

void epc__reclaim_mark(struct epc__reclaimer *r, struct epc_page *p)
{
	struct epc_cgroup *cg = p->cg;
	unsigned l = lru_of(r, p);

	assert(cg && epc__page_state(p) == EPC__PAGE_INUSE);
	epc__spin_lock(&cg->lru_lock);
	epc__page_set_state(p, EPC__PAGE_LRU);
	epc__plist_add_tail(r->mm->pages, &cg->lru[l], p);
	lru_sync_locked(r, cg, l, 1);
	atomic_fetch_add_explicit(&cg->nr_reclaimable, 1, memory_order_relaxed);
	epc__spin_unlock(&cg->lru_lock);
	atomic_fetch_add_explicit(&r->nr_reclaimable, 1, memory_order_relaxed);
}

int epc__reclaim_unmark(struct epc__reclaimer *r, struct epc_page *p)
{
	struct epc_cgroup *cg = p->cg;
	int ret = 0;

	epc__spin_lock(&cg->lru_lock);
	switch (epc__page_state(p)) {
	case EPC__PAGE_LRU: /* still counted reclaimable: see release_done() */
		epc__plist_del(r->mm->pages, &cg->lru[lru_of(r, p)], p);
		lru_sync_locked(r, cg, lru_of(r, p), -1);
		epc__page_set_state(p, EPC__PAGE_RELEASING);
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

int epc__reclaim_requeue(struct epc__reclaimer *r, struct epc_page *p)
{
	struct epc_cgroup *cg = p->cg;
	int ret = 0;

	epc__spin_lock(&cg->lru_lock);
	switch (epc__page_state(p)) {
	case EPC__PAGE_LRU:
		epc__plist_del(r->mm->pages, &cg->lru[lru_of(r, p)], p);
		epc__plist_add_tail(r->mm->pages, &cg->lru[lru_of(r, p)], p);
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

/*
 * Back to the tail of @cg's list @l, in order, after a skipped or failed
 * reclaim: @n pages of a batch from that list, each with the owner reference
 * the batch took, dropped here. Once requeued another reclaimer may evict and free a
 * page, so its owner is read first. One lock hold and one count update for
 * all of them: a batch's young pages come back together.
 */
static void lru_requeue(struct epc__reclaimer *r, struct epc_cgroup *cg, unsigned l,
			struct epc_page **pages, unsigned n)
{
	void *owners[EPC__NR_TO_SCAN];

	if (!n)
		return;
	epc__spin_lock(&cg->lru_lock);
	for (unsigned i = 0; i < n; i++) {
		owners[i] = pages[i]->owner;
		epc__page_set_state(pages[i], EPC__PAGE_LRU);
		epc__plist_add_tail(r->mm->pages, &cg->lru[l], pages[i]);
	}
	lru_sync_locked(r, cg, l, n);
	epc__spin_unlock(&cg->lru_lock);
	for (unsigned i = 0; i < n; i++)
		r->ops->put(owners[i]);
}

/*
 * Isolate up to EPC__NR_TO_SCAN pages from the head of @cg's list @l. A page whose
 * owner is going away is left to it: RELEASING, not isolated, not re-queued,
 * still counted reclaimable until its owner frees it (release_done()).
 * ops->get is an atomic "ref unless zero": it may run under the LRU lock.
 */
static unsigned lru_isolate(struct epc__reclaimer *r, struct epc_cgroup *cg, unsigned l,
			    struct epc_page **chunk)
{
	unsigned cnt = 0, popped = 0;

	epc__spin_lock(&cg->lru_lock);
	for (int i = 0; i < EPC__NR_TO_SCAN; i++) {
		struct epc_page *p = epc__plist_pop(r->mm->pages, &cg->lru[l]);

		if (!p)
			break;
		popped++;
		if (r->ops->get(p)) {
			epc__page_set_state(p, EPC__PAGE_ISOLATED);
			chunk[cnt++] = p;
		} else {
			epc__page_set_state(p, EPC__PAGE_RELEASING);
		}
	}
	if (popped)
		lru_sync_locked(r, cg, l, -(int64_t)popped);
	epc__spin_unlock(&cg->lru_lock);
	if (cnt)
		atomic_fetch_add(&r->nr_batches, 1); /* seq_cst: see epc__retry_next() */
	return cnt;
}

/* --------------------------------------------------- waiting for progress */

int epc__reclaim_progress_init(struct epc__reclaimer *r)
{
	pthread_condattr_t a;
	int ret = epc__mutex_init(&r->progress_lock, EPC__RANK_PROGRESS);

	if (ret)
		return ret;
	ret = -pthread_condattr_init(&a);
	if (!ret) {
		ret = -pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
		if (!ret)
			ret = -pthread_cond_init(&r->progress_cond, &a);
		pthread_condattr_destroy(&a);
	}
	if (ret)
		epc__mutex_destroy(&r->progress_lock);
	return ret;
}

void epc__reclaim_progress_destroy(struct epc__reclaimer *r)
{
	pthread_cond_destroy(&r->progress_cond);
	epc__mutex_destroy(&r->progress_lock);
}

/* Wake the faults waiting for reclaim, if any (epc__reclaim_wait_progress()). */
static void progress_note(struct epc__reclaimer *r)
{
	if (!atomic_load(&r->progress_waiters))
		return;
	epc__mutex_lock(&r->progress_lock);
	r->progress_seq++;
	pthread_cond_broadcast(&r->progress_cond);
	epc__mutex_unlock(&r->progress_lock);
}

bool epc__reclaim_wait_progress(struct epc__reclaimer *r, uint64_t evicted_before, long timeout_ns)
{
	struct timespec deadline;
	bool progress;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += timeout_ns;
	deadline.tv_sec += deadline.tv_nsec / 1000000000L;
	deadline.tv_nsec %= 1000000000L;
	epc__mutex_lock(&r->progress_lock);
	atomic_fetch_add(&r->progress_waiters, 1);
	for (uint64_t seq = r->progress_seq;;) {
		progress = atomic_load(&r->nr_evicted) != evicted_before || r->progress_seq != seq;
		if (progress || atomic_load(&r->stop) ||
		    epc__mutex_cond_timedwait(&r->progress_cond, &r->progress_lock, &deadline) ==
			    ETIMEDOUT)
			break;
	}
	atomic_fetch_sub(&r->progress_waiters, 1);
	epc__mutex_unlock(&r->progress_lock);
	return progress || atomic_load(&r->nr_evicted) != evicted_before;
}

/* ----------------------------------------------------------------- batches */

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

/*
 * Free the @n pages of @cg's LRU that a batch wrote back, at once: the
 * counters once, one uncharge walk up the tree, the allocator's lock once per
 * node. (Per page, two workers reclaiming two cgroups fought over the root's
 * usage line and the node lock 16 times a batch.) Then wake fault waiters.
 */
static void free_written(struct epc__reclaimer *r, struct epc_cgroup *cg, struct epc_page **pages,
			 unsigned n)
{
	if (!n)
		return;
	atomic_fetch_sub_explicit(&cg->nr_reclaimable, n, memory_order_relaxed);
	atomic_fetch_sub_explicit(&r->nr_reclaimable, n, memory_order_relaxed);
	atomic_fetch_add(&r->nr_evicted, n); /* seq_cst: see progress_note() */
	for (unsigned i = 0; i < n; i++) {
		epc__page_set_state(pages[i], EPC__PAGE_INUSE);
		pages[i]->cg = NULL;
	}
	epc__cg_uncharge_pages(cg, n);
	epc__mm_free_pages(r->mm, pages, n);
	progress_note(r);
}

/* One batch from @cg's list @l. Return: pages isolated with an owner ref. */
static unsigned reclaim_lru(struct epc__reclaimer *r, struct epc_cgroup *cg, unsigned l,
			    enum epc__reclaim_by by)
{
	const struct epc__reclaim_ops *ops = r->ops;
	struct epc_page *chunk[EPC__NR_TO_SCAN], *back[EPC__NR_TO_SCAN];
	unsigned cnt, i, n = 0, nr_back = 0, freed = 0;

	cnt = lru_isolate(r, cg, l, chunk);

	/* age and prepare: young or unpreparable pages go back to the tail */
	for (i = 0; i < cnt; i++) {
		struct epc_page *p = chunk[i];

		if (ops->age(p) || ops->prepare(p))
			back[nr_back++] = p;
		else
			chunk[n++] = p;
	}
	lru_requeue(r, cg, l, back, nr_back);
	for (i = 0; i < n; i++)
		ops->block(chunk[i]);
	nr_back = 0;
	for (i = 0; i < n; i++) {
		struct epc_page *p = chunk[i];

		if (ops->write(p)) {
			back[nr_back++] = p;
			continue;
		}
		ops->put(p->owner);
		chunk[freed++] = p; /* written back: freed with the rest below */
	}
	lru_requeue(r, cg, l, back, nr_back);
	free_written(r, cg, chunk, freed);
	batch_count(r, cg, by, cnt, freed);
	if (r->numa_reclaim && freed)
		atomic_store_explicit(&r->node_idle[l], 0, memory_order_relaxed);
	else if (r->numa_reclaim && cnt)
		atomic_fetch_add_explicit(&r->node_idle[l], 1, memory_order_relaxed);
	return cnt;
}

/*
 * numa_reclaim, no node asked for: @cg's longest list (ties: the lowest
 * node), or -1 when all are empty.
 */
static int longest_list(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	uint64_t most = 0;
	int best = -1;

	for (int n = 0; n < r->mm->nr_nodes; n++) {
		uint64_t nr = atomic_load_explicit(&cg->nr_lru_node[n], memory_order_relaxed);

		if (nr > most) {
			most = nr;
			best = n;
		}
	}
	return best;
}

unsigned epc__reclaim_lru(struct epc__reclaimer *r, struct epc_cgroup *cg)
{
	int l = r->numa_reclaim ? longest_list(r, cg) : 0;

	return l < 0 ? 0
		     : reclaim_lru(r, cg, (unsigned)l,
				   cg->parent ? EPC__BY_CGROUP : EPC__BY_DIRECT);
}

/* ------------------------------------------------------ subtree walking */

/*
 * Is the counter at @off in every cgroup of @root's subtree zero? @whole is
 * the instance-wide sum that answers for the root; a leaf answers from its
 * own counter without the tree lock; otherwise walk the subtree.
 */
static bool subtree_zero(struct epc__reclaimer *r, struct epc_cgroup *root,
			 const _Atomic uint64_t *whole, size_t off)
{
#define CG_COUNTER(c) ((const _Atomic uint64_t *)((const char *)(c) + off))
	struct epc_cgroup *c;
	bool zero = true;

	if (!root->parent) /* the whole tree: one counter says it */
		return atomic_load(whole) == 0;
	if (!atomic_load(&root->nr_children)) /* a leaf: no tree lock */
		return atomic_load(CG_COUNTER(root)) == 0;
	epc__mutex_lock(&r->cgroups->lock);
	for (c = root; c && zero; c = epc__cg_next_pre_locked(root, c))
		if (atomic_load(CG_COUNTER(c)))
			zero = false;
	epc__mutex_unlock(&r->cgroups->lock);
	return zero;
#undef CG_COUNTER
}

bool epc__reclaim_lru_empty(struct epc__reclaimer *r, struct epc_cgroup *root)
{
	return subtree_zero(r, root, &r->nr_on_lrus, offsetof(struct epc_cgroup, nr_lru));
}

bool epc__reclaim_node_lru_empty(struct epc__reclaimer *r, struct epc_cgroup *root, int node)
{
	return subtree_zero(r, root, &r->nr_on_lrus_node[node],
			    offsetof(struct epc_cgroup, nr_lru_node) +
				    (size_t)node * sizeof(root->nr_lru_node[0]));
}

bool epc__reclaim_scope_empty(struct epc__reclaimer *r, struct epc_cgroup *root)
{
	return subtree_zero(r, root, &r->nr_reclaimable,
			    offsetof(struct epc_cgroup, nr_reclaimable));
}

/* ------------------------------------------------------------ retrying */

unsigned long epc__reclaim_idle_limit(struct epc__reclaimer *r)
{
	uint64_t on_lrus = atomic_load_explicit(&r->nr_on_lrus, memory_order_relaxed);

	return EPC__RECLAIM_MAX_IDLE_ROUNDS + 2 * (on_lrus / EPC__NR_TO_SCAN + 1);
}

void epc__retry_start(struct epc__reclaimer *r, struct epc__retry *rt)
{
	rt->evicted = atomic_load(&r->nr_evicted);
	rt->batches = atomic_load(&r->nr_batches);
	rt->idle = 0;
	rt->limit = epc__reclaim_idle_limit(r);
}

bool epc__retry_anything_ran(struct epc__reclaimer *r, const struct epc__retry *rt)
{
	return atomic_load(&r->nr_evicted) != rt->evicted ||
	       atomic_load(&r->nr_batches) != rt->batches;
}

/*
 * A batch bumps nr_batches when it isolates and nr_evicted for each page it
 * frees, later: reading nr_evicted first means a batch seen as "ran" whose
 * frees we missed is only counted idle once and its frees reset the count at
 * the next look.
 */
bool epc__retry_next(struct epc__reclaimer *r, struct epc__retry *rt)
{
	uint64_t evicted = atomic_load(&r->nr_evicted);
	uint64_t batches = atomic_load(&r->nr_batches);

	if (evicted != rt->evicted)
		rt->idle = 0;
	else
		rt->idle += batches - rt->batches;
	rt->evicted = evicted;
	rt->batches = batches;
	return rt->idle < rt->limit;
}

/*
 * The kernel's sgx_cgroup_next_get(): the cgroup at @root's cursor, pinned;
 * the cursor moves to its pre-order successor, wrapping to @root.
 */
static struct epc_cgroup *next_get(struct epc__reclaimer *r, struct epc_cgroup *root)
{
	struct epc_cgroup *p, *n;

	if (!atomic_load(&root->nr_children)) { /* a leaf: the walk is @root alone */
		epc__spin_lock(&root->iter_lock);
		p = root->next_cg;
		if (p == root)
			epc__cg_pin(p);
		epc__spin_unlock(&root->iter_lock);
		if (p == root)
			return p;
	}
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

/* Nothing on the lists a walk over @root's subtree takes from (@list: as for reclaim_subtree). */
static bool walk_empty(struct epc__reclaimer *r, struct epc_cgroup *root, int list)
{
	return list < 0 || !r->numa_reclaim ? epc__reclaim_lru_empty(r, root)
					    : epc__reclaim_node_lru_empty(r, root, list);
}

/* The list of @c a walk takes its batch from, or -1 when it has none to give. */
static int walk_list(struct epc__reclaimer *r, struct epc_cgroup *c, int list)
{
	if (list < 0)
		return longest_list(r, c);
	return atomic_load_explicit(&c->nr_lru_node[list], memory_order_relaxed) ? list : -1;
}

/*
 * @background: ksgxd's or a cgroup's work, not a caller's round. Below the
 * root it is cgroup reclaim either way; over the whole tree it is ksgxd's or
 * a caller's direct reclaim. @list: the list every cgroup gives its batch
 * from (0 in node-blind mode: the one list), or -1 (numa_reclaim, no node
 * asked for): each cgroup's longest.
 */
static unsigned long reclaim_subtree(struct epc__reclaimer *r, struct epc_cgroup *root,
				     unsigned long nr_to_scan, bool background, int list)
{
	enum epc__reclaim_by by = root->parent ? EPC__BY_CGROUP
				  : background ? EPC__BY_KSGXD
					       : EPC__BY_DIRECT;
	unsigned long cnt = 0;
	unsigned visited = 0;

	atomic_fetch_add_explicit(background ? &root->nr_reclaim_async : &root->nr_reclaim_sync, 1,
				  memory_order_relaxed);
	while (cnt < nr_to_scan && !walk_empty(r, root, list)) {
		struct epc_cgroup *c = next_get(r, root);
		int l = walk_list(r, c, list);
		unsigned got = 0;

		if (l >= 0)
			got = reclaim_lru(r, c, (unsigned)l, by);
		epc__cg_unpin(c);
		cnt += got;
		/* a walk over empty LRUs only: someone else emptied them */
		if (!got && ++visited > EPC__RECLAIM_MAX_IDLE_ROUNDS)
			break;
	}
	return cnt;
}

/* The list a reclaim that no node asked for walks: the one, or each cgroup's longest. */
static int any_list(const struct epc__reclaimer *r)
{
	return r->numa_reclaim ? -1 : 0;
}

unsigned long epc__reclaim_subtree(struct epc__reclaimer *r, struct epc_cgroup *root,
				   unsigned long nr_to_scan)
{
	return reclaim_subtree(r, root, nr_to_scan, false, any_list(r));
}

unsigned long epc__reclaim_subtree_bg(struct epc__reclaimer *r, struct epc_cgroup *root,
				      unsigned long nr_to_scan)
{
	return reclaim_subtree(r, root, nr_to_scan, true, any_list(r));
}

int epc__reclaim_want_node(struct epc__reclaimer *r, int cpu)
{
	int node = r->mm->cpu_to_node[cpu];

	return r->mm->nodes[node].has_epc ? node : EPC_NO_NODE;
}

int epc__reclaim_node_for(struct epc__reclaimer *r, struct epc_cgroup *root, int cpu)
{
	const struct epc__node *home = &r->mm->nodes[r->mm->cpu_to_node[cpu]];

	for (int k = 0; k < home->nr_fallback; k++)
		if (!epc__reclaim_node_lru_empty(r, root, home->fallback[k]))
			return home->fallback[k];
	return -1;
}

unsigned long epc__reclaim_subtree_for(struct epc__reclaimer *r, struct epc_cgroup *root,
				       unsigned long nr_to_scan, int cpu)
{
	int node;

	/* a caller on a node without EPC has no local pages to keep */
	if (!r->numa_reclaim || epc__reclaim_want_node(r, cpu) == EPC_NO_NODE)
		return epc__reclaim_subtree(r, root, nr_to_scan);
	node = epc__reclaim_node_for(r, root, cpu);
	if (node < 0) { /* nothing on the lists: count the round as the blind walk does */
		atomic_fetch_add_explicit(&root->nr_reclaim_sync, 1, memory_order_relaxed);
		return 0;
	}
	return reclaim_subtree(r, root, nr_to_scan, false, node);
}

unsigned long epc__reclaim_node_bg(struct epc__reclaimer *r, int node, unsigned long nr_to_scan)
{
	return reclaim_subtree(r, r->cgroups->root, nr_to_scan, true, node);
}

unsigned long epc__reclaim_subtree_node(struct epc__reclaimer *r, struct epc_cgroup *root, int node,
					unsigned long nr_to_scan)
{
	return reclaim_subtree(r, root, nr_to_scan, false, node);
}

bool epc__reclaim_node_stalled(struct epc__reclaimer *r, int node)
{
	uint64_t on_lrus = atomic_load_explicit(&r->nr_on_lrus_node[node], memory_order_relaxed);

	return atomic_load_explicit(&r->node_idle[node], memory_order_relaxed) >
	       2 * (on_lrus / EPC__NR_TO_SCAN + 1);
}

unsigned long epc__reclaim_step_for(struct epc__reclaimer *r, struct epc_cgroup *scope, int cpu)
{
	return epc__reclaim_subtree_for(r, scope, 1, cpu);
}

uint64_t epc__reclaim_nr_tracked(struct epc__reclaimer *r)
{
	return atomic_load(&r->nr_reclaimable);
}

/*
 * A RELEASING page leaves the books of reclaim: freed, or leaked by a failed
 * EREMOVE. Until now it counted as reclaimable, so that a charge refused in a
 * scope whose pages are all being freed by their owners waits for the room
 * instead of failing (DIFFERENCES C9); waiting faults are woken.
 */
static void release_done(struct epc__reclaimer *r, struct epc_page *p)
{
	if (epc__page_state(p) != EPC__PAGE_RELEASING)
		return;
	epc__page_set_state(p, EPC__PAGE_INUSE);
	atomic_fetch_sub_explicit(&p->cg->nr_reclaimable, 1, memory_order_relaxed);
	atomic_fetch_sub_explicit(&r->nr_reclaimable, 1, memory_order_relaxed);
}

void epc__free_page_eremove(struct epc__reclaimer *r, struct epc_page *p)
{
	struct epc__mm *mm = r->mm;
	int err = epc__hw_eremove(mm->hw, epc__mm_page_index(mm, p));

	if (err) {
		release_done(r, p);
		/* the kernel's sgx_encl_free_epc_page(): warn and leak the page */
		atomic_fetch_add(&mm->nr_leaked, 1);
		epc__log(r->log, LOG_WARNING,
			 "EREMOVE returned %d (0x%x) and an EPC page was leaked (phys 0x%llx)", err,
			 err, (unsigned long long)epc__mm_page_phys(mm, p));
		return;
	}
	epc__free_page(r, p);
}

void epc__free_page(struct epc__reclaimer *r, struct epc_page *p)
{
	struct epc_cgroup *cg = p->cg;
	bool released = epc__page_state(p) == EPC__PAGE_RELEASING;

	release_done(r, p);
	p->cg = NULL;
	/* back into the stock of the CPU that allocated it (a hint: any CPU is right) */
	if (cg)
		epc__cg_uncharge_page_cpu(cg, (int)(p->aux & EPC__AUX_CPU_MASK));
	epc__mm_free(r->mm, p);
	if (released)
		progress_note(r);
}

/* --------------------------------------------------------------- checker */

/*
 * Check @cg's list @l: every page LRU, charged to @cg, of the list's node
 * (numa_reclaim); the counts equal the length. Tree lock held, quiescent.
 * Return: pages on it; -1 (logged) on a violation.
 */
static int64_t check_list(struct epc__reclaimer *r, struct epc_cgroup *c, unsigned l)
{
	struct epc_page *p;
	uint64_t nr = 0;

	epc__plist_for_each(r->mm->pages, &c->lru[l], p)
	{
		if (epc__page_state(p) != EPC__PAGE_LRU || p->cg != c || lru_of(r, p) != l) {
			epc__log(
				r->log, LOG_ERR,
				"check: LRU page %llu has state %d, cgroup %p and node %d, on %p's "
				"list %u",
				(unsigned long long)epc__mm_page_index(r->mm, p),
				epc__page_state(p), (void *)p->cg, p->node, (void *)c, l);
			return -1;
		}
		nr++;
	}
	if (nr != c->lru[l].nr || nr != atomic_load(&c->nr_lru_node[l])) {
		epc__log(r->log, LOG_ERR, "check: list %u of %p has %llu pages, counts say %llu", l,
			 (void *)c, (unsigned long long)nr, (unsigned long long)c->lru[l].nr);
		return -1;
	}
	return (int64_t)nr;
}

/* Each node's pages on the LRUs (numa_reclaim), against the instance's books;
 * idle batches counted only for a node whose lists can hold pages. */
static int check_nodes(struct epc__reclaimer *r, const uint64_t *on_node)
{
	for (int n = 0; n < EPC__MM_MAX_NODES; n++) {
		uint64_t books = atomic_load(&r->nr_on_lrus_node[n]);
		uint64_t idle = atomic_load(&r->node_idle[n]);

		/* only a batch from a node's list counts (numa_reclaim) */
		if (idle && !(r->numa_reclaim && n < r->mm->nr_nodes && r->mm->nodes[n].has_epc)) {
			epc__log(r->log, LOG_ERR,
				 "check: node %d counts %llu idle batches, but it has no list of "
				 "pages",
				 n, (unsigned long long)idle);
			return -EUCLEAN;
		}

		if (books != (r->numa_reclaim ? on_node[n] : 0)) {
			epc__log(r->log, LOG_ERR,
				 "check: %llu pages of node %d on LRUs, the books say %llu",
				 (unsigned long long)on_node[n], n, (unsigned long long)books);
			return -EUCLEAN;
		}
	}
	return 0;
}

int epc__reclaim_check(struct epc__reclaimer *r)
{
	uint64_t on_lrus = 0, on_node[EPC__MM_MAX_NODES] = {0};
	int ret = 0;

	epc__mutex_lock(&r->cgroups->lock);
	for (struct epc_cgroup *c = r->cgroups->root; c && !ret;
	     c = epc__cg_next_pre_locked(r->cgroups->root, c)) {
		uint64_t nr = 0;

		for (unsigned l = 0; l < EPC__MM_MAX_NODES && !ret; l++) {
			int64_t got = check_list(r, c, l);

			if (got < 0)
				ret = -EUCLEAN;
			else
				on_node[l] += (uint64_t)got;
			nr += got > 0 ? (uint64_t)got : 0;
		}
		if (!ret && nr != atomic_load(&c->nr_lru)) {
			epc__log(r->log, LOG_ERR,
				 "check: %p has %llu pages on its lists, nr_lru %llu", (void *)c,
				 (unsigned long long)nr,
				 (unsigned long long)atomic_load(&c->nr_lru));
			ret = -EUCLEAN;
		}
		on_lrus += nr;
	}
	epc__mutex_unlock(&r->cgroups->lock);
	if (!ret)
		ret = check_nodes(r, on_node);
	if (!ret)
		ret = epc__cg_check(r->cgroups, r->mm);
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
