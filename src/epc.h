/* SPDX-License-Identifier: MIT */
/*
 * epc.h - struct epc: what one instance is made of, and the internal calls
 * tests use (the invariant checker, fault injection). Everything hangs off
 * struct epc; there is no global state. The library face's own header: no
 * layer below it includes this (scripts/check-layers.sh). struct epc_task
 * is the task module's (task/task.h); the face keeps the list of tasks.
 */
#ifndef EPC_EPC_H
#define EPC_EPC_H

#include <assert.h>

#include "epcmm.h"

#include "cgroup/cgroup.h"
#include "encl/encl.h"
#include "hw/hw.h"
#include "mm/mm.h"
#include "reclaim/reclaim.h"
#include "task/task.h"
#include "util/lock.h"
#include "util/log.h"

struct epc {
	struct epc__log log;	  /* read-only */
	enum epc_background mode; /* read-only */
	struct epc__hw hw;
	struct epc__mm mm;
	struct epc__cgroups cgroups;
	struct epc__reclaimer reclaim;

	struct epc__encl_layer encl;

	/* the task list (tasks' next and prev), next_task_id, tasks' cg */
	struct epc__mutex objs_lock;
	struct epc__list tasks; /* objs_lock */
	uint64_t next_task_id;
};

/* ---- internal API for tests and benchmarks ---- */

/*
 * epc__check() - run every layer's invariant checker. Quiescent callers only
 * (no call into @epc in flight, background work idle). Return: 0; -EUCLEAN
 * (a log line names the first violation); -ENOMEM.
 */
int epc__check(struct epc *epc);

/*
 * epc__quiesce() - THREADS mode: wait until ksgxd and the cgroup workers are
 * idle (epc__reclaim_wait_idle()), so that epc__check() and counters can be
 * read with nothing moving. The caller makes sure no call into @epc is in
 * flight (its own threads joined), so nothing wakes them again.
 */
void epc__quiesce(struct epc *epc);

/* Install (or with @fn NULL, remove) the fault-injection hook (hw/fault.h). */
void epc__fault_set(struct epc *epc, epc__fault_fn fn, void *arg);

/*
 * epc_create() with the fault-injection hook installed from its first host
 * allocation on, so that tests can fail each step of building an instance
 * (hw/fault.h: EPC__FAULT_HOST_ALLOC, EPC__FAULT_RANDOM). On success the hook
 * stays installed, as if set with epc__fault_set(). Same returns as
 * epc_create(). Tests only; epc_create() is this with @fn NULL.
 */
int epc__create_with_fault(const struct epc_config *cfg, epc__fault_fn fn, void *arg,
			   struct epc **out);

/*
 * Page index of @p, and the page at index @idx (NULL past the end): the mm's
 * page records (mm/mm.h), for tests.
 */
static inline uint64_t epc__page_index(struct epc *epc, const struct epc_page *p)
{
	return epc__mm_page_index(&epc->mm, p);
}

/* @idx < the instance's page count (a test's own bound: not checked in release). */
static inline struct epc_page *epc__page_at(struct epc *epc, uint64_t idx)
{
	assert(idx < epc->mm.nr_pages);
	return &epc->mm.pages[idx];
}

#endif
