/* SPDX-License-Identifier: MIT */
/*
 * cgroup.h - the misc-cgroup tree with the EPC controller's per-cgroup state.
 *
 * Shape: a root and named children (the kernel's names), addressed by
 * absolute paths ("/a/b"), by (parent, name) or by id.
 * Shape changes (create, remove, reap) and task membership counts are under
 * the tree lock; charging never takes it (misc.h).
 *
 * Removal: a removed cgroup that is still charged, referenced or pinned is
 * "dying": invisible to lookup and to create (a new cgroup may take its
 * name), still linked under its parent so that reclaim walks reach its pages,
 * and freed ("reaped") under the tree lock once its usage is 0, it has no
 * children, no handle references it and no reclaimer pins it. Whoever drops
 * the last of these (uncharge, put, unpin, remove) reaps at once. Nothing but
 * the tree lock holder ever frees a cgroup, so there is no use-after-free
 * race between two threads both seeing the last charge go.
 *
 * Handles: the creates, the lookups (by path, by name under a parent, by
 * id: the index, index.c) and the child listing hand out references (@refs),
 * taken under the tree lock while the cgroup is found in the tree; epc_cgroup_put() drops one. The root is never freed
 * before the tree, so its handles are not counted and its put does nothing.
 * epc__cgroups_destroy() frees every cgroup whatever references are left.
 *
 * Who may touch a cgroup without the tree lock: a charger (its task is in a
 * live cgroup, and the ancestors of a live cgroup are live); an uncharger
 * (its page's charge keeps the cgroup's usage above 0 until its own
 * subtraction, after which it does not touch the cgroup again); a holder of
 * a reference or a pin.
 */
#ifndef EPC_CGROUP_CGROUP_H
#define EPC_CGROUP_CGROUP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "epcmm.h"

#include "cgroup/memcg.h"
#include "cgroup/misc.h"
#include "hw/fault.h"
#include "mm/mm.h"
#include "mm/plist.h"
#include "util/event.h"
#include "util/list.h"
#include "util/lock.h"
#include "util/log.h"

/* A name's bytes at most: the kernel's, what a relative mkdir can pass
 * (PATH_MAX - 1; kernfs sets no NAME_MAX of its own). */
#define EPC__CG_NAME_MAX 4095

struct epc__cgroups;

struct epc_cgroup {
	struct epc__misc_res res; /* counters: misc.h */
	struct epc__misc_res mem; /* backing memory: the same counter (memcg.h) */
	struct epc__memcg memcg;  /* oom events (memcg.h) */

	/* read-only after creation */
	struct epc_cgroup *parent; /* NULL for the root */
	struct epc__cgroups *tree;
	char *name;	 /* "" for the root */
	size_t name_len; /* its bytes, without the NUL */
	uint64_t id;	 /* 1 for the root, then 2, 3, ...; never reused */
	int depth;	 /* root 0 */

	/* tree lock */
	struct epc_cgroup *next_by_id, *next_by_name; /* the index's chains, while live */
	struct epc__list children; /* its children, in creation order (the kernel's) */
	struct epc__list sibling;  /* on its parent's children */
	/*
	 * Children linked below it, dying ones included: written under the tree
	 * lock, read without it by reclaim's leaf fast paths (a reader that
	 * misses a child created meanwhile misses nothing: it has no pages yet).
	 */
	_Atomic int nr_children;
	struct epc_cgroup *next_dying; /* on tree->dying while dead */
	int nr_tasks;
	int nr_members;		  /* ids attached to it (members.c) */
	struct epc__list members; /* their struct epc__member, by @node */
	unsigned subtree;	  /* EPC__CTRL_* enabled in cgroup.subtree_control */
	_Atomic bool dead;	  /* written under the tree lock; read anywhere */
	_Atomic int pins;	  /* epc__cg_pin(): reclaimers holding it */
	_Atomic int refs;	  /* handles given out (epc__cg_get()); not for the root */

	/*
	 * The cgroup's own reclaimable pages (not its descendants'), oldest at
	 * the head of each list: node-blind reclaim (the kernel's, the default)
	 * keeps them all on lru[0]; with epc_config.numa_reclaim a page sits on
	 * lru[its node] (reclaim/reclaim.h). lru_lock protects the lists and the
	 * LRU/ISOLATED transitions of pages whose cg is this one.
	 */
	struct epc__spin lru_lock;
	_Atomic uint64_t nr_lru; /* pages on all its lists, for lockless readers */
	/*
	 * Pages of this cgroup on its LRU or isolated by a reclaimer: one
	 * counter, so "nothing reclaimable here" never misses a page that is
	 * between the LRU and a batch (a page's cg does not change while it is
	 * tracked). Written by the reclaimer, read anywhere.
	 */
	_Atomic uint64_t nr_reclaimable;
	/* after the counters, so that node-blind reclaim's lru[0] shares their line */
	struct epc__plist lru[EPC__MM_MAX_NODES];
	_Atomic uint64_t nr_lru_node[EPC__MM_MAX_NODES]; /* mirror of lru[n].nr */

	/* The fair-iterator cursor (kernel-spec §4.12, next_cg). */
	struct epc__spin iter_lock;
	struct epc_cgroup *next_cg; /* iter_lock; never a reaped cgroup */

	/* Statistics (relaxed atomics; epc_cgroup_get_stats()). */
	_Atomic uint64_t nr_evicted;	   /* EWBs of pages charged here */
	_Atomic uint64_t nr_reloaded;	   /* ELDUs into pages charged here */
	_Atomic uint64_t nr_reclaim_sync;  /* a caller's reclaim rounds over its subtree */
	_Atomic uint64_t nr_reclaim_async; /* its work's (and, for the root, ksgxd's) rounds */
	_Atomic uint64_t nr_work_queued;   /* its background work queued */
	_Atomic uint64_t nr_work_run;	   /* ... and run */
	_Atomic uint64_t nr_augmented;	   /* EDMM: EAUGs of pages charged here */
	_Atomic uint64_t nr_trimmed;	   /* ... EMODTs to trimmed */
	_Atomic uint64_t nr_removed;	   /* ... and pages removed */

	/* The reclaimer's async work for this cgroup (reclaim/workqueue.h):
	 * the flag is atomic, the rest under the workqueue's lock. */
	_Atomic bool work_pending;
	bool work_running;
	struct epc_cgroup *next_work;

	uint64_t check_pages; /* tree lock: epc__cg_check()'s scratch count */
};

/*
 * Membership by id (members.c; epcmm.h "Membership by id"): one cell per id
 * that is attached to a cgroup other than the root, or that tasks follow. A
 * following task reads @gen without a lock at the start of each call and,
 * when it changed, re-reads @cg under the tree lock.
 */
struct epc__member {
	uint64_t id;		  /* read-only */
	struct epc_cgroup *cg;	  /* tree lock; NULL: the root (in no cgroup) */
	_Atomic uint64_t gen;	  /* written under the tree lock when @cg changes */
	int followers;		  /* tree lock: tasks following it */
	struct epc__member *next; /* tree lock: its hash chain */
	struct epc__list node;	  /* tree lock: on @cg's members */
};

/* The controllers cgroup.subtree_control may enable, in the kernel's order. */
enum {
	EPC__CTRL_MEMORY = 1 << 0,
	EPC__CTRL_MISC = 1 << 1,
	EPC__CTRL_ALL = EPC__CTRL_MEMORY | EPC__CTRL_MISC,
};

/* The bucket of id @id in a table of @nr (a power of 2) buckets: Fibonacci
 * hashing, for the tree's tables keyed by an id (index.c, members.c). */
static inline size_t epc__cg_id_bucket(uint64_t id, size_t nr)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (nr - 1);
}

/*
 * The live cgroups by id and by (parent, name) (index.c), under the tree
 * lock: a cgroup is in it from its creation to its removal, so a lookup never
 * finds a dying one.
 */
struct epc__cg_index {
	struct epc_cgroup **by_id;   /* every live cgroup, the root included */
	struct epc_cgroup **by_name; /* every live cgroup but the root */
	size_t nr_buckets;	     /* of each table; a power of 2 */
	size_t nr;		     /* cgroups in it */
	uint64_t seed;		     /* of the name hash; read-only after init */
};

struct epc__cgroups {
	struct epc__mutex lock;	      /* tree shape, nr_tasks, membership, dying list */
	struct epc__cg_index index;   /* lock */
	uint64_t next_id;	      /* lock: the next cgroup's id */
	struct epc__member **members; /* lock: hash of the cells by id */
	size_t nr_member_buckets;     /* lock: a power of 2 (0 before the first cell) */
	size_t nr_cells;	      /* lock */
	struct epc_cgroup *root;
	struct epc_cgroup *dying;  /* lock */
	_Atomic int nr_dying;	   /* written under lock: cgroups on dying */
	uint64_t capacity;	   /* bytes; read-only after init */
	enum epc_cgroup_mode mode; /* read-only after init (epcmm.h) */
	const struct epc__log *log;
	const struct epc__fault *fault; /* read-only; host-allocation faults (may be NULL) */
	/*
	 * The instance's event stream. It lives here because every layer that
	 * emits (cgroups, reclaim, enclaves, the library face) reaches the tree.
	 * Padded into lines of its own: the allocation path reads @events.fn on
	 * every page and must not share a line with the tree lock or the
	 * reclaimer's counters. The pads keep it apart whatever its offset (the
	 * instance itself is allocated at its alignment, a cache line, by
	 * epc_create()).
	 */
	char pad_events_before[EPC__CACHELINE];
	struct epc__events events;
	char pad_events_after[EPC__CACHELINE];
	/* the sgx_epc counters' per-CPU stocks (misc.h): every charge path */
	struct epc__misc_stocks stocks;
	/* called under the lock just before a cgroup is freed (may be NULL) */
	void (*on_free)(struct epc_cgroup *cg, void *arg);
	void *on_free_arg;
};

/* @fault: the instance's fault hook (hw/fault.h), or NULL. Return: 0; -ENOMEM. */
int epc__cgroups_init(struct epc__cgroups *tree, uint64_t capacity, const struct epc__log *log,
		      const struct epc__fault *fault);
/* Frees every cgroup, live or dying. */
void epc__cgroups_destroy(struct epc__cgroups *tree);

int epc__cg_create(struct epc__cgroups *tree, const char *path, struct epc_cgroup **out);
int epc__cg_lookup(struct epc__cgroups *tree, const char *path, struct epc_cgroup **out);
/* Return: as epc_cgroup_create_child(). */
int epc__cg_create_child(struct epc_cgroup *parent, const char *name, struct epc_cgroup **out);
/* Return: as epc_cgroup_child() and epc_cgroup_lookup_id() (NULL args aside). */
int epc__cg_child(struct epc_cgroup *parent, const char *name, struct epc_cgroup **out);
int epc__cg_lookup_id(struct epc__cgroups *tree, uint64_t id, struct epc_cgroup **out);
int epc__cg_remove(struct epc_cgroup *cg);
ssize_t epc__cg_path(struct epc_cgroup *cg, char *buf, size_t len);
/* Its last path component ("" for the root). Return: length; -ENOSPC. */
ssize_t epc__cg_name(struct epc_cgroup *cg, char *buf, size_t len);

/*
 * Up to @cap live children of @cg, in creation order, each with a reference
 * (epc__cg_get()), taken in one pass under the tree lock: a snapshot.
 * Return: the number of live children (may exceed @cap).
 */
size_t epc__cg_list_children(struct epc_cgroup *cg, struct epc_cgroup **out, size_t cap);

/*
 * Up to @cap cgroups of the tree, dying ones included, in pre-order (a
 * parent before its children, siblings in creation order), each with a
 * reference (epc__cg_get()) and its task count, in one pass under the tree
 * lock: a snapshot. Return: how many there are (may exceed @cap).
 */
size_t epc__cg_collect(struct epc__cgroups *tree, struct epc_cgroup **out, int *nr_tasks,
		       size_t cap);

/*
 * Validate @path: absolute, components of any bytes but '/' and '\n' (the
 * kernel's names), 1..EPC__CG_NAME_MAX bytes each, no "." or "..".
 * Return: 0; -EINVAL.
 */
int epc__cg_path_check(const char *path);

/* ---- the index of live cgroups (index.c), under the tree lock ---- */

/* Return: 0; -ENOMEM. */
int epc__cg_index_init(struct epc__cg_index *ix, const struct epc__fault *fault);
void epc__cg_index_destroy(struct epc__cg_index *ix);
void epc__cg_index_add_locked(struct epc__cgroups *tree, struct epc_cgroup *cg);
void epc__cg_index_del_locked(struct epc__cgroups *tree, struct epc_cgroup *cg);
/* @parent's live child @name[0..@len), or NULL. */
struct epc_cgroup *epc__cg_index_child_locked(struct epc_cgroup *parent, const char *name,
					      size_t len);
/* The live cgroup @id, or NULL. */
struct epc_cgroup *epc__cg_index_id_locked(struct epc__cgroups *tree, uint64_t id);

/* By name: epc__cg_file_lookup(), then the file's operation. */
ssize_t epc__cg_read(struct epc_cgroup *cg, const char *file, char *buf, size_t len);
int epc__cg_write(struct epc_cgroup *cg, const char *file, const char *text);

/* ---- the files (files.c): the table of epcmm.h, and its operations ---- */

/* The file of @cg named @name. Return: 0; -ENOENT (none, or not in @cg). */
int epc__cg_file_lookup(struct epc_cgroup *cg, const char *name, enum epc_cgroup_file *out);
/* Does @cg have @file (the table's root flags)? */
bool epc__cg_has_file(const struct epc_cgroup *cg, enum epc_cgroup_file file);
/* Does @cg have a file named @name[0..@len)? */
bool epc__cg_has_file_named(const struct epc_cgroup *cg, const char *name, size_t len);
/* Return: as epc_cgroup_file_read() / epc_cgroup_file_write(). */
ssize_t epc__cg_file_read(struct epc_cgroup *cg, enum epc_cgroup_file file, char *buf, size_t len);
int epc__cg_file_write(struct epc_cgroup *cg, enum epc_cgroup_file file, const char *text);
/* cgroup.procs' number (epc_cgroup_procs_parse()). Return: 0; -EINVAL. */
int epc__cg_procs_parse(const char *text, int *id);
/* The table's entry for @file (< EPC_CGF_NR). */
const struct epc_cftype *epc__cg_file_type(enum epc_cgroup_file file);

/* ---- membership by id (members.c) ---- */

/* Return: 0; -ENODEV @cg is removed; -ENOMEM. */
int epc__cg_attach_id(struct epc_cgroup *cg, uint64_t id);
/* The cgroup of @id (the root if none), with a reference. */
struct epc_cgroup *epc__cg_member_get(struct epc__cgroups *tree, uint64_t id);
/* Return: 0; -ENOENT @id was in no cgroup. */
int epc__cg_member_forget(struct epc__cgroups *tree, uint64_t id);
/* Up to @cap ids attached to @cg, ascending. Return: how many there are. */
size_t epc__cg_list_members(struct epc_cgroup *cg, uint64_t *ids, size_t cap);
/* Whether an id is attached to @cg or below it (cgroup.events "populated"). */
bool epc__cg_populated(struct epc_cgroup *cg);
/* The cell of @id with one more follower (made if need be). Return: NULL: -ENOMEM. */
struct epc__member *epc__cg_member_follow(struct epc__cgroups *tree, uint64_t id);
/* One follower fewer; the cell goes with the last when @id is in no cgroup. */
void epc__cg_member_unfollow(struct epc__cgroups *tree, struct epc__member *m);
/* @m's cgroup (the root if none), with a reference, and the @gen it goes with. */
struct epc_cgroup *epc__cg_member_current(struct epc__cgroups *tree, struct epc__member *m,
					  uint64_t *gen);
/* Free every cell (epc__cgroups_destroy()). */
void epc__cg_members_destroy(struct epc__cgroups *tree);

/* Task membership. Return: 0; -EINVAL when @cg is dead. */
int epc__cg_task_attach(struct epc_cgroup *cg);
void epc__cg_task_detach(struct epc_cgroup *cg);
/* Atomically move one task's membership. Return: 0; -EINVAL (@to dead). */
int epc__cg_task_move(struct epc_cgroup *from, struct epc_cgroup *to);

/*
 * The cgroup an EPC page of a task in @cg is charged to and listed under:
 * @cg, or the root when the EPC controller is off (enum epc_cgroup_mode).
 */
struct epc_cgroup *epc__cg_epc_owner(struct epc_cgroup *cg);

/*
 * @cg's sgx_epc usage (self and subtree), in bytes: exact, its counter minus
 * the stocks below it (misc.h), at one instant; it takes the stocks'
 * transfer lock, so it is for readers, not for every charge.
 */
uint64_t epc__cg_usage(struct epc_cgroup *cg);

/* An upper bound of epc__cg_usage() (stocked pages included), one relaxed load. */
static inline uint64_t epc__cg_usage_upper(struct epc_cgroup *cg)
{
	return (uint64_t)atomic_load_explicit(&cg->res.usage, memory_order_relaxed);
}

/* @cg's own limit, in bytes (a racy read). */
static inline uint64_t epc__cg_max(struct epc_cgroup *cg)
{
	return atomic_load_explicit(&cg->res.max, memory_order_relaxed);
}

/*
 * The cgroup view of the counters (misc.h): charge or uncharge resource
 * @type of @cg; @failed is the cgroup whose level refused.
 */
int epc__cg_res_try_charge(struct epc_cgroup *cg, enum epc__res_type type, uint64_t capacity,
			   uint64_t amount, struct epc_cgroup **failed, uint64_t *min_max,
			   bool *over_capacity);
bool epc__cg_res_uncharge(struct epc_cgroup *cg, enum epc__res_type type, uint64_t amount,
			  const struct epc__log *log);

/*
 * Charge/uncharge one page (EPC_PAGE_SIZE bytes); the out-parameters as
 * misc.h says. With the controller compiled out (EPC_CGROUP_NONE) both do
 * nothing and a charge always succeeds.
 */
int epc__cg_try_charge_page(struct epc_cgroup *cg, struct epc_cgroup **failed, uint64_t *min_max,
			    bool *over_capacity);
void epc__cg_uncharge_page(struct epc_cgroup *cg);
/*
 * The same from CPU @cpu's stock (misc.h): the allocation path's charge, and
 * the uncharge of a page allocated on @cpu. @cpu < 0: no stock.
 */
int epc__cg_try_charge_page_cpu(struct epc_cgroup *cg, int cpu, struct epc_cgroup **failed,
				uint64_t *min_max, bool *over_capacity);
void epc__cg_uncharge_page_cpu(struct epc_cgroup *cg, int cpu);
/* @nr pages at once (one walk up the tree). */
void epc__cg_uncharge_pages(struct epc_cgroup *cg, unsigned nr);

/*
 * Charge/uncharge @bytes of backing memory (memcg.h) at @cg and up. On
 * -EBUSY, *@failed (if non-NULL) is the level whose memory.max refused; its
 * "max" event is counted.
 */
int epc__cg_try_charge_mem(struct epc_cgroup *cg, uint64_t bytes, struct epc_cgroup **failed);
void epc__cg_uncharge_mem(struct epc_cgroup *cg, uint64_t bytes);

/*
 * A handle's reference: keeps a dying cgroup from being reaped, as a pin
 * does. Put: Return 0; -EINVAL when @cg holds no reference (a put too many;
 * nothing changes). The root: nothing is counted, put returns 0.
 */
void epc__cg_get(struct epc_cgroup *cg);
int epc__cg_put(struct epc_cgroup *cg);

/* Pins keep a dying cgroup from being reaped (not from dying). */
void epc__cg_pin(struct epc_cgroup *cg);
void epc__cg_unpin(struct epc_cgroup *cg);

/* Free dying cgroups whose last charge and pin went. Takes the tree lock. */
void epc__cg_reap(struct epc__cgroups *tree);

/*
 * Pre-order walk of @root's subtree, dying cgroups included. Tree lock held.
 * Return: the next cgroup after @pos, or NULL at the end.
 */
struct epc_cgroup *epc__cg_next_pre_locked(struct epc_cgroup *root, struct epc_cgroup *pos);

/* The tightest limit from @cg up to the root, in bytes (U64_MAX: none). */
uint64_t epc__cg_effective_max(struct epc_cgroup *cg);

/*
 * The charge books (DESIGN-NOTES "Stocks"): for every cgroup, its sgx_epc
 * counter equals the pages of @mm charged in its subtree (a page's @cg) plus
 * the stocks' pages below it; the stocks' own invariants hold. Quiescent
 * callers; nothing to check with the controller compiled out.
 * Return: 0; -EUCLEAN (logged).
 */
int epc__cg_check(struct epc__cgroups *tree, struct epc__mm *mm);

#endif
