// SPDX-License-Identifier: MIT
/*
 * members.c - membership by id (cgroup.h, struct epc__member; epcmm.h
 * "Membership by id"): which cgroup each id is attached to, in a hash of
 * cells under the tree lock, and the cells that following tasks read.
 *
 * A cell exists while its id is attached below the root or a task follows
 * it. Attaching moves the cell between cgroups' member lists and bumps
 * @gen, which is all a following task looks at on its hot path.
 */
#include <errno.h>
#include <stdlib.h>

#include "cgroup/cgroup.h"

#define MEMBERS_HASH_MIN 64 /* buckets of the first table; a power of 2 */

static struct epc__member *find_locked(struct epc__cgroups *tree, uint64_t id)
{
	struct epc__member *m;

	epc__assert_mutex_held(&tree->lock);
	if (!tree->nr_member_buckets)
		return NULL;
	for (m = tree->members[epc__cg_id_bucket(id, tree->nr_member_buckets)]; m; m = m->next)
		if (m->id == id)
			return m;
	return NULL;
}

/* Double the table once it holds as many cells as buckets; a failed
 * allocation keeps the old one (longer chains, still right). Return: 0;
 * -ENOMEM only when there is no table at all. */
static int grow_locked(struct epc__cgroups *tree)
{
	size_t nr = tree->nr_member_buckets ? 2 * tree->nr_member_buckets : MEMBERS_HASH_MIN;
	struct epc__member **b;

	if (tree->nr_member_buckets && tree->nr_cells < tree->nr_member_buckets)
		return 0;
	b = epc__host_calloc(tree->fault, nr, sizeof(*b));
	if (!b)
		return tree->nr_member_buckets ? 0 : -ENOMEM;
	for (size_t i = 0; i < tree->nr_member_buckets; i++)
		for (struct epc__member *m = tree->members[i], *next; m; m = next) {
			size_t k = epc__cg_id_bucket(m->id, nr);

			next = m->next;
			m->next = b[k];
			b[k] = m;
		}
	free(tree->members);
	tree->members = b;
	tree->nr_member_buckets = nr;
	return 0;
}

/* The cell of @id, made (in no cgroup) if there is none. NULL: -ENOMEM. */
static struct epc__member *get_cell_locked(struct epc__cgroups *tree, uint64_t id)
{
	struct epc__member *m = find_locked(tree, id);
	size_t k;

	if (m)
		return m;
	if (grow_locked(tree))
		return NULL;
	m = epc__host_calloc(tree->fault, 1, sizeof(*m));
	if (!m)
		return NULL;
	m->id = id;
	atomic_init(&m->gen, 0);
	epc__list_init(&m->node);
	k = epc__cg_id_bucket(id, tree->nr_member_buckets);
	m->next = tree->members[k];
	tree->members[k] = m;
	tree->nr_cells++;
	return m;
}

/* Free @m if nothing keeps it: in no cgroup and followed by no task. */
static void put_cell_locked(struct epc__cgroups *tree, struct epc__member *m)
{
	struct epc__member **pp;

	if (m->cg || m->followers)
		return;
	for (pp = &tree->members[epc__cg_id_bucket(m->id, tree->nr_member_buckets)]; *pp != m;
	     pp = &(*pp)->next)
		;
	*pp = m->next;
	tree->nr_cells--;
	free(m);
}

/* Move @m to @cg (NULL: the root, in none) and tell its followers. */
static void move_cell_locked(struct epc__member *m, struct epc_cgroup *cg)
{
	if (m->cg == cg)
		return;
	if (m->cg) {
		epc__list_del(&m->node);
		m->cg->nr_members--;
	}
	if (cg) {
		epc__list_add_tail(&cg->members, &m->node);
		cg->nr_members++;
	}
	m->cg = cg;
	atomic_fetch_add_explicit(&m->gen, 1, memory_order_release);
}

int epc__cg_attach_id(struct epc_cgroup *cg, uint64_t id)
{
	struct epc__cgroups *tree = cg->tree;
	struct epc__member *m;
	int ret = 0;

	epc__mutex_lock(&tree->lock);
	if (atomic_load(&cg->dead)) {
		ret = -ENODEV;
	} else if (!cg->parent) {
		m = find_locked(tree, id);
		if (m) {
			move_cell_locked(m, NULL);
			put_cell_locked(tree, m);
		}
	} else {
		m = get_cell_locked(tree, id);
		if (m)
			move_cell_locked(m, cg);
		else
			ret = -ENOMEM;
	}
	epc__mutex_unlock(&tree->lock);
	return ret;
}

struct epc_cgroup *epc__cg_member_get(struct epc__cgroups *tree, uint64_t id)
{
	struct epc__member *m;
	struct epc_cgroup *cg;

	epc__mutex_lock(&tree->lock);
	m = find_locked(tree, id);
	cg = m && m->cg ? m->cg : tree->root;
	epc__cg_get(cg);
	epc__mutex_unlock(&tree->lock);
	return cg;
}

int epc__cg_member_forget(struct epc__cgroups *tree, uint64_t id)
{
	struct epc__member *m;
	int ret = -ENOENT;

	epc__mutex_lock(&tree->lock);
	m = find_locked(tree, id);
	if (m && m->cg) {
		move_cell_locked(m, NULL);
		put_cell_locked(tree, m);
		ret = 0;
	}
	epc__mutex_unlock(&tree->lock);
	return ret;
}

static int id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

size_t epc__cg_list_members(struct epc_cgroup *cg, uint64_t *ids, size_t cap)
{
	struct epc__member *m;
	size_t nr = 0;

	epc__mutex_lock(&cg->tree->lock);
	epc__list_for_each(m, &cg->members, node)
	{
		if (nr < cap)
			ids[nr] = m->id;
		nr++;
	}
	epc__mutex_unlock(&cg->tree->lock);
	if (nr && cap) /* a count alone (ids NULL): nothing to sort, and qsort wants a buffer */
		qsort(ids, nr < cap ? nr : cap, sizeof(*ids), id_cmp);
	return nr;
}

bool epc__cg_populated(struct epc_cgroup *cg)
{
	bool populated = false;

	epc__mutex_lock(&cg->tree->lock);
	for (struct epc_cgroup *c = cg; c && !populated; c = epc__cg_next_pre_locked(cg, c))
		populated = c->nr_members > 0;
	epc__mutex_unlock(&cg->tree->lock);
	return populated;
}

struct epc__member *epc__cg_member_follow(struct epc__cgroups *tree, uint64_t id)
{
	struct epc__member *m;

	epc__mutex_lock(&tree->lock);
	m = get_cell_locked(tree, id);
	if (m)
		m->followers++;
	epc__mutex_unlock(&tree->lock);
	return m;
}

void epc__cg_member_unfollow(struct epc__cgroups *tree, struct epc__member *m)
{
	epc__mutex_lock(&tree->lock);
	m->followers--;
	put_cell_locked(tree, m);
	epc__mutex_unlock(&tree->lock);
}

struct epc_cgroup *epc__cg_member_current(struct epc__cgroups *tree, struct epc__member *m,
					  uint64_t *gen)
{
	struct epc_cgroup *cg;

	epc__mutex_lock(&tree->lock);
	cg = m->cg ? m->cg : tree->root;
	epc__cg_get(cg);
	*gen = atomic_load_explicit(&m->gen, memory_order_relaxed);
	epc__mutex_unlock(&tree->lock);
	return cg;
}

void epc__cg_members_destroy(struct epc__cgroups *tree)
{
	for (size_t i = 0; i < tree->nr_member_buckets; i++)
		for (struct epc__member *m = tree->members[i], *next; m; m = next) {
			next = m->next;
			free(m);
		}
	free(tree->members);
	tree->members = NULL;
	tree->nr_member_buckets = 0;
	tree->nr_cells = 0;
}
