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
	epc__cg_task_detach(t->cg);
}

int epc__task_move_membership(struct epc_task *t, struct epc_cgroup *cg)
{
	if (cg->tree != t->reclaim->cgroups)
		return -EINVAL;
	return epc__cg_task_move(t->cg, cg);
}
