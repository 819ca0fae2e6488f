/* SPDX-License-Identifier: MIT */
/*
 * reclaim.h - the reclaimer: LRUs, batches, ksgxd and its watermarks, and the
 * allocation path that charges, allocates and reclaims (kernel-spec §4.5-4.9,
 * §4.12).
 *
 * LRUs: every reclaimable page is on the LRU of the cgroup charged for it
 * (v17); a task in the root cgroup uses the root's. With only the root cgroup
 * this is exactly mainline's one global LRU.
 *
 * NUMA-aware reclaim (epc_config.numa_reclaim; off by default, the kernel's
 * node-blind reclaim): each cgroup keeps one list per node and a page sits on
 * its node's. A reclaim for an allocation takes its batches from the lists of
 * the caller's node when that node has pages on them in the scope, else from
 * the next node in the allocator's search order that has
 * (epc__reclaim_subtree_for(); a caller on a node without EPC has no local
 * pages to keep and takes each cgroup's longest list); the fair walk over
 * cgroups and the batch (16 isolated, CLOCK aging) are unchanged, per list.
 * ksgxd serves per-node wakeups: an allocation by a task whose node's free
 * pages are below EPC__NR_LOW_PAGES wakes reclaim of that node's pages until
 * it has EPC__NR_HIGH_PAGES free, as kswapd per node does; a node without EPC
 * has no watermarks. One thread serves every node's wakeups. Node-blind mode
 * keeps one list per cgroup (lru[0]): per-node lists cannot give the order of
 * one list without a per-page age stamp (the page record has no room), and
 * v17's answers must stay exact.
 *
 * A batch (epc__reclaim_lru()): isolate up to EPC__NR_TO_SCAN pages from the
 * LRU head under its lock; then, outside every reclaimer lock, for each page
 * ask the owner to age it (young: back to the tail), to prepare it (backing
 * store; failure: back to the tail), block all of them, write them (EWB) and
 * free them. Only the isolation holds the LRU lock. The owner callbacks take
 * the owner's own lock (the enclave's), never while the LRU lock is held.
 *
 * Global reclaim (ksgxd, epc_reclaim(), a full EPC) walks every cgroup in
 * pre-order from the root, one batch per cgroup per step, resuming where the
 * last walk stopped (the root's fair cursor), so no cgroup is starved.
 *
 * ksgxd: woken when an allocation leaves fewer than EPC__NR_LOW_PAGES free
 * pages while something is reclaimable; it then reclaims batches until at
 * least EPC__NR_HIGH_PAGES are free or nothing is reclaimable. In MANUAL mode
 * the wakeup is only recorded and epc_run_background() does the work.
 */
#ifndef EPC_RECLAIM_RECLAIM_H
#define EPC_RECLAIM_RECLAIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "epcmm.h"

#include "cgroup/cgroup.h"
#include "mm/mm.h"
#include "reclaim/workqueue.h"
#include "util/lock.h"

#define EPC__NR_TO_SCAN	   16 /* pages isolated per batch (SGX_NR_TO_SCAN) */
#define EPC__NR_LOW_PAGES  32 /* wake ksgxd below this (SGX_NR_LOW_PAGES) */
#define EPC__NR_HIGH_PAGES 64 /* ksgxd reclaims until this (SGX_NR_HIGH_PAGES) */
/*
 * A reclaim loop gives up (-ENOMEM) after this many batches that freed
 * nothing, plus two per batch's worth of pages on the LRUs
 * (epc__reclaim_idle_limit()): a batch of young pages frees nothing but clears
 * their accessed bits, so a full second-chance pass over every LRU must fit
 * in the bound. See struct epc__retry.
 */
#define EPC__RECLAIM_MAX_IDLE_ROUNDS 64
/* Per-cgroup margin kept by the async work (SGX_CG_MIN_FREE_PAGE) ... */
#define EPC__CG_MIN_FREE_PAGES 32
/* ... only above this effective limit (SGX_CG_LOW_LIMIT), in pages. */
#define EPC__CG_LOW_LIMIT_PAGES 128

/*
 * What the reclaimer asks of a page's owner (the enclave layer provides it).
 * All are called without any reclaimer lock held, for an ISOLATED page.
 */
struct epc__reclaim_ops {
	/* Pin the owner; false if it is being torn down (the page is dropped). */
	bool (*get)(struct epc_page *p);
	/* Unpin: @owner is p->owner as it was while the page was isolated (once
	 * the page is back on an LRU another reclaimer may free it). */
	void (*put)(void *owner);
	/* Test and clear the accessed bit: true if the page was young. */
	bool (*age)(struct epc_page *p);
	/* Get the backing store ready and mark the page being reclaimed. 0 or -errno. */
	int (*prepare)(struct epc_page *p);
	/* EBLOCK. */
	void (*block)(struct epc_page *p);
	/* EWB and bookkeeping; on 0 the page is uninitialized and ready to be
	 * freed (the owner has already forgotten it). On error the owner keeps
	 * the page and it goes back on the LRU. */
	int (*write)(struct epc_page *p);
};

/*
 * Who runs a reclaim round, for the statistics: the page counts of
 * epc_get_stats2() and the per-cgroup rounds of epc_cgroup_get_stats().
 * A caller's synchronous reclaim over the whole tree is "direct"; any reclaim
 * confined to a subtree below the root (a limit refused), synchronous or the
 * cgroup's background work, is "cgroup" reclaim.
 */
enum epc__reclaim_by {
	EPC__BY_KSGXD,	/* ksgxd (or epc_run_background() in MANUAL mode) */
	EPC__BY_DIRECT, /* a caller, over the whole tree */
	EPC__BY_CGROUP, /* a caller or a cgroup's work, below the root */
	EPC__BY_NR,
};

struct epc__reclaimer {
	struct epc__mm *mm;		    /* read-only */
	struct epc__cgroups *cgroups;	    /* read-only */
	const struct epc__log *log;	    /* read-only */
	bool threads;			    /* read-only: THREADS mode */
	bool margin_reclaim; /* read-only once epc_create() returns: epc_config's */
	bool numa_reclaim;   /* read-only once epc_create() returns: epc_config's */
	const struct epc__reclaim_ops *ops; /* read-only after init */

	/*
	 * What every batch writes, on a line of their own: a reclaimer reads
	 * the read-only fields above for every page (ops), and two workers
	 * reclaiming at once bounced that line between them with each write
	 * here (contents off, 2 workers ran slower than one).
	 */
	_Atomic uint64_t nr_reclaimable __attribute__((aligned(EPC__CACHELINE)));
	/* ^ pages on LRUs, isolated or RELEASING */
	_Atomic uint64_t nr_on_lrus;		  /* pages on LRUs (the kernel's "LRU non-empty") */
	_Atomic uint64_t nr_on_lrus_node[EPC__MM_MAX_NODES]; /* numa_reclaim: per node */
	/* numa_reclaim: batches from the node's lists in a row that freed nothing */
	_Atomic uint64_t node_idle[EPC__MM_MAX_NODES];
	_Atomic uint64_t nr_evicted;		  /* pages written back and freed */
	_Atomic uint64_t nr_batches;		  /* batches that isolated at least one page */
	_Atomic uint64_t nr_wakeups;		  /* ksgxd wakeups requested */
	_Atomic uint64_t nr_freed_by[EPC__BY_NR]; /* pages freed, by who reclaimed (statistics) */

	/* Statistics (relaxed atomics; epc_get_stats2()). */
	_Atomic uint64_t nr_ksgxd_runs __attribute__((aligned(EPC__CACHELINE)));
	/* ^ wakeups ksgxd served */
	_Atomic uint64_t nr_ksgxd_batches; /* batches ksgxd ran */

	struct epc__mutex sanitize_lock; /* serializes sanitizers (mm->still_dirty etc.) */

	/* ksgxd */
	struct epc__mutex bg_lock; /* ksgxd: protects wake_pending, serving, sanitized */
	pthread_cond_t bg_cond;	   /* wakeups for ksgxd, and "sanitized" for waiters */
	pthread_cond_t bg_idle;	   /* broadcast when ksgxd has served a wakeup */
	bool wake_pending;
	uint64_t wake_nodes; /* numa_reclaim: the nodes whose wakeups are pending */
	bool serving; /* ksgxd is serving a wakeup (reclaiming) */
	bool sanitized;
	int sanitize_ret; /* ksgxd's sanitization result when it gave up, else 0 */
	/* Waiting for reclaim progress (epc__reclaim_wait_progress()); its own
	 * lock, so that a batch never takes ksgxd's. */
	struct epc__mutex progress_lock; /* protects progress_seq */
	uint64_t progress_seq;	      /* bumped after a batch that freed pages, if anyone waits */
	pthread_cond_t progress_cond; /* signalled with progress_seq (CLOCK_MONOTONIC) */
	_Atomic int progress_waiters; /* threads in epc__reclaim_wait_progress() */
	_Atomic bool stop;	      /* read by the sanitizer and the loop */
	pthread_t thread;
	bool thread_started;

	struct epc__workqueue wq; /* per-cgroup async reclaim, on its own pool */
};

/*
 * Return: 0; -errno (a thread could not be started). Starts ksgxd and
 * @nr_workers cgroup reclaim workers in THREADS mode (none in MANUAL mode).
 */
int epc__reclaim_init(struct epc__reclaimer *r, struct epc__mm *mm, struct epc__cgroups *cgroups,
		      const struct epc__reclaim_ops *ops, bool threads, int nr_workers,
		      const struct epc__log *log);
/* The progress lock and condition (reclaim.c). Return: 0; -errno. */
int epc__reclaim_progress_init(struct epc__reclaimer *r);
void epc__reclaim_progress_destroy(struct epc__reclaimer *r);
/* Stops ksgxd (waits for it). */
void epc__reclaim_destroy(struct epc__reclaimer *r);
/*
 * Wait until the background is idle: sanitization done, ksgxd asleep with no
 * wakeup pending, no cgroup work queued or running (MANUAL mode: only a run
 * another thread has in progress). The caller makes sure that no call into
 * the instance is in flight, so that nothing wakes or queues them again.
 * For the checker and the tests (epc__quiesce()).
 */
void epc__reclaim_wait_idle(struct epc__reclaimer *r);

/*
 * Wait until sanitization is done (THREADS) or do it (MANUAL). Return: 0;
 * -EINTR when it was stopped first (the instance is being destroyed).
 */
int epc__reclaim_sanitize_wait(struct epc__reclaimer *r);
/* MANUAL mode: run pending ksgxd work until none is pending. Return: 0; -EINVAL
 * (THREADS mode); sanitization's error (-EINTR when stopped). */
int epc__reclaim_run_background(struct epc__reclaimer *r);

/* Put @p (INUSE, charged to p->cg) on its cgroup's LRU tail. */
void epc__reclaim_mark(struct epc__reclaimer *r, struct epc_page *p);
/*
 * The owner is about to free @p: take it off its LRU (RELEASING). It stays
 * counted reclaimable, room on its way, until epc__free_page() or a failed
 * EREMOVE ends that. Return: 0 (also for a page on no LRU); -EBUSY while a
 * reclaimer has it isolated (wait for the reclaimer's put and try again).
 */
int epc__reclaim_unmark(struct epc__reclaimer *r, struct epc_page *p);

/*
 * @p (tracked) to its LRU's tail, as the kernel's unmark then mark of a page
 * whose type EDMM changes. Return: 0 (also for a page on no LRU); -EBUSY
 * while a reclaimer has it isolated (the kernel's unmark refuses then).
 */
int epc__reclaim_requeue(struct epc__reclaimer *r, struct epc_page *p);

/* One batch from @cg's own LRU (numa_reclaim: its longest list). Return:
 * pages isolated with an owner ref. */
unsigned epc__reclaim_lru(struct epc__reclaimer *r, struct epc_cgroup *cg);

/*
 * Reclaim from @root's subtree, one cgroup per batch in fair pre-order, until
 * at least @nr_to_scan pages were isolated or nothing is left.
 * Return: pages isolated (the kernel's count: attempted, not freed).
 */
unsigned long epc__reclaim_subtree(struct epc__reclaimer *r, struct epc_cgroup *root,
				   unsigned long nr_to_scan);
/* The same as background work (ksgxd's or a cgroup's), for the statistics. */
unsigned long epc__reclaim_subtree_bg(struct epc__reclaimer *r, struct epc_cgroup *root,
				      unsigned long nr_to_scan);
/*
 * epc__reclaim_subtree() for an allocation on @cpu: node-blind, the same; with
 * numa_reclaim, from the lists of @cpu's node when @root's subtree has pages
 * there, else of the next node in the allocator's search order that has. A
 * caller on a node without EPC, like numa_reclaim with no node asked for (the
 * two above): each cgroup visited gives from its longest list.
 */
unsigned long epc__reclaim_subtree_for(struct epc__reclaimer *r, struct epc_cgroup *root,
				       unsigned long nr_to_scan, int cpu);
/*
 * numa_reclaim: the node whose lists a reclaim for an allocation on @cpu
 * takes from in @root's subtree: the node the allocator tries first when it
 * has pages on them, else the first in its search order that has; -1 if none.
 */
int epc__reclaim_node_for(struct epc__reclaimer *r, struct epc_cgroup *root, int cpu);
/* numa_reclaim: ksgxd's batches over the whole tree from @node's lists only. */
unsigned long epc__reclaim_node_bg(struct epc__reclaimer *r, int node, unsigned long nr_to_scan);
/*
 * numa_reclaim: have the batches from @node's lists freed nothing for two
 * passes over them (second chance: every page stayed young, or write-back
 * fails)? The allocation path then takes another node's free page rather than
 * wait for @node's (charge.c). Two passes, plus one batch: 64 rounds fewer
 * than a reclaim loop's bound (epc__reclaim_idle_limit()), so a fault
 * waiting for its node goes remote well before it would give up.
 */
bool epc__reclaim_node_stalled(struct epc__reclaimer *r, int node);
/* numa_reclaim: a caller's batches from @node's lists only, in @root's subtree. */
unsigned long epc__reclaim_subtree_node(struct epc__reclaimer *r, struct epc_cgroup *root, int node,
					unsigned long nr_to_scan);
/* @cpu's node when it has EPC (the node its allocations try first), else EPC_NO_NODE. */
int epc__reclaim_want_node(struct epc__reclaimer *r, int cpu);
/* True when no LRU in @root's subtree holds a page. */
bool epc__reclaim_lru_empty(struct epc__reclaimer *r, struct epc_cgroup *root);
/* numa_reclaim: true when no list of @node in @root's subtree holds a page. */
bool epc__reclaim_node_lru_empty(struct epc__reclaimer *r, struct epc_cgroup *root, int node);
/*
 * True when nothing in @root's subtree is reclaimable: no page on an LRU, none
 * isolated by a reclaimer (a batch in flight may still put its pages back),
 * none that its owner is freeing (RELEASING: the room is on its way). This,
 * not an empty LRU, is what makes a refused charge -ENOMEM.
 */
bool epc__reclaim_scope_empty(struct epc__reclaimer *r, struct epc_cgroup *root);

/**
 * struct epc__retry - the one bounded-retry policy of every reclaim loop.
 *
 * A loop that waits for room (the charge loop, the allocation loop, a fault,
 * ksgxd, the cgroup work, epc_reclaim()) calls epc__retry_next() after each
 * round. A round is idle only when reclaim batches ran, by anyone, and none
 * freed a page: that is what "nothing can be reclaimed" looks like (pages
 * that stay young, or write-back failing). A round in which some page was
 * freed anywhere resets the count, so a loop whose free page was taken by
 * another thread ("someone else got the page") goes on; a round in which no
 * batch ran at all (the reclaimer was not scheduled, a batch of someone else's
 * is still in flight) is not counted either, so time alone never ends a loop.
 * Each loop ends for sure: it either runs batches itself or stops when its
 * scope has nothing reclaimable (epc__reclaim_scope_empty()).
 */
struct epc__retry {
	uint64_t evicted;    /* nr_evicted at the last look */
	uint64_t batches;    /* nr_batches at the last look */
	unsigned long idle;  /* batches that freed nothing since the last free */
	unsigned long limit; /* epc__reclaim_idle_limit() at the start */
};
void epc__retry_start(struct epc__reclaimer *r, struct epc__retry *rt);
/* After a round. Return: true if the loop may take another round. */
bool epc__retry_next(struct epc__reclaimer *r, struct epc__retry *rt);
/* Did the last epc__retry_next() see a page freed? */
static inline bool epc__retry_progressed(const struct epc__retry *rt)
{
	return rt->idle == 0;
}
/* Did any batch run, or any page get freed, since @rt's last look? */
bool epc__retry_anything_ran(struct epc__reclaimer *r, const struct epc__retry *rt);

/* Record (MANUAL) or deliver (THREADS) a ksgxd wakeup. */
void epc__reclaim_wake_ksgxd(struct epc__reclaimer *r);
/* numa_reclaim: the same for @node's watermarks (reclaim of @node's pages). */
void epc__reclaim_wake_ksgxd_node(struct epc__reclaimer *r, int node);
/* Wake ksgxd for an allocation on @cpu that found no room: node-blind, the
 * kernel's wakeup; numa_reclaim, for epc__reclaim_node_for()'s node, if any. */
void epc__reclaim_wake_ksgxd_for(struct epc__reclaimer *r, int cpu);

/*
 * THREADS mode: wait until some reclaimer frees a page after the caller saw
 * @evicted_before in nr_evicted, or @timeout_ns pass. Return: true on
 * progress. No wakeup is lost: the waiter registers, then re-reads
 * nr_evicted; a reclaimer bumps nr_evicted, then looks for waiters (both
 * seq_cst), and signals under progress_lock, which the waiter holds until it
 * sleeps.
 */
bool epc__reclaim_wait_progress(struct epc__reclaimer *r, uint64_t evicted_before, long timeout_ns);

/*
 * v17's should_reclaim(cg): something is reclaimable in @cg's subtree and its
 * usage is at (effective limit - EPC__CG_MIN_FREE_PAGES) or above; the margin
 * applies only to effective limits above EPC__CG_LOW_LIMIT_PAGES.
 */
bool epc__reclaim_cg_should_reclaim(struct epc__reclaimer *r, struct epc_cgroup *cg);
/* Queue @cg's async reclaim work (once; a queued cgroup is pinned). */
void epc__reclaim_queue_cg(struct epc__reclaimer *r, struct epc_cgroup *cg);
/* @cg is being removed: cancel its queued work and wait for a run in progress. */
void epc__reclaim_cancel_cg(struct epc__reclaimer *r, struct epc_cgroup *cg);
/* Run @cg's async work now: batches while it should reclaim, or while a
 * charge in @cg would be refused below the root (bounded). */
void epc__reclaim_cg_work(struct epc__reclaimer *r, struct epc_cgroup *cg);

/*
 * The kernel's sgx_reclaim_direct() (kernel-spec §4.9, behaviour 61), which
 * the EDMM calls run before each page, with no enclave lock held: v17's
 * sgx_cgroup_reclaim_direct() first (when should_reclaim(@cg) holds,
 * reclaim at least EPC__NR_TO_SCAN pages from @cg's subtree), then one
 * global batch if fewer than EPC__NR_LOW_PAGES pages are free and something
 * is reclaimable. @cg: the task's cgroup (the root when the controller is
 * off). Return: pages isolated by the two.
 */
unsigned long epc__reclaim_direct(struct epc__reclaimer *r, struct epc_cgroup *cg);

/*
 * One bounded step on behalf of a task on @cpu whose allocation said -EBUSY:
 * one batch from @scope's subtree, the scope the allocation reported
 * (epc__alloc_req.busy_scope), as epc__reclaim_subtree_for(). For faults
 * (DESIGN §3). Return: pages the batch isolated (0: nothing on the scope's
 * LRUs to take).
 */
unsigned long epc__reclaim_step_for(struct epc__reclaimer *r, struct epc_cgroup *scope, int cpu);

/**
 * struct epc__alloc_req - one page allocation on a task's behalf.
 * @cg: the cgroup to charge.
 * @cpu: the calling CPU (its node is tried first).
 * @owner: stored in the page.
 * @reclaim: EPC_DO_RECLAIM / EPC_NO_RECLAIM.
 * @signal: the task's pending-signal flag (NULL: none).
 * @busy_scope: out, on -EBUSY: whose subtree must give way before a retry can
 *	succeed: the level whose misc.max refused the charge (an ancestor of @cg,
 *	or @cg itself), or the root when the EPC is full. Live as long as a task
 *	stays in @cg (the ancestors of a live cgroup are live).
 */
struct epc__alloc_req {
	struct epc_cgroup *cg;
	int cpu;
	void *owner;
	enum epc_reclaim reclaim;
	const _Atomic bool *signal;
	struct epc_cgroup *busy_scope;
};

/**
 * epc__alloc_page() - charge, allocate, reclaim as allowed (kernel-spec §4.5
 * v17, with DESIGN §4.4: reclaim acts on the subtree of the level that refused
 * the charge, and on the whole tree when the EPC is full). The page comes
 * back INUSE, charged to @req->cg.
 * Return: 0; -ENOMEM (nothing reclaimable where room is needed); -EBUSY
 * (NO_RECLAIM; @req->busy_scope says where); -EINTR; -EINVAL (capacity 0).
 */
int epc__alloc_page(struct epc__reclaimer *r, struct epc__alloc_req *req, struct epc_page **out);

/* Uncharge @p's cgroup and give the page to the allocator. */
void epc__free_page(struct epc__reclaimer *r, struct epc_page *p);
/*
 * EREMOVE a page that was valid (INUSE), then epc__free_page(); when EREMOVE
 * fails, the page is leaked with a warning and counted, as the kernel's
 * sgx_encl_free_epc_page() does (its charge stays: the page is still in use).
 */
void epc__free_page_eremove(struct epc__reclaimer *r, struct epc_page *p);

/*
 * How many rounds without a freed page a reclaim loop may take before it gives
 * up: enough for two passes over every LRU (age, then evict), read at the
 * loop's start so that the loop always ends.
 */
unsigned long epc__reclaim_idle_limit(struct epc__reclaimer *r);

/* Pages in LRU/ISOLATED/RELEASING states by the reclaimer's books (for epc__check()). */
uint64_t epc__reclaim_nr_tracked(struct epc__reclaimer *r);
/* Check every LRU: states, cgroups, counts. Quiescent. Return: 0; -EUCLEAN. */
int epc__reclaim_check(struct epc__reclaimer *r);

#endif
