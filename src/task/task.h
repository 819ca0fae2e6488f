/* SPDX-License-Identifier: MIT */
/*
 * task.h - what a task is to the layers below the library face: the
 * user-space stand-in for the kernel's `current` (DESIGN §1): a cgroup to
 * charge, a CPU whose node is tried first, and a pending-signal flag that
 * makes reclaim loops give up with -EINTR.
 *
 * Why a module of its own, between the reclaimer and the enclaves: the
 * enclave layer allocates EPC pages on a task's behalf and must read these
 * three things, but the task's lifecycle (its id, the instance's list of
 * tasks, the public calls and their log lines) is the library face's. The
 * struct is defined here, below both, so the enclaves read a task without
 * including the face's epc.h; the face creates, lists and destroys tasks
 * and owns the fields marked "face". Nothing here logs: the face names
 * what was wrong.
 *
 * A task belongs to one instance: @reclaim is that instance's reclaimer (the
 * one its pages come from), so two handles are of the same instance when
 * they point at the same reclaimer (the enclave layer's check).
 *
 * Locking: one thread uses a task at a time (DESIGN §3), its owner; @cg and
 * @cpu are written by the owner thread only, @cg atomically, so that listings
 * read it under the face's list lock while the owner reads it without.
 * @signal is set by anyone and read by reclaim loops.
 *
 * Following an id (epcmm.h "Membership by id"): every call that takes a task
 * starts with epc__task_sync(), one load of the followed cell's @gen; when an
 * attach moved the id since, the task re-reads its cgroup under the tree
 * lock (epc__task_resync()). No lock is taken otherwise.
 */
#ifndef EPC_TASK_TASK_H
#define EPC_TASK_TASK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/list.h"
#include "cgroup/cgroup.h"
#include "reclaim/reclaim.h"

struct epc_task {
	struct epc__reclaimer *reclaim; /* read-only: the instance's (see above) */
	uint64_t id;			/* read-only: unique within the instance, never reused */
	/* Owner thread (atomic: listings read it): a member of it, or, while
	 * @follow is set, a holder of a reference on it (cgroup.h). */
	struct epc_cgroup *_Atomic cg;
	struct epc__member *follow; /* owner thread: the id it follows, or NULL */
	uint64_t follow_gen;	    /* owner thread: @follow's gen when @cg was read */
	_Atomic int cpu;	    /* owner thread (atomic: snapshots read it): 0 .. nr_cpus - 1 */
	_Atomic bool signal;		/* set by anyone, read by reclaim loops */
	struct epc__list node;		/* face: on its task list, under its list lock */
};

/*
 * Make zeroed @t a task of @r's instance in @cg (counted as one more member
 * of it) on @cpu, with no signal pending; @id and the list links are the
 * face's to set. Return: 0; -EINVAL @cpu is out of range, @cg is another
 * instance's, or @cg is removed (nothing is changed).
 */
int epc__task_init(struct epc_task *t, struct epc__reclaimer *r, struct epc_cgroup *cg, int cpu);
/* Undo epc__task_init(): @t is no longer a member of its cgroup. */
void epc__task_fini(struct epc_task *t);

/* Is @cpu one of the instance's CPUs? */
static inline bool epc__task_cpu_valid(const struct epc__reclaimer *r, int cpu)
{
	return cpu >= 0 && cpu < r->mm->nr_cpus;
}

/*
 * Move @t's membership to @cg (charges stay where they are). The caller
 * then stores @cg in @t->cg, under its list lock. Return: 0; -EINVAL @cg is
 * another instance's or removed, or @t follows an id (nothing is changed).
 */
int epc__task_move_membership(struct epc_task *t, struct epc_cgroup *cg);

/*
 * Follow @id (0: stop, and become a member of the cgroup @t is in then, or
 * of the root if that one was removed). Return: 0; -ENOMEM.
 */
int epc__task_follow(struct epc_task *t, uint64_t id);
/* @t's followed id moved: take its cgroup now. */
void epc__task_resync(struct epc_task *t);

/* Bring a following task's cgroup up to date: at the start of every call
 * that takes a task. */
static inline void epc__task_sync(struct epc_task *t)
{
	if (t->follow &&
	    atomic_load_explicit(&t->follow->gen, memory_order_acquire) != t->follow_gen)
		epc__task_resync(t);
}

/* The node of @t's CPU. */
static inline int epc__task_node(const struct epc_task *t)
{
	return t->reclaim->mm->cpu_to_node[t->cpu];
}

/*
 * An allocation on @t's behalf (struct epc__alloc_req): charged to its
 * cgroup, from its CPU's node first, given up on its signal. Inline: it is
 * on every fault.
 */
static inline struct epc__alloc_req epc__task_alloc_req(struct epc_task *t, void *owner,
							enum epc_reclaim reclaim)
{
	return (struct epc__alloc_req){
		.cg = t->cg,
		.cpu = t->cpu,
		.owner = owner,
		.reclaim = reclaim,
		.signal = &t->signal,
	};
}

#endif
