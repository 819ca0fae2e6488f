/* SPDX-License-Identifier: MIT */
/*
 * epc.h - struct epc and struct epc_task: what one instance is made of, and
 * the internal calls tests use (the invariant checker, fault injection).
 * Everything hangs off struct epc; there is no global state.
 */
#ifndef EPC_EPC_H
#define EPC_EPC_H

#include "epcmm.h"

#include "cgroup/cgroup.h"
#include "encl/encl.h"
#include "hw/hw.h"
#include "mm/mm.h"
#include "reclaim/reclaim.h"
#include "util/lock.h"
#include "util/log.h"

struct epc_task {
	struct epc *epc; /* read-only */
	uint64_t id;	 /* read-only: unique within the epc, never reused */
	/* written by the owner thread under epc->objs_lock (listings read it under
	 * the lock; the owner reads it without); membership counted in the tree */
	struct epc_cgroup *cg;
	int cpu;		      /* owner thread */
	_Atomic bool signal;	      /* set by anyone, read by reclaim loops */
	struct epc_task *next, *prev; /* epc->objs_lock */
};

struct epc {
	struct epc__log log;	  /* read-only */
	enum epc_background mode; /* read-only */
	bool no_contents;	  /* read-only */
	struct epc__hw hw;
	struct epc__mm mm;
	struct epc__cgroups cgroups;
	struct epc__reclaimer reclaim;

	struct epc__encl_layer encl;

	struct epc__mutex objs_lock; /* the task list, next_task_id, tasks' cg */
	struct epc_task *tasks;
	uint64_t next_task_id;
};

/* ---- internal API for tests and benchmarks ---- */

/*
 * epc__check() - run every layer's invariant checker. Quiescent callers only
 * (no call into @epc in flight, background work idle). Return: 0; -EUCLEAN
 * (a log line names the first violation); -ENOMEM.
 */
int epc__check(struct epc *epc);

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
 * Refuse a handle of another instance used with @epc's (a task of @epc with
 * another's cgroup or enclave): a LOG_ERR line naming @call and @what.
 * Return: -EINVAL.
 */
int epc__refuse_foreign(struct epc *epc, const char *call, const char *what);

/* Page index of @p, and the page at index @idx. */
uint64_t epc__page_index(struct epc *epc, const struct epc_page *p);
struct epc_page *epc__page_at(struct epc *epc, uint64_t idx);

#endif
