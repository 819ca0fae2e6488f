// SPDX-License-Identifier: MIT
/*
 * task.c - a task's membership of its cgroup (task.h).
 */
#include "task/task.h"

#include <errno.h>

int epc__task_init(struct epc_task *t, struct epc__reclaimer *r, struct epc_cgroup *cg, int cpu)
{
	int ret;

	if (!epc__task_cpu_valid(r, cpu) || cg->tree != r->cgroups)
		return -EINVAL;
	ret = epc__cg_task_attach(cg);
	if (ret)
		return ret;
	t->reclaim = r;
	t->cg = cg;
	t->cpu = cpu;
	atomic_init(&t->signal, false);
	return 0;
}

void epc__task_fini(struct epc_task *t)
{
	if (t->follow) {
		epc__cg_member_unfollow(t->reclaim->cgroups, t->follow);
		epc__cg_put(t->cg);
	} else {
		epc__cg_task_detach(t->cg);
	}
}

int epc__task_move_membership(struct epc_task *t, struct epc_cgroup *cg)
{
	if (cg->tree != t->reclaim->cgroups || t->follow)
		return -EINVAL;
	return epc__cg_task_move(t->cg, cg);
}

void epc__task_resync(struct epc_task *t)
{
	struct epc_cgroup *old = t->cg;

	t->cg = epc__cg_member_current(t->reclaim->cgroups, t->follow, &t->follow_gen);
	epc__cg_put(old); /* after: it may reap, which takes the tree lock */
}

/* Stop following: a member of the cgroup it is in, or of the root. */
static void task_unfollow(struct epc_task *t)
{
	struct epc__cgroups *tree = t->reclaim->cgroups;
	struct epc_cgroup *held = t->cg, *cg = held;

	if (epc__cg_task_attach(cg)) /* removed since */
		epc__cg_task_attach(cg = tree->root);
	t->cg = cg;
	epc__cg_member_unfollow(tree, t->follow);
	t->follow = NULL;
	epc__cg_put(held); /* the follower's reference */
}

int epc__task_follow(struct epc_task *t, uint64_t id)
{
	struct epc__cgroups *tree = t->reclaim->cgroups;
	struct epc__member *m;

	if (!id) {
		if (t->follow)
			task_unfollow(t);
		return 0;
	}
	m = epc__cg_member_follow(tree, id);
	if (!m)
		return -ENOMEM;
	if (t->follow) {
		epc__cg_member_unfollow(tree, t->follow);
	} else {
		/* a member no more: a holder of a reference, until the resync */
		epc__cg_get(t->cg);
		epc__cg_task_detach(t->cg);
	}
	t->follow = m;
	epc__task_resync(t);
	return 0;
}
