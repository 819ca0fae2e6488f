// SPDX-License-Identifier: MIT
/*
 * snapshot.c - the library face's one structured snapshot (epc_snapshot_take()):
 * nodes, cgroups with their parent, enclaves and tasks, for every reader.
 *
 * Each part is collected in one pass under its own lock (the tree lock, the
 * enclave layer's, the task list's), never two at once, and the counters are
 * read afterwards without any: a snapshot never holds up charging for longer
 * than a listing does. Cgroups are held by a reference from the pass on, so
 * their handles, names and counters stay readable however others remove them
 * (a name never changes); paths are built from the names by a reader.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encl/encl.h"
#include "epc.h"
#include "util/api.h"

/* Room for this many more entries than counted: a list may grow between the count and the pass. */
#define SNAP_SLACK 16

/* What epc_snapshot_take() allocates: the public struct and what it points at. */
struct snap {
	struct epc_snapshot pub;
	struct epc_stats stats;
	struct epc_snapshot_node *nodes;
	struct epc_snapshot_cgroup *cgroups;
	struct epc_snapshot_encl *encls;
	struct epc_snapshot_task *tasks;
};

/* A cgroup's index, found by its handle (sorted by address). */
struct cg_index {
	const struct epc_cgroup *cg;
	int32_t idx;
};

static int cg_index_cmp(const void *a, const void *b)
{
	const struct cg_index *x = a, *y = b;

	return (x->cg > y->cg) - (x->cg < y->cg);
}

static int32_t cg_index_of(const struct cg_index *map, size_t nr, const struct epc_cgroup *cg)
{
	struct cg_index key = {.cg = cg};
	const struct cg_index *hit = bsearch(&key, map, nr, sizeof(*map), cg_index_cmp);

	return hit ? hit->idx : -1;
}

static int take_nodes(struct epc *epc, struct snap *s)
{
	int nr = epc->mm.nr_nodes;

	s->nodes = epc__host_calloc(&epc->hw.fault, (size_t)nr, sizeof(*s->nodes));
	if (!s->nodes)
		return -ENOMEM;
	for (int n = 0; n < nr; n++) {
		struct epc_node_stats ns;

		epc_node_get_stats(epc, n, &ns, sizeof(ns));
		s->nodes[n] = (struct epc_snapshot_node){
			.node = n,
			.has_epc = ns.has_epc,
			.nr_total = ns.nr_total,
			.nr_free = ns.nr_free,
			.nr_poisoned = ns.nr_poisoned,
			.nr_alloc_local = ns.nr_alloc_local,
			.nr_alloc_remote = ns.nr_alloc_remote,
			.nr_alloc_away = ns.nr_alloc_away,
		};
	}
	s->pub.nr_nodes = (size_t)nr;
	return 0;
}

/* The tree in one pass: handles (referenced) and task counts. Return: 0; -ENOMEM. */
static int collect_cgroups(struct epc *epc, struct epc_cgroup ***cgs, int **nr_tasks, size_t *nr)
{
	size_t cap = epc__cg_collect(&epc->cgroups, NULL, NULL, 0) + SNAP_SLACK;

	for (;;) {
		*cgs = epc__host_calloc(&epc->hw.fault, cap, sizeof(**cgs));
		*nr_tasks = epc__host_calloc(&epc->hw.fault, cap, sizeof(**nr_tasks));
		if (!*cgs || !*nr_tasks) {
			free(*cgs);
			free(*nr_tasks);
			return -ENOMEM;
		}
		*nr = epc__cg_collect(&epc->cgroups, *cgs, *nr_tasks, cap);
		if (*nr <= cap)
			return 0;
		for (size_t i = 0; i < cap; i++)
			epc__cg_put((*cgs)[i]);
		free(*cgs);
		free(*nr_tasks);
		cap = *nr + SNAP_SLACK;
	}
}

/* One cgroup's entry; @depth_last[d] is the index of the last cgroup seen at depth d. */
static void fill_cgroup(struct epc_snapshot_cgroup *o, struct epc_cgroup *cg, int nr_tasks,
			const int32_t *depth_last)
{
	struct epc_cgroup_stats st;

	epc_cgroup_get_stats(cg, &st, sizeof(st));
	*o = (struct epc_snapshot_cgroup){
		.cg = cg,
		.name = cg->name,
		.parent = cg->parent ? depth_last[cg->depth - 1] : -1,
		.depth = cg->depth,
		.dying = atomic_load(&cg->dead),
		.nr_tasks = nr_tasks > 0 ? (uint32_t)nr_tasks : 0,
		.nr_members = (uint32_t)epc__cg_list_members(cg, NULL, 0),
		.current = st.current,
		.peak = st.peak,
		.max = st.max,
		.events = st.events,
		.events_local = st.events_local,
		.nr_lru = st.nr_lru,
		.nr_evicted = st.nr_evicted,
		.nr_reloaded = st.nr_reloaded,
		.mem_current = (uint64_t)atomic_load(&cg->mem.usage),
		.mem_peak = atomic_load(&cg->mem.peak),
		.mem_max = atomic_load(&cg->mem.max),
	};
}

static int take_cgroups(struct epc *epc, struct snap *s, struct cg_index **map)
{
	struct epc_cgroup **cgs;
	int32_t *depth_last;
	int *nr_tasks;
	size_t nr;
	int ret = collect_cgroups(epc, &cgs, &nr_tasks, &nr);

	if (ret)
		return ret;
	s->cgroups = epc__host_calloc(&epc->hw.fault, nr, sizeof(*s->cgroups));
	*map = epc__host_calloc(&epc->hw.fault, nr, sizeof(**map));
	/* the deepest cgroup is at most nr - 1 below the root */
	depth_last = epc__host_calloc(&epc->hw.fault, nr, sizeof(*depth_last));
	ret = -ENOMEM;
	for (size_t i = 0; s->cgroups && *map && depth_last && i < nr; i++) {
		fill_cgroup(&s->cgroups[i], cgs[i], nr_tasks[i], depth_last);
		depth_last[cgs[i]->depth] = (int32_t)i;
		(*map)[i] = (struct cg_index){.cg = cgs[i], .idx = (int32_t)i};
		s->pub.nr_cgroups = i + 1;
		ret = 0;
	}
	if (!ret && s->pub.nr_cgroups == nr)
		qsort(*map, nr, sizeof(**map), cg_index_cmp);
	else
		ret = -ENOMEM;
	/* the references filled in are the snapshot's now; put the rest */
	for (size_t i = s->pub.nr_cgroups; i < nr; i++)
		epc__cg_put(cgs[i]);
	free(depth_last);
	free(nr_tasks);
	free(cgs);
	return ret;
}

static int take_encls(struct epc *epc, struct snap *s, const struct cg_index *map)
{
	size_t cap = epc__encl_collect(&epc->encl, NULL, 0) + SNAP_SLACK, nr;
	struct epc__encl_brief *b;

	for (;;) {
		b = epc__host_calloc(&epc->hw.fault, cap, sizeof(*b));
		if (!b)
			return -ENOMEM;
		nr = epc__encl_collect(&epc->encl, b, cap);
		if (nr <= cap)
			break;
		free(b);
		cap = nr + SNAP_SLACK;
	}
	s->encls = epc__host_calloc(&epc->hw.fault, nr ? nr : 1, sizeof(*s->encls));
	if (!s->encls) {
		free(b);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nr; i++)
		s->encls[i] = (struct epc_snapshot_encl){
			.id = b[i].id,
			.cgroup = cg_index_of(map, s->pub.nr_cgroups, b[i].cg),
			.size = b[i].size,
			.nr_pages = b[i].nr_pages,
			.nr_resident = b[i].nr_resident,
			.nr_faults = b[i].nr_faults,
			.nr_evicted = b[i].nr_evicted,
			.nr_reloaded = b[i].nr_reloaded,
			.nr_accesses = b[i].nr_accesses,
		};
	s->pub.nr_encls = nr;
	free(b);
	return 0;
}

/* The tasks in one pass; @follows[n] the id task n follows, 0 for none. */
static size_t tasks_fill_locked(struct epc *epc, struct snap *s, const struct cg_index *map,
				uint64_t *follows, size_t cap)
{
	struct epc_task *t;
	size_t n = 0;

	epc__assert_mutex_held(&epc->objs_lock);
	epc__list_for_each(t, &epc->tasks, node)
	{
		if (n < cap) {
			s->tasks[n] = (struct epc_snapshot_task){
				.id = t->id,
				.cgroup = cg_index_of(map, s->pub.nr_cgroups, t->cg),
				.cpu = t->cpu,
				.node = epc__task_node(t),
			};
			follows[n] = t->follow ? t->follow->id : 0; /* set under objs_lock */
		}
		n++;
	}
	return n;
}

/* A following task's cgroup is its id's now, which its own may not be yet (a
 * task catches up at its next call): the snapshot says where that call runs. */
static void tasks_follow(struct epc *epc, struct snap *s, const struct cg_index *map,
			 const uint64_t *follows)
{
	for (size_t n = 0; n < s->pub.nr_tasks; n++) {
		struct epc_cgroup *cg;

		if (!follows[n])
			continue;
		cg = epc__cg_member_get(&epc->cgroups, follows[n]);
		s->tasks[n].cgroup = cg_index_of(map, s->pub.nr_cgroups, cg);
		epc__cg_put(cg);
	}
}

static int take_tasks(struct epc *epc, struct snap *s, const struct cg_index *map)
{
	size_t cap = SNAP_SLACK, nr;
	uint64_t *follows;

	for (;;) {
		s->tasks = epc__host_calloc(&epc->hw.fault, cap, sizeof(*s->tasks));
		follows = epc__host_calloc(&epc->hw.fault, cap, sizeof(*follows));
		if (!s->tasks || !follows) {
			free(follows);
			return -ENOMEM;
		}
		epc__mutex_lock(&epc->objs_lock);
		nr = tasks_fill_locked(epc, s, map, follows, cap);
		epc__mutex_unlock(&epc->objs_lock);
		if (nr <= cap)
			break;
		free(s->tasks);
		free(follows);
		cap = nr + SNAP_SLACK;
	}
	s->pub.nr_tasks = nr;
	tasks_follow(epc, s, map, follows);
	free(follows);
	return 0;
}

/* Cgroup @i's name: its own, or names[@i]. */
static const char *snap_name(const struct epc_snapshot *s, size_t i, const char *const *names)
{
	return names ? names[i] : EPC_SNAPSHOT_CGROUP(s, i)->name;
}

/* The length of cgroup @i's path; -EINVAL a NULL name up the way. */
static ssize_t snap_path_len(const struct epc_snapshot *s, size_t i, const char *const *names)
{
	size_t n = 0;

	for (int32_t j = (int32_t)i; EPC_SNAPSHOT_CGROUP(s, j)->parent >= 0;
	     j = EPC_SNAPSHOT_CGROUP(s, j)->parent) {
		const char *name = snap_name(s, (size_t)j, names);

		if (!name)
			return -EINVAL;
		n += 1 + strlen(name);
	}
	return n ? (ssize_t)n : 1; /* the root's "/" */
}

EPC_API ssize_t epc_snapshot_path(const struct epc_snapshot *s, size_t i, const char *const *names,
				  char *buf, size_t len)
{
	const char *why = !s		       ? "NULL s"
			  : i >= s->nr_cgroups ? "no such cgroup"
			  : !buf && len	       ? "NULL buf"
					       : NULL;
	ssize_t n = why ? -EINVAL : snap_path_len(s, i, names);
	size_t at = n > 0 ? (size_t)n : 0;

	if (n < 0) {
		epc__log(NULL, LOG_ERR, "snapshot path: %s: %s", why ? why : "a NULL name",
			 strerror(EINVAL));
		return n;
	}
	if (at >= len)
		return n;
	buf[at] = '\0';
	buf[0] = '/';
	for (int32_t j = (int32_t)i; EPC_SNAPSHOT_CGROUP(s, j)->parent >= 0;
	     j = EPC_SNAPSHOT_CGROUP(s, j)->parent) {
		const char *name = snap_name(s, (size_t)j, names);
		size_t l = strlen(name);

		at -= l;
		memcpy(buf + at, name, l);
		buf[--at] = '/';
	}
	return n;
}

EPC_API void epc_snapshot_free(struct epc_snapshot *pub)
{
	struct snap *s = (struct snap *)pub;

	if (!s)
		return;
	for (size_t i = 0; i < s->pub.nr_cgroups; i++)
		epc__cg_put(s->cgroups[i].cg);
	free(s->cgroups);
	free(s->nodes);
	free(s->encls);
	free(s->tasks);
	free(s);
}

EPC_API int epc_snapshot_take(struct epc *epc, struct epc_snapshot **out)
{
	struct cg_index *map = NULL;
	struct snap *s;
	int ret;

	if (!epc || !out) {
		epc__log(epc ? &epc->log : NULL, LOG_ERR, "snapshot: NULL %s: %s",
			 epc ? "out" : "epc", strerror(EINVAL));
		return -EINVAL;
	}
	s = epc__host_calloc(&epc->hw.fault, 1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->pub = (struct epc_snapshot){
		.size = sizeof(struct epc_snapshot),
		.node_size = sizeof(struct epc_snapshot_node),
		.cgroup_size = sizeof(struct epc_snapshot_cgroup),
		.encl_size = sizeof(struct epc_snapshot_encl),
		.task_size = sizeof(struct epc_snapshot_task),
		.stats_size = sizeof(struct epc_stats),
		.stats = &s->stats,
	};
	epc_get_stats2(epc, &s->stats, sizeof(s->stats));
	ret = take_nodes(epc, s);
	if (!ret)
		ret = take_cgroups(epc, s, &map);
	if (!ret)
		ret = take_encls(epc, s, map);
	if (!ret)
		ret = take_tasks(epc, s, map);
	free(map);
	if (ret) {
		epc__log(&epc->log, LOG_ERR, "snapshot: no host memory for it: %s", strerror(-ret));
		epc_snapshot_free(&s->pub);
		return ret;
	}
	s->pub.nodes = s->nodes;
	s->pub.cgroups = s->cgroups;
	s->pub.encls = s->encls;
	s->pub.tasks = s->tasks;
	*out = &s->pub;
	return 0;
}
